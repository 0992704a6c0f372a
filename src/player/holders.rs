//! Copies at rest, step by step: which machine holds which copy (a queue
//! file, a mailbox folder, a device), and the mailboxes as IMAP shows them
//! ([`super::mailboxes`]). Followed through the trace once: each step asks
//! for the state after a later event than the step before.

use super::Holder;
use super::mailboxes::{MailState, Mailboxes};
use crate::exposure::describe;
use crate::trace::{Event, Place, Record, Stored, Trace};

/// A copy at rest, with its place as the trace gave it.
struct Held {
    place: Place,
    holder: Holder,
}

/// What a step leaves at rest.
pub(super) struct LeftBehind {
    pub(super) holders: Vec<Holder>,
    /// The mailboxes, when they changed since the step before.
    pub(super) mailboxes: Option<MailState>,
}

pub(super) struct Holders<'a> {
    events: std::slice::Iter<'a, Record>,
    held: Vec<Held>,
    mailboxes: Mailboxes,
    /// The last event applied.
    done: Option<u64>,
}

impl<'a> Holders<'a> {
    pub(super) fn new(trace: &'a Trace) -> Self {
        Holders {
            events: trace.events.iter(),
            held: Vec::new(),
            mailboxes: Mailboxes::default(),
            done: None,
        }
    }

    /// The copies at rest after the event with sequence number `until`.
    pub(super) fn after(&mut self, until: u64) -> LeftBehind {
        while self.done.is_none_or(|done| done < until) {
            let Some(record) = self.events.next() else {
                break;
            };
            self.done = Some(record.seq);
            self.mailboxes.apply(record);
            self.apply(&record.event);
        }
        LeftBehind {
            holders: self.held.iter().map(|h| h.holder.clone()).collect(),
            mailboxes: self.mailboxes.snapshot(),
        }
    }

    fn apply(&mut self, event: &Event) {
        match event {
            Event::Stored(stored) => {
                let Stored {
                    node,
                    message,
                    place,
                    readable,
                    ..
                } = &**stored;
                self.held.push(Held {
                    place: place.clone(),
                    holder: Holder {
                        node: node.clone(),
                        message: message.clone(),
                        place: describe(place),
                        readable: *readable,
                        device: matches!(place, Place::Device { .. }),
                    },
                });
            }
            Event::Removed(removed) => {
                let file = Place::Queue {
                    queue_id: removed.queue_id.clone(),
                };
                self.held
                    .retain(|h| !(h.holder.node == removed.node && h.place == file));
            }
            Event::Expunged(e) => {
                let folder = Place::Mailbox {
                    mailbox: e.mailbox.clone(),
                    folder: e.folder.clone(),
                };
                if let Some(i) = self.find(&e.node, &e.message, &folder) {
                    self.held.remove(i);
                }
            }
            Event::Moved(m) => {
                let from = Place::Mailbox {
                    mailbox: m.mailbox.clone(),
                    folder: m.from.clone(),
                };
                if let Some(i) = self.find(&m.node, &m.message, &from) {
                    let to = Place::Mailbox {
                        mailbox: m.mailbox.clone(),
                        folder: m.to.clone(),
                    };
                    self.held[i].holder.place = describe(&to);
                    self.held[i].place = to;
                }
            }
            _ => {}
        }
    }

    /// The first copy of `message` on `node` at `place`. A mailbox is
    /// named by its address, in any case.
    fn find(&self, node: &str, message: &str, place: &Place) -> Option<usize> {
        let same = |a: &Place, b: &Place| match (a, b) {
            (
                Place::Mailbox { mailbox, folder },
                Place::Mailbox {
                    mailbox: m,
                    folder: f,
                },
            ) => mailbox.eq_ignore_ascii_case(m) && folder == f,
            _ => a == b,
        };
        self.held.iter().position(|h| {
            h.holder.node == node && h.holder.message == message && same(&h.place, place)
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::trace::Expunged;

    fn record(seq: u64, event: Event) -> Record {
        Record {
            t: seq * 10,
            seq,
            event,
        }
    }

    fn stored(place: Place) -> Event {
        Event::Stored(Box::new(Stored {
            node: "mx".into(),
            message: "m1".into(),
            place,
            readable: true,
            eml: "Subject: hi\r\n\r\nbody\r\n".into(),
        }))
    }

    #[test]
    fn an_expunged_copy_is_no_longer_held_and_a_queue_file_is_kept_apart() {
        let trace = Trace {
            scenario: "t".into(),
            seed: 1,
            start: "2026-01-05T09:00:00Z".into(),
            events: vec![
                record(
                    0,
                    stored(Place::Queue {
                        queue_id: "Q1".into(),
                    }),
                ),
                record(
                    1,
                    stored(Place::Mailbox {
                        mailbox: "bob@friend.test".into(),
                        folder: "INBOX".into(),
                    }),
                ),
                record(
                    2,
                    Event::Expunged(Box::new(Expunged {
                        node: "mx".into(),
                        message: "m1".into(),
                        conn: "c1".into(),
                        mailbox: "Bob@friend.test".into(),
                        folder: "INBOX".into(),
                        uid: 1,
                        by: "DELE".into(),
                    })),
                ),
            ],
        };
        let mut holders = Holders::new(&trace);
        let places = |rest: LeftBehind| -> Vec<String> {
            rest.holders.into_iter().map(|h| h.place).collect()
        };
        assert_eq!(
            places(holders.after(1)),
            ["queue Q1", "mailbox bob@friend.test/INBOX"]
        );
        assert_eq!(places(holders.after(2)), ["queue Q1"]);
    }
}

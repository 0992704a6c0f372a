//! The mailboxes of a run, replayed from its trace: which messages sit in
//! which folder, with which UID and flags, at any point of the run.
//!
//! The simulation's store (`sim::store`) is gone when the run ends; the
//! trace tells every change to it, so claims and the player rebuild it:
//! a delivery files a copy (`delivered`), a client's APPEND files one (a
//! hop whose `mailbox` spot is `appended`), EXPUNGE and POP3's deletions at
//! QUIT remove one (`expunged`), MOVE changes its folder and UID (`moved`),
//! and flags change (`flagged`). A mailbox has `INBOX`, `Junk` and `Sent`
//! from the moment it appears, as the store gives them. Copies made with
//! IMAP COPY are not followed (they carry no UID in the trace).

use std::collections::BTreeMap;

use serde::Serialize;

use super::Event;

/// Folders every mailbox has from the start (as `sim::store` makes them).
const DEFAULT_FOLDERS: [&str; 3] = ["INBOX", "Junk", "Sent"];

/// Every mailbox seen so far, by (node, address in lower case).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Mailboxes {
    boxes: BTreeMap<(String, String), Mailbox>,
}

/// One person's mailbox on one server.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Mailbox {
    pub node: String,
    /// The address, as the first event that named it wrote it.
    pub mailbox: String,
    /// 0 until an event told it.
    pub uidvalidity: u32,
    /// Folder name → its copies in UID order.
    pub folders: BTreeMap<String, Vec<Copy>>,
}

/// One message in a folder.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Copy {
    pub uid: u32,
    /// The run-local message id (`m1`).
    pub message: String,
    /// IMAP flags, sorted (`\Seen`, …).
    pub flags: Vec<String>,
}

impl Mailboxes {
    /// Applies one event; true when it changed a mailbox.
    pub fn apply(&mut self, event: &Event) -> bool {
        match event {
            Event::Delivered(d) => {
                let mb = self.open(&d.node, &d.mailbox);
                mb.uidvalidity = d.uidvalidity;
                mb.file(&d.folder, d.uid, &d.message, Vec::new());
                true
            }
            Event::Hop(hop) => match &hop.mailbox {
                Some(spot) if spot.appended => {
                    let mb = self.open(&hop.to, &spot.mailbox);
                    mb.uidvalidity = spot.uidvalidity;
                    mb.file(&spot.folder, spot.uid, &hop.message, Vec::new());
                    true
                }
                _ => false,
            },
            Event::Expunged(e) => self
                .open(&e.node, &e.mailbox)
                .take(&e.folder, e.uid)
                .is_some(),
            Event::Moved(m) => {
                let mb = self.open(&m.node, &m.mailbox);
                let flags = mb.take(&m.from, m.uid).map(|c| c.flags).unwrap_or_default();
                mb.file(&m.to, m.new_uid, &m.message, flags);
                true
            }
            Event::Flagged(f) => {
                let mb = self.open(&f.node, &f.mailbox);
                let copy = mb
                    .folders
                    .get_mut(&f.folder)
                    .and_then(|copies| copies.iter_mut().find(|c| c.uid == f.uid));
                match copy {
                    Some(copy) => {
                        let mut flags = f.flags.clone();
                        flags.sort();
                        copy.flags = flags;
                        true
                    }
                    None => false,
                }
            }
            _ => false,
        }
    }

    /// The mailboxes as they stand after `events`.
    pub fn after<'a>(events: impl IntoIterator<Item = &'a Event>) -> Self {
        let mut boxes = Mailboxes::default();
        for event in events {
            boxes.apply(event);
        }
        boxes
    }

    /// Every mailbox, by node then address.
    pub fn all(&self) -> impl Iterator<Item = &Mailbox> {
        self.boxes.values()
    }

    /// The mailboxes of `address` (names compare without case), on `node`
    /// only when given.
    pub fn of<'a>(
        &'a self,
        address: &'a str,
        node: Option<&'a str>,
    ) -> impl Iterator<Item = &'a Mailbox> + 'a {
        self.boxes.values().filter(move |mb| {
            mb.mailbox.eq_ignore_ascii_case(address) && node.is_none_or(|n| n == mb.node)
        })
    }

    fn open(&mut self, node: &str, mailbox: &str) -> &mut Mailbox {
        self.boxes
            .entry((node.to_string(), mailbox.to_ascii_lowercase()))
            .or_insert_with(|| Mailbox {
                node: node.to_string(),
                mailbox: mailbox.to_string(),
                uidvalidity: 0,
                folders: DEFAULT_FOLDERS
                    .iter()
                    .map(|f| (f.to_string(), Vec::new()))
                    .collect(),
            })
    }
}

impl Mailbox {
    fn file(&mut self, folder: &str, uid: u32, message: &str, flags: Vec<String>) {
        let copies = self.folders.entry(folder.to_string()).or_default();
        let at = copies.partition_point(|c| c.uid < uid);
        copies.insert(
            at,
            Copy {
                uid,
                message: message.to_string(),
                flags,
            },
        );
    }

    fn take(&mut self, folder: &str, uid: u32) -> Option<Copy> {
        let copies = self.folders.get_mut(folder)?;
        let at = copies.iter().position(|c| c.uid == uid)?;
        Some(copies.remove(at))
    }

    /// The copies in `folder` (none when it does not exist).
    pub fn folder(&self, folder: &str) -> &[Copy] {
        self.folders.get(folder).map_or(&[], Vec::as_slice)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::trace::{Delivered, Expunged, Flagged, Moved};

    fn delivered(uid: u32, message: &str) -> Event {
        Event::Delivered(Box::new(Delivered {
            node: "mx".into(),
            message: message.into(),
            recipient: "bob@x.test".into(),
            folder: "INBOX".into(),
            mailbox: "bob@x.test".into(),
            uid,
            uidvalidity: 7,
        }))
    }

    #[test]
    fn deliveries_flags_moves_and_expunges_replay_in_order() {
        let events = [
            delivered(1, "m1"),
            delivered(2, "m2"),
            Event::Flagged(Box::new(Flagged {
                node: "mx".into(),
                message: "m1".into(),
                conn: "c1".into(),
                mailbox: "BOB@x.test".into(),
                folder: "INBOX".into(),
                uid: 1,
                flags: vec!["\\Seen".into()],
            })),
            Event::Moved(Box::new(Moved {
                node: "mx".into(),
                message: "m1".into(),
                conn: "c1".into(),
                mailbox: "bob@x.test".into(),
                from: "INBOX".into(),
                to: "Junk".into(),
                uid: 1,
                new_uid: 1,
            })),
            Event::Expunged(Box::new(Expunged {
                node: "mx".into(),
                message: "m2".into(),
                conn: "c2".into(),
                mailbox: "bob@x.test".into(),
                folder: "INBOX".into(),
                uid: 2,
                by: "DELE".into(),
            })),
        ];
        let boxes = Mailboxes::after(&events);
        let bob: Vec<&Mailbox> = boxes.of("Bob@X.test", Some("mx")).collect();
        assert_eq!(bob.len(), 1);
        assert_eq!(bob[0].uidvalidity, 7);
        assert!(bob[0].folder("INBOX").is_empty());
        assert_eq!(
            bob[0].folder("Junk"),
            [Copy {
                uid: 1,
                message: "m1".into(),
                flags: vec!["\\Seen".into()],
            }]
        );
        assert_eq!(bob[0].folders.len(), 3, "INBOX, Junk, Sent");
        assert!(boxes.of("bob@x.test", Some("other")).next().is_none());
    }
}

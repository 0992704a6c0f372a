//! Checks every run must pass, read from the trace alone.
//!
//! No message is lost silently: whenever a server answered 250 to a message
//! (a [`Hop`](crate::trace::Hop) into that node), each of its recipients must
//! later leave that node in exactly one recorded way: passed on (a hop out of
//! the node for that recipient), delivered into a mailbox, bounced back to the
//! sender, dropped with a reason, or still queued when the run ended.

use std::collections::BTreeMap;
use std::fmt;

use crate::clock::SimTime;
use crate::trace::{Event, Trace};

/// One broken promise.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Violation {
    /// When the promise was made (the accepting hop).
    pub t: u64,
    pub hop: u32,
    pub node: String,
    pub message: String,
    pub recipient: String,
}

impl fmt::Display for Violation {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "message {} for <{}> was accepted by {} at {} (hop {}), and then nothing says what became of it: \
             no hop onwards, delivery, bounce, drop or queued-at-end event",
            self.message,
            self.recipient,
            self.node,
            SimTime(self.t),
            self.hop
        )
    }
}

/// Why the run was cut short by a cap (`sim::Limits`), in words, if it was.
pub fn cut_short(trace: &Trace) -> Option<String> {
    let Some(Event::End { reason }) = trace.events.last().map(|r| &r.event) else {
        return None;
    };
    let what = match reason.as_str() {
        "event_limit" => "it recorded as many events as allowed (--max-events)",
        "message_limit" => "it wrote as many messages as allowed (--max-messages)",
        "byte_limit" => "its trace holds as many bytes as allowed (--max-bytes)",
        _ => return None,
    };
    Some(format!(
        "the run was cut short: {what}; look for a loop (relays forwarding to each other) or raise the cap"
    ))
}

/// Checks that no accepted message was lost silently. A run cut short by a
/// cap stops mid-flight, so it is not checked (and says why it stopped).
pub fn check_no_loss(trace: &Trace) -> Result<(), Vec<Violation>> {
    if cut_short(trace).is_some() {
        return Ok(());
    }
    // (node, message, recipient) → the hops that handed it over, oldest first.
    let mut open: BTreeMap<(String, String, String), Vec<(u64, u32)>> = BTreeMap::new();
    let close = |open: &mut BTreeMap<_, Vec<(u64, u32)>>, node: &str, message: &str, rcpt: &str| {
        let key = (node.to_string(), message.to_string(), rcpt.to_string());
        if let Some(list) = open.get_mut(&key) {
            if !list.is_empty() {
                list.remove(0);
            }
            if list.is_empty() {
                open.remove(&key);
            }
        }
    };
    for record in &trace.events {
        match &record.event {
            Event::Hop(hop) => {
                for rcpt in &hop.recipients {
                    close(&mut open, &hop.from, &hop.message, rcpt);
                    open.entry((hop.to.clone(), hop.message.clone(), rcpt.clone()))
                        .or_default()
                        .push((record.t, hop.hop));
                }
            }
            Event::Forwarded(f) => {
                // The address's message goes on to another address: the
                // new recipient must now leave this node in turn.
                let key = (f.node.clone(), f.message.clone(), f.recipient.clone());
                let handed = open.get(&key).and_then(|l| l.first().copied());
                close(&mut open, &f.node, &f.message, &f.recipient);
                if let Some(first) = handed {
                    open.entry((f.node.clone(), f.message.clone(), f.to.clone()))
                        .or_default()
                        .push(first);
                }
            }
            Event::Delivered(d) => close(&mut open, &d.node, &d.message, &d.recipient),
            Event::Bounced(b) => close(&mut open, &b.node, &b.message, &b.recipient),
            Event::Dropped(d) => {
                for rcpt in &d.recipients {
                    close(&mut open, &d.node, &d.message, rcpt);
                }
            }
            Event::QueuedAtEnd(q) => {
                for rcpt in &q.recipients {
                    close(&mut open, &q.node, &q.message, rcpt);
                }
            }
            _ => {}
        }
    }
    let violations: Vec<Violation> = open
        .into_iter()
        .flat_map(|((node, message, recipient), list)| {
            list.into_iter().map(move |(t, hop)| Violation {
                t,
                hop,
                node: node.clone(),
                message: message.clone(),
                recipient: recipient.clone(),
            })
        })
        .collect();
    if violations.is_empty() {
        Ok(())
    } else {
        Err(violations)
    }
}

/// Checks the trace's own shape: sequence numbers count up from 0, time
/// never goes backwards, and the run ends with exactly one `end` event.
pub fn check_shape(trace: &Trace) -> Result<(), String> {
    let mut last_t = 0;
    for (i, record) in trace.events.iter().enumerate() {
        if record.seq != i as u64 {
            return Err(format!("event {i} has sequence number {}", record.seq));
        }
        if record.t < last_t {
            return Err(format!(
                "event {i} goes back in time, to {}",
                SimTime(record.t)
            ));
        }
        last_t = record.t;
    }
    let ends = trace
        .events
        .iter()
        .filter(|r| matches!(r.event, Event::End { .. }))
        .count();
    match trace.events.last().map(|r| &r.event) {
        Some(Event::End { .. }) if ends == 1 => Ok(()),
        _ => Err(format!(
            "the trace must end with one `end` event (found {ends})"
        )),
    }
}

//! The exposure ledger: who could read a message, where, derived from the
//! trace.
//!
//! Two kinds of reader matter to a student:
//! - the **observer of a link** (anyone on the network path of a hop): reads
//!   everything on a plaintext hop, and nothing but the TLS record headers on
//!   an encrypted one. When the client did not authenticate the server, an
//!   active attacker could have stood in for the server, so such a hop is
//!   marked apart from one whose server was authenticated;
//! - the **operator of a node** where a copy sat on disk (queue or mailbox):
//!   reads it unless the message itself is encrypted end to end.

use std::collections::BTreeMap;

use serde::Serialize;

use crate::trace::{Channel, Event, Place, Trace};

/// One hop, as the ledger sees it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct HopExposure {
    pub hop: u32,
    pub t: u64,
    pub message: String,
    pub from: String,
    pub to: String,
    pub channel: Channel,
    /// Whether a passive observer of the link read the message.
    pub observer_reads: bool,
}

/// One node that held a copy of a message at rest.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct AtRest {
    pub node: String,
    pub message: String,
    /// When the first copy was written.
    pub since: u64,
    /// Where: `queue <id>` or `mailbox <address>/<folder>`.
    pub places: Vec<String>,
    /// Whether the node's operator could read it.
    pub readable: bool,
}

/// The whole ledger of a run.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
pub struct Ledger {
    pub hops: Vec<HopExposure>,
    pub at_rest: Vec<AtRest>,
}

impl Ledger {
    /// Builds the ledger from a trace.
    pub fn from_trace(trace: &Trace) -> Ledger {
        let mut ledger = Ledger::default();
        let mut rest: BTreeMap<(String, String), usize> = BTreeMap::new();
        for record in &trace.events {
            match &record.event {
                Event::Hop(hop) => ledger.hops.push(HopExposure {
                    hop: hop.hop,
                    t: record.t,
                    message: hop.message.clone(),
                    from: hop.from.clone(),
                    to: hop.to.clone(),
                    channel: hop.channel,
                    observer_reads: hop.channel == Channel::Plaintext,
                }),
                Event::Stored {
                    node,
                    message,
                    place,
                    readable,
                    ..
                } => {
                    let where_ = describe(place);
                    let key = (node.clone(), message.clone());
                    match rest.get(&key) {
                        Some(&i) => {
                            let entry = &mut ledger.at_rest[i];
                            entry.places.push(where_);
                            entry.readable |= *readable;
                        }
                        None => {
                            rest.insert(key, ledger.at_rest.len());
                            ledger.at_rest.push(AtRest {
                                node: node.clone(),
                                message: message.clone(),
                                since: record.t,
                                places: vec![where_],
                                readable: *readable,
                            });
                        }
                    }
                }
                _ => {}
            }
        }
        ledger
    }

    /// The nodes whose operator could read `message`, in the order the
    /// message reached them.
    pub fn readable_by(&self, message: &str) -> Vec<&str> {
        self.at_rest
            .iter()
            .filter(|r| r.message == message && r.readable)
            .map(|r| r.node.as_str())
            .collect()
    }
}

/// `queue 4B1D01F3` or `mailbox bob@friend.test/INBOX`.
pub fn describe(place: &Place) -> String {
    match place {
        Place::Queue { queue_id } => format!("queue {queue_id}"),
        Place::Mailbox { mailbox, folder } => format!("mailbox {mailbox}/{folder}"),
    }
}

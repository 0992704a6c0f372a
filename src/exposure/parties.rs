//! Who could read what, party by party: the ledger's rows as one list of
//! [`Reading`]s, each a [`Party`] and what it read of one message, split into
//! envelope, headers (with the Subject when in sight) and body.
//!
//! Every party reads by the same rule, [`Sight`](super::Sight): what bytes
//! it held, and whether it had a key. To add a kind of party (an observer
//! of one connection, an attacker on the path): add a variant to [`Party`],
//! collect what it held in `Ledger::from_trace`, and chain its readings in
//! [`Ledger::readings`]; claims (`readable`) and the player pick it up
//! by its `by` name.

use serde::Serialize;

use super::{Ledger, Sight};

/// Someone who could have read a message.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum Party {
    /// The operator of a server where a copy sat on disk (queue or mailbox).
    Operator { node: String },
    /// A mail client's device holding a copy its user downloaded (and,
    /// encrypted, opened with the user's key).
    Device { node: String },
    /// Anyone on the network path of a hop: reads what crossed in the clear.
    Link { hop: u32, from: String, to: String },
    /// A named attacker on the path of a hop (`on_path`): it recorded the
    /// hop's bytes, and reads what anyone on the link reads.
    Observer { node: String, hop: u32 },
}

impl Party {
    /// The name a claim's `by` gives it: the node, or `link` for any link.
    pub fn by(&self) -> &str {
        match self {
            Party::Operator { node } | Party::Device { node } | Party::Observer { node, .. } => {
                node
            }
            Party::Link { .. } => "link",
        }
    }
}

/// What one party could read of one message.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Reading {
    pub party: Party,
    pub message: String,
    /// When it first could (virtual ms).
    pub t: u64,
    /// The envelope: who sends to whom (MAIL FROM, RCPT TO).
    pub envelope: bool,
    /// The header section.
    pub headers: bool,
    /// The Subject it read, when headers were readable and the Subject was
    /// not protected (or, on the recipient's device, the protected one).
    pub subject: Option<String>,
    /// The body.
    pub body: bool,
}

impl Reading {
    /// What a holder of `sight`'s bytes reads, without a key (`key`: with
    /// the recipient's key and the Subject found inside, if any).
    pub(super) fn holding(
        party: Party,
        message: &str,
        t: u64,
        sight: &Sight,
        key: Option<Option<&str>>,
    ) -> Reading {
        let (subject, body) = match key {
            Some(inner) => (inner.or(sight.subject.as_deref()).map(str::to_string), true),
            None => (
                sight.readable_subject().map(str::to_string),
                !sight.body_encrypted,
            ),
        };
        Reading {
            party,
            message: message.to_string(),
            t,
            envelope: true,
            headers: true,
            subject,
            body,
        }
    }
}

impl Ledger {
    /// Every party's reading of every message: the operators of the
    /// servers, the devices, then each hop's link (a link inside TLS reads
    /// nothing, and is listed so a claim can say so).
    pub fn readings(&self) -> Vec<Reading> {
        let unknown = Sight {
            subject: None,
            subject_hidden: false,
            body_encrypted: false,
        };
        let at_rest = self.at_rest.iter().map(|r| {
            let party = if r.device {
                Party::Device {
                    node: r.node.clone(),
                }
            } else {
                Party::Operator {
                    node: r.node.clone(),
                }
            };
            let key = (r.device && r.readable && r.sight.body_encrypted)
                .then_some(r.inner_subject.as_deref());
            let mut reading = Reading::holding(party, &r.message, r.since, &r.sight, key);
            reading.body &= r.readable || !r.device;
            reading
        });
        let read = |h: &super::HopExposure, party: Party| {
            if h.observer_reads {
                Reading::holding(
                    party,
                    &h.message,
                    h.t,
                    h.sight.as_ref().unwrap_or(&unknown),
                    None,
                )
            } else {
                Reading {
                    party,
                    message: h.message.clone(),
                    t: h.t,
                    envelope: false,
                    headers: false,
                    subject: None,
                    body: false,
                }
            }
        };
        let links = self.hops.iter().map(|h| {
            let party = Party::Link {
                hop: h.hop,
                from: h.from.clone(),
                to: h.to.clone(),
            };
            read(h, party)
        });
        // Named attackers come last, so views that pair the rows above
        // with the ledger's copies and hops by position keep their order.
        let observers = self.hops.iter().flat_map(|h| {
            h.observers.iter().map(move |node| {
                let party = Party::Observer {
                    node: node.clone(),
                    hop: h.hop,
                };
                read(h, party)
            })
        });
        at_rest.chain(links).chain(observers).collect()
    }
}

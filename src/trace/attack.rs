//! What an attacker on the path does: [`Event::Tapped`](super::Event::Tapped)
//! (it records a connection), [`Event::Tampered`](super::Event::Tampered)
//! (it changed bytes on their way) and
//! [`Event::DnsForged`](super::Event::DnsForged) (it answered a DNS question
//! in place of the real zone).

use serde::{Deserialize, Serialize};

use super::Dir;

/// An attacker sits on the path of a connection: it records every byte
/// both ways (the `wire` events are what it gets).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Tapped {
    pub attacker: String,
    pub conn: String,
    pub client: String,
    pub server: String,
}

/// An attacker changed bytes on their way: one line before and after.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Tampered {
    pub attacker: String,
    pub conn: String,
    pub dir: Dir,
    /// What it did, as a short tag: `strip_starttls`.
    pub what: String,
    /// The line as its sender wrote it.
    pub before: String,
    /// The line as the other end got it.
    pub after: String,
}

/// An attacker answered a DNS question of a machine it sits next to, with
/// records of its own. The `dns_answer` that follows is what the machine
/// believed: the forgery, or SERVFAIL when its resolver validates DNSSEC
/// and the zone is signed (`refused`).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct DnsForged {
    pub attacker: String,
    /// The machine that asked.
    pub node: String,
    pub name: String,
    pub rtype: String,
    /// The forged records, in zone-file form.
    pub answers: Vec<String>,
    /// The machine's validating resolver found no valid signature on the
    /// forgery for a signed zone, and threw it away.
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    pub refused: bool,
}

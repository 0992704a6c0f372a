//! What [`Event::DkimSigned`](super::Event::DkimSigned),
//! [`Event::SenderChecked`](super::Event::SenderChecked),
//! [`Event::SpamScored`](super::Event::SpamScored) and
//! [`Event::Forwarded`](super::Event::Forwarded) record.

use serde::{Deserialize, Serialize};

pub use crate::policy::auth::{ArcCheck, DkimCheck, DmarcCheck, SenderChecks, SpfCheck, Verdict};
pub use crate::policy::spam::{Action, RuleHit};

/// A server signed a message of its own user with DKIM.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct DkimSigned {
    pub node: String,
    pub message: String,
    /// `d=`: the domain that vouches for the message.
    pub domain: String,
    /// `s=`: the key is at `<selector>._domainkey.<domain>`.
    pub selector: String,
    /// `a=`: `rsa-sha256` or `ed25519-sha256`.
    pub algorithm: String,
    /// The signature header, as added on top of the message.
    pub header: String,
}

/// A server checked who sent a message a stranger handed it, and decided.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct SenderChecked {
    pub node: String,
    pub conn: String,
    pub message: String,
    /// What the session knew: the client's address, its HELO name and the
    /// envelope sender (`""` for a bounce).
    pub client_ip: String,
    pub helo: String,
    pub mail_from: String,
    pub checks: SenderChecks,
    /// What the server does with the message because of the checks.
    pub action: Action,
    /// The refusal sent to the client, when `action` is `reject`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub reply: Option<String>,
    /// DMARC failed, but the server trusted the results this ARC sealer
    /// recorded before forwarding broke SPF and DKIM.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub trusted_arc: Option<String>,
}

/// A spam filter scored a message.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct SpamScored {
    pub node: String,
    pub conn: String,
    pub message: String,
    /// The sum of the rules that matched.
    pub score: f64,
    pub junk_at: f64,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub reject_at: Option<f64>,
    /// Every rule that matched, with its contribution.
    pub rules: Vec<RuleHit>,
    pub action: Action,
    /// The refusal sent to the client, when `action` is `reject`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub reply: Option<String>,
}

/// A server forwarded a recipient's message to another address.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Forwarded {
    pub node: String,
    pub message: String,
    /// The address the message came for.
    pub recipient: String,
    /// Where it goes now.
    pub to: String,
    /// The envelope sender it arrived with.
    pub sender: String,
    /// The envelope sender it leaves with, when SRS rewrote it.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub rewritten: Option<String>,
    /// A footer was added to the body.
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    pub footer: bool,
    /// The ARC sealer's domain, when the server sealed it.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub sealed: Option<String>,
    /// Why sealing was asked but did not happen.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub seal_failed: Option<String>,
}

//! The parts of the format about who really sent a message: signing with
//! DKIM, checking senders (SPF, DKIM, DMARC, ARC), sealing with ARC,
//! forwarding an address to another provider, and the spam filter.

use std::collections::BTreeMap;

use schemars::JsonSchema;
use serde::{Deserialize, Serialize};

/// A domain's DKIM key, used by the server that sends its mail.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct Dkim {
    /// The signing domain (`d=`). Mail this server takes from its own users (logged in, or a
    /// `relay_for` client) is signed before it is queued, whatever its From address: a
    /// provider signs with its own domain, and DMARC then asks whether that domain is aligned
    /// with the From domain.
    pub domain: String,
    /// The selector (`s=`): the public key is published as a TXT record at
    /// `<selector>._domainkey.<domain>`. The zone gets that record automatically, unless
    /// `dns` writes one at that name itself (a wrong or broken key, for teaching).
    #[serde(default = "default_selector")]
    pub selector: String,
    /// `rsa` (rsa-sha256, 2048 bits: what nearly every provider uses) or `ed25519`
    /// (ed25519-sha256, RFC 8463). The key is drawn from the scenario seed.
    #[serde(default)]
    pub algorithm: KeyAlgorithm,
}

fn default_selector() -> String {
    "mail".into()
}

/// The kind of key a domain signs with.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "lowercase")]
pub enum KeyAlgorithm {
    /// rsa-sha256, 2048 bits.
    #[default]
    Rsa,
    /// ed25519-sha256.
    Ed25519,
}

/// Checking who really sent each message a stranger hands this server.
#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct CheckSenders {
    /// What to do with a message that fails DMARC: `enforce` follows the From domain's
    /// policy (`reject`: refused with 550 5.7.1 after the final dot; `quarantine`: filed
    /// into Junk), `monitor` only records the results. Either way the server adds an
    /// Authentication-Results header (RFC 8601).
    #[serde(default)]
    pub dmarc: DmarcMode,
    /// Sealers (ARC domains) whose recorded results this server trusts: a message that
    /// fails DMARC here, but arrives with a valid ARC chain whose newest seal is by one of
    /// them and records `dmarc=pass`, is accepted, as large providers do for mail
    /// forwarded by known lists and forwarders (RFC 8617 section 7.2).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub trust_arc: Vec<String>,
}

/// Whether a failed DMARC check has consequences.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "lowercase")]
pub enum DmarcMode {
    /// Follow the domain's policy.
    #[default]
    Enforce,
    /// Record the results, change nothing.
    Monitor,
}

/// An ARC key: this server seals the messages it forwards (RFC 8617).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct ArcKey {
    /// The sealing domain (`d=`).
    pub domain: String,
    /// The selector: the public key is published at `<selector>._domainkey.<domain>`
    /// automatically (always RSA, as RFC 8617 requires).
    #[serde(default = "default_arc_selector")]
    pub selector: String,
}

fn default_arc_selector() -> String {
    "arc".into()
}

/// How this server forwards the addresses in `forward_to`.
#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct Forwarding {
    /// Rewrite the envelope sender with the Sender Rewriting Scheme
    /// (`SRS0=hash=tt=bank.test=alice@this-domain`), so the next provider's SPF check asks
    /// this domain, which allows this server, instead of the original sender's domain,
    /// which does not.
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    pub srs: bool,
    /// Text added at the end of the body of each forwarded message, as mailing lists do.
    /// It changes the body, so the original DKIM signature no longer verifies.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub footer: Option<String>,
}

/// A spam filter that scores each message from explainable rules.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct Spam {
    /// From this score on, the message is marked as spam (`X-Spam-Flag: YES`) and filed
    /// into Junk, here or by the mailbox server behind this filter. Default 5.
    #[serde(default = "default_junk_at")]
    pub junk_at: f64,
    /// From this score on, the message is refused with 550 5.7.1 after the final dot. Left
    /// out: never refused, only filed into Junk.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub reject_at: Option<f64>,
    /// Scores that replace the defaults of some rules, by rule name (for example
    /// `{"SPF_FAIL": 4}`); 0 turns a rule off.
    #[serde(default, skip_serializing_if = "BTreeMap::is_empty")]
    pub scores: BTreeMap<String, f64>,
}

fn default_junk_at() -> f64 {
    5.0
}

impl Default for Spam {
    /// The defaults, as `"spam": {}` gives them.
    fn default() -> Spam {
        Spam {
            junk_at: default_junk_at(),
            reject_at: None,
            scores: BTreeMap::new(),
        }
    }
}

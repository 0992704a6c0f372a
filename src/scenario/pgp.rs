//! The parts of the format about end-to-end encryption with OpenPGP: a
//! person's key, and what a client does without a recipient's key (the
//! `send` step's `encrypt`, `sign`, `protect_headers` and `without_key`
//! are in `model.rs`, beside the rest of the step).

use schemars::JsonSchema;
use serde::{Deserialize, Serialize};

use super::model::{Role, Scenario};

/// This mail client's user has an OpenPGP key pair (an Ed25519 signing key with a
/// Curve25519 encryption subkey, drawn from the scenario seed and the user's address, as
/// GnuPG makes by default). Every other client with `pgp` in the scenario knows its public
/// key, as if the two had swapped keys beforehand. `{}` turns it on.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct Pgp {}

/// What a client does when it is asked to encrypt and lacks a recipient's key.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "kebab-case")]
pub enum WithoutKey {
    /// Say that the key is missing and send nothing (what Thunderbird does).
    #[default]
    Refuse,
    /// Send the message unencrypted to everyone, and say so.
    SendPlain,
}

pub(super) fn is_refuse(w: &WithoutKey) -> bool {
    *w == WithoutKey::Refuse
}

/// Whether `address` has an OpenPGP key: it is the `user` of a mail client with `pgp`.
pub fn has_key(s: &Scenario, address: &str) -> bool {
    s.nodes.values().any(|n| {
        n.role == Role::Mua
            && n.pgp.is_some()
            && n.user
                .as_deref()
                .is_some_and(|u| u.eq_ignore_ascii_case(address.trim()))
    })
}

/// `readable`: what one party could read of a message. Every field left out is not claimed.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct ReadableClaim {
    /// The message: `m1` (the default) is the first message written in the run.
    #[serde(default = "first_message")]
    pub message: String,
    /// Who: a node (the operator of a server that held a copy, or a mail client's device),
    /// or `link`: anyone on the network path of the message's hops (the most any of them
    /// read).
    pub by: String,
    /// Claim: the envelope (MAIL FROM, RCPT TO) was readable.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub envelope: Option<bool>,
    /// Claim: the header section was readable.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub headers: Option<bool>,
    /// Claim: the real Subject was readable (`false` when it was protected inside the
    /// encryption, or the headers were not readable).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub subject: Option<bool>,
    /// Claim: the body was readable (`false` when it was encrypted end to end and this party
    /// had no key).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub body: Option<bool>,
}

fn first_message() -> String {
    "m1".to_string()
}

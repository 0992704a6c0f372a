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
#[derive(
    Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize, JsonSchema,
)]
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


//! What [`Event::Encrypted`](super::Event::Encrypted),
//! [`Event::PgpNoKey`](super::Event::PgpNoKey) and
//! [`Event::Decrypted`](super::Event::Decrypted) record: end-to-end
//! encryption, at the two ends.

use serde::{Deserialize, Serialize};

pub use crate::pgp::SignatureCheck;
pub use crate::scenario::pgp::WithoutKey;

/// A key a message was encrypted to.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct KeyUse {
    /// Whose key: a recipient's address, or the sender's own.
    pub address: String,
    /// The primary key's fingerprint (40 hex digits, as `gpg -k` shows it).
    pub fingerprint: String,
    /// The encryption subkey's id (16 hex digits), which the message names.
    pub key_id: String,
}

/// A mail client encrypted a message with OpenPGP before sending it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Encrypted {
    pub node: String,
    pub message: String,
    /// Every key that can open it: each recipient's, then the sender's own
    /// (so the copy in Sent stays readable to the sender).
    pub keys: Vec<KeyUse>,
    /// Signed with the sender's key, inside the encryption.
    pub signed: bool,
    /// The real Subject is inside; servers see [`crate::pgp::HIDDEN_SUBJECT`].
    pub protected_headers: bool,
}

/// A mail client asked to encrypt found no key for some recipients.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct PgpNoKey {
    pub node: String,
    pub message: String,
    /// The recipients it has no key for.
    pub missing: Vec<String>,
    /// What it did: `refuse` (sent nothing) or `send-plain` (sent it
    /// unencrypted to everyone).
    pub action: WithoutKey,
}

/// A mail client downloaded an encrypted message and tried to open it with
/// its user's secret key.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Decrypted {
    pub node: String,
    pub message: String,
    /// Whose key it used (the client's user).
    pub address: String,
    /// Whether it could decrypt it.
    pub ok: bool,
    /// Why not, when it could not (its user has no key, or the message was
    /// not encrypted to it).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub reason: Option<String>,
    /// The signature inside, checked with the sender's key when the client
    /// has it (`good`, `bad`, `unknown_key`, `unsigned`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub signature: Option<SignatureCheck>,
    /// Who signed, by the From address, when the signature is good.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub signer: Option<String>,
    /// The protected Subject found inside, when the headers were protected.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub inner_subject: Option<String>,
    /// The clear text its user now reads.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub body: Option<String>,
}

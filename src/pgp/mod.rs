//! End-to-end encryption with OpenPGP (rPGP), deterministic like `tls`:
//! a person's mail client encrypts to the recipients' keys before the
//! message leaves, and only the recipient's client decrypts it.
//!
//! - `keys.rs`: each person's key pair, drawn from the seed and their
//!   address, created at the scenario's start.
//! - `seal.rs`: the PGP/MIME message a client writes (RFC 3156), signed
//!   inside the encryption, with the headers protected on request (RFC 9788).
//! - `open.rs`: what the recipient's client does with it: decrypt, check the
//!   signature, read the inner Subject and text.
//!
//! No clock and no OS randomness: times are given, every random draw comes
//! from a ChaCha20 stream keyed by the seed. Imports neither tokio nor `sim`
//! nor `trace`.

mod keys;
mod open;
mod seal;

pub use keys::{Keys, key_for};
pub use open::{Opened, SignatureCheck, armored_part, is_encrypted, open};
pub use seal::{HIDDEN_SUBJECT, Letter, Sealing, seal};

use std::sync::Arc;

use crate::scenario::Scenario;

/// The key of `address` in `scenario`: `None` when no mail client with
/// `pgp` belongs to that address; the key is created at the scenario's
/// start. This is what every client's keyring holds, and what `mailhop
/// pgp-key` exports.
pub fn scenario_key(scenario: &Scenario, address: &str) -> Option<Result<Arc<Keys>, String>> {
    if !crate::scenario::pgp::has_key(scenario, address) {
        return None;
    }
    let start = crate::clock::parse_start(&scenario.start).unwrap_or(0);
    Some(key_for(scenario.seed, address, start))
}

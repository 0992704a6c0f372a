//! DKIM keys drawn from the scenario seed.
//!
//! One key per (seed, domain, selector, algorithm): a domain added to a
//! scenario leaves every other key as it was. Ed25519 keys are 32 derived
//! bytes; RSA keys (2048 bits) come from `rsa`'s generator on a ChaCha20
//! stream keyed by derived bytes, so the Cargo.lock, which pins `rsa` and
//! its big-number crate, also pins which key a seed gives. RSA generation
//! costs about half a second, so keys are kept for the life of the process
//! (they are a function of their inputs: keeping them cannot change a run).

use std::collections::BTreeMap;
use std::sync::{Arc, Mutex, PoisonError};

use base64::Engine as _;
use base64::engine::general_purpose::STANDARD as B64;
use mail_auth::common::crypto::{Ed25519Key, RsaKey, Sha256};
use rustls_pki_types::{PrivateKeyDer, PrivatePkcs1KeyDer};

/// The signing algorithms mailhop draws keys for.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum Algorithm {
    /// rsa-sha256 with a 2048-bit key (RFC 6376, RFC 8301): what nearly
    /// every provider signs with.
    Rsa,
    /// ed25519-sha256 (RFC 8463).
    Ed25519,
}

impl Algorithm {
    /// The `a=` tag's value.
    pub fn tag(self) -> &'static str {
        match self {
            Algorithm::Rsa => "rsa-sha256",
            Algorithm::Ed25519 => "ed25519-sha256",
        }
    }
}

/// A key pair: the private half in DER, and the TXT record that publishes
/// the public half at `<selector>._domainkey.<domain>`.
#[derive(Debug)]
pub struct KeyPair {
    pub algorithm: Algorithm,
    der: Vec<u8>,
    /// `v=DKIM1; k=rsa; p=…` (the public key as SubjectPublicKeyInfo, as
    /// `openssl rsa -pubout` writes it) or `v=DKIM1; k=ed25519; p=…` (the
    /// raw 32 bytes, RFC 8463).
    pub record: String,
}

/// A key mail-auth signs with.
pub(super) enum Signing {
    Rsa(RsaKey<Sha256>),
    Ed25519(Ed25519Key),
}

impl KeyPair {
    pub(super) fn signing(&self) -> Result<Signing, String> {
        match self.algorithm {
            Algorithm::Rsa => RsaKey::<Sha256>::from_key_der(PrivateKeyDer::Pkcs1(
                PrivatePkcs1KeyDer::from(self.der.clone()),
            ))
            .map(Signing::Rsa),
            Algorithm::Ed25519 => Ed25519Key::from_pkcs8_der(&self.der).map(Signing::Ed25519),
        }
        .map_err(|e| format!("the DKIM key cannot sign: {e}"))
    }
}

type Kept = BTreeMap<(u64, String, String, Algorithm), Arc<KeyPair>>;
static KEPT: Mutex<Kept> = Mutex::new(BTreeMap::new());

/// The key of `selector._domainkey.domain` in the world of `seed`.
pub fn key_for(seed: u64, domain: &str, selector: &str, algorithm: Algorithm) -> Arc<KeyPair> {
    let domain = domain.trim_end_matches('.').to_ascii_lowercase();
    let selector = selector.to_ascii_lowercase();
    let id = (seed, domain, selector, algorithm);
    if let Some(key) = KEPT.lock().unwrap_or_else(PoisonError::into_inner).get(&id) {
        return key.clone();
    }
    let label = format!("dkim {} {} {}", id.1, id.2, algorithm.tag());
    let bytes = crate::tls::derive_bytes(seed, &label);
    let key = Arc::new(match algorithm {
        Algorithm::Ed25519 => ed25519(bytes),
        Algorithm::Rsa => rsa(bytes),
    });
    KEPT.lock()
        .unwrap_or_else(PoisonError::into_inner)
        .entry(id)
        .or_insert(key)
        .clone()
}

fn ed25519(bytes: [u8; 32]) -> KeyPair {
    // PKCS#8 v1 for Ed25519 (RFC 8410): a fixed prefix, then the 32 bytes.
    const PREFIX: [u8; 16] = [
        0x30, 0x2e, 0x02, 0x01, 0x00, 0x30, 0x05, 0x06, 0x03, 0x2b, 0x65, 0x70, 0x04, 0x22, 0x04,
        0x20,
    ];
    let der = [&PREFIX[..], &bytes].concat();
    let public = Ed25519Key::from_pkcs8_der(&der)
        .map(|k| k.public_key())
        .unwrap_or_default();
    KeyPair {
        algorithm: Algorithm::Ed25519,
        record: format!("v=DKIM1; k=ed25519; p={}", B64.encode(public)),
        der,
    }
}

fn rsa(bytes: [u8; 32]) -> KeyPair {
    use rand_chacha_06::rand_core::SeedableRng as _;
    use rsa::pkcs1::EncodeRsaPrivateKey as _;
    use rsa::pkcs8::EncodePublicKey as _;
    let mut rng = rand_chacha_06::ChaCha20Rng::from_seed(bytes);
    let key = rsa::RsaPrivateKey::new(&mut rng, 2048);
    let der = key
        .as_ref()
        .ok()
        .and_then(|k| k.to_pkcs1_der().ok())
        .map(|d| d.as_bytes().to_vec())
        .unwrap_or_default();
    let spki = key
        .as_ref()
        .ok()
        .and_then(|k| k.to_public_key().to_public_key_der().ok())
        .map(|d| d.as_bytes().to_vec())
        .unwrap_or_default();
    KeyPair {
        algorithm: Algorithm::Rsa,
        record: format!("v=DKIM1; k=rsa; p={}", B64.encode(spki)),
        der,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn keys_depend_on_seed_domain_and_selector_only() {
        let a = key_for(1, "Example.test.", "s1", Algorithm::Ed25519);
        let b = key_for(1, "example.test", "S1", Algorithm::Ed25519);
        assert_eq!(a.record, b.record);
        assert_ne!(
            a.record,
            key_for(2, "example.test", "s1", Algorithm::Ed25519).record
        );
        assert_ne!(
            a.record,
            key_for(1, "example.test", "s2", Algorithm::Ed25519).record
        );
        assert!(a.record.starts_with("v=DKIM1; k=ed25519; p="));
        assert!(a.signing().is_ok());
    }

    #[test]
    fn rsa_keys_are_2048_bits_and_published_as_spki() {
        let k = key_for(7, "bank.test", "2026", Algorithm::Rsa);
        assert!(
            k.record
                .starts_with("v=DKIM1; k=rsa; p=MIIBIjANBgkqhkiG9w0BAQEFAAOCAQ8AMIIBCgKCAQEA")
        );
        assert!(k.signing().is_ok());
    }
}

//! OpenPGP keys drawn from the scenario seed.
//!
//! One key per (seed, address, creation time): a person added to a
//! scenario leaves every other key as it was. The key is what GnuPG 2.2
//! and 2.4 make by default for `--quick-gen-key ... future-default`: a v4
//! EdDSA (Ed25519, legacy format) primary key that certifies and signs,
//! and an ECDH Curve25519 subkey that encrypts, bound by self-signatures.
//!
//! rPGP's key builder stamps its self-signatures with the wall clock, so
//! the key is put together here from rPGP's packets and signature
//! configurations, with every creation time given: the key's is the
//! scenario's start. The key material comes from a ChaCha20 stream keyed by
//! bytes derived from the seed and the address. Keys are kept for the life
//! of the process (they are a function of their inputs).

use std::collections::BTreeMap;
use std::sync::{Arc, Mutex, PoisonError};

use pgp::composed::{
    ArmorOptions, KeyType, SignedKeyDetails, SignedPublicKey, SignedSecretKey, SignedSecretSubKey,
};
use pgp::crypto::ecc_curve::ECCCurve;
use pgp::crypto::hash::HashAlgorithm;
use pgp::crypto::public_key::PublicKeyAlgorithm;
use pgp::crypto::sym::SymmetricKeyAlgorithm;
use pgp::packet::{
    Features, KeyFlags, PacketTrait, PubKeyInner, PublicKey, PublicSubkey, SecretKey, SecretSubkey,
    SignatureConfig, SignatureType, Subpacket, SubpacketData, UserId,
};
use pgp::types::{
    CompressionAlgorithm, KeyDetails as _, KeyVersion, PacketHeaderVersion, Password, Timestamp,
};
use rand_chacha_06::ChaCha20Rng;
use rand_chacha_06::rand_core::SeedableRng as _;

/// A person's key pair, and how people name it.
#[derive(Debug)]
pub struct Keys {
    pub address: String,
    pub secret: SignedSecretKey,
    pub public: SignedPublicKey,
    /// The primary key's fingerprint, 40 upper-case hex digits (what
    /// `gpg --list-keys` shows).
    pub fingerprint: String,
    /// The encryption subkey's key id, 16 upper-case hex digits: what an
    /// encrypted message names as its recipient.
    pub encryption_key_id: String,
}

impl Keys {
    /// The public key, ASCII-armoured (`gpg --import` reads it).
    pub fn public_armored(&self) -> String {
        self.public
            .to_armored_string(ArmorOptions::default())
            .unwrap_or_default()
    }

    /// The secret key, ASCII-armoured and without a passphrase.
    pub fn secret_armored(&self) -> String {
        self.secret
            .to_armored_string(ArmorOptions::default())
            .unwrap_or_default()
    }
}

type Kept = BTreeMap<(u64, String, u32), Arc<Keys>>;
static KEPT: Mutex<Kept> = Mutex::new(BTreeMap::new());

/// The key of `address` in the world of `seed`, created at `created`
/// (Unix seconds; times past 2106 are clamped to OpenPGP's last second).
pub fn key_for(seed: u64, address: &str, created: i64) -> Result<Arc<Keys>, String> {
    let address = address.trim().to_ascii_lowercase();
    let created = u32::try_from(created.max(0)).unwrap_or(u32::MAX);
    let id = (seed, address, created);
    if let Some(key) = KEPT.lock().unwrap_or_else(PoisonError::into_inner).get(&id) {
        return Ok(key.clone());
    }
    let keys = Arc::new(generate(seed, &id.1, created).map_err(|e| e.to_string())?);
    Ok(KEPT
        .lock()
        .unwrap_or_else(PoisonError::into_inner)
        .entry(id)
        .or_insert(keys)
        .clone())
}

fn generate(seed: u64, address: &str, created: u32) -> pgp::errors::Result<Keys> {
    let mut rng = ChaCha20Rng::from_seed(crate::tls::derive_bytes(
        seed,
        &format!("openpgp key {address}"),
    ));
    let at = Timestamp::from_secs(created);
    let none = Password::empty();

    let (public, secret) = KeyType::Ed25519Legacy.generate(&mut rng)?;
    let inner = PubKeyInner::new(
        KeyVersion::V4,
        PublicKeyAlgorithm::EdDSALegacy,
        at,
        None,
        public,
    )?;
    let primary = SecretKey::new(PublicKey::from_inner(inner)?, secret)?;

    let mut flags = KeyFlags::default();
    flags.set_certify(true);
    flags.set_sign(true);
    let mut features = Features::default();
    features.set_seipd_v1(true);
    let user = UserId::from_str(PacketHeaderVersion::New, format!("<{address}>"))?;
    let config = self_signature(
        SignatureType::CertPositive,
        &primary,
        at,
        vec![
            Subpacket::regular(SubpacketData::KeyFlags(flags))?,
            Subpacket::regular(SubpacketData::Features(features))?,
            Subpacket::regular(SubpacketData::PreferredSymmetricAlgorithms(
                [SymmetricKeyAlgorithm::AES256, SymmetricKeyAlgorithm::AES128]
                    .into_iter()
                    .collect(),
            ))?,
            Subpacket::regular(SubpacketData::PreferredHashAlgorithms(
                [HashAlgorithm::Sha512, HashAlgorithm::Sha256]
                    .into_iter()
                    .collect(),
            ))?,
            Subpacket::regular(SubpacketData::PreferredCompressionAlgorithms(
                [CompressionAlgorithm::Uncompressed].into_iter().collect(),
            ))?,
            Subpacket::regular(SubpacketData::IsPrimary(true))?,
        ],
    )?;
    let certification =
        config.sign_certification(&primary, primary.public_key(), &none, user.tag(), &user)?;

    let (public, secret) = KeyType::ECDH(ECCCurve::Curve25519Legacy).generate(&mut rng)?;
    let inner = PubKeyInner::new(KeyVersion::V4, PublicKeyAlgorithm::ECDH, at, None, public)?;
    let sub = SecretSubkey::new(PublicSubkey::from_inner(inner)?, secret)?;
    let mut flags = KeyFlags::default();
    flags.set_encrypt_comms(true);
    flags.set_encrypt_storage(true);
    let config = self_signature(
        SignatureType::SubkeyBinding,
        &primary,
        at,
        vec![Subpacket::regular(SubpacketData::KeyFlags(flags))?],
    )?;
    let binding =
        config.sign_subkey_binding(&primary, primary.public_key(), &none, sub.public_key())?;
    let encryption_key_id = hex(sub.legacy_key_id().as_ref());

    let secret = SignedSecretKey::new(
        primary,
        SignedKeyDetails::new(
            vec![],
            vec![],
            vec![user.into_signed(certification)],
            vec![],
        ),
        vec![],
        vec![SignedSecretSubKey::new(sub, vec![binding])],
    );
    let public = secret.to_public_key();
    Ok(Keys {
        address: address.to_string(),
        fingerprint: hex(secret.primary_key.fingerprint().as_bytes()),
        encryption_key_id,
        public,
        secret,
    })
}

/// A self-signature of `primary` made at `at` (never the wall clock, which
/// rPGP's own key builder reads): the creation time and issuer first, then
/// `more`, and the issuer's key id unhashed, as GnuPG writes them.
fn self_signature(
    typ: SignatureType,
    primary: &SecretKey,
    at: Timestamp,
    more: Vec<Subpacket>,
) -> pgp::errors::Result<SignatureConfig> {
    let mut config =
        SignatureConfig::v4(typ, PublicKeyAlgorithm::EdDSALegacy, HashAlgorithm::Sha256);
    config.hashed_subpackets = vec![
        Subpacket::regular(SubpacketData::SignatureCreationTime(at))?,
        Subpacket::regular(SubpacketData::IssuerFingerprint(primary.fingerprint()))?,
    ];
    config.hashed_subpackets.extend(more);
    config.unhashed_subpackets = vec![Subpacket::regular(SubpacketData::IssuerKeyId(
        primary.legacy_key_id(),
    ))?];
    Ok(config)
}

/// Upper-case hex, as GnuPG prints key ids and fingerprints.
pub(super) fn hex(bytes: &[u8]) -> String {
    bytes.iter().map(|b| format!("{b:02X}")).collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn keys_depend_on_seed_and_address_only() {
        let a = key_for(1, "Bob@Friend.test", 1_767_600_000).unwrap();
        let b = key_for(1, "bob@friend.test", 1_767_600_000).unwrap();
        assert_eq!(a.fingerprint, b.fingerprint);
        assert_ne!(
            a.fingerprint,
            key_for(2, "bob@friend.test", 1_767_600_000)
                .unwrap()
                .fingerprint
        );
        assert_ne!(
            a.fingerprint,
            key_for(1, "alice@home.test", 1_767_600_000)
                .unwrap()
                .fingerprint
        );
        assert_eq!(a.fingerprint.len(), 40);
        assert_eq!(a.encryption_key_id.len(), 16);
        a.secret.verify_bindings().unwrap();
        a.public.verify_bindings().unwrap();
        assert!(
            a.public_armored()
                .starts_with("-----BEGIN PGP PUBLIC KEY BLOCK-----")
        );
        assert!(
            a.secret_armored()
                .starts_with("-----BEGIN PGP PRIVATE KEY BLOCK-----")
        );
    }

    #[test]
    fn creation_time_is_the_one_given() {
        let k = key_for(3, "carol@x.test", 1_000_000_000).unwrap();
        assert_eq!(k.secret.primary_key.created_at().as_secs(), 1_000_000_000);
    }
}

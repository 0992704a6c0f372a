//! A deterministic rustls crypto provider.
//!
//! rustls needs randomness in two places: its [`SecureRandom`] (client and
//! server randoms, session ids, ticket nonces) and the ephemeral key of each
//! key exchange. This provider takes both from one ChaCha20 generator, seeded
//! by [`seed_thread`], so a handshake replayed with the same seed produces the
//! same bytes on the wire. Everything else is ring's, minus what would need
//! randomness to sign: only Ed25519 keys are accepted (Ed25519 signatures are
//! a function of key and message), so only TLS 1.3 suites and the TLS 1.2
//! ECDSA-family suites (which Ed25519 serves) remain, and only the Ed25519
//! signature scheme is offered.
//!
//! # Why the generator is thread-local
//!
//! rustls asks for randomness through `&'static` trait objects with no
//! context, so the generator has to live in a global. A run performs all of
//! its TLS on one thread (the tokio current-thread runtime that drives the
//! simulation), in an order fixed by virtual time, so a thread-local generator
//! gives each run its own stream, unaffected by runs or tests executing in
//! parallel on other threads. Doing TLS work on another thread (say, with
//! `spawn_blocking`) would draw from that thread's generator and break
//! reproducibility. A thread that never called [`seed_thread`] uses seed 0:
//! never operating-system randomness.
//!
//! This is for a simulation only: predictable keys are the point here, and
//! they would be fatal anywhere else.

use std::cell::RefCell;
use std::sync::Arc;

use rand::{RngCore, SeedableRng};
use rand_chacha::ChaCha20Rng;
use rustls::crypto::{
    ActiveKeyExchange, CryptoProvider, GetRandomFailed, KeyProvider, SecureRandom, SharedSecret,
    SupportedKxGroup, WebPkiSupportedAlgorithms, ring,
};
use rustls::ffdhe_groups::FfdheGroup;
use rustls::pki_types::PrivateKeyDer;
use rustls::sign::SigningKey;
use rustls::{Error, NamedGroup, PeerMisbehaved, SignatureScheme, SupportedCipherSuite};
use x25519_dalek::{PublicKey, StaticSecret};

thread_local! {
    static RNG: RefCell<ChaCha20Rng> = RefCell::new(ChaCha20Rng::seed_from_u64(0));
}

/// Restarts this thread's TLS randomness from `seed`. Call it at the start of
/// a run, on the thread that will run it.
pub fn seed_thread(seed: u64) {
    RNG.with(|rng| *rng.borrow_mut() = ChaCha20Rng::seed_from_u64(seed));
}

/// Fills `buf` from this thread's generator.
fn fill_from_thread_rng(buf: &mut [u8]) {
    RNG.with(|rng| rng.borrow_mut().fill_bytes(buf));
}

/// The simulation's crypto provider: ring, with seeded randomness, X25519
/// only, and Ed25519 only. Pass it to the `builder_with_details` /
/// `builder_with_provider` constructors; never install it as the process-wide
/// default, which would hand predictable keys to unrelated code.
pub fn crypto_provider() -> Arc<CryptoProvider> {
    let ring = ring::default_provider();
    Arc::new(CryptoProvider {
        cipher_suites: ring
            .cipher_suites
            .into_iter()
            .filter(usable_with_ed25519)
            .collect(),
        kx_groups: vec![&X25519],
        signature_verification_algorithms: ed25519_only(ring.signature_verification_algorithms),
        secure_random: &ThreadRng,
        key_provider: &Ed25519Keys,
    })
}

/// Whether a server with an Ed25519 key can use `suite`. TLS 1.3 suites do
/// not depend on the key type; TLS 1.2 suites name the signatures they allow.
fn usable_with_ed25519(suite: &SupportedCipherSuite) -> bool {
    match suite {
        SupportedCipherSuite::Tls13(_) => true,
        SupportedCipherSuite::Tls12(suite) => suite.sign.contains(&SignatureScheme::ED25519),
    }
}

/// Narrows `all` to the Ed25519 scheme (for both certificates and handshake
/// signatures). ring always supports Ed25519; if it somehow did not, `all` is
/// kept as it is rather than leaving the client unable to verify anything.
fn ed25519_only(all: WebPkiSupportedAlgorithms) -> WebPkiSupportedAlgorithms {
    let Some(entry) = all
        .mapping
        .iter()
        .find(|(scheme, _)| *scheme == SignatureScheme::ED25519)
    else {
        return all;
    };
    WebPkiSupportedAlgorithms {
        all: entry.1,
        mapping: std::slice::from_ref(entry),
    }
}

/// rustls's source of random bytes: this thread's seeded generator.
#[derive(Debug)]
struct ThreadRng;

impl SecureRandom for ThreadRng {
    fn fill(&self, buf: &mut [u8]) -> Result<(), GetRandomFailed> {
        fill_from_thread_rng(buf);
        Ok(())
    }
}

/// Loads private keys, refusing any but Ed25519: RSA-PSS and ring's ECDSA
/// signatures draw operating-system randomness.
#[derive(Debug)]
struct Ed25519Keys;

impl KeyProvider for Ed25519Keys {
    fn load_private_key(&self, key: PrivateKeyDer<'static>) -> Result<Arc<dyn SigningKey>, Error> {
        match &key {
            PrivateKeyDer::Pkcs8(pkcs8) => ring::sign::any_eddsa_type(pkcs8),
            _ => Err(Error::General(
                "the simulation signs only with Ed25519 keys (PKCS#8)".into(),
            )),
        }
    }
}

/// X25519 key exchange (x25519-dalek) with the private key drawn from this
/// thread's generator.
#[derive(Debug)]
struct X25519;

impl SupportedKxGroup for X25519 {
    fn start(&self) -> Result<Box<dyn ActiveKeyExchange>, Error> {
        let mut private = [0u8; 32];
        fill_from_thread_rng(&mut private);
        let secret = StaticSecret::from(private);
        let public = PublicKey::from(&secret);
        Ok(Box::new(X25519Exchange { secret, public }))
    }

    fn ffdhe_group(&self) -> Option<FfdheGroup<'static>> {
        None
    }

    fn name(&self) -> NamedGroup {
        NamedGroup::X25519
    }
}

/// One side's half of an X25519 exchange in progress.
struct X25519Exchange {
    secret: StaticSecret,
    public: PublicKey,
}

impl ActiveKeyExchange for X25519Exchange {
    /// Rejects a peer key of the wrong length, and one of small order (which
    /// would make the shared secret all zeros, as RFC 7748 section 6.1 warns).
    fn complete(self: Box<Self>, peer_pub_key: &[u8]) -> Result<SharedSecret, Error> {
        let peer: [u8; 32] = peer_pub_key
            .try_into()
            .map_err(|_| PeerMisbehaved::InvalidKeyShare)?;
        let shared = self.secret.diffie_hellman(&PublicKey::from(peer));
        if !shared.was_contributory() {
            return Err(PeerMisbehaved::InvalidKeyShare.into());
        }
        Ok(SharedSecret::from(&shared.as_bytes()[..]))
    }

    fn pub_key(&self) -> &[u8] {
        self.public.as_bytes()
    }

    fn ffdhe_group(&self) -> Option<FfdheGroup<'static>> {
        None
    }

    fn group(&self) -> NamedGroup {
        NamedGroup::X25519
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn random_bytes() -> [u8; 16] {
        let mut buf = [0u8; 16];
        ThreadRng.fill(&mut buf).unwrap();
        buf
    }

    #[test]
    fn reseeding_replays_the_same_bytes() {
        seed_thread(7);
        let first = random_bytes();
        seed_thread(7);
        assert_eq!(random_bytes(), first);
        seed_thread(8);
        assert_ne!(random_bytes(), first);
    }

    #[test]
    fn an_unseeded_thread_uses_seed_zero() {
        let unseeded = std::thread::spawn(random_bytes).join().unwrap();
        let seeded = std::thread::spawn(|| {
            seed_thread(0);
            random_bytes()
        })
        .join()
        .unwrap();
        assert_eq!(unseeded, seeded);
    }

    #[test]
    fn x25519_both_sides_agree() {
        seed_thread(1);
        let alice = X25519.start().unwrap();
        let bob = X25519.start().unwrap();
        let bob_public = bob.pub_key().to_vec();
        let alice_secret = X25519.start_and_complete(&bob_public).unwrap();
        let bob_secret = bob.complete(&alice_secret.pub_key).unwrap();
        assert_eq!(
            alice_secret.secret.secret_bytes(),
            bob_secret.secret_bytes()
        );
        assert_ne!(alice.pub_key(), &bob_public[..]);
    }

    #[test]
    fn x25519_rejects_bad_peer_keys() {
        let short = X25519.start().unwrap().complete(&[9; 31]);
        assert!(matches!(
            short,
            Err(Error::PeerMisbehaved(PeerMisbehaved::InvalidKeyShare))
        ));
        // u = 0 is a point of small order: the shared secret would be all zeros.
        let small_order = X25519.start().unwrap().complete(&[0; 32]);
        assert!(matches!(
            small_order,
            Err(Error::PeerMisbehaved(PeerMisbehaved::InvalidKeyShare))
        ));
    }

    #[test]
    fn only_deterministic_choices_remain() {
        let provider = crypto_provider();
        assert_eq!(provider.kx_groups.len(), 1);
        assert_eq!(provider.kx_groups[0].name(), NamedGroup::X25519);
        assert_eq!(
            provider
                .signature_verification_algorithms
                .supported_schemes(),
            vec![SignatureScheme::ED25519]
        );
        assert!(provider.cipher_suites.iter().all(usable_with_ed25519));
        assert!(
            provider
                .cipher_suites
                .iter()
                .any(|suite| matches!(suite, SupportedCipherSuite::Tls13(_)))
        );
    }

    #[test]
    fn non_pkcs8_keys_are_refused() {
        let sec1 = PrivateKeyDer::Sec1(vec![0u8; 8].into());
        assert!(Ed25519Keys.load_private_key(sec1).is_err());
    }
}

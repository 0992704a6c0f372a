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
//! # Two backends, one set of bytes
//!
//! The arithmetic runs on one of two [`Backend`]s. On CPUs that graviola
//! supports (x86-64 with AVX2, ADX, BMI2, AES-NI and PCLMULQDQ; AArch64 with
//! its AES, SHA-2 and PMULL extensions), X25519 and the cipher suites' hashes
//! and AEADs are graviola's assembly, about twice as fast as the portable
//! code for the handshakes that dominate a large run. Elsewhere they are
//! ring's and x25519-dalek's. The choice is made once, at run time, and never
//! changes a byte: X25519, SHA-2, HKDF and AES-GCM are functions of their
//! inputs, the suites keep ring's order, and the randomness comes from the
//! same seeded generator. A test replays a handshake on both backends for
//! every suite and compares every byte.
//!
//! This is for a simulation only: predictable keys are the point here, and
//! they would be fatal anywhere else.

use std::cell::RefCell;
use std::sync::{Arc, OnceLock};

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

/// Where the handshake arithmetic runs (see the module's documentation).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Backend {
    /// ring and x25519-dalek: any CPU.
    Portable,
    /// graviola: the CPUs it supports.
    Fast,
}

impl Backend {
    /// The fastest backend this CPU can run, found once per process.
    pub fn detected() -> Backend {
        static DETECTED: OnceLock<Backend> = OnceLock::new();
        *DETECTED.get_or_init(|| {
            if fast::supported() {
                Backend::Fast
            } else {
                Backend::Portable
            }
        })
    }
}

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
    crypto_provider_on(Backend::detected())
}

/// [`crypto_provider`] on a chosen backend. Only tests need to choose: both
/// give the same bytes.
pub fn crypto_provider_on(backend: Backend) -> Arc<CryptoProvider> {
    let ring = ring::default_provider();
    let suites = ring.cipher_suites.into_iter().filter(usable_with_ed25519);
    let (cipher_suites, kx): (Vec<_>, &'static dyn SupportedKxGroup) = match backend {
        Backend::Portable => (suites.collect(), &X25519_PORTABLE),
        Backend::Fast => (
            suites
                .map(|suite| {
                    Some(fast::suite(suite))
                        .filter(usable_with_ed25519)
                        .unwrap_or(suite)
                })
                .collect(),
            &X25519_FAST,
        ),
    };
    Arc::new(CryptoProvider {
        cipher_suites,
        kx_groups: vec![kx],
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

/// X25519 key exchange with the private key drawn from this thread's
/// generator, computed on `backend`.
#[derive(Debug)]
struct X25519 {
    backend: Backend,
}

static X25519_PORTABLE: X25519 = X25519 {
    backend: Backend::Portable,
};
static X25519_FAST: X25519 = X25519 {
    backend: Backend::Fast,
};

impl SupportedKxGroup for X25519 {
    fn start(&self) -> Result<Box<dyn ActiveKeyExchange>, Error> {
        let mut private = [0u8; 32];
        fill_from_thread_rng(&mut private);
        let public = match self.backend {
            Backend::Portable => PublicKey::from(&StaticSecret::from(private)).to_bytes(),
            Backend::Fast => fast::x25519_public(&private),
        };
        Ok(Box::new(X25519Exchange {
            backend: self.backend,
            private,
            public,
        }))
    }

    fn ffdhe_group(&self) -> Option<FfdheGroup<'static>> {
        None
    }

    fn name(&self) -> NamedGroup {
        NamedGroup::X25519
    }
}

/// One side's half of an X25519 exchange in progress. The private key is not
/// wiped on drop: in this simulation it is predictable by design.
struct X25519Exchange {
    backend: Backend,
    private: [u8; 32],
    public: [u8; 32],
}

impl ActiveKeyExchange for X25519Exchange {
    /// Rejects a peer key of the wrong length, and one of small order (which
    /// would make the shared secret all zeros, as RFC 7748 section 6.1 warns).
    fn complete(self: Box<Self>, peer_pub_key: &[u8]) -> Result<SharedSecret, Error> {
        let peer: [u8; 32] = peer_pub_key
            .try_into()
            .map_err(|_| PeerMisbehaved::InvalidKeyShare)?;
        let shared = match self.backend {
            Backend::Portable => {
                let shared =
                    StaticSecret::from(self.private).diffie_hellman(&PublicKey::from(peer));
                shared.was_contributory().then(|| shared.to_bytes())
            }
            Backend::Fast => fast::x25519_shared(&self.private, &peer),
        };
        let shared = shared.ok_or(PeerMisbehaved::InvalidKeyShare)?;
        Ok(SharedSecret::from(&shared[..]))
    }

    fn pub_key(&self) -> &[u8] {
        &self.public
    }

    fn ffdhe_group(&self) -> Option<FfdheGroup<'static>> {
        None
    }

    fn group(&self) -> NamedGroup {
        NamedGroup::X25519
    }
}

/// The graviola backend, where graviola builds.
#[cfg(any(target_arch = "x86_64", target_arch = "aarch64"))]
mod fast {
    use graviola::key_agreement::x25519::{PublicKey, StaticPrivateKey};
    use rustls::SupportedCipherSuite;

    /// Whether this CPU has every feature graviola requires (its README's
    /// list); graviola itself does not check.
    pub fn supported() -> bool {
        #[cfg(target_arch = "x86_64")]
        {
            std::arch::is_x86_feature_detected!("aes")
                && std::arch::is_x86_feature_detected!("ssse3")
                && std::arch::is_x86_feature_detected!("avx")
                && std::arch::is_x86_feature_detected!("avx2")
                && std::arch::is_x86_feature_detected!("adx")
                && std::arch::is_x86_feature_detected!("bmi1")
                && std::arch::is_x86_feature_detected!("bmi2")
                && std::arch::is_x86_feature_detected!("pclmulqdq")
        }
        #[cfg(target_arch = "aarch64")]
        {
            std::arch::is_aarch64_feature_detected!("aes")
                && std::arch::is_aarch64_feature_detected!("sha2")
                && std::arch::is_aarch64_feature_detected!("pmull")
                && std::arch::is_aarch64_feature_detected!("neon")
        }
    }

    pub fn x25519_public(private: &[u8; 32]) -> [u8; 32] {
        StaticPrivateKey::from_array(private)
            .public_key()
            .as_bytes()
    }

    /// The shared secret, or `None` when it is all zeros (a peer key of
    /// small order).
    pub fn x25519_shared(private: &[u8; 32], peer: &[u8; 32]) -> Option<[u8; 32]> {
        StaticPrivateKey::from_array(private)
            .diffie_hellman(&PublicKey::from_array(peer))
            .ok()
            .map(|shared| shared.as_bytes())
    }

    /// graviola's implementation of `suite`, or `suite` itself if graviola
    /// has none. (graviola's TLS 1.2 suites name only ECDSA signatures, so
    /// the caller keeps ring's for those: the servers here sign with Ed25519.)
    pub fn suite(suite: SupportedCipherSuite) -> SupportedCipherSuite {
        rustls_graviola::suites::ALL_CIPHER_SUITES
            .iter()
            .find(|fast| fast.suite() == suite.suite())
            .copied()
            .unwrap_or(suite)
    }
}

/// Where graviola does not build, the fast backend is never detected; these
/// keep the calls compiling.
#[cfg(not(any(target_arch = "x86_64", target_arch = "aarch64")))]
mod fast {
    use rustls::SupportedCipherSuite;

    pub fn supported() -> bool {
        false
    }

    pub fn x25519_public(private: &[u8; 32]) -> [u8; 32] {
        super::PublicKey::from(&super::StaticSecret::from(*private)).to_bytes()
    }

    pub fn x25519_shared(private: &[u8; 32], peer: &[u8; 32]) -> Option<[u8; 32]> {
        let shared =
            super::StaticSecret::from(*private).diffie_hellman(&super::PublicKey::from(*peer));
        shared.was_contributory().then(|| shared.to_bytes())
    }

    pub fn suite(suite: SupportedCipherSuite) -> SupportedCipherSuite {
        suite
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
        let alice = X25519_PORTABLE.start().unwrap();
        let bob = X25519_PORTABLE.start().unwrap();
        let bob_public = bob.pub_key().to_vec();
        let alice_secret = X25519_PORTABLE.start_and_complete(&bob_public).unwrap();
        let bob_secret = bob.complete(&alice_secret.pub_key).unwrap();
        assert_eq!(
            alice_secret.secret.secret_bytes(),
            bob_secret.secret_bytes()
        );
        assert_ne!(alice.pub_key(), &bob_public[..]);
    }

    #[test]
    fn x25519_rejects_bad_peer_keys() {
        for group in [&X25519_PORTABLE, &X25519_FAST] {
            let short = group.start().unwrap().complete(&[9; 31]);
            assert!(matches!(
                short,
                Err(Error::PeerMisbehaved(PeerMisbehaved::InvalidKeyShare))
            ));
            // u = 0 and u = 1 are points of small order: the shared secret
            // would be all zeros.
            for small_order in [[0; 32], one()] {
                let shared = group.start().unwrap().complete(&small_order);
                assert!(
                    matches!(
                        shared,
                        Err(Error::PeerMisbehaved(PeerMisbehaved::InvalidKeyShare))
                    ),
                    "{:?}",
                    group.backend
                );
            }
        }
    }

    fn one() -> [u8; 32] {
        let mut one = [0; 32];
        one[0] = 1;
        one
    }

    /// RFC 7748 section 5.2's first test vector, and a thousand seeded keys,
    /// give the same public keys and shared secrets on both backends.
    #[test]
    fn both_backends_compute_the_same_x25519() {
        if Backend::detected() == Backend::Portable {
            return;
        }
        let hex = |s: &str| -> [u8; 32] {
            let bytes: Vec<u8> = (0..s.len())
                .step_by(2)
                .map(|i| u8::from_str_radix(&s[i..i + 2], 16).unwrap())
                .collect();
            bytes.try_into().unwrap()
        };
        let scalar = hex("a546e36bf0527c9d3b16154b82465edd62144c0ac1fc5a18506a2244ba449ac4");
        let u = hex("e6db6867583030db3594c1a424b15f7c726624ec26b3353b10a903a6d0ab1c4c");
        let expected = hex("c3da55379de9c6908e94ea4df28d084f32eccf03491c71f754b4075577a28552");
        assert_eq!(fast::x25519_shared(&scalar, &u), Some(expected));
        assert_eq!(
            StaticSecret::from(scalar)
                .diffie_hellman(&PublicKey::from(u))
                .to_bytes(),
            expected
        );
        seed_thread(11);
        for _ in 0..1000 {
            let mut a = [0u8; 32];
            let mut b = [0u8; 32];
            fill_from_thread_rng(&mut a);
            fill_from_thread_rng(&mut b);
            let portable = PublicKey::from(&StaticSecret::from(b)).to_bytes();
            assert_eq!(fast::x25519_public(&b), portable);
            let shared = StaticSecret::from(a)
                .diffie_hellman(&PublicKey::from(portable))
                .to_bytes();
            assert_eq!(fast::x25519_shared(&a, &portable), Some(shared));
        }
    }

    /// Every byte both sides send in a full handshake, a resumed one and a
    /// line of data each way, for one suite on one backend.
    fn handshake_bytes(backend: Backend, suite: SupportedCipherSuite) -> Vec<u8> {
        use rustls::pki_types::{ServerName, UnixTime};
        use rustls::time_provider::TimeProvider;
        use rustls::{ClientConfig, ClientConnection, RootCertStore, ServerConfig};
        use std::io::{Read, Write};

        #[derive(Debug)]
        struct Fixed;
        impl TimeProvider for Fixed {
            fn current_time(&self) -> Option<UnixTime> {
                Some(UnixTime::since_unix_epoch(std::time::Duration::from_secs(
                    1_767_225_600,
                )))
            }
        }

        seed_thread(3);
        let pki = crate::tls::pki::Pki::new(3, 1_767_225_600);
        let mut provider = (*crypto_provider_on(backend)).clone();
        provider
            .cipher_suites
            .retain(|s| s.suite() == suite.suite());
        let provider = Arc::new(provider);
        let versions: &[&rustls::SupportedProtocolVersion] = match suite {
            SupportedCipherSuite::Tls13(_) => &[&rustls::version::TLS13],
            SupportedCipherSuite::Tls12(_) => &[&rustls::version::TLS12],
        };
        let (chain, key) = pki
            .issue("mx.example.test", crate::scenario::Certificate::Valid)
            .unwrap();
        let mut server = ServerConfig::builder_with_details(provider.clone(), Arc::new(Fixed))
            .with_protocol_versions(versions)
            .unwrap()
            .with_no_client_auth()
            .with_single_cert(chain, key)
            .unwrap();
        server.send_tls13_tickets = 1;
        let server = Arc::new(server);
        let mut roots = RootCertStore::empty();
        roots.add(pki.ca_der().clone()).unwrap();
        let client = Arc::new(
            ClientConfig::builder_with_details(provider, Arc::new(Fixed))
                .with_protocol_versions(versions)
                .unwrap()
                .with_root_certificates(roots)
                .with_no_client_auth(),
        );

        let mut wire = Vec::new();
        for _ in 0..2 {
            let name = ServerName::try_from("mx.example.test").unwrap();
            let mut c = ClientConnection::new(client.clone(), name).unwrap();
            let mut s = rustls::ServerConnection::new(server.clone()).unwrap();
            c.writer().write_all(b"EHLO client.test\r\n").unwrap();
            s.writer().write_all(b"220 mx.example.test\r\n").unwrap();
            for _ in 0..10 {
                let mut buf = Vec::new();
                c.write_tls(&mut buf).unwrap();
                s.read_tls(&mut &buf[..]).unwrap();
                s.process_new_packets().unwrap();
                wire.extend_from_slice(&buf);
                let mut buf = Vec::new();
                s.write_tls(&mut buf).unwrap();
                c.read_tls(&mut &buf[..]).unwrap();
                c.process_new_packets().unwrap();
                wire.extend_from_slice(&buf);
            }
            assert!(!c.is_handshaking() && !s.is_handshaking());
            let mut line = Vec::new();
            s.reader().read_to_end(&mut line).ok();
            assert_eq!(line, b"EHLO client.test\r\n");
            line.clear();
            c.reader().read_to_end(&mut line).ok();
            assert_eq!(line, b"220 mx.example.test\r\n");
        }
        wire
    }

    /// The fast backend changes no byte: for every suite, a full and a
    /// resumed handshake and data each way are identical on both backends.
    #[test]
    fn both_backends_put_the_same_bytes_on_the_wire() {
        if Backend::detected() == Backend::Portable {
            return;
        }
        let suites = crypto_provider_on(Backend::Portable).cipher_suites.clone();
        assert!(suites.len() >= 5, "{suites:?}");
        for suite in suites {
            let portable = handshake_bytes(Backend::Portable, suite);
            let fast = handshake_bytes(Backend::Fast, suite);
            assert!(portable.len() > 1000, "{suite:?}");
            assert!(portable == fast, "{suite:?} differs between the backends");
        }
    }

    #[test]
    fn the_fast_backend_keeps_ring_s_suite_order() {
        let names = |backend| -> Vec<_> {
            crypto_provider_on(backend)
                .cipher_suites
                .iter()
                .map(|s| s.suite())
                .collect()
        };
        assert_eq!(names(Backend::Fast), names(Backend::Portable));
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

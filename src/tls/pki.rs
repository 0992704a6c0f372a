//! The simulation's certificate authority.
//!
//! Every server in a scenario presents a certificate chosen by its
//! `certificate` setting ([`Certificate`]). [`Pki`] issues them, and the client
//! side ([`super::verify`]) trusts its CA as the only root, the way a real mail
//! client trusts the CAs shipped with its operating system.
//!
//! Everything is a function of the scenario seed and start date, never of the
//! machine: keys are Ed25519, derived from (seed, name); serial numbers are
//! derived too; validity periods are set relative to the scenario's start.
//! Issuing is deterministic and cheap (one Ed25519 signature), so
//! certificates are issued on demand rather than cached.
//!
//! | kind | signed by | names | valid |
//! |------|-----------|-------|-------|
//! | CA | itself | "mailhop simulation CA" | start - 5 years .. start + 10 years |
//! | `Valid` | the CA | the host | start - 30 days .. start + 365 days |
//! | `Expired` | the CA | the host | start - 400 days .. start - 35 days |
//! | `WrongName` | the CA | [`WRONG_NAME`] | start - 30 days .. start + 365 days |
//! | `SelfSigned` | the host's own key | the host | start - 30 days .. start + 365 days |

use std::fmt;
use std::sync::Arc;
use std::time::Duration;

use rand::{RngCore, SeedableRng};
use rand_chacha::ChaCha20Rng;
use rcgen::{
    BasicConstraints, CertificateParams, CertifiedIssuer, DistinguishedName, DnType,
    ExtendedKeyUsagePurpose, IsCa, KeyPair, KeyUsagePurpose, PKCS_ED25519, SerialNumber,
    date_time_ymd,
};
use rustls::ServerConfig;
use rustls::pki_types::{CertificateDer, PrivateKeyDer, PrivatePkcs8KeyDer};
use rustls::server::ServerSessionMemoryCache;
use rustls::time_provider::TimeProvider;

use super::provider::crypto_provider;
use crate::scenario::Certificate;

/// Name of the simulation's certificate authority (its CN and O).
pub const CA_NAME: &str = "mailhop simulation CA";

/// The name a `WrongName` certificate is issued for. `.invalid` is a
/// top-level domain reserved never to exist (RFC 2606), so it can never be the
/// name a client asked for.
pub const WRONG_NAME: &str = "wrong-name.invalid";

/// Sessions a server remembers for resumption; the oldest is forgotten first.
const SESSIONS_PER_SERVER: usize = 4096;
const DAY: i64 = 86_400;
const YEAR: i64 = 365 * DAY;

/// Bounds of the dates a certificate can carry (0001-01-01 ..
/// 9999-12-31T23:59:59Z); validity periods are clamped to them.
const EARLIEST_UNIX: i64 = -62_135_596_800;
const LATEST_UNIX: i64 = 253_402_300_799;

/// DER of a PKCS#8 v1 Ed25519 private key, minus the final 32 seed bytes.
const ED25519_PKCS8_PREFIX: [u8; 16] = [
    0x30, 0x2e, 0x02, 0x01, 0x00, 0x30, 0x05, 0x06, 0x03, 0x2b, 0x65, 0x70, 0x04, 0x22, 0x04, 0x20,
];

/// The in-simulation certificate authority: a CA plus the server certificates
/// it issues.
pub struct Pki {
    seed: u64,
    start_unix: i64,
    ca: CertifiedIssuer<'static, KeyPair>,
}

/// Shows the inputs, not the CA's private key.
impl fmt::Debug for Pki {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Pki")
            .field("seed", &self.seed)
            .field("start_unix", &self.start_unix)
            .finish_non_exhaustive()
    }
}

impl Pki {
    /// Creates the CA of a run. `start_unix` is the scenario's start (virtual
    /// time zero) in Unix seconds; validity periods are placed around it.
    pub fn new(seed: u64, start_unix: i64) -> Pki {
        let mut params = CertificateParams::default();
        params.distinguished_name = distinguished_name(CA_NAME, Some(CA_NAME));
        params.is_ca = IsCa::Ca(BasicConstraints::Unconstrained);
        params.key_usages = vec![
            KeyUsagePurpose::KeyCertSign,
            KeyUsagePurpose::CrlSign,
            KeyUsagePurpose::DigitalSignature,
        ];
        params.serial_number = Some(SerialNumber::from(1));
        set_validity(
            &mut params,
            start_unix.saturating_sub(5 * YEAR),
            start_unix.saturating_add(10 * YEAR),
        );
        let ca = CertifiedIssuer::self_signed(params, ed25519_key(seed, "ca key"))
            .expect("fixed names, clamped dates and an Ed25519 key always make a certificate");
        Pki {
            seed,
            start_unix,
            ca,
        }
    }

    /// The CA certificate (DER): the only root the simulated clients trust.
    pub fn ca_der(&self) -> &CertificateDer<'static> {
        self.ca.der()
    }

    /// The CA certificate as PEM, for students to inspect (e.g. with openssl).
    pub fn ca_pem(&self) -> String {
        self.ca.pem()
    }

    /// The TLS configuration of server `host` presenting a certificate of
    /// kind `cert`, with `time` (virtual time) as its clock.
    ///
    /// The server remembers sessions and gives the client one ticket after
    /// each handshake (stateful TLS 1.3 tickets, RFC 8446 section 4.6.1, and
    /// TLS 1.2 session ids): a client that comes back with it resumes
    /// without a certificate being sent, as Postfix's TLS session cache
    /// allows. The ticket's id comes from the seeded provider, so runs stay
    /// identical.
    ///
    /// Fails if `host` cannot be put in a certificate (for example, non-ASCII
    /// characters: certificates carry names in their punycode `xn--` form).
    pub fn server_config(
        &self,
        host: &str,
        cert: Certificate,
        time: Arc<dyn TimeProvider>,
    ) -> Result<Arc<ServerConfig>, rustls::Error> {
        self.server_config_named(host, &[], cert, time)
    }

    /// [`Pki::server_config`] for a server known by more names than `host`:
    /// a valid or expired certificate names them all (subject alternative
    /// names), as one certificate serves `mail.example.test`,
    /// `imap.example.test` and `autoconfig.example.test` on a real host.
    pub fn server_config_named(
        &self,
        host: &str,
        aliases: &[String],
        cert: Certificate,
        time: Arc<dyn TimeProvider>,
    ) -> Result<Arc<ServerConfig>, rustls::Error> {
        let (chain, key) = self.issue_named(host, aliases, cert).map_err(|err| {
            rustls::Error::General(format!("cannot issue a certificate for {host:?}: {err}"))
        })?;
        let mut config = ServerConfig::builder_with_details(crypto_provider(), time)
            .with_safe_default_protocol_versions()?
            .with_no_client_auth()
            .with_single_cert(chain, key)?;
        config.send_tls13_tickets = 1;
        config.session_storage = ServerSessionMemoryCache::new(SESSIONS_PER_SERVER);
        Ok(Arc::new(config))
    }

    /// The certificate server `host` (known also by `aliases`) presents
    /// for a certificate of kind `cert`: the same bytes its TLS
    /// configuration sends, since issuing is deterministic. For DNS records
    /// that describe it (DANE).
    pub fn certificate(
        &self,
        host: &str,
        aliases: &[String],
        cert: Certificate,
    ) -> Result<CertificateDer<'static>, rcgen::Error> {
        let (mut chain, _) = self.issue_named(host, aliases, cert)?;
        Ok(chain.remove(0))
    }

    /// The certificate chain (just the server's certificate: clients hold
    /// the CA already) and private key of `host` for a certificate of kind `cert`.
    #[cfg(test)]
    pub(crate) fn issue(
        &self,
        host: &str,
        cert: Certificate,
    ) -> Result<(Vec<CertificateDer<'static>>, PrivateKeyDer<'static>), rcgen::Error> {
        self.issue_named(host, &[], cert)
    }

    /// [`Pki::issue`], with `aliases` named beside `host`.
    fn issue_named(
        &self,
        host: &str,
        aliases: &[String],
        cert: Certificate,
    ) -> Result<(Vec<CertificateDer<'static>>, PrivateKeyDer<'static>), rcgen::Error> {
        let key = ed25519_key(self.seed, &format!("host key {host}"));
        let params = self.server_params(host, aliases, cert)?;
        let issued = match cert {
            Certificate::SelfSigned => params.self_signed(&key)?,
            Certificate::Valid | Certificate::Expired | Certificate::WrongName => {
                params.signed_by(&key, &self.ca)?
            }
        };
        let key_der = PrivatePkcs8KeyDer::from(key.serialize_der());
        Ok((vec![issued.der().clone()], key_der.into()))
    }

    /// Names, dates, serial and usage of `host`'s certificate of kind `cert`.
    fn server_params(
        &self,
        host: &str,
        aliases: &[String],
        cert: Certificate,
    ) -> Result<CertificateParams, rcgen::Error> {
        let (name, others) = match cert {
            Certificate::WrongName => (WRONG_NAME, &[][..]),
            Certificate::Valid | Certificate::Expired | Certificate::SelfSigned => (host, aliases),
        };
        let names: Vec<String> = std::iter::once(name.to_owned())
            .chain(
                others
                    .iter()
                    .map(|a| a.trim_end_matches('.').to_ascii_lowercase()),
            )
            .collect();
        let mut params = CertificateParams::new(names)?;
        params.distinguished_name = distinguished_name(name, None);
        params.key_usages = vec![KeyUsagePurpose::DigitalSignature];
        params.extended_key_usages = vec![ExtendedKeyUsagePurpose::ServerAuth];
        params.serial_number = Some(self.serial(host, cert));
        let start = self.start_unix;
        let (not_before, not_after) = match cert {
            Certificate::Expired => (
                start.saturating_sub(400 * DAY),
                start.saturating_sub(35 * DAY),
            ),
            Certificate::Valid | Certificate::WrongName | Certificate::SelfSigned => (
                start.saturating_sub(30 * DAY),
                start.saturating_add(365 * DAY),
            ),
        };
        set_validity(&mut params, not_before, not_after);
        Ok(params)
    }

    /// A serial number derived from (seed, host, kind); never zero.
    fn serial(&self, host: &str, cert: Certificate) -> SerialNumber {
        let bytes = derive(self.seed, &format!("serial {host} {cert:?}"));
        let mut first = [0u8; 8];
        first.copy_from_slice(&bytes[..8]);
        SerialNumber::from(u64::from_le_bytes(first).max(1))
    }
}

/// A distinguished name with common name `cn` and, optionally, organization `o`.
fn distinguished_name(cn: &str, o: Option<&str>) -> DistinguishedName {
    let mut name = DistinguishedName::new();
    name.push(DnType::CommonName, cn);
    if let Some(o) = o {
        name.push(DnType::OrganizationName, o);
    }
    name
}

/// Sets a validity period given in Unix seconds, clamped to the dates a
/// certificate can carry (so no start date, however odd, can fail here).
fn set_validity(params: &mut CertificateParams, not_before: i64, not_after: i64) {
    let date = |unix: i64| {
        let unix = unix.clamp(EARLIEST_UNIX, LATEST_UNIX);
        let epoch = date_time_ymd(1970, 1, 1);
        let offset = Duration::from_secs(unix.unsigned_abs());
        if unix < 0 {
            epoch - offset
        } else {
            epoch + offset
        }
    };
    params.not_before = date(not_before);
    params.not_after = date(not_after);
}

/// The Ed25519 key derived from (seed, label).
fn ed25519_key(seed: u64, label: &str) -> KeyPair {
    let der = [&ED25519_PKCS8_PREFIX[..], &derive(seed, label)].concat();
    KeyPair::from_pkcs8_der_and_sign_algo(&PrivatePkcs8KeyDer::from(der), &PKCS_ED25519)
        .expect("any 32 bytes are a valid Ed25519 private key")
}

/// 32 bytes derived from (seed, label), using ChaCha20 as a keyed mixer: the
/// state starts as (seed, label length) and absorbs the label 16 bytes at a
/// time, each step replacing the state with the first output block of ChaCha20
/// keyed by it. Labels of different lengths start from different states, so
/// zero padding of the last block cannot make two labels collide.
pub(crate) fn derive(seed: u64, label: &str) -> [u8; 32] {
    let bytes = label.as_bytes();
    let mut state = [0u8; 32];
    state[..8].copy_from_slice(&seed.to_le_bytes());
    state[8..16].copy_from_slice(&(bytes.len() as u64).to_le_bytes());
    for chunk in bytes.chunks(16) {
        for (byte, input) in state[16..].iter_mut().zip(chunk) {
            *byte ^= input;
        }
        state = chacha_block(state);
    }
    chacha_block(state)
}

/// The first 32 bytes of ChaCha20's keystream under `key`.
fn chacha_block(key: [u8; 32]) -> [u8; 32] {
    let mut out = [0u8; 32];
    ChaCha20Rng::from_seed(key).fill_bytes(&mut out);
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::tls::dates::Date;

    const START: i64 = 1_735_689_600; // 2025-01-01

    fn leaf(pki: &Pki, host: &str, cert: Certificate) -> Vec<u8> {
        pki.issue(host, cert).unwrap().0[0].to_vec()
    }

    #[test]
    fn same_seed_same_certificates() {
        let (a, b) = (Pki::new(5, START), Pki::new(5, START));
        assert_eq!(a.ca_der(), b.ca_der());
        for cert in [Certificate::Valid, Certificate::SelfSigned] {
            assert_eq!(leaf(&a, "mx.a.test", cert), leaf(&b, "mx.a.test", cert));
        }
        assert_ne!(a.ca_der(), Pki::new(6, START).ca_der());
    }

    #[test]
    fn each_host_has_its_own_key_and_kinds_share_it() {
        let pki = Pki::new(1, START);
        let key = |host: &str, cert| pki.issue(host, cert).unwrap().1.secret_der().to_vec();
        assert_eq!(
            key("mx.a.test", Certificate::Valid),
            key("mx.a.test", Certificate::SelfSigned)
        );
        assert_ne!(
            key("mx.a.test", Certificate::Valid),
            key("mx.b.test", Certificate::Valid)
        );
    }

    #[test]
    fn validity_periods_follow_the_start_date() {
        let pki = Pki::new(1, START);
        let until = |cert| Date::not_after(&leaf(&pki, "mx.a.test", cert)).unwrap();
        assert_eq!(until(Certificate::Valid).to_string(), "2026-01-01");
        assert_eq!(until(Certificate::Expired).to_string(), "2024-11-27");
        assert_eq!(
            Date::not_after(pki.ca_der()).unwrap().to_string(),
            "2034-12-30"
        );
        assert!(pki.ca_pem().starts_with("-----BEGIN CERTIFICATE-----"));
    }

    #[test]
    fn extreme_start_dates_are_clamped_not_fatal() {
        let pki = Pki::new(1, i64::MAX);
        assert_eq!(
            Date::not_after(pki.ca_der()).unwrap().to_string(),
            "9999-12-31"
        );
        assert!(
            Pki::new(1, i64::MIN)
                .issue("mx.a.test", Certificate::Expired)
                .is_ok()
        );
    }

    #[test]
    fn unusable_host_names_are_errors() {
        let pki = Pki::new(1, START);
        let time: Arc<dyn TimeProvider> =
            Arc::new(crate::tls::VirtualTime::new(Arc::new(|| START as u64)));
        assert!(
            pki.server_config("mx.exämple.test", Certificate::Valid, time)
                .is_err()
        );
    }

    #[test]
    fn aliases_are_named_beside_the_host_but_not_on_a_wrong_name() {
        let pki = Pki::new(1, START);
        let aliases = ["IMAP.a.test.".to_string()];
        let named = |cert| pki.issue_named("mx.a.test", &aliases, cert).unwrap().0[0].to_vec();
        let has = |der: &[u8], name: &[u8]| der.windows(name.len()).any(|w| w == name);
        let valid = named(Certificate::Valid);
        assert!(has(&valid, b"mx.a.test") && has(&valid, b"imap.a.test"));
        assert!(!has(&named(Certificate::WrongName), b"imap.a.test"));
        assert_eq!(
            pki.issue_named("mx.a.test", &[], Certificate::Valid)
                .unwrap()
                .0,
            pki.issue("mx.a.test", Certificate::Valid).unwrap().0
        );
    }

    #[test]
    fn derive_separates_seeds_and_labels() {
        assert_eq!(derive(1, "a"), derive(1, "a"));
        assert_ne!(derive(1, "a"), derive(2, "a"));
        assert_ne!(derive(1, "a"), derive(1, "a\0"));
        assert_ne!(derive(1, ""), derive(1, "\0"));
    }
}

//! The client side of STARTTLS: checking the server's certificate.
//!
//! Real SMTP has two habits. Mail clients talking to their own server check
//! the certificate and refuse a bad one ([`ClientVerify::Authenticate`]).
//! Servers relaying to other servers usually encrypt without checking
//! ([`ClientVerify::Opportunistic`]): any certificate is accepted, which stops
//! eavesdroppers but not impostors.
//!
//! To teach the difference, the verifier always runs the full check (the
//! simulation CA as the only trusted root, virtual time as "now") and reports
//! the outcome in a [`ServerAuth`], whatever the mode. Only Authenticate mode
//! acts on it. In both modes the server must still prove it holds the key of
//! the certificate it sent: the handshake signature is verified either way.

use std::collections::BTreeMap;
use std::sync::{Arc, Mutex, MutexGuard, PoisonError};

use rustls::client::danger::{HandshakeSignatureValid, ServerCertVerified, ServerCertVerifier};
use rustls::client::{ClientSessionStore, Resumption, WebPkiServerVerifier};
use rustls::crypto::CryptoProvider;
use rustls::pki_types::{CertificateDer, ServerName, UnixTime};
use rustls::time_provider::TimeProvider;
use rustls::{
    CertificateError, ClientConfig, DigitallySignedStruct, Error, RootCertStore, SignatureScheme,
};

use super::dates::Date;
use super::pki::{CA_NAME, Pki};
use super::provider::crypto_provider;

/// Whether a client insists on a valid certificate.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub enum ClientVerify {
    /// Check the certificate and abort the handshake if it is bad.
    Authenticate,
    /// Encrypt whatever the certificate: opportunistic STARTTLS.
    Opportunistic,
}

impl ClientVerify {
    /// `Authenticate` when the node checks certificates, else `Opportunistic`.
    pub fn checking(check: bool) -> Self {
        if check {
            ClientVerify::Authenticate
        } else {
            ClientVerify::Opportunistic
        }
    }
}

/// What the client learned about the server's identity during a handshake.
///
/// This records the certificate check only. The handshake can still fail
/// after it (say, the server cannot prove it holds the certificate's key), so
/// read it together with the handshake's result.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ServerAuth {
    /// Whether the client checked the certificate and it passed.
    pub authenticated: bool,
    /// One plain-English sentence for the trace.
    pub reason: String,
}

/// Where a client configuration's verifier leaves its [`ServerAuth`].
///
/// The slot belongs to one [`ClientConfig`] and keeps the last result for
/// each server name, so one configuration can serve many connections (as
/// session resumption needs): read it by name once a handshake has finished
/// (or failed). Handshakes to the same name check the same certificate.
#[derive(Debug, Clone, Default)]
pub struct ServerAuthSlot(Arc<Mutex<Results>>);

#[derive(Debug, Default)]
struct Results {
    last: Option<ServerAuth>,
    by_name: BTreeMap<String, ServerAuth>,
}

impl ServerAuthSlot {
    /// Removes and returns the last result.
    pub fn take(&self) -> Option<ServerAuth> {
        self.lock().last.take()
    }

    /// Returns a copy of the last result, leaving it in place.
    pub fn get(&self) -> Option<ServerAuth> {
        self.lock().last.clone()
    }

    /// The last result for `server_name`.
    pub fn get_for(&self, server_name: &str) -> Option<ServerAuth> {
        self.lock().by_name.get(server_name).cloned()
    }

    fn set(&self, server_name: String, auth: ServerAuth) {
        let mut results = self.lock();
        results.last = Some(auth.clone());
        results.by_name.insert(server_name, auth);
    }

    /// The slot's contents; a panic elsewhere while holding the lock cannot
    /// leave the results half-written, so poisoning is ignored.
    fn lock(&self) -> MutexGuard<'_, Results> {
        self.0.lock().unwrap_or_else(PoisonError::into_inner)
    }
}

/// A client configuration that trusts `pki`'s CA, checks certificates against
/// `time` (virtual time) and acts as `mode` says, plus the slot where each
/// handshake's [`ServerAuth`] lands.
///
/// Session resumption is off, so every connection does a full handshake and
/// fills the slot. [`client_config_resuming`] is the same with a session
/// store.
pub fn client_config(
    pki: &Pki,
    mode: ClientVerify,
    time: Arc<dyn TimeProvider>,
) -> (Arc<ClientConfig>, ServerAuthSlot) {
    client_config_resuming(pki, mode, time, None)
}

/// A client configuration as [`client_config`] gives, resuming TLS sessions
/// (RFC 8446 section 2.2) from `sessions` when given one: a client that
/// keeps one store across its connections sends the server its ticket and,
/// when the server takes it, does an abbreviated handshake in which no
/// certificate is sent, so the slot is not filled again (the client trusts
/// the session because of the check it made the first time). rustls resumes
/// only with the configuration that made the session: keep one per client.
pub fn client_config_resuming(
    pki: &Pki,
    mode: ClientVerify,
    time: Arc<dyn TimeProvider>,
    sessions: Option<Arc<dyn ClientSessionStore>>,
) -> (Arc<ClientConfig>, ServerAuthSlot) {
    let provider = crypto_provider();
    let slot = ServerAuthSlot::default();
    let verifier = SimulationVerifier {
        webpki: webpki_verifier(pki, provider.clone()),
        mode,
        slot: slot.clone(),
    };
    let mut config = ClientConfig::builder_with_details(provider, time)
        .with_safe_default_protocol_versions()
        .expect("the simulation provider has TLS 1.3 and TLS 1.2 suites")
        .dangerous()
        .with_custom_certificate_verifier(Arc::new(verifier))
        .with_no_client_auth();
    config.resumption = match sessions {
        Some(store) => Resumption::store(store),
        None => Resumption::disabled(),
    };
    (Arc::new(config), slot)
}

/// The standard rustls verifier with `pki`'s CA as the only root.
fn webpki_verifier(pki: &Pki, provider: Arc<CryptoProvider>) -> Arc<WebPkiServerVerifier> {
    let mut roots = RootCertStore::empty();
    roots
        .add(pki.ca_der().clone())
        .expect("rcgen's CA certificate is well-formed");
    WebPkiServerVerifier::builder_with_provider(Arc::new(roots), provider)
        .build()
        .expect("a verifier with one root and no revocation lists always builds")
}

/// Runs the real check, records it, and in Opportunistic mode overrules it.
#[derive(Debug)]
struct SimulationVerifier {
    webpki: Arc<WebPkiServerVerifier>,
    mode: ClientVerify,
    slot: ServerAuthSlot,
}

impl ServerCertVerifier for SimulationVerifier {
    fn verify_server_cert(
        &self,
        end_entity: &CertificateDer<'_>,
        intermediates: &[CertificateDer<'_>],
        server_name: &ServerName<'_>,
        ocsp_response: &[u8],
        now: UnixTime,
    ) -> Result<ServerCertVerified, Error> {
        let truth = self.webpki.verify_server_cert(
            end_entity,
            intermediates,
            server_name,
            ocsp_response,
            now,
        );
        let (auth, result) = judge(self.mode, truth, end_entity, server_name);
        self.slot.set(server_name.to_str().into_owned(), auth);
        result
    }

    fn verify_tls12_signature(
        &self,
        message: &[u8],
        cert: &CertificateDer<'_>,
        dss: &DigitallySignedStruct,
    ) -> Result<HandshakeSignatureValid, Error> {
        self.webpki.verify_tls12_signature(message, cert, dss)
    }

    fn verify_tls13_signature(
        &self,
        message: &[u8],
        cert: &CertificateDer<'_>,
        dss: &DigitallySignedStruct,
    ) -> Result<HandshakeSignatureValid, Error> {
        self.webpki.verify_tls13_signature(message, cert, dss)
    }

    fn supported_verify_schemes(&self) -> Vec<SignatureScheme> {
        self.webpki.supported_verify_schemes()
    }
}

/// What `mode` makes of the real check's outcome `truth`: the record for the
/// trace, and the verdict for rustls.
fn judge(
    mode: ClientVerify,
    truth: Result<ServerCertVerified, Error>,
    end_entity: &CertificateDer<'_>,
    server_name: &ServerName<'_>,
) -> (ServerAuth, Result<ServerCertVerified, Error>) {
    let (authenticated, reason, verdict) = match (mode, truth) {
        (ClientVerify::Authenticate, Ok(verified)) => {
            (true, passed(end_entity, server_name), Ok(verified))
        }
        (ClientVerify::Authenticate, Err(err)) => (false, failed(&err, server_name), Err(err)),
        (ClientVerify::Opportunistic, truth) => {
            let would_have = match truth {
                Ok(_) => "passed".to_owned(),
                Err(err) => format!("failed: {}", failed(&err, server_name)),
            };
            let reason = format!(
                "opportunistic STARTTLS: the certificate was not checked (it would have {would_have})"
            );
            (false, reason, Ok(ServerCertVerified::assertion()))
        }
    };
    let auth = ServerAuth {
        authenticated,
        reason,
    };
    (auth, verdict)
}

/// "certificate for mx.example.test issued by the mailhop simulation CA, valid until 2027-01-05"
fn passed(end_entity: &CertificateDer<'_>, server_name: &ServerName<'_>) -> String {
    let host = server_name.to_str();
    match Date::not_after(end_entity) {
        Some(until) => {
            format!("certificate for {host} issued by the {CA_NAME}, valid until {until}")
        }
        None => format!("certificate for {host} issued by the {CA_NAME}"),
    }
}

/// Why the certificate check failed, in a short sentence.
fn failed(err: &Error, server_name: &ServerName<'_>) -> String {
    let host = server_name.to_str();
    let Error::InvalidCertificate(cert_err) = err else {
        return format!("certificate rejected: {err}");
    };
    match cert_err {
        CertificateError::ExpiredContext { time, not_after } => format!(
            "certificate expired on {} (simulated date: {})",
            Date::from_unix(*not_after),
            Date::from_unix(*time)
        ),
        CertificateError::Expired => "certificate expired".to_owned(),
        CertificateError::NotValidYetContext { time, not_before } => format!(
            "certificate not valid before {} (simulated date: {})",
            Date::from_unix(*not_before),
            Date::from_unix(*time)
        ),
        CertificateError::NotValidYet => "certificate not valid yet".to_owned(),
        CertificateError::NotValidForNameContext { presented, .. } if !presented.is_empty() => {
            let names: Vec<&str> = presented.iter().map(|name| presented_name(name)).collect();
            format!(
                "certificate not valid for this name: it is for {}, not {host}",
                names.join(", ")
            )
        }
        CertificateError::NotValidForName | CertificateError::NotValidForNameContext { .. } => {
            format!("certificate not valid for this name ({host})")
        }
        CertificateError::UnknownIssuer => format!(
            "certificate from an unknown issuer: not signed by the {CA_NAME} (self-signed?)"
        ),
        CertificateError::BadSignature => "certificate has a forged signature".to_owned(),
        other => format!("certificate rejected: {other}"),
    }
}

/// rustls reports presented names in debug form (`DnsName("a.test")`);
/// students want `a.test`.
fn presented_name(name: &str) -> &str {
    name.strip_prefix("DnsName(\"")
        .and_then(|rest| rest.strip_suffix("\")"))
        .unwrap_or(name)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn name() -> ServerName<'static> {
        ServerName::try_from("mx.a.test").unwrap()
    }

    #[test]
    fn wrong_name_lists_the_presented_names_plainly() {
        let err = Error::InvalidCertificate(CertificateError::NotValidForNameContext {
            expected: name(),
            presented: vec!["DnsName(\"wrong-name.invalid\")".into()],
        });
        assert_eq!(
            failed(&err, &name()),
            "certificate not valid for this name: it is for wrong-name.invalid, not mx.a.test"
        );
    }

    #[test]
    fn other_errors_still_get_a_reason() {
        let err = Error::General("boom".into());
        assert_eq!(
            failed(&err, &name()),
            "certificate rejected: unexpected error: boom"
        );
    }

    #[test]
    fn opportunistic_accepts_a_failed_check() {
        let truth = Err(Error::InvalidCertificate(CertificateError::UnknownIssuer));
        let cert = CertificateDer::from(vec![]);
        let (auth, verdict) = judge(ClientVerify::Opportunistic, truth, &cert, &name());
        assert!(verdict.is_ok());
        assert!(!auth.authenticated);
        assert!(
            auth.reason
                .contains("it would have failed: certificate from an unknown issuer")
        );
    }

    /// Runs a handshake in memory until it completes or one side fails.
    fn handshake(
        client: &mut rustls::ClientConnection,
        server: &mut rustls::ServerConnection,
    ) -> Result<(), Error> {
        while client.is_handshaking() || server.is_handshaking() {
            let mut to_server = Vec::new();
            client.write_tls(&mut to_server).unwrap();
            server.read_tls(&mut &to_server[..]).unwrap();
            server.process_new_packets()?;
            let mut to_client = Vec::new();
            server.write_tls(&mut to_client).unwrap();
            client.read_tls(&mut &to_client[..]).unwrap();
            client.process_new_packets()?;
        }
        Ok(())
    }

    #[test]
    fn opportunistic_still_checks_the_handshake_signature() {
        use crate::scenario::Certificate;
        use rustls::sign::{CertifiedKey, SingleCertAndKey};

        let pki = Pki::new(1, 1_735_689_600);
        let time: Arc<dyn TimeProvider> =
            Arc::new(crate::tls::VirtualTime::new(Arc::new(|| 1_735_689_600)));
        // An impostor: mx.a.test's real certificate, but another host's key.
        let (chain, _) = pki.issue("mx.a.test", Certificate::Valid).unwrap();
        let (_, other_key) = pki.issue("mx.b.test", Certificate::Valid).unwrap();
        let provider = crypto_provider();
        let key = provider.key_provider.load_private_key(other_key).unwrap();
        let resolver = SingleCertAndKey::from(CertifiedKey::new(chain, key));
        let server_config = rustls::ServerConfig::builder_with_details(provider, time.clone())
            .with_safe_default_protocol_versions()
            .unwrap()
            .with_no_client_auth()
            .with_cert_resolver(Arc::new(resolver));

        let (client_config, _) = client_config(&pki, ClientVerify::Opportunistic, time);
        let mut client = rustls::ClientConnection::new(client_config, name()).unwrap();
        let mut server = rustls::ServerConnection::new(Arc::new(server_config)).unwrap();
        assert_eq!(
            handshake(&mut client, &mut server),
            Err(Error::InvalidCertificate(CertificateError::BadSignature))
        );
    }

    #[test]
    fn slot_take_empties_get_does_not() {
        let slot = ServerAuthSlot::default();
        let auth = ServerAuth {
            authenticated: true,
            reason: "ok".into(),
        };
        slot.set("mx.test".into(), auth.clone());
        assert_eq!(slot.get(), Some(auth.clone()));
        assert_eq!(slot.take(), Some(auth));
        assert_eq!(slot.take(), None);
    }
}

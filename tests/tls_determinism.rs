//! Whole TLS handshakes between a simulated client and server, over an
//! in-memory link on a paused tokio clock: the bytes on the wire must depend
//! on the seed alone, and certificate checks must follow the rules and the
//! virtual calendar.

use std::io;
use std::pin::Pin;
use std::sync::{Arc, Mutex};
use std::task::{Context, Poll, ready};

use mailhop::scenario::Certificate;
use mailhop::tls::{ClientVerify, Pki, ServerAuth, VirtualTime, client_config, seed_thread};
use rustls::client::WebPkiServerVerifier;
use rustls::pki_types::ServerName;
use rustls::time_provider::TimeProvider;
use rustls::{ClientConfig, ProtocolVersion, RootCertStore};
use tokio::io::{AsyncRead, AsyncReadExt, AsyncWrite, AsyncWriteExt, DuplexStream, ReadBuf};
use tokio_rustls::{TlsAcceptor, TlsConnector};

const HOST: &str = "mx.example.test";
const START: i64 = 1_735_689_600; // 2025-01-01T00:00:00Z
const DAY: u64 = 86_400;
const ALL_KINDS: [Certificate; 4] = [
    Certificate::Valid,
    Certificate::Expired,
    Certificate::WrongName,
    Certificate::SelfSigned,
];
const CLIENT_SAYS: &[u8] = b"EHLO client.example.test\r\n";
const SERVER_SAYS: &[u8] = b"250 mx.example.test\r\n";

/// Everything that crossed the link, per direction.
#[derive(Debug, Default, Clone, PartialEq, Eq)]
struct Wire {
    to_server: Vec<u8>,
    to_client: Vec<u8>,
}

/// The client's end of the link, copying every byte into a shared [`Wire`].
struct Recorder {
    inner: DuplexStream,
    wire: Arc<Mutex<Wire>>,
}

impl AsyncRead for Recorder {
    fn poll_read(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &mut ReadBuf<'_>,
    ) -> Poll<io::Result<()>> {
        let before = buf.filled().len();
        ready!(Pin::new(&mut self.inner).poll_read(cx, buf))?;
        let received = &buf.filled()[before..];
        self.wire
            .lock()
            .unwrap()
            .to_client
            .extend_from_slice(received);
        Poll::Ready(Ok(()))
    }
}

impl AsyncWrite for Recorder {
    fn poll_write(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &[u8],
    ) -> Poll<io::Result<usize>> {
        let written = ready!(Pin::new(&mut self.inner).poll_write(cx, buf))?;
        self.wire
            .lock()
            .unwrap()
            .to_server
            .extend_from_slice(&buf[..written]);
        Poll::Ready(Ok(written))
    }

    fn poll_flush(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        Pin::new(&mut self.inner).poll_flush(cx)
    }

    fn poll_shutdown(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        Pin::new(&mut self.inner).poll_shutdown(cx)
    }
}

/// What one connection attempt produced.
#[derive(Debug)]
struct Outcome {
    wire: Wire,
    /// The client's result: (protocol version, cipher suite name), or the error.
    client: Result<(ProtocolVersion, String), String>,
    server_ok: bool,
    auth: Option<ServerAuth>,
}

fn clock_at(unix: u64) -> Arc<dyn TimeProvider> {
    Arc::new(VirtualTime::new(Arc::new(move || unix)))
}

/// Runs one connection: handshake, one line each way, close.
async fn connect(client: Arc<ClientConfig>, pki: &Pki, kind: Certificate, now: u64) -> Outcome {
    let server_config = pki.server_config(HOST, kind, clock_at(now)).unwrap();
    let (client_end, server_end) = tokio::io::duplex(64 * 1024);
    let wire = Arc::new(Mutex::new(Wire::default()));
    let recorder = Recorder {
        inner: client_end,
        wire: wire.clone(),
    };
    let client_side = async {
        let name = ServerName::try_from(HOST).unwrap();
        let mut tls = TlsConnector::from(client).connect(name, recorder).await?;
        tls.write_all(CLIENT_SAYS).await?;
        let mut reply = vec![0; SERVER_SAYS.len()];
        tls.read_exact(&mut reply).await?;
        assert_eq!(reply, SERVER_SAYS);
        tls.shutdown().await?;
        let connection = tls.get_ref().1;
        let version = connection.protocol_version().unwrap();
        let suite = connection.negotiated_cipher_suite().unwrap().suite();
        io::Result::Ok((version, suite.as_str().unwrap_or("unnamed").to_owned()))
    };
    let server_side = async {
        let mut tls = TlsAcceptor::from(server_config).accept(server_end).await?;
        let mut line = vec![0; CLIENT_SAYS.len()];
        tls.read_exact(&mut line).await?;
        assert_eq!(line, CLIENT_SAYS);
        tls.write_all(SERVER_SAYS).await?;
        // Wait for the client's close_notify before hanging up.
        let mut rest = Vec::new();
        tls.read_to_end(&mut rest).await?;
        assert!(rest.is_empty());
        io::Result::Ok(())
    };
    let (client, server) = tokio::join!(client_side, server_side);
    let wire = wire.lock().unwrap().clone();
    Outcome {
        wire,
        client: client.map_err(|err| err.to_string()),
        server_ok: server.is_ok(),
        auth: None,
    }
}

/// A fresh run: seeds the thread, makes the PKI and a client, connects once.
async fn run(seed: u64, kind: Certificate, mode: ClientVerify, now: u64) -> Outcome {
    seed_thread(seed);
    let pki = Pki::new(seed, START);
    let (client, slot) = client_config(&pki, mode, clock_at(now));
    let mut outcome = connect(client, &pki, kind, now).await;
    outcome.auth = slot.take();
    outcome
}

const NOW: u64 = START as u64;

#[tokio::test(flavor = "current_thread", start_paused = true)]
async fn same_seed_gives_identical_bytes() {
    let first = run(42, Certificate::Valid, ClientVerify::Authenticate, NOW).await;
    let second = run(42, Certificate::Valid, ClientVerify::Authenticate, NOW).await;
    assert!(first.client.is_ok() && first.server_ok, "{first:?}");
    assert!(first.wire.to_server.len() > 200 && first.wire.to_client.len() > 200);
    assert_eq!(first.wire, second.wire);
    // A fresh thread and runtime (fresh thread-locals, fresh hash seeds) too.
    let elsewhere = std::thread::spawn(|| {
        tokio::runtime::Builder::new_current_thread()
            .enable_time()
            .start_paused(true)
            .build()
            .unwrap()
            .block_on(run(42, Certificate::Valid, ClientVerify::Authenticate, NOW))
            .wire
    })
    .join()
    .unwrap();
    assert_eq!(first.wire, elsewhere);
}

#[tokio::test(flavor = "current_thread", start_paused = true)]
async fn different_seed_gives_different_bytes() {
    let first = run(42, Certificate::Valid, ClientVerify::Authenticate, NOW).await;
    let other = run(43, Certificate::Valid, ClientVerify::Authenticate, NOW).await;
    assert!(other.client.is_ok(), "{other:?}");
    assert_ne!(first.wire.to_server, other.wire.to_server);
    assert_ne!(first.wire.to_client, other.wire.to_client);
}

#[tokio::test(flavor = "current_thread", start_paused = true)]
async fn negotiates_tls13_and_reports_cipher_suite() {
    let outcome = run(1, Certificate::Valid, ClientVerify::Authenticate, NOW).await;
    let (version, suite) = outcome.client.unwrap();
    assert_eq!(version, ProtocolVersion::TLSv1_3);
    assert!(suite.starts_with("TLS13_"), "{suite}");
}

#[tokio::test(flavor = "current_thread", start_paused = true)]
async fn authenticate_accepts_only_valid_certificates() {
    for kind in ALL_KINDS {
        let outcome = run(7, kind, ClientVerify::Authenticate, NOW).await;
        let auth = outcome.auth.clone().unwrap();
        let expected_words = match kind {
            Certificate::Valid => {
                "certificate for mx.example.test issued by the mailhop simulation CA, valid until 2026-01-01"
            }
            Certificate::Expired => {
                "certificate expired on 2024-11-27 (simulated date: 2025-01-01)"
            }
            Certificate::WrongName => "it is for wrong-name.invalid, not mx.example.test",
            Certificate::SelfSigned => "not signed by the mailhop simulation CA",
        };
        assert!(auth.reason.contains(expected_words), "{kind:?}: {auth:?}");
        let valid = kind == Certificate::Valid;
        assert_eq!(auth.authenticated, valid, "{kind:?}");
        assert_eq!(outcome.client.is_ok(), valid, "{kind:?}: {outcome:?}");
        assert_eq!(outcome.server_ok, valid, "{kind:?}");
    }
}

#[tokio::test(flavor = "current_thread", start_paused = true)]
async fn opportunistic_completes_for_every_certificate() {
    for kind in ALL_KINDS {
        let outcome = run(7, kind, ClientVerify::Opportunistic, NOW).await;
        assert!(
            outcome.client.is_ok() && outcome.server_ok,
            "{kind:?}: {outcome:?}"
        );
        let auth = outcome.auth.unwrap();
        assert!(!auth.authenticated);
        let would_have = match kind {
            Certificate::Valid => "(it would have passed)",
            Certificate::Expired => "(it would have failed: certificate expired on 2024-11-27",
            Certificate::WrongName => "(it would have failed: certificate not valid for this name",
            Certificate::SelfSigned => "(it would have failed: certificate from an unknown issuer",
        };
        assert!(
            auth.reason
                .starts_with("opportunistic STARTTLS: the certificate was not checked ")
                && auth.reason.contains(would_have),
            "{kind:?}: {auth:?}"
        );
    }
}

#[tokio::test(flavor = "current_thread", start_paused = true)]
async fn valid_certificate_fails_once_virtual_clock_passes_not_after() {
    let later = NOW + 400 * DAY;
    let outcome = run(7, Certificate::Valid, ClientVerify::Authenticate, later).await;
    assert!(outcome.client.is_err());
    let auth = outcome.auth.unwrap();
    assert!(!auth.authenticated);
    assert_eq!(
        auth.reason,
        "certificate expired on 2026-01-01 (simulated date: 2026-02-05)"
    );
}

#[tokio::test(flavor = "current_thread", start_paused = true)]
async fn every_connection_gets_a_full_handshake() {
    seed_thread(3);
    let pki = Pki::new(3, START);
    let (client, slot) = client_config(&pki, ClientVerify::Authenticate, clock_at(NOW));
    for _ in 0..2 {
        let outcome = connect(client.clone(), &pki, Certificate::Valid, NOW).await;
        assert!(outcome.client.is_ok(), "{outcome:?}");
        // No resumption: the certificate is sent and checked every time.
        assert!(slot.take().is_some_and(|auth| auth.authenticated));
    }
}

/// TLS 1.2 (offered for comparison with older servers) is reproducible too:
/// its explicit nonces are sequence numbers and its signatures Ed25519.
#[tokio::test(flavor = "current_thread", start_paused = true)]
async fn tls12_is_deterministic_too() {
    async fn tls12_run() -> Outcome {
        seed_thread(9);
        let pki = Pki::new(9, START);
        let provider = mailhop::tls::crypto_provider();
        let mut roots = RootCertStore::empty();
        roots.add(pki.ca_der().clone()).unwrap();
        let verifier =
            WebPkiServerVerifier::builder_with_provider(Arc::new(roots), provider.clone())
                .build()
                .unwrap();
        let config = ClientConfig::builder_with_details(provider, clock_at(NOW))
            .with_protocol_versions(&[&rustls::version::TLS12])
            .unwrap()
            .with_webpki_verifier(verifier)
            .with_no_client_auth();
        connect(Arc::new(config), &pki, Certificate::Valid, NOW).await
    }
    let first = tls12_run().await;
    assert_eq!(first.client.as_ref().unwrap().0, ProtocolVersion::TLSv1_2);
    assert_eq!(first.wire, tls12_run().await.wire);
}

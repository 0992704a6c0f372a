//! An outside SMTP client, lettre, submits to the simulation's MSA over an
//! in-memory stream: STARTTLS against the simulation's CA, then AUTH PLAIN,
//! then a message. If our server spoke anything but real SMTP, lettre would
//! refuse it.

mod common;

use std::net::SocketAddr;

use common::{SMALL_WORLD, scenario, starting_today};
use lettre::address::Envelope;
use lettre::transport::smtp::authentication::{Credentials, Mechanism};
use lettre::transport::smtp::client::{
    AsyncSmtpConnection, AsyncTokioStream, Certificate, TlsParameters,
};
use lettre::transport::smtp::extension::ClientId;
use mailhop::sim::{self, Options};
use mailhop::trace::{Channel, Event};

/// lettre wants a stream that knows its peer address.
#[derive(Debug)]
struct Stream(tokio::io::DuplexStream);

impl AsyncTokioStream for Stream {
    fn peer_addr(&self) -> std::io::Result<SocketAddr> {
        Ok("192.0.2.11:587".parse().expect("a literal address"))
    }
}

impl tokio::io::AsyncRead for Stream {
    fn poll_read(
        mut self: std::pin::Pin<&mut Self>,
        cx: &mut std::task::Context<'_>,
        buf: &mut tokio::io::ReadBuf<'_>,
    ) -> std::task::Poll<std::io::Result<()>> {
        std::pin::Pin::new(&mut self.0).poll_read(cx, buf)
    }
}

impl tokio::io::AsyncWrite for Stream {
    fn poll_write(
        mut self: std::pin::Pin<&mut Self>,
        cx: &mut std::task::Context<'_>,
        buf: &[u8],
    ) -> std::task::Poll<std::io::Result<usize>> {
        std::pin::Pin::new(&mut self.0).poll_write(cx, buf)
    }
    fn poll_flush(
        mut self: std::pin::Pin<&mut Self>,
        cx: &mut std::task::Context<'_>,
    ) -> std::task::Poll<std::io::Result<()>> {
        std::pin::Pin::new(&mut self.0).poll_flush(cx)
    }
    fn poll_shutdown(
        mut self: std::pin::Pin<&mut Self>,
        cx: &mut std::task::Context<'_>,
    ) -> std::task::Poll<std::io::Result<()>> {
        std::pin::Pin::new(&mut self.0).poll_shutdown(cx)
    }
}

#[test]
fn lettre_submits_with_starttls_and_auth() {
    let mut world = scenario(SMALL_WORLD);
    // lettre checks certificates against the wall clock.
    starting_today(&mut world);

    let (trace, result) = sim::drive(&world, &Options::default(), |w| async move {
        let stream = sim::bridge(&w, "alice-laptop", "mail.home.test", 587).await?;
        let hello = ClientId::Domain("alice-laptop.home.test".into());
        let mut conn = AsyncSmtpConnection::connect_with_transport(Box::new(Stream(stream)), &hello)
            .await
            .map_err(|e| format!("connect: {e}"))?;
        let root = Certificate::from_pem(w.pki.ca_pem().as_bytes()).map_err(|e| format!("CA: {e}"))?;
        let tls = TlsParameters::builder("mail.home.test".into())
            .add_root_certificate(root)
            .build_rustls()
            .map_err(|e| format!("tls parameters: {e}"))?;
        conn.starttls(tls, &hello).await.map_err(|e| format!("starttls: {e}"))?;
        conn.auth(&[Mechanism::Plain], &Credentials::new("alice@home.test".into(), "pw".into()))
            .await
            .map_err(|e| format!("auth: {e}"))?;
        let envelope = Envelope::new(
            Some("alice@home.test".parse().unwrap()),
            vec!["bob@friend.test".parse().unwrap()],
        )
        .unwrap();
        let email = b"From: alice@home.test\r\nTo: bob@friend.test\r\nSubject: from lettre\r\nMessage-ID: <lettre-1@home.test>\r\n\r\nHello from an outside client.\r\n";
        let response = conn.send(&envelope, email).await.map_err(|e| format!("send: {e}"))?;
        conn.quit().await.map_err(|e| format!("quit: {e}"))?;
        Ok::<_, String>(response.code().to_string())
    })
    .unwrap();
    assert_eq!(
        result,
        Ok("250".to_string()),
        "lettre's view of the submission"
    );

    let hops: Vec<_> = trace.hops().map(|(_, h)| h.clone()).collect();
    assert_eq!(hops.len(), 2, "submission, then MX delivery: {hops:#?}");
    assert_eq!(hops[0].protocol, "ESMTPSA");
    assert_eq!(hops[0].tls_version.as_deref(), Some("TLSv1.3"));
    // The simulation cannot know whether an outside client checked the
    // certificate, so it claims no more than "TLS".
    assert_eq!(hops[0].channel, Channel::Tls);
    assert_eq!(hops[1].to, "mx.friend.test");
    assert!(trace.events.iter().any(|r| matches!(&r.event,
        Event::Delivered(d) if d.recipient == "bob@friend.test")));
}

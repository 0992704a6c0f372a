//! The mail client's HTTPS requests during account setup: hyper's client
//! connection over the world's link, inside the client's TLS.
//!
//! hyper (the HTTP library under axum) writes the request and reads the
//! response, so what the simulated web server answers is checked by an
//! HTTP implementation that is not mailhop's. One request per connection,
//! a body of at most [`MAX_ANSWER`] bytes, [`TIMEOUT`] for the whole
//! exchange, and no redirect followed: a 3xx is an answer like any other
//! that is not 200.

use std::rc::Rc;

use http_body_util::{BodyExt, Full, Limited};
use hyper::body::Bytes;
use hyper_util::rt::TokioIo;
use tokio::time::{Duration, timeout};

use super::super::session::ClientSide;
use super::super::world::World;
use crate::tls::ClientVerify;

/// The largest answer read: an autoconfig file is a few kilobytes.
pub const MAX_ANSWER: usize = 64 * 1024;

/// How long a request may take, connection and TLS included (Thunderbird
/// gives its ISPDB lookup 10 seconds; a provider's own server gets twice that).
pub const TIMEOUT: Duration = Duration::from_secs(20);

/// What a web server answered.
#[derive(Debug)]
pub struct Answer {
    pub status: u16,
    pub reason: String,
    pub body: Vec<u8>,
}

/// A request over HTTPS from `node` to the machine `server`, which it knows
/// as `host`. `Err` says why no answer came; either way, the connection's id
/// if one was made.
pub async fn request(
    world: &Rc<World>,
    node: &str,
    server: &str,
    host: &str,
    target: &str,
    post: Option<String>,
    verify: ClientVerify,
) -> (Result<Answer, String>, Option<String>) {
    let conn = match world.connect(node, server, 443).await {
        Ok(conn) => conn,
        Err(reason) => return (Err(format!("cannot reach {host}:443: {reason}")), None),
    };
    let id = conn.id.clone();
    let mut side = ClientSide::new(world, conn, host, verify);
    let exchange = async {
        side.start_tls().await?;
        let io = std::mem::replace(&mut side.io, super::super::link::Io::Gone);
        exchange(io, host, target, post).await
    };
    let answer = match timeout(TIMEOUT, exchange).await {
        Ok(answer) => answer,
        Err(_) => Err(format!("no answer within {}s", TIMEOUT.as_secs())),
    };
    (answer, Some(id))
}

/// One request and its answer over an open TLS stream.
async fn exchange(
    io: super::super::link::Io,
    host: &str,
    target: &str,
    post: Option<String>,
) -> Result<Answer, String> {
    let not_http = |e: hyper::Error| format!("not HTTP: {e}");
    let (mut sender, connection) = hyper::client::conn::http1::Builder::new()
        .title_case_headers(true)
        .handshake::<_, Full<Bytes>>(TokioIo::new(io))
        .await
        .map_err(not_http)?;
    let driver = tokio::task::spawn_local(connection);
    let (method, content_type, body) = match post {
        Some(body) => ("POST", Some("text/xml; charset=utf-8"), body),
        None => ("GET", None, String::new()),
    };
    let mut builder = hyper::Request::builder()
        .method(method)
        .uri(target)
        .header(hyper::header::HOST, host)
        .header(hyper::header::USER_AGENT, "mailhop")
        .header(hyper::header::ACCEPT, "text/xml, application/xml");
    if let Some(content_type) = content_type {
        builder = builder.header(hyper::header::CONTENT_TYPE, content_type);
    }
    let request = builder
        .body(Full::new(Bytes::from(body)))
        .map_err(|e| format!("not HTTP: {e}"))?;
    let response = sender.send_request(request).await.map_err(not_http)?;
    let status = response.status();
    let body = Limited::new(response.into_body(), MAX_ANSWER)
        .collect()
        .await
        .map_err(|_| format!("the answer is larger than {MAX_ANSWER} bytes"))?
        .to_bytes();
    drop(sender);
    let _ = driver.await;
    Ok(Answer {
        status: status.as_u16(),
        reason: status.canonical_reason().unwrap_or("").to_string(),
        body: body.to_vec(),
    })
}

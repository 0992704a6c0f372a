//! A node's web server: HTTPS on port 443, publishing what mail clients
//! read when they set up an account (`proto::discover::site`).
//!
//! Like the mail drivers, it owns the stream: the TLS handshake first (the
//! node's certificate names its `aliases`, so `autoconfig.example.test` can
//! be checked), then the engine `proto::http::Server` reads one request and
//! answers it, and the connection is closed. The request and the response,
//! body included, are the session's transcript lines.

use std::rc::Rc;

use tokio::io::{AsyncReadExt, AsyncWriteExt};

use super::link::{Io, LinkEnd};
use super::session::{CHUNK, accept_tls, close, cut, send_queued};
use super::world::{Busy, ConnInfo, World};
use crate::proto::discover::site::Provider;
use crate::proto::http::{Output, Server};

use crate::trace::{Dir, Event};

/// Runs one HTTPS connection on the server end.
pub async fn serve_https(world: Rc<World>, conn: ConnInfo, link: LinkEnd, _busy: Busy) {
    let node = world
        .node(&conn.server)
        .expect("connections go to scenario nodes");
    let tls = world.server_tls(&conn.server);
    let Some(mut io) = accept_tls(&world, &conn, Io::Plain(link), tls).await else {
        return close(&world, &conn);
    };
    let web = node.web.clone().unwrap_or_default();
    let domains = domains_of(&world, &conn.server);
    let site = Provider {
        web: &web,
        domains: &domains,
    };
    let mut server = Server::new();
    let mut out = Vec::new();
    let mut chunk = vec![0u8; CHUNK];
    'session: loop {
        let read = tokio::select! {
            biased;
            () = world.went_down.notified() => None,
            read = io.read(&mut chunk) => Some(read),
        };
        let outputs = match read {
            None if cut(&world, &conn) => break,
            None => continue,
            Some(Ok(0) | Err(_)) => server.eof(),
            Some(Ok(n)) => {
                let date = crate::clock::http_date(world.clock.unix_now());
                server.feed(&chunk[..n], &date, &site)
            }
        };
        for output in outputs {
            match output {
                Output::Heard(line) => line_event(&world, &conn, Dir::ClientToServer, line),
                Output::Sent(line) => line_event(&world, &conn, Dir::ServerToClient, line),
                Output::Write(bytes) => out.extend_from_slice(&bytes),
                Output::Close => {
                    let _ = send_queued(&mut io, &mut out).await;
                    let _ = io.shutdown().await;
                    break 'session;
                }
            }
        }
    }
    close(&world, &conn);
}

fn line_event(world: &World, conn: &ConnInfo, dir: Dir, text: String) {
    world.emit(Event::Line {
        conn: conn.id.clone(),
        dir,
        text,
        tls: true,
    });
}

/// The mail domains a node serves, for its autoconfig file: those of its
/// mailboxes and accounts, else the domain its own name is in.
fn domains_of(world: &World, node: &str) -> Vec<String> {
    let Some(n) = world.node(node) else {
        return Vec::new();
    };
    let mut domains: Vec<String> = n
        .mailboxes
        .iter()
        .chain(n.accounts.keys())
        .map(|a| crate::proto::smtp::domain_of(a).to_ascii_lowercase())
        .filter(|d| !d.is_empty())
        .collect();
    domains.sort();
    domains.dedup();
    if domains.is_empty() {
        domains.extend(node.split_once('.').map(|(_, d)| d.to_string()));
    }
    domains
}

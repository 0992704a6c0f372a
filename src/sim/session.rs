//! Drivers: run a protocol engine over a connection and turn what it does
//! into trace events.
//!
//! An engine (`proto::smtp`) only knows bytes, time and its policy. The
//! driver owns the stream: it reads what arrived, feeds the engine with the
//! current virtual time, writes what the engine says, records transcript
//! lines, runs TLS handshakes when the engine asks, and hands accepted
//! messages to `mta::arrive`. Output is flushed each time the engine has
//! used up its input, so pipelined commands get their replies in one batch.

use std::collections::VecDeque;
use std::rc::Rc;

use rustls::pki_types::ServerName;
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio_rustls::{TlsAcceptor, TlsConnector};

use super::link::{Io, LinkEnd};
use super::mta::{self, Arrival};
use super::world::{Busy, ConnInfo, Connection, World};
use crate::policy::NodePolicy;
use crate::proto::smtp::client::{Client, ClientOutput, Envelope, Outcome, Plan};
use crate::proto::smtp::received::Stamp;
use crate::proto::smtp::server::{Config, Output, Server};
use crate::scenario::{Service, StartTls};
use crate::tls::{self, ClientVerify};
use crate::trace::{Channel, Dir, Event};

/// How much a driver reads at once.
const CHUNK: usize = 4096;

/// Runs one SMTP session on the server end of a connection, for a port
/// whose service is `service`.
pub async fn serve_smtp(
    world: Rc<World>,
    conn: ConnInfo,
    link: LinkEnd,
    service: Service,
    _busy: Busy,
) {
    let host = conn.server.clone();
    let node = world.node(&host).expect("connections go to scenario nodes");
    let client_name = world
        .lookup_ptr(&host, &conn.client_ip)
        .unwrap_or_else(|| "unknown".to_string());
    let tls_config = world.server_tls(&host);
    let mut io = Io::Plain(link);
    let implicit_tls = service == Service::Submissions;
    if implicit_tls {
        match accept_tls(&world, &conn, io, tls_config.clone()).await {
            Some(tls) => io = tls,
            None => return close(&world, &conn),
        }
    }
    let mut server = Server::new(Config {
        host: host.clone(),
        submission: service != Service::Smtp,
        tls_available: tls_config.is_some(),
        require_tls: node.starttls == StartTls::Require,
        implicit_tls,
        max_size: node.message_size_limit,
    });
    let policy = NodePolicy {
        node,
        client: &conn.client,
    };
    let mut session = ServerSide {
        world: &world,
        conn: &conn,
        client_name,
        io,
        out: Vec::new(),
    };
    let now = || world.clock.now().as_millis();
    let mut pending: VecDeque<Output> = server.greet(now(), &policy).into();
    let mut chunk = vec![0u8; CHUNK];
    'session: loop {
        while let Some(output) = pending.pop_front() {
            match output {
                Output::Heard(line) => session.line(Dir::ClientToServer, line),
                Output::Reply(line) => {
                    session.out.extend_from_slice(line.as_bytes());
                    session.out.extend_from_slice(b"\r\n");
                    session.line(Dir::ServerToClient, line);
                }
                Output::Login {
                    user,
                    mechanism,
                    accepted,
                } => world.emit(Event::Auth {
                    conn: conn.id.clone(),
                    user,
                    mechanism: mechanism.into(),
                    accepted,
                    tls: session.io.is_tls(),
                }),
                Output::StartTls { discarded } => {
                    if session.flush().await.is_err() {
                        break 'session;
                    }
                    if discarded > 0 {
                        world.emit(Event::Discarded {
                            conn: conn.id.clone(),
                            bytes: discarded,
                        });
                    }
                    let plain = std::mem::replace(&mut session.io, Io::Gone);
                    match accept_tls(&world, &conn, plain, tls_config.clone()).await {
                        Some(tls) => session.io = tls,
                        None => break 'session,
                    }
                    pending.extend(server.tls_started(now(), &policy));
                }
                Output::Message(tx) => {
                    let queue_id = session.arrive(tx);
                    pending.extend(server.stored(Ok(queue_id), now(), &policy));
                }
                Output::Close => {
                    let _ = session.flush().await;
                    let _ = session.io.shutdown().await;
                    break 'session;
                }
            }
        }
        if session.flush().await.is_err() {
            break;
        }
        let read = tokio::select! {
            biased;
            () = world.went_down.notified() => None,
            read = session.io.read(&mut chunk) => Some(read),
        };
        match read {
            None if cut(&world, &conn) => break,
            None => {}
            Some(Ok(0) | Err(_)) => break,
            Some(Ok(n)) => pending.extend(server.feed(&chunk[..n], now(), &policy)),
        }
    }
    close(&world, &conn);
}

/// The server's end of one session: its stream and what it knows of the client.
struct ServerSide<'a> {
    world: &'a Rc<World>,
    conn: &'a ConnInfo,
    client_name: String,
    io: Io,
    out: Vec<u8>,
}

impl ServerSide<'_> {
    fn line(&self, dir: Dir, text: String) {
        self.world.emit(Event::Line {
            conn: self.conn.id.clone(),
            dir,
            text,
            tls: self.io.is_tls(),
        });
    }

    async fn flush(&mut self) -> std::io::Result<()> {
        send_queued(&mut self.io, &mut self.out).await
    }

    /// Stamps an accepted message with its Received header and hands it to
    /// the node's mail system; returns its queue id.
    fn arrive(&self, tx: crate::proto::smtp::server::Transaction) -> String {
        let world = self.world;
        let queue_id = world.new_queue_id();
        let tls = self.io.tls_params();
        let protocol = tx.protocol();
        let channel = match (&tls, self.conn.verdict.get()) {
            (None, _) => Channel::Plaintext,
            (Some(_), Some(true)) => Channel::TlsAuthenticated,
            (Some(_), _) => Channel::Tls,
        };
        let date = world.clock.rfc5322_now();
        let header = Stamp {
            helo: tx.helo.as_deref(),
            client_name: &self.client_name,
            client_ip: &self.conn.client_ip,
            tls: tls.as_ref(),
            user: tx.user.as_deref(),
            by: &self.conn.server,
            protocol: &protocol,
            queue_id: &queue_id,
            recipients: &tx.recipients,
            date: &date,
        }
        .header();
        let mut data = header.into_bytes();
        data.extend_from_slice(&tx.data);
        mta::arrive(
            world,
            Arrival {
                node: self.conn.server.clone(),
                queue_id: queue_id.clone(),
                from: self.conn.client.clone(),
                conn: self.conn.id.clone(),
                protocol,
                channel,
                tls,
                sender: tx.sender,
                recipients: tx.recipients,
                data,
                carrying: self.conn.carrying.borrow().clone(),
            },
        );
        queue_id
    }
}

/// Writes what an engine queued, if anything, in one go.
async fn send_queued(io: &mut Io, out: &mut Vec<u8>) -> std::io::Result<()> {
    if !out.is_empty() {
        let bytes = std::mem::take(out);
        io.write_all(&bytes).await?;
        io.flush().await?;
    }
    Ok(())
}

/// The server side of a TLS handshake; `None` (with a `tls_failed` event)
/// when it fails.
async fn accept_tls(
    world: &Rc<World>,
    conn: &ConnInfo,
    io: Io,
    config: Option<std::sync::Arc<rustls::ServerConfig>>,
) -> Option<Io> {
    let (Io::Plain(link), Some(config)) = (io, config) else {
        world.emit(Event::TlsFailed {
            conn: conn.id.clone(),
            error: "server: no certificate for TLS".into(),
        });
        return None;
    };
    match TlsAcceptor::from(config).accept(link).await {
        Ok(stream) => Some(Io::ServerTls(Box::new(stream))),
        Err(err) => {
            world.emit(Event::TlsFailed {
                conn: conn.id.clone(),
                error: format!("server: {err}"),
            });
            None
        }
    }
}

/// Whether a session must end because one of its ends went down; records
/// the cut. The other end sees the connection drop, as on a real network.
fn cut(world: &World, conn: &ConnInfo) -> bool {
    let node = [&conn.server, &conn.client]
        .into_iter()
        .find(|n| world.is_down(n));
    if let Some(node) = node {
        world.emit(Event::Cut {
            conn: conn.id.clone(),
            node: node.clone(),
        });
    }
    node.is_some()
}

fn close(world: &World, conn: &ConnInfo) {
    world.emit(Event::Closed {
        conn: conn.id.clone(),
    });
}

/// Runs one SMTP client session over `conn`: hands `envelope` over as
/// `plan` says and returns what the server answered.
pub async fn transact(
    world: &Rc<World>,
    conn: Connection,
    plan: Plan,
    verify: ClientVerify,
    envelope: Envelope,
) -> Outcome {
    let host = plan.server_name.clone();
    let mut side = ClientSide {
        world,
        conn_id: conn.id,
        verdict: conn.verdict,
        host: host.clone(),
        verify,
        io: Io::Plain(conn.link),
        out: Vec::new(),
    };
    let implicit = plan.implicit_tls;
    let mut client = Client::new(plan, envelope);
    let mut pending: VecDeque<ClientOutput> = VecDeque::new();
    let mut chunk = vec![0u8; CHUNK];
    if implicit && let Err(reason) = side.start_tls().await {
        return Outcome::Failed {
            reason,
            permanent: false,
            reply: None,
        };
    }
    let outcome = loop {
        if let Some(output) = pending.pop_front() {
            match output {
                ClientOutput::Send(bytes) => side.out.extend_from_slice(&bytes),
                ClientOutput::StartTls => {
                    if let Err(err) = side.flush().await {
                        break side.lost(err);
                    }
                    match side.start_tls().await {
                        Ok(()) => pending.extend(client.tls_started()),
                        Err(reason) => pending.extend(client.tls_failed(reason)),
                    }
                }
                ClientOutput::Done(outcome) => break outcome,
            }
            continue;
        }
        if let Err(err) = side.flush().await {
            break side.lost(err);
        }
        match side.io.read(&mut chunk).await {
            Ok(0) => pending.extend(client.eof()),
            Ok(n) => pending.extend(client.feed(&chunk[..n])),
            Err(err) => break side.lost(err),
        }
    };
    let _ = side.flush().await;
    let _ = side.io.shutdown().await;
    outcome
}

/// The client's end of one session.
struct ClientSide<'a> {
    world: &'a Rc<World>,
    conn_id: String,
    verdict: Rc<std::cell::Cell<Option<bool>>>,
    host: String,
    verify: ClientVerify,
    io: Io,
    out: Vec<u8>,
}

impl ClientSide<'_> {
    async fn flush(&mut self) -> std::io::Result<()> {
        send_queued(&mut self.io, &mut self.out).await
    }

    fn lost(&self, err: std::io::Error) -> Outcome {
        Outcome::Failed {
            reason: format!("lost connection with {}: {err}", self.host),
            permanent: false,
            reply: None,
        }
    }

    /// The client side of a TLS handshake, checking the certificate as
    /// `verify` says and recording the verdict for the server to label the
    /// hop. `Err` carries the reason it failed.
    async fn start_tls(&mut self) -> Result<(), String> {
        let world = self.world;
        let host = &self.host;
        let (config, slot) = tls::client_config(&world.pki, self.verify, world.time.clone());
        let Ok(name) = ServerName::try_from(host.clone()) else {
            return Err(format!("{host} is not a valid TLS server name"));
        };
        let Io::Plain(link) = std::mem::replace(&mut self.io, Io::Gone) else {
            return Err("TLS is already up".into());
        };
        match TlsConnector::from(config).connect(name, link).await {
            Ok(stream) => {
                self.io = Io::ClientTls(Box::new(stream));
                let auth = slot.get();
                let authenticated = auth.as_ref().is_some_and(|a| a.authenticated);
                self.verdict.set(Some(authenticated));
                let (version, cipher) = self.io.tls_params().unwrap_or_default();
                world.emit(Event::TlsHandshake {
                    conn: self.conn_id.clone(),
                    version,
                    cipher,
                    server_authenticated: authenticated,
                    reason: auth.map(|a| a.reason).unwrap_or_default(),
                });
                Ok(())
            }
            Err(err) => {
                let why = slot
                    .get()
                    .map(|a| format!(" ({})", a.reason))
                    .unwrap_or_default();
                let reason = format!("TLS handshake with {host} failed: {err}{why}");
                world.emit(Event::TlsFailed {
                    conn: self.conn_id.clone(),
                    error: reason.clone(),
                });
                Err(reason)
            }
        }
    }
}

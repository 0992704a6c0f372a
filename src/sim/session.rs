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

use super::checks::{self, Resolver};
use super::judge;
use super::link::{Io, LinkEnd};
use super::mta::{self, Arrival};
use super::world::{Busy, ConnInfo, Connection, World};
use crate::policy::NodePolicy;
use crate::policy::dane::{self, Tlsa};
use crate::policy::reputation::Reputation;
use crate::proto::smtp::Reply;
use crate::proto::smtp::client::{Client, ClientOutput, Envelope, Outcome, Plan};
use crate::proto::smtp::received::Stamp;
use crate::proto::smtp::server::{Config, Output, Server};
use crate::scenario::{Service, StartTls};
use crate::tls::{self, ClientVerify};
use crate::trace::{Auth, Channel, Dir, Event, Identity, TlsHandshake};

/// How much a driver reads at once.
pub(super) const CHUNK: usize = 4096;

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
    // A server with checks judges the machines on its port 25, and looks
    // each one up after HELO; the others resolve the client's name now, for
    // the Received header.
    let checks = node.checks.as_ref().filter(|_| service == Service::Smtp);
    let resolver = Resolver::new(&world, &host);
    let client_name = match checks {
        Some(_) => "unknown".to_string(),
        None => world
            .lookup_ptr(&host, &conn.client_ip)
            .unwrap_or_else(|| "unknown".to_string()),
    };
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
        check_clients: checks.is_some(),
        offer_requiretls: node.requiretls,
    });
    let mut policy = NodePolicy::new(node, &conn.client, &conn.client_ip);
    policy.greylist = world.greylist(&host);
    let mut session = ServerSide {
        world: &world,
        conn: &conn,
        client_name,
        reputation: None,
        io,
        out: Vec::new(),
    };
    let now = || world.clock.now().as_millis();
    let mut pending: VecDeque<Output<crate::policy::Note>> = server.greet(now(), &policy).into();
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
                } => world.emit(Event::Auth(Box::new(Auth {
                    conn: conn.id.clone(),
                    user,
                    mechanism: mechanism.into(),
                    accepted,
                    tls: session.io.is_tls(),
                }))),
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
                    let result = session.arrive(tx);
                    pending.extend(server.stored(result, now(), &policy));
                }
                Output::Helo(name) => {
                    let known = session.reputation.as_ref().is_some_and(|r| r.helo == name);
                    if let (Some(checks), false) = (checks, known) {
                        let found = checks::look_up_client(&world, &resolver, &conn, checks, &name);
                        session.client_name = found.verified_name().to_string();
                        policy.reputation = Some(found.clone());
                        session.reputation = Some(found);
                    }
                    pending.extend(server.client_checked(now(), &policy));
                }
                Output::Note(note) => checks::record(&world, &conn, note, now()),
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
    /// The client's name for the Received header: its reverse DNS name
    /// (forward-confirmed, on a server with checks), or `unknown`.
    client_name: String,
    /// What a server with `checks` found out about the client on port 25,
    /// once it said HELO (looked up again if a later EHLO gives another
    /// name): reverse DNS, FCrDNS, the HELO verdict, blocklist listings,
    /// whether the address is a home line. `None` on a server without
    /// checks, and on submission ports. Here for whatever judges a message
    /// at the end of DATA (a spam filter's score); the policy has a copy
    /// for its refusals at RCPT.
    pub reputation: Option<Reputation>,
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

    /// Judges a message after its final dot (`judge`: DKIM signing for the
    /// server's own users; sender checks and the spam filter for
    /// strangers), then stamps it with its Received header and hands it to
    /// the node's mail system; returns its queue id, or the refusal.
    fn arrive(&self, tx: crate::proto::smtp::server::Transaction) -> Result<String, Reply> {
        let world = self.world;
        let queue_id = world.new_queue_id();
        let tls = self.io.tls_params();
        let protocol = tx.protocol();
        let channel = channel_of(tls.is_some(), self.conn.verdict.get());
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
        let message = mta::message_of(world, &tx.data, self.conn.carrying.borrow().as_deref());
        let ptr = (self.client_name != "unknown").then_some(self.client_name.as_str());
        let judged = judge::judge(
            world,
            self.conn,
            ptr,
            self.reputation.as_ref(),
            &tx,
            &message,
            &header,
        );
        if let Some(reply) = judged.refuse {
            return Err(reply);
        }
        let mut data = judged.headers.into_bytes();
        data.extend_from_slice(header.as_bytes());
        data.extend_from_slice(&judged.data);
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
                require_tls: tx.require_tls,
                data,
                carrying: Some(message),
                forwards: judged.forwards,
            },
        );
        Ok(queue_id)
    }
}

/// The label of a hop: plaintext, or TLS with what the client's check of
/// the server's certificate tied it to (`verdict`, left by the client).
pub(super) fn channel_of(tls: bool, verdict: Option<Identity>) -> Channel {
    Channel::of(tls, verdict)
}

/// What a client checks about a server beyond its certificate's validity.
#[derive(Debug, Clone)]
pub struct ServerCheck {
    /// What a passed check ties the server to.
    pub identity: Identity,
    /// DANE's TLSA records, when the server has usable ones in signed DNS.
    pub dane: Vec<Tlsa>,
}

impl From<Identity> for ServerCheck {
    fn from(identity: Identity) -> Self {
        ServerCheck {
            identity,
            dane: Vec::new(),
        }
    }
}

/// The certificates the server presented on a client's TLS stream (its own
/// first); empty when there is none to see.
fn stream_chain(io: &Io) -> Vec<rustls::pki_types::CertificateDer<'static>> {
    match io {
        Io::ClientTls(stream) => stream
            .get_ref()
            .1
            .peer_certificates()
            .map(|c| c.iter().map(|c| c.clone().into_owned()).collect())
            .unwrap_or_default(),
        _ => Vec::new(),
    }
}

/// Writes what an engine queued, if anything, in one go.
pub(super) async fn send_queued(io: &mut Io, out: &mut Vec<u8>) -> std::io::Result<()> {
    if !out.is_empty() {
        let bytes = std::mem::take(out);
        io.write_all(&bytes).await?;
        io.flush().await?;
    }
    Ok(())
}

/// The server side of a TLS handshake; `None` (with a `tls_failed` event)
/// when it fails.
pub(super) async fn accept_tls(
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
pub(super) fn cut(world: &World, conn: &ConnInfo) -> bool {
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

pub(super) fn close(world: &World, conn: &ConnInfo) {
    world.emit(Event::Closed {
        conn: conn.id.clone(),
    });
}

/// Runs one SMTP client session over `conn`: hands `envelope` over as
/// `plan` says, says QUIT and returns what the server answered.
pub async fn transact(
    world: &Rc<World>,
    conn: Connection,
    plan: Plan,
    verify: ClientVerify,
    envelope: Envelope,
) -> Outcome {
    let check = ServerCheck::from(Identity::Settings);
    let (outcome, session) = open(world, conn, plan, verify, check, envelope).await;
    session.close().await;
    outcome
}

/// Opens an SMTP client session over `conn` and hands `envelope` over.
/// Returns what the server answered and the session, which can carry
/// another message when the plan keeps it open and it is
/// [`ClientSession::is_idle`]; else close it. `check` says what a passed
/// certificate check ties the server to (where the plan's server name came
/// from) and, for DANE, the TLSA records the certificate must match.
pub async fn open(
    world: &Rc<World>,
    conn: Connection,
    plan: Plan,
    verify: ClientVerify,
    check: ServerCheck,
    envelope: Envelope,
) -> (Outcome, ClientSession) {
    let implicit = plan.implicit_tls;
    let carrying = conn.carrying.clone();
    let mut side = ClientSide::new(world, conn, &plan.server_name, verify);
    side.identity = check.identity;
    side.dane = check.dane;
    let mut session = ClientSession {
        side,
        carrying,
        client: Client::new(plan, envelope),
        pending: VecDeque::new(),
        chunk: vec![0u8; CHUNK],
        opened: world.clock.now().as_millis(),
    };
    if implicit && let Err(reason) = session.side.start_tls().await {
        let outcome = Outcome::Failed {
            reason,
            permanent: false,
            reply: None,
            status: None,
        };
        return (outcome, session);
    }
    let outcome = session.drive().await.unwrap_or_else(|| session.side.gone());
    (outcome, session)
}

/// The client's end of an SMTP connection, between or during transactions.
pub struct ClientSession {
    side: ClientSide,
    carrying: Rc<std::cell::RefCell<Option<String>>>,
    client: Client,
    pending: VecDeque<ClientOutput>,
    /// The read buffer, kept for the connection's life.
    chunk: Vec<u8>,
    /// When the connection was opened, in virtual ms.
    pub opened: u64,
}

impl ClientSession {
    /// Whether the connection is open between transactions.
    pub fn is_idle(&self) -> bool {
        self.client.is_idle()
    }

    /// Whether the session runs inside TLS.
    pub fn is_encrypted(&self) -> bool {
        self.side.io.is_tls()
    }

    /// The connection's id in the trace.
    pub fn conn(&self) -> &str {
        &self.side.conn_id
    }

    /// Hands another message (run-local id `message`) over a kept
    /// connection: `RSET`, then the transaction. [`Outcome::Stale`] when the
    /// connection turned out unusable before anything was sent.
    pub async fn send(&mut self, message: &str, envelope: Envelope) -> Outcome {
        self.carrying.replace(Some(message.to_string()));
        let outputs = self.client.next(envelope);
        self.pending.extend(outputs);
        self.drive().await.unwrap_or_else(|| self.side.gone())
    }

    /// Says QUIT on an idle connection (waiting for the server's 221) and
    /// closes it.
    pub async fn close(mut self) {
        let outputs = self.client.quit();
        self.pending.extend(outputs);
        self.drive().await;
        let _ = self.side.flush().await;
        let _ = self.side.io.shutdown().await;
    }

    /// Runs the engine until it reports: the transaction's outcome, or
    /// `None` when the session closed with nothing to report.
    async fn drive(&mut self) -> Option<Outcome> {
        loop {
            if let Some(output) = self.pending.pop_front() {
                match output {
                    ClientOutput::Send(bytes) => self.side.out.extend_from_slice(&bytes),
                    ClientOutput::StartTls => {
                        if let Err(err) = self.side.flush().await {
                            return Some(self.lost(err));
                        }
                        let outputs = match self.side.start_tls().await {
                            Ok(()) => self.client.tls_started(),
                            Err(reason) => self.client.tls_failed(reason),
                        };
                        self.pending.extend(outputs);
                    }
                    ClientOutput::Done(outcome) => return Some(outcome),
                    ClientOutput::Closed => return None,
                }
                continue;
            }
            if self.client.is_done() || self.client.is_idle() {
                return None;
            }
            if let Err(err) = self.side.flush().await {
                return Some(self.lost(err));
            }
            let outputs = match self.side.io.read(&mut self.chunk).await {
                Ok(0) => self.client.eof(),
                Ok(n) => self.client.feed(&self.chunk[..n]),
                Err(err) => return Some(self.lost(err)),
            };
            self.pending.extend(outputs);
        }
    }

    /// The link failed under the session: a kept connection probed with
    /// RSET is stale, anything else a lost connection.
    fn lost(&mut self, err: std::io::Error) -> Outcome {
        let stale = self.client.eof().into_iter().find_map(|o| match o {
            ClientOutput::Done(outcome @ Outcome::Stale { .. }) => Some(outcome),
            _ => None,
        });
        stale.unwrap_or_else(|| self.side.lost(err))
    }
}

/// The client's end of one session: its stream and what it checks.
pub(super) struct ClientSide {
    world: Rc<World>,
    /// The client node.
    node: String,
    pub(super) conn_id: String,
    verdict: Rc<std::cell::Cell<Option<Identity>>>,
    host: String,
    verify: ClientVerify,
    /// What a passed certificate check ties the server to: the client's
    /// settings unless the caller says where `host` came from.
    identity: Identity,
    /// DANE: the TLSA records the server's certificate must match (none:
    /// no DANE for this server).
    dane: Vec<Tlsa>,
    pub(super) io: Io,
    pub(super) out: Vec<u8>,
}

impl ClientSide {
    /// The client's end of `conn`, talking to `host` (the name its
    /// certificate is checked against).
    pub(super) fn new(
        world: &Rc<World>,
        conn: Connection,
        host: &str,
        verify: ClientVerify,
    ) -> Self {
        ClientSide {
            world: world.clone(),
            node: conn.client,
            conn_id: conn.id,
            verdict: conn.verdict,
            host: host.to_string(),
            verify,
            identity: Identity::Settings,
            dane: Vec::new(),
            io: Io::Plain(conn.link),
            out: Vec::new(),
        }
    }

    /// The channel the session is on now: what a hop it carries is labelled.
    pub(super) fn channel(&self) -> Channel {
        channel_of(self.io.is_tls(), self.verdict.get())
    }

    pub(super) async fn flush(&mut self) -> std::io::Result<()> {
        send_queued(&mut self.io, &mut self.out).await
    }

    fn lost(&self, err: std::io::Error) -> Outcome {
        Outcome::Failed {
            reason: format!("lost connection with {}: {err}", self.host),
            permanent: false,
            reply: None,
            status: None,
        }
    }

    fn gone(&self) -> Outcome {
        Outcome::Failed {
            reason: format!("lost connection with {}", self.host),
            permanent: false,
            reply: None,
            status: None,
        }
    }

    /// The client side of a TLS handshake, checking the certificate as
    /// `verify` says and recording the verdict for the server to label the
    /// hop. The client keeps its TLS sessions and offers the server a
    /// ticket when it has one; a resumed session sends no certificate, so
    /// its verdict is the one from the full handshake that made it. `Err`
    /// carries the reason it failed.
    pub(super) async fn start_tls(&mut self) -> Result<(), String> {
        let world = &self.world;
        let host = &self.host;
        let (config, slot) = world.tls_client(&self.node, self.verify);
        let Ok(name) = ServerName::try_from(host.clone()) else {
            return Err(format!("{host} is not a valid TLS server name"));
        };
        let Io::Plain(link) = std::mem::replace(&mut self.io, Io::Gone) else {
            return Err("TLS is already up".into());
        };
        match TlsConnector::from(config).connect(name, link).await {
            Ok(stream) => {
                let resumed =
                    stream.get_ref().1.handshake_kind() == Some(rustls::HandshakeKind::Resumed);
                self.io = Io::ClientTls(Box::new(stream));
                let auth = slot.get_for(host).map(|auth| match resumed {
                    true => tls::ServerAuth {
                        reason: format!("session resumed; when it began: {}", auth.reason),
                        ..auth
                    },
                    false => auth,
                });
                let mut authenticated = auth.as_ref().is_some_and(|a| a.authenticated);
                let mut auth = auth;
                if !self.dane.is_empty() {
                    let chain = stream_chain(&self.io);
                    match dane::check(&self.dane, &chain, host) {
                        dane::Verdict::Match { record } => {
                            authenticated = true;
                            auth = Some(tls::ServerAuth {
                                authenticated: true,
                                reason: format!(
                                    "DANE: the server's certificate matches TLSA record {} of {host}",
                                    record + 1
                                ),
                            });
                        }
                        dane::Verdict::NoUsableRecords => {}
                        dane::Verdict::NoMatch { reason } => {
                            let reason =
                                format!("TLS handshake with {host} failed: DANE: {reason}");
                            world.emit(Event::TlsFailed {
                                conn: self.conn_id.clone(),
                                error: reason.clone(),
                            });
                            return Err(reason);
                        }
                    }
                }
                let identity = authenticated.then_some(self.identity);
                self.verdict.set(identity);
                let (version, cipher) = self.io.tls_params().unwrap_or_default();
                world.emit(Event::TlsHandshake(Box::new(TlsHandshake {
                    conn: self.conn_id.clone(),
                    version,
                    cipher,
                    server_authenticated: authenticated,
                    identity,
                    reason: auth.map(|a| a.reason).unwrap_or_default(),
                    resumed,
                })));
                Ok(())
            }
            Err(err) => {
                let why = slot
                    .get_for(host)
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

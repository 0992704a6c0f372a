//! The world of one run: scenario, clock, DNS, certificate authority, the
//! trace being written, and the small amount of shared state actors need.
//!
//! Everything here lives on one thread (`Rc`, `RefCell`); actors are tasks on
//! a tokio `LocalSet` whose clock is paused, so they interleave in a fixed
//! order and time only moves when all of them wait.

use std::cell::{Cell, RefCell};
use std::collections::BTreeMap;
use std::rc::Rc;
use std::sync::Arc;

use rustls::ServerConfig;
use rustls::client::ClientSessionMemoryCache;
use rustls::time_provider::TimeProvider;
use tokio::sync::Notify;
use tokio::time::{Duration, sleep};

use crate::clock::Clock;
use crate::policy::cidr::Cidr;
use crate::policy::dns::{Answer, Rtype};
use crate::policy::greylist;
use crate::scenario::{Network, Node, Retrieval, Role, Scenario, Service, SrvRecord, StartTls};
use crate::tls::{ClientVerify, Pki, ServerAuthSlot, VirtualTime, client_config_resuming};
use crate::trace::{
    Blocked, Connect, ConnectFailed, DnsAnswer, DnsForged, DnsQuery, Event, Identity, Record,
    Tapped,
};

use super::dns::{Zone, parse_mx, quote_txt, reverse_name};
use super::link::{self, LinkEnd};
use super::mta::cache::ConnCache;

/// How long a client waits for a host that does not answer before giving
/// up on the connection (Postfix's `smtp_connect_timeout` is 30s).
pub const CONNECT_TIMEOUT: Duration = Duration::from_secs(30);

/// The SMTP port between servers.
pub const SMTP_PORT: u16 = 25;

/// Servers whose TLS sessions a client remembers (rustls keeps up to eight
/// tickets for each).
const TLS_SESSIONS_PER_CLIENT: usize = 256;

/// A client's TLS configuration and where its verifier leaves verdicts.
pub type TlsClient = (Arc<rustls::ClientConfig>, ServerAuthSlot);

/// (node, queue id) → (message, recipients still to deliver).
type QueueIndex = BTreeMap<(String, String), (String, Vec<String>)>;

/// The shared state of a run.
pub struct World {
    /// mail-auth's checker, built on first use and kept for the run (it
    /// holds a resolver object, never used: `policy::auth` answers its DNS).
    authenticator: std::cell::OnceCell<Option<crate::policy::auth::Authenticator>>,
    pub scenario: Scenario,
    pub clock: Clock,
    pub zone: Zone,
    pub pki: Pki,
    pub time: Arc<dyn TimeProvider>,
    server_tls: BTreeMap<String, Arc<ServerConfig>>,
    events: RefCell<Records>,
    /// The `seq` of the next event (with a sink, not every event is kept).
    next_seq: Cell<u64>,
    /// Where every event is also written as it happens, if anywhere.
    sink: RefCell<Option<super::sink::SharedSink>>,
    next_conn: Cell<u64>,
    next_hop: Cell<u32>,
    next_message: Cell<u64>,
    next_queue_id: Cell<u64>,
    busy: Cell<usize>,
    pub idle: Notify,
    /// Wakes every open session when a node goes down, so sessions with
    /// that node are cut.
    pub went_down: Notify,
    /// Run-local message id (`m1`) by Message-ID header.
    message_ids: RefCell<BTreeMap<String, String>>,
    /// What sits in each queue: (node, queue id) → (message, recipients).
    queued: RefCell<QueueIndex>,
    /// Connections relays keep open between messages (see `mta::cache`).
    pub conn_cache: RefCell<ConnCache>,
    /// Each client node's TLS configuration, by how it checks
    /// certificates: one per client, so its sessions can be resumed.
    tls_clients: RefCell<BTreeMap<(String, ClientVerify), TlsClient>>,
    /// Test hook: events of these kinds are not recorded (to prove the
    /// invariant checks notice a gap).
    pub suppress: RefCell<Vec<&'static str>>,
    limits: Limits,
    /// What the mailbox servers hold.
    pub store: RefCell<super::store::MailStore>,
    /// Why the run was cut short, once a limit was reached.
    halted: Cell<Option<&'static str>>,
    /// Bytes of text recorded so far (see `Limits::max_bytes`).
    recorded_bytes: Cell<usize>,
    /// Wakes the run's driver when a limit is reached.
    pub halt: Notify,
    /// Wakes IMAP sessions in IDLE when a message was filed in a mailbox.
    pub mail_arrived: Notify,
    /// Maildrops a POP3 session holds, by (node, address): RFC 1939 locks
    /// the maildrop for the session.
    pop3_locks: RefCell<std::collections::BTreeSet<(String, String)>>,
    /// What each mail client has downloaded (see `reader`).
    pub devices: RefCell<BTreeMap<String, super::reader::Device>>,
    /// The servers each mail client set up with `discover` found, once
    /// found (see `account`).
    pub accounts: RefCell<BTreeMap<String, super::account::Slot>>,
    /// What sending servers remember of MTA-STS policies, and what their
    /// next TLS reports will count.
    pub tls_memory: RefCell<super::mta::secure::Memory>,
    /// Each greylisting server's table (`checks.greylist`), by node.
    greylists: BTreeMap<String, RefCell<greylist::Table>>,
    /// The scenario's networks with their ranges read.
    networks: Vec<(Network, Cidr)>,
}

/// Caps on one run, whatever the scenario says: a scenario (or a student's
/// what-if) can describe a world that never settles, such as two relays
/// forwarding to each other. Reaching a cap ends the run with an `end`
/// event whose reason names it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Limits {
    /// Events recorded.
    pub max_events: usize,
    /// Messages written (each composed message and each bounce counts).
    pub max_messages: u64,
    /// Bytes of text the trace holds (stored copies, wire chunks, lines):
    /// what a run's memory grows with, when messages are large.
    pub max_bytes: usize,
}

impl Default for Limits {
    fn default() -> Self {
        Limits {
            max_events: 4_000_000,
            max_messages: 100_000,
            max_bytes: 4 << 30,
        }
    }
}

/// Records per chunk of the trace being written (about 5 MB each).
const CHUNK: usize = 64 * 1024;

/// The trace being written, in chunks of [`CHUNK`] records, each allocated
/// once at its full size. A growing `Vec` would double its buffer: up to
/// twice the records' size reserved for a trace of millions of records, and,
/// with an allocator that copies when it grows a buffer, the old and the new
/// one held at once.
#[derive(Default)]
struct Records {
    chunks: Vec<Vec<Record>>,
    len: usize,
}

impl Records {
    fn push(&mut self, record: Record) {
        match self.chunks.last_mut() {
            Some(chunk) if chunk.len() < CHUNK => chunk.push(record),
            _ => {
                let mut chunk = Vec::with_capacity(CHUNK);
                chunk.push(record);
                self.chunks.push(chunk);
            }
        }
        self.len += 1;
    }

    /// All the records, in order, in a `Vec` of exactly their number. Each
    /// chunk is freed as soon as it is moved in, so at most one chunk more
    /// than the result is held at a time.
    fn take(&mut self) -> Vec<Record> {
        let mut all = Vec::with_capacity(self.len);
        for chunk in std::mem::take(&mut self.chunks) {
            all.extend(chunk);
        }
        self.len = 0;
        all
    }
}

/// The bytes of text an event holds, roughly what it costs in memory.
///
/// A wire chunk holds its raw bytes once, but counts twice the length of
/// their base64 (about 2.7 times the raw length): roughly what it costs in
/// the JSON trace (base64 `data` plus the text or the TLS record headers),
/// and the very figure it counted when the trace held the base64 and the
/// text as strings, so a run cut by `max_bytes` stops where it did.
fn event_bytes(event: &Event) -> usize {
    match event {
        Event::Stored(stored) => stored.eml.len(),
        Event::Wire(wire) => wire.data.len().div_ceil(3) * 4 * 2,
        Event::Line { text, .. } => text.len(),
        _ => 64,
    }
}

/// Details of one connection, for the server side.
#[derive(Debug, Clone)]
pub struct ConnInfo {
    pub id: String,
    pub client: String,
    pub client_ip: String,
    pub server: String,
    pub port: u16,
    /// Filled by a simulated client after its TLS handshake: what its check
    /// of the server's certificate tied the server to (`None`: nothing).
    /// The server reads it to label the hop.
    pub verdict: Rc<Cell<Option<Identity>>>,
    /// Filled by a simulated relay: the run-local id of the message it is
    /// passing on. The server reads it to follow a message that has no
    /// Message-ID header (typed by hand, say) from hop to hop; it is the
    /// simulation's bookkeeping and never touches the bytes.
    pub carrying: Rc<RefCell<Option<String>>>,
}

/// The client's side of a new connection.
pub struct Connection {
    pub link: LinkEnd,
    pub id: String,
    /// The client node.
    pub client: String,
    pub verdict: Rc<Cell<Option<Identity>>>,
    pub carrying: Rc<RefCell<Option<String>>>,
}

/// Keeps the run alive while held: the run ends when nothing holds one.
pub struct Busy(Rc<World>);

impl Drop for Busy {
    fn drop(&mut self) {
        let left = self.0.busy.get() - 1;
        self.0.busy.set(left);
        if left == 0 {
            self.0.idle.notify_one();
        }
    }
}

impl World {
    /// Builds the world: DNS zone, CA, and each server's certificate.
    pub fn new(scenario: Scenario, limits: Limits) -> Result<Rc<World>, String> {
        let epoch = crate::clock::parse_start(&scenario.start).ok_or_else(|| {
            format!(
                "start {:?} is not a date like 2026-01-05T09:00:00Z",
                scenario.start
            )
        })?;
        let clock = Clock::start(epoch);
        let time: Arc<dyn TimeProvider> = {
            let clock = clock.clone();
            Arc::new(VirtualTime::new(Arc::new(move || {
                clock.unix_now().max(0) as u64
            })))
        };
        let pki = Pki::new(scenario.seed, epoch);
        let mut server_tls = BTreeMap::new();
        for (name, node) in &scenario.nodes {
            if node.role.is_server() && node.starttls != StartTls::None {
                let config = pki
                    .server_config_named(name, &node.aliases, node.certificate, time.clone())
                    .map_err(|e| format!("node {name}: {e}"))?;
                server_tls.insert(name.clone(), config);
            }
        }
        let mut zone = Zone::build(&scenario);
        zone.publish_tlsa(&scenario, &pki);
        let greylists = scenario
            .nodes
            .iter()
            .filter(|(_, n)| n.checks.as_ref().is_some_and(|c| c.greylist.is_some()))
            .map(|(name, _)| (name.clone(), RefCell::default()))
            .collect();
        let networks = scenario
            .networks
            .iter()
            .filter_map(|n| Some((n.clone(), Cidr::parse(&n.range).ok()?)))
            .collect();
        Ok(Rc::new(World {
            authenticator: std::cell::OnceCell::new(),
            greylists,
            tls_memory: RefCell::default(),
            networks,
            zone,
            scenario,
            clock,
            pki,
            time,
            server_tls,
            events: RefCell::new(Records::default()),
            next_seq: Cell::new(0),
            sink: RefCell::new(None),
            next_conn: Cell::new(1),
            next_hop: Cell::new(1),
            next_message: Cell::new(1),
            next_queue_id: Cell::new(1),
            busy: Cell::new(0),
            idle: Notify::new(),
            went_down: Notify::new(),
            message_ids: RefCell::new(BTreeMap::new()),
            queued: RefCell::new(BTreeMap::new()),
            suppress: RefCell::new(Vec::new()),
            conn_cache: RefCell::new(ConnCache::default()),
            tls_clients: RefCell::new(BTreeMap::new()),
            limits,
            store: RefCell::new(Default::default()),
            halted: Cell::new(None),
            recorded_bytes: Cell::new(0),
            halt: Notify::new(),
            mail_arrived: Notify::new(),
            pop3_locks: RefCell::new(Default::default()),
            devices: RefCell::new(BTreeMap::new()),
            accounts: RefCell::new(BTreeMap::new()),
        }))
    }

    /// Appends an event to the trace at the current virtual time.
    pub fn emit(&self, event: Event) {
        let kind = event.kind();
        if self.suppress.borrow().contains(&kind) {
            return;
        }
        let closing = matches!(event, Event::QueuedAtEnd(_) | Event::End { .. });
        if self.halted.get().is_some() && !closing {
            return;
        }
        let bytes = self.recorded_bytes.get() + event_bytes(&event);
        self.recorded_bytes.set(bytes);
        if bytes > self.limits.max_bytes && !closing {
            self.stop("byte_limit");
            return;
        }
        let t = self.clock.now().as_millis();
        tracing::debug!(t, ?event, "event");
        let seq = self.next_seq.get();
        self.next_seq.set(seq + 1);
        let record = Record { t, seq, event };
        let kept = match &*self.sink.borrow() {
            Some(sink) => sink.lock().unwrap_or_else(|e| e.into_inner()).write(record),
            None => Some(record),
        };
        if let Some(record) = kept {
            self.events.borrow_mut().push(record);
        }
        if seq + 1 >= self.limits.max_events as u64 && !closing {
            self.stop("event_limit");
        }
    }

    /// Streams every event to `sink` from now on.
    pub fn set_sink(&self, sink: Option<super::sink::SharedSink>) {
        *self.sink.borrow_mut() = sink;
    }

    /// The run is over: hands the sink, if any, its last events. The caller
    /// that made the sink waits for the file with [`super::sink::Sink::finish`].
    pub fn release_sink(&self) {
        if let Some(sink) = self.sink.borrow_mut().take() {
            sink.lock().unwrap_or_else(|e| e.into_inner()).hand_over();
        }
    }

    /// Ends the run early: nothing more is recorded but its closing events.
    fn stop(&self, reason: &'static str) {
        if self.halted.get().is_none() {
            self.halted.set(Some(reason));
            self.halt.notify_one();
        }
    }

    /// Why the run was cut short, if it was.
    pub fn halted(&self) -> Option<&'static str> {
        self.halted.get()
    }

    pub fn limits(&self) -> Limits {
        self.limits
    }

    /// The trace's records, leaving none behind.
    pub fn take_events(&self) -> Vec<Record> {
        self.events.borrow_mut().take()
    }

    /// Marks the run busy until the guard is dropped.
    pub fn busy(self: &Rc<Self>) -> Busy {
        self.busy.set(self.busy.get() + 1);
        Busy(self.clone())
    }

    pub fn is_busy(&self) -> bool {
        self.busy.get() > 0
    }

    pub fn node(&self, name: &str) -> Option<&Node> {
        self.scenario.nodes.get(name)
    }

    /// Whether a fault has taken `node` off the network right now.
    pub fn is_down(&self, node: &str) -> bool {
        let now = self.clock.now().as_millis();
        self.scenario.faults.iter().any(|f| {
            f.down == node
                && f.from.as_millis() <= now
                && f.until.is_none_or(|u| now < u.as_millis())
        })
    }

    /// When `node` comes back up, if it is down now (`None`: never).
    pub fn up_again_at(&self, node: &str) -> Option<u64> {
        let now = self.clock.now().as_millis();
        self.scenario
            .faults
            .iter()
            .filter(|f| f.down == node && f.from.as_millis() <= now)
            .filter_map(|f| f.until.map(|u| u.as_millis()))
            .filter(|&u| u > now)
            .max()
    }

    pub fn server_tls(&self, node: &str) -> Option<Arc<ServerConfig>> {
        self.server_tls.get(node).cloned()
    }

    /// `node`'s TLS client configuration for checking certificates as
    /// `mode` says, and the slot where its verifier leaves each server's
    /// verdict. One per client and mode, kept for the run, with the client's
    /// TLS sessions (a session made without checking is never resumed by a
    /// connection that must check).
    pub fn tls_client(&self, node: &str, mode: ClientVerify) -> TlsClient {
        self.tls_clients
            .borrow_mut()
            .entry((node.to_string(), mode))
            .or_insert_with(|| {
                let sessions = Arc::new(ClientSessionMemoryCache::new(TLS_SESSIONS_PER_CLIENT));
                client_config_resuming(&self.pki, mode, self.time.clone(), Some(sessions))
            })
            .clone()
    }

    /// What listens on `port` of `node`, if anything. A node's `listen`
    /// map says it; without one, every server runs SMTP on 25, MSAs and
    /// servers with accounts run submission on 587, and any port a mail
    /// client submits to runs submission (implicit TLS on 465). A server
    /// that keeps mailboxes runs IMAP on 143 and 993 and POP3 on 110 and
    /// 995, and any other port a mail client reads from runs what it reads
    /// with. A server with a `web` runs HTTPS on 443.
    pub fn service_at(&self, node: &str, port: u16) -> Option<Service> {
        let n = self.node(node)?;
        if !n.role.is_server() {
            return None;
        }
        if let Some(listen) = &n.listen {
            return listen.get(&port).copied();
        }
        let submission_target = self
            .scenario
            .nodes
            .values()
            .any(|c| c.submit.as_deref() == Some(node) && c.submit_port == port);
        let fetch_target = self.scenario.nodes.values().find_map(|c| {
            c.fetch
                .as_ref()
                .filter(|f| f.server.as_deref() == Some(node) && f.port() == port)
                .map(|f| f.protocol)
        });
        let keeps = !n.mailboxes.is_empty();
        match port {
            SMTP_PORT => Some(Service::Smtp),
            143 if keeps => Some(Service::Imap),
            993 if keeps => Some(Service::Imaps),
            110 if keeps => Some(Service::Pop3),
            995 if keeps => Some(Service::Pop3s),
            443 if n.web.is_some() => Some(Service::Https),
            587 if n.role == Role::Msa || !n.accounts.is_empty() || submission_target => {
                Some(Service::Submission)
            }
            465 if submission_target => Some(Service::Submissions),
            _ if submission_target => Some(Service::Submission),
            _ => fetch_target.map(|protocol| match protocol {
                Retrieval::Imap => Service::Imap,
                Retrieval::Pop3 => Service::Pop3,
            }),
        }
    }

    pub fn link_latency(&self, a: &str, b: &str) -> Duration {
        let ms = self
            .scenario
            .links
            .iter()
            .find(|l| {
                (l.between[0] == a && l.between[1] == b) || (l.between[0] == b && l.between[1] == a)
            })
            .map(|l| l.latency)
            .unwrap_or(self.scenario.latency)
            .as_millis();
        Duration::from_millis(ms)
    }

    /// Records a connection attempt that failed, and returns its reason.
    pub fn connect_failed(&self, client: &str, server: &str, port: u16, reason: String) -> String {
        self.emit(Event::ConnectFailed(Box::new(ConnectFailed {
            client: client.into(),
            server: server.into(),
            port,
            reason: reason.clone(),
            blocked: None,
        })));
        reason
    }

    /// `server`'s greylisting table, when it greylists.
    pub fn greylist(&self, server: &str) -> Option<&RefCell<greylist::Table>> {
        self.greylists.get(server)
    }

    /// The network `node` is on: the first whose range holds its address.
    pub fn network_of(&self, node: &str) -> Option<&Network> {
        let ip = self.zone.ip_of(node);
        self.networks
            .iter()
            .find(|(_, range)| range.contains_text(&ip))
            .map(|(network, _)| network)
    }

    /// The rule that drops a connection from `client` to `server:port`, if
    /// one does: the client's network blocks port 25 towards every server
    /// but those it names.
    fn blocking_rule(&self, client: &str, server: &str, port: u16) -> Option<Blocked> {
        let network = self.network_of(client)?;
        let blocked = port == SMTP_PORT
            && network.block_outbound_smtp
            && !network.except.iter().any(|e| e == server);
        blocked.then(|| Blocked {
            network: network.name.clone(),
            range: network.range.clone(),
            rule: "block_outbound_smtp".into(),
            except: network.except.clone(),
        })
    }

    /// Opens a connection from `client` to `server:port`, starting the
    /// server's session. Waits on the virtual clock as a real connect would:
    /// a client that is down cannot connect; one whose network blocks the
    /// port (`networks`) waits out the connect timeout, as a dropped
    /// connection does; a server that is down never answers either; a port
    /// nobody listens on is refused.
    pub async fn connect(
        self: &Rc<Self>,
        client: &str,
        server: &str,
        port: u16,
    ) -> Result<Connection, String> {
        let latency = self.link_latency(client, server);
        if self.is_down(client) {
            let reason = format!("network is unreachable: {client} is down");
            return Err(self.connect_failed(client, server, port, reason));
        }
        if let Some(rule) = self.blocking_rule(client, server, port) {
            // Dropped, not refused: the client hears nothing and gives up.
            sleep(CONNECT_TIMEOUT).await;
            let reason = "connection timed out".to_string();
            self.emit(Event::ConnectFailed(Box::new(ConnectFailed {
                client: client.into(),
                server: server.into(),
                port,
                reason: reason.clone(),
                blocked: Some(rule),
            })));
            return Err(reason);
        }
        if self.is_down(server) {
            sleep(CONNECT_TIMEOUT).await;
            return Err(self.connect_failed(client, server, port, "connection timed out".into()));
        }
        let Some(service) = self.service_at(server, port) else {
            sleep(latency * 2).await;
            return Err(self.connect_failed(client, server, port, "connection refused".into()));
        };
        sleep(latency).await;
        let id = format!("c{}", self.next_conn.get());
        self.next_conn.set(self.next_conn.get() + 1);
        let info = ConnInfo {
            id: id.clone(),
            client: client.into(),
            client_ip: self.zone.ip_of(client),
            server: server.into(),
            port,
            verdict: Rc::new(Cell::new(None)),
            carrying: Rc::new(RefCell::new(None)),
        };
        let verdict = info.verdict.clone();
        let carrying = info.carrying.clone();
        self.emit(Event::Connect(Box::new(Connect {
            conn: id.clone(),
            client: client.into(),
            server: server.into(),
            port,
            client_ip: info.client_ip.clone(),
            server_ip: self.zone.ip_of(server),
        })));
        let mut stripper = None;
        let mut seen = Vec::new();
        for (attacker, cfg) in self.attackers_of(client).chain(self.attackers_of(server)) {
            if seen.contains(&attacker) {
                continue;
            }
            seen.push(attacker);
            self.emit(Event::Tapped(Box::new(Tapped {
                attacker: attacker.into(),
                conn: id.clone(),
                client: client.into(),
                server: server.into(),
            })));
            if cfg.strip_starttls && stripper.is_none() {
                stripper = Some(attacker.to_string());
            }
        }
        let (client_end, server_end) = link::pair(self, id.clone(), latency, stripper);
        let busy = self.busy();
        let world = self.clone();
        match service {
            Service::Imap | Service::Imaps => tokio::task::spawn_local(
                super::mailserver::serve_imap(world, info, server_end, service, busy),
            ),
            Service::Pop3 | Service::Pop3s => tokio::task::spawn_local(
                super::mailserver::serve_pop3(world, info, server_end, service, busy),
            ),
            Service::Https => {
                tokio::task::spawn_local(super::web::serve_https(world, info, server_end, busy))
            }
            Service::Smtp | Service::Submission | Service::Submissions => tokio::task::spawn_local(
                super::session::serve_smtp(world, info, server_end, service, busy),
            ),
        };
        Ok(Connection {
            link: client_end,
            id,
            client: client.into(),
            verdict,
            carrying,
        })
    }

    /// A fresh run-local message id, or the one already given to this
    /// Message-ID header.
    pub fn message_id_for(&self, header: Option<&str>) -> String {
        if let Some(h) = header
            && let Some(id) = self.message_ids.borrow().get(h)
        {
            return id.clone();
        }
        let n = self.next_message.get();
        if n > self.limits.max_messages {
            self.stop("message_limit");
        }
        let id = format!("m{n}");
        self.next_message.set(n + 1);
        if let Some(h) = header {
            self.message_ids
                .borrow_mut()
                .insert(h.to_string(), id.clone());
        }
        id
    }

    /// Ties a Message-ID header to a run-local id chosen by the composer.
    pub fn adopt_message_id(&self, header: &str, id: &str) -> String {
        self.message_ids
            .borrow_mut()
            .insert(header.to_string(), id.to_string());
        id.to_string()
    }

    pub fn next_hop(&self) -> u32 {
        let n = self.next_hop.get();
        self.next_hop.set(n + 1);
        n
    }

    /// A queue id in the style of Postfix (hexadecimal, unique in the run).
    pub fn new_queue_id(&self) -> String {
        let n = self.next_queue_id.get();
        self.next_queue_id.set(n + 1);
        format!("{:010X}", 0x4B1D_0000u64 + n * 0x1F3)
    }

    pub fn set_queued(&self, node: &str, queue_id: &str, message: &str, recipients: Vec<String>) {
        let key = (node.to_string(), queue_id.to_string());
        if recipients.is_empty() {
            self.queued.borrow_mut().remove(&key);
        } else {
            self.queued
                .borrow_mut()
                .insert(key, (message.to_string(), recipients));
        }
    }

    /// Everything still queued: (node, message, recipients).
    pub fn still_queued(&self) -> Vec<(String, String, Vec<String>)> {
        self.queued
            .borrow()
            .iter()
            .map(|((node, _), (message, rcpts))| (node.clone(), message.clone(), rcpts.clone()))
            .collect()
    }

    /// The run-local id of the message at `uid` of a folder, if it is there.
    pub fn store_message(&self, node: &str, user: &str, folder: &str, uid: u32) -> Option<String> {
        let store = self.store.borrow();
        let f = store.mailbox(node, user)?.folders.get(folder)?;
        f.messages
            .iter()
            .find(|m| m.uid == uid)
            .map(|m| m.message.clone())
    }

    /// Locks a maildrop for a POP3 session: false if another holds it.
    pub fn lock_maildrop(&self, node: &str, user: &str) -> bool {
        self.pop3_locks
            .borrow_mut()
            .insert((node.to_string(), user.to_ascii_lowercase()))
    }

    pub fn unlock_maildrop(&self, node: &str, user: &str) {
        self.pop3_locks
            .borrow_mut()
            .remove(&(node.to_string(), user.to_ascii_lowercase()));
    }

    /// The sender checker of this run, if mail-auth could build one.
    pub fn authenticator(&self) -> Option<&crate::policy::auth::Authenticator> {
        self.authenticator
            .get_or_init(|| crate::policy::auth::Authenticator::new().ok())
            .as_ref()
    }

    // --- DNS, with every question and answer in the trace ---

    fn record_lookup(&self, node: &str, name: &str, rtype: &str, answers: Option<Vec<String>>) {
        let rcode = if answers.is_some() {
            "NOERROR"
        } else {
            "NXDOMAIN"
        };
        self.record_answer(node, name, rtype, rcode, answers.unwrap_or_default());
    }

    fn record_answer(
        &self,
        node: &str,
        name: &str,
        rtype: &str,
        rcode: &str,
        answers: Vec<String>,
    ) {
        self.record_query(node, name, rtype);
        self.emit(Event::DnsAnswer(Box::new(DnsAnswer {
            node: node.into(),
            name: name.into(),
            rtype: rtype.into(),
            rcode: rcode.into(),
            answers,
            secure: false,
        })));
    }

    /// The question half of a lookup.
    fn record_query(&self, node: &str, name: &str, rtype: &str) {
        self.emit(Event::DnsQuery(Box::new(DnsQuery {
            node: node.into(),
            name: name.into(),
            rtype: rtype.into(),
        })));
    }

    /// A policy's question (`policy::dns`), answered as `node` hears it
    /// (see [`World::hear`]) and recorded like every lookup: the answers in
    /// zone-file form.
    pub fn ask(&self, node: &str, name: &str, rtype: Rtype) -> Answer {
        self.ask_secure(node, name, rtype).0
    }

    /// [`World::ask`], and whether the answer is authentic by DNSSEC (the
    /// asker validates, the zone is signed, and nobody forged it).
    pub fn ask_secure(&self, node: &str, name: &str, rtype: Rtype) -> (Answer, bool) {
        let name = name.trim_end_matches('.');
        self.record_query(node, name, rtype.as_str());
        let (answer, secure) = self.hear(node, name, rtype);
        let (rcode, shown) = match &answer {
            Answer::Records(r) => (
                "NOERROR",
                r.iter().map(|v| zone_line(name, rtype, v)).collect(),
            ),
            Answer::NoData => ("NOERROR", Vec::new()),
            Answer::NxDomain => ("NXDOMAIN", Vec::new()),
            Answer::TempFail => ("SERVFAIL", Vec::new()),
        };
        self.emit(Event::DnsAnswer(Box::new(DnsAnswer {
            node: node.into(),
            name: name.into(),
            rtype: rtype.as_str().into(),
            rcode: rcode.into(),
            answers: shown,
            secure,
        })));
        (answer, secure)
    }

    /// What `node` hears when it asks: the zone's answer, unless an
    /// attacker on its path forges one (recorded as `dns_forged`, between
    /// the question and the answer). A node
    /// that validates DNSSEC (`tls_policy.dane`) finds a forgery for a
    /// signed zone bogus and gets SERVFAIL; for an unsigned zone nothing
    /// tells the forgery apart. The flag: authentic by DNSSEC.
    fn hear(&self, node: &str, name: &str, rtype: Rtype) -> (Answer, bool) {
        let validates = self.validates_dnssec(node);
        let signed = self.is_signed(name);
        if let Some((attacker, forged)) = self.forgery(node, name, rtype) {
            let refused = validates && signed;
            self.emit(Event::DnsForged(Box::new(DnsForged {
                attacker: attacker.to_string(),
                node: node.into(),
                name: name.into(),
                rtype: rtype.as_str().into(),
                answers: forged.iter().map(|v| zone_line(name, rtype, v)).collect(),
                refused,
            })));
            return match refused {
                true => (Answer::TempFail, false),
                false => (Answer::Records(forged), false),
            };
        }
        let answer = self.zone.answer(name, rtype);
        let secure = validates && signed && answer != Answer::TempFail;
        (answer, secure)
    }

    /// The first attacker on `node`'s path that forges `name`'s records of
    /// `rtype`, with those records in presentation form.
    fn forgery<'a>(
        &'a self,
        node: &'a str,
        name: &str,
        rtype: Rtype,
    ) -> Option<(&'a str, Vec<String>)> {
        let owner = crate::sim::dns::normalise(name);
        self.attackers_of(node).find_map(|(attacker, cfg)| {
            let records = cfg
                .forge_dns
                .iter()
                .find(|(k, _)| crate::sim::dns::normalise(k) == owner)?
                .1;
            let forged: Vec<String> = match rtype {
                Rtype::A => records.a.clone(),
                Rtype::Mx => records
                    .mx
                    .iter()
                    .map(|m| format!("{} {}", m.preference, m.host.trim_end_matches('.')))
                    .collect(),
                Rtype::Txt => records.txt.clone(),
                Rtype::Ptr => records.ptr.clone(),
                _ => Vec::new(),
            };
            (!forged.is_empty()).then_some((attacker, forged))
        })
    }

    /// The attackers whose `on_path` names `node`, by name.
    pub fn attackers_of<'a>(&'a self, node: &'a str) -> impl Iterator<Item = (&'a str, &'a Node)> {
        self.scenario
            .nodes
            .iter()
            .filter(move |(_, n)| n.role == Role::Attacker && n.on_path.iter().any(|p| p == node))
            .map(|(k, n)| (k.as_str(), n))
    }

    /// Whether `node`'s resolver validates DNSSEC (DANE needs it).
    pub fn validates_dnssec(&self, node: &str) -> bool {
        self.node(node)
            .and_then(|n| n.tls_policy.as_ref())
            .is_some_and(|p| p.dane)
    }

    /// Whether `name` is in a zone the scenario signs (`dnssec`).
    pub fn is_signed(&self, name: &str) -> bool {
        let name = crate::sim::dns::normalise(name);
        self.scenario.dnssec.iter().any(|zone| {
            let zone = crate::sim::dns::normalise(zone);
            name == zone || name.ends_with(&format!(".{zone}"))
        })
    }

    /// MX lookup. `None` when the name does not exist or the lookup
    /// failed; an empty list when it exists without MX records.
    pub fn lookup_mx(&self, node: &str, domain: &str) -> Option<Vec<(u16, String)>> {
        match self.ask(node, domain, Rtype::Mx) {
            Answer::Records(records) => Some(records.iter().filter_map(|r| parse_mx(r)).collect()),
            Answer::NoData => Some(Vec::new()),
            Answer::NxDomain | Answer::TempFail => None,
        }
    }

    /// A lookup: the addresses of `name`, if the name exists (and the
    /// lookup did not fail).
    pub fn lookup_a(&self, node: &str, name: &str) -> Option<Vec<String>> {
        match self.ask(node, name, Rtype::A) {
            Answer::Records(ips) => Some(ips),
            Answer::NoData => Some(Vec::new()),
            Answer::NxDomain | Answer::TempFail => None,
        }
    }

    /// SRV lookup (RFC 2782): the records of `name` as the zone holds them,
    /// `None` when the name does not exist. Recorded in zone-file form,
    /// `_imaps._tcp.example.test. SRV 0 1 993 mail.example.test.`.
    pub fn lookup_srv(&self, node: &str, name: &str) -> Option<Vec<SrvRecord>> {
        let srv = self.zone.srv(name);
        let text = srv.as_ref().map(|list| {
            list.iter()
                .map(|r| {
                    format!(
                        "{}. SRV {} {} {} {}.",
                        name.trim_end_matches('.'),
                        r.priority,
                        r.weight,
                        r.port,
                        r.target.trim_end_matches('.')
                    )
                })
                .collect()
        });
        self.record_lookup(node, name, "SRV", text);
        srv
    }

    /// Reverse lookup of an address: its PTR name, if any.
    pub fn lookup_ptr(&self, node: &str, ip: &str) -> Option<String> {
        let owner = reverse_name(ip);
        let ptr = self.zone.get(&owner).and_then(|r| r.ptr.first().cloned());
        let text = ptr
            .as_ref()
            .map(|p| vec![format!("{owner}. PTR {}.", p.trim_end_matches('.'))]);
        self.record_lookup(node, &owner, "PTR", text);
        ptr
    }
}

/// A record as a zone file writes it: `b.test. MX 10 mx.b.test.`.
fn zone_line(name: &str, rtype: Rtype, value: &str) -> String {
    match rtype {
        Rtype::Txt => format!("{name}. {} {}", rtype.as_str(), quote_txt(value)),
        Rtype::Mx | Rtype::Ptr => {
            format!(
                "{name}. {} {}.",
                rtype.as_str(),
                value.trim_end_matches('.')
            )
        }
        _ => format!("{name}. {} {value}", rtype.as_str()),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn records_come_back_in_order_in_a_vec_of_their_exact_size() {
        let mut records = Records::default();
        let n = 2 * CHUNK + 3;
        for seq in 0..n as u64 {
            records.push(Record {
                t: seq / 10,
                seq,
                event: Event::Closed {
                    conn: format!("c{seq}"),
                },
            });
        }
        assert_eq!(records.len, n);
        assert_eq!(records.chunks.len(), 3);
        let all = records.take();
        assert_eq!((all.len(), all.capacity()), (n, n));
        assert!(all.iter().enumerate().all(|(i, r)| r.seq == i as u64));
        assert_eq!(
            all[n - 1].event,
            Event::Closed {
                conn: format!("c{}", n - 1)
            }
        );
        assert_eq!(records.len, 0);
        assert!(records.take().is_empty());
    }
}

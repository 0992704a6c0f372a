//! The trace: everything that happened in a run, in order.
//!
//! A run produces one [`Trace`]: a header naming the scenario and seed, and a
//! list of [`Record`]s. Each record has a virtual time `t` (milliseconds since
//! the scenario started), a sequence number `seq` (strictly increasing, so two
//! events at the same millisecond keep their order) and an [`Event`]. Events
//! serialize with a `kind` tag, for example
//! `{"t":20,"seq":7,"kind":"line","conn":"c1",...}`.
//!
//! Every view (the terminal table, the exposure ledger, assertions, the web
//! player) reads the trace and nothing else. Field meanings are documented on
//! each variant (or on the struct it boxes) and summarised in ARCHITECTURE.md.
//!
//! A trace can hold millions of records, most of them small `line` events,
//! and every record is as large as the largest event. So an event with more
//! than a few fields keeps them in a `Box` of a struct named after it
//! (`Event::Connect(Box<Connect>)`); it serializes exactly as a struct
//! variant would, and a test keeps a [`Record`] at 80 bytes or less.

use serde::{Deserialize, Serialize};

pub mod attack;
pub mod cures;
pub mod mailboxes;
pub mod pgp;
pub mod senders;
mod wire;
pub use attack::{DnsForged, Tampered, Tapped};
pub use cures::{TlsPolicy, TlsPolicyFailed, TlsReportSent};
pub use pgp::{Decrypted, Encrypted, PgpNoKey};
pub use senders::{DkimSigned, Forwarded, SenderChecked, SpamScored};
pub use wire::Wire;

/// One run of one scenario.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Trace {
    /// The scenario's `id`.
    pub scenario: String,
    /// The seed the run used.
    pub seed: u64,
    /// Virtual time zero as a calendar date (UTC), e.g. `2026-01-05T09:00:00Z`.
    pub start: String,
    /// The events, ordered by `seq` (and therefore by `t`).
    pub events: Vec<Record>,
}

impl Trace {
    /// The trace as pretty-printed JSON (what `mailhop run --json` prints).
    pub fn to_json(&self) -> String {
        serde_json::to_string_pretty(self).expect("a trace is plain data and always serializes")
    }

    /// The events of one kind, by a filter on the event.
    pub fn iter(&self) -> impl Iterator<Item = &Record> {
        self.events.iter()
    }

    /// All hops, in order.
    pub fn hops(&self) -> impl Iterator<Item = (&Record, &Hop)> {
        self.events.iter().filter_map(|r| match &r.event {
            Event::Hop(hop) => Some((r, &**hop)),
            _ => None,
        })
    }
}

/// An event at a virtual time.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Record {
    /// Virtual milliseconds since the scenario started.
    pub t: u64,
    /// Position in the trace, from 0.
    pub seq: u64,
    #[serde(flatten)]
    pub event: Event,
}

/// Which way bytes or a line went on a connection.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Dir {
    /// From the connecting side (the SMTP client) to the server.
    ClientToServer,
    /// From the server back to the client.
    ServerToClient,
}

/// How a hop travelled, from the point of view of someone on the path.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum Channel {
    /// Anyone on the link reads everything.
    Plaintext,
    /// Encrypted, but the client did not (or could not) check who the server
    /// was: a man in the middle could have answered instead.
    Tls,
    /// Encrypted, and the certificate is valid for the host name the client
    /// connected to, but that name came from DNS nothing protects (an MX
    /// record): whoever answers DNS for the client picks the name, and a
    /// valid certificate for a forged name passes the check.
    TlsNameOnly,
    /// Encrypted, and the client checked the server's certificate against a
    /// name it can defend: one from its own settings, or one the recipient
    /// domain vouches for (MTA-STS, DANE).
    TlsAuthenticated,
}

impl Channel {
    pub fn as_str(self) -> &'static str {
        match self {
            Channel::Plaintext => "plaintext",
            Channel::Tls => "tls",
            Channel::TlsNameOnly => "tls-name-only",
            Channel::TlsAuthenticated => "tls-authenticated",
        }
    }

    /// The label of a connection: plaintext, or TLS with what the client's
    /// check of the server tied it to (`None`: nothing was checked, or the
    /// check failed and the client went on anyway).
    pub fn of(tls: bool, identity: Option<Identity>) -> Channel {
        match (tls, identity) {
            (false, _) => Channel::Plaintext,
            (true, None) => Channel::Tls,
            (true, Some(Identity::DnsName)) => Channel::TlsNameOnly,
            (true, Some(_)) => Channel::TlsAuthenticated,
        }
    }
}

/// What a client's check of the server's certificate tied the server to:
/// why it believes the server is the right one.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum Identity {
    /// The certificate is valid for the host name the client connected to,
    /// a name its own settings give (a person or an administrator wrote it).
    Settings,
    /// The certificate is valid for the host name an MX record gave, in DNS
    /// nobody signed: it proves the server is that host, not that the host
    /// is the recipient domain's.
    DnsName,
    /// The certificate is valid for an MX host the recipient domain's
    /// MTA-STS policy lists (RFC 8461), a policy fetched over HTTPS.
    MtaSts,
    /// The certificate matches a TLSA record of the MX host, read from
    /// DNSSEC-signed DNS (DANE, RFC 7672).
    Dane,
}

impl Identity {
    pub fn as_str(self) -> &'static str {
        match self {
            Identity::Settings => "settings",
            Identity::DnsName => "dns-name",
            Identity::MtaSts => "mta-sts",
            Identity::Dane => "dane",
        }
    }
}

/// Where a stored copy sits on a node.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "place", rename_all = "snake_case")]
pub enum Place {
    /// In the mail queue, waiting to be passed on.
    Queue { queue_id: String },
    /// In a user's mailbox, in a folder such as `INBOX`.
    Mailbox { mailbox: String, folder: String },
    /// On a mail client's device (a laptop, a phone), downloaded from the
    /// `mailbox` on a server by IMAP or POP3 into its local `folder`.
    Device { mailbox: String, folder: String },
}

/// What a passive observer of a link sees in one chunk of bytes.
///
/// It holds no copy of the bytes: a [`Wire`] keeps them once, in `data`,
/// and the text of a cleartext chunk is [`Wire::observed_text`]. In JSON
/// this is `{"as":"text","text":...}` or `{"as":"tls","records":[...]}`
/// (written by [`Wire`]'s `Serialize`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Observed {
    /// Cleartext: the observer reads the bytes as they are (lossy UTF-8).
    Text,
    /// TLS records: only their headers mean anything to the observer.
    Tls { records: Vec<TlsRecord> },
}

/// The header of one TLS record, as seen on the wire.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct TlsRecord {
    /// `handshake`, `change_cipher_spec`, `alert`, `application_data`, or a number.
    pub content_type: String,
    /// The record-layer version bytes, e.g. `0x0303`.
    pub version: String,
    /// Length of the (encrypted) payload in bytes.
    pub length: u16,
}

/// Why a person typing SMTP stopped early.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Stop {
    /// The server closed the connection.
    Closed,
    /// No complete reply came within five minutes.
    NoReply,
    /// What came back was not an SMTP reply.
    NotSmtp,
}

impl Stop {
    /// The reason in English words.
    pub fn en(self) -> &'static str {
        match self {
            Stop::Closed => "the server closed the connection",
            Stop::NoReply => "no reply came within 5 minutes",
            Stop::NotSmtp => "the answer was not SMTP",
        }
    }

    /// The reason in Brazilian Portuguese.
    pub fn pt(self) -> &'static str {
        match self {
            Stop::Closed => "o servidor fechou a conexão",
            Stop::NoReply => "nenhuma resposta chegou em 5 minutos",
            Stop::NotSmtp => "a resposta não era SMTP",
        }
    }
}

/// One message moving from one node to the next.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Hop {
    /// 1, 2, 3, ... in the order the hops completed.
    pub hop: u32,
    /// The message's id in this run (`m1`, `m2`, ...).
    pub message: String,
    pub from: String,
    pub to: String,
    pub conn: String,
    /// `SMTP`, `ESMTP`, `ESMTPS`, `ESMTPA` or `ESMTPSA` (RFC 3848).
    pub protocol: String,
    pub channel: Channel,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub tls_version: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub cipher: Option<String>,
    /// Envelope sender (`MAIL FROM`), empty for bounces.
    pub sender: String,
    /// Envelope recipients accepted on this hop. Empty for a retrieval or
    /// an IMAP APPEND: no envelope, nobody left to deliver to.
    pub recipients: Vec<String>,
    /// For a hop by IMAP or POP3: the mailbox copy it read (a retrieval,
    /// from the server to the client) or wrote (an APPEND, from the client
    /// to the server).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub mailbox: Option<Spot>,
}

/// A message's place in a mailbox: folder and UID.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Spot {
    /// The address whose mailbox it is.
    pub mailbox: String,
    pub folder: String,
    pub uid: u32,
    pub uidvalidity: u32,
    /// The client wrote it there (IMAP APPEND), rather than read it.
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    pub appended: bool,
}

/// Everything that can happen in a run.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum Event {
    /// A fault takes a node off the network until `until` (ms), if it ends.
    NodeDown {
        node: String,
        #[serde(default, skip_serializing_if = "Option::is_none")]
        until: Option<u64>,
    },
    /// The node is reachable again.
    NodeUp { node: String },
    /// A mail client wrote a message and is about to submit it.
    Composed(Box<Composed>),
    /// A node asked DNS a question.
    DnsQuery(Box<DnsQuery>),
    /// The answer: `rcode` is `NOERROR` or `NXDOMAIN`; `answers` as zone-file text.
    DnsAnswer(Box<DnsAnswer>),
    /// A TCP connection was set up.
    Connect(Box<Connect>),
    /// A connection attempt failed (`refused` or `timed out`).
    ConnectFailed(Box<ConnectFailed>),
    /// One protocol line as its endpoints see it (after decryption). `tls`
    /// says whether it travelled inside TLS. Recorded by the server: lines it
    /// read from the client, and replies it wrote.
    Line {
        conn: String,
        dir: Dir,
        text: String,
        tls: bool,
    },
    /// Bytes discarded by the server: commands pipelined after STARTTLS
    /// before the handshake (RFC 3207 section 4.2 says to ignore them).
    Discarded { conn: String, bytes: usize },
    /// One chunk of bytes on the wire, as a passive observer of the link saw it.
    Wire(Box<Wire>),
    /// A TLS handshake finished.
    TlsHandshake(Box<TlsHandshake>),
    /// A client tried to log in with SMTP AUTH. `tls` says whether the
    /// credentials crossed the link encrypted: when false, anyone on the
    /// link could read the password.
    Auth(Box<Auth>),
    /// A TLS handshake failed.
    TlsFailed { conn: String, error: String },
    /// The connection was closed.
    Closed { conn: String },
    /// The connection was cut because `node`, one of its ends, went down
    /// in the middle of the session.
    Cut { conn: String, node: String },
    /// A message moved from one node to another.
    Hop(Box<Hop>),
    /// A copy of a message was written to disk on a node.
    Stored(Box<Stored>),
    /// A copy was removed from a node's queue.
    Removed(Box<Removed>),
    /// A recipient's copy reached its mailbox: filed into `folder` of
    /// `mailbox` (the address the recipient maps to: `postmaster` is filed
    /// into the postmaster's mailbox) with IMAP `uid` under `uidvalidity`.
    Delivered(Box<Delivered>),
    /// A delivery attempt failed temporarily; the message stays queued.
    Deferred(Box<Deferred>),
    /// The next attempt is due at `at` (virtual ms).
    RetryScheduled {
        node: String,
        message: String,
        at: u64,
        attempt: u32,
    },
    /// Delivery to a recipient failed for good; `dsn` is the bounce message's
    /// id when one was sent to the sender.
    Bounced(Box<Bounced>),
    /// A message has waited `delay_warning` in a queue: the sender was told
    /// it is late but still being retried (`dsn` is the notice's id).
    DelayWarned(Box<DelayWarned>),
    /// A message was thrown away, with the reason (for example a bounce that
    /// itself could not be delivered).
    Dropped(Box<Dropped>),
    /// A client could not hand its message to its submission server.
    SubmissionFailed(Box<SubmissionFailed>),
    /// A person typed a line by hand on a connection (a `type` step of the
    /// script). `reply` is the first line of the reply they read before
    /// typing on, code included (`554 5.7.1 <x@third.test>: Relay access
    /// denied`); it is absent for the lines of a message after 354, which
    /// get none, and when no reply came.
    Typed(Box<Typed>),
    /// The person stopped before the end of their lines; `untyped` lines were
    /// never typed.
    TypingStopped {
        node: String,
        conn: String,
        reason: Stop,
        untyped: usize,
    },
    /// A copy left a mailbox on a server: an IMAP EXPUNGE (or the source
    /// of a MOVE is told by [`Event::Moved`] instead), or POP3 deleting at
    /// QUIT what the client marked with DELE.
    Expunged(Box<Expunged>),
    /// A copy went to another folder of the same mailbox (IMAP MOVE).
    Moved(Box<Moved>),
    /// A copy's IMAP flags changed (`\Seen` when it was read, or STORE),
    /// or a copy arrived with flags (an APPEND names them, a COPY keeps
    /// them): then it follows the copy's `stored`.
    Flagged(Box<Flagged>),
    /// A mail client could not read its mail (IMAP or POP3).
    RetrievalFailed(Box<RetrievalFailed>),
    /// A mail client set up with only an address and a password starts
    /// looking for its servers (`fetch.discover`).
    DiscoveryStarted(Box<DiscoveryStarted>),
    /// One try in that search: an autoconfig file asked for, an
    /// Autodiscover question, an SRV lookup, a guessed server probed;
    /// `found` says whether it told the client where its servers are.
    DiscoveryTry(Box<DiscoveryTry>),
    /// The search is over: the servers the client now uses, and how each
    /// was found.
    Discovered(Box<Discovered>),
    /// The search found no server to read mail from.
    DiscoveryFailed(Box<DiscoveryFailed>),
    /// A server with `checks` looked up a client that connected to its
    /// port 25, after HELO: its reverse DNS, the HELO name, the blocklists.
    ClientChecked(Box<ClientChecked>),
    /// Greylisting refused a recipient for now: this client address,
    /// sender and recipient are new (or back too soon).
    Greylisted(Box<Greylisted>),
    /// A greylisted client address, sender and recipient came back after
    /// the delay and were let through, for good.
    GreylistPassed(Box<GreylistPassed>),
    /// A server signed its own user's message with DKIM before queueing it.
    DkimSigned(Box<DkimSigned>),
    /// A server checked SPF, DKIM, DMARC and ARC on a message from a
    /// stranger, after its final dot, and decided what to do with it.
    SenderChecked(Box<SenderChecked>),
    /// A spam filter scored a message, rule by rule, and decided.
    SpamScored(Box<SpamScored>),
    /// A server sent a recipient's message on to another address
    /// (`forward_to`), perhaps with a new envelope sender (SRS), a footer
    /// and an ARC seal.
    Forwarded(Box<Forwarded>),
    /// An attacker is on the path of a connection and records its bytes.
    Tapped(Box<Tapped>),
    /// An attacker changed bytes on a connection (STARTTLS stripping).
    Tampered(Box<Tampered>),
    /// An attacker forged a DNS answer for a machine it sits next to.
    DnsForged(Box<DnsForged>),
    /// A sending server looked up a domain's MTA-STS policy or an MX
    /// host's TLSA records (DANE).
    TlsPolicy(Box<TlsPolicy>),
    /// An MX host did not meet the sender's TLS policy.
    TlsPolicyFailed(Box<TlsPolicyFailed>),
    /// A server sent a TLS report (RFC 8460).
    TlsReportSent(Box<TlsReportSent>),
    /// A mail client encrypted a message end to end (OpenPGP) before
    /// submitting it.
    Encrypted(Box<Encrypted>),
    /// A mail client asked to encrypt lacked some recipients' keys, and
    /// refused to send or sent in plaintext.
    PgpNoKey(Box<PgpNoKey>),
    /// A mail client downloaded an encrypted message and opened it with its
    /// user's key (or could not), checking the signature inside.
    Decrypted(Box<Decrypted>),
    /// When the run stopped, this message was still in this queue.
    QueuedAtEnd(Box<QueuedAtEnd>),
    /// The run stopped: `quiescent` (nothing left to do), `time_limit` (the
    /// scenario's `until`), or cut short at a cap on the run: `event_limit`
    /// or `message_limit` (see `sim::Limits`).
    End { reason: String },
}

impl Event {
    /// The `kind` tag this event has in JSON.
    pub fn kind(&self) -> &'static str {
        match self {
            Event::NodeDown { .. } => "node_down",
            Event::NodeUp { .. } => "node_up",
            Event::Composed(_) => "composed",
            Event::DnsQuery(_) => "dns_query",
            Event::DnsAnswer(_) => "dns_answer",
            Event::Connect(_) => "connect",
            Event::ConnectFailed(_) => "connect_failed",
            Event::Line { .. } => "line",
            Event::Discarded { .. } => "discarded",
            Event::Wire(_) => "wire",
            Event::TlsHandshake(_) => "tls_handshake",
            Event::Auth(_) => "auth",
            Event::TlsFailed { .. } => "tls_failed",
            Event::Closed { .. } => "closed",
            Event::Cut { .. } => "cut",
            Event::Hop(_) => "hop",
            Event::Stored(_) => "stored",
            Event::Removed(_) => "removed",
            Event::Delivered(_) => "delivered",
            Event::Deferred(_) => "deferred",
            Event::RetryScheduled { .. } => "retry_scheduled",
            Event::Bounced(_) => "bounced",
            Event::DelayWarned(_) => "delay_warned",
            Event::Dropped(_) => "dropped",
            Event::SubmissionFailed(_) => "submission_failed",
            Event::Typed(_) => "typed",
            Event::TypingStopped { .. } => "typing_stopped",
            Event::Expunged(_) => "expunged",
            Event::Moved(_) => "moved",
            Event::Flagged(_) => "flagged",
            Event::RetrievalFailed(_) => "retrieval_failed",
            Event::DiscoveryStarted(_) => "discovery_started",
            Event::DiscoveryTry(_) => "discovery_try",
            Event::Discovered(_) => "discovered",
            Event::DiscoveryFailed(_) => "discovery_failed",
            Event::ClientChecked(_) => "client_checked",
            Event::Greylisted(_) => "greylisted",
            Event::GreylistPassed(_) => "greylist_passed",
            Event::DkimSigned(_) => "dkim_signed",
            Event::SenderChecked(_) => "sender_checked",
            Event::SpamScored(_) => "spam_scored",
            Event::Forwarded(_) => "forwarded",
            Event::Tapped(_) => "tapped",
            Event::Tampered(_) => "tampered",
            Event::DnsForged(_) => "dns_forged",
            Event::TlsPolicy(_) => "tls_policy",
            Event::TlsPolicyFailed(_) => "tls_policy_failed",
            Event::TlsReportSent(_) => "tls_report_sent",
            Event::Encrypted(_) => "encrypted",
            Event::PgpNoKey(_) => "pgp_no_key",
            Event::Decrypted(_) => "decrypted",
            Event::QueuedAtEnd(_) => "queued_at_end",
            Event::End { .. } => "end",
        }
    }
}

// The boxed payloads of the larger events (see the module's documentation),
// in the order of the variants. [`Hop`] is one of them, defined above.

/// What [`Event::Composed`] records.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Composed {
    pub node: String,
    pub message: String,
    pub message_id: String,
    pub from: String,
    pub to: Vec<String>,
    pub subject: String,
}

/// What [`Event::DnsQuery`] records.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct DnsQuery {
    pub node: String,
    pub name: String,
    pub rtype: String,
}

/// What [`Event::DnsAnswer`] records.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct DnsAnswer {
    pub node: String,
    pub name: String,
    pub rtype: String,
    pub rcode: String,
    pub answers: Vec<String>,
    /// The asker validates DNSSEC and the answer is from a signed zone,
    /// with valid signatures: the AD bit (RFC 4035 section 3.2.3).
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    pub secure: bool,
}

/// What [`Event::Connect`] records.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Connect {
    pub conn: String,
    pub client: String,
    pub server: String,
    pub port: u16,
    pub client_ip: String,
    pub server_ip: String,
}

/// What [`Event::ConnectFailed`] records.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ConnectFailed {
    pub client: String,
    pub server: String,
    pub port: u16,
    pub reason: String,
    /// The network rule that dropped the connection, when one did.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub blocked: Option<Blocked>,
}

/// A network rule that dropped a connection (a scenario's `networks`).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Blocked {
    /// The network's name.
    pub network: String,
    /// Its addresses, in CIDR form.
    pub range: String,
    /// The rule: `block_outbound_smtp` (port 25 towards other servers).
    pub rule: String,
    /// The servers the rule lets through.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub except: Vec<String>,
}

/// What [`Event::TlsHandshake`] records.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct TlsHandshake {
    pub conn: String,
    pub version: String,
    pub cipher: String,
    /// Whether the client checked the certificate and it passed.
    pub server_authenticated: bool,
    /// What that check tied the server to, when it passed.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub identity: Option<Identity>,
    /// What the client found about the certificate, in one sentence.
    pub reason: String,
    /// An abbreviated handshake that resumed an earlier session (RFC
    /// 8446 section 2.2): no certificate was sent, and the verdict is
    /// the one from the session's full handshake.
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    pub resumed: bool,
}

/// What [`Event::Auth`] records.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Auth {
    pub conn: String,
    pub user: String,
    /// SMTP: `PLAIN` or `LOGIN`. IMAP and POP3: the command in full
    /// (`IMAP LOGIN`, `IMAP AUTHENTICATE PLAIN`, `POP3 USER/PASS`, `POP3
    /// AUTH PLAIN`).
    pub mechanism: String,
    pub accepted: bool,
    pub tls: bool,
}

impl Auth {
    /// How the password was sent, as a student would find it in the
    /// conversation: `AUTH PLAIN` (SMTP), `IMAP LOGIN`, `POP3 USER/PASS`.
    /// SMTP's mechanism is one word; the IMAP and POP3 drivers name their
    /// command in full.
    pub fn command(&self) -> String {
        if self.mechanism.contains(' ') {
            self.mechanism.clone()
        } else {
            format!("AUTH {}", self.mechanism)
        }
    }
}

/// What [`Event::Stored`] records.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Stored {
    pub node: String,
    pub message: String,
    #[serde(flatten)]
    pub place: Place,
    /// Whether the node's operator could read the message's body there:
    /// false for a copy encrypted end to end (OpenPGP), whose envelope and
    /// headers stay readable; on the recipient's device, true once its
    /// mail client decrypted it.
    pub readable: bool,
    /// The message as stored (RFC 5322 text).
    pub eml: String,
}

/// What [`Event::Removed`] records.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Removed {
    pub node: String,
    pub message: String,
    pub queue_id: String,
    pub reason: String,
}

/// What [`Event::Delivered`] records.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Delivered {
    pub node: String,
    pub message: String,
    pub recipient: String,
    pub folder: String,
    pub mailbox: String,
    pub uid: u32,
    pub uidvalidity: u32,
}

/// What [`Event::Deferred`] records.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Deferred {
    pub node: String,
    pub message: String,
    pub recipients: Vec<String>,
    pub reason: String,
}

/// What [`Event::Bounced`] records.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Bounced {
    pub node: String,
    pub message: String,
    pub recipient: String,
    pub status: String,
    pub reason: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub dsn: Option<String>,
}

/// What [`Event::DelayWarned`] records.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct DelayWarned {
    pub node: String,
    pub message: String,
    pub recipients: Vec<String>,
    pub dsn: String,
}

/// What [`Event::Dropped`] records.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Dropped {
    pub node: String,
    pub message: String,
    pub recipients: Vec<String>,
    pub reason: String,
}

/// What [`Event::SubmissionFailed`] records.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct SubmissionFailed {
    pub node: String,
    pub message: String,
    pub reason: String,
}

/// What [`Event::Typed`] records.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Typed {
    pub node: String,
    pub conn: String,
    /// The server typed to.
    pub server: String,
    pub text: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub reply: Option<String>,
}

/// What [`Event::Expunged`] records.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Expunged {
    pub node: String,
    pub message: String,
    pub conn: String,
    pub mailbox: String,
    pub folder: String,
    pub uid: u32,
    /// `EXPUNGE` (IMAP) or `DELE` (POP3, carried out at QUIT).
    pub by: String,
}

/// What [`Event::Moved`] records.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Moved {
    pub node: String,
    pub message: String,
    pub conn: String,
    pub mailbox: String,
    pub from: String,
    pub to: String,
    /// Its UID in `from`, and the one it got in `to`.
    pub uid: u32,
    pub new_uid: u32,
}

/// What [`Event::Flagged`] records.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Flagged {
    pub node: String,
    pub message: String,
    pub conn: String,
    pub mailbox: String,
    pub folder: String,
    pub uid: u32,
    /// All the flags it has now.
    pub flags: Vec<String>,
}

/// What [`Event::RetrievalFailed`] records.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct RetrievalFailed {
    /// The mail client.
    pub node: String,
    pub server: String,
    /// `IMAP` or `POP3`.
    pub protocol: String,
    pub reason: String,
}

/// What [`Event::DiscoveryStarted`] records.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct DiscoveryStarted {
    /// The mail client.
    pub node: String,
    /// The address it was given.
    pub address: String,
    /// `IMAP` or `POP3`: how it is to read mail.
    pub protocol: String,
}

/// What [`Event::DiscoveryTry`] records.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct DiscoveryTry {
    pub node: String,
    /// `autoconfig` (the provider's file), `autoconfig-mx` (the file of the
    /// domain the MX host belongs to), `autodiscover`, `srv` or `guess`.
    pub method: String,
    /// What was tried: a URL, an SRV name, or `host:port (SSL)`.
    pub target: String,
    pub found: bool,
    /// What came of it, in words: `HTTP 404 Not Found`, `no address for
    /// autoconfig.example.test`, `IMAP at mail.example.test:993 (SSL)`.
    pub result: String,
    /// The connection it used, if it got one.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub conn: Option<String>,
}

/// A server a search found, as [`Event::Discovered`] records it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct FoundServer {
    /// `IMAP`, `POP3` or `SMTP`.
    pub protocol: String,
    pub host: String,
    pub port: u16,
    /// `SSL`, `STARTTLS` or `plain`, as an autoconfig file says it.
    pub socket_type: String,
    /// How it was found: a [`DiscoveryTry`] method.
    pub method: String,
}

/// What [`Event::Discovered`] records.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Discovered {
    pub node: String,
    pub incoming: FoundServer,
    /// Absent when nothing was found to send with.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub outgoing: Option<FoundServer>,
}

/// What [`Event::DiscoveryFailed`] records.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct DiscoveryFailed {
    pub node: String,
    /// The domain whose servers were looked for.
    pub domain: String,
    pub reason: String,
}

/// What a HELO or EHLO name is worth (see [`ClientChecked`]).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum HeloVerdict {
    /// A fully qualified domain name with an address or MX in DNS.
    Resolves,
    /// A fully qualified domain name DNS does not know.
    Unresolvable,
    /// One word, such as `localhost`.
    NotFqdn,
    /// An address literal, such as `[198.18.5.7]`.
    AddressLiteral,
    /// Not a host name at all.
    Invalid,
}

/// A blocklist that lists a client (see [`ClientChecked`]).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Listed {
    /// The blocklist's zone.
    pub zone: String,
    /// Its A record for the address (127.0.0.x).
    pub answer: String,
    /// Its TXT record: why the address is listed.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub reason: Option<String>,
}

/// Why a client's address looks like a home line (see [`ClientChecked`]).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "by", rename_all = "snake_case")]
pub enum DynamicSign {
    /// Its reverse DNS name was made for a home line.
    Name,
    /// A list of dynamic addresses holds it.
    Blocklist { zone: String },
}

/// What [`Event::ClientChecked`] records: what the server found, not
/// what it decided (its refusal, if any, is its reply to RCPT).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ClientChecked {
    /// The server that looked.
    pub node: String,
    pub conn: String,
    /// The client node.
    pub client: String,
    pub client_ip: String,
    /// The reverse DNS name of the address; absent when it has none.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub ptr: Option<String>,
    /// Whether that name's A record holds the address again
    /// (forward-confirmed reverse DNS).
    pub fcrdns: bool,
    /// The name the client gave in HELO or EHLO.
    pub helo: String,
    pub helo_verdict: HeloVerdict,
    /// The blocklists that list it, of those the server asks.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub listed: Vec<Listed>,
    /// Why its address looks like a home line; absent when it does not.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub dynamic: Option<DynamicSign>,
}

/// What [`Event::Greylisted`] records.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Greylisted {
    /// The server that greylists.
    pub node: String,
    pub conn: String,
    /// The client node.
    pub client: String,
    /// The triplet: client address, envelope sender (empty for `<>`),
    /// recipient.
    pub client_ip: String,
    pub sender: String,
    pub recipient: String,
    /// When the triplet was first seen (ms).
    pub first_seen: u64,
    /// From when a retry is accepted (ms).
    pub retry_at: u64,
}

/// What [`Event::GreylistPassed`] records.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct GreylistPassed {
    pub node: String,
    pub conn: String,
    pub client: String,
    pub client_ip: String,
    pub sender: String,
    pub recipient: String,
    /// When the triplet was first seen, and refused (ms).
    pub first_seen: u64,
}

/// What [`Event::QueuedAtEnd`] records.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct QueuedAtEnd {
    pub node: String,
    pub message: String,
    pub recipients: Vec<String>,
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_record_stays_small() {
        // A trace holds millions of records, most of them small `line`s, and
        // every record is as large as the largest event.
        assert!(
            std::mem::size_of::<Record>() <= 80,
            "Record is {} bytes, more than 80: an event variant grew too large; \
             box the new variant's payload (`Variant(Box<Variant>)`, like `Event::Connect`)",
            std::mem::size_of::<Record>()
        );
    }

    #[test]
    fn a_boxed_event_serializes_like_a_struct_variant() {
        let record = Record {
            t: 5,
            seq: 2,
            event: Event::Stored(Box::new(Stored {
                node: "mx".into(),
                message: "m1".into(),
                place: Place::Mailbox {
                    mailbox: "bob@friend.test".into(),
                    folder: "INBOX".into(),
                },
                readable: true,
                eml: "Subject: hi\r\n".into(),
            })),
        };
        let json = serde_json::to_string(&record).unwrap();
        assert_eq!(
            json,
            r#"{"t":5,"seq":2,"kind":"stored","node":"mx","message":"m1","place":"mailbox","mailbox":"bob@friend.test","folder":"INBOX","readable":true,"eml":"Subject: hi\r\n"}"#
        );
        assert_eq!(serde_json::from_str::<Record>(&json).unwrap(), record);
    }

    fn wire_record(data: &[u8], observed: Observed) -> Record {
        Record {
            t: 7,
            seq: 3,
            event: Event::Wire(Box::new(Wire {
                conn: "c1".into(),
                dir: Dir::ClientToServer,
                len: data.len(),
                data: data.into(),
                observed,
            })),
        }
    }

    /// Serializes `record`, checks the JSON is `expected`, reads it back
    /// and checks it is the same record and writes the same JSON again.
    fn round_trip(record: &Record, expected: &str) {
        let json = serde_json::to_string(record).unwrap();
        assert_eq!(json, expected);
        let back: Record = serde_json::from_str(&json).unwrap();
        assert_eq!(&back, record);
        assert_eq!(serde_json::to_string(&back).unwrap(), json);
        let pretty = serde_json::to_string_pretty(record).unwrap();
        let back: Record = serde_json::from_str(&pretty).unwrap();
        assert_eq!(&back, record);
        assert_eq!(serde_json::to_string_pretty(&back).unwrap(), pretty);
    }

    #[test]
    fn a_cleartext_wire_chunk_round_trips_even_when_not_utf8() {
        // 0xE9 alone is not UTF-8: the text shows U+FFFD, the data keeps the byte.
        let record = wire_record(b"caf\xe9\r\n", Observed::Text);
        let Event::Wire(wire) = &record.event else {
            unreachable!()
        };
        assert_eq!(wire.observed_text().as_deref(), Some("caf\u{fffd}\r\n"));
        round_trip(
            &record,
            "{\"t\":7,\"seq\":3,\"kind\":\"wire\",\"conn\":\"c1\",\"dir\":\"client_to_server\",\
             \"len\":6,\"data\":\"Y2Fm6Q0K\",\"observed\":{\"as\":\"text\",\"text\":\"caf\u{fffd}\\r\\n\"}}",
        );
    }

    #[test]
    fn a_tls_wire_chunk_round_trips() {
        let data = [0x16, 3, 1, 0, 2, 1, 0, 0x17, 3, 3, 0, 1, 0xff];
        let record = wire_record(
            &data,
            Observed::Tls {
                records: vec![
                    TlsRecord {
                        content_type: "handshake".into(),
                        version: "0x0301".into(),
                        length: 2,
                    },
                    TlsRecord {
                        content_type: "application_data".into(),
                        version: "0x0303".into(),
                        length: 1,
                    },
                ],
            },
        );
        let Event::Wire(wire) = &record.event else {
            unreachable!()
        };
        assert_eq!(wire.observed_text(), None);
        round_trip(
            &record,
            r#"{"t":7,"seq":3,"kind":"wire","conn":"c1","dir":"client_to_server","len":13,"data":"FgMBAAIBABcDAwAB/w==","observed":{"as":"tls","records":[{"content_type":"handshake","version":"0x0301","length":2},{"content_type":"application_data","version":"0x0303","length":1}]}}"#,
        );
    }

    #[test]
    fn a_wire_chunk_whose_fields_disagree_is_refused() {
        let ok = r#"{"t":7,"seq":3,"kind":"wire","conn":"c1","dir":"client_to_server","len":2,"data":"aGk=","observed":{"as":"text","text":"hi"}}"#;
        assert!(serde_json::from_str::<Record>(ok).is_ok());
        for (from, to) in [
            (r#""len":2"#, r#""len":3"#),
            (r#""text":"hi""#, r#""text":"ho""#),
            (r#""data":"aGk=""#, r#""data":"aGk!""#),
        ] {
            let bad = ok.replace(from, to);
            assert!(
                serde_json::from_str::<Record>(&bad).is_err(),
                "accepted {bad}"
            );
        }
    }
}

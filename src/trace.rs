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
//! each variant and summarised in ARCHITECTURE.md.

use serde::{Deserialize, Serialize};

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
            Event::Hop(hop) => Some((r, hop)),
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
    /// Encrypted, and the client checked the server's certificate.
    TlsAuthenticated,
}

impl Channel {
    pub fn as_str(self) -> &'static str {
        match self {
            Channel::Plaintext => "plaintext",
            Channel::Tls => "tls",
            Channel::TlsAuthenticated => "tls-authenticated",
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
}

/// What a passive observer of a link sees in one chunk of bytes.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "as", rename_all = "snake_case")]
pub enum Observed {
    /// Cleartext: the observer reads it as it is (lossy UTF-8).
    Text { text: String },
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
    /// Envelope recipients accepted on this hop.
    pub recipients: Vec<String>,
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
    Composed {
        node: String,
        message: String,
        message_id: String,
        from: String,
        to: Vec<String>,
        subject: String,
    },
    /// A node asked DNS a question.
    DnsQuery {
        node: String,
        name: String,
        rtype: String,
    },
    /// The answer: `rcode` is `NOERROR` or `NXDOMAIN`; `answers` as zone-file text.
    DnsAnswer {
        node: String,
        name: String,
        rtype: String,
        rcode: String,
        answers: Vec<String>,
    },
    /// A TCP connection was set up.
    Connect {
        conn: String,
        client: String,
        server: String,
        port: u16,
        client_ip: String,
        server_ip: String,
    },
    /// A connection attempt failed (`refused` or `timed out`).
    ConnectFailed {
        client: String,
        server: String,
        port: u16,
        reason: String,
    },
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
    Wire {
        conn: String,
        dir: Dir,
        len: usize,
        /// The bytes themselves, base64 (for exports such as pcap).
        data: String,
        observed: Observed,
    },
    /// A TLS handshake finished.
    TlsHandshake {
        conn: String,
        version: String,
        cipher: String,
        /// Whether the client checked the certificate and it passed.
        server_authenticated: bool,
        /// What the client found about the certificate, in one sentence.
        reason: String,
        /// An abbreviated handshake that resumed an earlier session (RFC
        /// 8446 section 2.2): no certificate was sent, and the verdict is
        /// the one from the session's full handshake.
        #[serde(default, skip_serializing_if = "std::ops::Not::not")]
        resumed: bool,
    },
    /// A client tried to log in with SMTP AUTH. `tls` says whether the
    /// credentials crossed the link encrypted: when false, anyone on the
    /// link could read the password.
    Auth {
        conn: String,
        user: String,
        /// `PLAIN` or `LOGIN`.
        mechanism: String,
        accepted: bool,
        tls: bool,
    },
    /// A TLS handshake failed.
    TlsFailed { conn: String, error: String },
    /// The connection was closed.
    Closed { conn: String },
    /// The connection was cut because `node`, one of its ends, went down
    /// in the middle of the session.
    Cut { conn: String, node: String },
    /// A message moved from one node to another.
    Hop(Hop),
    /// A copy of a message was written to disk on a node.
    Stored {
        node: String,
        message: String,
        #[serde(flatten)]
        place: Place,
        /// Whether the node's operator could read the message there.
        readable: bool,
        /// The message as stored (RFC 5322 text).
        eml: String,
    },
    /// A copy was removed from a node's queue.
    Removed {
        node: String,
        message: String,
        queue_id: String,
        reason: String,
    },
    /// A recipient's copy reached its mailbox: filed into `folder` of
    /// `mailbox` (the address the recipient maps to: `postmaster` is filed
    /// into the postmaster's mailbox) with IMAP `uid` under `uidvalidity`.
    Delivered {
        node: String,
        message: String,
        recipient: String,
        folder: String,
        mailbox: String,
        uid: u32,
        uidvalidity: u32,
    },
    /// A delivery attempt failed temporarily; the message stays queued.
    Deferred {
        node: String,
        message: String,
        recipients: Vec<String>,
        reason: String,
    },
    /// The next attempt is due at `at` (virtual ms).
    RetryScheduled {
        node: String,
        message: String,
        at: u64,
        attempt: u32,
    },
    /// Delivery to a recipient failed for good; `dsn` is the bounce message's
    /// id when one was sent to the sender.
    Bounced {
        node: String,
        message: String,
        recipient: String,
        status: String,
        reason: String,
        #[serde(default, skip_serializing_if = "Option::is_none")]
        dsn: Option<String>,
    },
    /// A message has waited `delay_warning` in a queue: the sender was told
    /// it is late but still being retried (`dsn` is the notice's id).
    DelayWarned {
        node: String,
        message: String,
        recipients: Vec<String>,
        dsn: String,
    },
    /// A message was thrown away, with the reason (for example a bounce that
    /// itself could not be delivered).
    Dropped {
        node: String,
        message: String,
        recipients: Vec<String>,
        reason: String,
    },
    /// A client could not hand its message to its submission server.
    SubmissionFailed {
        node: String,
        message: String,
        reason: String,
    },
    /// A person typed a line by hand on a connection (a `type` step of the
    /// script). `reply` is the first line of the reply they read before
    /// typing on, code included (`554 5.7.1 <x@third.test>: Relay access
    /// denied`); it is absent for the lines of a message after 354, which
    /// get none, and when no reply came.
    Typed {
        node: String,
        conn: String,
        /// The server typed to.
        server: String,
        text: String,
        #[serde(default, skip_serializing_if = "Option::is_none")]
        reply: Option<String>,
    },
    /// The person stopped before the end of their lines; `untyped` lines were
    /// never typed.
    TypingStopped {
        node: String,
        conn: String,
        reason: Stop,
        untyped: usize,
    },
    /// When the run stopped, this message was still in this queue.
    QueuedAtEnd {
        node: String,
        message: String,
        recipients: Vec<String>,
    },
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
            Event::Composed { .. } => "composed",
            Event::DnsQuery { .. } => "dns_query",
            Event::DnsAnswer { .. } => "dns_answer",
            Event::Connect { .. } => "connect",
            Event::ConnectFailed { .. } => "connect_failed",
            Event::Line { .. } => "line",
            Event::Discarded { .. } => "discarded",
            Event::Wire { .. } => "wire",
            Event::TlsHandshake { .. } => "tls_handshake",
            Event::Auth { .. } => "auth",
            Event::TlsFailed { .. } => "tls_failed",
            Event::Closed { .. } => "closed",
            Event::Cut { .. } => "cut",
            Event::Hop(_) => "hop",
            Event::Stored { .. } => "stored",
            Event::Removed { .. } => "removed",
            Event::Delivered { .. } => "delivered",
            Event::Deferred { .. } => "deferred",
            Event::RetryScheduled { .. } => "retry_scheduled",
            Event::Bounced { .. } => "bounced",
            Event::DelayWarned { .. } => "delay_warned",
            Event::Dropped { .. } => "dropped",
            Event::SubmissionFailed { .. } => "submission_failed",
            Event::Typed { .. } => "typed",
            Event::TypingStopped { .. } => "typing_stopped",
            Event::QueuedAtEnd { .. } => "queued_at_end",
            Event::End { .. } => "end",
        }
    }
}

//! What the driver hands the IMAP client, and what it gets back.

use std::collections::BTreeSet;

use crate::proto::fetch::{Failure, Limits};
use crate::scenario::StartTls;

/// What one session should do.
#[derive(Debug, Clone)]
pub struct Plan {
    /// The server's host name, for the driver's certificate check.
    pub server_name: String,
    /// `none`: never STARTTLS; `offer`: when the server offers it;
    /// `require`: give up (LOGOUT) if the server does not offer it.
    pub starttls: StartTls,
    /// TLS is already up (port 993): no STARTTLS.
    pub implicit_tls: bool,
    pub user: String,
    pub password: String,
    pub login: Login,
    /// The folder to sync (`INBOX`).
    pub folder: String,
    /// What the client already has of that folder.
    pub known: Option<Known>,
    /// Mark what was fetched `\Seen` (the person read it).
    pub mark_seen: bool,
    /// Move these messages to another folder (a person filing spam in Junk).
    pub move_to: Option<Move>,
    /// Save a message in a folder (a sent copy in Sent).
    pub append: Option<Append>,
    /// After the sync, IDLE (RFC 2177) until
    /// [`stop_idle`](super::Client::stop_idle), fetching what arrives
    /// meanwhile.
    pub idle: bool,
    pub limits: Limits,
}

impl Plan {
    /// Sync INBOX with LOGIN, STARTTLS when offered, and nothing more.
    pub fn new(server_name: &str, user: &str, password: &str) -> Self {
        Plan {
            server_name: server_name.into(),
            starttls: StartTls::Offer,
            implicit_tls: false,
            user: user.into(),
            password: password.into(),
            login: Login::Login,
            folder: "INBOX".into(),
            known: None,
            mark_seen: false,
            move_to: None,
            append: None,
            idle: false,
            limits: Limits::default(),
        }
    }
}

/// How the client proves who it is.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Login {
    /// `LOGIN user password` (never sent when the server says LOGINDISABLED).
    Login,
    /// `AUTHENTICATE PLAIN` (RFC 4616), with SASL-IR when offered.
    AuthenticatePlain,
}

/// The messages a client already downloaded from a folder.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Known {
    pub uidvalidity: u32,
    pub uids: BTreeSet<u32>,
}

/// Messages to move, by UID, and where.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Move {
    pub uids: BTreeSet<u32>,
    pub folder: String,
}

/// A message to save in a folder, flagged `\Seen`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Append {
    pub folder: String,
    pub message: Vec<u8>,
}

/// A message as the client downloaded it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Fetched {
    pub folder: String,
    pub uidvalidity: u32,
    pub uid: u32,
    /// As the server listed them when it sent the message (`\Seen`, …).
    pub flags: Vec<String>,
    /// The message as it crossed, octet for octet.
    pub raw: Vec<u8>,
}

/// Messages that went to another folder.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Moved {
    pub folder: String,
    pub uids: BTreeSet<u32>,
}

/// A message saved in a folder; `uid` when the server said (UIDPLUS's
/// `APPENDUID`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Appended {
    pub folder: String,
    pub uid: Option<u32>,
}

/// What a session did, and why it stopped early if it did.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Outcome {
    /// The folder's UIDVALIDITY, once selected.
    pub uidvalidity: Option<u32>,
    /// It differs from the plan's: every UID the client knew was void, so
    /// the folder was fetched again.
    pub uidvalidity_changed: bool,
    /// In the order they arrived.
    pub fetched: Vec<Fetched>,
    /// New messages the session left for the next one (`max_messages`).
    pub left: usize,
    /// UIDs marked `\Seen`.
    pub seen: BTreeSet<u32>,
    pub moved: Option<Moved>,
    pub appended: Option<Appended>,
    /// The server answered LOGOUT.
    pub logged_out: bool,
    pub failure: Option<Failure>,
}

/// What the engine wants done.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ClientOutput {
    /// Write these bytes.
    Send(Vec<u8>),
    /// The server said OK to STARTTLS: run the handshake, then call
    /// [`tls_started`](super::Client::tls_started) or
    /// [`tls_failed`](super::Client::tls_failed).
    StartTls,
    /// A message has crossed (also listed in the outcome).
    Fetched(Fetched),
    /// The server accepted IDLE: it will tell of new mail. Call
    /// [`stop_idle`](super::Client::stop_idle) when the client should stop
    /// listening.
    Idling,
    /// While idling, the server said the folder now holds `exists`
    /// messages; the client leaves IDLE to fetch the new ones.
    NewMail { exists: u32 },
    /// The session is over: close the connection.
    Done(Outcome),
}

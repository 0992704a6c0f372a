//! The server side of IMAP as an engine: bytes and time in, responses and
//! happenings out. The last hop of a message's journey: the recipient's
//! mail client reads what the mailbox server filed.
//!
//! ```text
//!   driver ──feed(bytes, now, store)──► Server ──► [Heard, Sent, Write, Fetched, …]
//!                                         │ reads and changes
//!                                         ▼
//!                                   Mailstore (the driver's mailbox store)
//! ```
//!
//! imap-codec parses every command and writes every response; imap-next's
//! server state machine frames literals, asks for them with continuation
//! requests and carries AUTHENTICATE and IDLE. This engine decides the
//! answers (RFC 9051, with what IMAP4rev1 clients expect: the session
//! speaks the IMAP4rev1 dialect, since nothing here grants `ENABLE
//! IMAP4rev2`), and keeps the client's view of the selected folder in step
//! with the store: new mail becomes `* N EXISTS`, messages gone become
//! `* n EXPUNGE` (never while answering FETCH, STORE or SEARCH, RFC 9051
//! section 7.5.1), flags changed elsewhere become `* n FETCH (FLAGS …)`.
//!
//! The engine stops at one moment only the outside can finish: after the
//! `OK` to STARTTLS ([`Output::StartTls`]: run the handshake, then call
//! [`Server::tls_started`]). While the client idles, the driver calls
//! [`Server::changed`] when the store changed (new mail arrived).
//!
//! Wording follows Dovecot where a student may meet it in real logs.
//! Every input is bounded: lines of 64 KiB, literals of 10 MiB, three
//! failed logins, twenty protocol errors and ten thousand commands a
//! session; then the server says `BYE` and closes.

mod auth;
mod dates;
mod envelope;
mod fetch;
mod folders;
mod search;
mod selected;
mod server;
mod structure;
mod words;

use std::collections::BTreeSet;

pub use server::Server;

/// The largest literal accepted (an APPENDed message), in bytes.
pub const MAX_LITERAL: u32 = 10 * 1024 * 1024;
/// The longest command line, without its literals.
pub const MAX_LINE: usize = 64 * 1024;
/// Failed logins before the server hangs up.
pub const MAX_FAILED_LOGINS: u32 = 3;
/// `BAD` answers before the server hangs up.
pub const MAX_ERRORS: u32 = 20;
/// Commands in one session.
pub const MAX_COMMANDS: u32 = 10_000;

/// How a listener is set up.
#[derive(Debug, Clone)]
pub struct Config {
    /// This server's host name, for the greeting.
    pub host: String,
    /// Whether the server has a certificate (STARTTLS can be offered).
    pub tls_available: bool,
    /// Refuse LOGIN and AUTHENTICATE until TLS is up, and say so with
    /// `LOGINDISABLED` (port 143 as RFC 9051 section 11.1 wants it).
    pub require_tls: bool,
    /// Whether TLS is already up when the session starts (port 993).
    pub implicit_tls: bool,
}

/// What the engine reads and changes: one person's folders on this server,
/// as the driver's mailbox store holds them (`sim::store` has the same
/// shape: a mailbox of folders with a UIDVALIDITY, a UIDNEXT and messages).
/// `user` is the login name as the client typed it.
pub trait Mailstore {
    /// Whether this user and password may log in. A user who may has a
    /// mailbox from then on, with at least `INBOX`, `Junk` and `Sent`.
    fn login(&mut self, user: &str, password: &str) -> bool;
    /// The user's folder names.
    fn folders(&self, user: &str) -> Vec<String>;
    /// A folder and its messages in UID order, if it exists.
    fn folder(&self, user: &str, folder: &str) -> Option<FolderView<'_>>;
    /// Creates an empty folder; false if it already exists.
    fn create_folder(&mut self, user: &str, folder: &str) -> bool;
    /// Replaces a message's flags (`\Seen`, `\Deleted`, keywords).
    fn set_flags(&mut self, user: &str, folder: &str, uid: u32, flags: BTreeSet<String>);
    /// Removes these messages from a folder.
    fn expunge(&mut self, user: &str, folder: &str, uids: &[u32]);
    /// Files a new message (an APPEND) with its flags and internal date
    /// (Unix seconds); its UID, or `None` if the folder does not exist.
    fn append(
        &mut self,
        user: &str,
        folder: &str,
        message: Vec<u8>,
        flags: BTreeSet<String>,
        internal_date: i64,
    ) -> Option<u32>;
    /// Copies messages to another folder, keeping their flags and internal
    /// dates: the pairs (UID here, new UID there). MOVE is a copy and an
    /// expunge (RFC 6851 section 3.3).
    fn copy(&mut self, user: &str, from: &str, uids: &[u32], to: &str) -> Vec<(u32, u32)>;
}

/// A folder as the engine reads it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FolderView<'a> {
    pub uidvalidity: u32,
    pub uidnext: u32,
    /// In UID order.
    pub messages: Vec<MessageView<'a>>,
}

/// A message as the engine reads it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct MessageView<'a> {
    pub uid: u32,
    pub flags: &'a BTreeSet<String>,
    /// Size in octets, as RFC822.SIZE reports it.
    pub size: usize,
    /// When it arrived, Unix seconds.
    pub internal_date: i64,
    /// The message as stored (RFC 5322, CRLF line ends).
    pub eml: &'a [u8],
}

/// What the engine wants done or recorded, in order.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Output {
    /// A line the client sent, without its line end, as the transcript
    /// shows it.
    Heard(String),
    /// A literal the client sent (an APPENDed message, a password in
    /// braces), told by its size.
    HeardLiteral(usize),
    /// A line the server sent, without its line end.
    Sent(String),
    /// A literal the server sent (a message body in a FETCH), by its size.
    SentLiteral(usize),
    /// Write these bytes to the client. The `Sent` and `SentLiteral`
    /// before it are their transcript.
    Write(Vec<u8>),
    /// A LOGIN or AUTHENTICATE finished.
    Login {
        user: String,
        mechanism: &'static str,
        accepted: bool,
    },
    /// The `OK` to STARTTLS is out: flush it, run the handshake, then call
    /// [`Server::tls_started`]. Input sent after the command was thrown
    /// away (RFC 9051 section 6.2.1).
    StartTls { discarded: usize },
    /// A message (or part of it) went to the client.
    Fetched(Fetched),
    /// A message's flags changed at the client's request (STORE, or
    /// `\Seen` set by reading it).
    FlagsStored {
        folder: String,
        uid: u32,
        flags: BTreeSet<String>,
    },
    /// Messages were removed from a folder (EXPUNGE, CLOSE, the source of
    /// a MOVE).
    Expunged { folder: String, uids: Vec<u32> },
    /// The client filed a message (APPEND, say a copy in Sent).
    Appended {
        folder: String,
        uid: u32,
        size: usize,
        flags: BTreeSet<String>,
    },
    /// Messages went to another folder: (old UID, new UID) pairs.
    Moved {
        from: String,
        to: String,
        uids: Vec<(u32, u32)>,
    },
    /// Messages were copied to another folder.
    Copied {
        from: String,
        to: String,
        uids: Vec<(u32, u32)>,
    },
    /// The client created a folder.
    FolderCreated { folder: String },
    /// Flush and close the connection.
    Close,
}

/// One message retrieval.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Fetched {
    pub folder: String,
    pub uid: u32,
    /// What was asked for, as the response names it: `BODY[]`,
    /// `BODY[HEADER]`, `BODY[]<0>`, `RFC822`, …
    pub section: String,
    /// Whether `data` is the whole message (BODY[], RFC822).
    pub whole: bool,
    /// The bytes that went out.
    pub data: Vec<u8>,
}

#[cfg(test)]
mod tests;

//! The mail client's side of retrieval: how a laptop or a phone reads its
//! mailbox, the last hop of a message's journey. [`imap`] keeps a folder in
//! sync (RFC 9051, with STARTTLS, MOVE, APPEND and IDLE); [`pop3`]
//! downloads and, when told to, deletes (RFC 1939, with STLS, RFC 2595).
//!
//! Both engines have the shape of the SMTP client
//! ([`crate::proto::smtp::client`]): the driver builds a `Plan`, hands the
//! server's bytes to `Client::feed` and writes what comes back as `Send`;
//! on `StartTls` it runs the handshake and answers with `tls_started` or
//! `tls_failed`; `Done(outcome)` ends the session. Each message is also
//! handed out the moment it has crossed, so the driver can record its hop
//! at the right virtual time (an IDLE session may fetch hours after it
//! began). The transcript is the driver's: it records lines from the bytes
//! both ways, as it does for SMTP.
//!
//! An outcome says what was done as well as what failed: a session that
//! fetched three messages and then lost its connection has three copies on
//! the device. Every failure carries the server's own words when it gave
//! any. Both engines are bounded by [`Limits`], never panic whatever the
//! server sends (a seeded random test each), and read no clock and draw no
//! random number: IMAP tags count up from `a1`.

pub mod imap;
pub mod pop3;

use std::fmt;

/// How much a mail client takes from a server in one session.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Limits {
    /// The longest response line that is not part of a message, CRLF
    /// included (an IMAP response's own text, a POP3 status or list line).
    pub max_line: usize,
    /// The largest message the client downloads; a larger one ends the
    /// session with [`Failure::TooLarge`].
    pub max_message: usize,
    /// The most messages one session downloads; the rest wait for the next
    /// session (the outcome counts them as `left`).
    pub max_messages: usize,
}

impl Default for Limits {
    /// Generous for a simulated mailbox: the SMTP servers' own message size
    /// limit, 64 KiB lines (a SEARCH listing thousands of UIDs), a thousand
    /// messages a session.
    fn default() -> Self {
        Limits {
            max_line: 65_536,
            max_message: crate::proto::smtp::MAX_SIZE,
            max_messages: 1000,
        }
    }
}

/// Why a retrieval session ended before its plan was done. `said` is the
/// server's answer as it wrote it, less the tag (`NO [AUTHENTICATIONFAILED]
/// Authentication failed.`, `-ERR [AUTH] Authentication failed.`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Failure {
    /// The server's greeting was a refusal (`* BYE`, `-ERR`).
    Greeting { said: String },
    /// The plan requires TLS and the server does not offer STARTTLS/STLS.
    TlsNotOffered,
    /// The server answered STARTTLS/STLS with a refusal.
    StartTlsRefused { said: String },
    /// The TLS handshake failed.
    Tls { reason: String },
    /// IMAP's LOGINDISABLED (or no AUTH=PLAIN) on a connection the plan
    /// will not encrypt: the client keeps the password to itself.
    LoginDisabled,
    /// The server refused the user name or the password.
    LoginRefused { said: String },
    /// The folder could not be selected (`NO [NONEXISTENT]`).
    FolderMissing { folder: String, said: String },
    /// Another command of the plan was refused.
    Refused { command: String, said: String },
    /// The plan needs an extension the server does not announce (MOVE,
    /// IDLE, AUTH=PLAIN).
    Unsupported { what: String },
    /// The plan asks for something the protocol cannot carry (an APPEND of
    /// a message with a NUL byte, a folder name IMAP cannot write).
    Unwritable { what: String },
    /// The IMAP server said BYE before the client asked to log out.
    Bye { said: String },
    /// The server broke the protocol: an answer that does not parse, a tag
    /// the client never sent, a missing UIDVALIDITY.
    Protocol { what: String },
    /// A response line or a message was over [`Limits`].
    TooLarge { what: String, limit: usize },
    /// The connection closed before the session was over.
    Lost,
}

impl fmt::Display for Failure {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Failure::Greeting { said } => write!(f, "the server refused the connection: {said}"),
            Failure::TlsNotOffered => {
                f.write_str("TLS is required, but the server does not offer it")
            }
            Failure::StartTlsRefused { said } => write!(f, "the server refused TLS: {said}"),
            Failure::Tls { reason } => write!(f, "the TLS handshake failed: {reason}"),
            Failure::LoginDisabled => f.write_str(
                "the server accepts no password before TLS, and TLS is not to be had: \
                 the password was not sent",
            ),
            Failure::LoginRefused { said } => write!(f, "the server refused the login: {said}"),
            Failure::FolderMissing { folder, said } => {
                write!(f, "the server would not open folder {folder}: {said}")
            }
            Failure::Refused { command, said } => {
                write!(f, "the server refused {command}: {said}")
            }
            Failure::Unsupported { what } => write!(f, "the server does not support {what}"),
            Failure::Unwritable { what } => write!(f, "the client cannot write {what}"),
            Failure::Bye { said } => write!(f, "the server closed the session: {said}"),
            Failure::Protocol { what } => write!(f, "the server broke the protocol: {what}"),
            Failure::TooLarge { what, limit } => {
                write!(f, "{what} is larger than the client takes ({limit} bytes)")
            }
            Failure::Lost => f.write_str("the connection was lost"),
        }
    }
}

/// At most 80 characters of what a server sent, for a failure's words:
/// control characters shown as `?`.
fn excerpt(bytes: &[u8]) -> String {
    let text = String::from_utf8_lossy(bytes);
    let text = text.trim_end_matches(['\r', '\n']);
    let mut out: String = text
        .chars()
        .take(80)
        .map(|c| if c.is_control() { '?' } else { c })
        .collect();
    if text.chars().count() > 80 {
        out.push('…');
    }
    out
}

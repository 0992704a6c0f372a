//! POP3, the server side, as an engine: bytes and time in, replies and
//! happenings out. This is how a mail client that downloads takes a
//! message out of its INBOX: the last hop of a journey.
//!
//! ```text
//!   driver ──feed(bytes, now)──► Server ──► [Heard(line), Reply(line),
//!                                  │          MessageLine, Retrieved, Delete, …]
//!                                  │  asks
//!                                  ▼
//!                               Maildrop (is this password right? what is
//!                               in this user's INBOX?)
//! ```
//!
//! RFC 1939 with CAPA (RFC 2449), STLS (RFC 2595) and AUTH PLAIN (RFC
//! 5034). A session goes through the three states of RFC 1939 section 3:
//!
//! - AUTHORIZATION: `CAPA`, `STLS`, `USER` then `PASS`, `AUTH PLAIN`,
//!   `QUIT`. Where TLS is required, logging in before TLS is refused and
//!   `CAPA` does not offer it (RFC 2595 section 4); three failed logins
//!   and the server hangs up.
//! - TRANSACTION, once the maildrop is open: `STAT`, `LIST`, `UIDL`,
//!   `TOP`, `RETR`, `DELE`, `NOOP`, `RSET`, `CAPA`, `QUIT`. The messages
//!   are numbered at login and keep their numbers (`maildrop.rs`).
//! - UPDATE, entered only by `QUIT` after a login: the messages marked
//!   with `DELE` are removed now ([`Output::Delete`], which the driver
//!   applies to the store before the `+OK` goes out). A connection that
//!   drops, or an autologout, removes nothing.
//!
//! The engine stops at one moment only the outside can finish: after the
//! `+OK` to STLS ([`Output::StartTls`]: run the handshake, then call
//! [`Server::tls_started`]). Port 995 is the same engine with
//! [`Config::implicit_tls`]: the driver runs the handshake before
//! [`Server::greet`].
//!
//! The codec is strict (`command.rs`): CRLF line ends, single spaces,
//! decimal numbers, lines of at most 255 octets (RFC 2449 section 4); a
//! longer line, even one still arriving, gets `-ERR line too long` and the
//! connection is closed, so no client can make the server buffer more.
//! APOP is not offered: the greeting carries no timestamp.

mod auth;
mod command;
mod maildrop;

use command::Command;
use maildrop::{OpenMaildrop, messages};

/// The longest command line, CRLF included (RFC 2449 section 4).
pub const MAX_LINE: usize = 255;

/// Failed logins (PASS or AUTH) after which the server hangs up.
pub const MAX_FAILED_LOGINS: u32 = 3;

/// Command lines one session may send: enough to list, read and delete
/// thousands of messages, not enough to keep a server busy forever.
pub const MAX_COMMANDS: u32 = 10_000;

/// The inactivity autologout timer, in virtual milliseconds: ten minutes,
/// the least RFC 1939 section 3 allows.
pub const AUTOLOGOUT_MS: u64 = 10 * 60 * 1000;

/// What the engine asks the world. Answers are pure: the maildrop looks
/// things up, it does not change them (deletions come back as
/// [`Output::Delete`]).
pub trait Maildrop {
    /// Whether this user and password may log in.
    fn authenticate(&self, user: &str, password: &str) -> bool;
    /// The user's INBOX as this session will see it, or `None` if it
    /// cannot be opened now (another POP3 session holds it: RFC 1939
    /// section 4, "maildrop already locked"). POP3 sees no other folder.
    fn open(&self, user: &str) -> Option<Inbox>;
}

/// The INBOX at login.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Inbox {
    pub uidvalidity: u32,
    /// In UID order; they become messages 1, 2, … of the session.
    pub messages: Vec<InboxMessage>,
}

/// One message of the INBOX.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct InboxMessage {
    pub uid: u32,
    /// The message as stored, CRLF line ends.
    pub eml: Vec<u8>,
}

/// How a listener is set up.
#[derive(Debug, Clone)]
pub struct Config {
    /// This server's host name, for the greeting and the goodbye.
    pub host: String,
    /// Whether the server has a certificate (STLS can be offered).
    pub tls_available: bool,
    /// Refuse USER, PASS and AUTH until TLS is up. With no certificate
    /// either, nobody can log in.
    pub require_tls: bool,
    /// Whether TLS is already up when the session starts (port 995).
    pub implicit_tls: bool,
}

/// What the engine wants done, in order.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Output {
    /// A line the client sent, as the transcript shows it (a password
    /// too: the transcript is what crossed the wire).
    Heard(String),
    /// Send this line (without CRLF: the driver adds it). It is also the
    /// transcript line: a status (`+OK …`, `-ERR …`, `+ `), or a line of a
    /// listing, or the `.` that ends one.
    Reply(String),
    /// Send this line of a message (RETR or TOP), already dot-stuffed,
    /// with CRLF after it. Bytes, since a message need not be UTF-8; the
    /// transcript shows it as text.
    MessageLine(Vec<u8>),
    /// A login (`USER`/`PASS`, or `AUTH PLAIN`) was decided.
    Login {
        user: String,
        /// `USER` for USER/PASS, `PLAIN` for AUTH PLAIN.
        mechanism: &'static str,
        accepted: bool,
    },
    /// The `+OK` to STLS is out: flush it, run the handshake, then call
    /// [`Server::tls_started`]. Input pipelined after the command was
    /// thrown away, as RFC 3207 section 4.2 tells SMTP servers: nothing
    /// sent in plaintext may be taken as said inside TLS.
    StartTls { discarded: usize },
    /// Message `number` (`uid` in the store) went to the client: whole for
    /// RETR, or its header and `top` lines of its body for TOP. Comes after
    /// the `.` that ends it.
    Retrieved {
        number: usize,
        uid: u32,
        top: Option<usize>,
    },
    /// The UPDATE state: remove these messages from `user`'s INBOX now,
    /// before the `+OK` to QUIT that follows. `uidvalidity` is the one of
    /// the INBOX the session opened.
    Delete {
        user: String,
        uidvalidity: u32,
        uids: Vec<u32>,
    },
    /// Flush and close the connection.
    Close,
}

enum State {
    /// AUTHORIZATION; the name a `USER` just gave, waiting for `PASS`.
    Authorization {
        user: Option<String>,
    },
    /// `AUTH PLAIN` was answered with `+ `; waiting for the response.
    AuthPlain,
    /// STLS was accepted; waiting for [`Server::tls_started`].
    AwaitTls,
    /// TRANSACTION: the maildrop is open.
    Transaction(Box<OpenMaildrop>),
    Closed,
}

/// One POP3 session, server side.
pub struct Server {
    config: Config,
    state: State,
    /// Bytes of a line not yet complete: fewer than [`MAX_LINE`].
    input: Vec<u8>,
    tls: bool,
    failed_logins: u32,
    commands: u32,
    /// When the last command arrived (or the session or TLS began).
    last_command_ms: u64,
    out: Vec<Output>,
}

impl Server {
    pub fn new(config: Config) -> Self {
        Server {
            tls: config.implicit_tls,
            config,
            state: State::Authorization { user: None },
            input: Vec::new(),
            failed_logins: 0,
            commands: 0,
            last_command_ms: 0,
            out: Vec::new(),
        }
    }

    /// Whether the session is over (the driver should close).
    pub fn is_closed(&self) -> bool {
        matches!(self.state, State::Closed)
    }

    /// The greeting.
    pub fn greet(&mut self, now_ms: u64) -> Vec<Output> {
        self.last_command_ms = now_ms;
        let text = format!("{} POP3 server ready", self.config.host);
        self.ok(&text);
        std::mem::take(&mut self.out)
    }

    /// Bytes from the client. Nothing is read after the session closed or
    /// between STLS and [`Server::tls_started`].
    pub fn feed(&mut self, bytes: &[u8], now_ms: u64, maildrop: &dyn Maildrop) -> Vec<Output> {
        if !matches!(self.state, State::Closed | State::AwaitTls) {
            self.input.extend_from_slice(bytes);
            self.process(now_ms, maildrop);
        }
        std::mem::take(&mut self.out)
    }

    /// TLS is up after STLS: a name given before is forgotten, and the
    /// client starts again with CAPA (RFC 2595 section 4).
    pub fn tls_started(&mut self, now_ms: u64) {
        self.tls = true;
        self.input.clear();
        self.last_command_ms = now_ms;
        self.state = State::Authorization { user: None };
    }

    /// When the session will be logged out for silence, unless a command
    /// comes first: the driver calls [`Server::poll`] then.
    pub fn deadline(&self) -> Option<u64> {
        match self.state {
            State::Closed | State::AwaitTls => None,
            _ => Some(self.last_command_ms + AUTOLOGOUT_MS),
        }
    }

    /// Time passed: at the deadline the session ends without the UPDATE
    /// state (RFC 1939 section 3), so messages marked with DELE stay.
    pub fn poll(&mut self, now_ms: u64) -> Vec<Output> {
        if self.deadline().is_some_and(|deadline| now_ms >= deadline) {
            self.err("autologout: idle for too long");
            self.close();
        }
        std::mem::take(&mut self.out)
    }

    fn process(&mut self, now_ms: u64, maildrop: &dyn Maildrop) {
        while !matches!(self.state, State::Closed | State::AwaitTls) {
            let Some(end) = self.input.iter().position(|&b| b == b'\n') else {
                // Whatever completes this line makes it longer than the limit.
                if self.input.len() >= MAX_LINE {
                    self.too_long();
                }
                return;
            };
            if end + 1 > MAX_LINE {
                return self.too_long();
            }
            let mut line: Vec<u8> = self.input.drain(..=end).collect();
            line.pop();
            let crlf = line.last() == Some(&b'\r');
            if crlf {
                line.pop();
            }
            self.heard(&line);
            self.last_command_ms = now_ms;
            self.commands += 1;
            // RFC 1939 section 7: PASS only immediately after USER.
            let user = match &mut self.state {
                State::Authorization { user } => user.take(),
                _ => None,
            };
            if self.commands > MAX_COMMANDS {
                self.err("too many commands, closing connection");
                return self.close();
            }
            if !crlf {
                self.err("lines must end with CRLF");
                continue;
            }
            self.line(&line, user, maildrop);
        }
    }

    fn line(&mut self, line: &[u8], user: Option<String>, maildrop: &dyn Maildrop) {
        if matches!(self.state, State::AuthPlain) {
            self.state = State::Authorization { user: None };
            return self.plain(&String::from_utf8_lossy(line), maildrop);
        }
        let command = match command::parse(line) {
            Ok(command) => command,
            Err(error) => return self.err(&error.to_string()),
        };
        match std::mem::replace(&mut self.state, State::Authorization { user: None }) {
            State::Transaction(drop) => self.transaction(command, drop),
            _ => self.authorization(command, user, maildrop),
        }
    }

    /// A command in the AUTHORIZATION state; `user` is the name of a
    /// `USER` just before.
    fn authorization(&mut self, command: Command, user: Option<String>, maildrop: &dyn Maildrop) {
        let login = matches!(
            command,
            Command::User(_) | Command::Pass(_) | Command::Auth { .. }
        );
        if login && !self.login_allowed() {
            let hint = if self.config.tls_available {
                ", use STLS first"
            } else {
                ""
            };
            return self.err(&format!(
                "[AUTH] plaintext authentication disallowed on non-secure connections{hint}"
            ));
        }
        match command {
            Command::Capa => self.capa(false),
            Command::Stls => self.stls(),
            Command::User(name) => {
                self.state = State::Authorization { user: Some(name) };
                self.ok("send PASS");
            }
            Command::Pass(password) => match user {
                Some(user) => self.login(user, &password, "USER", maildrop),
                None => self.err("no username given"),
            },
            Command::Auth { mechanism, .. } if mechanism != "PLAIN" => {
                self.err("unsupported authentication mechanism")
            }
            Command::Auth {
                initial: Some(response),
                ..
            } => self.plain(&response, maildrop),
            Command::Auth { initial: None, .. } => {
                self.reply("+ ".to_string());
                self.state = State::AuthPlain;
            }
            Command::Quit => {
                let text = format!("{} POP3 server signing off", self.config.host);
                self.ok(&text);
                self.close();
            }
            Command::Stat
            | Command::List(_)
            | Command::Uidl(_)
            | Command::Top(..)
            | Command::Retr(_)
            | Command::Dele(_)
            | Command::Noop
            | Command::Rset => self.err("log in first"),
        }
    }

    /// Logging in is allowed inside TLS, or where the configuration does
    /// not require TLS (then the password crosses readable).
    fn login_allowed(&self) -> bool {
        self.tls || !self.config.require_tls
    }

    fn capa(&mut self, logged_in: bool) {
        let mut capabilities = vec!["TOP", "UIDL", "RESP-CODES", "AUTH-RESP-CODE", "PIPELINING"];
        if !logged_in {
            if self.config.tls_available && !self.tls {
                capabilities.push("STLS");
            }
            if self.login_allowed() {
                capabilities.extend(["USER", "SASL PLAIN"]);
            }
        }
        self.ok("capability list follows");
        for capability in capabilities {
            self.reply(capability.to_string());
        }
        self.reply(".".to_string());
    }

    fn stls(&mut self) {
        if self.tls {
            return self.err("command not permitted when TLS active");
        }
        if !self.config.tls_available {
            return self.err("TLS not available");
        }
        self.ok("begin TLS negotiation");
        let discarded = std::mem::take(&mut self.input).len();
        self.out.push(Output::StartTls { discarded });
        self.state = State::AwaitTls;
    }

    /// An AUTH PLAIN response, initial or after `+ `.
    fn plain(&mut self, response: &str, maildrop: &dyn Maildrop) {
        match auth::plain(response) {
            auth::Plain::Cancelled => self.err("authentication cancelled"),
            auth::Plain::Undecodable => self.err("cannot decode the PLAIN response"),
            // RFC 4616: an authorization identity other than the login asks
            // to act as someone else, which nobody here may do.
            auth::Plain::Credentials { authz, user, .. } if !authz.is_empty() && authz != user => {
                self.out.push(Output::Login {
                    user,
                    mechanism: "PLAIN",
                    accepted: false,
                });
                self.failed_login("authorization identity differs from login");
            }
            auth::Plain::Credentials { user, password, .. } => {
                self.login(user, &password, "PLAIN", maildrop)
            }
        }
    }

    fn login(
        &mut self,
        user: String,
        password: &str,
        mechanism: &'static str,
        maildrop: &dyn Maildrop,
    ) {
        let accepted = maildrop.authenticate(&user, password);
        self.out.push(Output::Login {
            user: user.clone(),
            mechanism,
            accepted,
        });
        if !accepted {
            return self.failed_login("authentication failed");
        }
        let Some(inbox) = maildrop.open(&user) else {
            return self.err("[IN-USE] maildrop already locked");
        };
        let drop = OpenMaildrop::new(user, inbox);
        let (count, octets) = drop.stat();
        let text = format!(
            "{}'s maildrop has {} ({octets} octets)",
            drop.user,
            messages(count)
        );
        self.ok(&text);
        self.state = State::Transaction(Box::new(drop));
    }

    fn failed_login(&mut self, why: &str) {
        self.failed_logins += 1;
        if self.failed_logins >= MAX_FAILED_LOGINS {
            self.err(&format!(
                "[AUTH] {why}, too many failures: closing connection"
            ));
            return self.close();
        }
        self.err(&format!("[AUTH] {why}"));
    }

    /// A command in the TRANSACTION state; the session keeps `drop` open
    /// until QUIT.
    fn transaction(&mut self, command: Command, mut drop: Box<OpenMaildrop>) {
        match command {
            Command::Quit => return self.update(&drop),
            Command::Capa => self.capa(true),
            Command::Stat => {
                let (count, octets) = drop.stat();
                self.ok(&format!("{count} {octets}"));
            }
            Command::List(None) => {
                let (count, octets) = drop.stat();
                self.ok(&format!("{} ({octets} octets)", messages(count)));
                for (number, size) in drop.sizes() {
                    self.reply(format!("{number} {size}"));
                }
                self.reply(".".to_string());
            }
            Command::List(Some(number)) => match drop.size(number) {
                Ok(size) => self.ok(&format!("{number} {size}")),
                Err(error) => self.err(&error.to_string()),
            },
            Command::Uidl(None) => {
                self.ok("unique-id listing follows");
                for (number, id) in drop.unique_ids() {
                    self.reply(format!("{number} {id}"));
                }
                self.reply(".".to_string());
            }
            Command::Uidl(Some(number)) => match drop.uid_string(number) {
                Ok(id) => self.ok(&format!("{number} {id}")),
                Err(error) => self.err(&error.to_string()),
            },
            Command::Top(number, lines) => self.send(&drop, number, Some(lines)),
            Command::Retr(number) => self.send(&drop, number, None),
            Command::Dele(number) => match drop.delete(number) {
                Ok(()) => self.ok(&format!("message {number} deleted")),
                Err(error) => self.err(&error.to_string()),
            },
            Command::Noop => self.ok(""),
            Command::Rset => {
                drop.undelete_all();
                let (count, octets) = drop.stat();
                self.ok(&format!(
                    "maildrop has {} ({octets} octets)",
                    messages(count)
                ));
            }
            Command::Stls | Command::User(_) | Command::Pass(_) | Command::Auth { .. } => {
                self.err("already logged in")
            }
        }
        self.state = State::Transaction(drop);
    }

    /// RETR (`top` is `None`) or TOP.
    fn send(&mut self, drop: &OpenMaildrop, number: usize, top: Option<usize>) {
        let message = match drop.retrieve(number, top) {
            Ok(message) => message,
            Err(error) => return self.err(&error.to_string()),
        };
        match top {
            None => self.ok(&format!("{} octets", message.size)),
            Some(_) => self.ok("top of message follows"),
        }
        self.out
            .extend(message.lines.into_iter().map(Output::MessageLine));
        self.reply(".".to_string());
        self.out.push(Output::Retrieved {
            number,
            uid: message.uid,
            top,
        });
    }

    /// QUIT after a login: the UPDATE state.
    fn update(&mut self, drop: &OpenMaildrop) {
        let uids = drop.marked();
        if !uids.is_empty() {
            self.out.push(Output::Delete {
                user: drop.user.clone(),
                uidvalidity: drop.uidvalidity,
                uids,
            });
        }
        let left = match drop.stat() {
            (0, _) => "maildrop empty".to_string(),
            (count, _) => format!("{} left", messages(count)),
        };
        let text = format!("{} POP3 server signing off ({left})", self.config.host);
        self.ok(&text);
        self.close();
    }

    fn too_long(&mut self) {
        self.heard(b"(line too long)");
        self.err("line too long");
        self.close();
    }

    fn close(&mut self) {
        self.out.push(Output::Close);
        self.state = State::Closed;
        self.input.clear();
    }

    fn heard(&mut self, line: &[u8]) {
        self.out
            .push(Output::Heard(String::from_utf8_lossy(line).into_owned()));
    }

    fn ok(&mut self, text: &str) {
        if text.is_empty() {
            self.reply("+OK".to_string());
        } else {
            self.reply(format!("+OK {text}"));
        }
    }

    fn err(&mut self, text: &str) {
        self.reply(format!("-ERR {text}"));
    }

    fn reply(&mut self, line: String) {
        self.out.push(Output::Reply(line));
    }
}

#[cfg(test)]
mod tests;

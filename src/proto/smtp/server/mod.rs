//! The server side of SMTP as an engine: bytes and time in, replies and
//! happenings out.
//!
//! ```text
//!   driver ──feed(bytes, now)──► Server ──► [Heard(line), Reply(line), …]
//!                                  │  asks
//!                                  ▼
//!                               Policy (may this client relay? is this
//!                               password right? is this a scripted 451?)
//! ```
//!
//! The engine stops at moments only the outside can finish: after the
//! `220` to STARTTLS ([`Output::StartTls`]: run the handshake, then call
//! [`Server::tls_started`]), at the end of DATA ([`Output::Message`]:
//! store the message, then call [`Server::stored`] with its queue id), and,
//! on a server that checks its clients, after HELO or EHLO
//! ([`Output::Helo`]: look the client up, then call
//! [`Server::client_checked`]). Until then it keeps pipelined input
//! buffered and answers nothing more.
//!
//! A policy may attach a note to its answer about a recipient (a
//! greylisting verdict, say): the engine hands it out as [`Output::Note`]
//! right after the reply it went with, and never looks inside.
//!
//! Replies follow Postfix's wording where a student may meet them in real
//! logs. DATA is framed by smtp-proto's `DataReceiver`: only `<CRLF>.<CRLF>`
//! ends a message, so a bare `<LF>.<LF>` cannot smuggle a second message in
//! (the "SMTP smuggling" bugs of 2023). Bare line ends inside the message are
//! normalised to CRLF, as Postfix does with `smtpd_forbid_bare_newline =
//! normal`.

mod auth;
mod data;
mod params;

use smtp_proto::{AUTH_LOGIN, AUTH_PLAIN, MailFrom, RcptTo, Request};

use super::{MAX_COMMAND_LINE, MAX_TEXT_LINE, Reply};
use auth::AuthState;
use data::DataState;
use params::{parse_error_reply, unadvertised_mail_parameter, unadvertised_rcpt_parameter};

/// After this many errors the server hangs up, as Postfix does.
const MAX_ERRORS: u32 = 20;
/// Recipients per transaction.
const MAX_RECIPIENTS: usize = 100;

/// The moments of a session a scenario may answer with a reply of its own.
#[derive(
    Debug, Clone, Copy, PartialEq, Eq, serde::Serialize, serde::Deserialize, schemars::JsonSchema,
)]
#[serde(rename_all = "snake_case")]
pub enum Phase {
    /// The greeting, as the client connects.
    Connect,
    /// The reply to HELO or EHLO.
    Helo,
    /// The reply to MAIL FROM.
    Mail,
    /// The reply to RCPT TO.
    Rcpt,
    /// The reply to DATA (before the message is sent).
    Data,
    /// The reply after the message's final dot.
    EndOfData,
}

/// What the engine asks the world. Answers are pure: a policy looks things
/// up and decides, it does not write to the trace.
pub trait Policy {
    /// What the policy wants recorded about a decision (a greylisting
    /// verdict, say): handed out untouched as [`Output::Note`].
    type Note;
    /// A reply the scenario imposes on this phase right now, if any.
    fn imposed(&self, phase: Phase, now_ms: u64) -> Option<Reply>;
    /// Whether this user and password may log in.
    fn login(&self, user: &str, password: &str) -> bool;
    /// Whether this envelope sender is acceptable; a refusal otherwise.
    fn sender(&self, sender: &str, login: Option<&str>) -> Result<(), Reply>;
    /// Whether this recipient is acceptable (a local mailbox, or a relay
    /// this client may use, from a client that passes the server's checks);
    /// a refusal otherwise, and perhaps a note on the decision.
    fn recipient(&self, rcpt: &Rcpt<'_>, now_ms: u64) -> Decision<Self::Note>;
}

/// A recipient the client asks for (`RCPT TO`), with what the session
/// knows by then.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Rcpt<'a> {
    pub recipient: &'a str,
    /// The envelope sender of the transaction (`MAIL FROM`), empty for `<>`.
    pub sender: &'a str,
    /// The name the client gave in HELO or EHLO.
    pub helo: Option<&'a str>,
    /// The user logged in with AUTH, if any.
    pub login: Option<&'a str>,
}

/// A policy's answer about a recipient.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Decision<N> {
    /// Take it, or the refusal to send.
    pub verdict: Result<(), Reply>,
    /// What the driver should record about the decision, if anything.
    pub note: Option<N>,
}

impl<N> From<Result<(), Reply>> for Decision<N> {
    fn from(verdict: Result<(), Reply>) -> Self {
        Decision {
            verdict,
            note: None,
        }
    }
}

/// How a listener is set up.
#[derive(Debug, Clone)]
pub struct Config {
    /// This server's host name, for the greeting and EHLO.
    pub host: String,
    /// A submission port (587 or 465): AUTH offered and required.
    pub submission: bool,
    /// Whether the server has a certificate (STARTTLS can be offered).
    pub tls_available: bool,
    /// Refuse MAIL until TLS is up.
    pub require_tls: bool,
    /// Whether TLS is already up when the session starts (port 465).
    pub implicit_tls: bool,
    /// The largest message accepted, in bytes (advertised with SIZE).
    pub max_size: usize,
    /// Stop after every accepted HELO or EHLO ([`Output::Helo`]) for the
    /// driver to look the client up before any recipient is judged.
    pub check_clients: bool,
    /// Offer REQUIRETLS (RFC 8689) inside TLS: a client may then ask, with
    /// `MAIL FROM:<a> REQUIRETLS`, that every later hop use TLS too.
    pub offer_requiretls: bool,
}

/// What the engine wants done, in order; `N` is the policy's [`Policy::Note`].
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Output<N> {
    /// A line the client sent, as the transcript shows it.
    Heard(String),
    /// Send this reply line (without CRLF: the driver adds it). It is also
    /// the transcript line.
    Reply(String),
    /// An AUTH exchange finished.
    Login {
        user: String,
        mechanism: &'static str,
        accepted: bool,
    },
    /// The `220` to STARTTLS is out: flush it, run the handshake, then call
    /// [`Server::tls_started`]. Input pipelined after the command was
    /// thrown away (RFC 3207 section 4.2).
    StartTls { discarded: usize },
    /// A complete message passed every check: store it, then call
    /// [`Server::stored`].
    Message(Transaction),
    /// The client introduced itself with this name (HELO or EHLO) to a
    /// server that checks its clients ([`Config::check_clients`]): look it
    /// up, then call [`Server::client_checked`].
    Helo(String),
    /// The policy's note on the decision whose reply came just before.
    Note(N),
    /// Flush and close the connection.
    Close,
}

/// One accepted message and what the session knew about its sender.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Transaction {
    pub helo: Option<String>,
    pub esmtp: bool,
    pub tls: bool,
    pub user: Option<String>,
    pub sender: String,
    pub recipients: Vec<String>,
    /// The client asked with `MAIL FROM:<a> REQUIRETLS` (RFC 8689) that
    /// the message go on only over TLS with a checked certificate.
    pub require_tls: bool,
    /// The message as received: dot-stuffing undone, CRLF line ends.
    pub data: Vec<u8>,
}

impl Transaction {
    /// The RFC 3848 protocol name: `SMTP`, `ESMTP`, `ESMTPS`, `ESMTPA`, `ESMTPSA`.
    pub fn protocol(&self) -> String {
        let mut protocol = if self.esmtp { "ESMTP" } else { "SMTP" }.to_string();
        if self.esmtp && self.tls {
            protocol.push('S');
        }
        if self.esmtp && self.user.is_some() {
            protocol.push('A');
        }
        protocol
    }
}

enum State {
    Command,
    Auth(AuthState),
    Data(Box<DataState>),
    /// A message was handed out; waiting for [`Server::stored`].
    AwaitStored,
    /// STARTTLS was accepted; waiting for [`Server::tls_started`].
    AwaitTls,
    /// HELO or EHLO was answered; waiting for [`Server::client_checked`].
    AwaitChecked,
    /// The greeting was a 554: only QUIT is answered usefully (RFC 5321
    /// section 3.1).
    NoService,
    Closed,
}

/// One SMTP session, server side, asking a policy whose notes are `N`.
pub struct Server<N> {
    config: Config,
    state: State,
    input: Vec<u8>,
    /// Dropping an overlong command line up to its end.
    skipping: bool,
    tls: bool,
    helo: Option<String>,
    esmtp: bool,
    user: Option<String>,
    sender: Option<String>,
    /// The current transaction's MAIL FROM carried REQUIRETLS.
    require_tls: bool,
    recipients: Vec<String>,
    errors: u32,
    out: Vec<Output<N>>,
}

impl<N> Server<N> {
    pub fn new(config: Config) -> Self {
        Server {
            tls: config.implicit_tls,
            config,
            state: State::Command,
            input: Vec::new(),
            skipping: false,
            helo: None,
            esmtp: false,
            user: None,
            sender: None,
            require_tls: false,
            recipients: Vec::new(),
            errors: 0,
            out: Vec::new(),
        }
    }

    /// Whether the session is over (the driver should close).
    pub fn is_closed(&self) -> bool {
        matches!(self.state, State::Closed)
    }

    /// The greeting: `220`, or a reply the scenario imposes (a `421` closes).
    pub fn greet(&mut self, now_ms: u64, policy: &dyn Policy<Note = N>) -> Vec<Output<N>> {
        match policy.imposed(Phase::Connect, now_ms) {
            Some(reply) if reply.code == 220 || !(400..600).contains(&reply.code) => {
                self.reply(&reply)
            }
            Some(reply) => {
                self.reply(&reply);
                if reply.code == 421 {
                    self.close();
                } else {
                    self.state = State::NoService;
                }
            }
            None => self.say(220, &format!("{} ESMTP mailhop", self.config.host)),
        }
        std::mem::take(&mut self.out)
    }

    /// Bytes from the client.
    pub fn feed(
        &mut self,
        bytes: &[u8],
        now_ms: u64,
        policy: &dyn Policy<Note = N>,
    ) -> Vec<Output<N>> {
        if !self.is_closed() {
            self.input.extend_from_slice(bytes);
        }
        self.process(now_ms, policy);
        std::mem::take(&mut self.out)
    }

    /// TLS is up after STARTTLS: everything learned before is forgotten
    /// (RFC 3207 section 4.2).
    pub fn tls_started(&mut self, now_ms: u64, policy: &dyn Policy<Note = N>) -> Vec<Output<N>> {
        self.tls = true;
        self.helo = None;
        self.esmtp = false;
        self.reset();
        self.input.clear();
        self.state = State::Command;
        self.process(now_ms, policy);
        std::mem::take(&mut self.out)
    }

    /// The client of [`Output::Helo`] has been looked up: go on.
    pub fn client_checked(&mut self, now_ms: u64, policy: &dyn Policy<Note = N>) -> Vec<Output<N>> {
        if matches!(self.state, State::AwaitChecked) {
            self.state = State::Command;
        }
        self.process(now_ms, policy);
        std::mem::take(&mut self.out)
    }

    /// The outcome of storing the message of [`Output::Message`]: its queue
    /// id, or a refusal to pass on to the client.
    pub fn stored(
        &mut self,
        result: Result<String, Reply>,
        now_ms: u64,
        policy: &dyn Policy<Note = N>,
    ) -> Vec<Output<N>> {
        self.reset();
        self.state = State::Command;
        match result {
            Ok(queue_id) => self.say(250, &format!("2.0.0 Ok: queued as {queue_id}")),
            Err(reply) => self.error_reply(&reply),
        }
        self.process(now_ms, policy);
        std::mem::take(&mut self.out)
    }

    fn process(&mut self, now_ms: u64, policy: &dyn Policy<Note = N>) {
        loop {
            // Inside a transaction the limit leaves room for every
            // recipient, so refused ones never cost the accepted ones their
            // message; the session ends once the transaction is over.
            let limit = if self.sender.is_some() {
                MAX_ERRORS + MAX_RECIPIENTS as u32
            } else {
                MAX_ERRORS
            };
            if self.errors >= limit && !self.is_closed() {
                let text = format!("4.7.0 {} Error: too many errors", self.config.host);
                self.say(421, &text);
                self.close();
            }
            match &mut self.state {
                State::Closed | State::AwaitStored | State::AwaitTls | State::AwaitChecked => {
                    return;
                }
                State::Data(data) => {
                    let Some(done) = data.ingest(&mut self.input, &mut self.out) else {
                        return;
                    };
                    self.end_of_data(done, now_ms, policy);
                }
                State::Command | State::Auth(_) | State::NoService => {
                    let Some(line) = self.next_line() else {
                        return;
                    };
                    self.line(line, now_ms, policy);
                }
            }
        }
    }

    /// The next command line, without its line end; `Err` for one too long.
    fn next_line(&mut self) -> Option<Result<Vec<u8>, ()>> {
        loop {
            match self.input.iter().position(|&b| b == b'\n') {
                Some(pos) => {
                    let mut line: Vec<u8> = self.input.drain(..=pos).collect();
                    if std::mem::take(&mut self.skipping) {
                        return Some(Err(()));
                    }
                    line.pop();
                    if line.last() == Some(&b'\r') {
                        line.pop();
                    }
                    return Some(Ok(line));
                }
                None if self.input.len() > MAX_COMMAND_LINE => {
                    self.input.clear();
                    self.skipping = true;
                }
                None => return None,
            }
        }
    }

    fn line(&mut self, line: Result<Vec<u8>, ()>, now_ms: u64, policy: &dyn Policy<Note = N>) {
        let Ok(line) = line else {
            self.heard(b"(line too long)");
            return self.error(500, "5.5.2 Error: line too long");
        };
        self.heard(&line);
        if let State::Auth(auth) = &mut self.state {
            let step = auth.step(&line);
            self.state = State::Command;
            return self.auth_step(step, policy);
        }
        let is_auth = line.len() >= 5 && line[..5].eq_ignore_ascii_case(b"AUTH ");
        if line.len() + 2 > MAX_TEXT_LINE && !is_auth {
            return self.error(500, "5.5.2 Error: line too long");
        }
        if matches!(self.state, State::NoService) {
            if line.eq_ignore_ascii_case(b"QUIT") {
                self.say(221, "2.0.0 Bye");
                return self.close();
            }
            return self.error(503, "5.5.1 Error: no SMTP service here");
        }
        let mut with_end = line;
        with_end.extend_from_slice(b"\r\n");
        match Request::parse(&mut with_end.iter()) {
            Ok(request) => self.command(request.into_owned(), now_ms, policy),
            Err(err) => {
                let (code, text) = parse_error_reply(&err);
                self.error(code, &text);
            }
        }
    }

    fn command(&mut self, request: Request<String>, now_ms: u64, policy: &dyn Policy<Note = N>) {
        match request {
            Request::Ehlo { host } => self.ehlo(host, true, now_ms, policy),
            Request::Helo { host } => self.ehlo(host, false, now_ms, policy),
            Request::Lhlo { .. } => self.error(502, "5.5.1 Error: LHLO is for LMTP, this is SMTP"),
            Request::StartTls => self.starttls(),
            Request::Auth {
                mechanism,
                initial_response,
            } => self.auth(mechanism, initial_response, policy),
            Request::Mail { from } => self.mail(from, now_ms, policy),
            Request::Rcpt { to } => self.rcpt(to, now_ms, policy),
            Request::Data => self.data(now_ms, policy),
            Request::Rset => {
                self.reset();
                self.say(250, "2.0.0 Ok");
            }
            Request::Noop { .. } => self.say(250, "2.0.0 Ok"),
            Request::Quit => {
                self.say(221, "2.0.0 Bye");
                self.close();
            }
            Request::Vrfy { .. } => self.error(502, "5.5.1 VRFY command is disabled"),
            _ => self.error(502, "5.5.1 Error: command not implemented"),
        }
    }

    /// Answers with an imposed reply if the scenario has one for `phase`;
    /// a `421` also closes. Returns whether it answered.
    fn impose(&mut self, phase: Phase, now_ms: u64, policy: &dyn Policy<Note = N>) -> bool {
        let Some(reply) = policy.imposed(phase, now_ms) else {
            return false;
        };
        if reply.is_positive() {
            return false;
        }
        self.error_reply(&reply);
        if reply.code == 421 {
            self.close();
        }
        true
    }

    fn ehlo(&mut self, name: String, esmtp: bool, now_ms: u64, policy: &dyn Policy<Note = N>) {
        if self.impose(Phase::Helo, now_ms, policy) {
            return;
        }
        self.reset();
        self.helo = Some(name.clone());
        self.esmtp = esmtp;
        if !esmtp {
            self.say(250, &self.config.host.clone());
        } else {
            let lines: Vec<String> = [self.config.host.clone()]
                .into_iter()
                .chain(self.extensions())
                .collect();
            self.reply(&Reply { code: 250, lines });
        }
        if self.config.check_clients {
            self.out.push(Output::Helo(name));
            self.state = State::AwaitChecked;
        }
    }

    /// The ESMTP extensions offered right now, in EHLO order.
    fn extensions(&self) -> Vec<String> {
        let mut ext = vec![
            "PIPELINING".to_string(),
            format!("SIZE {}", self.config.max_size),
            "8BITMIME".to_string(),
            "ENHANCEDSTATUSCODES".to_string(),
        ];
        if self.config.tls_available && !self.tls {
            ext.push("STARTTLS".to_string());
        }
        if self.config.submission && self.auth_allowed() {
            ext.push("AUTH PLAIN LOGIN".to_string());
        }
        if self.requiretls_offered() {
            ext.push("REQUIRETLS".to_string());
        }
        ext
    }

    /// REQUIRETLS is offered only inside TLS (RFC 8689 section 2: never in
    /// the clear, where anyone on the path could remove it), and only where
    /// configured.
    fn requiretls_offered(&self) -> bool {
        self.config.offer_requiretls && self.tls && self.esmtp
    }

    /// AUTH is only allowed inside TLS, unless this server has no TLS at all
    /// (a misconfiguration the scenarios can show: the password in the clear).
    fn auth_allowed(&self) -> bool {
        self.tls || !self.config.tls_available
    }

    fn starttls(&mut self) {
        if self.tls {
            return self.error(554, "5.5.1 Error: TLS already active");
        }
        if !self.config.tls_available {
            return self.error(502, "5.5.1 Error: command not implemented");
        }
        if self.helo.is_none() {
            return self.error(503, "5.5.1 Error: send HELO/EHLO first");
        }
        self.say(220, "2.0.0 Ready to start TLS");
        let discarded = std::mem::take(&mut self.input).len();
        self.out.push(Output::StartTls { discarded });
        self.state = State::AwaitTls;
    }

    fn auth(&mut self, mechanism: u64, initial: String, policy: &dyn Policy<Note = N>) {
        if self.helo.is_none() {
            return self.error(503, "5.5.1 Error: send HELO/EHLO first");
        }
        if !self.config.submission {
            return self.error(503, "5.5.1 Error: authentication not enabled");
        }
        if !self.auth_allowed() {
            return self.error(
                538,
                "5.7.11 Encryption required for requested authentication mechanism",
            );
        }
        if self.user.is_some() {
            return self.error(503, "5.5.1 Error: already authenticated");
        }
        if self.sender.is_some() {
            return self.error(503, "5.5.1 Error: MAIL transaction in progress");
        }
        let step = if mechanism == AUTH_PLAIN {
            AuthState::plain(&initial)
        } else if mechanism == AUTH_LOGIN {
            AuthState::login(&initial)
        } else {
            return self.error(504, "5.5.4 Unrecognized authentication type");
        };
        self.auth_step(step, policy);
    }

    fn auth_step(&mut self, step: auth::Step, policy: &dyn Policy<Note = N>) {
        match step {
            auth::Step::Challenge(state, prompt) => {
                self.say(334, prompt);
                self.state = State::Auth(state);
            }
            auth::Step::Aborted => self.error(501, "5.7.0 Authentication aborted"),
            auth::Step::Undecodable => self.error(501, "5.5.2 Cannot decode response"),
            auth::Step::Done {
                mechanism,
                authz,
                user,
                password,
            } => {
                // RFC 4616: an authorization identity other than the login
                // asks to act as someone else, which nobody here may do.
                let proxy = !authz.is_empty() && authz != user;
                let accepted = !proxy && policy.login(&user, &password);
                self.out.push(Output::Login {
                    user: user.clone(),
                    mechanism,
                    accepted,
                });
                if proxy {
                    self.error(
                        535,
                        "5.7.8 Error: authentication failed: authorization identity differs from login",
                    );
                } else if accepted {
                    self.say(235, "2.7.0 Authentication successful");
                    self.user = Some(user);
                } else {
                    self.error(535, "5.7.8 Error: authentication failed: bad credentials");
                }
            }
        }
    }

    fn mail(&mut self, from: MailFrom<String>, now_ms: u64, policy: &dyn Policy<Note = N>) {
        if self.helo.is_none() {
            return self.error(503, "5.5.1 Error: send HELO/EHLO first");
        }
        if self.sender.is_some() {
            return self.error(503, "5.5.1 Error: nested MAIL command");
        }
        if self.config.require_tls && !self.tls {
            return self.error(530, "5.7.0 Must issue a STARTTLS command first");
        }
        if self.config.submission && self.user.is_none() {
            return self.error(530, "5.7.0 Authentication required");
        }
        if let Some(param) =
            unadvertised_mail_parameter(&from, self.esmtp, self.requiretls_offered())
        {
            return self.error(555, &format!("5.5.4 Unsupported option: {param}"));
        }
        if from.size > self.config.max_size {
            return self.error(552, "5.3.4 Message size exceeds fixed limit");
        }
        if let Err(reply) = policy.sender(&from.address, self.user.as_deref()) {
            return self.error_reply(&reply);
        }
        if self.impose(Phase::Mail, now_ms, policy) {
            return;
        }
        self.sender = Some(from.address);
        self.require_tls = from.flags & smtp_proto::MAIL_REQUIRETLS != 0;
        self.say(250, "2.1.0 Ok");
    }

    fn rcpt(&mut self, to: RcptTo<String>, now_ms: u64, policy: &dyn Policy<Note = N>) {
        if self.sender.is_none() {
            return self.error(503, "5.5.1 Error: need MAIL command");
        }
        if let Some(param) = unadvertised_rcpt_parameter(&to) {
            return self.error(555, &format!("5.5.4 Unsupported option: {param}"));
        }
        if self.recipients.len() >= MAX_RECIPIENTS {
            return self.error(452, "4.5.3 Error: too many recipients");
        }
        let asked = Rcpt {
            recipient: &to.address,
            sender: self.sender.as_deref().unwrap_or_default(),
            helo: self.helo.as_deref(),
            login: self.user.as_deref(),
        };
        let Decision { verdict, note } = policy.recipient(&asked, now_ms);
        match verdict {
            Err(reply) => self.error_reply(&reply),
            Ok(()) if self.impose(Phase::Rcpt, now_ms, policy) => {}
            Ok(()) => {
                self.recipients.push(to.address);
                self.say(250, "2.1.5 Ok");
            }
        }
        if let Some(note) = note {
            self.out.push(Output::Note(note));
        }
    }

    fn data(&mut self, now_ms: u64, policy: &dyn Policy<Note = N>) {
        if self.sender.is_none() {
            return self.error(503, "5.5.1 Error: need MAIL command");
        }
        if self.recipients.is_empty() {
            return self.error(554, "5.5.1 Error: no valid recipients");
        }
        if self.impose(Phase::Data, now_ms, policy) {
            return;
        }
        self.say(354, "End data with <CR><LF>.<CR><LF>");
        self.state = State::Data(Box::new(DataState::new(self.config.max_size)));
    }

    fn end_of_data(&mut self, done: data::Done, now_ms: u64, policy: &dyn Policy<Note = N>) {
        self.state = State::Command;
        if done.too_long {
            self.reset();
            return self.error(500, "5.5.2 Error: line too long");
        }
        if done.too_big {
            self.reset();
            return self.error(552, "5.3.4 Message size exceeds fixed limit");
        }
        if self.impose(Phase::EndOfData, now_ms, policy) {
            return self.reset();
        }
        self.out.push(Output::Message(Transaction {
            helo: self.helo.clone(),
            esmtp: self.esmtp,
            tls: self.tls,
            user: self.user.clone(),
            sender: self.sender.clone().unwrap_or_default(),
            recipients: self.recipients.clone(),
            require_tls: self.require_tls,
            data: done.message,
        }));
        self.state = State::AwaitStored;
    }

    fn reset(&mut self) {
        self.sender = None;
        self.require_tls = false;
        self.recipients.clear();
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

    fn error(&mut self, code: u16, text: &str) {
        self.errors += 1;
        self.say(code, text);
    }

    fn error_reply(&mut self, reply: &Reply) {
        if !reply.is_positive() {
            self.errors += 1;
        }
        self.reply(reply);
    }

    fn say(&mut self, code: u16, text: &str) {
        self.reply(&Reply::new(code, text));
    }

    fn reply(&mut self, reply: &Reply) {
        for line in reply.wire_lines() {
            self.out.push(Output::Reply(line));
        }
    }
}

#[cfg(test)]
mod tests;

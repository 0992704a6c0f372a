//! One IMAP session, server side: framing, the state machine of imap-next,
//! and which command may run in which state (RFC 9051 section 3).
//!
//! Input is cut into lines and literals by imap-codec's `Fragmentizer`
//! before imap-next sees it, one piece at a time, so the transcript shows
//! each line as the client sent it, in order with the answers, and the
//! limits on a line and a literal hold before anything is buffered
//! further. Both framers see the same bytes, so they always agree where a
//! command ends.

use imap_codec::{
    fragmentizer::{FragmentInfo, Fragmentizer, LineEnding},
    imap_types::{
        auth::AuthMechanism,
        command::{Command, CommandBody},
        core::{Atom, Tag, Text, Vec1},
        response::{
            Bye, Capability, Code, CommandContinuationRequest, Data, Greeting, GreetingKind,
            Status, StatusBody, StatusKind,
        },
    },
};
use imap_next::{
    Interrupt, Io, State as _,
    server::{Error as NextError, Event, Options, Server as Next},
};

use super::selected::Selected;
use super::words::{Done, known_command, tag_and_name, text};
use super::{Config, MAX_COMMANDS, MAX_ERRORS, MAX_LINE, MAX_LITERAL, Mailstore, Output};

/// The largest command, its literals included.
const MAX_MESSAGE: usize = MAX_LITERAL as usize + 2 * MAX_LINE;

/// One IMAP session, server side.
pub struct Server {
    pub(super) config: Config,
    next: Next,
    framer: Fragmentizer,
    /// Bytes given to the framer and bytes it has cut into pieces, since
    /// it was made (what STARTTLS throws away is the difference).
    fed: usize,
    framed: usize,
    /// Bytes of the current command already handed to imap-next.
    passed: usize,
    /// The next piece of the current command is a literal.
    in_literal: bool,
    pub(super) tls: bool,
    pub(super) user: Option<String>,
    pub(super) selected: Option<Selected>,
    /// The tag of the IDLE in progress.
    idle: Option<Tag<'static>>,
    /// The tag of the AUTHENTICATE in progress.
    pub(super) authenticating: Option<Tag<'static>>,
    await_tls: bool,
    closed: bool,
    pub(super) failed_logins: u32,
    errors: u32,
    commands: u32,
    pub(super) out: Vec<Output>,
    /// Said once what is written now is flushed (StartTls, Close).
    after_flush: Vec<Output>,
}

impl Server {
    pub fn new(config: Config) -> Self {
        let mut options = Options::default();
        options.max_literal_size = MAX_LITERAL;
        // Larger than the engine's own, so those speak first.
        options.max_command_size = 2 * MAX_MESSAGE as u32;
        // Both texts are valid; were they not, imap-next would keep "...".
        let _ = options.set_literal_accept_text("Ready for literal data".to_string());
        let _ = options
            .set_literal_reject_text(format!("Literal too big: at most {MAX_LITERAL} bytes"));
        let tls = config.implicit_tls;
        let greeting = Greeting {
            kind: GreetingKind::Ok,
            code: Some(Code::Capability(capabilities(&config, tls, false))),
            text: text(&format!("{} mailhop IMAP ready.", config.host)),
        };
        Server {
            config,
            next: Next::new(options, greeting),
            framer: Fragmentizer::without_max_message_size(),
            fed: 0,
            framed: 0,
            passed: 0,
            in_literal: false,
            tls,
            user: None,
            selected: None,
            idle: None,
            authenticating: None,
            await_tls: false,
            closed: false,
            failed_logins: 0,
            errors: 0,
            commands: 0,
            out: Vec::new(),
            after_flush: Vec::new(),
        }
    }

    /// Whether the session is over (the driver should close).
    pub fn is_closed(&self) -> bool {
        self.closed
    }

    /// Whether the client is idling (RFC 2177), waiting to hear of changes.
    pub fn is_idle(&self) -> bool {
        self.idle.is_some()
    }

    /// The greeting, with the capabilities.
    pub fn greet(&mut self, now_unix: i64, store: &mut dyn Mailstore) -> Vec<Output> {
        self.drive(now_unix, store);
        std::mem::take(&mut self.out)
    }

    /// Bytes from the client.
    pub fn feed(&mut self, bytes: &[u8], now_unix: i64, store: &mut dyn Mailstore) -> Vec<Output> {
        // In pieces no larger than a line, so a flood is refused before it
        // is all buffered.
        for chunk in bytes.chunks(MAX_LINE) {
            if self.closed || self.await_tls {
                break;
            }
            self.fed += chunk.len();
            self.framer.enqueue_bytes(chunk);
            self.pump(now_unix, store);
        }
        std::mem::take(&mut self.out)
    }

    /// TLS is up after STARTTLS; the client starts over with CAPABILITY.
    pub fn tls_started(&mut self, now_unix: i64, store: &mut dyn Mailstore) -> Vec<Output> {
        self.tls = true;
        self.await_tls = false;
        self.drive(now_unix, store);
        std::mem::take(&mut self.out)
    }

    /// The store changed (new mail arrived, another session moved
    /// something): an idling client hears of it now, others with their
    /// next command.
    pub fn changed(&mut self, now_unix: i64, store: &mut dyn Mailstore) -> Vec<Output> {
        if self.idle.is_some() && !self.closed {
            self.sync(store, true);
            self.drive(now_unix, store);
        }
        std::mem::take(&mut self.out)
    }

    /// Cuts what arrived into lines and literals and hands each to
    /// imap-next, answering what it makes of them.
    fn pump(&mut self, now_unix: i64, store: &mut dyn Mailstore) {
        while !self.closed && !self.await_tls {
            let Some(info) = self.framer.progress() else {
                let message = self.framer.message_bytes().len();
                let pending = message.saturating_sub(self.passed);
                let limit = if self.in_literal {
                    MAX_LITERAL as usize
                } else {
                    MAX_LINE + 2
                };
                if pending > limit || message > MAX_MESSAGE {
                    self.heard_cut(pending);
                    self.bye("Command line too long.");
                    self.drive(now_unix, store);
                }
                return;
            };
            let piece = self.framer.fragment_bytes(info).to_vec();
            self.framed += piece.len();
            self.passed += piece.len();
            match info {
                FragmentInfo::Line {
                    announcement,
                    ending,
                    ..
                } => {
                    let end = if ending == LineEnding::CrLf { 2 } else { 1 };
                    if piece.len() > MAX_LINE + end {
                        self.heard_cut(piece.len());
                        self.bye("Command line too long.");
                        self.drive(now_unix, store);
                        return;
                    }
                    let line = &piece[..piece.len().saturating_sub(end)];
                    self.out
                        .push(Output::Heard(String::from_utf8_lossy(line).into_owned()));
                    self.in_literal = announcement.is_some();
                }
                FragmentInfo::Literal { .. } => {
                    self.out.push(Output::HeardLiteral(piece.len()));
                    self.in_literal = false;
                }
            }
            if self.framer.is_message_complete() {
                self.passed = 0;
            }
            self.next.enqueue_input(&piece);
            self.drive(now_unix, store);
        }
    }

    /// A line cut short for its length, in the transcript.
    fn heard_cut(&mut self, len: usize) {
        self.out
            .push(Output::Heard(format!("(a line of {len} bytes, too long)")));
    }

    /// Runs imap-next until it needs more input: writes what it has to
    /// send, and answers what it received.
    pub(super) fn drive(&mut self, now_unix: i64, store: &mut dyn Mailstore) {
        loop {
            match self.next.next() {
                Ok(event) => self.event(event, now_unix, store),
                Err(Interrupt::Io(Io::Output(bytes))) => self.write(bytes),
                Err(Interrupt::Io(Io::NeedMoreInput)) => break,
                Err(Interrupt::Error(error)) => self.receive_error(error),
            }
        }
        self.out.append(&mut self.after_flush);
    }

    /// One response on its way out, with its transcript.
    fn write(&mut self, bytes: Vec<u8>) {
        let mut pieces = Fragmentizer::without_max_message_size();
        pieces.enqueue_bytes(&bytes);
        while let Some(info) = pieces.progress() {
            let piece = pieces.fragment_bytes(info);
            self.out.push(match info {
                FragmentInfo::Line { .. } => {
                    let line = piece.strip_suffix(b"\r\n").unwrap_or(piece);
                    Output::Sent(String::from_utf8_lossy(line).into_owned())
                }
                FragmentInfo::Literal { .. } => Output::SentLiteral(piece.len()),
            });
        }
        self.out.push(Output::Write(bytes));
    }

    fn event(&mut self, event: Event, now_unix: i64, store: &mut dyn Mailstore) {
        match event {
            Event::GreetingSent { .. } | Event::ResponseSent { .. } => {}
            Event::CommandReceived { command } => {
                if self.count_command() {
                    self.command(command, now_unix, store);
                }
            }
            Event::CommandAuthenticateReceived {
                command_authenticate,
            } => {
                if self.count_command() {
                    self.authenticate(command_authenticate, store);
                }
            }
            Event::AuthenticateDataReceived { authenticate_data } => {
                self.authenticate_data(authenticate_data, store);
            }
            Event::IdleCommandReceived { tag } => {
                if self.count_command() {
                    self.idle(tag, store);
                }
            }
            Event::IdleDoneReceived => {
                if let Some(tag) = self.idle.take() {
                    self.next
                        .enqueue_status(Done::ok("Idle completed.").tagged(tag));
                }
            }
        }
    }

    /// Counts a command; past the limit the session ends.
    fn count_command(&mut self) -> bool {
        self.commands += 1;
        if self.commands > MAX_COMMANDS {
            self.bye("Too many commands in one session.");
            return false;
        }
        true
    }

    fn receive_error(&mut self, error: NextError) {
        match error {
            NextError::LiteralTooLong { .. } => {
                // imap-next answered BAD and dropped the command; the client
                // will not send the literal, so drop it here too.
                self.framer.skip_message();
                self.passed = 0;
                self.in_literal = false;
                self.count_error();
            }
            NextError::ExpectedCrlfGotLf { discarded_bytes } => {
                self.malformed(discarded_bytes.declassify(), "Lines must end with CRLF.");
            }
            NextError::MalformedMessage { discarded_bytes } => {
                self.malformed(discarded_bytes.declassify(), "Invalid arguments.");
            }
            NextError::CommandTooLong { .. } => self.bye("Command line too long."),
        }
    }

    /// Input imap-codec could not read: a broken AUTHENTICATE answer, a
    /// line other than DONE while idling, or a command with a bad tag, an
    /// unknown name or bad arguments.
    fn malformed(&mut self, bytes: &[u8], reason: &str) {
        if let Some(tag) = self.authenticating.take() {
            let done = Done::bad("AUTHENTICATE", "Invalid base64 data.");
            self.count_error();
            // imap-next waits for the answer to AUTHENTICATE.
            let _ = self.next.authenticate_finish(done.tagged(tag));
            return;
        }
        if self.idle.is_some() {
            return self.untagged_bad("Expected DONE.");
        }
        let (tag, name) = tag_and_name(bytes);
        let Some(tag) = tag else {
            let what = if bytes.iter().all(u8::is_ascii_whitespace) {
                "Error in IMAP command: empty line."
            } else {
                "Error in IMAP command: invalid tag."
            };
            return self.untagged_bad(what);
        };
        let done = match name {
            None => Done::bad("", "missing command name."),
            Some(name) if !known_command(&name) => Done::bad(&name, "Unknown command."),
            Some(name) => Done::bad(&name, reason),
        };
        self.answer(tag, done);
    }

    fn untagged_bad(&mut self, what: &str) {
        let status = Status::Untagged(StatusBody {
            kind: StatusKind::Bad,
            code: None,
            text: text(what),
        });
        self.next.enqueue_status(status);
        self.count_error();
    }

    /// Tags an outcome and queues it; too many `BAD`s end the session.
    pub(super) fn answer(&mut self, tag: Tag<'static>, done: Done) {
        let bad = done.kind == StatusKind::Bad;
        self.next.enqueue_status(done.tagged(tag));
        if bad {
            self.count_error();
        }
    }

    pub(super) fn count_error(&mut self) {
        self.errors += 1;
        if self.errors >= MAX_ERRORS && !self.closed {
            self.bye("Too many invalid IMAP commands.");
        }
    }

    /// `* BYE`, then close once it is out.
    pub(super) fn bye(&mut self, why: &str) {
        if self.closed {
            return;
        }
        self.next.enqueue_status(Status::Bye(Bye {
            code: None,
            text: text(why),
        }));
        self.closed = true;
        self.idle = None;
        self.after_flush.push(Output::Close);
    }

    pub(super) fn enqueue_data(&mut self, data: Data<'static>) {
        self.next.enqueue_data(data);
    }

    pub(super) fn enqueue_status(&mut self, status: Status<'static>) {
        self.next.enqueue_status(status);
    }

    pub(super) fn next_mut(&mut self) -> &mut Next {
        &mut self.next
    }

    /// What this server offers right now (RFC 9051 section 7.2.2).
    pub(super) fn capabilities(&self) -> Vec1<Capability<'static>> {
        capabilities(&self.config, self.tls, self.user.is_some())
    }

    /// LOGIN and AUTHENTICATE wait for TLS.
    pub(super) fn login_disabled(&self) -> bool {
        self.config.require_tls && !self.tls
    }

    fn command(&mut self, command: Command<'static>, now_unix: i64, store: &mut dyn Mailstore) {
        let Command { tag, body } = command;
        if let Err(done) = self.allowed(&body) {
            return self.answer(tag, done);
        }
        // EXPUNGE responses would renumber messages under a FETCH, STORE
        // or SEARCH by sequence number (RFC 9051 section 7.5.1).
        let expunges = !matches!(
            body,
            CommandBody::Fetch { uid: false, .. }
                | CommandBody::Store { uid: false, .. }
                | CommandBody::Search { uid: false, .. }
        );
        let done = match body {
            CommandBody::Capability => {
                let caps = self.capabilities();
                self.enqueue_data(Data::Capability(caps));
                Some(Done::ok("Capability completed."))
            }
            CommandBody::Noop => Some(Done::ok("NOOP completed.")),
            CommandBody::Check => Some(Done::ok("Check completed.")),
            CommandBody::Logout => {
                self.next.enqueue_status(Status::Bye(Bye {
                    code: None,
                    text: text("Logging out"),
                }));
                self.answer(tag, Done::ok("Logout completed."));
                self.closed = true;
                self.after_flush.push(Output::Close);
                return;
            }
            CommandBody::StartTLS => return self.starttls(tag),
            CommandBody::Login { username, password } => {
                return self.login(tag, username, password, store);
            }
            other => self.mailbox_command(other, now_unix, store),
        };
        if self.selected.is_some() && !self.closed {
            self.sync(store, expunges);
        }
        if let Some(done) = done {
            self.answer(tag, done);
        }
    }

    /// Whether a command may run in this state (RFC 9051 section 3); a
    /// `BAD` saying why not otherwise.
    fn allowed(&self, body: &CommandBody<'static>) -> Result<(), Done> {
        use CommandBody as C;
        let uid = matches!(
            body,
            C::Fetch { uid: true, .. }
                | C::Store { uid: true, .. }
                | C::Search { uid: true, .. }
                | C::Copy { uid: true, .. }
                | C::Move { uid: true, .. }
                | C::ExpungeUid { .. }
        );
        let name = &if uid {
            format!("UID {}", body.name())
        } else {
            body.name().to_string()
        };
        match body {
            C::Capability | C::Noop | C::Logout => Ok(()),
            C::StartTLS | C::Login { .. } | C::Authenticate { .. } => match self.user {
                Some(_) => Err(Done::bad(name, "Already logged in.")),
                None => Ok(()),
            },
            C::Select { .. }
            | C::Examine { .. }
            | C::Create { .. }
            | C::Delete { .. }
            | C::Rename { .. }
            | C::Subscribe { .. }
            | C::Unsubscribe { .. }
            | C::List { .. }
            | C::Lsub { .. }
            | C::Status { .. }
            | C::Append { .. }
            | C::Enable { .. }
            | C::Idle => match self.user {
                None => Err(Done::bad(name, "Log in first.")),
                Some(_) => Ok(()),
            },
            C::Check
            | C::Close
            | C::Unselect
            | C::Expunge
            | C::ExpungeUid { .. }
            | C::Search { .. }
            | C::Fetch { .. }
            | C::Store { .. }
            | C::Copy { .. }
            | C::Move { .. } => match (&self.user, &self.selected) {
                (None, _) => Err(Done::bad(name, "Log in first.")),
                (Some(_), None) => Err(Done::bad(name, "No mailbox selected.")),
                (Some(_), Some(_)) => Ok(()),
            },
            _ => Err(Done::bad(name, "Not supported by this server.")),
        }
    }

    fn starttls(&mut self, tag: Tag<'static>) {
        if self.tls {
            return self.answer(tag, Done::bad("STARTTLS", "TLS is already active."));
        }
        if !self.config.tls_available {
            return self.answer(tag, Done::bad("STARTTLS", "TLS support isn't enabled."));
        }
        self.answer(tag, Done::ok("Begin TLS negotiation now."));
        let discarded = self.fed.saturating_sub(self.framed);
        self.framer = Fragmentizer::without_max_message_size();
        self.fed = 0;
        self.framed = 0;
        self.passed = 0;
        self.in_literal = false;
        self.await_tls = true;
        self.after_flush.push(Output::StartTls { discarded });
    }

    fn idle(&mut self, tag: Tag<'static>, store: &mut dyn Mailstore) {
        if self.user.is_none() {
            let done = Done::bad("IDLE", "Log in first.");
            self.count_error();
            let _ = self.next.idle_reject(done.tagged(tag));
            return;
        }
        let Ok(cont) = CommandContinuationRequest::basic(None, Text::unvalidated("idling")) else {
            return;
        };
        if self.next.idle_accept(cont).is_ok() {
            self.idle = Some(tag);
            if self.selected.is_some() {
                self.sync(store, true);
            }
        }
    }
}

/// What a server offers (RFC 9051 section 7.2.2): STARTTLS until TLS is
/// up, `LOGINDISABLED` while logging in must wait for it, AUTH=PLAIN once
/// it may not, and the extensions this engine answers.
fn capabilities(config: &Config, tls: bool, logged_in: bool) -> Vec1<Capability<'static>> {
    let mut caps = vec![Capability::Imap4Rev1, other("IMAP4rev2")];
    if !logged_in {
        if config.tls_available && !tls {
            caps.push(Capability::StartTls);
        }
        if config.require_tls && !tls {
            caps.push(Capability::LoginDisabled);
        } else {
            caps.push(Capability::Auth(AuthMechanism::Plain));
            caps.push(Capability::SaslIr);
        }
    }
    caps.extend([
        Capability::Enable,
        Capability::Idle,
        Capability::Move,
        Capability::UidPlus,
        Capability::Unselect,
        other("SPECIAL-USE"),
    ]);
    Vec1::unvalidated(caps)
}

fn other(name: &'static str) -> Capability<'static> {
    Capability::from(Atom::unvalidated(name))
}

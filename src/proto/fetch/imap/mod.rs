//! The client side of IMAP (RFC 9051) as an engine: what a mail client does
//! when it syncs a folder, one connection at a time.
//!
//! ```text
//! S: * OK [CAPABILITY IMAP4rev1 … STARTTLS LOGINDISABLED] Dovecot ready.
//! C: a1 CAPABILITY                  S: * CAPABILITY …  a1 OK
//! C: a2 STARTTLS                    S: a2 OK Begin TLS negotiation now.
//!    (the driver runs the TLS handshake, then calls `tls_started`)
//! C: a3 CAPABILITY                  S: * CAPABILITY … AUTH=PLAIN  a3 OK
//! C: a4 LOGIN bob@friend.test …     S: a4 OK [CAPABILITY … MOVE IDLE] Logged in
//! C: a5 SELECT INBOX                S: * 3 EXISTS  * OK [UIDVALIDITY 1700000000] …
//! C: a6 UID SEARCH ALL              S: * SEARCH 1 2 3
//! C: a7 UID FETCH 3 (UID FLAGS RFC822.SIZE BODY.PEEK[])   (UIDs 1 and 2 known)
//!                                   S: * 3 FETCH (UID 3 FLAGS () RFC822.SIZE 310 BODY[] {310} …)
//! C: a8 UID STORE 3 +FLAGS.SILENT (\Seen)    C: a9 UID MOVE … Junk
//! C: a10 APPEND Sent (\Seen) {n+} …          C: a11 IDLE … DONE
//! C: a12 LOGOUT                     S: * BYE Logging out  a12 OK Logout completed.
//! ```
//!
//! imap-codec writes every command and parses every response; imap-next's
//! client state machine frames them (literals in both directions, the `+`
//! before a synchronizing literal, AUTHENTICATE and IDLE). This engine
//! decides what to say next, one command at a time, and matches each
//! tagged answer to the command it ends.
//!
//! Which messages are new: the plan carries the UIDs the client already has
//! and the UIDVALIDITY they belong to. A different UIDVALIDITY after SELECT
//! means the old UIDs mean nothing (RFC 9051 section 2.3.1.1), so the client
//! fetches the whole folder again. During IDLE, a grown `* n EXISTS` makes
//! the client leave IDLE (`DONE`), fetch what arrived, and IDLE again until
//! the driver calls [`Client::stop_idle`].

mod commands;
mod plan;
mod sync;

pub use self::plan::{
    Append, Appended, ClientOutput, Fetched, Known, Login, Move, Moved, Outcome, Plan,
};

use std::collections::BTreeSet;

use imap_next::client::{Client as Machine, Event, Options};
use imap_next::imap_types::auth::AuthenticateData;
use imap_next::imap_types::command::{Command, CommandBody};
use imap_next::imap_types::response::{
    Code, Data, Greeting, GreetingKind, Status, StatusBody, StatusKind,
};
use imap_next::imap_types::secret::Secret;
use imap_next::{Interrupt, Io, State as _};

use self::commands::FetchItems;
use super::{Failure, Limits, excerpt};
use crate::scenario::StartTls;

/// What the client waits for.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Step {
    Greeting,
    Capability(Stage),
    StartTls,
    /// The driver runs the TLS handshake.
    AwaitTls,
    Login,
    Select,
    Search,
    Fetch,
    Store,
    Move,
    Append,
    /// IDLE sent; `accepted` once the server's `+` came, `done` once DONE
    /// went out.
    Idle {
        accepted: bool,
        done: bool,
    },
    Logout,
    Done,
}

/// Where a CAPABILITY command stands in the session.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Stage {
    Connected,
    AfterTls,
    LoggedIn,
}

/// One IMAP session, client side.
pub struct Client {
    plan: Plan,
    machine: Machine,
    step: Step,
    /// Commands sent so far; the next tag is `a{n + 1}`.
    sent: u32,
    /// The tag of the command in flight.
    pending: Option<String>,
    caps: Vec<String>,
    exists: u32,
    /// UIDs the client has: the plan's (while UIDVALIDITY holds) and the
    /// ones fetched.
    have: BTreeSet<u32>,
    /// The last UID SEARCH's answer.
    found: BTreeSet<u32>,
    /// UIDs asked for in the UID FETCH in flight.
    wanted: BTreeSet<u32>,
    /// Fetched in this round, for STORE.
    round: BTreeSet<u32>,
    /// The first sync (and the plan's MOVE and APPEND) is over.
    synced: bool,
    /// The folder grew since the last search.
    new_mail: bool,
    /// The driver asked the client to stop idling.
    stop: bool,
    /// The AUTHENTICATE PLAIN response has been sent.
    token_sent: bool,
    /// The command in flight is not written whole: a synchronizing literal
    /// waits for the server's `+`.
    unsent: bool,
    outcome: Outcome,
    out: Vec<ClientOutput>,
}

impl Client {
    pub fn new(plan: Plan) -> Self {
        let machine = Machine::new(options(&plan.limits, false));
        Client {
            plan,
            machine,
            step: Step::Greeting,
            sent: 0,
            pending: None,
            caps: Vec::new(),
            exists: 0,
            have: BTreeSet::new(),
            found: BTreeSet::new(),
            wanted: BTreeSet::new(),
            round: BTreeSet::new(),
            synced: false,
            new_mail: false,
            stop: false,
            token_sent: false,
            unsent: false,
            outcome: Outcome::default(),
            out: Vec::new(),
        }
    }

    pub fn is_done(&self) -> bool {
        self.step == Step::Done
    }

    /// Bytes from the server.
    pub fn feed(&mut self, bytes: &[u8]) -> Vec<ClientOutput> {
        if self.running() {
            self.machine.enqueue_input(bytes);
            self.pump();
        }
        std::mem::take(&mut self.out)
    }

    /// The server closed the connection. Before LOGOUT's tagged answer
    /// this is a lost connection, even after `* BYE`: an outcome without a
    /// failure is a session that ended as the protocol says.
    pub fn eof(&mut self) -> Vec<ClientOutput> {
        if !self.is_done() {
            self.finish(Some(Failure::Lost));
        }
        std::mem::take(&mut self.out)
    }

    /// TLS is up after STARTTLS. Whatever the server sent after its OK was
    /// sent before the handshake and is dropped with the old state machine
    /// (RFC 9051 section 11.1: no plaintext injection), and capabilities
    /// are asked again, since they may change with TLS.
    pub fn tls_started(&mut self) -> Vec<ClientOutput> {
        if self.step == Step::AwaitTls {
            self.machine = Machine::new(options(&self.plan.limits, true));
            self.caps.clear();
            self.command(CommandBody::Capability, Step::Capability(Stage::AfterTls));
            self.pump();
        }
        std::mem::take(&mut self.out)
    }

    /// The TLS handshake failed: the session is over.
    pub fn tls_failed(&mut self, reason: String) -> Vec<ClientOutput> {
        if !self.is_done() {
            self.finish(Some(Failure::Tls { reason }));
        }
        std::mem::take(&mut self.out)
    }

    /// The client stops listening for new mail: DONE now if it is idling,
    /// else no more IDLE after the round in progress.
    pub fn stop_idle(&mut self) -> Vec<ClientOutput> {
        self.stop = true;
        if let Step::Idle {
            accepted: true,
            done: false,
        } = self.step
        {
            self.done_idling();
            self.pump();
        }
        std::mem::take(&mut self.out)
    }

    fn running(&self) -> bool {
        !matches!(self.step, Step::Done | Step::AwaitTls)
    }

    /// Runs imap-next until it needs more input: what it writes goes out,
    /// what it read comes in as events.
    fn pump(&mut self) {
        while self.running() {
            match self.machine.next() {
                Ok(event) => self.on_event(event),
                Err(Interrupt::Io(Io::Output(bytes))) => self.out.push(ClientOutput::Send(bytes)),
                Err(Interrupt::Io(Io::NeedMoreInput)) => break,
                Err(Interrupt::Error(error)) => self.unreadable(error),
            }
        }
    }

    fn unreadable(&mut self, error: imap_next::client::Error) {
        use imap_next::client::Error;
        let failure = match error {
            Error::ResponseTooLong { .. } => Failure::TooLarge {
                what: "a response".into(),
                limit: response_limit(&self.plan.limits) as usize,
            },
            Error::ExpectedCrlfGotLf { discarded_bytes } => Failure::Protocol {
                what: format!(
                    "a line ended without CR: {}",
                    excerpt(discarded_bytes.declassify())
                ),
            },
            Error::MalformedMessage { discarded_bytes } => Failure::Protocol {
                what: format!(
                    "an answer that is not IMAP: {}",
                    excerpt(discarded_bytes.declassify())
                ),
            },
        };
        self.finish(Some(failure));
    }

    fn on_event(&mut self, event: Event) {
        match event {
            Event::GreetingReceived { greeting } => self.on_greeting(greeting),
            Event::DataReceived { data } => self.on_data(data),
            Event::StatusReceived { status } => self.on_status(status),
            Event::AuthenticateStatusReceived { status, .. } => self.on_status(status),
            Event::CommandRejected { status, .. } => {
                self.unsent = false;
                self.on_status(status);
            }
            Event::AuthenticateContinuationRequestReceived { .. } => self.authenticate_data(),
            Event::IdleAccepted { .. } => self.idle_accepted(),
            Event::IdleRejected { status, .. } => self.idle_ended(&status),
            Event::ContinuationRequestReceived { .. } => self.finish(Some(Failure::Protocol {
                what: "a continuation request nothing waited for".into(),
            })),
            Event::CommandSent { .. }
            | Event::AuthenticateStarted { .. }
            | Event::IdleCommandSent { .. } => self.unsent = false,
            Event::IdleDoneSent { .. } => {}
        }
    }

    fn on_greeting(&mut self, greeting: Greeting<'static>) {
        match greeting.kind {
            GreetingKind::Ok => {
                self.command(CommandBody::Capability, Step::Capability(Stage::Connected))
            }
            // Already logged in (RFC 9051 section 7.1.4): STARTTLS is no
            // longer possible, so a plan that requires TLS stops here.
            GreetingKind::PreAuth if self.needs_starttls() => self.give_up(Failure::TlsNotOffered),
            GreetingKind::PreAuth => {
                self.command(CommandBody::Capability, Step::Capability(Stage::LoggedIn))
            }
            GreetingKind::Bye => {
                let said = commands::greeting_said(&greeting);
                self.finish(Some(Failure::Greeting { said }));
            }
        }
    }

    fn needs_starttls(&self) -> bool {
        !self.plan.implicit_tls && self.plan.starttls == StartTls::Require
    }

    fn on_data(&mut self, data: Data<'static>) {
        match data {
            Data::Capability(caps) => {
                self.caps = caps
                    .as_ref()
                    .iter()
                    .map(commands::capability_name)
                    .collect();
            }
            Data::Exists(exists) => self.on_exists(exists),
            Data::Expunge(_) => self.exists = self.exists.saturating_sub(1),
            Data::Search(uids, ..) if self.step == Step::Search => {
                self.found.extend(uids.iter().map(|uid| uid.get()));
            }
            Data::Fetch { items, .. } => self.on_fetch(FetchItems::read(items)),
            _ => {}
        }
    }

    fn on_status(&mut self, status: Status<'static>) {
        match &status {
            Status::Untagged(body) => self.on_untagged(body),
            Status::Bye(_) if self.step == Step::Logout => {}
            Status::Bye(_) => {
                let said = commands::said(&status);
                self.finish(Some(Failure::Bye { said }));
            }
            Status::Tagged(tagged) => {
                if self.pending.as_deref() != Some(tagged.tag.inner()) {
                    let what = format!("an answer tagged {} to no command", tagged.tag.inner());
                    return self.finish(Some(Failure::Protocol { what }));
                }
                self.pending = None;
                let said = commands::said(&status);
                self.on_tagged(&tagged.body, said);
            }
        }
    }

    fn on_untagged(&mut self, body: &StatusBody<'static>) {
        match &body.code {
            Some(Code::UidValidity(v)) if self.step == Step::Select => {
                self.outcome.uidvalidity = Some(v.get());
            }
            Some(Code::Capability(caps)) => {
                self.caps = caps
                    .as_ref()
                    .iter()
                    .map(commands::capability_name)
                    .collect();
            }
            _ => {}
        }
    }

    /// The answer that ends the command in flight.
    fn on_tagged(&mut self, body: &StatusBody<'static>, said: String) {
        let ok = body.kind == StatusKind::Ok;
        match self.step {
            Step::Capability(stage) if ok => self.after_capability(stage),
            Step::StartTls if ok => {
                self.out.push(ClientOutput::StartTls);
                self.step = Step::AwaitTls;
            }
            Step::StartTls => self.give_up(Failure::StartTlsRefused { said }),
            Step::Login if ok => match &body.code {
                Some(Code::Capability(caps)) => {
                    self.caps = caps
                        .as_ref()
                        .iter()
                        .map(commands::capability_name)
                        .collect();
                    self.select();
                }
                _ => self.command(CommandBody::Capability, Step::Capability(Stage::LoggedIn)),
            },
            Step::Login => self.give_up(Failure::LoginRefused { said }),
            Step::Select if ok => self.selected(),
            Step::Select => {
                let folder = self.plan.folder.clone();
                self.give_up(Failure::FolderMissing { folder, said });
            }
            Step::Search if ok => self.fetch_new(),
            Step::Fetch if ok => self.fetch_done(),
            Step::Store if ok => self.store_done(),
            Step::Move if ok => self.move_done(),
            Step::Append if ok => self.append_done(&body.code),
            Step::Idle { .. } => self.idle_ended_with(ok, said),
            Step::Logout if ok => {
                self.outcome.logged_out = true;
                self.finish(None);
            }
            Step::Logout => {
                let command = "LOGOUT".into();
                self.finish(Some(Failure::Refused { command, said }));
            }
            step => {
                let command = command_name(step).into();
                self.give_up(Failure::Refused { command, said });
            }
        }
    }

    fn after_capability(&mut self, stage: Stage) {
        match stage {
            Stage::Connected if !self.plan.implicit_tls && self.plan.starttls != StartTls::None => {
                if self.has("STARTTLS") {
                    self.command(CommandBody::StartTLS, Step::StartTls);
                } else if self.plan.starttls == StartTls::Require {
                    self.give_up(Failure::TlsNotOffered);
                } else {
                    self.login();
                }
            }
            Stage::Connected | Stage::AfterTls => self.login(),
            Stage::LoggedIn => self.select(),
        }
    }

    /// LOGIN or AUTHENTICATE PLAIN, unless the server refuses passwords
    /// here: then the password is never written (RFC 9051 section 6.2.3: a
    /// client MUST NOT send LOGIN when LOGINDISABLED is advertised).
    fn login(&mut self) {
        match self.plan.login {
            Login::Login if self.has("LOGINDISABLED") => self.give_up(Failure::LoginDisabled),
            Login::Login => {
                let body = commands::login(&self.plan.user, &self.plan.password);
                self.send(body, Step::Login);
            }
            Login::AuthenticatePlain if self.has("AUTH=PLAIN") => {
                let token = commands::plain_token(&self.plan.user, &self.plan.password);
                let with_ir = self.has("SASL-IR");
                self.token_sent = with_ir;
                self.command(commands::authenticate_plain(with_ir, &token), Step::Login);
            }
            Login::AuthenticatePlain if self.has("LOGINDISABLED") => {
                self.give_up(Failure::LoginDisabled)
            }
            Login::AuthenticatePlain => self.give_up(Failure::Unsupported {
                what: "AUTH=PLAIN".into(),
            }),
        }
    }

    /// The server's `+` after AUTHENTICATE PLAIN: the token once, then `*`
    /// (cancel) should it ask again.
    fn authenticate_data(&mut self) {
        let data = if self.token_sent {
            AuthenticateData::Cancel
        } else {
            self.token_sent = true;
            let token = commands::plain_token(&self.plan.user, &self.plan.password);
            AuthenticateData::Continue(Secret::new(commands::token_data(&token)))
        };
        if self.machine.set_authenticate_data(data).is_err() {
            self.finish(Some(Failure::Protocol {
                what: "a continuation request nothing waited for".into(),
            }));
        }
    }

    fn logout(&mut self) {
        self.command(CommandBody::Logout, Step::Logout);
    }

    /// Ends the session politely: the failure is kept and LOGOUT said.
    /// A command refused before its literal went out (a tagged `NO`
    /// instead of `+`) leaves nothing sendable behind it: imap-next would
    /// still wait for the `+`, so the client closes instead.
    fn give_up(&mut self, failure: Failure) {
        if self.unsent {
            return self.finish(Some(failure));
        }
        self.outcome.failure.get_or_insert(failure);
        self.logout();
    }

    /// Ends the session now: the server is gone or cannot be trusted.
    fn finish(&mut self, failure: Option<Failure>) {
        if let Some(failure) = failure {
            self.outcome.failure.get_or_insert(failure);
        }
        self.step = Step::Done;
        let outcome = std::mem::take(&mut self.outcome);
        self.out.push(ClientOutput::Done(outcome));
    }

    fn send(&mut self, body: Result<CommandBody<'static>, Failure>, step: Step) {
        match body {
            Ok(body) => self.command(body, step),
            Err(failure) => self.give_up(failure),
        }
    }

    fn command(&mut self, body: CommandBody<'static>, step: Step) {
        self.sent += 1;
        let tag = format!("a{}", self.sent);
        match Command::new(tag.clone(), body) {
            Ok(command) => {
                self.machine.enqueue_command(command);
                self.unsent = true;
                self.pending = Some(tag);
                self.step = step;
            }
            Err(_) => self.finish(Some(Failure::Unwritable {
                what: format!("the tag {tag}"),
            })),
        }
    }

    fn has(&self, capability: &str) -> bool {
        self.caps.iter().any(|c| c == capability)
    }
}

/// imap-next's options: strict line ends, and a response no larger than a
/// message plus a line (a FETCH of the largest message the client takes).
fn options(limits: &Limits, after_starttls: bool) -> Options {
    let mut options = Options::default();
    options.crlf_relaxed = false;
    options.max_response_size = response_limit(limits);
    options.discard_greeting = after_starttls;
    options
}

fn response_limit(limits: &Limits) -> u32 {
    u32::try_from(limits.max_message.saturating_add(limits.max_line)).unwrap_or(u32::MAX)
}

fn command_name(step: Step) -> &'static str {
    match step {
        Step::Greeting | Step::AwaitTls | Step::Done => "nothing",
        Step::Capability(_) => "CAPABILITY",
        Step::StartTls => "STARTTLS",
        Step::Login => "LOGIN",
        Step::Select => "SELECT",
        Step::Search => "UID SEARCH",
        Step::Fetch => "UID FETCH",
        Step::Store => "UID STORE",
        Step::Move => "UID MOVE",
        Step::Append => "APPEND",
        Step::Idle { .. } => "IDLE",
        Step::Logout => "LOGOUT",
    }
}

#[cfg(test)]
mod tests;

//! The client side of POP3 (RFC 1939, CAPA from RFC 2449, STLS from RFC
//! 2595) as an engine: a mail client downloading what is new, and deleting
//! it from the server when set to (a real client's "leave messages on the
//! server" turned off).
//!
//! ```text
//! S: +OK Dovecot ready.
//! C: CAPA                  S: +OK / CAPA / TOP / UIDL / … / STLS / .
//! C: STLS                  S: +OK Begin TLS negotiation now.
//!    (the driver runs the TLS handshake, then calls `tls_started`)
//! C: CAPA                  S: +OK / … / USER / .
//! C: USER bob@friend.test  S: +OK
//! C: PASS secret           S: +OK Logged in.
//! C: STAT                  S: +OK 2 620
//! C: UIDL                  S: +OK / 1 00000001… / 2 00000002… / .
//! C: RETR 2                S: +OK 310 octets / <message, dot-stuffed> / .
//! C: DELE 2                S: +OK Marked to be deleted.      (plan: delete)
//! C: QUIT                  S: +OK Logging out, messages deleted.
//! ```
//!
//! No crate fits, so the codec is here and strict: only CRLF ends a line,
//! a status line starts `+OK` or `-ERR` followed by a space or nothing,
//! a multi-line response ends at a line that is one dot, and a leading dot
//! is taken off every other line (RFC 1939 section 3). Deletions happen at
//! the server only when QUIT is answered (the UPDATE state, section 6):
//! the outcome keeps QUIT's answer, and [`Outcome::deleted`] is empty when
//! the connection dropped before it.

mod lines;

/// The most capability lines the client reads from CAPA.
const MAX_CAPABILITIES: usize = 256;

use std::collections::{BTreeSet, VecDeque};

use self::lines::Lines;
use super::{Failure, Limits, excerpt};
use crate::scenario::StartTls;

/// What one session should do.
#[derive(Debug, Clone)]
pub struct Plan {
    /// The server's host name, for the driver's certificate check.
    pub server_name: String,
    /// `none`: never STLS; `offer`: when the server offers it; `require`:
    /// give up (QUIT) if the server does not offer it.
    pub starttls: StartTls,
    /// TLS is already up (port 995): no STLS.
    pub implicit_tls: bool,
    pub user: String,
    pub password: String,
    /// Unique ids (UIDL) of messages the client already downloaded.
    pub known: BTreeSet<String>,
    /// Delete each message once downloaded.
    pub delete: bool,
    pub limits: Limits,
}

impl Plan {
    /// Download everything, STLS when offered, leave messages on the server.
    pub fn new(server_name: &str, user: &str, password: &str) -> Self {
        Plan {
            server_name: server_name.into(),
            starttls: StartTls::Offer,
            implicit_tls: false,
            user: user.into(),
            password: password.into(),
            known: BTreeSet::new(),
            delete: false,
            limits: Limits::default(),
        }
    }
}

/// A message as the client downloaded it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Retrieved {
    /// Its number in this session (RETR n).
    pub number: u32,
    /// Its unique id, when the server answers UIDL.
    pub uid: Option<String>,
    /// The message with dot-stuffing undone, lines ending in CRLF.
    pub raw: Vec<u8>,
}

/// A status line: `+OK` or `-ERR` and the server's words.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Answer {
    pub ok: bool,
    /// The whole line as the server wrote it (`+OK Logging out.`).
    pub line: String,
}

/// What a session did, and why it stopped early if it did.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Outcome {
    /// STAT's answer: messages and octets in the maildrop.
    pub messages: Option<(u32, u64)>,
    /// In the order they arrived.
    pub retrieved: Vec<Retrieved>,
    /// New messages the session left for the next one (`max_messages`).
    pub left: usize,
    /// Messages marked for deletion (DELE answered `+OK`), by number.
    pub marked: Vec<u32>,
    /// QUIT's answer; `None` when it never came.
    pub quit: Option<Answer>,
    pub failure: Option<Failure>,
}

impl Outcome {
    /// The messages the server deleted: the marked ones, if QUIT was
    /// answered `+OK` (RFC 1939 section 6), else none.
    pub fn deleted(&self) -> &[u32] {
        match &self.quit {
            Some(Answer { ok: true, .. }) => &self.marked,
            _ => &[],
        }
    }
}

/// What the engine wants done.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ClientOutput {
    /// Write these bytes.
    Send(Vec<u8>),
    /// The server said `+OK` to STLS: run the handshake, then call
    /// [`Client::tls_started`] or [`Client::tls_failed`].
    StartTls,
    /// A message has crossed (also listed in the outcome).
    Retrieved(Retrieved),
    /// The session is over: close the connection.
    Done(Outcome),
}

/// What the client waits for.
#[derive(Debug, Clone, PartialEq, Eq)]
enum Step {
    Greeting,
    /// CAPA's status line, then (`listing`) its lines.
    Capa {
        after_tls: bool,
        listing: bool,
    },
    Stls,
    AwaitTls,
    User,
    Pass,
    Stat,
    Uidl {
        listing: bool,
    },
    /// RETR's status line, then (`body`) the message.
    Retr {
        number: u32,
        body: Option<Vec<u8>>,
    },
    Dele {
        number: u32,
    },
    Quit,
    Done,
}

/// One POP3 session, client side.
pub struct Client {
    plan: Plan,
    step: Step,
    lines: Lines,
    caps: Vec<String>,
    /// UIDL's listing: number and unique id.
    uids: Vec<(u32, String)>,
    /// Bytes of UIDL's listing so far (bounded by `max_message`).
    listed: usize,
    /// Messages still to download, in order.
    queue: VecDeque<(u32, Option<String>)>,
    outcome: Outcome,
    out: Vec<ClientOutput>,
}

impl Client {
    pub fn new(plan: Plan) -> Self {
        Client {
            plan,
            step: Step::Greeting,
            lines: Lines::default(),
            caps: Vec::new(),
            uids: Vec::new(),
            listed: 0,
            queue: VecDeque::new(),
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
            self.lines.push(bytes);
            while self.running() {
                let max = self.line_limit();
                match self.lines.next(max) {
                    None => break,
                    Some(Ok(line)) => self.on_line(line),
                    Some(Err(_)) => self.too_long(max),
                }
            }
        }
        std::mem::take(&mut self.out)
    }

    /// The server closed the connection. Before QUIT's answer this is a
    /// lost connection even in the QUIT step: nothing was deleted.
    pub fn eof(&mut self) -> Vec<ClientOutput> {
        if !self.is_done() {
            self.finish(Some(Failure::Lost));
        }
        std::mem::take(&mut self.out)
    }

    /// TLS is up after STLS: what came before the handshake is dropped,
    /// and capabilities are asked again (RFC 2595 section 4).
    pub fn tls_started(&mut self) -> Vec<ClientOutput> {
        if self.step == Step::AwaitTls {
            self.lines.clear();
            self.caps.clear();
            self.capa(true);
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

    fn running(&self) -> bool {
        !matches!(self.step, Step::Done | Step::AwaitTls)
    }

    /// How long the next line may be: a message line may take what is left
    /// of the message's allowance, any other line `max_line`.
    fn line_limit(&self) -> usize {
        match &self.step {
            Step::Retr {
                body: Some(body), ..
            } => self
                .plan
                .limits
                .max_message
                .saturating_sub(body.len())
                .saturating_add(3),
            _ => self.plan.limits.max_line,
        }
    }

    fn too_long(&mut self, limit: usize) {
        let (what, limit) = match self.step {
            Step::Retr { number, .. } => {
                (format!("message {number}"), self.plan.limits.max_message)
            }
            _ => ("a response line".into(), limit),
        };
        self.finish(Some(Failure::TooLarge { what, limit }));
    }

    fn on_line(&mut self, line: Vec<u8>) {
        match std::mem::replace(&mut self.step, Step::Done) {
            Step::Capa {
                after_tls,
                listing: true,
            } => match unstuff(line) {
                None => self.after_capa(after_tls),
                Some(_) if self.caps.len() >= MAX_CAPABILITIES => {
                    let what = "the CAPA listing".into();
                    let limit = MAX_CAPABILITIES;
                    self.finish(Some(Failure::TooLarge { what, limit }));
                }
                Some(cap) => {
                    self.caps
                        .push(String::from_utf8_lossy(&cap).to_ascii_uppercase());
                    self.step = Step::Capa {
                        after_tls,
                        listing: true,
                    };
                }
            },
            Step::Uidl { listing: true } => match unstuff(line) {
                None => self.download(true),
                Some(entry) => self.uidl_entry(&entry),
            },
            Step::Retr {
                number,
                body: Some(mut body),
            } => match unstuff(line) {
                None => self.retrieved(number, body),
                Some(text) => {
                    body.extend_from_slice(&text);
                    body.extend_from_slice(b"\r\n");
                    let over = body.len() > self.plan.limits.max_message;
                    self.step = Step::Retr {
                        number,
                        body: Some(body),
                    };
                    if over {
                        self.too_long(0);
                    }
                }
            },
            step => match status(&line) {
                Some(answer) => self.on_answer(step, answer),
                None => self.finish(Some(Failure::Protocol {
                    what: format!("an answer that is not POP3: {}", excerpt(&line)),
                })),
            },
        }
    }

    fn on_answer(&mut self, step: Step, answer: Answer) {
        let Answer { ok, line: said } = answer.clone();
        match step {
            Step::Greeting if ok => self.capa(false),
            Step::Greeting => self.finish(Some(Failure::Greeting { said })),
            Step::Capa { after_tls, .. } if ok => {
                self.step = Step::Capa {
                    after_tls,
                    listing: true,
                }
            }
            // A server of RFC 1939 alone knows no CAPA: carry on without.
            Step::Capa { after_tls, .. } => self.after_capa(after_tls),
            Step::Stls if ok => {
                self.out.push(ClientOutput::StartTls);
                self.step = Step::AwaitTls;
            }
            Step::Stls => self.give_up(Failure::StartTlsRefused { said }),
            Step::User if ok => {
                let pass = format!("PASS {}", self.plan.password);
                self.send(&pass, Step::Pass);
            }
            Step::User | Step::Pass if !ok => self.give_up(Failure::LoginRefused { said }),
            Step::Pass => self.send("STAT", Step::Stat),
            Step::Stat if ok => self.stat(&said),
            Step::Uidl { .. } if ok => self.step = Step::Uidl { listing: true },
            // No UIDL (RFC 1939 makes it optional): every message is new.
            Step::Uidl { .. } => self.download(false),
            Step::Retr { number, .. } if ok => {
                self.step = Step::Retr {
                    number,
                    body: Some(Vec::new()),
                }
            }
            Step::Dele { number } if ok => {
                self.outcome.marked.push(number);
                self.next_message();
            }
            Step::Quit => {
                self.outcome.quit = Some(answer);
                let command = "QUIT".into();
                self.finish((!ok).then_some(Failure::Refused { command, said }));
            }
            step => {
                let command = command_name(&step);
                self.give_up(Failure::Refused { command, said });
            }
        }
    }

    fn capa(&mut self, after_tls: bool) {
        self.send(
            "CAPA",
            Step::Capa {
                after_tls,
                listing: false,
            },
        );
    }

    fn after_capa(&mut self, after_tls: bool) {
        let may_stls = !after_tls && !self.plan.implicit_tls;
        if may_stls && self.plan.starttls != StartTls::None {
            if self.has("STLS") {
                return self.send("STLS", Step::Stls);
            }
            if self.plan.starttls == StartTls::Require {
                return self.give_up(Failure::TlsNotOffered);
            }
        }
        let (user, password) = (&self.plan.user, &self.plan.password);
        if !writable(user) || user.contains(' ') || !writable(password) {
            return self.give_up(Failure::Unwritable {
                what: "the user name or password on a POP3 line".into(),
            });
        }
        let line = format!("USER {user}");
        self.send(&line, Step::User);
    }

    /// `+OK n octets`: nothing to do when the maildrop is empty.
    fn stat(&mut self, said: &str) {
        let mut words = said.split(' ').skip(1);
        let count = words.next().and_then(|w| w.parse::<u32>().ok());
        let octets = words.next().and_then(|w| w.parse::<u64>().ok());
        let (Some(count), Some(octets)) = (count, octets) else {
            let what = format!("a STAT answer without counts: {}", excerpt(said.as_bytes()));
            return self.give_up(Failure::Protocol { what });
        };
        self.outcome.messages = Some((count, octets));
        if count == 0 {
            self.quit();
        } else {
            self.send("UIDL", Step::Uidl { listing: false });
        }
    }

    /// `n unique-id`: an id is 1 to 70 printable characters (RFC 1939
    /// section 7).
    fn uidl_entry(&mut self, entry: &[u8]) {
        self.listed += entry.len() + 2;
        let text = String::from_utf8_lossy(entry);
        let mut words = text.split(' ');
        let number = words.next().and_then(|w| w.parse::<u32>().ok());
        let uid = words.next().filter(|id| {
            (1..=70).contains(&id.len()) && id.bytes().all(|b| (0x21..=0x7e).contains(&b))
        });
        match (number, uid, words.next()) {
            _ if self.listed > self.plan.limits.max_message => {
                let what = "the UIDL listing".into();
                let limit = self.plan.limits.max_message;
                self.finish(Some(Failure::TooLarge { what, limit }));
            }
            (Some(number), Some(uid), None) if number > 0 => {
                self.uids.push((number, uid.to_owned()));
                self.step = Step::Uidl { listing: true };
            }
            _ => self.finish(Some(Failure::Protocol {
                what: format!("a UIDL line that is not `n unique-id`: {}", excerpt(entry)),
            })),
        }
    }

    /// UIDL is over (or refused): queue what the client does not have, at
    /// most `max_messages`.
    fn download(&mut self, uidl: bool) {
        let max = self.plan.limits.max_messages;
        let mut new = 0usize;
        if !uidl {
            let count = self.outcome.messages.map_or(0, |(count, _)| count);
            new = count as usize;
            self.queue = (1..=count).take(max).map(|n| (n, None)).collect();
        } else {
            let mut uids = std::mem::take(&mut self.uids);
            uids.sort();
            uids.dedup_by_key(|(number, _)| *number);
            for (number, uid) in uids {
                if self.plan.known.contains(&uid) {
                    continue;
                }
                new += 1;
                if self.queue.len() < max {
                    self.queue.push_back((number, Some(uid)));
                }
            }
        }
        self.outcome.left = new - self.queue.len();
        self.next_message();
    }

    fn next_message(&mut self) {
        match self.queue.front() {
            Some(&(number, _)) => {
                let line = format!("RETR {number}");
                self.send(&line, Step::Retr { number, body: None });
            }
            None => self.quit(),
        }
    }

    fn retrieved(&mut self, number: u32, raw: Vec<u8>) {
        let uid = match self.queue.pop_front() {
            Some((n, uid)) if n == number => uid,
            _ => None,
        };
        let retrieved = Retrieved { number, uid, raw };
        self.out.push(ClientOutput::Retrieved(retrieved.clone()));
        self.outcome.retrieved.push(retrieved);
        if self.plan.delete {
            let line = format!("DELE {number}");
            self.send(&line, Step::Dele { number });
        } else {
            self.next_message();
        }
    }

    fn quit(&mut self) {
        self.send("QUIT", Step::Quit);
    }

    /// Ends the session politely: the failure is kept and QUIT said. QUIT
    /// here commits the deletions made so far, as it would for any client
    /// that stops after an error and says goodbye.
    fn give_up(&mut self, failure: Failure) {
        self.outcome.failure.get_or_insert(failure);
        self.quit();
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

    fn send(&mut self, line: &str, step: Step) {
        self.out
            .push(ClientOutput::Send(format!("{line}\r\n").into_bytes()));
        self.step = step;
    }

    fn has(&self, capability: &str) -> bool {
        self.caps
            .iter()
            .any(|c| c.split(' ').next() == Some(capability))
    }
}

/// A status line, or `None` when it is not one.
fn status(line: &[u8]) -> Option<Answer> {
    let ok = if line.starts_with(b"+OK") {
        true
    } else if line.starts_with(b"-ERR") {
        false
    } else {
        return None;
    };
    let rest = &line[if ok { 3 } else { 4 }..];
    if !(rest.is_empty() || rest[0] == b' ') {
        return None;
    }
    Some(Answer {
        ok,
        line: String::from_utf8_lossy(line).into_owned(),
    })
}

/// A line of a multi-line response: `None` for the lone dot that ends it,
/// else the line with its leading dot (if any) taken off.
fn unstuff(line: Vec<u8>) -> Option<Vec<u8>> {
    match line.first() {
        Some(b'.') if line.len() == 1 => None,
        Some(b'.') => Some(line[1..].to_vec()),
        _ => Some(line),
    }
}

/// Whether a value can ride on a command line without ending it.
fn writable(value: &str) -> bool {
    !value.is_empty() && !value.bytes().any(|b| b == b'\r' || b == b'\n' || b == 0)
}

fn command_name(step: &Step) -> String {
    match step {
        Step::Greeting | Step::AwaitTls | Step::Done => "nothing".into(),
        Step::Capa { .. } => "CAPA".into(),
        Step::Stls => "STLS".into(),
        Step::User => "USER".into(),
        Step::Pass => "PASS".into(),
        Step::Stat => "STAT".into(),
        Step::Uidl { .. } => "UIDL".into(),
        Step::Retr { number, .. } => format!("RETR {number}"),
        Step::Dele { number } => format!("DELE {number}"),
        Step::Quit => "QUIT".into(),
    }
}

#[cfg(test)]
mod tests;

//! The client side of SMTP as an engine: how mail clients submit and how
//! MTAs relay, one connection at a time.
//!
//! ```text
//! S: 220 mx.friend.test ESMTP mailhop
//! C: EHLO mail.home.test                 S: 250-… STARTTLS …
//! C: STARTTLS                            S: 220 2.0.0 Ready to start TLS
//!    (the driver runs the TLS handshake, then calls `tls_started`)
//! C: EHLO mail.home.test                 S: 250-…
//! C: AUTH PLAIN …                        S: 235 …          (submission only)
//! C: MAIL FROM:<a> SIZE=n [REQUIRETLS] / RCPT TO:<b> / DATA   (pipelined when offered)
//! C: <message, dot-stuffed> .            S: 250 2.0.0 Ok: queued as …
//! C: QUIT                                S: 221 2.0.0 Bye
//! ```
//!
//! The engine is fed the server's bytes and answers with bytes to send;
//! [`ClientOutput::Done`] carries, for each recipient, the server's final
//! answer, or why the session failed before any recipient got one.

use base64::Engine;
use base64::engine::general_purpose::STANDARD as B64;

use super::{Reply, ReplyEvent, ReplyReader, dot_stuff};
use crate::scenario::StartTls;

/// How the client should behave on this connection.
#[derive(Debug, Clone)]
pub struct Plan {
    /// The name to give in EHLO.
    pub helo: String,
    /// The server's host name, for messages (and the driver's certificate check).
    pub server_name: String,
    /// `none`: never STARTTLS; `offer`: when the server offers it;
    /// `require`: give up if the server does not offer it.
    pub starttls: StartTls,
    /// TLS is already up (port 465): no STARTTLS.
    pub implicit_tls: bool,
    /// User and password for AUTH PLAIN (submission).
    pub auth: Option<(String, String)>,
    /// Keep the connection open after a transaction instead of saying QUIT,
    /// so the driver can hand over another message with [`Client::next`]
    /// (a connection cache, as Postfix keeps one).
    pub keep_open: bool,
}

/// One message to hand over.
#[derive(Debug, Clone)]
pub struct Envelope {
    pub sender: String,
    pub recipients: Vec<String>,
    pub data: Vec<u8>,
    /// Send it only inside TLS to a server that offers REQUIRETLS, with
    /// `MAIL FROM:<a> REQUIRETLS` (RFC 8689), or not at all: the session
    /// ends before MAIL with [`REQUIRETLS_STATUS`].
    pub require_tls: bool,
}

/// The status of a message that asked for REQUIRETLS and met a server or
/// a session that cannot honour it (RFC 8689 section 5, IANA's
/// "REQUIRETLS support required").
pub const REQUIRETLS_STATUS: &str = "5.7.30";

/// How a connection ended.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Outcome {
    /// The transaction ran; the final reply for each recipient.
    Done(Vec<(String, Reply)>),
    /// The session failed before any recipient got an answer; `reply` is
    /// the server's refusal when there was one (a 421 greeting); `status`
    /// the RFC 3463 status of a failure the client decided itself, when no
    /// reply carries one ([`REQUIRETLS_STATUS`]).
    Failed {
        reason: String,
        permanent: bool,
        reply: Option<Reply>,
        status: Option<&'static str>,
    },
    /// A kept connection could not be used again (its `RSET` was not
    /// answered with 250, or it was gone): nothing of the message was sent,
    /// so the caller opens a new connection.
    Stale { reason: String },
}

/// What the engine wants done.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ClientOutput {
    /// Write these bytes.
    Send(Vec<u8>),
    /// The server said `220` to STARTTLS: run the handshake, then call
    /// [`Client::tls_started`] or [`Client::tls_failed`].
    StartTls,
    /// The transaction is over. Close the connection, unless the plan
    /// keeps it open and [`Client::is_idle`] says it can carry another.
    Done(Outcome),
    /// The session ended after [`Client::quit`] on an idle connection.
    Closed,
}

#[derive(Debug)]
enum State {
    Greeting,
    Ehlo {
        after_tls: bool,
    },
    Helo {
        after_tls: bool,
    },
    StartTls,
    AwaitTls,
    Auth,
    /// Waiting for the replies to MAIL, RCPT… and DATA.
    Envelope {
        pipelined: bool,
    },
    Message,
    /// A transaction is over and the connection is kept for another.
    Idle,
    /// `RSET` sent on an idle connection, to see if it is still usable.
    Rset,
    /// `QUIT` sent; the outcome to report once the server answers (none
    /// when closing an idle connection).
    Quit(Option<Outcome>),
    Done,
}

/// One SMTP session, client side.
pub struct Client {
    plan: Plan,
    envelope: Envelope,
    state: State,
    replies: ReplyReader,
    caps: Vec<String>,
    /// TLS is up (implicit, or after STARTTLS).
    tls: bool,
    /// Replies to MAIL, each RCPT and DATA, in order.
    answers: Vec<Reply>,
    out: Vec<ClientOutput>,
}

impl Client {
    pub fn new(plan: Plan, envelope: Envelope) -> Self {
        Client {
            tls: plan.implicit_tls,
            plan,
            envelope,
            state: State::Greeting,
            replies: ReplyReader::default(),
            caps: Vec::new(),
            answers: Vec::new(),
            out: Vec::new(),
        }
    }

    pub fn is_done(&self) -> bool {
        matches!(self.state, State::Done)
    }

    /// Whether the connection is open and between transactions, ready for
    /// [`Client::next`].
    pub fn is_idle(&self) -> bool {
        matches!(self.state, State::Idle)
    }

    /// Another message on an idle connection: first `RSET`, to find out
    /// whether the server is still there (what Postfix does before reusing
    /// a cached connection), then the transaction.
    pub fn next(&mut self, envelope: Envelope) -> Vec<ClientOutput> {
        if self.is_idle() {
            self.envelope = envelope;
            self.answers.clear();
            self.send("RSET");
            self.state = State::Rset;
        } else {
            let reason = format!("the connection with {} is not idle", self.host());
            self.out.push(ClientOutput::Done(Outcome::Stale { reason }));
        }
        std::mem::take(&mut self.out)
    }

    /// Ends an idle connection politely.
    pub fn quit(&mut self) -> Vec<ClientOutput> {
        if self.is_idle() {
            self.send("QUIT");
            self.state = State::Quit(None);
        } else if !self.is_done() {
            self.state = State::Done;
            self.out.push(ClientOutput::Closed);
        }
        std::mem::take(&mut self.out)
    }

    /// Bytes from the server.
    pub fn feed(&mut self, bytes: &[u8]) -> Vec<ClientOutput> {
        if !self.is_done() {
            self.replies.push(bytes);
        }
        while !matches!(self.state, State::Done | State::AwaitTls | State::Idle) {
            match self.replies.next_reply() {
                None => break,
                Some(ReplyEvent::Reply(reply)) => self.on_reply(reply),
                Some(ReplyEvent::Garbage) => self.lost(),
            }
        }
        std::mem::take(&mut self.out)
    }

    /// The server closed the connection.
    pub fn eof(&mut self) -> Vec<ClientOutput> {
        match std::mem::replace(&mut self.state, State::Done) {
            State::Done => {}
            State::Quit(outcome) => self.report(outcome),
            State::Idle => self.out.push(ClientOutput::Closed),
            State::Rset => self.out.push(ClientOutput::Done(self.stale())),
            _ => self.out.push(ClientOutput::Done(self.lost_outcome())),
        }
        std::mem::take(&mut self.out)
    }

    /// TLS is up after STARTTLS: say EHLO again.
    pub fn tls_started(&mut self) -> Vec<ClientOutput> {
        self.replies.clear();
        self.tls = true;
        self.send(&format!("EHLO {}", self.plan.helo));
        self.state = State::Ehlo { after_tls: true };
        std::mem::take(&mut self.out)
    }

    /// The TLS handshake failed: the session is over.
    pub fn tls_failed(&mut self, reason: String) -> Vec<ClientOutput> {
        self.finish(failed(reason, false));
        std::mem::take(&mut self.out)
    }

    fn host(&self) -> &str {
        &self.plan.server_name
    }

    fn on_reply(&mut self, reply: Reply) {
        match std::mem::replace(&mut self.state, State::Done) {
            State::Greeting if reply.code == 220 => self.ehlo(false),
            State::Greeting => {
                let reason = format!("host {} greeted us with: {}", self.host(), reply.summary());
                self.quit_with(refused(reason, reply));
            }
            State::Ehlo { after_tls } if reply.code == 250 => {
                self.caps = reply.lines.into_iter().skip(1).collect();
                self.after_hello(after_tls);
            }
            State::Ehlo { after_tls } => {
                self.send(&format!("HELO {}", self.plan.helo));
                self.state = State::Helo { after_tls };
            }
            State::Helo { after_tls } if reply.code == 250 => {
                self.caps.clear();
                self.after_hello(after_tls);
            }
            State::Helo { .. } => self.lost(),
            State::StartTls if reply.code == 220 => {
                self.out.push(ClientOutput::StartTls);
                self.state = State::AwaitTls;
            }
            State::StartTls => {
                let reason = format!("host {} refused STARTTLS: {}", self.host(), reply.summary());
                self.quit_with(refused(reason, reply));
            }
            State::Auth if reply.code == 235 => self.envelope(),
            State::Auth => {
                let reason = format!(
                    "host {} refused our login: {}",
                    self.host(),
                    reply.summary()
                );
                self.quit_with(failed(reason, reply.code >= 500));
            }
            State::Envelope { pipelined } => self.envelope_reply(reply, pipelined),
            State::Message => {
                let results = self.results(Some(reply));
                self.transaction_over(results);
            }
            State::Rset if reply.code == 250 => self.envelope(),
            State::Rset => {
                let reason = format!(
                    "host {} answered RSET with: {}",
                    self.host(),
                    reply.summary()
                );
                self.end(State::Quit(Some(Outcome::Stale { reason })));
            }
            State::Quit(outcome) => {
                self.state = State::Done;
                self.report(outcome);
            }
            State::Idle => self.state = State::Idle,
            State::AwaitTls | State::Done => {}
        }
    }

    fn ehlo(&mut self, after_tls: bool) {
        self.send(&format!("EHLO {}", self.plan.helo));
        self.state = State::Ehlo { after_tls };
    }

    fn after_hello(&mut self, after_tls: bool) {
        let offered = self.has("STARTTLS");
        if !after_tls && !self.plan.implicit_tls {
            if self.plan.starttls != StartTls::None && offered {
                self.send("STARTTLS");
                self.state = State::StartTls;
                return;
            }
            if self.plan.starttls == StartTls::Require {
                let reason = format!(
                    "TLS is required, but host {} did not offer STARTTLS",
                    self.host()
                );
                return self.quit_with(failed(reason, false));
            }
        }
        if let Some((user, password)) = self.plan.auth.clone() {
            let plain = self
                .caps
                .iter()
                .any(|c| c.to_ascii_uppercase().starts_with("AUTH ") && c.contains("PLAIN"));
            if !plain {
                let reason = format!("host {} does not offer AUTH PLAIN here", self.host());
                return self.quit_with(failed(reason, true));
            }
            let token = B64.encode(format!("\0{user}\0{password}"));
            self.send(&format!("AUTH PLAIN {token}"));
            self.state = State::Auth;
            return;
        }
        self.envelope();
    }

    /// MAIL, RCPT and DATA: all at once when the server offers PIPELINING
    /// (RFC 2920), one by one otherwise.
    fn envelope(&mut self) {
        if self.envelope.require_tls
            && let Some(why) = self.requiretls_refused()
        {
            let outcome = Outcome::Failed {
                reason: format!("{REQUIRETLS_STATUS} REQUIRETLS support required: {why}"),
                permanent: true,
                reply: None,
                status: Some(REQUIRETLS_STATUS),
            };
            return self.quit_with(outcome);
        }
        let eight_bit = self.envelope.data.iter().any(|&b| b >= 0x80) && self.has("8BITMIME");
        let mut mail = format!("MAIL FROM:<{}>", self.envelope.sender);
        if self.has("SIZE") {
            mail.push_str(&format!(" SIZE={}", self.envelope.data.len()));
        }
        if eight_bit {
            mail.push_str(" BODY=8BITMIME");
        }
        if self.envelope.require_tls {
            mail.push_str(" REQUIRETLS");
        }
        let pipelined = self.has("PIPELINING");
        if pipelined {
            let mut batch = format!("{mail}\r\n");
            for rcpt in &self.envelope.recipients {
                batch.push_str(&format!("RCPT TO:<{rcpt}>\r\n"));
            }
            batch.push_str("DATA\r\n");
            self.out.push(ClientOutput::Send(batch.into_bytes()));
        } else {
            self.send(&mail);
        }
        self.state = State::Envelope { pipelined };
    }

    /// Why this session cannot carry a REQUIRETLS message (RFC 8689
    /// section 4.2.1): not inside TLS, or the server (asked again after
    /// STARTTLS) does not offer REQUIRETLS. The certificate check is the
    /// driver's, before the session gets here.
    fn requiretls_refused(&self) -> Option<String> {
        if !self.tls {
            return Some(format!(
                "the session with {} is not encrypted, and the message may only travel inside TLS",
                self.host()
            ));
        }
        if !self.has("REQUIRETLS") {
            return Some(format!(
                "host {} does not offer REQUIRETLS, so it could not promise to keep the message inside TLS",
                self.host()
            ));
        }
        None
    }

    fn envelope_reply(&mut self, reply: Reply, pipelined: bool) {
        self.answers.push(reply);
        let rcpts = self.envelope.recipients.len();
        let mail_ok = self.answers[0].is_positive();
        let got = self.answers.len();
        if !pipelined {
            if !mail_ok {
                return self.after_envelope();
            }
            if got <= rcpts {
                let next = format!("RCPT TO:<{}>", self.envelope.recipients[got - 1]);
                self.send(&next);
                self.state = State::Envelope { pipelined };
                return;
            }
            if got == rcpts + 1 && self.answers[1..].iter().any(Reply::is_positive) {
                self.send("DATA");
                self.state = State::Envelope { pipelined };
                return;
            }
            return self.after_envelope();
        }
        if got < rcpts + 2 {
            self.state = State::Envelope { pipelined };
            return;
        }
        self.after_envelope();
    }

    fn after_envelope(&mut self) {
        let mail = self.answers[0].clone();
        if !mail.is_positive() {
            let results = self
                .envelope
                .recipients
                .iter()
                .map(|r| (r.clone(), mail.clone()))
                .collect();
            return self.transaction_over(results);
        }
        let data_reply = self
            .answers
            .get(self.envelope.recipients.len() + 1)
            .cloned();
        match data_reply {
            Some(reply) if reply.code == 354 => {
                let bytes = dot_stuff(&self.envelope.data);
                self.out.push(ClientOutput::Send(bytes));
                self.state = State::Message;
            }
            other => {
                let results = self.results(other);
                self.transaction_over(results);
            }
        }
    }

    /// Every recipient has its answer: keep the connection for another
    /// message when the plan says so and the server is in a state to take
    /// one, else say QUIT.
    fn transaction_over(&mut self, results: Vec<(String, Reply)>) {
        let server_gone = results.iter().any(|(_, r)| r.code == 421);
        if self.plan.keep_open && !server_gone {
            self.out.push(ClientOutput::Done(Outcome::Done(results)));
            self.state = State::Idle;
        } else {
            self.quit_with(Outcome::Done(results));
        }
    }

    /// Each recipient's final answer: its RCPT refusal, or the reply that
    /// ended DATA (a lost connection when there was none).
    fn results(&self, fin: Option<Reply>) -> Vec<(String, Reply)> {
        self.envelope
            .recipients
            .iter()
            .zip(&self.answers[1..])
            .map(|(rcpt, reply)| match (&fin, reply.is_positive()) {
                (Some(fin), true) => (rcpt.clone(), fin.clone()),
                (None, true) => (rcpt.clone(), lost_reply()),
                (_, false) => (rcpt.clone(), reply.clone()),
            })
            .collect()
    }

    fn quit_with(&mut self, outcome: Outcome) {
        self.end(State::Quit(Some(outcome)));
    }

    fn end(&mut self, quit: State) {
        self.send("QUIT");
        self.state = quit;
    }

    fn finish(&mut self, outcome: Outcome) {
        self.out.push(ClientOutput::Done(outcome));
        self.state = State::Done;
    }

    fn report(&mut self, outcome: Option<Outcome>) {
        self.out.push(match outcome {
            Some(outcome) => ClientOutput::Done(outcome),
            None => ClientOutput::Closed,
        });
    }

    fn lost_outcome(&self) -> Outcome {
        failed(format!("lost connection with {}", self.host()), false)
    }

    fn stale(&self) -> Outcome {
        Outcome::Stale {
            reason: format!("the kept connection with {} was closed", self.host()),
        }
    }

    fn lost(&mut self) {
        let outcome = match self.state {
            State::Rset => self.stale(),
            _ => self.lost_outcome(),
        };
        self.finish(outcome);
    }

    fn send(&mut self, line: &str) {
        self.out
            .push(ClientOutput::Send(format!("{line}\r\n").into_bytes()));
    }

    fn has(&self, keyword: &str) -> bool {
        self.caps.iter().any(|c| {
            c.split_whitespace()
                .next()
                .is_some_and(|k| k.eq_ignore_ascii_case(keyword))
        })
    }
}

fn failed(reason: String, permanent: bool) -> Outcome {
    Outcome::Failed {
        reason,
        permanent,
        reply: None,
        status: None,
    }
}

fn refused(reason: String, reply: Reply) -> Outcome {
    Outcome::Failed {
        reason,
        permanent: reply.code >= 500,
        reply: Some(reply),
        status: None,
    }
}

fn lost_reply() -> Reply {
    Reply::new(451, "4.4.2 lost connection during DATA")
}

#[cfg(test)]
mod tests;

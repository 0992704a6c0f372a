//! The server side of SMTP: what every server node in a scenario runs on
//! port 25 (relay) and on its submission port (587, AUTH required).
//!
//! Replies follow Postfix's wording where a student may meet them in real
//! logs. The session records every line it reads and every reply it writes
//! as [`Event::Line`], so the trace holds the whole conversation even when
//! the client is not part of the simulation.

use std::rc::Rc;

use base64::Engine;
use base64::engine::general_purpose::STANDARD as B64;
use smtp_proto::{AUTH_LOGIN, AUTH_PLAIN, Error as ParseError, Request};
use tokio_rustls::TlsAcceptor;

use super::{Line, LineIo, MAX_SIZE, domain_of};
use crate::scenario::StartTls;
use crate::sim::link::{Io, LinkEnd};
use crate::sim::mta::{self, Arrival};
use crate::sim::world::{Busy, ConnInfo, World};
use crate::trace::{Channel, Dir, Event};

/// After this many errors the server hangs up, as Postfix does.
const MAX_ERRORS: u32 = 20;
/// Recipients per transaction.
const MAX_RECIPIENTS: usize = 100;

struct Session {
    world: Rc<World>,
    conn: ConnInfo,
    io: LineIo,
    host: String,
    submission: bool,
    /// The client's name from its PTR record, or `unknown`.
    client_name: String,
    helo: Option<String>,
    esmtp: bool,
    user: Option<String>,
    sender: Option<String>,
    recipients: Vec<String>,
    errors: u32,
}

/// Runs one SMTP session on the server end of a connection.
pub async fn serve(world: Rc<World>, conn: ConnInfo, link: LinkEnd, _busy: Busy) {
    let host = conn.server.clone();
    let client_name = world
        .lookup_ptr(&host, &conn.client_ip)
        .unwrap_or_else(|| "unknown".to_string());
    let mut session = Session {
        submission: world.is_submission(&host, conn.port),
        world,
        io: LineIo::new(Io::Plain(link)),
        host,
        client_name,
        conn,
        helo: None,
        esmtp: false,
        user: None,
        sender: None,
        recipients: Vec::new(),
        errors: 0,
    };
    if let Err(err) = session.run().await {
        tracing::debug!(conn = %session.conn.id, %err, "session ended with an I/O error");
    }
    session.world.emit(Event::Closed {
        conn: session.conn.id.clone(),
    });
}

/// How a session step ended.
enum Next {
    Continue,
    Close,
}

impl Session {
    async fn run(&mut self) -> std::io::Result<()> {
        self.reply(220, &format!("{} ESMTP mailhop", self.host));
        loop {
            let line = match self.io.read_line().await? {
                Line::Eof => return Ok(()),
                Line::TooLong => {
                    self.record_in(b"(line too long)");
                    self.error(500, "5.5.2 Error: line too long");
                    continue;
                }
                Line::Text(line) => line,
            };
            self.record_in(&line);
            if let Next::Close = self.command(&line).await? {
                self.io.flush().await?;
                use tokio::io::AsyncWriteExt;
                let _ = self.io.io.shutdown().await;
                return Ok(());
            }
            if self.errors >= MAX_ERRORS {
                self.reply(421, &format!("4.7.0 {} Error: too many errors", self.host));
                self.io.flush().await?;
                return Ok(());
            }
        }
    }

    async fn command(&mut self, line: &[u8]) -> std::io::Result<Next> {
        let mut with_end = line.to_vec();
        with_end.extend_from_slice(b"\r\n");
        let request = match Request::parse(&mut with_end.iter()) {
            Ok(request) => request.into_owned(),
            Err(err) => {
                let (code, text) = parse_error_reply(&err);
                self.error(code, &text);
                return Ok(Next::Continue);
            }
        };
        match request {
            Request::Ehlo { host } => self.ehlo(host, true),
            Request::Helo { host } => self.ehlo(host, false),
            Request::Lhlo { .. } => self.error(502, "5.5.1 Error: LHLO is for LMTP, this is SMTP"),
            Request::StartTls => return self.starttls().await,
            Request::Auth {
                mechanism,
                initial_response,
            } => self.auth(mechanism, initial_response).await?,
            Request::Mail { from } => self.mail(from.address, from.size),
            Request::Rcpt { to } => self.rcpt(to.address),
            Request::Data => self.data().await?,
            Request::Rset => {
                self.reset();
                self.reply(250, "2.0.0 Ok");
            }
            Request::Noop { .. } => self.reply(250, "2.0.0 Ok"),
            Request::Quit => {
                self.reply(221, "2.0.0 Bye");
                return Ok(Next::Close);
            }
            Request::Vrfy { .. } => self.error(502, "5.5.1 VRFY command is disabled"),
            _ => self.error(502, "5.5.1 Error: command not implemented"),
        }
        Ok(Next::Continue)
    }

    fn ehlo(&mut self, name: String, esmtp: bool) {
        self.reset();
        self.helo = Some(name);
        self.esmtp = esmtp;
        if !esmtp {
            self.reply(250, &self.host.clone());
            return;
        }
        let mut lines = vec![
            self.host.clone(),
            "PIPELINING".to_string(),
            format!("SIZE {MAX_SIZE}"),
            "8BITMIME".to_string(),
            "ENHANCEDSTATUSCODES".to_string(),
        ];
        if self.tls_available() {
            lines.push("STARTTLS".to_string());
        }
        if self.submission && self.auth_allowed() {
            lines.push("AUTH PLAIN LOGIN".to_string());
        }
        self.reply_lines(250, &lines);
    }

    /// STARTTLS is offered when the node has a certificate and TLS is not up yet.
    fn tls_available(&self) -> bool {
        !self.io.io.is_tls() && self.world.server_tls(&self.host).is_some()
    }

    /// AUTH is only allowed inside TLS, unless this server has no TLS at all
    /// (a misconfiguration the scenarios can show: the password in the clear).
    fn auth_allowed(&self) -> bool {
        self.io.io.is_tls() || self.world.server_tls(&self.host).is_none()
    }

    async fn starttls(&mut self) -> std::io::Result<Next> {
        if self.io.io.is_tls() {
            self.error(554, "5.5.1 Error: TLS already active");
            return Ok(Next::Continue);
        }
        let Some(config) = self.world.server_tls(&self.host) else {
            self.error(502, "5.5.1 Error: command not implemented");
            return Ok(Next::Continue);
        };
        if self.helo.is_none() {
            self.error(503, "5.5.1 Error: send HELO/EHLO first");
            return Ok(Next::Continue);
        }
        self.reply(220, "2.0.0 Ready to start TLS");
        self.io.flush().await?;
        let dropped = self.io.discard_input();
        if dropped > 0 {
            self.world.emit(Event::Discarded {
                conn: self.conn.id.clone(),
                bytes: dropped,
            });
        }
        let Io::Plain(link) = self.io.take_io() else {
            unreachable!("TLS was checked above")
        };
        match TlsAcceptor::from(config).accept(link).await {
            Ok(stream) => {
                self.io = LineIo::new(Io::ServerTls(Box::new(stream)));
                // RFC 3207 4.2: forget everything learned before TLS.
                self.helo = None;
                self.esmtp = false;
                self.reset();
                Ok(Next::Continue)
            }
            Err(err) => {
                self.world.emit(Event::TlsFailed {
                    conn: self.conn.id.clone(),
                    error: format!("server: {err}"),
                });
                Ok(Next::Close)
            }
        }
    }

    async fn auth(&mut self, mechanism: u64, initial: String) -> std::io::Result<()> {
        if self.helo.is_none() {
            self.error(503, "5.5.1 Error: send HELO/EHLO first");
            return Ok(());
        }
        if !self.submission {
            self.error(503, "5.5.1 Error: authentication not enabled");
            return Ok(());
        }
        if !self.auth_allowed() {
            self.error(
                538,
                "5.7.11 Encryption required for requested authentication mechanism",
            );
            return Ok(());
        }
        if self.user.is_some() {
            self.error(503, "5.5.1 Error: already authenticated");
            return Ok(());
        }
        if self.sender.is_some() {
            self.error(503, "5.5.1 Error: MAIL transaction in progress");
            return Ok(());
        }
        // RFC 4954: "=" is an empty initial response; nothing means "ask".
        let initial = match initial.as_str() {
            "" => None,
            "=" => Some(String::new()),
            _ => Some(initial),
        };
        let credentials = if mechanism == AUTH_PLAIN {
            let Some(response) = self.challenge(initial, "").await? else {
                return Ok(());
            };
            let decoded = decode(&response);
            let mut parts = decoded.as_deref().unwrap_or(&[]).split(|&b| b == 0);
            match (parts.next(), parts.next(), parts.next(), parts.next()) {
                (Some(_authz), Some(user), Some(pass), None) => Some((lossy(user), lossy(pass))),
                _ => None,
            }
        } else if mechanism == AUTH_LOGIN {
            let Some(user) = self.challenge(initial, "VXNlcm5hbWU6").await? else {
                return Ok(());
            };
            let Some(pass) = self.challenge(None, "UGFzc3dvcmQ6").await? else {
                return Ok(());
            };
            decode(&user)
                .zip(decode(&pass))
                .map(|(u, p)| (lossy(&u), lossy(&p)))
        } else {
            self.error(504, "5.5.4 Unrecognized authentication type");
            return Ok(());
        };
        let Some((user, pass)) = credentials else {
            self.error(501, "5.5.2 Cannot decode response");
            return Ok(());
        };
        let node = self
            .world
            .node(&self.host)
            .expect("a session runs on a scenario node");
        if node.accounts.get(&user) == Some(&pass) {
            self.reply(235, "2.7.0 Authentication successful");
            self.user = Some(user);
        } else {
            self.error(535, "5.7.8 Error: authentication failed: bad credentials");
        }
        Ok(())
    }

    /// Sends a 334 challenge unless an initial response was given, and reads
    /// the answer; `None` if the client cancelled (`*`) or hung up.
    async fn challenge(
        &mut self,
        initial: Option<String>,
        prompt: &str,
    ) -> std::io::Result<Option<String>> {
        if let Some(response) = initial {
            return Ok(Some(response));
        }
        self.reply_raw(&format!("334 {prompt}"));
        let Line::Text(line) = self.io.read_line().await? else {
            return Ok(None);
        };
        self.record_in(&line);
        if line == b"*" {
            self.error(501, "5.7.0 Authentication aborted");
            return Ok(None);
        }
        Ok(Some(lossy(&line)))
    }

    fn mail(&mut self, address: String, size: usize) {
        if self.helo.is_none() {
            return self.error(503, "5.5.1 Error: send HELO/EHLO first");
        }
        if self.sender.is_some() {
            return self.error(503, "5.5.1 Error: nested MAIL command");
        }
        let node = self
            .world
            .node(&self.host)
            .expect("a session runs on a scenario node");
        if node.starttls == StartTls::Require && !self.io.io.is_tls() {
            return self.error(530, "5.7.0 Must issue a STARTTLS command first");
        }
        if self.submission && self.user.is_none() {
            return self.error(530, "5.7.0 Authentication required");
        }
        if size > MAX_SIZE {
            return self.error(552, "5.3.4 Message size exceeds fixed limit");
        }
        self.sender = Some(address);
        self.reply(250, "2.1.0 Ok");
    }

    fn rcpt(&mut self, address: String) {
        if self.sender.is_none() {
            return self.error(503, "5.5.1 Error: need MAIL command");
        }
        if self.recipients.len() >= MAX_RECIPIENTS {
            return self.error(452, "4.5.3 Error: too many recipients");
        }
        let node = self
            .world
            .node(&self.host)
            .expect("a session runs on a scenario node");
        let domain = domain_of(&address);
        let local = node
            .mailboxes
            .iter()
            .any(|m| m.eq_ignore_ascii_case(&address));
        let our_domain = node.mailboxes.iter().any(|m| domain_of(m) == domain);
        if local {
            // Ours: accept.
        } else if our_domain {
            return self.error(
                550,
                &format!("5.1.1 <{address}>: Recipient address rejected: User unknown in local recipient table"),
            );
        } else if !(self.user.is_some()
            || node.relay_for.contains(&self.conn.client)
            || node
                .relay_domains
                .iter()
                .any(|d| d.eq_ignore_ascii_case(&domain)))
        {
            return self.error(554, &format!("5.7.1 <{address}>: Relay access denied"));
        }
        self.recipients.push(address);
        self.reply(250, "2.1.5 Ok");
    }

    async fn data(&mut self) -> std::io::Result<()> {
        if self.sender.is_none() {
            self.error(503, "5.5.1 Error: need MAIL command");
            return Ok(());
        }
        if self.recipients.is_empty() {
            self.error(554, "5.5.1 Error: no valid recipients");
            return Ok(());
        }
        self.reply(354, "End data with <CR><LF>.<CR><LF>");
        let mut data = Vec::new();
        let mut too_big = false;
        loop {
            let line = match self.io.read_line().await? {
                Line::Eof => return Ok(()),
                Line::TooLong => {
                    too_big = true;
                    continue;
                }
                Line::Text(line) => line,
            };
            self.record_in(&line);
            if line == b"." {
                break;
            }
            let text = line.strip_prefix(b".").unwrap_or(&line);
            if data.len() + text.len() + 2 > MAX_SIZE {
                too_big = true;
            } else {
                data.extend_from_slice(text);
                data.extend_from_slice(b"\r\n");
            }
        }
        if too_big {
            self.reset();
            self.error(552, "5.3.4 Message size exceeds fixed limit");
            return Ok(());
        }
        let queue_id = self.world.new_queue_id();
        let (protocol, channel, tls) = self.protocol();
        let mut message = self
            .received_header(&queue_id, &protocol, tls.as_ref())
            .into_bytes();
        message.extend_from_slice(&data);
        mta::arrive(
            &self.world,
            Arrival {
                node: self.host.clone(),
                queue_id: queue_id.clone(),
                from: self.conn.client.clone(),
                conn: self.conn.id.clone(),
                protocol,
                channel,
                tls,
                sender: self.sender.take().unwrap_or_default(),
                recipients: std::mem::take(&mut self.recipients),
                data: message,
            },
        );
        self.reply(250, &format!("2.0.0 Ok: queued as {queue_id}"));
        Ok(())
    }

    /// The RFC 3848 protocol name, the channel, and the TLS parameters.
    fn protocol(&self) -> (String, Channel, Option<(String, String)>) {
        let tls = self.io.io.tls_params();
        let mut protocol = if self.esmtp { "ESMTP" } else { "SMTP" }.to_string();
        if self.esmtp && tls.is_some() {
            protocol.push('S');
        }
        if self.esmtp && self.user.is_some() {
            protocol.push('A');
        }
        let channel = match (&tls, self.conn.verdict.get()) {
            (None, _) => Channel::Plaintext,
            (Some(_), Some(true)) => Channel::TlsAuthenticated,
            (Some(_), _) => Channel::Tls,
        };
        (protocol, channel, tls)
    }

    /// A trace header in the style of Postfix, folded over several lines.
    fn received_header(
        &self,
        queue_id: &str,
        protocol: &str,
        tls: Option<&(String, String)>,
    ) -> String {
        let mut h = format!(
            "Received: from {} ({} [{}])\r\n",
            self.helo.as_deref().unwrap_or("unknown"),
            self.client_name,
            self.conn.client_ip
        );
        if let Some((version, cipher)) = tls {
            h.push_str(&format!("\t(using {version} with cipher {cipher})\r\n"));
        }
        if let Some(user) = &self.user {
            h.push_str(&format!("\t(Authenticated sender: {user})\r\n"));
        }
        h.push_str(&format!(
            "\tby {} (mailhop) with {protocol} id {queue_id}",
            self.host
        ));
        if let [only] = self.recipients.as_slice() {
            h.push_str(&format!("\r\n\tfor <{only}>"));
        }
        h.push_str(&format!("; {}\r\n", self.world.clock.rfc5322_now()));
        h
    }

    fn reset(&mut self) {
        self.sender = None;
        self.recipients.clear();
    }

    fn error(&mut self, code: u16, text: &str) {
        self.errors += 1;
        self.reply(code, text);
    }

    fn reply(&mut self, code: u16, text: &str) {
        self.reply_raw(&format!("{code} {text}"));
    }

    fn reply_lines(&mut self, code: u16, lines: &[String]) {
        for (i, line) in lines.iter().enumerate() {
            let sep = if i + 1 == lines.len() { ' ' } else { '-' };
            self.reply_raw(&format!("{code}{sep}{line}"));
        }
    }

    fn reply_raw(&mut self, line: &str) {
        self.world.emit(Event::Line {
            conn: self.conn.id.clone(),
            dir: Dir::ServerToClient,
            text: line.to_string(),
            tls: self.io.io.is_tls(),
        });
        self.io.queue(line.as_bytes());
        self.io.queue(b"\r\n");
    }

    fn record_in(&self, line: &[u8]) {
        self.world.emit(Event::Line {
            conn: self.conn.id.clone(),
            dir: Dir::ClientToServer,
            text: lossy(line),
            tls: self.io.io.is_tls(),
        });
    }
}

fn parse_error_reply(err: &ParseError) -> (u16, String) {
    match err {
        ParseError::UnknownCommand => (500, "5.5.2 Error: command not recognized".into()),
        ParseError::SyntaxError { syntax } => (501, format!("5.5.4 Syntax: {syntax}")),
        ParseError::InvalidSenderAddress => (501, "5.1.7 Bad sender address syntax".into()),
        ParseError::InvalidRecipientAddress => (501, "5.1.3 Bad recipient address syntax".into()),
        ParseError::InvalidParameter { param } => {
            (501, format!("5.5.4 Invalid parameter: {param}"))
        }
        ParseError::UnsupportedParameter { param } => {
            (555, format!("5.5.4 Unsupported option: {param}"))
        }
        _ => (501, "5.5.4 Syntax error".into()),
    }
}

fn decode(text: &str) -> Option<Vec<u8>> {
    B64.decode(text.trim()).ok()
}

fn lossy(bytes: &[u8]) -> String {
    String::from_utf8_lossy(bytes).into_owned()
}

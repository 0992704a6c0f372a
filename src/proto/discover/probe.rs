//! A probe: what a mail client sends to a guessed host and port to learn
//! whether a server of the right kind answers there, without logging in.
//!
//! The same few commands as Thunderbird's guesses: IMAP `1 CAPABILITY` and
//! `2 LOGOUT`, POP3 `CAPA` and `QUIT`, SMTP `EHLO` and `QUIT`. A server
//! answers when its greeting and its capabilities are of the right
//! protocol; for a STARTTLS try they must also offer STARTTLS (STLS in
//! POP3), since the client will insist on it. Only CRLF ends a line; a line
//! over [`MAX_LINE`] bytes or more than [`MAX_LINES`] lines end the probe
//! as "not this protocol".
//!
//! ```text
//! S: * OK [CAPABILITY IMAP4rev1 STARTTLS LOGINDISABLED] Dovecot ready.
//! C: 1 CAPABILITY
//! S: * CAPABILITY IMAP4rev1 STARTTLS LOGINDISABLED
//! S: 1 OK Pre-login capabilities listed, post-login capabilities have more.
//! C: 2 LOGOUT
//! ```

use crate::scenario::SocketType;

/// The longest line a probe reads.
pub const MAX_LINE: usize = 8 * 1024;
/// The most lines a probe reads.
pub const MAX_LINES: usize = 200;

/// Which protocol a probe speaks.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Kind {
    Imap,
    Pop3,
    Smtp,
}

/// What a probe asks of its driver.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Step {
    Send(Vec<u8>),
    /// The verdict: `Ok` with the server's greeting, `Err` with why not.
    Done(Result<String, String>),
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum State {
    Greeting,
    Capabilities,
    Leaving,
    Over,
}

/// One probe's state.
#[derive(Debug)]
pub struct Probe {
    kind: Kind,
    needs_starttls: bool,
    helo: String,
    state: State,
    buf: Vec<u8>,
    lines: usize,
    greeting: String,
    starttls: bool,
}

impl Probe {
    /// A probe of `kind` for a connection secured as `socket`; `helo` is the
    /// name an SMTP probe gives in EHLO.
    pub fn new(kind: Kind, socket: SocketType, helo: &str) -> Self {
        Probe {
            kind,
            needs_starttls: socket == SocketType::Starttls,
            helo: helo.to_string(),
            state: State::Greeting,
            buf: Vec::new(),
            lines: 0,
            greeting: String::new(),
            starttls: false,
        }
    }

    /// Feeds what the server sent.
    pub fn feed(&mut self, bytes: &[u8]) -> Vec<Step> {
        let mut out = Vec::new();
        self.buf.extend_from_slice(bytes);
        while self.state != State::Over {
            let Some(end) = self.buf.windows(2).position(|w| w == b"\r\n") else {
                if self.buf.len() > MAX_LINE {
                    out.push(self.fail("a line longer than any server sends"));
                }
                break;
            };
            let line: Vec<u8> = self.buf.drain(..end + 2).collect();
            self.lines += 1;
            if end > MAX_LINE || self.lines > MAX_LINES {
                out.push(self.fail("more than any server sends"));
                break;
            }
            let line = String::from_utf8_lossy(&line[..end]).into_owned();
            out.extend(self.line(&line));
        }
        out
    }

    /// The server closed the connection.
    pub fn eof(&mut self) -> Vec<Step> {
        match self.state {
            State::Over => Vec::new(),
            State::Leaving => {
                self.state = State::Over;
                vec![Step::Done(Ok(self.greeting.clone()))]
            }
            State::Greeting | State::Capabilities => {
                vec![self.fail("the server closed the connection")]
            }
        }
    }

    fn fail(&mut self, why: &str) -> Step {
        self.state = State::Over;
        let what = match self.kind {
            Kind::Imap => "IMAP",
            Kind::Pop3 => "POP3",
            Kind::Smtp => "SMTP",
        };
        Step::Done(Err(format!("no {what} server answered: {why}")))
    }

    fn line(&mut self, line: &str) -> Vec<Step> {
        let upper = line.to_ascii_uppercase();
        match (self.state, self.kind) {
            (State::Greeting, Kind::Imap) => {
                if !(upper.starts_with("* OK") || upper.starts_with("* PREAUTH")) {
                    return vec![self.fail(&format!("it said {line:?}"))];
                }
                self.greeting = line.to_string();
                self.state = State::Capabilities;
                vec![Step::Send(b"1 CAPABILITY\r\n".to_vec())]
            }
            (State::Greeting, Kind::Pop3) => {
                if !upper.starts_with("+OK") {
                    return vec![self.fail(&format!("it said {line:?}"))];
                }
                self.greeting = line.to_string();
                self.state = State::Capabilities;
                vec![Step::Send(b"CAPA\r\n".to_vec())]
            }
            (State::Greeting, Kind::Smtp) => {
                if !line.starts_with("220") {
                    return vec![self.fail(&format!("it said {line:?}"))];
                }
                if self.greeting.is_empty() {
                    self.greeting = line.to_string();
                }
                if line.as_bytes().get(3) == Some(&b'-') {
                    return Vec::new();
                }
                self.state = State::Capabilities;
                vec![Step::Send(format!("EHLO {}\r\n", self.helo).into_bytes())]
            }
            (State::Capabilities, Kind::Imap) => {
                if upper.starts_with("* CAPABILITY ") {
                    self.starttls |= upper.split(' ').any(|w| w == "STARTTLS");
                    return Vec::new();
                }
                if !upper.starts_with("1 ") {
                    return Vec::new();
                }
                self.capabilities_end(upper.starts_with("1 OK"), b"2 LOGOUT\r\n")
            }
            (State::Capabilities, Kind::Pop3) => {
                if upper.starts_with("-ERR") {
                    return self.capabilities_end(false, b"QUIT\r\n");
                }
                self.starttls |= upper == "STLS";
                if line == "." {
                    return self.capabilities_end(true, b"QUIT\r\n");
                }
                Vec::new()
            }
            (State::Capabilities, Kind::Smtp) => {
                if !line.starts_with("250") {
                    return self.capabilities_end(false, b"QUIT\r\n");
                }
                self.starttls |= upper.get(4..).is_some_and(|w| w.trim() == "STARTTLS");
                if line.as_bytes().get(3) == Some(&b'-') {
                    return Vec::new();
                }
                self.capabilities_end(true, b"QUIT\r\n")
            }
            (State::Leaving, _) => {
                self.state = State::Over;
                vec![Step::Done(Ok(self.greeting.clone()))]
            }
            (State::Over, _) => Vec::new(),
        }
    }

    /// The capabilities are in: say goodbye, and judge them.
    fn capabilities_end(&mut self, listed: bool, goodbye: &[u8]) -> Vec<Step> {
        let mut out = vec![Step::Send(goodbye.to_vec())];
        if self.needs_starttls && !self.starttls {
            let word = if self.kind == Kind::Pop3 {
                "STLS"
            } else {
                "STARTTLS"
            };
            out.push(self.fail(&format!("the server does not offer {word}")));
        } else if !listed && self.kind != Kind::Pop3 {
            out.push(self.fail("the server refused to list its capabilities"));
        } else {
            self.state = State::Leaving;
        }
        out
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Runs a probe against a server's lines; returns what the client sent
    /// and the verdict.
    fn run(
        kind: Kind,
        socket: SocketType,
        server: &[&str],
    ) -> (String, Option<Result<String, String>>) {
        let mut probe = Probe::new(kind, socket, "[203.0.113.10]");
        let mut sent = String::new();
        let mut verdict = None;
        let mut take = |steps: Vec<Step>| {
            for step in steps {
                match step {
                    Step::Send(b) => sent.push_str(&String::from_utf8(b).unwrap()),
                    Step::Done(v) => verdict = Some(v),
                }
            }
        };
        for line in server {
            take(probe.feed(format!("{line}\r\n").as_bytes()));
        }
        take(probe.eof());
        (sent, verdict)
    }

    #[test]
    fn imap_with_starttls_answers() {
        let (sent, verdict) = run(
            Kind::Imap,
            SocketType::Starttls,
            &[
                "* OK [CAPABILITY IMAP4rev1 STARTTLS LOGINDISABLED] Dovecot ready.",
                "* CAPABILITY IMAP4rev1 STARTTLS LOGINDISABLED",
                "1 OK Pre-login capabilities listed, post-login capabilities have more.",
                "* BYE Logging out",
                "2 OK Logout completed.",
            ],
        );
        assert_eq!(sent, "1 CAPABILITY\r\n2 LOGOUT\r\n");
        assert!(verdict.unwrap().unwrap().starts_with("* OK"));
    }

    #[test]
    fn a_starttls_try_without_starttls_fails() {
        let (_, verdict) = run(
            Kind::Imap,
            SocketType::Starttls,
            &["* OK ready", "* CAPABILITY IMAP4rev1", "1 OK done"],
        );
        assert_eq!(
            verdict.unwrap().unwrap_err(),
            "no IMAP server answered: the server does not offer STARTTLS"
        );
    }

    #[test]
    fn an_smtp_server_is_not_an_imap_server() {
        let (sent, verdict) = run(Kind::Imap, SocketType::Ssl, &["220 mx.test ESMTP"]);
        assert_eq!(sent, "");
        assert!(verdict.unwrap().unwrap_err().contains("220 mx.test ESMTP"));
    }

    #[test]
    fn pop3_and_smtp_probes() {
        let (sent, verdict) = run(
            Kind::Pop3,
            SocketType::Starttls,
            &[
                "+OK Dovecot ready.",
                "+OK",
                "CAPA",
                "STLS",
                "USER",
                ".",
                "+OK Logging out.",
            ],
        );
        assert_eq!(sent, "CAPA\r\nQUIT\r\n");
        assert!(verdict.unwrap().is_ok());
        let (sent, verdict) = run(
            Kind::Smtp,
            SocketType::Starttls,
            &[
                "220 smtp.d.test ESMTP",
                "250-smtp.d.test",
                "250-STARTTLS",
                "250 8BITMIME",
                "221 2.0.0 Bye",
            ],
        );
        assert_eq!(sent, "EHLO [203.0.113.10]\r\nQUIT\r\n");
        assert!(verdict.unwrap().is_ok());
    }

    #[test]
    fn endless_lines_end_the_probe() {
        let mut probe = Probe::new(Kind::Imap, SocketType::Ssl, "x");
        let steps = probe.feed(&vec![b'A'; MAX_LINE + 2]);
        assert!(matches!(&steps[..], [Step::Done(Err(_))]));
        assert!(probe.feed(b"\r\n").is_empty());
    }
}

//! SMTP (RFC 5321) with STARTTLS (RFC 3207) and AUTH (RFC 4954), both
//! sides, as engines with no I/O.
//!
//! [`server::Server`] parses commands with `smtp-proto`, frames DATA with
//! its `DataReceiver` and decides replies itself, asking a
//! [`server::Policy`] what only the world knows. [`client::Client`] writes
//! its own commands (smtp-proto has no serializer) and reads multi-line
//! replies with [`ReplyReader`]. [`received`] writes the trace header a
//! server adds to every message it accepts.

pub mod client;
pub mod received;
pub mod server;

/// The longest command line the server takes, CRLF included. RFC 5321
/// section 4.5.3.1.4 asks for at least 512; like Postfix we take more, but
/// a line over [`MAX_TEXT_LINE`] is refused with 500 5.5.2 except for AUTH,
/// whose responses may be long (RFC 4954 section 4: 12288 octets).
pub const MAX_COMMAND_LINE: usize = 12_288;

/// The longest text line, CRLF included (RFC 5321 section 4.5.3.1.6).
pub const MAX_TEXT_LINE: usize = 1000;

/// The longest reply line a server writes, CRLF included (RFC 5321 section
/// 4.5.3.1.5). Longer texts (an echoed address) are cut.
pub const MAX_REPLY_LINE: usize = 512;

/// The largest message the servers accept (advertised with SIZE).
pub const MAX_SIZE: usize = 10_240_000;

/// A reply: code and text lines (without the code).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Reply {
    pub code: u16,
    pub lines: Vec<String>,
}

impl Reply {
    /// A one-line reply.
    pub fn new(code: u16, text: impl Into<String>) -> Self {
        Reply {
            code,
            lines: vec![text.into()],
        }
    }

    /// Reads a reply written as one line, `451 4.7.1 Try again later`.
    pub fn parse_line(text: &str) -> Option<Reply> {
        let code = text.get(..3)?.parse::<u16>().ok()?;
        if !(200..600).contains(&code) {
            return None;
        }
        match text.as_bytes().get(3) {
            None => Some(Reply::new(code, "")),
            Some(b' ') => Some(Reply::new(code, &text[4..])),
            _ => None,
        }
    }

    pub fn is_positive(&self) -> bool {
        (200..400).contains(&self.code)
    }
    pub fn is_transient(&self) -> bool {
        (400..500).contains(&self.code)
    }
    /// The first line, e.g. `250 2.1.0 Ok`.
    pub fn summary(&self) -> String {
        format!(
            "{} {}",
            self.code,
            self.lines.first().map(String::as_str).unwrap_or("")
        )
    }
    /// Every line joined with spaces, as it goes into a bounce.
    pub fn text(&self) -> String {
        self.lines.join(" ")
    }
    /// The enhanced status code (RFC 3463) the reply starts with, if any.
    pub fn enhanced_status(&self) -> Option<&str> {
        let first = self.lines.first()?.split_whitespace().next()?;
        let mut parts = first.split('.');
        let class = parts.next()?;
        let ok = matches!(class, "2" | "4" | "5")
            && parts.clone().count() == 2
            && parts
                .all(|p| !p.is_empty() && p.len() <= 3 && p.bytes().all(|b| b.is_ascii_digit()));
        ok.then_some(first)
    }
    /// The reply as wire lines without CRLF: `250-a`, `250 b`.
    pub fn wire_lines(&self) -> Vec<String> {
        let count = self.lines.len().max(1);
        (0..count)
            .map(|i| {
                let sep = if i + 1 == count { ' ' } else { '-' };
                let text = self.lines.get(i).map(String::as_str).unwrap_or("");
                let mut line = format!("{}{sep}{text}", self.code);
                truncate(&mut line, MAX_REPLY_LINE - 2);
                line
            })
            .collect()
    }
}

/// Cuts `text` to at most `max` bytes, on a character boundary.
pub fn truncate(text: &mut String, max: usize) {
    if text.len() > max {
        let mut end = max;
        while !text.is_char_boundary(end) {
            end -= 1;
        }
        text.truncate(end);
    }
}

/// Collects a server's reply lines from bytes as they arrive.
#[derive(Debug, Default)]
pub struct ReplyReader {
    buf: Vec<u8>,
    lines: Vec<String>,
}

/// What [`ReplyReader::next_reply`] found.
#[derive(Debug, PartialEq, Eq)]
pub enum ReplyEvent {
    Reply(Reply),
    /// The bytes were not a reply (or a line was absurdly long).
    Garbage,
}

impl ReplyReader {
    pub fn push(&mut self, bytes: &[u8]) {
        self.buf.extend_from_slice(bytes);
    }

    /// Bytes received but not yet part of a complete reply.
    pub fn buffered(&self) -> usize {
        self.buf.len()
    }

    /// Forgets buffered bytes (after STARTTLS, nothing from before counts).
    pub fn clear(&mut self) {
        self.buf.clear();
        self.lines.clear();
    }

    /// The next complete reply, if one is buffered.
    pub fn next_reply(&mut self) -> Option<ReplyEvent> {
        loop {
            let Some(pos) = self.buf.iter().position(|&b| b == b'\n') else {
                if self.buf.len() > MAX_COMMAND_LINE {
                    self.clear();
                    return Some(ReplyEvent::Garbage);
                }
                return None;
            };
            let mut line: Vec<u8> = self.buf.drain(..=pos).collect();
            line.pop();
            if line.last() == Some(&b'\r') {
                line.pop();
            }
            let line = String::from_utf8_lossy(&line).into_owned();
            let code = line.get(..3).and_then(|c| c.parse::<u16>().ok());
            let sep = line.as_bytes().get(3).copied();
            let (Some(code), Some(b' ' | b'-') | None) = (code, sep) else {
                self.lines.clear();
                return Some(ReplyEvent::Garbage);
            };
            if !(200..600).contains(&code) || self.lines.len() > 100 {
                self.lines.clear();
                return Some(ReplyEvent::Garbage);
            }
            self.lines.push(line.get(4..).unwrap_or("").to_string());
            if sep != Some(b'-') {
                let lines = std::mem::take(&mut self.lines);
                return Some(ReplyEvent::Reply(Reply { code, lines }));
            }
        }
    }
}

/// Dot-stuffs a message for DATA (RFC 5321 section 4.5.2) and normalises
/// line ends to CRLF. Ends with the `.` line.
pub fn dot_stuff(message: &[u8]) -> Vec<u8> {
    let mut out = Vec::with_capacity(message.len() + 64);
    for line in split_lines(message) {
        if line.first() == Some(&b'.') {
            out.push(b'.');
        }
        out.extend_from_slice(line);
        out.extend_from_slice(b"\r\n");
    }
    out.extend_from_slice(b".\r\n");
    out
}

/// The lines of a message without their line ends (CRLF or LF). A final
/// line end does not start an empty line.
pub fn split_lines(message: &[u8]) -> impl Iterator<Item = &[u8]> {
    let body = message.strip_suffix(b"\n").unwrap_or(message);
    let empty = message.is_empty();
    body.split(|&b| b == b'\n')
        .map(|l| l.strip_suffix(b"\r").unwrap_or(l))
        .filter(move |_| !empty)
}

/// The domain of an address (after the last `@`), lowercased.
pub fn domain_of(address: &str) -> String {
    address
        .rsplit_once('@')
        .map(|(_, d)| d)
        .unwrap_or("")
        .to_ascii_lowercase()
}

/// How many `Received` header fields a message's header section has: the
/// hop count RFC 5321 section 6.3 tells servers to check against loops.
pub fn received_count(message: &[u8]) -> usize {
    let end = message
        .windows(4)
        .position(|w| w == b"\r\n\r\n")
        .map(|p| p + 2)
        .unwrap_or(message.len());
    split_lines(&message[..end])
        .filter(|line| line.len() > 9 && line[..9].eq_ignore_ascii_case(b"received:"))
        .count()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn dot_stuffing_doubles_leading_dots_and_terminates() {
        assert_eq!(
            dot_stuff(b"a\r\n.b\n..c\r\n"),
            b"a\r\n..b\r\n...c\r\n.\r\n".to_vec()
        );
        assert_eq!(dot_stuff(b""), b".\r\n".to_vec());
        assert_eq!(dot_stuff(b"no end"), b"no end\r\n.\r\n".to_vec());
    }

    #[test]
    fn domains_are_lowercased() {
        assert_eq!(domain_of("Bob@Friend.TEST"), "friend.test");
        assert_eq!(domain_of("nobody"), "");
    }

    #[test]
    fn received_headers_are_counted_in_the_header_section_only() {
        let msg = b"Received: from a\r\n\tby b\r\nreceived: x\r\nSubject: s\r\n\r\nReceived: in the body\r\n";
        assert_eq!(received_count(msg), 2);
        assert_eq!(received_count(b"Subject: none\r\n\r\n"), 0);
    }

    #[test]
    fn replies_are_read_across_chunks_and_multiline() {
        let mut r = ReplyReader::default();
        r.push(b"250-mx.test\r\n250-PIPE");
        assert_eq!(r.next_reply(), None);
        r.push(b"LINING\r\n250 SIZE 10\r\n220 next\r\n");
        assert_eq!(
            r.next_reply(),
            Some(ReplyEvent::Reply(Reply {
                code: 250,
                lines: vec!["mx.test".into(), "PIPELINING".into(), "SIZE 10".into()]
            }))
        );
        assert_eq!(
            r.next_reply(),
            Some(ReplyEvent::Reply(Reply::new(220, "next")))
        );
        r.push(b"hello there\r\n");
        assert_eq!(r.next_reply(), Some(ReplyEvent::Garbage));
    }

    #[test]
    fn enhanced_status_codes_are_recognised() {
        assert_eq!(
            Reply::new(550, "5.1.1 <x>: no").enhanced_status(),
            Some("5.1.1")
        );
        assert_eq!(
            Reply::new(451, "4.7.1 later").enhanced_status(),
            Some("4.7.1")
        );
        assert_eq!(Reply::new(550, "no such user").enhanced_status(), None);
        assert_eq!(Reply::new(550, "5.1 short").enhanced_status(), None);
    }

    #[test]
    fn long_reply_lines_are_cut_to_512_octets() {
        let reply = Reply::new(550, format!("5.1.1 <{}@x.test>: no", "a".repeat(900)));
        let lines = reply.wire_lines();
        assert_eq!(lines.len(), 1);
        assert!(lines[0].len() + 2 <= MAX_REPLY_LINE);
    }
}

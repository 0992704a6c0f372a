//! SMTP (RFC 5321) with STARTTLS (RFC 3207) and AUTH (RFC 4954), both sides.
//!
//! The server parses commands with `smtp-proto` and decides replies itself;
//! the client writes its own commands (smtp-proto has no serializer) and reads
//! multi-line replies. Both sides talk through [`LineIo`], a small buffered
//! line reader and writer over a link's [`Io`].

pub mod client;
pub mod server;

use std::io;

use tokio::io::{AsyncReadExt, AsyncWriteExt};

use crate::sim::link::Io;

/// The longest line either side accepts, CRLF included. RFC 5321 asks for at
/// least 512 octets for commands and 1000 for text lines; we allow more.
pub const MAX_LINE: usize = 4096;

/// The largest message the servers accept (advertised with SIZE).
pub const MAX_SIZE: usize = 10_240_000;

/// A buffered line reader and writer.
pub struct LineIo {
    pub io: Io,
    input: Vec<u8>,
    output: Vec<u8>,
}

/// What [`LineIo::read_line`] found.
#[derive(Debug, PartialEq, Eq)]
pub enum Line {
    /// A line, without its CRLF (or bare LF).
    Text(Vec<u8>),
    /// More than [`MAX_LINE`] bytes without a line end; they were dropped.
    TooLong,
    /// The peer closed the connection.
    Eof,
}

impl LineIo {
    pub fn new(io: Io) -> Self {
        LineIo {
            io,
            input: Vec::new(),
            output: Vec::new(),
        }
    }

    /// Whether a complete line is already buffered (the peer pipelined).
    pub fn has_line(&self) -> bool {
        self.input.contains(&b'\n')
    }

    /// Throws away buffered input, returning how many bytes were dropped.
    pub fn discard_input(&mut self) -> usize {
        std::mem::take(&mut self.input).len()
    }

    /// Queues bytes to send; they go out on [`flush`](Self::flush).
    pub fn queue(&mut self, bytes: &[u8]) {
        self.output.extend_from_slice(bytes);
    }

    /// Sends everything queued.
    pub async fn flush(&mut self) -> io::Result<()> {
        if !self.output.is_empty() {
            let out = std::mem::take(&mut self.output);
            self.io.write_all(&out).await?;
            self.io.flush().await?;
        }
        Ok(())
    }

    /// Reads one line. Flushes queued output first when no complete line is
    /// buffered, so pipelined commands get their replies in one batch.
    pub async fn read_line(&mut self) -> io::Result<Line> {
        loop {
            if let Some(pos) = self.input.iter().position(|&b| b == b'\n') {
                let mut line: Vec<u8> = self.input.drain(..=pos).collect();
                line.pop();
                if line.last() == Some(&b'\r') {
                    line.pop();
                }
                if line.len() + 2 > MAX_LINE {
                    return Ok(Line::TooLong);
                }
                return Ok(Line::Text(line));
            }
            if self.input.len() > MAX_LINE {
                // Drop the overlong line up to its end, then report it.
                self.input.clear();
                loop {
                    let mut chunk = [0u8; 1024];
                    let n = self.io.read(&mut chunk).await?;
                    if n == 0 {
                        return Ok(Line::Eof);
                    }
                    if let Some(pos) = chunk[..n].iter().position(|&b| b == b'\n') {
                        self.input.extend_from_slice(&chunk[pos + 1..n]);
                        return Ok(Line::TooLong);
                    }
                }
            }
            self.flush().await?;
            let mut chunk = [0u8; 4096];
            let n = self.io.read(&mut chunk).await?;
            if n == 0 {
                return Ok(Line::Eof);
            }
            self.input.extend_from_slice(&chunk[..n]);
        }
    }

    /// Takes the stream out (for a TLS handshake). Buffered input must have
    /// been dealt with by the caller.
    pub fn take_io(&mut self) -> Io {
        std::mem::replace(&mut self.io, Io::Gone)
    }
}

/// A reply: code and text lines (without the code).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Reply {
    pub code: u16,
    pub lines: Vec<String>,
}

impl Reply {
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
}

/// Reads a (possibly multi-line) reply; `None` when the peer closed or sent
/// something that is not a reply.
pub async fn read_reply(io: &mut LineIo) -> io::Result<Option<Reply>> {
    let mut lines = Vec::new();
    loop {
        let Line::Text(line) = io.read_line().await? else {
            return Ok(None);
        };
        let line = String::from_utf8_lossy(&line).into_owned();
        let code = line.get(..3).and_then(|c| c.parse::<u16>().ok());
        let sep = line.as_bytes().get(3).copied();
        let (Some(code), Some(b' ' | b'-') | None) = (code, sep) else {
            return Ok(None);
        };
        if !(200..600).contains(&code) {
            return Ok(None);
        }
        lines.push(line.get(4..).unwrap_or("").to_string());
        if sep != Some(b'-') {
            return Ok(Some(Reply { code, lines }));
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
}

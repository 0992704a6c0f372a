//! Receiving a message after `354`: framing, size and line limits, and the
//! transcript.
//!
//! smtp-proto's `DataReceiver` finds the end and undoes dot-stuffing. It
//! ends a message only at `<CRLF>.<CRLF>`, which is what stops SMTP
//! smuggling: a body carrying `<LF>.<LF>MAIL FROM:…` stays one message.
//! The raw bytes are also cut into lines for the transcript, exactly as the
//! client sent them (dots still doubled), and checked against the 1000
//! octet limit of RFC 5321 section 4.5.3.1.6.

use smtp_proto::request::receiver::DataReceiver;

use super::Output;
use crate::proto::smtp::MAX_TEXT_LINE;

/// A message being received.
pub struct DataState {
    receiver: DataReceiver,
    message: Vec<u8>,
    max_size: usize,
    /// The transcript line being read, kept up to the line limit.
    line: Vec<u8>,
    /// Its whole length so far, CR included.
    line_len: usize,
    /// Whether the line so far ends in CR (a CRLF split across chunks).
    last_cr: bool,
    too_long: bool,
    too_big: bool,
}

/// The end of DATA.
#[derive(Debug)]
pub struct Done {
    /// Dot-stuffing undone, every line end CRLF.
    pub message: Vec<u8>,
    /// A line was longer than 1000 octets.
    pub too_long: bool,
    /// The message was larger than the limit (its bytes were dropped).
    pub too_big: bool,
}

impl DataState {
    pub fn new(max_size: usize) -> Self {
        let mut receiver = DataReceiver::new();
        // The receiver starts as if in the middle of a line; tell it a line
        // just ended, so a first line `.` or `..x` is read as RFC 5321 says.
        receiver.ingest(&mut b"\r\n".iter(), &mut Vec::new());
        DataState {
            receiver,
            message: Vec::new(),
            max_size,
            line: Vec::new(),
            line_len: 0,
            last_cr: false,
            too_long: false,
            too_big: false,
        }
    }

    /// Takes what it can from `input`; the message once its end arrived.
    /// Bytes after the end stay in `input` (pipelined commands).
    pub fn ingest<N>(&mut self, input: &mut Vec<u8>, out: &mut Vec<Output<N>>) -> Option<Done> {
        if input.is_empty() {
            return None;
        }
        let mut rest = input.iter();
        let done = self.receiver.ingest(&mut rest, &mut self.message);
        let consumed = input.len() - rest.as_slice().len();
        self.transcript(&input[..consumed], out);
        input.drain(..consumed);
        if self.too_big || self.message.len() > self.max_size {
            self.too_big = true;
            self.message = Vec::new();
        }
        done.then(|| Done {
            message: normalise_line_ends(std::mem::take(&mut self.message)),
            too_long: self.too_long,
            too_big: self.too_big,
        })
    }

    fn transcript<N>(&mut self, mut raw: &[u8], out: &mut Vec<Output<N>>) {
        while let Some(pos) = raw.iter().position(|&b| b == b'\n') {
            self.keep(&raw[..pos]);
            let mut line = std::mem::take(&mut self.line);
            let mut content = self.line_len;
            if self.last_cr {
                content -= 1;
                if line.len() == self.line_len {
                    line.pop();
                }
            }
            if content + 2 > MAX_TEXT_LINE {
                self.too_long = true;
                out.push(Output::Heard("(line too long)".into()));
            } else {
                out.push(Output::Heard(String::from_utf8_lossy(&line).into_owned()));
            }
            self.line_len = 0;
            self.last_cr = false;
            raw = &raw[pos + 1..];
        }
        self.keep(raw);
    }

    fn keep(&mut self, part: &[u8]) {
        let Some(&last) = part.last() else {
            return;
        };
        self.last_cr = last == b'\r';
        self.line_len += part.len();
        let room = MAX_TEXT_LINE.saturating_sub(self.line.len());
        self.line.extend_from_slice(&part[..part.len().min(room)]);
    }
}

/// Bare LF and bare CR become CRLF, as Postfix treats them with
/// `smtpd_forbid_bare_newline = normal`.
fn normalise_line_ends(data: Vec<u8>) -> Vec<u8> {
    let bare = data.iter().enumerate().any(|(i, &b)| {
        (b == b'\n' && (i == 0 || data[i - 1] != b'\r'))
            || (b == b'\r' && data.get(i + 1) != Some(&b'\n'))
    });
    if !bare {
        return data;
    }
    let mut out = Vec::with_capacity(data.len() + 64);
    let mut i = 0;
    while i < data.len() {
        match data[i] {
            b'\r' => {
                out.extend_from_slice(b"\r\n");
                if data.get(i + 1) == Some(&b'\n') {
                    i += 1;
                }
            }
            b'\n' => out.extend_from_slice(b"\r\n"),
            b => out.push(b),
        }
        i += 1;
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    fn receive(chunks: &[&[u8]]) -> (Option<Done>, Vec<String>, Vec<u8>) {
        let mut state = DataState::new(1 << 20);
        let mut out: Vec<Output<()>> = Vec::new();
        let mut input = Vec::new();
        for chunk in chunks {
            input.extend_from_slice(chunk);
            if let Some(done) = state.ingest(&mut input, &mut out) {
                let heard = out
                    .into_iter()
                    .map(|o| match o {
                        Output::Heard(l) => l,
                        other => panic!("unexpected {other:?}"),
                    })
                    .collect();
                return (Some(done), heard, input);
            }
        }
        (None, Vec::new(), input)
    }

    #[test]
    fn only_crlf_dot_crlf_ends_the_message() {
        let (done, heard, rest) = receive(&[b"a\r\n..b\r\n", b".\r\nQUIT\r\n"]);
        let done = done.expect("ended");
        assert_eq!(done.message, b"a\r\n.b\r\n");
        assert_eq!(heard, ["a", "..b", "."]);
        assert_eq!(rest, b"QUIT\r\n");
    }

    #[test]
    fn a_first_line_dot_ends_an_empty_message() {
        let (done, heard, _) = receive(&[b".\r\n"]);
        assert_eq!(done.expect("ended").message, b"");
        assert_eq!(heard, ["."]);
    }

    #[test]
    fn smuggled_bare_lf_dot_stays_inside_the_message() {
        let payload: &[u8] =
            b"hello\n.\nMAIL FROM:<spoof@bank.test>\r\nRCPT TO:<x@y.test>\r\nDATA\r\nevil\r\n.\r\n";
        let (done, _, rest) = receive(&[payload]);
        let done = done.expect("ended once, at the real end");
        assert!(rest.is_empty());
        assert_eq!(
            done.message,
            b"hello\r\n.\r\nMAIL FROM:<spoof@bank.test>\r\nRCPT TO:<x@y.test>\r\nDATA\r\nevil\r\n"
        );
    }

    #[test]
    fn bare_cr_dot_does_not_end_the_message_either() {
        let (done, _, _) = receive(&[b"a\r.\r\nb\r\n", b".\r\n"]);
        assert_eq!(done.expect("ended").message, b"a\r\n.\r\nb\r\n");
    }

    #[test]
    fn lines_over_1000_octets_are_flagged() {
        let long = vec![b'x'; 999];
        let (done, heard, _) = receive(&[&long, b"\r\nok\r\n.\r\n"]);
        let done = done.expect("ended");
        assert!(done.too_long);
        assert_eq!(heard[0], "(line too long)");
        let fits = vec![b'x'; 998];
        let (done, _, _) = receive(&[&fits, b"\r\n.\r\n"]);
        assert!(!done.expect("ended").too_long);
    }

    #[test]
    fn oversized_messages_are_dropped_but_framed() {
        let mut state = DataState::new(10);
        let mut out: Vec<Output<()>> = Vec::new();
        let mut input = b"0123456789abcdef\r\n.\r\n".to_vec();
        let done = state.ingest(&mut input, &mut out).expect("ended");
        assert!(done.too_big);
        assert!(done.message.is_empty());
    }
}

//! Lines as a POP3 server sends them: each ends with CRLF, and only CRLF
//! ends one (a bare LF or CR is part of the line, as RFC 1939 section 3
//! frames responses). Bounded: a line longer than the caller allows is an
//! error as soon as it is known to be, not after it was buffered whole.

/// Bytes from the server waiting to be read as lines.
#[derive(Debug, Default)]
pub(super) struct Lines {
    buf: Vec<u8>,
    /// Where the next line starts.
    start: usize,
    /// How far the search for CRLF has looked, so a line fed one byte at a
    /// time is scanned once.
    scanned: usize,
}

/// A line over the caller's limit.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) struct TooLong;

impl Lines {
    pub fn push(&mut self, bytes: &[u8]) {
        if self.start > 0 && self.start * 2 >= self.buf.len() {
            self.buf.drain(..self.start);
            self.scanned -= self.start;
            self.start = 0;
        }
        self.buf.extend_from_slice(bytes);
    }

    /// Drops whatever is buffered (after STLS: nothing sent before the
    /// handshake may be read after it, RFC 2595 section 4).
    pub fn clear(&mut self) {
        *self = Lines::default();
    }

    /// The next line without its CRLF, if a whole one is here; `max`
    /// counts the CRLF.
    pub fn next(&mut self, max: usize) -> Option<Result<Vec<u8>, TooLong>> {
        let from = self.scanned.saturating_sub(1).max(self.start);
        match self.buf[from..].windows(2).position(|w| w == b"\r\n") {
            Some(at) => {
                let end = from + at;
                let line = self.buf[self.start..end].to_vec();
                self.start = end + 2;
                self.scanned = self.start;
                if line.len() + 2 > max {
                    return Some(Err(TooLong));
                }
                Some(Ok(line))
            }
            None => {
                self.scanned = self.buf.len();
                if self.buf.len() - self.start > max {
                    return Some(Err(TooLong));
                }
                None
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_crlf_ends_a_line_and_a_split_crlf_is_found() {
        let mut lines = Lines::default();
        lines.push(b"+OK a\nb\r");
        assert_eq!(lines.next(100), None);
        lines.push(b"\nnext");
        assert_eq!(lines.next(100), Some(Ok(b"+OK a\nb".to_vec())));
        assert_eq!(lines.next(100), None);
        lines.push(b"\r\n");
        assert_eq!(lines.next(100), Some(Ok(b"next".to_vec())));
    }

    #[test]
    fn a_line_over_the_limit_is_refused_before_its_end() {
        let mut lines = Lines::default();
        lines.push(&[b'x'; 11]);
        assert_eq!(lines.next(10), Some(Err(TooLong)));
        let mut lines = Lines::default();
        lines.push(b"12345678\r\n");
        assert_eq!(lines.next(10), Some(Ok(b"12345678".to_vec())));
        lines.push(b"123456789\r\n");
        assert_eq!(lines.next(10), Some(Err(TooLong)));
    }
}

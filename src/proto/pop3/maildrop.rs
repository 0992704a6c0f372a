//! The maildrop as one session sees it, from login to QUIT.
//!
//! RFC 1939 section 4: after a login the server numbers the messages 1, 2,
//! … and those numbers hold for the whole session, whatever arrives
//! meanwhile. `DELE` only marks a message; marked messages no longer count
//! in STAT and LIST and cannot be read, `RSET` unmarks them all, and only
//! QUIT (the UPDATE state) removes them, by UID, in the store.
//!
//! Sizes are "exact" (RFC 1939 section 5): the octets of the message as
//! RETR sends it before dot-stuffing, every line ending in CRLF.

use super::{Inbox, InboxMessage};
use crate::proto::smtp::split_lines;

/// One message of the session's maildrop.
#[derive(Debug)]
struct Entry {
    uid: u32,
    eml: Vec<u8>,
    size: usize,
    deleted: bool,
}

/// Why a message number cannot be used. `Display` is the text after `-ERR `.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum NumberError {
    /// Not between 1 and the number of messages at login.
    NoSuchMessage { count: usize },
    /// Marked with DELE in this session.
    Deleted(usize),
}

impl std::fmt::Display for NumberError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match *self {
            NumberError::NoSuchMessage { count } => {
                write!(f, "no such message, only {} in maildrop", messages(count))
            }
            NumberError::Deleted(number) => write!(f, "message {number} already deleted"),
        }
    }
}

/// A message on its way to the client.
#[derive(Debug)]
pub struct Retrieval {
    /// Its UID in the store.
    pub uid: u32,
    /// Its exact size (what RETR announces).
    pub size: usize,
    /// The lines to send: dot-stuffed (RFC 1939 section 3), without line
    /// ends, without the final `.`.
    pub lines: Vec<Vec<u8>>,
}

/// The opened maildrop of a logged-in user.
#[derive(Debug)]
pub struct OpenMaildrop {
    pub user: String,
    pub uidvalidity: u32,
    entries: Vec<Entry>,
}

impl OpenMaildrop {
    pub fn new(user: String, inbox: Inbox) -> Self {
        let entries = inbox
            .messages
            .into_iter()
            .map(|InboxMessage { uid, eml }| Entry {
                uid,
                size: split_lines(&eml).map(|line| line.len() + 2).sum(),
                eml,
                deleted: false,
            })
            .collect();
        OpenMaildrop {
            user,
            uidvalidity: inbox.uidvalidity,
            entries,
        }
    }

    /// Messages not marked for deletion, and their octets (STAT).
    pub fn stat(&self) -> (usize, usize) {
        self.live().fold((0, 0), |(count, octets), (_, e)| {
            (count + 1, octets + e.size)
        })
    }

    /// `(number, size)` of every message not marked (LIST).
    pub fn sizes(&self) -> Vec<(usize, usize)> {
        self.live().map(|(n, e)| (n, e.size)).collect()
    }

    /// `(number, unique id)` of every message not marked (UIDL).
    pub fn unique_ids(&self) -> Vec<(usize, String)> {
        self.live().map(|(n, e)| (n, self.unique_id(e))).collect()
    }

    /// The size of message `number`.
    pub fn size(&self, number: usize) -> Result<usize, NumberError> {
        Ok(self.entry(number)?.size)
    }

    /// The unique id of message `number` (RFC 1939 section 7: 1 to 70
    /// printable characters, the same in every session). Like Dovecot's
    /// default `%08Xu%08Xv`: the UID, then UIDVALIDITY, in hex, so a
    /// mailbox created again (a new UIDVALIDITY) never repeats an old id.
    pub fn uid_string(&self, number: usize) -> Result<String, NumberError> {
        Ok(self.unique_id(self.entry(number)?))
    }

    /// Message `number` as a RETR answer sends it, or as a TOP answer
    /// with `body_lines` lines of the body.
    pub fn retrieve(
        &self,
        number: usize,
        body_lines: Option<usize>,
    ) -> Result<Retrieval, NumberError> {
        let entry = self.entry(number)?;
        let mut in_header = true;
        let mut left = body_lines;
        let mut lines = Vec::new();
        for line in split_lines(&entry.eml) {
            if !in_header {
                match left.as_mut() {
                    Some(0) => break,
                    Some(n) => *n -= 1,
                    None => {}
                }
            }
            if line.is_empty() {
                in_header = false;
            }
            lines.push(stuffed(line));
        }
        Ok(Retrieval {
            uid: entry.uid,
            size: entry.size,
            lines,
        })
    }

    /// Marks message `number` for deletion at QUIT.
    pub fn delete(&mut self, number: usize) -> Result<(), NumberError> {
        self.entry(number)?;
        self.entries[number - 1].deleted = true;
        Ok(())
    }

    /// Unmarks every message (RSET).
    pub fn undelete_all(&mut self) {
        for entry in &mut self.entries {
            entry.deleted = false;
        }
    }

    /// The UIDs marked for deletion, in message order.
    pub fn marked(&self) -> Vec<u32> {
        self.entries
            .iter()
            .filter(|e| e.deleted)
            .map(|e| e.uid)
            .collect()
    }

    fn entry(&self, number: usize) -> Result<&Entry, NumberError> {
        let entry = number
            .checked_sub(1)
            .and_then(|i| self.entries.get(i))
            .ok_or(NumberError::NoSuchMessage {
                count: self.entries.len(),
            })?;
        if entry.deleted {
            return Err(NumberError::Deleted(number));
        }
        Ok(entry)
    }

    fn live(&self) -> impl Iterator<Item = (usize, &Entry)> {
        self.entries
            .iter()
            .enumerate()
            .filter(|(_, e)| !e.deleted)
            .map(|(i, e)| (i + 1, e))
    }

    fn unique_id(&self, entry: &Entry) -> String {
        format!("{:08X}{:08X}", entry.uid, self.uidvalidity)
    }
}

/// A line of a multi-line answer: one that starts with `.` gets another
/// in front, so only the terminating `.` line stands alone.
fn stuffed(line: &[u8]) -> Vec<u8> {
    let mut out = Vec::with_capacity(line.len() + 1);
    if line.first() == Some(&b'.') {
        out.push(b'.');
    }
    out.extend_from_slice(line);
    out
}

/// `1 message`, `2 messages`.
pub fn messages(count: usize) -> String {
    if count == 1 {
        "1 message".to_string()
    } else {
        format!("{count} messages")
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn drop_of(emls: &[&[u8]]) -> OpenMaildrop {
        let messages = emls
            .iter()
            .enumerate()
            .map(|(i, eml)| InboxMessage {
                uid: 10 + i as u32,
                eml: eml.to_vec(),
            })
            .collect();
        OpenMaildrop::new(
            "bob".into(),
            Inbox {
                uidvalidity: 0xABC,
                messages,
            },
        )
    }

    #[test]
    fn rfc1939_sizes_count_crlf_line_ends() {
        let m = drop_of(&[b"a\r\nb\r\n", b"a\nb", b""]);
        assert_eq!(m.sizes(), [(1, 6), (2, 6), (3, 0)]);
        assert_eq!(m.stat(), (3, 12));
    }

    #[test]
    fn top_sends_the_header_the_blank_line_and_n_body_lines() {
        let m = drop_of(&[
            b"A: 1\r\nB: 2\r\n\r\nl1\r\nl2\r\nl3\r\n",
            b"Only: header\r\n",
        ]);
        let text = |n, k| m.retrieve(n, k).expect("exists").lines.join(&b'|');
        assert_eq!(text(1, Some(0)), b"A: 1|B: 2|");
        assert_eq!(text(1, Some(2)), b"A: 1|B: 2||l1|l2");
        assert_eq!(text(1, Some(99)), b"A: 1|B: 2||l1|l2|l3");
        assert_eq!(text(1, None), b"A: 1|B: 2||l1|l2|l3");
        assert_eq!(text(2, Some(0)), b"Only: header");
    }

    #[test]
    fn lines_starting_with_a_dot_are_stuffed() {
        let m = drop_of(&[b"S: x\r\n\r\n.\r\n..x\r\n.y\r\nz.\r\n"]);
        assert_eq!(
            m.retrieve(1, None).expect("exists").lines,
            [&b"S: x"[..], b"", b"..", b"...x", b"..y", b"z."]
        );
    }

    #[test]
    fn deleted_messages_keep_their_number_and_vanish_from_listings() {
        let mut m = drop_of(&[b"a\r\n", b"bb\r\n", b"ccc\r\n"]);
        m.delete(2).expect("exists");
        assert_eq!(m.delete(2), Err(NumberError::Deleted(2)));
        assert_eq!(m.size(2), Err(NumberError::Deleted(2)));
        assert_eq!(m.sizes(), [(1, 3), (3, 5)]);
        assert_eq!(m.stat(), (2, 8));
        assert_eq!(m.marked(), [11]);
        assert_eq!(m.size(4), Err(NumberError::NoSuchMessage { count: 3 }));
        assert!(m.size(0).is_err());
        m.undelete_all();
        assert_eq!(m.stat(), (3, 12));
        assert!(m.marked().is_empty());
    }

    #[test]
    fn unique_ids_are_uid_then_uidvalidity_in_hex() {
        let m = drop_of(&[b"a\r\n"]);
        assert_eq!(m.uid_string(1).expect("exists"), "0000000A00000ABC");
        assert_eq!(m.unique_ids(), [(1, "0000000A00000ABC".to_string())]);
    }

    #[test]
    fn error_texts_follow_rfc1939() {
        let none = NumberError::NoSuchMessage { count: 2 };
        assert_eq!(
            none.to_string(),
            "no such message, only 2 messages in maildrop"
        );
        assert_eq!(
            NumberError::Deleted(2).to_string(),
            "message 2 already deleted"
        );
        assert_eq!(messages(1), "1 message");
    }
}

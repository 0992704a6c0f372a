//! SEARCH and UID SEARCH (RFC 9051 section 6.4.4), answered in the
//! IMAP4rev1 form `* SEARCH 1 2 3`. Every key of the base protocol is
//! understood: flags and keywords, sizes, internal and sent dates, header
//! fields and text (case-insensitive substrings of the raw message, as
//! Dovecot matches ASCII), sequence and UID sets, NOT, OR and lists.

use std::cmp::Ordering::{self, Equal, Greater, Less};
use std::num::NonZeroU32;

use imap_codec::imap_types::{
    core::{AString, Charset},
    datetime::NaiveDate,
    response::{Code, Data},
    search::SearchKey,
};
use mail_parser::MessageParser;

use super::dates::{day_of, day_of_unix};
use super::fetch::header_end;
use super::selected::contains;
use super::words::Done;
use super::{Mailstore, MessageView, Server};

/// What a key is checked against: one message and where it stands.
struct Candidate<'m, 'a> {
    seq: u32,
    count: u32,
    largest_uid: u32,
    message: &'m MessageView<'a>,
}

impl Server {
    pub(super) fn search(
        &mut self,
        charset: Option<&Charset<'_>>,
        criteria: &[SearchKey<'_>],
        uid: bool,
        store: &mut dyn Mailstore,
    ) -> Done {
        let command = if uid { "UID SEARCH" } else { "SEARCH" };
        if let Some(charset) = charset {
            let name = charset.as_ref();
            if !name.eq_ignore_ascii_case("US-ASCII") && !name.eq_ignore_ascii_case("UTF-8") {
                let allowed = ["US-ASCII", "UTF-8"]
                    .into_iter()
                    .filter_map(|c| Charset::try_from(c).ok())
                    .collect();
                return Done::no(Some(Code::BadCharset { allowed }), "Unsupported charset");
            }
        }
        let Some(selected) = &self.selected else {
            return Done::bad(command, "No mailbox selected.");
        };
        let count = u32::try_from(selected.uids.len()).unwrap_or(u32::MAX);
        let largest_uid = selected.uids.last().copied().unwrap_or(0);
        let mut found = Vec::new();
        if let Some(view) = store.folder(&self.user_name(), &selected.folder) {
            for (seq, u) in (1u32..).zip(selected.uids.iter().copied()) {
                let Ok(at) = view.messages.binary_search_by_key(&u, |m| m.uid) else {
                    continue;
                };
                let candidate = Candidate {
                    seq,
                    count,
                    largest_uid,
                    message: &view.messages[at],
                };
                if criteria.iter().all(|key| candidate.matches(key)) {
                    found.extend(NonZeroU32::new(if uid { u } else { seq }));
                }
            }
        }
        self.enqueue_data(Data::Search(found));
        Done::ok("Search completed.")
    }
}

impl Candidate<'_, '_> {
    fn matches(&self, key: &SearchKey<'_>) -> bool {
        use SearchKey as K;
        let m = self.message;
        let flag = |f: &str| m.flags.contains(f);
        match key {
            K::All | K::Old => true,
            K::New | K::Recent => false,
            K::And(keys) => keys.as_ref().iter().all(|k| self.matches(k)),
            K::Or(a, b) => self.matches(a) || self.matches(b),
            K::Not(k) => !self.matches(k),
            K::SequenceSet(set) => contains(set, self.seq, self.count),
            K::Uid(set) => contains(set, m.uid, self.largest_uid),
            K::Answered => flag("\\Answered"),
            K::Deleted => flag("\\Deleted"),
            K::Draft => flag("\\Draft"),
            K::Flagged => flag("\\Flagged"),
            K::Seen => flag("\\Seen"),
            K::Unanswered => !flag("\\Answered"),
            K::Undeleted => !flag("\\Deleted"),
            K::Undraft => !flag("\\Draft"),
            K::Unflagged => !flag("\\Flagged"),
            K::Unseen => !flag("\\Seen"),
            K::Keyword(k) => flag(k.as_ref()),
            K::Unkeyword(k) => !flag(k.as_ref()),
            K::Larger(n) => m.size > *n as usize,
            K::Smaller(n) => m.size < *n as usize,
            K::Before(d) => day_of_unix(m.internal_date, d) == Some(Less),
            K::On(d) => day_of_unix(m.internal_date, d) == Some(Equal),
            K::Since(d) => matches!(day_of_unix(m.internal_date, d), Some(Equal | Greater)),
            K::SentBefore(d) => sent(m, d) == Some(Less),
            K::SentOn(d) => sent(m, d) == Some(Equal),
            K::SentSince(d) => matches!(sent(m, d), Some(Equal | Greater)),
            K::Subject(s) => header_has(m.eml, "Subject", s),
            K::From(s) => header_has(m.eml, "From", s),
            K::To(s) => header_has(m.eml, "To", s),
            K::Cc(s) => header_has(m.eml, "Cc", s),
            K::Bcc(s) => header_has(m.eml, "Bcc", s),
            K::Header(field, s) => {
                let field = String::from_utf8_lossy(field.as_ref()).into_owned();
                header_has(m.eml, &field, s)
            }
            K::Body(s) => has(&m.eml[header_end(m.eml)..], s.as_ref()),
            K::Text(s) => has(m.eml, s.as_ref()),
            #[allow(unreachable_patterns)]
            _ => false,
        }
    }
}

/// How the day of the Date header, as written (its own zone), compares
/// with a SEARCH date.
fn sent(m: &MessageView<'_>, date: &NaiveDate) -> Option<Ordering> {
    let message = MessageParser::new().parse_headers(m.eml)?;
    let sent = message.date()?;
    day_of(
        i32::from(sent.year),
        u32::from(sent.month),
        u32::from(sent.day),
        date,
    )
}

/// Whether a header field of this name holds the text (an empty text
/// asks only that the field be there).
fn header_has(eml: &[u8], field: &str, text: &AString<'_>) -> bool {
    let header = &eml[..header_end(eml)];
    let mut value: Option<Vec<u8>> = None;
    let mut found = false;
    for line in header.split_inclusive(|&b| b == b'\n') {
        let folded = line.starts_with(b" ") || line.starts_with(b"\t");
        if !folded {
            if let Some(v) = value.take() {
                found |= has(&v, text.as_ref());
            }
            if let Some((name, rest)) = split_colon(line)
                && name.trim_ascii().eq_ignore_ascii_case(field.as_bytes())
            {
                value = Some(rest.to_vec());
            }
        } else if let Some(v) = value.as_mut() {
            v.extend_from_slice(line);
        }
    }
    if let Some(v) = value {
        found |= has(&v, text.as_ref());
    }
    found
}

fn split_colon(line: &[u8]) -> Option<(&[u8], &[u8])> {
    let at = line.iter().position(|&b| b == b':')?;
    Some((&line[..at], &line[at + 1..]))
}

/// Case-insensitive (ASCII) substring, in linear time (std's two-way
/// search), whatever the client searches for.
fn has(haystack: &[u8], needle: &[u8]) -> bool {
    let haystack = String::from_utf8_lossy(haystack).to_ascii_lowercase();
    let needle = String::from_utf8_lossy(needle).to_ascii_lowercase();
    haystack.contains(&needle)
}

//! The words of the answers: a command's outcome before it is tagged, the
//! response codes imap-types has no variant for, text made safe for a
//! response line from whatever the client sent, and what can be made out
//! of a line imap-codec could not read (its tag, its command's name).

use imap_codec::imap_types::{
    core::{Tag, Text},
    response::{Code, CodeOther, Status, StatusBody, StatusKind, Tagged},
};

/// How a command ended, before the tag is put on it.
#[derive(Debug)]
pub(super) struct Done {
    pub kind: StatusKind,
    pub code: Option<Code<'static>>,
    pub text: String,
}

impl Done {
    pub fn ok(text: impl Into<String>) -> Done {
        Done {
            kind: StatusKind::Ok,
            code: None,
            text: text.into(),
        }
    }

    pub fn ok_with(code: Code<'static>, text: impl Into<String>) -> Done {
        Done {
            code: Some(code),
            ..Done::ok(text)
        }
    }

    pub fn no(code: Option<Code<'static>>, text: impl Into<String>) -> Done {
        Done {
            kind: StatusKind::No,
            code,
            text: text.into(),
        }
    }

    /// A protocol error, worded as Dovecot words them: `Error in IMAP
    /// command NAME: reason`.
    pub fn bad(command: &str, reason: &str) -> Done {
        let text = if command.is_empty() {
            format!("Error in IMAP command: {reason}")
        } else {
            format!("Error in IMAP command {}: {reason}", printable(command))
        };
        Done {
            kind: StatusKind::Bad,
            code: None,
            text,
        }
    }

    pub fn tagged(self, tag: Tag<'static>) -> Status<'static> {
        Status::Tagged(Tagged {
            tag,
            body: StatusBody {
                kind: self.kind,
                code: self.code,
                text: text(&self.text),
            },
        })
    }
}

/// `[NONEXISTENT]`, `[AUTHENTICATIONFAILED]`, … (RFC 5530), which
/// imap-types carries as `Other`.
pub(super) fn code(name: &'static str) -> Code<'static> {
    Code::Other(CodeOther::unvalidated(name.as_bytes()))
}

/// `NO [NONEXISTENT] Mailbox doesn't exist: NAME`.
pub(super) fn nonexistent(name: &str) -> Done {
    Done::no(
        Some(code("NONEXISTENT")),
        format!("Mailbox doesn't exist: {}", printable(name)),
    )
}

/// Text for a response line: printable ASCII only (a name the client sent
/// may hold anything), never empty, never ending like a literal's
/// announcement.
pub(super) fn text(s: &str) -> Text<'static> {
    let mut clean: String = s.chars().map(ascii).collect();
    if clean.is_empty() || clean.starts_with('[') {
        clean.insert(0, '.');
    }
    // A line ending in `{5}` announces a literal to a client's framer,
    // which would then read the next response as its bytes.
    if clean.ends_with('}') {
        clean.push('.');
    }
    Text::unvalidated(clean)
}

/// `s` with every byte outside printable ASCII as `?`, at most 100
/// characters.
pub(super) fn printable(s: &str) -> String {
    s.chars().take(100).map(ascii).collect()
}

fn ascii(c: char) -> char {
    if (' '..='~').contains(&c) { c } else { '?' }
}

/// The tag and command name of a line imap-codec could not read, as far
/// as they can be made out: the tag if it is a valid one, the name in
/// capitals (`UID FETCH` for a UID command).
pub(super) fn tag_and_name(bytes: &[u8]) -> (Option<Tag<'static>>, Option<String>) {
    let line = bytes
        .split(|&b| b == b'\r' || b == b'\n')
        .next()
        .unwrap_or_default();
    let mut words = line.split(|&b| b == b' ');
    let tag = words
        .next()
        .filter(|t| Tag::validate(t).is_ok())
        .map(|t| Tag::unvalidated(String::from_utf8_lossy(t).into_owned()));
    let upper = |w: &[u8]| String::from_utf8_lossy(w).to_ascii_uppercase();
    let name = words.next().filter(|w| !w.is_empty()).map(|w| {
        let name = upper(w);
        match words.next() {
            Some(sub) if name == "UID" && !sub.is_empty() => format!("UID {}", upper(sub)),
            _ => name,
        }
    });
    (tag, name)
}

/// Commands of IMAP4rev1 and rev2 and their common extensions: a line
/// naming one of these that does not parse has bad arguments, any other
/// name is unknown.
pub(super) fn known_command(name: &str) -> bool {
    const KNOWN: &[&str] = &[
        "CAPABILITY",
        "NOOP",
        "LOGOUT",
        "STARTTLS",
        "AUTHENTICATE",
        "LOGIN",
        "SELECT",
        "EXAMINE",
        "CREATE",
        "DELETE",
        "RENAME",
        "SUBSCRIBE",
        "UNSUBSCRIBE",
        "LIST",
        "LSUB",
        "STATUS",
        "APPEND",
        "CHECK",
        "CLOSE",
        "UNSELECT",
        "EXPUNGE",
        "SEARCH",
        "FETCH",
        "STORE",
        "COPY",
        "MOVE",
        "IDLE",
        "ENABLE",
        "NAMESPACE",
        "ID",
        "UID FETCH",
        "UID STORE",
        "UID SEARCH",
        "UID COPY",
        "UID MOVE",
        "UID EXPUNGE",
    ];
    KNOWN.contains(&name)
}

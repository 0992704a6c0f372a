//! Reading one POP3 command line, strictly.
//!
//! RFC 1939 section 3: a command is a case-insensitive keyword, then
//! arguments, each after exactly one space; the line ends with CRLF (the
//! framing in `mod.rs` has already checked that, and the 255-octet limit of
//! RFC 2449 section 4). What the grammar does not allow gets its own
//! [`SyntaxError`], whose text is the `-ERR` line the client reads.
//!
//! ```text
//! C: LIST                 C: TOP 2 0              C: PASS my secret
//! C: uidl 1               C: AUTH PLAIN AGJvYgBwdw==
//! ```
//!
//! `PASS` is the one exception to "arguments separated by spaces": its
//! argument is the rest of the line, since a password may contain spaces
//! (RFC 1939 section 7).

use std::fmt;

/// A command of RFC 1939, RFC 2449 (CAPA), RFC 2595 (STLS) or RFC 5034
/// (AUTH). Message numbers are as the client wrote them, not yet checked
/// against the maildrop.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Command {
    /// `CAPA`: list the capabilities.
    Capa,
    /// `STLS`: start TLS.
    Stls,
    /// `USER name`.
    User(String),
    /// `PASS string`: everything after `PASS `.
    Pass(String),
    /// `AUTH mechanism [initial-response]`; the mechanism in upper case.
    Auth {
        mechanism: String,
        initial: Option<String>,
    },
    /// `QUIT`.
    Quit,
    /// `STAT`: count and size of the maildrop.
    Stat,
    /// `LIST [msg]`: sizes.
    List(Option<usize>),
    /// `UIDL [msg]`: unique ids.
    Uidl(Option<usize>),
    /// `TOP msg n`: the header and the first `n` lines of the body.
    Top(usize, usize),
    /// `RETR msg`: the whole message.
    Retr(usize),
    /// `DELE msg`: mark for deletion at QUIT.
    Dele(usize),
    /// `NOOP`.
    Noop,
    /// `RSET`: unmark every deletion.
    Rset,
}

/// Why a line is not a command. `Display` is the text after `-ERR `.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum SyntaxError {
    Empty,
    /// A control character (tab, NUL, a bare CR…) or bytes that are not UTF-8.
    BadCharacters,
    /// A keyword nobody defined (shown in upper case).
    Unknown(String),
    /// Two spaces in a row, or a space at the end.
    Spacing,
    /// The wrong number of arguments; the usage of the command.
    Usage(&'static str),
    /// A message number that is not a decimal number.
    BadNumber,
    /// A line count (TOP) that is not a decimal number.
    BadLineCount,
}

impl fmt::Display for SyntaxError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            SyntaxError::Empty => f.write_str("empty command"),
            SyntaxError::BadCharacters => f.write_str("invalid characters in command"),
            SyntaxError::Unknown(keyword) => write!(f, "unknown command: {keyword}"),
            SyntaxError::Spacing => f.write_str("arguments must be separated by single spaces"),
            SyntaxError::Usage(usage) => write!(f, "usage: {usage}"),
            SyntaxError::BadNumber => f.write_str("invalid message number"),
            SyntaxError::BadLineCount => f.write_str("invalid number of lines"),
        }
    }
}

/// Parses one command line, without its CRLF.
pub fn parse(line: &[u8]) -> Result<Command, SyntaxError> {
    if line.is_empty() {
        return Err(SyntaxError::Empty);
    }
    let Ok(line) = std::str::from_utf8(line) else {
        return Err(SyntaxError::BadCharacters);
    };
    if line.chars().any(char::is_control) {
        return Err(SyntaxError::BadCharacters);
    }
    let (keyword, rest) = match line.split_once(' ') {
        Some((keyword, rest)) => (keyword, Some(rest)),
        None => (line, None),
    };
    let keyword = keyword.to_ascii_uppercase();
    if keyword == "PASS" {
        return match rest {
            Some(password) if !password.is_empty() => Ok(Command::Pass(password.to_string())),
            _ => Err(SyntaxError::Usage("PASS string")),
        };
    }
    let args: Vec<&str> = match rest {
        None => Vec::new(),
        Some(rest) => rest.split(' ').collect(),
    };
    if keyword.is_empty() || args.iter().any(|a| a.is_empty()) {
        return Err(SyntaxError::Spacing);
    }
    match (keyword.as_str(), args.as_slice()) {
        ("CAPA", []) => Ok(Command::Capa),
        ("STLS", []) => Ok(Command::Stls),
        ("QUIT", []) => Ok(Command::Quit),
        ("STAT", []) => Ok(Command::Stat),
        ("NOOP", []) => Ok(Command::Noop),
        ("RSET", []) => Ok(Command::Rset),
        ("USER", [name]) => Ok(Command::User(name.to_string())),
        ("AUTH", [mechanism]) => Ok(Command::Auth {
            mechanism: mechanism.to_ascii_uppercase(),
            initial: None,
        }),
        ("AUTH", [mechanism, initial]) => Ok(Command::Auth {
            mechanism: mechanism.to_ascii_uppercase(),
            initial: Some(initial.to_string()),
        }),
        ("LIST", []) => Ok(Command::List(None)),
        ("LIST", [n]) => Ok(Command::List(Some(number(n)?))),
        ("UIDL", []) => Ok(Command::Uidl(None)),
        ("UIDL", [n]) => Ok(Command::Uidl(Some(number(n)?))),
        ("RETR", [n]) => Ok(Command::Retr(number(n)?)),
        ("DELE", [n]) => Ok(Command::Dele(number(n)?)),
        ("TOP", [n, lines]) => {
            let n = number(n)?;
            let lines = number(lines).map_err(|_| SyntaxError::BadLineCount)?;
            Ok(Command::Top(n, lines))
        }
        (keyword, _) => Err(usage(keyword).map_or_else(
            || SyntaxError::Unknown(keyword.to_string()),
            SyntaxError::Usage,
        )),
    }
}

/// How a known command is written, for the `-ERR usage:` reply.
fn usage(keyword: &str) -> Option<&'static str> {
    Some(match keyword {
        "CAPA" => "CAPA",
        "STLS" => "STLS",
        "QUIT" => "QUIT",
        "STAT" => "STAT",
        "NOOP" => "NOOP",
        "RSET" => "RSET",
        "USER" => "USER name",
        "AUTH" => "AUTH mechanism [initial-response]",
        "LIST" => "LIST [msg]",
        "UIDL" => "UIDL [msg]",
        "RETR" => "RETR msg",
        "DELE" => "DELE msg",
        "TOP" => "TOP msg n",
        _ => return None,
    })
}

/// A decimal number: digits only, no sign, no spaces; too large is wrong
/// too (no maildrop holds that many messages).
fn number(text: &str) -> Result<usize, SyntaxError> {
    if !text.bytes().all(|b| b.is_ascii_digit()) {
        return Err(SyntaxError::BadNumber);
    }
    text.parse().map_err(|_| SyntaxError::BadNumber)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn rfc1939_keywords_are_case_insensitive() {
        assert_eq!(parse(b"stat"), Ok(Command::Stat));
        assert_eq!(parse(b"LiSt 2"), Ok(Command::List(Some(2))));
        assert_eq!(parse(b"top 1 0"), Ok(Command::Top(1, 0)));
        assert_eq!(
            parse(b"auth plain AGIAcA=="),
            Ok(Command::Auth {
                mechanism: "PLAIN".into(),
                initial: Some("AGIAcA==".into())
            })
        );
    }

    #[test]
    fn pass_takes_the_rest_of_the_line_spaces_included() {
        assert_eq!(parse(b"PASS a b  c "), Ok(Command::Pass("a b  c ".into())));
        assert_eq!(parse(b"PASS"), Err(SyntaxError::Usage("PASS string")));
        assert_eq!(parse(b"PASS "), Err(SyntaxError::Usage("PASS string")));
    }

    #[test]
    fn arguments_need_exactly_one_space_before_each() {
        for line in [&b"LIST  1"[..], b"LIST 1 ", b"STAT ", b" STAT", b"TOP 1  2"] {
            assert_eq!(parse(line), Err(SyntaxError::Spacing), "{line:?}");
        }
    }

    #[test]
    fn numbers_are_plain_decimal() {
        for line in [
            &b"RETR x"[..],
            b"RETR -1",
            b"RETR +1",
            b"DELE 1.0",
            b"LIST 99999999999999999999999",
        ] {
            assert_eq!(parse(line), Err(SyntaxError::BadNumber), "{line:?}");
        }
        assert_eq!(parse(b"TOP 1 x"), Err(SyntaxError::BadLineCount));
        assert_eq!(parse(b"TOP x 1"), Err(SyntaxError::BadNumber));
        assert_eq!(parse(b"RETR 007"), Ok(Command::Retr(7)));
    }

    #[test]
    fn wrong_argument_counts_show_the_usage() {
        assert_eq!(parse(b"RETR"), Err(SyntaxError::Usage("RETR msg")));
        assert_eq!(parse(b"TOP 1"), Err(SyntaxError::Usage("TOP msg n")));
        assert_eq!(parse(b"STAT 1"), Err(SyntaxError::Usage("STAT")));
        assert_eq!(parse(b"USER a b"), Err(SyntaxError::Usage("USER name")));
        assert_eq!(
            parse(b"AUTH"),
            Err(SyntaxError::Usage("AUTH mechanism [initial-response]"))
        );
    }

    #[test]
    fn control_characters_and_unknown_keywords_are_refused() {
        assert_eq!(parse(b""), Err(SyntaxError::Empty));
        assert_eq!(parse(b"STAT\t"), Err(SyntaxError::BadCharacters));
        assert_eq!(parse(b"NO\rOP"), Err(SyntaxError::BadCharacters));
        assert_eq!(parse(b"USER \xff"), Err(SyntaxError::BadCharacters));
        assert_eq!(
            parse(b"apop bob x"),
            Err(SyntaxError::Unknown("APOP".into()))
        );
        assert_eq!(
            SyntaxError::Unknown("LAST".into()).to_string(),
            "unknown command: LAST"
        );
    }
}

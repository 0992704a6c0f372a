//! What someone without the recipient's key sees of a message: the one rule
//! every party of the ledger is judged by.
//!
//! A server's operator, anyone on a plaintext link, and (later) an attacker
//! on the path all hold the same thing: the message's bytes, and the
//! envelope that came with them (MAIL FROM, RCPT TO). End-to-end encryption
//! (PGP/MIME, RFC 3156) hides the body only: the header section stays in
//! the clear, the Subject included, unless the client protected it (RFC
//! 9788), in which case the Subject in sight is a placeholder such as
//! `...` and the real one is inside.

use mail_parser::{MessageParser, MimeHeaders as _};
use serde::Serialize;

/// What a reader without the key gets from a message's bytes.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Sight {
    /// The Subject as it stands in the header section (the placeholder when
    /// headers are protected); `None` when the message has none.
    pub subject: Option<String>,
    /// The Subject in sight is a placeholder: the real one is encrypted.
    pub subject_hidden: bool,
    /// The body is encrypted end to end: only its recipients' keys open it.
    pub body_encrypted: bool,
}

impl Sight {
    /// Reads `eml` as a server or a wiretapper would, without any key. Only
    /// the header section is parsed: it says whether the body is encrypted.
    pub fn of(eml: &[u8]) -> Sight {
        let Some(message) = MessageParser::default().parse_headers(eml) else {
            return Sight {
                subject: None,
                subject_hidden: false,
                body_encrypted: false,
            };
        };
        let body_encrypted = message.content_type().is_some_and(|c| {
            c.ctype().eq_ignore_ascii_case("multipart")
                && c.subtype()
                    .is_some_and(|s| s.eq_ignore_ascii_case("encrypted"))
        });
        let subject = message.subject().map(str::to_string);
        let subject_hidden = body_encrypted
            && subject
                .as_deref()
                .is_some_and(|s| matches!(s.trim(), "..." | "[...]" | "…"));
        Sight {
            subject,
            subject_hidden,
            body_encrypted,
        }
    }

    /// The Subject a reader learns from the bytes: none when it is hidden.
    pub fn readable_subject(&self) -> Option<&str> {
        self.subject.as_deref().filter(|_| !self.subject_hidden)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_plain_message_is_all_in_sight() {
        let s = Sight::of(b"From: a@x.test\r\nSubject: Lunch?\r\n\r\nAre you free?\r\n");
        assert_eq!(s.readable_subject(), Some("Lunch?"));
        assert!(!s.body_encrypted);
    }

    #[test]
    fn pgp_mime_hides_the_body_and_a_protected_subject() {
        let eml = b"Subject: ...\r\nContent-Type: multipart/encrypted; protocol=\"application/pgp-encrypted\"; boundary=\"b\"\r\n\r\n--b\r\nContent-Type: application/pgp-encrypted\r\n\r\nVersion: 1\r\n--b\r\nContent-Type: application/octet-stream\r\n\r\n-----BEGIN PGP MESSAGE-----\r\n\r\nwcFMA\r\n-----END PGP MESSAGE-----\r\n--b--\r\n";
        let s = Sight::of(eml);
        assert!(s.body_encrypted);
        assert!(s.subject_hidden);
        assert_eq!(s.readable_subject(), None);
        let open = String::from_utf8_lossy(eml).replace("Subject: ...", "Subject: Lunch?");
        let s = Sight::of(open.as_bytes());
        assert!(s.body_encrypted);
        assert_eq!(s.readable_subject(), Some("Lunch?"));
    }

    #[test]
    fn garbage_is_told_not_panicked() {
        let s = Sight::of(b"\xff\xfe\x00");
        assert!(!s.body_encrypted);
    }
}

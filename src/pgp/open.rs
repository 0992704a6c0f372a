//! Reading an encrypted message, as the recipient's mail client does when
//! it downloads one: find the PGP/MIME part, decrypt it with the reader's
//! secret key, check the signature made inside it, and read the inner part
//! (its protected Subject, if any, and its text).

use mail_parser::{MessageParser, MimeHeaders as _};
use pgp::composed::Message;
use pgp::types::Password;
use serde::{Deserialize, Serialize};

use super::Keys;

/// What the signature inside an encrypted message says.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum SignatureCheck {
    /// Made by the key the reader has for the sender, over these bytes.
    Good,
    /// Signed, but not by the sender's key over these bytes (changed on the
    /// way, or signed by someone else).
    Bad,
    /// Signed, and the reader has no key for the sender to check it with.
    UnknownKey,
    /// Not signed.
    Unsigned,
}

/// A decrypted message.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Opened {
    /// The Subject inside, when the sender protected the headers.
    pub inner_subject: Option<String>,
    /// The text of the inner part.
    pub body: String,
    pub signature: SignatureCheck,
}

/// Whether `eml` is a PGP/MIME encrypted message (RFC 3156).
pub fn is_encrypted(eml: &[u8]) -> bool {
    // Most messages are not: a look for the protocol's name spares them
    // a MIME parse.
    const NAME: &[u8] = b"application/pgp-encrypted";
    eml.windows(NAME.len())
        .any(|w| w.eq_ignore_ascii_case(NAME))
        && armored_part(eml).is_some()
}

/// The armoured OpenPGP message of a `multipart/encrypted` message.
pub fn armored_part(eml: &[u8]) -> Option<String> {
    let message = MessageParser::default().parse(eml)?;
    let top = message.content_type()?;
    let encrypted = top.ctype().eq_ignore_ascii_case("multipart")
        && top
            .subtype()
            .is_some_and(|s| s.eq_ignore_ascii_case("encrypted"));
    if !encrypted {
        return None;
    }
    message.parts.iter().skip(1).find_map(|part| {
        let text = String::from_utf8_lossy(part.contents());
        text.contains("-----BEGIN PGP MESSAGE-----")
            .then(|| text.into_owned())
    })
}

/// Decrypts `eml` with `reader`'s secret key and checks the signature with
/// `sender`'s public key, when the reader has it.
pub fn open(eml: &[u8], reader: &Keys, sender: Option<&Keys>) -> Result<Opened, String> {
    let armored = armored_part(eml).ok_or("not a PGP/MIME encrypted message")?;
    let (message, _) =
        Message::from_string(&armored).map_err(|e| format!("unreadable OpenPGP message: {e}"))?;
    let mut message = message
        .decrypt(&Password::empty(), &reader.secret)
        .map_err(|e| format!("cannot decrypt with the key of {}: {e}", reader.address))?;
    if message.is_compressed() {
        message = message
            .decompress()
            .map_err(|e| format!("cannot decompress: {e}"))?;
    }
    let signed = message.is_one_pass_signed() || message.is_signed();
    let inner = message
        .as_data_vec()
        .map_err(|e| format!("cannot decrypt: {e}"))?;
    let signature = match (signed, sender) {
        (false, _) => SignatureCheck::Unsigned,
        (true, None) => SignatureCheck::UnknownKey,
        (true, Some(keys)) => {
            if message.verify(&keys.public.primary_key).is_ok() {
                SignatureCheck::Good
            } else {
                SignatureCheck::Bad
            }
        }
    };
    let part = MessageParser::default().parse(&inner);
    let protected = part.as_ref().is_some_and(|p| {
        p.content_type()
            .and_then(|c| c.attribute("protected-headers"))
            .is_some()
            || p.content_type().and_then(|c| c.attribute("hp")).is_some()
    });
    Ok(Opened {
        inner_subject: part
            .as_ref()
            .filter(|_| protected)
            .and_then(|p| p.subject())
            .map(str::to_string),
        body: part
            .as_ref()
            .and_then(|p| p.body_text(0))
            .map(|b| b.into_owned())
            .unwrap_or_default(),
        signature,
    })
}

#[cfg(test)]
mod tests {
    use super::super::{Letter, Sealing, key_for, seal};
    use super::*;

    const START: i64 = 1_767_603_600;

    fn letter<'a>(to: &'a [String]) -> Letter<'a> {
        Letter {
            from: "alice@home.test",
            to,
            subject: "Lunch on Friday?",
            body: "Hi Bob,\n\nAre you free?\n",
            date: START + 60,
            message_id: "m1.42@home.test",
        }
    }

    fn sealed(sign: bool, protect: bool, seed: u64) -> Vec<u8> {
        let alice = key_for(seed, "alice@home.test", START).unwrap();
        let bob = key_for(seed, "bob@friend.test", START).unwrap();
        let to = ["bob@friend.test".to_string()];
        seal(
            &letter(&to),
            &Sealing {
                seed,
                sender: &alice,
                recipients: &[bob],
                sign,
                protect_headers: protect,
            },
        )
        .unwrap()
    }

    #[test]
    fn the_recipient_reads_what_the_sender_wrote_and_the_signature_is_good() {
        let eml = sealed(true, true, 42);
        let text = String::from_utf8_lossy(&eml);
        assert!(text.contains("multipart/encrypted"));
        assert!(text.contains("Subject: ...\r\n"));
        assert!(!text.contains("Lunch"));
        assert!(!text.contains("Are you free"));
        let alice = key_for(42, "alice@home.test", START).unwrap();
        let bob = key_for(42, "bob@friend.test", START).unwrap();
        let opened = open(&eml, &bob, Some(&alice)).unwrap();
        assert_eq!(opened.inner_subject.as_deref(), Some("Lunch on Friday?"));
        assert!(opened.body.contains("Are you free?"));
        assert_eq!(opened.signature, SignatureCheck::Good);
        // The sender's own key opens it too (the Sent copy).
        assert!(open(&eml, &alice, Some(&alice)).is_ok());
        // Someone else's key does not.
        let carol = key_for(42, "carol@x.test", START).unwrap();
        assert!(open(&eml, &carol, Some(&alice)).is_err());
        // Checked with the wrong key, the signature is bad.
        assert_eq!(
            open(&eml, &bob, Some(&carol)).unwrap().signature,
            SignatureCheck::Bad
        );
        assert_eq!(
            open(&eml, &bob, None).unwrap().signature,
            SignatureCheck::UnknownKey
        );
    }

    #[test]
    fn unsigned_and_unprotected() {
        let eml = sealed(false, false, 42);
        assert!(String::from_utf8_lossy(&eml).contains("Subject: Lunch on Friday?"));
        let bob = key_for(42, "bob@friend.test", START).unwrap();
        let opened = open(&eml, &bob, None).unwrap();
        assert_eq!(opened.signature, SignatureCheck::Unsigned);
        assert_eq!(opened.inner_subject, None);
    }

    #[test]
    fn the_same_seed_gives_the_same_bytes_session_key_included() {
        assert_eq!(sealed(true, true, 7), sealed(true, true, 7));
        assert_ne!(sealed(true, true, 7), sealed(true, true, 8));
    }

    #[test]
    fn a_plain_message_is_not_opened() {
        let bob = key_for(42, "bob@friend.test", START).unwrap();
        assert!(open(b"Subject: hi\r\n\r\nhello\r\n", &bob, None).is_err());
        assert!(!is_encrypted(b"Subject: hi\r\n\r\nhello\r\n"));
        assert!(is_encrypted(&sealed(false, false, 1)));
    }
}

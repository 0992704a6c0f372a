//! Writing an encrypted message: PGP/MIME (RFC 3156), as Thunderbird,
//! Enigmail and Mutt write it.
//!
//! ```text
//! Content-Type: multipart/encrypted; protocol="application/pgp-encrypted"
//! ├─ application/pgp-encrypted      "Version: 1"
//! └─ application/octet-stream       -----BEGIN PGP MESSAGE-----
//! ```
//!
//! The armoured message holds the inner MIME part (the body, and with
//! protected headers the real Subject, From, To, Date and Message-ID:
//! RFC 9788, with `protected-headers="v1"` as Thunderbird reads it). A
//! signature is made over that part inside the encryption, sign then
//! encrypt in one OpenPGP message (RFC 3156 section 6.2), which `gpg
//! --decrypt` verifies as it decrypts. The session key is encrypted to every
//! recipient's key and to the sender's own, so the sender can read the copy
//! in their Sent folder.
//!
//! Nothing here reads a clock or the OS's randomness: the signature's time is
//! given, the MIME boundary is derived from the Message-ID, and the session
//! key, the ECDH ephemerals and SEIPD's random prefix come from a ChaCha20
//! stream keyed by the seed and the Message-ID.

use std::borrow::Cow;
use std::sync::Arc;

use mail_builder::MessageBuilder;
use mail_builder::headers::address::Address;
use mail_builder::headers::content_type::ContentType;
use mail_builder::headers::date::Date;
use mail_builder::headers::message_id::MessageId;
use mail_builder::headers::raw::Raw;
use mail_builder::headers::text::Text;
use mail_builder::mime::MimePart;
use pgp::composed::{ArmorOptions, MessageBuilder as PgpBuilder, SubpacketConfig};
use pgp::crypto::hash::HashAlgorithm;
use pgp::crypto::sym::SymmetricKeyAlgorithm;
use pgp::packet::{Subpacket, SubpacketData};
use pgp::types::{KeyDetails as _, Password, Timestamp};
use rand_chacha_06::ChaCha20Rng;
use rand_chacha_06::rand_core::SeedableRng as _;

use super::Keys;

/// The Subject a client writes on the outside when it protects headers.
pub const HIDDEN_SUBJECT: &str = "...";

/// A message as its author wrote it.
#[derive(Debug, Clone, Copy)]
pub struct Letter<'a> {
    pub from: &'a str,
    pub to: &'a [String],
    pub subject: &'a str,
    pub body: &'a str,
    /// Unix seconds of the Date header, and of the signature.
    pub date: i64,
    /// Without angle brackets.
    pub message_id: &'a str,
}

/// How to seal it.
#[derive(Debug, Clone, Copy)]
pub struct Sealing<'a> {
    pub seed: u64,
    pub sender: &'a Keys,
    /// The recipients' keys (the sender's own is added).
    pub recipients: &'a [Arc<Keys>],
    pub sign: bool,
    pub protect_headers: bool,
}

/// Writes the whole message: outer headers and the PGP/MIME body.
pub fn seal(letter: &Letter<'_>, how: &Sealing<'_>) -> Result<Vec<u8>, String> {
    let inner = inner_part(letter, how.protect_headers);
    let armored = encrypt(inner, letter, how).map_err(|e| format!("OpenPGP: {e}"))?;
    let boundary = boundary(letter.message_id);
    let body = MimePart::new(
        ContentType::new("multipart/encrypted")
            .attribute("protocol", "application/pgp-encrypted")
            .attribute("boundary", boundary),
        vec![
            MimePart::new(
                ContentType::new("application/pgp-encrypted"),
                "Version: 1\r\n",
            )
            .header(
                "Content-Description",
                Text::new("PGP/MIME version identification"),
            ),
            MimePart::new(
                ContentType::new("application/octet-stream").attribute("name", "encrypted.asc"),
                armored,
            )
            .header(
                "Content-Description",
                Text::new("OpenPGP encrypted message"),
            )
            .header(
                "Content-Disposition",
                Raw::new("inline; filename=\"encrypted.asc\""),
            ),
        ],
    );
    let subject = if how.protect_headers {
        HIDDEN_SUBJECT
    } else {
        letter.subject
    };
    MessageBuilder::new()
        .from(letter.from)
        .to(letter.to.iter().map(String::as_str).collect::<Vec<_>>())
        .subject(subject)
        .date(letter.date)
        .message_id(letter.message_id)
        .body(body)
        .write_to_vec()
        .map_err(|e| format!("writing the message: {e}"))
}

/// The part that is encrypted: the body, and with `protect` the headers a
/// reader should trust (RFC 9788's header section of the cryptographic
/// payload).
fn inner_part(letter: &Letter<'_>, protect: bool) -> Vec<u8> {
    let mut content_type = ContentType::new("text/plain").attribute("charset", "utf-8");
    if protect {
        content_type = content_type
            .attribute("protected-headers", "v1")
            .attribute("hp", "cipher");
    }
    let mut part = MimePart::new(content_type, letter.body);
    if protect {
        part = part
            .header("From", Address::new_address(None::<&str>, letter.from))
            .header(
                "To",
                Address::new_list(
                    letter
                        .to
                        .iter()
                        .map(|a| Address::new_address(None::<&str>, a.as_str()))
                        .collect(),
                ),
            )
            .header("Subject", Text::new(letter.subject))
            .header("Date", Date::new(letter.date))
            .header("Message-ID", MessageId::new(letter.message_id));
    }
    let mut out = Vec::new();
    part.write_part(&mut out);
    out
}

fn encrypt(inner: Vec<u8>, letter: &Letter<'_>, how: &Sealing<'_>) -> pgp::errors::Result<String> {
    let mut rng = ChaCha20Rng::from_seed(crate::tls::derive_bytes(
        how.seed,
        &format!("openpgp message {}", letter.message_id),
    ));
    let mut builder =
        PgpBuilder::from_bytes("", inner).seipd_v1(&mut rng, SymmetricKeyAlgorithm::AES256);
    let mut to: Vec<&Keys> = how.recipients.iter().map(|k| &**k).collect();
    to.push(how.sender);
    let mut seen = std::collections::BTreeSet::new();
    for keys in to {
        if !seen.insert(keys.fingerprint.as_str()) {
            continue;
        }
        for sub in &keys.public.public_subkeys {
            builder.encrypt_to_key(&mut rng, sub)?;
        }
    }
    let signer = &how.sender.secret.primary_key;
    if how.sign {
        let at = Timestamp::from_secs(u32::try_from(letter.date.max(0)).unwrap_or(u32::MAX));
        let subpackets = SubpacketConfig::UserDefined {
            hashed: vec![
                Subpacket::regular(SubpacketData::IssuerFingerprint(signer.fingerprint()))?,
                Subpacket::regular(SubpacketData::SignatureCreationTime(at))?,
            ],
            unhashed: vec![Subpacket::regular(SubpacketData::IssuerKeyId(
                signer.legacy_key_id(),
            ))?],
        };
        builder.sign_with_subpackets(signer, Password::empty(), HashAlgorithm::Sha256, subpackets);
    }
    builder.to_armored_string(&mut rng, ArmorOptions::default())
}

/// A MIME boundary nobody else's text will contain, the same in every run.
fn boundary(message_id: &str) -> Cow<'static, str> {
    let hash = crate::tls::derive_bytes(0, &format!("boundary {message_id}"));
    format!("----=_pgp_{}", super::keys::hex(&hash[..12])).into()
}

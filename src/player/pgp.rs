//! What the message panel shows of a copy encrypted end to end: the view
//! of whoever holds it. A server's operator gets the envelope, the header
//! section with the Subject in sight (or the placeholder of protected
//! headers) and an armoured block; the recipient's device, once its mail
//! client decrypted it, the clear text and the signature's verdict.

use serde::Serialize;

use crate::exposure::Sight;
use crate::trace::pgp::SignatureCheck;
use crate::trace::{Decrypted, Hop};

/// A holder's view of an encrypted copy.
#[derive(Debug, Clone, Serialize)]
pub struct PgpView {
    /// The envelope that came with it: MAIL FROM (empty for a download).
    pub sender: String,
    /// RCPT TO (empty for a download).
    pub recipients: Vec<String>,
    /// The Subject in the header section, when it is not a placeholder.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub subject: Option<String>,
    /// The Subject shown is a placeholder: the real one is encrypted.
    pub subject_hidden: bool,
    /// The encrypted body as it stands (`-----BEGIN PGP MESSAGE-----`...).
    pub armored: String,
    /// On the recipient's device, what its mail client opened.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub opened: Option<OpenedView>,
}

/// An encrypted copy, opened with the recipient's key.
#[derive(Debug, Clone, Serialize)]
pub struct OpenedView {
    pub ok: bool,
    /// Why not, when it could not be decrypted.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub reason: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub inner_subject: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub body: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub signature: Option<SignatureCheck>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub signer: Option<String>,
}

/// The view of the copy `eml` a hop left, `None` when it is not encrypted.
pub(super) fn view(eml: &str, hop: &Hop, decrypted: Option<&Decrypted>) -> Option<PgpView> {
    let sight = Sight::of(eml.as_bytes());
    if !sight.body_encrypted {
        return None;
    }
    Some(PgpView {
        sender: hop.sender.clone(),
        recipients: hop.recipients.clone(),
        subject: sight.readable_subject().map(str::to_string),
        subject_hidden: sight.subject_hidden,
        armored: crate::pgp::armored_part(eml.as_bytes()).unwrap_or_default(),
        opened: decrypted.map(|d| OpenedView {
            ok: d.ok,
            reason: d.reason.clone(),
            inner_subject: d.inner_subject.clone(),
            body: d.body.clone(),
            signature: d.signature,
            signer: d.signer.clone(),
        }),
    })
}

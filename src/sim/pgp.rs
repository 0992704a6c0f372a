//! A mail client's OpenPGP: sealing a message before it is submitted, and
//! opening one its user downloaded. The keys come from `crate::pgp`, one per
//! address that a mail client with `pgp` uses; every such client knows the
//! others' public keys (a keyring swapped beforehand).

use std::sync::Arc;

use super::world::World;
use crate::pgp::{self, Keys, Letter, Sealing, SignatureCheck};
use crate::scenario::Send;
use crate::scenario::pgp::WithoutKey;
use crate::trace::pgp::KeyUse;
use crate::trace::{Decrypted, Encrypted, Event, PgpNoKey};

/// What the client does with a message it was asked to encrypt.
pub(super) enum Sealed {
    /// Send these bytes.
    Send(Vec<u8>),
    /// Send the message as it is, unencrypted (`without_key: send-plain`).
    Plain,
    /// Send nothing: a key is missing (`refuse`); the event says so.
    Refused,
    /// Sealing failed; the reason, for a `submission_failed`.
    Failed(String),
}

/// Seals `send` (which asks to encrypt) as `message`, recording what the
/// client did: `encrypted`, or `pgp_no_key`.
pub(super) fn seal(
    world: &World,
    node: &str,
    send: &Send,
    user: &str,
    message: &str,
    message_id: &str,
) -> Sealed {
    let keys = |address: &str| pgp::scenario_key(&world.scenario, address);
    let sender = match keys(user) {
        Some(Ok(k)) => k,
        Some(Err(reason)) => return Sealed::Failed(reason),
        None => return Sealed::Failed(format!("{user} has no OpenPGP key")),
    };
    let mut recipients: Vec<Arc<Keys>> = Vec::new();
    let mut missing = Vec::new();
    for to in &send.to {
        match keys(to) {
            Some(Ok(k)) => recipients.push(k),
            Some(Err(reason)) => return Sealed::Failed(reason),
            None => missing.push(to.clone()),
        }
    }
    if !missing.is_empty() {
        world.emit(Event::PgpNoKey(Box::new(PgpNoKey {
            node: node.to_string(),
            message: message.to_string(),
            missing,
            action: send.without_key,
        })));
        return match send.without_key {
            WithoutKey::Refuse => Sealed::Refused,
            WithoutKey::SendPlain => Sealed::Plain,
        };
    }
    let letter = Letter {
        from: user,
        to: &send.to,
        subject: &send.subject,
        body: &send.body,
        date: world.clock.unix_now(),
        message_id,
    };
    let how = Sealing {
        seed: world.scenario.seed,
        sender: &sender,
        recipients: &recipients,
        sign: send.sign,
        protect_headers: send.protect_headers,
    };
    match pgp::seal(&letter, &how) {
        Ok(bytes) => {
            let mut used: Vec<KeyUse> = Vec::new();
            for k in recipients.iter().chain(std::iter::once(&sender)) {
                if used.iter().all(|u| u.fingerprint != k.fingerprint) {
                    used.push(KeyUse {
                        address: k.address.clone(),
                        fingerprint: k.fingerprint.clone(),
                        key_id: k.encryption_key_id.clone(),
                    });
                }
            }
            world.emit(Event::Encrypted(Box::new(Encrypted {
                node: node.to_string(),
                message: message.to_string(),
                keys: used,
                signed: send.sign,
                protected_headers: send.protect_headers,
            })));
            Sealed::Send(bytes)
        }
        Err(reason) => Sealed::Failed(reason),
    }
}

/// What the reading client made of a download: whether its user can read
/// it, and the Subject it shows (the protected one when there is one).
pub(super) struct Opening {
    pub readable: bool,
    pub subject: Option<String>,
    /// The event to record after the copy, for an encrypted message.
    pub event: Option<Event>,
}

/// Opens a downloaded message, when it is encrypted, with the key of the
/// client's user.
pub(super) fn open(world: &World, node: &str, user: &str, message: &str, raw: &[u8]) -> Opening {
    if !pgp::is_encrypted(raw) {
        return Opening {
            readable: true,
            subject: None,
            event: None,
        };
    }
    let mut decrypted = Decrypted {
        node: node.to_string(),
        message: message.to_string(),
        address: user.to_string(),
        ok: false,
        reason: None,
        signature: None,
        signer: None,
        inner_subject: None,
        body: None,
    };
    let has_key = world.node(node).is_some_and(|n| n.pgp.is_some());
    let own = if has_key {
        pgp::scenario_key(&world.scenario, user)
    } else {
        None
    };
    match own {
        None => decrypted.reason = Some(format!("{user} has no OpenPGP key")),
        Some(Err(reason)) => decrypted.reason = Some(reason),
        Some(Ok(own)) => {
            let from = mail_parser::MessageParser::default()
                .parse_headers(raw)
                .and_then(|m| {
                    m.from()
                        .and_then(|f| f.first())
                        .and_then(|a| a.address())
                        .map(str::to_string)
                });
            let sender = from
                .as_deref()
                .and_then(|a| pgp::scenario_key(&world.scenario, a))
                .and_then(Result::ok);
            match pgp::open(raw, &own, sender.as_deref()) {
                Ok(opened) => {
                    decrypted.ok = true;
                    decrypted.signature = Some(opened.signature);
                    decrypted.signer = from.filter(|_| opened.signature == SignatureCheck::Good);
                    decrypted.inner_subject = opened.inner_subject;
                    decrypted.body = Some(opened.body);
                }
                Err(reason) => decrypted.reason = Some(reason),
            }
        }
    }
    Opening {
        readable: decrypted.ok,
        subject: decrypted.inner_subject.clone(),
        event: Some(Event::Decrypted(Box::new(decrypted))),
    }
}

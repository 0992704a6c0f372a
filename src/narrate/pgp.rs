//! End-to-end encryption in words: a client encrypting, lacking a key,
//! and the recipient's client opening what it downloaded.

use super::Narration;
use crate::trace::pgp::{SignatureCheck, WithoutKey};
use crate::trace::{Decrypted, Encrypted, PgpNoKey};

pub(super) fn encrypted(e: &Encrypted) -> Narration {
    let Encrypted {
        node,
        message,
        keys,
        signed,
        protected_headers,
    } = e;
    let to: Vec<&str> = keys.iter().map(|k| k.address.as_str()).collect();
    let to = to.join(", ");
    let (mut en, mut pt) = (
        format!("{node} encrypts {message} with OpenPGP to the keys of {to}"),
        format!("{node} cifra {message} com OpenPGP para as chaves de {to}"),
    );
    if *signed {
        en.push_str(", signed inside");
        pt.push_str(", com assinatura por dentro");
    }
    if *protected_headers {
        en.push_str("; the real Subject goes inside, servers see \"...\"");
        pt.push_str("; o Subject real vai por dentro, os servidores veem \"...\"");
    }
    Narration::at(node, en, pt)
}

pub(super) fn no_key(n: &PgpNoKey) -> Narration {
    let PgpNoKey {
        node,
        message,
        missing,
        action,
    } = n;
    let missing = missing.join(", ");
    let (en, pt) = match action {
        WithoutKey::Refuse => (
            format!(
                "{node} has no OpenPGP key for {missing} and sends nothing: {message} stays unsent"
            ),
            format!(
                "{node} não tem chave OpenPGP de {missing} e não envia nada: {message} fica sem enviar"
            ),
        ),
        WithoutKey::SendPlain => (
            format!(
                "{node} has no OpenPGP key for {missing} and sends {message} unencrypted, readable by every server on the way"
            ),
            format!(
                "{node} não tem chave OpenPGP de {missing} e envia {message} sem cifrar, legível por todos os servidores do caminho"
            ),
        ),
    };
    Narration::at(node, en, pt)
}

pub(super) fn decrypted(d: &Decrypted) -> Narration {
    let Decrypted {
        node,
        message,
        address,
        ok,
        reason,
        signature,
        signer,
        inner_subject,
        ..
    } = d;
    if !ok {
        let reason = reason.as_deref().unwrap_or("unknown");
        return Narration::at(
            node,
            format!("{node} cannot decrypt {message} with the key of {address}: {reason}"),
            format!("{node} não consegue decifrar {message} com a chave de {address}: {reason}"),
        );
    }
    let signer = signer.as_deref().unwrap_or("?");
    let (sig_en, sig_pt) = match signature.unwrap_or(SignatureCheck::Unsigned) {
        SignatureCheck::Good => (
            format!("good signature from {signer}"),
            format!("assinatura válida de {signer}"),
        ),
        SignatureCheck::Bad => (
            "BAD signature: changed on the way, or not signed by the sender".to_string(),
            "assinatura INVÁLIDA: alterada no caminho, ou não assinada pelo remetente".to_string(),
        ),
        SignatureCheck::UnknownKey => (
            "signed, but the client has no key to check the signature with".to_string(),
            "assinada, mas o cliente não tem a chave para conferir a assinatura".to_string(),
        ),
        SignatureCheck::Unsigned => ("not signed".to_string(), "sem assinatura".to_string()),
    };
    let (mut en, mut pt) = (
        format!("{node} decrypts {message} with the key of {address}: {sig_en}"),
        format!("{node} decifra {message} com a chave de {address}: {sig_pt}"),
    );
    if let Some(subject) = inner_subject {
        en.push_str(&format!("; the Subject inside is {subject:?}"));
        pt.push_str(&format!("; o Subject de dentro é {subject:?}"));
    }
    Narration::at(node, en, pt)
}

#[cfg(test)]
pub(super) mod tests {
    use crate::trace::pgp::{KeyUse, SignatureCheck, WithoutKey};
    use crate::trace::{Decrypted, Encrypted, Event, PgpNoKey};

    type Told = (
        &'static str,
        &'static str,
        Option<&'static str>,
        Option<&'static str>,
        Option<&'static str>,
    );

    /// One example of each event of this file, told.
    pub(in crate::narrate) fn examples() -> Vec<(Event, Option<Told>)> {
        let s = |t: &str| t.to_string();
        vec![
            (
                Event::Encrypted(Box::new(Encrypted {
                    node: s("alice-laptop"),
                    message: s("m1"),
                    keys: vec![
                        KeyUse {
                            address: s("bob@friend.test"),
                            fingerprint: s("AB"),
                            key_id: s("CD"),
                        },
                        KeyUse {
                            address: s("alice@home.test"),
                            fingerprint: s("EF"),
                            key_id: s("01"),
                        },
                    ],
                    signed: true,
                    protected_headers: true,
                })),
                Some((
                    "alice-laptop encrypts m1 with OpenPGP to the keys of bob@friend.test, alice@home.test, signed inside; the real Subject goes inside, servers see \"...\"",
                    "alice-laptop cifra m1 com OpenPGP para as chaves de bob@friend.test, alice@home.test, com assinatura por dentro; o Subject real vai por dentro, os servidores veem \"...\"",
                    Some("alice-laptop"),
                    None,
                    None,
                )),
            ),
            (
                Event::PgpNoKey(Box::new(PgpNoKey {
                    node: s("alice-laptop"),
                    message: s("m2"),
                    missing: vec![s("carol@x.test")],
                    action: WithoutKey::Refuse,
                })),
                Some((
                    "alice-laptop has no OpenPGP key for carol@x.test and sends nothing: m2 stays unsent",
                    "alice-laptop não tem chave OpenPGP de carol@x.test e não envia nada: m2 fica sem enviar",
                    Some("alice-laptop"),
                    None,
                    None,
                )),
            ),
            (
                Event::Decrypted(Box::new(Decrypted {
                    node: s("bob-laptop"),
                    message: s("m1"),
                    address: s("bob@friend.test"),
                    ok: true,
                    reason: None,
                    signature: Some(SignatureCheck::Good),
                    signer: Some(s("alice@home.test")),
                    inner_subject: Some(s("Lunch")),
                    body: Some(s("Are you free?")),
                })),
                Some((
                    "bob-laptop decrypts m1 with the key of bob@friend.test: good signature from alice@home.test; the Subject inside is \"Lunch\"",
                    "bob-laptop decifra m1 com a chave de bob@friend.test: assinatura válida de alice@home.test; o Subject de dentro é \"Lunch\"",
                    Some("bob-laptop"),
                    None,
                    None,
                )),
            ),
        ]
    }
}

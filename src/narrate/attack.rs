//! What an attacker on the path does, in words: a connection it records,
//! bytes it changes, a DNS answer it forges.

use super::Narration;
use crate::trace::{DnsForged, Tampered, Tapped};

/// An attacker records a connection.
pub(super) fn tapped(t: &Tapped) -> Narration {
    let Tapped {
        attacker,
        conn,
        client,
        server,
    } = t;
    Narration {
        peer: Some(server.clone()),
        ..Narration::at(
            attacker,
            format!(
                "{attacker} is on the path of {conn} ({client} → {server}) and records every byte that crosses it"
            ),
            format!(
                "{attacker} está no caminho de {conn} ({client} → {server}) e grava cada byte que passa"
            ),
        )
    }
}

/// An attacker changed a line on its way.
pub(super) fn tampered(t: &Tampered) -> Narration {
    let Tampered {
        attacker,
        conn,
        before,
        after,
        ..
    } = t;
    Narration::at(
        attacker,
        format!(
            "{attacker} rewrote a line on {conn}: the server said \"{before}\", the client got \"{after}\", so it never sees STARTTLS offered"
        ),
        format!(
            "{attacker} reescreveu uma linha em {conn}: o servidor disse \"{before}\", o cliente recebeu \"{after}\" e não vê o STARTTLS oferecido"
        ),
    )
}

/// An attacker forged a DNS answer.
pub(super) fn dns_forged(f: &DnsForged) -> Narration {
    let DnsForged {
        attacker,
        node,
        name,
        rtype,
        answers,
        refused,
    } = f;
    let list = answers.join("; ");
    let (en, pt) = if *refused {
        (
            format!(
                "{attacker} forged the {rtype} answer for {name} ({list}), but {node} validates DNSSEC: the zone is signed and the forgery carries no valid signature, so {node} threw it away"
            ),
            format!(
                "{attacker} forjou a resposta {rtype} de {name} ({list}), mas {node} valida DNSSEC: a zona é assinada e a falsificação não tem assinatura válida, então {node} a descartou"
            ),
        )
    } else {
        (
            format!(
                "{attacker} answered {node}'s {rtype} question for {name} first, with forged records ({list}); nothing in unsigned DNS lets {node} tell"
            ),
            format!(
                "{attacker} respondeu primeiro à pergunta {rtype} de {node} sobre {name}, com registros forjados ({list}); nada no DNS sem assinatura permite a {node} perceber"
            ),
        )
    };
    Narration {
        peer: Some(node.clone()),
        ..Narration::at(attacker, en, pt)
    }
}

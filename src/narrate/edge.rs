//! The events of the network's edge in words: a connection a network rule
//! dropped, what a server found out about a client, greylisting.

use super::Narration;
use crate::clock::SimTime;
use crate::trace::{
    Blocked, ClientChecked, ConnectFailed, DynamicSign, GreylistPassed, Greylisted, HeloVerdict,
};

/// A connection a network rule dropped: which network, which rule, and
/// what the client saw (nothing, until it gave up).
pub(super) fn blocked(failed: &ConnectFailed, rule: &Blocked) -> Narration {
    let ConnectFailed {
        client,
        server,
        port,
        ..
    } = failed;
    let Blocked {
        network,
        range,
        except,
        ..
    } = rule;
    let (but_en, but_pt) = if except.is_empty() {
        (String::new(), String::new())
    } else {
        let list = except.join(", ");
        (format!(" but {list}"), format!(" exceto {list}"))
    };
    Narration {
        peer: Some(server.clone()),
        ..Narration::at(
            client,
            format!(
                "{client} could not connect to {server}:{port}: its network {network} ({range}) blocks outgoing SMTP to every server{but_en} and drops the attempt without a word, so the connection timed out"
            ),
            format!(
                "{client} não conseguiu se conectar a {server}:{port}: sua rede {network} ({range}) bloqueia SMTP de saída para todos os servidores{but_pt} e descarta a tentativa sem resposta, então o tempo de conexão se esgotou"
            ),
        )
    }
}

/// What a server found out about a client, fact by fact.
pub(super) fn client_checked(c: &ClientChecked) -> Narration {
    let ClientChecked {
        node,
        client,
        client_ip,
        ptr,
        fcrdns,
        helo,
        helo_verdict,
        listed,
        dynamic,
        ..
    } = c;
    let mut en = Vec::new();
    let mut pt = Vec::new();
    match (ptr, fcrdns) {
        (Some(name), true) => {
            en.push(format!("reverse DNS {name}, confirmed by its A record"));
            pt.push(format!("DNS reverso {name}, confirmado pelo registro A"));
        }
        (Some(name), false) => {
            en.push(format!(
                "reverse DNS {name}, but that name does not lead back to the address"
            ));
            pt.push(format!(
                "DNS reverso {name}, mas esse nome não aponta de volta para o endereço"
            ));
        }
        (None, _) => {
            en.push("no reverse DNS name".to_string());
            pt.push("nenhum nome no DNS reverso".to_string());
        }
    }
    let (helo_en, helo_pt) = match helo_verdict {
        HeloVerdict::Resolves => ("is a name DNS knows", "é um nome que o DNS conhece"),
        HeloVerdict::Unresolvable => ("has no address in DNS", "não tem endereço no DNS"),
        HeloVerdict::NotFqdn => (
            "is not a fully qualified name",
            "não é um nome de domínio completo",
        ),
        HeloVerdict::AddressLiteral => ("is an address, not a name", "é um endereço, não um nome"),
        HeloVerdict::Invalid => ("is not a valid name", "não é um nome válido"),
    };
    en.push(format!("HELO {helo} {helo_en}"));
    pt.push(format!("HELO {helo} {helo_pt}"));
    for listing in listed {
        let why = listing
            .reason
            .as_deref()
            .map(|r| format!(": {}", r.trim_end_matches('.')))
            .unwrap_or_default();
        en.push(format!(
            "listed by {} ({}{why})",
            listing.zone, listing.answer
        ));
        pt.push(format!(
            "listado em {} ({}{why})",
            listing.zone, listing.answer
        ));
    }
    match dynamic {
        Some(DynamicSign::Name) => {
            en.push("a home line, by its name".to_string());
            pt.push("uma linha doméstica, pelo nome".to_string());
        }
        Some(DynamicSign::Blocklist { zone }) => {
            en.push(format!("a home line, says {zone}"));
            pt.push(format!("uma linha doméstica, segundo {zone}"));
        }
        None => {}
    }
    Narration {
        peer: Some(client.clone()),
        ..Narration::at(
            node,
            format!("{node} looks up {client} ({client_ip}): {}", en.join("; ")),
            format!("{node} investiga {client} ({client_ip}): {}", pt.join("; ")),
        )
    }
}

/// `<>` for the null sender of a bounce, else the address.
fn sender_shown(sender: &str) -> &str {
    if sender.is_empty() { "<>" } else { sender }
}

/// A recipient refused for now by greylisting.
pub(super) fn greylisted(g: &Greylisted) -> Narration {
    let Greylisted {
        node,
        client,
        client_ip,
        sender,
        recipient,
        first_seen,
        retry_at,
        ..
    } = g;
    let sender = sender_shown(sender);
    let (first, retry) = (SimTime(*first_seen), SimTime(*retry_at));
    Narration {
        peer: Some(client.clone()),
        code: Some("451".to_string()),
        ..Narration::at(
            node,
            format!(
                "{node} greylists {client}: mail from {sender} to {recipient} coming from {client_ip} was first seen at {first}, so it answers 451 and takes a retry from {retry} on"
            ),
            format!(
                "{node} põe {client} na lista cinza: e-mail de {sender} para {recipient} vindo de {client_ip} apareceu pela primeira vez em {first}, então responde 451 e aceita uma nova tentativa a partir de {retry}"
            ),
        )
    }
}

/// A greylisted triplet that came back in time and got through.
pub(super) fn greylist_passed(g: &GreylistPassed) -> Narration {
    let GreylistPassed {
        node,
        client,
        client_ip,
        sender,
        recipient,
        first_seen,
        ..
    } = g;
    let sender = sender_shown(sender);
    let first = SimTime(*first_seen);
    Narration {
        peer: Some(client.clone()),
        ..Narration::at(
            node,
            format!(
                "{node} lets {client} through: it came back from {client_ip} with mail from {sender} to {recipient}, first refused at {first}, after the greylisting delay, and is now known"
            ),
            format!(
                "{node} deixa {client} passar: voltou de {client_ip} com e-mail de {sender} para {recipient}, recusado pela primeira vez em {first}, depois do prazo da lista cinza, e agora é conhecido"
            ),
        )
    }
}

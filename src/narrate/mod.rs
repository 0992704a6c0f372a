//! Events in words: the one place that tells a trace event in English and in
//! Brazilian Portuguese.
//!
//! A run's trace is data; people read sentences. Every view that tells what
//! happened (the terminal report of `mailhop run`, the web player's log,
//! timeline and captions) takes its sentences from [`narrate`], and a view
//! that needs to know which host, machine or code an event is about reads
//! the fields of [`Narration`], never the sentences.
//!
//! Reasons come in two kinds. Those mailhop words itself ("connection timed
//! out", "connect to mx.friend.test: ...") have a known shape, listed in
//! `reasons.rs` beside their Portuguese. Text quoted from elsewhere (a
//! server's SMTP reply, the TLS library's error) stays as it was said in both
//! languages: a student comparing it with a real log should find the same
//! words. A reason of no known shape is shown as it is.
//!
//! This module knows only the trace and the clock's formatting: it never runs
//! anything, so any view can use it.

mod attack;
mod cures;
mod edge;
mod pgp;
mod reasons;
mod senders;

pub use senders::{
    arc_meaning, dkim_meaning, dmarc_meaning, rule_text, sender_decision, spam_action, spf_meaning,
};

use crate::clock::SimTime;
use crate::trace::{
    Auth, Bounced, Channel, Composed, ConnectFailed, Deferred, DelayWarned, Delivered, Discovered,
    DiscoveryFailed, DiscoveryStarted, DiscoveryTry, Dropped, Event, Expunged, Flagged,
    FoundServer, Hop, Moved, QueuedAtEnd, RetrievalFailed, SubmissionFailed, Typed,
};

/// One event told in words, with the facts a view may want to act on.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Narration {
    /// The machine where it happened (the one that acted or failed), when
    /// the event names one.
    pub node: Option<String>,
    /// The other machine involved: the server a connection went to, the
    /// receiving end of a hop.
    pub peer: Option<String>,
    /// The status or reply code that decided it (`5.1.1`, `451`), when the
    /// event or its reason carries one.
    pub code: Option<String>,
    /// One line in English, without a final full stop.
    pub en: String,
    /// The same line in Brazilian Portuguese.
    pub pt: String,
}

/// A fixed phrase in both languages.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Words {
    pub en: &'static str,
    pub pt: &'static str,
}

/// A channel in words.
pub fn channel_text(channel: Channel) -> Words {
    match channel {
        Channel::Plaintext => Words {
            en: "plaintext",
            pt: "texto claro",
        },
        Channel::Tls => Words {
            en: "TLS, server not authenticated",
            pt: "TLS, servidor não autenticado",
        },
        Channel::TlsNameOnly => Words {
            en: "TLS, certificate checked against a name from DNS only",
            pt: "TLS, certificado conferido só com um nome vindo do DNS",
        },
        Channel::TlsAuthenticated => Words {
            en: "TLS, server authenticated",
            pt: "TLS, servidor autenticado",
        },
    }
}

/// The event in words, or `None` for the events no view tells as a sentence
/// (each view shows those in its own way: the conversation, the wire, DNS).
///
/// There is deliberately no catch-all arm: a new kind of event does not
/// compile until someone decides how it is told.
pub fn narrate(event: &Event) -> Option<Narration> {
    Some(match event {
        Event::NodeDown { node, until } => match until {
            Some(at) => Narration::at(
                node,
                format!("{node} goes down until {}", SimTime(*at)),
                format!("{node} sai do ar até {}", SimTime(*at)),
            ),
            None => Narration::at(
                node,
                format!("{node} goes down"),
                format!("{node} sai do ar"),
            ),
        },
        Event::NodeUp { node } => Narration::at(
            node,
            format!("{node} is back up"),
            format!("{node} volta ao ar"),
        ),
        Event::Composed(c) => {
            let Composed {
                node,
                message,
                to,
                subject,
                ..
            } = &**c;
            let to = to.join(", ");
            Narration::at(
                node,
                format!("{node} writes {message} to {to}: {subject:?}"),
                format!("{node} escreve {message} para {to}: {subject:?}"),
            )
        }
        Event::ConnectFailed(failed) => {
            if let Some(rule) = &failed.blocked {
                return Some(edge::blocked(failed, rule));
            }
            let ConnectFailed {
                client,
                server,
                port,
                reason,
                ..
            } = &**failed;
            Narration {
                peer: Some(server.clone()),
                ..Narration::at(
                    client,
                    format!("{client} could not connect to {server}:{port}"),
                    format!("{client} não conseguiu se conectar a {server}:{port}"),
                )
            }
            .because(reason)
        }
        Event::TlsFailed { conn, error } => Narration::new(
            format!("TLS failed on {conn}"),
            format!("o TLS falhou na conexão {conn}"),
        )
        .because(error),
        Event::Hop(hop) => narrate_hop(hop),
        Event::Expunged(e) => {
            let Expunged {
                node,
                message,
                mailbox,
                folder,
                uid,
                by,
                ..
            } = &**e;
            let (en, pt) = if by == "DELE" {
                (
                    format!(
                        "{node} deletes {message} from {mailbox}/{folder} (UID {uid}): the POP3 client marked it with DELE and said QUIT"
                    ),
                    format!(
                        "{node} apaga {message} de {mailbox}/{folder} (UID {uid}): o cliente POP3 marcou com DELE e disse QUIT"
                    ),
                )
            } else {
                (
                    format!("{node} expunges {message} from {mailbox}/{folder} (UID {uid})"),
                    format!("{node} remove de vez {message} de {mailbox}/{folder} (UID {uid})"),
                )
            };
            Narration::at(node, en, pt)
        }
        Event::Moved(m) => {
            let Moved {
                node,
                message,
                mailbox,
                from,
                to,
                ..
            } = &**m;
            Narration::at(
                node,
                format!("{node} moves {message} from {from} to {to} in {mailbox}'s mailbox"),
                format!("{node} move {message} de {from} para {to} na caixa de {mailbox}"),
            )
        }
        Event::Flagged(f) => {
            let Flagged {
                node,
                message,
                mailbox,
                folder,
                flags,
                ..
            } = &**f;
            let flags = if flags.is_empty() {
                "(none)".to_string()
            } else {
                flags.join(" ")
            };
            Narration::at(
                node,
                format!("{node} now keeps {message} in {mailbox}/{folder} with flags {flags}"),
                format!(
                    "{node} agora guarda {message} em {mailbox}/{folder} com as marcas {flags}"
                ),
            )
        }
        Event::RetrievalFailed(f) => {
            let RetrievalFailed {
                node,
                server,
                protocol,
                reason,
            } = &**f;
            Narration {
                peer: Some(server.clone()),
                ..Narration::at(
                    node,
                    format!("{node} could not read its mail on {server} by {protocol}"),
                    format!("{node} não conseguiu ler seus e-mails em {server} por {protocol}"),
                )
            }
            // A server's words often end a sentence ("Authentication
            // failed."); the narration is one sentence without a full stop.
            .because(reason.trim_end_matches('.'))
        }
        Event::Deferred(deferred) => {
            let Deferred {
                node,
                message,
                reason,
                ..
            } = &**deferred;
            Narration::at(
                node,
                format!("{node} deferred {message}"),
                format!("{node} adiou a entrega de {message}"),
            )
            .because(reason)
        }
        Event::RetryScheduled {
            node,
            message,
            at,
            attempt,
        } => {
            let at = SimTime(*at);
            Narration::at(
                node,
                format!("{node} will try {message} again at {at} (attempt {attempt})"),
                format!("{node} vai tentar {message} de novo em {at} (tentativa {attempt})"),
            )
        }
        Event::Delivered(delivered) => {
            let Delivered {
                node,
                message,
                recipient,
                folder,
                mailbox,
                uid,
                ..
            } = &**delivered;
            if !mailbox.eq_ignore_ascii_case(recipient) {
                Narration::at(
                    node,
                    format!(
                        "{message} for {recipient} delivered to {mailbox} ({folder}, UID {uid}) on {node}"
                    ),
                    format!(
                        "{message} para {recipient} entregue a {mailbox} ({folder}, UID {uid}) em {node}"
                    ),
                )
            } else {
                Narration::at(
                    node,
                    format!("{message} delivered to {recipient} ({folder}, UID {uid}) on {node}"),
                    format!("{message} entregue a {recipient} ({folder}, UID {uid}) em {node}"),
                )
            }
        }
        Event::Auth(auth) => {
            let Auth {
                conn,
                user,
                accepted,
                tls,
                ..
            } = &**auth;
            let (en_result, pt_result) = if *accepted {
                ("logged in", "entrou")
            } else {
                ("failed to log in", "não conseguiu entrar")
            };
            let (en_link, pt_link) = if *tls {
                ("inside TLS", "dentro do TLS")
            } else {
                (
                    "in plaintext: anyone on the link could read the password",
                    "em texto claro: qualquer um no caminho podia ler a senha",
                )
            };
            let command = auth.command();
            Narration::new(
                format!("{user} {en_result} with {command} on {conn}, {en_link}"),
                format!("{user} {pt_result} com {command} em {conn}, {pt_link}"),
            )
        }
        Event::Cut { conn, node } => Narration::at(
            node,
            format!("{node} went down in the middle of {conn}: the connection is cut"),
            format!("{node} saiu do ar no meio de {conn}: a conexão caiu"),
        ),
        Event::DelayWarned(w) => {
            let DelayWarned {
                node,
                message,
                recipients,
                dsn,
            } = &**w;
            let recipients = recipients.join(", ");
            Narration::at(
                node,
                format!(
                    "{node} told the sender that {message} for {recipients} is late but still being retried (notice {dsn})"
                ),
                format!(
                    "{node} avisou o remetente que {message} para {recipients} está atrasada, mas segue sendo tentada (aviso {dsn})"
                ),
            )
        }
        Event::Bounced(bounce) => {
            let Bounced {
                node,
                message,
                recipient,
                status,
                reason,
                dsn,
            } = &**bounce;
            bounced(node, message, recipient, status, reason, dsn.as_deref())
        }
        Event::Dropped(dropped) => {
            let Dropped {
                node,
                message,
                reason,
                ..
            } = &**dropped;
            Narration::at(
                node,
                format!("{node} dropped {message}"),
                format!("{node} descartou {message}"),
            )
            .because(reason)
        }
        Event::SubmissionFailed(failed) => {
            let SubmissionFailed {
                node,
                message,
                reason,
            } = &**failed;
            Narration::at(
                node,
                format!("{node} could not submit {message}"),
                format!("{node} não conseguiu enviar {message}"),
            )
            .because(reason)
        }
        Event::Typed(t) => {
            let Typed {
                node,
                server,
                text,
                reply,
                ..
            } = &**t;
            let (line_en, line_pt) = if text.is_empty() {
                ("an empty line".to_string(), "uma linha vazia".to_string())
            } else {
                (format!("{text:?}"), format!("{text:?}"))
            };
            let (en, pt) = match reply {
                Some(reply) => (
                    format!("{node} types {line_en} to {server}, which answers {reply:?}"),
                    format!("{node} digita {line_pt} para {server}, que responde {reply:?}"),
                ),
                None => (
                    format!("{node} types {line_en} to {server}"),
                    format!("{node} digita {line_pt} para {server}"),
                ),
            };
            Narration {
                peer: Some(server.clone()),
                code: reply
                    .as_deref()
                    .and_then(|r| r.get(..3))
                    .filter(|c| c.bytes().all(|b| b.is_ascii_digit()))
                    .map(str::to_string),
                ..Narration::at(node, en, pt)
            }
        }
        Event::TypingStopped {
            node,
            reason,
            untyped,
            ..
        } => {
            let (left_en, left_pt) = match untyped {
                1 => (
                    "1 line left untyped".to_string(),
                    "1 linha ficou sem digitar".to_string(),
                ),
                n => (
                    format!("{n} lines left untyped"),
                    format!("{n} linhas ficaram sem digitar"),
                ),
            };
            Narration::at(
                node,
                format!("{node} stops typing: {} ({left_en})", reason.en()),
                format!("{node} para de digitar: {} ({left_pt})", reason.pt()),
            )
        }
        Event::ClientChecked(c) => edge::client_checked(c),
        Event::Greylisted(g) => edge::greylisted(g),
        Event::GreylistPassed(g) => edge::greylist_passed(g),
        Event::DkimSigned(s) => senders::dkim_signed(s),
        Event::SenderChecked(s) => senders::sender_checked(s),
        Event::SpamScored(s) => senders::spam_scored(s),
        Event::Forwarded(f) => senders::forwarded(f),
        Event::Tapped(t) => attack::tapped(t),
        Event::Tampered(t) => attack::tampered(t),
        Event::DnsForged(f) => attack::dns_forged(f),
        Event::TlsPolicy(p) => cures::tls_policy(p),
        Event::TlsPolicyFailed(f) => cures::tls_policy_failed(f),
        Event::TlsReportSent(r) => cures::tls_report_sent(r),
        Event::Encrypted(e) => pgp::encrypted(e),
        Event::PgpNoKey(n) => pgp::no_key(n),
        Event::Decrypted(d) => pgp::decrypted(d),
        Event::QueuedAtEnd(q) => {
            let QueuedAtEnd {
                node,
                message,
                recipients,
            } = &**q;
            let recipients = recipients.join(", ");
            Narration::at(
                node,
                format!("{message} still queued on {node} for {recipients}"),
                format!("{message} ainda está na fila de {node}, para {recipients}"),
            )
        }
        Event::End { reason } => {
            let (en, pt) = match reason.as_str() {
                "quiescent" => ("nothing left to do", "nada mais a fazer"),
                "time_limit" => ("time limit reached", "limite de tempo atingido"),
                "event_limit" => (
                    "cut short: too many events, look for a loop",
                    "interrompida: eventos demais, procure um laço",
                ),
                "message_limit" => (
                    "cut short: too many messages, look for a loop",
                    "interrompida: mensagens demais, procure um laço",
                ),
                "byte_limit" => (
                    "cut short: the trace grew too large",
                    "interrompida: o registro ficou grande demais",
                ),
                other => (other, other),
            };
            Narration::new(
                format!("end of run ({en})"),
                format!("fim da execução ({pt})"),
            )
        }
        Event::DiscoveryStarted(d) => {
            let DiscoveryStarted {
                node,
                address,
                protocol,
            } = &**d;
            Narration::at(
                node,
                format!(
                    "{node} is set up with only {address} and a password, and looks for the servers to read mail by {protocol}"
                ),
                format!(
                    "{node} foi configurado só com {address} e uma senha, e procura os servidores para ler e-mails por {protocol}"
                ),
            )
        }
        Event::DiscoveryTry(t) => {
            let DiscoveryTry {
                node,
                method,
                target,
                found,
                result,
                ..
            } = &**t;
            let how = discovery_method(method);
            let (en, pt) = if *found {
                (
                    format!("{node} finds its servers with {} ({target})", how.en),
                    format!("{node} encontra seus servidores com {} ({target})", how.pt),
                )
            } else {
                (
                    format!("{node} tries {} ({target}), in vain", how.en),
                    format!("{node} tenta {} ({target}), sem sucesso", how.pt),
                )
            };
            Narration::at(node, en, pt).because(result)
        }
        Event::Discovered(d) => {
            let Discovered {
                node,
                incoming,
                outgoing,
            } = &**d;
            let server = |s: &FoundServer| {
                let how = discovery_method(&s.method);
                let at = format!("{} at {}:{} ({}", s.protocol, s.host, s.port, s.socket_type);
                let em = format!("{} em {}:{} ({}", s.protocol, s.host, s.port, s.socket_type);
                (
                    format!("{at}, found with {})", how.en),
                    format!("{em}, encontrado com {})", how.pt),
                )
            };
            let (read_en, read_pt) = server(incoming);
            let (send_en, send_pt) = match outgoing {
                Some(out) => {
                    let (en, pt) = server(out);
                    (format!("sends by {en}"), format!("envia por {pt}"))
                }
                None => (
                    "found no server to send with".to_string(),
                    "não encontrou servidor para enviar".to_string(),
                ),
            };
            Narration {
                peer: Some(incoming.host.clone()),
                ..Narration::at(
                    node,
                    format!("{node} now reads mail by {read_en} and {send_en}"),
                    format!("{node} agora lê e-mails por {read_pt} e {send_pt}"),
                )
            }
        }
        Event::DiscoveryFailed(f) => {
            let DiscoveryFailed {
                node,
                domain,
                reason,
            } = &**f;
            Narration::at(
                node,
                format!("{node} found no server to read mail for {domain}"),
                format!("{node} não encontrou servidor para ler e-mails de {domain}"),
            )
            .because(reason)
        }
        // Shown in their own panels (conversation, wire view, DNS, copies at
        // rest), or part of a hop's story rather than a line of their own.
        Event::DnsQuery(_)
        | Event::DnsAnswer(_)
        | Event::Connect(_)
        | Event::Line { .. }
        | Event::Discarded { .. }
        | Event::Wire(_)
        | Event::TlsHandshake(_)
        | Event::Closed { .. }
        | Event::Stored(_)
        | Event::Removed(_) => return None,
    })
}

/// A way of finding a mail account's servers, as a
/// [`DiscoveryTry`]'s `method` names it.
pub fn discovery_method(method: &str) -> Words {
    match method {
        "autoconfig" => Words {
            en: "the provider's autoconfig file",
            pt: "o arquivo de autoconfiguração do provedor",
        },
        "autoconfig-mx" => Words {
            en: "the autoconfig file of its MX host's domain",
            pt: "o arquivo de autoconfiguração do domínio do seu MX",
        },
        "autodiscover" => Words {
            en: "Autodiscover",
            pt: "o Autodiscover",
        },
        "srv" => Words {
            en: "SRV records",
            pt: "registros SRV",
        },
        "guess" => Words {
            en: "a guess",
            pt: "um palpite",
        },
        _ => Words {
            en: "another way",
            pt: "outro meio",
        },
    }
}

/// A hop in words: who handed which message to whom, and over what channel.
pub fn narrate_hop(hop: &Hop) -> Narration {
    let Hop {
        from, to, message, ..
    } = hop;
    let channel = channel_text(hop.channel);
    if let Some(spot) = &hop.mailbox {
        let (protocol, folder) = (&hop.protocol, &spot.folder);
        let (en, pt, device, server) = if !spot.appended {
            (
                format!(
                    "{to} downloads {message} from {from} ({folder}) by {protocol}: {}",
                    channel.en
                ),
                format!(
                    "{to} baixa {message} de {from} ({folder}) por {protocol}: {}",
                    channel.pt
                ),
                to,
                from,
            )
        } else {
            (
                format!(
                    "{from} saves {message} into {folder} on {to} by {protocol}: {}",
                    channel.en
                ),
                format!(
                    "{from} guarda {message} em {folder} no {to} por {protocol}: {}",
                    channel.pt
                ),
                from,
                to,
            )
        };
        return Narration {
            peer: Some(server.clone()),
            ..Narration::at(device, en, pt)
        };
    }
    Narration {
        peer: Some(to.clone()),
        ..Narration::at(
            from,
            format!("{from} hands message {message} to {to}: {}", channel.en),
            format!(
                "{from} entrega a mensagem {message} para {to}: {}",
                channel.pt
            ),
        )
    }
}

/// A reason mailhop worded (a certificate check, a failure), in
/// Portuguese; one of no known shape stays as it is.
pub fn reason_pt(reason: &str) -> String {
    reasons::translate(reason).0
}

/// A session that carried no accepted message: who talked to whom, and the
/// reply that said no, if any, with its code: an SMTP code (`550`, `451`),
/// or the word an IMAP or POP3 server says no with (`NO`, `BAD`, `-ERR`).
/// The reply is quoted as the server said it.
pub fn narrate_session(from: &str, to: &str, refusal: Option<(&str, &str)>) -> Narration {
    let (en, pt) = match refusal {
        Some((code, reply)) if code.starts_with('5') => (
            format!("{to} refuses what {from} offers: {reply}"),
            format!("{to} recusa o que {from} oferece: {reply}"),
        ),
        Some((code, reply)) if code.starts_with('4') => (
            format!("{to} tells {from} to try again later: {reply}"),
            format!("{to} pede a {from} que tente de novo mais tarde: {reply}"),
        ),
        Some((_, reply)) => (
            format!("{to} says no to {from}: {reply}"),
            format!("{to} diz não a {from}: {reply}"),
        ),
        None => (
            format!("{from} talks to {to}, and no message changes hands"),
            format!("{from} conversa com {to}, e nenhuma mensagem muda de mãos"),
        ),
    };
    Narration {
        peer: Some(to.to_string()),
        code: refusal.map(|(code, _)| code.to_string()),
        ..Narration::at(from, en, pt)
    }
}

/// A copy written without a hop bringing it: a notification the node
/// wrote itself (`notification`), or another copy it stored.
pub fn narrate_stored_here(
    node: &str,
    message: &str,
    place: &str,
    notification: bool,
) -> Narration {
    let (en, pt) = if notification {
        (
            format!("{node} writes a delivery status notification ({message}) into {place}"),
            format!("{node} escreve uma notificação de entrega ({message}) em {place}"),
        )
    } else {
        (
            format!("{node} stores a copy of {message} in {place}"),
            format!("{node} guarda uma cópia de {message} em {place}"),
        )
    };
    Narration::at(node, en, pt)
}

/// A bounce: the status, the reason, and the notice sent back, if any.
fn bounced(
    node: &str,
    message: &str,
    recipient: &str,
    status: &str,
    reason: &str,
    dsn: Option<&str>,
) -> Narration {
    let (reason_pt, _) = reasons::translate(reason);
    let (notice_en, notice_pt) = match dsn {
        Some(dsn) => (
            format!(" (notice {dsn} sent to the sender)"),
            format!(" (aviso {dsn} enviado ao remetente)"),
        ),
        None => Default::default(),
    };
    Narration {
        code: Some(status.to_string()),
        ..Narration::at(
            node,
            format!("{node} bounced {message} for {recipient}: {status} {reason}{notice_en}"),
            format!(
                "{node} devolveu {message}, destinada a {recipient}: {status} {reason_pt}{notice_pt}"
            ),
        )
    }
}

impl Narration {
    /// A narration that names no machine.
    fn new(en: String, pt: String) -> Self {
        Narration {
            node: None,
            peer: None,
            code: None,
            en,
            pt,
        }
    }

    /// A narration about what happened on `node`.
    fn at(node: &str, en: String, pt: String) -> Self {
        Narration {
            node: Some(node.to_string()),
            ..Narration::new(en, pt)
        }
    }

    /// The narration followed by `: reason`, translated when mailhop worded
    /// it, with the reason's code when it has one.
    fn because(self, reason: &str) -> Self {
        let (reason_pt, code) = reasons::translate(reason);
        Narration {
            code: code.or(self.code),
            en: format!("{}: {reason}", self.en),
            pt: format!("{}: {reason_pt}", self.pt),
            ..self
        }
    }
}

#[cfg(test)]
mod tests;

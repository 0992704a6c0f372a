//! The reasons mailhop words itself, and their Portuguese.
//!
//! A reason in the trace is one line of English, sometimes with text quoted
//! from elsewhere inside it (a server's reply, the TLS library's error).
//! Each shape mailhop uses is listed here beside its Portuguese; quoted text
//! is carried over as it is. A reason of no known shape stays as it is.

/// The reasons mailhop words itself, as (English shape, Portuguese). In a
/// shape, the slot `{name}` is one word kept as it is (a host, an address,
/// a duration), `{code}` a reply or status code (`451`, `5.1.1`), `{text}`
/// anything quoted from elsewhere, kept as it is, and `{reason}` a reason
/// again, translated in turn when its shape is known. Both sides have the
/// same slots in the same order. The first shape that fits wins, and a
/// reason made of several joined by `; ` is told part by part.
///
/// They come from `sim::world` and `sim::mta` (connecting, routing,
/// retrying, bouncing), `sim::mua` (submitting), `proto::smtp::client` (a
/// conversation that went wrong) and `tls::verify` (certificate checks).
const REASONS: &[(&str, &str)] = &[
    // Connecting and routing.
    ("connection timed out", "tempo de conexão esgotado"),
    ("connection refused", "conexão recusada"),
    (
        "connection to {text} timed out",
        "tempo esgotado ao conectar a {text}",
    ),
    (
        "connect to {name}: {reason}",
        "ao conectar a {name}: {reason}",
    ),
    (
        "{name}: host not found or not answering",
        "{name}: host não encontrado ou sem resposta",
    ),
    (
        "no host to try for {text}",
        "nenhum host a tentar para {text}",
    ),
    (
        "{code} host {name} said: {text}",
        "{code} o host {name} respondeu: {text}",
    ),
    (
        "delivery time expired after {name}: {reason}",
        "prazo de entrega esgotado depois de {name}: {reason}",
    ),
    (
        "Host or domain name not found: {name} has no MX or A record",
        "host ou domínio não encontrado: {name} não tem registro MX nem A",
    ),
    (
        "mail for {name} loops back to myself: {name} is its best MX",
        "o e-mail para {name} voltaria para este mesmo servidor: {name} é o MX preferido do domínio",
    ),
    (
        "mail forwarding loop: the message already carries {name} Received headers, more than the limit of {name}",
        "laço de encaminhamento: a mensagem já traz {name} cabeçalhos Received, mais que o limite de {name}",
    ),
    (
        "Domain {name} does not accept mail (null MX, RFC 7505)",
        "o domínio {name} não aceita e-mail (MX nulo, RFC 7505)",
    ),
    (
        "undeliverable bounce: a bounce has no sender to return to ({reason})",
        "devolução impossível de entregar: uma devolução não tem remetente para onde voltar ({reason})",
    ),
    // Submitting.
    (
        "cannot reach {name}: {reason}",
        "não foi possível alcançar {name}: {reason}",
    ),
    ("{name} refused: {reason}", "{name} recusou: {reason}"),
    // A conversation that went wrong.
    (
        "lost connection with {name}: {text}",
        "conexão perdida com {name}: {text}",
    ),
    ("lost connection with {name}", "conexão perdida com {name}"),
    (
        "host {name} greeted us with: {text}",
        "o host {name} nos recebeu com: {text}",
    ),
    (
        "host {name} refused STARTTLS: {text}",
        "o host {name} recusou o STARTTLS: {text}",
    ),
    (
        "{name} is not a valid TLS server name",
        "{name} não é um nome de servidor TLS válido",
    ),
    (
        "TLS handshake with {name} failed: {text} ({reason})",
        "a negociação TLS com {name} falhou: {text} ({reason})",
    ),
    (
        "TLS handshake with {name} failed: {text}",
        "a negociação TLS com {name} falhou: {text}",
    ),
    (
        "TLS is required, but host {name} did not offer STARTTLS",
        "o TLS é obrigatório, mas o host {name} não ofereceu STARTTLS",
    ),
    (
        "host {name} does not offer AUTH PLAIN here",
        "o host {name} não oferece AUTH PLAIN aqui",
    ),
    (
        "host {name} refused our login: {text}",
        "o host {name} recusou nosso login: {text}",
    ),
    ("server: {text}", "do lado do servidor: {text}"),
    // Certificate checks.
    (
        "certificate expired on {name} (simulated date: {name})",
        "certificado vencido em {name} (data simulada: {name})",
    ),
    ("certificate expired", "certificado vencido"),
    (
        "certificate not valid before {name} (simulated date: {name})",
        "certificado válido só a partir de {name} (data simulada: {name})",
    ),
    (
        "certificate not valid yet",
        "certificado ainda não é válido",
    ),
    (
        "certificate not valid for this name: it is for {text}, not {name}",
        "certificado não vale para este nome: ele é de {text}, não de {name}",
    ),
    (
        "certificate not valid for this name ({name})",
        "certificado não vale para este nome ({name})",
    ),
    (
        "certificate from an unknown issuer: not signed by the {text} (self-signed?)",
        "certificado de um emissor desconhecido: não foi assinado pela {text} (autoassinado?)",
    ),
    (
        "certificate has a forged signature",
        "certificado com assinatura forjada",
    ),
    (
        "certificate for {name} issued by the {text}, valid until {name}",
        "certificado de {name} emitido pela {text}, válido até {name}",
    ),
    (
        "certificate for {name} issued by the {text}",
        "certificado de {name} emitido pela {text}",
    ),
    (
        "opportunistic STARTTLS: the certificate was not checked (it would have passed)",
        "STARTTLS oportunista: o certificado não foi conferido (teria passado)",
    ),
    (
        "opportunistic STARTTLS: the certificate was not checked (it would have failed: {reason})",
        "STARTTLS oportunista: o certificado não foi conferido (teria falhado: {reason})",
    ),
    ("session resumed", "sessão retomada"),
    ("when it began: {reason}", "quando ela começou: {reason}"),
    (
        "certificate rejected: {text}",
        "certificado rejeitado: {text}",
    ),
    // Reading mail (`sim::reader`, `proto::fetch::Failure`).
    (
        "cannot reach {name}: {reason}",
        "não foi possível alcançar {name}: {reason}",
    ),
    (
        "{name} has no message with Subject {text} in {name}: fetch it first",
        "{name} não tem mensagem com o assunto {text} em {name}: baixe-a primeiro",
    ),
    (
        "the server refused the connection: {text}",
        "o servidor recusou a conexão: {text}",
    ),
    (
        "TLS is required, but the server does not offer it",
        "o TLS é obrigatório, mas o servidor não o oferece",
    ),
    (
        "the server refused TLS: {text}",
        "o servidor recusou o TLS: {text}",
    ),
    (
        "the TLS handshake failed: {reason}",
        "a negociação TLS falhou: {reason}",
    ),
    (
        "the server accepts no password before TLS, and TLS is not to be had: the password was not sent",
        "o servidor não aceita senha antes do TLS, e não há TLS disponível: a senha não foi enviada",
    ),
    (
        "the server refused the login: {text}",
        "o servidor recusou o login: {text}",
    ),
    (
        "the server would not open folder {name}: {text}",
        "o servidor não quis abrir a pasta {name}: {text}",
    ),
    (
        "the server refused {name}: {text}",
        "o servidor recusou {name}: {text}",
    ),
    (
        "the server does not support {text}",
        "o servidor não tem suporte a {text}",
    ),
    (
        "the client cannot write {text}",
        "o cliente não consegue escrever {text}",
    ),
    (
        "the server closed the session: {text}",
        "o servidor encerrou a sessão: {text}",
    ),
    (
        "the server broke the protocol: {text}",
        "o servidor violou o protocolo: {text}",
    ),
    (
        "{text} is larger than the client takes ({name} bytes)",
        "{text} é maior do que o cliente aceita ({name} bytes)",
    ),
    ("the connection was lost", "a conexão caiu"),
    // Finding a mail account's servers (`sim::discover`, `proto::discover`).
    ("no address for {name}", "nenhum endereço para {name}"),
    ("nothing answers at {name}", "nada responde em {name}"),
    ("no such name", "esse nome não existe"),
    ("no SRV records", "nenhum registro SRV"),
    (
        "the domain says it offers no such service",
        "o domínio diz que não oferece esse serviço",
    ),
    ("no MX record", "nenhum registro MX"),
    (
        "its best MX host {name} is in the same domain",
        "seu MX preferido, {name}, está no mesmo domínio",
    ),
    (
        "found {name} at {name} ({name})",
        "encontrou {name} em {name} ({name})",
    ),
    (
        "the answer names no {name} server",
        "a resposta não indica nenhum servidor {name}",
    ),
    ("HTTP {code} {text}", "HTTP {code} {text}"),
    (
        "the answer is larger than {name} bytes",
        "a resposta passa de {name} bytes",
    ),
    ("no answer within {name}", "nenhuma resposta em {name}"),
    ("not HTTP: {text}", "não é HTTP: {text}"),
    (
        "the file is not well-formed XML: {text}",
        "o arquivo não é um XML bem formado: {text}",
    ),
    (
        "the file is XML but not an autoconfig file (its root is {name})",
        "o arquivo é XML, mas não de autoconfiguração (sua raiz é {name})",
    ),
    (
        "the autoconfig file has no emailProvider",
        "o arquivo de autoconfiguração não tem emailProvider",
    ),
    (
        "the autoconfig file names no IMAP or POP3 server",
        "o arquivo de autoconfiguração não indica servidor IMAP nem POP3",
    ),
    (
        "the autoconfig file names no usable IMAP or POP3 server: {text}",
        "o arquivo de autoconfiguração não indica servidor IMAP ou POP3 utilizável: {text}",
    ),
    (
        "no {name} server answered: {reason}",
        "nenhum servidor {name} respondeu: {reason}",
    ),
    (
        "the server does not offer {name}",
        "o servidor não oferece {name}",
    ),
    (
        "the server closed the connection",
        "o servidor fechou a conexão",
    ),
    (
        "the server refused to list its capabilities",
        "o servidor se recusou a listar suas capacidades",
    ),
    ("it said {text}", "ele disse {text}"),
    (
        "a line longer than any server sends",
        "uma linha mais longa do que qualquer servidor envia",
    ),
    (
        "more than any server sends",
        "mais do que qualquer servidor envia",
    ),
    (
        "nothing was found: no file, no SRV record, and no guess answered",
        "nada foi encontrado: nenhum arquivo, nenhum registro SRV, e nenhum palpite respondeu",
    ),
    (
        "could not find its servers: {reason}",
        "não conseguiu encontrar seus servidores: {reason}",
    ),
    (
        "found no server to send with",
        "não encontrou servidor para enviar",
    ),
    // Why a DKIM signature or an ARC chain did not pass, and why a
    // forwarder could not seal (`policy::auth`).
    (
        "the body hash does not match: the body changed after it was signed",
        "o hash do corpo não confere: o corpo mudou depois de assinado",
    ),
    (
        "the body hash does not match: the body changed after it was sealed",
        "o hash do corpo não confere: o corpo mudou depois de selado",
    ),
    (
        "the signature does not verify: a signed header changed, or the key is not the one that signed",
        "a assinatura não confere: um cabeçalho assinado mudou, ou a chave não é a que assinou",
    ),
    (
        "the key was revoked (empty p=)",
        "a chave foi revogada (p= vazio)",
    ),
    ("the signature has expired", "a assinatura expirou"),
    (
        "the i= identity is not in the d= domain",
        "a identidade i= não está no domínio d=",
    ),
    (
        "the signature covers only part of the body (l=)",
        "a assinatura cobre só parte do corpo (l=)",
    ),
    (
        "the key or the signature uses what the verifier does not support",
        "a chave ou a assinatura usa algo que o verificador não aceita",
    ),
    (
        "no key is published at the selector",
        "nenhuma chave publicada no seletor",
    ),
    (
        "the key could not be looked up",
        "não foi possível consultar a chave",
    ),
    (
        "the signature or the key record is malformed",
        "a assinatura ou o registro da chave está malformado",
    ),
    (
        "the chain of seals is broken",
        "a cadeia de selos está quebrada",
    ),
    (
        "an ARC header is malformed",
        "um cabeçalho ARC está malformado",
    ),
    (
        "no passing result is aligned with the From domain",
        "nenhum resultado aprovado está alinhado com o domínio do From",
    ),
    (
        "the chain of seals it arrived with is broken (cv=fail): it cannot be sealed",
        "a cadeia de selos com que chegou está quebrada (cv=fail): não pode ser selada",
    ),
    (
        "the message cannot be read for sealing",
        "a mensagem não pode ser lida para selar",
    ),
    (
        "the ARC seal could not be made: {text}",
        "o selo ARC não pôde ser feito: {text}",
    ),
    (
        "ARC seals need an RSA key",
        "selos ARC precisam de uma chave RSA",
    ),
    // One recipient's failure in a list (a bounce that was dropped, the
    // recipients a submission server refused).
    ("{name}: {code} {reason}", "{name}: {code} {reason}"),
];

/// A reason in Portuguese, and the first reply or status code in it.
pub(super) fn translate(reason: &str) -> (String, Option<String>) {
    let mut code = None;
    let pt = translate_into(reason, &mut code);
    (pt, code)
}

fn translate_into(reason: &str, code: &mut Option<String>) -> String {
    let parts = split_top_level(reason);
    if parts.len() > 1 {
        return parts
            .iter()
            .map(|part| translate_into(part, code))
            .collect::<Vec<_>>()
            .join("; ");
    }
    for (en, pt) in REASONS {
        let mut found = Vec::new();
        if fit(&pieces(en), reason, &mut found) {
            return fill(&pieces(pt), &found, code);
        }
    }
    reason.to_string()
}

/// A shape, cut into literal text and slots.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Piece<'a> {
    Literal(&'a str),
    Slot(Slot),
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Slot {
    Name,
    Code,
    Text,
    Reason,
}

impl Slot {
    fn named(name: &str) -> Option<Slot> {
        Some(match name {
            "name" => Slot::Name,
            "code" => Slot::Code,
            "text" => Slot::Text,
            "reason" => Slot::Reason,
            _ => return None,
        })
    }

    /// Whether `s` can stand in this slot.
    fn takes(self, s: &str) -> bool {
        !s.is_empty()
            && match self {
                Slot::Name => !s.contains(char::is_whitespace),
                Slot::Code => {
                    s.starts_with(|c: char| c.is_ascii_digit())
                        && s.chars().all(|c| c.is_ascii_digit() || c == '.')
                }
                Slot::Text => true,
                // A reason in brackets is itself bracketed evenly, which
                // tells it apart from brackets inside quoted text before it.
                Slot::Reason => balanced(s),
            }
    }
}

fn pieces(shape: &str) -> Vec<Piece<'_>> {
    let mut out = Vec::new();
    let mut rest = shape;
    while let Some(open) = rest.find('{') {
        let close = open + rest[open..].find('}').expect("a slot in a shape is closed");
        if open > 0 {
            out.push(Piece::Literal(&rest[..open]));
        }
        let slot = Slot::named(&rest[open + 1..close]).expect("a slot in a shape is known");
        out.push(Piece::Slot(slot));
        rest = &rest[close + 1..];
    }
    if !rest.is_empty() {
        out.push(Piece::Literal(rest));
    }
    out
}

/// Whether `text` has the shape `pieces`; what stands in each slot is
/// pushed to `found`. A slot takes the shortest text that lets the rest fit.
fn fit<'t>(pieces: &[Piece<'_>], text: &'t str, found: &mut Vec<&'t str>) -> bool {
    match pieces {
        [] => text.is_empty(),
        [Piece::Literal(literal), rest @ ..] => text
            .strip_prefix(literal)
            .is_some_and(|after| fit(rest, after, found)),
        [Piece::Slot(slot)] => {
            let fits = slot.takes(text);
            if fits {
                found.push(text);
            }
            fits
        }
        [Piece::Slot(slot), Piece::Literal(literal), rest @ ..] => {
            for (at, _) in text.match_indices(literal) {
                let (inside, after) = (&text[..at], &text[at + literal.len()..]);
                if slot.takes(inside) {
                    let before = found.len();
                    found.push(inside);
                    if fit(rest, after, found) {
                        return true;
                    }
                    found.truncate(before);
                }
            }
            false
        }
        [Piece::Slot(_), Piece::Slot(_), ..] => false,
    }
}

/// The Portuguese shape with the slots filled in from `found`.
fn fill(pieces: &[Piece<'_>], found: &[&str], code: &mut Option<String>) -> String {
    let mut found = found.iter();
    let mut out = String::new();
    for piece in pieces {
        match piece {
            Piece::Literal(literal) => out.push_str(literal),
            Piece::Slot(slot) => {
                let text = found
                    .next()
                    .expect("both sides of a shape have the same slots");
                match slot {
                    Slot::Reason => out.push_str(&translate_into(text, code)),
                    Slot::Code => {
                        code.get_or_insert_with(|| text.to_string());
                        out.push_str(text);
                    }
                    Slot::Name | Slot::Text => out.push_str(text),
                }
            }
        }
    }
    out
}

/// `a; b (c; d)` as `a` and `b (c; d)`: reasons joined with `; `, outside
/// brackets.
fn split_top_level(reason: &str) -> Vec<&str> {
    let mut parts = Vec::new();
    let (mut depth, mut start) = (0i32, 0);
    for (i, c) in reason.char_indices() {
        match c {
            '(' => depth += 1,
            ')' => depth -= 1,
            ';' if depth == 0 && reason[i + 1..].starts_with(' ') => {
                parts.push(&reason[start..i]);
                start = i + 2;
            }
            _ => {}
        }
    }
    parts.push(&reason[start..]);
    parts
}

/// Whether every `(` in `s` is closed, and no `)` comes before its `(`.
fn balanced(s: &str) -> bool {
    let mut depth = 0i32;
    for c in s.chars() {
        match c {
            '(' => depth += 1,
            ')' => depth -= 1,
            _ => {}
        }
        if depth < 0 {
            return false;
        }
    }
    depth == 0
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_way_a_mail_client_fails_to_read_is_translated() {
        use crate::proto::fetch::Failure;
        let said = || "NO [X] said".to_string();
        let failures = [
            Failure::Greeting { said: said() },
            Failure::TlsNotOffered,
            Failure::StartTlsRefused { said: said() },
            Failure::Tls {
                reason: "oops".into(),
            },
            Failure::LoginDisabled,
            Failure::LoginRefused { said: said() },
            Failure::FolderMissing {
                folder: "Archive".into(),
                said: said(),
            },
            Failure::Refused {
                command: "MOVE".into(),
                said: said(),
            },
            Failure::Unsupported {
                what: "IDLE".into(),
            },
            Failure::Unwritable {
                what: "a folder name".into(),
            },
            Failure::Bye { said: said() },
            Failure::Protocol {
                what: "a tag it never sent".into(),
            },
            Failure::TooLarge {
                what: "a message".into(),
                limit: 10,
            },
            Failure::Lost,
        ];
        for failure in failures {
            let en = failure.to_string();
            let (pt, _) = translate(&en);
            assert_ne!(pt, en, "no Portuguese for: {en}");
        }
    }

    #[test]
    fn both_sides_of_each_reason_shape_have_the_same_slots() {
        let slots = |shape| -> Vec<Slot> {
            pieces(shape)
                .into_iter()
                .filter_map(|p| match p {
                    Piece::Slot(slot) => Some(slot),
                    Piece::Literal(_) => None,
                })
                .collect()
        };
        for (en, pt) in REASONS {
            assert_eq!(slots(en), slots(pt), "{en}");
            assert!(
                !pieces(en)
                    .windows(2)
                    .any(|w| matches!(w, [Piece::Slot(_), Piece::Slot(_)])),
                "two slots side by side cannot be told apart: {en}"
            );
        }
    }

    #[test]
    fn reasons_of_a_known_shape_are_translated_and_quotes_kept() {
        let cases: &[(&str, &str, Option<&str>)] = &[
            (
                "connection to 192.0.2.99 timed out",
                "tempo esgotado ao conectar a 192.0.2.99",
                None,
            ),
            (
                "mx.gone.test: host not found or not answering",
                "mx.gone.test: host não encontrado ou sem resposta",
                None,
            ),
            (
                "no host to try for bob@friend.test, carol@friend.test",
                "nenhum host a tentar para bob@friend.test, carol@friend.test",
                None,
            ),
            (
                "delivery time expired after 4h: connect to mx.gone.test: connection timed out",
                "prazo de entrega esgotado depois de 4h: ao conectar a mx.gone.test: tempo de conexão esgotado",
                None,
            ),
            (
                "mail for friend.test loops back to myself: mx.friend.test is its best MX",
                "o e-mail para friend.test voltaria para este mesmo servidor: mx.friend.test é o MX preferido do domínio",
                None,
            ),
            (
                "mail.home.test refused: bob@friend.test: 550 5.7.1 <bob@friend.test>: Relay access denied",
                "mail.home.test recusou: bob@friend.test: 550 5.7.1 <bob@friend.test>: Relay access denied",
                Some("550"),
            ),
            (
                "lost connection with mx.friend.test: broken pipe",
                "conexão perdida com mx.friend.test: broken pipe",
                None,
            ),
            (
                "lost connection with mx.friend.test",
                "conexão perdida com mx.friend.test",
                None,
            ),
            (
                "host mx.friend.test greeted us with: 554 5.3.2 go away",
                "o host mx.friend.test nos recebeu com: 554 5.3.2 go away",
                None,
            ),
            (
                "host mx.friend.test refused STARTTLS: 454 4.7.0 TLS not available",
                "o host mx.friend.test recusou o STARTTLS: 454 4.7.0 TLS not available",
                None,
            ),
            (
                "TLS is required, but host smarthost.isp.test did not offer STARTTLS",
                "o TLS é obrigatório, mas o host smarthost.isp.test não ofereceu STARTTLS",
                None,
            ),
            (
                "host mail.home.test refused our login: 535 5.7.8 Error: authentication failed: bad credentials",
                "o host mail.home.test recusou nosso login: 535 5.7.8 Error: authentication failed: bad credentials",
                None,
            ),
            (
                "server: received fatal alert: CertificateExpired",
                "do lado do servidor: received fatal alert: CertificateExpired",
                None,
            ),
            (
                "TLS handshake with mx.friend.test failed: invalid peer certificate: UnknownIssuer \
                 (certificate from an unknown issuer: not signed by the mailhop simulation CA (self-signed?))",
                "a negociação TLS com mx.friend.test falhou: invalid peer certificate: UnknownIssuer \
                 (certificado de um emissor desconhecido: não foi assinado pela mailhop simulation CA (autoassinado?))",
                None,
            ),
            (
                "TLS handshake with mx.friend.test failed: invalid peer certificate: NotValidForName \
                 (certificate not valid for this name: it is for other.test, www.other.test, not mx.friend.test)",
                "a negociação TLS com mx.friend.test falhou: invalid peer certificate: NotValidForName \
                 (certificado não vale para este nome: ele é de other.test, www.other.test, não de mx.friend.test)",
                None,
            ),
            (
                "the server refused the login: -ERR [AUTH] Authentication failed.",
                "o servidor recusou o login: -ERR [AUTH] Authentication failed.",
                None,
            ),
            (
                "cannot reach mx.friend.test:993: connection refused",
                "não foi possível alcançar mx.friend.test:993: conexão recusada",
                None,
            ),
            (
                "the TLS handshake failed: TLS handshake with mx.friend.test failed: invalid peer certificate: UnknownIssuer",
                "a negociação TLS falhou: a negociação TLS com mx.friend.test falhou: invalid peer certificate: UnknownIssuer",
                None,
            ),
            (
                "something mailhop has never said",
                "something mailhop has never said",
                None,
            ),
        ];
        for (en, pt, code) in cases {
            let (told, found) = translate(en);
            assert_eq!(told, *pt, "{en}");
            assert_eq!(found.as_deref(), *code, "{en}");
        }
    }
}

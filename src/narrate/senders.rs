//! Who really sent a message, in words: DKIM signing, the sender checks,
//! the spam filter's score and forwarding. Result words (`pass`, `fail`,
//! `softfail`…) are RFC 8601's and stay as they are in both languages: they
//! are what a student finds in real Authentication-Results headers.

use super::{Narration, Words};
use crate::trace::senders::{Action, DkimSigned, Forwarded, SenderChecked, SpamScored, Verdict};

pub(super) fn dkim_signed(s: &DkimSigned) -> Narration {
    let DkimSigned {
        node,
        message,
        domain,
        selector,
        algorithm,
        ..
    } = s;
    Narration::at(
        node,
        format!(
            "{node} signed {message} with DKIM for {domain} (selector {selector}, {algorithm})"
        ),
        format!(
            "{node} assinou {message} com DKIM em nome de {domain} (seletor {selector}, {algorithm})"
        ),
    )
}

pub(super) fn sender_checked(s: &SenderChecked) -> Narration {
    let c = &s.checks;
    let node = &s.node;
    let message = &s.message;
    let results = format!(
        "SPF {} for {}, DKIM {}, DMARC {} for {}",
        c.spf.result.as_str(),
        or_dash(&c.spf.domain),
        c.dkim_result().as_str(),
        c.dmarc.result.as_str(),
        or_dash(&c.dmarc.domain),
    );
    let results_pt = format!(
        "SPF {} para {}, DKIM {}, DMARC {} para {}",
        c.spf.result.as_str(),
        or_dash(&c.spf.domain),
        c.dkim_result().as_str(),
        c.dmarc.result.as_str(),
        or_dash(&c.dmarc.domain),
    );
    let arc = if c.arc.result == Verdict::None {
        (String::new(), String::new())
    } else {
        (
            format!(", ARC {}", c.arc.result.as_str()),
            format!(", ARC {}", c.arc.result.as_str()),
        )
    };
    let policy = c.dmarc.policy.as_deref().unwrap_or("none");
    let (why_en, why_pt) = match (s.action, &s.trusted_arc) {
        (Action::Reject, _) => (
            format!(
                "refused, because {} asks receivers to reject mail that fails DMARC (p={policy})",
                c.dmarc.domain
            ),
            format!(
                "recusada, porque {} pede que os destinatários recusem e-mail que falha no DMARC (p={policy})",
                c.dmarc.domain
            ),
        ),
        (Action::Junk, _) => (
            format!(
                "filed into Junk, because {} asks receivers to quarantine mail that fails DMARC (p={policy})",
                c.dmarc.domain
            ),
            format!(
                "enviada para o Lixo eletrônico, porque {} pede quarentena para e-mail que falha no DMARC (p={policy})",
                c.dmarc.domain
            ),
        ),
        (Action::Accept, Some(sealer)) => (
            format!(
                "accepted: DMARC failed here, but {sealer} sealed with ARC the results it saw before forwarding, where DMARC passed, and {node} trusts {sealer}"
            ),
            format!(
                "aceita: o DMARC falhou aqui, mas {sealer} selou com ARC os resultados que viu antes de encaminhar, em que o DMARC passou, e {node} confia em {sealer}"
            ),
        ),
        (Action::Accept, None) if c.dmarc.result == Verdict::Fail => (
            format!(
                "accepted anyway: the policy of {} is p={policy}, or this server only monitors",
                c.dmarc.domain
            ),
            format!(
                "aceita mesmo assim: a política de {} é p={policy}, ou este servidor só observa",
                c.dmarc.domain
            ),
        ),
        (Action::Accept, None) => ("accepted".to_string(), "aceita".to_string()),
    };
    Narration {
        code: (s.action == Action::Reject).then(|| "5.7.1".to_string()),
        ..Narration::at(
            node,
            format!(
                "{node} checked who sent {message}: {results}{}; {why_en}",
                arc.0
            ),
            format!(
                "{node} verificou quem enviou {message}: {results_pt}{}; {why_pt}",
                arc.1
            ),
        )
    }
}

fn or_dash(s: &str) -> &str {
    if s.is_empty() { "-" } else { s }
}

pub(super) fn spam_scored(s: &SpamScored) -> Narration {
    let SpamScored {
        node,
        message,
        score,
        junk_at,
        reject_at,
        rules,
        action,
        ..
    } = s;
    let list = if rules.is_empty() {
        "no rule matched".to_string()
    } else {
        rules
            .iter()
            .map(|r| format!("{} {:+.1}", r.name, r.score))
            .collect::<Vec<_>>()
            .join(", ")
    };
    let list_pt = if rules.is_empty() {
        "nenhuma regra casou".to_string()
    } else {
        list.clone()
    };
    let limits = match reject_at {
        Some(r) => format!("Junk from {junk_at:.1}, refused from {r:.1}"),
        None => format!("Junk from {junk_at:.1}"),
    };
    let limits_pt = match reject_at {
        Some(r) => format!("Lixo eletrônico a partir de {junk_at:.1}, recusa a partir de {r:.1}"),
        None => format!("Lixo eletrônico a partir de {junk_at:.1}"),
    };
    let (act, act_pt) = match action {
        Action::Accept => ("delivered normally", "entregue normalmente"),
        Action::Junk => (
            "marked as spam, for the Junk folder",
            "marcada como spam, para o Lixo eletrônico",
        ),
        Action::Reject => ("refused", "recusada"),
    };
    Narration {
        code: (*action == Action::Reject).then(|| "5.7.1".to_string()),
        ..Narration::at(
            node,
            format!("{node} gave {message} a spam score of {score:.1} ({limits}): {list}; {act}"),
            format!(
                "{node} deu a {message} {score:.1} pontos de spam ({limits_pt}): {list_pt}; {act_pt}"
            ),
        )
    }
}

pub(super) fn forwarded(f: &Forwarded) -> Narration {
    let Forwarded {
        node,
        message,
        recipient,
        to,
        rewritten,
        footer,
        sealed,
        seal_failed,
        ..
    } = f;
    let mut en = format!("{node} forwarded {message} for {recipient} to {to}");
    let mut pt = format!("{node} encaminhou {message} de {recipient} para {to}");
    match rewritten {
        Some(srs) => {
            en.push_str(&format!(", rewriting the envelope sender to {srs} (SRS)"));
            pt.push_str(&format!(
                ", reescrevendo o remetente do envelope para {srs} (SRS)"
            ));
        }
        None => {
            en.push_str(", keeping the original envelope sender");
            pt.push_str(", mantendo o remetente original do envelope");
        }
    }
    if *footer {
        en.push_str(", with a footer added to the body");
        pt.push_str(", com um rodapé acrescentado ao corpo");
    }
    if let Some(d) = sealed {
        en.push_str(&format!(", sealed with ARC by {d}"));
        pt.push_str(&format!(", selada com ARC por {d}"));
    }
    if let Some(why) = seal_failed {
        en.push_str(&format!(" (not sealed: {why})"));
        pt.push_str(&format!(" (sem selo ARC: {why})"));
    }
    Narration::at(node, en, pt)
}

/// What a spam rule means, for the player's score table.
pub fn rule_text(name: &str) -> Words {
    let (en, pt) = match name {
        "SPF_FAIL" => (
            "the envelope sender's domain says this server may not send its mail (SPF fail)",
            "o domínio do remetente do envelope diz que este servidor não pode enviar seus e-mails (SPF fail)",
        ),
        "SPF_SOFTFAIL" => (
            "the sender's domain says this server is probably not allowed (SPF softfail)",
            "o domínio do remetente diz que este servidor provavelmente não tem permissão (SPF softfail)",
        ),
        "SPF_NONE" => (
            "the sender's domain publishes no SPF record",
            "o domínio do remetente não publica registro SPF",
        ),
        "DKIM_INVALID" => (
            "the message carries a DKIM signature that does not verify",
            "a mensagem traz uma assinatura DKIM que não confere",
        ),
        "DMARC_FAIL" => (
            "neither SPF nor DKIM passed for the From domain (DMARC fail)",
            "nem SPF nem DKIM passaram para o domínio do From (DMARC fail)",
        ),
        "RDNS_NONE" => (
            "the client's address has no reverse DNS name",
            "o endereço do cliente não tem nome no DNS reverso",
        ),
        "FCRDNS_FAIL" => (
            "the client's reverse DNS name does not lead back to its address",
            "o nome reverso do cliente não leva de volta ao seu endereço",
        ),
        "HELO_BAD" => (
            "the client introduced itself with a name that is not a real host",
            "o cliente se apresentou com um nome que não é um host real",
        ),
        "RCVD_IN_DNSBL" => (
            "the client's address is on a DNS blocklist",
            "o endereço do cliente está numa lista de bloqueio no DNS",
        ),
        "SUBJ_ALL_CAPS" => (
            "the Subject is written in capitals only",
            "o Assunto está todo em maiúsculas",
        ),
        "MONEY_WORDS" => (
            "the text promises prizes or money, like advance-fee scams",
            "o texto promete prêmios ou dinheiro, como os golpes de adiantamento",
        ),
        "URI_IP" => (
            "a link points to a bare IP address instead of a name",
            "um link aponta para um endereço IP em vez de um nome",
        ),
        "MISSING_DATE" => (
            "the message has no Date header",
            "a mensagem não tem cabeçalho Date",
        ),
        "MISSING_MID" => (
            "the message has no Message-ID header",
            "a mensagem não tem cabeçalho Message-ID",
        ),
        _ => ("a rule of this filter", "uma regra deste filtro"),
    };
    Words { en, pt }
}

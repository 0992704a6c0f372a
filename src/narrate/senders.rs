//! Who really sent a message, in words: DKIM signing, the sender checks,
//! the spam filter's score and forwarding. Result words (`pass`, `fail`,
//! `softfail`…) are RFC 8601's and stay as they are in both languages: they
//! are what a student finds in real Authentication-Results headers.

use super::{Narration, Words};
use crate::trace::senders::{
    Action, ArcCheck, DkimCheck, DkimSigned, DmarcCheck, Forwarded, SenderChecked, SpamScored,
    SpfCheck, Verdict,
};

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
    let (why_en, why_pt) = sender_decision(s);
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

/// What a server decided about a message after checking its sender, and
/// why, in words: the end of [`sender_checked`]'s sentence, for a view that
/// shows the results apart (the player's Authentication panel).
pub fn sender_decision(s: &SenderChecked) -> (String, String) {
    let c = &s.checks;
    let node = &s.node;
    let policy = c.dmarc.policy.as_deref().unwrap_or("none");
    match (s.action, &s.trusted_arc) {
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
    let Words {
        en: act,
        pt: act_pt,
    } = spam_action(*action);
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

/// What a spam filter does with a message, in words.
pub fn spam_action(action: Action) -> Words {
    let (en, pt) = match action {
        Action::Accept => ("delivered normally", "entregue normalmente"),
        Action::Junk => (
            "marked as spam, for the Junk folder",
            "marcada como spam, para o Lixo eletrônico",
        ),
        Action::Reject => ("refused", "recusada"),
    };
    Words { en, pt }
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
        pt.push_str(&format!(" (sem selo ARC: {})", super::reason_pt(why)));
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

/// One line of a sender check's table in words: what an SPF result means
/// for the address that connected. A domain's own explanation (`exp=`) is quoted as it said it.
pub fn spf_meaning(spf: &SpfCheck, client_ip: &str) -> (String, String) {
    let d = or_dash(&spf.domain);
    let (en, pt) = match spf.result {
        Verdict::Pass => (
            format!("{d} lists {client_ip} among the servers that may send its mail"),
            format!("{d} lista {client_ip} entre os servidores que podem enviar seus e-mails"),
        ),
        Verdict::Fail => (
            format!("{d} says {client_ip} may not send its mail"),
            format!("{d} diz que {client_ip} não pode enviar seus e-mails"),
        ),
        Verdict::Softfail => (
            format!("{d} says {client_ip} is probably not one of its servers (~all)"),
            format!("{d} diz que {client_ip} provavelmente não é um de seus servidores (~all)"),
        ),
        Verdict::Neutral => (
            format!("{d} says nothing either way about {client_ip} (?all)"),
            format!("{d} não diz nada, nem sim nem não, sobre {client_ip} (?all)"),
        ),
        Verdict::None => (
            format!("{d} publishes no SPF record"),
            format!("{d} não publica registro SPF"),
        ),
        Verdict::Temperror => (
            format!("the SPF record of {d} could not be looked up for now"),
            format!("o registro SPF de {d} não pôde ser consultado por ora"),
        ),
        Verdict::Permerror => (
            format!("the SPF record of {d} is broken"),
            format!("o registro SPF de {d} está quebrado"),
        ),
    };
    match &spf.explanation {
        Some(exp) => (
            format!("{en}, and explains: {exp:?}"),
            format!("{pt}, e explica: {exp:?}"),
        ),
        None => (en, pt),
    }
}

/// One DKIM signature's result in words, its reason translated.
pub fn dkim_meaning(d: &DkimCheck) -> (String, String) {
    let dom = or_dash(&d.domain);
    let why = d.reason.as_deref().unwrap_or("");
    let why_pt = super::reason_pt(why);
    match d.result {
        Verdict::Pass => (
            format!(
                "verifies with the key at {}._domainkey.{dom}: {dom} signed it, and nothing signed changed since",
                d.selector
            ),
            format!(
                "confere com a chave em {}._domainkey.{dom}: {dom} assinou, e nada do que foi assinado mudou desde então",
                d.selector
            ),
        ),
        Verdict::Fail => (
            format!("does not verify: {why}"),
            format!("não confere: {why_pt}"),
        ),
        Verdict::None => (
            "no signature to check".to_string(),
            "nenhuma assinatura a verificar".to_string(),
        ),
        _ if why.is_empty() => (
            "cannot be judged, so it does not count".to_string(),
            "não pode ser avaliada, então não conta".to_string(),
        ),
        _ => (
            format!("does not count: {why}"),
            format!("não conta: {why_pt}"),
        ),
    }
}

/// DMARC's result in words: whether SPF or DKIM passed for a domain
/// aligned with the From domain.
pub fn dmarc_meaning(d: &DmarcCheck) -> (String, String) {
    let dom = or_dash(&d.domain);
    match d.result {
        Verdict::Pass => (
            format!(
                "SPF or DKIM passed for a domain aligned with {dom}, the From domain the reader sees"
            ),
            format!(
                "SPF ou DKIM passou para um domínio alinhado com {dom}, o domínio do From que o leitor vê"
            ),
        ),
        Verdict::Fail => (
            format!(
                "neither SPF nor DKIM passed for a domain aligned with {dom}, the From domain the reader sees"
            ),
            format!(
                "nem SPF nem DKIM passou para um domínio alinhado com {dom}, o domínio do From que o leitor vê"
            ),
        ),
        Verdict::None => (
            format!("{dom} publishes no DMARC record"),
            format!("{dom} não publica registro DMARC"),
        ),
        Verdict::Temperror => (
            format!("the DMARC record of {dom} could not be looked up for now"),
            format!("o registro DMARC de {dom} não pôde ser consultado por ora"),
        ),
        _ => (
            format!("the DMARC record of {dom} is broken"),
            format!("o registro DMARC de {dom} está quebrado"),
        ),
    }
}

/// The ARC chain's result in words.
pub fn arc_meaning(a: &ArcCheck) -> (String, String) {
    let sealers = a.sealers.join(", ");
    let why = a.reason.as_deref().unwrap_or("");
    match a.result {
        Verdict::None => (
            "no ARC seal: no forwarder sealed it on the way".to_string(),
            "nenhum selo ARC: nenhum encaminhador o selou no caminho".to_string(),
        ),
        Verdict::Pass => (
            format!(
                "the seals of {sealers} verify: what they recorded can be trusted as far as they are"
            ),
            format!(
                "os selos de {sealers} conferem: o que registraram merece tanta confiança quanto eles"
            ),
        ),
        _ if why.is_empty() => (
            format!("the seals ({sealers}) do not verify"),
            format!("os selos ({sealers}) não conferem"),
        ),
        _ => (
            format!("the seals ({sealers}) do not verify: {why}"),
            format!(
                "os selos ({sealers}) não conferem: {}",
                super::reason_pt(why)
            ),
        ),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const VERDICTS: [Verdict; 7] = [
        Verdict::Pass,
        Verdict::Fail,
        Verdict::Softfail,
        Verdict::Neutral,
        Verdict::None,
        Verdict::Temperror,
        Verdict::Permerror,
    ];

    fn told((en, pt): (String, String)) {
        assert!(!en.is_empty() && !pt.is_empty());
        assert_ne!(en, pt, "left in English: {en}");
    }

    #[test]
    fn every_result_of_every_check_is_told_in_both_languages() {
        for result in VERDICTS {
            told(spf_meaning(
                &SpfCheck {
                    domain: "bank.test".into(),
                    result,
                    explanation: None,
                },
                "192.0.2.10",
            ));
            told(dkim_meaning(&DkimCheck {
                domain: "bank.test".into(),
                selector: "2026".into(),
                result,
                reason: (result != Verdict::Pass).then(|| "the signature has expired".to_string()),
            }));
            told(dmarc_meaning(&DmarcCheck {
                domain: "bank.test".into(),
                result,
                spf_aligned: Verdict::None,
                dkim_aligned: Verdict::None,
                policy: Some("reject".into()),
            }));
            told(arc_meaning(&ArcCheck {
                result,
                sealers: vec!["old.test".into()],
                sealed_results: None,
                reason: Some("the chain of seals is broken".into()),
            }));
        }
        for action in [Action::Accept, Action::Junk, Action::Reject] {
            let w = spam_action(action);
            told((w.en.to_string(), w.pt.to_string()));
        }
    }

    /// The reasons `policy::auth` words for a DKIM signature or an ARC
    /// chain that did not pass, and for a seal not made, are translated.
    #[test]
    fn the_reasons_a_signature_fails_are_translated() {
        for reason in [
            "the body hash does not match: the body changed after it was signed",
            "the body hash does not match: the body changed after it was sealed",
            "the signature does not verify: a signed header changed, or the key is not the one that signed",
            "the key was revoked (empty p=)",
            "the signature has expired",
            "the i= identity is not in the d= domain",
            "the signature covers only part of the body (l=)",
            "the key or the signature uses what the verifier does not support",
            "no key is published at the selector",
            "the key could not be looked up",
            "the signature or the key record is malformed",
            "the chain of seals is broken",
            "an ARC header is malformed",
            "no passing result is aligned with the From domain",
            "the chain of seals it arrived with is broken (cv=fail): it cannot be sealed",
            "the message cannot be read for sealing",
            "the ARC seal could not be made: bad key",
            "ARC seals need an RSA key",
        ] {
            let pt = super::super::reason_pt(reason);
            assert_ne!(pt, reason, "not translated: {reason}");
        }
        let (_, pt) = dkim_meaning(&DkimCheck {
            domain: "bank.test".into(),
            selector: "2026".into(),
            result: Verdict::Fail,
            reason: Some("the signature has expired".into()),
        });
        assert_eq!(pt, "não confere: a assinatura expirou");
    }
}

//! A sending server's TLS policy in words: MTA-STS and DANE found, a host
//! that failed them, a TLS report sent.

use super::Narration;
use crate::trace::{TlsPolicy, TlsPolicyFailed, TlsReportSent};

/// What a sender found about a domain's (or a host's) TLS policy.
pub(super) fn tls_policy(p: &TlsPolicy) -> Narration {
    let TlsPolicy {
        node,
        domain,
        policy,
        host,
        source,
        mode,
        records,
        reason,
        ..
    } = p;
    let list = records.join(", ");
    let mode = mode.as_deref().unwrap_or("none");
    let (en, pt) = match (policy.as_str(), source.as_str()) {
        ("dane", "secure") => {
            let host = host.as_deref().unwrap_or(domain);
            (
                format!(
                    "{node} found TLSA records for {host} in signed DNS ({list}): it will send only over TLS to a server whose certificate matches them (DANE)"
                ),
                format!(
                    "{node} encontrou registros TLSA de {host} no DNS assinado ({list}): só enviará por TLS a um servidor cujo certificado bata com eles (DANE)"
                ),
            )
        }
        ("dane", _) => {
            let host = host.as_deref().unwrap_or(domain);
            let why = reason.as_deref().unwrap_or("no TLSA records");
            (
                format!("{node} has no DANE for {host}: {why}"),
                format!("{node} não tem DANE para {host}: {why}"),
            )
        }
        (_, "fetched" | "cached") => {
            let how_en = if source == "fetched" {
                format!("fetched over HTTPS from mta-sts.{domain}")
            } else {
                "kept from an earlier fetch".to_string()
            };
            let how_pt = if source == "fetched" {
                format!("baixada por HTTPS de mta-sts.{domain}")
            } else {
                "guardada de uma busca anterior".to_string()
            };
            (
                format!(
                    "{node} follows the MTA-STS policy of {domain} ({how_en}): mode {mode}, MX hosts {list}"
                ),
                format!(
                    "{node} segue a política MTA-STS de {domain} ({how_pt}): modo {mode}, servidores MX {list}"
                ),
            )
        }
        _ => {
            let why = reason.as_deref().unwrap_or("no _mta-sts record");
            (
                format!("{node} found no MTA-STS policy for {domain}: {why}"),
                format!("{node} não encontrou política MTA-STS para {domain}: {why}"),
            )
        }
    };
    Narration::at(node, en, pt)
}

/// A host that did not meet the policy.
pub(super) fn tls_policy_failed(f: &TlsPolicyFailed) -> Narration {
    let TlsPolicyFailed {
        node,
        message,
        domain,
        host,
        policy,
        result,
        reason,
        enforced,
    } = f;
    let name = if policy == "dane" { "DANE" } else { "MTA-STS" };
    let (then_en, then_pt) = if *enforced {
        (
            format!("{message} waits in the queue"),
            format!("{message} espera na fila"),
        )
    } else {
        (
            "the policy is only in testing mode, so the message goes anyway and the failure is reported".to_string(),
            "a política está só em modo de teste, então a mensagem segue mesmo assim e a falha é relatada".to_string(),
        )
    };
    Narration {
        peer: Some(host.clone()),
        ..Narration::at(
            node,
            format!("{host} fails the {name} policy of {domain} ({result}): {reason}; {then_en}"),
            format!(
                "{host} não cumpre a política {name} de {domain} ({result}): {reason}; {then_pt}"
            ),
        )
    }
}

/// A TLS report on its way.
pub(super) fn tls_report_sent(r: &TlsReportSent) -> Narration {
    let TlsReportSent {
        node,
        domain,
        message,
        to,
        successful,
        failed,
    } = r;
    Narration::at(
        node,
        format!(
            "{node} sends {domain} a TLS report ({message}, to {to}): sessions that met its policy {successful}, that failed {failed}"
        ),
        format!(
            "{node} envia a {domain} um relatório de TLS ({message}, para {to}): sessões que cumpriram a política {successful}, que falharam {failed}"
        ),
    )
}

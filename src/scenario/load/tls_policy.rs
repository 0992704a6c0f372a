//! Checks on what a domain publishes about TLS for the servers that send
//! it mail: MTA-STS records and policies, DANE's TLSA records, TLS-RPT
//! records, and the server settings they lean on. All warnings: a broken
//! policy is something a scenario may want to show (senders ignore it).

use super::Problems;
use super::locate::JsonPath;
use crate::policy::{dane, mta_sts, tlsrpt};
use crate::scenario::model::{Node, Scenario, StartTls, StsMode};

/// A server's TLS-policy settings: its web server's MTA-STS policy, its
/// DANE record, REQUIRETLS.
pub(super) fn check_node(
    p: &mut Problems<'_>,
    at: &JsonPath,
    s: &Scenario,
    name: &str,
    node: &Node,
) {
    let no_tls = node.starttls == StartTls::None;
    if node.tlsa && no_tls {
        p.warn(
            &at.key("tlsa"),
            "a TLSA record tells senders this server speaks TLS, and it has none (`\"starttls\": \"none\"`): senders that use DANE will keep its mail queued",
            Some("remove `\"starttls\": \"none\"`, or leave `tlsa` out".into()),
        );
    }
    if node.requiretls && no_tls {
        p.warn(
            &at.key("requiretls"),
            "REQUIRETLS is offered only inside TLS, and this server has none: it will never be offered",
            Some("remove `\"starttls\": \"none\"`, or leave `requiretls` out".into()),
        );
    }
    let Some(web) = &node.web else {
        return;
    };
    let at = at.key("web");
    if let Some(policy) = &web.mta_sts {
        check_policy(p, &at.key("mta_sts"), policy);
    }
    if let Some(text) = &web.mta_sts_text {
        if web.mta_sts.is_some() {
            p.warn(
                &at.key("mta_sts_text"),
                "both `mta_sts` and `mta_sts_text` are given: the text is served, the policy is not",
                Some("keep one of them".into()),
            );
        }
        if let Err(why) = mta_sts::parse_policy(text) {
            p.warn(
                &at.key("mta_sts_text"),
                format!("this policy file does not parse ({why}): senders will act as if the domain had no policy (RFC 8461 section 3.2)"),
                Some("`version: STSv1`, `mode: enforce`, one `mx: <host>` line per MX, `max_age: 86400`, each on its own line".into()),
            );
        }
    }
    if web.mta_sts.is_some() || web.mta_sts_text.is_some() {
        check_policy_host(p, &at, s, name, node);
    }
}

/// The pieces of a scenario's `mta_sts` policy a parser would refuse.
fn check_policy(p: &mut Problems<'_>, at: &JsonPath, policy: &crate::scenario::MtaSts) {
    for (i, mx) in policy.mx.iter().enumerate() {
        if let Err(why) = mta_sts::check_mx_pattern(mx) {
            p.warn(
                &at.key("mx").index(i),
                format!("{why}: senders will refuse the whole policy"),
                Some("write a host name like `mx.example.test`, or `*.example.test`".into()),
            );
        }
    }
    if policy.mx.is_empty() && policy.mode != StsMode::None {
        p.warn(
            at,
            "a policy that is not `none` names the MX hosts senders may deliver to, and `mx` is empty: senders will refuse the policy",
            Some("add `\"mx\": [\"<the MX host>\"]`".into()),
        );
    }
    if policy.max_age > mta_sts::MAX_AGE {
        p.warn(
            &at.key("max_age"),
            format!(
                "`max_age` is at most {} seconds (about a year): senders will refuse the policy",
                mta_sts::MAX_AGE
            ),
            Some("one day is 86400, one week 604800".into()),
        );
    }
}

/// Senders fetch the policy from `mta-sts.<domain>`: the node must answer
/// to that name, and `_mta-sts.<domain>` must announce the policy.
fn check_policy_host(p: &mut Problems<'_>, at: &JsonPath, s: &Scenario, name: &str, node: &Node) {
    let hosts: Vec<String> = std::iter::once(name)
        .chain(node.aliases.iter().map(String::as_str))
        .map(|h| h.trim_end_matches('.').to_ascii_lowercase())
        .filter(|h| h.starts_with("mta-sts."))
        .collect();
    if hosts.is_empty() {
        p.warn(
            at,
            "senders fetch an MTA-STS policy from `https://mta-sts.<domain>` and check the certificate for that name, and this node has no `mta-sts.` name",
            Some("add `mta-sts.<the mail domain>` to this node's `aliases`".into()),
        );
    }
    for host in hosts {
        let domain = &host["mta-sts.".len()..];
        let record = mta_sts::record_name(domain);
        let announced = s.dns.iter().any(|(owner, records)| {
            owner.trim_end_matches('.').eq_ignore_ascii_case(&record)
                && matches!(mta_sts::parse_record(&records.txt), Ok(Some(_)))
        });
        if !announced {
            p.warn(
                at,
                format!("senders fetch the policy only when `{record}` has a TXT record `v=STSv1; id=...`, and it has none"),
                Some(format!("add `\"{record}\": {{\"TXT\": [\"v=STSv1; id=1\"]}}` to `dns`")),
            );
        }
    }
}

/// The zone's MTA-STS, TLS-RPT and TLSA records, read as a sender reads
/// them.
pub(super) fn check_zone(p: &mut Problems<'_>, root: &JsonPath, s: &Scenario) {
    for (owner, records) in &s.dns {
        let at = root.key("dns").key(owner);
        let lower = owner.trim_end_matches('.').to_ascii_lowercase();
        if lower.starts_with("_mta-sts.")
            && let Err(why) = mta_sts::parse_record(&records.txt)
        {
            p.warn(
                &at.key("TXT"),
                format!("{why}: senders will act as if the domain had no MTA-STS policy"),
                Some("one record, `v=STSv1; id=<1 to 32 letters and digits>`".into()),
            );
        }
        if lower.starts_with("_smtp._tls.") {
            match tlsrpt::parse_record(&records.txt) {
                Err(why) => p.warn(
                    &at.key("TXT"),
                    format!("{why}: senders will send no TLS reports"),
                    Some("one record, `v=TLSRPTv1; rua=mailto:<address>`".into()),
                ),
                Ok(Some(record)) if record.mailto().next().is_none() => p.warn(
                    &at.key("TXT"),
                    "this record asks for reports only over HTTPS, and mailhop's senders only mail them: no report will be sent",
                    Some("add `mailto:<address>` to `rua`".into()),
                ),
                Ok(_) => {}
            }
        }
        for (i, text) in records.tlsa.iter().enumerate() {
            let at = at.key("TLSA").index(i);
            match dane::parse(text) {
                Err(why) => p.warn(
                    &at,
                    format!("{why}: senders that use DANE cannot read this record"),
                    Some("write `3 1 1 <64 hex digits>`, or give the server `\"tlsa\": true` and leave the record out".into()),
                ),
                Ok(record) => {
                    if let Some(why) = record.unusable() {
                        p.warn(&at, format!("{why}: senders pass this record over"), Some("DANE for SMTP uses usages 2 and 3: `3 1 1 <hex>` is the usual record".into()));
                    }
                }
            }
        }
        if !records.tlsa.is_empty() && !lower.starts_with("_25._tcp.") {
            p.warn(
                &at.key("TLSA"),
                "senders look for a mail server's TLSA records at `_25._tcp.<MX host>` (RFC 7672 section 2.2.3), not here",
                Some(format!("move them under `_25._tcp.{}`", lower.trim_start_matches('_'))),
            );
        }
    }
}

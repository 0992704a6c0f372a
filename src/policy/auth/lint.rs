//! What a verifier would make of a zone's TXT records: SPF, DKIM keys and
//! DMARC policies that do not parse, read with the same parsers the checks
//! use, for `validate` to warn about before a run shows the outcome.

use mail_auth::common::parse::TxtRecordParser;
use mail_auth::common::verify::DomainKey;
use mail_auth::dmarc::Dmarc;
use mail_auth::spf::Spf;

/// One finding: which record (by index), what is wrong, what to do.
pub struct Finding {
    pub index: usize,
    pub message: String,
    pub hint: String,
}

/// Findings for the TXT records at `owner`.
pub fn lint(owner: &str, records: &[String]) -> Vec<Finding> {
    let owner = owner.trim_end_matches('.').to_ascii_lowercase();
    let mut out = Vec::new();
    if owner.contains("._domainkey.") {
        for (index, r) in records.iter().enumerate() {
            if DomainKey::parse(r.as_bytes()).is_err() {
                out.push(Finding {
                    index,
                    message: format!("this DKIM key record does not parse: verifiers will give `permerror` for signatures with selector `{}`", owner.split('.').next().unwrap_or("")),
                    hint: "write `v=DKIM1; k=rsa; p=<base64 key>`, or leave the record out and mailhop publishes the signing node's key".into(),
                });
            }
        }
        return out;
    }
    if owner.starts_with("_dmarc.") {
        for (index, r) in records.iter().enumerate() {
            if Dmarc::parse(r.as_bytes()).is_err() {
                out.push(Finding {
                    index,
                    message: "this DMARC record does not parse: receivers will act as if the domain had no DMARC policy".into(),
                    hint: "write `v=DMARC1; p=none|quarantine|reject`, `v=DMARC1` first".into(),
                });
            }
        }
        return out;
    }
    let spf: Vec<(usize, &String)> = records
        .iter()
        .enumerate()
        .filter(|(_, r)| {
            let r = r.to_ascii_lowercase();
            r == "v=spf1" || r.starts_with("v=spf1 ")
        })
        .collect();
    if spf.len() > 1 {
        out.push(Finding {
            index: spf[1].0,
            message: format!("`{owner}` has {} SPF records: every SPF check of this domain gives `permerror` (RFC 7208 section 4.5)", spf.len()),
            hint: "merge them into one `v=spf1 ...` record".into(),
        });
    }
    for (index, r) in spf {
        if Spf::parse(r.as_bytes()).is_err() {
            out.push(Finding {
                index,
                message: "this SPF record does not parse: checks of this domain give `permerror`".into(),
                hint: "mechanisms are separated by spaces, like `v=spf1 ip4:192.0.2.10 a:mail.example.test -all`".into(),
            });
        } else if r.contains("%{t}") {
            out.push(Finding {
                index,
                message: "`%{t}` is the verifier's wall-clock time: its expansion is the one thing a run could not repeat".into(),
                hint: "mailhop expands it only in explanation text, and leaves that out of the trace; use another macro".into(),
            });
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn broken_records_are_found_by_kind() {
        assert!(lint("bank.test", &["v=spf1 ip4:192.0.2.10 -all".into()]).is_empty());
        assert_eq!(
            lint("bank.test", &["v=spf1 -all".into(), "v=spf1 +all".into()]).len(),
            1
        );
        assert_eq!(
            lint("bank.test", &["v=spf1 ip4:999.1 -all".into()]).len(),
            1
        );
        assert_eq!(lint("_dmarc.bank.test", &["p=reject".into()]).len(), 1);
        assert!(lint("_dmarc.bank.test", &["v=DMARC1; p=reject".into()]).is_empty());
        assert_eq!(
            lint("s._domainkey.bank.test", &["v=DKIM1; p=!!!".into()]).len(),
            1
        );
        assert!(lint("bank.test", &["google-site-verification=abc".into()]).is_empty());
    }
}

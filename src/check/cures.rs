//! Claims about attackers on the path and the cures against them:
//! `attacked` (from `tapped`, `tampered` and `dns_forged` events),
//! `tls_policy` (from `tls_policy` and `tls_policy_failed`) and
//! `tls_report` (from `tls_report_sent`).
//!
//! The rule is the same for the three: pick the events the claim names,
//! then at least one must fit. A claim that picks nothing fails and lists
//! what the trace holds instead, so a wrong name is easy to spot.

use super::Evidence;
use super::claims::{Verdict, hop_before};
use crate::clock::SimTime;
use crate::scenario::{AttackAct, AttackedClaim, PolicyOutcome, TlsPolicyClaim, TlsReportClaim};
use crate::trace::{Event, Record, Trace};

/// One act of an attacker, in the words of the claim.
struct Act<'a> {
    record: &'a Record,
    attacker: &'a str,
    did: AttackAct,
    conn: Option<&'a str>,
    /// The machines it acted against: both ends of a connection, or the
    /// machine that asked DNS.
    nodes: Vec<&'a str>,
    name: Option<&'a str>,
    refused: bool,
    what: String,
}

/// The ends of connection `conn`, from its `connect` event.
fn ends<'a>(trace: &'a Trace, conn: &str) -> Vec<&'a str> {
    trace
        .events
        .iter()
        .find_map(|r| match &r.event {
            Event::Connect(c) if c.conn == conn => Some(vec![c.client.as_str(), c.server.as_str()]),
            _ => None,
        })
        .unwrap_or_default()
}

fn acts(trace: &Trace) -> Vec<Act<'_>> {
    trace
        .events
        .iter()
        .filter_map(|record| match &record.event {
            Event::Tapped(t) => Some(Act {
                record,
                attacker: &t.attacker,
                did: AttackAct::Tapped,
                conn: Some(&t.conn),
                nodes: vec![&t.client, &t.server],
                name: None,
                refused: false,
                what: format!(
                    "{} tapped {} ({} to {})",
                    t.attacker, t.conn, t.client, t.server
                ),
            }),
            Event::Tampered(t) if t.what == "strip_starttls" => Some(Act {
                record,
                attacker: &t.attacker,
                did: AttackAct::Stripped,
                conn: Some(&t.conn),
                nodes: ends(trace, &t.conn),
                name: None,
                refused: false,
                what: format!(
                    "{} stripped STARTTLS on {}: {:?} became {:?}",
                    t.attacker, t.conn, t.before, t.after
                ),
            }),
            Event::DnsForged(f) => Some(Act {
                record,
                attacker: &f.attacker,
                did: AttackAct::Forged,
                conn: None,
                nodes: vec![&f.node],
                name: Some(&f.name),
                refused: f.refused,
                what: format!(
                    "{} forged {} {} for {}{}",
                    f.attacker,
                    f.name,
                    f.rtype,
                    f.node,
                    if f.refused {
                        " (refused: no valid DNSSEC signature)"
                    } else {
                        ""
                    }
                ),
            }),
            _ => None,
        })
        .collect()
}

fn yes(v: bool) -> &'static str {
    if v { "yes" } else { "no" }
}

/// `attacked`: at least one act of the attacker fits.
pub(super) fn attacked(claim: &AttackedClaim, trace: &Trace) -> Verdict {
    let all = acts(trace);
    let fits = |a: &Act<'_>| {
        a.attacker == claim.attacker
            && a.did == claim.did
            && claim.conn.as_deref().is_none_or(|c| a.conn == Some(c))
            && claim.node.as_deref().is_none_or(|n| a.nodes.contains(&n))
            && claim
                .name
                .as_deref()
                .is_none_or(|n| a.name.is_some_and(|m| m.eq_ignore_ascii_case(n)))
            && claim.refused.is_none_or(|r| r == a.refused)
    };
    let mut expected = format!("{} {}", claim.attacker, claim.did.as_str());
    if let Some(name) = &claim.name {
        expected.push_str(&format!(" {name}"));
    }
    if let Some(node) = &claim.node {
        let word = if claim.did == AttackAct::Forged {
            "for"
        } else {
            "against"
        };
        expected.push_str(&format!(" {word} {node}"));
    }
    if let Some(conn) = &claim.conn {
        expected.push_str(&format!(" on {conn}"));
    }
    if let Some(r) = claim.refused {
        expected.push_str(&format!(", refused: {}", yes(r)));
    }
    let title = format!("attacked: {} {}", claim.attacker, claim.did.as_str());
    let evidence =
        |a: &Act<'_>| Evidence::of(a.record, hop_before(trace, a.record.seq), a.what.clone());
    if let Some(a) = all.iter().find(|a| fits(a)) {
        return Verdict {
            claim: title,
            passed: true,
            expected,
            actual: a.what.clone(),
            evidence: Some(evidence(a)),
        };
    }
    // What it did instead: acts of the same kind first, when there are any.
    let mut own: Vec<&Act<'_>> = all
        .iter()
        .filter(|a| a.attacker == claim.attacker && a.did == claim.did)
        .collect();
    if own.is_empty() {
        own = all
            .iter()
            .filter(|a| a.attacker == claim.attacker)
            .collect();
    }
    let actual = if own.is_empty() {
        format!("{} did nothing in this run", claim.attacker)
    } else {
        let mut seen: Vec<String> = own.iter().map(|a| a.what.clone()).collect();
        seen.dedup();
        let more = seen.len().saturating_sub(5);
        seen.truncate(5);
        let mut text = format!("only: {}", seen.join("; "));
        if more > 0 {
            text.push_str(&format!("; and {more} more"));
        }
        text
    };
    Verdict {
        claim: title,
        passed: false,
        expected,
        actual,
        evidence: own.first().map(|a| evidence(a)),
    }
}

/// What one `tls_policy` or `tls_policy_failed` event says, for a claim.
struct Finding<'a> {
    record: &'a Record,
    outcome: PolicyOutcome,
    result: Option<&'a str>,
    enforced: Option<bool>,
    what: String,
}

fn findings<'a>(claim: &TlsPolicyClaim, trace: &'a Trace) -> Vec<Finding<'a>> {
    let policy = claim.policy.as_str();
    let picked = |node: &str, domain: &str, kind: &str| {
        node == claim.node && domain.eq_ignore_ascii_case(&claim.domain) && kind == policy
    };
    trace
        .events
        .iter()
        .filter_map(|record| match &record.event {
            Event::TlsPolicy(p) if picked(&p.node, &p.domain, &p.policy) => {
                let outcome = if p.source == "none" {
                    PolicyOutcome::None
                } else {
                    PolicyOutcome::Found
                };
                let mut what = format!("{} {}: {}", p.policy, p.domain, p.source);
                if let Some(host) = &p.host {
                    what.push_str(&format!(" for {host}"));
                }
                if let Some(mode) = &p.mode {
                    what.push_str(&format!(", mode {mode}"));
                }
                if let Some(reason) = &p.reason {
                    what.push_str(&format!(" ({reason})"));
                }
                Some(Finding {
                    record,
                    outcome,
                    result: None,
                    enforced: None,
                    what,
                })
            }
            Event::TlsPolicyFailed(f) if picked(&f.node, &f.domain, &f.policy) => Some(Finding {
                record,
                outcome: PolicyOutcome::Failed,
                result: Some(&f.result),
                enforced: Some(f.enforced),
                what: format!(
                    "{} failed {} at {}: {}, {} ({})",
                    f.host,
                    f.policy,
                    SimTime(record.t),
                    f.result,
                    if f.enforced {
                        "enforced"
                    } else {
                        "reported only"
                    },
                    f.reason
                ),
            }),
            _ => None,
        })
        .collect()
}

/// `tls_policy`: at least one finding of the sending server fits.
pub(super) fn tls_policy(claim: &TlsPolicyClaim, trace: &Trace) -> Verdict {
    let all = findings(claim, trace);
    let fits = |f: &Finding<'_>| {
        f.outcome == claim.outcome
            && claim.result.as_deref().is_none_or(|r| f.result == Some(r))
            && claim.enforced.is_none_or(|e| f.enforced == Some(e))
    };
    let mut expected = format!(
        "{} {} for {}: {}",
        claim.node,
        claim.policy.as_str(),
        claim.domain,
        claim.outcome.as_str()
    );
    if let Some(r) = &claim.result {
        expected.push_str(&format!(", {r}"));
    }
    if let Some(e) = claim.enforced {
        expected.push_str(if e { ", enforced" } else { ", reported only" });
    }
    let title = format!(
        "tls_policy: {} {} for {}",
        claim.node,
        claim.policy.as_str(),
        claim.domain
    );
    let evidence =
        |f: &Finding<'_>| Evidence::of(f.record, hop_before(trace, f.record.seq), f.what.clone());
    if let Some(f) = all.iter().find(|f| fits(f)) {
        return Verdict {
            claim: title,
            passed: true,
            expected,
            actual: f.what.clone(),
            evidence: Some(evidence(f)),
        };
    }
    let actual = if all.is_empty() {
        format!(
            "{} never looked for {} of {} (is `tls_policy` on, and did it send there?)",
            claim.node,
            claim.policy.as_str(),
            claim.domain
        )
    } else {
        let mut seen: Vec<String> = all.iter().map(|f| f.what.clone()).collect();
        seen.dedup();
        seen.truncate(5);
        format!("only: {}", seen.join("; "))
    };
    Verdict {
        claim: title,
        passed: false,
        expected,
        actual,
        evidence: all.first().map(evidence),
    }
}

/// `tls_report`: a report from the node about the domain fits.
pub(super) fn tls_report(claim: &TlsReportClaim, trace: &Trace) -> Verdict {
    let sent: Vec<(&Record, &crate::trace::TlsReportSent)> = trace
        .events
        .iter()
        .filter_map(|r| match &r.event {
            Event::TlsReportSent(s)
                if s.node == claim.node && s.domain.eq_ignore_ascii_case(&claim.domain) =>
            {
                Some((r, &**s))
            }
            _ => None,
        })
        .collect();
    let describe = |r: &Record, s: &crate::trace::TlsReportSent| {
        format!(
            "report {} to {} at {}: {} successful, {} failed",
            s.message,
            s.to,
            SimTime(r.t),
            s.successful,
            s.failed
        )
    };
    let mut expected = format!("a TLS report from {} about {}", claim.node, claim.domain);
    if let Some(to) = &claim.to {
        expected.push_str(&format!(" to {to}"));
    }
    if let Some(n) = claim.min_failed {
        expected.push_str(&format!(" counting at least {n} failed"));
    }
    let title = format!("tls_report: {} about {}", claim.node, claim.domain);
    let found = sent.iter().find(|(_, s)| {
        claim
            .to
            .as_deref()
            .is_none_or(|t| s.to.eq_ignore_ascii_case(t))
            && claim.min_failed.is_none_or(|n| s.failed >= n)
    });
    let evidence = |r: &Record, s: &crate::trace::TlsReportSent| {
        Evidence::of(r, hop_before(trace, r.seq), describe(r, s))
    };
    match found {
        Some((r, s)) => Verdict {
            claim: title,
            passed: true,
            expected,
            actual: describe(r, s),
            evidence: Some(evidence(r, s)),
        },
        None => Verdict {
            claim: title,
            passed: false,
            expected,
            actual: if sent.is_empty() {
                format!(
                    "{} sent no TLS report about {} (does it have `tls_policy.reports`, and does \
                     the domain publish `_smtp._tls`?)",
                    claim.node, claim.domain
                )
            } else {
                format!(
                    "only: {}",
                    sent.iter()
                        .map(|(r, s)| describe(r, s))
                        .collect::<Vec<_>>()
                        .join("; ")
                )
            },
            evidence: sent.first().map(|(r, s)| evidence(r, s)),
        },
    }
}

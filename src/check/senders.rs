//! Claims about who really sent a message: the sender checks a server
//! made (`authenticated`) and a spam filter's score (`spam`).

use super::Evidence;
use super::claims::{Verdict, hop_before};
use crate::scenario::{AuthenticatedClaim, SpamClaim};
use crate::trace::senders::{SenderChecked, SpamScored};
use crate::trace::{Event, Record, Trace};

fn checks<'a>(
    claim: &AuthenticatedClaim,
    trace: &'a Trace,
) -> Vec<(&'a Record, &'a SenderChecked)> {
    trace
        .events
        .iter()
        .filter_map(|r| match &r.event {
            Event::SenderChecked(c) => Some((r, &**c)),
            _ => None,
        })
        .filter(|(_, c)| {
            c.node == claim.at
                && claim.message.as_deref().is_none_or(|m| m == c.message)
                && claim
                    .sender
                    .as_deref()
                    .is_none_or(|s| s.eq_ignore_ascii_case(&c.mail_from))
        })
        .collect()
}

fn describe_check(c: &SenderChecked) -> String {
    let k = &c.checks;
    format!(
        "{} from <{}>: spf={} dkim={} dmarc={} arc={}, {}",
        c.message,
        c.mail_from,
        k.spf.result.as_str(),
        k.dkim_result().as_str(),
        k.dmarc.result.as_str(),
        k.arc.result.as_str(),
        c.action.as_str()
    )
}

pub(super) fn authenticated(claim: &AuthenticatedClaim, trace: &Trace) -> Verdict {
    let picked = checks(claim, trace);
    let mut wanted = Vec::new();
    let results = [
        ("spf", claim.spf),
        ("dkim", claim.dkim),
        ("dmarc", claim.dmarc),
        ("arc", claim.arc),
    ];
    for (name, v) in results {
        if let Some(v) = v {
            wanted.push(format!("{name}={}", v.as_str()));
        }
    }
    if let Some(a) = claim.action {
        wanted.push(a.as_str().to_string());
    }
    let which = [
        claim.message.clone(),
        claim.sender.as_ref().map(|s| format!("from <{s}>")),
    ]
    .into_iter()
    .flatten()
    .collect::<Vec<_>>()
    .join(" ");
    let expected = format!(
        "{} checked {}: {}",
        claim.at,
        if which.is_empty() {
            "a message"
        } else {
            &which
        },
        if wanted.is_empty() {
            "any result".into()
        } else {
            wanted.join(" ")
        }
    );
    let fits = |c: &SenderChecked| {
        let k = &c.checks;
        claim.spf.is_none_or(|v| v == k.spf.result)
            && claim.dkim.is_none_or(|v| v == k.dkim_result())
            && claim.dmarc.is_none_or(|v| v == k.dmarc.result)
            && claim.arc.is_none_or(|v| v == k.arc.result)
            && claim.action.is_none_or(|a| a == c.action)
    };
    let wrong = picked.iter().find(|(_, c)| !fits(c));
    let decisive = wrong.or(picked.first());
    Verdict {
        claim: format!("authenticated at {}", claim.at),
        passed: !picked.is_empty() && wrong.is_none(),
        expected,
        actual: if picked.is_empty() {
            format!("{} checked no such message", claim.at)
        } else {
            picked
                .iter()
                .map(|(_, c)| describe_check(c))
                .collect::<Vec<_>>()
                .join("; ")
        },
        evidence: decisive
            .map(|(r, c)| Evidence::of(r, hop_before(trace, r.seq), describe_check(c))),
    }
}

fn describe_score(s: &SpamScored) -> String {
    let rules: Vec<String> = s
        .rules
        .iter()
        .map(|r| format!("{} {:+.1}", r.name, r.score))
        .collect();
    format!(
        "{} scored {:.1} ({}), {}",
        s.message,
        s.score,
        if rules.is_empty() {
            "no rule".into()
        } else {
            rules.join(", ")
        },
        s.action.as_str()
    )
}

pub(super) fn spam(claim: &SpamClaim, trace: &Trace) -> Verdict {
    let picked: Vec<(&Record, &SpamScored)> = trace
        .events
        .iter()
        .filter_map(|r| match &r.event {
            Event::SpamScored(s) => Some((r, &**s)),
            _ => None,
        })
        .filter(|(_, s)| {
            s.node == claim.at && claim.message.as_deref().is_none_or(|m| m == s.message)
        })
        .collect();
    let mut wanted = Vec::new();
    if let Some(a) = claim.action {
        wanted.push(a.as_str().to_string());
    }
    if let Some(m) = claim.min_score {
        wanted.push(format!("score at least {m:.1}"));
    }
    if let Some(m) = claim.max_score {
        wanted.push(format!("score at most {m:.1}"));
    }
    if !claim.rules.is_empty() {
        wanted.push(format!("rules {}", claim.rules.join(", ")));
    }
    let fits = |s: &SpamScored| {
        claim.action.is_none_or(|a| a == s.action)
            && claim.min_score.is_none_or(|m| s.score >= m)
            && claim.max_score.is_none_or(|m| s.score <= m)
            && claim
                .rules
                .iter()
                .all(|name| s.rules.iter().any(|r| r.name.eq_ignore_ascii_case(name)))
    };
    let wrong = picked.iter().find(|(_, s)| !fits(s));
    let decisive = wrong.or(picked.first());
    Verdict {
        claim: format!("spam at {}", claim.at),
        passed: !picked.is_empty() && wrong.is_none(),
        expected: format!(
            "{} scored {}: {}",
            claim.at,
            claim.message.as_deref().unwrap_or("a message"),
            if wanted.is_empty() {
                "anything".into()
            } else {
                wanted.join(", ")
            }
        ),
        actual: if picked.is_empty() {
            format!("{} scored no such message", claim.at)
        } else {
            picked
                .iter()
                .map(|(_, s)| describe_score(s))
                .collect::<Vec<_>>()
                .join("; ")
        },
        evidence: decisive
            .map(|(r, s)| Evidence::of(r, hop_before(trace, r.seq), describe_score(s))),
    }
}

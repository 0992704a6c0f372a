//! Claims about what a party could read: the `readable` kind, judged on the
//! exposure ledger's readings (the same rule the report and the player use).

use super::Evidence;
use super::claims::Verdict;
use crate::exposure::{Ledger, Party, Reading};
use crate::scenario::pgp::ReadableClaim;
use crate::trace::{Event, Trace};

/// `readable`: envelope, headers, Subject and body, as the party read them.
pub(super) fn readable(claim: &ReadableClaim, trace: &Trace) -> Verdict {
    let ledger = Ledger::from_trace(trace);
    let readings: Vec<Reading> = ledger
        .readings()
        .into_iter()
        .filter(|r| r.message == claim.message && r.party.by() == claim.by)
        .collect();
    let who = if claim.by == "link" {
        "anyone on a link".to_string()
    } else {
        claim.by.clone()
    };
    let title = format!("what {who} could read of {}", claim.message);
    let parts = [
        ("envelope", claim.envelope),
        ("headers", claim.headers),
        ("subject", claim.subject),
        ("body", claim.body),
    ];
    let wanted: Vec<String> = parts
        .iter()
        .filter_map(|(name, v)| v.map(|v| format!("{name}: {}", yes(v))))
        .collect();
    if readings.is_empty() {
        return Verdict {
            claim: title,
            passed: false,
            expected: wanted.join(", "),
            actual: format!("{who} never held {}", claim.message),
            evidence: None,
        };
    }
    // The most this party read, over every copy or link it had.
    let any = |f: &dyn Fn(&Reading) -> bool| readings.iter().any(f);
    let subject = readings.iter().find_map(|r| r.subject.clone());
    let actual = [
        ("envelope", any(&|r| r.envelope)),
        ("headers", any(&|r| r.headers)),
        ("subject", subject.is_some()),
        ("body", any(&|r| r.body)),
    ];
    let passed = parts
        .iter()
        .zip(&actual)
        .all(|((_, want), (_, got))| want.is_none_or(|w| w == *got));
    let mut actual_text: Vec<String> = parts
        .iter()
        .zip(&actual)
        .filter(|((_, want), _)| want.is_some())
        .map(|(_, (name, got))| format!("{name}: {}", yes(*got)))
        .collect();
    if let (Some(s), Some(_)) = (&subject, claim.subject) {
        actual_text.push(format!("Subject {s:?}"));
    }
    // The first reading, and the trace record it came from.
    let first = &readings[0];
    let evidence = trace
        .events
        .iter()
        .find(|r| match (&r.event, &first.party) {
            (Event::Stored(s), Party::Operator { node } | Party::Device { node }) => {
                &s.node == node && s.message == first.message
            }
            (Event::Hop(h), Party::Link { hop, .. }) => h.hop == *hop,
            _ => false,
        })
        .map(|r| {
            let hop = match &r.event {
                Event::Hop(h) => Some(h.hop),
                _ => None,
            };
            Evidence::of(r, hop, format!("{who} held {}", first.message))
        });
    Verdict {
        claim: title,
        passed,
        expected: wanted.join(", "),
        actual: actual_text.join(", "),
        evidence,
    }
}

fn yes(v: bool) -> &'static str {
    if v { "yes" } else { "no" }
}

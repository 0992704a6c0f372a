//! Checks on who-sent-this settings: DKIM and ARC keys, sender checks,
//! forwarding, the spam filter, and what verifiers would make of the
//! zone's SPF, DKIM and DMARC records.

use super::locate::JsonPath;
use super::{Problems, is_address, is_host_name, nearest};
use crate::scenario::model::{Node, Scenario};

/// A server's settings about senders.
pub(super) fn check_node(p: &mut Problems<'_>, at: &JsonPath, node: &Node) {
    let domain = |p: &mut Problems<'_>, path: JsonPath, d: &str| {
        if !is_host_name(d.trim_end_matches('.')) {
            p.at(
                &path,
                format!("`{d}` is not a domain name"),
                Some("write it like `bank.test`".into()),
            );
        }
    };
    let selector = |p: &mut Problems<'_>, path: JsonPath, s: &str| {
        let ok = !s.is_empty()
            && s.split('.').all(|l| {
                !l.is_empty() && l.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'-')
            });
        if !ok {
            p.at(
                &path,
                format!("`{s}` is not a selector"),
                Some("a selector is a DNS label such as `2026` or `mail`".into()),
            );
        }
    };
    if let Some(d) = &node.dkim {
        domain(p, at.key("dkim").key("domain"), &d.domain);
        selector(p, at.key("dkim").key("selector"), &d.selector);
    }
    if let Some(a) = &node.arc {
        domain(p, at.key("arc").key("domain"), &a.domain);
        selector(p, at.key("arc").key("selector"), &a.selector);
        if node.forward_to.is_empty() {
            p.warn(
                &at.key("arc"),
                "this server seals only what it forwards, and `forward_to` is empty: it will seal nothing",
                Some("add `forward_to`, or leave `arc` out".into()),
            );
        }
        if node.check_senders.is_none() {
            p.at(
                &at.key("arc"),
                "an ARC seal records the results this server found, so it needs `check_senders`",
                Some("add `\"check_senders\": {}`".into()),
            );
        }
    }
    if let Some(c) = &node.check_senders {
        for (i, d) in c.trust_arc.iter().enumerate() {
            domain(p, at.key("check_senders").key("trust_arc").index(i), d);
        }
    }
    for (from, to) in &node.forward_to {
        let path = at.key("forward_to").key(from);
        if !is_address(from) {
            p.at_key(
                &path,
                format!("`{from}` is not an e-mail address"),
                Some("write it like `bob@old.test`".into()),
            );
        } else if !node.mailboxes.iter().any(|m| m.eq_ignore_ascii_case(from)) {
            p.at_key(
                &path,
                format!("`{from}` is not a mailbox on this server, so it refuses mail for it before it could forward"),
                Some("add it to this node's `mailboxes`".into()),
            );
        }
        if !is_address(to) {
            p.at(
                &path,
                format!("`{to}` is not an e-mail address"),
                Some("write it like `bob@new.test`".into()),
            );
        }
    }
    if node.forwarding.is_some() && node.forward_to.is_empty() {
        p.warn(
            &at.key("forwarding"),
            "`forwarding` says how `forward_to` forwards, and `forward_to` is empty",
            Some("add `forward_to`, or leave `forwarding` out".into()),
        );
    }
    if let Some(spam) = &node.spam {
        let at = at.key("spam");
        let known: Vec<&str> = crate::policy::spam::RULES.iter().map(|(n, _)| *n).collect();
        for (rule, score) in &spam.scores {
            if !known.contains(&rule.as_str()) {
                p.at_key(
                    &at.key("scores").key(rule),
                    format!("`{rule}` is not a rule of the spam filter"),
                    Some(match nearest(rule, known.iter().copied()) {
                        Some(best) => format!("did you mean `{best}`?"),
                        None => format!("one of {}", known.join(", ")),
                    }),
                );
            }
            if !score.is_finite() {
                p.at(&at.key("scores").key(rule), "a score is a number", None);
            }
        }
        if !spam.junk_at.is_finite() || spam.reject_at.is_some_and(|r| !r.is_finite()) {
            p.at(&at, "thresholds are numbers", None);
        } else if let Some(r) = spam.reject_at
            && r < spam.junk_at
        {
            p.warn(
                &at.key("reject_at"),
                format!("`reject_at` ({r}) is below `junk_at` ({}): nothing is ever filed into Junk, it is refused first", spam.junk_at),
                Some("make `reject_at` the higher one".into()),
            );
        }
    }
}

/// The zone's SPF, DKIM and DMARC records, read as a verifier reads them.
pub(super) fn check_zone(p: &mut Problems<'_>, root: &JsonPath, s: &Scenario) {
    for (owner, records) in &s.dns {
        let at = root.key("dns").key(owner).key("TXT");
        for f in crate::policy::auth::lint::lint(owner, &records.txt) {
            p.warn(&at.index(f.index), f.message, Some(f.hint));
        }
    }
}

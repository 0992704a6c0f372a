//! Checks on a scenario's `expect` list: node names that exist, addresses
//! and patterns that parse.

use super::locate::JsonPath;
use super::meaning::Refer;
use super::{Problems, is_address};
use crate::policy::tlsrpt::ResultType;
use crate::scenario::expect::{AttackAct, Expectation, PolicyOutcome};

/// Names in an expectation must refer to nodes; addresses and patterns must parse.
pub(super) fn check_expectation(
    expectation: &Expectation,
    at: &JsonPath,
    nodes: &[&str],
    servers: &[&str],
    p: &mut Problems<'_>,
    refer: &Refer<'_>,
) {
    let address = |p: &mut Problems<'_>, path: JsonPath, text: &str| {
        if !is_address(text) {
            p.at(
                &path,
                format!("`{text}` is not an e-mail address"),
                Some("write it like `bob@friend.test`".into()),
            );
        }
    };
    let message = |p: &mut Problems<'_>, path: JsonPath, id: &str| {
        let valid = id.strip_prefix('m').is_some_and(|n| {
            !n.is_empty() && n.bytes().all(|b| b.is_ascii_digit()) && !n.starts_with('0')
        });
        if !valid {
            p.at(
                &path,
                format!("`{id}` is not a message of the run"),
                Some("messages are numbered in the order they are written: `m1`, `m2`, ... (`mailhop run` shows them)".into()),
            );
        }
    };
    match expectation {
        Expectation::Delivered(d) => address(p, at.key("delivered").key("to"), &d.to),
        Expectation::NotDelivered(d) => address(p, at.key("not_delivered").key("to"), &d.to),
        Expectation::Bounced(b) => {
            let at = at.key("bounced");
            if let Some(r) = &b.recipient {
                address(p, at.key("recipient"), r);
            }
            if let Some(n) = &b.notify {
                address(p, at.key("notify"), n);
            }
            if let Some(status) = &b.status {
                let parts: Vec<&str> = status.split('.').collect();
                let valid = parts.len() == 3
                    && ["2", "4", "5"].contains(&parts[0])
                    && parts[1..].iter().all(|x| {
                        !x.is_empty() && x.len() <= 3 && x.bytes().all(|b| b.is_ascii_digit())
                    });
                if !valid {
                    p.at(
                        &at.key("status"),
                        format!("`{status}` is not an enhanced status code"),
                        Some(
                            "write class.subject.detail as in RFC 3463, like `5.1.1` or `4.4.7`"
                                .into(),
                        ),
                    );
                }
            }
        }
        Expectation::QueuedAtEnd(q) => {
            refer(
                p,
                at.key("queued_at_end").key("node"),
                &q.node,
                servers,
                "a server",
            );
            if let Some(r) = &q.recipient {
                address(p, at.key("queued_at_end").key("recipient"), r);
            }
        }
        Expectation::Hops(_) => {}
        Expectation::Authenticated(a) => {
            let at = at.key("authenticated");
            refer(p, at.key("at"), &a.at, servers, "a server");
            if let Some(m) = &a.message {
                message(p, at.key("message"), m);
            }
            if let Some(s) = a.sender.as_deref().filter(|s| !s.is_empty()) {
                address(p, at.key("sender"), s);
            }
        }
        Expectation::Spam(c) => {
            let at = at.key("spam");
            refer(p, at.key("at"), &c.at, servers, "a server");
            if let Some(m) = &c.message {
                message(p, at.key("message"), m);
            }
            let known: Vec<&str> = crate::policy::spam::RULES.iter().map(|(n, _)| *n).collect();
            for (i, rule) in c.rules.iter().enumerate() {
                if !known.iter().any(|k| k.eq_ignore_ascii_case(rule)) {
                    p.at(
                        &at.key("rules").index(i),
                        format!("`{rule}` is not a rule of the spam filter"),
                        Some(match super::nearest(rule, known.iter().copied()) {
                            Some(best) => format!("did you mean `{best}`?"),
                            None => format!("one of {}", known.join(", ")),
                        }),
                    );
                }
            }
        }
        Expectation::Discovered(d) => {
            let at = at.key("discovered");
            refer(p, at.key("by"), &d.by, nodes, "a node");
            let methods = crate::scenario::DiscoveredClaim::METHODS;
            for (key, method) in [
                ("method", &d.method),
                ("outgoing_method", &d.outgoing_method),
            ] {
                if let Some(m) = method
                    && !methods.contains(&m.as_str())
                {
                    p.at(
                        &at.key(key),
                        format!("`{m}` is not a way of finding servers"),
                        Some(match super::nearest(m, methods.iter().copied()) {
                            Some(best) => format!("did you mean `{best}`?"),
                            None => format!("one of {}", methods.join(", ")),
                        }),
                    );
                }
            }
            for (key, server) in [("incoming", &d.incoming), ("outgoing", &d.outgoing)] {
                let fine = server.as_deref().is_none_or(|s| {
                    s.rsplit_once(':')
                        .is_some_and(|(host, port)| !host.is_empty() && port.parse::<u16>().is_ok())
                });
                if !fine {
                    p.at(
                        &at.key(key),
                        "write the server as `host:port`",
                        Some("for example `mail.example.test:993`".into()),
                    );
                }
            }
        }
        Expectation::Hop(h) => {
            let at = at.key("hop");
            if let Some(from) = &h.from {
                refer(p, at.key("from"), from, nodes, "a node");
            }
            if let Some(to) = &h.to {
                // A server, or a mail client downloading by IMAP or POP3.
                refer(p, at.key("to"), to, nodes, "a node");
            }
            if let Some(m) = &h.message {
                message(p, at.key("message"), m);
            }
            if h.index == Some(0) {
                p.at(&at.key("index"), "hops count from 1", None);
            }
        }
        Expectation::ReadableAtRestBy(r) | Expectation::NotReadableBy(r) => {
            let kind = if matches!(expectation, Expectation::ReadableAtRestBy(_)) {
                "readable_at_rest_by"
            } else {
                "not_readable_by"
            };
            for (i, node) in r.nodes.iter().enumerate() {
                refer(p, at.key(kind).key("nodes").index(i), node, nodes, "a node");
            }
            message(p, at.key(kind).key("message"), &r.message);
        }
        Expectation::Readable(r) => {
            let at = at.key("readable");
            if r.by != "link" {
                refer(p, at.key("by"), &r.by, nodes, "a node (or `link`)");
            }
            message(p, at.key("message"), &r.message);
            if [r.envelope, r.headers, r.subject, r.body]
                .iter()
                .all(Option::is_none)
            {
                p.at(
                    &at,
                    "this claim says nothing: it has none of `envelope`, `headers`, `subject` and `body`",
                    Some("add one, like `\"body\": false`".into()),
                );
            }
        }
        Expectation::Wire(w) => {
            for (i, end) in w.between.iter().enumerate() {
                refer(
                    p,
                    at.key("wire").key("between").index(i),
                    end,
                    nodes,
                    "a node",
                );
            }
            if w.text.is_empty() {
                p.at(
                    &at.key("wire").key("text"),
                    "the text to look for is empty",
                    None,
                );
            }
        }
        Expectation::Reply(r) => {
            refer(p, at.key("reply").key("node"), &r.node, servers, "a server");
            if !(200..=599).contains(&r.code) {
                p.at(
                    &at.key("reply").key("code"),
                    format!("{} is not an SMTP reply code", r.code),
                    Some("reply codes run from 200 to 599, such as 250, 354, 450, 550".into()),
                );
            }
        }
        Expectation::Header(h) => {
            address(p, at.key("header").key("to"), &h.to);
            if let Some(pattern) = &h.matches
                && let Err(err) = regex::Regex::new(pattern)
            {
                let first = err.to_string();
                let first = first.lines().last().unwrap_or("").trim().to_string();
                p.at(
                    &at.key("header").key("matches"),
                    format!("`{pattern}` is not a regular expression: {first}"),
                    Some(
                        "escape special characters with a backslash (in JSON, two: `\\\\.`)".into(),
                    ),
                );
            }
        }
        Expectation::Fetched(f) => {
            let at = at.key("fetched");
            refer(p, at.key("by"), &f.by, nodes, "a node");
            if let Some(m) = &f.message {
                message(p, at.key("message"), m);
            }
        }
        Expectation::Attacked(a) => {
            let at = at.key("attacked");
            refer(p, at.key("attacker"), &a.attacker, nodes, "a node");
            if let Some(node) = &a.node {
                refer(p, at.key("node"), node, nodes, "a node");
            }
            if a.did != AttackAct::Forged {
                for (key, given) in [("name", a.name.is_some()), ("refused", a.refused.is_some())] {
                    if given {
                        p.at(
                            &at.key(key),
                            format!("`{key}` is about a forged DNS answer, and this claim is about `{}`", a.did.as_str()),
                            Some("use `\"did\": \"forged\"`, or leave it out".into()),
                        );
                    }
                }
            }
        }
        Expectation::TlsPolicy(t) => {
            let at = at.key("tls_policy");
            refer(p, at.key("node"), &t.node, servers, "a server");
            if let Some(result) = &t.result {
                let known: Vec<&str> = ResultType::ALL.iter().map(|r| r.as_str()).collect();
                if !known.contains(&result.as_str()) {
                    p.at(
                        &at.key("result"),
                        format!("`{result}` is not a result type of RFC 8460"),
                        Some(match super::nearest(result, known.iter().copied()) {
                            Some(best) => format!("did you mean `{best}`?"),
                            None => format!("one of {}", known.join(", ")),
                        }),
                    );
                }
            }
            if t.outcome != PolicyOutcome::Failed {
                for (key, given) in [
                    ("result", t.result.is_some()),
                    ("enforced", t.enforced.is_some()),
                ] {
                    if given {
                        p.at(
                            &at.key(key),
                            format!("`{key}` says how a host failed the policy, and this claim's outcome is `{}`", t.outcome.as_str()),
                            Some("use `\"outcome\": \"failed\"`, or leave it out".into()),
                        );
                    }
                }
            }
        }
        Expectation::TlsReport(t) => {
            let at = at.key("tls_report");
            refer(p, at.key("node"), &t.node, servers, "a server");
            if let Some(to) = &t.to {
                address(p, at.key("to"), to);
            }
        }
        Expectation::Mailbox(m) => {
            let at = at.key("mailbox");
            address(p, at.key("of"), &m.of);
            if let Some(node) = &m.node {
                refer(p, at.key("node"), node, servers, "a server");
            }
            for (key, id) in [("holds", &m.holds), ("lacks", &m.lacks)] {
                if let Some(id) = id {
                    message(p, at.key(key), id);
                }
            }
            if m.count.is_none() && m.holds.is_none() && m.lacks.is_none() {
                p.at_key(
                    &at,
                    "this claim says nothing about the folder",
                    Some("add `count`, `holds` or `lacks`".into()),
                );
            }
            if m.flags.is_some() && m.holds.is_none() {
                p.at(
                    &at.key("flags"),
                    "`flags` are the flags of the message `holds` names, and there is none",
                    Some("add `\"holds\": \"m1\"`".into()),
                );
            }
        }
    }
}

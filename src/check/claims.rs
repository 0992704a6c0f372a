//! One function per kind of expectation. Each reads the trace and returns an
//! [`Outcome`] with the expected and actual values in words, and the event
//! that decided it.

use std::collections::BTreeSet;

use super::{Evidence, Outcome, retrieval, senders, smtp};
use crate::clock::SimTime;
use crate::exposure::Ledger;
use crate::scenario::{
    Bounce, Delivery, DiscoveredClaim, Expectation, HeaderClaim, HopClaim, NoDelivery, QueuedAtEnd,
    Readers, ReplyClaim, WireClaim,
};
use crate::trace::{Bounced, Dir, Event, Hop, Place, Record, Trace};

pub(super) fn check(index: usize, expectation: &Expectation, trace: &Trace) -> Outcome {
    let verdict = match expectation {
        Expectation::Delivered(claim) => delivered(claim, trace),
        Expectation::NotDelivered(claim) => not_delivered(claim, trace),
        Expectation::Bounced(claim) => bounced(claim, trace),
        Expectation::QueuedAtEnd(claim) => queued_at_end(claim, trace),
        Expectation::Discovered(claim) => discovered(claim, trace),
        Expectation::Hops(count) => hops(*count, trace),
        Expectation::Hop(claim) => hop(claim, trace),
        Expectation::ReadableAtRestBy(claim) => readable_at_rest_by(claim, trace),
        Expectation::NotReadableBy(claim) => not_readable_by(claim, trace),
        Expectation::Wire(claim) => wire(claim, trace),
        Expectation::Reply(claim) => reply(claim, trace),
        Expectation::Header(claim) => header(claim, trace),
        Expectation::Fetched(claim) => retrieval::fetched(claim, trace),
        Expectation::Mailbox(claim) => retrieval::mailbox(claim, trace),
        Expectation::Authenticated(claim) => senders::authenticated(claim, trace),
        Expectation::Spam(claim) => senders::spam(claim, trace),
        Expectation::Readable(claim) => super::pgp::readable(claim, trace),
        Expectation::Attacked(claim) => super::cures::attacked(claim, trace),
        Expectation::TlsPolicy(claim) => super::cures::tls_policy(claim, trace),
        Expectation::TlsReport(claim) => super::cures::tls_report(claim, trace),
    };
    Outcome {
        index,
        claim: verdict.claim,
        passed: verdict.passed,
        expected: verdict.expected,
        actual: verdict.actual,
        evidence: verdict.evidence,
    }
}

/// An outcome before it knows its index.
pub(super) struct Verdict {
    pub(super) claim: String,
    pub(super) passed: bool,
    pub(super) expected: String,
    pub(super) actual: String,
    pub(super) evidence: Option<Evidence>,
}

fn same_address(a: &str, b: &str) -> bool {
    a.eq_ignore_ascii_case(b)
}

fn list_or_none(items: &[String]) -> String {
    if items.is_empty() {
        "none".to_string()
    } else {
        items.join(", ")
    }
}

/// The hop a record belongs to: the last hop at or before it, for events
/// that follow a hop (stored, delivered); `None` before the first.
pub(super) fn hop_before(trace: &Trace, seq: u64) -> Option<u32> {
    trace
        .hops()
        .take_while(|(r, _)| r.seq <= seq)
        .last()
        .map(|(_, h)| h.hop)
}

struct Delivered<'a> {
    record: &'a Record,
    message: &'a str,
    node: &'a str,
    folder: &'a str,
}

fn deliveries_to<'a>(trace: &'a Trace, to: &str) -> Vec<Delivered<'a>> {
    trace
        .events
        .iter()
        .filter_map(|record| match &record.event {
            Event::Delivered(d) if same_address(&d.recipient, to) => Some(Delivered {
                record,
                message: &d.message,
                node: &d.node,
                folder: &d.folder,
            }),
            _ => None,
        })
        .collect()
}

fn describe_delivery(d: &Delivered<'_>) -> String {
    format!(
        "{} in {} on {} at {}",
        d.message,
        d.folder,
        d.node,
        SimTime(d.record.t)
    )
}

fn delivered(claim: &Delivery, trace: &Trace) -> Verdict {
    let window = claim.window();
    let folder_fits = |d: &Delivered<'_>| claim.folder.as_deref().is_none_or(|f| f == d.folder);
    let all = deliveries_to(trace, &claim.to);
    let expected = format!(
        "a copy in {}'s mailbox{}{}",
        claim.to,
        claim
            .folder
            .as_deref()
            .map(|f| format!(", folder {f}"))
            .unwrap_or_default(),
        window.describe()
    );
    let claim_text = format!("delivered to {}", claim.to);
    match all
        .iter()
        .find(|d| folder_fits(d) && window.contains(d.record.t))
    {
        Some(d) => Verdict {
            claim: claim_text,
            passed: true,
            expected,
            actual: format!("delivered: {}", describe_delivery(d)),
            evidence: Some(Evidence::of(
                d.record,
                hop_before(trace, d.record.seq),
                format!("delivered to {} ({})", claim.to, d.folder),
            )),
        },
        None => {
            let actual = if all.is_empty() {
                format!(
                    "never delivered to {}{}",
                    claim.to,
                    fate_hint(trace, &claim.to)
                )
            } else {
                format!(
                    "delivered only as {}",
                    all.iter()
                        .map(describe_delivery)
                        .collect::<Vec<_>>()
                        .join("; ")
                )
            };
            Verdict {
                claim: claim_text,
                passed: false,
                expected,
                actual,
                evidence: all
                    .first()
                    .map(|d| Evidence::of(d.record, hop_before(trace, d.record.seq), "delivered")),
            }
        }
    }
}

/// What became of mail for `to`, when it was not delivered: a bounce, a
/// drop, still queued.
fn fate_hint(trace: &Trace, to: &str) -> String {
    for record in trace.events.iter().rev() {
        match &record.event {
            Event::Bounced(b) if same_address(&b.recipient, to) => {
                return format!(
                    " (bounced by {} at {}: {} {})",
                    b.node,
                    SimTime(record.t),
                    b.status,
                    b.reason
                );
            }
            Event::QueuedAtEnd(q) if q.recipients.iter().any(|r| same_address(r, to)) => {
                return format!(" (still queued on {} when the run ended)", q.node);
            }
            Event::Dropped(d) if d.recipients.iter().any(|r| same_address(r, to)) => {
                return format!(" (dropped by {}: {})", d.node, d.reason);
            }
            _ => {}
        }
    }
    String::new()
}

fn not_delivered(claim: &NoDelivery, trace: &Trace) -> Verdict {
    let all = deliveries_to(trace, &claim.to);
    let found = all
        .iter()
        .find(|d| claim.folder.as_deref().is_none_or(|f| f == d.folder));
    let place = claim
        .folder
        .as_deref()
        .map(|f| format!(" in {f}"))
        .unwrap_or_default();
    Verdict {
        claim: format!("not delivered to {}{place}", claim.to),
        passed: found.is_none(),
        expected: format!("no copy in {}'s mailbox{place}", claim.to),
        actual: match found {
            Some(d) => format!("delivered: {}", describe_delivery(d)),
            None if all.is_empty() => {
                format!("never delivered{}", fate_hint(trace, &claim.to))
            }
            None => format!(
                "delivered elsewhere only: {}",
                all.iter()
                    .map(describe_delivery)
                    .collect::<Vec<_>>()
                    .join("; ")
            ),
        },
        evidence: found
            .map(|d| Evidence::of(d.record, hop_before(trace, d.record.seq), "delivered")),
    }
}

fn bounced(claim: &Bounce, trace: &Trace) -> Verdict {
    let window = claim.window();
    let mut wanted = Vec::new();
    if let Some(r) = &claim.recipient {
        wanted.push(format!("for {r}"));
    }
    if let Some(s) = &claim.status {
        wanted.push(format!("with status {s}"));
    }
    if let Some(n) = &claim.notify {
        wanted.push(format!("reported to {n}'s mailbox"));
    }
    let expected = format!("a bounce {}{}", wanted.join(" "), window.describe())
        .replace("bounce  ", "bounce ")
        .trim_end()
        .to_string();
    let claim_text = format!(
        "bounced{}",
        claim
            .recipient
            .as_deref()
            .map(|r| format!(" {r}"))
            .unwrap_or_default()
    );
    let mut seen = Vec::new();
    for record in &trace.events {
        let Event::Bounced(bounce) = &record.event else {
            continue;
        };
        let Bounced {
            node,
            recipient,
            status,
            reason,
            dsn,
            ..
        } = &**bounce;
        let notified_at = dsn.as_deref().and_then(|dsn| {
            trace.events.iter().find_map(|r| match &r.event {
                Event::Delivered(d) if d.message == dsn => Some((d.recipient.as_str(), r.t)),
                _ => None,
            })
        });
        let fits = claim
            .recipient
            .as_deref()
            .is_none_or(|r| same_address(r, recipient))
            && claim.status.as_deref().is_none_or(|s| s == status)
            && claim
                .notify
                .as_deref()
                .is_none_or(|n| notified_at.is_some_and(|(to, _)| same_address(to, n)))
            && window.contains(record.t);
        let notice = match notified_at {
            Some((to, t)) => format!(", notice delivered to {to} at {}", SimTime(t)),
            None if dsn.is_some() => ", notice sent but never delivered".to_string(),
            None => ", no notice sent".to_string(),
        };
        let described = format!(
            "{recipient} bounced by {node} at {} with {status} ({reason}){notice}",
            SimTime(record.t)
        );
        let evidence = Evidence::of(
            record,
            hop_before(trace, record.seq),
            format!("{recipient} bounced with {status}"),
        );
        if fits {
            return Verdict {
                claim: claim_text,
                passed: true,
                expected,
                actual: described,
                evidence: Some(evidence),
            };
        }
        seen.push((described, evidence));
    }
    Verdict {
        claim: claim_text,
        passed: false,
        expected,
        actual: if seen.is_empty() {
            "nothing bounced".to_string()
        } else {
            seen.iter()
                .map(|(d, _)| d.as_str())
                .collect::<Vec<_>>()
                .join("; ")
        },
        evidence: seen.into_iter().next().map(|(_, e)| e),
    }
}

fn queued_at_end(claim: &QueuedAtEnd, trace: &Trace) -> Verdict {
    let mut queued = Vec::new();
    let mut found = None;
    for record in &trace.events {
        if let Event::QueuedAtEnd(q) = &record.event {
            queued.push(format!(
                "{} on {} for {}",
                q.message,
                q.node,
                q.recipients.join(", ")
            ));
            let fits = q.node == claim.node
                && claim
                    .recipient
                    .as_deref()
                    .is_none_or(|r| q.recipients.iter().any(|x| same_address(x, r)));
            if fits && found.is_none() {
                found = Some(record);
            }
        }
    }
    let end = trace
        .events
        .iter()
        .rev()
        .find(|r| matches!(r.event, Event::End { .. }));
    Verdict {
        claim: format!("queued at the end on {}", claim.node),
        passed: found.is_some(),
        expected: format!(
            "a message{} still in {}'s queue when the run ends",
            claim
                .recipient
                .as_deref()
                .map(|r| format!(" for {r}"))
                .unwrap_or_default(),
            claim.node
        ),
        actual: if queued.is_empty() {
            "every queue was empty at the end".to_string()
        } else {
            format!("still queued: {}", queued.join("; "))
        },
        evidence: found
            .or(end)
            .map(|r| Evidence::of(r, None, "the run ended")),
    }
}

fn discovered(claim: &DiscoveredClaim, trace: &Trace) -> Verdict {
    let mut wanted = Vec::new();
    let mut add = |what: &str, value: &Option<String>| {
        if let Some(v) = value {
            wanted.push(format!("{what} {v}"));
        }
    };
    add("reads from", &claim.incoming);
    add("found with", &claim.method);
    add("sends to", &claim.outgoing);
    add("sending found with", &claim.outgoing_method);
    let expected = if wanted.is_empty() {
        "its servers found".to_string()
    } else {
        wanted.join(", ")
    };
    let mut last = None;
    let mut failed = None;
    for record in &trace.events {
        match &record.event {
            Event::Discovered(d) if d.node == claim.by => last = Some((record, d)),
            Event::DiscoveryFailed(f) if f.node == claim.by => failed = Some((record, f)),
            _ => {}
        }
    }
    let claim_words = format!("what {} found", claim.by);
    let Some((record, found)) = last else {
        return Verdict {
            claim: claim_words,
            passed: false,
            expected,
            actual: match failed {
                Some((_, f)) => format!("nothing: {}", f.reason),
                None => "no search for servers".to_string(),
            },
            evidence: failed.map(|(r, _)| Evidence::of(r, None, "the search gave up")),
        };
    };
    let at = |s: &crate::trace::FoundServer| format!("{}:{}", s.host, s.port);
    let incoming = at(&found.incoming);
    let outgoing = found.outgoing.as_ref().map(at);
    let out_method = found.outgoing.as_ref().map(|s| s.method.clone());
    let fits = |want: &Option<String>, got: Option<&str>| {
        want.as_deref()
            .is_none_or(|w| got.is_some_and(|g| g.eq_ignore_ascii_case(w)))
    };
    let passed = fits(&claim.incoming, Some(&incoming))
        && fits(&claim.method, Some(&found.incoming.method))
        && fits(&claim.outgoing, outgoing.as_deref())
        && fits(&claim.outgoing_method, out_method.as_deref());
    let sends = match (&outgoing, &out_method) {
        (Some(o), Some(m)) => format!("sends to {o} (found with {m})"),
        _ => "found nothing to send with".to_string(),
    };
    Verdict {
        claim: claim_words,
        passed,
        expected,
        actual: format!(
            "reads from {incoming} (found with {}), {sends}",
            found.incoming.method
        ),
        evidence: Some(Evidence::of(record, None, "the search's outcome")),
    }
}

fn hops(count: u32, trace: &Trace) -> Verdict {
    let all: Vec<(&Record, &Hop)> = trace.hops().collect();
    let last = all.last();
    Verdict {
        claim: "number of hops".to_string(),
        passed: all.len() == count as usize,
        expected: format!("{count} hops"),
        actual: format!(
            "{} hops: {}",
            all.len(),
            all.iter()
                .map(|(_, h)| format!("{} -> {}", h.from, h.to))
                .collect::<Vec<_>>()
                .join(", ")
        ),
        evidence: last.map(|(r, h)| Evidence::of(r, Some(h.hop), "the last hop")),
    }
}

fn describe_hop_selection(claim: &HopClaim) -> String {
    let mut parts = Vec::new();
    if let Some(i) = claim.index {
        parts.push(format!("hop {i}"));
    }
    match (&claim.from, &claim.to) {
        (Some(f), Some(t)) => parts.push(format!("hops {f} -> {t}")),
        (Some(f), None) => parts.push(format!("hops from {f}")),
        (None, Some(t)) => parts.push(format!("hops to {t}")),
        (None, None) => {}
    }
    if let Some(m) = &claim.message {
        parts.push(format!("of {m}"));
    }
    if parts.is_empty() {
        parts.push("every hop".to_string());
    }
    format!("{}{}", parts.join(" "), claim.window().describe())
}

fn hop(claim: &HopClaim, trace: &Trace) -> Verdict {
    let selection = describe_hop_selection(claim);
    let window = claim.window();
    let all: Vec<(&Record, &Hop)> = trace.hops().collect();
    let picked: Vec<&(&Record, &Hop)> = all
        .iter()
        .filter(|(r, h)| {
            claim.index.is_none_or(|i| h.hop == i)
                && claim.from.as_deref().is_none_or(|f| h.from == f)
                && claim.to.as_deref().is_none_or(|t| h.to == t)
                && claim.message.as_deref().is_none_or(|m| h.message == m)
                && window.contains(r.t)
        })
        .collect();
    let mut claimed = Vec::new();
    if let Some(c) = claim.channel {
        claimed.push(format!("channel {}", c.as_str()));
    }
    if let Some(p) = &claim.protocol {
        claimed.push(format!("protocol {p}"));
    }
    if let Some(v) = &claim.tls_version {
        claimed.push(format!("TLS version {v}"));
    }
    let what = if claimed.is_empty() {
        "exists".to_string()
    } else {
        claimed.join(", ")
    };
    let claim_text = format!("{selection}: {what}");
    if picked.is_empty() {
        return Verdict {
            claim: claim_text,
            passed: false,
            expected: format!("{selection} to exist"),
            actual: format!(
                "no such hop; the hops were: {}",
                all.iter()
                    .map(|(r, h)| format!("{} {} -> {} at {}", h.hop, h.from, h.to, SimTime(r.t)))
                    .collect::<Vec<_>>()
                    .join("; ")
            ),
            evidence: None,
        };
    }
    for (record, h) in &picked {
        let mut wrong = Vec::new();
        if let Some(c) = claim.channel
            && h.channel.as_str() != c.as_str()
        {
            wrong.push(format!("channel {}", h.channel.as_str()));
        }
        if let Some(p) = &claim.protocol
            && !h.protocol.eq_ignore_ascii_case(p)
        {
            wrong.push(format!("protocol {}", h.protocol));
        }
        if let Some(v) = &claim.tls_version
            && h.tls_version.as_deref() != Some(v.as_str())
        {
            wrong.push(format!(
                "TLS version {}",
                h.tls_version.as_deref().unwrap_or("none (no TLS)")
            ));
        }
        if !wrong.is_empty() {
            return Verdict {
                claim: claim_text,
                passed: false,
                expected: what,
                actual: wrong.join(", "),
                evidence: Some(Evidence::of(
                    record,
                    Some(h.hop),
                    format!("{} -> {} over {}", h.from, h.to, h.protocol),
                )),
            };
        }
    }
    let (record, h) = picked[0];
    Verdict {
        claim: claim_text,
        passed: true,
        expected: what.clone(),
        actual: format!("{} hop(s) picked, each with {what}", picked.len()),
        evidence: Some(Evidence::of(
            record,
            Some(h.hop),
            format!("{} -> {} over {}", h.from, h.to, h.protocol),
        )),
    }
}

/// The nodes that held a readable copy of `message`, and the record of the
/// first such copy on each.
fn readers<'a>(trace: &'a Trace, message: &str) -> Vec<(String, &'a Record)> {
    let ledger = Ledger::from_trace(trace);
    ledger
        .readable_by(message)
        .into_iter()
        .filter_map(|node| {
            trace
                .events
                .iter()
                .find(|r| {
                    matches!(&r.event, Event::Stored(s)
                        if s.readable && s.node == node && s.message == message)
                })
                .map(|r| (node.to_string(), r))
        })
        .collect()
}

fn readable_at_rest_by(claim: &Readers, trace: &Trace) -> Verdict {
    let found = readers(trace, &claim.message);
    let actual: BTreeSet<&str> = found.iter().map(|(n, _)| n.as_str()).collect();
    let expected: BTreeSet<&str> = claim.nodes.iter().map(String::as_str).collect();
    let extra: Vec<String> = actual
        .difference(&expected)
        .map(|s| s.to_string())
        .collect();
    let missing: Vec<String> = expected
        .difference(&actual)
        .map(|s| s.to_string())
        .collect();
    let evidence = found.iter().find(|(n, _)| extra.contains(n)).map(|(n, r)| {
        Evidence::of(
            r,
            hop_before(trace, r.seq),
            format!("{n} stored a readable copy"),
        )
    });
    let mut actual_text = list_or_none(&found.iter().map(|(n, _)| n.clone()).collect::<Vec<_>>());
    if !extra.is_empty() {
        actual_text.push_str(&format!(" (also: {})", extra.join(", ")));
    }
    if !missing.is_empty() {
        actual_text.push_str(&format!(" (not: {})", missing.join(", ")));
    }
    Verdict {
        claim: format!("who could read {} at rest", claim.message),
        passed: extra.is_empty() && missing.is_empty(),
        expected: list_or_none(&claim.nodes),
        actual: actual_text,
        evidence,
    }
}

fn not_readable_by(claim: &Readers, trace: &Trace) -> Verdict {
    let found = readers(trace, &claim.message);
    let offending: Vec<&(String, &Record)> = found
        .iter()
        .filter(|(n, _)| claim.nodes.contains(n))
        .collect();
    Verdict {
        claim: format!("nobody listed could read {} at rest", claim.message),
        passed: offending.is_empty(),
        expected: format!("no readable copy on {}", list_or_none(&claim.nodes)),
        actual: if offending.is_empty() {
            format!(
                "readable only on {}",
                list_or_none(&found.iter().map(|(n, _)| n.clone()).collect::<Vec<_>>())
            )
        } else {
            format!(
                "readable on {}",
                offending
                    .iter()
                    .map(|(n, _)| n.as_str())
                    .collect::<Vec<_>>()
                    .join(", ")
            )
        },
        evidence: offending.first().map(|(n, r)| {
            Evidence::of(
                r,
                hop_before(trace, r.seq),
                format!("{n} stored a readable copy"),
            )
        }),
    }
}

fn wire(claim: &WireClaim, trace: &Trace) -> Verdict {
    let [a, b] = &claim.between;
    let conns: Vec<&str> = trace
        .events
        .iter()
        .filter_map(|r| match &r.event {
            Event::Connect(c)
                if (c.client == *a && c.server == *b) || (c.client == *b && c.server == *a) =>
            {
                Some(c.conn.as_str())
            }
            _ => None,
        })
        .collect();
    let needle = claim.text.as_bytes();
    let mut first_seen: Option<(&Record, &str, Dir)> = None;
    'conns: for conn in &conns {
        for dir in [Dir::ClientToServer, Dir::ServerToClient] {
            // The observer sees a byte stream; the text may straddle chunks.
            let mut stream = Vec::new();
            let mut ends: Vec<(usize, &Record)> = Vec::new();
            for record in &trace.events {
                if let Event::Wire(wire) = &record.event
                    && wire.conn == *conn
                    && wire.dir == dir
                {
                    stream.extend_from_slice(&wire.data);
                    ends.push((stream.len(), record));
                }
            }
            if let Some(pos) = find(&stream, needle) {
                let end = pos + needle.len();
                let record = ends
                    .iter()
                    .find(|(e, _)| *e >= end)
                    .map(|(_, r)| *r)
                    .expect("a match ends inside the stream");
                first_seen = Some((record, conn, dir));
                break 'conns;
            }
        }
    }
    let seen = first_seen.is_some();
    let claim_text = format!("wire between {a} and {b}");
    let visible = if claim.visible { "visible" } else { "hidden" };
    let expected = format!("{:?} {visible} to an observer", claim.text);
    let actual = if conns.is_empty() {
        format!("{a} and {b} never connected")
    } else if let Some((_, conn, dir)) = first_seen {
        let dir = match dir {
            Dir::ClientToServer => "client to server",
            Dir::ServerToClient => "server to client",
        };
        format!("{:?} appears in the clear on {conn} ({dir})", claim.text)
    } else {
        format!(
            "{:?} never appears in the bytes of {} connection(s): {}",
            claim.text,
            conns.len(),
            conns.join(", ")
        )
    };
    Verdict {
        claim: claim_text,
        passed: !conns.is_empty() && seen == claim.visible,
        expected,
        actual,
        evidence: first_seen.map(|(r, conn, _)| {
            Evidence::of(r, hop_for_conn(trace, conn), format!("bytes on {conn}"))
        }),
    }
}

/// The hop carried by a connection, if it carried one.
fn hop_for_conn(trace: &Trace, conn: &str) -> Option<u32> {
    trace
        .hops()
        .find(|(_, h)| h.conn == conn)
        .map(|(_, h)| h.hop)
}

fn find(haystack: &[u8], needle: &[u8]) -> Option<usize> {
    if needle.is_empty() {
        return Some(0);
    }
    haystack.windows(needle.len()).position(|w| w == needle)
}

fn reply(claim: &ReplyClaim, trace: &Trace) -> Verdict {
    let window = claim.window();
    let wanted = claim.command.to_ascii_lowercase();
    let picked: Vec<smtp::Exchange<'_>> = smtp::exchanges(trace)
        .into_iter()
        .filter(|e| {
            e.server == claim.node
                && window.contains(e.record.t)
                && match e.command {
                    None => wanted == "greeting",
                    Some(c) => c.to_ascii_lowercase().starts_with(&wanted),
                }
        })
        .collect();
    let claim_text = format!("reply of {} to {}", claim.node, claim.command);
    let expected = format!("{}{}", claim.code, window.describe());
    let describe = |e: &smtp::Exchange<'_>| {
        format!(
            "{:?} got {:?} on {} at {}",
            e.command.unwrap_or("(connect)"),
            e.reply,
            e.conn,
            SimTime(e.record.t)
        )
    };
    let evidence = |e: &smtp::Exchange<'_>| {
        Evidence::of(
            e.record,
            hop_for_conn(trace, e.conn),
            format!("{} replied {:?}", claim.node, e.reply),
        )
    };
    if picked.is_empty() {
        return Verdict {
            claim: claim_text,
            passed: false,
            expected,
            actual: format!(
                "{} never answered a command starting with {:?}{}",
                claim.node,
                claim.command,
                window.describe()
            ),
            evidence: None,
        };
    }
    match picked.iter().find(|e| e.code != claim.code) {
        Some(e) => Verdict {
            claim: claim_text,
            passed: false,
            expected,
            actual: describe(e),
            evidence: Some(evidence(e)),
        },
        None => Verdict {
            claim: claim_text,
            passed: true,
            expected,
            actual: describe(&picked[0]),
            evidence: Some(evidence(&picked[0])),
        },
    }
}

/// Header fields of an RFC 5322 message: (name, unfolded value).
fn header_fields(eml: &str) -> Vec<(String, String)> {
    let mut fields: Vec<(String, String)> = Vec::new();
    for line in eml.split("\r\n").flat_map(|l| l.split('\n')) {
        if line.is_empty() {
            break;
        }
        if line.starts_with([' ', '\t']) {
            if let Some((_, value)) = fields.last_mut() {
                value.push(' ');
                value.push_str(line.trim());
            }
        } else if let Some((name, value)) = line.split_once(':') {
            fields.push((name.trim().to_string(), value.trim().to_string()));
        }
    }
    fields
}

fn header(claim: &HeaderClaim, trace: &Trace) -> Verdict {
    let copies: Vec<(&Record, &str, &str)> = trace
        .events
        .iter()
        .filter_map(|r| match &r.event {
            Event::Stored(s) => match &s.place {
                Place::Mailbox { mailbox, .. } if same_address(mailbox, &claim.to) => {
                    Some((r, s.message.as_str(), s.eml.as_str()))
                }
                _ => None,
            },
            _ => None,
        })
        .collect();
    let mut wanted = Vec::new();
    wanted.push(if claim.present {
        format!("{} present", claim.name)
    } else {
        format!("no {} header", claim.name)
    });
    if let Some(n) = claim.count {
        wanted.push(format!("{n} time(s)"));
    }
    if let Some(p) = &claim.matches {
        wanted.push(format!("a value matching /{p}/"));
    }
    let expected = wanted.join(", ");
    let claim_text = format!("header {} in mail to {}", claim.name, claim.to);
    if copies.is_empty() {
        return Verdict {
            claim: claim_text,
            passed: false,
            expected,
            actual: format!("no copy was delivered to {}", claim.to),
            evidence: None,
        };
    }
    let pattern = claim.matches.as_deref().map(|p| {
        regex::Regex::new(p)
            .map_err(|e| format!("the pattern /{p}/ is not a regular expression: {e}"))
    });
    if let Some(Err(err)) = &pattern {
        return Verdict {
            claim: claim_text,
            passed: false,
            expected,
            actual: err.clone(),
            evidence: None,
        };
    }
    let pattern = pattern.and_then(Result::ok);
    for (record, message, eml) in &copies {
        let values: Vec<String> = header_fields(eml)
            .into_iter()
            .filter(|(n, _)| n.eq_ignore_ascii_case(&claim.name))
            .map(|(_, v)| v)
            .collect();
        let mut wrong = Vec::new();
        if claim.present == values.is_empty() {
            wrong.push(if claim.present {
                format!("no {} header", claim.name)
            } else {
                format!("{} is there: {:?}", claim.name, values[0])
            });
        }
        if let Some(n) = claim.count
            && values.len() != n
        {
            wrong.push(format!("{} appears {} time(s)", claim.name, values.len()));
        }
        if let Some(re) = &pattern
            && !values.iter().any(|v| re.is_match(v))
        {
            wrong.push(format!(
                "no value matches; values: {}",
                if values.is_empty() {
                    "none".to_string()
                } else {
                    values
                        .iter()
                        .map(|v| format!("{v:?}"))
                        .collect::<Vec<_>>()
                        .join(", ")
                }
            ));
        }
        if !wrong.is_empty() {
            return Verdict {
                claim: claim_text,
                passed: false,
                expected,
                actual: format!("in {message}: {}", wrong.join("; ")),
                evidence: Some(Evidence::of(
                    record,
                    hop_before(trace, record.seq),
                    format!("{message} stored in {}'s mailbox", claim.to),
                )),
            };
        }
    }
    let (record, message, _) = copies[0];
    Verdict {
        claim: claim_text,
        passed: true,
        expected,
        actual: format!("as expected in {} cop(ies)", copies.len()),
        evidence: Some(Evidence::of(
            record,
            hop_before(trace, record.seq),
            format!("{message} stored in {}'s mailbox", claim.to),
        )),
    }
}

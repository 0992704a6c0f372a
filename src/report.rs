//! The terminal view of a trace: what `mailhop run` prints. Events are told
//! in the words of [`crate::narrate`].

use std::collections::BTreeMap;
use std::fmt::Write;

use crate::clock::SimTime;
use crate::exposure::{AtRest, HopExposure, Ledger, describe};
use crate::narrate::{channel_text, narrate};
use crate::scenario::Scenario;
use crate::trace::{Event, Trace};

/// The report: hops table, notable events, outcome, and who could read what.
pub fn render(scenario: &Scenario, trace: &Trace) -> String {
    let mut out = String::new();
    let ledger = Ledger::from_trace(trace);
    let _ = writeln!(
        out,
        "{} - {} (seed {})",
        scenario.id, scenario.title.en, trace.seed
    );
    let _ = writeln!(out, "virtual time starts at {}\n", trace.start);

    hops_table(&mut out, trace);

    let _ = writeln!(out, "\nWhat else happened:");
    for record in &trace.events {
        // Hops and the messages they carry are in the table above.
        if matches!(record.event, Event::Hop(_) | Event::Composed(_)) {
            continue;
        }
        if let Some(told) = narrate(&record.event) {
            let _ = writeln!(out, "  {:>14}  {}", SimTime(record.t).to_string(), told.en);
        }
    }

    who_could_read(&mut out, &ledger);
    out
}

/// One row of the hops table. Cells borrow from the trace where they can:
/// a large run has tens of thousands of rows.
struct Row<'a> {
    hop: u32,
    time: String,
    message: &'a str,
    from: &'a str,
    to: &'a str,
    protocol: &'a str,
    channel: &'static str,
    rests: String,
}

const HEADER: [&str; 7] = [
    "hop",
    "time",
    "msg",
    "from -> to",
    "protocol",
    "channel",
    "rests at",
];

/// The table of hops: number, time, message, ends, protocol, channel and
/// where the copy rests.
fn hops_table(out: &mut String, trace: &Trace) {
    let rows: Vec<Row<'_>> = trace
        .events
        .iter()
        .enumerate()
        .filter_map(|(i, r)| match &r.event {
            Event::Hop(hop) => Some((i, r, hop)),
            _ => None,
        })
        .map(|(i, record, hop)| {
            // The copy is stored right after its hop: look from there.
            let rests = trace.events[i + 1..]
                .iter()
                .find_map(|r| match &r.event {
                    Event::Stored(s) if s.node == hop.to && s.message == hop.message => {
                        Some(describe(&s.place))
                    }
                    _ => None,
                })
                .unwrap_or_else(|| "-".into());
            Row {
                hop: hop.hop,
                time: SimTime(record.t).to_string(),
                message: &hop.message,
                from: &hop.from,
                to: &hop.to,
                protocol: &hop.protocol,
                channel: channel_text(hop.channel).en,
                rests,
            }
        })
        .collect();
    let chars = |s: &str| s.chars().count();
    let mut widths = HEADER.map(str::len);
    for row in &rows {
        let cells = [
            row.hop.to_string().len(),
            chars(&row.time),
            chars(row.message),
            chars(row.from) + 4 + chars(row.to),
            chars(row.protocol),
            chars(row.channel),
            chars(&row.rests),
        ];
        for (w, cell) in widths.iter_mut().zip(cells) {
            *w = (*w).max(cell);
        }
    }
    let [w0, w1, w2, w3, w4, w5, _] = widths;
    let start = out.len();
    let _ = write!(out, "{:>w0$}", HEADER[0]);
    for (cell, w) in HEADER[1..].iter().zip(&widths[1..]) {
        let _ = write!(out, "  {cell:<w$}");
    }
    end_row(out, start);
    for row in &rows {
        let start = out.len();
        let ends = w3.saturating_sub(chars(row.from) + 4);
        let _ = write!(
            out,
            "{:>w0$}  {:<w1$}  {:<w2$}  {} -> {:<ends$}  {:<w4$}  {:<w5$}  {}",
            row.hop, row.time, row.message, row.from, row.to, row.protocol, row.channel, row.rests
        );
        end_row(out, start);
    }
    if rows.is_empty() {
        let _ = writeln!(out, "(no hops)");
    }
}

/// Ends the row that began at `start`: no trailing spaces, then a newline.
fn end_row(out: &mut String, start: usize) {
    let kept = out[start..].trim_end().len();
    out.truncate(start + kept);
    out.push('\n');
}

/// Per message: the servers that held a readable copy, the recipient's
/// devices that did (counted apart), and what an observer read on the wire,
/// hops and content that was not accepted alike; then content no message of
/// the run can be tied to, and passwords.
fn who_could_read(out: &mut String, ledger: &Ledger) {
    let link = |conn: &str, from: &str, to: &str| format!("{conn}, {from} -> {to}");
    // Grouped once by message: a run can hold tens of thousands of them.
    let mut at_rest: BTreeMap<&str, Vec<&AtRest>> = BTreeMap::new();
    let mut sealed: BTreeMap<&str, Vec<&AtRest>> = BTreeMap::new();
    for r in &ledger.at_rest {
        let list = if r.readable {
            &mut at_rest
        } else {
            &mut sealed
        };
        list.entry(r.message.as_str()).or_default().push(r);
    }
    let mut hops: BTreeMap<&str, Vec<&HopExposure>> = BTreeMap::new();
    for h in &ledger.hops {
        hops.entry(h.message.as_str()).or_default().push(h);
    }
    let mut unaccepted: BTreeMap<Option<&str>, Vec<String>> = BTreeMap::new();
    for u in ledger.unaccepted.iter().filter(|u| u.observer_reads) {
        unaccepted
            .entry(u.message.as_deref())
            .or_default()
            .push(format!(
                "{}: {}",
                link(&u.conn, &u.from, &u.to),
                u.account().en
            ));
    }
    let read_unaccepted =
        |message: Option<&str>| unaccepted.get(&message).cloned().unwrap_or_default();
    for message in ledger.messages() {
        // Servers first, then the recipient's own devices, counted apart:
        // a server's operator is someone else, a device is the reader's.
        let (devices, servers): (Vec<&AtRest>, Vec<&AtRest>) = at_rest
            .get(message)
            .map(Vec::as_slice)
            .unwrap_or_default()
            .iter()
            .partition(|r| r.device);
        let plural = |n: usize| if n == 1 { "" } else { "s" };
        let mut count = format!("{} server{}", servers.len(), plural(servers.len()));
        if !devices.is_empty() {
            count += &format!(
                ", and {} device{} of the recipient",
                devices.len(),
                plural(devices.len())
            );
        }
        let _ = writeln!(out, "\nWho could read {message} at rest ({count}):");
        for r in servers.iter().chain(&devices) {
            let _ = writeln!(out, "  - {} ({})", r.node, r.places.join(", "));
        }
        if let Some(list) = sealed.get(message) {
            let names: Vec<&str> = list.iter().map(|r| r.node.as_str()).collect();
            let subject = match list[0].sight.readable_subject() {
                Some(subject) => format!("the Subject {subject:?} included"),
                None => "the real Subject protected inside".to_string(),
            };
            let _ = writeln!(
                out,
                "Held encrypted end to end (envelope and headers readable, {subject}; body not): {}",
                names.join(", ")
            );
        }
        let hops = hops.get(message).map(Vec::as_slice).unwrap_or_default();
        let on_wire: Vec<String> = hops
            .iter()
            .filter(|h| h.observer_reads)
            .map(|h| {
                let sealed = h.sight.as_ref().is_some_and(|s| s.body_encrypted);
                let only = if sealed { ", body encrypted" } else { "" };
                format!("hop {} ({} -> {}{only})", h.hop, h.from, h.to)
            })
            .collect();
        let encrypted = !hops.is_empty() && on_wire.is_empty();
        if hops.is_empty() {
            let _ = writeln!(out, "On the wire: {message} made no hop.");
        } else if encrypted {
            let _ = writeln!(out, "On the wire: every hop of {message} was encrypted.");
        } else {
            let _ = writeln!(out, "On the wire, in plaintext: {}", on_wire.join(", "));
        }
        for h in hops.iter().filter(|h| !h.observers.is_empty()) {
            let what = if !h.observer_reads {
                "only TLS record sizes"
            } else if h.sight.as_ref().is_some_and(|s| s.body_encrypted) {
                "the envelope and headers; the body is encrypted end to end"
            } else {
                "all of it: envelope, headers and body"
            };
            let _ = writeln!(
                out,
                "On the path of hop {} ({} -> {}): {} recorded it, and read {what}",
                h.hop,
                h.from,
                h.to,
                h.observers.join(", ")
            );
        }
        let refused = read_unaccepted(Some(message));
        if !refused.is_empty() {
            let but = if encrypted { "But read" } else { "Read" };
            let _ = writeln!(out, "{but} on the wire where it was not accepted:");
            for item in &refused {
                let _ = writeln!(out, "  - {item}");
            }
        }
    }
    let unknown = read_unaccepted(None);
    if !unknown.is_empty() {
        let _ = writeln!(
            out,
            "\nRead on the wire where it was not accepted, no message of this run:"
        );
        for item in &unknown {
            let _ = writeln!(out, "  - {item}");
        }
    }
    if !ledger.passwords.is_empty() {
        let _ = writeln!(out, "\nPasswords read on the wire (AUTH outside TLS):");
        for p in &ledger.passwords {
            let _ = writeln!(
                out,
                "  - {}: {}",
                link(&p.conn, &p.from, &p.to),
                p.account().en
            );
        }
    }
}

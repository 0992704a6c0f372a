//! The terminal view of a trace: what `mailhop run` prints.

use std::fmt::Write;

use crate::clock::SimTime;
use crate::exposure::{Ledger, describe};
use crate::scenario::Scenario;
use crate::trace::{Channel, Event, Trace};

/// A channel in words.
pub fn channel_text(channel: Channel) -> &'static str {
    match channel {
        Channel::Plaintext => "plaintext",
        Channel::Tls => "TLS, server not authenticated",
        Channel::TlsAuthenticated => "TLS, server authenticated",
    }
}

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

    let rows: Vec<[String; 7]> = trace
        .hops()
        .map(|(record, hop)| {
            let rests = trace
                .events
                .iter()
                .skip(record.seq as usize + 1)
                .find_map(|r| match &r.event {
                    Event::Stored {
                        node,
                        message,
                        place,
                        ..
                    } if *node == hop.to && *message == hop.message => Some(describe(place)),
                    _ => None,
                })
                .unwrap_or_else(|| "-".into());
            [
                hop.hop.to_string(),
                SimTime(record.t).to_string(),
                hop.message.clone(),
                format!("{} -> {}", hop.from, hop.to),
                hop.protocol.clone(),
                channel_text(hop.channel).to_string(),
                rests,
            ]
        })
        .collect();
    let header = [
        "hop",
        "time",
        "msg",
        "from -> to",
        "protocol",
        "channel",
        "rests at",
    ];
    let mut widths = header.map(str::len);
    for row in &rows {
        for (w, cell) in widths.iter_mut().zip(row) {
            *w = (*w).max(cell.chars().count());
        }
    }
    let line = |cells: &[String]| {
        let mut s = String::new();
        for (i, (cell, w)) in cells.iter().zip(widths).enumerate() {
            if i == 0 {
                let _ = write!(s, "{cell:>w$}");
            } else {
                let _ = write!(s, "  {cell:<w$}");
            }
        }
        s.trim_end().to_string()
    };
    let _ = writeln!(out, "{}", line(&header.map(String::from)));
    for row in &rows {
        let _ = writeln!(out, "{}", line(row));
    }
    if rows.is_empty() {
        let _ = writeln!(out, "(no hops)");
    }

    let _ = writeln!(out, "\nWhat else happened:");
    for record in &trace.events {
        let t = SimTime(record.t);
        let text = match &record.event {
            Event::NodeDown { node, .. } => format!("{node} goes down"),
            Event::NodeUp { node } => format!("{node} is back up"),
            Event::ConnectFailed {
                client,
                server,
                port,
                reason,
            } => format!("{client} could not connect to {server}:{port}: {reason}"),
            Event::TlsFailed { conn, error } => format!("TLS failed on {conn}: {error}"),
            Event::Deferred {
                node,
                message,
                reason,
                ..
            } => format!("{node} deferred {message}: {reason}"),
            Event::RetryScheduled {
                node,
                message,
                at,
                attempt,
            } => format!(
                "{node} will try {message} again at {} (attempt {attempt})",
                SimTime(*at)
            ),
            Event::Delivered {
                node,
                message,
                recipient,
                folder,
            } => format!("{message} delivered to {recipient} ({folder}) on {node}"),
            Event::Bounced {
                node,
                message,
                recipient,
                status,
                reason,
                dsn,
            } => format!(
                "{node} bounced {message} for {recipient}: {status} {reason}{}",
                dsn.as_ref()
                    .map(|d| format!(" (notice {d} sent to the sender)"))
                    .unwrap_or_default()
            ),
            Event::Dropped {
                node,
                message,
                reason,
                ..
            } => format!("{node} dropped {message}: {reason}"),
            Event::SubmissionFailed {
                node,
                message,
                reason,
            } => format!("{node} could not submit {message}: {reason}"),
            Event::Typed {
                node,
                server,
                text,
                reply,
                ..
            } => match reply {
                Some(reply) => format!("{node} types to {server}: {text:?} -> {reply:?}"),
                None => format!("{node} types to {server}: {text:?}"),
            },
            Event::TypingStopped {
                node,
                conn,
                reason,
                untyped,
            } => format!(
                "{node} stops typing on {conn}: {}, {untyped} line{} left untyped",
                reason.en(),
                if *untyped == 1 { "" } else { "s" }
            ),
            Event::QueuedAtEnd {
                node,
                message,
                recipients,
            } => format!(
                "{message} still queued on {node} for {}",
                recipients.join(", ")
            ),
            Event::End { reason } => format!(
                "end of run ({})",
                if reason == "quiescent" {
                    "nothing left to do"
                } else {
                    "time limit reached"
                }
            ),
            _ => continue,
        };
        let _ = writeln!(out, "  {:>14}  {text}", t.to_string());
    }

    let mut messages: Vec<&str> = ledger.at_rest.iter().map(|r| r.message.as_str()).collect();
    messages.dedup();
    let mut seen = Vec::new();
    for message in messages {
        if seen.contains(&message) {
            continue;
        }
        seen.push(message);
        let readers: Vec<String> = ledger
            .at_rest
            .iter()
            .filter(|r| r.message == message && r.readable)
            .map(|r| format!("{} ({})", r.node, r.places.join(", ")))
            .collect();
        let _ = writeln!(
            out,
            "\nWho could read {message} at rest ({} machine{}):",
            readers.len(),
            if readers.len() == 1 { "" } else { "s" }
        );
        for reader in &readers {
            let _ = writeln!(out, "  - {reader}");
        }
        let on_wire: Vec<String> = ledger
            .hops
            .iter()
            .filter(|h| h.message == message && h.observer_reads)
            .map(|h| format!("hop {} ({} -> {})", h.hop, h.from, h.to))
            .collect();
        if on_wire.is_empty() {
            let _ = writeln!(out, "On the wire: every hop of {message} was encrypted.");
        } else {
            let _ = writeln!(out, "On the wire, in plaintext: {}", on_wire.join(", "));
        }
    }
    out
}

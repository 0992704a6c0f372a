//! Claims about reading mail: what a mail client downloaded (`fetched`),
//! and what a mailbox holds when the run ends (`mailbox`).

use super::Evidence;
use super::claims::{Verdict, hop_before};
use crate::scenario::{FetchedClaim, MailboxClaim};
use crate::trace::mailboxes::Mailboxes;
use crate::trace::{Event, Hop, Record, Trace};

/// The downloads a `fetched` claim picks: hops to the client that read a
/// mailbox, in its window, by its protocol, folder and message.
fn picked<'a>(claim: &FetchedClaim, trace: &'a Trace) -> Vec<(&'a Record, &'a Hop)> {
    let window = claim.window();
    trace
        .hops()
        .filter(|(record, hop)| {
            let Some(spot) = hop.mailbox.as_ref().filter(|s| !s.appended) else {
                return false;
            };
            hop.to == claim.by
                && window.contains(record.t)
                && claim
                    .protocol
                    .is_none_or(|p| p.as_str().eq_ignore_ascii_case(&hop.protocol))
                && claim.folder.as_deref().is_none_or(|f| f == spot.folder)
                && claim.message.as_deref().is_none_or(|m| m == hop.message)
        })
        .collect()
}

pub(super) fn fetched(claim: &FetchedClaim, trace: &Trace) -> Verdict {
    let picked = picked(claim, trace);
    let mut what = Vec::new();
    if let Some(m) = &claim.message {
        what.push(m.clone());
    }
    if let Some(p) = claim.protocol {
        what.push(format!("by {}", p.as_str().to_ascii_uppercase()));
    }
    if let Some(f) = &claim.folder {
        what.push(format!("from {f}"));
    }
    let window = claim.window().describe();
    let what = what.join(" ");
    let expected = match claim.count {
        Some(n) => format!("{n} download(s) {what}{window}"),
        None => format!("at least one download {what}{window}"),
    }
    .replace("  ", " ");
    let list: Vec<String> = picked
        .iter()
        .map(|(_, h)| {
            let folder = h.mailbox.as_ref().map_or("", |s| s.folder.as_str());
            format!("{} by {} from {folder}", h.message, h.protocol)
        })
        .collect();
    let actual = if list.is_empty() {
        let failed = trace.events.iter().find_map(|r| match &r.event {
            Event::RetrievalFailed(f) if f.node == claim.by => Some(f.reason.as_str()),
            _ => None,
        });
        match failed {
            Some(reason) => format!("nothing downloaded; a session failed: {reason}"),
            None => "nothing downloaded".to_string(),
        }
    } else {
        format!("{} download(s): {}", list.len(), list.join(", "))
    };
    let passed = match claim.count {
        Some(n) => picked.len() == n as usize,
        None => !picked.is_empty(),
    };
    let evidence = picked.first().map(|(record, hop)| {
        Evidence::of(
            record,
            Some(hop.hop),
            format!("{} downloaded {} by {}", hop.to, hop.message, hop.protocol),
        )
    });
    Verdict {
        claim: format!("downloaded by {}", claim.by),
        passed,
        expected,
        actual,
        evidence,
    }
}

pub(super) fn mailbox(claim: &MailboxClaim, trace: &Trace) -> Verdict {
    let boxes = Mailboxes::after(trace.events.iter().map(|r| &r.event));
    let found: Vec<_> = boxes.of(&claim.of, claim.node.as_deref()).collect();
    let folder = &claim.folder;
    let copies: Vec<_> = found.iter().flat_map(|mb| mb.folder(folder)).collect();
    let mut wanted = Vec::new();
    let mut passed = true;
    if let Some(n) = claim.count {
        wanted.push(format!("{n} message(s)"));
        passed &= copies.len() == n as usize;
    }
    if let Some(m) = &claim.holds {
        let flags = claim.flags.clone().unwrap_or_default();
        if flags.is_empty() {
            wanted.push(format!("holds {m}"));
        } else {
            wanted.push(format!("holds {m} with {}", flags.join(" ")));
        }
        passed &= copies
            .iter()
            .any(|c| &c.message == m && flags.iter().all(|f| c.flags.contains(f)));
    }
    if let Some(m) = &claim.lacks {
        wanted.push(format!("lacks {m}"));
        passed &= !copies.iter().any(|c| &c.message == m);
    }
    let listed: Vec<String> = copies
        .iter()
        .map(|c| {
            let flags = if c.flags.is_empty() {
                String::new()
            } else {
                format!(" {}", c.flags.join(" "))
            };
            format!("UID {} {}{flags}", c.uid, c.message)
        })
        .collect();
    let actual = if found.is_empty() {
        passed = false;
        format!("no mailbox of {} ever held anything", claim.of)
    } else if listed.is_empty() {
        format!("{folder} is empty")
    } else {
        format!("{folder} holds {}", listed.join(", "))
    };
    // The last event that changed this folder decided it.
    let decided = trace.events.iter().rev().find(|r| touches(&r.event, claim));
    Verdict {
        claim: format!("{}'s {folder} at the end", claim.of),
        passed,
        expected: wanted.join(", "),
        actual,
        evidence: decided.map(|r| {
            Evidence::of(
                r,
                hop_before(trace, r.seq),
                format!(
                    "the last change to {}'s {folder}: {}",
                    claim.of,
                    r.event.kind()
                ),
            )
        }),
    }
}

/// Whether `event` changed the claim's folder.
fn touches(event: &Event, claim: &MailboxClaim) -> bool {
    let node_fits = |n: &str| claim.node.as_deref().is_none_or(|c| c == n);
    let fits = |node: &str, mailbox: &str, folder: &str| {
        node_fits(node) && mailbox.eq_ignore_ascii_case(&claim.of) && folder == claim.folder
    };
    match event {
        Event::Delivered(d) => fits(&d.node, &d.mailbox, &d.folder),
        Event::Expunged(e) => fits(&e.node, &e.mailbox, &e.folder),
        Event::Flagged(f) => fits(&f.node, &f.mailbox, &f.folder),
        Event::Moved(m) => fits(&m.node, &m.mailbox, &m.from) || fits(&m.node, &m.mailbox, &m.to),
        Event::Hop(h) => h
            .mailbox
            .as_ref()
            .is_some_and(|s| s.appended && fits(&h.to, &s.mailbox, &s.folder)),
        _ => false,
    }
}

//! The player data: a scenario and its trace, arranged for the web player.
//!
//! The browser steps through a run one hop at a time. This module cuts the
//! trace into those steps and, for each, gathers what the page shows: the
//! hop's conversation as the endpoints saw it and as a wire observer saw it,
//! the copy it left on disk with the headers it added, the DNS lookups that
//! led to it, and which machines hold a copy at that moment. It is a view:
//! it reads a [`Trace`] and never simulates, and tells events in the words
//! of [`crate::narrate`]. The JSON shape is documented in
//! `docs/player.md`. [`whatif`] changes a scenario for a re-run.

mod exposure;
pub mod whatif;

pub use exposure::{
    ExposureView, LinkExposure, NodeExposure, PasswordExposure, UnacceptedExposure,
};

use std::collections::BTreeMap;

use serde::Serialize;

use crate::exposure::describe;
use crate::narrate::{Narration, Words, channel_text, narrate, narrate_hop};
use crate::scenario::{Action, Role, Scenario, Text};
use crate::trace::{Channel, Dir, Event, Hop, Observed, Place, Record, Stored, Trace};

/// Everything the player draws, for one run.
#[derive(Debug, Clone, Serialize)]
pub struct PlayerData {
    pub id: String,
    pub title: Text,
    pub description: Option<Text>,
    pub seed: u64,
    pub start: String,
    pub end_t: u64,
    pub nodes: Vec<NodeView>,
    pub downtime: Vec<Downtime>,
    pub steps: Vec<Step>,
    pub exposure: ExposureView,
    pub timeline: Vec<Mark>,
    pub whatif: WhatIfView,
    /// For the scenario's author, each `file:line:column: ...`: captions the
    /// run never reaches, claims that fail, loader warnings, another file
    /// with this id. Filled by the server (it has the file), absent when
    /// there are none.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub warnings: Vec<String>,
}

#[derive(Debug, Clone, Serialize)]
pub struct NodeView {
    pub name: String,
    pub role: &'static str,
    /// `sender`, `internet` or `recipient`.
    pub lane: &'static str,
    pub address: Option<String>,
}

#[derive(Debug, Clone, Serialize)]
pub struct Downtime {
    pub node: String,
    pub from: u64,
    pub until: Option<u64>,
}

#[derive(Debug, Clone, Serialize)]
pub struct Step {
    pub index: usize,
    /// `start`, `hop` or `end`.
    pub kind: &'static str,
    pub t: u64,
    pub title: Text,
    pub caption: Option<Text>,
    pub hop: Option<HopView>,
    pub holders: Vec<Holder>,
    pub events: Vec<LogLine>,
    pub dns: Vec<DnsView>,
}

#[derive(Debug, Clone, Serialize)]
pub struct HopView {
    pub hop: u32,
    pub message: String,
    pub from: String,
    pub to: String,
    pub conn: String,
    pub protocol: String,
    pub channel: Channel,
    pub channel_text: Text,
    /// The hop in one sentence.
    pub text: String,
    pub text_pt: String,
    pub tls_version: Option<String>,
    pub cipher: Option<String>,
    pub tls_reason: Option<String>,
    /// The connection's TLS session was resumed: no certificate crossed.
    pub tls_resumed: bool,
    /// The connection was kept open after this earlier hop, and this hop's
    /// transaction began with RSET on it.
    pub reused_from: Option<u32>,
    pub sender: String,
    pub recipients: Vec<String>,
    pub conversation: Vec<LineView>,
    pub wire: Vec<WireView>,
    pub stored: Option<StoredView>,
}

#[derive(Debug, Clone, Serialize)]
pub struct LineView {
    /// `c` (client to server) or `s`.
    pub dir: &'static str,
    pub text: String,
    pub tls: bool,
}

#[derive(Debug, Clone, Serialize)]
pub struct WireView {
    pub dir: &'static str,
    /// `text` or `tls`.
    #[serde(rename = "as")]
    pub seen_as: &'static str,
    pub text: String,
}

#[derive(Debug, Clone, Serialize)]
pub struct StoredView {
    pub node: String,
    pub place: String,
    pub readable: bool,
    pub eml: String,
    /// The first this many header fields were added on this hop.
    pub added_headers: usize,
}

#[derive(Debug, Clone, Serialize)]
pub struct Holder {
    pub node: String,
    pub message: String,
    pub place: String,
    pub readable: bool,
}

/// One event told in the step log.
#[derive(Debug, Clone, Serialize)]
pub struct LogLine {
    pub t: u64,
    /// The trace's `kind` of the event.
    pub kind: &'static str,
    pub node: Option<String>,
    pub peer: Option<String>,
    pub code: Option<String>,
    pub text: String,
    pub text_pt: String,
}

#[derive(Debug, Clone, Serialize)]
pub struct DnsView {
    pub t: u64,
    pub node: String,
    pub name: String,
    pub rtype: String,
    pub rcode: String,
    pub answers: Vec<String>,
}

#[derive(Debug, Clone, Serialize)]
pub struct Mark {
    pub t: u64,
    pub kind: &'static str,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub hop: Option<u32>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub node: Option<String>,
    pub text: String,
    pub text_pt: String,
}

#[derive(Debug, Clone, Serialize)]
pub struct WhatIfView {
    pub toggles: Vec<Toggle>,
    pub subject: Option<String>,
    pub body: Option<String>,
}

#[derive(Debug, Clone, Serialize)]
pub struct Toggle {
    pub id: String,
    pub node: String,
    /// `starttls` or `fault`.
    pub kind: &'static str,
    pub on: bool,
    pub label: Text,
}

fn text(en: impl Into<String>, pt: impl Into<String>) -> Text {
    Text {
        en: en.into(),
        pt: pt.into(),
    }
}

/// Which side of the picture a node is drawn on.
fn lane_of(scenario: &Scenario, name: &str) -> &'static str {
    let node = &scenario.nodes[name];
    let sends = scenario.script.iter().any(|s| match s.action() {
        Some(Action::Send(send)) => send.from == name,
        Some(Action::Type(typing)) => typing.by == name,
        None => false,
    });
    match node.role {
        Role::Mua if sends => "sender",
        Role::Mua => "recipient",
        Role::Msa => "sender",
        Role::Smarthost | Role::SpamFilter => "internet",
        Role::SecondaryMx | Role::Gateway | Role::Mda => "recipient",
        Role::Mta => {
            let submitted_to = scenario
                .nodes
                .values()
                .any(|n| n.submit.as_deref() == Some(name));
            if submitted_to || !node.accounts.is_empty() {
                "sender"
            } else {
                "recipient"
            }
        }
    }
}

impl From<Words> for Text {
    fn from(words: Words) -> Text {
        text(words.en, words.pt)
    }
}

fn dir_code(dir: Dir) -> &'static str {
    match dir {
        Dir::ClientToServer => "c",
        Dir::ServerToClient => "s",
    }
}

/// Builds the player data of a run.
pub fn build(scenario: &Scenario, trace: &Trace) -> PlayerData {
    let hops: Vec<(&Record, &Hop)> = trace.hops().collect();
    let index = Index::of(trace);
    let mut held = Holders::new(trace);
    let mut steps = Vec::with_capacity(hops.len() + 2);
    let caption_for = |on: &str| {
        scenario
            .captions
            .iter()
            .find(|c| c.on == on)
            .map(|c| text(&c.en, &c.pt))
    };
    let last_seq = trace.events.last().map_or(0, |r| r.seq);
    // The start step shows what is already so at virtual time zero (faults);
    // the first hop's lead-up begins after that.
    let first_hop_seq = hops.first().map_or(last_seq + 1, |(r, _)| r.seq);
    let start_end = trace
        .events
        .iter()
        .find(|r| r.t > 0 || matches!(r.event, Event::Composed(_)))
        .map_or(first_hop_seq, |r| r.seq.min(first_hop_seq));

    steps.push(Step {
        index: 0,
        kind: "start",
        t: 0,
        title: text("Before anything moves", "Antes de tudo começar"),
        caption: caption_for("start"),
        hop: None,
        holders: Vec::new(),
        events: log_lines(trace, 0, start_end),
        dns: Vec::new(),
    });
    for (i, (record, hop)) in hops.iter().enumerate() {
        let previous = if i == 0 {
            start_end
        } else {
            hops[i - 1].0.seq + 1
        };
        let next = hops.get(i + 1).map_or(last_seq + 1, |(r, _)| r.seq);
        let holders_until = trace.events[record.seq as usize..next as usize]
            .iter()
            .take_while(|r| r.t <= record.t)
            .last()
            .map_or(record.seq, |r| r.seq);
        steps.push(Step {
            index: i + 1,
            kind: "hop",
            t: record.t,
            title: text(
                format!("Hop {}: {} → {}", hop.hop, hop.from, hop.to),
                format!("Salto {}: {} → {}", hop.hop, hop.from, hop.to),
            ),
            caption: caption_for(&format!("hop:{}", hop.hop)),
            hop: Some(hop_view(&index, record, hop)),
            holders: held.after(holders_until),
            events: log_lines(trace, previous, record.seq),
            dns: dns_lines(trace, previous, record.seq, Some(&hop.from)),
        });
    }
    let after_last = hops.last().map_or(0, |(r, _)| r.seq + 1);
    steps.push(Step {
        index: hops.len() + 1,
        kind: "end",
        t: trace.events.last().map_or(0, |r| r.t),
        title: text("Where everything ended up", "Onde tudo foi parar"),
        caption: caption_for("end"),
        hop: None,
        holders: held.after(last_seq),
        events: log_lines(trace, after_last, last_seq + 1),
        dns: dns_lines(trace, after_last, last_seq + 1, None),
    });

    PlayerData {
        id: scenario.id.clone(),
        title: scenario.title.clone(),
        description: scenario.description.clone(),
        seed: trace.seed,
        start: trace.start.clone(),
        end_t: trace.events.last().map_or(0, |r| r.t),
        nodes: nodes(scenario, trace),
        downtime: downtime(trace),
        steps,
        exposure: exposure::view(trace, &hops),
        timeline: timeline(trace),
        whatif: whatif::view(scenario),
        warnings: Vec::new(),
    }
}

/// A caption the page never shows: written for a hop the run does not make.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct UnseenCaption {
    /// Its place in the scenario's `captions` list.
    pub index: usize,
    /// The moment it was written for (`hop:9`).
    pub on: String,
    /// How many hops the run made.
    pub hops: usize,
}

/// The captions [`build`] attaches to no step. Every run has a `start` and
/// an `end` step, and a step for each hop it made, so only a `hop:N`
/// beyond the run's hops goes unseen. (Two captions on one moment are a
/// load-time error: that needs no run.)
pub fn unseen_captions(scenario: &Scenario, trace: &Trace) -> Vec<UnseenCaption> {
    let made: std::collections::BTreeSet<String> = trace
        .hops()
        .map(|(_, hop)| format!("hop:{}", hop.hop))
        .collect();
    scenario
        .captions
        .iter()
        .enumerate()
        .filter(|(_, c)| c.on != "start" && c.on != "end" && !made.contains(&c.on))
        .map(|(index, c)| UnseenCaption {
            index,
            on: c.on.clone(),
            hops: made.len(),
        })
        .collect()
}

fn nodes(scenario: &Scenario, trace: &Trace) -> Vec<NodeView> {
    let mut addresses: BTreeMap<&str, &str> = BTreeMap::new();
    let mut first_seen: BTreeMap<&str, u64> = BTreeMap::new();
    for record in &trace.events {
        if let Event::Connect(c) = &record.event {
            addresses.insert(&c.client, &c.client_ip);
            addresses.insert(&c.server, &c.server_ip);
        }
        if let Event::Hop(hop) = &record.event {
            first_seen.entry(&hop.from).or_insert(record.seq);
            first_seen.entry(&hop.to).or_insert(record.seq);
        }
    }
    let mut list: Vec<NodeView> = scenario
        .nodes
        .iter()
        .map(|(name, node)| NodeView {
            name: name.clone(),
            role: node.role.as_str(),
            lane: lane_of(scenario, name),
            address: addresses
                .get(name.as_str())
                .map(|a| a.to_string())
                .or_else(|| node.address.clone()),
        })
        .collect();
    // Within a lane, in the order the mail reached them; untouched nodes last.
    list.sort_by_key(|n| {
        (
            first_seen.get(n.name.as_str()).copied().unwrap_or(u64::MAX),
            n.name.clone(),
        )
    });
    list
}

fn downtime(trace: &Trace) -> Vec<Downtime> {
    let mut list: Vec<Downtime> = Vec::new();
    for record in &trace.events {
        match &record.event {
            Event::NodeDown { node, .. } => list.push(Downtime {
                node: node.clone(),
                from: record.t,
                until: None,
            }),
            Event::NodeUp { node } => {
                if let Some(open) = list
                    .iter_mut()
                    .rev()
                    .find(|d| &d.node == node && d.until.is_none())
                {
                    open.until = Some(record.t);
                }
            }
            _ => {}
        }
    }
    list
}

/// The trace's events grouped once, so that building each step does not
/// scan the whole trace again.
struct Index<'a> {
    /// Lines, wire chunks and handshakes, by connection.
    conns: BTreeMap<&'a str, Vec<&'a Record>>,
    /// Stored copies, by node then message, in trace order.
    stored: BTreeMap<&'a str, BTreeMap<&'a str, Vec<&'a Record>>>,
    /// The first hop on each connection (a kept connection carries more).
    first_hop: BTreeMap<&'a str, u32>,
}

impl<'a> Index<'a> {
    fn of(trace: &'a Trace) -> Self {
        let mut index = Index {
            conns: BTreeMap::new(),
            stored: BTreeMap::new(),
            first_hop: BTreeMap::new(),
        };
        for r in &trace.events {
            match &r.event {
                Event::Line { conn, .. } => index.conns.entry(conn).or_default().push(r),
                Event::Hop(hop) => {
                    index.first_hop.entry(&hop.conn).or_insert(hop.hop);
                }
                Event::Wire(wire) => index.conns.entry(&wire.conn).or_default().push(r),
                Event::TlsHandshake(h) => index.conns.entry(&h.conn).or_default().push(r),
                Event::Stored(stored) => {
                    index
                        .stored
                        .entry(&stored.node)
                        .or_default()
                        .entry(&stored.message)
                        .or_default()
                        .push(r);
                }
                _ => {}
            }
        }
        index
    }

    fn stored(&self, node: &str, message: &str) -> &[&'a Record] {
        self.stored
            .get(node)
            .and_then(|by_message| by_message.get(message))
            .map_or(&[], Vec::as_slice)
    }
}

fn hop_view(index: &Index<'_>, record: &Record, hop: &Hop) -> HopView {
    let mut conversation = Vec::new();
    let mut wire = Vec::new();
    let mut tls_reason = None;
    let mut tls_resumed = false;
    let on_conn = index
        .conns
        .get(hop.conn.as_str())
        .map_or(&[][..], Vec::as_slice);
    let (from, to) = transaction_span(on_conn, record.seq);
    for (i, r) in on_conn.iter().enumerate() {
        if let Event::TlsHandshake(h) = &r.event
            && h.conn == hop.conn
        {
            tls_reason = Some(h.reason.clone());
            tls_resumed = h.resumed;
        }
        if i < from || i >= to {
            continue;
        }
        match &r.event {
            Event::Line {
                conn,
                dir,
                text,
                tls,
            } if *conn == hop.conn => conversation.push(LineView {
                dir: dir_code(*dir),
                text: text.clone(),
                tls: *tls,
            }),
            Event::Wire(w) if w.conn == hop.conn => wire.push(match &w.observed {
                Observed::Text => WireView {
                    dir: dir_code(w.dir),
                    seen_as: "text",
                    text: w.observed_text().unwrap_or_default().into_owned(),
                },
                Observed::Tls { records } => WireView {
                    dir: dir_code(w.dir),
                    seen_as: "tls",
                    text: records
                        .iter()
                        .map(|rec| format!("TLS {} record, {} bytes", rec.content_type, rec.length))
                        .collect::<Vec<_>>()
                        .join("\n"),
                },
            }),
            _ => {}
        }
    }
    let told = narrate_hop(hop);
    HopView {
        hop: hop.hop,
        message: hop.message.clone(),
        from: hop.from.clone(),
        to: hop.to.clone(),
        conn: hop.conn.clone(),
        protocol: hop.protocol.clone(),
        channel: hop.channel,
        channel_text: channel_text(hop.channel).into(),
        text: told.en,
        text_pt: told.pt,
        tls_version: hop.tls_version.clone(),
        cipher: hop.cipher.clone(),
        tls_reason,
        tls_resumed,
        reused_from: index
            .first_hop
            .get(hop.conn.as_str())
            .copied()
            .filter(|first| *first != hop.hop),
        sender: hop.sender.clone(),
        recipients: hop.recipients.clone(),
        conversation,
        wire,
        stored: stored_view(index, record, hop),
    }
}

/// Which of a connection's records (`on_conn`, in trace order) belong to
/// the hop recorded at `seq`: all of them, unless the connection was kept
/// and carried several messages; then the part from the `RSET` that began
/// this hop's transaction (or the start) to the `RSET` that began the next
/// (or the end, with the QUIT).
fn transaction_span(on_conn: &[&Record], seq: u64) -> (usize, usize) {
    let rset = |r: &&Record| {
        matches!(&r.event, Event::Line { dir: Dir::ClientToServer, text, .. }
            if text.trim_end().eq_ignore_ascii_case("RSET"))
    };
    let at = on_conn.partition_point(|r| r.seq < seq);
    let from = on_conn[..at].iter().rposition(rset).unwrap_or(0);
    let to = on_conn[at..]
        .iter()
        .position(rset)
        .map_or(on_conn.len(), |i| at + i);
    (from, to)
}

/// The copy a hop left at its destination, and how many header fields it
/// gained compared with the copy it came from.
fn stored_view(index: &Index<'_>, record: &Record, hop: &Hop) -> Option<StoredView> {
    fn eml_of(r: &Record) -> Option<(&Place, bool, &String)> {
        match &r.event {
            Event::Stored(s) => Some((&s.place, s.readable, &s.eml)),
            _ => None,
        }
    }
    let (place, readable, eml) = index
        .stored(&hop.to, &hop.message)
        .iter()
        .find(|r| r.seq > record.seq)
        .and_then(|r| eml_of(r))?;
    let before = index
        .stored(&hop.from, &hop.message)
        .iter()
        .rev()
        .find(|r| r.seq < record.seq)
        .and_then(|r| eml_of(r))
        .map(|(_, _, eml)| eml.as_str());
    let added = trace_fields(eml).saturating_sub(before.map_or(0, trace_fields));
    Some(StoredView {
        node: hop.to.clone(),
        place: describe(place),
        readable,
        eml: eml.clone(),
        added_headers: added,
    })
}

/// The number of leading trace fields (`Return-Path`, `Delivered-To`, `Received`) of a message.
fn trace_fields(eml: &str) -> usize {
    eml.split("\r\n")
        .take_while(|l| !l.is_empty())
        .filter(|l| !l.starts_with([' ', '\t']))
        .take_while(|l| {
            let name = l.split(':').next().unwrap_or("");
            ["Received", "Return-Path", "Delivered-To"]
                .iter()
                .any(|t| name.eq_ignore_ascii_case(t))
        })
        .count()
}

/// Copies at rest, followed through the trace once: each step asks for the
/// state after a later event than the step before.
struct Holders<'a> {
    events: std::slice::Iter<'a, Record>,
    held: Vec<Holder>,
    /// Place text of each queue file, by (node, queue id).
    queue_files: BTreeMap<(&'a str, &'a str), String>,
    /// The last event applied.
    done: Option<u64>,
}

impl<'a> Holders<'a> {
    fn new(trace: &'a Trace) -> Self {
        Holders {
            events: trace.events.iter(),
            held: Vec::new(),
            queue_files: BTreeMap::new(),
            done: None,
        }
    }

    /// The copies at rest after the event with sequence number `until`.
    fn after(&mut self, until: u64) -> Vec<Holder> {
        while self.done.is_none_or(|done| done < until) {
            let Some(record) = self.events.next() else {
                break;
            };
            self.done = Some(record.seq);
            match &record.event {
                Event::Stored(stored) => {
                    let Stored {
                        node,
                        message,
                        place,
                        readable,
                        ..
                    } = &**stored;
                    let place_text = describe(place);
                    if let Place::Queue { queue_id } = place {
                        self.queue_files
                            .insert((node, queue_id), place_text.clone());
                    }
                    self.held.push(Holder {
                        node: node.clone(),
                        message: message.clone(),
                        place: place_text,
                        readable: *readable,
                    });
                }
                Event::Removed(removed) => {
                    let key = (removed.node.as_str(), removed.queue_id.as_str());
                    if let Some(place) = self.queue_files.remove(&key) {
                        self.held
                            .retain(|h| !(h.node == removed.node && h.place == place));
                    }
                }
                _ => {}
            }
        }
        self.held.clone()
    }
}

/// Events worth a line in the step log, with sequence numbers in `[from, to)`:
/// every event told in words, except hops and the end of the run, which
/// are steps of their own.
fn log_lines(trace: &Trace, from: u64, to: u64) -> Vec<LogLine> {
    let lo = (from as usize).min(trace.events.len());
    let hi = (to as usize).min(trace.events.len()).max(lo);
    trace.events[lo..hi]
        .iter()
        .filter(|r| !matches!(r.event, Event::Hop(_) | Event::End { .. }))
        .filter_map(|r| {
            let Narration {
                node,
                peer,
                code,
                en,
                pt,
            } = narrate(&r.event)?;
            Some(LogLine {
                t: r.t,
                kind: r.event.kind(),
                node,
                peer,
                code,
                text: en,
                text_pt: pt,
            })
        })
        .collect()
}

fn dns_lines(trace: &Trace, from: u64, to: u64, by: Option<&str>) -> Vec<DnsView> {
    let lo = (from as usize).min(trace.events.len());
    let hi = (to as usize).min(trace.events.len()).max(lo);
    trace.events[lo..hi]
        .iter()
        .filter_map(|r| match &r.event {
            Event::DnsAnswer(answer) if by.is_none_or(|b| b == answer.node) => Some(DnsView {
                t: r.t,
                node: answer.node.clone(),
                name: answer.name.clone(),
                rtype: answer.rtype.clone(),
                rcode: answer.rcode.clone(),
                answers: answer.answers.clone(),
            }),
            _ => None,
        })
        .collect()
}

fn timeline(trace: &Trace) -> Vec<Mark> {
    trace
        .events
        .iter()
        .filter(|r| {
            matches!(
                r.event,
                Event::Hop(_)
                    | Event::NodeDown { .. }
                    | Event::NodeUp { .. }
                    | Event::ConnectFailed(_)
                    | Event::Deferred(_)
                    | Event::RetryScheduled { .. }
                    | Event::Delivered(_)
                    | Event::Bounced(_)
                    | Event::Dropped(_)
            )
        })
        .filter_map(|r| {
            let told = narrate(&r.event)?;
            Some(Mark {
                t: r.t,
                kind: r.event.kind(),
                hop: match &r.event {
                    Event::Hop(hop) => Some(hop.hop),
                    _ => None,
                },
                node: told.node,
                text: told.en,
                text_pt: told.pt,
            })
        })
        .collect()
}

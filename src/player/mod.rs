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

mod auth;
mod conversation;
mod exposure;
mod holders;
mod mailboxes;
pub mod pgp;
pub mod whatif;

pub use auth::{
    ArcView, AuthView, CheckView, DkimView, DmarcView, ForwardView, NoteView, RuleView, SignedView,
    SpamView, SpfView,
};
pub use exposure::{
    ExposureView, LinkExposure, NodeExposure, PasswordExposure, UnacceptedExposure,
};
pub use mailboxes::{
    DeviceCopy, DeviceView, FolderView, GoneView, MailState, MailboxView, MessageView,
};

use std::collections::{BTreeMap, BTreeSet};

use conversation::{Index, hop_view, session_view, trace_fields};
use holders::Holders;

use serde::Serialize;

use crate::exposure::describe;
use crate::narrate::{Narration, Words, narrate, narrate_stored_here};
use crate::scenario::{Action, Role, Scenario, Text};
use crate::trace::{
    Channel, Connect, ConnectFailed, Event, Hop, Place, Record, Spot, Stored, Trace,
};

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
    /// `start`, `hop`, `session` (a connection that carried no accepted
    /// message: refused, told to try later, or cut), `blocked` (a
    /// connection a network rule dropped), `stored` (a copy written
    /// without a hop bringing it, such as a notification) or `end`.
    pub kind: &'static str,
    pub t: u64,
    pub title: Text,
    pub caption: Option<Text>,
    pub hop: Option<HopView>,
    /// For kind `session`.
    pub session: Option<SessionView>,
    /// For kind `stored`: the copy, openable like a hop's.
    pub stored: Option<StoredView>,
    pub holders: Vec<Holder>,
    /// The mailboxes and the copies on devices after this step, when they
    /// changed at this step; absent, they are as at the step before (and
    /// before any step has them, there are none).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub mailboxes: Option<MailState>,
    pub events: Vec<LogLine>,
    pub dns: Vec<DnsView>,
    /// Who really sent the step's messages: DKIM signatures added, sender
    /// checks and their decision, spam scores, forwards (`auth.rs`);
    /// absent when the step has none.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub auth: Option<AuthView>,
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
    /// The same in Portuguese.
    pub tls_reason_pt: Option<String>,
    /// The connection's TLS session was resumed: no certificate crossed.
    pub tls_resumed: bool,
    /// The connection was kept open after this earlier hop, and this hop's
    /// transaction began with RSET on it.
    pub reused_from: Option<u32>,
    pub sender: String,
    pub recipients: Vec<String>,
    /// For a hop by IMAP or POP3: the mailbox copy it read (a download:
    /// the hop goes from the server to the mail client) or wrote (an
    /// APPEND, `appended`: from the client to the server).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub mailbox: Option<Spot>,
    pub conversation: Vec<LineView>,
    pub wire: Vec<WireView>,
    pub stored: Option<StoredView>,
}

/// A connection on which no message was accepted, with its conversation.
#[derive(Debug, Clone, Serialize)]
pub struct SessionView {
    pub conn: String,
    pub from: String,
    pub to: String,
    pub port: u16,
    /// `SMTP`, `IMAP` or `POP3`, as the server's greeting tells it; null
    /// when the server said nothing.
    pub protocol: Option<&'static str>,
    /// The channel when the session ended.
    pub channel: Channel,
    pub channel_text: Text,
    /// The session in one sentence.
    pub text: String,
    pub text_pt: String,
    /// The code of the first reply that said no, if any: SMTP's (`550`,
    /// `451`), or the word of IMAP (`NO`, `BAD`) or POP3 (`-ERR`).
    pub code: Option<String>,
    /// That reply line, as the server said it.
    pub refusal: Option<String>,
    pub tls_version: Option<String>,
    pub cipher: Option<String>,
    pub tls_reason: Option<String>,
    pub tls_reason_pt: Option<String>,
    pub tls_resumed: bool,
    pub conversation: Vec<LineView>,
    pub wire: Vec<WireView>,
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
    /// For `tls`: the records, by type and payload length, for the page to
    /// tell in the student's language.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub records: Vec<RecordView>,
}

#[derive(Debug, Clone, Serialize)]
pub struct RecordView {
    pub content_type: String,
    pub length: u16,
}

#[derive(Debug, Clone, Serialize)]
pub struct StoredView {
    pub node: String,
    pub place: String,
    pub readable: bool,
    pub eml: String,
    /// The first this many header fields were added on this hop.
    pub added_headers: usize,
    /// On a mail client's device: a copy its user downloaded.
    #[serde(skip_serializing_if = "std::ops::Not::not")]
    pub device: bool,
    /// For a copy encrypted end to end: what its holder sees of it.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub pgp: Option<pgp::PgpView>,
    /// For a `stored` step: the copy in one sentence.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub text: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub text_pt: Option<String>,
}

#[derive(Debug, Clone, Serialize)]
pub struct Holder {
    pub node: String,
    pub message: String,
    pub place: String,
    pub readable: bool,
    /// On a mail client's device: a copy its user downloaded.
    #[serde(skip_serializing_if = "std::ops::Not::not")]
    pub device: bool,
}

/// One event told in the step log.
#[derive(Debug, Clone, Serialize)]
pub struct LogLine {
    pub t: u64,
    /// The trace's `kind` of the event.
    pub kind: &'static str,
    pub node: Option<String>,
    pub peer: Option<String>,
    /// The run's id of the message the event is about, if it is about one.
    pub message: Option<String>,
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
    /// The machine it changes; for a network's block, the network's name.
    pub node: String,
    /// `starttls`, `open_relay`, `fault`, `greylist`, `reputation` or
    /// `network`.
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

/// Which side of the picture a node is drawn on. A mail client stands with
/// the sender when the first thing it does in the script is to send (or a
/// person types at it), and with the recipient when it first reads mail
/// (`fetch`, `file`) or does nothing: a client that reads and then replies
/// stays where the story found it. Retrieval hops therefore run from the
/// recipient's mailbox server to the recipient's device, inside their lane.
fn lane_of(scenario: &Scenario, name: &str) -> &'static str {
    let node = &scenario.nodes[name];
    let first_act = scenario
        .script
        .iter()
        .filter_map(|s| {
            let sends = match s.action()? {
                Action::Send(send) if send.from == name => true,
                Action::Type(typing) if typing.by == name => true,
                Action::Fetch(fetch) if fetch.by == name => false,
                Action::File(file) if file.by == name => false,
                _ => return None,
            };
            Some((s.at, sends))
        })
        .min_by_key(|(at, _)| *at);
    let sends = first_act.is_some_and(|(_, sends)| sends);
    match node.role {
        Role::Mua if sends => "sender",
        Role::Mua => "recipient",
        Role::Msa => "sender",
        Role::Smarthost | Role::SpamFilter | Role::Attacker => "internet",
        Role::SecondaryMx | Role::Gateway | Role::Mda => "recipient",
        // A server clients submit to is the sender's; one they only read
        // mail from is the recipient's; one with accounts and neither, the
        // sender's (a person logs in to send through it).
        Role::Mta => {
            let submitted_to = scenario
                .nodes
                .values()
                .any(|n| n.submit.as_deref() == Some(name));
            let read_from = scenario.nodes.values().any(|n| {
                n.fetch
                    .as_ref()
                    .is_some_and(|f| f.server.as_deref() == Some(name))
            });
            if submitted_to || (!read_from && !node.accounts.is_empty()) {
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

/// What a step between the start and the end is about.
enum Anchor<'a> {
    /// A message moved.
    Hop(&'a Record, &'a Hop),
    /// A connection closed (or was cut) without any message accepted on it.
    Session(&'a Connect),
    /// A copy written without a hop bringing it; `true` for a notification.
    Stored(&'a Stored, bool),
    /// A connection attempt a network rule dropped (it never became a
    /// connection, so it has no session of its own).
    Blocked(&'a ConnectFailed),
}

/// The steps' subjects, with their positions in `trace.events`, in trace
/// order: every hop, every session that moved no message, every copy no
/// hop brought, every connection a network rule dropped.
fn anchors(trace: &Trace) -> Vec<(usize, Anchor<'_>)> {
    let notices: BTreeSet<&str> = trace
        .events
        .iter()
        .filter_map(|r| match &r.event {
            Event::Bounced(b) => b.dsn.as_deref(),
            Event::DelayWarned(d) => Some(d.dsn.as_str()),
            _ => None,
        })
        .collect();
    let mut out = Vec::new();
    // Open connections, and whether a hop used them.
    let mut open: BTreeMap<&str, (&Connect, bool)> = BTreeMap::new();
    // Hops whose copy is yet to be stored: (node, message).
    let mut arriving: Vec<(&str, &str)> = Vec::new();
    for (pos, r) in trace.events.iter().enumerate() {
        match &r.event {
            Event::Connect(c) => {
                open.insert(&c.conn, (c, false));
            }
            Event::Hop(hop) => {
                if let Some(conn) = open.get_mut(hop.conn.as_str()) {
                    conn.1 = true;
                }
                arriving.push((&hop.to, &hop.message));
                out.push((pos, Anchor::Hop(r, hop)));
            }
            Event::Stored(stored) => {
                let brought = arriving
                    .iter()
                    .position(|(node, message)| *node == stored.node && *message == stored.message);
                match brought {
                    Some(i) => {
                        arriving.remove(i);
                    }
                    None => out.push((
                        pos,
                        Anchor::Stored(stored, notices.contains(stored.message.as_str())),
                    )),
                }
            }
            Event::Closed { conn } | Event::Cut { conn, .. } => {
                if let Some((connect, false)) = open.remove(conn.as_str()) {
                    out.push((pos, Anchor::Session(connect)));
                }
            }
            Event::ConnectFailed(failed) if failed.blocked.is_some() => {
                out.push((pos, Anchor::Blocked(failed)));
            }
            _ => {}
        }
    }
    out
}

/// Where the step log of the anchor at `pos` ends (exclusive), before
/// `next` (the next anchor). A hop's, a session's or a copy's own event is
/// told by the step itself and the log stops before it; a dropped
/// connection is told in its own log, with what its client did about it
/// at the same moment (a mail client giving up, a queue deferring).
fn log_end(trace: &Trace, pos: usize, anchor: &Anchor<'_>, next: usize) -> usize {
    let Anchor::Blocked(failed) = anchor else {
        return pos;
    };
    let t = trace.events[pos].t;
    let about_client = |r: &Record| {
        r.t == t
            && narrate(&r.event).is_some_and(|n| n.node.as_deref() == Some(failed.client.as_str()))
    };
    let after = trace.events[pos + 1..next]
        .iter()
        .take_while(|r| about_client(r))
        .count();
    pos + 1 + after
}

/// Builds the player data of a run.
pub fn build(scenario: &Scenario, trace: &Trace) -> PlayerData {
    let anchors = anchors(trace);
    let mut attached = auth::attach(trace, &anchors, anchors.len() + 2).into_iter();
    let mut next_attached = || attached.next().unwrap_or_default();
    let index = Index::of(trace);
    let mut held = Holders::new(trace);
    let mut steps = Vec::with_capacity(anchors.len() + 2);
    let caption_for = |on: &str| {
        scenario
            .captions
            .iter()
            .find(|c| c.on == on)
            .map(|c| text(&c.en, &c.pt))
    };
    let len = trace.events.len();
    let seq_at = |pos: usize| trace.events.get(pos).map_or(0, |r| r.seq);
    let last_seq = trace.events.last().map_or(0, |r| r.seq);
    // The start step shows what is already so at virtual time zero (faults);
    // the first step's lead-up begins after that.
    let first_anchor = anchors.first().map_or(len, |(pos, _)| *pos);
    let start_end = trace
        .events
        .iter()
        .position(|r| r.t > 0 || matches!(r.event, Event::Composed(_)))
        .map_or(first_anchor, |pos| pos.min(first_anchor));

    steps.push(Step {
        index: 0,
        kind: "start",
        t: 0,
        title: text("Before anything moves", "Antes de tudo começar"),
        caption: caption_for("start"),
        hop: None,
        session: None,
        stored: None,
        holders: Vec::new(),
        mailboxes: None,
        events: log_lines(trace, 0, start_end),
        dns: Vec::new(),
        auth: next_attached().auth,
    });
    // Sessions, stored copies and dropped connections are counted per kind,
    // from 1, for their captions (`session:N`, `stored:N`, `blocked:N`).
    let (mut sessions, mut copies, mut blocked) = (0, 0, 0);
    let mut previous = start_end;
    for (i, (pos, anchor)) in anchors.iter().enumerate() {
        let pos = *pos;
        let next = anchors.get(i + 1).map_or(len, |(p, _)| *p);
        let own_end = log_end(trace, pos, anchor, next);
        let t = trace.events[pos].t;
        // What the step leaves behind: its own event and what follows at
        // the same moment (the copy a hop stored, a queue file removed).
        // The last download (or APPEND) of an IMAP or POP3 session leaves
        // what the rest of its conversation did too, as the step shows that
        // conversation to its end: the \Seen flag IMAP sets after fetching,
        // the deletions POP3 carries out at QUIT.
        let within = &trace.events[pos..next.max(pos + 1)];
        let same_moment = within.iter().take_while(|r| r.t <= t).last();
        let session_end = match anchor {
            Anchor::Hop(_, hop) if hop.mailbox.is_some() => within.iter().find(|r| {
                matches!(&r.event, Event::Closed { conn } | Event::Cut { conn, .. } if *conn == hop.conn)
            }),
            _ => None,
        };
        let holders_until = [same_moment, session_end]
            .into_iter()
            .flatten()
            .map(|r| r.seq)
            .max()
            .unwrap_or(seq_at(pos));
        let (kind, title, caption, hop, session, stored) = match anchor {
            Anchor::Hop(record, hop) => (
                "hop",
                text(
                    format!("Hop {}: {} → {}", hop.hop, hop.from, hop.to),
                    format!("Salto {}: {} → {}", hop.hop, hop.from, hop.to),
                ),
                caption_for(&format!("hop:{}", hop.hop)),
                Some(hop_view(&index, record, hop)),
                None,
                None,
            ),
            Anchor::Session(connect) => {
                sessions += 1;
                let view = session_view(&index, connect);
                let reading = matches!(view.protocol, Some("IMAP" | "POP3"));
                let (en, pt) = match view.code.as_deref() {
                    Some(code) if code.starts_with('4') => {
                        ("Try again later", "Tente de novo mais tarde")
                    }
                    Some(_) => ("Refused", "Recusado"),
                    None if reading => ("No message downloaded", "Nenhuma mensagem baixada"),
                    None => ("No message accepted", "Nenhuma mensagem aceita"),
                };
                (
                    "session",
                    text(
                        format!("{en}: {} → {}", view.from, view.to),
                        format!("{pt}: {} → {}", view.from, view.to),
                    ),
                    caption_for(&format!("session:{sessions}")),
                    None,
                    Some(view),
                    None,
                )
            }
            Anchor::Stored(stored, notification) => {
                copies += 1;
                let place = describe(&stored.place);
                let told =
                    narrate_stored_here(&stored.node, &stored.message, &place, *notification);
                let (en, pt) = if *notification {
                    ("Notification on", "Notificação em")
                } else {
                    ("A copy on", "Uma cópia em")
                };
                (
                    "stored",
                    text(
                        format!("{en} {}", stored.node),
                        format!("{pt} {}", stored.node),
                    ),
                    caption_for(&format!("stored:{copies}")),
                    None,
                    None,
                    Some(StoredView {
                        node: stored.node.clone(),
                        place,
                        readable: stored.readable,
                        eml: stored.eml.clone(),
                        added_headers: trace_fields(&stored.eml),
                        device: matches!(stored.place, Place::Device { .. }),
                        pgp: None,
                        text: Some(told.en),
                        text_pt: Some(told.pt),
                    }),
                )
            }
            Anchor::Blocked(failed) => {
                blocked += 1;
                let network = failed.blocked.as_ref().map_or("", |b| b.network.as_str());
                (
                    "blocked",
                    text(
                        format!(
                            "Blocked by {network}: {} → {}",
                            failed.client, failed.server
                        ),
                        format!(
                            "Bloqueado por {network}: {} → {}",
                            failed.client, failed.server
                        ),
                    ),
                    caption_for(&format!("blocked:{blocked}")),
                    None,
                    None,
                    None,
                )
            }
        };
        let rest = held.after(holders_until);
        let extra = next_attached();
        let mut dns = dns_lines(trace, previous, own_end);
        if !extra.dns.is_empty() {
            dns.extend(extra.dns);
            dns.sort_by_key(|d| d.t);
        }
        steps.push(Step {
            index: i + 1,
            kind,
            t,
            title,
            caption,
            hop,
            session,
            stored,
            holders: rest.holders,
            mailboxes: rest.mailboxes,
            events: log_lines(trace, previous, own_end),
            dns,
            auth: extra.auth,
        });
        previous = own_end.max(pos + 1);
    }
    let after_last = if anchors.is_empty() { 0 } else { previous };
    let rest = held.after(last_seq);
    steps.push(Step {
        index: anchors.len() + 1,
        kind: "end",
        t: trace.events.last().map_or(0, |r| r.t),
        title: text("Where everything ended up", "Onde tudo foi parar"),
        caption: caption_for("end"),
        hop: None,
        session: None,
        stored: None,
        holders: rest.holders,
        mailboxes: rest.mailboxes,
        events: log_lines(trace, after_last, len),
        dns: dns_lines(trace, after_last, len),
        auth: next_attached().auth,
    });
    let anchor_seqs: Vec<u64> = anchors.iter().map(|(pos, _)| seq_at(*pos)).collect();

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
        exposure: exposure::view(trace, &anchor_seqs),
        timeline: timeline(trace),
        whatif: whatif::view(scenario),
        warnings: Vec::new(),
    }
}

/// A caption the page never shows: written for a step the run does not
/// have (`hop:9` of a run with five hops, `session:1` of a run where every
/// connection moved a message).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct UnseenCaption {
    /// Its place in the scenario's `captions` list.
    pub index: usize,
    /// The moment it was written for (`hop:9`).
    pub on: String,
    /// The kind of step it names: `hop`, `session`, `stored` or `blocked`.
    pub kind: &'static str,
    /// How many steps of that kind the run has.
    pub made: usize,
}

/// The captions [`build`] attaches to no step. Every run has a `start` and
/// an `end` step, and a step for each hop, each session that moved no
/// message, each copy no hop brought and each connection a network rule
/// dropped, so only a `hop:N`, `session:N`, `stored:N` or `blocked:N`
/// beyond the run's count of that kind goes unseen. (Two captions on one
/// moment are a load-time error: that needs no run.)
pub fn unseen_captions(scenario: &Scenario, trace: &Trace) -> Vec<UnseenCaption> {
    let (mut hops, mut sessions, mut copies, mut blocked) = (0, 0, 0, 0);
    for (_, anchor) in anchors(trace) {
        match anchor {
            Anchor::Hop(..) => hops += 1,
            Anchor::Session(_) => sessions += 1,
            Anchor::Stored(..) => copies += 1,
            Anchor::Blocked(_) => blocked += 1,
        }
    }
    scenario
        .captions
        .iter()
        .enumerate()
        .filter_map(|(index, c)| {
            let (kind, n) = c.on.split_once(':')?;
            let n: usize = n.parse().ok()?;
            let (kind, made) = match kind {
                "hop" => ("hop", hops),
                "session" => ("session", sessions),
                "stored" => ("stored", copies),
                "blocked" => ("blocked", blocked),
                _ => return None,
            };
            (n > made).then(|| UnseenCaption {
                index,
                on: c.on.clone(),
                kind,
                made,
            })
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
    // The mail exchangers of one domain stand together in preference order,
    // whichever the mail reached first (a backup MX used while the primary
    // is down still stands below it), from the place of the first of them.
    for records in scenario.dns.values() {
        let mut mx: Vec<&crate::scenario::MxRecord> = records.mx.iter().collect();
        mx.sort_by_key(|r| r.preference);
        let slots: Vec<usize> = list
            .iter()
            .enumerate()
            .filter(|(_, n)| mx.iter().any(|r| r.host == n.name))
            .map(|(i, _)| i)
            .collect();
        if slots.len() < 2 {
            continue;
        }
        let first = slots[0];
        let mut hosts: Vec<NodeView> = slots.iter().rev().map(|&i| list.remove(i)).collect();
        hosts.sort_by_key(|n| {
            mx.iter()
                .position(|r| r.host == n.name)
                .unwrap_or(usize::MAX)
        });
        for (k, host) in hosts.into_iter().enumerate() {
            list.insert(first + k, host);
        }
    }
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

/// Events worth a line in the step log, at positions `[from, to)` of the
/// trace: every event told in words, except hops and the end of the run,
/// which are steps of their own.
fn log_lines(trace: &Trace, from: usize, to: usize) -> Vec<LogLine> {
    let lo = from.min(trace.events.len());
    let hi = to.min(trace.events.len()).max(lo);
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
                message: message_of(&r.event).map(str::to_string),
                code,
                text: en,
                text_pt: pt,
            })
        })
        .collect()
}

/// The message an event is about, when it is about one.
fn message_of(event: &Event) -> Option<&str> {
    Some(match event {
        Event::Hop(e) => &e.message,
        Event::RetryScheduled { message, .. } => message,
        Event::Composed(e) => &e.message,
        Event::Stored(e) => &e.message,
        Event::Removed(e) => &e.message,
        Event::Delivered(e) => &e.message,
        Event::Deferred(e) => &e.message,
        Event::Bounced(e) => &e.message,
        Event::DelayWarned(e) => &e.message,
        Event::Dropped(e) => &e.message,
        Event::SubmissionFailed(e) => &e.message,
        Event::QueuedAtEnd(e) => &e.message,
        Event::Expunged(e) => &e.message,
        Event::Moved(e) => &e.message,
        Event::Flagged(e) => &e.message,
        Event::DkimSigned(e) => &e.message,
        Event::SenderChecked(e) => &e.message,
        Event::SpamScored(e) => &e.message,
        Event::Forwarded(e) => &e.message,
        Event::Encrypted(e) => &e.message,
        Event::PgpNoKey(e) => &e.message,
        Event::Decrypted(e) => &e.message,
        _ => return None,
    })
}

/// The DNS answers at positions `[from, to)` of the trace, whoever asked.
fn dns_lines(trace: &Trace, from: usize, to: usize) -> Vec<DnsView> {
    let lo = from.min(trace.events.len());
    let hi = to.min(trace.events.len()).max(lo);
    trace.events[lo..hi]
        .iter()
        .filter_map(|r| match &r.event {
            Event::DnsAnswer(answer) => Some(DnsView {
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
                    | Event::SubmissionFailed(_)
                    | Event::RetrievalFailed(_)
                    | Event::Greylisted(_)
                    | Event::GreylistPassed(_)
            ) || matches!(
                // A message refused for who sent it, or for its score.
                &r.event,
                Event::SenderChecked(c) if c.action == crate::trace::senders::Action::Reject
            ) || matches!(
                &r.event,
                Event::SpamScored(s) if s.action == crate::trace::senders::Action::Reject
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

//! The player's "who could read it" view: the exposure ledger, with each
//! row tagged by the step from which the page shows it.

use serde::Serialize;

use crate::exposure::Ledger;
use crate::narrate::channel_text;
use crate::scenario::Text;
use crate::trace::{Channel, Trace};

/// Everything the exposure panel draws, for the whole run; the page keeps
/// the rows that have happened by the current step.
#[derive(Debug, Clone, Default, Serialize)]
pub struct ExposureView {
    pub links: Vec<LinkExposure>,
    /// Message content that crossed a link but was not accepted there.
    pub unaccepted: Vec<UnacceptedExposure>,
    /// Passwords that crossed a link outside TLS.
    pub passwords: Vec<PasswordExposure>,
    pub nodes: Vec<NodeExposure>,
}

/// A hop, as its link's observer saw it.
#[derive(Debug, Clone, Serialize)]
pub struct LinkExposure {
    pub hop: u32,
    pub from: String,
    pub to: String,
    pub channel: Channel,
    /// The channel in words (from `narrate`).
    pub channel_text: Text,
    pub envelope: bool,
    pub headers: bool,
    pub body: bool,
    /// The Subject the observer read, when it was in sight.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub subject: Option<String>,
    /// The body crossed encrypted end to end (OpenPGP).
    #[serde(skip_serializing_if = "std::ops::Not::not")]
    pub body_encrypted: bool,
}

/// Content that crossed a link in a DATA phase no hop followed.
#[derive(Debug, Clone, Serialize)]
pub struct UnacceptedExposure {
    /// The step whose log covers the moment it crossed; shown from there on.
    pub step: usize,
    pub conn: String,
    pub from: String,
    pub to: String,
    /// The run's id of the message, or `None` when it cannot be told.
    pub message: Option<String>,
    pub channel: Channel,
    /// The channel in words (from `narrate`).
    pub channel_text: Text,
    pub envelope: bool,
    pub headers: bool,
    pub body: bool,
    /// What happened to it, such as "m1 crossed in full and was not
    /// accepted: 554 5.7.1 Rejected".
    pub text: Text,
}

/// A password an observer of the link read.
#[derive(Debug, Clone, Serialize)]
pub struct PasswordExposure {
    /// The step whose log covers the login; shown from there on.
    pub step: usize,
    pub conn: String,
    pub from: String,
    pub to: String,
    pub user: String,
    pub accepted: bool,
    /// Always plaintext, in words (from `narrate`).
    pub channel_text: Text,
    /// "the password of alice@home.test, sent with AUTH PLAIN (accepted)".
    pub text: Text,
}

/// A machine that held a copy of a message at rest.
#[derive(Debug, Clone, Serialize)]
pub struct NodeExposure {
    pub node: String,
    pub message: String,
    pub since_hop: u32,
    /// The step from which the page shows it: the step of the hop that
    /// brought the copy, or of the copy itself when no hop brought it.
    pub step: usize,
    /// A mail client's device holding a copy its user downloaded: the
    /// recipient's own, counted apart from the servers.
    pub device: bool,
    pub envelope: bool,
    pub headers: bool,
    pub body: bool,
    /// The Subject its operator (or the device's user) read, when in sight.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub subject: Option<String>,
    /// The copy's body is encrypted end to end (OpenPGP).
    #[serde(skip_serializing_if = "std::ops::Not::not")]
    pub body_encrypted: bool,
}

/// The exposure view of a run whose steps between the start and the end
/// are about the events with sequence numbers `anchors` (in order).
pub fn view(trace: &Trace, anchors: &[u64]) -> ExposureView {
    let ledger = Ledger::from_trace(trace);
    // Hops come in time order: the last one at or before `t`.
    let hop_at = |t: u64| {
        let n = ledger.hops.partition_point(|h| h.t <= t);
        n.checked_sub(1).map_or(0, |i| ledger.hops[i].hop)
    };
    // Step i + 1 is about anchor i and logs the events since anchor i - 1;
    // what follows the last anchor is in the end step.
    let step_of = |seq: u64| 1 + anchors.partition_point(|a| *a < seq);
    // A copy at rest shows from the step whose subject is the last at or
    // before it was written (its hop, or itself).
    let mut first_stored: std::collections::BTreeMap<(&str, &str), u64> = Default::default();
    for r in &trace.events {
        if let crate::trace::Event::Stored(s) = &r.event {
            first_stored.entry((&s.node, &s.message)).or_insert(r.seq);
        }
    }
    let rest_step = |node: &str, message: &str| {
        first_stored
            .get(&(node, message))
            .map_or(0, |seq| anchors.partition_point(|a| a <= seq))
    };
    // One rule for every party: the ledger's readings, copies at rest
    // first, then the hops' links, in the ledger's order.
    let readings = ledger.readings();
    let (rest_readings, link_readings) =
        readings.split_at(ledger.at_rest.len().min(readings.len()));
    ExposureView {
        links: ledger
            .hops
            .iter()
            .zip(link_readings)
            .map(|(h, r)| LinkExposure {
                hop: h.hop,
                from: h.from.clone(),
                to: h.to.clone(),
                channel: h.channel,
                channel_text: channel_text(h.channel).into(),
                envelope: r.envelope,
                headers: r.headers,
                body: r.body,
                subject: r.subject.clone(),
                body_encrypted: h.sight.as_ref().is_some_and(|s| s.body_encrypted),
            })
            .collect(),
        unaccepted: ledger
            .unaccepted
            .iter()
            .map(|u| UnacceptedExposure {
                step: step_of(u.seq),
                conn: u.conn.clone(),
                from: u.from.clone(),
                to: u.to.clone(),
                message: u.message.clone(),
                channel: u.channel,
                channel_text: channel_text(u.channel).into(),
                // MAIL FROM and RCPT TO went in the same channel as DATA:
                // STARTTLS starts a session afresh.
                envelope: u.observer_reads,
                headers: u.observer_reads,
                body: u.observer_reads && u.body,
                text: u.account(),
            })
            .collect(),
        passwords: ledger
            .passwords
            .iter()
            .map(|p| PasswordExposure {
                step: step_of(p.seq),
                conn: p.conn.clone(),
                from: p.from.clone(),
                to: p.to.clone(),
                user: p.user.clone(),
                accepted: p.accepted,
                channel_text: channel_text(Channel::Plaintext).into(),
                text: p.account(),
            })
            .collect(),
        nodes: ledger
            .at_rest
            .iter()
            .zip(rest_readings)
            .map(|(a, r)| NodeExposure {
                node: a.node.clone(),
                message: a.message.clone(),
                since_hop: hop_at(a.since),
                step: rest_step(&a.node, &a.message),
                device: a.device,
                envelope: r.envelope,
                headers: r.headers,
                body: r.body,
                subject: r.subject.clone(),
                body_encrypted: a.sight.body_encrypted,
            })
            .collect(),
    }
}

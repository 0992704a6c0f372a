//! What a step shows of a connection: its conversation as the endpoints
//! saw it, its bytes as an observer of the link saw them, its TLS
//! handshake, and the copy a hop left behind. [`Index`] groups the trace's
//! records by connection once, so each step reads only its own.

use std::collections::BTreeMap;

use super::{HopView, LineView, RecordView, SessionView, StoredView, WireView};
use crate::exposure::describe;
use crate::narrate::{channel_text, narrate_hop, narrate_session, reason_pt};
use crate::trace::{
    Channel, Connect, Dir, Event, Hop, Observed, Place, Record, TlsHandshake, Trace,
};

fn dir_code(dir: Dir) -> &'static str {
    match dir {
        Dir::ClientToServer => "c",
        Dir::ServerToClient => "s",
    }
}

/// The trace's events grouped once, so that building each step does not
/// scan the whole trace again.
pub(super) struct Index<'a> {
    /// Lines, wire chunks and handshakes, by connection.
    conns: BTreeMap<&'a str, Vec<&'a Record>>,
    /// Stored copies, by node then message, in trace order.
    stored: BTreeMap<&'a str, BTreeMap<&'a str, Vec<&'a Record>>>,
    /// The first hop on each connection (a kept connection carries more).
    first_hop: BTreeMap<&'a str, u32>,
}

impl<'a> Index<'a> {
    pub(super) fn of(trace: &'a Trace) -> Self {
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

    /// The lines, wire chunks and handshakes of `conn`, in trace order.
    fn on_conn(&self, conn: &str) -> &[&'a Record] {
        self.conns.get(conn).map_or(&[], Vec::as_slice)
    }

    fn stored(&self, node: &str, message: &str) -> &[&'a Record] {
        self.stored
            .get(node)
            .and_then(|by_message| by_message.get(message))
            .map_or(&[], Vec::as_slice)
    }
}

/// What the endpoints and an observer saw on one connection, between two
/// of its records.
struct ConnViews<'a> {
    conversation: Vec<LineView>,
    wire: Vec<WireView>,
    /// The connection's TLS handshake, if it had one.
    tls: Option<&'a TlsHandshake>,
}

/// The conversation and wire chunks of `conn` among `on_conn[from..to]`,
/// and its TLS handshake wherever it was.
fn conn_views<'a>(on_conn: &[&'a Record], conn: &str, from: usize, to: usize) -> ConnViews<'a> {
    let mut views = ConnViews {
        conversation: Vec::new(),
        wire: Vec::new(),
        tls: None,
    };
    for (i, r) in on_conn.iter().enumerate() {
        if let Event::TlsHandshake(h) = &r.event
            && h.conn == conn
        {
            views.tls = Some(h);
        }
        if i < from || i >= to {
            continue;
        }
        match &r.event {
            Event::Line {
                conn: c,
                dir,
                text,
                tls,
            } if c == conn => views.conversation.push(LineView {
                dir: dir_code(*dir),
                text: text.clone(),
                tls: *tls,
            }),
            Event::Wire(w) if w.conn == conn => views.wire.push(match &w.observed {
                Observed::Text => WireView {
                    dir: dir_code(w.dir),
                    seen_as: "text",
                    text: w.observed_text().unwrap_or_default().into_owned(),
                    records: Vec::new(),
                },
                Observed::Tls { records } => WireView {
                    dir: dir_code(w.dir),
                    seen_as: "tls",
                    text: records
                        .iter()
                        .map(|rec| {
                            let unit = if rec.length == 1 { "byte" } else { "bytes" };
                            format!("TLS {} record, {} {unit}", rec.content_type, rec.length)
                        })
                        .collect::<Vec<_>>()
                        .join("\n"),
                    records: records
                        .iter()
                        .map(|rec| RecordView {
                            content_type: rec.content_type.clone(),
                            length: rec.length,
                        })
                        .collect(),
                },
            }),
            _ => {}
        }
    }
    views
}

pub(super) fn hop_view(index: &Index<'_>, record: &Record, hop: &Hop) -> HopView {
    let on_conn = index.on_conn(&hop.conn);
    let (from, to) = transaction_span(on_conn, record.seq);
    let views = conn_views(on_conn, &hop.conn, from, to);
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
        tls_reason: views.tls.map(|h| h.reason.clone()),
        tls_reason_pt: views.tls.map(|h| reason_pt(&h.reason)),
        tls_resumed: views.tls.is_some_and(|h| h.resumed),
        reused_from: index
            .first_hop
            .get(hop.conn.as_str())
            .copied()
            .filter(|first| *first != hop.hop),
        sender: hop.sender.clone(),
        recipients: hop.recipients.clone(),
        conversation: views.conversation,
        wire: views.wire,
        stored: stored_view(index, record, hop),
    }
}

/// A connection that carried no accepted message: its whole conversation,
/// and the first reply that said no (what decided it: a refused RCPT comes
/// before the DATA it leaves without recipients).
pub(super) fn session_view(index: &Index<'_>, connect: &Connect) -> SessionView {
    let on_conn = index.on_conn(&connect.conn);
    let views = conn_views(on_conn, &connect.conn, 0, on_conn.len());
    let refusal = views
        .conversation
        .iter()
        .filter(|l| l.dir == "s")
        .map(|l| l.text.as_str())
        .find(|text| {
            let b = text.as_bytes();
            b.len() >= 3 && matches!(b[0], b'4' | b'5') && b[1..3].iter().all(u8::is_ascii_digit)
        })
        .map(str::to_string);
    let channel = match views.tls {
        Some(h) if h.server_authenticated => Channel::TlsAuthenticated,
        Some(_) => Channel::Tls,
        None => Channel::Plaintext,
    };
    let told = narrate_session(&connect.client, &connect.server, refusal.as_deref());
    SessionView {
        conn: connect.conn.clone(),
        from: connect.client.clone(),
        to: connect.server.clone(),
        port: connect.port,
        channel,
        channel_text: channel_text(channel).into(),
        text: told.en,
        text_pt: told.pt,
        code: told.code,
        refusal,
        tls_version: views.tls.map(|h| h.version.clone()),
        cipher: views.tls.map(|h| h.cipher.clone()),
        tls_reason: views.tls.map(|h| h.reason.clone()),
        tls_reason_pt: views.tls.map(|h| reason_pt(&h.reason)),
        tls_resumed: views.tls.is_some_and(|h| h.resumed),
        conversation: views.conversation,
        wire: views.wire,
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
        text: None,
        text_pt: None,
    })
}

/// The number of leading trace fields (`Return-Path`, `Delivered-To`, `Received`) of a message.
pub(super) fn trace_fields(eml: &str) -> usize {
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

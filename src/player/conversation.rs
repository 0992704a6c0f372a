//! What a step shows of a connection: its conversation as the endpoints
//! saw it, its bytes as an observer of the link saw them, its TLS
//! handshake, and the copy a hop left behind. [`Index`] groups the trace's
//! records by connection once, so each step reads only its own.

use std::collections::BTreeMap;

use super::{HopView, LineView, RecordView, SessionView, StoredView, WireView};
use crate::exposure::describe;
use crate::narrate::{channel_text, narrate_hop, narrate_session, reason_pt};
use crate::trace::{
    Channel, Connect, Decrypted, Dir, Event, Hop, Observed, Place, Record, TlsHandshake, Trace,
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
    /// What a mail client made of an encrypted download, by node and message.
    decrypted: BTreeMap<(&'a str, &'a str), &'a Decrypted>,
}

impl<'a> Index<'a> {
    pub(super) fn of(trace: &'a Trace) -> Self {
        let mut index = Index {
            conns: BTreeMap::new(),
            stored: BTreeMap::new(),
            first_hop: BTreeMap::new(),
            decrypted: BTreeMap::new(),
        };
        for r in &trace.events {
            match &r.event {
                Event::Line { conn, .. } => index.conns.entry(conn).or_default().push(r),
                Event::Hop(hop) => {
                    index.first_hop.entry(&hop.conn).or_insert(hop.hop);
                }
                Event::Wire(wire) => index.conns.entry(&wire.conn).or_default().push(r),
                Event::TlsHandshake(h) => index.conns.entry(&h.conn).or_default().push(r),
                Event::Decrypted(d) => {
                    index.decrypted.insert((&d.node, &d.message), d);
                }
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
        mailbox: hop.mailbox.clone(),
        conversation: views.conversation,
        wire: views.wire,
        stored: stored_view(index, record, hop),
    }
}

/// A connection that carried no accepted message: its whole conversation,
/// the protocol it spoke, and the first reply that said no (what decided
/// it: a refused RCPT comes before the DATA it leaves without recipients).
pub(super) fn session_view(index: &Index<'_>, connect: &Connect) -> SessionView {
    let on_conn = index.on_conn(&connect.conn);
    let views = conn_views(on_conn, &connect.conn, 0, on_conn.len());
    let protocol = protocol_of(&views.conversation);
    let refusal = refusal(protocol, &views.conversation);
    let channel = match views.tls {
        Some(h) => Channel::of(true, crate::exposure::handshake_identity(h)),
        None => Channel::Plaintext,
    };
    let told = narrate_session(
        &connect.client,
        &connect.server,
        refusal
            .as_ref()
            .map(|(code, line)| (code.as_str(), line.as_str())),
    );
    SessionView {
        conn: connect.conn.clone(),
        from: connect.client.clone(),
        to: connect.server.clone(),
        port: connect.port,
        protocol: protocol.map(Protocol::name),
        channel,
        channel_text: channel_text(channel).into(),
        text: told.en,
        text_pt: told.pt,
        code: told.code,
        refusal: refusal.map(|(_, line)| line),
        tls_version: views.tls.map(|h| h.version.clone()),
        cipher: views.tls.map(|h| h.cipher.clone()),
        tls_reason: views.tls.map(|h| h.reason.clone()),
        tls_reason_pt: views.tls.map(|h| reason_pt(&h.reason)),
        tls_resumed: views.tls.is_some_and(|h| h.resumed),
        conversation: views.conversation,
        wire: views.wire,
    }
}

/// The protocols a session may speak.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Protocol {
    Smtp,
    Imap,
    Pop3,
}

impl Protocol {
    fn name(self) -> &'static str {
        match self {
            Protocol::Smtp => "SMTP",
            Protocol::Imap => "IMAP",
            Protocol::Pop3 => "POP3",
        }
    }
}

/// The protocol of a conversation, told by the server's first line, as a
/// client tells it: SMTP greets with a code (`220`, or `421`/`554` when it
/// will not talk), IMAP with an untagged `* OK`, `* PREAUTH` or `* BYE`,
/// POP3 with `+OK` (or `-ERR`). `None` when the server said nothing.
fn protocol_of(conversation: &[LineView]) -> Option<Protocol> {
    let first = conversation.iter().find(|l| l.dir == "s")?.text.as_str();
    if first.starts_with("* ") {
        Some(Protocol::Imap)
    } else if first.starts_with("+OK") || first.starts_with("-ERR") {
        Some(Protocol::Pop3)
    } else {
        Some(Protocol::Smtp)
    }
}

/// The first server line that said no, with the code a view names it by:
/// - SMTP: a reply of class 4 or 5 (`550`, `451`);
/// - IMAP: a tagged `NO` or `BAD` (the tag is whatever the client chose),
///   or an untagged `* BAD` (a command the server could not read); an
///   untagged `* NO` is a warning and `* BYE` the goodbye of any LOGOUT;
/// - POP3: `-ERR`, except inside a multi-line answer (a message RETR or TOP
///   sends, a LIST, UIDL or CAPA), whose lines are data until the line `.`.
fn refusal(protocol: Option<Protocol>, conversation: &[LineView]) -> Option<(String, String)> {
    let mut last_command = "";
    let mut in_data = false;
    for line in conversation {
        let text = line.text.as_str();
        if line.dir == "c" {
            last_command = text;
            continue;
        }
        let code = match protocol? {
            Protocol::Smtp => smtp_refusal(text),
            Protocol::Imap => imap_refusal(text),
            Protocol::Pop3 => {
                if in_data {
                    in_data = text != ".";
                    continue;
                }
                if text.starts_with("+OK") {
                    in_data = pop3_multiline(last_command);
                }
                text.starts_with("-ERR").then_some("-ERR")
            }
        };
        if let Some(code) = code {
            return Some((code.to_string(), text.to_string()));
        }
    }
    None
}

/// The code of an SMTP reply of class 4 or 5.
fn smtp_refusal(text: &str) -> Option<&str> {
    let code = text.get(..3)?;
    let b = code.as_bytes();
    (matches!(b[0], b'4' | b'5') && b[1..].iter().all(u8::is_ascii_digit)).then_some(code)
}

fn imap_refusal(text: &str) -> Option<&'static str> {
    let mut words = text.split(' ');
    let tag = words.next()?;
    let status = words.next()?.to_ascii_uppercase();
    match (tag, status.as_str()) {
        ("+", _) => None,
        ("*", "BAD") => Some("BAD"),
        ("*", _) => None,
        (_, "NO") => Some("NO"),
        (_, "BAD") => Some("BAD"),
        _ => None,
    }
}

/// Whether a POP3 command's `+OK` is followed by lines ending with `.`.
fn pop3_multiline(command: &str) -> bool {
    let mut words = command.split_ascii_whitespace();
    let verb = words.next().unwrap_or("").to_ascii_uppercase();
    let argument = words.next().is_some();
    match verb.as_str() {
        "RETR" | "TOP" | "CAPA" => true,
        "LIST" | "UIDL" => !argument,
        _ => false,
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
        device: matches!(place, Place::Device { .. }),
        pgp: super::pgp::view(
            eml,
            hop,
            index
                .decrypted
                .get(&(hop.to.as_str(), hop.message.as_str()))
                .copied(),
        ),
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

#[cfg(test)]
mod tests {
    use super::*;

    /// A conversation from `(dir, text)` pairs.
    fn conv(lines: &[(&'static str, &str)]) -> Vec<LineView> {
        lines
            .iter()
            .map(|(dir, text)| LineView {
                dir,
                text: text.to_string(),
                tls: false,
            })
            .collect()
    }

    /// The protocol and the refusal (code, line) of a conversation.
    fn judged(lines: &[(&'static str, &str)]) -> (Option<&'static str>, Option<(String, String)>) {
        let c = conv(lines);
        let protocol = protocol_of(&c);
        (protocol.map(Protocol::name), refusal(protocol, &c))
    }

    /// A conversation, the protocol it spoke and its refusal.
    type Case = (
        &'static [(&'static str, &'static str)],
        Option<&'static str>,
        Option<(String, String)>,
    );

    fn said(code: &str, line: &str) -> Option<(String, String)> {
        Some((code.to_string(), line.to_string()))
    }

    #[test]
    fn each_protocol_says_no_in_its_own_words() {
        let cases: &[Case] = &[
            // SMTP: the first 4xx or 5xx reply.
            (
                &[
                    ("s", "220 mx ESMTP"),
                    ("c", "RCPT TO:<x@y>"),
                    ("s", "550 5.1.1 no such user"),
                    ("s", "221 bye"),
                ],
                Some("SMTP"),
                said("550", "550 5.1.1 no such user"),
            ),
            (
                &[("s", "220 mx ESMTP"), ("s", "221 bye")],
                Some("SMTP"),
                None,
            ),
            // IMAP: a tagged NO or BAD; untagged NO and BYE are not refusals.
            (
                &[
                    ("s", "* OK ready"),
                    ("c", "a1 LOGIN bob pw"),
                    ("s", "* NO [ALERT] disk nearly full"),
                    ("s", "a1 OK Logged in."),
                    ("c", "a2 LOGOUT"),
                    ("s", "* BYE Logging out"),
                    ("s", "a2 OK Logout completed."),
                ],
                Some("IMAP"),
                None,
            ),
            (
                &[
                    ("s", "* OK ready"),
                    ("c", "a4 LOGIN bob wrong"),
                    ("s", "a4 NO [AUTHENTICATIONFAILED] Authentication failed."),
                ],
                Some("IMAP"),
                said("NO", "a4 NO [AUTHENTICATIONFAILED] Authentication failed."),
            ),
            (
                &[
                    ("s", "* OK ready"),
                    ("c", "x9 FROB"),
                    ("s", "x9 BAD Error in IMAP command FROB: Unknown command."),
                ],
                Some("IMAP"),
                said("BAD", "x9 BAD Error in IMAP command FROB: Unknown command."),
            ),
            (
                &[("s", "* OK ready"), ("s", "* BAD line too long")],
                Some("IMAP"),
                said("BAD", "* BAD line too long"),
            ),
            // POP3: -ERR, but not a line of a message RETR sends.
            (
                &[
                    ("s", "+OK ready"),
                    ("c", "RETR 1"),
                    ("s", "+OK 40 octets"),
                    ("s", "Subject: errors"),
                    ("s", ""),
                    ("s", "-ERR is how POP3 says no"),
                    ("s", "."),
                    ("c", "QUIT"),
                    ("s", "+OK bye"),
                ],
                Some("POP3"),
                None,
            ),
            (
                &[
                    ("s", "+OK ready"),
                    ("c", "LIST 7"),
                    ("s", "+OK 7 120"),
                    ("c", "PASS x"),
                    ("s", "-ERR [AUTH] authentication failed"),
                ],
                Some("POP3"),
                said("-ERR", "-ERR [AUTH] authentication failed"),
            ),
            // Nothing said: no protocol, no refusal.
            (&[], None, None),
        ];
        for (lines, protocol, refused) in cases {
            assert_eq!(judged(lines), (*protocol, refused.clone()), "{lines:?}");
        }
    }
}

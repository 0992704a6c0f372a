//! Message content that crossed a link without being accepted.
//!
//! A hop is recorded only when a server accepts a message, but the bytes
//! cross the link before the server decides. A `554` after the final dot,
//! or a connection that ends in the middle of DATA, leaves no hop, yet an
//! observer of a plaintext link read everything that crossed.
//!
//! The rule, read from the server's transcript (`line` events) of each
//! connection: content starts with the first client line after a `354`
//! reply and ends at the client's lone `.`. A `hop` on the same connection
//! means the server accepted it. The next server reply, the end of the
//! connection, or the end of the run without a hop means it did not. The
//! transcript holds every line the server read and whether it came inside
//! TLS, which is exactly what an observer could read; the `wire` chunks
//! carry the same bytes and would only have to be cut into lines again.
//!
//! Which message it was comes from the Message-ID header in the content,
//! matched against the `composed` events (and, for messages no client wrote,
//! such as bounces, the copies stored on the way).

use std::collections::BTreeMap;

use serde::Serialize;

use super::Conns;
use crate::scenario::Text;
use crate::trace::{Channel, Dir, Event, Record, Trace};

/// Message content that crossed a link in a DATA phase no hop followed.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Unaccepted {
    /// When the first line of content crossed.
    pub t: u64,
    /// The trace position of that line.
    pub seq: u64,
    pub conn: String,
    /// The connecting side, from the connection's `connect` event.
    pub from: String,
    /// The server.
    pub to: String,
    /// The run's id for the message (`m1`), when the content carried a
    /// Message-ID this run knows; `None` when it cannot be told.
    pub message: Option<String>,
    /// The Message-ID header as it crossed, if it did.
    pub message_id: Option<String>,
    pub channel: Channel,
    /// Whether a passive observer of the link read the content.
    pub observer_reads: bool,
    /// Whether the whole message crossed (the final dot arrived).
    pub whole: bool,
    /// Whether any of the body crossed, not only header fields.
    pub body: bool,
    /// The server's answer after the final dot, such as
    /// `554 5.7.1 Rejected`; `None` when the connection ended first.
    pub reply: Option<String>,
}

impl Unaccepted {
    /// What happened to the content, in a sentence (the link and the
    /// channel are shown beside it by each view).
    pub fn account(&self) -> Text {
        let (en, pt) = match (&self.message, &self.message_id) {
            (Some(m), _) => (m.clone(), m.clone()),
            (None, Some(id)) => (
                format!("a message this run cannot name (Message-ID {id})"),
                format!("uma mensagem que esta execução não identifica (Message-ID {id})"),
            ),
            (None, None) => (
                "a message without a Message-ID".to_string(),
                "uma mensagem sem Message-ID".to_string(),
            ),
        };
        match (self.whole, &self.reply) {
            (true, Some(reply)) => Text {
                en: format!("{en} crossed in full and was not accepted: {reply}"),
                pt: format!("{pt} atravessou inteira e não foi aceita: {reply}"),
            },
            (true, None) => Text {
                en: format!("{en} crossed in full, then the connection ended without an answer"),
                pt: format!("{pt} atravessou inteira e a conexão terminou sem resposta"),
            },
            (false, _) => Text {
                en: format!("part of {en} crossed, then the connection ended"),
                pt: format!("parte de {pt} atravessou e a conexão terminou"),
            },
        }
    }
}

/// A DATA phase in progress on one connection.
struct Transfer {
    t: u64,
    seq: u64,
    from: String,
    to: String,
    /// Content lines so far (the final dot not counted).
    lines: usize,
    plaintext: bool,
    header: Vec<String>,
    in_header: bool,
    body: bool,
    /// The final dot arrived; waiting for a hop or a reply.
    ended: bool,
}

/// Follows DATA phases through a trace, one connection at a time.
#[derive(Default)]
pub(super) struct Reader<'a> {
    /// After a `354`, before the server's verdict, by connection.
    open: BTreeMap<&'a str, Transfer>,
    found: Vec<(&'a str, Transfer, Option<String>)>,
}

impl<'a> Reader<'a> {
    /// Takes the next event of the trace.
    pub(super) fn read(&mut self, record: &'a Record, conns: &Conns<'a>) {
        match &record.event {
            Event::Line {
                conn,
                dir: Dir::ServerToClient,
                text,
                ..
            } => {
                if let Some(transfer) = self.open.get(conn.as_str()) {
                    if transfer.ended {
                        let transfer = self.open.remove(conn.as_str()).expect("just seen");
                        self.found.push((conn, transfer, Some(text.clone())));
                    }
                } else if text.starts_with("354") {
                    let (from, to) = conns.ends(conn);
                    self.open.insert(
                        conn,
                        Transfer {
                            t: record.t,
                            seq: record.seq,
                            from,
                            to,
                            lines: 0,
                            plaintext: false,
                            header: Vec::new(),
                            in_header: true,
                            body: false,
                            ended: false,
                        },
                    );
                }
            }
            Event::Line {
                conn,
                dir: Dir::ClientToServer,
                text,
                tls,
            } => {
                let Some(transfer) = self.open.get_mut(conn.as_str()) else {
                    return;
                };
                if transfer.ended {
                    return;
                }
                if text == "." {
                    transfer.ended = true;
                    return;
                }
                if transfer.lines == 0 {
                    transfer.t = record.t;
                    transfer.seq = record.seq;
                }
                transfer.lines += 1;
                transfer.plaintext |= !tls;
                if !transfer.in_header {
                    transfer.body = true;
                } else if text.is_empty() {
                    transfer.in_header = false;
                } else {
                    transfer.header.push(text.clone());
                }
            }
            Event::Hop(hop) => {
                self.open.remove(hop.conn.as_str());
            }
            Event::Closed { conn } => {
                if let Some(transfer) = self.open.remove(conn.as_str()) {
                    self.found.push((conn, transfer, None));
                }
            }
            _ => {}
        }
    }

    /// The DATA phases no hop followed, in the order they started; those
    /// still open when the trace ends count as cut off.
    pub(super) fn finish(
        mut self,
        trace: &Trace,
        conns: &Conns<'a>,
        composed: &BTreeMap<&str, &str>,
    ) -> Vec<Unaccepted> {
        let open = std::mem::take(&mut self.open);
        self.found.extend(
            open.into_iter()
                .map(|(conn, transfer)| (conn, transfer, None)),
        );
        let mut list: Vec<Unaccepted> = self
            .found
            .into_iter()
            .filter(|(_, transfer, _)| transfer.lines > 0)
            .map(|(conn, transfer, reply)| {
                let channel = if transfer.plaintext {
                    Channel::Plaintext
                } else {
                    conns.tls_channel(conn)
                };
                Unaccepted {
                    t: transfer.t,
                    seq: transfer.seq,
                    conn: conn.to_string(),
                    from: transfer.from,
                    to: transfer.to,
                    message: None,
                    message_id: message_id(transfer.header.iter().map(String::as_str)),
                    channel,
                    observer_reads: channel == Channel::Plaintext,
                    whole: transfer.ended,
                    body: transfer.body,
                    reply,
                }
            })
            .collect();
        list.sort_by_key(|u| u.seq);
        name_messages(trace, composed, &mut list);
        list
    }
}

/// Gives each item the run's id of its message: the client that composed a
/// message with that Message-ID, or else the first stored copy carrying it
/// (bounces and forwarded mail are composed by no client).
fn name_messages(trace: &Trace, composed: &BTreeMap<&str, &str>, list: &mut [Unaccepted]) {
    let mut stored: Option<BTreeMap<String, &str>> = None;
    for item in list.iter_mut() {
        let Some(id) = item.message_id.as_deref() else {
            continue;
        };
        if let Some(m) = composed.get(id) {
            item.message = Some(m.to_string());
            continue;
        }
        let stored = stored.get_or_insert_with(|| {
            let mut by_id = BTreeMap::new();
            for record in &trace.events {
                if let Event::Stored(s) = &record.event
                    && let Some(id) = message_id(s.eml.lines())
                {
                    by_id.entry(id).or_insert(s.message.as_str());
                }
            }
            by_id
        });
        item.message = stored.get(id).map(|m| m.to_string());
    }
}

/// The Message-ID field among header lines (up to the first empty one),
/// unfolded and trimmed.
fn message_id<'l>(lines: impl IntoIterator<Item = &'l str>) -> Option<String> {
    let mut value: Option<String> = None;
    for line in lines {
        if line.is_empty() {
            break;
        }
        if line.starts_with([' ', '\t']) {
            if let Some(v) = value.as_mut() {
                v.push_str(line);
            }
            continue;
        }
        if value.is_some() {
            break;
        }
        value = line
            .split_once(':')
            .filter(|(name, _)| name.trim_end().eq_ignore_ascii_case("Message-ID"))
            .map(|(_, v)| v.to_string());
    }
    value
        .map(|v| v.trim().to_string())
        .filter(|v| !v.is_empty())
}

#[cfg(test)]
mod tests {
    use super::super::Ledger;
    use super::super::tests::{connect, line, trace};
    use super::*;
    use crate::trace::{Composed, Hop, Stored, TlsHandshake};

    fn composed(message: &str, message_id: &str) -> Event {
        Event::Composed(Box::new(Composed {
            node: "alice-laptop".into(),
            message: message.into(),
            message_id: message_id.into(),
            from: "alice@home.test".into(),
            to: vec!["bob@friend.test".into()],
            subject: "Hi".into(),
        }))
    }

    /// A plaintext DATA phase on `c1` carrying `m1`, up to the final dot.
    fn plaintext_data() -> Vec<Event> {
        vec![
            composed("m1", "<m1.7@home.test>"),
            connect("c1", "mail.home.test", "mx.friend.test"),
            line("c1", Dir::ClientToServer, "DATA", false),
            line("c1", Dir::ServerToClient, "354 End data", false),
            line("c1", Dir::ClientToServer, "Subject: Hi", false),
            line("c1", Dir::ClientToServer, "Message-ID:", false),
            line("c1", Dir::ClientToServer, " <m1.7@home.test>", false),
            line("c1", Dir::ClientToServer, "", false),
            line("c1", Dir::ClientToServer, "Hello", false),
            line("c1", Dir::ClientToServer, ".", false),
        ]
    }

    fn hop_on(conn: &str) -> Event {
        Event::Hop(Box::new(Hop {
            hop: 1,
            message: "m1".into(),
            from: "mail.home.test".into(),
            to: "mx.friend.test".into(),
            conn: conn.into(),
            protocol: "ESMTP".into(),
            channel: Channel::Plaintext,
            tls_version: None,
            cipher: None,
            sender: "alice@home.test".into(),
            recipients: vec!["bob@friend.test".into()],
            mailbox: None,
        }))
    }

    fn unaccepted(events: Vec<Event>) -> Vec<Unaccepted> {
        Ledger::from_trace(&trace(events)).unaccepted
    }

    #[test]
    fn plaintext_message_refused_after_data_was_read_on_the_link() {
        let mut events = plaintext_data();
        events.push(line("c1", Dir::ServerToClient, "554 5.7.1 Rejected", false));
        events.push(Event::Closed { conn: "c1".into() });
        let found = unaccepted(events);
        assert_eq!(
            found,
            [Unaccepted {
                t: 40,
                seq: 4,
                conn: "c1".into(),
                from: "mail.home.test".into(),
                to: "mx.friend.test".into(),
                message: Some("m1".into()),
                message_id: Some("<m1.7@home.test>".into()),
                channel: Channel::Plaintext,
                observer_reads: true,
                whole: true,
                body: true,
                reply: Some("554 5.7.1 Rejected".into()),
            }]
        );
        assert_eq!(
            found[0].account().en,
            "m1 crossed in full and was not accepted: 554 5.7.1 Rejected"
        );
    }

    #[test]
    fn accepted_message_is_a_hop_not_an_unaccepted_transfer() {
        let mut events = plaintext_data();
        events.push(hop_on("c1"));
        events.push(line("c1", Dir::ServerToClient, "250 2.0.0 Ok", false));
        events.push(Event::Closed { conn: "c1".into() });
        assert_eq!(unaccepted(events), []);
    }

    #[test]
    fn connection_lost_after_the_final_dot_leaves_no_reply() {
        let mut events = plaintext_data();
        events.push(Event::Closed { conn: "c1".into() });
        let found = unaccepted(events);
        assert_eq!(found.len(), 1);
        assert!(found[0].whole && found[0].reply.is_none());
        assert_eq!(
            found[0].account().pt,
            "m1 atravessou inteira e a conexão terminou sem resposta"
        );
    }

    #[test]
    fn connection_cut_inside_the_header_exposed_only_part() {
        let mut events = plaintext_data();
        events.truncate(6);
        events.push(Event::Closed { conn: "c1".into() });
        let found = unaccepted(events);
        assert_eq!(found.len(), 1);
        let cut = &found[0];
        assert!(!cut.whole && !cut.body && cut.observer_reads);
        assert_eq!(cut.message, None, "the Message-ID never crossed");
        assert_eq!(
            cut.account().en,
            "part of a message without a Message-ID crossed, then the connection ended"
        );
    }

    #[test]
    fn transfer_still_open_when_the_run_ends_counts() {
        let mut events = plaintext_data();
        events.truncate(8);
        let found = unaccepted(events);
        assert_eq!(found.len(), 1);
        assert_eq!(found[0].message.as_deref(), Some("m1"));
    }

    #[test]
    fn refused_content_inside_tls_is_listed_but_not_read() {
        let mut events: Vec<Event> = plaintext_data()
            .into_iter()
            .map(|e| match e {
                Event::Line {
                    conn, dir, text, ..
                } => Event::Line {
                    conn,
                    dir,
                    text,
                    tls: true,
                },
                other => other,
            })
            .collect();
        events.insert(
            2,
            Event::TlsHandshake(Box::new(TlsHandshake {
                conn: "c1".into(),
                version: "TLSv1.3".into(),
                cipher: "TLS13_AES_256_GCM_SHA384".into(),
                server_authenticated: false,
                identity: None,
                reason: "not checked".into(),
                resumed: false,
            })),
        );
        events.push(line("c1", Dir::ServerToClient, "552 5.2.2 Full", true));
        let found = unaccepted(events);
        assert_eq!(found.len(), 1);
        assert_eq!(found[0].channel, Channel::Tls);
        assert!(!found[0].observer_reads);
    }

    #[test]
    fn unknown_message_id_is_said_to_be_unknown() {
        let mut events = plaintext_data();
        events.remove(0);
        events.push(line("c1", Dir::ServerToClient, "554 no", false));
        let found = unaccepted(events);
        assert_eq!(found[0].message, None);
        assert_eq!(
            found[0].account().en,
            "a message this run cannot name (Message-ID <m1.7@home.test>) crossed in full \
             and was not accepted: 554 no"
        );
    }

    #[test]
    fn bounce_is_named_from_its_stored_copy() {
        let mut events = plaintext_data();
        events.remove(0);
        events.insert(
            0,
            Event::Stored(Box::new(Stored {
                node: "mail.home.test".into(),
                message: "m2".into(),
                place: crate::trace::Place::Queue {
                    queue_id: "Q1".into(),
                },
                readable: true,
                eml: "From: MAILER-DAEMON\r\nMessage-Id: <m1.7@home.test>\r\n\r\nsorry\r\n".into(),
            })),
        );
        events.push(line("c1", Dir::ServerToClient, "554 no", false));
        assert_eq!(unaccepted(events)[0].message.as_deref(), Some("m2"));
    }

    #[test]
    fn message_id_is_found_unfolded_and_only_in_the_header() {
        assert_eq!(
            message_id(["Subject: x", "message-id :", "\t<a@b>", "To: y"]),
            Some("<a@b>".into())
        );
        assert_eq!(message_id(["Subject: x", "", "Message-ID: <body@x>"]), None);
    }
}

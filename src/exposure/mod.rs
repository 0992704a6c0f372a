//! The exposure ledger: who could read a message, where, derived from the
//! trace.
//!
//! Two kinds of reader matter to a student:
//! - the **observer of a link** (anyone on the network path of a hop): reads
//!   everything on a plaintext hop, and nothing but the TLS record headers on
//!   an encrypted one. When the client did not authenticate the server, an
//!   active attacker could have stood in for the server, so such a hop is
//!   marked apart from one whose server was authenticated;
//! - the **operator of a node** where a copy sat on disk (queue or mailbox):
//!   reads it unless the message itself is encrypted end to end. A copy a
//!   mail client downloaded sits on the recipient's own **device**: listed
//!   too (it is a readable copy at rest), but apart from the servers, whose
//!   operators are other people.
//!
//! Bytes cross a link whether or not the server ends up accepting them, so
//! the ledger also lists message content that crossed without becoming a
//! hop ([`unaccepted`]: refused after DATA, or cut off), and passwords sent
//! with AUTH outside TLS, which the observer of that link read.

mod parties;
mod sight;
mod unaccepted;

use std::collections::BTreeMap;

use serde::Serialize;

use crate::scenario::Text;
use crate::trace::{Auth, Channel, Event, Identity, Place, Record, Stored, TlsHandshake, Trace};

pub use parties::{Party, Reading};
pub use sight::Sight;
pub use unaccepted::Unaccepted;

/// One hop, as the ledger sees it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct HopExposure {
    pub hop: u32,
    pub t: u64,
    pub message: String,
    pub from: String,
    pub to: String,
    pub channel: Channel,
    /// Whether a passive observer of the link read the message (its
    /// envelope and headers at least; the body too unless it is encrypted
    /// end to end, as `sight` tells).
    pub observer_reads: bool,
    /// What the message's bytes show without a key (from its first stored
    /// copy; `None` when no copy was recorded).
    pub sight: Option<Sight>,
    /// The attackers on the path of the hop's connection (`tapped`): each
    /// recorded what crossed, and reads what a passive observer reads.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub observers: Vec<String>,
}

/// One node that held a copy of a message at rest.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct AtRest {
    pub node: String,
    pub message: String,
    /// When the first copy was written.
    pub since: u64,
    /// Where: `queue <id>` or `mailbox <address>/<folder>`.
    pub places: Vec<String>,
    /// Whether the node's operator could read its body (the envelope and
    /// headers they always read): false for a copy encrypted end to end,
    /// unless this is the recipient's device and it decrypted it.
    pub readable: bool,
    /// The node is a mail client's device and the copy one its user
    /// downloaded from their mailbox: the recipient's own, not a server's.
    pub device: bool,
    /// What the first copy's bytes show without a key.
    pub sight: Sight,
    /// On a device that decrypted it: the protected Subject found inside.
    pub inner_subject: Option<String>,
}

/// A password sent with AUTH outside TLS: the observer of the link read it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct ExposedPassword {
    pub t: u64,
    /// The trace position of the `auth` event.
    pub seq: u64,
    pub conn: String,
    /// The connecting side, from the connection's `connect` event.
    pub from: String,
    /// The server.
    pub to: String,
    /// Whose password: the login name.
    pub user: String,
    /// How it was sent: `AUTH PLAIN` or `AUTH LOGIN` (SMTP, both only
    /// base64-encode the password), `LOGIN` (IMAP), `USER/PASS` (POP3).
    pub mechanism: String,
    /// Whether the server accepted it. A refused password is exposed all
    /// the same (it is often the real one, mistyped).
    pub accepted: bool,
}

impl ExposedPassword {
    /// What crossed, in a sentence (the link is shown beside it by each view).
    pub fn account(&self) -> Text {
        let (user, mechanism) = (&self.user, &self.mechanism);
        let (en, pt) = if self.accepted {
            ("accepted", "aceita")
        } else {
            ("refused", "recusada")
        };
        Text {
            en: format!("the password of {user}, sent with {mechanism} ({en})"),
            pt: format!("a senha de {user}, enviada com {mechanism} ({pt})"),
        }
    }
}

/// The whole ledger of a run.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
pub struct Ledger {
    pub hops: Vec<HopExposure>,
    pub at_rest: Vec<AtRest>,
    /// Message content that crossed a link but was not accepted there, in
    /// any channel (`observer_reads` says which were read).
    pub unaccepted: Vec<Unaccepted>,
    /// Passwords that crossed a link outside TLS. Logins inside TLS expose
    /// nothing on the link and are not listed.
    pub passwords: Vec<ExposedPassword>,
}

/// What the ledger knows of each connection: its two ends, and what the
/// client's check of the server tied it to in a TLS handshake.
#[derive(Default)]
struct Conns<'a> {
    ends: BTreeMap<&'a str, (&'a str, &'a str)>,
    identity: BTreeMap<&'a str, Option<Identity>>,
}

impl<'a> Conns<'a> {
    fn note(&mut self, record: &'a Record) {
        match &record.event {
            Event::Connect(c) => {
                self.ends.insert(&c.conn, (&c.client, &c.server));
            }
            Event::TlsHandshake(h) => {
                self.identity.insert(&h.conn, handshake_identity(h));
            }
            _ => {}
        }
    }

    /// Client and server of `conn` (`unknown` without a `connect` event).
    fn ends(&self, conn: &str) -> (String, String) {
        let (client, server) = self
            .ends
            .get(conn)
            .copied()
            .unwrap_or(("unknown", "unknown"));
        (client.to_string(), server.to_string())
    }

    /// The channel of content that travelled inside TLS on `conn`. Without
    /// a handshake verdict (an outside client) it claims no more than `tls`.
    fn tls_channel(&self, conn: &str) -> Channel {
        Channel::of(true, self.identity.get(conn).copied().flatten())
    }
}

/// What a TLS handshake's certificate check tied the server to, if it
/// passed.
pub fn handshake_identity(h: &TlsHandshake) -> Option<Identity> {
    h.identity.filter(|_| h.server_authenticated)
}

impl Ledger {
    /// Builds the ledger from a trace.
    pub fn from_trace(trace: &Trace) -> Ledger {
        let mut ledger = Ledger::default();
        let mut rest: BTreeMap<(String, String), usize> = BTreeMap::new();
        let mut conns = Conns::default();
        let mut data = unaccepted::Reader::default();
        let mut composed: BTreeMap<&str, &str> = BTreeMap::new();
        let mut tapped: BTreeMap<&str, Vec<String>> = BTreeMap::new();
        let mut sights: BTreeMap<&str, Sight> = BTreeMap::new();
        for record in &trace.events {
            conns.note(record);
            data.read(record, &conns);
            match &record.event {
                Event::Composed(c) => {
                    composed.insert(c.message_id.trim(), &c.message);
                }
                Event::Auth(auth) if !auth.tls => {
                    let Auth {
                        conn,
                        user,
                        accepted,
                        ..
                    } = &**auth;
                    let (from, to) = conns.ends(conn);
                    ledger.passwords.push(ExposedPassword {
                        t: record.t,
                        seq: record.seq,
                        conn: conn.clone(),
                        from,
                        to,
                        user: user.clone(),
                        mechanism: auth.command(),
                        accepted: *accepted,
                    });
                }
                Event::Hop(hop) => ledger.hops.push(HopExposure {
                    hop: hop.hop,
                    t: record.t,
                    message: hop.message.clone(),
                    from: hop.from.clone(),
                    to: hop.to.clone(),
                    channel: hop.channel,
                    observer_reads: hop.channel == Channel::Plaintext,
                    sight: None,
                    observers: tapped.get(hop.conn.as_str()).cloned().unwrap_or_default(),
                }),
                Event::Tapped(t) => tapped
                    .entry(t.conn.as_str())
                    .or_default()
                    .push(t.attacker.clone()),
                Event::Decrypted(d) if d.ok => {
                    if let Some(&i) = rest.get(&(d.node.clone(), d.message.clone())) {
                        ledger.at_rest[i].inner_subject = d.inner_subject.clone();
                    }
                }
                Event::Moved(moved) => {
                    let key = (moved.node.clone(), moved.message.clone());
                    if let Some(&i) = rest.get(&key) {
                        let place = Place::Mailbox {
                            mailbox: moved.mailbox.clone(),
                            folder: moved.to.clone(),
                        };
                        ledger.at_rest[i].places.push(describe(&place));
                    }
                }
                Event::Stored(stored) => {
                    let Stored {
                        node,
                        message,
                        place,
                        readable,
                        ..
                    } = &**stored;
                    let where_ = describe(place);
                    sights
                        .entry(message.as_str())
                        .or_insert_with(|| Sight::of(stored.eml.as_bytes()));
                    let on_device = matches!(place, Place::Device { .. });
                    let key = (node.clone(), message.clone());
                    match rest.get(&key) {
                        Some(&i) => {
                            let entry = &mut ledger.at_rest[i];
                            entry.places.push(where_);
                            entry.readable |= *readable;
                            entry.device |= on_device;
                        }
                        None => {
                            rest.insert(key, ledger.at_rest.len());
                            ledger.at_rest.push(AtRest {
                                node: node.clone(),
                                message: message.clone(),
                                since: record.t,
                                places: vec![where_],
                                readable: *readable,
                                device: on_device,
                                sight: Sight::of(stored.eml.as_bytes()),
                                inner_subject: None,
                            });
                        }
                    }
                }
                _ => {}
            }
        }
        ledger.unaccepted = data.finish(trace, &conns, &composed);
        for hop in &mut ledger.hops {
            hop.sight = sights.get(hop.message.as_str()).cloned();
        }
        ledger
    }

    /// The nodes whose operator could read `message`, in the order the
    /// message reached them: servers and the recipient's devices alike.
    pub fn readable_by(&self, message: &str) -> Vec<&str> {
        self.at_rest
            .iter()
            .filter(|r| r.message == message && r.readable)
            .map(|r| r.node.as_str())
            .collect()
    }

    /// Whether every hop of `message` was encrypted. False for a message
    /// that made no hop at all: it never crossed a link as accepted mail, so
    /// "every hop was encrypted" would describe nothing. Content that crossed
    /// without being accepted is not a hop; see [`Ledger::unaccepted`].
    pub fn every_hop_encrypted(&self, message: &str) -> bool {
        let mut hops = self.hops.iter().filter(|h| h.message == message).peekable();
        hops.peek().is_some() && hops.all(|h| !h.observer_reads)
    }

    /// The messages the ledger mentions, in the order they first appear
    /// (a hop, a copy at rest, or content that crossed unaccepted).
    pub fn messages(&self) -> Vec<&str> {
        let mut seen: Vec<(u64, &str)> = self
            .hops
            .iter()
            .map(|h| (h.t, h.message.as_str()))
            .chain(self.at_rest.iter().map(|r| (r.since, r.message.as_str())))
            .chain(
                self.unaccepted
                    .iter()
                    .filter_map(|u| Some((u.t, u.message.as_deref()?))),
            )
            .collect();
        seen.sort_by_key(|&(t, _)| t);
        let mut known = std::collections::BTreeSet::new();
        seen.into_iter()
            .map(|(_, message)| message)
            .filter(|message| known.insert(*message))
            .collect()
    }
}

/// `queue 4B1D01F3` or `mailbox bob@friend.test/INBOX`.
pub fn describe(place: &Place) -> String {
    match place {
        Place::Queue { queue_id } => format!("queue {queue_id}"),
        Place::Mailbox { mailbox, folder } => format!("mailbox {mailbox}/{folder}"),
        Place::Device { mailbox, folder } => format!("mail client's copy of {mailbox}/{folder}"),
    }
}

#[cfg(test)]
pub(crate) mod tests {
    use super::*;
    use crate::trace::{Connect, Dir, Hop};

    /// A trace of `events`, ten virtual milliseconds apart.
    pub(crate) fn trace(events: Vec<Event>) -> Trace {
        Trace {
            scenario: "hand-written".into(),
            seed: 1,
            start: "2026-01-05T09:00:00Z".into(),
            events: events
                .into_iter()
                .enumerate()
                .map(|(i, event)| Record {
                    t: 10 * i as u64,
                    seq: i as u64,
                    event,
                })
                .collect(),
        }
    }

    pub(crate) fn connect(conn: &str, client: &str, server: &str) -> Event {
        Event::Connect(Box::new(Connect {
            conn: conn.into(),
            client: client.into(),
            server: server.into(),
            port: 25,
            client_ip: "192.0.2.1".into(),
            server_ip: "192.0.2.2".into(),
        }))
    }

    pub(crate) fn line(conn: &str, dir: Dir, text: &str, tls: bool) -> Event {
        Event::Line {
            conn: conn.into(),
            dir,
            text: text.into(),
            tls,
        }
    }

    fn auth(tls: bool, accepted: bool) -> Event {
        Event::Auth(Box::new(Auth {
            conn: "c1".into(),
            user: "alice@home.test".into(),
            mechanism: "PLAIN".into(),
            accepted,
            tls,
        }))
    }

    fn hop(n: u32, message: &str, channel: Channel) -> Event {
        Event::Hop(Box::new(Hop {
            hop: n,
            message: message.into(),
            from: "a".into(),
            to: "b".into(),
            conn: format!("c{n}"),
            protocol: "ESMTP".into(),
            channel,
            tls_version: None,
            cipher: None,
            sender: "alice@home.test".into(),
            recipients: vec!["bob@friend.test".into()],
            mailbox: None,
        }))
    }

    #[test]
    fn password_sent_outside_tls_is_exposed_with_its_link() {
        let ledger = Ledger::from_trace(&trace(vec![
            connect("c1", "alice-laptop", "mail.home.test"),
            auth(false, true),
        ]));
        assert_eq!(
            ledger.passwords,
            [ExposedPassword {
                t: 10,
                seq: 1,
                conn: "c1".into(),
                from: "alice-laptop".into(),
                to: "mail.home.test".into(),
                user: "alice@home.test".into(),
                mechanism: "AUTH PLAIN".into(),
                accepted: true,
            }]
        );
        assert_eq!(
            ledger.passwords[0].account().en,
            "the password of alice@home.test, sent with AUTH PLAIN (accepted)"
        );
    }

    #[test]
    fn refused_password_outside_tls_is_exposed_too() {
        let ledger = Ledger::from_trace(&trace(vec![
            connect("c1", "alice-laptop", "mail.home.test"),
            auth(false, false),
        ]));
        assert_eq!(ledger.passwords.len(), 1);
        assert_eq!(
            ledger.passwords[0].account().pt,
            "a senha de alice@home.test, enviada com AUTH PLAIN (recusada)"
        );
    }

    #[test]
    fn password_inside_tls_is_not_exposed() {
        let ledger = Ledger::from_trace(&trace(vec![
            connect("c1", "alice-laptop", "mail.home.test"),
            auth(true, true),
        ]));
        assert_eq!(ledger.passwords, []);
    }

    #[test]
    fn message_without_hops_is_not_called_encrypted() {
        let ledger = Ledger::from_trace(&trace(vec![Event::Stored(Box::new(Stored {
            node: "mail.home.test".into(),
            message: "m2".into(),
            place: Place::Mailbox {
                mailbox: "alice@home.test".into(),
                folder: "INBOX".into(),
            },
            readable: true,
            eml: String::new(),
        }))]));
        assert_eq!(ledger.messages(), ["m2"]);
        assert!(!ledger.every_hop_encrypted("m2"));
    }

    #[test]
    fn every_hop_encrypted_needs_hops_and_no_plaintext_one() {
        let ledger = Ledger::from_trace(&trace(vec![
            hop(1, "m1", Channel::TlsAuthenticated),
            hop(2, "m1", Channel::Tls),
            hop(3, "m2", Channel::Tls),
            hop(4, "m2", Channel::Plaintext),
        ]));
        assert!(ledger.every_hop_encrypted("m1"));
        assert!(!ledger.every_hop_encrypted("m2"));
        assert!(!ledger.every_hop_encrypted("m3"));
        assert_eq!(ledger.messages(), ["m1", "m2"]);
    }
}

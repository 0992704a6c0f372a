//! What a server does with a message it accepted: file it into a local
//! mailbox, or queue it and pass it on, retrying with backoff until the
//! queue lifetime runs out, and bounce what cannot be delivered.
//!
//! Routing, for each recipient, in this order:
//! 1. a mailbox on this node: deliver into its `INBOX`;
//! 2. the node's `forward` hosts, tried in order (a hosted filter or a
//!    backup MX handing mail to the real server);
//! 3. the node's `relay` (a smarthost);
//! 4. the recipient domain's MX records, by preference, skipping this node
//!    and every less preferred host (RFC 5321 section 5.1), falling back to
//!    the domain's A record when it has no MX.

use std::collections::BTreeMap;
use std::rc::Rc;

use tokio::time::sleep_until;

use super::session;
use super::world::{Busy, SMTP_PORT, World};
use crate::proto::smtp::client::{Envelope, Outcome, Plan};
use crate::proto::smtp::{Reply, domain_of, received_count};
use crate::scenario::Node;
use crate::tls::ClientVerify;
use crate::trace::{Channel, Event, Hop, Place};

/// A message a server just accepted over SMTP.
#[derive(Debug, Clone)]
pub struct Arrival {
    pub node: String,
    pub queue_id: String,
    /// The node that sent it.
    pub from: String,
    pub conn: String,
    pub protocol: String,
    pub channel: Channel,
    pub tls: Option<(String, String)>,
    pub sender: String,
    pub recipients: Vec<String>,
    /// The message with this hop's Received header on top.
    pub data: Vec<u8>,
    /// The run-local id a simulated relay said it was passing on, for a
    /// message without a Message-ID header.
    pub carrying: Option<String>,
}

/// Records the hop and takes the message in: local recipients get it in
/// their mailbox now, the others go to the queue.
pub fn arrive(world: &Rc<World>, arrival: Arrival) {
    let message = match (message_id_header(&arrival.data), &arrival.carrying) {
        (Some(header), _) => world.message_id_for(Some(&header)),
        (None, Some(known)) => known.clone(),
        (None, None) => world.message_id_for(None),
    };
    let hops = received_count(&arrival.data);
    let (tls_version, cipher) = arrival.tls.clone().unzip();
    world.emit(Event::Hop(Hop {
        hop: world.next_hop(),
        message: message.clone(),
        from: arrival.from.clone(),
        to: arrival.node.clone(),
        conn: arrival.conn.clone(),
        protocol: arrival.protocol.clone(),
        channel: arrival.channel,
        tls_version,
        cipher,
        sender: arrival.sender.clone(),
        recipients: arrival.recipients.clone(),
    }));
    let limit = world
        .node(&arrival.node)
        .map_or(usize::MAX, |n| n.hop_limit);
    if hops > limit {
        return refuse_loop(world, arrival, &message, hops, limit);
    }
    take_in(
        world,
        &arrival.node,
        &message,
        arrival.queue_id,
        arrival.sender,
        arrival.recipients,
        arrival.data,
    );
}

/// A message with more Received headers than the node's hop limit is going
/// round in circles: it is queued, bounced with 5.4.6 (RFC 3463: routing
/// loop detected) and removed, as Postfix does past its `hopcount_limit`.
fn refuse_loop(world: &Rc<World>, arrival: Arrival, message: &str, hops: usize, limit: usize) {
    world.emit(Event::Stored {
        node: arrival.node.clone(),
        message: message.into(),
        place: Place::Queue {
            queue_id: arrival.queue_id.clone(),
        },
        readable: true,
        eml: String::from_utf8_lossy(&arrival.data).into_owned(),
    });
    let reason = format!(
        "mail forwarding loop: the message already carries {hops} Received headers, more than the limit of {limit}"
    );
    let entry = Entry {
        node: arrival.node,
        message: message.into(),
        queue_id: arrival.queue_id,
        sender: arrival.sender,
        pending: arrival.recipients,
        data: arrival.data,
    };
    let failed: Vec<(String, String, String)> = entry
        .pending
        .iter()
        .map(|r| (r.clone(), "5.4.6".to_string(), reason.clone()))
        .collect();
    bounce(world, &entry, &failed);
    world.emit(Event::Removed {
        node: entry.node.clone(),
        message: entry.message.clone(),
        queue_id: entry.queue_id.clone(),
        reason: "bounced: mail forwarding loop".into(),
    });
}

/// Files local recipients and queues the rest (also used for bounces a node
/// writes itself).
fn take_in(
    world: &Rc<World>,
    node: &str,
    message: &str,
    queue_id: String,
    sender: String,
    recipients: Vec<String>,
    data: Vec<u8>,
) {
    let cfg = world.node(node).expect("messages arrive at scenario nodes");
    let (local, remote): (Vec<String>, Vec<String>) = recipients
        .into_iter()
        .partition(|r| cfg.mailboxes.iter().any(|m| m.eq_ignore_ascii_case(r)));
    for rcpt in local {
        let mailbox = cfg
            .mailboxes
            .iter()
            .find(|m| m.eq_ignore_ascii_case(&rcpt))
            .cloned()
            .unwrap_or(rcpt.clone());
        let mut eml =
            format!("Return-Path: <{sender}>\r\nDelivered-To: {mailbox}\r\n").into_bytes();
        eml.extend_from_slice(&data);
        let folder = "INBOX".to_string();
        world.emit(Event::Stored {
            node: node.into(),
            message: message.into(),
            place: Place::Mailbox {
                mailbox: mailbox.clone(),
                folder: folder.clone(),
            },
            readable: true,
            eml: String::from_utf8_lossy(&eml).into_owned(),
        });
        world.emit(Event::Delivered {
            node: node.into(),
            message: message.into(),
            recipient: rcpt,
            folder,
        });
    }
    if remote.is_empty() {
        return;
    }
    world.emit(Event::Stored {
        node: node.into(),
        message: message.into(),
        place: Place::Queue {
            queue_id: queue_id.clone(),
        },
        readable: true,
        eml: String::from_utf8_lossy(&data).into_owned(),
    });
    world.set_queued(node, &queue_id, message, remote.clone());
    let entry = Entry {
        node: node.into(),
        message: message.into(),
        queue_id,
        sender,
        pending: remote,
        data,
    };
    let busy = world.busy();
    tokio::task::spawn_local(run_queue_entry(world.clone(), entry, busy));
}

/// One message in one node's queue.
struct Entry {
    node: String,
    message: String,
    queue_id: String,
    sender: String,
    pending: Vec<String>,
    data: Vec<u8>,
}

/// Where a group of recipients goes next.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord)]
enum Route {
    Forward,
    Relay(String),
    Mx(String),
}

/// What one attempt decided for a recipient.
enum Fate {
    Done,
    Temporary(String),
    Permanent { status: String, reason: String },
}

async fn run_queue_entry(world: Rc<World>, mut entry: Entry, _busy: Busy) {
    let cfg = world
        .node(&entry.node)
        .expect("queues belong to scenario nodes")
        .clone();
    let arrived = world.clock.now().as_millis();
    let lifetime = cfg.retry.lifetime.as_millis();
    let mut delay = cfg.retry.first.as_millis();
    let mut attempt = 1u32;
    loop {
        if world.is_down(&entry.node) {
            match world.up_again_at(&entry.node) {
                Some(at) => sleep_until(world.clock.instant(crate::clock::SimTime(at))).await,
                None => return, // down for good: reported as still queued at the end
            }
        }
        let fates = attempt_delivery(&world, &cfg, &entry).await;
        let mut temporary = Vec::new();
        let mut reasons = Vec::new();
        let mut bounced = Vec::new();
        for (rcpt, fate) in fates {
            match fate {
                Fate::Done => {}
                Fate::Temporary(reason) => {
                    if !reasons.contains(&reason) {
                        reasons.push(reason);
                    }
                    temporary.push(rcpt);
                }
                Fate::Permanent { status, reason } => bounced.push((rcpt, status, reason)),
            }
        }
        let expired = world.clock.now().as_millis() >= arrived + lifetime;
        if expired && !temporary.is_empty() {
            let reason = format!(
                "delivery time expired after {}: {}",
                crate::scenario::Duration::from_millis(lifetime),
                reasons.join("; ")
            );
            for rcpt in temporary.drain(..) {
                bounced.push((rcpt, "4.4.7".to_string(), reason.clone()));
            }
        }
        if !bounced.is_empty() {
            bounce(&world, &entry, &bounced);
        }
        entry.pending = temporary;
        world.set_queued(
            &entry.node,
            &entry.queue_id,
            &entry.message,
            entry.pending.clone(),
        );
        if entry.pending.is_empty() {
            world.emit(Event::Removed {
                node: entry.node.clone(),
                message: entry.message.clone(),
                queue_id: entry.queue_id.clone(),
                reason: if bounced.is_empty() {
                    "passed on".into()
                } else {
                    "done (some recipients bounced)".into()
                },
            });
            return;
        }
        world.emit(Event::Deferred {
            node: entry.node.clone(),
            message: entry.message.clone(),
            recipients: entry.pending.clone(),
            reason: reasons.join("; "),
        });
        let now = world.clock.now().as_millis();
        let at = (now + delay).min(arrived + lifetime).max(now + 1);
        attempt += 1;
        world.emit(Event::RetryScheduled {
            node: entry.node.clone(),
            message: entry.message.clone(),
            at,
            attempt,
        });
        sleep_until(world.clock.instant(crate::clock::SimTime(at))).await;
        delay = (delay * 2).min(cfg.retry.max.as_millis());
    }
}

/// One delivery attempt for every pending recipient, grouped by route.
async fn attempt_delivery(world: &Rc<World>, cfg: &Node, entry: &Entry) -> Vec<(String, Fate)> {
    let mut groups: BTreeMap<Route, Vec<String>> = BTreeMap::new();
    for rcpt in &entry.pending {
        let route = if !cfg.forward.is_empty() {
            Route::Forward
        } else if let Some(relay) = &cfg.relay {
            Route::Relay(relay.clone())
        } else {
            Route::Mx(domain_of(rcpt))
        };
        groups.entry(route).or_default().push(rcpt.clone());
    }
    let mut fates = Vec::new();
    for (route, rcpts) in groups {
        let hosts = match route {
            Route::Forward => Ok(cfg.forward.clone()),
            Route::Relay(host) => Ok(vec![host]),
            Route::Mx(domain) => mx_hosts(world, &entry.node, &domain),
        };
        match hosts {
            Ok(hosts) => fates.extend(try_hosts(world, cfg, entry, &hosts, rcpts).await),
            Err((status, reason)) => fates.extend(rcpts.into_iter().map(|r| {
                (
                    r,
                    Fate::Permanent {
                        status: status.clone(),
                        reason: reason.clone(),
                    },
                )
            })),
        }
    }
    fates
}

/// The hosts to try for a domain, best first, from its MX records (or its A
/// record), as RFC 5321 section 5.1 says.
fn mx_hosts(world: &Rc<World>, node: &str, domain: &str) -> Result<Vec<String>, (String, String)> {
    let not_found = || {
        (
            "5.4.4".to_string(),
            format!("Host or domain name not found: {domain} has no MX or A record"),
        )
    };
    match world.lookup_mx(node, domain) {
        None => Err(not_found()),
        Some(mx) if mx.is_empty() => match world.lookup_a(node, domain) {
            Some(a) if !a.is_empty() => Ok(vec![domain.to_string()]),
            _ => Err(not_found()),
        },
        Some(mx) => {
            let me = mx
                .iter()
                .filter(|(_, host)| host.trim_end_matches('.').eq_ignore_ascii_case(node))
                .map(|(p, _)| *p)
                .min();
            let hosts: Vec<String> = mx
                .into_iter()
                .filter(|(p, _)| me.is_none_or(|mine| *p < mine))
                .map(|(_, h)| h.trim_end_matches('.').to_string())
                .collect();
            if hosts.is_empty() {
                Err((
                    "5.4.6".to_string(),
                    format!("mail for {domain} loops back to myself: {node} is its best MX"),
                ))
            } else {
                Ok(hosts)
            }
        }
    }
}

/// Tries each host in order until one of them takes a decision on the
/// recipients; recipients left undecided get a temporary failure.
async fn try_hosts(
    world: &Rc<World>,
    cfg: &Node,
    entry: &Entry,
    hosts: &[String],
    rcpts: Vec<String>,
) -> Vec<(String, Fate)> {
    let mut last_reason = format!("no host to try for {}", rcpts.join(", "));
    for host in hosts {
        let Some(target) = resolve_host(world, &entry.node, host).await else {
            last_reason = format!("{host}: host not found or not answering");
            continue;
        };
        let conn = match world.connect(&entry.node, &target, SMTP_PORT).await {
            Ok(conn) => conn,
            Err(reason) => {
                last_reason = format!("connect to {host}: {reason}");
                continue;
            }
        };
        conn.carrying.replace(Some(entry.message.clone()));
        let plan = Plan {
            helo: entry.node.clone(),
            server_name: host.clone(),
            starttls: cfg.starttls,
            implicit_tls: false,
            auth: None,
        };
        let envelope = Envelope {
            sender: entry.sender.clone(),
            recipients: rcpts.clone(),
            data: entry.data.clone(),
        };
        let verify = ClientVerify::checking(cfg.verify_tls.unwrap_or(false));
        match session::transact(world, conn, plan, verify, envelope).await {
            Outcome::Done(results) => {
                return results
                    .into_iter()
                    .map(|(rcpt, reply)| {
                        let fate = fate_of(host, &reply);
                        (rcpt, fate)
                    })
                    .collect();
            }
            Outcome::Failed { reason, .. } => last_reason = reason,
        }
    }
    rcpts
        .into_iter()
        .map(|r| (r, Fate::Temporary(last_reason.clone())))
        .collect()
}

fn fate_of(host: &str, reply: &Reply) -> Fate {
    let text = format!("host {host} said: {}", reply.lines.join(" "));
    if reply.is_positive() {
        Fate::Done
    } else if reply.is_transient() {
        Fate::Temporary(format!("{} {text}", reply.code))
    } else {
        let status = reply
            .lines
            .first()
            .and_then(|l| l.split_whitespace().next())
            .filter(|s| s.starts_with('5') && s.matches('.').count() == 2)
            .unwrap_or("5.0.0")
            .to_string();
        Fate::Permanent {
            status,
            reason: format!("{} {text}", reply.code),
        }
    }
}

/// The node behind a host name, by its A record. A name that resolves to an
/// address where nobody listens waits out the connect timeout, as a real
/// client would.
async fn resolve_host(world: &Rc<World>, node: &str, host: &str) -> Option<String> {
    let ips = world.lookup_a(node, host).unwrap_or_default();
    for ip in &ips {
        if let Some(target) = world.zone.node_at(ip) {
            return Some(target.to_string());
        }
    }
    if !ips.is_empty() {
        tokio::time::sleep(super::world::CONNECT_TIMEOUT).await;
        world.emit(Event::ConnectFailed {
            client: node.into(),
            server: host.into(),
            port: SMTP_PORT,
            reason: format!("connection to {} timed out", ips.join(", ")),
        });
    }
    None
}

/// Sends a delivery status notification (RFC 3464) back to the sender, or
/// drops the message when it already was a bounce (null sender).
fn bounce(world: &Rc<World>, entry: &Entry, failed: &[(String, String, String)]) {
    if entry.sender.is_empty() {
        let why: Vec<String> = failed
            .iter()
            .map(|(r, status, reason)| format!("{r}: {status} {reason}"))
            .collect();
        world.emit(Event::Dropped {
            node: entry.node.clone(),
            message: entry.message.clone(),
            recipients: failed.iter().map(|f| f.0.clone()).collect(),
            reason: format!(
                "undeliverable bounce: a bounce has no sender to return to ({})",
                why.join("; ")
            ),
        });
        return;
    }
    let queue_id = world.new_queue_id();
    let dsn_id = format!("<{}.{}@{}>", queue_id, entry.queue_id, entry.node);
    let dsn = dsn_message(world, entry, failed, &dsn_id);
    let dsn_message = world.message_id_for(Some(&dsn_id));
    for (rcpt, status, reason) in failed {
        world.emit(Event::Bounced {
            node: entry.node.clone(),
            message: entry.message.clone(),
            recipient: rcpt.clone(),
            status: status.clone(),
            reason: reason.clone(),
            dsn: Some(dsn_message.clone()),
        });
    }
    take_in(
        world,
        &entry.node,
        &dsn_message,
        queue_id,
        String::new(),
        vec![entry.sender.clone()],
        dsn,
    );
}

/// A multipart/report DSN. The boundary is derived from queue ids, so the
/// message is the same in every run.
fn dsn_message(
    world: &Rc<World>,
    entry: &Entry,
    failed: &[(String, String, String)],
    dsn_id: &str,
) -> Vec<u8> {
    let boundary = format!("{}/{}", entry.queue_id, entry.node);
    let date = world.clock.rfc5322_now();
    let node = &entry.node;
    let mut text = String::new();
    text.push_str(&format!(
        "From: Mail Delivery System <MAILER-DAEMON@{node}>\r\n"
    ));
    text.push_str(&format!("To: <{}>\r\n", entry.sender));
    text.push_str("Subject: Undelivered Mail Returned to Sender\r\n");
    text.push_str(&format!("Date: {date}\r\nMessage-ID: {dsn_id}\r\n"));
    text.push_str("Auto-Submitted: auto-replied\r\nMIME-Version: 1.0\r\n");
    text.push_str(&format!(
        "Content-Type: multipart/report; report-type=delivery-status;\r\n\tboundary=\"{boundary}\"\r\n\r\n"
    ));
    text.push_str("This is a MIME-encapsulated message.\r\n\r\n");
    text.push_str(&format!(
        "--{boundary}\r\nContent-Type: text/plain; charset=us-ascii\r\n\r\n"
    ));
    text.push_str(&format!(
        "This is the mail system at host {node}.\r\n\r\nI'm sorry to have to inform you that your message could not\r\nbe delivered to one or more recipients.\r\n\r\n"
    ));
    for (rcpt, _, reason) in failed {
        text.push_str(&format!("<{rcpt}>: {reason}\r\n"));
    }
    text.push_str(&format!(
        "\r\n--{boundary}\r\nContent-Type: message/delivery-status\r\n\r\nReporting-MTA: dns; {node}\r\nX-Mailhop-Queue-ID: {}\r\nArrival-Date: {date}\r\n",
        entry.queue_id
    ));
    for (rcpt, status, reason) in failed {
        text.push_str(&format!(
            "\r\nFinal-Recipient: rfc822; {rcpt}\r\nAction: failed\r\nStatus: {status}\r\nDiagnostic-Code: smtp; {}\r\n",
            reason.replace("\r\n", " ")
        ));
    }
    text.push_str(&format!(
        "\r\n--{boundary}\r\nContent-Type: text/rfc822-headers\r\n\r\n{}\r\n--{boundary}--\r\n",
        headers_of(&entry.data)
    ));
    text.into_bytes()
}

/// The header section of a message, without the blank line.
fn headers_of(data: &[u8]) -> String {
    let text = String::from_utf8_lossy(data);
    match text.find("\r\n\r\n") {
        Some(end) => text[..end].to_string(),
        None => text.trim_end().to_string(),
    }
}

/// The Message-ID header's value, if the message has one.
pub fn message_id_header(data: &[u8]) -> Option<String> {
    let parsed = mail_parser::MessageParser::default().parse_headers(data)?;
    parsed.message_id().map(|id| format!("<{id}>"))
}

//! What a server does with a message it accepted: file it into a local
//! mailbox, or queue it and pass it on, retrying with backoff until the
//! queue lifetime runs out, and tell the sender what failed (or is late).
//!
//! - `mod.rs` (here): arrival, local delivery into the mailbox store, the
//!   queue and its retries, loop detection.
//! - [`route`]: where a message goes next, and one attempt to take it there.
//! - [`dsn`]: the delivery status notifications written back to senders.

pub mod cache;
pub mod dsn;
pub mod route;
pub mod secure;

use std::rc::Rc;

use tokio::time::sleep_until;

use super::judge::Forward;
use super::world::{Busy, World};
use crate::clock::SimTime;
use crate::policy::relay::local_mailbox;
use crate::policy::spam;
use crate::proto::smtp::received_count;
use crate::scenario::Duration;
use crate::trace::{
    Bounced, Channel, Deferred, DelayWarned, Delivered, Dropped, Event, Forwarded, Hop, Place,
    Removed, Stored,
};
use dsn::{Action, Notice, Problem};
use route::Fate;

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
    /// The client asked for REQUIRETLS (RFC 8689): every next hop must be
    /// inside TLS, to a server that offers it too.
    pub require_tls: bool,
    /// The message with this hop's Received header on top.
    pub data: Vec<u8>,
    /// The run-local id a simulated relay said it was passing on, for a
    /// message without a Message-ID header.
    pub carrying: Option<String>,
    /// Recipients this server forwards to other addresses (`forward_to`),
    /// each with the message as it leaves.
    pub forwards: Vec<Forward>,
}

/// One message in one node's queue.
pub struct Entry {
    pub node: String,
    pub message: String,
    pub queue_id: String,
    pub sender: String,
    pub pending: Vec<String>,
    pub data: Vec<u8>,
    /// When it arrived at this node (virtual ms).
    pub arrived: u64,
    /// It arrived with REQUIRETLS: it leaves only the same way.
    pub require_tls: bool,
}

/// Records the hop and takes the message in: local recipients get it in
/// their mailbox now, the others go to the queue.
pub fn arrive(world: &Rc<World>, arrival: Arrival) {
    let message = message_of(world, &arrival.data, arrival.carrying.as_deref());
    let hops = received_count(&arrival.data);
    let (tls_version, cipher) = arrival.tls.clone().unzip();
    world.emit(Event::Hop(Box::new(Hop {
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
        mailbox: None,
    })));
    let limit = world
        .node(&arrival.node)
        .map_or(usize::MAX, |n| n.hop_limit);
    let entry = Entry {
        node: arrival.node,
        message,
        queue_id: arrival.queue_id,
        sender: arrival.sender,
        pending: arrival.recipients,
        data: arrival.data,
        arrived: world.clock.now().as_millis(),
        require_tls: arrival.require_tls,
    };
    if hops > limit {
        return refuse_loop(world, entry, hops, limit);
    }
    let mut entry = entry;
    for forward in arrival.forwards {
        entry
            .pending
            .retain(|r| !r.eq_ignore_ascii_case(&forward.recipient));
        forward_on(world, &entry, forward);
    }
    take_in(world, entry);
}

/// The run-local id of an arriving message: by its Message-ID header, else
/// what the relay said it carries, else a new one.
pub fn message_of(world: &World, data: &[u8], carrying: Option<&str>) -> String {
    match (message_id_header(data), carrying) {
        (Some(header), _) => world.message_id_for(Some(&header)),
        (None, Some(known)) => known.to_string(),
        (None, None) => world.message_id_for(None),
    }
}

/// One recipient's message sent on to another address: a queue entry of
/// its own, since its envelope sender and bytes may differ.
fn forward_on(world: &Rc<World>, entry: &Entry, forward: Forward) {
    world.emit(Event::Forwarded(Box::new(Forwarded {
        node: entry.node.clone(),
        message: entry.message.clone(),
        recipient: forward.recipient,
        to: forward.to.clone(),
        sender: forward.sender.clone(),
        rewritten: forward.rewritten.clone(),
        footer: forward.footer,
        sealed: forward.sealed,
        seal_failed: forward.seal_failed,
    })));
    take_in(
        world,
        Entry {
            node: entry.node.clone(),
            message: entry.message.clone(),
            queue_id: world.new_queue_id(),
            sender: forward.rewritten.unwrap_or(forward.sender),
            pending: vec![forward.to],
            data: forward.data,
            arrived: entry.arrived,
            require_tls: entry.require_tls,
        },
    );
}

/// A message with more Received headers than the node's hop limit is going
/// round in circles: it is queued, bounced with 5.4.6 (RFC 3463: routing
/// loop detected) and removed, as Postfix does past its `hopcount_limit`.
fn refuse_loop(world: &Rc<World>, entry: Entry, hops: usize, limit: usize) {
    store_in_queue(world, &entry);
    let problem = Problem {
        status: "5.4.6".into(),
        reason: format!(
            "mail forwarding loop: the message already carries {hops} Received headers, more than the limit of {limit}"
        ),
        remote: None,
    };
    let failed: Vec<(String, Problem)> = entry
        .pending
        .iter()
        .map(|r| (r.clone(), problem.clone()))
        .collect();
    bounce(world, &entry, &failed);
    world.emit(Event::Removed(Box::new(Removed {
        node: entry.node.clone(),
        message: entry.message.clone(),
        queue_id: entry.queue_id.clone(),
        reason: "bounced: mail forwarding loop".into(),
    })));
}

fn store_in_queue(world: &World, entry: &Entry) {
    world.emit(Event::Stored(Box::new(Stored {
        node: entry.node.clone(),
        message: entry.message.clone(),
        place: Place::Queue {
            queue_id: entry.queue_id.clone(),
        },
        readable: !crate::pgp::is_encrypted(&entry.data),
        eml: String::from_utf8_lossy(&entry.data).into_owned(),
    })));
}

/// Files local recipients into the mailbox store and queues the rest (also
/// used for notices a node writes itself).
fn take_in(world: &Rc<World>, mut entry: Entry) {
    let cfg = world
        .node(&entry.node)
        .expect("messages arrive at scenario nodes");
    let (local, remote): (Vec<String>, Vec<String>) = std::mem::take(&mut entry.pending)
        .into_iter()
        .partition(|r| local_mailbox(cfg, r).is_some());
    for rcpt in local {
        let mailbox = local_mailbox(cfg, &rcpt).unwrap_or(&rcpt).to_string();
        let mut eml = format!(
            "Return-Path: <{}>\r\nDelivered-To: {mailbox}\r\n",
            entry.sender
        )
        .into_bytes();
        eml.extend_from_slice(&entry.data);
        // A filter's verdict on top files it into Junk, as a Sieve rule
        // (`if header :is "X-Spam-Flag" "YES" { fileinto "Junk"; }`) does.
        let folder = if spam::marked_as_spam(&entry.data) {
            "Junk"
        } else {
            "INBOX"
        }
        .to_string();
        world.emit(Event::Stored(Box::new(Stored {
            node: entry.node.clone(),
            message: entry.message.clone(),
            place: Place::Mailbox {
                mailbox: mailbox.clone(),
                folder: folder.clone(),
            },
            readable: !crate::pgp::is_encrypted(&eml),
            eml: String::from_utf8_lossy(&eml).into_owned(),
        })));
        let filed = world.store.borrow_mut().append(
            &entry.node,
            &mailbox,
            &folder,
            &entry.message,
            eml,
            world.clock.unix_now(),
        );
        world.emit(Event::Delivered(Box::new(Delivered {
            node: entry.node.clone(),
            message: entry.message.clone(),
            recipient: rcpt,
            folder,
            mailbox,
            uid: filed.uid,
            uidvalidity: filed.uidvalidity,
        })));
        world.mail_arrived.notify_waiters();
    }
    if remote.is_empty() {
        return;
    }
    entry.pending = remote;
    store_in_queue(world, &entry);
    world.set_queued(
        &entry.node,
        &entry.queue_id,
        &entry.message,
        entry.pending.clone(),
    );
    let busy = world.busy();
    tokio::task::spawn_local(run_queue_entry(world.clone(), entry, busy));
}

/// Tries a queued message again and again: first after `retry.first`,
/// doubling up to `retry.max`, until `retry.lifetime`, when what is left
/// bounces with the status of its last problem (as Postfix reports it).
async fn run_queue_entry(world: Rc<World>, mut entry: Entry, _busy: Busy) {
    let cfg = world
        .node(&entry.node)
        .expect("queues belong to scenario nodes")
        .clone();
    let arrived = entry.arrived;
    let lifetime = cfg.retry.lifetime.as_millis();
    let mut delay = cfg.retry.first.as_millis();
    let mut attempt = 1u32;
    let mut warned = false;
    loop {
        if world.is_down(&entry.node) {
            match world.up_again_at(&entry.node) {
                Some(at) => sleep_until(world.clock.instant(SimTime(at))).await,
                None => return, // down for good: reported as still queued at the end
            }
        }
        let fates = route::attempt_delivery(&world, &cfg, &entry).await;
        let mut temporary: Vec<(String, Problem)> = Vec::new();
        let mut bounced: Vec<(String, Problem)> = Vec::new();
        for (rcpt, fate) in fates {
            match fate {
                Fate::Done => {}
                Fate::Temporary(problem) => temporary.push((rcpt, problem)),
                Fate::Permanent(problem) => bounced.push((rcpt, problem)),
            }
        }
        let mut reasons: Vec<String> = Vec::new();
        for (_, problem) in &temporary {
            if !reasons.contains(&problem.reason) {
                reasons.push(problem.reason.clone());
            }
        }
        let now = world.clock.now().as_millis();
        if now >= arrived + lifetime && !temporary.is_empty() {
            let reason = format!(
                "delivery time expired after {}: {}",
                Duration::from_millis(lifetime),
                reasons.join("; ")
            );
            for (rcpt, last) in temporary.drain(..) {
                let problem = Problem {
                    reason: reason.clone(),
                    ..last
                };
                bounced.push((rcpt, problem));
            }
        }
        if !bounced.is_empty() {
            bounce(&world, &entry, &bounced);
        }
        entry.pending = temporary.iter().map(|(r, _)| r.clone()).collect();
        world.set_queued(
            &entry.node,
            &entry.queue_id,
            &entry.message,
            entry.pending.clone(),
        );
        if entry.pending.is_empty() {
            world.emit(Event::Removed(Box::new(Removed {
                node: entry.node.clone(),
                message: entry.message.clone(),
                queue_id: entry.queue_id.clone(),
                reason: if bounced.is_empty() {
                    "passed on".into()
                } else {
                    "done (some recipients bounced)".into()
                },
            })));
            return;
        }
        world.emit(Event::Deferred(Box::new(Deferred {
            node: entry.node.clone(),
            message: entry.message.clone(),
            recipients: entry.pending.clone(),
            reason: reasons.join("; "),
        })));
        if let Some(after) = cfg.delay_warning
            && !warned
            && now >= arrived + after.as_millis()
        {
            warned = true;
            warn_delay(&world, &entry, &temporary, after, arrived + lifetime);
        }
        let at = (now + delay).min(arrived + lifetime).max(now + 1);
        attempt += 1;
        world.emit(Event::RetryScheduled {
            node: entry.node.clone(),
            message: entry.message.clone(),
            at,
            attempt,
        });
        sleep_until(world.clock.instant(SimTime(at))).await;
        delay = (delay * 2).min(cfg.retry.max.as_millis());
    }
}

/// Sends a delivery status notification (RFC 3464) back to the sender, or
/// drops the message when it already was a notice (null sender).
fn bounce(world: &Rc<World>, entry: &Entry, failed: &[(String, Problem)]) {
    if entry.sender.is_empty() {
        let why: Vec<String> = failed
            .iter()
            .map(|(r, p)| format!("{r}: {} {}", p.status, p.reason))
            .collect();
        world.emit(Event::Dropped(Box::new(Dropped {
            node: entry.node.clone(),
            message: entry.message.clone(),
            recipients: failed.iter().map(|f| f.0.clone()).collect(),
            reason: format!(
                "undeliverable bounce: a bounce has no sender to return to ({})",
                why.join("; ")
            ),
        })));
        return;
    }
    let notice = notify(world, entry, failed, Action::Failed, None);
    for (rcpt, problem) in failed {
        world.emit(Event::Bounced(Box::new(Bounced {
            node: entry.node.clone(),
            message: entry.message.clone(),
            recipient: rcpt.clone(),
            status: problem.status.clone(),
            reason: problem.reason.clone(),
            dsn: Some(notice.message.clone()),
        })));
    }
    take_in(world, notice);
}

/// Tells the sender a message is late but still being retried (Postfix's
/// `delay_warning_time`). Never for a notice itself.
fn warn_delay(
    world: &Rc<World>,
    entry: &Entry,
    late: &[(String, Problem)],
    after: Duration,
    retry_until: u64,
) {
    if entry.sender.is_empty() {
        return;
    }
    let until = world.clock.rfc5322_at(SimTime(retry_until));
    let waited = after.to_string();
    let notice = notify(world, entry, late, Action::Delayed, Some((&waited, &until)));
    world.emit(Event::DelayWarned(Box::new(DelayWarned {
        node: entry.node.clone(),
        message: entry.message.clone(),
        recipients: late.iter().map(|(r, _)| r.clone()).collect(),
        dsn: notice.message.clone(),
    })));
    take_in(world, notice);
}

/// Writes a notice to the sender, ready to be taken in like any other
/// message: it is mail to the sender's domain, routed by MX.
fn notify(
    world: &Rc<World>,
    entry: &Entry,
    recipients: &[(String, Problem)],
    action: Action,
    delayed_for: Option<(&str, &str)>,
) -> Entry {
    let queue_id = world.new_queue_id();
    let message_id = format!("<{}.{}@{}>", queue_id, entry.queue_id, entry.node);
    let boundary = format!("{}/{}", entry.queue_id, entry.node);
    let data = Notice {
        action,
        reporting_mta: &entry.node,
        queue_id: &entry.queue_id,
        sender: &entry.sender,
        arrival_date: &world.clock.rfc5322_at(SimTime(entry.arrived)),
        date: &world.clock.rfc5322_now(),
        message_id: &message_id,
        boundary: &boundary,
        recipients,
        delayed_for,
        original_headers: &dsn::headers_of(&entry.data),
    }
    .write();
    Entry {
        node: entry.node.clone(),
        message: world.message_id_for(Some(&message_id)),
        queue_id,
        sender: String::new(),
        pending: vec![entry.sender.clone()],
        data,
        arrived: world.clock.now().as_millis(),
        require_tls: false,
    }
}

/// The Message-ID header's value, if the message has one.
pub fn message_id_header(data: &[u8]) -> Option<String> {
    // Only the id headers are parsed: Received headers pile up hop after
    // hop and are the costliest to parse, and nothing here needs them.
    let parsed = mail_parser::MessageParser::new()
        .with_message_ids()
        .parse_headers(data)?;
    parsed.message_id().map(|id| format!("<{id}>"))
}

//! What a server does with a message between its final dot and its reply:
//! sign it with DKIM when its own user sent it, or, when a stranger handed
//! it over, check who really sent it (SPF, DKIM, DMARC, ARC), score it for
//! spam, and decide: accept, mark for Junk, or refuse with 550 5.7.1. And
//! what forwarding an address (`forward_to`) does to a message: a new
//! envelope sender (SRS), a footer, an ARC seal.
//!
//! The decisions are `policy::auth` and `policy::spam`; this module asks
//! them with the world's DNS (every lookup recorded) and the virtual clock,
//! and records what they decided as events, before the hop.

use std::rc::Rc;

use super::world::{ConnInfo, World};
use crate::policy::auth::keys::Algorithm;
use crate::policy::auth::{self, Inbound, Seal, Verdict};
use crate::policy::dns::{Answer, Dns, Rtype};
use crate::policy::reputation::{HeloVerdict, Reputation};
use crate::policy::spam::{self, Action, Facts};
use crate::policy::srs;
use crate::proto::smtp::server::Transaction;
use crate::proto::smtp::{Reply, domain_of};
use crate::scenario::{DmarcMode, Node};
use crate::sim::dns::algorithm;
use crate::trace::{DkimSigned, Event, SenderChecked, SpamScored};

/// A node's DNS questions, answered by the world and recorded.
pub struct WorldDns<'a> {
    pub world: &'a World,
    pub node: &'a str,
}

impl Dns for WorldDns<'_> {
    fn ask(&self, name: &str, rtype: Rtype) -> Answer {
        self.world.ask(self.node, name, rtype)
    }
}

/// A recipient's message as it leaves again for another address.
#[derive(Debug, Clone)]
pub struct Forward {
    pub recipient: String,
    pub to: String,
    pub sender: String,
    pub rewritten: Option<String>,
    pub footer: bool,
    pub sealed: Option<String>,
    pub seal_failed: Option<String>,
    /// The message as it leaves, this server's headers on top.
    pub data: Vec<u8>,
}

/// What the server decided.
pub struct Judged {
    /// Refuse the message with this reply instead of taking it.
    pub refuse: Option<Reply>,
    /// Headers to put on top of the message (above this hop's Received):
    /// Authentication-Results, the spam filter's verdict.
    pub headers: String,
    /// The message body as this server keeps it: with a DKIM signature on
    /// top when it signed.
    pub data: Vec<u8>,
    /// Recipients that go on to another address.
    pub forwards: Vec<Forward>,
}

/// Whether the client is a stranger to this server: not logged in, not one
/// of its `relay_for` clients.
fn stranger(node: &Node, conn: &ConnInfo, tx: &Transaction) -> bool {
    tx.user.is_none() && !node.relay_for.iter().any(|c| c == &conn.client)
}

/// Judges the message of `tx` at `conn`'s server. `received` is the
/// Received header this hop stamps, `client_name` the client's PTR name
/// (`None` without one), `reputation` what a server with `checks` found
/// out about the client after HELO (its reverse DNS, FCrDNS, HELO verdict
/// and blocklist listings, for the spam filter's rules).
pub fn judge(
    world: &Rc<World>,
    conn: &ConnInfo,
    client_name: Option<&str>,
    reputation: Option<&Reputation>,
    tx: &Transaction,
    message: &str,
    received: &str,
) -> Judged {
    let node_name = conn.server.as_str();
    let mut judged = Judged {
        refuse: None,
        headers: String::new(),
        data: tx.data.clone(),
        forwards: Vec::new(),
    };
    let Some(node) = world.node(node_name) else {
        return judged;
    };
    let now = world.clock.unix_now().max(0) as u64;
    if !stranger(node, conn, tx) {
        if let Some(dkim) = &node.dkim {
            sign(world, node_name, dkim, message, &mut judged.data, now);
        }
        return judged;
    }
    let forwarded: Vec<(String, String)> = tx
        .recipients
        .iter()
        .filter_map(|r| {
            node.forward_to
                .iter()
                .find(|(from, _)| from.eq_ignore_ascii_case(r))
                .map(|(_, to)| (r.clone(), to.clone()))
        })
        .collect();
    let footer = node.forwarding.as_ref().and_then(|f| f.footer.clone());
    // The bytes that leave again, only when something is forwarded.
    let outgoing = (!forwarded.is_empty()).then(|| match &footer {
        Some(text) => with_footer(&tx.data, text),
        None => tx.data.clone(),
    });
    let outgoing = outgoing.as_deref().unwrap_or(&tx.data);
    let helo = tx.helo.clone().unwrap_or_default();
    let dns = WorldDns {
        world,
        node: node_name,
    };
    let mut action = Action::Accept;
    let mut checks = None;
    let mut sealed = None;
    if let Some(cfg) = &node.check_senders {
        let arc_key = node
            .arc
            .as_ref()
            .filter(|_| !forwarded.is_empty())
            .map(|a| {
                (
                    auth::keys::key_for(
                        world.scenario.seed,
                        &a.domain,
                        &a.selector,
                        Algorithm::Rsa,
                    ),
                    a,
                )
            });
        let checked = match world.authenticator() {
            Some(authenticator) => auth::check(
                authenticator,
                &dns,
                &Inbound {
                    client_ip: &conn.client_ip,
                    helo: &helo,
                    mail_from: &tx.sender,
                    receiver: node_name,
                    message: &tx.data,
                },
                arc_key.as_ref().map(|(key, a)| Seal {
                    key,
                    domain: &a.domain,
                    selector: &a.selector,
                    now,
                    outgoing,
                }),
            ),
            None => return judged,
        };
        sealed = checked.sealed.map(|r| {
            r.map(|h| {
                (
                    h,
                    arc_key.map(|(_, a)| a.domain.clone()).unwrap_or_default(),
                )
            })
        });
        let c = checked.checks;
        let failed = c.dmarc.result == Verdict::Fail;
        let trusted = (failed
            && c.arc.result == Verdict::Pass
            && c.arc
                .sealed_results
                .as_deref()
                .is_some_and(|r| r.contains("dmarc=pass")))
        .then(|| c.arc.sealers.last().cloned())
        .flatten()
        .filter(|sealer| cfg.trust_arc.iter().any(|t| t.eq_ignore_ascii_case(sealer)));
        if failed && trusted.is_none() && cfg.dmarc == DmarcMode::Enforce {
            action = match c.dmarc.policy.as_deref() {
                Some("reject") => Action::Reject,
                Some("quarantine") => Action::Junk,
                _ => Action::Accept,
            };
        }
        let reply = (action == Action::Reject).then(|| {
            Reply::new(
                550,
                format!("5.7.1 Rejected by DMARC policy for {}", c.dmarc.domain),
            )
        });
        judged.headers.push_str(&c.header);
        world.emit(Event::SenderChecked(Box::new(SenderChecked {
            node: node_name.to_string(),
            conn: conn.id.clone(),
            message: message.to_string(),
            client_ip: conn.client_ip.clone(),
            helo: helo.clone(),
            mail_from: tx.sender.clone(),
            checks: c.clone(),
            action,
            reply: reply.as_ref().map(Reply::summary),
            trusted_arc: trusted,
        })));
        if let Some(r) = reply {
            judged.refuse = Some(r);
            return judged;
        }
        checks = Some(c);
    }
    if let Some(settings) = &node.spam {
        let listed: Vec<String> = reputation
            .map(|r| r.listed.iter().map(|l| l.zone.clone()).collect())
            .unwrap_or_default();
        let scored = spam::score(
            &Facts {
                checks: checks.as_ref(),
                ptr: reputation.map_or(client_name, |r| r.ptr.as_deref()),
                fcrdns: reputation.map(|r| r.fcrdns),
                helo_ok: reputation.map(|r| r.helo_verdict == HeloVerdict::Resolves),
                listed: &listed,
                message: &tx.data,
            },
            settings,
        );
        let reply = (scored.action == Action::Reject).then(|| {
            Reply::new(
                550,
                format!(
                    "5.7.1 Message rejected as spam (score {:.1}, limit {:.1})",
                    scored.score,
                    settings.reject_at.unwrap_or_default()
                ),
            )
        });
        world.emit(Event::SpamScored(Box::new(SpamScored {
            node: node_name.to_string(),
            conn: conn.id.clone(),
            message: message.to_string(),
            score: scored.score,
            junk_at: settings.junk_at,
            reject_at: settings.reject_at,
            rules: scored.hits.clone(),
            action: scored.action,
            reply: reply.as_ref().map(Reply::summary),
        })));
        if let Some(r) = reply {
            judged.refuse = Some(r);
            return judged;
        }
        // A message DMARC sent to quarantine stays marked, whatever its score.
        let marked = spam::Scored {
            action: action.max(scored.action),
            ..scored
        };
        judged.headers.push_str(&spam::headers(&marked, settings));
    } else if action == Action::Junk {
        judged.headers.push_str("X-Spam-Flag: YES\r\n");
    }
    let srs_on = node.forwarding.as_ref().is_some_and(|f| f.srs);
    for (recipient, to) in forwarded {
        let rewritten = srs_on.then(|| {
            let key = crate::tls::derive_bytes(world.scenario.seed, &format!("srs {node_name}"));
            srs::rewrite(&key, &tx.sender, &domain_of(&recipient), now / 86_400)
        });
        let rewritten = rewritten.filter(|s| !s.is_empty());
        let (seal_headers, sealer, seal_failed) = match &sealed {
            Some(Ok((h, d))) => (h.clone(), Some(d.clone()), None),
            Some(Err(e)) => (String::new(), None, Some(e.clone())),
            None => (String::new(), None, None),
        };
        let mut data = format!("{seal_headers}{}{received}", judged.headers).into_bytes();
        data.extend_from_slice(outgoing);
        judged.forwards.push(Forward {
            recipient,
            to,
            sender: tx.sender.clone(),
            rewritten: rewritten.clone(),
            footer: footer.is_some(),
            sealed: sealer,
            seal_failed,
            data,
        });
    }
    judged
}

/// Signs `data` with the node's DKIM domain.
fn sign(
    world: &World,
    node: &str,
    dkim: &crate::scenario::Dkim,
    message: &str,
    data: &mut Vec<u8>,
    now: u64,
) {
    let key = auth::keys::key_for(
        world.scenario.seed,
        &dkim.domain,
        &dkim.selector,
        algorithm(dkim.algorithm),
    );
    let Ok(header) = auth::sign(&key, &dkim.domain, &dkim.selector, data, now) else {
        return;
    };
    world.emit(Event::DkimSigned(Box::new(DkimSigned {
        node: node.to_string(),
        message: message.to_string(),
        domain: dkim.domain.clone(),
        selector: dkim.selector.clone(),
        algorithm: key.algorithm.tag().to_string(),
        header: header.clone(),
    })));
    let mut signed = header.into_bytes();
    signed.extend_from_slice(data);
    *data = signed;
}

/// The message with `footer` at the end of its body, as a list adds it.
fn with_footer(data: &[u8], footer: &str) -> Vec<u8> {
    let mut out = data.to_vec();
    if !out.ends_with(b"\r\n") {
        out.extend_from_slice(b"\r\n");
    }
    for line in footer.lines() {
        out.extend_from_slice(line.as_bytes());
        out.extend_from_slice(b"\r\n");
    }
    out
}

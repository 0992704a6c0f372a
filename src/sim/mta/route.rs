//! Where a queued message goes next, and one attempt to take it there.
//!
//! Routing, for each recipient, in this order:
//! 1. the node's `routes`: the server of the first rule that matches the
//!    recipient (an inbound gateway sending each department's mail to its
//!    own internal server);
//! 2. the node's `forward` hosts, tried in order, for recipients in its
//!    `relay_domains` (a hosted filter or a backup MX handing mail to the
//!    real server; every recipient when `relay_domains` is empty);
//! 3. the node's `relay` (a smarthost);
//! 4. the recipient domain's MX records, by preference, skipping this node
//!    and every less preferred host (RFC 5321 section 5.1); hosts of equal
//!    preference in an order drawn from the scenario seed, so they share
//!    the load while runs stay identical; the domain's A record when it has
//!    no MX; a null MX (RFC 7505, `MX 0 .`) bounces at once with 5.1.10.
//!
//! Bounces a node writes itself go through the same routes: they are mail
//! to the sender's domain, so a backup MX's notice for alice@home.test goes
//! to home.test's MX, never to the `forward` host of another domain.

use std::collections::BTreeMap;
use std::rc::Rc;

use rand::SeedableRng;
use rand::seq::SliceRandom;

use super::Entry;
use super::cache;
use super::dsn::Problem;
use super::secure::{self, HostRule};
use crate::policy::dns::{Answer, Rtype};
use crate::policy::tlsrpt::ResultType;
use crate::proto::smtp::client::{Envelope, Outcome, Plan};
use crate::proto::smtp::{Reply, domain_of};
use crate::scenario::Node;
use crate::scenario::StartTls;
use crate::sim::dns::parse_mx;
use crate::sim::session::{self, ServerCheck};
use crate::sim::world::{CONNECT_TIMEOUT, SMTP_PORT, World};
use crate::tls::ClientVerify;
use crate::trace::Identity;

/// What one attempt decided for a recipient.
pub enum Fate {
    Done,
    Temporary(Problem),
    Permanent(Problem),
}

/// Where a group of recipients goes next.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord)]
enum Route {
    /// A gateway's rule sends the recipient to this internal server.
    Rule(String),
    Forward,
    Relay(String),
    Mx(String),
}

fn route_of(cfg: &Node, rcpt: &str) -> Route {
    if let Some(rule) = cfg.routes.iter().find(|r| r.matches(rcpt)) {
        return Route::Rule(rule.to.clone());
    }
    let domain = domain_of(rcpt);
    let forwards_domain = cfg.relay_domains.is_empty()
        || cfg
            .relay_domains
            .iter()
            .any(|d| d.eq_ignore_ascii_case(&domain));
    if !cfg.forward.is_empty() && forwards_domain {
        Route::Forward
    } else if let Some(relay) = &cfg.relay {
        Route::Relay(relay.clone())
    } else {
        Route::Mx(domain)
    }
}

/// One delivery attempt for every pending recipient, grouped by route.
pub async fn attempt_delivery(world: &Rc<World>, cfg: &Node, entry: &Entry) -> Vec<(String, Fate)> {
    let mut groups: BTreeMap<Route, Vec<String>> = BTreeMap::new();
    for rcpt in &entry.pending {
        groups
            .entry(route_of(cfg, rcpt))
            .or_default()
            .push(rcpt.clone());
    }
    let mut fates = Vec::new();
    for (route, rcpts) in groups {
        // A host name from the node's own settings is one an administrator
        // wrote; one from an MX record is whatever DNS answered.
        let (hosts, mx) = match route {
            Route::Rule(host) => (Ok((vec![host], false)), None),
            Route::Forward => (Ok((cfg.forward.clone(), false)), None),
            Route::Relay(host) => (Ok((vec![host], false)), None),
            Route::Mx(domain) => (mx_hosts(world, entry, &domain), Some(domain)),
        };
        match hosts {
            Ok((hosts, secure)) => {
                let by_mx = match mx {
                    Some(domain) => {
                        let policy = secure::domain_policy(world, &entry.node, &domain).await;
                        Some(ByMx {
                            domain,
                            secure,
                            policy,
                        })
                    }
                    None => None,
                };
                fates.extend(try_hosts(world, cfg, entry, &hosts, by_mx.as_ref(), rcpts).await)
            }
            Err((problem, permanent)) => fates.extend(rcpts.into_iter().map(|r| {
                let problem = problem.clone();
                (
                    r,
                    if permanent {
                        Fate::Permanent(problem)
                    } else {
                        Fate::Temporary(problem)
                    },
                )
            })),
        }
    }
    fates
}

fn permanent(status: &str, reason: String) -> Problem {
    Problem {
        status: status.into(),
        reason,
        remote: None,
    }
}

/// The hosts to try for a domain, best first, from its MX records (or its A
/// record), as RFC 5321 section 5.1 says; else the problem, and whether it
/// is permanent (a lookup that failed is worth another try later).
fn mx_hosts(
    world: &Rc<World>,
    entry: &Entry,
    domain: &str,
) -> Result<(Vec<String>, bool), (Problem, bool)> {
    let node = entry.node.as_str();
    let not_found = || {
        permanent(
            "5.4.4",
            format!("Host or domain name not found: {domain} has no MX or A record"),
        )
    };
    let (answer, secure) = world.ask_secure(node, domain, Rtype::Mx);
    let mx = match answer {
        Answer::Records(records) => records.iter().filter_map(|r| parse_mx(r)).collect(),
        Answer::NoData => Vec::new(),
        Answer::NxDomain => return Err((not_found(), true)),
        Answer::TempFail => {
            let problem = Problem {
                status: "4.4.3".into(),
                reason: format!(
                    "Host or domain name lookup failed: the MX lookup for {domain} gave SERVFAIL"
                ),
                remote: None,
            };
            return Err((problem, false));
        }
    };
    if mx.is_empty() {
        return match world.lookup_a(node, domain) {
            Some(a) if !a.is_empty() => Ok((vec![domain.to_string()], secure)),
            _ => Err((not_found(), true)),
        };
    }
    if mx
        .iter()
        .any(|(_, host)| host.trim_end_matches('.').is_empty())
    {
        return Err((
            permanent(
                "5.1.10",
                format!("Domain {domain} does not accept mail (null MX, RFC 7505)"),
            ),
            true,
        ));
    }
    let me = mx
        .iter()
        .filter(|(_, host)| host.trim_end_matches('.').eq_ignore_ascii_case(node))
        .map(|(p, _)| *p)
        .min();
    let mut usable: Vec<(u16, String)> = mx
        .into_iter()
        .filter(|(p, _)| me.is_none_or(|mine| *p < mine))
        .map(|(p, h)| (p, h.trim_end_matches('.').to_string()))
        .collect();
    if usable.is_empty() {
        return Err((
            permanent(
                "5.4.6",
                format!("mail for {domain} loops back to myself: {node} is its best MX"),
            ),
            true,
        ));
    }
    usable.sort_by_key(|(p, _)| *p);
    shuffle_equal_preferences(&mut usable, world.scenario.seed, &entry.queue_id);
    Ok((usable.into_iter().map(|(_, h)| h).collect(), secure))
}

/// RFC 5321 section 5.1: hosts of equal preference are tried in random
/// order. The draw comes from the scenario seed and the queue id, so each
/// message may pick another host while every run of a scenario is the same.
fn shuffle_equal_preferences(hosts: &mut [(u16, String)], seed: u64, queue_id: &str) {
    let mut mix = seed ^ 0xcbf2_9ce4_8422_2325;
    for byte in queue_id.bytes() {
        mix = (mix ^ u64::from(byte)).wrapping_mul(0x0100_0000_01b3);
    }
    let mut rng = rand_chacha::ChaCha8Rng::seed_from_u64(mix);
    let mut start = 0;
    while start < hosts.len() {
        let pref = hosts[start].0;
        let end = start
            + hosts[start..]
                .iter()
                .take_while(|(p, _)| *p == pref)
                .count();
        hosts[start..end].shuffle(&mut rng);
        start = end;
    }
}

/// Tries each host in order until one of them takes a decision on the
/// recipients; recipients left undecided get the last temporary problem.
/// A node with `connection_cache` first tries a connection it kept open to
/// the host, and keeps the one it used for the next message.
async fn try_hosts(
    world: &Rc<World>,
    cfg: &Node,
    entry: &Entry,
    hosts: &[String],
    by_mx: Option<&ByMx>,
    rcpts: Vec<String>,
) -> Vec<(String, Fate)> {
    let mut last = Problem {
        status: "4.4.7".into(),
        reason: format!("no host to try for {}", rcpts.join(", ")),
        remote: None,
    };
    let envelope = Envelope {
        sender: entry.sender.clone(),
        recipients: rcpts.clone(),
        data: entry.data.clone(),
        require_tls: entry.require_tls,
    };
    let keep = cfg
        .connection_cache
        .map(|idle| std::time::Duration::from_millis(idle.as_millis()))
        .filter(|idle| !idle.is_zero());
    for host in hosts {
        if let Some(idle) = keep {
            while let Some(mut kept) = cache::take(world, &entry.node, host) {
                let outcome = kept.send(&entry.message, envelope.clone()).await;
                if let Outcome::Stale { .. } = outcome {
                    cache::close_later(world, kept);
                    continue;
                }
                cache::keep(world, &entry.node, host, kept, idle);
                if let Ok(fates) = judge(host, outcome) {
                    return fates;
                }
                // The kept connection failed mid-transaction: try a new one.
                break;
            }
        }
        let rule = match by_mx {
            Some(mx) => {
                secure::host_rule(world, &entry.node, &mx.domain, host, mx.secure, &mx.policy)
            }
            None => HostRule::Opportunistic,
        };
        let domain = by_mx.map_or("", |mx| mx.domain.as_str());
        let fail = |result: ResultType, reason: &str| {
            secure::failed(
                world,
                &entry.node,
                &entry.message,
                domain,
                host,
                &rule,
                result,
                reason,
            )
        };
        let refuse = |result: ResultType, reason: String, last: &mut Problem| {
            fail(result, &reason);
            *last = Problem {
                status: "4.7.5".into(),
                reason,
                remote: None,
            };
        };
        match &rule {
            HostRule::Sts {
                listed: false,
                enforce,
            } => {
                let reason =
                    format!("MX host {host} does not match the MTA-STS policy of {domain}");
                if *enforce {
                    refuse(ResultType::ValidationFailure, reason, &mut last);
                    continue;
                }
                fail(ResultType::ValidationFailure, &reason);
            }
            HostRule::DaneFailed(why) => {
                refuse(ResultType::DnssecInvalid, why.clone(), &mut last);
                continue;
            }
            _ => {}
        }
        if entry.require_tls
            && !matches!(rule, HostRule::Sts { listed: true, .. } | HostRule::Dane(_))
        {
            // RFC 8689 section 4.2.1: without MTA-STS or DANE to say
            // which server is the right one, a REQUIRETLS message stays.
            return rcpts
                .into_iter()
                .map(|r| {
                    (
                        r,
                        Fate::Permanent(Problem {
                            status: "5.7.10".into(),
                            reason: format!(
                                "REQUIRETLS: nothing proves {host} is the right server ({} has no MTA-STS policy or DANE records this server can use)",
                                if domain.is_empty() { host.as_str() } else { domain }
                            ),
                            remote: None,
                        }),
                    )
                })
                .collect();
        }
        let Some(target) = resolve_host(world, &entry.node, host).await else {
            last = Problem {
                status: "4.4.4".into(),
                reason: format!("{host}: host not found or not answering"),
                remote: None,
            };
            continue;
        };
        let conn = match world.connect(&entry.node, &target, SMTP_PORT).await {
            Ok(conn) => conn,
            Err(reason) => {
                last = Problem {
                    status: "4.4.1".into(),
                    reason: format!("connect to {host}: {reason}"),
                    remote: None,
                };
                continue;
            }
        };
        conn.carrying.replace(Some(entry.message.clone()));
        let insist = rule.enforced() || entry.require_tls;
        let plan = Plan {
            helo: entry.node.clone(),
            server_name: host.clone(),
            starttls: if insist {
                StartTls::Require
            } else {
                cfg.starttls
            },
            implicit_tls: false,
            auth: None,
            keep_open: keep.is_some(),
        };
        let (verify, check) = match &rule {
            HostRule::Sts { enforce: true, .. } => (
                ClientVerify::Authenticate,
                ServerCheck::from(Identity::MtaSts),
            ),
            HostRule::Dane(records) => (
                ClientVerify::Opportunistic,
                ServerCheck {
                    identity: Identity::Dane,
                    dane: records.clone(),
                },
            ),
            _ => (
                ClientVerify::checking(cfg.verify_tls.unwrap_or(false) || entry.require_tls),
                ServerCheck::from(if by_mx.is_some() {
                    Identity::DnsName
                } else {
                    Identity::Settings
                }),
            ),
        };
        let (outcome, session) =
            session::open(world, conn, plan, verify, check, envelope.clone()).await;
        if by_mx.is_some() && rule.name().is_some() {
            match &outcome {
                Outcome::Failed {
                    reason,
                    status: None,
                    ..
                } if rule.enforced() && reason.contains("TLS") => {
                    fail(secure::result_of(reason), reason);
                }
                // MTA-STS in testing mode: the message went, but a hop
                // without TLS is a failure the report must tell.
                Outcome::Done(_)
                    if matches!(rule, HostRule::Sts { enforce: false, .. })
                        && !session.is_encrypted() =>
                {
                    let reason = format!(
                        "host {host} did not offer STARTTLS; the message went in plaintext (testing mode)"
                    );
                    fail(ResultType::StarttlsNotSupported, &reason);
                }
                Outcome::Done(_) => secure::succeeded(world, &entry.node, domain, &rule),
                _ => {}
            }
        }
        match keep {
            Some(idle) => cache::keep(world, &entry.node, host, session, idle),
            None => session.close().await,
        }
        // A promise the client itself refuses to break (REQUIRETLS's
        // 5.7.30): no other host will do better, the message goes back.
        if let Outcome::Failed {
            reason,
            status: Some(status),
            permanent: true,
            ..
        } = &outcome
        {
            let problem = Problem {
                status: status.to_string(),
                reason: reason.trim_start_matches(status).trim_start().to_string(),
                remote: None,
            };
            return rcpts
                .into_iter()
                .map(|r| (r, Fate::Permanent(problem.clone())))
                .collect();
        }
        match judge(host, outcome) {
            Ok(fates) => return fates,
            Err(problem) => last = problem,
        }
    }
    rcpts
        .into_iter()
        .map(|r| (r, Fate::Temporary(last.clone())))
        .collect()
}

/// A group of recipients routed by their domain's MX records: the domain,
/// whether DNSSEC vouched for the MX answer, and its MTA-STS policy.
struct ByMx {
    domain: String,
    secure: bool,
    policy: secure::DomainPolicy,
}

/// The recipients' fates when the host answered for them, or the problem
/// that sends the client on to the next host.
fn judge(host: &str, outcome: Outcome) -> Result<Vec<(String, Fate)>, Problem> {
    match outcome {
        Outcome::Done(results) => Ok(results
            .into_iter()
            .map(|(rcpt, reply)| (rcpt, fate_of(host, reply)))
            .collect()),
        Outcome::Failed {
            reason,
            reply,
            status,
            ..
        } => Err(Problem {
            status: status
                .or_else(|| reply.as_ref().and_then(Reply::enhanced_status))
                .unwrap_or("4.4.2")
                .to_string(),
            reason,
            remote: reply.map(|r| (host.to_string(), r)),
        }),
        Outcome::Stale { reason } => Err(Problem {
            status: "4.4.2".into(),
            reason,
            remote: None,
        }),
    }
}

/// What a server's final answer for a recipient means.
fn fate_of(host: &str, reply: Reply) -> Fate {
    if reply.is_positive() {
        return Fate::Done;
    }
    let transient = reply.is_transient();
    let fallback = if transient { "4.0.0" } else { "5.0.0" };
    let problem = Problem {
        status: reply
            .enhanced_status()
            .filter(|s| s.starts_with(if transient { '4' } else { '5' }))
            .unwrap_or(fallback)
            .to_string(),
        reason: format!("{} host {host} said: {}", reply.code, reply.text()),
        remote: Some((host.to_string(), reply)),
    };
    if transient {
        Fate::Temporary(problem)
    } else {
        Fate::Permanent(problem)
    }
}

/// The node behind a host name, by its A record. A name that resolves to an
/// address where nobody listens waits out the connect timeout, as a real
/// client would; a name with no address at all is a temporary failure.
async fn resolve_host(world: &Rc<World>, node: &str, host: &str) -> Option<String> {
    let ips = world.lookup_a(node, host).unwrap_or_default();
    for ip in &ips {
        if let Some(target) = world.zone.node_at(ip) {
            return Some(target.to_string());
        }
    }
    if !ips.is_empty() {
        tokio::time::sleep(CONNECT_TIMEOUT).await;
        let reason = format!("connection to {} timed out", ips.join(", "));
        world.connect_failed(node, host, SMTP_PORT, reason);
    }
    None
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn rfc5321_5_1_equal_preferences_are_shuffled_by_the_seed_only() {
        let hosts = |seed, qid: &str| {
            let mut h: Vec<(u16, String)> = vec![
                (10, "a".into()),
                (10, "b".into()),
                (10, "c".into()),
                (20, "z".into()),
            ];
            shuffle_equal_preferences(&mut h, seed, qid);
            h.into_iter().map(|(_, n)| n).collect::<String>()
        };
        assert_eq!(hosts(1, "Q1"), hosts(1, "Q1"), "same seed, same order");
        assert!(hosts(1, "Q1").ends_with('z'), "preference still rules");
        let orders: std::collections::BTreeSet<String> =
            (0..40).map(|i| hosts(7, &format!("Q{i}"))).collect();
        assert!(orders.len() > 1, "messages share the load: {orders:?}");
    }

    #[test]
    fn a_gateway_routes_by_its_first_matching_rule_then_forwards() {
        let cfg: Node = serde_json::from_str(
            r#"{"role": "gateway", "relay_domains": ["example.test", "sales.example.test"],
                "routes": [{"match": "ceo@example.test", "to": "mx-board.example.test"},
                           {"match": "@sales.example.test", "to": "mx-sales.example.test"},
                           {"match": "@example.test", "to": "mx-staff.example.test"}],
                "forward": ["mx-old.example.test"]}"#,
        )
        .unwrap();
        let route = |r| route_of(&cfg, r);
        assert_eq!(
            route("CEO@example.test"),
            Route::Rule("mx-board.example.test".into())
        );
        assert_eq!(
            route("ana@sales.example.test"),
            Route::Rule("mx-sales.example.test".into())
        );
        assert_eq!(
            route("rui@example.test"),
            Route::Rule("mx-staff.example.test".into())
        );
        assert_eq!(
            route("eva@labs.example.test"),
            Route::Mx("labs.example.test".into())
        );
        let cfg: Node = serde_json::from_str(
            r#"{"role": "gateway", "routes": [{"match": "@sales.example.test", "to": "mx-sales.example.test"}],
                "forward": ["mx-old.example.test"]}"#,
        )
        .unwrap();
        assert_eq!(
            route_of(&cfg, "eva@labs.example.test"),
            Route::Forward,
            "no rule: forward"
        );
    }

    #[test]
    fn forward_applies_only_to_relay_domains() {
        let cfg: Node = serde_json::from_str(
            r#"{"role": "secondary-mx", "relay_domains": ["friend.test"], "forward": ["mx.friend.test"]}"#,
        )
        .unwrap();
        assert_eq!(route_of(&cfg, "bob@friend.test"), Route::Forward);
        assert_eq!(
            route_of(&cfg, "alice@home.test"),
            Route::Mx("home.test".into())
        );
    }
}

//! A server's checks on its clients, as the SMTP driver runs them: looking
//! a client up through the world's DNS after HELO (`policy::reputation`,
//! one `client_checked` event), and recording what greylisting decided
//! (`policy::greylist`: the server's table learns it, the trace shows it).
//!
//! The policies decide; this file only asks DNS for them and writes down
//! what they found and decided.

use std::cell::RefCell;
use std::collections::BTreeMap;

use super::world::{ConnInfo, World};
use crate::policy::Note;
use crate::policy::dns::{Answer, Dns, Rtype};
use crate::policy::greylist::Verdict;
use crate::policy::reputation::{self, Dynamic, HeloVerdict, Reputation};
use crate::scenario::Checks;
use crate::trace::{self, ClientChecked, DynamicSign, Event, GreylistPassed, Greylisted, Listed};

/// The DNS one connection's checks ask: the world's zone, each question
/// recorded once, with later repeats answered from what it already heard
/// (as a caching resolver would: FCrDNS and the HELO check often ask for
/// the same name).
pub struct Resolver<'a> {
    world: &'a World,
    /// The node that asks.
    node: &'a str,
    heard: RefCell<BTreeMap<(String, Rtype), Answer>>,
}

impl<'a> Resolver<'a> {
    pub fn new(world: &'a World, node: &'a str) -> Self {
        Resolver {
            world,
            node,
            heard: RefCell::default(),
        }
    }
}

impl Dns for Resolver<'_> {
    fn ask(&self, name: &str, rtype: Rtype) -> Answer {
        let key = (name.trim_end_matches('.').to_ascii_lowercase(), rtype);
        if let Some(answer) = self.heard.borrow().get(&key) {
            return answer.clone();
        }
        let answer = self.world.ask(self.node, name, rtype);
        self.heard.borrow_mut().insert(key, answer.clone());
        answer
    }
}

/// Looks the client of `conn` up as `checks` say, after it said HELO or
/// EHLO `helo`, and records what was found.
pub fn look_up_client(
    world: &World,
    resolver: &Resolver<'_>,
    conn: &ConnInfo,
    checks: &Checks,
    helo: &str,
) -> Reputation {
    let found = reputation::look_up(
        resolver,
        &conn.client_ip,
        helo,
        checks,
        &world.scenario.blocklists,
    );
    world.emit(Event::ClientChecked(Box::new(ClientChecked {
        node: conn.server.clone(),
        conn: conn.id.clone(),
        client: conn.client.clone(),
        client_ip: conn.client_ip.clone(),
        ptr: found.ptr.clone(),
        fcrdns: found.fcrdns,
        helo: found.helo.clone(),
        helo_verdict: match found.helo_verdict {
            HeloVerdict::Resolves => trace::HeloVerdict::Resolves,
            HeloVerdict::Unresolvable => trace::HeloVerdict::Unresolvable,
            HeloVerdict::NotFqdn => trace::HeloVerdict::NotFqdn,
            HeloVerdict::AddressLiteral => trace::HeloVerdict::AddressLiteral,
            HeloVerdict::Invalid => trace::HeloVerdict::Invalid,
        },
        listed: found
            .listed
            .iter()
            .map(|l| Listed {
                zone: l.zone.clone(),
                answer: l.answer.clone(),
                reason: l.reason.clone(),
            })
            .collect(),
        dynamic: found.dynamic.as_ref().map(|d| match d {
            Dynamic::GenericName => DynamicSign::Name,
            Dynamic::Listed(zone) => DynamicSign::Blocklist { zone: zone.clone() },
        }),
    })));
    found
}

/// Records what a policy noted about a decision on `conn`, at `now`.
pub fn record(world: &World, conn: &ConnInfo, note: Note, now: u64) {
    match note {
        Note::Greylist { triplet, verdict } => {
            if let Some(table) = world.greylist(&conn.server) {
                table.borrow_mut().record(&triplet, verdict, now);
            }
            let (first_seen, retry_at) = match verdict {
                Verdict::New { retry_at } => (now, retry_at),
                Verdict::TooSoon {
                    first_seen,
                    retry_at,
                } => (first_seen, retry_at),
                Verdict::Passed { first_seen } => {
                    return world.emit(Event::GreylistPassed(Box::new(GreylistPassed {
                        node: conn.server.clone(),
                        conn: conn.id.clone(),
                        client: conn.client.clone(),
                        client_ip: triplet.client_ip,
                        sender: triplet.sender,
                        recipient: triplet.recipient,
                        first_seen,
                    })));
                }
                // Let through before: nothing new to tell.
                Verdict::Known => return,
            };
            world.emit(Event::Greylisted(Box::new(Greylisted {
                node: conn.server.clone(),
                conn: conn.id.clone(),
                client: conn.client.clone(),
                client_ip: triplet.client_ip,
                sender: triplet.sender,
                recipient: triplet.recipient,
                first_seen,
                retry_at,
            })));
        }
    }
}

//! Who is connecting: what a receiving server finds out about a client
//! before it takes its mail, and the refusals its `checks` make of that.
//!
//! A server that checks its clients looks each one up once per connection,
//! after HELO or EHLO ([`look_up`], every question through [`Dns`], so each
//! is a DNS event in the trace):
//!
//! - **reverse DNS**: the PTR record of the client's address, and whether
//!   that name's A record holds the address again (forward-confirmed
//!   reverse DNS, FCrDNS): only whoever runs the address can set its PTR,
//!   and only whoever runs the name its A record, so a match means both
//!   agree on the machine;
//! - **HELO**: whether the name the client gave is a fully qualified
//!   domain name that DNS knows ([`HeloVerdict`]);
//! - **DNS blocklists** (RFC 5782): an A question for the reversed address
//!   under each zone (`7.5.18.198.dnsbl.example.test`), and on an answer in
//!   127.0.0.0/8 the TXT record with the reason;
//! - **dynamic addresses**: a home line, told by its reverse DNS name or by
//!   a listing in a list of dynamic ranges ([`Dynamic`]).
//!
//! The facts are kept in a [`Reputation`], which the SMTP session holds
//! until the end of DATA, for the policy's refusals at RCPT
//! ([`Reputation::refusal`], with Postfix's replies) and for whatever else
//! scores a client. Pure: DNS answers in, facts and replies out.

use std::net::Ipv4Addr;

use super::dns::{Answer, Dns, Rtype, reverse_name};
use crate::proto::smtp::Reply;
use crate::scenario::{Blocklist, Checks, ReverseDns};

/// What a server found out about one client, once per connection.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Reputation {
    /// The client's address.
    pub ip: String,
    /// Its reverse DNS name (the first PTR record), if it has one.
    pub ptr: Option<String>,
    /// Forward-confirmed reverse DNS: a PTR name's A record holds the address.
    pub fcrdns: bool,
    /// The name the client gave in HELO or EHLO.
    pub helo: String,
    /// What that name is worth.
    pub helo_verdict: HeloVerdict,
    /// The blocklists that list the address, in the order the server asks them.
    pub listed: Vec<Listing>,
    /// Whether, and why, the address looks like a home line.
    pub dynamic: Option<Dynamic>,
}

/// What a HELO or EHLO name is worth.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub enum HeloVerdict {
    /// A fully qualified domain name with an address (or MX) in DNS.
    Resolves,
    /// A fully qualified domain name DNS does not know.
    Unresolvable,
    /// A single word, such as `localhost` or `DESKTOP-4F2`.
    NotFqdn,
    /// An address literal, such as `[198.18.5.7]`: allowed by RFC 5321,
    /// and what a machine with no name of its own says.
    AddressLiteral,
    /// Not a host name at all (odd characters, an address without brackets).
    Invalid,
}

impl HeloVerdict {
    /// The verdict's name in the trace.
    pub fn as_str(self) -> &'static str {
        match self {
            HeloVerdict::Resolves => "resolves",
            HeloVerdict::Unresolvable => "unresolvable",
            HeloVerdict::NotFqdn => "not_fqdn",
            HeloVerdict::AddressLiteral => "address_literal",
            HeloVerdict::Invalid => "invalid",
        }
    }
}

/// A blocklist that lists the client.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Listing {
    /// The blocklist's zone.
    pub zone: String,
    /// The first A record it answered (127.0.0.x): which list, for lists
    /// that answer differently for different reasons.
    pub answer: String,
    /// The first TXT record, if any: why it is listed.
    pub reason: Option<String>,
    /// The answer is one the scenario marks as a list of dynamic addresses.
    pub dynamic: bool,
}

/// Why an address looks like a home line.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Dynamic {
    /// Its reverse DNS name was made for a home line: the address written
    /// into it, or a word such as `dsl` or `pool`.
    GenericName,
    /// A list of dynamic addresses holds it (this zone).
    Listed(String),
}

/// The most PTR names whose A records are asked for FCrDNS.
const MAX_PTR_NAMES: usize = 4;

/// Words providers put in the reverse DNS names of home lines.
const HOME_LINE_WORDS: [&str; 16] = [
    "dyn",
    "dynamic",
    "dhcp",
    "dsl",
    "adsl",
    "vdsl",
    "xdsl",
    "pool",
    "ppp",
    "pppoe",
    "dial",
    "dialup",
    "cable",
    "broadband",
    "residential",
    "cpe",
];

/// Looks a client up as `checks` says: reverse DNS, FCrDNS, HELO, and the
/// blocklists named in `checks` (their definitions in `lists`).
pub fn look_up(
    dns: &dyn Dns,
    ip: &str,
    helo: &str,
    checks: &Checks,
    lists: &[Blocklist],
) -> Reputation {
    let names: Vec<String> = match reverse_name(ip) {
        Some(owner) => dns
            .ask(&owner, Rtype::Ptr)
            .records()
            .iter()
            .map(|n| n.trim_end_matches('.').to_ascii_lowercase())
            .collect(),
        None => Vec::new(),
    };
    let fcrdns = names
        .iter()
        .take(MAX_PTR_NAMES)
        .any(|name| dns.ask(name, Rtype::A).records().iter().any(|a| a == ip));
    let ptr = names.into_iter().next();
    let helo_verdict = judge_helo(dns, helo);
    let mut listed = Vec::new();
    for zone in &checks.blocklists {
        if listed
            .iter()
            .any(|l: &Listing| l.zone.eq_ignore_ascii_case(zone))
        {
            continue;
        }
        if let Some(listing) = ask_blocklist(dns, ip, zone, lists) {
            listed.push(listing);
        }
    }
    let dynamic = if ptr.as_deref().is_some_and(|p| looks_dynamic(p, ip)) {
        Some(Dynamic::GenericName)
    } else {
        listed
            .iter()
            .find(|l| l.dynamic)
            .map(|l| Dynamic::Listed(l.zone.clone()))
    };
    Reputation {
        ip: ip.to_string(),
        ptr,
        fcrdns,
        helo: helo.to_string(),
        helo_verdict,
        listed,
        dynamic,
    }
}

/// The name RFC 5782 asks a blocklist about an IPv4 address:
/// `198.18.5.7` under `dnsbl.example.test` is `7.5.18.198.dnsbl.example.test`.
pub fn blocklist_name(ip: &str, zone: &str) -> Option<String> {
    let [a, b, c, d] = ip.parse::<Ipv4Addr>().ok()?.octets();
    Some(format!("{d}.{c}.{b}.{a}.{}", zone.trim_end_matches('.')))
}

/// Asks one blocklist about `ip`: listed when it answers an A record in
/// 127.0.0.0/8 (RFC 5782 section 2.1); then its TXT record says why.
fn ask_blocklist(dns: &dyn Dns, ip: &str, zone: &str, lists: &[Blocklist]) -> Option<Listing> {
    let name = blocklist_name(ip, zone)?;
    let answer = dns
        .ask(&name, Rtype::A)
        .records()
        .iter()
        .find(|a| a.parse::<Ipv4Addr>().is_ok_and(|a| a.octets()[0] == 127))?
        .clone();
    let reason = dns.ask(&name, Rtype::Txt).records().first().cloned();
    let dynamic = lists
        .iter()
        .any(|l| l.dynamic && l.zone.eq_ignore_ascii_case(zone) && l.answer == answer);
    Some(Listing {
        zone: zone.to_string(),
        answer,
        reason,
        dynamic,
    })
}

/// What a HELO or EHLO name is worth: its form first, then, for a fully
/// qualified name, whether DNS has an address or an MX record for it (as
/// Postfix's `reject_unknown_helo_hostname` asks).
pub fn judge_helo(dns: &dyn Dns, name: &str) -> HeloVerdict {
    match helo_form(name) {
        HeloVerdict::Resolves => {
            let host = name.trim_end_matches('.');
            let known = |rtype| matches!(dns.ask(host, rtype), Answer::Records(_));
            if known(Rtype::A) || known(Rtype::Mx) {
                HeloVerdict::Resolves
            } else {
                HeloVerdict::Unresolvable
            }
        }
        other => other,
    }
}

/// The verdict a name's form alone gives; `Resolves` stands for "a fully
/// qualified name, to be looked up".
fn helo_form(name: &str) -> HeloVerdict {
    if let Some(inner) = name.strip_prefix('[').and_then(|n| n.strip_suffix(']')) {
        let literal = inner.parse::<Ipv4Addr>().is_ok()
            || inner
                .strip_prefix("IPv6:")
                .is_some_and(|v6| v6.parse::<std::net::Ipv6Addr>().is_ok());
        return if literal {
            HeloVerdict::AddressLiteral
        } else {
            HeloVerdict::Invalid
        };
    }
    let host = name.strip_suffix('.').unwrap_or(name);
    let labels_ok = !host.is_empty()
        && host.len() <= 253
        && host.split('.').all(|label| {
            !label.is_empty()
                && label.len() <= 63
                && !label.starts_with('-')
                && !label.ends_with('-')
                && label
                    .bytes()
                    .all(|b| b.is_ascii_alphanumeric() || b == b'-')
        });
    let numeric_top = host
        .rsplit('.')
        .next()
        .is_some_and(|top| top.bytes().all(|b| b.is_ascii_digit()));
    if !labels_ok || numeric_top {
        HeloVerdict::Invalid
    } else if !host.contains('.') {
        HeloVerdict::NotFqdn
    } else {
        HeloVerdict::Resolves
    }
}

/// Whether a reverse DNS name was made for a home line: the address's four
/// numbers in it, in either order (`198-18-5-7.dsl.isp.test`,
/// `7.5.18.198.pool.isp.test`), or a word providers use for such lines.
pub fn looks_dynamic(ptr: &str, ip: &str) -> bool {
    let lower = ptr.to_ascii_lowercase();
    let words = lower.split(|c: char| !c.is_ascii_alphabetic());
    if words.into_iter().any(|w| HOME_LINE_WORDS.contains(&w)) {
        return true;
    }
    let Ok(address) = ip.parse::<Ipv4Addr>() else {
        return false;
    };
    let octets: Vec<u8> = address.octets().to_vec();
    let numbers: Vec<u8> = lower
        .split(|c: char| !c.is_ascii_digit())
        .filter(|n| !n.is_empty())
        .filter_map(|n| n.parse().ok())
        .collect();
    let reversed: Vec<u8> = octets.iter().rev().copied().collect();
    numbers
        .windows(4)
        .any(|w| w == octets.as_slice() || w == reversed.as_slice())
}

impl Reputation {
    /// The client's name as a careful server writes it (Received header,
    /// logs): the reverse DNS name when it is forward-confirmed, else
    /// `unknown`, as Postfix does.
    pub fn verified_name(&self) -> &str {
        match (&self.ptr, self.fcrdns) {
            (Some(name), true) => name,
            _ => "unknown",
        }
    }

    /// The reply that refuses this client, if `checks` refuse it, in the
    /// order of the checks' documentation: blocklists, dynamic addresses,
    /// reverse DNS, HELO. Postfix's wording, as it gives it at RCPT.
    pub fn refusal(&self, checks: &Checks) -> Option<Reply> {
        let ip = &self.ip;
        if let Some(listing) = self.listed.first() {
            let why = listing
                .reason
                .as_deref()
                .map(|r| format!("; {r}"))
                .unwrap_or_default();
            return Some(Reply::new(
                554,
                format!(
                    "5.7.1 Service unavailable; Client host [{ip}] blocked using {}{why}",
                    listing.zone
                ),
            ));
        }
        if checks.reject_dynamic && self.dynamic.is_some() {
            return Some(Reply::new(
                554,
                format!(
                    "5.7.1 <{}[{ip}]>: Client host rejected: mail from dynamic addresses is not accepted; send it through your provider's mail server",
                    self.verified_name()
                ),
            ));
        }
        match checks.reverse_dns {
            Some(_) if self.ptr.is_none() => {
                return Some(Reply::new(
                    450,
                    format!(
                        "4.7.25 Client host rejected: cannot find your reverse hostname, [{ip}]"
                    ),
                ));
            }
            Some(ReverseDns::Fcrdns) if !self.fcrdns => {
                return Some(Reply::new(
                    450,
                    format!("4.7.25 Client host rejected: cannot find your hostname, [{ip}]"),
                ));
            }
            _ => {}
        }
        if !checks.helo {
            return None;
        }
        let helo = &self.helo;
        match self.helo_verdict {
            HeloVerdict::Invalid => Some(Reply::new(
                501,
                format!("5.5.2 <{helo}>: Helo command rejected: Invalid name"),
            )),
            HeloVerdict::NotFqdn => Some(Reply::new(
                504,
                format!("5.5.2 <{helo}>: Helo command rejected: need fully-qualified hostname"),
            )),
            HeloVerdict::Unresolvable => Some(Reply::new(
                450,
                format!("4.7.1 <{helo}>: Helo command rejected: Host not found"),
            )),
            HeloVerdict::Resolves | HeloVerdict::AddressLiteral => None,
        }
    }
}

#[cfg(test)]
mod tests;

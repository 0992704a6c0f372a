//! The edge of the network, checked: DNS blocklists (`blocklists`), the
//! providers' networks and their rules (`networks`), a server's `checks`
//! on its clients and a gateway's `routes`.

use std::collections::BTreeMap;
use std::net::Ipv4Addr;

use super::locate::JsonPath;
use super::meaning::Refer;
use super::{Problems, is_address, is_host_name, nearest};
use crate::policy::cidr::{Cidr, CidrError};
use crate::scenario::model::{Node, Role, Scenario, Service};

/// The scenario's `blocklists` and `networks`.
pub(super) fn check_edge(p: &mut Problems<'_>, s: &Scenario, servers: &[&str], refer: &Refer<'_>) {
    let root = JsonPath::root();
    for (i, list) in s.blocklists.iter().enumerate() {
        let at = root.key("blocklists").index(i);
        let zone = list.zone.trim_end_matches('.').to_ascii_lowercase();
        if !is_host_name(&zone) {
            p.at(
                &at.key("zone"),
                format!("`{}` is not a DNS zone name", list.zone),
                Some("write a name like `dnsbl.example.test`".into()),
            );
        }
        for (j, range) in list.list.iter().enumerate() {
            check_range(p, &at.key("list").index(j), range);
        }
        match list.answer.parse::<Ipv4Addr>() {
            Ok(a) if a.octets()[0] == 127 && a != Ipv4Addr::LOCALHOST => {}
            _ => p.at(
                &at.key("answer"),
                format!("`{}` is not an answer a blocklist gives", list.answer),
                Some(
                    "RFC 5782: a listed address gets an A record in 127.0.0.0/8 other than 127.0.0.1, like `127.0.0.2`"
                        .into(),
                ),
            ),
        }
        if list.reason.as_deref().is_some_and(|r| r.trim().is_empty()) {
            p.at(
                &at.key("reason"),
                "the reason is empty",
                Some("say why the address is listed, or leave `reason` out".into()),
            );
        }
        if let Some(owner) = s.dns.keys().find(|owner| {
            let owner = owner.trim_end_matches('.').to_ascii_lowercase();
            owner == zone || owner.ends_with(&format!(".{zone}"))
        }) {
            p.at(
                &at.key("zone"),
                format!(
                    "`{}` is a blocklist, and `dns` also writes records for `{owner}` in it",
                    list.zone
                ),
                Some("a blocklist's names come from its `list`; move the records out of its zone, or rename the zone".into()),
            );
        }
    }

    let mut names: BTreeMap<&str, usize> = BTreeMap::new();
    let mut ranges: Vec<(usize, Cidr)> = Vec::new();
    for (i, network) in s.networks.iter().enumerate() {
        let at = root.key("networks").index(i);
        if network.name.trim().is_empty() {
            p.at(
                &at.key("name"),
                "a network needs a name",
                Some("the name is what a student reads when its rule stops a connection, like `home-isp`".into()),
            );
        } else if let Some(first) = names.insert(&network.name, i) {
            p.at(
                &at.key("name"),
                format!("`{}` is already the name of network {first}", network.name),
                Some("give each network its own name".into()),
            );
        }
        if let Some(range) = check_range(p, &at.key("range"), &network.range) {
            if let Some((j, other)) = ranges.iter().find(|(_, r)| r.overlaps(&range)) {
                p.at(
                    &at.key("range"),
                    format!(
                        "{range} overlaps {other}, the range of `{}`: a machine is on one network",
                        s.networks[*j].name
                    ),
                    Some("make the ranges disjoint".into()),
                );
            }
            ranges.push((i, range));
        }
        for (j, server) in network.except.iter().enumerate() {
            refer(p, at.key("except").index(j), server, servers, "a server");
        }
        if !network.except.is_empty() && !network.block_outbound_smtp {
            p.warn(
                &at.key("except"),
                "`except` names servers a blocked network may still reach, and this network blocks nothing",
                Some("add `\"block_outbound_smtp\": true`, or remove `except`".into()),
            );
        }
    }
}

/// Reads a range, or reports why it is not one.
fn check_range(p: &mut Problems<'_>, at: &JsonPath, text: &str) -> Option<Cidr> {
    match Cidr::parse(text) {
        Ok(range) => Some(range),
        Err(err) => {
            let hint = match &err {
                CidrError::HostBitsSet { network } => {
                    let bits = text.rsplit_once('/').map_or("32", |(_, b)| b);
                    format!("did you mean `{network}/{bits}`?")
                }
                _ if text.contains(':') => {
                    "mailhop's networks are IPv4: write a range like `198.18.5.0/24`".into()
                }
                _ => "write an address and a prefix length, like `198.18.5.0/24`, or one address"
                    .into(),
            };
            p.at(
                at,
                format!("`{text}` is not an address range: {err}"),
                Some(hint),
            );
            None
        }
    }
}

/// A node's `checks` and `routes`.
pub(super) fn check_node(
    p: &mut Problems<'_>,
    at: &JsonPath,
    s: &Scenario,
    name: &str,
    node: &Node,
    servers: &[&str],
    refer: &Refer<'_>,
) {
    if let Some(checks) = &node.checks {
        let here = at.key("checks");
        let zones: Vec<&str> = {
            let mut z: Vec<&str> = s.blocklists.iter().map(|b| b.zone.as_str()).collect();
            z.dedup();
            z
        };
        for (i, zone) in checks.blocklists.iter().enumerate() {
            let known = s.blocklists.iter().any(|b| {
                b.zone
                    .trim_end_matches('.')
                    .eq_ignore_ascii_case(zone.trim_end_matches('.'))
            });
            if !known {
                let hint = match nearest(zone, zones.iter().copied()) {
                    Some(best) => format!("did you mean `{best}`?"),
                    None if zones.is_empty() => format!(
                        "describe it in the scenario's `blocklists`: `[{{\"zone\": \"{zone}\", \"list\": [\"198.18.5.0/24\"]}}]`"
                    ),
                    None => format!("the scenario's blocklists are {}", zones.join(", ")),
                };
                p.at(
                    &here.key("blocklists").index(i),
                    format!("`{zone}` is not one of the scenario's `blocklists`"),
                    Some(hint),
                );
            }
        }
        if checks.greylist.is_some_and(|d| d.as_millis() == 0) {
            p.at(
                &here.key("greylist"),
                "a greylisting delay of 0 would let every retry through at once",
                Some("postgrey waits `5m`; give a delay like that".into()),
            );
        }
        if let Some(listen) = &node.listen
            && !listen.values().any(|svc| *svc == Service::Smtp)
        {
            p.warn(
                &here,
                format!("`{name}` runs no SMTP on any port, and `checks` judge the clients of port 25: they will never run"),
                Some("add `\"25\": \"smtp\"` to its `listen`, or remove `checks`".into()),
            );
        }
    }
    let others: Vec<&str> = servers.iter().copied().filter(|s| *s != name).collect();
    for (i, route) in node.routes.iter().enumerate() {
        let here = at.key("routes").index(i);
        refer(p, here.key("to"), &route.to, &others, "another server");
        let domain = match route.pattern.strip_prefix('@') {
            Some(domain) if is_host_name(domain) => domain,
            _ if is_address(&route.pattern) => {
                route.pattern.rsplit_once('@').map_or("", |(_, d)| d)
            }
            _ => {
                p.at(
                    &here.key("match"),
                    format!("`{}` matches no address", route.pattern),
                    Some("write `@sales.example.test` for a whole domain, or one address like `ceo@example.test`".into()),
                );
                continue;
            }
        };
        let accepted = node.open_relay
            || node
                .relay_domains
                .iter()
                .any(|d| d.eq_ignore_ascii_case(domain))
            || node.mailboxes.iter().any(|m| {
                m.rsplit_once('@')
                    .is_some_and(|(_, d)| d.eq_ignore_ascii_case(domain))
            });
        if !accepted && node.role != Role::Mua {
            p.warn(
                &here.key("match"),
                format!("`{name}` does not take mail for {domain} from strangers, so this rule only routes mail from its own users and relay clients"),
                Some(format!("add `{domain}` to its `relay_domains`")),
            );
        }
    }
}

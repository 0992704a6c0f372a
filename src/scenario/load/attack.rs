//! Attackers and the cures, checked: an attacker's `on_path`,
//! `strip_starttls` and `forge_dns`; the scenario's `dnssec` zones; a
//! server's `tls_policy`.

use std::net::Ipv4Addr;

use super::locate::JsonPath;
use super::meaning::Refer;
use super::{Problems, is_host_name, is_owner_name};
use crate::scenario::model::{Node, Role, Scenario};

/// An attacker's own fields, and the attacker fields on a node that is not one.
pub(super) fn check_node(
    p: &mut Problems<'_>,
    at: &JsonPath,
    s: &Scenario,
    name: &str,
    node: &Node,
    refer: &Refer<'_>,
) {
    let powers: [(&str, bool); 3] = [
        ("on_path", !node.on_path.is_empty()),
        ("strip_starttls", node.strip_starttls),
        ("forge_dns", !node.forge_dns.is_empty()),
    ];
    if node.role != Role::Attacker {
        for (field, used) in powers {
            if used {
                p.at_key(
                    &at.key(field),
                    format!(
                        "`{field}` belongs to attackers, and `{name}` is a {}",
                        node.role.as_str()
                    ),
                    Some(
                        "add a node with `\"role\": \"attacker\"` and `on_path` naming the machines it sits next to".into(),
                    ),
                );
            }
        }
        if node.tls_policy.is_some() && !node.role.is_server() {
            p.at_key(
                &at.key("tls_policy"),
                format!(
                    "`tls_policy` belongs to servers that send mail on, and `{name}` is a {}",
                    node.role.as_str()
                ),
                Some(
                    "a mail client checks its own server's certificate already (`verify_tls`)"
                        .into(),
                ),
            );
        }
        return;
    }
    let targets: Vec<&str> = s
        .nodes
        .iter()
        .filter(|(_, n)| n.role != Role::Attacker)
        .map(|(k, _)| k.as_str())
        .collect();
    if node.on_path.is_empty() {
        p.at_key(
            at,
            format!("the attacker `{name}` sits on nobody's path: it would see nothing"),
            Some(match targets.first() {
                Some(first) => format!("add `\"on_path\": [\"{first}\"]`"),
                None => "add `on_path` with the machines whose network it is on".into(),
            }),
        );
    }
    for (i, target) in node.on_path.iter().enumerate() {
        refer(p, at.key("on_path").index(i), target, &targets, "a machine");
    }
    for (owner, records) in &node.forge_dns {
        let here = at.key("forge_dns").key(owner);
        if !is_owner_name(owner.trim_end_matches('.')) {
            p.at_key(
                &here,
                format!("`{owner}` is not a DNS name"),
                Some("use the owner name whose answers are forged, like `b.test`".into()),
            );
        }
        for (i, a) in records.a.iter().enumerate() {
            if a.parse::<Ipv4Addr>().is_err() {
                p.at(
                    &here.key("A").index(i),
                    format!("`{a}` is not an IPv4 address"),
                    Some("write four numbers, like `192.0.2.66`".into()),
                );
            }
        }
        for (i, mx) in records.mx.iter().enumerate() {
            let host = mx.host.trim_end_matches('.');
            if !host.is_empty() && !is_host_name(host) {
                p.at(
                    &here.key("MX").index(i).key("host"),
                    format!("`{}` is not a host name", mx.host),
                    Some("name the attacker's server, like `mx.evil.test`".into()),
                );
            }
        }
        if records == &Default::default() {
            p.warn(
                &here,
                format!("the forged answer for `{owner}` has no records: nothing is forged"),
                Some("give the records it answers with, like `{\"MX\": [{\"preference\": 5, \"host\": \"mx.evil.test\"}]}`".into()),
            );
        }
    }
    let server_only: [(&str, bool); 6] = [
        ("mailboxes", !node.mailboxes.is_empty()),
        ("accounts", !node.accounts.is_empty()),
        ("relay_domains", !node.relay_domains.is_empty()),
        ("web", node.web.is_some()),
        ("tls_policy", node.tls_policy.is_some()),
        ("address", node.address.is_some()),
    ];
    for (field, used) in server_only {
        if used {
            p.at_key(
                &at.key(field),
                format!("`{field}` belongs to servers, and `{name}` is an attacker: it runs no server"),
                Some("to make the attacker receive mail, add a server node of its own (say `mx.evil.test`, role `mta`) and point a forged MX at it".into()),
            );
        }
    }
}

/// The scenario's `dnssec` zones.
pub(super) fn check_dnssec(p: &mut Problems<'_>, s: &Scenario) {
    let root = JsonPath::root();
    for (i, zone) in s.dnssec.iter().enumerate() {
        if !is_host_name(zone.trim_end_matches('.')) {
            p.at(
                &root.key("dnssec").index(i),
                format!("`{zone}` is not a DNS zone name"),
                Some("write the zone's name, like `b.test`".into()),
            );
        }
    }
}

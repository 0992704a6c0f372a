//! The DNS of a simulated world.
//!
//! The zone is the scenario's `dns` section plus what any real network would
//! have without anyone writing it down: every server node gets an address
//! (its `address`, or the next free one in 192.0.2.0/24, the documentation
//! range), an A record under its name and a PTR record for that address.
//! Mail clients get addresses in 203.0.113.0/24 and no names, like a laptop
//! on a home connection. Records the scenario writes itself always win.
//!
//! Lookups are answered by [`World`](super::world::World), which records each
//! question and answer in the trace: routing decisions come from these
//! answers, never from the node list directly.

use std::collections::BTreeMap;

use crate::scenario::{DnsRecords, MxRecord, Scenario};

/// All records, by lowercased owner name.
#[derive(Debug, Clone, Default)]
pub struct Zone {
    records: BTreeMap<String, DnsRecords>,
    /// Node name by address, for connecting to what DNS returned.
    nodes_by_ip: BTreeMap<String, String>,
    /// Address by node name.
    ips: BTreeMap<String, String>,
}

impl Zone {
    pub fn build(scenario: &Scenario) -> Zone {
        let mut zone = Zone {
            records: scenario
                .dns
                .iter()
                .map(|(name, recs)| (normalise(name), recs.clone()))
                .collect(),
            ..Zone::default()
        };
        let taken: Vec<String> = scenario
            .nodes
            .values()
            .filter_map(|n| n.address.clone())
            .collect();
        let mut servers = (10u32..250)
            .map(|i| format!("192.0.2.{i}"))
            .filter(|ip| !taken.contains(ip));
        let mut clients = (10u32..250)
            .map(|i| format!("203.0.113.{i}"))
            .filter(|ip| !taken.contains(ip));
        for (name, node) in &scenario.nodes {
            let ip = match &node.address {
                Some(ip) => ip.clone(),
                None if node.role.is_server() => {
                    servers.next().unwrap_or_else(|| "198.51.100.1".into())
                }
                None => clients.next().unwrap_or_else(|| "198.51.100.2".into()),
            };
            zone.nodes_by_ip.insert(ip.clone(), name.clone());
            zone.ips.insert(name.clone(), ip.clone());
            if node.role.is_server() {
                let owner = normalise(name);
                let entry = zone.records.entry(owner).or_default();
                if entry.a.is_empty() {
                    entry.a.push(ip.clone());
                }
                let reverse = zone.records.entry(reverse_name(&ip)).or_default();
                if reverse.ptr.is_empty() {
                    reverse.ptr.push(name.to_ascii_lowercase());
                }
            }
        }
        zone
    }

    /// The address of a node.
    pub fn ip_of(&self, node: &str) -> String {
        self.ips.get(node).cloned().unwrap_or_default()
    }

    /// The node listening at an address, if any.
    pub fn node_at(&self, ip: &str) -> Option<&str> {
        self.nodes_by_ip.get(ip).map(String::as_str)
    }

    /// The records of a name, if the name exists.
    pub fn get(&self, name: &str) -> Option<&DnsRecords> {
        self.records.get(&normalise(name))
    }

    /// MX records of `name`, sorted by preference (then by host, so equal
    /// preferences have a fixed order in this deterministic world).
    pub fn mx(&self, name: &str) -> Option<Vec<MxRecord>> {
        let mut mx = self.get(name)?.mx.clone();
        mx.sort_by(|a, b| (a.preference, &a.host).cmp(&(b.preference, &b.host)));
        Some(mx)
    }
}

/// Lowercase, without a trailing dot.
pub fn normalise(name: &str) -> String {
    name.trim_end_matches('.').to_ascii_lowercase()
}

/// `192.0.2.10` → `10.2.0.192.in-addr.arpa`.
pub fn reverse_name(ip: &str) -> String {
    let mut parts: Vec<&str> = ip.split('.').collect();
    parts.reverse();
    format!("{}.in-addr.arpa", parts.join("."))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reverse_names_follow_in_addr_arpa() {
        assert_eq!(reverse_name("192.0.2.10"), "10.2.0.192.in-addr.arpa");
    }
}

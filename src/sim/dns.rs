//! The DNS of a simulated world.
//!
//! The zone is the scenario's `dns` section plus what any real network would
//! have without anyone writing it down: every server node gets an address
//! (its `address`, or the next free one in 192.0.2.0/24, the documentation
//! range), an A record under its name and each of its `aliases`, and a PTR
//! record for that address.
//! Mail clients get addresses in 203.0.113.0/24 and no names, like a laptop
//! on a home connection. A server with `tlsa` gets a DANE record for its
//! certificate's key. Records the scenario writes itself always win.
//!
//! The scenario's `blocklists` are zones too (RFC 5782): under
//! `dnsbl.example.test`, each listed address has an A record (its
//! `answer`) and a TXT record (its `reason`) at its reversed name
//! (`7.5.18.198.dnsbl.example.test`), the test address 127.0.0.2 is always
//! listed, and anything else does not exist.
//!
//! Lookups are answered by [`World`](super::world::World), which records each
//! question and answer in the trace: routing decisions come from these
//! answers, never from the node list directly.

use std::collections::BTreeMap;

use std::net::Ipv4Addr;

use crate::policy::auth::keys::{Algorithm, key_for};
use crate::policy::cidr::Cidr;
use crate::policy::dns::{Answer, Rtype};
use crate::scenario::{Blocklist, DnsRecords, KeyAlgorithm, MxRecord, Scenario, SrvRecord};
use crate::tls::pki::Pki;

/// All records, by lowercased owner name.
#[derive(Debug, Clone, Default)]
pub struct Zone {
    records: BTreeMap<String, DnsRecords>,
    /// Blocklist zones (lowercased) and their entries.
    blocklists: BTreeMap<String, Vec<Listing>>,
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
        let mut servers =
            address_pool("192.0.2", "198.51.100", 64).filter(|ip| !taken.contains(ip));
        let mut clients =
            address_pool("203.0.113", "198.18.0", 96).filter(|ip| !taken.contains(ip));
        for (name, node) in &scenario.nodes {
            let ip = match &node.address {
                Some(ip) => ip.clone(),
                None if node.role.is_server() => servers.next().unwrap_or_default(),
                None => clients.next().unwrap_or_default(),
            };
            zone.nodes_by_ip.insert(ip.clone(), name.clone());
            zone.ips.insert(name.clone(), ip.clone());
            if node.role.is_server() {
                for owner in std::iter::once(name).chain(&node.aliases) {
                    let entry = zone.records.entry(normalise(owner)).or_default();
                    if entry.a.is_empty() {
                        entry.a.push(ip.clone());
                    }
                }
                let reverse = zone.records.entry(reverse_name(&ip)).or_default();
                if reverse.ptr.is_empty() {
                    reverse.ptr.push(name.to_ascii_lowercase());
                }
            }
        }
        for list in &scenario.blocklists {
            zone.blocklists
                .entry(normalise(&list.zone))
                .or_default()
                .push(Listing::of(list));
        }
        zone.publish_keys(scenario);
        zone
    }
}

/// One entry of a blocklist zone: the ranges it lists and what it answers.
#[derive(Debug, Clone)]
struct Listing {
    ranges: Vec<Cidr>,
    answer: String,
    reason: Option<String>,
}

impl Listing {
    fn of(list: &Blocklist) -> Listing {
        Listing {
            // Loading refused bad ranges; one that slipped through lists nothing.
            ranges: list
                .list
                .iter()
                .filter_map(|r| Cidr::parse(r).ok())
                .collect(),
            answer: list.answer.clone(),
            reason: list.reason.clone(),
        }
    }
}

impl Zone {
    /// The public DKIM and ARC keys of the domains nodes sign for, as TXT
    /// records at `<selector>._domainkey.<domain>`, where the scenario
    /// wrote no record of its own at that name.
    fn publish_keys(&mut self, scenario: &Scenario) {
        for node in scenario.nodes.values() {
            let keys = node
                .dkim
                .iter()
                .map(|d| (&d.domain, &d.selector, algorithm(d.algorithm)))
                .chain(
                    node.arc
                        .iter()
                        .map(|a| (&a.domain, &a.selector, Algorithm::Rsa)),
                );
            for (domain, selector, alg) in keys {
                let owner = normalise(&format!("{selector}._domainkey.{domain}"));
                let entry = self.records.entry(owner).or_default();
                if entry.txt.is_empty() {
                    entry
                        .txt
                        .push(key_for(scenario.seed, domain, selector, alg).record.clone());
                }
            }
        }
    }

    /// The DANE records of servers with `tlsa` (RFC 7672 section 2.2.3):
    /// `_25._tcp.<node> TLSA 3 1 1`, the SHA-256 of the key of the
    /// certificate `pki` issues the node (what it presents, valid or not),
    /// where the scenario wrote no record of its own at that name. Apart
    /// from [`Zone::build`] because the CA comes after the zone.
    pub fn publish_tlsa(&mut self, scenario: &Scenario, pki: &Pki) {
        use crate::policy::dane;
        for (name, node) in &scenario.nodes {
            if !(node.tlsa && node.role.is_server()) {
                continue;
            }
            let entry = self
                .records
                .entry(normalise(&dane::record_name(name)))
                .or_default();
            if !entry.tlsa.is_empty() {
                continue;
            }
            // A name no certificate can carry has no TLS, and no record.
            let Ok(cert) = pki.certificate(name, &node.aliases, node.certificate) else {
                continue;
            };
            if let Ok(record) = dane::record_for(&cert, dane::DANE_EE, dane::SPKI, dane::SHA2_256) {
                entry.tlsa.push(record.to_string());
            }
        }
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

    /// The answer to a policy's question (`policy::dns`): the records of
    /// `rtype` at `name`; NODATA where the name exists without them (also
    /// an empty non-terminal such as `_domainkey.example.test` above a key);
    /// NXDOMAIN where nothing is at or below the name.
    pub fn answer(&self, name: &str, rtype: Rtype) -> Answer {
        let owner = normalise(name);
        if let Some(answer) = self.blocklist_answer(&owner, rtype) {
            return answer;
        }
        let Some(records) = self.records.get(&owner) else {
            // Names below `owner` do not sort after it (`_25._tcp.x` comes
            // before `_tcp.x`), so every name is looked at.
            let below = format!(".{owner}");
            let exists = self.records.keys().any(|k| k.ends_with(&below));
            return if exists {
                Answer::NoData
            } else {
                Answer::NxDomain
            };
        };
        let found: Vec<String> = match rtype {
            Rtype::A => records.a.clone(),
            Rtype::Aaaa => Vec::new(),
            Rtype::Mx => self
                .mx(&owner)
                .unwrap_or_default()
                .into_iter()
                .map(|m| format!("{} {}", m.preference, m.host))
                .collect(),
            Rtype::Txt => records.txt.clone(),
            Rtype::Ptr => records.ptr.clone(),
            Rtype::Tlsa => records.tlsa.clone(),
        };
        if found.is_empty() {
            Answer::NoData
        } else {
            Answer::Records(found)
        }
    }

    /// The answer of a blocklist zone, when `owner` is at or under one:
    /// NODATA at the zone's own name; under it, the A records (answers)
    /// and TXT records (reasons) of every entry that lists the reversed
    /// address, the test entry for 127.0.0.2 (RFC 5782 section 5), and
    /// NXDOMAIN for an address no entry lists.
    fn blocklist_answer(&self, owner: &str, rtype: Rtype) -> Option<Answer> {
        let (zone, entries) = self
            .blocklists
            .iter()
            .find(|(zone, _)| owner == zone.as_str() || owner.ends_with(&format!(".{zone}")))?;
        if owner == zone.as_str() {
            return Some(Answer::NoData);
        }
        let prefix = &owner[..owner.len() - zone.len() - 1];
        let Some(ip) = reversed_ipv4(prefix) else {
            return Some(Answer::NxDomain);
        };
        let mut answers: Vec<String> = Vec::new();
        let mut reasons: Vec<String> = Vec::new();
        let mut add = |answer: &str, reason: Option<&str>| {
            if !answers.iter().any(|a| a == answer) {
                answers.push(answer.to_string());
            }
            if let Some(r) = reason
                && !reasons.iter().any(|x| x == r)
            {
                reasons.push(r.to_string());
            }
        };
        if ip.to_string() == Blocklist::TEST_ADDRESS {
            add(Blocklist::TEST_ANSWER, Some(Blocklist::TEST_REASON));
        }
        for entry in entries
            .iter()
            .filter(|e| e.ranges.iter().any(|r| r.contains(ip)))
        {
            add(&entry.answer, entry.reason.as_deref());
        }
        let found = match rtype {
            _ if answers.is_empty() => return Some(Answer::NxDomain),
            Rtype::A => answers,
            Rtype::Txt => reasons,
            _ => Vec::new(),
        };
        Some(if found.is_empty() {
            Answer::NoData
        } else {
            Answer::Records(found)
        })
    }

    /// SRV records of `name`, in the zone's order (a client orders them:
    /// see `proto::discover::srv`).
    pub fn srv(&self, name: &str) -> Option<Vec<SrvRecord>> {
        Some(self.get(name)?.srv.clone())
    }

    /// MX records of `name`, sorted by preference (then by host, so equal
    /// preferences have a fixed order in this deterministic world).
    pub fn mx(&self, name: &str) -> Option<Vec<MxRecord>> {
        let mut mx = self.get(name)?.mx.clone();
        mx.sort_by(|a, b| (a.preference, &a.host).cmp(&(b.preference, &b.host)));
        Some(mx)
    }
}

/// An MX record's data in presentation form, `10 mx.example.test`, as
/// preference and host (no trailing dot); `None` for anything else.
pub fn parse_mx(text: &str) -> Option<(u16, String)> {
    let (preference, host) = text.trim().split_once(' ')?;
    let host = host.trim().trim_end_matches('.');
    Some((preference.parse().ok()?, host.to_string()))
}

/// A TXT record's text in zone-file form: quoted strings of at most 255
/// octets each (RFC 1035 section 3.3.14), `"` and `\` escaped.
pub fn quote_txt(text: &str) -> String {
    let bytes = text.as_bytes();
    let mut out = Vec::new();
    for chunk in bytes.chunks(255) {
        let mut s = String::from("\"");
        for c in String::from_utf8_lossy(chunk).chars() {
            if c == '"' || c == '\\' {
                s.push('\\');
            }
            s.push(c);
        }
        s.push('"');
        out.push(s);
    }
    if out.is_empty() {
        out.push("\"\"".into());
    }
    out.join(" ")
}

/// `7.5.18.198` → 198.18.5.7: the address a blocklist name asks about.
fn reversed_ipv4(prefix: &str) -> Option<Ipv4Addr> {
    let labels: Vec<&str> = prefix.split('.').collect();
    let [d, c, b, a] = labels.as_slice() else {
        return None;
    };
    let octet = |l: &str| -> Option<u8> {
        (!l.is_empty() && l.len() <= 3 && l.bytes().all(|b| b.is_ascii_digit()))
            .then(|| l.parse().ok())
            .flatten()
    };
    Some(Ipv4Addr::new(octet(a)?, octet(b)?, octet(c)?, octet(d)?))
}

/// The key algorithm a scenario names, as the policy draws it.
pub fn algorithm(a: KeyAlgorithm) -> Algorithm {
    match a {
        KeyAlgorithm::Rsa => Algorithm::Rsa,
        KeyAlgorithm::Ed25519 => Algorithm::Ed25519,
    }
}

/// Lowercase, without a trailing dot.
pub fn normalise(name: &str) -> String {
    name.trim_end_matches('.').to_ascii_lowercase()
}

/// Addresses handed to nodes without one: `first.10` to `first.249` (a
/// documentation range, what students see in every small scenario), then
/// `second.10`–`second.249`, then the shared address space 100.`third`.0.0/10
/// onwards, so a scenario of any size gets distinct addresses.
fn address_pool(
    first: &'static str,
    second: &'static str,
    third: u32,
) -> impl Iterator<Item = String> {
    let small = |net: &'static str| (10u32..250).map(move |i| format!("{net}.{i}"));
    // 32 × 256 × 254 addresses: 100.third.0.1 up to 100.(third+31).255.254.
    let large = (0u32..32 * 256 * 254).map(move |n| {
        let (host, rest) = (n % 254 + 1, n / 254);
        format!("100.{}.{}.{host}", third + rest / 256, rest % 256)
    });
    small(first).chain(small(second)).chain(large)
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
    fn the_address_pool_never_hands_out_an_address_twice() {
        let servers: Vec<String> = address_pool("192.0.2", "198.51.100", 64)
            .take(100_000)
            .collect();
        let clients: Vec<String> = address_pool("203.0.113", "198.18.0", 96)
            .take(100_000)
            .collect();
        let all: std::collections::BTreeSet<&String> = servers.iter().chain(&clients).collect();
        assert_eq!(all.len(), 200_000);
        assert_eq!(servers[0], "192.0.2.10");
        assert_eq!(servers[240], "198.51.100.10");
        assert_eq!(servers[480], "100.64.0.1");
        assert!(
            all.iter()
                .all(|ip| ip.parse::<std::net::Ipv4Addr>().is_ok())
        );
    }

    #[test]
    fn policy_questions_tell_nodata_from_nxdomain() {
        let scenario: Scenario = serde_json::from_str(
            r#"{"id": "z", "title": {"en": "z", "pt": "z"}, "nodes": {},
                "dns": {"example.test": {"TXT": ["v=spf1 -all"]},
                        "sel._domainkey.example.test": {"TXT": ["v=DKIM1; p="]}}}"#,
        )
        .expect("a scenario");
        let zone = Zone::build(&scenario);
        assert_eq!(
            zone.answer("Example.Test.", Rtype::Txt),
            Answer::Records(vec!["v=spf1 -all".into()])
        );
        assert_eq!(zone.answer("example.test", Rtype::A), Answer::NoData);
        assert_eq!(
            zone.answer("_domainkey.example.test", Rtype::Txt),
            Answer::NoData
        );
        assert_eq!(
            zone.answer("_dmarc.example.test", Rtype::Txt),
            Answer::NxDomain
        );
    }

    #[test]
    fn tlsa_records_are_written_or_published_from_the_certificate() {
        use crate::policy::dane;
        let scenario: Scenario = serde_json::from_str(
            r#"{"id": "z", "title": {"en": "z", "pt": "z"},
                "nodes": {"mx.b.test": {"role": "mda", "tlsa": true, "certificate": "self-signed"},
                          "mx.c.test": {"role": "mda", "tlsa": true},
                          "mx.d.test": {"role": "mda"}},
                "dns": {"_25._tcp.mx.c.test": {"TLSA": ["3 1 1 00"]}}}"#,
        )
        .expect("a scenario");
        let pki = Pki::new(scenario.seed, 1_767_603_600);
        let mut zone = Zone::build(&scenario);
        zone.publish_tlsa(&scenario, &pki);
        let Answer::Records(published) = zone.answer("_25._tcp.MX.b.test.", Rtype::Tlsa) else {
            panic!("a published record");
        };
        let record = dane::parse(&published[0]).expect("presentation form");
        assert_eq!((record.usage, record.selector, record.matching), (3, 1, 1));
        let presented = pki
            .certificate("mx.b.test", &[], crate::scenario::Certificate::SelfSigned)
            .expect("a certificate");
        assert_eq!(
            dane::check(&[record], &[presented], "mx.b.test"),
            dane::Verdict::Match { record: 0 },
            "the record describes what the server presents, self-signed or not"
        );
        assert_eq!(
            zone.answer("_25._tcp.mx.c.test", Rtype::Tlsa),
            Answer::Records(vec!["3 1 1 00".into()]),
            "the scenario's own record wins"
        );
        assert_eq!(zone.answer("_tcp.mx.b.test", Rtype::Tlsa), Answer::NoData);
        assert_eq!(
            zone.answer("_25._tcp.mx.d.test", Rtype::Tlsa),
            Answer::NxDomain,
            "no tlsa, no record"
        );
        assert_eq!(zone.answer("mx.b.test", Rtype::Tlsa), Answer::NoData);
    }

    #[test]
    fn blocklist_zones_answer_as_rfc5782_says() {
        let scenario: Scenario = serde_json::from_str(
            r#"{"id": "z", "title": {"en": "z", "pt": "z"}, "nodes": {},
                "blocklists": [
                  {"zone": "dnsbl.example.test", "list": ["198.18.5.0/24"], "answer": "127.0.0.11",
                   "reason": "Home line", "dynamic": true},
                  {"zone": "dnsbl.example.test", "list": ["198.18.5.7"], "reason": "Seen spamming"}]}"#,
        )
        .expect("a scenario");
        let zone = Zone::build(&scenario);
        let records = |v: &[&str]| Answer::Records(v.iter().map(|s| s.to_string()).collect());
        assert_eq!(
            zone.answer("7.5.18.198.dnsbl.example.test", Rtype::A),
            records(&["127.0.0.11", "127.0.0.2"])
        );
        assert_eq!(
            zone.answer("7.5.18.198.DNSBL.example.test.", Rtype::Txt),
            records(&["Home line", "Seen spamming"])
        );
        assert_eq!(
            zone.answer("8.5.18.198.dnsbl.example.test", Rtype::A),
            records(&["127.0.0.11"])
        );
        assert_eq!(
            zone.answer("8.5.18.198.dnsbl.example.test", Rtype::Mx),
            Answer::NoData
        );
        assert_eq!(
            zone.answer("7.6.18.198.dnsbl.example.test", Rtype::A),
            Answer::NxDomain
        );
        assert_eq!(
            zone.answer("2.0.0.127.dnsbl.example.test", Rtype::A),
            records(&["127.0.0.2"]),
            "the test entry every list holds"
        );
        assert_eq!(
            zone.answer("2.0.0.127.dnsbl.example.test", Rtype::Txt),
            records(&["RFC 5782 test entry"])
        );
        assert_eq!(
            zone.answer("1.0.0.127.dnsbl.example.test", Rtype::A),
            Answer::NxDomain,
            "127.0.0.1 is never listed"
        );
        assert_eq!(zone.answer("dnsbl.example.test", Rtype::A), Answer::NoData);
        assert_eq!(
            zone.answer("x.5.18.198.dnsbl.example.test", Rtype::A),
            Answer::NxDomain
        );
        assert_eq!(
            zone.answer("300.5.18.198.dnsbl.example.test", Rtype::A),
            Answer::NxDomain
        );
    }

    #[test]
    fn txt_records_are_quoted_in_strings_of_255() {
        assert_eq!(quote_txt(r#"a "b" \ c"#), r#""a \"b\" \\ c""#);
        let long = "x".repeat(300);
        assert_eq!(
            quote_txt(&long),
            format!("\"{}\" \"{}\"", "x".repeat(255), "x".repeat(45))
        );
    }

    #[test]
    fn reverse_names_follow_in_addr_arpa() {
        assert_eq!(reverse_name("192.0.2.10"), "10.2.0.192.in-addr.arpa");
    }
}

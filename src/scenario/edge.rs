//! The scenario format of the network's edge: how a receiving server judges
//! the machines that connect to it (`checks`), the DNS blocklists it asks
//! (`blocklists`), what a provider's network lets its customers do
//! (`networks`), and where an inbound gateway sends each recipient
//! (`routes`).

use schemars::JsonSchema;
use serde::{Deserialize, Serialize};

use super::duration::Duration;

/// How a server judges the machines that connect to its port 25 before it takes their mail.
/// With `checks`, it looks every such client up once per connection, after HELO: the reverse
/// DNS name (PTR) of its address and whether that name leads back to the address
/// (forward-confirmed reverse DNS), the HELO name, and the listed `blocklists`; the player
/// shows what it found. Each setting below says what it refuses; refusals come at RCPT, as
/// Postfix gives them with `smtpd_delay_reject = yes`, in this order: blocklists, dynamic
/// addresses, reverse DNS, HELO, then greylisting. Logged-in users and `relay_for` clients
/// are never refused by these checks.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct Checks {
    /// Refuse, for now (450 4.7.25), a client whose address has no reverse DNS name (`ptr`,
    /// Postfix's `reject_unknown_reverse_client_hostname`), or whose name does not lead back
    /// to its address either (`fcrdns`, `reject_unknown_client_hostname`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub reverse_dns: Option<ReverseDns>,
    /// Refuse a HELO or EHLO name that is malformed (501), not a fully qualified domain name
    /// (504), or a name with no address in DNS (450), as Postfix's `reject_invalid_`,
    /// `reject_non_fqdn_` and `reject_unknown_helo_hostname` do. An address literal such as
    /// `[198.18.5.7]` is allowed by the standard and is only noted.
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    pub helo: bool,
    /// Blocklist zones (each one a `zone` of the scenario's `blocklists`) asked about every
    /// client, as RFC 5782 says; a client listed in any of them is refused with `554 5.7.1
    /// Service unavailable; Client host [address] blocked using <zone>; <reason>`.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub blocklists: Vec<String>,
    /// Refuse clients on dynamic addresses (home lines): a reverse DNS name made for a home
    /// line (the address written into it, as in `198-18-5-7.dsl.isp.test`, or words such as
    /// `dsl`, `cable`, `dyn`, `pool`), or a listing in one of this server's blocklists marked
    /// `dynamic`. Such machines should send through their provider's server.
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    pub reject_dynamic: bool,
    /// Greylist strangers for this long (postgrey's default is `5m`): the first time a client
    /// address, a sender and a recipient come together, the answer to RCPT is `451 4.7.1`;
    /// the same three are accepted when they come back after the delay, within two days
    /// (postgrey's retry window), and without delay from then on. A mail server retries and
    /// gets through; a program that sends only once is gone.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub greylist: Option<Duration>,
}

impl Checks {
    /// postgrey's `--retry-window`: a first attempt is forgotten if nobody
    /// comes back within it.
    pub const RETRY_WINDOW: Duration = Duration::from_secs(2 * 24 * 3600);
    /// postgrey's `--max-age`: a triplet that passed is remembered this
    /// long after it was last seen.
    pub const MAX_AGE: Duration = Duration::from_secs(35 * 24 * 3600);
}

/// How much reverse DNS a server requires of its clients.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "lowercase")]
pub enum ReverseDns {
    /// The address has a reverse DNS name (a PTR record).
    Ptr,
    /// The address has a reverse DNS name, and that name's A record holds the address:
    /// forward-confirmed reverse DNS.
    Fcrdns,
}

/// A DNS blocklist (DNSBL, RFC 5782): a zone that answers, for each listed address, an A
/// record in 127.0.0.0/8 under the address's reversed form (`7.5.18.198.<zone>` for
/// 198.18.5.7), and a TXT record with the reason. Like every real list, it also lists the test
/// address 127.0.0.2 and never 127.0.0.1.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct Blocklist {
    /// The zone's DNS name, for example `dnsbl.example.test`. Several entries may share a
    /// zone, each with its own `answer`, as one list answers 127.0.0.2 for spam sources and
    /// 127.0.0.11 for home lines.
    pub zone: String,
    /// The addresses listed: single addresses or ranges in CIDR form, such as
    /// `198.18.5.0/24` for a provider's whole block of home lines.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub list: Vec<String>,
    /// The A record a listed address gets, in 127.0.0.0/8 (but not 127.0.0.1).
    #[serde(default = "default_answer")]
    pub answer: String,
    /// The TXT record of a listed address: why it is listed, usually with a web page to look it
    /// up. Quoted as it is in the refusal a server gives. Left out: no TXT record.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub reason: Option<String>,
    /// This list names dynamic addresses (home lines that should not send mail directly, like
    /// Spamhaus's PBL) rather than addresses caught sending spam.
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    pub dynamic: bool,
}

impl Blocklist {
    /// RFC 5782 section 5: the address every IPv4 list holds, for testing.
    pub const TEST_ADDRESS: &str = "127.0.0.2";
    /// The answer and reason the test address gets.
    pub const TEST_ANSWER: &str = "127.0.0.2";
    pub const TEST_REASON: &str = "RFC 5782 test entry";
}

fn default_answer() -> String {
    "127.0.0.2".into()
}

/// A provider's network and what it lets its customers do. A node is on the network when its
/// `address` is in the `range`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct Network {
    /// A name for the network, shown when its rule stops a connection (for example
    /// `home-isp`).
    pub name: String,
    /// Its addresses, in CIDR form, for example `198.18.5.0/24`.
    pub range: String,
    /// Block connections from this network to port 25 of every server but those in
    /// `except`, as many providers of home lines do to keep infected machines from sending
    /// spam. The connection is dropped, not refused: the machine waits 30 seconds for an
    /// answer that never comes. Submission ports (587, 465) stay open.
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    pub block_outbound_smtp: bool,
    /// Servers (node names) still reachable on port 25: the provider's own mail server.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub except: Vec<String>,
}

/// A rule of an inbound gateway: recipients it matches go to this internal server.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct Route {
    /// `@sales.example.test` for every address of that domain, or one address such as
    /// `ceo@example.test`; letter case does not matter.
    #[serde(rename = "match")]
    pub pattern: String,
    /// The server (node name) that gets these recipients.
    pub to: String,
}

impl Route {
    /// Whether this rule takes `recipient`.
    pub fn matches(&self, recipient: &str) -> bool {
        match self.pattern.strip_prefix('@') {
            Some(domain) => recipient
                .rsplit_once('@')
                .is_some_and(|(_, d)| d.eq_ignore_ascii_case(domain)),
            None => recipient.eq_ignore_ascii_case(&self.pattern),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_route_matches_a_domain_or_one_address() {
        let sales = Route {
            pattern: "@sales.example.test".into(),
            to: "mx1".into(),
        };
        assert!(sales.matches("Ana@Sales.Example.Test"));
        assert!(!sales.matches("ana@example.test"));
        assert!(!sales.matches("ana@presales.example.test"));
        let ceo = Route {
            pattern: "ceo@example.test".into(),
            to: "mx2".into(),
        };
        assert!(ceo.matches("CEO@example.test"));
        assert!(!ceo.matches("cfo@example.test"));
    }
}

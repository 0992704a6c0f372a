//! The scenario file format: what an instructor writes.
//!
//! These types are the contract between a scenario file and the world that
//! runs it. Every struct rejects unknown fields, so a misspelt key is an
//! error with a location rather than a silently ignored setting. The doc
//! comments double as the descriptions an editor shows from `mailhop schema`.

use std::collections::BTreeMap;

use schemars::JsonSchema;
use serde::{Deserialize, Serialize};

use super::duration::Duration;
pub use super::edge::{Blocklist, Checks, Network, ReverseDns, Route};
use super::expect::Expectation;
pub use super::senders::*;
pub use super::tls_policy::*;
pub use crate::proto::smtp::server::Phase;

/// A small world of mail clients, servers and DNS, and what happens in it.
#[derive(Debug, Clone, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct Scenario {
    /// Path or URL of the JSON Schema, for editors (`mailhop schema > scenario.schema.json`).
    #[serde(rename = "$schema", default, skip_serializing_if = "Option::is_none")]
    pub schema: Option<String>,
    /// Short identifier, lowercase with dashes, unique in a scenario library (used in URLs).
    pub id: String,
    /// Title shown in the gallery and on top of the player.
    pub title: Text,
    /// One or two sentences on what the scenario teaches.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub description: Option<Text>,
    /// Seed for every random choice in the run (TLS randomness included). Same seed, same trace.
    #[serde(default)]
    pub seed: u64,
    /// Wall-clock date at virtual time 0, in UTC, `YYYY-MM-DDTHH:MM:SSZ`. Used in Received and
    /// Date headers and for certificate validity.
    #[serde(default = "default_start")]
    pub start: String,
    /// The run stops at this virtual time even if messages are still queued (for example `7d`).
    #[serde(default = "default_until")]
    pub until: Duration,
    /// One-way latency of every link unless `links` says otherwise (for example `20ms`).
    #[serde(default = "default_latency")]
    pub latency: Duration,
    /// Latency of particular links between two nodes.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub links: Vec<Link>,
    /// The machines of the world, by name. Server names are their DNS host names.
    pub nodes: BTreeMap<String, Node>,
    /// DNS zone: records by owner name. Every server node also gets an A and a PTR record
    /// for its own name automatically, unless the zone gives them.
    #[serde(default, skip_serializing_if = "BTreeMap::is_empty")]
    pub dns: BTreeMap<String, DnsRecords>,
    /// DNS blocklists (RFC 5782) the zone serves: which addresses each one lists, with what
    /// answer and reason. Servers ask the ones their `checks` name.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub blocklists: Vec<Blocklist>,
    /// Providers' networks and their rules, such as a home-line provider that blocks port 25
    /// towards every server but its own.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub networks: Vec<Network>,
    /// Zones signed with DNSSEC (`["b.test"]`: b.test and every name under it). A server
    /// that validates (`tls_policy.dane`) trusts their answers as authentic, which DANE
    /// needs, and refuses forged ones. Answers from other zones are unsigned: a forger on the
    /// path can change them unnoticed.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub dnssec: Vec<String>,
    /// Things that go wrong on purpose: a node down for a while.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub faults: Vec<Fault>,
    /// What people do, at which virtual time.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub script: Vec<ScriptStep>,
    /// Narration shown by the player at given moments.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub captions: Vec<Caption>,
    /// What this scenario claims about its run, checked by `mailhop test`: deliveries,
    /// bounces, hops and their channels, who could read the message, what the wire shows,
    /// reply codes, headers.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub expect: Vec<Expectation>,
}

/// A text in English and Brazilian Portuguese.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct Text {
    /// English.
    pub en: String,
    /// Brazilian Portuguese.
    pub pt: String,
}

/// What a machine does in the mail system.
#[derive(
    Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize, JsonSchema,
)]
#[serde(rename_all = "kebab-case")]
pub enum Role {
    /// Mail user agent: a person's mail program. Submits on port 587 with STARTTLS and AUTH.
    Mua,
    /// Mail submission agent: takes mail from authenticated users on port 587 and sends it on.
    Msa,
    /// Mail transfer agent: queues, retries and routes mail on port 25.
    Mta,
    /// A provider's outgoing relay: sends mail on for its customers (`relay_for`).
    Smarthost,
    /// A hosted spam filter published as a domain's MX; forwards clean mail to the real server.
    SpamFilter,
    /// A backup MX: holds mail while the primary server is down, delivers it when it returns.
    SecondaryMx,
    /// An organisation's inbound gateway: routes mail to one of several internal servers.
    Gateway,
    /// Mail delivery agent: the server that holds the mailboxes.
    Mda,
    /// Someone on the network path of other machines (`on_path`): records what crosses
    /// their links and, when told to, changes it (`strip_starttls`, `forge_dns`). Not a
    /// server: it has no address and runs nothing.
    Attacker,
}

impl Role {
    /// Every role, in the order of the table in the docs.
    pub const ALL: [Role; 9] = [
        Role::Mua,
        Role::Msa,
        Role::Mta,
        Role::Smarthost,
        Role::SpamFilter,
        Role::SecondaryMx,
        Role::Gateway,
        Role::Mda,
        Role::Attacker,
    ];

    /// The name used in scenario files.
    pub fn as_str(self) -> &'static str {
        match self {
            Role::Mua => "mua",
            Role::Msa => "msa",
            Role::Mta => "mta",
            Role::Smarthost => "smarthost",
            Role::SpamFilter => "spam-filter",
            Role::SecondaryMx => "secondary-mx",
            Role::Gateway => "gateway",
            Role::Mda => "mda",
            Role::Attacker => "attacker",
        }
    }

    /// Whether nodes of this role listen for SMTP.
    pub fn is_server(self) -> bool {
        !matches!(self, Role::Mua | Role::Attacker)
    }
}

/// Whether a server offers STARTTLS, and whether it insists on it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "kebab-case")]
pub enum StartTls {
    /// Never offers STARTTLS and never uses it when sending: every byte in plaintext.
    None,
    /// Offers STARTTLS when receiving and uses it when the next server offers it (opportunistic).
    #[default]
    Offer,
    /// Refuses mail until the client has started TLS, and defers mail for servers that do not offer it.
    Require,
}

/// The certificate a server presents during STARTTLS.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "kebab-case")]
pub enum Certificate {
    /// Issued by the simulation's CA for the node's name, currently valid.
    #[default]
    Valid,
    /// Issued by the CA for the node's name, but its validity ended before the scenario starts.
    Expired,
    /// Issued by the CA, currently valid, but for another host name.
    WrongName,
    /// Signed by the server itself: no CA vouches for it.
    SelfSigned,
}

/// One machine: a mail client or a server.
#[derive(Debug, Clone, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct Node {
    /// What this machine does.
    pub role: Role,
    /// For a mua: the address of the person who uses it.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub user: Option<String>,
    /// For a mua: the password it uses for AUTH at its submission server.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub password: Option<String>,
    /// For a mua: the server (node name) it submits mail to.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub submit: Option<String>,
    /// For a mua: the port it submits to (587 is submission with STARTTLS; 25 also works
    /// where the server accepts it).
    #[serde(default = "default_submit_port")]
    pub submit_port: u16,
    /// For a mua: where and how it reads its user's mail (`fetch` steps of the script).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub fetch: Option<Fetch>,
    /// IPv4 address of a server. Given automatically from 192.0.2.0/24 when left out.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub address: Option<String>,
    /// Other host names of a server, such as `imap.example.test` or `autoconfig.example.test`:
    /// each gets an A record for the server's address (unless `dns` gives it one), and the
    /// server's certificate names them all, so a client that reached it by one of them can
    /// check it.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub aliases: Vec<String>,
    /// Addresses with a mailbox on this server (an mda, or an mta that delivers locally).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub mailboxes: Vec<String>,
    /// Submission accounts (address to password). A server with accounts also listens on 587
    /// and requires AUTH there.
    #[serde(default, skip_serializing_if = "BTreeMap::is_empty")]
    pub accounts: BTreeMap<String, String>,
    /// Domains this server accepts mail for from anyone, to pass on (spam filter, backup MX,
    /// gateway).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub relay_domains: Vec<String>,
    /// Nodes allowed to send mail anywhere through this server without AUTH (a smarthost's
    /// customers).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub relay_for: Vec<String>,
    /// Relay mail to any domain for any client, without a login: an open relay. This is a
    /// misconfiguration, here to show why spammers hunt for such servers (RFC 2505, RFC 5321
    /// section 7.1). Left out (false), strangers get 554 5.7.1 Relay access denied.
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    pub open_relay: bool,
    /// Send all mail that is not delivered here through this smarthost instead of looking up MX.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub relay: Option<String>,
    /// Fixed next hops for mail to `relay_domains`, tried in order (the first that answers
    /// takes it).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub forward: Vec<String>,
    /// An inbound gateway's rules: each recipient goes to the server of the first rule that
    /// matches it (`{"match": "@sales.example.test", "to": "mx-sales.example.test"}`);
    /// recipients no rule matches go to `forward`.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub routes: Vec<Route>,
    /// STARTTLS policy, both as a server and when sending.
    #[serde(default)]
    pub starttls: StartTls,
    /// The certificate this server presents.
    #[serde(default)]
    pub certificate: Certificate,
    /// Publish a DANE record for this server (RFC 7672): `_25._tcp.<name> TLSA 3 1 1` with the
    /// SHA-256 of the public key of the certificate it presents, unless `dns` writes records at
    /// that name. A DANE-EE record (usage 3) pins the key itself, so a sender that checks it
    /// looks at neither the certificate's names nor its dates: a self-signed or expired
    /// certificate passes, another server's key does not.
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    pub tlsa: bool,
    /// Offer REQUIRETLS (RFC 8689) in EHLO once TLS is up: a client may then send a message
    /// with `MAIL FROM:<a> REQUIRETLS`, asking that every hop after this one use TLS with a
    /// checked certificate, or give the message back (5.7.30) rather than send it in the clear.
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    pub requiretls: bool,
    /// When sending, whether to check the next server's certificate and give up on a bad one.
    /// Mail clients check by default; servers talking to servers do not (opportunistic TLS).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub verify_tls: Option<bool>,
    /// How this server retries mail it could not pass on.
    #[serde(default)]
    pub retry: Retry,
    /// What listens on which port, for example `{"25": "smtp", "465": "submissions"}`.
    /// Left out: 25 for every server, 587 for an msa or a server with accounts, and any port
    /// a mail client submits to.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub listen: Option<BTreeMap<u16, Service>>,
    /// The largest message this server accepts, in bytes (advertised with SIZE; Postfix's
    /// `message_size_limit`).
    #[serde(default = "default_message_size_limit")]
    pub message_size_limit: usize,
    /// The mailbox that receives mail for `postmaster` (RFC 5321 section 4.5.1). Left out: the
    /// first mailbox on this server.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub postmaster: Option<String>,
    /// On submission, refuse a MAIL FROM that is not the logged-in user's address (Postfix's
    /// `reject_sender_login_mismatch`).
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    pub reject_sender_login_mismatch: bool,
    /// Bounce a message that already carries more Received headers than this: it is going
    /// round in a loop (Postfix's `hopcount_limit`).
    #[serde(default = "default_hop_limit")]
    pub hop_limit: usize,
    /// Tell the sender when a message has waited this long in the queue (an `Action: delayed`
    /// notice, Postfix's `delay_warning_time`). Left out: no warning.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub delay_warning: Option<Duration>,
    /// Keep a connection to a next hop open this long after a message, for the next message
    /// to the same host (Postfix's connection cache: `smtp_connection_cache_time_limit`,
    /// for example `"2s"`). The next message starts with RSET instead of a new connection,
    /// greeting and TLS handshake; a connection is not reused after 300 seconds. Left out:
    /// QUIT after every message.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub connection_cache: Option<Duration>,
    /// A web server on this node (HTTPS on port 443) with what mail clients read when they
    /// set up an account: the autoconfig file and Autodiscover's answer. `{}` is a web server
    /// that has neither, answering 404 Not Found.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub web: Option<Web>,
    /// Replies this server gives instead of its usual ones, during a time window: a 421 at the
    /// greeting, a 451 to RCPT, a 552 to DATA. For teaching transient and permanent failures.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub refuse: Vec<Refusal>,
    /// How this server judges the machines that connect to its port 25: reverse DNS, HELO,
    /// DNS blocklists, dynamic addresses, greylisting.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub checks: Option<Checks>,
    /// Sign the mail of a domain with DKIM as it leaves through this server.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub dkim: Option<Dkim>,
    /// Check SPF, DKIM, DMARC and ARC on mail from strangers (not on mail from logged-in
    /// users or `relay_for` clients), add an Authentication-Results header, and act on the
    /// From domain's DMARC policy. `{}` turns it on with the defaults.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub check_senders: Option<CheckSenders>,
    /// Seal with ARC the messages this server forwards (`forward_to`), recording the
    /// results it found, so a later receiver can trust them after forwarding broke SPF
    /// or DKIM.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub arc: Option<ArcKey>,
    /// Addresses this server forwards to another address, often at another provider
    /// (like a `.forward` file or an alias): `{"bob@old.test": "bob@new.test"}`. The
    /// message leaves again by SMTP; no copy stays here.
    #[serde(default, skip_serializing_if = "BTreeMap::is_empty")]
    pub forward_to: BTreeMap<String, String>,
    /// How `forward_to` forwards: the envelope sender rewritten (SRS), a footer added.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub forwarding: Option<Forwarding>,
    /// Score each message from strangers for spam (a hosted filter, or a mailbox server's
    /// own filter) and act on the score.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub spam: Option<Spam>,
    /// When sending to a domain by its MX records, what this server does to be sure it talks
    /// to the domain's real servers, encrypted: MTA-STS, DANE, and TLS reports. Left out:
    /// opportunistic STARTTLS, as most servers do.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub tls_policy: Option<TlsPolicy>,
    /// For a mua: its user has an OpenPGP key, for end-to-end encryption.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub pgp: Option<super::pgp::Pgp>,
    /// For an attacker: the machines whose network it sits on (their Wi-Fi, their
    /// provider's line). It sees every connection to or from them, byte for byte, and every
    /// DNS answer they get; what it sees inside TLS is only record sizes.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub on_path: Vec<String>,
    /// For an attacker: rewrite `STARTTLS` in the replies servers send to the machines it
    /// sits next to (to `XXXXXXXA`, as real stripping boxes do), so a client that would
    /// have encrypted sees no STARTTLS offered and goes on in plaintext, unless a policy
    /// (MTA-STS, DANE, `starttls: require`) makes it insist.
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    pub strip_starttls: bool,
    /// For an attacker: DNS answers it forges for the machines it sits next to, by owner
    /// name, replacing the real records of each type given (`{"b.test": {"MX": [{"preference":
    /// 5, "host": "mx.evil.test"}]}}`). A machine that validates DNSSEC (`dane`) sees a
    /// forged answer for a signed zone (`dnssec`) as bogus and refuses it.
    #[serde(default, skip_serializing_if = "BTreeMap::is_empty")]
    pub forge_dns: BTreeMap<String, DnsRecords>,
}

/// How a server protects the mail it sends to other domains (its `tls_policy`).
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct TlsPolicy {
    /// Follow the recipient domain's MTA-STS policy (RFC 8461): look up the `_mta-sts` TXT
    /// record, fetch the policy over HTTPS from `mta-sts.<domain>` and keep it for its
    /// `max_age`. Under `enforce`, mail goes only to MX hosts the policy lists, only over
    /// TLS with a certificate valid for their names; otherwise it waits in the queue.
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    pub mta_sts: bool,
    /// Validate DNSSEC and use DANE (RFC 7672): an MX host with TLSA records in a signed
    /// zone gets mail only over TLS with a certificate that matches them. DANE comes before
    /// MTA-STS when a domain has both (RFC 8461 section 2).
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    pub dane: bool,
    /// Send TLS reports (RFC 8460) to the domains that ask for them in a `_smtp._tls` TXT
    /// record: one report per domain and period (for example `1h`; real servers send one a
    /// day) with the sessions that succeeded and those that failed, and why.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub reports: Option<Duration>,
}

/// What a port runs.
#[derive(
    Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Serialize, Deserialize, JsonSchema,
)]
#[serde(rename_all = "kebab-case")]
pub enum Service {
    /// SMTP between servers (port 25): mail for local mailboxes and allowed relays, no AUTH.
    Smtp,
    /// Message submission (port 587, RFC 6409): STARTTLS, then AUTH is required.
    Submission,
    /// Submission over implicit TLS (port 465, RFC 8314): TLS from the first byte.
    Submissions,
    /// IMAP (port 143, RFC 9051): read mail where it is kept; STARTTLS before LOGIN.
    Imap,
    /// IMAP over implicit TLS (port 993, RFC 8314).
    Imaps,
    /// POP3 (port 110, RFC 1939): download mail; STLS (RFC 2595) before USER/PASS.
    Pop3,
    /// POP3 over implicit TLS (port 995, RFC 8314).
    Pop3s,
    /// HTTPS (port 443): the node's `web` server.
    Https,
}

impl Service {
    pub fn as_str(self) -> &'static str {
        match self {
            Service::Smtp => "smtp",
            Service::Submission => "submission",
            Service::Submissions => "submissions",
            Service::Imap => "imap",
            Service::Imaps => "imaps",
            Service::Pop3 => "pop3",
            Service::Pop3s => "pop3s",
            Service::Https => "https",
        }
    }

    /// Whether this service reads mailboxes (IMAP or POP3) rather than taking mail in.
    pub fn is_retrieval(self) -> bool {
        matches!(
            self,
            Service::Imap | Service::Imaps | Service::Pop3 | Service::Pop3s
        )
    }

    /// Whether TLS starts with the first byte (465, 993, 995).
    pub fn implicit_tls(self) -> bool {
        matches!(
            self,
            Service::Submissions | Service::Imaps | Service::Pop3s | Service::Https
        )
    }
}

/// How a mail client reads mail.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "lowercase")]
pub enum Retrieval {
    /// IMAP: the mail stays on the server, in folders; every device sees the same mailbox.
    Imap,
    /// POP3: the client downloads the INBOX; with `delete`, the server's copy is removed.
    Pop3,
}

impl Retrieval {
    pub fn as_str(self) -> &'static str {
        match self {
            Retrieval::Imap => "imap",
            Retrieval::Pop3 => "pop3",
        }
    }

    /// The usual port: 143 and 110 start in plaintext and upgrade with STARTTLS/STLS.
    pub fn default_port(self) -> u16 {
        match self {
            Retrieval::Imap => 143,
            Retrieval::Pop3 => 110,
        }
    }
}

/// Where and how a mail client reads its user's mail.
#[derive(Debug, Clone, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct Fetch {
    /// The server that keeps the user's mailbox (a node with `mailboxes`). Left out with
    /// `discover`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub server: Option<String>,
    /// Find the servers from the address alone, as a mail client does when a person sets up
    /// an account with only an address and a password: the provider's autoconfig file, then
    /// Autodiscover, SRV records (RFC 6186) and finally guesses such as `imap.example.test`.
    /// The search runs before the client's first `fetch` or `send`; the outgoing server it
    /// finds is used when `submit` is left out.
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    pub discover: bool,
    /// `imap` or `pop3`.
    pub protocol: Retrieval,
    /// The port: left out, 143 for IMAP and 110 for POP3 (STARTTLS/STLS as `starttls` says);
    /// 993 and 995 are TLS from the first byte. Not with `discover`, which finds it.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[schemars(range(min = 1))]
    pub port: Option<u16>,
    /// POP3 only: delete each message from the server once downloaded (a client with "leave
    /// messages on server" off). Deletions take effect when the server answers QUIT.
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    pub delete: bool,
    /// IMAP only: the folder to read.
    #[serde(default = "default_folder", skip_serializing_if = "is_inbox")]
    pub folder: String,
}

impl Fetch {
    pub fn port(&self) -> u16 {
        self.port.unwrap_or(self.protocol.default_port())
    }
}

fn default_folder() -> String {
    "INBOX".into()
}

fn is_inbox(f: &str) -> bool {
    f == "INBOX"
}

/// What a node's web server publishes for mail clients setting up an account. Anything left
/// out answers 404 Not Found.
#[derive(Debug, Clone, Default, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct Web {
    /// The autoconfig file Thunderbird reads (`config-v1.1.xml`, format version 1.1), served at
    /// `/mail/config-v1.1.xml` (as `https://autoconfig.<domain>/...`) and at
    /// `/.well-known/autoconfig/mail/config-v1.1.xml` (as `https://<domain>/...`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub autoconfig: Option<MailSettings>,
    /// Microsoft's Autodiscover (the plain-XML "POX" protocol): a POST to
    /// `/autodiscover/autodiscover.xml` is answered with these servers.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub autodiscover: Option<MailSettings>,
    /// The domain's MTA-STS policy (RFC 8461), served as `text/plain` at
    /// `/.well-known/mta-sts.txt`. Senders ask for it at `https://mta-sts.<domain>`: give this
    /// node that name in its `aliases`, so its certificate matches.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub mta_sts: Option<MtaSts>,
    /// The policy file served as written, instead of `mta_sts`: for a broken or odd policy,
    /// which senders must ignore (RFC 8461 section 3.2).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub mta_sts_text: Option<String>,
}

/// The servers a provider tells its users' mail clients to use, in order of preference.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct MailSettings {
    /// Where mail is read (IMAP or POP3).
    #[schemars(length(min = 1, max = MailSettings::MAX_SERVERS))]
    pub incoming: Vec<IncomingServer>,
    /// Where mail is sent (SMTP submission).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    #[schemars(length(max = MailSettings::MAX_SERVERS))]
    pub outgoing: Vec<OutgoingServer>,
}

impl MailSettings {
    /// The most servers of each kind one file lists.
    pub const MAX_SERVERS: usize = 8;
}

/// A server for reading mail, as an autoconfig file's `incomingServer`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct IncomingServer {
    /// `imap` or `pop3`.
    pub protocol: Retrieval,
    /// Host name of the server.
    pub host: String,
    /// The port, for example 993 (IMAP over TLS) or 143 (IMAP with STARTTLS).
    #[schemars(range(min = 1))]
    pub port: u16,
    /// How the connection is secured.
    pub socket_type: SocketType,
}

/// A server for sending mail, as an autoconfig file's `outgoingServer` (always SMTP).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct OutgoingServer {
    /// Host name of the server.
    pub host: String,
    /// The port, for example 587 (submission with STARTTLS) or 465 (over TLS).
    #[schemars(range(min = 1))]
    pub port: u16,
    /// How the connection is secured.
    pub socket_type: SocketType,
}

/// How a mail client secures a connection: an autoconfig file's `socketType`.
#[derive(
    Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Serialize, Deserialize, JsonSchema,
)]
#[serde(rename_all = "lowercase")]
pub enum SocketType {
    /// TLS from the first byte (`SSL` in the file): ports 993, 995, 465.
    Ssl,
    /// Plaintext first, then STARTTLS before logging in (`STARTTLS`): ports 143, 110, 587.
    Starttls,
    /// No TLS at all (`plain`): the password crosses readable.
    Plain,
}

impl SocketType {
    /// The word an autoconfig file uses.
    pub fn as_xml(self) -> &'static str {
        match self {
            SocketType::Ssl => "SSL",
            SocketType::Starttls => "STARTTLS",
            SocketType::Plain => "plain",
        }
    }
}

/// A reply a server gives instead of its usual one, for a while.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct Refusal {
    /// When in the session: `connect` (the greeting), `helo`, `mail`, `rcpt`, `data`, or
    /// `end_of_data` (after the message's final dot).
    pub phase: Phase,
    /// The reply, code first, for example `451 4.7.1 Try again later`. A 421 closes the
    /// connection.
    pub reply: String,
    /// From this virtual time on.
    #[serde(default)]
    pub from: Duration,
    /// Until this virtual time; left out, for the whole run.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub until: Option<Duration>,
}

impl Refusal {
    /// Whether the refusal is in force at `ms`.
    pub fn active_at(&self, ms: u64) -> bool {
        self.from.as_millis() <= ms && self.until.is_none_or(|u| ms < u.as_millis())
    }
}

/// Retry schedule of a queue: the delay doubles from `first` up to `max`; after `lifetime`
/// the message bounces back to its sender.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct Retry {
    /// Delay before the first retry.
    #[serde(default = "default_retry_first")]
    pub first: Duration,
    /// Longest delay between two attempts.
    #[serde(default = "default_retry_max")]
    pub max: Duration,
    /// How long a message may stay in the queue before it bounces.
    #[serde(default = "default_retry_lifetime")]
    pub lifetime: Duration,
}

impl Default for Retry {
    fn default() -> Self {
        Retry {
            first: default_retry_first(),
            max: default_retry_max(),
            lifetime: default_retry_lifetime(),
        }
    }
}

/// One-way latency of the link between two nodes.
#[derive(Debug, Clone, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct Link {
    /// The two nodes (either order).
    pub between: [String; 2],
    /// One-way latency, for example `80ms`.
    pub latency: Duration,
}

/// Records of one DNS owner name.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct DnsRecords {
    /// Mail exchangers for this domain; lower preference is tried first.
    #[serde(rename = "MX", default, skip_serializing_if = "Vec::is_empty")]
    pub mx: Vec<MxRecord>,
    /// IPv4 addresses.
    #[serde(rename = "A", default, skip_serializing_if = "Vec::is_empty")]
    pub a: Vec<String>,
    /// Text records (SPF, DMARC, ...).
    #[serde(rename = "TXT", default, skip_serializing_if = "Vec::is_empty")]
    pub txt: Vec<String>,
    /// Host names for a reverse (`in-addr.arpa`) name.
    #[serde(rename = "PTR", default, skip_serializing_if = "Vec::is_empty")]
    pub ptr: Vec<String>,
    /// Services of the domain (RFC 2782), under owner names like `_imaps._tcp.example.test`:
    /// where a mail client finds its servers (RFC 6186, RFC 8314).
    #[serde(rename = "SRV", default, skip_serializing_if = "Vec::is_empty")]
    pub srv: Vec<SrvRecord>,
    /// DANE records (RFC 6698) in presentation form, `3 1 1 <hex>` (usage, selector, matching
    /// type, certificate association data), under owner names like `_25._tcp.mx.example.test`:
    /// the certificate or key a server presents on port 25 (RFC 7672). A server node with
    /// `tlsa` gets one automatically.
    #[serde(rename = "TLSA", default, skip_serializing_if = "Vec::is_empty")]
    pub tlsa: Vec<String>,
}

/// An SRV record (RFC 2782): a host and port that offer a service.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct SrvRecord {
    /// Lower is tried first.
    pub priority: u16,
    /// Among records of the same priority, a larger weight is tried first (RFC 2782 draws
    /// at random in proportion to the weights; mailhop draws nothing, so every run is the
    /// same: implicit TLS first, as RFC 8314 prefers, then the heaviest, then by name).
    #[serde(default)]
    pub weight: u16,
    /// The port the service listens on.
    pub port: u16,
    /// Host name of the server; `.` says the domain does not offer this service at all.
    pub target: String,
}

impl SrvRecord {
    /// Whether this is RFC 2782's "decidedly not available" record (target `.`).
    pub fn is_null(&self) -> bool {
        self.target.trim_end_matches('.').is_empty()
    }
}

/// An MX record: a host that accepts mail for the domain.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct MxRecord {
    /// Lower is tried first.
    pub preference: u16,
    /// Host name of the mail exchanger.
    pub host: String,
}

/// A node that does not answer between two virtual times.
#[derive(Debug, Clone, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct Fault {
    /// The node that goes down (connections to it are refused).
    pub down: String,
    /// When it goes down.
    #[serde(default)]
    pub from: Duration,
    /// When it comes back; left out, it stays down.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub until: Option<Duration>,
}

/// Something a person does at a virtual time: `send` a message from a mail client, `type`
/// SMTP by hand, `fetch` new mail with a mail client, or `file` a message into a folder. Each
/// step does exactly one of them.
#[derive(Debug, Clone, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
#[schemars(extend("oneOf" = [{"required": ["send"]}, {"required": ["type"]}, {"required": ["fetch"]}, {"required": ["file"]}]))]
pub struct ScriptStep {
    /// Virtual time, for example `0s` or `3h`.
    pub at: Duration,
    /// Write and send a message from a mail client.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[schemars(with = "Send")]
    pub send: Option<Send>,
    /// Type SMTP lines by hand to a server, as with `telnet mail.example.test 25`.
    #[serde(rename = "type", default, skip_serializing_if = "Option::is_none")]
    #[schemars(with = "Typing")]
    pub typing: Option<Typing>,
    /// A mail client checks for new mail, as its `fetch` says (IMAP or POP3).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[schemars(with = "FetchStep")]
    pub fetch: Option<FetchStep>,
    /// A person moves a message into another folder with an IMAP mail client (MOVE).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[schemars(with = "FileStep")]
    pub file: Option<FileStep>,
}

/// What a script step does.
#[derive(Debug, Clone, Copy)]
pub enum Action<'a> {
    Send(&'a Send),
    Type(&'a Typing),
    Fetch(&'a FetchStep),
    File(&'a FileStep),
}

impl ScriptStep {
    /// What this step does; `None` unless it has exactly one of `send`, `type`, `fetch` and
    /// `file` (loading reports such a step as a problem).
    pub fn action(&self) -> Option<Action<'_>> {
        let all = [
            self.send.as_ref().map(Action::Send),
            self.typing.as_ref().map(Action::Type),
            self.fetch.as_ref().map(Action::Fetch),
            self.file.as_ref().map(Action::File),
        ];
        let mut some = all.into_iter().flatten();
        match (some.next(), some.next()) {
            (Some(one), None) => Some(one),
            _ => None,
        }
    }

    /// The keys of the actions this step has (`send`, `type`, `fetch`, `file`).
    pub fn action_keys(&self) -> Vec<&'static str> {
        [
            ("send", self.send.is_some()),
            ("type", self.typing.is_some()),
            ("fetch", self.fetch.is_some()),
            ("file", self.file.is_some()),
        ]
        .into_iter()
        .filter_map(|(k, on)| on.then_some(k))
        .collect()
    }
}

/// A mail client checks for new mail: it connects to the server its `fetch` names, logs in,
/// and downloads what it has not seen yet.
#[derive(Debug, Clone, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct FetchStep {
    /// The mail client (a mua with `fetch`).
    pub by: String,
    /// IMAP only: stay connected this long in IDLE (RFC 2177), hearing of new mail as it
    /// arrives and downloading it, as a phone keeps its INBOX in sync.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub idle: Option<Duration>,
}

/// A person files a message into a folder from an IMAP mail client (MOVE, RFC 6851).
#[derive(Debug, Clone, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct FileStep {
    /// The mail client (a mua whose `fetch` is IMAP).
    pub by: String,
    /// The message to move: the first one in the client's folder with this Subject.
    pub subject: String,
    /// Where to: `Junk`, `Sent`, or another folder the mailbox already has (a move to a folder
    /// that does not exist is refused with `NO [TRYCREATE]`, and the step fails, visibly).
    pub folder: String,
}

/// A person at a terminal talking SMTP by hand: connect to a server's port, type a line,
/// read the whole reply, type the next. After `DATA` is answered with 354, the lines are the
/// message itself until a line with a lone `.`; if `DATA` is refused, those lines are not
/// typed. Lines go out exactly as written, with CRLF added: a message line that starts with a
/// dot must be doubled by hand, as at a real terminal. The person stops when the server
/// closes the connection, or after waiting 5 minutes for a reply.
#[derive(Debug, Clone, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct Typing {
    /// The machine the person types on (any node; a stranger's computer is a mua with no
    /// `submit`).
    pub by: String,
    /// The server (node name) to connect to.
    pub to: String,
    /// The port to connect to: 25 is SMTP between servers, 587 submission.
    #[serde(default = "default_typing_port")]
    #[schemars(range(min = 1))]
    pub port: u16,
    /// The lines to type, in order, without line ends, for example
    /// `["EHLO stranger.test", "MAIL FROM:<a@stranger.test>", "RCPT TO:<b@third.test>", "QUIT"]`.
    #[schemars(length(min = 1, max = Typing::MAX_LINES), inner(length(max = Typing::MAX_LINE)))]
    pub lines: Vec<String>,
}

impl Typing {
    /// The most lines one step may type: a long session, still far from a flood.
    pub const MAX_LINES: usize = 1000;
    /// The longest line, in bytes: a text line of RFC 5321 section 4.5.3.1.6 without its CRLF.
    pub const MAX_LINE: usize = crate::proto::smtp::MAX_TEXT_LINE - 2;
}

/// A message a person writes in a mail client and sends.
#[derive(Debug, Clone, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct Send {
    /// The mail client (a node with role mua).
    pub from: String,
    /// Recipient addresses.
    pub to: Vec<String>,
    /// Subject line.
    #[serde(default = "default_subject")]
    pub subject: String,
    /// Body text.
    #[serde(default = "default_body")]
    pub body: String,
    /// Save a copy in the Sent folder on the client's IMAP server (APPEND), as mail clients
    /// do after sending. Needs a `fetch` with IMAP on the client.
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    pub save_sent: bool,
    /// Ask, with `MAIL FROM:<a> REQUIRETLS` (RFC 8689), that every hop of this message be
    /// inside TLS to a server that offers REQUIRETLS: a server that cannot keep the promise
    /// gives the message back (5.7.30) instead of sending it on in the clear.
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    pub require_tls: bool,
    /// Encrypt the message with OpenPGP (PGP/MIME, RFC 3156) to every recipient's key and
    /// the sender's own. Needs `pgp` on the sending client. Servers on the way still store
    /// a copy, but read only the envelope and the headers.
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    pub encrypt: bool,
    /// Sign the message with the sender's OpenPGP key, inside the encryption; the
    /// recipient's client checks the signature. Needs `encrypt`.
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    pub sign: bool,
    /// Protect the headers (RFC 9788): the real Subject travels inside the encrypted part,
    /// and the Subject servers see is `...`. Needs `encrypt`.
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    pub protect_headers: bool,
    /// With `encrypt`, when a recipient has no key: `refuse` (the default: the client says
    /// so and sends nothing) or `send-plain` (it sends the message unencrypted, and says so).
    #[serde(default, skip_serializing_if = "super::pgp::is_refuse")]
    pub without_key: super::pgp::WithoutKey,
}

/// Narration for a moment of the run.
#[derive(Debug, Clone, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct Caption {
    /// When to show it: `start`, `end`, `hop:N` (N counts hops from 1),
    /// `session:N` (the Nth connection on which no message was accepted:
    /// refused, told to try later, or cut), `stored:N` (the Nth copy
    /// written without a hop bringing it, such as a bounce notification) or
    /// `blocked:N` (the Nth connection attempt a network's rule dropped).
    #[schemars(regex(pattern = r"^(start|end|(hop|session|stored|blocked):[1-9][0-9]*)$"))]
    pub on: String,
    /// English.
    pub en: String,
    /// Brazilian Portuguese.
    pub pt: String,
}

fn default_start() -> String {
    "2026-01-05T09:00:00Z".to_string()
}
fn default_until() -> Duration {
    Duration::from_secs(7 * 24 * 3600)
}
fn default_latency() -> Duration {
    Duration::from_millis(20)
}
fn default_message_size_limit() -> usize {
    crate::proto::smtp::MAX_SIZE
}
fn default_hop_limit() -> usize {
    50
}
fn default_submit_port() -> u16 {
    587
}
fn default_typing_port() -> u16 {
    25
}
fn default_retry_first() -> Duration {
    Duration::from_secs(5 * 60)
}
fn default_retry_max() -> Duration {
    Duration::from_secs(3600)
}
fn default_retry_lifetime() -> Duration {
    Duration::from_secs(5 * 24 * 3600)
}
fn default_subject() -> String {
    "Hello".to_string()
}
fn default_body() -> String {
    "Hi!\n\nThis message is travelling through a simulated mail system.\n".to_string()
}

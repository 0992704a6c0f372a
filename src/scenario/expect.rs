//! Expectations: what an instructor claims a scenario shows.
//!
//! A scenario's `expect` list is checked against the trace of its run by
//! [`crate::check`] (`mailhop test`). Each item is an object with one key,
//! the kind of claim: `{"delivered": {"to": "bob@friend.test"}}`,
//! `{"hops": 5}`, `{"hop": {"index": 3, "channel": "plaintext"}}`.
//!
//! Time windows work the same way in every kind that has them: `after` and
//! `before` narrow which events count, and at least one event must be left.
//! `{"delivered": {"to": "bob@friend.test", "before": "3h"}}` is a deadline.
//!
//! The doc comments are what an editor shows from `mailhop schema`.

use schemars::JsonSchema;
use serde::{Deserialize, Serialize};

use super::duration::Duration;

/// One claim about the run, checked by `mailhop test`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "snake_case", deny_unknown_fields)]
pub enum Expectation {
    /// A copy reached this recipient's mailbox (in the folder, within the time window, if given).
    Delivered(Delivery),
    /// No copy reached this recipient's mailbox (or not this folder).
    NotDelivered(NoDelivery),
    /// Delivery failed for good and the sender was told (a DSN, RFC 3464).
    Bounced(Bounce),
    /// When the run ended, a message was still waiting in this node's queue.
    QueuedAtEnd(QueuedAtEnd),
    /// A mail client that discovers its servers found them: where it now reads and sends
    /// (`host:port`), and how each was found.
    Discovered(DiscoveredClaim),
    /// How many hops the run made in total (one message moving one step is one hop).
    Hops(u32),
    /// How particular hops travelled: pick them by `index`, or by `from`/`to`, then claim
    /// their channel, protocol or TLS version. Every hop picked must fit, and there must be one.
    Hop(HopClaim),
    /// Exactly these nodes held a copy of the message their operator could read (queue or
    /// mailbox), no more and no fewer.
    ReadableAtRestBy(Readers),
    /// None of these nodes held a copy of the message their operator could read.
    NotReadableBy(Readers),
    /// What a passive observer of the link between two nodes sees: whether `text` appears in
    /// the bytes on the wire (in either direction, on any connection between them).
    Wire(WireClaim),
    /// The SMTP reply code a node gave to a command. A command's final reply counts (the `250`
    /// after a message's data, not the `354`); every matching command must have got `code`.
    Reply(ReplyClaim),
    /// A header in a delivered copy: present or absent, how many times, matching a pattern.
    Header(HeaderClaim),
    /// What a mail client downloaded by IMAP or POP3: by default at least one message; with
    /// `count`, exactly that many (`0`: it found nothing new).
    Fetched(FetchedClaim),
    /// A folder of a mailbox when the run ended: how many messages it holds, whether it holds
    /// a message, and with which IMAP flags.
    Mailbox(MailboxClaim),
    /// What a server found when it checked who sent a message (SPF, DKIM, DMARC, ARC), and
    /// what it did. Every check picked must fit, and there must be one.
    Authenticated(AuthenticatedClaim),
    /// A spam filter's score and verdict. Every score picked must fit, and there must be one.
    Spam(SpamClaim),
    /// What one party could read of a message: a server's operator or a device (`by` a node)
    /// or anyone on a link (`by: "link"`), split into envelope, headers, Subject and body.
    Readable(super::pgp::ReadableClaim),
    /// What an attacker on the path did: recorded a connection (`tapped`), removed STARTTLS
    /// from a server's reply (`stripped`) or answered a DNS question with records of its own
    /// (`forged`). At least one of its acts must fit.
    Attacked(AttackedClaim),
    /// What a sending server's TLS policy found for a recipient domain (MTA-STS or DANE), and
    /// whether an MX host failed it. At least one event must fit.
    TlsPolicy(TlsPolicyClaim),
    /// A sending server mailed a TLS report (RFC 8460) about a recipient domain.
    TlsReport(TlsReportClaim),
}

/// `authenticated`: the sender checks a server made.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct AuthenticatedClaim {
    /// The server that checked (a node with `check_senders`).
    pub at: String,
    /// Only this message counts (`m1` is the first message written in the run).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub message: Option<String>,
    /// Only messages with this envelope sender (MAIL FROM) count.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub sender: Option<String>,
    /// SPF for the MAIL FROM domain: `pass`, `fail`, `softfail`, `neutral`, `none`,
    /// `temperror` or `permerror`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub spf: Option<crate::policy::auth::Verdict>,
    /// The best DKIM result among the message's signatures (`none` without one).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub dkim: Option<crate::policy::auth::Verdict>,
    /// DMARC for the From domain.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub dmarc: Option<crate::policy::auth::Verdict>,
    /// The ARC chain the message arrived with.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub arc: Option<crate::policy::auth::Verdict>,
    /// What the server did because of the checks: `accept`, `junk` or `reject`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub action: Option<crate::policy::spam::Action>,
}

/// `spam`: a spam filter's judgement.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct SpamClaim {
    /// The server that scored (a node with `spam`).
    pub at: String,
    /// Only this message counts.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub message: Option<String>,
    /// What the filter did: `accept`, `junk` or `reject`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub action: Option<crate::policy::spam::Action>,
    /// The score is at least this.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub min_score: Option<f64>,
    /// The score is at most this.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub max_score: Option<f64>,
    /// These rules matched (by name, such as `SPF_FAIL` or `MONEY_WORDS`).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub rules: Vec<String>,
}

/// `fetched`: messages a mail client downloaded.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct FetchedClaim {
    /// The mail client (a mua with `fetch`).
    pub by: String,
    /// Only downloads by this protocol count: `imap` or `pop3`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub protocol: Option<super::model::Retrieval>,
    /// Only downloads from this folder count (POP3 reads `INBOX` only).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub folder: Option<String>,
    /// Only this message counts (`m1` is the first message written in the run).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub message: Option<String>,
    /// Exactly this many downloads must fit; `0` claims the client got nothing.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub count: Option<u32>,
    /// Only events at or after this virtual time count (for example `2h`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub after: Option<Duration>,
    /// Only events at or before this virtual time count: a deadline (for example `3h`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub before: Option<Duration>,
}

/// `mailbox`: a folder of someone's mailbox when the run ended.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct MailboxClaim {
    /// Whose mailbox: an address.
    pub of: String,
    /// The server that keeps it; left out, any server that keeps a mailbox for `of`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub node: Option<String>,
    /// The folder.
    #[serde(default = "inbox")]
    pub folder: String,
    /// Claim: the folder holds exactly this many messages.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub count: Option<u32>,
    /// Claim: the folder holds this message (`m1`), still on the server.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub holds: Option<String>,
    /// Claim: the folder does not hold this message (never came, deleted, or moved away).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub lacks: Option<String>,
    /// With `holds`: the message has at least these IMAP flags, such as `\\Seen`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub flags: Option<Vec<String>>,
}

fn inbox() -> String {
    "INBOX".into()
}

/// A time window: only events at or after `after` and at or before `before` count.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Window {
    pub after: Option<Duration>,
    pub before: Option<Duration>,
}

impl Window {
    /// Whether virtual time `t` (ms) is inside the window.
    pub fn contains(&self, t: u64) -> bool {
        self.after.is_none_or(|a| t >= a.as_millis())
            && self.before.is_none_or(|b| t <= b.as_millis())
    }

    /// `between 2h and 3h`, `before 3h`, `after 2h`, or empty.
    pub fn describe(&self) -> String {
        match (self.after, self.before) {
            (Some(a), Some(b)) => format!(" between {a} and {b}"),
            (Some(a), None) => format!(" after {a}"),
            (None, Some(b)) => format!(" before {b}"),
            (None, None) => String::new(),
        }
    }
}

/// `delivered`: a copy reached a mailbox.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct Delivery {
    /// The recipient's address.
    pub to: String,
    /// The folder it must land in, such as `INBOX` or `Junk`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub folder: Option<String>,
    /// Only events at or after this virtual time count (for example `2h`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub after: Option<Duration>,
    /// Only events at or before this virtual time count: a deadline (for example `3h`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub before: Option<Duration>,
}

/// `not_delivered`: no copy reached a mailbox.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct NoDelivery {
    /// The recipient's address.
    pub to: String,
    /// Only this folder counts: `{"to": "bob@friend.test", "folder": "INBOX"}` passes when
    /// the message went to Junk.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub folder: Option<String>,
}

/// `bounced`: a permanent failure, reported to the sender.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct Bounce {
    /// The recipient that could not be reached.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub recipient: Option<String>,
    /// The enhanced status code (RFC 3463), such as `5.1.1` (no such user) or `4.4.7`
    /// (gave up after the queue lifetime).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub status: Option<String>,
    /// The address whose mailbox must receive the delivery status notification.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub notify: Option<String>,
    /// Only events at or after this virtual time count (for example `2h`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub after: Option<Duration>,
    /// Only events at or before this virtual time count: a deadline (for example `3h`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub before: Option<Duration>,
}

/// `queued_at_end`: still waiting when the run stopped.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct QueuedAtEnd {
    /// The node whose queue holds it.
    pub node: String,
    /// Only a message for this recipient counts.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub recipient: Option<String>,
}

/// How the channel of a hop is protected.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "kebab-case")]
pub enum ChannelClaim {
    /// Anyone on the link reads everything.
    Plaintext,
    /// Encrypted, without the client checking who the server is (opportunistic STARTTLS).
    Tls,
    /// Encrypted to a server whose certificate is valid for the name DNS gave, with nothing
    /// tying that name to the recipient's domain (an MX host, checked without MTA-STS or DANE).
    TlsNameOnly,
    /// Encrypted to a server whose certificate the client checked against a name it can
    /// defend: from its own settings, or vouched for by MTA-STS or DANE.
    TlsAuthenticated,
}

impl ChannelClaim {
    pub fn as_str(self) -> &'static str {
        match self {
            ChannelClaim::Plaintext => "plaintext",
            ChannelClaim::Tls => "tls",
            ChannelClaim::TlsNameOnly => "tls-name-only",
            ChannelClaim::TlsAuthenticated => "tls-authenticated",
        }
    }
}

/// `discovered`: what a mail client's search for its servers found.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct DiscoveredClaim {
    /// The mail client (a mua whose `fetch` has `discover`).
    pub by: String,
    /// The server it reads from, `host:port`, for example `mail.example.test:993`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub incoming: Option<String>,
    /// How it found that one: `autoconfig`, `autoconfig-mx`, `autodiscover`, `srv` or `guess`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub method: Option<String>,
    /// The server it sends to, `host:port`, for example `smtp.example.test:587`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub outgoing: Option<String>,
    /// How it found that one.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub outgoing_method: Option<String>,
}

impl DiscoveredClaim {
    /// The ways a search finds a server, as the trace names them.
    pub const METHODS: [&'static str; 5] = [
        "autoconfig",
        "autoconfig-mx",
        "autodiscover",
        "srv",
        "guess",
    ];
}

/// `hop`: pick hops, then claim how they travelled.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct HopClaim {
    /// Pick the hop with this number (hops count from 1 in the order they completed).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub index: Option<u32>,
    /// Pick hops leaving this node.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub from: Option<String>,
    /// Pick hops arriving at this node.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub to: Option<String>,
    /// Pick hops of this message (`m1` is the first message written in the run, `m2` the next).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub message: Option<String>,
    /// Claim: how the hop was protected.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub channel: Option<ChannelClaim>,
    /// Claim: the protocol in its Received header (RFC 3848): `SMTP`, `ESMTP`, `ESMTPS`,
    /// `ESMTPA`, `ESMTPSA`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub protocol: Option<String>,
    /// Claim: the TLS version, such as `TLSv1.3`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub tls_version: Option<String>,
    /// Only events at or after this virtual time count (for example `2h`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub after: Option<Duration>,
    /// Only events at or before this virtual time count: a deadline (for example `3h`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub before: Option<Duration>,
}

/// `readable_at_rest_by` and `not_readable_by`: nodes and a message.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct Readers {
    /// Node names.
    pub nodes: Vec<String>,
    /// The message: `m1` (the default) is the first message written in the run, `m2` the next.
    #[serde(default = "first_message")]
    pub message: String,
}

fn first_message() -> String {
    "m1".to_string()
}

/// `wire`: what an eavesdropper on a link sees.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct WireClaim {
    /// The two nodes at the ends of the link (either order).
    pub between: [String; 2],
    /// Text to look for in the raw bytes, such as a word of the body or `AUTH PLAIN`.
    pub text: String,
    /// `true`: the observer sees it; `false`: it never appears in the clear.
    pub visible: bool,
}

/// `reply`: the code a server answered a command with.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct ReplyClaim {
    /// The server node.
    pub node: String,
    /// The start of the command line, case-insensitive: `RCPT`, `RCPT TO:<nobody@friend.test>`,
    /// `MAIL`, `DATA`, `AUTH`, `STARTTLS`. `greeting` means the banner on connect.
    pub command: String,
    /// The three-digit reply code, such as `250`, `450`, `530` or `550`.
    pub code: u16,
    /// Only events at or after this virtual time count (for example `2h`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub after: Option<Duration>,
    /// Only events at or before this virtual time count: a deadline (for example `3h`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub before: Option<Duration>,
}

/// `header`: a header field in the copies delivered to a mailbox.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct HeaderClaim {
    /// The recipient whose delivered copies are read.
    pub to: String,
    /// The header's name, case-insensitive, such as `Received`, `Return-Path` or `Subject`.
    pub name: String,
    /// `true`: the header is there (the default); `false`: it is not.
    #[serde(default = "yes")]
    pub present: bool,
    /// How many times the header appears (a message through five servers has five `Received`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub count: Option<usize>,
    /// A regular expression that at least one value of the header must match, such as
    /// `with ESMTPS` or `^<alice@home\\.test>$`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub matches: Option<String>,
}

fn yes() -> bool {
    true
}

/// What an attacker did, as `attacked` names it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "snake_case")]
pub enum AttackAct {
    /// It sat on the path of a connection and recorded every byte (`tapped` events).
    Tapped,
    /// It removed STARTTLS from a server's reply in cleartext (`tampered` events).
    Stripped,
    /// It answered a DNS question in place of the real zone (`dns_forged` events).
    Forged,
}

impl AttackAct {
    pub fn as_str(self) -> &'static str {
        match self {
            AttackAct::Tapped => "tapped",
            AttackAct::Stripped => "stripped",
            AttackAct::Forged => "forged",
        }
    }
}

/// `attacked`: pick an attacker and an act, narrowed by connection, machine or DNS name.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct AttackedClaim {
    /// The attacker (a node with role `attacker`).
    pub attacker: String,
    /// What it did: `tapped`, `stripped` or `forged`.
    pub did: AttackAct,
    /// Only this connection counts (`c3`, as `mailhop run` shows them).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub conn: Option<String>,
    /// Only acts against this machine count: an end of the connection (`tapped`,
    /// `stripped`), or the machine that asked DNS (`forged`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub node: Option<String>,
    /// `forged` only: the DNS name it answered for, such as `friend.test`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub name: Option<String>,
    /// `forged` only: `true` claims the asking machine saw through the forgery (its resolver
    /// validates DNSSEC and the zone is signed) and threw it away; `false` that it believed it.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub refused: Option<bool>,
}

/// The policy a `tls_policy` claim is about.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "kebab-case")]
pub enum PolicyKind {
    /// MTA-STS (RFC 8461): a policy file over HTTPS, announced by a TXT record.
    MtaSts,
    /// DANE for SMTP (RFC 7672): TLSA records for the MX host, in a signed zone.
    Dane,
}

impl PolicyKind {
    pub fn as_str(self) -> &'static str {
        match self {
            PolicyKind::MtaSts => "mta-sts",
            PolicyKind::Dane => "dane",
        }
    }
}

/// What a `tls_policy` claim says the sending server got from the policy.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "snake_case")]
pub enum PolicyOutcome {
    /// It found a usable policy (fetched, kept from before, or TLSA records from signed DNS).
    Found,
    /// It looked and found none it could use (nothing published, or a broken policy, which
    /// RFC 8461 says to ignore), and sent as if the domain had asked for nothing.
    None,
    /// An MX host did not meet the policy (a `tls_policy_failed` event).
    Failed,
}

impl PolicyOutcome {
    pub fn as_str(self) -> &'static str {
        match self {
            PolicyOutcome::Found => "found",
            PolicyOutcome::None => "none",
            PolicyOutcome::Failed => "failed",
        }
    }
}

/// `tls_policy`: what a sending server's MTA-STS or DANE check came to.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct TlsPolicyClaim {
    /// The sending server (a node with `tls_policy`).
    pub node: String,
    /// The recipient domain, such as `friend.test`.
    pub domain: String,
    /// `mta-sts` or `dane`.
    pub policy: PolicyKind,
    /// `found`, `none` or `failed`.
    pub outcome: PolicyOutcome,
    /// With `failed`: RFC 8460's result type, such as `starttls-not-supported`,
    /// `certificate-host-mismatch` or `validation-failure`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub result: Option<String>,
    /// With `failed`: `true` claims the message was held back (MTA-STS `enforce`, DANE);
    /// `false` that it went anyway and the failure was only reported (`testing`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub enforced: Option<bool>,
}

/// `tls_report`: a TLS report mailed by a sending server.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct TlsReportClaim {
    /// The sending server that wrote the report.
    pub node: String,
    /// The domain the report is about (the one that asked for it in `_smtp._tls`).
    pub domain: String,
    /// The address the report went to (from the `rua=mailto:` of the record).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub to: Option<String>,
    /// The report counts at least this many failed sessions.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub min_failed: Option<u64>,
}

/// The kinds whose events can be narrowed to a time window.
macro_rules! windowed {
    ($($kind:ty),*) => {$(
        impl $kind {
            /// The `after`/`before` window of this claim.
            pub fn window(&self) -> Window {
                Window { after: self.after, before: self.before }
            }
        }
    )*};
}
windowed!(Delivery, Bounce, HopClaim, ReplyClaim, FetchedClaim);

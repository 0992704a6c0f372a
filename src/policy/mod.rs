//! Policies: the answers to an SMTP server engine's questions, decided
//! from a scenario node's settings. Pure: no runtime, no world, no trace.
//!
//! - [`relay`]: may this client send mail to this recipient through us?
//!   (local mailbox, postmaster, relay domains, relay clients, logged-in
//!   users), the check that keeps a server from being an open relay.
//! - [`reputation`]: who is connecting? Reverse DNS, forward-confirmed
//!   reverse DNS, the HELO name, DNS blocklists, dynamic addresses; the
//!   facts a server with `checks` finds once per connection, and the
//!   refusals they earn at RCPT.
//! - [`greylist`]: has this client address, sender and recipient come
//!   together before, long enough ago? (postgrey's rule.)
//! - [`NodePolicy`] also checks passwords, the sender a logged-in user may
//!   use, and the replies a scenario imposes for a while (`refuse`).
//! - [`cidr`]: address ranges, for blocklists and networks.
//! - [`auth`]: SPF, DKIM, DMARC and ARC with mail-auth; [`spam`]: a
//!   message's score; [`srs`]: the sender rewriting of forwarders.
//! - The cures for opportunistic TLS, asked by a sending MTA: [`mta_sts`]
//!   (a domain's policy that its MX hosts have valid certificates),
//!   [`dane`] (TLSA records that name a server's key), and [`tlsrpt`]
//!   (where and how a sender reports the failures it met).

pub mod auth;
pub mod cidr;
pub mod dane;
pub mod dns;
pub mod greylist;
pub mod mta_sts;
pub mod relay;
pub mod reputation;
pub mod spam;
pub mod srs;
mod tagged;
pub mod tlsrpt;

use std::cell::RefCell;

use crate::proto::smtp::Reply;
use crate::proto::smtp::server::{Decision, Phase, Policy, Rcpt};
use crate::scenario::{Checks, Node};
use greylist::{Timing, Triplet, Verdict};
use reputation::Reputation;

/// The policy of one server node towards one connecting client.
pub struct NodePolicy<'a> {
    pub node: &'a Node,
    /// The connecting node's name (what `relay_for` lists).
    pub client: &'a str,
    /// The connecting node's address (what greylisting keys on).
    pub client_ip: &'a str,
    /// What the server found out about the client, once the driver looked
    /// it up (a server with `checks`, after HELO).
    pub reputation: Option<Reputation>,
    /// The server's greylisting table, when it greylists. Only read here:
    /// a verdict goes out as a [`Note`], and the driver records it.
    pub greylist: Option<&'a RefCell<greylist::Table>>,
}

/// What the driver records about a decision of [`NodePolicy`].
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Note {
    /// Greylisting judged this triplet: the table learns the verdict, and
    /// the trace shows a refusal or a first pass.
    Greylist { triplet: Triplet, verdict: Verdict },
}

impl<'a> NodePolicy<'a> {
    /// The policy of `node` towards `client` at `client_ip`, before any
    /// look-up.
    pub fn new(node: &'a Node, client: &'a str, client_ip: &'a str) -> Self {
        NodePolicy {
            node,
            client,
            client_ip,
            reputation: None,
            greylist: None,
        }
    }

    /// The checks this policy applies to `rcpt`, if any: a server's checks
    /// judge strangers, never its logged-in users, its `relay_for`
    /// clients, or mail for its postmaster (RFC 5321 section 4.5.1: the
    /// address a refused sender writes to).
    fn checks_for(&self, rcpt: &Rcpt<'_>) -> Option<&'a Checks> {
        let trusted = rcpt.login.is_some()
            || self.node.relay_for.iter().any(|c| c == self.client)
            || relay::is_postmaster(self.node, rcpt.recipient);
        self.node.checks.as_ref().filter(|_| !trusted)
    }

    /// Greylisting's word on `rcpt` at `now`, when this server greylists.
    fn greylisting(&self, checks: &Checks, rcpt: &Rcpt<'_>, now: u64) -> Option<Decision<Note>> {
        let delay = checks.greylist?;
        let table = self.greylist?;
        let timing = Timing {
            delay: delay.as_millis(),
            retry_window: Checks::RETRY_WINDOW.as_millis(),
            max_age: Checks::MAX_AGE.as_millis(),
        };
        let triplet = Triplet::new(self.client_ip, rcpt.sender, rcpt.recipient);
        let verdict = table.borrow().judge(&triplet, now, timing);
        Some(Decision {
            verdict: verdict.reply(rcpt.recipient, now).map_or(Ok(()), Err),
            note: Some(Note::Greylist { triplet, verdict }),
        })
    }
}

impl Policy for NodePolicy<'_> {
    type Note = Note;

    fn imposed(&self, phase: Phase, now_ms: u64) -> Option<Reply> {
        self.node
            .refuse
            .iter()
            .find(|r| r.phase == phase && r.active_at(now_ms))
            .and_then(|r| Reply::parse_line(&r.reply))
    }

    fn login(&self, user: &str, password: &str) -> bool {
        self.node.accounts.get(user).is_some_and(|p| p == password)
    }

    fn sender(&self, sender: &str, login: Option<&str>) -> Result<(), Reply> {
        match login {
            Some(user)
                if self.node.reject_sender_login_mismatch && !sender.eq_ignore_ascii_case(user) =>
            {
                Err(Reply::new(
                    553,
                    format!("5.7.1 <{sender}>: Sender address rejected: not owned by user {user}"),
                ))
            }
            _ => Ok(()),
        }
    }

    /// Relay control first (Postfix's `reject_unauth_destination`), then,
    /// for strangers, the refusals the client's reputation earns, then
    /// greylisting, last as a policy service comes last in Postfix.
    fn recipient(&self, rcpt: &Rcpt<'_>, now_ms: u64) -> Decision<Note> {
        if let Err(reply) =
            relay::check(self.node, self.client, rcpt.recipient, rcpt.login.is_some())
        {
            return Err(reply).into();
        }
        let Some(checks) = self.checks_for(rcpt) else {
            return Ok(()).into();
        };
        if let Some(reply) = self.reputation.as_ref().and_then(|r| r.refusal(checks)) {
            return Err(reply).into();
        }
        self.greylisting(checks, rcpt, now_ms)
            .unwrap_or_else(|| Ok(()).into())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn node(json: &str) -> Node {
        serde_json::from_str(json).expect("a node")
    }

    #[test]
    fn imposed_replies_hold_only_in_their_window() {
        let n = node(
            r#"{"role": "mda", "mailboxes": ["b@x.test"],
                "refuse": [{"phase": "rcpt", "reply": "451 4.7.1 Try again later", "from": "1m", "until": "10m"}]}"#,
        );
        let p = NodePolicy::new(&n, "c", "192.0.2.1");
        assert_eq!(p.imposed(Phase::Rcpt, 0), None);
        assert_eq!(
            p.imposed(Phase::Rcpt, 60_000),
            Some(Reply::new(451, "4.7.1 Try again later"))
        );
        assert_eq!(p.imposed(Phase::Mail, 60_000), None);
        assert_eq!(p.imposed(Phase::Rcpt, 600_000), None);
    }

    #[test]
    fn sender_login_mismatch_is_refused_only_when_configured() {
        let strict = node(r#"{"role": "msa", "reject_sender_login_mismatch": true}"#);
        let lax = node(r#"{"role": "msa"}"#);
        let p = |n| NodePolicy::new(n, "c", "192.0.2.1");
        assert!(p(&strict).sender("a@x.test", Some("A@x.test")).is_ok());
        let refused = p(&strict)
            .sender("ceo@bank.test", Some("a@x.test"))
            .expect_err("someone else's address");
        assert_eq!(refused.code, 553);
        assert!(p(&lax).sender("ceo@bank.test", Some("a@x.test")).is_ok());
        assert!(p(&strict).sender("ceo@bank.test", None).is_ok());
    }

    #[test]
    fn passwords_must_match_exactly() {
        let n = node(r#"{"role": "msa", "accounts": {"a@x.test": "pw"}}"#);
        let p = NodePolicy::new(&n, "c", "192.0.2.1");
        assert!(p.login("a@x.test", "pw"));
        assert!(!p.login("a@x.test", "PW"));
        assert!(!p.login("b@x.test", "pw"));
    }

    fn rcpt<'a>(recipient: &'a str, sender: &'a str, login: Option<&'a str>) -> Rcpt<'a> {
        Rcpt {
            recipient,
            sender,
            helo: Some("mail.home.test"),
            login,
        }
    }

    fn home_line() -> Reputation {
        Reputation {
            ip: "198.18.5.7".into(),
            ptr: None,
            fcrdns: false,
            helo: "[198.18.5.7]".into(),
            helo_verdict: reputation::HeloVerdict::AddressLiteral,
            listed: Vec::new(),
            dynamic: None,
        }
    }

    #[test]
    fn relay_control_comes_before_the_checks_and_trusted_clients_skip_them() {
        let n = node(
            r#"{"role": "mda", "mailboxes": ["bob@friend.test", "postmaster@friend.test"],
                "relay_for": ["office-pc"], "checks": {"reverse_dns": "ptr"}}"#,
        );
        let mut stranger = NodePolicy::new(&n, "c", "198.18.5.7");
        stranger.reputation = Some(home_line());
        let relay = stranger.recipient(&rcpt("x@third.test", "a@home.test", None), 0);
        assert_eq!(
            relay.verdict.unwrap_err().code,
            554,
            "relay access denied first"
        );
        let refused = stranger.recipient(&rcpt("bob@friend.test", "a@home.test", None), 0);
        assert_eq!(
            refused.verdict.unwrap_err().code,
            450,
            "no reverse DNS name"
        );
        assert!(
            stranger
                .recipient(&rcpt("postmaster@friend.test", "a@home.test", None), 0)
                .verdict
                .is_ok(),
            "the postmaster hears from anyone"
        );
        let logged_in = stranger.recipient(&rcpt("bob@friend.test", "a@home.test", Some("a")), 0);
        assert!(logged_in.verdict.is_ok());
        let mut office = NodePolicy::new(&n, "office-pc", "198.18.5.7");
        office.reputation = Some(home_line());
        assert!(
            office
                .recipient(&rcpt("bob@friend.test", "a@home.test", None), 0)
                .verdict
                .is_ok()
        );
    }

    #[test]
    fn greylisting_answers_from_the_table_and_notes_its_verdict() {
        let n = node(
            r#"{"role": "mda", "mailboxes": ["bob@friend.test"], "checks": {"greylist": "5m"}}"#,
        );
        let table = RefCell::new(greylist::Table::default());
        let mut p = NodePolicy::new(&n, "mail.home.test", "192.0.2.10");
        p.greylist = Some(&table);
        let asked = rcpt("Bob@friend.test", "alice@home.test", None);
        let first = p.recipient(&asked, 1_000);
        assert_eq!(first.verdict.unwrap_err().code, 451);
        let Some(Note::Greylist { triplet, verdict }) = first.note else {
            panic!("a greylisting note");
        };
        assert_eq!(verdict, Verdict::New { retry_at: 301_000 });
        assert_eq!(
            triplet,
            Triplet::new("192.0.2.10", "alice@home.test", "bob@friend.test")
        );
        assert!(table.borrow().is_empty(), "the policy only reads the table");
        table.borrow_mut().record(&triplet, verdict, 1_000);
        let back = p.recipient(&asked, 301_000);
        assert!(back.verdict.is_ok());
        assert_eq!(
            back.note,
            Some(Note::Greylist {
                triplet,
                verdict: Verdict::Passed { first_seen: 1_000 }
            })
        );
    }
}

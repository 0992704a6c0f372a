//! Policies: the answers to an SMTP server engine's questions, decided
//! from a scenario node's settings. Pure: no runtime, no world, no trace.
//!
//! - [`relay`]: may this client send mail to this recipient through us?
//!   (local mailbox, postmaster, relay domains, relay clients, logged-in
//!   users), the check that keeps a server from being an open relay.
//! - [`NodePolicy`] also checks passwords, the sender a logged-in user may
//!   use, and the replies a scenario imposes for a while (`refuse`).
//!
//! Later checks (greylisting, SPF, DNS blocklists, spam scores) get a file
//! each here and a question each in `proto::smtp::server::Policy`.

pub mod auth;
pub mod dns;
pub mod relay;
pub mod spam;
pub mod srs;

use crate::proto::smtp::Reply;
use crate::proto::smtp::server::{Phase, Policy};
use crate::scenario::Node;

/// The policy of one server node towards one connecting client.
pub struct NodePolicy<'a> {
    pub node: &'a Node,
    /// The connecting node's name (what `relay_for` lists).
    pub client: &'a str,
}

impl Policy for NodePolicy<'_> {
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

    fn recipient(&self, recipient: &str, login: Option<&str>) -> Result<(), Reply> {
        relay::check(self.node, self.client, recipient, login.is_some())
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
        let p = NodePolicy {
            node: &n,
            client: "c",
        };
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
        let p = |n| NodePolicy {
            node: n,
            client: "c",
        };
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
        let p = NodePolicy {
            node: &n,
            client: "c",
        };
        assert!(p.login("a@x.test", "pw"));
        assert!(!p.login("a@x.test", "PW"));
        assert!(!p.login("b@x.test", "pw"));
    }
}

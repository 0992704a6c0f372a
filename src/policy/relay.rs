//! Relay control: whether a server takes a recipient from a client.
//!
//! In the order Postfix's `smtpd_recipient_restrictions` apply it:
//! 1. `postmaster`, bare or at a local domain, is always accepted
//!    (RFC 5321 section 4.5.1) when the server has a mailbox for it;
//! 2. a mailbox on this server is accepted; an unknown user at one of its
//!    domains is refused with 550 5.1.1;
//! 3. mail for a domain the server relays for (`relay_domains`: a spam
//!    filter, a backup MX, a gateway) is accepted from anyone;
//! 4. anything else only from a logged-in user or a client in `relay_for`;
//!    everyone else gets 554 5.7.1 Relay access denied. A server that
//!    accepted that would be an open relay, the spammer's favourite; the
//!    node setting `open_relay` makes one, so a scenario can show what
//!    happens next.

use crate::proto::smtp::{Reply, domain_of};
use crate::scenario::Node;

/// The mailbox that receives mail for postmaster on `node`, if any.
pub fn postmaster_mailbox(node: &Node) -> Option<&str> {
    node.postmaster
        .as_deref()
        .or(node.mailboxes.first().map(String::as_str))
}

/// Whether `recipient` means postmaster on `node` (bare, or at one of its
/// mailbox domains), when the node has a mailbox for postmaster.
pub fn is_postmaster(node: &Node, recipient: &str) -> bool {
    let (local, domain) = recipient.rsplit_once('@').unwrap_or((recipient, ""));
    local.eq_ignore_ascii_case("postmaster")
        && postmaster_mailbox(node).is_some()
        && (domain.is_empty() || is_local_domain(node, &domain.to_ascii_lowercase()))
}

/// The node's own mailbox for `recipient`, spelled as configured.
pub fn local_mailbox<'a>(node: &'a Node, recipient: &str) -> Option<&'a str> {
    if is_postmaster(node, recipient) {
        return postmaster_mailbox(node);
    }
    node.mailboxes
        .iter()
        .find(|m| m.eq_ignore_ascii_case(recipient))
        .map(String::as_str)
}

fn is_local_domain(node: &Node, domain: &str) -> bool {
    node.mailboxes.iter().any(|m| domain_of(m) == domain)
}

/// Accepts or refuses `recipient` from `client`.
pub fn check(node: &Node, client: &str, recipient: &str, logged_in: bool) -> Result<(), Reply> {
    let domain = domain_of(recipient);
    if local_mailbox(node, recipient).is_some() {
        return Ok(());
    }
    if is_local_domain(node, &domain) {
        return Err(Reply::new(
            550,
            format!(
                "5.1.1 <{recipient}>: Recipient address rejected: User unknown in local recipient table"
            ),
        ));
    }
    let relays_domain = node
        .relay_domains
        .iter()
        .any(|d| d.eq_ignore_ascii_case(&domain));
    if logged_in || relays_domain || node.open_relay || node.relay_for.iter().any(|c| c == client) {
        return Ok(());
    }
    Err(Reply::new(
        554,
        format!("5.7.1 <{recipient}>: Relay access denied"),
    ))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn node(json: &str) -> Node {
        serde_json::from_str(json).expect("a node")
    }

    #[test]
    fn strangers_may_not_relay_to_third_domains() {
        let n = node(r#"{"role": "mta", "mailboxes": ["bob@friend.test"]}"#);
        let refused = check(&n, "stranger", "victim@elsewhere.test", false).unwrap_err();
        assert_eq!(
            refused.summary(),
            "554 5.7.1 <victim@elsewhere.test>: Relay access denied"
        );
        assert!(check(&n, "stranger", "victim@elsewhere.test", true).is_ok());
    }

    #[test]
    fn an_open_relay_takes_any_domain_from_anyone() {
        let n = node(r#"{"role": "mta", "mailboxes": ["bob@friend.test"], "open_relay": true}"#);
        assert!(check(&n, "stranger", "victim@elsewhere.test", false).is_ok());
        assert!(check(&n, "stranger", "anyone@anywhere.test", false).is_ok());
        // Its own domain is still checked: an unknown local user is refused.
        assert_eq!(
            check(&n, "stranger", "nobody@friend.test", false)
                .unwrap_err()
                .code,
            550
        );
    }

    #[test]
    fn local_users_and_unknown_local_users() {
        let n = node(r#"{"role": "mda", "mailboxes": ["bob@friend.test"]}"#);
        assert!(check(&n, "x", "Bob@Friend.test", false).is_ok());
        assert_eq!(
            check(&n, "x", "bobb@friend.test", false).unwrap_err().code,
            550
        );
    }

    #[test]
    fn relay_domains_and_relay_clients() {
        let filter = node(r#"{"role": "spam-filter", "relay_domains": ["friend.test"]}"#);
        assert!(check(&filter, "anyone", "bob@friend.test", false).is_ok());
        assert!(check(&filter, "anyone", "bob@other.test", false).is_err());
        let smarthost = node(r#"{"role": "smarthost", "relay_for": ["mail.home.test"]}"#);
        assert!(check(&smarthost, "mail.home.test", "x@any.test", false).is_ok());
        assert!(check(&smarthost, "intruder", "x@any.test", false).is_err());
    }

    #[test]
    fn rfc5321_postmaster_is_always_accepted() {
        let n = node(
            r#"{"role": "mda", "mailboxes": ["bob@friend.test"], "postmaster": "bob@friend.test"}"#,
        );
        assert!(check(&n, "x", "postmaster", false).is_ok());
        assert!(check(&n, "x", "PostMaster@friend.test", false).is_ok());
        assert_eq!(local_mailbox(&n, "postmaster"), Some("bob@friend.test"));
        assert!(check(&n, "x", "postmaster@elsewhere.test", false).is_err());
        let relay = node(r#"{"role": "smarthost"}"#);
        assert!(check(&relay, "x", "postmaster", false).is_err());
    }
}

//! Checks on end-to-end encryption: who has an OpenPGP key, and what a
//! `send` step asks of it.

use super::Problems;
use super::locate::JsonPath;
use crate::scenario::model::{Node, Role, Scenario, Send};
use crate::scenario::pgp::{WithoutKey, has_key};

/// A node's `pgp`: only a mail client with a user has a key.
pub(super) fn check_node(p: &mut Problems<'_>, at: &JsonPath, node: &Node) {
    if node.pgp.is_none() {
        return;
    }
    if node.role != Role::Mua {
        p.at_key(
            &at.key("pgp"),
            "only a mail client (role `mua`) has an OpenPGP key: servers pass encrypted mail on without reading it",
            Some("remove `pgp` from this node and give it to the mail clients of the people who write to each other".into()),
        );
    } else if node.user.is_none() {
        p.at_key(
            &at.key("pgp"),
            "an OpenPGP key belongs to a person's address, and this mail client has no `user`",
            Some("add `\"user\": \"alice@home.test\"`".into()),
        );
    }
}

/// A `send` step's `encrypt`, `sign`, `protect_headers` and `without_key`.
pub(super) fn check_send(p: &mut Problems<'_>, at: &JsonPath, s: &Scenario, send: &Send) {
    let sender_has_key = s.nodes.get(&send.from).is_some_and(|n| n.pgp.is_some());
    if send.encrypt && !sender_has_key {
        p.at(
            &at.key("encrypt"),
            format!(
                "`{}` cannot encrypt: its user has no OpenPGP key",
                send.from
            ),
            Some(format!(
                "give the node `{}` `\"pgp\": {{}}`, or remove `encrypt`",
                send.from
            )),
        );
    }
    let ignored = |p: &mut Problems<'_>, key: &str, what: &str| {
        p.warn(
            &at.key(key),
            format!("`{key}` without `encrypt` does nothing: mailhop {what} only inside an encrypted message"),
            Some("add `\"encrypt\": true`, or remove it".into()),
        )
    };
    if !send.encrypt {
        if send.sign {
            ignored(p, "sign", "signs");
        }
        if send.protect_headers {
            ignored(p, "protect_headers", "protects headers");
        }
        if send.without_key != WithoutKey::Refuse {
            ignored(p, "without_key", "looks for keys");
        }
        return;
    }
    for (j, to) in send.to.iter().enumerate() {
        if has_key(s, to) {
            continue;
        }
        let outcome = match send.without_key {
            WithoutKey::Refuse => "the client will refuse to send the message",
            WithoutKey::SendPlain => "the client will send the message unencrypted",
        };
        p.warn(
            &at.key("to").index(j),
            format!("`{to}` has no OpenPGP key in this scenario: {outcome}"),
            Some(
                "give that person's mail client `\"pgp\": {}`, if you meant them to have a key"
                    .into(),
            ),
        );
    }
}

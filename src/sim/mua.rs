//! Mail clients: compose a message and submit it to the user's server.
//!
//! The message is built with `mail-builder` (so non-ASCII subjects and
//! bodies are encoded as a real client would) with an explicit Date and
//! Message-ID from virtual time and the run's counters: nothing comes from
//! the wall clock or the host name of the machine running mailhop.

use std::rc::Rc;

use mail_builder::MessageBuilder;

use super::account;
use super::pgp::Sealed;
use super::session;
use super::world::{Busy, World};
use crate::proto::smtp::client::{Envelope, Outcome, Plan};
use crate::scenario::Send;
use crate::tls::ClientVerify;
use crate::trace::{Composed, Event, SubmissionFailed};

/// Runs one `send` step of the script.
pub async fn send(world: Rc<World>, node: String, send: Send, _busy: Busy) {
    let cfg = world
        .node(&node)
        .expect("validated: send.from is a node")
        .clone();
    let user = cfg.user.clone().unwrap_or_default();
    let domain = crate::proto::smtp::domain_of(&user);
    let seq = world.message_id_for(None);
    let message_id = format!(
        "{seq}.{}@{}",
        world.scenario.seed,
        if domain.is_empty() {
            "mailhop.test"
        } else {
            &domain
        }
    );
    let header = format!("<{message_id}>");
    // Register the header so every later hop recognises this message.
    let message = world.adopt_message_id(&header, &seq);
    let plain = || {
        MessageBuilder::new()
            .from(user.as_str())
            .to(send.to.iter().map(String::as_str).collect::<Vec<_>>())
            .subject(send.subject.as_str())
            .date(world.clock.unix_now())
            .message_id(message_id.as_str())
            .text_body(send.body.as_str())
            .write_to_vec()
            .expect("writing to a Vec cannot fail")
    };
    world.emit(Event::Composed(Box::new(Composed {
        node: node.clone(),
        message: message.clone(),
        message_id: header,
        from: user.clone(),
        to: send.to.clone(),
        subject: send.subject.clone(),
    })));
    let fail = |reason: String| {
        world.emit(Event::SubmissionFailed(Box::new(SubmissionFailed {
            node: node.clone(),
            message: message.clone(),
            reason,
        })))
    };
    // End to end: encrypted before anything leaves the client.
    let data = if send.encrypt {
        match super::pgp::seal(&world, &node, &send, &user, &message, &message_id) {
            Sealed::Send(bytes) => bytes,
            Sealed::Plain => plain(),
            Sealed::Refused => return,
            Sealed::Failed(reason) => return fail(reason),
        }
    } else {
        plain()
    };
    let reach = match account::outgoing(&world, &node).await {
        Ok(reach) => reach,
        Err(reason) => return fail(reason),
    };
    let server = reach.host.clone();
    let conn = match world.connect(&node, &reach.node, reach.port).await {
        Ok(conn) => conn,
        Err(reason) => {
            return fail(format!("cannot reach {server}:{}: {reason}", reach.port));
        }
    };
    let plan = Plan {
        helo: format!("[{}]", world.zone.ip_of(&node)),
        server_name: server.clone(),
        starttls: reach.starttls,
        implicit_tls: reach.implicit_tls,
        auth: cfg.password.clone().map(|p| (reach.user.clone(), p)),
        keep_open: false,
    };
    let sent_copy = send.save_sent.then(|| data.clone());
    let envelope = Envelope {
        sender: user.clone(),
        recipients: send.to.clone(),
        data,
        require_tls: send.require_tls,
    };
    let verify = ClientVerify::checking(cfg.verify_tls.unwrap_or(true));
    match session::transact(&world, conn, plan, verify, envelope).await {
        Outcome::Done(results) => {
            let refused: Vec<String> = results
                .iter()
                .filter(|(_, reply)| !reply.is_positive())
                .map(|(rcpt, reply)| format!("{rcpt}: {}", reply.summary()))
                .collect();
            if !refused.is_empty() {
                fail(format!("{server} refused: {}", refused.join("; ")));
            }
            if let Some(copy) = sent_copy
                && refused.len() < results.len()
            {
                super::reader::save_sent(&world, &node, copy).await;
            }
        }
        Outcome::Failed { reason, .. } | Outcome::Stale { reason } => fail(reason),
    }
}

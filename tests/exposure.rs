//! The exposure ledger over whole runs: what an observer of a link read even
//! when no hop was made (a message refused after DATA, a connection cut in
//! the middle of one, a password sent outside TLS), and no claim of "every
//! hop encrypted" for a message that made no hop.

mod common;

use common::{SMALL_WORLD, read_reply, say, scenario};
use mailhop::exposure::Ledger;
use mailhop::invariants::{check_no_loss, check_shape};
use mailhop::scenario::Scenario;
use mailhop::sim::{self, Options};
use mailhop::trace::{Channel, Event, Trace};
use serde_json::{Value, json};
use tokio::io::AsyncWriteExt;

/// The small world with Alice writing to Bob, after `edit`.
fn alice_writes_to_bob(edit: impl FnOnce(&mut Value)) -> Scenario {
    let mut world: Value = serde_json::from_str(SMALL_WORLD).unwrap();
    world["script"] = json!([{"at": "0s", "send": {
        "from": "alice-laptop", "to": ["bob@friend.test"],
        "subject": "Lunch", "body": "Friday at noon?"}}]);
    edit(&mut world);
    scenario(&world.to_string())
}

/// Bob's server has no TLS and refuses every message after its final dot.
fn refused_after_data() -> Scenario {
    alice_writes_to_bob(|w| {
        w["nodes"]["mx.friend.test"]["refuse"] =
            json!([{"phase": "end_of_data", "reply": "554 5.7.1 Rejected"}]);
    })
}

fn run(world: &Scenario) -> Trace {
    let trace = sim::run(world).unwrap();
    check_shape(&trace).unwrap();
    check_no_loss(&trace).unwrap();
    trace
}

/// The id of the connection from `client` to `server`.
fn conn_between(trace: &Trace, from: &str, to: &str) -> String {
    trace
        .events
        .iter()
        .find_map(|r| match &r.event {
            Event::Connect(c) if c.client == from && c.server == to => Some(c.conn.clone()),
            _ => None,
        })
        .unwrap_or_else(|| panic!("no connection {from} -> {to}"))
}

#[test]
fn a_message_refused_after_data_on_a_plaintext_link_was_read_there() {
    let world = refused_after_data();
    let trace = run(&world);
    assert!(
        trace.hops().all(|(_, h)| h.to != "mx.friend.test"),
        "the refusing server took no hop"
    );
    let ledger = Ledger::from_trace(&trace);
    let [refused] = ledger.unaccepted.as_slice() else {
        panic!("one unaccepted transfer: {:#?}", ledger.unaccepted)
    };
    assert_eq!(
        refused.conn,
        conn_between(&trace, "mail.home.test", "mx.friend.test")
    );
    assert_eq!(
        (refused.from.as_str(), refused.to.as_str()),
        ("mail.home.test", "mx.friend.test")
    );
    assert_eq!(refused.message.as_deref(), Some("m1"));
    assert_eq!(refused.channel, Channel::Plaintext);
    assert!(refused.observer_reads && refused.whole && refused.body);
    assert_eq!(refused.reply.as_deref(), Some("554 5.7.1 Rejected"));

    let report = mailhop::report::render(&world, &trace);
    assert!(
        report.contains(&format!(
            "But read on the wire where it was not accepted:\n  - {}, mail.home.test -> mx.friend.test: \
             m1 crossed in full and was not accepted: 554 5.7.1 Rejected",
            refused.conn
        )),
        "{report}"
    );

    let player = mailhop::player::build(&world, &trace);
    let [shown] = player.exposure.unaccepted.as_slice() else {
        panic!("{:#?}", player.exposure.unaccepted)
    };
    // The refused session is a step of its own, and shows it from there.
    let session = &player.steps[shown.step];
    assert_eq!(session.kind, "session", "{session:#?}");
    let view = session.session.as_ref().unwrap();
    assert_eq!(view.conn, refused.conn);
    assert_eq!(view.code.as_deref(), Some("554"));
    assert!(shown.envelope && shown.headers && shown.body);
    assert_eq!(
        shown.text.pt,
        "m1 atravessou inteira e não foi aceita: 554 5.7.1 Rejected"
    );
}

#[test]
fn a_connection_cut_in_the_middle_of_data_exposed_what_had_crossed() {
    let world = scenario(SMALL_WORLD);
    let (trace, ()) = sim::drive(&world, &Options::default(), |w| async move {
        let mut io = w
            .connect("mail.home.test", "mx.friend.test", 25)
            .await
            .unwrap()
            .link;
        read_reply(&mut io).await;
        for line in [
            "EHLO mail.home.test",
            "MAIL FROM:<alice@home.test>",
            "RCPT TO:<bob@friend.test>",
        ] {
            say(&mut io, line).await;
        }
        assert!(say(&mut io, "DATA").await.starts_with("354"));
        io.write_all(b"Message-ID: <cut@home.test>\r\nSubject: code\r\n\r\nThe code is 1234\r\n")
            .await
            .unwrap();
        io.shutdown().await.unwrap();
    })
    .unwrap();
    assert_eq!(trace.hops().count(), 0);
    let ledger = Ledger::from_trace(&trace);
    let [cut] = ledger.unaccepted.as_slice() else {
        panic!("{:#?}", ledger.unaccepted)
    };
    assert_eq!(cut.message, None, "no client of this run wrote it");
    assert_eq!(cut.message_id.as_deref(), Some("<cut@home.test>"));
    assert!(cut.observer_reads && cut.body && !cut.whole);
    assert_eq!(cut.reply, None);
    let report = mailhop::report::render(&world, &trace);
    assert!(
        report.contains(
            "Read on the wire where it was not accepted, no message of this run:\n  - c1, \
             mail.home.test -> mx.friend.test: part of a message this run cannot name \
             (Message-ID <cut@home.test>) crossed, then the connection ended"
        ),
        "{report}"
    );
}

#[test]
fn a_password_sent_without_tls_is_read_on_the_link() {
    // mail.home.test has no TLS at all, so it takes AUTH in plaintext.
    let world = alice_writes_to_bob(|w| w["nodes"]["mail.home.test"]["starttls"] = json!("none"));
    let trace = run(&world);
    let ledger = Ledger::from_trace(&trace);
    let [password] = ledger.passwords.as_slice() else {
        panic!("{:#?}", ledger.passwords)
    };
    assert_eq!(
        password.conn,
        conn_between(&trace, "alice-laptop", "mail.home.test")
    );
    assert_eq!(
        (
            password.from.as_str(),
            password.to.as_str(),
            password.user.as_str()
        ),
        ("alice-laptop", "mail.home.test", "alice@home.test")
    );
    assert!(password.accepted);
    let report = mailhop::report::render(&world, &trace);
    assert!(
        report.contains(&format!(
            "Passwords read on the wire (AUTH outside TLS):\n  - {}, alice-laptop -> mail.home.test: \
             the password of alice@home.test, sent with AUTH PLAIN (accepted)",
            password.conn
        )),
        "{report}"
    );
    let player = mailhop::player::build(&world, &trace);
    assert_eq!(player.exposure.passwords.len(), 1);
    assert_eq!(
        player.exposure.passwords[0].step, 1,
        "the login is in the log of the first hop's step"
    );

    // The same login inside STARTTLS leaves nothing readable on the link.
    let with_tls = run(&alice_writes_to_bob(|_| {}));
    assert!(
        with_tls
            .events
            .iter()
            .any(|r| matches!(&r.event, Event::Auth(a) if a.tls && a.accepted))
    );
    assert_eq!(Ledger::from_trace(&with_tls).passwords, []);
}

#[test]
fn a_bounce_that_made_no_hop_is_not_called_encrypted() {
    // The refusal makes mail.home.test file a bounce (m2) straight into
    // Alice's mailbox: a copy at rest, and no hop at all.
    let world = refused_after_data();
    let trace = run(&world);
    assert!(trace.hops().all(|(_, h)| h.message != "m2"));
    let ledger = Ledger::from_trace(&trace);
    assert_eq!(ledger.messages(), ["m1", "m2"]);
    assert!(!ledger.every_hop_encrypted("m2"));
    assert!(
        ledger.every_hop_encrypted("m1"),
        "m1's one hop was inside TLS"
    );
    let report = mailhop::report::render(&world, &trace);
    assert!(
        !report.contains("every hop of m2 was encrypted"),
        "{report}"
    );
    assert!(report.contains("On the wire: m2 made no hop."), "{report}");
}

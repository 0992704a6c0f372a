//! What a real MTA does, run in small worlds: loops end in a bounce, runs
//! have caps, bounces go where they should, servers can say no. Each test
//! is named after the rule it holds.

mod common;

use common::scenario;
use mailhop::invariants::{check_no_loss, check_shape, cut_short};
use mailhop::sim::{self, Limits, Options};
use mailhop::trace::{Event, Trace};

/// Two smarthosts that relay everything to each other.
const RELAY_LOOP: &str = r#"{
  "id": "relay-loop", "title": {"en": "Loop", "pt": "Laço"}, "seed": 3,
  "nodes": {
    "alice-laptop": {"role": "mua", "user": "alice@home.test", "password": "pw", "submit": "mail.home.test"},
    "mail.home.test": {"role": "msa", "accounts": {"alice@home.test": "pw"}, "mailboxes": ["alice@home.test"], "relay": "a.isp.test"},
    "a.isp.test": {"role": "smarthost", "relay_for": ["mail.home.test", "b.isp.test"], "relay": "b.isp.test"},
    "b.isp.test": {"role": "smarthost", "relay_for": ["a.isp.test"], "relay": "a.isp.test"}
  },
  "dns": {"home.test": {"MX": [{"preference": 10, "host": "mail.home.test"}]}},
  "script": [{"at": "0s", "send": {"from": "alice-laptop", "to": ["bob@far.test"]}}]
}"#;

fn end_reason(trace: &Trace) -> &str {
    match &trace.events.last().expect("events").event {
        Event::End { reason } => reason,
        other => panic!("last event is {other:?}"),
    }
}

#[test]
fn rfc5321_6_3_a_relay_loop_bounces_with_5_4_6_and_ends() {
    let started = std::time::Instant::now();
    let trace = sim::run(&scenario(RELAY_LOOP)).expect("runs");
    check_shape(&trace).expect("shape");
    check_no_loss(&trace).expect("nothing lost");
    assert_eq!(end_reason(&trace), "quiescent");
    let bounce = first_of(&trace, |e| match e {
        Event::Bounced(b) if b.message == "m1" => Some((b.status.clone(), b.reason.clone())),
        _ => None,
    })
    .expect("the looping message bounced");
    assert_eq!(bounce.0, "5.4.6");
    assert!(bounce.1.contains("51 Received headers"), "{}", bounce.1);
    let hops = trace.hops().filter(|(_, h)| h.message == "m1").count();
    assert_eq!(hops, 51, "the submission hop and fifty relay hops");
    // Not a timed assertion: a runaway loop would take minutes, not seconds.
    assert!(started.elapsed().as_secs() < 30);
}

#[test]
fn every_run_has_caps_on_events_and_messages() {
    let mut loop_without_limit = scenario(RELAY_LOOP);
    for node in loop_without_limit.nodes.values_mut() {
        node.hop_limit = usize::MAX;
    }
    let options = Options {
        limits: Limits {
            max_events: 5_000,
            ..Limits::default()
        },
        ..Options::default()
    };
    let trace = sim::run_with(&loop_without_limit, &options).expect("runs");
    assert_eq!(end_reason(&trace), "event_limit");
    assert!(trace.events.len() <= 5_010, "{}", trace.events.len());
    check_shape(&trace).expect("a cut run still has one end");
    assert!(cut_short(&trace).unwrap().contains("--max-events"));

    let options = Options {
        limits: Limits {
            max_messages: 1,
            ..Limits::default()
        },
        ..Options::default()
    };
    let trace = sim::run_with(&scenario(RELAY_LOOP), &options).expect("runs");
    assert_eq!(end_reason(&trace), "message_limit");

    let options = Options {
        limits: Limits {
            max_bytes: 20_000,
            ..Limits::default()
        },
        ..Options::default()
    };
    let trace = sim::run_with(&loop_without_limit, &options).expect("runs");
    assert_eq!(end_reason(&trace), "byte_limit");
    assert!(cut_short(&trace).unwrap().contains("--max-bytes"));
}

/// Alice's server, Bob's primary (down for a while) and his backup MX,
/// which forwards to the primary. The backup only knows friend.test.
const BACKUP_MX: &str = r#"{
  "id": "backup", "title": {"en": "Backup", "pt": "Reserva"}, "seed": 5,
  "nodes": {
    "alice-laptop": {"role": "mua", "user": "alice@home.test", "password": "pw", "submit": "mail.home.test"},
    "mail.home.test": {"role": "msa", "accounts": {"alice@home.test": "pw"}, "mailboxes": ["alice@home.test"]},
    "backup.friend.test": {"role": "secondary-mx", "relay_domains": ["friend.test"], "forward": ["mx.friend.test"],
                           "retry": {"first": "10m", "max": "1h", "lifetime": "3h"}, "delay_warning": "1h"},
    "mx.friend.test": {"role": "mda", "mailboxes": ["bob@friend.test"]}
  },
  "dns": {"home.test": {"MX": [{"preference": 10, "host": "mail.home.test"}]},
          "friend.test": {"MX": [{"preference": 10, "host": "mx.friend.test"}, {"preference": 20, "host": "backup.friend.test"}]}},
  "faults": [{"down": "mx.friend.test", "from": "0s"}],
  "script": [{"at": "0s", "send": {"from": "alice-laptop", "to": ["bob@friend.test"]}}]
}"#;

/// Pieces of `BACKUP_MX` the tests rewrite.
const MX_DOWN: &str = r#""faults": [{"down": "mx.friend.test", "from": "0s"}],"#;
const ALICE_SERVER: &str = r#""mail.home.test": {"role": "msa","#;

/// The first event `pick` recognises.
fn first_of<T>(trace: &Trace, pick: impl Fn(&Event) -> Option<T>) -> Option<T> {
    trace.events.iter().find_map(|r| pick(&r.event))
}

fn eml_in_mailbox(trace: &Trace, mailbox: &str) -> Vec<String> {
    trace
        .events
        .iter()
        .filter_map(|r| match &r.event {
            Event::Stored(s) => match &s.place {
                mailhop::trace::Place::Mailbox { mailbox: m, .. } if m == mailbox => {
                    Some(s.eml.clone())
                }
                _ => None,
            },
            _ => None,
        })
        .collect()
}

#[test]
fn rfc3464_a_backup_mx_sends_its_notices_to_the_senders_domain_by_mx() {
    let trace = sim::run(&scenario(BACKUP_MX)).expect("runs");
    check_no_loss(&trace).expect("nothing lost");
    let hops: Vec<(String, String, String)> = trace
        .hops()
        .map(|(_, h)| (h.message.clone(), h.from.clone(), h.to.clone()))
        .collect();
    let notices: Vec<&(String, String, String)> =
        hops.iter().filter(|(m, _, _)| m != "m1").collect();
    assert!(!notices.is_empty(), "{hops:?}");
    for (_, from, to) in notices {
        assert_eq!(
            (from.as_str(), to.as_str()),
            ("backup.friend.test", "mail.home.test"),
            "notices go to home.test's MX, never to the forward host"
        );
    }
    let mail = eml_in_mailbox(&trace, "alice@home.test");
    let delayed = mail
        .iter()
        .find(|e| e.contains("Action: delayed"))
        .expect("a delay warning after an hour");
    assert!(delayed.contains("Status: 4.4.1"), "{delayed}");
    assert!(delayed.contains("Will-Retry-Until: "), "{delayed}");
    let failed = mail
        .iter()
        .find(|e| e.contains("Action: failed"))
        .expect("a bounce after three hours");
    assert!(
        failed.contains("Arrival-Date: Mon, 5 Jan 2026 09:00:"),
        "arrival, not the time of the bounce: {failed}"
    );
    assert!(
        !failed.contains("Diagnostic-Code"),
        "no reply was ever heard: {failed}"
    );
    assert!(
        trace
            .events
            .iter()
            .any(|r| matches!(&r.event, Event::DelayWarned(w) if w.message == "m1"))
    );
}

#[test]
fn rfc3464_diagnostic_code_quotes_the_remote_reply_with_its_mta() {
    let json = BACKUP_MX.replace(MX_DOWN, "").replace(
        r#""to": ["bob@friend.test"]"#,
        r#""to": ["bbo@friend.test"]"#,
    );
    let trace = sim::run(&scenario(&json)).expect("runs");
    let mail = eml_in_mailbox(&trace, "alice@home.test");
    let notice = mail.first().expect("a bounce");
    assert!(notice.contains("Remote-MTA: dns; mx.friend.test\r\nDiagnostic-Code: smtp; 550 5.1.1 <bbo@friend.test>: Recipient address rejected: User unknown in local recipient table\r\n"), "{notice}");
}

#[test]
fn rfc7505_null_mx_bounces_at_once_with_5_1_10() {
    let json = BACKUP_MX.replace(
        r#""friend.test": {"MX": [{"preference": 10, "host": "mx.friend.test"}, {"preference": 20, "host": "backup.friend.test"}]}"#,
        r#""friend.test": {"MX": [{"preference": 0, "host": "."}]}"#,
    );
    let trace = sim::run(&scenario(&json)).expect("runs");
    let (t, status) = trace
        .events
        .iter()
        .find_map(|r| match &r.event {
            Event::Bounced(b) => Some((r.t, b.status.clone())),
            _ => None,
        })
        .expect("bounced");
    assert_eq!(status, "5.1.10");
    assert!(t < 5_000, "at once, not after retries: {t}");
}

#[test]
fn an_mx_host_without_address_is_deferred_then_bounced() {
    let json = BACKUP_MX
        .replace(
            r#""friend.test": {"MX": [{"preference": 10, "host": "mx.friend.test"}, {"preference": 20, "host": "backup.friend.test"}]}"#,
            r#""friend.test": {"MX": [{"preference": 10, "host": "mx.nowhere.test"}]}"#,
        )
        .replace(
            ALICE_SERVER,
            r#""mail.home.test": {"role": "msa", "retry": {"first": "10m", "max": "1h", "lifetime": "2h"},"#,
        );
    let trace = sim::run(&scenario(&json)).expect("runs");
    assert!(
        trace.events.iter().any(
            |r| matches!(&r.event, Event::Deferred(d) if d.reason.contains("mx.nowhere.test"))
        )
    );
    assert!(
        trace
            .events
            .iter()
            .any(|r| matches!(&r.event, Event::Bounced(b) if b.recipient == "bob@friend.test"))
    );
}

#[test]
fn rfc5321_4_5_1_postmaster_reaches_the_configured_mailbox() {
    let json = BACKUP_MX
        .replace(MX_DOWN, "")
        .replace(
            r#""mx.friend.test": {"role": "mda", "mailboxes": ["bob@friend.test"]}"#,
            r#""mx.friend.test": {"role": "mda", "mailboxes": ["bob@friend.test", "admin@friend.test"], "postmaster": "admin@friend.test"}"#,
        )
        .replace(r#""to": ["bob@friend.test"]"#, r#""to": ["postmaster@friend.test"]"#);
    let trace = sim::run(&scenario(&json)).expect("runs");
    check_no_loss(&trace).expect("nothing lost");
    let filed = first_of(&trace, |e| match e {
        Event::Delivered(d) => Some((d.recipient.clone(), d.mailbox.clone(), d.uid)),
        _ => None,
    })
    .expect("delivered");
    assert_eq!(
        filed,
        (
            "postmaster@friend.test".into(),
            "admin@friend.test".into(),
            1
        )
    );
}

#[test]
fn servers_that_say_no_a_451_is_retried_and_then_accepted() {
    let json = BACKUP_MX
        .replace(MX_DOWN, "")
        .replace(
            r#""mx.friend.test": {"role": "mda", "mailboxes": ["bob@friend.test"]}"#,
            r#""mx.friend.test": {"role": "mda", "mailboxes": ["bob@friend.test"],
                "refuse": [{"phase": "rcpt", "reply": "451 4.7.1 Greylisted, try again later", "until": "5m"}]}"#,
        )
        .replace(
            ALICE_SERVER,
            r#""mail.home.test": {"role": "msa", "retry": {"first": "10m", "max": "1h", "lifetime": "2h"},"#,
        );
    let trace = sim::run(&scenario(&json)).expect("runs");
    let deferred = first_of(&trace, |e| match e {
        Event::Deferred(d) => Some(d.reason.clone()),
        _ => None,
    })
    .expect("the first attempt was deferred");
    assert!(
        deferred.contains("451 host mx.friend.test said: 4.7.1 Greylisted"),
        "{deferred}"
    );
    let delivered_at = trace
        .events
        .iter()
        .find_map(|r| {
            matches!(&r.event, Event::Delivered(d) if d.recipient == "bob@friend.test")
                .then_some(r.t)
        })
        .expect("delivered on a retry");
    assert!(delivered_at >= 10 * 60_000, "{delivered_at}");
}

#[test]
fn rfc8314_submission_on_465_is_tls_from_the_first_byte() {
    let json = BACKUP_MX.replace(MX_DOWN, "").replace(
        r#""submit": "mail.home.test"}"#,
        r#""submit": "mail.home.test", "submit_port": 465}"#,
    );
    let trace = sim::run(&scenario(&json)).expect("runs");
    check_no_loss(&trace).expect("nothing lost");
    let (_, first) = trace.hops().next().expect("a hop");
    assert_eq!(first.channel, mailhop::trace::Channel::TlsAuthenticated);
    assert_eq!(first.protocol, "ESMTPSA");
    let conn = &first.conn;
    assert!(
        trace.events.iter().all(|r| match &r.event {
            Event::Line { conn: c, tls, .. } if c == conn => *tls,
            _ => true,
        }),
        "even the greeting travelled inside TLS"
    );
    assert!(!trace.events.iter().any(|r| matches!(&r.event,
        Event::Line { conn: c, text, .. } if c == conn && text == "STARTTLS")));
}

#[test]
fn services_by_port_a_port_nobody_listens_on_is_refused() {
    let json = BACKUP_MX.replace(MX_DOWN, "").replace(
        ALICE_SERVER,
        r#""mail.home.test": {"role": "msa", "listen": {"25": "smtp", "465": "submissions"},"#,
    );
    let trace = sim::run(&scenario(&json)).expect("runs");
    let failed = first_of(&trace, |e| match e {
        Event::SubmissionFailed(f) => Some(f.reason.clone()),
        _ => None,
    })
    .expect("587 is closed");
    assert!(
        failed.contains("mail.home.test:587: connection refused"),
        "{failed}"
    );
}

#[test]
fn rfc1870_an_oversized_message_is_refused_at_mail_before_its_body_crosses() {
    let json = BACKUP_MX.replace(MX_DOWN, "").replace(
        ALICE_SERVER,
        r#""mail.home.test": {"role": "msa", "message_size_limit": 100,"#,
    );
    let trace = sim::run(&scenario(&json)).expect("runs");
    let lines: Vec<&str> = trace
        .events
        .iter()
        .filter_map(|r| match &r.event {
            Event::Line { text, .. } => Some(text.as_str()),
            _ => None,
        })
        .collect();
    let mail = lines
        .iter()
        .position(|l| l.starts_with("MAIL FROM:<alice@home.test> SIZE="))
        .expect("the client announced the size");
    assert_eq!(
        lines[mail + 1],
        "552 5.3.4 Message size exceeds fixed limit"
    );
    assert!(
        !lines.iter().any(|l| l.starts_with("Subject:")),
        "the body never crossed: {lines:?}"
    );
    assert_eq!(trace.hops().count(), 0);
}

#[test]
fn refused_recipients_never_cost_the_accepted_ones_their_message() {
    let mut to: Vec<String> = (0..20)
        .map(|i| format!("\"nobody{i}@home.test\""))
        .collect();
    to.push("\"alice@home.test\"".into());
    let json = BACKUP_MX.replace(MX_DOWN, "").replace(
        r#""to": ["bob@friend.test"]"#,
        &format!(r#""to": [{}]"#, to.join(", ")),
    );
    let trace = sim::run(&scenario(&json)).expect("runs");
    check_no_loss(&trace).expect("nothing lost");
    assert!(
        trace.events.iter().any(|r| matches!(&r.event,
            Event::Delivered(d) if d.recipient == "alice@home.test")),
        "the one valid recipient got the message"
    );
    let refused = trace
        .events
        .iter()
        .filter(|r| matches!(&r.event, Event::Line { text, .. } if text.starts_with("550 5.1.1")))
        .count();
    assert_eq!(refused, 20);
    assert!(
        trace.events.iter().any(|r| matches!(&r.event,
            Event::Line { text, .. } if text.starts_with("421 4.7.0"))),
        "and then the server hung up on the client that made 20 errors"
    );
}

#[test]
fn a_down_machine_neither_sends_nor_keeps_its_sessions() {
    // Alice's laptop is off the network when she presses send.
    let json = BACKUP_MX.replace(
        MX_DOWN,
        r#""faults": [{"down": "alice-laptop", "from": "0s", "until": "1h"}],"#,
    );
    let trace = sim::run(&scenario(&json)).expect("runs");
    let failed = first_of(&trace, |e| match e {
        Event::SubmissionFailed(f) => Some(f.reason.clone()),
        _ => None,
    })
    .expect("the submission failed");
    assert!(failed.contains("alice-laptop is down"), "{failed}");
    assert_eq!(trace.hops().count(), 0);

    // A server that goes down in the middle of a session cuts it.
    let json = BACKUP_MX.replace(
        MX_DOWN,
        r#""faults": [{"down": "mx.friend.test", "from": "1s", "until": "2h"}],"#,
    );
    let (trace, ()) = sim::drive(&scenario(&json), &Options::default(), |w| async move {
        use tokio::io::{AsyncReadExt, AsyncWriteExt};
        let mut io = w
            .connect("mail.home.test", "mx.friend.test", 25)
            .await
            .expect("up at first")
            .link;
        let mut buf = [0u8; 512];
        let n = io.read(&mut buf).await.unwrap();
        assert!(buf[..n].starts_with(b"220 "));
        tokio::time::sleep(std::time::Duration::from_secs(2)).await;
        let _ = io.write_all(b"EHLO mail.home.test\r\n").await;
        let n = io.read(&mut buf).await.unwrap_or(0);
        assert_eq!(
            n,
            0,
            "the connection was cut: {:?}",
            String::from_utf8_lossy(&buf[..n])
        );
    })
    .expect("runs");
    assert!(trace.events.iter().any(|r| matches!(&r.event,
        Event::Cut { node, .. } if node == "mx.friend.test")));
}

//! Whole runs: the shipped scenarios tell their story, runs are
//! deterministic, encryption hides the body on the wire, routing falls back
//! and retries, failures bounce, and the no-loss check notices a gap.

mod common;

use common::{scenario, shipped};
use mail_parser::MimeHeaders;
use mailhop::exposure::Ledger;
use mailhop::invariants::{check_no_loss, check_shape};
use mailhop::sim::{self, Options};
use mailhop::trace::{Channel, Dir, Event, Observed, Trace};

const HOUR: u64 = 3_600_000;

fn run(name: &str) -> Trace {
    let trace = sim::run(&shipped(name)).expect("shipped scenarios run");
    check_shape(&trace).expect("trace shape");
    check_no_loss(&trace).expect("no message lost");
    trace
}

fn channels(trace: &Trace) -> Vec<(String, String, Channel)> {
    trace
        .hops()
        .map(|(_, h)| (h.from.clone(), h.to.clone(), h.channel))
        .collect()
}

#[test]
fn six_hops_tells_its_story() {
    let trace = run("six-hops.json");
    let hops = channels(&trace);
    let expected = [
        ("alice-laptop", "mail.home.test", Channel::TlsAuthenticated),
        ("mail.home.test", "smarthost.isp.test", Channel::Tls),
        (
            "smarthost.isp.test",
            "filter.spamco.test",
            Channel::Plaintext,
        ),
        (
            "filter.spamco.test",
            "backup.friend.test",
            Channel::Plaintext,
        ),
        ("backup.friend.test", "mx.friend.test", Channel::Tls),
        ("mx.friend.test", "bob-laptop", Channel::TlsAuthenticated),
    ];
    assert_eq!(
        hops,
        expected
            .map(|(a, b, c)| (a.to_string(), b.to_string(), c))
            .to_vec()
    );
    let ledger = Ledger::from_trace(&trace);
    assert_eq!(
        ledger.readable_by("m1"),
        [
            "mail.home.test",
            "smarthost.isp.test",
            "filter.spamco.test",
            "backup.friend.test",
            "mx.friend.test",
            "bob-laptop"
        ]
    );
    // The filter tried the real server first, and the backup MX kept being
    // deferred while it was down.
    let failed_first = trace.events.iter().find_map(|r| match &r.event {
        Event::ConnectFailed(f)
            if f.client == "filter.spamco.test" && f.server == "mx.friend.test" =>
        {
            Some(r.t)
        }
        _ => None,
    });
    assert_eq!(
        failed_first,
        Some(30_700),
        "the connect timed out after 30s"
    );
    let deferrals: Vec<u64> = trace
        .events
        .iter()
        .filter(|r| matches!(&r.event, Event::Deferred(d) if d.node == "backup.friend.test"))
        .map(|r| r.t)
        .collect();
    assert!(
        deferrals.len() >= 3 && deferrals.iter().all(|&t| t < 2 * HOUR),
        "{deferrals:?}"
    );
    let delivered = trace
        .events
        .iter()
        .find(|r| matches!(&r.event, Event::Delivered(d) if d.recipient == "bob@friend.test"))
        .expect("Bob gets the message");
    assert!(
        delivered.t > 2 * HOUR && delivered.t < 3 * HOUR,
        "delivered at {}",
        delivered.t
    );
    // Retries back off: each pause is longer than the one before, up to the cap.
    let retries: Vec<u64> = trace
        .events
        .iter()
        .filter_map(|r| match &r.event {
            Event::RetryScheduled { at, .. } => Some(at - r.t),
            _ => None,
        })
        .collect();
    assert_eq!(retries, [300_000, 600_000, 1_200_000, 2_400_000, 3_600_000]);
}

#[test]
fn a_trace_reads_back_from_its_json() {
    // Wire chunks hold their bytes once and write them twice (base64 and
    // text): reading the JSON must give the same trace, and the same JSON.
    for name in ["six-hops.json", "open-relay.json"] {
        let trace = run(name);
        let json = trace.to_json();
        assert!(
            json.contains("\"as\": \"text\""),
            "{name} has cleartext chunks"
        );
        let back: Trace = serde_json::from_str(&json).expect("the trace reads back");
        assert!(back == trace, "{name}: the trace read back differs");
        assert!(
            back.to_json() == json,
            "{name}: the JSON written again differs"
        );
    }
}

#[test]
fn twenty_runs_give_byte_identical_traces() {
    let scenario = shipped("six-hops.json");
    let first = sim::run(&scenario).unwrap().to_json();
    assert!(
        first.contains("\"kind\": \"tls_handshake\""),
        "the scenario has TLS hops"
    );
    for i in 1..20 {
        let again = sim::run(&scenario).unwrap().to_json();
        assert!(again == first, "run {i} differs from run 0");
    }
    // The seed really drives the TLS bytes: another seed, other ciphertext.
    let mut other = scenario.clone();
    other.seed += 1;
    let wire = |t: &Trace| -> Vec<Box<[u8]>> {
        t.events
            .iter()
            .filter_map(|r| match &r.event {
                Event::Wire(w) => Some(w.data.clone()),
                _ => None,
            })
            .collect()
    };
    let base = sim::run(&scenario).unwrap();
    assert_ne!(wire(&base), wire(&sim::run(&other).unwrap()));
}

/// The bytes an observer of `conn` saw going from client to server, split
/// into (before the first TLS record, from then on).
fn observed_on(trace: &Trace, conn: &str) -> (Vec<u8>, Vec<u8>) {
    let (mut clear, mut after) = (Vec::new(), Vec::new());
    let mut tls = false;
    for r in &trace.events {
        if let Event::Wire(w) = &r.event
            && w.conn == conn
            && w.dir == Dir::ClientToServer
        {
            tls |= matches!(w.observed, Observed::Tls { .. });
            if tls {
                after.extend_from_slice(&w.data)
            } else {
                clear.extend_from_slice(&w.data)
            }
        }
    }
    (clear, after)
}

fn contains(haystack: &[u8], needle: &str) -> bool {
    haystack
        .windows(needle.len())
        .any(|w| w == needle.as_bytes())
}

#[test]
fn starttls_hides_the_body_and_plaintext_shows_it() {
    let trace = run("six-hops.json");
    let body = "Are you free for lunch on Friday?";
    let hops: Vec<_> = trace.hops().map(|(_, h)| h.clone()).collect();
    let (clear, encrypted) = observed_on(&trace, &hops[0].conn);
    assert!(
        contains(&clear, "STARTTLS"),
        "the upgrade itself is visible"
    );
    assert!(
        !encrypted.is_empty(),
        "the message went through after the handshake"
    );
    assert!(
        !contains(&clear, body) && !contains(&encrypted, body),
        "no byte of the body in the clear"
    );
    assert!(!contains(&encrypted, "alice@home.test"), "nor the envelope");
    let (plain, after) = observed_on(&trace, &hops[2].conn);
    assert!(after.is_empty(), "hop 3 never switched to TLS");
    assert!(
        contains(&plain, body),
        "on the plaintext hop the body is on the wire"
    );
    assert!(contains(&plain, "RCPT TO:<bob@friend.test>"));
}

#[test]
fn the_next_mx_is_tried_when_the_first_does_not_answer() {
    let trace = run("mx-fallback.json");
    let hops = channels(&trace);
    assert_eq!(hops[1].1, "mx2.shop.test");
    assert_eq!(hops[2].1, "store.shop.test");
    let attempts: Vec<&str> = trace
        .events
        .iter()
        .filter_map(|r| match &r.event {
            Event::ConnectFailed(f) if f.server.starts_with("mx") => Some(f.server.as_str()),
            Event::Connect(c) if c.server.starts_with("mx") => Some(c.server.as_str()),
            _ => None,
        })
        .collect();
    assert_eq!(
        attempts,
        ["mx1.shop.test", "mx2.shop.test"],
        "mx3 is never needed"
    );
}

#[test]
fn direct_mx_has_two_encrypted_hops() {
    let trace = run("direct-mx.json");
    assert_eq!(
        channels(&trace).iter().map(|h| h.2).collect::<Vec<_>>(),
        [Channel::TlsAuthenticated, Channel::Tls]
    );
}

const BOUNCE_WORLD: &str = r#"{
  "id": "bounces", "title": {"en": "Bounces", "pt": "Devoluções"}, "seed": 3,
  "nodes": {
    "alice-laptop": {"role": "mua", "user": "alice@home.test", "password": "pw", "submit": "mail.home.test"},
    "mail.home.test": {"role": "msa", "accounts": {"alice@home.test": "pw"}, "mailboxes": ["alice@home.test"],
                       "retry": {"first": "10m", "max": "1h", "lifetime": "4h"}},
    "mx.friend.test": {"role": "mda", "mailboxes": ["bob@friend.test"]},
    "mx.gone.test": {"role": "mda", "mailboxes": ["zed@gone.test"]}
  },
  "dns": {"friend.test": {"MX": [{"preference": 10, "host": "mx.friend.test"}]},
          "gone.test": {"MX": [{"preference": 10, "host": "mx.gone.test"}]},
          "home.test": {"MX": [{"preference": 10, "host": "mail.home.test"}]}},
  "faults": [{"down": "mx.gone.test", "from": "0s"}],
  "script": [
    {"at": "0s", "send": {"from": "alice-laptop", "to": ["carol@friend.test"]}},
    {"at": "1m", "send": {"from": "alice-laptop", "to": ["zed@gone.test"]}}
  ]
}"#;

#[test]
fn unknown_users_and_expired_messages_bounce_to_the_sender() {
    let trace = sim::run(&scenario(BOUNCE_WORLD)).unwrap();
    check_no_loss(&trace).unwrap();
    let bounces: Vec<(String, String, Option<String>)> = trace
        .events
        .iter()
        .filter_map(|r| match &r.event {
            Event::Bounced(b) => Some((b.recipient.clone(), b.status.clone(), b.dsn.clone())),
            _ => None,
        })
        .collect();
    assert_eq!(bounces.len(), 2, "{bounces:?}");
    assert_eq!(
        (bounces[0].0.as_str(), bounces[0].1.as_str()),
        ("carol@friend.test", "5.1.1")
    );
    assert_eq!(
        (bounces[1].0.as_str(), bounces[1].1.as_str()),
        ("zed@gone.test", "4.4.1")
    );
    // Both notices reach Alice's own mailbox, as multipart/report messages.
    for (_, status, dsn) in &bounces {
        let dsn = dsn.as_ref().expect("a notice was sent");
        let eml = trace
            .events
            .iter()
            .find_map(|r| match &r.event {
                Event::Stored(s)
                    if s.message == *dsn
                        && matches!(s.place, mailhop::trace::Place::Mailbox { .. }) =>
                {
                    Some(s.eml.clone())
                }
                _ => None,
            })
            .expect("the notice is in Alice's mailbox");
        let parsed = mail_parser::MessageParser::default()
            .parse(eml.as_bytes())
            .unwrap();
        assert_eq!(parsed.content_type().unwrap().subtype(), Some("report"));
        assert!(eml.contains(&format!("Status: {status}")), "{eml}");
        assert!(
            eml.starts_with("Return-Path: <>\r\n"),
            "bounces have a null sender"
        );
    }
    let expired_at = trace
        .events
        .iter()
        .find(|r| matches!(&r.event, Event::Bounced(b) if b.status == "4.4.1"))
        .unwrap()
        .t;
    assert!(
        (4 * HOUR..5 * HOUR).contains(&expired_at),
        "gave up after the 4h lifetime: {expired_at}"
    );
}

#[test]
fn a_bounce_that_cannot_be_delivered_is_dropped_with_a_reason() {
    let json = BOUNCE_WORLD
        .replace(
            r#""user": "alice@home.test""#,
            r#""user": "alice@nowhere.test""#,
        )
        .replace(
            r#"{"alice@home.test": "pw"}"#,
            r#"{"alice@nowhere.test": "pw"}"#,
        )
        .replace(
            r#"{"at": "1m", "send": {"from": "alice-laptop", "to": ["zed@gone.test"]}}"#,
            "",
        )
        .replace(r#"["carol@friend.test"]}},"#, r#"["carol@friend.test"]}}"#);
    let trace = sim::run(&scenario(&json)).unwrap();
    check_no_loss(&trace).unwrap();
    let dropped = trace.events.iter().find_map(|r| match &r.event {
        Event::Dropped(d) => Some(d.reason.clone()),
        _ => None,
    });
    assert!(
        dropped.is_some_and(|r| r.contains("5.4.4")),
        "the notice to nowhere.test is dropped"
    );
}

#[test]
fn the_no_loss_check_notices_a_missing_event() {
    let scenario = shipped("six-hops.json");
    let broken = sim::run_with(
        &scenario,
        &Options {
            suppress: vec!["delivered"],
            ..Options::default()
        },
    )
    .unwrap();
    let violations = check_no_loss(&broken).expect_err("a delivery without its event is a loss");
    assert_eq!(violations.len(), 1);
    assert_eq!(violations[0].node, "mx.friend.test");
    assert!(violations[0].to_string().contains("bob@friend.test"));

    // A message still queued at the end is fine only while it is reported.
    let mut stuck = scenario.clone();
    stuck.faults[0].until = None;
    stuck.until = mailhop::scenario::Duration::from_secs(3 * 3600);
    let ok = sim::run(&stuck).unwrap();
    check_no_loss(&ok).unwrap();
    assert!(
        ok.events
            .iter()
            .any(|r| matches!(&r.event, Event::QueuedAtEnd(q) if q.node == "backup.friend.test"))
    );
    let hidden = sim::run_with(
        &stuck,
        &Options {
            suppress: vec!["queued_at_end"],
            ..Options::default()
        },
    )
    .unwrap();
    assert!(check_no_loss(&hidden).is_err());
}

#[test]
fn a_domain_without_mx_gets_mail_at_its_a_record() {
    let json = r#"{
      "id": "implicit-mx", "title": {"en": "Implicit MX", "pt": "MX implícito"}, "seed": 5,
      "nodes": {
        "alice-laptop": {"role": "mua", "user": "alice@home.test", "password": "pw", "submit": "mail.home.test"},
        "mail.home.test": {"role": "msa", "accounts": {"alice@home.test": "pw"}},
        "box.plain.test": {"role": "mda", "address": "192.0.2.50", "mailboxes": ["u@plain.test"]}
      },
      "dns": {"plain.test": {"A": ["192.0.2.50"]}},
      "script": [{"at": "0s", "send": {"from": "alice-laptop", "to": ["u@plain.test"]}}]
    }"#;
    let trace = sim::run(&scenario(json)).unwrap();
    let asked: Vec<(String, String, String)> = trace
        .events
        .iter()
        .filter_map(|r| match &r.event {
            Event::DnsAnswer(a) if a.node == "mail.home.test" && !a.name.ends_with(".arpa") => {
                Some((a.name.clone(), a.rtype.clone(), a.rcode.clone()))
            }
            _ => None,
        })
        .collect();
    assert_eq!(
        asked,
        [
            (
                "plain.test".to_string(),
                "MX".to_string(),
                "NOERROR".to_string()
            ),
            (
                "plain.test".to_string(),
                "A".to_string(),
                "NOERROR".to_string()
            ),
            (
                "plain.test".to_string(),
                "A".to_string(),
                "NOERROR".to_string()
            ),
        ],
        "MX is empty, so the A record stands in for it"
    );
    assert_eq!(channels(&trace)[1].1, "box.plain.test");
}

#[test]
fn a_client_that_checks_certificates_refuses_an_expired_one() {
    let json = r#"{
      "id": "expired", "title": {"en": "Expired", "pt": "Expirado"}, "seed": 6, "until": "1h",
      "nodes": {
        "alice-laptop": {"role": "mua", "user": "alice@home.test", "password": "pw", "submit": "mail.home.test"},
        "mail.home.test": {"role": "mta", "accounts": {"alice@home.test": "pw"}, "relay": "smarthost.isp.test",
                           "verify_tls": true, "starttls": "require"},
        "smarthost.isp.test": {"role": "smarthost", "relay_for": ["mail.home.test"], "certificate": "expired"}
      },
      "script": [{"at": "0s", "send": {"from": "alice-laptop", "to": ["bob@friend.test"]}}]
    }"#;
    let trace = sim::run(&scenario(json)).unwrap();
    check_no_loss(&trace).unwrap();
    let failure = trace.events.iter().find_map(|r| match &r.event {
        Event::TlsFailed { error, .. } => Some(error.clone()),
        _ => None,
    });
    assert!(
        failure.as_deref().is_some_and(|e| e.contains("expired")),
        "{failure:?}"
    );
    assert_eq!(trace.hops().count(), 1, "only the submission got through");
    assert!(
        trace
            .events
            .iter()
            .any(|r| matches!(&r.event, Event::QueuedAtEnd(q) if q.node == "mail.home.test"))
    );
}

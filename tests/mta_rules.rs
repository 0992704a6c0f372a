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
    let bounce = trace
        .events
        .iter()
        .find_map(|r| match &r.event {
            Event::Bounced {
                message,
                status,
                reason,
                ..
            } if message == "m1" => Some((status.clone(), reason.clone())),
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
}

//! The network's edge: greylisting, a provider that blocks port 25, a
//! server that judges its clients (blocklists, reverse DNS, HELO, dynamic
//! addresses) and a gateway that routes by rule. Each test runs a world and
//! reads what happened from its trace.

use mailhop::harness::Run;
use mailhop::trace::{ClientChecked, DynamicSign, Event, HeloVerdict, Trace};

/// A shipped scenario with some text replaced, run and checked for lost
/// messages and shape.
fn shipped(name: &str, edits: &[(&str, &str)]) -> Run {
    let path = format!("{}/scenarios/{name}", env!("CARGO_MANIFEST_DIR"));
    let mut text = std::fs::read_to_string(&path).unwrap();
    for (from, to) in edits {
        assert!(text.contains(from), "{from:?} is not in {name}");
        text = text.replacen(from, to, 1);
    }
    checked(Run::json(name, &text).unwrap_or_else(|err| panic!("{err}")))
}

fn checked(run: Run) -> Run {
    mailhop::invariants::check_no_loss(&run.trace).expect("no message lost");
    mailhop::invariants::check_shape(&run.trace).expect("a well-formed trace");
    run
}

/// The server's side of the conversations with `node`, as `S: `/`C: ` lines.
fn replies_to(trace: &Trace, client: &str) -> Vec<String> {
    let conns: Vec<&str> = trace
        .events
        .iter()
        .filter_map(|r| match &r.event {
            Event::Connect(c) if c.client == client => Some(c.conn.as_str()),
            _ => None,
        })
        .collect();
    trace
        .events
        .iter()
        .filter_map(|r| match &r.event {
            Event::Line { conn, text, .. } if conns.contains(&conn.as_str()) => Some(text.clone()),
            _ => None,
        })
        .collect()
}

fn client_checks(trace: &Trace) -> Vec<&ClientChecked> {
    trace
        .events
        .iter()
        .filter_map(|r| match &r.event {
            Event::ClientChecked(c) => Some(&**c),
            _ => None,
        })
        .collect()
}

#[test]
fn greylisting_defers_a_new_triplet_then_accepts_the_retry_after_the_delay() {
    let run = shipped("greylisting.json", &[]);
    let greylisted: Vec<(u64, &str, u64, u64)> = run
        .trace
        .events
        .iter()
        .filter_map(|r| match &r.event {
            Event::Greylisted(g) => Some((r.t, g.client.as_str(), g.first_seen, g.retry_at)),
            _ => None,
        })
        .collect();
    assert_eq!(greylisted.len(), 2, "{greylisted:?}");
    let (t, client, first_seen, retry_at) = greylisted[0];
    assert_eq!(client, "mail.home.test");
    assert_eq!(
        (first_seen, retry_at),
        (t, t + 300_000),
        "five minutes from the first try"
    );
    let passed: Vec<(u64, &str, u64)> = run
        .trace
        .events
        .iter()
        .filter_map(|r| match &r.event {
            Event::GreylistPassed(g) => Some((r.t, g.client.as_str(), g.first_seen)),
            _ => None,
        })
        .collect();
    assert_eq!(passed.len(), 1, "{passed:?}");
    assert_eq!(passed[0].1, "mail.home.test");
    assert_eq!(passed[0].2, first_seen);
    assert!(passed[0].0 >= retry_at, "not before the delay");
    let lines = replies_to(&run.trace, "mail.home.test");
    let rcpt_replies: Vec<&String> = lines
        .iter()
        .filter(|l| l.starts_with("451 ") || l.starts_with("250 2.1.5"))
        .collect();
    assert_eq!(
        rcpt_replies,
        [
            "451 4.7.1 <bob@friend.test>: Recipient address rejected: Greylisted, try again in 300 seconds",
            "250 2.1.5 Ok"
        ]
    );
    run.assert(r#"{"delivered": {"to": "bob@friend.test", "after": "5m", "before": "6m"}}"#);
    // The refusal and the pass are marks on the player's timeline, in words.
    let data = mailhop::player::build(&run.scenario, &run.trace);
    let marks: Vec<(&str, &str)> = data
        .timeline
        .iter()
        .filter(|m| m.kind.starts_with("greylist"))
        .map(|m| (m.kind, m.text_pt.as_str()))
        .collect();
    assert_eq!(marks.len(), 3, "{marks:?}");
    assert!(
        marks[0]
            .1
            .starts_with("mx.friend.test põe mail.home.test na lista cinza"),
        "{marks:?}"
    );
    assert_eq!(marks[2].0, "greylist_passed");
    // And the step of the refused session tells why, in its log.
    let refused = data
        .steps
        .iter()
        .find(|s| s.kind == "session" && s.caption.is_some())
        .expect("the first refused session");
    assert!(
        refused
            .events
            .iter()
            .any(|e| e.kind == "greylisted" && e.code.as_deref() == Some("451")),
        "{:?}",
        refused.events
    );
}

#[test]
fn a_bot_that_never_retries_never_gets_its_message_through() {
    let run = shipped("greylisting.json", &[]);
    let lines = replies_to(&run.trace, "bot-pc");
    assert!(
        lines
            .iter()
            .any(|l| l.starts_with("451 4.7.1 <bob@friend.test>")),
        "{lines:?}"
    );
    assert!(lines.contains(&"554 5.5.1 Error: no valid recipients".to_string()));
    assert!(
        !lines.iter().any(|l| l.contains("You have won")),
        "the message itself is never typed"
    );
    let bot_sessions = run
        .trace
        .events
        .iter()
        .filter(|r| matches!(&r.event, Event::Connect(c) if c.client == "bot-pc"))
        .count();
    assert_eq!(bot_sessions, 1, "it never comes back");
    assert!(!run.trace.hops().any(|(_, h)| h.from == "bot-pc"));
    run.assert(r#"{"mailbox": {"of": "bob@friend.test", "count": 1, "holds": "m1"}}"#);
}

#[test]
fn without_greylisting_the_first_attempt_goes_through() {
    let run = shipped(
        "greylisting.json",
        &[(r#""checks": { "greylist": "5m" }"#, r#""checks": {}"#)],
    );
    assert!(
        !run.trace
            .events
            .iter()
            .any(|r| matches!(r.event, Event::Greylisted(_) | Event::GreylistPassed(_)))
    );
    run.assert(r#"{"delivered": {"to": "bob@friend.test", "before": "1m"}}"#);
    run.assert(r#"{"mailbox": {"of": "bob@friend.test", "count": 2}}"#);
}

#[test]
fn greylisting_runs_are_identical() {
    let a = serde_json::to_string(&shipped("greylisting.json", &[]).trace).unwrap();
    let b = serde_json::to_string(&shipped("greylisting.json", &[]).trace).unwrap();
    assert!(a == b, "two runs of the same scenario differ");
}

#[test]
fn an_isp_block_is_a_connect_timeout_that_names_the_rule() {
    let run = shipped("home-server.json", &[]);
    let failed: Vec<(u64, &mailhop::trace::ConnectFailed)> = run
        .trace
        .events
        .iter()
        .filter_map(|r| match &r.event {
            Event::ConnectFailed(f) => Some((r.t, &**f)),
            _ => None,
        })
        .collect();
    assert_eq!(failed.len(), 1, "{failed:?}");
    let (t, f) = failed[0];
    assert_eq!(
        (f.client.as_str(), f.server.as_str(), f.port),
        ("ana-pc", "mx.friend.test", 25)
    );
    assert_eq!(
        t, 30_000,
        "dropped: the client waits out the 30 s connect timeout"
    );
    assert_eq!(f.reason, "connection timed out");
    let rule = f.blocked.as_ref().expect("the rule is named");
    assert_eq!(
        (
            rule.network.as_str(),
            rule.range.as_str(),
            rule.rule.as_str()
        ),
        ("isp-home", "198.18.5.0/24", "block_outbound_smtp")
    );
    assert_eq!(rule.except, ["smtp.isp.test"]);
    assert!(
        !run.trace
            .events
            .iter()
            .any(|r| matches!(&r.event, Event::Connect(c) if c.client == "ana-pc")),
        "no connection was ever made"
    );
    // The same network reaches its provider's server on port 25.
    assert!(
        run.trace
            .hops()
            .any(|(_, h)| h.from == "bia-pc" && h.to == "smtp.isp.test")
    );
    // The player gives the dropped attempt a step of its own, told in words.
    let data = mailhop::player::build(&run.scenario, &run.trace);
    let step = data
        .steps
        .iter()
        .find(|s| s.kind == "blocked")
        .expect("a blocked step");
    assert_eq!(
        step.title.en,
        "Blocked by isp-home: ana-pc → mx.friend.test"
    );
    assert!(step.caption.is_some(), "the blocked:1 caption");
    let told: Vec<(&str, &str)> = step
        .events
        .iter()
        .map(|e| (e.kind, e.text.as_str()))
        .collect();
    let kinds: Vec<&str> = told.iter().map(|(k, _)| *k).collect();
    assert_eq!(
        kinds,
        ["composed", "connect_failed", "submission_failed"],
        "the attempt and the mail client giving up, in the same step"
    );
    assert!(
        told[1].1.contains("its network isp-home (198.18.5.0/24) blocks outgoing SMTP to every server but smtp.isp.test"),
        "{told:?}"
    );
    assert!(data.timeline.iter().any(|m| m.kind == "connect_failed"));
    assert!(mailhop::player::unseen_captions(&run.scenario, &run.trace).is_empty());
}

#[test]
fn the_block_spares_submission_ports() {
    let run = shipped(
        "home-server.json",
        &[(
            "\"submit\": \"mx.friend.test\",\n      \"submit_port\": 25",
            "\"submit\": \"mx.friend.test\",\n      \"submit_port\": 587",
        )],
    );
    assert!(
        !run.trace
            .events
            .iter()
            .any(|r| matches!(&r.event, Event::ConnectFailed(f) if f.client == "ana-pc")),
        "nothing drops a connection to port 587"
    );
    assert!(
        run.trace.events.iter().any(
            |r| matches!(&r.event, Event::Connect(c) if c.client == "ana-pc" && c.port == 587)
        )
    );
}

#[test]
fn a_blocklisted_home_address_is_refused_at_rcpt_with_554_5_7_1() {
    let run = shipped("home-server.json", &[]);
    let lines = replies_to(&run.trace, "rui-pc");
    assert!(
        lines.contains(&"554 5.7.1 Service unavailable; Client host [198.18.7.30] blocked using pbl.blocklist.test; Dynamic address of a home line; send mail through your provider's server: https://blocklist.test/pbl".to_string()),
        "{lines:?}"
    );
    assert!(
        lines.iter().any(|l| l == "250 2.1.0 Ok"),
        "MAIL is accepted: the refusal waits for RCPT"
    );
    let rui = client_checks(&run.trace)
        .into_iter()
        .find(|c| c.client == "rui-pc")
        .expect("rui-pc was looked up");
    assert_eq!(rui.ptr, None);
    assert!(!rui.fcrdns);
    assert_eq!(rui.helo, "[198.18.7.30]");
    assert_eq!(rui.helo_verdict, HeloVerdict::AddressLiteral);
    assert_eq!(rui.listed.len(), 1);
    assert_eq!(
        (rui.listed[0].zone.as_str(), rui.listed[0].answer.as_str()),
        ("pbl.blocklist.test", "127.0.0.11")
    );
    assert_eq!(
        rui.dynamic,
        Some(DynamicSign::Blocklist {
            zone: "pbl.blocklist.test".into()
        })
    );
    // Each look-up is a DNS question in the trace: RFC 5782's name, then the TXT.
    let asked: Vec<(&str, &str)> = run
        .trace
        .events
        .iter()
        .filter_map(|r| match &r.event {
            Event::DnsQuery(q) if q.name.ends_with("pbl.blocklist.test") => {
                Some((q.name.as_str(), q.rtype.as_str()))
            }
            _ => None,
        })
        .collect();
    assert_eq!(
        asked,
        [
            ("30.7.18.198.pbl.blocklist.test", "A"),
            ("30.7.18.198.pbl.blocklist.test", "TXT"),
            ("11.2.0.192.pbl.blocklist.test", "A"),
        ],
        "rui-pc, listed; then smtp.isp.test, not listed"
    );
    let isp = client_checks(&run.trace)
        .into_iter()
        .find(|c| c.client == "smtp.isp.test")
        .expect("the smarthost was looked up");
    assert_eq!(isp.ptr.as_deref(), Some("smtp.isp.test"));
    assert!(isp.fcrdns && isp.listed.is_empty() && isp.dynamic.is_none());
    assert_eq!(isp.helo_verdict, HeloVerdict::Resolves);
}

/// A server on `address` sends to an MX whose `checks` are as given; the
/// zone says what `dns` adds (its reverse name, say).
fn server_to_checking_mx(checks: &str, dns: &str) -> Run {
    let text = format!(
        r#"{{
  "id": "edge", "title": {{"en": "Edge", "pt": "Borda"}}, "seed": 3, "until": "20m",
  "nodes": {{
    "alice-laptop": {{"role": "mua", "user": "alice@sender.test", "password": "pw", "submit": "mail.sender.test"}},
    "mail.sender.test": {{"role": "mta", "address": "192.0.2.50", "accounts": {{"alice@sender.test": "pw"}}}},
    "mx.friend.test": {{"role": "mda", "mailboxes": ["bob@friend.test"], "checks": {checks}}}
  }},
  "dns": {{"friend.test": {{"MX": [{{"preference": 10, "host": "mx.friend.test"}}]}}{dns}}},
  "script": [{{"at": "0s", "send": {{"from": "alice-laptop", "to": ["bob@friend.test"]}}}}]
}}"#
    );
    checked(Run::json("edge.json", &text).unwrap_or_else(|err| panic!("{err}")))
}

const FORGED_PTR: &str = r#", "50.2.0.192.in-addr.arpa": {"PTR": ["mail.bank.test"]},
    "mail.bank.test": {"A": ["192.0.2.200"]}"#;

#[test]
fn fcrdns_mismatch_is_detected_and_refused_for_now() {
    let run = server_to_checking_mx(r#"{"reverse_dns": "fcrdns"}"#, FORGED_PTR);
    let found = client_checks(&run.trace);
    assert!(!found.is_empty());
    assert_eq!(found[0].ptr.as_deref(), Some("mail.bank.test"));
    assert!(
        !found[0].fcrdns,
        "mail.bank.test leads to 192.0.2.200, not 192.0.2.50"
    );
    let lines = replies_to(&run.trace, "mail.sender.test");
    assert!(
        lines.contains(
            &"450 4.7.25 Client host rejected: cannot find your hostname, [192.0.2.50]".to_string()
        ),
        "{lines:?}"
    );
    run.assert(r#"{"not_delivered": {"to": "bob@friend.test"}}"#);
    run.assert(r#"{"queued_at_end": {"node": "mail.sender.test"}}"#);
    // `ptr` asks only for a name, which the address has.
    let lax = server_to_checking_mx(r#"{"reverse_dns": "ptr"}"#, FORGED_PTR);
    lax.assert(r#"{"delivered": {"to": "bob@friend.test"}}"#);
    // The Received header names the client as Postfix does: `unknown` when
    // its reverse name is not confirmed.
    lax.assert(
        r#"{"header": {"to": "bob@friend.test", "name": "Received", "matches": "^from mail\\.sender\\.test \\(unknown \\[192\\.0\\.2\\.50\\]\\)"}}"#,
    );
    let honest = server_to_checking_mx(r#"{"reverse_dns": "fcrdns"}"#, "");
    honest.assert(
        r#"{"header": {"to": "bob@friend.test", "name": "Received", "matches": "^from mail\\.sender\\.test \\(mail\\.sender\\.test \\[192\\.0\\.2\\.50\\]\\)"}}"#,
    );
}

#[test]
fn a_stranger_saying_helo_localhost_is_refused_at_rcpt() {
    let text = r#"{
  "id": "helo", "title": {"en": "HELO", "pt": "HELO"}, "seed": 5,
  "nodes": {
    "bot-pc": {"role": "mua"},
    "mx.friend.test": {"role": "mda", "mailboxes": ["bob@friend.test", "postmaster@friend.test"], "checks": {"helo": true}}
  },
  "script": [{"at": "0s", "type": {"by": "bot-pc", "to": "mx.friend.test", "lines": [
    "HELO localhost", "MAIL FROM:<x@bot.test>", "RCPT TO:<bob@friend.test>",
    "RCPT TO:<postmaster@friend.test>", "QUIT"]}}]
}"#;
    let run = checked(Run::json("helo.json", text).unwrap());
    let lines = replies_to(&run.trace, "bot-pc");
    assert!(
        lines.contains(&"250 mx.friend.test".to_string()),
        "HELO itself is answered: {lines:?}"
    );
    assert!(
        lines.contains(
            &"504 5.5.2 <localhost>: Helo command rejected: need fully-qualified hostname"
                .to_string()
        ),
        "{lines:?}"
    );
    assert_eq!(
        lines.iter().filter(|l| *l == "250 2.1.5 Ok").count(),
        1,
        "the postmaster still takes mail from anyone: {lines:?}"
    );
    assert_eq!(
        client_checks(&run.trace)[0].helo_verdict,
        HeloVerdict::NotFqdn
    );
}

#[test]
fn a_gateway_routes_recipients_by_rule() {
    let text = r#"{
  "id": "gateway", "title": {"en": "Gateway", "pt": "Gateway"}, "seed": 9,
  "nodes": {
    "alice-laptop": {"role": "mua", "user": "alice@home.test", "password": "pw", "submit": "mail.home.test"},
    "mail.home.test": {"role": "mta", "accounts": {"alice@home.test": "pw"}},
    "gw.example.test": {"role": "gateway", "relay_domains": ["example.test", "sales.example.test"],
      "routes": [{"match": "ceo@example.test", "to": "mx-board.example.test"},
                 {"match": "@sales.example.test", "to": "mx-sales.example.test"}],
      "forward": ["mx-staff.example.test"]},
    "mx-board.example.test": {"role": "mda", "mailboxes": ["ceo@example.test"]},
    "mx-sales.example.test": {"role": "mda", "mailboxes": ["ana@sales.example.test"]},
    "mx-staff.example.test": {"role": "mda", "mailboxes": ["rui@example.test"]}
  },
  "dns": {"example.test": {"MX": [{"preference": 10, "host": "gw.example.test"}]},
          "sales.example.test": {"MX": [{"preference": 10, "host": "gw.example.test"}]}},
  "script": [{"at": "0s", "send": {"from": "alice-laptop",
    "to": ["ceo@example.test", "ana@sales.example.test", "rui@example.test"]}}]
}"#;
    let run = checked(Run::json("gateway.json", text).unwrap());
    let mut from_gateway: Vec<(&str, Vec<String>)> = run
        .trace
        .hops()
        .filter(|(_, h)| h.from == "gw.example.test")
        .map(|(_, h)| (h.to.as_str(), h.recipients.clone()))
        .collect();
    from_gateway.sort();
    assert_eq!(
        from_gateway,
        [
            (
                "mx-board.example.test",
                vec!["ceo@example.test".to_string()]
            ),
            (
                "mx-sales.example.test",
                vec!["ana@sales.example.test".to_string()]
            ),
            (
                "mx-staff.example.test",
                vec!["rui@example.test".to_string()]
            ),
        ]
    );
    for to in [
        "ceo@example.test",
        "ana@sales.example.test",
        "rui@example.test",
    ] {
        run.assert(&format!(r#"{{"delivered": {{"to": "{to}"}}}}"#));
    }
}

#[test]
fn a_spam_filter_scores_what_the_checks_found_about_the_client() {
    let spam_rules = |run: &Run| -> Vec<String> {
        run.trace
            .events
            .iter()
            .filter_map(|r| match &r.event {
                Event::SpamScored(s) => {
                    Some(s.rules.iter().map(|h| h.name.clone()).collect::<Vec<_>>())
                }
                _ => None,
            })
            .flatten()
            .collect()
    };
    // Checks that refuse nothing still look the client up; the filter
    // scores a reverse name that does not lead back to the address.
    let forged = server_to_checking_mx(r#"{}, "spam": {}"#, FORGED_PTR);
    let rules = spam_rules(&forged);
    assert!(rules.contains(&"FCRDNS_FAIL".to_string()), "{rules:?}");
    assert!(!rules.contains(&"RDNS_NONE".to_string()), "{rules:?}");
    assert!(!rules.contains(&"HELO_BAD".to_string()), "{rules:?}");
    let honest = server_to_checking_mx(r#"{}, "spam": {}"#, "");
    let rules = spam_rules(&honest);
    assert!(!rules.contains(&"FCRDNS_FAIL".to_string()), "{rules:?}");
}

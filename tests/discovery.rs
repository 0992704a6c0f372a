//! A mail client set up with only an address and a password finds its
//! servers (`scenarios/autoconfig.json`): every try is an event, a missing
//! file is a real 404 on the wire, and the search falls back in order.

mod common;

use common::{scenario, shipped};
use mailhop::invariants::{check_no_loss, check_shape};
use mailhop::scenario::Scenario;
use mailhop::sim;
use mailhop::trace::{Channel, Discovered, DiscoveryTry, Event, Trace};
use serde_json::{Value, json};

fn run(world: &Scenario) -> Trace {
    let trace = sim::run(world).unwrap();
    check_shape(&trace).unwrap();
    check_no_loss(&trace).unwrap();
    trace
}

fn tries<'a>(trace: &'a Trace, node: &str) -> Vec<&'a DiscoveryTry> {
    trace
        .events
        .iter()
        .filter_map(|r| match &r.event {
            Event::DiscoveryTry(t) if t.node == node => Some(&**t),
            _ => None,
        })
        .collect()
}

fn discovered<'a>(trace: &'a Trace, node: &str) -> Vec<&'a Discovered> {
    trace
        .events
        .iter()
        .filter_map(|r| match &r.event {
            Event::Discovered(d) if d.node == node => Some(&**d),
            _ => None,
        })
        .collect()
}

/// The server's lines of a connection.
fn said(trace: &Trace, conn: &str) -> Vec<String> {
    trace
        .events
        .iter()
        .filter_map(|r| match &r.event {
            Event::Line { conn: c, text, .. } if c == conn => Some(text.clone()),
            _ => None,
        })
        .collect()
}

#[test]
fn the_provider_file_gives_ana_everything_at_the_first_try() {
    let trace = run(&shipped("autoconfig.json"));
    let ana = tries(&trace, "ana-laptop");
    assert_eq!(ana.len(), 1, "{ana:#?}");
    assert_eq!(ana[0].method, "autoconfig");
    assert_eq!(
        ana[0].target,
        "https://autoconfig.example.test/mail/config-v1.1.xml?emailaddress=ana%40example.test"
    );
    assert!(ana[0].found);
    let lines = said(&trace, ana[0].conn.as_deref().unwrap());
    assert_eq!(
        lines[0],
        "GET /mail/config-v1.1.xml?emailaddress=ana%40example.test HTTP/1.1"
    );
    assert!(lines.contains(&"HTTP/1.1 200 OK".to_string()));
    assert!(lines.contains(&"      <socketType>SSL</socketType>".to_string()));
    let found = discovered(&trace, "ana-laptop");
    assert_eq!(found.len(), 1, "the search runs once, at the first step");
    let incoming = &found[0].incoming;
    assert_eq!(
        (
            incoming.host.as_str(),
            incoming.port,
            incoming.socket_type.as_str(),
            incoming.method.as_str()
        ),
        ("mail.example.test", 993, "SSL", "autoconfig")
    );
    assert_eq!(found[0].outgoing.as_ref().unwrap().port, 587);
}

#[test]
fn bruno_gets_a_404_then_srv_records_then_guesses_where_to_send() {
    let trace = run(&shipped("autoconfig.json"));
    let bruno = tries(&trace, "bruno-phone");
    let steps: Vec<(&str, &str, bool)> = bruno
        .iter()
        .map(|t| (t.method.as_str(), t.target.as_str(), t.found))
        .collect();
    assert_eq!(
        steps,
        [
            (
                "autoconfig",
                "https://autoconfig.small.test/mail/config-v1.1.xml?emailaddress=bruno%40small.test",
                false
            ),
            (
                "autoconfig",
                "https://small.test/.well-known/autoconfig/mail/config-v1.1.xml",
                false
            ),
            ("autoconfig-mx", "MX of small.test", false),
            (
                "autodiscover",
                "https://autodiscover.small.test/autodiscover/autodiscover.xml",
                false
            ),
            (
                "autodiscover",
                "https://small.test/autodiscover/autodiscover.xml",
                false
            ),
            ("srv", "_imaps._tcp.small.test", true),
            ("srv", "_imap._tcp.small.test", false),
            ("srv", "_submissions._tcp.small.test", false),
            ("srv", "_submission._tcp.small.test", false),
            ("guess", "smtp.small.test:465 (SSL)", false),
            ("guess", "mail.small.test:465 (SSL)", false),
            ("guess", "small.test:465 (SSL)", false),
            ("guess", "smtp.small.test:587 (STARTTLS)", true),
        ]
    );
    // The missing file is a real 404, said by the web server over TLS.
    let missing = bruno[1];
    assert_eq!(missing.result, "HTTP 404 Not Found");
    let lines = said(&trace, missing.conn.as_deref().unwrap());
    assert_eq!(
        lines[0],
        "GET /.well-known/autoconfig/mail/config-v1.1.xml HTTP/1.1"
    );
    assert!(
        lines.contains(&"HTTP/1.1 404 Not Found".to_string()),
        "{lines:#?}"
    );
    assert_eq!(bruno[0].result, "no address for autoconfig.small.test");
    // The probe that found the submission server spoke SMTP to it.
    let probe = said(&trace, bruno[12].conn.as_deref().unwrap());
    assert!(probe.iter().any(|l| l.starts_with("EHLO ")), "{probe:#?}");
    assert!(probe.iter().any(|l| l.contains("STARTTLS")));
    let found = discovered(&trace, "bruno-phone");
    assert_eq!(found[0].incoming.method, "srv");
    assert_eq!(found[0].outgoing.as_ref().unwrap().method, "guess");
}

#[test]
fn srv_answers_are_in_zone_file_form() {
    let trace = run(&shipped("autoconfig.json"));
    let answers: Vec<&Vec<String>> = trace
        .events
        .iter()
        .filter_map(|r| match &r.event {
            Event::DnsAnswer(a) if a.rtype == "SRV" && a.rcode == "NOERROR" => Some(&a.answers),
            _ => None,
        })
        .collect();
    assert_eq!(
        answers,
        [&vec![
            "_imaps._tcp.small.test. SRV 0 1 993 mx.small.test.".to_string()
        ]]
    );
}

#[test]
fn found_servers_are_used_and_checked_by_the_names_the_client_found() {
    let trace = run(&shipped("autoconfig.json"));
    let hops: Vec<(&str, &str, &str, Channel)> = trace
        .events
        .iter()
        .filter_map(|r| match &r.event {
            Event::Hop(h) => Some((
                h.from.as_str(),
                h.to.as_str(),
                h.protocol.as_str(),
                h.channel,
            )),
            _ => None,
        })
        .filter(|(f, t, _, _)| {
            f.ends_with("-phone")
                || t.ends_with("-phone")
                || f.ends_with("-laptop")
                || t.ends_with("-laptop")
        })
        .collect();
    // smtp.small.test is an alias of mx.small.test: its certificate names
    // it, so Bruno's phone authenticates the server it guessed.
    assert_eq!(
        hops,
        [
            (
                "ana-laptop",
                "mail.example.test",
                "ESMTPSA",
                Channel::TlsAuthenticated
            ),
            (
                "mx.small.test",
                "bruno-phone",
                "IMAP",
                Channel::TlsAuthenticated
            ),
            (
                "bruno-phone",
                "mx.small.test",
                "ESMTPSA",
                Channel::TlsAuthenticated
            ),
            (
                "mail.example.test",
                "ana-laptop",
                "IMAP",
                Channel::TlsAuthenticated
            ),
        ]
    );
}

/// The shipped world, after `edit`.
fn edited(edit: impl FnOnce(&mut Value)) -> Scenario {
    let path = format!("{}/scenarios/autoconfig.json", env!("CARGO_MANIFEST_DIR"));
    let mut world: Value = serde_json::from_str(&std::fs::read_to_string(path).unwrap()).unwrap();
    edit(&mut world);
    scenario(&world.to_string())
}

#[test]
fn without_srv_records_bruno_guesses_where_to_read_too() {
    let trace = run(&edited(|w| {
        w["dns"]
            .as_object_mut()
            .unwrap()
            .remove("_imaps._tcp.small.test");
    }));
    let guesses: Vec<(&str, bool)> = tries(&trace, "bruno-phone")
        .into_iter()
        .filter(|t| t.method == "guess")
        .map(|t| (t.target.as_str(), t.found))
        .collect();
    assert_eq!(
        guesses[..3],
        [
            ("imap.small.test:993 (SSL)", false),
            ("mail.small.test:993 (SSL)", false),
            ("small.test:993 (SSL)", true),
        ]
    );
    let found = discovered(&trace, "bruno-phone");
    assert_eq!(found[0].incoming.host, "small.test");
    assert_eq!(found[0].incoming.method, "guess");
}

#[test]
fn autodiscover_answers_when_there_is_no_file() {
    let trace = run(&edited(|w| {
        w["nodes"]["mx.small.test"]["web"] = json!({"autodiscover": {
            "incoming": [{"protocol": "imap", "host": "mx.small.test", "port": 993, "socket_type": "ssl"}],
            "outgoing": [{"host": "smtp.small.test", "port": 587, "socket_type": "starttls"}]
        }});
    }));
    let bruno = tries(&trace, "bruno-phone");
    let last = bruno.last().unwrap();
    assert_eq!((last.method.as_str(), last.found), ("autodiscover", true));
    let lines = said(&trace, last.conn.as_deref().unwrap());
    assert_eq!(lines[0], "POST /autodiscover/autodiscover.xml HTTP/1.1");
    assert!(
        lines
            .iter()
            .any(|l| l.contains("<EMailAddress>bruno@small.test</EMailAddress>"))
    );
    assert_eq!(
        discovered(&trace, "bruno-phone")[0]
            .outgoing
            .as_ref()
            .unwrap()
            .method,
        "autodiscover"
    );
}

#[test]
fn nothing_to_find_is_a_visible_failure() {
    let trace = run(&edited(|w| {
        w["dns"]
            .as_object_mut()
            .unwrap()
            .remove("_imaps._tcp.small.test");
        w["nodes"]["mx.small.test"]["aliases"] = json!([]);
        w["nodes"]["mx.small.test"]
            .as_object_mut()
            .unwrap()
            .remove("web");
    }));
    let failed = trace.events.iter().any(|r| {
        matches!(&r.event, Event::DiscoveryFailed(f) if f.node == "bruno-phone" && f.domain == "small.test")
    });
    assert!(failed);
    let retrieval = trace.events.iter().find_map(|r| match &r.event {
        Event::RetrievalFailed(f) if f.node == "bruno-phone" => Some(f.reason.clone()),
        _ => None,
    });
    assert_eq!(
        retrieval.unwrap(),
        "could not find its servers: nothing was found: no file, no SRV record, and no guess answered"
    );
    // A search that found nothing is not kept: the send at 20m searches
    // again, and each search is bounded.
    let searches = trace
        .events
        .iter()
        .filter(|r| matches!(&r.event, Event::DiscoveryStarted(d) if d.node == "bruno-phone"))
        .count();
    assert_eq!(searches, 2);
    let per_search = 2 + 1 + 2 + 4 + 2 * mailhop::sim::discover::MAX_GUESSES;
    assert!(tries(&trace, "bruno-phone").len() <= searches * per_search);
}

#[test]
fn the_same_world_gives_the_same_search() {
    let a = serde_json::to_string(&run(&shipped("autoconfig.json"))).unwrap();
    let b = serde_json::to_string(&run(&shipped("autoconfig.json"))).unwrap();
    assert_eq!(a, b);
}

#[test]
fn the_player_shows_each_https_session_and_probe_as_a_step() {
    let world = shipped("autoconfig.json");
    let trace = run(&world);
    let data = mailhop::player::build(&world, &trace);
    let sessions: Vec<&str> = data
        .steps
        .iter()
        .filter(|s| s.kind == "session")
        .map(|s| s.title.en.as_str())
        .collect();
    assert_eq!(
        sessions,
        [
            "No message accepted: ana-laptop → mail.example.test",
            "No message accepted: bruno-phone → mx.small.test",
            "No message accepted: bruno-phone → mx.small.test",
            "No message accepted: bruno-phone → mx.small.test",
        ],
        "a 404 is not an SMTP refusal"
    );
}

#[test]
fn a_file_without_a_sending_server_leaves_only_sending_to_srv_and_guesses() {
    let trace = run(&edited(|w| {
        w["nodes"]["mail.example.test"]["web"]["autoconfig"]
            .as_object_mut()
            .unwrap()
            .remove("outgoing");
        w["nodes"]["mail.example.test"]["aliases"] =
            json!(["autoconfig.example.test", "smtp.example.test"]);
    }));
    let ana: Vec<(&str, &str, bool)> = tries(&trace, "ana-laptop")
        .into_iter()
        .map(|t| (t.method.as_str(), t.target.as_str(), t.found))
        .collect();
    assert!(ana[0].2, "the file names the IMAP server");
    let srv: Vec<&str> = ana.iter().filter(|t| t.0 == "srv").map(|t| t.1).collect();
    assert_eq!(
        srv,
        [
            "_submissions._tcp.example.test",
            "_submission._tcp.example.test"
        ]
    );
    let found = discovered(&trace, "ana-laptop");
    assert_eq!(found[0].incoming.method, "autoconfig");
    let out = found[0].outgoing.as_ref().unwrap();
    assert_eq!(
        (out.host.as_str(), out.port, out.method.as_str()),
        ("smtp.example.test", 587, "guess")
    );
}

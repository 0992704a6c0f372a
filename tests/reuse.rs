//! Reuse like a real MTA: a relay with `connection_cache` carries the next
//! message over the connection it kept (RSET, then MAIL), and a client
//! resumes its TLS session instead of a full handshake. Both show in the
//! trace as what they are.

use mailhop::invariants::{check_no_loss, check_shape};
use mailhop::scenario::load_str;
use mailhop::sim;
use mailhop::trace::{Channel, Dir, Event, Trace};
use serde_json::{Value, json};

/// six-hops with Bob's server up, three messages a second apart, and
/// `connection_cache` on every server (`cache`), plus extra `faults`.
fn busy_six_hops(cache: Option<&str>, faults: Value) -> Trace {
    busy_world(cache, faults).1
}

fn busy_world(cache: Option<&str>, faults: Value) -> (mailhop::scenario::Scenario, Trace) {
    let path = concat!(env!("CARGO_MANIFEST_DIR"), "/scenarios/six-hops.json");
    let mut s: Value = serde_json::from_str(&std::fs::read_to_string(path).unwrap()).unwrap();
    let send = s["script"][0].clone();
    s["script"] = json!(
        [0, 1, 2]
            .iter()
            .map(|i| {
                let mut step = send.clone();
                step["at"] = json!(format!("{i}s"));
                step
            })
            .collect::<Vec<_>>()
    );
    s["faults"] = faults;
    s["expect"] = json!([]);
    s["captions"] = json!([]);
    if let Some(cache) = cache {
        for node in s["nodes"].as_object_mut().unwrap().values_mut() {
            if node["role"] != "mua" {
                node["connection_cache"] = json!(cache);
            }
        }
    }
    let scenario = load_str("busy.json", &s.to_string()).unwrap_or_else(|e| panic!("{e}"));
    let trace = sim::run(&scenario).expect("runs");
    check_shape(&trace).expect("shape");
    check_no_loss(&trace).expect("nothing lost");
    (scenario, trace)
}

/// Connections from `client` to `server`.
fn conns(trace: &Trace, client: &str, server: &str) -> Vec<String> {
    trace
        .iter()
        .filter_map(|r| match &r.event {
            Event::Connect(c) if c.client == client && c.server == server => Some(c.conn.clone()),
            _ => None,
        })
        .collect()
}

/// What the client said on `conn`, in order.
fn commands(trace: &Trace, conn: &str) -> Vec<String> {
    trace
        .iter()
        .filter_map(|r| match &r.event {
            Event::Line {
                conn: c,
                dir: Dir::ClientToServer,
                text,
                ..
            } if c == conn => Some(text.split_whitespace().next().unwrap_or("").to_string()),
            _ => None,
        })
        .filter(|verb| verb.chars().all(|c| c.is_ascii_uppercase()) && !verb.is_empty())
        .collect()
}

fn delivered(trace: &Trace) -> usize {
    trace
        .iter()
        .filter(|r| matches!(r.event, Event::Delivered(_)))
        .count()
}

#[test]
fn connection_cache_carries_the_next_message_over_the_kept_connection_after_rset() {
    let trace = busy_six_hops(Some("2s"), json!([]));
    assert_eq!(delivered(&trace), 3);
    let kept = conns(&trace, "mail.home.test", "smarthost.isp.test");
    assert_eq!(kept.len(), 1, "one connection for three messages: {kept:?}");
    let hops: Vec<_> = trace
        .hops()
        .filter(|(_, h)| h.from == "mail.home.test")
        .map(|(_, h)| (h.conn.clone(), h.channel))
        .collect();
    assert_eq!(hops.len(), 3);
    assert!(hops.iter().all(|(c, _)| *c == kept[0]), "{hops:?}");
    assert!(hops.iter().all(|(_, ch)| *ch == Channel::Tls), "{hops:?}");
    let said = commands(&trace, &kept[0]);
    let rsets = said.iter().filter(|v| *v == "RSET").count();
    let ehlos = said.iter().filter(|v| *v == "EHLO").count();
    assert_eq!(
        rsets, 2,
        "RSET before the second and third message: {said:?}"
    );
    assert_eq!(ehlos, 2, "one EHLO before STARTTLS and one after: {said:?}");
    assert_eq!(said.last().map(String::as_str), Some("QUIT"), "{said:?}");
    // QUIT comes when the connection has been idle for the cache's time.
    let last_hop = trace
        .hops()
        .filter(|(_, h)| h.conn == kept[0])
        .map(|(r, _)| r.t)
        .max()
        .unwrap();
    let quit = trace
        .iter()
        .find(|r| {
            matches!(&r.event, Event::Line { conn, dir: Dir::ClientToServer, text, .. }
            if *conn == kept[0] && text.starts_with("QUIT"))
        })
        .unwrap();
    assert!(quit.t >= last_hop + 2_000, "{} vs {}", quit.t, last_hop);
}

#[test]
fn without_connection_cache_every_message_has_its_own_connection() {
    let trace = busy_six_hops(None, json!([]));
    assert_eq!(delivered(&trace), 3);
    let each = conns(&trace, "mail.home.test", "smarthost.isp.test");
    assert_eq!(each.len(), 3);
    for conn in &each {
        assert!(!commands(&trace, conn).contains(&"RSET".to_string()));
    }
}

#[test]
fn a_kept_connection_cut_by_a_fault_is_replaced_by_a_new_one() {
    // The smarthost goes down while mail.home.test keeps its connection:
    // the session is cut, and the next message opens a new connection.
    let fault = json!([{"down": "smarthost.isp.test", "from": "1500ms", "until": "1800ms"}]);
    let trace = busy_six_hops(Some("5s"), fault);
    assert_eq!(delivered(&trace), 3);
    let used = conns(&trace, "mail.home.test", "smarthost.isp.test");
    assert_eq!(used.len(), 2, "{used:?}");
    assert!(
        trace.iter().any(
            |r| matches!(&r.event, Event::Cut { conn, node } if *conn == used[0] && node == "smarthost.isp.test")
        ),
        "the kept connection was cut"
    );
    let deferred = trace
        .iter()
        .filter(|r| matches!(&r.event, Event::Deferred(d) if d.node == "mail.home.test"))
        .count();
    assert_eq!(deferred, 0, "a stale connection is not a failed delivery");
}

#[test]
fn a_connection_is_not_reused_after_300_seconds() {
    let path = concat!(env!("CARGO_MANIFEST_DIR"), "/scenarios/six-hops.json");
    let mut s: Value = serde_json::from_str(&std::fs::read_to_string(path).unwrap()).unwrap();
    let send = s["script"][0].clone();
    s["script"] = json!(
        ["0s", "200s", "400s"]
            .iter()
            .map(|at| {
                let mut step = send.clone();
                step["at"] = json!(at);
                step
            })
            .collect::<Vec<_>>()
    );
    s["faults"] = json!([]);
    s["expect"] = json!([]);
    s["captions"] = json!([]);
    s["nodes"]["mail.home.test"]["connection_cache"] = json!("250s");
    let scenario = load_str("old.json", &s.to_string()).unwrap();
    let trace = sim::run(&scenario).unwrap();
    check_no_loss(&trace).unwrap();
    let used = conns(&trace, "mail.home.test", "smarthost.isp.test");
    assert_eq!(used.len(), 2, "reused at 200 s, too old at 400 s: {used:?}");
}

#[test]
fn rfc8446_a_client_resumes_its_tls_session_and_keeps_its_verdict() {
    let trace = busy_six_hops(None, json!([]));
    let submissions = conns(&trace, "alice-laptop", "mail.home.test");
    assert_eq!(submissions.len(), 3);
    let handshakes: Vec<(bool, bool, String)> = submissions
        .iter()
        .map(|conn| {
            trace
                .iter()
                .find_map(|r| match &r.event {
                    Event::TlsHandshake(h) if h.conn == *conn => {
                        Some((h.resumed, h.server_authenticated, h.reason.clone()))
                    }
                    _ => None,
                })
                .expect("a handshake on each submission")
        })
        .collect();
    assert!(!handshakes[0].0, "the first is a full handshake");
    for (resumed, authenticated, reason) in &handshakes[1..] {
        assert!(resumed, "{handshakes:?}");
        assert!(authenticated, "the session was authenticated when it began");
        assert!(reason.starts_with("session resumed"), "{reason}");
    }
    let channels: Vec<Channel> = trace
        .hops()
        .filter(|(_, h)| h.from == "alice-laptop")
        .map(|(_, h)| h.channel)
        .collect();
    assert_eq!(channels, vec![Channel::TlsAuthenticated; 3]);
    // A resumed handshake sends no certificate: fewer bytes from the server.
    let server_bytes = |conn: &str| -> usize {
        let upto = trace
            .iter()
            .position(|r| matches!(&r.event, Event::TlsHandshake(h) if h.conn == conn))
            .unwrap();
        trace.events[..upto]
            .iter()
            .filter_map(|r| match &r.event {
                Event::Wire(w) if w.conn == conn && w.dir == Dir::ServerToClient => Some(w.len),
                _ => None,
            })
            .sum()
    };
    assert!(server_bytes(&submissions[1]) + 200 < server_bytes(&submissions[0]));
}

#[test]
fn runs_with_kept_connections_and_resumed_sessions_are_identical() {
    let one = busy_six_hops(Some("2s"), json!([])).to_json();
    let two = busy_six_hops(Some("2s"), json!([])).to_json();
    assert!(one == two, "same scenario and seed, same trace");
}

#[test]
fn the_player_shows_each_hop_on_a_kept_connection_with_its_own_transaction() {
    let (scenario, trace) = busy_world(Some("2s"), json!([]));
    let data = mailhop::player::build(&scenario, &trace);
    let views: Vec<_> = data
        .steps
        .iter()
        .filter_map(|s| s.hop.as_ref())
        .filter(|h| h.from == "mail.home.test")
        .collect();
    assert_eq!(views.len(), 3);
    let said = |i: usize| -> Vec<String> {
        views[i]
            .conversation
            .iter()
            .filter(|l| l.dir == "c")
            .map(|l| l.text.trim_end().to_string())
            .collect()
    };
    let first = said(0);
    assert!(first[0].starts_with("EHLO"), "{first:?}");
    assert!(!first.iter().any(|l| l == "RSET"), "{first:?}");
    let second = said(1);
    assert_eq!(second[0], "RSET", "{second:?}");
    assert_eq!(
        second.iter().filter(|l| l.starts_with("MAIL FROM")).count(),
        1
    );
    let third = said(2);
    assert_eq!(third.last().map(String::as_str), Some("QUIT"), "{third:?}");
    assert!(
        views[1].tls_reason.is_some(),
        "the connection's TLS still shows"
    );
}

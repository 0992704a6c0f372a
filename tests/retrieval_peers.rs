//! Outside mail clients read Bob's message from the world's own mailbox
//! server, the way bob-laptop does at the end of six-hops, and must get the
//! copy the server holds octet for octet:
//!
//! - Python's imaplib on port 143 and poplib on port 110, from another
//!   process over a real loopback socket relayed into the world
//!   (`common::outside`), each upgrading with STARTTLS/STLS and checking
//!   the server's certificate against the scenario's CA;
//! - async-imap (imap-proto's parser, not ours) on port 993 over an
//!   in-memory stream, implicit TLS by tokio-rustls trusting the same CA.
//!
//! If the servers spoke anything but real IMAP and POP3 over real TLS,
//! these clients would stop. The trace must record their sessions like any
//! other: the transcript, and the login as one made inside TLS.
//!
//! Needs Python 3 (`common::python`; `.ci/run` installs it). Without it
//! the Python tests fail and say so: a peer test that skips proves nothing.

mod common;

use std::process::{Command, Stdio};
use std::rc::Rc;
use std::sync::Arc;

use common::{outside, python, shipped, starting_today};
use futures_util::TryStreamExt;
use mailhop::clock::SimTime;
use mailhop::scenario::Scenario;
use mailhop::sim::{self, Options, world::World};
use mailhop::trace::{Dir, Event, Observed, Trace};
use rustls::pki_types::ServerName;
use tokio::time::sleep_until;

const SERVER: &str = "mx.friend.test";
const DEVICE: &str = "bob-laptop";
const BOB: &str = "bob@friend.test";
const PASSWORD: &str = "tuna sandwich";
/// Past six-hops' delivery to Bob (a little after 2 h) and bob-laptop's
/// own download (2 h 30 min), so the outside client meets a quiet world.
const LATER_MS: u64 = 3 * 3600 * 1000;

/// six-hops, dated today: the outside clients check certificates against
/// the wall clock.
fn six_hops_today() -> Scenario {
    let mut scenario = shipped("six-hops.json");
    starting_today(&mut scenario);
    scenario
}

/// What Bob's INBOX on his server holds: each message as stored.
fn inbox(world: &World) -> Vec<Vec<u8>> {
    let store = world.store.borrow();
    let mailbox = store.mailbox(SERVER, BOB).expect("Bob's mailbox");
    mailbox.folders["INBOX"]
        .messages
        .iter()
        .map(|m| m.eml.clone())
        .collect()
}

/// The six-hops message, recognised by what Alice wrote.
fn assert_lunch(eml: &[u8]) {
    let text = String::from_utf8_lossy(eml);
    assert!(text.contains("\r\nSubject: Lunch on Friday?\r\n"), "{text}");
    assert!(text.contains("Are you free for lunch on Friday?"), "{text}");
}

fn unhex(text: &serde_json::Value) -> Vec<u8> {
    let text = text.as_str().expect("hex from the script");
    (0..text.len())
        .step_by(2)
        .map(|i| u8::from_str_radix(&text[i..i + 2], 16).expect("hex"))
        .collect()
}

/// What one Python session saw, with Bob's INBOX before and after it.
struct PythonRun {
    trace: Trace,
    seen: serde_json::Value,
    before: Vec<Vec<u8>>,
    after: Vec<Vec<u8>>,
}

/// Runs six-hops and, once it is quiet, `tests/retrieval_peers.py` as
/// bob-laptop against `port` of Bob's server.
fn python_session(protocol: &str, port: u16) -> PythonRun {
    let script = concat!(env!("CARGO_MANIFEST_DIR"), "/tests/retrieval_peers.py");
    let (trace, (before, output, after)) =
        sim::drive(&six_hops_today(), &Options::default(), |w| async move {
            sleep_until(w.clock.instant(SimTime(LATER_MS))).await;
            let before = inbox(&w);
            let (listener, loopback) = outside::listen();
            let mut client = Command::new(python())
                .arg(script)
                .args([protocol, &loopback.to_string(), SERVER, BOB, PASSWORD])
                .arg(w.pki.ca_pem())
                .stdout(Stdio::piped())
                .stderr(Stdio::piped())
                .spawn()
                .unwrap_or_else(|e| {
                    panic!(
                        "cannot run {} ({e}): this test runs Python's imaplib and poplib \
                         as outside clients; install python3 (.ci/run does) or set \
                         MAILHOP_PYTHON",
                        python()
                    )
                });
            let relayed = outside::relay(&w, &listener, &mut client, DEVICE, SERVER, port).await;
            let output = client.wait_with_output().expect("python ran");
            (before, (relayed, output), inbox(&w))
        })
        .expect("six-hops runs");
    let (relayed, output) = output;
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(
        relayed.is_ok() && output.status.success(),
        "{protocol} session: {relayed:?}, python {}:\n{stderr}",
        output.status
    );
    PythonRun {
        trace,
        seen: serde_json::from_slice(&output.stdout).expect("the script's JSON"),
        before,
        after,
    }
}

/// The connection the outside client made: the last one from bob-laptop
/// to `port` of Bob's server.
fn outside_conn(trace: &Trace, port: u16) -> String {
    trace
        .events
        .iter()
        .filter(|r| r.t >= LATER_MS)
        .filter_map(|r| match &r.event {
            Event::Connect(c) if c.client == DEVICE && c.server == SERVER && c.port == port => {
                Some(c.conn.clone())
            }
            _ => None,
        })
        .next_back()
        .expect("the outside client's connection is in the trace")
}

/// The session's transcript, as (dir, text, tls), and its logins, as
/// (mechanism, accepted, tls).
type Lines = Vec<(Dir, String, bool)>;
type Logins = Vec<(String, bool, bool)>;

fn session(trace: &Trace, conn: &str) -> (Lines, Logins) {
    let mut lines = Vec::new();
    let mut logins = Vec::new();
    for record in &trace.events {
        match &record.event {
            Event::Line {
                conn: c,
                dir,
                text,
                tls,
            } if c == conn => lines.push((*dir, text.clone(), *tls)),
            Event::Auth(a) if a.conn == conn => {
                assert_eq!(a.user, BOB);
                logins.push((a.mechanism.clone(), a.accepted, a.tls));
            }
            _ => {}
        }
    }
    (lines, logins)
}

/// Whether the transcript has a line from `dir` ending with `end`, in or
/// out of TLS.
fn has_line(lines: &Lines, dir: Dir, end: &str, tls: bool) -> bool {
    lines
        .iter()
        .any(|(d, text, t)| *d == dir && *t == tls && text.ends_with(end))
}

/// The transcript is what the server heard, the password included; what
/// matters is that nobody on the link could read it: no cleartext chunk on
/// the wire carries it.
fn assert_password_hidden(trace: &Trace, conn: &str) {
    let readable = trace.events.iter().any(|r| match &r.event {
        Event::Wire(w) if w.conn == conn && w.observed == Observed::Text => w
            .data
            .windows(PASSWORD.len())
            .any(|bytes| bytes == PASSWORD.as_bytes()),
        _ => false,
    });
    assert!(!readable, "the password crossed {conn} readable");
}

/// Virtual milliseconds from the session's first line to its last. A
/// client in real time takes a fraction of a second; a clock that jumped
/// while it thought (`common::outside`) would show minutes, or cut the
/// session at the server's autologout.
fn virtual_span(trace: &Trace, conn: &str) -> u64 {
    let times: Vec<u64> = trace
        .events
        .iter()
        .filter(|r| matches!(&r.event, Event::Line { conn: c, .. } if c == conn))
        .map(|r| r.t)
        .collect();
    times.last().unwrap_or(&0) - times.first().unwrap_or(&0)
}

/// Whether an observer of the link saw TLS records on `conn`. (The
/// server records no `tls_handshake` for an outside client: only a
/// simulated client knows whether it checked the certificate.)
fn saw_tls(trace: &Trace, conn: &str) -> bool {
    trace.events.iter().any(|r| {
        matches!(&r.event, Event::Wire(w) if w.conn == conn
            && matches!(w.observed, Observed::Tls { .. }))
    })
}

#[test]
fn python_imaplib_reads_bobs_message_after_starttls() {
    let run = python_session("imap", 143);
    let seen = &run.seen;
    assert_eq!(run.before.len(), 1, "six-hops leaves one message for Bob");
    assert_lunch(&run.before[0]);

    let before_tls = seen["before_tls"].to_string();
    assert!(before_tls.contains("\"STARTTLS\""), "{before_tls}");
    assert!(before_tls.contains("\"LOGINDISABLED\""), "{before_tls}");
    assert_eq!(seen["starttls"], "OK");
    assert_eq!(seen["tls"]["version"], "TLSv1.3");
    assert_eq!(seen["tls"]["names"], serde_json::json!([SERVER]));
    let after_tls = seen["after_tls"].to_string();
    assert!(!after_tls.contains("LOGINDISABLED"), "{after_tls}");
    assert!(!after_tls.contains("STARTTLS"), "{after_tls}");
    assert_eq!(seen["login"][0], "OK");
    assert_eq!(seen["select"], serde_json::json!(["OK", 1]));
    let fetched = seen["fetched"].as_array().expect("fetched messages");
    assert_eq!(fetched.len(), 1, "{fetched:?}");
    assert!(
        fetched[0]["head"]
            .as_str()
            .is_some_and(|h| h.contains("UID 1 ")),
        "{fetched:?}"
    );
    assert_eq!(
        unhex(&fetched[0]["body"]),
        run.before[0],
        "octet for octet what Bob's server holds"
    );
    assert_eq!(seen["logout"][0], "BYE");
    assert_eq!(run.after, run.before, "BODY.PEEK[] changes nothing");

    let conn = outside_conn(&run.trace, 143);
    assert!(virtual_span(&run.trace, &conn) < 30_000, "the clock jumped");
    let (lines, logins) = session(&run.trace, &conn);
    assert!(has_line(&lines, Dir::ClientToServer, " STARTTLS", false));
    assert!(has_line(&lines, Dir::ClientToServer, " SELECT INBOX", true));
    assert!(has_line(
        &lines,
        Dir::ClientToServer,
        " UID FETCH 1:* (BODY.PEEK[])",
        true
    ));
    assert!(has_line(
        &lines,
        Dir::ServerToClient,
        " OK Logout completed.",
        true
    ));
    assert_eq!(logins, [("IMAP LOGIN".to_string(), true, true)]);
    assert_password_hidden(&run.trace, &conn);
    assert!(saw_tls(&run.trace, &conn));
}

#[test]
fn python_poplib_reads_and_deletes_bobs_message_after_stls() {
    let run = python_session("pop3", 110);
    let seen = &run.seen;
    assert_eq!(run.before.len(), 1, "six-hops leaves one message for Bob");
    let eml = &run.before[0];
    assert_lunch(eml);

    let before_tls = seen["before_tls"].to_string();
    assert!(before_tls.contains("\"STLS\""), "{before_tls}");
    assert!(seen["stls"].as_str().is_some_and(|s| s.starts_with("+OK")));
    assert_eq!(seen["tls"]["version"], "TLSv1.3");
    assert_eq!(seen["tls"]["names"], serde_json::json!([SERVER]));
    assert!(!seen["after_tls"].to_string().contains("STLS"));
    assert!(seen["pass"].as_str().is_some_and(|s| s.starts_with("+OK")));
    assert_eq!(seen["stat"], serde_json::json!([1, eml.len()]));
    assert_eq!(
        seen["retr"]["response"],
        format!("+OK {} octets", eml.len())
    );
    assert_eq!(
        unhex(&seen["retr"]["message"]),
        *eml,
        "octet for octet what Bob's server held"
    );
    assert!(seen["dele"].as_str().is_some_and(|s| s.starts_with("+OK")));
    assert!(seen["quit"].as_str().is_some_and(|s| s.starts_with("+OK")));
    assert!(run.after.is_empty(), "DELE then QUIT empties the INBOX");

    let conn = outside_conn(&run.trace, 110);
    assert!(virtual_span(&run.trace, &conn) < 30_000, "the clock jumped");
    let (lines, logins) = session(&run.trace, &conn);
    assert!(has_line(&lines, Dir::ClientToServer, "STLS", false));
    assert!(has_line(&lines, Dir::ClientToServer, "RETR 1", true));
    assert!(has_line(&lines, Dir::ClientToServer, "QUIT", true));
    assert_eq!(logins, [("POP3 USER/PASS".to_string(), true, true)]);
    assert_password_hidden(&run.trace, &conn);
    assert!(saw_tls(&run.trace, &conn));
    assert!(run.trace.events.iter().any(|r| matches!(&r.event,
        Event::Expunged(e) if e.conn == conn && e.by == "DELE" && e.mailbox == BOB)));
}

/// A rustls client that trusts only the scenario's CA, as bob-laptop would
/// if the CA were in its operating system's store.
fn trusting(world: &World) -> tokio_rustls::TlsConnector {
    let mut roots = rustls::RootCertStore::empty();
    roots.add(world.pki.ca_der().clone()).expect("the CA");
    let config = rustls::ClientConfig::builder_with_provider(Arc::new(
        rustls::crypto::ring::default_provider(),
    ))
    .with_safe_default_protocol_versions()
    .expect("TLS versions")
    .with_root_certificates(roots)
    .with_no_client_auth();
    tokio_rustls::TlsConnector::from(Arc::new(config))
}

/// async-imap on 993: TLS first, then login, SELECT and UID FETCH.
async fn async_imap_fetch(world: &Rc<World>) -> Result<Vec<(u32, Vec<u8>)>, String> {
    let stream = sim::bridge(world, DEVICE, SERVER, 993).await?;
    let name = ServerName::try_from(SERVER).expect("a host name");
    let tls = trusting(world)
        .connect(name, stream)
        .await
        .map_err(|e| format!("TLS: {e}"))?;
    let mut client = async_imap::Client::new(tls);
    client
        .read_response()
        .await
        .map_err(|e| format!("greeting: {e}"))?
        .ok_or("no greeting")?;
    let mut session = client
        .login(BOB, PASSWORD)
        .await
        .map_err(|(e, _)| format!("login: {e}"))?;
    let mailbox = session
        .select("INBOX")
        .await
        .map_err(|e| format!("select: {e}"))?;
    if mailbox.exists != 1 {
        return Err(format!("INBOX as selected: {mailbox:?}"));
    }
    let fetches: Vec<_> = session
        .uid_fetch("1:*", "(UID BODY[])")
        .await
        .map_err(|e| format!("fetch: {e}"))?
        .try_collect()
        .await
        .map_err(|e| format!("fetch response: {e}"))?;
    let messages = fetches
        .iter()
        .map(|f| (f.uid.unwrap_or(0), f.body().unwrap_or_default().to_vec()))
        .collect();
    session.logout().await.map_err(|e| format!("logout: {e}"))?;
    Ok(messages)
}

#[test]
fn async_imap_reads_bobs_message_over_implicit_tls() {
    let (trace, (before, fetched, after)) =
        sim::drive(&six_hops_today(), &Options::default(), |w| async move {
            sleep_until(w.clock.instant(SimTime(LATER_MS))).await;
            let before = inbox(&w);
            let fetched = async_imap_fetch(&w).await;
            (before, fetched, inbox(&w))
        })
        .expect("six-hops runs");
    let fetched = fetched.expect("async-imap's session");
    assert_eq!(before.len(), 1);
    assert_lunch(&before[0]);
    assert_eq!(
        fetched,
        [(1, before[0].clone())],
        "octet for octet what Bob's server holds"
    );
    assert_eq!(after, before, "six-hops' own download already set \\Seen");

    let conn = outside_conn(&trace, 993);
    let (lines, logins) = session(&trace, &conn);
    assert!(
        lines.iter().all(|(_, _, tls)| *tls),
        "on 993 every line is inside TLS: {lines:#?}"
    );
    assert!(has_line(
        &lines,
        Dir::ClientToServer,
        " SELECT \"INBOX\"",
        true
    ));
    assert!(has_line(
        &lines,
        Dir::ClientToServer,
        " UID FETCH 1:* (UID BODY[])",
        true
    ));
    assert_eq!(logins, [("IMAP LOGIN".to_string(), true, true)]);
    assert!(saw_tls(&trace, &conn));
}

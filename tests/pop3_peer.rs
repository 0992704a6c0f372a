//! An outside POP3 client, Python's poplib, against the POP3 engine served
//! on a real TCP socket on 127.0.0.1 by the smallest possible driver: read,
//! feed, write what the engine says, apply its deletions to a mailbox
//! store. poplib logs in with USER/PASS, lists, reads (TOP and RETR, a line
//! starting with a dot included), deletes and quits; the messages must come
//! back octet for octet and the deletion must reach the store. If the
//! engine spoke anything but real POP3, poplib would refuse it.
//!
//! Needs Python 3 (`common::python`; the standard library has poplib);
//! `.ci/run` installs it. Without it the test fails and says so: a peer
//! test that skips proves nothing.

mod common;

use std::io::{ErrorKind, Read, Write};
use std::net::{TcpListener, TcpStream};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use mailhop::proto::pop3::{Config, Inbox, InboxMessage, Maildrop, Output, Server};
use mailhop::sim::store::MailStore;

const NODE: &str = "pop.friend.test";
const USER: &str = "bob@friend.test";
/// With a space: PASS takes the rest of the line (RFC 1939 section 7).
const PASSWORD: &str = "correct horse";

/// A message with every line a careless server gets wrong: a lone dot, a
/// line starting with a dot, one starting with two, and 8-bit text.
const TRICKY: &[u8] = b"From: alice@home.test\r\nTo: bob@friend.test\r\nSubject: Dots\r\n\r\n\
Hi Bob,\r\n.\r\n.hidden\r\n..two dots\r\nol\xc3\xa1\r\n";
const PLAIN: &[u8] = b"Subject: second\r\n\r\njust text\r\n";

/// What a driver builds on the world's store: the password of the one
/// account, and the INBOX as it is at login.
struct StoreDrop<'a>(&'a MailStore);

impl Maildrop for StoreDrop<'_> {
    fn authenticate(&self, user: &str, password: &str) -> bool {
        user == USER && password == PASSWORD
    }
    fn open(&self, user: &str) -> Option<Inbox> {
        let mailbox = self.0.mailbox(NODE, user)?;
        Some(Inbox {
            uidvalidity: mailbox.uidvalidity,
            messages: mailbox.folders["INBOX"]
                .messages
                .iter()
                .map(|m| InboxMessage {
                    uid: m.uid,
                    eml: m.eml.clone(),
                })
                .collect(),
        })
    }
}

/// Runs one session to its end; returns everything the engine said.
fn serve(mut stream: TcpStream, store: &mut MailStore) -> Vec<Output> {
    let mut server = Server::new(Config {
        host: NODE.into(),
        tls_available: false,
        require_tls: false,
        implicit_tls: false,
    });
    let mut said = Vec::new();
    let mut pending = server.greet(0);
    let mut chunk = [0u8; 4096];
    loop {
        let mut bytes = Vec::new();
        for output in pending {
            match &output {
                Output::Reply(line) => bytes.extend_from_slice(line.as_bytes()),
                Output::MessageLine(line) => bytes.extend_from_slice(line),
                Output::Delete { user, uids, .. } => {
                    store.remove(NODE, user, "INBOX", uids);
                }
                Output::StartTls { .. } => panic!("this server offers no TLS"),
                _ => {}
            }
            if matches!(output, Output::Reply(_) | Output::MessageLine(_)) {
                bytes.extend_from_slice(b"\r\n");
            }
            said.push(output);
        }
        // A broken connection ends the session; poplib's own error, which
        // says why, is what the test reports.
        if stream.write_all(&bytes).is_err() || server.is_closed() {
            return said;
        }
        let n = match stream.read(&mut chunk) {
            Ok(0) | Err(_) => return said,
            Ok(n) => n,
        };
        pending = server.feed(&chunk[..n], 0, &StoreDrop(store));
    }
}

/// Starts poplib's session in Python, or fails saying what is missing.
fn start_poplib(port: u16) -> Child {
    let script = concat!(env!("CARGO_MANIFEST_DIR"), "/tests/pop3_peer.py");
    Command::new(common::python())
        .arg(script)
        .args([&port.to_string(), USER, PASSWORD])
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap_or_else(|err| {
            panic!(
                "cannot run {} ({err}): this test runs Python's poplib against the POP3 \
                 engine; install python3 (.ci/run does) or set MAILHOP_PYTHON",
                common::python()
            )
        })
}

/// The connection poplib makes, or the reason it never came.
fn accept(listener: &TcpListener, python: &mut Child) -> TcpStream {
    listener.set_nonblocking(true).expect("non-blocking accept");
    let started = Instant::now();
    loop {
        match listener.accept() {
            Ok((stream, _)) => {
                stream.set_nonblocking(false).expect("blocking stream");
                stream
                    .set_read_timeout(Some(Duration::from_secs(30)))
                    .expect("read timeout");
                return stream;
            }
            Err(err) if err.kind() == ErrorKind::WouldBlock => {
                if let Some(status) = python.try_wait().expect("python's status") {
                    let mut stderr = String::new();
                    if let Some(mut pipe) = python.stderr.take() {
                        let _ = pipe.read_to_string(&mut stderr);
                    }
                    panic!("poplib never connected ({status}):\n{stderr}");
                }
                assert!(
                    started.elapsed() < Duration::from_secs(30),
                    "poplib did not connect in 30 s"
                );
                std::thread::sleep(Duration::from_millis(10));
            }
            Err(err) => panic!("accept: {err}"),
        }
    }
}

fn unhex(text: &str) -> Vec<u8> {
    (0..text.len())
        .step_by(2)
        .map(|i| u8::from_str_radix(&text[i..i + 2], 16).expect("hex from the script"))
        .collect()
}

#[test]
fn python_poplib_reads_and_deletes_through_the_engine() {
    let mut store = MailStore::default();
    let first = store.append(NODE, USER, "INBOX", "m1", TRICKY.to_vec(), 1_700_000_000);
    store.append(NODE, USER, "INBOX", "m2", PLAIN.to_vec(), 1_700_000_060);
    store.append(
        NODE,
        USER,
        "Junk",
        "m3",
        b"Subject: spam\r\n\r\n".to_vec(),
        0,
    );
    let v = first.uidvalidity;

    let listener = TcpListener::bind("127.0.0.1:0").expect("a loopback port");
    let port = listener.local_addr().expect("bound").port();
    let mut python = start_poplib(port);
    let stream = accept(&listener, &mut python);
    let said = serve(stream, &mut store);
    let run = python.wait_with_output().expect("python ran");
    assert!(
        run.status.success(),
        "poplib failed ({}):\n{}",
        run.status,
        String::from_utf8_lossy(&run.stderr)
    );
    let seen: serde_json::Value = serde_json::from_slice(&run.stdout).expect("the script's JSON");

    let total = TRICKY.len() + PLAIN.len();
    assert_eq!(seen["welcome"], "+OK pop.friend.test POP3 server ready");
    let capa = seen["capa"].as_object().expect("CAPA as a map");
    for capability in ["TOP", "UIDL", "USER", "SASL", "PIPELINING", "RESP-CODES"] {
        assert!(capa.contains_key(capability), "{capability} in {capa:?}");
    }
    assert!(!capa.contains_key("STLS"), "no certificate, no STLS");
    assert_eq!(
        seen["pass"],
        format!("+OK {USER}'s maildrop has 2 messages ({total} octets)"),
        "Junk is not POP3's"
    );
    assert_eq!(seen["stat"], serde_json::json!([2, total]));
    assert_eq!(
        seen["list"],
        serde_json::json!([format!("1 {}", TRICKY.len()), format!("2 {}", PLAIN.len())])
    );
    assert_eq!(
        seen["uidl"],
        serde_json::json!([format!("1 00000001{v:08X}"), format!("2 00000002{v:08X}")])
    );
    assert_eq!(seen["uidl_2"], format!("+OK 2 00000002{v:08X}"));
    assert_eq!(
        unhex(seen["top"].as_str().expect("hex")),
        b"From: alice@home.test\r\nTo: bob@friend.test\r\nSubject: Dots\r\n\r\n"
    );
    for (retr, eml) in seen["retr"]
        .as_array()
        .expect("two RETRs")
        .iter()
        .zip([TRICKY, PLAIN])
    {
        assert_eq!(retr["response"], format!("+OK {} octets", eml.len()));
        assert_eq!(
            unhex(retr["message"].as_str().expect("hex")),
            eml,
            "octet for octet"
        );
        assert_eq!(retr["octets"], eml.len());
    }
    assert_eq!(seen["dele"], "+OK message 1 deleted");
    assert_eq!(seen["retr_deleted"], "-ERR message 1 already deleted");
    assert_eq!(
        seen["quit"],
        "+OK pop.friend.test POP3 server signing off (1 message left)"
    );

    let inbox = &store.mailbox(NODE, USER).expect("Bob's mailbox").folders["INBOX"];
    let uids: Vec<u32> = inbox.messages.iter().map(|m| m.uid).collect();
    assert_eq!(uids, [2], "the deletion reached the store at QUIT");
    let happened: Vec<&Output> = said
        .iter()
        .filter(|o| matches!(o, Output::Login { .. } | Output::Retrieved { .. }))
        .collect();
    assert_eq!(
        happened,
        [
            &Output::Login {
                user: USER.into(),
                mechanism: "USER",
                accepted: true
            },
            &Output::Retrieved {
                number: 1,
                uid: 1,
                top: Some(0)
            },
            &Output::Retrieved {
                number: 1,
                uid: 1,
                top: None
            },
            &Output::Retrieved {
                number: 2,
                uid: 2,
                top: None
            },
        ]
    );
}

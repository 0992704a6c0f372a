//! Shared helpers for the integration tests.
#![allow(dead_code)]

pub mod dkimpy;
pub mod outside;

use mailhop::scenario::Scenario;
use mailhop::sim::link::LinkEnd;
use tokio::io::{AsyncReadExt, AsyncWriteExt};

/// A scenario from JSON text (tests build small worlds inline).
pub fn scenario(json: &str) -> Scenario {
    mailhop::scenario::load_str("inline.json", json).unwrap_or_else(|err| panic!("{err}"))
}

/// A shipped scenario from `scenarios/`.
pub fn shipped(name: &str) -> Scenario {
    let path = format!("{}/scenarios/{name}", env!("CARGO_MANIFEST_DIR"));
    mailhop::scenario::load_file(std::path::Path::new(&path)).unwrap_or_else(|err| panic!("{err}"))
}

/// The Python interpreter the peer tests run: the one `.ci/run` installs
/// (Debian's `python3` package), or `MAILHOP_PYTHON` to use another. Its
/// standard library (imaplib, poplib, ssl) is the outside client.
pub fn python() -> String {
    std::env::var("MAILHOP_PYTHON").unwrap_or_else(|_| "/usr/bin/python3".into())
}

/// Moves a scenario's start (and so its certificates' validity) to the
/// wall clock's today, for outside clients that check certificates against
/// the wall clock (lettre, rustls, Python's ssl).
pub fn starting_today(scenario: &mut Scenario) {
    let now = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .expect("after 1970")
        .as_secs() as i64;
    scenario.start = mailhop::clock::format_calendar(now).replace(' ', "T") + "Z";
}

/// A small world: Alice's submission server with a mailbox for her, and
/// Bob's mail server without TLS, found through MX.
pub const SMALL_WORLD: &str = r#"{
  "id": "small-world", "title": {"en": "Small", "pt": "Pequeno"}, "seed": 7,
  "nodes": {
    "alice-laptop": {"role": "mua", "user": "alice@home.test", "password": "pw", "submit": "mail.home.test"},
    "mail.home.test": {"role": "msa", "accounts": {"alice@home.test": "pw"}, "mailboxes": ["alice@home.test"]},
    "mx.friend.test": {"role": "mda", "mailboxes": ["bob@friend.test"], "starttls": "none"}
  },
  "dns": {"friend.test": {"MX": [{"preference": 10, "host": "mx.friend.test"}]},
          "home.test": {"MX": [{"preference": 10, "host": "mail.home.test"}]}}
}"#;

/// Reads one complete reply (up to a line `ddd text`), returning its bytes.
pub async fn read_reply<R: AsyncReadExt + Unpin>(io: &mut R) -> String {
    let mut bytes = Vec::new();
    loop {
        let mut byte = [0u8; 1];
        let n = io.read(&mut byte).await.expect("read from server");
        if n == 0 {
            break;
        }
        bytes.push(byte[0]);
        if bytes.ends_with(b"\r\n") {
            let text = String::from_utf8_lossy(&bytes).into_owned();
            let last = text
                .trim_end_matches("\r\n")
                .rsplit("\r\n")
                .next()
                .unwrap_or("")
                .to_string();
            if last.len() >= 4 && last.as_bytes()[3] == b' ' {
                return text;
            }
        }
    }
    String::from_utf8_lossy(&bytes).into_owned()
}

/// Sends `line` (CRLF added) and returns the server's reply.
pub async fn say<S: AsyncReadExt + AsyncWriteExt + Unpin>(io: &mut S, line: &str) -> String {
    io.write_all(format!("{line}\r\n").as_bytes())
        .await
        .expect("write to server");
    read_reply(io).await
}

/// Plays a dialogue: each (client line, exact server reply) in turn.
pub async fn dialogue(io: &mut LinkEnd, steps: &[(&str, &str)]) {
    for (line, expected) in steps {
        let got = say(io, line).await;
        assert_eq!(got, *expected, "reply to {line:?}");
    }
}

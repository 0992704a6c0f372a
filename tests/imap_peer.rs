//! An independent IMAP client, Python's imaplib, against the IMAP engine
//! served on a real loopback socket by a tiny blocking driver over the
//! simulation's own mailbox store. imaplib logs in, lists, selects INBOX,
//! searches, fetches a message (which must come back byte for byte),
//! marks it read, saves a copy in Sent and moves another to Junk; then the
//! test reads the store. If the engine spoke anything but real IMAP,
//! imaplib would stop with the answer it did not expect.
//!
//! Needs Python 3 (`common::python`); `.ci/run` installs it. Without it
//! the test fails and says so.

mod common;

use std::collections::{BTreeMap, BTreeSet};
use std::io::{Read, Write};
use std::net::TcpListener;
use std::process::Command;
use std::time::Duration;

use base64::Engine as _;
use mailhop::proto::imap::{Config, FolderView, Mailstore, MessageView, Output, Server};
use mailhop::sim::store::{Folder, MailStore, StoredMessage};

const NODE: &str = "mx.friend.test";
const BOB: &str = "bob@friend.test";
const NOW: i64 = 1_700_000_000;

/// The six-hops message as Bob's server stored it: CRLF, 8-bit UTF-8, a
/// line that starts with a dot.
const HELLO: &[u8] = "Received: from mail.home.test by mx.friend.test; Tue, 14 Nov 2023 22:13:20 +0000\r\nFrom: Alice <alice@home.test>\r\nTo: bob@friend.test\r\nSubject: Olá, Bob\r\nMessage-ID: <m1@home.test>\r\nContent-Type: text/plain; charset=utf-8\r\nContent-Transfer-Encoding: 8bit\r\n\r\nSix hops to get here.\r\n.a line with a dot\r\nAté logo!\r\n".as_bytes();
const SPAM: &[u8] = b"From: winner@lottery.test\r\nSubject: You won\r\n\r\nClaim now.\r\n";

/// What a driver writes to let the engine read and change one node's
/// mailboxes in the simulation's store.
struct Account<'a> {
    store: &'a mut MailStore,
    passwords: BTreeMap<&'static str, &'static str>,
    appended: u32,
}

impl Account<'_> {
    fn folder_mut(&mut self, user: &str, folder: &str) -> Option<&mut Folder> {
        let mailbox = self.store.mailbox_mut(NODE, user, NOW);
        mailbox.folders.get_mut(folder)
    }
}

impl Mailstore for Account<'_> {
    fn login(&mut self, user: &str, password: &str) -> bool {
        let ok = self.passwords.get(user) == Some(&password);
        if ok {
            self.store.mailbox_mut(NODE, user, NOW);
        }
        ok
    }
    fn folders(&self, user: &str) -> Vec<String> {
        let mailbox = self.store.mailbox(NODE, user);
        mailbox.map_or_else(Vec::new, |m| m.folders.keys().cloned().collect())
    }
    fn folder(&self, user: &str, folder: &str) -> Option<FolderView<'_>> {
        let mailbox = self.store.mailbox(NODE, user)?;
        let f = mailbox.folders.get(folder)?;
        Some(FolderView {
            uidvalidity: mailbox.uidvalidity,
            uidnext: f.uidnext,
            messages: f
                .messages
                .iter()
                .map(|m| MessageView {
                    uid: m.uid,
                    flags: &m.flags,
                    size: m.size,
                    internal_date: m.internal_date,
                    eml: &m.eml,
                })
                .collect(),
        })
    }
    fn create_folder(&mut self, user: &str, folder: &str) -> bool {
        let folders = &mut self.store.mailbox_mut(NODE, user, NOW).folders;
        folders
            .insert(folder.to_string(), Folder::default())
            .is_none()
    }
    fn set_flags(&mut self, user: &str, folder: &str, uid: u32, flags: BTreeSet<String>) {
        let message = self
            .folder_mut(user, folder)
            .and_then(|f| f.messages.iter_mut().find(|m| m.uid == uid));
        if let Some(m) = message {
            m.flags = flags;
        }
    }
    fn expunge(&mut self, user: &str, folder: &str, uids: &[u32]) {
        if let Some(f) = self.folder_mut(user, folder) {
            f.messages.retain(|m| !uids.contains(&m.uid));
        }
    }
    fn append(
        &mut self,
        user: &str,
        folder: &str,
        eml: Vec<u8>,
        flags: BTreeSet<String>,
        internal_date: i64,
    ) -> Option<u32> {
        self.appended += 1;
        let message = format!("imap{}", self.appended);
        let f = self.folder_mut(user, folder)?;
        let uid = f.uidnext;
        f.uidnext += 1;
        f.messages.push(StoredMessage {
            uid,
            message,
            flags,
            size: eml.len(),
            internal_date,
            eml,
        });
        Some(uid)
    }
    fn copy(&mut self, user: &str, from: &str, uids: &[u32], to: &str) -> Vec<(u32, u32)> {
        let chosen: Vec<StoredMessage> = self
            .folder_mut(user, from)
            .map(|f| f.messages.clone())
            .unwrap_or_default()
            .into_iter()
            .filter(|m| uids.contains(&m.uid))
            .collect();
        let Some(dest) = self.folder_mut(user, to) else {
            return Vec::new();
        };
        chosen
            .into_iter()
            .map(|mut m| {
                let old = m.uid;
                m.uid = dest.uidnext;
                dest.uidnext += 1;
                dest.messages.push(m);
                (old, dest.uidnext - 1)
            })
            .collect()
    }
}

/// Serves one connection, blocking: the engine's writes go to the socket,
/// what the socket brings goes to the engine. Returns every output.
fn serve(listener: TcpListener, store: &mut MailStore) -> Vec<Output> {
    let (mut stream, _) = listener.accept().expect("imaplib connects");
    stream
        .set_read_timeout(Some(Duration::from_secs(30)))
        .expect("timeout");
    let mut account = Account {
        store,
        passwords: [(BOB, "pw")].into(),
        appended: 0,
    };
    let mut server = Server::new(Config {
        host: NODE.into(),
        tls_available: false,
        require_tls: false,
        implicit_tls: false,
    });
    let mut log = Vec::new();
    let mut pending = server.greet(NOW, &mut account);
    let mut buf = [0u8; 8192];
    loop {
        let mut close = false;
        for output in pending.drain(..) {
            match &output {
                Output::Write(bytes) => stream.write_all(bytes).expect("write"),
                Output::Close => close = true,
                _ => {}
            }
            log.push(output);
        }
        if close {
            return log;
        }
        let n = stream.read(&mut buf).expect("read");
        if n == 0 {
            return log;
        }
        pending = server.feed(&buf[..n], NOW, &mut account);
    }
}

#[test]
fn python_imaplib_reads_files_and_moves_over_a_loopback_socket() {
    let mut store = MailStore::default();
    store.append(NODE, BOB, "INBOX", "m1", HELLO.to_vec(), NOW - 60);
    store.append(NODE, BOB, "INBOX", "m2", SPAM.to_vec(), NOW - 30);
    let listener = TcpListener::bind("127.0.0.1:0").expect("a loopback port");
    let port = listener.local_addr().expect("address").port();
    let script = concat!(env!("CARGO_MANIFEST_DIR"), "/tests/imap_peer.py");

    let (output, log) = std::thread::scope(|scope| {
        let server = scope.spawn(|| serve(listener, &mut store));
        let output = Command::new(common::python())
            .arg(script)
            .arg(port.to_string())
            .output();
        let output = match output {
            Ok(output) => output,
            Err(e) => panic!(
                "this test runs Python's imaplib as an independent IMAP client and \
                 needs {} (apt-get install python3, or set MAILHOP_PYTHON): {e}",
                common::python()
            ),
        };
        (output, server.join().expect("the server thread"))
    });
    let stdout = String::from_utf8_lossy(&output.stdout);
    assert!(
        output.status.success() && stdout.ends_with("DONE\n"),
        "imaplib failed:\n{stdout}\n{}\nserver heard and said:\n{}",
        String::from_utf8_lossy(&output.stderr),
        transcript(&log)
    );

    let fetched = stdout
        .lines()
        .find_map(|l| l.strip_prefix("BODY "))
        .expect("imaplib printed the body");
    let fetched = base64::engine::general_purpose::STANDARD
        .decode(fetched)
        .expect("base64");
    assert_eq!(fetched, HELLO, "the body comes back byte for byte");
    assert!(log.iter().any(|o| matches!(
        o,
        Output::Fetched(f) if f.folder == "INBOX" && f.uid == 1 && f.whole && f.data == HELLO
    )));
    assert!(log.contains(&Output::Login {
        user: BOB.into(),
        mechanism: "LOGIN",
        accepted: true
    }));

    let mailbox = store.mailbox(NODE, BOB).expect("Bob's mailbox");
    let inbox = &mailbox.folders["INBOX"].messages;
    assert_eq!(inbox.len(), 1, "message 2 left INBOX");
    assert_eq!(inbox[0].message, "m1");
    assert_eq!(inbox[0].flags, BTreeSet::from(["\\Seen".to_string()]));
    let junk = &mailbox.folders["Junk"].messages;
    assert_eq!(junk.len(), 1);
    assert_eq!(
        (junk[0].message.as_str(), junk[0].eml.as_slice()),
        ("m2", SPAM)
    );
    let sent = &mailbox.folders["Sent"].messages;
    assert_eq!(sent.len(), 1);
    assert!(sent[0].eml.starts_with(b"From: bob@friend.test\r\n"));
    assert_eq!(sent[0].flags, BTreeSet::from(["\\Seen".to_string()]));
}

/// The conversation as the server saw it, for a failure message.
fn transcript(log: &[Output]) -> String {
    log.iter()
        .filter_map(|o| match o {
            Output::Heard(line) => Some(format!("C: {line}")),
            Output::HeardLiteral(n) => Some(format!("C: ({n} bytes)")),
            Output::Sent(line) => Some(format!("S: {line}")),
            Output::SentLiteral(n) => Some(format!("S: ({n} bytes)")),
            _ => None,
        })
        .collect::<Vec<_>>()
        .join("\n")
}

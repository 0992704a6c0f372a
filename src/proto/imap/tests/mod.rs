//! The IMAP server engine on its own: bytes and time in, outputs out, no
//! runtime and no world. A test store for one account, and the helpers
//! every test talks through: each response the engine writes is decoded by
//! imap-codec's response decoder and framed as a client would (`written`),
//! so every test also checks the grammar of what it hears.
//!
//! `transcripts`: the happy path and the errors, byte for byte.
//! `sessions`: logins, FETCH, SEARCH, EXPUNGE, changes from elsewhere,
//! folders, STARTTLS and the limits. `fuzz`: seeded random sessions.

use std::collections::{BTreeMap, BTreeSet};

use super::*;
use imap_codec::{GreetingCodec, ResponseCodec, decode::Decoder};

const BOB: &str = "bob@friend.test";
const NOW: i64 = 1_700_000_000;

const HELLO: &str = "From: Alice <alice@home.test>\r\nTo: bob@friend.test\r\nSubject: Hi\r\nDate: Tue, 14 Nov 2023 22:13:20 +0000\r\nMessage-ID: <m1@home.test>\r\n\r\nHello Bob.\r\n";
const AGAIN: &str = "From: alice@home.test\r\nSubject: Again\r\n\r\nSecond.\r\n";

/// A mailbox store for one account, `bob@friend.test` with password `pw`.
#[derive(Debug, Clone, PartialEq)]
struct TestStore {
    folders: BTreeMap<String, TestFolder>,
}

#[derive(Debug, Clone, PartialEq)]
struct TestFolder {
    uidnext: u32,
    messages: Vec<TestMessage>,
}

#[derive(Debug, Clone, PartialEq)]
struct TestMessage {
    uid: u32,
    flags: BTreeSet<String>,
    internal_date: i64,
    eml: Vec<u8>,
}

impl TestStore {
    fn new() -> Self {
        let empty = TestFolder {
            uidnext: 1,
            messages: Vec::new(),
        };
        TestStore {
            folders: ["INBOX", "Junk", "Sent"]
                .into_iter()
                .map(|f| (f.to_string(), empty.clone()))
                .collect(),
        }
    }

    fn with_inbox(messages: &[&str]) -> Self {
        let mut store = TestStore::new();
        for eml in messages {
            store.deliver("INBOX", eml);
        }
        store
    }

    fn deliver(&mut self, folder: &str, eml: &str) -> u32 {
        let f = self.folders.get_mut(folder).expect("folder");
        let uid = f.uidnext;
        f.uidnext += 1;
        f.messages.push(TestMessage {
            uid,
            flags: BTreeSet::new(),
            internal_date: NOW,
            eml: eml.as_bytes().to_vec(),
        });
        uid
    }

    fn uids(&self, folder: &str) -> Vec<u32> {
        self.folders[folder]
            .messages
            .iter()
            .map(|m| m.uid)
            .collect()
    }

    fn flags(&self, folder: &str, uid: u32) -> Vec<String> {
        let m = self.folders[folder].messages.iter().find(|m| m.uid == uid);
        m.expect("message").flags.iter().cloned().collect()
    }
}

impl Mailstore for TestStore {
    fn login(&mut self, user: &str, password: &str) -> bool {
        user == BOB && password == "pw"
    }
    fn folders(&self, user: &str) -> Vec<String> {
        if user != BOB {
            return Vec::new();
        }
        self.folders.keys().cloned().collect()
    }
    fn folder(&self, user: &str, folder: &str) -> Option<FolderView<'_>> {
        let f = self.folders.get(folder).filter(|_| user == BOB)?;
        Some(FolderView {
            uidvalidity: 1_700_000_000,
            uidnext: f.uidnext,
            messages: f
                .messages
                .iter()
                .map(|m| MessageView {
                    uid: m.uid,
                    flags: &m.flags,
                    size: m.eml.len(),
                    internal_date: m.internal_date,
                    eml: &m.eml,
                })
                .collect(),
        })
    }
    fn create_folder(&mut self, _user: &str, folder: &str) -> bool {
        if self.folders.contains_key(folder) {
            return false;
        }
        let empty = TestFolder {
            uidnext: 1,
            messages: Vec::new(),
        };
        self.folders.insert(folder.to_string(), empty);
        true
    }
    fn set_flags(&mut self, _user: &str, folder: &str, uid: u32, flags: BTreeSet<String>) {
        if let Some(f) = self.folders.get_mut(folder)
            && let Some(m) = f.messages.iter_mut().find(|m| m.uid == uid)
        {
            m.flags = flags;
        }
    }
    fn expunge(&mut self, _user: &str, folder: &str, uids: &[u32]) {
        if let Some(f) = self.folders.get_mut(folder) {
            f.messages.retain(|m| !uids.contains(&m.uid));
        }
    }
    fn append(
        &mut self,
        _user: &str,
        folder: &str,
        message: Vec<u8>,
        flags: BTreeSet<String>,
        internal_date: i64,
    ) -> Option<u32> {
        let f = self.folders.get_mut(folder)?;
        let uid = f.uidnext;
        f.uidnext += 1;
        f.messages.push(TestMessage {
            uid,
            flags,
            internal_date,
            eml: message,
        });
        Some(uid)
    }
    fn copy(&mut self, _user: &str, from: &str, uids: &[u32], to: &str) -> Vec<(u32, u32)> {
        let Some(source) = self.folders.get(from) else {
            return Vec::new();
        };
        let chosen: Vec<TestMessage> = source
            .messages
            .iter()
            .filter(|m| uids.contains(&m.uid))
            .cloned()
            .collect();
        let Some(dest) = self.folders.get_mut(to) else {
            return Vec::new();
        };
        let mut pairs = Vec::new();
        for mut m in chosen {
            let old = m.uid;
            m.uid = dest.uidnext;
            dest.uidnext += 1;
            pairs.push((old, m.uid));
            dest.messages.push(m);
        }
        pairs
    }
}

fn config() -> Config {
    Config {
        host: "mx.friend.test".into(),
        tls_available: true,
        require_tls: true,
        implicit_tls: false,
    }
}

fn plain_config() -> Config {
    Config {
        require_tls: false,
        ..config()
    }
}

/// What the client reads, checking that every response written parses
/// with imap-codec's decoder, whole.
fn written(out: &[Output]) -> String {
    let mut text = String::new();
    // The transcript of each write accounts for all its bytes.
    let mut told = 0;
    for o in out {
        match o {
            Output::Sent(line) => told += line.len() + 2,
            Output::SentLiteral(n) => told += n,
            _ => {}
        }
        if let Output::Write(bytes) = o {
            assert_eq!(told, bytes.len(), "transcript of {bytes:?}");
            told = 0;
            // A client's framer sees exactly one whole response.
            let mut framer = imap_codec::fragmentizer::Fragmentizer::without_max_message_size();
            framer.enqueue_bytes(bytes);
            let (mut framed, mut whole) = (0, false);
            while let Some(info) = framer.progress() {
                framed += info.range().len();
                whole = framer.is_message_complete();
            }
            assert!(
                whole && framed == bytes.len(),
                "a client would not frame {:?} as one response",
                String::from_utf8_lossy(bytes)
            );
            let parsed = ResponseCodec::default()
                .decode(bytes)
                .map(|(rest, _)| rest.is_empty());
            assert_eq!(
                parsed,
                Ok(true),
                "imap-codec does not read {:?} as one response",
                String::from_utf8_lossy(bytes)
            );
            text.push_str(&String::from_utf8_lossy(bytes));
        }
    }
    text
}

/// Feeds `input` and returns what the client reads.
fn talk(s: &mut Server, store: &mut TestStore, input: &str) -> String {
    written(&s.feed(input.as_bytes(), NOW, store))
}

fn greeted(config: Config, store: &mut TestStore) -> Server {
    let mut s = Server::new(config);
    let out = s.greet(NOW, store);
    let greeting = written(&out);
    let parsed = GreetingCodec::default().decode(greeting.as_bytes());
    assert!(parsed.is_ok_and(|(rest, _)| rest.is_empty()), "{greeting}");
    assert!(
        greeting.starts_with("* OK [CAPABILITY IMAP4REV1 IMAP4rev2 "),
        "{greeting}"
    );
    s
}

/// A session on a plaintext port that allows login, logged in as Bob.
fn logged_in(store: &mut TestStore) -> Server {
    let mut s = greeted(plain_config(), store);
    let r = talk(&mut s, store, "l LOGIN bob@friend.test pw\r\n");
    assert!(r.starts_with("l OK [CAPABILITY "), "{r}");
    s
}

fn events(out: &[Output]) -> Vec<Output> {
    out.iter()
        .filter(|o| {
            !matches!(
                o,
                Output::Heard(_)
                    | Output::HeardLiteral(_)
                    | Output::Sent(_)
                    | Output::SentLiteral(_)
                    | Output::Write(_)
            )
        })
        .cloned()
        .collect()
}

/// Plays a conversation: each client input and exactly what the server
/// writes back. Returns every output, for the transcript and events.
fn exchange(s: &mut Server, store: &mut TestStore, steps: &[(&str, &str)]) -> Vec<Output> {
    let mut all = Vec::new();
    for (input, expected) in steps {
        let out = s.feed(input.as_bytes(), NOW, store);
        assert_eq!(written(&out), *expected, "after {input:?}");
        all.extend(out);
    }
    all
}

fn heard(out: &[Output]) -> Vec<String> {
    out.iter()
        .filter_map(|o| match o {
            Output::Heard(line) => Some(line.clone()),
            Output::HeardLiteral(n) => Some(format!("({n} bytes)")),
            _ => None,
        })
        .collect()
}

mod fuzz;
mod sessions;
mod transcripts;

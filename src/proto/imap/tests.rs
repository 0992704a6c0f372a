//! The IMAP server engine on its own: bytes and time in, outputs out, no
//! runtime and no world. Every response the engine writes is decoded by
//! imap-codec's response decoder (`written`), so each test also checks the
//! grammar of what it hears.

use std::collections::{BTreeMap, BTreeSet};

use imap_codec::{GreetingCodec, ResponseCodec, decode::Decoder};
use rand::{Rng, SeedableRng};
use rand_chacha::ChaCha8Rng;

use super::*;

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

const GREETING: &str = "* OK [CAPABILITY IMAP4REV1 IMAP4rev2 STARTTLS LOGINDISABLED ENABLE IDLE MOVE UIDPLUS UNSELECT SPECIAL-USE] mx.friend.test mailhop IMAP ready.\r\n";

#[test]
fn happy_path_port_143_starttls_login_read_file_and_idle() {
    let mut store = TestStore::with_inbox(&[HELLO, AGAIN]);
    let mut s = Server::new(config());
    assert_eq!(written(&s.greet(NOW, &mut store)), GREETING);
    let mut all = exchange(
        &mut s,
        &mut store,
        &[
            (
                "a1 CAPABILITY\r\n",
                "* CAPABILITY IMAP4REV1 IMAP4rev2 STARTTLS LOGINDISABLED ENABLE IDLE MOVE UIDPLUS UNSELECT SPECIAL-USE\r\n\
                 a1 OK Capability completed.\r\n",
            ),
            ("a2 STARTTLS\r\n", "a2 OK Begin TLS negotiation now.\r\n"),
        ],
    );
    assert!(s.feed(b"", NOW, &mut store).is_empty());
    all.extend(s.tls_started(NOW, &mut store));
    let list = "* LIST () \"/\" INBOX\r\n\
                * LIST (\\Junk) \"/\" Junk\r\n\
                * LIST (\\Sent) \"/\" Sent\r\n\
                a5 OK List completed.\r\n";
    let select = "* FLAGS (\\Answered \\Flagged \\Deleted \\Seen \\Draft)\r\n\
                  * OK [PERMANENTFLAGS (\\Answered \\Flagged \\Deleted \\Seen \\Draft \\*)] Flags permitted.\r\n\
                  * 2 EXISTS\r\n\
                  * 0 RECENT\r\n\
                  * OK [UNSEEN 1] First unseen.\r\n\
                  * OK [UIDVALIDITY 1700000000] UIDs valid\r\n\
                  * OK [UIDNEXT 3] Predicted next UID\r\n\
                  a6 OK [READ-WRITE] Select completed.\r\n";
    let fetch = [
        "* 1 FETCH (UID 1 FLAGS () BODY[] {146}\r\n",
        HELLO,
        ")\r\n* 2 FETCH (UID 2 FLAGS () BODY[] {50}\r\n",
        AGAIN,
        ")\r\na7 OK Fetch completed.\r\n",
    ]
    .concat();
    let sent = "From: bob@friend.test\r\nSubject: Re\r\n\r\nOk\r\n";
    all.extend(exchange(
        &mut s,
        &mut store,
        &[
            (
                "a3 CAPABILITY\r\n",
                "* CAPABILITY IMAP4REV1 IMAP4rev2 AUTH=PLAIN SASL-IR ENABLE IDLE MOVE UIDPLUS UNSELECT SPECIAL-USE\r\n\
                 a3 OK Capability completed.\r\n",
            ),
            (
                "a4 LOGIN bob@friend.test pw\r\n",
                "a4 OK [CAPABILITY IMAP4REV1 IMAP4rev2 ENABLE IDLE MOVE UIDPLUS UNSELECT SPECIAL-USE] Logged in\r\n",
            ),
            ("a5 LIST \"\" \"*\"\r\n", list),
            ("a6 SELECT INBOX\r\n", select),
            ("a7 UID FETCH 1:* (FLAGS BODY.PEEK[])\r\n", &fetch),
            (
                "a8 STORE 1 +FLAGS (\\Seen)\r\n",
                "* 1 FETCH (FLAGS (\\Seen))\r\na8 OK Store completed.\r\n",
            ),
            (
                "a9 MOVE 2 Junk\r\n",
                "* OK [COPYUID 1700000000 2 1] Moved UIDs.\r\n\
                 * 2 EXPUNGE\r\n\
                 a9 OK Move completed.\r\n",
            ),
            (
                "b1 APPEND Sent (\\Seen) {42}\r\n",
                "+ Ready for literal data\r\n",
            ),
            (
                &format!("{sent}\r\n"),
                "b1 OK [APPENDUID 1700000000 1] Append completed.\r\n",
            ),
            ("b2 IDLE\r\n", "+ idling\r\n"),
        ],
    ));
    assert!(s.is_idle());
    assert!(s.changed(NOW, &mut store).is_empty(), "nothing new yet");
    store.deliver("INBOX", AGAIN);
    assert_eq!(written(&s.changed(NOW, &mut store)), "* 2 EXISTS\r\n");
    all.extend(exchange(
        &mut s,
        &mut store,
        &[
            ("DONE\r\n", "b2 OK Idle completed.\r\n"),
            (
                "b3 LOGOUT\r\n",
                "* BYE Logging out\r\nb3 OK Logout completed.\r\n",
            ),
        ],
    ));
    assert!(s.is_closed());

    assert_eq!(
        heard(&all),
        [
            "a1 CAPABILITY",
            "a2 STARTTLS",
            "a3 CAPABILITY",
            "a4 LOGIN bob@friend.test pw",
            "a5 LIST \"\" \"*\"",
            "a6 SELECT INBOX",
            "a7 UID FETCH 1:* (FLAGS BODY.PEEK[])",
            "a8 STORE 1 +FLAGS (\\Seen)",
            "a9 MOVE 2 Junk",
            "b1 APPEND Sent (\\Seen) {42}",
            "(42 bytes)",
            "",
            "b2 IDLE",
            "DONE",
            "b3 LOGOUT",
        ]
    );
    let seen: BTreeSet<String> = ["\\Seen".to_string()].into();
    let fetched = |uid, eml: &str| {
        Output::Fetched(Fetched {
            folder: "INBOX".into(),
            uid,
            section: "BODY[]".into(),
            whole: true,
            data: eml.as_bytes().to_vec(),
        })
    };
    assert_eq!(
        events(&all),
        [
            Output::StartTls { discarded: 0 },
            Output::Login {
                user: BOB.into(),
                mechanism: "LOGIN",
                accepted: true
            },
            fetched(1, HELLO),
            fetched(2, AGAIN),
            Output::FlagsStored {
                folder: "INBOX".into(),
                uid: 1,
                flags: seen.clone()
            },
            Output::Moved {
                from: "INBOX".into(),
                to: "Junk".into(),
                uids: vec![(2, 1)]
            },
            Output::Appended {
                folder: "Sent".into(),
                uid: 1,
                size: 42,
                flags: seen
            },
            Output::Close,
        ]
    );
    assert_eq!(store.uids("INBOX"), [1, 3]);
    assert_eq!(store.flags("INBOX", 1), ["\\Seen"]);
    assert_eq!(store.uids("Junk"), [1]);
    assert_eq!(store.folders["Junk"].messages[0].eml, AGAIN.as_bytes());
    assert_eq!(store.uids("Sent"), [1]);
    assert_eq!(store.flags("Sent", 1), ["\\Seen"]);
    assert_eq!(store.folders["Sent"].messages[0].eml, sent.as_bytes());
}

const PRIVACY: &str = "* BAD [ALERT] Plaintext authentication not allowed without SSL/TLS, but your client did it anyway. If anyone was listening, the password was exposed.\r\n";

#[test]
fn rfc9051_login_before_starttls_is_refused_and_the_password_called_exposed() {
    let mut store = TestStore::with_inbox(&[HELLO]);
    let mut s = greeted(config(), &mut store);
    let out = exchange(
        &mut s,
        &mut store,
        &[
            (
                "a1 LOGIN bob@friend.test pw\r\n",
                &format!(
                    "{PRIVACY}a1 NO [PRIVACYREQUIRED] Plaintext authentication disallowed on non-secure (SSL/TLS) connections.\r\n"
                ),
            ),
            // No initial response: refused before any password is sent.
            (
                "a2 AUTHENTICATE PLAIN\r\n",
                "a2 NO [PRIVACYREQUIRED] Plaintext authentication disallowed on non-secure (SSL/TLS) connections.\r\n",
            ),
            (
                "a3 SELECT INBOX\r\n",
                "a3 BAD Error in IMAP command SELECT: Log in first.\r\n",
            ),
        ],
    );
    assert_eq!(
        events(&out),
        [Output::Login {
            user: BOB.into(),
            mechanism: "LOGIN",
            accepted: false
        }]
    );
    talk(&mut s, &mut store, "a4 STARTTLS\r\n");
    written(&s.tls_started(NOW, &mut store));
    let r = talk(&mut s, &mut store, "a5 LOGIN bob@friend.test pw\r\n");
    assert!(r.starts_with("a5 OK [CAPABILITY"), "{r}");
}

#[test]
fn rfc9051_a_bad_tag_gets_an_untagged_bad() {
    let mut store = TestStore::new();
    let mut s = greeted(plain_config(), &mut store);
    exchange(
        &mut s,
        &mut store,
        &[
            (
                "*x NOOP\r\n",
                "* BAD Error in IMAP command: invalid tag.\r\n",
            ),
            (
                "a+b NOOP\r\n",
                "* BAD Error in IMAP command: invalid tag.\r\n",
            ),
            (
                "\"q\" NOOP\r\n",
                "* BAD Error in IMAP command: invalid tag.\r\n",
            ),
            ("\r\n", "* BAD Error in IMAP command: empty line.\r\n"),
            ("a NOOP\r\n", "a OK NOOP completed.\r\n"),
        ],
    );
}

#[test]
fn rfc9051_fetch_of_an_absent_uid_is_an_empty_result_not_an_error() {
    let mut store = TestStore::with_inbox(&[HELLO, AGAIN]);
    let mut s = logged_in(&mut store);
    talk(&mut s, &mut store, "s SELECT INBOX\r\n");
    let out = exchange(
        &mut s,
        &mut store,
        &[
            (
                "f1 UID FETCH 99 (FLAGS BODY[])\r\n",
                "f1 OK Fetch completed.\r\n",
            ),
            // `*` is the largest UID, so 5:* still names message 2.
            (
                "f2 UID FETCH 5:* (FLAGS)\r\n",
                "* 2 FETCH (UID 2 FLAGS ())\r\nf2 OK Fetch completed.\r\n",
            ),
            // By sequence number, a message past the last is an error.
            (
                "f3 FETCH 3 (FLAGS)\r\n",
                "f3 BAD Error in IMAP command FETCH: Invalid messageset.\r\n",
            ),
        ],
    );
    assert!(events(&out).is_empty(), "{out:?}");
    assert_eq!(store.flags("INBOX", 1), Vec::<String>::new());
}

#[test]
fn rfc9051_select_of_a_missing_folder_is_no_nonexistent_and_leaves_none_selected() {
    let mut store = TestStore::with_inbox(&[HELLO]);
    let mut s = logged_in(&mut store);
    exchange(
        &mut s,
        &mut store,
        &[
            (
                "s1 SELECT Nope\r\n",
                "s1 NO [NONEXISTENT] Mailbox doesn't exist: Nope\r\n",
            ),
            (
                "s2 FETCH 1 FLAGS\r\n",
                "s2 BAD Error in IMAP command FETCH: No mailbox selected.\r\n",
            ),
            (
                "s3 STATUS Nope (MESSAGES)\r\n",
                "s3 NO [NONEXISTENT] Mailbox doesn't exist: Nope\r\n",
            ),
            ("s4 APPEND Nope {2}\r\n", "+ Ready for literal data\r\n"),
            (
                "hi\r\n",
                "s4 NO [TRYCREATE] Mailbox doesn't exist: Nope\r\n",
            ),
        ],
    );
}

#[test]
fn rfc9051_unknown_commands_and_bad_arguments_are_bad() {
    let mut store = TestStore::new();
    let mut s = greeted(plain_config(), &mut store);
    exchange(
        &mut s,
        &mut store,
        &[
            (
                "u1 FROB\r\n",
                "u1 BAD Error in IMAP command FROB: Unknown command.\r\n",
            ),
            (
                "u2 uid frob 1\r\n",
                "u2 BAD Error in IMAP command UID FROB: Unknown command.\r\n",
            ),
            (
                "u3 LOGIN\r\n",
                "u3 BAD Error in IMAP command LOGIN: Invalid arguments.\r\n",
            ),
            (
                "u4\r\n",
                "u4 BAD Error in IMAP command: missing command name.\r\n",
            ),
            (
                "u5 NOOP\n",
                "u5 BAD Error in IMAP command NOOP: Lines must end with CRLF.\r\n",
            ),
            (
                "u6 DELETE Junk\r\n",
                "u6 BAD Error in IMAP command DELETE: Log in first.\r\n",
            ),
        ],
    );
}

#[test]
fn rfc9051_fetch_before_select_is_bad() {
    let mut store = TestStore::with_inbox(&[HELLO]);
    let mut s = greeted(plain_config(), &mut store);
    exchange(
        &mut s,
        &mut store,
        &[(
            "f0 UID FETCH 1 FLAGS\r\n",
            "f0 BAD Error in IMAP command UID FETCH: Log in first.\r\n",
        )],
    );
    let mut s = logged_in(&mut store);
    exchange(
        &mut s,
        &mut store,
        &[
            (
                "f1 FETCH 1 FLAGS\r\n",
                "f1 BAD Error in IMAP command FETCH: No mailbox selected.\r\n",
            ),
            (
                "f2 EXPUNGE\r\n",
                "f2 BAD Error in IMAP command EXPUNGE: No mailbox selected.\r\n",
            ),
            (
                "f3 LOGIN bob@friend.test pw\r\n",
                "f3 BAD Error in IMAP command LOGIN: Already logged in.\r\n",
            ),
        ],
    );
}

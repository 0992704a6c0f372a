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
            // Not `…: x{5}`, which a client would take for a literal.
            (
                "s5 SELECT \"x{5}\"\r\n",
                "s5 NO [NONEXISTENT] Mailbox doesn't exist: x{5}.\r\n",
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

fn plain_b64(authz: &str, user: &str, password: &str) -> String {
    use base64::Engine as _;
    base64::engine::general_purpose::STANDARD.encode(format!("{authz}\0{user}\0{password}"))
}

const LOGGED_IN: &str = "OK [CAPABILITY IMAP4REV1 IMAP4rev2 ENABLE IDLE MOVE UIDPLUS UNSELECT SPECIAL-USE] Logged in\r\n";

#[test]
fn rfc4616_authenticate_plain_with_an_initial_response_or_after_a_continuation() {
    let mut store = TestStore::new();
    let implicit = Config {
        implicit_tls: true,
        ..config()
    };
    let mut s = Server::new(implicit.clone());
    assert_eq!(
        written(&s.greet(NOW, &mut store)),
        "* OK [CAPABILITY IMAP4REV1 IMAP4rev2 AUTH=PLAIN SASL-IR ENABLE IDLE MOVE UIDPLUS UNSELECT SPECIAL-USE] mx.friend.test mailhop IMAP ready.\r\n"
    );
    let ir = format!("p1 AUTHENTICATE PLAIN {}\r\n", plain_b64("", BOB, "pw"));
    let out = exchange(&mut s, &mut store, &[(&ir, &format!("p1 {LOGGED_IN}"))]);
    assert_eq!(
        events(&out),
        [Output::Login {
            user: BOB.into(),
            mechanism: "PLAIN",
            accepted: true
        }]
    );
    let mut s = greeted(implicit.clone(), &mut store);
    exchange(
        &mut s,
        &mut store,
        &[
            (
                "t1 STARTTLS\r\n",
                "t1 BAD Error in IMAP command STARTTLS: TLS is already active.\r\n",
            ),
            (
                "p2 AUTHENTICATE CRAM-MD5\r\n",
                "p2 NO Unsupported authentication mechanism.\r\n",
            ),
            ("p3 AUTHENTICATE PLAIN\r\n", "+ \r\n"),
            (
                "*\r\n",
                "p3 BAD Error in IMAP command AUTHENTICATE: Authentication aborted by client.\r\n",
            ),
            ("p4 AUTHENTICATE PLAIN\r\n", "+ \r\n"),
            (
                "!!\r\n",
                "p4 BAD Error in IMAP command AUTHENTICATE: Invalid base64 data.\r\n",
            ),
            ("p5 AUTHENTICATE PLAIN\r\n", "+ \r\n"),
            (
                &format!("{}\r\n", plain_b64("alice@home.test", BOB, "pw")),
                "p5 NO [AUTHORIZATIONFAILED] Acting as another user is not allowed.\r\n",
            ),
            ("p6 AUTHENTICATE PLAIN\r\n", "+ \r\n"),
            (
                &format!("{}\r\n", plain_b64(BOB, BOB, "pw")),
                &format!("p6 {LOGGED_IN}"),
            ),
        ],
    );
}

#[test]
fn three_failed_logins_end_the_session() {
    let mut store = TestStore::new();
    let mut s = greeted(plain_config(), &mut store);
    let failed = "NO [AUTHENTICATIONFAILED] Authentication failed.\r\n";
    let out = exchange(
        &mut s,
        &mut store,
        &[
            ("l1 LOGIN bob@friend.test x\r\n", &format!("l1 {failed}")),
            (
                "l2 LOGIN \"bob@friend.test\" y\r\n",
                &format!("l2 {failed}"),
            ),
            (
                "l3 LOGIN bob@friend.test {1}\r\n",
                "+ Ready for literal data\r\n",
            ),
            (
                "z\r\n",
                &format!("l3 {failed}* BYE Too many failed logins.\r\n"),
            ),
        ],
    );
    assert_eq!(out.last(), Some(&Output::Close));
    assert!(s.is_closed());
    assert!(
        s.feed(b"l4 LOGIN bob@friend.test pw\r\n", NOW, &mut store)
            .is_empty()
    );
    let refused = events(&out)
        .iter()
        .filter(|o| {
            matches!(
                o,
                Output::Login {
                    accepted: false,
                    ..
                }
            )
        })
        .count();
    assert_eq!(refused, 3);
}

#[test]
fn rfc9051_fetch_items_and_sections() {
    let mut store = TestStore::with_inbox(&[HELLO, AGAIN]);
    let mut s = logged_in(&mut store);
    talk(&mut s, &mut store, "s SELECT INBOX\r\n");
    let header = &HELLO[..HELLO.find("\r\n\r\n").unwrap() + 4];
    exchange(
        &mut s,
        &mut store,
        &[
            (
                "f1 FETCH 1 (RFC822.SIZE INTERNALDATE ENVELOPE)\r\n",
                "* 1 FETCH (RFC822.SIZE 146 INTERNALDATE \"14-Nov-2023 22:13:20 +0000\" \
                 ENVELOPE (\"Tue, 14 Nov 2023 22:13:20 +0000\" \"Hi\" ((\"Alice\" NIL \"alice\" \"home.test\")) \
                 ((\"Alice\" NIL \"alice\" \"home.test\")) ((\"Alice\" NIL \"alice\" \"home.test\")) \
                 ((NIL NIL \"bob\" \"friend.test\")) NIL NIL NIL \"<m1@home.test>\"))\r\n\
                 f1 OK Fetch completed.\r\n",
            ),
            (
                "f2 UID FETCH 1 (BODY.PEEK[]<0.4>)\r\n",
                "* 1 FETCH (UID 1 BODY[]<0> {4}\r\nFrom)\r\nf2 OK Fetch completed.\r\n",
            ),
            (
                "f3 FETCH 1 (BODY.PEEK[HEADER])\r\n",
                &format!(
                    "* 1 FETCH (BODY[HEADER] {{{}}}\r\n{header})\r\nf3 OK Fetch completed.\r\n",
                    header.len()
                ),
            ),
            (
                "f4 FETCH 1 (BODY.PEEK[HEADER.FIELDS (subject to)])\r\n",
                "* 1 FETCH (BODY[HEADER.FIELDS (subject to)] {36}\r\nTo: bob@friend.test\r\nSubject: Hi\r\n\r\n)\r\n\
                 f4 OK Fetch completed.\r\n",
            ),
            (
                "f5 FETCH 2 (BODY.PEEK[TEXT] RFC822.HEADER)\r\n",
                "* 2 FETCH (BODY[TEXT] {9}\r\nSecond.\r\n RFC822.HEADER {41}\r\n\
                 From: alice@home.test\r\nSubject: Again\r\n\r\n)\r\nf5 OK Fetch completed.\r\n",
            ),
            (
                "f6 FETCH 1 BODYSTRUCTURE\r\n",
                "f6 NO [CANNOT] FETCH BODYSTRUCTURE is not supported by this server.\r\n",
            ),
            (
                "f7 FETCH 1 (BODY.PEEK[1])\r\n",
                "f7 NO [CANNOT] FETCH of body parts by number is not supported by this server.\r\n",
            ),
            (
                "f8 FETCH 1 FULL\r\n",
                "f8 NO [CANNOT] FETCH BODY is not supported by this server.\r\n",
            ),
            // The grammar wants at least one item; imap-codec reads none.
            (
                "f9 FETCH 1 ()\r\n",
                "f9 BAD Error in IMAP command FETCH: Invalid arguments.\r\n",
            ),
        ],
    );
    assert_eq!(store.flags("INBOX", 1), Vec::<String>::new(), "PEEK");
}

#[test]
fn rfc9051_body_without_peek_sets_seen_but_not_in_examine() {
    let mut store = TestStore::with_inbox(&[HELLO, AGAIN]);
    let mut s = logged_in(&mut store);
    talk(&mut s, &mut store, "e EXAMINE INBOX\r\n");
    let r = talk(&mut s, &mut store, "f1 FETCH 2 BODY[]\r\n");
    assert_eq!(
        r,
        format!("* 2 FETCH (BODY[] {{50}}\r\n{AGAIN})\r\nf1 OK Fetch completed.\r\n")
    );
    assert_eq!(store.flags("INBOX", 2), Vec::<String>::new());
    exchange(
        &mut s,
        &mut store,
        &[
            (
                "f2 STORE 2 +FLAGS (\\Seen)\r\n",
                "f2 NO [READ-ONLY] Mailbox is read-only.\r\n",
            ),
            (
                "f3 EXPUNGE\r\n",
                "f3 NO [READ-ONLY] Mailbox is read-only.\r\n",
            ),
            (
                "f4 MOVE 1 Junk\r\n",
                "f4 NO [READ-ONLY] Mailbox is read-only.\r\n",
            ),
        ],
    );
    talk(&mut s, &mut store, "s SELECT INBOX\r\n");
    let out = s.feed(b"f5 FETCH 2 (UID RFC822)\r\n", NOW, &mut store);
    assert_eq!(
        written(&out),
        format!(
            "* 2 FETCH (UID 2 RFC822 {{50}}\r\n{AGAIN} FLAGS (\\Seen))\r\nf5 OK Fetch completed.\r\n"
        )
    );
    assert_eq!(store.flags("INBOX", 2), ["\\Seen"]);
    assert_eq!(
        events(&out),
        [
            Output::Fetched(Fetched {
                folder: "INBOX".into(),
                uid: 2,
                section: "RFC822".into(),
                whole: true,
                data: AGAIN.as_bytes().to_vec(),
            }),
            Output::FlagsStored {
                folder: "INBOX".into(),
                uid: 2,
                flags: ["\\Seen".to_string()].into(),
            },
        ]
    );
    // Told once: the next command brings no FETCH of the same flags.
    assert_eq!(
        talk(&mut s, &mut store, "n NOOP\r\n"),
        "n OK NOOP completed.\r\n"
    );
}

#[test]
fn rfc9051_search_keys() {
    let mut store = TestStore::with_inbox(&[HELLO, AGAIN]);
    let mut s = logged_in(&mut store);
    talk(&mut s, &mut store, "s SELECT INBOX\r\n");
    talk(&mut s, &mut store, "s STORE 1 +FLAGS.SILENT (\\Seen)\r\n");
    exchange(
        &mut s,
        &mut store,
        &[
            (
                "q1 SEARCH UNSEEN\r\n",
                "* SEARCH 2\r\nq1 OK Search completed.\r\n",
            ),
            (
                "q2 UID SEARCH ALL\r\n",
                "* SEARCH 1 2\r\nq2 OK Search completed.\r\n",
            ),
            (
                "q3 SEARCH SEEN\r\n",
                "* SEARCH 1\r\nq3 OK Search completed.\r\n",
            ),
            (
                "q4 SEARCH UID 2:*\r\n",
                "* SEARCH 2\r\nq4 OK Search completed.\r\n",
            ),
            (
                "q5 SEARCH SUBJECT again\r\n",
                "* SEARCH 2\r\nq5 OK Search completed.\r\n",
            ),
            (
                "q6 SEARCH NOT SEEN FROM ALICE\r\n",
                "* SEARCH 2\r\nq6 OK Search completed.\r\n",
            ),
            (
                "q7 SEARCH OR SEEN LARGER 100\r\n",
                "* SEARCH 1\r\nq7 OK Search completed.\r\n",
            ),
            (
                "q8 SEARCH SINCE 14-Nov-2023 BODY second\r\n",
                "* SEARCH 2\r\nq8 OK Search completed.\r\n",
            ),
            (
                "q9 SEARCH SENTBEFORE 1-Jan-2023\r\n",
                "* SEARCH\r\nq9 OK Search completed.\r\n",
            ),
            (
                "r1 SEARCH HEADER Message-ID <m1@home.test>\r\n",
                "* SEARCH 1\r\nr1 OK Search completed.\r\n",
            ),
            (
                "r2 SEARCH CHARSET KOI8-R ALL\r\n",
                "r2 NO [BADCHARSET (US-ASCII UTF-8)] Unsupported charset\r\n",
            ),
            (
                "r3 SEARCH FROBNICATE\r\n",
                "r3 BAD Error in IMAP command SEARCH: Invalid arguments.\r\n",
            ),
        ],
    );
}

#[test]
fn rfc9051_expunge_removes_what_is_deleted_and_tells_sequence_numbers() {
    let mut store = TestStore::with_inbox(&[HELLO, AGAIN, HELLO]);
    let mut s = logged_in(&mut store);
    talk(&mut s, &mut store, "s SELECT INBOX\r\n");
    let out = exchange(
        &mut s,
        &mut store,
        &[
            (
                "d1 STORE 1:2 +FLAGS.SILENT (\\Deleted)\r\n",
                "d1 OK Store completed.\r\n",
            ),
            (
                "d2 UID EXPUNGE 2\r\n",
                "* 2 EXPUNGE\r\nd2 OK Expunge completed.\r\n",
            ),
            (
                "d3 EXPUNGE\r\n",
                "* 1 EXPUNGE\r\nd3 OK Expunge completed.\r\n",
            ),
            (
                "d4 STORE 1 FLAGS (\\Deleted \\Flagged)\r\n",
                "* 1 FETCH (FLAGS (\\Deleted \\Flagged))\r\nd4 OK Store completed.\r\n",
            ),
            ("d5 CLOSE\r\n", "d5 OK Close completed.\r\n"),
            (
                "d6 FETCH 1 FLAGS\r\n",
                "d6 BAD Error in IMAP command FETCH: No mailbox selected.\r\n",
            ),
        ],
    );
    assert!(store.folders["INBOX"].messages.is_empty());
    let expunged: Vec<Vec<u32>> = events(&out)
        .into_iter()
        .filter_map(|o| match o {
            Output::Expunged { uids, .. } => Some(uids),
            _ => None,
        })
        .collect();
    assert_eq!(expunged, [vec![2], vec![1], vec![3]]);
}

#[test]
fn rfc9051_7_5_1_changes_elsewhere_are_told_but_no_expunge_during_fetch() {
    let mut store = TestStore::with_inbox(&[HELLO, AGAIN]);
    let mut s = logged_in(&mut store);
    talk(&mut s, &mut store, "s SELECT INBOX\r\n");
    // Another device removes message 1, flags message 2; new mail arrives.
    store.expunge(BOB, "INBOX", &[1]);
    store.set_flags(BOB, "INBOX", 2, ["\\Flagged".to_string()].into());
    store.deliver("INBOX", HELLO);
    assert!(s.changed(NOW, &mut store).is_empty(), "not idling");
    exchange(
        &mut s,
        &mut store,
        &[
            (
                "c1 FETCH 1:* (FLAGS)\r\n",
                "* 2 FETCH (FLAGS (\\Flagged))\r\n* 3 EXISTS\r\nc1 OK Fetch completed.\r\n",
            ),
            ("c2 NOOP\r\n", "* 1 EXPUNGE\r\nc2 OK NOOP completed.\r\n"),
            (
                "c3 FETCH 2 (UID)\r\n",
                "* 2 FETCH (UID 3)\r\nc3 OK Fetch completed.\r\n",
            ),
        ],
    );
    store.set_flags(BOB, "INBOX", 3, ["\\Seen".to_string()].into());
    exchange(
        &mut s,
        &mut store,
        &[
            (
                "i IDLE\r\n",
                "+ idling\r\n* 2 FETCH (UID 3 FLAGS (\\Seen))\r\n",
            ),
            ("x NOOP\r\n", "* BAD Expected DONE.\r\n"),
            ("DONE\r\n", "i OK Idle completed.\r\n"),
        ],
    );
}

#[test]
fn folders_create_list_status_copy_and_enable() {
    let mut store = TestStore::with_inbox(&[HELLO, AGAIN]);
    let mut s = logged_in(&mut store);
    let out = exchange(
        &mut s,
        &mut store,
        &[
            ("c1 CREATE Work/2024/\r\n", "c1 OK Create completed.\r\n"),
            (
                "c2 CREATE inbox\r\n",
                "c2 NO [ALREADYEXISTS] Mailbox already exists\r\n",
            ),
            (
                "c3 LIST \"\" %\r\n",
                "* LIST () \"/\" INBOX\r\n* LIST (\\Junk) \"/\" Junk\r\n* LIST (\\Sent) \"/\" Sent\r\n\
                 c3 OK List completed.\r\n",
            ),
            (
                "c4 LIST Work/ *\r\n",
                "* LIST () \"/\" Work/2024\r\nc4 OK List completed.\r\n",
            ),
            (
                "c5 LIST \"\" \"\"\r\n",
                "* LIST (\\Noselect) \"/\" \"\"\r\nc5 OK List completed.\r\n",
            ),
            (
                "c6 STATUS INBOX (MESSAGES UNSEEN UIDNEXT UIDVALIDITY)\r\n",
                "* STATUS INBOX (MESSAGES 2 UNSEEN 2 UIDNEXT 3 UIDVALIDITY 1700000000)\r\n\
                 c6 OK Status completed.\r\n",
            ),
            ("c7 SELECT inbox\r\n", &select_inbox_2("c7")),
            (
                "c8 UID COPY 1:2 Work/2024\r\n",
                "c8 OK [COPYUID 1700000000 1:2 1:2] Copy completed.\r\n",
            ),
            (
                "c9 MOVE 1 Nope\r\n",
                "c9 NO [TRYCREATE] Mailbox doesn't exist: Nope\r\n",
            ),
            (
                "d1 UID MOVE 7 Junk\r\n",
                "d1 OK No messages found to move.\r\n",
            ),
            ("d2 ENABLE IMAP4rev2\r\n", "* ENABLED\r\nd2 OK Enabled.\r\n"),
            ("d3 UNSELECT\r\n", "d3 OK Unselect completed.\r\n"),
            (
                "d4 DELETE Junk\r\n",
                "d4 NO [CANNOT] Deleting folders is not possible on this server.\r\n",
            ),
        ],
    );
    assert_eq!(store.uids("Work/2024"), [1, 2]);
    assert_eq!(store.uids("INBOX"), [1, 2]);
    assert_eq!(
        events(&out),
        [
            Output::FolderCreated {
                folder: "Work/2024".into()
            },
            Output::Copied {
                from: "INBOX".into(),
                to: "Work/2024".into(),
                uids: vec![(1, 1), (2, 2)]
            }
        ]
    );
}

/// What SELECT INBOX says of a fresh two-message INBOX.
fn select_inbox_2(tag: &str) -> String {
    format!(
        "* FLAGS (\\Answered \\Flagged \\Deleted \\Seen \\Draft)\r\n\
         * OK [PERMANENTFLAGS (\\Answered \\Flagged \\Deleted \\Seen \\Draft \\*)] Flags permitted.\r\n\
         * 2 EXISTS\r\n* 0 RECENT\r\n* OK [UNSEEN 1] First unseen.\r\n\
         * OK [UIDVALIDITY 1700000000] UIDs valid\r\n* OK [UIDNEXT 3] Predicted next UID\r\n\
         {tag} OK [READ-WRITE] Select completed.\r\n"
    )
}

#[test]
fn rfc9051_6_2_1_starttls_throws_away_what_was_pipelined_after_it() {
    let mut store = TestStore::new();
    let mut s = greeted(config(), &mut store);
    // A man in the middle appends a command to the plaintext STARTTLS; it
    // must not run inside the TLS session (the STARTTLS injection bugs).
    let out = s.feed(
        b"a STARTTLS\r\nb LOGIN bob@friend.test pw\r\n",
        NOW,
        &mut store,
    );
    assert_eq!(written(&out), "a OK Begin TLS negotiation now.\r\n");
    assert_eq!(out.last(), Some(&Output::StartTls { discarded: 28 }));
    assert!(
        s.feed(b"c NOOP\r\n", NOW, &mut store).is_empty(),
        "waits for TLS"
    );
    assert!(s.tls_started(NOW, &mut store).is_empty());
    assert_eq!(
        talk(&mut s, &mut store, "d SELECT INBOX\r\n"),
        "d BAD Error in IMAP command SELECT: Log in first.\r\n"
    );
}

#[test]
fn limits_on_literals_lines_errors_and_commands() {
    let mut store = TestStore::new();
    let mut s = logged_in(&mut store);
    exchange(
        &mut s,
        &mut store,
        &[
            (
                "a APPEND Sent {99999999}\r\n",
                "a BAD Literal too big: at most 10485760 bytes\r\n",
            ),
            ("b NOOP\r\n", "b OK NOOP completed.\r\n"),
        ],
    );
    // A literal that does not wait for permission is cut off at the limit.
    let mut out = s.feed(b"c APPEND Sent {99999999+}\r\n", NOW, &mut store);
    let mib = vec![b'x'; 1 << 20];
    for _ in 0..11 {
        out.extend(s.feed(&mib, NOW, &mut store));
    }
    assert_eq!(written(&out), "* BYE Command line too long.\r\n");
    assert!(s.is_closed());

    let mut s = logged_in(&mut store);
    let long = format!("a NOOP {}\r\n", "x".repeat(MAX_LINE));
    assert_eq!(
        talk(&mut s, &mut store, &long),
        "* BYE Command line too long.\r\n"
    );
    let mut s = logged_in(&mut store);
    let endless = "x".repeat(MAX_LINE + 10);
    assert_eq!(
        talk(&mut s, &mut store, &endless),
        "* BYE Command line too long.\r\n"
    );

    let mut s = logged_in(&mut store);
    let frobs = "x FROB\r\n".repeat(MAX_ERRORS as usize + 5);
    let r = talk(&mut s, &mut store, &frobs);
    assert_eq!(r.matches(" BAD ").count(), MAX_ERRORS as usize);
    assert!(
        r.ends_with("x BAD Error in IMAP command FROB: Unknown command.\r\n* BYE Too many invalid IMAP commands.\r\n"),
        "{r}"
    );

    let mut s = logged_in(&mut store);
    let noops = "n NOOP\r\n".repeat(MAX_COMMANDS as usize + 5);
    let r = talk(&mut s, &mut store, &noops);
    // The login was the first command.
    assert_eq!(r.matches("n OK").count(), MAX_COMMANDS as usize - 1);
    assert!(r.ends_with("* BYE Too many commands in one session.\r\n"));
    assert!(s.is_closed());
}

/// Pieces of IMAP a fuzzer strings together and mutates.
const VOCABULARY: &[&str] = &[
    "a CAPABILITY\r\n",
    "a STARTTLS\r\n",
    "a LOGIN bob@friend.test pw\r\n",
    "a LOGIN bob@friend.test {2}\r\npw\r\n",
    "a LOGIN bob@friend.test {2+}\r\npw\r\n",
    "a AUTHENTICATE PLAIN\r\n",
    "AGJvYkBmcmllbmQudGVzdABwdw==\r\n",
    "a AUTHENTICATE PLAIN AGJvYkBmcmllbmQudGVzdABwdw==\r\n",
    "*\r\n",
    "a LIST \"\" *\r\n",
    "a LIST \"\" %\r\n",
    "a LSUB \"\" *\r\n",
    "a SELECT INBOX\r\n",
    "a EXAMINE Junk\r\n",
    "a SELECT \"Nope\"\r\n",
    "a SELECT \"x{5}\"\r\n",
    "a STATUS INBOX (MESSAGES UIDNEXT UNSEEN UIDVALIDITY RECENT DELETED)\r\n",
    "a CREATE Work/2024\r\n",
    "a FETCH 1:* (FLAGS UID RFC822.SIZE INTERNALDATE ENVELOPE)\r\n",
    "a UID FETCH 1:* (BODY.PEEK[] BODY[HEADER] BODY[TEXT]<2.5>)\r\n",
    "a FETCH 1 (BODY.PEEK[HEADER.FIELDS.NOT (To)] RFC822 RFC822.TEXT)\r\n",
    "a FETCH * ALL\r\n",
    "a FETCH 1 ()\r\n",
    "a STATUS INBOX ()\r\n",
    "a FETCH 4294967295 FAST\r\n",
    "a UID FETCH 2:1,* BODYSTRUCTURE\r\n",
    "a STORE 1 +FLAGS (\\Seen $Junk)\r\n",
    "a UID STORE 1:* -FLAGS.SILENT (\\Seen)\r\n",
    "a STORE * FLAGS (\\Deleted)\r\n",
    "a STORE 1 +FLAGS (\\Recent)\r\n",
    "a SEARCH UNSEEN NOT OR SEEN DELETED\r\n",
    "a UID SEARCH UID 1:* TEXT hello SENTSINCE 1-Jan-2020\r\n",
    "a SEARCH CHARSET UTF-8 SUBJECT {2}\r\nHi\r\n",
    "a EXPUNGE\r\n",
    "a UID EXPUNGE 1:*\r\n",
    "a COPY 1:* Sent\r\n",
    "a MOVE 1 Junk\r\n",
    "a UID MOVE 1:* INBOX\r\n",
    "a APPEND Sent (\\Seen) {12}\r\nSubject: x\r\n\r\n",
    "a APPEND Sent {5+}\r\nhello\r\n",
    "a APPEND Sent ~{3}\r\nabc\r\n",
    "a APPEND Sent {99999999}\r\n",
    "a IDLE\r\n",
    "DONE\r\n",
    "a ENABLE IMAP4rev2\r\n",
    "a CHECK\r\n",
    "a CLOSE\r\n",
    "a UNSELECT\r\n",
    "a NOOP\r\n",
    "a LOGOUT\r\n",
    "a RENAME Junk Spam\r\n",
    "a GETQUOTAROOT INBOX\r\n",
    "{5}\r\n",
    "\r\n",
    "\n",
    "\u{e9}\u{0}\u{7f}\r\n",
];

fn fuzz_cases() -> u64 {
    std::env::var("MAILHOP_FUZZ_CASES")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(20_000)
}

/// A vocabulary piece with a few bytes changed, inserted or removed.
fn mutated(rng: &mut ChaCha8Rng) -> Vec<u8> {
    let mut piece = VOCABULARY[rng.random_range(0..VOCABULARY.len())]
        .as_bytes()
        .to_vec();
    for _ in 0..rng.random_range(1..4) {
        let at = rng.random_range(0..=piece.len());
        match rng.random_range(0..3) {
            0 if at < piece.len() => piece[at] = rng.random(),
            1 => piece.insert(at, rng.random()),
            _ if at < piece.len() => {
                piece.remove(at);
            }
            _ => piece.push(b'\n'),
        }
    }
    piece
}

fn random_input(rng: &mut ChaCha8Rng) -> Vec<u8> {
    let mut input = Vec::new();
    for _ in 0..rng.random_range(1..40) {
        match rng.random_range(0..10) {
            0 => {
                let n = rng.random_range(0..64);
                input.extend((0..n).map(|_| rng.random::<u8>()));
            }
            1 | 2 => input.extend(mutated(rng)),
            _ => {
                let piece = VOCABULARY[rng.random_range(0..VOCABULARY.len())];
                input.extend_from_slice(piece.as_bytes());
            }
        }
    }
    input
}

#[test]
fn random_bytes_and_mutated_commands_never_panic_and_every_response_parses() {
    let mut rng = ChaCha8Rng::seed_from_u64(0x1AAB);
    for case in 0..fuzz_cases() {
        let config = Config {
            tls_available: rng.random(),
            require_tls: rng.random(),
            implicit_tls: rng.random(),
            ..config()
        };
        let mut store = TestStore::with_inbox(&[HELLO, AGAIN]);
        let mut s = Server::new(config);
        let mut outputs = s.greet(NOW, &mut store);
        let input = random_input(&mut rng);
        let mut rest = &input[..];
        while !rest.is_empty() && !s.is_closed() {
            let n = rng.random_range(1..=rest.len().min(300));
            let (chunk, tail) = rest.split_at(n);
            rest = tail;
            let out = s.feed(chunk, NOW, &mut store);
            let tls = out.iter().any(|o| matches!(o, Output::StartTls { .. }));
            outputs.extend(out);
            if tls {
                outputs.extend(s.tls_started(NOW, &mut store));
            }
            if rng.random_range(0..8) == 0 {
                store.deliver("INBOX", AGAIN);
                outputs.extend(s.changed(NOW, &mut store));
            }
        }
        // Every response parses (`written` asserts it); say which case.
        let result = std::panic::catch_unwind(|| written(&outputs));
        assert!(
            result.is_ok(),
            "case {case}: {:?}",
            String::from_utf8_lossy(&input)
        );
    }
}

#[test]
fn long_folder_names_and_list_patterns_are_refused() {
    let mut store = TestStore::new();
    let mut s = logged_in(&mut store);
    let name = "n".repeat(300);
    exchange(
        &mut s,
        &mut store,
        &[
            (
                &format!("c1 CREATE {name}\r\n"),
                "c1 NO [CANNOT] Mailbox name too long.\r\n",
            ),
            (
                &format!("c2 LIST \"\" {}\r\n", "*".repeat(300)),
                "c2 BAD Error in IMAP command LIST: Pattern too long.\r\n",
            ),
        ],
    );
    assert_eq!(store.folders.len(), 3);
}

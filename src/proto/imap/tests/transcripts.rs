//! Byte-exact conversations: the happy path of a mail client on port 143,
//! and the errors a student meets (LOGIN before STARTTLS, a bad tag, an
//! absent UID, a missing folder, an unknown command, FETCH before SELECT).

use super::*;

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

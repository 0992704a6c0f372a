//! The rest of a session, command by command: logging in, what FETCH,
//! SEARCH, STORE and EXPUNGE do, changes made elsewhere, folders,
//! STARTTLS injection and the limits that end a session.

use super::*;

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
                "* 1 FETCH (BODYSTRUCTURE (\"TEXT\" \"plain\" (\"charset\" \"us-ascii\") NIL NIL \"7bit\" 12 1))\r\n\
                 f6 OK Fetch completed.\r\n",
            ),
            (
                "f7 FETCH 1 (BODY.PEEK[1] BODY.PEEK[1.MIME] BODY.PEEK[2])\r\n",
                &format!(
                    "* 1 FETCH (BODY[1] {{12}}\r\nHello Bob.\r\n BODY[1.MIME] {{{}}}\r\n{header} BODY[2] {{0}}\r\n)\r\n\
                     f7 OK Fetch completed.\r\n",
                    header.len()
                ),
            ),
            (
                "f8 FETCH 2 BODY\r\n",
                "* 2 FETCH (BODY (\"TEXT\" \"plain\" (\"charset\" \"us-ascii\") NIL NIL \"7bit\" 9 1))\r\n\
                 f8 OK Fetch completed.\r\n",
            ),
            (
                "f9 FETCH 1 BINARY.PEEK[1]\r\n",
                "f9 NO [CANNOT] FETCH BINARY is not supported by this server.\r\n",
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

//! The POP3 engine on its own: bytes and time in, outputs out, no runtime
//! and no world. Grouped by state, named after the rule; random input in
//! `tests/random.rs`.

use base64::Engine;
use base64::engine::general_purpose::STANDARD as B64;

use super::*;

/// Bob's INBOX: UIDs 1, 3 and 4 (2 was removed long ago), 112 octets.
const M1: &[u8] = b"Subject: one\r\n\r\nhello\r\n"; // 14 + 2 + 7 = 23
const M2: &[u8] = b"Subject: two\r\n\r\n.\r\n..two\r\n.dot line\r\nlast\r\n"; // 14 + 2 + 3 + 7 + 11 + 6 = 43
const M3: &[u8] = b"From: a@b.test\r\nSubject: three\r\n\r\nl1\r\nl2\r\nl3\r\n"; // 16 + 16 + 2 + 3 * 4 = 46
const UIDVALIDITY: u32 = 1_700_000_000; // 0x6553F100

/// One account, `bob@friend.test` with password `secret`.
struct TestDrop {
    locked: bool,
}

const DROP: TestDrop = TestDrop { locked: false };

impl Maildrop for TestDrop {
    fn authenticate(&self, user: &str, password: &str) -> bool {
        user == "bob@friend.test" && password == "secret"
    }
    fn open(&self, user: &str) -> Option<Inbox> {
        assert_eq!(user, "bob@friend.test", "only opened after a login");
        (!self.locked).then(|| Inbox {
            uidvalidity: UIDVALIDITY,
            messages: [(1, M1), (3, M2), (4, M3)]
                .into_iter()
                .map(|(uid, eml)| InboxMessage {
                    uid,
                    eml: eml.to_vec(),
                })
                .collect(),
        })
    }
}

fn config() -> Config {
    Config {
        host: "pop.friend.test".into(),
        tls_available: true,
        require_tls: false,
        implicit_tls: false,
    }
}

/// What the client reads: replies and message lines, each with its CRLF.
fn wire(out: &[Output]) -> String {
    out.iter()
        .filter_map(|o| match o {
            Output::Reply(line) => Some(format!("{line}\r\n")),
            Output::MessageLine(line) => Some(format!("{}\r\n", String::from_utf8_lossy(line))),
            _ => None,
        })
        .collect()
}

/// Everything but transcript and wire lines: what the driver acts on.
fn happenings(out: &[Output]) -> Vec<Output> {
    out.iter()
        .filter(|o| {
            !matches!(
                o,
                Output::Heard(_) | Output::Reply(_) | Output::MessageLine(_)
            )
        })
        .cloned()
        .collect()
}

fn talk(server: &mut Server, input: &str) -> String {
    wire(&server.feed(input.as_bytes(), 0, &DROP))
}

fn greeted(config: Config) -> Server {
    let mut server = Server::new(config);
    assert_eq!(
        wire(&server.greet(0)),
        "+OK pop.friend.test POP3 server ready\r\n"
    );
    server
}

fn logged_in() -> Server {
    let mut server = greeted(config());
    assert_eq!(
        talk(&mut server, "USER bob@friend.test\r\nPASS secret\r\n"),
        "+OK send PASS\r\n+OK bob@friend.test's maildrop has 3 messages (112 octets)\r\n"
    );
    server
}

fn login(user: &str, accepted: bool, mechanism: &'static str) -> Output {
    Output::Login {
        user: user.into(),
        mechanism,
        accepted,
    }
}

// A whole session.

#[test]
fn a_whole_session_byte_for_byte() {
    let mut s = greeted(config());
    let input = "CAPA\r\nUSER bob@friend.test\r\nPASS secret\r\nSTAT\r\nLIST\r\nUIDL\r\n\
                 TOP 3 1\r\nRETR 2\r\nDELE 1\r\nQUIT\r\n";
    let out = s.feed(input.as_bytes(), 0, &DROP);
    assert_eq!(
        wire(&out),
        "+OK capability list follows\r\nTOP\r\nUIDL\r\nRESP-CODES\r\nAUTH-RESP-CODE\r\n\
         PIPELINING\r\nSTLS\r\nUSER\r\nSASL PLAIN\r\n.\r\n\
         +OK send PASS\r\n\
         +OK bob@friend.test's maildrop has 3 messages (112 octets)\r\n\
         +OK 3 112\r\n\
         +OK 3 messages (112 octets)\r\n1 23\r\n2 43\r\n3 46\r\n.\r\n\
         +OK unique-id listing follows\r\n1 000000016553F100\r\n2 000000036553F100\r\n\
         3 000000046553F100\r\n.\r\n\
         +OK top of message follows\r\nFrom: a@b.test\r\nSubject: three\r\n\r\nl1\r\n.\r\n\
         +OK 43 octets\r\nSubject: two\r\n\r\n..\r\n...two\r\n..dot line\r\nlast\r\n.\r\n\
         +OK message 1 deleted\r\n\
         +OK pop.friend.test POP3 server signing off (2 messages left)\r\n"
    );
    assert_eq!(
        happenings(&out),
        [
            login("bob@friend.test", true, "USER"),
            Output::Retrieved {
                number: 3,
                uid: 4,
                top: Some(1)
            },
            Output::Retrieved {
                number: 2,
                uid: 3,
                top: None
            },
            Output::Delete {
                user: "bob@friend.test".into(),
                uidvalidity: UIDVALIDITY,
                uids: vec![1]
            },
            Output::Close,
        ]
    );
    let heard: Vec<&str> = out
        .iter()
        .filter_map(|o| match o {
            Output::Heard(line) => Some(line.as_str()),
            _ => None,
        })
        .collect();
    assert_eq!(heard[2], "PASS secret", "the transcript shows what crossed");
    assert_eq!(heard.len(), 10);
    assert!(s.is_closed());
    assert!(s.feed(b"NOOP\r\n", 0, &DROP).is_empty());
}

#[test]
fn pipelined_or_byte_by_byte_the_answers_are_the_same() {
    let input =
        b"user bob@friend.test\r\npass secret\r\nstat\r\nretr 1\r\ndele 3\r\nlist\r\nquit\r\n";
    let mut whole = greeted(config());
    let at_once = whole.feed(input, 0, &DROP);
    let mut bytes = greeted(config());
    let one_by_one: Vec<Output> = input
        .iter()
        .flat_map(|b| bytes.feed(&[*b], 0, &DROP))
        .collect();
    assert_eq!(at_once, one_by_one);
    assert!(wire(&at_once).contains("+OK 23 octets\r\nSubject: one\r\n\r\nhello\r\n.\r\n"));
}

// AUTHORIZATION.

#[test]
fn rfc1939_quit_in_authorization_deletes_nothing() {
    let mut s = greeted(config());
    let out = s.feed(b"USER bob@friend.test\r\nQUIT\r\n", 0, &DROP);
    assert_eq!(
        wire(&out),
        "+OK send PASS\r\n+OK pop.friend.test POP3 server signing off\r\n"
    );
    assert_eq!(happenings(&out), [Output::Close]);
}

#[test]
fn rfc1939_pass_only_immediately_after_user() {
    let mut s = greeted(config());
    assert_eq!(
        talk(&mut s, "PASS secret\r\n"),
        "-ERR no username given\r\n"
    );
    assert_eq!(
        talk(&mut s, "USER bob@friend.test\r\nNOOP\r\nPASS secret\r\n"),
        "+OK send PASS\r\n-ERR log in first\r\n-ERR no username given\r\n"
    );
    assert_eq!(
        talk(&mut s, "USER bob@friend.test\r\nBAD\r\nPASS secret\r\n"),
        "+OK send PASS\r\n-ERR unknown command: BAD\r\n-ERR no username given\r\n"
    );
    assert_eq!(
        talk(&mut s, "USER x\r\nUSER bob@friend.test\r\nPASS secret\r\n"),
        "+OK send PASS\r\n+OK send PASS\r\n\
         +OK bob@friend.test's maildrop has 3 messages (112 octets)\r\n"
    );
}

#[test]
fn transaction_commands_need_a_login_first() {
    let mut s = greeted(config());
    for command in [
        "STAT", "LIST", "UIDL 1", "TOP 1 0", "RETR 1", "DELE 1", "NOOP", "RSET",
    ] {
        assert_eq!(
            talk(&mut s, &format!("{command}\r\n")),
            "-ERR log in first\r\n",
            "{command}"
        );
    }
}

#[test]
fn three_failed_logins_close_the_connection() {
    let mut s = greeted(config());
    let plain = B64.encode("\0bob@friend.test\0wrong");
    let out = s.feed(
        format!(
            "USER bob@friend.test\r\nPASS nope\r\nAUTH PLAIN {plain}\r\n\
             USER bob@friend.test\r\nPASS secret?\r\nUSER bob@friend.test\r\nPASS secret\r\n"
        )
        .as_bytes(),
        0,
        &DROP,
    );
    assert_eq!(
        wire(&out),
        "+OK send PASS\r\n-ERR [AUTH] authentication failed\r\n\
         -ERR [AUTH] authentication failed\r\n\
         +OK send PASS\r\n\
         -ERR [AUTH] authentication failed, too many failures: closing connection\r\n"
    );
    assert_eq!(
        happenings(&out),
        [
            login("bob@friend.test", false, "USER"),
            login("bob@friend.test", false, "PLAIN"),
            login("bob@friend.test", false, "USER"),
            Output::Close,
        ]
    );
    assert!(s.is_closed());
}

#[test]
fn rfc5034_auth_plain_with_and_without_an_initial_response() {
    let token = B64.encode("\0bob@friend.test\0secret");
    let welcome = "+OK bob@friend.test's maildrop has 3 messages (112 octets)\r\n";
    let mut s = greeted(config());
    let out = s.feed(format!("AUTH PLAIN {token}\r\n").as_bytes(), 0, &DROP);
    assert_eq!(wire(&out), welcome);
    assert_eq!(happenings(&out), [login("bob@friend.test", true, "PLAIN")]);

    let mut s = greeted(config());
    assert_eq!(talk(&mut s, "auth plain\r\n"), "+ \r\n");
    assert_eq!(talk(&mut s, &format!("{token}\r\n")), welcome);

    let mut s = greeted(config());
    assert_eq!(
        talk(&mut s, "AUTH PLAIN\r\n*\r\n"),
        "+ \r\n-ERR authentication cancelled\r\n"
    );
    assert_eq!(
        talk(
            &mut s,
            "AUTH PLAIN !!\r\nAUTH PLAIN =\r\nAUTH LOGIN\r\nAUTH\r\n"
        ),
        "-ERR cannot decode the PLAIN response\r\n\
         -ERR cannot decode the PLAIN response\r\n\
         -ERR unsupported authentication mechanism\r\n\
         -ERR usage: AUTH mechanism [initial-response]\r\n"
    );
}

#[test]
fn rfc4616_acting_as_someone_else_is_a_failed_login() {
    let mut s = greeted(config());
    let token = B64.encode("alice@friend.test\0bob@friend.test\0secret");
    let out = s.feed(format!("AUTH PLAIN {token}\r\n").as_bytes(), 0, &DROP);
    assert_eq!(
        wire(&out),
        "-ERR [AUTH] authorization identity differs from login\r\n"
    );
    assert_eq!(happenings(&out), [login("bob@friend.test", false, "PLAIN")]);
    assert_eq!(s.failed_logins, 1);
}

#[test]
fn rfc1939_a_locked_maildrop_keeps_the_session_in_authorization() {
    let locked = TestDrop { locked: true };
    let mut s = greeted(config());
    let out = s.feed(
        b"USER bob@friend.test\r\nPASS secret\r\nSTAT\r\n",
        0,
        &locked,
    );
    assert_eq!(
        wire(&out),
        "+OK send PASS\r\n-ERR [IN-USE] maildrop already locked\r\n-ERR log in first\r\n"
    );
    assert_eq!(happenings(&out), [login("bob@friend.test", true, "USER")]);
    assert_eq!(s.failed_logins, 0, "the password was right");
}

// STLS and TLS.

#[test]
fn rfc2595_login_before_tls_is_refused_where_tls_is_required() {
    let mut s = greeted(Config {
        require_tls: true,
        ..config()
    });
    let refused = "-ERR [AUTH] plaintext authentication disallowed on non-secure connections, \
                   use STLS first\r\n";
    assert_eq!(
        talk(&mut s, "CAPA\r\n"),
        "+OK capability list follows\r\nTOP\r\nUIDL\r\nRESP-CODES\r\nAUTH-RESP-CODE\r\n\
         PIPELINING\r\nSTLS\r\n.\r\n",
        "no USER, no SASL before TLS"
    );
    let out = s.feed(
        b"USER bob@friend.test\r\nPASS secret\r\nAUTH PLAIN AGJvYkBmcmllbmQudGVzdABzZWNyZXQ=\r\n",
        0,
        &DROP,
    );
    assert_eq!(wire(&out), refused.repeat(3));
    assert!(happenings(&out).is_empty(), "no password was even checked");
}

#[test]
fn rfc2595_stls_flow() {
    let mut s = greeted(Config {
        require_tls: true,
        ..config()
    });
    let out = s.feed(b"STLS\r\nUSER bob@friend.test\r\n", 0, &DROP);
    assert_eq!(wire(&out), "+OK begin TLS negotiation\r\n");
    assert_eq!(
        happenings(&out),
        [Output::StartTls { discarded: 22 }],
        "what was pipelined after STLS is thrown away"
    );
    assert!(
        s.feed(b"PASS secret\r\n", 0, &DROP).is_empty(),
        "nothing is read before the handshake"
    );
    assert_eq!(s.deadline(), None);
    s.tls_started(5);
    assert_eq!(s.deadline(), Some(5 + AUTOLOGOUT_MS));
    assert_eq!(
        talk(&mut s, "CAPA\r\nSTLS\r\nPASS secret\r\n"),
        "+OK capability list follows\r\nTOP\r\nUIDL\r\nRESP-CODES\r\nAUTH-RESP-CODE\r\n\
         PIPELINING\r\nUSER\r\nSASL PLAIN\r\n.\r\n\
         -ERR command not permitted when TLS active\r\n\
         -ERR no username given\r\n"
    );
    assert_eq!(
        talk(&mut s, "USER bob@friend.test\r\nPASS secret\r\nCAPA\r\n"),
        "+OK send PASS\r\n+OK bob@friend.test's maildrop has 3 messages (112 octets)\r\n\
         +OK capability list follows\r\nTOP\r\nUIDL\r\nRESP-CODES\r\nAUTH-RESP-CODE\r\n\
         PIPELINING\r\n.\r\n"
    );
}

#[test]
fn port_995_starts_inside_tls() {
    let mut s = greeted(Config {
        require_tls: true,
        implicit_tls: true,
        ..config()
    });
    assert_eq!(
        talk(&mut s, "CAPA\r\nSTLS\r\nUSER bob@friend.test\r\n"),
        "+OK capability list follows\r\nTOP\r\nUIDL\r\nRESP-CODES\r\nAUTH-RESP-CODE\r\n\
         PIPELINING\r\nUSER\r\nSASL PLAIN\r\n.\r\n\
         -ERR command not permitted when TLS active\r\n+OK send PASS\r\n"
    );
}

#[test]
fn stls_without_a_certificate_is_neither_offered_nor_done() {
    let mut s = greeted(Config {
        tls_available: false,
        ..config()
    });
    assert_eq!(
        talk(&mut s, "CAPA\r\nSTLS\r\n"),
        "+OK capability list follows\r\nTOP\r\nUIDL\r\nRESP-CODES\r\nAUTH-RESP-CODE\r\n\
         PIPELINING\r\nUSER\r\nSASL PLAIN\r\n.\r\n-ERR TLS not available\r\n"
    );
    // Requiring TLS without a certificate locks everyone out, and the
    // refusal does not send the client to an STLS that cannot work.
    let mut s = greeted(Config {
        tls_available: false,
        require_tls: true,
        ..config()
    });
    assert_eq!(
        talk(&mut s, "USER bob@friend.test\r\n"),
        "-ERR [AUTH] plaintext authentication disallowed on non-secure connections\r\n"
    );
}

// TRANSACTION.

#[test]
fn rfc1939_listings_of_one_message() {
    let mut s = logged_in();
    assert_eq!(
        talk(&mut s, "LIST 2\r\nUIDL 3\r\nNOOP\r\n"),
        "+OK 2 43\r\n+OK 3 000000046553F100\r\n+OK\r\n"
    );
}

#[test]
fn rfc1939_dele_then_rset_unmarks_everything() {
    let mut s = logged_in();
    let deleted = "-ERR message 1 already deleted\r\n";
    assert_eq!(
        talk(&mut s, "DELE 1\r\nDELE 2\r\nSTAT\r\nLIST\r\nUIDL\r\n"),
        "+OK message 1 deleted\r\n+OK message 2 deleted\r\n+OK 1 46\r\n\
         +OK 1 message (46 octets)\r\n3 46\r\n.\r\n\
         +OK unique-id listing follows\r\n3 000000046553F100\r\n.\r\n"
    );
    for command in ["LIST 1", "UIDL 1", "RETR 1", "TOP 1 0", "DELE 1"] {
        assert_eq!(
            talk(&mut s, &format!("{command}\r\n")),
            deleted,
            "{command}"
        );
    }
    assert_eq!(
        talk(&mut s, "RSET\r\nSTAT\r\nRETR 1\r\n"),
        "+OK maildrop has 3 messages (112 octets)\r\n+OK 3 112\r\n\
         +OK 23 octets\r\nSubject: one\r\n\r\nhello\r\n.\r\n"
    );
    let out = s.feed(b"QUIT\r\n", 0, &DROP);
    assert_eq!(
        wire(&out),
        "+OK pop.friend.test POP3 server signing off (3 messages left)\r\n"
    );
    assert_eq!(happenings(&out), [Output::Close], "RSET undid the marks");
}

#[test]
fn rfc1939_dele_then_quit_deletes_in_the_update_state() {
    let mut s = logged_in();
    let out = s.feed(b"DELE 3\r\nDELE 1\r\nQUIT\r\n", 0, &DROP);
    let delete = Output::Delete {
        user: "bob@friend.test".into(),
        uidvalidity: UIDVALIDITY,
        uids: vec![1, 4],
    };
    let goodbye =
        Output::Reply("+OK pop.friend.test POP3 server signing off (1 message left)".into());
    let at = |wanted: &Output| out.iter().position(|o| o == wanted).expect("present");
    assert!(
        at(&delete) < at(&goodbye),
        "the store changes before the +OK: {out:?}"
    );
    assert_eq!(out.last(), Some(&Output::Close));

    let mut s = logged_in();
    assert!(
        talk(&mut s, "DELE 1\r\nDELE 2\r\nDELE 3\r\nQUIT\r\n")
            .ends_with("+OK pop.friend.test POP3 server signing off (maildrop empty)\r\n")
    );
}

#[test]
fn rfc1939_autologout_ends_the_session_without_deleting() {
    let mut s = logged_in();
    assert_eq!(talk(&mut s, "DELE 1\r\n"), "+OK message 1 deleted\r\n");
    assert!(s.poll(AUTOLOGOUT_MS - 1).is_empty());
    assert_eq!(
        wire(&s.feed(b"NOOP\r\n", 1000, &DROP)),
        "+OK\r\n",
        "a command resets the timer"
    );
    assert!(s.poll(AUTOLOGOUT_MS).is_empty());
    let out = s.poll(1000 + AUTOLOGOUT_MS);
    assert_eq!(wire(&out), "-ERR autologout: idle for too long\r\n");
    assert_eq!(happenings(&out), [Output::Close], "no UPDATE state");
    assert_eq!(s.deadline(), None);
}

#[test]
fn rfc1939_top_with_zero_lines_sends_the_header_and_the_blank_line() {
    let mut s = logged_in();
    let out = s.feed(b"TOP 3 0\r\nTOP 1 99\r\n", 0, &DROP);
    assert_eq!(
        wire(&out),
        "+OK top of message follows\r\nFrom: a@b.test\r\nSubject: three\r\n\r\n.\r\n\
         +OK top of message follows\r\nSubject: one\r\n\r\nhello\r\n.\r\n"
    );
    assert_eq!(
        happenings(&out),
        [
            Output::Retrieved {
                number: 3,
                uid: 4,
                top: Some(0)
            },
            Output::Retrieved {
                number: 1,
                uid: 1,
                top: Some(99)
            },
        ]
    );
}

/// A client undoes the stuffing of a multi-line answer and gets the
/// message back, octet for octet, whatever its lines start with.
#[test]
fn rfc1939_dot_stuffing_round_trips_any_message() {
    let eml = b".\r\n..\r\n.x\r\nmiddle . line\r\n\r\n.\r\n\xc3\xa9 8-bit\r\nno end".to_vec();
    let drop = Single(eml.clone());
    let mut s = greeted(config());
    s.feed(b"USER bob@friend.test\r\nPASS secret\r\n", 0, &drop);
    let out = s.feed(b"RETR 1\r\n", 0, &drop);
    let mut text: Vec<u8> = Vec::new();
    for o in &out {
        match o {
            Output::Reply(line) => {
                text.extend_from_slice(line.as_bytes());
                text.extend_from_slice(b"\r\n");
            }
            Output::MessageLine(line) => {
                text.extend_from_slice(line);
                text.extend_from_slice(b"\r\n");
            }
            _ => {}
        }
    }
    assert!(
        text.starts_with(b"+OK 49 octets\r\n..\r\n...\r\n..x\r\n"),
        "{}",
        String::from_utf8_lossy(&text)
    );
    assert!(text.ends_with(b"no end\r\n.\r\n"));
    let body = &text[b"+OK 49 octets\r\n".len()..text.len() - b".\r\n".len()];
    let unstuffed: Vec<u8> = body
        .split_inclusive(|&b| b == b'\n')
        .flat_map(|line| line.strip_prefix(b".").unwrap_or(line).to_vec())
        .collect();
    let mut expected = eml;
    expected.extend_from_slice(b"\r\n");
    assert_eq!(unstuffed, expected, "the last line gained its CRLF");
    assert_eq!(unstuffed.len(), 49);
}

/// A maildrop of one message, for the dot-stuffing test.
struct Single(Vec<u8>);

impl Maildrop for Single {
    fn authenticate(&self, _user: &str, _password: &str) -> bool {
        true
    }
    fn open(&self, _user: &str) -> Option<Inbox> {
        Some(Inbox {
            uidvalidity: 1,
            messages: vec![InboxMessage {
                uid: 1,
                eml: self.0.clone(),
            }],
        })
    }
}

#[test]
fn login_commands_after_login_are_refused() {
    let mut s = logged_in();
    for command in ["USER bob@friend.test", "PASS secret", "AUTH PLAIN", "STLS"] {
        assert_eq!(
            talk(&mut s, &format!("{command}\r\n")),
            "-ERR already logged in\r\n",
            "{command}"
        );
    }
}

// The codec.

#[test]
fn strict_codec_errors_get_their_own_err() {
    let mut s = logged_in();
    for (line, reply) in [
        ("", "-ERR empty command"),
        ("FROB", "-ERR unknown command: FROB"),
        (
            "apop bob c4c9334bac560ecc979e58001b3e22fb",
            "-ERR unknown command: APOP",
        ),
        ("LAST", "-ERR unknown command: LAST"),
        (
            "LIST  1",
            "-ERR arguments must be separated by single spaces",
        ),
        ("STAT ", "-ERR arguments must be separated by single spaces"),
        ("RETR one", "-ERR invalid message number"),
        ("RETR -1", "-ERR invalid message number"),
        (
            "DELE 99999999999999999999999",
            "-ERR invalid message number",
        ),
        ("TOP 1 -1", "-ERR invalid number of lines"),
        ("RETR", "-ERR usage: RETR msg"),
        ("TOP 1", "-ERR usage: TOP msg n"),
        (
            "RETR 0",
            "-ERR no such message, only 3 messages in maildrop",
        ),
        (
            "RETR 4",
            "-ERR no such message, only 3 messages in maildrop",
        ),
        (
            "LIST 9",
            "-ERR no such message, only 3 messages in maildrop",
        ),
        ("STAT\t", "-ERR invalid characters in command"),
        ("US\0ER", "-ERR invalid characters in command"),
    ] {
        assert_eq!(
            talk(&mut s, &format!("{line}\r\n")),
            format!("{reply}\r\n"),
            "{line:?}"
        );
    }
    assert_eq!(
        talk(&mut s, "NOOP\nNOOP\r\n"),
        "-ERR lines must end with CRLF\r\n+OK\r\n"
    );
    assert!(!s.is_closed(), "a bad command is not the end of a session");
}

#[test]
fn rfc2449_a_line_over_255_octets_gets_err_and_the_connection_closes() {
    let mut s = greeted(config());
    let fits = format!("USER {}\r\n", "x".repeat(MAX_LINE - 7));
    assert_eq!(fits.len(), MAX_LINE);
    assert_eq!(talk(&mut s, &fits), "+OK send PASS\r\n");
    let over = format!("USER {}\r\n", "x".repeat(MAX_LINE - 6));
    let out = s.feed(over.as_bytes(), 0, &DROP);
    assert_eq!(wire(&out), "-ERR line too long\r\n");
    assert_eq!(
        out,
        [
            Output::Heard("(line too long)".into()),
            Output::Reply("-ERR line too long".into()),
            Output::Close
        ]
    );
    let mut bytes = greeted(config());
    let one_by_one: Vec<Output> = over
        .bytes()
        .flat_map(|b| bytes.feed(&[b], 0, &DROP))
        .collect();
    assert_eq!(one_by_one, out, "the same wherever the chunks end");
}

#[test]
fn megabytes_without_a_line_end_are_cut_off() {
    let mut s = greeted(config());
    let chunk = vec![b'A'; 4096];
    let out = s.feed(&chunk, 0, &DROP);
    assert_eq!(wire(&out), "-ERR line too long\r\n");
    assert_eq!(happenings(&out), [Output::Close]);
    for _ in 0..256 {
        assert!(s.feed(&chunk, 0, &DROP).is_empty());
    }
    assert!(s.input.is_empty(), "nothing is kept after the close");
}

#[test]
fn the_command_limit_ends_the_session() {
    let mut s = logged_in();
    let noops = "NOOP\r\n".repeat(MAX_COMMANDS as usize - 2);
    let out = s.feed(noops.as_bytes(), 0, &DROP);
    assert_eq!(wire(&out), "+OK\r\n".repeat(MAX_COMMANDS as usize - 2));
    let out = s.feed(b"DELE 1\r\nQUIT\r\n", 0, &DROP);
    assert_eq!(wire(&out), "-ERR too many commands, closing connection\r\n");
    assert_eq!(happenings(&out), [Output::Close], "QUIT was never read");
}

mod random;

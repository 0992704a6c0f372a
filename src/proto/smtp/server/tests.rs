//! The server engine on its own: bytes and time in, outputs out, no
//! runtime and no world. Grouped by situation, named after the rule.

use rand::{Rng, SeedableRng};
use rand_chacha::ChaCha8Rng;

use super::*;
use crate::proto::fuzz;

/// A policy for tests: one mailbox, one account, optional imposed reply.
struct TestPolicy {
    imposed: Option<(Phase, Reply)>,
    strict_sender: bool,
}

const POLICY: TestPolicy = TestPolicy {
    imposed: None,
    strict_sender: false,
};

impl Policy for TestPolicy {
    type Note = ();
    fn imposed(&self, phase: Phase, _now_ms: u64) -> Option<Reply> {
        self.imposed
            .as_ref()
            .filter(|(p, _)| *p == phase)
            .map(|(_, r)| r.clone())
    }
    fn login(&self, user: &str, password: &str) -> bool {
        user == "alice@home.test" && password == "pw"
    }
    fn sender(&self, sender: &str, login: Option<&str>) -> Result<(), Reply> {
        match login {
            Some(user) if self.strict_sender && sender != user => {
                Err(Reply::new(553, "5.7.1 not yours"))
            }
            _ => Ok(()),
        }
    }
    fn recipient(&self, rcpt: &Rcpt<'_>, _now_ms: u64) -> Decision<()> {
        let recipient = rcpt.recipient;
        if recipient == "bob@friend.test" || rcpt.login.is_some() {
            Ok(()).into()
        } else {
            Err(Reply::new(
                554,
                format!("5.7.1 <{recipient}>: Relay access denied"),
            ))
            .into()
        }
    }
}

fn config() -> Config {
    Config {
        host: "mx.friend.test".into(),
        submission: false,
        tls_available: true,
        require_tls: false,
        implicit_tls: false,
        max_size: 1000,
        check_clients: false,
        offer_requiretls: false,
    }
}

/// Feeds `input` and returns the replies as one string, CRLF-terminated,
/// as the client would read them.
fn replies(server: &mut Server<()>, policy: &dyn Policy<Note = ()>, input: &str) -> String {
    let out = server.feed(input.as_bytes(), 0, policy);
    wire(&out)
}

fn wire(out: &[Output<()>]) -> String {
    out.iter()
        .filter_map(|o| match o {
            Output::Reply(line) => Some(format!("{line}\r\n")),
            _ => None,
        })
        .collect()
}

fn greeted(config: Config) -> Server<()> {
    let mut server = Server::new(config);
    assert_eq!(
        wire(&server.greet(0, &POLICY)),
        "220 mx.friend.test ESMTP mailhop\r\n"
    );
    server
}

fn messages(out: &[Output<()>]) -> Vec<Transaction> {
    out.iter()
        .filter_map(|o| match o {
            Output::Message(tx) => Some(tx.clone()),
            _ => None,
        })
        .collect()
}

#[test]
fn pipelined_transaction_is_answered_in_order() {
    let mut s = greeted(config());
    let out = s.feed(
        b"EHLO a.test\r\nMAIL FROM:<a@a.test>\r\nRCPT TO:<bob@friend.test>\r\nDATA\r\nSubject: x\r\n\r\n..dot\r\n.\r\nQUIT\r\n",
        0,
        &POLICY,
    );
    let msgs = messages(&out);
    assert_eq!(msgs.len(), 1);
    assert_eq!(msgs[0].data, b"Subject: x\r\n\r\n.dot\r\n");
    assert_eq!(msgs[0].protocol(), "ESMTP");
    assert!(
        wire(&out).ends_with("354 End data with <CR><LF>.<CR><LF>\r\n"),
        "the engine waits for the message to be stored"
    );
    let rest = wire(&s.stored(Ok("Q1".into()), 0, &POLICY));
    assert_eq!(rest, "250 2.0.0 Ok: queued as Q1\r\n221 2.0.0 Bye\r\n");
    assert!(s.is_closed());
}

#[test]
fn smtp_smuggling_payload_gives_at_most_one_message() {
    let mut s = greeted(config());
    let mut out = s.feed(
        b"EHLO evil.test\r\nMAIL FROM:<a@a.test>\r\nRCPT TO:<bob@friend.test>\r\nDATA\r\n",
        0,
        &POLICY,
    );
    out.extend(s.feed(
        b"hello\n.\nMAIL FROM:<spoof@bank.test>\r\nRCPT TO:<bob@friend.test>\r\nDATA\r\nforged\r\n.\r\n",
        0,
        &POLICY,
    ));
    let msgs = messages(&out);
    assert_eq!(msgs.len(), 1, "{out:?}");
    assert_eq!(msgs[0].sender, "a@a.test");
    let text = String::from_utf8_lossy(&msgs[0].data);
    assert!(text.contains("MAIL FROM:<spoof@bank.test>\r\n"), "{text}");
    let after = s.stored(Ok("Q1".into()), 0, &POLICY);
    assert!(messages(&after).is_empty());
}

#[test]
fn rfc5321_lines_over_1000_octets_get_500_5_5_2() {
    let mut s = greeted(config());
    let long = format!("NOOP {}\r\n", "x".repeat(1000));
    assert_eq!(
        replies(&mut s, &POLICY, &long),
        "500 5.5.2 Error: line too long\r\n"
    );
    let mut s = greeted(Config {
        max_size: 1_000_000,
        ..config()
    });
    let data = format!(
        "EHLO a\r\nMAIL FROM:<a@a.test>\r\nRCPT TO:<bob@friend.test>\r\nDATA\r\n{}\r\n.\r\n",
        "y".repeat(1200)
    );
    let out = s.feed(data.as_bytes(), 0, &POLICY);
    assert!(messages(&out).is_empty());
    assert!(
        wire(&out).ends_with("500 5.5.2 Error: line too long\r\n"),
        "{}",
        wire(&out)
    );
}

#[test]
fn rfc1870_size_is_checked_at_mail_and_after_data() {
    let mut s = greeted(config());
    let r = replies(
        &mut s,
        &POLICY,
        "EHLO a\r\nMAIL FROM:<a@a.test> SIZE=5000\r\n",
    );
    assert!(r.contains("250-SIZE 1000\r\n"), "{r}");
    assert!(
        r.ends_with("552 5.3.4 Message size exceeds fixed limit\r\n"),
        "{r}"
    );
    let body = "z\r\n".repeat(400);
    let r = replies(
        &mut s,
        &POLICY,
        &format!("MAIL FROM:<a@a.test>\r\nRCPT TO:<bob@friend.test>\r\nDATA\r\n{body}.\r\n"),
    );
    assert!(
        r.ends_with("552 5.3.4 Message size exceeds fixed limit\r\n"),
        "{r}"
    );
}

#[test]
fn rfc5321_4_1_1_11_unadvertised_parameters_get_555() {
    let mut s = greeted(config());
    replies(&mut s, &POLICY, "EHLO a\r\n");
    for (line, param) in [
        ("MAIL FROM:<a@a.test> SMTPUTF8", "SMTPUTF8"),
        ("MAIL FROM:<a@a.test> RET=HDRS", "RET"),
        ("MAIL FROM:<a@a.test> ENVID=x", "ENVID"),
        ("MAIL FROM:<a@a.test> BODY=BINARYMIME", "BODY=BINARYMIME"),
        ("MAIL FROM:<a@a.test> REQUIRETLS", "REQUIRETLS"),
    ] {
        assert_eq!(
            replies(&mut s, &POLICY, &format!("{line}\r\n")),
            format!("555 5.5.4 Unsupported option: {param}\r\n"),
            "{line}"
        );
    }
    assert_eq!(
        replies(
            &mut s,
            &POLICY,
            "MAIL FROM:<a@a.test> BODY=8BITMIME SIZE=10\r\n"
        ),
        "250 2.1.0 Ok\r\n"
    );
    for (line, param) in [
        ("RCPT TO:<bob@friend.test> NOTIFY=FAILURE", "NOTIFY"),
        (
            "RCPT TO:<bob@friend.test> ORCPT=rfc822;bob@friend.test",
            "ORCPT",
        ),
    ] {
        assert_eq!(
            replies(&mut s, &POLICY, &format!("{line}\r\n")),
            format!("555 5.5.4 Unsupported option: {param}\r\n"),
            "{line}"
        );
    }
}

#[test]
fn rfc3207_input_pipelined_after_starttls_is_discarded() {
    let mut s = greeted(config());
    let out = s.feed(
        b"EHLO a\r\nSTARTTLS\r\nMAIL FROM:<a@a.test>\r\n",
        0,
        &POLICY,
    );
    assert_eq!(
        out.last(),
        Some(&Output::StartTls {
            discarded: "MAIL FROM:<a@a.test>\r\n".len()
        })
    );
    let out = s.tls_started(0, &POLICY);
    assert!(out.is_empty());
    let r = replies(&mut s, &POLICY, "MAIL FROM:<a@a.test>\r\n");
    assert_eq!(r, "503 5.5.1 Error: send HELO/EHLO first\r\n");
    let r = replies(&mut s, &POLICY, "EHLO a\r\n");
    assert!(!r.contains("STARTTLS"), "{r}");
}

#[test]
fn rfc8689_requiretls_is_offered_and_taken_only_inside_tls_where_configured() {
    let offering = Config {
        offer_requiretls: true,
        ..config()
    };
    let mut s = greeted(offering.clone());
    let r = replies(&mut s, &POLICY, "EHLO a\r\n");
    assert!(!r.contains("REQUIRETLS"), "never in the clear: {r}");
    let r = replies(&mut s, &POLICY, "MAIL FROM:<a@a.test> REQUIRETLS\r\n");
    assert_eq!(r, "555 5.5.4 Unsupported option: REQUIRETLS\r\n");
    replies(&mut s, &POLICY, "STARTTLS\r\n");
    s.tls_started(0, &POLICY);
    let r = replies(&mut s, &POLICY, "EHLO a\r\n");
    assert!(
        r.contains("250-REQUIRETLS\r\n") || r.ends_with("250 REQUIRETLS\r\n"),
        "{r}"
    );
    let out = s.feed(
        b"MAIL FROM:<a@a.test> REQUIRETLS\r\nRCPT TO:<bob@friend.test>\r\nDATA\r\nSubject: x\r\n\r\nhi\r\n.\r\n",
        0,
        &POLICY,
    );
    assert!(wire(&out).starts_with("250 2.1.0 Ok\r\n"), "{}", wire(&out));
    let sent = messages(&out);
    assert!(sent[0].require_tls, "the transaction carries the request");
    s.stored(Ok("Q1".into()), 0, &POLICY);
    let out = s.feed(
        b"MAIL FROM:<a@a.test>\r\nRCPT TO:<bob@friend.test>\r\nDATA\r\nSubject: y\r\n\r\nhi\r\n.\r\n",
        0,
        &POLICY,
    );
    assert!(
        !messages(&out)[0].require_tls,
        "the next message did not ask"
    );

    let mut plain = greeted(config());
    replies(&mut plain, &POLICY, "STARTTLS\r\n");
    plain.tls_started(0, &POLICY);
    let r = replies(&mut plain, &POLICY, "EHLO a\r\n");
    assert!(!r.contains("REQUIRETLS"), "not configured: {r}");
    let r = replies(&mut plain, &POLICY, "MAIL FROM:<a@a.test> REQUIRETLS\r\n");
    assert_eq!(r, "555 5.5.4 Unsupported option: REQUIRETLS\r\n");

    let mut implicit = greeted(Config {
        implicit_tls: true,
        ..offering
    });
    let r = replies(&mut implicit, &POLICY, "HELO a\r\n");
    assert!(!r.contains("REQUIRETLS"), "HELO has no extensions");
    let r = replies(
        &mut implicit,
        &POLICY,
        "MAIL FROM:<a@a.test> REQUIRETLS\r\n",
    );
    assert!(r.starts_with("555"), "{r}");
}

#[test]
fn rfc4616_authorization_identity_must_be_empty_or_the_login() {
    use base64::Engine;
    let b64 = |s: &str| base64::engine::general_purpose::STANDARD.encode(s);
    let sub = Config {
        submission: true,
        implicit_tls: true,
        ..config()
    };
    let mut s = greeted(sub.clone());
    replies(&mut s, &POLICY, "EHLO a\r\n");
    let proxy = format!(
        "AUTH PLAIN {}\r\n",
        b64("bob@home.test\0alice@home.test\0pw")
    );
    let out = s.feed(proxy.as_bytes(), 0, &POLICY);
    assert!(wire(&out).starts_with("535 5.7.8"), "{}", wire(&out));
    assert!(out.contains(&Output::Login {
        user: "alice@home.test".into(),
        mechanism: "PLAIN",
        accepted: false
    }));
    let same = format!(
        "AUTH PLAIN {}\r\n",
        b64("alice@home.test\0alice@home.test\0pw")
    );
    assert_eq!(
        replies(&mut s, &POLICY, &same),
        "235 2.7.0 Authentication successful\r\n"
    );
    let strict = TestPolicy {
        imposed: None,
        strict_sender: true,
    };
    assert_eq!(
        replies(&mut s, &strict, "MAIL FROM:<ceo@bank.test>\r\n"),
        "553 5.7.1 not yours\r\n"
    );
    assert_eq!(
        replies(&mut s, &strict, "MAIL FROM:<alice@home.test>\r\n"),
        "250 2.1.0 Ok\r\n"
    );
}

#[test]
fn auth_is_refused_before_tls_on_a_server_that_has_tls() {
    let mut s = greeted(Config {
        submission: true,
        ..config()
    });
    let r = replies(&mut s, &POLICY, "EHLO a\r\nAUTH PLAIN AGEAYg==\r\n");
    assert!(!r.contains("AUTH PLAIN LOGIN"), "{r}");
    assert!(
        r.ends_with("538 5.7.11 Encryption required for requested authentication mechanism\r\n")
    );
}

#[test]
fn imposed_replies_replace_the_usual_ones() {
    let greylist = TestPolicy {
        imposed: Some((Phase::Rcpt, Reply::new(451, "4.7.1 Try again later"))),
        strict_sender: false,
    };
    let mut s = greeted(config());
    let r = replies(
        &mut s,
        &greylist,
        "EHLO a\r\nMAIL FROM:<a@a.test>\r\nRCPT TO:<bob@friend.test>\r\n",
    );
    assert!(
        r.ends_with("250 2.1.0 Ok\r\n451 4.7.1 Try again later\r\n"),
        "{r}"
    );

    let closed = TestPolicy {
        imposed: Some((
            Phase::Connect,
            Reply::new(421, "4.3.2 Service shutting down"),
        )),
        strict_sender: false,
    };
    let mut s = Server::new(config());
    let out = s.greet(0, &closed);
    assert_eq!(wire(&out), "421 4.3.2 Service shutting down\r\n");
    assert_eq!(out.last(), Some(&Output::Close));

    let no_service = TestPolicy {
        imposed: Some((
            Phase::Connect,
            Reply::new(554, "5.3.2 No SMTP service here"),
        )),
        strict_sender: false,
    };
    let mut s = Server::new(config());
    s.greet(0, &no_service);
    assert_eq!(
        replies(&mut s, &no_service, "EHLO a\r\nQUIT\r\n"),
        "503 5.5.1 Error: no SMTP service here\r\n221 2.0.0 Bye\r\n"
    );

    let full = TestPolicy {
        imposed: Some((Phase::EndOfData, Reply::new(552, "5.2.2 Mailbox full"))),
        strict_sender: false,
    };
    let mut s = greeted(config());
    let out = s.feed(
        b"EHLO a\r\nMAIL FROM:<a@a.test>\r\nRCPT TO:<bob@friend.test>\r\nDATA\r\nhi\r\n.\r\n",
        0,
        &full,
    );
    assert!(messages(&out).is_empty());
    assert!(wire(&out).ends_with("552 5.2.2 Mailbox full\r\n"));
}

#[test]
fn too_many_errors_end_the_session_with_421() {
    let mut s = greeted(config());
    let out = s.feed("BOGUS\r\n".repeat(25).as_bytes(), 0, &POLICY);
    let w = wire(&out);
    assert_eq!(w.matches("500 5.5.2").count(), 20);
    assert!(w.ends_with("421 4.7.0 mx.friend.test Error: too many errors\r\n"));
    assert_eq!(out.last(), Some(&Output::Close));
}

/// A well-formed reply line: three digits, then a space, a dash or
/// nothing, no line end inside, at most 512 octets with its CRLF.
fn well_formed(line: &str) -> bool {
    let b = line.as_bytes();
    b.len() >= 3
        && b.len() + 2 <= crate::proto::smtp::MAX_REPLY_LINE
        && b[..3].iter().all(u8::is_ascii_digit)
        && matches!(b.get(3), None | Some(b' ' | b'-'))
        && !b.contains(&b'\r')
        && !b.contains(&b'\n')
}

/// Pieces of SMTP a fuzzer strings together.
const VOCABULARY: &[&str] = &[
    "EHLO a.test\r\n",
    "HELO a.test\r\n",
    "MAIL FROM:<a@a.test>\r\n",
    "MAIL FROM:<> SIZE=99999999\r\n",
    "MAIL FROM:<a@a.test> SMTPUTF8 BODY=8BITMIME\r\n",
    "RCPT TO:<bob@friend.test>\r\n",
    "RCPT TO:<x@elsewhere.test> NOTIFY=NEVER\r\n",
    "RCPT TO:<postmaster>\r\n",
    "DATA\r\n",
    "BDAT 10 LAST\r\n",
    ".\r\n",
    "\r\n.\r\n",
    "\n.\n",
    "..\r\n",
    "\r",
    "\n",
    "STARTTLS\r\n",
    "AUTH PLAIN\r\n",
    "AUTH LOGIN\r\n",
    "AUTH PLAIN AGFsaWNlQGhvbWUudGVzdABwdw==\r\n",
    "AUTH CRAM-MD5\r\n",
    "*\r\n",
    "YWxpY2U=\r\n",
    "RSET\r\n",
    "NOOP\r\n",
    "VRFY bob\r\n",
    "QUIT\r\n",
    "\u{e9}\u{0}\u{7f}\r\n",
];

#[test]
fn random_bytes_and_commands_never_panic_and_replies_stay_well_formed() {
    let mut rng = ChaCha8Rng::seed_from_u64(0x5EED);
    for case in 0..fuzz::cases() {
        let config = Config {
            submission: rng.random(),
            tls_available: rng.random(),
            require_tls: rng.random(),
            implicit_tls: rng.random(),
            check_clients: rng.random(),
            offer_requiretls: rng.random(),
            ..config()
        };
        let mut s = Server::new(config);
        let mut outputs = s.greet(0, &POLICY);
        let input = fuzz::random_input(&mut rng, VOCABULARY, 900..14_000);
        let mut rest = &input[..];
        let mut steps = 0;
        while !rest.is_empty() && !s.is_closed() {
            steps += 1;
            assert!(steps < 100_000, "case {case}: the engine does not progress");
            let n = rng.random_range(1..=rest.len().min(700));
            let (chunk, tail) = rest.split_at(n);
            rest = tail;
            let mut out = s.feed(chunk, 0, &POLICY);
            // Answer every pause the way a driver would.
            while let Some(pause) = out.iter().position(|o| {
                matches!(
                    o,
                    Output::StartTls { .. } | Output::Message(_) | Output::Helo(_)
                )
            }) {
                let more = match &out[pause] {
                    Output::StartTls { .. } => s.tls_started(0, &POLICY),
                    Output::Helo(_) => s.client_checked(0, &POLICY),
                    _ => s.stored(Ok("Q".into()), 0, &POLICY),
                };
                outputs.extend(out.drain(..=pause));
                out.extend(more);
            }
            outputs.extend(out);
        }
        for output in &outputs {
            if let Output::Reply(line) = output {
                assert!(well_formed(line), "case {case}: bad reply {line:?}");
            }
        }
    }
}

/// A policy that notes each recipient it judges, with what it was told.
struct Noting;

impl Policy for Noting {
    type Note = String;
    fn imposed(&self, _phase: Phase, _now_ms: u64) -> Option<Reply> {
        None
    }
    fn login(&self, _user: &str, _password: &str) -> bool {
        false
    }
    fn sender(&self, _sender: &str, _login: Option<&str>) -> Result<(), Reply> {
        Ok(())
    }
    fn recipient(&self, rcpt: &Rcpt<'_>, now_ms: u64) -> Decision<String> {
        let verdict = match rcpt.recipient {
            "bob@friend.test" => Ok(()),
            _ => Err(Reply::new(451, "4.7.1 Try again later")),
        };
        Decision {
            verdict,
            note: Some(format!(
                "{} from <{}> after HELO {:?} at {now_ms}",
                rcpt.recipient, rcpt.sender, rcpt.helo
            )),
        }
    }
}

#[test]
fn a_server_that_checks_clients_waits_after_helo_until_told() {
    let mut s: Server<String> = Server::new(Config {
        check_clients: true,
        ..config()
    });
    s.greet(0, &Noting);
    let out = s.feed(
        b"EHLO a.test\r\nMAIL FROM:<a@a.test>\r\nRCPT TO:<bob@friend.test>\r\n",
        0,
        &Noting,
    );
    assert_eq!(out.last(), Some(&Output::Helo("a.test".into())));
    assert!(
        !out.iter()
            .any(|o| matches!(o, Output::Heard(l) if l.starts_with("MAIL"))),
        "pipelined commands wait for the check: {out:?}"
    );
    let out = s.client_checked(7, &Noting);
    let replies: Vec<&Output<String>> = out
        .iter()
        .filter(|o| matches!(o, Output::Reply(_) | Output::Note(_)))
        .collect();
    assert_eq!(
        replies,
        [
            &Output::Reply("250 2.1.0 Ok".into()),
            &Output::Reply("250 2.1.5 Ok".into()),
            &Output::Note(
                "bob@friend.test from <a@a.test> after HELO Some(\"a.test\") at 7".into()
            ),
        ]
    );
    // Without checks, the same input is answered at once.
    let mut plain: Server<String> = Server::new(config());
    plain.greet(0, &Noting);
    let out = plain.feed(
        b"EHLO a.test\r\nMAIL FROM:<a@a.test>\r\nRCPT TO:<bob@friend.test>\r\n",
        0,
        &Noting,
    );
    assert!(!out.iter().any(|o| matches!(o, Output::Helo(_))));
    assert!(out.contains(&Output::Reply("250 2.1.5 Ok".into())));
}

#[test]
fn a_policy_note_follows_the_reply_it_went_with() {
    let mut s: Server<String> = Server::new(config());
    s.greet(0, &Noting);
    let out = s.feed(
        b"HELO a.test\r\nMAIL FROM:<>\r\nRCPT TO:<carol@friend.test>\r\nRCPT TO:<bob@friend.test>\r\n",
        3,
        &Noting,
    );
    let tail: Vec<String> = out
        .iter()
        .filter_map(|o| match o {
            Output::Reply(l) => Some(format!("S: {l}")),
            Output::Note(n) => Some(format!("N: {n}")),
            _ => None,
        })
        .skip(2)
        .collect();
    assert_eq!(
        tail,
        [
            "S: 451 4.7.1 Try again later",
            "N: carol@friend.test from <> after HELO Some(\"a.test\") at 3",
            "S: 250 2.1.5 Ok",
            "N: bob@friend.test from <> after HELO Some(\"a.test\") at 3",
        ]
    );
}

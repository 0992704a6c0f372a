//! Byte-exact SMTP conversations with the simulation's servers, driven by a
//! raw client over an in-memory link.

mod common;

use std::sync::Arc;

use common::{SMALL_WORLD, dialogue, read_reply, say, scenario};
use mailhop::sim::{self, Options};
use mailhop::tls::{self, ClientVerify};
use mailhop::trace::{Event, Place};
use rustls::pki_types::ServerName;
use tokio::io::AsyncWriteExt;

const EHLO_PLAIN: &str = "250-mx.friend.test\r\n250-PIPELINING\r\n250-SIZE 10240000\r\n250-8BITMIME\r\n250 ENHANCEDSTATUSCODES\r\n";

#[test]
fn happy_path_is_byte_exact_and_dot_stuffing_is_undone() {
    let world = scenario(SMALL_WORLD);
    let (trace, ()) = sim::drive(&world, &Options::default(), |w| async move {
        let mut io = w.connect("mail.home.test", "mx.friend.test", 25).await.unwrap().link;
        assert_eq!(read_reply(&mut io).await, "220 mx.friend.test ESMTP mailhop\r\n");
        dialogue(
            &mut io,
            &[
                ("EHLO mail.home.test", EHLO_PLAIN),
                ("MAIL FROM:<alice@home.test>", "250 2.1.0 Ok\r\n"),
                ("RCPT TO:<bob@friend.test>", "250 2.1.5 Ok\r\n"),
                ("DATA", "354 End data with <CR><LF>.<CR><LF>\r\n"),
                (
                    "Message-ID: <t1@home.test>\r\nSubject: dots\r\n\r\n..a line that starts with a dot\r\nend\r\n.",
                    "250 2.0.0 Ok: queued as 004B1D01F3\r\n",
                ),
                ("NOOP", "250 2.0.0 Ok\r\n"),
                ("RSET", "250 2.0.0 Ok\r\n"),
                ("QUIT", "221 2.0.0 Bye\r\n"),
            ],
        )
        .await;
    })
    .unwrap();
    let eml = trace
        .events
        .iter()
        .find_map(|r| match &r.event {
            Event::Stored(s) if matches!(s.place, Place::Mailbox { .. }) => Some(s.eml.clone()),
            _ => None,
        })
        .expect("the message reached Bob's mailbox");
    assert!(eml.starts_with("Return-Path: <alice@home.test>\r\nDelivered-To: bob@friend.test\r\nReceived: from mail.home.test (mail.home.test [192.0.2."), "{eml}");
    assert!(eml.contains("\tby mx.friend.test (mailhop) with ESMTP id 004B1D01F3\r\n\tfor <bob@friend.test>; Mon, 5 Jan 2026 09:00:00 +0000\r\n"), "{eml}");
    assert!(
        eml.ends_with("\r\n.a line that starts with a dot\r\nend\r\n"),
        "{eml}"
    );
}

#[test]
fn commands_out_of_order_or_malformed_get_the_right_codes() {
    let world = scenario(SMALL_WORLD);
    sim::drive(&world, &Options::default(), |w| async move {
        let mut io = w.connect("mail.home.test", "mx.friend.test", 25).await.unwrap().link;
        read_reply(&mut io).await;
        dialogue(
            &mut io,
            &[
                ("MAIL FROM:<alice@home.test>", "503 5.5.1 Error: send HELO/EHLO first\r\n"),
                ("HELO mail.home.test", "250 mx.friend.test\r\n"),
                ("RCPT TO:<bob@friend.test>", "503 5.5.1 Error: need MAIL command\r\n"),
                ("DATA", "503 5.5.1 Error: need MAIL command\r\n"),
                ("FROBNICATE", "500 5.5.2 Error: command not recognized\r\n"),
                ("MAIL FROM bob", "501 5.5.4 Syntax: MAIL FROM:<reverse-path> [parameters]\r\n"),
                ("MAIL FROM:<alice@home.test>", "250 2.1.0 Ok\r\n"),
                ("MAIL FROM:<alice@home.test>", "503 5.5.1 Error: nested MAIL command\r\n"),
                ("DATA", "554 5.5.1 Error: no valid recipients\r\n"),
                (
                    "RCPT TO:<carol@friend.test>",
                    "550 5.1.1 <carol@friend.test>: Recipient address rejected: User unknown in local recipient table\r\n",
                ),
                ("RCPT TO:<dave@elsewhere.test>", "554 5.7.1 <dave@elsewhere.test>: Relay access denied\r\n"),
                ("STARTTLS", "502 5.5.1 Error: command not implemented\r\n"),
                ("AUTH PLAIN AGFsaWNlQGhvbWUudGVzdABwdw==", "503 5.5.1 Error: authentication not enabled\r\n"),
                ("VRFY bob", "502 5.5.1 VRFY command is disabled\r\n"),
                ("QUIT", "221 2.0.0 Bye\r\n"),
            ],
        )
        .await;
    })
    .unwrap();
}

#[test]
fn submission_refuses_auth_before_starttls_and_mail_before_auth() {
    let world = scenario(SMALL_WORLD);
    sim::drive(&world, &Options::default(), |w| async move {
        let mut io = w.connect("alice-laptop", "mail.home.test", 587).await.unwrap().link;
        read_reply(&mut io).await;
        dialogue(
            &mut io,
            &[
                (
                    "EHLO [203.0.113.10]",
                    "250-mail.home.test\r\n250-PIPELINING\r\n250-SIZE 10240000\r\n250-8BITMIME\r\n250-ENHANCEDSTATUSCODES\r\n250 STARTTLS\r\n",
                ),
                (
                    "AUTH PLAIN AGFsaWNlQGhvbWUudGVzdABwdw==",
                    "538 5.7.11 Encryption required for requested authentication mechanism\r\n",
                ),
                ("MAIL FROM:<alice@home.test>", "530 5.7.0 Authentication required\r\n"),
                ("QUIT", "221 2.0.0 Bye\r\n"),
            ],
        )
        .await;
    })
    .unwrap();
}

#[test]
fn starttls_discards_pipelined_commands_then_auth_works_inside_tls() {
    let world = scenario(SMALL_WORLD);
    let (trace, ()) = sim::drive(&world, &Options::default(), |w| async move {
        let conn = w.connect("alice-laptop", "mail.home.test", 587).await.unwrap();
        let mut io = conn.link;
        read_reply(&mut io).await;
        say(&mut io, "EHLO [203.0.113.10]").await;
        // An attacker's classic: a command smuggled behind STARTTLS in the
        // same packet. The server must drop it (RFC 3207 section 4.2).
        io.write_all(b"STARTTLS\r\nRSET\r\n").await.unwrap();
        assert_eq!(read_reply(&mut io).await, "220 2.0.0 Ready to start TLS\r\n");
        let (config, slot) = tls::client_config(&w.pki, ClientVerify::Authenticate, w.time.clone());
        let name = ServerName::try_from("mail.home.test").unwrap();
        let mut tls = tokio_rustls::TlsConnector::from(Arc::clone(&config)).connect(name, io).await.unwrap();
        assert!(slot.get().unwrap().authenticated);
        dialogue_tls(
            &mut tls,
            &[
                (
                    "EHLO [203.0.113.10]",
                    "250-mail.home.test\r\n250-PIPELINING\r\n250-SIZE 10240000\r\n250-8BITMIME\r\n250-ENHANCEDSTATUSCODES\r\n250 AUTH PLAIN LOGIN\r\n",
                ),
                ("AUTH LOGIN", "334 VXNlcm5hbWU6\r\n"),
                ("YWxpY2VAaG9tZS50ZXN0", "334 UGFzc3dvcmQ6\r\n"),
                ("d3Jvbmc=", "535 5.7.8 Error: authentication failed: bad credentials\r\n"),
                ("AUTH PLAIN AGFsaWNlQGhvbWUudGVzdABwdw==", "235 2.7.0 Authentication successful\r\n"),
                ("AUTH PLAIN AGFsaWNlQGhvbWUudGVzdABwdw==", "503 5.5.1 Error: already authenticated\r\n"),
                ("STARTTLS", "554 5.5.1 Error: TLS already active\r\n"),
                ("MAIL FROM:<alice@home.test>", "250 2.1.0 Ok\r\n"),
                ("QUIT", "221 2.0.0 Bye\r\n"),
            ],
        )
        .await;
    })
    .unwrap();
    let discarded = trace.events.iter().find_map(|r| match &r.event {
        Event::Discarded { bytes, .. } => Some(*bytes),
        _ => None,
    });
    assert_eq!(discarded, Some("RSET\r\n".len()));
    // The smuggled RSET never reached the command loop.
    assert!(
        !trace
            .events
            .iter()
            .any(|r| matches!(&r.event, Event::Line { text, .. } if text == "RSET"))
    );
}

#[test]
fn pipelined_commands_get_their_replies_in_order() {
    let world = scenario(SMALL_WORLD);
    sim::drive(&world, &Options::default(), |w| async move {
        let mut io = w.connect("mail.home.test", "mx.friend.test", 25).await.unwrap().link;
        read_reply(&mut io).await;
        say(&mut io, "EHLO mail.home.test").await;
        io.write_all(b"MAIL FROM:<>\r\nRCPT TO:<bob@friend.test>\r\nRCPT TO:<nobody@friend.test>\r\nDATA\r\n")
            .await
            .unwrap();
        let mut got = String::new();
        for _ in 0..4 {
            got.push_str(&read_reply(&mut io).await);
        }
        assert_eq!(
            got,
            "250 2.1.0 Ok\r\n250 2.1.5 Ok\r\n550 5.1.1 <nobody@friend.test>: Recipient address rejected: User unknown in local recipient table\r\n354 End data with <CR><LF>.<CR><LF>\r\n"
        );
        assert_eq!(say(&mut io, "Subject: x\r\n\r\nbody\r\n.").await, "250 2.0.0 Ok: queued as 004B1D01F3\r\n");
        say(&mut io, "QUIT").await;
    })
    .unwrap();
}

async fn dialogue_tls<S>(io: &mut S, steps: &[(&str, &str)])
where
    S: tokio::io::AsyncRead + tokio::io::AsyncWrite + Unpin,
{
    for (line, expected) in steps {
        let got = say(io, line).await;
        assert_eq!(got, *expected, "reply to {line:?}");
    }
}

#[test]
fn smtp_smuggling_a_bare_lf_dot_does_not_end_data() {
    let world = scenario(SMALL_WORLD);
    let (trace, ()) = sim::drive(&world, &Options::default(), |w| async move {
        let mut io = w.connect("mail.home.test", "mx.friend.test", 25).await.unwrap().link;
        read_reply(&mut io).await;
        dialogue(
            &mut io,
            &[
                ("EHLO evil.test", EHLO_PLAIN),
                ("MAIL FROM:<mallory@evil.test>", "250 2.1.0 Ok\r\n"),
                ("RCPT TO:<bob@friend.test>", "250 2.1.5 Ok\r\n"),
                ("DATA", "354 End data with <CR><LF>.<CR><LF>\r\n"),
            ],
        )
        .await;
        // The 2023 smuggling payload: <LF>.<LF> then a forged transaction.
        io.write_all(
            b"Subject: hello\r\n\r\nhello\n.\nMAIL FROM:<ceo@bank.test>\r\nRCPT TO:<bob@friend.test>\r\nDATA\r\nSubject: forged\r\n\r\npay now\r\n.\r\n",
        )
        .await
        .unwrap();
        assert_eq!(
            read_reply(&mut io).await,
            "250 2.0.0 Ok: queued as 004B1D01F3\r\n",
            "one reply: the forged commands were message text"
        );
        assert_eq!(say(&mut io, "QUIT").await, "221 2.0.0 Bye\r\n");
    })
    .unwrap();
    let delivered: Vec<(String, String)> = trace
        .events
        .iter()
        .filter_map(|r| match &r.event {
            Event::Stored(s) if matches!(s.place, Place::Mailbox { .. }) => Some((
                s.eml.lines().next().unwrap_or_default().to_string(),
                s.eml.clone(),
            )),
            _ => None,
        })
        .collect();
    assert_eq!(delivered.len(), 1, "exactly one message: {delivered:?}");
    assert_eq!(delivered[0].0, "Return-Path: <mallory@evil.test>");
    assert!(
        delivered[0]
            .1
            .contains("hello\r\n.\r\nMAIL FROM:<ceo@bank.test>\r\n"),
        "the payload stayed inside the one message, line ends made CRLF"
    );
}

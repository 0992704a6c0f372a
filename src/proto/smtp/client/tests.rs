//! The client engine's tests: sessions fed reply by reply, and seeded
//! random replies (`MAILHOP_FUZZ_CASES=N` for a longer run).

use super::*;

fn plan() -> Plan {
    Plan {
        helo: "mail.home.test".into(),
        server_name: "mx.friend.test".into(),
        starttls: StartTls::Offer,
        implicit_tls: false,
        auth: None,
        keep_open: false,
    }
}

fn envelope() -> Envelope {
    Envelope {
        sender: "alice@home.test".into(),
        recipients: vec!["bob@friend.test".into(), "carol@friend.test".into()],
        data: b"Subject: hi\r\n\r\n.dot\r\n".to_vec(),
        require_tls: false,
    }
}

fn sent(outputs: &[ClientOutput]) -> String {
    outputs
        .iter()
        .map(|o| match o {
            ClientOutput::Send(b) => String::from_utf8_lossy(b).into_owned(),
            other => format!("<{other:?}>"),
        })
        .collect()
}

#[test]
fn pipelined_transaction_with_one_refused_recipient() {
    let mut c = Client::new(plan(), envelope());
    assert_eq!(
        sent(&c.feed(b"220 mx ESMTP\r\n")),
        "EHLO mail.home.test\r\n"
    );
    assert_eq!(
        sent(&c.feed(b"250-mx\r\n250-PIPELINING\r\n250 SIZE 100\r\n")),
        "MAIL FROM:<alice@home.test> SIZE=21\r\nRCPT TO:<bob@friend.test>\r\nRCPT TO:<carol@friend.test>\r\nDATA\r\n"
    );
    let out = c.feed(b"250 2.1.0 Ok\r\n250 2.1.5 Ok\r\n550 5.1.1 no\r\n354 go\r\n");
    assert_eq!(sent(&out), "Subject: hi\r\n\r\n..dot\r\n.\r\n");
    assert_eq!(sent(&c.feed(b"250 2.0.0 queued\r\n")), "QUIT\r\n");
    let out = c.feed(b"221 Bye\r\n");
    assert_eq!(
        out,
        vec![ClientOutput::Done(Outcome::Done(vec![
            ("bob@friend.test".into(), Reply::new(250, "2.0.0 queued")),
            ("carol@friend.test".into(), Reply::new(550, "5.1.1 no")),
        ]))]
    );
    assert!(c.is_done());
}

fn kept() -> Client {
    let mut p = plan();
    p.keep_open = true;
    let mut c = Client::new(p, envelope());
    c.feed(b"220 mx\r\n");
    c.feed(b"250-mx\r\n250 PIPELINING\r\n");
    c.feed(b"250 ok\r\n250 ok\r\n250 ok\r\n354 go\r\n");
    let out = c.feed(b"250 2.0.0 queued\r\n");
    assert!(
        matches!(&out[..], [ClientOutput::Done(Outcome::Done(r))] if r.len() == 2),
        "the transaction is reported without QUIT: {out:?}"
    );
    assert!(c.is_idle());
    c
}

#[test]
fn a_kept_connection_carries_the_next_message_after_rset() {
    let mut c = kept();
    let mut next = envelope();
    next.recipients = vec!["dave@friend.test".into()];
    assert_eq!(sent(&c.next(next)), "RSET\r\n");
    assert_eq!(
        sent(&c.feed(b"250 2.0.0 Ok\r\n")),
        "MAIL FROM:<alice@home.test>\r\nRCPT TO:<dave@friend.test>\r\nDATA\r\n"
    );
    c.feed(b"250 ok\r\n250 ok\r\n354 go\r\n");
    let out = c.feed(b"250 2.0.0 queued as B\r\n");
    assert!(
        matches!(&out[..], [ClientOutput::Done(Outcome::Done(r))] if r[0].0 == "dave@friend.test")
    );
    assert_eq!(sent(&c.quit()), "QUIT\r\n");
    assert_eq!(c.feed(b"221 2.0.0 Bye\r\n"), vec![ClientOutput::Closed]);
    assert!(c.is_done());
}

#[test]
fn a_kept_connection_that_refuses_rset_or_is_gone_is_stale() {
    let mut c = kept();
    c.next(envelope());
    assert_eq!(sent(&c.feed(b"421 4.4.2 timeout\r\n")), "QUIT\r\n");
    let out = c.eof();
    assert!(
        matches!(&out[..], [ClientOutput::Done(Outcome::Stale { reason })] if reason.contains("RSET")),
        "{out:?}"
    );

    let mut c = kept();
    c.next(envelope());
    let out = c.eof();
    assert!(
        matches!(&out[..], [ClientOutput::Done(Outcome::Stale { .. })]),
        "{out:?}"
    );

    let mut c = kept();
    assert_eq!(c.eof(), vec![ClientOutput::Closed], "closed while idle");
    assert!(matches!(
        &c.next(envelope())[..],
        [ClientOutput::Done(Outcome::Stale { .. })]
    ));
}

#[test]
fn a_421_ends_a_kept_connection_with_quit() {
    let mut p = plan();
    p.keep_open = true;
    let mut c = Client::new(p, envelope());
    c.feed(b"220 mx\r\n");
    c.feed(b"250 mx\r\n");
    c.feed(b"250 ok\r\n");
    c.feed(b"421 4.7.0 too many errors\r\n");
    assert_eq!(sent(&c.feed(b"421 4.7.0 too many errors\r\n")), "QUIT\r\n");
    assert!(!c.is_idle());
}

#[test]
fn starttls_then_ehlo_again() {
    let mut c = Client::new(plan(), envelope());
    c.feed(b"220 mx\r\n");
    assert_eq!(sent(&c.feed(b"250-mx\r\n250 STARTTLS\r\n")), "STARTTLS\r\n");
    assert_eq!(c.feed(b"220 go ahead\r\n"), vec![ClientOutput::StartTls]);
    assert_eq!(sent(&c.tls_started()), "EHLO mail.home.test\r\n");
    assert_eq!(
        sent(&c.feed(b"250 mx\r\n")),
        "MAIL FROM:<alice@home.test>\r\n"
    );
}

#[test]
fn required_tls_that_is_not_offered_gives_up_politely() {
    let mut p = plan();
    p.starttls = StartTls::Require;
    let mut c = Client::new(p, envelope());
    c.feed(b"220 mx\r\n");
    assert_eq!(sent(&c.feed(b"250 mx\r\n")), "QUIT\r\n");
    let out = c.eof();
    assert!(
        matches!(&out[..], [ClientOutput::Done(Outcome::Failed { reason, permanent: false, .. })] if reason.contains("did not offer STARTTLS")),
        "{out:?}"
    );
}

#[test]
fn a_server_hanging_up_during_data_is_a_lost_connection() {
    let mut c = Client::new(plan(), envelope());
    c.feed(b"220 mx\r\n");
    c.feed(b"250 mx\r\n");
    c.feed(b"250 ok\r\n");
    c.feed(b"250 ok\r\n");
    c.feed(b"250 ok\r\n");
    let out = c.feed(b"354 go\r\n");
    assert!(sent(&out).ends_with(".\r\n"));
    let out = c.eof();
    let [
        ClientOutput::Done(Outcome::Failed {
            reason,
            permanent: false,
            ..
        }),
    ] = &out[..]
    else {
        panic!("{out:?}");
    };
    assert_eq!(reason, "lost connection with mx.friend.test");
}

#[test]
fn garbage_instead_of_a_greeting_is_a_lost_connection() {
    let mut c = Client::new(plan(), envelope());
    let out = c.feed(b"HTTP/1.1 400 Bad Request\r\n");
    assert!(matches!(
        &out[..],
        [ClientOutput::Done(Outcome::Failed { .. })]
    ));
}

#[test]
fn random_replies_never_panic_and_every_session_ends() {
    use rand::{Rng, SeedableRng};
    let cases = crate::proto::fuzz::cases();
    let pieces: &[&[u8]] = &[
        b"220 mx\r\n",
        b"250 ok\r\n",
        b"250-mx\r\n",
        b"250-PIPELINING\r\n",
        b"250-STARTTLS\r\n",
        b"250 AUTH PLAIN\r\n",
        b"354 go\r\n",
        b"221 bye\r\n",
        b"451 4.7.1 later\r\n",
        b"550 5.1.1 no\r\n",
        b"235 ok\r\n",
        b"999 what\r\n",
        b"\r\n",
        b"garbage",
        b"\n",
    ];
    let mut rng = rand_chacha::ChaCha8Rng::seed_from_u64(0xC11E);
    for case in 0..cases {
        let mut p = plan();
        p.starttls = [StartTls::None, StartTls::Offer, StartTls::Require][rng.random_range(0..3)];
        if rng.random() {
            p.auth = Some(("u".into(), "p".into()));
        }
        let mut c = Client::new(p, envelope());
        let mut done = false;
        for _ in 0..rng.random_range(1..40) {
            let piece = pieces[rng.random_range(0..pieces.len())];
            for output in c.feed(piece) {
                match output {
                    ClientOutput::Send(bytes) => {
                        assert!(bytes.ends_with(b"\r\n"), "case {case}")
                    }
                    ClientOutput::StartTls => {
                        c.tls_started();
                    }
                    ClientOutput::Done(_) | ClientOutput::Closed => done = true,
                }
            }
        }
        let end = c.eof();
        assert!(
            done || matches!(&end[..], [ClientOutput::Done(_)]),
            "case {case}: {end:?}"
        );
        assert!(c.is_done());
    }
}

fn requiring() -> Envelope {
    Envelope {
        require_tls: true,
        ..envelope()
    }
}

#[test]
fn rfc8689_requiretls_goes_with_mail_from_inside_tls_to_a_server_that_offers_it() {
    let mut c = Client::new(plan(), requiring());
    c.feed(b"220 mx\r\n");
    c.feed(b"250-mx\r\n250 STARTTLS\r\n");
    c.feed(b"220 go ahead\r\n");
    c.tls_started();
    assert_eq!(
        sent(&c.feed(b"250-mx\r\n250-PIPELINING\r\n250 REQUIRETLS\r\n")),
        "MAIL FROM:<alice@home.test> REQUIRETLS\r\nRCPT TO:<bob@friend.test>\r\nRCPT TO:<carol@friend.test>\r\nDATA\r\n"
    );
}

fn gave_up(out: &[ClientOutput], because: &str) {
    let [
        ClientOutput::Done(Outcome::Failed {
            reason,
            permanent: true,
            reply: None,
            status: Some(REQUIRETLS_STATUS),
        }),
    ] = out
    else {
        panic!("{out:?}");
    };
    assert!(
        reason.starts_with("5.7.30 REQUIRETLS support required: "),
        "{reason}"
    );
    assert!(reason.contains(because), "{reason}");
}

#[test]
fn rfc8689_requiretls_gives_up_before_mail_without_the_extension_or_without_tls() {
    let mut c = Client::new(plan(), requiring());
    c.feed(b"220 mx\r\n");
    c.feed(b"250-mx\r\n250 STARTTLS\r\n");
    c.feed(b"220 go ahead\r\n");
    c.tls_started();
    assert_eq!(sent(&c.feed(b"250-mx\r\n250 PIPELINING\r\n")), "QUIT\r\n");
    gave_up(&c.feed(b"221 Bye\r\n"), "does not offer REQUIRETLS");

    let mut c = Client::new(plan(), requiring());
    c.feed(b"220 mx\r\n");
    assert_eq!(
        sent(&c.feed(b"250-mx\r\n250 REQUIRETLS\r\n")),
        "QUIT\r\n",
        "STARTTLS was not offered (or was stripped): REQUIRETLS in the clear counts for nothing"
    );
    gave_up(&c.feed(b"221 Bye\r\n"), "not encrypted");

    let mut p = plan();
    p.implicit_tls = true;
    let mut c = Client::new(p, requiring());
    c.feed(b"220 mx\r\n");
    assert_eq!(
        sent(&c.feed(b"250-mx\r\n250 REQUIRETLS\r\n")),
        "MAIL FROM:<alice@home.test> REQUIRETLS\r\n",
        "port 465 is TLS from the first byte"
    );
}

#[test]
fn rfc8689_a_kept_connection_without_requiretls_is_left_for_a_message_that_needs_it() {
    let mut c = kept();
    assert_eq!(sent(&c.next(requiring())), "RSET\r\n");
    assert_eq!(sent(&c.feed(b"250 2.0.0 Ok\r\n")), "QUIT\r\n");
    gave_up(&c.feed(b"221 Bye\r\n"), "not encrypted");
}

//! Servers that say BYE, drop, send too much or not IMAP; feeds cut
//! anywhere; seeded random bytes.

use super::*;

/// The whole of a session's server side, fed one byte at a time: the
/// literals of FETCH arrive split across dozens of feeds.
#[test]
fn a_session_fed_one_byte_at_a_time_reads_every_literal_whole() {
    let script = [
        GREETING.to_string(),
        format!("{PRE_TLS}a1 {LISTED}"),
        "a2 OK Begin TLS negotiation now.\r\n".into(),
        format!("{POST_TLS}a3 {LISTED}"),
        format!("a4 {LOGGED_IN}"),
        selected("a5", 2, 1, 3),
        "* SEARCH 1 2\r\na6 OK Search completed.\r\n".into(),
        format!(
            "{}{}a7 OK Fetch completed.\r\n",
            fetched(1, 1, ""),
            fetched(2, 2, "")
        ),
        format!("{BYE}a8 OK Logout completed.\r\n"),
    ];
    let mut s = Session::new(plan());
    let mut said = String::new();
    for chunk in &script {
        for byte in chunk.as_bytes() {
            let out = s.client.feed(&[*byte]);
            said.push_str(&s.show(out));
        }
        if said.ends_with("<StartTls>") {
            said.push_str(&s.tls());
        }
    }
    assert!(said.ends_with("a8 LOGOUT\r\n<Done>"), "{said}");
    let o = s.outcome();
    assert_eq!(o.failure, None);
    assert_eq!(o.fetched.len(), 2);
    assert_eq!(o.fetched[1].raw, message(2).into_bytes());
}

#[test]
fn a_bye_greeting_or_a_bye_in_the_middle_ends_the_session_with_the_servers_words() {
    let mut s = Session::new(plan());
    assert_eq!(s.server("* BYE Too many connections\r\n"), "<Done>");
    assert_eq!(
        s.outcome().failure,
        Some(Failure::Greeting {
            said: "BYE Too many connections".into()
        })
    );

    let mut s = logged_in(plan());
    assert_eq!(s.server("* BYE Server shutting down.\r\n"), "<Done>");
    assert_eq!(
        s.outcome().failure,
        Some(Failure::Bye {
            said: "BYE Server shutting down.".into()
        })
    );
}

#[test]
fn a_connection_lost_in_the_middle_keeps_what_was_fetched() {
    let mut s = logged_in(plan());
    s.server(&selected("a5", 2, 1, 3));
    s.server("* SEARCH 1 2\r\na6 OK done\r\n");
    assert_eq!(s.server(&fetched(1, 1, "")), "<Fetched 1>");
    assert_eq!(s.server("* 2 FETCH (UID 2 BODY[] {50}\r\nFrom:"), "");
    assert_eq!(s.eof(), "<Done>");
    let o = s.outcome();
    assert_eq!(o.failure, Some(Failure::Lost));
    assert_eq!(o.fetched.len(), 1);
    assert!(!o.logged_out);
}

#[test]
fn a_response_over_the_limit_or_not_imap_ends_the_session() {
    let mut p = plan();
    p.limits.max_message = 100;
    p.limits.max_line = 300;
    let mut s = logged_in(p);
    s.server(&selected("a5", 1, 1, 2));
    s.server("* SEARCH 1\r\na6 OK done\r\n");
    let big = format!(
        "* 1 FETCH (UID 1 BODY[] {{500}}\r\n{})\r\n",
        "x".repeat(500)
    );
    assert_eq!(s.server(&big), "<Done>");
    assert_eq!(
        s.outcome().failure,
        Some(Failure::TooLarge {
            what: "a response".into(),
            limit: 400
        })
    );

    let mut s = Session::new(plan());
    assert_eq!(s.server("HTTP/1.1 400 Bad Request\r\n"), "<Done>");
    assert_eq!(
        s.outcome().failure,
        Some(Failure::Protocol {
            what: "an answer that is not IMAP: HTTP/1.1 400 Bad Request".into()
        })
    );

    let mut s = Session::new(plan());
    s.server("* OK ready\r\n");
    assert_eq!(s.server("a9 OK what?\r\n"), "<Done>");
    assert!(matches!(
        s.outcome().failure,
        Some(Failure::Protocol { .. })
    ));

    let mut s = Session::new(plan());
    assert_eq!(s.server("* OK ready\n"), "<Done>");
    assert!(matches!(
        &s.outcome().failure,
        Some(Failure::Protocol { what }) if what.starts_with("a line ended without CR")
    ));
}

#[test]
fn select_without_uidvalidity_is_a_broken_server() {
    let mut s = logged_in(plan());
    assert_eq!(
        s.server("* 1 EXISTS\r\na5 OK Select completed.\r\n"),
        "a6 LOGOUT\r\n"
    );
    s.eof();
    assert!(matches!(
        s.outcome().failure,
        Some(Failure::Protocol { .. })
    ));
}

/// A plan that uses everything, and a server's side of its session, in
/// the chunks a server would write them (one answer per chunk).
fn everything() -> (Plan, Vec<String>) {
    let mut p = plan();
    p.mark_seen = true;
    p.idle = true;
    p.move_to = Some(Move {
        uids: [1].into(),
        folder: "Junk".into(),
    });
    p.append = Some(Append {
        folder: "Sent".into(),
        message: message(9).into_bytes(),
    });
    let script = vec![
        GREETING.to_string(),
        format!("{PRE_TLS}a1 {LISTED}"),
        "a2 OK Begin TLS negotiation now.\r\n".into(),
        format!("{POST_TLS}a3 {LISTED}"),
        format!("a4 {LOGGED_IN}"),
        selected("a5", 2, 77, 3),
        "* SEARCH 1 2\r\na6 OK Search completed.\r\n".into(),
        format!(
            "{}{}a7 OK Fetch completed.\r\n",
            fetched(1, 1, ""),
            fetched(2, 2, "")
        ),
        "a8 OK Store completed.\r\n".into(),
        "* OK [COPYUID 78 1 1] Moved UIDs.\r\n* 1 EXPUNGE\r\na9 OK Move completed.\r\n".into(),
        "a10 OK [APPENDUID 79 1] Append completed.\r\n".into(),
        "+ idling\r\n".into(),
        "* 2 EXISTS\r\n".into(),
        "a11 OK Idle completed.\r\n".into(),
        "* SEARCH 2 3\r\na12 OK Search completed.\r\n".into(),
        format!("{}a13 OK Fetch completed.\r\n", fetched(2, 3, "\\Recent")),
        "a14 OK Store completed.\r\n".into(),
        "+ idling\r\n".into(),
        "a15 OK Idle completed.\r\n".into(),
        format!("{BYE}a16 OK Logout completed.\r\n"),
    ];
    (p, script)
}

/// Runs a client against a server script: TLS starts when asked, IDLE
/// stops at the script's last IDLE (or when `stop` says), then the
/// connection closes. The outcome, and everything the client wrote.
fn run(
    plan: Plan,
    script: &[Vec<u8>],
    mut stop: impl FnMut() -> bool,
    mut split: impl FnMut(usize) -> usize,
) -> (Outcome, Vec<u8>) {
    let mut client = Client::new(plan);
    let mut wire = Vec::new();
    let mut ended = None;
    let idles = script.iter().filter(|c| c.starts_with(b"+ idling")).count();
    let mut idled = 0;
    for chunk in script {
        let mut rest = &chunk[..];
        while !rest.is_empty() {
            let (feed, after) = rest.split_at(split(rest.len()).clamp(1, rest.len()));
            rest = after;
            let mut outputs = client.feed(feed);
            while !outputs.is_empty() {
                let mut more = Vec::new();
                for output in outputs {
                    match output {
                        ClientOutput::Send(bytes) => {
                            assert!(bytes.ends_with(b"\r\n"));
                            wire.extend_from_slice(&bytes);
                        }
                        ClientOutput::StartTls => more.extend(client.tls_started()),
                        ClientOutput::Idling => {
                            idled += 1;
                            if idled == idles || stop() {
                                more.extend(client.stop_idle());
                            }
                        }
                        ClientOutput::Done(outcome) => {
                            assert!(ended.is_none(), "Done twice");
                            ended = Some(outcome);
                        }
                        ClientOutput::Fetched(_) | ClientOutput::NewMail { .. } => {}
                    }
                }
                outputs = more;
            }
        }
    }
    for output in client.eof() {
        if let ClientOutput::Done(outcome) = output {
            assert!(ended.is_none(), "Done twice");
            ended = Some(outcome);
        }
    }
    assert!(client.is_done());
    (ended.expect("a Done output"), wire)
}

#[test]
fn a_session_that_uses_everything_succeeds_however_its_bytes_are_cut() {
    let (p, script) = everything();
    let script: Vec<Vec<u8>> = script.into_iter().map(String::into_bytes).collect();
    for size in [1, 2, 3, 7, 64, usize::MAX] {
        let (o, wire) = run(p.clone(), &script, || false, |_| size);
        assert_eq!(o.failure, None, "feeds of {size}");
        assert!(o.logged_out);
        let uids: Vec<u32> = o.fetched.iter().map(|f| f.uid).collect();
        assert_eq!(uids, vec![1, 2, 3]);
        assert_eq!(o.seen, [1, 2, 3].into());
        assert!(o.moved.is_some() && o.appended.is_some());
        commands_parse(&wire);
        assert!(String::from_utf8_lossy(&wire).ends_with("a15 IDLE\r\nDONE\r\na16 LOGOUT\r\n"));
    }
}

/// Arbitrary server bytes: words of IMAP, random bytes, and the session
/// above with its answers cut, changed and reordered. Nothing panics, every
/// session ends once, and one that did not log out says why.
#[test]
fn random_server_bytes_never_panic_and_every_session_ends_in_failure() {
    use rand::{Rng, SeedableRng};
    let cases = std::env::var("MAILHOP_FUZZ_CASES")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(300u64);
    let words: Vec<String> = vec![
        GREETING.into(),
        PRE_TLS.into(),
        POST_TLS.into(),
        "* OK ready\r\n".into(),
        "* PREAUTH ready\r\n".into(),
        "* BYE no\r\n".into(),
        "* CAPABILITY IMAP4rev1 IDLE MOVE LITERAL+ AUTH=PLAIN SASL-IR STARTTLS\r\n".into(),
        "* 3 EXISTS\r\n".into(),
        "* 1 EXPUNGE\r\n".into(),
        "* OK [UIDVALIDITY 5] x\r\n".into(),
        "* SEARCH 1 2 3\r\n".into(),
        fetched(1, 1, "\\Seen"),
        "* 2 FETCH (UID 2 BODY[] {5}\r\n".into(),
        "+ go\r\n".into(),
        "+ idling\r\n".into(),
        "{99}\r\n".into(),
        "{4294967295}\r\n".into(),
        "a1 OK x\r\n".into(),
        "a2 NO x\r\n".into(),
        "a3 BAD x\r\n".into(),
        "\r\n".into(),
        "\n".into(),
        ")".into(),
        "garbage".into(),
    ];
    let (all, good) = everything();
    let mut rng = rand_chacha::ChaCha8Rng::seed_from_u64(0x1_4A9);
    for case in 0..cases {
        let mut p = if rng.random() { all.clone() } else { plan() };
        p.starttls = [StartTls::None, StartTls::Offer, StartTls::Require][rng.random_range(0..3)];
        p.login = [Login::Login, Login::AuthenticatePlain][rng.random_range(0..2)];
        if rng.random_range(0..4) == 0 {
            p.limits.max_message = rng.random_range(10..2000);
            p.limits.max_line = rng.random_range(20..400);
            p.limits.max_messages = rng.random_range(0..3);
        }
        let script: Vec<Vec<u8>> = if case % 2 == 0 {
            mutate(&good, &words, &mut rng)
        } else {
            (0..rng.random_range(1..60))
                .map(|_| match rng.random_range(0..8) {
                    0 => (0..rng.random_range(0..40)).map(|_| rng.random()).collect(),
                    _ => words[rng.random_range(0..words.len())].clone().into_bytes(),
                })
                .collect()
        };
        let mut stops = rand_chacha::ChaCha8Rng::seed_from_u64(rng.random());
        let mut splits = rand_chacha::ChaCha8Rng::seed_from_u64(rng.random());
        let (outcome, _) = run(
            p,
            &script,
            || stops.random(),
            |n| splits.random_range(1..=n),
        );
        assert!(
            outcome.failure.is_some() || outcome.logged_out,
            "case {case}: {outcome:?}"
        );
    }
}

/// A server script with some answers dropped, cut, doubled, swapped or
/// salted with random bytes and stray words.
fn mutate(script: &[String], words: &[String], rng: &mut rand_chacha::ChaCha8Rng) -> Vec<Vec<u8>> {
    use rand::Rng;
    let mut out: Vec<Vec<u8>> = Vec::new();
    for chunk in script {
        let mut chunk = chunk.clone().into_bytes();
        match rng.random_range(0..16) {
            0 => continue,
            1 => {
                let at = rng.random_range(0..chunk.len());
                chunk[at] = rng.random();
            }
            2 => chunk.truncate(rng.random_range(0..chunk.len())),
            3 => out.push(chunk.clone()),
            4 => {
                let at = rng.random_range(0..=chunk.len());
                let noise: Vec<u8> = (0..rng.random_range(1..20)).map(|_| rng.random()).collect();
                chunk.splice(at..at, noise);
            }
            5 => out.push(words[rng.random_range(0..words.len())].clone().into_bytes()),
            6 if !out.is_empty() => {
                let last = out.len() - 1;
                out.insert(last, chunk);
                continue;
            }
            _ => {}
        }
        out.push(chunk);
    }
    out
}

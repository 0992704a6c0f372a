//! Servers that refuse, drop, send too much or not POP3; feeds cut
//! anywhere; seeded random bytes.

use super::*;

#[test]
fn a_session_fed_one_byte_at_a_time_unstuffs_every_line() {
    let mut p = plan();
    p.delete = true;
    let script = [
        GREETING.to_string(),
        CAPA_PLAIN.into(),
        STLS_OK.into(),
        CAPA_TLS.into(),
        "+OK\r\n".into(),
        "+OK Logged in.\r\n".into(),
        "+OK 1 95\r\n".into(),
        "+OK\r\n1 x\r\n.\r\n".into(),
        format!("+OK 95 octets\r\n{DOTTED_ON_THE_WIRE}"),
        "+OK Marked to be deleted.\r\n".into(),
        "+OK Logging out, messages deleted.\r\n".into(),
    ];
    let mut s = Session::new(p);
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
    assert!(said.ends_with("DELE 1\r\nQUIT\r\n<Done>"), "{said}");
    let o = s.outcome();
    assert_eq!(o.retrieved[0].raw, DOTTED.as_bytes());
    assert_eq!(o.deleted(), &[1]);
}

#[test]
fn a_greeting_refusal_a_stranger_and_a_broken_uidl_end_the_session() {
    let mut s = Session::new(plan());
    assert_eq!(
        s.server("-ERR [SYS/TEMP] Too many connections\r\n"),
        "<Done>"
    );
    assert_eq!(
        s.outcome().failure,
        Some(Failure::Greeting {
            said: "-ERR [SYS/TEMP] Too many connections".into()
        })
    );

    let mut s = Session::new(plan());
    assert_eq!(s.server("* OK [CAPABILITY IMAP4rev1] ready\r\n"), "<Done>");
    assert_eq!(
        s.outcome().failure,
        Some(Failure::Protocol {
            what: "an answer that is not POP3: * OK [CAPABILITY IMAP4rev1] ready".into()
        })
    );

    let mut s = Session::new(plan());
    assert_eq!(
        s.server("+OKAY\r\n"),
        "<Done>",
        "+OK must end or be followed by a space"
    );

    let mut s = logged_in(plan());
    s.server("+OK 1 60\r\n");
    assert_eq!(s.server("+OK\r\n1 has a space\r\n"), "<Done>");
    assert!(matches!(
        s.outcome().failure,
        Some(Failure::Protocol { .. })
    ));
}

#[test]
fn a_message_or_a_line_over_the_limit_ends_the_session() {
    let mut p = plan();
    p.limits.max_message = 40;
    let mut s = logged_in(p);
    s.server("+OK 1 60\r\n");
    s.server("+OK\r\n1 a\r\n.\r\n");
    assert_eq!(
        s.server(&format!("+OK 60 octets\r\n{}.\r\n", plain(1))),
        "<Done>"
    );
    assert_eq!(
        s.outcome().failure,
        Some(Failure::TooLarge {
            what: "message 1".into(),
            limit: 40
        })
    );

    let mut p = plan();
    p.limits.max_line = 64;
    let mut s = Session::new(p);
    assert_eq!(s.server(&format!("+OK {}", "x".repeat(70))), "<Done>");
    assert_eq!(
        s.outcome().failure,
        Some(Failure::TooLarge {
            what: "a response line".into(),
            limit: 64
        })
    );
}

#[test]
fn a_user_name_that_would_end_the_line_is_never_written() {
    let mut p = plan();
    p.starttls = StartTls::None;
    p.user = "bob\r\nDELE 1".into();
    let mut s = Session::new(p);
    s.server(GREETING);
    assert_eq!(s.server(CAPA_PLAIN), "QUIT\r\n");
}

/// A plan that deletes, and a server's side of its session.
fn everything() -> (Plan, Vec<String>) {
    let mut p = plan();
    p.delete = true;
    p.known = ["a".to_string()].into();
    let script = vec![
        GREETING.to_string(),
        CAPA_PLAIN.into(),
        STLS_OK.into(),
        CAPA_TLS.into(),
        "+OK\r\n".into(),
        "+OK Logged in.\r\n".into(),
        "+OK 3 300\r\n".into(),
        "+OK\r\n1 a\r\n2 b\r\n3 c\r\n.\r\n".into(),
        format!("+OK 95 octets\r\n{DOTTED_ON_THE_WIRE}"),
        "+OK Marked to be deleted.\r\n".into(),
        format!("+OK 60 octets\r\n{}.\r\n", plain(3)),
        "+OK Marked to be deleted.\r\n".into(),
        "+OK Logging out, messages deleted.\r\n".into(),
    ];
    (p, script)
}

/// Runs a client against a server script, fed in pieces `split` chooses,
/// then closes the connection. The outcome.
fn run(plan: Plan, script: &[Vec<u8>], mut split: impl FnMut(usize) -> usize) -> Outcome {
    let mut client = Client::new(plan);
    let mut ended = None;
    let mut take = |outputs: Vec<ClientOutput>, client: &mut Client| {
        let mut outputs = outputs;
        while !outputs.is_empty() {
            let mut more = Vec::new();
            for output in outputs {
                match output {
                    ClientOutput::Send(bytes) => assert!(bytes.ends_with(b"\r\n")),
                    ClientOutput::StartTls => more.extend(client.tls_started()),
                    ClientOutput::Done(outcome) => {
                        assert!(ended.is_none(), "Done twice");
                        ended = Some(outcome);
                    }
                    ClientOutput::Retrieved(_) => {}
                }
            }
            outputs = more;
        }
    };
    for chunk in script {
        let mut rest = &chunk[..];
        while !rest.is_empty() {
            let (feed, after) = rest.split_at(split(rest.len()).clamp(1, rest.len()));
            rest = after;
            let out = client.feed(feed);
            take(out, &mut client);
        }
    }
    let out = client.eof();
    take(out, &mut client);
    assert!(client.is_done());
    ended.expect("a Done output")
}

#[test]
fn a_session_that_deletes_succeeds_however_its_bytes_are_cut() {
    let (p, script) = everything();
    let script: Vec<Vec<u8>> = script.into_iter().map(String::into_bytes).collect();
    for size in [1, 2, 3, 7, 64, usize::MAX] {
        let o = run(p.clone(), &script, |_| size);
        assert_eq!(o.failure, None, "feeds of {size}");
        assert_eq!(o.deleted(), &[2, 3]);
        assert_eq!(o.retrieved[0].raw, DOTTED.as_bytes());
    }
}

/// Arbitrary server bytes: words of POP3, random bytes, and the session
/// above with its answers cut, changed and reordered. Nothing panics,
/// every session ends once, and one whose QUIT was not answered `+OK`
/// says why and deleted nothing.
#[test]
fn random_server_bytes_never_panic_and_every_session_ends_in_failure() {
    use rand::{Rng, SeedableRng};
    let cases = std::env::var("MAILHOP_FUZZ_CASES")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(300u64);
    let words: &[&str] = &[
        GREETING,
        CAPA_PLAIN,
        CAPA_TLS,
        STLS_OK,
        "+OK\r\n",
        "-ERR no\r\n",
        "+OK 2 100\r\n",
        "+OK 4294967295 1\r\n",
        "1 a\r\n",
        "..\r\n",
        ".\r\n",
        "+OK\r\n1 a\r\n2 b\r\n.\r\n",
        DOTTED_ON_THE_WIRE,
        "\r\n",
        "\n",
        "\r",
        "garbage",
    ];
    let (all, good) = everything();
    let mut rng = rand_chacha::ChaCha8Rng::seed_from_u64(0x9093);
    for case in 0..cases {
        let mut p = if rng.random() { all.clone() } else { plan() };
        p.starttls = [StartTls::None, StartTls::Offer, StartTls::Require][rng.random_range(0..3)];
        if rng.random_range(0..4) == 0 {
            p.limits.max_message = rng.random_range(10..200);
            p.limits.max_line = rng.random_range(5..100);
            p.limits.max_messages = rng.random_range(0..3);
        }
        let script: Vec<Vec<u8>> = if case % 2 == 0 {
            mutate(&good, words, &mut rng)
        } else {
            (0..rng.random_range(1..60))
                .map(|_| match rng.random_range(0..8) {
                    0 => (0..rng.random_range(0..40)).map(|_| rng.random()).collect(),
                    _ => words[rng.random_range(0..words.len())].as_bytes().to_vec(),
                })
                .collect()
        };
        let mut splits = rand_chacha::ChaCha8Rng::seed_from_u64(rng.random());
        let o = run(p, &script, |n| splits.random_range(1..=n));
        let quit_ok = matches!(o.quit, Some(Answer { ok: true, .. }));
        assert!(o.failure.is_some() || quit_ok, "case {case}: {o:?}");
        assert!(quit_ok || o.deleted().is_empty(), "case {case}");
    }
}

/// A server script with some answers dropped, cut, doubled, swapped or
/// salted with random bytes and stray words.
fn mutate(script: &[String], words: &[&str], rng: &mut rand_chacha::ChaCha8Rng) -> Vec<Vec<u8>> {
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
            5 => out.push(words[rng.random_range(0..words.len())].as_bytes().to_vec()),
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

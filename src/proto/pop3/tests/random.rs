//! The engine under random bytes and random sequences of POP3: it never
//! panics, never buffers a line past the limit, and what it says stays
//! well-formed. `MAILHOP_FUZZ_CASES=N` for a longer run.

use rand::{Rng, SeedableRng};
use rand_chacha::ChaCha8Rng;

use super::*;
use crate::proto::fuzz;

/// Pieces of POP3 a fuzzer strings together.
const VOCABULARY: &[&str] = &[
    "CAPA\r\n",
    "STLS\r\n",
    "USER bob@friend.test\r\n",
    "USER x\r\n",
    "PASS secret\r\n",
    "PASS wrong\r\n",
    "AUTH PLAIN\r\n",
    "AUTH PLAIN AGJvYkBmcmllbmQudGVzdABzZWNyZXQ=\r\n",
    "AGJvYkBmcmllbmQudGVzdABzZWNyZXQ=\r\n",
    "*\r\n",
    "STAT\r\n",
    "LIST\r\n",
    "LIST 2\r\n",
    "UIDL\r\n",
    "UIDL 9\r\n",
    "TOP 3 0\r\n",
    "TOP 1 99999999999999999999\r\n",
    "RETR 2\r\n",
    "RETR 0\r\n",
    "DELE 1\r\n",
    "DELE 2\r\n",
    "RSET\r\n",
    "NOOP\r\n",
    "QUIT\r\n",
    "LIST  1\r\n",
    "\r\n",
    "\n",
    "\r",
    ".\r\n",
    "\u{e9}\u{0}\u{7f}\r\n",
];

/// Half the sessions log in first, so TRANSACTION gets its share.
fn random_input(rng: &mut ChaCha8Rng) -> Vec<u8> {
    let mut input = if rng.random() {
        b"USER bob@friend.test\r\nPASS secret\r\n".to_vec()
    } else {
        Vec::new()
    };
    input.extend(fuzz::random_input(rng, VOCABULARY, 200..300));
    input
}

/// Every answer starts with a status; no line carries a line end of its
/// own or passes 512 octets with its CRLF (RFC 2449 section 4); nothing
/// follows a close; nothing is deleted but by QUIT.
fn check_well_formed(case: u64, outputs: &[Output]) {
    let mut expect_status = true;
    let mut last_heard = "";
    for (i, output) in outputs.iter().enumerate() {
        match output {
            Output::Heard(line) => {
                expect_status = true;
                last_heard = line;
            }
            Output::Reply(line) => {
                assert!(
                    !line.contains(['\r', '\n']) && line.len() + 2 <= 512,
                    "case {case}: bad line {line:?}"
                );
                if expect_status {
                    assert!(
                        line.starts_with("+OK") || line.starts_with("-ERR ") || line == "+ ",
                        "case {case}: not a status {line:?}"
                    );
                }
                expect_status = false;
            }
            Output::Delete { .. } => assert!(
                last_heard.eq_ignore_ascii_case("QUIT"),
                "case {case}: deleted after {last_heard:?}"
            ),
            Output::Close => assert_eq!(i + 1, outputs.len(), "case {case}: output after close"),
            _ => {}
        }
    }
}

#[test]
fn random_bytes_and_commands_never_panic_and_answers_stay_well_formed() {
    let mut rng = ChaCha8Rng::seed_from_u64(0x90_93);
    for case in 0..fuzz::cases() {
        let config = Config {
            tls_available: rng.random(),
            require_tls: rng.random(),
            implicit_tls: rng.random(),
            ..config()
        };
        let drop = TestDrop {
            locked: rng.random_ratio(1, 8),
        };
        let mut s = Server::new(config);
        let mut outputs = s.greet(0);
        let input = random_input(&mut rng);
        let mut rest = &input[..];
        while !rest.is_empty() && !s.is_closed() {
            let n = rng.random_range(1..=rest.len().min(300));
            let (chunk, tail) = rest.split_at(n);
            rest = tail;
            let out = s.feed(chunk, 0, &drop);
            if out.iter().any(|o| matches!(o, Output::StartTls { .. })) {
                s.tls_started(0);
            }
            outputs.extend(out);
            assert!(s.input.len() < MAX_LINE, "case {case}: the buffer grew");
        }
        check_well_formed(case, &outputs);
    }
}

//! Seeded random sessions (`MAILHOP_FUZZ_CASES=N` for a longer run):
//! arbitrary bytes and mutated commands never panic the engine, and every
//! response it writes parses and frames as one (checked by `written`).

use rand::{Rng, SeedableRng};
use rand_chacha::ChaCha8Rng;

use super::*;

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

//! What the engines' seeded random tests share: how many cases to run
//! (`MAILHOP_FUZZ_CASES=N` for a longer run than CI's 300), and input made
//! of a protocol's own vocabulary, random bytes and overlong lines.

use std::ops::Range;

use rand::Rng;
use rand_chacha::ChaCha8Rng;

/// Cases per random test.
pub fn cases() -> u64 {
    std::env::var("MAILHOP_FUZZ_CASES")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(300)
}

/// Up to 60 pieces: mostly words of `vocabulary`, sometimes random bytes,
/// sometimes a line of `long_line` octets (before its CRLF).
pub fn random_input(rng: &mut ChaCha8Rng, vocabulary: &[&str], long_line: Range<usize>) -> Vec<u8> {
    let mut input = Vec::new();
    for _ in 0..rng.random_range(1..60) {
        match rng.random_range(0..10) {
            0 => {
                let n = rng.random_range(0..64);
                input.extend((0..n).map(|_| rng.random::<u8>()));
            }
            1 => {
                let n = rng.random_range(long_line.clone());
                input.extend(std::iter::repeat_n(b'x', n));
                input.extend_from_slice(b"\r\n");
            }
            _ => {
                let piece = vocabulary[rng.random_range(0..vocabulary.len())];
                input.extend_from_slice(piece.as_bytes());
            }
        }
    }
    input
}

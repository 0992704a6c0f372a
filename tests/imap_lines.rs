//! Every line the IMAP server sends in every shipped scenario (and in the
//! reading scenario of `tests/data`) parses with imap-codec, as a strict
//! client would read it: the greeting with its greeting codec, then each
//! response, literals included.
//!
//! The transcript is what the trace keeps: a literal shows as `[N octets]`
//! after the line that announced it with `{N}`, so it is put back as N
//! bytes before decoding; the bytes themselves are the message, which
//! other tests compare octet for octet.

use std::collections::BTreeSet;

use imap_codec::decode::Decoder;
use imap_codec::{GreetingCodec, ResponseCodec};
use mailhop::harness::Run;
use mailhop::trace::{Dir, Event, Trace};

/// The server's side of each IMAP connection, as bytes on the wire.
fn imap_server_bytes(trace: &Trace) -> Vec<(String, Vec<u8>)> {
    let imap: BTreeSet<&str> = trace
        .events
        .iter()
        .filter_map(|r| match &r.event {
            Event::Connect(c) if c.port == 143 || c.port == 993 => Some(c.conn.as_str()),
            _ => None,
        })
        .collect();
    imap.iter()
        .map(|conn| {
            let mut bytes = Vec::new();
            for record in &trace.events {
                let Event::Line {
                    conn: c,
                    dir: Dir::ServerToClient,
                    text,
                    ..
                } = &record.event
                else {
                    continue;
                };
                if c != conn {
                    continue;
                }
                let literal = text
                    .strip_prefix('[')
                    .and_then(|t| t.strip_suffix(" octets]"))
                    .and_then(|n| n.parse::<usize>().ok());
                match literal {
                    Some(n) => bytes.extend(std::iter::repeat_n(b'x', n)),
                    None => {
                        bytes.extend_from_slice(text.as_bytes());
                        bytes.extend_from_slice(b"\r\n");
                    }
                }
            }
            (conn.to_string(), bytes)
        })
        .collect()
}

fn check(name: &str, run: &Run) -> usize {
    let mut responses = 0;
    for (conn, bytes) in imap_server_bytes(&run.trace) {
        let (mut rest, _) = GreetingCodec::default()
            .decode(&bytes)
            .unwrap_or_else(|e| panic!("{name} {conn}: greeting: {e:?}"));
        while !rest.is_empty() {
            let (next, _) = ResponseCodec::default().decode(rest).unwrap_or_else(|e| {
                let line = String::from_utf8_lossy(rest);
                let line = line.lines().next().unwrap_or_default();
                panic!("{name} {conn}: imap-codec cannot read {line:?}: {e:?}")
            });
            rest = next;
            responses += 1;
        }
    }
    responses
}

#[test]
fn every_imap_line_of_every_scenario_parses_with_imap_codec() {
    let root = env!("CARGO_MANIFEST_DIR");
    let mut files: Vec<_> = std::fs::read_dir(format!("{root}/scenarios"))
        .unwrap()
        .map(|e| e.unwrap().path())
        .filter(|p| p.extension().is_some_and(|x| x == "json"))
        .collect();
    files.push(format!("{root}/tests/data/reading.json").into());
    files.sort();
    let mut total = 0;
    for path in &files {
        let run = Run::file(path).unwrap_or_else(|e| panic!("{}: {e}", path.display()));
        total += check(&path.display().to_string(), &run);
    }
    assert!(total > 50, "only {total} IMAP responses were checked");
}

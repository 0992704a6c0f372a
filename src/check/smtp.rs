//! SMTP conversations as command/reply exchanges, read from the trace.
//!
//! The server records each line it reads and each reply it writes, in the
//! order it handles them, so even a pipelined conversation appears in the
//! trace as command, reply, command, reply. An exchange opens with a client
//! line and closes with the server's final reply (any code but 3yz);
//! client lines after a 3yz reply (`354` for the message, `334` for AUTH)
//! continue the same exchange. A reply with no command before it is the
//! greeting.

use std::collections::BTreeMap;

use crate::trace::{Dir, Event, Record, Trace};

/// One command and the server's final answer to it.
#[derive(Debug, Clone, PartialEq)]
pub struct Exchange<'a> {
    pub conn: &'a str,
    /// The server node.
    pub server: &'a str,
    /// The line that opened the exchange; `None` for the greeting.
    pub command: Option<&'a str>,
    /// The final reply code.
    pub code: u16,
    /// The final reply line, as sent.
    pub reply: &'a str,
    /// The record of the final reply line.
    pub record: &'a Record,
}

/// Every completed exchange in the trace, in the order the replies were sent.
pub fn exchanges(trace: &Trace) -> Vec<Exchange<'_>> {
    let mut servers: BTreeMap<&str, &str> = BTreeMap::new();
    // conn → (opening command, waiting for a final reply)
    let mut open: BTreeMap<&str, Option<&str>> = BTreeMap::new();
    let mut out = Vec::new();
    for record in &trace.events {
        match &record.event {
            Event::Connect(c) => {
                servers.insert(&c.conn, &c.server);
            }
            Event::Line {
                conn,
                dir: Dir::ClientToServer,
                text,
                ..
            } => {
                let current = open.entry(conn).or_insert(None);
                if current.is_none() {
                    *current = Some(text);
                }
            }
            Event::Line {
                conn,
                dir: Dir::ServerToClient,
                text,
                ..
            } => {
                let Some(code) = final_code(text) else {
                    continue;
                };
                let command = open.get_mut(conn.as_str()).and_then(Option::take);
                if (300..400).contains(&code) {
                    // An intermediate reply: the exchange goes on.
                    open.insert(conn, command);
                    continue;
                }
                out.push(Exchange {
                    conn,
                    server: servers.get(conn.as_str()).copied().unwrap_or(""),
                    command,
                    code,
                    reply: text,
                    record,
                });
            }
            _ => {}
        }
    }
    out
}

/// The code of a reply line that ends a reply (`250 ok`, not `250-SIZE`).
fn final_code(line: &str) -> Option<u16> {
    let bytes = line.as_bytes();
    if bytes.len() >= 3 && bytes[..3].iter().all(u8::is_ascii_digit) && bytes.get(3) != Some(&b'-')
    {
        line[..3].parse().ok()
    } else {
        None
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::trace::Connect;

    fn line(seq: u64, dir: Dir, text: &str) -> Record {
        Record {
            t: seq,
            seq,
            event: Event::Line {
                conn: "c1".into(),
                dir,
                text: text.into(),
                tls: false,
            },
        }
    }

    #[test]
    fn pairs_commands_with_final_replies() {
        use Dir::*;
        let mut events = vec![Record {
            t: 0,
            seq: 0,
            event: Event::Connect(Box::new(Connect {
                conn: "c1".into(),
                client: "a".into(),
                server: "mx".into(),
                port: 25,
                client_ip: String::new(),
                server_ip: String::new(),
            })),
        }];
        for (dir, text) in [
            (ServerToClient, "220 mx ESMTP"),
            (ClientToServer, "EHLO a"),
            (ServerToClient, "250-mx"),
            (ServerToClient, "250 SIZE 1000"),
            (ClientToServer, "AUTH LOGIN"),
            (ServerToClient, "334 VXNlcm5hbWU6"),
            (ClientToServer, "YQ=="),
            (ServerToClient, "334 UGFzc3dvcmQ6"),
            (ClientToServer, "cA=="),
            (ServerToClient, "235 2.7.0 ok"),
            (ClientToServer, "DATA"),
            (ServerToClient, "354 go"),
            (ClientToServer, "Subject: x"),
            (ClientToServer, "."),
            (ServerToClient, "250 queued"),
        ] {
            let seq = events.len() as u64;
            events.push(line(seq, dir, text));
        }
        let trace = Trace {
            scenario: "t".into(),
            seed: 0,
            start: String::new(),
            events,
        };
        let got: Vec<(Option<&str>, u16)> = exchanges(&trace)
            .iter()
            .map(|e| (e.command, e.code))
            .collect();
        assert_eq!(
            got,
            [
                (None, 220),
                (Some("EHLO a"), 250),
                (Some("AUTH LOGIN"), 235),
                (Some("DATA"), 250)
            ]
        );
        assert!(exchanges(&trace).iter().all(|e| e.server == "mx"));
    }
}

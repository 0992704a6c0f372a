//! Greylisting (RFC 6647), as postgrey does it: the first time a client
//! address, an envelope sender and a recipient come together (a
//! *triplet*), the server answers RCPT with a temporary refusal; a real
//! mail server keeps the message in its queue and comes back, and when the
//! same triplet returns after the delay it is accepted, and from then on
//! without delay. Most spam programs send once and never come back.
//!
//! The table lives in the world, one per server; this module only judges
//! ([`Table::judge`], a pure function of the table, the triplet and the
//! time) and says how the table changes ([`Table::record`]), which the
//! driver applies when it records the verdict.
//!
//! What it keys on: the client's exact address (postgrey strips the last
//! octet by default, for server farms that retry from a neighbour; every
//! machine here retries from its own address), the sender and the recipient
//! in lower case. Times are postgrey's defaults: a first attempt is
//! forgotten when nobody retries within the retry window (two days), and a
//! triplet that passed is forgotten when it has not been seen for 35 days.

use std::collections::BTreeMap;

use crate::proto::smtp::Reply;

/// What greylisting keys on.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord)]
pub struct Triplet {
    /// The client's address.
    pub client_ip: String,
    /// The envelope sender, lower case (empty for a bounce's `<>`).
    pub sender: String,
    /// The recipient, lower case.
    pub recipient: String,
}

impl Triplet {
    pub fn new(client_ip: &str, sender: &str, recipient: &str) -> Triplet {
        Triplet {
            client_ip: client_ip.to_string(),
            sender: sender.to_ascii_lowercase(),
            recipient: recipient.to_ascii_lowercase(),
        }
    }
}

/// The timing of a server's greylisting, in virtual milliseconds.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Timing {
    /// How long a new triplet must wait before it is accepted.
    pub delay: u64,
    /// How long a first attempt is remembered, waiting for a retry.
    pub retry_window: u64,
    /// How long a triplet that passed is remembered after it was last seen.
    pub max_age: u64,
}

/// What the table says of a triplet now.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Verdict {
    /// Never seen, or forgotten: refuse for now, and remember it from now.
    New { retry_at: u64 },
    /// Seen at `first_seen`, and the delay is not over: refuse for now.
    TooSoon { first_seen: u64, retry_at: u64 },
    /// Back after the delay: accept, and remember that it passed.
    Passed { first_seen: u64 },
    /// Passed before: accept at once.
    Known,
}

impl Verdict {
    /// Whether the recipient is accepted.
    pub fn accepts(self) -> bool {
        matches!(self, Verdict::Passed { .. } | Verdict::Known)
    }

    /// The refusal for a triplet that must wait, at `now`.
    pub fn reply(self, recipient: &str, now: u64) -> Option<Reply> {
        let retry_at = match self {
            Verdict::New { retry_at } | Verdict::TooSoon { retry_at, .. } => retry_at,
            Verdict::Passed { .. } | Verdict::Known => return None,
        };
        let seconds = retry_at.saturating_sub(now).div_ceil(1000);
        Some(Reply::new(
            451,
            format!(
                "4.7.1 <{recipient}>: Recipient address rejected: Greylisted, try again in {seconds} seconds"
            ),
        ))
    }
}

/// One triplet's history.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
struct Entry {
    first_seen: u64,
    last_seen: u64,
    passed: bool,
}

/// A server's greylisting table.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Table {
    entries: BTreeMap<Triplet, Entry>,
}

impl Table {
    /// What the table says of `triplet` at `now`.
    pub fn judge(&self, triplet: &Triplet, now: u64, timing: Timing) -> Verdict {
        let new = Verdict::New {
            retry_at: now + timing.delay,
        };
        let Some(entry) = self.entries.get(triplet) else {
            return new;
        };
        if entry.passed {
            return if now.saturating_sub(entry.last_seen) > timing.max_age {
                new
            } else {
                Verdict::Known
            };
        }
        let waited = now.saturating_sub(entry.first_seen);
        if waited > timing.retry_window {
            new
        } else if waited >= timing.delay {
            Verdict::Passed {
                first_seen: entry.first_seen,
            }
        } else {
            Verdict::TooSoon {
                first_seen: entry.first_seen,
                retry_at: entry.first_seen + timing.delay,
            }
        }
    }

    /// Remembers what `verdict` (judged at `now`) means for `triplet`.
    pub fn record(&mut self, triplet: &Triplet, verdict: Verdict, now: u64) {
        match verdict {
            Verdict::New { .. } => {
                self.entries.insert(
                    triplet.clone(),
                    Entry {
                        first_seen: now,
                        last_seen: now,
                        passed: false,
                    },
                );
            }
            Verdict::TooSoon { .. } => {
                if let Some(e) = self.entries.get_mut(triplet) {
                    e.last_seen = now;
                }
            }
            Verdict::Passed { .. } | Verdict::Known => {
                if let Some(e) = self.entries.get_mut(triplet) {
                    e.last_seen = now;
                    e.passed = true;
                }
            }
        }
    }

    /// How many triplets the table remembers.
    pub fn len(&self) -> usize {
        self.entries.len()
    }

    pub fn is_empty(&self) -> bool {
        self.entries.is_empty()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const MIN: u64 = 60_000;
    const DAY: u64 = 24 * 60 * MIN;
    const TIMING: Timing = Timing {
        delay: 5 * MIN,
        retry_window: 2 * DAY,
        max_age: 35 * DAY,
    };

    fn triplet() -> Triplet {
        Triplet::new("192.0.2.10", "Alice@Home.test", "bob@friend.test")
    }

    /// Judges and records, as the driver does.
    fn ask(table: &mut Table, t: &Triplet, now: u64) -> Verdict {
        let verdict = table.judge(t, now, TIMING);
        table.record(t, verdict, now);
        verdict
    }

    #[test]
    fn a_stranger_waits_the_delay_then_passes_for_good() {
        let mut table = Table::default();
        let t = triplet();
        assert_eq!(ask(&mut table, &t, 0), Verdict::New { retry_at: 5 * MIN });
        assert_eq!(
            ask(&mut table, &t, 2 * MIN),
            Verdict::TooSoon {
                first_seen: 0,
                retry_at: 5 * MIN
            },
            "too early: the first attempt still counts from 0"
        );
        assert_eq!(
            ask(&mut table, &t, 5 * MIN),
            Verdict::Passed { first_seen: 0 }
        );
        assert_eq!(ask(&mut table, &t, 6 * MIN), Verdict::Known);
        assert_eq!(ask(&mut table, &t, 30 * DAY), Verdict::Known);
        assert_eq!(table.len(), 1);
    }

    #[test]
    fn the_triplet_is_address_sender_and_recipient() {
        let mut table = Table::default();
        ask(&mut table, &triplet(), 0);
        let same = Triplet::new("192.0.2.10", "alice@home.test", "BOB@friend.test");
        assert_eq!(
            table.judge(&same, 5 * MIN, TIMING),
            Verdict::Passed { first_seen: 0 }
        );
        for other in [
            Triplet::new("192.0.2.11", "alice@home.test", "bob@friend.test"),
            Triplet::new("192.0.2.10", "carol@home.test", "bob@friend.test"),
            Triplet::new("192.0.2.10", "alice@home.test", "dan@friend.test"),
        ] {
            assert!(
                matches!(table.judge(&other, 5 * MIN, TIMING), Verdict::New { .. }),
                "{other:?}"
            );
        }
    }

    #[test]
    fn a_retry_after_the_window_starts_over_and_old_passes_are_forgotten() {
        let mut table = Table::default();
        let t = triplet();
        ask(&mut table, &t, 0);
        assert_eq!(
            ask(&mut table, &t, 3 * DAY),
            Verdict::New {
                retry_at: 3 * DAY + 5 * MIN
            }
        );
        assert!(ask(&mut table, &t, 3 * DAY + 5 * MIN).accepts());
        assert!(matches!(ask(&mut table, &t, 40 * DAY), Verdict::New { .. }));
    }

    #[test]
    fn the_refusal_says_how_long_to_wait() {
        let reply = Verdict::TooSoon {
            first_seen: 0,
            retry_at: 5 * MIN,
        }
        .reply("bob@friend.test", 2 * MIN + 500)
        .unwrap();
        assert_eq!(
            reply.wire_lines(),
            [
                "451 4.7.1 <bob@friend.test>: Recipient address rejected: Greylisted, try again in 180 seconds"
            ]
        );
        assert!(reply.is_transient());
        assert_eq!(Verdict::Known.reply("bob@friend.test", 0), None);
    }
}

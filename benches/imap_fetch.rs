//! The IMAP server engine answering one large FETCH. Run with
//! `cargo bench --bench imap_fetch`.
//!
//! A mailbox of 1,000 messages of about 2 KB each (in the simulation's
//! `MailStore`), and one session fed straight to the engine, no I/O: LOGIN,
//! SELECT INBOX, `UID FETCH 1:* (BODY[])`, LOGOUT. Each run starts from the
//! same store, every message unseen, so each FETCH also sets 1,000 `\Seen`
//! flags. Prints the time of a session, the bytes the engine wrote, and
//! peak memory: the process's, and how far one session rose above the
//! store it read (the peak is reset before the session through
//! `/proc/self/clear_refs`, Linux only).
//!
//! Figures only: nothing here asserts a time, because a shared machine makes
//! timed assertions flaky.

use std::collections::BTreeSet;
use std::time::{Duration, Instant};

use mailhop::proto::imap::{Config, FolderView, Mailstore, MessageView, Output, Server};
use mailhop::sim::store::MailStore;

const NODE: &str = "mx.friend.test";
const USER: &str = "bob@friend.test";
const MESSAGES: usize = 1000;
const NOW: i64 = 1_700_000_000;

fn main() {
    let store = mailbox(MESSAGES);
    let stored: usize = store.mailbox(NODE, USER).expect("the mailbox").folders["INBOX"]
        .messages
        .iter()
        .map(|m| m.size)
        .sum();
    println!(
        "a mailbox of {MESSAGES} messages, {:.1} KB each, {:.2} MB in all",
        stored as f64 / MESSAGES as f64 / 1024.0,
        stored as f64 / 1_048_576.0
    );

    let mut written = 0;
    let mut times = Vec::new();
    for run in 0..11 {
        let mut fresh = mailbox(MESSAGES);
        let start = Instant::now();
        let session = session(&mut fresh);
        let elapsed = start.elapsed();
        written = session.written;
        assert_eq!(session.fetched, MESSAGES, "every message came back");
        assert_eq!(session.seen, MESSAGES, "and was marked \\Seen");
        if run > 0 {
            times.push(elapsed);
        }
    }
    println!(
        "one session, UID FETCH 1:* (BODY[]): {} ({:.2} MB written)",
        summary(&times),
        written as f64 / 1_048_576.0
    );
    let best = times.iter().min().copied().unwrap_or_default();
    println!(
        "  = {:.0} messages/s, {:.0} MB/s",
        MESSAGES as f64 / best.as_secs_f64(),
        written as f64 / 1_048_576.0 / best.as_secs_f64()
    );

    let mut fresh = mailbox(MESSAGES);
    let before = rss_kb("VmRSS");
    let reset = reset_peak();
    session(&mut fresh);
    match (reset, before, rss_kb("VmHWM")) {
        (true, Some(before), Some(peak)) => println!(
            "one session's peak above the store: {:.1} MB ({before} kB resident before it)",
            peak.saturating_sub(before) as f64 / 1024.0
        ),
        _ => println!("one session's peak above the store: unknown (needs Linux's clear_refs)"),
    }
    drop(fresh);
    println!(
        "peak resident memory of the process: {}",
        rss_kb("VmHWM").map_or("unknown".into(), |kb| format!("{kb} kB"))
    );
}

/// `count` messages of about 2 KB in Bob's INBOX.
fn mailbox(count: usize) -> MailStore {
    let mut store = MailStore::default();
    let line = "Lorem ipsum dolor sit amet, consectetur adipiscing elit, sed do eiusmod.\r\n";
    for i in 1..=count {
        let mut eml = format!(
            "Received: from mail.home.test by mx.friend.test; Tue, 14 Nov 2023 22:13:20 +0000\r\n\
             From: Alice <alice@home.test>\r\nTo: bob@friend.test\r\n\
             Subject: Message {i}\r\nMessage-ID: <m{i}@home.test>\r\n\
             Date: Tue, 14 Nov 2023 22:13:20 +0000\r\n\r\n"
        );
        while eml.len() < 2000 {
            eml.push_str(line);
        }
        store.append(NODE, USER, "INBOX", &format!("m{i}"), eml.into_bytes(), NOW);
    }
    store
}

/// What one session did.
struct Session {
    written: usize,
    fetched: usize,
    seen: usize,
}

/// One session, fed to the engine command by command, as a client would
/// send them after each answer.
fn session(store: &mut MailStore) -> Session {
    let mut boxes = Boxes(store);
    let mut server = Server::new(Config {
        host: NODE.into(),
        tls_available: false,
        require_tls: false,
        implicit_tls: false,
    });
    let mut done = Session {
        written: 0,
        fetched: 0,
        seen: 0,
    };
    let mut tally = |outputs: Vec<Output>| {
        for output in outputs {
            match output {
                Output::Write(bytes) => done.written += bytes.len(),
                Output::Fetched(f) if f.whole => done.fetched += 1,
                Output::FlagsStored { .. } => done.seen += 1,
                _ => {}
            }
        }
    };
    tally(server.greet(NOW, &mut boxes));
    for command in [
        "a1 LOGIN bob@friend.test pw\r\n",
        "a2 SELECT INBOX\r\n",
        "a3 UID FETCH 1:* (BODY[])\r\n",
        "a4 LOGOUT\r\n",
    ] {
        tally(server.feed(command.as_bytes(), NOW, &mut boxes));
    }
    done
}

/// The engine's view of the store: Bob's folders, read and flagged.
struct Boxes<'a>(&'a mut MailStore);

impl Mailstore for Boxes<'_> {
    fn login(&mut self, user: &str, password: &str) -> bool {
        user == USER && password == "pw"
    }
    fn folders(&self, user: &str) -> Vec<String> {
        let mailbox = self.0.mailbox(NODE, user);
        mailbox.map_or_else(Vec::new, |m| m.folders.keys().cloned().collect())
    }
    fn folder(&self, user: &str, folder: &str) -> Option<FolderView<'_>> {
        let mailbox = self.0.mailbox(NODE, user)?;
        let f = mailbox.folders.get(folder)?;
        Some(FolderView {
            uidvalidity: mailbox.uidvalidity,
            uidnext: f.uidnext,
            messages: f
                .messages
                .iter()
                .map(|m| MessageView {
                    uid: m.uid,
                    flags: &m.flags,
                    size: m.size,
                    internal_date: m.internal_date,
                    eml: &m.eml,
                })
                .collect(),
        })
    }
    fn create_folder(&mut self, _: &str, _: &str) -> bool {
        false
    }
    fn set_flags(&mut self, user: &str, folder: &str, uid: u32, flags: BTreeSet<String>) {
        let message = self
            .0
            .mailbox_mut(NODE, user, NOW)
            .folders
            .get_mut(folder)
            .and_then(|f| f.messages.iter_mut().find(|m| m.uid == uid));
        if let Some(m) = message {
            m.flags = flags;
        }
    }
    fn expunge(&mut self, _: &str, _: &str, _: &[u32]) {}
    fn append(&mut self, _: &str, _: &str, _: Vec<u8>, _: BTreeSet<String>, _: i64) -> Option<u32> {
        None
    }
    fn copy(&mut self, _: &str, _: &str, _: &[u32], _: &str) -> Vec<(u32, u32)> {
        Vec::new()
    }
}

/// Resets the process's peak resident size to its current size (Linux
/// 4.0 and later); false where that cannot be done.
fn reset_peak() -> bool {
    std::fs::write("/proc/self/clear_refs", "5").is_ok()
}

/// A size from /proc/self/status, in kB (`VmRSS`, `VmHWM`).
fn rss_kb(field: &str) -> Option<u64> {
    let status = std::fs::read_to_string("/proc/self/status").ok()?;
    let line = status.lines().find(|l| l.starts_with(field))?;
    line[field.len() + 1..]
        .trim()
        .trim_end_matches(" kB")
        .parse()
        .ok()
}

fn summary(times: &[Duration]) -> String {
    let mut sorted = times.to_vec();
    sorted.sort();
    format!(
        "median {:.1} ms, min {:.1} ms, max {:.1} ms ({} runs)",
        ms(sorted[sorted.len() / 2]),
        ms(sorted[0]),
        ms(sorted[sorted.len() - 1]),
        sorted.len()
    )
}

fn ms(d: Duration) -> f64 {
    d.as_secs_f64() * 1000.0
}

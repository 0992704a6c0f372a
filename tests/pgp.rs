//! End-to-end encryption in runs: the same trace every time (session keys
//! included), and the outcomes real clients give when a key is missing.

use mailhop::exposure::Ledger;
use mailhop::harness::Run;
use mailhop::trace::Event;
use mailhop::trace::pgp::WithoutKey as WithoutKeyTold;

fn pgp_json(edits: &[(&str, &str)]) -> String {
    let mut text =
        std::fs::read_to_string(concat!(env!("CARGO_MANIFEST_DIR"), "/scenarios/pgp.json"))
            .unwrap();
    for (from, to) in edits {
        assert!(text.contains(from), "{from:?} is not in pgp.json");
        text = text.replacen(from, to, 1);
    }
    text
}

fn json(run: &Run) -> String {
    serde_json::to_string(&run.trace).unwrap()
}

#[test]
fn twenty_runs_give_identical_traces_session_keys_included() {
    let text = pgp_json(&[]);
    let first = json(&Run::json("pgp.json", &text).unwrap());
    assert!(first.contains("BEGIN PGP MESSAGE"));
    for _ in 1..20 {
        assert_eq!(json(&Run::json("pgp.json", &text).unwrap()), first);
    }
    // Another process draws the keys afresh: the same bytes.
    let out = std::process::Command::new(env!("CARGO_BIN_EXE_mailhop"))
        .args(["run", "--json"])
        .arg(concat!(env!("CARGO_MANIFEST_DIR"), "/scenarios/pgp.json"))
        .output()
        .unwrap();
    assert!(out.status.success());
    let theirs: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    let ours: serde_json::Value = serde_json::from_str(&first).unwrap();
    assert_eq!(theirs["events"], ours["events"]);
    // And another seed gives other keys and other ciphertext.
    let other = json(
        &Run::json(
            "pgp.json",
            &text.replacen("\"seed\": 42", "\"seed\": 43", 1),
        )
        .unwrap(),
    );
    assert_ne!(other, first);
}

/// Bob's laptop without a key: Alice's client has none for him.
const BOB_HAS_NO_KEY: (&str, &str) = (
    r#""fetch": {
        "server": "mx.friend.test",
        "protocol": "imap"
      },
      "pgp": {}"#,
    r#""fetch": {
        "server": "mx.friend.test",
        "protocol": "imap"
      }"#,
);

#[test]
fn without_a_key_the_client_refuses_and_sends_nothing() {
    let run = Run::json("pgp.json", &pgp_json(&[BOB_HAS_NO_KEY])).unwrap();
    let told: Vec<_> = run
        .trace
        .events
        .iter()
        .filter_map(|r| match &r.event {
            Event::PgpNoKey(n) => Some((n.message.clone(), n.missing.clone(), n.action)),
            _ => None,
        })
        .collect();
    assert_eq!(told.len(), 2);
    assert_eq!(told[0].1, ["bob@friend.test"]);
    assert_eq!(told[0].2, WithoutKeyTold::Refuse);
    assert!(
        !run.trace
            .events
            .iter()
            .any(|r| matches!(r.event, Event::Hop(_))),
        "nothing left the laptop"
    );
}

#[test]
fn without_a_key_send_plain_sends_it_readable_and_says_so() {
    let run = Run::json(
        "pgp.json",
        &pgp_json(&[
            BOB_HAS_NO_KEY,
            (
                r#""sign": true"#,
                r#""sign": true, "without_key": "send-plain""#,
            ),
        ]),
    )
    .unwrap();
    assert!(run.trace.events.iter().any(|r| matches!(&r.event,
        Event::PgpNoKey(n) if n.message == "m1" && n.action == WithoutKeyTold::SendPlain)));
    let ledger = Ledger::from_trace(&run.trace);
    assert!(ledger.readable_by("m1").contains(&"filter.spamco.test"));
    assert!(!ledger.readable_by("m2").contains(&"filter.spamco.test"));
}

#[test]
fn a_reader_without_a_key_downloads_what_it_cannot_open() {
    // Bob's laptop loses its key after Alice's client already has it:
    // simulated by a second laptop for Bob that has no `pgp`.
    let text = pgp_json(&[(
        r#""fetch": {
        "by": "bob-laptop"
      }"#,
        r#""fetch": {
        "by": "bob-phone"
      }"#,
    )]);
    let text = text.replacen(
        r#""bob-laptop": {"#,
        r#""bob-phone": {
      "role": "mua",
      "user": "bob@friend.test",
      "password": "tuna sandwich",
      "fetch": {
        "server": "mx.friend.test",
        "protocol": "imap"
      }
    },
    "bob-laptop": {"#,
        1,
    );
    let run = Run::json("pgp.json", &text).unwrap();
    let failed: Vec<_> = run
        .trace
        .events
        .iter()
        .filter_map(|r| match &r.event {
            Event::Decrypted(d) => Some(d.clone()),
            _ => None,
        })
        .collect();
    assert_eq!(failed.len(), 2);
    assert!(failed.iter().all(|d| !d.ok && d.node == "bob-phone"));
    assert!(
        failed[0]
            .reason
            .as_deref()
            .unwrap()
            .contains("no OpenPGP key"),
        "{failed:?}"
    );
    assert!(
        !Ledger::from_trace(&run.trace)
            .readable_by("m1")
            .contains(&"bob-phone")
    );
}

#[test]
fn encrypting_without_a_key_of_ones_own_is_a_located_error() {
    let text = pgp_json(&[(
        r#""submit": "mail.home.test",
      "pgp": {}"#,
        r#""submit": "mail.home.test""#,
    )]);
    let err = mailhop::scenario::load_str("pgp.json", &text)
        .unwrap_err()
        .to_string();
    assert!(
        err.contains("`alice-laptop` cannot encrypt: its user has no OpenPGP key"),
        "{err}"
    );
    assert!(err.contains("pgp.json:"), "{err}");
}

#[test]
fn protected_headers_without_encryption_is_a_warning() {
    let text = pgp_json(&[(
        r#""encrypt": true,
        "sign": true,
        "protect_headers": true"#,
        r#""protect_headers": true"#,
    )]);
    let (_, warnings) = mailhop::scenario::load_str_with_warnings("pgp.json", &text).unwrap();
    assert!(
        warnings.iter().any(|w| w
            .to_string()
            .contains("`protect_headers` without `encrypt` does nothing")),
        "{warnings:?}"
    );
}

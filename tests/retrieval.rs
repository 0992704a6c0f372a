//! Mail clients reading mail in a running world: IDLE hears of new mail,
//! a `file` step moves a message, `save_sent` APPENDs to Sent, and what
//! goes wrong (a wrong password, a server without mailboxes, a password in
//! plaintext) shows in the run or is refused with its location.

use mailhop::exposure::Ledger;
use mailhop::harness::{Run, RunError};
use mailhop::trace::Event;

/// `tests/data/reading.json` with some text replaced, run.
fn reading(edits: &[(&str, &str)]) -> Result<Run, RunError> {
    let path = format!("{}/tests/data/reading.json", env!("CARGO_MANIFEST_DIR"));
    let mut text = std::fs::read_to_string(&path).unwrap();
    for (from, to) in edits {
        assert!(text.contains(from), "{from:?} is not in reading.json");
        text = text.replacen(from, to, 1);
    }
    Run::json("reading.json", &text)
}

fn run(edits: &[(&str, &str)]) -> Run {
    reading(edits).unwrap_or_else(|err| panic!("{err}"))
}

#[test]
fn idle_file_and_save_sent_follow_a_message_into_junk_and_sent() {
    let run = run(&[]);
    for outcome in run.outcomes() {
        assert!(outcome.passed, "{outcome}");
    }
    // Without IDLE the phone hears nothing until it checks again.
    let no_idle = self::run(&[(r#""idle": "1h""#, r#""idle": null"#)]);
    let outcome = no_idle.check(r#"{"fetched": {"by": "bob-phone", "message": "m1"}}"#);
    assert!(!outcome.passed, "{outcome}");
    assert!(
        outcome.to_string().contains("nothing downloaded"),
        "{outcome}"
    );
}

#[test]
fn a_wrong_password_is_a_visible_failed_login_and_nothing_is_downloaded() {
    let run = run(&[(
        r#""user": "bob@friend.test", "password": "tuna sandwich""#,
        r#""user": "bob@friend.test", "password": "tuna salad""#,
    )]);
    let refused = run.trace.events.iter().any(|r| {
        matches!(&r.event, Event::Auth(a) if a.user == "bob@friend.test" && !a.accepted && a.tls)
    });
    assert!(refused, "the refused login is in the trace");
    let failed: Vec<&str> = run
        .trace
        .events
        .iter()
        .filter_map(|r| match &r.event {
            Event::RetrievalFailed(f) if f.node == "bob-phone" => Some(f.reason.as_str()),
            _ => None,
        })
        .collect();
    assert_eq!(
        failed,
        [
            "the server refused the login: NO [AUTHENTICATIONFAILED] Authentication failed.",
            "bob-phone has no message with Subject \"Win a prize\" in INBOX: fetch it first"
        ],
        "the IDLE session fails to log in, so the file step has nothing to move"
    );
    assert!(!run.check(r#"{"fetched": {"by": "bob-phone"}}"#).passed);
    // The failures are marks on the player's timeline, told in both languages.
    let data = mailhop::player::build(&run.scenario, &run.trace);
    let marks: Vec<(&str, &str)> = data
        .timeline
        .iter()
        .filter(|m| m.kind == "retrieval_failed")
        .map(|m| (m.text.as_str(), m.text_pt.as_str()))
        .collect();
    assert_eq!(marks.len(), 2, "{marks:?}");
    assert!(
        marks[0].1.starts_with("bob-phone não conseguiu ler seus e-mails em mx.friend.test por IMAP: o servidor recusou o login"),
        "{marks:?}"
    );
}

#[test]
fn reading_from_a_node_without_mailboxes_is_a_located_error() {
    let err = reading(&[(
        r#""fetch": { "server": "mx.friend.test", "protocol": "imap", "port": 993 }"#,
        r#""fetch": { "server": "mail.home.test", "protocol": "imap", "port": 993 }"#,
    )])
    .expect_err("invalid");
    let text = err.to_string();
    assert!(
        text.contains("reading.json:23:") && text.contains("fetch.server"),
        "{text}"
    );
    assert!(
        text.contains("`mail.home.test` keeps no mailbox for `bob@friend.test`"),
        "{text}"
    );
}

#[test]
fn a_server_without_a_certificate_takes_the_imap_password_in_plaintext() {
    let run = run(&[
        (r#""role": "mda","#, r#""role": "mda", "starttls": "none","#),
        (
            r#""protocol": "imap", "port": 993"#,
            r#""protocol": "imap""#,
        ),
    ]);
    let ledger = Ledger::from_trace(&run.trace);
    let exposed: Vec<String> = ledger.passwords.iter().map(|p| p.account().en).collect();
    assert_eq!(
        exposed,
        [
            "the password of bob@friend.test, sent with IMAP LOGIN (accepted)",
            "the password of bob@friend.test, sent with IMAP LOGIN (accepted)"
        ]
    );
    run.assert(
        r#"{"wire": {"between": ["bob-phone", "mx.friend.test"], "text": "tuna sandwich", "visible": true}}"#,
    );
    run.assert(r#"{"hop": {"to": "bob-phone", "protocol": "IMAP", "channel": "plaintext"}}"#);
}

#[test]
fn filing_a_message_the_client_never_downloaded_says_why() {
    let run = run(&[(r#""idle": "1h""#, r#""idle": null"#)]);
    let reason = run.trace.events.iter().find_map(|r| match &r.event {
        Event::RetrievalFailed(f) => Some(f.reason.clone()),
        _ => None,
    });
    assert_eq!(
        reason.as_deref(),
        Some("bob-phone has no message with Subject \"Win a prize\" in INBOX: fetch it first")
    );
    run.assert(r#"{"mailbox": {"of": "bob@friend.test", "holds": "m1"}}"#);
}

#[test]
fn pop3_cannot_file_or_idle() {
    let err = reading(&[(
        r#""protocol": "imap", "port": 993"#,
        r#""protocol": "pop3""#,
    )])
    .expect_err("invalid");
    let text = err.to_string();
    assert!(text.contains("idle"), "{text}");
    assert!(text.contains("file"), "{text}");
}

#[test]
fn twenty_runs_of_each_reading_scenario_give_identical_traces() {
    let root = env!("CARGO_MANIFEST_DIR");
    for path in [
        format!("{root}/scenarios/imap-vs-pop3.json"),
        format!("{root}/tests/data/reading.json"),
    ] {
        let scenario = mailhop::scenario::load_file(path.as_ref()).unwrap();
        let first = mailhop::sim::run(&scenario).unwrap().to_json();
        for i in 1..20 {
            let again = mailhop::sim::run(&scenario).unwrap().to_json();
            assert!(again == first, "{path}: run {i} differs from run 0");
        }
    }
}

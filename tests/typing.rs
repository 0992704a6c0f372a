//! A person typing SMTP by hand (`type` steps): the lines and replies land
//! in the trace like any session's, what the person types is a real
//! message, and a bad step is caught when the scenario loads.

use std::process::Command;

use mailhop::harness::Run;
use mailhop::trace::{Dir, Event, Stop, Trace};

/// A stranger's computer and one server with a mailbox, `server` being
/// extra settings for it; `lines` are typed to its port 25 at 1m.
fn stranger_types(server: &str, lines: &[&str]) -> Run {
    let lines = serde_json::to_string(lines).unwrap();
    let text = format!(
        r#"{{
  "id": "typing", "title": {{"en": "Typing", "pt": "Digitando"}}, "seed": 11,
  "nodes": {{
    "stranger-pc": {{"role": "mua"}},
    "mx.friend.test": {{"role": "mda", "mailboxes": ["bob@friend.test"]{server}}},
    "mx.third.test": {{"role": "mda", "mailboxes": ["carol@third.test"]}}
  }},
  "dns": {{"friend.test": {{"MX": [{{"preference": 10, "host": "mx.friend.test"}}]}},
          "third.test": {{"MX": [{{"preference": 10, "host": "mx.third.test"}}]}}}},
  "script": [{{"at": "1m", "type": {{"by": "stranger-pc", "to": "mx.friend.test", "port": 25, "lines": {lines}}}}}]
}}"#
    );
    let run = Run::json("typing.json", &text).unwrap_or_else(|err| panic!("{err}"));
    mailhop::invariants::check_no_loss(&run.trace).expect("no message lost");
    mailhop::invariants::check_shape(&run.trace).expect("a well-formed trace");
    run
}

/// The conversation as the server recorded it: `C: ` and `S: ` lines.
fn transcript(trace: &Trace) -> Vec<String> {
    trace
        .events
        .iter()
        .filter_map(|r| match &r.event {
            Event::Line { dir, text, .. } => Some(match dir {
                Dir::ClientToServer => format!("C: {text}"),
                Dir::ServerToClient => format!("S: {text}"),
            }),
            _ => None,
        })
        .collect()
}

/// The `typed` events: (line, first line of its reply).
fn typed(trace: &Trace) -> Vec<(String, Option<String>)> {
    trace
        .events
        .iter()
        .filter_map(|r| match &r.event {
            Event::Typed(t) => Some((t.text.clone(), t.reply.clone())),
            _ => None,
        })
        .collect()
}

fn count(trace: &Trace, kind: &str) -> usize {
    trace
        .events
        .iter()
        .filter(|r| r.event.kind() == kind)
        .count()
}

const RELAY_ATTEMPT: &[&str] = &[
    "EHLO stranger.test",
    "MAIL FROM:<prizes@stranger.test>",
    "RCPT TO:<carol@third.test>",
    "DATA",
    "Subject: You have won a prize",
    "",
    "Reply with your bank details.",
    ".",
    "QUIT",
];

#[test]
fn a_typed_relay_attempt_is_refused_with_554_5_7_1() {
    let run = stranger_types("", RELAY_ATTEMPT);
    let lines = transcript(&run.trace);
    let at = |line: &str| {
        lines
            .iter()
            .position(|l| l == line)
            .unwrap_or_else(|| panic!("{line:?} not in {lines:#?}"))
    };
    let rcpt = at("C: RCPT TO:<carol@third.test>");
    assert_eq!(
        lines[rcpt + 1],
        "S: 554 5.7.1 <carol@third.test>: Relay access denied"
    );
    assert_eq!(lines[0], "S: 220 mx.friend.test ESMTP mailhop");
    assert!(at("C: EHLO stranger.test") < at("C: MAIL FROM:<prizes@stranger.test>"));
    // DATA is refused too, so the person never types the message.
    assert_eq!(
        lines[at("C: DATA") + 1],
        "S: 554 5.5.1 Error: no valid recipients"
    );
    assert!(
        !lines.iter().any(|l| l.contains("bank details")),
        "{lines:#?}"
    );
    assert_eq!(lines.last().unwrap(), "S: 221 2.0.0 Bye");
    assert_eq!(
        typed(&run.trace)
            .iter()
            .map(|(line, reply)| format!("{line} -> {}", reply.as_deref().unwrap_or("-")))
            .collect::<Vec<_>>(),
        [
            "EHLO stranger.test -> 250 mx.friend.test",
            "MAIL FROM:<prizes@stranger.test> -> 250 2.1.0 Ok",
            "RCPT TO:<carol@third.test> -> 554 5.7.1 <carol@third.test>: Relay access denied",
            "DATA -> 554 5.5.1 Error: no valid recipients",
            "QUIT -> 221 2.0.0 Bye",
        ]
    );
    assert_eq!(count(&run.trace, "hop"), 0);
    assert_eq!(count(&run.trace, "stored"), 0);
    assert_eq!(count(&run.trace, "typing_stopped"), 0);
    run.assert(r#"{"reply": {"node": "mx.friend.test", "command": "RCPT TO:<carol@third.test>", "code": 554}}"#);
    run.assert(r#"{"not_delivered": {"to": "carol@third.test"}}"#);
}

#[test]
fn an_open_relay_accepts_what_a_stranger_types_and_delivers_it() {
    let run = stranger_types(r#", "open_relay": true"#, RELAY_ATTEMPT);
    let replies: Vec<(String, Option<String>)> = typed(&run.trace);
    assert_eq!(
        replies[2].1.as_deref(),
        Some("250 2.1.5 Ok"),
        "{replies:#?}"
    );
    assert_eq!(
        replies[3].1.as_deref(),
        Some("354 End data with <CR><LF>.<CR><LF>")
    );
    run.assert(r#"{"hop": {"index": 1, "from": "stranger-pc", "to": "mx.friend.test", "channel": "plaintext", "protocol": "ESMTP"}}"#);
    run.assert(r#"{"hop": {"index": 2, "from": "mx.friend.test", "to": "mx.third.test"}}"#);
    run.assert(r#"{"delivered": {"to": "carol@third.test", "folder": "INBOX"}}"#);
    // The message has no Message-ID header, and is still one message, m1,
    // on both hops and in the mailbox.
    let messages: Vec<&str> = run
        .trace
        .hops()
        .map(|(_, hop)| hop.message.as_str())
        .collect();
    assert_eq!(messages, ["m1", "m1"]);
    run.assert(r#"{"readable_at_rest_by": {"nodes": ["mx.friend.test", "mx.third.test"]}}"#);
}

#[test]
fn the_shipped_open_relay_scenario_keeps_its_promises() {
    let path = format!("{}/scenarios/open-relay.json", env!("CARGO_MANIFEST_DIR"));
    let run = Run::file(&path).unwrap_or_else(|err| panic!("{err}"));
    for outcome in run.outcomes() {
        assert!(outcome.passed, "{outcome}");
    }
    mailhop::invariants::check_no_loss(&run.trace).expect("no message lost");
    // The claims prove the story: close the relay and they fail.
    let text = std::fs::read_to_string(&path).unwrap();
    let closed = Run::json(
        "closed.json",
        &text.replace(r#""open_relay": true"#, r#""open_relay": false"#),
    )
    .unwrap_or_else(|err| panic!("{err}"));
    let failed: Vec<String> = closed
        .outcomes()
        .into_iter()
        .filter(|o| !o.passed)
        .map(|o| o.to_string())
        .collect();
    assert!(failed.len() >= 5, "{failed:#?}");
    assert!(
        failed.iter().any(|f| f.contains("Relay access denied")),
        "{failed:#?}"
    );
}

#[test]
fn a_message_typed_by_hand_with_data_and_a_dot_is_delivered() {
    let run = stranger_types(
        "",
        &[
            "HELO stranger.test",
            "MAIL FROM:<me@stranger.test>",
            "RCPT TO:<bob@friend.test>",
            "DATA",
            "From: me@stranger.test",
            "Subject: Typed by hand",
            "",
            "Hello Bob,",
            "..a line that starts with a dot, doubled by hand",
            ".",
            "QUIT",
        ],
    );
    let replies = typed(&run.trace);
    assert_eq!(replies.len(), 11, "{replies:#?}");
    assert_eq!(replies[4], ("From: me@stranger.test".to_string(), None));
    let (dot, reply) = &replies[9];
    assert_eq!(dot, ".");
    assert!(
        reply
            .as_deref()
            .unwrap()
            .starts_with("250 2.0.0 Ok: queued as "),
        "{reply:?}"
    );
    run.assert(r#"{"delivered": {"to": "bob@friend.test", "folder": "INBOX"}}"#);
    run.assert(r#"{"hop": {"index": 1, "from": "stranger-pc", "protocol": "SMTP"}}"#);
    run.assert(
        r#"{"header": {"to": "bob@friend.test", "name": "Subject", "matches": "^Typed by hand$"}}"#,
    );
    let eml = run
        .trace
        .events
        .iter()
        .find_map(|r| match &r.event {
            Event::Stored(s) => Some(s.eml.clone()),
            _ => None,
        })
        .expect("a stored copy");
    assert!(
        eml.ends_with(
            "Subject: Typed by hand\r\n\r\nHello Bob,\r\n.a line that starts with a dot, doubled by hand\r\n"
        ),
        "{eml}"
    );
    assert!(
        eml.contains("\r\nReceived: from stranger.test (unknown [203.0.113."),
        "{eml}"
    );
}

#[test]
fn the_typist_stops_when_the_server_hangs_up() {
    let run = stranger_types(
        r#", "refuse": [{"phase": "connect", "reply": "421 4.3.2 Service shutting down"}]"#,
        &["EHLO stranger.test", "MAIL FROM:<a@stranger.test>", "QUIT"],
    );
    let stopped: Vec<(Stop, usize)> = run
        .trace
        .events
        .iter()
        .filter_map(|r| match &r.event {
            Event::TypingStopped {
                reason, untyped, ..
            } => Some((*reason, *untyped)),
            _ => None,
        })
        .collect();
    assert_eq!(stopped, [(Stop::Closed, 3)]);
    assert_eq!(
        transcript(&run.trace),
        ["S: 421 4.3.2 Service shutting down"]
    );
    assert_eq!(run.trace.events.last().unwrap().event.kind(), "end");
}

#[test]
fn a_typed_session_is_the_same_on_every_run() {
    let first = stranger_types(r#", "open_relay": true"#, RELAY_ATTEMPT);
    let second = stranger_types(r#", "open_relay": true"#, RELAY_ATTEMPT);
    assert_eq!(first.trace, second.trace);
}

#[test]
fn a_client_that_only_types_needs_no_user_or_submit_but_a_sender_does() {
    let text = std::fs::read_to_string(format!(
        "{}/scenarios/open-relay.json",
        env!("CARGO_MANIFEST_DIR")
    ))
    .unwrap();
    let sends = text.replacen(
        r#""script": ["#,
        r#""script": [{"at": "0s", "send": {"from": "stranger-pc", "to": ["carol@third.test"]}},"#,
        1,
    );
    let err = mailhop::scenario::load_str("sends.json", &sends).unwrap_err();
    let messages: Vec<&str> = err.problems.iter().map(|p| p.message.as_str()).collect();
    assert_eq!(
        messages,
        [
            "a mail client needs a `user`: the address of the person using it",
            "a mail client needs `submit`: the server it hands outgoing mail to",
        ]
    );
}

/// Problems in a `type` step, each found where it was written, with a hint.
#[test]
fn bad_type_steps_are_located_with_hints() {
    let step = |body: &str| {
        format!(
            r#"{{
  "id": "bad", "title": {{"en": "Bad", "pt": "Ruim"}},
  "nodes": {{
    "stranger-pc": {{"role": "mua"}},
    "mx.friend.test": {{"role": "mda", "mailboxes": ["bob@friend.test"]}}
  }},
  "script": [
    {body}
  ]
}}"#
        )
    };
    // The one problem in the script (a client with no step of its own
    // also needs a `user` and `submit`, which is not the point here).
    let one = |body: &str| {
        let mut problems: Vec<_> = mailhop::scenario::load_str("bad.json", &step(body))
            .unwrap_err()
            .problems
            .into_iter()
            .filter(|p| p.path.starts_with("script"))
            .collect();
        assert_eq!(problems.len(), 1, "{problems:#?}");
        let p = problems.remove(0);
        (
            format!("{}:{}:{} {}", p.file, p.line, p.column, p.path),
            p.message,
            p.hint.unwrap_or_default(),
        )
    };

    let (at, message, hint) = one(
        r#"{"at": "0s", "type": {"by": "stranger-pc", "to": "mx.frend.test", "lines": ["QUIT"]}}"#,
    );
    assert_eq!(at, "bad.json:8:54 script[0].type.to");
    assert_eq!(message, "there is no node named `mx.frend.test`");
    assert_eq!(hint, "did you mean `mx.friend.test`?");

    let (at, message, hint) = one(
        r#"{"at": "0s", "type": {"by": "stranger-pc", "to": "stranger-pc", "lines": ["QUIT"]}}"#,
    );
    assert_eq!(at, "bad.json:8:54 script[0].type.to");
    assert_eq!(message, "`stranger-pc` is a node, but not a server");
    assert_eq!(hint, "valid here: mx.friend.test");

    let (at, message, hint) = one(
        r#"{"at": "0s", "type": {"by": "stranger-pc", "to": "mx.friend.test", "port": "25", "lines": ["QUIT"]}}"#,
    );
    assert_eq!(at, "bad.json:8:83 script[0].type.port");
    assert!(
        message.starts_with("invalid type: string \"25\", expected u16"),
        "{message}"
    );
    assert_eq!(
        hint,
        "ports and other numbers are written without quotes, like 25"
    );

    let (at, message, _) = one(
        r#"{"at": "0s", "type": {"by": "stranger-pc", "to": "mx.friend.test", "port": 0, "lines": ["QUIT"]}}"#,
    );
    assert_eq!(at, "bad.json:8:80 script[0].type.port");
    assert_eq!(message, "port 0 is not a port anything listens on");

    let (at, message, hint) =
        one(r#"{"at": "0s", "type": {"by": "stranger-pc", "to": "mx.friend.test", "lines": []}}"#);
    assert_eq!(at, "bad.json:8:81 script[0].type.lines");
    assert_eq!(message, "there is nothing to type");
    assert!(hint.contains("EHLO"), "{hint}");

    let (at, message, hint) = one(
        r#"{"at": "0s", "type": {"by": "stranger-pc", "to": "mx.friend.test", "lines": ["EHLO a\r\nQUIT"]}}"#,
    );
    assert_eq!(at, "bad.json:8:82 script[0].type.lines[0]");
    assert_eq!(message, "a line cannot contain a line break");
    assert!(hint.contains("a string of its own"), "{hint}");

    let long = "x".repeat(999);
    let (at, message, _) = one(&format!(
        r#"{{"at": "0s", "type": {{"by": "stranger-pc", "to": "mx.friend.test", "lines": ["{long}"]}}}}"#
    ));
    assert_eq!(at, "bad.json:8:82 script[0].type.lines[0]");
    assert_eq!(
        message,
        "this line is 999 bytes long, more than the 998 an SMTP line may have"
    );

    let (at, message, hint) = one(r#"{"at": "0s"}"#);
    assert_eq!(at, "bad.json:8:5 script[0]");
    assert_eq!(
        message,
        "this step does nothing: it has none of `send`, `type`, `fetch` and `file`"
    );
    assert!(hint.contains("\"type\": {\"by\""), "{hint}");

    let (at, message, hint) = one(
        r#"{"at": "0s", "send": {"from": "stranger-pc", "to": ["bob@friend.test"]}, "type": {"by": "stranger-pc", "to": "mx.friend.test", "lines": ["QUIT"]}}"#,
    );
    assert_eq!(at, "bad.json:8:78 script[0].type");
    assert_eq!(
        message,
        "a step does one thing, and this one has both `send` and `type`"
    );
    assert_eq!(hint, "split it into steps, each with its own `at`");

    let (at, message, hint) = one(
        r#"{"at": "0s", "type": {"by": "stranger-pc", "to": "mx.friend.test", "line": ["QUIT"]}}"#,
    );
    assert_eq!(at, "bad.json:8:77 script[0].type.line");
    assert!(message.starts_with("unknown field `line`"), "{message}");
    assert!(hint.starts_with("did you mean `lines`?"), "{hint}");
}

#[test]
fn validate_points_at_a_misspelt_server_in_a_type_step() {
    let original = std::fs::read_to_string(format!(
        "{}/scenarios/open-relay.json",
        env!("CARGO_MANIFEST_DIR")
    ))
    .unwrap();
    let broken = original.replacen(
        r#""to": "mail.sloppy.test""#,
        r#""to": "mail.slopy.test""#,
        1,
    );
    assert_ne!(broken, original);
    let dir = std::env::temp_dir().join(format!("mailhop-typing-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let path = dir.join("open-relay.json");
    std::fs::write(&path, broken).unwrap();
    let out = Command::new(env!("CARGO_BIN_EXE_mailhop"))
        .args(["validate", path.to_str().unwrap()])
        .output()
        .expect("the binary runs");
    assert_eq!(out.status.code(), Some(2));
    assert_eq!(
        String::from_utf8_lossy(&out.stderr),
        format!(
            "{}:62:15: error at script[1].type.to: there is no node named `mail.slopy.test`\n  hint: did you mean `mail.sloppy.test`?\n",
            path.display()
        )
    );
}

#[test]
fn the_player_tells_a_refused_typed_session_in_both_languages() {
    let path = format!("{}/scenarios/open-relay.json", env!("CARGO_MANIFEST_DIR"));
    let run = Run::file(&path).unwrap_or_else(|err| panic!("{err}"));
    let data = mailhop::player::build(&run.scenario, &run.trace);
    // The refused session moved no message: it is a step of its own, with
    // the reply that said no, and the typed lines in its log.
    let step = &data.steps[1];
    assert_eq!(step.kind, "session");
    let session = step.session.as_ref().unwrap();
    assert_eq!(
        session.refusal.as_deref(),
        Some("554 5.7.1 <carol@third.test>: Relay access denied")
    );
    assert_eq!(
        session.text_pt,
        "mail.careful.test recusa o que stranger-pc oferece: 554 5.7.1 <carol@third.test>: Relay access denied"
    );
    let refusal = step
        .events
        .iter()
        .find(|e| e.kind == "typed" && e.text.contains("554 5.7.1"))
        .expect("the refusal is in the log");
    assert_eq!(
        refusal.text,
        r#"stranger-pc types "RCPT TO:<carol@third.test>" to mail.careful.test, which answers "554 5.7.1 <carol@third.test>: Relay access denied""#
    );
    assert_eq!(
        refusal.text_pt,
        r#"stranger-pc digita "RCPT TO:<carol@third.test>" para mail.careful.test, que responde "554 5.7.1 <carol@third.test>: Relay access denied""#
    );
    let next = &data.steps[2];
    assert_eq!(next.kind, "hop");
    assert!(
        next.events
            .iter()
            .any(|e| e.text == "stranger-pc types an empty line to mail.sloppy.test"),
        "{:#?}",
        next.events
    );
    let stranger = data.nodes.iter().find(|n| n.name == "stranger-pc").unwrap();
    assert_eq!(stranger.lane, "sender");
}

#[test]
fn the_typist_gives_up_after_five_minutes_of_silence() {
    // After STARTTLS the server waits for a TLS record. A typed line that
    // starts like one, announcing 16384 bytes, keeps it waiting in silence.
    let run = stranger_types(
        r#""#,
        &[
            "EHLO stranger.test",
            "STARTTLS",
            "\u{16}\u{3}\u{1}\u{40}\u{0}",
            "QUIT",
        ],
    );
    let events: Vec<(u64, &Event)> = run
        .trace
        .events
        .iter()
        .filter(|r| matches!(r.event, Event::Typed(_) | Event::TypingStopped { .. }))
        .map(|r| (r.t, &r.event))
        .collect();
    assert_eq!(events.len(), 4, "{events:#?}");
    let (typed_at, _) = events[1];
    let (gave_up_at, last) = events[2];
    assert!(
        matches!(last, Event::Typed(t) if t.reply.is_none()),
        "{last:?}"
    );
    assert_eq!(gave_up_at - typed_at, 5 * 60 * 1000, "{events:#?}");
    assert!(
        matches!(
            events[3].1,
            Event::TypingStopped {
                reason: Stop::NoReply,
                untyped: 1,
                ..
            }
        ),
        "{events:#?}"
    );
    // Hanging up ends the server's wait too.
    assert_eq!(count(&run.trace, "closed"), 1);
}

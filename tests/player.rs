//! The player data tells the whole story: every session and every copy is
//! a step, not only the hops (issue 10, item 1).

use mailhop::harness::Run;

fn data(name: &str) -> mailhop::player::PlayerData {
    let path = format!("{}/scenarios/{name}.json", env!("CARGO_MANIFEST_DIR"));
    let run = Run::file(&path).unwrap_or_else(|err| panic!("{err}"));
    mailhop::player::build(&run.scenario, &run.trace)
}

#[test]
fn the_refused_session_in_bounces_is_a_step_showing_550_5_1_1() {
    let data = data("bounces");
    let kinds: Vec<&str> = data.steps.iter().map(|s| s.kind).collect();
    assert_eq!(
        kinds,
        ["start", "hop", "session", "stored", "hop", "stored", "end"]
    );
    let step = &data.steps[2];
    let session = step.session.as_ref().unwrap();
    assert_eq!(
        (session.from.as_str(), session.to.as_str()),
        ("mail.home.test", "mx.friend.test")
    );
    assert_eq!(session.code.as_deref(), Some("550"));
    assert!(
        session
            .refusal
            .as_deref()
            .unwrap()
            .starts_with("550 5.1.1 <bbo@friend.test>"),
        "{session:#?}"
    );
    assert!(
        session
            .conversation
            .iter()
            .any(|l| l.dir == "c" && l.text == "RCPT TO:<bbo@friend.test>"),
    );
    assert!(!session.wire.is_empty());
    assert_eq!(step.title.en, "Refused: mail.home.test → mx.friend.test");
    assert_eq!(step.title.pt, "Recusado: mail.home.test → mx.friend.test");
    // Its caption is the one written for `session:1`.
    assert!(step.caption.as_ref().unwrap().en.contains("550 5.1.1"));
    // The lookups of the step are there whoever made them: here the
    // receiving server's reverse lookup of the client.
    assert!(
        step.dns
            .iter()
            .any(|d| d.node == "mx.friend.test" && d.rtype == "PTR"),
        "{:#?}",
        step.dns
    );
}

#[test]
fn each_bounce_notification_is_a_step_that_opens_with_an_empty_return_path() {
    let data = data("bounces");
    let notices: Vec<_> = data.steps.iter().filter(|s| s.kind == "stored").collect();
    assert_eq!(notices.len(), 2);
    for step in &notices {
        let copy = step.stored.as_ref().unwrap();
        assert!(copy.eml.starts_with("Return-Path: <>\r\n"), "{}", copy.eml);
        assert!(copy.eml.contains("Content-Type: multipart/report"));
        assert_eq!(copy.node, "mail.home.test");
        assert_eq!(copy.place, "mailbox alice@home.test/INBOX");
        assert!(copy.readable);
        assert_eq!(step.title.en, "Notification on mail.home.test");
        assert!(
            copy.text
                .as_ref()
                .unwrap()
                .contains("delivery status notification")
        );
        assert!(
            copy.text_pt
                .as_ref()
                .unwrap()
                .contains("notificação de entrega")
        );
    }
    assert!(
        notices[0]
            .caption
            .as_ref()
            .unwrap()
            .en
            .contains("Return-Path is <>")
    );
    // By the first notice, the bounced message has left the queue.
    let held: Vec<_> = notices[0]
        .holders
        .iter()
        .map(|h| h.message.as_str())
        .collect();
    assert_eq!(held, ["m2"]);
}

#[test]
fn a_run_where_every_session_moved_a_message_keeps_one_step_per_hop() {
    let data = data("six-hops");
    let kinds: Vec<&str> = data.steps.iter().map(|s| s.kind).collect();
    assert_eq!(
        kinds,
        ["start", "hop", "hop", "hop", "hop", "hop", "hop", "end"]
    );
}

#[test]
fn captions_may_name_sessions_and_stored_copies() {
    let base = std::fs::read_to_string(format!(
        "{}/scenarios/bounces.json",
        env!("CARGO_MANIFEST_DIR")
    ))
    .unwrap();
    for (on, valid) in [
        ("session:2", true),
        ("stored:9", true),
        ("session:0", false),
        ("sessions:1", false),
    ] {
        let text = base.replacen("\"on\": \"session:1\"", &format!("\"on\": \"{on}\""), 1);
        let loaded = mailhop::scenario::load_str("bounces.json", &text);
        assert_eq!(loaded.is_ok(), valid, "{on}: {loaded:?}");
    }
}

#[test]
fn a_caption_on_a_session_the_run_never_has_is_unseen() {
    let path = format!("{}/scenarios/bounces.json", env!("CARGO_MANIFEST_DIR"));
    let text = std::fs::read_to_string(&path)
        .unwrap()
        .replacen("\"on\": \"stored:1\"", "\"on\": \"stored:3\"", 1)
        .replacen("\"on\": \"session:1\"", "\"on\": \"session:2\"", 1);
    let scenario = mailhop::scenario::load_str("bounces.json", &text).unwrap();
    let trace = mailhop::sim::run(&scenario).unwrap();
    let unseen = mailhop::player::unseen_captions(&scenario, &trace);
    let found: Vec<_> = unseen
        .iter()
        .map(|u| (u.on.as_str(), u.kind, u.made))
        .collect();
    assert_eq!(
        found,
        [("session:2", "session", 1), ("stored:3", "stored", 2)]
    );
}

#[test]
fn mail_exchangers_stand_in_preference_order_whichever_was_reached_first() {
    // In mx-fallback the mail reaches mx2 first (mx1 is down), yet the
    // picture keeps mx1 above mx2 above mx3, the way DNS ranks them.
    let data = data("mx-fallback");
    let recipient: Vec<&str> = data
        .nodes
        .iter()
        .filter(|n| n.lane == "recipient")
        .map(|n| n.name.as_str())
        .collect();
    assert_eq!(
        recipient,
        [
            "mx1.shop.test",
            "mx2.shop.test",
            "mx3.shop.test",
            "store.shop.test"
        ]
    );
}

#[test]
fn certificate_checks_are_told_in_portuguese_too() {
    use mailhop::narrate::reason_pt;
    assert_eq!(
        reason_pt(
            "session resumed; when it began: certificate for mail.home.test issued by the mailhop simulation CA, valid until 2027-01-05"
        ),
        "sessão retomada; quando ela começou: certificado de mail.home.test emitido pela mailhop simulation CA, válido até 2027-01-05"
    );
    assert_eq!(
        reason_pt(
            "opportunistic STARTTLS: the certificate was not checked (it would have failed: certificate expired)"
        ),
        "STARTTLS oportunista: o certificado não foi conferido (teria falhado: certificado vencido)"
    );
    let data = data("six-hops");
    let hop = data.steps[2].hop.as_ref().unwrap();
    assert_eq!(
        hop.tls_reason_pt.as_deref(),
        Some("STARTTLS oportunista: o certificado não foi conferido (teria passado)")
    );
}

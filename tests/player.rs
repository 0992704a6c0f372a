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

/// The player data of a scenario written inline.
fn data_of(json: &str) -> mailhop::player::PlayerData {
    let scenario =
        mailhop::scenario::load_str("inline.json", json).unwrap_or_else(|e| panic!("{e}"));
    let trace = mailhop::sim::run(&scenario).unwrap();
    mailhop::player::build(&scenario, &trace)
}

/// Alice sends to Bob; Bob's laptop reads by `protocol` (with `fetch`
/// fields added) at 3h, and then does `then` (more script steps).
fn bob_reads(fetch: &str, then: &str) -> String {
    format!(
        r#"{{
  "id": "reading", "title": {{"en": "Reading", "pt": "Lendo"}}, "seed": 7,
  "nodes": {{
    "alice-laptop": {{"role": "mua", "user": "alice@home.test", "password": "pw-a", "submit": "mail.home.test",
      "fetch": {{"server": "mail.home.test", "protocol": "imap"}}}},
    "mail.home.test": {{"role": "mta", "accounts": {{"alice@home.test": "pw-a"}}, "mailboxes": ["alice@home.test"]}},
    "mx.friend.test": {{"role": "mda", "mailboxes": ["bob@friend.test"], "accounts": {{"bob@friend.test": "tuna"}}}},
    "bob-laptop": {{"role": "mua", "user": "bob@friend.test", "password": "tuna",
      "fetch": {{"server": "mx.friend.test", {fetch}}}}}
  }},
  "dns": {{"friend.test": {{"MX": [{{"preference": 10, "host": "mx.friend.test"}}]}}}},
  "script": [
    {{"at": "0s", "send": {{"from": "alice-laptop", "to": ["bob@friend.test"], "subject": "Lunch?", "body": "Hi\n", "save_sent": true}}}},
    {{"at": "3h", "fetch": {{"by": "bob-laptop"}}}}{then}
  ]
}}"#
    )
}

/// What a step shows of one mailbox folder: (UID, message, flags, change).
fn folder(
    step: &mailhop::player::Step,
    mailbox: &str,
    name: &str,
) -> Vec<(u32, String, Vec<String>, Option<&'static str>)> {
    let state = step
        .mailboxes
        .as_ref()
        .expect("the mailboxes changed at this step");
    let mb = state.servers.iter().find(|m| m.mailbox == mailbox).unwrap();
    let f = mb.folders.iter().find(|f| f.name == name).unwrap();
    f.messages
        .iter()
        .map(|m| (m.uid, m.message.clone(), m.flags.clone(), m.change))
        .collect()
}

#[test]
fn six_hops_shows_the_inbox_filled_then_read_and_the_laptop_copy() {
    let data = data("six-hops");
    // Nothing is in a mailbox before hop 5: the steps carry no state.
    assert!(data.steps[..5].iter().all(|s| s.mailboxes.is_none()));
    let hop5 = &data.steps[5];
    assert_eq!(
        folder(hop5, "bob@friend.test", "INBOX"),
        [(1, "m1".into(), vec![], Some("new"))]
    );
    let state = hop5.mailboxes.as_ref().unwrap();
    assert_eq!(state.servers[0].node, "mx.friend.test");
    assert_eq!(state.servers[0].uidvalidity, Some(1767611881));
    assert_eq!(
        state.servers[0].folders[0].messages[0].subject.as_deref(),
        Some("Lunch on Friday?")
    );
    assert!(state.devices.is_empty());

    // Hop 6, the download by IMAP: the session marked it \Seen, and the
    // laptop holds its own copy, which the mailbox panel lists too.
    let hop6 = &data.steps[6];
    assert_eq!(hop6.hop.as_ref().unwrap().protocol, "IMAP");
    assert_eq!(
        folder(hop6, "bob@friend.test", "INBOX"),
        [(1, "m1".into(), vec!["\\Seen".into()], Some("flags"))]
    );
    let state = hop6.mailboxes.as_ref().unwrap();
    assert_eq!(
        state.servers[0].folders[0].messages[0].added_flags,
        ["\\Seen"]
    );
    let laptop = &state.devices[0];
    assert_eq!(laptop.node, "bob-laptop");
    assert_eq!(
        (
            laptop.copies[0].message.as_str(),
            laptop.copies[0].folder.as_str(),
            laptop.copies[0].uid,
            laptop.copies[0].change
        ),
        ("m1", "INBOX", Some(1), Some("new"))
    );
    let device: Vec<_> = hop6
        .holders
        .iter()
        .filter(|h| h.device)
        .map(|h| (h.node.as_str(), h.place.as_str()))
        .collect();
    assert_eq!(
        device,
        [("bob-laptop", "mail client's copy of bob@friend.test/INBOX")]
    );
    // The end changes nothing: it carries no state, the page keeps the last.
    assert!(data.steps[7].mailboxes.is_none());

    // The download runs inside the recipient's lane.
    let lane = |name: &str| data.nodes.iter().find(|n| n.name == name).unwrap().lane;
    assert_eq!(
        (lane("mx.friend.test"), lane("bob-laptop")),
        ("recipient", "recipient")
    );
    // The ledger counts the laptop apart from the servers.
    let devices: Vec<_> = data
        .exposure
        .nodes
        .iter()
        .filter(|n| n.device)
        .map(|n| n.node.as_str())
        .collect();
    assert_eq!(devices, ["bob-laptop"]);
    assert_eq!(data.exposure.nodes.len(), 6);
}

#[test]
fn a_pop3_client_that_deletes_leaves_the_inbox_empty_and_keeps_its_copy() {
    let data = data_of(&bob_reads(r#""protocol": "pop3", "delete": true"#, ""));
    let download = data
        .steps
        .iter()
        .find(|s| s.hop.as_ref().is_some_and(|h| h.protocol == "POP3"))
        .unwrap();
    assert_eq!(folder(download, "bob@friend.test", "INBOX"), []);
    let state = download.mailboxes.as_ref().unwrap();
    let inbox = &state
        .servers
        .iter()
        .find(|m| m.mailbox == "bob@friend.test")
        .unwrap()
        .folders[0];
    let gone: Vec<_> = inbox
        .gone
        .iter()
        .map(|g| (g.uid, g.message.as_str(), g.by.as_str()))
        .collect();
    assert_eq!(gone, [(1, "m1", "DELE")]);
    // The server holds no copy of it any more; the laptop does.
    let held: Vec<_> = download
        .holders
        .iter()
        .filter(|h| h.message == "m1")
        .map(|h| (h.node.as_str(), h.place.as_str()))
        .collect();
    assert_eq!(
        held,
        [
            ("mail.home.test", "mailbox alice@home.test/Sent"),
            ("bob-laptop", "mail client's copy of bob@friend.test/INBOX")
        ]
    );
    // The lines of the POP3 session are its conversation.
    let conversation = &download.hop.as_ref().unwrap().conversation;
    assert!(
        conversation
            .iter()
            .any(|l| l.dir == "c" && l.text == "DELE 1"),
        "{conversation:?}"
    );
}

#[test]
fn a_sent_copy_is_appended_seen_and_a_move_changes_folder_and_uid() {
    let then =
        r#", {"at": "4h", "file": {"by": "bob-laptop", "subject": "Lunch?", "folder": "Junk"}}"#;
    let data = data_of(&bob_reads(r#""protocol": "imap""#, then));
    // save_sent: an APPEND hop into alice's Sent, already \Seen.
    let append = data
        .steps
        .iter()
        .find(|s| {
            s.hop
                .as_ref()
                .is_some_and(|h| h.protocol == "IMAP" && h.to == "mail.home.test")
        })
        .unwrap();
    assert_eq!(
        folder(append, "alice@home.test", "Sent"),
        [(1, "m1".into(), vec!["\\Seen".into()], Some("new"))]
    );
    // The `file` step: a session that downloads nothing and moves m1 to Junk.
    let filed = data.steps.iter().rfind(|s| s.kind == "session").unwrap();
    let session = filed.session.as_ref().unwrap();
    assert_eq!(
        (session.protocol, session.code.as_deref()),
        (Some("IMAP"), None)
    );
    assert_eq!(
        filed.title.en,
        "No message downloaded: bob-laptop → mx.friend.test"
    );
    assert_eq!(folder(filed, "bob@friend.test", "INBOX"), []);
    assert_eq!(
        folder(filed, "bob@friend.test", "Junk"),
        [(1, "m1".into(), vec!["\\Seen".into()], Some("moved"))]
    );
    let state = filed.mailboxes.as_ref().unwrap();
    let bob = state
        .servers
        .iter()
        .find(|m| m.mailbox == "bob@friend.test")
        .unwrap();
    assert_eq!(bob.folders[0].gone[0].by, "MOVE");
    assert_eq!(bob.folders[0].gone[0].to.as_deref(), Some("Junk"));
    assert!(
        filed
            .holders
            .iter()
            .any(|h| h.node == "mx.friend.test" && h.place == "mailbox bob@friend.test/Junk")
    );
    assert!(
        !filed
            .holders
            .iter()
            .any(|h| h.place == "mailbox bob@friend.test/INBOX")
    );
    // The log names the message of each mailbox event.
    let moved = filed.events.iter().find(|e| e.kind == "moved").unwrap();
    assert_eq!(moved.message.as_deref(), Some("m1"));
}

#[test]
fn a_refused_login_is_a_refusal_in_imap_and_pop3_words() {
    for (fetch, code, protocol) in [
        (r#""protocol": "imap""#, "NO", "IMAP"),
        (r#""protocol": "pop3""#, "-ERR", "POP3"),
    ] {
        let json = bob_reads(fetch, "").replace(r#""password": "tuna""#, r#""password": "wrong""#);
        let data = data_of(&json);
        let step = data.steps.iter().find(|s| s.kind == "session").unwrap();
        let session = step.session.as_ref().unwrap();
        assert_eq!(session.protocol, Some(protocol));
        assert_eq!(session.code.as_deref(), Some(code), "{session:#?}");
        assert!(
            session
                .refusal
                .as_deref()
                .unwrap()
                .contains("uthentication failed")
        );
        assert_eq!(step.title.en, "Refused: bob-laptop → mx.friend.test");
        assert!(
            session
                .text
                .starts_with("mx.friend.test says no to bob-laptop: "),
            "{}",
            session.text
        );
    }
}

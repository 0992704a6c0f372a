//! The player data tells the whole story: every session and every copy is
//! a step, not only the hops (issue 10, item 1).

use mailhop::harness::Run;
use mailhop::trace::senders::{Action, Verdict};

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

/// A bank whose outbound server signs with DKIM, a forger typing SMTP to
/// Bob's server with the bank's address, and Bob's server checking
/// strangers' mail (the spoofing scenario's shape).
const FORGED_BANK: &str = r#"{
  "id": "forged", "title": {"en": "Forged", "pt": "Forjado"}, "seed": 12,
  "nodes": {
    "alice-laptop": {"role": "mua", "user": "alice@bank.test", "password": "pw", "submit": "smtp.bank.test"},
    "smtp.bank.test": {"role": "msa", "accounts": {"alice@bank.test": "pw"}, "dkim": {"domain": "bank.test", "selector": "2026"}},
    "mail.phish.test": {"role": "mta"},
    "mx.friend.test": {"role": "mda", "mailboxes": ["bob@friend.test"], "check_senders": {}}
  },
  "dns": {
    "bank.test": {"TXT": ["v=spf1 a:smtp.bank.test -all"]},
    "_dmarc.bank.test": {"TXT": ["v=DMARC1; p=reject"]},
    "friend.test": {"MX": [{"preference": 10, "host": "mx.friend.test"}]}
  },
  "script": [
    {"at": "0s", "send": {"from": "alice-laptop", "to": ["bob@friend.test"], "subject": "Your card", "body": "Hi Bob\n"}},
    {"at": "10m", "type": {"by": "mail.phish.test", "to": "mx.friend.test", "port": 25, "lines": [
      "EHLO mail.phish.test", "MAIL FROM:<security@bank.test>", "RCPT TO:<bob@friend.test>", "DATA",
      "From: Bank Security <security@bank.test>", "To: bob@friend.test", "Subject: Confirm your password", "",
      "Reply with your password.", ".", "QUIT"]}}
  ]
}"#;

fn lookups(dns: &[mailhop::player::DnsView]) -> Vec<String> {
    dns.iter()
        .map(|d| format!("{} {}", d.name, d.rtype))
        .collect()
}

#[test]
fn the_forgery_refused_by_dmarc_shows_its_checks_in_its_own_step() {
    let data = data_of(FORGED_BANK);
    let kinds: Vec<&str> = data.steps.iter().map(|s| s.kind).collect();
    assert_eq!(kinds, ["start", "hop", "hop", "session", "end"]);

    // Hop 1: the bank's server signs Alice's message.
    let signed = &data.steps[1].auth.as_ref().unwrap().signed;
    assert_eq!(signed.len(), 1);
    assert_eq!(
        (signed[0].domain.as_str(), signed[0].selector.as_str()),
        ("bank.test", "2026")
    );
    assert!(signed[0].header.starts_with("DKIM-Signature: v=1;"));
    assert!(signed[0].text_pt.contains("assinou m1 com DKIM"));

    // Hop 2: the real mail passes everything and is accepted.
    let step = &data.steps[2];
    let real = &step.auth.as_ref().unwrap().checks[0];
    assert_eq!(real.message, "m1");
    assert_eq!(real.spf.result, Verdict::Pass);
    assert_eq!(real.dkim.len(), 1);
    assert_eq!(real.dkim[0].result, Verdict::Pass);
    assert_eq!(real.dmarc.result, Verdict::Pass);
    assert_eq!(real.action, Action::Accept);
    assert_eq!(real.decision.en, "accepted");
    for name in [
        "bank.test TXT",
        "2026._domainkey.bank.test TXT",
        "_dmarc.bank.test TXT",
    ] {
        assert!(lookups(&real.dns).iter().any(|l| l == name), "{name}");
        assert!(lookups(&step.dns).iter().any(|l| l == name), "{name}");
    }

    // The refusal: a session step of its own, with the checks that
    // refused it and the reason in both languages.
    let step = &data.steps[3];
    assert_eq!(step.session.as_ref().unwrap().code.as_deref(), Some("550"));
    let auth = step.auth.as_ref().unwrap();
    assert!(auth.signed.is_empty() && auth.spam.is_empty() && auth.forwards.is_empty());
    let forged = &auth.checks[0];
    assert_eq!(forged.message, "m2");
    assert_eq!(forged.mail_from, "security@bank.test");
    assert_eq!(forged.spf.domain, "bank.test");
    assert_eq!(forged.spf.result, Verdict::Fail);
    assert!(forged.dkim.is_empty(), "no signature");
    assert_eq!(forged.dmarc.domain, "bank.test");
    assert_eq!(forged.dmarc.result, Verdict::Fail);
    assert_eq!(forged.dmarc.policy.as_deref(), Some("reject"));
    assert_eq!(forged.action, Action::Reject);
    assert_eq!(
        forged.reply.as_deref(),
        Some("550 5.7.1 Rejected by DMARC policy for bank.test")
    );
    assert_eq!(
        forged.decision.en,
        "refused, because bank.test asks receivers to reject mail that fails DMARC (p=reject)"
    );
    assert!(forged.decision.pt.starts_with("recusada, porque bank.test"));
    assert!(forged.spf.why.en.contains("may not send its mail"));
    assert!(forged.dmarc.why.pt.contains("nem SPF nem DKIM"));
    for name in ["bank.test TXT", "_dmarc.bank.test TXT"] {
        assert!(lookups(&forged.dns).iter().any(|l| l == name), "{name}");
        assert!(lookups(&step.dns).iter().any(|l| l == name), "{name}");
    }
    // The step log's line about the check names the message it is about.
    let line = step
        .events
        .iter()
        .find(|e| e.kind == "sender_checked")
        .unwrap();
    assert_eq!(line.message.as_deref(), Some("m2"));
    assert_eq!(line.code.as_deref(), Some("5.7.1"));

    // Steps with nothing of the kind carry no `auth`, and neither does a
    // run with no sender checks at all.
    assert!(data.steps[0].auth.is_none() && data.steps[4].auth.is_none());
    let six = serde_json::to_value(self::data("six-hops")).unwrap();
    assert!(
        six["steps"]
            .as_array()
            .unwrap()
            .iter()
            .all(|s| s.get("auth").is_none())
    );
}

/// Bob's old address forwards to a new provider (SRS, a footer, an ARC
/// seal); the new provider trusts the seal and runs a spam filter, which
/// files a lottery bot's message into Junk.
const FORWARDED: &str = r#"{
  "id": "fwd", "title": {"en": "Forward", "pt": "Encaminhar"}, "seed": 5,
  "nodes": {
    "alice-laptop": {"role": "mua", "user": "alice@bank.test", "password": "pw", "submit": "smtp.bank.test"},
    "smtp.bank.test": {"role": "msa", "accounts": {"alice@bank.test": "pw"}, "dkim": {"domain": "bank.test", "selector": "2026"}},
    "mx.old.test": {"role": "mta", "mailboxes": ["bob@old.test"], "check_senders": {}, "arc": {"domain": "old.test"},
      "forward_to": {"bob@old.test": "bob@new.test"}, "forwarding": {"srs": true, "footer": "-- sent through old.test"}},
    "mx.new.test": {"role": "mda", "mailboxes": ["bob@new.test"], "check_senders": {"trust_arc": ["old.test"]},
      "spam": {"junk_at": 5, "reject_at": 9}},
    "bot.spam.test": {"role": "mta"}
  },
  "dns": {
    "bank.test": {"TXT": ["v=spf1 a:smtp.bank.test -all"]},
    "_dmarc.bank.test": {"TXT": ["v=DMARC1; p=reject"]},
    "old.test": {"MX": [{"preference": 10, "host": "mx.old.test"}], "TXT": ["v=spf1 a:mx.old.test -all"]},
    "new.test": {"MX": [{"preference": 10, "host": "mx.new.test"}]}
  },
  "script": [
    {"at": "0s", "send": {"from": "alice-laptop", "to": ["bob@old.test"], "subject": "Card", "body": "Hi Bob\n"}},
    {"at": "10m", "type": {"by": "bot.spam.test", "to": "mx.new.test", "port": 25, "lines": [
      "EHLO bot.spam.test", "MAIL FROM:<winner@lotto.test>", "RCPT TO:<bob@new.test>", "DATA",
      "From: Lotto <winner@lotto.test>", "Subject: YOU HAVE WON", "",
      "You have won the lottery prize! One million dollars by wire transfer.", "http://192.0.2.99/claim", ".", "QUIT"]}}
  ]
}"#;

#[test]
fn a_forward_an_arc_seal_and_spam_scores_show_where_they_happen() {
    let data = data_of(FORWARDED);
    let hop = |n: u32| {
        data.steps
            .iter()
            .find(|s| s.hop.as_ref().is_some_and(|h| h.hop == n))
            .unwrap()
    };
    // Hop 2 reaches the forwarder: its check, then the forward.
    let auth = hop(2).auth.as_ref().unwrap();
    assert_eq!(auth.checks[0].node, "mx.old.test");
    assert_eq!(auth.checks[0].action, Action::Accept);
    let forward = &auth.forwards[0];
    assert_eq!(
        (forward.recipient.as_str(), forward.to.as_str()),
        ("bob@old.test", "bob@new.test")
    );
    assert!(forward.rewritten.as_deref().unwrap().starts_with("SRS0="));
    assert!(forward.footer);
    assert_eq!(forward.sealed.as_deref(), Some("old.test"));
    assert!(forward.text.contains("(SRS)") && forward.text_pt.contains("(SRS)"));

    // Hop 3 reaches the new provider: the footer broke DKIM, SRS moved SPF
    // to old.test, so DMARC fails; the trusted ARC seal lets it in, and the
    // spam filter scores it below Junk.
    let auth = hop(3).auth.as_ref().unwrap();
    let check = &auth.checks[0];
    assert_eq!(check.spf.domain, "old.test");
    assert_eq!(check.spf.result, Verdict::Pass);
    assert_ne!(check.dkim[0].result, Verdict::Pass);
    assert!(check.dkim[0].why.en.contains("body hash does not match"));
    assert!(check.dkim[0].why.pt.contains("o hash do corpo não confere"));
    assert_eq!(check.dmarc.result, Verdict::Fail);
    assert_eq!(check.arc.result, Verdict::Pass);
    assert_eq!(check.arc.sealers, ["old.test"]);
    assert!(
        check
            .arc
            .sealed_results
            .as_deref()
            .unwrap()
            .contains("dmarc=pass")
    );
    assert_eq!(check.trusted_arc.as_deref(), Some("old.test"));
    assert_eq!(check.action, Action::Accept);
    assert!(check.decision.en.contains("mx.new.test trusts old.test"));
    let spam = &auth.spam[0];
    let rules: Vec<&str> = spam.rules.iter().map(|r| r.name.as_str()).collect();
    assert_eq!(rules, ["DKIM_INVALID", "DMARC_FAIL"]);
    assert_eq!(
        (spam.score, spam.junk_at, spam.reject_at),
        (4.0, 5.0, Some(9.0))
    );
    assert_eq!(spam.action, Action::Accept);
    assert_eq!(spam.verdict.en, "delivered normally");

    // The bot's message: scored over the Junk line, each rule explained.
    let auth = hop(4).auth.as_ref().unwrap();
    let spam = &auth.spam[0];
    assert_eq!(spam.action, Action::Junk);
    assert!(spam.score >= spam.junk_at);
    let money = spam.rules.iter().find(|r| r.name == "MONEY_WORDS").unwrap();
    assert!(money.meaning.en.contains("prizes or money"));
    assert!(money.meaning.pt.contains("prêmios ou dinheiro"));
    assert!(money.detail.as_deref().unwrap().contains("lottery"));
    assert_eq!(spam.verdict.pt, "marcada como spam, para o Lixo eletrônico");
}

#[test]
fn greylisting_answers_show_in_the_steps_of_their_sessions() {
    let data = data("greylisting");
    let notes: Vec<(usize, &str, Option<&str>)> = data
        .steps
        .iter()
        .enumerate()
        .flat_map(|(i, s)| {
            s.auth
                .iter()
                .flat_map(move |a| a.client.iter().map(move |n| (i, n.kind, n.code.as_deref())))
        })
        .collect();
    // Each greylisted session is a step of its own that says why: 451.
    let greylisted: Vec<usize> = notes
        .iter()
        .filter(|(_, kind, code)| *kind == "greylisted" && *code == Some("451"))
        .map(|(i, ..)| *i)
        .collect();
    assert!(!greylisted.is_empty(), "{notes:?}");
    for i in greylisted {
        let step = &data.steps[i];
        assert_eq!(step.kind, "session");
        assert_eq!(step.session.as_ref().unwrap().code.as_deref(), Some("451"));
    }
    // The retry that gets through is a hop, and says so.
    let (i, ..) = notes
        .iter()
        .find(|(_, kind, _)| *kind == "greylist_passed")
        .unwrap();
    assert_eq!(data.steps[*i].kind, "hop");
    let note = data.steps[*i]
        .auth
        .as_ref()
        .unwrap()
        .client
        .iter()
        .find(|n| n.kind == "greylist_passed")
        .unwrap();
    assert_ne!(note.text, note.text_pt);
}

#[test]
fn a_message_refused_for_its_sender_is_a_failure_mark_on_the_timeline() {
    let data = data_of(FORGED_BANK);
    let marks: Vec<&str> = data
        .timeline
        .iter()
        .filter(|m| m.kind == "sender_checked")
        .map(|m| m.text.as_str())
        .collect();
    // Only the refusal: the bank's accepted mail is no mark.
    assert_eq!(marks.len(), 1, "{marks:?}");
    assert!(
        marks[0].contains("refused, because bank.test asks receivers to reject"),
        "{marks:?}"
    );
}

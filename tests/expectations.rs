//! Every kind of expectation, passing on a shipped scenario and failing,
//! with a readable message, once the world is changed: none of them can
//! pass whatever happens.

use mailhop::check::Outcome;
use mailhop::harness::Run;

/// A shipped scenario with some text replaced, run.
fn world(name: &str, edits: &[(&str, &str)]) -> Run {
    let path = format!("{}/scenarios/{name}", env!("CARGO_MANIFEST_DIR"));
    let mut text = std::fs::read_to_string(&path).unwrap();
    for (from, to) in edits {
        assert!(text.contains(from), "{from:?} is not in {name}");
        text = text.replacen(from, to, 1);
    }
    Run::json(name, &text).unwrap_or_else(|err| panic!("{err}"))
}

/// Checks that `claim` fails and that its report mentions each of `words`.
fn fails(run: &Run, claim: &str, words: &[&str]) -> Outcome {
    let outcome = run.check(claim);
    assert!(!outcome.passed, "should fail: {claim}\n{outcome}");
    let text = outcome.to_string();
    for word in words {
        assert!(text.contains(word), "{word:?} missing from:\n{text}");
    }
    outcome
}

const SIX_HOPS_NO_FAULT: (&str, &str) = (r#""until": "2h""#, r#""until": "1ms""#);

#[test]
fn shipped_scenarios_keep_all_their_promises() {
    for name in [
        "six-hops.json",
        "direct-mx.json",
        "mx-fallback.json",
        "bounces.json",
        "open-relay.json",
        "imap-vs-pop3.json",
        "autoconfig.json",
        "greylisting.json",
        "home-server.json",
        "spoofing.json",
        "forward-to-another-provider.json",
        "junk.json",
        "pgp.json",
        "starttls-stripping.json",
        "mx-forgery.json",
    ] {
        let run = world(name, &[]);
        assert!(!run.scenario.expect.is_empty(), "{name} claims nothing");
        for outcome in run.outcomes() {
            assert!(outcome.passed, "{name}: {outcome}");
        }
    }
}

#[test]
fn delivered_with_a_deadline_fails_when_the_server_stays_down_longer() {
    let claim = r#"{"delivered": {"to": "bob@friend.test", "folder": "INBOX", "before": "3h"}}"#;
    world("six-hops.json", &[]).assert(claim);
    let late = world("six-hops.json", &[(r#""until": "2h""#, r#""until": "5h""#)]);
    let outcome = fails(
        &late,
        claim,
        &[
            "before 3h",
            "delivered only as m1 in INBOX on mx.friend.test at +5h",
        ],
    );
    assert!(outcome.evidence.unwrap().hop == Some(5));
}

#[test]
fn delivered_after_fails_when_nothing_was_down() {
    let claim = r#"{"delivered": {"to": "bob@friend.test", "after": "2h"}}"#;
    world("six-hops.json", &[]).assert(claim);
    fails(
        &world("six-hops.json", &[SIX_HOPS_NO_FAULT]),
        claim,
        &[
            "after 2h",
            "delivered only as m1 in INBOX on mx.friend.test at +0.",
        ],
    );
}

#[test]
fn delivered_explains_a_bounce() {
    fails(
        &world("bounces.json", &[]),
        r#"{"delivered": {"to": "bbo@friend.test"}}"#,
        &["never delivered", "bounced by mail.home.test", "5.1.1"],
    );
}

#[test]
fn not_delivered_fails_once_the_mailbox_exists() {
    let claim = r#"{"not_delivered": {"to": "bbo@friend.test"}}"#;
    world("bounces.json", &[]).assert(claim);
    fails(
        &world(
            "bounces.json",
            &[(
                r#""mailboxes": ["bob@friend.test"]"#,
                r#""mailboxes": ["bob@friend.test", "bbo@friend.test"]"#,
            )],
        ),
        claim,
        &[
            "no copy in bbo@friend.test's mailbox",
            "delivered: m1 in INBOX on mx.friend.test",
        ],
    );
}

#[test]
fn bounced_fails_when_the_server_comes_back_in_time() {
    let claim = r#"{"bounced": {"recipient": "zed@gone.test", "status": "4.4.1", "notify": "alice@home.test"}}"#;
    world("bounces.json", &[]).assert(claim);
    let back = world(
        "bounces.json",
        &[(
            r#"{ "down": "mx.gone.test", "from": "0s" }"#,
            r#"{ "down": "mx.gone.test", "from": "0s", "until": "1h" }"#,
        )],
    );
    fails(
        &back,
        claim,
        &[
            "a bounce for zed@gone.test with status 4.4.1",
            "bbo@friend.test bounced by mail.home.test",
        ],
    );
    fails(
        &world("bounces.json", &[]),
        r#"{"bounced": {"recipient": "bbo@friend.test", "status": "5.1.2"}}"#,
        &["with status 5.1.2", "with 5.1.1"],
    );
}

#[test]
fn queued_at_end_fails_when_the_queue_empties() {
    let claim = r#"{"queued_at_end": {"node": "mail.home.test", "recipient": "zed@gone.test"}}"#;
    let lifetime = (r#""lifetime": "4h""#, r#""lifetime": "5d""#);
    let short_run = world(
        "bounces.json",
        &[lifetime, (r#""seed": 3,"#, r#""seed": 3, "until": "1d","#)],
    );
    short_run.assert(claim);
    fails(
        &world("bounces.json", &[]),
        claim,
        &["still in mail.home.test's queue", "every queue was empty"],
    );
}

#[test]
fn hops_counts_fail_when_the_backup_is_not_needed() {
    world("six-hops.json", &[]).assert(r#"{"hops": 6}"#);
    fails(
        &world("six-hops.json", &[SIX_HOPS_NO_FAULT]),
        r#"{"hops": 6}"#,
        &[
            "expected: 6 hops",
            "actual:   5 hops",
            "filter.spamco.test -> mx.friend.test",
        ],
    );
}

#[test]
fn hop_channel_tls_fails_when_starttls_is_turned_off() {
    let claim = r#"{"hop": {"from": "mail.home.test", "to": "smarthost.isp.test", "channel": "tls", "tls_version": "TLSv1.3", "protocol": "ESMTPS"}}"#;
    world("six-hops.json", &[]).assert(claim);
    let off = world(
        "six-hops.json",
        &[(
            r#""role": "smarthost","#,
            r#""role": "smarthost", "starttls": "none","#,
        )],
    );
    let outcome = fails(
        &off,
        claim,
        &[
            "channel plaintext",
            "protocol ESMTP",
            "TLS version none (no TLS)",
            "hop 2",
        ],
    );
    assert_eq!(outcome.evidence.unwrap().hop, Some(2));
}

#[test]
fn hop_plaintext_fails_when_the_filter_offers_starttls() {
    let claim = r#"{"hop": {"index": 3, "channel": "plaintext"}}"#;
    world("six-hops.json", &[]).assert(claim);
    fails(
        &world(
            "six-hops.json",
            &[(r#""starttls": "none","#, r#""starttls": "offer","#)],
        ),
        claim,
        &["expected: channel plaintext", "actual:   channel tls"],
    );
}

#[test]
fn hop_that_never_happened_lists_the_hops_that_did() {
    fails(
        &world("six-hops.json", &[SIX_HOPS_NO_FAULT]),
        r#"{"hop": {"from": "backup.friend.test", "to": "mx.friend.test"}}"#,
        &[
            "to exist",
            "no such hop",
            "3 smarthost.isp.test -> filter.spamco.test",
        ],
    );
}

#[test]
fn readable_at_rest_by_fails_when_the_set_changes() {
    let claim = r#"{"readable_at_rest_by": {"nodes": ["mail.home.test", "smarthost.isp.test", "filter.spamco.test", "backup.friend.test", "mx.friend.test", "bob-laptop"]}}"#;
    world("six-hops.json", &[]).assert(claim);
    fails(
        &world("six-hops.json", &[SIX_HOPS_NO_FAULT]),
        claim,
        &["(not: backup.friend.test)"],
    );
    fails(
        &world("six-hops.json", &[]),
        r#"{"readable_at_rest_by": {"nodes": ["mx.friend.test"]}}"#,
        &[
            "(also: backup.friend.test, bob-laptop, filter.spamco.test, mail.home.test, smarthost.isp.test)",
            "mail.home.test stored a readable copy",
        ],
    );
}

#[test]
fn not_readable_by_fails_when_the_first_mx_answers() {
    let claim = r#"{"not_readable_by": {"nodes": ["mx1.shop.test"]}}"#;
    world("mx-fallback.json", &[]).assert(claim);
    fails(
        &world(
            "mx-fallback.json",
            &[(r#""from": "0s" }"#, r#""from": "1h" }"#)],
        ),
        claim,
        &[
            "readable on mx1.shop.test",
            "mx1.shop.test stored a readable copy",
        ],
    );
}

#[test]
fn wire_visibility_follows_starttls() {
    let seen = r#"{"wire": {"between": ["smarthost.isp.test", "filter.spamco.test"], "text": "Are you free for lunch", "visible": true}}"#;
    let hidden = r#"{"wire": {"between": ["mail.home.test", "smarthost.isp.test"], "text": "Are you free for lunch", "visible": false}}"#;
    let normal = world("six-hops.json", &[]);
    normal.assert(seen);
    normal.assert(hidden);
    fails(
        &world(
            "six-hops.json",
            &[(r#""starttls": "none","#, r#""starttls": "offer","#)],
        ),
        seen,
        &["visible to an observer", "never appears in the bytes"],
    );
    let outcome = fails(
        &world(
            "six-hops.json",
            &[(
                r#""role": "smarthost","#,
                r#""role": "smarthost", "starttls": "none","#,
            )],
        ),
        hidden,
        &[
            "hidden to an observer",
            "appears in the clear on",
            "client to server",
        ],
    );
    assert_eq!(outcome.evidence.unwrap().hop, Some(2));
    fails(
        &normal,
        r#"{"wire": {"between": ["alice-laptop", "mx.friend.test"], "text": "x", "visible": false}}"#,
        &["never connected"],
    );
}

#[test]
fn reply_code_fails_when_the_user_exists() {
    let claim = r#"{"reply": {"node": "mx.friend.test", "command": "rcpt to:<bbo@", "code": 550}}"#;
    world("bounces.json", &[]).assert(claim);
    fails(
        &world(
            "bounces.json",
            &[(
                r#""mailboxes": ["bob@friend.test"]"#,
                r#""mailboxes": ["bob@friend.test", "bbo@friend.test"]"#,
            )],
        ),
        claim,
        &[
            "expected: 550",
            "\"RCPT TO:<bbo@friend.test>\" got \"250 2.1.5 Ok\"",
            "mx.friend.test replied",
        ],
    );
    fails(
        &world("bounces.json", &[]),
        r#"{"reply": {"node": "mx.friend.test", "command": "VRFY", "code": 252}}"#,
        &["never answered a command starting with \"VRFY\""],
    );
    world("bounces.json", &[])
        .assert(r#"{"reply": {"node": "mx.friend.test", "command": "greeting", "code": 220}}"#);
    world("bounces.json", &[])
        .assert(r#"{"reply": {"node": "mail.home.test", "command": "DATA", "code": 250}}"#);
}

#[test]
fn header_claims_fail_when_the_path_changes() {
    let count = r#"{"header": {"to": "bob@friend.test", "name": "received", "count": 5}}"#;
    let pattern = r#"{"header": {"to": "bob@friend.test", "name": "Received", "matches": "from backup\\.friend\\.test"}}"#;
    let normal = world("six-hops.json", &[]);
    normal.assert(count);
    normal.assert(pattern);
    let direct = world("six-hops.json", &[SIX_HOPS_NO_FAULT]);
    fails(&direct, count, &["5 time(s)", "received appears 4 time(s)"]);
    fails(
        &direct,
        pattern,
        &[
            "a value matching /from backup\\.friend\\.test/",
            "no value matches",
        ],
    );
    fails(
        &normal,
        r#"{"header": {"to": "bob@friend.test", "name": "Return-Path", "present": false}}"#,
        &[
            "no Return-Path header",
            "Return-Path is there: \"<alice@home.test>\"",
        ],
    );
    fails(
        &normal,
        r#"{"header": {"to": "carol@friend.test", "name": "Subject"}}"#,
        &["no copy was delivered to carol@friend.test"],
    );
}

const POP3_KEEPS: (&str, &str) = (
    r#""protocol": "pop3", "delete": true"#,
    r#""protocol": "pop3""#,
);

#[test]
fn fetched_and_mailbox_fail_when_pop3_leaves_the_message_on_the_server() {
    let run = world("imap-vs-pop3.json", &[]);
    let empty_phone = r#"{"fetched": {"by": "bob-phone", "count": 0}}"#;
    let empty_inbox = r#"{"mailbox": {"of": "bob@friend.test", "count": 0}}"#;
    run.assert(empty_phone);
    run.assert(empty_inbox);
    let kept = world("imap-vs-pop3.json", &[POP3_KEEPS]);
    fails(
        &kept,
        empty_phone,
        &[
            "expected: 0 download(s)",
            "actual:   1 download(s): m1 by IMAP from INBOX",
        ],
    );
    fails(
        &kept,
        empty_inbox,
        &["expected: 0 message(s)", "actual:   INBOX holds UID 1 m1"],
    );
}

#[test]
fn fetched_fails_for_the_wrong_protocol_and_says_why_nothing_came() {
    let run = world("imap-vs-pop3.json", &[]);
    run.assert(r#"{"fetched": {"by": "bob-laptop", "protocol": "pop3"}}"#);
    fails(
        &run,
        r#"{"fetched": {"by": "bob-laptop", "protocol": "imap"}}"#,
        &["at least one download by IMAP", "nothing downloaded"],
    );
    let wrong = world(
        "imap-vs-pop3.json",
        &[(
            r#""password": "tuna sandwich",
      "fetch": { "server": "mx.friend.test", "protocol": "pop3""#,
            r#""password": "tuna salad",
      "fetch": { "server": "mx.friend.test", "protocol": "pop3""#,
        )],
    );
    fails(
        &wrong,
        r#"{"fetched": {"by": "bob-laptop"}}"#,
        &["nothing downloaded; a session failed: the server refused the login: -ERR [AUTH]"],
    );
}

#[test]
fn mailbox_flags_fail_when_nobody_read_the_message() {
    let claim = r#"{"mailbox": {"of": "carol@friend.test", "holds": "m1", "flags": ["\\Seen"]}}"#;
    world("imap-vs-pop3.json", &[]).assert(claim);
    let unread = world(
        "imap-vs-pop3.json",
        &[
            (
                r#"{ "at": "1h10m", "fetch": { "by": "carol-laptop" } },"#,
                "",
            ),
            (
                r#"{ "at": "2h10m", "fetch": { "by": "carol-phone" } }"#,
                r#"{ "at": "2h10m", "fetch": { "by": "bob-phone" } }"#,
            ),
        ],
    );
    fails(
        &unread,
        claim,
        &["holds m1 with \\Seen", "actual:   INBOX holds UID 1 m1"],
    );
}

#[test]
fn discovered_fails_when_the_srv_record_is_gone() {
    let claim = r#"{"discovered": {"by": "bruno-phone", "incoming": "mx.small.test:993", "method": "srv"}}"#;
    world("autoconfig.json", &[]).assert(claim);
    let no_srv = world(
        "autoconfig.json",
        &[(
            r#""_imaps._tcp.small.test""#,
            r#""_imaps._tcp.elsewhere.test""#,
        )],
    );
    fails(
        &no_srv,
        claim,
        &[
            "expected: reads from mx.small.test:993, found with srv",
            "actual:   reads from small.test:993 (found with guess)",
        ],
    );
}

#[test]
fn discovered_fails_when_nothing_is_found() {
    let claim = r#"{"discovered": {"by": "bruno-phone"}}"#;
    world("autoconfig.json", &[]).assert(claim);
    let nothing = world(
        "autoconfig.json",
        &[
            (
                r#""_imaps._tcp.small.test""#,
                r#""_imaps._tcp.elsewhere.test""#,
            ),
            (r#""aliases": ["small.test", "smtp.small.test"],"#, ""),
        ],
    );
    fails(&nothing, claim, &["actual:   nothing: nothing was found"]);
}

#[test]
fn a_greylisting_refusal_fails_when_the_server_stops_greylisting() {
    let claim = r#"{"reply": {"node": "mx.friend.test", "command": "RCPT TO:<bob@friend.test>", "code": 451, "before": "2m"}}"#;
    world("greylisting.json", &[]).assert(claim);
    let open = world(
        "greylisting.json",
        &[(r#""checks": { "greylist": "5m" }"#, r#""checks": {}"#)],
    );
    fails(
        &open,
        claim,
        &[
            "reply of mx.friend.test to RCPT TO:<bob@friend.test>",
            "451 before 2m",
            "got \"250 2.1.5 Ok\"",
        ],
    );
}

#[test]
fn a_blocklist_refusal_fails_when_the_server_asks_no_blocklist() {
    let claim = r#"{"reply": {"node": "mx.friend.test", "command": "RCPT TO:<bob@friend.test>", "code": 554, "before": "2m"}}"#;
    world("home-server.json", &[]).assert(claim);
    let trusting = world(
        "home-server.json",
        &[(
            r#""blocklists": ["pbl.blocklist.test"],
        "reject_dynamic": true,
        "reverse_dns": "ptr""#,
            r#""blocklists": []"#,
        )],
    );
    fails(&trusting, claim, &["554 before 2m", "got \"250 2.1.5 Ok\""]);
}

/// The bank signs with a domain that is not its own and its SPF record no
/// longer lists its server: DKIM passes for mailer.test and SPF fails, so
/// nothing passes *aligned* with bank.test, the From domain.
const BANK_ALIGNMENT_BROKEN: [(&str, &str); 2] = [
    (
        r#""dkim": { "domain": "bank.test", "selector": "2026" }"#,
        r#""dkim": { "domain": "mailer.test", "selector": "2026" }"#,
    ),
    (
        r#""v=spf1 a:smtp.bank.test -all""#,
        r#""v=spf1 ip4:192.0.2.200 -all""#,
    ),
];

#[test]
fn authenticated_fails_when_dmarc_alignment_is_broken_on_purpose() {
    let claim = r#"{"authenticated": {"at": "mx.friend.test", "message": "m1", "spf": "pass", "dkim": "pass", "dmarc": "pass", "action": "accept"}}"#;
    world("spoofing.json", &[]).assert(claim);
    let broken = world("spoofing.json", &BANK_ALIGNMENT_BROKEN);
    // DKIM itself still passes (for mailer.test): only alignment is gone.
    broken.assert(r#"{"authenticated": {"at": "mx.friend.test", "message": "m1", "dkim": "pass", "dmarc": "fail", "action": "reject"}}"#);
    fails(
        &broken,
        claim,
        &[
            "expected: mx.friend.test checked m1: spf=pass dkim=pass dmarc=pass accept",
            "spf=fail dkim=pass dmarc=fail arc=none, reject",
        ],
    );
    fails(
        &broken,
        r#"{"delivered": {"to": "bob@friend.test"}}"#,
        &["never delivered"],
    );
}

#[test]
fn authenticated_fails_when_no_server_checked_that_sender() {
    let run = world("spoofing.json", &[]);
    fails(
        &run,
        r#"{"authenticated": {"at": "mx.friend.test", "sender": "nobody@bank.test"}}"#,
        &["checked no such message"],
    );
}

#[test]
fn spam_fails_when_the_filter_scores_lower_than_claimed() {
    let claim = r#"{"spam": {"at": "filter.mailguard.test", "message": "m2", "action": "junk", "min_score": 5, "rules": ["URI_IP"]}}"#;
    world("junk.json", &[]).assert(claim);
    let softer = world(
        "junk.json",
        &[(
            r#""spam": { "junk_at": 5, "reject_at": 12 }"#,
            r#""spam": { "junk_at": 5, "reject_at": 12, "scores": { "URI_IP": 0, "MONEY_WORDS": 0 } }"#,
        )],
    );
    fails(
        &softer,
        claim,
        &[
            "expected: filter.mailguard.test scored m2: junk, score at least 5.0, rules URI_IP",
            "m2 scored 3.5",
            "accept",
        ],
    );
    fails(
        &softer,
        r#"{"mailbox": {"of": "bob@friend.test", "folder": "INBOX", "count": 1}}"#,
        &["expected: 1 message(s)", "m2"],
    );
}

#[test]
fn readable_fails_when_the_client_does_not_encrypt() {
    let claim = r#"{"readable": {"message": "m1", "by": "filter.spamco.test", "envelope": true, "headers": true, "body": false}}"#;
    world("pgp.json", &[]).assert(claim);
    let plain = world("pgp.json", &[(r#""encrypt": true"#, r#""encrypt": false"#)]);
    let outcome = fails(
        &plain,
        claim,
        &[
            "what filter.spamco.test could read of m1",
            "body: no",
            "body: yes",
        ],
    );
    assert!(outcome.evidence.is_some());
}

#[test]
fn readable_subject_fails_when_the_headers_are_not_protected() {
    let claim = r#"{"readable": {"message": "m2", "by": "link", "subject": false, "body": false}}"#;
    world("pgp.json", &[]).assert(claim);
    let open = world(
        "pgp.json",
        &[(r#""protect_headers": true"#, r#""protect_headers": false"#)],
    );
    fails(
        &open,
        claim,
        &[
            "anyone on a link",
            "subject: yes",
            "The surprise party for Carol",
        ],
    );
}

#[test]
fn readable_fails_for_a_party_that_never_held_the_message() {
    let claim = r#"{"readable": {"message": "m1", "by": "alice-laptop", "body": true}}"#;
    fails(
        &world("pgp.json", &[]),
        claim,
        &["alice-laptop never held m1"],
    );
}

//! Attackers on the path and the cures against them, on the two shipped
//! scenarios `starttls-stripping.json` and `mx-forgery.json`: what each
//! claim shows, that it fails once the world changes (the attacker leaves,
//! a sender drops its policy), identical runs, and bad input.

use mailhop::check::Outcome;
use mailhop::harness::Run;
use mailhop::sim;
use mailhop::trace::{Channel, Event};
use serde_json::Value;

fn shipped_text(name: &str) -> String {
    let path = format!("{}/scenarios/{name}", env!("CARGO_MANIFEST_DIR"));
    std::fs::read_to_string(&path).unwrap()
}

/// A shipped scenario, changed by `edit` on its JSON, run.
fn world(name: &str, edit: impl FnOnce(&mut Value)) -> Run {
    let mut value: Value = serde_json::from_str(&shipped_text(name)).unwrap();
    edit(&mut value);
    Run::json(name, &value.to_string()).unwrap_or_else(|err| panic!("{err}"))
}

fn as_shipped(name: &str) -> Run {
    world(name, |_| {})
}

/// A shipped scenario as loaded (claims included), with the attacker taken
/// out of the world, run.
fn without_mallory(name: &str) -> Run {
    let mut scenario = mailhop::scenario::load_str(name, &shipped_text(name)).unwrap();
    assert!(scenario.nodes.remove("mallory").is_some());
    Run::scenario(scenario).unwrap_or_else(|err| panic!("{err}"))
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

/// The channel of every hop from `from` to `to`.
fn channels(run: &Run, from: &str, to: &str) -> Vec<Channel> {
    run.trace
        .hops()
        .filter(|(_, h)| h.from == from && h.to == to)
        .map(|(_, h)| h.channel)
        .collect()
}

#[test]
fn the_forged_mx_hop_is_labelled_without_authenticated_under_opportunistic_tls_and_refused_under_mta_sts_and_dane()
 {
    let run = as_shipped("mx-forgery.json");

    // Opportunistic TLS with certificate checks: the message goes to the
    // attacker's server, whose certificate is valid for its own name, and
    // the hop says only that much.
    assert_eq!(
        channels(&run, "smtp.open.test", "mx.evil.test"),
        [Channel::TlsNameOnly]
    );
    for (_, hop) in run.trace.hops() {
        if hop.to == "mx.evil.test" {
            assert_ne!(hop.channel, Channel::TlsAuthenticated, "{hop:?}");
        }
    }

    // MTA-STS enforce: the forged MX is not in the policy, no connection is
    // made, the message waits.
    assert!(channels(&run, "smtp.sts.test", "mx.evil.test").is_empty());
    run.assert(r#"{"tls_policy": {"node": "smtp.sts.test", "domain": "river.test", "policy": "mta-sts", "outcome": "failed", "enforced": true}}"#);
    run.assert(r#"{"queued_at_end": {"node": "smtp.sts.test"}}"#);

    // DANE: the zone is signed, the forgery is unsigned, the resolver
    // throws it away (SERVFAIL) and the message waits.
    assert!(channels(&run, "smtp.dane.test", "mx.evil.test").is_empty());
    run.assert(r#"{"attacked": {"attacker": "mallory", "did": "forged", "node": "smtp.dane.test", "refused": true}}"#);
    let deferred_on_servfail = run.trace.events.iter().any(|r| {
        matches!(&r.event, Event::Deferred(d) if d.node == "smtp.dane.test" && d.reason.contains("SERVFAIL"))
    });
    assert!(deferred_on_servfail);
    run.assert(r#"{"queued_at_end": {"node": "smtp.dane.test"}}"#);
    run.assert(r#"{"not_readable_by": {"nodes": ["mx.evil.test"], "message": "m2"}}"#);
    run.assert(r#"{"not_readable_by": {"nodes": ["mx.evil.test"], "message": "m3"}}"#);

    // Without the attacker the same three senders all deliver, and the two
    // with a policy can defend the name they checked.
    let honest = without_mallory("mx-forgery.json");
    assert_eq!(
        channels(&honest, "smtp.sts.test", "mx.river.test"),
        [Channel::TlsAuthenticated]
    );
    assert_eq!(
        channels(&honest, "smtp.dane.test", "mx.river.test"),
        [Channel::TlsAuthenticated]
    );
    assert_eq!(
        channels(&honest, "smtp.open.test", "mx.river.test"),
        [Channel::TlsNameOnly]
    );
}

#[test]
fn the_stripping_claims_fail_when_the_attacker_is_removed() {
    let run = without_mallory("starttls-stripping.json");
    for outcome in run.outcomes() {
        let claim = &outcome.claim;
        if claim.starts_with("attacked") || claim.starts_with("queued") {
            assert!(!outcome.passed, "should fail without mallory: {outcome}");
        }
    }
    fails(
        &run,
        r#"{"attacked": {"attacker": "mallory", "did": "stripped", "node": "smtp.open.test"}}"#,
        &[
            "mallory stripped against smtp.open.test",
            "mallory did nothing in this run",
        ],
    );
    fails(
        &run,
        r#"{"hop": {"from": "smtp.open.test", "to": "mx.river.test", "channel": "plaintext"}}"#,
        &["plaintext"],
    );
    fails(
        &run,
        r#"{"tls_policy": {"node": "smtp.sts.test", "domain": "river.test", "policy": "mta-sts", "outcome": "failed"}}"#,
        &["only: mta-sts river.test: fetched"],
    );
    // Everything arrives, over TLS.
    assert_eq!(
        channels(&run, "smtp.open.test", "mx.river.test"),
        [Channel::Tls]
    );
    let failed: Vec<Outcome> = run.outcomes().into_iter().filter(|o| !o.passed).collect();
    assert!(!failed.is_empty());
}

#[test]
fn the_forgery_claims_fail_when_the_attacker_is_removed() {
    let run = without_mallory("mx-forgery.json");
    fails(
        &run,
        r#"{"attacked": {"attacker": "mallory", "did": "forged", "node": "smtp.open.test", "name": "river.test", "refused": false}}"#,
        &[
            "mallory forged river.test for smtp.open.test",
            "did nothing",
        ],
    );
    fails(
        &run,
        r#"{"hop": {"from": "smtp.open.test", "to": "mx.evil.test", "channel": "tls-name-only"}}"#,
        &["mx.evil.test"],
    );
}

#[test]
fn attacked_tells_a_believed_forgery_from_a_refused_one() {
    let run = as_shipped("mx-forgery.json");
    fails(
        &run,
        r#"{"attacked": {"attacker": "mallory", "did": "forged", "node": "smtp.dane.test", "refused": false}}"#,
        &["refused: no", "refused: no valid DNSSEC signature"],
    );
    // The zone no longer signed: the DANE sender believes the forgery too.
    let unsigned = world("mx-forgery.json", |v| {
        v.as_object_mut().unwrap().remove("dnssec");
    });
    fails(
        &unsigned,
        r#"{"attacked": {"attacker": "mallory", "did": "forged", "node": "smtp.dane.test", "refused": true}}"#,
        &["refused: yes", "only: mallory forged river.test MX for"],
    );
    // And stripping is not forging.
    fails(
        &run,
        r#"{"attacked": {"attacker": "mallory", "did": "stripped"}}"#,
        &["mallory stripped", "only: mallory"],
    );
}

#[test]
fn tls_policy_fails_when_the_sender_has_no_policy_or_only_tests_it() {
    let claim = r#"{"tls_policy": {"node": "smtp.sts.test", "domain": "river.test", "policy": "mta-sts", "outcome": "failed", "result": "starttls-not-supported", "enforced": true}}"#;
    as_shipped("starttls-stripping.json").assert(claim);
    let testing = world("starttls-stripping.json", |v| {
        v["nodes"]["mx.river.test"]["web"]["mta_sts"]["mode"] = "testing".into();
    });
    fails(
        &testing,
        claim,
        &["starttls-not-supported, enforced", "reported only"],
    );
    let careless = world("starttls-stripping.json", |v| {
        v["nodes"]["smtp.sts.test"]
            .as_object_mut()
            .unwrap()
            .remove("tls_policy");
    });
    fails(
        &careless,
        claim,
        &["smtp.sts.test never looked for mta-sts of river.test"],
    );
    // DANE: without TLSA records there is no DANE policy to find.
    let claim = r#"{"tls_policy": {"node": "smtp.dane.test", "domain": "river.test", "policy": "dane", "outcome": "found"}}"#;
    as_shipped("starttls-stripping.json").assert(claim);
    let no_tlsa = world("starttls-stripping.json", |v| {
        v["nodes"]["mx.river.test"]
            .as_object_mut()
            .unwrap()
            .remove("tlsa");
    });
    fails(&no_tlsa, claim, &["dane for river.test: found"]);
}

#[test]
fn tls_report_fails_without_a_reporting_address_or_with_fewer_failures() {
    let claim = r#"{"tls_report": {"node": "smtp.sts.test", "domain": "river.test", "to": "tls-reports@audit.test"}}"#;
    let run = as_shipped("starttls-stripping.json");
    run.assert(claim);
    fails(
        &run,
        r#"{"tls_report": {"node": "smtp.sts.test", "domain": "river.test", "min_failed": 50}}"#,
        &[
            "counting at least 50 failed",
            "only: report m4 to tls-reports@audit.test",
        ],
    );
    let unasked = world("starttls-stripping.json", |v| {
        v["dns"]
            .as_object_mut()
            .unwrap()
            .remove("_smtp._tls.river.test");
    });
    fails(&unasked, claim, &["sent no TLS report about river.test"]);
}

#[test]
fn twenty_runs_of_each_attack_scenario_are_byte_identical() {
    for name in ["starttls-stripping.json", "mx-forgery.json"] {
        let scenario = mailhop::scenario::load_str(name, &shipped_text(name)).unwrap();
        let first = sim::run(&scenario).unwrap().to_json();
        for i in 1..20 {
            let again = sim::run(&scenario).unwrap().to_json();
            assert!(again == first, "{name}: run {i} differs from run 0");
        }
    }
}

fn load_error(name: &str, edit: impl FnOnce(&mut Value)) -> String {
    let mut value: Value = serde_json::from_str(&shipped_text(name)).unwrap();
    edit(&mut value);
    let text = serde_json::to_string_pretty(&value).unwrap();
    match mailhop::scenario::load_str(name, &text) {
        Ok(_) => panic!("{name}: the change should not load"),
        Err(err) => err.to_string(),
    }
}

#[test]
fn an_attacker_next_to_an_unknown_machine_is_a_located_error() {
    let err = load_error("starttls-stripping.json", |v| {
        v["nodes"]["mallory"]["on_path"] = serde_json::json!(["mx.rivr.test"]);
    });
    assert!(err.contains("starttls-stripping.json:"), "{err}");
    assert!(err.contains("mx.rivr.test"), "{err}");
    assert!(err.contains("did you mean `mx.river.test`"), "{err}");
}

#[test]
fn stripping_starttls_is_only_for_attackers() {
    let err = load_error("starttls-stripping.json", |v| {
        v["nodes"]["mx.audit.test"]["strip_starttls"] = true.into();
    });
    assert!(err.contains("starttls-stripping.json:"), "{err}");
    assert!(
        err.contains("`strip_starttls` belongs to attackers, and `mx.audit.test` is a mda"),
        "{err}"
    );
}

#[test]
fn claims_about_attacks_and_policies_are_checked_when_loading() {
    let err = load_error("starttls-stripping.json", |v| {
        let expect = v["expect"].as_array_mut().unwrap();
        expect.push(serde_json::json!({"tls_policy": {"node": "smtp.sts.test", "domain": "river.test", "policy": "mta-sts", "outcome": "failed", "result": "starttls-not-supportd"}}));
        expect.push(serde_json::json!({"attacked": {"attacker": "malory", "did": "stripped", "refused": true}}));
    });
    assert!(
        err.contains("`starttls-not-supportd` is not a result type of RFC 8460"),
        "{err}"
    );
    assert!(
        err.contains("did you mean `starttls-not-supported`"),
        "{err}"
    );
    assert!(err.contains("did you mean `mallory`"), "{err}");
    assert!(
        err.contains("`refused` is about a forged DNS answer"),
        "{err}"
    );
}

#[test]
fn a_malformed_mta_sts_policy_is_ignored_and_the_sender_says_why() {
    // River.test serves a policy file that does not parse: RFC 8461 says
    // to act as if the domain had no policy, so the stripped hop goes out
    // in plaintext, and the tls_policy event says why.
    let run = world("starttls-stripping.json", |v| {
        let web = &mut v["nodes"]["mx.river.test"]["web"];
        web.as_object_mut().unwrap().remove("mta_sts");
        web["mta_sts_text"] = "version: STSv1\nmode: sometimes\nmx mx.river.test\n".into();
    });
    run.assert(r#"{"tls_policy": {"node": "smtp.sts.test", "domain": "river.test", "policy": "mta-sts", "outcome": "none"}}"#);
    fails(
        &run,
        r#"{"tls_policy": {"node": "smtp.sts.test", "domain": "river.test", "policy": "mta-sts", "outcome": "found"}}"#,
        &["sts-policy-invalid"],
    );
    let why = run
        .trace
        .events
        .iter()
        .find_map(|r| match &r.event {
            Event::TlsPolicy(p) if p.node == "smtp.sts.test" && p.domain == "river.test" => {
                p.reason.clone()
            }
            _ => None,
        })
        .expect("a tls_policy event");
    assert!(why.contains("sts-policy-invalid"), "{why}");
    assert_eq!(
        channels(&run, "smtp.sts.test", "mx.river.test"),
        [Channel::Plaintext]
    );
    // The sender still counted the failed fetch for its report.
    run.assert(
        r#"{"tls_report": {"node": "smtp.sts.test", "domain": "river.test", "min_failed": 1}}"#,
    );
}

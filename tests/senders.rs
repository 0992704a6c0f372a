//! Who really sent a message, across whole runs: signatures and seals made
//! at virtual time, so twenty runs give the same bytes, and a different
//! seed gives different keys.

fn scenario(name: &str) -> mailhop::scenario::Scenario {
    let path = format!("{}/scenarios/{name}", env!("CARGO_MANIFEST_DIR"));
    mailhop::scenario::load_file(path.as_ref()).unwrap_or_else(|e| panic!("{e}"))
}

#[test]
fn twenty_runs_of_each_sender_scenario_give_identical_traces_signatures_included() {
    for name in [
        "spoofing.json",
        "forward-to-another-provider.json",
        "junk.json",
    ] {
        let scenario = scenario(name);
        let first = mailhop::sim::run(&scenario).unwrap().to_json();
        assert!(
            first.contains("DKIM-Signature: v=1; a="),
            "{name} signs something"
        );
        for i in 1..20 {
            let again = mailhop::sim::run(&scenario).unwrap().to_json();
            assert!(again == first, "{name}: run {i} differs from run 0");
        }
    }
}

#[test]
fn another_seed_draws_other_dkim_keys() {
    let mut scenario = scenario("spoofing.json");
    let first = mailhop::sim::run(&scenario).unwrap().to_json();
    scenario.seed += 1;
    let other = mailhop::sim::run(&scenario).unwrap().to_json();
    let key = |trace: &str| {
        let at = trace
            .find("v=DKIM1; k=rsa; p=")
            .expect("the key was looked up");
        trace[at..at + 80].to_string()
    };
    assert_ne!(key(&first), key(&other));
}

#[test]
fn a_stranger_cannot_forge_the_spam_verdict_by_writing_the_header_itself() {
    // The filter puts its own X-Spam-Flag on top; the mailbox server reads
    // the first one, so a forged "NO" lower down changes nothing.
    let mut text = std::fs::read_to_string(format!(
        "{}/scenarios/junk.json",
        env!("CARGO_MANIFEST_DIR")
    ))
    .unwrap();
    text = text.replacen(
        r#""Subject: YOU ARE OUR WINNER","#,
        r#""Subject: YOU ARE OUR WINNER", "X-Spam-Flag: NO","#,
        1,
    );
    let run = mailhop::harness::Run::json("junk.json", &text).unwrap();
    run.assert(r#"{"mailbox": {"of": "bob@friend.test", "folder": "Junk", "count": 1}}"#);
}

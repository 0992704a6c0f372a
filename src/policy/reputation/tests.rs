//! Verdicts on clients from a table of DNS answers: each check on its own,
//! then the order the refusals come in.

use std::cell::RefCell;
use std::collections::BTreeMap;

use super::*;

/// DNS from a table, remembering every question.
#[derive(Default)]
struct Table {
    records: BTreeMap<(String, Rtype), Vec<String>>,
    asked: RefCell<Vec<String>>,
}

impl Table {
    fn with(mut self, name: &str, rtype: Rtype, values: &[&str]) -> Self {
        self.records.insert(
            (name.to_string(), rtype),
            values.iter().map(|v| v.to_string()).collect(),
        );
        self
    }
}

impl Dns for Table {
    fn ask(&self, name: &str, rtype: Rtype) -> Answer {
        self.asked
            .borrow_mut()
            .push(format!("{name} {}", rtype.as_str()));
        match self.records.get(&(name.to_string(), rtype)) {
            Some(v) => Answer::Records(v.clone()),
            None => Answer::NxDomain,
        }
    }
}

fn checks(json: &str) -> Checks {
    serde_json::from_str(json).expect("checks")
}

fn lists() -> Vec<Blocklist> {
    serde_json::from_str(
        r#"[{"zone": "dnsbl.example.test", "list": ["198.18.5.0/24"], "answer": "127.0.0.11",
             "reason": "Dynamic range of isp.test", "dynamic": true},
            {"zone": "dnsbl.example.test", "list": ["203.0.113.66"], "answer": "127.0.0.2"}]"#,
    )
    .expect("lists")
}

/// A well-run server: PTR, matching A, a HELO that resolves.
fn server_dns() -> Table {
    Table::default()
        .with("10.2.0.192.in-addr.arpa", Rtype::Ptr, &["smtp.isp.test"])
        .with("smtp.isp.test", Rtype::A, &["192.0.2.10"])
}

#[test]
fn a_well_run_server_passes_every_check() {
    let dns = server_dns();
    let all = checks(
        r#"{"reverse_dns": "fcrdns", "helo": true, "blocklists": ["dnsbl.example.test"], "reject_dynamic": true}"#,
    );
    let rep = look_up(&dns, "192.0.2.10", "smtp.isp.test", &all, &lists());
    assert_eq!(rep.ptr.as_deref(), Some("smtp.isp.test"));
    assert!(rep.fcrdns);
    assert_eq!(rep.helo_verdict, HeloVerdict::Resolves);
    assert!(rep.listed.is_empty() && rep.dynamic.is_none());
    assert_eq!(rep.verified_name(), "smtp.isp.test");
    assert_eq!(rep.refusal(&all), None);
    assert_eq!(
        dns.asked.borrow().as_slice(),
        [
            "10.2.0.192.in-addr.arpa PTR",
            "smtp.isp.test A",
            "smtp.isp.test A",
            "10.2.0.192.dnsbl.example.test A",
        ]
    );
}

#[test]
fn fcrdns_fails_when_the_name_leads_elsewhere() {
    let dns = Table::default()
        .with("7.5.18.198.in-addr.arpa", Rtype::Ptr, &["mail.forged.test"])
        .with("mail.forged.test", Rtype::A, &["192.0.2.99"]);
    let strict = checks(r#"{"reverse_dns": "fcrdns"}"#);
    let lax = checks(r#"{"reverse_dns": "ptr"}"#);
    let rep = look_up(&dns, "198.18.5.7", "mail.forged.test", &strict, &[]);
    assert_eq!(rep.ptr.as_deref(), Some("mail.forged.test"));
    assert!(!rep.fcrdns);
    assert_eq!(rep.verified_name(), "unknown");
    assert_eq!(
        rep.refusal(&strict),
        Some(Reply::new(
            450,
            "4.7.25 Client host rejected: cannot find your hostname, [198.18.5.7]"
        ))
    );
    assert_eq!(rep.refusal(&lax), None, "a PTR is all `ptr` asks for");
}

#[test]
fn no_reverse_name_is_refused_for_now_by_either_setting() {
    let dns = Table::default();
    let rep = look_up(
        &dns,
        "203.0.113.9",
        "[203.0.113.9]",
        &Checks::default(),
        &[],
    );
    assert_eq!((rep.ptr.as_deref(), rep.fcrdns), (None, false));
    let reply = rep.refusal(&checks(r#"{"reverse_dns": "ptr"}"#)).unwrap();
    assert_eq!(
        reply.lines[0],
        "4.7.25 Client host rejected: cannot find your reverse hostname, [203.0.113.9]"
    );
    assert!(reply.is_transient());
    assert_eq!(
        rep.refusal(&Checks::default()),
        None,
        "no checks, no refusal"
    );
}

#[test]
fn helo_names_are_judged_by_form_then_by_dns() {
    let dns = server_dns().with("mx-only.test", Rtype::Mx, &["10 mx.mx-only.test"]);
    let cases = [
        ("smtp.isp.test", HeloVerdict::Resolves),
        ("smtp.isp.test.", HeloVerdict::Resolves),
        ("mx-only.test", HeloVerdict::Resolves),
        ("ghost.isp.test", HeloVerdict::Unresolvable),
        ("localhost", HeloVerdict::NotFqdn),
        ("DESKTOP-4F2", HeloVerdict::NotFqdn),
        ("[198.18.5.7]", HeloVerdict::AddressLiteral),
        ("[IPv6:2001:db8::1]", HeloVerdict::AddressLiteral),
        ("[not.an.address]", HeloVerdict::Invalid),
        ("198.18.5.7", HeloVerdict::Invalid),
        ("bad_name.test", HeloVerdict::Invalid),
        ("-x.test", HeloVerdict::Invalid),
        ("", HeloVerdict::Invalid),
    ];
    for (name, verdict) in cases {
        assert_eq!(judge_helo(&dns, name), verdict, "{name:?}");
    }
    let helo = checks(r#"{"helo": true}"#);
    let refused = |name: &str| {
        look_up(&dns, "192.0.2.10", name, &helo, &[])
            .refusal(&helo)
            .map(|r| r.wire_lines().join("\n"))
    };
    assert_eq!(refused("smtp.isp.test"), None);
    assert_eq!(refused("[192.0.2.10]"), None, "a literal is only noted");
    assert_eq!(
        refused("localhost").as_deref(),
        Some("504 5.5.2 <localhost>: Helo command rejected: need fully-qualified hostname")
    );
    assert_eq!(
        refused("ghost.isp.test").as_deref(),
        Some("450 4.7.1 <ghost.isp.test>: Helo command rejected: Host not found")
    );
    assert_eq!(
        refused("bad_name.test").as_deref(),
        Some("501 5.5.2 <bad_name.test>: Helo command rejected: Invalid name")
    );
}

#[test]
fn rfc5782_names_reverse_the_address_under_the_zone() {
    assert_eq!(
        blocklist_name("198.18.5.7", "dnsbl.example.test.").as_deref(),
        Some("7.5.18.198.dnsbl.example.test")
    );
    assert_eq!(blocklist_name("2001:db8::1", "dnsbl.example.test"), None);
    assert_eq!(blocklist_name("mx.friend.test", "dnsbl.example.test"), None);
}

#[test]
fn a_listing_refuses_with_the_zone_and_its_reason() {
    let dns = Table::default()
        .with("7.5.18.198.dnsbl.example.test", Rtype::A, &["127.0.0.11"])
        .with(
            "7.5.18.198.dnsbl.example.test",
            Rtype::Txt,
            &["Dynamic range of isp.test"],
        );
    let asking = checks(r#"{"blocklists": ["dnsbl.example.test"], "reverse_dns": "ptr"}"#);
    let rep = look_up(&dns, "198.18.5.7", "[198.18.5.7]", &asking, &lists());
    assert_eq!(
        rep.listed,
        vec![Listing {
            zone: "dnsbl.example.test".into(),
            answer: "127.0.0.11".into(),
            reason: Some("Dynamic range of isp.test".into()),
            dynamic: true,
        }]
    );
    assert_eq!(
        rep.dynamic,
        Some(Dynamic::Listed("dnsbl.example.test".into()))
    );
    let reply = rep.refusal(&asking).expect("refused");
    assert_eq!(
        reply.wire_lines(),
        [
            "554 5.7.1 Service unavailable; Client host [198.18.5.7] blocked using dnsbl.example.test; Dynamic range of isp.test"
        ],
        "the blocklist comes before the missing reverse name"
    );
}

#[test]
fn answers_outside_127_8_are_not_listings() {
    let dns = Table::default().with("7.5.18.198.dnsbl.example.test", Rtype::A, &["192.0.2.1"]);
    let asking = checks(r#"{"blocklists": ["dnsbl.example.test"]}"#);
    let rep = look_up(&dns, "198.18.5.7", "[198.18.5.7]", &asking, &lists());
    assert!(rep.listed.is_empty());
    assert_eq!(
        dns.asked.borrow().last().map(String::as_str),
        Some("7.5.18.198.dnsbl.example.test A"),
        "no TXT question without a listing"
    );
}

#[test]
fn home_line_names_look_dynamic() {
    for (ptr, dynamic) in [
        ("198-18-5-7.dsl.isp.test", true),
        ("7.5.18.198.customers.isp.test", true),
        ("c198-18-5-7.isp.test", true),
        ("pool-42.isp.test", true),
        ("cable-modem-9.isp.test", true),
        ("smtp.isp.test", false),
        ("mail2.isp.test", false),
        ("198-18-5-8.isp.test", false),
    ] {
        assert_eq!(looks_dynamic(ptr, "198.18.5.7"), dynamic, "{ptr}");
    }
    let dns = Table::default()
        .with(
            "7.5.18.198.in-addr.arpa",
            Rtype::Ptr,
            &["198-18-5-7.dsl.isp.test"],
        )
        .with("198-18-5-7.dsl.isp.test", Rtype::A, &["198.18.5.7"]);
    let dynamic = checks(r#"{"reject_dynamic": true}"#);
    let rep = look_up(&dns, "198.18.5.7", "[198.18.5.7]", &dynamic, &[]);
    assert_eq!(rep.dynamic, Some(Dynamic::GenericName));
    assert_eq!(
        rep.refusal(&dynamic).unwrap().lines[0],
        "5.7.1 <198-18-5-7.dsl.isp.test[198.18.5.7]>: Client host rejected: mail from dynamic addresses is not accepted; send it through your provider's mail server"
    );
    assert_eq!(rep.refusal(&Checks::default()), None);
}

use super::*;

const GOOD: &str = r#"{
  "id": "tiny",
  "title": {"en": "Tiny", "pt": "Pequeno"},
  "nodes": {
    "a-laptop": {"role": "mua", "user": "a@x.test", "submit": "mail.x.test"},
    "mail.x.test": {"role": "mta", "accounts": {"a@x.test": "pw"}, "mailboxes": ["b@x.test"]}
  },
  "script": [{"at": "0s", "send": {"from": "a-laptop", "to": ["b@x.test"]}}]
}"#;

fn problems(text: &str) -> Vec<Problem> {
    load_str("t.json", text)
        .expect_err("should be invalid")
        .problems
}

fn one(text: &str) -> Problem {
    let mut list = problems(text);
    assert_eq!(list.len(), 1, "{list:#?}");
    list.remove(0)
}

#[test]
fn a_good_file_loads() {
    let s = load_str("t.json", GOOD).unwrap();
    assert_eq!(s.nodes.len(), 2);
}

#[test]
fn misspelt_role_suggests_the_nearest() {
    let p = one(&GOOD.replace(r#""role": "mta""#, r#""role": "mtaa""#));
    assert_eq!(
        (p.line, p.path.as_str()),
        (6, r#"nodes."mail.x.test".role"#)
    );
    assert!(p.message.contains("unknown variant `mtaa`"), "{p}");
    assert!(
        p.hint
            .as_deref()
            .unwrap()
            .starts_with("did you mean `mta`?"),
        "{p}"
    );
}

#[test]
fn misspelt_field_suggests_the_nearest() {
    let p = one(&GOOD.replace(r#""submit":"#, r#""submti":"#));
    assert_eq!(p.line, 5);
    assert!(p.message.contains("unknown field `submti`"), "{p}");
    assert!(
        p.hint
            .as_deref()
            .unwrap()
            .starts_with("did you mean `submit`?"),
        "{p}"
    );
}

#[test]
fn misspelt_node_name_suggests_the_nearest() {
    let p = one(&GOOD.replace(r#""submit": "mail.x.test""#, r#""submit": "mail.y.test""#));
    assert_eq!((p.line, p.column), (5, 63));
    assert_eq!(p.path, r#"nodes."a-laptop".submit"#);
    assert_eq!(p.message, "there is no node named `mail.y.test`");
    assert_eq!(p.hint.as_deref(), Some("did you mean `mail.x.test`?"));
    assert_eq!(
        p.to_string(),
        "t.json:5:63: error at nodes.\"a-laptop\".submit: there is no node named `mail.y.test`\n  hint: did you mean `mail.x.test`?"
    );
}

#[test]
fn syntax_error_has_line_and_column() {
    let p = one(&GOOD.replace(r#""id": "tiny","#, r#""id": "tiny""#));
    assert_eq!((p.line, p.column), (3, 3));
    assert!(p.message.starts_with("expected `,` or `}`"), "{p}");
}

#[test]
fn truncated_file_points_at_its_end() {
    let p = one(&GOOD[..GOOD.len() - 20]);
    assert!(p.message.contains("EOF"), "{p}");
    assert!(p.hint.unwrap().contains("ends too early"));
}

#[test]
fn bad_duration_names_its_path() {
    let p = one(&GOOD.replace(r#""at": "0s""#, r#""at": "soon""#));
    assert_eq!(p.path, "script[0].at");
    assert_eq!(p.line, 8);
    assert!(p.message.contains("`soon` is not a duration"), "{p}");
}

#[test]
fn duplicate_node_is_reported_at_the_second() {
    let text = GOOD.replace(
            r#""mail.x.test": {"role": "mta","#,
            r#""a-laptop": {"role": "mua", "user": "a@x.test", "submit": "mail.x.test"}, "mail.x.test": {"role": "mta","#,
        );
    let p = one(&text);
    assert_eq!(p.path, r#"nodes."a-laptop""#);
    assert_eq!(p.line, 6);
    assert!(p.hint.unwrap().contains("line 5, column 5"));
}

#[test]
fn many_problems_are_all_reported() {
    let text = GOOD
        .replace(r#""id": "tiny""#, r#""id": "Tiny One""#)
        .replace(r#""to": ["b@x.test"]"#, r#""to": ["bob"]"#)
        .replace(r#""from": "a-laptop""#, r#""from": "mail.x.test""#);
    let list = problems(&text);
    let paths: Vec<&str> = list.iter().map(|p| p.path.as_str()).collect();
    assert_eq!(paths, ["id", "script[0].send.from", "script[0].send.to[0]"]);
    assert_eq!(
        list[1].message,
        "`mail.x.test` is a node, but not a mail client (role `mua`)"
    );
}

#[test]
fn roles_and_fields_must_fit() {
    let text = GOOD.replace(
        r#""role": "mta", "accounts""#,
        r#""role": "mta", "user": "m@x.test", "accounts""#,
    );
    let p = one(&text);
    assert_eq!(p.path, r#"nodes."mail.x.test".user"#);
    assert!(p.message.contains("belongs to mail clients"), "{p}");
}

#[test]
fn mx_host_without_address_is_a_warning_with_a_hint() {
    let text = GOOD.replace(
        r#""script""#,
        r#""dns": {"x.test": {"MX": [{"preference": 10, "host": "mail.x.tset"}]}}, "script""#,
    );
    let (_, warnings) = load_str_with_warnings("t.json", &text).expect("still loads");
    let [p] = &warnings[..] else {
        panic!("{warnings:#?}");
    };
    assert!(p.warning);
    assert_eq!(p.path, r#"dns."x.test".MX[0].host"#);
    assert_eq!(p.hint.as_deref(), Some("did you mean `mail.x.test`?"));
    assert!(p.to_string().contains(": warning at dns."), "{p}");
}

#[test]
fn imposed_replies_must_be_refusals_in_a_window() {
    let text = GOOD.replace(
            r#""role": "mta","#,
            r#""role": "mta", "refuse": [{"phase": "rcpt", "reply": "250 fine", "from": "1h", "until": "5m"}],"#,
        );
    let list = problems(&text);
    assert_eq!(list.len(), 2, "{list:#?}");
    assert_eq!(list[0].path, r#"nodes."mail.x.test".refuse[0].reply"#);
    assert!(list[0].hint.as_deref().unwrap().contains("451 4.7.1"));
    assert_eq!(list[1].path, r#"nodes."mail.x.test".refuse[0].until"#);
    let postmaster = GOOD.replace(
        r#""role": "mta","#,
        r#""role": "mta", "postmaster": "nobody@x.test","#,
    );
    assert!(
        one(&postmaster)
            .message
            .contains("not a mailbox on this server")
    );
}

#[test]
fn a_client_submitting_to_a_closed_port_is_warned() {
    let text = GOOD.replace(
        r#""role": "mta","#,
        r#""role": "mta", "listen": {"25": "smtp", "465": "submissions"},"#,
    );
    let (_, warnings) = load_str_with_warnings("t.json", &text).expect("loads");
    assert_eq!(warnings.len(), 1, "{warnings:#?}");
    assert!(warnings[0].message.contains("port 587"), "{}", warnings[0]);
    assert!(warnings[0].hint.as_deref().unwrap().contains("25, 465"));
}

#[test]
fn a_start_outside_1980_to_2999_is_refused() {
    let p = one(&GOOD.replace(
        r#""id": "tiny","#,
        r#""id": "tiny", "start": "0000-01-01T00:00:00Z","#,
    ));
    assert_eq!(p.path, "start");
    assert!(p.hint.unwrap().contains("between 1980 and 2999"));
}

#[test]
fn a_file_that_is_not_utf8_gets_its_line_and_column() {
    let dir = std::env::temp_dir().join(format!("mailhop-latin1-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let file = dir.join("latin1.json");
    let mut bytes = b"{\n  \"id\": \"x\",\n  \"title\": {\"en\": \"Caf".to_vec();
    bytes.push(0xE9);
    bytes.extend_from_slice(b"\", \"pt\": \"x\"}\n}\n");
    std::fs::write(&file, &bytes).unwrap();
    let err = load_file(&file).unwrap_err();
    let p = &err.problems[0];
    assert_eq!((p.line, p.column), (3, 23), "{p}");
    assert!(p.message.contains("not UTF-8"), "{p}");
    assert!(
        p.hint
            .as_deref()
            .unwrap()
            .contains("save the file as UTF-8")
    );
    std::fs::remove_dir_all(&dir).unwrap();
}

#[test]
fn rfc7505_null_mx_must_stand_alone() {
    let alone = GOOD.replace(
        r#""script""#,
        r#""dns": {"x.test": {"MX": [{"preference": 0, "host": "."}]}}, "script""#,
    );
    let (_, warnings) = load_str_with_warnings("t.json", &alone).expect("loads");
    assert!(warnings.is_empty(), "{warnings:#?}");
    let mixed = GOOD.replace(
            r#""script""#,
            r#""dns": {"x.test": {"MX": [{"preference": 0, "host": "."}, {"preference": 10, "host": "mail.x.test"}]}}, "script""#,
        );
    let p = one(&mixed);
    assert!(p.message.contains("null MX"), "{p}");
}

#[test]
fn rfc3207_a_public_mx_that_requires_starttls_is_a_warning() {
    let text = GOOD
        .replace(
            r#""role": "mta","#,
            r#""role": "mta", "starttls": "require","#,
        )
        .replace(
            r#""script""#,
            r#""dns": {"x.test": {"MX": [{"preference": 10, "host": "mail.x.test"}]}}, "script""#,
        );
    let (_, warnings) = load_str_with_warnings("t.json", &text).expect("loads");
    assert_eq!(warnings.len(), 1, "{warnings:#?}");
    assert!(warnings[0].hint.as_deref().unwrap().contains("RFC 3207"));
}

#[test]
fn garbage_never_panics() {
    for text in [
        "",
        "[]",
        "null",
        "{",
        "{\"id\": 3}",
        "\u{feff}{}",
        "{\"nodes\": {\"a\": {\"role\": 1}}}",
    ] {
        let err = load_str("g.json", text).unwrap_err();
        assert!(!err.problems.is_empty());
    }
}

#[test]
fn unreadable_file_is_a_problem_not_a_panic() {
    let err = load_file(Path::new("/nonexistent/x.json")).unwrap_err();
    assert!(
        err.to_string()
            .starts_with("/nonexistent/x.json: error: cannot read the file")
    );
}

#[test]
fn schema_describes_roles_and_durations() {
    let schema = schema_json();
    assert!(schema.contains("\"secondary-mx\""));
    assert!(schema.contains("A span of virtual time"));
}

#[test]
fn a_second_caption_on_the_same_moment_is_reported_because_it_never_shows() {
    let text = GOOD.replace(
        r#""script""#,
        r#""captions": [
    {"on": "hop:1", "en": "First.", "pt": "Primeira."},
    {"on": "hop:1", "en": "Second.", "pt": "Segunda."}
  ], "script""#,
    );
    let p = one(&text);
    assert_eq!(
        (p.line, p.column, p.path.as_str()),
        (10, 12, "captions[1].on")
    );
    assert_eq!(
        p.message,
        "the caption on `hop:1` is never shown: the caption at line 9, column 12 is shown on that moment"
    );
    assert!(
        p.hint
            .as_deref()
            .unwrap()
            .contains("one caption per moment"),
        "{p}"
    );
}

const DISCOVERING: &str = r#"{
  "id": "found",
  "title": {"en": "Found", "pt": "Achado"},
  "nodes": {
    "a-laptop": {"role": "mua", "user": "a@x.test", "password": "pw",
                 "fetch": {"discover": true, "protocol": "imap"}},
    "mail.x.test": {"role": "mta", "aliases": ["imap.x.test"], "mailboxes": ["a@x.test"],
                    "accounts": {"a@x.test": "pw"},
                    "web": {"autoconfig": {"incoming": [{"protocol": "imap", "host": "imap.x.test", "port": 993, "socket_type": "ssl"}]}}}
  },
  "dns": {"_imaps._tcp.x.test": {"SRV": [{"priority": 0, "weight": 1, "port": 993, "target": "mail.x.test"}]}},
  "script": [{"at": "0s", "fetch": {"by": "a-laptop"}}]
}"#;

#[test]
fn a_client_that_discovers_needs_no_server_and_no_submit() {
    let (s, warnings) = load_str_with_warnings("t.json", DISCOVERING).unwrap();
    assert!(warnings.is_empty(), "{warnings:#?}");
    assert!(s.nodes["a-laptop"].fetch.as_ref().unwrap().discover);
}

#[test]
fn discover_and_server_together_are_one_too_many() {
    let p = one(&DISCOVERING.replace(
        r#""discover": true,"#,
        r#""discover": true, "server": "mail.x.test","#,
    ));
    assert!(p.message.contains("`server` and `discover`"), "{p}");
    assert!(p.path.ends_with("fetch.discover"), "{p}");
    let p = one(&DISCOVERING.replace(r#""discover": true,"#, r#""port": 993,"#));
    assert!(p.message.contains("needs the `server`"), "{p}");
    let p = one(&DISCOVERING.replace(r#""discover": true,"#, r#""discover": true, "port": 993,"#));
    assert!(p.message.contains("port 993 would be ignored"), "{p}");
}

#[test]
fn srv_records_and_aliases_are_checked() {
    let p = one(&DISCOVERING.replace(r#""target": "mail.x.test""#, r#""target": "mail x""#));
    assert!(p.message.contains("is not a host name"), "{p}");
    assert!(p.path.ends_with("SRV[0].target"), "{p}");
    let (_, warnings) = load_str_with_warnings(
        "t.json",
        &DISCOVERING.replace(r#""target": "mail.x.test""#, r#""target": "mial.x.test""#),
    )
    .unwrap();
    assert_eq!(warnings.len(), 1, "{warnings:#?}");
    assert_eq!(
        warnings[0].hint.as_deref(),
        Some("did you mean `mail.x.test`?")
    );
    let list = problems(&DISCOVERING.replace(
        r#""aliases": ["imap.x.test"]"#,
        r#""aliases": ["mail.x.test"]"#,
    ));
    assert!(
        list.iter()
            .any(|p| p.message.contains("already a name of `mail.x.test`")
                && p.path.ends_with("aliases[0]")),
        "{list:#?}"
    );
}

#[test]
fn a_web_server_needs_tls_and_a_server_to_read_with() {
    let p = one(&DISCOVERING.replace(
        r#""accounts": {"a@x.test": "pw"},"#,
        r#""accounts": {"a@x.test": "pw"}, "starttls": "none","#,
    ));
    assert!(p.message.contains("speaks HTTPS"), "{p}");
    let p = one(&DISCOVERING.replace(
        r#"[{"protocol": "imap", "host": "imap.x.test", "port": 993, "socket_type": "ssl"}]"#,
        "[]",
    ));
    assert!(
        p.message.contains("at least one server to read mail with"),
        "{p}"
    );
}

/// GOOD with a checking server, blocklists and networks spliced in.
fn edge(checks: &str, top: &str) -> String {
    GOOD.replace(
        r#""mailboxes": ["b@x.test"]}"#,
        &format!(r#""mailboxes": ["b@x.test"], "checks": {checks}}}"#),
    )
    .replace(r#""script""#, &format!(r#"{top}, "script""#))
}

const LISTS: &str = r#""blocklists": [{"zone": "dnsbl.x.test", "list": ["198.18.5.0/24"]}]"#;

#[test]
fn a_good_edge_loads() {
    let text = edge(
        r#"{"blocklists": ["dnsbl.x.test"], "reverse_dns": "fcrdns", "helo": true, "reject_dynamic": true, "greylist": "5m"}"#,
        &format!(
            r#"{LISTS}, "networks": [{{"name": "home", "range": "198.18.5.0/24", "block_outbound_smtp": true, "except": ["mail.x.test"]}}]"#
        ),
    );
    let s = load_str("t.json", &text).unwrap();
    assert_eq!(
        s.blocklists[0].answer, "127.0.0.2",
        "RFC 5782's usual answer"
    );
    assert!(s.nodes["mail.x.test"].checks.as_ref().unwrap().helo);
}

#[test]
fn a_bad_range_says_what_is_wrong_and_where() {
    let p = one(&edge(
        "{}",
        r#""blocklists": [{"zone": "dnsbl.x.test", "list": ["198.18.5.7/24"]}]"#,
    ));
    assert_eq!(p.path, "blocklists[0].list[0]");
    assert_eq!(
        p.message,
        "`198.18.5.7/24` is not an address range: the range this length makes starts at 198.18.5.0"
    );
    assert_eq!(p.hint.as_deref(), Some("did you mean `198.18.5.0/24`?"));
    let p = one(&edge(
        "{}",
        r#""networks": [{"name": "home", "range": "198.18.5.0/33"}]"#,
    ));
    assert_eq!(p.path, "networks[0].range");
    assert!(p.message.contains("from 0 to 32"), "{p}");
    let p = one(&edge(
        "{}",
        r#""networks": [{"name": "home", "range": "2001:db8::/32"}]"#,
    ));
    assert!(p.hint.unwrap().contains("IPv4"));
}

#[test]
fn a_blocklist_answers_in_127_8_and_owns_its_zone() {
    let p = one(&edge(
        "{}",
        r#""blocklists": [{"zone": "dnsbl.x.test", "answer": "127.0.0.1"}]"#,
    ));
    assert_eq!(p.path, "blocklists[0].answer");
    assert!(p.hint.unwrap().contains("RFC 5782"));
    let p = one(&edge(
        "{}",
        r#""dns": {"7.5.18.198.dnsbl.x.test": {"A": ["127.0.0.2"]}}, "blocklists": [{"zone": "dnsbl.x.test"}]"#,
    ));
    assert_eq!(p.path, "blocklists[0].zone");
    assert!(
        p.message
            .contains("`dns` also writes records for `7.5.18.198.dnsbl.x.test`"),
        "{p}"
    );
}

#[test]
fn checks_name_a_known_blocklist_zone() {
    let p = one(&edge(r#"{"blocklists": ["dnsbl.x.tset"]}"#, LISTS));
    assert_eq!(p.path, r#"nodes."mail.x.test".checks.blocklists[0]"#);
    assert_eq!(
        p.message,
        "`dnsbl.x.tset` is not one of the scenario's `blocklists`"
    );
    assert_eq!(p.hint.as_deref(), Some("did you mean `dnsbl.x.test`?"));
    let p = one(&edge(
        r#"{"blocklists": ["zen.x.test"]}"#,
        r#""latency": "20ms""#,
    ));
    assert!(
        p.hint
            .unwrap()
            .contains("describe it in the scenario's `blocklists`")
    );
    let p = one(&edge(r#"{"greylist": "0s"}"#, r#""latency": "20ms""#));
    assert_eq!(p.path, r#"nodes."mail.x.test".checks.greylist"#);
}

#[test]
fn networks_have_names_disjoint_ranges_and_real_exceptions() {
    let list = problems(&edge(
        "{}",
        r#""networks": [
            {"name": "home", "range": "198.18.0.0/16", "block_outbound_smtp": true, "except": ["mail.y.test"]},
            {"name": "home", "range": "198.18.5.0/24"}]"#,
    ));
    let found: Vec<(&str, &str)> = list
        .iter()
        .map(|p| (p.path.as_str(), p.message.as_str()))
        .collect();
    assert_eq!(
        found,
        [
            (
                "networks[0].except[0]",
                "there is no node named `mail.y.test`"
            ),
            (
                "networks[1].name",
                "`home` is already the name of network 0"
            ),
            (
                "networks[1].range",
                "198.18.5.0/24 overlaps 198.18.0.0/16, the range of `home`: a machine is on one network"
            ),
        ]
    );
    let (_, warnings) = load_str_with_warnings(
        "t.json",
        &edge("{}", r#""networks": [{"name": "home", "range": "198.18.5.0/24", "except": ["mail.x.test"]}]"#),
    )
    .expect("a warning only");
    assert_eq!(warnings.len(), 1, "{warnings:#?}");
    assert_eq!(warnings[0].path, "networks[0].except");
}

#[test]
fn checks_and_routes_belong_to_servers() {
    let p = one(&GOOD.replace(
        r#""submit": "mail.x.test"}"#,
        r#""submit": "mail.x.test", "checks": {"helo": true}}"#,
    ));
    assert_eq!(p.path, r#"nodes."a-laptop".checks"#);
    assert!(p.message.contains("belongs to servers"), "{p}");
}

#[test]
fn routes_go_to_other_servers_and_match_addresses() {
    let text = GOOD.replace(
        r#""mailboxes": ["b@x.test"]}"#,
        r#""mailboxes": ["b@x.test"], "relay_domains": ["sales.x.test"],
            "routes": [{"match": "@sales.x.test", "to": "mail.x.tset"}, {"match": "sales", "to": "mail.x.test"}]}"#,
    );
    let list = problems(&text);
    let found: Vec<(&str, &str)> = list
        .iter()
        .map(|p| (p.path.as_str(), p.message.as_str()))
        .collect();
    assert_eq!(
        found,
        [
            (
                r#"nodes."mail.x.test".routes[0].to"#,
                "there is no node named `mail.x.tset`"
            ),
            (
                r#"nodes."mail.x.test".routes[1].match"#,
                "`sales` matches no address"
            ),
            (
                r#"nodes."mail.x.test".routes[1].to"#,
                "`mail.x.test` is a node, but not another server"
            ),
        ]
    );
}

#[test]
fn a_route_for_a_domain_the_gateway_refuses_is_warned() {
    let text = GOOD
        .replace(
            r#""mailboxes": ["b@x.test"]}"#,
            r#""mailboxes": ["b@x.test"], "routes": [{"match": "@sales.y.test", "to": "mx.y.test"}]}, "mx.y.test": {"role": "mda", "mailboxes": ["s@sales.y.test"]}"#,
        );
    let (_, warnings) = load_str_with_warnings("t.json", &text).expect("a warning only");
    assert_eq!(warnings.len(), 1, "{warnings:#?}");
    assert_eq!(warnings[0].path, r#"nodes."mail.x.test".routes[0].match"#);
    assert_eq!(
        warnings[0].hint.as_deref(),
        Some("add `sales.y.test` to its `relay_domains`")
    );
}

#[test]
fn a_blocked_caption_is_a_moment_of_the_run() {
    let text = GOOD.replace(
        r#""script""#,
        r#""captions": [{"on": "blocked:1", "en": "Dropped", "pt": "Descartada"}, {"on": "blocked:0", "en": "x", "pt": "y"}], "script""#,
    );
    let p = one(&text);
    assert_eq!(p.path, "captions[1].on");
    assert!(p.hint.unwrap().contains("`blocked:N`"));
}

#[test]
fn a_forward_from_an_address_the_server_has_no_mailbox_for_is_located() {
    let text = GOOD.replace(
        r#""mailboxes": ["b@x.test"]}"#,
        r#""mailboxes": ["b@x.test"], "forward_to": {"c@x.test": "c@y.test"}}"#,
    );
    let p = one(&text);
    assert!(
        p.message
            .contains("`c@x.test` is not a mailbox on this server"),
        "{p}"
    );
    assert_eq!(p.path, r#"nodes."mail.x.test".forward_to."c@x.test""#);
    assert!(p.line > 1, "{p}");
}

#[test]
fn broken_spf_dkim_and_dmarc_records_are_warnings_at_their_record() {
    let text = GOOD.replace(
        r#""script""#,
        r#""dns": {
            "x.test": {"TXT": ["v=spf1 a -all", "v=spf1 -all"]},
            "_dmarc.x.test": {"TXT": ["p=reject"]},
            "s1._domainkey.x.test": {"TXT": ["v=DKIM1; p=!!"]}
          }, "script""#,
    );
    let (_, warnings) = load_str_with_warnings("t.json", &text).expect("loads: a verifier copes");
    let said: Vec<String> = warnings
        .iter()
        .map(|w| format!("{} {}", w.path, w.message))
        .collect();
    assert_eq!(warnings.len(), 3, "{said:#?}");
    assert!(
        said.iter()
            .any(|w| w.contains(r#"dns."x.test".TXT[1]"#) && w.contains("2 SPF records")),
        "{said:#?}"
    );
    assert!(
        said.iter().any(|w| w.contains(r#""_dmarc.x.test".TXT[0]"#)
            && w.contains("DMARC record does not parse")),
        "{said:#?}"
    );
    assert!(
        said.iter()
            .any(|w| w.contains(r#""s1._domainkey.x.test".TXT[0]"#) && w.contains("permerror")),
        "{said:#?}"
    );
}

#[test]
fn a_spam_rule_that_does_not_exist_gets_a_did_you_mean() {
    let text = GOOD.replace(
        r#""mailboxes": ["b@x.test"]}"#,
        r#""mailboxes": ["b@x.test"], "spam": {"scores": {"SPF_FAILS": 4}}}"#,
    );
    let p = one(&text);
    assert!(p.message.contains("`SPF_FAILS` is not a rule"), "{p}");
    assert_eq!(p.hint.as_deref(), Some("did you mean `SPF_FAIL`?"));
}

#[test]
fn broken_tls_policies_are_located_warnings() {
    let text = r#"{
  "id": "cures",
  "title": {"en": "Cures", "pt": "Curas"},
  "nodes": {
    "mx.b.test": {"role": "mda", "mailboxes": ["b@b.test"],
                  "web": {"mta_sts": {"mode": "enforce", "mx": ["mx.*.test"]}}},
    "mx.d.test": {"role": "mda", "mailboxes": ["d@d.test"], "starttls": "none", "tlsa": true},
    "mx.c.test": {"role": "mda", "mailboxes": ["c@c.test"], "aliases": ["mta-sts.c.test"],
                  "web": {"mta_sts_text": "version: STSv1\nmode: sometimes\n"}}
  },
  "dns": {
    "_mta-sts.b.test": {"TXT": ["v=STSv1; id=2026-01-05"]},
    "_smtp._tls.b.test": {"TXT": ["v=TLSRPTv1; rua=https://reports.b.test/"]},
    "_25._tcp.mx.b.test": {"TLSA": ["3 1 1 zz", "1 1 1 0011"]},
    "mx.b.test": {"TLSA": ["3 1 1 00"]}
  }
}"#;
    let (_, warnings) = load_str_with_warnings("t.json", text).expect("warnings only");
    let at = |path: &str| {
        warnings
            .iter()
            .find(|w| w.path == path)
            .unwrap_or_else(|| panic!("no warning at {path}: {warnings:#?}"))
    };
    assert!(at(r#"nodes."mx.d.test".tlsa"#).message.contains("has none"));
    assert!(
        at(r#"nodes."mx.b.test".web.mta_sts.mx[0]"#)
            .message
            .contains("mx.*.test")
    );
    assert!(
        at(r#"nodes."mx.b.test".web"#)
            .message
            .contains("no `mta-sts.` name")
    );
    let c = &at(r#"nodes."mx.c.test".web.mta_sts_text"#).message;
    assert!(c.contains("sometimes"), "{c}");
    assert!(
        warnings
            .iter()
            .any(|w| w.path == r#"nodes."mx.c.test".web"# && w.message.contains("_mta-sts.c.test")),
        "{warnings:#?}"
    );
    assert!(at(r#"dns."_mta-sts.b.test".TXT"#).message.contains("id"));
    assert!(
        at(r#"dns."_smtp._tls.b.test".TXT"#)
            .message
            .contains("only over HTTPS")
    );
    assert!(
        at(r#"dns."_25._tcp.mx.b.test".TLSA[0]"#)
            .message
            .contains("hexadecimal")
    );
    assert!(
        at(r#"dns."_25._tcp.mx.b.test".TLSA[1]"#)
            .message
            .contains("PKIX-EE")
    );
    assert!(at(r#"dns."mx.b.test".TLSA"#).message.contains("_25._tcp"));
    assert!(warnings.iter().all(|w| w.warning));
}

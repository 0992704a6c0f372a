//! The `mailhop` binary as a user meets it: exit codes, located errors,
//! the schema the shipped scenarios point at.

use std::path::PathBuf;
use std::process::{Command, Output};

fn mailhop(args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_mailhop"))
        .args(args)
        .current_dir(env!("CARGO_MANIFEST_DIR"))
        .output()
        .expect("the binary runs")
}

fn text(bytes: &[u8]) -> String {
    String::from_utf8_lossy(bytes).into_owned()
}

/// A copy of a shipped scenario with one edit, in a temporary file.
fn broken_copy(name: &str, from: &str, to: &str) -> PathBuf {
    let original =
        std::fs::read_to_string(format!("{}/scenarios/{name}", env!("CARGO_MANIFEST_DIR")))
            .unwrap();
    assert!(original.contains(from), "{from:?} not in {name}");
    let dir = std::env::temp_dir().join(format!("mailhop-cli-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let path = dir.join(format!("{}-{name}", from.len()));
    std::fs::write(&path, original.replacen(from, to, 1)).unwrap();
    path
}

#[test]
fn validate_accepts_the_shipped_scenarios() {
    let out = mailhop(&[
        "validate",
        "scenarios/six-hops.json",
        "scenarios/direct-mx.json",
        "scenarios/mx-fallback.json",
    ]);
    assert_eq!(out.status.code(), Some(0), "{}", text(&out.stderr));
    assert_eq!(text(&out.stdout).matches(": ok").count(), 3);
}

#[test]
fn validate_points_at_a_misspelt_node_with_line_column_and_hint() {
    let path = broken_copy(
        "six-hops.json",
        r#""down": "mx.friend.test""#,
        r#""down": "mx.freind.test""#,
    );
    let out = mailhop(&["validate", path.to_str().unwrap()]);
    assert_eq!(out.status.code(), Some(2));
    let err = text(&out.stderr);
    let expected = format!(
        "{}:88:15: error at faults[0].down: there is no node named `mx.freind.test`\n  hint: did you mean `mx.friend.test`?\n",
        path.display()
    );
    assert_eq!(err, expected);
}

#[test]
fn validate_reports_a_syntax_error_with_line_and_column() {
    let path = broken_copy("direct-mx.json", r#""seed": 4,"#, r#""seed": 4"#);
    let out = mailhop(&["validate", path.to_str().unwrap()]);
    assert_eq!(out.status.code(), Some(2));
    let err = text(&out.stderr);
    assert!(err.starts_with(&format!("{}:", path.display())), "{err}");
    let position: Vec<&str> = err
        .split(": error")
        .next()
        .unwrap()
        .rsplitn(3, ':')
        .collect();
    assert!(
        position[0].parse::<u32>().is_ok() && position[1].parse::<u32>().is_ok(),
        "{err}"
    );
    assert!(err.contains("expected `,` or `}`"), "{err}");
}

#[test]
fn run_refuses_an_invalid_scenario_with_exit_code_2() {
    let path = broken_copy(
        "six-hops.json",
        r#""role": "smarthost""#,
        r#""role": "smarthots""#,
    );
    let out = mailhop(&["run", path.to_str().unwrap()]);
    assert_eq!(out.status.code(), Some(2));
    assert!(text(&out.stderr).contains("did you mean `smarthost`?"));
    assert!(out.stdout.is_empty());
}

#[test]
fn run_prints_every_hop_and_the_readable_copies_servers_and_device_apart() {
    let out = mailhop(&["run", "scenarios/six-hops.json"]);
    assert_eq!(out.status.code(), Some(0), "{}", text(&out.stderr));
    let table = text(&out.stdout);
    assert!(
        table.contains("Who could read m1 at rest (5 servers, and 1 device of the recipient)"),
        "{table}"
    );
    assert!(
        table.contains("backup.friend.test -> mx.friend.test"),
        "{table}"
    );
    assert!(
        table.contains("could not connect to mx.friend.test:25"),
        "{table}"
    );
}

#[test]
fn run_json_is_the_trace() {
    let out = mailhop(&["run", "scenarios/direct-mx.json", "--json"]);
    assert_eq!(out.status.code(), Some(0));
    let trace: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(trace["scenario"], "direct-mx");
    assert!(trace["events"].as_array().unwrap().len() > 50);
}

#[test]
fn committed_schema_matches_the_binary() {
    let out = mailhop(&["schema"]);
    assert_eq!(out.status.code(), Some(0));
    let committed = std::fs::read_to_string(format!(
        "{}/docs/scenario.schema.json",
        env!("CARGO_MANIFEST_DIR")
    ))
    .unwrap();
    assert!(
        text(&out.stdout) == committed,
        "docs/scenario.schema.json is stale: run `cargo run -- schema > docs/scenario.schema.json`"
    );
}

#[test]
fn shipped_scenarios_point_at_the_schema() {
    let dir = format!("{}/scenarios", env!("CARGO_MANIFEST_DIR"));
    for entry in std::fs::read_dir(dir).unwrap() {
        let path = entry.unwrap().path();
        if path.extension().is_some_and(|e| e == "json") {
            let value: serde_json::Value =
                serde_json::from_str(&std::fs::read_to_string(&path).unwrap()).unwrap();
            assert_eq!(
                value["$schema"],
                "../docs/scenario.schema.json",
                "{}",
                path.display()
            );
        }
    }
}

#[test]
fn test_passes_the_shipped_library() {
    let out = mailhop(&["test", "--repeat", "3"]);
    assert_eq!(out.status.code(), Some(0), "{}", text(&out.stdout));
    let stdout = text(&out.stdout);
    let last = stdout.lines().last().unwrap();
    assert!(last.ends_with(" passed, 0 failed"), "{stdout}");
    let shipped = std::fs::read_dir(concat!(env!("CARGO_MANIFEST_DIR"), "/scenarios"))
        .unwrap()
        .filter(|e| e.as_ref().unwrap().path().extension() == Some("json".as_ref()))
        .count();
    assert_eq!(
        stdout.lines().filter(|l| l.starts_with("ok ")).count(),
        shipped
    );
}

#[test]
fn test_reports_a_changed_expectation_with_expected_actual_and_hop() {
    let path = broken_copy(
        "six-hops.json",
        r#""channel": "plaintext", "protocol": "ESMTP""#,
        r#""channel": "tls", "protocol": "ESMTP""#,
    );
    let out = mailhop(&["test", path.to_str().unwrap()]);
    assert_eq!(out.status.code(), Some(1));
    let stdout = text(&out.stdout);
    let expected = format!(
        "FAILED   {} (six-hops): 1 of 17 expectations failed\n  {}:159:5: expect[4] hops smarthost.isp.test -> filter.spamco.test: channel tls, protocol ESMTP\n      expected:   channel tls, protocol ESMTP\n      actual:     channel plaintext\n      decided by: +0.700s hop 3: smarthost.isp.test -> filter.spamco.test over ESMTP",
        path.display(),
        path.display()
    );
    assert!(stdout.starts_with(&expected), "{stdout}");
    assert!(stdout.ends_with("0 passed, 1 failed\n"), "{stdout}");
}

#[test]
fn test_exits_2_on_a_syntax_error_and_still_runs_the_rest() {
    let path = broken_copy("bounces.json", r#""seed": 3,"#, r#""seed": 3"#);
    let out = mailhop(&["test", path.to_str().unwrap(), "scenarios/direct-mx.json"]);
    assert_eq!(out.status.code(), Some(2));
    let stdout = text(&out.stdout);
    assert!(
        stdout.contains(&format!("INVALID  {}", path.display())),
        "{stdout}"
    );
    assert!(
        stdout.contains(&format!("  {}:13:3: error", path.display())),
        "{stdout}"
    );
    assert!(
        stdout.contains("ok       scenarios/direct-mx.json"),
        "{stdout}"
    );
    assert!(stdout.ends_with("1 passed, 1 failed\n"), "{stdout}");
}

#[test]
fn test_writes_junit_xml_with_a_failure_per_failed_scenario() {
    let failing = broken_copy("direct-mx.json", r#"{ "hops": 2 }"#, r#"{ "hops": 3 }"#);
    let invalid = broken_copy("mx-fallback.json", r#""role": "mda""#, r#""role": "mdaa""#);
    let junit = std::env::temp_dir().join(format!("mailhop-junit-{}.xml", std::process::id()));
    let out = mailhop(&[
        "test",
        "scenarios/six-hops.json",
        failing.to_str().unwrap(),
        invalid.to_str().unwrap(),
        "--junit",
        junit.to_str().unwrap(),
    ]);
    assert_eq!(out.status.code(), Some(2));
    let xml = std::fs::read_to_string(&junit).unwrap();
    let doc = roxmltree::Document::parse(&xml).expect("JUnit output is well-formed XML");
    let cases: Vec<roxmltree::Node> = doc
        .descendants()
        .filter(|n| n.has_tag_name("testcase"))
        .collect();
    assert_eq!(cases.len(), 3);
    let failures: Vec<(&str, &str)> = cases
        .iter()
        .filter_map(|c| {
            c.children()
                .find(|n| n.has_tag_name("failure"))
                .map(|f| (c.attribute("name").unwrap(), f.attribute("type").unwrap()))
        })
        .collect();
    assert_eq!(failures.len(), 2);
    assert_eq!(failures[0], ("direct-mx", "expectation"));
    assert_eq!(failures[1].1, "invalid");
    let suite = doc
        .descendants()
        .find(|n| n.has_tag_name("testsuite"))
        .unwrap();
    assert_eq!(suite.attribute("tests"), Some("3"));
    assert_eq!(suite.attribute("failures"), Some("2"));
    let text_of_failure = cases[1]
        .children()
        .find(|n| n.has_tag_name("failure"))
        .unwrap()
        .text()
        .unwrap();
    assert!(
        text_of_failure.contains("expected: 3 hops"),
        "{text_of_failure}"
    );
}

#[test]
fn test_json_is_machine_readable() {
    let out = mailhop(&["test", "scenarios/", "--json"]);
    assert_eq!(out.status.code(), Some(0));
    let report: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(report["failed"], 0);
    let first = &report["scenarios"][0];
    assert_eq!(first["status"], "passed");
    assert_eq!(first["outcomes"][0]["passed"], true);
    assert!(first["outcomes"][0]["evidence"]["t"].is_u64());
}

#[test]
fn a_caption_on_a_hop_the_run_never_reaches_is_reported_with_its_location() {
    let path = broken_copy("six-hops.json", r#""on": "hop:5""#, r#""on": "hop:9""#);
    let out = mailhop(&["test", path.to_str().unwrap()]);
    let stdout = text(&out.stdout);
    assert_eq!(out.status.code(), Some(1), "{stdout}");
    let expected = format!(
        "FAILED   {} (six-hops): 1 other problem(s)\n  {}:139:13: error at captions[5].on: the caption on `hop:9` is never shown: the run has 6 hops\n    hint: a caption on `hop:N` shows while hop N is on screen; here use `hop:1` to `hop:6`, or `end` for what happens after the last hop\n",
        path.display(),
        path.display()
    );
    assert!(stdout.starts_with(&expected), "{stdout}");
    assert!(stdout.ends_with("0 passed, 1 failed\n"), "{stdout}");
    let json = mailhop(&["test", path.to_str().unwrap(), "--json"]);
    let report: serde_json::Value = serde_json::from_slice(&json.stdout).unwrap();
    assert_eq!(report["scenarios"][0]["status"], "failed");
    assert!(
        report["scenarios"][0]["problems"][0]
            .as_str()
            .unwrap()
            .contains(":139:13: error at captions[5].on: the caption on `hop:9` is never shown"),
        "{report}"
    );
}

#[test]
fn validate_catches_a_misspelt_node_inside_an_expectation() {
    let path = broken_copy(
        "mx-fallback.json",
        r#""nodes": ["mx1.shop.test", "mx3.shop.test"]"#,
        r#""nodes": ["mx1.shop.test", "mx3.shop.tset"]"#,
    );
    let out = mailhop(&["test", path.to_str().unwrap()]);
    assert_eq!(out.status.code(), Some(2));
    let stdout = text(&out.stdout);
    assert!(
        stdout.contains("error at expect[3].not_readable_by.nodes[1]: there is no node named `mx3.shop.tset`\n    hint: did you mean `mx3.shop.test`?"),
        "{stdout}"
    );
}

#[test]
fn serve_on_a_public_address_needs_the_host_names_students_use() {
    let out = mailhop(&["serve", "--bind", "0.0.0.0", "--port", "0"]);
    assert_eq!(out.status.code(), Some(2));
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(err.contains("--host"), "{err}");
}

#[test]
fn serve_says_at_start_which_course_file_claims_a_built_in_id() {
    use std::io::BufRead;
    let dir = std::env::temp_dir().join(format!("mailhop-cli-same-id-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let original = std::fs::read_to_string(concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/scenarios/bounces.json"
    ))
    .unwrap();
    std::fs::write(dir.join("mine.json"), original).unwrap();
    let mut child = Command::new(env!("CARGO_BIN_EXE_mailhop"))
        .args(["serve", "--port", "0", "--scenarios", dir.to_str().unwrap()])
        .stdout(std::process::Stdio::null())
        .stderr(std::process::Stdio::piped())
        .spawn()
        .expect("the binary runs");
    let stderr = child.stderr.take().unwrap();
    let (tx, rx) = std::sync::mpsc::channel();
    std::thread::spawn(move || {
        for line in std::io::BufReader::new(stderr)
            .lines()
            .map_while(Result::ok)
        {
            if tx.send(line).is_err() {
                break;
            }
        }
    });
    let first = rx.recv_timeout(std::time::Duration::from_secs(60));
    child.kill().unwrap();
    child.wait().unwrap();
    std::fs::remove_dir_all(&dir).unwrap();
    let first = first.expect("a line on stderr before serving");
    assert!(
        first.ends_with("mine.json:3:9: error at id: `bounces` is already the id of a built-in scenario, which keeps it: this file is not served"),
        "{first}"
    );
}

#[test]
fn trace_out_writes_the_whole_trace_as_json_lines_while_it_runs() {
    let dir = std::env::temp_dir().join(format!("mailhop-trace-out-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let file = dir.join("six-hops.ndjson");
    let out = mailhop(&[
        "run",
        "scenarios/bounces.json",
        "--trace-out",
        file.to_str().unwrap(),
    ]);
    assert_eq!(out.status.code(), Some(0), "{}", text(&out.stderr));
    assert!(
        text(&out.stdout).contains("The whole trace is in"),
        "{}",
        text(&out.stdout)
    );
    // The same events as --json, one per line after a header.
    let json = mailhop(&["run", "scenarios/bounces.json", "--json"]);
    let whole: serde_json::Value = serde_json::from_slice(&json.stdout).unwrap();
    let streamed = std::fs::read_to_string(&file).unwrap();
    let mut lines = streamed.lines();
    let header: serde_json::Value = serde_json::from_str(lines.next().unwrap()).unwrap();
    assert_eq!(header["scenario"], whole["scenario"]);
    assert_eq!(header["seed"], whole["seed"]);
    assert_eq!(header["start"], whole["start"]);
    let events: Vec<serde_json::Value> = lines
        .map(|l| serde_json::from_str(l).unwrap_or_else(|e| panic!("{e}: {l}")))
        .collect();
    assert_eq!(&serde_json::Value::Array(events), &whole["events"]);
    // And the table made from the rest is the same table, plus the note.
    let table = text(&mailhop(&["run", "scenarios/bounces.json"]).stdout);
    let streamed_table = text(&out.stdout);
    let (before_note, _) = streamed_table
        .rsplit_once("\nThe whole trace is in")
        .unwrap();
    assert_eq!(before_note, table);
    std::fs::remove_dir_all(&dir).unwrap();
}

#[test]
fn trace_out_to_a_place_that_cannot_be_written_is_refused_clearly() {
    let out = mailhop(&[
        "run",
        "scenarios/six-hops.json",
        "--trace-out",
        "/nonexistent-dir/trace.ndjson",
    ]);
    assert_eq!(out.status.code(), Some(2));
    assert!(
        text(&out.stderr).contains("/nonexistent-dir/trace.ndjson: cannot write the trace there"),
        "{}",
        text(&out.stderr)
    );
}

/// The trace file is written by a thread of its own; an error there (here
/// a full disk) still reaches the user, named, with a failing exit code.
#[cfg(target_os = "linux")]
#[test]
fn trace_out_to_a_full_disk_says_so() {
    let out = mailhop(&["run", "scenarios/six-hops.json", "--trace-out", "/dev/full"]);
    assert_eq!(out.status.code(), Some(2));
    assert!(
        text(&out.stderr).contains("cannot write the trace: No space left on device"),
        "{}",
        text(&out.stderr)
    );
}

#[test]
fn a_reader_that_stops_early_ends_the_program_quietly() {
    use std::io::Read;
    use std::process::Stdio;
    // `mailhop run --json … | head -c 10`: the trace is far larger than a
    // pipe's buffer, so the program meets the closed pipe while writing.
    let mut child = Command::new(env!("CARGO_BIN_EXE_mailhop"))
        .args(["run", "--json", "scenarios/six-hops.json"])
        .current_dir(env!("CARGO_MANIFEST_DIR"))
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    let mut first = [0u8; 10];
    child.stdout.take().unwrap().read_exact(&mut first).unwrap();
    let out = child.wait_with_output().unwrap();
    assert_eq!(&first[..1], b"{");
    assert_eq!(out.status.code(), Some(0), "{}", text(&out.stderr));
    assert!(
        !text(&out.stderr).contains("panicked"),
        "{}",
        text(&out.stderr)
    );
}

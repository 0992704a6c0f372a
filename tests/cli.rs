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
        "{}:76:15: error at faults[0].down: there is no node named `mx.freind.test`\n  hint: did you mean `mx.friend.test`?\n",
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
fn run_prints_every_hop_and_the_five_readable_copies() {
    let out = mailhop(&["run", "scenarios/six-hops.json"]);
    assert_eq!(out.status.code(), Some(0), "{}", text(&out.stderr));
    let table = text(&out.stdout);
    assert!(
        table.contains("Who could read m1 at rest (5 machines)"),
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
    assert_eq!(
        text(&out.stdout),
        committed,
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

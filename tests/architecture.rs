//! The import rules of ARCHITECTURE.md, held by a test: who may use whom.
//!
//! - Protocol engines (`proto`) and policies (`policy`) know neither the
//!   runtime nor the world nor the trace: bytes and time in, outputs out.
//! - Views (`report`, `exposure`, `invariants`, `check`, `player`,
//!   `narrate`) read traces and never run a world.
//! - Only `sim` builds the paused simulation runtime.
//! - Nothing in a run reads the wall clock: `std::time` and `SystemTime`
//!   stay out of `sim`, `proto`, `policy` and the views.
//! - Only the binary's edges print (`main.rs`, and `web` when it starts).
//!
//! Lines that are comments are skipped, so a module may explain a rule
//! without breaking it.

use std::path::{Path, PathBuf};

struct Rule {
    /// What the rule protects, for the failure message.
    name: &'static str,
    /// Source paths (relative to `src/`) the rule applies to: a folder ends
    /// in `/`.
    applies_to: &'static [&'static str],
    /// Paths exempt from it.
    except: &'static [&'static str],
    /// Text that must not appear in code.
    forbidden: &'static [&'static str],
}

const VIEWS: &[&str] = &[
    "report.rs",
    "exposure/",
    "invariants.rs",
    "check/",
    "player/",
    "narrate/",
];

const RULES: &[Rule] = &[
    Rule {
        name: "protocol engines and policies know neither the runtime nor the world nor the trace",
        applies_to: &["proto/", "policy/", "pgp/"],
        except: &[],
        forbidden: &[
            "tokio",
            "crate::sim",
            "crate::trace",
            "World",
            "crate::web",
            "crate::harness",
            "crate::suite",
            "crate::check",
        ],
    },
    Rule {
        name: "views read traces and never run a world",
        applies_to: VIEWS,
        except: &[],
        forbidden: &[
            "crate::sim",
            "sim::run",
            "crate::harness",
            "crate::suite",
            "tokio",
        ],
    },
    Rule {
        name: "only sim builds the simulation runtime",
        applies_to: &[""],
        except: &["sim/"],
        forbidden: &["start_paused", "LocalSet", "new_current_thread"],
    },
    Rule {
        name: "nothing in a run or a view reads the wall clock",
        applies_to: &[
            "sim/",
            "proto/",
            "policy/",
            "report.rs",
            "exposure/",
            "invariants.rs",
            "check/",
            "player/",
            "narrate/",
            "trace/",
            "clock.rs",
            "tls/",
            "pgp/",
        ],
        // imap-types carries IMAP dates as chrono values; this one file
        // converts them (the rule below keeps it to conversions).
        except: &["proto/imap/dates.rs", "policy/auth/resolver.rs"],
        forbidden: &["std::time::Instant", "SystemTime", "std::time::{", "chrono"],
    },
    Rule {
        // mail-auth's cache hooks take an `Instant` in `insert`; this file
        // names the type for the signature and never makes one.
        name: "the DNS hooks of sender authentication read no clock",
        applies_to: &["policy/auth/resolver.rs"],
        except: &[],
        forbidden: &["SystemTime", "now(", "elapsed", "chrono"],
    },
    Rule {
        name: "the IMAP date conversions read no clock",
        applies_to: &["proto/imap/dates.rs"],
        except: &[],
        forbidden: &["std::time", "SystemTime", "now(", "Local", "Utc::today"],
    },
    Rule {
        name: "only the binary's edges print",
        applies_to: &[""],
        except: &["main.rs", "web/mod.rs"],
        forbidden: &["println!", "eprintln!", "print!(", "eprint!("],
    },
];

/// One broken rule: where, and what.
#[derive(Debug, PartialEq, Eq)]
struct Breach {
    file: String,
    line: usize,
    rule: &'static str,
    found: &'static str,
}

fn matches(prefixes: &[&str], path: &str) -> bool {
    prefixes.iter().any(|p| {
        if p.is_empty() {
            true
        } else if p.ends_with('/') {
            path.starts_with(p)
        } else {
            path == *p
        }
    })
}

/// The breaches of every rule in one file's text (`path` relative to `src/`).
fn breaches(path: &str, text: &str) -> Vec<Breach> {
    let mut found = Vec::new();
    for rule in RULES {
        if !matches(rule.applies_to, path) || matches(rule.except, path) {
            continue;
        }
        for (i, line) in text.lines().enumerate() {
            let code = line.trim_start();
            if code.starts_with("//") {
                continue;
            }
            for needle in rule.forbidden {
                if code.contains(needle) {
                    found.push(Breach {
                        file: path.to_string(),
                        line: i + 1,
                        rule: rule.name,
                        found: needle,
                    });
                }
            }
        }
    }
    found
}

fn rust_files(dir: &Path, out: &mut Vec<PathBuf>) {
    let mut entries: Vec<PathBuf> = std::fs::read_dir(dir)
        .expect("src is readable")
        .map(|e| e.expect("entry").path())
        .collect();
    entries.sort();
    for path in entries {
        if path.is_dir() {
            rust_files(&path, out);
        } else if path.extension().is_some_and(|e| e == "rs") {
            out.push(path);
        }
    }
}

#[test]
fn the_import_rules_of_architecture_md_hold() {
    let src = Path::new(env!("CARGO_MANIFEST_DIR")).join("src");
    let mut files = Vec::new();
    rust_files(&src, &mut files);
    assert!(files.len() > 30, "found the sources: {}", files.len());
    let mut all = Vec::new();
    for file in &files {
        let rel = file
            .strip_prefix(&src)
            .expect("under src")
            .to_string_lossy()
            .replace('\\', "/");
        let text = std::fs::read_to_string(file).expect("readable");
        all.extend(breaches(&rel, &text));
    }
    let report: Vec<String> = all
        .iter()
        .map(|b| format!("src/{}:{}: `{}`: {}", b.file, b.line, b.found, b.rule))
        .collect();
    assert!(report.is_empty(), "{}", report.join("\n"));
}

/// The check itself can fail: a forbidden import added to an engine, a view
/// that runs a world, a stray print, are each caught.
#[test]
fn a_forbidden_import_is_caught() {
    let engine = "use crate::proto::smtp::Reply;\nuse crate::sim::world::World;\n";
    assert_eq!(
        breaches("proto/smtp/server/mod.rs", engine),
        vec![
            Breach {
                file: "proto/smtp/server/mod.rs".into(),
                line: 2,
                rule: RULES[0].name,
                found: "crate::sim",
            },
            Breach {
                file: "proto/smtp/server/mod.rs".into(),
                line: 2,
                rule: RULES[0].name,
                found: "World",
            },
        ]
    );
    let view = "fn f(s: &Scenario) { let t = crate::sim::run(s); }";
    assert_eq!(breaches("check/claims.rs", view).len(), 2);
    assert_eq!(breaches("policy/relay.rs", "use tokio::time;").len(), 1);
    assert_eq!(breaches("sim/mta/mod.rs", "println!(\"debug\");").len(), 1);
    assert_eq!(
        breaches("sim/mta/mod.rs", "let t = std::time::Instant::now();").len(),
        1
    );
    assert!(breaches("sim/mod.rs", "LocalSet::new()").is_empty());
    assert_eq!(
        breaches(
            "proto/imap/fetch.rs",
            "chrono::DateTime::from_timestamp(0, 0)"
        )
        .len(),
        1
    );
    assert!(
        breaches(
            "proto/imap/dates.rs",
            "chrono::DateTime::from_timestamp(0, 0)"
        )
        .is_empty()
    );
    assert_eq!(
        breaches("proto/imap/dates.rs", "let t = chrono::Utc::now();").len(),
        1
    );
    assert!(breaches("proto/mod.rs", "//! never imports tokio").is_empty());
}

//! `mailhop test`: run a library of scenarios and check every claim.
//!
//! Each scenario file is loaded, run (`--repeat N` times, to prove the runs
//! identical), checked against its `expect` list and against the
//! invariants every run must keep. Files run in parallel on the available
//! cores; results come back in the order the files were named. The reports
//! render as text for people, JSON for programs and JUnit XML for CI
//! systems. This module only orchestrates: simulation is `sim`, judging is
//! `check`.

use std::fmt::Write as _;
use std::path::{Path, PathBuf};
use std::sync::Mutex;
use std::sync::atomic::{AtomicUsize, Ordering};

use serde::Serialize;

use crate::check::{self, Outcome};
use crate::scenario::locate::{self, JsonPath};
use crate::scenario::{self, LoadError, Problem};
use crate::{invariants, sim};

/// How a scenario fared.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Status {
    Passed,
    Failed,
    /// The file is not a valid scenario; it did not run.
    Invalid,
}

/// The result of one scenario file.
#[derive(Debug, Clone, Serialize)]
pub struct ScenarioReport {
    pub file: String,
    /// The scenario's id, when the file could be read.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub id: Option<String>,
    pub status: Status,
    /// One per expectation, in the file's order.
    pub outcomes: Vec<Outcome>,
    /// Where each expectation is written: `file:line:column`, by index.
    #[serde(skip)]
    pub locations: Vec<String>,
    /// Problems that are not expectations: invalid file, broken invariant,
    /// runs that differ.
    pub problems: Vec<String>,
    /// Wall time spent on this file, in milliseconds (runner only; never
    /// part of a trace).
    pub millis: u64,
}

impl ScenarioReport {
    fn failed_outcomes(&self) -> impl Iterator<Item = &Outcome> {
        self.outcomes.iter().filter(|o| !o.passed)
    }
}

/// The result of a whole `mailhop test`.
#[derive(Debug, Clone, Serialize)]
pub struct SuiteReport {
    pub scenarios: Vec<ScenarioReport>,
    pub passed: usize,
    pub failed: usize,
}

impl SuiteReport {
    /// 0 when all pass, 1 when any fails, 2 when any file is invalid.
    pub fn exit_code(&self) -> u8 {
        if self.scenarios.iter().any(|s| s.status == Status::Invalid) {
            2
        } else if self.failed > 0 {
            1
        } else {
            0
        }
    }
}

/// Knobs of a suite run.
#[derive(Debug, Clone)]
pub struct Options {
    /// Runs per scenario; more than one also checks the traces are identical.
    pub repeat: u32,
    /// Scenarios run at the same time.
    pub jobs: usize,
    /// Caps on each run.
    pub limits: crate::sim::Limits,
    /// Stop each run at this virtual time if its scenario says later.
    pub until: Option<crate::scenario::Duration>,
}

impl Default for Options {
    fn default() -> Self {
        Options {
            repeat: 1,
            jobs: std::thread::available_parallelism().map_or(1, |n| n.get()),
            limits: crate::sim::Limits::default(),
            until: None,
        }
    }
}

/// The scenario files named by `paths`: files as given, folders searched
/// recursively for `*.json` in name order. Paths that do not exist are
/// kept, so that loading reports them.
pub fn collect_files(paths: &[PathBuf]) -> Vec<PathBuf> {
    let mut files = Vec::new();
    for path in paths {
        if path.is_dir() {
            walk(path, &mut files);
        } else {
            files.push(path.clone());
        }
    }
    files
}

fn walk(dir: &Path, files: &mut Vec<PathBuf>) {
    let Ok(entries) = std::fs::read_dir(dir) else {
        return;
    };
    let mut entries: Vec<PathBuf> = entries.filter_map(|e| e.ok().map(|e| e.path())).collect();
    entries.sort();
    for path in entries {
        if path.is_dir() {
            walk(&path, files);
        } else if path.extension().is_some_and(|e| e == "json")
            && !path.to_string_lossy().ends_with(".schema.json")
        {
            files.push(path);
        }
    }
}

/// Runs and checks every file, in parallel.
pub fn run(files: &[PathBuf], options: &Options) -> SuiteReport {
    let next = AtomicUsize::new(0);
    let results: Vec<Mutex<Option<ScenarioReport>>> =
        files.iter().map(|_| Mutex::new(None)).collect();
    let workers = options.jobs.clamp(1, files.len().max(1));
    std::thread::scope(|scope| {
        for _ in 0..workers {
            scope.spawn(|| {
                loop {
                    let i = next.fetch_add(1, Ordering::Relaxed);
                    let Some(file) = files.get(i) else { break };
                    let report = run_one(file, options);
                    *results[i].lock().expect("no worker panics holding it") = Some(report);
                }
            });
        }
    });
    let scenarios: Vec<ScenarioReport> = results
        .into_iter()
        .map(|m| {
            m.into_inner()
                .expect("no worker panics holding it")
                .expect("every file was run")
        })
        .collect();
    let passed = scenarios
        .iter()
        .filter(|s| s.status == Status::Passed)
        .count();
    SuiteReport {
        failed: scenarios.len() - passed,
        passed,
        scenarios,
    }
}

/// Loads, runs and checks one file.
pub fn run_one(file: &Path, options: &Options) -> ScenarioReport {
    let repeat = options.repeat.max(1);
    let run_options = crate::sim::Options {
        limits: options.limits,
        ..crate::sim::Options::default()
    };
    let started = std::time::Instant::now();
    let name = file.display().to_string();
    let text = std::fs::read_to_string(file);
    let loaded = match &text {
        Ok(text) => scenario::load_str(&name, text),
        Err(_) => scenario::load_file(file),
    };
    let mut report = ScenarioReport {
        file: name.clone(),
        id: None,
        status: Status::Invalid,
        outcomes: Vec::new(),
        locations: Vec::new(),
        problems: Vec::new(),
        millis: 0,
    };
    let mut scenario = match loaded {
        Ok(scenario) => scenario,
        Err(LoadError { problems }) => {
            report.problems = problems.iter().map(Problem::to_string).collect();
            report.millis = started.elapsed().as_millis() as u64;
            return report;
        }
    };
    report.id = Some(scenario.id.clone());
    if let Some(until) = options.until {
        scenario.until = scenario.until.min(until);
    }
    let text = text.unwrap_or_default();
    report.locations = expectation_locations(&name, &text, scenario.expect.len());
    let trace = match sim::run_with(&scenario, &run_options) {
        Ok(trace) => trace,
        Err(err) => {
            report.problems.push(format!("{name}: cannot run: {err}"));
            report.millis = started.elapsed().as_millis() as u64;
            return report;
        }
    };
    if let Some(why) = invariants::cut_short(&trace) {
        report.problems.push(why);
    } else {
        report.problems.extend(
            unseen_caption_problems(&name, &text, &scenario, &trace)
                .iter()
                .map(Problem::to_string),
        );
    }
    if let Err(err) = invariants::check_shape(&trace) {
        report
            .problems
            .push(format!("invariant broken (trace shape): {err}"));
    }
    if let Err(violations) = invariants::check_no_loss(&trace) {
        for v in violations {
            report
                .problems
                .push(format!("invariant broken (no message lost silently): {v}"));
        }
    }
    if repeat > 1 {
        let first = trace.to_json();
        for run in 2..=repeat {
            match sim::run_with(&scenario, &run_options) {
                Ok(again) => {
                    let again = again.to_json();
                    if again != first {
                        report.problems.push(format!(
                            "runs differ: run {run} is not byte-identical to run 1 ({})",
                            first_difference(&first, &again)
                        ));
                        break;
                    }
                }
                Err(err) => {
                    report
                        .problems
                        .push(format!("run {run} could not start: {err}"));
                    break;
                }
            }
        }
    }
    report.outcomes = check::check_all(&scenario.expect, &trace);
    report.status = if report.problems.is_empty() && report.outcomes.iter().all(|o| o.passed) {
        Status::Passed
    } else {
        Status::Failed
    };
    report.millis = started.elapsed().as_millis() as u64;
    report
}

/// Where each expectation is written, `file:line:column`, by index.
pub fn expectation_locations(name: &str, text: &str, count: usize) -> Vec<String> {
    (0..count)
        .map(|i| {
            let (line, column) = position(text, &JsonPath::root().key("expect").index(i));
            format!("{name}:{line}:{column}")
        })
        .collect()
}

/// Line and column of the value at `path` (the top of the file if it
/// cannot be found).
fn position(text: &str, path: &JsonPath) -> (usize, usize) {
    let offset = locate::locate(text, path).map_or(0, |spot| spot.value);
    locate::line_column(text, offset)
}

/// Captions no student can see, because they are written for a hop the run
/// never makes, as problems located at their `on`. An authoring mistake,
/// so `mailhop test` fails on it like on a failed claim. Only a run can
/// tell: `mailhop validate` does not run scenarios.
pub fn unseen_caption_problems(
    name: &str,
    text: &str,
    scenario: &scenario::Scenario,
    trace: &crate::trace::Trace,
) -> Vec<Problem> {
    let timed_out = matches!(
        trace.events.last().map(|r| &r.event),
        Some(crate::trace::Event::End { reason }) if reason == "time_limit"
    );
    crate::player::unseen_captions(scenario, trace)
        .into_iter()
        .map(|unseen| {
            let path = JsonPath::root()
                .key("captions")
                .index(unseen.index)
                .key("on");
            let (line, column) = position(text, &path);
            let (made, valid, hint) = unseen_words(&unseen);
            let mut hint = hint.replace("{valid}", &valid);
            if timed_out {
                hint.push_str(
                    "; the run stopped at its time limit (`until`), and a later one may let more hops happen",
                );
            }
            Problem {
                file: name.to_string(),
                line,
                column,
                path: path.to_string(),
                message: format!(
                    "the caption on `{}` is never shown: the run {made}",
                    unseen.on
                ),
                hint: Some(hint),
                warning: false,
            }
        })
        .collect()
}

/// What a caption's unseen step is, in words: what the run has instead,
/// the captions that would show, and a hint with `{valid}` in it.
fn unseen_words(unseen: &crate::player::UnseenCaption) -> (String, String, String) {
    let kind = unseen.kind;
    let (none, one, many, what) = match kind {
        "hop" => (
            "makes no hop",
            "hop",
            "hops",
            "a caption on `hop:N` shows while hop N is on screen; here use {valid}",
        ),
        "session" => (
            "has no connection that moved no message",
            "connection that moved no message",
            "connections that moved no message",
            "a caption on `session:N` shows on the Nth connection that moved no message \
             (refused, told to try later, or cut); here use {valid}",
        ),
        "blocked" => (
            "has no connection a network rule dropped",
            "connection a network rule dropped",
            "connections a network rule dropped",
            "a caption on `blocked:N` shows on the Nth connection attempt a network's rule \
             dropped (`networks`, `block_outbound_smtp`); here use {valid}",
        ),
        _ => (
            "has no copy written without a hop",
            "copy written without a hop",
            "copies written without a hop",
            "a caption on `stored:N` shows on the Nth copy a server wrote without a hop \
             bringing it (a bounce or delay notification); here use {valid}",
        ),
    };
    let (made, valid) = match unseen.made {
        0 => (none.to_string(), "`start` or `end`".to_string()),
        1 => (
            format!("has 1 {one}"),
            format!("`{kind}:1`, or `end` for what happens after it"),
        ),
        n => (
            format!("has {n} {many}"),
            format!("`{kind}:1` to `{kind}:{n}`, or `end` for what happens after the last {one}"),
        ),
    };
    (made, valid, what.to_string())
}

/// Where two JSON traces first differ, by line.
fn first_difference(a: &str, b: &str) -> String {
    a.lines()
        .zip(b.lines())
        .enumerate()
        .find(|(_, (x, y))| x != y)
        .map(|(i, (x, y))| {
            format!(
                "line {} of the JSON trace: {:?} vs {:?}",
                i + 1,
                x.trim(),
                y.trim()
            )
        })
        .unwrap_or_else(|| "one trace is longer".to_string())
}

/// The human-readable report: a line per scenario, details under failures,
/// and `N passed, N failed` last.
pub fn render_text(suite: &SuiteReport) -> String {
    let mut out = String::new();
    for s in &suite.scenarios {
        let id =
            s.id.as_deref()
                .map(|id| format!(" ({id})"))
                .unwrap_or_default();
        match s.status {
            Status::Passed => {
                let what = match s.outcomes.len() {
                    0 => "no expectations, invariants hold".to_string(),
                    1 => "1 expectation".to_string(),
                    n => format!("{n} expectations"),
                };
                let _ = writeln!(out, "ok       {}{id}: {what}", s.file);
            }
            Status::Failed => {
                let failed = s.failed_outcomes().count();
                let mut what = Vec::new();
                if failed > 0 {
                    what.push(format!(
                        "{failed} of {} expectations failed",
                        s.outcomes.len()
                    ));
                }
                if !s.problems.is_empty() {
                    what.push(format!("{} other problem(s)", s.problems.len()));
                }
                let _ = writeln!(out, "FAILED   {}{id}: {}", s.file, what.join(", "));
                for o in s.failed_outcomes() {
                    let at = s.locations.get(o.index).map_or("", String::as_str);
                    let _ = writeln!(out, "  {at}: expect[{}] {}", o.index, o.claim);
                    let _ = writeln!(out, "      expected:   {}", o.expected);
                    let _ = writeln!(out, "      actual:     {}", o.actual);
                    if let Some(e) = &o.evidence {
                        let _ = writeln!(out, "      decided by: {e}");
                    }
                }
                for p in &s.problems {
                    for line in p.lines() {
                        let _ = writeln!(out, "  {line}");
                    }
                }
            }
            Status::Invalid => {
                let _ = writeln!(out, "INVALID  {}: not a valid scenario", s.file);
                for p in &s.problems {
                    for line in p.lines() {
                        let _ = writeln!(out, "  {line}");
                    }
                }
            }
        }
    }
    let _ = writeln!(out, "{} passed, {} failed", suite.passed, suite.failed);
    out
}

/// The machine-readable report.
pub fn render_json(suite: &SuiteReport) -> String {
    serde_json::to_string_pretty(suite).expect("a report is plain data")
}

/// JUnit XML: one testsuite, one testcase per scenario, a `failure`
/// element under each scenario that did not pass.
pub fn render_junit(suite: &SuiteReport) -> String {
    let total_ms: u64 = suite.scenarios.iter().map(|s| s.millis).sum();
    let mut out = String::from("<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n");
    let _ = writeln!(
        out,
        "<testsuites name=\"mailhop\" tests=\"{}\" failures=\"{}\" errors=\"0\" time=\"{}\">",
        suite.scenarios.len(),
        suite.failed,
        seconds(total_ms)
    );
    let _ = writeln!(
        out,
        "  <testsuite name=\"mailhop test\" tests=\"{}\" failures=\"{}\" errors=\"0\" skipped=\"0\" time=\"{}\">",
        suite.scenarios.len(),
        suite.failed,
        seconds(total_ms)
    );
    for s in &suite.scenarios {
        let name = s.id.clone().unwrap_or_else(|| s.file.clone());
        let _ = write!(
            out,
            "    <testcase classname=\"scenarios\" name=\"{}\" file=\"{}\" time=\"{}\"",
            xml_escape(&name),
            xml_escape(&s.file),
            seconds(s.millis)
        );
        if s.status == Status::Passed {
            out.push_str("/>\n");
            continue;
        }
        out.push_str(">\n");
        let (kind, message) = match s.status {
            Status::Invalid => ("invalid".to_string(), "not a valid scenario".to_string()),
            _ => (
                "expectation".to_string(),
                format!(
                    "{} of {} expectations failed, {} other problem(s)",
                    s.failed_outcomes().count(),
                    s.outcomes.len(),
                    s.problems.len()
                ),
            ),
        };
        let mut body = String::new();
        for o in s.failed_outcomes() {
            let at = s.locations.get(o.index).map_or("", String::as_str);
            let _ = writeln!(body, "{at}: {o}");
        }
        for p in &s.problems {
            let _ = writeln!(body, "{p}");
        }
        let _ = writeln!(
            out,
            "      <failure type=\"{kind}\" message=\"{}\">{}</failure>",
            xml_escape(&message),
            xml_escape(&body)
        );
        out.push_str("    </testcase>\n");
    }
    out.push_str("  </testsuite>\n</testsuites>\n");
    out
}

fn seconds(ms: u64) -> String {
    format!("{}.{:03}", ms / 1000, ms % 1000)
}

/// Escapes text for XML content and attribute values; drops characters XML 1.0 cannot carry.
fn xml_escape(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for c in text.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&apos;"),
            '\n' | '\t' | '\r' => out.push(c),
            c if (c as u32) < 0x20 || c == '\u{fffe}' || c == '\u{ffff}' => {}
            c => out.push(c),
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn xml_escape_handles_markup_and_control_characters() {
        assert_eq!(
            xml_escape("a<b> & \"c\" 'd'\u{1}\n"),
            "a&lt;b&gt; &amp; &quot;c&quot; &apos;d&apos;\n"
        );
    }

    #[test]
    fn first_difference_names_the_line() {
        assert_eq!(
            first_difference("a\nb\nc", "a\nx\nc"),
            "line 2 of the JSON trace: \"b\" vs \"x\""
        );
    }
}

//! Checking a scenario's claims against the trace of its run.
//!
//! This is a view: it reads a [`Trace`] and never simulates. Each
//! [`Expectation`] becomes an [`Outcome`] that says what was claimed, what
//! the trace shows instead, and which event decided it, so a failing check
//! in CI points at a virtual time and a hop, not at a line of Rust.
//!
//! [`Run`] is the same thing as a Rust API: the project's own tests load a
//! scenario, run it, and check claims written exactly as in scenario files.

mod claims;
mod smtp;

use std::fmt;
use std::path::Path;

use crate::clock::SimTime;
use crate::scenario::{self, Expectation, LoadError, Scenario};
use crate::sim;
use crate::trace::{Record, Trace};

pub use smtp::{Exchange, exchanges};

/// The trace event that decided an outcome.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
pub struct Evidence {
    /// Virtual time of the event (ms).
    pub t: u64,
    /// Its position in the trace.
    pub seq: u64,
    /// The hop it belongs to, when it is one or follows one.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub hop: Option<u32>,
    /// The event in a few words.
    pub what: String,
}

impl Evidence {
    pub(crate) fn of(record: &Record, hop: Option<u32>, what: impl Into<String>) -> Self {
        Evidence {
            t: record.t,
            seq: record.seq,
            hop,
            what: what.into(),
        }
    }
}

impl fmt::Display for Evidence {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{} ", SimTime(self.t))?;
        if let Some(hop) = self.hop {
            write!(f, "hop {hop}: ")?;
        }
        write!(f, "{} (event #{})", self.what, self.seq)
    }
}

/// The verdict on one expectation.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
pub struct Outcome {
    /// Position in the scenario's `expect` list (0 for a claim checked on its own).
    pub index: usize,
    /// The claim in words: `hop 3: channel`, `delivered to bob@friend.test`.
    pub claim: String,
    pub passed: bool,
    /// What the claim says.
    pub expected: String,
    /// What the trace shows.
    pub actual: String,
    /// The event that decided it, when one did.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub evidence: Option<Evidence>,
}

impl fmt::Display for Outcome {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let verdict = if self.passed { "ok" } else { "FAILED" };
        writeln!(f, "expect[{}] {}: {verdict}", self.index, self.claim)?;
        writeln!(f, "  expected: {}", self.expected)?;
        write!(f, "  actual:   {}", self.actual)?;
        if let Some(evidence) = &self.evidence {
            write!(f, "\n  decided by: {evidence}")?;
        }
        Ok(())
    }
}

/// Checks every expectation against a trace, in order.
pub fn check_all(expectations: &[Expectation], trace: &Trace) -> Vec<Outcome> {
    expectations
        .iter()
        .enumerate()
        .map(|(index, expectation)| check(index, expectation, trace))
        .collect()
}

/// Checks one expectation; `index` is its place in the `expect` list.
pub fn check(index: usize, expectation: &Expectation, trace: &Trace) -> Outcome {
    claims::check(index, expectation, trace)
}

/// A scenario and the trace of its run, to query and check.
#[derive(Debug, Clone)]
pub struct Run {
    pub scenario: Scenario,
    pub trace: Trace,
}

/// Why a scenario could not be run.
#[derive(Debug)]
pub enum RunError {
    /// The file is not a valid scenario.
    Invalid(LoadError),
    /// The world could not be built (for example a certificate could not be made).
    World(String),
}

impl fmt::Display for RunError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            RunError::Invalid(err) => write!(f, "{err}"),
            RunError::World(err) => write!(f, "cannot run: {err}"),
        }
    }
}

impl std::error::Error for RunError {}

impl Run {
    /// Loads a scenario file and runs it.
    pub fn file(path: impl AsRef<Path>) -> Result<Run, RunError> {
        let scenario = scenario::load_file(path.as_ref()).map_err(RunError::Invalid)?;
        Run::scenario(scenario)
    }

    /// Runs a scenario given as JSON text (`name` appears in error messages).
    pub fn json(name: &str, text: &str) -> Result<Run, RunError> {
        let scenario = scenario::load_str(name, text).map_err(RunError::Invalid)?;
        Run::scenario(scenario)
    }

    /// Runs a loaded scenario.
    pub fn scenario(scenario: Scenario) -> Result<Run, RunError> {
        let trace = sim::run(&scenario).map_err(RunError::World)?;
        Ok(Run { scenario, trace })
    }

    /// Checks the scenario's own `expect` list.
    pub fn outcomes(&self) -> Vec<Outcome> {
        check_all(&self.scenario.expect, &self.trace)
    }

    /// Checks one claim written as in a scenario file, such as
    /// `{"hop": {"index": 3, "channel": "plaintext"}}`.
    ///
    /// # Panics
    /// When `claim` is not a valid expectation: in a test, that is the test's bug.
    pub fn check(&self, claim: &str) -> Outcome {
        let expectation: Expectation = serde_json::from_str(claim)
            .unwrap_or_else(|err| panic!("not an expectation: {claim}: {err}"));
        check(0, &expectation, &self.trace)
    }

    /// Like [`Run::check`], and panics with the outcome when the claim fails.
    pub fn assert(&self, claim: &str) {
        let outcome = self.check(claim);
        assert!(outcome.passed, "{outcome}");
    }
}

//! The harness: run a scenario and check what it claims, for the project's
//! own tests and for anything that needs both at once.
//!
//! This is the layer above the views: it owns no simulation code, it calls
//! `sim::run` and hands the trace to `check`, which never runs anything
//! itself (`tests/architecture.rs` holds that line). `suite` is the same
//! thing for whole folders of scenario files (`mailhop test`).

use std::fmt;
use std::path::Path;

use crate::check::{Outcome, check, check_all};
use crate::scenario::{self, Expectation, LoadError, Scenario};
use crate::sim;
use crate::trace::Trace;

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

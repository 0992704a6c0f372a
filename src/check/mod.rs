//! Checking a scenario's claims against the trace of its run.
//!
//! This is a view: it reads a [`Trace`] and never simulates. Each
//! [`Expectation`] becomes an [`Outcome`] that says what was claimed, what
//! the trace shows instead, and which event decided it, so a failing check
//! in CI points at a virtual time and a hop, not at a line of Rust.
//!
//! `harness::Run` puts a run and these checks together as a Rust API.

mod claims;
mod cures;
mod pgp;
mod retrieval;
mod senders;
mod smtp;

use std::fmt;

use crate::clock::SimTime;
use crate::scenario::Expectation;
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

//! mailhop: a deterministic, step-by-step simulator of how e-mail travels.
//!
//! See ARCHITECTURE.md for the bird's-eye view. In short: a
//! [`scenario`] file describes a world; [`sim::run`] runs it with real SMTP
//! and TLS over in-memory links on a virtual clock; the result is a
//! [`trace::Trace`], which every view reads ([`exposure`], [`report`],
//! [`invariants`]); [`narrate`] tells its events in words.

pub mod check;
pub mod clock;
pub mod exposure;
pub mod harness;
pub mod invariants;
pub mod narrate;
pub mod pgp;
pub mod player;
pub mod policy;
pub mod proto;
pub mod report;
pub mod scenario;
pub mod sim;
pub mod suite;
pub mod tls;
pub mod trace;
pub mod web;

//! Scenario files: the format (`model`), durations, and loading with
//! validation errors that point at file, line and column.

pub mod duration;
pub(crate) mod locate;
pub mod model;

pub use duration::Duration;
pub use model::*;

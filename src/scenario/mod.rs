//! Scenario files: the format (`model`), durations, and loading with
//! validation errors that point at file, line and column.

pub mod duration;
pub mod edge;
pub mod expect;
mod load;
pub(crate) mod locate;
pub mod model;
pub mod pgp;
pub mod senders;
pub mod tls_policy;

pub use duration::Duration;
pub use expect::*;
pub use load::{
    LoadError, Problem, load_file, load_file_with_warnings, load_str, load_str_with_warnings,
    schema_json,
};
pub use model::*;

//! Loading a scenario: from text to a checked [`Scenario`], or to a list of
//! problems an instructor can act on.
//!
//! Loading runs in three passes, and each reports every problem it finds
//! rather than stopping at the first:
//!
//! 1. **Syntax and shape**: `serde_json` through `serde_path_to_error`, so a
//!    wrong type, a misspelt key or an unknown role comes back with its JSON
//!    path and the position `serde_json` stopped at.
//! 2. **Keys written twice**: `serde_json` silently keeps the last of two
//!    equal keys in a map (two nodes with one name), which would hide half a
//!    world; [`locate::duplicate_keys`] finds them.
//! 3. **Meaning**: names that must refer to nodes, roles that must fit the
//!    fields used, addresses, dates, captions. These run on the parsed value
//!    and use [`locate::locate`] to find where in the text each one was written.
//!
//! Every [`Problem`] names file, line, column and JSON path, says what is
//! wrong and, where it can, what would be valid ("did you mean `relay`?").

use std::fmt;
use std::path::Path;

use super::locate::{self, JsonPath};
use super::model::Scenario;

/// One thing wrong with a scenario file, and where.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Problem {
    /// The file as the user named it.
    pub file: String,
    /// 1-based line; 0 when the problem concerns the whole file.
    pub line: usize,
    /// 1-based column, counted in characters.
    pub column: usize,
    /// JSON path of the value at fault (`nodes."alice-laptop".submit`), empty for the top.
    pub path: String,
    /// What is wrong.
    pub message: String,
    /// What would be valid, or how to fix it.
    pub hint: Option<String>,
    /// A warning does not stop the scenario from running: it points at
    /// something a real system would get wrong too (an MX host without an
    /// address), which an instructor may want to show on purpose.
    pub warning: bool,
}

impl fmt::Display for Problem {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}", self.file)?;
        if self.line > 0 {
            write!(f, ":{}:{}", self.line, self.column)?;
        }
        f.write_str(if self.warning { ": warning" } else { ": error" })?;
        if !self.path.is_empty() {
            write!(f, " at {}", self.path)?;
        }
        write!(f, ": {}", self.message)?;
        if let Some(hint) = &self.hint {
            write!(f, "\n  hint: {hint}")?;
        }
        Ok(())
    }
}

/// Every problem found in one scenario file.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LoadError {
    pub problems: Vec<Problem>,
}

impl fmt::Display for LoadError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        for (i, problem) in self.problems.iter().enumerate() {
            if i > 0 {
                f.write_str("\n")?;
            }
            write!(f, "{problem}")?;
        }
        Ok(())
    }
}

impl std::error::Error for LoadError {}

/// 1980-01-01T00:00:00Z and 2999-12-31T23:59:59Z: the range of `start`.
const START_EARLIEST: i64 = 315_532_800;
const START_LATEST: i64 = 32_503_679_999;

/// Reads and checks a scenario file (warnings are dropped: see
/// [`load_file_with_warnings`]).
pub fn load_file(path: &Path) -> Result<Scenario, LoadError> {
    load_file_with_warnings(path).map(|(scenario, _)| scenario)
}

/// Reads and checks a scenario file, keeping the warnings.
pub fn load_file_with_warnings(path: &Path) -> Result<(Scenario, Vec<Problem>), LoadError> {
    let name = path.display().to_string();
    match std::fs::read(path) {
        Ok(bytes) => match String::from_utf8(bytes) {
            Ok(text) => load_str_with_warnings(&name, &text),
            Err(err) => {
                let valid = err.utf8_error().valid_up_to();
                let before = String::from_utf8_lossy(&err.as_bytes()[..valid]);
                let (line, column) = locate::line_column(&before, before.len());
                Err(LoadError {
                    problems: vec![Problem {
                        file: name,
                        line,
                        column,
                        path: String::new(),
                        warning: false,
                        message: format!(
                            "the file is not UTF-8 text: byte 0x{:02X} cannot start or continue a character here",
                            err.as_bytes()[valid]
                        ),
                        hint: Some(
                            "save the file as UTF-8 (JSON files must be UTF-8; \"Latin-1\" or \"Windows-1252\" editors write other bytes for letters like é or ç)"
                                .into(),
                        ),
                    }],
                })
            }
        },
        Err(err) => Err(LoadError {
            problems: vec![Problem {
                file: name,
                line: 0,
                column: 0,
                path: String::new(),
                warning: false,
                message: format!("cannot read the file: {err}"),
                hint: Some(
                    "check the path; scenarios are JSON files such as scenarios/six-hops.json"
                        .into(),
                ),
            }],
        }),
    }
}

/// Checks scenario text; `file` is the name used in problems.
pub fn load_str(file: &str, text: &str) -> Result<Scenario, LoadError> {
    load_str_with_warnings(file, text).map(|(scenario, _)| scenario)
}

/// Checks scenario text; a scenario with only warnings loads, and they are
/// returned beside it.
pub fn load_str_with_warnings(
    file: &str,
    text: &str,
) -> Result<(Scenario, Vec<Problem>), LoadError> {
    let mut problems = Problems {
        file,
        text,
        list: Vec::new(),
    };
    let mut deserializer = serde_json::Deserializer::from_str(text);
    let parsed: Result<Scenario, _> = serde_path_to_error::deserialize(&mut deserializer);
    let scenario = match parsed {
        Ok(scenario) => scenario,
        Err(err) => {
            problems.shape(err.inner(), &JsonPath::from(err.path()));
            return Err(LoadError {
                problems: problems.list,
            });
        }
    };
    if let Err(err) = deserializer.end() {
        problems.shape(&err, &JsonPath::root());
        return Err(LoadError {
            problems: problems.list,
        });
    }
    for duplicate in locate::duplicate_keys(text) {
        let (line, column) = locate::line_column(text, duplicate.first);
        problems.at_offset(
            duplicate.again,
            &duplicate.path,
            "this key is written twice in the same object; only the last one would count"
                .to_string(),
            Some(format!(
                "the first one is at line {line}, column {column}; give each a different name or merge them"
            )),
        );
    }
    meaning::check_meaning(&scenario, &mut problems);
    problems.list.sort_by_key(|p| (p.line, p.column));
    if problems.list.iter().all(|p| p.warning) {
        Ok((scenario, problems.list))
    } else {
        Err(LoadError {
            problems: problems.list,
        })
    }
}

/// The JSON Schema of scenario files, pretty-printed.
pub fn schema_json() -> String {
    let schema = schemars::schema_for!(Scenario);
    serde_json::to_string_pretty(&schema).expect("a schema is plain JSON")
}

/// Collects problems for one file.
struct Problems<'a> {
    file: &'a str,
    text: &'a str,
    list: Vec<Problem>,
}

impl Problems<'_> {
    fn at_offset(&mut self, offset: usize, path: &JsonPath, message: String, hint: Option<String>) {
        let (line, column) = locate::line_column(self.text, offset);
        self.push(line, column, path, message, hint);
    }

    fn push(
        &mut self,
        line: usize,
        column: usize,
        path: &JsonPath,
        message: String,
        hint: Option<String>,
    ) {
        self.list.push(Problem {
            file: self.file.to_string(),
            line,
            column,
            path: path.to_string(),
            message,
            hint,
            warning: false,
        });
    }

    /// Like [`at`](Self::at), as a warning.
    fn warn(&mut self, path: &JsonPath, message: impl Into<String>, hint: Option<String>) {
        self.at(path, message, hint);
        if let Some(last) = self.list.last_mut() {
            last.warning = true;
        }
    }

    /// A problem with the value at `path` (or, failing that, the nearest
    /// enclosing value that can be found).
    fn at(&mut self, path: &JsonPath, message: impl Into<String>, hint: Option<String>) {
        let offset = locate::locate(self.text, path)
            .map(|spot| spot.value)
            .unwrap_or(0);
        self.at_offset(offset, path, message.into(), hint);
    }

    /// A problem with the key at `path` itself (a node's name, a DNS owner).
    fn at_key(&mut self, path: &JsonPath, message: impl Into<String>, hint: Option<String>) {
        let offset = locate::locate(self.text, path)
            .map(|spot| spot.key.unwrap_or(spot.value))
            .unwrap_or(0);
        self.at_offset(offset, path, message.into(), hint);
    }

    /// A syntax or shape error from serde.
    fn shape(&mut self, inner: &serde_json::Error, path: &JsonPath) {
        let full = inner.to_string();
        // serde_json appends " at line L column C"; we print the position ourselves.
        let message = match full.rfind(" at line ") {
            Some(cut) => full[..cut].to_string(),
            None => full,
        };
        let hint = shape_hint(inner, &message);
        // The valid names go to the hint, next to the nearest one.
        let message = match (message.split_once(", expected one of"), &hint) {
            (Some((head, _)), Some(_)) => head.to_string(),
            _ => message,
        };
        let (line, column) = if inner.line() == 0 {
            locate::line_column(self.text, self.text.len())
        } else {
            (inner.line(), inner.column().max(1))
        };
        self.push(line, column, path, message, hint);
    }
}

/// What to do about a serde error, when we can tell.
fn shape_hint(err: &serde_json::Error, message: &str) -> Option<String> {
    use serde_json::error::Category;
    match err.classify() {
        Category::Eof => Some(
            "the file ends too early: a closing `}` or `]`, or the end of a string, is missing"
                .into(),
        ),
        Category::Syntax => Some(
            "check for a missing comma between items, a trailing comma before `}` or `]`, or a key without double quotes"
                .into(),
        ),
        Category::Io => None,
        Category::Data => {
            for what in ["unknown field", "unknown variant"] {
                if let Some(hint) = nearest_from_message(message, what) {
                    return Some(hint);
                }
            }
            if message.starts_with("missing field") {
                return Some("add it: `mailhop schema` lists every field and what it means".into());
            }
            if message.starts_with("invalid type") && message.contains("expected u16") {
                return Some("ports and other numbers are written without quotes, like 25".into());
            }
            if message.starts_with("invalid type") {
                return Some(
                    "durations and names are strings in double quotes (\"90s\"), lists use [ ], objects use { }"
                        .into(),
                );
            }
            None
        }
    }
}

/// For "unknown field `relya`, expected one of `role`, `relay`" style
/// messages: the nearest valid name and the list of valid ones.
fn nearest_from_message(message: &str, what: &str) -> Option<String> {
    let rest = message.strip_prefix(what)?.trim_start();
    let wrong = rest.strip_prefix('`')?.split('`').next()?;
    let valid: Vec<&str> = rest
        .split_once("expected ")
        .map(|(_, list)| {
            list.split('`')
                .enumerate()
                .filter(|(i, _)| i % 2 == 1)
                .map(|(_, name)| name)
                .collect()
        })
        .unwrap_or_default();
    if valid.is_empty() {
        return Some(format!("`{wrong}` is not accepted here"));
    }
    let list = valid
        .iter()
        .map(|v| format!("`{v}`"))
        .collect::<Vec<_>>()
        .join(", ");
    Some(match nearest(wrong, valid.iter().copied()) {
        Some(best) => format!("did you mean `{best}`? valid here: {list}"),
        None => format!("valid here: {list}"),
    })
}

/// The candidate closest to `wrong`, if any is close enough to be a typo.
pub(crate) fn nearest<'a>(
    wrong: &str,
    candidates: impl IntoIterator<Item = &'a str>,
) -> Option<&'a str> {
    let wrong_lower = wrong.to_ascii_lowercase();
    candidates
        .into_iter()
        .map(|c| {
            (
                strsim::jaro_winkler(&wrong_lower, &c.to_ascii_lowercase()),
                c,
            )
        })
        .filter(|(score, _)| *score >= 0.75)
        .max_by(|a, b| a.0.total_cmp(&b.0))
        .map(|(_, c)| c)
}

/// Lowercase letters, digits and single dashes: `six-hops`.
fn is_slug(id: &str) -> bool {
    !id.is_empty()
        && id.split('-').all(|part| {
            !part.is_empty()
                && part
                    .bytes()
                    .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit())
        })
}

/// A DNS host name: labels of letters, digits and inner dashes.
fn is_host_name(name: &str) -> bool {
    !name.is_empty()
        && name.len() <= 253
        && name.split('.').all(|label| {
            !label.is_empty()
                && label.len() <= 63
                && !label.starts_with('-')
                && !label.ends_with('-')
                && label
                    .bytes()
                    .all(|b| b.is_ascii_alphanumeric() || b == b'-')
        })
}

/// A DNS owner name: a host name whose labels may also be service labels
/// (`_imaps._tcp.example.test`, RFC 2782).
fn is_owner_name(name: &str) -> bool {
    let labels: Vec<&str> = name.split('.').collect();
    let host = labels
        .iter()
        .map(|l| l.strip_prefix('_').unwrap_or(l))
        .collect::<Vec<_>>()
        .join(".");
    is_host_name(&host)
}

/// `local@domain` with a plain local part and a host name as the domain.
fn is_address(address: &str) -> bool {
    match address.rsplit_once('@') {
        Some((local, domain)) => {
            !local.is_empty()
                && local
                    .bytes()
                    .all(|b| b.is_ascii_graphic() && !b"<>()[]\\,;:@\"".contains(&b))
                && is_host_name(domain)
        }
        None => false,
    }
}

mod attack;
mod discovery;
mod edge;
mod expectations;
mod meaning;
mod pgp;
mod senders;
#[cfg(test)]
mod tests;
mod tls_policy;

//! The scenarios a server offers: the built-in ones and those in
//! `--scenarios DIR`, addressed by id, each run once and kept as player data.
//!
//! A file that does not load keeps its place in the gallery (under its file
//! name) with its problems, so `--watch` can show them instead of a stale
//! picture. A file that loads but that its author should look at again (a
//! caption its run never reaches, a claim that fails, a loader warning)
//! carries those as the player data's `warnings`. A built-in keeps its id:
//! a file that claims one is not served, and is reported (in the gallery,
//! on the built-in's page, and on stderr by `serve`). Files are only ever
//! found by listing the folder; a request can name an id, never a path.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::time::SystemTime;

use crate::player::{self, PlayerData};
use crate::scenario::{self, Problem, Scenario, Text};
use crate::{sim, suite};

/// Scenario files compiled into the binary.
pub const BUILT_IN: &[(&str, &str)] = &[
    (
        "six-hops.json",
        include_str!("../../scenarios/six-hops.json"),
    ),
    (
        "direct-mx.json",
        include_str!("../../scenarios/direct-mx.json"),
    ),
    (
        "mx-fallback.json",
        include_str!("../../scenarios/mx-fallback.json"),
    ),
    ("bounces.json", include_str!("../../scenarios/bounces.json")),
    (
        "open-relay.json",
        include_str!("../../scenarios/open-relay.json"),
    ),
    (
        "imap-vs-pop3.json",
        include_str!("../../scenarios/imap-vs-pop3.json"),
    ),
    (
        "autoconfig.json",
        include_str!("../../scenarios/autoconfig.json"),
    ),
    (
        "greylisting.json",
        include_str!("../../scenarios/greylisting.json"),
    ),
    (
        "home-server.json",
        include_str!("../../scenarios/home-server.json"),
    ),
    (
        "spoofing.json",
        include_str!("../../scenarios/spoofing.json"),
    ),
    (
        "forward-to-another-provider.json",
        include_str!("../../scenarios/forward-to-another-provider.json"),
    ),
    ("junk.json", include_str!("../../scenarios/junk.json")),
    ("pgp.json", include_str!("../../scenarios/pgp.json")),
    (
        "starttls-stripping.json",
        include_str!("../../scenarios/starttls-stripping.json"),
    ),
    (
        "mx-forgery.json",
        include_str!("../../scenarios/mx-forgery.json"),
    ),
];

/// One scenario as the server holds it.
#[derive(Debug, Clone)]
pub enum Entry {
    Ready {
        scenario: Arc<Scenario>,
        /// The player data of the scenario as written, serialized once.
        data: Arc<String>,
        /// Its `warnings` (also inside `data`), for the server's log.
        warnings: Vec<String>,
    },
    Invalid {
        title: Text,
        problems: Vec<String>,
    },
}

/// Where an entry came from, to reload it.
#[derive(Debug, Clone)]
struct Source {
    path: Option<PathBuf>,
    modified: Option<SystemTime>,
}

/// A file in the folder whose scenario has a built-in's id: not served.
#[derive(Debug, Clone)]
struct Shadowed {
    id: String,
    modified: Option<SystemTime>,
    /// The problem, located at the file's `id`.
    problem: String,
}

/// All scenarios, by id, in gallery order.
#[derive(Debug, Default)]
pub struct Library {
    entries: BTreeMap<String, (Entry, Source, usize)>,
    /// Files of the folder that claim a built-in's id, by path.
    shadowed: BTreeMap<PathBuf, Shadowed>,
    dir: Option<PathBuf>,
}

/// What [`Library::install`] did.
#[derive(Debug, Default)]
pub struct Installed {
    /// The ids whose entries changed.
    pub changed: Vec<String>,
    /// What the author of the installed files should know, one
    /// `file:line:column: ...` each: problems, warnings, a built-in's id.
    pub reports: Vec<String>,
}

impl Library {
    /// The built-in scenarios, then those in `dir` (a file with a
    /// built-in's id is reported, not served: see [`Library::problems`]).
    pub fn load(dir: Option<&Path>) -> Library {
        let mut library = Library {
            entries: BTreeMap::new(),
            shadowed: BTreeMap::new(),
            dir: dir.map(Path::to_path_buf),
        };
        for (i, (name, text)) in BUILT_IN.iter().enumerate() {
            let (id, entry, _) = load_text(name, text);
            library.entries.insert(
                id,
                (
                    entry,
                    Source {
                        path: None,
                        modified: None,
                    },
                    i,
                ),
            );
        }
        library.rescan();
        library
    }

    /// Reloads files in the folder that are new or changed since the last
    /// look. Returns the ids that changed.
    pub fn rescan(&mut self) -> Vec<String> {
        let loaded = load_files(self.stale());
        self.install(loaded).changed
    }

    /// The folder's files that are new or changed since they were loaded,
    /// with their place in the gallery. Cheap: reads metadata only.
    pub fn stale(&self) -> Vec<(usize, PathBuf, Option<SystemTime>)> {
        let Some(dir) = self.dir.clone() else {
            return Vec::new();
        };
        crate::suite::collect_files(&[dir])
            .into_iter()
            .enumerate()
            .filter_map(|(offset, path)| {
                let modified = std::fs::metadata(&path).and_then(|m| m.modified()).ok();
                let known = self
                    .entries
                    .values()
                    .any(|(_, s, _)| s.path.as_ref() == Some(&path) && s.modified == modified)
                    || self
                        .shadowed
                        .get(&path)
                        .is_some_and(|s| s.modified == modified);
                (!known).then_some((BUILT_IN.len() + offset, path, modified))
            })
            .collect()
    }

    /// Puts freshly loaded files in place of their old entries.
    pub fn install(&mut self, loaded: Vec<Loaded>) -> Installed {
        let mut installed = Installed::default();
        for Loaded {
            id,
            id_at,
            entry,
            reports,
            order,
            path,
            modified,
        } in loaded
        {
            // Whatever the file was before (another id, a built-in's) is gone.
            self.entries
                .retain(|_, (_, s, _)| s.path.as_ref() != Some(&path));
            self.shadowed.remove(&path);
            installed.reports.extend(reports);
            let mut id = id;
            if self.is_built_in(&id) {
                let Some((line, column)) = id_at else {
                    // Named after its file, which a built-in is named
                    // after too: the problems still get a page.
                    id.push_str("-file");
                    self.insert_file(id, entry, order, path, modified, &mut installed);
                    continue;
                };
                let problem = Problem {
                    file: path.display().to_string(),
                    line,
                    column,
                    path: "id".into(),
                    message: format!(
                        "`{id}` is already the id of a built-in scenario, which keeps it: this file is not served"
                    ),
                    hint: Some(format!(
                        "give this scenario an id of its own, like `{id}-2`: the id names its page (/s/{id})"
                    )),
                    warning: false,
                }
                .to_string();
                installed.reports.push(problem.clone());
                self.shadowed.insert(
                    path,
                    Shadowed {
                        id,
                        modified,
                        problem,
                    },
                );
                continue;
            }
            self.insert_file(id, entry, order, path, modified, &mut installed);
        }
        installed
    }

    fn insert_file(
        &mut self,
        id: String,
        entry: Entry,
        order: usize,
        path: PathBuf,
        modified: Option<SystemTime>,
        installed: &mut Installed,
    ) {
        self.entries.insert(
            id.clone(),
            (
                entry,
                Source {
                    path: Some(path),
                    modified,
                },
                order,
            ),
        );
        installed.changed.push(id);
    }

    fn is_built_in(&self, id: &str) -> bool {
        self.entries
            .get(id)
            .is_some_and(|(_, source, _)| source.path.is_none())
    }

    pub fn get(&self, id: &str) -> Option<&Entry> {
        self.entries.get(id).map(|(entry, _, _)| entry)
    }

    /// Files of the folder that claim the id of the built-in `id`, as
    /// located problems: its page shows them.
    pub fn claims_on(&self, id: &str) -> Vec<String> {
        self.shadowed
            .values()
            .filter(|s| s.id == id)
            .map(|s| s.problem.clone())
            .collect()
    }

    /// Files of the folder that are not served because they claim a
    /// built-in's id: the gallery lists them.
    pub fn problems(&self) -> Vec<String> {
        self.shadowed.values().map(|s| s.problem.clone()).collect()
    }

    /// Every entry with its id, in gallery order: built-ins first.
    pub fn list(&self) -> Vec<(&str, &Entry)> {
        let mut list: Vec<(&str, &Entry, usize)> = self
            .entries
            .iter()
            .map(|(id, (entry, _, order))| (id.as_str(), entry, *order))
            .collect();
        list.sort_by_key(|(id, _, order)| (*order, id.to_string()));
        list.into_iter().map(|(id, entry, _)| (id, entry)).collect()
    }

    /// Everything the author of the folder's files should know, in gallery
    /// order: each file's problems or warnings, then the files not served.
    pub fn reports(&self) -> Vec<String> {
        let mut files: Vec<&(Entry, Source, usize)> = self
            .entries
            .values()
            .filter(|(_, source, _)| source.path.is_some())
            .collect();
        files.sort_by_key(|(_, _, order)| *order);
        let mut reports = Vec::new();
        for (entry, _, _) in files {
            match entry {
                Entry::Ready { warnings, .. } => reports.extend(warnings.iter().cloned()),
                Entry::Invalid { problems, .. } => reports.extend(problems.iter().cloned()),
            }
        }
        reports.extend(self.problems());
        reports
    }
}

fn plain(text: &str) -> Text {
    Text {
        en: text.to_string(),
        pt: text.to_string(),
    }
}

/// An id for a file that could not be read as a scenario: its stem, made safe.
fn id_from_path(path: &Path) -> String {
    let stem = path
        .file_stem()
        .map(|s| s.to_string_lossy().to_ascii_lowercase())
        .unwrap_or_default();
    let id: String = stem
        .chars()
        .map(|c| if c.is_ascii_alphanumeric() { c } else { '-' })
        .collect();
    if id.is_empty() { "unnamed".into() } else { id }
}

/// Loads and runs one scenario text: its id, its entry, and where its id
/// is written (when the id was read from the text).
fn load_text(name: &str, text: &str) -> (String, Entry, Option<(usize, usize)>) {
    match scenario::load_str_with_warnings(name, text) {
        Ok((scenario, loader_warnings)) => {
            let id = scenario.id.clone();
            let id_at = crate::scenario::locate::locate(
                text,
                &crate::scenario::locate::JsonPath::root().key("id"),
            )
            .map(|spot| crate::scenario::locate::line_column(text, spot.value));
            let entry = match run_trace(&scenario) {
                Ok(trace) => {
                    let mut data = player::build(&scenario, &trace);
                    data.warnings = loader_warnings.iter().map(Problem::to_string).collect();
                    data.warnings
                        .extend(author_warnings(name, text, &scenario, &trace));
                    Entry::Ready {
                        data: Arc::new(
                            serde_json::to_string(&data).expect("player data is plain data"),
                        ),
                        warnings: data.warnings,
                        scenario: Arc::new(scenario),
                    }
                }
                Err(err) => Entry::Invalid {
                    title: scenario.title.clone(),
                    problems: vec![format!("{name}: cannot run: {err}")],
                },
            };
            (id, entry, id_at)
        }
        Err(err) => (
            id_from_path(Path::new(name)),
            Entry::Invalid {
                title: plain(name),
                problems: err.problems.iter().map(ToString::to_string).collect(),
            },
            None,
        ),
    }
}

/// What `mailhop test` would fail the run on besides its invariants:
/// captions never shown and claims that do not hold, each under its
/// `file:line:column`.
fn author_warnings(
    name: &str,
    text: &str,
    scenario: &Scenario,
    trace: &crate::trace::Trace,
) -> Vec<String> {
    let mut warnings: Vec<String> = suite::unseen_caption_problems(name, text, scenario, trace)
        .iter()
        .map(Problem::to_string)
        .collect();
    let locations = suite::expectation_locations(name, text, scenario.expect.len());
    for outcome in crate::check::check_all(&scenario.expect, trace) {
        if !outcome.passed {
            let at = locations.get(outcome.index).map_or(name, String::as_str);
            warnings.push(format!("{at}: {outcome}"));
        }
    }
    warnings
}

/// A scenario file loaded (and run) outside the library's lock.
pub struct Loaded {
    id: String,
    id_at: Option<(usize, usize)>,
    entry: Entry,
    /// Its problems or warnings, for the server's log.
    reports: Vec<String>,
    order: usize,
    path: PathBuf,
    modified: Option<SystemTime>,
}

/// Loads and runs files named by [`Library::stale`]. Slow (each file is
/// run), so the watcher calls it without holding the library's lock.
pub fn load_files(files: Vec<(usize, PathBuf, Option<SystemTime>)>) -> Vec<Loaded> {
    files
        .into_iter()
        .map(|(order, path, modified)| {
            let name = path.display().to_string();
            let (id, entry, id_at) = match std::fs::read_to_string(&path) {
                Ok(text) => load_text(&name, &text),
                Err(err) => (
                    id_from_path(&path),
                    Entry::Invalid {
                        title: plain(&name),
                        problems: vec![format!("{name}: cannot read: {err}")],
                    },
                    None,
                ),
            };
            let reports = match &entry {
                Entry::Ready { warnings, .. } => warnings.clone(),
                Entry::Invalid { problems, .. } => problems.clone(),
            };
            Loaded {
                id,
                id_at,
                entry,
                reports,
                order,
                path,
                modified,
            }
        })
        .collect()
}

/// Player data with more `warnings` after its own (a page is answered
/// this way only while another file claims its id, so the cost of reading
/// the data again is paid by an author, not by a class).
pub fn with_warnings(data: &str, more: &[String]) -> String {
    let mut value: serde_json::Value =
        serde_json::from_str(data).expect("player data is JSON we wrote");
    if let Some(object) = value.as_object_mut() {
        let warnings = object
            .entry("warnings")
            .or_insert_with(|| serde_json::Value::Array(Vec::new()));
        if let Some(list) = warnings.as_array_mut() {
            list.extend(more.iter().cloned().map(serde_json::Value::String));
        }
    }
    value.to_string()
}

/// Runs a scenario and serializes its player data.
pub fn run_to_json(scenario: &Scenario) -> Result<String, String> {
    Ok(serde_json::to_string(&run_player(scenario)?).expect("player data is plain data"))
}

/// The most bytes of text a run behind a page may record (64 MiB).
pub const MAX_PAGE_RUN_BYTES: usize = 64 << 20;

/// Runs a scenario and builds its player data, within the page's limits.
pub fn run_player(scenario: &Scenario) -> Result<PlayerData, String> {
    Ok(player::build(scenario, &run_trace(scenario)?))
}

/// Runs a scenario within the page's limits.
fn run_trace(scenario: &Scenario) -> Result<crate::trace::Trace, String> {
    let options = sim::Options {
        limits: sim::Limits {
            max_events: player::whatif::MAX_EVENTS,
            max_bytes: MAX_PAGE_RUN_BYTES,
            ..sim::Limits::default()
        },
        ..sim::Options::default()
    };
    let trace = sim::run_with(scenario, &options)?;
    if let Some(why) = crate::invariants::cut_short(&trace) {
        return Err(format!(
            "{why} (a page shows at most {} events)",
            player::whatif::MAX_EVENTS
        ));
    }
    Ok(trace)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_world_that_never_settles_is_cut_at_the_page_limit() {
        let looping = r#"{
          "id": "loop", "title": {"en": "Loop", "pt": "Laço"},
          "nodes": {
            "pc": {"role": "mua", "user": "a@home.test", "password": "pw", "submit": "a.isp.test"},
            "a.isp.test": {"role": "smarthost", "accounts": {"a@home.test": "pw"}, "relay_for": ["b.isp.test"],
                           "relay": "b.isp.test", "hop_limit": 100000},
            "b.isp.test": {"role": "smarthost", "relay_for": ["a.isp.test"], "relay": "a.isp.test", "hop_limit": 100000}
          },
          "script": [{"at": "0s", "send": {"from": "pc", "to": ["x@far.test"]}}]
        }"#;
        let scenario = crate::scenario::load_str("loop.json", looping).expect("valid");
        let err = run_player(&scenario).expect_err("cut short");
        assert!(err.contains("cut short"), "{err}");
        assert!(err.contains("200000"), "{err}");
    }

    #[test]
    fn every_shipped_scenario_is_built_in() {
        let dir = concat!(env!("CARGO_MANIFEST_DIR"), "/scenarios");
        let mut shipped: Vec<String> = std::fs::read_dir(dir)
            .unwrap()
            .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
            .filter(|n| n.ends_with(".json"))
            .collect();
        shipped.sort();
        let mut built_in: Vec<String> = BUILT_IN.iter().map(|(n, _)| n.to_string()).collect();
        built_in.sort();
        assert_eq!(shipped, built_in, "add new scenarios to BUILT_IN");
    }

    #[test]
    fn built_ins_load_and_run() {
        let library = Library::load(None);
        assert_eq!(library.list().len(), BUILT_IN.len());
        assert!(matches!(library.get("six-hops"), Some(Entry::Ready { .. })));
        assert!(library.get("../etc/passwd").is_none());
    }
}

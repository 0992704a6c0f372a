//! The scenarios a server offers: the built-in ones and those in
//! `--scenarios DIR`, addressed by id, each run once and kept as player data.
//!
//! A file that does not load keeps its place in the gallery (under its file
//! name) with its problems, so `--watch` can show them instead of a stale
//! picture. Files are only ever found by listing the folder; a request can
//! name an id, never a path.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::time::SystemTime;

use crate::player::{self, PlayerData};
use crate::scenario::{self, Scenario, Text};
use crate::sim;

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
];

/// One scenario as the server holds it.
#[derive(Debug, Clone)]
pub enum Entry {
    Ready {
        scenario: Arc<Scenario>,
        /// The player data of the scenario as written, serialized once.
        data: Arc<String>,
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

/// All scenarios, by id, in gallery order.
#[derive(Debug, Default)]
pub struct Library {
    entries: BTreeMap<String, (Entry, Source, usize)>,
    dir: Option<PathBuf>,
}

impl Library {
    /// The built-in scenarios, then those in `dir` (which win on equal ids).
    pub fn load(dir: Option<&Path>) -> Library {
        let mut library = Library {
            entries: BTreeMap::new(),
            dir: dir.map(Path::to_path_buf),
        };
        for (i, (name, text)) in BUILT_IN.iter().enumerate() {
            let (id, entry) = load_text(name, text);
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
        self.install(loaded)
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
                    .any(|(_, s, _)| s.path.as_ref() == Some(&path) && s.modified == modified);
                (!known).then_some((BUILT_IN.len() + offset, path, modified))
            })
            .collect()
    }

    /// Puts freshly loaded files in place of their old entries; returns
    /// their ids.
    pub fn install(&mut self, loaded: Vec<Loaded>) -> Vec<String> {
        let mut changed = Vec::new();
        for Loaded {
            id,
            entry,
            order,
            path,
            modified,
        } in loaded
        {
            // A file whose id changed leaves its old entry behind.
            self.entries
                .retain(|other, (_, s, _)| !(s.path.as_ref() == Some(&path) && *other != id));
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
            changed.push(id);
        }
        changed
    }

    pub fn get(&self, id: &str) -> Option<&Entry> {
        self.entries.get(id).map(|(entry, _, _)| entry)
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

/// Loads and runs one scenario text.
fn load_text(name: &str, text: &str) -> (String, Entry) {
    match scenario::load_str(name, text) {
        Ok(scenario) => {
            let id = scenario.id.clone();
            match run_to_json(&scenario) {
                Ok(data) => (
                    id,
                    Entry::Ready {
                        scenario: Arc::new(scenario),
                        data: Arc::new(data),
                    },
                ),
                Err(err) => (
                    id,
                    Entry::Invalid {
                        title: scenario.title.clone(),
                        problems: vec![format!("{name}: cannot run: {err}")],
                    },
                ),
            }
        }
        Err(err) => (
            id_from_path(Path::new(name)),
            Entry::Invalid {
                title: plain(name),
                problems: err.problems.iter().map(ToString::to_string).collect(),
            },
        ),
    }
}

/// A scenario file loaded (and run) outside the library's lock.
pub struct Loaded {
    id: String,
    entry: Entry,
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
            let (id, entry) = match std::fs::read_to_string(&path) {
                Ok(text) => load_text(&name, &text),
                Err(err) => (
                    id_from_path(&path),
                    Entry::Invalid {
                        title: plain(&name),
                        problems: vec![format!("{name}: cannot read: {err}")],
                    },
                ),
            };
            Loaded {
                id,
                entry,
                order,
                path,
                modified,
            }
        })
        .collect()
}

/// Runs a scenario and serializes its player data.
pub fn run_to_json(scenario: &Scenario) -> Result<String, String> {
    Ok(serde_json::to_string(&run_player(scenario)?).expect("player data is plain data"))
}

/// The most bytes of text a run behind a page may record (64 MiB).
pub const MAX_PAGE_RUN_BYTES: usize = 64 << 20;

/// Runs a scenario and builds its player data, within the page's limits.
pub fn run_player(scenario: &Scenario) -> Result<PlayerData, String> {
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
    Ok(player::build(scenario, &trace))
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

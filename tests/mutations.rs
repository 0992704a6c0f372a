//! Scenarios as a careless author or a curious student might write them:
//! the shipped files, mutated at random, loaded, and run when they load.
//! Nothing may panic, and every run must end within its caps.
//!
//! A CI-sized batch by default; `MAILHOP_MUTATIONS=N` for a longer one.

use rand::seq::IndexedRandom;
use rand::{Rng, SeedableRng};
use rand_chacha::ChaCha8Rng;
use serde_json::Value;

use mailhop::sim::{self, Limits, Options};
use mailhop::trace::Event;

const SHIPPED: [&str; 7] = [
    "six-hops.json",
    "direct-mx.json",
    "mx-fallback.json",
    "bounces.json",
    "open-relay.json",
    "greylisting.json",
    "home-server.json",
];

/// Caps for a mutated run: small, so a batch stays quick.
const CAPS: Limits = Limits {
    max_events: 50_000,
    max_messages: 2_000,
    max_bytes: 64 << 20,
};

fn mutations() -> usize {
    std::env::var("MAILHOP_MUTATIONS")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(400)
}

/// Every path to a value in `v`, as keys and indexes.
fn paths(v: &Value, here: Vec<PathStep>, out: &mut Vec<Vec<PathStep>>) {
    out.push(here.clone());
    match v {
        Value::Object(map) => {
            for (k, child) in map {
                let mut p = here.clone();
                p.push(PathStep::Key(k.clone()));
                paths(child, p, out);
            }
        }
        Value::Array(items) => {
            for (i, child) in items.iter().enumerate() {
                let mut p = here.clone();
                p.push(PathStep::Index(i));
                paths(child, p, out);
            }
        }
        _ => {}
    }
}

#[derive(Debug, Clone)]
enum PathStep {
    Key(String),
    Index(usize),
}

fn at<'a>(v: &'a mut Value, path: &[PathStep]) -> Option<&'a mut Value> {
    path.iter().try_fold(v, |v, step| match step {
        PathStep::Key(k) => v.get_mut(k.as_str()),
        PathStep::Index(i) => v.get_mut(*i),
    })
}

fn at_step<'a>(parent: &'a mut Value, step: &PathStep) -> Option<&'a mut Value> {
    match step {
        PathStep::Key(k) => parent.get_mut(k.as_str()),
        PathStep::Index(i) => parent.get_mut(*i),
    }
}

/// A replacement value an author might plausibly (or absurdly) write.
fn odd_value(rng: &mut ChaCha8Rng, names: &[String]) -> Value {
    let durations = [
        "0s",
        "1ms",
        "5m",
        "36500d",
        "36501d",
        "1h30m",
        "ms",
        "-5s",
        "18446744073709551615ms",
    ];
    let texts = [
        "",
        "x",
        "postmaster",
        ".",
        "none",
        "require",
        "offer",
        "451 4.7.1 later",
        "250 ok",
        "0000-01-01T00:00:00Z",
        "2026-02-30T00:00:00Z",
        "\u{0}",
        "é",
    ];
    match rng.random_range(0..10) {
        0 => Value::from(rng.random::<u16>()),
        1 => Value::from(rng.random::<u64>()),
        2 => Value::from(-rng.random_range(0i64..1000)),
        3 => Value::from(*durations.choose(rng).expect("non-empty")),
        4 => Value::from(*texts.choose(rng).expect("non-empty")),
        5 => names
            .choose(rng)
            .map_or(Value::Null, |n| Value::from(n.clone())),
        6 => Value::Null,
        7 => Value::Array(Vec::new()),
        8 => Value::Object(Default::default()),
        _ => Value::Bool(rng.random()),
    }
}

/// One random change: replace a value, remove a key or item, or repeat an
/// item (another send, another fault, another MX).
fn mutate(rng: &mut ChaCha8Rng, doc: &mut Value) {
    let names: Vec<String> = doc["nodes"]
        .as_object()
        .map(|m| m.keys().cloned().collect())
        .unwrap_or_default();
    let mut all = Vec::new();
    paths(doc, Vec::new(), &mut all);
    let path = all.choose(rng).expect("at least the root").clone();
    let Some((last, parent_path)) = path.split_last() else {
        return;
    };
    let Some(parent) = at(doc, parent_path) else {
        return;
    };
    // Most authors' mistakes are plausible: another node where a node is
    // named, another duration where a duration is written.
    if let Some(Value::String(old)) = at_step(parent, last)
        && rng.random_bool(0.7)
    {
        let plausible = if names.contains(old) {
            names.choose(rng).cloned()
        } else if mailhop::scenario::Duration::parse(old).is_ok() {
            ["0s", "1ms", "30s", "5m", "2h", "3d", "36500d"]
                .choose(rng)
                .map(|d| d.to_string())
        } else {
            None
        };
        if let Some(new) = plausible {
            *at_step(parent, last).expect("just read") = Value::from(new);
            return;
        }
    }
    match (rng.random_range(0..4), last, parent) {
        (0, PathStep::Key(k), Value::Object(map)) => {
            map.remove(k);
        }
        (1, PathStep::Index(i), Value::Array(items)) if items.len() < 200 => {
            let copy = items[*i].clone();
            for _ in 0..rng.random_range(1..20) {
                items.push(copy.clone());
            }
        }
        (_, PathStep::Key(k), Value::Object(map)) => {
            map.insert(k.clone(), odd_value(rng, &names));
        }
        (_, PathStep::Index(i), Value::Array(items)) => items[*i] = odd_value(rng, &names),
        _ => {}
    }
}

#[test]
fn mutated_scenarios_never_panic_and_every_run_stays_within_its_caps() {
    let mut rng = ChaCha8Rng::seed_from_u64(0xB0B);
    let originals: Vec<Value> = SHIPPED
        .iter()
        .map(|name| {
            let path = format!("{}/scenarios/{name}", env!("CARGO_MANIFEST_DIR"));
            serde_json::from_str(&std::fs::read_to_string(path).unwrap()).unwrap()
        })
        .collect();
    let options = Options {
        limits: CAPS,
        ..Options::default()
    };
    let (mut loaded, mut refused) = (0, 0);
    for case in 0..mutations() {
        let mut doc = originals.choose(&mut rng).expect("shipped").clone();
        let changes = if rng.random_bool(0.7) {
            1
        } else {
            rng.random_range(2..5)
        };
        for _ in 0..changes {
            mutate(&mut rng, &mut doc);
        }
        let text = serde_json::to_string_pretty(&doc).unwrap();
        let outcome = std::panic::catch_unwind(|| {
            let Ok(mut scenario) = mailhop::scenario::load_str("mutant.json", &text) else {
                return None;
            };
            // A mutant may ask for years of virtual time: cap it as the
            // what-if page does.
            scenario.until = scenario
                .until
                .min(mailhop::scenario::Duration::from_secs(30 * 86_400));
            Some(sim::run_with(&scenario, &options))
        });
        match outcome {
            Err(_) => panic!("case {case} panicked on:\n{text}"),
            Ok(None) => refused += 1,
            Ok(Some(Err(_))) => loaded += 1,
            Ok(Some(Ok(trace))) => {
                loaded += 1;
                assert!(
                    trace.events.len() <= CAPS.max_events + 2_100,
                    "case {case}: {} events",
                    trace.events.len()
                );
                assert!(
                    matches!(
                        trace.events.last().map(|r| &r.event),
                        Some(Event::End { .. })
                    ),
                    "case {case}: the run did not end properly"
                );
            }
        }
    }
    eprintln!("{loaded} mutants loaded and ran, {refused} refused with located errors");
    assert!(
        loaded > 0 && refused > 0,
        "loaded {loaded}, refused {refused}"
    );
}

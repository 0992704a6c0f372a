//! Speed figures for mailhop. Run with `cargo bench --bench throughput`.
//!
//! Prints:
//! - wall time of `mailhop run scenarios/six-hops.json` (the real binary,
//!   process start included) and of the simulation alone;
//! - wall time of `mailhop test scenarios/` (the whole shipped library,
//!   run and checked in parallel);
//! - SMTP transactions per second through an in-memory chain of relays,
//!   with and without STARTTLS, and the time to build player data of such a
//!   run (tens of thousands of events);
//! - the process's peak resident memory.
//!
//! Figures only: nothing here asserts a time, because a shared machine makes
//! timed assertions flaky.

use std::process::Command;
use std::time::{Duration, Instant};

use mailhop::scenario::Scenario;

fn main() {
    let six_hops_path = concat!(env!("CARGO_MANIFEST_DIR"), "/scenarios/six-hops.json");
    let six_hops =
        mailhop::scenario::load_file(std::path::Path::new(six_hops_path)).expect("six-hops loads");

    let sim = measure(20, || {
        mailhop::sim::run(&six_hops).expect("runs");
    });
    println!("six-hops, simulation only:       {}", summary(&sim));

    let binary = env!("CARGO_BIN_EXE_mailhop");
    let cli = measure(10, || {
        let out = Command::new(binary)
            .args(["run", six_hops_path])
            .output()
            .expect("binary runs");
        assert!(out.status.success());
    });
    println!("six-hops, `mailhop run` process: {}", summary(&cli));

    let scenarios_dir = concat!(env!("CARGO_MANIFEST_DIR"), "/scenarios");
    let library = measure(10, || {
        let out = Command::new(binary)
            .args(["test", scenarios_dir])
            .output()
            .expect("binary runs");
        assert!(out.status.success());
    });
    println!("`mailhop test scenarios/` process:  {}", summary(&library));

    for (label, starttls) in [("plaintext", "none"), ("STARTTLS", "offer")] {
        let messages = 300;
        let scenario = relay_chain(messages, starttls);
        let mut hops = 0;
        let times = measure(3, || {
            let trace = mailhop::sim::run(&scenario).expect("runs");
            hops = trace.hops().count();
        });
        let best = times.iter().min().copied().unwrap_or_default();
        println!(
            "relay chain, {label:<9}: {hops} SMTP transactions in {:.1} ms = {:.0} transactions/s",
            ms(best),
            hops as f64 / best.as_secs_f64()
        );
        let trace = mailhop::sim::run(&scenario).expect("runs");
        let build = measure(3, || {
            mailhop::player::build(&scenario, &trace);
        });
        println!(
            "player data of that run ({} events): {}",
            trace.events.len(),
            summary(&build)
        );
    }
    web_budget(&six_hops);
    println!("peak resident memory: {}", peak_rss());
}

/// The web player's budgets: bytes of a first page load (gzip, as a browser
/// asks) and the server time of a what-if re-run of six-hops.
fn web_budget(six_hops: &Scenario) {
    use mailhop::player::whatif::{self, WhatIf};
    let change = WhatIf {
        toggles: [("starttls:filter.spamco.test".to_string(), true)]
            .into_iter()
            .collect(),
        ..WhatIf::default()
    };
    let whatif_times = measure(20, || {
        let changed = whatif::apply(six_hops, &change).expect("valid change");
        mailhop::web::library::run_to_json(&changed).expect("runs");
    });
    println!(
        "what-if re-run of six-hops:      {}",
        summary(&whatif_times)
    );

    let runtime = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
        .expect("runtime");
    let library = mailhop::web::Library::load(None);
    let total: usize = runtime.block_on(async move {
        use tower::ServiceExt;
        let state = mailhop::web::AppState::new(library, false);
        let app = mailhop::web::router(state);
        let mut total = 0;
        for path in [
            "/s/six-hops",
            "/assets/player.css",
            "/assets/player.js",
            "/api/s/six-hops",
        ] {
            let request = axum::http::Request::builder()
                .uri(path)
                .header("accept-encoding", "gzip")
                .body(axum::body::Body::empty())
                .expect("request");
            let response = app.clone().oneshot(request).await.expect("response");
            assert!(response.status().is_success(), "{path}");
            let bytes = axum::body::to_bytes(response.into_body(), usize::MAX)
                .await
                .expect("body");
            println!("  first load: {path:<20} {:>7} bytes (gzip)", bytes.len());
            total += bytes.len();
        }
        total
    });
    println!(
        "first load of /s/six-hops, all assets: {:.1} KB",
        total as f64 / 1024.0
    );
}

/// A client and a chain of relays: client → msa → r1 → r2 → mda, so each
/// message makes four SMTP transactions.
fn relay_chain(messages: usize, starttls: &str) -> Scenario {
    let script: Vec<String> = (0..messages)
        .map(|i| {
            format!(
                r#"{{"at": "{}ms", "send": {{"from": "client", "to": ["user@dest.test"], "subject": "m{i}"}}}}"#,
                i * 10
            )
        })
        .collect();
    let json = format!(
        r#"{{
      "id": "relay-chain", "title": {{"en": "bench", "pt": "bench"}}, "seed": 9,
      "nodes": {{
        "client": {{"role": "mua", "user": "me@src.test", "password": "pw", "submit": "msa.src.test", "starttls": "{starttls}"}},
        "msa.src.test": {{"role": "msa", "accounts": {{"me@src.test": "pw"}}, "relay": "r1.net.test", "starttls": "{starttls}"}},
        "r1.net.test": {{"role": "smarthost", "relay_for": ["msa.src.test"], "relay": "r2.net.test", "starttls": "{starttls}"}},
        "r2.net.test": {{"role": "smarthost", "relay_for": ["r1.net.test"], "starttls": "{starttls}"}},
        "mx.dest.test": {{"role": "mda", "mailboxes": ["user@dest.test"], "starttls": "{starttls}"}}
      }},
      "dns": {{"dest.test": {{"MX": [{{"preference": 10, "host": "mx.dest.test"}}]}}}},
      "script": [{}]
    }}"#,
        script.join(",")
    );
    mailhop::scenario::load_str("relay-chain.json", &json).expect("the bench scenario is valid")
}

fn measure(n: usize, mut f: impl FnMut()) -> Vec<Duration> {
    f(); // warm up
    (0..n)
        .map(|_| {
            let start = Instant::now();
            f();
            start.elapsed()
        })
        .collect()
}

fn summary(times: &[Duration]) -> String {
    let mut sorted = times.to_vec();
    sorted.sort();
    format!(
        "median {:.1} ms, min {:.1} ms, max {:.1} ms ({} runs)",
        ms(sorted[sorted.len() / 2]),
        ms(sorted[0]),
        ms(sorted[sorted.len() - 1]),
        sorted.len()
    )
}

fn ms(d: Duration) -> f64 {
    d.as_secs_f64() * 1000.0
}

fn peak_rss() -> String {
    std::fs::read_to_string("/proc/self/status")
        .ok()
        .and_then(|s| {
            s.lines()
                .find(|l| l.starts_with("VmHWM:"))
                .map(|l| l[6..].trim().to_string())
        })
        .unwrap_or_else(|| "unknown".into())
}

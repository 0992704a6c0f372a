//! The web handlers under random requests, as a curious room would send
//! them: odd methods and paths, foreign hosts and origins, wrong content
//! types, broken and oversized bodies, what-ifs with unknown, missing or
//! extreme changes, from a few student addresses at once.
//!
//! Every answer must be a well-formed HTTP answer the player understands:
//! never a 500, always the security headers, JSON errors that parse. The
//! only 5xx allowed is the deliberate 503 of a full run pool.
//!
//! A CI-sized batch by default; `MAILHOP_WEB_FUZZ_CASES=N` for a longer one.

use axum::body::Body;
use axum::http::{Request, StatusCode};
use mailhop::web::{AppState, Client, Library, router};
use rand::seq::IndexedRandom;
use rand::{Rng, SeedableRng};
use rand_chacha::ChaCha8Rng;
use tower::ServiceExt;

fn cases() -> usize {
    std::env::var("MAILHOP_WEB_FUZZ_CASES")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(250)
}

const IDS: [&str; 9] = [
    "six-hops",
    "bounces",
    "open-relay",
    "no-such",
    "..",
    "%2e%2e%2fetc%2fpasswd",
    "SIX-HOPS",
    "six%20hops",
    "a-very-long-id-aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa",
];

fn path(rng: &mut ChaCha8Rng) -> String {
    let id = if rng.random_bool(0.6) {
        &IDS[rng.random_range(0..3)]
    } else {
        IDS.choose(rng).unwrap()
    };
    match rng.random_range(0..12) {
        0 => "/".into(),
        1 => format!("/s/{id}"),
        2 | 3 => format!("/api/s/{id}"),
        4..=7 => format!("/api/s/{id}/whatif"),
        8 => format!(
            "/assets/{}",
            ["player.js", "player.css", "../Cargo.toml", "x"]
                .choose(rng)
                .unwrap()
        ),
        9 => "/healthz".into(),
        10 => format!("/s/{id}?step={}#x", rng.random::<u32>()),
        _ => format!("/{}", "a/".repeat(rng.random_range(0..200))),
    }
}

/// A what-if body: mostly plausible, sometimes broken or extreme.
fn body(rng: &mut ChaCha8Rng, toggles: &[String]) -> Vec<u8> {
    match rng.random_range(0..10) {
        0 => Vec::new(),
        1 => (0..rng.random_range(1..2000))
            .map(|_| rng.random())
            .collect(),
        2 => b"{\"toggles\": ".to_vec(),
        3 => vec![b' '; 70 * 1024],
        _ => {
            let mut changes = serde_json::Map::new();
            for _ in 0..rng.random_range(0..4) {
                let id = if rng.random_bool(0.8) && !toggles.is_empty() {
                    toggles.choose(rng).unwrap().clone()
                } else {
                    ["fault:99", "starttls:nobody", "", "x:y:z"]
                        .choose(rng)
                        .unwrap()
                        .to_string()
                };
                let value = match rng.random_range(0..6) {
                    0 => serde_json::json!("yes"),
                    1 => serde_json::json!(null),
                    _ => serde_json::json!(rng.random::<bool>()),
                };
                changes.insert(id, value);
            }
            let mut request = serde_json::json!({ "toggles": changes });
            if rng.random_bool(0.3) {
                let n = [0, 1, 80, 400, 5000].choose(rng).copied().unwrap();
                request["subject"] = serde_json::json!("S".repeat(n));
            }
            if rng.random_bool(0.3) {
                let n = [0, 10, 20_000, 100_000].choose(rng).copied().unwrap();
                let line = ["\n", "x", ".\r\n", "é"].choose(rng).unwrap();
                request["body"] = serde_json::json!(line.repeat(n));
            }
            if rng.random_bool(0.05) {
                request["unknown"] = serde_json::json!(1);
            }
            serde_json::to_vec(&request).unwrap()
        }
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn random_requests_always_get_a_clean_answer() {
    let app = router(AppState::new(Library::load(None), false));
    let toggles: Vec<String> = {
        let request = Request::get("/api/s/six-hops")
            .header("host", "127.0.0.1")
            .body(Body::empty())
            .unwrap();
        let response = app.clone().oneshot(request).await.unwrap();
        let bytes = axum::body::to_bytes(response.into_body(), usize::MAX)
            .await
            .unwrap();
        let data: serde_json::Value = serde_json::from_slice(&bytes).unwrap();
        data["whatif"]["toggles"]
            .as_array()
            .unwrap()
            .iter()
            .map(|t| t["id"].as_str().unwrap().to_string())
            .collect()
    };
    assert!(!toggles.is_empty());
    let mut rng = ChaCha8Rng::seed_from_u64(0x3EB);
    let mut statuses = std::collections::BTreeMap::<u16, usize>::new();
    let total = cases();
    let mut case = 0;
    while case < total {
        // A few students at once, so the pool and the per-student limit
        // are exercised too.
        let batch = rng.random_range(1..=4).min(total - case);
        let mut calls = Vec::new();
        for _ in 0..batch {
            let uri = path(&mut rng);
            // Mostly what the player itself would send, sometimes not.
            let method = if rng.random_bool(0.15) {
                *["GET", "POST", "PUT", "DELETE", "HEAD", "OPTIONS"]
                    .choose(&mut rng)
                    .unwrap()
            } else if uri.ends_with("/whatif") {
                "POST"
            } else {
                "GET"
            };
            let mut request = Request::builder().method(method).uri(&uri);
            let host = if rng.random_bool(0.15) {
                *["evil.test", "", "127.0.0.1.evil.test"]
                    .choose(&mut rng)
                    .unwrap()
            } else {
                *["127.0.0.1", "127.0.0.1:8080", "localhost"]
                    .choose(&mut rng)
                    .unwrap()
            };
            if !host.is_empty() {
                request = request.header("host", host);
            }
            if rng.random_bool(0.9) {
                let kind = if rng.random_bool(0.1) {
                    "text/plain"
                } else {
                    "application/json"
                };
                request = request.header("content-type", kind);
            }
            if rng.random_bool(0.2) {
                let origin = *["http://127.0.0.1", "http://evil.test", "null"]
                    .choose(&mut rng)
                    .unwrap();
                request = request.header("origin", origin);
            }
            let mut request = request
                .body(Body::from(body(&mut rng, &toggles)))
                .unwrap_or_else(|e| panic!("case {case}: {uri}: {e}"));
            let student = std::net::IpAddr::from([10, 0, 0, rng.random_range(1..4)]);
            request.extensions_mut().insert(Client(student));
            let app = app.clone();
            let label = format!("case {case}: {method} {uri} (host {host:?}) ");
            calls.push(tokio::spawn(async move {
                let response = app.oneshot(request).await.unwrap();
                (label, response)
            }));
            case += 1;
        }
        for call in calls {
            let (label, response) = call.await.expect("a handler never panics");
            let status = response.status();
            *statuses.entry(status.as_u16()).or_default() += 1;
            assert!(
                !status.is_server_error() || status == StatusCode::SERVICE_UNAVAILABLE,
                "{label}: {status}"
            );
            let headers = response.headers().clone();
            assert!(
                headers.contains_key("content-security-policy"),
                "{label}: no CSP"
            );
            assert_eq!(headers["x-content-type-options"], "nosniff", "{label}");
            let is_json = headers
                .get("content-type")
                .is_some_and(|v| v.to_str().unwrap_or("").starts_with("application/json"));
            let bytes = axum::body::to_bytes(response.into_body(), 64 << 20)
                .await
                .unwrap_or_else(|e| panic!("{label}: body: {e}"));
            if is_json && !label.contains(" HEAD ") {
                let value: serde_json::Value = serde_json::from_slice(&bytes)
                    .unwrap_or_else(|e| panic!("{label}: JSON that does not parse: {e}"));
                if !status.is_success() {
                    assert!(value["error"].is_string(), "{label}: an error in words");
                }
            }
        }
    }
    eprintln!("{total} random requests: {statuses:?}");
    assert!(statuses.contains_key(&200), "some requests succeed");
    assert!(
        statuses.keys().filter(|s| **s >= 400).count() >= 3,
        "and several kinds are refused: {statuses:?}"
    );
}

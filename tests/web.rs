//! The web server's HTTP behaviour, through the real router: routes, the
//! player data, what-if re-runs, limits, security headers, and scenarios
//! from a folder, broken ones included.

use axum::body::Body;
use axum::http::{Request, StatusCode};
use mailhop::web::{AppState, Library, router};
use tower::ServiceExt;

struct Answer {
    status: StatusCode,
    headers: axum::http::HeaderMap,
    body: String,
}

impl Answer {
    fn json(&self) -> serde_json::Value {
        serde_json::from_str(&self.body).unwrap_or_else(|e| panic!("{e}: {}", self.body))
    }
}

fn app(library: Library) -> axum::Router {
    router(AppState::new(library, false))
}

async fn call(app: &axum::Router, method: &str, path: &str, body: &str) -> Answer {
    call_with(
        app,
        method,
        path,
        body,
        &[("content-type", "application/json")],
    )
    .await
}

async fn call_with(
    app: &axum::Router,
    method: &str,
    path: &str,
    body: &str,
    headers: &[(&str, &str)],
) -> Answer {
    let mut request = Request::builder().method(method).uri(path);
    for (name, value) in headers {
        request = request.header(*name, *value);
    }
    let request = request.body(Body::from(body.to_string())).unwrap();
    let response = app.clone().oneshot(request).await.unwrap();
    let status = response.status();
    let headers = response.headers().clone();
    let bytes = axum::body::to_bytes(response.into_body(), usize::MAX)
        .await
        .unwrap();
    Answer {
        status,
        headers,
        body: String::from_utf8_lossy(&bytes).into_owned(),
    }
}

fn built_in() -> axum::Router {
    app(Library::load(None))
}

fn hop_channel(data: &serde_json::Value, step: usize) -> String {
    data["steps"][step]["hop"]["channel"]
        .as_str()
        .unwrap()
        .to_string()
}

#[tokio::test]
async fn gallery_and_pages_carry_the_security_headers() {
    let app = built_in();
    let gallery = call(&app, "GET", "/", "").await;
    assert_eq!(gallery.status, StatusCode::OK);
    assert_eq!(
        gallery.body.matches("data-testid=\"gallery-item\"").count(),
        mailhop::web::library::BUILT_IN.len()
    );
    let csp = gallery.headers["content-security-policy"].to_str().unwrap();
    assert!(csp.contains("default-src 'none'") && csp.contains("script-src 'self'"));
    assert_eq!(gallery.headers["x-content-type-options"], "nosniff");
    let page = call(&app, "GET", "/s/six-hops", "").await;
    assert_eq!(page.status, StatusCode::OK);
    assert!(page.body.contains("/assets/player.js"));
    assert!(!page.body.contains("<script>"), "no inline script");
    for asset in ["/assets/player.js", "/assets/player.css"] {
        let answer = call(&app, "GET", asset, "").await;
        assert_eq!(answer.status, StatusCode::OK, "{asset}");
        // The SVG namespace is a name, not an address the browser fetches.
        let body = answer.body.replace("http://www.w3.org/2000/svg", "");
        assert!(
            !body.contains("http://") && !body.contains("https://"),
            "{asset} names no other host"
        );
    }
}

#[tokio::test]
async fn player_data_steps_through_six_hops() {
    let data = call(&built_in(), "GET", "/api/s/six-hops", "").await.json();
    let steps = data["steps"].as_array().unwrap();
    assert_eq!(steps.len(), 8, "start, six hops, end");
    assert_eq!(steps[0]["kind"], "start");
    let kinds = |i: usize| -> Vec<String> {
        steps[i]["events"]
            .as_array()
            .unwrap()
            .iter()
            .map(|e| e["kind"].as_str().unwrap().to_string())
            .collect()
    };
    assert_eq!(kinds(0), ["node_down"], "the fault is there from the start");
    assert_eq!(kinds(1), ["composed", "auth"], "no event is told twice");
    assert_eq!(hop_channel(&data, 4), "plaintext");
    assert_eq!(steps[4]["hop"]["from"], "filter.spamco.test");
    let holders: Vec<&str> = steps[4]["holders"]
        .as_array()
        .unwrap()
        .iter()
        .map(|h| h["node"].as_str().unwrap())
        .collect();
    assert!(holders.contains(&"backup.friend.test"), "{holders:?}");
    let failed = &steps[4]["events"][0];
    assert_eq!(
        failed["text_pt"],
        "filter.spamco.test não conseguiu se conectar a mx.friend.test:25: tempo de conexão esgotado"
    );
    assert_eq!(
        (&failed["node"], &failed["peer"]),
        (&"filter.spamco.test".into(), &"mx.friend.test".into()),
        "the page draws the failed attempt from these, not from the sentence"
    );
    let stored = &steps[5]["hop"]["stored"];
    assert_eq!(
        stored["added_headers"], 3,
        "Return-Path, Delivered-To, Received"
    );
    assert!(
        stored["eml"]
            .as_str()
            .unwrap()
            .starts_with("Return-Path: <alice@home.test>")
    );
    let wire = steps[1]["hop"]["wire"].as_array().unwrap();
    assert!(
        wire.iter().any(|w| w["as"] == "tls"),
        "submission turns to TLS"
    );
    assert!(
        !wire
            .iter()
            .filter(|w| w["as"] == "text")
            .any(|w| w["text"].as_str().unwrap().contains("lunch")),
        "the body never shows on the encrypted hop"
    );
    assert_eq!(steps[6]["hop"]["protocol"], "IMAP");
    assert_eq!(steps[7]["kind"], "end");
}

#[tokio::test]
async fn whatif_reruns_the_world() {
    let app = built_in();
    let starttls = call(
        &app,
        "POST",
        "/api/s/six-hops/whatif",
        r#"{"toggles": {"starttls:filter.spamco.test": true}}"#,
    )
    .await;
    assert_eq!(starttls.status, StatusCode::OK, "{}", starttls.body);
    assert_eq!(hop_channel(&starttls.json(), 3), "tls");

    let no_fault = call(
        &app,
        "POST",
        "/api/s/six-hops/whatif",
        r#"{"toggles": {"fault:0": false}, "subject": "Changed"}"#,
    )
    .await
    .json();
    assert_eq!(no_fault["steps"].as_array().unwrap().len(), 7, "five hops");
    assert_eq!(no_fault["whatif"]["subject"], "Changed");
    let fault = no_fault["whatif"]["toggles"]
        .as_array()
        .unwrap()
        .iter()
        .find(|t| t["id"] == "fault:0")
        .expect("a switched-off fault keeps its toggle");
    assert_eq!(fault["on"], false);
    assert!(
        no_fault["steps"][1]["caption"].is_null(),
        "captions were for the world as written"
    );

    // The scenario as written is unchanged for everyone else.
    let original = call(&app, "GET", "/api/s/six-hops", "").await.json();
    assert_eq!(hop_channel(&original, 3), "plaintext");
}

#[tokio::test]
async fn bad_requests_get_clear_4xx_answers() {
    let app = built_in();
    let cases: [(&str, &str, &str, StatusCode); 7] = [
        ("GET", "/s/no-such-thing", "", StatusCode::NOT_FOUND),
        (
            "GET",
            "/api/s/..%2F..%2Fetc%2Fpasswd",
            "",
            StatusCode::NOT_FOUND,
        ),
        ("GET", "/api/s/Six-Hops", "", StatusCode::NOT_FOUND),
        ("GET", "/assets/../Cargo.toml", "", StatusCode::NOT_FOUND),
        (
            "POST",
            "/api/s/six-hops/whatif",
            "{not json",
            StatusCode::BAD_REQUEST,
        ),
        (
            "POST",
            "/api/s/six-hops/whatif",
            r#"{"toggles": {"starttls:alice-laptop": true}}"#,
            StatusCode::BAD_REQUEST,
        ),
        (
            "POST",
            "/api/s/six-hops/whatif",
            r#"{"subject": "two\r\nlines"}"#,
            StatusCode::BAD_REQUEST,
        ),
    ];
    for (method, path, body, status) in cases {
        let answer = call(&app, method, path, body).await;
        assert_eq!(answer.status, status, "{method} {path}: {}", answer.body);
    }
    let huge = format!(r#"{{"body": "{}"}}"#, "a".repeat(100_000));
    let answer = call(&app, "POST", "/api/s/six-hops/whatif", &huge).await;
    assert_eq!(answer.status, StatusCode::PAYLOAD_TOO_LARGE);
}

#[tokio::test]
async fn a_folder_of_scenarios_joins_the_gallery_and_broken_files_show_problems() {
    let dir = std::env::temp_dir().join(format!("mailhop-web-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let six = std::fs::read_to_string(concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/scenarios/six-hops.json"
    ))
    .unwrap();
    std::fs::write(
        dir.join("mine.json"),
        six.replacen(r#""id": "six-hops""#, r#""id": "my-copy""#, 1),
    )
    .unwrap();
    std::fs::write(
        dir.join("broken.json"),
        six.replacen(r#""role": "mda""#, r#""role": "mdx""#, 1),
    )
    .unwrap();
    let library = Library::load(Some(&dir));
    let app = app(library);
    let gallery = call(&app, "GET", "/", "").await;
    assert!(gallery.body.contains("/s/my-copy"));
    assert!(gallery.body.contains("/s/broken"));
    let mine = call(&app, "GET", "/api/s/my-copy", "").await;
    assert_eq!(mine.status, StatusCode::OK);
    let broken = call(&app, "GET", "/api/s/broken", "").await;
    assert_eq!(broken.status, StatusCode::UNPROCESSABLE_ENTITY);
    let problems = broken.json()["problems"][0].as_str().unwrap().to_string();
    assert!(
        problems.contains("broken.json:") && problems.contains("did you mean `mda`?"),
        "{problems}"
    );

    // --watch: fixing the file brings the scenario back.
    let mut library = Library::load(Some(&dir));
    std::thread::sleep(std::time::Duration::from_millis(20));
    std::fs::write(
        dir.join("broken.json"),
        six.replacen(r#""id": "six-hops""#, r#""id": "broken""#, 1),
    )
    .unwrap();
    let changed = library.rescan();
    assert_eq!(changed, ["broken"]);
    assert!(matches!(
        library.get("broken"),
        Some(mailhop::web::library::Entry::Ready { .. })
    ));
    std::fs::remove_dir_all(&dir).unwrap();
}

fn shipped(name: &str) -> String {
    std::fs::read_to_string(format!("{}/scenarios/{name}", env!("CARGO_MANIFEST_DIR"))).unwrap()
}

/// A fresh folder of course scenarios for one test.
fn course_dir(test: &str) -> std::path::PathBuf {
    let dir = std::env::temp_dir().join(format!("mailhop-web-{test}-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).unwrap();
    dir
}

#[tokio::test]
async fn a_caption_the_run_never_reaches_and_a_claim_that_now_fails_are_shown_on_the_page() {
    let dir = course_dir("warnings");
    let edited = shipped("six-hops.json")
        .replacen(r#""id": "six-hops""#, r#""id": "my-copy""#, 1)
        .replacen(r#""on": "hop:5""#, r#""on": "hop:9""#, 1)
        .replacen(
            r#""channel": "plaintext", "protocol": "ESMTP""#,
            r#""channel": "tls", "protocol": "ESMTP""#,
            1,
        );
    std::fs::write(dir.join("mine.json"), edited).unwrap();
    let app = app(Library::load(Some(&dir)));
    let mine = call(&app, "GET", "/api/s/my-copy", "").await;
    assert_eq!(mine.status, StatusCode::OK);
    let data = mine.json();
    let warnings: Vec<&str> = data["warnings"]
        .as_array()
        .unwrap_or_else(|| panic!("no warnings in {}", mine.body))
        .iter()
        .map(|w| w.as_str().unwrap())
        .collect();
    assert!(
        warnings.iter().any(|w| w.contains("mine.json:139:13: error at captions[5].on: the caption on `hop:9` is never shown: the run has 6 hops")),
        "{warnings:#?}"
    );
    assert!(
        warnings.iter().any(|w| w
            .contains("mine.json:159:5: expect[4] hops smarthost.isp.test -> filter.spamco.test")
            && w.contains("expected: channel tls")
            && w.contains("actual:   channel plaintext")),
        "{warnings:#?}"
    );
    // A scenario whose claims hold and whose captions all show has none.
    let six = call(&app, "GET", "/api/s/six-hops", "").await.json();
    assert!(six.get("warnings").is_none(), "{six}");
    std::fs::remove_dir_all(&dir).unwrap();
}

#[tokio::test]
async fn a_course_scenario_with_a_built_in_id_is_reported_not_swapped() {
    let dir = course_dir("same-id");
    let original = shipped("direct-mx.json");
    let built_in_title = "The plain path: client, submission server, MX, mailbox";
    assert!(original.contains(built_in_title));
    let mine = original.replacen(built_in_title, "My own plain path", 1);
    std::fs::write(dir.join("mine.json"), &mine).unwrap();
    let mut library = Library::load(Some(&dir));
    assert_eq!(
        library.rescan(),
        Vec::<String>::new(),
        "an unchanged file is not loaded again"
    );
    let app = app(library);

    // The built-in keeps its id, its page and its card.
    let gallery = call(&app, "GET", "/", "").await;
    assert!(
        !gallery.body.contains("My own plain path"),
        "{}",
        gallery.body
    );
    assert_eq!(gallery.body.matches("/s/direct-mx\"").count(), 1);
    let data = call(&app, "GET", "/api/s/direct-mx", "").await.json();
    assert_eq!(data["title"]["en"], built_in_title);

    // The course file is reported, naming both, at its `id`.
    let said = "mine.json:3:9: error at id: `direct-mx` is already the id of a built-in scenario";
    assert!(gallery.body.contains(said), "{}", gallery.body);
    assert!(gallery.body.contains("data-testid=\"gallery-problems\""));
    let warnings = data["warnings"].as_array().expect("the page says so too");
    assert!(
        warnings.iter().any(|w| w.as_str().unwrap().contains(said)),
        "{warnings:#?}"
    );
    std::fs::remove_dir_all(&dir).unwrap();
}

#[tokio::test]
async fn a_course_scenario_that_takes_an_id_of_its_own_joins_the_gallery_on_rescan() {
    let dir = course_dir("same-id-fixed");
    let original = shipped("direct-mx.json");
    std::fs::write(dir.join("mine.json"), &original).unwrap();
    let mut library = Library::load(Some(&dir));
    assert!(library.get("my-path").is_none());
    std::thread::sleep(std::time::Duration::from_millis(20));
    std::fs::write(
        dir.join("mine.json"),
        original.replacen(r#""id": "direct-mx""#, r#""id": "my-path""#, 1),
    )
    .unwrap();
    assert_eq!(library.rescan(), ["my-path"]);
    let app = app(library);
    let gallery = call(&app, "GET", "/", "").await;
    assert!(gallery.body.contains("/s/my-path"));
    assert!(
        !gallery.body.contains("gallery-problems"),
        "{}",
        gallery.body
    );
    // The built-in was never replaced, so it is still there, unremarked.
    let answer = call(&app, "GET", "/api/s/direct-mx", "").await;
    assert_eq!(answer.status, StatusCode::OK, "{}", answer.body);
    let data = answer.json();
    assert_eq!(data["id"], "direct-mx");
    assert!(data.get("warnings").is_none(), "{data}");
    std::fs::remove_dir_all(&dir).unwrap();
}

#[tokio::test]
async fn dns_rebinding_a_foreign_host_is_refused() {
    let app = built_in();
    let ok = call_with(&app, "GET", "/healthz", "", &[("host", "127.0.0.1:8025")]).await;
    assert_eq!(ok.status, StatusCode::OK);
    let ok = call_with(&app, "GET", "/", "", &[("host", "localhost:8025")]).await;
    assert_eq!(ok.status, StatusCode::OK);
    let evil = call_with(
        &app,
        "GET",
        "/api/s/six-hops",
        "",
        &[("host", "evil.example:8025")],
    )
    .await;
    assert_eq!(evil.status, StatusCode::MISDIRECTED_REQUEST);
    assert!(evil.body.contains("--host evil.example"), "{}", evil.body);
    assert!(
        evil.headers.contains_key("content-security-policy"),
        "refusals carry the security headers too"
    );
}

#[tokio::test]
async fn cross_site_what_ifs_are_refused() {
    let app = built_in();
    let body = r#"{"toggles": {}}"#;
    let plain = call_with(
        &app,
        "POST",
        "/api/s/six-hops/whatif",
        body,
        &[("content-type", "text/plain"), ("host", "127.0.0.1:8025")],
    )
    .await;
    assert_eq!(plain.status, StatusCode::FORBIDDEN, "{}", plain.body);
    let foreign = call_with(
        &app,
        "POST",
        "/api/s/six-hops/whatif",
        body,
        &[
            ("content-type", "application/json"),
            ("host", "127.0.0.1:8025"),
            ("origin", "https://evil.example"),
        ],
    )
    .await;
    assert_eq!(foreign.status, StatusCode::FORBIDDEN, "{}", foreign.body);
    let own = call_with(
        &app,
        "POST",
        "/api/s/six-hops/whatif",
        body,
        &[
            ("content-type", "application/json; charset=utf-8"),
            ("host", "127.0.0.1:8025"),
            ("origin", "http://127.0.0.1:8025"),
        ],
    )
    .await;
    assert_eq!(own.status, StatusCode::OK, "{}", own.body);
}

#[tokio::test]
async fn a_storm_beyond_the_run_slots_gets_503_with_retry_after() {
    let state = AppState::new(Library::load(None), false);
    // Every slot taken, as by students' heavy what-ifs still running.
    let slots = mailhop::web::run_slots() as u32;
    let _held = state.runs.clone().acquire_many_owned(slots).await.unwrap();
    let app = router(state);
    let busy = call(&app, "POST", "/api/s/six-hops/whatif", r#"{"toggles": {}}"#).await;
    assert_eq!(
        busy.status,
        StatusCode::SERVICE_UNAVAILABLE,
        "{}",
        busy.body
    );
    assert_eq!(busy.headers["retry-after"], "2");
    assert!(busy.body.contains("busy"), "{}", busy.body);
    let page = call(&app, "GET", "/api/s/six-hops", "").await;
    assert_eq!(
        page.status,
        StatusCode::OK,
        "pages still answer during the storm"
    );
}

/// Reads an HTTP response head from a raw socket, or `None` once the server
/// closed the connection without answering.
async fn answer_or_close(stream: &mut tokio::net::TcpStream) -> Option<String> {
    use tokio::io::AsyncReadExt;
    let mut buf = vec![0u8; 4096];
    match stream.read(&mut buf).await {
        Ok(0) | Err(_) => None,
        Ok(n) => Some(String::from_utf8_lossy(&buf[..n]).into_owned()),
    }
}

/// The built-in library served on a free loopback port with eight
/// connection slots, `per_client` of them for any one address.
async fn serve_built_in(
    header_timeout: std::time::Duration,
    per_client: usize,
) -> std::net::SocketAddr {
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    let limits = mailhop::web::ConnectionLimits {
        header_timeout,
        lifetime: std::time::Duration::from_secs(30),
        max_connections: 8,
        per_client,
    };
    tokio::spawn(mailhop::web::serve_connections(
        listener,
        built_in(),
        limits,
        std::future::pending(),
    ));
    addr
}

/// Asks `/healthz` on `s` and expects a 200 within ten seconds.
async fn assert_healthz_answers(mut s: tokio::net::TcpStream) {
    use tokio::io::AsyncWriteExt;
    s.write_all(b"GET /healthz HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: close\r\n\r\n")
        .await
        .unwrap();
    let answer = tokio::time::timeout(std::time::Duration::from_secs(10), answer_or_close(&mut s))
        .await
        .expect("answered")
        .expect("an answer");
    assert!(answer.starts_with("HTTP/1.1 200"), "{answer}");
}

#[tokio::test]
async fn slow_header_connections_are_closed_while_healthz_keeps_answering() {
    use tokio::io::AsyncWriteExt;
    let addr = serve_built_in(std::time::Duration::from_millis(300), 8).await;
    // Eight students' connections that send half a header and stop: every
    // connection slot is taken.
    let mut slow = Vec::new();
    for _ in 0..8 {
        let mut s = tokio::net::TcpStream::connect(addr).await.unwrap();
        s.write_all(b"GET /healthz HTTP/1.1\r\nHost: 127.0.0.1\r\nX-Slow: ")
            .await
            .unwrap();
        slow.push(s);
    }
    // The server drops them after the header timeout...
    for s in &mut slow {
        let answer = tokio::time::timeout(std::time::Duration::from_secs(10), answer_or_close(s))
            .await
            .expect("closed in time, not held open");
        assert!(
            answer
                .as_deref()
                .is_none_or(|a| a.starts_with("HTTP/1.1 408")),
            "{answer:?}"
        );
    }
    // ...and answers a real request again.
    let s = tokio::net::TcpStream::connect(addr).await.unwrap();
    assert_healthz_answers(s).await;
}

#[tokio::test]
async fn the_same_what_if_twice_is_answered_from_the_cache() {
    let app = built_in();
    let body = r#"{"toggles": {"fault:0": false}}"#;
    let first = call(&app, "POST", "/api/s/six-hops/whatif", body).await;
    assert_eq!(first.status, StatusCode::OK, "{}", first.body);
    assert!(!first.headers.contains_key("x-mailhop-cache"));
    let second = call(&app, "POST", "/api/s/six-hops/whatif", body).await;
    assert_eq!(second.status, StatusCode::OK);
    assert_eq!(second.headers["x-mailhop-cache"], "hit");
    assert_eq!(first.body, second.body, "the same answer");
    let other = call(&app, "POST", "/api/s/six-hops/whatif", r#"{"toggles": {}}"#).await;
    assert!(
        !other.headers.contains_key("x-mailhop-cache"),
        "another change runs again"
    );
    assert_ne!(other.body, first.body);
}

#[tokio::test]
async fn one_student_runs_one_what_if_at_a_time() {
    let state = AppState::new(Library::load(None), false);
    let alice: std::net::IpAddr = "10.0.0.7".parse().unwrap();
    let bob: std::net::IpAddr = "10.0.0.8".parse().unwrap();
    // Alice's first what-if is still running.
    let _running = state.running.start(alice).expect("a first run");
    let app = router(state);
    let ask = |who: std::net::IpAddr| {
        let mut request = Request::builder()
            .method("POST")
            .uri("/api/s/six-hops/whatif")
            .header("content-type", "application/json")
            .body(Body::from(r#"{"toggles": {"fault:0": false}}"#))
            .unwrap();
        request.extensions_mut().insert(mailhop::web::Client(who));
        app.clone().oneshot(request)
    };
    let second = ask(alice).await.unwrap();
    assert_eq!(second.status(), StatusCode::TOO_MANY_REQUESTS);
    assert_eq!(second.headers()["retry-after"], "1");
    let body = axum::body::to_bytes(second.into_body(), usize::MAX)
        .await
        .unwrap();
    assert!(String::from_utf8_lossy(&body).contains("one at a time"));
    let other = ask(bob).await.unwrap();
    assert_eq!(other.status(), StatusCode::OK, "another student is served");
}

/// A connection from `source` (any 127.0.0.0/8 address) to `addr`.
async fn connect_from(source: &str, addr: std::net::SocketAddr) -> tokio::net::TcpStream {
    let socket = tokio::net::TcpSocket::new_v4().unwrap();
    socket.bind(format!("{source}:0").parse().unwrap()).unwrap();
    socket.connect(addr).await.unwrap()
}

#[tokio::test]
async fn one_client_cannot_hold_every_connection() {
    let addr = serve_built_in(std::time::Duration::from_secs(30), 3).await;
    // One client opens connections and sends nothing: it keeps its share.
    let mut hog = Vec::new();
    for _ in 0..3 {
        hog.push(connect_from("127.0.0.2", addr).await);
    }
    let mut fourth = connect_from("127.0.0.2", addr).await;
    let closed = tokio::time::timeout(
        std::time::Duration::from_secs(10),
        answer_or_close(&mut fourth),
    )
    .await
    .expect("closed at once, not held");
    assert_eq!(
        closed, None,
        "beyond its share, a client's connection is closed"
    );
    // Another student is still answered.
    assert_healthz_answers(connect_from("127.0.0.3", addr).await).await;
}

/// Every file under `web/player/` is part of the served script, in the
/// order that lets it run: `base` makes the namespace, `core` the registry,
/// the parts register, `start` starts. A new part's file that is not listed
/// in `src/web/pages.rs` would never run.
#[tokio::test]
async fn every_player_file_is_in_the_served_script() {
    let dir = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("web/player");
    let mut on_disk: Vec<String> = std::fs::read_dir(&dir)
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .filter(|n| n.ends_with(".js"))
        .map(|n| n.trim_end_matches(".js").to_string())
        .collect();
    on_disk.sort();
    let mut listed: Vec<String> = mailhop::web::PLAYER_MODULES
        .iter()
        .map(|s| s.to_string())
        .collect();
    let order = listed.clone();
    listed.sort();
    listed.dedup();
    assert_eq!(on_disk, listed, "web/player/*.js against src/web/pages.rs");
    assert_eq!(order.len(), listed.len(), "a file listed twice");
    assert_eq!(&order[..2], ["base", "core"]);
    assert_eq!(order.last().map(String::as_str), Some("start"));
    // Each file appears in the script once, in the listed order.
    let js = mailhop::web::PLAYER_JS;
    let mut at = 0;
    for name in &order {
        let mark = format!("/* ---- web/player/{name}.js ---- */");
        let found = js[at..].find(&mark).unwrap_or_else(|| panic!("{name}"));
        at += found + mark.len();
    }
    let served = call(&built_in(), "GET", "/assets/player.js", "").await;
    assert_eq!(served.body, js);
}

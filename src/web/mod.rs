//! `mailhop serve`: the web player over HTTP.
//!
//! The server holds a [`Library`] of scenarios, each already run and turned
//! into player data (`crate::player`). Pages are askama templates; the
//! player script and style are compiled into the binary, so the page needs
//! no other host and works offline. A what-if request re-runs a changed
//! copy of a scenario on a blocking thread and answers new player data.
//! Routes are listed in `docs/player.md`.

mod handlers;
pub mod library;
mod pages;

use std::net::SocketAddr;
use std::path::PathBuf;
use std::sync::{Arc, RwLock};
use std::time::Duration;

use axum::Router;
use axum::extract::DefaultBodyLimit;
use axum::http::{HeaderName, HeaderValue, header};
use axum::routing::{get, post};
use tower_http::compression::CompressionLayer;
use tower_http::set_header::SetResponseHeaderLayer;

pub use library::Library;
pub use pages::export_html;

/// The largest request body accepted (a what-if with a long message body).
pub const MAX_BODY_BYTES: usize = 64 * 1024;

/// Content-Security-Policy of every response: nothing from other hosts, no
/// inline script or style.
pub const CSP: &str = "default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self' data:; connect-src 'self'; base-uri 'none'; form-action 'none'; frame-ancestors 'none'";

/// Shared by every request.
#[derive(Clone)]
pub struct AppState {
    pub library: Arc<RwLock<Library>>,
    pub watch: bool,
    /// The host names requests may name in `Host` (lowercase, no port):
    /// the loopback names, plus those given with `--host`. Anything else is
    /// refused, which stops DNS rebinding (a foreign page whose name
    /// resolves to this machine).
    pub hosts: Arc<Vec<String>>,
    /// What-if runs allowed at once. A run takes a core for up to a few
    /// seconds; a room asking more than the machine can answer waits a
    /// little, then gets 503 with `Retry-After` instead of a slow server.
    pub runs: Arc<tokio::sync::Semaphore>,
}

/// What-if runs at once: one per core.
pub fn run_slots() -> usize {
    std::thread::available_parallelism().map_or(1, |n| n.get())
}

/// Host names that always mean this machine.
pub const LOOPBACK_HOSTS: [&str; 4] = ["127.0.0.1", "localhost", "[::1]", "::1"];

impl AppState {
    /// A state serving `library` under the loopback names only.
    pub fn new(library: Library, watch: bool) -> Self {
        AppState {
            library: Arc::new(RwLock::new(library)),
            watch,
            hosts: Arc::new(LOOPBACK_HOSTS.iter().map(|h| h.to_string()).collect()),
            runs: Arc::new(tokio::sync::Semaphore::new(run_slots())),
        }
    }
}

/// How `serve` was asked to run.
#[derive(Debug, Clone)]
pub struct ServeOptions {
    pub bind: std::net::IpAddr,
    pub port: u16,
    pub scenarios: Option<PathBuf>,
    pub watch: bool,
    /// Extra host names students use to reach the server (`--host`).
    pub hosts: Vec<String>,
}

/// The router with every route and the security headers.
pub fn router(state: AppState) -> Router {
    let headers: [(&str, &str); 5] = [
        ("content-security-policy", CSP),
        ("x-content-type-options", "nosniff"),
        ("referrer-policy", "no-referrer"),
        ("x-frame-options", "DENY"),
        ("cross-origin-opener-policy", "same-origin"),
    ];
    let mut app = Router::new()
        .route("/", get(handlers::gallery))
        .route("/s/{id}", get(handlers::page))
        .route("/api/s/{id}", get(handlers::data))
        .route("/api/s/{id}/whatif", post(handlers::whatif))
        .route("/assets/{file}", get(handlers::asset))
        .route("/healthz", get(|| async { "ok" }))
        .fallback(handlers::not_found)
        .layer(axum::middleware::from_fn_with_state(
            state.clone(),
            handlers::known_host,
        ))
        .layer(DefaultBodyLimit::max(MAX_BODY_BYTES))
        .layer(CompressionLayer::new());
    for (name, value) in headers {
        app = app.layer(SetResponseHeaderLayer::overriding(
            HeaderName::from_static(name),
            HeaderValue::from_static(value),
        ));
    }
    app.layer(SetResponseHeaderLayer::if_not_present(
        header::CACHE_CONTROL,
        HeaderValue::from_static("no-cache"),
    ))
    .with_state(state)
}

/// Loads the library, binds, prints the URL and serves until interrupted.
pub async fn serve(options: ServeOptions) -> std::io::Result<()> {
    // Loading runs every scenario, each on a runtime of its own: not here.
    let dir = options.scenarios.clone();
    let library = tokio::task::spawn_blocking(move || Library::load(dir.as_deref()))
        .await
        .map_err(std::io::Error::other)?;
    let mut state = AppState::new(library, options.watch);
    let mut hosts: Vec<String> = state.hosts.to_vec();
    hosts.extend(options.hosts.iter().map(|h| h.to_ascii_lowercase()));
    state.hosts = Arc::new(hosts);
    if options.watch {
        let library = state.library.clone();
        tokio::spawn(async move {
            loop {
                tokio::time::sleep(Duration::from_millis(500)).await;
                let library = library.clone();
                let changed = tokio::task::spawn_blocking(move || {
                    library
                        .write()
                        .expect("the library lock is never poisoned")
                        .rescan()
                })
                .await
                .unwrap_or_default();
                for id in changed {
                    tracing::info!(%id, "reloaded scenario");
                    eprintln!("reloaded {id}");
                }
            }
        });
    }
    let listener =
        tokio::net::TcpListener::bind(SocketAddr::new(options.bind, options.port)).await?;
    let addr = listener.local_addr()?;
    println!("mailhop is serving the player at http://{addr}/");
    println!("press Ctrl-C to stop");
    axum::serve(listener, router(state))
        .with_graceful_shutdown(async {
            let _ = tokio::signal::ctrl_c().await;
        })
        .await
}

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
pub use pages::{PLAYER_JS, PLAYER_MODULES, export_html};

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
    /// Recent what-if answers. A run is a pure function of the scenario and
    /// the change, so a room clicking the same switch is answered once.
    pub answers: Arc<std::sync::Mutex<AnswerCache>>,
    /// What-if runs in progress, by client address: one each at a time.
    pub running: PerClient,
}

/// The address a request came from, set by [`serve_connections`] on every
/// request of a connection.
#[derive(Debug, Clone, Copy)]
pub struct Client(pub std::net::IpAddr);

/// Counts of something each client holds (what-if runs, connections), to
/// keep one client from taking what the room shares.
#[derive(Debug, Clone)]
pub struct PerClient {
    counts: Arc<std::sync::Mutex<std::collections::BTreeMap<std::net::IpAddr, usize>>>,
    limit: usize,
}

/// One unit held by a client; given back when dropped.
#[derive(Debug)]
pub struct Held {
    counts: Arc<std::sync::Mutex<std::collections::BTreeMap<std::net::IpAddr, usize>>>,
    client: std::net::IpAddr,
}

impl PerClient {
    /// At most `limit` units per client.
    pub fn new(limit: usize) -> Self {
        PerClient {
            counts: Arc::default(),
            limit,
        }
    }

    /// Takes a unit for `client`, or `None` when it already holds `limit`.
    pub fn start(&self, client: std::net::IpAddr) -> Option<Held> {
        let mut counts = self.counts.lock().unwrap_or_else(|e| e.into_inner());
        let count = counts.entry(client).or_insert(0);
        if *count >= self.limit {
            return None;
        }
        *count += 1;
        Some(Held {
            counts: self.counts.clone(),
            client,
        })
    }
}

impl Drop for Held {
    fn drop(&mut self) {
        let mut counts = self.counts.lock().unwrap_or_else(|e| e.into_inner());
        if let Some(count) = counts.get_mut(&self.client) {
            *count -= 1;
            if *count == 0 {
                counts.remove(&self.client);
            }
        }
    }
}

/// A small cache of what-if answers, by scenario and change: at most
/// [`AnswerCache::ENTRIES`] answers of at most [`AnswerCache::LARGEST`]
/// bytes each, the oldest forgotten first.
#[derive(Debug, Default)]
pub struct AnswerCache {
    entries: std::collections::VecDeque<(String, Arc<String>)>,
}

impl AnswerCache {
    pub const ENTRIES: usize = 32;
    pub const LARGEST: usize = 1 << 20;

    pub fn get(&self, key: &str) -> Option<Arc<String>> {
        self.entries
            .iter()
            .find(|(k, _)| k == key)
            .map(|(_, answer)| answer.clone())
    }

    pub fn put(&mut self, key: String, answer: Arc<String>) {
        if answer.len() > Self::LARGEST || self.get(&key).is_some() {
            return;
        }
        if self.entries.len() == Self::ENTRIES {
            self.entries.pop_front();
        }
        self.entries.push_back((key, answer));
    }
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
            answers: Arc::default(),
            running: PerClient::new(1),
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
    for report in library.reports() {
        eprintln!("{report}");
    }
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
                // Running the changed files happens off the lock: pages keep
                // answering while a long scenario reloads.
                let installed = tokio::task::spawn_blocking(move || {
                    let stale = library
                        .read()
                        .expect("the library lock is never poisoned")
                        .stale();
                    if stale.is_empty() {
                        return library::Installed::default();
                    }
                    let loaded = library::load_files(stale);
                    library
                        .write()
                        .expect("the library lock is never poisoned")
                        .install(loaded)
                })
                .await
                .unwrap_or_default();
                for report in installed.reports {
                    eprintln!("{report}");
                }
                for id in installed.changed {
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
    let shutdown = tokio::signal::ctrl_c();
    tokio::pin!(shutdown);
    serve_connections(
        listener,
        router(state),
        ConnectionLimits::default(),
        async move {
            let _ = shutdown.await;
        },
    )
    .await
}

/// What one client connection may take.
#[derive(Debug, Clone, Copy)]
pub struct ConnectionLimits {
    /// How long a client may take to send a request's header (and, on a
    /// kept-alive connection, to start the next one).
    pub header_timeout: Duration,
    /// The longest any one connection stays open.
    pub lifetime: Duration,
    /// Connections served at once; more wait in the kernel's backlog.
    pub max_connections: usize,
    /// Connections one client address may hold open at once; more are
    /// closed as they arrive, so one client cannot take every slot.
    pub per_client: usize,
}

impl Default for ConnectionLimits {
    fn default() -> Self {
        ConnectionLimits {
            header_timeout: Duration::from_secs(10),
            lifetime: Duration::from_secs(300),
            max_connections: 1024,
            per_client: 256,
        }
    }
}

/// Serves HTTP/1.1 on `listener` with the limits a classroom needs: a
/// client that sends half a header is dropped after the header timeout, no
/// connection outlives its lifetime, and only so many are open at once, so
/// idle or slow clients cannot take every file descriptor and keep
/// `/healthz` from answering.
pub async fn serve_connections(
    listener: tokio::net::TcpListener,
    app: Router,
    limits: ConnectionLimits,
    shutdown: impl std::future::Future<Output = ()>,
) -> std::io::Result<()> {
    use hyper_util::rt::{TokioIo, TokioTimer};
    use hyper_util::service::TowerToHyperService;
    let slots = Arc::new(tokio::sync::Semaphore::new(limits.max_connections));
    let per_client = PerClient::new(limits.per_client);
    tokio::pin!(shutdown);
    loop {
        let permit = tokio::select! {
            biased;
            () = &mut shutdown => return Ok(()),
            permit = slots.clone().acquire_owned() => permit.map_err(std::io::Error::other)?,
        };
        let (stream, peer) = tokio::select! {
            biased;
            () = &mut shutdown => return Ok(()),
            accepted = listener.accept() => match accepted {
                Ok(accepted) => accepted,
                // Out of descriptors or a reset before accept: try again.
                Err(err) => {
                    tracing::warn!(%err, "accept failed");
                    tokio::time::sleep(Duration::from_millis(50)).await;
                    continue;
                }
            },
        };
        let Some(mine) = per_client.start(peer.ip()) else {
            // This client already holds its share: close at once.
            drop(stream);
            continue;
        };
        let service =
            // Every request of the connection carries its client's address:
            // a wrapper around the router, not a new layer on every route.
            TowerToHyperService::new(tower_http::add_extension::AddExtension::new(
                app.clone(),
                Client(peer.ip()),
            ));
        tokio::spawn(async move {
            let _permit = permit;
            let _mine = mine;
            let connection = hyper::server::conn::http1::Builder::new()
                .timer(TokioTimer::new())
                .header_read_timeout(limits.header_timeout)
                .serve_connection(TokioIo::new(stream), service);
            let _ = tokio::time::timeout(limits.lifetime, connection).await;
        });
    }
}

//! One handler per route, and the one error type they answer with.

use axum::Json;
use axum::body::Bytes;
use axum::extract::{Path, State};
use std::sync::Arc;

use axum::http::{HeaderValue, StatusCode, header};
use axum::response::{Html, IntoResponse, Response};

use super::AppState;
use super::library::{self, Entry};
use super::pages;
use crate::player::whatif::{self, WhatIf};

/// Everything that can go wrong in a request, mapped to a status in one place.
#[derive(Debug)]
pub enum WebError {
    /// No such scenario or file.
    NotFound(String),
    /// The request itself is wrong (bad JSON, unknown toggle, too long).
    BadRequest(String),
    /// The scenario file is invalid: its problems.
    Invalid(Vec<String>),
    /// A what-if world that cannot run.
    Unrunnable(String),
    /// A what-if not sent by the player itself (another site, another
    /// content type).
    Forbidden(String),
    /// The request named a host this server does not answer for.
    Misdirected(String),
    /// Every what-if slot stayed busy for [`QUEUE_WAIT`].
    Busy,
    /// This client already has a what-if running.
    OneAtATime,
}

/// How long a what-if waits for a free slot before the server says 503.
pub const QUEUE_WAIT: std::time::Duration = std::time::Duration::from_secs(2);

impl IntoResponse for WebError {
    fn into_response(self) -> Response {
        let (status, body) = match self {
            WebError::Busy => (
                StatusCode::SERVICE_UNAVAILABLE,
                serde_json::json!({
                    "error": "the server is busy with other students' what-ifs; try again in a few seconds"
                }),
            ),
            WebError::OneAtATime => (
                StatusCode::TOO_MANY_REQUESTS,
                serde_json::json!({
                    "error": "your previous what-if is still running; each student runs one at a time"
                }),
            ),
            WebError::NotFound(what) => (
                StatusCode::NOT_FOUND,
                serde_json::json!({ "error": format!("not found: {what}") }),
            ),
            WebError::BadRequest(why) => {
                (StatusCode::BAD_REQUEST, serde_json::json!({ "error": why }))
            }
            WebError::Invalid(problems) => (
                StatusCode::UNPROCESSABLE_ENTITY,
                serde_json::json!({ "error": "invalid", "problems": problems }),
            ),
            WebError::Unrunnable(why) => (
                StatusCode::UNPROCESSABLE_ENTITY,
                serde_json::json!({ "error": why }),
            ),
            WebError::Forbidden(why) => {
                (StatusCode::FORBIDDEN, serde_json::json!({ "error": why }))
            }
            WebError::Misdirected(why) => (
                StatusCode::MISDIRECTED_REQUEST,
                serde_json::json!({ "error": why }),
            ),
        };
        let mut response = (status, Json(body)).into_response();
        let retry_after = match status {
            StatusCode::SERVICE_UNAVAILABLE => Some("2"),
            StatusCode::TOO_MANY_REQUESTS => Some("1"),
            _ => None,
        };
        if let Some(seconds) = retry_after {
            response.headers_mut().insert(
                header::RETRY_AFTER,
                axum::http::HeaderValue::from_static(seconds),
            );
        }
        response
    }
}

/// Ids are lowercase letters, digits and dashes; anything else is not a scenario.
fn valid_id(id: &str) -> Result<(), WebError> {
    if !id.is_empty()
        && id.len() <= 100
        && id
            .bytes()
            .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'-')
    {
        Ok(())
    } else {
        Err(WebError::NotFound(format!("scenario {id:?}")))
    }
}

fn entry(state: &AppState, id: &str) -> Result<Entry, WebError> {
    valid_id(id)?;
    state
        .library
        .read()
        .expect("the library lock is never poisoned")
        .get(id)
        .cloned()
        .ok_or_else(|| WebError::NotFound(format!("scenario {id:?}")))
}

/// `GET /`: the gallery.
pub async fn gallery(State(state): State<AppState>) -> Html<String> {
    let library = state
        .library
        .read()
        .expect("the library lock is never poisoned");
    Html(pages::gallery(&library))
}

/// `GET /s/{id}`: the player page.
pub async fn page(
    State(state): State<AppState>,
    Path(id): Path<String>,
) -> Result<Html<String>, Response> {
    let entry = entry(&state, &id).map_err(|_| not_found_page(&id))?;
    let title = match &entry {
        Entry::Ready { scenario, .. } => scenario.title.en.clone(),
        Entry::Invalid { title, .. } => title.en.clone(),
    };
    Ok(Html(pages::player(&id, &title, state.watch)))
}

fn not_found_page(id: &str) -> Response {
    (
        StatusCode::NOT_FOUND,
        Html(pages::not_found(&format!(
            "There is no scenario called {id:?}."
        ))),
    )
        .into_response()
}

/// `GET /api/s/{id}`: the player data of the scenario as written, with
/// the files that claim its id among its `warnings`.
pub async fn data(
    State(state): State<AppState>,
    Path(id): Path<String>,
) -> Result<Response, WebError> {
    let entry = entry(&state, &id)?;
    let claims = state
        .library
        .read()
        .expect("the library lock is never poisoned")
        .claims_on(&id);
    match entry {
        Entry::Ready { data, .. } if claims.is_empty() => Ok(json_text(data.as_str().to_owned())),
        Entry::Ready { data, .. } => Ok(json_text(library::with_warnings(&data, &claims))),
        Entry::Invalid { problems, .. } => Err(WebError::Invalid(problems)),
    }
}

/// `POST /api/s/{id}/whatif`: the player data of a changed world.
/// Refuses requests whose `Host` is not one this server was started for
/// (DNS rebinding: a foreign name that resolves to this machine).
pub async fn known_host(
    State(state): State<AppState>,
    request: axum::extract::Request,
    next: axum::middleware::Next,
) -> Result<Response, WebError> {
    if let Some(host) = request.headers().get(header::HOST) {
        let name = host_name(host.to_str().unwrap_or_default());
        if !state.hosts.contains(&name) {
            return Err(WebError::Misdirected(format!(
                "this server does not answer for `{name}`; start it with --host {name} if students reach it by that name"
            )));
        }
    }
    Ok(next.run(request).await)
}

/// The host name of a `Host` header value, lowercase, without the port.
fn host_name(value: &str) -> String {
    let value = value.trim().to_ascii_lowercase();
    if value.starts_with('[') {
        return value
            .split_inclusive(']')
            .next()
            .unwrap_or_default()
            .to_string();
    }
    value.split(':').next().unwrap_or_default().to_string()
}

/// A what-if must come from the player's own page: JSON (which a foreign
/// page cannot send without a CORS preflight this server never approves),
/// and, when the browser names an `Origin`, this very server.
fn from_the_player(headers: &axum::http::HeaderMap) -> Result<(), WebError> {
    let json = headers
        .get(header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.split(';').next())
        .is_some_and(|v| v.trim().eq_ignore_ascii_case("application/json"));
    if !json {
        return Err(WebError::Forbidden(
            "a what-if is sent as application/json by the player page".into(),
        ));
    }
    if let Some(origin) = headers.get(header::ORIGIN) {
        let origin = origin.to_str().unwrap_or_default().to_ascii_lowercase();
        let host = headers
            .get(header::HOST)
            .and_then(|v| v.to_str().ok())
            .unwrap_or_default()
            .to_ascii_lowercase();
        let same = origin
            .split_once("://")
            .is_some_and(|(_, rest)| !host.is_empty() && rest == host);
        if !same {
            return Err(WebError::Forbidden(format!(
                "a what-if from another site ({origin}) is not accepted"
            )));
        }
    }
    Ok(())
}

pub async fn whatif(
    State(state): State<AppState>,
    Path(id): Path<String>,
    client: Option<axum::Extension<super::Client>>,
    headers: axum::http::HeaderMap,
    body: Bytes,
) -> Result<Response, WebError> {
    from_the_player(&headers)?;
    let Entry::Ready { scenario, .. } = entry(&state, &id)? else {
        return Err(WebError::Unrunnable(
            "this scenario file is invalid; fix it first".into(),
        ));
    };
    let change: WhatIf = serde_json::from_slice(&body)
        .map_err(|e| WebError::BadRequest(format!("not a what-if request: {e}")))?;
    let changed = whatif::apply(&scenario, &change).map_err(WebError::BadRequest)?;
    // The answer depends on the scenario as loaded and the change only.
    let key = format!(
        "{}\n{}\n{:?}\n{:?}",
        serde_json::to_string(scenario.as_ref()).expect("a scenario is plain data"),
        serde_json::to_string(&change.toggles).expect("toggles are plain data"),
        change.subject,
        change.body
    );
    let cached = state
        .answers
        .lock()
        .expect("the answer cache lock is never poisoned")
        .get(&key);
    if let Some(answer) = cached {
        let mut response = json_text(answer.as_str().to_string());
        response
            .headers_mut()
            .insert("x-mailhop-cache", HeaderValue::from_static("hit"));
        return Ok(response);
    }
    // One run at a time per student, so one cannot hold every slot.
    let mine = match client {
        Some(axum::Extension(client)) => {
            Some(state.running.start(client.0).ok_or(WebError::OneAtATime)?)
        }
        None => None,
    };
    let permit = tokio::time::timeout(QUEUE_WAIT, state.runs.clone().acquire_owned())
        .await
        .ok()
        .and_then(Result::ok)
        .ok_or(WebError::Busy)?;
    let answer = tokio::task::spawn_blocking(move || {
        let _permit = permit;
        let _mine = mine;
        library::run_player(&changed).map(|mut data| {
            data.whatif = whatif::view_changed(&scenario, &change);
            Arc::new(serde_json::to_string(&data).expect("player data is plain data"))
        })
    })
    .await
    .map_err(|e| WebError::Unrunnable(format!("the run stopped: {e}")))?
    .map_err(WebError::Unrunnable)?;
    state
        .answers
        .lock()
        .expect("the answer cache lock is never poisoned")
        .put(key, answer.clone());
    Ok(json_text(answer.as_str().to_string()))
}

fn json_text(text: String) -> Response {
    ([(header::CONTENT_TYPE, "application/json")], text).into_response()
}

/// `GET /assets/{file}`: the player's script and style, from the binary.
pub async fn asset(Path(file): Path<String>) -> Result<Response, WebError> {
    let (kind, body) = match file.as_str() {
        "player.js" => ("text/javascript; charset=utf-8", pages::PLAYER_JS),
        "player.css" => ("text/css; charset=utf-8", pages::PLAYER_CSS),
        _ => return Err(WebError::NotFound(format!("asset {file:?}"))),
    };
    Ok(([(header::CONTENT_TYPE, kind)], body).into_response())
}

/// Any other path.
pub async fn not_found() -> Response {
    (
        StatusCode::NOT_FOUND,
        Html(pages::not_found("There is nothing at this address.")),
    )
        .into_response()
}

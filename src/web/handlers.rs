//! One handler per route, and the one error type they answer with.

use axum::Json;
use axum::body::Bytes;
use axum::extract::{Path, State};
use axum::http::{StatusCode, header};
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
}

impl IntoResponse for WebError {
    fn into_response(self) -> Response {
        let (status, body) = match self {
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
        };
        (status, Json(body)).into_response()
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

/// `GET /api/s/{id}`: the player data of the scenario as written.
pub async fn data(
    State(state): State<AppState>,
    Path(id): Path<String>,
) -> Result<Response, WebError> {
    match entry(&state, &id)? {
        Entry::Ready { data, .. } => Ok(json_text(data.as_str().to_owned())),
        Entry::Invalid { problems, .. } => Err(WebError::Invalid(problems)),
    }
}

/// `POST /api/s/{id}/whatif`: the player data of a changed world.
pub async fn whatif(
    State(state): State<AppState>,
    Path(id): Path<String>,
    body: Bytes,
) -> Result<Response, WebError> {
    let Entry::Ready { scenario, .. } = entry(&state, &id)? else {
        return Err(WebError::Unrunnable(
            "this scenario file is invalid; fix it first".into(),
        ));
    };
    let change: WhatIf = serde_json::from_slice(&body)
        .map_err(|e| WebError::BadRequest(format!("not a what-if request: {e}")))?;
    let changed = whatif::apply(&scenario, &change).map_err(WebError::BadRequest)?;
    let mut data = tokio::task::spawn_blocking(move || library::run_player(&changed))
        .await
        .map_err(|e| WebError::Unrunnable(format!("the run stopped: {e}")))?
        .map_err(WebError::Unrunnable)?;
    data.whatif = whatif::view_changed(&scenario, &change);
    Ok(json_text(
        serde_json::to_string(&data).expect("player data is plain data"),
    ))
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

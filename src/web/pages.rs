//! The HTML pages, from askama templates in `web/templates/`, and the
//! self-contained export.

use askama::Template;

use super::library::{Entry, Library};
use crate::player::PlayerData;

/// Lists the player's script files (`web/player/*.js`) once, in load order,
/// and builds [`PLAYER_MODULES`] and [`PLAYER_JS`] from the same list.
macro_rules! player_script {
    ($($name:literal),+ $(,)?) => {
        /// The player's files, in the order they run: `base` first (the
        /// namespace), then `core`, then the parts, and `start` last.
        pub const PLAYER_MODULES: &[&str] = &[$($name),+];
        /// The player as one script, served as `/assets/player.js` and inlined
        /// in exports: the files joined in order, each after a comment naming it.
        pub const PLAYER_JS: &str = concat!(
            "'use strict';\n",
            $("/* ---- web/player/", $name, ".js ---- */\n", include_str!(concat!("../../web/player/", $name, ".js"))),+
        );
    };
}
player_script!(
    "base",
    "core",
    "ledger",
    "diagram",
    "timeline",
    "events",
    "predict",
    "conversation",
    "auth",
    "pgp",
    "message",
    "mailbox",
    "exposure",
    "dns",
    "glossary",
    "whatif",
    "authors",
    "start",
);
pub const PLAYER_CSS: &str = include_str!("../../web/player.css");

pub struct GalleryItem {
    pub id: String,
    pub title_en: String,
    pub title_pt: String,
    pub description_en: String,
    pub description_pt: String,
    pub invalid: bool,
}

#[derive(Template)]
#[template(path = "gallery.html")]
struct Gallery {
    items: Vec<GalleryItem>,
    /// Files of the folder that are not served, each a located problem.
    problems: Vec<String>,
}

#[derive(Template)]
#[template(path = "scenario.html")]
struct Player<'a> {
    id: &'a str,
    title_en: &'a str,
    watch: bool,
}

#[derive(Template)]
#[template(path = "export.html")]
struct Export<'a> {
    title_en: &'a str,
    css: &'a str,
    js: &'a str,
    data: &'a str,
}

#[derive(Template)]
#[template(path = "not_found.html")]
struct NotFound<'a> {
    message: &'a str,
}

fn render(template: &impl Template) -> String {
    template
        .render()
        .expect("templates only format plain strings and cannot fail")
}

pub fn gallery(library: &Library) -> String {
    let items = library
        .list()
        .into_iter()
        .map(|(id, entry)| match entry {
            Entry::Ready { scenario, .. } => {
                let (description_en, description_pt) = scenario
                    .description
                    .clone()
                    .map(|d| (d.en, d.pt))
                    .unwrap_or_default();
                GalleryItem {
                    id: id.to_string(),
                    title_en: scenario.title.en.clone(),
                    title_pt: scenario.title.pt.clone(),
                    description_en,
                    description_pt,
                    invalid: false,
                }
            }
            Entry::Invalid { title, .. } => GalleryItem {
                id: id.to_string(),
                title_en: title.en.clone(),
                title_pt: title.pt.clone(),
                description_en: "This file has problems; open it to see them.".into(),
                description_pt: "Este arquivo tem problemas; abra para vê-los.".into(),
                invalid: true,
            },
        })
        .collect();
    render(&Gallery {
        items,
        problems: library.problems(),
    })
}

pub fn player(id: &str, title_en: &str, watch: bool) -> String {
    render(&Player {
        id,
        title_en,
        watch,
    })
}

pub fn not_found(message: &str) -> String {
    render(&NotFound { message })
}

/// One HTML file that plays a run with no server: style, script and player
/// data inlined.
pub fn export_html(data: &PlayerData) -> String {
    let json = serde_json::to_string(data)
        .expect("player data is plain data")
        // Inside <script>, `</` could close the element early.
        .replace("</", "<\\/");
    render(&Export {
        title_en: &data.title.en,
        css: PLAYER_CSS,
        js: PLAYER_JS,
        data: &json,
    })
}

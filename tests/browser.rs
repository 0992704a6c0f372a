//! The web player in a real browser: headless Chromium driven through
//! chromedriver (Debian's `chromium` and `chromium-driver`), against the
//! real server on 127.0.0.1:0.
//!
//! Without chromedriver the test says so and passes on a developer's
//! machine, but fails under CI (`CI` set): `.ci/run` installs it, so a
//! missing browser there is a broken pipeline, not a reason to skip.
//! Screenshots land in `target/screenshots/` for a person to look at.

use std::net::TcpListener as StdListener;
use std::path::PathBuf;
use std::process::{Child, Command, Stdio};
use std::time::Duration;

use fantoccini::{Client, ClientBuilder, Locator, key::Key};
use mailhop::web::{AppState, Library, router};

/// Kills chromedriver when the test ends, however it ends.
struct Driver(Child);

impl Drop for Driver {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

fn free_port() -> u16 {
    StdListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port()
}

fn find_chromedriver() -> Option<PathBuf> {
    ["/usr/bin/chromedriver", "/usr/lib/chromium/chromedriver"]
        .iter()
        .map(PathBuf::from)
        .find(|p| p.exists())
}

fn screenshots() -> PathBuf {
    let dir = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("target/screenshots");
    std::fs::create_dir_all(&dir).unwrap();
    dir
}

/// Reads the browser's console log (chromedriver's logging extension).
#[derive(Debug)]
struct BrowserLog;

impl fantoccini::wd::WebDriverCompatibleCommand for BrowserLog {
    fn endpoint(
        &self,
        base_url: &url::Url,
        session_id: Option<&str>,
    ) -> Result<url::Url, url::ParseError> {
        base_url.join(&format!("session/{}/se/log", session_id.unwrap_or("")))
    }

    fn method_and_body(&self, _: &url::Url) -> (http::Method, Option<String>) {
        (
            http::Method::POST,
            Some(r#"{"type":"browser"}"#.to_string()),
        )
    }
}

/// Console messages at level SEVERE since the last call.
async fn console_errors(client: &Client) -> Vec<String> {
    let log = client.issue_cmd(BrowserLog).await.expect("browser log");
    log.as_array()
        .map(|entries| {
            entries
                .iter()
                .filter(|e| e["level"] == "SEVERE")
                .map(|e| e["message"].as_str().unwrap_or("").to_string())
                .collect()
        })
        .unwrap_or_default()
}

async fn attr(client: &Client, css: &str, name: &str) -> Option<String> {
    client
        .find(Locator::Css(css))
        .await
        .unwrap_or_else(|e| panic!("{css}: {e}"))
        .attr(name)
        .await
        .unwrap()
}

async fn text_of(client: &Client, css: &str) -> String {
    client
        .find(Locator::Css(css))
        .await
        .unwrap_or_else(|e| panic!("{css}: {e}"))
        .text()
        .await
        .unwrap()
}

/// Waits until `css` has attribute `name` equal to `value`.
async fn wait_attr(client: &Client, css: &str, name: &str, value: &str) {
    for _ in 0..100 {
        if let Ok(el) = client.find(Locator::Css(css)).await
            && el.attr(name).await.ok().flatten().as_deref() == Some(value)
        {
            return;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    panic!(
        "{css} never had {name}={value:?} (has {:?})",
        attr(client, css, name).await
    );
}

/// Waits until the text of `css` contains `needle`.
async fn wait_text(client: &Client, css: &str, needle: &str) -> String {
    let mut last = String::new();
    for _ in 0..100 {
        if let Ok(el) = client.find(Locator::Css(css)).await {
            last = el.text().await.unwrap_or_default();
            if last.contains(needle) {
                return last;
            }
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    panic!("{css} never contained {needle:?}; it says {last:?}");
}

/// Clicks the element `css` names.
async fn click(client: &Client, css: &str) {
    client
        .find(Locator::Css(css))
        .await
        .unwrap_or_else(|e| panic!("{css}: {e}"))
        .click()
        .await
        .unwrap();
}

/// Waits (up to 5 s) until the address's fragment passes `ok`; the caller
/// asserts on it afterwards.
async fn wait_hash(client: &Client, ok: impl Fn(&str) -> bool) {
    for _ in 0..50 {
        if ok(&hash(client).await) {
            return;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
}

async fn hash(client: &Client) -> String {
    client
        .current_url()
        .await
        .unwrap()
        .fragment()
        .unwrap_or("")
        .to_string()
}

async fn screenshot(client: &Client, name: &str) {
    let png = client.screenshot().await.unwrap();
    std::fs::write(screenshots().join(name), png).unwrap();
}

/// The real server on a port of its own, chromedriver, and a headless
/// Chromium session on it at 1280×720; `None` (after saying so) on a
/// developer's machine without chromedriver, a failure under CI.
async fn browser() -> Option<(String, Client, Driver)> {
    let Some(chromedriver) = find_chromedriver() else {
        assert!(
            std::env::var_os("CI").is_none(),
            "chromedriver is missing under CI: .ci/run must install chromium-driver"
        );
        eprintln!("skipping: no chromedriver (apt-get install chromium chromium-driver)");
        return None;
    };

    // The real server, on a port of its own.
    let library = tokio::task::spawn_blocking(|| Library::load(None))
        .await
        .unwrap();
    let state = AppState::new(library, false);
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let base = format!("http://{}", listener.local_addr().unwrap());
    tokio::spawn(async move { axum::serve(listener, router(state)).await.unwrap() });

    let port = free_port();
    let driver = Driver(
        Command::new(chromedriver)
            .arg(format!("--port={port}"))
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .expect("chromedriver starts"),
    );
    let mut caps = serde_json::Map::new();
    caps.insert(
        "goog:chromeOptions".into(),
        serde_json::json!({
            "binary": "/usr/bin/chromium",
            "args": ["--headless=new", "--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage",
                     "--window-size=1280,720", "--lang=en-US"]
        }),
    );
    caps.insert(
        "goog:loggingPrefs".into(),
        serde_json::json!({ "browser": "ALL" }),
    );
    let connector = hyper_util::client::legacy::connect::HttpConnector::new();
    let mut client = None;
    for _ in 0..50 {
        match ClientBuilder::new(connector.clone())
            .capabilities(caps.clone())
            .connect(&format!("http://127.0.0.1:{port}"))
            .await
        {
            Ok(c) => {
                client = Some(c);
                break;
            }
            Err(_) => tokio::time::sleep(Duration::from_millis(200)).await,
        }
    }
    let c = client.expect("chromedriver answers");
    c.set_window_size(1280, 720).await.unwrap();
    Some((base, c, driver))
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_player_works_in_a_real_browser() {
    let Some((base, c, _driver)) = browser().await else {
        return;
    };

    // The gallery lists every built-in scenario.
    c.goto(&format!("{base}/")).await.unwrap();
    let items = c
        .find_all(Locator::Css("[data-testid=gallery-item]"))
        .await
        .unwrap();
    assert_eq!(items.len(), mailhop::web::library::BUILT_IN.len());
    screenshot(&c, "gallery.png").await;

    // Six hops, at the hop out of the spam filter: plaintext, and the
    // backup MX holds a readable copy.
    c.goto(&format!("{base}/s/six-hops#step=5")).await.unwrap();
    wait_attr(&c, "[data-testid=edge]", "data-channel", "plaintext").await;
    let channel = text_of(&c, "[data-testid=hop-channel]").await;
    assert!(channel.to_lowercase().contains("plaintext"), "{channel}");
    wait_attr(
        &c,
        "[data-testid=node][data-node='backup.friend.test']",
        "data-readable",
        "true",
    )
    .await;
    wait_text(&c, "[data-testid=step-label]", "5").await;
    wait_text(&c, "[data-testid=conversation]", "EHLO filter.spamco.test").await;
    // The filter's failed attempt to reach the down MX is drawn from the
    // event's node and peer, not read out of a sentence.
    wait_attr(&c, "[data-testid=edge-fail]", "data-peer", "mx.friend.test").await;
    assert_eq!(
        attr(&c, "[data-testid=edge-fail]", "data-node")
            .await
            .as_deref(),
        Some("filter.spamco.test")
    );
    screenshot(&c, "six-hops-step4.png").await;

    // Every string the script names exists in both languages. Keys named
    // through a variable are listed here, as the script uses them.
    let strings = c
        .execute(
            "const S = window.mailhop.STR;
             const dynamic = ['first', 'prev', 'next', 'last', 'play', 'pause', 'present', 'leave', 'yes', 'no',
               'conversation', 'message', 'exposure', 'dns', 'whatif', 'jA', 'jA1', 'jP', 'jP1', 'jE', 'jE1',
               'onWire', 'atRest', 'notAccepted', 'passwords', 'colLink', 'colEnv', 'colHeaders', 'colBody', 'colConn',
               'colPassword', 'colMachine', 'colMsg', 'colSince', 'problemsWatch', 'problemsHint', 'tlsRec', 'tlsRec1',
               'storedAt', 'lastCopy', 'opCan', 'opCannot', 'added', 'addedHere', 'right', 'aPlain', 'aTls', 'aAuth',
               'aAccept', 'aRefuse', 'aLater', 'aDeliver', 'aNotify', 'aRetry', 'jD', 'jD1', 'ownCopy', 'ownCopyN', 'opOwn',
               'noRefusal', 'noRefusalRead', 'mailboxes', 'mbCount', 'mbCount1', 'devFrom', 'devFromNoUid',
               'authPanel', 'auHeader', 'auHeaderRefused', 'auColCheck', 'auColResult', 'auColWhy', 'auColRule', 'auColPoints', 'auColMeans'];
             return fetch('/assets/player.js').then(r => r.text()).then(js => {
               const used = [...js.matchAll(/\\b(?:tr|raw)\\('(\\w+)'/g)].map(m => m[1]).concat(dynamic);
               const en = Object.keys(S.en), pt = Object.keys(S.pt);
               return { used: used.length, onlyEn: en.filter(k => !(k in S.pt)), onlyPt: pt.filter(k => !(k in S.en)),
                        missing: [...new Set(used.filter(k => !(k in S.en)))] };
             });",
            vec![],
        )
        .await
        .unwrap();
    assert!(strings["used"].as_u64().unwrap() > 100, "{strings}");
    for k in ["onlyEn", "onlyPt", "missing"] {
        assert_eq!(strings[k], serde_json::json!([]), "{k}: {strings}");
    }

    // A part registered from outside the core (as the IMAP and capture
    // panels of later issues will be) joins the page and paints every step.
    c.execute(
        "const M = window.mailhop;
         M.part({ id: 'probe', slot: 'panels', order: 45,
                  build: () => (M.U.probe = M.el('section.panel', { tid: 'probe-panel' })),
                  render: st => { M.U.probe.textContent = 'probe at ' + st.kind + ' ' + (st.index + 1); } });",
        vec![],
    )
    .await
    .unwrap();
    wait_text(&c, "[data-testid=probe-panel]", "probe at hop 5").await;
    let order = c
        .execute(
            "return [...document.querySelectorAll('.panels > section')].map(e => e.dataset.testid || e.id);",
            vec![],
        )
        .await
        .unwrap();
    let order: Vec<String> = serde_json::from_value(order).unwrap();
    let probe = order.iter().position(|x| x == "probe-panel").unwrap();
    assert_eq!(
        order[probe - 1],
        "dns",
        "order 45 sits after DNS: {order:?}"
    );
    assert_eq!(
        order[probe + 1],
        "event-list",
        "and before the event list: {order:?}"
    );

    // Keyboard stepping and the permalink.
    c.find(Locator::Css("body"))
        .await
        .unwrap()
        .send_keys(&Key::Right.to_string())
        .await
        .unwrap();
    wait_attr(&c, "[data-testid=edge]", "data-channel", "tls").await;
    assert_eq!(hash(&c).await, "step=6");
    c.find(Locator::Css("body"))
        .await
        .unwrap()
        .send_keys(&Key::Home.to_string())
        .await
        .unwrap();
    wait_hash(&c, |h| h == "step=1").await;
    assert_eq!(hash(&c).await, "step=1");
    c.goto(&format!("{base}/s/six-hops#step=4")).await.unwrap();
    c.refresh().await.unwrap();
    wait_attr(&c, "[data-testid=edge]", "data-channel", "plaintext").await;
    wait_text(&c, "[data-testid=step-label]", "4").await;

    // What if the filter offered STARTTLS? Hop 3 becomes encrypted.
    click(
        &c,
        "[data-testid=whatif-toggle][data-toggle='starttls:filter.spamco.test']",
    )
    .await;
    wait_attr(&c, "[data-testid=edge]", "data-channel", "tls").await;
    let after = hash(&c).await;
    assert!(
        after.starts_with("step=4&w="),
        "the student stays at the same step, and the change is in the address: {after}"
    );
    screenshot(&c, "six-hops-whatif.png").await;

    // The journey at a glance: on the last step, every machine that held a
    // readable copy stays marked, and the counts match the caption's five
    // servers, with Bob's own laptop counted apart.
    c.goto(&format!("{base}/s/six-hops?lang=en#step=8"))
        .await
        .unwrap();
    let counts = wait_text(
        &c,
        "[data-testid=journey-counts]",
        "5 servers held a readable copy",
    )
    .await;
    assert!(
        counts.contains("1 device of the recipient has one too"),
        "{counts}"
    );
    let held = c
        .find_all(Locator::Css("[data-testid=node][data-held=true]"))
        .await
        .unwrap();
    assert_eq!(held.len(), 6, "five servers and the laptop");
    assert_eq!(
        attr(&c, "[data-testid=node][data-node='bob-laptop']", "data-own")
            .await
            .as_deref(),
        Some("true"),
        "the laptop's copy is the recipient's own"
    );
    assert_eq!(
        attr(
            &c,
            "[data-testid=node][data-node='bob-laptop']",
            "data-readable"
        )
        .await,
        None
    );
    let edges = c
        .find_all(Locator::Css("[data-testid=journey-edge]"))
        .await
        .unwrap();
    assert_eq!(edges.len(), 6, "every hop, in its channel's colour");
    screenshot(&c, "six-hops-journey.png").await;
    // Off by default on a hop step, on at the student's word.
    c.goto(&format!("{base}/s/six-hops?lang=en#step=4"))
        .await
        .unwrap();
    wait_attr(&c, "[data-testid=edge]", "data-channel", "plaintext").await;
    assert!(
        c.find_all(Locator::Css("[data-testid=journey-edge]"))
            .await
            .unwrap()
            .is_empty()
    );
    click(&c, "[data-testid=journey-toggle]").await;
    wait_attr(
        &c,
        "[data-testid=journey-edge][data-hop='1']",
        "data-channel",
        "tls-authenticated",
    )
    .await;
    wait_text(&c, "[data-testid=journey-counts]", "1 hop in plaintext").await;

    // Timeline markers never hide each other: in bounces the red bounce and
    // the green delivery of its notice happen at the same moment.
    for page in ["six-hops", "bounces"] {
        c.goto(&format!("{base}/s/{page}?lang=en#step=2"))
            .await
            .unwrap();
        wait_attr(
            &c,
            "[data-testid=timeline-legend]",
            "data-testid",
            "timeline-legend",
        )
        .await;
        let overlaps = c
            .execute(
                "const r = [...document.querySelectorAll('[data-testid=timeline-event]')].map(e => e.getBoundingClientRect());
                 let n = 0;
                 for (let i = 0; i < r.length; i++) for (let j = i + 1; j < r.length; j++)
                   if (r[i].left < r[j].right - 1 && r[j].left < r[i].right - 1 && r[i].top < r[j].bottom - 1 && r[j].top < r[i].bottom - 1) n++;
                 return [r.length, n];",
                vec![],
            )
            .await
            .unwrap();
        let counts: Vec<u64> = serde_json::from_value(overlaps).unwrap();
        assert!(counts[0] >= 3, "{page}: {counts:?}");
        assert_eq!(counts[1], 0, "{page}: overlapping timeline markers");
    }
    let legend = text_of(&c, "[data-testid=timeline-legend]").await;
    assert!(
        legend.contains("bounced") && legend.contains("delivered"),
        "{legend}"
    );

    // Without STARTTLS on the submission server, the password crosses in
    // plaintext: the hop says so, and the AUTH line decodes on demand.
    c.goto(&format!("{base}/s/six-hops?lang=en#step=2"))
        .await
        .unwrap();
    wait_attr(
        &c,
        "[data-testid=edge]",
        "data-channel",
        "tls-authenticated",
    )
    .await;
    assert!(
        c.find_all(Locator::Css("[data-testid=edge-password]"))
            .await
            .unwrap()
            .is_empty()
    );
    click(
        &c,
        "[data-testid=whatif-toggle][data-toggle='starttls:mail.home.test']",
    )
    .await;
    wait_attr(&c, "[data-testid=edge]", "data-channel", "plaintext").await;
    wait_attr(
        &c,
        "[data-testid=edge-password]",
        "data-testid",
        "edge-password",
    )
    .await;
    wait_text(&c, "[data-testid=password-flag]", "alice@home.test").await;
    wait_text(&c, "[data-testid=exposure-passwords]", "AUTH PLAIN").await;
    click(&c, "[data-testid=auth-decode]").await;
    wait_text(&c, "[data-testid=auth-decoded]", "password correct horse").await;
    screenshot(&c, "six-hops-password.png").await;
    // A subject with accents travels as an encoded word; the message panel
    // shows it decoded beside the raw header.
    let subject = c
        .find(Locator::Css("[data-testid=compose-subject]"))
        .await
        .unwrap();
    subject.clear().await.unwrap();
    subject.send_keys("Almoço na sexta?").await.unwrap();
    click(&c, "[data-testid=compose-apply]").await;
    wait_text(&c, "[data-testid=decoded-header]", "Almoço na sexta?").await;

    // A what-if lives in the address: reopened in a fresh page, the link
    // reproduces the changed run at the same step.
    let link = format!("{base}/s/six-hops?lang=en#{}", hash(&c).await);
    assert!(link.contains("&w="), "{link}");
    c.goto(&format!("{base}/")).await.unwrap();
    c.goto(&link).await.unwrap();
    wait_attr(
        &c,
        "[data-testid=edge-password]",
        "data-testid",
        "edge-password",
    )
    .await;
    wait_text(&c, "[data-testid=decoded-header]", "Almoço na sexta?").await;
    let unticked = c
        .find(Locator::Css(
            "[data-testid=whatif-toggle][data-toggle='starttls:mail.home.test']",
        ))
        .await
        .unwrap()
        .prop("checked")
        .await
        .unwrap();
    assert_eq!(unticked.as_deref(), Some("false"));
    // Cancelling the fault while on hop 5 (backup MX to mx.friend.test)
    // lands on the hop that now reaches mx.friend.test: hop 4, not a
    // different moment that happens to be number 5.
    c.goto(&format!("{base}/s/six-hops?lang=pt#step=6"))
        .await
        .unwrap();
    wait_attr(&c, "[data-testid=edge]", "data-channel", "tls").await;
    click(&c, "[data-testid=whatif-toggle][data-toggle='fault:0']").await;
    wait_hash(&c, |h| h.starts_with("step=5&w=")).await;
    assert!(
        hash(&c).await.starts_with("step=5&w="),
        "{}",
        hash(&c).await
    );
    wait_text(&c, "h2.steptitle", "filter.spamco.test → mx.friend.test").await;

    // The event list: filtered to one machine, and a click lands on the
    // step of the event.
    c.goto(&format!("{base}/s/bounces?lang=en#step=1"))
        .await
        .unwrap();
    wait_attr(
        &c,
        "[data-testid=event-filter-node]",
        "data-testid",
        "event-filter-node",
    )
    .await;
    c.find(Locator::Css("[data-testid=event-filter-node]"))
        .await
        .unwrap()
        .select_by_value("mx.friend.test")
        .await
        .unwrap();
    let rows = c
        .find_all(Locator::Css("[data-testid=event-row]"))
        .await
        .unwrap();
    assert!(!rows.is_empty());
    for row in &rows {
        let text = row.text().await.unwrap();
        assert!(text.contains("mx.friend.test"), "{text}");
    }
    click(&c, "[data-testid=event-row][data-kind=session]").await;
    wait_hash(&c, |h| h == "step=3").await;
    assert_eq!(hash(&c).await, "step=3");
    wait_attr(&c, "[data-testid=edge-session]", "data-code", "550").await;
    // Event by event inside a step: the log marks each in turn.
    c.goto(&format!("{base}/s/six-hops?lang=en#step=6"))
        .await
        .unwrap();
    wait_attr(&c, "[data-testid=edge]", "data-channel", "tls").await;
    for _ in 0..2 {
        click(&c, "[data-testid=ev-next]").await;
    }
    let marked = c
        .find_all(Locator::Css("[data-testid=log-event][aria-current=true]"))
        .await
        .unwrap();
    assert_eq!(marked.len(), 1);
    let second = c
        .find_all(Locator::Css("[data-testid=log-event]"))
        .await
        .unwrap();
    assert_eq!(
        second[1].attr("aria-current").await.unwrap().as_deref(),
        Some("true")
    );

    // Predict mode: a question before each step, and a running score.
    c.goto(&format!("{base}/s/six-hops?lang=en#step=1"))
        .await
        .unwrap();
    wait_attr(
        &c,
        "[data-testid=predict-toggle]",
        "data-testid",
        "predict-toggle",
    )
    .await;
    click(&c, "[data-testid=predict-toggle]").await;
    click(&c, "[data-testid=btn-next]").await;
    wait_text(
        &c,
        "[data-testid=predict]",
        "Which machine takes message m1 next",
    )
    .await;
    assert_eq!(
        hash(&c).await,
        "step=1",
        "the step is not shown before the answer"
    );
    let choices = c
        .find_all(Locator::Css("[data-testid=predict-choice]"))
        .await
        .unwrap();
    let mut picked = false;
    for choice in choices {
        if choice.text().await.unwrap() == "mail.home.test" {
            choice.click().await.unwrap();
            picked = true;
            break;
        }
    }
    assert!(picked);
    wait_text(&c, "[data-testid=predict-feedback]", "Right.").await;
    wait_text(&c, "[data-testid=predict-score]", "Score: 1 of 1").await;
    assert_eq!(hash(&c).await, "step=2");
    click(&c, "[data-testid=btn-next]").await;
    wait_text(&c, "[data-testid=predict]", "be encrypted").await;
    click(&c, "[data-testid=predict-choice]").await;
    wait_text(&c, "[data-testid=predict-feedback]", "Not quite").await;
    wait_text(&c, "[data-testid=predict-score]", "Score: 1 of 2").await;
    screenshot(&c, "six-hops-predict.png").await;

    // Words explained where they appear, from one glossary, in both
    // languages.
    let terms = c
        .find_all(Locator::Css("[data-testid=glossary-term]"))
        .await
        .unwrap();
    let mut names = Vec::new();
    for t in terms {
        names.push(t.prop("textContent").await.unwrap().unwrap_or_default());
    }
    for term in [
        "MUA",
        "MSA",
        "MTA",
        "MX",
        "smarthost",
        "envelope",
        "STARTTLS",
        "DSN",
        "IMAP",
        "POP3",
        "UID",
        "UIDVALIDITY",
    ] {
        assert!(
            names.iter().any(|n| n == term),
            "{term} missing from {names:?}"
        );
    }
    let title = c
        .execute(
            "return document.querySelector('[data-testid=node][data-node=\"alice-laptop\"] title').textContent",
            vec![],
        )
        .await
        .unwrap();
    assert!(
        title.as_str().unwrap().contains("MUA: Mail user agent"),
        "{title}"
    );
    c.goto(&format!("{base}/s/six-hops?lang=pt#step=2"))
        .await
        .unwrap();
    wait_attr(
        &c,
        "[data-testid=edge]",
        "data-channel",
        "tls-authenticated",
    )
    .await;
    let title = c
        .execute(
            "return document.querySelector('[data-testid=node][data-node=\"alice-laptop\"] title').textContent",
            vec![],
        )
        .await
        .unwrap();
    assert!(
        title.as_str().unwrap().contains("Agente de usuário"),
        "{title}"
    );

    // Bounces: the refused session is a step, drawn with its code, and the
    // notification that follows opens with its empty envelope sender.
    c.goto(&format!("{base}/s/bounces#step=3")).await.unwrap();
    wait_attr(&c, "[data-testid=edge-session]", "data-code", "550").await;
    wait_text(&c, "[data-testid=session-refusal]", "550 5.1.1").await;
    wait_text(
        &c,
        "[data-testid=conversation]",
        "RCPT TO:<bbo@friend.test>",
    )
    .await;
    screenshot(&c, "bounces-refused.png").await;
    click(&c, "[data-testid=btn-next]").await;
    wait_text(&c, "[data-testid=message]", "Return-Path: <>").await;
    wait_text(&c, "[data-testid=caption]", "Return-Path").await;
    screenshot(&c, "bounces-notification.png").await;

    // Hop 6, the download by IMAP: its conversation is IMAP's, and the
    // mailbox panel shows Bob's INBOX after the session, UID 1 now \Seen,
    // with the laptop's copy beside it.
    c.goto(&format!("{base}/s/six-hops?lang=en#step=7"))
        .await
        .unwrap();
    wait_attr(
        &c,
        "[data-testid=edge]",
        "data-channel",
        "tls-authenticated",
    )
    .await;
    wait_text(&c, "[data-testid=hop-channel]", "TLS").await;
    let conversation = wait_text(&c, "[data-testid=conversation]", "LOGIN bob@friend.test").await;
    for line in [
        "a2 STARTTLS",
        "UID FETCH 1",
        "UID STORE 1 +FLAGS.SILENT (\\Seen)",
        "LOGOUT",
    ] {
        assert!(conversation.contains(line), "{line} in {conversation}");
    }
    let inbox = "[data-testid=mailbox][data-mailbox='bob@friend.test'] [data-testid=mailbox-folder][data-folder=INBOX]";
    let uid1 = format!("{inbox} [data-testid=mailbox-message][data-uid='1']");
    wait_attr(&c, &uid1, "data-flags", "\\Seen").await;
    assert_eq!(
        attr(&c, &uid1, "data-change").await.as_deref(),
        Some("flags")
    );
    assert_eq!(attr(&c, &uid1, "data-message").await.as_deref(), Some("m1"));
    wait_text(&c, "[data-testid=mailboxes]", "UIDVALIDITY").await;
    assert_eq!(
        attr(
            &c,
            "[data-testid=device][data-node='bob-laptop'] [data-testid=device-copy]",
            "data-change"
        )
        .await
        .as_deref(),
        Some("new")
    );
    c.execute(
        "document.querySelector('[data-testid=mailboxes]').scrollIntoView()",
        vec![],
    )
    .await
    .unwrap();
    screenshot(&c, "six-hops-mailbox.png").await;
    // The step before, hop 5: just delivered, unread; the laptop has nothing.
    click(&c, "[data-testid=btn-prev]").await;
    wait_attr(&c, &uid1, "data-change", "new").await;
    assert_eq!(attr(&c, &uid1, "data-flags").await.as_deref(), Some(""));
    assert!(
        c.find_all(Locator::Css("[data-testid=device]"))
            .await
            .unwrap()
            .is_empty()
    );
    // The end changes nothing: the state stays, with nothing marked.
    c.goto(&format!("{base}/s/six-hops?lang=pt#step=8"))
        .await
        .unwrap();
    wait_attr(&c, &uid1, "data-flags", "\\Seen").await;
    assert_eq!(attr(&c, &uid1, "data-change").await, None);
    wait_text(&c, "[data-testid=mailboxes]", "Caixas postais").await;
    // Before anything reached a mailbox, the panel says so.
    c.goto(&format!("{base}/s/six-hops?lang=en#step=2"))
        .await
        .unwrap();
    wait_text(
        &c,
        "[data-testid=mailboxes]",
        "No mailbox holds a message yet",
    )
    .await;

    // Portuguese captions.
    c.goto(&format!("{base}/s/six-hops?lang=pt#step=4"))
        .await
        .unwrap();
    wait_text(&c, "[data-testid=caption]", "texto claro").await;

    // A connection a provider dropped is a step of its own: the failed edge
    // from the home machine to the MX, the rule in words in the step's log;
    // greylisting's answers are marks on the timeline.
    c.goto(&format!("{base}/s/home-server#step=2"))
        .await
        .unwrap();
    wait_attr(&c, "[data-testid=edge-fail]", "data-node", "ana-pc").await;
    assert_eq!(
        attr(&c, "[data-testid=edge-fail]", "data-peer")
            .await
            .as_deref(),
        Some("mx.friend.test")
    );
    wait_text(&c, "[data-testid=caption]", "dropped").await;
    let told = text_of(&c, "[data-testid=log-event].k-connect_failed").await;
    assert!(told.contains("isp-home"), "{told}");
    screenshot(&c, "home-server-blocked.png").await;
    c.goto(&format!("{base}/s/home-server#step=3"))
        .await
        .unwrap();
    wait_attr(&c, "[data-testid=edge-session]", "data-code", "554").await;
    screenshot(&c, "home-server-refused.png").await;
    c.goto(&format!("{base}/s/greylisting?lang=pt#step=3"))
        .await
        .unwrap();
    wait_attr(
        &c,
        "[data-testid=timeline-event][data-kind=greylisted]",
        "data-kind",
        "greylisted",
    )
    .await;
    let told = text_of(&c, "[data-testid=log-event].k-greylisted").await;
    assert!(told.contains("lista cinza"), "{told}");

    let errors = console_errors(&c).await;
    assert!(errors.is_empty(), "console errors: {errors:#?}");

    // Presenter mode plays by itself, controls hidden.
    c.goto(&format!("{base}/s/six-hops?present=1#step=1"))
        .await
        .unwrap();
    wait_text(&c, "[data-testid=caption]", "Alice").await;
    let next_visible = c
        .find(Locator::Css("[data-testid=btn-next]"))
        .await
        .unwrap()
        .is_displayed()
        .await
        .unwrap();
    assert!(!next_visible, "controls are hidden in presenter mode");
    let timeline_visible = c
        .find(Locator::Css("[data-testid=timeline]"))
        .await
        .unwrap()
        .is_displayed()
        .await
        .unwrap();
    assert!(timeline_visible, "a video shows the waiting too");
    for _ in 0..150 {
        if hash(&c).await != "step=1" {
            break;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    assert_ne!(
        hash(&c).await,
        "step=1",
        "presenter mode advances on its own"
    );
    screenshot(&c, "six-hops-presenter.png").await;

    // The exported file plays with no server.
    let run = mailhop::harness::Run::file(concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/scenarios/six-hops.json"
    ))
    .unwrap();
    let html = mailhop::web::export_html(&mailhop::player::build(&run.scenario, &run.trace));
    let exported = screenshots().join("six-hops-export.html");
    std::fs::write(&exported, html).unwrap();
    c.goto(&format!("file://{}#step=5", exported.display()))
        .await
        .unwrap();
    wait_attr(&c, "[data-testid=edge]", "data-channel", "plaintext").await;
    click(&c, "[data-testid=btn-next]").await;
    wait_attr(&c, "[data-testid=edge]", "data-channel", "tls").await;
    screenshot(&c, "six-hops-export.png").await;

    let errors = console_errors(&c).await;
    assert!(errors.is_empty(), "console errors: {errors:#?}");

    // Nothing of the diagram outside its box, no panel wider than itself,
    // at phone, laptop and presentation sizes, in both languages.
    let mut problems = Vec::new();
    for (w, h) in [(390, 844), (1280, 720), (1920, 1080)] {
        c.set_window_size(w, h).await.unwrap();
        for (page, step, channel) in [
            ("six-hops", 6, "tls"),
            ("six-hops", 5, "plaintext"),
            ("six-hops", 7, "tls-authenticated"),
            ("bounces", 3, ""),
            ("mx-fallback", 3, "tls"),
            ("six-hops", 8, "journey"),
        ] {
            for lang in ["en", "pt"] {
                c.goto(&format!("{base}/s/{page}?lang={lang}&w={w}#step={step}"))
                    .await
                    .unwrap();
                if channel.is_empty() {
                    wait_attr(&c, "[data-testid=edge-session]", "data-code", "550").await;
                } else if channel == "journey" {
                    let last = "[data-testid=journey-edge][data-hop='6']";
                    wait_attr(&c, last, "data-channel", "tls-authenticated").await;
                } else {
                    wait_attr(&c, "[data-testid=edge]", "data-channel", channel).await;
                }
                // the envelope's flight and fitted texts settle
                tokio::time::sleep(Duration::from_millis(1700)).await;
                let found = c.execute(LAYOUT_CHECK, vec![]).await.unwrap();
                let found: Vec<String> = serde_json::from_value(found).unwrap();
                screenshot(&c, &format!("layout-{page}-{step}-{lang}-{w}.png")).await;
                problems.extend(
                    found
                        .into_iter()
                        .map(|f| format!("{page} step {step} {lang} {w}x{h}: {f}")),
                );
            }
        }
    }
    c.set_window_size(1280, 720).await.unwrap();
    assert!(problems.is_empty(), "{problems:#?}");

    // Phone width still shows the player, and the mailbox panel fits.
    c.set_window_size(390, 844).await.unwrap();
    c.goto(&format!("{base}/s/six-hops?lang=pt#step=7"))
        .await
        .unwrap();
    wait_attr(&c, &uid1, "data-change", "flags").await;
    c.execute(
        "document.querySelector('[data-testid=mailboxes]').scrollIntoView()",
        vec![],
    )
    .await
    .unwrap();
    screenshot(&c, "six-hops-mailbox-phone.png").await;
    c.goto(&format!("{base}/s/direct-mx#step=2")).await.unwrap();
    wait_attr(
        &c,
        "[data-testid=edge]",
        "data-channel",
        "tls-authenticated",
    )
    .await;
    screenshot(&c, "direct-mx-phone.png").await;

    c.close().await.unwrap();
}

/// Elements of the diagram outside the diagram, and panels wider than
/// themselves, as `[String]` (checked from element rectangles).
const LAYOUT_CHECK: &str = r#"const out = [];
const svg = document.querySelector('[data-testid=topology]');
if (!svg) return ['no topology'];
const S = svg.getBoundingClientRect();
const inside = (r, B, slack) => r.left >= B.left - slack && r.right <= B.right + slack && r.top >= B.top - slack && r.bottom <= B.bottom + slack;
for (const e of svg.querySelectorAll('[data-testid=node] rect.box, .pill, .edge-label, [data-testid=envelope], [data-testid=edge-password], .edge-code, [data-testid=edge-session] .ic')) {
  const r = e.getBoundingClientRect();
  if (r.width && !inside(r, S, 1)) out.push('diagram: ' + (e.closest('[data-node]') ? e.closest('[data-node]').dataset.node : '') + ' ' + e.getAttribute('class') + ' ' + JSON.stringify([r.left, r.top, r.right, r.bottom].map(Math.round)) + ' outside ' + JSON.stringify([S.left, S.top, S.right, S.bottom].map(Math.round)));
}
// the tip of every arrow (the current hop and, in the journey view, the past ones) is not under a badge
const pills = [...svg.querySelectorAll('.pill rect')].map(r => r.getBoundingClientRect());
for (const e of svg.querySelectorAll('.edge-line, [data-testid=journey-edge]')) {
  const m = svg.getScreenCTM(), q = e.getPointAtLength(e.getTotalLength()), x = m.a * q.x + m.c * q.y + m.e, y = m.b * q.x + m.d * q.y + m.f;
  if (pills.some(r => x > r.left - 2 && x < r.right + 2 && y > r.top - 2 && y < r.bottom + 2)) out.push('arrowhead under a badge at ' + JSON.stringify([x, y].map(Math.round)));
}
for (const p of document.querySelectorAll('.panel, .stage, .tl')) {
  if (p.scrollWidth > p.clientWidth + 1) out.push('overflow: ' + (p.id || p.className) + ' ' + p.scrollWidth + '>' + p.clientWidth);
}
for (const t of document.querySelectorAll('.panel table')) {
  const P = t.closest('.panel').getBoundingClientRect(), r = t.getBoundingClientRect();
  if (r.right > P.right + 1) out.push('table beyond panel: ' + t.closest('.panel').id);
}
return out;
"#;

/// The built-in `spoofing` scenario (issue 12): the forger's message,
/// refused after its final dot, is a step of its own, and its
/// Authentication panel shows SPF fail, no DKIM signature, DMARC fail with
/// the bank's p=reject, and the reason in words, in both languages; the
/// DNS panel shows the TXT records the checks read.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_forged_bank_mail_is_refused_for_reasons_the_page_shows() {
    assert!(
        mailhop::web::library::BUILT_IN
            .iter()
            .any(|(name, _)| *name == "spoofing.json"),
        "scenarios/spoofing.json is not among the built-in scenarios yet (issue 12, item 9)"
    );
    let Some((base, c, _driver)) = browser().await else {
        return;
    };
    // The step of the refusal: the session whose check said reject.
    c.goto(&format!("{base}/s/spoofing?lang=en")).await.unwrap();
    let step = c
        .execute(
            "return fetch('/api/s/spoofing').then(r => r.json()).then(d => d.steps.findIndex(s =>
               s.kind === 'session' && s.auth && (s.auth.checks || []).some(k => k.action === 'reject')) + 1);",
            vec![],
        )
        .await
        .unwrap()
        .as_u64()
        .unwrap();
    assert!(step > 0, "no step refuses by the sender checks");

    for lang in ["en", "pt"] {
        c.set_window_size(1280, 720).await.unwrap();
        c.goto(&format!("{base}/s/spoofing?lang={lang}#step={step}"))
            .await
            .unwrap();
        wait_attr(&c, "[data-testid=edge-session]", "data-code", "550").await;
        let check = "[data-testid=auth] [data-testid=auth-check][data-action=reject]";
        let row = |kind: &str| format!("{check} [data-testid=auth-row][data-check={kind}]");
        wait_attr(&c, &row("spf"), "data-result", "fail").await;
        assert_eq!(
            attr(&c, &row("spf"), "data-domain").await.as_deref(),
            Some("bank.test")
        );
        assert_eq!(
            attr(&c, &row("dkim"), "data-result").await.as_deref(),
            Some("none")
        );
        assert_eq!(
            attr(&c, &row("dmarc"), "data-result").await.as_deref(),
            Some("fail")
        );
        assert_eq!(
            attr(&c, &row("dmarc"), "data-policy").await.as_deref(),
            Some("reject")
        );
        assert!(text_of(&c, &row("dmarc")).await.contains("p=reject"));
        let (spf, dkim, reason) = if lang == "en" {
            (
                "may not send its mail",
                "the message carries no DKIM signature",
                "refused, because bank.test asks receivers to reject mail that fails DMARC (p=reject)",
            )
        } else {
            (
                "não pode enviar seus e-mails",
                "a mensagem não traz assinatura DKIM",
                "recusada, porque bank.test pede que os destinatários recusem e-mail que falha no DMARC (p=reject)",
            )
        };
        let spf_row = text_of(&c, &row("spf")).await;
        assert!(
            spf_row.contains("fail") && spf_row.contains(spf),
            "{spf_row}"
        );
        let dkim_row = text_of(&c, &row("dkim")).await;
        assert!(dkim_row.contains(dkim), "{dkim_row}");
        let decision = text_of(&c, &format!("{check} [data-testid=auth-decision]")).await;
        assert!(decision.contains(reason), "{decision}");
        let reply = text_of(&c, &format!("{check} [data-testid=auth-reply]")).await;
        assert!(
            reply.contains("550 5.7.1 Rejected by DMARC policy for bank.test"),
            "{reply}"
        );
        // The lookups the checks made are in the step's DNS panel.
        let dns = text_of(&c, "[data-testid=dns]").await;
        for name in [
            "bank.test TXT",
            "_dmarc.bank.test TXT",
            "v=DMARC1; p=reject",
        ] {
            assert!(dns.contains(name), "{name} in {dns}");
        }
        screenshot(&c, &format!("spoofing-refused-{lang}.png")).await;

        // Nothing wider than its panel, at phone and laptop widths; the
        // panel itself, whole, for a person to look at.
        for (w, h) in [(390, 844), (1280, 720)] {
            c.set_window_size(w, h).await.unwrap();
            tokio::time::sleep(Duration::from_millis(300)).await;
            let found = c.execute(LAYOUT_CHECK, vec![]).await.unwrap();
            let found: Vec<String> = serde_json::from_value(found).unwrap();
            assert!(found.is_empty(), "{lang} {w}x{h}: {found:#?}");
            c.set_window_size(w, 1600).await.unwrap();
            let panel = c.find(Locator::Css("[data-testid=auth]")).await.unwrap();
            c.execute(
                "arguments[0].scrollIntoView()",
                vec![serde_json::to_value(&panel).unwrap()],
            )
            .await
            .unwrap();
            let png = panel.screenshot().await.unwrap();
            std::fs::write(
                screenshots().join(format!("spoofing-auth-{lang}-{w}.png")),
                png,
            )
            .unwrap();
        }
    }
    // The junk scenario's refusal by score: each rule with its points and
    // meaning, the total against the thresholds, in both languages.
    c.set_window_size(1280, 720).await.unwrap();
    c.goto(&format!("{base}/s/junk?lang=en")).await.unwrap();
    let step = c
        .execute(
            "return fetch('/api/s/junk').then(r => r.json()).then(d => d.steps.findIndex(s =>
               s.auth && (s.auth.spam || []).some(k => k.action === 'reject')) + 1);",
            vec![],
        )
        .await
        .unwrap()
        .as_u64()
        .unwrap();
    assert!(step > 0, "the junk scenario refuses a message by its score");
    for (lang, words) in [("en", "refused"), ("pt", "recusada")] {
        c.goto(&format!("{base}/s/junk?lang={lang}#step={step}"))
            .await
            .unwrap();
        let spam = "[data-testid=auth] [data-testid=spam-score][data-action=reject]";
        wait_attr(
            &c,
            &format!("{spam} [data-testid=spam-rule][data-rule=MONEY_WORDS]"),
            "data-rule",
            "MONEY_WORDS",
        )
        .await;
        let decision = text_of(&c, &format!("{spam} [data-testid=auth-decision]")).await;
        assert!(decision.contains(words), "{decision}");
        c.set_window_size(1280, 2400).await.unwrap();
        let panel = c.find(Locator::Css("[data-testid=auth]")).await.unwrap();
        c.execute(
            "arguments[0].scrollIntoView()",
            vec![serde_json::to_value(&panel).unwrap()],
        )
        .await
        .unwrap();
        let png = panel.screenshot().await.unwrap();
        std::fs::write(screenshots().join(format!("junk-auth-{lang}.png")), png).unwrap();
        c.set_window_size(1280, 720).await.unwrap();
    }

    // The terms, in the Words panel.
    let terms = c
        .find_all(Locator::Css("[data-testid=glossary-term]"))
        .await
        .unwrap();
    let mut names = Vec::new();
    for t in terms {
        names.push(t.prop("textContent").await.unwrap().unwrap_or_default());
    }
    for term in [
        "SPF",
        "DKIM",
        "DMARC",
        "ARC",
        "SRS",
        "Authentication-Results",
    ] {
        assert!(names.iter().any(|n| n == term), "{term} in {names:?}");
    }
    let errors = console_errors(&c).await;
    assert!(errors.is_empty(), "console errors: {errors:#?}");
    c.close().await.unwrap();
}

/// The textContent of `css` (also what a scrolled box hides).
async fn content_of(client: &Client, css: &str) -> String {
    client
        .execute(
            "const e = document.querySelector(arguments[0]); return e ? e.textContent : null;",
            vec![serde_json::json!(css)],
        )
        .await
        .unwrap()
        .as_str()
        .unwrap_or_else(|| panic!("{css} is not on the page"))
        .to_string()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_intermediate_server_sees_the_subject_but_an_encrypted_body() {
    let Some((base, c, _driver)) = browser().await else {
        return;
    };
    c.goto(&format!("{base}/s/pgp?lang=en")).await.unwrap();
    // The steps of hop 3 (smarthost -> filter, m1), hop 7 (the same, m2 with
    // protected headers) and hop 11 (Bob's laptop downloads m1).
    let step = |hop: u32| {
        let c = c.clone();
        async move {
            c.execute(
                "return fetch('/api/s/pgp').then(r => r.json()).then(d => d.steps.findIndex(s => s.hop && s.hop.hop === arguments[0]) + 1);",
                vec![serde_json::json!(hop)],
            )
            .await
            .unwrap()
            .as_u64()
            .unwrap()
        }
    };
    let (filter, hidden, device) = (step(3).await, step(7).await, step(11).await);
    assert!(filter > 0 && hidden > 0 && device > 0);
    let view = "[data-testid=message] [data-testid=pgp-view]";

    for lang in ["en", "pt"] {
        c.goto(&format!("{base}/s/pgp?lang={lang}#step={filter}"))
            .await
            .unwrap();
        wait_attr(&c, view, "data-opened", "false").await;
        let subject = content_of(&c, &format!("{view} [data-testid=pgp-subject]")).await;
        assert!(subject.contains("Lunch on Friday?"), "{subject}");
        let armor = content_of(&c, &format!("{view} [data-testid=pgp-armor]")).await;
        assert!(armor.contains("-----BEGIN PGP MESSAGE-----"), "{armor}");
        let body = content_of(&c, &format!("{view} [data-testid=pgp-body]")).await;
        let word = if lang == "en" { "encrypted" } else { "cifrado" };
        assert!(body.contains(word), "{body}");
        let eml = content_of(&c, "[data-testid=message] .eml").await;
        assert!(eml.contains("filter.spamco.test") || eml.contains("Received"));
        assert!(
            !eml.contains("Are you free"),
            "the body is not in the clear"
        );
        screenshot(&c, &format!("pgp-filter-{lang}")).await;
    }

    c.goto(&format!("{base}/s/pgp?lang=en#step={hidden}"))
        .await
        .unwrap();
    wait_attr(&c, view, "data-subject-hidden", "true").await;
    let subject = content_of(&c, &format!("{view} [data-testid=pgp-subject]")).await;
    assert!(!subject.contains("surprise"), "{subject}");

    c.goto(&format!("{base}/s/pgp?lang=en#step={device}"))
        .await
        .unwrap();
    wait_attr(&c, view, "data-opened", "true").await;
    let clear = content_of(&c, &format!("{view} [data-testid=pgp-clear-body]")).await;
    assert!(
        clear.contains("Are you free for lunch on Friday?"),
        "{clear}"
    );
    let signature = content_of(&c, &format!("{view} [data-testid=pgp-signature]")).await;
    assert!(
        signature.contains("good signature from alice@home.test"),
        "{signature}"
    );

    let errors = console_errors(&c).await;
    assert!(errors.is_empty(), "console errors: {errors:?}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_stripped_hop_is_plaintext_and_the_log_shows_the_rewritten_line() {
    let Some((base, c, _driver)) = browser().await else {
        return;
    };
    // Step 3 of starttls-stripping.json is hop 2: smtp.open.test -> mx.river.test,
    // the EHLO reply rewritten by mallory on the way.
    for (lang, plain, rewrote) in [
        ("en", "plaintext", "mallory rewrote a line"),
        ("pt", "texto claro", "mallory reescreveu uma linha"),
    ] {
        c.goto(&format!("{base}/s/starttls-stripping?lang={lang}#step=3"))
            .await
            .unwrap();
        wait_attr(&c, "[data-testid=edge]", "data-channel", "plaintext").await;
        let channel = text_of(&c, "[data-testid=hop-channel]").await;
        assert!(channel.to_lowercase().contains(plain), "{channel}");
        let told = wait_text(&c, "[data-testid=log-event].k-tampered", rewrote).await;
        assert!(told.contains("XXXXXXXA"), "{told}");
        screenshot(&c, &format!("starttls-stripped-{lang}.png")).await;
    }
    let errors = console_errors(&c).await;
    assert!(errors.is_empty(), "console errors: {errors:#?}");
    c.close().await.unwrap();
}

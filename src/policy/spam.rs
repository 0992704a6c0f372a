//! A spam filter that explains itself: each rule that matches adds its
//! score, and thresholds decide (deliver, file into Junk, refuse). The
//! rules and their default scores are in [`RULES`], named the way
//! SpamAssassin names its tests, so a student can find them in real
//! headers; a scenario may change any score (`spam.scores`).
//!
//! The facts come from the session (reverse DNS, HELO, blocklists), the
//! sender checks (`policy::auth`) and the message itself. Pure: no DNS of
//! its own, no clock.

use mail_parser::MessageParser;
use schemars::JsonSchema;
use serde::{Deserialize, Serialize};

use crate::policy::auth::{SenderChecks, Verdict};
use crate::scenario::Spam;

/// What a server does with a message after its checks.
#[derive(
    Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize, JsonSchema,
)]
#[serde(rename_all = "lowercase")]
pub enum Action {
    /// Passed on or delivered to the inbox.
    Accept,
    /// Delivered, but into the Junk folder (or marked for it).
    Junk,
    /// Refused after the final dot, with 550 5.7.1.
    Reject,
}

impl Action {
    pub fn as_str(self) -> &'static str {
        match self {
            Action::Accept => "accept",
            Action::Junk => "junk",
            Action::Reject => "reject",
        }
    }
}

/// One rule that matched, and what it added.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct RuleHit {
    pub name: String,
    pub score: f64,
    /// What matched: a blocklist's zone, the words found, the SPF domain.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub detail: Option<String>,
}

/// The rules and their default scores. What each means is told in words by
/// `narrate` (English and Portuguese).
pub const RULES: &[(&str, f64)] = &[
    ("SPF_FAIL", 3.0),
    ("SPF_SOFTFAIL", 1.0),
    ("SPF_NONE", 0.5),
    ("DKIM_INVALID", 1.0),
    ("DMARC_FAIL", 3.0),
    ("RDNS_NONE", 1.5),
    ("FCRDNS_FAIL", 1.0),
    ("HELO_BAD", 1.0),
    ("RCVD_IN_DNSBL", 3.0),
    ("SUBJ_ALL_CAPS", 1.5),
    ("MONEY_WORDS", 2.5),
    ("URI_IP", 2.0),
    ("MISSING_DATE", 1.0),
    ("MISSING_MID", 0.5),
];

/// Words and phrases of the classic advance-fee and prize scams, in both
/// languages; two or more of them match `MONEY_WORDS`.
const MONEY: &[&str] = &[
    "lottery",
    "winner",
    "you have won",
    "prize",
    "million dollars",
    "wire transfer",
    "bitcoin",
    "urgent",
    "claim your",
    "loteria",
    "ganhou",
    "prêmio",
    "premio",
    "milhões",
    "transferência",
    "urgente",
    "resgate",
];

/// What the filter knows about one message.
pub struct Facts<'a> {
    /// The sender checks, when the server made them.
    pub checks: Option<&'a SenderChecks>,
    /// The client's PTR name, `None` when it has none.
    pub ptr: Option<&'a str>,
    /// Whether the PTR name leads back to the address; `None` when not
    /// checked.
    pub fcrdns: Option<bool>,
    /// Whether the HELO name is a real, resolving host name; `None` when
    /// not checked.
    pub helo_ok: Option<bool>,
    /// The blocklist zones that list the client.
    pub listed: &'a [String],
    pub message: &'a [u8],
}

/// The filter's judgement.
#[derive(Debug, Clone, PartialEq)]
pub struct Scored {
    pub score: f64,
    pub hits: Vec<RuleHit>,
    pub action: Action,
}

fn round(x: f64) -> f64 {
    (x * 10.0).round() / 10.0
}

/// Scores a message.
pub fn score(facts: &Facts<'_>, settings: &Spam) -> Scored {
    let mut hits: Vec<RuleHit> = Vec::new();
    let mut hit = |name: &str, detail: Option<String>| {
        let default = RULES
            .iter()
            .find(|(n, _)| *n == name)
            .map_or(0.0, |(_, s)| *s);
        let score = settings.scores.get(name).copied().unwrap_or(default);
        if score != 0.0 {
            hits.push(RuleHit {
                name: name.into(),
                score: round(score),
                detail,
            });
        }
    };
    if let Some(c) = facts.checks {
        match c.spf.result {
            Verdict::Fail => hit("SPF_FAIL", Some(c.spf.domain.clone())),
            Verdict::Softfail => hit("SPF_SOFTFAIL", Some(c.spf.domain.clone())),
            Verdict::None => hit("SPF_NONE", Some(c.spf.domain.clone())),
            _ => {}
        }
        if !c.dkim.is_empty() && c.dkim_result() != Verdict::Pass {
            let domains: Vec<&str> = c.dkim.iter().map(|d| d.domain.as_str()).collect();
            hit("DKIM_INVALID", Some(domains.join(", ")));
        }
        if c.dmarc.result == Verdict::Fail {
            hit("DMARC_FAIL", Some(c.dmarc.domain.clone()));
        }
    }
    if facts.ptr.is_none() {
        hit("RDNS_NONE", None);
    }
    if facts.fcrdns == Some(false) {
        hit("FCRDNS_FAIL", facts.ptr.map(str::to_string));
    }
    if facts.helo_ok == Some(false) {
        hit("HELO_BAD", None);
    }
    for zone in facts.listed {
        hit("RCVD_IN_DNSBL", Some(zone.clone()));
    }
    content(facts.message, &mut hit);
    // An empty sum of f64 is -0.0: start from 0.0.
    let score = round(hits.iter().fold(0.0, |sum, h| sum + h.score));
    let action = match settings.reject_at {
        Some(limit) if score >= limit => Action::Reject,
        _ if score >= settings.junk_at => Action::Junk,
        _ => Action::Accept,
    };
    Scored {
        score,
        hits,
        action,
    }
}

fn content(message: &[u8], hit: &mut impl FnMut(&str, Option<String>)) {
    let Some(parsed) = MessageParser::new().parse(message) else {
        return;
    };
    let subject = parsed.subject().unwrap_or_default();
    let letters: Vec<char> = subject.chars().filter(|c| c.is_alphabetic()).collect();
    if letters.len() >= 8 && letters.iter().all(|c| !c.is_lowercase()) {
        hit("SUBJ_ALL_CAPS", Some(subject.to_string()));
    }
    let body: String = (0..parsed.text_body.len())
        .filter_map(|i| parsed.body_text(i))
        .collect::<Vec<_>>()
        .join("\n");
    let text = format!("{subject}\n{body}").to_lowercase();
    let found: Vec<&str> = MONEY.iter().copied().filter(|w| text.contains(w)).collect();
    if found.len() >= 2 {
        hit("MONEY_WORDS", Some(found.join(", ")));
    }
    if let Some(url) = ip_link(&text) {
        hit("URI_IP", Some(url));
    }
    if parsed.date().is_none() {
        hit("MISSING_DATE", None);
    }
    if parsed.message_id().is_none() {
        hit("MISSING_MID", None);
    }
}

/// The first link whose host is a bare IPv4 address.
fn ip_link(text: &str) -> Option<String> {
    for scheme in ["http://", "https://"] {
        for (at, _) in text.match_indices(scheme) {
            let rest = &text[at + scheme.len()..];
            let host: String = rest
                .chars()
                .take_while(|c| c.is_ascii_digit() || *c == '.')
                .collect();
            if host.parse::<std::net::Ipv4Addr>().is_ok() {
                return Some(format!("{scheme}{host}"));
            }
        }
    }
    None
}

/// The headers the filter adds, SpamAssassin's way.
pub fn headers(scored: &Scored, settings: &Spam) -> String {
    let spam = scored.action != Action::Accept;
    let tests: Vec<&str> = scored.hits.iter().map(|h| h.name.as_str()).collect();
    format!(
        "X-Spam-Flag: {}\r\nX-Spam-Score: {:.1}\r\nX-Spam-Status: {}, score={:.1} required={:.1} tests={}\r\n",
        if spam { "YES" } else { "NO" },
        scored.score,
        if spam { "Yes" } else { "No" },
        scored.score,
        settings.junk_at,
        if tests.is_empty() {
            "none".to_string()
        } else {
            tests.join(",")
        }
    )
}

/// Whether a message carries a filter's spam mark: its first
/// `X-Spam-Flag` header says YES (a filter adds its own on top).
pub fn marked_as_spam(message: &[u8]) -> bool {
    let head_end = message
        .windows(4)
        .position(|w| w == b"\r\n\r\n")
        .unwrap_or(message.len());
    String::from_utf8_lossy(&message[..head_end])
        .split("\r\n")
        .find_map(|line| {
            let (name, value) = line.split_once(':')?;
            name.eq_ignore_ascii_case("X-Spam-Flag")
                .then(|| value.trim().eq_ignore_ascii_case("yes"))
        })
        .unwrap_or(false)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn msg(subject: &str, body: &str) -> Vec<u8> {
        format!(
            "From: a@x.test\r\nTo: b@y.test\r\nSubject: {subject}\r\nDate: Thu, 26 Nov 2026 10:00:00 +0000\r\nMessage-ID: <1@x.test>\r\n\r\n{body}\r\n"
        )
        .into_bytes()
    }

    fn facts(message: &[u8]) -> Facts<'_> {
        Facts {
            checks: None,
            ptr: Some("mail.x.test"),
            fcrdns: Some(true),
            helo_ok: Some(true),
            listed: &[],
            message,
        }
    }

    #[test]
    fn a_plain_message_scores_nothing() {
        let m = msg("Lunch on Friday?", "See you at noon.");
        let s = score(&facts(&m), &Spam::default());
        assert_eq!(s.score, 0.0);
        assert_eq!(s.action, Action::Accept);
    }

    #[test]
    fn each_rule_says_what_it_added_and_thresholds_decide() {
        let m = msg(
            "YOU HAVE WON THE LOTTERY",
            "Claim your prize: http://198.51.100.7/claim",
        );
        let listed = vec!["dnsbl.example.test".to_string()];
        let f = Facts {
            ptr: None,
            listed: &listed,
            ..facts(&m)
        };
        let mut settings = Spam::default();
        let s = score(&f, &settings);
        let names: Vec<&str> = s.hits.iter().map(|h| h.name.as_str()).collect();
        assert_eq!(
            names,
            [
                "RDNS_NONE",
                "RCVD_IN_DNSBL",
                "SUBJ_ALL_CAPS",
                "MONEY_WORDS",
                "URI_IP"
            ]
        );
        assert_eq!(s.score, 10.5);
        assert_eq!(s.action, Action::Junk);
        settings.reject_at = Some(10.0);
        assert_eq!(score(&f, &settings).action, Action::Reject);
        settings.scores.insert("RCVD_IN_DNSBL".into(), 0.0);
        let s = score(&f, &settings);
        assert_eq!(s.score, 7.5);
        assert_eq!(s.action, Action::Junk);
        let h = headers(&s, &settings);
        assert!(h.starts_with("X-Spam-Flag: YES\r\n"), "{h}");
        assert!(
            h.contains("tests=RDNS_NONE,SUBJ_ALL_CAPS,MONEY_WORDS,URI_IP"),
            "{h}"
        );
        assert!(marked_as_spam(
            format!("{h}{}", String::from_utf8_lossy(&m)).as_bytes()
        ));
        assert!(!marked_as_spam(&m));
    }
}

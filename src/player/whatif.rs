//! What if: the toggles a scenario offers, and a changed scenario to re-run.
//!
//! Toggles come from the scenario itself: every server's STARTTLS (on or
//! off), every open relay (open or closed), every fault (happening or
//! not), and the edge as written: a server's greylisting, its refusals by
//! reputation, a network's block of port 25 (each in force or not). A
//! student may also rewrite the
//! first message's subject and body. The change is applied to a copy of the
//! scenario, which then runs like any other; limits keep a re-run cheap.

use std::collections::BTreeMap;

use serde::Deserialize;

use super::{Toggle, WhatIfView, text};
use crate::scenario::{Checks, Duration, Scenario, StartTls};

/// The longest virtual time a what-if run may cover.
pub const MAX_UNTIL: Duration = Duration::from_secs(30 * 24 * 3600);
/// The most events a what-if run may record before it is refused.
pub const MAX_EVENTS: usize = 200_000;
const MAX_SUBJECT: usize = 200;
const MAX_BODY: usize = 20_000;

/// A student's changes, as the page sends them.
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct WhatIf {
    /// Toggle id to its wanted state.
    #[serde(default)]
    pub toggles: BTreeMap<String, bool>,
    #[serde(default)]
    pub subject: Option<String>,
    #[serde(default)]
    pub body: Option<String>,
}

/// The toggles and compose defaults of a scenario.
pub fn view(scenario: &Scenario) -> WhatIfView {
    let mut toggles = Vec::new();
    for (name, node) in &scenario.nodes {
        if node.role.is_server() {
            toggles.push(Toggle {
                id: format!("starttls:{name}"),
                node: name.clone(),
                kind: "starttls",
                on: node.starttls != StartTls::None,
                label: text(
                    format!("{name} uses STARTTLS"),
                    format!("{name} usa STARTTLS"),
                ),
            });
        }
    }
    // Only a relay written open gets a switch: closing it is the lesson.
    for (name, node) in &scenario.nodes {
        if node.role.is_server() && node.open_relay {
            toggles.push(Toggle {
                id: format!("open_relay:{name}"),
                node: name.clone(),
                kind: "open_relay",
                on: true,
                label: text(
                    format!("{name} relays mail for anyone (an open relay)"),
                    format!("{name} repassa mensagens de qualquer um (relay aberto)"),
                ),
            });
        }
    }
    for (name, node) in &scenario.nodes {
        let Some(checks) = node.checks.as_ref().filter(|_| node.role.is_server()) else {
            continue;
        };
        if refuses_by_reputation(checks) {
            toggles.push(Toggle {
                id: format!("reputation:{name}"),
                node: name.clone(),
                kind: "reputation",
                on: true,
                label: text(
                    format!("{name} refuses clients by reputation (blocklists, reverse DNS, HELO, home lines)"),
                    format!("{name} recusa clientes pela reputação (listas de bloqueio, DNS reverso, HELO, linhas domésticas)"),
                ),
            });
        }
        if let Some(delay) = checks.greylist {
            toggles.push(Toggle {
                id: format!("greylist:{name}"),
                node: name.clone(),
                kind: "greylist",
                on: true,
                label: text(
                    format!("{name} greylists strangers for {delay}"),
                    format!("{name} põe desconhecidos na lista cinza por {delay}"),
                ),
            });
        }
    }
    for (i, network) in scenario.networks.iter().enumerate() {
        if network.block_outbound_smtp {
            toggles.push(Toggle {
                id: format!("network:{i}"),
                node: network.name.clone(),
                kind: "network",
                on: true,
                label: text(
                    format!("{} ({}) blocks outgoing SMTP", network.name, network.range),
                    format!(
                        "{} ({}) bloqueia SMTP de saída",
                        network.name, network.range
                    ),
                ),
            });
        }
    }
    for (i, fault) in scenario.faults.iter().enumerate() {
        let (en, pt) = match fault.until {
            Some(until) => (
                format!("{} is down from {} to {}", fault.down, fault.from, until),
                format!(
                    "{} fica fora do ar de {} a {}",
                    fault.down, fault.from, until
                ),
            ),
            None => (
                format!("{} is down from {} on", fault.down, fault.from),
                format!("{} fica fora do ar a partir de {}", fault.down, fault.from),
            ),
        };
        toggles.push(Toggle {
            id: format!("fault:{i}"),
            node: fault.down.clone(),
            kind: "fault",
            on: true,
            label: text(en, pt),
        });
    }
    let first = scenario.script.iter().find_map(|s| s.send.as_ref());
    WhatIfView {
        toggles,
        subject: first.map(|s| s.subject.clone()),
        body: first.map(|s| s.body.clone()),
    }
}

/// The toggles of the scenario as written, set as a student changed them:
/// a fault switched off stays in the list, unticked.
pub fn view_changed(original: &Scenario, change: &WhatIf) -> WhatIfView {
    let mut view = view(original);
    for toggle in &mut view.toggles {
        if let Some(&on) = change.toggles.get(&toggle.id) {
            toggle.on = on;
        }
    }
    if change.subject.is_some() {
        view.subject = change.subject.clone();
    }
    if change.body.is_some() {
        view.body = change.body.clone();
    }
    view
}

/// Applies a student's changes to a copy of the scenario. The copy has no
/// captions: they were written for the world as it was.
pub fn apply(scenario: &Scenario, change: &WhatIf) -> Result<Scenario, String> {
    let mut changed = scenario.clone();
    let mut dropped_faults = Vec::new();
    for (id, &on) in &change.toggles {
        if let Some(name) = id.strip_prefix("starttls:") {
            let node = changed
                .nodes
                .get_mut(name)
                .filter(|n| n.role.is_server())
                .ok_or_else(|| format!("no server named {name:?} in this scenario"))?;
            node.starttls = match (on, node.starttls) {
                (false, _) => StartTls::None,
                (true, StartTls::None) => StartTls::Offer,
                (true, policy) => policy,
            };
        } else if let Some(name) = id.strip_prefix("open_relay:") {
            changed
                .nodes
                .get_mut(name)
                .filter(|n| n.role.is_server())
                .ok_or_else(|| format!("no server named {name:?} in this scenario"))?
                .open_relay = on;
        } else if let Some(name) = id.strip_prefix("reputation:") {
            let checks = checks_of(&mut changed, name)?;
            if !on {
                checks.reverse_dns = None;
                checks.helo = false;
                checks.blocklists.clear();
                checks.reject_dynamic = false;
            }
        } else if let Some(name) = id.strip_prefix("greylist:") {
            let checks = checks_of(&mut changed, name)?;
            if !on {
                checks.greylist = None;
            }
        } else if let Some(index) = id.strip_prefix("network:") {
            let network = index
                .parse::<usize>()
                .ok()
                .and_then(|i| changed.networks.get_mut(i))
                .ok_or_else(|| format!("no network {index:?} in this scenario"))?;
            network.block_outbound_smtp &= on;
        } else if let Some(index) = id.strip_prefix("fault:") {
            let index: usize = index
                .parse()
                .ok()
                .filter(|i| *i < scenario.faults.len())
                .ok_or_else(|| format!("no fault {index:?} in this scenario"))?;
            if !on {
                dropped_faults.push(index);
            }
        } else {
            return Err(format!("unknown toggle {id:?}"));
        }
    }
    changed.faults = scenario
        .faults
        .iter()
        .enumerate()
        .filter(|(i, _)| !dropped_faults.contains(i))
        .map(|(_, f)| f.clone())
        .collect();
    if let Some(send) = changed.script.iter_mut().find_map(|s| s.send.as_mut()) {
        if let Some(subject) = &change.subject {
            if subject.chars().count() > MAX_SUBJECT || subject.contains(['\r', '\n']) {
                return Err(format!(
                    "the subject must be one line of at most {MAX_SUBJECT} characters"
                ));
            }
            send.subject = subject.clone();
        }
        if let Some(body) = &change.body {
            if body.chars().count() > MAX_BODY {
                return Err(format!("the body may have at most {MAX_BODY} characters"));
            }
            send.body = body.clone();
        }
    }
    changed.until = changed.until.min(MAX_UNTIL);
    changed.captions.clear();
    Ok(changed)
}

/// Whether `checks` refuse anyone by reputation (not only greylist).
fn refuses_by_reputation(checks: &Checks) -> bool {
    checks.reverse_dns.is_some()
        || checks.helo
        || !checks.blocklists.is_empty()
        || checks.reject_dynamic
}

/// The `checks` of server `name` in a scenario being changed.
fn checks_of<'a>(scenario: &'a mut Scenario, name: &str) -> Result<&'a mut Checks, String> {
    scenario
        .nodes
        .get_mut(name)
        .filter(|n| n.role.is_server())
        .and_then(|n| n.checks.as_mut())
        .ok_or_else(|| format!("no server with checks named {name:?} in this scenario"))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn six_hops() -> Scenario {
        crate::scenario::load_file(std::path::Path::new(concat!(
            env!("CARGO_MANIFEST_DIR"),
            "/scenarios/six-hops.json"
        )))
        .unwrap()
    }

    #[test]
    fn toggles_come_from_the_scenario() {
        let view = view(&six_hops());
        let ids: Vec<&str> = view.toggles.iter().map(|t| t.id.as_str()).collect();
        assert!(ids.contains(&"starttls:filter.spamco.test"));
        assert!(ids.contains(&"fault:0"));
        assert!(!ids.iter().any(|id| id.contains("alice-laptop")));
        let filter = &view.toggles[ids
            .iter()
            .position(|i| *i == "starttls:filter.spamco.test")
            .unwrap()];
        assert!(!filter.on);
        assert_eq!(view.subject.as_deref(), Some("Lunch on Friday?"));
    }

    #[test]
    fn apply_changes_only_what_was_asked() {
        let original = six_hops();
        let change = WhatIf {
            toggles: [
                ("starttls:filter.spamco.test".to_string(), true),
                ("fault:0".to_string(), false),
            ]
            .into_iter()
            .collect(),
            subject: Some("New subject".into()),
            body: None,
        };
        let changed = apply(&original, &change).unwrap();
        assert_eq!(
            changed.nodes["filter.spamco.test"].starttls,
            StartTls::Offer
        );
        assert!(changed.faults.is_empty());
        let send = |s: &Scenario| s.script[0].send.clone().unwrap();
        assert_eq!(send(&changed).subject, "New subject");
        assert_eq!(send(&changed).body, send(&original).body);
    }

    #[test]
    fn an_open_relay_can_be_closed() {
        let original = crate::scenario::load_file(std::path::Path::new(concat!(
            env!("CARGO_MANIFEST_DIR"),
            "/scenarios/open-relay.json"
        )))
        .unwrap();
        let ids: Vec<String> = view(&original).toggles.into_iter().map(|t| t.id).collect();
        assert!(ids.contains(&"open_relay:mail.sloppy.test".to_string()));
        assert!(!ids.contains(&"open_relay:mail.careful.test".to_string()));
        let change = WhatIf {
            toggles: [("open_relay:mail.sloppy.test".to_string(), false)]
                .into_iter()
                .collect(),
            ..WhatIf::default()
        };
        let closed = apply(&original, &change).unwrap();
        assert!(!closed.nodes["mail.sloppy.test"].open_relay);
        let view = view_changed(&original, &change);
        let toggle = view
            .toggles
            .iter()
            .find(|t| t.id == "open_relay:mail.sloppy.test")
            .expect("a closed relay keeps its switch");
        assert!(!toggle.on);
        assert_eq!(view.subject, None);
    }

    #[test]
    fn the_edge_can_be_opened() {
        let shipped = |name: &str| {
            crate::scenario::load_file(
                &std::path::Path::new(env!("CARGO_MANIFEST_DIR"))
                    .join("scenarios")
                    .join(name),
            )
            .unwrap()
        };
        let home = shipped("home-server.json");
        let ids: Vec<String> = view(&home).toggles.into_iter().map(|t| t.id).collect();
        assert!(
            ids.contains(&"reputation:mx.friend.test".to_string()),
            "{ids:?}"
        );
        assert!(ids.contains(&"network:0".to_string()));
        assert!(
            !ids.contains(&"network:1".to_string()),
            "a network that blocks nothing"
        );
        let change = WhatIf {
            toggles: [
                ("reputation:mx.friend.test".to_string(), false),
                ("network:0".to_string(), false),
            ]
            .into_iter()
            .collect(),
            ..WhatIf::default()
        };
        let open = apply(&home, &change).unwrap();
        let checks = open.nodes["mx.friend.test"].checks.clone().unwrap();
        assert!(!refuses_by_reputation(&checks));
        assert!(!open.networks[0].block_outbound_smtp);
        let grey = shipped("greylisting.json");
        let change = WhatIf {
            toggles: [("greylist:mx.friend.test".to_string(), false)]
                .into_iter()
                .collect(),
            ..WhatIf::default()
        };
        let open = apply(&grey, &change).unwrap();
        assert_eq!(
            open.nodes["mx.friend.test"]
                .checks
                .as_ref()
                .unwrap()
                .greylist,
            None
        );
        for id in [
            "greylist:mail.home.test",
            "network:5",
            "reputation:alice-laptop",
        ] {
            let change = WhatIf {
                toggles: [(id.to_string(), false)].into_iter().collect(),
                ..WhatIf::default()
            };
            assert!(apply(&grey, &change).is_err(), "{id}");
        }
    }

    #[test]
    fn bad_changes_are_refused() {
        let original = six_hops();
        for (id, _) in [
            ("starttls:nowhere.test", ()),
            ("starttls:alice-laptop", ()),
            ("open_relay:alice-laptop", ()),
            ("fault:7", ()),
            ("power:on", ()),
        ] {
            let change = WhatIf {
                toggles: [(id.to_string(), true)].into_iter().collect(),
                ..WhatIf::default()
            };
            assert!(apply(&original, &change).is_err(), "{id}");
        }
        let long = WhatIf {
            subject: Some("x\r\nBcc: everyone".into()),
            ..WhatIf::default()
        };
        assert!(apply(&original, &long).is_err());
    }
}

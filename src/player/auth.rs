//! Who really sent a message, per step: the DKIM signatures a server added,
//! the sender checks a server made (SPF, DKIM, DMARC, ARC) and what it
//! decided, the spam filter's score rule by rule, forwarding, and what a
//! server found out about the client (reputation, greylisting), each
//! attached to the step where it happened, with `narrate`'s words beside
//! the structured results the page draws its table from.
//!
//! Where each goes: a check, a score, a client's reputation or a greylist
//! answer belongs to its connection, so to
//! the first step at or after it that is about that connection (the hop it
//! let through, or the session that moved no message because it refused);
//! a signature to the hop that brought the signed message to the signer
//! (recorded just before it); a forward to the hop whose arrival it
//! followed. One that finds no such step (a message refused on a kept
//! connection whose last hop came earlier) goes to the step whose log
//! tells it. A check's DNS lookups are the ones the checking node made just
//! before it; they are listed with the check, and also in the DNS panel of
//! the check's step.

use std::collections::BTreeMap;

use serde::Serialize;

use super::{Anchor, DnsView};
use crate::narrate::{
    arc_meaning, dkim_meaning, dmarc_meaning, narrate, rule_text, sender_decision, spam_action,
    spf_meaning,
};
use crate::scenario::Text;
use crate::trace::senders::{
    Action, ArcCheck, DkimCheck, DkimSigned, DmarcCheck, Forwarded, SenderChecked, SpamScored,
    SpfCheck, Verdict,
};
use crate::trace::{Event, Trace};

/// What a step shows about who sent its messages; each list is absent when
/// empty, and the whole is absent from a step that has none.
#[derive(Debug, Clone, Default, Serialize)]
pub struct AuthView {
    /// DKIM signatures a server added to its users' mail.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub signed: Vec<SignedView>,
    /// Sender checks made on arrival, and the decision.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub checks: Vec<CheckView>,
    /// Spam scores.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub spam: Vec<SpamView>,
    /// Recipients forwarded to another address.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub forwards: Vec<ForwardView>,
    /// What a server found out about the connecting client (reverse DNS,
    /// FCrDNS, HELO, blocklists), and greylisting's answers: one sentence
    /// each.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub client: Vec<NoteView>,
}

/// An event of the session's edge told in one sentence.
#[derive(Debug, Clone, Serialize)]
pub struct NoteView {
    /// The trace's kind: `client_checked`, `greylisted`, `greylist_passed`.
    pub kind: &'static str,
    pub node: String,
    pub conn: String,
    /// The reply code it decided (`451` for greylisting), if any.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub code: Option<String>,
    pub text: String,
    pub text_pt: String,
}

impl AuthView {
    fn is_empty(&self) -> bool {
        self.signed.is_empty()
            && self.checks.is_empty()
            && self.spam.is_empty()
            && self.forwards.is_empty()
            && self.client.is_empty()
    }
}

#[derive(Debug, Clone, Serialize)]
pub struct SignedView {
    pub node: String,
    pub message: String,
    pub domain: String,
    pub selector: String,
    pub algorithm: String,
    /// The DKIM-Signature header as added.
    pub header: String,
    pub text: String,
    pub text_pt: String,
}

#[derive(Debug, Clone, Serialize)]
pub struct CheckView {
    pub node: String,
    pub conn: String,
    pub message: String,
    pub client_ip: String,
    pub helo: String,
    /// The envelope sender; `""` for a bounce's null sender.
    pub mail_from: String,
    /// SPF for the HELO name, and for the MAIL FROM domain.
    pub spf_helo: SpfView,
    pub spf: SpfView,
    /// Each signature; empty when the message carries none.
    pub dkim: Vec<DkimView>,
    pub dmarc: DmarcView,
    pub arc: ArcView,
    /// The Authentication-Results header the server wrote.
    pub header: String,
    /// `accept`, `junk` or `reject`.
    pub action: Action,
    /// The refusal, when `action` is `reject`.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub reply: Option<String>,
    /// The ARC sealer whose recorded results let a DMARC failure through.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub trusted_arc: Option<String>,
    /// The decision and its reason, as `narrate` ends the sentence.
    pub decision: Text,
    /// The whole check in one sentence.
    pub text: String,
    pub text_pt: String,
    /// The lookups the check made, in order.
    pub dns: Vec<DnsView>,
}

/// SPF for one identity.
#[derive(Debug, Clone, Serialize)]
pub struct SpfView {
    /// The domain whose record was asked.
    pub domain: String,
    pub result: Verdict,
    /// The domain's own explanation of a failure (`exp=`), as it said it.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub explanation: Option<String>,
    /// The result in words.
    pub why: Text,
}

#[derive(Debug, Clone, Serialize)]
pub struct DkimView {
    pub domain: String,
    pub selector: String,
    pub result: Verdict,
    /// Why it did not pass, as recorded (English).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub reason: Option<String>,
    /// The result in words, the reason translated.
    pub why: Text,
}

/// DMARC for the From header's domain.
#[derive(Debug, Clone, Serialize)]
pub struct DmarcView {
    pub domain: String,
    pub result: Verdict,
    /// Whether SPF, and DKIM, passed for a domain aligned with it.
    pub spf_aligned: Verdict,
    pub dkim_aligned: Verdict,
    /// `none`, `quarantine` or `reject`; absent without a DMARC record.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub policy: Option<String>,
    pub why: Text,
}

#[derive(Debug, Clone, Serialize)]
pub struct ArcView {
    pub result: Verdict,
    /// The sealers' domains, first seal first.
    pub sealers: Vec<String>,
    /// What the newest sealer recorded, when the chain passes.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub sealed_results: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub reason: Option<String>,
    pub why: Text,
}

#[derive(Debug, Clone, Serialize)]
pub struct SpamView {
    pub node: String,
    pub conn: String,
    pub message: String,
    pub score: f64,
    pub junk_at: f64,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub reject_at: Option<f64>,
    pub rules: Vec<RuleView>,
    pub action: Action,
    /// What the filter does, in words.
    pub verdict: Text,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub reply: Option<String>,
    pub text: String,
    pub text_pt: String,
}

#[derive(Debug, Clone, Serialize)]
pub struct RuleView {
    pub name: String,
    pub score: f64,
    /// What matched (a domain, the words found), as the filter saw it.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub detail: Option<String>,
    /// What the rule means.
    pub meaning: Text,
}

#[derive(Debug, Clone, Serialize)]
pub struct ForwardView {
    pub node: String,
    pub message: String,
    pub recipient: String,
    pub to: String,
    pub sender: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub rewritten: Option<String>,
    pub footer: bool,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub sealed: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub seal_failed: Option<String>,
    pub text: String,
    pub text_pt: String,
}

/// Where the steps' subjects are, to find the step an event belongs to.
struct Places<'a> {
    /// Position of each anchor in the trace, in order.
    positions: Vec<usize>,
    /// For each connection, the indices of the anchors about it.
    by_conn: BTreeMap<&'a str, Vec<usize>>,
    /// For each (receiving node, message), the indices of its hops.
    by_arrival: BTreeMap<(&'a str, &'a str), Vec<usize>>,
}

impl<'a> Places<'a> {
    fn new(anchors: &[(usize, Anchor<'a>)]) -> Self {
        let mut by_conn: BTreeMap<&str, Vec<usize>> = BTreeMap::new();
        let mut by_arrival: BTreeMap<(&str, &str), Vec<usize>> = BTreeMap::new();
        for (i, (_, anchor)) in anchors.iter().enumerate() {
            match anchor {
                Anchor::Hop(_, hop) => {
                    by_conn.entry(&hop.conn).or_default().push(i);
                    by_arrival
                        .entry((&hop.to, &hop.message))
                        .or_default()
                        .push(i);
                }
                Anchor::Session(connect) => by_conn.entry(&connect.conn).or_default().push(i),
                Anchor::Stored(..) | Anchor::Blocked(_) => {}
            }
        }
        Places {
            positions: anchors.iter().map(|(pos, _)| *pos).collect(),
            by_conn,
            by_arrival,
        }
    }

    /// The step whose log covers position `pos`: that of the first anchor
    /// at or after it, or the end step.
    fn covering(&self, pos: usize) -> usize {
        self.positions.partition_point(|&p| p < pos) + 1
    }

    /// The step of the first of `list`'s anchors at or after `pos`.
    fn first_after(&self, list: Option<&Vec<usize>>, pos: usize) -> Option<usize> {
        let list = list?;
        let k = list.partition_point(|&i| self.positions[i] < pos);
        list.get(k).map(|i| i + 1)
    }

    /// The step of the last of `list`'s anchors at or before `pos`.
    fn last_before(&self, list: Option<&Vec<usize>>, pos: usize) -> Option<usize> {
        let list = list?;
        let k = list.partition_point(|&i| self.positions[i] <= pos);
        k.checked_sub(1).map(|k| list[k] + 1)
    }
}

/// What one step gets: its auth view, and the lookups of checks that
/// happened in another step's stretch of the trace, for its DNS panel.
#[derive(Default)]
pub(super) struct Attached {
    pub auth: Option<AuthView>,
    pub dns: Vec<DnsView>,
}

/// What each step shows, by step index (`steps` long: the start, one per
/// anchor, the end).
pub(super) fn attach(
    trace: &Trace,
    anchors: &[(usize, Anchor<'_>)],
    steps: usize,
) -> Vec<Attached> {
    let places = Places::new(anchors);
    let mut views: Vec<AuthView> = vec![AuthView::default(); steps];
    let mut dns: Vec<Vec<DnsView>> = vec![Vec::new(); steps];
    for (pos, r) in trace.events.iter().enumerate() {
        let found = match &r.event {
            Event::SenderChecked(c) => places.first_after(places.by_conn.get(c.conn.as_str()), pos),
            Event::SpamScored(s) => places.first_after(places.by_conn.get(s.conn.as_str()), pos),
            Event::DkimSigned(s) => places.first_after(
                places
                    .by_arrival
                    .get(&(s.node.as_str(), s.message.as_str())),
                pos,
            ),
            Event::Forwarded(f) => places.last_before(
                places
                    .by_arrival
                    .get(&(f.node.as_str(), f.message.as_str())),
                pos,
            ),
            Event::ClientChecked(c) => places.first_after(places.by_conn.get(c.conn.as_str()), pos),
            Event::Greylisted(g) => places.first_after(places.by_conn.get(g.conn.as_str()), pos),
            Event::GreylistPassed(g) => {
                places.first_after(places.by_conn.get(g.conn.as_str()), pos)
            }
            _ => continue,
        };
        let covering = places.covering(pos).min(steps - 1);
        let step = found.unwrap_or(covering).min(steps - 1);
        let view = &mut views[step];
        let told = said(&r.event);
        match &r.event {
            Event::SenderChecked(c) => {
                let check = check_view(trace, pos, c, told);
                if step != covering {
                    dns[step].extend(check.dns.iter().cloned());
                }
                view.checks.push(check);
            }
            Event::SpamScored(s) => view.spam.push(spam_view(s, told)),
            Event::DkimSigned(s) => view.signed.push(signed_view(s, told)),
            Event::Forwarded(f) => view.forwards.push(forward_view(f, told)),
            Event::ClientChecked(c) => view.client.push(note(&r.event, &c.node, &c.conn)),
            Event::Greylisted(g) => view.client.push(note(&r.event, &g.node, &g.conn)),
            Event::GreylistPassed(g) => view.client.push(note(&r.event, &g.node, &g.conn)),
            _ => {}
        }
    }
    views
        .into_iter()
        .zip(dns)
        .map(|(v, dns)| Attached {
            auth: (!v.is_empty()).then_some(v),
            dns,
        })
        .collect()
}

fn note(event: &Event, node: &str, conn: &str) -> NoteView {
    let told = narrate(event);
    NoteView {
        kind: event.kind(),
        node: node.to_string(),
        conn: conn.to_string(),
        code: told.as_ref().and_then(|n| n.code.clone()),
        text: told.as_ref().map_or_else(String::new, |n| n.en.clone()),
        text_pt: told.map_or_else(String::new, |n| n.pt),
    }
}

fn said(event: &Event) -> (String, String) {
    narrate(event).map_or_else(Default::default, |n| (n.en, n.pt))
}

fn signed_view(s: &DkimSigned, (text, text_pt): (String, String)) -> SignedView {
    SignedView {
        node: s.node.clone(),
        message: s.message.clone(),
        domain: s.domain.clone(),
        selector: s.selector.clone(),
        algorithm: s.algorithm.clone(),
        header: s.header.clone(),
        text,
        text_pt,
    }
}

/// The lookups `node` made just before position `pos`: the DNS answers of
/// the run of DNS events by `node` that ends there.
fn lookups_before(trace: &Trace, pos: usize, node: &str) -> Vec<DnsView> {
    let mut out: Vec<DnsView> = trace.events[..pos]
        .iter()
        .rev()
        .take_while(|r| match &r.event {
            Event::DnsQuery(q) => q.node == node,
            Event::DnsAnswer(a) => a.node == node,
            _ => false,
        })
        .filter_map(|r| match &r.event {
            Event::DnsAnswer(a) => Some(DnsView {
                t: r.t,
                node: a.node.clone(),
                name: a.name.clone(),
                rtype: a.rtype.clone(),
                rcode: a.rcode.clone(),
                answers: a.answers.clone(),
            }),
            _ => None,
        })
        .collect();
    out.reverse();
    out
}

fn check_view(
    trace: &Trace,
    pos: usize,
    c: &SenderChecked,
    (text, text_pt): (String, String),
) -> CheckView {
    let checks = &c.checks;
    CheckView {
        node: c.node.clone(),
        conn: c.conn.clone(),
        message: c.message.clone(),
        client_ip: c.client_ip.clone(),
        helo: c.helo.clone(),
        mail_from: c.mail_from.clone(),
        spf_helo: spf_view(&checks.spf_helo, &c.client_ip),
        spf: spf_view(&checks.spf, &c.client_ip),
        dkim: checks.dkim.iter().map(dkim_view).collect(),
        dmarc: dmarc_view(&checks.dmarc),
        arc: arc_view(&checks.arc),
        header: checks.header.clone(),
        action: c.action,
        reply: c.reply.clone(),
        trusted_arc: c.trusted_arc.clone(),
        decision: words(sender_decision(c)),
        text,
        text_pt,
        dns: lookups_before(trace, pos, &c.node),
    }
}

fn words((en, pt): (String, String)) -> Text {
    Text { en, pt }
}

fn spf_view(spf: &SpfCheck, client_ip: &str) -> SpfView {
    SpfView {
        domain: spf.domain.clone(),
        result: spf.result,
        explanation: spf.explanation.clone(),
        why: words(spf_meaning(spf, client_ip)),
    }
}

fn dkim_view(d: &DkimCheck) -> DkimView {
    DkimView {
        domain: d.domain.clone(),
        selector: d.selector.clone(),
        result: d.result,
        reason: d.reason.clone(),
        why: words(dkim_meaning(d)),
    }
}

fn dmarc_view(d: &DmarcCheck) -> DmarcView {
    DmarcView {
        domain: d.domain.clone(),
        result: d.result,
        spf_aligned: d.spf_aligned,
        dkim_aligned: d.dkim_aligned,
        policy: d.policy.clone(),
        why: words(dmarc_meaning(d)),
    }
}

fn arc_view(a: &ArcCheck) -> ArcView {
    ArcView {
        result: a.result,
        sealers: a.sealers.clone(),
        sealed_results: a.sealed_results.clone(),
        reason: a.reason.clone(),
        why: words(arc_meaning(a)),
    }
}

fn spam_view(s: &SpamScored, (text, text_pt): (String, String)) -> SpamView {
    SpamView {
        node: s.node.clone(),
        conn: s.conn.clone(),
        message: s.message.clone(),
        score: s.score,
        junk_at: s.junk_at,
        reject_at: s.reject_at,
        rules: s
            .rules
            .iter()
            .map(|r| RuleView {
                name: r.name.clone(),
                score: r.score,
                detail: r.detail.clone(),
                meaning: rule_text(&r.name).into(),
            })
            .collect(),
        action: s.action,
        verdict: spam_action(s.action).into(),
        reply: s.reply.clone(),
        text,
        text_pt,
    }
}

fn forward_view(f: &Forwarded, (text, text_pt): (String, String)) -> ForwardView {
    ForwardView {
        node: f.node.clone(),
        message: f.message.clone(),
        recipient: f.recipient.clone(),
        to: f.to.clone(),
        sender: f.sender.clone(),
        rewritten: f.rewritten.clone(),
        footer: f.footer,
        sealed: f.sealed.clone(),
        seal_failed: f.seal_failed.clone(),
        text,
        text_pt,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::player::anchors;

    fn checked(conn: &str, message: &str, action: &str) -> serde_json::Value {
        serde_json::json!({
            "kind": "sender_checked", "node": "mx.friend.test", "conn": conn, "message": message,
            "client_ip": "192.0.2.10", "helo": "mail.phish.test", "mail_from": "security@bank.test",
            "checks": {
                "spf_helo": {"domain": "mail.phish.test", "result": "none"},
                "spf": {"domain": "bank.test", "result": "fail"},
                "dkim": [],
                "dmarc": {"domain": "bank.test", "result": "fail", "spf_aligned": "none", "dkim_aligned": "none", "policy": "reject"},
                "arc": {"result": "none"},
                "header": "Authentication-Results: mx.friend.test; spf=fail\r\n"
            },
            "action": action
        })
    }

    /// A forger's message refused on one connection while a relay's
    /// message arrives on another: the refusal's check, made before the
    /// relay's hop, belongs to the forger's session, which closes after
    /// that hop; so do its DNS lookups.
    #[test]
    fn a_check_goes_to_the_step_of_its_connection_with_its_lookups() {
        let mut events = vec![
            serde_json::json!({"kind": "connect", "conn": "c1", "client": "mail.phish.test", "server": "mx.friend.test", "port": 25, "client_ip": "192.0.2.10", "server_ip": "192.0.2.11"}),
            serde_json::json!({"kind": "connect", "conn": "c2", "client": "smtp.bank.test", "server": "mx.friend.test", "port": 25, "client_ip": "192.0.2.12", "server_ip": "192.0.2.11"}),
            serde_json::json!({"kind": "dns_query", "node": "mx.friend.test", "name": "bank.test", "rtype": "TXT"}),
            serde_json::json!({"kind": "dns_answer", "node": "mx.friend.test", "name": "bank.test", "rtype": "TXT", "rcode": "NOERROR", "answers": ["bank.test. TXT \"v=spf1 -all\""]}),
            serde_json::json!({"kind": "dns_query", "node": "mx.friend.test", "name": "_dmarc.bank.test", "rtype": "TXT"}),
            serde_json::json!({"kind": "dns_answer", "node": "mx.friend.test", "name": "_dmarc.bank.test", "rtype": "TXT", "rcode": "NOERROR", "answers": ["_dmarc.bank.test. TXT \"v=DMARC1; p=reject\""]}),
        ];
        let mut refused = checked("c1", "m2", "reject");
        refused["reply"] = "550 5.7.1 Rejected by DMARC policy for bank.test".into();
        events.push(refused);
        events.push(checked("c2", "m1", "accept"));
        events.extend([
            serde_json::json!({"kind": "hop", "hop": 1, "message": "m1", "from": "smtp.bank.test", "to": "mx.friend.test", "conn": "c2", "protocol": "ESMTP", "channel": "plaintext", "sender": "alice@bank.test", "recipients": ["bob@friend.test"]}),
            serde_json::json!({"kind": "stored", "node": "mx.friend.test", "message": "m1", "place": "mailbox", "mailbox": "bob@friend.test", "folder": "INBOX", "readable": true, "eml": "Subject: hi\r\n\r\nhi\r\n"}),
            serde_json::json!({"kind": "forwarded", "node": "mx.friend.test", "message": "m1", "recipient": "bob@friend.test", "to": "bob@far.test", "sender": "alice@bank.test"}),
            serde_json::json!({"kind": "closed", "conn": "c2"}),
            serde_json::json!({"kind": "closed", "conn": "c1"}),
            serde_json::json!({"kind": "end", "reason": "quiescent"}),
        ]);
        for (seq, e) in events.iter_mut().enumerate() {
            e["t"] = (100 + seq as u64 * 10).into();
            e["seq"] = seq.into();
        }
        let trace: Trace = serde_json::from_value(serde_json::json!({
            "scenario": "x", "seed": 1, "start": "2026-01-05T09:00:00Z", "events": events
        }))
        .unwrap();
        let anchors = anchors(&trace);
        assert_eq!(anchors.len(), 2, "the hop, and the forger's session");
        let attached = attach(&trace, &anchors, anchors.len() + 2);
        assert!(attached[0].auth.is_none() && attached[3].auth.is_none());

        let hop = attached[1].auth.as_ref().unwrap();
        assert_eq!(hop.checks.len(), 1);
        assert_eq!(hop.checks[0].message, "m1");
        assert!(
            hop.checks[0].dns.is_empty(),
            "the lookups were the other check's"
        );
        assert_eq!(hop.forwards.len(), 1, "the forward follows its hop");
        assert!(attached[1].dns.is_empty());

        let session = attached[2].auth.as_ref().unwrap();
        assert_eq!(session.checks.len(), 1);
        let check = &session.checks[0];
        assert_eq!(
            (check.message.as_str(), check.action),
            ("m2", Action::Reject)
        );
        assert_eq!(check.spf.result, Verdict::Fail);
        assert!(
            check.spf.why.en.contains("may not send"),
            "{:?}",
            check.spf.why
        );
        assert!(
            check.spf.why.pt.contains("não pode enviar"),
            "{:?}",
            check.spf.why
        );
        assert_eq!(check.dmarc.policy.as_deref(), Some("reject"));
        assert!(
            check
                .decision
                .en
                .contains("reject mail that fails DMARC (p=reject)")
        );
        assert!(check.decision.pt.contains("recusem"));
        let names: Vec<&str> = check.dns.iter().map(|d| d.name.as_str()).collect();
        assert_eq!(names, ["bank.test", "_dmarc.bank.test"]);
        // The session's DNS panel shows them too, though they were looked
        // up before the hop's step.
        let names: Vec<&str> = attached[2].dns.iter().map(|d| d.name.as_str()).collect();
        assert_eq!(names, ["bank.test", "_dmarc.bank.test"]);
    }
}

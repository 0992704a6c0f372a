//! The checks on a table of DNS answers: signing at virtual time, results
//! that follow the records, forgeries caught, and ARC across a forwarder.

use std::cell::RefCell;
use std::collections::BTreeMap;

use super::keys::{Algorithm, key_for};
use super::*;
use crate::policy::dns::{Answer, Rtype};

#[derive(Default)]
struct Table {
    txt: BTreeMap<String, Vec<String>>,
    a: BTreeMap<String, Vec<String>>,
    asked: RefCell<Vec<String>>,
}

impl Dns for Table {
    fn ask(&self, name: &str, rtype: Rtype) -> Answer {
        self.asked
            .borrow_mut()
            .push(format!("{} {name}", rtype.as_str()));
        let found = match rtype {
            Rtype::Txt => self.txt.get(name),
            Rtype::A => self.a.get(name),
            _ => None,
        };
        match found {
            Some(r) => Answer::Records(r.clone()),
            None => Answer::NxDomain,
        }
    }
}

const T: u64 = 1_790_000_000;

fn message(from: &str, body: &str) -> String {
    format!(
        "From: Alice <{from}>\r\nTo: bob@friend.test\r\nSubject: Hello\r\n\
         Date: Thu, 26 Nov 2026 10:00:00 +0000\r\nMessage-ID: <1@bank.test>\r\n\r\n{body}\r\n"
    )
}

fn bank() -> Table {
    let mut t = Table::default();
    let key = key_for(3, "bank.test", "s1", Algorithm::Rsa);
    t.txt.insert(
        "bank.test".into(),
        vec!["v=spf1 ip4:192.0.2.10 -all".into()],
    );
    t.txt
        .insert("_dmarc.bank.test".into(), vec!["v=DMARC1; p=reject".into()]);
    t.txt
        .insert("s1._domainkey.bank.test".into(), vec![key.record.clone()]);
    t.a.insert("mail.bank.test".into(), vec!["192.0.2.10".into()]);
    t
}

fn signed(body: &str) -> String {
    let key = key_for(3, "bank.test", "s1", Algorithm::Rsa);
    let raw = message("alice@bank.test", body);
    let header = sign(&key, "bank.test", "s1", raw.as_bytes(), T).expect("signs");
    format!("{header}{raw}")
}

fn judge(dns: &Table, ip: &str, helo: &str, mail_from: &str, msg: &str) -> SenderChecks {
    let auth = Authenticator::new().expect("builds");
    check(
        &auth,
        dns,
        &Inbound {
            client_ip: ip,
            helo,
            mail_from,
            receiver: "mx.friend.test",
            message: msg.as_bytes(),
        },
        None,
    )
    .checks
}

#[test]
fn signing_at_virtual_time_matches_mail_auths_own_signer() {
    let key = key_for(3, "bank.test", "s1", Algorithm::Rsa);
    let raw = message("alice@bank.test", "Hi.");
    let Signing::Rsa(k) = key.signing().expect("a key") else {
        panic!("an RSA key");
    };
    let signer = DkimSigner::from_key(k)
        .domain("bank.test")
        .selector("s1")
        .headers(["From", "To", "Subject"]);
    let theirs = signer.sign(raw.as_bytes()).expect("signs");
    let msg = AuthenticatedMessage::parse(raw.as_bytes()).expect("parses");
    let ours = timed::dkim_sign_at(&signer, &msg, theirs.t).expect("signs");
    assert_eq!(ours, theirs);
    let at_t = sign(&key, "bank.test", "s1", raw.as_bytes(), T).expect("signs");
    assert!(at_t.contains(&format!("t={T}")), "{at_t}");
    assert_eq!(
        at_t,
        sign(&key, "bank.test", "s1", raw.as_bytes(), T).expect("signs")
    );
}

#[test]
fn the_banks_own_mail_passes_everything() {
    let dns = bank();
    let c = judge(
        &dns,
        "192.0.2.10",
        "mail.bank.test",
        "alice@bank.test",
        &signed("Hi."),
    );
    assert_eq!(c.spf.result, Verdict::Pass);
    assert_eq!(c.dkim_result(), Verdict::Pass, "{:?}", c.dkim);
    assert_eq!(c.dmarc.result, Verdict::Pass);
    assert_eq!(c.dmarc.policy.as_deref(), Some("reject"));
    assert!(
        c.header
            .starts_with("Authentication-Results: mx.friend.test;")
    );
    assert!(c.header.contains("dkim=pass"), "{}", c.header);
    let asked = dns.asked.borrow();
    assert!(asked.contains(&"TXT bank.test".to_string()), "{asked:?}");
    assert!(asked.contains(&"TXT s1._domainkey.bank.test".to_string()));
    assert!(asked.contains(&"TXT _dmarc.bank.test".to_string()));
}

#[test]
fn a_forger_fails_spf_dkim_and_dmarc() {
    let dns = bank();
    let forged = message("alice@bank.test", "Send me your password.");
    let c = judge(
        &dns,
        "198.51.100.66",
        "evil.test",
        "alice@bank.test",
        &forged,
    );
    assert_eq!(c.spf.result, Verdict::Fail);
    assert_eq!(c.dkim_result(), Verdict::None);
    assert_eq!(c.dmarc.result, Verdict::Fail);
    assert_eq!(c.dmarc.policy.as_deref(), Some("reject"));
}

#[test]
fn a_changed_body_breaks_the_signature_and_says_why() {
    let dns = bank();
    let tampered = signed("Hi.").replace("Hi.", "Hi. -- added by a list");
    let c = judge(
        &dns,
        "192.0.2.10",
        "mail.bank.test",
        "alice@bank.test",
        &tampered,
    );
    // As OpenDKIM reports it: `dkim=neutral (body hash did not verify)`.
    assert_eq!(c.dkim_result(), Verdict::Neutral);
    assert!(
        c.dkim[0]
            .reason
            .as_deref()
            .unwrap_or("")
            .contains("body hash"),
        "{:?}",
        c.dkim
    );
    assert_ne!(c.dmarc.dkim_aligned, Verdict::Pass);
}

#[test]
fn broken_records_give_what_real_verifiers_give() {
    let mut dns = bank();
    dns.txt.insert(
        "bank.test".into(),
        vec!["v=spf1 ip4:192.0.2.10 -all".into(), "v=spf1 -all".into()],
    );
    dns.txt.insert(
        "s1._domainkey.bank.test".into(),
        vec!["v=DKIM1; p=!!".into()],
    );
    let c = judge(
        &dns,
        "192.0.2.10",
        "mail.bank.test",
        "alice@bank.test",
        &signed("Hi."),
    );
    assert_eq!(c.spf.result, Verdict::Permerror);
    assert_ne!(c.dkim_result(), Verdict::Pass);
}

#[test]
fn a_forwarders_arc_seal_carries_the_original_results() {
    let mut dns = bank();
    let arc_key = key_for(3, "forward.test", "arc", Algorithm::Rsa);
    dns.txt.insert(
        "arc._domainkey.forward.test".into(),
        vec![arc_key.record.clone()],
    );
    let auth = Authenticator::new().expect("builds");
    let original = signed("Hi.");
    let outgoing = format!("{original}-- \r\nForwarded by forward.test\r\n");
    let first = check(
        &auth,
        &dns,
        &Inbound {
            client_ip: "192.0.2.10",
            helo: "mail.bank.test",
            mail_from: "alice@bank.test",
            receiver: "mx.forward.test",
            message: original.as_bytes(),
        },
        Some(Seal {
            key: &arc_key,
            domain: "forward.test",
            selector: "arc",
            now: T + 5,
            outgoing: outgoing.as_bytes(),
        }),
    );
    assert_eq!(first.checks.dmarc.result, Verdict::Pass);
    let seal = first.sealed.expect("asked").expect("sealed");
    assert!(seal.contains(&format!("t={}", T + 5)), "{seal}");
    let arrived = format!("{seal}{outgoing}");
    let c = judge(
        &dns,
        "192.0.2.20",
        "mx.forward.test",
        "bob@forward.test",
        &arrived,
    );
    assert_eq!(c.spf.result, Verdict::None, "forward.test publishes no SPF");
    assert_eq!(
        c.dkim_result(),
        Verdict::Neutral,
        "the footer broke the body hash"
    );
    assert_eq!(c.dmarc.result, Verdict::Fail);
    assert_eq!(c.arc.result, Verdict::Pass, "{:?}", c.arc);
    assert_eq!(c.arc.sealers, vec!["forward.test".to_string()]);
    assert!(
        c.arc
            .sealed_results
            .as_deref()
            .unwrap_or("")
            .contains("dmarc=pass"),
        "{:?}",
        c.arc.sealed_results
    );
}

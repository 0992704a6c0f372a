//! An independent DKIM and ARC verifier, Python's dkimpy (Debian's
//! `python3-dkim`), judging what `policy::auth` signs and seals, with the
//! public keys as the zone publishes them and the virtual time as its
//! clock (`common::dkimpy`). If mailhop's signatures only passed mailhop's
//! own checks, these would fail.
//!
//! Needs `/usr/bin/python3` with python3-dkim (`.ci/run` installs it).
//! Without it the tests fail and say so.

mod common;

use std::cell::RefCell;
use std::collections::BTreeMap;

use mailhop::policy::auth::keys::{Algorithm, KeyPair, key_for};
use mailhop::policy::auth::{Authenticator, Inbound, Seal, Verdict, check, sign};
use mailhop::policy::dns::{Answer, Dns, Rtype};

/// 2030-03-17T17:46:40Z: a run dated after today, so dkimpy's own clock
/// would refuse every `t=` (the helper gives it this one).
const NOW: u64 = 1_900_000_000;
const SEED: u64 = 12;

/// The bank's zone: SPF, DMARC and its DKIM keys, as TXT records.
#[derive(Default)]
struct Zone {
    txt: BTreeMap<String, String>,
    asked: RefCell<Vec<String>>,
}

impl Zone {
    fn bank() -> Zone {
        let mut zone = Zone::default();
        zone.publish("bank.test", "v=spf1 ip4:192.0.2.10 -all");
        zone.publish("_dmarc.bank.test", "v=DMARC1; p=reject");
        zone.publish_key("bank.test", "rsa", &key("bank.test", "rsa", Algorithm::Rsa));
        zone.publish_key(
            "bank.test",
            "ed",
            &key("bank.test", "ed", Algorithm::Ed25519),
        );
        zone
    }

    fn publish(&mut self, name: &str, value: &str) {
        self.txt.insert(name.into(), value.into());
    }

    fn publish_key(&mut self, domain: &str, selector: &str, key: &KeyPair) {
        self.publish(&format!("{selector}._domainkey.{domain}"), &key.record);
    }

    /// The same records as dkimpy's DNS: `name.` → value.
    fn records(&self) -> BTreeMap<String, String> {
        self.txt
            .iter()
            .map(|(name, value)| (format!("{name}."), value.clone()))
            .collect()
    }
}

impl Dns for Zone {
    fn ask(&self, name: &str, rtype: Rtype) -> Answer {
        self.asked
            .borrow_mut()
            .push(format!("{} {name}", rtype.as_str()));
        match (rtype, self.txt.get(name)) {
            (Rtype::Txt, Some(value)) => Answer::Records(vec![value.clone()]),
            _ => Answer::NxDomain,
        }
    }
}

fn key(domain: &str, selector: &str, algorithm: Algorithm) -> std::sync::Arc<KeyPair> {
    key_for(SEED, domain, selector, algorithm)
}

fn message(body: &str) -> String {
    format!(
        "From: Alice <alice@bank.test>\r\nTo: bob@friend.test\r\nSubject: Your statement\r\n\
         Date: Sun, 17 Mar 2030 17:45:00 +0000\r\nMessage-ID: <1@bank.test>\r\n\
         MIME-Version: 1.0\r\nContent-Type: text/plain; charset=utf-8\r\n\r\n{body}\r\n"
    )
}

/// `message` with a DKIM signature on top, stamped `t`.
fn signed(selector: &str, algorithm: Algorithm, message: &str, t: u64) -> String {
    let header = sign(
        &key("bank.test", selector, algorithm),
        "bank.test",
        selector,
        message.as_bytes(),
        t,
    )
    .expect("signs");
    format!("{header}{message}")
}

#[test]
fn dkimpy_verifies_an_rsa_signature_mailhop_made() {
    let zone = Zone::bank();
    let msg = signed(
        "rsa",
        Algorithm::Rsa,
        &message("Your balance is 10."),
        NOW - 30,
    );
    let said = common::dkimpy::verify(msg.as_bytes(), &zone.records(), NOW);
    assert_eq!(said.dkim.len(), 1, "{said:?}");
    assert!(said.dkim[0].verified, "{said:?}");
    assert_eq!(
        (said.dkim[0].domain.as_str(), said.dkim[0].selector.as_str()),
        ("bank.test", "rsa")
    );
    assert_eq!(said.asked, ["rsa._domainkey.bank.test."]);
    assert_eq!(
        said.arc.cv, "none",
        "no ARC set on a message never forwarded"
    );
}

#[test]
fn dkimpy_verifies_an_ed25519_signature_beside_an_rsa_one() {
    let zone = Zone::bank();
    let once = signed(
        "rsa",
        Algorithm::Rsa,
        &message("Your balance is 10."),
        NOW - 30,
    );
    let twice = signed("ed", Algorithm::Ed25519, &once, NOW - 30);
    let said = common::dkimpy::verify(twice.as_bytes(), &zone.records(), NOW);
    let verdicts: Vec<(&str, bool)> = said
        .dkim
        .iter()
        .map(|s| (s.selector.as_str(), s.verified))
        .collect();
    assert_eq!(verdicts, [("ed", true), ("rsa", true)], "{said:?}");
    assert!(twice.contains("a=ed25519-sha256"), "{twice}");
}

#[test]
fn dkimpy_refuses_a_body_changed_after_signing() {
    let zone = Zone::bank();
    let msg = signed(
        "rsa",
        Algorithm::Rsa,
        &message("Your balance is 10."),
        NOW - 30,
    );
    let tampered = msg.replace("balance is 10.", "balance is 10000.");
    assert_ne!(msg, tampered);
    let said = common::dkimpy::verify(tampered.as_bytes(), &zone.records(), NOW);
    assert!(!said.dkim[0].verified, "{said:?}");
    let why = said.dkim[0].why.as_deref().unwrap_or("");
    assert!(why.contains("body hash mismatch"), "{why}");
    // The untouched message still verifies with the same records and time.
    let said = common::dkimpy::verify(msg.as_bytes(), &zone.records(), NOW);
    assert!(said.dkim[0].verified, "{said:?}");
}

#[test]
fn dkimpy_refuses_a_signature_stamped_after_its_now() {
    // The helper's clock is the one dkimpy judges t= by: a day before the
    // signature, dkimpy refuses it; at the signature's time it verifies.
    let zone = Zone::bank();
    let msg = signed("ed", Algorithm::Ed25519, &message("Hi."), NOW);
    let early = common::dkimpy::verify(msg.as_bytes(), &zone.records(), NOW - 86_400);
    assert!(!early.dkim[0].verified, "{early:?}");
    let why = early.dkim[0].why.as_deref().unwrap_or("");
    assert!(why.contains("in the future"), "{why}");
    let on_time = common::dkimpy::verify(msg.as_bytes(), &zone.records(), NOW);
    assert!(on_time.dkim[0].verified, "{on_time:?}");
}

#[test]
fn dkimpy_passes_the_arc_chain_a_mailhop_forwarder_sealed() {
    // The bank signs; a forwarder checks what arrived, adds a footer
    // (breaking the bank's body hash) and seals; dkimpy, at the next hop,
    // finds the DKIM signature broken and the ARC chain whole.
    let mut zone = Zone::bank();
    let arc_key = key("forward.test", "arc", Algorithm::Rsa);
    zone.publish_key("forward.test", "arc", &arc_key);
    let original = signed(
        "rsa",
        Algorithm::Rsa,
        &message("Your balance is 10."),
        NOW - 60,
    );
    let outgoing = format!("{original}-- \r\nForwarded by forward.test\r\n");
    let auth = Authenticator::new().expect("an authenticator");
    let checked = check(
        &auth,
        &zone,
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
            now: NOW - 30,
            outgoing: outgoing.as_bytes(),
        }),
    );
    assert_eq!(checked.checks.dmarc.result, Verdict::Pass, "as it arrived");
    let seal = checked.sealed.expect("asked").expect("sealed");
    let forwarded = format!("{seal}{outgoing}");

    let said = common::dkimpy::verify(forwarded.as_bytes(), &zone.records(), NOW);
    assert_eq!(said.arc.cv, "pass", "{said:?}");
    assert!(!said.dkim[0].verified, "the footer broke it: {said:?}");
    assert!(
        said.asked
            .iter()
            .any(|n| n == "arc._domainkey.forward.test."),
        "{:?}",
        said.asked
    );
}

/// The TXT records the world's zone actually answered during a run, as
/// dkimpy's DNS: taken from the trace's DNS answers (zone-file form,
/// strings of at most 255 octets joined back).
fn answered_txt(trace: &mailhop::trace::Trace) -> BTreeMap<String, String> {
    let mut out = BTreeMap::new();
    for record in &trace.events {
        let mailhop::trace::Event::DnsAnswer(a) = &record.event else {
            continue;
        };
        if a.rtype != "TXT" {
            continue;
        }
        for line in &a.answers {
            let Some((_, quoted)) = line.split_once(" TXT ") else {
                continue;
            };
            let mut text = String::new();
            let mut inside = false;
            let mut escaped = false;
            for c in quoted.chars() {
                match (inside, escaped, c) {
                    (true, false, '\\') => escaped = true,
                    (true, false, '"') => inside = false,
                    (true, _, c) => {
                        text.push(c);
                        escaped = false;
                    }
                    (false, _, '"') => inside = true,
                    _ => {}
                }
            }
            out.insert(format!("{}.", a.name.trim_end_matches('.')), text);
        }
    }
    out
}

/// The copy a mailbox received, as stored (`stored` in a mailbox).
fn delivered_copy(trace: &mailhop::trace::Trace, mailbox: &str) -> String {
    trace
        .events
        .iter()
        .find_map(|r| match &r.event {
            mailhop::trace::Event::Stored(s) => match &s.place {
                mailhop::trace::Place::Mailbox { mailbox: m, .. } if m == mailbox => {
                    Some(s.eml.clone())
                }
                _ => None,
            },
            _ => None,
        })
        .unwrap_or_else(|| panic!("nothing was delivered to {mailbox}"))
}

/// The `t=` of the message's first DKIM or ARC signature, plus a minute:
/// the virtual moment the copy was judged.
fn judged_at(message: &str) -> u64 {
    let at = message.find(" t=").expect("a signature with t=");
    let digits: String = message[at + 3..]
        .chars()
        .take_while(char::is_ascii_digit)
        .collect();
    digits.parse::<u64>().expect("t= is a number") + 60
}

fn shipped(name: &str) -> mailhop::harness::Run {
    mailhop::harness::Run::file(format!("{}/scenarios/{name}", env!("CARGO_MANIFEST_DIR")))
        .unwrap_or_else(|e| panic!("{e}"))
}

#[test]
fn dkimpy_verifies_the_signature_of_a_message_mailhop_delivered() {
    let run = shipped("spoofing.json");
    let copy = delivered_copy(&run.trace, "bob@friend.test");
    let records = answered_txt(&run.trace);
    assert!(
        records.contains_key("2026._domainkey.bank.test."),
        "the receiving server asked for the bank's key: {records:?}"
    );
    let said = common::dkimpy::verify(copy.as_bytes(), &records, judged_at(&copy));
    assert_eq!(said.dkim.len(), 1, "{said:?}");
    assert!(said.dkim[0].verified, "{said:?}");
    assert_eq!(said.dkim[0].domain, "bank.test");
    assert_eq!(said.dkim[0].selector, "2026");
}

#[test]
fn dkimpy_passes_the_arc_chain_of_a_message_mailhop_forwarded() {
    let run = shipped("forward-to-another-provider.json");
    let copy = delivered_copy(&run.trace, "dan@new.test");
    let records = answered_txt(&run.trace);
    let said = common::dkimpy::verify(copy.as_bytes(), &records, judged_at(&copy));
    assert_eq!(said.arc.cv, "pass", "{said:?}");
    assert!(
        said.dkim
            .iter()
            .any(|d| d.domain == "bank.test" && !d.verified),
        "the footer broke the bank's signature: {said:?}"
    );
}

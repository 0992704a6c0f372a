//! DANE for SMTP (RFC 6698, RFC 7672): TLSA records in DNS say which
//! certificate or key an MX host presents, so a sender can check the
//! server without trusting any CA, and knows before connecting that the
//! server speaks TLS (a missing STARTTLS is then an attack, not a fact).
//!
//! A sender looks up `_25._tcp.<mx host>` TLSA (in a DNSSEC-signed zone:
//! without DNSSEC the records prove nothing, and RFC 7672 section 2.2 says
//! to ignore them), connects, and after the handshake [`check`]s the chain
//! the server presented against the records. Records are published with
//! [`record_for`] from the server's certificate.
//!
//! Which records count (RFC 7672 section 3.1):
//!
//! | usage | name | what matches | names and dates |
//! |-------|------|--------------|-----------------|
//! | 3 | DANE-EE | the server's own certificate (or key) | not checked (section 3.1.1): the record is the trust |
//! | 2 | DANE-TA | a certificate above it in the chain, which signed it | the server's certificate must name the host (section 3.1.2) |
//! | 0, 1 | PKIX-TA, PKIX-EE | | unusable for SMTP (section 3.1.3): no list of CAs is agreed |
//!
//! Pure: the lookup, DNSSEC and what a failure does to delivery belong to
//! the sending MTA (`sim::mta`).

use std::fmt;

use rustls::pki_types::{CertificateDer, ServerName};
use sha2::{Digest, Sha256, Sha512};
use x509_parser::certificate::X509Certificate;
use x509_parser::prelude::FromDer;

/// Certificate usage DANE-TA: a trust anchor of the chain (RFC 7218 names).
pub const DANE_TA: u8 = 2;
/// Certificate usage DANE-EE: the server's own certificate.
pub const DANE_EE: u8 = 3;
/// Selector Cert: the whole certificate.
pub const CERT: u8 = 0;
/// Selector SPKI: only its public key (survives a renewal with the same key).
pub const SPKI: u8 = 1;
/// Matching type Full: the bytes themselves.
pub const FULL: u8 = 0;
/// Matching type SHA2-256.
pub const SHA2_256: u8 = 1;
/// Matching type SHA2-512.
pub const SHA2_512: u8 = 2;

/// The most bytes of association data a record may carry here (a full
/// certificate fits; a whole zone of them does not).
const MAX_DATA: usize = 16 * 1024;

/// The DNS name of the TLSA records of an SMTP server (RFC 7672 section
/// 2.2.3): `_25._tcp.<host>`.
pub fn record_name(host: &str) -> String {
    format!(
        "_25._tcp.{}",
        host.trim_end_matches('.').to_ascii_lowercase()
    )
}

/// One TLSA record (RFC 6698 section 2.1).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Tlsa {
    /// Certificate usage: 0 to 3 ([`DANE_TA`], [`DANE_EE`]).
    pub usage: u8,
    /// What part of a certificate: [`CERT`] or [`SPKI`].
    pub selector: u8,
    /// How it is compared: [`FULL`], [`SHA2_256`], [`SHA2_512`].
    pub matching: u8,
    /// The certificate association data.
    pub data: Vec<u8>,
}

/// Reads a TLSA record in presentation form, as a zone file writes it:
/// `3 1 1 <hex>` (RFC 6698 section 2.2); the hex may be split by spaces.
pub fn parse(text: &str) -> Result<Tlsa, String> {
    let mut words = text.split_ascii_whitespace();
    let mut field = |name: &str| -> Result<u8, String> {
        let word = words
            .next()
            .ok_or_else(|| format!("no {name}: a TLSA record is `usage selector matching data`"))?;
        word.parse()
            .map_err(|_| format!("{name} `{word}` is not a number from 0 to 255"))
    };
    let usage = field("certificate usage")?;
    let selector = field("selector")?;
    let matching = field("matching type")?;
    let hex: String = words.collect();
    if hex.is_empty() {
        return Err("no certificate association data after the three numbers".into());
    }
    let data = from_hex(&hex)?;
    Ok(Tlsa {
        usage,
        selector,
        matching,
        data,
    })
}

/// Bytes from hexadecimal digits (either case, an even number of them).
fn from_hex(hex: &str) -> Result<Vec<u8>, String> {
    if !hex.len().is_multiple_of(2) {
        return Err("the association data has an odd number of hex digits".into());
    }
    if hex.len() / 2 > MAX_DATA {
        return Err(format!(
            "the association data is longer than {MAX_DATA} bytes"
        ));
    }
    let digit = |c: u8| (c as char).to_digit(16);
    hex.as_bytes()
        .chunks(2)
        .map(|pair| match (digit(pair[0]), digit(pair[1])) {
            (Some(hi), Some(lo)) => Ok((hi * 16 + lo) as u8),
            _ => Err(format!(
                "`{}` is not hexadecimal",
                String::from_utf8_lossy(pair)
            )),
        })
        .collect()
}

/// Presentation form: `3 1 1 <lowercase hex>`.
impl fmt::Display for Tlsa {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{} {} {} ", self.usage, self.selector, self.matching)?;
        self.data.iter().try_for_each(|b| write!(f, "{b:02x}"))
    }
}

impl Tlsa {
    /// Why a sender passes this record over (RFC 7672 section 3.1.3, RFC
    /// 7671 section 5), or `None` when it is usable.
    pub fn unusable(&self) -> Option<String> {
        match self.usage {
            0 | 1 => {
                return Some(format!(
                    "usage {} (PKIX-{}) is not used for SMTP: senders have no agreed list of CAs (RFC 7672 section 3.1.3)",
                    self.usage,
                    if self.usage == 0 { "TA" } else { "EE" }
                ));
            }
            DANE_TA | DANE_EE => {}
            other => return Some(format!("usage {other} is not defined")),
        }
        if self.selector > SPKI {
            return Some(format!("selector {} is not defined", self.selector));
        }
        let want = match self.matching {
            FULL => None,
            SHA2_256 => Some(32),
            SHA2_512 => Some(64),
            other => return Some(format!("matching type {other} is not defined")),
        };
        match want {
            Some(len) if self.data.len() != len => Some(format!(
                "a {} digest has {len} bytes, this one {}",
                if len == 32 { "SHA-256" } else { "SHA-512" },
                self.data.len()
            )),
            _ => None,
        }
    }

    /// Whether `cert` is what this record describes.
    fn describes(&self, cert: &CertificateDer<'_>) -> bool {
        associated(cert, self.selector, self.matching).is_ok_and(|data| data == self.data)
    }

    /// The record's usage in RFC 7218's words.
    fn usage_name(&self) -> &'static str {
        match self.usage {
            DANE_EE => "DANE-EE",
            DANE_TA => "DANE-TA",
            _ => "PKIX",
        }
    }
}

/// The TLSA record that describes `cert` with this usage, selector and
/// matching type: what a domain publishes for its server. Fails only for
/// a certificate that does not parse, or a selector or matching type that
/// is not defined.
pub fn record_for(
    cert: &CertificateDer<'_>,
    usage: u8,
    selector: u8,
    matching: u8,
) -> Result<Tlsa, String> {
    Ok(Tlsa {
        usage,
        selector,
        matching,
        data: associated(cert, selector, matching)?,
    })
}

/// The association data of `cert`: the certificate or its public key
/// (selector), as is or hashed (matching type).
fn associated(cert: &CertificateDer<'_>, selector: u8, matching: u8) -> Result<Vec<u8>, String> {
    let selected: Vec<u8> = match selector {
        CERT => cert.to_vec(),
        SPKI => parsed(cert)?.public_key().raw.to_vec(),
        other => return Err(format!("selector {other} is not defined")),
    };
    match matching {
        FULL => Ok(selected),
        SHA2_256 => Ok(Sha256::digest(&selected).to_vec()),
        SHA2_512 => Ok(Sha512::digest(&selected).to_vec()),
        other => Err(format!("matching type {other} is not defined")),
    }
}

fn parsed<'a>(cert: &'a CertificateDer<'_>) -> Result<X509Certificate<'a>, String> {
    X509Certificate::from_der(cert)
        .map(|(_, c)| c)
        .map_err(|e| format!("the certificate does not parse: {e}"))
}

/// What the records say about a server's certificate chain.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Verdict {
    /// Record number `record` (of the records given) matches: the server is
    /// the one the domain published.
    Match { record: usize },
    /// Usable records exist and none matches: the server is not the one the
    /// domain published (or it is, and the records are stale). `reason`
    /// says what was compared.
    NoMatch { reason: String },
    /// No record is usable (RFC 7672 section 3.1.3): a sender treats the
    /// server as if it had no TLSA records, but still insists on TLS
    /// (RFC 7672 section 2.2).
    NoUsableRecords,
}

impl fmt::Display for Verdict {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Verdict::Match { record } => write!(f, "TLSA record {} matches", record + 1),
            Verdict::NoMatch { reason } => f.write_str(reason),
            Verdict::NoUsableRecords => f.write_str("no TLSA record is usable for SMTP"),
        }
    }
}

/// Checks the chain a server presented (its own certificate first) against
/// `records`, for the MX host `host` (RFC 7672 section 3).
///
/// DANE-EE: the server's certificate (or key) is the one published; its
/// names and dates are not looked at. DANE-TA: a certificate above the
/// server's in the chain is the one published, each certificate below it
/// is signed by the next, and the server's certificate names `host`
/// (dates are not checked here either). Any one matching record is enough.
pub fn check(records: &[Tlsa], chain: &[CertificateDer<'_>], host: &str) -> Verdict {
    let usable: Vec<(usize, &Tlsa)> = records
        .iter()
        .enumerate()
        .filter(|(_, r)| r.unusable().is_none())
        .collect();
    if usable.is_empty() {
        return Verdict::NoUsableRecords;
    }
    let Some(leaf) = chain.first() else {
        return Verdict::NoMatch {
            reason: "the server presented no certificate".into(),
        };
    };
    // The most telling failure, when nothing matches: a trust anchor that
    // matched but did not vouch for this host says more than "no match".
    let mut best: Option<String> = None;
    for (index, record) in usable {
        match record.usage {
            DANE_EE if record.describes(leaf) => return Verdict::Match { record: index },
            DANE_TA => {
                let Some(k) = chain.iter().skip(1).position(|c| record.describes(c)) else {
                    continue;
                };
                match trust_anchor_vouches(&chain[..=k + 1], host) {
                    Ok(()) => return Verdict::Match { record: index },
                    Err(why) => best = Some(why),
                }
            }
            _ => {}
        }
    }
    let reason = best.unwrap_or_else(|| {
        let kinds: Vec<&str> = records
            .iter()
            .filter(|r| r.unusable().is_none())
            .map(Tlsa::usage_name)
            .collect();
        format!(
            "no TLSA record ({}) matches the certificate the server presented",
            kinds.join(", ")
        )
    });
    Verdict::NoMatch { reason }
}

/// DANE-TA's checks on `path` (the server's certificate first, the matched
/// trust anchor last): each certificate signed by the next, and the
/// server's certificate issued for `host`.
fn trust_anchor_vouches(path: &[CertificateDer<'_>], host: &str) -> Result<(), String> {
    for pair in path.windows(2) {
        let (child, issuer) = (parsed(&pair[0])?, parsed(&pair[1])?);
        if child.verify_signature(Some(issuer.public_key())).is_err() {
            return Err(format!(
                "the published trust anchor `{}` did not sign `{}`",
                issuer.subject(),
                child.subject()
            ));
        }
    }
    let leaf = rustls::server::ParsedCertificate::try_from(&path[0])
        .map_err(|e| format!("the server's certificate does not parse: {e}"))?;
    let name = ServerName::try_from(host.trim_end_matches('.'))
        .map_err(|_| format!("`{host}` is not a host name"))?;
    rustls::client::verify_server_name(&leaf, &name).map_err(|_| {
        format!(
            "the trust anchor matches, but the server's certificate is not issued for {host} (RFC 7672 section 3.2.2)"
        )
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::scenario::Certificate;
    use crate::tls::pki::Pki;

    const START: i64 = 1_767_603_600; // 2026-01-05T09:00:00Z

    fn leaf(pki: &Pki, host: &str, cert: Certificate) -> CertificateDer<'static> {
        pki.issue(host, cert).expect("a certificate").0.remove(0)
    }

    #[test]
    fn presentation_form_reads_and_writes() {
        let hex = "0123456789abcdef".repeat(4);
        let spaced = format!("3 1 1 {} {}", &hex[..20], &hex[20..].to_uppercase());
        let record = parse(&spaced).expect("a record");
        assert_eq!((record.usage, record.selector, record.matching), (3, 1, 1));
        assert_eq!(record.data.len(), 32);
        assert_eq!(record.to_string(), format!("3 1 1 {hex}"));
        assert_eq!(parse(&record.to_string()), Ok(record));
    }

    #[test]
    fn malformed_records_say_why() {
        for (text, says) in [
            ("", "usage"),
            ("3 1", "matching type"),
            ("3 1 1", "no certificate association data"),
            ("3 1 x ab", "matching type `x`"),
            ("256 1 1 ab", "256"),
            ("3 1 1 abc", "odd"),
            ("3 1 1 zz", "hexadecimal"),
        ] {
            let err = parse(text).expect_err(text);
            assert!(err.contains(says), "{text}: {err}");
        }
    }

    #[test]
    fn records_sort_into_usable_and_not() {
        let digest = vec![0; 32];
        let record = |usage, selector, matching, data: &Vec<u8>| Tlsa {
            usage,
            selector,
            matching,
            data: data.clone(),
        };
        assert_eq!(record(3, 1, 1, &digest).unusable(), None);
        assert_eq!(record(2, 0, 0, &vec![1, 2]).unusable(), None);
        for bad in [
            record(1, 1, 1, &digest),
            record(0, 0, 1, &digest),
            record(4, 1, 1, &digest),
            record(3, 2, 1, &digest),
            record(3, 1, 3, &digest),
            record(3, 1, 2, &digest),
        ] {
            assert!(bad.unusable().is_some(), "{bad}");
        }
        assert_eq!(
            check(&[record(1, 1, 1, &digest)], &[], "mx.b.test"),
            Verdict::NoUsableRecords
        );
    }

    #[test]
    fn dane_ee_matches_the_servers_own_key_whatever_its_names_and_dates() {
        let pki = Pki::new(7, START);
        let valid = leaf(&pki, "mx.b.test", Certificate::Valid);
        let published = record_for(&valid, DANE_EE, SPKI, SHA2_256).expect("a record");
        assert_eq!(published.data.len(), 32);
        for kind in [
            Certificate::Valid,
            Certificate::Expired,
            Certificate::SelfSigned,
        ] {
            let presented = leaf(&pki, "mx.b.test", kind);
            assert_eq!(
                check(std::slice::from_ref(&published), &[presented], "mx.b.test"),
                Verdict::Match { record: 0 },
                "{kind:?}: the same key"
            );
        }
        let wrong_name = leaf(&pki, "mx.b.test", Certificate::WrongName);
        assert_eq!(
            check(std::slice::from_ref(&published), &[wrong_name], "mx.b.test"),
            Verdict::Match { record: 0 },
            "DANE-EE does not look at names (RFC 7672 section 3.1.1)"
        );
    }

    #[test]
    fn dane_ee_refuses_another_servers_key() {
        let pki = Pki::new(7, START);
        let real = leaf(&pki, "mx.b.test", Certificate::Valid);
        let forged = leaf(&pki, "mx.attacker.test", Certificate::Valid);
        let records = [
            record_for(&real, DANE_EE, SPKI, SHA2_256).unwrap(),
            record_for(&real, DANE_EE, CERT, SHA2_512).unwrap(),
        ];
        let verdict = check(&records, &[forged], "mx.b.test");
        let Verdict::NoMatch { reason } = &verdict else {
            panic!("{verdict:?}");
        };
        assert!(reason.contains("DANE-EE"), "{reason}");
        assert_eq!(
            check(&records, std::slice::from_ref(&real), "mx.b.test"),
            Verdict::Match { record: 0 }
        );
        assert_eq!(
            check(&records[1..], &[real], "mx.b.test"),
            Verdict::Match { record: 0 },
            "the whole certificate, by SHA-512"
        );
    }

    #[test]
    fn dane_ta_needs_the_anchor_in_the_chain_its_signature_and_the_name() {
        let pki = Pki::new(7, START);
        let ca = pki.ca_der().clone();
        let anchor = record_for(&ca, DANE_TA, SPKI, SHA2_256).expect("a record");
        let records = std::slice::from_ref(&anchor);
        let server = leaf(&pki, "mx.b.test", Certificate::Valid);
        assert_eq!(
            check(records, &[server.clone(), ca.clone()], "mx.b.test"),
            Verdict::Match { record: 0 }
        );
        assert!(
            matches!(
                check(records, std::slice::from_ref(&server), "mx.b.test"),
                Verdict::NoMatch { .. }
            ),
            "the anchor must be sent along"
        );
        let Verdict::NoMatch { reason } =
            check(records, &[server.clone(), ca.clone()], "mx.c.test")
        else {
            panic!("another host's certificate");
        };
        assert!(reason.contains("not issued for mx.c.test"), "{reason}");
        let wrong = leaf(&pki, "mx.b.test", Certificate::WrongName);
        assert!(matches!(
            check(records, &[wrong, ca.clone()], "mx.b.test"),
            Verdict::NoMatch { .. }
        ));
        let self_signed = leaf(&pki, "mx.b.test", Certificate::SelfSigned);
        let Verdict::NoMatch { reason } = check(records, &[self_signed, ca], "mx.b.test") else {
            panic!("an anchor that signed nothing");
        };
        assert!(reason.contains("did not sign"), "{reason}");
    }

    #[test]
    fn an_unparsable_certificate_matches_nothing_and_panics_nowhere() {
        let junk = CertificateDer::from(vec![0x30, 0x03, 0x02, 0x01, 0x00]);
        assert!(record_for(&junk, DANE_EE, SPKI, SHA2_256).is_err());
        assert_eq!(
            record_for(&junk, DANE_EE, CERT, FULL).map(|r| r.data),
            Ok(junk.to_vec())
        );
        let records = [parse(&format!("3 1 1 {}", "00".repeat(32))).unwrap()];
        assert!(matches!(
            check(&records, std::slice::from_ref(&junk), "mx.b.test"),
            Verdict::NoMatch { .. }
        ));
        let ta = [parse("2 0 0 00").unwrap()];
        assert!(matches!(
            check(&ta, &[junk.clone(), junk], "mx.b.test"),
            Verdict::NoMatch { .. }
        ));
    }

    #[test]
    fn the_record_name_is_port_25_over_tcp() {
        assert_eq!(record_name("MX.b.test."), "_25._tcp.mx.b.test");
    }
}

//! SMTP TLS Reporting (RFC 8460): where a domain asks senders to report
//! the TLS failures they met delivering to it, and what the report says.
//!
//! The domain publishes a TXT record at `_smtp._tls.<domain>`
//! ([`parse_record`]): `v=TLSRPTv1; rua=mailto:tls-reports@example.test`.
//! A sender that applied the domain's MTA-STS policy or DANE records (or
//! found neither) counts its sessions, the good ones and the failures by
//! kind ([`ResultType`]), and once a day mails a [`Report`] (JSON, RFC 8460
//! section 4) to that address ([`report_message`], section 5.3).
//!
//! Pure: the counting, the day and the sending belong to the sending MTA;
//! every date here is given by the caller.

use mail_builder::MessageBuilder;
use mail_builder::headers::content_type::ContentType;
use mail_builder::headers::raw::Raw;
use mail_builder::mime::{BodyPart, MimePart};
use serde::{Serialize, Serializer};

use super::tagged;

/// The DNS name of `domain`'s reporting record: `_smtp._tls.<domain>`.
pub fn record_name(domain: &str) -> String {
    format!(
        "_smtp._tls.{}",
        domain.trim_end_matches('.').to_ascii_lowercase()
    )
}

/// Where reports go: one of the record's `rua` URIs.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Rua {
    /// `mailto:` an address: the report is mailed there.
    Mailto(String),
    /// `https:` a URL: the report is POSTed there (mailhop's senders only
    /// mail reports, and say so).
    Https(String),
}

/// A domain's `_smtp._tls` record.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Record {
    /// The `rua` URIs, in the record's order (at least one).
    pub rua: Vec<Rua>,
}

impl Record {
    /// The addresses reports are mailed to.
    pub fn mailto(&self) -> impl Iterator<Item = &str> {
        self.rua.iter().filter_map(|r| match r {
            Rua::Mailto(address) => Some(address.as_str()),
            Rua::Https(_) => None,
        })
    }
}

/// Reads the TXT records at `_smtp._tls.<domain>` (RFC 8460 section 3).
///
/// Records that do not begin with `v=TLSRPTv1` are passed over.
/// `Ok(None)`: the domain asks for no reports. `Err`: it asks in a way a
/// sender cannot use (several records, or one that does not parse), and
/// the words say why: no report is sent.
pub fn parse_record(txts: &[String]) -> Result<Option<Record>, String> {
    tagged::one_record(txts, "TLSRPTv1", "RFC 8460 section 3")?
        .map(parse_fields)
        .transpose()
}

/// The fields of one `v=TLSRPTv1` record: `rua` required, others ignored.
fn parse_fields(txt: &str) -> Result<Record, String> {
    let mut rua = None;
    for (key, value) in tagged::fields(txt)? {
        if key != "rua" {
            continue;
        }
        if rua.is_some() {
            return Err("`rua` is given twice".into());
        }
        rua = Some(
            value
                .split(',')
                .map(|uri| parse_uri(uri.trim_matches([' ', '\t'])))
                .collect::<Result<Vec<Rua>, String>>()?,
        );
    }
    match rua {
        Some(rua) => Ok(Record { rua }),
        None => Err("no `rua=` field: nowhere to send reports (RFC 8460 section 3)".into()),
    }
}

fn parse_uri(uri: &str) -> Result<Rua, String> {
    let lower = uri.to_ascii_lowercase();
    if lower.starts_with("mailto:") {
        let address = uri["mailto:".len()..].split('?').next().unwrap_or("");
        let address = percent_decode(address);
        let at = address.find('@');
        if at.is_none_or(|at| at == 0 || at + 1 == address.len()) || address.contains(' ') {
            return Err(format!("`{uri}` does not name an address"));
        }
        Ok(Rua::Mailto(address))
    } else if lower.starts_with("https://") && uri.len() > "https://".len() {
        Ok(Rua::Https(uri.to_string()))
    } else {
        Err(format!(
            "`{uri}` is neither `mailto:` an address nor an `https://` URL"
        ))
    }
}

/// `%40` → `@`; a `%` not followed by two hex digits stays as it is.
fn percent_decode(text: &str) -> String {
    let bytes = text.as_bytes();
    let mut out = Vec::with_capacity(bytes.len());
    let mut i = 0;
    while i < bytes.len() {
        let hex = |b: u8| (b as char).to_digit(16);
        match (bytes[i], bytes.get(i + 1), bytes.get(i + 2)) {
            (b'%', Some(&h), Some(&l)) if hex(h).is_some() && hex(l).is_some() => {
                out.push((hex(h).unwrap_or(0) * 16 + hex(l).unwrap_or(0)) as u8);
                i += 3;
            }
            (b, _, _) => {
                out.push(b);
                i += 1;
            }
        }
    }
    String::from_utf8_lossy(&out).into_owned()
}

/// An aggregate report (RFC 8460 section 4.4), serialised with the RFC's
/// field names.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(rename_all = "kebab-case")]
pub struct Report {
    /// Who sends the report.
    pub organization_name: String,
    pub date_range: DateRange,
    /// An address or URL to write to about the report.
    pub contact_info: String,
    /// Unique for this report; also in the mail's Subject.
    pub report_id: String,
    pub policies: Vec<PolicyResult>,
}

/// The period a report covers, RFC 3339 times (`2026-01-05T00:00:00Z`).
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(rename_all = "kebab-case")]
pub struct DateRange {
    pub start_datetime: String,
    pub end_datetime: String,
}

/// What kind of policy a result was judged by (RFC 8460 section 4.4).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum PolicyType {
    /// MTA-STS.
    Sts,
    /// DANE.
    Tlsa,
    /// The domain had neither.
    NoPolicyFound,
}

/// The sessions with one policy domain under one policy: how many went
/// well, how many failed and why.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PolicyResult {
    pub policy_type: PolicyType,
    /// The policy as applied: the MTA-STS file's lines, or the TLSA records
    /// in presentation form.
    pub policy_string: Vec<String>,
    pub policy_domain: String,
    /// For MTA-STS, the policy's `mx` patterns.
    pub mx_host: Vec<String>,
    pub total_successful: u64,
    pub total_failure: u64,
    pub failure_details: Vec<FailureDetail>,
}

/// Written as RFC 8460 nests it: `policy`, `summary`, `failure-details`.
impl Serialize for PolicyResult {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        #[derive(Serialize)]
        #[serde(rename_all = "kebab-case")]
        struct Policy<'a> {
            policy_type: PolicyType,
            #[serde(skip_serializing_if = "<[_]>::is_empty")]
            policy_string: &'a [String],
            policy_domain: &'a str,
            #[serde(skip_serializing_if = "<[_]>::is_empty")]
            mx_host: &'a [String],
        }
        #[derive(Serialize)]
        struct Summary {
            #[serde(rename = "total-successful-session-count")]
            successful: u64,
            #[serde(rename = "total-failure-session-count")]
            failure: u64,
        }
        #[derive(Serialize)]
        #[serde(rename_all = "kebab-case")]
        struct Wire<'a> {
            policy: Policy<'a>,
            summary: Summary,
            #[serde(skip_serializing_if = "<[_]>::is_empty")]
            failure_details: &'a [FailureDetail],
        }
        Wire {
            policy: Policy {
                policy_type: self.policy_type,
                policy_string: &self.policy_string,
                policy_domain: &self.policy_domain,
                mx_host: &self.mx_host,
            },
            summary: Summary {
                successful: self.total_successful,
                failure: self.total_failure,
            },
            failure_details: &self.failure_details,
        }
        .serialize(serializer)
    }
}

/// Failed sessions of one kind with one MX host (RFC 8460 section 4.4).
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(rename_all = "kebab-case")]
pub struct FailureDetail {
    pub result_type: ResultType,
    pub sending_mta_ip: String,
    pub receiving_mx_hostname: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub receiving_ip: Option<String>,
    pub failed_session_count: u64,
    /// Free text for the receiving domain's operators (the sender's own
    /// words about the failure).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub failure_reason_code: Option<String>,
}

/// Why sessions failed (RFC 8460 section 4.3).
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum ResultType {
    /// The server did not offer STARTTLS (or someone removed it).
    StarttlsNotSupported,
    /// The certificate does not name the host.
    CertificateHostMismatch,
    CertificateExpired,
    /// No trusted CA vouches for the certificate.
    CertificateNotTrusted,
    /// Any other failure of the TLS negotiation or the certificate check.
    ValidationFailure,
    /// DANE: the TLSA records are broken, or none matches.
    TlsaInvalid,
    /// DANE: the DNSSEC signatures did not validate.
    DnssecInvalid,
    /// DANE: the records exist but the server did not do TLS.
    DaneRequired,
    /// MTA-STS: the policy file could not be fetched.
    StsPolicyFetchError,
    /// MTA-STS: the policy file does not parse.
    StsPolicyInvalid,
    /// MTA-STS: the policy host's certificate did not validate.
    StsWebpkiInvalid,
}

impl ResultType {
    /// Every result type, in RFC 8460 section 4.3's order.
    pub const ALL: [ResultType; 11] = [
        ResultType::StarttlsNotSupported,
        ResultType::CertificateHostMismatch,
        ResultType::CertificateExpired,
        ResultType::CertificateNotTrusted,
        ResultType::ValidationFailure,
        ResultType::TlsaInvalid,
        ResultType::DnssecInvalid,
        ResultType::DaneRequired,
        ResultType::StsPolicyFetchError,
        ResultType::StsPolicyInvalid,
        ResultType::StsWebpkiInvalid,
    ];

    /// The RFC's name, as the JSON says it.
    pub fn as_str(self) -> &'static str {
        match self {
            ResultType::StarttlsNotSupported => "starttls-not-supported",
            ResultType::CertificateHostMismatch => "certificate-host-mismatch",
            ResultType::CertificateExpired => "certificate-expired",
            ResultType::CertificateNotTrusted => "certificate-not-trusted",
            ResultType::ValidationFailure => "validation-failure",
            ResultType::TlsaInvalid => "tlsa-invalid",
            ResultType::DnssecInvalid => "dnssec-invalid",
            ResultType::DaneRequired => "dane-required",
            ResultType::StsPolicyFetchError => "sts-policy-fetch-error",
            ResultType::StsPolicyInvalid => "sts-policy-invalid",
            ResultType::StsWebpkiInvalid => "sts-webpki-invalid",
        }
    }
}

impl Report {
    /// The report as the JSON of RFC 8460 section 4.4, indented for a
    /// person to read it in the player.
    pub fn to_json(&self) -> String {
        serde_json::to_string_pretty(self).unwrap_or_default()
    }
}

/// The envelope of a report mail: who sends it, to whom, when.
#[derive(Debug, Clone, Copy)]
pub struct ReportMail<'a> {
    /// The From address (the reporting MTA's postmaster or a reports box).
    pub from: &'a str,
    /// The `rua` address.
    pub to: &'a str,
    /// When it is written, Unix seconds of virtual time.
    pub date: i64,
    /// The Message-ID, without angle brackets.
    pub message_id: &'a str,
    /// The policy domain the report is about (`TLS-Report-Domain`).
    pub report_domain: &'a str,
    /// The sender's domain (`TLS-Report-Submitter`).
    pub submitter: &'a str,
    /// The period the report covers, Unix seconds (for the file name).
    pub range: (i64, i64),
}

/// A report as mail (RFC 8460 section 5.3): a `multipart/report` of
/// report-type `tlsrpt` with a line for people and the JSON as an
/// `application/tlsrpt+json` attachment, named as section 5.1 says
/// (`submitter!domain!begin!end.json`, the dates as Unix seconds given).
/// The MIME boundary comes from the report id, so a run writes the same
/// bytes every time.
pub fn report_message(report: &Report, mail: &ReportMail<'_>) -> Vec<u8> {
    let filename = format!(
        "{}!{}!{}!{}.json",
        mail.submitter, mail.report_domain, mail.range.0, mail.range.1
    );
    // RFC 2046's boundary characters only: a report id may hold an `@`.
    let boundary: String = format!("tlsrpt-{}", report.report_id)
        .chars()
        .take(60)
        .map(|c| match c {
            'a'..='z' | 'A'..='Z' | '0'..='9' | '\'' | '(' | ')' | '+' | '_' | ',' | '-' | '.' => c,
            _ => '-',
        })
        .collect();
    let human = format!(
        "This is an aggregate TLS report from {}\r\nabout mail to {},\r\nfrom {} to {}.\r\n",
        mail.submitter,
        mail.report_domain,
        report.date_range.start_datetime,
        report.date_range.end_datetime
    );
    let json = report.to_json().replace('\n', "\r\n");
    let body = MimePart::new(
        ContentType::new("multipart/report")
            .attribute("report-type", "tlsrpt")
            .attribute("boundary", boundary),
        BodyPart::Multipart(vec![
            MimePart::new("text/plain", human),
            MimePart::new("application/tlsrpt+json", json).attachment(filename),
        ]),
    );
    MessageBuilder::new()
        .from(mail.from)
        .to(mail.to)
        .header(
            "Subject",
            Raw::new(format!(
                "Report Domain: {} Submitter: {} Report-ID: <{}>",
                mail.report_domain, mail.submitter, report.report_id
            )),
        )
        .date(mail.date)
        .message_id(mail.message_id)
        .header("TLS-Report-Domain", Raw::new(mail.report_domain))
        .header("TLS-Report-Submitter", Raw::new(mail.submitter))
        .header("Auto-Submitted", Raw::new("auto-generated"))
        .body(body)
        .write_to_vec()
        .unwrap_or_default()
}

#[cfg(test)]
mod tests {
    use super::*;
    use mail_parser::MimeHeaders;

    fn txts(records: &[&str]) -> Vec<String> {
        records.iter().map(|s| s.to_string()).collect()
    }

    #[test]
    fn the_rfc_example_records_are_read() {
        assert_eq!(
            parse_record(&txts(&["v=TLSRPTv1;rua=mailto:reports@example.com"])),
            Ok(Some(Record {
                rua: vec![Rua::Mailto("reports@example.com".into())]
            }))
        );
        let both = parse_record(&txts(&[
            "v=TLSRPTv1; rua=https://reporting.example.com/v1/tlsrpt, mailto:tls%40example.com?subject=x;",
        ]))
        .expect("parses")
        .expect("a record");
        assert_eq!(
            both.rua,
            [
                Rua::Https("https://reporting.example.com/v1/tlsrpt".into()),
                Rua::Mailto("tls@example.com".into())
            ]
        );
        assert_eq!(both.mailto().collect::<Vec<_>>(), ["tls@example.com"]);
    }

    #[test]
    fn records_that_are_not_reporting_ones_or_are_broken() {
        assert_eq!(parse_record(&txts(&["v=spf1 -all"])), Ok(None));
        for (bad, says) in [
            ("v=TLSRPTv1;", "no `rua=`"),
            ("v=TLSRPTv1; rua=reports@example.com", "neither"),
            ("v=TLSRPTv1; rua=mailto:", "address"),
            (
                "v=TLSRPTv1; rua=mailto:a@b.test; rua=mailto:c@d.test",
                "twice",
            ),
            ("v=TLSRPTv1; rua", "key=value"),
        ] {
            let err = parse_record(&txts(&[bad])).expect_err(bad);
            assert!(err.contains(says), "{bad}: {err}");
        }
        let two = parse_record(&txts(&[
            "v=TLSRPTv1; rua=mailto:a@b.test",
            "v=TLSRPTv1; rua=mailto:c@b.test",
        ]));
        assert!(two.unwrap_err().contains("2 TXT records"));
    }

    fn report() -> Report {
        Report {
            organization_name: "mail.a.test".into(),
            date_range: DateRange {
                start_datetime: "2026-01-05T00:00:00Z".into(),
                end_datetime: "2026-01-05T23:59:59Z".into(),
            },
            contact_info: "postmaster@a.test".into(),
            report_id: "2026-01-05.b.test.1@mail.a.test".into(),
            policies: vec![PolicyResult {
                policy_type: PolicyType::Sts,
                policy_string: vec![
                    "version: STSv1".into(),
                    "mode: enforce".into(),
                    "mx: mx.b.test".into(),
                    "max_age: 86400".into(),
                ],
                policy_domain: "b.test".into(),
                mx_host: vec!["mx.b.test".into()],
                total_successful: 3,
                total_failure: 1,
                failure_details: vec![FailureDetail {
                    result_type: ResultType::StarttlsNotSupported,
                    sending_mta_ip: "192.0.2.10".into(),
                    receiving_mx_hostname: "mx.b.test".into(),
                    receiving_ip: Some("192.0.2.11".into()),
                    failed_session_count: 1,
                    failure_reason_code: None,
                }],
            }],
        }
    }

    #[test]
    fn the_report_uses_the_rfcs_field_names() {
        let json: serde_json::Value = serde_json::from_str(&report().to_json()).expect("JSON");
        assert_eq!(json["organization-name"], "mail.a.test");
        assert_eq!(json["date-range"]["start-datetime"], "2026-01-05T00:00:00Z");
        assert_eq!(json["report-id"], "2026-01-05.b.test.1@mail.a.test");
        let policy = &json["policies"][0];
        assert_eq!(policy["policy"]["policy-type"], "sts");
        assert_eq!(policy["policy"]["policy-domain"], "b.test");
        assert_eq!(policy["policy"]["mx-host"][0], "mx.b.test");
        assert_eq!(policy["policy"]["policy-string"][1], "mode: enforce");
        assert_eq!(policy["summary"]["total-successful-session-count"], 3);
        assert_eq!(policy["summary"]["total-failure-session-count"], 1);
        let detail = &policy["failure-details"][0];
        assert_eq!(detail["result-type"], "starttls-not-supported");
        assert_eq!(detail["sending-mta-ip"], "192.0.2.10");
        assert_eq!(detail["receiving-mx-hostname"], "mx.b.test");
        assert_eq!(detail["receiving-ip"], "192.0.2.11");
        assert_eq!(detail["failed-session-count"], 1);
        assert!(detail.get("failure-reason-code").is_none());
        let none = PolicyResult {
            policy_type: PolicyType::NoPolicyFound,
            policy_string: Vec::new(),
            policy_domain: "c.test".into(),
            mx_host: Vec::new(),
            total_successful: 1,
            total_failure: 0,
            failure_details: Vec::new(),
        };
        let none = serde_json::to_value(&none).expect("JSON");
        assert_eq!(none["policy"]["policy-type"], "no-policy-found");
        assert!(none.get("failure-details").is_none());
    }

    #[test]
    fn every_result_type_says_its_rfc_name() {
        for r in ResultType::ALL {
            assert_eq!(serde_json::to_value(r).unwrap(), r.as_str());
        }
    }

    #[test]
    fn the_report_mail_is_what_section_5_3_asks_and_the_same_every_time() {
        let mail = ReportMail {
            from: "postmaster@mail.a.test",
            to: "tls-reports@b.test",
            date: 1_767_657_600,
            message_id: "tlsrpt.1@mail.a.test",
            report_domain: "b.test",
            submitter: "mail.a.test",
            range: (1_767_571_200, 1_767_657_599),
        };
        let bytes = report_message(&report(), &mail);
        assert_eq!(bytes, report_message(&report(), &mail));
        let text = String::from_utf8(bytes.clone()).expect("ASCII");
        assert!(text.contains("TLS-Report-Domain: b.test\r\n"), "{text}");
        assert!(
            text.contains("\r\n  \"organization-name\": \"mail.a.test\",\r\n"),
            "the JSON stays readable: {text}"
        );
        assert!(text.contains("TLS-Report-Submitter: mail.a.test\r\n"));
        assert!(text.contains("report-type=\"tlsrpt\"") || text.contains("report-type=tlsrpt"));
        let parsed = mail_parser::MessageParser::default()
            .parse(&bytes)
            .expect("parses");
        assert_eq!(
            parsed.subject(),
            Some(
                "Report Domain: b.test Submitter: mail.a.test Report-ID: <2026-01-05.b.test.1@mail.a.test>"
            )
        );
        assert_eq!(parsed.content_type().map(|c| c.ctype()), Some("multipart"));
        let json_part = parsed
            .attachments()
            .find(|p| p.content_type().and_then(|c| c.subtype()) == Some("tlsrpt+json"))
            .expect("the JSON part");
        assert_eq!(
            json_part.attachment_name(),
            Some("mail.a.test!b.test!1767571200!1767657599.json")
        );
        let json: serde_json::Value =
            serde_json::from_slice(json_part.contents()).expect("the report");
        assert_eq!(json["policies"][0]["policy"]["policy-domain"], "b.test");
        assert!(
            text.contains("Date: Tue, 6 Jan 2026 00:00:00 +0000\r\n"),
            "{text}"
        );
    }
}

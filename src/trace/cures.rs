//! What a sending server's TLS policy found and decided:
//! [`Event::TlsPolicy`](super::Event::TlsPolicy) (MTA-STS or DANE for a
//! domain or host), [`Event::TlsPolicyFailed`](super::Event::TlsPolicyFailed)
//! (a host that did not meet it) and
//! [`Event::TlsReportSent`](super::Event::TlsReportSent) (RFC 8460).

use serde::{Deserialize, Serialize};

/// A sending server looked for a recipient domain's policy (MTA-STS) or
/// an MX host's TLSA records (DANE), and what it found.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct TlsPolicy {
    pub node: String,
    pub domain: String,
    /// `mta-sts` or `dane`.
    pub policy: String,
    /// For DANE, the MX host whose TLSA records were read.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub host: Option<String>,
    /// `fetched` (over HTTPS), `cached` (kept from an earlier fetch),
    /// `secure` (TLSA records from signed DNS), `none` (nothing published,
    /// or not usable: `reason` says why).
    pub source: String,
    /// MTA-STS: `enforce`, `testing` or `none`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub mode: Option<String>,
    /// MTA-STS: the policy's MX patterns; DANE: the TLSA records.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub records: Vec<String>,
    /// MTA-STS: the record's `id`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub id: Option<String>,
    /// MTA-STS: how long the policy may be kept, in seconds.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub max_age: Option<u64>,
    /// Why there is no policy, or why a fetch failed.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub reason: Option<String>,
}

/// An MX host did not meet the policy: the message waits (`enforced`), or,
/// under MTA-STS `testing`, goes anyway and the failure is only reported.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct TlsPolicyFailed {
    pub node: String,
    pub message: String,
    pub domain: String,
    pub host: String,
    /// `mta-sts` or `dane`.
    pub policy: String,
    /// RFC 8460's result type: `starttls-not-supported`,
    /// `certificate-host-mismatch`, `validation-failure`, ...
    pub result: String,
    pub reason: String,
    pub enforced: bool,
}

/// A server sent a TLS report (RFC 8460) to a domain that asked for one.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct TlsReportSent {
    pub node: String,
    pub domain: String,
    /// The report's run-local message id.
    pub message: String,
    pub to: String,
    pub successful: u64,
    pub failed: u64,
}

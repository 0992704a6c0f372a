//! Who really sent this message? SPF (RFC 7208), DKIM (RFC 6376), DMARC
//! (DMARCbis, as mail-auth 0.13.3 implements it: the organisational domain
//! found by walking up the tree, `pct=` gone) and ARC (RFC 8617), with
//! mail-auth, Stalwart's library, on DNS asked through
//! [`Dns`](crate::policy::dns::Dns).
//!
//! - [`check`] judges one arriving message from what the session knew (the
//!   client's address, HELO, MAIL FROM) and the message itself, and writes
//!   the receiving server's `Authentication-Results` header (RFC 8601).
//!   With a [`Seal`], it also seals the message as it will leave (an ARC
//!   set, for a forwarder).
//! - [`spf`] is SPF alone for one identity, the path [`check`] takes (and
//!   the one `tests/spf_suite.rs` runs the RFC 7208 test suite through).
//! - [`sign`] adds a DKIM signature at the sender's outbound server.
//! - [`keys`] draws the keys from the scenario seed.
//!
//! mail-auth's checks are `async` only because its resolver is; here every
//! lookup is answered at once by the hooks of `resolver`, so each future is
//! ready on its first poll and no runtime is needed. Times are given (virtual
//! seconds since 1970), never read: see `timed`.

pub mod keys;
pub mod lint;
mod resolver;
mod timed;

use std::future::Future;
use std::net::{IpAddr, Ipv4Addr};
use std::pin::pin;
use std::task::{Context, Poll, Waker};

use mail_auth::arc::ArcSealer;
use mail_auth::common::headers::HeaderWriter;
use mail_auth::dkim::DkimSigner;
use mail_auth::dmarc::Policy;
use mail_auth::dmarc::verify::DmarcParameters;
use mail_auth::hickory_resolver::config::{ResolveHosts, ResolverConfig, ResolverOpts};
use mail_auth::spf::verify::SpfParameters;
use mail_auth::{
    AuthenticatedMessage, AuthenticationResults, DkimResult, DmarcResult, MessageAuthenticator,
    SpfResult,
};
use schemars::JsonSchema;
use serde::{Deserialize, Serialize};

use self::keys::{KeyPair, Signing};
use self::resolver::Hooks;
use crate::policy::dns::Dns;

/// A result, in the words of RFC 8601's registry.
#[derive(
    Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize, JsonSchema,
)]
#[serde(rename_all = "lowercase")]
pub enum Verdict {
    /// The check succeeded.
    Pass,
    /// The check failed: the domain says this sender is not allowed, or the
    /// signature does not verify.
    Fail,
    /// SPF `~all`: probably not allowed, accept but suspect.
    Softfail,
    /// SPF `?all`, or a DKIM signature that cannot be judged.
    Neutral,
    /// Nothing to check: no record, or no signature.
    None,
    /// A DNS lookup failed for now; trying later may work.
    Temperror,
    /// A record is broken: the check cannot be made until it is fixed.
    Permerror,
}

impl Verdict {
    pub fn as_str(self) -> &'static str {
        match self {
            Verdict::Pass => "pass",
            Verdict::Fail => "fail",
            Verdict::Softfail => "softfail",
            Verdict::Neutral => "neutral",
            Verdict::None => "none",
            Verdict::Temperror => "temperror",
            Verdict::Permerror => "permerror",
        }
    }
}

/// SPF for one identity: the HELO name, or the MAIL FROM domain.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct SpfCheck {
    /// The domain whose SPF record was asked.
    pub domain: String,
    pub result: Verdict,
    /// The domain's own explanation of a failure (its `exp=` text), if any.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub explanation: Option<String>,
}

/// One DKIM signature and what its check found.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct DkimCheck {
    /// The signing domain (`d=`); empty when the header could not be read.
    pub domain: String,
    /// The selector (`s=`): the key is at `<s>._domainkey.<d>`.
    pub selector: String,
    pub result: Verdict,
    /// Why it did not pass, in mailhop's words (`narrate` translates them).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub reason: Option<String>,
}

/// DMARC for the domain of the From header.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct DmarcCheck {
    /// The From header's domain (RFC5322.From), the one a reader sees.
    pub domain: String,
    pub result: Verdict,
    /// Whether SPF passed for a domain aligned with the From domain.
    pub spf_aligned: Verdict,
    /// Whether a DKIM signature passed for a domain aligned with it.
    pub dkim_aligned: Verdict,
    /// What the domain asks receivers to do with mail that fails:
    /// `none`, `quarantine` or `reject`; absent when it publishes no policy.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub policy: Option<String>,
}

/// The ARC chain the message arrived with.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ArcCheck {
    pub result: Verdict,
    /// The sealers' domains, first seal first.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub sealers: Vec<String>,
    /// The results the newest sealer recorded (its
    /// ARC-Authentication-Results), when the chain passes.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub sealed_results: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub reason: Option<String>,
}

/// Everything [`check`] found about one message.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct SenderChecks {
    pub spf_helo: SpfCheck,
    pub spf: SpfCheck,
    pub dkim: Vec<DkimCheck>,
    pub dmarc: DmarcCheck,
    pub arc: ArcCheck,
    /// The `Authentication-Results` header the receiver adds, CRLF included.
    pub header: String,
}

impl SenderChecks {
    /// The best DKIM result among the signatures (`none` without one).
    pub fn dkim_result(&self) -> Verdict {
        self.dkim
            .iter()
            .map(|d| d.result)
            .min_by_key(|v| match v {
                Verdict::Pass => 0,
                Verdict::Fail => 2,
                Verdict::None => 4,
                _ => 1,
            })
            .unwrap_or(Verdict::None)
    }
}

/// What a session knew about the message's sender.
pub struct Inbound<'a> {
    /// The connecting client's address.
    pub client_ip: &'a str,
    /// The HELO/EHLO name it gave.
    pub helo: &'a str,
    /// The envelope sender (`""` for the null sender of a bounce).
    pub mail_from: &'a str,
    /// The receiving server's host name, for the header.
    pub receiver: &'a str,
    /// The message as received.
    pub message: &'a [u8],
}

/// Sealing the message as it leaves (ARC, at a forwarder).
pub struct Seal<'a> {
    pub key: &'a KeyPair,
    pub domain: &'a str,
    pub selector: &'a str,
    /// Virtual seconds since 1970, for `t=`.
    pub now: u64,
    /// The message as it will leave (a footer added, say), without the
    /// seal.
    pub outgoing: &'a [u8],
}

/// The checker: mail-auth's authenticator, with no resolver of its own.
pub struct Authenticator(MessageAuthenticator);

impl Authenticator {
    /// Reads no system configuration: no hosts file, no name servers.
    pub fn new() -> Result<Self, String> {
        let mut opts = ResolverOpts::default();
        opts.use_hosts_file = ResolveHosts::Never;
        MessageAuthenticator::new(ResolverConfig::from_parts(None, vec![], vec![]), opts)
            .map(Authenticator)
            .map_err(|e| format!("mail-auth: {e}"))
    }
}

/// Polls a future once: mail-auth's checks are ready at once on our hooks.
fn ready<F: Future>(f: F) -> Option<F::Output> {
    match pin!(f).poll(&mut Context::from_waker(Waker::noop())) {
        Poll::Ready(v) => Some(v),
        Poll::Pending => None,
    }
}

fn spf_verdict(r: SpfResult) -> Verdict {
    match r {
        SpfResult::Pass => Verdict::Pass,
        SpfResult::Fail => Verdict::Fail,
        SpfResult::SoftFail => Verdict::Softfail,
        SpfResult::Neutral => Verdict::Neutral,
        SpfResult::TempError => Verdict::Temperror,
        SpfResult::PermError => Verdict::Permerror,
        SpfResult::None => Verdict::None,
    }
}

fn dkim_verdict(r: &DkimResult) -> (Verdict, Option<String>) {
    match r {
        DkimResult::Pass => (Verdict::Pass, None),
        DkimResult::Fail(e) => (Verdict::Fail, Some(reason(e))),
        DkimResult::Neutral(e) => (Verdict::Neutral, Some(reason(e))),
        DkimResult::TempError(e) => (Verdict::Temperror, Some(reason(e))),
        DkimResult::PermError(e) => (Verdict::Permerror, Some(reason(e))),
        DkimResult::None => (Verdict::None, None),
    }
}

fn dmarc_verdict(r: &DmarcResult) -> Verdict {
    match r {
        DmarcResult::Pass => Verdict::Pass,
        DmarcResult::Fail(_) => Verdict::Fail,
        DmarcResult::TempError(_) => Verdict::Temperror,
        DmarcResult::PermError(_) => Verdict::Permerror,
        DmarcResult::None => Verdict::None,
    }
}

/// A failure in mailhop's words (listed in `narrate::reasons`).
fn reason(e: &mail_auth::Error) -> String {
    use mail_auth::dkim::DkimError as D;
    use mail_auth::{DnsError, Error as E};
    match e {
        E::Dkim(D::FailedBodyHashMatch) => {
            "the body hash does not match: the body changed after it was signed".into()
        }
        E::Crypto(_) => {
            "the signature does not verify: a signed header changed, or the key is not the one that signed".into()
        }
        E::Dkim(D::RevokedPublicKey) => "the key was revoked (empty p=)".into(),
        E::Dkim(D::SignatureExpired) => "the signature has expired".into(),
        E::Dkim(D::FailedAuidMatch) => "the i= identity is not in the d= domain".into(),
        E::Dkim(D::SignatureLength) => "the signature covers only part of the body (l=)".into(),
        E::Dkim(D::UnsupportedAlgorithm | D::UnsupportedKeyType | D::UnsupportedVersion) => {
            "the key or the signature uses what the verifier does not support".into()
        }
        E::Dns(DnsError::RecordNotFound(_) | DnsError::InvalidRecordType) => {
            "no key is published at the selector".into()
        }
        E::Dns(DnsError::Resolver(_)) => "the key could not be looked up".into(),
        E::ParseError | E::Base64 | E::MissingParameters => {
            "the signature or the key record is malformed".into()
        }
        E::Arc(a) => match a {
            mail_auth::arc::ArcError::FailedBodyHashMatch => {
                "the body hash does not match: the body changed after it was sealed".into()
            }
            mail_auth::arc::ArcError::BrokenChain | mail_auth::arc::ArcError::InvalidCV => {
                "the chain of seals is broken".into()
            }
            _ => "an ARC header is malformed".into(),
        },
        E::NotAligned => "no passing result is aligned with the From domain".into(),
        other => format!("{other}"),
    }
}

fn policy_word(p: Policy) -> &'static str {
    match p {
        Policy::None | Policy::Unspecified => "none",
        Policy::Quarantine => "quarantine",
        Policy::Reject => "reject",
    }
}

/// What [`check`] gives back: the results, and the ARC set's header text
/// when a seal was asked (an error in words when it could not be made).
pub struct Checked {
    pub checks: SenderChecks,
    pub sealed: Option<Result<String, String>>,
}

/// SPF alone, for one identity (RFC 7208 section 2): the MAIL FROM
/// address's domain, or the HELO name when `mail_from` is empty (the null
/// sender of a bounce is checked as `postmaster@` the HELO name, section
/// 2.4). Every DNS question goes through `dns`. A `client_ip` that is not an
/// address is checked as `0.0.0.0`.
pub fn spf(
    auth: &Authenticator,
    dns: &dyn Dns,
    client_ip: &str,
    helo: &str,
    mail_from: &str,
    receiver: &str,
) -> SpfCheck {
    let ip = address(client_ip);
    let hooks = Hooks::new(dns, ip);
    match spf_output(auth, &hooks, ip, helo, mail_from, receiver) {
        Some(out) => spf_check(&out),
        None => unjudged_spf(),
    }
}

fn address(client_ip: &str) -> IpAddr {
    client_ip
        .parse()
        .unwrap_or(IpAddr::V4(Ipv4Addr::UNSPECIFIED))
}

/// mail-auth's SPF for one identity, as [`spf`] describes; `None` only if
/// mail-auth waited (never, on the hooks).
fn spf_output(
    auth: &Authenticator,
    hooks: &Hooks<'_>,
    ip: IpAddr,
    helo: &str,
    mail_from: &str,
    receiver: &str,
) -> Option<mail_auth::SpfOutput> {
    let helo = helo.trim_end_matches('.');
    let params = if mail_from.is_empty() {
        SpfParameters::verify_ehlo(ip, helo, receiver)
    } else {
        SpfParameters::verify_mail_from(ip, helo, receiver, mail_from)
    };
    ready(auth.0.verify_spf(hooks.params(params)))
}

fn spf_check(out: &mail_auth::SpfOutput) -> SpfCheck {
    SpfCheck {
        domain: out.domain().to_string(),
        result: spf_verdict(out.result()),
        explanation: out.explanation().map(str::to_string),
    }
}

fn unjudged_spf() -> SpfCheck {
    SpfCheck {
        domain: String::new(),
        result: Verdict::Temperror,
        explanation: None,
    }
}

/// Judges one message. Every DNS question goes through `dns`.
pub fn check(
    auth: &Authenticator,
    dns: &dyn Dns,
    input: &Inbound<'_>,
    seal: Option<Seal<'_>>,
) -> Checked {
    let ip = address(input.client_ip);
    let hooks = Hooks::new(dns, ip);
    let a = &auth.0;
    let helo = input.helo.trim_end_matches('.');
    // A null sender is checked as postmaster@ the HELO name (RFC 7208
    // section 2.4): the HELO identity again.
    let spf_helo = spf_output(auth, &hooks, ip, helo, "", input.receiver);
    let spf = spf_output(auth, &hooks, ip, helo, input.mail_from, input.receiver);
    let (Some(spf_helo), Some(spf)) = (spf_helo, spf) else {
        return unjudged(input);
    };
    let mail_from_domain = input.mail_from.rsplit_once('@').map_or(helo, |(_, d)| d);
    let Some(msg) = AuthenticatedMessage::parse(input.message) else {
        return unjudged(input);
    };
    let header_from = msg.from.first().cloned().unwrap_or_default();
    let Some(dkim) = ready(a.verify_dkim(hooks.params(&msg))) else {
        return unjudged(input);
    };
    let Some(arc) = ready(a.verify_arc(hooks.params(&msg))) else {
        return unjudged(input);
    };
    let Some(dmarc) = ready(a.verify_dmarc(hooks.params(DmarcParameters::new(
        &msg,
        &dkim,
        mail_from_domain,
        &spf,
    )))) else {
        return unjudged(input);
    };
    let results = AuthenticationResults::new(input.receiver)
        .with_spf_ehlo_result(&spf_helo, ip, helo)
        .with_spf_mailfrom_result(&spf, ip, input.mail_from, helo)
        .with_dkim_results(&dkim, &header_from)
        .with_dmarc_result(&dmarc)
        .with_arc_result(&arc, ip);
    let header = results.to_header();
    let dkim_checks = dkim
        .iter()
        .map(|d| {
            let (result, why) = dkim_verdict(d.result());
            DkimCheck {
                domain: d.signature().map(|s| s.d.clone()).unwrap_or_default(),
                selector: d.signature().map(|s| s.s.clone()).unwrap_or_default(),
                result,
                reason: why,
            }
        })
        .collect();
    let (arc_result, arc_reason) = dkim_verdict(arc.result());
    let sealers: Vec<String> = msg.as_headers.iter().map(|h| h.header.d.clone()).collect();
    let sealed_results = (arc_result == Verdict::Pass)
        .then(|| {
            msg.aar_headers
                .iter()
                .max_by_key(|h| h.header.i)
                .map(|h| String::from_utf8_lossy(h.value).trim().to_string())
        })
        .flatten();
    let checks = SenderChecks {
        spf_helo: spf_check(&spf_helo),
        spf: spf_check(&spf),
        dkim: dkim_checks,
        dmarc: DmarcCheck {
            domain: dmarc.domain().to_string(),
            result: dmarc_verdict(&dmarc.result()),
            spf_aligned: dmarc_verdict(dmarc.spf_result()),
            dkim_aligned: dmarc_verdict(dmarc.dkim_result()),
            policy: dmarc
                .dmarc_record()
                .map(|_| policy_word(dmarc.policy()).into()),
        },
        arc: ArcCheck {
            result: arc_result,
            sealers,
            sealed_results,
            reason: arc_reason,
        },
        header,
    };
    let sealed = seal.map(|s| {
        if !arc.can_be_sealed() {
            return Err(
                "the chain of seals it arrived with is broken (cv=fail): it cannot be sealed"
                    .into(),
            );
        }
        seal_outgoing(&s, &results, &arc)
    });
    Checked { checks, sealed }
}

fn seal_outgoing(
    s: &Seal<'_>,
    results: &AuthenticationResults<'_>,
    arc: &mail_auth::ArcOutput<'_>,
) -> Result<String, String> {
    let msg =
        AuthenticatedMessage::parse(s.outgoing).ok_or("the message cannot be read for sealing")?;
    let headers = [
        "From",
        "To",
        "Cc",
        "Subject",
        "Date",
        "Message-ID",
        "DKIM-Signature",
    ];
    let wrong = |e: mail_auth::Error| format!("the ARC seal could not be made: {e}");
    let Signing::Rsa(key) = s.key.signing()? else {
        // ARC is sealed with rsa-sha256 (RFC 8617 section 7.1).
        return Err("ARC seals need an RSA key".into());
    };
    let mut set = ArcSealer::from_key(key)
        .domain(s.domain)
        .selector(s.selector)
        .headers(headers)
        .seal(&msg, results, arc)
        .map_err(wrong)?;
    let Signing::Rsa(key) = s.key.signing()? else {
        return Err("ARC seals need an RSA key".into());
    };
    timed::arc_reseal_at(&key, &msg, &mut set, s.now).map_err(wrong)?;
    Ok(set.to_header())
}

/// What is said when mail-auth could not finish (never seen: the hooks
/// answer at once): temporary errors, nothing invented.
fn unjudged(input: &Inbound<'_>) -> Checked {
    let spf = unjudged_spf();
    Checked {
        checks: SenderChecks {
            spf_helo: spf.clone(),
            spf,
            dkim: Vec::new(),
            dmarc: DmarcCheck {
                domain: String::new(),
                result: Verdict::Temperror,
                spf_aligned: Verdict::Temperror,
                dkim_aligned: Verdict::Temperror,
                policy: None,
            },
            arc: ArcCheck {
                result: Verdict::None,
                sealers: Vec::new(),
                sealed_results: None,
                reason: None,
            },
            header: format!(
                "Authentication-Results: {}; auth=temperror\r\n",
                input.receiver
            ),
        },
        sealed: None,
    }
}

/// A DKIM signature for `message` by `domain` with the key at `selector`,
/// stamped `t=now` (virtual seconds): the header text, CRLF included, to
/// put on top of the message.
pub fn sign(
    key: &KeyPair,
    domain: &str,
    selector: &str,
    message: &[u8],
    now: u64,
) -> Result<String, String> {
    let msg = AuthenticatedMessage::parse(message).ok_or("the message cannot be read")?;
    let headers = [
        "From",
        "Reply-To",
        "To",
        "Cc",
        "Subject",
        "Date",
        "Message-ID",
        "MIME-Version",
        "Content-Type",
        "Content-Transfer-Encoding",
    ];
    let wrong = |e: mail_auth::Error| format!("the DKIM signature could not be made: {e}");
    let signature = match key.signing()? {
        Signing::Rsa(k) => timed::dkim_sign_at(
            &DkimSigner::from_key(k)
                .domain(domain)
                .selector(selector)
                .headers(headers),
            &msg,
            now,
        ),
        Signing::Ed25519(k) => timed::dkim_sign_at(
            &DkimSigner::from_key(k)
                .domain(domain)
                .selector(selector)
                .headers(headers),
            &msg,
            now,
        ),
    }
    .map_err(wrong)?;
    Ok(signature.to_header())
}

#[cfg(test)]
mod tests;

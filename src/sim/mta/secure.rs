//! A sending server's TLS policy (`tls_policy`) for mail routed by MX:
//! MTA-STS (RFC 8461), DANE (RFC 7672), REQUIRETLS's demands (RFC 8689)
//! and what TLS reports (RFC 8460) count.
//!
//! Before trying a domain's MX hosts, [`domain_policy`] looks up its
//! MTA-STS policy (the `_mta-sts` TXT record, then the policy file over
//! HTTPS from `mta-sts.<domain>`, checked like any HTTPS server), kept per
//! server for its `max_age` and used again while the record's `id` stays
//! the same, or while the record has gone missing: an attacker who hides
//! the record cannot make a server forget a policy it has. For each host,
//! [`host_rule`] reads its TLSA records when the MX answer was authentic
//! (DANE comes first, RFC 8461 section 2) and says how to talk to it.
//! Every outcome is recorded for the domain's TLS report.

use std::collections::BTreeMap;
use std::rc::Rc;

use crate::clock::SimTime;
use crate::policy::dane::{self, Tlsa};
use crate::policy::dns::{Answer, Rtype};
use crate::policy::mta_sts::{self, Mode, Policy};
use crate::policy::tlsrpt::{
    self, DateRange, FailureDetail, PolicyResult, PolicyType, Report, ReportMail, ResultType,
};
use crate::sim::discover::http;
use crate::sim::world::World;
use crate::tls::ClientVerify;
use crate::trace::{Event, TlsPolicy, TlsPolicyFailed, TlsReportSent};

/// A policy kept by a server: the record's id, the policy, and until when
/// (virtual ms) it may be used.
#[derive(Debug, Clone)]
pub struct Kept {
    id: String,
    policy: Policy,
    until: u64,
}

/// What a server remembers between deliveries: MTA-STS policies by domain,
/// and the sessions each domain's next TLS report counts.
#[derive(Debug, Default)]
pub struct Memory {
    policies: BTreeMap<(String, String), Kept>,
    /// By (node, domain): what the report will say.
    pub results: BTreeMap<(String, String), Tally>,
}

/// One domain's sessions since its last report.
#[derive(Debug, Default, Clone)]
pub struct Tally {
    /// When the first session counted happened (virtual ms).
    pub since: u64,
    /// `sts`, `tlsa` or `no-policy-found`, and the policy's text.
    pub policy_type: String,
    pub policy_string: Vec<String>,
    pub mx_hosts: Vec<String>,
    pub successful: u64,
    /// (result type, receiving host, reason), one per failed session.
    pub failures: Vec<(ResultType, String, String)>,
}

/// The domain's MTA-STS policy as this server follows it, if any.
pub struct DomainPolicy {
    pub sts: Option<Policy>,
}

/// How to talk to one MX host.
pub enum HostRule {
    /// No policy: STARTTLS when offered, any certificate (unless the node
    /// checks certificates itself).
    Opportunistic,
    /// MTA-STS: `listed` says whether the host matches the policy's `mx`.
    Sts { enforce: bool, listed: bool },
    /// DANE: the host's usable TLSA records, from signed DNS.
    Dane(Vec<Tlsa>),
    /// The host's TLSA lookup failed in a signed zone (bogus, or SERVFAIL):
    /// DANE says wait.
    DaneFailed(String),
}

impl HostRule {
    /// Whether this rule refuses to deliver where it is not met.
    pub fn enforced(&self) -> bool {
        matches!(
            self,
            HostRule::Sts { enforce: true, .. } | HostRule::Dane(_) | HostRule::DaneFailed(_)
        )
    }

    /// `mta-sts` or `dane`, for events; `None` for no policy.
    pub fn name(&self) -> Option<&'static str> {
        match self {
            HostRule::Opportunistic => None,
            HostRule::Sts { .. } => Some("mta-sts"),
            HostRule::Dane(_) | HostRule::DaneFailed(_) => Some("dane"),
        }
    }
}

/// The MTA-STS policy `node` follows for `domain` (only with
/// `tls_policy.mta_sts`), with a `tls_policy` event saying where it came
/// from or why there is none.
pub async fn domain_policy(world: &Rc<World>, node: &str, domain: &str) -> DomainPolicy {
    let wants = world
        .node(node)
        .and_then(|n| n.tls_policy.as_ref())
        .is_some_and(|p| p.mta_sts);
    if !wants {
        return DomainPolicy { sts: None };
    }
    let now = world.clock.now().as_millis();
    let key = (node.to_string(), domain.to_ascii_lowercase());
    let kept = world
        .tls_memory
        .borrow()
        .policies
        .get(&key)
        .filter(|k| k.until > now)
        .cloned();
    let record = mta_sts::parse_record(
        world
            .ask(node, &mta_sts::record_name(domain), Rtype::Txt)
            .records(),
    );
    let tell = |source: &str, policy: Option<&Policy>, id: Option<&str>, reason: Option<String>| {
        world.emit(Event::TlsPolicy(Box::new(TlsPolicy {
            node: node.into(),
            domain: domain.into(),
            policy: "mta-sts".into(),
            host: None,
            source: source.into(),
            mode: policy.map(|p| p.mode.as_str().to_string()),
            records: policy.map(|p| p.mx.clone()).unwrap_or_default(),
            id: id.map(str::to_string),
            max_age: policy.map(|p| p.max_age),
            reason,
        })));
    };
    let id = match record {
        Ok(Some(record)) => record.id,
        Ok(None) | Err(_) if kept.is_some() => {
            let kept = kept.expect("checked");
            let why = "the _mta-sts record is gone, but the policy kept from before has not expired (RFC 8461 section 5.1)".to_string();
            tell("cached", Some(&kept.policy), Some(&kept.id), Some(why));
            return found(kept.policy);
        }
        Ok(None) => {
            tell(
                "none",
                None,
                None,
                Some(format!(
                    "no TXT record at {} begins with v=STSv1",
                    mta_sts::record_name(domain)
                )),
            );
            return DomainPolicy { sts: None };
        }
        Err(why) => {
            tell("none", None, None, Some(why));
            return DomainPolicy { sts: None };
        }
    };
    if let Some(kept) = kept.filter(|k| k.id == id) {
        tell("cached", Some(&kept.policy), Some(&kept.id), None);
        return found(kept.policy);
    }
    match fetch(world, node, domain).await {
        Ok(policy) => {
            let until = now + policy.max_age.saturating_mul(1000);
            world.tls_memory.borrow_mut().policies.insert(
                key,
                Kept {
                    id: id.clone(),
                    policy: policy.clone(),
                    until,
                },
            );
            tell("fetched", Some(&policy), Some(&id), None);
            found(policy)
        }
        Err((result, why)) => {
            let name = match result {
                ResultType::StsPolicyFetchError => "sts-policy-fetch-error",
                _ => "sts-policy-invalid",
            };
            tell("none", None, Some(&id), Some(format!("{name}: {why}")));
            tally(world, node, domain, "no-policy-found", &[], |t| {
                t.failures
                    .push((result, format!("mta-sts.{domain}"), why.clone()))
            });
            DomainPolicy { sts: None }
        }
    }
}

fn found(policy: Policy) -> DomainPolicy {
    let sts = (policy.mode != Mode::None).then_some(policy);
    DomainPolicy { sts }
}

/// The policy file over HTTPS, from the host `mta-sts.<domain>`, whose
/// certificate must be valid for that name.
async fn fetch(
    world: &Rc<World>,
    node: &str,
    domain: &str,
) -> Result<Policy, (ResultType, String)> {
    let host = mta_sts::policy_host(domain);
    let ips = world.lookup_a(node, &host).unwrap_or_default();
    let Some(server) = ips.iter().find_map(|ip| world.zone.node_at(ip)) else {
        return Err((
            ResultType::StsPolicyFetchError,
            format!("{host} has no address where a server listens"),
        ));
    };
    let server = server.to_string();
    let (answer, _) = http::request(
        world,
        node,
        &server,
        &host,
        mta_sts::POLICY_PATH,
        None,
        ClientVerify::Authenticate,
    )
    .await;
    let answer = answer.map_err(|why| {
        let kind = if why.contains("TLS") || why.contains("certificate") {
            ResultType::StsWebpkiInvalid
        } else {
            ResultType::StsPolicyFetchError
        };
        (kind, why)
    })?;
    if answer.status != 200 {
        return Err((
            ResultType::StsPolicyFetchError,
            format!(
                "https://{host}{} answered {} {}",
                mta_sts::POLICY_PATH,
                answer.status,
                answer.reason
            ),
        ));
    }
    let text = String::from_utf8_lossy(&answer.body);
    mta_sts::parse_policy(&text).map_err(|why| (ResultType::StsPolicyInvalid, why))
}

/// How `node` talks to `host`, an MX host of `domain` (DANE first, when
/// the MX answer was authentic and the node validates).
pub fn host_rule(
    world: &World,
    node: &str,
    domain: &str,
    host: &str,
    mx_secure: bool,
    policy: &DomainPolicy,
) -> HostRule {
    let dane_on = world.validates_dnssec(node);
    if dane_on && mx_secure {
        let name = dane::record_name(host);
        let (answer, secure) = world.ask_secure(node, &name, Rtype::Tlsa);
        let tell = |source: &str, records: Vec<String>, reason: Option<String>| {
            world.emit(Event::TlsPolicy(Box::new(TlsPolicy {
                node: node.into(),
                domain: domain.into(),
                policy: "dane".into(),
                host: Some(host.into()),
                source: source.into(),
                mode: None,
                records,
                id: None,
                max_age: None,
                reason,
            })));
        };
        match answer {
            Answer::Records(texts) if secure => {
                let usable: Vec<Tlsa> = texts
                    .iter()
                    .filter_map(|t| dane::parse(t).ok())
                    .filter(|t| t.unusable().is_none())
                    .collect();
                if !usable.is_empty() {
                    tell("secure", texts, None);
                    return HostRule::Dane(usable);
                }
                tell(
                    "none",
                    texts,
                    Some("no TLSA record is usable for SMTP (RFC 7672 section 3.1.3)".into()),
                );
            }
            Answer::TempFail if world.is_signed(&name) => {
                let why = format!("the TLSA lookup for {name} failed in a signed zone");
                tell("none", Vec::new(), Some(why.clone()));
                return HostRule::DaneFailed(why);
            }
            _ => {}
        }
    }
    match &policy.sts {
        Some(p) => HostRule::Sts {
            enforce: p.mode == Mode::Enforce,
            listed: p.matches(host),
        },
        None => HostRule::Opportunistic,
    }
}

/// Records a host's failure to meet the rule (a `tls_policy_failed`
/// event and a line in the domain's next report).
#[allow(clippy::too_many_arguments)]
pub fn failed(
    world: &Rc<World>,
    node: &str,
    message: &str,
    domain: &str,
    host: &str,
    rule: &HostRule,
    result: ResultType,
    reason: &str,
) {
    world.emit(Event::TlsPolicyFailed(Box::new(TlsPolicyFailed {
        node: node.into(),
        message: message.into(),
        domain: domain.into(),
        host: host.into(),
        policy: rule.name().unwrap_or("none").into(),
        result: result.as_str().into(),
        reason: reason.into(),
        enforced: rule.enforced(),
    })));
    count(world, node, domain, rule, |t| {
        t.failures
            .push((result, host.to_string(), reason.to_string()))
    });
}

/// Records a session that met the rule, for the domain's next report.
pub fn succeeded(world: &Rc<World>, node: &str, domain: &str, rule: &HostRule) {
    count(world, node, domain, rule, |t| t.successful += 1);
}

/// What the report of a domain counts, under the rule's policy.
fn count(world: &Rc<World>, node: &str, domain: &str, rule: &HostRule, f: impl FnOnce(&mut Tally)) {
    let kind = match rule {
        HostRule::Sts { .. } => "sts",
        HostRule::Dane(_) | HostRule::DaneFailed(_) => "tlsa",
        HostRule::Opportunistic => "no-policy-found",
    };
    let policy_string = match rule {
        HostRule::Dane(records) => records.iter().map(ToString::to_string).collect(),
        _ => Vec::new(),
    };
    tally(world, node, domain, kind, &policy_string, f);
}

fn tally(
    world: &Rc<World>,
    node: &str,
    domain: &str,
    kind: &str,
    policy_string: &[String],
    f: impl FnOnce(&mut Tally),
) {
    let key = (node.to_string(), domain.to_ascii_lowercase());
    let mut memory = world.tls_memory.borrow_mut();
    let first = !memory.results.contains_key(&key);
    let tally = memory.results.entry(key.clone()).or_insert_with(|| Tally {
        since: world.clock.now().as_millis(),
        ..Tally::default()
    });
    if tally.policy_type.is_empty() || kind != "no-policy-found" {
        tally.policy_type = kind.to_string();
    }
    if !policy_string.is_empty() {
        tally.policy_string = policy_string.to_vec();
    }
    f(tally);
    drop(memory);
    let every = world
        .node(node)
        .and_then(|n| n.tls_policy.as_ref())
        .and_then(|p| p.reports);
    if let (true, Some(every)) = (first, every) {
        let world = world.clone();
        let busy = world.busy();
        tokio::task::spawn_local(async move {
            tokio::time::sleep(std::time::Duration::from_millis(every.as_millis())).await;
            report(&world, &key.0, &key.1);
            drop(busy);
        });
    }
}

/// Sends `domain` the report of what `node` counted, to the `rua` address
/// of its `_smtp._tls` record (RFC 8460): a message queued like any other,
/// with the null sender so that it can never bounce back and forth.
fn report(world: &Rc<World>, node: &str, domain: &str) {
    let Some(tally) = world
        .tls_memory
        .borrow_mut()
        .results
        .remove(&(node.to_string(), domain.to_string()))
    else {
        return;
    };
    let record = tlsrpt::parse_record(
        world
            .ask(node, &tlsrpt::record_name(domain), Rtype::Txt)
            .records(),
    );
    let Some(to) = record
        .ok()
        .flatten()
        .and_then(|r| r.mailto().next().map(str::to_string))
    else {
        return;
    };
    let start = world.clock.unix_at(SimTime(tally.since));
    let end = world.clock.unix_now();
    let rfc3339 = |unix: i64| format!("{}Z", crate::clock::format_calendar(unix).replace(' ', "T"));
    let queue_id = world.new_queue_id();
    let report_id = format!("{queue_id}@{node}");
    let sender_ip = world.zone.ip_of(node);
    let mut details: BTreeMap<(ResultType, String), (u64, String)> = BTreeMap::new();
    for (result, host, reason) in &tally.failures {
        let e = details
            .entry((*result, host.clone()))
            .or_insert((0, reason.clone()));
        e.0 += 1;
    }
    let failed = tally.failures.len() as u64;
    let policy_type = match tally.policy_type.as_str() {
        "sts" => PolicyType::Sts,
        "tlsa" => PolicyType::Tlsa,
        _ => PolicyType::NoPolicyFound,
    };
    let report = Report {
        organization_name: node.to_string(),
        date_range: DateRange {
            start_datetime: rfc3339(start),
            end_datetime: rfc3339(end),
        },
        contact_info: format!("postmaster@{node}"),
        report_id: report_id.clone(),
        policies: vec![PolicyResult {
            policy_type,
            policy_string: tally.policy_string.clone(),
            policy_domain: domain.to_string(),
            mx_host: tally.mx_hosts.clone(),
            total_successful: tally.successful,
            total_failure: failed,
            failure_details: details
                .into_iter()
                .map(|((result_type, host), (count, reason))| FailureDetail {
                    result_type,
                    sending_mta_ip: sender_ip.clone(),
                    receiving_ip: world
                        .scenario
                        .nodes
                        .contains_key(&host)
                        .then(|| world.zone.ip_of(&host)),
                    receiving_mx_hostname: host,
                    failed_session_count: count,
                    failure_reason_code: Some(reason),
                })
                .collect(),
        }],
    };
    let from = format!("noreply-smtp-tls-reporting@{node}");
    let data = tlsrpt::report_message(
        &report,
        &ReportMail {
            from: &from,
            to: &to,
            date: end,
            message_id: &report_id,
            report_domain: domain,
            submitter: node,
            range: (start, end),
        },
    );
    let message = world.message_id_for(Some(&format!("<{report_id}>")));
    world.emit(Event::TlsReportSent(Box::new(TlsReportSent {
        node: node.into(),
        domain: domain.into(),
        message: message.clone(),
        to: to.clone(),
        successful: tally.successful,
        failed,
    })));
    super::take_in(
        world,
        super::Entry {
            node: node.to_string(),
            message,
            queue_id,
            sender: String::new(),
            pending: vec![to],
            data,
            arrived: world.clock.now().as_millis(),
            require_tls: false,
        },
    );
}

/// The RFC 8460 result type a failed session's reason points to.
pub fn result_of(reason: &str) -> ResultType {
    let lower = reason.to_ascii_lowercase();
    if lower.contains("did not offer starttls") || lower.contains("not offer starttls") {
        ResultType::StarttlsNotSupported
    } else if lower.contains("dane") {
        ResultType::ValidationFailure
    } else if lower.contains("expired") {
        ResultType::CertificateExpired
    } else if lower.contains("name") || lower.contains("notvalidforname") {
        ResultType::CertificateHostMismatch
    } else if lower.contains("certificate") || lower.contains("issuer") || lower.contains("self") {
        ResultType::CertificateNotTrusted
    } else {
        ResultType::ValidationFailure
    }
}

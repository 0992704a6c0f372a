//! What a mail client needs to find its servers from an address alone: the
//! names a server answers to (`aliases`), the SRV records of a domain, the
//! files its web server publishes (`web`) and the clients that `discover`.

use std::collections::BTreeSet;

use super::locate::JsonPath;
use super::{Problems, is_host_name, nearest};
use crate::scenario::model::{DnsRecords, Fetch, MailSettings, Node, Scenario, StartTls};

/// A server's `aliases`: host names, each naming one machine only.
pub(super) fn check_aliases(
    p: &mut Problems<'_>,
    at: &JsonPath,
    s: &Scenario,
    name: &str,
    node: &Node,
) {
    let mut seen = BTreeSet::new();
    for (i, alias) in node.aliases.iter().enumerate() {
        let here = at.key("aliases").index(i);
        let alias = alias.trim_end_matches('.').to_ascii_lowercase();
        if !is_host_name(&alias) {
            p.at(
                &here,
                format!("`{alias}` is not a host name"),
                Some("write a DNS name like `imap.example.test`".into()),
            );
            continue;
        }
        if !seen.insert(alias.clone()) || alias == name.to_ascii_lowercase() {
            p.at(
                &here,
                format!("`{alias}` is already a name of `{name}`"),
                Some("list each other name once, and not the node's own name".into()),
            );
            continue;
        }
        let owner = s.nodes.iter().find(|(other, n)| {
            *other != name
                && (other.eq_ignore_ascii_case(&alias)
                    || n.aliases
                        .iter()
                        .any(|a| a.trim_end_matches('.').eq_ignore_ascii_case(&alias)))
        });
        if let Some((other, _)) = owner {
            p.at(
                &here,
                format!("`{alias}` is already a name of `{other}`: one name, one machine"),
                Some(format!(
                    "remove it here or from `{other}`; to share a name between machines, give it an A record under `dns`"
                )),
            );
        }
    }
}

/// The SRV records of one owner name (RFC 2782): service labels in the
/// name, a port, and a target that resolves, or a lone `.` for "not offered".
pub(super) fn check_srv(
    p: &mut Problems<'_>,
    at: &JsonPath,
    owner: &str,
    records: &DnsRecords,
    a_names: &BTreeSet<String>,
    servers: &[&str],
) {
    if records.srv.is_empty() {
        return;
    }
    let labels: Vec<&str> = owner.split('.').collect();
    if labels.len() < 3 || !labels[0].starts_with('_') || !labels[1].starts_with('_') {
        p.warn(
            &at.key("SRV"),
            format!("`{owner}` does not look like a service name: SRV records live under `_service._proto.domain`"),
            Some("for mail clients: `_imaps._tcp.example.test`, `_imap._tcp`, `_pop3s._tcp`, `_pop3._tcp`, `_submissions._tcp`, `_submission._tcp` (RFC 6186, RFC 8314)".into()),
        );
    }
    let nulls = records.srv.iter().filter(|r| r.is_null()).count();
    for (i, record) in records.srv.iter().enumerate() {
        let here = at.key("SRV").index(i);
        if record.is_null() {
            if records.srv.len() > 1 {
                p.at(
                    &here.key("target"),
                    "a target of `.` says the domain does not offer this service: it must be the only SRV record of its name",
                    Some("RFC 2782: write the `.` record alone, or remove it".into()),
                );
            }
            continue;
        }
        let target = record.target.trim_end_matches('.').to_ascii_lowercase();
        if !is_host_name(&target) {
            p.at(
                &here.key("target"),
                format!("`{}` is not a host name", record.target),
                Some(
                    "name the server, like `mail.example.test`, or `.` for a service not offered"
                        .into(),
                ),
            );
            continue;
        }
        if record.port == 0 {
            p.at(
                &here.key("port"),
                "port 0 is no port a client can connect to",
                Some("for example 993 for IMAP over TLS, 587 for submission".into()),
            );
        }
        if !a_names.contains(&target) && nulls == 0 {
            let hint = match nearest(&target, servers.iter().copied()) {
                Some(best) => format!("did you mean `{best}`?"),
                None => "name a server node or one of its `aliases`, or give the name an A record under `dns`".into(),
            };
            p.warn(
                &here.key("target"),
                format!(
                    "`{}` has no address: a client that finds this record cannot connect",
                    record.target
                ),
                Some(hint),
            );
        }
    }
}

/// A mail client that finds its servers: the search finds the port too.
pub(super) fn check_discover(p: &mut Problems<'_>, at: &JsonPath, fetch: &Fetch) {
    if let Some(port) = fetch.port {
        p.at(
            &at.key("port"),
            format!("port {port} would be ignored: a client that discovers its servers learns their ports"),
            Some("remove `port`, or name the `server` instead of `discover`".into()),
        );
    }
}

/// A server's `web`: it needs TLS, and what it publishes must make sense.
pub(super) fn check_web(p: &mut Problems<'_>, at: &JsonPath, s: &Scenario, node: &Node) {
    let Some(web) = &node.web else {
        return;
    };
    let at = at.key("web");
    if node.starttls == StartTls::None {
        p.at_key(
            &at,
            "a web server here speaks HTTPS, and this server has no TLS (`\"starttls\": \"none\"`)",
            Some(
                "remove `\"starttls\": \"none\"`, so the server has a certificate, or remove `web`"
                    .into(),
            ),
        );
    }
    let published = [
        ("autoconfig", web.autoconfig.as_ref()),
        ("autodiscover", web.autodiscover.as_ref()),
    ];
    for (key, settings) in published {
        if let Some(settings) = settings {
            check_settings(p, &at.key(key), s, settings);
        }
    }
}

/// The servers a file names: at least one to read with, real host names
/// and ports, and names that resolve (a warning: teaching a broken file is
/// allowed).
fn check_settings(p: &mut Problems<'_>, at: &JsonPath, s: &Scenario, settings: &MailSettings) {
    if settings.incoming.is_empty() {
        p.at_key(
            &at.key("incoming"),
            "a mail client needs at least one server to read mail with",
            Some("for example `{\"protocol\": \"imap\", \"host\": \"mail.example.test\", \"port\": 993, \"socket_type\": \"ssl\"}`".into()),
        );
    }
    for (key, count) in [
        ("incoming", settings.incoming.len()),
        ("outgoing", settings.outgoing.len()),
    ] {
        if count > MailSettings::MAX_SERVERS {
            p.at_key(
                &at.key(key),
                format!(
                    "{count} servers is more than the {} a file may list",
                    MailSettings::MAX_SERVERS
                ),
                Some("list the few a client should try, best first".into()),
            );
        }
    }
    let known: BTreeSet<String> = s
        .nodes
        .iter()
        .filter(|(_, n)| n.role.is_server())
        .flat_map(|(name, n)| std::iter::once(name).chain(&n.aliases))
        .chain(
            s.dns
                .iter()
                .filter(|(_, r)| !r.a.is_empty())
                .map(|(o, _)| o),
        )
        .map(|n| n.trim_end_matches('.').to_ascii_lowercase())
        .collect();
    let servers = settings
        .incoming
        .iter()
        .map(|i| (&i.host, i.port))
        .enumerate()
        .map(|(i, x)| (at.key("incoming").index(i), x))
        .chain(
            settings
                .outgoing
                .iter()
                .enumerate()
                .map(|(i, o)| (at.key("outgoing").index(i), (&o.host, o.port))),
        );
    for (here, (host, port)) in servers {
        let host = host.trim_end_matches('.').to_ascii_lowercase();
        if !is_host_name(&host) {
            p.at(
                &here.key("host"),
                format!("`{host}` is not a host name"),
                Some("write a DNS name like `mail.example.test`".into()),
            );
        } else if !known.contains(&host) {
            let hint = match nearest(&host, known.iter().map(String::as_str)) {
                Some(best) => format!("did you mean `{best}`?"),
                None => "name a server node or one of its `aliases`".into(),
            };
            p.warn(
                &here.key("host"),
                format!("`{host}` has no address: a client that reads this file cannot connect"),
                Some(hint),
            );
        }
        if port == 0 {
            p.at(
                &here.key("port"),
                "port 0 is no port a client can connect to",
                Some("for example 993 (IMAP over TLS) or 587 (submission)".into()),
            );
        }
    }
}

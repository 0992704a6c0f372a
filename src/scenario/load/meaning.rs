//! The meaning of a scenario that parsed: references between nodes, roles
//! that fit their fields, addresses, DNS, faults, the script and captions.
//! Each problem goes to [`Problems`] with its JSON path and a hint.

use std::collections::{BTreeMap, BTreeSet};
use std::net::Ipv4Addr;

use super::expectations::check_expectation;
use super::locate::JsonPath;
use super::{
    Problems, START_EARLIEST, START_LATEST, is_address, is_host_name, is_owner_name, is_slug,
    nearest,
};
use crate::scenario::model::{Node, Retrieval, Role, Scenario, StartTls, Typing};

/// Checks that need the whole parsed scenario: references, roles, formats.
pub(super) fn check_meaning(s: &Scenario, p: &mut Problems<'_>) {
    let root = JsonPath::root();
    let node_names: Vec<&str> = s.nodes.keys().map(String::as_str).collect();
    let names_of = |pred: &dyn Fn(Role) -> bool| -> Vec<&str> {
        s.nodes
            .iter()
            .filter(|(_, n)| pred(n.role))
            .map(|(k, _)| k.as_str())
            .collect()
    };
    let servers = names_of(&|r| r.is_server());
    let muas = names_of(&|r| r == Role::Mua);
    let senders: BTreeSet<&str> = s
        .script
        .iter()
        .filter_map(|step| step.send.as_ref())
        .map(|send| send.from.as_str())
        .collect();
    let typists: BTreeSet<&str> = s
        .script
        .iter()
        .filter_map(|step| step.typing.as_ref())
        .map(|typing| typing.by.as_str())
        .collect();

    // Refers to a node; `wanted` narrows which nodes fit.
    let refer = |p: &mut Problems<'_>, path: JsonPath, name: &str, wanted: &[&str], what: &str| {
        if wanted.contains(&name) {
            return;
        }
        let message = if node_names.contains(&name) {
            format!("`{name}` is a node, but not {what}")
        } else {
            format!("there is no node named `{name}`")
        };
        let hint = match nearest(name, wanted.iter().copied()) {
            Some(best) => Some(format!("did you mean `{best}`?")),
            None if wanted.is_empty() => Some(format!("add {what} under `nodes`")),
            None => Some(format!("valid here: {}", wanted.join(", "))),
        };
        p.at(&path, message, hint);
    };

    if !is_slug(&s.id) {
        p.at(
            &root.key("id"),
            format!("`{}` is not a valid id", s.id),
            Some("use lowercase letters, digits and single dashes, like `six-hops`".into()),
        );
    }
    match crate::clock::parse_start(&s.start) {
        None => p.at(
            &root.key("start"),
            format!("`{}` is not a date and time", s.start),
            Some("write it in UTC like `2026-01-05T09:00:00Z`".into()),
        ),
        Some(unix) if !(START_EARLIEST..=START_LATEST).contains(&unix) => p.at(
            &root.key("start"),
            format!("`{}` is outside the years mailhop can simulate", s.start),
            Some("pick a date between 1980 and 2999: certificates, Date headers and TLS all need a real calendar".into()),
        ),
        Some(_) => {}
    }
    if s.nodes.is_empty() {
        p.at(
            &root.key("nodes"),
            "a world needs at least one node",
            Some("add a mail client (role `mua`) and the servers it talks to".into()),
        );
    }

    let mut addresses: BTreeMap<Ipv4Addr, &str> = BTreeMap::new();
    for (name, node) in &s.nodes {
        let at = root.key("nodes").key(name);
        if node.role.is_server() && !is_host_name(name) {
            p.at_key(
                &at,
                format!(
                    "`{name}` is a server, so its name is its DNS host name, and this is not one"
                ),
                Some("use letters, digits, dashes and dots, like `mail.home.test`".into()),
            );
        }
        check_server_settings(p, &at, node);
        super::senders::check_node(p, &at, node);
        super::pgp::check_node(p, &at, node);
        super::discovery::check_aliases(p, &at, s, name, node);
        super::discovery::check_web(p, &at, s, node);
        super::tls_policy::check_node(p, &at, s, name, node);
        super::edge::check_node(p, &at, s, name, node, &servers, &refer);
        super::attack::check_node(p, &at, s, name, node, &refer);
        let server_fields: [(&str, bool); 24] = [
            ("aliases", !node.aliases.is_empty()),
            ("web", node.web.is_some()),
            ("mailboxes", !node.mailboxes.is_empty()),
            ("accounts", !node.accounts.is_empty()),
            ("relay_domains", !node.relay_domains.is_empty()),
            ("relay_for", !node.relay_for.is_empty()),
            ("open_relay", node.open_relay),
            ("relay", node.relay.is_some()),
            ("forward", !node.forward.is_empty()),
            ("listen", node.listen.is_some()),
            ("postmaster", node.postmaster.is_some()),
            ("refuse", !node.refuse.is_empty()),
            ("delay_warning", node.delay_warning.is_some()),
            ("connection_cache", node.connection_cache.is_some()),
            ("checks", node.checks.is_some()),
            ("routes", !node.routes.is_empty()),
            ("dkim", node.dkim.is_some()),
            ("check_senders", node.check_senders.is_some()),
            ("arc", node.arc.is_some()),
            ("forward_to", !node.forward_to.is_empty()),
            ("forwarding", node.forwarding.is_some()),
            ("spam", node.spam.is_some()),
            ("tlsa", node.tlsa),
            ("requiretls", node.requiretls),
        ];
        let client_fields: [(&str, bool); 4] = [
            ("user", node.user.is_some()),
            ("password", node.password.is_some()),
            ("submit", node.submit.is_some()),
            ("fetch", node.fetch.is_some()),
        ];
        if node.role == Role::Mua {
            // A stranger's computer that only types SMTP by hand has no
            // account anywhere: it needs neither `user` nor `submit`.
            let only_types = typists.contains(name.as_str()) && !senders.contains(name.as_str());
            for (field, used) in server_fields {
                if used {
                    p.at_key(
                        &at.key(field),
                        format!(
                            "`{field}` belongs to servers, and `{name}` is a mail client (mua)"
                        ),
                        Some(
                            "move it to the server this client submits to, or change the role"
                                .into(),
                        ),
                    );
                }
            }
            match &node.user {
                Some(user) if !is_address(user) => p.at(
                    &at.key("user"),
                    format!("`{user}` is not an e-mail address"),
                    Some("write it like `alice@home.test`".into()),
                ),
                Some(_) => {}
                None if only_types => {}
                None => p.at_key(
                    &at,
                    "a mail client needs a `user`: the address of the person using it",
                    Some("add `\"user\": \"alice@home.test\"`".into()),
                ),
            }
            // A device that only reads mail (a phone set up for IMAP) needs no `submit`.
            let only_reads = node.fetch.is_some() && !senders.contains(name.as_str());
            match &node.submit {
                Some(server) => refer(p, at.key("submit"), server, &servers, "a server"),
                None if only_types || only_reads => {}
                // A client that finds its servers finds the one it sends with too.
                None if node.fetch.as_ref().is_some_and(|f| f.discover) => {}
                None => p.at_key(
                    &at,
                    "a mail client needs `submit`: the server it hands outgoing mail to",
                    Some(match servers.first() {
                        Some(first) => format!("add `\"submit\": \"{first}\"`"),
                        None => "add a server node and name it in `submit`".into(),
                    }),
                ),
            }
            if let Some(fetch) = &node.fetch {
                check_fetch(s, name, node, fetch, &at, &servers, p, &refer);
            }
        } else {
            for (field, used) in client_fields {
                if used {
                    p.at_key(
                        &at.key(field),
                        format!(
                            "`{field}` belongs to mail clients, and `{name}` is a server ({})",
                            node.role.as_str()
                        ),
                        Some("submission accounts of a server go in `accounts`".into()),
                    );
                }
            }
        }
        for (i, mailbox) in node.mailboxes.iter().enumerate() {
            if !is_address(mailbox) {
                p.at(
                    &at.key("mailboxes").index(i),
                    format!("`{mailbox}` is not an e-mail address"),
                    Some("write it like `bob@friend.test`".into()),
                );
            }
        }
        for account in node.accounts.keys() {
            if !is_address(account) {
                p.at_key(
                    &at.key("accounts").key(account),
                    format!("`{account}` is not an e-mail address"),
                    Some(
                        "accounts are addresses with a password: `\"alice@home.test\": \"secret\"`"
                            .into(),
                    ),
                );
            }
        }
        for (i, domain) in node.relay_domains.iter().enumerate() {
            if !is_host_name(domain) {
                p.at(
                    &at.key("relay_domains").index(i),
                    format!("`{domain}` is not a domain name"),
                    Some("write the part after the @, like `friend.test`".into()),
                );
            }
        }
        for (i, client) in node.relay_for.iter().enumerate() {
            refer(
                p,
                at.key("relay_for").index(i),
                client,
                &node_names,
                "a node",
            );
        }
        let other_servers: Vec<&str> = servers.iter().copied().filter(|s| s != name).collect();
        if let Some(relay) = &node.relay {
            refer(p, at.key("relay"), relay, &other_servers, "another server");
        }
        for (i, next) in node.forward.iter().enumerate() {
            refer(
                p,
                at.key("forward").index(i),
                next,
                &other_servers,
                "another server",
            );
        }
        if let Some(address) = &node.address {
            match address.parse::<Ipv4Addr>() {
                Err(_) => p.at(
                    &at.key("address"),
                    format!("`{address}` is not an IPv4 address"),
                    Some(
                        "write four numbers, like `192.0.2.25`, or leave it out to get one".into(),
                    ),
                ),
                Ok(ip) => {
                    if let Some(other) = addresses.insert(ip, name) {
                        p.at(
                            &at.key("address"),
                            format!("`{address}` is already the address of `{other}`"),
                            Some(
                                "every node needs its own address; leave it out to get a free one"
                                    .into(),
                            ),
                        );
                    }
                }
            }
        }
        let retry = &node.retry;
        if retry.first.as_millis() == 0 || retry.max < retry.first {
            p.at(
                &at.key("retry"),
                format!(
                    "retry delays must grow from `first` ({}) up to `max` ({}), and `first` cannot be zero",
                    retry.first, retry.max
                ),
                Some("for example `{\"first\": \"5m\", \"max\": \"1h\", \"lifetime\": \"5d\"}`".into()),
            );
        }
        if node.role != Role::Mua && node.submit_port != 587 {
            p.at_key(
                &at.key("submit_port"),
                format!("`submit_port` belongs to mail clients, and `{name}` is a server"),
                None,
            );
        }
        if let Some(server) = node.submit.as_deref().and_then(|n| s.nodes.get(n))
            && let Some(listen) = &server.listen
            && !listen.contains_key(&node.submit_port)
        {
            let ports: Vec<String> = listen.keys().map(u16::to_string).collect();
            p.warn(
                &at.key("submit"),
                format!(
                    "`{name}` submits to port {} of `{}`, whose `listen` does not include it: the connection will be refused",
                    node.submit_port,
                    node.submit.as_deref().unwrap_or_default()
                ),
                Some(format!(
                    "it listens on {}; set `submit_port` to one of them or add {} to its `listen`",
                    ports.join(", "),
                    node.submit_port
                )),
            );
        }
    }

    super::edge::check_edge(p, s, &servers, &refer);

    for (i, link) in s.links.iter().enumerate() {
        let at = root.key("links").index(i).key("between");
        for (j, end) in link.between.iter().enumerate() {
            refer(p, at.index(j), end, &node_names, "a node");
        }
        if link.between[0] == link.between[1] {
            p.at(&at, "a link joins two different nodes", None);
        }
    }

    let a_names: BTreeSet<String> = s
        .dns
        .iter()
        .filter(|(_, r)| !r.a.is_empty())
        .map(|(owner, _)| owner.trim_end_matches('.').to_ascii_lowercase())
        .chain(servers.iter().map(|s| s.to_ascii_lowercase()))
        .chain(
            s.nodes
                .values()
                .filter(|n| n.role.is_server())
                .flat_map(|n| &n.aliases)
                .map(|a| a.trim_end_matches('.').to_ascii_lowercase()),
        )
        .collect();
    super::senders::check_zone(p, &root, s);
    super::attack::check_dnssec(p, s);
    super::tls_policy::check_zone(p, &root, s);
    for (owner, records) in &s.dns {
        let at = root.key("dns").key(owner);
        super::discovery::check_srv(p, &at, owner, records, &a_names, &servers);
        if !is_owner_name(owner.trim_end_matches('.')) {
            p.at_key(
                &at,
                format!("`{owner}` is not a DNS name"),
                Some("use letters, digits, dashes and dots, like `friend.test`".into()),
            );
        }
        for (i, mx) in records.mx.iter().enumerate() {
            let host = mx.host.trim_end_matches('.').to_ascii_lowercase();
            if host.is_empty() {
                if records.mx.len() > 1 || mx.preference != 0 {
                    p.at(
                        &at.key("MX").index(i).key("host"),
                        "a null MX (`.`) says the domain takes no mail: it must be the only MX record, with preference 0",
                        Some("RFC 7505: write `\"MX\": [{\"preference\": 0, \"host\": \".\"}]` alone, or name a real host".into()),
                    );
                }
                continue;
            }
            if let Some(node) = s.nodes.get(&host)
                && node.starttls == StartTls::Require
            {
                p.warn(
                    &at.key("MX").index(i).key("host"),
                    format!("`{host}` is a public MX but requires STARTTLS: servers that cannot do TLS will never get mail through"),
                    Some("RFC 3207 section 4: a publicly referenced SMTP server must not require STARTTLS; use `\"starttls\": \"offer\"` unless that failure is the lesson".into()),
                );
            }
            if !a_names.contains(&host) {
                let path = at.key("MX").index(i).key("host");
                let hint = match nearest(&host, servers.iter().copied()) {
                    Some(best) => format!("did you mean `{best}`?"),
                    None => format!(
                        "name a server node ({}) or give `{host}` an A record under `dns`",
                        servers.join(", ")
                    ),
                };
                p.warn(
                    &path,
                    format!("`{}` has no address: no server node has this name and the zone gives it no A record; mail for this domain will be deferred, then bounced", mx.host),
                    Some(hint),
                );
            }
        }
        for (i, a) in records.a.iter().enumerate() {
            if a.parse::<Ipv4Addr>().is_err() {
                p.at(
                    &at.key("A").index(i),
                    format!("`{a}` is not an IPv4 address"),
                    Some("write four numbers, like `192.0.2.25`".into()),
                );
            }
        }
    }

    for (i, fault) in s.faults.iter().enumerate() {
        let at = root.key("faults").index(i);
        refer(p, at.key("down"), &fault.down, &node_names, "a node");
        if let Some(until) = fault.until
            && until <= fault.from
        {
            p.at(
                &at.key("until"),
                format!(
                    "the node comes back at {until}, which is not after it goes down at {}",
                    fault.from
                ),
                Some(
                    "`until` must be later than `from`; leave it out to keep the node down".into(),
                ),
            );
        }
    }

    for (i, step) in s.script.iter().enumerate() {
        let at = root.key("script").index(i);
        let keys = step.action_keys();
        match keys.as_slice() {
            [_] => {}
            [] => p.at(
                &at,
                "this step does nothing: it has none of `send`, `type`, `fetch` and `file`",
                Some(
                    "add `\"send\": {\"from\": ..., \"to\": [...]}` to send from a mail client, `\"type\": {\"by\": ..., \"to\": ..., \"lines\": [...]}` to type SMTP by hand, or `\"fetch\": {\"by\": ...}` to read mail"
                        .into(),
                ),
            ),
            [first, .., last] => p.at_key(
                &at.key(last),
                format!("a step does one thing, and this one has both `{first}` and `{last}`"),
                Some("split it into steps, each with its own `at`".into()),
            ),
        }
        if let Some(send) = &step.send {
            let at = at.key("send");
            refer(
                p,
                at.key("from"),
                &send.from,
                &muas,
                "a mail client (role `mua`)",
            );
            if send.to.is_empty() {
                p.at(
                    &at.key("to"),
                    "a message needs at least one recipient",
                    Some("add an address, like `[\"bob@friend.test\"]`".into()),
                );
            }
            if send.save_sent
                && s.nodes
                    .get(&send.from)
                    .and_then(|n| n.fetch.as_ref())
                    .map(|f| f.protocol)
                    != Some(Retrieval::Imap)
            {
                p.at_key(
                    &at.key("save_sent"),
                    format!(
                        "`{}` cannot save a sent copy: the Sent folder lives on an IMAP server, and this client reads no mail by IMAP",
                        send.from
                    ),
                    Some("give the client `\"fetch\": {\"server\": ..., \"protocol\": \"imap\"}`, or remove `save_sent`".into()),
                );
            }
            super::pgp::check_send(p, &at, s, send);
            for (j, to) in send.to.iter().enumerate() {
                if !is_address(to) {
                    p.at(
                        &at.key("to").index(j),
                        format!("`{to}` is not an e-mail address"),
                        Some("write it like `bob@friend.test`".into()),
                    );
                }
            }
        }
        if let Some(typing) = &step.typing {
            check_typing(typing, &at.key("type"), &node_names, &servers, p, &refer);
        }
        let readers: Vec<&str> = s
            .nodes
            .iter()
            .filter(|(_, n)| n.role == Role::Mua && n.fetch.is_some())
            .map(|(k, _)| k.as_str())
            .collect();
        if let Some(fetch) = &step.fetch {
            let at = at.key("fetch");
            refer(
                p,
                at.key("by"),
                &fetch.by,
                &readers,
                "a mail client with `fetch`",
            );
            let protocol = s
                .nodes
                .get(&fetch.by)
                .and_then(|n| n.fetch.as_ref())
                .map(|f| f.protocol);
            if fetch.idle.is_some() && protocol == Some(Retrieval::Pop3) {
                p.at_key(
                    &at.key("idle"),
                    format!(
                        "`{}` reads mail with POP3, which has no IDLE: it can only ask again later",
                        fetch.by
                    ),
                    Some(
                        "remove `idle` and add more `fetch` steps, or switch the client to IMAP"
                            .into(),
                    ),
                );
            }
        }
        if let Some(file) = &step.file {
            let at = at.key("file");
            refer(
                p,
                at.key("by"),
                &file.by,
                &readers,
                "a mail client with `fetch`",
            );
            let protocol = s
                .nodes
                .get(&file.by)
                .and_then(|n| n.fetch.as_ref())
                .map(|f| f.protocol);
            if protocol == Some(Retrieval::Pop3) {
                p.at_key(
                    &at.key("by"),
                    format!("`{}` reads mail with POP3, which has only the INBOX: there are no folders to file into", file.by),
                    Some("switch the client to `\"protocol\": \"imap\"`".into()),
                );
            }
            if file.folder.trim().is_empty()
                || file.folder.len() > 100
                || file
                    .folder
                    .chars()
                    .any(|c| c.is_control() || c == '*' || c == '%')
            {
                p.at(
                    &at.key("folder"),
                    format!("`{}` is not a folder name mailhop can create", file.folder),
                    Some("use a short name like `Junk` or `Receipts`".into()),
                );
            }
        }
        if step.at > s.until {
            p.at(
                &at.key("at"),
                format!(
                    "this happens at {}, after the run ends at {}",
                    step.at, s.until
                ),
                Some("move it earlier or raise `until`".into()),
            );
        }
    }

    for (i, expectation) in s.expect.iter().enumerate() {
        check_expectation(
            expectation,
            &root.key("expect").index(i),
            &node_names,
            &servers,
            p,
            &refer,
        );
    }

    // The page shows the first caption written for a moment.
    let mut captioned: BTreeMap<&str, usize> = BTreeMap::new();
    for (i, caption) in s.captions.iter().enumerate() {
        let at = root.key("captions").index(i);
        if let Some(&first) = captioned.get(caption.on.as_str()) {
            let spot = super::locate::locate(p.text, &root.key("captions").index(first).key("on"))
                .map_or(0, |spot| spot.value);
            let (line, column) = super::locate::line_column(p.text, spot);
            p.at(
                &at.key("on"),
                format!(
                    "the caption on `{}` is never shown: the caption at line {line}, column {column} is shown on that moment",
                    caption.on
                ),
                Some("the page shows one caption per moment: merge the two texts, or move this one to another moment".into()),
            );
        } else {
            captioned.insert(&caption.on, i);
        }
        let valid_on = caption.on == "start"
            || caption.on == "end"
            || ["hop:", "session:", "stored:", "blocked:"]
                .iter()
                .any(|kind| {
                    caption
                        .on
                        .strip_prefix(kind)
                        .and_then(|n| n.parse::<u32>().ok())
                        .is_some_and(|n| n >= 1)
                });
        if !valid_on {
            p.at(
                &at.key("on"),
                format!("`{}` is not a moment of the run", caption.on),
                Some(
                    "use `start`, `end`, `hop:N` (N counting hops from 1, like `hop:3`), \
                     `session:N` (the Nth connection that moved no message), `stored:N` \
                     (the Nth copy written without a hop, such as a notification) or \
                     `blocked:N` (the Nth connection a network rule dropped)"
                        .into(),
                ),
            );
        }
        for (lang, text) in [("en", &caption.en), ("pt", &caption.pt)] {
            if text.trim().is_empty() {
                p.at(
                    &at.key(lang),
                    "this caption is empty",
                    Some(
                        "every caption is shown in English (`en`) and Brazilian Portuguese (`pt`)"
                            .into(),
                    ),
                );
            }
        }
    }
}

/// Signature of the node-reference check in [`check_meaning`].
pub(super) type Refer<'r> = dyn Fn(&mut Problems<'_>, JsonPath, &str, &[&str], &str) + 'r;

/// A `type` step: who types, to which server and port, and lines a person
/// could type (one line each, within SMTP's line length, not endless).
fn check_typing(
    typing: &Typing,
    at: &JsonPath,
    nodes: &[&str],
    servers: &[&str],
    p: &mut Problems<'_>,
    refer: &Refer<'_>,
) {
    refer(p, at.key("by"), &typing.by, nodes, "a node");
    refer(p, at.key("to"), &typing.to, servers, "a server");
    if typing.port == 0 {
        p.at(
            &at.key("port"),
            "port 0 is not a port anything listens on",
            Some(
                "SMTP between servers is 25, submission 587 (465 with TLS from the first byte)"
                    .into(),
            ),
        );
    }
    if typing.lines.is_empty() {
        p.at(
            &at.key("lines"),
            "there is nothing to type",
            Some("add the lines, like `[\"EHLO stranger.test\", \"QUIT\"]`".into()),
        );
    }
    if typing.lines.len() > Typing::MAX_LINES {
        p.at(
            &at.key("lines"),
            format!(
                "{} lines is more than one step may type (at most {})",
                typing.lines.len(),
                Typing::MAX_LINES
            ),
            Some("split the session into several `type` steps".into()),
        );
    }
    for (i, line) in typing.lines.iter().enumerate() {
        if line.contains(['\r', '\n']) {
            p.at(
                &at.key("lines").index(i),
                "a line cannot contain a line break",
                Some(
                    "put each line in a string of its own: the typist ends every line with CRLF"
                        .into(),
                ),
            );
        } else if line.len() > Typing::MAX_LINE {
            p.at(
                &at.key("lines").index(i),
                format!(
                    "this line is {} bytes long, more than the {} an SMTP line may have",
                    line.len(),
                    Typing::MAX_LINE
                ),
                Some("RFC 5321 allows 1000 bytes with the CRLF; shorten it or split it".into()),
            );
        }
    }
}

/// The settings of the second pass: listeners, postmaster, hop limit and
/// imposed replies.
fn check_server_settings(p: &mut Problems<'_>, at: &JsonPath, node: &Node) {
    if let Some(postmaster) = &node.postmaster
        && !node
            .mailboxes
            .iter()
            .any(|m| m.eq_ignore_ascii_case(postmaster))
    {
        p.at(
            &at.key("postmaster"),
            format!("`{postmaster}` is not a mailbox on this server"),
            Some("name one of this node's `mailboxes`, or add it there".into()),
        );
    }
    if node.hop_limit == 0 {
        p.at(
            &at.key("hop_limit"),
            "a hop limit of 0 would refuse every message",
            Some("leave it out for Postfix's 50, or give a small number like 5 to show a loop quickly".into()),
        );
    }
    if let Some(listen) = &node.listen
        && listen.is_empty()
    {
        p.at(
            &at.key("listen"),
            "this server listens on no port, so nobody can reach it",
            Some("for example `{\"25\": \"smtp\", \"587\": \"submission\"}`, or leave `listen` out for the defaults".into()),
        );
    }
    for (i, refusal) in node.refuse.iter().enumerate() {
        let here = at.key("refuse").index(i);
        match crate::proto::smtp::Reply::parse_line(&refusal.reply) {
            Some(reply) if reply.code >= 400 && !reply.lines[0].is_empty() => {}
            _ => p.at(
                &here.key("reply"),
                format!("`{}` is not a refusal an SMTP server could send", refusal.reply),
                Some("write a 4xx or 5xx code, a space and the text, like `451 4.7.1 Try again later`".into()),
            ),
        }
        if let Some(until) = refusal.until
            && until <= refusal.from
        {
            p.at(
                &here.key("until"),
                format!("`until` ({until}) is not after `from` ({})", refusal.from),
                Some("the refusal holds from `from` up to `until`; leave `until` out for the whole run".into()),
            );
        }
    }
}

/// A mail client's `fetch`: a server that keeps the user's mailbox, an account there, a port
/// that runs the protocol, and options that fit the protocol.
#[allow(clippy::too_many_arguments)]
fn check_fetch(
    s: &Scenario,
    name: &str,
    node: &Node,
    fetch: &crate::scenario::model::Fetch,
    node_at: &JsonPath,
    servers: &[&str],
    p: &mut Problems<'_>,
    refer: &Refer<'_>,
) {
    let at = &node_at.key("fetch");
    if fetch.delete && fetch.protocol == Retrieval::Imap {
        p.at_key(
            &at.key("delete"),
            "`delete` is a POP3 setting: an IMAP client leaves mail on the server",
            Some("remove `delete`, or use `\"protocol\": \"pop3\"`".into()),
        );
    }
    if fetch.folder != "INBOX" && fetch.protocol == Retrieval::Pop3 {
        p.at_key(
            &at.key("folder"),
            "POP3 reads only the INBOX: `folder` is an IMAP setting",
            Some("remove `folder`, or use `\"protocol\": \"imap\"`".into()),
        );
    }
    if node.password.is_none() {
        p.at_key(
            node_at,
            format!("`{name}` reads mail, so it needs the `password` it logs in with"),
            Some("add `\"password\": \"...\"` to the client".into()),
        );
    }
    let server_name = match (&fetch.server, fetch.discover) {
        (Some(server), false) => server,
        (None, true) => return super::discovery::check_discover(p, at, fetch),
        (Some(_), true) => {
            return p.at_key(
                &at.key("discover"),
                "`server` and `discover` both say where to read mail: a client is told its server or finds it, not both",
                Some("remove `server` to let the client find it, or remove `discover`".into()),
            );
        }
        (None, false) => {
            return p.at_key(
                at,
                "a mail client's `fetch` needs the `server` that keeps the mailbox",
                Some("add `\"server\": ...`, or `\"discover\": true` to let the client find it from its address".into()),
            );
        }
    };
    let keepers: Vec<&str> = servers
        .iter()
        .copied()
        .filter(|n| s.nodes.get(*n).is_some_and(|x| !x.mailboxes.is_empty()))
        .collect();
    refer(
        p,
        at.key("server"),
        server_name,
        &keepers,
        "a server with `mailboxes`",
    );
    let Some(server) = s.nodes.get(server_name).filter(|x| !x.mailboxes.is_empty()) else {
        return;
    };
    if let Some(user) = &node.user {
        let user_lc = user.to_ascii_lowercase();
        if !server
            .mailboxes
            .iter()
            .any(|m| m.to_ascii_lowercase() == user_lc)
        {
            p.at(
                &at.key("server"),
                format!("`{}` keeps no mailbox for `{user}`, so `{name}` has nothing to read there", server_name),
                Some(format!("add `{user}` to the `mailboxes` of `{}`, or point `server` at the machine that keeps it", server_name)),
            );
        } else if !server
            .accounts
            .keys()
            .any(|a| a.to_ascii_lowercase() == user_lc)
        {
            p.at(
                &at.key("server"),
                format!("`{}` has no login for `{user}`: a mail client reads a mailbox only after logging in", server_name),
                Some(format!("add `\"accounts\": {{\"{user}\": \"...\"}}` to `{}` (the same password as the client's)", server_name)),
            );
        }
    }
    let port = fetch.port();
    let wanted: &[crate::scenario::model::Service] = match fetch.protocol {
        Retrieval::Imap => &[
            crate::scenario::model::Service::Imap,
            crate::scenario::model::Service::Imaps,
        ],
        Retrieval::Pop3 => &[
            crate::scenario::model::Service::Pop3,
            crate::scenario::model::Service::Pop3s,
        ],
    };
    if let Some(listen) = &server.listen
        && !listen.get(&port).is_some_and(|svc| wanted.contains(svc))
    {
        p.at(
            &at.key(if fetch.port.is_some() {
                "port"
            } else {
                "protocol"
            }),
            format!(
                "`{}` does not run {} on port {port}: its `listen` says otherwise",
                server_name,
                fetch.protocol.as_str().to_ascii_uppercase()
            ),
            Some(format!(
                "add `\"{port}\": \"{}\"` to its `listen`, or pick a port it runs",
                fetch.protocol.as_str()
            )),
        );
    }
}

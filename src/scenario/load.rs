//! Loading a scenario: from text to a checked [`Scenario`], or to a list of
//! problems an instructor can act on.
//!
//! Loading runs in three passes, and each reports every problem it finds
//! rather than stopping at the first:
//!
//! 1. **Syntax and shape**: `serde_json` through `serde_path_to_error`, so a
//!    wrong type, a misspelt key or an unknown role comes back with its JSON
//!    path and the position `serde_json` stopped at.
//! 2. **Keys written twice**: `serde_json` silently keeps the last of two
//!    equal keys in a map (two nodes with one name), which would hide half a
//!    world; [`locate::duplicate_keys`] finds them.
//! 3. **Meaning**: names that must refer to nodes, roles that must fit the
//!    fields used, addresses, dates, captions. These run on the parsed value
//!    and use [`locate::locate`] to find where in the text each one was written.
//!
//! Every [`Problem`] names file, line, column and JSON path, says what is
//! wrong and, where it can, what would be valid ("did you mean `relay`?").

use std::collections::{BTreeMap, BTreeSet};
use std::fmt;
use std::net::Ipv4Addr;
use std::path::Path;

use super::expect::Expectation;
use super::locate::{self, JsonPath};
use super::model::{Role, Scenario, StartTls, Typing};

/// One thing wrong with a scenario file, and where.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Problem {
    /// The file as the user named it.
    pub file: String,
    /// 1-based line; 0 when the problem concerns the whole file.
    pub line: usize,
    /// 1-based column, counted in characters.
    pub column: usize,
    /// JSON path of the value at fault (`nodes."alice-laptop".submit`), empty for the top.
    pub path: String,
    /// What is wrong.
    pub message: String,
    /// What would be valid, or how to fix it.
    pub hint: Option<String>,
    /// A warning does not stop the scenario from running: it points at
    /// something a real system would get wrong too (an MX host without an
    /// address), which an instructor may want to show on purpose.
    pub warning: bool,
}

impl fmt::Display for Problem {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}", self.file)?;
        if self.line > 0 {
            write!(f, ":{}:{}", self.line, self.column)?;
        }
        f.write_str(if self.warning { ": warning" } else { ": error" })?;
        if !self.path.is_empty() {
            write!(f, " at {}", self.path)?;
        }
        write!(f, ": {}", self.message)?;
        if let Some(hint) = &self.hint {
            write!(f, "\n  hint: {hint}")?;
        }
        Ok(())
    }
}

/// Every problem found in one scenario file.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LoadError {
    pub problems: Vec<Problem>,
}

impl fmt::Display for LoadError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        for (i, problem) in self.problems.iter().enumerate() {
            if i > 0 {
                f.write_str("\n")?;
            }
            write!(f, "{problem}")?;
        }
        Ok(())
    }
}

impl std::error::Error for LoadError {}

/// 1980-01-01T00:00:00Z and 2999-12-31T23:59:59Z: the range of `start`.
const START_EARLIEST: i64 = 315_532_800;
const START_LATEST: i64 = 32_503_679_999;

/// Reads and checks a scenario file (warnings are dropped: see
/// [`load_file_with_warnings`]).
pub fn load_file(path: &Path) -> Result<Scenario, LoadError> {
    load_file_with_warnings(path).map(|(scenario, _)| scenario)
}

/// Reads and checks a scenario file, keeping the warnings.
pub fn load_file_with_warnings(path: &Path) -> Result<(Scenario, Vec<Problem>), LoadError> {
    let name = path.display().to_string();
    match std::fs::read(path) {
        Ok(bytes) => match String::from_utf8(bytes) {
            Ok(text) => load_str_with_warnings(&name, &text),
            Err(err) => {
                let valid = err.utf8_error().valid_up_to();
                let before = String::from_utf8_lossy(&err.as_bytes()[..valid]);
                let (line, column) = locate::line_column(&before, before.len());
                Err(LoadError {
                    problems: vec![Problem {
                        file: name,
                        line,
                        column,
                        path: String::new(),
                        warning: false,
                        message: format!(
                            "the file is not UTF-8 text: byte 0x{:02X} cannot start or continue a character here",
                            err.as_bytes()[valid]
                        ),
                        hint: Some(
                            "save the file as UTF-8 (JSON files must be UTF-8; \"Latin-1\" or \"Windows-1252\" editors write other bytes for letters like é or ç)"
                                .into(),
                        ),
                    }],
                })
            }
        },
        Err(err) => Err(LoadError {
            problems: vec![Problem {
                file: name,
                line: 0,
                column: 0,
                path: String::new(),
                warning: false,
                message: format!("cannot read the file: {err}"),
                hint: Some(
                    "check the path; scenarios are JSON files such as scenarios/six-hops.json"
                        .into(),
                ),
            }],
        }),
    }
}

/// Checks scenario text; `file` is the name used in problems.
pub fn load_str(file: &str, text: &str) -> Result<Scenario, LoadError> {
    load_str_with_warnings(file, text).map(|(scenario, _)| scenario)
}

/// Checks scenario text; a scenario with only warnings loads, and they are
/// returned beside it.
pub fn load_str_with_warnings(
    file: &str,
    text: &str,
) -> Result<(Scenario, Vec<Problem>), LoadError> {
    let mut problems = Problems {
        file,
        text,
        list: Vec::new(),
    };
    let mut deserializer = serde_json::Deserializer::from_str(text);
    let parsed: Result<Scenario, _> = serde_path_to_error::deserialize(&mut deserializer);
    let scenario = match parsed {
        Ok(scenario) => scenario,
        Err(err) => {
            problems.shape(err.inner(), &JsonPath::from(err.path()));
            return Err(LoadError {
                problems: problems.list,
            });
        }
    };
    if let Err(err) = deserializer.end() {
        problems.shape(&err, &JsonPath::root());
        return Err(LoadError {
            problems: problems.list,
        });
    }
    for duplicate in locate::duplicate_keys(text) {
        let (line, column) = locate::line_column(text, duplicate.first);
        problems.at_offset(
            duplicate.again,
            &duplicate.path,
            "this key is written twice in the same object; only the last one would count"
                .to_string(),
            Some(format!(
                "the first one is at line {line}, column {column}; give each a different name or merge them"
            )),
        );
    }
    check_meaning(&scenario, &mut problems);
    problems.list.sort_by_key(|p| (p.line, p.column));
    if problems.list.iter().all(|p| p.warning) {
        Ok((scenario, problems.list))
    } else {
        Err(LoadError {
            problems: problems.list,
        })
    }
}

/// The JSON Schema of scenario files, pretty-printed.
pub fn schema_json() -> String {
    let schema = schemars::schema_for!(Scenario);
    serde_json::to_string_pretty(&schema).expect("a schema is plain JSON")
}

/// Collects problems for one file.
struct Problems<'a> {
    file: &'a str,
    text: &'a str,
    list: Vec<Problem>,
}

impl Problems<'_> {
    fn at_offset(&mut self, offset: usize, path: &JsonPath, message: String, hint: Option<String>) {
        let (line, column) = locate::line_column(self.text, offset);
        self.push(line, column, path, message, hint);
    }

    fn push(
        &mut self,
        line: usize,
        column: usize,
        path: &JsonPath,
        message: String,
        hint: Option<String>,
    ) {
        self.list.push(Problem {
            file: self.file.to_string(),
            line,
            column,
            path: path.to_string(),
            message,
            hint,
            warning: false,
        });
    }

    /// Like [`at`](Self::at), as a warning.
    fn warn(&mut self, path: &JsonPath, message: impl Into<String>, hint: Option<String>) {
        self.at(path, message, hint);
        if let Some(last) = self.list.last_mut() {
            last.warning = true;
        }
    }

    /// A problem with the value at `path` (or, failing that, the nearest
    /// enclosing value that can be found).
    fn at(&mut self, path: &JsonPath, message: impl Into<String>, hint: Option<String>) {
        let offset = locate::locate(self.text, path)
            .map(|spot| spot.value)
            .unwrap_or(0);
        self.at_offset(offset, path, message.into(), hint);
    }

    /// A problem with the key at `path` itself (a node's name, a DNS owner).
    fn at_key(&mut self, path: &JsonPath, message: impl Into<String>, hint: Option<String>) {
        let offset = locate::locate(self.text, path)
            .map(|spot| spot.key.unwrap_or(spot.value))
            .unwrap_or(0);
        self.at_offset(offset, path, message.into(), hint);
    }

    /// A syntax or shape error from serde.
    fn shape(&mut self, inner: &serde_json::Error, path: &JsonPath) {
        let full = inner.to_string();
        // serde_json appends " at line L column C"; we print the position ourselves.
        let message = match full.rfind(" at line ") {
            Some(cut) => full[..cut].to_string(),
            None => full,
        };
        let hint = shape_hint(inner, &message);
        // The valid names go to the hint, next to the nearest one.
        let message = match (message.split_once(", expected one of"), &hint) {
            (Some((head, _)), Some(_)) => head.to_string(),
            _ => message,
        };
        let (line, column) = if inner.line() == 0 {
            locate::line_column(self.text, self.text.len())
        } else {
            (inner.line(), inner.column().max(1))
        };
        self.push(line, column, path, message, hint);
    }
}

/// The settings of the second pass: listeners, postmaster, hop limit and
/// imposed replies.
fn check_server_settings(p: &mut Problems<'_>, at: &JsonPath, node: &super::model::Node) {
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

/// What to do about a serde error, when we can tell.
fn shape_hint(err: &serde_json::Error, message: &str) -> Option<String> {
    use serde_json::error::Category;
    match err.classify() {
        Category::Eof => Some(
            "the file ends too early: a closing `}` or `]`, or the end of a string, is missing"
                .into(),
        ),
        Category::Syntax => Some(
            "check for a missing comma between items, a trailing comma before `}` or `]`, or a key without double quotes"
                .into(),
        ),
        Category::Io => None,
        Category::Data => {
            for what in ["unknown field", "unknown variant"] {
                if let Some(hint) = nearest_from_message(message, what) {
                    return Some(hint);
                }
            }
            if message.starts_with("missing field") {
                return Some("add it: `mailhop schema` lists every field and what it means".into());
            }
            if message.starts_with("invalid type") && message.contains("expected u16") {
                return Some("ports and other numbers are written without quotes, like 25".into());
            }
            if message.starts_with("invalid type") {
                return Some(
                    "durations and names are strings in double quotes (\"90s\"), lists use [ ], objects use { }"
                        .into(),
                );
            }
            None
        }
    }
}

/// For "unknown field `relya`, expected one of `role`, `relay`" style
/// messages: the nearest valid name and the list of valid ones.
fn nearest_from_message(message: &str, what: &str) -> Option<String> {
    let rest = message.strip_prefix(what)?.trim_start();
    let wrong = rest.strip_prefix('`')?.split('`').next()?;
    let valid: Vec<&str> = rest
        .split_once("expected ")
        .map(|(_, list)| {
            list.split('`')
                .enumerate()
                .filter(|(i, _)| i % 2 == 1)
                .map(|(_, name)| name)
                .collect()
        })
        .unwrap_or_default();
    if valid.is_empty() {
        return Some(format!("`{wrong}` is not accepted here"));
    }
    let list = valid
        .iter()
        .map(|v| format!("`{v}`"))
        .collect::<Vec<_>>()
        .join(", ");
    Some(match nearest(wrong, valid.iter().copied()) {
        Some(best) => format!("did you mean `{best}`? valid here: {list}"),
        None => format!("valid here: {list}"),
    })
}

/// The candidate closest to `wrong`, if any is close enough to be a typo.
pub(crate) fn nearest<'a>(
    wrong: &str,
    candidates: impl IntoIterator<Item = &'a str>,
) -> Option<&'a str> {
    let wrong_lower = wrong.to_ascii_lowercase();
    candidates
        .into_iter()
        .map(|c| {
            (
                strsim::jaro_winkler(&wrong_lower, &c.to_ascii_lowercase()),
                c,
            )
        })
        .filter(|(score, _)| *score >= 0.75)
        .max_by(|a, b| a.0.total_cmp(&b.0))
        .map(|(_, c)| c)
}

/// Checks that need the whole parsed scenario: references, roles, formats.
fn check_meaning(s: &Scenario, p: &mut Problems<'_>) {
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
        let server_fields: [(&str, bool); 11] = [
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
        ];
        let client_fields: [(&str, bool); 3] = [
            ("user", node.user.is_some()),
            ("password", node.password.is_some()),
            ("submit", node.submit.is_some()),
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
            match &node.submit {
                Some(server) => refer(p, at.key("submit"), server, &servers, "a server"),
                None if only_types => {}
                None => p.at_key(
                    &at,
                    "a mail client needs `submit`: the server it hands outgoing mail to",
                    Some(match servers.first() {
                        Some(first) => format!("add `\"submit\": \"{first}\"`"),
                        None => "add a server node and name it in `submit`".into(),
                    }),
                ),
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
        .collect();
    for (owner, records) in &s.dns {
        let at = root.key("dns").key(owner);
        if !is_host_name(owner.trim_end_matches('.')) {
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
        match (&step.send, &step.typing) {
            (Some(_), Some(_)) => p.at_key(
                &at.key("type"),
                "a step does one thing, and this one has both `send` and `type`",
                Some("split it into two steps, each with its own `at`".into()),
            ),
            (None, None) => p.at(
                &at,
                "this step does nothing: it has neither `send` nor `type`",
                Some(
                    "add `\"send\": {\"from\": ..., \"to\": [...]}` to send from a mail client, or `\"type\": {\"by\": ..., \"to\": ..., \"lines\": [...]}` to type SMTP by hand"
                        .into(),
                ),
            ),
            _ => {}
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

    for (i, caption) in s.captions.iter().enumerate() {
        let at = root.key("captions").index(i);
        let valid_on = caption.on == "start"
            || caption.on == "end"
            || caption
                .on
                .strip_prefix("hop:")
                .and_then(|n| n.parse::<u32>().ok())
                .is_some_and(|n| n >= 1);
        if !valid_on {
            p.at(
                &at.key("on"),
                format!("`{}` is not a moment of the run", caption.on),
                Some(
                    "use `start`, `end` or `hop:N` with N counting hops from 1, like `hop:3`"
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
type Refer<'r> = dyn Fn(&mut Problems<'_>, JsonPath, &str, &[&str], &str) + 'r;

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

/// Names in an expectation must refer to nodes; addresses and patterns must parse.
fn check_expectation(
    expectation: &Expectation,
    at: &JsonPath,
    nodes: &[&str],
    servers: &[&str],
    p: &mut Problems<'_>,
    refer: &Refer<'_>,
) {
    let address = |p: &mut Problems<'_>, path: JsonPath, text: &str| {
        if !is_address(text) {
            p.at(
                &path,
                format!("`{text}` is not an e-mail address"),
                Some("write it like `bob@friend.test`".into()),
            );
        }
    };
    let message = |p: &mut Problems<'_>, path: JsonPath, id: &str| {
        let valid = id.strip_prefix('m').is_some_and(|n| {
            !n.is_empty() && n.bytes().all(|b| b.is_ascii_digit()) && !n.starts_with('0')
        });
        if !valid {
            p.at(
                &path,
                format!("`{id}` is not a message of the run"),
                Some("messages are numbered in the order they are written: `m1`, `m2`, ... (`mailhop run` shows them)".into()),
            );
        }
    };
    match expectation {
        Expectation::Delivered(d) => address(p, at.key("delivered").key("to"), &d.to),
        Expectation::NotDelivered(d) => address(p, at.key("not_delivered").key("to"), &d.to),
        Expectation::Bounced(b) => {
            let at = at.key("bounced");
            if let Some(r) = &b.recipient {
                address(p, at.key("recipient"), r);
            }
            if let Some(n) = &b.notify {
                address(p, at.key("notify"), n);
            }
            if let Some(status) = &b.status {
                let parts: Vec<&str> = status.split('.').collect();
                let valid = parts.len() == 3
                    && ["2", "4", "5"].contains(&parts[0])
                    && parts[1..].iter().all(|x| {
                        !x.is_empty() && x.len() <= 3 && x.bytes().all(|b| b.is_ascii_digit())
                    });
                if !valid {
                    p.at(
                        &at.key("status"),
                        format!("`{status}` is not an enhanced status code"),
                        Some(
                            "write class.subject.detail as in RFC 3463, like `5.1.1` or `4.4.7`"
                                .into(),
                        ),
                    );
                }
            }
        }
        Expectation::QueuedAtEnd(q) => {
            refer(
                p,
                at.key("queued_at_end").key("node"),
                &q.node,
                servers,
                "a server",
            );
            if let Some(r) = &q.recipient {
                address(p, at.key("queued_at_end").key("recipient"), r);
            }
        }
        Expectation::Hops(_) => {}
        Expectation::Hop(h) => {
            let at = at.key("hop");
            if let Some(from) = &h.from {
                refer(p, at.key("from"), from, nodes, "a node");
            }
            if let Some(to) = &h.to {
                refer(p, at.key("to"), to, servers, "a server");
            }
            if let Some(m) = &h.message {
                message(p, at.key("message"), m);
            }
            if h.index == Some(0) {
                p.at(&at.key("index"), "hops count from 1", None);
            }
        }
        Expectation::ReadableAtRestBy(r) | Expectation::NotReadableBy(r) => {
            let kind = if matches!(expectation, Expectation::ReadableAtRestBy(_)) {
                "readable_at_rest_by"
            } else {
                "not_readable_by"
            };
            for (i, node) in r.nodes.iter().enumerate() {
                refer(p, at.key(kind).key("nodes").index(i), node, nodes, "a node");
            }
            message(p, at.key(kind).key("message"), &r.message);
        }
        Expectation::Wire(w) => {
            for (i, end) in w.between.iter().enumerate() {
                refer(
                    p,
                    at.key("wire").key("between").index(i),
                    end,
                    nodes,
                    "a node",
                );
            }
            if w.text.is_empty() {
                p.at(
                    &at.key("wire").key("text"),
                    "the text to look for is empty",
                    None,
                );
            }
        }
        Expectation::Reply(r) => {
            refer(p, at.key("reply").key("node"), &r.node, servers, "a server");
            if !(200..=599).contains(&r.code) {
                p.at(
                    &at.key("reply").key("code"),
                    format!("{} is not an SMTP reply code", r.code),
                    Some("reply codes run from 200 to 599, such as 250, 354, 450, 550".into()),
                );
            }
        }
        Expectation::Header(h) => {
            address(p, at.key("header").key("to"), &h.to);
            if let Some(pattern) = &h.matches
                && let Err(err) = regex::Regex::new(pattern)
            {
                let first = err.to_string();
                let first = first.lines().last().unwrap_or("").trim().to_string();
                p.at(
                    &at.key("header").key("matches"),
                    format!("`{pattern}` is not a regular expression: {first}"),
                    Some(
                        "escape special characters with a backslash (in JSON, two: `\\\\.`)".into(),
                    ),
                );
            }
        }
    }
}

/// Lowercase letters, digits and single dashes: `six-hops`.
fn is_slug(id: &str) -> bool {
    !id.is_empty()
        && id.split('-').all(|part| {
            !part.is_empty()
                && part
                    .bytes()
                    .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit())
        })
}

/// A DNS host name: labels of letters, digits and inner dashes.
fn is_host_name(name: &str) -> bool {
    !name.is_empty()
        && name.len() <= 253
        && name.split('.').all(|label| {
            !label.is_empty()
                && label.len() <= 63
                && !label.starts_with('-')
                && !label.ends_with('-')
                && label
                    .bytes()
                    .all(|b| b.is_ascii_alphanumeric() || b == b'-')
        })
}

/// `local@domain` with a plain local part and a host name as the domain.
fn is_address(address: &str) -> bool {
    match address.rsplit_once('@') {
        Some((local, domain)) => {
            !local.is_empty()
                && local
                    .bytes()
                    .all(|b| b.is_ascii_graphic() && !b"<>()[]\\,;:@\"".contains(&b))
                && is_host_name(domain)
        }
        None => false,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const GOOD: &str = r#"{
  "id": "tiny",
  "title": {"en": "Tiny", "pt": "Pequeno"},
  "nodes": {
    "a-laptop": {"role": "mua", "user": "a@x.test", "submit": "mail.x.test"},
    "mail.x.test": {"role": "mta", "accounts": {"a@x.test": "pw"}, "mailboxes": ["b@x.test"]}
  },
  "script": [{"at": "0s", "send": {"from": "a-laptop", "to": ["b@x.test"]}}]
}"#;

    fn problems(text: &str) -> Vec<Problem> {
        load_str("t.json", text)
            .expect_err("should be invalid")
            .problems
    }

    fn one(text: &str) -> Problem {
        let mut list = problems(text);
        assert_eq!(list.len(), 1, "{list:#?}");
        list.remove(0)
    }

    #[test]
    fn a_good_file_loads() {
        let s = load_str("t.json", GOOD).unwrap();
        assert_eq!(s.nodes.len(), 2);
    }

    #[test]
    fn misspelt_role_suggests_the_nearest() {
        let p = one(&GOOD.replace(r#""role": "mta""#, r#""role": "mtaa""#));
        assert_eq!(
            (p.line, p.path.as_str()),
            (6, r#"nodes."mail.x.test".role"#)
        );
        assert!(p.message.contains("unknown variant `mtaa`"), "{p}");
        assert!(
            p.hint
                .as_deref()
                .unwrap()
                .starts_with("did you mean `mta`?"),
            "{p}"
        );
    }

    #[test]
    fn misspelt_field_suggests_the_nearest() {
        let p = one(&GOOD.replace(r#""submit":"#, r#""submti":"#));
        assert_eq!(p.line, 5);
        assert!(p.message.contains("unknown field `submti`"), "{p}");
        assert!(
            p.hint
                .as_deref()
                .unwrap()
                .starts_with("did you mean `submit`?"),
            "{p}"
        );
    }

    #[test]
    fn misspelt_node_name_suggests_the_nearest() {
        let p = one(&GOOD.replace(r#""submit": "mail.x.test""#, r#""submit": "mail.y.test""#));
        assert_eq!((p.line, p.column), (5, 63));
        assert_eq!(p.path, r#"nodes."a-laptop".submit"#);
        assert_eq!(p.message, "there is no node named `mail.y.test`");
        assert_eq!(p.hint.as_deref(), Some("did you mean `mail.x.test`?"));
        assert_eq!(
            p.to_string(),
            "t.json:5:63: error at nodes.\"a-laptop\".submit: there is no node named `mail.y.test`\n  hint: did you mean `mail.x.test`?"
        );
    }

    #[test]
    fn syntax_error_has_line_and_column() {
        let p = one(&GOOD.replace(r#""id": "tiny","#, r#""id": "tiny""#));
        assert_eq!((p.line, p.column), (3, 3));
        assert!(p.message.starts_with("expected `,` or `}`"), "{p}");
    }

    #[test]
    fn truncated_file_points_at_its_end() {
        let p = one(&GOOD[..GOOD.len() - 20]);
        assert!(p.message.contains("EOF"), "{p}");
        assert!(p.hint.unwrap().contains("ends too early"));
    }

    #[test]
    fn bad_duration_names_its_path() {
        let p = one(&GOOD.replace(r#""at": "0s""#, r#""at": "soon""#));
        assert_eq!(p.path, "script[0].at");
        assert_eq!(p.line, 8);
        assert!(p.message.contains("`soon` is not a duration"), "{p}");
    }

    #[test]
    fn duplicate_node_is_reported_at_the_second() {
        let text = GOOD.replace(
            r#""mail.x.test": {"role": "mta","#,
            r#""a-laptop": {"role": "mua", "user": "a@x.test", "submit": "mail.x.test"}, "mail.x.test": {"role": "mta","#,
        );
        let p = one(&text);
        assert_eq!(p.path, r#"nodes."a-laptop""#);
        assert_eq!(p.line, 6);
        assert!(p.hint.unwrap().contains("line 5, column 5"));
    }

    #[test]
    fn many_problems_are_all_reported() {
        let text = GOOD
            .replace(r#""id": "tiny""#, r#""id": "Tiny One""#)
            .replace(r#""to": ["b@x.test"]"#, r#""to": ["bob"]"#)
            .replace(r#""from": "a-laptop""#, r#""from": "mail.x.test""#);
        let list = problems(&text);
        let paths: Vec<&str> = list.iter().map(|p| p.path.as_str()).collect();
        assert_eq!(paths, ["id", "script[0].send.from", "script[0].send.to[0]"]);
        assert_eq!(
            list[1].message,
            "`mail.x.test` is a node, but not a mail client (role `mua`)"
        );
    }

    #[test]
    fn roles_and_fields_must_fit() {
        let text = GOOD.replace(
            r#""role": "mta", "accounts""#,
            r#""role": "mta", "user": "m@x.test", "accounts""#,
        );
        let p = one(&text);
        assert_eq!(p.path, r#"nodes."mail.x.test".user"#);
        assert!(p.message.contains("belongs to mail clients"), "{p}");
    }

    #[test]
    fn mx_host_without_address_is_a_warning_with_a_hint() {
        let text = GOOD.replace(
            r#""script""#,
            r#""dns": {"x.test": {"MX": [{"preference": 10, "host": "mail.x.tset"}]}}, "script""#,
        );
        let (_, warnings) = load_str_with_warnings("t.json", &text).expect("still loads");
        let [p] = &warnings[..] else {
            panic!("{warnings:#?}");
        };
        assert!(p.warning);
        assert_eq!(p.path, r#"dns."x.test".MX[0].host"#);
        assert_eq!(p.hint.as_deref(), Some("did you mean `mail.x.test`?"));
        assert!(p.to_string().contains(": warning at dns."), "{p}");
    }

    #[test]
    fn imposed_replies_must_be_refusals_in_a_window() {
        let text = GOOD.replace(
            r#""role": "mta","#,
            r#""role": "mta", "refuse": [{"phase": "rcpt", "reply": "250 fine", "from": "1h", "until": "5m"}],"#,
        );
        let list = problems(&text);
        assert_eq!(list.len(), 2, "{list:#?}");
        assert_eq!(list[0].path, r#"nodes."mail.x.test".refuse[0].reply"#);
        assert!(list[0].hint.as_deref().unwrap().contains("451 4.7.1"));
        assert_eq!(list[1].path, r#"nodes."mail.x.test".refuse[0].until"#);
        let postmaster = GOOD.replace(
            r#""role": "mta","#,
            r#""role": "mta", "postmaster": "nobody@x.test","#,
        );
        assert!(
            one(&postmaster)
                .message
                .contains("not a mailbox on this server")
        );
    }

    #[test]
    fn a_client_submitting_to_a_closed_port_is_warned() {
        let text = GOOD.replace(
            r#""role": "mta","#,
            r#""role": "mta", "listen": {"25": "smtp", "465": "submissions"},"#,
        );
        let (_, warnings) = load_str_with_warnings("t.json", &text).expect("loads");
        assert_eq!(warnings.len(), 1, "{warnings:#?}");
        assert!(warnings[0].message.contains("port 587"), "{}", warnings[0]);
        assert!(warnings[0].hint.as_deref().unwrap().contains("25, 465"));
    }

    #[test]
    fn a_start_outside_1980_to_2999_is_refused() {
        let p = one(&GOOD.replace(
            r#""id": "tiny","#,
            r#""id": "tiny", "start": "0000-01-01T00:00:00Z","#,
        ));
        assert_eq!(p.path, "start");
        assert!(p.hint.unwrap().contains("between 1980 and 2999"));
    }

    #[test]
    fn a_file_that_is_not_utf8_gets_its_line_and_column() {
        let dir = std::env::temp_dir().join(format!("mailhop-latin1-{}", std::process::id()));
        std::fs::create_dir_all(&dir).unwrap();
        let file = dir.join("latin1.json");
        let mut bytes = b"{\n  \"id\": \"x\",\n  \"title\": {\"en\": \"Caf".to_vec();
        bytes.push(0xE9);
        bytes.extend_from_slice(b"\", \"pt\": \"x\"}\n}\n");
        std::fs::write(&file, &bytes).unwrap();
        let err = load_file(&file).unwrap_err();
        let p = &err.problems[0];
        assert_eq!((p.line, p.column), (3, 23), "{p}");
        assert!(p.message.contains("not UTF-8"), "{p}");
        assert!(
            p.hint
                .as_deref()
                .unwrap()
                .contains("save the file as UTF-8")
        );
        std::fs::remove_dir_all(&dir).unwrap();
    }

    #[test]
    fn rfc7505_null_mx_must_stand_alone() {
        let alone = GOOD.replace(
            r#""script""#,
            r#""dns": {"x.test": {"MX": [{"preference": 0, "host": "."}]}}, "script""#,
        );
        let (_, warnings) = load_str_with_warnings("t.json", &alone).expect("loads");
        assert!(warnings.is_empty(), "{warnings:#?}");
        let mixed = GOOD.replace(
            r#""script""#,
            r#""dns": {"x.test": {"MX": [{"preference": 0, "host": "."}, {"preference": 10, "host": "mail.x.test"}]}}, "script""#,
        );
        let p = one(&mixed);
        assert!(p.message.contains("null MX"), "{p}");
    }

    #[test]
    fn rfc3207_a_public_mx_that_requires_starttls_is_a_warning() {
        let text = GOOD
            .replace(r#""role": "mta","#, r#""role": "mta", "starttls": "require","#)
            .replace(
                r#""script""#,
                r#""dns": {"x.test": {"MX": [{"preference": 10, "host": "mail.x.test"}]}}, "script""#,
            );
        let (_, warnings) = load_str_with_warnings("t.json", &text).expect("loads");
        assert_eq!(warnings.len(), 1, "{warnings:#?}");
        assert!(warnings[0].hint.as_deref().unwrap().contains("RFC 3207"));
    }

    #[test]
    fn garbage_never_panics() {
        for text in [
            "",
            "[]",
            "null",
            "{",
            "{\"id\": 3}",
            "\u{feff}{}",
            "{\"nodes\": {\"a\": {\"role\": 1}}}",
        ] {
            let err = load_str("g.json", text).unwrap_err();
            assert!(!err.problems.is_empty());
        }
    }

    #[test]
    fn unreadable_file_is_a_problem_not_a_panic() {
        let err = load_file(Path::new("/nonexistent/x.json")).unwrap_err();
        assert!(
            err.to_string()
                .starts_with("/nonexistent/x.json: error: cannot read the file")
        );
    }

    #[test]
    fn schema_describes_roles_and_durations() {
        let schema = schema_json();
        assert!(schema.contains("\"secondary-mx\""));
        assert!(schema.contains("A span of virtual time"));
    }
}

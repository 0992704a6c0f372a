//! Thunderbird's autoconfig file, `config-v1.1.xml`: written by a
//! provider's web server, read by a mail client setting up an account.
//!
//! The format (clientConfig version 1.1) names an `emailProvider` with its
//! `domain`s and, in order of preference, `incomingServer`s (`imap`,
//! `pop3`) and `outgoingServer`s (`smtp`), each with `hostname`, `port`,
//! `socketType` (`SSL`, `STARTTLS`, `plain`), `username` and
//! `authentication`. The user name and host names may hold placeholders
//! that the client fills in from the address: `%EMAILADDRESS%`,
//! `%EMAILLOCALPART%`, `%EMAILDOMAIN%`.
//!
//! Reading is done with roxmltree, which refuses DTDs (so no entity
//! expansion) and here also documents of more than [`MAX_NODES`] nodes. As
//! Thunderbird does, servers of types it does not know (`exchange`, `ews`)
//! are passed over, a server with a missing or unreadable field is passed
//! over, and the file is refused only when no usable incoming server is
//! left.

use std::fmt;

use crate::scenario::{MailSettings, Retrieval, SocketType};

/// The most XML nodes a file may have (a real provider's file has a few
/// dozen; Thunderbird's database has none over a few hundred).
pub const MAX_NODES: u32 = 10_000;

/// The servers of each kind read from one file; more are passed over.
pub const MAX_SERVERS: usize = 16;

/// A server an autoconfig file names.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ServerEntry {
    /// `imap`, `pop3` or `smtp`.
    pub kind: String,
    pub hostname: String,
    pub port: u16,
    pub socket_type: SocketType,
    /// The login, placeholders and all; empty when the file gives none.
    pub username: String,
    /// The `authentication` methods, in the file's order.
    pub authentication: Vec<String>,
}

/// What a mail client read in an autoconfig file.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ClientConfig {
    /// The `emailProvider`'s `id`.
    pub provider: String,
    /// The `domain`s it serves.
    pub domains: Vec<String>,
    /// IMAP and POP3 servers, in the file's order of preference.
    pub incoming: Vec<ServerEntry>,
    /// SMTP servers, in order of preference.
    pub outgoing: Vec<ServerEntry>,
}

/// Why a file could not be used.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ConfigError {
    /// Not well-formed XML (the parser's words).
    NotXml(String),
    /// Well-formed, but its root is not `clientConfig`.
    NotClientConfig(String),
    /// No `emailProvider` inside.
    NoProvider,
    /// No incoming server of a known type could be read; the first problem.
    NoIncoming(Option<String>),
}

impl fmt::Display for ConfigError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            ConfigError::NotXml(why) => write!(f, "the file is not well-formed XML: {why}"),
            ConfigError::NotClientConfig(root) => {
                write!(
                    f,
                    "the file is XML but not an autoconfig file (its root is <{root}>)"
                )
            }
            ConfigError::NoProvider => write!(f, "the autoconfig file has no emailProvider"),
            ConfigError::NoIncoming(None) => {
                write!(f, "the autoconfig file names no IMAP or POP3 server")
            }
            ConfigError::NoIncoming(Some(why)) => {
                write!(
                    f,
                    "the autoconfig file names no usable IMAP or POP3 server: {why}"
                )
            }
        }
    }
}

/// Writes the file a provider publishes for `domains`.
pub fn write(settings: &MailSettings, domains: &[String]) -> String {
    let id = domains.first().map_or("mail.test", String::as_str);
    let mut xml = String::from("<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n");
    xml.push_str("<clientConfig version=\"1.1\">\n");
    xml.push_str(&format!("  <emailProvider id=\"{}\">\n", escape(id)));
    for domain in domains {
        xml.push_str(&format!("    <domain>{}</domain>\n", escape(domain)));
    }
    xml.push_str(&format!(
        "    <displayName>Mail at {0}</displayName>\n    <displayShortName>{0}</displayShortName>\n",
        escape(id)
    ));
    let server = |xml: &mut String, tag: &str, kind: &str, host: &str, port, socket: SocketType| {
        xml.push_str(&format!("    <{tag} type=\"{kind}\">\n"));
        xml.push_str(&format!("      <hostname>{}</hostname>\n", escape(host)));
        xml.push_str(&format!("      <port>{port}</port>\n"));
        xml.push_str(&format!(
            "      <socketType>{}</socketType>\n",
            socket.as_xml()
        ));
        xml.push_str("      <username>%EMAILADDRESS%</username>\n");
        xml.push_str("      <authentication>password-cleartext</authentication>\n");
        xml.push_str(&format!("    </{tag}>\n"));
    };
    for s in &settings.incoming {
        let kind = s.protocol.as_str();
        server(
            &mut xml,
            "incomingServer",
            kind,
            &s.host,
            s.port,
            s.socket_type,
        );
    }
    for s in &settings.outgoing {
        server(
            &mut xml,
            "outgoingServer",
            "smtp",
            &s.host,
            s.port,
            s.socket_type,
        );
    }
    xml.push_str("  </emailProvider>\n</clientConfig>\n");
    xml
}

/// Reads a file as Thunderbird does (see the module's comment).
pub fn read(text: &str) -> Result<ClientConfig, ConfigError> {
    let options = roxmltree::ParsingOptions {
        allow_dtd: false,
        nodes_limit: MAX_NODES,
        ..roxmltree::ParsingOptions::default()
    };
    let doc = roxmltree::Document::parse_with_options(text, options)
        .map_err(|e| ConfigError::NotXml(e.to_string()))?;
    let root = doc.root_element();
    if root.tag_name().name() != "clientConfig" {
        return Err(ConfigError::NotClientConfig(
            root.tag_name().name().to_string(),
        ));
    }
    let provider = children(root, "emailProvider")
        .next()
        .ok_or(ConfigError::NoProvider)?;
    let mut first_problem = None;
    let mut servers = |tag: &'static str, kinds: &[&str]| -> Vec<ServerEntry> {
        children(provider, tag)
            .filter(|n| kinds.contains(&n.attribute("type").unwrap_or_default()))
            .take(MAX_SERVERS)
            .filter_map(|n| match server(n) {
                Ok(entry) => Some(entry),
                Err(why) => {
                    first_problem.get_or_insert(why);
                    None
                }
            })
            .collect()
    };
    let incoming = servers("incomingServer", &["imap", "pop3"]);
    let outgoing = servers("outgoingServer", &["smtp"]);
    if incoming.is_empty() {
        return Err(ConfigError::NoIncoming(first_problem));
    }
    Ok(ClientConfig {
        provider: provider.attribute("id").unwrap_or_default().to_string(),
        domains: children(provider, "domain").map(text_of).collect(),
        incoming,
        outgoing,
    })
}

impl ClientConfig {
    /// The first incoming server of `protocol`.
    pub fn incoming_for(&self, protocol: Retrieval) -> Option<&ServerEntry> {
        self.incoming.iter().find(|s| s.kind == protocol.as_str())
    }

    /// The file's servers with its placeholders filled in from `address`.
    pub fn for_address(mut self, address: &str) -> ClientConfig {
        let (local, domain) = address.rsplit_once('@').unwrap_or((address, ""));
        let fill = |s: &mut String| {
            *s = s
                .replace("%EMAILADDRESS%", address)
                .replace("%EMAILLOCALPART%", local)
                .replace("%EMAILDOMAIN%", domain);
        };
        for entry in self.incoming.iter_mut().chain(&mut self.outgoing) {
            fill(&mut entry.hostname);
            fill(&mut entry.username);
        }
        self
    }
}

/// One `incomingServer` or `outgoingServer`.
fn server(node: roxmltree::Node<'_, '_>) -> Result<ServerEntry, String> {
    let kind = node.attribute("type").unwrap_or_default().to_string();
    let field = |name: &'static str| children(node, name).next().map(text_of);
    let hostname = field("hostname")
        .filter(|h| !h.is_empty())
        .ok_or_else(|| format!("a {kind} server without a hostname"))?;
    let port = field("port")
        .and_then(|p| p.parse::<u16>().ok())
        .filter(|&p| p > 0)
        .ok_or_else(|| format!("{hostname} has no port from 1 to 65535"))?;
    let socket_type = match field("socketType").as_deref() {
        Some("SSL") => SocketType::Ssl,
        Some("STARTTLS") => SocketType::Starttls,
        Some("plain") => SocketType::Plain,
        other => {
            return Err(format!(
                "{hostname} has socketType {:?}, not SSL, STARTTLS or plain",
                other.unwrap_or_default()
            ));
        }
    };
    Ok(ServerEntry {
        kind,
        hostname,
        port,
        socket_type,
        username: field("username").unwrap_or_default(),
        authentication: children(node, "authentication").map(text_of).collect(),
    })
}

/// The child elements of `node` named `name`.
fn children<'a, 'i>(
    node: roxmltree::Node<'a, 'i>,
    name: &'static str,
) -> impl Iterator<Item = roxmltree::Node<'a, 'i>> {
    node.children()
        .filter(move |n| n.is_element() && n.tag_name().name() == name)
}

/// An element's text, trimmed.
fn text_of(node: roxmltree::Node<'_, '_>) -> String {
    node.text().unwrap_or_default().trim().to_string()
}

/// Text made safe for XML content and attribute values.
pub(super) fn escape(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for c in text.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&apos;"),
            c => out.push(c),
        }
    }
    out
}

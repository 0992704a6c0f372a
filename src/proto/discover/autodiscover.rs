//! Microsoft's Autodiscover, the plain-XML ("POX") form Outlook and
//! Thunderbird post to `/autodiscover/autodiscover.xml`: the client sends
//! its address, the server answers with an `Account` of `Protocol`s.
//!
//! ```text
//! C: <Autodiscover xmlns=".../outlook/requestschema/2006"><Request>
//!      <EMailAddress>ana@example.test</EMailAddress>
//!      <AcceptableResponseSchema>.../outlook/responseschema/2006a</AcceptableResponseSchema>
//!    </Request></Autodiscover>
//! S: <Autodiscover xmlns=".../responseschema/2006"><Response xmlns=".../outlook/responseschema/2006a">
//!      <Account><AccountType>email</AccountType><Action>settings</Action>
//!        <Protocol><Type>IMAP</Type><Server>mail.example.test</Server><Port>993</Port>
//!          <LoginName>ana@example.test</LoginName><SSL>on</SSL><Encryption>SSL</Encryption>...
//! ```
//!
//! Only what a mail client needs for IMAP, POP3 and SMTP is written and
//! read; an Exchange server's other protocols (EXCH, EXPR, WEB) are passed
//! over. The security of a `Protocol` is its `Encryption` (`SSL`, `TLS` for
//! STARTTLS, `None`) when present, else `SSL` on or off, as Thunderbird
//! reads it.

use super::autoconfig::{ClientConfig, ConfigError, MAX_NODES, MAX_SERVERS, ServerEntry, escape};
use crate::scenario::{MailSettings, SocketType};

const REQUEST_SCHEMA: &str =
    "http://schemas.microsoft.com/exchange/autodiscover/outlook/requestschema/2006";
const RESPONSE_SCHEMA: &str =
    "http://schemas.microsoft.com/exchange/autodiscover/outlook/responseschema/2006a";
const ENVELOPE_SCHEMA: &str =
    "http://schemas.microsoft.com/exchange/autodiscover/responseschema/2006";

/// The question a mail client posts.
pub fn request(address: &str) -> String {
    format!(
        "<?xml version=\"1.0\" encoding=\"utf-8\"?>\n\
         <Autodiscover xmlns=\"{REQUEST_SCHEMA}\">\n  <Request>\n    \
         <EMailAddress>{}</EMailAddress>\n    \
         <AcceptableResponseSchema>{RESPONSE_SCHEMA}</AcceptableResponseSchema>\n  \
         </Request>\n</Autodiscover>\n",
        escape(address)
    )
}

/// The address a posted question asks about.
pub fn read_request(text: &str) -> Option<String> {
    let doc = parse(text).ok()?;
    let root = doc.root_element();
    if root.tag_name().name() != "Autodiscover" {
        return None;
    }
    let request = child(root, "Request")?;
    let address = child(request, "EMailAddress")?.text()?.trim().to_string();
    (!address.is_empty()).then_some(address)
}

/// The server's answer for `address`.
pub fn response(settings: &MailSettings, address: &str) -> String {
    let mut xml = format!(
        "<?xml version=\"1.0\" encoding=\"utf-8\"?>\n\
         <Autodiscover xmlns=\"{ENVELOPE_SCHEMA}\">\n  \
         <Response xmlns=\"{RESPONSE_SCHEMA}\">\n    <Account>\n      \
         <AccountType>email</AccountType>\n      <Action>settings</Action>\n"
    );
    let protocol = |xml: &mut String, kind: &str, host: &str, port: u16, socket: SocketType| {
        let (ssl, encryption) = match socket {
            SocketType::Ssl => ("on", "SSL"),
            SocketType::Starttls => ("on", "TLS"),
            SocketType::Plain => ("off", "None"),
        };
        xml.push_str(&format!(
            "      <Protocol>\n        <Type>{kind}</Type>\n        <Server>{}</Server>\n        \
             <Port>{port}</Port>\n        <LoginName>{}</LoginName>\n        <SSL>{ssl}</SSL>\n        \
             <Encryption>{encryption}</Encryption>\n        <SPA>off</SPA>\n        \
             <AuthRequired>on</AuthRequired>\n      </Protocol>\n",
            escape(host),
            escape(address)
        ));
    };
    for s in &settings.incoming {
        let kind = s.protocol.as_str().to_ascii_uppercase();
        protocol(&mut xml, &kind, &s.host, s.port, s.socket_type);
    }
    for s in &settings.outgoing {
        protocol(&mut xml, "SMTP", &s.host, s.port, s.socket_type);
    }
    xml.push_str("    </Account>\n  </Response>\n</Autodiscover>\n");
    xml
}

/// Reads a server's answer into the same shape as an autoconfig file.
pub fn read_response(text: &str) -> Result<ClientConfig, ConfigError> {
    let doc = parse(text).map_err(|e| ConfigError::NotXml(e.to_string()))?;
    let root = doc.root_element();
    if root.tag_name().name() != "Autodiscover" {
        return Err(ConfigError::NotClientConfig(
            root.tag_name().name().to_string(),
        ));
    }
    let account = child(root, "Response")
        .and_then(|r| child(r, "Account"))
        .ok_or(ConfigError::NoProvider)?;
    let mut incoming = Vec::new();
    let mut outgoing = Vec::new();
    let protocols = account
        .children()
        .filter(|n| n.is_element() && n.tag_name().name() == "Protocol");
    for p in protocols {
        let field = |name: &str| {
            child(p, name)
                .and_then(|n| n.text())
                .map(|t| t.trim().to_string())
        };
        let kind = field("Type").unwrap_or_default().to_ascii_lowercase();
        let list = match kind.as_str() {
            "imap" | "pop3" if incoming.len() < MAX_SERVERS => &mut incoming,
            "smtp" if outgoing.len() < MAX_SERVERS => &mut outgoing,
            _ => continue,
        };
        let (Some(hostname), Some(port)) = (
            field("Server").filter(|s| !s.is_empty()),
            field("Port")
                .and_then(|p| p.parse::<u16>().ok())
                .filter(|&p| p > 0),
        ) else {
            continue;
        };
        let socket_type = match field("Encryption")
            .map(|e| e.to_ascii_lowercase())
            .as_deref()
        {
            Some("ssl") => SocketType::Ssl,
            Some("tls") => SocketType::Starttls,
            Some("none") => SocketType::Plain,
            _ if field("SSL").as_deref() == Some("off") => SocketType::Plain,
            _ => SocketType::Ssl,
        };
        list.push(ServerEntry {
            kind,
            hostname,
            port,
            socket_type,
            username: field("LoginName").unwrap_or_default(),
            authentication: vec!["password-cleartext".into()],
        });
    }
    if incoming.is_empty() {
        return Err(ConfigError::NoIncoming(None));
    }
    Ok(ClientConfig {
        provider: String::new(),
        domains: Vec::new(),
        incoming,
        outgoing,
    })
}

fn parse(text: &str) -> Result<roxmltree::Document<'_>, roxmltree::Error> {
    let options = roxmltree::ParsingOptions {
        allow_dtd: false,
        nodes_limit: MAX_NODES,
        ..roxmltree::ParsingOptions::default()
    };
    roxmltree::Document::parse_with_options(text, options)
}

fn child<'a, 'i>(node: roxmltree::Node<'a, 'i>, name: &str) -> Option<roxmltree::Node<'a, 'i>> {
    node.children()
        .find(|n| n.is_element() && n.tag_name().name() == name)
}

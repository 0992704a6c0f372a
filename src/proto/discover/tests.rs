use super::autoconfig::{self, ConfigError};
use super::autodiscover;
use super::site::Provider;
use crate::proto::http::{Request, Site};
use crate::scenario::{IncomingServer, MailSettings, OutgoingServer, Retrieval, SocketType, Web};

/// A file in the shape of a large provider's entry in Thunderbird's
/// database: documentation, several domains, an Exchange server the client
/// does not know, two ways to log in, web mail, OAuth2 settings.
const PROVIDER_FILE: &str = r#"<?xml version="1.0" encoding="UTF-8"?>
<!-- Settings for Example Mail, kept by its operators. -->
<clientConfig version="1.1">
  <emailProvider id="example.test">
    <domain>example.test</domain>
    <domain>example-mail.test</domain>
    <displayName>Example Mail</displayName>
    <displayShortName>Example</displayShortName>
    <incomingServer type="exchange">
      <hostname>outlook.example.test</hostname>
      <port>443</port>
      <username>%EMAILADDRESS%</username>
      <socketType>SSL</socketType>
      <authentication>OAuth2</authentication>
      <owaURL>https://outlook.example.test/owa/</owaURL>
    </incomingServer>
    <incomingServer type="imap">
      <hostname>imap.%EMAILDOMAIN%</hostname>
      <port>993</port>
      <socketType>SSL</socketType>
      <authentication>OAuth2</authentication>
      <authentication>password-cleartext</authentication>
      <username>%EMAILADDRESS%</username>
    </incomingServer>
    <incomingServer type="pop3">
      <hostname>pop.example.test</hostname>
      <port>995</port>
      <socketType>SSL</socketType>
      <username>%EMAILLOCALPART%</username>
      <authentication>password-cleartext</authentication>
      <pop3>
        <leaveMessagesOnServer>true</leaveMessagesOnServer>
      </pop3>
    </incomingServer>
    <outgoingServer type="smtp">
      <hostname>smtp.example.test</hostname>
      <port>587</port>
      <socketType>STARTTLS</socketType>
      <username>%EMAILADDRESS%</username>
      <authentication>password-cleartext</authentication>
    </outgoingServer>
    <documentation url="https://help.example.test/mail/setup">
      <descr lang="en">How to set up Example Mail</descr>
      <descr lang="pt-BR">Como configurar o Example Mail</descr>
    </documentation>
  </emailProvider>
  <webMail>
    <loginPage url="https://mail.example.test/" />
  </webMail>
  <oAuth2>
    <issuer>login.example.test</issuer>
    <scope>https://mail.example.test/ offline_access</scope>
    <authURL>https://login.example.test/authorize</authURL>
    <tokenURL>https://login.example.test/token</tokenURL>
  </oAuth2>
</clientConfig>
"#;

#[test]
fn a_providers_file_is_read_as_thunderbird_reads_it() {
    let config = autoconfig::read(PROVIDER_FILE).unwrap();
    assert_eq!(config.provider, "example.test");
    assert_eq!(config.domains, ["example.test", "example-mail.test"]);
    let kinds: Vec<&str> = config.incoming.iter().map(|s| s.kind.as_str()).collect();
    assert_eq!(
        kinds,
        ["imap", "pop3"],
        "the Exchange server is passed over"
    );
    let imap = &config.incoming[0];
    assert_eq!((imap.port, imap.socket_type), (993, SocketType::Ssl));
    assert_eq!(imap.authentication, ["OAuth2", "password-cleartext"]);
    let config = config.for_address("ana@example.test");
    let imap = config.incoming_for(Retrieval::Imap).unwrap();
    assert_eq!(
        (imap.hostname.as_str(), imap.username.as_str()),
        ("imap.example.test", "ana@example.test")
    );
    assert_eq!(
        config.incoming_for(Retrieval::Pop3).unwrap().username,
        "ana"
    );
    let smtp = &config.outgoing[0];
    assert_eq!(
        (smtp.hostname.as_str(), smtp.port, smtp.socket_type),
        ("smtp.example.test", 587, SocketType::Starttls)
    );
}

fn settings() -> MailSettings {
    MailSettings {
        incoming: vec![IncomingServer {
            protocol: Retrieval::Imap,
            host: "mail.example.test".into(),
            port: 993,
            socket_type: SocketType::Ssl,
        }],
        outgoing: vec![OutgoingServer {
            host: "mail.example.test".into(),
            port: 587,
            socket_type: SocketType::Starttls,
        }],
    }
}

#[test]
fn what_a_provider_writes_a_client_reads_back() {
    let xml = autoconfig::write(&settings(), &["example.test".into()]);
    assert!(
        xml.starts_with(
            "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<clientConfig version=\"1.1\">"
        )
    );
    assert!(xml.contains("<socketType>STARTTLS</socketType>"));
    let config = autoconfig::read(&xml)
        .unwrap()
        .for_address("ana@example.test");
    assert_eq!(config.incoming[0].hostname, "mail.example.test");
    assert_eq!(config.incoming[0].username, "ana@example.test");
    assert_eq!(config.outgoing[0].port, 587);
}

#[test]
fn files_a_client_cannot_use_say_why() {
    let err = |text: &str| autoconfig::read(text).unwrap_err().to_string();
    assert!(err("<html><body>Welcome").starts_with("the file is not well-formed XML: "));
    assert_eq!(
        err("<html><body>Welcome</body></html>"),
        "the file is XML but not an autoconfig file (its root is <html>)"
    );
    assert_eq!(
        err("<clientConfig/>"),
        "the autoconfig file has no emailProvider"
    );
    let no_port = PROVIDER_FILE
        .replace("<port>993</port>", "<port>0</port>")
        .replace("<port>995</port>", "<port>many</port>");
    assert_eq!(
        err(&no_port),
        "the autoconfig file names no usable IMAP or POP3 server: imap.%EMAILDOMAIN% has no port from 1 to 65535"
    );
    let dtd = "<!DOCTYPE x [<!ENTITY a \"aaaa\">]><clientConfig/>";
    assert!(matches!(autoconfig::read(dtd), Err(ConfigError::NotXml(_))));
}

#[test]
fn autodiscover_question_and_answer() {
    let question = autodiscover::request("ana@example.test");
    assert_eq!(
        autodiscover::read_request(&question).as_deref(),
        Some("ana@example.test")
    );
    assert_eq!(autodiscover::read_request("<Autodiscover/>"), None);
    let answer = autodiscover::response(&settings(), "ana@example.test");
    let config = autodiscover::read_response(&answer).unwrap();
    assert_eq!(config.incoming[0].kind, "imap");
    assert_eq!(config.incoming[0].username, "ana@example.test");
    assert_eq!(config.outgoing[0].socket_type, SocketType::Starttls);
}

fn get(site: &dyn Site, method: &str, path: &str, body: &str) -> (u16, String) {
    let response = site.answer(&Request {
        method: method.into(),
        path: path.into(),
        query: None,
        host: "example.test".into(),
        body: body.as_bytes().to_vec(),
    });
    (response.status, String::from_utf8(response.body).unwrap())
}

#[test]
fn a_provider_serves_what_it_publishes_and_404_for_the_rest() {
    let web = Web {
        autoconfig: Some(settings()),
        ..Web::default()
    };
    let domains = ["example.test".to_string()];
    let site = Provider {
        web: &web,
        domains: &domains,
    };
    for path in super::site::AUTOCONFIG_PATHS {
        let (status, body) = get(&site, "GET", path, "");
        assert_eq!(status, 200);
        assert!(body.contains("<clientConfig"));
    }
    assert_eq!(get(&site, "POST", "/mail/config-v1.1.xml", "").0, 405);
    assert_eq!(
        get(&site, "POST", "/autodiscover/autodiscover.xml", "").0,
        404
    );
    assert_eq!(get(&site, "GET", "/", "").0, 404);
    let web = Web {
        autodiscover: Some(settings()),
        ..Web::default()
    };
    let site = Provider {
        web: &web,
        domains: &domains,
    };
    assert_eq!(get(&site, "GET", "/mail/config-v1.1.xml", "").0, 404);
    let question = autodiscover::request("ana@example.test");
    let (status, body) = get(&site, "POST", "/Autodiscover/Autodiscover.xml", &question);
    assert_eq!(status, 200);
    assert!(body.contains("<LoginName>ana@example.test</LoginName>"));
    assert_eq!(
        get(&site, "POST", "/autodiscover/autodiscover.xml", "hello").0,
        400
    );
}

#[test]
fn the_mta_sts_policy_is_served_as_written_or_as_the_scenario_says() {
    let domains = ["example.test".to_string()];
    let none = Web::default();
    let site = Provider {
        web: &none,
        domains: &domains,
    };
    assert_eq!(get(&site, "GET", "/.well-known/mta-sts.txt", "").0, 404);
    let web = Web {
        mta_sts: Some(
            serde_json::from_str(
                r#"{"mode": "testing", "mx": ["mx.example.test"], "max_age": 86400}"#,
            )
            .unwrap(),
        ),
        ..Web::default()
    };
    let site = Provider {
        web: &web,
        domains: &domains,
    };
    let response = site.answer(&Request {
        method: "GET".into(),
        path: "/.well-known/mta-sts.txt".into(),
        query: None,
        host: "mta-sts.example.test".into(),
        body: Vec::new(),
    });
    assert_eq!(
        (response.status, response.content_type),
        (200, "text/plain")
    );
    assert_eq!(
        String::from_utf8(response.body).unwrap(),
        "version: STSv1\r\nmode: testing\r\nmx: mx.example.test\r\nmax_age: 86400\r\n"
    );
    assert_eq!(get(&site, "POST", "/.well-known/mta-sts.txt", "").0, 405);
    let raw = Web {
        mta_sts_text: Some("version: STSv1\nmode: sometimes\n".into()),
        ..web
    };
    let site = Provider {
        web: &raw,
        domains: &domains,
    };
    assert_eq!(
        get(&site, "GET", "/.well-known/mta-sts.txt", ""),
        (200, "version: STSv1\nmode: sometimes\n".into()),
        "the written text wins, broken or not"
    );
}

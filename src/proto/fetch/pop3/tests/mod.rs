//! The POP3 client against canned server transcripts, written as Dovecot
//! answers (its CAPA lists and wording, RFC 1939's examples for the rest);
//! broken servers, odd feeds and seeded random bytes are in `broken`
//! (`MAILHOP_FUZZ_CASES=N` for a longer run).

mod broken;

use super::*;

const GREETING: &str = "+OK Dovecot ready.\r\n";
const CAPA_PLAIN: &str =
    "+OK\r\nCAPA\r\nTOP\r\nUIDL\r\nRESP-CODES\r\nPIPELINING\r\nAUTH-RESP-CODE\r\nSTLS\r\n.\r\n";
const CAPA_TLS: &str = "+OK\r\nCAPA\r\nTOP\r\nUIDL\r\nRESP-CODES\r\nPIPELINING\r\nAUTH-RESP-CODE\r\nUSER\r\nSASL PLAIN LOGIN\r\n.\r\n";
const STLS_OK: &str = "+OK Begin TLS negotiation now.\r\n";

/// A message with lines that start with dots: one dot alone, one before a
/// word, two before a word.
const DOTTED: &str =
    "From: alice@home.test\r\nSubject: dots\r\n\r\n.\r\n.hidden\r\n..two\r\nend\r\n";
/// The same as RETR sends it: every leading dot doubled, then the lone dot.
const DOTTED_ON_THE_WIRE: &str =
    "From: alice@home.test\r\nSubject: dots\r\n\r\n..\r\n..hidden\r\n...two\r\nend\r\n.\r\n";

fn plain(n: u32) -> String {
    format!("From: alice@home.test\r\nSubject: Hi {n}\r\n\r\nHello Bob.\r\n")
}

/// A client and everything it wrote.
struct Session {
    client: Client,
    outcome: Option<Outcome>,
}

impl Session {
    fn new(plan: Plan) -> Self {
        Session {
            client: Client::new(plan),
            outcome: None,
        }
    }

    /// The server says `bytes`; what the client did, as text.
    fn server(&mut self, bytes: &str) -> String {
        let out = self.client.feed(bytes.as_bytes());
        self.show(out)
    }

    fn tls(&mut self) -> String {
        let out = self.client.tls_started();
        self.show(out)
    }

    fn eof(&mut self) -> String {
        let out = self.client.eof();
        self.show(out)
    }

    fn show(&mut self, out: Vec<ClientOutput>) -> String {
        let mut text = String::new();
        for output in out {
            match output {
                ClientOutput::Send(bytes) => text.push_str(&String::from_utf8_lossy(&bytes)),
                ClientOutput::StartTls => text.push_str("<StartTls>"),
                ClientOutput::Retrieved(r) => text.push_str(&format!("<Retrieved {}>", r.number)),
                ClientOutput::Done(outcome) => {
                    assert!(self.outcome.is_none(), "Done twice");
                    self.outcome = Some(outcome);
                    text.push_str("<Done>");
                }
            }
        }
        text
    }

    fn outcome(&self) -> &Outcome {
        assert!(self.client.is_done());
        self.outcome.as_ref().expect("a Done output")
    }
}

fn plan() -> Plan {
    Plan::new("pop.friend.test", "bob@friend.test", "secret")
}

/// Greeting, CAPA, STLS, CAPA again, USER and PASS, byte for byte; the
/// session is then at STAT.
fn logged_in(plan: Plan) -> Session {
    let mut s = Session::new(plan);
    assert_eq!(s.server(GREETING), "CAPA\r\n");
    assert_eq!(s.server(CAPA_PLAIN), "STLS\r\n");
    assert_eq!(s.server(STLS_OK), "<StartTls>");
    assert_eq!(s.tls(), "CAPA\r\n");
    assert_eq!(s.server(CAPA_TLS), "USER bob@friend.test\r\n");
    assert_eq!(s.server("+OK\r\n"), "PASS secret\r\n");
    assert_eq!(s.server("+OK Logged in.\r\n"), "STAT\r\n");
    s
}

#[test]
fn a_download_after_stls_skips_known_ids_and_deletes_what_it_took() {
    let mut p = plan();
    p.known = ["000000015d8a8f0e".to_string()].into();
    p.delete = true;
    let mut s = logged_in(p);
    assert_eq!(s.server("+OK 2 180\r\n"), "UIDL\r\n");
    assert_eq!(
        s.server("+OK\r\n1 000000015d8a8f0e\r\n2 000000025d8a8f0e\r\n.\r\n"),
        "RETR 2\r\n"
    );
    assert_eq!(
        s.server(&format!(
            "+OK {} octets\r\n{DOTTED_ON_THE_WIRE}",
            DOTTED.len()
        )),
        "<Retrieved 2>DELE 2\r\n"
    );
    assert_eq!(s.server("+OK Marked to be deleted.\r\n"), "QUIT\r\n");
    assert_eq!(s.server("+OK Logging out, messages deleted.\r\n"), "<Done>");
    let o = s.outcome();
    assert_eq!(o.failure, None);
    assert_eq!(o.messages, Some((2, 180)));
    assert_eq!(
        o.retrieved,
        vec![Retrieved {
            number: 2,
            uid: Some("000000025d8a8f0e".into()),
            raw: DOTTED.as_bytes().to_vec()
        }]
    );
    assert_eq!(o.marked, vec![2]);
    assert_eq!(o.deleted(), &[2]);
    assert_eq!(
        o.quit,
        Some(Answer {
            ok: true,
            line: "+OK Logging out, messages deleted.".into()
        })
    );
}

#[test]
fn what_retr_undoes_is_what_smtp_dot_stuffing_does() {
    let stuffed = crate::proto::smtp::dot_stuff(DOTTED.as_bytes());
    assert_eq!(String::from_utf8_lossy(&stuffed), DOTTED_ON_THE_WIRE);
}

#[test]
fn a_server_that_drops_before_answering_quit_deleted_nothing() {
    let mut p = plan();
    p.delete = true;
    let mut s = logged_in(p);
    s.server("+OK 1 60\r\n");
    s.server("+OK\r\n1 a\r\n.\r\n");
    assert_eq!(
        s.server(&format!("+OK 60 octets\r\n{}.\r\n", plain(1))),
        "<Retrieved 1>DELE 1\r\n"
    );
    assert_eq!(s.server("+OK Marked to be deleted.\r\n"), "QUIT\r\n");
    assert_eq!(s.eof(), "<Done>");
    let o = s.outcome();
    assert_eq!(o.marked, vec![1]);
    assert_eq!(o.quit, None);
    assert!(
        o.deleted().is_empty(),
        "deletions happen only at QUIT's +OK"
    );
    assert_eq!(o.failure, Some(Failure::Lost));
    assert_eq!(o.retrieved.len(), 1, "the copy on the device stays");
}

#[test]
fn a_quit_answered_with_err_deleted_nothing_either() {
    let mut p = plan();
    p.delete = true;
    let mut s = logged_in(p);
    s.server("+OK 1 60\r\n");
    s.server("+OK\r\n1 a\r\n.\r\n");
    s.server(&format!("+OK 60 octets\r\n{}.\r\n", plain(1)));
    s.server("+OK Marked to be deleted.\r\n");
    assert_eq!(
        s.server("-ERR Some deleted messages were not removed\r\n"),
        "<Done>"
    );
    let o = s.outcome();
    assert!(o.deleted().is_empty());
    assert_eq!(
        o.failure,
        Some(Failure::Refused {
            command: "QUIT".into(),
            said: "-ERR Some deleted messages were not removed".into()
        })
    );
}

#[test]
fn leaving_messages_on_the_server_never_says_dele() {
    let mut s = logged_in(plan());
    s.server("+OK 2 120\r\n");
    assert_eq!(s.server("+OK\r\n1 a\r\n2 b\r\n.\r\n"), "RETR 1\r\n");
    assert_eq!(
        s.server(&format!("+OK 60 octets\r\n{}.\r\n", plain(1))),
        "<Retrieved 1>RETR 2\r\n"
    );
    assert_eq!(
        s.server(&format!("+OK 60 octets\r\n{}.\r\n", plain(2))),
        "<Retrieved 2>QUIT\r\n"
    );
    assert_eq!(s.server("+OK Logging out.\r\n"), "<Done>");
    let o = s.outcome();
    assert!(o.marked.is_empty() && o.deleted().is_empty());
    assert_eq!(o.retrieved[1].raw, plain(2).into_bytes());
}

#[test]
fn a_wrong_password_is_refused_in_the_servers_words() {
    let mut s = Session::new(plan());
    s.server(GREETING);
    s.server(CAPA_PLAIN);
    s.server(STLS_OK);
    s.tls();
    s.server(CAPA_TLS);
    s.server("+OK\r\n");
    assert_eq!(
        s.server("-ERR [AUTH] Authentication failed.\r\n"),
        "QUIT\r\n"
    );
    assert_eq!(s.server("+OK Logging out.\r\n"), "<Done>");
    assert_eq!(
        s.outcome().failure,
        Some(Failure::LoginRefused {
            said: "-ERR [AUTH] Authentication failed.".into()
        })
    );
}

#[test]
fn a_plaintext_user_is_refused_before_the_password_leaves() {
    let mut p = plan();
    p.starttls = StartTls::None;
    let mut s = Session::new(p);
    s.server(GREETING);
    assert_eq!(s.server(CAPA_PLAIN), "USER bob@friend.test\r\n");
    assert_eq!(
        s.server(
            "-ERR [AUTH] Plaintext authentication disallowed on non-secure (SSL/TLS) connections.\r\n"
        ),
        "QUIT\r\n"
    );
    s.server("+OK Logging out.\r\n");
    assert!(matches!(
        s.outcome().failure,
        Some(Failure::LoginRefused { .. })
    ));
}

#[test]
fn required_stls_that_is_not_offered_gives_up_with_quit() {
    let mut p = plan();
    p.starttls = StartTls::Require;
    let mut s = Session::new(p);
    s.server(GREETING);
    assert_eq!(
        s.server("+OK\r\nCAPA\r\nTOP\r\nUIDL\r\nUSER\r\n.\r\n"),
        "QUIT\r\n"
    );
    s.server("+OK Logging out.\r\n");
    assert_eq!(s.outcome().failure, Some(Failure::TlsNotOffered));
}

#[test]
fn on_995_tls_is_already_up_and_stls_refused_ends_the_session() {
    let mut p = plan();
    p.implicit_tls = true;
    p.starttls = StartTls::Require;
    let mut s = Session::new(p);
    s.server(GREETING);
    assert_eq!(s.server(CAPA_PLAIN), "USER bob@friend.test\r\n");

    let mut s = Session::new(plan());
    s.server(GREETING);
    s.server(CAPA_PLAIN);
    assert_eq!(s.server("-ERR TLS support isn't enabled.\r\n"), "QUIT\r\n");
    s.server("+OK Logging out.\r\n");
    assert_eq!(
        s.outcome().failure,
        Some(Failure::StartTlsRefused {
            said: "-ERR TLS support isn't enabled.".into()
        })
    );
}

#[test]
fn bytes_after_the_stls_ok_are_never_read_as_if_encrypted() {
    let mut s = Session::new(plan());
    s.server(GREETING);
    s.server(CAPA_PLAIN);
    assert_eq!(
        s.server("+OK Begin TLS negotiation now.\r\n+OK\r\nUSER\r\n.\r\n"),
        "<StartTls>"
    );
    assert_eq!(s.tls(), "CAPA\r\n");
    assert_eq!(s.server(CAPA_TLS), "USER bob@friend.test\r\n");
}

#[test]
fn a_server_of_rfc_1939_alone_without_capa_or_uidl_gets_everything_fetched() {
    let mut p = plan();
    p.starttls = StartTls::Offer;
    p.known = ["whatever".to_string()].into();
    let mut s = Session::new(p);
    s.server("+OK POP3 server ready <1896.697170952@dbc.mtview.ca.us>\r\n");
    assert_eq!(
        s.server("-ERR unknown command\r\n"),
        "USER bob@friend.test\r\n"
    );
    assert_eq!(
        s.server("+OK bob is a real hoopy frood\r\n"),
        "PASS secret\r\n"
    );
    assert_eq!(
        s.server("+OK bob's maildrop has 2 messages (320 octets)\r\n"),
        "STAT\r\n"
    );
    assert_eq!(s.server("+OK 2 320\r\n"), "UIDL\r\n");
    assert_eq!(s.server("-ERR unknown command\r\n"), "RETR 1\r\n");
    s.server(&format!("+OK 120 octets\r\n{}.\r\n", plain(1)));
    s.server(&format!("+OK 200 octets\r\n{}.\r\n", plain(2)));
    assert_eq!(
        s.server("+OK dewey POP3 server signing off (maildrop empty)\r\n"),
        "<Done>"
    );
    let o = s.outcome();
    assert_eq!(o.failure, None);
    assert_eq!(o.messages, Some((2, 320)));
    assert_eq!(o.retrieved.len(), 2);
    assert_eq!(o.retrieved[0].uid, None);
}

#[test]
fn an_empty_maildrop_quits_after_stat() {
    let mut s = logged_in(plan());
    assert_eq!(s.server("+OK 0 0\r\n"), "QUIT\r\n");
    s.server("+OK Logging out.\r\n");
    assert!(s.outcome().retrieved.is_empty());
}

#[test]
fn at_most_max_messages_are_fetched_and_the_rest_are_counted() {
    let mut p = plan();
    p.limits.max_messages = 1;
    let mut s = logged_in(p);
    s.server("+OK 3 180\r\n");
    assert_eq!(s.server("+OK\r\n1 a\r\n2 b\r\n3 c\r\n.\r\n"), "RETR 1\r\n");
    assert_eq!(
        s.server(&format!("+OK 60 octets\r\n{}.\r\n", plain(1))),
        "<Retrieved 1>QUIT\r\n"
    );
    s.server("+OK Logging out.\r\n");
    assert_eq!(s.outcome().left, 2);
}

//! The IMAP client against canned server transcripts, written as Dovecot
//! answers (its capability lists and wording, RFC 9051's examples for the
//! rest): logging in and TLS (`login`), syncing, filing and IDLE (`sync`),
//! and broken servers, odd feeds and seeded random bytes (`broken`;
//! `MAILHOP_FUZZ_CASES=N` for a longer run). Every conversation also checks
//! that each command the client wrote parses with imap-codec's command
//! decoder.

mod broken;
mod login;
mod sync;

use imap_codec::decode::Decoder;
use imap_codec::{AuthenticateDataCodec, CommandCodec, IdleDoneCodec};
use imap_next::imap_types::command::CommandBody;

use super::*;

const GREETING: &str = "* OK [CAPABILITY IMAP4rev1 SASL-IR LOGIN-REFERRALS ID ENABLE IDLE LITERAL+ STARTTLS LOGINDISABLED] Dovecot ready.\r\n";
const PRE_TLS: &str = "* CAPABILITY IMAP4rev1 SASL-IR LOGIN-REFERRALS ID ENABLE IDLE LITERAL+ STARTTLS LOGINDISABLED\r\n";
const POST_TLS: &str =
    "* CAPABILITY IMAP4rev1 SASL-IR LOGIN-REFERRALS ID ENABLE IDLE LITERAL+ AUTH=PLAIN\r\n";
const LISTED: &str = "OK Pre-login capabilities listed, post-login capabilities have more.\r\n";
const LOGGED_IN: &str = "OK [CAPABILITY IMAP4rev1 SASL-IR LOGIN-REFERRALS ID ENABLE IDLE SORT UNSELECT CHILDREN NAMESPACE UIDPLUS LIST-EXTENDED BINARY MOVE LITERAL+ SPECIAL-USE] Logged in\r\n";

/// SELECT's answer for a folder of `exists` messages.
fn selected(tag: &str, exists: u32, uidvalidity: u32, uidnext: u32) -> String {
    format!(
        "* FLAGS (\\Answered \\Flagged \\Deleted \\Seen \\Draft)\r\n\
         * OK [PERMANENTFLAGS (\\Answered \\Flagged \\Deleted \\Seen \\Draft \\*)] Flags permitted.\r\n\
         * {exists} EXISTS\r\n\
         * 0 RECENT\r\n\
         * OK [UIDVALIDITY {uidvalidity}] UIDs valid\r\n\
         * OK [UIDNEXT {uidnext}] Predicted next UID\r\n\
         {tag} OK [READ-WRITE] Select completed (0.001 + 0.000 secs).\r\n"
    )
}

fn message(n: u32) -> String {
    format!("From: alice@home.test\r\nTo: bob@friend.test\r\nSubject: Hi {n}\r\n\r\nHello Bob.\r\n")
}

/// One message in a FETCH response, BODY[] as a literal.
fn fetched(seq: u32, uid: u32, flags: &str) -> String {
    let m = message(uid);
    format!(
        "* {seq} FETCH (UID {uid} FLAGS ({flags}) RFC822.SIZE {} BODY[] {{{}}}\r\n{m})\r\n",
        m.len(),
        m.len()
    )
}

const BYE: &str = "* BYE Logging out\r\n";

/// A client and everything it wrote.
struct Session {
    client: Client,
    wire: Vec<u8>,
    outcome: Option<Outcome>,
}

impl Session {
    fn new(plan: Plan) -> Self {
        Session {
            client: Client::new(plan),
            wire: Vec::new(),
            outcome: None,
        }
    }

    /// The server says `bytes`; what the client did, as text: bytes as
    /// written, other outputs in angle brackets.
    fn server(&mut self, bytes: &str) -> String {
        let out = self.client.feed(bytes.as_bytes());
        self.show(out)
    }

    fn tls(&mut self) -> String {
        let out = self.client.tls_started();
        self.show(out)
    }

    fn stop_idle(&mut self) -> String {
        let out = self.client.stop_idle();
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
                ClientOutput::Send(bytes) => {
                    text.push_str(&String::from_utf8_lossy(&bytes));
                    self.wire.extend_from_slice(&bytes);
                }
                ClientOutput::StartTls => text.push_str("<StartTls>"),
                ClientOutput::Fetched(f) => text.push_str(&format!("<Fetched {}>", f.uid)),
                ClientOutput::Idling => text.push_str("<Idling>"),
                ClientOutput::NewMail { exists } => text.push_str(&format!("<NewMail {exists}>")),
                ClientOutput::Done(outcome) => {
                    assert!(self.outcome.is_none(), "Done twice");
                    self.outcome = Some(outcome);
                    text.push_str("<Done>");
                }
            }
        }
        text
    }

    /// The outcome, once the session is over; every command it wrote
    /// parses.
    fn outcome(&self) -> &Outcome {
        assert!(self.client.is_done());
        commands_parse(&self.wire);
        self.outcome.as_ref().expect("a Done output")
    }
}

/// Decodes everything a client wrote as IMAP commands, with DONE after
/// IDLE and a SASL response after an AUTHENTICATE that had none.
fn commands_parse(wire: &[u8]) {
    let mut rest = wire;
    while !rest.is_empty() {
        let (after, command) = CommandCodec::default()
            .decode(rest)
            .unwrap_or_else(|e| panic!("{e:?} at {:?}", String::from_utf8_lossy(rest)));
        rest = after;
        match command.body {
            CommandBody::Idle if !rest.is_empty() => {
                rest = IdleDoneCodec::default().decode(rest).expect("DONE").0;
            }
            CommandBody::Authenticate {
                initial_response: None,
                ..
            } => {
                while let Ok((after, _)) = AuthenticateDataCodec::default().decode(rest) {
                    rest = after;
                }
            }
            _ => {}
        }
    }
}

fn plan() -> Plan {
    Plan::new("imap.friend.test", "bob@friend.test", "secret")
}

/// Greeting, CAPABILITY, STARTTLS, CAPABILITY again and LOGIN, checked
/// byte for byte; the session is then at SELECT (`a5`).
fn logged_in(plan: Plan) -> Session {
    let mut s = Session::new(plan);
    assert_eq!(s.server(GREETING), "a1 CAPABILITY\r\n");
    assert_eq!(
        s.server(&format!("{PRE_TLS}a1 {LISTED}")),
        "a2 STARTTLS\r\n"
    );
    assert_eq!(
        s.server("a2 OK Begin TLS negotiation now.\r\n"),
        "<StartTls>"
    );
    assert_eq!(s.tls(), "a3 CAPABILITY\r\n");
    assert_eq!(
        s.server(&format!("{POST_TLS}a3 {LISTED}")),
        "a4 LOGIN bob@friend.test secret\r\n"
    );
    assert_eq!(s.server(&format!("a4 {LOGGED_IN}")), "a5 SELECT INBOX\r\n");
    s
}

#[test]
#[should_panic(expected = "Failed")]
fn the_command_check_catches_what_is_not_a_command() {
    commands_parse(b"a1 FETCH\r\n");
}

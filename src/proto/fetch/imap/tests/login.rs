//! Greeting, STARTTLS and login: when the password is sent, and when not.

use super::*;

#[test]
fn logindisabled_without_tls_keeps_the_password_to_itself() {
    let mut p = plan();
    p.starttls = StartTls::None;
    let mut s = Session::new(p);
    s.server(GREETING);
    assert_eq!(s.server(&format!("{PRE_TLS}a1 {LISTED}")), "a2 LOGOUT\r\n");
    s.server(&format!("{BYE}a2 OK Logout completed.\r\n"));
    assert_eq!(s.outcome().failure, Some(Failure::LoginDisabled));
    assert!(!String::from_utf8_lossy(&s.wire).contains("secret"));

    // The same with AUTHENTICATE PLAIN: no AUTH=PLAIN before TLS.
    let mut p = plan();
    p.starttls = StartTls::None;
    p.login = Login::AuthenticatePlain;
    let mut s = Session::new(p);
    s.server(GREETING);
    assert_eq!(s.server(&format!("{PRE_TLS}a1 {LISTED}")), "a2 LOGOUT\r\n");
    assert_eq!(s.eof(), "<Done>");
    assert_eq!(s.outcome().failure, Some(Failure::LoginDisabled));
}

#[test]
fn a_server_without_logindisabled_gets_the_password_in_plaintext() {
    let mut p = plan();
    p.starttls = StartTls::None;
    let mut s = Session::new(p);
    s.server("* OK IMAP4rev1 Service Ready\r\n");
    assert_eq!(
        s.server("* CAPABILITY IMAP4rev1 IDLE\r\na1 OK CAPABILITY completed\r\n"),
        "a2 LOGIN bob@friend.test secret\r\n"
    );
    assert_eq!(
        s.server("a2 OK LOGIN completed\r\n"),
        "a3 CAPABILITY\r\n",
        "no capabilities with the OK: ask again"
    );
    assert_eq!(
        s.server("* CAPABILITY IMAP4rev1 IDLE\r\na3 OK CAPABILITY completed\r\n"),
        "a4 SELECT INBOX\r\n"
    );
}

#[test]
fn required_starttls_that_is_not_offered_gives_up_with_logout() {
    let mut p = plan();
    p.starttls = StartTls::Require;
    let mut s = Session::new(p);
    s.server("* OK [CAPABILITY IMAP4rev1 AUTH=PLAIN] Dovecot ready.\r\n");
    assert_eq!(
        s.server(&format!("* CAPABILITY IMAP4rev1 AUTH=PLAIN\r\na1 {LISTED}")),
        "a2 LOGOUT\r\n"
    );
    s.server(&format!("{BYE}a2 OK Logout completed.\r\n"));
    let o = s.outcome();
    assert_eq!(o.failure, Some(Failure::TlsNotOffered));
    assert!(o.logged_out);
    assert!(!String::from_utf8_lossy(&s.wire).contains("secret"));
}

#[test]
fn on_993_tls_is_already_up_so_starttls_is_never_sent() {
    let mut p = plan();
    p.implicit_tls = true;
    p.starttls = StartTls::Require;
    let mut s = Session::new(p);
    s.server("* OK [CAPABILITY IMAP4rev1 AUTH=PLAIN] Dovecot ready.\r\n");
    assert_eq!(
        s.server(&format!("* CAPABILITY IMAP4rev1 AUTH=PLAIN\r\na1 {LISTED}")),
        "a2 LOGIN bob@friend.test secret\r\n",
        "on 993 TLS is already up"
    );
}

#[test]
fn a_wrong_password_is_refused_in_the_servers_words() {
    let mut s = Session::new(plan());
    s.server(GREETING);
    s.server(&format!("{PRE_TLS}a1 {LISTED}"));
    s.server("a2 OK Begin TLS negotiation now.\r\n");
    s.tls();
    s.server(&format!("{POST_TLS}a3 {LISTED}"));
    assert_eq!(
        s.server("a4 NO [AUTHENTICATIONFAILED] Authentication failed.\r\n"),
        "a5 LOGOUT\r\n"
    );
    s.server(&format!("{BYE}a5 OK Logout completed.\r\n"));
    assert_eq!(
        s.outcome().failure,
        Some(Failure::LoginRefused {
            said: "NO [AUTHENTICATIONFAILED] Authentication failed.".into()
        })
    );
}

#[test]
fn authenticate_plain_with_and_without_sasl_ir() {
    let mut p = plan();
    p.login = Login::AuthenticatePlain;
    let mut s = Session::new(p.clone());
    s.server(GREETING);
    s.server(&format!("{PRE_TLS}a1 {LISTED}"));
    s.server("a2 OK Begin TLS negotiation now.\r\n");
    s.tls();
    assert_eq!(
        s.server(&format!("{POST_TLS}a3 {LISTED}")),
        "a4 AUTHENTICATE PLAIN AGJvYkBmcmllbmQudGVzdABzZWNyZXQ=\r\n"
    );
    assert_eq!(s.server(&format!("a4 {LOGGED_IN}")), "a5 SELECT INBOX\r\n");

    let mut s = Session::new(p);
    s.server("* OK ready\r\n");
    assert_eq!(
        s.server("* CAPABILITY IMAP4rev1 AUTH=PLAIN\r\na1 OK done\r\n"),
        "a2 AUTHENTICATE PLAIN\r\n"
    );
    assert_eq!(s.server("+ \r\n"), "AGJvYkBmcmllbmQudGVzdABzZWNyZXQ=\r\n");
    assert_eq!(s.server("+ \r\n"), "*\r\n", "asked again: cancel");
    assert_eq!(
        s.server("a2 BAD Authentication canceled\r\n"),
        "a3 LOGOUT\r\n"
    );
    s.server(&format!("{BYE}a3 OK Logout completed.\r\n"));
    assert!(matches!(
        s.outcome().failure,
        Some(Failure::LoginRefused { .. })
    ));
}

#[test]
fn bytes_after_the_starttls_ok_are_never_read_as_if_encrypted() {
    let mut s = Session::new(plan());
    s.server(GREETING);
    s.server(&format!("{PRE_TLS}a1 {LISTED}"));
    assert_eq!(
        s.server("a2 OK Begin TLS negotiation now.\r\na3 OK [CAPABILITY IMAP4rev1 AUTH=PLAIN] injected\r\n"),
        "<StartTls>"
    );
    assert_eq!(s.tls(), "a3 CAPABILITY\r\n");
    assert_eq!(
        s.server(&format!("{POST_TLS}a3 {LISTED}")),
        "a4 LOGIN bob@friend.test secret\r\n",
        "the injected answer to a3 was dropped"
    );
}

#[test]
fn starttls_refused_or_a_failed_handshake_ends_the_session() {
    let mut s = Session::new(plan());
    s.server(GREETING);
    s.server(&format!("{PRE_TLS}a1 {LISTED}"));
    assert_eq!(
        s.server("a2 BAD TLS is not configured\r\n"),
        "a3 LOGOUT\r\n"
    );
    s.eof();
    assert!(matches!(
        s.outcome().failure,
        Some(Failure::StartTlsRefused { .. })
    ));

    let mut s = Session::new(plan());
    s.server(GREETING);
    s.server(&format!("{PRE_TLS}a1 {LISTED}"));
    s.server("a2 OK Begin TLS negotiation now.\r\n");
    let out = s.client.tls_failed("certificate expired".into());
    assert_eq!(s.show(out), "<Done>");
    assert_eq!(
        s.outcome().failure,
        Some(Failure::Tls {
            reason: "certificate expired".into()
        })
    );
}

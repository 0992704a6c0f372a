//! What the server says about a command's shape: parameters of extensions
//! it did not advertise (RFC 5321 section 4.1.1.11: 555 5.5.4), and the
//! replies to commands smtp-proto could not parse.

use smtp_proto::{Error as ParseError, MailFrom, RcptTo};

/// The first MAIL FROM parameter of an extension this server does not
/// offer (RFC 5321 section 4.1.1.11: a server must not accept parameters of
/// extensions it did not advertise). `requiretls`: REQUIRETLS was offered.
pub(super) fn unadvertised_mail_parameter(
    from: &MailFrom<String>,
    esmtp: bool,
    requiretls: bool,
) -> Option<&'static str> {
    use smtp_proto::*;
    let offered = MAIL_BODY_7BIT | MAIL_BODY_8BITMIME;
    let checks: [(bool, &'static str); 13] = [
        (from.flags & MAIL_BODY_BINARYMIME != 0, "BODY=BINARYMIME"),
        (from.flags & MAIL_SMTPUTF8 != 0, "SMTPUTF8"),
        (from.flags & (MAIL_RET_FULL | MAIL_RET_HDRS) != 0, "RET"),
        (from.env_id.is_some(), "ENVID"),
        (
            from.flags & MAIL_REQUIRETLS != 0 && !requiretls,
            "REQUIRETLS",
        ),
        (from.flags & MAIL_CONPERM != 0, "CONPERM"),
        (
            from.by != 0 || from.flags & (MAIL_BY_NOTIFY | MAIL_BY_RETURN | MAIL_BY_TRACE) != 0,
            "BY",
        ),
        (from.mtrk.is_some(), "MTRK"),
        (from.hold_for != 0 || from.hold_until != 0, "FUTURERELEASE"),
        (from.mt_priority != 0, "MT-PRIORITY"),
        (from.trans_id.is_some(), "TRANSID"),
        (from.solicit.is_some(), "SOLICIT"),
        (
            !esmtp && (from.flags & offered != 0 || from.size != 0),
            "parameters after HELO",
        ),
    ];
    checks
        .into_iter()
        .find(|(bad, _)| *bad)
        .map(|(_, name)| name)
}

/// The first RCPT TO parameter of an extension not offered (DSN, RRVS).
pub(super) fn unadvertised_rcpt_parameter(to: &RcptTo<String>) -> Option<&'static str> {
    if to.flags
        & (smtp_proto::RCPT_NOTIFY_SUCCESS
            | smtp_proto::RCPT_NOTIFY_FAILURE
            | smtp_proto::RCPT_NOTIFY_DELAY
            | smtp_proto::RCPT_NOTIFY_NEVER)
        != 0
    {
        return Some("NOTIFY");
    }
    if to.orcpt.is_some() {
        return Some("ORCPT");
    }
    if to.rrvs != 0 || to.flags != 0 {
        return Some("RRVS");
    }
    None
}

pub(super) fn parse_error_reply(err: &ParseError) -> (u16, String) {
    match err {
        ParseError::UnknownCommand => (500, "5.5.2 Error: command not recognized".into()),
        ParseError::SyntaxError { syntax } => (501, format!("5.5.4 Syntax: {syntax}")),
        ParseError::InvalidSenderAddress => (501, "5.1.7 Bad sender address syntax".into()),
        ParseError::InvalidRecipientAddress => (501, "5.1.3 Bad recipient address syntax".into()),
        ParseError::InvalidParameter { param } => {
            (501, format!("5.5.4 Invalid parameter: {param}"))
        }
        ParseError::UnsupportedParameter { param } => {
            (555, format!("5.5.4 Unsupported option: {param}"))
        }
        _ => (501, "5.5.4 Syntax error".into()),
    }
}

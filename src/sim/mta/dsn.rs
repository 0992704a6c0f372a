//! Delivery status notifications (RFC 3464, with RFC 3463 status codes):
//! the message a server writes back to a sender when mail failed, or is
//! late. Pure: everything it says is passed in.
//!
//! A notice is a `multipart/report` with three parts: words for a person,
//! a `message/delivery-status` part for programs (one block per recipient:
//! `Final-Recipient`, `Action`, `Status`, and when a remote server answered,
//! `Remote-MTA` and its reply verbatim in `Diagnostic-Code: smtp;`), and
//! the returned message's header.

use crate::proto::smtp::Reply;

/// Why one recipient failed, or is late.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Problem {
    /// RFC 3463 status, `5.1.1`, `4.4.1`.
    pub status: String,
    /// In words, as the trace and the human part of a notice say it.
    pub reason: String,
    /// The remote server and its reply, when a server answered.
    pub remote: Option<(String, Reply)>,
}

/// `failed` (a bounce) or `delayed` (a warning; still being retried).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Action {
    Failed,
    Delayed,
}

/// Everything a notice says.
pub struct Notice<'a> {
    pub action: Action,
    /// The node writing the notice.
    pub reporting_mta: &'a str,
    pub queue_id: &'a str,
    /// The original sender, to whom the notice goes.
    pub sender: &'a str,
    /// When the original message arrived at this node (RFC 5322 date).
    pub arrival_date: &'a str,
    /// Now (RFC 5322 date).
    pub date: &'a str,
    pub message_id: &'a str,
    /// MIME boundary (derived from queue ids, so runs are identical).
    pub boundary: &'a str,
    pub recipients: &'a [(String, Problem)],
    /// For a delay warning: how long it waited, and until when it is retried.
    pub delayed_for: Option<(&'a str, &'a str)>,
    /// The header section of the original message.
    pub original_headers: &'a str,
}

impl Notice<'_> {
    /// The notice as an RFC 5322 message, CRLF line ends.
    pub fn write(&self) -> Vec<u8> {
        let (node, boundary) = (self.reporting_mta, self.boundary);
        let subject = match self.action {
            Action::Failed => "Undelivered Mail Returned to Sender",
            Action::Delayed => "Delayed Mail (still being retried)",
        };
        let mut text = String::new();
        text.push_str(&format!(
            "From: Mail Delivery System <MAILER-DAEMON@{node}>\r\n"
        ));
        text.push_str(&format!("To: <{}>\r\n", self.sender));
        text.push_str(&format!("Subject: {subject}\r\n"));
        text.push_str(&format!(
            "Date: {}\r\nMessage-ID: {}\r\n",
            self.date, self.message_id
        ));
        text.push_str("Auto-Submitted: auto-replied\r\nMIME-Version: 1.0\r\n");
        text.push_str(&format!(
            "Content-Type: multipart/report; report-type=delivery-status;\r\n\tboundary=\"{boundary}\"\r\n\r\n"
        ));
        text.push_str("This is a MIME-encapsulated message.\r\n\r\n");
        text.push_str(&format!(
            "--{boundary}\r\nContent-Type: text/plain; charset=us-ascii\r\n\r\n"
        ));
        text.push_str(&format!("This is the mail system at host {node}.\r\n\r\n"));
        match (self.action, self.delayed_for) {
            (Action::Delayed, Some((waited, until))) => text.push_str(&format!(
                "####### THIS IS A WARNING ONLY. YOU DO NOT NEED TO RESEND YOUR MESSAGE. #######\r\n\r\nYour message could not be delivered for {waited}.\r\nIt will be retried until {until}.\r\n\r\n"
            )),
            _ => text.push_str(
                "I'm sorry to have to inform you that your message could not\r\nbe delivered to one or more recipients.\r\n\r\n",
            ),
        }
        for (rcpt, problem) in self.recipients {
            text.push_str(&format!("<{rcpt}>: {}\r\n", problem.reason));
        }
        text.push_str(&format!(
            "\r\n--{boundary}\r\nContent-Type: message/delivery-status\r\n\r\nReporting-MTA: dns; {node}\r\nX-Mailhop-Queue-ID: {}\r\nArrival-Date: {}\r\n",
            self.queue_id, self.arrival_date
        ));
        let action = match self.action {
            Action::Failed => "failed",
            Action::Delayed => "delayed",
        };
        for (rcpt, problem) in self.recipients {
            text.push_str(&format!(
                "\r\nFinal-Recipient: rfc822; {rcpt}\r\nAction: {action}\r\nStatus: {}\r\n",
                problem.status
            ));
            if let Some((host, reply)) = &problem.remote {
                text.push_str(&format!(
                    "Remote-MTA: dns; {host}\r\nDiagnostic-Code: smtp; {} {}\r\n",
                    reply.code,
                    one_line(&reply.text())
                ));
            }
            if let (Action::Delayed, Some((_, until))) = (self.action, self.delayed_for) {
                text.push_str(&format!("Will-Retry-Until: {until}\r\n"));
            }
        }
        text.push_str(&format!(
            "\r\n--{boundary}\r\nContent-Type: text/rfc822-headers\r\n\r\n{}\r\n--{boundary}--\r\n",
            self.original_headers
        ));
        text.into_bytes()
    }
}

fn one_line(text: &str) -> String {
    text.replace(['\r', '\n'], " ")
}

/// The header section of a message, without the blank line.
pub fn headers_of(data: &[u8]) -> String {
    let text = String::from_utf8_lossy(data);
    match text.find("\r\n\r\n") {
        Some(end) => text[..end].to_string(),
        None => text.trim_end().to_string(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn notice<'a>(recipients: &'a [(String, Problem)], action: Action) -> Notice<'a> {
        Notice {
            action,
            reporting_mta: "mail.home.test",
            queue_id: "Q1",
            sender: "alice@home.test",
            arrival_date: "Mon, 5 Jan 2026 09:00:00 +0000",
            date: "Mon, 5 Jan 2026 13:00:00 +0000",
            message_id: "<Q2.Q1@mail.home.test>",
            boundary: "Q1/mail.home.test",
            recipients,
            delayed_for: (action == Action::Delayed)
                .then_some(("4 hours", "Sat, 10 Jan 2026 09:00:00 +0000")),
            original_headers: "Subject: hi",
        }
    }

    #[test]
    fn rfc3464_remote_replies_are_quoted_verbatim_with_their_mta() {
        let rcpts = vec![(
            "bbo@friend.test".to_string(),
            Problem {
                status: "5.1.1".into(),
                reason: "550 host mx.friend.test said: 5.1.1 <bbo@friend.test>: unknown".into(),
                remote: Some((
                    "mx.friend.test".into(),
                    Reply::new(550, "5.1.1 <bbo@friend.test>: unknown"),
                )),
            },
        )];
        let text = String::from_utf8(notice(&rcpts, Action::Failed).write()).unwrap();
        assert!(text.contains("Arrival-Date: Mon, 5 Jan 2026 09:00:00 +0000\r\n"));
        assert!(text.contains(
            "Final-Recipient: rfc822; bbo@friend.test\r\nAction: failed\r\nStatus: 5.1.1\r\nRemote-MTA: dns; mx.friend.test\r\nDiagnostic-Code: smtp; 550 5.1.1 <bbo@friend.test>: unknown\r\n"
        ), "{text}");
        let parsed = mail_parser::MessageParser::default()
            .parse(text.as_bytes())
            .expect("parses");
        assert_eq!(
            parsed.subject(),
            Some("Undelivered Mail Returned to Sender")
        );
    }

    #[test]
    fn rfc3464_no_diagnostic_code_without_a_remote_reply() {
        let rcpts = vec![(
            "zed@gone.test".to_string(),
            Problem {
                status: "4.4.1".into(),
                reason: "connect to mx.gone.test: connection timed out".into(),
                remote: None,
            },
        )];
        let text = String::from_utf8(notice(&rcpts, Action::Delayed).write()).unwrap();
        assert!(!text.contains("Diagnostic-Code"));
        assert!(!text.contains("Remote-MTA"));
        assert!(text.contains("Action: delayed\r\nStatus: 4.4.1\r\nWill-Retry-Until:"));
        assert!(text.contains("Subject: Delayed Mail (still being retried)"));
    }
}

//! The `Received` trace header a server puts on top of every message it
//! accepts (RFC 5321 section 4.4), worded and folded like Postfix's, so a
//! student can read a real message's path the same way.

/// What a `Received` header says about one hop.
#[derive(Debug, Clone)]
pub struct Stamp<'a> {
    /// The name the client gave in HELO/EHLO.
    pub helo: Option<&'a str>,
    /// The client's name from its PTR record, or `unknown`.
    pub client_name: &'a str,
    pub client_ip: &'a str,
    /// TLS version and cipher, when the hop was encrypted.
    pub tls: Option<&'a (String, String)>,
    /// The logged-in user, on submission.
    pub user: Option<&'a str>,
    /// This server's host name.
    pub by: &'a str,
    /// `SMTP`, `ESMTP`, `ESMTPS`, `ESMTPA` or `ESMTPSA` (RFC 3848).
    pub protocol: &'a str,
    pub queue_id: &'a str,
    pub recipients: &'a [String],
    /// The date, already in RFC 5322 form.
    pub date: &'a str,
}

impl Stamp<'_> {
    /// The header, folded over several lines, ending in CRLF.
    pub fn header(&self) -> String {
        let mut h = format!(
            "Received: from {} ({} [{}])\r\n",
            self.helo.unwrap_or("unknown"),
            self.client_name,
            self.client_ip
        );
        if let Some((version, cipher)) = self.tls {
            h.push_str(&format!("\t(using {version} with cipher {cipher})\r\n"));
        }
        if let Some(user) = self.user {
            h.push_str(&format!("\t(Authenticated sender: {user})\r\n"));
        }
        h.push_str(&format!(
            "\tby {} (mailhop) with {} id {}",
            self.by, self.protocol, self.queue_id
        ));
        if let [only] = self.recipients {
            h.push_str(&format!("\r\n\tfor <{only}>"));
        }
        h.push_str(&format!("; {}\r\n", self.date));
        h
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn header_is_folded_like_postfix() {
        let tls = (
            "TLSv1.3".to_string(),
            "TLS13_AES_128_GCM_SHA256".to_string(),
        );
        let rcpts = vec!["bob@friend.test".to_string()];
        let stamp = Stamp {
            helo: Some("mail.home.test"),
            client_name: "mail.home.test",
            client_ip: "192.0.2.1",
            tls: Some(&tls),
            user: None,
            by: "mx.friend.test",
            protocol: "ESMTPS",
            queue_id: "004B1D01F3",
            recipients: &rcpts,
            date: "Mon, 5 Jan 2026 09:00:00 +0000",
        };
        assert_eq!(
            stamp.header(),
            "Received: from mail.home.test (mail.home.test [192.0.2.1])\r\n\
             \t(using TLSv1.3 with cipher TLS13_AES_128_GCM_SHA256)\r\n\
             \tby mx.friend.test (mailhop) with ESMTPS id 004B1D01F3\r\n\
             \tfor <bob@friend.test>; Mon, 5 Jan 2026 09:00:00 +0000\r\n"
        );
    }
}

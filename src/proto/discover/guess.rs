//! The guesses: host names and ports a mail client tries when nobody told
//! it where its servers are, in Thunderbird's order of preference.
//!
//! Thunderbird (`GuessConfig.sys.mjs`) tries `imap.`, `mail.` and the
//! domain itself for IMAP (`pop3.`, `pop.`, `mail.`, the domain for POP3)
//! and `smtp.`, `mail.` and the domain for sending, each on the protocol's
//! ports, and prefers TLS from the first byte to STARTTLS and STARTTLS to
//! none; among equals, the host names keep the order above. It probes them
//! all at once and takes the most preferred that answered; mailhop probes
//! one at a time in that order, which picks the same server and shows each
//! probe as a step.

use crate::scenario::{Retrieval, SocketType};

/// One host and port to probe.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Guess {
    pub host: String,
    pub port: u16,
    pub socket: SocketType,
}

/// Where to look for a server to read mail by `protocol` for `domain`.
pub fn incoming(protocol: Retrieval, domain: &str) -> Vec<Guess> {
    let (prefixes, ssl, other): (&[&str], u16, u16) = match protocol {
        Retrieval::Imap => (&["imap.", "mail.", ""], 993, 143),
        Retrieval::Pop3 => (&["pop3.", "pop.", "mail.", ""], 995, 110),
    };
    let ports = [
        (SocketType::Starttls, other),
        (SocketType::Ssl, ssl),
        (SocketType::Plain, other),
    ];
    by_preference(prefixes, &ports, domain)
}

/// Where to look for a server to send mail for `domain`.
pub fn outgoing(domain: &str) -> Vec<Guess> {
    let ports = [
        (SocketType::Starttls, 587),
        (SocketType::Starttls, 25),
        (SocketType::Ssl, 465),
        (SocketType::Plain, 587),
        (SocketType::Plain, 25),
    ];
    by_preference(&["smtp.", "mail.", ""], &ports, domain)
}

/// Every host with every port, then sorted (stably) by how the connection
/// is secured: TLS from the first byte, STARTTLS, none.
fn by_preference(prefixes: &[&str], ports: &[(SocketType, u16)], domain: &str) -> Vec<Guess> {
    let mut all: Vec<Guess> = prefixes
        .iter()
        .flat_map(|prefix| {
            ports.iter().map(move |&(socket, port)| Guess {
                host: format!("{prefix}{domain}"),
                port,
                socket,
            })
        })
        .collect();
    all.sort_by_key(|g| g.socket);
    all
}

#[cfg(test)]
mod tests {
    use super::*;

    fn short(guesses: &[Guess]) -> Vec<String> {
        guesses
            .iter()
            .map(|g| format!("{}:{} {}", g.host, g.port, g.socket.as_xml()))
            .collect()
    }

    #[test]
    fn imap_prefers_tls_then_starttls_then_plain_keeping_the_host_order() {
        assert_eq!(
            short(&incoming(Retrieval::Imap, "d.test")),
            [
                "imap.d.test:993 SSL",
                "mail.d.test:993 SSL",
                "d.test:993 SSL",
                "imap.d.test:143 STARTTLS",
                "mail.d.test:143 STARTTLS",
                "d.test:143 STARTTLS",
                "imap.d.test:143 plain",
                "mail.d.test:143 plain",
                "d.test:143 plain",
            ]
        );
    }

    #[test]
    fn pop3_tries_four_names() {
        let all = incoming(Retrieval::Pop3, "d.test");
        assert_eq!(all.len(), 12);
        assert_eq!(
            short(&all[..2]),
            ["pop3.d.test:995 SSL", "pop.d.test:995 SSL"]
        );
    }

    #[test]
    fn sending_tries_465_first_then_587_before_25() {
        let all = short(&outgoing("d.test"));
        assert_eq!(all.len(), 15);
        assert_eq!(
            all[..6],
            [
                "smtp.d.test:465 SSL",
                "mail.d.test:465 SSL",
                "d.test:465 SSL",
                "smtp.d.test:587 STARTTLS",
                "smtp.d.test:25 STARTTLS",
                "mail.d.test:587 STARTTLS",
            ]
        );
    }
}

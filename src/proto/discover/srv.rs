//! SRV records for mail (RFC 6186, RFC 8314): which names a client asks
//! for, and in which order it tries what it was told.
//!
//! RFC 2782 tries records by priority, lowest first, and among records of
//! the same priority draws one at random in proportion to its weight. A
//! simulation that must give the same trace for the same seed draws
//! nothing here: among equal priorities the record over implicit TLS comes
//! first (RFC 8314 section 5.1 prefers it), then the heavier weight (the
//! one a draw would most often pick), then the target name and the port,
//! so the order never depends on how the zone happens to list them.
//!
//! The two services of one kind (`_imaps` and `_imap`) are one list: their
//! priorities say which the domain prefers (RFC 6186 section 3.4).

use crate::scenario::{Retrieval, SocketType, SrvRecord};

/// The services a client asks for to read mail by `protocol`, implicit TLS
/// first: (label, how the port is secured).
pub fn incoming_services(protocol: Retrieval) -> [(&'static str, SocketType); 2] {
    match protocol {
        Retrieval::Imap => [
            ("_imaps._tcp", SocketType::Ssl),
            ("_imap._tcp", SocketType::Starttls),
        ],
        Retrieval::Pop3 => [
            ("_pop3s._tcp", SocketType::Ssl),
            ("_pop3._tcp", SocketType::Starttls),
        ],
    }
}

/// The services a client asks for to send mail.
pub fn outgoing_services() -> [(&'static str, SocketType); 2] {
    [
        ("_submissions._tcp", SocketType::Ssl),
        ("_submission._tcp", SocketType::Starttls),
    ]
}

/// A record found under one of the services, with how its port is secured.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Offer {
    pub record: SrvRecord,
    pub socket: SocketType,
}

/// The order to try `offers` in (see the module's comment). Records whose
/// target is `.` say the service is not offered and are left out.
pub fn order(mut offers: Vec<Offer>) -> Vec<Offer> {
    offers.retain(|o| !o.record.is_null());
    offers.sort_by(|a, b| {
        let key = |o: &Offer| {
            (
                o.record.priority,
                o.socket != SocketType::Ssl,
                std::cmp::Reverse(o.record.weight),
                o.record.target.trim_end_matches('.').to_ascii_lowercase(),
                o.record.port,
            )
        };
        key(a).cmp(&key(b))
    });
    offers
}

#[cfg(test)]
mod tests {
    use super::*;

    fn offer(priority: u16, weight: u16, port: u16, target: &str, socket: SocketType) -> Offer {
        Offer {
            record: SrvRecord {
                priority,
                weight,
                port,
                target: target.into(),
            },
            socket,
        }
    }

    fn targets(offers: &[Offer]) -> Vec<(&str, u16)> {
        offers
            .iter()
            .map(|o| (o.record.target.as_str(), o.record.port))
            .collect()
    }

    #[test]
    fn lower_priority_first_then_heavier_weight_then_name() {
        use SocketType::Ssl;
        let ordered = order(vec![
            offer(20, 100, 993, "backup.test", Ssl),
            offer(10, 1, 993, "small.test", Ssl),
            offer(10, 60, 993, "b.test", Ssl),
            offer(10, 60, 993, "a.test", Ssl),
        ]);
        assert_eq!(
            targets(&ordered),
            [
                ("a.test", 993),
                ("b.test", 993),
                ("small.test", 993),
                ("backup.test", 993)
            ]
        );
    }

    #[test]
    fn the_zones_order_does_not_matter() {
        use SocketType::Ssl;
        let records = vec![
            offer(0, 5, 993, "x.test", Ssl),
            offer(0, 5, 994, "x.test", Ssl),
            offer(0, 0, 993, "w.test", Ssl),
        ];
        let mut reversed = records.clone();
        reversed.reverse();
        assert_eq!(order(records), order(reversed));
    }

    #[test]
    fn priorities_choose_between_imaps_and_imap_and_tls_breaks_ties() {
        use SocketType::{Ssl, Starttls};
        let domain_prefers_starttls = order(vec![
            offer(10, 0, 993, "mail.test", Ssl),
            offer(0, 0, 143, "mail.test", Starttls),
        ]);
        assert_eq!(domain_prefers_starttls[0].socket, Starttls);
        let tie = order(vec![
            offer(0, 0, 143, "mail.test", Starttls),
            offer(0, 0, 993, "mail.test", Ssl),
        ]);
        assert_eq!(tie[0].socket, Ssl);
    }

    #[test]
    fn a_dot_target_offers_nothing() {
        let none = order(vec![offer(0, 0, 0, ".", SocketType::Ssl)]);
        assert!(none.is_empty());
    }
}

//! The DNS questions a policy asks, and the shape of their answers.
//!
//! Checks that judge a client or a message (reverse DNS, HELO, blocklists,
//! SPF, DKIM, DMARC, ARC) ask DNS while a session runs. A policy stays pure:
//! it asks through [`Dns`], which the simulation answers from the world's
//! zone (recording each question and answer in the trace) and tests answer
//! from a table. Answers are in presentation form, as a zone file writes
//! them without the owner: `192.0.2.10` (A), `10 mx.example.test` (MX), the
//! strings of one TXT record joined without a separator, `mx.example.test`
//! (PTR).

/// A record type a policy asks for.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum Rtype {
    A,
    Aaaa,
    Mx,
    Txt,
    Ptr,
    /// DANE records (RFC 6698), in presentation form: `3 1 1 <hex>`.
    Tlsa,
}

impl Rtype {
    /// The type's name as DNS tools print it.
    pub fn as_str(self) -> &'static str {
        match self {
            Rtype::A => "A",
            Rtype::Aaaa => "AAAA",
            Rtype::Mx => "MX",
            Rtype::Txt => "TXT",
            Rtype::Ptr => "PTR",
            Rtype::Tlsa => "TLSA",
        }
    }
}

/// What a lookup found.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Answer {
    /// The name has records of this type (never empty).
    Records(Vec<String>),
    /// The name exists, but has no record of this type (NOERROR, no answer).
    NoData,
    /// The name does not exist (NXDOMAIN).
    NxDomain,
    /// The lookup did not finish (SERVFAIL or a timeout): a temporary error.
    TempFail,
}

impl Answer {
    /// The records, or nothing for every kind of absence.
    pub fn records(&self) -> &[String] {
        match self {
            Answer::Records(r) => r,
            _ => &[],
        }
    }
}

/// Someone who answers DNS questions for a policy.
pub trait Dns {
    /// Looks `name` (without a trailing dot, any case) up for `rtype`.
    fn ask(&self, name: &str, rtype: Rtype) -> Answer;
}

/// `192.0.2.10` → `10.2.0.192.in-addr.arpa` (RFC 1035 section 3.5); for
/// IPv6, the nibbles under `ip6.arpa` (RFC 3596). `None` for anything that
/// is not an address.
pub fn reverse_name(ip: &str) -> Option<String> {
    match ip.parse::<std::net::IpAddr>().ok()? {
        std::net::IpAddr::V4(v4) => {
            let [a, b, c, d] = v4.octets();
            Some(format!("{d}.{c}.{b}.{a}.in-addr.arpa"))
        }
        std::net::IpAddr::V6(v6) => {
            let mut out = String::new();
            for byte in v6.octets().iter().rev() {
                out.push_str(&format!("{:x}.{:x}.", byte & 0xf, byte >> 4));
            }
            out.push_str("ip6.arpa");
            Some(out)
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reverse_names_for_both_families() {
        assert_eq!(
            reverse_name("192.0.2.10").as_deref(),
            Some("10.2.0.192.in-addr.arpa")
        );
        assert_eq!(
            reverse_name("2001:db8::1").as_deref(),
            Some("1.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.8.b.d.0.1.0.0.2.ip6.arpa")
        );
        assert_eq!(reverse_name("mx.example.test"), None);
    }
}

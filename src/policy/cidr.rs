//! IPv4 address ranges in CIDR notation (RFC 4632): `198.18.5.0/24` is the
//! 256 addresses from 198.18.5.0 to 198.18.5.255. A blocklist lists ranges
//! (a provider's whole block of home lines), and a network rule applies to
//! every machine whose address is in its range.

use std::fmt;
use std::net::Ipv4Addr;

/// An IPv4 range: a network address and how many leading bits are fixed.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct Cidr {
    network: Ipv4Addr,
    bits: u8,
}

/// Why a text is not a range, in words for a scenario author.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum CidrError {
    /// The part before the `/` is not an IPv4 address.
    NotAnAddress,
    /// The prefix length is not a number from 0 to 32.
    BadPrefix,
    /// Bits are set after the prefix (`198.18.5.7/24`): the range would
    /// start elsewhere than written.
    HostBitsSet { network: Ipv4Addr },
}

impl fmt::Display for CidrError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            CidrError::NotAnAddress => f.write_str("it does not start with an IPv4 address"),
            CidrError::BadPrefix => {
                f.write_str("the length after `/` must be a number from 0 to 32")
            }
            CidrError::HostBitsSet { network } => {
                write!(f, "the range this length makes starts at {network}")
            }
        }
    }
}

impl Cidr {
    /// Reads `a.b.c.d/n`, or a lone address (a range of one, `/32`).
    pub fn parse(text: &str) -> Result<Cidr, CidrError> {
        let (address, bits) = match text.split_once('/') {
            Some((address, bits)) => {
                let bits: u8 = match bits.parse() {
                    Ok(n) if n <= 32 && !bits.starts_with('+') => n,
                    _ => return Err(CidrError::BadPrefix),
                };
                (address, bits)
            }
            None => (text, 32),
        };
        let address: Ipv4Addr = address.parse().map_err(|_| CidrError::NotAnAddress)?;
        let network = Ipv4Addr::from(u32::from(address) & mask(bits));
        if network != address {
            return Err(CidrError::HostBitsSet { network });
        }
        Ok(Cidr { network, bits })
    }

    /// Whether `ip` is in the range.
    pub fn contains(&self, ip: Ipv4Addr) -> bool {
        u32::from(ip) & mask(self.bits) == u32::from(self.network)
    }

    /// Whether the text `ip` is an IPv4 address in the range.
    pub fn contains_text(&self, ip: &str) -> bool {
        ip.parse().is_ok_and(|ip| self.contains(ip))
    }

    /// Whether the two ranges share an address.
    pub fn overlaps(&self, other: &Cidr) -> bool {
        self.contains(other.network) || other.contains(self.network)
    }
}

impl fmt::Display for Cidr {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}/{}", self.network, self.bits)
    }
}

fn mask(bits: u8) -> u32 {
    match bits {
        0 => 0,
        n => u32::MAX << (32 - u32::from(n)),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_range_holds_exactly_its_addresses() {
        let home = Cidr::parse("198.18.5.0/24").unwrap();
        assert!(home.contains_text("198.18.5.0"));
        assert!(home.contains_text("198.18.5.255"));
        assert!(!home.contains_text("198.18.6.0"));
        assert!(!home.contains_text("198.18.4.255"));
        assert!(!home.contains_text("not an address"));
        let one = Cidr::parse("203.0.113.7").unwrap();
        assert!(one.contains_text("203.0.113.7") && !one.contains_text("203.0.113.8"));
        assert!(Cidr::parse("0.0.0.0/0").unwrap().contains_text("192.0.2.1"));
        assert_eq!(home.to_string(), "198.18.5.0/24");
    }

    #[test]
    fn bad_ranges_say_what_is_wrong() {
        assert_eq!(Cidr::parse("198.18.5/24"), Err(CidrError::NotAnAddress));
        assert_eq!(Cidr::parse("198.18.5.0/33"), Err(CidrError::BadPrefix));
        assert_eq!(Cidr::parse("198.18.5.0/"), Err(CidrError::BadPrefix));
        assert_eq!(Cidr::parse("198.18.5.0/+8"), Err(CidrError::BadPrefix));
        assert_eq!(
            Cidr::parse("198.18.5.7/24"),
            Err(CidrError::HostBitsSet {
                network: Ipv4Addr::new(198, 18, 5, 0)
            })
        );
        assert_eq!(
            Cidr::parse("198.18.5.7/24").unwrap_err().to_string(),
            "the range this length makes starts at 198.18.5.0"
        );
    }

    #[test]
    fn overlapping_ranges_are_told() {
        let wide = Cidr::parse("198.18.0.0/16").unwrap();
        let home = Cidr::parse("198.18.5.0/24").unwrap();
        let other = Cidr::parse("198.19.0.0/16").unwrap();
        assert!(wide.overlaps(&home) && home.overlaps(&wide));
        assert!(!wide.overlaps(&other));
    }
}

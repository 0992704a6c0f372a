//! mail-auth's DNS, answered through [`Dns`](crate::policy::dns::Dns).
//!
//! mail-auth has no resolver trait; every lookup first asks an optional
//! cache (`ResolverCache`), and a cache that always answers keeps its own
//! resolver out. [`Hooks`] is that cache for TXT, MX, A, AAAA and PTR, so
//! every question SPF, DKIM, DMARC and ARC ask goes to the policy's `Dns`
//! (in a run: the world's zone, each question and answer recorded).
//!
//! Two things a hook cannot see, and how they are recovered:
//! - **The name.** A hook gets a generic `&Q`; every call site in 0.13.3
//!   passes `str`, whose `Hash` writes the bytes and then `0xFF`, so a
//!   hasher that keeps the bytes gives the name back ([`name_of`], held by a
//!   unit test).
//! - **Which record a TXT lookup wants.** `Txt` is one parsed variant; the
//!   owner name tells: `*._domainkey.*` is a DKIM key, `_dmarc.*` a DMARC
//!   record, anything else SPF (more than one `v=spf1` record is a
//!   permerror, RFC 7208 section 4.5), or the `exp=` text once an SPF
//!   record with `exp=` was served.
//!
//! A/AAAA/MX/PTR hooks can only answer records or nothing (nothing is
//! NXDOMAIN with mail-auth's `test` feature): a timeout there looks like a
//! missing name. PTR is asked only for the connecting client's address.
//!
//! The `insert` hooks name `Instant` because the trait does; they never
//! read a clock (tests/architecture.rs holds this file to that).

use std::borrow::Borrow;
use std::cell::Cell;
use std::hash::{Hash, Hasher};
use std::net::{IpAddr, Ipv4Addr, Ipv6Addr};
use std::sync::Arc;
use std::time::Instant;

use mail_auth::common::parse::TxtRecordParser;
use mail_auth::common::verify::DomainKey;
use mail_auth::dmarc::Dmarc;
use mail_auth::hickory_resolver::proto::op::ResponseCode;
use mail_auth::spf::{Macro, Spf};
use mail_auth::{DnsError, DnssecStatus, Error, MX, Parameters, RecordSet, ResolverCache, Txt};

use crate::policy::dns::{Answer, Dns, Rtype, reverse_name};

/// The name mail-auth asks for, from the key's hash input.
pub(super) fn name_of<Q: Hash + ?Sized>(q: &Q) -> String {
    struct Keep(Vec<u8>);
    impl Hasher for Keep {
        fn finish(&self) -> u64 {
            0
        }
        fn write(&mut self, bytes: &[u8]) {
            self.0.extend_from_slice(bytes);
        }
    }
    let mut keep = Keep(Vec::new());
    q.hash(&mut keep);
    if keep.0.last() == Some(&0xff) {
        keep.0.pop();
    }
    String::from_utf8_lossy(&keep.0)
        .trim_end_matches('.')
        .to_ascii_lowercase()
}

/// The five hooks, over one policy's `Dns`, for one client.
pub(super) struct Hooks<'a> {
    dns: &'a dyn Dns,
    client: IpAddr,
    exp_seen: Cell<bool>,
}

fn nxdomain() -> Error {
    Error::Dns(DnsError::RecordNotFound(ResponseCode::NXDomain))
}

fn set<T>(items: Vec<T>) -> Option<RecordSet<T>> {
    (!items.is_empty()).then(|| RecordSet {
        rrset: Arc::from(items.into_boxed_slice()),
        dnssec_status: DnssecStatus::Indeterminate,
    })
}

/// The parameters type every check takes, with the hooks in all five places.
pub(super) type Hooked<'x, P> =
    Parameters<'x, P, Hooks<'x>, Hooks<'x>, Hooks<'x>, Hooks<'x>, Hooks<'x>>;

impl<'a> Hooks<'a> {
    pub(super) fn new(dns: &'a dyn Dns, client: IpAddr) -> Self {
        Hooks {
            dns,
            client,
            exp_seen: Cell::new(false),
        }
    }

    /// `p` with all five hooks pointing here.
    pub(super) fn params<'x, P>(&'x self, p: P) -> Hooked<'x, P>
    where
        'a: 'x,
    {
        Parameters::new(p)
            .with_txt_cache(self)
            .with_mx_cache(self)
            .with_ipv4_cache(self)
            .with_ipv6_cache(self)
            .with_ptr_cache(self)
    }

    fn txt(&self, name: &str) -> Txt {
        let records = match self.dns.ask(name, Rtype::Txt) {
            Answer::Records(r) => r,
            Answer::NoData => return Txt::Error(Error::Dns(DnsError::InvalidRecordType)),
            Answer::NxDomain => return Txt::Error(nxdomain()),
            Answer::TempFail => {
                return Txt::Error(Error::Dns(DnsError::Resolver("SERVFAIL".into())));
            }
        };
        let first_parsed = |parse: fn(&[u8]) -> Txt| {
            records
                .iter()
                .map(|r| parse(r.as_bytes()))
                .find(|t| !matches!(t, Txt::Error(_)))
                .unwrap_or(Txt::Error(Error::Dns(DnsError::InvalidRecordType)))
        };
        if name.contains("._domainkey.") || name.starts_with("_domainkey.") {
            return first_parsed(|b| DomainKey::parse(b).into());
        }
        if name.starts_with("_dmarc.") {
            return first_parsed(|b| Dmarc::parse(b).into());
        }
        let spf: Vec<&String> = records
            .iter()
            .filter(|r| {
                let r = r.to_ascii_lowercase();
                r == "v=spf1" || r.starts_with("v=spf1 ")
            })
            .collect();
        match spf.as_slice() {
            [one] => {
                if one.to_ascii_lowercase().contains("exp=") {
                    self.exp_seen.set(true);
                }
                Spf::parse(one.as_bytes()).into()
            }
            [] if self.exp_seen.get() && records.len() == 1 => {
                Macro::parse(records[0].as_bytes()).into()
            }
            [] => Txt::Error(Error::Dns(DnsError::InvalidRecordType)),
            _ => Txt::Error(Error::ParseError),
        }
    }
}

impl ResolverCache<Box<str>, Txt> for Hooks<'_> {
    fn get<Q>(&self, name: &Q) -> Option<Txt>
    where
        Box<str>: Borrow<Q>,
        Q: Hash + Eq + ?Sized,
    {
        Some(self.txt(&name_of(name)))
    }
    fn remove<Q>(&self, _: &Q) -> Option<Txt>
    where
        Box<str>: Borrow<Q>,
        Q: Hash + Eq + ?Sized,
    {
        None
    }
    fn insert(&self, _: Box<str>, _: Txt, _: Instant) {}
}

macro_rules! by_name {
    ($ty:ty, $rtype:expr, $conv:expr) => {
        impl ResolverCache<Box<str>, RecordSet<$ty>> for Hooks<'_> {
            fn get<Q>(&self, name: &Q) -> Option<RecordSet<$ty>>
            where
                Box<str>: Borrow<Q>,
                Q: Hash + Eq + ?Sized,
            {
                let answer = self.dns.ask(&name_of(name), $rtype);
                set(answer.records().iter().filter_map($conv).collect())
            }
            fn remove<Q>(&self, _: &Q) -> Option<RecordSet<$ty>>
            where
                Box<str>: Borrow<Q>,
                Q: Hash + Eq + ?Sized,
            {
                None
            }
            fn insert(&self, _: Box<str>, _: RecordSet<$ty>, _: Instant) {}
        }
    };
}
by_name!(Ipv4Addr, Rtype::A, |r: &String| r.parse().ok());
by_name!(Ipv6Addr, Rtype::Aaaa, |r: &String| r.parse().ok());
by_name!(MX, Rtype::Mx, |r: &String| {
    let (pref, host) = r.split_once(' ')?;
    Some(MX {
        exchanges: Box::new([Box::from(host.trim_end_matches('.'))]),
        preference: pref.parse().ok()?,
    })
});

impl ResolverCache<IpAddr, RecordSet<Box<str>>> for Hooks<'_> {
    fn get<Q>(&self, ip: &Q) -> Option<RecordSet<Box<str>>>
    where
        IpAddr: Borrow<Q>,
        Q: Hash + Eq + ?Sized,
    {
        if self.client.borrow() != ip {
            return None;
        }
        let owner = reverse_name(&self.client.to_string())?;
        let answer = self.dns.ask(&owner, Rtype::Ptr);
        set(answer
            .records()
            .iter()
            .map(|h| Box::from(h.trim_end_matches('.')))
            .collect())
    }
    fn remove<Q>(&self, _: &Q) -> Option<RecordSet<Box<str>>>
    where
        IpAddr: Borrow<Q>,
        Q: Hash + Eq + ?Sized,
    {
        None
    }
    fn insert(&self, _: IpAddr, _: RecordSet<Box<str>>, _: Instant) {}
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_name_comes_back_from_a_str_key() {
        assert_eq!(name_of("Example.COM."), "example.com");
        assert_eq!(name_of("sel._domainkey.x.test"), "sel._domainkey.x.test");
        let boxed: Box<str> = Box::from("a.test");
        assert_eq!(name_of::<str>(boxed.borrow()), "a.test");
    }
}

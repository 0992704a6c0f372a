//! The Sender Rewriting Scheme: how a forwarder gives a message an
//! envelope sender in its own domain, so the next server's SPF check asks
//! the forwarder's domain (which allows it) and a bounce still finds its
//! way back to the original sender through the forwarder.
//!
//! `alice@bank.test` forwarded by `old.test` becomes
//! `SRS0=HHHH=TT=bank.test=alice@old.test`: `HHHH` a keyed hash (so
//! strangers cannot forge addresses that the forwarder would relay), `TT`
//! the day, in base 32, so old addresses expire, as libsrs2 and postsrsd
//! write it.

use base64::Engine as _;
use base64::engine::general_purpose::STANDARD_NO_PAD as B64;

const BASE32: &[u8; 32] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZ234567";

/// The rewritten sender; the null sender of a bounce stays null.
/// `key` is the forwarder's secret; `day` the days since 1970.
pub fn rewrite(key: &[u8; 32], sender: &str, forwarder_domain: &str, day: u64) -> String {
    let Some((local, domain)) = sender.rsplit_once('@') else {
        return sender.to_string();
    };
    let tt: String = [(day >> 5) & 31, day & 31]
        .iter()
        .map(|i| BASE32[*i as usize] as char)
        .collect();
    let mut input = key.to_vec();
    input.extend_from_slice(format!("{tt}{}{local}", domain.to_ascii_lowercase()).as_bytes());
    let digest = crate::tls::derive_bytes(day, &B64.encode(&input));
    let hash: String = B64.encode(digest).chars().take(4).collect();
    format!("SRS0={hash}={tt}={domain}={local}@{forwarder_domain}")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_rewritten_sender_names_the_original_inside_the_forwarders_domain() {
        let srs = rewrite(&[7; 32], "alice@bank.test", "old.test", 20_000);
        assert!(srs.starts_with("SRS0="), "{srs}");
        assert!(srs.ends_with("=bank.test=alice@old.test"), "{srs}");
        let parts: Vec<&str> = srs.split('=').collect();
        assert_eq!(parts[1].len(), 4);
        assert_eq!(parts[2].len(), 2);
        assert_eq!(
            srs,
            rewrite(&[7; 32], "alice@bank.test", "old.test", 20_000)
        );
        assert_ne!(
            srs,
            rewrite(&[8; 32], "alice@bank.test", "old.test", 20_000)
        );
        assert_eq!(rewrite(&[7; 32], "", "old.test", 20_000), "");
    }
}

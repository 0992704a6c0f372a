//! What a domain publishes about TLS to the servers that send it mail: its
//! MTA-STS policy (RFC 8461), served by a node's `web` server. The rules
//! for reading it are in `policy::mta_sts`; these are the scenario's words.

use schemars::JsonSchema;
use serde::{Deserialize, Serialize};

use crate::policy::mta_sts;

/// A domain's MTA-STS policy (RFC 8461 section 3.2), served as
/// `https://mta-sts.<domain>/.well-known/mta-sts.txt`. The web server's node needs
/// `mta-sts.<domain>` among its `aliases`, so its certificate names the host senders ask.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct MtaSts {
    /// `enforce`: senders deliver only to the listed MX hosts, over TLS with a valid
    /// certificate, and otherwise keep the message queued; `testing`: they deliver anyway and
    /// report the failure (TLS-RPT); `none`: the policy is withdrawn.
    pub mode: StsMode,
    /// The MX hosts allowed: host names, or `*.example.test` for any host one label below
    /// `example.test`. At least one, unless the mode is `none`.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub mx: Vec<String>,
    /// How long a sender keeps the policy, in seconds (at most 31557600, about a year).
    #[serde(default = "default_max_age")]
    #[schemars(range(max = mta_sts::MAX_AGE))]
    pub max_age: u64,
}

/// The mode of an MTA-STS policy.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "lowercase")]
pub enum StsMode {
    /// Refuse to deliver where the policy is not met.
    Enforce,
    /// Deliver anyway, and report.
    Testing,
    /// No policy.
    None,
}

impl MtaSts {
    /// The policy file a web server serves for this policy (CRLF line ends).
    pub fn text(&self) -> String {
        mta_sts::Policy {
            mode: match self.mode {
                StsMode::Enforce => mta_sts::Mode::Enforce,
                StsMode::Testing => mta_sts::Mode::Testing,
                StsMode::None => mta_sts::Mode::None,
            },
            mx: self.mx.clone(),
            max_age: self.max_age,
        }
        .to_text()
    }
}

/// One week, the RFC's example.
fn default_max_age() -> u64 {
    604_800
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_served_file_is_read_back_as_the_same_policy() {
        let policy: MtaSts =
            serde_json::from_str(r#"{"mode": "enforce", "mx": ["mx.b.test", "*.b.test"]}"#)
                .expect("a policy");
        assert_eq!(
            policy.text(),
            "version: STSv1\r\nmode: enforce\r\nmx: mx.b.test\r\nmx: *.b.test\r\nmax_age: 604800\r\n"
        );
        let read = mta_sts::parse_policy(&policy.text()).expect("parses");
        assert_eq!(read.mode, mta_sts::Mode::Enforce);
        assert!(read.matches("mx2.b.test"));
    }
}

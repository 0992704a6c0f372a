//! MTA-STS (RFC 8461): how a domain tells senders that its MX hosts speak
//! TLS with a certificate a CA vouches for, and which hosts those are.
//!
//! A sender about to deliver to `example.test` asks DNS for the TXT record
//! at `_mta-sts.example.test` ([`parse_record`]); when one is there, it
//! fetches the policy file over HTTPS at [`POLICY_PATH`] on
//! `mta-sts.example.test` ([`parse_policy`]), caches it for `max_age`
//! seconds, and from then on delivers only to MX hosts the policy lists
//! ([`Policy::matches`]) whose certificate is valid for that name. In
//! `testing` mode it only reports failures (RFC 8460); in `enforce` mode
//! it refuses to deliver.
//!
//! Pure: the fetching, the cache and what a failure does to delivery belong
//! to the sending MTA (`sim::mta`).

use std::fmt;

use super::tagged;

/// Where the policy file lives on the policy host (RFC 8461 section 3.3).
pub const POLICY_PATH: &str = "/.well-known/mta-sts.txt";

/// The media type the policy file is served with (RFC 8461 section 3.2).
pub const MEDIA_TYPE: &str = "text/plain";

/// The longest `max_age` a policy may give: about one year (RFC 8461
/// section 3.2).
pub const MAX_AGE: u64 = 31_557_600;

/// The largest policy file a sender reads: RFC 8461 section 3.3 says
/// senders SHOULD limit the body, and 64 KiB is what it suggests.
pub const MAX_POLICY_SIZE: usize = 64 * 1024;

/// The host that serves the policy of `domain`: `mta-sts.<domain>`.
pub fn policy_host(domain: &str) -> String {
    format!(
        "mta-sts.{}",
        domain.trim_end_matches('.').to_ascii_lowercase()
    )
}

/// The DNS name of the TXT record that announces `domain`'s policy.
pub fn record_name(domain: &str) -> String {
    format!(
        "_mta-sts.{}",
        domain.trim_end_matches('.').to_ascii_lowercase()
    )
}

/// The `_mta-sts` TXT record: the policy exists, and its `id` says which
/// version it is (a sender refetches when the id changes).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Record {
    /// 1 to 32 letters and digits.
    pub id: String,
}

/// Reads the TXT records at `_mta-sts.<domain>` (RFC 8461 section 3.1).
///
/// Records that do not begin with `v=STSv1` are someone else's and are
/// passed over. `Ok(None)`: no record announces a policy. `Err`: the domain
/// has no usable policy either, and the words say why (several records, or
/// one that does not parse): a sender acts as if there were none.
pub fn parse_record(txts: &[String]) -> Result<Option<Record>, String> {
    tagged::one_record(txts, "STSv1", "RFC 8461 section 3.1")?
        .map(parse_fields)
        .transpose()
}

/// The fields of one `v=STSv1` record: `id` required, extensions ignored.
fn parse_fields(txt: &str) -> Result<Record, String> {
    let mut id = None;
    for (key, value) in tagged::fields(txt)? {
        if !is_ext_name(key) {
            return Err(format!("`{key}` is not a field name"));
        }
        if key == "id" {
            if id.is_some() {
                return Err("`id` is given twice".into());
            }
            if value.is_empty()
                || value.len() > 32
                || !value.bytes().all(|b| b.is_ascii_alphanumeric())
            {
                return Err(format!(
                    "id `{value}` is not 1 to 32 letters and digits (RFC 8461 section 3.1)"
                ));
            }
            id = Some(value.to_string());
        } else if value.is_empty()
            || !value
                .bytes()
                .all(|b| (0x21..=0x7e).contains(&b) && b != b';' && b != b'=')
        {
            return Err(format!("the value of `{key}` is not printable text"));
        }
    }
    match id {
        Some(id) => Ok(Record { id }),
        None => Err("no `id=` field (RFC 8461 section 3.1)".into()),
    }
}

/// A letter or digit, then up to 31 letters, digits, `_`, `-` or `.`: the
/// names of record fields and policy keys (RFC 8461 sections 3.1 and 3.2).
fn is_ext_name(name: &str) -> bool {
    let mut bytes = name.bytes();
    bytes.next().is_some_and(|b| b.is_ascii_alphanumeric())
        && name.len() <= 32
        && bytes.all(|b| b.is_ascii_alphanumeric() || matches!(b, b'_' | b'-' | b'.'))
}

/// What a sender does when an MX host does not meet the policy.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Mode {
    /// Do not deliver: defer, and report.
    Enforce,
    /// Deliver anyway, and report (RFC 8460).
    Testing,
    /// The domain has withdrawn its policy: act as if there were none.
    None,
}

impl Mode {
    /// The word in the policy file.
    pub fn as_str(self) -> &'static str {
        match self {
            Mode::Enforce => "enforce",
            Mode::Testing => "testing",
            Mode::None => "none",
        }
    }

    fn parse(word: &str) -> Option<Mode> {
        match word {
            "enforce" => Some(Mode::Enforce),
            "testing" => Some(Mode::Testing),
            "none" => Some(Mode::None),
            _ => None,
        }
    }
}

impl fmt::Display for Mode {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// A domain's MTA-STS policy, as its policy file says (RFC 8461 section 3.2).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Policy {
    pub mode: Mode,
    /// MX host patterns: a host name, or `*.` and a domain for any host
    /// one label below it.
    pub mx: Vec<String>,
    /// How long a sender may keep the policy, in seconds.
    pub max_age: u64,
}

/// Reads a policy file (RFC 8461 section 3.2): `key: value` lines ended by
/// CRLF or LF; `version: STSv1`, `mode`, `max_age` and, unless the mode is
/// `none`, at least one `mx`. Unknown keys are passed over, as the RFC
/// asks. `Err` says why the file is not a policy; a sender then acts as if
/// the domain had none.
pub fn parse_policy(text: &str) -> Result<Policy, String> {
    if text.len() > MAX_POLICY_SIZE {
        return Err(format!(
            "the policy file has {} bytes, more than a sender reads ({MAX_POLICY_SIZE})",
            text.len()
        ));
    }
    let mut version = None;
    let mut mode = None;
    let mut max_age = None;
    let mut mx = Vec::new();
    for (n, line) in text.split('\n').enumerate() {
        let line = line.strip_suffix('\r').unwrap_or(line);
        if line.trim().is_empty() {
            continue;
        }
        let Some((key, value)) = line.split_once(':') else {
            return Err(format!("line {}: `{line}` is not `key: value`", n + 1));
        };
        let value = value.trim_matches([' ', '\t']);
        if !is_ext_name(key) {
            return Err(format!("line {}: `{key}` is not a key", n + 1));
        }
        let twice = format!("line {}: `{key}` is given twice", n + 1);
        match key {
            "version" => {
                once(&version, twice)?;
                version = Some(value);
            }
            "mode" => {
                once(&mode, twice)?;
                mode = Some(Mode::parse(value).ok_or_else(|| {
                    format!(
                        "line {}: mode `{value}` is not enforce, testing or none",
                        n + 1
                    )
                })?);
            }
            "max_age" => {
                once(&max_age, twice)?;
                max_age = Some(parse_max_age(value).map_err(|e| format!("line {}: {e}", n + 1))?);
            }
            "mx" => {
                check_mx_pattern(value).map_err(|e| format!("line {}: {e}", n + 1))?;
                mx.push(value.to_ascii_lowercase());
            }
            _ => {}
        }
    }
    match version {
        Some("STSv1") => {}
        Some(other) => return Err(format!("version `{other}` is not STSv1")),
        None => return Err("no `version: STSv1` line".into()),
    }
    let mode = mode.ok_or("no `mode:` line")?;
    let max_age = max_age.ok_or("no `max_age:` line")?;
    if mx.is_empty() && mode != Mode::None {
        return Err(format!(
            "no `mx:` line: a policy in {mode} mode names the MX hosts it allows"
        ));
    }
    Ok(Policy { mode, mx, max_age })
}

/// `Err(twice)` when `slot` is already filled: a key given twice.
fn once<T>(slot: &Option<T>, twice: String) -> Result<(), String> {
    match slot {
        Some(_) => Err(twice),
        None => Ok(()),
    }
}

/// `max_age`: decimal seconds, at most [`MAX_AGE`].
fn parse_max_age(value: &str) -> Result<u64, String> {
    if value.is_empty() || value.len() > 10 || !value.bytes().all(|b| b.is_ascii_digit()) {
        return Err(format!("max_age `{value}` is not a number of seconds"));
    }
    let seconds: u64 = value
        .parse()
        .map_err(|_| format!("max_age `{value}` is not a number of seconds"))?;
    if seconds > MAX_AGE {
        return Err(format!(
            "max_age {seconds} is more than a year ({MAX_AGE} seconds, RFC 8461 section 3.2)"
        ));
    }
    Ok(seconds)
}

/// An `mx:` pattern: a host name, or `*.` followed by one (RFC 8461
/// section 3.2), with letters, digits and hyphens in each label.
pub fn check_mx_pattern(pattern: &str) -> Result<(), String> {
    let name = pattern.strip_prefix("*.").unwrap_or(pattern);
    let name = name.strip_suffix('.').unwrap_or(name);
    let labels: Vec<&str> = name.split('.').collect();
    let good_label = |l: &&str| {
        !l.is_empty()
            && l.len() <= 63
            && !l.starts_with('-')
            && !l.ends_with('-')
            && l.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'-')
    };
    if name.len() > 253 || labels.len() < 2 || !labels.iter().all(good_label) {
        return Err(format!(
            "mx `{pattern}` is not a host name, nor `*.` and a domain"
        ));
    }
    Ok(())
}

impl Policy {
    /// Whether `mx_host` is one of the hosts the policy allows (RFC 8461
    /// section 4.1): the same name, or one label in place of a leading
    /// `*`, without regard to case or a trailing dot. `*.example.test`
    /// allows `mx.example.test`, not `example.test` nor `a.b.example.test`.
    pub fn matches(&self, mx_host: &str) -> bool {
        let host = mx_host.trim_end_matches('.').to_ascii_lowercase();
        self.mx.iter().any(|pattern| {
            let pattern = pattern.trim_end_matches('.').to_ascii_lowercase();
            match pattern.strip_prefix("*.") {
                Some(parent) => host
                    .split_once('.')
                    .is_some_and(|(label, rest)| !label.is_empty() && rest == parent),
                None => host == pattern,
            }
        })
    }

    /// The policy file that says this policy, with CRLF line ends (what a
    /// web server in the world serves).
    pub fn to_text(&self) -> String {
        let mut out = format!("version: STSv1\r\nmode: {}\r\n", self.mode);
        for mx in &self.mx {
            out.push_str(&format!("mx: {mx}\r\n"));
        }
        out.push_str(&format!("max_age: {}\r\n", self.max_age));
        out
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn txts(records: &[&str]) -> Vec<String> {
        records.iter().map(|s| s.to_string()).collect()
    }

    #[test]
    fn the_rfc_example_record_is_read() {
        assert_eq!(
            parse_record(&txts(&["v=STSv1; id=20160831085700Z;"])),
            Ok(Some(Record {
                id: "20160831085700Z".into()
            }))
        );
        assert_eq!(
            parse_record(&txts(&["v=STSv1;id=abc"])),
            Ok(Some(Record { id: "abc".into() }))
        );
    }

    #[test]
    fn other_txt_records_are_not_a_policy() {
        assert_eq!(
            parse_record(&txts(&["v=spf1 -all", "google-site-verification=x"])),
            Ok(None)
        );
        assert_eq!(parse_record(&[]), Ok(None));
        assert_eq!(
            parse_record(&txts(&["v=spf1 -all", "v=STSv1; id=1"])),
            Ok(Some(Record { id: "1".into() })),
            "the other records are passed over"
        );
    }

    #[test]
    fn two_policy_records_mean_no_policy() {
        let err = parse_record(&txts(&["v=STSv1; id=1", "v=STSv1; id=2"])).unwrap_err();
        assert!(err.contains("2 TXT records"), "{err}");
    }

    #[test]
    fn a_bad_id_or_no_id_is_not_a_record() {
        for bad in [
            "v=STSv1;",
            "v=STSv1; id=",
            "v=STSv1; id=2016-08-31",
            "v=STSv1; id=123456789012345678901234567890123",
            "v=STSv1; id=1; id=2",
            "v=STSv1; id",
            "v=STSv1;; id=1",
        ] {
            assert!(parse_record(&txts(&[bad])).is_err(), "{bad}");
        }
        assert_eq!(
            parse_record(&txts(&[
                "v=STSv1; id=12345678901234567890123456789012; ext=yes"
            ])),
            Ok(Some(Record {
                id: "12345678901234567890123456789012".into()
            })),
            "32 characters, and extensions are allowed"
        );
    }

    const RFC_POLICY: &str = "version: STSv1\r\nmode: enforce\r\nmx: mail.example.com\r\n\
        mx: *.example.net\r\nmx: backupmx.example.com\r\nmax_age: 604800\r\n";

    #[test]
    fn the_rfc_example_policy_is_read() {
        let policy = parse_policy(RFC_POLICY).expect("the RFC's example");
        assert_eq!(
            policy,
            Policy {
                mode: Mode::Enforce,
                mx: vec![
                    "mail.example.com".into(),
                    "*.example.net".into(),
                    "backupmx.example.com".into()
                ],
                max_age: 604_800
            }
        );
        assert_eq!(parse_policy(&policy.to_text()), Ok(policy));
    }

    #[test]
    fn lf_line_ends_unknown_keys_and_spaces_are_accepted() {
        let policy = parse_policy(
            "version: STSv1\nmode:testing\nmx:  mx.b.test  \nmax_age: 86400\nowner: ops\n",
        )
        .expect("a policy");
        assert_eq!(policy.mode, Mode::Testing);
        assert_eq!(policy.mx, ["mx.b.test"]);
    }

    #[test]
    fn broken_policies_say_why() {
        let cases = [
            ("mode: enforce\nmx: a.b.test\nmax_age: 1\n", "version"),
            (
                "version: STSv2\nmode: enforce\nmx: a.b.test\nmax_age: 1\n",
                "STSv2",
            ),
            (
                "version: STSv1\nmode: strict\nmx: a.b.test\nmax_age: 1\n",
                "strict",
            ),
            ("version: STSv1\nmode: enforce\nmax_age: 1\n", "no `mx:`"),
            ("version: STSv1\nmode: enforce\nmx: a.b.test\n", "max_age"),
            (
                "version: STSv1\nmode: enforce\nmx: a.b.test\nmax_age: 31557601\n",
                "more than a year",
            ),
            (
                "version: STSv1\nmode: enforce\nmx: a.b.test\nmax_age: -1\n",
                "-1",
            ),
            (
                "version: STSv1\nmode: enforce\nmx: a.*.test\nmax_age: 1\n",
                "a.*.test",
            ),
            (
                "version: STSv1\nmode: enforce\nmx: localhost\nmax_age: 1\n",
                "localhost",
            ),
            ("version: STSv1\nmode enforce\n", "key: value"),
            (
                "version: STSv1\nmode: none\nmode: enforce\nmax_age: 1\n",
                "twice",
            ),
            ("<html>not found</html>", "key: value"),
        ];
        for (text, says) in cases {
            let err = parse_policy(text).expect_err(text);
            assert!(err.contains(says), "{text:?}: {err}");
        }
    }

    #[test]
    fn mode_none_needs_no_mx() {
        let policy = parse_policy("version: STSv1\nmode: none\nmax_age: 0\n").expect("a policy");
        assert_eq!(policy.mode, Mode::None);
        assert!(policy.mx.is_empty());
    }

    #[test]
    fn a_huge_file_is_not_read() {
        let text = format!(
            "version: STSv1\n{}",
            "x: y\n".repeat(MAX_POLICY_SIZE / 5 + 1)
        );
        assert!(parse_policy(&text).unwrap_err().contains("bytes"));
    }

    #[test]
    fn mx_patterns_match_as_section_4_1_says() {
        let policy = Policy {
            mode: Mode::Enforce,
            mx: vec!["mail.example.com".into(), "*.example.net".into()],
            max_age: 1,
        };
        assert!(policy.matches("mail.example.com"));
        assert!(policy.matches("MAIL.Example.COM."));
        assert!(policy.matches("mx1.example.net"));
        assert!(!policy.matches("example.net"), "a wildcard needs a label");
        assert!(
            !policy.matches("a.b.example.net"),
            "a wildcard stands for one label only"
        );
        assert!(!policy.matches("evil.example.com"));
        assert!(!policy.matches("mail.example.com.evil.test"));
    }

    #[test]
    fn the_policy_host_and_record_name_follow_the_domain() {
        assert_eq!(policy_host("B.test."), "mta-sts.b.test");
        assert_eq!(record_name("b.test"), "_mta-sts.b.test");
    }
}

//! Durations as instructors write them: `250ms`, `90s`, `2h`, `5d`, `1h30m`.

use std::fmt;

use schemars::JsonSchema;
use serde::{Deserialize, Deserializer, Serialize, Serializer};

/// A span of virtual time, in milliseconds.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Default)]
pub struct Duration(u64);

impl Duration {
    pub const ZERO: Duration = Duration(0);
    /// The longest duration a scenario may write: a hundred years. Longer
    /// spans mean nothing to a mail system, and keeping every duration this
    /// small means sums of virtual times never overflow.
    pub const MAX: Duration = Duration(100 * 365 * 86_400_000);

    pub const fn from_millis(ms: u64) -> Self {
        Duration(ms)
    }
    pub const fn from_secs(s: u64) -> Self {
        Duration(s * 1000)
    }
    pub const fn as_millis(self) -> u64 {
        self.0
    }

    /// Parses `90s`, `2h`, `1h30m`, `250ms`, `5d`. Units: ms, s, m, h, d.
    pub fn parse(text: &str) -> Result<Self, String> {
        let hint = "write a number and a unit, like `250ms`, `90s`, `5m`, `2h`, `5d` or `1h30m`";
        if text.is_empty() {
            return Err(format!("empty duration: {hint}"));
        }
        let bytes = text.as_bytes();
        let mut total: u64 = 0;
        let mut i = 0;
        while i < bytes.len() {
            let digits_start = i;
            while i < bytes.len() && bytes[i].is_ascii_digit() {
                i += 1;
            }
            if digits_start == i {
                return Err(format!("`{text}` is not a duration: {hint}"));
            }
            let number: u64 = text[digits_start..i]
                .parse()
                .map_err(|_| format!("`{text}` is too large a duration"))?;
            let unit_start = i;
            while i < bytes.len() && bytes[i].is_ascii_alphabetic() {
                i += 1;
            }
            let factor = match &text[unit_start..i] {
                "ms" => 1,
                "s" => 1000,
                "m" => 60_000,
                "h" => 3_600_000,
                "d" => 86_400_000,
                "" => return Err(format!("`{text}` has a number without a unit: {hint}")),
                other => {
                    return Err(format!(
                        "`{other}` is not a unit of time in `{text}`: {hint}"
                    ));
                }
            };
            total = number
                .checked_mul(factor)
                .and_then(|ms| total.checked_add(ms))
                .filter(|&ms| ms <= Duration::MAX.0)
                .ok_or_else(|| {
                    format!("`{text}` is too large a duration: the longest is 100 years (36500d)")
                })?;
        }
        Ok(Duration(total))
    }
}

impl fmt::Display for Duration {
    /// The shortest exact form: `0s`, `250ms`, `90s` prints as `1m30s`, `2h`, `5d`.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        if self.0 == 0 {
            return f.write_str("0s");
        }
        let mut rest = self.0;
        for (unit, size) in [
            ("d", 86_400_000),
            ("h", 3_600_000),
            ("m", 60_000),
            ("s", 1000),
            ("ms", 1),
        ] {
            if rest >= size {
                write!(f, "{}{}", rest / size, unit)?;
                rest %= size;
            }
        }
        Ok(())
    }
}

impl Serialize for Duration {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.collect_str(self)
    }
}

impl<'de> Deserialize<'de> for Duration {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        let text = String::deserialize(deserializer)?;
        Duration::parse(&text).map_err(serde::de::Error::custom)
    }
}

impl JsonSchema for Duration {
    fn schema_name() -> std::borrow::Cow<'static, str> {
        "Duration".into()
    }
    fn json_schema(_: &mut schemars::SchemaGenerator) -> schemars::Schema {
        schemars::json_schema!({
            "type": "string",
            "pattern": "^([0-9]+(ms|s|m|h|d))+$",
            "description": "A span of virtual time: a number and a unit (ms, s, m, h, d), for example `250ms`, `90s`, `2h`, `5d` or `1h30m`.",
            "examples": ["0s", "90s", "2h", "5d"]
        })
    }
}

#[cfg(test)]
mod tests {
    use super::Duration;

    #[test]
    fn durations_over_a_hundred_years_are_refused() {
        assert!(Duration::parse("36500d").is_ok());
        let err = Duration::parse("36501d").unwrap_err();
        assert!(err.contains("100 years"), "{err}");
        let err = Duration::parse("18446744073709551615ms").unwrap_err();
        assert!(err.contains("too large"), "{err}");
    }

    #[test]
    fn parses_units_and_compounds() {
        assert_eq!(Duration::parse("250ms").unwrap().as_millis(), 250);
        assert_eq!(Duration::parse("90s").unwrap().as_millis(), 90_000);
        assert_eq!(Duration::parse("1h30m").unwrap().as_millis(), 5_400_000);
        assert_eq!(Duration::parse("5d").unwrap().as_millis(), 432_000_000);
    }

    #[test]
    fn rejects_missing_unit_and_unknown_unit() {
        assert!(
            Duration::parse("90")
                .unwrap_err()
                .contains("without a unit")
        );
        assert!(
            Duration::parse("2w")
                .unwrap_err()
                .contains("`w` is not a unit")
        );
        assert!(Duration::parse("").is_err());
        assert!(Duration::parse("h").is_err());
    }

    #[test]
    fn displays_shortest_exact_form() {
        assert_eq!(Duration::from_secs(90).to_string(), "1m30s");
        assert_eq!(Duration::from_secs(7200).to_string(), "2h");
        assert_eq!(Duration::ZERO.to_string(), "0s");
    }
}

//! Calendar dates for the certificate reasons students read
//! ("valid until 2027-01-05", "expired on 2024-11-27").
//!
//! Dates come from two places: Unix times in rustls errors, and the `notAfter`
//! field of a certificate, which rustls does not expose once it has accepted
//! the certificate; [`Date::not_after`] reads it with a minimal DER walk.

use std::fmt;

use rustls::pki_types::UnixTime;

const SEQUENCE: u8 = 0x30;
const EXPLICIT_VERSION: u8 = 0xa0;
const UTC_TIME: u8 = 0x17;
const GENERALIZED_TIME: u8 = 0x18;

/// A day of the (proleptic Gregorian, UTC) calendar.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct Date {
    year: u64,
    month: u64,
    day: u64,
}

impl Date {
    /// The day `time` falls on (Howard Hinnant's `civil_from_days`).
    pub(crate) fn from_unix(time: UnixTime) -> Date {
        let z = time.as_secs() / 86_400 + 719_468;
        let era = z / 146_097;
        let day_of_era = z % 146_097;
        let year_of_era =
            (day_of_era - day_of_era / 1460 + day_of_era / 36_524 - day_of_era / 146_096) / 365;
        let day_of_year = day_of_era - (365 * year_of_era + year_of_era / 4 - year_of_era / 100);
        let shifted_month = (5 * day_of_year + 2) / 153; // March = 0
        let day = day_of_year - (153 * shifted_month + 2) / 5 + 1;
        let month = if shifted_month < 10 {
            shifted_month + 3
        } else {
            shifted_month - 9
        };
        let year = year_of_era + era * 400 + u64::from(month <= 2);
        Date { year, month, day }
    }

    /// The last day of a DER certificate's validity, or `None` if the bytes
    /// are not shaped like a certificate.
    pub(crate) fn not_after(cert_der: &[u8]) -> Option<Date> {
        let (certificate, _) = expect(cert_der, SEQUENCE)?;
        let (mut tbs, _) = expect(certificate, SEQUENCE)?;
        if tbs.first() == Some(&EXPLICIT_VERSION) {
            tbs = tlv(tbs)?.2;
        }
        let after_serial = tlv(tbs)?.2;
        let after_signature = tlv(after_serial)?.2;
        let after_issuer = tlv(after_signature)?.2;
        let (validity, _) = expect(after_issuer, SEQUENCE)?;
        let after_not_before = tlv(validity)?.2;
        let (tag, text, _) = tlv(after_not_before)?;
        parse_time(tag, text)
    }
}

impl fmt::Display for Date {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{:04}-{:02}-{:02}", self.year, self.month, self.day)
    }
}

/// Splits one DER element off `input`: (tag, contents, rest).
fn tlv(input: &[u8]) -> Option<(u8, &[u8], &[u8])> {
    let (&tag, rest) = input.split_first()?;
    let (&first, rest) = rest.split_first()?;
    let (len, rest) = if first < 0x80 {
        (usize::from(first), rest)
    } else {
        let (len_bytes, rest) = rest.split_at_checked(usize::from(first & 0x7f))?;
        if len_bytes.is_empty() || len_bytes.len() > 4 {
            return None;
        }
        let len = len_bytes
            .iter()
            .fold(0usize, |len, &byte| len << 8 | usize::from(byte));
        (len, rest)
    };
    let (contents, rest) = rest.split_at_checked(len)?;
    Some((tag, contents, rest))
}

/// Like [`tlv`], but only if the element has tag `tag`: (contents, rest).
fn expect(input: &[u8], tag: u8) -> Option<(&[u8], &[u8])> {
    let (found, contents, rest) = tlv(input)?;
    (found == tag).then_some((contents, rest))
}

/// Reads the date of a `UTCTime` (`YYMMDD...`, years 1950-2049) or a
/// `GeneralizedTime` (`YYYYMMDD...`).
fn parse_time(tag: u8, text: &[u8]) -> Option<Date> {
    let (year, month_day) = match tag {
        UTC_TIME => {
            let yy = number(text.get(..2)?)?;
            (if yy >= 50 { 1900 + yy } else { 2000 + yy }, &text[2..])
        }
        GENERALIZED_TIME => (number(text.get(..4)?)?, &text[4..]),
        _ => return None,
    };
    let month = number(month_day.get(..2)?)?;
    let day = number(month_day.get(2..4)?)?;
    Some(Date { year, month, day })
}

/// The value of a run of ASCII decimal digits.
fn number(digits: &[u8]) -> Option<u64> {
    digits.iter().try_fold(0, |value, &digit| {
        digit
            .is_ascii_digit()
            .then(|| value * 10 + u64::from(digit - b'0'))
    })
}

#[cfg(test)]
mod tests {
    use std::time::Duration;

    use super::*;

    fn date(year: u64, month: u64, day: u64) -> Date {
        Date { year, month, day }
    }

    fn unix(secs: u64) -> UnixTime {
        UnixTime::since_unix_epoch(Duration::from_secs(secs))
    }

    #[test]
    fn unix_times_become_calendar_days() {
        assert_eq!(Date::from_unix(unix(0)), date(1970, 1, 1));
        assert_eq!(Date::from_unix(unix(951_782_400)), date(2000, 2, 29));
        assert_eq!(Date::from_unix(unix(1_735_689_599)), date(2024, 12, 31));
        assert_eq!(
            Date::from_unix(unix(1_735_689_600)).to_string(),
            "2025-01-01"
        );
    }

    /// A certificate cut down to what `not_after` walks through.
    fn skeleton(validity: &[u8]) -> Vec<u8> {
        let mut tbs = vec![0xa0, 3, 0x02, 1, 2]; // [0] { INTEGER 2 }
        tbs.extend([0x02, 1, 1]); // serial
        tbs.extend([0x30, 0]); // signature algorithm
        tbs.extend([0x30, 0]); // issuer
        tbs.extend([0x30, validity.len() as u8]);
        tbs.extend(validity);
        let mut cert = vec![0x30, tbs.len() as u8];
        cert.extend(tbs);
        let mut outer = vec![0x30, 0x81, cert.len() as u8]; // long-form length
        outer.extend(cert);
        outer
    }

    fn time(tag: u8, text: &str) -> Vec<u8> {
        let mut element = vec![tag, text.len() as u8];
        element.extend(text.as_bytes());
        element
    }

    #[test]
    fn reads_not_after_in_both_time_formats() {
        let not_before = time(UTC_TIME, "240101000000Z");
        let utc = [not_before.clone(), time(UTC_TIME, "270105120000Z")].concat();
        assert_eq!(Date::not_after(&skeleton(&utc)), Some(date(2027, 1, 5)));
        let generalized = [not_before, time(GENERALIZED_TIME, "20510630000000Z")].concat();
        assert_eq!(
            Date::not_after(&skeleton(&generalized)),
            Some(date(2051, 6, 30))
        );
    }

    #[test]
    fn garbage_has_no_date() {
        assert_eq!(Date::not_after(&[]), None);
        assert_eq!(Date::not_after(&[0x30, 0x85, 1, 2, 3, 4, 5]), None);
        assert_eq!(Date::not_after(&[0x30, 5, 0x30]), None);
        let letters = [time(UTC_TIME, "2401"), time(UTC_TIME, "ab0105000000Z")].concat();
        assert_eq!(Date::not_after(&skeleton(&letters)), None);
    }
}

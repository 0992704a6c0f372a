//! Virtual time. Every timestamp in a run comes from here.
//!
//! The simulation runs on a tokio current-thread runtime whose clock is
//! paused: time only moves when every task is waiting on a timer, and then it
//! jumps straight to the next one. Five days of retries take milliseconds of
//! real time, and no timestamp ever depends on the wall clock.

use std::fmt;

use serde::Serialize;
use tokio::time::Instant;

/// A moment of the run: milliseconds since the scenario started.
#[derive(
    Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Default, Serialize, serde::Deserialize,
)]
pub struct SimTime(pub u64);

impl SimTime {
    pub fn as_millis(self) -> u64 {
        self.0
    }
}

impl fmt::Display for SimTime {
    /// `+0.000s`, `+1m05.020s`, `+2h15m00.040s`, `+1d03h00m00.000s`.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let ms = self.0 % 1000;
        let total_s = self.0 / 1000;
        let (d, h, m, s) = (
            total_s / 86400,
            total_s / 3600 % 24,
            total_s / 60 % 60,
            total_s % 60,
        );
        if d > 0 {
            write!(f, "+{d}d{h:02}h{m:02}m{s:02}.{ms:03}s")
        } else if h > 0 {
            write!(f, "+{h}h{m:02}m{s:02}.{ms:03}s")
        } else if m > 0 {
            write!(f, "+{m}m{s:02}.{ms:03}s")
        } else {
            write!(f, "+{s}.{ms:03}s")
        }
    }
}

/// The clock of one run: virtual time zero is `epoch_unix` on the calendar.
#[derive(Debug, Clone)]
pub struct Clock {
    start: Instant,
    epoch_unix: i64,
}

impl Clock {
    /// Starts the clock now (virtual now: call inside the paused runtime).
    pub fn start(epoch_unix: i64) -> Self {
        Clock {
            start: Instant::now(),
            epoch_unix,
        }
    }

    pub fn now(&self) -> SimTime {
        SimTime(Instant::now().duration_since(self.start).as_millis() as u64)
    }

    /// The tokio instant of a virtual time, for sleeping until it.
    pub fn instant(&self, at: SimTime) -> Instant {
        self.start + std::time::Duration::from_millis(at.0)
    }

    /// Calendar seconds since 1970 at virtual now.
    pub fn unix_now(&self) -> i64 {
        self.epoch_unix + (self.now().0 / 1000) as i64
    }

    pub fn epoch_unix(&self) -> i64 {
        self.epoch_unix
    }

    /// Virtual now as an RFC 5322 date, for Date and Received headers.
    pub fn rfc5322_now(&self) -> String {
        rfc5322_date(self.unix_now())
    }

    /// A moment of the run as an RFC 5322 date.
    pub fn rfc5322_at(&self, at: SimTime) -> String {
        rfc5322_date(self.epoch_unix + (at.0 / 1000) as i64)
    }

    /// A moment of the run in Unix seconds.
    pub fn unix_at(&self, at: SimTime) -> i64 {
        self.epoch_unix + (at.0 / 1000) as i64
    }
}

/// `Mon, 5 Jan 2026 09:00:00 +0000`.
pub fn rfc5322_date(unix: i64) -> String {
    mail_builder::headers::date::Date::new(unix).to_rfc822()
}

/// `Mon, 05 Jan 2026 09:00:00 GMT`: HTTP's date (RFC 9110 section 5.6.7,
/// IMF-fixdate), the same moment as [`rfc5322_date`] with a two-digit day.
pub fn http_date(unix: i64) -> String {
    let text = rfc5322_date(unix);
    match text.split_whitespace().collect::<Vec<_>>()[..] {
        [weekday, day, month, year, time, _] => {
            format!("{weekday} {day:0>2} {month} {year} {time} GMT")
        }
        _ => text,
    }
}

/// Parses the scenario's `start` (`YYYY-MM-DDTHH:MM:SSZ`) into seconds since 1970.
pub fn parse_start(text: &str) -> Option<i64> {
    let b = text.as_bytes();
    if b.len() != 20
        || b[4] != b'-'
        || b[7] != b'-'
        || b[10] != b'T'
        || b[13] != b':'
        || b[16] != b':'
        || b[19] != b'Z'
    {
        return None;
    }
    let num = |r: std::ops::Range<usize>| -> Option<i64> {
        let s = text.get(r)?;
        s.bytes()
            .all(|c| c.is_ascii_digit())
            .then(|| s.parse().ok())?
    };
    let (y, mo, d) = (num(0..4)?, num(5..7)?, num(8..10)?);
    let (h, mi, s) = (num(11..13)?, num(14..16)?, num(17..19)?);
    if !(1..=12).contains(&mo) || d < 1 || d > days_in_month(y, mo) || h > 23 || mi > 59 || s > 59 {
        return None;
    }
    Some(days_from_civil(y, mo, d) * 86400 + h * 3600 + mi * 60 + s)
}

/// Formats seconds since 1970 as `YYYY-MM-DD HH:MM:SS`.
pub fn format_calendar(unix: i64) -> String {
    let days = unix.div_euclid(86400);
    let secs = unix.rem_euclid(86400);
    let (y, m, d) = civil_from_days(days);
    format!(
        "{y:04}-{m:02}-{d:02} {:02}:{:02}:{:02}",
        secs / 3600,
        secs / 60 % 60,
        secs % 60
    )
}

fn days_in_month(y: i64, m: i64) -> i64 {
    match m {
        2 if (y % 4 == 0 && y % 100 != 0) || y % 400 == 0 => 29,
        2 => 28,
        4 | 6 | 9 | 11 => 30,
        _ => 31,
    }
}

// Howard Hinnant's algorithms for the proleptic Gregorian calendar.
fn days_from_civil(y: i64, m: i64, d: i64) -> i64 {
    let y = if m <= 2 { y - 1 } else { y };
    let era = y.div_euclid(400);
    let yoe = y - era * 400;
    let mp = (m + 9) % 12;
    let doy = (153 * mp + 2) / 5 + d - 1;
    let doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    era * 146097 + doe - 719468
}

fn civil_from_days(z: i64) -> (i64, i64, i64) {
    let z = z + 719468;
    let era = z.div_euclid(146097);
    let doe = z - era * 146097;
    let yoe = (doe - doe / 1460 + doe / 36524 - doe / 146096) / 365;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let d = doy - (153 * mp + 2) / 5 + 1;
    let m = if mp < 10 { mp + 3 } else { mp - 9 };
    (
        if m <= 2 {
            yoe + era * 400 + 1
        } else {
            yoe + era * 400
        },
        m,
        d,
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn start_parses_to_unix_seconds() {
        assert_eq!(parse_start("1970-01-01T00:00:00Z"), Some(0));
        assert_eq!(parse_start("2026-01-05T09:00:00Z"), Some(1_767_603_600));
        assert_eq!(parse_start("2024-02-29T00:00:00Z"), Some(1_709_164_800));
        assert_eq!(parse_start("2025-02-29T00:00:00Z"), None);
        assert_eq!(parse_start("2026-01-05 09:00:00"), None);
    }

    #[test]
    fn calendar_round_trips() {
        assert_eq!(format_calendar(1_767_603_600), "2026-01-05 09:00:00");
    }

    #[test]
    fn sim_time_reads_like_a_stopwatch() {
        assert_eq!(SimTime(20).to_string(), "+0.020s");
        assert_eq!(SimTime(65_020).to_string(), "+1m05.020s");
        assert_eq!(SimTime(8_100_040).to_string(), "+2h15m00.040s");
    }

    #[test]
    fn http_dates_have_two_digit_days_and_say_gmt() {
        assert_eq!(http_date(1_767_603_600), "Mon, 05 Jan 2026 09:00:00 GMT");
        assert_eq!(http_date(1_768_471_200), "Thu, 15 Jan 2026 10:00:00 GMT");
    }

    #[test]
    fn rfc5322_date_is_english_and_utc() {
        assert_eq!(
            rfc5322_date(1_767_603_600),
            "Mon, 5 Jan 2026 09:00:00 +0000"
        );
    }
}

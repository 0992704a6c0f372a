//! IMAP dates from and to Unix seconds: INTERNALDATE, APPEND's date, the
//! days SEARCH compares. imap-types carries dates as chrono values, so
//! this is the one file of the engines that names chrono
//! (`tests/architecture.rs` lets it, and only it). chrono is built without
//! its `clock` feature, so it has no `now()`: nothing here can read the
//! wall clock, only convert the virtual time it is given.

use std::cmp::Ordering;

use imap_codec::imap_types::datetime::{DateTime, NaiveDate};

/// Unix seconds as INTERNALDATE, in UTC (the epoch for a time outside
/// what IMAP can write).
pub(super) fn internal_date(unix: i64) -> DateTime {
    let at = chrono::DateTime::from_timestamp(unix, 0)
        .unwrap_or_default()
        .fixed_offset();
    DateTime::try_from(at)
        .unwrap_or_else(|_| DateTime::unvalidated(chrono::DateTime::UNIX_EPOCH.fixed_offset()))
}

/// An APPEND's date as Unix seconds.
pub(super) fn unix(date: &DateTime) -> i64 {
    date.as_ref().timestamp()
}

/// How the UTC day of a Unix time compares with a SEARCH date.
pub(super) fn day_of_unix(unix: i64, date: &NaiveDate) -> Option<Ordering> {
    let day = chrono::DateTime::from_timestamp(unix, 0)?.date_naive();
    Some(day.cmp(date.as_ref()))
}

/// How a calendar day (a Date header's, in its own zone) compares with a
/// SEARCH date.
pub(super) fn day_of(year: i32, month: u32, day: u32, date: &NaiveDate) -> Option<Ordering> {
    let day = chrono::NaiveDate::from_ymd_opt(year, month, day)?;
    Some(day.cmp(date.as_ref()))
}

//! Times as the database stores them: a `timestamp` in UTC (PostgreSQL), or diesel's text
//! form of one (SQLite), at microsecond precision.

use chrono::{DateTime, NaiveDateTime, SecondsFormat, SubsecRound, Utc};

/// A time as a `Timestamp` column holds it: UTC, without its zone.
pub fn stored(t: DateTime<Utc>) -> NaiveDateTime {
    t.naive_utc()
}

/// A time a `Timestamp` column held.
pub fn read(t: NaiveDateTime) -> DateTime<Utc> {
    t.and_utc()
}

/// Now, at the precision stored, so a document read back equals the one written.
pub fn now() -> DateTime<Utc> {
    Utc::now().trunc_subsecs(6)
}

/// A time as files and documents write it: RFC 3339 in UTC, to the microsecond.
pub fn rfc3339(t: DateTime<Utc>) -> String {
    t.to_rfc3339_opts(SecondsFormat::Micros, true)
}

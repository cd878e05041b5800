//! Times as the database stores them: a `timestamp` in UTC (PostgreSQL), or diesel's text
//! form of one (SQLite), at microsecond precision.

use chrono::{DateTime, NaiveDateTime, SecondsFormat, SubsecRound, Utc};
use diesel::pg::Pg;
use diesel::serialize::{self, IsNull, Output, ToSql};
use diesel::sql_types::Timestamp;
use diesel::sqlite::Sqlite;

pub use crate::domain::times::write_rfc3339;
use crate::domain::times::{writable, write_date_time};

/// A time as a `Timestamp` column holds it: UTC, without its zone.
pub fn stored(t: DateTime<Utc>) -> StoredTime {
    StoredTime(t.naive_utc())
}

/// A time to be written to a `Timestamp` column, or compared with one. PostgreSQL takes it as
/// diesel gives a `NaiveDateTime`. SQLite keeps it as the text diesel writes for one
/// (`%F %T%.f`), here written by hand: diesel formats through chrono, which reads its format
/// string again for each value, and a bulk import writes four times an item.
#[derive(Debug, Clone, Copy, PartialEq, Eq, diesel::AsExpression)]
#[diesel(sql_type = Timestamp)]
pub struct StoredTime(pub NaiveDateTime);

impl StoredTime {
    /// The text SQLite keeps: byte for byte what diesel writes for the same `NaiveDateTime`.
    fn sqlite_text(self) -> String {
        let mut out = Vec::with_capacity(26);
        match write_date_time(&mut out, self.0, b' ') {
            // Only ASCII digits and separators were written.
            Some(()) => String::from_utf8(out).unwrap_or_default(),
            None => self.0.format("%F %T%.f").to_string(),
        }
    }
}

impl ToSql<Timestamp, Sqlite> for StoredTime {
    fn to_sql<'b>(&'b self, out: &mut Output<'b, '_, Sqlite>) -> serialize::Result {
        out.set_value(self.sqlite_text());
        Ok(IsNull::No)
    }
}

impl ToSql<Timestamp, Pg> for StoredTime {
    fn to_sql<'b>(&'b self, out: &mut Output<'b, '_, Pg>) -> serialize::Result {
        ToSql::<Timestamp, Pg>::to_sql(&self.0, out)
    }
}

/// Either engine's, as `DbConnection` binds it.
impl ToSql<Timestamp, super::MultiBackend> for StoredTime {
    fn to_sql<'b>(&'b self, out: &mut Output<'b, '_, super::MultiBackend>) -> serialize::Result {
        out.set_value((Timestamp, self));
        Ok(IsNull::No)
    }
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

/// A stored time given as text, as either engine casts a `Timestamp` column to text
/// (`YYYY-MM-DD HH:MM:SS`, then up to nine digits of a fraction; SQLite keeps the text that was
/// written, so a `T` and a `Z` or `+00:00` are taken too), to be written by [`write_rfc3339`].
/// Read by hand: chrono reads its format string again for each value, and a page of the change
/// feed gives a thousand of them. `None` when the text is no time or one `write_rfc3339`
/// cannot write.
pub fn stored_time_of_text(text: &str) -> Option<NaiveDateTime> {
    time_of_text(text).filter(writable)
}

/// The time a stored text gives: the layout the service writes read by hand, any other that
/// is a time in UTC by chrono.
fn time_of_text(text: &str) -> Option<NaiveDateTime> {
    fast_time_of_text(text.as_bytes()).or_else(|| {
        DateTime::parse_from_rfc3339(text)
            .map(|t| t.naive_utc())
            .ok()
            .or_else(|| {
                [
                    "%Y-%m-%d %H:%M:%S%.f",
                    "%Y-%m-%dT%H:%M:%S%.f",
                    "%Y-%m-%d %H:%M",
                ]
                .iter()
                .find_map(|f| NaiveDateTime::parse_from_str(text, f).ok())
            })
    })
}

fn fast_time_of_text(b: &[u8]) -> Option<NaiveDateTime> {
    if b.len() < 19
        || b[4] != b'-'
        || b[7] != b'-'
        || !matches!(b[10], b' ' | b'T')
        || b[13] != b':'
        || b[16] != b':'
    {
        return None;
    }
    let number = |digits: &[u8]| -> Option<u32> {
        digits.iter().try_fold(0u32, |n, &c| {
            c.is_ascii_digit().then(|| n * 10 + u32::from(c - b'0'))
        })
    };
    let mut rest = &b[19..];
    let mut nanos = 0;
    if let [b'.', tail @ ..] = rest {
        let count = tail.iter().take_while(|c| c.is_ascii_digit()).count();
        if !(1..=9).contains(&count) {
            return None;
        }
        nanos = number(&tail[..count])? * 10u32.pow(9 - count as u32);
        rest = &tail[count..];
    }
    if !matches!(rest, b"" | b"Z" | b"+00" | b"+00:00") {
        return None;
    }
    chrono::NaiveDate::from_ymd_opt(
        i32::try_from(number(&b[0..4])?).ok()?,
        number(&b[5..7])?,
        number(&b[8..10])?,
    )?
    .and_hms_nano_opt(
        number(&b[11..13])?,
        number(&b[14..16])?,
        number(&b[17..19])?,
        nanos,
    )
}

#[cfg(test)]
mod tests {
    use chrono::{TimeZone, Utc};

    use super::{StoredTime, stored_time_of_text, write_rfc3339};

    /// SQLite is given the text diesel writes for a `NaiveDateTime`, byte for byte, so that
    /// stored times compare and sort as before: every fraction, the ends of the years written
    /// by hand, and those chrono writes (years past 9999 or before 0, a leap second).
    #[test]
    fn sqlite_is_given_the_text_diesel_writes() {
        let base = chrono::NaiveDate::from_ymd_opt(2026, 2, 28)
            .unwrap()
            .and_hms_opt(23, 59, 7)
            .unwrap();
        let mut times: Vec<chrono::NaiveDateTime> = [
            0,
            1,
            5,
            1_000,
            120_000_000,
            123_000_000,
            123_450_000,
            123_456_000,
            123_456_789,
            999_999_999,
        ]
        .iter()
        .map(|n| base + chrono::Duration::nanoseconds(*n))
        .collect();
        for (y, m, d) in [
            (0, 1, 1),
            (9999, 12, 31),
            (10000, 1, 1),
            (-1, 6, 30),
            (1970, 1, 1),
        ] {
            times.push(
                chrono::NaiveDate::from_ymd_opt(y, m, d)
                    .unwrap()
                    .and_hms_micro_opt(0, 0, 0, 250)
                    .unwrap(),
            );
        }
        let leap = chrono::NaiveDate::from_ymd_opt(2016, 12, 31)
            .unwrap()
            .and_hms_nano_opt(23, 59, 59, 1_500_000_000)
            .unwrap();
        times.push(leap);
        for t in times {
            assert_eq!(
                StoredTime(t).sqlite_text(),
                t.format("%F %T%.f").to_string(),
                "{t:?}"
            );
        }
    }

    /// A stored time's text as the feed writes it.
    fn rfc3339_of_text(text: &str) -> Option<String> {
        let mut out = Vec::new();
        write_rfc3339(&mut out, stored_time_of_text(text)?)?;
        String::from_utf8(out).ok()
    }

    /// Times given as text come out as chrono serialises the same time, whatever the fraction;
    /// what is no time is `None`.
    #[test]
    fn stored_text_is_written_as_chrono_serialises_it() {
        let base = Utc.with_ymd_and_hms(2026, 2, 28, 23, 59, 7).unwrap();
        for nanos in [
            0,
            120_000_000,
            123_000_000,
            123_450_000,
            123_456_000,
            1_000,
            123_456_789,
            5,
        ] {
            let t = base + chrono::Duration::nanoseconds(nanos);
            let serde = serde_json::to_value(t).unwrap();
            let naive = t.naive_utc();
            // How each engine and each writer gives the same time as text.
            let texts = [
                naive.format("%Y-%m-%d %H:%M:%S%.f").to_string(),
                naive.format("%Y-%m-%dT%H:%M:%S%.fZ").to_string(),
                naive.format("%Y-%m-%d %H:%M:%S%.f+00").to_string(),
                t.to_rfc3339(),
                t.with_timezone(&chrono::FixedOffset::east_opt(3600).unwrap())
                    .to_rfc3339(),
            ];
            for text in texts {
                assert_eq!(rfc3339_of_text(&text).as_deref(), serde.as_str(), "{text}");
            }
        }
        // PostgreSQL drops a fraction's trailing zeros.
        assert_eq!(
            rfc3339_of_text("2026-11-29 00:00:00.12").as_deref(),
            Some("2026-11-29T00:00:00.120Z")
        );
        assert_eq!(
            rfc3339_of_text("2026-11-29 08:30").as_deref(),
            Some("2026-11-29T08:30:00Z")
        );
        for bad in [
            "",
            "yesterday",
            "2026-13-01 00:00:00",
            "2026-02-30 00:00:00",
            "2026-11-29 00:00:00.",
            "2026-11-29 00:00:00+05",
        ] {
            assert_eq!(rfc3339_of_text(bad), None, "{bad}");
        }
    }
}

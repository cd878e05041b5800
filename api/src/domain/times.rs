//! Times as documents and answers write them: RFC 3339 in UTC, as chrono serialises a
//! `DateTime<Utc>`, written by hand. chrono formats through its format machinery for each value,
//! and a bulk import writes two times into every item's document.

use std::cell::Cell;

use chrono::{DateTime, NaiveDateTime, Utc};
use serde::Serializer;

/// Serialises `t` as chrono does (`serialize_with` of a `DateTime<Utc>` field), byte for byte.
pub fn serialize<S: Serializer>(t: &DateTime<Utc>, serializer: S) -> Result<S::Ok, S::Error> {
    let mut out = Vec::with_capacity(32);
    match write_rfc3339(&mut out, t.naive_utc()).and_then(|()| String::from_utf8(out).ok()) {
        Some(text) => serializer.serialize_str(&text),
        None => serde::Serialize::serialize(t, serializer),
    }
}

/// Whether [`write_date_time`] writes `t`: its year is from 0 to 9999 and it is no leap second.
pub(crate) fn writable(t: &NaiveDateTime) -> bool {
    use chrono::{Datelike, Timelike};
    (0..=9999).contains(&t.year()) && t.nanosecond() < 1_000_000_000
}

/// Appends `t` as a `DateTime<Utc>` serialises (RFC 3339, `Z`, the fraction in 0, 3, 6 or 9
/// digits), unquoted; `None` (and nothing written) for a time it cannot write ([`writable`]).
pub fn write_rfc3339(out: &mut Vec<u8>, t: NaiveDateTime) -> Option<()> {
    write_date_time(out, t, b'T')?;
    out.push(b'Z');
    Some(())
}

/// The most a time [`write_date_time`] writes takes: `YYYY-MM-DD HH:MM:SS.nnnnnnnnn`.
const LONGEST: usize = 29;

thread_local! {
    /// The last time [`write_date_time`] wrote on this thread, what was between its date and
    /// time, and its text: a bulk import writes its batch's one time into every item five
    /// times (its document's two, its row's two and its audit entry's), and a page of the
    /// feed repeats the time of the batch that wrote its changes.
    static LAST: Cell<Option<Written>> = const { Cell::new(None) };
}

/// A time written: the time, what was between its date and time, the text and its length.
type Written = (NaiveDateTime, u8, [u8; LONGEST], usize);

/// Appends `t` as `YYYY-MM-DD`, `between`, `HH:MM:SS` and the fraction as chrono's `%.f` gives
/// it (none, or 3, 6 or 9 digits); `None` (and nothing written) for a year outside 0 to 9999
/// or a leap second, which chrono writes its own way. The time written last is copied.
pub(crate) fn write_date_time(out: &mut Vec<u8>, t: NaiveDateTime, between: u8) -> Option<()> {
    if let Some((last, last_between, text, len)) = LAST.get()
        && (last, last_between) == (t, between)
    {
        out.extend_from_slice(&text[..len]);
        return Some(());
    }
    let start = out.len();
    format_date_time(out, t, between)?;
    let written = &out[start..];
    let mut text = [0; LONGEST];
    text[..written.len()].copy_from_slice(written);
    LAST.set(Some((t, between, text, written.len())));
    Some(())
}

/// [`write_date_time`], written anew.
fn format_date_time(out: &mut Vec<u8>, t: NaiveDateTime, between: u8) -> Option<()> {
    if !writable(&t) {
        return None;
    }
    let (date, time) = (t.date(), t.time());
    // `n` in exactly `width` digits (it has no more).
    let digits = |out: &mut Vec<u8>, n: u32, width: u32| {
        for place in (0..width).rev() {
            out.push(b'0' + (n / 10u32.pow(place) % 10) as u8);
        }
    };
    use chrono::{Datelike, Timelike};
    digits(out, u32::try_from(date.year()).ok()?, 4);
    out.push(b'-');
    digits(out, date.month(), 2);
    out.push(b'-');
    digits(out, date.day(), 2);
    out.push(between);
    digits(out, time.hour(), 2);
    out.push(b':');
    digits(out, time.minute(), 2);
    out.push(b':');
    digits(out, time.second(), 2);
    match time.nanosecond() {
        0 => {}
        n if n % 1_000_000 == 0 => {
            out.push(b'.');
            digits(out, n / 1_000_000, 3);
        }
        n if n % 1_000 == 0 => {
            out.push(b'.');
            digits(out, n / 1_000, 6);
        }
        n => {
            out.push(b'.');
            digits(out, n, 9);
        }
    }
    Some(())
}

#[cfg(test)]
mod tests {
    use chrono::{DateTime, TimeZone, Utc};

    #[derive(serde::Serialize)]
    struct ByHand(#[serde(serialize_with = "super::serialize")] DateTime<Utc>);

    /// A document's times read as chrono writes them: every fraction, the ends of the years
    /// written by hand, and those chrono writes itself (years past 9999 or before 0, a leap
    /// second).
    #[test]
    fn times_are_serialised_as_chrono_serialises_them() {
        let base = Utc.with_ymd_and_hms(2026, 2, 28, 23, 59, 7).unwrap();
        let mut times: Vec<DateTime<Utc>> = [
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
            times.push(Utc.with_ymd_and_hms(y, m, d, 0, 0, 0).unwrap());
        }
        let leap = chrono::NaiveDate::from_ymd_opt(2016, 12, 31)
            .unwrap()
            .and_hms_nano_opt(23, 59, 59, 1_500_000_000)
            .unwrap()
            .and_utc();
        times.push(leap);
        for t in times {
            assert_eq!(
                serde_json::to_string(&ByHand(t)).unwrap(),
                serde_json::to_string(&t).unwrap(),
                "{t:?}"
            );
        }
    }

    /// The time written last is copied, not written anew: what is copied is what would be
    /// written, after whatever the text held, for the same time and separator only.
    #[test]
    fn a_time_written_again_is_the_text_written_anew() {
        let t = Utc
            .with_ymd_and_hms(2026, 12, 4, 20, 15, 1)
            .unwrap()
            .naive_utc()
            + chrono::Duration::microseconds(123_456);
        let other = t + chrono::Duration::seconds(1);
        for (time, between) in [
            (t, b'T'),
            (t, b'T'),
            (t, b' '),
            (other, b' '),
            (t, b' '),
            (t, b'T'),
        ] {
            let mut copied = b"before ".to_vec();
            super::write_date_time(&mut copied, time, between).unwrap();
            let mut anew = b"before ".to_vec();
            super::format_date_time(&mut anew, time, between).unwrap();
            assert_eq!(
                String::from_utf8(copied).unwrap(),
                String::from_utf8(anew).unwrap()
            );
        }
    }
}

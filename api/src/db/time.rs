//! Times as the database stores them.

use chrono::{DateTime, SecondsFormat, Utc};

/// The time format stored: fixed width, so text order is time order on both backends.
pub fn timestamp(t: DateTime<Utc>) -> String {
    t.to_rfc3339_opts(SecondsFormat::Micros, true)
}

/// Now, at the precision stored, so a document read back equals the one written.
pub fn now() -> DateTime<Utc> {
    let t = Utc::now();
    DateTime::parse_from_rfc3339(&timestamp(t))
        .map(|t| t.with_timezone(&Utc))
        .unwrap_or(t)
}

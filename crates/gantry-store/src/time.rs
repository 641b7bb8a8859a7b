//! Timestamps as stored: Unix milliseconds, UTC.

use time::format_description::well_known::Rfc3339;
use time::OffsetDateTime;

/// The current time in Unix milliseconds.
pub fn now_millis() -> i64 {
    to_millis(OffsetDateTime::now_utc())
}

/// Converts a date to Unix milliseconds.
pub fn to_millis(at: OffsetDateTime) -> i64 {
    (at.unix_timestamp_nanos() / 1_000_000) as i64
}

/// Formats stored milliseconds as ISO 8601 UTC (`2023-11-28T06:23:46.92Z`).
pub fn format_millis(millis: i64) -> String {
    OffsetDateTime::from_unix_timestamp_nanos(i128::from(millis) * 1_000_000)
        .ok()
        .and_then(|t| t.format(&Rfc3339).ok())
        .unwrap_or_default()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn formats_as_rfc3339_utc() {
        assert_eq!(format_millis(1_701_152_626_920), "2023-11-28T06:23:46.92Z");
        assert_eq!(format_millis(0), "1970-01-01T00:00:00Z");
    }
}

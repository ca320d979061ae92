//! The current UTC time from the system clock, as the few formats Halyard shows
//! (RFC 3339 timestamps, the year and month that card expiry dates compare with).

use std::time::{SystemTime, UNIX_EPOCH};

/// A moment in UTC, broken down.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Utc {
    /// Year, e.g. 2026.
    pub year: i64,
    /// Month, 1 to 12.
    pub month: u32,
    /// Day of the month, 1 to 31.
    pub day: u32,
    /// Seconds since midnight.
    pub seconds: u32,
    /// Milliseconds within the second.
    pub millis: u32,
}

impl Utc {
    /// Now.
    pub fn now() -> Utc {
        let since = SystemTime::now()
            .duration_since(UNIX_EPOCH)
            .unwrap_or_default();
        Utc::from_unix(since.as_secs() as i64, since.subsec_millis())
    }

    /// The moment `secs` seconds after 1970-01-01T00:00:00Z.
    pub fn from_unix(secs: i64, millis: u32) -> Utc {
        let days = secs.div_euclid(86_400);
        let seconds = secs.rem_euclid(86_400) as u32;
        // Howard Hinnant's days-to-civil algorithm.
        let z = days + 719_468;
        let era = z.div_euclid(146_097);
        let doe = z.rem_euclid(146_097);
        let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
        let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
        let mp = (5 * doy + 2) / 153;
        let day = (doy - (153 * mp + 2) / 5 + 1) as u32;
        let month = if mp < 10 { mp + 3 } else { mp - 9 } as u32;
        let year = yoe + era * 400 + i64::from(month <= 2);
        Utc {
            year,
            month,
            day,
            seconds,
            millis,
        }
    }

    /// `2026-11-22T01:02:03.456Z`.
    pub fn rfc3339(&self) -> String {
        format!(
            "{:04}-{:02}-{:02}T{:02}:{:02}:{:02}.{:03}Z",
            self.year,
            self.month,
            self.day,
            self.seconds / 3600,
            self.seconds / 60 % 60,
            self.seconds % 60,
            self.millis
        )
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_epoch_and_a_leap_day_convert_to_their_dates() {
        assert_eq!(Utc::from_unix(0, 0).rfc3339(), "1970-01-01T00:00:00.000Z");
        assert_eq!(
            Utc::from_unix(951_782_400 + 3661, 5).rfc3339(),
            "2000-02-29T01:01:01.005Z"
        );
        assert_eq!(Utc::from_unix(1_795_000_000, 0).year, 2026);
    }
}

//! An instant as Steward keeps it: microseconds since the Unix epoch, UTC, the unit of
//! every layer and both databases ([`crate::micros`]). [`Timestamp`] says so in the type,
//! where a bare `i64` beside others (a start, an end, "now") is easily passed in the
//! wrong place.

use jiff::tz::TimeZone;

/// An instant, in microseconds since the Unix epoch (UTC).
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct Timestamp(i64);

impl Timestamp {
    pub const fn from_micros(micros: i64) -> Timestamp {
        Timestamp(micros)
    }

    pub const fn as_micros(self) -> i64 {
        self.0
    }

    /// The instant as jiff's, or `None` outside jiff's range (years -9999 to 9999).
    pub fn to_jiff(self) -> Option<jiff::Timestamp> {
        jiff::Timestamp::from_microsecond(self.0).ok()
    }

    /// The instant as the clocks of `zone` show it, or `None` outside jiff's range.
    pub fn in_zone(self, zone: &TimeZone) -> Option<jiff::Zoned> {
        self.to_jiff().map(|t| t.to_zoned(zone.clone()))
    }
}

impl From<jiff::Timestamp> for Timestamp {
    fn from(instant: jiff::Timestamp) -> Timestamp {
        Timestamp(instant.as_microsecond())
    }
}

impl From<&jiff::Zoned> for Timestamp {
    fn from(instant: &jiff::Zoned) -> Timestamp {
        Timestamp::from(instant.timestamp())
    }
}

/// `micros` microseconds later.
impl std::ops::Add<i64> for Timestamp {
    type Output = Timestamp;

    fn add(self, micros: i64) -> Timestamp {
        Timestamp(self.0 + micros)
    }
}

/// `micros` microseconds earlier.
impl std::ops::Sub<i64> for Timestamp {
    type Output = Timestamp;

    fn sub(self, micros: i64) -> Timestamp {
        Timestamp(self.0 - micros)
    }
}

/// The microseconds from `earlier` to `self`.
impl std::ops::Sub for Timestamp {
    type Output = i64;

    fn sub(self, earlier: Timestamp) -> i64 {
        self.0 - earlier.0
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::micros::MICROS_PER_HOUR;

    #[test]
    fn an_instant_goes_to_jiff_and_back_unchanged() {
        let instant: jiff::Timestamp = "2026-06-02T04:30:00Z".parse().unwrap();
        let ours = Timestamp::from(instant);
        assert_eq!(ours.as_micros(), instant.as_microsecond());
        assert_eq!(ours.to_jiff(), Some(instant));
        let kolkata = TimeZone::get("Asia/Kolkata").unwrap();
        assert_eq!(ours.in_zone(&kolkata).map(|z| z.datetime().to_string()), Some("2026-06-02T10:00:00".into()));
    }

    #[test]
    fn arithmetic_is_in_microseconds() {
        let start = Timestamp::from_micros(10 * MICROS_PER_HOUR);
        assert_eq!((start + MICROS_PER_HOUR).as_micros(), 11 * MICROS_PER_HOUR);
        assert_eq!((start - MICROS_PER_HOUR).as_micros(), 9 * MICROS_PER_HOUR);
        assert_eq!(start - Timestamp::from_micros(MICROS_PER_HOUR), 9 * MICROS_PER_HOUR);
        assert_eq!(Timestamp::from_micros(i64::MAX).to_jiff(), None);
    }
}

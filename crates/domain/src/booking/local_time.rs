//! Wall-clock times in a time zone, the way people write them, turned into instants
//! without guessing: a time that the clocks skip (spring forward) or show twice (fall
//! back) is refused with a message that says so, unless the writer gave the offset.

use crate::ValidationError;
use jiff::civil::{Date, DateTime};
use jiff::tz::{AmbiguousOffset, TimeZone};
use jiff::{Timestamp, Zoned};

/// Looks up an IANA zone, naming the field when it does not exist.
pub fn zone(field: &str, name: &str) -> Result<TimeZone, ValidationError> {
    TimeZone::get(name.trim()).map_err(|_| {
        ValidationError::new(field, format!("'{}' is not a known IANA time zone such as Asia/Kolkata", name.trim()))
    })
}

/// An instant from `2026-03-08T10:30:00-05:00` / `...Z` (exact), or from a local
/// `2026-03-08T10:30` read in `zone`.
pub fn parse_start(field: &str, raw: &str, zone: &TimeZone) -> Result<i64, ValidationError> {
    match parse_written_start(field, raw)? {
        WrittenStart::Exact(instant) => Ok(instant.as_microsecond()),
        WrittenStart::Local(local) => local_instant(field, local, zone),
    }
}

/// A start time as someone wrote it, before a time zone is chosen to read it in.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum WrittenStart {
    /// Written with its offset (`2026-03-08T10:30:00-05:00`, `...Z`): exact in any zone.
    Exact(Timestamp),
    /// A wall-clock time (`2026-03-08T10:30`), which names an instant only in a zone.
    Local(DateTime),
}

impl WrittenStart {
    /// The start as the clocks of `zone` show it; a local time the clocks skip or show
    /// twice there is refused, as [`local_instant`] says.
    pub fn in_zone(self, field: &str, zone: &TimeZone) -> Result<Zoned, ValidationError> {
        let instant = match self {
            WrittenStart::Exact(instant) => instant,
            WrittenStart::Local(local) => Timestamp::from_microsecond(local_instant(field, local, zone)?)
                .map_err(|_| ValidationError::new(field, "is out of range"))?,
        };
        Ok(instant.to_zoned(zone.clone()))
    }
}

/// Reads a start written `2026-03-08T10:30`, or with its offset; see [`parse_start`].
pub fn parse_written_start(field: &str, raw: &str) -> Result<WrittenStart, ValidationError> {
    let text = raw.trim();
    if text.is_empty() {
        return Err(ValidationError::new(field, "is required"));
    }
    if let Ok(instant) = text.parse::<Timestamp>() {
        return Ok(WrittenStart::Exact(instant));
    }
    let local: DateTime = text.parse().map_err(|_| {
        ValidationError::new(
            field,
            "must be a date and time such as 2026-03-08T10:30, or with its offset, 2026-03-08T10:30+05:30",
        )
    })?;
    Ok(WrittenStart::Local(local))
}

/// The instant a local date-time names in `zone`, refusing gaps and folds.
pub fn local_instant(field: &str, local: DateTime, zone: &TimeZone) -> Result<i64, ValidationError> {
    let name = zone.iana_name().unwrap_or("this time zone");
    let ambiguous = zone.to_ambiguous_zoned(local);
    match ambiguous.offset() {
        AmbiguousOffset::Unambiguous { .. } => ambiguous
            .compatible()
            .map(|z| z.timestamp().as_microsecond())
            .map_err(|_| ValidationError::new(field, "is out of range")),
        AmbiguousOffset::Gap { .. } => Err(ValidationError::new(
            field,
            format!("{local} does not exist in {name}: the clocks skip it (daylight saving starts); pick another time"),
        )),
        AmbiguousOffset::Fold { before, after } => Err(ValidationError::new(
            field,
            format!(
                "{local} happens twice in {name} (daylight saving ends); add the offset: {local}{before} for the first, {local}{after} for the second"
            ),
        )),
    }
}

/// A date written `YYYY-MM-DD`.
pub fn parse_day(field: &str, raw: &str) -> Result<Date, ValidationError> {
    raw.trim().parse().map_err(|_| ValidationError::new(field, "must be a date written YYYY-MM-DD"))
}

/// The instant in `zone`.
pub fn zoned(micros: i64, zone: &TimeZone) -> Option<Zoned> {
    Timestamp::from_microsecond(micros).ok().map(|t| t.to_zoned(zone.clone()))
}

/// An instant as `2026-03-08T10:30:00-05:00` in `zone`.
pub fn format_in(micros: i64, zone: &TimeZone) -> String {
    zoned(micros, zone).map(|z| z.strftime("%Y-%m-%dT%H:%M:%S%:z").to_string()).unwrap_or_default()
}

/// The first instant of a local day in `zone` (midnight, or the first time that exists).
pub fn day_start(date: Date, zone: &TimeZone) -> Option<i64> {
    zone.to_ambiguous_zoned(date.to_datetime(jiff::civil::Time::midnight()))
        .compatible()
        .ok()
        .map(|z| z.timestamp().as_microsecond())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ny() -> TimeZone {
        zone("tz", "America/New_York").unwrap()
    }

    #[test]
    fn spring_gap_and_autumn_fold_are_refused_with_a_reason() {
        let gap = parse_start("start", "2026-03-08T02:30", &ny()).unwrap_err();
        assert!(gap.message.contains("does not exist"), "{gap:?}");
        let fold = parse_start("start", "2026-11-01T01:30", &ny()).unwrap_err();
        assert!(fold.message.contains("happens twice") && fold.message.contains("-04") && fold.message.contains("-05"));
        // With the offset, each of the two is accepted and they are an hour apart.
        let first = parse_start("start", "2026-11-01T01:30-04:00", &ny()).unwrap();
        let second = parse_start("start", "2026-11-01T01:30-05:00", &ny()).unwrap();
        assert_eq!(second - first, 3_600_000_000);
    }

    #[test]
    fn half_hour_zones_and_unknown_zones() {
        let kolkata = zone("tz", "Asia/Kolkata").unwrap();
        let at = parse_start("start", "2026-06-01T10:00", &kolkata).unwrap();
        assert_eq!(format_in(at, &TimeZone::UTC), "2026-06-01T04:30:00+00:00");
        assert!(zone("tz", "Mars/Olympus").is_err());
        assert!(parse_start("start", "tomorrow", &kolkata).is_err());
    }
}

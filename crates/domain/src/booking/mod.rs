//! Booking's rules: services and their timing, working hours, appointment statuses,
//! availability, local times across daylight-saving changes, recurring series and
//! calendar files. Instants are microseconds since the Unix epoch, as everywhere in
//! Steward; wall-clock times only exist together with a time zone.

pub mod availability;
pub mod calendar;
pub mod ics;
pub mod local_time;
pub mod recurrence;

use crate::ValidationError;
use serde::Serialize;

pub use crate::micros::MICROS_PER_MINUTE;

/// Where an appointment is in its life.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, schemars::JsonSchema)]
#[serde(rename_all = "snake_case")]
#[schemars(rename = "AppointmentStatus")]
pub enum Status {
    Booked,
    Confirmed,
    Arrived,
    Completed,
    NoShow,
    Cancelled,
}

impl Status {
    pub const ALL: [Status; 6] =
        [Status::Booked, Status::Confirmed, Status::Arrived, Status::Completed, Status::NoShow, Status::Cancelled];

    pub fn name(self) -> &'static str {
        match self {
            Status::Booked => "booked",
            Status::Confirmed => "confirmed",
            Status::Arrived => "arrived",
            Status::Completed => "completed",
            Status::NoShow => "no_show",
            Status::Cancelled => "cancelled",
        }
    }

    pub fn label(self) -> &'static str {
        match self {
            Status::Booked => "Booked",
            Status::Confirmed => "Confirmed",
            Status::Arrived => "Arrived",
            Status::Completed => "Completed",
            Status::NoShow => "No-show",
            Status::Cancelled => "Cancelled",
        }
    }

    pub fn parse(field: &str, raw: &str) -> Result<Status, ValidationError> {
        let raw = raw.trim().to_ascii_lowercase().replace(['-', ' '], "_");
        Status::ALL.into_iter().find(|s| s.name() == raw).ok_or_else(|| {
            ValidationError::new(field, "must be one of booked, confirmed, arrived, completed, no_show, cancelled")
        })
    }

    /// Whether the appointment still holds its time (everything but a cancellation).
    pub fn holds_time(self) -> bool {
        self != Status::Cancelled
    }

    /// Whether the appointment can still be moved or cancelled.
    pub fn is_open(self) -> bool {
        matches!(self, Status::Booked | Status::Confirmed)
    }

    /// The statuses an appointment may move to from this one.
    pub fn can_become(self, next: Status) -> bool {
        use Status::*;
        match self {
            Booked => matches!(next, Confirmed | Arrived | Completed | NoShow | Cancelled),
            Confirmed => matches!(next, Booked | Arrived | Completed | NoShow | Cancelled),
            Arrived => matches!(next, Completed),
            Completed | NoShow | Cancelled => false,
        }
    }

    /// Whether a change to this status, made from `previous`, may be taken back: a
    /// check-in, completion, no-show or confirmation pressed by mistake. A cancellation is
    /// not (its messages were withdrawn and its time given to others).
    pub fn can_undo_to(self, previous: Status) -> bool {
        matches!(self, Status::Confirmed | Status::Arrived | Status::Completed | Status::NoShow)
            && previous != self
            && previous.can_become(self)
    }
}

/// How a service occupies time: its own length, the buffers around it, the step between
/// offered start times, and how early and how far ahead it can be booked.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ServiceTiming {
    pub duration_minutes: i64,
    pub buffer_before_minutes: i64,
    pub buffer_after_minutes: i64,
    pub slot_interval_minutes: i64,
    pub min_notice_minutes: i64,
    pub horizon_days: i64,
}

impl ServiceTiming {
    /// Checks each number, naming the field that is out of range.
    pub fn check(self) -> Result<ServiceTiming, ValidationError> {
        let within = |field: &str, value: i64, min: i64, max: i64, unit: &str| {
            if value < min || value > max {
                Err(ValidationError::new(field, format!("must be between {min} and {max} {unit}")))
            } else {
                Ok(())
            }
        };
        within("duration_minutes", self.duration_minutes, 5, 24 * 60, "minutes")?;
        within("buffer_before_minutes", self.buffer_before_minutes, 0, 240, "minutes")?;
        within("buffer_after_minutes", self.buffer_after_minutes, 0, 240, "minutes")?;
        within("slot_interval_minutes", self.slot_interval_minutes, 5, 24 * 60, "minutes")?;
        within("min_notice_minutes", self.min_notice_minutes, 0, 60 * 24 * 60, "minutes")?;
        within("horizon_days", self.horizon_days, 1, 730, "days")?;
        Ok(self)
    }

    /// The time an appointment starting at `start` keeps from others: itself and its buffers.
    pub fn blocked(self, start: i64) -> Span {
        Span {
            from: start - self.buffer_before_minutes * MICROS_PER_MINUTE,
            until: start + (self.duration_minutes + self.buffer_after_minutes) * MICROS_PER_MINUTE,
        }
    }

    pub fn end(self, start: i64) -> i64 {
        start + self.duration_minutes * MICROS_PER_MINUTE
    }
}

/// A half-open stretch of time `[from, until)` in microseconds.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub struct Span {
    pub from: i64,
    pub until: i64,
}

impl Span {
    pub fn overlaps(self, other: Span) -> bool {
        self.from < other.until && other.from < self.until
    }

    pub fn contains(self, other: Span) -> bool {
        self.from <= other.from && other.until <= self.until
    }
}

/// A price in rupees (`499`, `499.50`, `1,499`) as paise.
pub fn parse_price(field: &str, raw: &str) -> Result<i64, ValidationError> {
    let text: String = raw.trim().trim_start_matches('₹').trim().chars().filter(|c| *c != ',').collect();
    let bad = || ValidationError::new(field, "must be an amount in rupees such as 499 or 499.50");
    if text.is_empty() {
        return Err(bad());
    }
    let (whole, fraction) = text.split_once('.').unwrap_or((&text, ""));
    if whole.is_empty() || !whole.bytes().all(|b| b.is_ascii_digit()) || whole.len() > 9 {
        return Err(bad());
    }
    if fraction.len() > 2 || !fraction.bytes().all(|b| b.is_ascii_digit()) {
        return Err(bad());
    }
    let rupees: i64 = whole.parse().map_err(|_| bad())?;
    let paise: i64 = if fraction.is_empty() { 0 } else { format!("{fraction:0<2}").parse().map_err(|_| bad())? };
    Ok(rupees * 100 + paise)
}

/// Paise as rupees for pages: `499.00`.
pub fn format_price(paise: i64) -> String {
    format!("{}.{:02}", paise / 100, (paise % 100).abs())
}

/// GST rates in use in India, in basis points (18% = 1800).
pub const GST_RATES_BP: [i64; 8] = [0, 25, 300, 500, 1200, 1800, 2800, 4000];

/// A GST rate written `18`, `18%` or `5.0` as basis points; only rates in use are accepted.
pub fn parse_gst_rate(field: &str, raw: &str) -> Result<i64, ValidationError> {
    let text = raw.trim().trim_end_matches('%').trim();
    let bad = || ValidationError::new(field, "must be a GST rate in use: 0, 0.25, 3, 5, 12, 18, 28 or 40 (percent)");
    let (whole, fraction) = text.split_once('.').unwrap_or((text, ""));
    if whole.is_empty() || whole.len() > 3 || !whole.bytes().all(|b| b.is_ascii_digit()) {
        return Err(bad());
    }
    if fraction.len() > 2 || !fraction.bytes().all(|b| b.is_ascii_digit()) {
        return Err(bad());
    }
    let bp = whole.parse::<i64>().map_err(|_| bad())? * 100
        + if fraction.is_empty() { 0 } else { format!("{fraction:0<2}").parse::<i64>().map_err(|_| bad())? };
    if GST_RATES_BP.contains(&bp) { Ok(bp) } else { Err(bad()) }
}

/// Basis points as a percentage for pages: `18`, `0.25`.
pub fn format_rate(bp: i64) -> String {
    if bp % 100 == 0 {
        format!("{}", bp / 100)
    } else {
        format!("{}.{:02}", bp / 100, bp % 100).trim_end_matches('0').to_string()
    }
}

/// A SAC code (services accounting code under GST): six digits starting with 99.
pub fn parse_sac(field: &str, raw: &str) -> Result<Option<String>, ValidationError> {
    let text = raw.trim();
    if text.is_empty() {
        return Ok(None);
    }
    if text.len() == 6 && text.starts_with("99") && text.bytes().all(|b| b.is_ascii_digit()) {
        Ok(Some(text.to_string()))
    } else {
        Err(ValidationError::new(field, "must be a six-digit SAC code starting with 99, such as 999721"))
    }
}

/// A time of day written `09:30` (or `9:30`, `24:00` for the end of a day) as minutes.
pub fn parse_minute_of_day(field: &str, raw: &str) -> Result<i64, ValidationError> {
    let bad = || ValidationError::new(field, "must be a time of day such as 09:30");
    let (h, m) = raw.trim().split_once(':').ok_or_else(bad)?;
    if h.is_empty() || h.len() > 2 || m.len() != 2 {
        return Err(bad());
    }
    let h: i64 = h.parse().map_err(|_| bad())?;
    let m: i64 = m.parse().map_err(|_| bad())?;
    if m >= 60 || h > 24 || (h == 24 && m != 0) {
        return Err(bad());
    }
    Ok(h * 60 + m)
}

/// Minutes as `09:30`.
pub fn format_minute_of_day(minutes: i64) -> String {
    format!("{:02}:{:02}", minutes / 60, minutes % 60)
}

/// One working range of a weekday (1 = Monday … 7 = Sunday), at one location, in that
/// location's time zone. Breaks are the gaps between ranges.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct WeeklyRange<L> {
    pub weekday: i8,
    pub location: L,
    pub start_minute: i64,
    pub end_minute: i64,
}

/// Checks a day's ranges: each ends after it starts, and none overlap.
pub fn check_ranges(field: &str, ranges: &mut [(i64, i64)]) -> Result<(), ValidationError> {
    ranges.sort();
    for (start, end) in ranges.iter() {
        if end <= start {
            return Err(ValidationError::new(field, "each range must end after it starts"));
        }
    }
    for pair in ranges.windows(2) {
        if pair[1].0 < pair[0].1 {
            return Err(ValidationError::new(field, "ranges overlap"));
        }
    }
    Ok(())
}

/// Weekday names as written in forms and the API.
pub const WEEKDAYS: [&str; 7] = ["monday", "tuesday", "wednesday", "thursday", "friday", "saturday", "sunday"];

pub fn parse_weekday(field: &str, raw: &str) -> Result<i8, ValidationError> {
    let text = raw.trim().to_ascii_lowercase();
    WEEKDAYS
        .iter()
        .position(|d| *d == text || d[..3] == text)
        .map(|i| i as i8 + 1)
        .ok_or_else(|| ValidationError::new(field, "must be a weekday such as monday"))
}

#[cfg(test)]
mod tests {
    #[test]
    fn mistaken_status_changes_can_be_taken_back_but_not_a_cancellation() {
        assert!(Status::Arrived.can_undo_to(Status::Booked));
        assert!(Status::Completed.can_undo_to(Status::Arrived));
        assert!(Status::NoShow.can_undo_to(Status::Confirmed));
        assert!(!Status::Cancelled.can_undo_to(Status::Booked));
        assert!(!Status::Booked.can_undo_to(Status::Completed), "only back to where it came from");
        assert!(!Status::Completed.can_undo_to(Status::NoShow));
    }

    use super::*;

    #[test]
    fn prices_rates_and_codes() {
        assert_eq!(parse_price("price", "499"), Ok(49_900));
        assert_eq!(parse_price("price", "₹1,499.5"), Ok(149_950));
        assert!(parse_price("price", "-3").is_err());
        assert!(parse_price("price", "4.999").is_err());
        assert_eq!(format_price(149_950), "1499.50");
        assert_eq!(parse_gst_rate("gst", "18%"), Ok(1800));
        assert_eq!(parse_gst_rate("gst", "0.25"), Ok(25));
        assert!(parse_gst_rate("gst", "17").is_err());
        assert_eq!(format_rate(25), "0.25");
        assert_eq!(format_rate(500), "5");
        assert_eq!(parse_sac("sac", "999721"), Ok(Some("999721".into())));
        assert!(parse_sac("sac", "123456").is_err());
    }

    #[test]
    fn times_of_day_and_ranges() {
        assert_eq!(parse_minute_of_day("start", "9:30"), Ok(570));
        assert_eq!(parse_minute_of_day("end", "24:00"), Ok(1440));
        assert!(parse_minute_of_day("end", "24:30").is_err());
        assert!(parse_minute_of_day("end", "12:60").is_err());
        let mut ok = vec![(780, 1080), (540, 720)];
        assert!(check_ranges("hours", &mut ok).is_ok());
        assert_eq!(ok[0], (540, 720));
        assert!(check_ranges("hours", &mut [(540, 720), (700, 800)]).is_err());
        assert!(check_ranges("hours", &mut [(540, 540)]).is_err());
    }

    #[test]
    fn statuses_move_forward_only() {
        assert!(Status::Booked.can_become(Status::Cancelled));
        assert!(!Status::Cancelled.can_become(Status::Booked));
        assert!(!Status::Completed.can_become(Status::NoShow));
        assert_eq!(Status::parse("status", "No-Show"), Ok(Status::NoShow));
    }
}

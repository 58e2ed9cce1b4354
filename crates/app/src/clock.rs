//! Time as the services see it: the system clock in production, a clock a test can move.

use std::sync::Arc;
use std::sync::atomic::{AtomicI64, Ordering};

pub use steward_domain::micros::{MICROS_PER_DAY, MICROS_PER_HOUR, MICROS_PER_MINUTE, MICROS_PER_SECOND};

/// Where "now" comes from.
#[derive(Clone, Debug)]
pub struct Clock(Option<Arc<AtomicI64>>);

impl Clock {
    pub fn system() -> Self {
        Self(None)
    }

    /// A clock that stays at `micros` until moved.
    pub fn fixed(micros: i64) -> Self {
        Self(Some(Arc::new(AtomicI64::new(micros))))
    }

    pub fn now(&self) -> i64 {
        match &self.0 {
            Some(fixed) => fixed.load(Ordering::Relaxed),
            None => jiff::Timestamp::now().as_microsecond(),
        }
    }

    /// Moves a fixed clock forward; the system clock cannot be moved.
    pub fn advance(&self, micros: i64) {
        if let Some(fixed) = &self.0 {
            fixed.fetch_add(micros, Ordering::Relaxed);
        }
    }
}

/// An instant as RFC 3339 text (UTC), for JSON and pages.
pub fn format_instant(micros: i64) -> String {
    jiff::Timestamp::from_microsecond(micros)
        .map(|t| t.round(jiff::Unit::Second).unwrap_or(t).to_string())
        .unwrap_or_default()
}

/// The first instant (microseconds) of a UTC day written `YYYY-MM-DD`; an error names
/// `field`.
pub fn utc_day_start(field: &str, text: &str) -> Result<i64, crate::AppError> {
    let date: jiff::civil::Date =
        text.trim().parse().map_err(|_| crate::AppError::invalid(field, "must be a date written YYYY-MM-DD"))?;
    date.to_zoned(jiff::tz::TimeZone::UTC)
        .map(|z| z.timestamp().as_microsecond())
        .map_err(|_| crate::AppError::invalid(field, "is out of range"))
}

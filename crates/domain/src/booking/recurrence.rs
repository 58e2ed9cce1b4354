//! Recurring series: the same wall-clock time every N weeks, until a date or for a count.
//! Each occurrence keeps its local time across daylight-saving changes (a 10:00
//! appointment stays at 10:00 in summer and winter).

use crate::ValidationError;
use jiff::ToSpan;
use jiff::civil::{Date, DateTime};
use jiff::tz::TimeZone;

/// Most occurrences one series may have.
pub const MAX_OCCURRENCES: usize = 104;

/// How a series repeats.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Repeat {
    pub every_weeks: i64,
    pub until: Option<Date>,
    pub count: Option<i64>,
}

impl Repeat {
    pub fn check(self) -> Result<Repeat, ValidationError> {
        if !(1..=52).contains(&self.every_weeks) {
            return Err(ValidationError::new("repeat.every_weeks", "must be between 1 and 52"));
        }
        match (self.until, self.count) {
            (None, None) => Err(ValidationError::new("repeat", "give either until (a date) or count")),
            (Some(_), Some(_)) => Err(ValidationError::new("repeat", "give until or count, not both")),
            (None, Some(n)) if !(1..=MAX_OCCURRENCES as i64).contains(&n) => {
                Err(ValidationError::new("repeat.count", format!("must be between 1 and {MAX_OCCURRENCES}")))
            }
            _ => Ok(self),
        }
    }
}

/// The starts of a series beginning at `first` (local, in `zone`), the first included.
pub fn occurrences(first: DateTime, zone: &TimeZone, repeat: Repeat) -> Result<Vec<i64>, ValidationError> {
    let repeat = repeat.check()?;
    if let Some(until) = repeat.until
        && until < first.date()
    {
        return Err(ValidationError::new("repeat.until", "is before the first appointment"));
    }
    let mut starts = Vec::new();
    let mut local = first;
    loop {
        if let Some(count) = repeat.count
            && starts.len() as i64 >= count
        {
            break;
        }
        if let Some(until) = repeat.until
            && local.date() > until
        {
            break;
        }
        if starts.len() >= MAX_OCCURRENCES {
            return Err(ValidationError::new(
                "repeat.until",
                format!("the series would have more than {MAX_OCCURRENCES} appointments"),
            ));
        }
        // A time the clocks skip moves to when they resume; of a time shown twice, the first.
        let at = zone
            .to_ambiguous_zoned(local)
            .compatible()
            .map_err(|_| ValidationError::new("repeat", "runs out of the calendar's range"))?;
        starts.push(at.timestamp().as_microsecond());
        local = local
            .checked_add((repeat.every_weeks * 7).days())
            .map_err(|_| ValidationError::new("repeat", "runs out of the calendar's range"))?;
    }
    Ok(starts)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::booking::local_time::{format_in, zone};

    #[test]
    fn weekly_series_keeps_its_wall_clock_time_across_dst() {
        let ny = zone("tz", "America/New_York").unwrap();
        let starts = occurrences(
            "2026-02-26T10:00".parse().unwrap(),
            &ny,
            Repeat { every_weeks: 1, until: None, count: Some(3) },
        )
        .unwrap();
        let shown: Vec<String> = starts.iter().map(|s| format_in(*s, &ny)).collect();
        assert_eq!(shown, ["2026-02-26T10:00:00-05:00", "2026-03-05T10:00:00-05:00", "2026-03-12T10:00:00-04:00"]);
    }

    #[test]
    fn until_and_limits() {
        let utc = TimeZone::UTC;
        let until = Repeat { every_weeks: 2, until: Some("2026-03-01".parse().unwrap()), count: None };
        assert_eq!(occurrences("2026-02-01T09:00".parse().unwrap(), &utc, until).unwrap().len(), 3);
        assert!(Repeat { every_weeks: 0, until: None, count: Some(2) }.check().is_err());
        assert!(Repeat { every_weeks: 1, until: None, count: None }.check().is_err());
        let far = Repeat { every_weeks: 1, until: Some("2030-01-01".parse().unwrap()), count: None };
        assert!(occurrences("2026-02-01T09:00".parse().unwrap(), &utc, far).is_err());
    }
}

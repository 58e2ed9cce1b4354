//! The figures a business owner reads at a glance: one week's bookings day by day, new and
//! returning customers, no-shows and how full the staff's working hours were, each beside
//! the week before. Pure counting over what the store read; the dashboard draws it.

use crate::booking::{Span, Status};
use std::collections::HashSet;
use uuid::Uuid;

/// One appointment of a week, as the figures count it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Counted {
    /// Day of the week it starts on in the business's zone: 0 is Monday.
    pub weekday: usize,
    pub status: Status,
    /// Its length, start to end.
    pub minutes: i64,
    pub customer: Uuid,
}

/// One week's figures.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct WeekFigures {
    /// Bookings (not cancelled) per day, Monday first.
    pub per_day: [u32; 7],
    /// Appointments not cancelled.
    pub bookings: u32,
    pub cancelled: u32,
    pub no_shows: u32,
    /// Arrived or completed.
    pub attended: u32,
    /// Customers booked this week who had no earlier appointment (cancelled ones aside).
    pub new_customers: u32,
    pub returning_customers: u32,
    /// Minutes booked (not cancelled, not a no-show) and minutes the staff worked.
    pub booked_minutes: i64,
    pub open_minutes: i64,
}

impl WeekFigures {
    /// Counts a week. `seen_before` holds the customers with an appointment (not cancelled)
    /// before the week began; `open_minutes` is the staff's working time in the week.
    pub fn count(appointments: &[Counted], seen_before: &HashSet<Uuid>, open_minutes: i64) -> Self {
        let mut figures = WeekFigures { open_minutes, ..Default::default() };
        let mut customers: HashSet<Uuid> = HashSet::new();
        for a in appointments {
            if a.status == Status::Cancelled {
                figures.cancelled += 1;
                continue;
            }
            figures.bookings += 1;
            if let Some(day) = figures.per_day.get_mut(a.weekday) {
                *day += 1;
            }
            match a.status {
                Status::NoShow => figures.no_shows += 1,
                Status::Arrived | Status::Completed => figures.attended += 1,
                _ => {}
            }
            if a.status != Status::NoShow {
                figures.booked_minutes += a.minutes.max(0);
            }
            if customers.insert(a.customer) {
                if seen_before.contains(&a.customer) {
                    figures.returning_customers += 1;
                } else {
                    figures.new_customers += 1;
                }
            }
        }
        figures
    }

    /// No-shows among the appointments whose outcome is known, in whole percent; `None`
    /// before any is known.
    pub fn no_show_percent(&self) -> Option<u32> {
        percent(i64::from(self.no_shows), i64::from(self.no_shows + self.attended))
    }

    /// Booked time as a share of working time, in whole percent; `None` without hours.
    pub fn utilisation_percent(&self) -> Option<u32> {
        percent(self.booked_minutes, self.open_minutes)
    }
}

fn percent(part: i64, whole: i64) -> Option<u32> {
    (whole > 0).then(|| ((part.max(0) * 100 + whole / 2) / whole).min(999) as u32)
}

/// How a figure moved against the week before.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Change {
    Up(i64),
    Down(i64),
    Same,
}

impl Change {
    pub fn between(before: i64, now: i64) -> Change {
        match now - before {
            0 => Change::Same,
            d if d > 0 => Change::Up(d),
            d => Change::Down(-d),
        }
    }

    /// "+3", "−2" or "same", for a figure beside its value.
    pub fn words(self) -> String {
        match self {
            Change::Up(n) => format!("+{n}"),
            Change::Down(n) => format!("\u{2212}{n}"),
            Change::Same => "same".into(),
        }
    }
}

/// Minutes of the working `windows` inside `[from, until)` not covered by `off` (time
/// off), each in microseconds. Windows do not overlap one another (one staff member's
/// day); time off may overlap itself.
pub fn open_minutes(windows: &[Span], off: &[Span], from: i64, until: i64) -> i64 {
    let mut total: i64 = 0;
    for window in windows {
        let (start, end) = (window.from.max(from), window.until.min(until));
        if end <= start {
            continue;
        }
        let mut cut: Vec<(i64, i64)> =
            off.iter().map(|o| (o.from.max(start), o.until.min(end))).filter(|(a, b)| b > a).collect();
        cut.sort_unstable();
        let mut covered: i64 = 0;
        let mut reach = start;
        for (a, b) in cut {
            let a = a.max(reach);
            if b > a {
                covered += b - a;
                reach = b;
            }
        }
        total += end - start - covered;
    }
    total / 60_000_000
}

#[cfg(test)]
mod tests {
    use super::*;

    fn at(weekday: usize, status: Status, minutes: i64, customer: u128) -> Counted {
        Counted { weekday, status, minutes, customer: Uuid::from_u128(customer) }
    }

    #[test]
    fn a_week_is_counted_by_day_outcome_and_customer() {
        let seen: HashSet<Uuid> = [Uuid::from_u128(1)].into_iter().collect();
        let week = [
            at(0, Status::Completed, 30, 1),
            at(0, Status::NoShow, 60, 2),
            at(2, Status::Cancelled, 45, 3),
            at(6, Status::Booked, 45, 2),
            at(6, Status::Arrived, 15, 4),
        ];
        let figures = WeekFigures::count(&week, &seen, 600);
        assert_eq!(figures.per_day, [2, 0, 0, 0, 0, 0, 2]);
        assert_eq!((figures.bookings, figures.cancelled, figures.no_shows, figures.attended), (4, 1, 1, 2));
        assert_eq!((figures.new_customers, figures.returning_customers), (2, 1));
        assert_eq!(figures.booked_minutes, 90);
        assert_eq!(figures.no_show_percent(), Some(33));
        assert_eq!(figures.utilisation_percent(), Some(15));
        assert_eq!(WeekFigures::default().no_show_percent(), None);
        assert_eq!(WeekFigures::default().utilisation_percent(), None);
    }

    #[test]
    fn changes_read_as_words() {
        assert_eq!(Change::between(4, 7).words(), "+3");
        assert_eq!(Change::between(7, 5).words(), "\u{2212}2");
        assert_eq!(Change::between(3, 3).words(), "same");
    }

    #[test]
    fn open_time_leaves_out_time_off_and_the_edges() {
        let minute = 60_000_000;
        let windows = [Span { from: 0, until: 120 * minute }, Span { from: 180 * minute, until: 240 * minute }];
        let off = [Span { from: 30 * minute, until: 60 * minute }, Span { from: 45 * minute, until: 90 * minute }];
        assert_eq!(open_minutes(&windows, &off, 0, 1_000 * minute), 60 + 60);
        assert_eq!(open_minutes(&windows, &[], 200 * minute, 1_000 * minute), 40);
    }
}

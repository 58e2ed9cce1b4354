//! Bookings per day, this week beside last week, as an SVG drawn on the server: no chart
//! script, nothing fetched from elsewhere, readable by a screen reader (the numbers are in
//! its title and in a table beside it).

use steward_domain::human;

/// Width and height of the drawing (its `viewBox`); it scales to its box.
pub const WIDTH: u32 = 350;
pub const HEIGHT: u32 = 170;
/// The bars stand on this line and reach at most `PLOT` above it.
const BASE: u32 = 140;
const PLOT: u32 = 120;
const COLUMN: u32 = 50;
const BAR: u32 = 16;

/// One bar.
pub struct Bar {
    pub x: u32,
    pub y: u32,
    pub height: u32,
    pub value: u32,
}

/// One day's column: last week's bar, this week's, and the day's name under them.
pub struct DayColumn {
    pub name: &'static str,
    pub label_x: u32,
    pub last: Bar,
    pub this: Bar,
}

/// The drawing, ready for the template.
pub struct WeekChart {
    pub columns: Vec<DayColumn>,
    /// The largest count, written beside the top of the scale.
    pub top: u32,
    pub base: u32,
    pub label_y: u32,
    /// What the chart shows, in words, for its title.
    pub summary: String,
}

const DAYS: [&str; 7] = ["Mon", "Tue", "Wed", "Thu", "Fri", "Sat", "Sun"];

impl WeekChart {
    pub fn new(this_week: &[u32; 7], last_week: &[u32; 7]) -> Self {
        let top = this_week.iter().chain(last_week).copied().max().unwrap_or(0).max(1);
        let bar = |x: u32, value: u32| {
            let height = value * PLOT / top;
            Bar { x, y: BASE - height, height, value }
        };
        let columns = DAYS
            .iter()
            .enumerate()
            .map(|(i, name)| {
                let left = i as u32 * COLUMN;
                DayColumn {
                    name,
                    label_x: left + COLUMN / 2,
                    last: bar(left + 8, last_week[i]),
                    this: bar(left + 8 + BAR + 2, this_week[i]),
                }
            })
            .collect();
        let total = |week: &[u32; 7]| human::group_indian(u64::from(week.iter().sum::<u32>()));
        let summary = format!("Bookings per day: {} this week, {} last week", total(this_week), total(last_week));
        WeekChart { columns, top, base: BASE, label_y: BASE + 18, summary }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn bars_scale_to_the_busiest_day_and_stand_on_the_base() {
        let chart = WeekChart::new(&[4, 0, 2, 0, 0, 8, 1], &[2, 2, 2, 2, 2, 2, 0]);
        assert_eq!(chart.top, 8);
        let saturday = &chart.columns[5];
        assert_eq!((saturday.this.height, saturday.this.y), (PLOT, BASE - PLOT));
        assert_eq!(chart.columns[0].this.height, PLOT / 2);
        assert_eq!(chart.columns[1].this.height, 0);
        assert!(chart.columns.iter().all(|c| c.this.y + c.this.height == BASE && c.last.x + BAR < c.this.x + 1));
        assert_eq!(chart.summary, "Bookings per day: 15 this week, 12 last week");
        assert!(chart.columns.iter().all(|c| c.this.x + BAR <= WIDTH));
    }

    #[test]
    fn an_empty_fortnight_draws_flat_bars() {
        let chart = WeekChart::new(&[0; 7], &[0; 7]);
        assert!(chart.columns.iter().all(|c| c.this.height == 0 && c.last.height == 0));
    }
}

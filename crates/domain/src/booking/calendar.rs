//! The calendar's layout: one column (a staff member's day, or a day of the week) as a
//! grid of quarter hours. Each appointment spans the quarters it covers, side by side with
//! the ones it overlaps (lanes); each free quarter of working time that has not passed is
//! a place to book. Minutes are of the local day, 0 to 1440.

/// The grid's step, in minutes.
pub const QUARTER: i64 = 15;
/// Most lanes a column is drawn with; more overlapping appointments share the last.
pub const MOST_LANES: usize = 6;

/// An item placed on the grid: its first row (1 is the first quarter shown), how many rows
/// it covers and its lane (1 is the leftmost).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Placed<T> {
    pub item: T,
    pub row: usize,
    pub span: usize,
    pub lane: usize,
}

/// A quarter of working time nothing is booked in: its row and its first minute.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct FreeQuarter {
    pub row: usize,
    pub minute: i64,
}

/// One column, laid out.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Column<T> {
    pub lanes: usize,
    pub placed: Vec<Placed<T>>,
    pub free: Vec<FreeQuarter>,
}

/// The rows shown: from the earliest of the working hours and the appointments to the
/// latest, on whole hours, and at least `default` (such as 09:00-18:00) when there is
/// nothing to show. As (first minute, number of rows).
pub fn visible_range(spans: &[(i64, i64)], default: (i64, i64)) -> (i64, usize) {
    let first = spans.iter().map(|s| s.0).min().unwrap_or(default.0).clamp(0, 1440);
    let last = spans.iter().map(|s| s.1).max().unwrap_or(default.1).clamp(0, 1440);
    let first = (first / 60) * 60;
    let last = ((last + 59) / 60 * 60).max(first + 60).min(1440);
    (first, ((last - first) / QUARTER) as usize)
}

/// Lays out one column. `items` are (start minute, end minute, item), `open` the working
/// ranges, `(first, rows)` the visible range, and `not_before` the first minute a booking
/// may start (now, on today's column; `None` for a day in the future, and a past day
/// passes a minute past its end).
pub fn lay_out<T>(
    mut items: Vec<(i64, i64, T)>,
    open: &[(i64, i64)],
    (first, rows): (i64, usize),
    not_before: Option<i64>,
) -> Column<T> {
    let last = first + rows as i64 * QUARTER;
    items.sort_by_key(|(start, end, _)| (*start, *end));
    let mut lane_ends: Vec<i64> = Vec::new();
    let mut covered = vec![false; rows];
    let mut placed = Vec::with_capacity(items.len());
    for (start, end, item) in items {
        let (from, until) = (start.max(first), end.min(last).max(start.max(first) + 1));
        if from >= last {
            continue;
        }
        let row = ((from - first) / QUARTER) as usize;
        let end_row = (((until - first) + QUARTER - 1) / QUARTER).max(row as i64 + 1) as usize;
        let end_row = end_row.min(rows);
        let lane = match lane_ends.iter().position(|&lane_end| lane_end <= start) {
            Some(free_lane) => free_lane,
            None if lane_ends.len() < MOST_LANES => {
                lane_ends.push(i64::MIN);
                lane_ends.len() - 1
            }
            None => MOST_LANES - 1,
        };
        lane_ends[lane] = lane_ends[lane].max(end);
        for quarter in covered.iter_mut().take(end_row).skip(row) {
            *quarter = true;
        }
        placed.push(Placed { item, row: row + 1, span: end_row - row, lane: lane + 1 });
    }
    let free = (0..rows)
        .filter(|&q| !covered[q])
        .map(|q| FreeQuarter { row: q + 1, minute: first + q as i64 * QUARTER })
        .filter(|f| not_before.is_none_or(|now| f.minute >= now))
        .filter(|f| open.iter().any(|&(a, b)| f.minute >= a && f.minute + QUARTER <= b))
        .collect();
    Column { lanes: lane_ends.len().max(1), placed, free }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_range_covers_hours_and_appointments_on_whole_hours() {
        assert_eq!(visible_range(&[], (540, 1080)), (540, 36));
        assert_eq!(visible_range(&[(570, 1050), (500, 530)], (540, 1080)), (480, 40));
        assert_eq!(visible_range(&[(1380, 1440)], (540, 1080)), (1380, 4));
    }

    #[test]
    fn appointments_span_their_quarters_and_overlaps_take_lanes() {
        let items = vec![(600, 660, "a"), (630, 645, "b"), (660, 700, "c"), (605, 610, "d")];
        let column = lay_out(items, &[(540, 780)], (540, 16), None);
        let find = |name: &str| column.placed.iter().find(|p| p.item == name).unwrap().clone();
        assert_eq!((find("a").row, find("a").span, find("a").lane), (5, 4, 1));
        assert_eq!((find("d").row, find("d").span, find("d").lane), (5, 1, 2));
        assert_eq!((find("b").row, find("b").span, find("b").lane), (7, 1, 2));
        // 11:00-11:40 covers three quarters and goes back to the first lane.
        assert_eq!((find("c").row, find("c").span, find("c").lane), (9, 3, 1));
        assert_eq!(column.lanes, 2);
        let free: Vec<i64> = column.free.iter().map(|f| f.minute).collect();
        assert_eq!(free, vec![540, 555, 570, 585, 705, 720, 735, 750, 765]);
    }

    #[test]
    fn nothing_is_offered_outside_hours_or_before_now() {
        let column: Column<()> = lay_out(Vec::new(), &[(540, 600), (660, 720)], (540, 12), Some(555));
        let free: Vec<i64> = column.free.iter().map(|f| f.minute).collect();
        assert_eq!(free, vec![555, 570, 585, 660, 675, 690, 705]);
        assert_eq!(column.lanes, 1);
    }

    #[test]
    fn appointments_outside_the_range_are_clipped_or_left_out() {
        let column = lay_out(vec![(500, 560, 1), (900, 960, 2)], &[], (540, 8), None);
        assert_eq!(column.placed.len(), 1);
        assert_eq!((column.placed[0].row, column.placed[0].span), (1, 2));
    }
}

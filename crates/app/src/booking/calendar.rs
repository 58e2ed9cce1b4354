//! The calendar's working time: when each active staff member works on each day shown,
//! less their time off, as minutes of the business's local day. The calendar draws free
//! time from it, so a place to book is offered only where the staff member works.

use super::availability::{ScheduleRequest, schedules};
use crate::access::principal::Principal;
use crate::{App, AppError};
use jiff::ToSpan;
use jiff::civil::Date;
use std::collections::HashMap;
use steward_domain::booking::Span;
use steward_domain::booking::availability::{Location, working_windows};
use steward_domain::booking::local_time::{day_start, zoned};
use steward_domain::ids::StaffId;
use steward_domain::permissions::Permission;
use steward_domain::time::Timestamp;
use steward_store::TenantTx;
use steward_store::booking::setup as rows;

/// Working ranges `(start minute, end minute)` per staff member and local day.
pub type WorkingHours = HashMap<(StaffId, Date), Vec<(i64, i64)>>;

/// Each active staff member's working ranges on `days` days from `first`, in `zone`.
pub async fn working_hours(
    app: &App,
    who: &Principal,
    first: Date,
    days: i64,
    zone: &jiff::tz::TimeZone,
) -> Result<WorkingHours, AppError> {
    who.require(Permission::BookingsRead)?;
    let range = || AppError::invalid("date", "is out of range");
    let last = first.checked_add(days.days()).map_err(|_| range())?;
    let (Some(from), Some(until)) = (day_start(first, zone), day_start(last, zone)) else { return Err(range()) };
    let mut tx = app.store.begin_tenant_read(who.tenant).await?;
    let working =
        working_time(&mut tx, Timestamp::from_micros(from), Timestamp::from_micros(until), app.now_timestamp()).await?;
    tx.commit().await?;
    let mut hours = WorkingHours::new();
    for (staff, pieces) in working {
        for piece in pieces {
            for (date, start, end) in local_pieces(piece, zone) {
                hours.entry((staff, date)).or_default().push((start, end));
            }
        }
    }
    Ok(hours)
}

/// Each active staff member's working time in `[from, until)`: their working windows less
/// their time off, as instants. What the calendar offers to book and the Today page counts
/// as staff time, read the way availability reads it.
pub(crate) async fn working_time(
    tx: &mut TenantTx,
    from: Timestamp,
    until: Timestamp,
    now: Timestamp,
) -> Result<Vec<(StaffId, Vec<Span>)>, AppError> {
    let staff: Vec<rows::StaffRow> = rows::staff_list(tx).await?.into_iter().filter(|s| s.active).collect();
    let locations: Vec<Location> = rows::locations(tx)
        .await?
        .iter()
        .filter_map(|l| jiff::tz::TimeZone::get(&l.time_zone).ok().map(|zone| Location { id: l.id.0, zone }))
        .collect();
    let request = ScheduleRequest { staff: &staff, from, until, now, moving: None, mine: None };
    let mut working = Vec::new();
    for schedule in schedules(tx, None, &request).await? {
        let pieces = working_windows(&schedule, &locations, from.as_micros(), until.as_micros())
            .into_iter()
            .flat_map(|(window, _)| without(window, &schedule.time_off))
            .collect();
        working.push((StaffId(schedule.staff), pieces));
    }
    Ok(working)
}

/// `window` less the parts `off` covers.
fn without(window: Span, off: &[Span]) -> Vec<Span> {
    let mut cuts: Vec<Span> = off.iter().filter(|o| o.until > window.from && o.from < window.until).copied().collect();
    cuts.sort();
    let mut pieces = Vec::new();
    let mut at = window.from;
    for cut in cuts {
        if cut.from > at {
            pieces.push(Span { from: at, until: cut.from.min(window.until) });
        }
        at = at.max(cut.until);
    }
    if at < window.until {
        pieces.push(Span { from: at, until: window.until });
    }
    pieces
}

/// A span as local (day, start minute, end minute), split at midnight.
fn local_pieces(span: Span, zone: &jiff::tz::TimeZone) -> Vec<(Date, i64, i64)> {
    let minute_of = |z: &jiff::Zoned| i64::from(z.hour()) * 60 + i64::from(z.minute());
    let (Some(start), Some(end)) = (zoned(span.from, zone), zoned(span.until, zone)) else { return Vec::new() };
    if start.date() == end.date() {
        return vec![(start.date(), minute_of(&start), minute_of(&end))];
    }
    let mut pieces = vec![(start.date(), minute_of(&start), 1440)];
    if minute_of(&end) > 0 {
        pieces.push((end.date(), 0, minute_of(&end)));
    }
    pieces
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn time_off_is_cut_out_of_a_window() {
        let window = Span { from: 0, until: 100 };
        let off = [Span { from: 20, until: 30 }, Span { from: 25, until: 40 }, Span { from: 90, until: 200 }];
        assert_eq!(without(window, &off), vec![Span { from: 0, until: 20 }, Span { from: 40, until: 90 }]);
        assert_eq!(without(window, &[]), vec![window]);
    }

    #[test]
    fn a_span_over_midnight_is_two_local_pieces() {
        let zone = jiff::tz::TimeZone::get("Asia/Kolkata").unwrap();
        // 2026-06-01 17:30 UTC is 23:00 in Kolkata; two hours later is 01:00 the next day.
        let start = jiff::civil::date(2026, 6, 1).at(17, 30, 0, 0).to_zoned(jiff::tz::TimeZone::UTC).unwrap();
        let from = start.timestamp().as_microsecond();
        let pieces = local_pieces(Span { from, until: from + 2 * 3_600_000_000 }, &zone);
        assert_eq!(pieces, vec![(jiff::civil::date(2026, 6, 1), 1380, 1440), (jiff::civil::date(2026, 6, 2), 0, 60)]);
    }
}

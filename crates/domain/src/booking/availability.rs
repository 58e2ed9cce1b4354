//! Availability: the free start times of a service, computed from working hours in each
//! location's own time zone, date overrides, time off, existing appointments widened by
//! their buffers, the service's own buffers, interval, minimum notice and horizon.
//!
//! A pure function of its inputs, so it is property-tested against random schedules and
//! runs in microseconds per staff member: the store loads, this decides.

use super::{MICROS_PER_MINUTE, ServiceTiming, Span, WeeklyRange};
use jiff::ToSpan;
use jiff::civil::{Date, Time};
use jiff::tz::TimeZone;
use uuid::Uuid;

use crate::micros::MICROS_PER_DAY;

/// A place where services happen, with the zone its working hours are written in.
#[derive(Debug, Clone)]
pub struct Location {
    pub id: Uuid,
    pub zone: TimeZone,
}

/// A date whose hours replace the weekly ones; no ranges means a day off.
#[derive(Debug, Clone)]
pub struct DateOverride {
    pub date: Date,
    pub ranges: Vec<(Uuid, i64, i64)>,
}

/// What availability needs to know about one staff member.
#[derive(Debug, Clone, Default)]
pub struct StaffSchedule {
    pub staff: Uuid,
    pub weekly: Vec<WeeklyRange<Uuid>>,
    pub overrides: Vec<DateOverride>,
    /// Appointments (already widened by their own buffers) and slots held by others.
    pub booked: Vec<Span>,
    pub time_off: Vec<Span>,
}

/// What is asked: a service's timing, the locations it is offered at (already narrowed
/// to the one the customer chose, if any), the window of start times, and now.
#[derive(Debug, Clone)]
pub struct Query<'a> {
    pub timing: ServiceTiming,
    pub locations: &'a [Location],
    pub from: i64,
    pub until: i64,
    pub now: i64,
}

impl Query<'_> {
    fn earliest(&self) -> i64 {
        self.from.max(self.now + self.timing.min_notice_minutes * MICROS_PER_MINUTE)
    }

    fn latest(&self) -> i64 {
        self.until.min(self.now + self.timing.horizon_days * MICROS_PER_DAY)
    }
}

/// One free start time.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Slot {
    pub start: i64,
    pub staff: Uuid,
    pub location: Uuid,
}

/// Why a start time cannot be booked.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Refusal {
    BeforeNotice,
    BeyondHorizon,
    OutsideHours,
    TimeOff,
    Taken,
}

impl Refusal {
    pub fn message(self) -> &'static str {
        match self {
            Refusal::BeforeNotice => "is too soon: the service needs more notice (or the time has passed)",
            Refusal::BeyondHorizon => "is further ahead than this service can be booked",
            Refusal::OutsideHours => "is outside the staff member's working hours for this service and location",
            Refusal::TimeOff => "falls in the staff member's time off",
            Refusal::Taken => "is already taken",
        }
    }
}

/// Local times already turned into instants, shared by the staff members of one request:
/// most of them work the same hours at the same places, and a time-zone lookup costs more
/// than everything else about a slot.
#[derive(Default)]
pub struct LocalTimes(std::collections::HashMap<(Uuid, Date, i64), Option<i64>>);

impl LocalTimes {
    fn at(&mut self, location: &Location, date: Date, minute: i64) -> Option<i64> {
        *self.0.entry((location.id, date, minute)).or_insert_with(|| local_minute(date, minute, &location.zone))
    }
}

/// The working windows of a staff member that touch `[from, until)`, at the given
/// locations, as instants with their location.
pub fn working_windows(staff: &StaffSchedule, locations: &[Location], from: i64, until: i64) -> Vec<(Span, Uuid)> {
    working_windows_with(staff, locations, from, until, &mut LocalTimes::default())
}

fn working_windows_with(
    staff: &StaffSchedule,
    locations: &[Location],
    from: i64,
    until: i64,
    times: &mut LocalTimes,
) -> Vec<(Span, Uuid)> {
    let mut windows = Vec::new();
    let (Some(first), Some(last)) = (utc_date(from), utc_date(until)) else { return windows };
    // Local dates differ from UTC ones by at most a day either way.
    let (Ok(mut date), Ok(last)) = (first.checked_sub(1.day()), last.checked_add(1.day())) else { return windows };
    while date <= last {
        let ranges: Vec<(Uuid, i64, i64)> = match staff.overrides.iter().find(|o| o.date == date) {
            Some(o) => o.ranges.clone(),
            None => {
                let weekday = date.weekday().to_monday_one_offset();
                staff
                    .weekly
                    .iter()
                    .filter(|r| r.weekday == weekday)
                    .map(|r| (r.location, r.start_minute, r.end_minute))
                    .collect()
            }
        };
        for (location, start, end) in ranges {
            let Some(place) = locations.iter().find(|l| l.id == location) else { continue };
            let (Some(open), Some(close)) = (times.at(place, date, start), times.at(place, date, end)) else {
                continue;
            };
            if close > open && close > from && open < until {
                windows.push((Span { from: open, until: close }, location));
            }
        }
        match date.checked_add(1.day()) {
            Ok(next) => date = next,
            Err(_) => break,
        }
    }
    windows.sort_by_key(|(span, _)| span.from);
    windows
}

/// Free start times of one staff member, earliest first.
pub fn free_slots(query: &Query, staff: &StaffSchedule) -> Vec<Slot> {
    free_slots_with(query, staff, &mut LocalTimes::default())
}

fn free_slots_with(query: &Query, staff: &StaffSchedule, times: &mut LocalTimes) -> Vec<Slot> {
    let busy = merged(staff.booked.iter().chain(staff.time_off.iter()).copied());
    // Starts only move forward, so the first busy span that could still matter does too.
    let mut next_busy: usize = 0;
    let earliest = query.earliest();
    let latest = query.latest();
    let step = query.timing.slot_interval_minutes.max(1) * MICROS_PER_MINUTE;
    let length = query.timing.duration_minutes * MICROS_PER_MINUTE;
    let mut slots = Vec::new();
    for (window, location) in working_windows_with(staff, query.locations, query.from, query.until, times) {
        let mut start = window.from;
        if start < earliest {
            // Jump to the first step on or after the earliest start, keeping the grid.
            start += (earliest - start + step - 1) / step * step;
        }
        while start + length <= window.until && start < latest {
            let wanted = query.timing.blocked(start);
            if busy.get(next_busy.wrapping_sub(1)).is_some_and(|b| b.until > wanted.from) {
                // Windows that overlap (hours at two places on one day) step back in time.
                next_busy = busy.partition_point(|b| b.until <= wanted.from);
            }
            while busy.get(next_busy).is_some_and(|b| b.until <= wanted.from) {
                next_busy += 1;
            }
            if busy.get(next_busy).is_none_or(|b| b.from >= wanted.until) {
                slots.push(Slot { start, staff: staff.staff, location });
            }
            start += step;
        }
    }
    slots
}

/// For "anyone": one slot per start time, given to the eligible staff member with the
/// fewest appointments that day (then the first in the given order), spreading the load.
pub fn free_slots_for_anyone(query: &Query, staff: &[StaffSchedule]) -> Vec<Slot> {
    let mut best: std::collections::HashMap<i64, (usize, usize, Slot), std::hash::BuildHasherDefault<InstantHasher>> =
        std::collections::HashMap::default();
    let mut times = LocalTimes::default();
    for (order, schedule) in staff.iter().enumerate() {
        // The load of the UTC day of the last slot, reused while the day stays the same.
        let mut day_load: Option<(i64, usize)> = None;
        for slot in free_slots_with(query, schedule, &mut times) {
            let day = slot.start - slot.start.rem_euclid(MICROS_PER_DAY);
            let load = match day_load {
                Some((d, load)) if d == day => load,
                _ => {
                    let load = load_on_day(schedule, slot.start);
                    day_load = Some((day, load));
                    load
                }
            };
            let candidate = (load, order, slot);
            best.entry(slot.start)
                .and_modify(|current| {
                    if (load, order) < (current.0, current.1) {
                        *current = candidate;
                    }
                })
                .or_insert(candidate);
        }
    }
    let mut slots: Vec<Slot> = best.into_values().map(|(.., slot)| slot).collect();
    slots.sort_unstable_by_key(|s| s.start);
    slots
}

/// How many appointments a staff member has on the UTC day of `at`: what "anyone" balances.
pub fn load_on_day(schedule: &StaffSchedule, at: i64) -> usize {
    let day = at - at.rem_euclid(MICROS_PER_DAY);
    schedule.booked.iter().filter(|b| b.from >= day && b.from < day + MICROS_PER_DAY).count()
}

/// Hashes an instant in one multiplication: start times are already well spread, and
/// this map is filled tens of thousands of times per request.
#[derive(Default)]
pub struct InstantHasher(u64);

impl std::hash::Hasher for InstantHasher {
    fn finish(&self) -> u64 {
        self.0
    }

    fn write(&mut self, bytes: &[u8]) {
        for byte in bytes {
            self.0 = (self.0 ^ u64::from(*byte)).wrapping_mul(0x0100_0000_01b3);
        }
    }

    fn write_i64(&mut self, value: i64) {
        self.0 = (value as u64).wrapping_mul(0x9E37_79B9_7F4A_7C15).rotate_left(29);
    }
}

/// Whether `start` can be booked with this staff member, and at which location; says
/// why not otherwise. The same rules as [`free_slots`], except that the start need not
/// lie on the interval grid (a receptionist may book 10:05).
pub fn check_start(query: &Query, staff: &StaffSchedule, start: i64) -> Result<Uuid, Refusal> {
    if start < query.now + query.timing.min_notice_minutes * MICROS_PER_MINUTE {
        return Err(Refusal::BeforeNotice);
    }
    if start > query.now + query.timing.horizon_days * MICROS_PER_DAY {
        return Err(Refusal::BeyondHorizon);
    }
    let booking = Span { from: start, until: query.timing.end(start) };
    let location = working_windows(staff, query.locations, start - MICROS_PER_DAY, start + MICROS_PER_DAY)
        .into_iter()
        .find(|(window, _)| window.contains(booking))
        .map(|(_, location)| location)
        .ok_or(Refusal::OutsideHours)?;
    let blocked = query.timing.blocked(start);
    if is_busy(&merged(staff.time_off.iter().copied()), blocked) {
        return Err(Refusal::TimeOff);
    }
    if is_busy(&merged(staff.booked.iter().copied()), blocked) {
        return Err(Refusal::Taken);
    }
    Ok(location)
}

fn utc_date(micros: i64) -> Option<Date> {
    jiff::Timestamp::from_microsecond(micros).ok().map(|t| t.to_zoned(TimeZone::UTC).date())
}

/// The instant of `minute` minutes after the start of a local day; a time the clocks skip
/// is read as the moment they resume, so a shift starting in a gap starts when the day does.
fn local_minute(date: Date, minute: i64, zone: &TimeZone) -> Option<i64> {
    let (date, minute) =
        if minute >= 24 * 60 { (date.checked_add(1.day()).ok()?, minute - 24 * 60) } else { (date, minute) };
    let time = Time::new((minute / 60) as i8, (minute % 60) as i8, 0, 0).ok()?;
    zone.to_ambiguous_zoned(date.to_datetime(time)).compatible().ok().map(|z| z.timestamp().as_microsecond())
}

/// Sorted, disjoint spans.
fn merged(spans: impl Iterator<Item = Span>) -> Vec<Span> {
    let mut all: Vec<Span> = spans.filter(|s| s.until > s.from).collect();
    all.sort_unstable();
    let mut out: Vec<Span> = Vec::with_capacity(all.len());
    for span in all {
        match out.last_mut() {
            Some(last) if span.from <= last.until => last.until = last.until.max(span.until),
            _ => out.push(span),
        }
    }
    out
}

fn is_busy(merged: &[Span], wanted: Span) -> bool {
    let i = merged.partition_point(|s| s.until <= wanted.from);
    merged.get(i).is_some_and(|s| s.from < wanted.until)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::booking::local_time::{local_instant, zone};
    use proptest::prelude::*;

    fn timing(duration: i64, before: i64, after: i64, interval: i64) -> ServiceTiming {
        ServiceTiming {
            duration_minutes: duration,
            buffer_before_minutes: before,
            buffer_after_minutes: after,
            slot_interval_minutes: interval,
            min_notice_minutes: 0,
            horizon_days: 365,
        }
    }

    fn at(text: &str, zone_name: &str) -> i64 {
        local_instant("t", text.parse().unwrap(), &zone(zone_name, zone_name).unwrap()).unwrap()
    }

    fn every_day(location: Uuid, start: i64, end: i64) -> Vec<WeeklyRange<Uuid>> {
        (1..=7).map(|weekday| WeeklyRange { weekday, location, start_minute: start, end_minute: end }).collect()
    }

    fn local_times(slots: &[Slot], zone_name: &str) -> Vec<String> {
        let tz = zone(zone_name, zone_name).unwrap();
        slots.iter().map(|s| crate::booking::local_time::format_in(s.start, &tz)[11..16].to_string()).collect()
    }

    #[test]
    fn hours_stay_on_the_wall_clock_across_new_york_spring_forward() {
        let place = Location { id: Uuid::from_u128(1), zone: zone("tz", "America/New_York").unwrap() };
        let staff =
            StaffSchedule { staff: Uuid::from_u128(9), weekly: every_day(place.id, 60, 240), ..Default::default() };
        let locations = [place];
        let query = Query {
            timing: timing(60, 0, 0, 60),
            locations: &locations,
            from: at("2026-03-08T00:00", "America/New_York"),
            until: at("2026-03-09T00:00", "America/New_York"),
            now: at("2026-01-01T00:00", "UTC"),
        };
        // 01:00 to 04:00 local on the day 02:00 does not exist: two real hours, 01:00 and 03:00.
        assert_eq!(local_times(&free_slots(&query, &staff), "America/New_York"), vec!["01:00", "03:00"]);
    }

    #[test]
    fn hours_stay_on_the_wall_clock_across_new_york_fall_back() {
        let place = Location { id: Uuid::from_u128(1), zone: zone("tz", "America/New_York").unwrap() };
        let staff =
            StaffSchedule { staff: Uuid::from_u128(9), weekly: every_day(place.id, 0, 180), ..Default::default() };
        let locations = [place];
        let query = Query {
            timing: timing(60, 0, 0, 60),
            locations: &locations,
            from: at("2026-11-01T00:00", "America/New_York"),
            until: at("2026-11-01T12:00", "America/New_York"),
            now: at("2026-01-01T00:00", "UTC"),
        };
        // 00:00 to 03:00 local when 01:00 happens twice: four real hours.
        assert_eq!(
            local_times(&free_slots(&query, &staff), "America/New_York"),
            vec!["00:00", "01:00", "01:00", "02:00"]
        );
    }

    #[test]
    fn london_and_kolkata_hours_are_read_in_their_own_zones() {
        let london = Location { id: Uuid::from_u128(1), zone: zone("tz", "Europe/London").unwrap() };
        let kolkata = Location { id: Uuid::from_u128(2), zone: zone("tz", "Asia/Kolkata").unwrap() };
        // The London summer-time change on 2026-03-29: 09:00 local is 08:00 UTC after it.
        let mut weekly = every_day(london.id, 9 * 60, 10 * 60);
        weekly.retain(|r| r.weekday != 1);
        weekly.push(WeeklyRange {
            weekday: 1,
            location: kolkata.id,
            start_minute: 9 * 60 + 30,
            end_minute: 10 * 60 + 30,
        });
        let staff = StaffSchedule { staff: Uuid::from_u128(9), weekly, ..Default::default() };
        let locations = [london, kolkata];
        let query = Query {
            timing: timing(60, 0, 0, 60),
            locations: &locations,
            from: at("2026-03-28T00:00", "UTC"),
            until: at("2026-03-31T00:00", "UTC"),
            now: at("2026-01-01T00:00", "UTC"),
        };
        let utc = local_times(&free_slots(&query, &staff), "UTC");
        // Saturday 09:00 GMT, Sunday 09:00 BST, Monday 09:30 IST.
        assert_eq!(utc, vec!["09:00", "08:00", "04:00"]);
    }

    #[test]
    fn buffers_notice_horizon_and_overrides() {
        let place = Location { id: Uuid::from_u128(1), zone: TimeZone::UTC };
        let day = at("2026-06-01T00:00", "UTC");
        let hour = 60 * MICROS_PER_MINUTE;
        let mut staff = StaffSchedule {
            staff: Uuid::from_u128(9),
            weekly: every_day(place.id, 9 * 60, 13 * 60),
            ..Default::default()
        };
        // An appointment 11:00-12:00 with a 15-minute buffer after it.
        staff.booked.push(Span { from: day + 11 * hour, until: day + 12 * hour + 15 * MICROS_PER_MINUTE });
        let locations = [place.clone()];
        let mut query = Query {
            timing: timing(60, 15, 0, 30),
            locations: &locations,
            from: day,
            until: day + 24 * hour,
            now: at("2026-01-01T00:00", "UTC"),
        };
        // 10:00 ends as the appointment starts; 10:30 to 12:00 overlap it or its buffer;
        // 12:30 would run past closing.
        assert_eq!(local_times(&free_slots(&query, &staff), "UTC"), vec!["09:00", "09:30", "10:00"]);
        query.now = day + 9 * hour + 10 * MICROS_PER_MINUTE;
        assert_eq!(local_times(&free_slots(&query, &staff), "UTC"), vec!["09:30", "10:00"]);
        query.now = at("2026-01-01T00:00", "UTC");
        staff.overrides.push(DateOverride { date: "2026-06-01".parse().unwrap(), ranges: vec![] });
        assert!(free_slots(&query, &staff).is_empty());
        assert_eq!(check_start(&query, &staff, day + 9 * hour), Err(Refusal::OutsideHours));
    }

    #[test]
    fn anyone_spreads_the_load() {
        let place = Location { id: Uuid::from_u128(1), zone: TimeZone::UTC };
        let day = at("2026-06-01T00:00", "UTC");
        let hour = 60 * MICROS_PER_MINUTE;
        let busy = StaffSchedule {
            staff: Uuid::from_u128(1),
            weekly: every_day(place.id, 9 * 60, 17 * 60),
            booked: vec![Span { from: day + 16 * hour, until: day + 17 * hour }],
            ..Default::default()
        };
        let idle = StaffSchedule {
            staff: Uuid::from_u128(2),
            weekly: every_day(place.id, 9 * 60, 17 * 60),
            ..Default::default()
        };
        let locations = [place];
        let query = Query {
            timing: timing(60, 0, 0, 60),
            locations: &locations,
            from: day,
            until: day + 24 * hour,
            now: at("2026-01-01T00:00", "UTC"),
        };
        let slots = free_slots_for_anyone(&query, &[busy, idle]);
        assert_eq!(slots.len(), 8);
        assert!(slots.iter().all(|s| s.staff == Uuid::from_u128(2)));
    }

    proptest! {
        #![proptest_config(ProptestConfig::with_cases(300))]
        /// No returned slot overlaps a buffered appointment or time off, lies outside the
        /// working hours, or starts before the minimum notice or after the horizon.
        #[test]
        fn no_slot_breaks_a_rule(
            zone_index in 0usize..4,
            hours in proptest::collection::vec((1i8..=7, 0i64..1380, 15i64..600), 1..8),
            appointments in proptest::collection::vec((0i64..14 * 24 * 60, 5i64..240), 0..40),
            time_off in proptest::collection::vec((0i64..14 * 24 * 60, 30i64..3000), 0..4),
            duration in 5i64..180, before in 0i64..30, after in 0i64..30, interval in 5i64..90,
            notice in 0i64..3000, horizon in 1i64..10, now_offset in 0i64..5 * 24 * 60,
        ) {
            let zones = ["America/New_York", "Europe/London", "Asia/Kolkata", "UTC"];
            let place = Location { id: Uuid::from_u128(1), zone: zone("tz", zones[zone_index]).unwrap() };
            let base = at("2026-03-01T00:00", "UTC");
            let minute = MICROS_PER_MINUTE;
            let mut weekly: Vec<WeeklyRange<Uuid>> = Vec::new();
            for (weekday, start, length) in hours {
                let end = (start + length).min(1440);
                if weekly.iter().any(|r| r.weekday == weekday && r.start_minute < end && start < r.end_minute) { continue; }
                weekly.push(WeeklyRange { weekday, location: place.id, start_minute: start, end_minute: end });
            }
            let staff = StaffSchedule {
                staff: Uuid::from_u128(7),
                weekly,
                overrides: vec![],
                booked: appointments.iter().map(|(s, l)| Span { from: base + s * minute, until: base + (s + l) * minute }).collect(),
                time_off: time_off.iter().map(|(s, l)| Span { from: base + s * minute, until: base + (s + l) * minute }).collect(),
            };
            let locations = [place];
            let t = ServiceTiming { duration_minutes: duration, buffer_before_minutes: before, buffer_after_minutes: after,
                slot_interval_minutes: interval, min_notice_minutes: notice, horizon_days: horizon };
            let query = Query { timing: t, locations: &locations, from: base, until: base + 14 * MICROS_PER_DAY, now: base + now_offset * minute };
            let windows = working_windows(&staff, &locations, base - MICROS_PER_DAY, base + 15 * MICROS_PER_DAY);
            for slot in free_slots(&query, &staff) {
                let blocked = t.blocked(slot.start);
                let booking = Span { from: slot.start, until: t.end(slot.start) };
                prop_assert!(staff.booked.iter().all(|b| !b.overlaps(blocked)), "overlaps an appointment");
                prop_assert!(staff.time_off.iter().all(|b| !b.overlaps(blocked)), "overlaps time off");
                prop_assert!(windows.iter().any(|(w, _)| w.contains(booking)), "outside working hours");
                prop_assert!(slot.start >= query.now + notice * minute, "before the minimum notice");
                prop_assert!(slot.start <= query.now + horizon * MICROS_PER_DAY, "beyond the horizon");
                prop_assert_eq!(check_start(&query, &staff, slot.start), Ok(place_id()));
            }
        }
    }

    fn place_id() -> Uuid {
        Uuid::from_u128(1)
    }
}

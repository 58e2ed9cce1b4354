//! What a business owner sees first: today's appointments, the free time left today, this
//! week against last (bookings, new and returning customers, no-shows, how full the staff's
//! hours were), messages sent and failed, and what needs attention. Read in one
//! transaction; the counting is the domain's (`steward_domain::reports`).

use crate::access::principal::Principal;
use crate::booking::appointments::{AppointmentView, view};
use crate::{App, AppError};
use jiff::ToSpan;
use jiff::civil::Date;
use std::collections::HashSet;
use steward_domain::booking::Span;
use steward_domain::booking::Status;
use steward_domain::booking::local_time::{day_start, zone, zoned};
use steward_domain::ids::CustomerId;
use steward_domain::permissions::Permission;
use steward_domain::reports::{Counted, WeekFigures, open_minutes};
use steward_domain::time::Timestamp;
use steward_store::TenantTx;
use steward_store::booking::appointments as rows;
use steward_store::booking::setup as setup_rows;

/// Most appointments a fortnight's figures read; a business past it sees the figures of
/// the first ones (a salon books a few hundred a week).
const FORTNIGHT_LIMIT: i64 = 20_000;

/// One week, Monday first, in the business's zone.
#[derive(Debug, Clone)]
pub struct Week {
    pub first_day: Date,
    pub figures: WeekFigures,
}

/// Something the owner should look at, with where to go.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Attention {
    /// Open privacy requests; how many are past their legal due date.
    PrivacyRequests { open: i64, overdue: i64 },
    /// No channel can send confirmations and reminders.
    NoChannel,
    /// Messages that failed this week.
    FailedMessages(i64),
}

/// A step of a new business's set-up, as the Today page lists it until all are done.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SetupStep {
    Services,
    StaffHours,
    Customers,
    Channel,
    OnlineBooking,
}

/// The dashboard's figures.
#[derive(Debug, Clone)]
pub struct Dashboard {
    pub today: Date,
    pub appointments_today: Vec<AppointmentView>,
    /// Working minutes left today that nothing is booked in, over all staff.
    pub free_minutes_left_today: i64,
    pub this_week: Week,
    pub last_week: Week,
    /// Messages whose last attempt fell in this week: taken by a provider, failed.
    pub messages_sent: i64,
    pub messages_failed: i64,
    pub attention: Vec<Attention>,
    /// For members who set the business up: each step and whether it is done.
    pub setup: Vec<(SetupStep, bool)>,
}

/// The dashboard, for members who see the calendar.
pub async fn dashboard(app: &App, who: &Principal) -> Result<Dashboard, AppError> {
    who.require(Permission::BookingsRead)?;
    let now = app.now();
    let mut tx = app.store.begin_tenant_read(who.tenant).await?;
    let tenant = steward_store::tenancy::tenants::current(&mut tx).await?;
    let tz = zone("time_zone", &tenant.time_zone)?;
    let clock = || AppError::Internal("clock out of range".into());
    let today = zoned(now, &tz).map(|z| z.date()).ok_or_else(clock)?;
    let monday = today.checked_sub(i64::from(today.weekday().to_monday_zero_offset()).days()).map_err(|_| clock())?;
    let last_monday = monday.checked_sub(7.days()).map_err(|_| clock())?;
    let starts = |date: Date| day_start(date, &tz).map(Timestamp::from_micros).ok_or_else(clock);
    let (last_from, this_from) = (starts(last_monday)?, starts(monday)?);
    let this_until = starts(monday.checked_add(7.days()).map_err(|_| clock())?)?;
    let (today_from, today_until) = (starts(today)?, starts(today.tomorrow().map_err(|_| clock())?)?);

    let fortnight = rows::in_range(&mut tx, last_from, this_until, None, None, FORTNIGHT_LIMIT).await?;
    let (last_rows, this_rows): (Vec<_>, Vec<_>) = fortnight.iter().partition(|a| a.starts_at < this_from);
    let counted = |list: &[&rows::AppointmentRow]| -> Vec<Counted> {
        list.iter()
            .map(|a| Counted {
                weekday: zoned(a.starts_at.as_micros(), &tz)
                    .map(|z| usize::from(z.weekday().to_monday_zero_offset() as u8))
                    .unwrap_or(0),
                status: a.status,
                minutes: (a.ends_at.as_micros() - a.starts_at.as_micros()) / 60_000_000,
                customer: a.customer_id.0,
            })
            .collect()
    };
    let seen_before = |list: &[&rows::AppointmentRow]| -> Vec<CustomerId> {
        let mut ids: Vec<CustomerId> = list.iter().map(|a| a.customer_id).collect();
        ids.sort_unstable_by_key(|id| id.0);
        ids.dedup();
        ids
    };
    let last_seen: HashSet<uuid::Uuid> =
        rows::seen_before(&mut tx, &seen_before(&last_rows), last_from).await?.into_iter().map(|c| c.0).collect();
    let this_seen: HashSet<uuid::Uuid> =
        rows::seen_before(&mut tx, &seen_before(&this_rows), this_from).await?.into_iter().map(|c| c.0).collect();

    let working = WorkingTime::read(&mut tx, last_from, this_until, Timestamp::from_micros(now)).await?;
    let last_week = Week {
        first_day: last_monday,
        figures: WeekFigures::count(&counted(&last_rows), &last_seen, working.minutes(last_from, this_from)),
    };
    let this_week = Week {
        first_day: monday,
        figures: WeekFigures::count(&counted(&this_rows), &this_seen, working.minutes(this_from, this_until)),
    };

    let left_from = Timestamp::from_micros(now.max(today_from.as_micros()));
    let booked_left: i64 = this_rows
        .iter()
        .filter(|a| !matches!(a.status, Status::Cancelled | Status::NoShow | Status::Completed))
        .map(|a| {
            let start = a.starts_at.as_micros().max(left_from.as_micros());
            let end = a.ends_at.as_micros().min(today_until.as_micros());
            (end - start).max(0) / 60_000_000
        })
        .sum();
    let free_minutes_left_today = (working.minutes(left_from, today_until) - booked_left).max(0);
    let appointments_today: Vec<AppointmentView> =
        this_rows.iter().filter(|a| a.starts_at >= today_from && a.starts_at < today_until).map(|a| view(a)).collect();

    let (messages_sent, messages_failed) =
        steward_store::messaging::outbox::outcomes_between(&mut tx, this_from.as_micros(), now + 1).await?;
    let mut attention = Vec::new();
    if who.has(Permission::PrivacyManage) {
        let (open, overdue) = steward_store::privacy::requests::open_counts(&mut tx, now).await?;
        if open > 0 {
            attention.push(Attention::PrivacyRequests { open, overdue });
        }
    }
    let stored = steward_store::messaging::settings::channels(&mut tx).await?;
    let can_send = !crate::messaging::settings::ready_channels(app, &stored).is_empty();
    if !can_send {
        attention.push(Attention::NoChannel);
    }
    if messages_failed > 0 {
        attention.push(Attention::FailedMessages(messages_failed));
    }
    let setup = if who.has(Permission::TenantManage) {
        let services = setup_rows::services(&mut tx).await?.iter().any(|s| s.active);
        let hours = !setup_rows::hours(&mut tx, None).await?.is_empty();
        let customers = steward_store::customers::records::any(&mut tx).await?;
        // The booking page counts as shared once a customer has booked on it lately.
        let online = fortnight.iter().any(|a| a.booked_via == "online");
        vec![
            (SetupStep::Services, services),
            (SetupStep::StaffHours, hours),
            (SetupStep::Customers, customers),
            (SetupStep::Channel, can_send),
            (SetupStep::OnlineBooking, online),
        ]
    } else {
        Vec::new()
    };
    tx.commit().await?;
    Ok(Dashboard {
        today,
        appointments_today,
        free_minutes_left_today,
        this_week,
        last_week,
        messages_sent,
        messages_failed,
        attention,
        setup,
    })
}

/// Every active staff member's working time (less time off) over a stretch.
struct WorkingTime(Vec<(steward_domain::ids::StaffId, Vec<Span>)>);

impl WorkingTime {
    async fn read(tx: &mut TenantTx, from: Timestamp, until: Timestamp, now: Timestamp) -> Result<Self, AppError> {
        Ok(WorkingTime(crate::booking::calendar::working_time(tx, from, until, now).await?))
    }

    fn minutes(&self, from: Timestamp, until: Timestamp) -> i64 {
        self.0.iter().map(|(_, pieces)| open_minutes(pieces, &[], from.as_micros(), until.as_micros())).sum()
    }
}

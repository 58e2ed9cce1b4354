//! Today: the first page after signing in. For members who see the calendar, today's
//! appointments with check-in, the free time left, this week against last with a chart,
//! messages sent and failed, and what needs attention; for everyone, where to go next.

use super::week_chart::{self, WeekChart};
use crate::AppState;
use crate::extract::Auth;
use crate::pages::{Chrome, NoticeQuery, PageResult, render};
use askama::Template;
use axum::extract::{Query, State};
use axum::http::StatusCode;
use steward_app::booking::appointments::AppointmentView;
use steward_app::reports::{self, Attention, Dashboard, SetupStep};
use steward_domain::booking::Status;
use steward_domain::human;
use steward_domain::permissions::Permission;
use steward_domain::reports::{Change, WeekFigures};

/// One figure of the week, beside last week's.
pub struct Figure {
    pub label: &'static str,
    pub value: String,
    pub last_week: String,
    /// "+3", "−2", "same"; empty where a change in points would mislead (no figures yet).
    pub change: String,
}

/// One thing to look at, in words, with where to go.
pub struct AttentionItem {
    pub text: String,
    pub href: &'static str,
}

/// One step of setting the business up, in words, with where to do it.
pub struct SetupItem {
    pub text: &'static str,
    pub href: String,
    pub done: bool,
}

/// What the figures part of the page shows.
pub struct Figures {
    pub today_heading: String,
    pub appointments: Vec<AppointmentView>,
    pub free_left: String,
    pub week_heading: String,
    pub figures: Vec<Figure>,
    pub chart: WeekChart,
    pub messages_sent: String,
    pub messages_failed: String,
    pub attention: Vec<AttentionItem>,
    pub can_manage: bool,
    /// The set-up checklist, while a step is left; empty once all are done.
    pub setup: Vec<SetupItem>,
    pub setup_done: usize,
}

#[derive(Template)]
#[template(path = "reports/today.html")]
pub struct TodayPage {
    pub chrome: Chrome,
    pub business: String,
    pub member_name: String,
    pub email_verified: bool,
    pub figures: Option<Figures>,
    pub chart_width: u32,
    pub chart_height: u32,
    /// Right after a status change from the list: the appointment and the status it came
    /// from (name, label), for the Undo button.
    pub undo: Option<(String, &'static str, &'static str)>,
}

impl TodayPage {
    /// The status changes a receptionist makes from today's list, as (status, label).
    pub fn next_steps(&self, appointment: &AppointmentView) -> &'static [(&'static str, &'static str)] {
        match appointment.status {
            Status::Booked | Status::Confirmed => &[("arrived", "Arrived"), ("no_show", "No-show")],
            Status::Arrived => &[("completed", "Done")],
            _ => &[],
        }
    }
}

fn count(n: u32) -> String {
    human::group_indian(u64::from(n))
}

fn percent(value: Option<u32>) -> String {
    value.map(|p| format!("{p}%")).unwrap_or_else(|| "—".into())
}

fn figures_of(this: &WeekFigures, last: &WeekFigures) -> Vec<Figure> {
    let counted = |label, now: u32, before: u32| Figure {
        label,
        value: count(now),
        last_week: count(before),
        change: Change::between(i64::from(before), i64::from(now)).words(),
    };
    let rate = |label, now: Option<u32>, before: Option<u32>| Figure {
        label,
        value: percent(now),
        last_week: percent(before),
        change: match (now, before) {
            (Some(now), Some(before)) => match Change::between(i64::from(before), i64::from(now)) {
                Change::Same => "same".into(),
                change => format!("{} pts", change.words()),
            },
            _ => String::new(),
        },
    };
    vec![
        counted("Bookings", this.bookings, last.bookings),
        counted("New customers", this.new_customers, last.new_customers),
        counted("Returning customers", this.returning_customers, last.returning_customers),
        rate("No-show rate", this.no_show_percent(), last.no_show_percent()),
        rate("Staff time booked", this.utilisation_percent(), last.utilisation_percent()),
        counted("Cancelled", this.cancelled, last.cancelled),
    ]
}

fn attention_of(items: &[Attention]) -> Vec<AttentionItem> {
    items
        .iter()
        .map(|item| match item {
            Attention::PrivacyRequests { open, overdue } => AttentionItem {
                text: match (*open, *overdue) {
                    (1, 0) => "1 privacy request is open".into(),
                    (n, 0) => format!("{n} privacy requests are open"),
                    (n, late) => format!("{n} privacy requests are open, {late} past the date the law sets"),
                },
                href: "/app/privacy/requests",
            },
            Attention::NoChannel => AttentionItem {
                text: "No channel can send confirmations and reminders yet: connect SMS, WhatsApp or email".into(),
                href: "/app/settings/messaging",
            },
            Attention::FailedMessages(n) => AttentionItem {
                text: if *n == 1 {
                    "1 message failed this week".into()
                } else {
                    format!("{} messages failed this week", human::group_indian(*n as u64))
                },
                href: "/app/messages?status=failed",
            },
        })
        .collect()
}

fn setup_of(steps: &[(SetupStep, bool)], slug: &str) -> Vec<SetupItem> {
    if steps.iter().all(|(_, done)| *done) {
        return Vec::new();
    }
    steps
        .iter()
        .map(|(step, done)| {
            let (text, href) = match step {
                SetupStep::Services => {
                    ("Add the services you offer, with their length and price", "/app/booking".into())
                }
                SetupStep::StaffHours => ("Add your staff and the hours they work", "/app/booking".into()),
                SetupStep::Customers => {
                    ("Bring in your customers (import a file, or add them one by one)", "/app/customers/import".into())
                }
                SetupStep::Channel => (
                    "Connect SMS, WhatsApp or email, so confirmations and reminders go out",
                    "/app/settings/messaging".into(),
                ),
                SetupStep::OnlineBooking => ("Share your booking page with your customers", format!("/b/{slug}")),
            };
            SetupItem { text, href, done: *done }
        })
        .collect()
}

fn shown(dashboard: Dashboard, can_manage: bool, slug: &str) -> Figures {
    let today = dashboard.today;
    let this = &dashboard.this_week.figures;
    let last = &dashboard.last_week.figures;
    Figures {
        today_heading: format!("Today, {}", human::day(crate::pages::ENGLISH, today, today)),
        free_left: human::minutes(crate::pages::ENGLISH, dashboard.free_minutes_left_today),
        week_heading: format!("Week of {}", human::day(crate::pages::ENGLISH, dashboard.this_week.first_day, today)),
        figures: figures_of(this, last),
        chart: WeekChart::new(&this.per_day, &last.per_day),
        messages_sent: human::group_indian(dashboard.messages_sent.max(0) as u64),
        messages_failed: human::group_indian(dashboard.messages_failed.max(0) as u64),
        attention: attention_of(&dashboard.attention),
        setup_done: dashboard.setup.iter().filter(|(_, done)| *done).count(),
        setup: setup_of(&dashboard.setup, slug),
        appointments: dashboard.appointments_today,
        can_manage,
    }
}

pub async fn show(State(state): State<AppState>, Auth(who): Auth, Query(query): Query<NoticeQuery>) -> PageResult {
    let chrome = Chrome::member(&state, &who, "Today", "/app").await?.with_notice(query.notice.as_deref());
    let figures = if who.has(Permission::BookingsRead) {
        let dashboard = reports::dashboard(&state.app, &who).await?;
        let slug = if dashboard.setup.iter().any(|(_, done)| !done) {
            steward_app::tenancy::profile(&state.app, &who).await?.slug
        } else {
            String::new()
        };
        Some(shown(dashboard, who.has(Permission::BookingsManage), &slug))
    } else {
        None
    };
    let business = chrome.nav.as_ref().map(|n| n.business.clone()).unwrap_or_default();
    let undo = match (query.undo.as_deref().map(|u| Status::parse("undo", u)), &query.appointment) {
        (Some(Ok(previous)), Some(appointment)) if who.has(Permission::BookingsManage) => {
            let id: Option<steward_domain::ids::AppointmentId> = appointment.parse().ok();
            id.map(|id| (id.to_string(), previous.name(), previous.label()))
        }
        _ => None,
    };
    let page = TodayPage {
        undo,
        chrome,
        business,
        member_name: who.name.clone(),
        email_verified: who.email_verified,
        figures,
        chart_width: week_chart::WIDTH,
        chart_height: week_chart::HEIGHT,
    };
    Ok(render(StatusCode::OK, &page))
}

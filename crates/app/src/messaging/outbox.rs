//! What a booking change queues, inside the booking's own transaction: a confirmation
//! and reminders when an appointment is booked, new reminders and a notice when it moves,
//! a notice when it is cancelled, a follow-up when it is completed. Pending reminders of
//! a moved or cancelled appointment are withdrawn in the same transaction.
//!
//! Each message's idempotency key names the appointment, the rule and (for reminders and
//! notices) the start it was about, so queuing twice is a no-op and a moved appointment
//! gets fresh reminders while the old ones are withdrawn.

use super::settings;
use crate::AppError;
use steward_domain::ids::{AppointmentId, CustomerId, ServiceId};
use steward_domain::messaging::{Kind, Rules};
use steward_store::TenantTx;
use steward_store::messaging::outbox::{self as rows, NewMessage};

const MINUTE: i64 = 60_000_000;

/// The appointment a message is about, as the booking knows it.
#[derive(Debug, Clone, Copy)]
pub struct About {
    pub appointment: AppointmentId,
    pub customer: CustomerId,
    pub service: ServiceId,
    pub starts_at: i64,
}

/// One message to queue: what, under which rule, when it is due and when it may go.
struct Planned {
    kind: Kind,
    rule: String,
    due_at: i64,
    send_at: i64,
}

/// The tenant's rules and zone, read once per booking transaction.
#[derive(Debug, Clone)]
pub struct Planner {
    pub rules: Rules,
    zone: jiff::tz::TimeZone,
}

impl Planner {
    pub async fn load(tx: &mut TenantTx) -> Result<Planner, AppError> {
        let (rules, zone) = settings::rules_and_zone(tx).await?;
        Ok(Planner { rules, zone })
    }

    /// Queues the planned messages in one statement; answers how many were new.
    async fn queue(
        &self,
        tx: &mut TenantTx,
        about: &About,
        planned: Vec<Planned>,
        now: i64,
    ) -> Result<usize, AppError> {
        let messages: Vec<NewMessage> = planned
            .into_iter()
            .map(|Planned { kind, rule, due_at, send_at }| NewMessage {
                id: uuid::Uuid::now_v7(),
                customer_id: about.customer,
                appointment_id: Some(about.appointment),
                kind: kind.name(),
                idempotency_key: format!("{}:{rule}", about.appointment),
                rule,
                channel: None,
                language: self.rules.language.to_string(),
                due_at,
                send_at,
            })
            .collect();
        Ok(rows::insert_many(tx, &messages, now).await? as usize)
    }

    /// Reminders for the appointment's start: each rule's time, moved out of quiet hours,
    /// left out when that is already past or no earlier than the appointment itself.
    fn reminders(&self, about: &About, now: i64) -> Vec<Planned> {
        if !self.rules.covers_service(about.service.0) {
            return Vec::new();
        }
        let mut planned = Vec::new();
        for minutes in &self.rules.reminder_minutes {
            let due = about.starts_at - minutes * MINUTE;
            if due < now {
                continue;
            }
            let send_at = self.rules.after_quiet_hours(due, &self.zone);
            if send_at >= about.starts_at {
                continue;
            }
            let rule = format!("reminder:{minutes}m:{}", about.starts_at);
            planned.push(Planned { kind: Kind::Reminder, rule, due_at: due, send_at });
        }
        planned
    }

    /// A new appointment: the confirmation (at once) and its reminders.
    pub async fn booked(&self, tx: &mut TenantTx, about: &About, now: i64) -> Result<usize, AppError> {
        let mut planned = Vec::new();
        if self.rules.send_confirmation {
            planned.push(Planned { kind: Kind::Confirmation, rule: "confirmation".into(), due_at: now, send_at: now });
        }
        planned.extend(self.reminders(about, now));
        self.queue(tx, about, planned, now).await
    }

    /// A moved appointment: the old start's reminders withdrawn, new ones and a notice.
    pub async fn moved(&self, tx: &mut TenantTx, about: &About, now: i64) -> Result<usize, AppError> {
        rows::withdraw_pending(tx, about.appointment, &[Kind::Reminder.name(), Kind::Rescheduled.name()], now).await?;
        let mut planned = Vec::new();
        if self.rules.send_changes {
            let rule = format!("rescheduled:{}", about.starts_at);
            planned.push(Planned { kind: Kind::Rescheduled, rule, due_at: now, send_at: now });
        }
        planned.extend(self.reminders(about, now));
        self.queue(tx, about, planned, now).await
    }

    /// A cancelled appointment: whatever has not gone out is withdrawn, and a notice goes.
    pub async fn cancelled(&self, tx: &mut TenantTx, about: &About, now: i64) -> Result<usize, AppError> {
        let all = [Kind::Reminder, Kind::Confirmation, Kind::Rescheduled, Kind::FollowUp].map(Kind::name);
        rows::withdraw_pending(tx, about.appointment, &all, now).await?;
        if !self.rules.send_changes {
            return Ok(0);
        }
        let notice = Planned { kind: Kind::Cancelled, rule: "cancelled".into(), due_at: now, send_at: now };
        self.queue(tx, about, vec![notice], now).await
    }

    /// A completed visit: the follow-up, if the business sends one.
    pub async fn completed(&self, tx: &mut TenantTx, about: &About, now: i64) -> Result<usize, AppError> {
        let Some(minutes) = self.rules.follow_up_minutes else { return Ok(0) };
        if !self.rules.covers_service(about.service.0) {
            return Ok(0);
        }
        let due_at = now + minutes * MINUTE;
        let send_at = self.rules.after_quiet_hours(due_at, &self.zone);
        let follow_up = Planned { kind: Kind::FollowUp, rule: "follow_up".into(), due_at, send_at };
        self.queue(tx, about, vec![follow_up], now).await
    }

    /// A visit that did not happen: no follow-up, no more reminders.
    pub async fn closed(&self, tx: &mut TenantTx, about: &About, now: i64) -> Result<(), AppError> {
        rows::withdraw_pending(tx, about.appointment, &[Kind::Reminder.name()], now).await?;
        Ok(())
    }
}

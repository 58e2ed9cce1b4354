//! Each staff member's private calendar feed: an ICS address with a secret token that
//! Google or Apple Calendar can subscribe to, rotated or revoked by the business.
//!
//! The calendar provider fetches the feed, so it carries no customer's personal data:
//! each event names the service and the place, and links back into Steward, where the
//! customer is shown to signed-in members only.

use crate::access::principal::Principal;
use crate::{App, AppError, audit};
use serde::Serialize;
use serde_json::json;
use steward_domain::booking::Status;
use steward_domain::booking::ics::{Event, calendar};
use steward_domain::ids::StaffId;
use steward_domain::permissions::Permission;
use steward_store::booking::appointments as appointment_rows;
use steward_store::booking::setup as rows;

const DAY: i64 = crate::clock::MICROS_PER_DAY;

#[derive(Debug, Clone, Serialize, schemars::JsonSchema)]
pub struct FeedLink {
    /// Shown once: the address to subscribe to.
    pub url: String,
}

/// Makes a new feed address for a staff member; any earlier one stops working.
pub async fn rotate(app: &App, who: &Principal, staff: StaffId) -> Result<FeedLink, AppError> {
    who.require(Permission::BookingsManage)?;
    let secret = steward_crypto::token::new_secret()?;
    let (writer_app, who) = (app.clone(), who.clone());
    app.store
        .write(who.tenant, move |mut tx| async move {
            let (app, who) = (&writer_app, &who);
            let tenant = steward_store::tenancy::tenants::current(&mut tx).await?;
            if !rows::set_feed_token(&mut tx, staff, Some(steward_crypto::token::token_hash(&secret))).await? {
                return Err(AppError::NotFound);
            }
            audit::record(
                app,
                &mut tx,
                audit::by(who, "staff.feed_rotated", Some(("staff", staff.to_string())), json!({})),
            )
            .await?;
            tx.commit().await?;
            Ok(FeedLink { url: app.link(&format!("/calendar/{}/{secret}.ics", tenant.slug)) })
        })
        .await
}

pub async fn revoke(app: &App, who: &Principal, staff: StaffId) -> Result<(), AppError> {
    who.require(Permission::BookingsManage)?;
    let (writer_app, who) = (app.clone(), who.clone());
    app.store
        .write(who.tenant, move |mut tx| async move {
            let (app, who) = (&writer_app, &who);
            if !rows::set_feed_token(&mut tx, staff, None).await? {
                return Err(AppError::NotFound);
            }
            audit::record(
                app,
                &mut tx,
                audit::by(who, "staff.feed_revoked", Some(("staff", staff.to_string())), json!({})),
            )
            .await?;
            tx.commit().await?;
            Ok(())
        })
        .await
}

/// The feed behind a secret address: the staff member's appointments from a month ago to
/// half a year ahead. An unknown or revoked token is "not found".
pub async fn feed(app: &App, slug: &str, secret: &str) -> Result<String, AppError> {
    let tenant = crate::tenancy::find_by_slug(app, slug).await?.ok_or(AppError::NotFound)?;
    if tenant.status != steward_domain::retention::Stage::Active || secret.len() > 200 {
        return Err(AppError::NotFound);
    }
    let mut tx = app.store.begin_tenant_read(tenant.id).await?;
    let staff = rows::find_staff_by_feed(&mut tx, steward_crypto::token::token_hash(secret))
        .await?
        .ok_or(AppError::NotFound)?;
    let now = app.now_timestamp();
    let found =
        appointment_rows::in_range(&mut tx, now - 31 * DAY, now + 183 * DAY, Some(staff.id), None, 5000).await?;
    tx.commit().await?;
    let events: Vec<Event> = found
        .iter()
        .map(|a| Event {
            uid: format!("{}@steward", a.id),
            start: a.starts_at.as_micros(),
            end: a.ends_at.as_micros(),
            summary: a.service_name.clone(),
            location: Some(a.location_name.clone()),
            description: Some(format!("Open in Steward: {}", app.link(&format!("/app/appointments/{}", a.id)))),
            cancelled: a.status == Status::Cancelled,
        })
        .collect();
    Ok(calendar(&format!("{} – {}", tenant.name, staff.name), &events, now.as_micros()))
}

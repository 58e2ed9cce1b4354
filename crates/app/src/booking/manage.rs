//! A customer's own link to their appointment, sent in every confirmation and reminder
//! (`{link}`): it shows the appointment and lets them cancel it, with no account and no
//! password. The link names the appointment and carries a keyed tag of it (HMAC under a
//! key derived from the master key), so it cannot be guessed or moved to another
//! appointment, and nothing is stored for it.

use super::appointments::{AppointmentView, view};
use crate::access::auth::ClientInfo;
use crate::messaging::outbox::{About, Planner};
use crate::{App, AppError, audit};
use secrecy::ExposeSecret;
use serde::Serialize;
use serde_json::json;
use steward_domain::booking::Status;
use steward_domain::ids::{AppointmentId, TenantId};
use steward_store::booking::appointments as rows;

fn tag(app: &App, tenant: TenantId, appointment: AppointmentId) -> String {
    let key = app.master_key.derive("booking-manage-link");
    let mac =
        steward_crypto::blind_index::blind_index(key.expose_secret(), "manage", &format!("{tenant}|{appointment}"));
    steward_crypto::to_hex(&mac[..16])
}

/// The address of an appointment's page for its customer.
pub fn link(app: &App, slug: &str, tenant: TenantId, appointment: AppointmentId) -> String {
    app.link(&format!("/b/{slug}/manage/{}{}", appointment.as_uuid().simple(), tag(app, tenant, appointment)))
}

/// The appointment a link names, if its tag is right.
fn appointment_of(app: &App, tenant: TenantId, token: &str) -> Option<AppointmentId> {
    let (id, given) = (token.get(..32)?, token.get(32..)?);
    let appointment = AppointmentId(uuid::Uuid::try_parse(id).ok()?);
    let expected = tag(app, tenant, appointment);
    steward_crypto::token::constant_time_eq(expected.as_bytes(), given.as_bytes()).then_some(appointment)
}

/// What the customer's page shows.
#[derive(Debug, Clone, Serialize)]
pub struct ManageView {
    pub business: String,
    pub slug: String,
    pub appointment: AppointmentView,
    /// Whether the customer may still cancel it here (open, and not begun).
    pub can_cancel: bool,
}

async fn load(app: &App, slug: &str, token: &str) -> Result<(TenantId, ManageView), AppError> {
    let tenant = crate::tenancy::find_by_slug(app, slug).await?.ok_or(AppError::NotFound)?;
    let id = appointment_of(app, tenant.id, token).ok_or(AppError::LinkInvalid)?;
    let mut tx = app.store.begin_tenant_read(tenant.id).await?;
    let row = rows::find(&mut tx, id).await?.ok_or(AppError::LinkInvalid)?;
    tx.commit().await?;
    let appointment = view(&row);
    let can_cancel = appointment.status.is_open() && row.starts_at > app.now_timestamp();
    Ok((tenant.id, ManageView { business: tenant.name, slug: tenant.slug, appointment, can_cancel }))
}

pub async fn show(app: &App, slug: &str, token: &str) -> Result<ManageView, AppError> {
    Ok(load(app, slug, token).await?.1)
}

/// The customer cancels: the appointment is cancelled with that reason, its pending
/// reminders withdrawn and the cancellation notice queued, all in one transaction.
pub async fn cancel(app: &App, slug: &str, token: &str, client: &ClientInfo) -> Result<ManageView, AppError> {
    let (tenant, before) = load(app, slug, token).await?;
    if !before.can_cancel {
        return Err(AppError::NotAllowed(
            "this appointment can no longer be cancelled here; please call the business".into(),
        ));
    }
    let now = app.now_timestamp();
    let id = before.appointment.id;
    let (writer_app, client) = (app.clone(), client.clone());
    app.store
        .write(tenant, move |mut tx| async move {
        let (app, client) = (&writer_app, &client);
        let row = rows::find(&mut tx, id).await?.ok_or(AppError::LinkInvalid)?;
        if !row.status.is_open() {
            return Err(AppError::NotAllowed("this appointment is already closed".into()));
        }
        rows::set_status(&mut tx, id, Status::Cancelled, Some("cancelled by the customer online".into()), now).await?;
        let about = About {
            appointment: id,
            customer: row.customer_id,
            service: row.service_id,
            starts_at: row.starts_at.as_micros(),
        };
        Planner::load(&mut tx).await?.cancelled(&mut tx, &about, now.as_micros()).await?;
        let details =
            json!({ "status": { "old": row.status.name(), "new": Status::Cancelled.name() }, "by": "customer link" });
        audit::record(
            app,
            &mut tx,
            audit::by_system(client, None, "appointment.cancelled", Some(("appointment", id.to_string())), details),
        )
        .await?;
        tx.commit().await?;
        Ok::<_, AppError>(())
    })
    .await?;
    show(app, slug, token).await
}

//! Legal holds: while one is in force, the sweep and a purge leave alone what it covers (a
//! whole tenant, one customer, or one data class), and deleting a held customer is refused.
//! Holds are set and lifted with a reason, by a tenant's privacy manager or the operator,
//! and both steps are audited.

use super::{Actor, OwnedActor};
use crate::clock::format_instant;
use crate::{App, AppError, audit};
use serde::{Deserialize, Serialize};
use serde_json::json;
use steward_domain::ids::TenantId;
use steward_domain::retention;
use steward_store::retention::holds::{self as rows, HoldRow};
use uuid::Uuid;

/// What a new hold covers and why.
#[derive(Debug, Clone, Deserialize, schemars::JsonSchema)]
#[serde(deny_unknown_fields)]
#[schemars(rename = "LegalHoldNew")]
pub struct NewHold {
    /// `tenant`, `customer` or `class`.
    #[schemars(extend("enum" = ["tenant", "customer", "class"]))]
    pub scope: String,
    #[schemars(with = "Option<steward_domain::ids::CustomerId>")]
    pub customer_id: Option<String>,
    pub data_class: Option<String>,
    #[schemars(length(max = 500))]
    pub reason: String,
}

/// A hold as pages and the API show it.
#[derive(Debug, Clone, Serialize, schemars::JsonSchema)]
#[schemars(rename = "LegalHold")]
pub struct HoldView {
    pub id: Uuid,
    #[schemars(extend("enum" = ["tenant", "customer", "class"]))]
    pub scope: String,
    pub customer_id: Option<Uuid>,
    pub data_class: Option<String>,
    pub reason: String,
    pub set_by: String,
    #[schemars(extend("format" = "date-time"))]
    pub set_at: String,
    pub in_force: bool,
    pub lifted_by: Option<String>,
    #[schemars(extend("format" = "date-time"))]
    pub lifted_at: Option<String>,
    pub lift_reason: Option<String>,
}

impl From<HoldRow> for HoldView {
    fn from(row: HoldRow) -> Self {
        HoldView {
            id: row.id,
            scope: row.scope,
            customer_id: row.customer_id,
            data_class: row.data_class,
            reason: row.reason,
            set_by: row.set_by,
            set_at: format_instant(row.set_at),
            in_force: row.lifted_at.is_none(),
            lifted_by: row.lifted_by,
            lifted_at: row.lifted_at.map(format_instant),
            lift_reason: row.lift_reason,
        }
    }
}

const MAX_REASON: usize = 500;

fn reason(field: &str, raw: &str) -> Result<String, AppError> {
    let text = raw.trim();
    if text.is_empty() {
        return Err(AppError::invalid(field, "give the reason (a case, a regulator's request, …)"));
    }
    if text.chars().count() > MAX_REASON {
        return Err(AppError::invalid(field, "is longer than 500 characters"));
    }
    Ok(text.to_string())
}

pub async fn list(app: &App, tenant: TenantId) -> Result<Vec<HoldView>, AppError> {
    let mut tx = app.store.begin_tenant_read(tenant).await?;
    let holds = rows::list(&mut tx).await?;
    tx.commit().await?;
    Ok(holds.into_iter().map(HoldView::from).collect())
}

pub async fn set(app: &App, tenant: TenantId, by: Actor<'_>, hold: NewHold) -> Result<HoldView, AppError> {
    let reason = reason("reason", &hold.reason)?;
    let (customer_id, data_class) = match hold.scope.as_str() {
        "tenant" => (None, None),
        "customer" => {
            let raw = hold.customer_id.as_deref().unwrap_or("");
            let id = Uuid::parse_str(raw.trim())
                .map_err(|_| AppError::invalid("customer_id", "give the id of the customer the hold is on"))?;
            (Some(id), None)
        }
        "class" => {
            let raw = hold.data_class.as_deref().unwrap_or("");
            let class = retention::parse_class(raw.trim()).ok_or_else(|| {
                AppError::invalid("data_class", "is not a data class (usage, security_log, personal, …)")
            })?;
            (None, Some(class.name().to_string()))
        }
        _ => return Err(AppError::invalid("scope", "is tenant, customer or class")),
    };
    let (writer_app, by, scope) = (app.clone(), OwnedActor::of(by), hold.scope.clone());
    let row = app
        .store
        .write(tenant, move |mut tx| async move {
            let (app, by) = (&writer_app, by.actor());
            if let Some(customer) = customer_id
                && steward_store::customers::records::find(&mut tx, steward_domain::ids::CustomerId(customer))
                    .await?
                    .is_none()
            {
                return Err(AppError::invalid("customer_id", "no customer of this business has that id"));
            }
            let row = HoldRow {
                id: Uuid::now_v7(),
                scope,
                customer_id,
                data_class: data_class.clone(),
                reason,
                set_by: by.label(),
                set_at: app.now(),
                lifted_by: None,
                lifted_at: None,
                lift_reason: None,
            };
            rows::insert(&mut tx, &row).await?;
            // The reason may name people or cases: the audit record keeps the scope, not the words.
            let details = json!({ "scope": row.scope, "customer_id": customer_id, "data_class": data_class });
            let event = by.event("legal_hold.set", Some(("legal_hold", row.id.to_string())), details);
            audit::record(app, &mut tx, event).await?;
            tx.commit().await?;
            Ok(row)
        })
        .await?;
    Ok(HoldView::from(row))
}

pub async fn lift(app: &App, tenant: TenantId, by: Actor<'_>, id: Uuid, lift_reason: &str) -> Result<(), AppError> {
    let (writer_app, by, lift_reason) = (app.clone(), OwnedActor::of(by), lift_reason.to_string());
    app.store
        .write(tenant, move |mut tx| async move {
            let (app, by) = (&writer_app, by.actor());
            if !rows::in_force(&mut tx).await?.iter().any(|hold| hold.id == id) {
                return Err(AppError::NotFound);
            }
            let lift_reason = reason("reason", &lift_reason)?;
            if !rows::lift(&mut tx, id, &by.label(), &lift_reason, app.now()).await? {
                return Err(AppError::NotFound);
            }
            let event = by.event("legal_hold.lifted", Some(("legal_hold", id.to_string())), json!({}));
            audit::record(app, &mut tx, event).await?;
            tx.commit().await?;
            Ok(())
        })
        .await
}

/// The holds of a member's tenant (`privacy.manage`).
pub async fn list_for(app: &App, who: &crate::access::principal::Principal) -> Result<Vec<HoldView>, AppError> {
    who.require(steward_domain::permissions::Permission::PrivacyManage)?;
    list(app, who.tenant).await
}

/// A member sets a hold (`privacy.manage`).
pub async fn set_by(app: &App, who: &crate::access::principal::Principal, hold: NewHold) -> Result<HoldView, AppError> {
    who.require(steward_domain::permissions::Permission::PrivacyManage)?;
    set(app, who.tenant, Actor::Member(who), hold).await
}

/// A member lifts a hold (`privacy.manage`).
pub async fn lift_by(
    app: &App,
    who: &crate::access::principal::Principal,
    id: Uuid,
    reason: &str,
) -> Result<(), AppError> {
    who.require(steward_domain::permissions::Permission::PrivacyManage)?;
    lift(app, who.tenant, Actor::Member(who), id, reason).await
}

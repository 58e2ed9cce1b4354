//! A tenant's retention rules: the ones in force, and changing one within the operator's
//! limits (RET-2: per data class, per tenant).

use super::Actor;
use crate::access::principal::Principal;
use crate::{App, AppError, audit};
use serde::Serialize;
use serde_json::json;
use steward_domain::ids::TenantId;
use steward_domain::permissions::Permission;
use steward_domain::retention::{self, Rule};
use steward_store::TenantTx;
use steward_store::retention::rules as rows;

/// A rule as pages and the API show it.
#[derive(Debug, Clone, Serialize, PartialEq, Eq, schemars::JsonSchema)]
#[schemars(rename = "RetentionRule")]
pub struct RuleView {
    #[schemars(extend("enum" = ["usage", "security_log", "personal"]))]
    pub data_class: &'static str,
    /// `null`: while the account is active (security logs) or until deleted on request (customer data).
    pub keep_days: Option<i64>,
    pub chosen: bool,
    pub meaning: String,
}

impl From<Rule> for RuleView {
    fn from(rule: Rule) -> Self {
        RuleView {
            data_class: rule.class.name(),
            keep_days: rule.keep_days,
            chosen: rule.chosen,
            meaning: rule.describe(),
        }
    }
}

/// The rules in force inside a transaction (the sweep reads them with the rows they rule).
pub async fn in_force(app: &App, tx: &mut TenantTx) -> Result<Vec<Rule>, AppError> {
    let chosen: Vec<_> = rows::chosen(tx)
        .await?
        .into_iter()
        .filter_map(|(name, days)| retention::parse_class(&name).map(|class| (class, days)))
        .collect();
    Ok(retention::rules_in_force(&app.settings.retention, &chosen))
}

pub async fn rules_of(app: &App, tenant: TenantId) -> Result<Vec<RuleView>, AppError> {
    let mut tx = app.store.begin_tenant_read(tenant).await?;
    let rules = in_force(app, &mut tx).await?;
    tx.commit().await?;
    Ok(rules.into_iter().map(RuleView::from).collect())
}

/// `GET /api/v1/retention/rules`.
pub async fn list(app: &App, who: &Principal) -> Result<Vec<RuleView>, AppError> {
    who.require(Permission::TenantRead)?;
    rules_of(app, who.tenant).await
}

/// Sets a class's rule; `keep_days: None` means "while active" or "until deleted", where the
/// class allows it. `default: true` goes back to the operator's default.
pub async fn set(
    app: &App,
    who: &Principal,
    data_class: &str,
    keep_days: Option<i64>,
    default: bool,
) -> Result<Vec<RuleView>, AppError> {
    who.require(Permission::PrivacyManage)?;
    let class = retention::parse_class(data_class)
        .ok_or_else(|| AppError::invalid("data_class", "is not a data class (usage, security_log, personal)"))?;
    let (writer_app, writer) = (app.clone(), who.clone());
    app.store
        .write(who.tenant, move |mut tx| async move {
            let (app, who) = (&writer_app, &writer);
            let limits = &app.settings.retention;
            let before = in_force(app, &mut tx).await?;
            let old = before.iter().find(|rule| rule.class == class).and_then(|rule| rule.keep_days);
            if default {
                retention::check_choice(limits, class, retention::default_rule(limits, class).keep_days)
                    .map_err(|e| AppError::invalid("data_class", &e.to_string()))?;
                rows::clear(&mut tx, class.name()).await?;
            } else {
                retention::check_choice(limits, class, keep_days).map_err(|error| {
                    let text = error.to_string();
                    let (field, message) = text.split_once(": ").unwrap_or(("keep_days", &text));
                    AppError::invalid(field, message)
                })?;
                rows::set(&mut tx, class.name(), keep_days, Some(who.member.as_uuid()), app.now()).await?;
            }
            let new = if default { retention::default_rule(limits, class).keep_days } else { keep_days };
            let details =
                json!({ "data_class": class.name(), "old_keep_days": old, "new_keep_days": new, "default": default });
            audit::record(app, &mut tx, Actor::Member(who).event("retention.rule_changed", None, details)).await?;
            let after = in_force(app, &mut tx).await?;
            tx.commit().await?;
            Ok(after.into_iter().map(RuleView::from).collect())
        })
        .await
}

//! Usage (issue 5, ACC-4's and BIL-1's usage half): each feature a member uses and each
//! page they view, with the browser and operating system family, counted per day. Plan
//! limits and the tenant's own reports read the daily counts.

use crate::access::principal::Principal;
use crate::{App, AppError};
use serde::Serialize;
use steward_domain::permissions::Permission;
use steward_domain::user_agent::browser_and_os;
use steward_store::TenantTx;
use steward_store::usage::{self as rows, NewUsageEvent};

fn event(member: Option<uuid::Uuid>, feature: String, ip: Option<String>, user_agent: Option<&str>) -> NewUsageEvent {
    let (browser, os) = user_agent.map(browser_and_os).unwrap_or((None, None));
    NewUsageEvent { member_id: member, feature, ip, browser, os }
}

/// Records a feature used, inside the transaction of the change.
pub async fn record_feature(
    app: &App,
    tx: &mut TenantTx,
    member: Option<uuid::Uuid>,
    feature: &str,
    ip: Option<String>,
    user_agent: Option<&str>,
) -> Result<(), AppError> {
    rows::insert(tx, &event(member, feature.to_string(), ip, user_agent), app.now()).await?;
    Ok(())
}

/// Records a page a member viewed, in a transaction of its own, off the request's path:
/// usage is counted, never waited for.
pub fn record_page_view(app: &App, who: &Principal, route: &'static str) {
    let app = app.clone();
    let tenant = who.tenant;
    let usage = event(
        Some(who.member.as_uuid()),
        format!("page:{route}"),
        who.origin.ip.clone(),
        who.origin.user_agent.as_deref(),
    );
    tokio::spawn(async move {
        let writer_app = app.clone();
        let result = app
            .store
            .write(tenant, move |mut tx| async move {
                rows::insert(&mut tx, &usage, writer_app.now()).await?;
                tx.commit().await?;
                Ok::<(), AppError>(())
            })
            .await;
        if let Err(error) = result {
            tracing::warn!(%tenant, %error, "a page view was not counted");
        }
    });
}

/// One feature's count on one day.
#[derive(Debug, Clone, Serialize, PartialEq, Eq, schemars::JsonSchema)]
pub struct DailyUsage {
    /// `YYYY-MM-DD`, UTC.
    #[schemars(extend("format" = "date"))]
    pub date: String,
    pub feature: String,
    pub count: i64,
}

/// Daily counts from `from` to `to` (dates `YYYY-MM-DD`, UTC, inclusive; default the last
/// 30 days).
pub async fn daily(
    app: &App,
    who: &Principal,
    from: Option<&str>,
    to: Option<&str>,
) -> Result<Vec<DailyUsage>, AppError> {
    who.require(Permission::AuditRead)?;
    let day = crate::clock::MICROS_PER_DAY;
    let today_start = app.now().div_euclid(day) * day;
    let until = match to.filter(|t| !t.trim().is_empty()) {
        Some(text) => crate::clock::utc_day_start("to", text)? + day,
        None => today_start + day,
    };
    let from = match from.filter(|f| !f.trim().is_empty()) {
        Some(text) => crate::clock::utc_day_start("from", text)?,
        None => until - 30 * day,
    };
    if from >= until {
        return Err(AppError::invalid("from", "must be on or before to"));
    }
    let mut tx = app.store.begin_tenant_read(who.tenant).await?;
    let counts = rows::daily_counts(&mut tx, from, until).await?;
    tx.commit().await?;
    Ok(counts
        .into_iter()
        .map(|c| DailyUsage {
            date: jiff::Timestamp::from_microsecond(c.day * day)
                .map(|t| t.strftime("%Y-%m-%d").to_string())
                .unwrap_or_default(),
            feature: c.feature,
            count: c.count,
        })
        .collect())
}

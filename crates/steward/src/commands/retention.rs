//! `steward retention run` and `steward hold set|lift|list`.

use super::operator::{find_tenant, operator_app};
use super::progress::LateBar;
use crate::cli::{HoldCommand, RetentionCommand};
use crate::config::Config;
use crate::runtime::StartError;
use steward_app::clock::Clock;
use steward_app::retention::Actor;
use steward_app::retention::holds::{self, NewHold};
use steward_app::retention::sweep::{self, SweepOptions};

/// Parses `--now`: an RFC 3339 instant, in microseconds.
pub(crate) fn parse_now(raw: &str) -> Result<i64, StartError> {
    raw.trim().parse::<jiff::Timestamp>().map(|t| t.as_microsecond()).map_err(|_| {
        StartError::Usage(format!("--now: '{raw}' is not an RFC 3339 instant such as 2027-01-31T00:00:00Z"))
    })
}

pub async fn run(config: &Config, command: RetentionCommand) -> Result<(), StartError> {
    let RetentionCommand::Run { dry_run, tenant, now, json } = command;
    let as_of = now.as_deref().map(parse_now).transpose()?;
    let mut app = operator_app(config).await?;
    if let Some(at) = as_of {
        app.clock = Clock::fixed(at);
    }
    let only = match &tenant {
        Some(slug) => Some(find_tenant(&app, slug).await?.id),
        None => None,
    };
    let options = SweepOptions { as_of: app.now(), dry_run, only, started_by: "cli" };
    let bar = LateBar::default();
    let started = std::time::Instant::now();
    let report = sweep::run(&app, &options, &|done, total| bar.show(done, total, "tenants")).await;
    bar.finish();
    crate::runtime::close_app(&app).await;
    let report = report?;
    if json {
        println!("{}", serde_json::to_string_pretty(&report).map_err(|e| StartError::Usage(e.to_string()))?);
        return Ok(());
    }
    let verb = if dry_run { "would remove" } else { "removed" };
    for tenant in &report.tenants {
        let removed: Vec<String> = tenant.removed.iter().map(|(kind, n)| format!("{n} {kind}")).collect();
        println!(
            "{}: {verb} {}{}{}",
            tenant.slug,
            if removed.is_empty() { "nothing".into() } else { removed.join(", ") },
            tenant.lifecycle.as_deref().map(|l| format!("; {l}")).unwrap_or_default(),
            if tenant.held.is_empty() { String::new() } else { format!("; kept: {}", tenant.held.join("; ")) }
        );
    }
    let total: u64 = report.totals.values().sum();
    println!(
        "{} tenants checked as of {} in {:.2}s: {verb} {total} rows{}",
        report.tenants_checked,
        report.as_of,
        started.elapsed().as_secs_f64(),
        if dry_run { " (dry run: nothing changed)" } else { "" }
    );
    Ok(())
}

pub async fn hold(config: &Config, command: HoldCommand) -> Result<(), StartError> {
    let app = operator_app(config).await?;
    match command {
        HoldCommand::Set { tenant, scope, customer, class, reason } => {
            let tenant = find_tenant(&app, &tenant).await?;
            let hold = holds::set(
                &app,
                tenant.id,
                Actor::Operator,
                NewHold { scope, customer_id: customer, data_class: class, reason },
            )
            .await?;
            println!("hold {} set on {} ({})", hold.id, tenant.slug, hold.scope);
        }
        HoldCommand::Lift { tenant, id, reason } => {
            let tenant = find_tenant(&app, &tenant).await?;
            let id = uuid::Uuid::parse_str(id.trim())
                .map_err(|_| StartError::Usage(format!("'{id}' is not a hold id (see `steward hold list`)")))?;
            holds::lift(&app, tenant.id, Actor::Operator, id, &reason).await?;
            println!("hold {id} lifted");
        }
        HoldCommand::List { tenant } => {
            let tenant = find_tenant(&app, &tenant).await?;
            println!("{:<36} {:<9} {:<8} {:<20} REASON", "ID", "SCOPE", "IN FORCE", "SET");
            for hold in holds::list(&app, tenant.id).await? {
                let on = hold.customer_id.map(|c| c.to_string()).or(hold.data_class.clone()).unwrap_or_default();
                println!(
                    "{:<36} {:<9} {:<8} {:<20} {}{}",
                    hold.id,
                    hold.scope,
                    if hold.in_force { "yes" } else { "lifted" },
                    hold.set_at,
                    hold.reason,
                    if on.is_empty() { String::new() } else { format!(" [{on}]") }
                );
            }
        }
    }
    crate::runtime::close_app(&app).await;
    Ok(())
}

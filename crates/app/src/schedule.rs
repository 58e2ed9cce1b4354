//! The work `serve` does on a timer: the retention sweep (RET-6) and reminders about
//! privacy requests falling due (DSR-1). First a minute after start, then every interval;
//! a failed run is logged and tried again at the next tick. Logs carry counts, never records.

use crate::App;
use crate::retention::sweep::{self, SweepOptions};

pub async fn run(app: App, every: std::time::Duration) {
    let mut next = tokio::time::Instant::now() + std::time::Duration::from_secs(60).min(every);
    loop {
        tokio::time::sleep_until(next).await;
        next += every;
        let options = SweepOptions { as_of: app.now(), dry_run: false, only: None, started_by: "schedule" };
        match sweep::run(&app, &options, &|_, _| {}).await {
            Ok(report) => tracing::info!(
                tenants_checked = report.tenants_checked,
                tenants_changed = report.tenants.len(),
                rows_removed = report.totals.values().sum::<u64>(),
                "retention sweep finished"
            ),
            Err(error) => tracing::warn!(%error, "retention sweep failed; it runs again at the next interval"),
        }
        match crate::privacy::requests::send_reminders(&app).await {
            Ok(0) => {}
            Ok(reminded) => tracing::info!(reminded, "privacy request reminders sent"),
            Err(error) => {
                tracing::warn!(%error, "privacy request reminders failed; they are tried again at the next interval")
            }
        }
    }
}

//! Usage and problems: daily counts of what a business uses, and recent failed or slow
//! requests.

pub mod api;
pub mod pages;

use crate::routes::{Route, Section, get};
use steward_app::diagnostics;
use steward_app::usage;
use steward_domain::permissions::Permission::AuditRead;

/// The routes of this capability.
pub fn routes() -> Vec<Route> {
    vec![
        get("/app/usage", pages::show)
            .needs(AuditRead)
            .setting(130, "Usage", Section::Developer)
            .about("Features used and pages viewed, per day"),
        get("/app/problems", pages::problems)
            .needs(AuditRead)
            .setting(140, "Problems", Section::Developer)
            .about("Recent failed and slow requests"),
        get("/api/v1/usage/daily", api::daily)
            .needs(AuditRead)
            .query::<api::DailyQuery>()
            .answers_list::<usage::DailyUsage>()
            .about("Features used and pages viewed, counted per day (query: from, to as YYYY-MM-DD, UTC)"),
        get("/api/v1/problems", api::problems)
            .needs(AuditRead)
            .answers_list::<diagnostics::Problem>()
            .about("This business's recent failed (5xx) and slow requests, newest first, by request id"),
    ]
}

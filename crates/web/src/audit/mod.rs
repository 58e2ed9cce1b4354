//! The audit log: reading, exporting and verifying the hash chain of a business's events.

pub mod api;
pub mod pages;

use crate::routes::{Route, Section, get, post};
use steward_app::audit;
use steward_domain::permissions::Permission::AuditRead;

/// The routes of this capability.
pub fn routes() -> Vec<Route> {
    vec![
        get("/app/audit", pages::show)
            .needs(AuditRead)
            .setting(120, "Audit log", Section::DataAndPrivacy)
            .about("Audit log"),
        get("/app/audit/export", api::export).needs(AuditRead).about("Download the audit log"),
        post("/app/audit/verify", pages::verify).needs(AuditRead).about("Verify the audit log"),
        get("/api/v1/audit/events", api::events)
            .needs(AuditRead)
            .query::<audit::AuditQuery>()
            .answers_list::<audit::AuditEventView>()
            .about("Audit events, newest first (query: action, before, limit)"),
        get("/api/v1/audit/export", api::export)
            .needs(AuditRead)
            .query::<api::ExportQuery>()
            .answers_no_json()
            .about("The whole audit log with its chain, streamed (query: format=jsonl|csv)"),
        get("/api/v1/audit/verify", api::verify)
            .needs(AuditRead)
            .answers::<audit::Verification>()
            .about("Verify the tenant's whole audit chain"),
    ]
}

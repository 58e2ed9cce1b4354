//! Retention and the lifecycle of data: retention rules, legal holds, what is due for
//! deletion, and the processors data may go to.

pub mod api;
pub mod pages;

use crate::routes::{Route, Section, get, post, put};
use steward_app::egress;
use steward_app::retention::{holds, lifecycle, rules, sweep};
use steward_domain::permissions::Permission::{AuditRead, PrivacyManage, TenantManage, TenantRead};

/// The routes of this capability.
pub fn routes() -> Vec<Route> {
    vec![
        get("/app/settings/data", pages::show).needs(TenantRead).setting(100, "Data & retention", Section::DataAndPrivacy).about("Data & retention"),
        post("/app/settings/data/rules", pages::set_rule).needs(PrivacyManage).about("Change a retention rule"),
        post("/app/settings/data/holds", pages::set_hold).needs(PrivacyManage).about("Set a legal hold"),
        post("/app/settings/data/holds/{hold_id}/lift", pages::lift_hold).needs(PrivacyManage).about("Lift a legal hold"),
        post("/app/settings/data/cancel", pages::cancel).needs(TenantManage).about("Cancel the business"),
        post("/app/settings/data/reactivate", pages::reactivate).needs(TenantManage).about("Reactivate the business"),
        get("/api/v1/retention/rules", api::rules).needs(TenantRead).answers_list::<rules::RuleView>().about("The retention rules in force, by data class (the tenant's choices and the operator's defaults)"),
        put("/api/v1/retention/rules", api::set_rule).needs(PrivacyManage).takes::<api::RuleChange>().answers_list::<rules::RuleView>().about("Choose how long a data class is kept, within the operator's limits, or go back to the default"),
        get("/api/v1/retention/runs", api::runs).needs(PrivacyManage).answers_list::<sweep::RunView>().about("The latest retention sweeps that removed something, with their reports"),
        get("/api/v1/legal-holds", api::holds).needs(PrivacyManage).answers_list::<holds::HoldView>().about("Legal holds, in force first"),
        post("/api/v1/legal-holds", api::set_hold).needs(PrivacyManage).takes::<holds::NewHold>().answers::<holds::HoldView>().about("Put the business, a customer or a data class on legal hold: nothing it covers is deleted"),
        post("/api/v1/legal-holds/{hold_id}/lift", api::lift_hold).needs(PrivacyManage).takes::<api::HoldLift>().about("Lift a legal hold, with the reason"),
        get("/api/v1/lifecycle", api::lifecycle).needs(TenantRead).answers::<lifecycle::LifecycleView>().about("Where the business is in its lifecycle, with every date that applies"),
        post("/api/v1/lifecycle/cancel", api::cancel).needs(TenantManage).takes::<api::Cancellation>().answers::<lifecycle::LifecycleView>().status(200).about("Cancel the business (owner only): nothing is deleted yet; the dates ahead are returned and mailed"),
        post("/api/v1/lifecycle/reactivate", api::reactivate).needs(TenantManage).answers::<lifecycle::LifecycleView>().status(200).about("Come back during the grace period after a cancellation (owner only)"),
        get("/api/v1/export", api::export).needs(TenantManage).answers_no_json().about("Everything the business holds, as JSON lines, streamed (owner only; secrets left out, sensitive values opened)"),
        get("/api/v1/egress", api::egress).needs(AuditRead).answers_list::<egress::EgressView>().about("Outbound calls that carried personal data, or were refused: processor, purpose, field names, outcome"),
    ]
}

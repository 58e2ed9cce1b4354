//! The business itself: its profile and its lifecycle from sign-up to cancellation.

pub mod api;
pub mod business_pages;

use crate::routes::{Route, Section, get, patch, post};
use steward_app::tenancy;
use steward_domain::permissions::Permission::{TenantManage, TenantRead};

/// The routes of this capability.
pub fn routes() -> Vec<Route> {
    vec![
        get("/app/business", business_pages::show)
            .needs(TenantRead)
            .setting(70, "Business", Section::Business)
            .about("Business profile"),
        post("/app/business", business_pages::update).needs(TenantManage).about("Change the business profile"),
        get("/api/v1/tenant", api::show)
            .needs(TenantRead)
            .answers::<tenancy::TenantView>()
            .about("The business profile"),
        patch("/api/v1/tenant", api::update)
            .needs(TenantManage)
            .takes::<tenancy::ProfileChange>()
            .answers::<tenancy::TenantView>()
            .about("Change the business profile"),
    ]
}

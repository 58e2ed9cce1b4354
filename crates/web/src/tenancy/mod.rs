//! The business itself: its profile, its booking page's look, and its lifecycle from
//! sign-up to cancellation.

pub mod api;
pub mod business_pages;
pub mod look_pages;

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
        get(look_pages::PATH, look_pages::show)
            .needs(TenantRead)
            .setting(75, "Booking page look", Section::Business)
            .about("The booking page's colour, phone, logo and cover photo"),
        post(look_pages::PATH, look_pages::save)
            .needs(TenantManage)
            .about("Change the booking page's colour and phone"),
        post("/app/business/look/pictures", look_pages::upload)
            .needs(TenantManage)
            .body_limit(look_pages::PICTURE_BODY_LIMIT)
            .about("Upload the booking page's logo or cover photo"),
        post("/app/business/look/pictures/remove", look_pages::remove)
            .needs(TenantManage)
            .about("Remove the booking page's logo or cover photo"),
        get("/b/{slug}/look.css", look_pages::stylesheet).public().about("A business's colours for its public pages"),
        get("/b/{slug}/pictures/{picture}", look_pages::picture).public().about("A business's logo or cover photo"),
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

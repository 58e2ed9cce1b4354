//! People's rights: the generated privacy notices, requests for access, correction and
//! erasure (from the person, through the business or through the operator), and exports.

pub mod api;
pub mod pages;

use crate::routes::{Route, Section, get, post, put};
use steward_app::privacy::{person, requests};
use steward_domain::permissions::Permission::{PrivacyManage, TenantRead};

/// The routes of this capability.
pub fn routes() -> Vec<Route> {
    vec![
        get("/privacy", pages::operator).public().about("This deployment's privacy notice, generated"),
        get("/p/{tenant_slug}", pages::business).public().about("A business's privacy notice, generated"),
        post("/p/{tenant_slug}/requests", pages::ask)
            .public()
            .about("Ask a business for access, correction or erasure"),
        post("/p/{tenant_slug}/requests/{ticket}/confirm", pages::confirm)
            .public()
            .about("Prove who asks with the code sent to the email on file"),
        get("/p/{tenant_slug}/exports/{token}", pages::export_download)
            .public()
            .about("A person's archive, by the link mailed to them"),
        post("/privacy/requests", pages::ask_platform).public().about("Ask a named business, through the operator"),
        get("/app/privacy/requests", pages::inbox)
            .needs(PrivacyManage)
            .setting(110, "Privacy requests", Section::DataAndPrivacy)
            .about("Privacy requests"),
        post("/app/privacy/requests", pages::open).needs(PrivacyManage).about("Open a privacy request at the counter"),
        post("/app/privacy/settings", pages::set_jurisdiction)
            .needs(PrivacyManage)
            .about("Choose the privacy jurisdiction"),
        get("/app/privacy/requests/{request_id}", pages::show_request)
            .needs(PrivacyManage)
            .about("One privacy request"),
        post("/app/privacy/requests/{request_id}/answer", pages::answer)
            .needs(PrivacyManage)
            .about("Send a customer their archive"),
        post("/app/privacy/requests/{request_id}/erase", pages::erase).needs(PrivacyManage).about("Erase a customer"),
        post("/app/privacy/requests/{request_id}/close", pages::close)
            .needs(PrivacyManage)
            .about("Close a privacy request"),
        get("/api/v1/privacy/requests", api::list)
            .needs(PrivacyManage)
            .answers_list::<requests::RequestView>()
            .about("The privacy inbox: open requests by due date, then the closed ones"),
        post("/api/v1/privacy/requests", api::open)
            .needs(PrivacyManage)
            .takes::<api::RequestNew>()
            .answers::<requests::RequestView>()
            .about("Open a request for a customer who asked at the counter; due by the business's jurisdiction"),
        get("/api/v1/privacy/requests/{request_id}", api::show)
            .needs(PrivacyManage)
            .answers::<requests::RequestView>()
            .about("One privacy request"),
        post("/api/v1/privacy/requests/{request_id}/close", api::close)
            .needs(PrivacyManage)
            .takes::<api::RequestClose>()
            .answers::<requests::RequestView>()
            .status(200)
            .about("Close a request as done (a correction made through the normal forms) or rejected, with a note"),
        post("/api/v1/privacy/requests/{request_id}/answer-access", api::answer_access)
            .needs(PrivacyManage)
            .answers::<requests::RequestView>()
            .status(200)
            .about("Answer an access request: done, and the person is mailed a link to their archive, good for 7 days"),
        get("/api/v1/privacy/requests/{request_id}/export", api::export)
            .needs(PrivacyManage)
            .answers_no_json()
            .about("The person's archive (ZIP: one JSON file per kind of record and a readable summary)"),
        post("/api/v1/privacy/requests/{request_id}/erasure-preview", api::preview_erasure)
            .needs(PrivacyManage)
            .takes::<api::ErasureChoice>()
            .answers::<person::ErasureReport>()
            .status(200)
            .about("What an erasure would find, do and keep, changing nothing"),
        post("/api/v1/privacy/requests/{request_id}/erase", api::erase)
            .needs(PrivacyManage)
            .takes::<api::ErasureChoice>()
            .answers::<person::ErasureReport>()
            .status(200)
            .about(
                "Erase the person: every row the registry says holds them deleted or anonymized, their key destroyed",
            ),
        get("/api/v1/privacy/settings", api::settings)
            .needs(TenantRead)
            .answers::<api::PrivacySettings>()
            .about("The jurisdiction privacy requests are answered under (it sets their due dates)"),
        put("/api/v1/privacy/settings", api::set_settings)
            .needs(PrivacyManage)
            .takes::<api::PrivacySettings>()
            .answers::<api::PrivacySettings>()
            .about("Choose the jurisdiction: gdpr (30 days), dpdp (90 days) or ccpa (45 days)"),
    ]
}

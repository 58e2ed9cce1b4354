//! The route table: every route Steward serves, with the access it needs and, for the
//! API, how the OpenAPI document describes it. The router, the guards and the document
//! are built from this table and nothing else.

use crate::guard::{GuardState, guard};
use crate::{AppState, api, assets, health, metrics, openapi, security, ui};
use axum::Router;
use axum::extract::DefaultBodyLimit;
use axum::http::Method;
use axum::routing::{MethodRouter, delete, get, patch, post};
use steward_domain::permissions::{Access, Permission as P};

/// How the OpenAPI document describes an API route.
#[derive(Debug, Clone, Copy)]
pub struct ApiDoc {
    /// Component schema of the request body, if it has one.
    pub request: Option<&'static str>,
    /// Component schema of the success response; `None` for 204.
    pub response: Option<&'static str>,
    /// Whether the response is a list of `response`.
    pub list: bool,
    pub success_status: u16,
}

/// One route.
pub struct RouteSpec {
    pub method: Method,
    pub path: &'static str,
    pub access: Access,
    pub summary: &'static str,
    pub api: Option<ApiDoc>,
    pub handler: MethodRouter<AppState>,
}

fn page(
    method: Method,
    path: &'static str,
    access: Access,
    summary: &'static str,
    handler: MethodRouter<AppState>,
) -> RouteSpec {
    RouteSpec { method, path, access, summary, api: None, handler }
}

#[allow(clippy::too_many_arguments)]
fn api(
    method: Method,
    path: &'static str,
    access: Access,
    summary: &'static str,
    request: Option<&'static str>,
    response: Option<&'static str>,
    list: bool,
    handler: MethodRouter<AppState>,
) -> RouteSpec {
    let success_status = match (&method, response) {
        (&Method::GET, None) => 200,
        (_, None) => 204,
        (&Method::POST, Some(_)) => 201,
        _ => 200,
    };
    RouteSpec { method, path, access, summary, api: Some(ApiDoc { request, response, list, success_status }), handler }
}

/// Largest file an import accepts over HTTP (the CLI streams files of any size).
pub const IMPORT_BODY_LIMIT: usize = 64 * 1024 * 1024;

impl RouteSpec {
    /// Overrides the documented success status (a POST that creates nothing answers 200).
    fn with_status(mut self, status: u16) -> Self {
        if let Some(api) = self.api.as_mut() {
            api.success_status = status;
        }
        self
    }
}

/// Every route. Add a route here and it is served, guarded and documented.
pub fn all() -> Vec<RouteSpec> {
    use Access::{Member, Permission, Public};
    use Method as M;
    vec![
        // Operations.
        page(M::GET, "/healthz", Public, "The process is up", get(health::healthz)),
        page(M::GET, "/readyz", Public, "The process and its database are up", get(health::readyz)),
        page(M::GET, "/metrics", Public, "Prometheus metrics, to the machine itself only", get(metrics::endpoint)),
        page(M::GET, "/assets/{name}", Public, "Stylesheet and scripts", get(assets::asset)),
        page(M::GET, "/api/v1/openapi.json", Public, "This API's OpenAPI document", get(openapi::document)),
        page(M::GET, "/api/docs", Public, "A readable view of the API document", get(openapi::viewer)),
        // Pages before signing in.
        page(M::GET, "/", Public, "Front door", get(ui::auth::front_door)),
        page(M::GET, "/signup", Public, "Sign-up form", get(ui::auth::signup_form)),
        page(M::POST, "/signup", Public, "Create a business and its owner", post(ui::auth::signup)),
        page(M::GET, "/login", Public, "Log-in form", get(ui::auth::login_form)),
        page(M::POST, "/login", Public, "Log in", post(ui::auth::login)),
        page(M::GET, "/forgot", Public, "Forgotten-password form", get(ui::auth::forgot_form)),
        page(M::POST, "/forgot", Public, "Mail a password-reset link", post(ui::auth::forgot)),
        page(M::GET, "/reset/{token}", Public, "Choose a new password", get(ui::auth::reset_form)),
        page(M::POST, "/reset/{token}", Public, "Set the new password", post(ui::auth::reset)),
        page(M::GET, "/verify/{token}", Public, "Confirm an email address", get(ui::auth::verify)),
        page(M::GET, "/invite/{token}", Public, "Invitation to join a business", get(ui::auth::invite_form)),
        page(M::POST, "/invite/{token}", Public, "Accept an invitation", post(ui::auth::accept_invite)),
        // Pages of a signed-in member.
        page(M::POST, "/logout", Member, "Log out", post(ui::auth::logout)),
        page(M::GET, "/app", Member, "Dashboard", get(ui::dashboard::show)),
        page(
            M::POST,
            "/app/verify-email",
            Member,
            "Send the verification mail again",
            post(ui::dashboard::resend_verification),
        ),
        page(M::GET, "/app/account", Member, "My account", get(ui::account::show)),
        page(M::POST, "/app/account", Member, "Change my name and phone", post(ui::account::update)),
        page(M::POST, "/app/account/password", Member, "Change my password", post(ui::account::change_password)),
        page(M::GET, "/app/tokens", Member, "My API tokens", get(ui::tokens::show)),
        page(M::POST, "/app/tokens", Member, "Create an API token", post(ui::tokens::create)),
        page(M::POST, "/app/tokens/{token_id}/revoke", Member, "Revoke an API token", post(ui::tokens::revoke)),
        page(M::GET, "/app/customers", Permission(P::CustomersRead), "Customers, with search", get(ui::customers::list)),
        page(M::POST, "/app/customers", Permission(P::CustomersWrite), "Add a customer", post(ui::customers::create)),
        page(M::GET, "/app/customers/new", Permission(P::CustomersWrite), "New-customer form", get(ui::customers::new_form)),
        page(M::GET, "/app/customers/export", Permission(P::CustomersRead), "Download customers", get(ui::customers::export)),
        page(
            M::GET,
            "/app/customers/duplicates",
            Permission(P::CustomersRead),
            "Customers that may be one person",
            get(ui::customers::duplicates),
        ),
        page(M::GET, "/app/customers/fields", Permission(P::CustomersRead), "Customer fields", get(ui::customers::fields_show)),
        page(M::POST, "/app/customers/fields", Permission(P::TenantManage), "Add a customer field", post(ui::customers::field_create)),
        page(
            M::POST,
            "/app/customers/fields/{field_id}/delete",
            Permission(P::TenantManage),
            "Delete a customer field",
            post(ui::customers::field_delete),
        ),
        page(M::GET, "/app/customers/import", Permission(P::CustomersWrite), "Import customers", get(ui::customers::import_form)),
        page(
            M::POST,
            "/app/customers/import",
            Permission(P::CustomersWrite),
            "Upload a file and check it",
            post(ui::customers::import_upload).layer(DefaultBodyLimit::max(IMPORT_BODY_LIMIT)),
        ),
        page(
            M::GET,
            "/app/customers/import/{job_id}",
            Permission(P::CustomersWrite),
            "An import's progress and report",
            get(ui::customers::import_status),
        ),
        page(
            M::POST,
            "/app/customers/import/{job_id}",
            Permission(P::CustomersWrite),
            "Run an uploaded file again: another mapping, or for real",
            post(ui::customers::import_again),
        ),
        page(M::GET, "/app/customers/{customer_id}", Permission(P::CustomersRead), "A customer", get(ui::customers::show)),
        page(M::POST, "/app/customers/{customer_id}", Permission(P::CustomersWrite), "Change a customer", post(ui::customers::update)),
        page(
            M::GET,
            "/app/customers/{customer_id}/edit",
            Permission(P::CustomersWrite),
            "Change-customer form",
            get(ui::customers::edit_form),
        ),
        page(
            M::POST,
            "/app/customers/{customer_id}/notes",
            Permission(P::CustomersWrite),
            "Add a note",
            post(ui::customers::add_note),
        ),
        page(
            M::POST,
            "/app/customers/{customer_id}/consents",
            Permission(P::CustomersWrite),
            "Record a consent",
            post(ui::customers::record_consent),
        ),
        page(
            M::POST,
            "/app/customers/{customer_id}/delete",
            Permission(P::CustomersWrite),
            "Delete a customer",
            post(ui::customers::delete),
        ),
        page(
            M::GET,
            "/app/customers/{customer_id}/merge",
            Permission(P::CustomersWrite),
            "What a merge would do",
            get(ui::customers::merge_preview),
        ),
        page(
            M::POST,
            "/app/customers/{customer_id}/merge",
            Permission(P::CustomersWrite),
            "Merge another customer into this one",
            post(ui::customers::merge_apply),
        ),
        page(M::GET, "/app/business", Permission(P::TenantRead), "Business profile", get(ui::business::show)),
        page(
            M::POST,
            "/app/business",
            Permission(P::TenantManage),
            "Change the business profile",
            post(ui::business::update),
        ),
        page(M::GET, "/app/members", Permission(P::MembersRead), "Members and invitations", get(ui::members::show)),
        page(
            M::POST,
            "/app/members/invite",
            Permission(P::MembersManage),
            "Invite a member",
            post(ui::members::invite),
        ),
        page(
            M::POST,
            "/app/members/{member_id}/role",
            Permission(P::MembersManage),
            "Change a member's role",
            post(ui::members::change_role),
        ),
        page(
            M::POST,
            "/app/members/{member_id}/remove",
            Permission(P::MembersManage),
            "Remove a member",
            post(ui::members::remove),
        ),
        page(
            M::POST,
            "/app/invitations/{invitation_id}/revoke",
            Permission(P::MembersManage),
            "Withdraw an invitation",
            post(ui::members::revoke_invitation),
        ),
        page(M::GET, "/app/roles", Permission(P::MembersRead), "Roles and permissions", get(ui::roles::show)),
        page(M::POST, "/app/roles", Permission(P::RolesManage), "Create a custom role", post(ui::roles::create)),
        page(
            M::POST,
            "/app/roles/{role_id}",
            Permission(P::RolesManage),
            "Change a custom role",
            post(ui::roles::update),
        ),
        page(
            M::POST,
            "/app/roles/{role_id}/delete",
            Permission(P::RolesManage),
            "Delete a custom role",
            post(ui::roles::delete),
        ),
        page(M::GET, "/app/audit", Permission(P::AuditRead), "Audit log", get(ui::audit::show)),
        page(M::GET, "/app/audit/export", Permission(P::AuditRead), "Download the audit log", get(api::audit::export)),
        page(M::POST, "/app/audit/verify", Permission(P::AuditRead), "Verify the audit log", post(ui::audit::verify)),
        // The JSON API.
        api(
            M::GET,
            "/api/v1/me",
            Member,
            "The member this token belongs to",
            None,
            Some("Me"),
            false,
            get(api::me::me),
        ),
        api(
            M::GET,
            "/api/v1/permissions",
            Member,
            "Every permission a role can hold",
            None,
            Some("Permission"),
            true,
            get(api::roles::permissions),
        ),
        api(
            M::GET,
            "/api/v1/tenant",
            Permission(P::TenantRead),
            "The business profile",
            None,
            Some("Tenant"),
            false,
            get(api::tenant::show),
        ),
        api(
            M::PATCH,
            "/api/v1/tenant",
            Permission(P::TenantManage),
            "Change the business profile",
            Some("TenantChange"),
            Some("Tenant"),
            false,
            patch(api::tenant::update),
        ),
        api(
            M::GET,
            "/api/v1/members",
            Permission(P::MembersRead),
            "Members of the business",
            None,
            Some("Member"),
            true,
            get(api::members::list),
        ),
        api(
            M::GET,
            "/api/v1/members/{member_id}",
            Permission(P::MembersRead),
            "One member",
            None,
            Some("Member"),
            false,
            get(api::members::show),
        ),
        api(
            M::PATCH,
            "/api/v1/members/{member_id}",
            Permission(P::MembersManage),
            "Change a member's role",
            Some("MemberChange"),
            Some("Member"),
            false,
            patch(api::members::update),
        ),
        api(
            M::DELETE,
            "/api/v1/members/{member_id}",
            Permission(P::MembersManage),
            "Remove a member",
            None,
            None,
            false,
            delete(api::members::remove),
        ),
        api(
            M::GET,
            "/api/v1/invitations",
            Permission(P::MembersRead),
            "Pending invitations",
            None,
            Some("Invitation"),
            true,
            get(api::members::invitations),
        ),
        api(
            M::POST,
            "/api/v1/invitations",
            Permission(P::MembersManage),
            "Invite someone by email",
            Some("InvitationNew"),
            Some("Invitation"),
            false,
            post(api::members::invite),
        ),
        api(
            M::DELETE,
            "/api/v1/invitations/{invitation_id}",
            Permission(P::MembersManage),
            "Withdraw an invitation",
            None,
            None,
            false,
            delete(api::members::revoke_invitation),
        ),
        api(
            M::GET,
            "/api/v1/roles",
            Permission(P::MembersRead),
            "Roles of the business",
            None,
            Some("Role"),
            true,
            get(api::roles::list),
        ),
        api(
            M::POST,
            "/api/v1/roles",
            Permission(P::RolesManage),
            "Create a custom role",
            Some("RoleNew"),
            Some("Role"),
            false,
            post(api::roles::create),
        ),
        api(
            M::GET,
            "/api/v1/roles/{role_id}",
            Permission(P::MembersRead),
            "One role",
            None,
            Some("Role"),
            false,
            get(api::roles::show),
        ),
        api(
            M::PATCH,
            "/api/v1/roles/{role_id}",
            Permission(P::RolesManage),
            "Change a custom role",
            Some("RoleChange"),
            Some("Role"),
            false,
            patch(api::roles::update),
        ),
        api(
            M::DELETE,
            "/api/v1/roles/{role_id}",
            Permission(P::RolesManage),
            "Delete a custom role",
            None,
            None,
            false,
            delete(api::roles::remove),
        ),
        api(
            M::GET,
            "/api/v1/audit/events",
            Permission(P::AuditRead),
            "Audit events, newest first (query: action, before, limit)",
            None,
            Some("AuditEvent"),
            true,
            get(api::audit::events),
        ),
        api(
            M::GET,
            "/api/v1/audit/export",
            Permission(P::AuditRead),
            "The whole audit log with its chain, streamed (query: format=jsonl|csv)",
            None,
            None,
            false,
            get(api::audit::export),
        ),
        api(
            M::GET,
            "/api/v1/audit/verify",
            Permission(P::AuditRead),
            "Verify the tenant's whole audit chain",
            None,
            Some("AuditVerification"),
            false,
            get(api::audit::verify),
        ),
        api(
            M::GET,
            "/api/v1/usage/daily",
            Permission(P::AuditRead),
            "Features used and pages viewed, counted per day (query: from, to as YYYY-MM-DD, UTC)",
            None,
            Some("DailyUsage"),
            true,
            get(api::usage::daily),
        ),
        api(
            M::GET,
            "/api/v1/customers",
            Permission(P::CustomersRead),
            "Customers, searched and filtered (query: q, tag, field_id, field_value, sort=name|last_visit|created, cursor, limit)",
            None,
            Some("CustomerPage"),
            false,
            get(api::customers::list),
        ),
        api(
            M::POST,
            "/api/v1/customers",
            Permission(P::CustomersWrite),
            "Create a customer",
            Some("CustomerNew"),
            Some("Customer"),
            false,
            post(api::customers::create),
        ),
        api(
            M::GET,
            "/api/v1/customers/duplicates",
            Permission(P::CustomersRead),
            "Groups of customers that share a phone, an email or a name",
            None,
            Some("DuplicateGroup"),
            true,
            get(api::customers::duplicates),
        ),
        api(
            M::GET,
            "/api/v1/customers/export",
            Permission(P::CustomersRead),
            "Every customer, streamed (query: format=csv|vcard|json); sensitive values are never included",
            None,
            None,
            false,
            get(api::customers::export),
        ),
        api(
            M::POST,
            "/api/v1/customers/import",
            Permission(P::CustomersWrite),
            "Import customers from the CSV or vCard file in the body (query: format, dedupe_by, on_duplicate, bad_rows, dry_run, mapping)",
            None,
            Some("ImportReport"),
            false,
            post(api::customers::import).layer(DefaultBodyLimit::max(IMPORT_BODY_LIMIT)),
        )
        .with_status(200),
        api(
            M::POST,
            "/api/v1/customers/import/preview",
            Permission(P::CustomersWrite),
            "The header, first rows and guessed column mapping of a CSV file",
            None,
            Some("ImportPreview"),
            false,
            post(api::customers::import_preview).layer(DefaultBodyLimit::max(IMPORT_BODY_LIMIT)),
        )
        .with_status(200),
        api(
            M::GET,
            "/api/v1/customers/{customer_id}",
            Permission(P::CustomersRead),
            "One customer whole; sensitive values only with customers.sensitive.read (and the read is audited)",
            None,
            Some("Customer"),
            false,
            get(api::customers::show),
        ),
        api(
            M::PATCH,
            "/api/v1/customers/{customer_id}",
            Permission(P::CustomersWrite),
            "Change a customer (missing values stay, empty strings clear)",
            Some("CustomerNew"),
            Some("Customer"),
            false,
            patch(api::customers::update),
        ),
        api(
            M::DELETE,
            "/api/v1/customers/{customer_id}",
            Permission(P::CustomersWrite),
            "Delete a customer with their notes, consents, values and key",
            None,
            None,
            false,
            delete(api::customers::remove),
        ),
        api(
            M::POST,
            "/api/v1/customers/{customer_id}/notes",
            Permission(P::CustomersWrite),
            "Add a note (a private note is sealed and needs customers.sensitive.read)",
            Some("NoteNew"),
            Some("Note"),
            false,
            post(api::customers::add_note),
        ),
        api(
            M::DELETE,
            "/api/v1/customers/{customer_id}/notes/{note_id}",
            Permission(P::CustomersWrite),
            "Delete a note",
            None,
            None,
            false,
            delete(api::customers::delete_note),
        ),
        api(
            M::POST,
            "/api/v1/customers/{customer_id}/consents",
            Permission(P::CustomersWrite),
            "Record a consent or its withdrawal; answers the consents that now hold",
            Some("ConsentNew"),
            Some("Consent"),
            true,
            post(api::customers::record_consent),
        ),
        api(
            M::POST,
            "/api/v1/customers/{customer_id}/merge",
            Permission(P::CustomersWrite),
            "Merge another customer into this one (preview: true changes nothing)",
            Some("MergeRequest"),
            Some("MergeReport"),
            false,
            post(api::customers::merge),
        )
        .with_status(200),
        api(
            M::GET,
            "/api/v1/customer-fields",
            Permission(P::CustomersRead),
            "The business's own customer fields",
            None,
            Some("CustomerField"),
            true,
            get(api::customers::list_fields),
        ),
        api(
            M::POST,
            "/api/v1/customer-fields",
            Permission(P::TenantManage),
            "Define a customer field, personal or sensitive (the class never changes)",
            Some("CustomerFieldNew"),
            Some("CustomerField"),
            false,
            post(api::customers::create_field),
        ),
        api(
            M::PATCH,
            "/api/v1/customer-fields/{field_id}",
            Permission(P::TenantManage),
            "Rename a field, change its options or place",
            Some("CustomerFieldChange"),
            Some("CustomerField"),
            false,
            patch(api::customers::update_field),
        ),
        api(
            M::DELETE,
            "/api/v1/customer-fields/{field_id}",
            Permission(P::TenantManage),
            "Delete a field and every value of it",
            None,
            None,
            false,
            delete(api::customers::delete_field),
        ),
        api(M::GET, "/api/v1/tokens", Member, "My API tokens", None, Some("Token"), true, get(api::tokens::list)),
        api(
            M::POST,
            "/api/v1/tokens",
            Member,
            "Create an API token (the secret is in this response only)",
            Some("TokenNew"),
            Some("CreatedToken"),
            false,
            post(api::tokens::create),
        ),
        api(
            M::DELETE,
            "/api/v1/tokens/{token_id}",
            Member,
            "Revoke one of my API tokens",
            None,
            None,
            false,
            delete(api::tokens::revoke),
        ),
    ]
}

/// Builds the router from the table: each route behind its own guard.
pub fn build_router(state: AppState, body_limit: usize) -> Router {
    let mut router: Router<AppState> = Router::new();
    for spec in all() {
        let guard_state = GuardState {
            state: state.clone(),
            access: spec.access,
            api: spec.path.starts_with("/api/v1/"),
            route: spec.path,
        };
        let guarded = spec.handler.route_layer(axum::middleware::from_fn_with_state(guard_state, guard));
        router = router.route(spec.path, guarded);
    }
    router
        .fallback(ui::not_found)
        .layer(DefaultBodyLimit::max(body_limit))
        .layer(axum::middleware::from_fn(security::request_context))
        .with_state(state)
}

//! Who may do what: signing up and in, invitations, password resets, a member's own account,
//! the members and roles of a business, and API tokens.

pub mod account_pages;
pub mod me_api;
pub mod members_api;
pub mod members_pages;
pub mod roles_api;
pub mod roles_pages;
pub mod sign_in_pages;
pub mod tokens_api;
pub mod tokens_pages;

use crate::routes::{Route, Section, delete, get, patch, post};
use steward_app::access::{members, principal, roles, tokens};
use steward_domain::permissions::Permission::{MembersManage, MembersRead, RolesManage};

/// The routes of this capability.
pub fn routes() -> Vec<Route> {
    vec![
        get("/", sign_in_pages::front_door).public().about("Front door"),
        get("/signup", sign_in_pages::signup_form).public().about("Sign-up form"),
        post("/signup", sign_in_pages::signup).public().about("Create a business and its owner"),
        get("/login", sign_in_pages::login_form).public().about("Log-in form"),
        post("/login", sign_in_pages::login).public().about("Log in"),
        get("/forgot", sign_in_pages::forgot_form).public().about("Forgotten-password form"),
        post("/forgot", sign_in_pages::forgot).public().about("Mail a password-reset link"),
        get("/reset/{token}", sign_in_pages::reset_form).public().about("Choose a new password"),
        post("/reset/{token}", sign_in_pages::reset).public().about("Set the new password"),
        get("/verify/{token}", sign_in_pages::verify).public().about("Confirm an email address"),
        get("/invite/{token}", sign_in_pages::invite_form).public().about("Invitation to join a business"),
        post("/invite/{token}", sign_in_pages::accept_invite).public().about("Accept an invitation"),
        post("/logout", sign_in_pages::logout).member().about("Log out"),
        get("/app/account", account_pages::show).member().setting(150, "My account", Section::You).about("My account"),
        post("/app/account", account_pages::update).member().about("Change my name and phone"),
        post("/app/account/password", account_pages::change_password).member().about("Change my password"),
        post("/app/account/theme", account_pages::set_theme).member().about("Choose my pages' colours"),
        post("/app/verify-email", account_pages::resend_verification)
            .member()
            .about("Send the verification mail again"),
        get("/app/tokens", tokens_pages::show).member().setting(160, "API tokens", Section::Developer).about("My API tokens"),
        post("/app/tokens", tokens_pages::create).member().about("Create an API token"),
        post("/app/tokens/{token_id}/revoke", tokens_pages::revoke).member().about("Revoke an API token"),
        get("/app/members", members_pages::show).needs(MembersRead).setting(50, "Members", Section::Team).about("Members and invitations"),
        post("/app/members/invite", members_pages::invite).needs(MembersManage).about("Invite a member"),
        post("/app/members/{member_id}/role", members_pages::change_role).needs(MembersManage).about("Change a member's role"),
        post("/app/members/{member_id}/remove", members_pages::remove).needs(MembersManage).about("Remove a member"),
        post("/app/invitations/{invitation_id}/revoke", members_pages::revoke_invitation).needs(MembersManage).about("Withdraw an invitation"),
        get("/app/roles", roles_pages::show).needs(MembersRead).setting(60, "Roles", Section::Team).about("Roles and permissions"),
        post("/app/roles", roles_pages::create).needs(RolesManage).about("Create a custom role"),
        post("/app/roles/{role_id}", roles_pages::update).needs(RolesManage).about("Change a custom role"),
        post("/app/roles/{role_id}/delete", roles_pages::delete).needs(RolesManage).about("Delete a custom role"),
        get("/api/v1/me", me_api::me).member().answers::<principal::MeView>().about("The member this token belongs to"),
        get("/api/v1/permissions", roles_api::permissions).member().answers_list::<roles::PermissionView>().about("Every permission a role can hold"),
        get("/api/v1/members", members_api::list).needs(MembersRead).answers_list::<members::MemberView>().about("Members of the business"),
        get("/api/v1/members/{member_id}", members_api::show).needs(MembersRead).answers::<members::MemberView>().about("One member"),
        get("/api/v1/members/{member_id}/data", members_api::own_data).needs(MembersManage).answers::<members_api::MemberData>().about("Everything Steward holds about a member (profile, sessions, tokens, what they did), for their administrator to hand them"),
        patch("/api/v1/members/{member_id}", members_api::update).needs(MembersManage).takes::<members_api::MemberChange>().answers::<members::MemberView>().about("Change a member's role"),
        delete("/api/v1/members/{member_id}", members_api::remove).needs(MembersManage).answers_no_json().about("Remove a member"),
        get("/api/v1/invitations", members_api::invitations).needs(MembersRead).answers_list::<members::InvitationView>().about("Pending invitations"),
        post("/api/v1/invitations", members_api::invite).needs(MembersManage).takes::<members_api::InvitationNew>().answers::<members::InvitationView>().about("Invite someone by email"),
        delete("/api/v1/invitations/{invitation_id}", members_api::revoke_invitation).needs(MembersManage).answers_no_json().about("Withdraw an invitation"),
        get("/api/v1/roles", roles_api::list).needs(MembersRead).answers_list::<roles::RoleView>().about("Roles of the business"),
        post("/api/v1/roles", roles_api::create).needs(RolesManage).takes::<roles_api::RoleNew>().answers::<roles::RoleView>().about("Create a custom role"),
        get("/api/v1/roles/{role_id}", roles_api::show).needs(MembersRead).answers::<roles::RoleView>().about("One role"),
        patch("/api/v1/roles/{role_id}", roles_api::update).needs(RolesManage).takes::<roles_api::RoleChange>().answers::<roles::RoleView>().about("Change a custom role"),
        delete("/api/v1/roles/{role_id}", roles_api::remove).needs(RolesManage).answers_no_json().about("Delete a custom role"),
        get("/api/v1/tokens", tokens_api::list).member().answers_list::<tokens::TokenView>().about("My API tokens"),
        post("/api/v1/tokens", tokens_api::create).member().takes::<tokens_api::TokenNew>().answers::<tokens::CreatedToken>().about("Create an API token (the secret is in this response only)"),
        delete("/api/v1/tokens/{token_id}", tokens_api::revoke).member().answers_no_json().about("Revoke one of my API tokens"),
    ]
}

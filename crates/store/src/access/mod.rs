//! Who may act for a tenant: roles, members, their sessions and API tokens, invitations,
//! and one-time tokens for email verification and password reset.

pub mod api_tokens;
pub mod invitations;
pub mod member_tokens;
pub mod members;
pub mod roles;
pub mod sessions;

//! Access: who is calling (sessions, API tokens), logging in and out, passwords, members,
//! roles and invitations.
//!
//! Every secret Steward hands out (session cookie, API token, mailed link) carries its
//! tenant's id in the clear and a random secret. The tenant id picks the tenant
//! transaction; the secret is looked up by its hash inside it, so a secret can only ever
//! be found in its own tenant.

pub mod auth;
pub mod devices;
pub mod hashing;
pub mod members;
pub mod principal;
pub mod roles;
pub mod token_cache;
pub mod tokens;

use steward_domain::ids::TenantId;
use uuid::Uuid;

/// Prefix of API tokens, so a leaked one is recognisable to secret scanners.
pub const API_TOKEN_PREFIX: &str = "stw_";

/// `<tenant>.<secret>`, for cookies and links.
pub fn compose_secret(tenant: TenantId, secret: &str) -> String {
    format!("{}.{}", tenant.as_uuid().simple(), secret)
}

/// Splits a `<tenant>.<secret>` value; `None` for anything malformed.
pub fn split_secret(value: &str) -> Option<(TenantId, &str)> {
    let (tenant, secret) = value.split_once('.')?;
    if tenant.len() != 32 || secret.len() != 64 || !secret.bytes().all(|b| b.is_ascii_hexdigit()) {
        return None;
    }
    Uuid::try_parse(tenant).ok().map(|id| (TenantId(id), secret))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn secrets_round_trip_and_junk_is_refused() {
        let tenant = TenantId::generate();
        let secret = "a".repeat(64);
        let composed = compose_secret(tenant, &secret);
        assert_eq!(split_secret(&composed), Some((tenant, secret.as_str())));
        assert_eq!(split_secret("nope"), None);
        assert_eq!(split_secret(&format!("{}.short", tenant.as_uuid().simple())), None);
    }
}

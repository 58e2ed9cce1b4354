//! A one-second memory of authenticated API tokens.
//!
//! API clients send the same token many times a second; without this, every request
//! costs a database transaction just to learn who is calling. An entry lives at most
//! [`TOKEN_CACHE_TTL`] and is dropped at once, in this process, when the token is
//! revoked, its member removed or given another role, or a role of the tenant changes. A
//! deployment of several servers may therefore honour a revocation made on another server
//! up to one second late; that bound is documented in docs/architecture.md.

use super::principal::Principal;
use std::collections::HashMap;
use std::sync::Mutex;
use std::time::{Duration, Instant};
use steward_domain::ids::{ApiTokenId, MemberId, TenantId};

pub const TOKEN_CACHE_TTL: Duration = Duration::from_secs(1);
const MAX_ENTRIES: usize = 50_000;

#[derive(Default, Debug)]
pub struct TokenCache {
    entries: Mutex<HashMap<Vec<u8>, Entry>>,
}

#[derive(Debug)]
struct Entry {
    principal: Principal,
    token: ApiTokenId,
    /// When the token itself expires, on Steward's clock (microseconds).
    token_expires_at: Option<i64>,
    stored: Instant,
}

impl TokenCache {
    /// The principal for a token seen less than a second ago, if the token has not
    /// expired by `now`.
    pub fn get(&self, token_hash: &[u8], now: i64) -> Option<Principal> {
        let entries = self.entries.lock().ok()?;
        let entry = entries.get(token_hash)?;
        let fresh = entry.stored.elapsed() < TOKEN_CACHE_TTL && entry.token_expires_at.is_none_or(|at| at > now);
        fresh.then(|| entry.principal.clone())
    }

    pub fn put(&self, token_hash: Vec<u8>, token: ApiTokenId, token_expires_at: Option<i64>, principal: Principal) {
        let Ok(mut entries) = self.entries.lock() else { return };
        if entries.len() >= MAX_ENTRIES {
            entries.retain(|_, entry| entry.stored.elapsed() < TOKEN_CACHE_TTL);
            if entries.len() >= MAX_ENTRIES {
                entries.clear();
            }
        }
        entries.insert(token_hash, Entry { principal, token, token_expires_at, stored: Instant::now() });
    }

    pub fn forget_token(&self, token: ApiTokenId) {
        self.forget(|entry| entry.token == token);
    }

    pub fn forget_member(&self, tenant: TenantId, member: MemberId) {
        self.forget(|entry| entry.principal.tenant == tenant && entry.principal.member == member);
    }

    pub fn forget_tenant(&self, tenant: TenantId) {
        self.forget(|entry| entry.principal.tenant == tenant);
    }

    fn forget(&self, matches: impl Fn(&Entry) -> bool) {
        if let Ok(mut entries) = self.entries.lock() {
            entries.retain(|_, entry| !matches(entry));
        }
    }
}

//! Devices a member has signed in from before, remembered by a signed cookie, so that a
//! lockout slows whoever guesses a member's password without locking the member out
//! (OWASP's device-cookie approach to brute-force protection).
//!
//! After a successful log-in the browser gets `steward_device`: for each member who
//! signed in from it (at most [`MAX_MEMBERS`], newest first), the business, the member, a
//! random nonce and a signature under a key derived from the master key. A log-in that
//! presents a valid entry for the member it names is from a trusted device: the account's
//! lockout does not stop it and its failures do not count towards the lockout; instead
//! each device's attempts are limited on their own, by its nonce. Everyone else shares the
//! account's lockout. Nothing about devices is stored: the cookie is the whole record, and
//! a member who clears their cookies is simply untrusted again.

use crate::{App, AppError};
use secrecy::ExposeSecret;
use steward_crypto::token::{constant_time_eq, signature};
use steward_crypto::{random_bytes, to_hex};
use steward_domain::ids::{MemberId, TenantId};

/// The cookie's name.
pub const DEVICE_COOKIE: &str = "steward_device";
/// How long a browser stays trusted after its last successful log-in.
pub const DEVICE_COOKIE_MAX_AGE_SECONDS: i64 = 365 * 24 * 3600;
/// Members remembered per browser: a salon's front-desk computer is shared.
pub const MAX_MEMBERS: usize = 5;

/// One member's entry in the cookie.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TrustedDevice {
    pub tenant: TenantId,
    pub member: MemberId,
    /// Random, unique to this browser and member: the key its own attempts are limited by.
    pub nonce: String,
}

type SigningKey = secrecy::SecretBox<[u8; 32]>;

fn key(app: &App) -> SigningKey {
    app.master_key.derive("device-cookie")
}

fn sign(key: &SigningKey, tenant: TenantId, member: MemberId, nonce: &str) -> String {
    signature(key.expose_secret(), &[tenant.to_string().as_bytes(), member.to_string().as_bytes(), nonce.as_bytes()])
}

/// The entries of a cookie value whose signatures hold; anything else is ignored.
pub fn read(app: &App, cookie: &str) -> Vec<TrustedDevice> {
    read_with(&key(app), cookie)
}

fn read_with(key: &SigningKey, cookie: &str) -> Vec<TrustedDevice> {
    cookie
        .split('~')
        .take(MAX_MEMBERS)
        .filter_map(|entry| {
            let mut parts = entry.split('.');
            let (tenant, member, nonce, mac) = (parts.next()?, parts.next()?, parts.next()?, parts.next()?);
            if parts.next().is_some() || nonce.len() != 32 {
                return None;
            }
            let tenant: TenantId = tenant.parse().ok()?;
            let member: MemberId = member.parse().ok()?;
            let expected = sign(key, tenant, member, nonce);
            constant_time_eq(expected.as_bytes(), mac.as_bytes()).then(|| TrustedDevice {
                tenant,
                member,
                nonce: nonce.to_string(),
            })
        })
        .collect()
}

/// The entry for `member` of `tenant` in `cookie`, when it is there and signed.
pub fn trusted_for(app: &App, cookie: Option<&str>, tenant: TenantId, member: MemberId) -> Option<TrustedDevice> {
    read(app, cookie?).into_iter().find(|d| d.tenant == tenant && d.member == member)
}

/// The cookie value after `member` signed in: their entry first (kept or new), then the
/// others this browser already had, up to [`MAX_MEMBERS`].
pub fn after_sign_in(app: &App, cookie: Option<&str>, tenant: TenantId, member: MemberId) -> Result<String, AppError> {
    let key = key(app);
    let existing = cookie.map(|c| read_with(&key, c)).unwrap_or_default();
    let mine = match existing.iter().find(|d| d.tenant == tenant && d.member == member) {
        Some(known) => known.clone(),
        None => TrustedDevice { tenant, member, nonce: to_hex(&random_bytes::<16>()?) },
    };
    let entries = std::iter::once(mine.clone())
        .chain(existing.into_iter().filter(|d| *d != mine))
        .take(MAX_MEMBERS)
        .map(|d| format!("{}.{}.{}.{}", d.tenant, d.member, d.nonce, sign(&key, d.tenant, d.member, &d.nonce)))
        .collect::<Vec<_>>();
    Ok(entries.join("~"))
}

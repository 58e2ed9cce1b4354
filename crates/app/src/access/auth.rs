//! Logging in and out, sessions, API-token authentication, email verification and
//! password reset (ACC-2, ACC-4).
//!
//! Password hashing runs on its own small thread pool and outside any database transaction, so a
//! login neither stalls other requests nor holds SQLite's write lock while argon2 works.
//! Guessing is slowed twice: per IP address (in memory) and per account (in the database:
//! five failures lock the account for a minute, doubling with each lockout up to an hour;
//! failures older than 15 minutes and lockouts older than a day are forgotten). The lock
//! holds back browsers the member never signed in from; their own browsers still get in
//! (`devices.rs`), and the member is mailed when a lock starts.

use super::devices;
use super::principal::{Credential, Principal};
use super::{API_TOKEN_PREFIX, compose_secret, split_secret};
use crate::audit;
use crate::clock::{MICROS_PER_DAY, MICROS_PER_HOUR, MICROS_PER_MINUTE};
use crate::mail::templates;
use crate::{App, AppError};
use std::collections::BTreeSet;
use steward_crypto::token::{new_secret, token_hash};
use steward_domain::contact::Email;
use steward_domain::ids::{MemberId, SessionId, TenantId};
use steward_domain::password_policy::{MAX_PASSWORD_BYTES, check_password};
use steward_domain::permissions::Permission;
use steward_store::TenantTx;
use steward_store::access::member_tokens::{self, TokenPurpose};
use steward_store::access::members::{self, MemberRow};
use steward_store::access::{api_tokens, sessions};
use steward_store::tenancy::tenants;

const FAILURES_BEFORE_LOCK: i64 = 5;
const FAILURE_MEMORY: i64 = 15 * MICROS_PER_MINUTE;
const LOCKOUT_MEMORY: i64 = MICROS_PER_DAY;
const FIRST_LOCK: i64 = MICROS_PER_MINUTE;
const LONGEST_LOCK: i64 = MICROS_PER_HOUR;
const VERIFY_LINK_LIFETIME: i64 = 48 * MICROS_PER_HOUR;
const RESET_LINK_LIFETIME: i64 = MICROS_PER_HOUR;
/// A session's last-seen time is written at most this often, keeping reads read-only.
const SESSION_TOUCH_INTERVAL: i64 = 5 * MICROS_PER_MINUTE;
const TOKEN_TOUCH_INTERVAL: i64 = MICROS_PER_MINUTE;

pub async fn hash_password_off_runtime(password: String) -> Result<String, AppError> {
    super::hashing::hash(password).await
}

async fn verify_off_runtime(password: String, stored: Option<String>) -> Result<bool, AppError> {
    super::hashing::verify(password, stored).await
}

/// The lock state after one more failed login.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct FailureOutcome {
    pub failed_count: i64,
    pub lockout_count: i64,
    pub locked_until: Option<i64>,
}

/// Pure rule for the per-account lockout, so it can be tested without a clock.
pub fn after_failed_login(member: &MemberRow, now: i64) -> FailureOutcome {
    let recent = member.last_failed_login_at.is_some_and(|at| now - at < FAILURE_MEMORY);
    let lock_remembered = member.last_failed_login_at.is_some_and(|at| now - at < LOCKOUT_MEMORY);
    let failed_count = if recent { member.failed_login_count + 1 } else { 1 };
    let lockout_count = if lock_remembered { member.lockout_count } else { 0 };
    if failed_count >= FAILURES_BEFORE_LOCK {
        let lockout_count = lockout_count + 1;
        let duration = (FIRST_LOCK << (lockout_count - 1).min(10)).min(LONGEST_LOCK);
        FailureOutcome { failed_count: 0, lockout_count, locked_until: Some(now + duration) }
    } else {
        FailureOutcome { failed_count, lockout_count, locked_until: None }
    }
}

/// What a successful login hands back to set the cookie.
#[derive(Debug, Clone)]
pub struct IssuedSession {
    /// The cookie value: `<tenant>.<secret>`. Shown to the browser once; only its hash is stored.
    pub cookie_value: String,
    pub csrf_token: String,
    pub member: MemberId,
    pub tenant: TenantId,
    pub max_age_seconds: i64,
    /// The `steward_device` cookie to set after a log-in with a password.
    pub device_cookie: Option<String>,
}

/// Where a login comes from, for the rate limit and the session record.
#[derive(Debug, Clone, Default)]
pub struct ClientInfo {
    pub ip: Option<String>,
    pub user_agent: Option<String>,
    pub request_id: Option<String>,
}

/// Logs a member in. `replacing` is the session cookie the browser already had, which is
/// ended so that a session is never reused across a login (rotation).
pub async fn log_in(
    app: &App,
    slug: &str,
    email: &str,
    password: &str,
    client: &ClientInfo,
    replacing: Option<&str>,
) -> Result<IssuedSession, AppError> {
    log_in_on_device(app, LogIn { slug, email, password, client, replacing, device: None }).await
}

/// A log-in as the page submits it: the credentials, where they come from, and the
/// cookies the browser already had.
#[derive(Debug, Clone, Copy)]
pub struct LogIn<'a> {
    pub slug: &'a str,
    pub email: &'a str,
    pub password: &'a str,
    pub client: &'a ClientInfo,
    /// The session cookie the browser had, ended by the new session.
    pub replacing: Option<&'a str>,
    /// The `steward_device` cookie the browser had ([`devices`](super::devices)).
    pub device: Option<&'a str>,
}

/// Logs a member in, trusting a browser they signed in from before (ACC-4).
///
/// Every refusal a stranger can cause is the same answer in about the same time, whether
/// the address belongs to a member or not and whether the account is locked: a password
/// hash is always checked, and a locked account answers "wrong credentials" like an
/// unknown one. The lockout stops only browsers the member has not signed in from; a
/// trusted browser's attempts are limited on their own ([`devices`](super::devices)).
pub async fn log_in_on_device(app: &App, attempt: LogIn<'_>) -> Result<IssuedSession, AppError> {
    let LogIn { slug, email, password, client, replacing, device } = attempt;
    let now = app.now();
    if let Err(wait) = app.login_limiter.check(client.ip.as_deref().unwrap_or("unknown"), now) {
        return Err(AppError::RateLimited(wait));
    }
    if password.len() > MAX_PASSWORD_BYTES {
        return Err(AppError::BadCredentials);
    }
    let email = Email::parse("email", email).map_err(|_| AppError::BadCredentials)?;
    let Some(tenant) = crate::tenancy::find_by_slug(app, slug).await? else {
        verify_off_runtime(password.to_string(), None).await?;
        return Err(AppError::BadCredentials);
    };
    if !tenant.status.is_open() {
        return Err(AppError::NotAllowed(
            "this business's account is closed; its data is being deleted as its owner was told".into(),
        ));
    }
    let mut tx = app.store.begin_tenant_read(tenant.id).await?;
    let member = members::find_by_email(&mut tx, email.as_str()).await?;
    tx.commit().await?;
    let member = match member {
        Some(m) if m.removed_at.is_none() && m.password_hash.is_some() => m,
        _ => {
            verify_off_runtime(password.to_string(), None).await?;
            return Err(AppError::BadCredentials);
        }
    };
    // A trusted browser that guesses too often is trusted no more for a while.
    let trusted = devices::trusted_for(app, device, tenant.id, member.id)
        .filter(|d| app.device_limiter.check(&d.nonce, now).is_ok());
    let locked = member.locked_until.is_some_and(|until| until > now);
    let matches = verify_off_runtime(password.to_string(), member.password_hash.clone()).await?;
    if locked && trusted.is_none() {
        tracing::info!(tenant = %tenant.id, member = %member.id, "login refused: the account is locked for new browsers");
        return Err(AppError::BadCredentials);
    }
    let (writer_app, writer_member, writer_client) = (app.clone(), member.clone(), client.clone());
    let (replacing, trusted_device) = (replacing.map(str::to_string), trusted.is_some());
    let outcome = app
        .store
        .write(tenant.id, move |mut tx| async move {
            let (app, member, client) = (&writer_app, &writer_member, &writer_client);
            if !matches {
                // The member's own browser counts nothing towards the lock: the device
                // limiter holds it back instead.
                let locked_until = if trusted_device {
                    None
                } else {
                    let outcome = after_failed_login(member, now);
                    let FailureOutcome { failed_count, lockout_count, locked_until } = outcome;
                    members::record_failed_login(&mut tx, member.id, failed_count, lockout_count, locked_until, now)
                        .await?;
                    locked_until
                };
                let details = serde_json::json!({ "locked": locked_until.is_some(), "trusted_device": trusted_device });
                let target = Some(("member", member.id.to_string()));
                audit::record(
                    app,
                    &mut tx,
                    audit::by_system(client, Some(member.id.as_uuid()), "member.login_failed", target, details),
                )
                .await?;
                tx.commit().await?;
                return Ok(LoginOutcome::Failed { locked_until });
            }
            members::record_login(&mut tx, member.id, now).await?;
            if let Some((old_tenant, old_secret)) = replacing.as_deref().and_then(split_secret)
                && old_tenant == tx.tenant()
                && let Some(old) = sessions::find_live(&mut tx, token_hash(old_secret), now).await?
            {
                sessions::delete(&mut tx, old.id).await?;
            }
            // A device is new when the member has signed in before, but never with this
            // browser.
            let device_is_new = member.last_login_at.is_some()
                && !steward_store::audit::has_login_from(&mut tx, member.id.as_uuid(), client.user_agent.as_deref())
                    .await?;
            let event = audit::by_member_id(member.id, client, "member.login", None, serde_json::json!({}));
            audit::record(app, &mut tx, event).await?;
            let issued = open_session(app, &mut tx, member.id, client).await?;
            tx.commit().await?;
            Ok::<_, AppError>(LoginOutcome::SignedIn { issued, device_is_new })
        })
        .await?;
    let (mut issued, device_is_new) = match outcome {
        LoginOutcome::SignedIn { issued, device_is_new } => (issued, device_is_new),
        LoginOutcome::Failed { locked_until } => {
            tracing::info!(tenant = %tenant.id, member = %member.id, locked = locked_until.is_some(), "login failed");
            if let Some(until) = locked_until {
                let mail = templates::account_locked(
                    &member.email,
                    &member.name,
                    &tenant.name,
                    &crate::clock::format_instant(until),
                    app.link("/forgot"),
                );
                crate::mail::send_in_background(app, tenant.id, mail);
            }
            return Err(AppError::BadCredentials);
        }
    };
    issued.device_cookie = Some(devices::after_sign_in(app, device, tenant.id, member.id)?);
    tracing::info!(tenant = %tenant.id, member = %member.id, "login");
    if device_is_new {
        let (browser, os) =
            steward_domain::user_agent::browser_and_os(client.user_agent.as_deref().unwrap_or_default());
        let device = format!("{} on {}", browser.unwrap_or("an unknown browser"), os.unwrap_or("an unknown system"));
        let mail = templates::new_sign_in(
            &member.email,
            &member.name,
            &tenant.name,
            &device,
            client.ip.as_deref().unwrap_or("unknown"),
            &crate::clock::format_instant(now),
            app.link("/app/account"),
        );
        crate::mail::send_in_background(app, tenant.id, mail);
    }
    Ok(issued)
}

/// How a login's write transaction ended: the mail a lock sends, and the answer, come
/// after the commit.
enum LoginOutcome {
    Failed { locked_until: Option<i64> },
    SignedIn { issued: IssuedSession, device_is_new: bool },
}

/// Starts a session for a member inside the caller's transaction.
pub async fn open_session(
    app: &App,
    tx: &mut TenantTx,
    member: MemberId,
    client: &ClientInfo,
) -> Result<IssuedSession, AppError> {
    let now = app.now();
    let secret = new_secret()?;
    let csrf_token = new_secret()?;
    let idle = app.settings.session_idle_minutes * MICROS_PER_MINUTE;
    let user_agent: Option<String> = client.user_agent.as_deref().map(|ua| ua.chars().take(300).collect());
    let session = sessions::NewSession {
        id: SessionId::generate(),
        member,
        token_hash: token_hash(&secret),
        csrf_token: &csrf_token,
        ip: client.ip.as_deref(),
        user_agent: user_agent.as_deref(),
        expires_at: now + idle,
    };
    sessions::insert(tx, session, now).await?;
    Ok(IssuedSession {
        cookie_value: compose_secret(tx.tenant(), &secret),
        csrf_token,
        member,
        tenant: tx.tenant(),
        max_age_seconds: app.settings.session_idle_minutes * 60,
        device_cookie: None,
    })
}

/// Starts a session in a transaction of its own (right after sign-up).
pub async fn start_session(
    app: &App,
    tenant: TenantId,
    member: MemberId,
    client: &ClientInfo,
) -> Result<IssuedSession, AppError> {
    let (writer_app, client) = (app.clone(), client.clone());
    app.store
        .write(tenant, move |mut tx| async move {
            let issued = open_session(&writer_app, &mut tx, member, &client).await?;
            tx.commit().await?;
            Ok(issued)
        })
        .await
}

/// Ends the session behind a cookie value, if it is live.
pub async fn log_out(app: &App, who: &Principal) -> Result<(), AppError> {
    if let Some(session) = who.session_id() {
        let (writer_app, who) = (app.clone(), who.clone());
        app.store
            .write(who.tenant, move |mut tx| async move {
                sessions::delete(&mut tx, session).await?;
                let event = audit::by(&who, "member.logout", None, serde_json::json!({}));
                audit::record(&writer_app, &mut tx, event).await?;
                tx.commit().await?;
                Ok::<_, AppError>(())
            })
            .await?;
    }
    Ok(())
}

fn principal_of(member: MemberRow, tenant: TenantId, credential: Credential, scopes: Option<&[String]>) -> Principal {
    let mut permissions: BTreeSet<Permission> = member.role_permissions.iter().filter_map(|p| p.parse().ok()).collect();
    if let Some(scopes) = scopes {
        let allowed: BTreeSet<Permission> = scopes.iter().filter_map(|p| p.parse().ok()).collect();
        permissions = permissions.intersection(&allowed).copied().collect();
    }
    Principal {
        tenant,
        member: member.id,
        name: member.name,
        email: member.email,
        role: member.role_name,
        email_verified: member.email_verified_at.is_some(),
        permissions,
        theme: steward_domain::theme::Theme::parse("theme", &member.theme).unwrap_or_default(),
        credential,
        origin: ClientInfo::default(),
    }
}

/// The member behind a session cookie, or `Unauthenticated`.
pub async fn authenticate_session(app: &App, cookie_value: &str) -> Result<Principal, AppError> {
    let (tenant, secret) = split_secret(cookie_value).ok_or(AppError::Unauthenticated)?;
    let now = app.now();
    let mut tx = app.store.begin_tenant_read(tenant).await?;
    let (session, member) =
        sessions::find_live_with_member(&mut tx, token_hash(secret), now).await?.ok_or(AppError::Unauthenticated)?;
    tx.commit().await?;
    if member.removed_at.is_some() {
        return Err(AppError::Unauthenticated);
    }
    if now - session.last_seen_at > SESSION_TOUCH_INTERVAL {
        let (id, expires_at) = (session.id, now + app.settings.session_idle_minutes * MICROS_PER_MINUTE);
        app.store
            .write(tenant, move |mut tx| async move {
                sessions::touch(&mut tx, id, now, expires_at).await?;
                tx.commit().await?;
                Ok::<_, AppError>(())
            })
            .await?;
    }
    Ok(principal_of(member, tenant, Credential::Session { id: session.id, csrf_token: session.csrf_token }, None))
}

/// The member behind an API token (`stw_<tenant>_<secret>`), narrowed to its scopes.
pub async fn authenticate_token(app: &App, token: &str) -> Result<Principal, AppError> {
    let rest = token.strip_prefix(API_TOKEN_PREFIX).ok_or(AppError::Unauthenticated)?;
    let (tenant, secret) =
        split_secret(&rest.replacen('_', ".", 1)).map(|(t, s)| (t, s.to_string())).ok_or(AppError::Unauthenticated)?;
    let hash = token_hash(&secret);
    let now = app.now();
    if let Some(principal) = app.token_cache.get(&hash, now) {
        return Ok(principal);
    }
    let mut tx = app.store.begin_tenant_read(tenant).await?;
    let (found, member) =
        api_tokens::find_live_with_member(&mut tx, hash.clone(), now).await?.ok_or(AppError::Unauthenticated)?;
    tx.commit().await?;
    if member.removed_at.is_some() {
        return Err(AppError::Unauthenticated);
    }
    if found.last_used_at.is_none_or(|at| now - at > TOKEN_TOUCH_INTERVAL) {
        let id = found.id;
        app.store
            .write(tenant, move |mut tx| async move {
                api_tokens::touch(&mut tx, id, now).await?;
                tx.commit().await?;
                Ok::<_, AppError>(())
            })
            .await?;
    }
    let principal = principal_of(member, tenant, Credential::ApiToken { id: found.id }, Some(&found.scopes));
    app.token_cache.put(hash, found.id, found.expires_at, principal.clone());
    Ok(principal)
}

/// Creates an email-verification link for a member, inside the caller's transaction.
pub async fn issue_verification(app: &App, tx: &mut TenantTx, member: MemberId) -> Result<String, AppError> {
    let now = app.now();
    let secret = new_secret()?;
    member_tokens::withdraw(tx, member, TokenPurpose::VerifyEmail, now).await?;
    member_tokens::insert(tx, member, TokenPurpose::VerifyEmail, token_hash(&secret), now, now + VERIFY_LINK_LIFETIME)
        .await?;
    Ok(app.link(&format!("/verify/{}", compose_secret(tx.tenant(), &secret))))
}

/// Sends a fresh verification mail to the signed-in member.
pub async fn resend_verification(app: &App, who: &Principal) -> Result<(), AppError> {
    if who.email_verified {
        return Ok(());
    }
    let (writer_app, member) = (app.clone(), who.member);
    let (link, tenant) = app
        .store
        .write(who.tenant, move |mut tx| async move {
            let link = issue_verification(&writer_app, &mut tx, member).await?;
            let tenant = tenants::current(&mut tx).await?;
            tx.commit().await?;
            Ok::<_, AppError>((link, tenant))
        })
        .await?;
    crate::mail::send_in_background(
        app,
        who.tenant,
        templates::verify_email(&who.email, &who.name, &tenant.name, link),
    );
    Ok(())
}

/// Confirms an email address from a mailed link.
pub async fn verify_email(app: &App, link_token: &str) -> Result<(), AppError> {
    let (tenant, secret) = split_secret(link_token).ok_or(AppError::LinkInvalid)?;
    let now = app.now();
    let (writer_app, hash) = (app.clone(), token_hash(secret));
    app.store
        .write(tenant, move |mut tx| async move {
            let member = member_tokens::consume(&mut tx, TokenPurpose::VerifyEmail, hash, now)
                .await?
                .ok_or(AppError::LinkInvalid)?;
            members::mark_email_verified(&mut tx, member, now).await?;
            let event = audit::by_member_id(
                member,
                &ClientInfo::default(),
                "member.email_verified",
                None,
                serde_json::json!({}),
            );
            audit::record(&writer_app, &mut tx, event).await?;
            tx.commit().await?;
            Ok(())
        })
        .await
}

/// Mails a reset link if the address is an active member of the workspace. Answers the
/// same either way, so the form cannot be used to find out who is a member.
pub async fn request_password_reset(app: &App, slug: &str, email: &str, client: &ClientInfo) -> Result<(), AppError> {
    let now = app.now();
    if let Err(wait) = app.login_limiter.check(client.ip.as_deref().unwrap_or("unknown"), now) {
        return Err(AppError::RateLimited(wait));
    }
    let email = Email::parse("email", email)?;
    let Some(tenant) = crate::tenancy::find_by_slug(app, slug).await?.filter(|t| t.status.is_open()) else {
        return Ok(());
    };
    let (writer_app, client) = (app.clone(), client.clone());
    let requested = app
        .store
        .write(tenant.id, move |mut tx| async move {
            let Some(member) =
                members::find_by_email(&mut tx, email.as_str()).await?.filter(|m| m.removed_at.is_none())
            else {
                return Ok(None);
            };
            let secret = new_secret()?;
            member_tokens::withdraw(&mut tx, member.id, TokenPurpose::ResetPassword, now).await?;
            member_tokens::insert(
                &mut tx,
                member.id,
                TokenPurpose::ResetPassword,
                token_hash(&secret),
                now,
                now + RESET_LINK_LIFETIME,
            )
            .await?;
            let target = Some(("member", member.id.to_string()));
            let event = audit::by_system(
                &client,
                Some(member.id.as_uuid()),
                "member.password_reset_requested",
                target,
                serde_json::json!({}),
            );
            audit::record(&writer_app, &mut tx, event).await?;
            tx.commit().await?;
            Ok::<_, AppError>(Some((member, secret)))
        })
        .await?;
    let Some((member, secret)) = requested else {
        return Ok(());
    };
    let link = app.link(&format!("/reset/{}", compose_secret(tenant.id, &secret)));
    crate::mail::send_in_background(
        app,
        tenant.id,
        templates::password_reset(&member.email, &member.name, &tenant.name, link),
    );
    Ok(())
}

/// Sets a new password from a reset link. Every session of the member ends, and the email
/// counts as verified (the link proved the mailbox).
pub async fn reset_password(app: &App, link_token: &str, new_password: &str) -> Result<(), AppError> {
    let (tenant, secret) = split_secret(link_token).ok_or(AppError::LinkInvalid)?;
    let now = app.now();
    // The link is checked before the slow hash, and consumed after it, in one transaction.
    let mut tx = app.store.begin_tenant_read(tenant).await?;
    let valid = member_tokens::peek(&mut tx, TokenPurpose::ResetPassword, token_hash(secret), now).await?;
    tx.commit().await?;
    let (_, email) = valid.ok_or(AppError::LinkInvalid)?;
    check_password("password", new_password, &email)?;
    let hash = hash_password_off_runtime(new_password.to_string()).await?;
    let (writer_app, link_hash) = (app.clone(), token_hash(secret));
    app.store
        .write(tenant, move |mut tx| async move {
            let member = member_tokens::consume(&mut tx, TokenPurpose::ResetPassword, link_hash, now)
                .await?
                .ok_or(AppError::LinkInvalid)?;
            members::set_password_hash(&mut tx, member, &hash, now).await?;
            members::mark_email_verified(&mut tx, member, now).await?;
            sessions::delete_for_member(&mut tx, member, None).await?;
            let event = audit::by_member_id(
                member,
                &ClientInfo::default(),
                "member.password_reset",
                None,
                serde_json::json!({}),
            );
            audit::record(&writer_app, &mut tx, event).await?;
            tx.commit().await?;
            Ok(())
        })
        .await
}

/// Changes the signed-in member's password after checking the current one; every other
/// session of theirs ends.
pub async fn change_password(app: &App, who: &Principal, current: &str, new_password: &str) -> Result<(), AppError> {
    let mut tx = app.store.begin_tenant_read(who.tenant).await?;
    let member = members::find(&mut tx, who.member).await?.ok_or(AppError::Unauthenticated)?;
    tx.commit().await?;
    if !verify_off_runtime(current.to_string(), member.password_hash.clone()).await? {
        return Err(AppError::invalid("current_password", "is not your current password"));
    }
    check_password("new_password", new_password, &member.email)?;
    let hash = hash_password_off_runtime(new_password.to_string()).await?;
    let (writer_app, writer_who) = (app.clone(), who.clone());
    let tenant = app
        .store
        .write(who.tenant, move |mut tx| async move {
            let (app, who) = (&writer_app, &writer_who);
            members::set_password_hash(&mut tx, who.member, &hash, app.now()).await?;
            sessions::delete_for_member(&mut tx, who.member, who.session_id()).await?;
            let event = audit::by(who, "member.password_changed", None, serde_json::json!({}));
            audit::record(app, &mut tx, event).await?;
            let tenant = tenants::current(&mut tx).await?;
            tx.commit().await?;
            Ok::<_, AppError>(tenant)
        })
        .await?;
    let at = crate::clock::format_instant(app.now());
    let mail = templates::password_changed(&who.email, &who.name, &tenant.name, &at, app.link("/forgot"));
    crate::mail::send_in_background(app, who.tenant, mail);
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use steward_domain::ids::RoleId;

    fn member(failed: i64, lockouts: i64, last_failed: Option<i64>) -> MemberRow {
        MemberRow {
            id: MemberId::generate(),
            email: "m@example.com".into(),
            name: "M".into(),
            phone: None,
            role_id: RoleId::generate(),
            role_name: "staff".into(),
            role_permissions: vec![],
            password_hash: None,
            email_verified_at: None,
            failed_login_count: failed,
            last_failed_login_at: last_failed,
            lockout_count: lockouts,
            locked_until: None,
            last_login_at: None,
            removed_at: None,
            created_at: 0,
            theme: "device".into(),
        }
    }

    #[test]
    fn the_fifth_recent_failure_locks_and_locks_double() {
        // promise: ACC-4
        let now = 10 * MICROS_PER_DAY;
        let fourth = after_failed_login(&member(3, 0, Some(now - MICROS_PER_MINUTE)), now);
        assert_eq!(fourth, FailureOutcome { failed_count: 4, lockout_count: 0, locked_until: None });
        let fifth = after_failed_login(&member(4, 0, Some(now - MICROS_PER_MINUTE)), now);
        assert_eq!(fifth.locked_until, Some(now + MICROS_PER_MINUTE));
        let again = after_failed_login(&member(4, 1, Some(now - MICROS_PER_MINUTE)), now);
        assert_eq!(again.locked_until, Some(now + 2 * MICROS_PER_MINUTE));
        let capped = after_failed_login(&member(4, 30, Some(now - MICROS_PER_MINUTE)), now);
        assert_eq!(capped.locked_until, Some(now + MICROS_PER_HOUR));
    }

    #[test]
    fn old_failures_and_lockouts_decay() {
        let now = 10 * MICROS_PER_DAY;
        let stale = after_failed_login(&member(4, 3, Some(now - 20 * MICROS_PER_MINUTE)), now);
        assert_eq!(stale, FailureOutcome { failed_count: 1, lockout_count: 3, locked_until: None });
        let forgotten = after_failed_login(&member(4, 3, Some(now - 2 * MICROS_PER_DAY)), now);
        assert_eq!(forgotten, FailureOutcome { failed_count: 1, lockout_count: 0, locked_until: None });
    }
}

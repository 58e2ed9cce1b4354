//! Members: the people who log in for a tenant, with their login-throttling state.
//! A removed member keeps the row (other records point at it) but loses every way in.

use crate::{Micros, Row, StoreError, TenantTx, args};
use steward_domain::ids::{MemberId, RoleId};

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct MemberRow {
    pub id: MemberId,
    pub email: String,
    pub name: String,
    pub phone: Option<String>,
    pub role_id: RoleId,
    pub role_name: String,
    pub role_permissions: Vec<String>,
    pub password_hash: Option<String>,
    pub email_verified_at: Option<Micros>,
    pub failed_login_count: i64,
    pub last_failed_login_at: Option<Micros>,
    pub lockout_count: i64,
    pub locked_until: Option<Micros>,
    pub last_login_at: Option<Micros>,
    pub removed_at: Option<Micros>,
    pub created_at: Micros,
    /// `device`, `light` or `dark`.
    pub theme: String,
}

/// Selects members with their role; `$extra_columns` and `$join` let sessions and API
/// tokens find their member in the same query.
macro_rules! select_members {
    ($tail:literal) => {
        $crate::access::members::select_members!("", "", $tail)
    };
    ($extra_columns:literal, $join:literal, $tail:literal) => {
        concat!(
            "SELECT m.id, m.email, m.name, m.phone, m.role_id, r.name AS role_name, r.permissions AS role_permissions,
                    m.password_hash, m.email_verified_at, m.failed_login_count, m.last_failed_login_at,
                    m.lockout_count, m.locked_until, m.last_login_at, m.removed_at, m.created_at, m.theme",
            $extra_columns,
            " FROM members m JOIN roles r ON r.tenant_id = m.tenant_id AND r.id = m.role_id ",
            $join,
            " WHERE m.tenant_id = $1 ",
            $tail
        )
    };
}
pub(crate) use select_members;

pub(crate) fn from_row(row: &Row) -> Result<MemberRow, StoreError> {
    let permissions: String = row.get("role_permissions")?;
    Ok(MemberRow {
        id: MemberId(row.get("id")?),
        email: row.get("email")?,
        name: row.get("name")?,
        phone: row.get("phone")?,
        role_id: RoleId(row.get("role_id")?),
        role_name: row.get("role_name")?,
        role_permissions: permissions.split_whitespace().map(str::to_string).collect(),
        password_hash: row.get("password_hash")?,
        email_verified_at: row.get("email_verified_at")?,
        failed_login_count: row.get("failed_login_count")?,
        last_failed_login_at: row.get("last_failed_login_at")?,
        lockout_count: row.get("lockout_count")?,
        locked_until: row.get("locked_until")?,
        last_login_at: row.get("last_login_at")?,
        removed_at: row.get("removed_at")?,
        created_at: row.get("created_at")?,
        theme: row.get("theme")?,
    })
}

/// What a new member starts with.
#[derive(Debug, Clone)]
pub struct NewMember<'a> {
    pub id: MemberId,
    pub email: &'a str,
    pub name: &'a str,
    pub phone: Option<&'a str>,
    pub role_id: RoleId,
    pub password_hash: Option<&'a str>,
    pub email_verified_at: Option<Micros>,
}

pub async fn insert(tx: &mut TenantTx, member: &NewMember<'_>, now: Micros) -> Result<(), StoreError> {
    tx.execute(
        "INSERT INTO members (tenant_id, id, email, name, phone, role_id, password_hash, email_verified_at, created_at, updated_at)
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $9)",
        args![member.id, member.email, member.name, member.phone, member.role_id, member.password_hash, member.email_verified_at, now],
    )
    .await?;
    Ok(())
}

pub async fn find(tx: &mut TenantTx, id: MemberId) -> Result<Option<MemberRow>, StoreError> {
    let row = tx.fetch_optional(select_members!("AND m.id = $2"), args![id]).await?;
    row.as_ref().map(from_row).transpose()
}

pub async fn find_by_email(tx: &mut TenantTx, email: &str) -> Result<Option<MemberRow>, StoreError> {
    let row = tx.fetch_optional(select_members!("AND m.email = $2"), args![email]).await?;
    row.as_ref().map(from_row).transpose()
}

/// Members still active, by name.
pub async fn list(tx: &mut TenantTx) -> Result<Vec<MemberRow>, StoreError> {
    let rows = tx.fetch_all(select_members!("AND m.removed_at IS NULL ORDER BY m.name, m.email"), args![]).await?;
    rows.iter().map(from_row).collect()
}

pub async fn count_active_with_role(tx: &mut TenantTx, role_name: &str) -> Result<i64, StoreError> {
    let row = tx
        .fetch_one(
            "SELECT COUNT(*) AS n FROM members m JOIN roles r ON r.tenant_id = m.tenant_id AND r.id = m.role_id
             WHERE m.tenant_id = $1 AND r.name = $2 AND r.builtin = TRUE AND m.removed_at IS NULL",
            args![role_name],
        )
        .await?;
    row.get("n")
}

pub async fn set_role(tx: &mut TenantTx, id: MemberId, role: RoleId, now: Micros) -> Result<bool, StoreError> {
    let n = tx
        .execute(
            "UPDATE members SET role_id = $3, updated_at = $4 WHERE tenant_id = $1 AND id = $2 AND removed_at IS NULL",
            args![id, role, now],
        )
        .await?;
    Ok(n == 1)
}

pub async fn update_profile(
    tx: &mut TenantTx,
    id: MemberId,
    name: &str,
    phone: Option<&str>,
    now: Micros,
) -> Result<bool, StoreError> {
    let n = tx
        .execute(
            "UPDATE members SET name = $3, phone = $4, updated_at = $5 WHERE tenant_id = $1 AND id = $2 AND removed_at IS NULL",
            args![id, name, phone, now],
        )
        .await?;
    Ok(n == 1)
}

/// The member's colours (`device`, `light` or `dark`).
pub async fn set_theme(tx: &mut TenantTx, id: MemberId, theme: &str, now: Micros) -> Result<bool, StoreError> {
    let n = tx
        .execute(
            "UPDATE members SET theme = $3, updated_at = $4 WHERE tenant_id = $1 AND id = $2 AND removed_at IS NULL",
            args![id, theme, now],
        )
        .await?;
    Ok(n == 1)
}

pub async fn set_password_hash(tx: &mut TenantTx, id: MemberId, hash: &str, now: Micros) -> Result<(), StoreError> {
    tx.execute(
        "UPDATE members SET password_hash = $3, failed_login_count = 0, locked_until = NULL, updated_at = $4
         WHERE tenant_id = $1 AND id = $2",
        args![id, hash, now],
    )
    .await?;
    Ok(())
}

pub async fn mark_email_verified(tx: &mut TenantTx, id: MemberId, now: Micros) -> Result<(), StoreError> {
    tx.execute(
        "UPDATE members SET email_verified_at = COALESCE(email_verified_at, $3), updated_at = $3 WHERE tenant_id = $1 AND id = $2",
        args![id, now],
    )
    .await?;
    Ok(())
}

/// Stores the outcome of a failed login: the decayed failure count, and a lock if one began.
pub async fn record_failed_login(
    tx: &mut TenantTx,
    id: MemberId,
    failed_count: i64,
    lockout_count: i64,
    locked_until: Option<Micros>,
    now: Micros,
) -> Result<(), StoreError> {
    tx.execute(
        "UPDATE members SET failed_login_count = $3, lockout_count = $4, locked_until = $5, last_failed_login_at = $6
         WHERE tenant_id = $1 AND id = $2",
        args![id, failed_count, lockout_count, locked_until, now],
    )
    .await?;
    Ok(())
}

pub async fn record_login(tx: &mut TenantTx, id: MemberId, now: Micros) -> Result<(), StoreError> {
    tx.execute(
        "UPDATE members SET failed_login_count = 0, locked_until = NULL, last_login_at = $3 WHERE tenant_id = $1 AND id = $2",
        args![id, now],
    )
    .await?;
    Ok(())
}

/// Removes a member: no password, no sessions, no tokens; the row stays for references.
pub async fn remove(tx: &mut TenantTx, id: MemberId, now: Micros) -> Result<bool, StoreError> {
    let n = tx
        .execute(
            "UPDATE members SET removed_at = $3, password_hash = NULL, updated_at = $3 WHERE tenant_id = $1 AND id = $2 AND removed_at IS NULL",
            args![id, now],
        )
        .await?;
    tx.execute("DELETE FROM sessions WHERE tenant_id = $1 AND member_id = $2", args![id]).await?;
    tx.execute(
        "UPDATE api_tokens SET revoked_at = $3 WHERE tenant_id = $1 AND member_id = $2 AND revoked_at IS NULL",
        args![id, now],
    )
    .await?;
    tx.execute("DELETE FROM member_tokens WHERE tenant_id = $1 AND member_id = $2", args![id]).await?;
    Ok(n == 1)
}

/// Brings a removed member back (accepting a new invitation) with a new role and name.
pub async fn reinstate(
    tx: &mut TenantTx,
    id: MemberId,
    name: &str,
    role: RoleId,
    password_hash: &str,
    now: Micros,
) -> Result<(), StoreError> {
    tx.execute(
        "UPDATE members SET removed_at = NULL, name = $3, role_id = $4, password_hash = $5, email_verified_at = COALESCE(email_verified_at, $6),
                failed_login_count = 0, locked_until = NULL, updated_at = $6
         WHERE tenant_id = $1 AND id = $2",
        args![id, name, role, password_hash, now],
    )
    .await?;
    Ok(())
}

/// Every row about one member, table by table, for the copy an administrator gives them
/// (ACC-5): their profile, sessions, API tokens, policy acceptances, what they did (the
/// audit log) and the features they used.
pub async fn own_data(tx: &mut TenantTx, member: MemberId) -> Result<Vec<(&'static str, Vec<crate::Row>)>, StoreError> {
    const TABLES: [(&str, &str); 6] = [
        (
            "members",
            "SELECT id, email, name, phone, email_verified_at, last_login_at, removed_at, created_at, updated_at
             FROM members WHERE tenant_id = $1 AND id = $2",
        ),
        (
            "sessions",
            "SELECT id, ip, user_agent, created_at, last_seen_at, expires_at FROM sessions
             WHERE tenant_id = $1 AND member_id = $2 ORDER BY created_at",
        ),
        (
            "api_tokens",
            "SELECT id, name, token_hint, scopes, created_at, expires_at, last_used_at, revoked_at FROM api_tokens
             WHERE tenant_id = $1 AND member_id = $2 ORDER BY created_at",
        ),
        (
            "policy_acceptances",
            "SELECT policy_version, accepted_at, ip FROM policy_acceptances WHERE tenant_id = $1 AND member_id = $2",
        ),
        (
            "audit_events",
            "SELECT seq, at, action, target_type, target_id, details, ip, user_agent FROM audit_events
             WHERE tenant_id = $1 AND actor_id = $2 ORDER BY seq",
        ),
        (
            "usage_events",
            "SELECT at, feature, ip, browser, os FROM usage_events WHERE tenant_id = $1 AND member_id = $2 ORDER BY at",
        ),
    ];
    let mut out = Vec::new();
    for (table, sql) in TABLES {
        out.push((table, tx.fetch_all(sql, args![member]).await?));
    }
    Ok(out)
}

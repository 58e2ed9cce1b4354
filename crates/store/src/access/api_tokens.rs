//! API tokens: shown once, stored as a SHA-256, scoped to a subset of permissions,
//! revocable. `token_hint` keeps the last four characters so a member can tell tokens apart.

use super::members::MemberRow;
use crate::{Micros, Row, StoreError, TenantTx, args};
use steward_domain::ids::{ApiTokenId, MemberId};

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ApiTokenRow {
    pub id: ApiTokenId,
    pub member_id: MemberId,
    pub name: String,
    pub token_hint: String,
    pub scopes: Vec<String>,
    pub created_at: Micros,
    pub expires_at: Option<Micros>,
    pub last_used_at: Option<Micros>,
    pub revoked_at: Option<Micros>,
}

fn from_row(row: &Row) -> Result<ApiTokenRow, StoreError> {
    let scopes: String = row.get("scopes")?;
    Ok(ApiTokenRow {
        id: ApiTokenId(row.get("id")?),
        member_id: MemberId(row.get("member_id")?),
        name: row.get("name")?,
        token_hint: row.get("token_hint")?,
        scopes: scopes.split_whitespace().map(str::to_string).collect(),
        created_at: row.get("created_at")?,
        expires_at: row.get("expires_at")?,
        last_used_at: row.get("last_used_at")?,
        revoked_at: row.get("revoked_at")?,
    })
}

pub async fn insert(tx: &mut TenantTx, token: &ApiTokenRow, token_hash: Vec<u8>) -> Result<(), StoreError> {
    tx.execute(
        "INSERT INTO api_tokens (tenant_id, id, member_id, name, token_hint, token_hash, scopes, created_at, expires_at)
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9)",
        args![token.id, token.member_id, &token.name, &token.token_hint, token_hash, token.scopes.join(" "), token.created_at, token.expires_at],
    )
    .await?;
    Ok(())
}

/// The usable token with this hash and its member, in one query (the hot path of every
/// API request).
pub async fn find_live_with_member(
    tx: &mut TenantTx,
    token_hash: Vec<u8>,
    now: Micros,
) -> Result<Option<(ApiTokenRow, MemberRow)>, StoreError> {
    let sql = super::members::select_members!(
        ", t.id AS token_id, t.name AS token_name, t.token_hint, t.scopes, t.created_at AS token_created_at,
           t.expires_at AS token_expires_at, t.last_used_at, t.revoked_at",
        "JOIN api_tokens t ON t.tenant_id = m.tenant_id AND t.member_id = m.id",
        "AND t.token_hash = $2 AND t.revoked_at IS NULL AND (t.expires_at IS NULL OR t.expires_at > $3)"
    );
    let Some(row) = tx.fetch_optional(sql, args![token_hash, now]).await? else {
        return Ok(None);
    };
    let scopes: String = row.get("scopes")?;
    let token = ApiTokenRow {
        id: ApiTokenId(row.get("token_id")?),
        member_id: MemberId(row.get("id")?),
        name: row.get("token_name")?,
        token_hint: row.get("token_hint")?,
        scopes: scopes.split_whitespace().map(str::to_string).collect(),
        created_at: row.get("token_created_at")?,
        expires_at: row.get("token_expires_at")?,
        last_used_at: row.get("last_used_at")?,
        revoked_at: row.get("revoked_at")?,
    };
    Ok(Some((token, super::members::from_row(&row)?)))
}

pub async fn list_for_member(tx: &mut TenantTx, member: MemberId) -> Result<Vec<ApiTokenRow>, StoreError> {
    let rows = tx
        .fetch_all(
            "SELECT id, member_id, name, token_hint, scopes, created_at, expires_at, last_used_at, revoked_at FROM api_tokens
             WHERE tenant_id = $1 AND member_id = $2 ORDER BY created_at DESC",
            args![member],
        )
        .await?;
    rows.iter().map(from_row).collect()
}

pub async fn revoke(tx: &mut TenantTx, id: ApiTokenId, member: MemberId, now: Micros) -> Result<bool, StoreError> {
    let n = tx
        .execute(
            "UPDATE api_tokens SET revoked_at = $4 WHERE tenant_id = $1 AND id = $2 AND member_id = $3 AND revoked_at IS NULL",
            args![id, member, now],
        )
        .await?;
    Ok(n == 1)
}

pub async fn touch(tx: &mut TenantTx, id: ApiTokenId, now: Micros) -> Result<(), StoreError> {
    tx.execute("UPDATE api_tokens SET last_used_at = $3 WHERE tenant_id = $1 AND id = $2", args![id, now]).await?;
    Ok(())
}

//! Login sessions, found by the SHA-256 of the cookie's secret (the secret itself is
//! never stored).

use super::members::MemberRow;
use crate::{Micros, Row, StoreError, TenantTx, args};
use steward_domain::ids::{MemberId, SessionId};

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SessionRow {
    pub id: SessionId,
    pub member_id: MemberId,
    pub csrf_token: String,
    pub created_at: Micros,
    pub last_seen_at: Micros,
    pub expires_at: Micros,
}

fn from_row(row: &Row) -> Result<SessionRow, StoreError> {
    Ok(SessionRow {
        id: SessionId(row.get("id")?),
        member_id: MemberId(row.get("member_id")?),
        csrf_token: row.get("csrf_token")?,
        created_at: row.get("created_at")?,
        last_seen_at: row.get("last_seen_at")?,
        expires_at: row.get("expires_at")?,
    })
}

/// A session as it is opened: only the hash of its secret is stored.
#[derive(Debug, Clone)]
pub struct NewSession<'a> {
    pub id: SessionId,
    pub member: MemberId,
    pub token_hash: Vec<u8>,
    pub csrf_token: &'a str,
    pub ip: Option<&'a str>,
    pub user_agent: Option<&'a str>,
    pub expires_at: Micros,
}

pub async fn insert(tx: &mut TenantTx, session: NewSession<'_>, now: Micros) -> Result<(), StoreError> {
    let NewSession { id, member, token_hash, csrf_token, ip, user_agent, expires_at } = session;
    tx.execute(
        "INSERT INTO sessions (tenant_id, id, member_id, token_hash, csrf_token, ip, user_agent, created_at, last_seen_at, expires_at)
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $8, $9)",
        args![id, member, token_hash, csrf_token, ip, user_agent, now, expires_at],
    )
    .await?;
    Ok(())
}

/// The live session with this token hash, if any.
pub async fn find_live(tx: &mut TenantTx, token_hash: Vec<u8>, now: Micros) -> Result<Option<SessionRow>, StoreError> {
    let row = tx
        .fetch_optional(
            "SELECT id, member_id, csrf_token, created_at, last_seen_at, expires_at FROM sessions
             WHERE tenant_id = $1 AND token_hash = $2 AND expires_at > $3",
            args![token_hash, now],
        )
        .await?;
    row.as_ref().map(from_row).transpose()
}

/// The live session with this token hash and its member, in one query (the hot path of
/// every page).
pub async fn find_live_with_member(
    tx: &mut TenantTx,
    token_hash: Vec<u8>,
    now: Micros,
) -> Result<Option<(SessionRow, MemberRow)>, StoreError> {
    let sql = super::members::select_members!(
        ", s.id AS session_id, s.csrf_token, s.created_at AS session_created_at, s.last_seen_at, s.expires_at",
        "JOIN sessions s ON s.tenant_id = m.tenant_id AND s.member_id = m.id",
        "AND s.token_hash = $2 AND s.expires_at > $3"
    );
    let Some(row) = tx.fetch_optional(sql, args![token_hash, now]).await? else {
        return Ok(None);
    };
    let session = SessionRow {
        id: SessionId(row.get("session_id")?),
        member_id: MemberId(row.get("id")?),
        csrf_token: row.get("csrf_token")?,
        created_at: row.get("session_created_at")?,
        last_seen_at: row.get("last_seen_at")?,
        expires_at: row.get("expires_at")?,
    };
    Ok(Some((session, super::members::from_row(&row)?)))
}

/// Slides the idle expiry forward; callers do this at most once a minute per session.
pub async fn touch(tx: &mut TenantTx, id: SessionId, now: Micros, expires_at: Micros) -> Result<(), StoreError> {
    tx.execute(
        "UPDATE sessions SET last_seen_at = $3, expires_at = $4 WHERE tenant_id = $1 AND id = $2",
        args![id, now, expires_at],
    )
    .await?;
    Ok(())
}

pub async fn delete(tx: &mut TenantTx, id: SessionId) -> Result<(), StoreError> {
    tx.execute("DELETE FROM sessions WHERE tenant_id = $1 AND id = $2", args![id]).await?;
    Ok(())
}

/// Ends every session of a member except `keep` (after a password change).
pub async fn delete_for_member(
    tx: &mut TenantTx,
    member: MemberId,
    keep: Option<SessionId>,
) -> Result<u64, StoreError> {
    match keep {
        Some(keep) => {
            tx.execute("DELETE FROM sessions WHERE tenant_id = $1 AND member_id = $2 AND id <> $3", args![member, keep])
                .await
        }
        None => tx.execute("DELETE FROM sessions WHERE tenant_id = $1 AND member_id = $2", args![member]).await,
    }
}

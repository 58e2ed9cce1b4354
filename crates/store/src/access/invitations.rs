//! Invitations to join a tenant: an email, the role offered, and a one-time token.

use crate::{Micros, Row, StoreError, TenantTx, args};
use steward_domain::ids::{InvitationId, MemberId, RoleId};

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct InvitationRow {
    pub id: InvitationId,
    pub email: String,
    pub role_id: RoleId,
    pub role_name: String,
    pub invited_by: MemberId,
    pub created_at: Micros,
    pub expires_at: Micros,
    pub accepted_at: Option<Micros>,
    pub revoked_at: Option<Micros>,
}

macro_rules! select_invitations {
    ($tail:literal) => {
        concat!(
            "SELECT i.id, i.email, i.role_id, r.name AS role_name, i.invited_by, i.created_at, i.expires_at, i.accepted_at, i.revoked_at
             FROM invitations i JOIN roles r ON r.tenant_id = i.tenant_id AND r.id = i.role_id
             WHERE i.tenant_id = $1 ",
            $tail
        )
    };
}

fn from_row(row: &Row) -> Result<InvitationRow, StoreError> {
    Ok(InvitationRow {
        id: InvitationId(row.get("id")?),
        email: row.get("email")?,
        role_id: RoleId(row.get("role_id")?),
        role_name: row.get("role_name")?,
        invited_by: MemberId(row.get("invited_by")?),
        created_at: row.get("created_at")?,
        expires_at: row.get("expires_at")?,
        accepted_at: row.get("accepted_at")?,
        revoked_at: row.get("revoked_at")?,
    })
}

/// An invitation as it is sent: only the hash of its link's secret is stored.
#[derive(Debug, Clone)]
pub struct NewInvitation<'a> {
    pub id: InvitationId,
    pub email: &'a str,
    pub role: RoleId,
    pub invited_by: MemberId,
    pub token_hash: Vec<u8>,
    pub expires_at: Micros,
}

pub async fn insert(tx: &mut TenantTx, invitation: NewInvitation<'_>, now: Micros) -> Result<(), StoreError> {
    let NewInvitation { id, email, role, invited_by, token_hash, expires_at } = invitation;
    // A new invitation for the same address replaces any still pending.
    tx.execute(
        "UPDATE invitations SET revoked_at = $3 WHERE tenant_id = $1 AND email = $2 AND accepted_at IS NULL AND revoked_at IS NULL",
        args![email, now],
    )
    .await?;
    tx.execute(
        "INSERT INTO invitations (tenant_id, id, email, role_id, invited_by, token_hash, created_at, expires_at)
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8)",
        args![id, email, role, invited_by, token_hash, now, expires_at],
    )
    .await?;
    Ok(())
}

pub async fn find_by_token(tx: &mut TenantTx, token_hash: Vec<u8>) -> Result<Option<InvitationRow>, StoreError> {
    let row = tx.fetch_optional(select_invitations!("AND i.token_hash = $2"), args![token_hash]).await?;
    row.as_ref().map(from_row).transpose()
}

pub async fn list_pending(tx: &mut TenantTx, now: Micros) -> Result<Vec<InvitationRow>, StoreError> {
    let rows = tx
        .fetch_all(
            select_invitations!(
                "AND i.accepted_at IS NULL AND i.revoked_at IS NULL AND i.expires_at > $2 ORDER BY i.created_at DESC"
            ),
            args![now],
        )
        .await?;
    rows.iter().map(from_row).collect()
}

/// Marks the invitation used; false if it was already used, revoked or expired (a second
/// click on the same link, or two at once).
pub async fn mark_accepted(tx: &mut TenantTx, id: InvitationId, now: Micros) -> Result<bool, StoreError> {
    let n = tx
        .execute(
            "UPDATE invitations SET accepted_at = $3 WHERE tenant_id = $1 AND id = $2 AND accepted_at IS NULL AND revoked_at IS NULL AND expires_at > $3",
            args![id, now],
        )
        .await?;
    Ok(n == 1)
}

pub async fn revoke(tx: &mut TenantTx, id: InvitationId, now: Micros) -> Result<bool, StoreError> {
    let n = tx
        .execute(
            "UPDATE invitations SET revoked_at = $3 WHERE tenant_id = $1 AND id = $2 AND accepted_at IS NULL AND revoked_at IS NULL",
            args![id, now],
        )
        .await?;
    Ok(n == 1)
}

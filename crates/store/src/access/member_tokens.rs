//! One-time tokens mailed to a member: verify an email address, reset a password.

use crate::{Micros, StoreError, TenantTx, args};
use steward_domain::ids::MemberId;
use uuid::Uuid;

/// What a one-time token is for.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum TokenPurpose {
    VerifyEmail,
    ResetPassword,
}

impl TokenPurpose {
    pub fn as_str(self) -> &'static str {
        match self {
            TokenPurpose::VerifyEmail => "verify_email",
            TokenPurpose::ResetPassword => "reset_password",
        }
    }
}

pub async fn insert(
    tx: &mut TenantTx,
    member: MemberId,
    purpose: TokenPurpose,
    token_hash: Vec<u8>,
    now: Micros,
    expires_at: Micros,
) -> Result<(), StoreError> {
    tx.execute(
        "INSERT INTO member_tokens (tenant_id, id, member_id, purpose, token_hash, created_at, expires_at) VALUES ($1, $2, $3, $4, $5, $6, $7)",
        args![Uuid::now_v7(), member, purpose.as_str(), token_hash, now, expires_at],
    )
    .await?;
    Ok(())
}

/// Uses the token once: returns its member if it was valid, unused and unexpired, and
/// marks it used in the same statement so two requests cannot both succeed.
pub async fn consume(
    tx: &mut TenantTx,
    purpose: TokenPurpose,
    token_hash: Vec<u8>,
    now: Micros,
) -> Result<Option<MemberId>, StoreError> {
    let row = tx
        .fetch_optional(
            "UPDATE member_tokens SET used_at = $4
             WHERE tenant_id = $1 AND purpose = $2 AND token_hash = $3 AND used_at IS NULL AND expires_at > $4
             RETURNING member_id",
            args![purpose.as_str(), token_hash, now],
        )
        .await?;
    row.map(|r| r.get("member_id").map(MemberId)).transpose()
}

/// The member (id and email) a still-usable token belongs to, without using it up.
pub async fn peek(
    tx: &mut TenantTx,
    purpose: TokenPurpose,
    token_hash: Vec<u8>,
    now: Micros,
) -> Result<Option<(MemberId, String)>, StoreError> {
    let row = tx
        .fetch_optional(
            "SELECT m.id, m.email FROM member_tokens t JOIN members m ON m.tenant_id = t.tenant_id AND m.id = t.member_id
             WHERE t.tenant_id = $1 AND t.purpose = $2 AND t.token_hash = $3 AND t.used_at IS NULL AND t.expires_at > $4",
            args![purpose.as_str(), token_hash, now],
        )
        .await?;
    row.map(|r| Ok((MemberId(r.get("id")?), r.get("email")?))).transpose()
}

/// Withdraws a member's unused tokens of one purpose (a newer one was sent).
pub async fn withdraw(
    tx: &mut TenantTx,
    member: MemberId,
    purpose: TokenPurpose,
    now: Micros,
) -> Result<(), StoreError> {
    tx.execute(
        "UPDATE member_tokens SET used_at = $4 WHERE tenant_id = $1 AND member_id = $2 AND purpose = $3 AND used_at IS NULL",
        args![member, purpose.as_str(), now],
    )
    .await?;
    Ok(())
}

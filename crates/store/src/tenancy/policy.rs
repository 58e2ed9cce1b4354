//! Published policy versions and who accepted which, when (POL-1).

use crate::tx::Backend;
use crate::{Micros, Store, StoreError, TenantTx, args};
use steward_domain::ids::MemberId;
use steward_domain::policy::POLICY_VERSIONS;
use uuid::Uuid;

/// One acceptance as stored.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PolicyAcceptanceRow {
    pub member_id: MemberId,
    pub policy_version: String,
    pub accepted_at: Micros,
}

impl Store {
    /// Publishes every policy version this binary knows; run by `migrate`, as the owner.
    pub async fn publish_policy_versions(&self) -> Result<(), StoreError> {
        let sql = "INSERT INTO policy_versions (version, published_on, summary) VALUES ($1, $2, $3)
                   ON CONFLICT (version) DO NOTHING";
        for policy in POLICY_VERSIONS {
            match &self.backend {
                Backend::Sqlite(pool, _) => {
                    sqlx::query(sql)
                        .bind(policy.version)
                        .bind(policy.published_on)
                        .bind(policy.summary)
                        .execute(pool)
                        .await?;
                }
                Backend::Postgres(pool) => {
                    sqlx::query(sql)
                        .bind(policy.version)
                        .bind(policy.published_on)
                        .bind(policy.summary)
                        .execute(pool)
                        .await?;
                }
            }
        }
        Ok(())
    }
}

pub async fn record_acceptance(
    tx: &mut TenantTx,
    member: MemberId,
    version: &str,
    ip: Option<&str>,
    now: Micros,
) -> Result<(), StoreError> {
    tx.execute(
        "INSERT INTO policy_acceptances (tenant_id, id, member_id, policy_version, accepted_at, ip) VALUES ($1, $2, $3, $4, $5, $6)",
        args![Uuid::now_v7(), member, version, now, ip],
    )
    .await?;
    Ok(())
}

pub async fn acceptances_of(tx: &mut TenantTx, member: MemberId) -> Result<Vec<PolicyAcceptanceRow>, StoreError> {
    let rows = tx
        .fetch_all(
            "SELECT member_id, policy_version, accepted_at FROM policy_acceptances
             WHERE tenant_id = $1 AND member_id = $2 ORDER BY accepted_at",
            args![member],
        )
        .await?;
    rows.iter()
        .map(|row| {
            Ok(PolicyAcceptanceRow {
                member_id: MemberId(row.get("member_id")?),
                policy_version: row.get("policy_version")?,
                accepted_at: row.get("accepted_at")?,
            })
        })
        .collect()
}

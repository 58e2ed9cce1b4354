//! Roles: a name and a set of permission names, stored space-separated.

use crate::{Micros, Row, StoreError, TenantTx, args};
use steward_domain::ids::RoleId;

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RoleRow {
    pub id: RoleId,
    pub name: String,
    pub permissions: Vec<String>,
    pub builtin: bool,
}

fn from_row(row: &Row) -> Result<RoleRow, StoreError> {
    let permissions: String = row.get("permissions")?;
    Ok(RoleRow {
        id: RoleId(row.get("id")?),
        name: row.get("name")?,
        permissions: permissions.split_whitespace().map(str::to_string).collect(),
        builtin: row.get("builtin")?,
    })
}

pub async fn insert(tx: &mut TenantTx, role: &RoleRow, now: Micros) -> Result<(), StoreError> {
    tx.execute(
        "INSERT INTO roles (tenant_id, id, name, permissions, builtin, created_at, updated_at) VALUES ($1, $2, $3, $4, $5, $6, $6)",
        args![role.id, &role.name, role.permissions.join(" "), role.builtin, now],
    )
    .await?;
    Ok(())
}

pub async fn update(
    tx: &mut TenantTx,
    id: RoleId,
    name: &str,
    permissions: &[String],
    now: Micros,
) -> Result<bool, StoreError> {
    let changed = tx
        .execute(
            "UPDATE roles SET name = $3, permissions = $4, updated_at = $5 WHERE tenant_id = $1 AND id = $2 AND builtin = FALSE",
            args![id, name, permissions.join(" "), now],
        )
        .await?;
    Ok(changed == 1)
}

pub async fn delete(tx: &mut TenantTx, id: RoleId) -> Result<bool, StoreError> {
    let changed =
        tx.execute("DELETE FROM roles WHERE tenant_id = $1 AND id = $2 AND builtin = FALSE", args![id]).await?;
    Ok(changed == 1)
}

pub async fn list(tx: &mut TenantTx) -> Result<Vec<RoleRow>, StoreError> {
    let rows = tx
        .fetch_all(
            "SELECT id, name, permissions, builtin FROM roles WHERE tenant_id = $1 ORDER BY builtin DESC, name",
            args![],
        )
        .await?;
    rows.iter().map(from_row).collect()
}

pub async fn find(tx: &mut TenantTx, id: RoleId) -> Result<Option<RoleRow>, StoreError> {
    let row = tx
        .fetch_optional("SELECT id, name, permissions, builtin FROM roles WHERE tenant_id = $1 AND id = $2", args![id])
        .await?;
    row.as_ref().map(from_row).transpose()
}

pub async fn find_by_name(tx: &mut TenantTx, name: &str) -> Result<Option<RoleRow>, StoreError> {
    let row = tx
        .fetch_optional(
            "SELECT id, name, permissions, builtin FROM roles WHERE tenant_id = $1 AND name = $2",
            args![name],
        )
        .await?;
    row.as_ref().map(from_row).transpose()
}

pub async fn count_members_with(tx: &mut TenantTx, id: RoleId) -> Result<i64, StoreError> {
    let row = tx
        .fetch_one(
            "SELECT COUNT(*) AS n FROM members WHERE tenant_id = $1 AND role_id = $2 AND removed_at IS NULL",
            args![id],
        )
        .await?;
    row.get("n")
}

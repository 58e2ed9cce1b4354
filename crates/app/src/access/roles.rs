//! Roles: the three built in (owner, admin, staff) and custom roles made of named
//! permissions. A custom role can only hold permissions its maker holds.

use super::principal::Principal;
use crate::audit;
use crate::{App, AppError};
use serde::Serialize;
use std::collections::BTreeSet;
use steward_domain::contact::parse_name;
use steward_domain::ids::RoleId;
use steward_domain::permissions::{BuiltinRole, Permission, parse_permissions};
use steward_store::access::roles::{self, RoleRow};

#[derive(Debug, Clone, Serialize, schemars::JsonSchema)]
#[schemars(rename = "Role")]
pub struct RoleView {
    pub id: RoleId,
    pub name: String,
    pub permissions: Vec<String>,
    pub builtin: bool,
}

impl From<RoleRow> for RoleView {
    fn from(r: RoleRow) -> Self {
        Self { id: r.id, name: r.name, permissions: r.permissions, builtin: r.builtin }
    }
}

/// A permission as the roles page and `GET /api/v1/permissions` list it.
#[derive(Debug, Clone, Serialize, schemars::JsonSchema)]
#[schemars(rename = "Permission")]
pub struct PermissionView {
    pub name: &'static str,
    pub about: &'static str,
}

pub fn all_permissions() -> Vec<PermissionView> {
    Permission::ALL.iter().map(|p| PermissionView { name: p.name(), about: p.about() }).collect()
}

pub async fn list(app: &App, who: &Principal) -> Result<Vec<RoleView>, AppError> {
    who.require(Permission::MembersRead)?;
    let mut tx = app.store.begin_tenant_read(who.tenant).await?;
    let all = roles::list(&mut tx).await?;
    tx.commit().await?;
    Ok(all.into_iter().map(Into::into).collect())
}

pub async fn get(app: &App, who: &Principal, id: RoleId) -> Result<RoleView, AppError> {
    who.require(Permission::MembersRead)?;
    let mut tx = app.store.begin_tenant_read(who.tenant).await?;
    let role = roles::find(&mut tx, id).await?.ok_or(AppError::NotFound)?;
    tx.commit().await?;
    Ok(role.into())
}

fn checked_permissions(who: &Principal, names: &[String]) -> Result<BTreeSet<Permission>, AppError> {
    let permissions = parse_permissions(names.iter().map(String::as_str))
        .map_err(|e| AppError::invalid("permissions", &e.to_string()))?;
    if let Some(missing) = permissions.iter().find(|p| !who.has(**p)) {
        return Err(AppError::Forbidden(format!("{missing} (a role cannot grant a permission you do not hold)")));
    }
    Ok(permissions)
}

fn checked_name(name: &str) -> Result<String, AppError> {
    let name = parse_name("name", name, 60)?.to_lowercase();
    if BuiltinRole::from_name(&name).is_some() {
        return Err(AppError::conflict("name", "is the name of a built-in role"));
    }
    Ok(name)
}

pub async fn create(app: &App, who: &Principal, name: &str, permissions: &[String]) -> Result<RoleView, AppError> {
    who.require(Permission::RolesManage)?;
    let name = checked_name(name)?;
    let permissions = checked_permissions(who, permissions)?;
    let role = RoleRow {
        id: RoleId::generate(),
        name,
        permissions: permissions.iter().map(|p| p.name().to_string()).collect(),
        builtin: false,
    };
    let (writer_app, writer_who) = (app.clone(), who.clone());
    app.store
        .write(who.tenant, move |mut tx| async move {
            let (app, who) = (&writer_app, &writer_who);
            roles::insert(&mut tx, &role, app.now()).await.map_err(|e| {
                if e.is_duplicate_of("name") {
                    AppError::conflict("name", "is already a role of this business")
                } else {
                    e.into()
                }
            })?;
            let details = serde_json::json!({ "name": role.name, "permissions": role.permissions });
            let target = Some(("role", role.id.to_string()));
            audit::record(app, &mut tx, audit::by(who, "role.created", target, details)).await?;
            tx.commit().await?;
            Ok(role.into())
        })
        .await
}

pub async fn update(
    app: &App,
    who: &Principal,
    id: RoleId,
    name: Option<&str>,
    permissions: Option<&[String]>,
) -> Result<RoleView, AppError> {
    who.require(Permission::RolesManage)?;
    let (writer_app, writer_who) = (app.clone(), who.clone());
    let (name, permissions) = (name.map(str::to_string), permissions.map(<[String]>::to_vec));
    let (name, permissions) = app
        .store
        .write(who.tenant, move |mut tx| async move {
            let (app, who) = (&writer_app, &writer_who);
            let current = roles::find(&mut tx, id).await?.ok_or(AppError::NotFound)?;
            if current.builtin {
                return Err(AppError::NotAllowed(
                    "built-in roles cannot be changed; create a custom role instead".into(),
                ));
            }
            let name = match name {
                Some(n) => checked_name(&n)?,
                None => current.name.clone(),
            };
            let permissions: Vec<String> = match permissions {
                Some(p) => checked_permissions(who, &p)?.iter().map(|p| p.name().to_string()).collect(),
                None => current.permissions.clone(),
            };
            roles::update(&mut tx, id, &name, &permissions, app.now()).await.map_err(|e| {
                if e.is_duplicate_of("name") {
                    AppError::conflict("name", "is already a role of this business")
                } else {
                    e.into()
                }
            })?;
            let details =
                serde_json::json!({ "name": [current.name, name], "permissions": [current.permissions, permissions] });
            audit::record(app, &mut tx, audit::by(who, "role.updated", Some(("role", id.to_string())), details))
                .await?;
            tx.commit().await?;
            Ok::<_, AppError>((name, permissions))
        })
        .await?;
    app.token_cache.forget_tenant(who.tenant);
    Ok(RoleView { id, name, permissions, builtin: false })
}

pub async fn delete(app: &App, who: &Principal, id: RoleId) -> Result<(), AppError> {
    who.require(Permission::RolesManage)?;
    let (writer_app, writer_who) = (app.clone(), who.clone());
    app.store
        .write(who.tenant, move |mut tx| async move {
            let (app, who) = (&writer_app, &writer_who);
            let role = roles::find(&mut tx, id).await?.ok_or(AppError::NotFound)?;
            if role.builtin {
                return Err(AppError::NotAllowed("built-in roles cannot be deleted".into()));
            }
            if roles::count_members_with(&mut tx, id).await? > 0 {
                return Err(AppError::NotAllowed("members still have this role; give them another role first".into()));
            }
            tx.execute(
                "DELETE FROM invitations WHERE tenant_id = $1 AND role_id = $2 AND accepted_at IS NULL",
                steward_store::args![id],
            )
            .await?;
            roles::delete(&mut tx, id).await?;
            audit::record(
                app,
                &mut tx,
                audit::by(
                    who,
                    "role.deleted",
                    Some(("role", id.to_string())),
                    serde_json::json!({ "name": role.name }),
                ),
            )
            .await?;
            tx.commit().await?;
            Ok(())
        })
        .await
}

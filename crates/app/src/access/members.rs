//! Members of a tenant: list, invite by email, accept an invitation, change a role,
//! remove, and each member's own profile.
//!
//! Nobody can hand out more than they hold: assigning a role needs every permission that
//! role grants, which is also why only an owner can make another owner. A tenant always
//! keeps at least one owner.

use super::auth::{ClientInfo, IssuedSession, hash_password_off_runtime, open_session};
use super::principal::Principal;
use super::split_secret;
use crate::audit;
use crate::mail::templates;
use crate::{App, AppError};
use serde::Serialize;
use steward_crypto::token::{new_secret, token_hash};
use steward_domain::contact::{Email, Phone, parse_name};
use steward_domain::ids::{InvitationId, MemberId, RoleId};
use steward_domain::password_policy::check_password;
use steward_domain::permissions::{BuiltinRole, Permission};
use steward_domain::theme::Theme;
use steward_store::TenantTx;
use steward_store::access::members::{self, MemberRow, NewMember};
use steward_store::access::{invitations, roles};
use steward_store::tenancy::tenants;

const INVITATION_LIFETIME: i64 = 7 * crate::clock::MICROS_PER_DAY;

/// A member as other members and the API see them.
#[derive(Debug, Clone, Serialize, schemars::JsonSchema)]
#[schemars(rename = "Member")]
pub struct MemberView {
    pub id: MemberId,
    pub email: String,
    pub name: String,
    pub phone: Option<String>,
    pub role_id: RoleId,
    pub role: String,
    pub email_verified: bool,
    #[schemars(extend("format" = "date-time"))]
    pub last_login_at: Option<String>,
    #[schemars(extend("format" = "date-time"))]
    pub created_at: String,
}

impl From<MemberRow> for MemberView {
    fn from(m: MemberRow) -> Self {
        Self {
            id: m.id,
            email: m.email,
            name: m.name,
            phone: m.phone,
            role_id: m.role_id,
            role: m.role_name,
            email_verified: m.email_verified_at.is_some(),
            last_login_at: m.last_login_at.map(crate::clock::format_instant),
            created_at: crate::clock::format_instant(m.created_at),
        }
    }
}

/// A pending invitation.
#[derive(Debug, Clone, Serialize, schemars::JsonSchema)]
#[schemars(rename = "Invitation")]
pub struct InvitationView {
    pub id: InvitationId,
    pub email: String,
    pub role: String,
    #[schemars(extend("format" = "date-time"))]
    pub expires_at: String,
}

pub async fn list(app: &App, who: &Principal) -> Result<Vec<MemberView>, AppError> {
    who.require(Permission::MembersRead)?;
    let mut tx = app.store.begin_tenant_read(who.tenant).await?;
    let all = members::list(&mut tx).await?;
    tx.commit().await?;
    Ok(all.into_iter().map(Into::into).collect())
}

pub async fn get(app: &App, who: &Principal, id: MemberId) -> Result<MemberView, AppError> {
    who.require(Permission::MembersRead)?;
    let mut tx = app.store.begin_tenant_read(who.tenant).await?;
    let member = members::find(&mut tx, id).await?.filter(|m| m.removed_at.is_none()).ok_or(AppError::NotFound)?;
    tx.commit().await?;
    Ok(member.into())
}

/// The role named `role` (by id or name) if the actor may assign it.
async fn assignable_role(tx: &mut TenantTx, who: &Principal, role: &str) -> Result<roles::RoleRow, AppError> {
    let found = match role.parse::<RoleId>() {
        Ok(id) => roles::find(tx, id).await?,
        Err(_) => roles::find_by_name(tx, role.trim()).await?,
    };
    let found = found.ok_or_else(|| AppError::invalid("role", "is not a role of this business"))?;
    let missing: Vec<&str> = found
        .permissions
        .iter()
        .filter(|p| p.parse::<Permission>().map(|p| !who.has(p)).unwrap_or(true))
        .map(String::as_str)
        .collect();
    if !missing.is_empty() {
        return Err(AppError::Forbidden(format!(
            "{} (to assign the role '{}' you must hold all its permissions)",
            missing.join(", "),
            found.name
        )));
    }
    Ok(found)
}

/// Invites someone by email with a role; mails them a link valid for 7 days. Only a
/// member whose own email is verified may invite (mail goes out in the business's name).
pub async fn invite(app: &App, who: &Principal, email: &str, role: &str) -> Result<InvitationView, AppError> {
    who.require(Permission::MembersManage)?;
    if !who.email_verified {
        return Err(AppError::NotAllowed("confirm your own email address before inviting others".into()));
    }
    let email = Email::parse("email", email)?;
    let now = app.now();
    let (writer_app, writer_who, writer_email, role) = (app.clone(), who.clone(), email.clone(), role.to_string());
    let (role, tenant, secret, id) = app
        .store
        .write(who.tenant, move |mut tx| async move {
            let (app, who, email) = (&writer_app, &writer_who, writer_email);
            let role = assignable_role(&mut tx, who, &role).await?;
            if members::find_by_email(&mut tx, email.as_str()).await?.is_some_and(|m| m.removed_at.is_none()) {
                return Err(AppError::conflict("email", "is already a member of this business"));
            }
            let secret = new_secret()?;
            let id = InvitationId::generate();
            let invitation = invitations::NewInvitation {
                id,
                email: email.as_str(),
                role: role.id,
                invited_by: who.member,
                token_hash: token_hash(&secret),
                expires_at: now + INVITATION_LIFETIME,
            };
            invitations::insert(&mut tx, invitation, now).await?;
            let details = serde_json::json!({ "role": role.name, "fields": ["email"] });
            audit::record(
                app,
                &mut tx,
                audit::by(who, "invitation.created", Some(("invitation", id.to_string())), details),
            )
            .await?;
            let tenant = tenants::current(&mut tx).await?;
            tx.commit().await?;
            Ok::<_, AppError>((role, tenant, secret, id))
        })
        .await?;
    let link = app.link(&format!("/invite/{}", super::compose_secret(who.tenant, &secret)));
    crate::mail::send_in_background(
        app,
        who.tenant,
        templates::invitation(email.as_str(), &who.name, &tenant.name, &role.name, link),
    );
    Ok(InvitationView {
        id,
        email: email.into_string(),
        role: role.name,
        expires_at: crate::clock::format_instant(now + INVITATION_LIFETIME),
    })
}

pub async fn pending_invitations(app: &App, who: &Principal) -> Result<Vec<InvitationView>, AppError> {
    who.require(Permission::MembersRead)?;
    let mut tx = app.store.begin_tenant_read(who.tenant).await?;
    let pending = invitations::list_pending(&mut tx, app.now()).await?;
    tx.commit().await?;
    Ok(pending
        .into_iter()
        .map(|i| InvitationView {
            id: i.id,
            email: i.email,
            role: i.role_name,
            expires_at: crate::clock::format_instant(i.expires_at),
        })
        .collect())
}

pub async fn revoke_invitation(app: &App, who: &Principal, id: InvitationId) -> Result<(), AppError> {
    who.require(Permission::MembersManage)?;
    let (writer_app, writer_who) = (app.clone(), who.clone());
    app.store
        .write(who.tenant, move |mut tx| async move {
            let (app, who) = (&writer_app, &writer_who);
            if !invitations::revoke(&mut tx, id, app.now()).await? {
                return Err(AppError::NotFound);
            }
            audit::record(
                app,
                &mut tx,
                audit::by(who, "invitation.revoked", Some(("invitation", id.to_string())), serde_json::json!({})),
            )
            .await?;
            tx.commit().await?;
            Ok(())
        })
        .await
}

/// What the invitation page shows before the person accepts.
#[derive(Debug, Clone, Serialize)]
pub struct InvitationPreview {
    pub business: String,
    pub email: String,
    pub role: String,
}

pub async fn preview_invitation(app: &App, link_token: &str) -> Result<InvitationPreview, AppError> {
    let (tenant, secret) = split_secret(link_token).ok_or(AppError::LinkInvalid)?;
    let mut tx = app.store.begin_tenant_read(tenant).await?;
    let invitation = invitations::find_by_token(&mut tx, token_hash(secret)).await?.ok_or(AppError::LinkInvalid)?;
    if invitation.accepted_at.is_some() || invitation.revoked_at.is_some() || invitation.expires_at <= app.now() {
        return Err(AppError::LinkInvalid);
    }
    let business = tenants::current(&mut tx).await?.name;
    tx.commit().await?;
    Ok(InvitationPreview { business, email: invitation.email, role: invitation.role_name })
}

/// Accepts an invitation: creates the member (or brings back a removed one) with the
/// invited role, and signs them in.
pub async fn accept_invitation(
    app: &App,
    link_token: &str,
    name: &str,
    password: &str,
    client: &ClientInfo,
) -> Result<IssuedSession, AppError> {
    let preview = preview_invitation(app, link_token).await?;
    let (tenant, secret) = split_secret(link_token).ok_or(AppError::LinkInvalid)?;
    let name = parse_name("name", name, 120)?;
    check_password("password", password, &preview.email)?;
    let hash = hash_password_off_runtime(password.to_string()).await?;
    let now = app.now();
    let (writer_app, writer_client, link_hash) = (app.clone(), client.clone(), token_hash(secret));
    app.store
        .write(tenant, move |mut tx| async move {
            let (app, client) = (&writer_app, &writer_client);
            let invitation = invitations::find_by_token(&mut tx, link_hash).await?.ok_or(AppError::LinkInvalid)?;
            if !invitations::mark_accepted(&mut tx, invitation.id, now).await? {
                return Err(AppError::LinkInvalid);
            }
            let member_id = match members::find_by_email(&mut tx, &invitation.email).await? {
                Some(existing) if existing.removed_at.is_none() => {
                    return Err(AppError::conflict("email", "is already a member of this business; log in instead"));
                }
                Some(removed) => {
                    members::reinstate(&mut tx, removed.id, &name, invitation.role_id, &hash, now).await?;
                    removed.id
                }
                None => {
                    let id = MemberId::generate();
                    let new = NewMember {
                        id,
                        email: &invitation.email,
                        name: &name,
                        phone: None,
                        role_id: invitation.role_id,
                        password_hash: Some(&hash),
                        // The invitation link reached this mailbox, which verifies it.
                        email_verified_at: Some(now),
                    };
                    members::insert(&mut tx, &new, now).await?;
                    id
                }
            };
            let details = serde_json::json!({ "role": invitation.role_name });
            let target = Some(("invitation", invitation.id.to_string()));
            audit::record(app, &mut tx, audit::by_member_id(member_id, client, "invitation.accepted", target, details))
                .await?;
            let session = open_session(app, &mut tx, member_id, client).await?;
            tx.commit().await?;
            Ok(session)
        })
        .await
}

async fn guard_last_owner(tx: &mut TenantTx, target: &MemberRow) -> Result<(), AppError> {
    if target.role_name == BuiltinRole::Owner.name()
        && members::count_active_with_role(tx, BuiltinRole::Owner.name()).await? <= 1
    {
        return Err(AppError::NotAllowed(
            "a business must keep at least one owner; make someone else owner first".into(),
        ));
    }
    Ok(())
}

/// The actor must hold every permission the target holds to change or remove them.
fn guard_outranked(who: &Principal, target: &MemberRow) -> Result<(), AppError> {
    let missing: Vec<&str> = target
        .role_permissions
        .iter()
        .filter(|p| p.parse::<Permission>().map(|p| !who.has(p)).unwrap_or(false))
        .map(String::as_str)
        .collect();
    if missing.is_empty() { Ok(()) } else { Err(AppError::Forbidden(missing.join(", "))) }
}

pub async fn change_role(app: &App, who: &Principal, id: MemberId, role: &str) -> Result<MemberView, AppError> {
    who.require(Permission::MembersManage)?;
    let (writer_app, writer_who, role) = (app.clone(), who.clone(), role.to_string());
    let updated = app
        .store
        .write(who.tenant, move |mut tx| async move {
            let (app, who) = (&writer_app, &writer_who);
            let target =
                members::find(&mut tx, id).await?.filter(|m| m.removed_at.is_none()).ok_or(AppError::NotFound)?;
            guard_outranked(who, &target)?;
            let role = assignable_role(&mut tx, who, &role).await?;
            if role.id != target.role_id {
                guard_last_owner(&mut tx, &target).await?;
                members::set_role(&mut tx, id, role.id, app.now()).await?;
                let details = serde_json::json!({ "role": [target.role_name, role.name] });
                audit::record(
                    app,
                    &mut tx,
                    audit::by(who, "member.role_changed", Some(("member", id.to_string())), details),
                )
                .await?;
            }
            let updated = members::find(&mut tx, id).await?.ok_or(AppError::NotFound)?;
            tx.commit().await?;
            Ok::<_, AppError>(updated)
        })
        .await?;
    app.token_cache.forget_member(who.tenant, id);
    Ok(updated.into())
}

pub async fn remove(app: &App, who: &Principal, id: MemberId) -> Result<(), AppError> {
    who.require(Permission::MembersManage)?;
    let (writer_app, writer_who) = (app.clone(), who.clone());
    app.store
        .write(who.tenant, move |mut tx| async move {
            let (app, who) = (&writer_app, &writer_who);
            let target =
                members::find(&mut tx, id).await?.filter(|m| m.removed_at.is_none()).ok_or(AppError::NotFound)?;
            guard_outranked(who, &target)?;
            guard_last_owner(&mut tx, &target).await?;
            members::remove(&mut tx, id, app.now()).await?;
            audit::record(
                app,
                &mut tx,
                audit::by(who, "member.removed", Some(("member", id.to_string())), serde_json::json!({})),
            )
            .await?;
            tx.commit().await?;
            Ok::<_, AppError>(())
        })
        .await?;
    app.token_cache.forget_member(who.tenant, id);
    Ok(())
}

/// Adds a member directly with a password (the operator's CLI and the demo).
pub async fn add_member(
    app: &App,
    tenant: steward_domain::ids::TenantId,
    email: &str,
    name: &str,
    role: &str,
    password: &str,
) -> Result<MemberView, AppError> {
    let email = Email::parse("email", email)?;
    let name = parse_name("name", name, 120)?;
    check_password("password", password, email.as_str())?;
    let hash = hash_password_off_runtime(password.to_string()).await?;
    let now = app.now();
    let (writer_app, role) = (app.clone(), role.to_string());
    app.store
        .write(tenant, move |mut tx| async move {
            let app = &writer_app;
            let role = roles::find_by_name(&mut tx, role.trim())
                .await?
                .ok_or_else(|| AppError::invalid("role", "is not a role of this business"))?;
            let id = MemberId::generate();
            let new = NewMember {
                id,
                email: email.as_str(),
                name: &name,
                phone: None,
                role_id: role.id,
                password_hash: Some(&hash),
                email_verified_at: Some(now),
            };
            members::insert(&mut tx, &new, now).await.map_err(|e| {
                if e.is_duplicate_of("email") {
                    AppError::conflict("email", "is already a member of this business")
                } else {
                    e.into()
                }
            })?;
            let member = members::find(&mut tx, id).await?.ok_or(AppError::NotFound)?;
            let details = serde_json::json!({ "role": member.role_name });
            let origin = crate::access::auth::ClientInfo::default();
            audit::record(
                app,
                &mut tx,
                audit::by_system(&origin, None, "member.added", Some(("member", id.to_string())), details),
            )
            .await?;
            tx.commit().await?;
            Ok(member.into())
        })
        .await
}

/// Members of a tenant for the operator's CLI (no principal: the operator runs it).
pub async fn list_for_operator(app: &App, tenant: steward_domain::ids::TenantId) -> Result<Vec<MemberView>, AppError> {
    let mut tx = app.store.begin_tenant_read(tenant).await?;
    let all = members::list(&mut tx).await?;
    tx.commit().await?;
    Ok(all.into_iter().map(Into::into).collect())
}

/// The signed-in member changes their own name and phone.
pub async fn update_own_profile(
    app: &App,
    who: &Principal,
    name: &str,
    phone: Option<&str>,
) -> Result<MemberView, AppError> {
    let name = parse_name("name", name, 120)?;
    let phone = match phone.map(str::trim).filter(|p| !p.is_empty()) {
        Some(raw) => Some(Phone::parse("phone", raw, &app.settings.default_country_code)?.into_string()),
        None => None,
    };
    let (writer_app, writer_who) = (app.clone(), who.clone());
    app.store
        .write(who.tenant, move |mut tx| async move {
            let (app, who) = (&writer_app, &writer_who);
            let before = members::find(&mut tx, who.member).await?.ok_or(AppError::Unauthenticated)?;
            let mut fields = Vec::new();
            if before.name != name {
                fields.push("name");
            }
            if before.phone != phone {
                fields.push("phone");
            }
            members::update_profile(&mut tx, who.member, &name, phone.as_deref(), app.now()).await?;
            if !fields.is_empty() {
                let details = serde_json::json!({ "fields": fields });
                audit::record(
                    app,
                    &mut tx,
                    audit::by(who, "member.profile_changed", Some(("member", who.member.to_string())), details),
                )
                .await?;
            }
            let member = members::find(&mut tx, who.member).await?.ok_or(AppError::NotFound)?;
            tx.commit().await?;
            Ok(member.into())
        })
        .await
}

/// The signed-in member chooses the colours of their pages; not audited, as it changes
/// nothing anyone else sees.
pub async fn set_own_theme(app: &App, who: &Principal, raw: &str) -> Result<Theme, AppError> {
    let theme = Theme::parse("theme", raw)?;
    let (member, now) = (who.member, app.now());
    app.store
        .write(who.tenant, move |mut tx| async move {
            if !members::set_theme(&mut tx, member, theme.name(), now).await? {
                return Err(AppError::Unauthenticated);
            }
            tx.commit().await?;
            Ok(theme)
        })
        .await
}

/// The signed-in member's own record, for the account page.
pub async fn own_profile(app: &App, who: &Principal) -> Result<MemberView, AppError> {
    let mut tx = app.store.begin_tenant_read(who.tenant).await?;
    let member = members::find(&mut tx, who.member).await?.ok_or(AppError::Unauthenticated)?;
    tx.commit().await?;
    Ok(member.into())
}

/// A member's own data, as JSON by table, for their administrator to hand them (ACC-5).
/// Asking for it is audited.
pub async fn own_data(app: &App, who: &Principal, member: MemberId) -> Result<serde_json::Value, AppError> {
    who.require(Permission::MembersManage)?;
    // What they did is shown with its place in the log.
    crate::audit::sealer::seal_now(app, who.tenant).await?;
    let (writer_app, writer_who) = (app.clone(), who.clone());
    app.store
        .write(who.tenant, move |mut tx| async move {
            let (app, who) = (&writer_app, &writer_who);
            if members::find(&mut tx, member).await?.is_none() {
                return Err(AppError::NotFound);
            }
            let tables = members::own_data(&mut tx, member).await?;
            let mut out = serde_json::Map::new();
            for (table, found) in tables {
                let objects: Vec<serde_json::Value> = found
                    .iter()
                    .map(|row| {
                        serde_json::Value::Object(
                            row.values()
                                .iter()
                                .map(|(name, value)| (name.clone(), crate::retention::export::to_json(value)))
                                .collect(),
                        )
                    })
                    .collect();
                out.insert(table.to_string(), serde_json::Value::Array(objects));
            }
            let details = serde_json::json!({ "tables": out.keys().collect::<Vec<_>>() });
            audit::record(
                app,
                &mut tx,
                audit::by(who, "member.data_exported", Some(("member", member.to_string())), details),
            )
            .await?;
            tx.commit().await?;
            Ok(serde_json::Value::Object(out))
        })
        .await
}

//! API tokens of the signed-in member: create (the secret is shown once), list, revoke.
//! A token's scopes are a subset of its member's permissions; its effective permissions
//! are always the intersection with the member's current role.

use super::API_TOKEN_PREFIX;
use super::principal::Principal;
use crate::audit;
use crate::{App, AppError};
use serde::Serialize;
use steward_crypto::token::{new_secret, token_hash};
use steward_domain::contact::parse_name;
use steward_domain::ids::ApiTokenId;
use steward_domain::permissions::parse_permissions;
use steward_store::access::api_tokens::{self, ApiTokenRow};

#[derive(Debug, Clone, Serialize, schemars::JsonSchema)]
#[schemars(rename = "Token")]
pub struct TokenView {
    pub id: ApiTokenId,
    pub name: String,
    /// The last four characters, to tell tokens apart: `stw_****1a2b`.
    pub hint: String,
    pub scopes: Vec<String>,
    #[schemars(extend("format" = "date-time"))]
    pub created_at: String,
    #[schemars(extend("format" = "date-time"))]
    pub expires_at: Option<String>,
    #[schemars(extend("format" = "date-time"))]
    pub last_used_at: Option<String>,
    pub revoked: bool,
}

impl From<ApiTokenRow> for TokenView {
    fn from(t: ApiTokenRow) -> Self {
        Self {
            id: t.id,
            name: t.name,
            hint: format!("{API_TOKEN_PREFIX}****{}", t.token_hint),
            scopes: t.scopes,
            created_at: crate::clock::format_instant(t.created_at),
            expires_at: t.expires_at.map(crate::clock::format_instant),
            last_used_at: t.last_used_at.map(crate::clock::format_instant),
            revoked: t.revoked_at.is_some(),
        }
    }
}

/// A new token, with the secret that is never shown again.
#[derive(Debug, Clone, Serialize, schemars::JsonSchema)]
pub struct CreatedToken {
    /// The secret, shown once.
    pub token: String,
    #[serde(flatten)]
    pub view: TokenView,
}

pub async fn create(
    app: &App,
    who: &Principal,
    name: &str,
    scopes: &[String],
    expires_in_days: Option<i64>,
) -> Result<CreatedToken, AppError> {
    let name = parse_name("name", name, 80)?;
    let scopes = parse_permissions(scopes.iter().map(String::as_str))
        .map_err(|e| AppError::invalid("scopes", &e.to_string()))?;
    if scopes.is_empty() {
        return Err(AppError::invalid("scopes", "choose at least one permission for the token"));
    }
    if let Some(missing) = scopes.iter().find(|p| !who.has(**p)) {
        return Err(AppError::Forbidden(format!("{missing} (a token cannot hold a permission you do not hold)")));
    }
    let expires_at = match expires_in_days {
        Some(days) if !(1..=3650).contains(&days) => {
            return Err(AppError::invalid("expires_in_days", "must be between 1 and 3650"));
        }
        Some(days) => Some(app.now() + days * crate::clock::MICROS_PER_DAY),
        None => None,
    };
    let secret = new_secret()?;
    let token = format!("{API_TOKEN_PREFIX}{}_{}", who.tenant.as_uuid().simple(), secret);
    let row = ApiTokenRow {
        id: ApiTokenId::generate(),
        member_id: who.member,
        name,
        token_hint: token[token.len() - 4..].to_string(),
        scopes: scopes.iter().map(|p| p.name().to_string()).collect(),
        created_at: app.now(),
        expires_at,
        last_used_at: None,
        revoked_at: None,
    };
    let (writer_app, writer_who, secret_hash) = (app.clone(), who.clone(), token_hash(&secret));
    let (row, tenant) = app
        .store
        .write(who.tenant, move |mut tx| async move {
            let (app, who) = (&writer_app, &writer_who);
            api_tokens::insert(&mut tx, &row, secret_hash).await?;
            let details = serde_json::json!({ "scopes": row.scopes, "expires_at": row.expires_at });
            audit::record(
                app,
                &mut tx,
                audit::by(who, "api_token.created", Some(("api_token", row.id.to_string())), details),
            )
            .await?;
            let tenant = steward_store::tenancy::tenants::current(&mut tx).await?;
            tx.commit().await?;
            Ok::<_, AppError>((row, tenant))
        })
        .await?;
    let at = crate::clock::format_instant(row.created_at);
    let mail = crate::mail::templates::token_created(
        &who.email,
        &who.name,
        &tenant.name,
        &row.name,
        &at,
        app.link("/app/tokens"),
    );
    crate::mail::send_in_background(app, who.tenant, mail);
    Ok(CreatedToken { token, view: row.into() })
}

pub async fn list(app: &App, who: &Principal) -> Result<Vec<TokenView>, AppError> {
    let mut tx = app.store.begin_tenant_read(who.tenant).await?;
    let all = api_tokens::list_for_member(&mut tx, who.member).await?;
    tx.commit().await?;
    Ok(all.into_iter().map(Into::into).collect())
}

pub async fn revoke(app: &App, who: &Principal, id: ApiTokenId) -> Result<(), AppError> {
    let (writer_app, writer_who) = (app.clone(), who.clone());
    app.store
        .write(who.tenant, move |mut tx| async move {
            let (app, who) = (&writer_app, &writer_who);
            if !api_tokens::revoke(&mut tx, id, who.member, app.now()).await? {
                return Err(AppError::NotFound);
            }
            audit::record(
                app,
                &mut tx,
                audit::by(who, "api_token.revoked", Some(("api_token", id.to_string())), serde_json::json!({})),
            )
            .await?;
            tx.commit().await?;
            Ok::<_, AppError>(())
        })
        .await?;
    app.token_cache.forget_token(id);
    Ok(())
}

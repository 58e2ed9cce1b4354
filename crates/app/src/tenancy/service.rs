//! Creating tenants and keeping their business profile.

use crate::access::{self, principal::Principal};
use crate::audit;
use crate::mail::templates;
use crate::{App, AppError};
use serde::Serialize;
use steward_domain::ValidationError;
use steward_domain::contact::{Email, parse_name};
use steward_domain::gstin::Gstin;
use steward_domain::ids::{MemberId, RoleId, TenantId};
use steward_domain::password_policy::check_password;
use steward_domain::permissions::{BuiltinRole, Permission};
use steward_domain::policy::current_policy;
use steward_domain::retention::Stage;
use steward_domain::slug::Slug;
use steward_domain::time_zone::parse_time_zone;
use steward_store::access::{members, roles};
use steward_store::tenancy::{policy, tenants, tenants::TenantRow};

/// What sign-up, `steward tenant create` and the demo ask for.
#[derive(Debug, Clone, Default)]
pub struct NewTenant {
    pub business_name: String,
    pub slug: String,
    pub country: String,
    pub time_zone: String,
    pub owner_name: String,
    pub owner_email: String,
    pub owner_password: String,
    /// The owner accepted the current terms and privacy policy (POL-1).
    pub accepted_policy: bool,
    /// Set by the operator's CLI and the demo, whose owners need no verification mail.
    pub owner_email_verified: bool,
    pub ip: Option<String>,
}

/// A tenant as members and the API see it.
#[derive(Debug, Clone, Serialize, PartialEq, Eq, schemars::JsonSchema)]
#[schemars(rename = "Tenant")]
pub struct TenantView {
    pub id: TenantId,
    pub slug: String,
    pub name: String,
    pub country: String,
    pub time_zone: String,
    pub gstin: Option<String>,
    pub status: Stage,
    #[schemars(extend("format" = "date-time"))]
    pub created_at: String,
}

impl From<TenantRow> for TenantView {
    fn from(row: TenantRow) -> Self {
        Self {
            id: row.id,
            slug: row.slug,
            name: row.name,
            country: row.country,
            time_zone: row.time_zone,
            gstin: row.gstin,
            status: row.status,
            created_at: crate::clock::format_instant(row.created_at),
        }
    }
}

/// ISO 3166-1 alpha-2, uppercase.
pub fn parse_country(field: &str, raw: &str) -> Result<String, ValidationError> {
    let code = raw.trim().to_ascii_uppercase();
    if code.len() == 2 && code.chars().all(|c| c.is_ascii_uppercase()) {
        Ok(code)
    } else {
        Err(ValidationError::new(field, "must be a two-letter country code such as IN"))
    }
}

/// Creates a tenant with its built-in roles and its owner. Returns the tenant and owner.
pub async fn create_tenant(app: &App, input: NewTenant) -> Result<(TenantView, MemberId), AppError> {
    let business_name = parse_name("business_name", &input.business_name, 120)?;
    let slug = Slug::parse("slug", &input.slug)?;
    let country = parse_country("country", &input.country)?;
    let time_zone = parse_time_zone("time_zone", &input.time_zone)?;
    let owner_name = parse_name("name", &input.owner_name, 120)?;
    let email = Email::parse("email", &input.owner_email)?;
    check_password("password", &input.owner_password, email.as_str())?;
    if !input.accepted_policy {
        return Err(AppError::invalid("accept_policy", "you must accept the terms and privacy policy to sign up"));
    }
    let now = app.now();
    // A sign-up from the public page (the operator's and the demo's owners are verified).
    if let Some(address) = input.ip.as_deref().filter(|_| !input.owner_email_verified)
        && let Err(wait) = app.signup_limits.check(address, email.as_str(), now)
    {
        tracing::info!("sign-up refused: too many from this address, network or email");
        return Err(AppError::RateLimited(wait));
    }
    let password_hash = access::auth::hash_password_off_runtime(input.owner_password.clone()).await?;

    let tenant_id = TenantId::generate();
    let owner_id = MemberId::generate();
    let row = TenantRow {
        id: tenant_id,
        slug: slug.into_string(),
        name: business_name,
        country,
        time_zone,
        gstin: None,
        status: Stage::Active,
        created_at: now,
    };
    let (writer_app, writer_email, writer_owner_name) = (app.clone(), email.clone(), owner_name.clone());
    let (row, verification) = app
        .store
        .write(tenant_id, move |mut tx| async move {
            let (app, email, owner_name) = (&writer_app, &writer_email, &writer_owner_name);
            tenants::insert(&mut tx, &row).await.map_err(|e| {
                if e.is_duplicate_of("slug") {
                    AppError::conflict("slug", "is already taken; choose another")
                } else {
                    e.into()
                }
            })?;
            let mut owner_role = None;
            for builtin in BuiltinRole::ALL {
                let role = roles::RoleRow {
                    id: RoleId::generate(),
                    name: builtin.name().into(),
                    permissions: builtin.permissions().iter().map(|p| p.name().to_string()).collect(),
                    builtin: true,
                };
                roles::insert(&mut tx, &role, now).await?;
                if builtin == BuiltinRole::Owner {
                    owner_role = Some(role.id);
                }
            }
            let owner_role = owner_role.ok_or_else(|| AppError::Internal("the owner role was not created".into()))?;
            members::insert(
                &mut tx,
                &members::NewMember {
                    id: owner_id,
                    email: email.as_str(),
                    name: owner_name,
                    phone: None,
                    role_id: owner_role,
                    password_hash: Some(&password_hash),
                    email_verified_at: input.owner_email_verified.then_some(now),
                },
                now,
            )
            .await?;
            policy::record_acceptance(&mut tx, owner_id, current_policy().version, input.ip.as_deref(), now).await?;
            steward_store::audit::start_chain(&mut tx).await?;
            let client = crate::access::auth::ClientInfo { ip: input.ip.clone(), ..Default::default() };
            let created = audit::by_member_id(
                owner_id,
                &client,
                "tenant.created",
                Some(("tenant", tenant_id.to_string())),
                serde_json::json!({ "policy_version": current_policy().version, "slug": row.slug, "country": row.country, "time_zone": row.time_zone }),
            );
            audit::record(app, &mut tx, created).await?;
            let verification = if input.owner_email_verified {
                None
            } else {
                Some(access::auth::issue_verification(app, &mut tx, owner_id).await?)
            };
            tx.commit().await?;
            Ok::<_, AppError>((row, verification))
        })
        .await?;

    if let Some(link) = verification {
        crate::mail::send_in_background(
            app,
            row.id,
            templates::verify_email(email.as_str(), &owner_name, &row.name, link),
        );
    }
    tracing::info!(tenant = %tenant_id, "tenant created");
    Ok((row.into(), owner_id))
}

/// Finds an active tenant by slug (the login form and public pages).
pub async fn find_by_slug(app: &App, slug: &str) -> Result<Option<TenantView>, AppError> {
    let slug = slug.trim().to_ascii_lowercase();
    let mut tx = app.store.begin_platform().await?;
    let found = tenants::find_by_slug(&mut tx, &slug).await?;
    tx.commit().await?;
    Ok(found.map(Into::into))
}

/// Every tenant, for the operator's CLI.
pub async fn list_tenants(app: &App) -> Result<Vec<TenantView>, AppError> {
    let mut tx = app.store.begin_platform().await?;
    let all = tenants::list(&mut tx).await?;
    tx.commit().await?;
    Ok(all.into_iter().map(Into::into).collect())
}

pub async fn profile(app: &App, who: &Principal) -> Result<TenantView, AppError> {
    who.require(Permission::TenantRead)?;
    let mut tx = app.store.begin_tenant_read(who.tenant).await?;
    let row = tenants::current(&mut tx).await?;
    tx.commit().await?;
    Ok(row.into())
}

/// Changes to the business profile; a `None` leaves a field as it is. An empty GSTIN
/// clears it.
#[derive(Debug, Clone, Default, serde::Deserialize, schemars::JsonSchema)]
#[serde(deny_unknown_fields)]
#[schemars(rename = "TenantChange")]
pub struct ProfileChange {
    pub name: Option<String>,
    pub slug: Option<String>,
    pub country: Option<String>,
    /// IANA name, e.g. `Asia/Kolkata`.
    pub time_zone: Option<String>,
    /// 15 characters with a valid check character; empty to clear.
    pub gstin: Option<String>,
}

pub async fn update_profile(app: &App, who: &Principal, change: ProfileChange) -> Result<TenantView, AppError> {
    who.require(Permission::TenantManage)?;
    let (writer_app, writer_who) = (app.clone(), who.clone());
    app.store
        .write(who.tenant, move |mut tx| async move {
            let (app, who) = (&writer_app, &writer_who);
            let current = tenants::current(&mut tx).await?;
            let name = match change.name {
                Some(name) => parse_name("name", &name, 120)?,
                None => current.name.clone(),
            };
            let slug = match change.slug {
                Some(slug) => Slug::parse("slug", &slug)?.into_string(),
                None => current.slug.clone(),
            };
            let country = match change.country {
                Some(country) => parse_country("country", &country)?,
                None => current.country.clone(),
            };
            let time_zone = match change.time_zone {
                Some(zone) => parse_time_zone("time_zone", &zone)?,
                None => current.time_zone.clone(),
            };
            let gstin = match change.gstin {
                Some(gstin) if gstin.trim().is_empty() => None,
                Some(gstin) => Some(Gstin::parse("gstin", &gstin)?.into_string()),
                None => current.gstin.clone(),
            };
            let mut changed = serde_json::Map::new();
            if name != current.name {
                changed.insert("name".into(), serde_json::json!("changed"));
            }
            for (field, old, new) in [
                ("slug", &current.slug, &slug),
                ("country", &current.country, &country),
                ("time_zone", &current.time_zone, &time_zone),
            ] {
                if old != new {
                    changed.insert(field.into(), serde_json::json!([old, new]));
                }
            }
            if gstin != current.gstin {
                changed.insert("gstin".into(), serde_json::json!([current.gstin, gstin]));
            }
            if !changed.is_empty() {
                audit::record(
                    app,
                    &mut tx,
                    audit::by(who, "tenant.profile_changed", Some(("tenant", who.tenant.to_string())), changed.into()),
                )
                .await?;
            }
            tenants::update_profile(&mut tx, &name, &slug, &country, &time_zone, gstin.as_deref(), app.now())
                .await
                .map_err(|e| {
                    if e.is_duplicate_of("slug") {
                        AppError::conflict("slug", "is already taken; choose another")
                    } else {
                        e.into()
                    }
                })?;
            let row = tenants::current(&mut tx).await?;
            tx.commit().await?;
            Ok(row.into())
        })
        .await
}

/// What a signed-in page shows of the business: its name for the header, and the time
/// zone its times are read in.
#[derive(Debug, Clone)]
pub struct Heading {
    pub name: String,
    pub time_zone: jiff::tz::TimeZone,
}

/// The business's [`Heading`]: any member may know their own business.
pub async fn heading(app: &App, who: &Principal) -> Result<Heading, AppError> {
    let mut tx = app.store.begin_tenant_read(who.tenant).await?;
    let row = tenants::current(&mut tx).await?;
    tx.commit().await?;
    // The zone was checked when it was saved; a name this build's zone data lacks reads
    // as UTC rather than failing the page.
    let time_zone = jiff::tz::TimeZone::get(&row.time_zone).unwrap_or(jiff::tz::TimeZone::UTC);
    Ok(Heading { name: row.name, time_zone })
}

/// The business name for the page header: any member may know their own business.
pub async fn business_name(app: &App, who: &Principal) -> Result<String, AppError> {
    Ok(heading(app, who).await?.name)
}

/// Versions of the policy the member accepted, with when (POL-1).
pub async fn policy_acceptances(app: &App, who: &Principal) -> Result<Vec<(String, String)>, AppError> {
    let mut tx = app.store.begin_tenant_read(who.tenant).await?;
    let rows = policy::acceptances_of(&mut tx, who.member).await?;
    tx.commit().await?;
    Ok(rows.into_iter().map(|r| (r.policy_version, crate::clock::format_instant(r.accepted_at))).collect())
}

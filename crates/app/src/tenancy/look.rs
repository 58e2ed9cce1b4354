//! How a business's booking page looks: its colour, the phone customers call or message
//! from it, its logo and cover photo. Owners and admins set it; anyone may see it on the
//! public pages. A colour is taken only when text stays readable with it; a picture only
//! when its bytes are a PNG, JPEG or WebP of a sensible size (`steward_domain::look`).

use crate::access::principal::Principal;
use crate::audit;
use crate::{App, AppError};
use steward_domain::contact::Phone;
use steward_domain::look::{Colour, Picture, sniff};
use steward_domain::permissions::Permission;
use steward_domain::retention::Stage;
use steward_store::tenancy::looks::{self, LookRow};

/// The look as pages use it.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct LookView {
    /// `#0b5cad`, and the lighter shade used on dark pages.
    pub accent: Option<String>,
    pub accent_dark: Option<String>,
    /// E.164.
    pub phone: Option<String>,
    pub has_logo: bool,
    pub has_cover: bool,
    /// Changes whenever the look does: pictures and the stylesheet are addressed with it,
    /// so a browser's cached copy is never stale.
    pub version: i64,
}

impl LookView {
    fn of(row: Option<LookRow>) -> Self {
        let Some(row) = row else { return Self::default() };
        let accent = row.accent.as_deref().and_then(|a| Colour::parse("accent", a).ok());
        Self {
            accent: accent.map(Colour::hex),
            accent_dark: accent.map(|a| a.for_dark_pages().hex()),
            phone: row.phone,
            has_logo: row.logo_type.is_some(),
            has_cover: row.cover_type.is_some(),
            version: row.updated_at,
        }
    }

    /// Whether the business chose anything at all.
    pub fn is_set(&self) -> bool {
        self.accent.is_some() || self.phone.is_some() || self.has_logo || self.has_cover
    }
}

/// The look, for the business's own settings page.
pub async fn of_business(app: &App, who: &Principal) -> Result<LookView, AppError> {
    who.require(Permission::TenantRead)?;
    let mut tx = app.store.begin_tenant_read(who.tenant).await?;
    let row = looks::find(&mut tx).await?;
    tx.commit().await?;
    Ok(LookView::of(row))
}

/// Sets the colour and the phone; an empty one is none.
pub async fn set_colour_and_phone(app: &App, who: &Principal, accent: &str, phone: &str) -> Result<(), AppError> {
    who.require(Permission::TenantManage)?;
    let accent = match accent.trim() {
        "" => None,
        raw => Some(Colour::parse_readable("accent", raw)?.hex()),
    };
    let (writer_app, writer_who, phone_raw) = (app.clone(), who.clone(), phone.trim().to_string());
    app.store
        .write(who.tenant, move |mut tx| async move {
            let (app, who) = (&writer_app, &writer_who);
            let phone = match phone_raw.as_str() {
                "" => None,
                raw => Some(
                    Phone::parse("phone", raw, &crate::customers::country_code(app, &mut tx).await?)?.into_string(),
                ),
            };
            looks::set_colour_and_phone(&mut tx, accent.as_deref(), phone.as_deref(), app.now()).await?;
            let details = serde_json::json!({ "fields": ["accent", "phone"], "accent": accent });
            audit::record(
                app,
                &mut tx,
                audit::by(who, "tenant.look_changed", Some(("tenant", who.tenant.to_string())), details),
            )
            .await?;
            tx.commit().await?;
            Ok(())
        })
        .await
}

/// Stores a picture after checking its bytes; the field named in an error is the
/// picture's (`logo`, `cover`).
pub async fn set_picture(app: &App, who: &Principal, picture: &str, bytes: Vec<u8>) -> Result<(), AppError> {
    who.require(Permission::TenantManage)?;
    let picture = Picture::parse("picture", picture)?;
    let info = sniff(picture.name(), picture, &bytes)?;
    store_picture(
        app,
        who,
        picture,
        Some((info.content_type, bytes)),
        serde_json::json!({
            "picture": picture.name(),
            "content_type": info.content_type,
            "width": info.width,
            "height": info.height,
        }),
    )
    .await
}

/// Removes a picture.
pub async fn remove_picture(app: &App, who: &Principal, picture: &str) -> Result<(), AppError> {
    who.require(Permission::TenantManage)?;
    let picture = Picture::parse("picture", picture)?;
    store_picture(app, who, picture, None, serde_json::json!({ "picture": picture.name(), "removed": true })).await
}

async fn store_picture(
    app: &App,
    who: &Principal,
    picture: Picture,
    stored: Option<(&'static str, Vec<u8>)>,
    details: serde_json::Value,
) -> Result<(), AppError> {
    let (writer_app, writer_who) = (app.clone(), who.clone());
    app.store
        .write(who.tenant, move |mut tx| async move {
            let (app, who) = (&writer_app, &writer_who);
            looks::set_picture(&mut tx, picture, stored, app.now()).await?;
            audit::record(
                app,
                &mut tx,
                audit::by(who, "tenant.look_changed", Some(("tenant", who.tenant.to_string())), details),
            )
            .await?;
            tx.commit().await?;
            Ok(())
        })
        .await
}

/// The look of an open business's public pages, by its short name.
pub async fn public(app: &App, slug: &str) -> Result<LookView, AppError> {
    let tenant = open_business(app, slug).await?;
    let mut tx = app.store.begin_tenant_read(tenant).await?;
    let row = looks::find(&mut tx).await?;
    tx.commit().await?;
    Ok(LookView::of(row))
}

/// A picture of an open business: its content type and bytes.
pub async fn public_picture(app: &App, slug: &str, picture: &str) -> Result<(String, Vec<u8>), AppError> {
    let picture = Picture::parse("picture", picture).map_err(|_| AppError::NotFound)?;
    let tenant = open_business(app, slug).await?;
    let mut tx = app.store.begin_tenant_read(tenant).await?;
    let found = looks::picture(&mut tx, picture).await?;
    tx.commit().await?;
    found.ok_or(AppError::NotFound)
}

async fn open_business(app: &App, slug: &str) -> Result<steward_domain::ids::TenantId, AppError> {
    let tenant = crate::tenancy::find_by_slug(app, slug).await?.ok_or(AppError::NotFound)?;
    if tenant.status != Stage::Active {
        return Err(AppError::NotFound);
    }
    Ok(tenant.id)
}

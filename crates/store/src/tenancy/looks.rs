//! `business_looks`: one row per business with the colour, public phone and pictures of
//! its booking page. Pages read the small columns; a picture's bytes are read only when
//! the picture itself is asked for.

use crate::{Micros, StoreError, TenantTx, args};
use steward_domain::look::Picture;

/// The look without the pictures' bytes.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct LookRow {
    pub accent: Option<String>,
    pub phone: Option<String>,
    pub logo_type: Option<String>,
    pub cover_type: Option<String>,
    pub updated_at: Micros,
}

/// The business's look; `None` while it has chosen nothing.
pub async fn find(tx: &mut TenantTx) -> Result<Option<LookRow>, StoreError> {
    let row = tx
        .fetch_optional(
            "SELECT accent, phone, logo_type, cover_type, updated_at FROM business_looks WHERE tenant_id = $1",
            args![],
        )
        .await?;
    row.map(|row| {
        Ok(LookRow {
            accent: row.get("accent")?,
            phone: row.get("phone")?,
            logo_type: row.get("logo_type")?,
            cover_type: row.get("cover_type")?,
            updated_at: row.get("updated_at")?,
        })
    })
    .transpose()
}

/// Sets the colour and phone, keeping the pictures.
pub async fn set_colour_and_phone(
    tx: &mut TenantTx,
    accent: Option<&str>,
    phone: Option<&str>,
    now: Micros,
) -> Result<(), StoreError> {
    tx.execute(
        "INSERT INTO business_looks (tenant_id, accent, phone, updated_at) VALUES ($1, $2, $3, $4)
         ON CONFLICT (tenant_id) DO UPDATE SET accent = excluded.accent, phone = excluded.phone,
             updated_at = excluded.updated_at",
        args![accent, phone, now],
    )
    .await?;
    Ok(())
}

/// Stores a picture (its type and bytes already checked), or removes it with `None`.
pub async fn set_picture(
    tx: &mut TenantTx,
    picture: Picture,
    stored: Option<(&str, Vec<u8>)>,
    now: Micros,
) -> Result<(), StoreError> {
    let sql = match picture {
        Picture::Logo => {
            "INSERT INTO business_looks (tenant_id, logo_type, logo, updated_at) VALUES ($1, $2, $3, $4)
             ON CONFLICT (tenant_id) DO UPDATE SET logo_type = excluded.logo_type, logo = excluded.logo,
                 updated_at = excluded.updated_at"
        }
        Picture::Cover => {
            "INSERT INTO business_looks (tenant_id, cover_type, cover, updated_at) VALUES ($1, $2, $3, $4)
             ON CONFLICT (tenant_id) DO UPDATE SET cover_type = excluded.cover_type, cover = excluded.cover,
                 updated_at = excluded.updated_at"
        }
    };
    let (content_type, bytes) = match stored {
        Some((content_type, bytes)) => (Some(content_type.to_string()), Some(bytes)),
        None => (None, None),
    };
    tx.execute(sql, args![content_type, bytes, now]).await?;
    Ok(())
}

/// A picture's type and bytes, when the business has one.
pub async fn picture(tx: &mut TenantTx, picture: Picture) -> Result<Option<(String, Vec<u8>)>, StoreError> {
    let sql = match picture {
        Picture::Logo => "SELECT logo_type AS content_type, logo AS bytes FROM business_looks WHERE tenant_id = $1",
        Picture::Cover => "SELECT cover_type AS content_type, cover AS bytes FROM business_looks WHERE tenant_id = $1",
    };
    let Some(row) = tx.fetch_optional(sql, args![]).await? else { return Ok(None) };
    let content_type: Option<String> = row.get("content_type")?;
    let bytes: Option<Vec<u8>> = row.get("bytes")?;
    Ok(content_type.zip(bytes))
}

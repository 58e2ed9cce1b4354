//! A business's reminder rules, its provider accounts (secrets sealed by the caller) and
//! its templates. Absent rows mean Steward's defaults.

use crate::{Micros, Row, StoreError, TenantTx, args};
use uuid::Uuid;

/// The rules as stored; the app parses and checks them.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SettingsRow {
    pub reminder_minutes: String,
    pub channel_order: String,
    pub quiet_from: i64,
    pub quiet_until: i64,
    pub services: String,
    pub send_confirmation: bool,
    pub send_changes: bool,
    pub follow_up_minutes: Option<i64>,
    pub language: String,
}

pub async fn find(tx: &mut TenantTx) -> Result<Option<SettingsRow>, StoreError> {
    let row = tx
        .fetch_optional(
            "SELECT reminder_minutes, channel_order, quiet_from, quiet_until, services, send_confirmation,
                    send_changes, follow_up_minutes, language FROM messaging_settings WHERE tenant_id = $1",
            args![],
        )
        .await?;
    row.as_ref().map(settings_of).transpose()
}

/// The rules as stored and the business's time zone, in one read: every booking plans its
/// messages with both.
pub async fn find_with_business_zone(tx: &mut TenantTx) -> Result<(Option<SettingsRow>, String), StoreError> {
    let row = tx
        .fetch_one(
            "SELECT t.time_zone, s.tenant_id IS NOT NULL AS configured, s.reminder_minutes, s.channel_order,
                    s.quiet_from, s.quiet_until, s.services, s.send_confirmation, s.send_changes,
                    s.follow_up_minutes, s.language
             FROM tenants t LEFT JOIN messaging_settings s ON s.tenant_id = t.id WHERE t.id = $1",
            args![],
        )
        .await?;
    let settings = if row.get::<bool>("configured")? { Some(settings_of(&row)?) } else { None };
    Ok((settings, row.get("time_zone")?))
}

fn settings_of(row: &Row) -> Result<SettingsRow, StoreError> {
    Ok(SettingsRow {
        reminder_minutes: row.get("reminder_minutes")?,
        channel_order: row.get("channel_order")?,
        quiet_from: row.get("quiet_from")?,
        quiet_until: row.get("quiet_until")?,
        services: row.get("services")?,
        send_confirmation: row.get("send_confirmation")?,
        send_changes: row.get("send_changes")?,
        follow_up_minutes: row.get("follow_up_minutes")?,
        language: row.get("language")?,
    })
}

pub async fn save(tx: &mut TenantTx, row: &SettingsRow, by: Option<Uuid>, now: Micros) -> Result<(), StoreError> {
    tx.execute(
        "INSERT INTO messaging_settings (tenant_id, reminder_minutes, channel_order, quiet_from, quiet_until, services,
                send_confirmation, send_changes, follow_up_minutes, language, updated_by, updated_at)
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12)
         ON CONFLICT (tenant_id) DO UPDATE SET reminder_minutes = excluded.reminder_minutes,
                channel_order = excluded.channel_order, quiet_from = excluded.quiet_from,
                quiet_until = excluded.quiet_until, services = excluded.services,
                send_confirmation = excluded.send_confirmation, send_changes = excluded.send_changes,
                follow_up_minutes = excluded.follow_up_minutes, language = excluded.language,
                updated_by = excluded.updated_by, updated_at = excluded.updated_at",
        args![
            &row.reminder_minutes,
            &row.channel_order,
            row.quiet_from,
            row.quiet_until,
            &row.services,
            row.send_confirmation,
            row.send_changes,
            row.follow_up_minutes,
            &row.language,
            by,
            now
        ],
    )
    .await?;
    Ok(())
}

/// A connected provider account.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ChannelRow {
    pub channel: String,
    /// Twilio's account SID, or WhatsApp's phone number id.
    pub account: String,
    /// The sending number or messaging service (Twilio); the display number (WhatsApp).
    pub sender: String,
    pub secret_sealed: Vec<u8>,
    pub secret_hint: String,
    pub callback_secret_sealed: Option<Vec<u8>>,
    pub verify_token: String,
    pub updated_at: Micros,
}

fn channel_from(row: &Row) -> Result<ChannelRow, StoreError> {
    Ok(ChannelRow {
        channel: row.get("channel")?,
        account: row.get("account")?,
        sender: row.get("sender")?,
        secret_sealed: row.get("secret_sealed")?,
        secret_hint: row.get("secret_hint")?,
        callback_secret_sealed: row.get("callback_secret_sealed")?,
        verify_token: row.get("verify_token")?,
        updated_at: row.get("updated_at")?,
    })
}

pub async fn channels(tx: &mut TenantTx) -> Result<Vec<ChannelRow>, StoreError> {
    let rows = tx
        .fetch_all(
            "SELECT channel, account, sender, secret_sealed, secret_hint, callback_secret_sealed, verify_token, updated_at
             FROM messaging_channels WHERE tenant_id = $1 ORDER BY channel",
            args![],
        )
        .await?;
    rows.iter().map(channel_from).collect()
}

pub async fn save_channel(tx: &mut TenantTx, row: &ChannelRow, by: Option<Uuid>) -> Result<(), StoreError> {
    tx.execute(
        "INSERT INTO messaging_channels (tenant_id, channel, account, sender, secret_sealed, secret_hint,
                callback_secret_sealed, verify_token, updated_by, updated_at)
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10)
         ON CONFLICT (tenant_id, channel) DO UPDATE SET account = excluded.account, sender = excluded.sender,
                secret_sealed = excluded.secret_sealed, secret_hint = excluded.secret_hint,
                callback_secret_sealed = excluded.callback_secret_sealed, verify_token = excluded.verify_token,
                updated_by = excluded.updated_by, updated_at = excluded.updated_at",
        args![
            &row.channel,
            &row.account,
            &row.sender,
            row.secret_sealed.clone(),
            &row.secret_hint,
            row.callback_secret_sealed.clone(),
            &row.verify_token,
            by,
            row.updated_at
        ],
    )
    .await?;
    Ok(())
}

pub async fn remove_channel(tx: &mut TenantTx, channel: &str) -> Result<bool, StoreError> {
    Ok(tx.execute("DELETE FROM messaging_channels WHERE tenant_id = $1 AND channel = $2", args![channel]).await? > 0)
}

/// A template a business wrote.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TemplateRow {
    pub kind: String,
    pub language: String,
    pub body: String,
    pub whatsapp_template: String,
    pub updated_at: Micros,
}

pub async fn templates(tx: &mut TenantTx) -> Result<Vec<TemplateRow>, StoreError> {
    let rows = tx
        .fetch_all(
            "SELECT kind, language, body, whatsapp_template, updated_at FROM message_templates
             WHERE tenant_id = $1 ORDER BY kind, language",
            args![],
        )
        .await?;
    rows.iter()
        .map(|row| {
            Ok(TemplateRow {
                kind: row.get("kind")?,
                language: row.get("language")?,
                body: row.get("body")?,
                whatsapp_template: row.get("whatsapp_template")?,
                updated_at: row.get("updated_at")?,
            })
        })
        .collect()
}

pub async fn save_template(tx: &mut TenantTx, row: &TemplateRow, by: Option<Uuid>) -> Result<(), StoreError> {
    tx.execute(
        "INSERT INTO message_templates (tenant_id, kind, language, body, whatsapp_template, updated_by, updated_at)
         VALUES ($1, $2, $3, $4, $5, $6, $7)
         ON CONFLICT (tenant_id, kind, language) DO UPDATE SET body = excluded.body,
                whatsapp_template = excluded.whatsapp_template, updated_by = excluded.updated_by,
                updated_at = excluded.updated_at",
        args![&row.kind, &row.language, &row.body, &row.whatsapp_template, by, row.updated_at],
    )
    .await?;
    Ok(())
}

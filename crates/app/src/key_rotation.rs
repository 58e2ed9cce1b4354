//! Rotating the master key: every tenant key is unwrapped with the old master key and
//! wrapped again with the new one, and nothing else in the key hierarchy changes. Customer
//! keys stay wrapped by their tenant key and sealed values stay sealed by customer keys, so
//! no data row is read or written and a data backup from before the rotation opens with
//! the key store as it is now and the new master key.
//!
//! What else the master key protects, and what the rotation does about each:
//! - audit checkpoints are signed with a key derived from it: each is checked under the old
//!   key and signed again under the new one, in the tenant's own transaction with its key.
//!   A checkpoint the old key did not sign is left as it is, so `audit verify` still names
//!   it (a rotation must not launder a forged checkpoint).
//! - the signed links mailed to people (a booking's manage link, an access archive's
//!   download link) are derived from it and cannot be re-signed in people's mailboxes: they
//!   follow the new key and links mailed before the rotation stop working. A rotation is
//!   usually made because the old key may have leaked, and with it anyone could forge
//!   those links; keeping them on the old key would keep that door open.
//! - the `steward_device` cookies that let a member's own browser past a lockout are
//!   signed with a key derived from it: after a rotation every browser is a new one until
//!   its member signs in again, which only matters while an account is locked.
//! - blind indexes and search terms are not derived from the master key (search terms are
//!   plain normalised values), so nothing there changes.
//!
//! Each tenant is one transaction (its key, its checkpoints, one audit event), and each
//! tenant key records the fingerprint of the master key that wraps it, so a rotation
//! stopped at any point (killed, failed, or told to stop after a number of keys) is
//! finished by running it again: it skips the keys already under the new master key.

use crate::keys::{TENANT_KEY_WRAP, key_from, tenant_context};
use crate::retention::Actor;
use crate::{App, AppError, audit};
use secrecy::ExposeSecret;
use serde::Serialize;
use serde_json::json;
use std::sync::Arc;
use steward_crypto::master_key::MasterKey;
use steward_crypto::seal::{open, seal};
use steward_store::TenantTx;
use steward_store::audit as audit_rows;
use steward_store::keystore;
use steward_store::tenancy::tenants;

/// What a rotation did.
#[derive(Debug, Clone, Default, Serialize, PartialEq, Eq)]
pub struct RotationReport {
    pub old_key: String,
    pub new_key: String,
    pub tenants: usize,
    /// Tenant keys wrapped again by this run.
    pub rewrapped: usize,
    /// Tenant keys an earlier run had already moved to the new master key.
    pub already_rotated: usize,
    /// Tenants with no key (nothing sealed yet, or purged).
    pub without_key: usize,
    /// Tenant keys left under the old master key because the run was told to stop.
    pub remaining: usize,
    pub checkpoints_signed_again: usize,
    /// Checkpoints neither key signed: left for `audit verify` to name.
    pub checkpoints_not_signed_by_either: usize,
}

/// Moves every tenant key from the app's master key to `new_key`, re-wrapping at most
/// `limit` keys in this run (`None`: all). `progress(done, total)` is called per tenant.
pub async fn rotate(
    app: &App,
    new_key: Arc<MasterKey>,
    limit: Option<usize>,
    progress: &(dyn Fn(usize, usize) + Sync),
) -> Result<RotationReport, AppError> {
    let (old_id, new_id) = (app.master_key.fingerprint(), new_key.fingerprint());
    if old_id == new_id {
        return Err(AppError::NotAllowed(format!(
            "the new master key is the one in use (fingerprint {old_id}); give a new key"
        )));
    }
    let mut platform = app.store.begin_platform().await?;
    let all = tenants::list(&mut platform).await?;
    platform.commit().await?;
    let mut report =
        RotationReport { old_key: old_id.clone(), new_key: new_id.clone(), tenants: all.len(), ..Default::default() };
    for (done, tenant) in all.iter().enumerate() {
        let may_rewrap = limit.is_none_or(|limit| report.rewrapped < limit);
        let (writer_app, new_key, slug) = (app.clone(), new_key.clone(), tenant.slug.clone());
        let rotated = app
            .store
            .write(
                tenant.id,
                move |tx| async move { rotate_tenant(&writer_app, tx, &new_key, &slug, may_rewrap).await },
            )
            .await?;
        match rotated.key {
            TenantKey::Missing => report.without_key += 1,
            TenantKey::AlreadyRotated => report.already_rotated += 1,
            TenantKey::Remaining => report.remaining += 1,
            TenantKey::Rewrapped => report.rewrapped += 1,
        }
        report.checkpoints_signed_again += rotated.checkpoints_signed_again;
        report.checkpoints_not_signed_by_either += rotated.checkpoints_not_signed_by_either;
        // This process's unwrapped copy is still right (the key itself did not change), but
        // it must not outlive the old master key it was unwrapped with.
        app.keys.forget(tenant.id);
        progress(done + 1, all.len());
    }
    Ok(report)
}

/// What became of one tenant's key in a rotation.
enum TenantKey {
    /// Nothing sealed yet, or purged.
    Missing,
    AlreadyRotated,
    /// Left under the old master key: the run's limit was reached.
    Remaining,
    Rewrapped,
}

/// One tenant's part of a rotation, its own transaction.
struct TenantRotation {
    key: TenantKey,
    checkpoints_signed_again: usize,
    checkpoints_not_signed_by_either: usize,
}

async fn rotate_tenant(
    app: &App,
    mut tx: TenantTx,
    new_key: &MasterKey,
    slug: &str,
    may_rewrap: bool,
) -> Result<TenantRotation, AppError> {
    let old_key: &MasterKey = &app.master_key;
    let (old_id, new_id) = (old_key.fingerprint(), new_key.fingerprint());
    let tenant = tx.tenant();
    let only = |key| TenantRotation { key, checkpoints_signed_again: 0, checkpoints_not_signed_by_either: 0 };
    let key = match keystore::tenant_key(&mut tx).await? {
        None => TenantKey::Missing,
        Some(stored) if stored.master_key_id.as_deref() == Some(new_id.as_str()) => TenantKey::AlreadyRotated,
        Some(_) if !may_rewrap => {
            // Its checkpoints wait with it: they move to the new key together.
            tx.commit().await?;
            return Ok(only(TenantKey::Remaining));
        }
        Some(stored) => {
            let context = tenant_context(tenant);
            let old_wrap = old_key.derive(TENANT_KEY_WRAP);
            let new_wrap = new_key.derive(TENANT_KEY_WRAP);
            let key = match open(old_wrap.expose_secret(), &context, &stored.key.wrapped) {
                Ok(bytes) => key_from(bytes)?,
                // Wrapped by the new key without its fingerprint recorded: only the
                // fingerprint is missing.
                Err(_) if open(new_wrap.expose_secret(), &context, &stored.key.wrapped).is_ok() => {
                    keystore::rewrap_tenant_key(&mut tx, &stored.key.wrapped, &new_id).await?;
                    tx.commit().await?;
                    return Ok(only(TenantKey::AlreadyRotated));
                }
                Err(_) => {
                    return Err(AppError::NotAllowed(format!(
                        "the key of tenant {slug} opens with neither the old master key ({old_id}) nor the new one \
                         ({new_id}); it was left as it is, and so were the tenants after it"
                    )));
                }
            };
            let wrapped = seal(new_wrap.expose_secret(), &context, key.expose_secret())?;
            keystore::rewrap_tenant_key(&mut tx, &wrapped, &new_id).await?;
            TenantKey::Rewrapped
        }
    };
    let mut rotation = only(key);
    for checkpoint in audit_rows::checkpoints(&mut tx).await? {
        if checkpoint.signature == audit::checkpoint_signature_with(new_key, tenant, &checkpoint) {
            continue;
        }
        if checkpoint.signature == audit::checkpoint_signature_with(old_key, tenant, &checkpoint) {
            let signature = audit::checkpoint_signature_with(new_key, tenant, &checkpoint);
            audit_rows::set_checkpoint_signature(&mut tx, checkpoint.seq, &signature).await?;
            rotation.checkpoints_signed_again += 1;
        } else {
            rotation.checkpoints_not_signed_by_either += 1;
        }
    }
    let rewrapped = matches!(rotation.key, TenantKey::Rewrapped);
    if rewrapped || rotation.checkpoints_signed_again > 0 {
        let details = json!({ "old_master_key": old_id, "new_master_key": new_id,
                              "tenant_key_rewrapped": rewrapped,
                              "checkpoints_signed_again": rotation.checkpoints_signed_again });
        audit::record(app, &mut tx, Actor::Operator.event("master_key.rotated", None, details)).await?;
    }
    tx.commit().await?;
    Ok(rotation)
}

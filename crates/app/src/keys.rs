//! The key hierarchy of sealed values: the master key wraps one key per tenant; the tenant
//! key wraps one key per data subject (a customer); the subject's key seals their
//! sensitive values. Destroying a subject's key erases their sensitive values everywhere,
//! backups included; destroying a tenant's key does the same for the whole tenant.
//!
//! Keys are created in a transaction of their own, committed before any value sealed with
//! them is written: on SQLite the key store is a separate file, and a crash can then at
//! worst leave an unused key, never a sealed value without its key.

use crate::{App, AppError};
use secrecy::{ExposeSecret, SecretBox};
use std::collections::HashMap;
use std::sync::{Arc, Mutex};
use steward_crypto::seal::{field_context, open, seal};
use steward_crypto::{CryptoError, random_bytes};
use steward_domain::ids::TenantId;
use steward_store::TenantTx;
use steward_store::keystore::{self, WrappedKey};
use uuid::Uuid;

/// A 32-byte key, never printed.
pub type Key = Arc<SecretBox<[u8; 32]>>;

const KEY_VERSION: i64 = 1;

/// The purpose the master key derives the tenant keys' wrapping key for.
pub(crate) const TENANT_KEY_WRAP: &str = "tenant-key-wrap";

/// Unwrapped tenant keys, so a request does not unwrap its tenant's key again.
#[derive(Default)]
pub struct KeyRing {
    tenants: Mutex<HashMap<TenantId, Key>>,
}

impl std::fmt::Debug for KeyRing {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("KeyRing(****)")
    }
}

impl KeyRing {
    fn cached(&self, tenant: TenantId) -> Option<Key> {
        self.tenants.lock().ok().and_then(|keys| keys.get(&tenant).cloned())
    }

    /// Drops a tenant's unwrapped key from memory (its stored key was destroyed).
    pub fn forget(&self, tenant: TenantId) {
        if let Ok(mut keys) = self.tenants.lock() {
            keys.remove(&tenant);
        }
    }

    fn remember(&self, tenant: TenantId, key: Key) {
        if let Ok(mut keys) = self.tenants.lock() {
            keys.insert(tenant, key);
        }
    }
}

pub(crate) fn tenant_context(tenant: TenantId) -> Vec<u8> {
    field_context(&tenant.to_string(), "keystore.tenant_keys", "wrapped", &tenant.to_string(), KEY_VERSION as u32)
}

fn subject_context(tenant: TenantId, subject: Uuid) -> Vec<u8> {
    field_context(&tenant.to_string(), "keystore.subject_keys", "wrapped", &subject.to_string(), KEY_VERSION as u32)
}

pub(crate) fn key_from(bytes: Vec<u8>) -> Result<Key, AppError> {
    let array: [u8; 32] = bytes.try_into().map_err(|_| AppError::Crypto(CryptoError::Unseal))?;
    Ok(Arc::new(SecretBox::new(Box::new(array))))
}

/// The tenant's key, unwrapped, from the cache or the key store (`None` if it has none yet).
pub(crate) async fn tenant_key_in(app: &App, tx: &mut TenantTx) -> Result<Option<Key>, AppError> {
    let tenant = tx.tenant();
    if let Some(key) = app.keys.cached(tenant) {
        return Ok(Some(key));
    }
    let Some(stored) = keystore::tenant_key(tx).await? else { return Ok(None) };
    let ours = app.master_key.fingerprint();
    if let Some(theirs) = stored.master_key_id.as_deref().filter(|theirs| *theirs != ours) {
        // Say which key is missing rather than "a sealed value could not be opened": the
        // operator started this process with one master key while a rotation moved (or is
        // moving) the tenant keys to another.
        return Err(AppError::Internal(format!(
            "this tenant's key is wrapped by master key {theirs}, but this process holds master key {ours}: \
             start it with the new master key, or finish `steward keys rotate`"
        )));
    }
    let wrapping = app.master_key.derive(TENANT_KEY_WRAP);
    let key = key_from(open(wrapping.expose_secret(), &tenant_context(tenant), &stored.key.wrapped)?)?;
    app.keys.remember(tenant, key.clone());
    Ok(Some(key))
}

/// The tenant's key, created (and committed) first if it has none.
pub(crate) async fn tenant_key(app: &App, tenant: TenantId) -> Result<Key, AppError> {
    if let Some(key) = app.keys.cached(tenant) {
        return Ok(key);
    }
    let writer_app = app.clone();
    app.store
        .write(tenant, move |mut tx| async move {
            let app = &writer_app;
            if keystore::tenant_key(&mut tx).await?.is_none() {
                let fresh = random_bytes::<32>()?;
                let wrapping = app.master_key.derive(TENANT_KEY_WRAP);
                let wrapped = seal(wrapping.expose_secret(), &tenant_context(tenant), &fresh)?;
                let master_key_id = app.master_key.fingerprint();
                keystore::insert_tenant_key(
                    &mut tx,
                    &WrappedKey { key_version: KEY_VERSION, wrapped },
                    &master_key_id,
                    app.now(),
                )
                .await?;
            }
            let key = tenant_key_in(app, &mut tx)
                .await?
                .ok_or(AppError::Internal("tenant key missing after insert".into()))?;
            tx.commit().await?;
            Ok(key)
        })
        .await
}

/// Makes sure the subject has a key, committing a new one in its own transaction.
pub async fn ensure_subject_key(app: &App, tenant: TenantId, subject: Uuid) -> Result<(), AppError> {
    let tenant_key = tenant_key(app, tenant).await?;
    let writer_app = app.clone();
    app.store
        .write(tenant, move |mut tx| async move {
            let app = &writer_app;
            if keystore::subject_key(&mut tx, subject).await?.is_none() {
                let fresh = random_bytes::<32>()?;
                let wrapped = seal(tenant_key.expose_secret(), &subject_context(tenant, subject), &fresh)?;
                keystore::insert_subject_key(
                    &mut tx,
                    subject,
                    &WrappedKey { key_version: KEY_VERSION, wrapped },
                    app.now(),
                )
                .await?;
            }
            tx.commit().await?;
            Ok::<_, AppError>(())
        })
        .await
}

/// The subject's key, made inside the caller's write transaction if it has none, so the
/// key and the first value sealed with it are committed (or rolled back) together. The
/// tenant's key must already exist: make it first with [`tenant_key`], which commits it on
/// its own, since a cached tenant key that a rollback then took away would seal values
/// nothing could open.
pub async fn subject_key_made_in(app: &App, tx: &mut TenantTx, subject: Uuid) -> Result<Key, AppError> {
    if let Some(key) = subject_key(app, tx, subject).await? {
        return Ok(key);
    }
    let tenant = tx.tenant();
    let tenant_key = tenant_key_in(app, tx)
        .await?
        .ok_or(AppError::Internal("the tenant's key is made before a write that seals values".into()))?;
    let fresh = random_bytes::<32>()?;
    let wrapped = seal(tenant_key.expose_secret(), &subject_context(tenant, subject), &fresh)?;
    keystore::insert_subject_key(tx, subject, &WrappedKey { key_version: KEY_VERSION, wrapped }, app.now()).await?;
    // Read back rather than use `fresh`: a concurrent write may have made the key first.
    subject_key(app, tx, subject)
        .await?
        .ok_or(AppError::Internal("a subject key was missing right after it was made".into()))
}

/// The subject's key inside the caller's transaction, or `None` if it was destroyed or
/// never made.
pub async fn subject_key(app: &App, tx: &mut TenantTx, subject: Uuid) -> Result<Option<Key>, AppError> {
    let Some(stored) = keystore::subject_key(tx, subject).await? else { return Ok(None) };
    let Some(tenant_key) = tenant_key_in(app, tx).await? else { return Ok(None) };
    let bytes = open(tenant_key.expose_secret(), &subject_context(tx.tenant(), subject), &stored.wrapped)?;
    Ok(Some(key_from(bytes)?))
}

/// Where a sealed value lives; the seal is bound to it, so a value copied anywhere else
/// does not open.
pub struct Place<'a> {
    pub table: &'a str,
    pub column: &'a str,
    pub row: String,
}

fn context(tenant: TenantId, place: &Place<'_>) -> Vec<u8> {
    field_context(&tenant.to_string(), place.table, place.column, &place.row, KEY_VERSION as u32)
}

pub fn seal_value(key: &Key, tenant: TenantId, place: &Place<'_>, plaintext: &str) -> Result<Vec<u8>, AppError> {
    Ok(seal(key.expose_secret(), &context(tenant, place), plaintext.as_bytes())?)
}

pub fn open_value(key: &Key, tenant: TenantId, place: &Place<'_>, sealed: &[u8]) -> Result<String, AppError> {
    let bytes = open(key.expose_secret(), &context(tenant, place), sealed)?;
    String::from_utf8(bytes).map_err(|_| AppError::Crypto(CryptoError::Unseal))
}

//! Backups of an SQLite deployment: an online, consistent copy of the data and, apart from
//! it, of the key store (`VACUUM INTO`, which reads one snapshot while writers go on), and
//! the check a copy passes before it is restored. PostgreSQL deployments back up with
//! `pg_dump` as docs/operations.md describes.

use crate::tx::Backend;
use crate::{Store, StoreError};
use sqlx::ConnectOptions;
use sqlx::sqlite::SqliteConnectOptions;
use std::path::{Path, PathBuf};
use std::str::FromStr;

/// Why a backup cannot be made or restored.
#[derive(Debug, thiserror::Error)]
pub enum BackupError {
    #[error("backups by `steward backup` are for SQLite; back up PostgreSQL with pg_dump (docs/operations.md)")]
    NotSqlite,
    #[error("{path}: {message}")]
    Unusable { path: String, message: String },
    #[error(transparent)]
    Store(#[from] StoreError),
}

impl Store {
    /// The database file and key store file of an SQLite deployment.
    pub fn sqlite_files(url: &str) -> Result<(PathBuf, PathBuf), BackupError> {
        let options = SqliteConnectOptions::from_str(url).map_err(|e| BackupError::Store(e.into()))?;
        let data = options.get_filename().to_path_buf();
        let keys = PathBuf::from(crate::sqlite::keystore_path(&data));
        Ok((data, keys))
    }

    /// Copies the data (without keys) to `data_file` and the key store to `keys_file`, each
    /// as one consistent snapshot, while the deployment keeps running.
    pub async fn backup_sqlite(&self, data_file: &Path, keys_file: &Path) -> Result<(), BackupError> {
        let Backend::Sqlite(pool, _) = &self.backend else { return Err(BackupError::NotSqlite) };
        // VACUUM INTO writes into an empty file as it finds it: made private first, the
        // copy is never readable by other local users, not even while it is written.
        for file in [data_file, keys_file] {
            crate::private_files::make_private_file(file)
                .map_err(|e| BackupError::Unusable { path: file.display().to_string(), message: e.to_string() })?;
        }
        let mut conn = pool.acquire().await.map_err(StoreError::from)?;
        sqlx::query("VACUUM main INTO ?")
            .bind(data_file.to_string_lossy().into_owned())
            .execute(&mut *conn)
            .await
            .map_err(StoreError::from)?;
        sqlx::query("VACUUM keystore INTO ?")
            .bind(keys_file.to_string_lossy().into_owned())
            .execute(&mut *conn)
            .await
            .map_err(StoreError::from)?;
        Ok(())
    }
}

/// Opens a copy read-only and checks it: intact pages, and a schema this Steward knows.
/// Returns the copy's schema version (0 for a key store copy).
pub async fn check_copy(path: &Path, key_store: bool) -> Result<i64, BackupError> {
    let unusable = |message: String| BackupError::Unusable { path: path.display().to_string(), message };
    if !path.is_file() {
        return Err(unusable("no such file".into()));
    }
    let mut conn = SqliteConnectOptions::new()
        .filename(path)
        .read_only(true)
        .connect()
        .await
        .map_err(|e| unusable(format!("not an SQLite database ({e})")))?;
    let (verdict,): (String,) = sqlx::query_as("PRAGMA integrity_check")
        .fetch_one(&mut conn)
        .await
        .map_err(|e| unusable(format!("cannot be read ({e})")))?;
    if verdict != "ok" {
        return Err(unusable(format!("is damaged: {verdict}")));
    }
    let table = if key_store { "tenant_keys" } else { "schema_migrations" };
    let (found,): (i64,) = sqlx::query_as("SELECT COUNT(*) FROM sqlite_master WHERE type = 'table' AND name = ?")
        .bind(table)
        .fetch_one(&mut conn)
        .await
        .map_err(StoreError::from)?;
    if found == 0 {
        let what = if key_store { "a Steward key store backup" } else { "a Steward data backup" };
        return Err(unusable(format!("is not {what}")));
    }
    if key_store {
        return Ok(0);
    }
    let (version,): (i64,) = sqlx::query_as("SELECT COALESCE(MAX(version), 0) FROM schema_migrations")
        .fetch_one(&mut conn)
        .await
        .map_err(StoreError::from)?;
    let known = crate::migrations::SQLITE.iter().map(|m| m.version).max().unwrap_or(0);
    if version > known {
        return Err(unusable(format!("has schema version {version}; this Steward knows up to {known}")));
    }
    Ok(version)
}

//! The SQLite backend: Steward's embedded default.
//!
//! WAL so readers never wait for the writer, `foreign_keys` on (SQLite leaves them off
//! per connection), a busy timeout so writers queue instead of failing, and
//! `secure_delete` so erased rows are overwritten rather than left in free pages.

use crate::StoreError;
use sqlx::sqlite::{SqliteConnectOptions, SqliteJournalMode, SqlitePoolOptions, SqliteSynchronous};
use std::str::FromStr;
use std::time::Duration;

pub(crate) async fn open_pool(url: &str, max_connections: u32) -> Result<sqlx::SqlitePool, StoreError> {
    let options = SqliteConnectOptions::from_str(url)?
        .create_if_missing(true)
        .journal_mode(SqliteJournalMode::Wal)
        .synchronous(SqliteSynchronous::Normal)
        .foreign_keys(true)
        .busy_timeout(Duration::from_secs(10))
        .pragma("secure_delete", "ON");
    if let Some(parent) = std::path::Path::new(options.get_filename()).parent()
        && !parent.as_os_str().is_empty()
    {
        std::fs::create_dir_all(parent)
            .map_err(|e| StoreError::UnsafeSetup(format!("cannot create the folder {}: {e}", parent.display())))?;
    }
    let pool = SqlitePoolOptions::new()
        .test_before_acquire(false)
        .max_connections(max_connections.max(2))
        .min_connections(1)
        .connect_with(options)
        .await?;
    Ok(pool)
}

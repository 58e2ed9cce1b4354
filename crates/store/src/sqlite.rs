//! The SQLite backend: Steward's embedded default.
//!
//! WAL so readers never wait for the writer, `foreign_keys` on (SQLite leaves them off
//! per connection), a busy timeout so writers queue instead of failing, and
//! `secure_delete` so erased rows are overwritten rather than left in free pages.
//!
//! The key store is a second file beside the database (`steward.keys.db` next to
//! `steward.db`), attached to every connection as the schema `keystore`. Queries name its
//! tables `keystore.…` on both backends; a copy of the data file alone holds no key.

use crate::StoreError;
use sqlx::sqlite::{SqliteConnectOptions, SqliteJournalMode, SqlitePoolOptions, SqliteSynchronous};
use std::str::FromStr;
use std::time::Duration;

pub use crate::writer_thread::RELEASE_AFTER_IDLE;

/// How much memory SQLite's page caches may hold, every connection together. Each
/// connection keeps a cache of its own (sixteen readers of 64 MiB each held 100 MiB on a
/// server left idle after a day's work), so the budget is divided: half for the writing
/// connection, whose pages every write touches, half shared among the readers. A page
/// outside a cache is read again from the operating system's file cache.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct CacheBudget {
    pub mib: u32,
}

impl CacheBudget {
    /// Measured no slower than 512 MiB on a business of 20,000 customers
    /// (docs/benchmarks.md, "Growth").
    pub const DEFAULT: CacheBudget = CacheBudget { mib: 16 };
    /// No connection's cache goes below this, whatever the division gives.
    const FLOOR_KIB: u32 = 512;

    pub(crate) fn writer_kib(self) -> u32 {
        (self.mib.saturating_mul(1024) / 2).max(Self::FLOOR_KIB)
    }

    pub(crate) fn reader_kib(self, readers: u32) -> u32 {
        (self.mib.saturating_mul(1024) / 2 / readers.max(1)).max(Self::FLOOR_KIB)
    }
}

pub(crate) async fn open_pool(
    url: &str,
    max_connections: u32,
    cache: CacheBudget,
) -> Result<sqlx::SqlitePool, StoreError> {
    let max_connections = max_connections.max(1);
    let options = SqliteConnectOptions::from_str(url)?
        .create_if_missing(true)
        .journal_mode(SqliteJournalMode::Wal)
        .synchronous(SqliteSynchronous::Normal)
        .foreign_keys(true)
        .busy_timeout(Duration::from_secs(10))
        .pragma("secure_delete", "ON")
        .pragma("cache_size", format!("-{}", cache.reader_kib(max_connections)));
    let database = options.get_filename().to_path_buf();
    if let Some(parent) = database.parent() {
        crate::private_files::create_private_folder(parent)
            .map_err(|e| StoreError::UnsafeSetup(format!("cannot create the folder {}: {e}", parent.display())))?;
    }
    let keystore = keystore_path(&database);
    if !is_in_memory(&database) {
        for file in [database.as_path(), std::path::Path::new(&keystore)] {
            crate::private_files::make_private_database(file).map_err(|e| {
                StoreError::UnsafeSetup(format!("cannot make {} readable by Steward alone: {e}", file.display()))
            })?;
        }
    }
    let pool = SqlitePoolOptions::new()
        .after_connect(move |conn, _| {
            let keystore = keystore.clone();
            Box::pin(async move {
                sqlx::query("ATTACH DATABASE ? AS keystore").bind(keystore).execute(&mut *conn).await?;
                sqlx::raw_sql("PRAGMA keystore.journal_mode = WAL; PRAGMA keystore.synchronous = NORMAL; PRAGMA keystore.secure_delete = ON")
                    .execute(&mut *conn)
                    .await?;
                Ok(())
            })
        })
        .test_before_acquire(false)
        .max_connections(max_connections)
        .min_connections(1)
        // A reader keeps its page cache, schema and prepared statements (about 1.6 MiB)
        // while open: those a busy hour opened close again once the server is quiet.
        .idle_timeout(RELEASE_AFTER_IDLE)
        .connect_with(options)
        .await?;
    Ok(pool)
}

/// An in-memory database (`sqlite::memory:`) has no file to protect.
fn is_in_memory(database: &std::path::Path) -> bool {
    database.as_os_str().is_empty() || database.to_string_lossy().starts_with(":memory:")
}

/// Opens SQLite's writing connection (`writer_thread.rs`) for the database named by `url`.
pub(crate) fn open_writer(url: &str, cache: CacheBudget) -> Result<crate::writer_thread::SqliteWriter, StoreError> {
    let options = SqliteConnectOptions::from_str(url)?;
    let path = options.get_filename();
    crate::writer_thread::SqliteWriter::start(path, &keystore_path(path), cache.writer_kib())
}

/// Where the key store of the database at `database` lives: `x.db` -> `x.keys.db`.
pub fn keystore_path(database: &std::path::Path) -> String {
    let text = database.display().to_string();
    match text.strip_suffix(".db") {
        Some(stem) => format!("{stem}.keys.db"),
        None => format!("{text}.keys"),
    }
}

#[cfg(test)]
mod tests {
    #[test]
    fn the_key_store_sits_beside_the_database() {
        assert_eq!(super::keystore_path(std::path::Path::new("/d/steward.db")), "/d/steward.keys.db");
        assert_eq!(super::keystore_path(std::path::Path::new("/d/data")), "/d/data.keys");
    }
}

//! Schema migrations, one list per backend, embedded in the binary.
//!
//! A migration is never edited once it has landed: `migrate` stores each one's SHA-256
//! and refuses to run if a stored migration's text has changed. Both backends change
//! together; the schema-parity test holds them to the same tables and columns.

use crate::tx::Backend;
use crate::{Store, StoreError};
use sha2::{Digest, Sha256};
use sqlx::AssertSqlSafe;

/// One embedded migration.
#[derive(Debug, Clone, Copy)]
pub struct Migration {
    pub version: i64,
    pub name: &'static str,
    pub sql: &'static str,
}

pub const SQLITE: &[Migration] = &[
    Migration { version: 1, name: "foundation", sql: include_str!("../migrations/sqlite/0001_foundation.sql") },
    Migration { version: 2, name: "audit", sql: include_str!("../migrations/sqlite/0002_audit.sql") },
    Migration {
        version: 3,
        name: "audit_head_trigger",
        sql: include_str!("../migrations/sqlite/0003_audit_head_trigger.sql"),
    },
    Migration { version: 4, name: "usage", sql: include_str!("../migrations/sqlite/0004_usage.sql") },
    Migration { version: 5, name: "customers", sql: include_str!("../migrations/sqlite/0005_customers.sql") },
    Migration { version: 6, name: "booking", sql: include_str!("../migrations/sqlite/0006_booking.sql") },
    Migration { version: 7, name: "retention", sql: include_str!("../migrations/sqlite/0007_retention.sql") },
    Migration {
        version: 8,
        name: "privacy_requests",
        sql: include_str!("../migrations/sqlite/0008_privacy_requests.sql"),
    },
    Migration { version: 9, name: "messaging", sql: include_str!("../migrations/sqlite/0009_messaging.sql") },
    Migration { version: 10, name: "audit_append", sql: include_str!("../migrations/sqlite/0010_audit_append.sql") },
    Migration {
        version: 11,
        name: "search_sort_key",
        sql: include_str!("../migrations/sqlite/0011_search_sort_key.sql"),
    },
    Migration {
        version: 12,
        name: "shared_rows_at_commit",
        sql: include_str!("../migrations/sqlite/0012_shared_rows_at_commit.sql"),
    },
    Migration {
        version: 13,
        name: "term_list_on_customer",
        sql: include_str!("../migrations/sqlite/0013_term_list_on_customer.sql"),
    },
    Migration {
        version: 14,
        name: "wake_once_per_transaction",
        sql: include_str!("../migrations/sqlite/0014_wake_once_per_transaction.sql"),
    },
    Migration {
        version: 15,
        name: "seal_audit_after_commit",
        sql: include_str!("../migrations/sqlite/0015_seal_audit_after_commit.sql"),
    },
    Migration {
        version: 16,
        name: "vacuum_erased_rows_promptly",
        sql: include_str!("../migrations/sqlite/0016_vacuum_erased_rows_promptly.sql"),
    },
    Migration { version: 17, name: "master_key_id", sql: include_str!("../migrations/sqlite/0017_master_key_id.sql") },
    Migration {
        version: 18,
        name: "seal_in_time_order",
        sql: include_str!("../migrations/sqlite/0018_seal_in_time_order.sql"),
    },
    Migration { version: 19, name: "same_on_citus", sql: include_str!("../migrations/sqlite/0019_same_on_citus.sql") },
    Migration { version: 20, name: "member_theme", sql: include_str!("../migrations/sqlite/0020_member_theme.sql") },
    Migration {
        version: 21,
        name: "business_looks",
        sql: include_str!("../migrations/sqlite/0021_business_looks.sql"),
    },
];

pub const POSTGRES: &[Migration] = &[
    Migration { version: 1, name: "foundation", sql: include_str!("../migrations/postgres/0001_foundation.sql") },
    Migration { version: 2, name: "audit", sql: include_str!("../migrations/postgres/0002_audit.sql") },
    Migration {
        version: 3,
        name: "audit_head_trigger",
        sql: include_str!("../migrations/postgres/0003_audit_head_trigger.sql"),
    },
    Migration { version: 4, name: "usage", sql: include_str!("../migrations/postgres/0004_usage.sql") },
    Migration { version: 5, name: "customers", sql: include_str!("../migrations/postgres/0005_customers.sql") },
    Migration { version: 6, name: "booking", sql: include_str!("../migrations/postgres/0006_booking.sql") },
    Migration { version: 7, name: "retention", sql: include_str!("../migrations/postgres/0007_retention.sql") },
    Migration {
        version: 8,
        name: "privacy_requests",
        sql: include_str!("../migrations/postgres/0008_privacy_requests.sql"),
    },
    Migration { version: 9, name: "messaging", sql: include_str!("../migrations/postgres/0009_messaging.sql") },
    Migration { version: 10, name: "audit_append", sql: include_str!("../migrations/postgres/0010_audit_append.sql") },
    Migration {
        version: 11,
        name: "search_sort_key",
        sql: include_str!("../migrations/postgres/0011_search_sort_key.sql"),
    },
    Migration {
        version: 12,
        name: "shared_rows_at_commit",
        sql: include_str!("../migrations/postgres/0012_shared_rows_at_commit.sql"),
    },
    Migration {
        version: 13,
        name: "term_list_on_customer",
        sql: include_str!("../migrations/postgres/0013_term_list_on_customer.sql"),
    },
    Migration {
        version: 14,
        name: "wake_once_per_transaction",
        sql: include_str!("../migrations/postgres/0014_wake_once_per_transaction.sql"),
    },
    Migration {
        version: 15,
        name: "seal_audit_after_commit",
        sql: include_str!("../migrations/postgres/0015_seal_audit_after_commit.sql"),
    },
    Migration {
        version: 16,
        name: "vacuum_erased_rows_promptly",
        sql: include_str!("../migrations/postgres/0016_vacuum_erased_rows_promptly.sql"),
    },
    Migration {
        version: 17,
        name: "master_key_id",
        sql: include_str!("../migrations/postgres/0017_master_key_id.sql"),
    },
    Migration {
        version: 18,
        name: "seal_in_time_order",
        sql: include_str!("../migrations/postgres/0018_seal_in_time_order.sql"),
    },
    Migration {
        version: 19,
        name: "same_on_citus",
        sql: include_str!("../migrations/postgres/0019_same_on_citus.sql"),
    },
    Migration { version: 20, name: "member_theme", sql: include_str!("../migrations/postgres/0020_member_theme.sql") },
    Migration {
        version: 21,
        name: "business_looks",
        sql: include_str!("../migrations/postgres/0021_business_looks.sql"),
    },
];

const CREATE_LEDGER: &str = "CREATE TABLE IF NOT EXISTS schema_migrations (
    version BIGINT NOT NULL PRIMARY KEY,
    name TEXT NOT NULL,
    checksum TEXT NOT NULL,
    applied_at BIGINT NOT NULL
)";

/// What `migrate` did.
#[derive(Debug, Default, Clone)]
pub struct MigrationReport {
    pub applied: Vec<(i64, &'static str)>,
    pub already_applied: usize,
    /// On Citus: the tables this run distributed (`None`: not Citus).
    pub distribution: Option<crate::citus::Distribution>,
}

fn checksum(sql: &str) -> String {
    Sha256::digest(sql.as_bytes()).iter().map(|b| format!("{b:02x}")).collect()
}

async fn apply_all<DB>(
    pool: &sqlx::Pool<DB>,
    migrations: &'static [Migration],
    begin: &'static str,
    report: &mut MigrationReport,
) -> Result<(), StoreError>
where
    DB: sqlx::Database,
    for<'c> &'c mut DB::Connection: sqlx::Executor<'c, Database = DB>,
    for<'r> String: sqlx::Decode<'r, DB> + sqlx::Type<DB>,
    usize: sqlx::ColumnIndex<DB::Row>,
{
    use sqlx::Row as _;
    for migration in migrations {
        let mut tx = pool.begin_with(begin).await?;
        sqlx::raw_sql(CREATE_LEDGER).execute(&mut *tx).await?;
        // Every value below comes from this binary (a number, a fixed name, a hex digest).
        let lookup = format!("SELECT checksum FROM schema_migrations WHERE version = {}", migration.version);
        let stored: Option<String> = sqlx::raw_sql(AssertSqlSafe(lookup))
            .fetch_optional(&mut *tx)
            .await?
            .map(|row| row.try_get(0))
            .transpose()?;
        let sum = checksum(migration.sql);
        match stored {
            Some(stored) if stored == sum => {
                tx.commit().await?;
                report.already_applied += 1;
            }
            Some(_) => return Err(StoreError::MigrationChanged { version: migration.version }),
            None => {
                sqlx::raw_sql(migration.sql).execute(&mut *tx).await?;
                let record = format!(
                    "INSERT INTO schema_migrations (version, name, checksum, applied_at) VALUES ({}, '{}', '{sum}', {})",
                    migration.version,
                    migration.name,
                    now_micros()
                );
                sqlx::raw_sql(AssertSqlSafe(record)).execute(&mut *tx).await?;
                tx.commit().await?;
                report.applied.push((migration.version, migration.name));
            }
        }
    }
    Ok(())
}

/// The migrations, then on Citus the distribution. Each step is its own transaction and a
/// step already done is skipped, so running it again after a failure finishes the rest.
async fn migrate_postgres(
    pool: &sqlx::PgPool,
    progress: &(dyn Fn(usize, usize, &str) + Sync),
) -> Result<MigrationReport, StoreError> {
    let mut report = MigrationReport::default();
    apply_all(pool, POSTGRES, "BEGIN; SELECT pg_advisory_xact_lock(7120143)", &mut report).await?;
    if crate::citus::installed(pool).await? {
        report.distribution = Some(crate::citus::distribute(pool, progress).await?);
    }
    Ok(report)
}

fn now_micros() -> i64 {
    std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).map(|d| d.as_micros() as i64).unwrap_or_default()
}

impl Store {
    /// Applies every migration this binary carries that the database lacks, each in its
    /// own transaction with its ledger row, so a crash leaves a migration applied whole or
    /// not at all.
    pub async fn migrate(&self) -> Result<MigrationReport, StoreError> {
        self.migrate_with_progress(&|_, _, _| {}).await
    }

    /// [`Store::migrate`], calling `progress(done, total, table)` per table while it
    /// distributes tables on Citus (a move of an existing database copies every row).
    pub async fn migrate_with_progress(
        &self,
        progress: &(dyn Fn(usize, usize, &str) + Sync),
    ) -> Result<MigrationReport, StoreError> {
        let mut report = MigrationReport::default();
        match &self.backend {
            Backend::Sqlite(pool, _) => apply_all(pool, SQLITE, "BEGIN IMMEDIATE", &mut report).await?,
            // One migrator at a time, even when several servers start together. On Citus
            // the lock is the coordinator's, where every migrator connects.
            Backend::Postgres(pool) => {
                // Each try counts into a fresh report; what an earlier try committed shows as
                // already applied.
                report = crate::citus::again_after_catalog_race(|| migrate_postgres(pool, progress)).await?;
            }
        }
        Ok(report)
    }

    /// The newest migration version applied, or 0 on an empty database.
    pub async fn schema_version(&self) -> Result<i64, StoreError> {
        let query = "SELECT COALESCE(MAX(version), 0) FROM schema_migrations";
        let result = match &self.backend {
            Backend::Sqlite(pool, _) => sqlx::query_scalar::<_, i64>(query).fetch_one(pool).await,
            Backend::Postgres(pool) => sqlx::query_scalar::<_, i64>(query).fetch_one(pool).await,
        };
        match result {
            Ok(version) => Ok(version),
            Err(sqlx::Error::Database(_)) => Ok(0),
            Err(other) => Err(other.into()),
        }
    }

    /// The newest migration this binary carries.
    pub fn latest_known_version(&self) -> i64 {
        let list = match self.backend {
            Backend::Sqlite(..) => SQLITE,
            Backend::Postgres(_) => POSTGRES,
        };
        list.iter().map(|m| m.version).max().unwrap_or(0)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn migrations_are_numbered_in_order_and_named_plainly() {
        for list in [SQLITE, POSTGRES] {
            for (index, migration) in list.iter().enumerate() {
                assert_eq!(migration.version, index as i64 + 1);
                assert!(migration.name.chars().all(|c| c.is_ascii_lowercase() || c == '_'), "{}", migration.name);
            }
        }
        assert_eq!(SQLITE.len(), POSTGRES.len(), "both backends change together");
    }
}

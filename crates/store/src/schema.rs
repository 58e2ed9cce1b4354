//! Reading the live schema back: which tables and columns the database really has. The
//! schema-parity and classification tests compare this with each other and with the
//! data-class registry, so a column added to one backend only, or left unclassified,
//! fails a test.

use crate::tx::Backend;
use crate::{Store, StoreError};

impl Store {
    /// Every (table, column) of Steward's schema, sorted; the migration ledger excluded.
    pub async fn columns(&self) -> Result<Vec<(String, String)>, StoreError> {
        let mut columns: Vec<(String, String)> = match &self.backend {
            Backend::Sqlite(pool, _) => {
                sqlx::query_as(
                    "SELECT m.name, p.name FROM sqlite_master m, pragma_table_info(m.name) p
                     WHERE m.type = 'table' AND m.name NOT LIKE 'sqlite_%'
                     UNION ALL
                     SELECT 'keystore.' || m.name, p.name FROM keystore.sqlite_master m, pragma_table_info(m.name, 'keystore') p
                     WHERE m.type = 'table' AND m.name NOT LIKE 'sqlite_%'",
                )
                .fetch_all(pool)
                .await?
            }
            Backend::Postgres(pool) => {
                sqlx::query_as(
                    "SELECT CASE WHEN table_schema = 'keystore' THEN 'keystore.' ELSE '' END || table_name::text,
                            column_name::text
                     FROM information_schema.columns
                     WHERE table_schema IN (current_schema(), 'keystore')",
                )
                .fetch_all(pool)
                .await?
            }
        };
        columns.retain(|(table, _)| table != "schema_migrations");
        columns.sort();
        Ok(columns)
    }
}

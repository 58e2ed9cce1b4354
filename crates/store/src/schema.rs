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
                // Tables only, and none an extension made: Citus adds views of its own
                // (`citus_tables`) to the schema.
                sqlx::query_as(
                    "SELECT CASE WHEN n.nspname = 'keystore' THEN 'keystore.' ELSE '' END || c.relname::text,
                            a.attname::text
                     FROM pg_class c
                     JOIN pg_namespace n ON n.oid = c.relnamespace
                     JOIN pg_attribute a ON a.attrelid = c.oid AND a.attnum > 0 AND NOT a.attisdropped
                     WHERE n.nspname IN (current_schema(), 'keystore') AND c.relkind IN ('r', 'p')
                       AND NOT EXISTS (SELECT 1 FROM pg_depend d WHERE d.objid = c.oid AND d.deptype = 'e')",
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

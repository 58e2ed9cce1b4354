//! Steward on Citus: PostgreSQL distributed by `tenant_id`.
//!
//! `steward migrate` on a database with the `citus` extension applies the migrations as on
//! one PostgreSQL and then distributes what is not yet distributed: the global tables
//! (businesses, policy versions, the migration ledger) become reference tables, copied to
//! every node; every table with a `tenant_id` column is distributed by it and co-located
//! with `roles`, so one business's rows of every table sit in the same shard group and each
//! request's statements run on one node. The same step moves an existing database: restore
//! a dump of one PostgreSQL into the coordinator, run `steward migrate`, and the rows are
//! copied into the shards.
//!
//! What Citus needs around it, all inside the one transaction that distributes:
//! - composite foreign keys are dropped first and added back after: a table referenced by
//!   a plain table cannot be distributed, and one referencing a plain table becomes a
//!   Citus local table that can never be.
//! - forced row-level security is lifted around each copy (Citus copies rows with `COPY`,
//!   which row-level security refuses) and user triggers are disabled (a copied audit row
//!   is not a new event).
//! - `citus.enable_unsafe_triggers`: Steward's triggers touch only the row's own business,
//!   so they stay on the shard group they fire in.
//!
//! One transaction means a stopped move leaves the database exactly as it was, and running
//! `steward migrate` again starts it over.
//!
//! The database setting `citus.propagate_set_commands = 'local'` makes each transaction's
//! `SET LOCAL app.tenant_id` reach the workers, where row-level security reads it; without
//! it every write on a worker would be refused. [`crate::Store::verify_isolation`] refuses
//! to start a server without it.

use crate::StoreError;
use sqlx::postgres::PgPool;
use sqlx::{AssertSqlSafe, Row};

/// The table every tenant table is co-located with: the first one distributed.
pub const COLOCATION_ANCHOR: &str = "roles";

/// What a distribution did.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Distribution {
    /// Tables made reference tables in this run.
    pub reference: Vec<String>,
    /// Tables distributed by `tenant_id` in this run.
    pub distributed: Vec<String>,
    /// Rows copied from the coordinator into shards (an existing database moved).
    pub rows_moved: i64,
}

/// Whether the database has the Citus extension.
pub async fn installed(pool: &PgPool) -> Result<bool, StoreError> {
    let found: Option<i32> =
        sqlx::query_scalar("SELECT 1 FROM pg_extension WHERE extname = 'citus'").fetch_optional(pool).await?;
    Ok(found.is_some())
}

/// One of Steward's tables and what Citus knows of it.
struct Table {
    /// Schema-qualified where it is not in `public` (`keystore.subject_keys`).
    name: String,
    per_tenant: bool,
    distributed: bool,
    forced_row_security: bool,
}

const TABLES: &str = "
    SELECT CASE WHEN n.nspname = 'public' THEN c.relname::text ELSE n.nspname || '.' || c.relname END AS name,
           EXISTS (SELECT 1 FROM pg_attribute a
                   WHERE a.attrelid = c.oid AND a.attname = 'tenant_id' AND NOT a.attisdropped) AS per_tenant,
           EXISTS (SELECT 1 FROM pg_dist_partition p WHERE p.logicalrelid = c.oid) AS distributed,
           c.relforcerowsecurity AS forced_row_security
    FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace
    WHERE n.nspname IN ('public', 'keystore') AND c.relkind IN ('r', 'p')
      AND NOT EXISTS (SELECT 1 FROM pg_depend d WHERE d.objid = c.oid AND d.deptype = 'e')
    ORDER BY (c.relname <> 'roles'), 1";

async fn tables(conn: &mut sqlx::PgConnection) -> Result<Vec<Table>, StoreError> {
    let rows = sqlx::query(TABLES).fetch_all(&mut *conn).await?;
    rows.iter()
        .map(|row| {
            Ok(Table {
                name: row.try_get("name")?,
                per_tenant: row.try_get("per_tenant")?,
                distributed: row.try_get("distributed")?,
                forced_row_security: row.try_get("forced_row_security")?,
            })
        })
        .collect()
}

/// Tables with a `tenant_id` that are not distributed: empty once `migrate` has run.
pub async fn undistributed_tenant_tables(pool: &PgPool) -> Result<Vec<String>, StoreError> {
    let mut conn = pool.acquire().await?;
    Ok(tables(&mut conn).await?.into_iter().filter(|t| t.per_tenant && !t.distributed).map(|t| t.name).collect())
}

/// Whether this session's transactions carry `SET LOCAL` to the workers.
pub async fn set_commands_reach_workers(pool: &PgPool) -> Result<bool, StoreError> {
    let setting: String =
        sqlx::query_scalar("SELECT current_setting('citus.propagate_set_commands')").fetch_one(pool).await?;
    Ok(setting == "local")
}

/// Distributes every table not yet distributed, in one transaction; `progress(done,
/// total, table)` is called per table. Quick when everything already is: one catalog read.
pub async fn distribute(
    pool: &PgPool,
    progress: &(dyn Fn(usize, usize, &str) + Sync),
) -> Result<Distribution, StoreError> {
    let mut report = Distribution::default();
    {
        let mut conn = pool.acquire().await?;
        // For sessions opened from now on, the runtime's included. Every value below is a
        // catalog name or a fixed word.
        let database: String = sqlx::query_scalar("SELECT current_database()").fetch_one(&mut *conn).await?;
        let set = format!("ALTER DATABASE \"{database}\" SET citus.propagate_set_commands = 'local'");
        sqlx::raw_sql(AssertSqlSafe(set)).execute(&mut *conn).await?;
    }
    let mut tx = pool.begin().await?;
    let all = tables(&mut tx).await?;
    let pending: Vec<&Table> = all.iter().filter(|t| !t.distributed).collect();
    if pending.is_empty() {
        return Ok(report);
    }
    for setting in [
        "SET LOCAL citus.enable_unsafe_triggers = on",
        "SET LOCAL citus.multi_shard_modify_mode = 'sequential'",
        "SET LOCAL citus.propagate_set_commands = 'local'",
    ] {
        sqlx::raw_sql(setting).execute(&mut *tx).await?;
    }
    // Every foreign key of Steward's schemas, to drop now and add back once all is placed.
    let keys: Vec<(String, String, String)> = sqlx::query_as(
        "SELECT c.conrelid::regclass::text, c.conname::text, pg_get_constraintdef(c.oid)
         FROM pg_constraint c JOIN pg_namespace n ON n.oid = c.connamespace
         WHERE c.contype = 'f' AND n.nspname IN ('public', 'keystore')
         ORDER BY 1, 2",
    )
    .fetch_all(&mut *tx)
    .await?;
    for (table, name, _) in &keys {
        let drop = format!("ALTER TABLE {table} DROP CONSTRAINT \"{name}\"");
        sqlx::raw_sql(AssertSqlSafe(drop)).execute(&mut *tx).await?;
    }
    for (done, table) in pending.iter().enumerate() {
        let name = &table.name;
        let count = format!("SELECT COUNT(*) FROM {name}");
        let rows: i64 = sqlx::query_scalar(AssertSqlSafe(count)).fetch_one(&mut *tx).await?;
        // One statement per call: Citus forwards a utility statement's whole query text to
        // the workers, and they refuse several commands in one.
        let mut statements = Vec::new();
        if rows > 0 {
            statements.push(format!("ALTER TABLE {name} DISABLE TRIGGER USER"));
            if table.forced_row_security {
                statements.push(format!("ALTER TABLE {name} NO FORCE ROW LEVEL SECURITY"));
            }
        }
        statements.push(if !table.per_tenant {
            format!("SELECT create_reference_table('{name}')")
        } else if name == COLOCATION_ANCHOR {
            format!("SELECT create_distributed_table('{name}', 'tenant_id', colocate_with => 'none')")
        } else {
            format!("SELECT create_distributed_table('{name}', 'tenant_id', colocate_with => '{COLOCATION_ANCHOR}')")
        });
        if rows > 0 {
            statements.push(format!("SELECT truncate_local_data_after_distributing_table('{name}')"));
            statements.push(format!("ALTER TABLE {name} ENABLE TRIGGER USER"));
            if table.forced_row_security {
                statements.push(format!("ALTER TABLE {name} FORCE ROW LEVEL SECURITY"));
            }
            report.rows_moved += rows;
        }
        for statement in statements {
            sqlx::raw_sql(AssertSqlSafe(statement)).execute(&mut *tx).await?;
        }
        if table.per_tenant {
            report.distributed.push(name.clone());
        } else {
            report.reference.push(name.clone());
        }
        progress(done + 1, pending.len(), name);
    }
    for (table, name, definition) in &keys {
        let add = format!("ALTER TABLE {table} ADD CONSTRAINT \"{name}\" {definition}");
        sqlx::raw_sql(AssertSqlSafe(add)).execute(&mut *tx).await?;
    }
    tx.commit().await?;
    Ok(report)
}

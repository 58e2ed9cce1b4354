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
        // Lifted for every table, whether or not it looks empty: with forced row-level
        // security the owner sees no row of any business, while Citus copies them all.
        // One statement per call: Citus forwards a utility statement's whole query text
        // to the workers, and they refuse several commands in one.
        let mut lift = vec![format!("ALTER TABLE {name} DISABLE TRIGGER USER")];
        if table.forced_row_security {
            lift.push(format!("ALTER TABLE {name} NO FORCE ROW LEVEL SECURITY"));
        }
        for statement in lift {
            sqlx::raw_sql(AssertSqlSafe(statement)).execute(&mut *tx).await?;
        }
        let count = format!("SELECT COUNT(*) FROM {name}");
        let rows: i64 = sqlx::query_scalar(AssertSqlSafe(count)).fetch_one(&mut *tx).await?;
        let mut statements = vec![if !table.per_tenant {
            format!("SELECT create_reference_table('{name}')")
        } else if name == COLOCATION_ANCHOR {
            format!("SELECT create_distributed_table('{name}', 'tenant_id', colocate_with => 'none')")
        } else {
            format!("SELECT create_distributed_table('{name}', 'tenant_id', colocate_with => '{COLOCATION_ANCHOR}')")
        }];
        if rows > 0 {
            statements.push(format!("SELECT truncate_local_data_after_distributing_table('{name}')"));
        }
        statements.push(format!("ALTER TABLE {name} ENABLE TRIGGER USER"));
        if table.forced_row_security {
            statements.push(format!("ALTER TABLE {name} FORCE ROW LEVEL SECURITY"));
        }
        for statement in statements {
            sqlx::raw_sql(AssertSqlSafe(statement)).execute(&mut *tx).await?;
        }
        report.rows_moved += rows;
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

/// Whether `error` is a worker refusing a catalog update another session made at the same
/// moment. Distributing a table makes sure its owner role exists on every worker by
/// altering that role there; roles are shared by all databases of a node, so two databases
/// of one cluster migrating at once can alter the same role row together, and PostgreSQL
/// refuses the second ("tuple concurrently updated", a plain internal error code). The
/// transaction that lost rolled back whole; running it again succeeds.
pub fn lost_catalog_race(error: &StoreError) -> bool {
    match error {
        StoreError::Database(sqlx::Error::Database(db)) => db.message().contains("tuple concurrently updated"),
        _ => false,
    }
}

/// Runs `step` (one transaction, or steps that each skip what is done) again while it
/// loses a [catalog race](lost_catalog_race), a few times with a growing pause.
pub(crate) async fn again_after_catalog_race<T, Step, Outcome>(mut step: Step) -> Result<T, StoreError>
where
    Step: FnMut() -> Outcome,
    Outcome: std::future::Future<Output = Result<T, StoreError>>,
{
    let mut attempt = 1;
    loop {
        match step().await {
            Err(error) if attempt < CATALOG_RACE_ATTEMPTS && lost_catalog_race(&error) => {
                tracing::info!(
                    attempt,
                    "a worker's role was altered by another set-up at the same moment; trying again"
                );
                tokio::time::sleep(std::time::Duration::from_millis(150 * attempt)).await;
                attempt += 1;
            }
            outcome => return outcome,
        }
    }
}

/// How often a step is tried when another database's set-up altered the same role on a
/// worker at the same moment.
const CATALOG_RACE_ATTEMPTS: u64 = 6;

/// The workers registered with the coordinator that `admin` is connected to, or `None`
/// when it is one PostgreSQL (no `citus` extension in its database).
pub async fn workers(admin: &mut sqlx::PgConnection) -> Result<Option<Vec<(String, i32)>>, StoreError> {
    let citus: Option<i32> =
        sqlx::query_scalar("SELECT 1 FROM pg_extension WHERE extname = 'citus'").fetch_optional(&mut *admin).await?;
    if citus.is_none() {
        return Ok(None);
    }
    let workers =
        sqlx::query_as("SELECT nodename::text, nodeport FROM pg_dist_node WHERE groupid <> 0 ORDER BY nodeid")
            .fetch_all(&mut *admin)
            .await?;
    Ok(Some(workers))
}

/// Creates database `name` owned by `owner` through a superuser's `admin_url`. On a
/// Citus coordinator (its `postgres` database registered with workers, as `cluster.sh`
/// leaves it) the database is made a Citus database of the same cluster: created on every
/// worker too, the extension on every node, the workers registered, and with
/// `shard_count`, that many shards per table. Returns whether it is on Citus. Names must
/// be plain identifiers (tests and benchmarks make them).
pub async fn create_database(
    admin_url: &str,
    name: &str,
    owner: &str,
    shard_count: Option<u32>,
) -> Result<bool, StoreError> {
    use sqlx::Connection;
    let plain = |text: &str| text.chars().all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '_');
    if !plain(name) || !plain(owner) {
        return Err(StoreError::UnsafeSetup(format!("'{name}' and '{owner}' must be plain lowercase names")));
    }
    let mut admin = sqlx::PgConnection::connect(admin_url).await?;
    let workers = workers(&mut admin).await?;
    let create = format!("CREATE DATABASE {name} OWNER {owner}");
    sqlx::raw_sql(AssertSqlSafe(create.clone())).execute(&mut admin).await?;
    let Some(workers) = workers else {
        let _ = admin.close().await;
        return Ok(false);
    };
    for (host, port) in &workers {
        let mut node = sqlx::PgConnection::connect(&node_url(admin_url, host, *port, "postgres")).await?;
        sqlx::raw_sql(AssertSqlSafe(create.clone())).execute(&mut node).await?;
        let _ = node.close().await;
        let mut node = sqlx::PgConnection::connect(&node_url(admin_url, host, *port, name)).await?;
        sqlx::raw_sql("CREATE EXTENSION citus").execute(&mut node).await?;
        let _ = node.close().await;
    }
    let (host, port) = host_and_port(admin_url);
    let mut database = sqlx::PgConnection::connect(&node_url(admin_url, &host, port, name)).await?;
    let mut setup =
        vec!["CREATE EXTENSION citus".to_string(), format!("SELECT citus_set_coordinator_host('{host}', {port})")];
    if let Some(shards) = shard_count {
        setup.push(format!("ALTER DATABASE {name} SET citus.shard_count = {shards}"));
    }
    for statement in setup {
        sqlx::raw_sql(AssertSqlSafe(statement)).execute(&mut database).await?;
    }
    // Registering a node copies the cluster's roles onto it, and two registrations at once
    // update the same role rows there: one registration at a time, across processes (the
    // rest of a set-up runs beside others').
    sqlx::query("SELECT pg_advisory_lock(7120150)").execute(&mut admin).await?;
    let registered = async {
        for (host, port) in &workers {
            let add = format!("SELECT citus_add_node('{host}', {port})");
            sqlx::raw_sql(AssertSqlSafe(add)).execute(&mut database).await?;
        }
        Ok::<(), sqlx::Error>(())
    }
    .await;
    sqlx::query("SELECT pg_advisory_unlock(7120150)").execute(&mut admin).await?;
    registered?;
    let _ = database.close().await;
    let _ = admin.close().await;
    Ok(true)
}

/// Drops database `name` through `admin_url`, on every worker too when it is a Citus
/// coordinator. Best effort: what cannot be dropped is left.
pub async fn drop_database(admin_url: &str, name: &str) {
    use sqlx::Connection;
    let Ok(mut admin) = sqlx::PgConnection::connect(admin_url).await else { return };
    let workers = workers(&mut admin).await.ok().flatten().unwrap_or_default();
    let drop = format!("DROP DATABASE IF EXISTS {name} WITH (FORCE)");
    let _ = sqlx::raw_sql(AssertSqlSafe(drop.clone())).execute(&mut admin).await;
    let _ = admin.close().await;
    for (host, port) in workers {
        if let Ok(mut node) = sqlx::PgConnection::connect(&node_url(admin_url, &host, port, "postgres")).await {
            let _ = sqlx::raw_sql(AssertSqlSafe(drop.clone())).execute(&mut node).await;
        }
    }
}

/// The host and port of a `postgres://user@host:port/db` URL.
fn host_and_port(url: &str) -> (String, i32) {
    let rest = url.split_once("://").map(|(_, rest)| rest).unwrap_or(url);
    let at_host = rest.rsplit_once('@').map(|(_, host)| host).unwrap_or(rest);
    let host_port = at_host.split(['/', '?']).next().unwrap_or(at_host);
    match host_port.rsplit_once(':') {
        Some((host, port)) => (host.to_string(), port.parse().unwrap_or(5432)),
        None => (host_port.to_string(), 5432),
    }
}

/// `url` with another host, port and database (the user and its options kept).
fn node_url(url: &str, host: &str, port: i32, database: &str) -> String {
    let (scheme, rest) = url.split_once("://").unwrap_or(("postgres", url));
    let user = rest.rsplit_once('@').map(|(user, _)| format!("{user}@")).unwrap_or_default();
    format!("{scheme}://{user}{host}:{port}/{database}")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn node_urls_keep_the_user_and_change_the_place() {
        assert_eq!(host_and_port("postgres://postgres@127.0.0.1:19700/postgres"), ("127.0.0.1".into(), 19700));
        assert_eq!(host_and_port("postgresql://db.internal/steward"), ("db.internal".into(), 5432));
        assert_eq!(
            node_url("postgres://postgres@127.0.0.1:19700/postgres", "10.0.0.2", 5432, "steward_t_1"),
            "postgres://postgres@10.0.0.2:5432/steward_t_1"
        );
    }
}

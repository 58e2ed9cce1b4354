//! The [`Store`] and its two kinds of transaction.
//!
//! [`TenantTx`] is the only way to touch a tenant table. It binds the tenant id as `$1`
//! of every statement and refuses SQL that does not use `$1`, so on SQLite (which has no
//! row-level security) a query that forgot its tenant filter fails in the first test that
//! runs it. On PostgreSQL it also runs `SET LOCAL app.tenant_id`, and forced row-level
//! security stops any query that forgot anyway.
//!
//! [`PlatformTx`] reaches the platform tables (tenants, policy versions) that belong to no
//! tenant.

use crate::StoreError;
use crate::value::{Row, RowInner, Value};
use crate::writer_thread::{Sql, SqliteWriter, WriteTxn};
use sqlx::pool::PoolConnection;
use sqlx::{AssertSqlSafe, Postgres, Sqlite};
use steward_domain::ids::TenantId;

/// Something in the database's own configuration that leaves work Steward counts on
/// undone: said when `serve` starts and on `/readyz`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum DatabaseWarning {
    /// PostgreSQL's autovacuum is off: dead rows, and the old values of erased and
    /// re-keyed rows, stay in the tables' files until someone runs `VACUUM`, and the
    /// planner works from statistics that no longer describe the tables.
    AutovacuumOff,
}

impl DatabaseWarning {
    /// A short name, for logs and JSON.
    pub fn name(self) -> &'static str {
        match self {
            DatabaseWarning::AutovacuumOff => "autovacuum_off",
        }
    }

    /// What it means, for an operator.
    pub fn explanation(self) -> &'static str {
        match self {
            DatabaseWarning::AutovacuumOff => {
                "PostgreSQL's autovacuum is off: dead rows and the old values of erased customers stay in the \
                 tables' files until someone runs VACUUM, and query plans go without fresh statistics; \
                 turn it on (autovacuum = on) or vacuum on a schedule"
            }
        }
    }
}

/// Which database a [`Store`] runs on.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum StoreKind {
    Sqlite,
    Postgres,
}

impl StoreKind {
    pub fn name(self) -> &'static str {
        match self {
            StoreKind::Sqlite => "sqlite",
            StoreKind::Postgres => "postgres",
        }
    }
}

/// A connection pool to the deployment's database.
#[derive(Clone, Debug)]
pub struct Store {
    pub(crate) backend: Backend,
    /// Each tenant's audit head as this process last wrote it (SQLite), so an append is
    /// one statement; the database checks it and a stale one falls back to reading it.
    audit_heads: std::sync::Arc<crate::audit::HeadCache>,
    /// Businesses whose committed events wait to be sealed into their chain (PostgreSQL).
    unsealed: std::sync::Arc<crate::audit::UnsealedTenants>,
    /// PostgreSQL with Citus: tenant tables are distributed by `tenant_id` (`citus.rs`).
    distributed: bool,
}

#[derive(Clone, Debug)]
pub(crate) enum Backend {
    /// SQLite: sqlx's pool for reads, and the one connection every write transaction uses,
    /// on its own thread (`writer_thread.rs`). A connection's page cache is thrown away
    /// whenever another connection has written since its last transaction; with writes
    /// spread over the pool, every write began by re-reading its pages. One writing
    /// connection keeps its cache warm.
    Sqlite(sqlx::SqlitePool, std::sync::Arc<SqliteWriter>),
    Postgres(sqlx::PgPool),
}

impl Store {
    /// Opens the database named by `url`: `sqlite://path` (created if missing) or
    /// `postgres://...`. `max_connections` bounds the pool.
    pub async fn open(url: &str, max_connections: u32) -> Result<Store, StoreError> {
        Self::open_with_cache(url, max_connections, crate::sqlite::CacheBudget::DEFAULT).await
    }

    /// [`Store::open`] with SQLite's page caches held to `cache` (PostgreSQL ignores it:
    /// its buffers are the server's).
    pub async fn open_with_cache(
        url: &str,
        max_connections: u32,
        cache: crate::sqlite::CacheBudget,
    ) -> Result<Store, StoreError> {
        let (backend, distributed) = if url.starts_with("sqlite:") {
            let readers = crate::sqlite::open_pool(url, max_connections.max(2), cache).await?;
            (Backend::Sqlite(readers, std::sync::Arc::new(crate::sqlite::open_writer(url, cache)?)), false)
        } else if url.starts_with("postgres://") || url.starts_with("postgresql://") {
            let pool = crate::postgres::open_pool(url, max_connections).await?;
            let distributed = crate::citus::installed(&pool).await?;
            (Backend::Postgres(pool), distributed)
        } else {
            return Err(StoreError::UnsupportedUrl(redact_url(url)));
        };
        Ok(Store { backend, audit_heads: Default::default(), unsealed: Default::default(), distributed })
    }

    /// The businesses with audit events committed and not yet sealed into their chain; a
    /// sealer waits on it (PostgreSQL seals after commit, SQLite as it inserts).
    pub fn unsealed_tenants(&self) -> std::sync::Arc<crate::audit::UnsealedTenants> {
        self.unsealed.clone()
    }

    /// Whether this is PostgreSQL with Citus, tenant tables distributed by `tenant_id`.
    pub fn is_distributed(&self) -> bool {
        self.distributed
    }

    pub fn kind(&self) -> StoreKind {
        match self.backend {
            Backend::Sqlite(..) => StoreKind::Sqlite,
            Backend::Postgres(_) => StoreKind::Postgres,
        }
    }

    /// Opens a read-write transaction scoped to one tenant. On SQLite it takes the write
    /// lock up front (`BEGIN IMMEDIATE`), so a transaction that reads and then writes never
    /// fails half-way on a lock upgrade.
    pub async fn begin_tenant(&self, tenant: TenantId) -> Result<TenantTx, StoreError> {
        let txn = self.begin(Some(tenant), Mode::Write).await?;
        let heads = matches!(self.backend, Backend::Sqlite(..)).then(|| self.audit_heads.clone());
        let unsealed = matches!(self.backend, Backend::Postgres(..)).then(|| self.unsealed.clone());
        Ok(TenantTx {
            txn,
            tenant,
            heads,
            unsealed,
            appended: false,
            plans_for_values: false,
            distributed: self.distributed,
        })
    }

    /// Opens a read-only transaction scoped to one tenant: the cheap path for pages and
    /// API reads, which never waits for SQLite's single writer.
    pub async fn begin_tenant_read(&self, tenant: TenantId) -> Result<TenantTx, StoreError> {
        let txn = self.begin(Some(tenant), Mode::Read).await?;
        Ok(TenantTx {
            txn,
            tenant,
            heads: None,
            unsealed: None,
            appended: false,
            plans_for_values: false,
            distributed: self.distributed,
        })
    }

    /// Opens a read-only transaction for a search: as [`Store::begin_tenant_read`], with
    /// its statements planned for their values ([`TenantTx::plan_for_values`]) from the
    /// start, asked for in the same round trip as the `BEGIN`.
    pub async fn begin_tenant_search(&self, tenant: TenantId) -> Result<TenantTx, StoreError> {
        let txn = self.begin(Some(tenant), Mode::Search).await?;
        Ok(TenantTx {
            txn,
            tenant,
            heads: None,
            unsealed: None,
            appended: false,
            plans_for_values: true,
            distributed: self.distributed,
        })
    }

    /// Opens a transaction on the platform tables, which belong to no tenant.
    pub async fn begin_platform(&self) -> Result<PlatformTx, StoreError> {
        let txn = self.begin(None, Mode::Write).await?;
        Ok(PlatformTx { txn })
    }

    async fn begin(&self, tenant: Option<TenantId>, mode: Mode) -> Result<Txn, StoreError> {
        Ok(match (&self.backend, tenant) {
            (Backend::Sqlite(pool, _), _) if mode != Mode::Write => {
                Txn::Sqlite(Guard::begin(pool, "BEGIN".into()).await?)
            }
            (Backend::Sqlite(_, writer), _) => Txn::SqliteWriter(SqliteWriter::begin(writer).await?),
            (Backend::Postgres(pool), Some(tenant)) => {
                Txn::Postgres(Guard::begin(pool, crate::postgres::begin_statement(tenant, mode)).await?)
            }
            (Backend::Postgres(pool), None) => Txn::Postgres(Guard::begin(pool, "BEGIN".into()).await?),
        })
    }

    /// Answers when the database does (for `/readyz`), with what its configuration leaves
    /// undone that Steward counts on it doing. One round trip, as cheap as `SELECT 1`.
    pub async fn ping(&self) -> Result<Vec<DatabaseWarning>, StoreError> {
        match &self.backend {
            Backend::Sqlite(pool, _) => {
                sqlx::query("SELECT 1").execute(pool).await?;
                Ok(Vec::new())
            }
            Backend::Postgres(pool) => {
                let autovacuum: String =
                    sqlx::query_scalar("SELECT current_setting('autovacuum')").fetch_one(pool).await?;
                Ok(if autovacuum == "on" { Vec::new() } else { vec![DatabaseWarning::AutovacuumOff] })
            }
        }
    }

    /// Closes the store. On SQLite the readers close first, then every committed page
    /// is checkpointed into the files and both write-ahead logs are emptied, so nothing
    /// erased survives in a log that a stopped server leaves on disk.
    pub async fn close(&self) {
        match &self.backend {
            Backend::Sqlite(pool, writer) => {
                pool.close().await;
                if let Err(error) = SqliteWriter::checkpoint_truncate(writer, std::time::Duration::from_secs(10)).await
                {
                    tracing::warn!(%error, "the last WAL checkpoint failed; the next start completes it");
                }
            }
            Backend::Postgres(pool) => pool.close().await,
        }
    }

    /// Removes what erased rows leave behind in the database's own files, soon after an
    /// erasure or a purge committed (DSR-3, RET-2). On SQLite the erased cells are zeroed
    /// by `secure_delete`; this empties the write-ahead logs, where their earlier page
    /// versions stay until then. On PostgreSQL it vacuums every table that holds people
    /// (and the key store's subject keys), which removes the dead row versions and their
    /// index entries, when this role may (the tables' owner); it returns the tables it
    /// could not vacuum, which autovacuum takes promptly (migration 16).
    pub async fn scrub_after_erasure(&self) -> Result<Vec<String>, StoreError> {
        match &self.backend {
            Backend::Sqlite(_, writer) => {
                SqliteWriter::checkpoint_truncate(writer, std::time::Duration::from_secs(5)).await?;
                Ok(Vec::new())
            }
            Backend::Postgres(pool) => {
                let tables: Vec<&str> = crate::privacy::person::PERSON_TABLES
                    .iter()
                    .map(|t| t.table)
                    .chain(["keystore.subject_keys"])
                    .collect();
                crate::postgres::vacuum_if_owner(pool, &tables).await
            }
        }
    }
}

/// Hides the password in a database URL before it is printed or logged.
pub fn redact_url(url: &str) -> String {
    match (url.find("://"), url.rfind('@')) {
        (Some(scheme_end), Some(at)) if at > scheme_end => {
            let credentials = &url[scheme_end + 3..at];
            match credentials.split_once(':') {
                Some((user, _)) => format!("{}{}:****{}", &url[..scheme_end + 3], user, &url[at..]),
                None => url.to_string(),
            }
        }
        _ => url.to_string(),
    }
}

/// A pooled connection inside a transaction that Steward began itself.
///
/// sqlx's own `Transaction` has a gap: a caller cancelled (a client hung up) while `BEGIN`
/// is in flight returns the connection to the pool still inside that transaction, and the
/// next request on it runs in the wrong one (seen under load as "cannot execute UPDATE in
/// a read-only transaction"). This guard exists from before `BEGIN` is sent: dropped
/// without a commit, at any point, it rolls back on a task of its own before the
/// connection can be used again, or closes the connection if it cannot.
pub(crate) struct Guard<DB: sqlx::Database>
where
    for<'c> &'c mut DB::Connection: sqlx::Executor<'c, Database = DB>,
{
    conn: Option<PoolConnection<DB>>,
}

impl<DB: sqlx::Database> Guard<DB>
where
    for<'c> &'c mut DB::Connection: sqlx::Executor<'c, Database = DB>,
{
    async fn begin(pool: &sqlx::Pool<DB>, statement: String) -> Result<Self, StoreError> {
        let conn = pool.acquire().await?;
        let mut guard = Guard { conn: Some(conn) };
        sqlx::raw_sql(AssertSqlSafe(statement)).execute(guard.conn()?).await?;
        Ok(guard)
    }

    fn conn(&mut self) -> Result<&mut DB::Connection, StoreError> {
        self.conn.as_deref_mut().ok_or(StoreError::Database(sqlx::Error::PoolClosed))
    }

    async fn commit(mut self) -> Result<(), StoreError> {
        sqlx::raw_sql("COMMIT").execute(self.conn()?).await?;
        // Committed: the connection goes back to the pool as it is.
        drop(self.conn.take());
        Ok(())
    }
}

impl<DB: sqlx::Database> Drop for Guard<DB>
where
    for<'c> &'c mut DB::Connection: sqlx::Executor<'c, Database = DB>,
{
    fn drop(&mut self) {
        let Some(mut conn) = self.conn.take() else { return };
        match tokio::runtime::Handle::try_current() {
            Ok(runtime) => {
                runtime.spawn(async move {
                    let rolled_back = sqlx::raw_sql("ROLLBACK").execute(&mut *conn).await.is_ok();
                    if !rolled_back {
                        conn.close_on_drop();
                    }
                });
            }
            Err(_) => conn.close_on_drop(),
        }
    }
}

pub(crate) enum Txn {
    /// A read transaction on one of SQLite's reading connections.
    Sqlite(Guard<Sqlite>),
    /// A write transaction on SQLite's writing connection, holding the write turn.
    SqliteWriter(WriteTxn),
    Postgres(Guard<Postgres>),
}

macro_rules! bind_all {
    ($query:expr, $args:expr) => {{
        let mut query = $query;
        for value in $args {
            query = match value {
                Value::Text(v) => query.bind(v),
                Value::I64(v) => query.bind(v),
                Value::Bool(v) => query.bind(v),
                Value::Uuid(v) => query.bind(v),
                Value::Bytes(v) => query.bind(v),
            };
        }
        query
    }};
}

/// A statement for sqlx: `$query` is `sqlx::query::<DB>` applied to the text.
macro_rules! sqlx_query {
    ($db:ty, $sql:expr, $args:expr) => {
        match $sql {
            Sql::Fixed(text) => bind_all!(sqlx::query::<$db>(text), $args),
            Sql::Assembled(text) => bind_all!(sqlx::query::<$db>(AssertSqlSafe(text)), $args),
        }
    };
}

impl Txn {
    async fn execute(&mut self, sql: Sql, args: Vec<Value>) -> Result<u64, StoreError> {
        Ok(match self {
            Txn::Sqlite(tx) => sqlx_query!(Sqlite, sql, args).execute(tx.conn()?).await?.rows_affected(),
            Txn::SqliteWriter(tx) => tx.execute(sql, args).await?,
            Txn::Postgres(tx) => sqlx_query!(Postgres, sql, args).execute(tx.conn()?).await?.rows_affected(),
        })
    }

    async fn fetch_all(&mut self, sql: Sql, args: Vec<Value>) -> Result<Vec<Row>, StoreError> {
        Ok(match self {
            Txn::Sqlite(tx) => sqlx_query!(Sqlite, sql, args)
                .fetch_all(tx.conn()?)
                .await?
                .into_iter()
                .map(|r| Row(RowInner::Sqlite(r)))
                .collect(),
            Txn::SqliteWriter(tx) => tx.fetch_all(sql, args).await?,
            Txn::Postgres(tx) => sqlx_query!(Postgres, sql, args)
                .fetch_all(tx.conn()?)
                .await?
                .into_iter()
                .map(|r| Row(RowInner::Postgres(r)))
                .collect(),
        })
    }

    async fn fetch_optional(&mut self, sql: &'static str, args: Vec<Value>) -> Result<Option<Row>, StoreError> {
        Ok(match self {
            Txn::Sqlite(tx) => bind_all!(sqlx::query::<Sqlite>(sql), args)
                .fetch_optional(tx.conn()?)
                .await?
                .map(|r| Row(RowInner::Sqlite(r))),
            Txn::SqliteWriter(tx) => tx.fetch_all(Sql::Fixed(sql), args).await?.into_iter().next(),
            Txn::Postgres(tx) => bind_all!(sqlx::query::<Postgres>(sql), args)
                .fetch_optional(tx.conn()?)
                .await?
                .map(|r| Row(RowInner::Postgres(r))),
        })
    }

    /// Runs a statement that binds nothing and answers nothing (`SET LOCAL`, savepoints).
    async fn run_plain(&mut self, sql: &'static str) -> Result<(), StoreError> {
        match self {
            Txn::Sqlite(tx) => sqlx::raw_sql(sql).execute(tx.conn()?).await.map(|_| ())?,
            Txn::SqliteWriter(tx) => tx.execute(Sql::Fixed(sql), Vec::new()).await.map(|_| ())?,
            Txn::Postgres(tx) => sqlx::raw_sql(sql).execute(tx.conn()?).await.map(|_| ())?,
        }
        Ok(())
    }

    async fn commit(self) -> Result<(), StoreError> {
        match self {
            Txn::Sqlite(tx) => tx.commit().await?,
            Txn::SqliteWriter(tx) => tx.commit().await?,
            Txn::Postgres(tx) => tx.commit().await?,
        }
        Ok(())
    }
}

/// Rows given as columns, each one PostgreSQL array (`$2::text[]`, ...), for an insert
/// through `UNNEST`.
enum ColumnArray {
    Text(Vec<Option<String>>),
    I64(Vec<Option<i64>>),
    Bool(Vec<Option<bool>>),
    Uuid(Vec<Option<uuid::Uuid>>),
    Bytes(Vec<Option<Vec<u8>>>),
}

struct ColumnArrays(Vec<ColumnArray>);

impl ColumnArrays {
    /// Splits rows into columns; each column takes its type from the first row, and a row
    /// with a value of another type in that column is refused (written code, never input).
    fn from_rows(rows: Vec<Vec<Value>>, width: usize) -> Result<Self, StoreError> {
        let count = rows.len();
        let Some(first) = rows.first() else { return Ok(ColumnArrays(Vec::new())) };
        let mut columns: Vec<ColumnArray> = first
            .iter()
            .map(|value| match value {
                Value::Text(_) => ColumnArray::Text(Vec::with_capacity(count)),
                Value::I64(_) => ColumnArray::I64(Vec::with_capacity(count)),
                Value::Bool(_) => ColumnArray::Bool(Vec::with_capacity(count)),
                Value::Uuid(_) => ColumnArray::Uuid(Vec::with_capacity(count)),
                Value::Bytes(_) => ColumnArray::Bytes(Vec::with_capacity(count)),
            })
            .collect();
        for row in rows {
            if row.len() != width {
                return Err(StoreError::BadStatement(format!("an insert row of {} values, not {width}", row.len())));
            }
            for (column, value) in columns.iter_mut().zip(row) {
                match (column, value) {
                    (ColumnArray::Text(c), Value::Text(v)) => c.push(v),
                    (ColumnArray::I64(c), Value::I64(v)) => c.push(v),
                    (ColumnArray::Bool(c), Value::Bool(v)) => c.push(v),
                    (ColumnArray::Uuid(c), Value::Uuid(v)) => c.push(v),
                    (ColumnArray::Bytes(c), Value::Bytes(v)) => c.push(v),
                    (_, value) => {
                        return Err(StoreError::BadStatement(format!("an insert column mixes types: {value:?}")));
                    }
                }
            }
        }
        Ok(ColumnArrays(columns))
    }

    /// `$2::text[], $3::uuid[], ...`: `$1` is the tenant id.
    fn placeholders(&self) -> String {
        let types = self.0.iter().map(|column| match column {
            ColumnArray::Text(_) => "text",
            ColumnArray::I64(_) => "int8",
            ColumnArray::Bool(_) => "bool",
            ColumnArray::Uuid(_) => "uuid",
            ColumnArray::Bytes(_) => "bytea",
        });
        types.enumerate().map(|(i, t)| format!("${}::{t}[]", i + 2)).collect::<Vec<_>>().join(", ")
    }

    fn bind<'q>(
        self,
        mut query: sqlx::query::Query<'q, Postgres, sqlx::postgres::PgArguments>,
    ) -> sqlx::query::Query<'q, Postgres, sqlx::postgres::PgArguments> {
        for column in self.0 {
            query = match column {
                ColumnArray::Text(c) => query.bind(c),
                ColumnArray::I64(c) => query.bind(c),
                ColumnArray::Bool(c) => query.bind(c),
                ColumnArray::Uuid(c) => query.bind(c),
                ColumnArray::Bytes(c) => query.bind(c),
            };
        }
        query
    }
}

/// What a transaction is begun for.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Mode {
    Write,
    Read,
    /// A read whose statements PostgreSQL plans for their values.
    Search,
}

/// A transaction inside one tenant. Dropping it without [`TenantTx::commit`] rolls back.
pub struct TenantTx {
    txn: Txn,
    tenant: TenantId,
    /// The audit head cache, in SQLite write transactions.
    pub(crate) heads: Option<std::sync::Arc<crate::audit::HeadCache>>,
    /// Where a PostgreSQL write transaction reports, once committed, that it left events
    /// to seal.
    unsealed: Option<std::sync::Arc<crate::audit::UnsealedTenants>>,
    /// Whether this transaction appended an event that is sealed after commit.
    pub(crate) appended: bool,
    /// Whether PostgreSQL already plans this transaction's statements for their values.
    plans_for_values: bool,
    /// On Citus (see [`Store::is_distributed`]).
    distributed: bool,
}

impl TenantTx {
    pub fn tenant(&self) -> TenantId {
        self.tenant
    }

    pub fn kind(&self) -> StoreKind {
        match self.txn {
            Txn::Sqlite(_) | Txn::SqliteWriter(_) => StoreKind::Sqlite,
            Txn::Postgres(_) => StoreKind::Postgres,
        }
    }

    fn scoped(&self, sql: &'static str, args: Vec<Value>) -> Result<Vec<Value>, StoreError> {
        if !sql.contains("$1") {
            return Err(StoreError::UnscopedQuery(sql));
        }
        let mut all = Vec::with_capacity(args.len() + 1);
        all.push(Value::from(self.tenant));
        all.extend(args);
        Ok(all)
    }

    /// Runs a statement; `$1` is the tenant id, `args` bind from `$2` on.
    pub async fn execute(&mut self, sql: &'static str, args: Vec<Value>) -> Result<u64, StoreError> {
        let args = self.scoped(sql, args)?;
        self.txn.execute(Sql::Fixed(sql), args).await
    }

    pub async fn fetch_all(&mut self, sql: &'static str, args: Vec<Value>) -> Result<Vec<Row>, StoreError> {
        let args = self.scoped(sql, args)?;
        self.txn.fetch_all(Sql::Fixed(sql), args).await
    }

    /// Inserts rows into `into`, a table and its columns (`customer_tags (tenant_id,
    /// customer_id, tag)`): the first column is the tenant id, each row gives the others.
    /// Returns how many rows were inserted.
    ///
    /// SQLite's writing connection prepares one single-row statement and binds it row after
    /// row: a statement that writes one row needs no statement journal (a multi-row insert
    /// first copies every page it touches into one, a fifth of an import's time), and
    /// nothing is formatted per row. PostgreSQL gets one statement for all the rows, each
    /// column bound as one array and spread back into rows by `UNNEST`: the same text
    /// whatever the row count, so it is parsed and planned once per connection, and a
    /// thousand rows are one round trip (multi-row `VALUES` lists of a few hundred
    /// parameters were parsed and planned per statement, most of an import's server time).
    pub async fn insert_rows(&mut self, into: &'static str, rows: Vec<Vec<Value>>) -> Result<u64, StoreError> {
        let Some(width) = rows.first().map(Vec::len) else { return Ok(0) };
        let tenant = self.tenant;
        if let Txn::SqliteWriter(tx) = &mut self.txn {
            let placeholders: String = (2..2 + width).map(|i| format!(", ${i}")).collect();
            let sql = format!("INSERT INTO {into} VALUES ($1{placeholders})");
            let each = rows.into_iter().map(|args| [vec![Value::from(tenant)], args].concat()).collect();
            return tx.execute_each(Sql::Assembled(sql), each).await;
        }
        if self.distributed {
            return self.insert_rows_as_values(into, rows, width).await;
        }
        let columns = ColumnArrays::from_rows(rows, width)?;
        let sql = format!("INSERT INTO {into} SELECT $1, * FROM UNNEST({})", columns.placeholders());
        let Txn::Postgres(tx) = &mut self.txn else {
            return Err(StoreError::BadStatement("a PostgreSQL insert on another backend".into()));
        };
        let query = columns.bind(sqlx::query::<Postgres>(AssertSqlSafe(sql)).bind(tenant.0));
        Ok(query.execute(tx.conn()?).await?.rows_affected())
    }

    /// Citus's form of [`TenantTx::insert_rows`]: rows as `VALUES` lists, which Citus sends
    /// to the business's one shard. From `UNNEST` it would gather the rows on the
    /// coordinator and copy them in, and row-level security refuses a copy.
    async fn insert_rows_as_values(
        &mut self,
        into: &'static str,
        rows: Vec<Vec<Value>>,
        width: usize,
    ) -> Result<u64, StoreError> {
        // PostgreSQL binds at most 65,535 values per statement.
        let per_statement = (60_000 / (width + 1)).max(1);
        let mut inserted = 0;
        let mut rows = rows.into_iter().peekable();
        while rows.peek().is_some() {
            let chunk: Vec<Vec<Value>> = rows.by_ref().take(per_statement).collect();
            let mut sql = format!("INSERT INTO {into} VALUES ");
            let mut args = Vec::with_capacity(1 + chunk.len() * width);
            args.push(Value::from(self.tenant));
            for (index, row) in chunk.into_iter().enumerate() {
                if row.len() != width {
                    return Err(StoreError::BadStatement(format!(
                        "an insert row of {} values, not {width}",
                        row.len()
                    )));
                }
                let first = 2 + index * width;
                let placeholders: String = (first..first + width).map(|i| format!(", ${i}")).collect();
                sql.push_str(if index == 0 { "($1" } else { ", ($1" });
                sql.push_str(&placeholders);
                sql.push(')');
                args.extend(row);
            }
            inserted += self.txn.execute(Sql::Assembled(sql), args).await?;
        }
        Ok(inserted)
    }

    pub async fn fetch_optional(&mut self, sql: &'static str, args: Vec<Value>) -> Result<Option<Row>, StoreError> {
        let args = self.scoped(sql, args)?;
        self.txn.fetch_optional(sql, args).await
    }

    /// Asks PostgreSQL to plan this transaction's statements for their actual values, not
    /// a generic plan cached after a few runs: a search's ranges decide its best plan, and a
    /// generic one can be thousands of times slower. SQLite always plans per statement.
    pub async fn plan_for_values(&mut self) -> Result<(), StoreError> {
        if let Txn::Postgres(_) = &self.txn
            && !self.plans_for_values
        {
            self.txn.run_plain("SET LOCAL plan_cache_mode = force_custom_plan").await?;
            self.plans_for_values = true;
        }
        Ok(())
    }

    /// Returns to PostgreSQL's usual plan caching after [`TenantTx::plan_for_values`]. A
    /// transaction that writes many rows wants it: the foreign-key check behind each
    /// inserted row runs a cached plan, which `force_custom_plan` plans again for every row
    /// (it made an import's notes and tags three times slower).
    pub async fn plan_generically(&mut self) -> Result<(), StoreError> {
        if let Txn::Postgres(_) = &self.txn
            && self.plans_for_values
        {
            self.txn.run_plain("SET LOCAL plan_cache_mode = auto").await?;
            self.plans_for_values = false;
        }
        Ok(())
    }

    /// Whether [`TenantTx::plan_for_values`] is in force.
    pub(crate) fn plans_for_values(&self) -> bool {
        self.plans_for_values
    }

    /// Runs a statement assembled from fixed fragments (an insert's column list, an `IN` list of
    /// placeholders), never from input; the same `$1` rule holds.
    pub async fn execute_assembled(&mut self, sql: String, args: Vec<Value>) -> Result<u64, StoreError> {
        let args = self.scoped_assembled(&sql, args)?;
        self.txn.execute(Sql::Assembled(sql), args).await
    }

    pub async fn fetch_all_assembled(&mut self, sql: String, args: Vec<Value>) -> Result<Vec<Row>, StoreError> {
        let args = self.scoped_assembled(&sql, args)?;
        self.txn.fetch_all(Sql::Assembled(sql), args).await
    }

    fn scoped_assembled(&self, sql: &str, args: Vec<Value>) -> Result<Vec<Value>, StoreError> {
        if !sql.contains("$1") {
            return Err(StoreError::UnscopedQuery("an assembled statement without $1"));
        }
        let mut all = Vec::with_capacity(args.len() + 1);
        all.push(Value::from(self.tenant));
        all.extend(args);
        Ok(all)
    }

    /// Marks a point to return to if the next statement fails. PostgreSQL aborts the
    /// whole transaction on an error (a refused overlapping appointment, say); inside a
    /// savepoint only that statement is undone. SQLite already undoes just the statement.
    pub async fn savepoint(&mut self) -> Result<(), StoreError> {
        if let Txn::Postgres(_) = &self.txn {
            self.txn.run_plain("SAVEPOINT steward_step").await?;
        }
        Ok(())
    }

    /// Ends the savepoint: kept if `ok`, undone otherwise.
    pub async fn end_savepoint(&mut self, ok: bool) -> Result<(), StoreError> {
        if let Txn::Postgres(_) = &self.txn {
            let sql = if ok { "RELEASE SAVEPOINT steward_step" } else { "ROLLBACK TO SAVEPOINT steward_step" };
            self.txn.run_plain(sql).await?;
        }
        Ok(())
    }

    pub async fn fetch_one(&mut self, sql: &'static str, args: Vec<Value>) -> Result<Row, StoreError> {
        self.fetch_optional(sql, args).await?.ok_or(StoreError::Database(sqlx::Error::RowNotFound))
    }

    /// Runs SQL exactly as given, without binding the tenant id. Only for tests that prove
    /// row-level security stops a query with no tenant filter.
    #[doc(hidden)]
    pub async fn fetch_all_unfiltered_for_isolation_test(&mut self, sql: &'static str) -> Result<Vec<Row>, StoreError> {
        self.txn.fetch_all(Sql::Fixed(sql), Vec::new()).await
    }

    pub async fn commit(self) -> Result<(), StoreError> {
        self.txn.commit().await?;
        if self.appended
            && let Some(unsealed) = &self.unsealed
        {
            unsealed.mark(self.tenant);
        }
        Ok(())
    }
}

/// A transaction on the platform tables.
pub struct PlatformTx {
    txn: Txn,
}

impl PlatformTx {
    pub async fn execute(&mut self, sql: &'static str, args: Vec<Value>) -> Result<u64, StoreError> {
        self.txn.execute(Sql::Fixed(sql), args).await
    }
    pub async fn fetch_all(&mut self, sql: &'static str, args: Vec<Value>) -> Result<Vec<Row>, StoreError> {
        self.txn.fetch_all(Sql::Fixed(sql), args).await
    }
    pub async fn fetch_optional(&mut self, sql: &'static str, args: Vec<Value>) -> Result<Option<Row>, StoreError> {
        self.txn.fetch_optional(sql, args).await
    }
    pub async fn commit(self) -> Result<(), StoreError> {
        self.txn.commit().await
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn rows_become_one_typed_array_per_column() {
        let id = uuid::Uuid::now_v7();
        let rows = vec![
            vec![Value::Uuid(Some(id)), Value::Text(Some("n:asha".into())), Value::I64(None), Value::Bool(Some(true))],
            vec![Value::Uuid(Some(id)), Value::Text(None), Value::I64(Some(7)), Value::Bool(Some(false))],
        ];
        let columns = ColumnArrays::from_rows(rows, 4).expect("same types per column");
        assert_eq!(columns.placeholders(), "$2::uuid[], $3::text[], $4::int8[], $5::bool[]");
        match &columns.0[1] {
            ColumnArray::Text(values) => assert_eq!(values, &vec![Some("n:asha".to_string()), None]),
            _ => panic!("the second column is text"),
        }
        match &columns.0[2] {
            ColumnArray::I64(values) => assert_eq!(values, &vec![None, Some(7)]),
            _ => panic!("the third column is a number"),
        }
    }

    #[test]
    fn a_column_of_mixed_types_or_a_short_row_is_refused() {
        let mixed = vec![vec![Value::Text(Some("a".into()))], vec![Value::I64(Some(1))]];
        assert!(matches!(ColumnArrays::from_rows(mixed, 1), Err(StoreError::BadStatement(_))));
        let short = vec![vec![Value::Text(Some("a".into())), Value::Bool(None)], vec![Value::Text(None)]];
        assert!(matches!(ColumnArrays::from_rows(short, 2), Err(StoreError::BadStatement(_))));
    }
}

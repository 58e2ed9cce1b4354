//! SQLite's one writing connection, driven directly on a thread of its own.
//!
//! SQLite takes one write transaction at a time, so how long a write transaction holds
//! the write turn bounds how many writes per second Steward can take. Through sqlx, every
//! statement was a hand-off to the connection's worker thread and back to the request
//! runtime, where the task holding the turn waited behind every other ready request: under
//! load the turn was held mostly by waiting (docs/benchmarks.md, "Customers", 2026-12-02,
//! later). Here the writing connection lives on a thread whose runtime runs
//! only write transactions; a transaction run with [`Store::write`] runs its
//! statements right there, without any hand-off. A write transaction begun elsewhere still
//! works: each of its statements is sent to the thread and answered, as before.
//!
//! The connection is opened with the same settings as the readers' pool (WAL, foreign
//! keys, busy timeout, secure delete, the key store attached). WAL checkpoints, which
//! SQLite otherwise runs inside whichever commit crosses 1,000 pages of log (and so
//! inside a request's write turn, fsync included), run on a thread of their own every
//! quarter second instead; the writer still checkpoints itself past 20,000 pages, should
//! that thread ever fall behind. The same thread gives memory back once writes stop for a
//! while ([`RELEASE_AFTER_IDLE`]): the writer's page cache and prepared statements are
//! what an idle server would otherwise keep from its busiest hour.
//!
//! [`Store::write`]: crate::Store::write

use crate::StoreError;
use crate::value::{DirectRow, Row, RowInner, Value};
use rusqlite::Connection;
use std::collections::HashMap;
use std::future::Future;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex, MutexGuard, Weak};
use std::time::{Duration, Instant};

/// How long the writer must go without a write transaction before the memory it holds
/// for speed (page cache, prepared statements) is released.
pub const RELEASE_AFTER_IDLE: Duration = Duration::from_secs(15);

/// The writing connection and the thread that drives it. Dropped with the last
/// [`Store`](crate::Store) that shares it, which ends the thread.
#[derive(Debug)]
pub(crate) struct SqliteWriter {
    runtime: tokio::runtime::Handle,
    thread: std::thread::ThreadId,
    connection: Arc<Mutex<Writer>>,
    /// The write turn: writers queue here, in order, instead of in SQLite's busy handler,
    /// which sleeps between retries and collapses throughput when many requests write.
    turn: Arc<tokio::sync::Mutex<()>>,
    /// Write transactions begun so far: the checkpoint thread watches it to tell when
    /// writes have stopped.
    transactions: Arc<AtomicU64>,
    /// Dropping it ends the thread (and cancels what still runs there).
    _stop: tokio::sync::oneshot::Sender<()>,
    /// Dropping it ends the checkpoint thread.
    _stop_checkpoints: std::sync::mpsc::Sender<()>,
}

/// The connection, and for each statement text the `$N` number of each of its parameters
/// in SQLite's order (asking SQLite a parameter's name costs a scan of all of them, which
/// made binding a 400-parameter insert quadratic).
struct Writer {
    connection: Connection,
    parameter_numbers: HashMap<Box<str>, Arc<[usize]>>,
}

impl std::fmt::Debug for Writer {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Writer").finish_non_exhaustive()
    }
}

/// A statement's text: fixed in the code, or assembled from fixed fragments.
pub(crate) enum Sql {
    Fixed(&'static str),
    Assembled(String),
}

impl Sql {
    fn text(&self) -> &str {
        match self {
            Sql::Fixed(text) => text,
            Sql::Assembled(text) => text,
        }
    }
}

/// What a statement is run for: how many rows it changed, or the rows it answers.
#[derive(Clone, Copy, PartialEq, Eq)]
enum Want {
    Count,
    Rows,
}

impl SqliteWriter {
    /// Opens the writing connection for the database file `path` (its key store beside it)
    /// and starts its thread.
    pub(crate) fn start(path: &std::path::Path, keystore: &str, cache_kib: u32) -> Result<SqliteWriter, StoreError> {
        let connection = open(path, keystore, cache_kib).map_err(map_error)?;
        let runtime = tokio::runtime::Builder::new_current_thread()
            .enable_all()
            .build()
            .map_err(|e| StoreError::UnsafeSetup(format!("cannot start the SQLite writer thread: {e}")))?;
        let handle = runtime.handle().clone();
        let (stop, stopped) = tokio::sync::oneshot::channel::<()>();
        let thread = std::thread::Builder::new()
            .name("steward-sqlite-writer".into())
            .spawn(move || {
                // A stop or the sender's drop ends the wait; both mean "no Store is left".
                let _ = runtime.block_on(stopped);
            })
            .map_err(|e| StoreError::UnsafeSetup(format!("cannot start the SQLite writer thread: {e}")))?;
        let connection = Arc::new(Mutex::new(Writer { connection, parameter_numbers: HashMap::new() }));
        let transactions = Arc::new(AtomicU64::new(0));
        // A checkpoint copies log frames into the file without going through the cache.
        let checkpoints = open(path, keystore, CHECKPOINT_CACHE_KIB).map_err(map_error)?;
        let (stop_checkpoints, checkpoints_stopped) = std::sync::mpsc::channel::<()>();
        let upkeep = Upkeep {
            checkpoints,
            writer: Arc::downgrade(&connection),
            transactions: transactions.clone(),
            stopped: checkpoints_stopped,
        };
        std::thread::Builder::new()
            .name("steward-sqlite-checkpoint".into())
            .spawn(move || upkeep.run_until_stopped())
            .map_err(|e| StoreError::UnsafeSetup(format!("cannot start the SQLite checkpoint thread: {e}")))?;
        Ok(SqliteWriter {
            runtime: handle,
            thread: thread.thread().id(),
            connection,
            turn: Default::default(),
            transactions,
            _stop: stop,
            _stop_checkpoints: stop_checkpoints,
        })
    }

    /// Runs `work` on the writer thread and waits for its result. The work runs to its end
    /// even if the caller stops waiting (a client that hung up), so a transaction is never
    /// left half-driven.
    pub(crate) async fn run<T: Send + 'static>(
        &self,
        work: impl Future<Output = T> + Send + 'static,
    ) -> Result<T, StoreError> {
        if self.on_thread() {
            return Ok(work.await);
        }
        self.runtime.spawn(work).await.map_err(|_| StoreError::WriterStopped)
    }

    fn on_thread(&self) -> bool {
        std::thread::current().id() == self.thread
    }

    /// Runs `job` with the connection: right here on the writer thread, otherwise sent there.
    async fn with_connection<T: Send + 'static>(
        &self,
        job: impl FnOnce(&mut Writer) -> Result<T, StoreError> + Send + 'static,
    ) -> Result<T, StoreError> {
        let connection = self.connection.clone();
        self.run(async move { job(&mut lock(&connection)) }).await?
    }

    /// Waits for the write turn, then begins a write transaction.
    pub(crate) async fn begin(writer: &Arc<SqliteWriter>) -> Result<WriteTxn, StoreError> {
        let turn = writer.turn.clone().lock_owned().await;
        writer.transactions.fetch_add(1, Ordering::Relaxed);
        writer
            .with_connection(|w| {
                // A transaction left open by a rollback that failed is ended first.
                if !w.connection.is_autocommit() {
                    w.connection.execute_batch("ROLLBACK").map_err(map_error)?;
                }
                w.connection.execute_batch("BEGIN IMMEDIATE").map_err(map_error)
            })
            .await?;
        Ok(WriteTxn { writer: writer.clone(), turn: Some(turn) })
    }
}

impl SqliteWriter {
    /// Copies every committed page of the database and the key store into their files
    /// and empties both write-ahead logs (`TRUNCATE`), between write transactions.
    ///
    /// With `secure_delete` on, an erased row is zeroed in the page that held it, but the
    /// page's earlier versions stay in the log until it is rewritten from its start, and
    /// a passive checkpoint neither waits for that nor shortens the file. After an erasure
    /// and when the store closes, the old versions must go. A reader still on an older
    /// snapshot holds the checkpoint back; it is tried again until `patience` runs out.
    pub(crate) async fn checkpoint_truncate(
        writer: &Arc<SqliteWriter>,
        patience: std::time::Duration,
    ) -> Result<(), StoreError> {
        let _turn = writer.turn.clone().lock_owned().await;
        let deadline = std::time::Instant::now() + patience;
        loop {
            let blocked = writer
                .with_connection(|w| {
                    let mut blocked = false;
                    for sql in ["PRAGMA main.wal_checkpoint(TRUNCATE)", "PRAGMA keystore.wal_checkpoint(TRUNCATE)"] {
                        let busy: i64 = w.connection.query_row(sql, [], |row| row.get(0)).map_err(map_error)?;
                        blocked |= busy != 0;
                    }
                    Ok(blocked)
                })
                .await;
            match blocked {
                Ok(false) => return Ok(()),
                Ok(true) | Err(StoreError::Busy) if std::time::Instant::now() < deadline => {
                    tokio::time::sleep(std::time::Duration::from_millis(20)).await;
                }
                Ok(true) => return Err(StoreError::Busy),
                Err(error) => return Err(error),
            }
        }
    }
}

fn lock(connection: &Mutex<Writer>) -> MutexGuard<'_, Writer> {
    // A panic while holding it left at most an open transaction, which `begin` ends.
    connection.lock().unwrap_or_else(|poisoned| poisoned.into_inner())
}

/// The checkpoint thread's work.
struct Upkeep {
    checkpoints: Connection,
    /// Weak, so the writing connection still closes the moment its last store is dropped.
    writer: Weak<Mutex<Writer>>,
    transactions: Arc<AtomicU64>,
    stopped: std::sync::mpsc::Receiver<()>,
}

impl Upkeep {
    /// Copies the write-ahead logs of the database and the key store back into their files,
    /// without waiting for readers or the writer (`PASSIVE`), four times a second; once
    /// writes have stopped for [`RELEASE_AFTER_IDLE`], releases the writer's memory. Ends
    /// when the writer is dropped.
    fn run_until_stopped(self) {
        let mut seen = self.transactions.load(Ordering::Relaxed);
        let mut quiet_since = Instant::now();
        let mut released = false;
        while let Err(std::sync::mpsc::RecvTimeoutError::Timeout) =
            self.stopped.recv_timeout(Duration::from_millis(250))
        {
            for (schema, sql) in [
                ("main", "PRAGMA main.wal_checkpoint(PASSIVE)"),
                ("keystore", "PRAGMA keystore.wal_checkpoint(PASSIVE)"),
            ] {
                if let Err(error) = self.checkpoints.query_row(sql, [], |_| Ok(())) {
                    tracing::warn!(schema, %error, "a WAL checkpoint failed; the next one retries");
                }
            }
            let now = self.transactions.load(Ordering::Relaxed);
            if now != seen {
                (seen, quiet_since, released) = (now, Instant::now(), false);
            } else if !released && quiet_since.elapsed() >= RELEASE_AFTER_IDLE {
                released = self.release_memory();
            }
        }
    }

    /// Frees the writer's page cache and prepared statements (both are rebuilt by the next
    /// writes as they need them), unless a transaction holds the connection right now.
    fn release_memory(&self) -> bool {
        let Some(writer) = self.writer.upgrade() else { return true };
        let Ok(mut writer) = writer.try_lock() else { return false };
        if !writer.connection.is_autocommit() {
            return false;
        }
        writer.connection.flush_prepared_statement_cache();
        writer.parameter_numbers.clear();
        for connection in [&writer.connection, &self.checkpoints] {
            if let Err(error) = connection.release_memory() {
                tracing::debug!(%error, "SQLite kept its cache");
            }
        }
        true
    }
}

const CHECKPOINT_CACHE_KIB: u32 = 256;

fn open(path: &std::path::Path, keystore: &str, cache_kib: u32) -> rusqlite::Result<Connection> {
    let connection = Connection::open(path)?;
    connection.busy_timeout(std::time::Duration::from_secs(10))?;
    connection.execute_batch(&format!(
        "PRAGMA journal_mode = WAL; PRAGMA synchronous = NORMAL; PRAGMA foreign_keys = ON;
         PRAGMA secure_delete = ON; PRAGMA cache_size = -{cache_kib}; PRAGMA wal_autocheckpoint = 20000;"
    ))?;
    connection.execute("ATTACH DATABASE ?1 AS keystore", [keystore])?;
    connection.execute_batch(
        "PRAGMA keystore.journal_mode = WAL; PRAGMA keystore.synchronous = NORMAL; PRAGMA keystore.secure_delete = ON;",
    )?;
    connection.set_prepared_statement_cache_capacity(256);
    Ok(connection)
}

impl Writer {
    /// Runs one statement: how many rows it changed, and its rows when `want` asks.
    fn run(&mut self, sql: &str, args: &[Value], want: Want) -> Result<(u64, Vec<Row>), StoreError> {
        let Writer { connection, parameter_numbers } = self;
        let mut statement = connection.prepare_cached(sql).map_err(map_error)?;
        let numbers = numbers_of(parameter_numbers, &statement, sql)?;
        bind(&mut statement, &numbers, args)?;
        let columns: Arc<[Box<str>]> = match want {
            Want::Rows => statement.column_names().into_iter().map(Box::from).collect(),
            Want::Count => Arc::from(Vec::new()),
        };
        let width = statement.column_count();
        let mut rows = statement.raw_query();
        let mut found = Vec::new();
        while let Some(row) = rows.next().map_err(map_error)? {
            if want == Want::Rows {
                let values = (0..width)
                    .map(|i| row.get::<_, rusqlite::types::Value>(i))
                    .collect::<rusqlite::Result<Vec<_>>>()
                    .map_err(map_error)?;
                found.push(Row(RowInner::Direct(DirectRow { columns: columns.clone(), values })));
            }
        }
        drop(rows);
        Ok((connection.changes(), found))
    }

    /// Runs one statement once for each set of arguments, prepared and looked up once:
    /// how many rows they changed together.
    fn run_each(&mut self, sql: &str, each: &[Vec<Value>]) -> Result<u64, StoreError> {
        let Writer { connection, parameter_numbers } = self;
        let mut statement = connection.prepare_cached(sql).map_err(map_error)?;
        let numbers = numbers_of(parameter_numbers, &statement, sql)?;
        let mut changed = 0;
        for args in each {
            bind(&mut statement, &numbers, args)?;
            let mut rows = statement.raw_query();
            while rows.next().map_err(map_error)?.is_some() {}
            drop(rows);
            changed += connection.changes();
        }
        Ok(changed)
    }
}

/// Which `$N` each of a statement's parameters is, in SQLite's order: made once per
/// statement text (asking SQLite each parameter's name on every run scanned all of them).
fn numbers_of(
    parameter_numbers: &mut HashMap<Box<str>, Arc<[usize]>>,
    statement: &rusqlite::Statement<'_>,
    sql: &str,
) -> Result<Arc<[usize]>, StoreError> {
    if let Some(numbers) = parameter_numbers.get(sql) {
        return Ok(numbers.clone());
    }
    let numbers: Arc<[usize]> = (1..=statement.parameter_count())
        .map(|index| {
            statement
                .parameter_name(index)
                .and_then(|name| name.strip_prefix('$'))
                .and_then(|number| number.parse::<usize>().ok())
                .ok_or_else(|| StoreError::Corrupt(format!("a statement parameter is not $N: {sql}")))
        })
        .collect::<Result<_, _>>()?;
    // Assembled statements come in a few shapes per batch size; keep the map bounded.
    if parameter_numbers.len() > 1024 {
        parameter_numbers.clear();
    }
    parameter_numbers.insert(sql.into(), numbers.clone());
    Ok(numbers)
}

/// Binds every parameter; one without an argument is NULL, as sqlx did.
fn bind(statement: &mut rusqlite::Statement<'_>, numbers: &[usize], args: &[Value]) -> Result<(), StoreError> {
    for (index, number) in numbers.iter().enumerate() {
        let position = index + 1;
        match args.get(number - 1) {
            None => statement.raw_bind_parameter(position, rusqlite::types::Null),
            Some(Value::Text(v)) => statement.raw_bind_parameter(position, v.as_deref()),
            Some(Value::I64(v)) => statement.raw_bind_parameter(position, v),
            Some(Value::Bool(v)) => statement.raw_bind_parameter(position, v.map(i64::from)),
            Some(Value::Uuid(v)) => statement.raw_bind_parameter(position, v.as_ref().map(|u| &u.as_bytes()[..])),
            Some(Value::Bytes(v)) => statement.raw_bind_parameter(position, v.as_deref()),
        }
        .map_err(map_error)?;
    }
    Ok(())
}

/// A write transaction on the writing connection. Dropped without [`WriteTxn::commit`],
/// it rolls back before the write turn passes on.
pub(crate) struct WriteTxn {
    writer: Arc<SqliteWriter>,
    turn: Option<tokio::sync::OwnedMutexGuard<()>>,
}

impl WriteTxn {
    async fn statement(&mut self, sql: Sql, args: Vec<Value>, want: Want) -> Result<(u64, Vec<Row>), StoreError> {
        self.writer.with_connection(move |w| w.run(sql.text(), &args, want)).await
    }

    pub(crate) async fn execute(&mut self, sql: Sql, args: Vec<Value>) -> Result<u64, StoreError> {
        Ok(self.statement(sql, args, Want::Count).await?.0)
    }

    pub(crate) async fn fetch_all(&mut self, sql: Sql, args: Vec<Value>) -> Result<Vec<Row>, StoreError> {
        Ok(self.statement(sql, args, Want::Rows).await?.1)
    }

    /// Runs one statement once for each set of arguments, prepared once.
    pub(crate) async fn execute_each(&mut self, sql: Sql, each: Vec<Vec<Value>>) -> Result<u64, StoreError> {
        self.writer.with_connection(move |w| w.run_each(sql.text(), &each)).await
    }

    pub(crate) async fn commit(mut self) -> Result<(), StoreError> {
        let result = self.writer.with_connection(|w| w.connection.execute_batch("COMMIT").map_err(map_error)).await;
        if result.is_ok() {
            // Committed: nothing for `drop` to undo.
            self.turn.take();
        }
        result
    }
}

impl Drop for WriteTxn {
    fn drop(&mut self) {
        let Some(turn) = self.turn.take() else { return };
        let connection = self.writer.connection.clone();
        let roll_back = move || {
            let w = lock(&connection);
            if !w.connection.is_autocommit() {
                // If this fails, the next `begin` ends the transaction.
                let _ = w.connection.execute_batch("ROLLBACK");
            }
            drop(turn);
        };
        if self.writer.on_thread() {
            roll_back();
        } else {
            // After any statement of this transaction still queued there.
            drop(self.writer.runtime.spawn(async move { roll_back() }));
        }
    }
}

/// The store's error for a SQLite error on the writing connection, told apart as the
/// readers' errors are (see `error.rs`).
pub(crate) fn map_error(error: rusqlite::Error) -> StoreError {
    if let rusqlite::Error::SqliteFailure(failure, message) = &error {
        let message = message.clone().unwrap_or_default();
        match failure.extended_code {
            2067 | 1555 => {
                let constraint =
                    message.split("failed: ").nth(1).map(str::to_string).unwrap_or_else(|| "key".to_string());
                return StoreError::Duplicate { constraint };
            }
            787 => return StoreError::MissingReference,
            _ if message.contains("appointment_overlap") => return StoreError::Overlap,
            5 | 517 => return StoreError::Busy,
            _ => {}
        }
    }
    StoreError::Sqlite(error.to_string())
}

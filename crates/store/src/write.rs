//! Where a write transaction runs: [`Store::write`], and for a write that first reads
//! what it depends on, [`Store::begin_checks`] then [`Checks::write`].
//!
//! SQLite takes one write transaction at a time. Its writes run whole on the writer
//! thread (`writer_thread.rs`), where no statement is handed over, and the reads a write
//! depends on run before it, outside the single writer, so the write turn is held only
//! for the writing. PostgreSQL takes many write transactions at once; there the checks
//! run inside the write transaction itself, which saves a begin and a commit. Which of
//! these happens is decided here, so no service asks which database it runs on.

use crate::tx::Backend;
use crate::{Store, StoreError, TenantTx};
use std::future::Future;
use steward_domain::ids::TenantId;

impl Store {
    /// Runs `work`, one write transaction of `tenant`: it is handed the transaction, begun,
    /// and commits it (dropping it rolls back). On SQLite it runs whole on the writer
    /// thread, and to its end even if the caller stops waiting (a client that hung up),
    /// so a transaction is never left half-driven.
    pub async fn write<T, E, Work, Done>(&self, tenant: TenantId, work: Work) -> Result<T, E>
    where
        Work: FnOnce(TenantTx) -> Done + Send + 'static,
        Done: Future<Output = Result<T, E>> + Send + 'static,
        T: Send + 'static,
        E: From<StoreError> + Send + 'static,
    {
        let store = self.clone();
        #[allow(clippy::disallowed_methods)] // the one place a write transaction begins
        let whole = async move { work(store.begin_tenant(tenant).await?).await };
        match &self.backend {
            Backend::Sqlite(_, writer) => writer.run(whole).await?,
            Backend::Postgres(_) => whole.await,
        }
    }

    /// Begins the reads a write of `tenant` depends on (is the time free, is this a
    /// customer); [`Checks::write`] then runs the write. On SQLite they are a read
    /// transaction of their own, ended before the write waits for its turn; on PostgreSQL
    /// they are the start of the write transaction.
    pub async fn begin_checks(&self, tenant: TenantId) -> Result<Checks, StoreError> {
        let tx = match &self.backend {
            Backend::Sqlite(..) => self.begin_tenant_read(tenant).await?,
            #[allow(clippy::disallowed_methods)] // on PostgreSQL the checks begin the write
            Backend::Postgres(_) => self.begin_tenant(tenant).await?,
        };
        Ok(Checks { store: self.clone(), tx })
    }
}

/// The reads before a write, begun by [`Store::begin_checks`]. Dropped without
/// [`Checks::write`], nothing is written.
pub struct Checks {
    store: Store,
    tx: TenantTx,
}

impl Checks {
    /// The transaction to read in. Nothing may be written through it: on SQLite it is
    /// not the write transaction.
    pub fn tx(&mut self) -> &mut TenantTx {
        &mut self.tx
    }

    /// Runs `work` as the write these checks were for, as [`Store::write`] does: on SQLite
    /// in a write transaction of its own, once the checks have ended; on PostgreSQL in
    /// the transaction the checks ran in.
    pub async fn write<T, E, Work, Done>(self, work: Work) -> Result<T, E>
    where
        Work: FnOnce(TenantTx) -> Done + Send + 'static,
        Done: Future<Output = Result<T, E>> + Send + 'static,
        T: Send + 'static,
        E: From<StoreError> + Send + 'static,
    {
        let Checks { store, tx } = self;
        match &store.backend {
            Backend::Sqlite(..) => {
                let tenant = tx.tenant();
                tx.commit().await?;
                store.write(tenant, work).await
            }
            Backend::Postgres(_) => work(tx).await,
        }
    }
}

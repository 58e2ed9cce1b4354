//! Sealing committed audit events into their business's chain (PostgreSQL seals after
//! commit, migration 15): the background sealer that follows commits, and the seal every
//! reader of the log runs first, so it reads one whole chain.

use crate::{App, AppError};
use std::sync::Arc;
use std::time::Duration;
use steward_domain::ids::TenantId;
use steward_store::StoreKind;
use steward_store::audit::{self as rows, UnsealedTenants};

/// Events sealed per transaction; a longer backlog takes several, so the head's lock is
/// never held for long.
const PASS: i64 = 1_000;

/// Seals every event of the business committed so far; returns how many it sealed.
pub async fn seal_now(app: &App, tenant: TenantId) -> Result<i64, AppError> {
    if app.store.kind() == StoreKind::Sqlite {
        return Ok(0);
    }
    let mut total = 0;
    loop {
        let sealed = app
            .store
            .write(tenant, |mut tx| async move {
                let sealed = rows::seal(&mut tx, PASS).await?;
                tx.commit().await?;
                Ok::<_, AppError>(sealed)
            })
            .await?;
        total += sealed;
        if sealed < PASS {
            return Ok(total);
        }
    }
}

/// Seals the events of every business (those a process committed and stopped before
/// sealing), then follows commits: each business that committed events is sealed once
/// however many commits it made meanwhile. Runs as long as the server does.
pub async fn run(app: App) {
    if app.store.kind() == StoreKind::Sqlite {
        return;
    }
    let unsealed = app.store.unsealed_tenants();
    match all_tenants(&app).await {
        Ok(tenants) => tenants.into_iter().for_each(|tenant| unsealed.mark(tenant)),
        Err(error) => tracing::warn!(%error, "the businesses could not be listed to seal their audit logs"),
    }
    loop {
        unsealed.marked().await;
        if !seal_marked(&app).await {
            tokio::time::sleep(Duration::from_secs(1)).await;
        }
    }
}

/// Seals each business marked since the last pass; one that fails is marked again for
/// the next. Returns whether all were sealed. A stopping server calls it once more.
pub async fn seal_marked(app: &App) -> bool {
    let unsealed = app.store.unsealed_tenants();
    let mut pending = Pending { tenants: unsealed.take(), unsealed: unsealed.clone() };
    let mut all_sealed = true;
    while let Some(&tenant) = pending.tenants.last() {
        if let Err(error) = seal_now(app, tenant).await {
            tracing::warn!(%tenant, %error, "audit events could not be sealed; trying again");
            unsealed.mark(tenant);
            all_sealed = false;
        }
        pending.tenants.pop();
    }
    all_sealed
}

/// The businesses a pass took and has not sealed yet. A pass stopped half-way (the
/// server stopping aborts the sealer) marks them again, so its last pass still seals them.
struct Pending {
    tenants: Vec<TenantId>,
    unsealed: Arc<UnsealedTenants>,
}

impl Drop for Pending {
    fn drop(&mut self) {
        for tenant in self.tenants.drain(..) {
            self.unsealed.mark(tenant);
        }
    }
}

async fn all_tenants(app: &App) -> Result<Vec<TenantId>, AppError> {
    let mut tx = app.store.begin_platform().await?;
    let tenants = steward_store::tenancy::tenants::list(&mut tx).await?;
    tx.commit().await?;
    Ok(tenants.into_iter().map(|t| t.id).collect())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_pass_stopped_half_way_leaves_its_unsealed_businesses_marked() {
        let unsealed = Arc::new(UnsealedTenants::default());
        let (first, second) = (TenantId(uuid::Uuid::now_v7()), TenantId(uuid::Uuid::now_v7()));
        unsealed.mark(first);
        unsealed.mark(second);
        let mut pending = Pending { tenants: unsealed.take(), unsealed: unsealed.clone() };
        assert!(unsealed.take().is_empty(), "taken for the pass");
        pending.tenants.pop();
        let left = pending.tenants.clone();
        drop(pending);
        assert_eq!(unsealed.take(), left, "the one not sealed is marked again");
    }
}

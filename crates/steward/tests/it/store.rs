//! The store under faults: requests cancelled mid-transaction (a client that hangs up)
//! never leave a pooled connection inside a transaction for the next request.

use crate::harness::TestServer;
use steward_store::access::members;

#[tokio::test]
async fn cancelled_transactions_never_poison_the_pool() {
    let server = TestServer::start().await;
    let fixture = server.tenant("cancel-test").await;
    for round in 0..200 {
        // Poll a begin once and drop it: BEGIN may be in flight when it is cancelled.
        let begin = server.store.begin_tenant_read(fixture.tenant);
        tokio::select! {
            biased;
            _ = tokio::task::yield_now() => {}
            _ = begin => {}
        }
        if round % 10 == 0 {
            let read = server.store.begin_tenant_read(fixture.tenant);
            tokio::select! {
                _ = tokio::time::sleep(std::time::Duration::from_micros(50)) => {}
                _ = async { let tx = read.await; tokio::task::yield_now().await; drop(tx) } => {}
            }
        }
    }
    // Every connection must now begin a fresh read-write transaction.
    for _ in 0..50 {
        let mut tx = server.store.begin_tenant(fixture.tenant).await.expect("begin");
        members::record_login(&mut tx, fixture.owner.member, 1)
            .await
            .expect("a write works: the connection was not left read-only");
        tx.commit().await.expect("commit");
    }
}

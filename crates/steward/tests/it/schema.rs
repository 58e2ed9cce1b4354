//! The schema: both backends have the same tables and columns, and every column is in
//! the data-class registry (and every registry entry is a real column).

use crate::harness::{PgDatabase, ScratchDir, postgres_admin_url, skip_or_fail};
use std::collections::BTreeSet;
use steward_domain::classification::COLUMNS;
use steward_store::Store;

async fn sqlite_columns() -> Vec<(String, String)> {
    let dir = ScratchDir::new("schema");
    let store = Store::open(&format!("sqlite://{}", dir.0.join("s.db").display()), 2).await.unwrap();
    store.migrate().await.unwrap();
    let columns = store.columns().await.unwrap();
    store.close().await;
    columns
}

fn check_classified(backend: &str, columns: &[(String, String)]) {
    let live: BTreeSet<(String, String)> = columns.iter().cloned().collect();
    let registry: BTreeSet<(String, String)> =
        COLUMNS.iter().map(|c| (c.table.to_string(), c.column.to_string())).collect();
    let unclassified: Vec<_> = live.difference(&registry).collect();
    assert!(
        unclassified.is_empty(),
        "{backend}: columns without a data class in domain::classification: {unclassified:?}"
    );
    let stale: Vec<_> = registry.difference(&live).collect();
    assert!(stale.is_empty(), "{backend}: the registry names columns that do not exist: {stale:?}");
}

#[tokio::test]
async fn every_sqlite_column_has_a_data_class() {
    check_classified("sqlite", &sqlite_columns().await);
}

#[tokio::test]
async fn both_backends_have_the_same_schema_and_every_column_is_classified() {
    let Some(admin) = postgres_admin_url() else {
        skip_or_fail("PostgreSQL (set STEWARD_TEST_DATABASE_URL)");
        return;
    };
    let db = PgDatabase::create(&admin).await;
    db.migrate().await;
    let store = Store::open(&db.app_url, 2).await.unwrap();
    let postgres = store.columns().await.unwrap();
    store.close().await;
    let sqlite = sqlite_columns().await;
    assert_eq!(sqlite, postgres, "the two backends' schemas differ");
    check_classified("postgres", &postgres);
}

#[tokio::test]
async fn migrating_twice_changes_nothing() {
    let dir = ScratchDir::new("migrate");
    let store = Store::open(&format!("sqlite://{}", dir.0.join("m.db").display()), 2).await.unwrap();
    let first = store.migrate().await.unwrap();
    let second = store.migrate().await.unwrap();
    assert!(!first.applied.is_empty());
    assert!(second.applied.is_empty());
    assert_eq!(store.schema_version().await.unwrap(), store.latest_known_version());
}

#[tokio::test]
async fn a_landed_migration_that_was_edited_is_refused() {
    let dir = ScratchDir::new("edited");
    let store = Store::open(&format!("sqlite://{}", dir.0.join("e.db").display()), 2).await.unwrap();
    store.migrate().await.unwrap();
    let mut platform = store.begin_platform().await.unwrap();
    platform
        .execute("UPDATE schema_migrations SET checksum = 'edited' WHERE version = 1", steward_store::args![])
        .await
        .unwrap();
    platform.commit().await.unwrap();
    let refused = store.migrate().await.err().map(|e| e.to_string()).unwrap_or_default();
    assert!(refused.contains("migration 1 was changed"), "{refused}");
}

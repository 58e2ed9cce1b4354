//! Steward on Citus: the schema placed as `store/src/citus.rs` says, the hot paths on one
//! shard, and an existing PostgreSQL database moved onto the cluster whole. These run in
//! the Citus pass of `.ci/run` (`STEWARD_TEST_DATABASE_URL` naming a coordinator); on one
//! PostgreSQL or SQLite there is no cluster to test.

use crate::harness::{PgDatabase, TestServer, citus_workers, postgres_admin_url, suite_on_postgres};
use std::collections::BTreeMap;
use std::io::Write as _;
use std::process::Command;
use steward_app::customers::import::{self, Format, ImportOptions, Importer};
use steward_app::mail::Mailer;
use steward_app::tenancy::{self, NewTenant};
use steward_app::{App, AppSettings};
use steward_crypto::master_key::MasterKey;
use steward_domain::ids::TenantId;
use steward_store::Store;

/// The coordinator's admin URL when the suite runs on Citus.
async fn coordinator() -> Option<String> {
    use sqlx::Connection;
    let admin = postgres_admin_url().filter(|_| suite_on_postgres())?;
    let mut conn = sqlx::PgConnection::connect(&admin).await.expect("connect as the PostgreSQL admin");
    let workers = citus_workers(&mut conn).await;
    let _ = conn.close().await;
    match workers {
        Some(workers) if !workers.is_empty() => Some(admin),
        _ => {
            eprintln!("not on Citus: this test runs in the Citus pass");
            None
        }
    }
}

async fn connect(url: &str) -> sqlx::PgConnection {
    use sqlx::Connection;
    sqlx::PgConnection::connect(url).await.expect("connect")
}

#[tokio::test]
async fn every_tenant_table_is_distributed_beside_the_others_and_global_tables_are_everywhere() {
    // promise: ISO-1
    let Some(_) = coordinator().await else { return };
    let server = TestServer::start().await;
    assert!(server.store.is_distributed());
    let mut admin = connect(&server.raw_url).await;
    let placed: Vec<(String, String, i32)> =
        sqlx::query_as("SELECT table_name::text, citus_table_type, colocation_id FROM citus_tables ORDER BY 1")
            .fetch_all(&mut admin)
            .await
            .unwrap();
    let reference: Vec<&str> =
        placed.iter().filter(|(_, kind, _)| kind == "reference").map(|(name, _, _)| name.as_str()).collect();
    assert_eq!(reference, ["policy_versions", "schema_migrations", "tenants"]);
    let groups: std::collections::BTreeSet<i32> =
        placed.iter().filter(|(_, kind, _)| kind == "distributed").map(|(_, _, group)| *group).collect();
    assert_eq!(groups.len(), 1, "every tenant table in one co-location group: {placed:?}");
    // A table added by a later migration and left out would be listed here.
    let pool = sqlx::PgPool::connect(&server.raw_url).await.unwrap();
    assert_eq!(steward_store::citus::undistributed_tenant_tables(&pool).await.unwrap(), Vec::<String>::new());
    assert!(placed.len() >= 43, "{placed:?}");
}

#[tokio::test]
async fn a_business_request_runs_on_one_shard() {
    // promise: ISO-3
    let Some(_) = coordinator().await else { return };
    let server = TestServer::start().await;
    let shop = server.tenant("one-shard").await;
    let mut admin = connect(&server.raw_url).await;
    let tenant = shop.tenant.as_uuid().hyphenated().to_string();
    for statement in [
        format!("SELECT * FROM customers WHERE tenant_id = '{tenant}' AND id = '{tenant}'"),
        format!(
            "SELECT customer_id FROM customer_search_terms WHERE tenant_id = '{tenant}' AND term LIKE 'ka%' LIMIT 50"
        ),
        format!("SELECT * FROM appointments WHERE tenant_id = '{tenant}' AND staff_id = '{tenant}'"),
        format!("UPDATE message_wakeups SET due_at = due_at WHERE tenant_id = '{tenant}'"),
    ] {
        let plan: Vec<String> = sqlx::query_scalar(sqlx::AssertSqlSafe(format!("EXPLAIN {statement}")))
            .fetch_all(&mut admin)
            .await
            .unwrap();
        let plan = plan.join("\n");
        assert!(plan.contains("Task Count: 1"), "{statement}\n{plan}");
    }
}

/// A CSV of `count` generated customers; phones differ across businesses by `seed`.
fn customers_csv(seed: usize, count: usize) -> Vec<u8> {
    const FIRST: [&str; 8] = ["Asha", "Ravi", "Meera", "Kiran", "Devi", "Arun", "Lata", "Vikram"];
    const LAST: [&str; 6] = ["Rao", "Iyer", "Nair", "Shah", "Das", "Menon"];
    let mut csv = b"name,phone,email\n".to_vec();
    for n in 0..count {
        let (first, last) = (FIRST[n % FIRST.len()], LAST[(n / FIRST.len()) % LAST.len()]);
        writeln!(csv, "{first} {last},+91 9{seed:04}{n:05},c{n}@b{seed}.example").unwrap();
    }
    csv
}

/// Per table, the number of rows and a hash of their text: equal before and after a move
/// when every row arrived unchanged.
async fn fingerprint(url: &str) -> BTreeMap<String, (i64, i64)> {
    let mut conn = connect(url).await;
    let tables: Vec<String> = sqlx::query_scalar(
        "SELECT CASE WHEN n.nspname = 'public' THEN c.relname::text ELSE n.nspname || '.' || c.relname END
         FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace
         WHERE n.nspname IN ('public', 'keystore') AND c.relkind = 'r'
           AND NOT EXISTS (SELECT 1 FROM pg_depend d WHERE d.objid = c.oid AND d.deptype = 'e')
           AND c.relname <> 'schema_migrations'",
    )
    .fetch_all(&mut conn)
    .await
    .unwrap();
    let mut all = BTreeMap::new();
    for table in tables {
        let sql = format!("SELECT COUNT(*), COALESCE(SUM(hashtext(t::text)::bigint), 0)::bigint FROM {table} t");
        let counted: (i64, i64) = sqlx::query_as(sqlx::AssertSqlSafe(sql)).fetch_one(&mut conn).await.unwrap();
        all.insert(table, counted);
    }
    all
}

#[tokio::test]
async fn an_existing_database_moves_onto_the_cluster_with_every_row_every_chain_and_every_wall() {
    // promise: ISO-1
    // promise: ISO-3
    let Some(admin) = coordinator().await else { return };
    const BUSINESSES: usize = 100;
    const CUSTOMERS: usize = 1_000;

    // One PostgreSQL database as an operator runs it today, with 100 businesses.
    let source = PgDatabase::create_plain(&admin).await;
    source.migrate().await;
    let source_store = Store::open(&source.app_url, 8).await.unwrap();
    assert!(!source_store.is_distributed());
    let mailer = Mailer::new(None, "Steward <no-reply@steward.test>", true).unwrap();
    let app = App::new(source_store.clone(), AppSettings::default(), MasterKey::generate().unwrap(), mailer).unwrap();
    let mut businesses: Vec<TenantId> = Vec::new();
    for n in 0..BUSINESSES {
        let slug = format!("moving-{n}");
        let (tenant, _) = tenancy::create_tenant(
            &app,
            NewTenant {
                business_name: format!("Moving business {n}"),
                slug: slug.clone(),
                country: "IN".into(),
                time_zone: "Asia/Kolkata".into(),
                owner_name: format!("Owner {n}"),
                owner_email: format!("owner@{slug}.example"),
                owner_password: crate::harness::PASSWORD.into(),
                accepted_policy: true,
                owner_email_verified: true,
                ip: None,
            },
        )
        .await
        .unwrap();
        let report = import::import(
            &app,
            Importer::Operator { tenant: tenant.id },
            std::io::Cursor::new(customers_csv(n, CUSTOMERS)),
            Format::Csv,
            &ImportOptions::default(),
            |_| {},
        )
        .await
        .unwrap();
        assert_eq!(report.created, CUSTOMERS as u64, "{:?}", report.rejected.first());
        businesses.push(tenant.id);
    }
    // Half the chains sealed before the move, half left for the cluster to seal.
    for tenant in businesses.iter().step_by(2) {
        assert!(steward_app::audit::verify_tenant(&app, *tenant).await.unwrap().intact);
    }
    source_store.close().await;
    let source_raw = format!("{}/{}", admin.rsplit_once('/').unwrap().0, source.name);
    let before = fingerprint(&source_raw).await;
    assert_eq!(before["customers"].0, (BUSINESSES * CUSTOMERS) as i64);

    // The move: dump, restore into a new database of the cluster, migrate.
    let target = PgDatabase::create(&admin).await;
    let target_raw = format!("{}/{}", admin.rsplit_once('/').unwrap().0, target.name);
    let dump = Command::new("pg_dump").args(["--no-comments", "-d", &source_raw]).output().expect("run pg_dump");
    assert!(dump.status.success(), "{}", String::from_utf8_lossy(&dump.stderr));
    let mut restore = Command::new("psql")
        .args(["-X", "-q", "-v", "ON_ERROR_STOP=1", "-d", &target_raw])
        .stdin(std::process::Stdio::piped())
        .stdout(std::process::Stdio::null())
        .spawn()
        .expect("run psql");
    restore.stdin.take().unwrap().write_all(&dump.stdout).unwrap();
    assert!(restore.wait().unwrap().success(), "the dump restores on the coordinator");
    let owner = Store::open(&target.owner_url, 2).await.unwrap();
    let report = owner.migrate().await.unwrap();
    assert!(report.applied.is_empty(), "the dump carried the schema at its version");
    let placed = report.distribution.expect("Citus was found");
    assert_eq!(placed.reference.len(), 3);
    assert!(placed.distributed.len() >= 40, "{placed:?}");
    assert!(placed.rows_moved >= (BUSINESSES * CUSTOMERS) as i64, "{placed:?}");
    owner.grant_runtime_role(crate::harness::PG_APP_ROLE).await.unwrap();
    owner.close().await;

    // Every row arrived; every chain verifies; every business sees only its own.
    assert_eq!(fingerprint(&target_raw).await, before, "the same rows, unchanged");
    let store = Store::open(&target.app_url, 8).await.unwrap();
    store.verify_isolation().await.unwrap();
    assert!(store.is_distributed());
    let mut moved = app.clone();
    moved.store = store.clone();
    for tenant in &businesses {
        let verification = steward_app::audit::verify_tenant(&moved, *tenant).await.unwrap();
        assert!(verification.intact, "{tenant}: {:?}", verification.first_break);
        assert!(verification.checked > 0);
    }
    let mut runtime = connect(&target.app_url).await;
    for tenant in businesses.iter().take(10) {
        // Opened as Steward opens a business's transaction; the count names no business.
        let begin = format!("BEGIN; SET LOCAL app.tenant_id = '{}'", tenant.as_uuid().hyphenated());
        sqlx::raw_sql(sqlx::AssertSqlSafe(begin)).execute(&mut runtime).await.unwrap();
        let seen: i64 = sqlx::query_scalar("SELECT COUNT(*) FROM customers").fetch_one(&mut runtime).await.unwrap();
        sqlx::raw_sql("COMMIT").execute(&mut runtime).await.unwrap();
        assert_eq!(seen, CUSTOMERS as i64, "a business sees its own customers and no one else's");
    }
    let unscoped: i64 = sqlx::query_scalar("SELECT COUNT(*) FROM customers").fetch_one(&mut runtime).await.unwrap();
    assert_eq!(unscoped, 0, "with no business set, nothing is visible");
    store.close().await;
}

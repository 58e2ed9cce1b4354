//! The engine alone, at each size of the growth benchmark: what a point read of one
//! customer and the insert of one customer's rows cost in SQLite or PostgreSQL without
//! Steward around them, in the very database the server is using, while it is idle.
//!
//! It is the floor the growth curve is read against: if the engine alone reads and
//! inserts more slowly at 100,000 customers than at 1,000, that part of Steward's slope
//! is the engine's (deeper B-trees, more pages than the cache holds), not Steward's.
//!
//! - Read: the customer's row by its key, `(tenant_id, id)`, for ids sampled across the
//!   whole business, one connection, one statement per read.
//! - Insert: a new customer of the business (a name from the same distribution, unique
//!   phone and email) with its search terms, one transaction per customer committed as
//!   Steward commits (SQLite: WAL, `synchronous = NORMAL`; PostgreSQL: the server's
//!   settings). The inserted customers are deleted again afterwards, so the business
//!   keeps the size the step measured.
//!
//! Nothing else is counted: no HTTP, no session or token, no audit record, no duplicate
//! lookup, no encryption.

use sqlx::Connection as _;
use std::time::{Duration, Instant};
use steward_domain::customers::search;
use steward_domain::ids::CustomerId;
use steward_store::customers::records;

/// Inserts per step; reads run for `READ_FOR`.
const INSERTS: usize = 500;
const READ_FOR: Duration = Duration::from_secs(2);
/// Phones of the floor's customers start here, apart from the imported and created ones.
const FLOOR_PHONES: u64 = 7_900_000_000;

/// Reads and inserts per second of the engine alone at one size.
pub(crate) struct EngineFloor {
    pub(crate) reads_per_second: f64,
    pub(crate) inserts_per_second: f64,
}

/// One customer the floor inserts.
struct FloorCustomer {
    id: CustomerId,
    name: String,
    name_key: String,
    phone: String,
    email: String,
    terms: Vec<String>,
}

fn customers(name_of: &dyn Fn(u64) -> String, round: u64) -> Vec<FloorCustomer> {
    (0..INSERTS as u64)
        .map(|i| {
            let n = round * INSERTS as u64 + i;
            let name = name_of(2_000_000_000 + n);
            let phone = format!("+91{}", FLOOR_PHONES + n);
            let email = format!("floor{n}@bench.example");
            let terms = search::terms(&name, Some(&email), Some(&phone), "91", &[]);
            FloorCustomer { id: CustomerId::generate(), name_key: search::name_key(&name), name, phone, email, terms }
        })
        .collect()
}

fn uuid_of(id: &str) -> Result<uuid::Uuid, String> {
    uuid::Uuid::parse_str(id).map_err(|e| format!("sampled id {id}: {e}"))
}

/// SQLite: the database file `serve` writes, opened with the writer's settings.
pub(crate) fn sqlite(
    path: &std::path::Path,
    ids: &[String],
    name_of: &dyn Fn(u64) -> String,
    round: u64,
) -> Result<EngineFloor, String> {
    use rusqlite::{Connection, OptionalExtension, params};
    let e = |e: rusqlite::Error| e.to_string();
    let connection = Connection::open(path).map_err(e)?;
    connection
        .execute_batch("PRAGMA journal_mode = WAL; PRAGMA synchronous = NORMAL; PRAGMA busy_timeout = 5000;")
        .map_err(e)?;
    let keys: Vec<Vec<u8>> =
        ids.iter().map(|id| uuid_of(id).map(|u| u.as_bytes().to_vec())).collect::<Result<_, _>>()?;
    let first = keys.first().ok_or("no sampled ids")?;
    let tenant: Vec<u8> = connection
        .query_row("SELECT tenant_id FROM customers WHERE id = ?1", params![first], |row| row.get(0))
        .map_err(e)?;

    let mut read = connection
        .prepare("SELECT name, name_key, phone, email, search_terms, updated_at FROM customers WHERE tenant_id = ?1 AND id = ?2")
        .map_err(e)?;
    let started = Instant::now();
    let mut reads = 0usize;
    while started.elapsed() < READ_FOR {
        let key = &keys[reads % keys.len()];
        let found: Option<String> = read.query_row(params![tenant, key], |row| row.get(0)).optional().map_err(e)?;
        if found.is_none() {
            return Err("a sampled customer was not found".into());
        }
        reads += 1;
    }
    let reads_per_second = reads as f64 / started.elapsed().as_secs_f64();
    drop(read);

    let made = customers(name_of, round);
    let now: i64 = 1_796_000_000_000_000;
    let started = Instant::now();
    for c in &made {
        let transaction = connection.unchecked_transaction().map_err(e)?;
        transaction
            .prepare_cached(
                "INSERT INTO customers (tenant_id, id, name, name_key, phone, email, source, search_terms, created_at, updated_at)
                 VALUES (?1, ?2, ?3, ?4, ?5, ?6, 'staff', ?7, ?8, ?8)",
            )
            .map_err(e)?
            .execute(params![tenant, &c.id.0.as_bytes()[..], c.name, c.name_key, c.phone, c.email, records::term_list(&c.terms), now])
            .map_err(e)?;
        let mut term = transaction
            .prepare_cached(
                "INSERT INTO customer_search_terms (tenant_id, customer_id, term, name_key) VALUES (?1, ?2, ?3, ?4)",
            )
            .map_err(e)?;
        for text in &c.terms {
            term.execute(params![tenant, &c.id.0.as_bytes()[..], text, c.name_key]).map_err(e)?;
        }
        drop(term);
        transaction.commit().map_err(e)?;
    }
    let inserts_per_second = made.len() as f64 / started.elapsed().as_secs_f64();

    let transaction = connection.unchecked_transaction().map_err(e)?;
    for c in &made {
        transaction
            .prepare_cached("DELETE FROM customer_search_terms WHERE tenant_id = ?1 AND customer_id = ?2")
            .map_err(e)?
            .execute(params![tenant, &c.id.0.as_bytes()[..]])
            .map_err(e)?;
        transaction
            .prepare_cached("DELETE FROM customers WHERE tenant_id = ?1 AND id = ?2")
            .map_err(e)?
            .execute(params![tenant, &c.id.0.as_bytes()[..]])
            .map_err(e)?;
    }
    transaction.commit().map_err(e)?;
    Ok(EngineFloor { reads_per_second, inserts_per_second })
}

/// PostgreSQL: the bench database, as its administrator (row-level security does not
/// apply to a superuser, so no tenant setting is made).
pub(crate) async fn postgres(
    url: &str,
    ids: &[String],
    name_of: &dyn Fn(u64) -> String,
    round: u64,
) -> Result<EngineFloor, String> {
    let e = |e: sqlx::Error| e.to_string();
    let mut connection = sqlx::PgConnection::connect(url).await.map_err(|e| format!("connect {url}: {e}"))?;
    let keys: Vec<uuid::Uuid> = ids.iter().map(|id| uuid_of(id)).collect::<Result<_, _>>()?;
    let first = keys.first().ok_or("no sampled ids")?;
    let tenant: uuid::Uuid = sqlx::query_scalar("SELECT tenant_id FROM customers WHERE id = $1")
        .bind(first)
        .fetch_one(&mut connection)
        .await
        .map_err(e)?;

    let started = Instant::now();
    let mut reads = 0usize;
    while started.elapsed() < READ_FOR {
        let key = keys[reads % keys.len()];
        let found: Option<String> = sqlx::query_scalar(
            "SELECT name FROM (SELECT name, name_key, phone, email, search_terms, updated_at FROM customers
              WHERE tenant_id = $1 AND id = $2) AS found",
        )
        .bind(tenant)
        .bind(key)
        .fetch_optional(&mut connection)
        .await
        .map_err(e)?;
        if found.is_none() {
            return Err("a sampled customer was not found".into());
        }
        reads += 1;
    }
    let reads_per_second = reads as f64 / started.elapsed().as_secs_f64();

    let made = customers(name_of, round);
    let now: i64 = 1_796_000_000_000_000;
    let started = Instant::now();
    for c in &made {
        let mut transaction = connection.begin().await.map_err(e)?;
        sqlx::query(
            "INSERT INTO customers (tenant_id, id, name, name_key, phone, email, source, search_terms, created_at, updated_at)
             VALUES ($1, $2, $3, $4, $5, $6, 'staff', $7, $8, $8)",
        )
        .bind(tenant)
        .bind(c.id.0)
        .bind(&c.name)
        .bind(&c.name_key)
        .bind(&c.phone)
        .bind(&c.email)
        .bind(records::term_list(&c.terms))
        .bind(now)
        .execute(&mut *transaction)
        .await
        .map_err(e)?;
        sqlx::query(
            "INSERT INTO customer_search_terms (tenant_id, customer_id, term, name_key)
             SELECT $1, $2, term, $4 FROM UNNEST($3::text[]) AS term",
        )
        .bind(tenant)
        .bind(c.id.0)
        .bind(&c.terms)
        .bind(&c.name_key)
        .execute(&mut *transaction)
        .await
        .map_err(e)?;
        transaction.commit().await.map_err(e)?;
    }
    let inserts_per_second = made.len() as f64 / started.elapsed().as_secs_f64();

    let made_ids: Vec<uuid::Uuid> = made.iter().map(|c| c.id.0).collect();
    for statement in [
        "DELETE FROM customer_search_terms WHERE tenant_id = $1 AND customer_id = ANY($2)",
        "DELETE FROM customers WHERE tenant_id = $1 AND id = ANY($2)",
    ] {
        sqlx::query(statement).bind(tenant).bind(&made_ids).execute(&mut connection).await.map_err(e)?;
    }
    let _ = connection.close().await;
    Ok(EngineFloor { reads_per_second, inserts_per_second })
}

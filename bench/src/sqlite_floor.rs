//! What SQLite alone takes to write the rows an import of the same customers writes: the
//! yardstick for the import's rows per second on this machine, measured in the same run.
//!
//! The rows are made in memory first (the generated customers' values, search terms from
//! Steward's own term function, a tag and a note each), then written into Steward's schema
//! in the database the import used, beside the tenants already there, for a tenant id of
//! its own: one prepared statement per table, one row per execution, the terms of each
//! thousand customers sorted by key, as the import writes them. Nothing else is counted:
//! no file reading, no checks, no duplicate lookups, no foreign-key checks (switched off)
//! and no commit (the transaction is rolled back), so the time is a floor for the
//! import, not an estimate of it.

use crate::customers::generated_customer;
use rusqlite::{Connection, params};
use std::time::Instant;
use steward_domain::customers::search;
use steward_domain::ids::{CustomerId, NoteId, TenantId};
use steward_store::customers::records;

/// One customer's rows, as an import writes them.
struct CustomerRows {
    id: CustomerId,
    name: String,
    name_key: String,
    phone: String,
    email: String,
    terms: Vec<String>,
    tag: &'static str,
    note: String,
}

/// The customers of the import's file (`customers::generated_customer`), as the import
/// turns them into rows.
fn generate(rows: usize, phone_base: u64) -> Vec<CustomerRows> {
    (0..rows)
        .map(|i| {
            let c = generated_customer(i, phone_base);
            let phone = format!("+91{}", c.phone);
            let terms = search::terms(&c.name, Some(&c.email), Some(&phone), "91", &[c.tag.to_string()]);
            CustomerRows {
                id: CustomerId::generate(),
                name_key: search::name_key(&c.name),
                name: c.name,
                phone,
                email: c.email,
                terms,
                tag: c.tag,
                note: c.note,
            }
        })
        .collect()
}

/// Writes the rows once (the search terms only `with_terms`) and rolls them back; the
/// seconds the writes took.
fn write_once(connection: &mut Connection, customers: &[CustomerRows], with_terms: bool) -> Result<f64, String> {
    let tenant = TenantId::generate().0.as_bytes().to_vec();
    let now: i64 = 1_796_000_000_000_000;
    let started = Instant::now();
    let transaction = connection.transaction().map_err(|e| e.to_string())?;
    {
        let mut customer = transaction
            .prepare(
                "INSERT INTO customers (tenant_id, id, name, name_key, phone, email, address, date_of_birth, source,
                 preferred_channel, search_terms, created_by, created_at, updated_at)
                 VALUES (?1, ?2, ?3, ?4, ?5, ?6, NULL, NULL, 'import', NULL, ?7, NULL, ?8, ?8)",
            )
            .map_err(|e| e.to_string())?;
        let mut term = transaction
            .prepare(
                "INSERT INTO customer_search_terms (tenant_id, customer_id, term, name_key) VALUES (?1, ?2, ?3, ?4)",
            )
            .map_err(|e| e.to_string())?;
        let mut tag = transaction
            .prepare("INSERT INTO customer_tags (tenant_id, customer_id, tag) VALUES (?1, ?2, ?3)")
            .map_err(|e| e.to_string())?;
        let mut note = transaction
            .prepare(
                "INSERT INTO customer_notes (tenant_id, id, customer_id, author_id, private, body, body_sealed, created_at)
                 VALUES (?1, ?2, ?3, NULL, 0, ?4, NULL, ?5)",
            )
            .map_err(|e| e.to_string())?;
        for batch in customers.chunks(1000) {
            for c in batch {
                let list = records::term_list(&c.terms);
                customer
                    .execute(params![tenant, &c.id.0.as_bytes()[..], c.name, c.name_key, c.phone, c.email, list, now])
                    .map_err(|e| e.to_string())?;
            }
            let mut terms: Vec<(&str, &str, &[u8])> = if !with_terms {
                Vec::new()
            } else {
                batch
                    .iter()
                    .flat_map(|c| c.terms.iter().map(|t| (t.as_str(), c.name_key.as_str(), &c.id.0.as_bytes()[..])))
                    .collect()
            };
            terms.sort_unstable();
            for (text, name_key, id) in terms {
                term.execute(params![tenant, id, text, name_key]).map_err(|e| e.to_string())?;
            }
            for c in batch {
                tag.execute(params![tenant, &c.id.0.as_bytes()[..], c.tag]).map_err(|e| e.to_string())?;
            }
            for c in batch {
                let id = NoteId::generate();
                note.execute(params![tenant, &id.0.as_bytes()[..], &c.id.0.as_bytes()[..], c.note, now])
                    .map_err(|e| e.to_string())?;
            }
        }
    }
    let seconds = started.elapsed().as_secs_f64();
    transaction.rollback().map_err(|e| e.to_string())?;
    Ok(seconds)
}

/// Rows per second SQLite alone wrote in each run: with every row an import writes, and
/// without the search terms (what an import that left the search index for later could
/// reach at best).
pub(crate) struct Floor {
    pub(crate) all_rows: Vec<f64>,
    pub(crate) without_terms: Vec<f64>,
}

/// Writes `rows` generated customers `runs` times each way into the database at `path`
/// (Steward's schema, the writer's settings).
pub(crate) fn measure(path: &std::path::Path, rows: usize, runs: usize, phone_base: u64) -> Result<Floor, String> {
    let customers = generate(rows, phone_base);
    let mut connection = Connection::open(path).map_err(|e| e.to_string())?;
    connection
        .execute_batch(
            "PRAGMA journal_mode = WAL; PRAGMA synchronous = NORMAL; PRAGMA foreign_keys = OFF;
             PRAGMA secure_delete = ON; PRAGMA cache_size = -65536;",
        )
        .map_err(|e| e.to_string())?;
    let mut floor = Floor { all_rows: Vec::new(), without_terms: Vec::new() };
    for _ in 0..runs {
        floor.all_rows.push(rows as f64 / write_once(&mut connection, &customers, true)?);
        floor.without_terms.push(rows as f64 / write_once(&mut connection, &customers, false)?);
    }
    Ok(floor)
}

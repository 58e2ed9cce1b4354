//! Notes on a customer's timeline. A private note's body is stored only sealed.

use crate::{Micros, Row, StoreError, TenantTx, args};
use steward_domain::ids::{CustomerId, MemberId, NoteId};

#[derive(Debug, Clone)]
pub struct NoteRow {
    pub id: NoteId,
    pub customer_id: CustomerId,
    pub author_id: Option<MemberId>,
    pub author_name: Option<String>,
    pub private: bool,
    pub body: Option<String>,
    pub body_sealed: Option<Vec<u8>>,
    pub created_at: Micros,
}

fn from_row(row: &Row) -> Result<NoteRow, StoreError> {
    Ok(NoteRow {
        id: NoteId(row.get("id")?),
        customer_id: CustomerId(row.get("customer_id")?),
        author_id: row.get::<Option<uuid::Uuid>>("author_id")?.map(MemberId),
        author_name: row.get("author_name")?,
        private: row.get("private")?,
        body: row.get("body")?,
        body_sealed: row.get("body_sealed")?,
        created_at: row.get("created_at")?,
    })
}

/// Inserts one note.
pub async fn insert(tx: &mut TenantTx, note: &NoteRow) -> Result<(), StoreError> {
    insert_many(tx, std::slice::from_ref(note)).await
}

/// Inserts notes (an import's notes column) as [`TenantTx::insert_rows`] does.
pub async fn insert_many(tx: &mut TenantTx, notes: &[NoteRow]) -> Result<(), StoreError> {
    let rows = notes
        .iter()
        .map(|note| {
            args![
                note.id,
                note.customer_id,
                note.author_id,
                note.private,
                note.body.clone(),
                note.body_sealed.clone(),
                note.created_at
            ]
        })
        .collect();
    tx.insert_rows(
        "customer_notes (tenant_id, id, customer_id, author_id, private, body, body_sealed, created_at)",
        rows,
    )
    .await?;
    Ok(())
}

/// A customer's notes, newest first, with their authors' names.
pub async fn list(tx: &mut TenantTx, customer: CustomerId) -> Result<Vec<NoteRow>, StoreError> {
    let rows = tx
        .fetch_all(
            "SELECT n.id, n.customer_id, n.author_id, m.name AS author_name, n.private, n.body, n.body_sealed, n.created_at
             FROM customer_notes n LEFT JOIN members m ON m.tenant_id = n.tenant_id AND m.id = n.author_id
             WHERE n.tenant_id = $1 AND n.customer_id = $2 ORDER BY n.created_at DESC, n.id DESC",
            args![customer],
        )
        .await?;
    rows.iter().map(from_row).collect()
}

/// Replaces a private note's sealed body (a merge re-seals it under the kept customer's key).
pub async fn set_sealed_body(tx: &mut TenantTx, id: NoteId, sealed: Vec<u8>) -> Result<(), StoreError> {
    tx.execute("UPDATE customer_notes SET body_sealed = $3 WHERE tenant_id = $1 AND id = $2", args![id, sealed])
        .await?;
    Ok(())
}

pub async fn delete(tx: &mut TenantTx, customer: CustomerId, id: NoteId) -> Result<bool, StoreError> {
    let n = tx
        .execute(
            "DELETE FROM customer_notes WHERE tenant_id = $1 AND customer_id = $2 AND id = $3",
            args![customer, id],
        )
        .await?;
    Ok(n > 0)
}

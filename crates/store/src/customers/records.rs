//! The customer row, its tags and search terms; listing with search, filters and keyset
//! pagination; duplicate candidates.
//!
//! A customer's search terms live twice: as rows of `customer_search_terms`, keyed by term
//! and name, which every search walks; and as a list on the customer's own row
//! (`search_terms`), from which its term rows are found again to be deleted (by their
//! primary key) and against which a second typed word is checked. No index by customer
//! is kept on the term rows (migration 13).

use crate::{Micros, Row, StoreError, TenantTx, Value, args};
use steward_domain::ids::{CustomerId, FieldId, MemberId};

/// One customer as stored.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CustomerRow {
    pub id: CustomerId,
    pub name: String,
    pub name_key: String,
    pub phone: Option<String>,
    pub email: Option<String>,
    pub address: Option<String>,
    pub date_of_birth: Option<String>,
    pub source: String,
    pub preferred_channel: Option<String>,
    pub last_visit_at: Option<Micros>,
    pub created_at: Micros,
    pub updated_at: Micros,
}

/// `SELECT` of every customer column from `customers c`, followed by `$tail`.
macro_rules! select_customers {
    ($tail:literal) => {
        concat!(
            "SELECT c.id, c.name, c.name_key, c.phone, c.email, c.address, c.date_of_birth, c.source,
                    c.preferred_channel, c.last_visit_at, c.created_at, c.updated_at FROM customers c ",
            $tail
        )
    };
}

fn from_row(row: &Row) -> Result<CustomerRow, StoreError> {
    Ok(CustomerRow {
        id: CustomerId(row.get("id")?),
        name: row.get("name")?,
        name_key: row.get("name_key")?,
        phone: row.get("phone")?,
        email: row.get("email")?,
        address: row.get("address")?,
        date_of_birth: row.get("date_of_birth")?,
        source: row.get("source")?,
        preferred_channel: row.get("preferred_channel")?,
        last_visit_at: row.get("last_visit_at")?,
        created_at: row.get("created_at")?,
        updated_at: row.get("updated_at")?,
    })
}

/// The values of a customer's own columns, for an insert or an update.
#[derive(Debug, Clone)]
pub struct CustomerValues {
    pub name: String,
    pub name_key: String,
    pub phone: Option<String>,
    pub email: Option<String>,
    pub address: Option<String>,
    pub date_of_birth: Option<String>,
    pub source: String,
    pub preferred_channel: Option<String>,
}

/// A customer to insert, with what makes it findable.
#[derive(Debug, Clone)]
pub struct NewCustomer {
    pub id: CustomerId,
    pub values: CustomerValues,
    pub terms: Vec<String>,
    pub tags: Vec<String>,
    pub created_by: Option<MemberId>,
}

/// Values per `IN` list: large enough to amortise a round trip, small enough to stay far
/// below either backend's limit on bound parameters.
const BATCH: usize = 40;

/// A customer's own values as bound in an insert or an update, in column order.
fn value_args(v: &CustomerValues) -> Vec<Value> {
    args![
        v.name.clone(),
        v.name_key.clone(),
        v.phone.clone(),
        v.email.clone(),
        v.address.clone(),
        v.date_of_birth.clone(),
        v.source.clone(),
        v.preferred_channel.clone()
    ]
}

/// Inserts customers with their tags and search terms (see [`TenantTx::insert_rows`] for
/// how each backend is given the rows).
pub async fn insert_many(tx: &mut TenantTx, customers: &[NewCustomer], now: Micros) -> Result<(), StoreError> {
    let rows = customers
        .iter()
        .map(|c| [args![c.id], value_args(&c.values), args![term_list(&c.terms), c.created_by, now, now]].concat())
        .collect();
    tx.insert_rows(
        "customers (tenant_id, id, name, name_key, phone, email, address, date_of_birth, source, preferred_channel,
                    search_terms, created_by, created_at, updated_at)",
        rows,
    )
    .await?;
    // All the terms of the whole slice in key order: each insert then touches the
    // neighbouring index pages of the one before.
    let mut terms: Vec<(CustomerId, &str, &str)> =
        customers.iter().flat_map(|c| c.terms.iter().map(|t| (c.id, t.as_str(), c.values.name_key.as_str()))).collect();
    terms.sort_by(|a, b| (a.1, a.2).cmp(&(b.1, b.2)));
    insert_terms(tx, &terms).await?;
    let tags: Vec<(CustomerId, &str)> =
        customers.iter().flat_map(|c| c.tags.iter().map(|t| (c.id, t.as_str()))).collect();
    insert_tags(tx, &tags).await?;
    Ok(())
}

/// The terms as listed on the customer's row: each after a newline, so that "one of the
/// terms starts with P" is "the list contains a newline followed by P". Terms hold no
/// newline (they are folded words, digits, a checked email address or a tag).
pub fn term_list(terms: &[String]) -> String {
    terms.iter().map(|term| format!("\n{term}")).collect()
}

/// The customer's sort key and listed terms, or `None` if there is no such customer. With
/// `Lock::ForChange`, on PostgreSQL the row is locked first, so that a concurrent update
/// cannot replace the list between this read and the caller's deletes (its term rows
/// would be left behind).
async fn listed_terms(
    tx: &mut TenantTx,
    id: CustomerId,
    lock: Lock,
) -> Result<Option<(String, Vec<String>)>, StoreError> {
    let row = if lock == Lock::ForChange && tx.kind() == crate::StoreKind::Postgres {
        tx.fetch_optional(
            "SELECT name_key, search_terms FROM customers WHERE tenant_id = $1 AND id = $2 FOR UPDATE",
            args![id],
        )
        .await?
    } else {
        tx.fetch_optional("SELECT name_key, search_terms FROM customers WHERE tenant_id = $1 AND id = $2", args![id])
            .await?
    };
    let Some(row) = row else { return Ok(None) };
    let list: String = row.get("search_terms")?;
    let terms = list.split('\n').filter(|t| !t.is_empty()).map(str::to_string).collect();
    Ok(Some((row.get("name_key")?, terms)))
}

/// Whether a customer's term list is read to change its term rows (and so, on
/// PostgreSQL, with the customer's row locked).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Lock {
    ForChange,
    ReadOnly,
}

/// The term rows of one customer, found by their primary key from the list on its row:
/// `WHERE tenant_id = $1 AND name_key = $2 AND customer_id = $3 AND term IN (...)`, for a
/// non-empty chunk of the list.
fn term_rows_where(name_key: &str, id: CustomerId, terms: &[String]) -> (String, Vec<Value>) {
    let mut args: Vec<Value> = args![name_key, id];
    let list: Vec<String> = terms
        .iter()
        .map(|term| {
            args.push(term.clone().into());
            format!("${}", args.len() + 1)
        })
        .collect();
    (format!("WHERE tenant_id = $1 AND name_key = $2 AND customer_id = $3 AND term IN ({})", list.join(", ")), args)
}

/// Deletes a customer's term rows (those its row lists); returns how many went.
pub async fn delete_terms(tx: &mut TenantTx, id: CustomerId) -> Result<u64, StoreError> {
    let Some((name_key, terms)) = listed_terms(tx, id, Lock::ForChange).await? else { return Ok(0) };
    delete_listed(tx, id, &name_key, &terms).await
}

async fn delete_listed(tx: &mut TenantTx, id: CustomerId, name_key: &str, terms: &[String]) -> Result<u64, StoreError> {
    let mut deleted = 0;
    for chunk in terms.chunks(BATCH) {
        let (filter, args) = term_rows_where(name_key, id, chunk);
        deleted += tx.execute_assembled(format!("DELETE FROM customer_search_terms {filter}"), args).await?;
    }
    Ok(deleted)
}

/// A customer's term rows, as stored (for the person's access export).
pub async fn term_rows(tx: &mut TenantTx, id: CustomerId) -> Result<Vec<Row>, StoreError> {
    let Some((name_key, terms)) = listed_terms(tx, id, Lock::ReadOnly).await? else { return Ok(Vec::new()) };
    let mut rows = Vec::with_capacity(terms.len());
    for chunk in terms.chunks(BATCH) {
        let (filter, args) = term_rows_where(&name_key, id, chunk);
        rows.extend(tx.fetch_all_assembled(format!("SELECT * FROM customer_search_terms {filter}"), args).await?);
    }
    Ok(rows)
}

/// Inserts search terms as (customer, term, the customer's sort key).
async fn insert_terms(tx: &mut TenantTx, terms: &[(CustomerId, &str, &str)]) -> Result<(), StoreError> {
    let rows = terms.iter().map(|(id, term, name_key)| args![*id, *term, *name_key]).collect();
    tx.insert_rows("customer_search_terms (tenant_id, customer_id, term, name_key)", rows).await?;
    Ok(())
}

async fn insert_tags(tx: &mut TenantTx, pairs: &[(CustomerId, &str)]) -> Result<(), StoreError> {
    let rows = pairs.iter().map(|(id, tag)| args![*id, *tag]).collect();
    tx.insert_rows("customer_tags (tenant_id, customer_id, tag)", rows).await?;
    Ok(())
}

/// Replaces a customer's own values, tags and search terms. Returns false if there is no
/// such customer.
pub async fn update(
    tx: &mut TenantTx,
    id: CustomerId,
    values: &CustomerValues,
    terms: &[String],
    tags: &[String],
    now: Micros,
) -> Result<bool, StoreError> {
    let Some((old_key, old_terms)) = listed_terms(tx, id, Lock::ForChange).await? else { return Ok(false) };
    tx.execute(
        "UPDATE customers SET name = $3, name_key = $4, phone = $5, email = $6, address = $7, date_of_birth = $8,
                source = $9, preferred_channel = $10, search_terms = $11, updated_at = $12
         WHERE tenant_id = $1 AND id = $2",
        [args![id], value_args(values), args![term_list(terms), now]].concat(),
    )
    .await?;
    // A change that leaves the searchable values alone (an address, a date of birth)
    // leaves the term rows alone too.
    if old_key != values.name_key || old_terms != terms {
        delete_listed(tx, id, &old_key, &old_terms).await?;
        let terms: Vec<(CustomerId, &str, &str)> =
            terms.iter().map(|t| (id, t.as_str(), values.name_key.as_str())).collect();
        insert_terms(tx, &terms).await?;
    }
    tx.execute("DELETE FROM customer_tags WHERE tenant_id = $1 AND customer_id = $2", args![id]).await?;
    let tags: Vec<(CustomerId, &str)> = tags.iter().map(|t| (id, t.as_str())).collect();
    insert_tags(tx, &tags).await?;
    Ok(true)
}

pub async fn find(tx: &mut TenantTx, id: CustomerId) -> Result<Option<CustomerRow>, StoreError> {
    const SQL: &str = select_customers!("WHERE c.tenant_id = $1 AND c.id = $2");
    let row = tx.fetch_optional(SQL, args![id]).await?;
    row.as_ref().map(from_row).transpose()
}

/// Several customers at once (the message worker's batch); missing ones are left out.
pub async fn find_many(tx: &mut TenantTx, ids: &[CustomerId]) -> Result<Vec<CustomerRow>, StoreError> {
    let mut found = Vec::with_capacity(ids.len());
    for chunk in ids.chunks(BATCH * 5) {
        let list = (2..chunk.len() + 2).map(|i| format!("${i}")).collect::<Vec<_>>().join(", ");
        let sql = format!(select_customers!("WHERE c.tenant_id = $1 AND c.id IN ({})"), list);
        let rows = tx.fetch_all_assembled(sql, chunk.iter().map(|id| Value::from(*id)).collect()).await?;
        for row in &rows {
            found.push(from_row(row)?);
        }
    }
    Ok(found)
}

pub async fn tags_of(tx: &mut TenantTx, id: CustomerId) -> Result<Vec<String>, StoreError> {
    let rows = tx
        .fetch_all("SELECT tag FROM customer_tags WHERE tenant_id = $1 AND customer_id = $2 ORDER BY tag", args![id])
        .await?;
    rows.iter().map(|r| r.get("tag")).collect()
}

/// Deletes the customer and its search terms; notes, consents, tags, field values and
/// appointments go with it (the foreign keys cascade).
pub async fn delete(tx: &mut TenantTx, id: CustomerId) -> Result<bool, StoreError> {
    delete_terms(tx, id).await?;
    Ok(tx.execute("DELETE FROM customers WHERE tenant_id = $1 AND id = $2", args![id]).await? > 0)
}

/// Whether the business has any customer yet, without counting them all.
pub async fn any(tx: &mut TenantTx) -> Result<bool, StoreError> {
    Ok(tx.fetch_optional("SELECT 1 AS found FROM customers WHERE tenant_id = $1 LIMIT 1", args![]).await?.is_some())
}

pub async fn count(tx: &mut TenantTx) -> Result<i64, StoreError> {
    tx.fetch_one("SELECT COUNT(*) AS n FROM customers WHERE tenant_id = $1", args![]).await?.get("n")
}

/// How a list is ordered.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SortOrder {
    /// By name, A to Z.
    Name,
    /// Most recent visit first; never-visited last.
    LastVisit,
    /// Newest first.
    Created,
}

/// Where the previous page ended.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum After {
    Name(String, CustomerId),
    Instant(Micros, CustomerId),
    /// Ids are UUIDv7, so newest first is highest id first: no index of its own needed.
    Id(CustomerId),
}

/// One term range of a search; all groups must match, any range within a group.
pub type TermGroup = Vec<(String, String)>;

/// What to list.
#[derive(Debug, Clone)]
pub struct ListQuery {
    pub groups: Vec<TermGroup>,
    pub tag: Option<String>,
    /// A non-sensitive field and the value it must have (`Exact`) or contain (for a
    /// multi-select, `Contains`).
    pub field: Option<(FieldId, FieldMatch)>,
    pub sort: SortOrder,
    pub after: Option<After>,
    pub limit: i64,
}

#[derive(Debug, Clone)]
pub enum FieldMatch {
    Exact(String),
    Contains(String),
}

/// A page of customers, and the last one's sort key if more may follow.
pub async fn list(tx: &mut TenantTx, query: &ListQuery) -> Result<(Vec<CustomerRow>, Option<After>), StoreError> {
    // A search in name order reads its page from the terms alone (see
    // `list_by_name_from_terms`). Other orders, and searches with a tag or field filter,
    // are driven from their matching terms (a join; each range is an index range).
    // Both planners would rather walk the sort order and probe each customer's terms, as
    // LIMIT invites; the matches are a MATERIALIZED CTE and the join a CROSS JOIN so that
    // neither can (docs/benchmarks.md, "Customers": a five-fold difference on PostgreSQL).
    // unless every group matches many customers: then walking the sort order and testing
    // membership fills a page sooner than sorting thousands of matches.
    // Only one- and two-character prefixes can be dense enough; longer ones always join.
    let short = |group: &TermGroup| group.iter().all(|(start, _)| start.chars().count() <= 4);
    if !query.groups.is_empty() {
        tx.plan_for_values().await?;
    }
    if !query.groups.is_empty() && query.sort == SortOrder::Name && query.tag.is_none() && query.field.is_none() {
        return list_by_name_from_terms(tx, query).await;
    }
    let mut dense = !query.groups.is_empty() && query.groups.iter().all(short);
    for group in &query.groups {
        if dense && count_matches(tx, group, DENSE_MATCHES).await? < DENSE_MATCHES {
            dense = false;
        }
    }
    let mut args: Vec<Value> = Vec::new();
    let next = |args: &mut Vec<Value>, value: Value| {
        args.push(value);
        format!("${}", args.len() + 1)
    };
    let mut selects: Vec<String> = Vec::new();
    for group in &query.groups {
        let ranges: Vec<String> = group
            .iter()
            .map(|(start, end)| {
                let s = next(&mut args, start.clone().into());
                let e = next(&mut args, end.clone().into());
                format!(
                    "SELECT t.customer_id FROM customer_search_terms t WHERE t.tenant_id = $1 AND t.term >= {s} AND t.term < {e}"
                )
            })
            .collect();
        selects.push(ranges.join(" UNION "));
    }
    let mut sql = if selects.is_empty() {
        select_customers!("WHERE c.tenant_id = $1").to_string()
    } else if dense {
        let mut sql = select_customers!("WHERE c.tenant_id = $1").to_string();
        for select in &selects {
            sql.push_str(&format!(" AND c.id IN ({select})"));
        }
        sql
    } else {
        let matches = selects
            .iter()
            .map(|s| format!("SELECT customer_id FROM ({s}) AS g"))
            .collect::<Vec<_>>()
            .join(" INTERSECT ");
        format!(
            "WITH m AS MATERIALIZED ({matches})
             SELECT c.id, c.name, c.name_key, c.phone, c.email, c.address, c.date_of_birth, c.source,
                    c.preferred_channel, c.last_visit_at, c.created_at, c.updated_at
             FROM m CROSS JOIN customers c WHERE c.tenant_id = $1 AND c.id = m.customer_id"
        )
    };
    if let Some(tag) = &query.tag {
        let p = next(&mut args, tag.clone().into());
        sql.push_str(&format!(
            " AND EXISTS (SELECT 1 FROM customer_tags g WHERE g.tenant_id = $1 AND g.customer_id = c.id AND g.tag = {p})"
        ));
    }
    if let Some((field, wanted)) = &query.field {
        let f = next(&mut args, (*field).into());
        let condition = match wanted {
            FieldMatch::Exact(value) => format!("v.value = {}", next(&mut args, value.clone().into())),
            FieldMatch::Contains(value) => {
                let quoted = serde_json_string(value);
                let pattern = format!("%{}%", escape_like(&quoted));
                format!("v.value LIKE {} ESCAPE '\\'", next(&mut args, pattern.into()))
            }
        };
        sql.push_str(&format!(
            " AND EXISTS (SELECT 1 FROM customer_field_values v WHERE v.tenant_id = $1 AND v.customer_id = c.id
               AND v.field_id = {f} AND {condition})"
        ));
    }
    let (key, direction) = match query.sort {
        SortOrder::Name => ("c.name_key", "ASC"),
        SortOrder::LastVisit => ("COALESCE(c.last_visit_at, 0)", "DESC"),
        SortOrder::Created => ("c.id", "DESC"),
    };
    let compare = if direction == "ASC" { ">" } else { "<" };
    match &query.after {
        Some(After::Name(name, id)) if query.sort == SortOrder::Name => {
            let k = next(&mut args, name.clone().into());
            let i = next(&mut args, (*id).into());
            sql.push_str(&format!(" AND ({key}, c.id) {compare} ({k}, {i})"));
        }
        Some(After::Id(id)) if query.sort == SortOrder::Created => {
            let i = next(&mut args, (*id).into());
            sql.push_str(&format!(" AND c.id < {i}"));
        }
        Some(After::Instant(at, id)) if query.sort == SortOrder::LastVisit => {
            let k = next(&mut args, (*at).into());
            let i = next(&mut args, (*id).into());
            sql.push_str(&format!(" AND ({key}, c.id) {compare} ({k}, {i})"));
        }
        _ => {}
    }
    let limit = query.limit.clamp(1, 500);
    let l = next(&mut args, (limit + 1).into());
    let order = if query.sort == SortOrder::Created {
        format!(" ORDER BY c.id DESC LIMIT {l}")
    } else {
        format!(" ORDER BY {key} {direction}, c.id {direction} LIMIT {l}")
    };
    sql.push_str(&order);
    let rows = tx.fetch_all_assembled(sql, args).await?;
    let mut customers = rows.iter().map(from_row).collect::<Result<Vec<_>, _>>()?;
    let more = customers.len() as i64 > limit;
    customers.truncate(limit as usize);
    let after = match (more, customers.last()) {
        (true, Some(last)) => Some(match query.sort {
            SortOrder::Name => After::Name(last.name_key.clone(), last.id),
            SortOrder::LastVisit => After::Instant(last.last_visit_at.unwrap_or(0), last.id),
            SortOrder::Created => After::Id(last.id),
        }),
        _ => None,
    };
    Ok((customers, after))
}

/// A search in name order (what typing into the search box asks): each term carries its
/// customer's sort key, so the page is read from the term index, sorted there, and only
/// its own customers are visited, however many match and however late in the alphabet
/// they sort. With several words, the one with the longest prefix (the fewest matches,
/// as a rule) drives, and each of the others must match among the customer's own terms.
async fn list_by_name_from_terms(
    tx: &mut TenantTx,
    query: &ListQuery,
) -> Result<(Vec<CustomerRow>, Option<After>), StoreError> {
    let shortest = |group: &TermGroup| group.iter().map(|(start, _)| start.chars().count()).min().unwrap_or(0);
    let Some((driver, driving)) = query.groups.iter().enumerate().max_by_key(|(_, group)| shortest(group)) else {
        return Ok((Vec::new(), None));
    };
    // A range that holds one distinct term (most typed prefixes: "sha" is only "sharma")
    // lists straight from the term index, already in name order: the page stops after
    // `limit` rows instead of sorting every match ("d'so" walked 5,000 D'Souzas).
    let single_term = match driving.as_slice() {
        [(start, end)] => only_term_in(tx, start, end).await?,
        _ => None,
    };
    let mut args: Vec<Value> = Vec::new();
    let mut next = |value: Value| {
        args.push(value);
        format!("${}", args.len() + 1)
    };
    let mut also = Vec::new();
    for (index, group) in query.groups.iter().enumerate() {
        if index == driver {
            continue;
        }
        // Every range is a prefix range (`SearchQuery`: from P to P followed by the last
        // character), so it matches a customer whose listed terms hold a newline and P.
        let patterns: Vec<String> = group
            .iter()
            .map(|(start, _)| {
                let p = next(format!("%\n{}%", escape_like(start)).into());
                format!("o.search_terms LIKE {p} ESCAPE '\\'")
            })
            .collect();
        // A scalar subquery, not EXISTS: PostgreSQL would turn EXISTS into a semi-join
        // that reads every customer the other words match whenever its statistics are thin
        // (docs/benchmarks.md, "Customers", session 7); this is one probe of the customer's
        // row per row walked.
        also.push(format!(
            "(SELECT 1 FROM customers o WHERE o.tenant_id = $1 AND o.id = u.customer_id AND ({})) IS NOT NULL",
            patterns.join(" OR ")
        ));
    }
    if let Some(term) = single_term {
        let term = next(term.into());
        if let Some(After::Name(name, id)) = &query.after {
            let (k, i) = (next(name.clone().into()), next((*id).into()));
            also.push(format!("(u.name_key, u.customer_id) > ({k}, {i})"));
        }
        let limit = query.limit.clamp(1, 500);
        let l = next((limit + 1).into());
        let filters: String = also.iter().map(|f| format!(" AND {f}")).collect();
        // The page is chosen from the term index alone, walked in name order, before any
        // customer row is read: no planner can then sort every match first.
        let sql = format!(
            "WITH m AS MATERIALIZED (
                 SELECT u.name_key, u.customer_id FROM customer_search_terms u
                 WHERE u.tenant_id = $1 AND u.term = {term}{filters}
                 ORDER BY u.name_key, u.customer_id LIMIT {l})
             SELECT c.id, c.name, c.name_key, c.phone, c.email, c.address, c.date_of_birth, c.source,
                    c.preferred_channel, c.last_visit_at, c.created_at, c.updated_at
             FROM m CROSS JOIN customers c WHERE c.tenant_id = $1 AND c.id = m.customer_id
             ORDER BY m.name_key, m.customer_id"
        );
        return page_of(tx.fetch_all_assembled(sql, args).await?, limit);
    }
    let ranges: Vec<String> = driving
        .iter()
        .map(|(start, end)| {
            let (s, e) = (next(start.clone().into()), next(end.clone().into()));
            format!(
                "SELECT t.name_key, t.customer_id FROM customer_search_terms t
                 WHERE t.tenant_id = $1 AND t.term >= {s} AND t.term < {e}"
            )
        })
        .collect();
    if let Some(After::Name(name, id)) = &query.after {
        let (k, i) = (next(name.clone().into()), next((*id).into()));
        also.push(format!("(u.name_key, u.customer_id) > ({k}, {i})"));
    }
    let after = if also.is_empty() { String::new() } else { format!("WHERE {}", also.join(" AND ")) };
    let limit = query.limit.clamp(1, 500);
    let l = next((limit + 1).into());
    let sql = format!(
        "WITH m AS MATERIALIZED (
             SELECT DISTINCT u.name_key, u.customer_id FROM ({}) AS u {after}
             ORDER BY u.name_key, u.customer_id LIMIT {l})
         SELECT c.id, c.name, c.name_key, c.phone, c.email, c.address, c.date_of_birth, c.source,
                c.preferred_channel, c.last_visit_at, c.created_at, c.updated_at
         FROM m CROSS JOIN customers c WHERE c.tenant_id = $1 AND c.id = m.customer_id
         ORDER BY m.name_key, m.customer_id",
        ranges.join(" UNION ALL ")
    );
    page_of(tx.fetch_all_assembled(sql, args).await?, limit)
}

/// A page in name order from up to `limit + 1` rows, and where the next page starts.
fn page_of(rows: Vec<Row>, limit: i64) -> Result<(Vec<CustomerRow>, Option<After>), StoreError> {
    let mut customers = rows.iter().map(from_row).collect::<Result<Vec<_>, _>>()?;
    let more = customers.len() as i64 > limit;
    customers.truncate(limit as usize);
    let after = match (more, customers.last()) {
        (true, Some(last)) => Some(After::Name(last.name_key.clone(), last.id)),
        _ => None,
    };
    Ok((customers, after))
}

/// The one term in `[start, end)`, if the range holds exactly one distinct term: its first
/// and last terms, each one index seek.
async fn only_term_in(tx: &mut TenantTx, start: &str, end: &str) -> Result<Option<String>, StoreError> {
    const SQL: &str = "SELECT (SELECT term FROM customer_search_terms WHERE tenant_id = $1 AND term >= $2 AND term < $3
                               ORDER BY term LIMIT 1) AS first_term,
                              (SELECT term FROM customer_search_terms WHERE tenant_id = $1 AND term >= $2 AND term < $3
                               ORDER BY term DESC LIMIT 1) AS last_term";
    let row = tx.fetch_one(SQL, args![start, end]).await?;
    let first: Option<String> = row.get("first_term")?;
    let last: Option<String> = row.get("last_term")?;
    Ok(first.filter(|first| Some(first) == last.as_ref()))
}

/// Matches per group from which a search walks the sort order instead.
const DENSE_MATCHES: i64 = 1000;

/// How many customers a group of term ranges matches, counting no further than `cap`.
async fn count_matches(tx: &mut TenantTx, group: &TermGroup, cap: i64) -> Result<i64, StoreError> {
    let mut args: Vec<Value> = Vec::new();
    let mut ranges = Vec::new();
    for (start, end) in group {
        args.push(start.clone().into());
        args.push(end.clone().into());
        ranges.push(format!(
            "SELECT t.customer_id FROM customer_search_terms t WHERE t.tenant_id = $1 AND t.term >= ${} AND t.term < ${}",
            args.len(),
            args.len() + 1
        ));
    }
    args.push(cap.into());
    let sql = format!(
        "SELECT COUNT(*) AS n FROM (SELECT 1 FROM ({}) AS u LIMIT ${}) AS capped",
        ranges.join(" UNION "),
        args.len() + 1
    );
    let rows = tx.fetch_all_assembled(sql, args).await?;
    rows.first().map(|r| r.get("n")).transpose().map(|n| n.unwrap_or(0))
}

fn serde_json_string(value: &str) -> String {
    serde_json::to_string(value).unwrap_or_default()
}

fn escape_like(text: &str) -> String {
    text.replace('\\', "\\\\").replace('%', "\\%").replace('_', "\\_")
}

/// Other customers who share a phone number, an email address or the same name.
pub async fn duplicates_of(tx: &mut TenantTx, customer: &CustomerRow) -> Result<Vec<CustomerRow>, StoreError> {
    sharing(tx, customer.id, customer.phone.clone(), customer.email.clone(), Some(customer.name_key.clone())).await
}

/// Customers other than `exclude` with this phone, email or name key (`None` matches none).
async fn sharing(
    tx: &mut TenantTx,
    exclude: CustomerId,
    phone: Option<String>,
    email: Option<String>,
    name_key: Option<String>,
) -> Result<Vec<CustomerRow>, StoreError> {
    // Three index lookups, not one scan with ORs (which SQLite answers by walking the tenant),
    // each bounded: a common name is shared by hundreds in a large business, and the answer
    // is the oldest twenty. Ids are time-ordered (UUIDv7), so the first twenty others under
    // the name are its oldest twenty; the name index is in id order. A phone or an email is
    // shared by a few (a family, a front desk's own); ordering those by id would have the
    // planners walk the whole business in id order instead of the phone index, so they are
    // only capped. Each branch reads the whole row itself: joined back to `customers` by id,
    // PostgreSQL's cached generic plan, made while the business was small, scanned the whole
    // business for every create and read once it had grown (docs/benchmarks.md, "Growth").
    const SQL: &str = concat!(
        "SELECT * FROM (",
        select_customers!("WHERE c.tenant_id = $1 AND c.phone = $3 AND c.id <> $2 LIMIT 200"),
        ") AS by_phone UNION SELECT * FROM (",
        select_customers!("WHERE c.tenant_id = $1 AND c.email = $4 AND c.id <> $2 LIMIT 200"),
        ") AS by_email UNION SELECT * FROM (",
        select_customers!("WHERE c.tenant_id = $1 AND c.name_key = $5 AND c.id <> $2 ORDER BY c.id LIMIT 20"),
        ") AS by_name ORDER BY created_at, id LIMIT 20"
    );
    let rows = tx.fetch_all(SQL, args![exclude, phone, email, name_key]).await?;
    rows.iter().map(from_row).collect()
}

/// Customers someone being typed in may already be: the same phone, email or name (each
/// `None` matches nothing), found as [`duplicates_of`] finds them for a stored one.
pub async fn resembling(
    tx: &mut TenantTx,
    phone: Option<String>,
    email: Option<String>,
    name_key: Option<String>,
) -> Result<Vec<CustomerRow>, StoreError> {
    if name_key.is_none() && phone.is_none() && email.is_none() {
        return Ok(Vec::new());
    }
    // Nobody has the nil id: every customer of the business is a candidate.
    sharing(tx, CustomerId(uuid::Uuid::nil()), phone, email, name_key).await
}

/// Groups of customers that share a phone, an email or a name: what the duplicates page
/// offers to merge.
pub async fn duplicate_groups(tx: &mut TenantTx, limit: i64) -> Result<Vec<(String, Vec<CustomerId>)>, StoreError> {
    const SQL: &str = "SELECT 'phone' AS reason, c.phone AS value, c.id FROM customers c
                       JOIN (SELECT phone FROM customers WHERE tenant_id = $1 AND phone IS NOT NULL GROUP BY phone HAVING COUNT(*) > 1 LIMIT $2) d
                         ON d.phone = c.phone WHERE c.tenant_id = $1
                       UNION ALL
                       SELECT 'email', c.email, c.id FROM customers c
                       JOIN (SELECT email FROM customers WHERE tenant_id = $1 AND email IS NOT NULL GROUP BY email HAVING COUNT(*) > 1 LIMIT $2) d
                         ON d.email = c.email WHERE c.tenant_id = $1
                       UNION ALL
                       SELECT 'name', c.name_key, c.id FROM customers c
                       JOIN (SELECT name_key FROM customers WHERE tenant_id = $1 GROUP BY name_key HAVING COUNT(*) > 1 LIMIT $2) d
                         ON d.name_key = c.name_key WHERE c.tenant_id = $1
                       ORDER BY 1, 2, 3";
    let rows = tx.fetch_all(SQL, args![limit]).await?;
    let mut groups: Vec<(String, Vec<CustomerId>)> = Vec::new();
    let mut current_key: Option<(String, String)> = None;
    for row in &rows {
        let key = (row.get::<String>("reason")?, row.get::<String>("value")?);
        let id = CustomerId(row.get("id")?);
        if current_key.as_ref() == Some(&key) {
            if let Some(last) = groups.last_mut() {
                last.1.push(id);
            }
        } else {
            groups.push((key.0.clone(), vec![id]));
            current_key = Some(key);
        }
    }
    Ok(groups)
}

/// Existing customers with any of these phones or emails: how an import finds duplicates.
pub async fn find_by_phones_or_emails(
    tx: &mut TenantTx,
    phones: &[String],
    emails: &[String],
) -> Result<Vec<(CustomerId, Option<String>, Option<String>)>, StoreError> {
    // An import's own rows are most of the table its transaction sees: a plan cached while
    // the table was empty (a new deployment's first import) read every row for each
    // batch, quadratic in the file. Planned for the values, the lookups use the phone and
    // email indexes as soon as the table has grown.
    let planned_for_values = tx.plans_for_values();
    tx.plan_for_values().await?;
    let mut out = Vec::new();
    for (column, values) in [("phone", phones), ("email", emails)] {
        for chunk in values.chunks(BATCH * 2) {
            let placeholders: Vec<String> = (0..chunk.len()).map(|i| format!("${}", i + 2)).collect();
            let sql = format!(
                "SELECT id, phone, email FROM customers WHERE tenant_id = $1 AND {column} IN ({})",
                placeholders.join(", ")
            );
            let args: Vec<Value> = chunk.iter().map(|v| Value::from(v.as_str())).collect();
            for row in tx.fetch_all_assembled(sql, args).await? {
                out.push((CustomerId(row.get("id")?), row.get("phone")?, row.get("email")?));
            }
        }
    }
    if !planned_for_values {
        tx.plan_generically().await?;
    }
    Ok(out)
}

/// Points everything linked to `from` at `to` (notes, consents, field values the kept
/// record does not have, tags), for a merge. Field values both have stay `to`'s.
pub async fn move_links(tx: &mut TenantTx, from: CustomerId, to: CustomerId) -> Result<(), StoreError> {
    tx.execute("UPDATE customer_notes SET customer_id = $3 WHERE tenant_id = $1 AND customer_id = $2", args![from, to])
        .await?;
    tx.execute("UPDATE messages SET customer_id = $3 WHERE tenant_id = $1 AND customer_id = $2", args![from, to])
        .await?;
    tx.execute(
        "UPDATE customer_consents SET customer_id = $3 WHERE tenant_id = $1 AND customer_id = $2",
        args![from, to],
    )
    .await?;
    tx.execute("UPDATE appointments SET customer_id = $3 WHERE tenant_id = $1 AND customer_id = $2", args![from, to])
        .await?;
    tx.execute(
        "INSERT INTO customer_tags (tenant_id, customer_id, tag)
         SELECT tenant_id, $3, tag FROM customer_tags WHERE tenant_id = $1 AND customer_id = $2
         ON CONFLICT DO NOTHING",
        args![from, to],
    )
    .await?;
    Ok(())
}

/// The tags of many customers at once (for a page of an export).
pub async fn tags_of_many(tx: &mut TenantTx, ids: &[CustomerId]) -> Result<Vec<(CustomerId, String)>, StoreError> {
    let mut out = Vec::new();
    for chunk in ids.chunks(BATCH * 2) {
        let placeholders: Vec<String> = (0..chunk.len()).map(|i| format!("${}", i + 2)).collect();
        let sql = format!(
            "SELECT customer_id, tag FROM customer_tags WHERE tenant_id = $1 AND customer_id IN ({}) ORDER BY tag",
            placeholders.join(", ")
        );
        let args: Vec<Value> = chunk.iter().map(|id| Value::from(*id)).collect();
        for row in tx.fetch_all_assembled(sql, args).await? {
            out.push((CustomerId(row.get("customer_id")?), row.get("tag")?));
        }
    }
    Ok(out)
}

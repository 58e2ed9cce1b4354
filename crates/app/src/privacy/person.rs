//! One person's data, found through the erasure map (which a test holds to the data-class
//! registry): the access export, a ZIP with one JSON file per kind of record and a readable
//! summary, sensitive values opened for it only; and erasure, which deletes or anonymizes
//! every row the map names, destroys the person's key, and reports what it found, what it
//! did and what it kept. An erasure that meets a field the map does not cover changes
//! nothing and names the field (DSR-3).

use super::requests::{self, RequestView, open_request};
use super::zip;
use crate::access::principal::Principal;
use crate::retention::export::row_object;
use crate::{App, AppError, audit};
use serde::Serialize;
use serde_json::{Value as Json, json};
use steward_domain::ids::{CustomerId, TenantId};
use steward_domain::permissions::Permission;
use steward_domain::privacy::{self, RequestKind, RequestStatus, Treatment};
use steward_store::TenantTx;
use steward_store::customers::records as customer_rows;
use steward_store::keystore;
use steward_store::privacy::person::{self as rows, PERSON_TABLES};
use steward_store::privacy::requests as request_rows;
use steward_store::retention::holds;
use steward_store::tenancy::tenants;
use uuid::Uuid;

/// Every row of the person, table by table, as JSON objects (secrets left out).
pub(super) async fn collect(
    app: &App,
    tx: &mut TenantTx,
    tenant: TenantId,
    person: Uuid,
) -> Result<Vec<(&'static str, Vec<Json>)>, AppError> {
    let mut out = Vec::new();
    for table in PERSON_TABLES {
        let mut objects = Vec::new();
        for row in rows::rows(tx, table, person).await? {
            objects.push(Json::Object(row_object(app, tx, tenant, table.table, &row.values()).await?));
        }
        out.push((table.table, objects));
    }
    Ok(out)
}

fn escape(text: &str) -> String {
    text.replace('&', "&amp;").replace('<', "&lt;").replace('>', "&gt;").replace('"', "&quot;")
}

/// The archive: `<table>.json` for each kind of record, and `summary.html` to read.
fn archive(business: &str, tables: &[(&'static str, Vec<Json>)], made_at: &str) -> Vec<u8> {
    let mut html = format!(
        "<!doctype html><html lang=\"en\"><meta charset=\"utf-8\"><title>Your data at {b}</title>\
         <h1>Your data at {b}</h1><p>Everything {b} holds about you in Steward, as of {made_at}. \
         The same is in the JSON files beside this page, one per kind of record.</p>",
        b = escape(business)
    );
    let mut files = Vec::new();
    for (table, objects) in tables {
        files.push((format!("{table}.json"), serde_json::to_vec_pretty(objects).unwrap_or_default()));
        html.push_str(&format!("<h2>{} ({})</h2>", escape(table), objects.len()));
        for object in objects {
            html.push_str("<dl>");
            if let Json::Object(fields) = object {
                for (name, value) in fields {
                    let shown = match value {
                        Json::String(text) => text.clone(),
                        Json::Null => "-".into(),
                        other => other.to_string(),
                    };
                    html.push_str(&format!("<dt>{}</dt><dd>{}</dd>", escape(name), escape(&shown)));
                }
            }
            html.push_str("</dl>");
        }
    }
    html.push_str("</html>");
    files.push(("summary.html".into(), html.into_bytes()));
    zip::archive(&files)
}

async fn access_archive(app: &App, tenant: TenantId, request: Uuid) -> Result<Vec<u8>, AppError> {
    let mut tx = app.store.begin_tenant_read(tenant).await?;
    let row = request_rows::find(&mut tx, request).await?.ok_or(AppError::NotFound)?;
    if row.kind != RequestKind::Access || row.status == RequestStatus::Unverified {
        return Err(AppError::NotFound);
    }
    let person = row.customer_id.ok_or(AppError::NotFound)?;
    if customer_rows::find(&mut tx, CustomerId(person)).await?.is_none() {
        return Err(AppError::NotAllowed("this customer no longer exists; there is nothing to export".into()));
    }
    let business = tenants::current(&mut tx).await?.name;
    let tables = collect(app, &mut tx, tenant, person).await?;
    tx.commit().await?;
    Ok(archive(&business, &tables, &crate::clock::format_instant(app.now())))
}

/// The archive for the business's privacy manager (`GET …/requests/{id}/export`).
pub async fn archive_for(app: &App, who: &Principal, request: Uuid) -> Result<Vec<u8>, AppError> {
    who.require(Permission::PrivacyManage)?;
    let bytes = access_archive(app, who.tenant, request).await?;
    let (writer_app, who) = (app.clone(), who.clone());
    app.store
        .write(who.tenant, move |mut tx| async move {
            let details = json!({ "format": "zip" });
            audit::record(
                &writer_app,
                &mut tx,
                audit::by(&who, "privacy_request.exported", Some(("privacy_request", request.to_string())), details),
            )
            .await?;
            tx.commit().await?;
            Ok::<_, AppError>(())
        })
        .await?;
    Ok(bytes)
}

/// Links mailed to a person stay good this long.
const LINK_DAYS: i64 = 7;

fn link_signature(app: &App, tenant: TenantId, request: Uuid, expires: i64) -> String {
    use secrecy::ExposeSecret;
    let key = app.master_key.derive("privacy-export-link");
    let mac = steward_crypto::blind_index::blind_index(
        key.expose_secret(),
        "export_link",
        &format!("{tenant}|{request}|{expires}"),
    );
    steward_crypto::to_hex(&mac)
}

/// Answers an access request: the request is done, and the person is mailed a link to
/// their archive, good for seven days, at the email the business has for them.
pub async fn answer_access(app: &App, who: &Principal, request: Uuid) -> Result<RequestView, AppError> {
    who.require(Permission::PrivacyManage)?;
    let now = app.now();
    let (writer_app, writer) = (app.clone(), who.clone());
    let (email, tenant, link) = app
        .store
        .write(who.tenant, move |mut tx| async move {
            let (app, who) = (&writer_app, &writer);
            let row = open_request(&mut tx, request).await?;
            if row.kind != RequestKind::Access {
                return Err(AppError::NotAllowed(format!("this is a request for {}, not access", row.kind.name())));
            }
            let person = row.customer_id.ok_or(AppError::NotFound)?;
            let customer = customer_rows::find(&mut tx, CustomerId(person)).await?.ok_or_else(|| {
                AppError::NotAllowed("this customer no longer exists; close the request instead".into())
            })?;
            let mut found = Vec::new();
            for table in PERSON_TABLES {
                found.push(json!({ "table": table.table, "rows": rows::count(&mut tx, table, person).await? }));
            }
            let expires = now + LINK_DAYS * crate::clock::MICROS_PER_DAY;
            let tenant = tenants::current(&mut tx).await?;
            let link = app.link(&format!(
                "/p/{}/exports/{}.{}.{}",
                tenant.slug,
                request.simple(),
                expires,
                link_signature(app, who.tenant, request, expires)
            ));
            let report = json!({ "outcome": "done", "found": found,
                                 "link_expires_at": crate::clock::format_instant(expires),
                                 "mailed": customer.email.is_some() });
            request_rows::close(
                &mut tx,
                request,
                RequestStatus::Done,
                Some(who.member.as_uuid()),
                &report.to_string(),
                now,
            )
            .await?;
            audit::record(
                app,
                &mut tx,
                audit::by(
                    who,
                    "privacy_request.answered",
                    Some(("privacy_request", request.to_string())),
                    json!({ "kind": "access" }),
                ),
            )
            .await?;
            tx.commit().await?;
            Ok((customer.email, tenant, link))
        })
        .await?;
    if let Some(email) = email {
        crate::mail::send_carrying(
            app,
            who.tenant,
            crate::mail::OutgoingMail {
                kind: "privacy export ready",
                to: email,
                subject: format!("Your data at {}", tenant.name),
                text: format!(
                    "{} has prepared a copy of everything it holds about you. Download it within {LINK_DAYS} days:\n\n{link}\n",
                    tenant.name
                ),
                link,
            },
            &["customer.email", "business.name", "link"],
        );
    }
    requests::get(app, who, request).await
}

/// The person's download through their link, while it is good.
pub async fn archive_by_link(app: &App, slug: &str, token: &str) -> Result<Vec<u8>, AppError> {
    let tenant = crate::tenancy::find_by_slug(app, slug).await?.ok_or(AppError::LinkInvalid)?;
    let mut parts = token.splitn(3, '.');
    let (Some(id), Some(expires), Some(signature)) = (parts.next(), parts.next(), parts.next()) else {
        return Err(AppError::LinkInvalid);
    };
    let request = Uuid::parse_str(id).map_err(|_| AppError::LinkInvalid)?;
    let expires: i64 = expires.parse().map_err(|_| AppError::LinkInvalid)?;
    let expected = link_signature(app, tenant.id, request, expires);
    if !steward_crypto::token::constant_time_eq(expected.as_bytes(), signature.as_bytes()) || expires <= app.now() {
        return Err(AppError::LinkInvalid);
    }
    access_archive(app, tenant.id, request).await.map_err(|e| match e {
        AppError::NotFound | AppError::NotAllowed(_) => AppError::LinkInvalid,
        other => other,
    })
}

/// What an erasure found, did and kept.
#[derive(Debug, Clone, Serialize, PartialEq, Eq, schemars::JsonSchema)]
pub struct ErasureReport {
    pub preview: bool,
    /// Rows found, by table: `[table, rows]`.
    pub found: Vec<(String, u64)>,
    /// What was (or would be) done to each table's rows: `[table, treatment, rows]`.
    pub done: Vec<(String, Treatment, u64)>,
    /// Records kept, with the reason (records the law makes the business keep): `[record, reason]`.
    pub kept: Vec<(String, String)>,
    pub key_destroyed: bool,
}

fn treatment_for(table: &str, keep_appointments: bool) -> Treatment {
    match table {
        "appointments" if keep_appointments => Treatment::Anonymize,
        "privacy_requests" => Treatment::ClearText,
        _ => Treatment::Delete,
    }
}

/// Shows what an erasure would do, changing nothing.
pub async fn preview_erasure(
    app: &App,
    who: &Principal,
    request: Uuid,
    keep_appointments: bool,
) -> Result<ErasureReport, AppError> {
    who.require(Permission::PrivacyManage)?;
    privacy::check_registry().map_err(|e| AppError::NotAllowed(e.to_string()))?;
    let mut tx = app.store.begin_tenant_read(who.tenant).await?;
    let row = open_request(&mut tx, request).await?;
    let person = row.customer_id.ok_or(AppError::NotFound)?;
    let report = preview_in(&mut tx, person, keep_appointments).await?;
    tx.commit().await?;
    Ok(report)
}

/// Erases the person of an open erasure request, in one transaction with the request's
/// closing and its audit event.
pub async fn erase(
    app: &App,
    who: &Principal,
    request: Uuid,
    keep_appointments: bool,
) -> Result<ErasureReport, AppError> {
    who.require(Permission::PrivacyManage)?;
    let now = app.now();
    let (writer_app, writer) = (app.clone(), who.clone());
    let report = app
        .store
        .write(who.tenant, move |mut tx| async move {
            let (app, who) = (&writer_app, &writer);
            let row = open_request(&mut tx, request).await?;
            if row.kind != RequestKind::Erasure {
                return Err(AppError::NotAllowed(format!("this is a request for {}, not erasure", row.kind.name())));
            }
            let person = row.customer_id.ok_or(AppError::NotFound)?;
            let report = erase_in(&mut tx, person, keep_appointments, now).await?;
            let stored = json!({ "outcome": "done", "erasure": &report });
            request_rows::close(
                &mut tx,
                request,
                RequestStatus::Done,
                Some(who.member.as_uuid()),
                &stored.to_string(),
                now,
            )
            .await?;
            let details = json!({ "kind": "erasure", "rows": report.done.iter().map(|(_, _, n)| n).sum::<u64>(),
                                  "key_destroyed": report.key_destroyed,
                                  "appointments_kept_anonymized": keep_appointments });
            audit::record(
                app,
                &mut tx,
                audit::by(who, "privacy_request.erased", Some(("privacy_request", request.to_string())), details),
            )
            .await?;
            tx.commit().await?;
            Ok(report)
        })
        .await?;
    // Only once the erasure is committed: the logs are emptied of what it erased.
    scrub_files(app).await;
    Ok(report)
}

/// After an erasure committed: the erased values leave the database's own files now,
/// not at some later checkpoint (DSR-3). A failure leaves them for the store's close and
/// the next sweep, which scrub again.
pub(super) async fn scrub_files(app: &App) {
    match app.store.scrub_after_erasure().await {
        Ok(left) if !left.is_empty() => tracing::debug!(tables = left.len(), "erased rows left to autovacuum"),
        Ok(_) => {}
        Err(error) => tracing::warn!(%error, "the write-ahead log could not be emptied after an erasure"),
    }
}

/// What erasing `person` would find and do, inside the caller's transaction; changes nothing.
pub(super) async fn preview_in(
    tx: &mut TenantTx,
    person: Uuid,
    keep_appointments: bool,
) -> Result<ErasureReport, AppError> {
    let mut report = ErasureReport { preview: true, found: vec![], done: vec![], kept: vec![], key_destroyed: false };
    for table in PERSON_TABLES {
        let n = rows::count(tx, table, person).await?;
        report.found.push((table.table.to_string(), n));
        report.done.push((table.table.to_string(), treatment_for(table.table, keep_appointments), n));
    }
    report.key_destroyed = keystore::subject_key(tx, person).await?.is_some();
    Ok(report)
}

/// Erases `person` inside the caller's transaction: every table of the erasure map, then
/// their key. Every way into an erasure (a member's answer, the operator's command) comes
/// through here, so each one checks the registry and the legal holds the same way.
pub(super) async fn erase_in(
    tx: &mut TenantTx,
    person: Uuid,
    keep_appointments: bool,
    now: i64,
) -> Result<ErasureReport, AppError> {
    // DSR-3: a table holding people that erasure does not know stops it before any change.
    privacy::check_registry().map_err(|e| AppError::NotAllowed(e.to_string()))?;
    if holds::covers_customer(tx, person).await? {
        return Err(AppError::NotAllowed(
            "a legal hold is in force on this customer's data; the erasure waits until it is lifted".into(),
        ));
    }
    let mut report = ErasureReport { preview: false, found: vec![], done: vec![], kept: vec![], key_destroyed: false };
    for table in PERSON_TABLES {
        let n = rows::count(tx, table, person).await?;
        report.found.push((table.table.to_string(), n));
        let treatment = treatment_for(table.table, keep_appointments);
        let changed = match treatment {
            Treatment::Delete => rows::delete(tx, table, person).await?,
            Treatment::Anonymize => {
                let anonymous = rows::anonymous_customer(tx, now).await?;
                rows::anonymize_appointments(tx, person, anonymous).await?
            }
            Treatment::ClearText => rows::clear_request_text(tx, person).await?,
        };
        report.done.push((table.table.to_string(), treatment, changed));
    }
    report.key_destroyed = keystore::delete_subject_key(tx, person).await?;
    Ok(report)
}

//! Notes on a customer's timeline, with author and time. A private note is sensitive: it
//! is sealed with the customer's key and needs `customers.sensitive.read` to write or read.

use super::note_place;
use super::records::NoteView;
use crate::access::principal::Principal;
use crate::audit;
use crate::clock::format_instant;
use crate::keys;
use crate::{App, AppError};
use serde::Deserialize;
use serde_json::json;
use steward_domain::customers::{MAX_NOTE, parse_text};
use steward_domain::ids::{CustomerId, NoteId};
use steward_domain::permissions::Permission;
use steward_store::customers::notes::{self as rows, NoteRow};
use steward_store::customers::records;

#[derive(Debug, Clone, Deserialize, schemars::JsonSchema)]
#[serde(deny_unknown_fields)]
#[schemars(rename = "NoteNew")]
pub struct NoteInput {
    pub body: String,
    #[serde(default)]
    pub private: bool,
}

pub async fn add(app: &App, who: &Principal, customer: CustomerId, input: &NoteInput) -> Result<NoteView, AppError> {
    who.require(Permission::CustomersWrite)?;
    let body = parse_text("body", &input.body, MAX_NOTE)?.ok_or_else(|| AppError::invalid("body", "is required"))?;
    if input.private {
        who.require(Permission::CustomersSensitiveRead)?;
        let mut check = app.store.begin_tenant_read(who.tenant).await?;
        records::find(&mut check, customer).await?.ok_or(AppError::NotFound)?;
        check.commit().await?;
        keys::ensure_subject_key(app, who.tenant, customer.as_uuid()).await?;
    }
    let now = app.now();
    let id = NoteId::generate();
    let (writer_app, writer_who, private) = (app.clone(), who.clone(), input.private);
    app.store
        .write(who.tenant, move |mut tx| async move {
            let (app, who) = (&writer_app, &writer_who);
            records::find(&mut tx, customer).await?.ok_or(AppError::NotFound)?;
            let (plain, sealed) = if private {
                let key = keys::subject_key(app, &mut tx, customer.as_uuid())
                    .await?
                    .ok_or(AppError::Internal("the customer's key is missing".into()))?;
                (None, Some(keys::seal_value(&key, who.tenant, &note_place(customer, id), &body)?))
            } else {
                (Some(body.clone()), None)
            };
            rows::insert(
                &mut tx,
                &NoteRow {
                    id,
                    customer_id: customer,
                    author_id: Some(who.member),
                    author_name: None,
                    private,
                    body: plain,
                    body_sealed: sealed,
                    created_at: now,
                },
            )
            .await?;
            let action = if private { "customer.sensitive.written" } else { "customer.note_added" };
            let details =
                if private { json!({ "fields": ["private note"], "note": id }) } else { json!({ "note": id }) };
            audit::record(app, &mut tx, audit::by(who, action, Some(("customer", customer.to_string())), details))
                .await?;
            tx.commit().await?;
            Ok(NoteView {
                id,
                author: Some(who.name.clone()),
                private,
                body: Some(body),
                hidden: false,
                created_at: format_instant(now),
            })
        })
        .await
}

pub async fn delete(app: &App, who: &Principal, customer: CustomerId, note: NoteId) -> Result<(), AppError> {
    who.require(Permission::CustomersWrite)?;
    let (writer_app, writer_who) = (app.clone(), who.clone());
    app.store
        .write(who.tenant, move |mut tx| async move {
            let (app, who) = (&writer_app, &writer_who);
            if !rows::delete(&mut tx, customer, note).await? {
                return Err(AppError::NotFound);
            }
            audit::record(
                app,
                &mut tx,
                audit::by(
                    who,
                    "customer.note_deleted",
                    Some(("customer", customer.to_string())),
                    json!({ "note": note }),
                ),
            )
            .await?;
            tx.commit().await?;
            Ok(())
        })
        .await
}

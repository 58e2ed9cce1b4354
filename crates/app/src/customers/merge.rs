//! Merging two records of one person: everything of the removed record (notes, consents,
//! tags, field values the kept record lacks, and anything linked later) moves to the kept
//! one, empty details are filled from it, and the removed record and its key are deleted.
//! Sensitive values are re-sealed under the kept customer's key. A preview reports the
//! same without changing anything.

use super::records::CustomerSummary;
use super::{country_code, note_place, value_place};
use crate::access::principal::Principal;
use crate::audit;
use crate::keys;
use crate::{App, AppError};
use serde::Serialize;
use serde_json::json;
use steward_domain::customers::search::terms;
use steward_domain::ids::CustomerId;
use steward_domain::permissions::Permission;
use steward_store::customers::fields as field_rows;
use steward_store::customers::{consents as consent_rows, notes as note_rows, records as rows};
use steward_store::keystore;

/// What a merge does (or, previewed, would do).
#[derive(Debug, Clone, Serialize, schemars::JsonSchema)]
pub struct MergeReport {
    pub kept: CustomerSummary,
    pub removed: CustomerSummary,
    pub notes_moved: usize,
    pub consents_moved: usize,
    pub tags_added: Vec<String>,
    /// Details the kept record lacked, taken from the removed one.
    pub details_filled: Vec<String>,
    /// Fields only the removed record had a value for.
    pub fields_moved: Vec<String>,
    /// Fields both had; the kept record's value stays.
    pub fields_kept: Vec<String>,
    pub applied: bool,
}

pub async fn merge(
    app: &App,
    who: &Principal,
    keep: CustomerId,
    remove: CustomerId,
    preview: bool,
) -> Result<MergeReport, AppError> {
    who.require(Permission::CustomersWrite)?;
    if keep == remove {
        return Err(AppError::invalid("remove", "is the same customer as the one kept"));
    }
    let sensitive_involved = {
        let mut tx = app.store.begin_tenant_read(who.tenant).await?;
        rows::find(&mut tx, keep).await?.ok_or(AppError::NotFound)?;
        rows::find(&mut tx, remove).await?.ok_or(AppError::NotFound)?;
        let sealed_values = field_rows::values_of(&mut tx, remove).await?.iter().any(|v| v.value_sealed.is_some());
        let private_notes = note_rows::list(&mut tx, remove).await?.iter().any(|n| n.private);
        tx.commit().await?;
        sealed_values || private_notes
    };
    if sensitive_involved && !preview {
        // Moving sealed values means opening them: the same permission as reading them.
        who.require(Permission::CustomersSensitiveRead)?;
        keys::ensure_subject_key(app, who.tenant, keep.as_uuid()).await?;
    }
    let now = app.now();
    let (writer_app, writer_who) = (app.clone(), who.clone());
    app.store
        .write(who.tenant, move |mut tx| async move {
            let (app, who) = (&writer_app, &writer_who);
            let mut kept = rows::find(&mut tx, keep).await?.ok_or(AppError::NotFound)?;
            let removed = rows::find(&mut tx, remove).await?.ok_or(AppError::NotFound)?;
            let kept_tags = rows::tags_of(&mut tx, keep).await?;
            let removed_tags = rows::tags_of(&mut tx, remove).await?;
            let notes = note_rows::list(&mut tx, remove).await?;
            let consents = consent_rows::history(&mut tx, remove).await?;
            let fields = field_rows::list(&mut tx).await?;
            let kept_values = field_rows::values_of(&mut tx, keep).await?;
            let removed_values = field_rows::values_of(&mut tx, remove).await?;
            let label = |id| fields.iter().find(|f| f.id == id).map(|f| f.label.clone()).unwrap_or_default();
            let (fields_kept, fields_moved): (Vec<_>, Vec<_>) =
                removed_values.iter().partition(|v| kept_values.iter().any(|k| k.field_id == v.field_id));
            let mut details_filled = Vec::new();
            for (name, kept_value, removed_value) in [
                ("phone", &mut kept.phone, &removed.phone),
                ("email", &mut kept.email, &removed.email),
                ("address", &mut kept.address, &removed.address),
                ("date_of_birth", &mut kept.date_of_birth, &removed.date_of_birth),
                ("preferred_channel", &mut kept.preferred_channel, &removed.preferred_channel),
            ] {
                if kept_value.is_none() && removed_value.is_some() {
                    *kept_value = removed_value.clone();
                    details_filled.push(name.to_string());
                }
            }
            let tags_added: Vec<String> = removed_tags.iter().filter(|t| !kept_tags.contains(t)).cloned().collect();
            let mut report = MergeReport {
                kept: CustomerSummary::from(&kept),
                removed: CustomerSummary::from(&removed),
                notes_moved: notes.len(),
                consents_moved: consents.len(),
                tags_added: tags_added.clone(),
                details_filled: details_filled.clone(),
                fields_moved: fields_moved.iter().map(|v| label(v.field_id)).collect(),
                fields_kept: fields_kept.iter().map(|v| label(v.field_id)).collect(),
                applied: false,
            };
            if preview {
                tx.commit().await?;
                return Ok(report);
            }
            let tenant = who.tenant;
            let (old_key, new_key) = if sensitive_involved {
                (
                    keys::subject_key(app, &mut tx, remove.as_uuid()).await?,
                    keys::subject_key(app, &mut tx, keep.as_uuid()).await?,
                )
            } else {
                (None, None)
            };
            // Re-seal what was sealed for the removed customer, before its key is destroyed.
            for note in notes.iter().filter(|n| n.private) {
                if let (Some(sealed), Some(old), Some(new)) = (&note.body_sealed, &old_key, &new_key) {
                    let body = keys::open_value(old, tenant, &note_place(remove, note.id), sealed)?;
                    note_rows::set_sealed_body(
                        &mut tx,
                        note.id,
                        keys::seal_value(new, tenant, &note_place(keep, note.id), &body)?,
                    )
                    .await?;
                }
            }
            rows::move_links(&mut tx, remove, keep).await?;
            for value in &fields_moved {
                let sealed = match (&value.value_sealed, &old_key, &new_key) {
                    (Some(sealed), Some(old), Some(new)) => {
                        let plain = keys::open_value(old, tenant, &value_place(remove, value.field_id), sealed)?;
                        Some(keys::seal_value(new, tenant, &value_place(keep, value.field_id), &plain)?)
                    }
                    (Some(_), _, _) => continue,
                    (None, _, _) => None,
                };
                field_rows::upsert_value(&mut tx, keep, value.field_id, value.value.clone(), sealed, Some(who.member), now)
                    .await?;
            }
            let code = country_code(app, &mut tx).await?;
            let mut all_tags = kept_tags.clone();
            all_tags.extend(tags_added);
            let values = steward_store::customers::records::CustomerValues {
                name: kept.name.clone(),
                name_key: kept.name_key.clone(),
                phone: kept.phone.clone(),
                email: kept.email.clone(),
                address: kept.address.clone(),
                date_of_birth: kept.date_of_birth.clone(),
                source: kept.source.clone(),
                preferred_channel: kept.preferred_channel.clone(),
            };
            let search_terms = terms(&values.name, values.email.as_deref(), values.phone.as_deref(), &code, &all_tags);
            rows::update(&mut tx, keep, &values, &search_terms, &all_tags, now).await?;
            rows::delete(&mut tx, remove).await?;
            keystore::delete_subject_key(&mut tx, remove.as_uuid()).await?;
            let details = json!({
                "removed": remove, "notes_moved": report.notes_moved, "consents_moved": report.consents_moved,
                "details_filled": report.details_filled, "fields_moved": report.fields_moved, "fields_kept": report.fields_kept,
            });
            audit::record(app, &mut tx, audit::by(who, "customer.merged", Some(("customer", keep.to_string())), details))
                .await?;
            tx.commit().await?;
            report.applied = true;
            report.kept = CustomerSummary::from(&kept);
            Ok(report)
        })
        .await
}

//! Customers: records, notes, consents, the business's own fields, search, duplicates and
//! merges, import and export.

pub mod api;
pub mod pages;
pub mod picker;

use crate::routes::{Route, delete, get, patch, post};
use steward_app::customers::{consents, fields, import, merge, notes, records};
use steward_domain::permissions::Permission::{CustomersRead, CustomersWrite, TenantManage};

/// Largest file an import accepts over HTTP (the CLI streams files of any size).
pub const IMPORT_BODY_LIMIT: usize = 64 * 1024 * 1024;

/// The routes of this capability.
pub fn routes() -> Vec<Route> {
    vec![
        get("/app/customers", pages::list).needs(CustomersRead).menu(30, "Customers").about("Customers, with search"),
        post("/app/customers", pages::create).needs(CustomersWrite).about("Add a customer"),
        get("/app/customers/new", pages::new_form).needs(CustomersWrite).about("New-customer form"),
        get("/app/customers/resembling", pages::resembling).needs(CustomersRead).about("Customers on record like the one being typed (part of the new-customer form)"),
        get("/app/customers/export", pages::export).needs(CustomersRead).about("Download customers"),
        get("/app/customers/duplicates", pages::duplicates).needs(CustomersRead).about("Customers that may be one person"),
        get("/app/customers/fields", pages::fields_show).needs(CustomersRead).about("Customer fields"),
        post("/app/customers/fields", pages::field_create).needs(TenantManage).about("Add a customer field"),
        post("/app/customers/fields/{field_id}/delete", pages::field_delete).needs(TenantManage).about("Delete a customer field"),
        get("/app/customers/import", pages::import_form).needs(CustomersWrite).about("Import customers"),
        post("/app/customers/import", pages::import_upload).needs(CustomersWrite).body_limit(IMPORT_BODY_LIMIT).about("Upload a file and check it"),
        get("/app/customers/import/{job_id}", pages::import_status).needs(CustomersWrite).about("An import's progress and report"),
        post("/app/customers/import/{job_id}", pages::import_again).needs(CustomersWrite).about("Run an uploaded file again: another mapping, or for real"),
        get("/app/customers/{customer_id}", pages::show).needs(CustomersRead).about("A customer"),
        post("/app/customers/{customer_id}", pages::update).needs(CustomersWrite).about("Change a customer"),
        get("/app/customers/{customer_id}/edit", pages::edit_form).needs(CustomersWrite).about("Change-customer form"),
        post("/app/customers/{customer_id}/notes", pages::add_note).needs(CustomersWrite).about("Add a note"),
        post("/app/customers/{customer_id}/consents", pages::record_consent).needs(CustomersWrite).about("Record a consent"),
        post("/app/customers/{customer_id}/delete", pages::delete).needs(CustomersWrite).about("Delete a customer"),
        get("/app/customers/{customer_id}/merge", pages::merge_preview).needs(CustomersWrite).about("What a merge would do"),
        post("/app/customers/{customer_id}/merge", pages::merge_apply).needs(CustomersWrite).about("Merge another customer into this one"),
        get("/api/v1/customers", api::list).needs(CustomersRead).query::<records::ListRequest>().answers::<records::CustomerPage>().about("Customers, searched and filtered (query: q, tag, field_id, field_value, sort=name|last_visit|created, cursor, limit)"),
        post("/api/v1/customers", api::create).needs(CustomersWrite).takes::<records::CustomerInput>().answers::<records::CustomerDetail>().about("Create a customer"),
        get("/api/v1/customers/duplicates", api::duplicates).needs(CustomersRead).answers_list::<records::DuplicateGroup>().about("Groups of customers that share a phone, an email or a name"),
        get("/api/v1/customers/export", api::export).needs(CustomersRead).query::<api::ExportQuery>().answers_no_json().about("Every customer, streamed (query: format=csv|vcard|json); sensitive values are never included"),
        post("/api/v1/customers/import", api::import).needs(CustomersWrite).query::<api::ImportQuery>().body_limit(IMPORT_BODY_LIMIT).answers::<import::ImportReport>().status(200).about("Import customers from the CSV or vCard file in the body (query: format, dedupe_by, on_duplicate, bad_rows, dry_run, mapping)"),
        post("/api/v1/customers/import/preview", api::import_preview).needs(CustomersWrite).body_limit(IMPORT_BODY_LIMIT).answers::<import::CsvPreview>().status(200).about("The header, first rows and guessed column mapping of a CSV file"),
        get("/api/v1/customers/{customer_id}", api::show).needs(CustomersRead).answers::<records::CustomerDetail>().about("One customer whole; sensitive values only with customers.sensitive.read (and the read is audited)"),
        patch("/api/v1/customers/{customer_id}", api::update).needs(CustomersWrite).takes::<records::CustomerInput>().answers::<records::CustomerDetail>().about("Change a customer (missing values stay, empty strings clear)"),
        delete("/api/v1/customers/{customer_id}", api::remove).needs(CustomersWrite).answers_no_json().about("Delete a customer with their notes, consents, values and key"),
        post("/api/v1/customers/{customer_id}/notes", api::add_note).needs(CustomersWrite).takes::<notes::NoteInput>().answers::<records::NoteView>().about("Add a note (a private note is sealed and needs customers.sensitive.read)"),
        delete("/api/v1/customers/{customer_id}/notes/{note_id}", api::delete_note).needs(CustomersWrite).answers_no_json().about("Delete a note"),
        post("/api/v1/customers/{customer_id}/consents", api::record_consent).needs(CustomersWrite).takes::<consents::ConsentInput>().answers_list::<consents::ConsentView>().about("Record a consent or its withdrawal; answers the consents that now hold"),
        post("/api/v1/customers/{customer_id}/merge", api::merge).needs(CustomersWrite).takes::<api::MergeRequest>().answers::<merge::MergeReport>().status(200).about("Merge another customer into this one (preview: true changes nothing)"),
        get("/api/v1/customer-fields", api::list_fields).needs(CustomersRead).answers_list::<fields::FieldView>().about("The business's own customer fields"),
        post("/api/v1/customer-fields", api::create_field).needs(TenantManage).takes::<fields::FieldInput>().answers::<fields::FieldView>().about("Define a customer field, personal or sensitive (the class never changes)"),
        patch("/api/v1/customer-fields/{field_id}", api::update_field).needs(TenantManage).takes::<fields::FieldChange>().answers::<fields::FieldView>().about("Rename a field, change its options or place"),
        delete("/api/v1/customer-fields/{field_id}", api::delete_field).needs(TenantManage).answers_no_json().about("Delete a field and every value of it"),
    ]
}

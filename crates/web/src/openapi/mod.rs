//! The OpenAPI 3.1 document, generated from the route table, and a viewer for it that
//! needs nothing from another site.
//!
//! Each operation carries `x-steward-permission` (the access its route declared), and
//! path parameters are named by what they identify (`member_id`, `role_id`, ...): the
//! cross-tenant test walks this document and fills each parameter with another tenant's
//! id of that kind.
//!
//! # Schemas come from the types
//!
//! Every schema under `#/components/schemas/` is derived (with `schemars`) from the Rust
//! type the handler actually deserializes or serializes, so the document cannot drift from
//! what the API reads and writes. A route names a type through a [`SchemaRef`]:
//!
//! ```ignore
//! api(M::POST, "/api/v1/roles", Permission(P::RolesManage), "Create a custom role", handler)
//!     .request::<RoleNew>()          // schema_of::<RoleNew>()
//!     .response::<RoleView>()        // or .list::<RoleView>() for an array
//!     .query::<AuditQuery>()         // query parameters, one per property
//! ```
//!
//! Those builder methods belong to the route table; all they need to store is
//! [`schema_of::<T>()`](schema_of). Until the route table switches, it names components
//! by string, and [`named`] maps each of those names to its type. The component name of a
//! type is its schema name (`#[schemars(rename = "...")]` keeps the names clients already
//! know), and a unit test holds every route's string to the name of the type it maps to,
//! so the switch changes no name in the document.
//!
//! Request bodies are described as the type deserializes (a `#[serde(default)]` field is
//! optional) and responses as it serializes (every field that is always written is
//! required). A type used both ways whose two descriptions differ keeps its name for the
//! request, which the cross-tenant test reads, and its response description is named
//! `<Name>-Output`.
//!
//! Types declared next to their handler are described here by a [`shapes`] twin until
//! they can derive their own schema; a unit test deserializes each twin's examples into
//! the handler's type, so a twin that drifts fails the build's tests.

use crate::routes::{ApiDoc, Route, all, get};
use axum::Json;
use axum::response::Html;
use schemars::generate::SchemaSettings;
use schemars::{JsonSchema, Schema, SchemaGenerator};
use serde_json::{Map, Value, json};
use std::borrow::Cow;
use std::collections::BTreeMap;

/// A type the document describes: its component name, and how to add its schema (with
/// every schema it refers to) to a generator.
#[derive(Clone, Copy)]
pub struct SchemaRef {
    /// The component name under `#/components/schemas/`.
    pub name: fn() -> Cow<'static, str>,
    /// Adds the type's schema to the generator's components and answers the schema to
    /// use in its place: a `$ref` to the component, or the schema itself for an inlined
    /// type.
    pub add: fn(&mut SchemaGenerator) -> Schema,
}

/// The document's reference to `T`.
pub fn schema_of<T: JsonSchema>() -> SchemaRef {
    SchemaRef { name: T::schema_name, add: SchemaGenerator::subschema_for::<T> }
}

/// The type each component name in the route table stands for. Goes away once every
/// route names its types with [`schema_of`].
pub fn named(name: &str) -> Option<SchemaRef> {
    use steward_app::access::{members, principal, roles, tokens};
    use steward_app::booking::{appointments, availability, feed, setup};
    use steward_app::customers::{consents, fields, import, merge, notes, records};
    use steward_app::messaging::{log, settings};
    use steward_app::privacy::{person, requests};
    use steward_app::retention::{holds, lifecycle, rules, sweep};
    use steward_app::{audit, diagnostics, egress, tenancy, usage};
    Some(match name {
        "Error" => schema_of::<shapes::ErrorBody>(),
        "Me" => schema_of::<principal::MeView>(),
        "Permission" => schema_of::<roles::PermissionView>(),
        "Tenant" => schema_of::<tenancy::TenantView>(),
        "TenantChange" => schema_of::<tenancy::ProfileChange>(),
        "Member" => schema_of::<members::MemberView>(),
        "MemberData" => schema_of::<shapes::MemberData>(),
        "MemberChange" => schema_of::<shapes::MemberChange>(),
        "Invitation" => schema_of::<members::InvitationView>(),
        "InvitationNew" => schema_of::<shapes::InvitationNew>(),
        "Role" => schema_of::<roles::RoleView>(),
        "RoleNew" => schema_of::<shapes::RoleNew>(),
        "RoleChange" => schema_of::<shapes::RoleChange>(),
        "Token" => schema_of::<tokens::TokenView>(),
        "TokenNew" => schema_of::<shapes::TokenNew>(),
        "CreatedToken" => schema_of::<tokens::CreatedToken>(),
        "AuditEvent" => schema_of::<audit::AuditEventView>(),
        "AuditVerification" => schema_of::<audit::Verification>(),
        "DailyUsage" => schema_of::<usage::DailyUsage>(),
        "Problem" => schema_of::<diagnostics::Problem>(),
        "RetentionRule" => schema_of::<rules::RuleView>(),
        "RetentionRuleChange" => schema_of::<shapes::RetentionRuleChange>(),
        "RetentionRun" => schema_of::<sweep::RunView>(),
        "LegalHold" => schema_of::<holds::HoldView>(),
        "LegalHoldNew" => schema_of::<holds::NewHold>(),
        "LegalHoldLift" => schema_of::<shapes::LegalHoldLift>(),
        "Lifecycle" => schema_of::<lifecycle::LifecycleView>(),
        "Cancellation" => schema_of::<shapes::Cancellation>(),
        "EgressRecord" => schema_of::<egress::EgressView>(),
        "MessagingSettings" => schema_of::<settings::SettingsView>(),
        "MessagingRules" => schema_of::<settings::RulesInput>(),
        "MessagingChannel" => schema_of::<settings::ChannelView>(),
        "MessagingChannelNew" => schema_of::<settings::ChannelInput>(),
        "MessageTemplate" => schema_of::<settings::TemplateView>(),
        "MessageTemplateChange" => schema_of::<settings::TemplateInput>(),
        "TemplatePreview" => schema_of::<shapes::TemplatePreview>(),
        "TemplatePreviewText" => schema_of::<shapes::TemplatePreviewText>(),
        "MessageTest" => schema_of::<settings::TestInput>(),
        "MessageTestResult" => schema_of::<settings::TestResult>(),
        "Message" => schema_of::<log::MessageView>(),
        "PrivacyRequest" => schema_of::<requests::RequestView>(),
        "PrivacyRequestNew" => schema_of::<shapes::PrivacyRequestNew>(),
        "PrivacyRequestClose" => schema_of::<shapes::PrivacyRequestClose>(),
        "ErasureChoice" => schema_of::<shapes::ErasureChoice>(),
        "ErasureReport" => schema_of::<person::ErasureReport>(),
        "PrivacySettings" => schema_of::<shapes::PrivacySettings>(),
        "CustomerPage" => schema_of::<records::CustomerPage>(),
        "CustomerNew" => schema_of::<records::CustomerInput>(),
        "Customer" => schema_of::<records::CustomerDetail>(),
        "DuplicateGroup" => schema_of::<records::DuplicateGroup>(),
        "Note" => schema_of::<records::NoteView>(),
        "NoteNew" => schema_of::<notes::NoteInput>(),
        "Consent" => schema_of::<consents::ConsentView>(),
        "ConsentNew" => schema_of::<consents::ConsentInput>(),
        "MergeRequest" => schema_of::<shapes::MergeRequest>(),
        "MergeReport" => schema_of::<merge::MergeReport>(),
        "CustomerField" => schema_of::<fields::FieldView>(),
        "CustomerFieldNew" => schema_of::<fields::FieldInput>(),
        "CustomerFieldChange" => schema_of::<fields::FieldChange>(),
        "ImportReport" => schema_of::<import::ImportReport>(),
        "ImportPreview" => schema_of::<import::CsvPreview>(),
        "Location" => schema_of::<setup::LocationView>(),
        "LocationNew" => schema_of::<setup::LocationInput>(),
        "Service" => schema_of::<setup::ServiceView>(),
        "ServiceNew" => schema_of::<setup::ServiceInput>(),
        "Staff" => schema_of::<setup::StaffView>(),
        "StaffNew" => schema_of::<setup::StaffInput>(),
        "WeekHours" => schema_of::<setup::WeekInput>(),
        "OverrideNew" => schema_of::<setup::OverrideInput>(),
        "TimeOff" => schema_of::<setup::TimeOffView>(),
        "TimeOffNew" => schema_of::<setup::TimeOffInput>(),
        "FeedLink" => schema_of::<feed::FeedLink>(),
        "Availability" => schema_of::<availability::AvailabilityView>(),
        "Appointment" => schema_of::<appointments::AppointmentView>(),
        "AppointmentNew" => schema_of::<appointments::BookingInput>(),
        "AppointmentChange" => schema_of::<appointments::AppointmentChange>(),
        "StatusChange" => schema_of::<appointments::StatusChange>(),
        "BookingResult" => schema_of::<appointments::BookingResult>(),
        _ => return None,
    })
}

/// The query-string type of the operations that read one. Goes away once routes name it
/// with `.query::<T>()`.
fn query_of(method: &str, path: &str) -> Option<SchemaRef> {
    use steward_app::booking::{appointments, availability};
    use steward_app::customers::records;
    Some(match (method, path) {
        ("get", "/api/v1/audit/events") => schema_of::<steward_app::audit::AuditQuery>(),
        ("get", "/api/v1/audit/export") => schema_of::<shapes::AuditExportQuery>(),
        ("get", "/api/v1/messages") => schema_of::<shapes::MessageQuery>(),
        ("get", "/api/v1/usage/daily") => schema_of::<shapes::DailyUsageQuery>(),
        ("get", "/api/v1/availability") => schema_of::<availability::AvailabilityRequest>(),
        ("get", "/api/v1/appointments") => schema_of::<appointments::ListRequest>(),
        ("get", "/api/v1/customers") => schema_of::<records::ListRequest>(),
        ("get", "/api/v1/customers/export") => schema_of::<shapes::CustomerExportQuery>(),
        ("post", "/api/v1/customers/import") => schema_of::<shapes::ImportQuery>(),
        _ => return None,
    })
}

pub mod shapes {
    //! Twins of the types declared next to their handlers (and of the error body),
    //! described here until those types derive their own schema. Each twin carries the
    //! name, the fields and the serde attributes of its original; the unit tests of
    //! `openapi` check that the original accepts what the twin documents. Twins are
    //! described, never built, so their fields are never read.
    #![allow(dead_code)]

    use schemars::JsonSchema;
    use steward_app::customers::import::{BadRows, DedupeBy, OnDuplicate};
    use steward_domain::ids::CustomerId;

    /// Every failure: `{"error": {"code", "message", "field"}}`.
    #[derive(JsonSchema)]
    #[schemars(rename = "Error")]
    pub struct ErrorBody {
        pub error: ErrorDetail,
    }

    #[derive(JsonSchema)]
    pub struct ErrorDetail {
        /// A stable word: `invalid`, `not_found`, `conflict`, `slot_taken`, ...
        pub code: String,
        pub message: String,
        /// The field at fault, when one is.
        pub field: Option<String>,
        /// A taken time: the next free start times.
        #[serde(skip_serializing_if = "Option::is_none")]
        pub next_free: Option<Vec<String>>,
    }

    /// One array of rows per table: `members`, `sessions`, `api_tokens`,
    /// `policy_acceptances`, `audit_events`, `usage_events`.
    #[derive(JsonSchema)]
    #[schemars(rename = "MemberData")]
    pub struct MemberData(pub std::collections::BTreeMap<String, Vec<serde_json::Map<String, serde_json::Value>>>);

    /// `api::members::MemberChange`.
    #[derive(JsonSchema)]
    #[serde(deny_unknown_fields)]
    pub struct MemberChange {
        /// A role id or name.
        pub role: String,
    }

    /// `api::members::InvitationNew`.
    #[derive(JsonSchema)]
    #[serde(deny_unknown_fields)]
    pub struct InvitationNew {
        pub email: String,
        /// A role id or name.
        pub role: String,
    }

    /// `api::roles::RoleNew`.
    #[derive(JsonSchema)]
    #[serde(deny_unknown_fields)]
    pub struct RoleNew {
        pub name: String,
        pub permissions: Vec<String>,
    }

    /// `api::roles::RoleChange`.
    #[derive(JsonSchema)]
    #[serde(deny_unknown_fields)]
    pub struct RoleChange {
        pub name: Option<String>,
        pub permissions: Option<Vec<String>>,
    }

    /// `api::tokens::TokenNew`.
    #[derive(JsonSchema)]
    #[serde(deny_unknown_fields)]
    pub struct TokenNew {
        pub name: String,
        pub scopes: Vec<String>,
        #[schemars(range(min = 1, max = 3650))]
        pub expires_in_days: Option<i64>,
    }

    /// `api::retention::RuleChange`.
    #[derive(JsonSchema)]
    #[serde(deny_unknown_fields)]
    pub struct RetentionRuleChange {
        #[schemars(extend("enum" = ["usage", "security_log", "personal"]))]
        pub data_class: String,
        #[serde(default)]
        #[schemars(range(min = 1))]
        pub keep_days: Option<i64>,
        /// Go back to the operator's default.
        #[serde(default)]
        pub default: bool,
    }

    /// `api::retention::HoldLift`.
    #[derive(JsonSchema)]
    #[serde(deny_unknown_fields)]
    pub struct LegalHoldLift {
        #[schemars(length(max = 500))]
        pub reason: String,
    }

    /// `api::retention::Cancellation`.
    #[derive(JsonSchema)]
    #[serde(deny_unknown_fields)]
    pub struct Cancellation {
        #[serde(default)]
        #[schemars(length(max = 500))]
        pub reason: Option<String>,
    }

    /// `api::messaging::PreviewInput`.
    #[derive(JsonSchema)]
    #[serde(deny_unknown_fields)]
    pub struct TemplatePreview {
        pub body: String,
    }

    /// `api::messaging::PreviewText`.
    #[derive(JsonSchema)]
    pub struct TemplatePreviewText {
        pub text: String,
    }

    /// `api::privacy::RequestNew`.
    #[derive(JsonSchema)]
    #[serde(deny_unknown_fields)]
    pub struct PrivacyRequestNew {
        pub customer_id: CustomerId,
        #[schemars(extend("enum" = ["access", "correction", "erasure"]))]
        pub kind: String,
        #[serde(default)]
        #[schemars(length(max = 2000))]
        pub message: String,
    }

    /// `api::privacy::RequestClose`.
    #[derive(JsonSchema)]
    #[serde(deny_unknown_fields)]
    pub struct PrivacyRequestClose {
        #[schemars(extend("enum" = ["done", "rejected"]))]
        pub outcome: String,
        #[serde(default)]
        pub note: String,
    }

    /// `api::privacy::ErasureChoice`.
    #[derive(JsonSchema)]
    #[serde(deny_unknown_fields)]
    pub struct ErasureChoice {
        /// Keep the person's appointments for statistics, detached from them.
        #[serde(default)]
        pub keep_appointments_anonymized: bool,
    }

    /// `api::privacy::PrivacySettings`.
    #[derive(JsonSchema)]
    #[serde(deny_unknown_fields)]
    pub struct PrivacySettings {
        #[schemars(extend("enum" = ["gdpr", "dpdp", "ccpa"]))]
        pub jurisdiction: String,
    }

    /// `api::customers::MergeRequest`.
    #[derive(JsonSchema)]
    #[serde(deny_unknown_fields)]
    pub struct MergeRequest {
        /// The record merged into this one and then deleted.
        pub remove: CustomerId,
        #[serde(default)]
        pub preview: bool,
    }

    /// `api::audit::ExportQuery`.
    #[derive(JsonSchema)]
    #[serde(deny_unknown_fields)]
    pub struct AuditExportQuery {
        /// `jsonl` (default) or `csv`.
        pub format: Option<String>,
    }

    /// `api::customers::ExportQuery`.
    #[derive(JsonSchema)]
    #[serde(deny_unknown_fields)]
    pub struct CustomerExportQuery {
        /// `csv`, `vcard` or `json`.
        pub format: Option<String>,
    }

    /// `api::customers::ImportQuery`.
    #[derive(JsonSchema)]
    #[serde(deny_unknown_fields)]
    pub struct ImportQuery {
        /// `csv` (default) or `vcard`.
        pub format: Option<String>,
        pub dedupe_by: Option<DedupeBy>,
        pub on_duplicate: Option<OnDuplicate>,
        pub bad_rows: Option<BadRows>,
        pub dry_run: Option<bool>,
        /// A JSON object: CSV header -> target.
        pub mapping: Option<String>,
    }

    /// `api::messaging::LogQuery`.
    #[derive(JsonSchema)]
    #[serde(deny_unknown_fields)]
    pub struct MessageQuery {
        pub status: Option<String>,
    }

    /// `api::usage::DailyQuery`.
    #[derive(JsonSchema)]
    #[serde(deny_unknown_fields)]
    pub struct DailyUsageQuery {
        /// First day, `YYYY-MM-DD`, UTC.
        pub from: Option<String>,
        /// Last day, `YYYY-MM-DD`, UTC.
        pub to: Option<String>,
    }
}

/// Where component schemas live, for both generators.
const COMPONENTS: &str = "/components/schemas";

fn generator(settings: SchemaSettings) -> SchemaGenerator {
    settings
        .with(|settings| {
            settings.definitions_path = COMPONENTS.into();
            settings.meta_schema = None;
        })
        .into_generator()
}

/// Both descriptions of every component the document refers to: requests as their types
/// deserialize, responses as they serialize.
struct Components {
    requests: SchemaGenerator,
    responses: SchemaGenerator,
}

impl Components {
    fn new() -> Self {
        Self {
            requests: generator(SchemaSettings::draft2020_12().for_deserialize()),
            responses: generator(SchemaSettings::draft2020_12().for_serialize()),
        }
    }

    fn request(&mut self, name: &str) -> Value {
        match named(name) {
            Some(schema) => (schema.add)(&mut self.requests).to_value(),
            None => reference(name),
        }
    }

    fn response(&mut self, name: &str) -> Value {
        match named(name) {
            Some(schema) => (schema.add)(&mut self.responses).to_value(),
            None => reference(name),
        }
    }

    /// One query parameter per property of the operation's query type.
    fn query_parameters(&mut self, method: &str, path: &str) -> Vec<Value> {
        let Some(query) = query_of(method, path) else { return Vec::new() };
        let schema = (query.add)(&mut self.requests).to_value();
        let schema = resolve(&schema, self.requests.definitions());
        let required: Vec<&str> =
            schema["required"].as_array().into_iter().flatten().filter_map(Value::as_str).collect();
        let Some(properties) = schema["properties"].as_object() else { return Vec::new() };
        properties
            .iter()
            .map(|(name, property)| {
                let mut parameter =
                    json!({ "name": name, "in": "query", "required": required.contains(&name.as_str()) });
                if let Some(description) = property.get("description") {
                    parameter["description"] = description.clone();
                }
                let mut property = property.clone();
                if let Some(property) = property.as_object_mut() {
                    property.remove("description");
                    // A query string cannot say null: a missing parameter is the `None`.
                    if let Some(Value::Array(kinds)) = property.get_mut("type") {
                        kinds.retain(|kind| kind != "null");
                        if let [only] = kinds.as_slice() {
                            let only = only.clone();
                            property.insert("type".into(), only);
                        }
                    }
                }
                parameter["schema"] = property;
                parameter
            })
            .collect()
    }

    /// The components, and the new names of the response descriptions that differ from
    /// the request description of the same type.
    fn finish(mut self) -> (Map<String, Value>, BTreeMap<String, String>) {
        let mut components = self.requests.take_definitions(true);
        let responses = self.responses.take_definitions(true);
        let renamed: BTreeMap<String, String> = responses
            .iter()
            .filter(|(name, schema)| components.get(name.as_str()).is_some_and(|request| request != *schema))
            .map(|(name, _)| (name.clone(), format!("{name}-Output")))
            .collect();
        for (name, mut schema) in responses {
            rename_refs(&mut schema, &renamed);
            let name = renamed.get(&name).cloned().unwrap_or(name);
            components.insert(name, schema);
        }
        (components, renamed)
    }
}

/// The schema a `$ref` to a component points at, or the schema itself.
fn resolve(schema: &Value, components: &Map<String, Value>) -> Value {
    let target = schema["$ref"]
        .as_str()
        .and_then(|reference| reference.strip_prefix("#/components/schemas/"))
        .and_then(|name| components.get(name));
    target.unwrap_or(schema).clone()
}

/// Points every `$ref` to a renamed component at its new name.
fn rename_refs(schema: &mut Value, renamed: &BTreeMap<String, String>) {
    match schema {
        Value::Object(object) => {
            for (key, value) in object.iter_mut() {
                let target = value.as_str().and_then(|r| r.strip_prefix("#/components/schemas/"));
                match (key.as_str(), target.and_then(|name| renamed.get(name))) {
                    ("$ref", Some(new_name)) => *value = reference(new_name)["$ref"].clone(),
                    _ => rename_refs(value, renamed),
                }
            }
        }
        Value::Array(items) => items.iter_mut().for_each(|item| rename_refs(item, renamed)),
        _ => {}
    }
}

fn reference(name: &str) -> Value {
    json!({ "$ref": format!("#/components/schemas/{name}") })
}

fn operation(
    summary: &str,
    permission: &str,
    method: &str,
    path: &str,
    doc: &ApiDoc,
    components: &mut Components,
) -> Value {
    let mut op = Map::new();
    op.insert("summary".into(), json!(summary));
    op.insert("x-steward-permission".into(), json!(permission));
    let mut params: Vec<Value> = path
        .split('/')
        .filter_map(|segment| segment.strip_prefix('{').and_then(|s| s.strip_suffix('}')))
        .map(|name| json!({ "name": name, "in": "path", "required": true, "schema": { "type": "string", "format": "uuid" } }))
        .collect();
    params.extend(components.query_parameters(method, path));
    if !params.is_empty() {
        op.insert("parameters".into(), Value::Array(params));
    }
    if let Some(request) = doc.request {
        op.insert(
            "requestBody".into(),
            json!({ "required": true, "content": { "application/json": { "schema": components.request(request) } } }),
        );
    }
    let error = json!({ "content": { "application/json": { "schema": components.response("Error") } } });
    let mut responses = Map::new();
    let success = match doc.response {
        Some(name) => {
            let item = components.response(name);
            let schema = if doc.list { json!({ "type": "array", "items": item }) } else { item };
            json!({ "description": "success", "content": { "application/json": { "schema": schema } } })
        }
        None if doc.success_status == 200 => json!({ "description": "a file: JSON lines or CSV" }),
        None => json!({ "description": "done, no content" }),
    };
    responses.insert(doc.success_status.to_string(), success);
    for (status, description) in [
        ("401", "no valid token"),
        ("403", "the token's role or scopes lack the permission"),
        ("404", "not found in this tenant"),
        ("409", "conflicts with what is stored; a taken time lists `next_free` start times"),
        ("422", "a field is not valid; `field` names it"),
        ("default", "any other failure: a malformed body, too large, too many requests, ..."),
    ] {
        let mut e = error.clone();
        if let Some(obj) = e.as_object_mut() {
            obj.insert("description".into(), json!(description));
        }
        responses.insert(status.into(), e);
    }
    op.insert("responses".into(), Value::Object(responses));
    op.insert("security".into(), json!([{ "bearer": [] }]));
    Value::Object(op)
}

/// The document as JSON.
pub fn build() -> Value {
    let mut components = Components::new();
    let mut paths: Map<String, Value> = Map::new();
    for spec in all() {
        let Some(doc) = spec.api else { continue };
        let method = spec.method.as_str().to_ascii_lowercase();
        let op = operation(spec.summary, spec.access.describe(), &method, spec.path, &doc, &mut components);
        let entry = paths.entry(spec.path.to_string()).or_insert_with(|| json!({}));
        if let Some(methods) = entry.as_object_mut() {
            methods.insert(method, op);
        }
    }
    let (schemas, renamed) = components.finish();
    for op in paths.values_mut().filter_map(Value::as_object_mut).flat_map(|methods| methods.values_mut()) {
        rename_refs(&mut op["responses"], &renamed);
    }
    json!({
        "openapi": "3.1.0",
        "info": {
            "title": "Steward API",
            "version": env!("CARGO_PKG_VERSION"),
            "description": "Steward's JSON API. Authenticate with `Authorization: Bearer stw_...`, a token created under My API tokens. \
                Errors are `{\"error\": {\"code\", \"message\", \"field\"}}`. Every operation names the permission it needs in `x-steward-permission`."
        },
        "servers": [{ "url": "/" }],
        "paths": paths,
        "components": {
            "schemas": schemas,
            "securitySchemes": { "bearer": { "type": "http", "scheme": "bearer", "description": "an API token: stw_<tenant>_<secret>" } }
        }
    })
}

pub async fn document() -> Json<Value> {
    Json(build())
}

pub async fn viewer() -> Html<&'static str> {
    Html(include_str!("api_docs.html"))
}

/// The routes of this capability.
pub fn routes() -> Vec<Route> {
    vec![
        get("/api/v1/openapi.json", document).public().about("This API's OpenAPI document"),
        get("/api/docs", viewer).public().about("A readable view of the API document"),
    ]
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde::de::DeserializeOwned;

    #[test]
    fn every_name_in_the_route_table_is_the_name_of_its_type() {
        for spec in all() {
            let Some(doc) = spec.api else { continue };
            for name in doc.request.into_iter().chain(doc.response) {
                let schema = named(name).unwrap_or_else(|| panic!("{} {}: no type for {name}", spec.method, spec.path));
                assert_eq!(
                    (schema.name)(),
                    name,
                    "{} {}: the type of {name} is named otherwise",
                    spec.method,
                    spec.path
                );
            }
        }
    }

    #[test]
    fn every_reference_lands_on_a_component() {
        let document = build();
        let text = document.to_string();
        let components = document["components"]["schemas"].as_object().expect("components");
        for reference in text.split("\"$ref\":\"").skip(1).filter_map(|rest| rest.split('"').next()) {
            let name = reference.strip_prefix("#/components/schemas/").expect("a component reference");
            assert!(components.contains_key(name), "{reference} points nowhere");
        }
        assert!(
            document["paths"]["/api/v1/audit/events"]["get"]["parameters"].as_array().is_some_and(|p| !p.is_empty())
        );
    }

    #[test]
    fn ids_and_instants_have_their_formats() {
        let document = build();
        let member = &document["components"]["schemas"]["Member"];
        assert_eq!(member["properties"]["id"], json!({ "type": "string", "format": "uuid" }));
        assert_eq!(member["properties"]["created_at"]["format"], "date-time");
        assert_eq!(document["components"]["schemas"]["TenantChange"]["additionalProperties"], json!(false));
    }

    /// A value of the schema's type, for the examples the twins are checked with.
    fn example(schema: &Value, components: &Map<String, Value>) -> Value {
        let schema = resolve(schema, components);
        if let Some(first) = schema["enum"].as_array().and_then(|values| values.first()) {
            return first.clone();
        }
        if let Some(first) = schema["anyOf"].as_array().or(schema["oneOf"].as_array()).and_then(|s| s.first()) {
            return example(first, components);
        }
        let kind = match &schema["type"] {
            Value::Array(kinds) => kinds.iter().find(|k| *k != "null").cloned().unwrap_or(Value::Null),
            kind => kind.clone(),
        };
        match (kind.as_str(), schema["format"].as_str()) {
            (Some("string"), Some("uuid")) => json!(uuid::Uuid::nil()),
            (Some("string"), _) => json!("text"),
            (Some("integer" | "number"), _) => json!(1),
            (Some("boolean"), _) => json!(true),
            (Some("array"), _) => json!([]),
            (Some("object"), _) => json!({}),
            _ => Value::Null,
        }
    }

    /// The handler's own type accepts everything the twin documents, needs everything the
    /// twin requires, and refuses a field the twin does not have.
    fn twin_agrees<Twin: JsonSchema, Original: DeserializeOwned>() {
        let mut generator = generator(SchemaSettings::draft2020_12().for_deserialize());
        let schema = generator.subschema_for::<Twin>().to_value();
        let components = generator.take_definitions(true);
        let schema = resolve(&schema, &components);
        let name = Twin::schema_name();
        let properties = schema["properties"].as_object().expect("an object");
        let required: Vec<&str> =
            schema["required"].as_array().into_iter().flatten().filter_map(Value::as_str).collect();
        let full: Map<String, Value> =
            properties.iter().map(|(key, property)| (key.clone(), example(property, &components))).collect();
        let minimal: Map<String, Value> = full
            .iter()
            .filter(|(key, _)| required.contains(&key.as_str()))
            .map(|(k, v)| (k.clone(), v.clone()))
            .collect();
        let accepts = |object: &Map<String, Value>| serde_json::from_value::<Original>(Value::Object(object.clone()));
        assert!(accepts(&full).is_ok(), "{name}: {full:?} refused: {:?}", accepts(&full).err());
        assert!(accepts(&minimal).is_ok(), "{name}: {minimal:?} refused: {:?}", accepts(&minimal).err());
        for key in &required {
            let mut without = full.clone();
            without.remove(*key);
            assert!(accepts(&without).is_err(), "{name}: {key} is documented as required but may be left out");
        }
        if schema["additionalProperties"] == json!(false) {
            let mut more = full.clone();
            more.insert("not_a_field".into(), json!(1));
            assert!(accepts(&more).is_err(), "{name}: takes fields the document refuses");
        }
    }

    #[test]
    fn each_twin_describes_its_handlers_type() {
        use crate::api;
        twin_agrees::<shapes::MemberChange, api::members::MemberChange>();
        twin_agrees::<shapes::InvitationNew, api::members::InvitationNew>();
        twin_agrees::<shapes::RoleNew, api::roles::RoleNew>();
        twin_agrees::<shapes::RoleChange, api::roles::RoleChange>();
        twin_agrees::<shapes::TokenNew, api::tokens::TokenNew>();
        twin_agrees::<shapes::RetentionRuleChange, api::retention::RuleChange>();
        twin_agrees::<shapes::LegalHoldLift, api::retention::HoldLift>();
        twin_agrees::<shapes::Cancellation, api::retention::Cancellation>();
        twin_agrees::<shapes::TemplatePreview, api::messaging::PreviewInput>();
        twin_agrees::<shapes::PrivacyRequestNew, api::privacy::RequestNew>();
        twin_agrees::<shapes::PrivacyRequestClose, api::privacy::RequestClose>();
        twin_agrees::<shapes::ErasureChoice, api::privacy::ErasureChoice>();
        twin_agrees::<shapes::PrivacySettings, api::privacy::PrivacySettings>();
        twin_agrees::<shapes::MergeRequest, api::customers::MergeRequest>();
        twin_agrees::<shapes::AuditExportQuery, api::audit::ExportQuery>();
        twin_agrees::<shapes::CustomerExportQuery, api::customers::ExportQuery>();
        twin_agrees::<shapes::ImportQuery, api::customers::ImportQuery>();
        twin_agrees::<shapes::MessageQuery, api::messaging::LogQuery>();
        twin_agrees::<shapes::DailyUsageQuery, api::usage::DailyQuery>();
    }
}

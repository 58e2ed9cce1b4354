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
//! what the API reads and writes. A route names its types where it is declared, in its
//! capability's `routes()`:
//!
//! ```ignore
//! post("/api/v1/roles", roles_api::create).needs(RolesManage).takes::<RoleNew>().answers::<RoleView>()
//! get("/api/v1/audit/events", api::events).needs(AuditRead).query::<AuditQuery>().answers_list::<AuditEventView>()
//! ```
//!
//! The component name of a type is its schema name (`#[schemars(rename = "...")]` keeps
//! the names clients already know). Request bodies are described as their types
//! deserialize (a `#[serde(default)]` field is optional) and responses as they serialize
//! (every field that is always written is required). A type used both ways whose two
//! descriptions differ keeps its name for the request, which the cross-tenant test reads,
//! and its response description is named `<Name>-Output`.

use crate::error::ErrorBody;
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

    fn request(&mut self, schema: SchemaRef) -> Value {
        (schema.add)(&mut self.requests).to_value()
    }

    fn response(&mut self, schema: SchemaRef) -> Value {
        (schema.add)(&mut self.responses).to_value()
    }

    /// One query parameter per property of the operation's query type.
    fn query_parameters(&mut self, query: Option<SchemaRef>) -> Vec<Value> {
        let Some(query) = query else { return Vec::new() };
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

fn operation(summary: &str, permission: &str, path: &str, doc: &ApiDoc, components: &mut Components) -> Value {
    let mut op = Map::new();
    op.insert("summary".into(), json!(summary));
    op.insert("x-steward-permission".into(), json!(permission));
    let mut params: Vec<Value> = path
        .split('/')
        .filter_map(|segment| segment.strip_prefix('{').and_then(|s| s.strip_suffix('}')))
        .map(|name| json!({ "name": name, "in": "path", "required": true, "schema": { "type": "string", "format": "uuid" } }))
        .collect();
    params.extend(components.query_parameters(doc.query));
    if !params.is_empty() {
        op.insert("parameters".into(), Value::Array(params));
    }
    if let Some(request) = doc.request {
        op.insert(
            "requestBody".into(),
            json!({ "required": true, "content": { "application/json": { "schema": components.request(request) } } }),
        );
    }
    let error =
        json!({ "content": { "application/json": { "schema": components.response(schema_of::<ErrorBody>()) } } });
    let mut responses = Map::new();
    let success = match doc.response {
        Some(schema) => {
            let item = components.response(schema);
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
        let op = operation(spec.summary, spec.access.describe(), spec.path, &doc, &mut components);
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

    /// A value of the schema's type, for the examples the request types are checked with.
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

    /// The type accepts everything its schema documents, needs everything the schema
    /// requires, and refuses a field the schema does not have: the serde attributes and the
    /// schemars attributes beside them say the same thing.
    fn schema_agrees<T: JsonSchema + DeserializeOwned>() {
        let mut generator = generator(SchemaSettings::draft2020_12().for_deserialize());
        let schema = generator.subschema_for::<T>().to_value();
        let components = generator.take_definitions(true);
        let schema = resolve(&schema, &components);
        let name = T::schema_name();
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
        let accepts = |object: &Map<String, Value>| serde_json::from_value::<T>(Value::Object(object.clone()));
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
    fn the_handlers_own_request_types_read_what_their_schemas_say() {
        use crate::{access, audit, customers, messaging, privacy, retention, usage};
        schema_agrees::<access::members_api::MemberChange>();
        schema_agrees::<access::members_api::InvitationNew>();
        schema_agrees::<access::roles_api::RoleNew>();
        schema_agrees::<access::roles_api::RoleChange>();
        schema_agrees::<access::tokens_api::TokenNew>();
        schema_agrees::<retention::api::RuleChange>();
        schema_agrees::<retention::api::HoldLift>();
        schema_agrees::<retention::api::Cancellation>();
        schema_agrees::<messaging::api::PreviewInput>();
        schema_agrees::<privacy::api::RequestNew>();
        schema_agrees::<privacy::api::RequestClose>();
        schema_agrees::<privacy::api::ErasureChoice>();
        schema_agrees::<privacy::api::PrivacySettings>();
        schema_agrees::<customers::api::MergeRequest>();
        schema_agrees::<audit::api::ExportQuery>();
        schema_agrees::<customers::api::ExportQuery>();
        schema_agrees::<customers::api::ImportQuery>();
        schema_agrees::<messaging::api::LogQuery>();
        schema_agrees::<usage::api::DailyQuery>();
    }
}

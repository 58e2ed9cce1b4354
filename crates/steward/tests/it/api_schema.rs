//! Every API answer the suite receives is held to the served OpenAPI document: the API
//! client (`harness::Api`) checks each JSON response to an `/api/v1/...` request against
//! the schema its operation documents for that status, and each JSON body the API accepted
//! against the operation's request schema. A mismatch fails the test with the path, the
//! JSON pointer and what differs.
//!
//! The checker covers the JSON Schema the document's generator writes: `$ref`, `type`
//! (one or several), `properties`, `required`, `additionalProperties`, `items`,
//! `prefixItems`, `enum`, `const`, `oneOf`/`anyOf`/`allOf`, the length and range bounds,
//! and the formats `uuid`, `date-time` and `date` (checked by shape, not by calendar).

use serde_json::{Value, json};
use tokio::sync::OnceCell;

/// Where a value differs from its schema.
#[derive(Debug, Clone, PartialEq)]
pub struct Mismatch {
    /// JSON pointer into the checked value.
    pub pointer: String,
    pub problem: String,
}

impl std::fmt::Display for Mismatch {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let pointer = if self.pointer.is_empty() { "(the whole body)" } else { &self.pointer };
        write!(f, "at {pointer}: {}", self.problem)
    }
}

/// Checks `value` against `schema`; `document` is where `$ref`s are looked up.
pub fn check(schema: &Value, value: &Value, document: &Value) -> Result<(), Mismatch> {
    Checker { document, depth: 0 }.check(schema, value, "")
}

struct Checker<'a> {
    document: &'a Value,
    depth: usize,
}

/// Deeper than any real document nests: a `$ref` loop is a broken document.
const MAX_DEPTH: usize = 64;

fn mismatch(pointer: &str, problem: impl Into<String>) -> Mismatch {
    Mismatch { pointer: pointer.to_string(), problem: problem.into() }
}

fn kind_of(value: &Value) -> &'static str {
    match value {
        Value::Null => "null",
        Value::Bool(_) => "boolean",
        Value::Number(n) if n.is_i64() || n.is_u64() => "integer",
        Value::Number(_) => "number",
        Value::String(_) => "string",
        Value::Array(_) => "array",
        Value::Object(_) => "object",
    }
}

fn is_kind(value: &Value, kind: &str) -> bool {
    match (kind, value) {
        ("integer", Value::Number(n)) => n.is_i64() || n.is_u64() || n.as_f64().is_some_and(|f| f.fract() == 0.0),
        ("number", Value::Number(_)) => true,
        _ => kind_of(value) == kind,
    }
}

fn escape(key: &str) -> String {
    key.replace('~', "~0").replace('/', "~1")
}

fn digits(text: &str) -> bool {
    !text.is_empty() && text.bytes().all(|b| b.is_ascii_digit())
}

fn is_date(text: &str) -> bool {
    let parts: Vec<&str> = text.split('-').collect();
    matches!(parts.as_slice(), [y, m, d] if y.len() == 4 && m.len() == 2 && d.len() == 2 && digits(y) && digits(m) && digits(d))
}

/// `2026-03-01T10:30:00Z`, `...T10:30:00.123+05:30`: RFC 3339 by shape.
fn is_date_time(text: &str) -> bool {
    let Some((date, time)) = text.split_once(['T', 't']) else { return false };
    let (clock, zone_ok) = if let Some(clock) = time.strip_suffix(['Z', 'z']) {
        (clock, true)
    } else {
        match time.rfind(['+', '-']) {
            Some(at) => {
                let zone: Vec<&str> = time[at + 1..].split(':').collect();
                (
                    &time[..at],
                    matches!(zone.as_slice(), [h, m] if h.len() == 2 && m.len() == 2 && digits(h) && digits(m)),
                )
            }
            None => (time, false),
        }
    };
    let (whole, fraction) = clock.split_once('.').unwrap_or((clock, "0"));
    let hms: Vec<&str> = whole.split(':').collect();
    is_date(date)
        && zone_ok
        && digits(fraction)
        && matches!(hms.as_slice(), [h, m, s] if [h, m, s].iter().all(|p| p.len() == 2 && digits(p)))
}

fn is_uuid(text: &str) -> bool {
    let groups: Vec<&str> = text.split('-').collect();
    groups.iter().map(|g| g.len()).eq([8, 4, 4, 4, 12])
        && groups.iter().all(|g| g.bytes().all(|b| b.is_ascii_hexdigit()))
}

impl<'a> Checker<'a> {
    fn resolve(&self, reference: &str, pointer: &str) -> Result<&'a Value, Mismatch> {
        let path =
            reference.strip_prefix('#').ok_or_else(|| mismatch(pointer, format!("$ref {reference} is not local")))?;
        self.document.pointer(path).ok_or_else(|| mismatch(pointer, format!("$ref {reference} points nowhere")))
    }

    fn check(&mut self, schema: &Value, value: &Value, pointer: &str) -> Result<(), Mismatch> {
        self.depth += 1;
        let outcome = if self.depth > MAX_DEPTH {
            Err(mismatch(pointer, "schema nests too deep (a $ref loop?)"))
        } else {
            self.check_keywords(schema, value, pointer)
        };
        self.depth -= 1;
        outcome
    }

    fn check_keywords(&mut self, schema: &Value, value: &Value, pointer: &str) -> Result<(), Mismatch> {
        let schema = match schema {
            Value::Bool(true) => return Ok(()),
            Value::Bool(false) => return Err(mismatch(pointer, "no value is allowed here")),
            Value::Object(schema) => schema,
            other => return Err(mismatch(pointer, format!("the schema {other} is not a schema"))),
        };
        if let Some(reference) = schema.get("$ref").and_then(Value::as_str) {
            let target = self.resolve(reference, pointer)?;
            self.check(target, value, pointer)?;
        }
        if let Some(kinds) = schema.get("type") {
            let kinds: Vec<&str> = match kinds {
                Value::Array(kinds) => kinds.iter().filter_map(Value::as_str).collect(),
                kind => kind.as_str().into_iter().collect(),
            };
            if !kinds.iter().any(|kind| is_kind(value, kind)) {
                return Err(mismatch(
                    pointer,
                    format!("expected {}, found {} {value}", kinds.join(" or "), kind_of(value)),
                ));
            }
        }
        if let Some(allowed) = schema.get("enum").and_then(Value::as_array)
            && !allowed.contains(value)
        {
            return Err(mismatch(pointer, format!("{value} is not one of {}", Value::Array(allowed.clone()))));
        }
        if let Some(only) = schema.get("const")
            && only != value
        {
            return Err(mismatch(pointer, format!("expected {only}, found {value}")));
        }
        for sub in schema.get("allOf").and_then(Value::as_array).into_iter().flatten() {
            self.check(sub, value, pointer)?;
        }
        if let Some(options) = schema.get("anyOf").and_then(Value::as_array) {
            let misses: Vec<Mismatch> =
                options.iter().filter_map(|sub| self.check(sub, value, pointer).err()).collect();
            if misses.len() == options.len() {
                return Err(mismatch(pointer, format!("matches none of anyOf: {}", list(&misses))));
            }
        }
        if let Some(options) = schema.get("oneOf").and_then(Value::as_array) {
            let misses: Vec<Mismatch> =
                options.iter().filter_map(|sub| self.check(sub, value, pointer).err()).collect();
            match options.len() - misses.len() {
                1 => {}
                0 => return Err(mismatch(pointer, format!("matches none of oneOf: {}", list(&misses)))),
                n => return Err(mismatch(pointer, format!("matches {n} of oneOf, not exactly one"))),
            }
        }
        match value {
            Value::Object(object) => self.check_object(schema, object, pointer)?,
            Value::Array(items) => self.check_array(schema, items, pointer)?,
            Value::String(text) => check_string(schema, text, pointer)?,
            Value::Number(number) => check_number(schema, number, pointer)?,
            _ => {}
        }
        Ok(())
    }

    fn check_object(
        &mut self,
        schema: &serde_json::Map<String, Value>,
        object: &serde_json::Map<String, Value>,
        pointer: &str,
    ) -> Result<(), Mismatch> {
        for name in schema.get("required").and_then(Value::as_array).into_iter().flatten().filter_map(Value::as_str) {
            if !object.contains_key(name) {
                return Err(mismatch(pointer, format!("the required property {name} is missing")));
            }
        }
        let properties = schema.get("properties").and_then(Value::as_object);
        for (key, item) in object {
            let at = format!("{pointer}/{}", escape(key));
            match (properties.and_then(|p| p.get(key)), schema.get("additionalProperties")) {
                (Some(sub), _) => self.check(sub, item, &at)?,
                (None, Some(Value::Bool(false))) => {
                    return Err(mismatch(&at, format!("the property {key} is not in the schema")));
                }
                (None, Some(more)) => self.check(more, item, &at)?,
                (None, None) => {}
            }
        }
        Ok(())
    }

    fn check_array(
        &mut self,
        schema: &serde_json::Map<String, Value>,
        items: &[Value],
        pointer: &str,
    ) -> Result<(), Mismatch> {
        let bound = |key: &str| schema.get(key).and_then(Value::as_u64).map(|n| n as usize);
        if bound("minItems").is_some_and(|min| items.len() < min)
            || bound("maxItems").is_some_and(|max| items.len() > max)
        {
            return Err(mismatch(pointer, format!("{} items is outside the bounds", items.len())));
        }
        let prefix = schema.get("prefixItems").and_then(Value::as_array).map(Vec::as_slice).unwrap_or_default();
        for (index, item) in items.iter().enumerate() {
            let at = format!("{pointer}/{index}");
            match (prefix.get(index), schema.get("items")) {
                (Some(sub), _) => self.check(sub, item, &at)?,
                (None, Some(sub)) => self.check(sub, item, &at)?,
                (None, None) => {}
            }
        }
        Ok(())
    }
}

fn list(misses: &[Mismatch]) -> String {
    misses.iter().map(ToString::to_string).collect::<Vec<_>>().join("; ")
}

fn check_string(schema: &serde_json::Map<String, Value>, text: &str, pointer: &str) -> Result<(), Mismatch> {
    let length = text.chars().count() as u64;
    if schema.get("minLength").and_then(Value::as_u64).is_some_and(|min| length < min)
        || schema.get("maxLength").and_then(Value::as_u64).is_some_and(|max| length > max)
    {
        return Err(mismatch(pointer, format!("{length} characters is outside the bounds")));
    }
    let shaped = match schema.get("format").and_then(Value::as_str) {
        Some("uuid") => is_uuid(text),
        Some("date-time") => is_date_time(text),
        Some("date") => is_date(text),
        _ => true,
    };
    if !shaped {
        return Err(mismatch(pointer, format!("{text:?} is not a {}", schema["format"])));
    }
    Ok(())
}

fn check_number(
    schema: &serde_json::Map<String, Value>,
    number: &serde_json::Number,
    pointer: &str,
) -> Result<(), Mismatch> {
    let Some(n) = number.as_f64() else { return Ok(()) };
    if schema.get("minimum").and_then(Value::as_f64).is_some_and(|min| n < min)
        || schema.get("maximum").and_then(Value::as_f64).is_some_and(|max| n > max)
    {
        return Err(mismatch(pointer, format!("{number} is outside the bounds")));
    }
    Ok(())
}

/// The served document, fetched once per test process from the first server the API
/// client talks to (every server serves the same one).
static DOCUMENT: OnceCell<Value> = OnceCell::const_new();

async fn document(base: &str) -> &'static Value {
    DOCUMENT
        .get_or_init(|| async {
            let response =
                crate::harness::client().get(format!("{base}/api/v1/openapi.json")).send().await.expect("the document");
            response.json().await.expect("the document is JSON")
        })
        .await
}

/// The path template of the document that `path` (without its query) is an instance of,
/// the most literal one first: `/customers/duplicates` before `/customers/{customer_id}`.
fn template_of<'a>(document: &'a Value, path: &str) -> Option<&'a str> {
    let segments: Vec<&str> = path.split('/').collect();
    let paths = document["paths"].as_object()?;
    paths
        .keys()
        .filter(|template| {
            let parts: Vec<&str> = template.split('/').collect();
            parts.len() == segments.len()
                && parts.iter().zip(&segments).all(|(part, segment)| {
                    (part.starts_with('{') && part.ends_with('}') && !segment.is_empty()) || part == segment
                })
        })
        .max_by_key(|template| template.split('/').filter(|part| !part.starts_with('{')).count())
        .map(String::as_str)
}

/// One exchange with the API, as the client saw it.
pub struct Exchange<'a> {
    pub base: &'a str,
    pub method: &'a str,
    pub path: &'a str,
    pub request: Option<&'a Value>,
    pub status: u16,
    pub content_type: &'a str,
    pub body: &'a str,
}

/// Panics, naming the operation, the JSON pointer and what differs, when the exchange
/// does not match the served document. Paths outside `/api/v1/` and operations the
/// document does not list (the suite probes some on purpose) are not checked.
pub async fn hold_to_document(exchange: Exchange<'_>) {
    let path = exchange.path.split('?').next().unwrap_or_default();
    if !path.starts_with("/api/v1/") || path == "/api/v1/openapi.json" {
        return;
    }
    let document = document(exchange.base).await;
    let method = exchange.method.to_ascii_lowercase();
    let Some(template) = template_of(document, path) else { return };
    let Some(operation) = document["paths"][template].get(&method) else { return };
    let what = format!("{} {path} ({template}) answered {}", exchange.method, exchange.status);
    if let Err(problem) = check_exchange(document, operation, &exchange) {
        panic!("{what}, not as the OpenAPI document says: {problem}\nbody: {}", exchange.body);
    }
}

fn check_exchange(document: &Value, operation: &Value, exchange: &Exchange<'_>) -> Result<(), String> {
    let responses = &operation["responses"];
    let documented = responses.get(exchange.status.to_string()).or_else(|| responses.get("default"));
    let Some(documented) = documented else {
        return Err("the document lists no such status".into());
    };
    let media_type = exchange.content_type.split(';').next().unwrap_or_default().trim();
    let json = media_type.eq_ignore_ascii_case("application/json");
    match (documented["content"]["application/json"].get("schema"), json) {
        (Some(schema), true) => {
            let body: Value = serde_json::from_str(exchange.body).map_err(|e| format!("the body is not JSON: {e}"))?;
            check(schema, &body, document).map_err(|m| format!("response {m}"))?;
        }
        (Some(_), false) if (200..300).contains(&exchange.status) => {
            return Err(format!("the body is {:?}, not the documented JSON", exchange.content_type));
        }
        (None, true) => return Err("a JSON body where the document promises none".into()),
        _ => {}
    }
    // An operation that documents no body ignores one; the suite sends `{}` to some.
    let schema = operation["requestBody"]["content"]["application/json"].get("schema");
    if let (true, Some(schema), Some(sent)) = ((200..300).contains(&exchange.status), schema, exchange.request) {
        check(schema, sent, document).map_err(|m| format!("the accepted request body {m}"))?;
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn document() -> Value {
        json!({ "components": { "schemas": {
            "Thing": { "type": "object", "additionalProperties": false, "required": ["id", "kind"], "properties": {
                "id": { "type": "string", "format": "uuid" },
                "kind": { "$ref": "#/components/schemas/Kind" },
                "at": { "type": ["string", "null"], "format": "date-time" },
                "tags": { "type": "array", "items": { "type": "string" }, "maxItems": 2 },
                "pair": { "type": "array", "prefixItems": [{ "type": "string" }, { "type": "integer", "minimum": 0 }] },
                "amount": { "anyOf": [{ "type": "string" }, { "type": "number" }] },
                "choice": { "oneOf": [{ "const": "a" }, { "type": "string", "enum": ["b", "c"] }] },
                "name": { "type": "string", "maxLength": 3 },
            } },
            "Kind": { "type": "string", "enum": ["one", "two"] },
        } } })
    }

    fn thing() -> Value {
        json!({ "$ref": "#/components/schemas/Thing" })
    }

    fn fails_at(value: Value) -> String {
        check(&thing(), &value, &document()).expect_err("a mismatch").pointer
    }

    const ID: &str = "0190a5b2-7c3d-7e4f-8a1b-2c3d4e5f6a7b";

    #[test]
    fn accepts_what_the_schema_allows() {
        let good = [
            json!({ "id": ID, "kind": "one" }),
            json!({ "id": ID, "kind": "two", "at": null, "tags": ["x", "y"], "pair": ["rows", 3], "amount": 4.5,
                "choice": "c", "name": "abc" }),
            json!({ "id": ID, "kind": "one", "at": "2026-03-01T10:30:00Z", "amount": "499.50", "choice": "a" }),
            json!({ "id": ID, "kind": "one", "at": "2026-03-01T10:30:00.25+05:30" }),
        ];
        for value in good {
            assert_eq!(check(&thing(), &value, &document()), Ok(()), "{value}");
        }
    }

    #[test]
    fn refuses_and_points_at_what_differs() {
        assert_eq!(fails_at(json!({ "kind": "one" })), "");
        assert_eq!(fails_at(json!({ "id": "not-a-uuid", "kind": "one" })), "/id");
        assert_eq!(fails_at(json!({ "id": ID, "kind": "three" })), "/kind");
        assert_eq!(fails_at(json!({ "id": ID, "kind": "one", "extra": 1 })), "/extra");
        assert_eq!(fails_at(json!({ "id": ID, "kind": "one", "at": "2026-03-01 10:30" })), "/at");
        assert_eq!(fails_at(json!({ "id": ID, "kind": "one", "tags": ["x", 2] })), "/tags/1");
        assert_eq!(fails_at(json!({ "id": ID, "kind": "one", "tags": ["x", "y", "z"] })), "/tags");
        assert_eq!(fails_at(json!({ "id": ID, "kind": "one", "pair": ["rows", -1] })), "/pair/1");
        assert_eq!(fails_at(json!({ "id": ID, "kind": "one", "amount": true })), "/amount");
        assert_eq!(fails_at(json!({ "id": ID, "kind": "one", "choice": "d" })), "/choice");
        assert_eq!(fails_at(json!({ "id": ID, "kind": "one", "name": "abcd" })), "/name");
        assert_eq!(fails_at(json!([])), "");
        let problem = check(&thing(), &json!({ "id": 7, "kind": "one" }), &document()).unwrap_err().problem;
        assert_eq!(problem, "expected string, found integer 7");
    }

    #[test]
    fn a_broken_reference_is_a_mismatch_not_a_pass() {
        let missing = json!({ "$ref": "#/components/schemas/Nothing" });
        assert!(check(&missing, &json!(1), &document()).unwrap_err().problem.contains("points nowhere"));
    }

    #[test]
    fn paths_match_their_most_literal_template() {
        let document = json!({ "paths": { "/api/v1/customers/{customer_id}": {}, "/api/v1/customers/duplicates": {},
            "/api/v1/customers": {} } });
        assert_eq!(template_of(&document, "/api/v1/customers/duplicates"), Some("/api/v1/customers/duplicates"));
        assert_eq!(template_of(&document, &format!("/api/v1/customers/{ID}")), Some("/api/v1/customers/{customer_id}"));
        assert_eq!(template_of(&document, "/api/v1/customers"), Some("/api/v1/customers"));
        assert_eq!(template_of(&document, "/api/v1/customers/a/b"), None);
    }
}

/// The served document's schemas refuse what the API must never send, so the check
/// cannot pass by accident.
#[tokio::test]
async fn the_served_document_refuses_a_wrong_answer() {
    let server = crate::harness::TestServer::start().await;
    let fixture = server.tenant("schema-co").await;
    let me = server.api(&fixture.owner_token).get("/api/v1/me").await.json();
    let document = document(&server.base).await;
    let operation = &document["paths"]["/api/v1/me"]["get"];
    let schema = &operation["responses"]["200"]["content"]["application/json"]["schema"];
    assert_eq!(check(schema, &me, document), Ok(()));
    let mut wrong = me.clone();
    wrong["member_id"] = json!(42);
    assert_eq!(check(schema, &wrong, document).unwrap_err().pointer, "/member_id");
    let mut missing = me;
    missing.as_object_mut().unwrap().remove("permissions");
    assert!(check(schema, &missing, document).is_err());
}

/// Success answers the rest of the suite never receives through the API client, each held
/// to the document by the client itself.
#[tokio::test]
async fn answers_the_rest_of_the_suite_leaves_unchecked_match_the_document() {
    use reqwest::Method;
    let server = crate::harness::TestServer::start().await;
    let fixture = server.tenant("shapes-co").await;
    let api = server.api(&fixture.owner_token);
    let ok = |page: &crate::harness::Page| assert!(page.status.is_success(), "{}: {}", page.status, page.body);
    let id = |page: &crate::harness::Page| match page.json()["id"].as_str() {
        Some(id) => id.to_string(),
        None => panic!("no id in {}: {}", page.status, page.body),
    };

    let location = api.call(Method::POST, "/api/v1/locations", Some(json!({ "name": "Main Road" }))).await;
    let location = id(&location);
    for page in [
        api.get(&format!("/api/v1/locations/{location}")).await,
        api.call(Method::PATCH, &format!("/api/v1/locations/{location}"), Some(json!({ "address": "1 Main Road" })))
            .await,
    ] {
        ok(&page);
    }
    let service = api
        .call(Method::POST, "/api/v1/services", Some(json!({ "name": "Cut", "duration_minutes": 30, "price": 499 })))
        .await;
    let service = id(&service);
    let staff =
        api.call(Method::POST, "/api/v1/staff", Some(json!({ "name": "Meera", "service_ids": [service] }))).await;
    let staff = id(&staff);
    let range = json!({ "start": "10:00", "end": "14:00", "location_id": location });
    for page in [
        api.get(&format!("/api/v1/services/{service}")).await,
        api.call(Method::PATCH, &format!("/api/v1/services/{service}"), Some(json!({ "gst_rate": "18" }))).await,
        api.get(&format!("/api/v1/staff/{staff}")).await,
        api.call(Method::PATCH, &format!("/api/v1/staff/{staff}"), Some(json!({ "active": true }))).await,
        api.call(
            Method::POST,
            &format!("/api/v1/staff/{staff}/overrides"),
            Some(json!({ "date": "2031-01-06", "ranges": [range] })),
        )
        .await,
        api.get(&format!("/api/v1/staff/{staff}/time-off")).await,
    ] {
        ok(&page);
    }

    let customer = api.call(Method::POST, "/api/v1/customers", Some(json!({ "name": "Kavya Rao" }))).await;
    let customer = id(&customer);
    let consents = api
        .call(
            Method::POST,
            &format!("/api/v1/customers/{customer}/consents"),
            Some(json!({ "channel": "sms", "purpose": "reminders", "granted": true, "source": "form" })),
        )
        .await;
    ok(&consents);
    assert_eq!(consents.json().as_array().map(Vec::len), Some(1));
    let csv = b"Name,Phone\nKavya Rao,9845012345\n".to_vec();
    ok(&api.raw(Method::POST, "/api/v1/customers/import/preview", "text/csv", csv).await);
    let field = api
        .call(
            Method::POST,
            "/api/v1/customer-fields",
            Some(json!({ "label": "Allergies", "kind": "text", "data_class": "sensitive" })),
        )
        .await;
    let field = id(&field);
    ok(&api
        .call(Method::PATCH, &format!("/api/v1/customer-fields/{field}"), Some(json!({ "label": "Allergy" })))
        .await);

    let role = api
        .call(Method::POST, "/api/v1/roles", Some(json!({ "name": "front desk", "permissions": ["customers.read"] })))
        .await;
    ok(&api.get(&format!("/api/v1/roles/{}", id(&role))).await);
    let request = api
        .call(Method::POST, "/api/v1/privacy/requests", Some(json!({ "customer_id": customer, "kind": "access" })))
        .await;
    ok(&api.get(&format!("/api/v1/privacy/requests/{}", id(&request))).await);
}

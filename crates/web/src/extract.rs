//! Extractors that turn a request into what a handler needs, with errors that name the
//! field: JSON bodies, path ids, the signed-in principal, the client's address, cookies.

use crate::client_address::ClientAddress;
use crate::error::{ApiError, Failure};
use axum::body::Bytes;
use axum::extract::{FromRequest, FromRequestParts, Request};
use axum::http::request::Parts;
use axum::http::{HeaderMap, StatusCode, header};
use serde::de::DeserializeOwned;
use steward_app::access::auth::ClientInfo;
use steward_app::access::principal::Principal;

/// A JSON request body. Malformed JSON is a 400 with line and column; a value of the wrong
/// type, a missing or an unknown field is a 422 naming the field; too large is a 413.
pub struct JsonBody<T>(pub T);

impl<S: Send + Sync, T: DeserializeOwned> FromRequest<S> for JsonBody<T> {
    type Rejection = ApiError;

    async fn from_request(req: Request, state: &S) -> Result<Self, Self::Rejection> {
        let is_json =
            req.headers().get(header::CONTENT_TYPE).and_then(|v| v.to_str().ok()).is_some_and(|v| {
                v.split(';').next().is_some_and(|m| m.trim().eq_ignore_ascii_case("application/json"))
            });
        if !is_json {
            return Err(Failure::new(
                StatusCode::UNSUPPORTED_MEDIA_TYPE,
                "unsupported_media_type",
                "send the body as application/json",
            )
            .into());
        }
        let bytes = Bytes::from_request(req, state).await.map_err(|rejection| {
            if rejection.status() == StatusCode::PAYLOAD_TOO_LARGE {
                Failure::new(StatusCode::PAYLOAD_TOO_LARGE, "too_large", "the request body is too large")
            } else {
                Failure::new(StatusCode::BAD_REQUEST, "bad_body", "the request body could not be read")
            }
        })?;
        parse_json(&bytes).map(JsonBody).map_err(ApiError)
    }
}

/// Parses JSON, describing a failure by field.
pub fn parse_json<T: DeserializeOwned>(bytes: &[u8]) -> Result<T, Failure> {
    let mut deserializer = serde_json::Deserializer::from_slice(bytes);
    match serde_path_to_error::deserialize::<_, T>(&mut deserializer) {
        Ok(value) => Ok(value),
        Err(error) => {
            let path = error.path().to_string();
            let inner = error.into_inner();
            if inner.is_syntax() || inner.is_eof() {
                return Err(Failure::new(
                    StatusCode::BAD_REQUEST,
                    "malformed_json",
                    format!("the body is not valid JSON (line {}, column {})", inner.line(), inner.column()),
                ));
            }
            let message = inner.to_string();
            let field =
                field_from_message(&message).unwrap_or_else(|| if path == "." { String::new() } else { path.clone() });
            let message = message.split(" at line ").next().unwrap_or(&message).to_string();
            let failure = Failure::new(StatusCode::UNPROCESSABLE_ENTITY, "invalid", message);
            Err(if field.is_empty() { failure } else { failure.with_field(field) })
        }
    }
}

/// Query-string parameters of an API request: a value of the wrong type or an unknown
/// parameter is a 422 naming it, in the API's JSON error form.
pub struct ApiQuery<T>(pub T);

impl<S: Send + Sync, T: DeserializeOwned> FromRequestParts<S> for ApiQuery<T> {
    type Rejection = ApiError;

    async fn from_request_parts(parts: &mut Parts, _: &S) -> Result<Self, Self::Rejection> {
        let query = parts.uri.query().unwrap_or_default();
        let deserializer = serde_urlencoded::Deserializer::new(form_urlencoded::parse(query.as_bytes()));
        serde_path_to_error::deserialize::<_, T>(deserializer).map(ApiQuery).map_err(|error| {
            let path = error.path().to_string();
            let message = error.into_inner().to_string();
            let field = field_from_message(&message).unwrap_or(path);
            ApiError(
                Failure::new(StatusCode::UNPROCESSABLE_ENTITY, "invalid", format!("{field}: {message}"))
                    .with_field(field),
            )
        })
    }
}

/// serde names unknown and missing fields inside its message (`unknown field \`x\``).
fn field_from_message(message: &str) -> Option<String> {
    for marker in ["unknown field `", "missing field `"] {
        if let Some(rest) = message.split(marker).nth(1) {
            return rest.split('`').next().map(str::to_string);
        }
    }
    None
}

/// The signed-in member, put there by the route's guard.
pub struct Auth(pub Principal);

impl<S: Send + Sync> FromRequestParts<S> for Auth {
    type Rejection = ApiError;

    async fn from_request_parts(parts: &mut Parts, _: &S) -> Result<Self, Self::Rejection> {
        parts.extensions.get::<Principal>().cloned().map(Auth).ok_or_else(|| {
            Failure::new(StatusCode::UNAUTHORIZED, "unauthenticated", "sign in, or send a valid API token").into()
        })
    }
}

/// Where the request came from, for rate limits and the session record.
pub struct Client(pub ClientInfo);

impl<S: Send + Sync> FromRequestParts<S> for Client {
    type Rejection = std::convert::Infallible;

    async fn from_request_parts(parts: &mut Parts, _: &S) -> Result<Self, Self::Rejection> {
        Ok(Client(client_info(parts)))
    }
}

/// The client's address (as client_address.rs decided it), browser and this request's id.
pub fn client_info(parts: &Parts) -> ClientInfo {
    let ip = parts.extensions.get::<ClientAddress>().map(|ClientAddress(address)| address.to_string());
    let user_agent =
        parts.headers.get(header::USER_AGENT).and_then(|v| v.to_str().ok()).map(|ua| ua.chars().take(300).collect());
    let request_id = parts.extensions.get::<crate::security::RequestId>().map(|id| id.0.clone());
    ClientInfo { ip, user_agent, request_id }
}

/// Parses an id from the path; a malformed one is a 400 naming the parameter.
pub fn parse_id<T: std::str::FromStr>(field: &str, raw: &str) -> Result<T, Failure> {
    raw.parse().map_err(|_| {
        Failure::new(StatusCode::BAD_REQUEST, "invalid", format!("{field}: is not a valid id")).with_field(field)
    })
}

/// The value of one cookie.
pub fn cookie(headers: &HeaderMap, name: &str) -> Option<String> {
    headers
        .get_all(header::COOKIE)
        .iter()
        .filter_map(|v| v.to_str().ok())
        .flat_map(|v| v.split(';'))
        .filter_map(|pair| pair.trim().split_once('='))
        .find(|(key, _)| *key == name)
        .map(|(_, value)| value.to_string())
}

/// A `Set-Cookie` value: always HttpOnly, Secure, SameSite=Lax, for the whole site.
pub fn set_cookie(name: &str, value: &str, max_age_seconds: i64) -> String {
    format!("{name}={value}; Path=/; Max-Age={max_age_seconds}; HttpOnly; Secure; SameSite=Lax")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[derive(serde::Deserialize, Debug)]
    #[serde(deny_unknown_fields)]
    #[allow(dead_code)]
    struct Sample {
        name: String,
        count: u8,
    }

    #[test]
    fn json_errors_name_the_field() {
        let unknown = parse_json::<Sample>(br#"{"name":"a","count":1,"extra":2}"#).err().and_then(|f| f.field);
        assert_eq!(unknown.as_deref(), Some("extra"));
        let missing = parse_json::<Sample>(br#"{"name":"a"}"#).err().and_then(|f| f.field);
        assert_eq!(missing.as_deref(), Some("count"));
        let wrong = parse_json::<Sample>(br#"{"name":"a","count":"x"}"#).err().and_then(|f| f.field);
        assert_eq!(wrong.as_deref(), Some("count"));
        let malformed = parse_json::<Sample>(b"{\"name\":").err().map(|f| f.status);
        assert_eq!(malformed, Some(StatusCode::BAD_REQUEST));
    }

    #[test]
    fn cookies_are_found_by_name() {
        let mut headers = HeaderMap::new();
        headers.insert(header::COOKIE, "a=1; steward_session=xyz; b=2".parse().unwrap());
        assert_eq!(cookie(&headers, "steward_session").as_deref(), Some("xyz"));
        assert_eq!(cookie(&headers, "missing"), None);
    }
}

//! The one place where a service error becomes an HTTP status. The API answers
//! `{"error": {"code", "message", "field"}}`; pages answer with an HTML page (or a
//! redirect to log in). Internal details are logged with the request id, never shown.

use axum::http::{HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use serde::Serialize;
use steward_app::AppError;

/// A failure as the client sees it.
#[derive(Debug, Clone)]
pub struct Failure {
    pub status: StatusCode,
    pub code: &'static str,
    pub message: String,
    pub field: Option<String>,
    pub retry_after: Option<u64>,
    /// For a time already taken: the next free start times.
    pub next_free: Option<Box<Vec<String>>>,
    /// For a 500: what went wrong inside, logged with the request id and never shown.
    pub internal: Option<String>,
}

impl Failure {
    pub fn new(status: StatusCode, code: &'static str, message: impl Into<String>) -> Self {
        Self { status, code, message: message.into(), field: None, retry_after: None, next_free: None, internal: None }
    }

    pub fn with_field(mut self, field: impl Into<String>) -> Self {
        self.field = Some(field.into());
        self
    }
}

/// Maps every service error to what the client is told.
pub fn describe(error: &AppError) -> Failure {
    match error {
        AppError::Invalid(v) => {
            Failure::new(StatusCode::UNPROCESSABLE_ENTITY, "invalid", v.to_string()).with_field(&v.field)
        }
        AppError::Conflict { field, message } => {
            Failure::new(StatusCode::CONFLICT, "conflict", format!("{field}: {message}")).with_field(field)
        }
        AppError::NotFound => Failure::new(StatusCode::NOT_FOUND, "not_found", "nothing was found at this address"),
        AppError::Unauthenticated => {
            Failure::new(StatusCode::UNAUTHORIZED, "unauthenticated", "sign in, or send a valid API token")
        }
        AppError::BadCredentials => Failure::new(StatusCode::UNAUTHORIZED, "bad_credentials", error.to_string()),
        AppError::Forbidden(_) => Failure::new(StatusCode::FORBIDDEN, "forbidden", error.to_string()),
        AppError::RateLimited(seconds) => Failure {
            retry_after: Some(*seconds),
            ..Failure::new(StatusCode::TOO_MANY_REQUESTS, "rate_limited", error.to_string())
        },
        AppError::BadSignature => Failure::new(StatusCode::FORBIDDEN, "bad_signature", error.to_string()),
        AppError::LinkInvalid => Failure::new(StatusCode::GONE, "link_invalid", error.to_string()),
        AppError::SlotTaken { message, next_free } => Failure {
            next_free: Some(Box::new(next_free.clone())),
            ..Failure::new(StatusCode::CONFLICT, "slot_taken", message.clone()).with_field("start")
        },
        AppError::Overlap => {
            Failure::new(StatusCode::CONFLICT, "slot_taken", "start: the staff member is already booked at this time")
                .with_field("start")
        }
        AppError::NotAllowed(message) => Failure::new(StatusCode::CONFLICT, "not_allowed", message.clone()),
        AppError::Busy => {
            Failure::new(StatusCode::SERVICE_UNAVAILABLE, "busy", "Steward is busy; try again in a moment")
        }
        AppError::ShuttingDown => {
            Failure::new(StatusCode::SERVICE_UNAVAILABLE, "stopping", "Steward is restarting; try again in a moment")
        }
        AppError::Store(_) | AppError::Crypto(_) | AppError::Internal(_) => Failure {
            internal: Some(error.to_string()),
            ..Failure::new(
                StatusCode::INTERNAL_SERVER_ERROR,
                "internal",
                "something went wrong on our side; it has been logged",
            )
        },
    }
}

/// A failure answered as JSON, for the API.
#[derive(Debug)]
pub struct ApiError(pub Failure);

impl From<AppError> for ApiError {
    fn from(error: AppError) -> Self {
        ApiError(describe(&error))
    }
}

impl From<Failure> for ApiError {
    fn from(failure: Failure) -> Self {
        ApiError(failure)
    }
}

impl IntoResponse for ApiError {
    fn into_response(self) -> Response {
        let Failure { status, code, message, field, retry_after, next_free, internal } = self.0;
        let body = ErrorBody { error: ErrorDetail { code, message, field, next_free: next_free.map(|times| *times) } };
        let mut response = (status, axum::Json(body)).into_response();
        if let Some(internal) = internal {
            response.extensions_mut().insert(crate::security::InternalError(internal));
        }
        if let Some(seconds) = retry_after
            && let Ok(value) = HeaderValue::from_str(&seconds.to_string())
        {
            response.headers_mut().insert(header::RETRY_AFTER, value);
        }
        response
    }
}

pub type ApiResult<T> = Result<T, ApiError>;

/// Every failure of the API: `{"error": {"code", "message", "field"}}`.
#[derive(Serialize, schemars::JsonSchema)]
#[schemars(rename = "Error")]
pub struct ErrorBody {
    pub error: ErrorDetail,
}

/// What went wrong, for a program and for a person.
#[derive(Serialize, schemars::JsonSchema)]
pub struct ErrorDetail {
    /// A stable word: `invalid`, `not_found`, `conflict`, `slot_taken`, ...
    pub code: &'static str,
    pub message: String,
    /// The field at fault, when one is.
    pub field: Option<String>,
    /// A taken time: the next free start times.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub next_free: Option<Vec<String>>,
}

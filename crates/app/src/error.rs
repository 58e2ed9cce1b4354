//! The services' one error type. The web layer maps it to HTTP in one place; the CLI
//! prints it. Messages are for the user and never carry a personal value or a secret.

use steward_domain::ValidationError;
use steward_store::StoreError;

#[derive(Debug, thiserror::Error)]
pub enum AppError {
    /// Input that breaks a rule, naming the field.
    #[error(transparent)]
    Invalid(#[from] ValidationError),
    /// A value that must be unique already exists, naming the field.
    #[error("{field}: {message}")]
    Conflict { field: String, message: String },
    /// Nothing with that id in this tenant (also what another tenant's id gets).
    #[error("not found")]
    NotFound,
    /// Not signed in, or the session or token is not valid.
    #[error("sign in first")]
    Unauthenticated,
    /// Wrong email, password or workspace; deliberately does not say which.
    #[error("the workspace, email or password is not right")]
    BadCredentials,
    /// Signed in, but the role or token lacks the permission.
    #[error("your role does not allow this (needs {0})")]
    Forbidden(String),
    /// Too many attempts; try again after this many seconds.
    #[error("too many attempts; try again in {0} seconds")]
    RateLimited(u64),
    /// A link that was already used, has expired, or never existed.
    #[error("this link has expired or was already used")]
    LinkInvalid,
    /// The time asked for was taken (or is held) by someone else; these are the next free
    /// start times, as the client's time zone writes them.
    #[error("{message}")]
    SlotTaken { message: String, next_free: Vec<String> },
    /// The request would break a rule about the current state ("the last owner").
    #[error("{0}")]
    NotAllowed(String),
    /// A provider callback whose signature is missing or does not match.
    #[error("the request's signature is missing or does not match")]
    BadSignature,
    /// The database refused an appointment that overlaps another of the same staff member:
    /// someone booked the time a moment before.
    #[error("storage: {}", StoreError::Overlap)]
    Overlap,
    /// The database was busy with other writes for too long; trying again may work.
    #[error("storage: {}", StoreError::Busy)]
    Busy,
    /// The server is shutting down and takes no more writes.
    #[error("storage: {}", StoreError::WriterStopped)]
    ShuttingDown,
    /// Any other failure of the store: a fault, never the user's.
    #[error("storage: {0}")]
    Store(StoreError),
    #[error("cryptography: {0}")]
    Crypto(#[from] steward_crypto::CryptoError),
    #[error("internal: {0}")]
    Internal(String),
}

impl From<StoreError> for AppError {
    /// The store's failures that a user can act on get their own variants here, so what
    /// they are told is decided without knowing the store.
    fn from(error: StoreError) -> Self {
        match error {
            StoreError::Overlap => AppError::Overlap,
            StoreError::Busy => AppError::Busy,
            StoreError::WriterStopped => AppError::ShuttingDown,
            other => AppError::Store(other),
        }
    }
}

impl AppError {
    pub fn conflict(field: &str, message: &str) -> Self {
        AppError::Conflict { field: field.to_string(), message: message.to_string() }
    }

    pub fn invalid(field: &str, message: &str) -> Self {
        AppError::Invalid(ValidationError::new(field, message))
    }
}

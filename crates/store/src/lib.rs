//! Steward's storage.
//!
//! One [`Store`] per deployment, on SQLite (the embedded default) or PostgreSQL, chosen
//! once from the database URL. The backend-specific parts (connecting, migrations,
//! opening a tenant transaction, checking row-level security) live in [`sqlite`] and
//! [`postgres`]; the queries are written once, in SQL both backends accept, and run
//! through [`TenantTx`], the only door to tenant tables.
//!
//! Times are stored as BIGINT microseconds since the Unix epoch (UTC) in both backends:
//! identical column types are what let one SQL text and one row mapping serve both.

pub mod access;
pub mod audit;
pub mod backup;
pub mod booking;
pub mod citus;
pub mod customers;
pub mod egress;
pub mod error;
pub mod keystore;
pub mod messaging;
pub mod migrations;
pub mod postgres;
pub mod privacy;
pub mod private_files;
pub mod retention;
pub mod schema;
pub mod sqlite;
pub mod tenancy;
pub mod tx;
pub mod usage;
pub mod value;
pub mod write;
mod writer_thread;

pub use error::StoreError;
pub use tx::{DatabaseWarning, PlatformTx, Store, StoreKind, TenantTx};
pub use value::{Row, Value};
pub use write::Checks;

/// Microseconds since the Unix epoch: how Steward stores an instant.
pub type Micros = i64;

//! Steward's domain: the types and rules every capability shares, with no I/O.
//!
//! Nothing here knows about a database, HTTP or the clock of the machine; callers pass
//! in what the rules need, which is what lets most of Steward be tested as plain functions.

pub mod audit;
pub mod booking;
pub mod classification;
pub mod contact;
pub mod csv_out;
pub mod customers;
pub mod error;
pub mod gstin;
pub mod human;
pub mod ids;
pub mod language;
pub mod look;
pub mod messaging;
pub mod micros;
pub mod password_policy;
pub mod permissions;
pub mod policy;
pub mod privacy;
pub mod processors;
pub mod reports;
pub mod retention;
pub mod slug;
pub mod theme;
pub mod time;
pub mod time_zone;
pub mod user_agent;

pub use error::ValidationError;

//! The JSON API under `/api/v1`, one module per capability. Handlers only translate:
//! JSON in, a service call, JSON out.

pub mod audit;
pub mod booking;
pub mod customers;
pub mod me;
pub mod members;
pub mod messaging;
pub mod privacy;
pub mod retention;
pub mod roles;
pub mod tenant;
pub mod tokens;
pub mod usage;

//! Tenants: sign-up (a business and its owner, in one transaction), the business profile,
//! its booking page's look, and the operator's list.

pub mod look;
mod service;
pub use service::*;

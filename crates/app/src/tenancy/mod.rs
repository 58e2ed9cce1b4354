//! Tenants: sign-up (a business and its owner, in one transaction), the business profile,
//! and the operator's list.

mod service;
pub use service::*;

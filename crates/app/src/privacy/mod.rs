//! Privacy: the notices a deployment and each business show, generated from what Steward
//! actually does (POL-2).

pub mod notice;
pub mod person;
pub mod requests;
pub mod zip;

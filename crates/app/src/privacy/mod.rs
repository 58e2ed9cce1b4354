//! Privacy: the notices a deployment and each business show, generated from what Steward
//! actually does (POL-2); people's requests, one person's export and erasure, and the
//! operator's way to run those on a business's instruction.

pub mod notice;
pub mod operator;
pub mod person;
pub mod requests;
pub mod zip;

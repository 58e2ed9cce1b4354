//! The rows of people's privacy requests, and the statements erasure and the access
//! export run for one person.

pub mod person;
pub mod requests;

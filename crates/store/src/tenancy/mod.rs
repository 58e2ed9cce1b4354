//! Tenants (platform table) and the record of which policy version each owner accepted.

pub mod policy;
pub mod tenants;

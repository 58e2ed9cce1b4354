//! Tenants (platform table), the record of which policy version each owner accepted, and
//! how each business's public pages look.

pub mod looks;
pub mod policy;
pub mod tenants;

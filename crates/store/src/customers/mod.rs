//! Customer records and everything hung on them: search terms, tags, notes, consents and
//! the tenant's own fields. Sensitive values arrive here already sealed.

pub mod consents;
pub mod fields;
pub mod notes;
pub mod records;

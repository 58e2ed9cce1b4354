//! Versions of Steward's terms and privacy policy (POL-1). Every version ever published
//! stays listed; sign-up records which one the new owner accepted.

/// A published version of the policy a new tenant accepts.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct PolicyVersion {
    pub version: &'static str,
    pub published_on: &'static str,
    pub summary: &'static str,
}

/// Every version, oldest first. Add a new entry to publish a change; never edit one.
pub const POLICY_VERSIONS: &[PolicyVersion] = &[PolicyVersion {
    version: "2026-11-01",
    published_on: "2026-11-01",
    summary: "First published terms and privacy policy of Steward.",
}];

/// The version a sign-up accepts today.
pub fn current_policy() -> PolicyVersion {
    POLICY_VERSIONS[POLICY_VERSIONS.len() - 1]
}

//! People's requests about their data (DSR-1, DSR-2, DSR-3): kinds, due dates by
//! jurisdiction, the one-time code that proves who asks, and the erasure plan, which is
//! derived from the data-class registry so that a table holding people that erasure does
//! not know about stops every erasure, naming the field.

use crate::classification::{COLUMNS, DataClass};
use serde::Serialize;

/// What a person asks for.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum RequestKind {
    Access,
    Correction,
    Erasure,
}

impl RequestKind {
    pub fn name(self) -> &'static str {
        match self {
            RequestKind::Access => "access",
            RequestKind::Correction => "correction",
            RequestKind::Erasure => "erasure",
        }
    }

    pub fn parse(raw: &str) -> Option<Self> {
        [RequestKind::Access, RequestKind::Correction, RequestKind::Erasure].into_iter().find(|k| k.name() == raw)
    }
}

/// Where a request stands: asked but not yet proved with the code, open until the
/// business answers it, then done or rejected; or expired unproved.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum RequestStatus {
    Unverified,
    Open,
    Done,
    Rejected,
    Expired,
}

impl RequestStatus {
    pub const ALL: [RequestStatus; 5] = [
        RequestStatus::Unverified,
        RequestStatus::Open,
        RequestStatus::Done,
        RequestStatus::Rejected,
        RequestStatus::Expired,
    ];

    pub fn name(self) -> &'static str {
        match self {
            RequestStatus::Unverified => "unverified",
            RequestStatus::Open => "open",
            RequestStatus::Done => "done",
            RequestStatus::Rejected => "rejected",
            RequestStatus::Expired => "expired",
        }
    }

    pub fn parse(raw: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|s| s.name() == raw)
    }
}

/// The law a business answers requests under, which sets the due date.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Jurisdiction {
    /// EU and UK GDPR: one month, taken as 30 days.
    Gdpr,
    /// India's DPDP Act 2023 and its 2025 Rules: within 90 days.
    Dpdp,
    /// California (CCPA/CPRA): 45 days.
    Ccpa,
}

impl Jurisdiction {
    pub const ALL: [Jurisdiction; 3] = [Jurisdiction::Gdpr, Jurisdiction::Dpdp, Jurisdiction::Ccpa];

    pub fn name(self) -> &'static str {
        match self {
            Jurisdiction::Gdpr => "gdpr",
            Jurisdiction::Dpdp => "dpdp",
            Jurisdiction::Ccpa => "ccpa",
        }
    }

    pub fn label(self) -> &'static str {
        match self {
            Jurisdiction::Gdpr => "GDPR (EU, UK): 30 days",
            Jurisdiction::Dpdp => "India, DPDP Act: 90 days",
            Jurisdiction::Ccpa => "California, CCPA: 45 days",
        }
    }

    pub fn days(self) -> i64 {
        match self {
            Jurisdiction::Gdpr => 30,
            Jurisdiction::Dpdp => 90,
            Jurisdiction::Ccpa => 45,
        }
    }

    pub fn parse(raw: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|j| j.name() == raw)
    }

    /// When a request verified (or opened) at `from` is due.
    pub fn due_at(self, from: i64) -> i64 {
        from + self.days() * crate::retention::DAY_MICROS
    }
}

/// A one-time code is good for this long.
pub const CODE_MINUTES: i64 = 15;
/// Wrong codes allowed before the request is closed.
pub const CODE_ATTEMPTS: i64 = 5;

/// Why a typed code is refused.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
pub enum CodeRefusal {
    #[error("code: this code has expired; ask again for a new one")]
    Expired,
    #[error("code: too many wrong codes; ask again for a new one")]
    TooManyAttempts,
    #[error("code: that is not the code we sent ({left} tries left)")]
    Wrong { left: i64 },
}

/// Checks a typed code (both hashed) against the stored one. `attempts` counts the wrong
/// codes so far.
pub fn check_code(stored: &[u8], expires_at: i64, attempts: i64, now: i64, typed: &[u8]) -> Result<(), CodeRefusal> {
    if attempts >= CODE_ATTEMPTS {
        return Err(CodeRefusal::TooManyAttempts);
    }
    if now >= expires_at {
        return Err(CodeRefusal::Expired);
    }
    if !constant_time_eq(stored, typed) {
        return Err(CodeRefusal::Wrong { left: CODE_ATTEMPTS - attempts - 1 });
    }
    Ok(())
}

fn constant_time_eq(a: &[u8], b: &[u8]) -> bool {
    a.len() == b.len() && a.iter().zip(b).fold(0u8, |acc, (x, y)| acc | (x ^ y)) == 0
}

/// How erasure treats a table's rows about the person.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, schemars::JsonSchema)]
#[serde(rename_all = "snake_case")]
pub enum Treatment {
    /// The rows go.
    Delete,
    /// The rows stay for the business's statistics, detached from the person and without
    /// any free text (the business chooses this for appointments).
    Anonymize,
    /// Only the person's words are cleared; the row is the record that a request was made.
    ClearText,
}

impl Treatment {
    pub fn name(self) -> &'static str {
        match self {
            Treatment::Delete => "deleted",
            Treatment::Anonymize => "kept anonymized",
            Treatment::ClearText => "their words cleared",
        }
    }
}

/// Where erasure finds a person in a table, and what it may do there.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
pub struct ErasureTable {
    pub table: &'static str,
    /// The column naming the person (`id` for the customers table itself).
    pub by: &'static str,
    /// What the business may choose; the first is the default.
    pub treatments: &'static [Treatment],
}

/// Every table erasure knows how to find a person in.
pub const ERASURE_TABLES: &[ErasureTable] = &[
    ErasureTable { table: "customer_search_terms", by: "customer_id", treatments: &[Treatment::Delete] },
    ErasureTable { table: "customer_tags", by: "customer_id", treatments: &[Treatment::Delete] },
    ErasureTable { table: "customer_notes", by: "customer_id", treatments: &[Treatment::Delete] },
    ErasureTable { table: "customer_consents", by: "customer_id", treatments: &[Treatment::Delete] },
    ErasureTable { table: "customer_field_values", by: "customer_id", treatments: &[Treatment::Delete] },
    ErasureTable { table: "appointments", by: "customer_id", treatments: &[Treatment::Delete, Treatment::Anonymize] },
    ErasureTable { table: "privacy_requests", by: "customer_id", treatments: &[Treatment::ClearText] },
    ErasureTable { table: "messages", by: "customer_id", treatments: &[Treatment::Delete] },
    ErasureTable { table: "customers", by: "id", treatments: &[Treatment::Delete] },
];

/// A field holding people that erasure does not know how to reach.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("erasure does not know how to find a person in {table}.{column} (class {class}); nothing was changed")]
pub struct UnhandledField {
    pub table: &'static str,
    pub column: &'static str,
    pub class: &'static str,
}

/// Checks that every personal or sensitive column of the registry lies in a table erasure
/// handles (DSR-3). The registry is the input so a test can add a table and see it fail.
pub fn check_coverage(columns: &[crate::classification::ColumnClass]) -> Result<(), UnhandledField> {
    for column in columns {
        if !matches!(column.class, DataClass::Personal | DataClass::Sensitive) {
            continue;
        }
        if !ERASURE_TABLES.iter().any(|t| t.table == column.table) {
            return Err(UnhandledField { table: column.table, column: column.column, class: column.class.name() });
        }
    }
    Ok(())
}

/// The registry Steward runs with is fully covered.
pub fn check_registry() -> Result<(), UnhandledField> {
    check_coverage(COLUMNS)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::classification::ColumnClass;

    #[test]
    fn every_table_holding_people_is_known_to_erasure_and_a_new_one_stops_it() {
        // promise: DSR-3
        assert_eq!(check_registry(), Ok(()));
        let mut extended = COLUMNS.to_vec();
        extended.push(ColumnClass { table: "loyalty_cards", column: "holder_name", class: DataClass::Personal });
        assert_eq!(
            check_coverage(&extended),
            Err(UnhandledField { table: "loyalty_cards", column: "holder_name", class: "personal" })
        );
    }

    #[test]
    fn codes_expire_and_run_out() {
        let now = 1_000;
        assert_eq!(check_code(b"abc", now + 1, 0, now, b"abc"), Ok(()));
        assert_eq!(check_code(b"abc", now + 1, 0, now, b"abd"), Err(CodeRefusal::Wrong { left: 4 }));
        assert_eq!(check_code(b"abc", now, 0, now, b"abc"), Err(CodeRefusal::Expired));
        assert_eq!(check_code(b"abc", now + 1, 5, now, b"abc"), Err(CodeRefusal::TooManyAttempts));
    }

    #[test]
    fn due_dates_follow_the_jurisdiction() {
        assert_eq!(Jurisdiction::Gdpr.due_at(0), 30 * crate::retention::DAY_MICROS);
        assert_eq!(Jurisdiction::Ccpa.due_at(0), 45 * crate::retention::DAY_MICROS);
        assert_eq!(Jurisdiction::parse("dpdp"), Some(Jurisdiction::Dpdp));
        assert_eq!(RequestKind::parse("erasure"), Some(RequestKind::Erasure));
    }
}

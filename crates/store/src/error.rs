//! Errors of the storage layer. Constraint violations are told apart from other database
//! failures so the services above can turn them into the user's words ("that email is
//! already a member") instead of a 500.

/// What went wrong in the store.
#[derive(Debug, thiserror::Error)]
pub enum StoreError {
    /// A unique key already holds this value; `constraint` is the index or key name.
    #[error("a record with the same {constraint} already exists")]
    Duplicate { constraint: String },
    /// A reference points at a row that does not exist (in this tenant).
    #[error("a referenced record does not exist")]
    MissingReference,
    /// An appointment would overlap another of the same staff member (the exclusion
    /// constraint on PostgreSQL, the overlap triggers on SQLite).
    #[error("the staff member is already booked at this time")]
    Overlap,
    /// The database refused a write because another transaction held it.
    #[error("the database is busy; try again")]
    Busy,
    /// A tenant query did not use its tenant id; written code, never user input, causes this.
    #[error("a tenant query does not filter by tenant_id ($1): {0}")]
    UnscopedQuery(&'static str),
    /// The schema or the database role is not what Steward requires to run safely.
    #[error("unsafe database setup: {0}")]
    UnsafeSetup(String),
    /// A stored migration differs from the one in this binary.
    #[error("migration {version} was changed after it was applied (checksum differs)")]
    MigrationChanged { version: i64 },
    /// A value in a row could not be read as the expected type.
    #[error("column {column}: {source}")]
    Decode { column: String, source: sqlx::Error },
    /// A statement Steward put together does not fit the values given to it; written code,
    /// never user input, causes this.
    #[error("a statement does not fit its values: {0}")]
    BadStatement(String),
    /// Stored data that is not in the form Steward writes it (an edited row, say).
    #[error("stored data is not as Steward wrote it: {0}")]
    Corrupt(String),
    /// The SQLite writer thread ended before a write it was given finished: the process
    /// is shutting down.
    #[error("the database writer has stopped; the server is shutting down")]
    WriterStopped,
    #[error("unsupported database URL '{0}': use sqlite://PATH or postgres://...")]
    UnsupportedUrl(String),
    #[error(transparent)]
    Database(sqlx::Error),
    /// A failure on SQLite's writing connection that is none of the above.
    #[error("database error: {0}")]
    Sqlite(String),
}

impl From<sqlx::Error> for StoreError {
    fn from(error: sqlx::Error) -> Self {
        if let sqlx::Error::Database(db) = &error {
            let code = db.code().map(|c| c.to_string()).unwrap_or_default();
            let message = db.message().to_string();
            // PostgreSQL: 23505 unique, 23503 foreign key, 40001/40P01 serialization.
            // SQLite: 2067/1555 unique/primary key, 787 foreign key, 5/517 busy.
            match code.as_str() {
                "23505" | "2067" | "1555" => {
                    let constraint = db
                        .constraint()
                        .map(str::to_string)
                        .or_else(|| message.split("failed: ").nth(1).map(str::to_string))
                        // Citus relays a worker's error as text, naming the shard's key.
                        .or_else(|| {
                            message
                                .split("constraint \"")
                                .nth(1)
                                .and_then(|rest| rest.split('"').next())
                                .map(str::to_string)
                        })
                        .unwrap_or_else(|| "key".to_string());
                    return StoreError::Duplicate { constraint };
                }
                "23503" | "787" => return StoreError::MissingReference,
                "23P01" => return StoreError::Overlap,
                _ if message.contains("appointment_overlap") => return StoreError::Overlap,
                "40001" | "40P01" | "5" | "517" => return StoreError::Busy,
                _ => {}
            }
        }
        StoreError::Database(error)
    }
}

impl StoreError {
    /// True when the duplicate is on a key whose name contains `what` (e.g. "email").
    pub fn is_duplicate_of(&self, what: &str) -> bool {
        matches!(self, StoreError::Duplicate { constraint } if constraint.contains(what))
    }
}

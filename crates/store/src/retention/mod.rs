//! Retention's rows: the tenant's chosen rules, legal holds, the record of each sweep, and
//! the statements the sweep and a purge run. Every removal comes as a pair, a count and a
//! batched delete with the same condition, so a dry run reports exactly what the real run
//! then removes.

pub mod holds;
pub mod purge;
pub mod rules;
pub mod runs;
pub mod sweep;

/// Rows removed per statement: small enough that readers and other writers interleave with
/// a long sweep, large enough that a million rows take seconds.
pub const BATCH: i64 = 5_000;

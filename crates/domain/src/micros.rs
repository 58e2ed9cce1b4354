//! Steward's time units. Instants are microseconds since the Unix epoch, UTC, in every
//! layer and both databases (docs/architecture.md, Storage); these are the one
//! definition of a minute, an hour and a day in those units.

pub const MICROS_PER_SECOND: i64 = 1_000_000;
pub const MICROS_PER_MINUTE: i64 = 60 * MICROS_PER_SECOND;
pub const MICROS_PER_HOUR: i64 = 60 * MICROS_PER_MINUTE;
pub const MICROS_PER_DAY: i64 = 24 * MICROS_PER_HOUR;

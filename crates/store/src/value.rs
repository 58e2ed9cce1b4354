//! The small set of value types Steward binds and reads, the same on both backends.
//!
//! `sqlx::Any` cannot carry UUIDs, so queries bind [`Value`]s, which each backend turns
//! into its own native parameter, and read [`Row`]s, which decode any type both backends
//! understand.

use crate::StoreError;
use sqlx::{Decode, Postgres, Sqlite, Type};
use uuid::Uuid;

/// One bound parameter. Each variant carries its own `None` so PostgreSQL learns the
/// type of a NULL.
#[derive(Debug, Clone, PartialEq)]
pub enum Value {
    Text(Option<String>),
    I64(Option<i64>),
    Bool(Option<bool>),
    Uuid(Option<Uuid>),
    Bytes(Option<Vec<u8>>),
}

macro_rules! value_from {
    ($($t:ty => $variant:ident $(via $conv:expr)?;)*) => {$(
        impl From<$t> for Value {
            fn from(v: $t) -> Self { Value::$variant(Some(value_from!(@conv v $(, $conv)?))) }
        }
        impl From<Option<$t>> for Value {
            fn from(v: Option<$t>) -> Self { Value::$variant(v.map(|v| value_from!(@conv v $(, $conv)?))) }
        }
    )*};
    (@conv $v:ident) => { $v };
    (@conv $v:ident, $conv:expr) => { ($conv)($v) };
}

value_from! {
    String => Text;
    &str => Text via |s: &str| s.to_string();
    &String => Text via |s: &String| s.clone();
    i64 => I64;
    bool => Bool;
    Uuid => Uuid;
    Vec<u8> => Bytes;
}

macro_rules! value_from_id {
    ($($t:ty),*) => {$(
        impl From<$t> for Value {
            fn from(v: $t) -> Self { Value::Uuid(Some(v.0)) }
        }
        impl From<Option<$t>> for Value {
            fn from(v: Option<$t>) -> Self { Value::Uuid(v.map(|v| v.0)) }
        }
    )*};
}

use steward_domain::ids::*;
value_from_id!(
    TenantId,
    MemberId,
    RoleId,
    SessionId,
    ApiTokenId,
    InvitationId,
    CustomerId,
    NoteId,
    FieldId,
    ConsentId,
    LocationId,
    ServiceId,
    StaffId,
    AppointmentId,
    SeriesId,
    TimeOffId,
    HoldId
);

/// Builds a `Vec<Value>` from anything convertible: `args![name, email, now]`.
#[macro_export]
macro_rules! args {
    () => { ::std::vec::Vec::<$crate::Value>::new() };
    ($($v:expr),+ $(,)?) => { ::std::vec![$($crate::Value::from($v)),+] };
}

/// A type both backends can decode.
pub trait DbValue: for<'r> Decode<'r, Sqlite> + Type<Sqlite> + for<'r> Decode<'r, Postgres> + Type<Postgres> {}
impl<T> DbValue for T where T: for<'r> Decode<'r, Sqlite> + Type<Sqlite> + for<'r> Decode<'r, Postgres> + Type<Postgres> {}

/// One result row from either backend.
pub struct Row(pub(crate) RowInner);

pub(crate) enum RowInner {
    Sqlite(sqlx::sqlite::SqliteRow),
    Postgres(sqlx::postgres::PgRow),
}

impl Row {
    /// Reads column number `index` (0-based) as `T`: cheaper than by name on hot loops.
    pub fn get_at<T: DbValue>(&self, index: usize) -> Result<T, StoreError> {
        use sqlx::Row as _;
        let result = match &self.0 {
            RowInner::Sqlite(row) => row.try_get::<T, _>(index),
            RowInner::Postgres(row) => row.try_get::<T, _>(index),
        };
        result.map_err(|source| StoreError::Decode { column: format!("#{index}"), source })
    }

    /// Reads column `name` as `T`, naming the column if it cannot.
    pub fn get<T: DbValue>(&self, name: &str) -> Result<T, StoreError> {
        use sqlx::Row as _;
        let result = match &self.0 {
            RowInner::Sqlite(row) => row.try_get::<T, _>(name),
            RowInner::Postgres(row) => row.try_get::<T, _>(name),
        };
        result.map_err(|source| StoreError::Decode { column: name.to_string(), source })
    }
}

//! The small set of value types Steward binds and reads, the same on both backends.
//!
//! `sqlx::Any` cannot carry UUIDs, so queries bind [`Value`]s, which each backend turns
//! into its own native parameter, and read [`Row`]s, which decode any type both backends
//! understand.

use crate::StoreError;
use sqlx::{Decode, Postgres, Sqlite, Type};
use steward_domain::time::Timestamp;
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
    Timestamp => I64 via Timestamp::as_micros;
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
pub trait DbValue:
    for<'r> Decode<'r, Sqlite> + Type<Sqlite> + for<'r> Decode<'r, Postgres> + Type<Postgres> + FromDirect
{
}
impl<T> DbValue for T where
    T: for<'r> Decode<'r, Sqlite> + Type<Sqlite> + for<'r> Decode<'r, Postgres> + Type<Postgres> + FromDirect
{
}

/// A type read from a value of SQLite's writing connection (`writer_thread.rs`), decoded
/// as sqlx decodes it from SQLite: booleans are integers, UUIDs 16-byte blobs.
pub trait FromDirect: Sized {
    fn from_direct(value: &SqlValue) -> Result<Self, String>;
}

use rusqlite::types::Value as SqlValue;

fn mismatch(wanted: &str, found: &SqlValue) -> String {
    format!("expected {wanted}, found {:?}", found.data_type())
}

impl FromDirect for i64 {
    fn from_direct(value: &SqlValue) -> Result<Self, String> {
        match value {
            SqlValue::Integer(v) => Ok(*v),
            other => Err(mismatch("an integer", other)),
        }
    }
}

impl FromDirect for i32 {
    fn from_direct(value: &SqlValue) -> Result<Self, String> {
        i32::try_from(i64::from_direct(value)?).map_err(|e| e.to_string())
    }
}

impl FromDirect for i16 {
    fn from_direct(value: &SqlValue) -> Result<Self, String> {
        i16::try_from(i64::from_direct(value)?).map_err(|e| e.to_string())
    }
}

impl FromDirect for bool {
    fn from_direct(value: &SqlValue) -> Result<Self, String> {
        Ok(i64::from_direct(value)? != 0)
    }
}

impl FromDirect for f64 {
    fn from_direct(value: &SqlValue) -> Result<Self, String> {
        match value {
            SqlValue::Real(v) => Ok(*v),
            SqlValue::Integer(v) => Ok(*v as f64),
            other => Err(mismatch("a number", other)),
        }
    }
}

impl FromDirect for String {
    fn from_direct(value: &SqlValue) -> Result<Self, String> {
        match value {
            SqlValue::Text(v) => Ok(v.clone()),
            other => Err(mismatch("text", other)),
        }
    }
}

impl FromDirect for Vec<u8> {
    fn from_direct(value: &SqlValue) -> Result<Self, String> {
        match value {
            SqlValue::Blob(v) => Ok(v.clone()),
            SqlValue::Text(v) => Ok(v.as_bytes().to_vec()),
            other => Err(mismatch("a blob", other)),
        }
    }
}

impl FromDirect for Uuid {
    fn from_direct(value: &SqlValue) -> Result<Self, String> {
        match value {
            SqlValue::Blob(v) => Uuid::from_slice(v).map_err(|e| e.to_string()),
            other => Err(mismatch("a UUID", other)),
        }
    }
}

impl<T: FromDirect> FromDirect for Option<T> {
    fn from_direct(value: &SqlValue) -> Result<Self, String> {
        match value {
            SqlValue::Null => Ok(None),
            other => T::from_direct(other).map(Some),
        }
    }
}

/// A row read on SQLite's writing connection.
pub(crate) struct DirectRow {
    pub(crate) columns: std::sync::Arc<[Box<str>]>,
    pub(crate) values: Vec<SqlValue>,
}

impl DirectRow {
    fn get<T: FromDirect>(&self, index: usize) -> Result<T, sqlx::Error> {
        let value = self
            .values
            .get(index)
            .ok_or_else(|| sqlx::Error::ColumnIndexOutOfBounds { index, len: self.values.len() })?;
        T::from_direct(value).map_err(|message| sqlx::Error::Decode(message.into()))
    }

    fn position(&self, name: &str) -> Result<usize, sqlx::Error> {
        self.columns.iter().position(|c| &**c == name).ok_or_else(|| sqlx::Error::ColumnNotFound(name.to_string()))
    }
}

/// One result row from either backend.
pub struct Row(pub(crate) RowInner);

pub(crate) enum RowInner {
    Sqlite(sqlx::sqlite::SqliteRow),
    Direct(DirectRow),
    Postgres(sqlx::postgres::PgRow),
}

impl Row {
    /// Reads column number `index` (0-based) as `T`: cheaper than by name on hot loops.
    pub fn get_at<T: DbValue>(&self, index: usize) -> Result<T, StoreError> {
        use sqlx::Row as _;
        let result = match &self.0 {
            RowInner::Sqlite(row) => row.try_get::<T, _>(index),
            RowInner::Direct(row) => row.get::<T>(index),
            RowInner::Postgres(row) => row.try_get::<T, _>(index),
        };
        result.map_err(|source| StoreError::Decode { column: format!("#{index}"), source })
    }

    /// Reads column `name` as `T`, naming the column if it cannot.
    pub fn get<T: DbValue>(&self, name: &str) -> Result<T, StoreError> {
        use sqlx::Row as _;
        let result = match &self.0 {
            RowInner::Sqlite(row) => row.try_get::<T, _>(name),
            RowInner::Direct(row) => row.position(name).and_then(|index| row.get::<T>(index)),
            RowInner::Postgres(row) => row.try_get::<T, _>(name),
        };
        result.map_err(|source| StoreError::Decode { column: name.to_string(), source })
    }

    /// Reads column number `index`, stored as microseconds, as an instant.
    pub fn timestamp_at(&self, index: usize) -> Result<Timestamp, StoreError> {
        self.get_at(index).map(Timestamp::from_micros)
    }

    /// Reads column `name`, stored as microseconds, as an instant.
    pub fn timestamp(&self, name: &str) -> Result<Timestamp, StoreError> {
        self.get(name).map(Timestamp::from_micros)
    }
}

impl Row {
    /// Every column of the row with its value, whatever the table: for exports that walk
    /// the whole schema. Ids (`id`, `…_id`) come back as UUIDs on both backends.
    pub fn values(&self) -> Vec<(String, Value)> {
        use sqlx::{Column, Row as _, TypeInfo, ValueRef};
        let is_id = |name: &str| name == "id" || name.ends_with("_id");
        match &self.0 {
            RowInner::Sqlite(row) => row
                .columns()
                .iter()
                .map(|column| {
                    let (index, name) = (column.ordinal(), column.name().to_string());
                    let kind = row.try_get_raw(index).map(|raw| (raw.is_null(), raw.type_info().name().to_string()));
                    let value = match kind {
                        Ok((true, _)) | Err(_) => Value::Text(None),
                        Ok((false, kind)) => match kind.as_str() {
                            "INTEGER" => Value::I64(row.try_get::<i64, _>(index).ok()),
                            "BLOB" => match row.try_get::<Vec<u8>, _>(index) {
                                Ok(bytes) if is_id(&name) && bytes.len() == 16 => {
                                    Value::Uuid(Uuid::from_slice(&bytes).ok())
                                }
                                Ok(bytes) => Value::Bytes(Some(bytes)),
                                Err(_) => Value::Bytes(None),
                            },
                            "REAL" => Value::Text(row.try_get::<f64, _>(index).ok().map(|f| f.to_string())),
                            _ => Value::Text(row.try_get::<String, _>(index).ok()),
                        },
                    };
                    (name, value)
                })
                .collect(),
            RowInner::Direct(row) => row
                .columns
                .iter()
                .zip(&row.values)
                .map(|(name, value)| {
                    let value = match value {
                        SqlValue::Null => Value::Text(None),
                        SqlValue::Integer(v) => Value::I64(Some(*v)),
                        SqlValue::Real(v) => Value::Text(Some(v.to_string())),
                        SqlValue::Text(v) => Value::Text(Some(v.clone())),
                        SqlValue::Blob(bytes) if is_id(name) && bytes.len() == 16 => {
                            Value::Uuid(Uuid::from_slice(bytes).ok())
                        }
                        SqlValue::Blob(bytes) => Value::Bytes(Some(bytes.clone())),
                    };
                    (name.to_string(), value)
                })
                .collect(),
            RowInner::Postgres(row) => row
                .columns()
                .iter()
                .map(|column| {
                    let (index, name) = (column.ordinal(), column.name().to_string());
                    let value = match column.type_info().name() {
                        "UUID" => Value::Uuid(row.try_get::<Option<Uuid>, _>(index).ok().flatten()),
                        "INT8" => Value::I64(row.try_get::<Option<i64>, _>(index).ok().flatten()),
                        "INT4" => Value::I64(row.try_get::<Option<i32>, _>(index).ok().flatten().map(i64::from)),
                        "INT2" => Value::I64(row.try_get::<Option<i16>, _>(index).ok().flatten().map(i64::from)),
                        "BOOL" => Value::Bool(row.try_get::<Option<bool>, _>(index).ok().flatten()),
                        "BYTEA" => Value::Bytes(row.try_get::<Option<Vec<u8>>, _>(index).ok().flatten()),
                        _ => Value::Text(row.try_get::<Option<String>, _>(index).ok().flatten()),
                    };
                    (name, value)
                })
                .collect(),
        }
    }
}

//! Conversions between column values and domain values, shared by both backends.

use base64::Engine;
use chrono::{DateTime, NaiveDate, Utc};
use guanxi_core::Reason;
use guanxi_store::StoreError;
use serde_json::Value;
use sqlx::Row as _;

use crate::Row;

/// UTC microseconds since the epoch, the stored form of every time.
pub fn time_to_micros(t: DateTime<Utc>) -> i64 {
    t.timestamp_micros()
}

pub fn micros_to_time(us: i64) -> DateTime<Utc> {
    DateTime::from_timestamp_micros(us).unwrap_or(DateTime::<Utc>::MIN_UTC)
}

pub(crate) fn now_micros() -> i64 {
    time_to_micros(Utc::now())
}

fn decode_err(col: &str, e: impl std::fmt::Display) -> StoreError {
    StoreError::Internal(format!("decoding column {col}: {e}"))
}

pub(crate) fn i64_of(row: &Row, col: &str) -> Result<i64, StoreError> {
    row.try_get::<i64, _>(col).map_err(|e| decode_err(col, e))
}

pub(crate) fn opt_i64(row: &Row, col: &str) -> Result<Option<i64>, StoreError> {
    row.try_get::<Option<i64>, _>(col)
        .map_err(|e| decode_err(col, e))
}

pub(crate) fn str_of(row: &Row, col: &str) -> Result<String, StoreError> {
    row.try_get::<String, _>(col)
        .map_err(|e| decode_err(col, e))
}

pub(crate) fn opt_str(row: &Row, col: &str) -> Result<Option<String>, StoreError> {
    row.try_get::<Option<String>, _>(col)
        .map_err(|e| decode_err(col, e))
}

/// Booleans are BOOLEAN on PostgreSQL and 0/1 integers on SQLite.
pub(crate) fn bool_of(row: &Row, col: &str) -> Result<bool, StoreError> {
    match row.try_get::<bool, _>(col) {
        Ok(b) => Ok(b),
        Err(_) => i64_of(row, col).map(|v| v != 0),
    }
}

pub(crate) fn time_of(row: &Row, col: &str) -> Result<DateTime<Utc>, StoreError> {
    i64_of(row, col).map(micros_to_time)
}

pub(crate) fn opt_time(row: &Row, col: &str) -> Result<Option<DateTime<Utc>>, StoreError> {
    opt_i64(row, col).map(|v| v.map(micros_to_time))
}

pub(crate) fn opt_date(row: &Row, col: &str) -> Result<Option<NaiveDate>, StoreError> {
    match opt_str(row, col)? {
        None => Ok(None),
        Some(s) => NaiveDate::parse_from_str(&s, "%Y-%m-%d")
            .map(Some)
            .map_err(|e| decode_err(col, e)),
    }
}

pub(crate) fn date_to_str(d: Option<NaiveDate>) -> Option<String> {
    d.map(|d| d.format("%Y-%m-%d").to_string())
}

/// A stored enum value; a value the code does not know is a broken database, not bad input.
pub(crate) fn enum_of<T>(
    row: &Row,
    col: &str,
    parse: fn(&str) -> Result<T, guanxi_core::DomainError>,
) -> Result<T, StoreError> {
    let s = str_of(row, col)?;
    parse(&s).map_err(|_| decode_err(col, format!("unknown value {s:?}")))
}

pub(crate) fn json_of<T: serde::de::DeserializeOwned>(
    row: &Row,
    col: &str,
) -> Result<T, StoreError> {
    let s = str_of(row, col)?;
    serde_json::from_str(&s).map_err(|e| decode_err(col, e))
}

pub(crate) fn to_json<T: serde::Serialize>(v: &T) -> Result<String, StoreError> {
    serde_json::to_string(v).map_err(|e| StoreError::Internal(format!("encoding json: {e}")))
}

/// Opaque page cursors: base64url of a small JSON array `[sort value, id]`.
pub(crate) fn encode_cursor(parts: &Value) -> String {
    base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(parts.to_string())
}

pub(crate) fn decode_cursor(cursor: &str) -> Result<Vec<Value>, StoreError> {
    let bad = || StoreError::invalid("cursor", Reason::InvalidCursor);
    if cursor.len() > 1024 {
        return Err(bad());
    }
    let bytes = base64::engine::general_purpose::URL_SAFE_NO_PAD
        .decode(cursor)
        .map_err(|_| bad())?;
    match serde_json::from_slice::<Value>(&bytes).map_err(|_| bad())? {
        Value::Array(a) => Ok(a),
        _ => Err(bad()),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn times_round_trip_at_microsecond_precision() {
        let t = DateTime::parse_from_rfc3339("2024-02-29T23:59:59.123456Z")
            .expect("t")
            .with_timezone(&Utc);
        assert_eq!(micros_to_time(time_to_micros(t)), t);
    }

    #[test]
    fn cursors_round_trip_and_reject_garbage() {
        let c = encode_cursor(&serde_json::json!(["张伟", 42]));
        assert_eq!(
            decode_cursor(&c).expect("cursor"),
            vec![serde_json::json!("张伟"), serde_json::json!(42)]
        );
        assert!(decode_cursor("not a cursor!").is_err());
        assert!(decode_cursor(&encode_cursor(&serde_json::json!({"a": 1}))).is_err());
    }
}

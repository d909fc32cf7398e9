//! Wire types: what the API reads and writes, and their OpenAPI schemas.
//!
//! Request types keep the client's values as sent (text for enums, dates and ids in query
//! strings) and are turned into the store's commands by a `parse` method that runs the core
//! parsers and collects every field error with its JSON path. Response types are built
//! `From` the store's read models; the API owns its wire shape.

pub mod access;
pub mod accounts;
pub mod admin;
pub mod analysis;
pub mod customers;
pub mod events;
pub mod interactions;
pub mod leads;
pub mod sales;

use chrono::{DateTime, Utc};
use guanxi_core::error::Errors;
use guanxi_core::{DomainError, Reason};
use serde::{Deserialize, Deserializer};

/// Page sizes: 1 to 200, 50 when not given; values outside are clamped.
pub const LIMIT_DEFAULT: u32 = 50;
pub const LIMIT_MAX: u32 = 200;
/// Longest page cursor accepted (the store's cursors are far shorter).
pub const CURSOR_MAX: usize = 1024;

/// For `Option<Option<T>>` fields with `#[serde(default)]`: absent is `None`, `null` is
/// `Some(None)`, a value is `Some(Some(v))`.
pub fn double_option<'de, T, D>(d: D) -> Result<Option<Option<T>>, D::Error>
where
    T: Deserialize<'de>,
    D: Deserializer<'de>,
{
    Option::<T>::deserialize(d).map(Some)
}

/// Put a parser's errors under `path`.
pub fn at<T>(r: Result<T, DomainError>, path: &str) -> Result<T, DomainError> {
    r.map_err(|e| e.nest(path))
}

/// A value that must be given; records `Required` when it is not.
pub fn required<T>(errors: &mut Errors, path: &str, v: Option<T>) -> Option<T> {
    if v.is_none() {
        errors.push(path, Reason::Required);
    }
    v
}

/// In a patch, a field that may be left out but not set to `null`.
pub fn not_null<T>(errors: &mut Errors, path: &str, v: Option<Option<T>>) -> Option<T> {
    match v {
        None => None,
        Some(None) => {
            errors.push(path, Reason::Required);
            None
        }
        Some(Some(v)) => Some(v),
    }
}

/// In a patch, a nullable field: `Some(None)` clears it, `Some(Some(_))` sets it.
pub fn nullable<T, U>(
    errors: &mut Errors,
    v: Option<Option<T>>,
    parse: impl FnOnce(T) -> Result<Option<U>, DomainError>,
) -> Option<Option<U>> {
    match v {
        None => None,
        Some(None) => Some(None),
        Some(Some(v)) => errors.take(parse(v)),
    }
}

/// An RFC 3339 timestamp, kept in UTC.
pub fn parse_time(s: &str) -> Result<DateTime<Utc>, DomainError> {
    DateTime::parse_from_rfc3339(s.trim())
        .map(|t| t.with_timezone(&Utc))
        .map_err(|_| DomainError::field("", Reason::NotATime))
}

/// A calendar date, `YYYY-MM-DD`.
pub fn parse_date(s: &str) -> Result<chrono::NaiveDate, DomainError> {
    chrono::NaiveDate::parse_from_str(s.trim(), "%Y-%m-%d")
        .map_err(|_| DomainError::field("", Reason::NotADate))
}

// ---------------------------------------------------------------- query-string values

/// `true` or `false`.
pub fn parse_bool(s: &str) -> Result<bool, DomainError> {
    match s.trim() {
        "true" => Ok(true),
        "false" => Ok(false),
        _ => Err(DomainError::field(
            "",
            Reason::NotOneOf {
                allowed: vec!["true".into(), "false".into()],
            },
        )),
    }
}

/// A record id in a query string.
pub fn parse_id(s: &str) -> Result<i64, DomainError> {
    s.trim()
        .parse::<i64>()
        .map_err(|_| DomainError::field("", Reason::NotAnInteger))
}

/// A page size, clamped to 1..=`LIMIT_MAX`.
pub fn parse_limit(s: Option<&str>) -> Result<u32, DomainError> {
    match s.map(str::trim) {
        None | Some("") => Ok(LIMIT_DEFAULT),
        Some(s) => {
            let n = s
                .parse::<i64>()
                .map_err(|_| DomainError::field("", Reason::NotAnInteger))?;
            Ok(n.clamp(1, i64::from(LIMIT_MAX)) as u32)
        }
    }
}

/// An opaque page cursor; empty means "first page".
pub fn parse_cursor(s: Option<String>) -> Result<Option<String>, DomainError> {
    match s {
        None => Ok(None),
        Some(c) if c.trim().is_empty() => Ok(None),
        Some(c) if c.len() > CURSOR_MAX || c.chars().any(char::is_control) => {
            Err(DomainError::field("", Reason::InvalidCursor))
        }
        Some(c) => Ok(Some(c)),
    }
}

// ---------------------------------------------------------------- enum schemas

/// The OpenAPI schema of a core enum, generated from its `ALL` list so the two never drift.
macro_rules! enum_schema {
    ($(#[$doc:meta])* $schema:ident = $core:ty, $name:literal) => {
        $(#[$doc])*
        pub struct $schema;

        impl utoipa::PartialSchema for $schema {
            fn schema() -> utoipa::openapi::RefOr<utoipa::openapi::schema::Schema> {
                utoipa::openapi::schema::ObjectBuilder::new()
                    .schema_type(utoipa::openapi::schema::Type::String)
                    .enum_values(Some(<$core>::ALL.iter().map(|v| v.as_str())))
                    .into()
            }
        }

        impl utoipa::ToSchema for $schema {
            fn name() -> std::borrow::Cow<'static, str> {
                std::borrow::Cow::Borrowed($name)
            }
        }
    };
}

enum_schema!(
    /// person | company
    CustomerKindSchema = guanxi_core::customer::CustomerKind, "CustomerKind"
);
enum_schema!(
    /// potential | new | current | loyal | lost
    CustomerStatusSchema = guanxi_core::customer::CustomerStatus, "CustomerStatus"
);
enum_schema!(
    /// key | ordinary | small
    CustomerClassSchema = guanxi_core::customer::CustomerClass, "CustomerClass"
);
enum_schema!(
    /// mobile | landline | email | wechat | address
    ContactKindSchema = guanxi_core::ContactKind, "ContactKind"
);
enum_schema!(
    /// phone | email | chat | web | sms | wechat | fax | letter | visit | self_service
    ChannelSchema = guanxi_core::interaction::Channel, "Channel"
);
enum_schema!(
    /// inbound | outbound | internal
    DirectionSchema = guanxi_core::interaction::Direction, "Direction"
);
enum_schema!(
    /// customer | interaction | opportunity | ticket | campaign | order | lead
    LinkKindSchema = guanxi_core::interaction::LinkKind, "LinkKind"
);
enum_schema!(
    /// text | number | date | choice
    FieldTypeSchema = guanxi_core::custom_field::FieldType, "FieldType"
);

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn limits_are_clamped() {
        assert_eq!(parse_limit(None).ok(), Some(LIMIT_DEFAULT));
        assert_eq!(parse_limit(Some("0")).ok(), Some(1));
        assert_eq!(parse_limit(Some("-5")).ok(), Some(1));
        assert_eq!(parse_limit(Some("1000000")).ok(), Some(LIMIT_MAX));
        assert_eq!(parse_limit(Some("20")).ok(), Some(20));
        assert!(parse_limit(Some("ten")).is_err());
        assert!(parse_limit(Some("99999999999999999999999")).is_err());
    }

    #[test]
    fn times_and_dates() {
        let t = parse_time("2024-05-01T09:30:00+08:00").expect("time");
        assert_eq!(t.to_rfc3339(), "2024-05-01T01:30:00+00:00");
        assert!(parse_time("2024-05-01").is_err());
        assert!(parse_date("1990-02-29").is_err());
        assert!(parse_date("1992-02-29").is_ok());
    }

    #[test]
    fn cursors_are_bounded() {
        assert_eq!(parse_cursor(Some(" ".into())).ok(), Some(None));
        assert!(parse_cursor(Some("x".repeat(CURSOR_MAX + 1))).is_err());
        assert!(parse_cursor(Some("a\nb".into())).is_err());
    }
}

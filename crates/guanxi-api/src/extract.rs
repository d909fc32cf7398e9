//! Extractors: how a request's body, query string, path, and headers become typed values, with
//! every rejection turned into an [`ApiError`] that names the field, parameter or header.

use crate::auth::Caller;
use crate::error::ApiError;
use axum::body::Bytes;
use axum::extract::{FromRequest, FromRequestParts, Path, Request};
use axum::http::header::{self, HeaderMap, HeaderValue};
use axum::http::request::Parts;
use axum::http::StatusCode;
use guanxi_core::{FieldError, Reason};
use guanxi_store::Ctx;
use serde::de::DeserializeOwned;
use serde_path_to_error::Segment;

/// The root of a JSON body, in field paths.
pub const ROOT: &str = "$";

// ---------------------------------------------------------------- JSON body

/// A JSON body: `Content-Type: application/json` (or `application/*+json`) required, size
/// bounded by the router, deserialised with the path of the first bad field.
#[derive(Debug)]
pub struct JsonBody<T>(pub T);

impl<T, S> FromRequest<S> for JsonBody<T>
where
    T: DeserializeOwned,
    S: Send + Sync,
{
    type Rejection = ApiError;

    async fn from_request(req: Request, state: &S) -> Result<Self, ApiError> {
        if !is_json(req.headers()) {
            return Err(ApiError::UnsupportedMediaType);
        }
        let bytes = Bytes::from_request(req, state).await.map_err(|e| {
            if e.status() == StatusCode::PAYLOAD_TOO_LARGE {
                ApiError::PayloadTooLarge
            } else {
                // The client went away or sent a broken body: nothing to parse.
                ApiError::MalformedJson { line: 0, column: 0 }
            }
        })?;
        parse_json(&bytes).map(JsonBody)
    }
}

fn is_json(headers: &HeaderMap) -> bool {
    let Some(ct) = headers
        .get(header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
    else {
        return false;
    };
    let essence = ct
        .split(';')
        .next()
        .unwrap_or("")
        .trim()
        .to_ascii_lowercase();
    essence == "application/json"
        || (essence.starts_with("application/") && essence.ends_with("+json"))
}

/// Deserialise a JSON object; syntax errors are 400, shape errors 422 naming the field.
///
/// Every request body of this API is an object. Anything else is refused up front, because
/// serde would otherwise read a struct from an array positionally (`["王芳"]`).
pub fn parse_json<T: DeserializeOwned>(bytes: impl AsRef<[u8]>) -> Result<T, ApiError> {
    let bytes = bytes.as_ref();
    let first = bytes.iter().find(|b| !b.is_ascii_whitespace());
    if first.is_some_and(|b| *b != b'{') {
        // Still report broken JSON as broken JSON.
        if let Err(e) = serde_json::from_slice::<serde::de::IgnoredAny>(bytes) {
            return Err(json_error(String::new(), &e));
        }
        return Err(ApiError::Validation(vec![FieldError::new(
            ROOT,
            Reason::WrongType {
                expected: "object".into(),
            },
        )]));
    }
    let mut de = serde_json::Deserializer::from_slice(bytes);
    let value: T = serde_path_to_error::deserialize(&mut de).map_err(|e| {
        let path = path_string(e.path());
        let inner = e.into_inner();
        json_error(path, &inner)
    })?;
    de.end().map_err(|e| json_error(String::new(), &e))?;
    Ok(value)
}

fn json_error(path: String, e: &serde_json::Error) -> ApiError {
    use serde_json::error::Category;
    match e.classify() {
        Category::Syntax | Category::Eof | Category::Io => ApiError::MalformedJson {
            line: e.line(),
            column: e.column(),
        },
        Category::Data => {
            let msg = e.to_string();
            let suffix = format!(" at line {} column {}", e.line(), e.column());
            let msg = msg.strip_suffix(&suffix).unwrap_or(&msg);
            ApiError::Validation(vec![serde_field_error(path, msg)])
        }
    }
}

/// A field path as clients write it: `contact_points[1].value`.
fn path_string(path: &serde_path_to_error::Path) -> String {
    let mut out = String::new();
    for seg in path {
        match seg {
            Segment::Seq { index } => out.push_str(&format!("[{index}]")),
            Segment::Map { key } | Segment::Enum { variant: key } => {
                if !out.is_empty() {
                    out.push('.');
                }
                out.push_str(key);
            }
            Segment::Unknown => {
                if !out.is_empty() {
                    out.push('.');
                }
                out.push('?');
            }
        }
    }
    out
}

fn join(path: &str, name: &str) -> String {
    if path.is_empty() {
        name.to_owned()
    } else if path == name || path.ends_with(&format!(".{name}")) {
        path.to_owned()
    } else {
        format!("{path}.{name}")
    }
}

/// Classify serde's error message (the only form serde reports in) into a [`Reason`].
fn serde_field_error(path: String, msg: &str) -> FieldError {
    let ticked = |s: &str| s.split('`').nth(1).unwrap_or("").to_owned();
    let at_root = |p: String| if p.is_empty() { ROOT.to_owned() } else { p };
    if let Some(rest) = msg.strip_prefix("unknown field ") {
        return FieldError::new(join(&path, &ticked(rest)), Reason::UnknownField);
    }
    if let Some(rest) = msg.strip_prefix("missing field ") {
        return FieldError::new(join(&path, &ticked(rest)), Reason::Required);
    }
    if let Some(rest) = msg.strip_prefix("duplicate field ") {
        return FieldError::new(
            join(&path, &ticked(rest)),
            Reason::Malformed {
                detail: "duplicate".into(),
            },
        );
    }
    if msg.starts_with("invalid type: ") || msg.starts_with("invalid value: ") {
        let expected = msg.rsplit(", expected ").next().unwrap_or("");
        return FieldError::new(
            at_root(path),
            Reason::WrongType {
                expected: wire_type(expected),
            },
        );
    }
    if let Some(rest) = msg.strip_prefix("unknown variant ") {
        let allowed = rest
            .split('`')
            .skip(3)
            .step_by(2)
            .map(str::to_owned)
            .collect();
        return FieldError::new(at_root(path), Reason::NotOneOf { allowed });
    }
    FieldError::new(
        at_root(path),
        Reason::Malformed {
            detail: msg.to_owned(),
        },
    )
}

/// serde's "expected …" in JSON's vocabulary.
fn wire_type(expected: &str) -> String {
    let e = expected.to_ascii_lowercase();
    let t = if e.contains("string") || e.contains("char") {
        "string"
    } else if e.contains("bool") {
        "boolean"
    } else if [
        "i8", "i16", "i32", "i64", "u8", "u16", "u32", "u64", "usize", "integer",
    ]
    .iter()
    .any(|t| e.contains(t))
    {
        "integer"
    } else if e.contains("f32") || e.contains("f64") || e.contains("number") {
        "number"
    } else if e.contains("sequence") || e.contains("array") || e.contains("tuple") {
        "array"
    } else if e.contains("map") || e.contains("struct") || e.contains("object") {
        "object"
    } else {
        return expected.to_owned();
    };
    t.to_owned()
}

// ---------------------------------------------------------------- query string

/// A query string, deserialised with the name of the first bad parameter. Query DTOs keep
/// their fields as text and parse them afterwards, so that every bad parameter is reported.
#[derive(Debug)]
pub struct QueryParams<T>(pub T);

impl<T, S> FromRequestParts<S> for QueryParams<T>
where
    T: DeserializeOwned,
    S: Send + Sync,
{
    type Rejection = ApiError;

    async fn from_request_parts(parts: &mut Parts, _state: &S) -> Result<Self, ApiError> {
        parse_query(parts.uri.query().unwrap_or("")).map(QueryParams)
    }
}

pub fn parse_query<T: DeserializeOwned>(query: &str) -> Result<T, ApiError> {
    let de = serde_urlencoded::Deserializer::new(form_urlencoded::parse(query.as_bytes()));
    serde_path_to_error::deserialize(de).map_err(|e| {
        let path = path_string(e.path());
        let msg = e.into_inner().to_string();
        ApiError::InvalidQuery(vec![serde_field_error(path, &msg)])
    })
}

// ---------------------------------------------------------------- path

/// Path parameters; a segment that is not a number is a 400 naming it.
#[derive(Debug)]
pub struct PathParams<T>(pub T);

impl<T, S> FromRequestParts<S> for PathParams<T>
where
    T: DeserializeOwned + Send,
    S: Send + Sync,
{
    type Rejection = ApiError;

    async fn from_request_parts(parts: &mut Parts, state: &S) -> Result<Self, ApiError> {
        use axum::extract::path::ErrorKind;
        use axum::extract::rejection::PathRejection;
        match Path::<T>::from_request_parts(parts, state).await {
            Ok(Path(v)) => Ok(PathParams(v)),
            Err(PathRejection::FailedToDeserializePathParams(e)) => {
                let field = match e.kind() {
                    ErrorKind::ParseErrorAtKey { key, .. }
                    | ErrorKind::InvalidUtf8InPathParam { key } => key.clone(),
                    _ => "id".to_owned(),
                };
                Err(ApiError::InvalidPath(vec![FieldError::new(
                    field,
                    Reason::NotAnInteger,
                )]))
            }
            Err(other) => {
                tracing::error!(error = %other, "path parameters missing: a routing bug");
                Err(ApiError::Internal)
            }
        }
    }
}

/// `/…/{id}`.
#[derive(Debug, serde::Deserialize)]
pub struct IdPath {
    pub id: i64,
}

/// `/customers/{id}/contact-points/{cp_id}`.
#[derive(Debug, serde::Deserialize)]
pub struct ContactPointPath {
    pub id: i64,
    pub cp_id: i64,
}

// ---------------------------------------------------------------- the signed-in caller

/// The request's organisation, user, address and reach, as decided by
/// [`crate::auth::authorize`]. Handlers pass it to the store.
#[derive(Clone, Copy, Debug)]
pub struct OrgCtx(pub Ctx);

impl<S: Send + Sync> FromRequestParts<S> for OrgCtx {
    type Rejection = ApiError;

    async fn from_request_parts(parts: &mut Parts, _state: &S) -> Result<Self, ApiError> {
        parts
            .extensions
            .get::<Ctx>()
            .copied()
            .map(OrgCtx)
            .ok_or_else(|| {
                tracing::error!("a handler needs a caller but its route is public: a routing bug");
                ApiError::Internal
            })
    }
}

impl<S: Send + Sync> FromRequestParts<S> for Caller {
    type Rejection = ApiError;

    async fn from_request_parts(parts: &mut Parts, _state: &S) -> Result<Self, ApiError> {
        parts.extensions.get::<Caller>().cloned().ok_or_else(|| {
            tracing::error!("a handler needs a caller but its route is public: a routing bug");
            ApiError::Internal
        })
    }
}

// ---------------------------------------------------------------- optimistic concurrency

/// `If-Match: "<version>"`: the version the client last saw. Absent or `*` means "any".
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct IfMatch(pub Option<i64>);

impl<S: Send + Sync> FromRequestParts<S> for IfMatch {
    type Rejection = ApiError;

    async fn from_request_parts(parts: &mut Parts, _state: &S) -> Result<Self, ApiError> {
        let mut values = parts.headers.get_all(header::IF_MATCH).iter();
        let Some(v) = values.next() else {
            return Ok(IfMatch(None));
        };
        if values.next().is_some() {
            return Err(ApiError::header("If-Match", Reason::TooMany { max: 1 }));
        }
        let text = v.to_str().map_err(|_| if_match_malformed())?;
        parse_if_match(text)
            .map(IfMatch)
            .ok_or_else(if_match_malformed)
    }
}

fn if_match_malformed() -> ApiError {
    ApiError::header(
        "If-Match",
        Reason::Malformed {
            detail: "\"<version>\"".into(),
        },
    )
}

/// Parse one strong entity tag as sent in `ETag`, e.g. `"3"`; `*` gives `Some(None)`.
/// Weak tags (`W/"3"`), lists and unquoted values are refused: a version must match exactly.
pub fn parse_if_match(value: &str) -> Option<Option<i64>> {
    let v = value.trim();
    if v == "*" {
        return Some(None);
    }
    let inner = v.strip_prefix('"')?.strip_suffix('"')?;
    if inner.is_empty() || inner.len() > 18 || !inner.bytes().all(|b| b.is_ascii_digit()) {
        return None;
    }
    inner.parse().ok().map(Some)
}

/// The strong `ETag` of a version: `"3"`.
pub fn etag(version: i64) -> HeaderValue {
    // A formatted integer between quotes is always a valid header value.
    HeaderValue::from_str(&format!("\"{version}\"")).unwrap_or(HeaderValue::from_static("\"0\""))
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde::Deserialize;

    #[test]
    fn if_match_values() {
        assert_eq!(parse_if_match("\"3\""), Some(Some(3)));
        assert_eq!(parse_if_match("  \"42\" "), Some(Some(42)));
        assert_eq!(parse_if_match("*"), Some(None));
        for bad in [
            "3",
            "W/\"3\"",
            "\"3\", \"4\"",
            "\"\"",
            "\"-1\"",
            "\"abc\"",
            "\"3",
            "\"99999999999999999999\"",
            "",
        ] {
            assert_eq!(parse_if_match(bad), None, "{bad:?}");
        }
        assert_eq!(etag(7), HeaderValue::from_static("\"7\""));
    }

    #[derive(Debug, Deserialize)]
    #[serde(deny_unknown_fields)]
    #[allow(dead_code)]
    struct Inner {
        value: Option<String>,
    }

    #[derive(Debug, Deserialize)]
    #[serde(deny_unknown_fields)]
    #[allow(dead_code)]
    struct Outer {
        name: String,
        items: Option<Vec<Inner>>,
    }

    fn field_of(r: Result<Outer, ApiError>) -> (StatusCode, FieldError) {
        let e = r.expect_err("should fail");
        (e.status(), e.fields()[0].clone())
    }

    #[test]
    fn json_errors_name_the_path() {
        let (s, f) = field_of(parse_json(
            br#"{"name":"a","items":[{"value":"x"},{"valu":"y"}]}"#,
        ));
        assert_eq!(s, StatusCode::UNPROCESSABLE_ENTITY);
        assert_eq!(f.field, "items[1].valu");
        assert_eq!(f.reason, Reason::UnknownField);

        let (_, f) = field_of(parse_json(br#"{"name":"a","items":[{"value":12}]}"#));
        assert_eq!(f.field, "items[0].value");
        assert_eq!(
            f.reason,
            Reason::WrongType {
                expected: "string".into()
            }
        );

        let (_, f) = field_of(parse_json(br#"{"items":[]}"#));
        assert_eq!(f.field, "name");
        assert_eq!(f.reason, Reason::Required);

        for not_an_object in ["[1]", "\"x\"", " 12", "null"] {
            let (s, f) = field_of(parse_json(not_an_object));
            assert_eq!(s, StatusCode::UNPROCESSABLE_ENTITY);
            assert_eq!(f.field, ROOT);
            assert_eq!(
                f.reason,
                Reason::WrongType {
                    expected: "object".into()
                }
            );
        }
        let e = parse_json::<Outer>("[1,").expect_err("broken array");
        assert_eq!(e.code(), "malformed_json");
        let e = parse_json::<Outer>("").expect_err("empty");
        assert_eq!(e.code(), "malformed_json");

        let e = parse_json::<Outer>(b"{\"name\": \"a\",").expect_err("eof");
        assert_eq!(e.code(), "malformed_json");
        let e = parse_json::<Outer>(b"{\"name\": \"a\"} x").expect_err("trailing");
        assert_eq!(e.code(), "malformed_json");
    }

    #[derive(Debug, Deserialize)]
    #[serde(deny_unknown_fields)]
    #[allow(dead_code)]
    struct Q {
        limit: Option<String>,
        tag: Option<String>,
    }

    #[test]
    fn query_errors_name_the_parameter() {
        let q: Q = parse_query("limit=5&tag=%E5%8C%97%E4%BA%AC").expect("query");
        assert_eq!(q.tag.as_deref(), Some("北京"));
        let e = parse_query::<Q>("limit=5&colour=red").expect_err("unknown");
        assert_eq!(e.status(), StatusCode::BAD_REQUEST);
        assert_eq!(e.fields()[0].field, "colour");
        assert_eq!(e.fields()[0].reason, Reason::UnknownField);
        let e = parse_query::<Q>("tag=a&tag=b").expect_err("duplicate");
        assert_eq!(e.fields()[0].field, "tag");
    }

    #[test]
    fn content_types() {
        let h = |v: &str| {
            let mut m = HeaderMap::new();
            m.insert(header::CONTENT_TYPE, HeaderValue::from_str(v).expect("v"));
            is_json(&m)
        };
        assert!(h("application/json"));
        assert!(h("Application/JSON; charset=utf-8"));
        assert!(h("application/merge-patch+json"));
        assert!(!h("text/plain"));
        assert!(!h("application/x-www-form-urlencoded"));
        assert!(!is_json(&HeaderMap::new()));
    }
}

//! The one place where failures become HTTP responses.
//!
//! Every handler and extractor returns [`ApiError`]. Its `IntoResponse` renders the body in the
//! default language (zh-CN) and leaves a copy of the error in the response extensions;
//! [`render_errors`], a middleware that knows the request's `Accept-Language`, renders it again
//! in the caller's language. The same middleware turns the bare error responses of layers we do
//! not own (body limit, timeout, unknown route) into the same JSON shape, so a client only ever
//! sees `{"error": {"code", "message", "fields"}}`.

use axum::extract::Request;
use axum::http::header::{self, HeaderValue};
use axum::http::{HeaderMap, StatusCode};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};
use axum::Json;
use guanxi_core::{DomainError, FieldError, Lang, Reason};
use guanxi_store::StoreError;
use serde::Serialize;
use utoipa::ToSchema;

/// Everything that can go wrong in a request, language-neutral until rendered.
#[derive(Clone, Debug, PartialEq)]
pub enum ApiError {
    /// The body is not JSON at all (syntax error, truncated, unreadable). 400.
    MalformedJson { line: usize, column: usize },
    /// The query string has unknown, repeated or unparsable parameters. 400.
    InvalidQuery(Vec<FieldError>),
    /// `phone`, `email`, `wechat` of a lookup: exactly one is needed. 400.
    ExactlyOneOf {
        params: &'static [&'static str],
        given: Vec<FieldError>,
    },
    /// A path segment (an id) is not a number. 400.
    InvalidPath(Vec<FieldError>),
    /// A request header (`If-Match`, `X-CSRF-Token`) is malformed. 400.
    InvalidHeader(Vec<FieldError>),
    /// No valid credentials: signing in failed, or the session or token is missing, unknown,
    /// expired or revoked. 401.
    Unauthenticated(AuthProblem),
    /// Signed in, but the role may not do this. 403.
    Forbidden,
    /// A cookie-authenticated change without the session's CSRF token. 403.
    CsrfRejected,
    /// Too many failed sign-ins for this account or from this address. 429.
    TooManyAttempts { retry_after_secs: u64 },
    /// Too many web form submissions from this address or to this form. 429.
    TooManySubmissions { retry_after_secs: u64 },
    /// The body is not declared as JSON. 415.
    UnsupportedMediaType,
    /// The body exceeds the configured limit (default [`crate::MAX_BODY_BYTES`]). 413.
    PayloadTooLarge,
    /// Well-formed JSON whose fields are wrong or refused by a rule. 422.
    Validation(Vec<FieldError>),
    /// A record that does not exist in this organisation. 404.
    NotFound { entity: &'static str },
    /// No route matches the path. 404.
    RouteNotFound,
    /// The route exists, the method does not. 405.
    MethodNotAllowed,
    /// `If-Match` names an old version. 412; the current version goes in `ETag`.
    PreconditionFailed { current: Option<i64> },
    /// A uniqueness rule (a contact point held by another customer, a duplicate key). 409.
    Conflict(Vec<FieldError>),
    /// The database cannot be reached. 503.
    Unavailable,
    /// The request took longer than [`crate::REQUEST_TIMEOUT`]. 503.
    Timeout,
    /// A bug or a broken database; the detail is logged, never sent. 500.
    Internal,
}

impl ApiError {
    pub fn status(&self) -> StatusCode {
        match self {
            Self::MalformedJson { .. }
            | Self::InvalidQuery(_)
            | Self::ExactlyOneOf { .. }
            | Self::InvalidPath(_)
            | Self::InvalidHeader(_) => StatusCode::BAD_REQUEST,
            Self::Unauthenticated(_) => StatusCode::UNAUTHORIZED,
            Self::Forbidden | Self::CsrfRejected => StatusCode::FORBIDDEN,
            Self::TooManyAttempts { .. } | Self::TooManySubmissions { .. } => {
                StatusCode::TOO_MANY_REQUESTS
            }
            Self::UnsupportedMediaType => StatusCode::UNSUPPORTED_MEDIA_TYPE,
            Self::PayloadTooLarge => StatusCode::PAYLOAD_TOO_LARGE,
            Self::Validation(_) => StatusCode::UNPROCESSABLE_ENTITY,
            Self::NotFound { .. } | Self::RouteNotFound => StatusCode::NOT_FOUND,
            Self::MethodNotAllowed => StatusCode::METHOD_NOT_ALLOWED,
            Self::PreconditionFailed { .. } => StatusCode::PRECONDITION_FAILED,
            Self::Conflict(_) => StatusCode::CONFLICT,
            Self::Unavailable | Self::Timeout => StatusCode::SERVICE_UNAVAILABLE,
            Self::Internal => StatusCode::INTERNAL_SERVER_ERROR,
        }
    }

    /// The stable, machine-readable code. Clients branch on this, never on the message.
    pub fn code(&self) -> &'static str {
        match self {
            Self::MalformedJson { .. } => "malformed_json",
            Self::InvalidQuery(_) | Self::ExactlyOneOf { .. } => "invalid_query",
            Self::InvalidPath(_) => "invalid_path",
            Self::InvalidHeader(_) => "invalid_header",
            Self::Unauthenticated(p) => p.code(),
            Self::Forbidden => "forbidden",
            Self::CsrfRejected => "csrf_failed",
            Self::TooManyAttempts { .. } => "too_many_attempts",
            Self::TooManySubmissions { .. } => "too_many_submissions",
            Self::UnsupportedMediaType => "unsupported_media_type",
            Self::PayloadTooLarge => "payload_too_large",
            Self::Validation(_) => "validation_failed",
            Self::NotFound { .. } | Self::RouteNotFound => "not_found",
            Self::MethodNotAllowed => "method_not_allowed",
            Self::PreconditionFailed { .. } => "precondition_failed",
            Self::Conflict(_) => "conflict",
            Self::Unavailable => "unavailable",
            Self::Timeout => "timeout",
            Self::Internal => "internal",
        }
    }

    /// One sentence for the person who sent the request.
    pub fn message(&self, lang: Lang) -> String {
        let s = |zh: &str, en: &str| lang.pick(zh, en).to_owned();
        match self {
            Self::MalformedJson { line, column } => match lang {
                Lang::ZhCn => {
                    format!("请求内容不是有效的 JSON（第 {line} 行第 {column} 列附近），请检查格式")
                }
                Lang::En => {
                    format!("The request body is not valid JSON (near line {line}, column {column}).")
                }
            },
            Self::InvalidQuery(_) => s(
                "查询参数有误，请检查标出的参数",
                "Some query parameters are invalid; see the listed parameters.",
            ),
            Self::ExactlyOneOf { params, .. } => match lang {
                Lang::ZhCn => format!("请在 {} 中提供且只提供一个参数", params.join("、")),
                Lang::En => format!("Give exactly one of these parameters: {}.", params.join(", ")),
            },
            Self::InvalidPath(_) => s(
                "网址中的编号无效，应为数字",
                "The id in the URL is not valid; it must be a number.",
            ),
            Self::InvalidHeader(_) => s(
                "请求头有误，请检查标出的请求头",
                "A request header is invalid; see the listed header.",
            ),
            Self::Unauthenticated(p) => p.message(lang),
            Self::Forbidden => s(
                "您的角色没有执行此操作的权限，如有需要请联系管理员",
                "Your role does not allow this; ask an administrator if you need it.",
            ),
            Self::CsrfRejected => s(
                "安全校验失败（缺少或错误的 X-CSRF-Token），请刷新页面后重试",
                "The security check failed (missing or wrong X-CSRF-Token); reload the page and try again.",
            ),
            Self::TooManySubmissions { retry_after_secs } => {
                let minutes = retry_after_secs.div_ceil(60).max(1);
                match lang {
                    Lang::ZhCn => format!("提交过于频繁，请 {minutes} 分钟后再试"),
                    Lang::En => format!(
                        "Too many submissions; try again in {minutes} minute{}.",
                        if minutes == 1 { "" } else { "s" }
                    ),
                }
            }
            Self::TooManyAttempts { retry_after_secs } => {
                let minutes = retry_after_secs.div_ceil(60).max(1);
                match lang {
                    Lang::ZhCn => format!("登录失败次数过多，请 {minutes} 分钟后再试"),
                    Lang::En => format!(
                        "Too many failed sign-ins; try again in {minutes} minute{}.",
                        if minutes == 1 { "" } else { "s" }
                    ),
                }
            }
            Self::UnsupportedMediaType => s(
                "请求内容必须是 JSON，请设置 Content-Type: application/json",
                "The request body must be JSON; send Content-Type: application/json.",
            ),
            Self::PayloadTooLarge => s(
                "请求内容过大，不能超过 1 MiB",
                "The request body is too large; the limit is 1 MiB.",
            ),
            Self::Validation(_) => s(
                "请求内容有误，请检查标出的字段",
                "Some fields are invalid; see the listed fields.",
            ),
            Self::NotFound { entity } => not_found_message(entity, lang),
            Self::RouteNotFound => s(
                "没有这个接口，请检查网址",
                "There is no such endpoint; check the URL.",
            ),
            Self::MethodNotAllowed => s(
                "该接口不支持这种请求方法",
                "This endpoint does not support this method.",
            ),
            Self::PreconditionFailed { .. } => s(
                "该记录已被他人修改，请刷新后重试",
                "The record was changed by someone else; reload it and try again.",
            ),
            Self::Conflict(_) => s(
                "与已有数据冲突，请检查标出的字段",
                "This conflicts with existing data; see the listed fields.",
            ),
            Self::Unavailable => s(
                "数据库暂时无法访问，请稍后重试",
                "The database is unavailable right now; please try again later.",
            ),
            Self::Timeout => s(
                "处理超时，请稍后重试",
                "The request took too long; please try again later.",
            ),
            Self::Internal => s(
                "服务器内部出错，请稍后重试；如果问题一直存在，请联系管理员",
                "Something went wrong on our side; please try again later, and tell your administrator if it keeps happening.",
            ),
        }
    }

    /// The fields (or parameters, or headers) the error is about; often empty.
    pub fn fields(&self) -> &[FieldError] {
        match self {
            Self::InvalidQuery(f)
            | Self::InvalidPath(f)
            | Self::InvalidHeader(f)
            | Self::Validation(f)
            | Self::Conflict(f) => f,
            Self::ExactlyOneOf { given, .. } => given,
            Self::MalformedJson { .. }
            | Self::Unauthenticated(_)
            | Self::Forbidden
            | Self::CsrfRejected
            | Self::TooManyAttempts { .. }
            | Self::TooManySubmissions { .. }
            | Self::UnsupportedMediaType
            | Self::PayloadTooLarge
            | Self::NotFound { .. }
            | Self::RouteNotFound
            | Self::MethodNotAllowed
            | Self::PreconditionFailed { .. }
            | Self::Unavailable
            | Self::Timeout
            | Self::Internal => &[],
        }
    }

    /// A query-string error from a parser's field errors.
    pub fn query(e: DomainError) -> Self {
        Self::InvalidQuery(e.fields().to_vec())
    }

    pub fn header(name: &str, reason: Reason) -> Self {
        Self::InvalidHeader(vec![FieldError::new(name, reason)])
    }

    /// The full response in `lang`.
    pub fn render(&self, lang: Lang) -> Response {
        let body = ErrorBody {
            error: ErrorDetail {
                code: self.code().to_owned(),
                message: self.message(lang),
                fields: self
                    .fields()
                    .iter()
                    .map(|f| FieldErrorView {
                        field: f.field.clone(),
                        reason: f.reason.message(lang),
                    })
                    .collect(),
            },
        };
        let mut res = (self.status(), Json(body)).into_response();
        let h = res.headers_mut();
        h.insert(
            header::CONTENT_LANGUAGE,
            HeaderValue::from_static(lang.tag()),
        );
        h.insert(header::VARY, HeaderValue::from_static("accept-language"));
        if let Self::PreconditionFailed {
            current: Some(v), ..
        } = self
        {
            h.insert(header::ETAG, crate::extract::etag(*v));
        }
        if let Self::TooManyAttempts { retry_after_secs }
        | Self::TooManySubmissions { retry_after_secs } = self
        {
            if let Ok(v) = HeaderValue::from_str(&retry_after_secs.to_string()) {
                h.insert(header::RETRY_AFTER, v);
            }
        }
        if let Self::Unauthenticated(_) = self {
            h.insert(
                header::WWW_AUTHENTICATE,
                HeaderValue::from_static("Bearer realm=\"guanxi\""),
            );
        }
        res
    }
}

fn not_found_message(entity: &str, lang: Lang) -> String {
    let (zh, en) = match entity {
        "customer" => ("找不到该客户", "Customer not found."),
        "contact_point" => ("找不到该联系方式", "Contact point not found."),
        "interaction" => ("找不到该互动记录", "Interaction not found."),
        "organisation" => ("找不到该组织", "Organisation not found."),
        "user" => ("找不到该用户", "User not found."),
        "field_def" => ("找不到该自定义字段", "Custom field definition not found."),
        "team" => ("找不到该团队", "Team not found."),
        "api_token" => ("找不到该 API 令牌", "API token not found."),
        _ => ("找不到该记录", "Record not found."),
    };
    lang.pick(zh, en).to_owned()
}

/// Why a request is not signed in.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum AuthProblem {
    /// No session cookie and no `Authorization` header.
    Missing,
    /// Signing in: unknown e-mail, wrong password or a deactivated account (never told apart).
    BadCredentials,
    /// The session cookie is unknown, expired, ended, or was tampered with.
    SessionInvalid,
    /// The bearer token is malformed or unknown.
    TokenInvalid,
    TokenExpired,
    TokenRevoked,
}

impl AuthProblem {
    pub const ALL: [AuthProblem; 6] = [
        Self::Missing,
        Self::BadCredentials,
        Self::SessionInvalid,
        Self::TokenInvalid,
        Self::TokenExpired,
        Self::TokenRevoked,
    ];

    pub fn code(self) -> &'static str {
        match self {
            Self::Missing => "unauthenticated",
            Self::BadCredentials => "invalid_credentials",
            Self::SessionInvalid => "session_invalid",
            Self::TokenInvalid => "token_invalid",
            Self::TokenExpired => "token_expired",
            Self::TokenRevoked => "token_revoked",
        }
    }

    fn message(self, lang: Lang) -> String {
        let (zh, en) = match self {
            Self::Missing => (
                "请先登录，或在 Authorization 请求头中提供 API 令牌",
                "Sign in first, or send an API token in the Authorization header.",
            ),
            Self::BadCredentials => ("邮箱或密码不正确", "Wrong e-mail address or password."),
            Self::SessionInvalid => (
                "登录已失效，请重新登录",
                "Your session has ended; please sign in again.",
            ),
            Self::TokenInvalid => ("API 令牌无效", "The API token is not valid."),
            Self::TokenExpired => (
                "API 令牌已过期，请新建一个",
                "The API token has expired; create a new one.",
            ),
            Self::TokenRevoked => ("API 令牌已被撤销", "The API token has been revoked."),
        };
        lang.pick(zh, en).to_owned()
    }
}

/// The single mapping from the storage layer. No `_ =>`: a new `StoreError` variant must be
/// decided here.
impl From<StoreError> for ApiError {
    fn from(e: StoreError) -> Self {
        match e {
            StoreError::NotFound { entity } => Self::NotFound { entity },
            StoreError::VersionMismatch { current, .. } => Self::PreconditionFailed {
                current: Some(current),
            },
            StoreError::Invalid(d) => Self::Validation(d.fields().to_vec()),
            StoreError::Conflict { field, reason } => {
                Self::Conflict(vec![FieldError::new(field, reason)])
            }
            StoreError::Unavailable(detail) => {
                tracing::warn!(error.detail = %detail, "database unavailable");
                Self::Unavailable
            }
            StoreError::Internal(detail) => {
                tracing::error!(error.detail = %detail, "storage failure");
                Self::Internal
            }
        }
    }
}

impl From<DomainError> for ApiError {
    fn from(e: DomainError) -> Self {
        Self::Validation(e.fields().to_vec())
    }
}

/// Marks a response as rendered from an [`ApiError`], so the middleware can re-render it.
#[derive(Clone)]
struct Rendered(ApiError);

/// The error a response was rendered from, if it was.
pub fn error_of(res: &Response) -> Option<&ApiError> {
    res.extensions().get::<Rendered>().map(|Rendered(e)| e)
}

impl ApiError {
    /// Is this a refusal worth auditing: a record out of reach (another organisation's id, a
    /// customer of another team) or a reference the caller may not make (an owner of another
    /// organisation or team)? Ordinary typing mistakes are not.
    pub fn is_reach_refusal(&self) -> bool {
        match self {
            Self::NotFound { .. } => true,
            Self::Validation(fields) => fields
                .iter()
                .any(|f| matches!(f.reason, Reason::NotFound | Reason::NotAllowed)),
            _ => false,
        }
    }
}

impl IntoResponse for ApiError {
    fn into_response(self) -> Response {
        let mut res = self.render(Lang::default());
        res.extensions_mut().insert(Rendered(self));
        res
    }
}

/// The request language: `Accept-Language` by quality, zh-CN when it names neither language.
pub fn request_lang(headers: &HeaderMap) -> Lang {
    headers
        .get(header::ACCEPT_LANGUAGE)
        .and_then(|v| v.to_str().ok())
        .and_then(Lang::from_accept_language)
        .unwrap_or_default()
}

/// Middleware: render every error in the caller's language, and give the bare error
/// responses of other layers (413, timeout, 404/405 from the router) the JSON error shape.
pub async fn render_errors(req: Request, next: Next) -> Response {
    let lang = request_lang(req.headers());
    let mut res = next.run(req).await;
    let err = match res.extensions_mut().remove::<Rendered>() {
        Some(Rendered(e)) => e,
        None => match bare_error(&res) {
            Some(e) => e,
            None => return res,
        },
    };
    let (mut parts, _) = res.into_parts();
    let fresh = err.render(lang);
    let (fresh_parts, body) = fresh.into_parts();
    parts.status = fresh_parts.status;
    parts.headers.remove(header::CONTENT_LENGTH);
    for (name, value) in &fresh_parts.headers {
        parts.headers.insert(name.clone(), value.clone());
    }
    Response::from_parts(parts, body)
}

/// An error response made by a layer that does not speak our JSON (it has no JSON body).
fn bare_error(res: &Response) -> Option<ApiError> {
    let is_json = res
        .headers()
        .get(header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .is_some_and(|v| v.starts_with("application/json"));
    let is_page = res
        .headers()
        .get(header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .is_some_and(|v| v.starts_with("text/html"));
    if is_json || is_page {
        // Our own answers: JSON errors, and the web UI's pages.
        return None;
    }
    match res.status() {
        StatusCode::PAYLOAD_TOO_LARGE => Some(ApiError::PayloadTooLarge),
        StatusCode::SERVICE_UNAVAILABLE | StatusCode::REQUEST_TIMEOUT => Some(ApiError::Timeout),
        StatusCode::NOT_FOUND => Some(ApiError::RouteNotFound),
        StatusCode::METHOD_NOT_ALLOWED => Some(ApiError::MethodNotAllowed),
        StatusCode::UNSUPPORTED_MEDIA_TYPE => Some(ApiError::UnsupportedMediaType),
        _ => None,
    }
}

pub async fn route_not_found() -> ApiError {
    ApiError::RouteNotFound
}

pub async fn method_not_allowed() -> ApiError {
    ApiError::MethodNotAllowed
}

/// For `CatchPanicLayer`: a panic is a bug; log it and answer like any internal error.
pub fn panic_response(err: Box<dyn std::any::Any + Send + 'static>) -> Response {
    let detail = err
        .downcast_ref::<&str>()
        .map(|s| (*s).to_owned())
        .or_else(|| err.downcast_ref::<String>().cloned())
        .unwrap_or_default();
    tracing::error!(panic.message = %detail, "handler panicked");
    ApiError::Internal.into_response()
}

// ---------------------------------------------------------------- wire shape

/// Every error response: `{"error": {...}}`.
#[derive(Debug, Serialize, serde::Deserialize, ToSchema)]
pub struct ErrorBody {
    pub error: ErrorDetail,
}

#[derive(Debug, Serialize, serde::Deserialize, ToSchema)]
pub struct ErrorDetail {
    /// Stable code: `validation_failed`, `not_found`, `precondition_failed`, …
    #[schema(example = "validation_failed")]
    pub code: String,
    /// One sentence in the request's language (`Accept-Language`, default zh-CN).
    #[schema(example = "请求内容有误，请检查标出的字段")]
    pub message: String,
    /// The refused fields, parameters or headers; always present, possibly empty.
    pub fields: Vec<FieldErrorView>,
}

#[derive(Debug, Serialize, serde::Deserialize, ToSchema)]
pub struct FieldErrorView {
    /// Path of the field, e.g. `contact_points[1].value`, `tags[0]`, `custom.industry`.
    #[schema(example = "contact_points[0].value")]
    pub field: String,
    /// Why, in the request's language.
    #[schema(example = "不是有效的电话号码（例如 138 0013 8000 或 010-8888 6666）")]
    pub reason: String,
}

#[cfg(test)]
mod tests {
    use super::*;

    fn all_store_errors() -> Vec<(StoreError, StatusCode, &'static str)> {
        vec![
            (
                StoreError::NotFound { entity: "customer" },
                StatusCode::NOT_FOUND,
                "not_found",
            ),
            (
                StoreError::VersionMismatch {
                    expected: 1,
                    current: 2,
                },
                StatusCode::PRECONDITION_FAILED,
                "precondition_failed",
            ),
            (
                StoreError::invalid("owner_id", Reason::NotFound),
                StatusCode::UNPROCESSABLE_ENTITY,
                "validation_failed",
            ),
            (
                StoreError::Conflict {
                    field: "contact_points[0].value".into(),
                    reason: Reason::Duplicate { customer_id: 7 },
                },
                StatusCode::CONFLICT,
                "conflict",
            ),
            (
                StoreError::Unavailable("pool timed out".into()),
                StatusCode::SERVICE_UNAVAILABLE,
                "unavailable",
            ),
            (
                StoreError::Internal("relation \"customers\" does not exist".into()),
                StatusCode::INTERNAL_SERVER_ERROR,
                "internal",
            ),
        ]
    }

    #[test]
    fn every_store_error_has_its_status_and_code() {
        for (e, status, code) in all_store_errors() {
            let api = ApiError::from(e);
            assert_eq!(api.status(), status, "{api:?}");
            assert_eq!(api.code(), code, "{api:?}");
        }
    }

    #[test]
    fn internal_detail_never_reaches_the_message() {
        let api = ApiError::from(StoreError::Internal("secret sql detail".into()));
        for lang in [Lang::ZhCn, Lang::En] {
            assert!(!api.message(lang).contains("secret"));
        }
        assert!(api.fields().is_empty());
    }

    #[test]
    fn conflict_keeps_field_and_reason() {
        let api = ApiError::from(StoreError::Conflict {
            field: "contact_points[0].value".into(),
            reason: Reason::Duplicate { customer_id: 7 },
        });
        assert_eq!(api.fields()[0].field, "contact_points[0].value");
        assert_eq!(
            api.fields()[0].reason.message(Lang::En),
            "already belongs to customer 7"
        );
    }

    #[test]
    fn version_mismatch_reports_the_current_etag() {
        let api = ApiError::from(StoreError::VersionMismatch {
            expected: 3,
            current: 5,
        });
        let res = api.render(Lang::En);
        assert_eq!(
            res.headers()
                .get(header::ETAG)
                .and_then(|v| v.to_str().ok()),
            Some("\"5\"")
        );
    }

    #[test]
    fn every_variant_reads_in_both_languages() {
        let all = [
            ApiError::MalformedJson { line: 1, column: 2 },
            ApiError::InvalidQuery(vec![]),
            ApiError::ExactlyOneOf {
                params: &["phone", "email"],
                given: vec![],
            },
            ApiError::InvalidPath(vec![]),
            ApiError::InvalidHeader(vec![]),
            ApiError::Forbidden,
            ApiError::CsrfRejected,
            ApiError::TooManyAttempts {
                retry_after_secs: 61,
            },
            ApiError::UnsupportedMediaType,
            ApiError::PayloadTooLarge,
            ApiError::Validation(vec![]),
            ApiError::NotFound { entity: "customer" },
            ApiError::NotFound { entity: "whatever" },
            ApiError::RouteNotFound,
            ApiError::MethodNotAllowed,
            ApiError::PreconditionFailed { current: None },
            ApiError::Conflict(vec![]),
            ApiError::Unavailable,
            ApiError::Timeout,
            ApiError::Internal,
        ];
        let all = all
            .into_iter()
            .chain(AuthProblem::ALL.into_iter().map(ApiError::Unauthenticated));
        for e in all {
            let zh = e.message(Lang::ZhCn);
            let en = e.message(Lang::En);
            assert_ne!(zh, en);
            assert!(
                zh.chars().any(|c| ('\u{4e00}'..='\u{9fff}').contains(&c)),
                "{zh}"
            );
            assert!(e.status().is_client_error() || e.status().is_server_error());
        }
    }

    #[tokio::test]
    async fn bare_responses_of_other_layers_get_the_json_shape() {
        use axum::body::Body;
        use axum::routing::get;
        use tower::ServiceExt;
        let app = axum::Router::new()
            .route("/slow", get(|| async { StatusCode::SERVICE_UNAVAILABLE }))
            .route("/teapot", get(|| async { StatusCode::IM_A_TEAPOT }))
            .route("/panic", get(|| async { panic_response(Box::new("boom")) }))
            .layer(axum::middleware::from_fn(render_errors));
        let call = |uri: &'static str| {
            let app = app.clone();
            async move {
                let req = Request::builder()
                    .uri(uri)
                    .header(header::ACCEPT_LANGUAGE, "en")
                    .body(Body::empty())
                    .expect("req");
                app.oneshot(req).await.expect("infallible")
            }
        };
        let res = call("/slow").await;
        assert_eq!(res.status(), StatusCode::SERVICE_UNAVAILABLE);
        let body = axum::body::to_bytes(res.into_body(), 10_000)
            .await
            .expect("body");
        let v: serde_json::Value = serde_json::from_slice(&body).expect("json");
        assert_eq!(v["error"]["code"], "timeout");
        assert_eq!(v["error"]["message"], ApiError::Timeout.message(Lang::En));
        // Statuses we do not own are left alone.
        assert_eq!(call("/teapot").await.status(), StatusCode::IM_A_TEAPOT);
        // A panic answers like any internal error, in the caller's language.
        let res = call("/panic").await;
        assert_eq!(res.status(), StatusCode::INTERNAL_SERVER_ERROR);
        assert_eq!(
            res.headers().get(header::CONTENT_LANGUAGE),
            Some(&HeaderValue::from_static("en"))
        );
    }

    #[test]
    fn accept_language_picks_the_language() {
        let lang = |v: &str| {
            let mut h = HeaderMap::new();
            h.insert(
                header::ACCEPT_LANGUAGE,
                HeaderValue::from_str(v).expect("header"),
            );
            request_lang(&h)
        };
        assert_eq!(request_lang(&HeaderMap::new()), Lang::ZhCn);
        assert_eq!(lang("en-GB,en;q=0.9"), Lang::En);
        assert_eq!(lang("fr, de"), Lang::ZhCn);
        assert_eq!(lang("en;q=0.3, zh-CN;q=0.8"), Lang::ZhCn);
        assert_eq!(lang("zh;q=0, en"), Lang::En);
    }
}

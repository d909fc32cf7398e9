//! The JSON API of Guanxi (关系), under `/api/v1`.
//!
//! [`router`] is the whole HTTP surface: probes, the API, its OpenAPI document and a Swagger
//! UI. Handlers are thin (`routes/<resource>.rs`): typed extractors in (`extract`), one
//! [`guanxi_store::Store`] call, a view out (`dto`). Failures of every kind are an
//! [`ApiError`], mapped to HTTP in one place (`error`). This crate never sees SQL.
//!
//! Conventions for clients are in `docs/API.md`.

pub mod analysis;
pub mod auth;
pub mod dto;
pub mod error;
pub(crate) mod extract;
pub mod imports;
mod openapi;
mod routes;
pub mod warehouse;

pub use dto::admin::CreateOrg;
pub use error::{ApiError, ErrorBody, ErrorDetail, FieldErrorView};
pub use openapi::ApiDoc;

use axum::extract::DefaultBodyLimit;
use axum::http::{Request, StatusCode};
use axum::{middleware, Router};
use guanxi_store::Store;
use std::sync::Arc;
use std::time::Duration;
use tower_http::catch_panic::CatchPanicLayer;
use tower_http::limit::RequestBodyLimitLayer;
use tower_http::request_id::{MakeRequestUuid, PropagateRequestIdLayer, SetRequestIdLayer};
use tower_http::timeout::TimeoutLayer;
use tower_http::trace::TraceLayer;
use utoipa::OpenApi;
use utoipa_swagger_ui::SwaggerUi;

/// Default largest request body: 1 MiB (`max_body_bytes` in the settings).
pub const MAX_BODY_BYTES: usize = 1024 * 1024;
/// Default largest uploaded import file: 1 GiB (`max_upload_bytes` in the settings).
pub const MAX_UPLOAD_BYTES: u64 = 1 << 30;
/// A request still running after this is answered `503 timeout`.
pub const REQUEST_TIMEOUT: Duration = Duration::from_secs(30);

/// What the handlers share.
#[derive(Clone)]
pub struct ApiState {
    pub store: Arc<dyn Store>,
    /// Largest request body accepted, in bytes; larger bodies get 413.
    pub max_body_bytes: usize,
    /// Mark the session cookie `Secure` even when the request does not say it came over TLS
    /// (set it when a TLS-terminating proxy does not send `X-Forwarded-Proto`).
    pub secure_cookies: bool,
    /// How long a browser session lasts.
    pub session_ttl: Duration,
    /// Failed sign-ins per account and per address.
    pub throttle: Arc<auth::Throttle>,
    /// Web form submissions per form (as the "account") and per address.
    pub form_throttle: Arc<auth::Throttle>,
    /// Credentials verified in the last seconds.
    pub auth_cache: Arc<auth::AuthCache>,
    /// Where uploaded import files are kept (one folder per organisation) until their job
    /// is done, so that an import resumes after a restart.
    pub upload_dir: std::path::PathBuf,
    /// Largest uploaded file, in bytes.
    pub max_upload_bytes: u64,
    /// How scoring runs value customers.
    pub analysis: analysis::Settings,
    /// The scoring runs going in this process.
    pub analysis_runs: Arc<analysis::Runs>,
    /// The data warehouse for analysts' SQL; none when the server runs without one.
    pub warehouse: Option<Arc<dyn warehouse::Warehouse>>,
}

impl ApiState {
    /// The defaults: 1 MiB bodies, 12-hour sessions, 5 failed sign-ins per account and 50 per
    /// address in 15 minutes.
    pub fn new(store: Arc<dyn Store>) -> Self {
        Self {
            store,
            max_body_bytes: MAX_BODY_BYTES,
            secure_cookies: false,
            session_ttl: SESSION_TTL,
            throttle: Arc::new(auth::Throttle::default()),
            form_throttle: Arc::new(auth::Throttle::new(300, 10, Duration::from_secs(10 * 60))),
            auth_cache: Arc::new(auth::AuthCache::default()),
            upload_dir: std::env::temp_dir().join("guanxi-uploads"),
            max_upload_bytes: MAX_UPLOAD_BYTES,
            analysis: analysis::Settings::default(),
            analysis_runs: Arc::new(analysis::Runs::default()),
            warehouse: None,
        }
    }
}

/// Web forms: taking a visitor's submission (for the hosted form page of the web UI).
pub mod forms {
    pub use crate::routes::leads::{accept_submission, FORM_PREFIX};
}

/// Import jobs and the duplicate queue, for the web UI's pages (the same steps as the API's
/// handlers).
pub mod import_jobs {
    pub use crate::routes::imports::{
        check_mapping, custom_fields, job_mapping, merge_pair, remove_stale_uploads, restart,
        resume_job, run_scan, sheet_of, spawn_job, start_scan, start_upload, upload_job, JobView,
        StartImport, Upload,
    };
}

/// Starting a scoring run in the background (the web UI's button).
pub mod analysis_jobs {
    pub use crate::routes::analysis::start_run;
}

/// The prefix of calendar feed secrets (for the web UI, which makes feed links too).
pub fn routes_activities_feed_prefix() -> &'static str {
    routes::activities::FEED_PREFIX
}

/// Default lifetime of a browser session.
pub const SESSION_TTL: Duration = Duration::from_secs(12 * 3600);

/// The whole HTTP surface: `/healthz`, `/readyz`, `/api/v1/...`, `/api/v1/openapi.json` and
/// the Swagger UI at `/api/docs`, with the middleware every request goes through (request id,
/// tracing, error rendering in the caller's language, panic catching, timeout, body limit).
pub fn router(state: ApiState) -> Router {
    router_with(state, Router::new())
}

/// The API together with `pages` (the web UI), behind the same middleware.
pub fn router_with(state: ApiState, pages: Router) -> Router {
    router_full(state, pages, Router::new())
}

/// The API, the web UI's `pages`, and the web UI's `page_uploads` (pages that take a file,
/// under the upload limit instead of the body limit).
pub fn router_full(state: ApiState, pages: Router, page_uploads: Router) -> Router {
    let limit = state.max_body_bytes.max(1);
    let upload = usize::try_from(state.max_upload_bytes)
        .unwrap_or(usize::MAX)
        .max(limit);
    let docs = SwaggerUi::new("/api/docs").url("/api/v1/openapi.json", ApiDoc::openapi());
    // Uploads get their own, larger limit (the handler also counts what it writes); every
    // other route keeps the small one.
    let uploads = routes::upload_routes()
        .route_layer(middleware::from_fn_with_state(
            state.clone(),
            auth::authorize,
        ))
        .with_state(state.clone())
        .merge(page_uploads)
        .layer(DefaultBodyLimit::max(upload))
        .layer(RequestBodyLimitLayer::new(upload));
    routes::api_routes()
        .route_layer(middleware::from_fn_with_state(
            state.clone(),
            auth::authorize,
        ))
        .with_state(state)
        .merge(docs)
        .merge(pages)
        .layer(DefaultBodyLimit::max(limit))
        .layer(RequestBodyLimitLayer::new(limit))
        .merge(uploads)
        .fallback(error::route_not_found)
        .method_not_allowed_fallback(error::method_not_allowed)
        .layer(TimeoutLayer::with_status_code(
            StatusCode::SERVICE_UNAVAILABLE,
            REQUEST_TIMEOUT,
        ))
        .layer(CatchPanicLayer::custom(error::panic_response))
        .layer(middleware::from_fn(error::render_errors))
        .layer(middleware::from_fn(security_headers))
        .layer(PropagateRequestIdLayer::x_request_id())
        .layer(TraceLayer::new_for_http().make_span_with(request_span))
        .layer(SetRequestIdLayer::x_request_id(MakeRequestUuid))
}

/// Headers every response carries: no sniffing, no framing, no referrer leaks, no caching of
/// API answers (they hold personal data); HTML pages also get a content security policy.
async fn security_headers(
    req: axum::extract::Request,
    next: middleware::Next,
) -> axum::response::Response {
    use axum::http::header::{self, HeaderValue};
    let api = req.uri().path().starts_with("/api/v1/");
    let mut res = next.run(req).await;
    let html = res
        .headers()
        .get(header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .is_some_and(|v| v.starts_with("text/html"));
    let h = res.headers_mut();
    h.insert(
        header::X_CONTENT_TYPE_OPTIONS,
        HeaderValue::from_static("nosniff"),
    );
    h.insert(header::X_FRAME_OPTIONS, HeaderValue::from_static("DENY"));
    h.insert(
        header::REFERRER_POLICY,
        HeaderValue::from_static("same-origin"),
    );
    if api {
        h.insert(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
    }
    if html {
        h.insert(
            header::CONTENT_SECURITY_POLICY,
            HeaderValue::from_static(
                "default-src 'self'; script-src 'self' 'unsafe-inline'; style-src 'self' 'unsafe-inline'; \
                 img-src 'self' data:; connect-src 'self'; frame-ancestors 'none'; base-uri 'self'; form-action 'self'",
            ),
        );
    }
    res
}

/// The span of one request. The query string is left out: it can hold phone numbers.
fn request_span<B>(req: &Request<B>) -> tracing::Span {
    let request_id = req
        .headers()
        .get("x-request-id")
        .and_then(|v| v.to_str().ok())
        .unwrap_or("");
    tracing::info_span!(
        "http.request",
        http.method = %req.method(),
        http.path = %req.uri().path(),
        request.id = %request_id,
    )
}

#[cfg(test)]
mod tests;

//! The JSON API of Guanxi (关系), under `/api/v1`.
//!
//! [`router`] is the whole HTTP surface: probes, the API, its OpenAPI document and a Swagger
//! UI. Handlers are thin (`routes/<resource>.rs`): typed extractors in (`extract`), one
//! [`guanxi_store::Store`] call, a view out (`dto`). Failures of every kind are an
//! [`ApiError`], mapped to HTTP in one place (`error`). This crate never sees SQL.
//!
//! Conventions for clients are in `docs/API.md`.

mod dto;
mod error;
mod extract;
mod openapi;
mod routes;

pub use error::{ApiError, ErrorBody, ErrorDetail, FieldErrorView};
pub use extract::{ORG_HEADER_NAME, USER_HEADER_NAME};
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
/// A request still running after this is answered `503 timeout`.
pub const REQUEST_TIMEOUT: Duration = Duration::from_secs(30);

/// What the handlers share.
#[derive(Clone)]
pub struct ApiState {
    pub store: Arc<dyn Store>,
    /// Largest request body accepted, in bytes; larger bodies get 413.
    pub max_body_bytes: usize,
}

/// The whole HTTP surface: `/healthz`, `/readyz`, `/api/v1/...`, `/api/v1/openapi.json` and
/// the Swagger UI at `/api/docs`, with the middleware every request goes through (request id,
/// tracing, error rendering in the caller's language, panic catching, timeout, body limit).
pub fn router(state: ApiState) -> Router {
    let limit = state.max_body_bytes.max(1);
    let docs = SwaggerUi::new("/api/docs").url("/api/v1/openapi.json", ApiDoc::openapi());
    routes::api_routes()
        .with_state(state)
        .merge(docs)
        .fallback(error::route_not_found)
        .method_not_allowed_fallback(error::method_not_allowed)
        .layer(DefaultBodyLimit::max(limit))
        .layer(RequestBodyLimitLayer::new(limit))
        .layer(TimeoutLayer::with_status_code(
            StatusCode::SERVICE_UNAVAILABLE,
            REQUEST_TIMEOUT,
        ))
        .layer(CatchPanicLayer::custom(error::panic_response))
        .layer(middleware::from_fn(error::render_errors))
        .layer(PropagateRequestIdLayer::x_request_id())
        .layer(TraceLayer::new_for_http().make_span_with(request_span))
        .layer(SetRequestIdLayer::x_request_id(MakeRequestUuid))
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

//! One module per resource; each handler extracts typed input, makes one store call and
//! returns a view. The route table is [`api_routes`].

pub mod contact_points;
pub mod customers;
pub mod events;
pub mod field_defs;
pub mod health;
pub mod interactions;
pub mod orgs;
pub mod users;

use crate::extract::etag;
use crate::ApiState;
use axum::http::header::{self, HeaderValue};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use axum::routing::{get, patch, post};
use axum::{Json, Router};
use serde::Serialize;

/// Every route of the service except the documentation.
pub fn api_routes() -> Router<ApiState> {
    Router::new()
        .route("/healthz", get(health::healthz))
        .route("/readyz", get(health::readyz))
        .route("/api/v1/organisations", post(orgs::create).get(orgs::list))
        .route("/api/v1/users", post(users::create).get(users::list))
        .route(
            "/api/v1/field-definitions",
            post(field_defs::create).get(field_defs::list),
        )
        .route(
            "/api/v1/field-definitions/{id}",
            axum::routing::delete(field_defs::delete),
        )
        .route(
            "/api/v1/customers",
            post(customers::create).get(customers::list),
        )
        .route("/api/v1/customers/lookup", get(customers::lookup))
        .route(
            "/api/v1/customers/{id}",
            get(customers::get)
                .patch(customers::update)
                .delete(customers::delete),
        )
        .route("/api/v1/customers/{id}/restore", post(customers::restore))
        .route("/api/v1/customers/{id}/360", get(customers::view_360))
        .route(
            "/api/v1/customers/{id}/timeline",
            get(interactions::timeline),
        )
        .route(
            "/api/v1/customers/{id}/contact-points",
            post(contact_points::create),
        )
        .route(
            "/api/v1/customers/{id}/contact-points/{cp_id}",
            patch(contact_points::update).delete(contact_points::delete),
        )
        .route("/api/v1/interactions", post(interactions::create))
        .route(
            "/api/v1/interactions/{id}",
            get(interactions::get)
                .patch(interactions::update)
                .delete(interactions::delete),
        )
        .route("/api/v1/events", get(events::list))
}

/// A JSON body with the record's version as a strong `ETag`.
pub fn versioned<T: Serialize>(status: StatusCode, version: i64, body: T) -> Response {
    let mut res = (status, Json(body)).into_response();
    res.headers_mut().insert(header::ETAG, etag(version));
    res
}

/// `201 Created` with `Location`, and `ETag` when the record is versioned.
pub fn created<T: Serialize>(location: String, version: Option<i64>, body: T) -> Response {
    let mut res = (StatusCode::CREATED, Json(body)).into_response();
    if let Ok(loc) = HeaderValue::from_str(&location) {
        res.headers_mut().insert(header::LOCATION, loc);
    }
    if let Some(v) = version {
        res.headers_mut().insert(header::ETAG, etag(v));
    }
    res
}

//! A customer's contact points: phone numbers, e-mail addresses, WeChat ids, addresses.

use super::created;
use crate::dto::customers::{ContactPointView, CreateContactPoint, UpdateContactPoint};
use crate::error::{ApiError, ErrorBody};
use crate::extract::{ContactPointPath, IdPath, JsonBody, OrgCtx, PathParams};
use crate::ApiState;
use axum::extract::State;
use axum::http::StatusCode;
use axum::response::Response;
use axum::Json;
use guanxi_core::{ContactPointId, CustomerId};

/// Add a contact point to a customer.
#[utoipa::path(post, path = "/api/v1/customers/{id}/contact-points", tag = "contact-points",
    params(("id" = i64, Path, description = "Customer id")),
    request_body = CreateContactPoint,
    responses(
        (status = 201, description = "Added", body = ContactPointView, headers(("Location" = String))),
        (status = 404, description = "No such customer", body = ErrorBody),
        (status = 409, description = "Another customer holds it", body = ErrorBody),
        (status = 422, description = "Invalid fields", body = ErrorBody),
    ))]
pub async fn create(
    State(s): State<ApiState>,
    OrgCtx(ctx): OrgCtx,
    PathParams(p): PathParams<IdPath>,
    JsonBody(body): JsonBody<CreateContactPoint>,
) -> Result<Response, ApiError> {
    let cp = s
        .store
        .add_contact_point(ctx, CustomerId(p.id), body.parse()?)
        .await?;
    Ok(created(
        format!("/api/v1/customers/{}/contact-points/{}", p.id, cp.id),
        None,
        ContactPointView::from(cp),
    ))
}

/// Change a contact point.
#[utoipa::path(patch, path = "/api/v1/customers/{id}/contact-points/{cp_id}", tag = "contact-points",
    params(
        ("id" = i64, Path, description = "Customer id"),
        ("cp_id" = i64, Path, description = "Contact point id"),
    ),
    request_body = UpdateContactPoint,
    responses(
        (status = 200, description = "Updated", body = ContactPointView),
        (status = 404, description = "No such customer or contact point", body = ErrorBody),
        (status = 409, description = "Another customer holds the new value", body = ErrorBody),
        (status = 422, description = "Invalid fields", body = ErrorBody),
    ))]
pub async fn update(
    State(s): State<ApiState>,
    OrgCtx(ctx): OrgCtx,
    PathParams(p): PathParams<ContactPointPath>,
    JsonBody(body): JsonBody<UpdateContactPoint>,
) -> Result<Json<ContactPointView>, ApiError> {
    let cp = s
        .store
        .update_contact_point(
            ctx,
            CustomerId(p.id),
            ContactPointId(p.cp_id),
            body.parse()?,
        )
        .await?;
    Ok(Json(cp.into()))
}

/// Remove a contact point.
#[utoipa::path(delete, path = "/api/v1/customers/{id}/contact-points/{cp_id}", tag = "contact-points",
    params(
        ("id" = i64, Path, description = "Customer id"),
        ("cp_id" = i64, Path, description = "Contact point id"),
    ),
    responses(
        (status = 204, description = "Removed"),
        (status = 404, description = "No such customer or contact point", body = ErrorBody),
    ))]
pub async fn delete(
    State(s): State<ApiState>,
    OrgCtx(ctx): OrgCtx,
    PathParams(p): PathParams<ContactPointPath>,
) -> Result<StatusCode, ApiError> {
    s.store
        .remove_contact_point(ctx, CustomerId(p.id), ContactPointId(p.cp_id))
        .await?;
    Ok(StatusCode::NO_CONTENT)
}

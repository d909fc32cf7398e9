//! Interactions: log one (recognising the customer by contact point), read, change, delete,
//! and a customer's timeline.

use super::{created, versioned};
use crate::dto::customers::TimelineParams;
use crate::dto::interactions::{
    CreateInteraction, InteractionPage, InteractionView, LoggedInteraction, UpdateInteraction,
};
use crate::error::{ApiError, ErrorBody};
use crate::extract::{IdPath, IfMatch, JsonBody, OrgCtx, PathParams, QueryParams};
use crate::ApiState;
use axum::extract::State;
use axum::http::StatusCode;
use axum::response::Response;
use axum::Json;
use guanxi_core::{CustomerId, InteractionId};

/// Log an interaction. Without `customer_id`, the customer holding `contact` is found
/// (`recognition: matched`) or a potential customer is created (`recognition: created`).
#[utoipa::path(post, path = "/api/v1/interactions", tag = "interactions",
    request_body = CreateInteraction,
    responses(
        (status = 201, description = "Logged", body = LoggedInteraction,
            headers(("Location" = String), ("ETag" = String))),
        (status = 422, description = "Invalid fields", body = ErrorBody),
    ))]
pub async fn create(
    State(s): State<ApiState>,
    OrgCtx(ctx): OrgCtx,
    JsonBody(body): JsonBody<CreateInteraction>,
) -> Result<Response, ApiError> {
    let new = body.parse(chrono::Utc::now())?;
    let (i, recognition) = s.store.log_interaction(ctx, new).await?;
    Ok(created(
        format!("/api/v1/interactions/{}", i.id),
        Some(i.version),
        LoggedInteraction {
            interaction: i.into(),
            recognition: recognition.into(),
        },
    ))
}

/// One interaction.
#[utoipa::path(get, path = "/api/v1/interactions/{id}", tag = "interactions",
    params(("id" = i64, Path, description = "Interaction id")),
    responses(
        (status = 200, description = "The interaction", body = InteractionView, headers(("ETag" = String))),
        (status = 404, description = "No such interaction", body = ErrorBody),
    ))]
pub async fn get(
    State(s): State<ApiState>,
    OrgCtx(ctx): OrgCtx,
    PathParams(p): PathParams<IdPath>,
) -> Result<Response, ApiError> {
    let i = s.store.get_interaction(ctx, InteractionId(p.id)).await?;
    Ok(versioned(
        StatusCode::OK,
        i.version,
        InteractionView::from(i),
    ))
}

/// Change some fields of an interaction.
#[utoipa::path(patch, path = "/api/v1/interactions/{id}", tag = "interactions",
    params(
        ("id" = i64, Path, description = "Interaction id"),
        ("If-Match" = Option<String>, Header, description = "The `ETag` last seen"),
    ),
    request_body = UpdateInteraction,
    responses(
        (status = 200, description = "Updated", body = InteractionView, headers(("ETag" = String))),
        (status = 404, description = "No such interaction", body = ErrorBody),
        (status = 412, description = "Changed by someone else meanwhile", body = ErrorBody),
        (status = 422, description = "Invalid fields", body = ErrorBody),
    ))]
pub async fn update(
    State(s): State<ApiState>,
    OrgCtx(ctx): OrgCtx,
    PathParams(p): PathParams<IdPath>,
    IfMatch(version): IfMatch,
    JsonBody(body): JsonBody<UpdateInteraction>,
) -> Result<Response, ApiError> {
    let patch = body.parse(chrono::Utc::now())?;
    let i = s
        .store
        .update_interaction(ctx, InteractionId(p.id), version, patch)
        .await?;
    Ok(versioned(
        StatusCode::OK,
        i.version,
        InteractionView::from(i),
    ))
}

/// Delete an interaction. With `If-Match`, only if it is still at that version.
#[utoipa::path(delete, path = "/api/v1/interactions/{id}", tag = "interactions",
    params(
        ("id" = i64, Path, description = "Interaction id"),
        ("If-Match" = Option<String>, Header, description = "The `ETag` last seen"),
    ),
    responses(
        (status = 204, description = "Deleted"),
        (status = 404, description = "No such interaction", body = ErrorBody),
        (status = 412, description = "Changed by someone else meanwhile", body = ErrorBody),
    ))]
pub async fn delete(
    State(s): State<ApiState>,
    OrgCtx(ctx): OrgCtx,
    PathParams(p): PathParams<IdPath>,
    IfMatch(version): IfMatch,
) -> Result<StatusCode, ApiError> {
    s.store
        .delete_interaction(ctx, InteractionId(p.id), version)
        .await?;
    Ok(StatusCode::NO_CONTENT)
}

/// A customer's interactions, newest first.
#[utoipa::path(get, path = "/api/v1/customers/{id}/timeline", tag = "interactions",
    params(("id" = i64, Path, description = "Customer id"), TimelineParams),
    responses(
        (status = 200, description = "A page of the timeline", body = InteractionPage),
        (status = 400, description = "Invalid parameters", body = ErrorBody),
        (status = 404, description = "No such customer", body = ErrorBody),
    ))]
pub async fn timeline(
    State(s): State<ApiState>,
    OrgCtx(ctx): OrgCtx,
    PathParams(p): PathParams<IdPath>,
    QueryParams(q): QueryParams<TimelineParams>,
) -> Result<Json<InteractionPage>, ApiError> {
    let page = s.store.timeline(ctx, CustomerId(p.id), q.parse()?).await?;
    Ok(Json(page.into()))
}

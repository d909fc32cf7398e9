//! Custom field definitions: the organisation's extra customer fields.

use crate::dto::admin::{CreateFieldDef, FieldDefList, FieldDefView};
use crate::error::{ApiError, ErrorBody};
use crate::extract::{IdPath, JsonBody, OrgCtx, PathParams};
use crate::ApiState;
use axum::extract::State;
use axum::http::StatusCode;
use axum::Json;
use guanxi_core::FieldDefId;

/// Define a custom field.
#[utoipa::path(post, path = "/api/v1/field-definitions", tag = "field-definitions",
    request_body = CreateFieldDef,
    responses(
        (status = 201, description = "Created", body = FieldDefView),
        (status = 409, description = "The key is taken", body = ErrorBody),
        (status = 422, description = "Invalid fields", body = ErrorBody),
    ))]
pub async fn create(
    State(s): State<ApiState>,
    OrgCtx(ctx): OrgCtx,
    JsonBody(body): JsonBody<CreateFieldDef>,
) -> Result<(StatusCode, Json<FieldDefView>), ApiError> {
    let def = s.store.create_field_def(ctx, body.parse()?).await?;
    Ok((StatusCode::CREATED, Json(def.into())))
}

/// The organisation's custom fields.
#[utoipa::path(get, path = "/api/v1/field-definitions", tag = "field-definitions",
    responses((status = 200, description = "All definitions", body = FieldDefList)))]
pub async fn list(
    State(s): State<ApiState>,
    OrgCtx(ctx): OrgCtx,
) -> Result<Json<FieldDefList>, ApiError> {
    let defs = s.store.list_field_defs(ctx).await?;
    Ok(Json(FieldDefList {
        items: defs.into_iter().map(Into::into).collect(),
    }))
}

/// Remove a custom field definition.
#[utoipa::path(delete, path = "/api/v1/field-definitions/{id}", tag = "field-definitions",
    params(("id" = i64, Path, description = "Field definition id")),
    responses(
        (status = 204, description = "Deleted"),
        (status = 404, description = "No such definition", body = ErrorBody),
    ))]
pub async fn delete(
    State(s): State<ApiState>,
    OrgCtx(ctx): OrgCtx,
    PathParams(p): PathParams<IdPath>,
) -> Result<StatusCode, ApiError> {
    s.store.delete_field_def(ctx, FieldDefId(p.id)).await?;
    Ok(StatusCode::NO_CONTENT)
}

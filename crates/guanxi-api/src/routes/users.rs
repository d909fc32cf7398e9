//! Staff members of the organisation.

use crate::dto::admin::{CreateUser, UserList, UserView};
use crate::error::{ApiError, ErrorBody};
use crate::extract::{JsonBody, OrgCtx};
use crate::ApiState;
use axum::extract::State;
use axum::http::StatusCode;
use axum::Json;

/// Add a user.
#[utoipa::path(post, path = "/api/v1/users", tag = "users",
    request_body = CreateUser,
    responses(
        (status = 201, description = "Created", body = UserView),
        (status = 409, description = "The e-mail address is taken", body = ErrorBody),
        (status = 422, description = "Invalid fields", body = ErrorBody),
    ))]
pub async fn create(
    State(s): State<ApiState>,
    OrgCtx(ctx): OrgCtx,
    JsonBody(body): JsonBody<CreateUser>,
) -> Result<(StatusCode, Json<UserView>), ApiError> {
    let user = s.store.create_user(ctx, body.parse()?).await?;
    Ok((StatusCode::CREATED, Json(user.into())))
}

/// The organisation's users.
#[utoipa::path(get, path = "/api/v1/users", tag = "users",
    responses((status = 200, description = "All users", body = UserList)))]
pub async fn list(
    State(s): State<ApiState>,
    OrgCtx(ctx): OrgCtx,
) -> Result<Json<UserList>, ApiError> {
    let users = s.store.list_users(ctx).await?;
    Ok(Json(UserList {
        items: users.into_iter().map(Into::into).collect(),
    }))
}

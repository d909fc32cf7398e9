//! Staff members of the organisation: everyone may read the directory; administrators add,
//! change, deactivate users and reset passwords.

use crate::dto::access::{CreateUser, ResetPassword, UpdateUser, UserList, UserView};
use crate::error::{ApiError, ErrorBody};
use crate::extract::{IdPath, JsonBody, OrgCtx, PathParams};
use crate::routes::auth::hash;
use crate::ApiState;
use axum::extract::State;
use axum::http::StatusCode;
use axum::Json;
use guanxi_core::UserId;

/// Add a user (administrators).
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
    let (mut new, password) = body.parse()?;
    if let Some(p) = password {
        new.password_hash = Some(hash(p).await?);
    }
    let user = s.store.create_user(ctx, new).await?;
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

/// One user.
#[utoipa::path(get, path = "/api/v1/users/{id}", tag = "users",
    params(("id" = i64, Path, description = "User id")),
    responses(
        (status = 200, description = "The user", body = UserView),
        (status = 404, description = "No such user", body = ErrorBody),
    ))]
pub async fn get(
    State(s): State<ApiState>,
    OrgCtx(ctx): OrgCtx,
    PathParams(p): PathParams<IdPath>,
) -> Result<Json<UserView>, ApiError> {
    Ok(Json(s.store.get_user(ctx, UserId(p.id)).await?.into()))
}

/// Change a user's name, role, team, language, or deactivate them (administrators). The last
/// active administrator keeps the role.
#[utoipa::path(patch, path = "/api/v1/users/{id}", tag = "users",
    params(("id" = i64, Path, description = "User id")),
    request_body = UpdateUser,
    responses(
        (status = 200, description = "Changed", body = UserView),
        (status = 404, description = "No such user", body = ErrorBody),
        (status = 422, description = "Invalid fields", body = ErrorBody),
    ))]
pub async fn update(
    State(s): State<ApiState>,
    OrgCtx(ctx): OrgCtx,
    PathParams(p): PathParams<IdPath>,
    JsonBody(body): JsonBody<UpdateUser>,
) -> Result<Json<UserView>, ApiError> {
    let u = s
        .store
        .update_user(ctx, UserId(p.id), body.parse()?)
        .await?;
    // A new role, team or deactivation applies to the user's next request.
    s.auth_cache.clear();
    Ok(Json(u.into()))
}

/// Set a new password for a user who forgot theirs (administrators). Their sessions end.
#[utoipa::path(post, path = "/api/v1/users/{id}/password", tag = "users",
    params(("id" = i64, Path, description = "User id")),
    request_body = ResetPassword,
    responses(
        (status = 204, description = "Set"),
        (status = 404, description = "No such user", body = ErrorBody),
        (status = 422, description = "The password is too weak", body = ErrorBody),
    ))]
pub async fn reset_password(
    State(s): State<ApiState>,
    OrgCtx(ctx): OrgCtx,
    PathParams(p): PathParams<IdPath>,
    JsonBody(body): JsonBody<ResetPassword>,
) -> Result<StatusCode, ApiError> {
    let user = s.store.get_user(ctx, UserId(p.id)).await?;
    let password = body.parse(&user.email)?;
    let hashed = hash(password).await?;
    s.store.set_password(ctx, user.id, hashed, None).await?;
    s.auth_cache.clear();
    Ok(StatusCode::NO_CONTENT)
}

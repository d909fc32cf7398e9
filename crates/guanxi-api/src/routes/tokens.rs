//! Personal API tokens of the signed-in user.

use crate::dto::access::{CreateToken, CreatedToken, TokenList, TokenView};
use crate::error::{ApiError, ErrorBody};
use crate::extract::{IdPath, JsonBody, OrgCtx, PathParams};
use crate::ApiState;
use axum::extract::State;
use axum::http::StatusCode;
use axum::Json;
use guanxi_core::ApiTokenId;

/// Create a token for the JSON API (`Authorization: Bearer …`). The token is in this answer
/// only: Guanxi keeps its SHA-256 digest.
#[utoipa::path(post, path = "/api/v1/tokens", tag = "auth",
    request_body = CreateToken,
    responses(
        (status = 201, description = "Created; `token` is shown this once", body = CreatedToken),
        (status = 422, description = "Invalid fields", body = ErrorBody),
    ))]
pub async fn create(
    State(s): State<ApiState>,
    OrgCtx(ctx): OrgCtx,
    JsonBody(body): JsonBody<CreateToken>,
) -> Result<(StatusCode, Json<CreatedToken>), ApiError> {
    let (name, days) = body.parse()?;
    let (token, new) = crate::auth::new_api_token(name, days);
    let created = s.store.create_token(ctx, new).await?;
    Ok((
        StatusCode::CREATED,
        Json(CreatedToken {
            token,
            info: created.into(),
        }),
    ))
}

/// The signed-in user's tokens (never the secrets).
#[utoipa::path(get, path = "/api/v1/tokens", tag = "auth",
    responses((status = 200, description = "Tokens, newest first", body = TokenList)))]
pub async fn list(
    State(s): State<ApiState>,
    OrgCtx(ctx): OrgCtx,
) -> Result<Json<TokenList>, ApiError> {
    let items = s.store.list_tokens(ctx).await?;
    Ok(Json(TokenList {
        items: items.into_iter().map(Into::into).collect(),
    }))
}

/// Revoke one of one's tokens; it stops working at once.
#[utoipa::path(delete, path = "/api/v1/tokens/{id}", tag = "auth",
    params(("id" = i64, Path, description = "Token id")),
    responses(
        (status = 200, description = "Revoked", body = TokenView),
        (status = 404, description = "No such token of yours", body = ErrorBody),
    ))]
pub async fn revoke(
    State(s): State<ApiState>,
    OrgCtx(ctx): OrgCtx,
    PathParams(p): PathParams<IdPath>,
) -> Result<Json<TokenView>, ApiError> {
    let t = s.store.revoke_token(ctx, ApiTokenId(p.id)).await?;
    s.auth_cache.clear();
    Ok(Json(t.into()))
}

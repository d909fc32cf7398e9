//! Teams of the organisation.

use crate::dto::access::{CreateTeam, TeamList, TeamView};
use crate::error::{ApiError, ErrorBody};
use crate::extract::{JsonBody, OrgCtx};
use crate::ApiState;
use axum::extract::State;
use axum::http::StatusCode;
use axum::Json;

/// Create a team (administrators).
#[utoipa::path(post, path = "/api/v1/teams", tag = "users",
    request_body = CreateTeam,
    responses(
        (status = 201, description = "Created", body = TeamView),
        (status = 409, description = "A team of that name exists", body = ErrorBody),
    ))]
pub async fn create(
    State(s): State<ApiState>,
    OrgCtx(ctx): OrgCtx,
    JsonBody(body): JsonBody<CreateTeam>,
) -> Result<(StatusCode, Json<TeamView>), ApiError> {
    let t = s.store.create_team(ctx, body.parse()?).await?;
    Ok((StatusCode::CREATED, Json(t.into())))
}

/// The organisation's teams with their member counts.
#[utoipa::path(get, path = "/api/v1/teams", tag = "users",
    responses((status = 200, description = "All teams", body = TeamList)))]
pub async fn list(
    State(s): State<ApiState>,
    OrgCtx(ctx): OrgCtx,
) -> Result<Json<TeamList>, ApiError> {
    let teams = s.store.list_teams(ctx).await?;
    Ok(Json(TeamList {
        items: teams.into_iter().map(Into::into).collect(),
    }))
}

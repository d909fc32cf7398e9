//! The signed-in user's organisation. Organisations are created on the command line
//! (`guanxi admin create-org`): one deployment serves many, and none sees another.

use crate::dto::admin::OrgView;
use crate::error::ApiError;
use crate::extract::OrgCtx;
use crate::ApiState;
use axum::extract::State;
use axum::Json;

/// The organisation of the signed-in user.
#[utoipa::path(get, path = "/api/v1/organisation", tag = "organisations",
    responses((status = 200, description = "The organisation", body = OrgView)))]
pub async fn current(
    State(s): State<ApiState>,
    OrgCtx(ctx): OrgCtx,
) -> Result<Json<OrgView>, ApiError> {
    Ok(Json(s.store.get_org(ctx.org).await?.into()))
}

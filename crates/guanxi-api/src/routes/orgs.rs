//! Organisations (tenants). Open until authentication arrives: an administrator's convenience.

use crate::dto::admin::{CreateOrg, OrgList, OrgView};
use crate::error::{ApiError, ErrorBody};
use crate::extract::JsonBody;
use crate::ApiState;
use axum::extract::State;
use axum::http::StatusCode;
use axum::Json;

/// Create an organisation.
#[utoipa::path(post, path = "/api/v1/organisations", tag = "organisations",
    request_body = CreateOrg,
    responses(
        (status = 201, description = "Created", body = OrgView),
        (status = 422, description = "Invalid fields", body = ErrorBody),
    ))]
pub async fn create(
    State(s): State<ApiState>,
    JsonBody(body): JsonBody<CreateOrg>,
) -> Result<(StatusCode, Json<OrgView>), ApiError> {
    let org = s.store.create_org(body.parse()?).await?;
    Ok((StatusCode::CREATED, Json(org.into())))
}

/// All organisations.
#[utoipa::path(get, path = "/api/v1/organisations", tag = "organisations",
    responses((status = 200, description = "All organisations", body = OrgList)))]
pub async fn list(State(s): State<ApiState>) -> Result<Json<OrgList>, ApiError> {
    let orgs = s.store.list_orgs().await?;
    Ok(Json(OrgList {
        items: orgs.into_iter().map(Into::into).collect(),
    }))
}

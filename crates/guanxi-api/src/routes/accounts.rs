//! Key accounts (大客户): the account plan and the account team of a customer.

use super::versioned;
use crate::dto::accounts::{AccountPlanView, AddAccountMember, SaveAccountPlan};
use crate::error::{ApiError, ErrorBody};
use crate::extract::{IdPath, IfMatch, JsonBody, OrgCtx, PathParams};
use crate::ApiState;
use axum::extract::State;
use axum::http::StatusCode;
use axum::response::Response;
use axum::Json;
use guanxi_core::{CustomerId, UserId};
use serde::Deserialize;

/// The account plan and team (an empty plan, version 0, when none was saved).
#[utoipa::path(get, path = "/api/v1/customers/{id}/account-plan", tag = "customers",
    params(("id" = i64, Path, description = "Customer id")),
    responses(
        (status = 200, description = "The plan", body = AccountPlanView, headers(("ETag" = String))),
        (status = 404, description = "No such customer within reach", body = ErrorBody),
    ))]
pub async fn get_plan(
    State(s): State<ApiState>,
    OrgCtx(ctx): OrgCtx,
    PathParams(p): PathParams<IdPath>,
) -> Result<Response, ApiError> {
    let plan = s.store.account_plan(ctx, CustomerId(p.id)).await?;
    Ok(versioned(
        StatusCode::OK,
        plan.version,
        AccountPlanView::from(plan),
    ))
}

/// Save the account plan (`If-Match` with the version read; `"0"` for the first).
#[utoipa::path(put, path = "/api/v1/customers/{id}/account-plan", tag = "customers",
    params(
        ("id" = i64, Path, description = "Customer id"),
        ("If-Match" = Option<String>, Header, description = "The `ETag` last seen"),
    ),
    request_body = SaveAccountPlan,
    responses(
        (status = 200, description = "Saved", body = AccountPlanView, headers(("ETag" = String))),
        (status = 412, description = "Changed by someone else meanwhile", body = ErrorBody),
        (status = 422, description = "Invalid fields", body = ErrorBody),
    ))]
pub async fn save_plan(
    State(s): State<ApiState>,
    OrgCtx(ctx): OrgCtx,
    PathParams(p): PathParams<IdPath>,
    IfMatch(version): IfMatch,
    JsonBody(body): JsonBody<SaveAccountPlan>,
) -> Result<Response, ApiError> {
    let plan = s
        .store
        .save_account_plan(ctx, CustomerId(p.id), version, body.parse()?)
        .await?;
    Ok(versioned(
        StatusCode::OK,
        plan.version,
        AccountPlanView::from(plan),
    ))
}

/// Add someone to the account team (or change their role there); they reach the customer
/// like its owner from then on.
#[utoipa::path(post, path = "/api/v1/customers/{id}/account-team", tag = "customers",
    params(("id" = i64, Path, description = "Customer id")),
    request_body = AddAccountMember,
    responses(
        (status = 200, description = "The plan with its team", body = AccountPlanView),
        (status = 422, description = "No such active user in the organisation", body = ErrorBody),
    ))]
pub async fn add_member(
    State(s): State<ApiState>,
    OrgCtx(ctx): OrgCtx,
    PathParams(p): PathParams<IdPath>,
    JsonBody(body): JsonBody<AddAccountMember>,
) -> Result<Json<AccountPlanView>, ApiError> {
    let (user, role) = body.parse()?;
    let plan = s
        .store
        .add_account_member(ctx, CustomerId(p.id), user, role)
        .await?;
    Ok(Json(plan.into()))
}

#[derive(Debug, Deserialize)]
pub struct MemberPath {
    pub id: i64,
    pub user_id: i64,
}

/// Take someone off the account team.
#[utoipa::path(delete, path = "/api/v1/customers/{id}/account-team/{user_id}", tag = "customers",
    params(
        ("id" = i64, Path, description = "Customer id"),
        ("user_id" = i64, Path, description = "User id"),
    ),
    responses(
        (status = 200, description = "The plan with its team", body = AccountPlanView),
        (status = 404, description = "Not on the team", body = ErrorBody),
    ))]
pub async fn remove_member(
    State(s): State<ApiState>,
    OrgCtx(ctx): OrgCtx,
    PathParams(p): PathParams<MemberPath>,
) -> Result<Json<AccountPlanView>, ApiError> {
    let plan = s
        .store
        .remove_account_member(ctx, CustomerId(p.id), UserId(p.user_id))
        .await?;
    Ok(Json(plan.into()))
}

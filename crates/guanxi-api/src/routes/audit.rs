//! The audit log (administrators): who changed what, when, from where; sign-ins and refusals.

use crate::dto::access::{AuditPage, AuditParams};
use crate::error::{ApiError, ErrorBody};
use crate::extract::{OrgCtx, QueryParams};
use crate::ApiState;
use axum::extract::State;
use axum::Json;

/// Audit records, newest first; `?entity=customer&entity_id=42` is one customer's history.
#[utoipa::path(get, path = "/api/v1/audit", tag = "audit",
    params(AuditParams),
    responses(
        (status = 200, description = "A page of audit records", body = AuditPage),
        (status = 400, description = "Invalid parameters", body = ErrorBody),
        (status = 403, description = "Not an administrator", body = ErrorBody),
    ))]
pub async fn list(
    State(s): State<ApiState>,
    OrgCtx(ctx): OrgCtx,
    QueryParams(q): QueryParams<AuditParams>,
) -> Result<Json<AuditPage>, ApiError> {
    let q = q.parse()?;
    let limit = q.limit as usize;
    let items = s.store.list_audit(ctx, q).await?;
    let next_before = (items.len() == limit)
        .then(|| items.last().map(|a| a.id.get()))
        .flatten();
    Ok(Json(AuditPage {
        items: items.into_iter().map(Into::into).collect(),
        next_before,
    }))
}

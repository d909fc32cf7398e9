//! Decision support over HTTP: start a scoring run, list runs, count customers by their
//! scores (the dashboards' numbers), and one customer's scores with their history.

use crate::analysis::{self, Phase, RunError};
use crate::dto::analysis::{
    CountsQuery, CountsView, CustomerScoresView, RunsView, SegmentMapBody, SegmentMapView,
};
use crate::extract::JsonBody;
use crate::extract::{OrgCtx, PathParams, QueryParams};
use crate::{ApiError, ApiState};
use axum::extract::State;
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use axum::Json;
use guanxi_core::{CustomerId, FieldError, Reason};
use serde::Deserialize;
use std::sync::Arc;

#[derive(Debug, Deserialize)]
pub struct IdPath {
    pub id: i64,
}

/// Scoring runs of the organisation, newest first, and whether one is going.
#[utoipa::path(get, path = "/api/v1/analysis/runs", tag = "analysis",
    responses((status = 200, description = "Runs", body = RunsView)))]
pub async fn runs(
    State(s): State<ApiState>,
    OrgCtx(ctx): OrgCtx,
) -> Result<Json<RunsView>, ApiError> {
    let runs = s.store.score_runs(ctx, 20).await?;
    Ok(Json(RunsView {
        running: s.analysis_runs.is_running(ctx.org),
        runs: runs
            .into_iter()
            .map(|r| analysis::within_reach(r, ctx.reach))
            .collect(),
    }))
}

/// Score every customer with the models in the background (RFM, value tiers, BG/NBD and
/// Gamma-Gamma lifetime value, lifecycle stage, churn risk) and write the scores back; the run
/// appears in `GET /analysis/runs` when done.
#[utoipa::path(post, path = "/api/v1/analysis/runs", tag = "analysis",
    responses(
        (status = 202, description = "Started"),
        (status = 409, description = "A run is already going", body = crate::ErrorBody),
    ))]
pub async fn start(State(s): State<ApiState>, OrgCtx(ctx): OrgCtx) -> Result<Response, ApiError> {
    start_run(&s, ctx)?;
    Ok(StatusCode::ACCEPTED.into_response())
}

/// Start a run in the background (the web UI's button comes here too).
pub fn start_run(s: &ApiState, ctx: guanxi_store::Ctx) -> Result<(), ApiError> {
    if s.analysis_runs.is_running(ctx.org) {
        return Err(busy());
    }
    let store = s.store.clone();
    let settings = s.analysis.clone();
    let runs = s.analysis_runs.clone();
    tokio::spawn(async move {
        let progress: Arc<dyn Fn(Phase) + Send + Sync> = Arc::new(|_| {});
        match analysis::run(store, &runs, ctx, &settings, None, progress).await {
            Ok(o) => tracing::info!(
                run = o.run.id.get(),
                scored = o.write.scored,
                "scoring done"
            ),
            Err(RunError::Busy) => {}
            Err(e) => tracing::warn!(error = %e, "scoring failed"),
        }
    });
    Ok(())
}

fn busy() -> ApiError {
    ApiError::Conflict(vec![FieldError::new("run", Reason::Conflict)])
}

/// Customers within the caller's reach counted by a score (segment, tier, stage, risk, the
/// RFM grid, segment migration or lifetime-value band), with their revenue and lifetime value
/// in fen; the same filters as the customer list narrow the count.
#[utoipa::path(get, path = "/api/v1/analysis/counts", tag = "analysis",
    params(CountsQuery),
    responses(
        (status = 200, description = "Counts", body = CountsView),
        (status = 400, description = "Bad parameter", body = crate::ErrorBody),
    ))]
pub async fn counts(
    State(s): State<ApiState>,
    OrgCtx(ctx): OrgCtx,
    QueryParams(q): QueryParams<CountsQuery>,
) -> Result<Json<CountsView>, ApiError> {
    let by_name = q.by.clone().unwrap_or_default();
    let (by, filter) = q.parse()?;
    Ok(Json(CountsView {
        by: by_name,
        cells: s.store.score_counts(ctx, by, filter).await?,
    }))
}

/// A customer's latest scores and their movement between segments, tiers, stages and risks.
#[utoipa::path(get, path = "/api/v1/customers/{id}/scores", tag = "analysis",
    params(("id" = i64, Path, description = "Customer id")),
    responses(
        (status = 200, description = "Scores", body = CustomerScoresView),
        (status = 404, description = "No such customer within reach", body = crate::ErrorBody),
    ))]
pub async fn customer_scores(
    State(s): State<ApiState>,
    OrgCtx(ctx): OrgCtx,
    PathParams(p): PathParams<IdPath>,
) -> Result<Json<CustomerScoresView>, ApiError> {
    let id = CustomerId(p.id);
    Ok(Json(CustomerScoresView {
        score: s.store.customer_score(ctx, id).await?,
        history: s.store.score_history(ctx, id).await?,
    }))
}

fn map_view(m: analysis::SegmentMap) -> SegmentMapView {
    SegmentMapView {
        custom: m.custom,
        updated_at: m.updated_at,
        segments: m.segments.iter().map(Into::into).collect(),
    }
}

/// The organisation's RFM segment map (its own, or the default one), in order: the first
/// segment whose R and F ranges hold a customer's scores names them.
#[utoipa::path(get, path = "/api/v1/analysis/segments", tag = "analysis",
    responses((status = 200, description = "The segment map", body = SegmentMapView)))]
pub async fn segments(
    State(s): State<ApiState>,
    OrgCtx(ctx): OrgCtx,
) -> Result<Json<SegmentMapView>, ApiError> {
    segments_now(&s, ctx).await
}

/// Keep the organisation's own segment map; the next scoring run names segments by it. Every
/// one of the 25 (R, F) cells must fall in a segment.
#[utoipa::path(put, path = "/api/v1/analysis/segments", tag = "analysis",
    request_body = SegmentMapBody,
    responses(
        (status = 200, description = "Kept", body = SegmentMapView),
        (status = 422, description = "A segment is wrong, or a cell is left out", body = crate::ErrorBody),
    ))]
pub async fn save_segments(
    State(s): State<ApiState>,
    OrgCtx(ctx): OrgCtx,
    JsonBody(body): JsonBody<SegmentMapBody>,
) -> Result<Json<SegmentMapView>, ApiError> {
    let segments = body.parse()?;
    s.store.save_segment_map(ctx, Some(segments)).await?;
    segments_now(&s, ctx).await
}

/// Go back to the default segment map.
#[utoipa::path(delete, path = "/api/v1/analysis/segments", tag = "analysis",
    responses((status = 200, description = "The default map", body = SegmentMapView)))]
pub async fn reset_segments(
    State(s): State<ApiState>,
    OrgCtx(ctx): OrgCtx,
) -> Result<Json<SegmentMapView>, ApiError> {
    s.store.save_segment_map(ctx, None).await?;
    segments_now(&s, ctx).await
}

async fn segments_now(
    s: &ApiState,
    ctx: guanxi_store::Ctx,
) -> Result<Json<SegmentMapView>, ApiError> {
    Ok(Json(map_view(
        analysis::segment_map(s.store.as_ref(), ctx).await?,
    )))
}

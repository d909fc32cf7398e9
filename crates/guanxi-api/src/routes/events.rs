//! The outbox: domain events in commit order, for integrations that poll.

use crate::dto::events::{EventPage, EventsQuery};
use crate::error::{ApiError, ErrorBody};
use crate::extract::{OrgCtx, QueryParams};
use crate::ApiState;
use axum::extract::State;
use axum::Json;

/// Events after a cursor, oldest first.
#[utoipa::path(get, path = "/api/v1/events", tag = "events",
    params(EventsQuery),
    responses(
        (status = 200, description = "A page of events", body = EventPage),
        (status = 400, description = "Invalid parameters", body = ErrorBody),
    ))]
pub async fn list(
    State(s): State<ApiState>,
    OrgCtx(ctx): OrgCtx,
    QueryParams(q): QueryParams<EventsQuery>,
) -> Result<Json<EventPage>, ApiError> {
    let (after, limit) = q.parse()?;
    let events = s.store.events_after(ctx, after, limit).await?;
    Ok(Json(EventPage::new(after, events)))
}

//! Activities, and each user's calendar feed (iCalendar, RFC 5545) at a secret URL.

use super::created;
use crate::auth::ClientIp;
use crate::dto::sales::{ActivityList, ActivityView, CalendarFeedView, CreateActivity};
use crate::error::{ApiError, AuthProblem, ErrorBody};
use crate::extract::{IdPath, IfMatch, JsonBody, OrgCtx, PathParams, QueryParams};
use crate::ApiState;
use axum::extract::{Path, State};
use axum::http::{header, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::Json;
use guanxi_core::{secret, ActivityId, Reach, UserId};
use guanxi_store::{Activity, ActivityQuery, Ctx};
use icalendar::{Alarm, Calendar, Component, Event, EventLike, EventStatus};
use serde::Deserialize;
use utoipa::IntoParams;

/// Prefix of calendar feed secrets.
pub const FEED_PREFIX: &str = "gxc_";

/// Plan an activity for oneself, or (managers, administrators) for someone within reach.
#[utoipa::path(post, path = "/api/v1/activities", tag = "sales",
    request_body = CreateActivity,
    responses(
        (status = 201, description = "Planned", body = ActivityView),
        (status = 422, description = "Invalid fields, an assignee or customer out of reach", body = ErrorBody),
    ))]
pub async fn create(
    State(s): State<ApiState>,
    OrgCtx(ctx): OrgCtx,
    JsonBody(body): JsonBody<CreateActivity>,
) -> Result<Response, ApiError> {
    let a = s.store.create_activity(ctx, body.parse()?).await?;
    Ok(created(
        format!("/api/v1/activities/{}", a.id),
        Some(a.version),
        ActivityView::from(a),
    ))
}

#[derive(Debug, Default, Deserialize, IntoParams)]
#[serde(deny_unknown_fields)]
#[into_params(parameter_in = Query)]
pub struct ActivitiesQuery {
    /// Whose; the signed-in user when left out.
    pub assignee_id: Option<String>,
    /// Only those due before this time (RFC 3339).
    pub due_before: Option<String>,
    /// `true` to include done ones.
    pub include_done: Option<String>,
}

/// Activities by due time: overdue first, then today's, then later ones.
#[utoipa::path(get, path = "/api/v1/activities", tag = "sales", params(ActivitiesQuery),
    responses((status = 200, description = "Activities", body = ActivityList)))]
pub async fn list(
    State(s): State<ApiState>,
    OrgCtx(ctx): OrgCtx,
    QueryParams(q): QueryParams<ActivitiesQuery>,
) -> Result<Json<ActivityList>, ApiError> {
    let bad = |p: &str, e: guanxi_core::DomainError| ApiError::query(e.nest(p));
    let assignee = match q.assignee_id.as_deref() {
        Some(v) => UserId(crate::dto::parse_id(v).map_err(|e| bad("assignee_id", e))?),
        None => ctx.actor.ok_or(ApiError::Internal)?,
    };
    let due_before = match q.due_before.as_deref() {
        Some(v) => Some(crate::dto::parse_time(v).map_err(|e| bad("due_before", e))?),
        None => None,
    };
    let include_done = match q.include_done.as_deref() {
        Some(v) => crate::dto::parse_bool(v).map_err(|e| bad("include_done", e))?,
        None => false,
    };
    let items = s
        .store
        .list_activities(
            ctx,
            ActivityQuery {
                assignee,
                due_before,
                include_done,
                limit: 500,
            },
        )
        .await?;
    Ok(Json(ActivityList {
        items: items.into_iter().map(Into::into).collect(),
    }))
}

/// Mark an activity done.
#[utoipa::path(post, path = "/api/v1/activities/{id}/done", tag = "sales",
    params(("id" = i64, Path, description = "Activity id")),
    responses(
        (status = 200, description = "Done", body = ActivityView),
        (status = 404, description = "No such activity of yours", body = ErrorBody),
    ))]
pub async fn done(
    State(s): State<ApiState>,
    OrgCtx(ctx): OrgCtx,
    PathParams(p): PathParams<IdPath>,
    IfMatch(version): IfMatch,
) -> Result<Json<ActivityView>, ApiError> {
    let a = s
        .store
        .complete_activity(ctx, ActivityId(p.id), version)
        .await?;
    Ok(Json(a.into()))
}

/// Make (or replace) the secret URL of one's calendar feed; shown once.
#[utoipa::path(post, path = "/api/v1/calendar/feed", tag = "sales",
    responses((status = 201, description = "The new URL; the old one stops working", body = CalendarFeedView)))]
pub async fn new_feed(
    State(s): State<ApiState>,
    OrgCtx(ctx): OrgCtx,
) -> Result<(StatusCode, Json<CalendarFeedView>), ApiError> {
    let token = secret::new_secret(FEED_PREFIX);
    s.store
        .set_calendar_feed(ctx, secret::digest(&token))
        .await?;
    Ok((
        StatusCode::CREATED,
        Json(CalendarFeedView {
            url: format!("/calendar/{token}.ics"),
        }),
    ))
}

/// The calendar feed: the user's open activities and those done in the last 90 days, as
/// iCalendar events, reminders as alarms. Public: the secret in the URL is the credential.
pub async fn feed(
    State(s): State<ApiState>,
    ClientIp(_ip): ClientIp,
    Path(file): Path<String>,
) -> Result<Response, ApiError> {
    let token = file.strip_suffix(".ics").unwrap_or(&file);
    if !secret::looks_like(token, FEED_PREFIX) {
        return Err(ApiError::Unauthenticated(AuthProblem::TokenInvalid));
    }
    let Some((org, user)) = s.store.calendar_feed_user(&secret::digest(token)).await? else {
        return Err(ApiError::Unauthenticated(AuthProblem::TokenInvalid));
    };
    let ctx = Ctx {
        actor: Some(user.id),
        reach: Reach::Handled { user: user.id },
        ..Ctx::new(org)
    };
    let items = s
        .store
        .list_activities(
            ctx,
            ActivityQuery {
                assignee: user.id,
                due_before: None,
                include_done: true,
                limit: 500,
            },
        )
        .await?;
    let since = chrono::Utc::now() - chrono::Duration::days(90);
    let mut cal = Calendar::new();
    cal.name(&format!("关系 CRM · {}", user.name));
    for a in items
        .iter()
        .filter(|a| a.done_at.is_none_or(|d| d >= since))
    {
        cal.push(event(a));
    }
    let body = cal.done().to_string();
    Ok((
        [
            (header::CONTENT_TYPE, "text/calendar; charset=utf-8"),
            (header::CACHE_CONTROL, "private, max-age=300"),
        ],
        body,
    )
        .into_response())
}

fn event(a: &Activity) -> Event {
    let kind = match a.kind {
        guanxi_core::pipeline::ActivityKind::Task => "任务",
        guanxi_core::pipeline::ActivityKind::Call => "电话",
        guanxi_core::pipeline::ActivityKind::Meeting => "会议",
        guanxi_core::pipeline::ActivityKind::Visit => "拜访",
    };
    let done = if a.done_at.is_some() { "✓ " } else { "" };
    let summary = match &a.customer_name {
        Some(c) => format!("{done}[{kind}] {} · {c}", a.subject),
        None => format!("{done}[{kind}] {}", a.subject),
    };
    let mut e = Event::new();
    e.uid(&format!("activity-{}@guanxi", a.id))
        .summary(&summary)
        .timestamp(a.updated_at)
        .starts(a.due_at)
        .ends(a.due_at + chrono::Duration::minutes(a.duration_min));
    if let Some(n) = &a.note {
        e.description(n);
    }
    e.status(EventStatus::Confirmed);
    if let Some(r) = a.remind_at {
        e.alarm(Alarm::display(&summary, -(a.due_at - r)));
    }
    e.done()
}

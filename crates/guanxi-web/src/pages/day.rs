//! "My day" (我的一天): an account manager's overdue, today's and upcoming activities, a quick
//! form to plan one, and the calendar feed link.

use super::login::go;
use super::Viewer;
use crate::i18n::{value, Msg};
use crate::layout;
use axum::extract::{Path, State};
use axum::http::HeaderMap;
use axum::response::Response;
use axum::Form;
use chrono::{Duration, NaiveDateTime, TimeZone, Utc};
use guanxi_api::dto::sales::CreateActivity;
use guanxi_api::{ApiError, ApiState};
use guanxi_core::{secret, ActivityId};
use guanxi_store::{Activity, ActivityQuery};
use maud::{html, Markup};
use serde::Deserialize;

fn tz(v: &Viewer) -> chrono_tz::Tz {
    v.org.time_zone.parse().unwrap_or(chrono_tz::Asia::Shanghai)
}

fn list(v: &Viewer, items: &[&Activity], empty: bool) -> Markup {
    let l = v.lang;
    html! {
        @if empty { p.muted { (Msg::NothingHere.t(l)) } }
        ul.activities {
            @for a in items {
                li {
                    span.muted { (v.when(a.due_at)) } " · "
                    (value(l, if a.kind.as_str() == "visit" { "visit_activity" } else { a.kind.as_str() })) " · "
                    strong { (a.subject) }
                    @if let (Some(cid), Some(name)) = (a.customer_id, &a.customer_name) {
                        " · " a href={"/customers/" (cid)} { (name) }
                    }
                    " "
                    form.inline method="post" action={"/activities/" (a.id) "/done"} {
                        (crate::layout::csrf_input(v.csrf.as_deref()))
                        button.merge type="submit" { (Msg::Done.t(l)) }
                    }
                }
            }
        }
    }
}

/// The page.
pub async fn my_day(State(s): State<ApiState>, v: Viewer) -> Response {
    render(&s, &v, None).await
}

async fn render(s: &ApiState, v: &Viewer, notice: Option<Markup>) -> Response {
    let l = v.lang;
    let Some(me) = v.ctx.actor else {
        return crate::page_error(l, ApiError::Internal);
    };
    let items = match s
        .store
        .list_activities(
            v.ctx,
            ActivityQuery {
                assignee: me,
                due_before: Some(Utc::now() + Duration::days(7)),
                include_done: false,
                limit: 500,
            },
        )
        .await
    {
        Ok(i) => i,
        Err(e) => return crate::page_error(l, e.into()),
    };
    let zone = tz(v);
    let now = Utc::now();
    let today_end = now
        .with_timezone(&zone)
        .date_naive()
        .succ_opt()
        .and_then(|d| d.and_hms_opt(0, 0, 0))
        .and_then(|t| zone.from_local_datetime(&t).earliest())
        .map(|t| t.with_timezone(&Utc))
        .unwrap_or(now);
    let overdue: Vec<&Activity> = items.iter().filter(|a| a.due_at < now).collect();
    let today: Vec<&Activity> = items
        .iter()
        .filter(|a| a.due_at >= now && a.due_at < today_end)
        .collect();
    let later: Vec<&Activity> = items.iter().filter(|a| a.due_at >= today_end).collect();
    let content = html! {
        h1 { (Msg::MyDay.t(l)) }
        @if let Some(n) = notice { (n) }
        div.cols {
            div {
                section.card #overdue aria-labelledby="overdue-h" {
                    h2 #overdue-h { (Msg::Overdue.t(l)) " (" (overdue.len()) ")" }
                    (list(v, &overdue, overdue.is_empty()))
                }
                section.card #today aria-labelledby="today-h" {
                    h2 #today-h { (Msg::Today.t(l)) " (" (today.len()) ")" }
                    (list(v, &today, today.is_empty()))
                }
                section.card #upcoming aria-labelledby="upcoming-h" {
                    h2 #upcoming-h { (Msg::Upcoming.t(l)) " (" (later.len()) ")" }
                    (list(v, &later, later.is_empty()))
                }
            }
            div {
                section.card aria-labelledby="plan-h" {
                    h2 #plan-h { (Msg::PlanActivity.t(l)) }
                    form #plan method="post" action="/my-day" {
                        (crate::layout::csrf_input(v.csrf.as_deref()))
                        div.field { label for="plan-kind" { (Msg::Kind.t(l)) }
                            select #plan-kind name="kind" {
                                @for k in ["call", "visit", "meeting", "task"] {
                                    option value=(k) { (value(l, if k == "visit" { "visit_activity" } else { k })) }
                                }
                            }
                        }
                        div.field { label for="plan-subject" { (Msg::Subject.t(l)) } input #plan-subject name="subject" type="text" required; }
                        div.field { label for="plan-due" { (Msg::Due.t(l)) } input #plan-due name="due" type="datetime-local" required; }
                        div.field { label for="plan-remind" { (Msg::Remind.t(l)) }
                            select #plan-remind name="remind" {
                                option value="" { (Msg::NoReminder.t(l)) }
                                option value="15" { (Msg::Before15.t(l)) }
                                option value="60" { (Msg::Before60.t(l)) }
                                option value="1440" { (Msg::BeforeDay.t(l)) }
                            }
                        }
                        div.field { label for="plan-customer" { (Msg::Customers.t(l)) " #" } input #plan-customer name="customer_id" type="number" min="1"; }
                        p { button #plan-save type="submit" { (Msg::Plan.t(l)) } }
                    }
                }
                section.card aria-labelledby="feed-h" {
                    h2 #feed-h { (Msg::CalendarFeed.t(l)) }
                    form method="post" action="/my-day/feed" {
                        (crate::layout::csrf_input(v.csrf.as_deref()))
                        button #new-feed type="submit" { (Msg::NewCalendarFeed.t(l)) }
                    }
                }
            }
        }
    };
    layout::page(&v.shell(), Msg::MyDay.t(l), content)
}

#[derive(Debug, Default, Deserialize)]
pub struct PlanForm {
    kind: Option<String>,
    subject: Option<String>,
    /// `YYYY-MM-DDTHH:MM` in the organisation's time zone (a datetime-local input).
    due: Option<String>,
    customer_id: Option<String>,
    /// Planned from a lead's page: about that lead, and back there.
    lead_id: Option<i64>,
    /// Minutes before the due time to remind.
    remind: Option<String>,
}

/// Plan an activity for oneself from the page.
pub async fn plan(
    State(s): State<ApiState>,
    v: Viewer,
    headers: HeaderMap,
    Form(f): Form<PlanForm>,
) -> Response {
    let zone = tz(&v);
    let due = f
        .due
        .as_deref()
        .and_then(|d| NaiveDateTime::parse_from_str(d.trim(), "%Y-%m-%dT%H:%M").ok())
        .and_then(|t| zone.from_local_datetime(&t).earliest())
        .map(|t| t.with_timezone(&Utc));
    let remind_at = f
        .remind
        .as_deref()
        .and_then(|m| m.trim().parse::<i64>().ok())
        .filter(|m| (1..=7 * 1440).contains(m))
        .and_then(|m| due.map(|d| (d - Duration::minutes(m)).to_rfc3339()));
    let due = due.map(|t| t.to_rfc3339());
    let dto = CreateActivity {
        kind: f.kind,
        subject: f.subject,
        due_at: due,
        customer_id: f.customer_id.and_then(|c| c.trim().parse().ok()),
        lead_id: f.lead_id,
        remind_at,
        ..Default::default()
    };
    let result = match dto.parse() {
        Ok(new) => s
            .store
            .create_activity(v.ctx, new)
            .await
            .map_err(ApiError::from),
        Err(e) => Err(e.into()),
    };
    match result {
        Ok(_) => match f.lead_id {
            Some(id) => go(&headers, &format!("/leads/{id}")),
            None => go(&headers, "/my-day"),
        },
        Err(e) => {
            let l = v.lang;
            let notice = html! {
                div.alert.bad role="alert" #plan-error {
                    (e.message(l))
                    ul { @for f in e.fields() { li { (f.field) ": " (f.reason.message(l)) } } }
                }
            };
            render(&s, &v, Some(notice)).await
        }
    }
}

/// Mark an activity done.
pub async fn done(
    State(s): State<ApiState>,
    v: Viewer,
    headers: HeaderMap,
    Path(id): Path<i64>,
) -> Response {
    match s.store.complete_activity(v.ctx, ActivityId(id), None).await {
        Ok(_) => go(&headers, "/my-day"),
        Err(e) => crate::page_error(v.lang, e.into()),
    }
}

/// Make a new calendar feed link and show it once.
pub async fn new_feed(State(s): State<ApiState>, v: Viewer, headers: HeaderMap) -> Response {
    let token = secret::new_secret(guanxi_api::routes_activities_feed_prefix());
    if let Err(e) = s
        .store
        .set_calendar_feed(v.ctx, secret::digest(&token))
        .await
    {
        return crate::page_error(v.lang, e.into());
    }
    let host = headers
        .get(axum::http::header::HOST)
        .and_then(|h| h.to_str().ok())
        .unwrap_or("127.0.0.1:8080");
    let url = format!("http://{host}/calendar/{token}.ics");
    let notice = html! {
        div.alert role="status" #feed-url {
            (Msg::CalendarFeedHint.t(v.lang)) br;
            code { (url) }
        }
    };
    render(&s, &v, Some(notice)).await
}

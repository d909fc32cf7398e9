//! Leads: capture, qualification, the duplicate check and conversion; sources, web forms and
//! assignment rules; and the public endpoint that web forms post to.

use super::{created, versioned};
use crate::auth::ClientIp;
use crate::dto::leads::{
    ConversionView, ConvertLeadBody, CreateLead, CreateLeadRule, CreateWebForm, FormReceived,
    FormSubmission, LeadCreated, LeadList, LeadMatchList, LeadRuleList, LeadRuleView,
    LeadSourceList, LeadSourceView, LeadView, SaveLeadSource, UpdateLead, WebFormList, WebFormView,
};
use crate::dto::sales::{ActivityList, ActivityView};
use crate::error::{ApiError, ErrorBody};
use crate::extract::{IdPath, IfMatch, JsonBody, OrgCtx, PathParams, QueryParams};
use crate::ApiState;
use axum::body::to_bytes;
use axum::extract::{Path, Request, State};
use axum::http::{header, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::Json;
use guanxi_core::lead::LeadStatus;
use guanxi_core::{secret, CustomerId, LeadId, LeadRuleId, UserId};
use guanxi_store::{About, Ctx, LeadQuery, NewWebForm};
use serde::Deserialize;
use std::time::Instant;
use utoipa::IntoParams;

/// Prefix of web form keys.
pub const FORM_PREFIX: &str = "gxf_";
/// Largest web form submission.
pub const FORM_BODY_MAX: usize = 16 * 1024;

/// Capture a lead. Without an owner, administrators' and marketers' leads go through the
/// assignment rules; everybody else's are their own.
#[utoipa::path(post, path = "/api/v1/leads", tag = "leads",
    request_body = CreateLead,
    responses(
        (status = 201, description = "Captured, with possible duplicates", body = LeadCreated),
        (status = 422, description = "Invalid fields, an unknown source, an owner out of reach", body = ErrorBody),
    ))]
pub async fn create(
    State(s): State<ApiState>,
    OrgCtx(ctx): OrgCtx,
    JsonBody(body): JsonBody<CreateLead>,
) -> Result<Response, ApiError> {
    let (lead, matches) = s.store.create_lead(ctx, body.parse()?).await?;
    Ok(created(
        format!("/api/v1/leads/{}", lead.id),
        Some(lead.version),
        LeadCreated {
            lead: lead.into(),
            matches: matches.into_iter().map(Into::into).collect(),
        },
    ))
}

#[derive(Debug, Default, Deserialize, IntoParams)]
#[serde(deny_unknown_fields)]
#[into_params(parameter_in = Query)]
pub struct LeadsQuery {
    /// `new`, `working`, `qualified`, `disqualified` or `converted`.
    pub status: Option<String>,
    pub source: Option<String>,
    pub owner_id: Option<String>,
    /// The lead a customer came from.
    pub customer_id: Option<String>,
    /// Leads older than this id (the `next_before` of the last page).
    pub before: Option<String>,
    /// 1–200, default 50.
    pub limit: Option<String>,
}

impl LeadsQuery {
    fn parse(self) -> Result<LeadQuery, ApiError> {
        use crate::dto::{parse_id, parse_limit};
        let q = |e: guanxi_core::DomainError, f: &str| ApiError::query(e.nest(f));
        Ok(LeadQuery {
            status: match self.status.as_deref() {
                None | Some("") => None,
                Some(v) => Some(LeadStatus::parse(v).map_err(|e| q(e, "status"))?),
            },
            source: self.source.filter(|s| !s.is_empty()),
            owner: match self.owner_id.as_deref() {
                None | Some("") => None,
                Some(v) => Some(UserId(parse_id(v).map_err(|e| q(e, "owner_id"))?)),
            },
            customer: match self.customer_id.as_deref() {
                None | Some("") => None,
                Some(v) => Some(CustomerId(parse_id(v).map_err(|e| q(e, "customer_id"))?)),
            },
            before: match self.before.as_deref() {
                None | Some("") => None,
                Some(v) => Some(LeadId(parse_id(v).map_err(|e| q(e, "before"))?)),
            },
            limit: parse_limit(self.limit.as_deref()).map_err(|e| q(e, "limit"))?,
        })
    }
}

/// Leads within reach, newest first.
#[utoipa::path(get, path = "/api/v1/leads", tag = "leads", params(LeadsQuery),
    responses((status = 200, description = "Leads", body = LeadList)))]
pub async fn list(
    State(s): State<ApiState>,
    OrgCtx(ctx): OrgCtx,
    QueryParams(q): QueryParams<LeadsQuery>,
) -> Result<Json<LeadList>, ApiError> {
    let q = q.parse()?;
    let limit = q.limit;
    let items = s.store.list_leads(ctx, q).await?;
    let next_before = (items.len() as u32 == limit)
        .then(|| items.last().map(|l| l.id.get()))
        .flatten();
    Ok(Json(LeadList {
        items: items.into_iter().map(Into::into).collect(),
        next_before,
    }))
}

/// One lead.
#[utoipa::path(get, path = "/api/v1/leads/{id}", tag = "leads",
    params(("id" = i64, Path, description = "Lead id")),
    responses(
        (status = 200, description = "The lead", body = LeadView, headers(("ETag" = String))),
        (status = 404, description = "No such lead within reach", body = ErrorBody),
    ))]
pub async fn get(
    State(s): State<ApiState>,
    OrgCtx(ctx): OrgCtx,
    PathParams(p): PathParams<IdPath>,
) -> Result<Response, ApiError> {
    let l = s.store.get_lead(ctx, LeadId(p.id)).await?;
    Ok(versioned(StatusCode::OK, l.version, LeadView::from(l)))
}

/// Change a lead: qualify or disqualify it (with a reason), hand it to someone, correct it.
#[utoipa::path(patch, path = "/api/v1/leads/{id}", tag = "leads",
    params(
        ("id" = i64, Path, description = "Lead id"),
        ("If-Match" = Option<String>, Header, description = "The `ETag` last seen"),
    ),
    request_body = UpdateLead,
    responses(
        (status = 200, description = "Changed", body = LeadView, headers(("ETag" = String))),
        (status = 412, description = "Changed by someone else meanwhile", body = ErrorBody),
        (status = 422, description = "Invalid fields, a converted lead, a missing reason", body = ErrorBody),
    ))]
pub async fn update(
    State(s): State<ApiState>,
    OrgCtx(ctx): OrgCtx,
    PathParams(p): PathParams<IdPath>,
    IfMatch(version): IfMatch,
    JsonBody(body): JsonBody<UpdateLead>,
) -> Result<Response, ApiError> {
    let l = s
        .store
        .update_lead(ctx, LeadId(p.id), version, body.parse()?)
        .await?;
    Ok(versioned(StatusCode::OK, l.version, LeadView::from(l)))
}

/// Customers and other leads sharing the lead's phone, e-mail or WeChat id.
#[utoipa::path(get, path = "/api/v1/leads/{id}/matches", tag = "leads",
    params(("id" = i64, Path, description = "Lead id")),
    responses((status = 200, description = "Possible duplicates", body = LeadMatchList)))]
pub async fn matches(
    State(s): State<ApiState>,
    OrgCtx(ctx): OrgCtx,
    PathParams(p): PathParams<IdPath>,
) -> Result<Json<LeadMatchList>, ApiError> {
    let items = s.store.lead_matches(ctx, LeadId(p.id)).await?;
    Ok(Json(LeadMatchList {
        items: items.into_iter().map(Into::into).collect(),
    }))
}

/// Convert a lead into a customer (new, or an existing one such as a match) and, when asked,
/// an opportunity. All or nothing; a lead converts once.
#[utoipa::path(post, path = "/api/v1/leads/{id}/convert", tag = "leads",
    params(
        ("id" = i64, Path, description = "Lead id"),
        ("If-Match" = Option<String>, Header, description = "The `ETag` last seen"),
    ),
    request_body = ConvertLeadBody,
    responses(
        (status = 200, description = "Converted", body = ConversionView),
        (status = 409, description = "Converted before, or a new customer would duplicate another's phone or e-mail", body = ErrorBody),
        (status = 422, description = "A disqualified lead, a customer or pipeline not found", body = ErrorBody),
    ))]
pub async fn convert(
    State(s): State<ApiState>,
    OrgCtx(ctx): OrgCtx,
    PathParams(p): PathParams<IdPath>,
    IfMatch(version): IfMatch,
    JsonBody(body): JsonBody<ConvertLeadBody>,
) -> Result<Json<ConversionView>, ApiError> {
    let c = s
        .store
        .convert_lead(ctx, LeadId(p.id), version, body.parse()?)
        .await?;
    Ok(Json(c.into()))
}

/// Activities planned about a lead.
#[utoipa::path(get, path = "/api/v1/leads/{id}/activities", tag = "leads",
    params(("id" = i64, Path, description = "Lead id")),
    responses((status = 200, description = "Activities, latest due first", body = ActivityList)))]
pub async fn lead_activities(
    State(s): State<ApiState>,
    OrgCtx(ctx): OrgCtx,
    PathParams(p): PathParams<IdPath>,
) -> Result<Json<ActivityList>, ApiError> {
    about(&s, ctx, About::Lead(LeadId(p.id))).await
}

/// Activities about a customer (including those planned while it was a lead).
#[utoipa::path(get, path = "/api/v1/customers/{id}/activities", tag = "sales",
    params(("id" = i64, Path, description = "Customer id")),
    responses((status = 200, description = "Activities, latest due first", body = ActivityList)))]
pub async fn customer_activities(
    State(s): State<ApiState>,
    OrgCtx(ctx): OrgCtx,
    PathParams(p): PathParams<IdPath>,
) -> Result<Json<ActivityList>, ApiError> {
    about(&s, ctx, About::Customer(CustomerId(p.id))).await
}

async fn about(s: &ApiState, ctx: Ctx, what: About) -> Result<Json<ActivityList>, ApiError> {
    let items = s.store.activities_about(ctx, what).await?;
    Ok(Json(ActivityList {
        items: items.into_iter().map(ActivityView::from).collect(),
    }))
}

// ---------------------------------------------------------------- settings

/// The organisation's lead sources.
#[utoipa::path(get, path = "/api/v1/lead-sources", tag = "leads",
    responses((status = 200, description = "Sources", body = LeadSourceList)))]
pub async fn list_sources(
    State(s): State<ApiState>,
    OrgCtx(ctx): OrgCtx,
) -> Result<Json<LeadSourceList>, ApiError> {
    let items = s.store.list_lead_sources(ctx).await?;
    Ok(Json(LeadSourceList {
        items: items.into_iter().map(Into::into).collect(),
    }))
}

#[derive(Debug, Deserialize)]
pub struct CodePath {
    pub code: String,
}

/// Add a source or rename / (de)activate one (administrators and managers).
#[utoipa::path(put, path = "/api/v1/lead-sources/{code}", tag = "leads",
    params(("code" = String, Path, description = "Source code: a-z, 0-9, _")),
    request_body = SaveLeadSource,
    responses(
        (status = 200, description = "Saved", body = LeadSourceView),
        (status = 422, description = "Invalid code or name", body = ErrorBody),
    ))]
pub async fn save_source(
    State(s): State<ApiState>,
    OrgCtx(ctx): OrgCtx,
    PathParams(p): PathParams<CodePath>,
    JsonBody(body): JsonBody<SaveLeadSource>,
) -> Result<Json<LeadSourceView>, ApiError> {
    let src = s.store.save_lead_source(ctx, body.parse(&p.code)?).await?;
    Ok(Json(src.into()))
}

/// The organisation's web forms.
#[utoipa::path(get, path = "/api/v1/web-forms", tag = "leads",
    responses((status = 200, description = "Web forms", body = WebFormList)))]
pub async fn list_forms(
    State(s): State<ApiState>,
    OrgCtx(ctx): OrgCtx,
) -> Result<Json<WebFormList>, ApiError> {
    let items = s.store.list_web_forms(ctx).await?;
    Ok(Json(WebFormList {
        items: items.into_iter().map(Into::into).collect(),
    }))
}

/// Make a web form: a public key for a page or a site's own form to post leads with.
#[utoipa::path(post, path = "/api/v1/web-forms", tag = "leads",
    request_body = CreateWebForm,
    responses(
        (status = 201, description = "Created", body = WebFormView),
        (status = 422, description = "Invalid name, unknown source", body = ErrorBody),
    ))]
pub async fn create_form(
    State(s): State<ApiState>,
    OrgCtx(ctx): OrgCtx,
    JsonBody(body): JsonBody<CreateWebForm>,
) -> Result<Response, ApiError> {
    let (name, source) = body.parse()?;
    let key = secret::new_secret(FORM_PREFIX);
    let f = s
        .store
        .create_web_form(ctx, NewWebForm { name, source, key })
        .await?;
    Ok(created(
        format!("/api/v1/web-forms/{}", f.id),
        None,
        WebFormView::from(f),
    ))
}

/// The assignment rules, in the order they are tried.
#[utoipa::path(get, path = "/api/v1/lead-rules", tag = "leads",
    responses((status = 200, description = "Rules", body = LeadRuleList)))]
pub async fn list_rules(
    State(s): State<ApiState>,
    OrgCtx(ctx): OrgCtx,
) -> Result<Json<LeadRuleList>, ApiError> {
    let items = s.store.list_lead_rules(ctx).await?;
    Ok(Json(LeadRuleList {
        items: items.into_iter().map(Into::into).collect(),
    }))
}

/// Add an assignment rule after the others.
#[utoipa::path(post, path = "/api/v1/lead-rules", tag = "leads",
    request_body = CreateLeadRule,
    responses(
        (status = 201, description = "Created", body = LeadRuleView),
        (status = 422, description = "Both or neither of team and user, unknown source, team or user", body = ErrorBody),
    ))]
pub async fn create_rule(
    State(s): State<ApiState>,
    OrgCtx(ctx): OrgCtx,
    JsonBody(body): JsonBody<CreateLeadRule>,
) -> Result<Response, ApiError> {
    let r = s.store.create_lead_rule(ctx, body.parse()?).await?;
    Ok(created(
        format!("/api/v1/lead-rules/{}", r.id),
        None,
        LeadRuleView::from(r),
    ))
}

/// Remove an assignment rule.
#[utoipa::path(delete, path = "/api/v1/lead-rules/{id}", tag = "leads",
    params(("id" = i64, Path, description = "Rule id")),
    responses(
        (status = 204, description = "Removed"),
        (status = 404, description = "No such rule", body = ErrorBody),
    ))]
pub async fn delete_rule(
    State(s): State<ApiState>,
    OrgCtx(ctx): OrgCtx,
    PathParams(p): PathParams<IdPath>,
) -> Result<StatusCode, ApiError> {
    s.store.delete_lead_rule(ctx, LeadRuleId(p.id)).await?;
    Ok(StatusCode::NO_CONTENT)
}

// ---------------------------------------------------------------- the public web form

/// A visitor's submission through a web form: JSON, or an HTML form post
/// (`application/x-www-form-urlencoded`). No sign-in; the form key names the organisation.
/// Spam (the hidden `homepage` field filled in, sent within 2 seconds of the page being shown,
/// links in bulk) gets the same answer as a real submission and is dropped; more than 10
/// submissions from one address or 300 to one form in 10 minutes are refused with 429.
#[utoipa::path(post, path = "/api/v1/forms/{key}/submissions", tag = "leads",
    params(("key" = String, Path, description = "The web form's key")),
    request_body = FormSubmission,
    responses(
        (status = 202, description = "Received", body = FormReceived),
        (status = 303, description = "Received from an HTML form: on to the thank-you page"),
        (status = 404, description = "No such form, or switched off", body = ErrorBody),
        (status = 422, description = "No name, no way to reach the person, invalid phone or e-mail", body = ErrorBody),
        (status = 429, description = "Too many submissions", body = ErrorBody),
    ))]
pub async fn submit(
    State(s): State<ApiState>,
    ClientIp(ip): ClientIp,
    Path(key): Path<String>,
    req: Request,
) -> Result<Response, ApiError> {
    let html_form = req
        .headers()
        .get(header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .is_some_and(|v| v.starts_with("application/x-www-form-urlencoded"));
    let bytes = to_bytes(req.into_body(), FORM_BODY_MAX)
        .await
        .map_err(|_| ApiError::PayloadTooLarge)?;
    let sub: FormSubmission = if html_form {
        serde_urlencoded::from_bytes(&bytes)
            .map_err(|_| ApiError::MalformedJson { line: 0, column: 0 })?
    } else {
        crate::extract::parse_json(&bytes)?
    };
    accept_submission(&s, &key, ip, sub).await?;
    if html_form {
        Ok((
            StatusCode::SEE_OTHER,
            [(header::LOCATION, format!("/f/{key}/thanks"))],
        )
            .into_response())
    } else {
        Ok((StatusCode::ACCEPTED, Json(FormReceived { received: true })).into_response())
    }
}

/// Take a web form submission: the form must exist and be on, the sender within the throttle;
/// spam is dropped silently (`Ok` all the same); a real submission becomes a lead of the
/// form's organisation and source, handed out by the assignment rules.
pub async fn accept_submission(
    s: &ApiState,
    key: &str,
    ip: Option<std::net::IpAddr>,
    sub: FormSubmission,
) -> Result<(), ApiError> {
    if !secret::looks_like(key, FORM_PREFIX) {
        return Err(ApiError::NotFound { entity: "web_form" });
    }
    let Some((org, form)) = s.store.web_form_by_key(key).await? else {
        return Err(ApiError::NotFound { entity: "web_form" });
    };
    let now = Instant::now();
    if let Some(wait) = s.form_throttle.blocked(key, ip, now) {
        return Err(ApiError::TooManySubmissions {
            retry_after_secs: wait,
        });
    }
    s.form_throttle.failed(key, ip, now);
    if let Some(why) = sub.spam(chrono::Utc::now()) {
        tracing::debug!(
            form = form.id.get(),
            ?why,
            "web form submission dropped as spam"
        );
        return Ok(());
    }
    let mut new = sub.parse(&form.source)?;
    new.form_id = Some(form.id);
    let ctx = Ctx {
        ip,
        ..Ctx::new(org)
    };
    s.store.create_lead(ctx, new).await?;
    Ok(())
}

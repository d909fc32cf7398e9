//! Leads (销售线索): the list, capturing one by hand, the lead page (possible duplicates,
//! progress, activities, conversion into a customer and an opportunity), the settings (web
//! forms, assignment rules, sources) and the public form page that visitors fill in.

use super::login::go;
use super::Viewer;
use crate::i18n::Msg;
use crate::layout;
use axum::extract::{Path, Query, State};
use axum::http::{HeaderMap, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::Form;
use guanxi_api::auth::ClientIp;
use guanxi_api::dto::leads::{
    ConversionDealBody, ConvertLeadBody, CreateLead, CreateLeadRule, CreateWebForm, FormSubmission,
    SaveLeadSource, UpdateLead,
};
use guanxi_api::{ApiError, ApiState};
use guanxi_core::access::grant;
use guanxi_core::lead::LeadStatus;
use guanxi_core::{secret, Action, Lang, LeadId, LeadRuleId};
use guanxi_store::{About, Lead, LeadQuery, LeadSource, NewWebForm, User};
use maud::{html, Markup};
use serde::Deserialize;

/// A lead status as people say it.
pub fn status_label(l: Lang, s: LeadStatus) -> &'static str {
    let (zh, en) = match s {
        LeadStatus::New => ("新线索", "New"),
        LeadStatus::Working => ("跟进中", "Working"),
        LeadStatus::Qualified => ("已确认", "Qualified"),
        LeadStatus::Disqualified => ("无效", "Disqualified"),
        LeadStatus::Converted => ("已转化", "Converted"),
    };
    l.pick(zh, en)
}

fn source_name(sources: &[LeadSource], code: &str) -> String {
    sources
        .iter()
        .find(|s| s.code == code)
        .map(|s| s.name.clone())
        .unwrap_or_else(|| code.to_owned())
}

fn user_name(users: &[User], id: Option<guanxi_core::UserId>, l: Lang) -> String {
    id.and_then(|id| users.iter().find(|u| u.id == id))
        .map(|u| u.name.clone())
        .unwrap_or_else(|| Msg::Unassigned.t(l).to_owned())
}

/// What went wrong, field by field, in the viewer's language.
fn error_box(l: Lang, e: &ApiError) -> Markup {
    html! {
        div.alert.bad role="alert" #lead-error {
            (e.message(l))
            ul { @for f in e.fields() { li { (f.field) ": " (f.reason.message(l)) } } }
        }
    }
}

fn may(v: &Viewer, a: Action) -> bool {
    grant(v.user.role, a).is_some()
}

#[derive(Debug, Default, Deserialize)]
pub struct ListParams {
    status: Option<String>,
    source: Option<String>,
    before: Option<i64>,
}

/// `/leads`: leads within reach, newest first, by status and source.
pub async fn list(State(s): State<ApiState>, v: Viewer, Query(p): Query<ListParams>) -> Response {
    let l = v.lang;
    let status = p.status.as_deref().and_then(|x| LeadStatus::parse(x).ok());
    let source = p.source.clone().filter(|x| !x.is_empty());
    let q = LeadQuery {
        status,
        source: source.clone(),
        before: p.before.map(LeadId),
        limit: 50,
        ..Default::default()
    };
    let leads = match s.store.list_leads(v.ctx, q).await {
        Ok(x) => x,
        Err(e) => return crate::page_error(l, e.into()),
    };
    let sources = s.store.list_lead_sources(v.ctx).await.unwrap_or_default();
    let users = s.store.list_users(v.ctx).await.unwrap_or_default();
    let more = leads.len() == 50;
    let content = html! {
        div.titlebar {
            h1 { (Msg::Leads.t(l)) }
            @if may(&v, Action::WriteLeads) { a.button #new-lead href="/leads/new" { (Msg::NewLead.t(l)) } }
            @if may(&v, Action::ManageSalesSettings) { a.button href="/leads/settings" { (Msg::LeadSettings.t(l)) } }
        }
        form.toolbar method="get" action="/leads" {
            label.sr-only for="f-status" { (Msg::Status.t(l)) }
            select #f-status name="status" {
                option value="" { (Msg::AnyStatus.t(l)) }
                @for st in LeadStatus::ALL {
                    option value=(st.as_str()) selected[status == Some(*st)] { (status_label(l, *st)) }
                }
            }
            label.sr-only for="f-source" { (Msg::Source.t(l)) }
            select #f-source name="source" {
                option value="" { (Msg::AnySource.t(l)) }
                @for src in &sources {
                    option value=(src.code) selected[source.as_deref() == Some(src.code.as_str())] { (src.name) }
                }
            }
            button type="submit" { (Msg::Filter.t(l)) }
        }
        @if leads.is_empty() { p.empty { (Msg::NoLeads.t(l)) } }
        @else {
            table.list #leads {
                thead { tr {
                    th scope="col" { (Msg::PersonName.t(l)) }
                    th scope="col" { (Msg::Company.t(l)) }
                    th scope="col" { (Msg::Source.t(l)) }
                    th scope="col" { (Msg::LeadStatusLabel.t(l)) }
                    th scope="col" { (Msg::Owner.t(l)) }
                    th scope="col" { (Msg::Created.t(l)) }
                } }
                tbody { @for x in &leads { tr {
                    td { a href={"/leads/" (x.id)} { (x.name) } }
                    td { (x.company.as_deref().unwrap_or("")) }
                    td { (source_name(&sources, &x.source)) }
                    td { span.pill { (status_label(l, x.status)) } }
                    td { (user_name(&users, x.owner_id, l)) }
                    td { (v.when(x.created_at)) }
                } } }
            }
            @if more {
                @if let Some(last) = leads.last() {
                    p { a href={"/leads?before=" (last.id) "&status=" (status.map(|s| s.as_str()).unwrap_or("")) "&source=" (crate::encode(source.as_deref().unwrap_or("")))} { (Msg::Older.t(l)) } }
                }
            }
        }
    };
    layout::page(&v.shell(), Msg::Leads.t(l), content)
}

#[derive(Debug, Default, Deserialize)]
pub struct LeadForm {
    name: Option<String>,
    company: Option<String>,
    title: Option<String>,
    phone: Option<String>,
    email: Option<String>,
    wechat: Option<String>,
    region: Option<String>,
    source: Option<String>,
    note: Option<String>,
}

async fn new_page(s: &ApiState, v: &Viewer, f: &LeadForm, err: Option<&ApiError>) -> Response {
    let l = v.lang;
    let sources = s.store.list_lead_sources(v.ctx).await.unwrap_or_default();
    let field = |id: &str, name: &str, label: Msg, val: &Option<String>, required: bool| {
        html! {
            div.field {
                label for=(id) { (label.t(l)) @if required { " *" } }
                input id=(id) name=(name) type="text" value=(val.as_deref().unwrap_or("")) required[required];
            }
        }
    };
    let content = html! {
        h1 { (Msg::NewLead.t(l)) }
        @if let Some(e) = err { (error_box(l, e)) }
        form.card #lead-form method="post" action="/leads/new" {
            (crate::layout::csrf_input(v.csrf.as_deref()))
            (field("lead-name", "name", Msg::PersonName, &f.name, true))
            (field("lead-company", "company", Msg::Company, &f.company, false))
            (field("lead-title", "title", Msg::JobTitle, &f.title, false))
            p.muted { (Msg::ContactRequired.t(l)) }
            (field("lead-phone", "phone", Msg::Phone, &f.phone, false))
            (field("lead-email", "email", Msg::Email, &f.email, false))
            (field("lead-wechat", "wechat", Msg::Wechat, &f.wechat, false))
            div.field {
                label for="lead-region" { (Msg::Region.t(l)) }
                input #lead-region name="region" type="text" placeholder=(Msg::RegionHint.t(l)) value=(f.region.as_deref().unwrap_or(""));
            }
            div.field {
                label for="lead-source" { (Msg::Source.t(l)) " *" }
                select #lead-source name="source" required {
                    @for src in sources.iter().filter(|x| x.active) {
                        option value=(src.code) selected[f.source.as_deref() == Some(src.code.as_str())] { (src.name) }
                    }
                }
            }
            div.field {
                label for="lead-note" { (Msg::Note.t(l)) }
                textarea #lead-note name="note" rows="3" { (f.note.as_deref().unwrap_or("")) }
            }
            p { button #lead-save type="submit" { (Msg::Save.t(l)) } }
        }
    };
    let status = err.map(|e| e.status()).unwrap_or(StatusCode::OK);
    (status, layout::page(&v.shell(), Msg::NewLead.t(l), content)).into_response()
}

pub async fn new_form(State(s): State<ApiState>, v: Viewer) -> Response {
    new_page(&s, &v, &LeadForm::default(), None).await
}

fn blank(x: &Option<String>) -> Option<String> {
    x.clone().filter(|s| !s.trim().is_empty())
}

/// Capture a lead by hand; on to its page (which shows possible duplicates).
pub async fn create(
    State(s): State<ApiState>,
    v: Viewer,
    headers: HeaderMap,
    Form(f): Form<LeadForm>,
) -> Response {
    let dto = CreateLead {
        name: f.name.clone(),
        company: blank(&f.company),
        title: blank(&f.title),
        phone: blank(&f.phone),
        email: blank(&f.email),
        wechat: blank(&f.wechat),
        region: blank(&f.region),
        source: f.source.clone(),
        note: blank(&f.note),
        owner_id: None,
    };
    let result = match dto.parse() {
        Ok(new) => s
            .store
            .create_lead(v.ctx, new)
            .await
            .map_err(ApiError::from),
        Err(e) => Err(e.into()),
    };
    match result {
        Ok((lead, _)) => go(&headers, &format!("/leads/{}", lead.id)),
        Err(e) => new_page(&s, &v, &f, Some(&e)).await,
    }
}

/// The lead: details, possible duplicates, progress, activities and conversion.
pub async fn show(State(s): State<ApiState>, v: Viewer, Path(id): Path<i64>) -> Response {
    render(&s, &v, LeadId(id), None).await
}

async fn render(s: &ApiState, v: &Viewer, id: LeadId, err: Option<ApiError>) -> Response {
    let l = v.lang;
    let lead: Lead = match s.store.get_lead(v.ctx, id).await {
        Ok(x) => x,
        Err(e) => return crate::page_error(l, e.into()),
    };
    let sources = s.store.list_lead_sources(v.ctx).await.unwrap_or_default();
    let users = s.store.list_users(v.ctx).await.unwrap_or_default();
    let matches = s.store.lead_matches(v.ctx, id).await.unwrap_or_default();
    let activities = s
        .store
        .activities_about(v.ctx, About::Lead(id))
        .await
        .unwrap_or_default();
    let may_write = may(v, Action::WriteLeads) && lead.status != LeadStatus::Converted;
    let may_convert = may(v, Action::ConvertLeads) && lead.status.may_convert();
    let may_plan = may(v, Action::WriteActivities) && lead.status != LeadStatus::Converted;
    let pipelines = if may_convert {
        s.store.list_pipelines(v.ctx).await.unwrap_or_default()
    } else {
        Vec::new()
    };
    let csrf = v.csrf.as_deref();
    let status = err.as_ref().map(|e| e.status()).unwrap_or(StatusCode::OK);
    let content = html! {
        div.titlebar {
            h1 { (lead.name) " " span.pill #lead-status { (status_label(l, lead.status)) } }
        }
        @if let Some(e) = &err { (error_box(l, e)) }
        @if let Some(cid) = lead.customer_id {
            p.alert role="status" #converted {
                (Msg::ConvertedTo.t(l)) ": " a href={"/customers/" (cid)} { (Msg::Customers.t(l)) " #" (cid) }
            }
        }
        div.cols {
            div {
                section.card aria-labelledby="lead-h" {
                    h2 #lead-h { (Msg::Profile.t(l)) }
                    dl.props {
                        @if let Some(c) = &lead.company { dt { (Msg::Company.t(l)) } dd { (c) } }
                        @if let Some(t) = &lead.title { dt { (Msg::JobTitle.t(l)) } dd { (t) } }
                        @if let Some(p) = &lead.phone { dt { (Msg::Phone.t(l)) } dd { (p) } }
                        @if let Some(e) = &lead.email { dt { (Msg::Email.t(l)) } dd { (e) } }
                        @if let Some(w) = &lead.wechat { dt { (Msg::Wechat.t(l)) } dd { (w) } }
                        @if let Some(r) = &lead.region { dt { (Msg::Region.t(l)) } dd { (r) } }
                        dt { (Msg::Source.t(l)) } dd #lead-source { (source_name(&sources, &lead.source)) }
                        dt { (Msg::Owner.t(l)) } dd #lead-owner { (user_name(&users, lead.owner_id, l)) }
                        @if let Some(r) = &lead.reason { dt { (Msg::DisqualifyReason.t(l)) } dd { (r) } }
                        dt { (Msg::Created.t(l)) } dd { (v.when(lead.created_at)) }
                        @if let Some(n) = &lead.note { dt { (Msg::Note.t(l)) } dd { (n) } }
                    }
                }
                section.card aria-labelledby="matches-h" {
                    h2 #matches-h { (Msg::LeadMatches.t(l)) }
                    @if matches.is_empty() { p.empty { (Msg::NoLeadMatches.t(l)) } }
                    ul #matches {
                        @for m in &matches {
                            li {
                                @if m.kind == "customer" {
                                    a href={"/customers/" (m.id)} { (m.name) } " · " (Msg::Customers.t(l))
                                } @else {
                                    a href={"/leads/" (m.id)} { (m.name) } " · " (Msg::Leads.t(l))
                                    @if let Some(st) = m.status { " · " (status_label(l, st)) }
                                }
                                " · " span.muted { (Msg::MatchedOn.t(l)) " " (match m.matched_on { "phone" => Msg::Phone.t(l), "email" => Msg::Email.t(l), _ => Msg::Wechat.t(l) }) }
                                @if may_convert && m.kind == "customer" {
                                    form.inline method="post" action={"/leads/" (lead.id) "/convert"} {
                                        (crate::layout::csrf_input(csrf))
                                        input type="hidden" name="customer_id" value=(m.id);
                                        input type="hidden" name="version" value=(lead.version);
                                        button.merge type="submit" { (Msg::ConvertInto.t(l)) }
                                    }
                                }
                            }
                        }
                    }
                }
            }
            div {
                @if may_write {
                    section.card aria-labelledby="progress-h" {
                        h2 #progress-h { (Msg::LeadStatusLabel.t(l)) }
                        form.toolbar #lead-progress method="post" action={"/leads/" (lead.id) "/status"} {
                            (crate::layout::csrf_input(csrf))
                            input type="hidden" name="version" value=(lead.version);
                            label.sr-only for="lead-status-select" { (Msg::LeadStatusLabel.t(l)) }
                            select #lead-status-select name="status" {
                                @for st in LeadStatus::ALL.iter().filter(|s| **s != LeadStatus::Converted) {
                                    option value=(st.as_str()) selected[*st == lead.status] { (status_label(l, *st)) }
                                }
                            }
                            label.sr-only for="lead-owner-select" { (Msg::Owner.t(l)) }
                            select #lead-owner-select name="owner_id" {
                                option value="" selected[lead.owner_id.is_none()] { (Msg::Unassigned.t(l)) }
                                @for u in users.iter().filter(|u| u.active && matches!(u.role, guanxi_core::Role::SalesRep | guanxi_core::Role::Manager | guanxi_core::Role::Admin)) {
                                    option value=(u.id) selected[lead.owner_id == Some(u.id)] { (u.name) }
                                }
                            }
                            label.sr-only for="lead-reason" { (Msg::DisqualifyReason.t(l)) }
                            input #lead-reason name="reason" type="text" placeholder=(Msg::DisqualifyReason.t(l));
                            button #lead-status-save type="submit" { (Msg::UpdateStatus.t(l)) }
                        }
                    }
                }
                @if may_convert {
                    section.card aria-labelledby="convert-h" {
                        h2 #convert-h { (Msg::ConvertLead.t(l)) }
                        p.muted { (Msg::ConvertHint.t(l)) }
                        form #convert method="post" action={"/leads/" (lead.id) "/convert"} {
                            (crate::layout::csrf_input(csrf))
                            input type="hidden" name="version" value=(lead.version);
                            div.field {
                                label { input #with-opp type="checkbox" name="with_opportunity" value="1" checked; " " (Msg::WithOpportunity.t(l)) }
                            }
                            div.field { label for="conv-name" { (Msg::OpportunityName.t(l)) }
                                input #conv-name name="opportunity_name" type="text"
                                    value=(lead.company.as_deref().unwrap_or(&lead.name)); }
                            div.field { label for="conv-amount" { (Msg::Amount.t(l)) }
                                input #conv-amount name="amount" type="text" inputmode="decimal" placeholder="¥"; }
                            div.field { label for="conv-close" { (Msg::ExpectedClose.t(l)) }
                                input #conv-close name="expected_close" type="date"; }
                            @if pipelines.len() > 1 {
                                div.field { label for="conv-pipeline" { (Msg::Pipeline.t(l)) }
                                    select #conv-pipeline name="pipeline_id" {
                                        @for p in &pipelines { option value=(p.id) { (p.name) } }
                                    }
                                }
                            }
                            p { button #convert-save type="submit" { (Msg::ConvertLead.t(l)) } }
                        }
                    }
                }
                section.card aria-labelledby="lead-acts-h" {
                    h2 #lead-acts-h { (Msg::LeadActivities.t(l)) }
                    @if activities.is_empty() { p.empty { (Msg::NoActivities.t(l)) } }
                    ul.activities #lead-activities {
                        @for a in &activities {
                            li {
                                span.muted { (v.when(a.due_at)) } " · "
                                (crate::i18n::value(l, if a.kind.as_str() == "visit" { "visit_activity" } else { a.kind.as_str() })) " · "
                                strong { (a.subject) }
                                @if a.done_at.is_some() { " · " (Msg::Done.t(l)) }
                            }
                        }
                    }
                    @if may_plan {
                        form.toolbar #lead-plan method="post" action="/my-day" {
                            (crate::layout::csrf_input(csrf))
                            input type="hidden" name="lead_id" value=(lead.id);
                            label.sr-only for="lead-plan-kind" { (Msg::Kind.t(l)) }
                            select #lead-plan-kind name="kind" {
                                @for k in ["call", "visit", "meeting", "task"] {
                                    option value=(k) { (crate::i18n::value(l, if k == "visit" { "visit_activity" } else { k })) }
                                }
                            }
                            label.sr-only for="lead-plan-subject" { (Msg::Subject.t(l)) }
                            input #lead-plan-subject name="subject" type="text" required placeholder=(Msg::Subject.t(l));
                            label.sr-only for="lead-plan-due" { (Msg::Due.t(l)) }
                            input #lead-plan-due name="due" type="datetime-local" required;
                            button #lead-plan-save type="submit" { (Msg::Plan.t(l)) }
                        }
                    }
                }
            }
        }
    };
    (status, layout::page(&v.shell(), &lead.name, content)).into_response()
}

#[derive(Debug, Default, Deserialize)]
pub struct StatusForm {
    status: Option<String>,
    reason: Option<String>,
    /// A user id, or empty for the pool.
    owner_id: Option<String>,
    version: Option<i64>,
}

/// Move a lead along (working, qualified, disqualified with a reason).
pub async fn set_status(
    State(s): State<ApiState>,
    v: Viewer,
    headers: HeaderMap,
    Path(id): Path<i64>,
    Form(f): Form<StatusForm>,
) -> Response {
    let owner = f.owner_id.as_deref().map(|o| o.trim().parse::<i64>().ok());
    let dto = UpdateLead {
        status: f.status,
        reason: blank(&f.reason),
        owner_id: owner,
        ..Default::default()
    };
    let result = match dto.parse() {
        Ok(p) => s
            .store
            .update_lead(v.ctx, LeadId(id), f.version, p)
            .await
            .map_err(ApiError::from),
        Err(e) => Err(e.into()),
    };
    match result {
        Ok(_) => go(&headers, &format!("/leads/{id}")),
        Err(e) => render(&s, &v, LeadId(id), Some(e)).await,
    }
}

#[derive(Debug, Default, Deserialize)]
pub struct ConvertForm {
    customer_id: Option<i64>,
    with_opportunity: Option<String>,
    opportunity_name: Option<String>,
    amount: Option<String>,
    expected_close: Option<String>,
    pipeline_id: Option<i64>,
    version: Option<i64>,
}

/// Convert: into the chosen customer or a new one, with an opportunity when asked; on to the
/// customer's page.
pub async fn convert(
    State(s): State<ApiState>,
    v: Viewer,
    headers: HeaderMap,
    Path(id): Path<i64>,
    Form(f): Form<ConvertForm>,
) -> Response {
    let deal = f
        .with_opportunity
        .as_deref()
        .is_some_and(|x| !x.is_empty())
        .then(|| ConversionDealBody {
            pipeline_id: f.pipeline_id,
            name: blank(&f.opportunity_name),
            amount: blank(&f.amount).map(|a| a.trim().replace(['¥', '￥', ','], "")),
            currency: Some(v.org.currency.as_str().to_owned()),
            expected_close: blank(&f.expected_close),
        });
    let dto = ConvertLeadBody {
        customer_id: f.customer_id,
        opportunity: deal,
    };
    let result = match dto.parse() {
        Ok(how) => s
            .store
            .convert_lead(v.ctx, LeadId(id), f.version, how)
            .await
            .map_err(ApiError::from),
        Err(e) => Err(e.into()),
    };
    match result {
        Ok(c) => go(
            &headers,
            &format!("/customers/{}?converted=1", c.customer.id),
        ),
        Err(e) => render(&s, &v, LeadId(id), Some(e)).await,
    }
}

// ---------------------------------------------------------------- settings

/// Web forms, assignment rules and sources (administrators and managers).
pub async fn settings(State(s): State<ApiState>, v: Viewer) -> Response {
    settings_page(&s, &v, None).await
}

async fn settings_page(s: &ApiState, v: &Viewer, err: Option<ApiError>) -> Response {
    let l = v.lang;
    let forms = s.store.list_web_forms(v.ctx).await.unwrap_or_default();
    let rules = s.store.list_lead_rules(v.ctx).await.unwrap_or_default();
    let sources = s.store.list_lead_sources(v.ctx).await.unwrap_or_default();
    let users = s.store.list_users(v.ctx).await.unwrap_or_default();
    let teams = s.store.list_teams(v.ctx).await.unwrap_or_default();
    let csrf = v.csrf.as_deref();
    let status = err.as_ref().map(|e| e.status()).unwrap_or(StatusCode::OK);
    let content = html! {
        h1 { (Msg::LeadSettings.t(l)) }
        @if let Some(e) = &err { (error_box(l, e)) }
        section.card aria-labelledby="forms-h" {
            h2 #forms-h { (Msg::WebForms.t(l)) }
            @if forms.is_empty() { p.empty { (Msg::NoWebForms.t(l)) } }
            @for f in &forms {
                div.webform {
                    strong { (f.name) } " · " (source_name(&sources, &f.source)) " · "
                    a.form-page href={"/f/" (f.key)} { (Msg::FormPage.t(l)) }
                    p.muted { (Msg::EmbedHint.t(l)) }
                    pre { code { (embed_snippet(l, &f.key)) } }
                }
            }
            form.toolbar #new-form method="post" action="/leads/settings/forms" {
                (crate::layout::csrf_input(csrf))
                label.sr-only for="form-name" { (Msg::FormName.t(l)) }
                input #form-name name="name" type="text" required placeholder=(Msg::FormName.t(l));
                label.sr-only for="form-source" { (Msg::Source.t(l)) }
                select #form-source name="source" {
                    @for src in sources.iter().filter(|x| x.active) {
                        option value=(src.code) selected[src.code == "website"] { (src.name) }
                    }
                }
                button #form-save type="submit" { (Msg::NewWebForm.t(l)) }
            }
        }
        section.card aria-labelledby="rules-h" {
            h2 #rules-h { (Msg::AssignmentRules.t(l)) }
            p.muted { (Msg::RulesHint.t(l)) }
            @if rules.is_empty() { p.empty { (Msg::NoRules.t(l)) } }
            @else {
                table.list #rules {
                    thead { tr {
                        th scope="col" { "#" }
                        th scope="col" { (Msg::Source.t(l)) }
                        th scope="col" { (Msg::Region.t(l)) }
                        th scope="col" { (Msg::AssignTo.t(l)) }
                        th scope="col" {}
                    } }
                    tbody { @for r in &rules { tr {
                        td { (r.position + 1) }
                        td { @match &r.source { Some(c) => { (source_name(&sources, c)) } None => { (Msg::AnySource.t(l)) } } }
                        td { (r.region.as_deref().unwrap_or(Msg::AnyRegion.t(l))) }
                        td {
                            @if let Some(t) = r.team_id {
                                (Msg::RoundRobin.t(l)) ": " (teams.iter().find(|x| x.id == t).map(|x| x.name.as_str()).unwrap_or(""))
                            } @else {
                                (user_name(&users, r.user_id, l))
                            }
                        }
                        td {
                            form.inline method="post" action={"/leads/settings/rules/" (r.id) "/delete"} {
                                (crate::layout::csrf_input(csrf))
                                button.plain type="submit" { (Msg::Delete.t(l)) }
                            }
                        }
                    } } }
                }
            }
            form.toolbar #new-rule method="post" action="/leads/settings/rules" {
                (crate::layout::csrf_input(csrf))
                label.sr-only for="rule-source" { (Msg::Source.t(l)) }
                select #rule-source name="source" {
                    option value="" { (Msg::AnySource.t(l)) }
                    @for src in &sources { option value=(src.code) { (src.name) } }
                }
                label.sr-only for="rule-region" { (Msg::Region.t(l)) }
                input #rule-region name="region" type="text" placeholder=(Msg::AnyRegion.t(l));
                label.sr-only for="rule-target" { (Msg::AssignTo.t(l)) }
                select #rule-target name="target" {
                    optgroup label=(Msg::RoundRobin.t(l)) {
                        @for t in &teams { option value={"team:" (t.id)} { (t.name) } }
                    }
                    optgroup label=(Msg::OnePerson.t(l)) {
                        @for u in users.iter().filter(|u| u.active) { option value={"user:" (u.id)} { (u.name) } }
                    }
                }
                button #rule-save type="submit" { (Msg::AddRule.t(l)) }
            }
        }
        section.card aria-labelledby="sources-h" {
            h2 #sources-h { (Msg::LeadSources.t(l)) }
            ul #sources { @for src in &sources {
                li { (src.name) " " span.muted { code { (src.code) } } @if !src.active { " · " (Msg::Deactivated.t(l)) } }
            } }
            form.toolbar method="post" action="/leads/settings/sources" {
                (crate::layout::csrf_input(csrf))
                label.sr-only for="src-code" { (Msg::SourceCode.t(l)) }
                input #src-code name="code" type="text" required pattern="[a-z][a-z0-9_]{0,31}" placeholder=(Msg::SourceCode.t(l));
                label.sr-only for="src-name" { (Msg::Source.t(l)) }
                input #src-name name="name" type="text" required placeholder=(Msg::Source.t(l));
                button type="submit" { (Msg::AddSource.t(l)) }
            }
        }
    };
    (
        status,
        layout::page(&v.shell(), Msg::LeadSettings.t(l), content),
    )
        .into_response()
}

/// The HTML to put on one's own site: a plain form posting to Guanxi, with the hidden trap
/// field robots fill in.
fn embed_snippet(l: Lang, key: &str) -> String {
    format!(
        "<form method=\"post\" action=\"https://YOUR-GUANXI-HOST/api/v1/forms/{key}/submissions\">\n  \
         <input name=\"name\" placeholder=\"{}\" required>\n  \
         <input name=\"phone\" placeholder=\"{}\">\n  \
         <input name=\"email\" type=\"email\" placeholder=\"{}\">\n  \
         <textarea name=\"message\"></textarea>\n  \
         <input name=\"homepage\" tabindex=\"-1\" autocomplete=\"off\" style=\"position:absolute;left:-9999px\">\n  \
         <button>{}</button>\n</form>",
        Msg::PersonName.t(l),
        Msg::Phone.t(l),
        Msg::Email.t(l),
        Msg::Submit.t(l),
    )
}

#[derive(Debug, Default, Deserialize)]
pub struct WebFormForm {
    name: Option<String>,
    source: Option<String>,
}

pub async fn create_form(
    State(s): State<ApiState>,
    v: Viewer,
    headers: HeaderMap,
    Form(f): Form<WebFormForm>,
) -> Response {
    let parsed = CreateWebForm {
        name: f.name,
        source: f.source,
    }
    .parse();
    let result = match parsed {
        Ok((name, source)) => s
            .store
            .create_web_form(
                v.ctx,
                NewWebForm {
                    name,
                    source,
                    key: secret::new_secret(guanxi_api::forms::FORM_PREFIX),
                },
            )
            .await
            .map_err(ApiError::from),
        Err(e) => Err(e.into()),
    };
    match result {
        Ok(_) => go(&headers, "/leads/settings"),
        Err(e) => settings_page(&s, &v, Some(e)).await,
    }
}

#[derive(Debug, Default, Deserialize)]
pub struct RuleForm {
    source: Option<String>,
    region: Option<String>,
    /// `team:ID` or `user:ID`.
    target: Option<String>,
}

pub async fn create_rule(
    State(s): State<ApiState>,
    v: Viewer,
    headers: HeaderMap,
    Form(f): Form<RuleForm>,
) -> Response {
    let target = f.target.unwrap_or_default();
    let (team_id, user_id) = match target.split_once(':') {
        Some(("team", id)) => (id.parse().ok(), None),
        Some(("user", id)) => (None, id.parse().ok()),
        _ => (None, None),
    };
    let parsed = CreateLeadRule {
        source: blank(&f.source),
        region: blank(&f.region),
        team_id,
        user_id,
    }
    .parse();
    let result = match parsed {
        Ok(new) => s
            .store
            .create_lead_rule(v.ctx, new)
            .await
            .map_err(ApiError::from),
        Err(e) => Err(e.into()),
    };
    match result {
        Ok(_) => go(&headers, "/leads/settings"),
        Err(e) => settings_page(&s, &v, Some(e)).await,
    }
}

pub async fn delete_rule(
    State(s): State<ApiState>,
    v: Viewer,
    headers: HeaderMap,
    Path(id): Path<i64>,
) -> Response {
    match s.store.delete_lead_rule(v.ctx, LeadRuleId(id)).await {
        Ok(()) => go(&headers, "/leads/settings"),
        Err(e) => settings_page(&s, &v, Some(e.into())).await,
    }
}

#[derive(Debug, Default, Deserialize)]
pub struct SourceForm {
    code: Option<String>,
    name: Option<String>,
}

pub async fn save_source(
    State(s): State<ApiState>,
    v: Viewer,
    headers: HeaderMap,
    Form(f): Form<SourceForm>,
) -> Response {
    let parsed = SaveLeadSource {
        name: f.name,
        active: Some(true),
    }
    .parse(f.code.as_deref().unwrap_or(""));
    let result = match parsed {
        Ok(src) => s
            .store
            .save_lead_source(v.ctx, src)
            .await
            .map_err(ApiError::from),
        Err(e) => Err(e.into()),
    };
    match result {
        Ok(_) => go(&headers, "/leads/settings"),
        Err(e) => settings_page(&s, &v, Some(e)).await,
    }
}

// ---------------------------------------------------------------- the public form page

fn public_lang(headers: &HeaderMap) -> Lang {
    guanxi_api::error::request_lang(headers)
}

fn form_page(l: Lang, key: &str, f: &FormSubmission, err: Option<&ApiError>) -> Markup {
    let shown = chrono::Utc::now().timestamp();
    let val = |x: &Option<String>| x.clone().unwrap_or_default();
    layout::bare(
        l,
        Msg::ContactUs.t(l),
        html! {
            div.card.login {
                h1 { (Msg::ContactUs.t(l)) }
                p.muted { (Msg::FormIntro.t(l)) }
                @if let Some(e) = err { (error_box(l, e)) }
                form #web-form method="post" action={"/f/" (key)} {
                    input type="hidden" name="_ts" value=(shown);
                    div.field { label for="wf-name" { (Msg::PersonName.t(l)) " *" }
                        input #wf-name name="name" type="text" required autocomplete="name" value=(val(&f.name)); }
                    div.field { label for="wf-phone" { (Msg::Phone.t(l)) }
                        input #wf-phone name="phone" type="tel" autocomplete="tel" value=(val(&f.phone)); }
                    div.field { label for="wf-email" { (Msg::Email.t(l)) }
                        input #wf-email name="email" type="email" autocomplete="email" value=(val(&f.email)); }
                    div.field { label for="wf-company" { (Msg::Company.t(l)) }
                        input #wf-company name="company" type="text" autocomplete="organization" value=(val(&f.company)); }
                    div.field { label for="wf-region" { (Msg::Region.t(l)) }
                        input #wf-region name="region" type="text" placeholder=(Msg::RegionHint.t(l)) value=(val(&f.region)); }
                    div.field { label for="wf-message" { (Msg::Message.t(l)) }
                        textarea #wf-message name="message" rows="4" { (val(&f.message)) } }
                    // People never see this field; robots fill it in.
                    div.trap aria-hidden="true" {
                        label for="wf-homepage" { "Homepage" }
                        input #wf-homepage name="homepage" type="text" tabindex="-1" autocomplete="off";
                    }
                    p.muted { (Msg::ContactRequired.t(l)) }
                    p { button #wf-submit type="submit" { (Msg::Submit.t(l)) } }
                }
            }
        },
    )
}

/// `/f/{key}`: the hosted form page of a web form (public).
pub async fn public_form(
    State(s): State<ApiState>,
    headers: HeaderMap,
    Path(key): Path<String>,
) -> Response {
    let l = public_lang(&headers);
    match s.store.web_form_by_key(&key).await {
        Ok(Some(_)) if secret::looks_like(&key, guanxi_api::forms::FORM_PREFIX) => {
            form_page(l, &key, &FormSubmission::default(), None).into_response()
        }
        _ => layout::problem(l, StatusCode::NOT_FOUND, Msg::FormNotFound),
    }
}

/// A visitor sends the hosted form: thanks, or the form again with what to fix.
pub async fn public_submit(
    State(s): State<ApiState>,
    headers: HeaderMap,
    ClientIp(ip): ClientIp,
    Path(key): Path<String>,
    Form(f): Form<FormSubmission>,
) -> Response {
    let l = public_lang(&headers);
    let echo = FormSubmission {
        name: f.name.clone(),
        phone: f.phone.clone(),
        email: f.email.clone(),
        wechat: f.wechat.clone(),
        company: f.company.clone(),
        region: f.region.clone(),
        message: f.message.clone(),
        homepage: None,
        shown_at: None,
    };
    match guanxi_api::forms::accept_submission(&s, &key, ip, f).await {
        Ok(()) => go(&headers, &format!("/f/{key}/thanks")),
        Err(ApiError::NotFound { .. }) => {
            layout::problem(l, StatusCode::NOT_FOUND, Msg::FormNotFound)
        }
        Err(e) => (e.status(), form_page(l, &key, &echo, Some(&e))).into_response(),
    }
}

/// After sending.
pub async fn thanks(headers: HeaderMap) -> Response {
    let l = public_lang(&headers);
    layout::bare(
        l,
        Msg::ContactUs.t(l),
        html! { div.card.login { h1 { (Msg::ContactUs.t(l)) } p #thanks role="status" { (Msg::ThankYou.t(l)) } } },
    )
    .into_response()
}

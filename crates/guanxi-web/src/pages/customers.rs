//! Customers: the list with search as you type, the new-customer form, the customer page
//! (客户360视图) with its timeline and the log-an-interaction form, and the quick lookup.

use super::analysis;
use super::login::go;
use super::Viewer;
use crate::i18n::{value, Msg};
use crate::layout;
use axum::extract::{Path, Query, State};
use axum::http::HeaderMap;
use axum::response::{IntoResponse, Response};
use axum::Form;
use chrono::Utc;
use guanxi_api::dto::customers::{CreateContactPoint, CreateCustomer, ListCustomersQuery};
use guanxi_api::dto::interactions::CreateInteraction;
use guanxi_api::{ApiError, ApiState};
use guanxi_core::interaction::Channel;
use guanxi_core::{ContactKind, CustomerId, FieldError, Lang, Reason};
use guanxi_store::{ContactLookup, CustomerSummary, TimelineQuery};
use maud::{html, Markup};
use serde::Deserialize;

const STATUSES: [&str; 5] = ["potential", "new", "current", "loyal", "lost"];
const CLASSES: [&str; 3] = ["key", "ordinary", "small"];
const SORTS: [(&str, Msg); 5] = [
    ("-created_at", Msg::SortNewest),
    ("created_at", Msg::SortOldest),
    ("name", Msg::SortName),
    ("-updated_at", Msg::SortUpdated),
    ("-clv", Msg::SortClv),
];
/// Channels offered when logging by hand, the commonest first.
const LOG_CHANNELS: [&str; 6] = ["phone", "visit", "email", "wechat", "sms", "letter"];

// ---------------------------------------------------------------- the list

#[derive(Debug, Default, Deserialize)]
pub struct ListParams {
    q: Option<String>,
    status: Option<String>,
    class: Option<String>,
    owner_id: Option<String>,
    tag: Option<String>,
    sort: Option<String>,
    cursor: Option<String>,
    /// A customer's personal data was just erased.
    erased: Option<String>,
    #[serde(flatten)]
    scores: ScoreParams,
}

/// Filters by the written-back scores: the selects (segment, tier, stage, risk) and the
/// drill-downs of the dashboards (RFM cell, previous segment, lifetime value band).
#[derive(Clone, Debug, Default, Deserialize)]
pub struct ScoreParams {
    segment: Option<String>,
    tier: Option<String>,
    stage: Option<String>,
    risk: Option<String>,
    rfm_r: Option<String>,
    rfm_f: Option<String>,
    prev_segment: Option<String>,
    clv_min: Option<String>,
    clv_below: Option<String>,
    cohort: Option<String>,
}

fn is_code(s: &str) -> bool {
    !s.is_empty()
        && s.len() <= 64
        && s.bytes()
            .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'_')
}

impl ScoreParams {
    /// Only values the API takes (a bad one in an address is left out, not an empty list).
    fn valid(&self) -> Self {
        let keep = |v: &Option<String>, ok: &dyn Fn(&str) -> bool| {
            v.as_deref()
                .map(str::trim)
                .filter(|x| ok(x))
                .map(str::to_owned)
        };
        let score = |s: &str| matches!(s, "1" | "2" | "3" | "4" | "5");
        let fen = |s: &str| !s.is_empty() && s.len() <= 18 && s.bytes().all(|b| b.is_ascii_digit());
        Self {
            segment: keep(&self.segment, &is_code),
            tier: keep(&self.tier, &|s| analysis::TIERS.contains(&s)),
            stage: keep(&self.stage, &|s| {
                analysis::STAGES.iter().any(|(c, _)| *c == s)
            }),
            risk: keep(&self.risk, &|s| {
                analysis::RISKS.iter().any(|(c, _)| *c == s)
            }),
            rfm_r: keep(&self.rfm_r, &score),
            rfm_f: keep(&self.rfm_f, &score),
            prev_segment: keep(&self.prev_segment, &is_code),
            clv_min: keep(&self.clv_min, &fen),
            clv_below: keep(&self.clv_below, &fen),
            cohort: keep(&self.cohort, &|s| {
                chrono::NaiveDate::parse_from_str(&format!("{s}-01"), "%Y-%m-%d").is_ok()
                    && s.len() == 7
            }),
        }
    }

    fn pairs(&self) -> [(&'static str, Option<&str>); 10] {
        [
            ("segment", self.segment.as_deref()),
            ("tier", self.tier.as_deref()),
            ("stage", self.stage.as_deref()),
            ("risk", self.risk.as_deref()),
            ("rfm_r", self.rfm_r.as_deref()),
            ("rfm_f", self.rfm_f.as_deref()),
            ("prev_segment", self.prev_segment.as_deref()),
            ("clv_min", self.clv_min.as_deref()),
            ("clv_below", self.clv_below.as_deref()),
            ("cohort", self.cohort.as_deref()),
        ]
    }
}

/// The drill-down filters that have no select in the form, in words: (parameter, text).
fn drill_chips(
    v: &Viewer,
    segs: &analysis::SegmentNames,
    s: &ScoreParams,
) -> Vec<(&'static str, String)> {
    let l = v.lang;
    let cur = v.org.currency;
    let fen = |x: &str| {
        x.parse::<i64>()
            .map(|n| v.money(n, cur))
            .unwrap_or_else(|_| x.to_owned())
    };
    let mut out = Vec::new();
    if let Some(r) = &s.rfm_r {
        out.push(("rfm_r", format!("R = {r}")));
    }
    if let Some(f) = &s.rfm_f {
        out.push(("rfm_f", format!("F = {f}")));
    }
    if let Some(p) = &s.prev_segment {
        out.push((
            "prev_segment",
            format!("{}: {}", Msg::PreviousSegment.t(l), segs.name(l, p)),
        ));
    }
    if let Some(x) = &s.clv_min {
        out.push(("clv_min", Msg::ClvAtLeast.t(l).replace("{v}", &fen(x))));
    }
    if let Some(x) = &s.clv_below {
        out.push(("clv_below", Msg::ClvUnder.t(l).replace("{v}", &fen(x))));
    }
    if let Some(m) = &s.cohort {
        out.push(("cohort", Msg::CohortOf.t(l).replace("{m}", m)));
    }
    out
}

fn rows(v: &Viewer, items: &[CustomerSummary], next: Option<&str>, p: &ListParams) -> Markup {
    let lang = v.lang;
    html! {
        tbody #rows {
            @if items.is_empty() {
                tr { td.empty colspan="7" { (Msg::NoCustomers.t(lang)) } }
            }
            @for c in items {
                tr {
                    td { a href={"/customers/" (c.id)} { (c.name) } @if c.vip { " " span.pill { (Msg::Vip.t(lang)) } } }
                    td { (c.primary_phone.as_deref().unwrap_or("")) }
                    td.wide { (c.primary_email.as_deref().unwrap_or("")) }
                    td { (value(lang, c.status.as_str())) }
                    td.wide { (value(lang, c.class.as_str())) }
                    td.wide { @for t in &c.tags { span.pill { (t) } } }
                    td.wide { (v.when(c.created_at)) }
                }
            }
            @if let Some(n) = next {
                tr { td colspan="7" {
                    a #next-page href={"/customers?" (query(p, Some(n)))} { (Msg::NextPage.t(lang)) " →" }
                } }
            }
        }
    }
}

fn query(p: &ListParams, cursor: Option<&str>) -> String {
    let pairs: Vec<(&str, &str)> = [
        ("q", p.q.as_deref()),
        ("status", p.status.as_deref()),
        ("class", p.class.as_deref()),
        ("owner_id", p.owner_id.as_deref()),
        ("tag", p.tag.as_deref()),
        ("sort", p.sort.as_deref()),
    ]
    .into_iter()
    .chain(p.scores.pairs())
    .chain([("cursor", cursor)])
    .filter_map(|(k, v)| v.filter(|v| !v.is_empty()).map(|v| (k, v)))
    .collect();
    serde_urlencoded::to_string(pairs).unwrap_or_default()
}

/// The customer list: search as you type, filters, sort, cursor pages. An htmx request gets
/// only the table body.
pub async fn list(
    State(s): State<ApiState>,
    v: Viewer,
    headers: HeaderMap,
    Query(p): Query<ListParams>,
) -> Response {
    let l = v.lang;
    let p = ListParams {
        scores: p.scores.valid(),
        ..p
    };
    let sort = p
        .sort
        .clone()
        .filter(|x| SORTS.iter().any(|(k, _)| k == x))
        .unwrap_or_else(|| "-created_at".into());
    let sc = p.scores.clone();
    let q = ListCustomersQuery {
        segment: sc.segment,
        tier: sc.tier,
        stage: sc.stage,
        risk: sc.risk,
        rfm_r: sc.rfm_r,
        rfm_f: sc.rfm_f,
        prev_segment: sc.prev_segment,
        clv_min: sc.clv_min,
        clv_below: sc.clv_below,
        cohort: sc.cohort,
        q: p.q.clone().filter(|q| !q.trim().is_empty()),
        status: p.status.clone().filter(|x| STATUSES.contains(&x.as_str())),
        class: p.class.clone().filter(|x| CLASSES.contains(&x.as_str())),
        owner_id: p.owner_id.clone().filter(|x| x.parse::<i64>().is_ok()),
        tag: p
            .tag
            .clone()
            .map(|t| t.trim().to_owned())
            .filter(|t| !t.is_empty()),
        sort: Some(sort.clone()),
        cursor: p.cursor.clone().filter(|c| !c.is_empty()),
        limit: Some("50".into()),
        ..Default::default()
    };
    let page = match q.parse() {
        Ok(q) => s
            .store
            .list_customers(v.ctx, q)
            .await
            .map_err(ApiError::from),
        Err(e) => Err(e),
    };
    let page = match page {
        Ok(p) => p,
        // A stale cursor starts again from the first page.
        Err(ApiError::Validation(_)) | Err(ApiError::InvalidQuery(_)) => guanxi_store::Page {
            items: vec![],
            next_cursor: None,
        },
        Err(e) => return crate::page_error(l, e),
    };
    let body = rows(&v, &page.items, page.next_cursor.as_deref(), &p);
    if crate::is_htmx(&headers) {
        return body.into_response();
    }
    let selected = |a: &Option<String>, b: &str| a.as_deref() == Some(b);
    let users = s.store.list_users(v.ctx).await.unwrap_or_default();
    let views = s.store.list_views(v.ctx).await.unwrap_or_default();
    let here = query(&p, None);
    let may_analyse = v.may(guanxi_core::Action::ViewAnalytics);
    let segs = if may_analyse || p.scores.prev_segment.is_some() {
        analysis::SegmentNames::load_or_default(&s, v.ctx).await
    } else {
        analysis::SegmentNames::default()
    };
    let chips = drill_chips(&v, &segs, &p.scores);
    // The list without one drill-down filter.
    let without = |key: &str| {
        let mut s = p.scores.clone();
        match key {
            "rfm_r" => s.rfm_r = None,
            "rfm_f" => s.rfm_f = None,
            "prev_segment" => s.prev_segment = None,
            "clv_min" => s.clv_min = None,
            "cohort" => s.cohort = None,
            _ => s.clv_below = None,
        }
        let q = ListParams {
            q: p.q.clone(),
            status: p.status.clone(),
            class: p.class.clone(),
            owner_id: p.owner_id.clone(),
            tag: p.tag.clone(),
            sort: p.sort.clone(),
            cursor: None,
            erased: None,
            scores: s,
        };
        format!("/customers?{}", query(&q, None))
    };
    // Column headers sort: a second click reverses.
    let sort_link = |key: &str| {
        let next = if sort == key {
            key.strip_prefix('-')
                .map(str::to_owned)
                .unwrap_or_else(|| format!("-{key}"))
        } else {
            key.to_owned()
        };
        let q = ListParams {
            sort: Some(next),
            cursor: None,
            q: p.q.clone(),
            status: p.status.clone(),
            class: p.class.clone(),
            owner_id: p.owner_id.clone(),
            tag: p.tag.clone(),
            erased: None,
            scores: p.scores.clone(),
        };
        format!("/customers?{}", query(&q, None))
    };
    let arrow = |key: &str| {
        let base = key.trim_start_matches('-');
        if sort == base {
            " ↑"
        } else if sort == format!("-{base}") {
            " ↓"
        } else {
            ""
        }
    };
    let content = html! {
        div.titlebar {
            h1 { (Msg::Customers.t(l)) }
            div.actions {
                a.button #export href={"/api/v1/customers/export.csv?" (here)} download { (Msg::ExportCsv.t(l)) }
                " "
                a.button #export-xlsx href={"/api/v1/customers/export.xlsx?" (here)} download { (Msg::ExportXlsx.t(l)) }
            }
        }
        @if p.erased.is_some() { p.alert role="status" #erased { (Msg::Erased.t(l)) } }
        nav.channels #views aria-label=(Msg::SavedViews.t(l)) {
            strong { (Msg::SavedViews.t(l)) ": " }
            @if views.is_empty() { span.muted { (Msg::NoViews.t(l)) } }
            @for view in &views {
                span.pill {
                    a href={"/customers?" (view.query)} aria-current=[(view.query == here).then_some("true")] { (view.name) }
                    form.inline method="post" action={"/customers/views/" (view.id) "/delete"} hx-post={"/customers/views/" (view.id) "/delete"} {
                        (crate::layout::csrf_input(v.csrf.as_deref()))
                        button.plain type="submit" aria-label={(Msg::Delete.t(l)) " " (view.name)} { "×" }
                    }
                }
            }
        }
        @if !chips.is_empty() {
            p.chips #drill-filters {
                strong { (Msg::FilteredBy.t(l)) " " }
                @for (k, text) in &chips {
                    span.pill {
                        (text) " "
                        a href=(without(k)) aria-label={(Msg::RemoveFilter.t(l)) " " (text)} title=(Msg::RemoveFilter.t(l)) { "×" }
                    }
                }
            }
        }
        form.toolbar method="get" action="/customers"
            hx-get="/customers" hx-target="#rows" hx-swap="outerHTML"
            hx-trigger="input changed delay:300ms from:#q, change from:select, submit" hx-push-url="true" {
            label { (Msg::Search.t(l))
                input #q type="search" name="q" value=(p.q.as_deref().unwrap_or("")) placeholder=(Msg::SearchHint.t(l)) autocomplete="off";
            }
            label { (Msg::Status.t(l))
                select name="status" {
                    option value="" { (Msg::AnyStatus.t(l)) }
                    @for st in STATUSES { option value=(st) selected[selected(&p.status, st)] { (value(l, st)) } }
                }
            }
            label { (Msg::Class.t(l))
                select name="class" {
                    option value="" { (Msg::AnyClass.t(l)) }
                    @for c in CLASSES { option value=(c) selected[selected(&p.class, c)] { (value(l, c)) } }
                }
            }
            label { (Msg::Owner.t(l))
                select name="owner_id" {
                    option value="" { (Msg::AnyOwner.t(l)) }
                    @for u in &users { option value=(u.id) selected[selected(&p.owner_id, &u.id.to_string())] { (u.name) } }
                }
            }
            label { (Msg::Tag.t(l))
                input name="tag" type="text" size="8" value=(p.tag.as_deref().unwrap_or(""));
            }
            @if may_analyse {
                label { (Msg::SegmentCol.t(l))
                    select #f-segment name="segment" {
                        option value="" { (Msg::AnySegment.t(l)) }
                        @for seg in &segs.segments {
                            option value=(seg.code) selected[selected(&p.scores.segment, &seg.code)] { (l.pick(&seg.name_zh, &seg.name_en)) }
                        }
                        // A segment the map no longer holds, reached from the dashboards.
                        @if let Some(s) = p.scores.segment.as_deref().filter(|s| !segs.has(s)) {
                            option value=(s) selected { (s) }
                        }
                    }
                }
                label { (Msg::ValueTier.t(l))
                    select #f-tier name="tier" {
                        option value="" { (Msg::AnyTier.t(l)) }
                        @for t in analysis::TIERS { option value=(t) selected[selected(&p.scores.tier, t)] { (analysis::tier_name(l, t)) } }
                    }
                }
                label { (Msg::LifecycleStage.t(l))
                    select #f-stage name="stage" {
                        option value="" { (Msg::AnyStage.t(l)) }
                        @for (c, m) in analysis::STAGES { option value=(c) selected[selected(&p.scores.stage, c)] { (m.t(l)) } }
                    }
                }
                label { (Msg::ChurnRisk.t(l))
                    select #f-risk name="risk" {
                        option value="" { (Msg::AnyRisk.t(l)) }
                        @for (c, m) in analysis::RISKS { option value=(c) selected[selected(&p.scores.risk, c)] { (m.t(l)) } }
                    }
                }
            }
            // The dashboards' drill-downs that have no field here stay with the search.
            @for (i, (k, val)) in p.scores.pairs().into_iter().enumerate() {
                @if let Some(val) = val.filter(|_| i >= 4 || !may_analyse) { input type="hidden" name=(k) value=(val); }
            }
            label { (Msg::Sort.t(l))
                select name="sort" {
                    @for (k, m) in SORTS { option value=(k) selected[sort == k] { (m.t(l)) } }
                }
            }
            button type="submit" { (Msg::Filter.t(l)) }
            a.button href="/customers/new" { (Msg::NewCustomer.t(l)) }
        }
        table.list {
            thead { tr {
                th scope="col" { a href=(sort_link("name")) { (Msg::Name.t(l)) (arrow("name")) } }
                th scope="col" { (Msg::Phone.t(l)) }
                th.wide scope="col" { (Msg::Email.t(l)) }
                th scope="col" { (Msg::Status.t(l)) }
                th.wide scope="col" { (Msg::Class.t(l)) }
                th.wide scope="col" { (Msg::Tags.t(l)) }
                th.wide scope="col" { a href=(sort_link("-created_at")) { (Msg::Created.t(l)) (arrow("created_at")) } }
            } }
            (body)
        }
        @if p.cursor.is_some() { p { a href="/customers" { (Msg::FirstPage.t(l)) } } }
        form.toolbar #save-view method="post" action="/customers/views" hx-post="/customers/views" {
            (crate::layout::csrf_input(v.csrf.as_deref()))
            input type="hidden" name="query" value=(here);
            label { (Msg::ViewName.t(l)) input #view-name name="name" type="text" required; }
            button type="submit" { (Msg::SaveView.t(l)) }
        }
    };
    layout::page(&v.shell(), Msg::Customers.t(l), content)
}

// ---------------------------------------------------------------- new customer

#[derive(Debug, Default, Deserialize)]
pub struct NewCustomerForm {
    kind: Option<String>,
    name: Option<String>,
    mobile: Option<String>,
    email: Option<String>,
    status: Option<String>,
    class: Option<String>,
    city: Option<String>,
    tags: Option<String>,
    note: Option<String>,
    allow_duplicate: Option<String>,
}

/// Which form field a field path of the API points at.
fn form_field(path: &str, f: &NewCustomerForm) -> &'static str {
    if let Some(rest) = path.strip_prefix("contact_points[") {
        let first_is_mobile = f.mobile.as_deref().is_some_and(|m| !m.trim().is_empty());
        return match (rest.starts_with('0'), first_is_mobile) {
            (true, true) => "mobile",
            _ => "email",
        };
    }
    match path.split(['.', '[']).next().unwrap_or("") {
        "kind" => "kind",
        "name" => "name",
        "status" => "status",
        "class" => "class",
        "city" => "city",
        "tags" => "tags",
        "note" => "note",
        _ => "name",
    }
}

fn field_error<'a>(errors: &'a [(&'static str, String)], name: &str) -> Option<&'a str> {
    errors
        .iter()
        .find(|(f, _)| *f == name)
        .map(|(_, m)| m.as_str())
}

fn customer_form(
    l: Lang,
    csrf: Option<&str>,
    f: &NewCustomerForm,
    errors: &[(&'static str, String)],
    duplicate: Option<i64>,
) -> Markup {
    let input = |name: &'static str, label: Msg, kind: &str, val: Option<&str>, required: bool| {
        let err = field_error(errors, name);
        html! {
            div.field.invalid[err.is_some()] {
                label for=(name) { (label.t(l)) @if required { " (" (Msg::Required.t(l)) ")" } }
                input id=(name) name=(name) type=(kind) value=(val.unwrap_or(""))
                    required[required] aria-invalid=[err.map(|_| "true")]
                    aria-describedby=[err.map(|_| format!("{name}-error"))];
                @if let Some(e) = err { span.error id={(name) "-error"} role="alert" { (e) } }
            }
        }
    };
    let pick = |name: &'static str, label: Msg, options: &[&str], val: Option<&str>| {
        html! {
            div.field {
                label for=(name) { (label.t(l)) }
                select id=(name) name=(name) {
                    @for o in options { option value=(o) selected[val == Some(*o)] { (value(l, o)) } }
                }
            }
        }
    };
    html! {
        form #customer-form.card hx-post="/customers/new" hx-target="#customer-form" hx-swap="outerHTML"
            method="post" action="/customers/new" novalidate {
            (crate::layout::csrf_input(csrf))
            @if !errors.is_empty() { p.alert.bad role="alert" { (Msg::FixErrors.t(l)) } }
            @if let Some(id) = duplicate {
                p.alert.bad role="alert" #duplicate {
                    (Msg::Duplicate.t(l)) " "
                    a href={"/customers/" (id)} { (Msg::OpenExisting.t(l)) " #" (id) }
                }
                input type="hidden" name="allow_duplicate" value="true";
            }
            div.form-grid {
                (pick("kind", Msg::Kind, &["person", "company"], f.kind.as_deref()))
                (input("name", Msg::Name, "text", f.name.as_deref(), true))
                (input("mobile", Msg::Mobile, "tel", f.mobile.as_deref(), false))
                (input("email", Msg::Email, "email", f.email.as_deref(), false))
                (pick("status", Msg::Status, &STATUSES, f.status.as_deref().or(Some("new"))))
                (pick("class", Msg::Class, &CLASSES, f.class.as_deref().or(Some("ordinary"))))
                (input("city", Msg::City, "text", f.city.as_deref(), false))
                (input("tags", Msg::Tags, "text", f.tags.as_deref(), false))
            }
            div.field {
                label for="note" { (Msg::Note.t(l)) }
                textarea #note name="note" rows="3" { (f.note.as_deref().unwrap_or("")) }
            }
            p {
                button #save type="submit" { @if duplicate.is_some() { (Msg::SaveAnyway.t(l)) } @else { (Msg::Save.t(l)) } }
                " " a href="/customers" { (Msg::Cancel.t(l)) }
            }
        }
    }
}

/// The new-customer form.
pub async fn new_form(v: Viewer) -> Response {
    let l = v.lang;
    let content = html! {
        h1 { (Msg::NewCustomer.t(l)) }
        (customer_form(l, v.csrf.as_deref(), &NewCustomerForm::default(), &[], None))
    };
    layout::page(&v.shell(), Msg::NewCustomer.t(l), content)
}

fn opt(s: &Option<String>) -> Option<String> {
    s.as_deref()
        .map(str::trim)
        .filter(|x| !x.is_empty())
        .map(str::to_owned)
}

/// Create the customer through the API's own parsing, so that the same rules give the same
/// reasons; errors come back on the fields, a taken number as a duplicate warning.
pub async fn create(
    State(s): State<ApiState>,
    v: Viewer,
    headers: HeaderMap,
    Form(f): Form<NewCustomerForm>,
) -> Response {
    let l = v.lang;
    let mut cps = Vec::new();
    if let Some(m) = opt(&f.mobile) {
        cps.push(CreateContactPoint {
            kind: Some("mobile".into()),
            value: Some(m),
            ..Default::default()
        });
    }
    if let Some(e) = opt(&f.email) {
        cps.push(CreateContactPoint {
            kind: Some("email".into()),
            value: Some(e),
            ..Default::default()
        });
    }
    let dto = CreateCustomer {
        kind: opt(&f.kind),
        name: f.name.clone(),
        status: opt(&f.status),
        class: opt(&f.class),
        city: opt(&f.city),
        note: opt(&f.note),
        tags: opt(&f.tags).map(|t| crate::split_list(&t)),
        contact_points: Some(cps),
        allow_duplicate: Some(f.allow_duplicate.as_deref() == Some("true")),
        ..Default::default()
    };
    let result = match dto.parse() {
        Ok(new) => s
            .store
            .create_customer(v.ctx, new)
            .await
            .map_err(ApiError::from),
        Err(e) => Err(ApiError::from(e)),
    };
    let reasons = |fields: &[FieldError]| -> Vec<(&'static str, String)> {
        fields
            .iter()
            .map(|e| (form_field(&e.field, &f), e.reason.message(l)))
            .collect()
    };
    let (errors, duplicate) = match result {
        Ok(c) => return go(&headers, &format!("/customers/{}", c.id)),
        Err(ApiError::Validation(fields)) => (reasons(&fields), None),
        Err(ApiError::Conflict(fields)) => {
            let dup = fields.iter().find_map(|e| match e.reason {
                Reason::Duplicate { customer_id } => Some(customer_id),
                _ => None,
            });
            (
                if dup.is_some() {
                    vec![]
                } else {
                    reasons(&fields)
                },
                dup,
            )
        }
        Err(e) => return crate::page_error(l, e),
    };
    let form = customer_form(l, v.csrf.as_deref(), &f, &errors, duplicate);
    let status = axum::http::StatusCode::UNPROCESSABLE_ENTITY;
    if crate::is_htmx(&headers) {
        // htmx swaps 4xx answers only when told to; the form is the answer either way.
        return ([("hx-reswap", "outerHTML")], form).into_response();
    }
    let content = html! { h1 { (Msg::NewCustomer.t(l)) } (form) };
    (
        status,
        layout::page(&v.shell(), Msg::NewCustomer.t(l), content),
    )
        .into_response()
}

// ---------------------------------------------------------------- the customer page

#[derive(Debug, Default, Deserialize)]
pub struct ShowParams {
    channel: Option<String>,
    merged: Option<i64>,
    /// Just converted from a lead.
    converted: Option<i64>,
    /// The timeline's cursor: older interactions.
    before: Option<String>,
}

/// The customer on one page: profile, contact points, counts per channel, the timeline with a
/// channel filter, and a form to log a call or visit in a few keystrokes.
pub async fn show(
    State(s): State<ApiState>,
    v: Viewer,
    Path(id): Path<String>,
    Query(p): Query<ShowParams>,
) -> Response {
    let l = v.lang;
    let Some(id) = parse_id(&id) else {
        return crate::page_error(l, ApiError::RouteNotFound);
    };
    let view = match s.store.customer_360(v.ctx, id).await {
        Ok(x) => x,
        Err(e) => return crate::page_error(l, e.into()),
    };
    let channel = p.channel.as_deref().and_then(|c| Channel::parse(c).ok());
    let timeline = match s
        .store
        .timeline(
            v.ctx,
            id,
            TimelineQuery {
                channel,
                cursor: p
                    .before
                    .clone()
                    .filter(|c| !c.is_empty() && c.len() <= 1024),
                limit: 50,
            },
        )
        .await
    {
        Ok(t) => t,
        Err(e) => return crate::page_error(l, e.into()),
    };
    let c = &view.customer;
    let owner = match c.owner_id {
        Some(o) => s
            .store
            .get_user(v.ctx, o)
            .await
            .map(|u| u.name)
            .unwrap_or_default(),
        None => Msg::Unassigned.t(l).to_owned(),
    };
    let history =
        if guanxi_core::access::grant(v.user.role, guanxi_core::Action::ReadAudit).is_some() {
            let q = guanxi_store::AuditQuery {
                entity: Some("customer".into()),
                entity_id: Some(id.get()),
                limit: 20,
                ..Default::default()
            };
            s.store.list_audit(v.ctx, q).await.ok()
        } else {
            None
        };
    let orders = s
        .store
        .customer_orders(v.ctx, id, 10)
        .await
        .unwrap_or_default();
    let opportunities = s
        .store
        .customer_opportunities(v.ctx, id)
        .await
        .unwrap_or_default();
    let origin =
        if guanxi_core::access::grant(v.user.role, guanxi_core::Action::ReadLeads).is_some() {
            s.store
                .list_leads(
                    v.ctx,
                    guanxi_store::LeadQuery {
                        customer: Some(id),
                        limit: 5,
                        ..Default::default()
                    },
                )
                .await
                .unwrap_or_default()
        } else {
            Vec::new()
        };
    let activities = s
        .store
        .activities_about(v.ctx, guanxi_store::About::Customer(id))
        .await
        .unwrap_or_default();
    let may_sell =
        guanxi_core::access::grant(v.user.role, guanxi_core::Action::WriteOpportunities).is_some();
    let may_order =
        guanxi_core::access::grant(v.user.role, guanxi_core::Action::WriteOrders).is_some();
    let products = if may_order {
        s.store
            .list_products(v.ctx, false)
            .await
            .unwrap_or_default()
    } else {
        Vec::new()
    };
    let quotes = s.store.customer_quotes(v.ctx, id).await.unwrap_or_default();
    // The sales history: every lead, opportunity, quote, order and activity of the customer on
    // one line each, newest first.
    let mut story: Vec<(chrono::DateTime<chrono::Utc>, &'static str, String)> = Vec::new();
    for lead in &origin {
        story.push((lead.created_at, Msg::StoryLead.t(l), lead.name.clone()));
        if let Some(at) = lead.converted_at {
            story.push((at, Msg::StoryConverted.t(l), lead.name.clone()));
        }
    }
    for o in &opportunities {
        story.push((
            o.created_at,
            Msg::StoryOpportunity.t(l),
            format!("{} · {}", o.name, v.money(o.amount, o.currency)),
        ));
        if let Some(at) = o.closed_at {
            let what = match o.status {
                guanxi_core::pipeline::OpportunityStatus::Won => Msg::Won.t(l),
                _ => Msg::Lost.t(l),
            };
            story.push((
                at,
                what,
                format!(
                    "{}{}",
                    o.name,
                    o.close_reason
                        .as_deref()
                        .map(|r| format!(" · {r}"))
                        .unwrap_or_default()
                ),
            ));
        }
    }
    for q in &quotes {
        story.push((
            q.created_at,
            Msg::StoryQuote.t(l),
            format!("#{} · {}", q.id, v.money(q.total, q.currency)),
        ));
    }
    for o in &orders {
        story.push((
            o.placed_at,
            Msg::StoryOrder.t(l),
            format!("#{} · {}", o.id, v.money(o.total, o.currency)),
        ));
    }
    for a in &activities {
        story.push((
            a.due_at,
            value(
                l,
                if a.kind.as_str() == "visit" {
                    "visit_activity"
                } else {
                    a.kind.as_str()
                },
            ),
            a.subject.clone(),
        ));
    }
    story.sort_by_key(|x| std::cmp::Reverse(x.0));
    story.truncate(30);
    let plan = s.store.account_plan(v.ctx, id).await.ok();
    let staff =
        if guanxi_core::access::grant(v.user.role, guanxi_core::Action::WriteCustomers).is_some() {
            s.store.list_users(v.ctx).await.unwrap_or_default()
        } else {
            Vec::new()
        };
    let won_first = {
        let mut o: Vec<&guanxi_store::Opportunity> = opportunities.iter().collect();
        o.sort_by_key(|x| x.status != guanxi_core::pipeline::OpportunityStatus::Won);
        o
    };
    let pipelines = if may_sell {
        s.store.list_pipelines(v.ctx).await.unwrap_or_default()
    } else {
        Vec::new()
    };
    let field_labels = if c.custom.is_empty() {
        Vec::new()
    } else {
        s.store.list_field_defs(v.ctx).await.unwrap_or_default()
    };
    let may_edit =
        guanxi_core::access::grant(v.user.role, guanxi_core::Action::WriteCustomers).is_some();
    let may_merge =
        guanxi_core::access::grant(v.user.role, guanxi_core::Action::DeleteCustomers).is_some();
    let score = s.store.customer_score(v.ctx, id).await.ok().flatten();
    let (score_history, segs) = if score.is_some() {
        (
            s.store.score_history(v.ctx, id).await.unwrap_or_default(),
            analysis::SegmentNames::load_or_default(&s, v.ctx).await,
        )
    } else {
        (Vec::new(), analysis::SegmentNames::default())
    };
    let content = html! {
        @if p.merged.is_some() { p.alert role="status" #merged { (Msg::Merged.t(l)) } }
        @if p.converted.is_some() { p.alert role="status" #lead-converted { (Msg::LeadConverted.t(l)) } }
        div.titlebar {
            h1 { (c.name) @if c.vip { " " span.pill { (Msg::Vip.t(l)) } } }
            a.button #vcard href={"/api/v1/customers/" (id) "/vcard"} download { (Msg::VCard.t(l)) }
            @if guanxi_core::access::grant(v.user.role, guanxi_core::Action::ExportPersonalData).is_some() {
                a.button #personal-data href={"/api/v1/customers/" (id) "/personal-data"} download { (Msg::PersonalData.t(l)) }
            }
            @if may_edit { a.button #edit href={"/customers/" (id) "/edit"} { (Msg::Edit.t(l)) } }
            @if v.may(guanxi_core::Action::EraseCustomers) {
                a.button.danger #erase href={"/customers/" (id) "/erase"} { (Msg::ErasePersonalData.t(l)) }
            }
        }
        div.cols {
            div {
                section.card aria-labelledby="profile-h" {
                    h2 #profile-h { (Msg::Profile.t(l)) }
                    dl.props {
                        dt { (Msg::Kind.t(l)) } dd { (value(l, c.kind.as_str())) }
                        dt { (Msg::Status.t(l)) } dd #status { (value(l, c.status.as_str())) }
                        dt { (Msg::Class.t(l)) } dd { (value(l, c.class.as_str())) }
                        dt { (Msg::Owner.t(l)) } dd { (owner) }
                        @if let Some(co) = &view.company {
                            dt { (Msg::CompanyOf.t(l)) } dd { a href={"/customers/" (co.id)} { (co.name) } }
                        }
                        @if let Some(city) = &c.city { dt { (Msg::City.t(l)) } dd { (city) } }
                        dt { (Msg::Tags.t(l)) } dd { @for t in &c.tags { span.pill { (t) } } }
                        dt { (Msg::Created.t(l)) } dd { (v.when(c.created_at)) }
                        @for lead in &origin {
                            dt { (Msg::FromLead.t(l)) }
                            dd.from-lead { a href={"/leads/" (lead.id)} { (lead.name) } " · " (v.when(lead.created_at)) }
                        }
                        @for (k, val) in &c.custom {
                            dt { (field_labels.iter().find(|d| &d.key == k).map(|d| l.pick(&d.label_zh, &d.label_en).to_owned()).unwrap_or_else(|| k.clone())) }
                            dd { (val.as_str().map(str::to_owned).unwrap_or_else(|| val.to_string())) }
                        }
                        @if let Some(n) = &c.note { dt { (Msg::Note.t(l)) } dd { (n) } }
                    }
                }
                section.card aria-labelledby="cp-h" {
                    h2 #cp-h { (Msg::ContactPoints.t(l)) }
                    ul #contact-points {
                        @for cp in &c.contact_points {
                            li { span.muted { (value(l, cp.kind.as_str())) } " " (cp.value) }
                        }
                    }
                }
                @if !view.contact_persons.is_empty() {
                    section.card {
                        h2 { (Msg::ContactPersons.t(l)) }
                        ul { @for p in &view.contact_persons { li { a href={"/customers/" (p.id)} { (p.name) } } } }
                    }
                }
                section.card aria-labelledby="counts-h" {
                    h2 #counts-h { (Msg::Counts.t(l)) }
                    ul #counts {
                        @for n in &view.interaction_counts {
                            li { (value(l, n.channel.as_str())) " " strong { (v.number(n.count)) } }
                        }
                    }
                }
            }
            div {
                (analysis::value_panel(&v, &segs, score.as_ref(), &score_history))
                @if !story.is_empty() {
                    section.card aria-labelledby="story-h" {
                        h2 #story-h { (Msg::SalesHistory.t(l)) }
                        ol.timeline #sales-history {
                            @for (at, what, detail) in &story {
                                li { div.when { (v.when(*at)) " · " (what) } span { (detail) } }
                            }
                        }
                    }
                }
                section.card aria-labelledby="opps-h" {
                    h2 #opps-h { (Msg::Opportunities.t(l)) }
                    @if !opportunities.is_empty() {
                        ul #opportunities {
                            @for o in &opportunities {
                                li {
                                    a href={"/pipelines/" (o.pipeline_id)} { (o.name) } " · "
                                    (v.money(o.amount, o.currency)) " · "
                                    (match o.status {
                                        guanxi_core::pipeline::OpportunityStatus::Open => Msg::Open.t(l),
                                        guanxi_core::pipeline::OpportunityStatus::Won => Msg::Won.t(l),
                                        guanxi_core::pipeline::OpportunityStatus::Lost => Msg::Lost.t(l),
                                    })
                                }
                            }
                        }
                    }
                    @if may_sell && !pipelines.is_empty() {
                        form.toolbar #new-opportunity method="post" action={"/customers/" (id) "/opportunities"} {
                            (crate::layout::csrf_input(v.csrf.as_deref()))
                            label { (Msg::OpportunityName.t(l)) input #opp-name name="name" type="text" required; }
                            label { (Msg::Amount.t(l)) input #opp-amount name="amount" type="text" inputmode="decimal" required placeholder="¥"; }
                            label { (Msg::ExpectedClose.t(l)) input name="expected_close" type="date"; }
                            label { (Msg::Pipeline.t(l))
                                select name="pipeline_id" {
                                    @for p in &pipelines { option value=(p.id) { (p.name) } }
                                }
                            }
                            button #opp-save type="submit" { (Msg::NewOpportunity.t(l)) }
                        }
                    }
                }
                section.card aria-labelledby="acts-h" {
                    h2 #acts-h { (Msg::LeadActivities.t(l)) }
                    @if activities.is_empty() { p.empty { (Msg::NoActivities.t(l)) } }
                    ul.activities #customer-activities {
                        @for a in &activities {
                            li {
                                span.muted { (v.when(a.due_at)) } " · "
                                (value(l, if a.kind.as_str() == "visit" { "visit_activity" } else { a.kind.as_str() })) " · "
                                strong { (a.subject) }
                                @if a.done_at.is_some() { " · " (Msg::Done.t(l)) }
                            }
                        }
                    }
                }
                @if let Some(plan) = &plan {
                    section.card #key-account aria-labelledby="plan-h" {
                        h2 #plan-h { (Msg::KeyAccount.t(l)) }
                        @if plan.version == 0 && !may_edit { p.empty { (Msg::NoPlan.t(l)) } }
                        @if !may_edit {
                            dl.props {
                                @if let Some(g) = &plan.goals { dt { (Msg::Goals.t(l)) } dd { (g) } }
                                @if let Some(k) = &plan.key_contacts { dt { (Msg::KeyContacts.t(l)) } dd { (k) } }
                                @if let Some(sp) = &plan.service_plan { dt { (Msg::ServicePlan.t(l)) } dd { (sp) } }
                                @if let Some(d) = plan.next_review { dt { (Msg::NextReview.t(l)) } dd { (d) } }
                            }
                        } @else {
                            form #plan-form method="post" action={"/customers/" (id) "/account-plan"} {
                                (crate::layout::csrf_input(v.csrf.as_deref()))
                                input type="hidden" name="version" value=(plan.version);
                                div.field { label for="plan-goals" { (Msg::Goals.t(l)) }
                                    textarea #plan-goals name="goals" rows="2" { (plan.goals.as_deref().unwrap_or("")) } }
                                div.field { label for="plan-contacts" { (Msg::KeyContacts.t(l)) }
                                    textarea #plan-contacts name="key_contacts" rows="2" { (plan.key_contacts.as_deref().unwrap_or("")) } }
                                div.field { label for="plan-service" { (Msg::ServicePlan.t(l)) }
                                    textarea #plan-service name="service_plan" rows="2" { (plan.service_plan.as_deref().unwrap_or("")) } }
                                div.field { label for="plan-last" { (Msg::LastReview.t(l)) }
                                    input #plan-last name="last_review" type="date" value=(plan.last_review.map(|d| d.to_string()).unwrap_or_default()); }
                                div.field { label for="plan-next" { (Msg::NextReview.t(l)) }
                                    input #plan-next name="next_review" type="date" value=(plan.next_review.map(|d| d.to_string()).unwrap_or_default()); }
                                p { button #plan-save type="submit" { (Msg::Save.t(l)) } }
                            }
                        }
                        h3 { (Msg::AccountTeam.t(l)) }
                        ul #account-team {
                            @for m in &plan.team {
                                li { (m.name) " · " span.muted { (m.role) }
                                    @if may_edit {
                                        form.inline method="post" action={"/customers/" (id) "/account-team/" (m.user_id) "/remove"} {
                                            (crate::layout::csrf_input(v.csrf.as_deref()))
                                            button.plain type="submit" { (Msg::Delete.t(l)) }
                                        }
                                    }
                                }
                            }
                        }
                        @if may_edit {
                            form.toolbar #add-member method="post" action={"/customers/" (id) "/account-team"} {
                                (crate::layout::csrf_input(v.csrf.as_deref()))
                                label.sr-only for="member-user" { (Msg::Users.t(l)) }
                                select #member-user name="user_id" {
                                    @for u in staff.iter().filter(|u| u.active && Some(u.id) != c.owner_id) {
                                        option value=(u.id) { (u.name) }
                                    }
                                }
                                label.sr-only for="member-role" { (Msg::RoleOnAccount.t(l)) }
                                input #member-role name="role" type="text" required placeholder=(Msg::RoleOnAccount.t(l));
                                button #member-add type="submit" { (Msg::AddMember.t(l)) }
                            }
                        }
                    }
                }
                section.card aria-labelledby="quotes-h" {
                    h2 #quotes-h { (Msg::Quotes.t(l)) }
                    @if quotes.is_empty() { p.empty { (Msg::NoQuotes.t(l)) } }
                    ul #quotes {
                        @for q in &quotes {
                            li {
                                strong { "#" (q.id) } " · " (value(l, &format!("quote_{}", q.status.as_str())))
                                " · " (v.money(q.total, q.currency))
                                @if q.tax > 0 { span.muted { " (" (Msg::TaxIncluded.t(l)) " " (v.money(q.tax, q.currency)) ")" } }
                                " · " span.muted { (q.lines.iter().map(|x| x.description.as_str()).collect::<Vec<_>>().join("、")) }
                                @if may_order {
                                    @for (to, label) in [("sent", Msg::MarkSent), ("accepted", Msg::MarkAccepted), ("rejected", Msg::MarkRejected)] {
                                        @if guanxi_core::quote::QuoteStatus::parse(to).is_ok_and(|t| q.status.may_become(t)) {
                                            form.inline method="post" action={"/quotes/" (q.id) "/status"} {
                                                (crate::layout::csrf_input(v.csrf.as_deref()))
                                                input type="hidden" name="status" value=(to);
                                                input type="hidden" name="customer" value=(id);
                                                button.plain type="submit" { (label.t(l)) }
                                            }
                                        }
                                    }
                                    @if q.status.may_order() {
                                        form.inline method="post" action={"/quotes/" (q.id) "/order"} {
                                            (crate::layout::csrf_input(v.csrf.as_deref()))
                                            input type="hidden" name="customer" value=(id);
                                            button.merge.quote-order type="submit" { (Msg::QuoteToOrder.t(l)) }
                                        }
                                    }
                                }
                            }
                        }
                    }
                    @if may_order {
                        details #quote-details {
                            summary { (Msg::NewQuote.t(l)) }
                            form #new-quote method="post" action={"/customers/" (id) "/quotes"} {
                                (crate::layout::csrf_input(v.csrf.as_deref()))
                                div.field { label for="quote-product" { (Msg::Product.t(l)) }
                                    select #quote-product name="product_id" {
                                        option value="" { (Msg::FreeLine.t(l)) }
                                        @for p in &products {
                                            option value=(p.id) { (p.name) " · " (v.money(p.unit_price, p.currency)) }
                                        }
                                    }
                                }
                                div.field { label for="quote-desc" { (Msg::Description.t(l)) }
                                    input #quote-desc name="description" type="text"; }
                                div.field { label for="quote-qty" { (Msg::Quantity.t(l)) }
                                    input #quote-qty name="quantity" type="number" min="1" value="1" required; }
                                div.field { label for="quote-price" { (Msg::UnitPrice.t(l)) }
                                    input #quote-price name="unit_price" type="text" inputmode="decimal" placeholder="¥"; }
                                div.field { label for="quote-discount" { (Msg::Discount.t(l)) }
                                    input #quote-discount name="discount" type="text" inputmode="decimal" placeholder="¥"; }
                                div.field { label for="quote-tax" { (Msg::TaxRate.t(l)) }
                                    select #quote-tax name="tax_rate" {
                                        @for r in ["13", "9", "6", "3", "0"] { option value=(r) { (r) "%" } }
                                    }
                                }
                                @if !won_first.is_empty() {
                                    div.field { label for="quote-opp" { (Msg::Opportunities.t(l)) }
                                        select #quote-opp name="opportunity_id" {
                                            option value="" { "—" }
                                            @for o in &won_first { option value=(o.id) { (o.name) } }
                                        }
                                    }
                                }
                                p { button #quote-save type="submit" { (Msg::NewQuote.t(l)) } }
                            }
                        }
                    }
                }
                section.card aria-labelledby="orders-h" {
                    h2 #orders-h { (Msg::Orders.t(l)) }
                    @if may_order {
                        details #order-details open[opportunities.iter().any(|o| o.status == guanxi_core::pipeline::OpportunityStatus::Won) && orders.is_empty()] {
                            summary { (Msg::NewOrder.t(l)) }
                            form #new-order method="post" action={"/customers/" (id) "/orders"} {
                                (crate::layout::csrf_input(v.csrf.as_deref()))
                                div.field { label for="order-product" { (Msg::Product.t(l)) }
                                    select #order-product name="product_id" {
                                        option value="" { (Msg::FreeLine.t(l)) }
                                        @for p in &products {
                                            option value=(p.id) { (p.name) " · " (v.money(p.unit_price, p.currency)) }
                                        }
                                    }
                                }
                                div.field { label for="order-desc" { (Msg::Description.t(l)) }
                                    input #order-desc name="description" type="text"
                                        value=(won_first.first().map(|o| o.name.as_str()).unwrap_or("")); }
                                div.field { label for="order-qty" { (Msg::Quantity.t(l)) }
                                    input #order-qty name="quantity" type="number" min="1" value="1" required; }
                                div.field { label for="order-price" { (Msg::UnitPrice.t(l)) }
                                    input #order-price name="unit_price" type="text" inputmode="decimal" placeholder="¥"
                                        value=(won_first.first().filter(|o| o.status == guanxi_core::pipeline::OpportunityStatus::Won).map(|o| guanxi_core::Money::new(o.amount, o.currency).decimal()).unwrap_or_default()); }
                                @if !won_first.is_empty() {
                                    div.field { label for="order-opp" { (Msg::Opportunities.t(l)) }
                                        select #order-opp name="opportunity_id" {
                                            @for o in &won_first { option value=(o.id) { (o.name) } }
                                            option value="" { "—" }
                                        }
                                    }
                                }
                                div.field { label for="order-status" { (Msg::Status.t(l)) }
                                    select #order-status name="status" {
                                        option value="placed" { (value(l, "placed")) }
                                        option value="paid" { (value(l, "paid")) }
                                    }
                                }
                                p { button #order-save type="submit" { (Msg::PlaceOrder.t(l)) } }
                            }
                        }
                    }
                    @if orders.is_empty() { p.empty { (Msg::NoOrders.t(l)) } }
                    @else {
                        table.list #orders {
                            thead { tr {
                                th scope="col" { (Msg::PlacedAt.t(l)) }
                                th scope="col" { (Msg::Status.t(l)) }
                                th scope="col" { (Msg::Items.t(l)) }
                                th scope="col" { (Msg::Total.t(l)) }
                            } }
                            tbody { @for o in &orders { tr {
                                td { (v.when(o.placed_at)) }
                                td { (value(l, o.status.as_str())) }
                                td { (o.lines.iter().map(|x| x.description.as_str()).collect::<Vec<_>>().join("、")) }
                                td.money { (v.money(o.total, o.currency)) }
                            } } }
                        }
                    }
                }
                section.card aria-labelledby="log-h" {
                    h2 #log-h { (Msg::LogInteraction.t(l)) }
                    (log_form(l, v.csrf.as_deref(), id, &[]))
                }
                @if may_merge {
                    section.card aria-labelledby="dup-h" {
                        h2 #dup-h { (Msg::PossibleDuplicates.t(l)) }
                        div #duplicates hx-get={"/customers/" (id) "/duplicates"} hx-trigger="load" {
                            noscript { a href={"/customers/" (id) "/duplicates"} { (Msg::PossibleDuplicates.t(l)) } }
                        }
                    }
                }
                @if let Some(h) = &history {
                    section.card aria-labelledby="history-h" {
                        h2 #history-h { (Msg::History.t(l)) }
                        @if h.is_empty() { p.empty { (Msg::NoHistory.t(l)) } }
                        ol.timeline #history {
                            @for a in h {
                                li {
                                    div.when { (v.when(a.at)) " · " (Msg::By.t(l)) " "
                                        (a.actor_name.as_deref().unwrap_or(Msg::System.t(l))) }
                                    code { (a.action) }
                                    @if let Some(ch) = a.detail.get("changes").and_then(|c| c.as_object()) {
                                        ul { @for (k, pair) in ch {
                                            li { (k) ": " (short(&pair[0])) " → " (short(&pair[1])) }
                                        } }
                                    }
                                }
                            }
                        }
                    }
                }
                section.card aria-labelledby="tl-h" {
                    h2 #tl-h { (Msg::Timeline.t(l)) " (" (v.number(view.interactions_total)) ")" }
                    nav.channels aria-label=(Msg::Channel.t(l)) {
                        a href={"/customers/" (id)} aria-current=[channel.is_none().then_some("true")] { (Msg::AllChannels.t(l)) }
                        @for n in &view.interaction_counts {
                            a href={"/customers/" (id) "?channel=" (n.channel.as_str())}
                                aria-current=[(channel == Some(n.channel)).then_some("true")] {
                                (value(l, n.channel.as_str()))
                            }
                        }
                    }
                    @if timeline.items.is_empty() { p.empty { (Msg::NoInteractions.t(l)) } }
                    ol.timeline #timeline {
                        @for i in &timeline.items {
                            li {
                                div.when { (v.when(i.occurred_at)) " · " (value(l, i.channel.as_str())) " · " (value(l, i.direction.as_str())) }
                                @if let Some(sub) = &i.subject { strong { (sub) } br; }
                                span { (i.body) }
                            }
                        }
                    }
                    @if let Some(next) = &timeline.next_cursor {
                        p { a #older href={"/customers/" (id) "?" (older_query(channel, next))} { (Msg::Older.t(l)) " →" } }
                    }
                }
            }
        }
    };
    layout::page(&v.shell(), &c.name, content)
}

fn older_query(channel: Option<Channel>, cursor: &str) -> String {
    let mut pairs = vec![("before", cursor)];
    if let Some(c) = channel {
        pairs.push(("channel", c.as_str()));
    }
    serde_urlencoded::to_string(pairs).unwrap_or_default()
}

/// A value of a change, short enough for a line.
fn short(v: &serde_json::Value) -> String {
    let s = match v {
        serde_json::Value::Null => "∅".to_owned(),
        serde_json::Value::String(s) => s.clone(),
        other => other.to_string(),
    };
    if s.chars().count() > 60 {
        s.chars().take(60).chain(['…']).collect()
    } else {
        s
    }
}

fn log_form(l: Lang, csrf: Option<&str>, id: CustomerId, errors: &[(String, String)]) -> Markup {
    html! {
        form #log-form hx-post={"/customers/" (id) "/interactions"} hx-target="#log-form" hx-swap="outerHTML"
            method="post" action={"/customers/" (id) "/interactions"} {
            (crate::layout::csrf_input(csrf))
            @for (f, e) in errors { p.alert.bad role="alert" { (f) ": " (e) } }
            div.toolbar {
                label { (Msg::Channel.t(l))
                    select #log-channel name="channel" { @for c in LOG_CHANNELS { option value=(c) { (value(l, c)) } } }
                }
                label { (Msg::Direction.t(l))
                    select name="direction" {
                        option value="inbound" { (Msg::Inbound.t(l)) }
                        option value="outbound" { (Msg::Outbound.t(l)) }
                    }
                }
                label { (Msg::Subject.t(l)) input name="subject" type="text"; }
            }
            div.field {
                label for="log-body" { (Msg::Content.t(l)) }
                textarea #log-body name="body" rows="2" required {}
            }
            p { button #log-save type="submit" { (Msg::Log.t(l)) } }
        }
    }
}

#[derive(Debug, Default, Deserialize)]
pub struct LogForm {
    channel: Option<String>,
    direction: Option<String>,
    subject: Option<String>,
    body: Option<String>,
}

/// Log a call, visit or e-mail from the customer page; the page reloads with it on top.
pub async fn log_interaction(
    State(s): State<ApiState>,
    v: Viewer,
    headers: HeaderMap,
    Path(id): Path<String>,
    Form(f): Form<LogForm>,
) -> Response {
    let l = v.lang;
    let Ok(id) = id.parse::<i64>() else {
        return crate::page_error(l, ApiError::RouteNotFound);
    };
    let dto = CreateInteraction {
        customer_id: Some(id),
        channel: f.channel,
        direction: f.direction,
        subject: opt(&f.subject),
        body: f.body,
        ..Default::default()
    };
    let result = match dto.parse(Utc::now()) {
        Ok(new) => s
            .store
            .log_interaction(v.ctx, new)
            .await
            .map_err(ApiError::from),
        Err(e) => Err(ApiError::from(e)),
    };
    match result {
        Ok(_) => go(&headers, &format!("/customers/{id}")),
        Err(ApiError::Validation(fields)) => {
            let errors: Vec<(String, String)> = fields
                .iter()
                .map(|e| (e.field.clone(), e.reason.message(l)))
                .collect();
            let form = log_form(l, v.csrf.as_deref(), CustomerId(id), &errors);
            (axum::http::StatusCode::OK, form).into_response()
        }
        Err(e) => crate::page_error(l, e),
    }
}

// ---------------------------------------------------------------- quick lookup

#[derive(Debug, Default, Deserialize)]
pub struct LookupParams {
    q: Option<String>,
}

/// The lookup box: a phone number or e-mail held by one customer lands on that customer (the
/// screen-pop path); anything else becomes a search of the list.
pub async fn lookup(
    State(s): State<ApiState>,
    v: Viewer,
    Query(p): Query<LookupParams>,
) -> Response {
    let q = p.q.unwrap_or_default().trim().to_owned();
    let key = if q.contains('@') {
        guanxi_core::contact::ContactValue::parse(ContactKind::Email, &q)
            .ok()
            .map(|c| ContactLookup::Email(c.key))
    } else if q.chars().filter(char::is_ascii_digit).count() >= 5 {
        guanxi_core::contact::ContactValue::parse(ContactKind::Mobile, &q)
            .or_else(|_| guanxi_core::contact::ContactValue::parse(ContactKind::Landline, &q))
            .ok()
            .map(|c| ContactLookup::Phone(c.key))
    } else {
        None
    };
    if let Some(key) = key {
        match s.store.lookup(v.ctx, &key).await {
            Ok(found) if found.len() == 1 => {
                return axum::response::Redirect::to(&format!("/customers/{}", found[0].id))
                    .into_response()
            }
            Ok(_) => {}
            Err(e) => return crate::page_error(v.lang, e.into()),
        }
    }
    axum::response::Redirect::to(&format!("/customers?q={}", crate::encode(&q))).into_response()
}

// ---------------------------------------------------------------- editing

#[derive(Debug, Default, Deserialize)]
pub struct EditForm {
    name: Option<String>,
    status: Option<String>,
    class: Option<String>,
    vip: Option<String>,
    owner_id: Option<String>,
    city: Option<String>,
    tags: Option<String>,
    note: Option<String>,
    version: Option<i64>,
}

impl EditForm {
    fn of(c: &guanxi_store::Customer) -> Self {
        Self {
            name: Some(c.name.clone()),
            status: Some(c.status.as_str().into()),
            class: Some(c.class.as_str().into()),
            vip: c.vip.then(|| "true".into()),
            owner_id: c.owner_id.map(|o| o.to_string()),
            city: c.city.clone(),
            tags: Some(c.tags.join(", ")),
            note: c.note.clone(),
            version: Some(c.version),
        }
    }
}

fn edit_form(
    l: Lang,
    csrf: Option<&str>,
    id: CustomerId,
    f: &EditForm,
    users: &[guanxi_store::User],
    errors: &[(String, String)],
    stale: bool,
) -> Markup {
    let err = |name: &str| {
        errors
            .iter()
            .find(|(k, _)| k == name)
            .map(|(_, m)| m.clone())
    };
    let text = |name: &'static str, label: Msg, val: Option<&str>| {
        let e = err(name);
        html! {
            div.field.invalid[e.is_some()] {
                label for=(name) { (label.t(l)) }
                input id=(name) name=(name) type="text" value=(val.unwrap_or(""))
                    aria-invalid=[e.as_ref().map(|_| "true")]
                    aria-describedby=[e.as_ref().map(|_| format!("{name}-error"))];
                @if let Some(e) = e { span.error id={(name) "-error"} role="alert" { (e) } }
            }
        }
    };
    let owner_err = err("owner_id");
    html! {
        form #edit-form.card hx-post={"/customers/" (id) "/edit"} hx-target="#edit-form" hx-swap="outerHTML"
            method="post" action={"/customers/" (id) "/edit"} {
            (crate::layout::csrf_input(csrf))
            @if stale { p.alert.bad role="alert" #stale { (Msg::ChangedMeanwhile.t(l)) } }
            @else if !errors.is_empty() { p.alert.bad role="alert" { (Msg::FixErrors.t(l)) } }
            input type="hidden" name="version" value=(f.version.unwrap_or(0));
            div.form-grid {
                (text("name", Msg::Name, f.name.as_deref()))
                div.field {
                    label for="status" { (Msg::Status.t(l)) }
                    select #status name="status" {
                        @for o in STATUSES { option value=(o) selected[f.status.as_deref() == Some(o)] { (value(l, o)) } }
                    }
                }
                div.field {
                    label for="class" { (Msg::Class.t(l)) }
                    select #class name="class" {
                        @for o in CLASSES { option value=(o) selected[f.class.as_deref() == Some(o)] { (value(l, o)) } }
                    }
                }
                div.field.invalid[owner_err.is_some()] {
                    label for="owner_id" { (Msg::Owner.t(l)) }
                    select #owner_id name="owner_id" {
                        option value="" { (Msg::Unassigned.t(l)) }
                        @for u in users.iter().filter(|u| u.active) {
                            option value=(u.id) selected[f.owner_id.as_deref() == Some(u.id.to_string().as_str())] { (u.name) }
                        }
                    }
                    @if let Some(e) = owner_err { span.error #owner_id-error role="alert" { (e) } }
                }
                (text("city", Msg::City, f.city.as_deref()))
                (text("tags", Msg::Tags, f.tags.as_deref()))
                div.field {
                    label for="vip" { (Msg::Vip.t(l)) }
                    select #vip name="vip" {
                        option value="false" selected[f.vip.is_none()] { (Msg::No.t(l)) }
                        option value="true" selected[f.vip.is_some()] { (Msg::Yes.t(l)) }
                    }
                }
            }
            div.field {
                label for="note" { (Msg::Note.t(l)) }
                textarea #note name="note" rows="3" { (f.note.as_deref().unwrap_or("")) }
            }
            p {
                button #save type="submit" { (Msg::Save.t(l)) }
                " " a href={"/customers/" (id)} { (Msg::Cancel.t(l)) }
            }
        }
    }
}

fn parse_id(raw: &str) -> Option<CustomerId> {
    raw.parse::<i64>().ok().map(CustomerId)
}

/// The edit form, filled with the customer as stored (its version rides along).
pub async fn edit(State(s): State<ApiState>, v: Viewer, Path(id): Path<String>) -> Response {
    let l = v.lang;
    let Some(id) = parse_id(&id) else {
        return crate::page_error(l, ApiError::RouteNotFound);
    };
    let c = match s.store.get_customer(v.ctx, id, false).await {
        Ok(c) => c,
        Err(e) => return crate::page_error(l, e.into()),
    };
    let users = s.store.list_users(v.ctx).await.unwrap_or_default();
    let content = html! {
        h1 { (Msg::EditCustomer.t(l)) ": " (c.name) }
        (edit_form(l, v.csrf.as_deref(), id, &EditForm::of(&c), &users, &[], false))
    };
    layout::page(&v.shell(), Msg::EditCustomer.t(l), content)
}

/// Save the edit through the API's own patch parsing, with the version the form was made
/// from: a change made by someone else meanwhile is reported, not overwritten.
pub async fn update(
    State(s): State<ApiState>,
    v: Viewer,
    headers: HeaderMap,
    Path(id): Path<String>,
    Form(f): Form<EditForm>,
) -> Response {
    let l = v.lang;
    let Some(id) = parse_id(&id) else {
        return crate::page_error(l, ApiError::RouteNotFound);
    };
    let owner = match opt(&f.owner_id) {
        None => Some(None),
        Some(o) => match o.parse::<i64>() {
            Ok(o) => Some(Some(o)),
            Err(_) => Some(None),
        },
    };
    let dto = guanxi_api::dto::customers::UpdateCustomer {
        name: Some(f.name.clone()),
        status: Some(opt(&f.status)),
        class: Some(opt(&f.class)),
        vip: Some(Some(f.vip.as_deref() == Some("true"))),
        owner_id: owner,
        city: Some(opt(&f.city)),
        note: Some(opt(&f.note)),
        tags: Some(Some(crate::split_list(f.tags.as_deref().unwrap_or("")))),
        ..Default::default()
    };
    let result = match dto.parse() {
        Ok(patch) => s
            .store
            .update_customer(v.ctx, id, f.version, patch)
            .await
            .map_err(ApiError::from),
        Err(e) => Err(ApiError::from(e)),
    };
    let (errors, stale) = match result {
        Ok(c) => return go(&headers, &format!("/customers/{}", c.id)),
        Err(ApiError::Validation(fields)) | Err(ApiError::Conflict(fields)) => (
            fields
                .iter()
                .map(|e| {
                    (
                        e.field.split(['.', '[']).next().unwrap_or("").to_owned(),
                        e.reason.message(l),
                    )
                })
                .collect::<Vec<_>>(),
            false,
        ),
        Err(ApiError::PreconditionFailed { .. }) => (vec![], true),
        Err(e) => return crate::page_error(l, e),
    };
    let users = s.store.list_users(v.ctx).await.unwrap_or_default();
    let form = if stale {
        // Show what is stored now, so that the user can redo the change on top of it.
        match s.store.get_customer(v.ctx, id, false).await {
            Ok(c) => edit_form(
                l,
                v.csrf.as_deref(),
                id,
                &EditForm::of(&c),
                &users,
                &[],
                true,
            ),
            Err(e) => return crate::page_error(l, e.into()),
        }
    } else {
        edit_form(l, v.csrf.as_deref(), id, &f, &users, &errors, false)
    };
    if crate::is_htmx(&headers) {
        return form.into_response();
    }
    let content = html! { h1 { (Msg::EditCustomer.t(l)) } (form) };
    (
        axum::http::StatusCode::UNPROCESSABLE_ENTITY,
        layout::page(&v.shell(), Msg::EditCustomer.t(l), content),
    )
        .into_response()
}

// ---------------------------------------------------------------- duplicates and merging

/// Customers that look like this one: the same name, or holding one of its numbers or
/// addresses. Loaded after the page, so that the customer page stays fast.
pub async fn duplicates(State(s): State<ApiState>, v: Viewer, Path(id): Path<String>) -> Response {
    let l = v.lang;
    let Some(id) = parse_id(&id) else {
        return crate::page_error(l, ApiError::RouteNotFound);
    };
    let c = match s.store.get_customer(v.ctx, id, false).await {
        Ok(c) => c,
        Err(e) => return crate::page_error(l, e.into()),
    };
    let mut found: Vec<(CustomerId, String)> = Vec::new();
    for cp in &c.contact_points {
        let key = match cp.kind {
            ContactKind::Mobile | ContactKind::Landline => {
                Some(ContactLookup::Phone(cp.key.clone()))
            }
            ContactKind::Email => Some(ContactLookup::Email(cp.key.clone())),
            ContactKind::Wechat => Some(ContactLookup::Wechat(cp.key.clone())),
            _ => None,
        };
        if let Some(key) = key {
            if let Ok(hits) = s.store.lookup(v.ctx, &key).await {
                found.extend(hits.into_iter().map(|h| (h.id, h.name)));
            }
        }
    }
    let q = ListCustomersQuery {
        q: Some(c.name.clone()),
        limit: Some("6".into()),
        ..Default::default()
    };
    if let Ok(q) = q.parse() {
        if let Ok(page) = s.store.list_customers(v.ctx, q).await {
            found.extend(page.items.into_iter().map(|h| (h.id, h.name)));
        }
    }
    let mut seen = std::collections::BTreeSet::new();
    found.retain(|(other, _)| *other != id && seen.insert(*other));
    html! {
        @if found.is_empty() { p.muted { (Msg::NoDuplicates.t(l)) } }
        ul #duplicate-list {
            @for (other, name) in &found {
                li {
                    a href={"/customers/" (other)} { (name) " #" (other) } " "
                    form.inline hx-post={"/customers/" (id) "/merge"} hx-confirm=(Msg::MergeConfirm.t(l))
                        method="post" action={"/customers/" (id) "/merge"} {
                        (crate::layout::csrf_input(v.csrf.as_deref()))
                        input type="hidden" name="merge_id" value=(other);
                        button.merge type="submit" { (Msg::MergeHere.t(l)) }
                    }
                }
            }
        }
    }
    .into_response()
}

#[derive(Debug, Default, Deserialize)]
pub struct MergeForm {
    merge_id: Option<i64>,
}

/// Merge a duplicate into this customer, then show this customer again.
pub async fn merge(
    State(s): State<ApiState>,
    v: Viewer,
    headers: HeaderMap,
    Path(id): Path<String>,
    Form(f): Form<MergeForm>,
) -> Response {
    let l = v.lang;
    let Some(id) = parse_id(&id) else {
        return crate::page_error(l, ApiError::RouteNotFound);
    };
    let Some(other) = f.merge_id else {
        return crate::page_error(l, ApiError::Validation(vec![]));
    };
    match s.store.merge_customers(v.ctx, id, CustomerId(other)).await {
        Ok(_) => go(&headers, &format!("/customers/{id}?merged={other}")),
        Err(e) => crate::page_error(l, e.into()),
    }
}

// ---------------------------------------------------------------- saved views

#[derive(Debug, Default, Deserialize)]
pub struct ViewForm {
    name: Option<String>,
    query: Option<String>,
}

/// Save the list's current filters under a name (the same name replaces the view).
pub async fn save_view(
    State(s): State<ApiState>,
    v: Viewer,
    headers: HeaderMap,
    Form(f): Form<ViewForm>,
) -> Response {
    let l = v.lang;
    let name = match guanxi_core::text::line(f.name.as_deref().unwrap_or(""), 60) {
        Ok(n) => n,
        Err(e) => return crate::page_error(l, e.nest("name").into()),
    };
    // Keep only the list's own parameters, so that a view is always a valid list.
    let p: ListParams =
        serde_urlencoded::from_str(f.query.as_deref().unwrap_or("")).unwrap_or_default();
    let q = query(&p, None);
    match s.store.save_view(v.ctx, name, q.clone()).await {
        Ok(_) => go(&headers, &format!("/customers?{q}")),
        Err(e) => crate::page_error(l, e.into()),
    }
}

pub async fn delete_view(
    State(s): State<ApiState>,
    v: Viewer,
    headers: HeaderMap,
    Path(id): Path<i64>,
) -> Response {
    match s.store.delete_view(v.ctx, id).await {
        Ok(()) => go(&headers, "/customers"),
        Err(e) => crate::page_error(v.lang, e.into()),
    }
}

#[derive(Debug, Default, Deserialize)]
pub struct OrderForm {
    product_id: Option<String>,
    description: Option<String>,
    quantity: Option<String>,
    unit_price: Option<String>,
    opportunity_id: Option<String>,
    status: Option<String>,
}

/// Place an order for the customer from their page (one line: a product or a description).
pub async fn create_order(
    State(s): State<ApiState>,
    v: Viewer,
    headers: axum::http::HeaderMap,
    Path(id): Path<String>,
    Form(f): Form<OrderForm>,
) -> Response {
    let l = v.lang;
    let Some(id) = parse_id(&id) else {
        return crate::page_error(l, ApiError::RouteNotFound);
    };
    let nonempty = |x: Option<String>| x.map(|s| s.trim().to_owned()).filter(|s| !s.is_empty());
    let product_id = nonempty(f.product_id).and_then(|p| p.parse().ok());
    let line = guanxi_api::dto::sales::CreateOrderLine {
        product_id,
        description: nonempty(f.description).filter(|_| product_id.is_none()),
        quantity: nonempty(f.quantity).and_then(|q| q.parse().ok()),
        unit_price: nonempty(f.unit_price).map(|p| p.replace(['¥', '￥', ','], "")),
        discount: None,
    };
    let dto = guanxi_api::dto::sales::CreateOrder {
        customer_id: Some(id.get()),
        opportunity_id: nonempty(f.opportunity_id).and_then(|o| o.parse().ok()),
        currency: Some(v.org.currency.as_str().to_owned()),
        status: nonempty(f.status),
        lines: Some(vec![line]),
        ..Default::default()
    };
    let result = match dto.parse(chrono::Utc::now()) {
        Ok(new) => s
            .store
            .create_order(v.ctx, new)
            .await
            .map_err(ApiError::from),
        Err(e) => Err(e.into()),
    };
    match result {
        Ok(_) => super::login::go(&headers, &format!("/customers/{id}#orders")),
        Err(e) => {
            let content = maud::html! {
                h1 { (Msg::NewOrder.t(l)) }
                div.alert.bad role="alert" #order-error {
                    (e.message(l))
                    ul { @for f in e.fields() { li { (f.field) ": " (f.reason.message(l)) } } }
                }
                p { a href={"/customers/" (id)} { (Msg::Back.t(l)) } }
            };
            (
                e.status(),
                crate::layout::page(&v.shell(), Msg::NewOrder.t(l), content),
            )
                .into_response()
        }
    }
}

#[derive(Debug, Default, Deserialize)]
pub struct QuoteForm {
    product_id: Option<String>,
    description: Option<String>,
    quantity: Option<String>,
    unit_price: Option<String>,
    discount: Option<String>,
    tax_rate: Option<String>,
    opportunity_id: Option<String>,
}

/// Make a quote (one line) from the customer page.
pub async fn create_quote(
    State(s): State<ApiState>,
    v: Viewer,
    headers: axum::http::HeaderMap,
    Path(id): Path<String>,
    Form(f): Form<QuoteForm>,
) -> Response {
    let l = v.lang;
    let Some(id) = parse_id(&id) else {
        return crate::page_error(l, ApiError::RouteNotFound);
    };
    let nonempty = |x: Option<String>| x.map(|s| s.trim().to_owned()).filter(|s| !s.is_empty());
    let money = |x: Option<String>| nonempty(x).map(|p| p.replace(['¥', '￥', ','], ""));
    let product_id = nonempty(f.product_id).and_then(|p| p.parse().ok());
    let dto = guanxi_api::dto::sales::CreateQuote {
        customer_id: Some(id.get()),
        opportunity_id: nonempty(f.opportunity_id).and_then(|o| o.parse().ok()),
        currency: Some(v.org.currency.as_str().to_owned()),
        lines: Some(vec![guanxi_api::dto::sales::CreateOrderLine {
            product_id,
            description: nonempty(f.description).filter(|_| product_id.is_none()),
            quantity: nonempty(f.quantity).and_then(|q| q.parse().ok()),
            unit_price: money(f.unit_price),
            discount: money(f.discount),
        }]),
        tax_rate: nonempty(f.tax_rate),
        ..Default::default()
    };
    let result = match dto.parse() {
        Ok(new) => s
            .store
            .create_quote(v.ctx, new)
            .await
            .map_err(ApiError::from),
        Err(e) => Err(e.into()),
    };
    match result {
        Ok(_) => super::login::go(&headers, &format!("/customers/{id}#quotes")),
        Err(e) => sales_problem(&v, Msg::NewQuote, id.get(), e),
    }
}

#[derive(Debug, Default, Deserialize)]
pub struct QuoteActionForm {
    status: Option<String>,
    customer: Option<i64>,
}

/// Send, accept or reject a quote from the customer page.
pub async fn quote_status(
    State(s): State<ApiState>,
    v: Viewer,
    headers: axum::http::HeaderMap,
    Path(id): Path<i64>,
    Form(f): Form<QuoteActionForm>,
) -> Response {
    let parsed = guanxi_api::dto::sales::ChangeQuoteStatus { status: f.status }.parse();
    let result = match parsed {
        Ok(to) => s
            .store
            .set_quote_status(v.ctx, guanxi_core::QuoteId(id), None, to)
            .await
            .map_err(ApiError::from),
        Err(e) => Err(e.into()),
    };
    match result {
        Ok(q) => super::login::go(&headers, &format!("/customers/{}#quotes", q.customer_id)),
        Err(e) => sales_problem(&v, Msg::Quotes, f.customer.unwrap_or(0), e),
    }
}

/// Turn a quote into an order from the customer page.
pub async fn order_quote(
    State(s): State<ApiState>,
    v: Viewer,
    headers: axum::http::HeaderMap,
    Path(id): Path<i64>,
    Form(f): Form<QuoteActionForm>,
) -> Response {
    match s
        .store
        .order_quote(v.ctx, guanxi_core::QuoteId(id), None)
        .await
    {
        Ok((q, _)) => super::login::go(&headers, &format!("/customers/{}#orders", q.customer_id)),
        Err(e) => sales_problem(&v, Msg::Quotes, f.customer.unwrap_or(0), e.into()),
    }
}

fn sales_problem(v: &Viewer, title: Msg, customer: i64, e: ApiError) -> Response {
    let l = v.lang;
    let content = maud::html! {
        h1 { (title.t(l)) }
        div.alert.bad role="alert" #sales-error {
            (e.message(l))
            ul { @for f in e.fields() { li { (f.field) ": " (f.reason.message(l)) } } }
        }
        p { a href={"/customers/" (customer)} { (Msg::Back.t(l)) } }
    };
    (
        e.status(),
        crate::layout::page(&v.shell(), title.t(l), content),
    )
        .into_response()
}

#[derive(Debug, Default, Deserialize)]
pub struct PlanForm {
    version: Option<i64>,
    goals: Option<String>,
    key_contacts: Option<String>,
    service_plan: Option<String>,
    last_review: Option<String>,
    next_review: Option<String>,
}

/// Save the key-account plan from the customer page.
pub async fn save_plan(
    State(s): State<ApiState>,
    v: Viewer,
    headers: axum::http::HeaderMap,
    Path(id): Path<String>,
    Form(f): Form<PlanForm>,
) -> Response {
    let Some(id) = parse_id(&id) else {
        return crate::page_error(v.lang, ApiError::RouteNotFound);
    };
    let some = |x: Option<String>| Some(x.filter(|t| !t.trim().is_empty()));
    let dto = guanxi_api::dto::accounts::SaveAccountPlan {
        goals: some(f.goals),
        key_contacts: some(f.key_contacts),
        service_plan: some(f.service_plan),
        last_review: some(f.last_review),
        next_review: some(f.next_review),
    };
    let result = match dto.parse() {
        Ok(p) => s
            .store
            .save_account_plan(v.ctx, id, f.version, p)
            .await
            .map_err(ApiError::from),
        Err(e) => Err(e.into()),
    };
    match result {
        Ok(_) => super::login::go(&headers, &format!("/customers/{id}#key-account")),
        Err(e) => sales_problem(&v, Msg::KeyAccount, id.get(), e),
    }
}

#[derive(Debug, Default, Deserialize)]
pub struct MemberForm {
    user_id: Option<i64>,
    role: Option<String>,
}

/// Add someone to the account team from the customer page.
pub async fn add_member(
    State(s): State<ApiState>,
    v: Viewer,
    headers: axum::http::HeaderMap,
    Path(id): Path<String>,
    Form(f): Form<MemberForm>,
) -> Response {
    let Some(id) = parse_id(&id) else {
        return crate::page_error(v.lang, ApiError::RouteNotFound);
    };
    let dto = guanxi_api::dto::accounts::AddAccountMember {
        user_id: f.user_id,
        role: f.role,
    };
    let result = match dto.parse() {
        Ok((user, role)) => s
            .store
            .add_account_member(v.ctx, id, user, role)
            .await
            .map_err(ApiError::from),
        Err(e) => Err(e.into()),
    };
    match result {
        Ok(_) => super::login::go(&headers, &format!("/customers/{id}#key-account")),
        Err(e) => sales_problem(&v, Msg::KeyAccount, id.get(), e),
    }
}

/// Take someone off the account team from the customer page.
pub async fn remove_member(
    State(s): State<ApiState>,
    v: Viewer,
    headers: axum::http::HeaderMap,
    Path((id, user)): Path<(i64, i64)>,
) -> Response {
    match s
        .store
        .remove_account_member(v.ctx, CustomerId(id), guanxi_core::UserId(user))
        .await
    {
        Ok(_) => super::login::go(&headers, &format!("/customers/{id}#key-account")),
        Err(e) => sales_problem(&v, Msg::KeyAccount, id, e.into()),
    }
}

// ---------------------------------------------------------------- erasure on request

/// The confirmation page of an erasure: what goes, what stays, and the customer's name to type.
pub(crate) fn erase_content(
    v: &Viewer,
    id: CustomerId,
    name: &str,
    typed: &str,
    mismatch: bool,
) -> Markup {
    let l = v.lang;
    html! {
        h1 { (Msg::ErasePersonalData.t(l)) ": " (name) }
        section.card #erase-card {
            p.alert.bad role="alert" { strong { (Msg::EraseCannotUndo.t(l)) } }
            p #erase-goes { (Msg::EraseGoes.t(l)) }
            p #erase-stays { (Msg::EraseStays.t(l)) }
            form #erase-form method="post" action={"/customers/" (id) "/erase"} {
                (crate::layout::csrf_input(v.csrf.as_deref()))
                div.field.narrow.invalid[mismatch] {
                    label for="erase-name" { (Msg::EraseTypeName.t(l)) ": " strong { (name) } }
                    input #erase-name name="confirm_name" type="text" required autocomplete="off"
                        value=(typed) aria-invalid=[mismatch.then_some("true")]
                        aria-describedby=[mismatch.then_some("erase-name-error")];
                    @if mismatch {
                        span.error #erase-name-error role="alert" { (Msg::EraseNameMismatch.t(l)) }
                    }
                }
                p {
                    button.danger #erase-confirm type="submit" { (Msg::EraseConfirm.t(l)) }
                    " " a href={"/customers/" (id)} { (Msg::Cancel.t(l)) }
                }
            }
        }
    }
}

/// `GET /customers/{id}/erase`: ask before erasing.
pub async fn erase_form(State(s): State<ApiState>, v: Viewer, Path(id): Path<String>) -> Response {
    let l = v.lang;
    let Some(id) = parse_id(&id) else {
        return crate::page_error(l, ApiError::RouteNotFound);
    };
    let c = match s.store.get_customer(v.ctx, id, false).await {
        Ok(c) => c,
        Err(e) => return crate::page_error(l, e.into()),
    };
    let content = erase_content(&v, id, &c.name, "", false);
    layout::page(&v.shell(), Msg::ErasePersonalData.t(l), content)
}

#[derive(Debug, Default, Deserialize)]
pub struct EraseForm {
    confirm_name: Option<String>,
}

/// Is the typed name the customer's (spaces around and the case of Latin letters aside)?
pub(crate) fn same_name(typed: &str, name: &str) -> bool {
    let norm = |s: &str| {
        s.split_whitespace()
            .collect::<Vec<_>>()
            .join(" ")
            .to_lowercase()
    };
    !typed.trim().is_empty() && norm(typed) == norm(name)
}

/// `POST /customers/{id}/erase`: erase when the typed name is the customer's; on to the list.
pub async fn erase(
    State(s): State<ApiState>,
    v: Viewer,
    headers: HeaderMap,
    Path(id): Path<String>,
    Form(f): Form<EraseForm>,
) -> Response {
    let l = v.lang;
    let Some(id) = parse_id(&id) else {
        return crate::page_error(l, ApiError::RouteNotFound);
    };
    let c = match s.store.get_customer(v.ctx, id, false).await {
        Ok(c) => c,
        Err(e) => return crate::page_error(l, e.into()),
    };
    let typed = f.confirm_name.unwrap_or_default();
    if !same_name(&typed, &c.name) {
        let content = erase_content(&v, id, &c.name, &typed, true);
        return (
            axum::http::StatusCode::UNPROCESSABLE_ENTITY,
            layout::page(&v.shell(), Msg::ErasePersonalData.t(l), content),
        )
            .into_response();
    }
    match s.store.erase_customer(v.ctx, id).await {
        Ok(()) => go(&headers, "/customers?erased=1"),
        Err(e) => crate::page_error(l, e.into()),
    }
}

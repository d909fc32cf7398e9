//! The organisation's RFM segment map (分群规则), reached from the 客户分析 page: the segments
//! in order with their names and R/F ranges, a 5×5 preview of which segment names each cell
//! (first match wins), and for administrators and analysts the form that changes it and the
//! button that goes back to the default. The form is checked by the API's own
//! [`SegmentMapBody::parse`], so it refuses exactly what the API refuses, each reason on its
//! field.

use super::analysis::range_text;
use super::login::go;
use super::Viewer;
use crate::i18n::Msg;
use crate::layout;
use axum::extract::{Query, State};
use axum::http::{HeaderMap, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::Form;
use guanxi_api::analysis::SegmentMap;
use guanxi_api::dto::analysis::{SegmentBody, SegmentMapBody, SEGMENTS_MAX};
use guanxi_api::{ApiError, ApiState};
use guanxi_core::{Action, FieldError, Lang, Reason};
use guanxi_store::SegmentDef;
use maud::{html, Markup};
use serde::Deserialize;

/// Empty rows under the segments, to add some.
pub(crate) const EXTRA_ROWS: usize = 3;
/// Rows read from a posted form at most (more is not a form this page made).
const ROW_LIMIT: usize = SEGMENTS_MAX + 10;
/// The text fields of a row, as the API names them.
const TEXT_FIELDS: [&str; 3] = ["code", "name_zh", "name_en"];
/// Cell colours of the preview, by the segment's place in the map.
const PALETTE: [&str; 10] = [
    "#dbeafe", "#dcfce7", "#fef3c7", "#fce7f3", "#e0e7ff", "#ffedd5", "#ccfbf1", "#f3e8ff",
    "#e2e8f0", "#fef9c3",
];

/// One row of the form, as typed.
#[derive(Clone, Debug, Default, PartialEq)]
pub(crate) struct Row {
    pub order: String,
    pub code: String,
    pub name_zh: String,
    pub name_en: String,
    /// From and to, as the selects sent them.
    pub r: [String; 2],
    pub f: [String; 2],
    pub remove: bool,
}

impl Row {
    fn of(i: usize, s: &SegmentDef) -> Self {
        Self {
            order: (i + 1).to_string(),
            code: s.code.clone(),
            name_zh: s.name_zh.clone(),
            name_en: s.name_en.clone(),
            r: [s.r.0.to_string(), s.r.1.to_string()],
            f: [s.f.0.to_string(), s.f.1.to_string()],
            remove: false,
        }
    }

    fn blank(i: usize) -> Self {
        Self {
            order: (i + 1).to_string(),
            r: ["1".into(), "5".into()],
            f: ["1".into(), "5".into()],
            ..Self::default()
        }
    }

    /// Nothing typed in the text fields: an empty row, left out.
    fn is_blank(&self) -> bool {
        [&self.code, &self.name_zh, &self.name_en]
            .iter()
            .all(|s| s.trim().is_empty())
    }

    fn text(&self, field: &str) -> &str {
        match field {
            "code" => &self.code,
            "name_zh" => &self.name_zh,
            _ => &self.name_en,
        }
    }

    /// Where the row goes: its order number, else where it stands.
    fn place(&self, i: usize) -> (u32, usize) {
        let n = self
            .order
            .trim()
            .parse::<u32>()
            .unwrap_or(u32::try_from(i + 1).unwrap_or(u32::MAX));
        (n, i)
    }
}

/// The map's segments as rows, and the empty rows after them.
pub(crate) fn rows_of(segments: &[SegmentDef]) -> Vec<Row> {
    let mut rows: Vec<Row> = segments
        .iter()
        .enumerate()
        .map(|(i, s)| Row::of(i, s))
        .collect();
    let n = rows.len();
    rows.extend((n..n + EXTRA_ROWS).map(Row::blank));
    rows
}

/// The rows of a posted form: fields named `code_3`, `name_zh_3`, `r_from_3`, `remove_3`, …
pub(crate) fn parse_form(pairs: &[(String, String)]) -> Vec<Row> {
    let mut rows: Vec<Row> = Vec::new();
    for (k, val) in pairs {
        let Some((field, i)) = k.rsplit_once('_') else {
            continue;
        };
        let Some(i) = i.parse::<usize>().ok().filter(|i| *i < ROW_LIMIT) else {
            continue;
        };
        if rows.len() <= i {
            rows.resize(i + 1, Row::default());
        }
        let row = &mut rows[i];
        let val = val.clone();
        match field {
            "order" => row.order = val,
            "code" => row.code = val,
            "name_zh" => row.name_zh = val,
            "name_en" => row.name_en = val,
            "r_from" => row.r[0] = val,
            "r_to" => row.r[1] = val,
            "f_from" => row.f[0] = val,
            "f_to" => row.f[1] = val,
            "remove" => row.remove = true,
            _ => {}
        }
    }
    rows
}

/// The rows kept (not removed, not empty), by their order numbers: their indices.
fn kept(rows: &[Row]) -> Vec<usize> {
    let mut idx: Vec<usize> = (0..rows.len())
        .filter(|i| !rows[*i].remove && !rows[*i].is_blank())
        .collect();
    idx.sort_by_key(|i| rows[*i].place(*i));
    idx
}

fn pair(v: &[String; 2]) -> Option<Vec<i64>> {
    let a = v[0].trim().parse::<i64>().ok()?;
    let b = v[1].trim().parse::<i64>().ok()?;
    Some(vec![a, b])
}

/// The API's body from the rows, and for each of its segments the row it came from.
pub(crate) fn body_of(rows: &[Row]) -> (SegmentMapBody, Vec<usize>) {
    let from = kept(rows);
    let text = |s: &str| Some(s.to_owned()).filter(|s| !s.trim().is_empty());
    let segments = from
        .iter()
        .map(|i| {
            let r = &rows[*i];
            SegmentBody {
                code: text(&r.code),
                name_zh: text(&r.name_zh),
                name_en: text(&r.name_en),
                r: pair(&r.r),
                f: pair(&r.f),
            }
        })
        .collect();
    (
        SegmentMapBody {
            segments: Some(segments),
        },
        from,
    )
}

/// What is wrong with a posted map: about the whole map, and on a row's field.
#[derive(Clone, Debug, Default, PartialEq)]
pub(crate) struct Problems {
    pub top: Vec<String>,
    /// (row, field: `code`, `name_zh`, `name_en`, `r` or `f`, reason)
    pub fields: Vec<(usize, &'static str, String)>,
}

impl Problems {
    fn on(&self, row: usize, field: &str) -> Option<&str> {
        self.fields
            .iter()
            .find(|(r, f, _)| *r == row && *f == field)
            .map(|(_, _, m)| m.as_str())
    }
}

/// The API's field errors on the rows they came from, in `l`.
pub(crate) fn problems(l: Lang, errors: &[FieldError], from: &[usize]) -> Problems {
    let mut out = Problems::default();
    for e in errors {
        let place = e
            .field
            .strip_prefix("segments[")
            .and_then(|rest| rest.split_once(']'))
            .and_then(|(i, rest)| {
                let row = *from.get(i.parse::<usize>().ok()?)?;
                let name = rest.strip_prefix('.')?.split('[').next()?;
                let field = ["code", "name_zh", "name_en", "r", "f"]
                    .into_iter()
                    .find(|f| *f == name)?;
                Some((row, field))
            });
        match place {
            Some((row, field)) => {
                let msg = match (field, &e.reason) {
                    ("code", Reason::Malformed { .. }) => Msg::SegmentCodeRule.t(l).to_owned(),
                    ("code", Reason::Conflict) => Msg::SegmentCodeTaken.t(l).to_owned(),
                    (_, r) => r.message(l),
                };
                out.fields.push((row, field, msg));
            }
            None => out.top.push(match &e.reason {
                Reason::Empty => Msg::SegmentsEmpty.t(l).to_owned(),
                Reason::TooMany { max } => {
                    Msg::SegmentsTooMany.t(l).replace("{max}", &max.to_string())
                }
                r => format!("{}{}", Msg::SegmentMapProblem.t(l), r.message(l)),
            }),
        }
    }
    out
}

/// The rows checked as the API checks a map: the segments to keep, or what is wrong.
pub(crate) fn check(l: Lang, rows: &[Row]) -> Result<Vec<SegmentDef>, Problems> {
    let (body, from) = body_of(rows);
    body.parse().map_err(|e| problems(l, e.fields(), &from))
}

/// A segment of the preview: its name and ranges.
#[derive(Clone, Debug, PartialEq)]
pub(crate) struct Shown {
    pub name: String,
    pub r: (u8, u8),
    pub f: (u8, u8),
}

/// The preview of a saved map.
pub(crate) fn shown_of(l: Lang, segments: &[SegmentDef]) -> Vec<Shown> {
    segments
        .iter()
        .map(|s| Shown {
            name: l.pick(&s.name_zh, &s.name_en).to_owned(),
            r: s.r,
            f: s.f,
        })
        .collect()
}

/// The preview of what was typed: the rows kept whose ranges make sense, in order.
pub(crate) fn shown_of_rows(l: Lang, rows: &[Row]) -> Vec<Shown> {
    let range = |v: &[String; 2]| {
        let a = v[0].trim().parse::<u8>().ok()?;
        let b = v[1].trim().parse::<u8>().ok()?;
        ((1..=5).contains(&a) && (1..=5).contains(&b) && a <= b).then_some((a, b))
    };
    kept(rows)
        .into_iter()
        .filter_map(|i| {
            let r = &rows[i];
            let name = l.pick(&r.name_zh, &r.name_en).trim();
            Some(Shown {
                name: if name.is_empty() {
                    r.code.trim().to_owned()
                } else {
                    name.to_owned()
                },
                r: range(&r.r)?,
                f: range(&r.f)?,
            })
        })
        .collect()
}

// ---------------------------------------------------------------- the page

fn score_select(name: &str, id: &str, label: &str, value: &str, err: Option<&str>) -> Markup {
    html! {
        select id=(id) name=(name) aria-label=(label) aria-invalid=[err.map(|_| "true")] {
            @for n in 1..=5u8 {
                @let s = n.to_string();
                option value=(s) selected[value.trim() == s] { (s) }
            }
        }
    }
}

fn preview(l: Lang, shown: &[Shown], typed: bool) -> Markup {
    let at = |r: u8, f: u8| {
        shown
            .iter()
            .enumerate()
            .find(|(_, s)| (s.r.0..=s.r.1).contains(&r) && (s.f.0..=s.f.1).contains(&f))
    };
    html! {
        section.card #segment-preview-card aria-labelledby="segment-preview-h" {
            h2 #segment-preview-h {
                @if typed { (Msg::SegmentPreviewTyped.t(l)) } @else { (Msg::SegmentPreview.t(l)) }
            }
            table.list.figures #segment-preview style="table-layout:fixed" {
                thead { tr {
                    th scope="col" { "R ↓ · F →" }
                    @for f in 1..=5u8 { th scope="col" { "F" (f) } }
                } }
                tbody { @for r in (1..=5u8).rev() { tr {
                    th scope="row" { "R" (r) }
                    @for f in 1..=5u8 {
                        @match at(r, f) {
                            Some((i, s)) => {
                                td data-r=(r) data-f=(f) data-segment=(i)
                                    style={"white-space:normal;background:" (PALETTE[i % PALETTE.len()])} { (s.name) }
                            }
                            None => {
                                td.uncovered data-r=(r) data-f=(f)
                                    style="white-space:normal;background:var(--bad-bg);color:var(--bad)" { (Msg::CellUncovered.t(l)) }
                            }
                        }
                    }
                } } }
            }
        }
    }
}

fn editable_rows(v: &Viewer, rows: &[Row], problems: &Problems) -> Markup {
    let l = v.lang;
    html! {
        form #segments-form method="post" action="/analysis/segments" novalidate {
            (layout::csrf_input(v.csrf.as_deref()))
            div style="overflow-x:auto" {
            table.list #segment-rows {
                thead { tr {
                    th scope="col" { (Msg::SegmentOrder.t(l)) }
                    th scope="col" { (Msg::SegmentCode.t(l)) }
                    th scope="col" { (Msg::SegmentNameZh.t(l)) }
                    th scope="col" { (Msg::SegmentNameEn.t(l)) }
                    th scope="col" { (Msg::RecencyRange.t(l)) }
                    th scope="col" { (Msg::FrequencyRange.t(l)) }
                    th scope="col" { (Msg::RemoveSegment.t(l)) }
                } }
                tbody { @for (i, row) in rows.iter().enumerate() {
                    tr data-row=(i) {
                        td {
                            input id={"seg-" (i) "-order"} name={"order_" (i)} type="number" min="1" max="99"
                                style="width:4.5em" value=(row.order) aria-label={(Msg::SegmentOrder.t(l)) " " (i + 1)};
                        }
                        @for field in TEXT_FIELDS {
                            @let err = problems.on(i, field);
                            @let id = format!("seg-{i}-{field}");
                            @let label = match field { "code" => Msg::SegmentCode, "name_zh" => Msg::SegmentNameZh, _ => Msg::SegmentNameEn };
                            td {
                                div.field.invalid[err.is_some()] {
                                    input id=(id) name={(field) "_" (i)} type="text" value=(row.text(field))
                                        size=(if field == "code" { "12" } else { "14" })
                                        maxlength=(if field == "code" { "64" } else { "40" })
                                        aria-label={(label.t(l)) " " (i + 1)}
                                        aria-invalid=[err.map(|_| "true")]
                                        aria-describedby=[err.map(|_| format!("{id}-error"))];
                                    @if let Some(e) = err { span.error id={(id) "-error"} role="alert" { (e) } }
                                }
                            }
                        }
                        @for (letter, msg) in [("r", Msg::RecencyRange), ("f", Msg::FrequencyRange)] {
                            @let err = problems.on(i, letter);
                            @let id = format!("seg-{i}-{letter}");
                            @let vals = if letter == "r" { &row.r } else { &row.f };
                            td {
                                div.field.invalid[err.is_some()] id=(id) {
                                    span style="display:flex;gap:4px;align-items:center" {
                                        (score_select(&format!("{letter}_from_{i}"), &format!("{id}-from"),
                                            &format!("{} {} {}", msg.t(l), Msg::RangeFrom.t(l), i + 1), &vals[0], err))
                                        "–"
                                        (score_select(&format!("{letter}_to_{i}"), &format!("{id}-to"),
                                            &format!("{} {} {}", msg.t(l), Msg::RangeTo.t(l), i + 1), &vals[1], err))
                                    }
                                    @if let Some(e) = err { span.error id={(id) "-error"} role="alert" { (e) } }
                                }
                            }
                        }
                        td {
                            input id={"seg-" (i) "-remove"} name={"remove_" (i)} type="checkbox" value="1"
                                checked[row.remove] aria-label={(Msg::RemoveSegment.t(l)) " " (i + 1)};
                        }
                    }
                } }
            }
            }
            p.muted { (Msg::SegmentRowsHint.t(l)) }
            p {
                button #segments-save type="submit" { (Msg::SaveSegments.t(l)) }
                " " a href="/analysis" { (Msg::Cancel.t(l)) }
            }
        }
    }
}

fn readonly_rows(l: Lang, segments: &[SegmentDef]) -> Markup {
    html! {
        table.list #segment-rows {
            thead { tr {
                th scope="col" { (Msg::SegmentOrder.t(l)) }
                th scope="col" { (Msg::SegmentCode.t(l)) }
                th scope="col" { (Msg::SegmentNameZh.t(l)) }
                th scope="col" { (Msg::SegmentNameEn.t(l)) }
                th scope="col" { (Msg::RecencyRange.t(l)) }
                th scope="col" { (Msg::FrequencyRange.t(l)) }
            } }
            tbody { @for (i, s) in segments.iter().enumerate() {
                tr data-row=(i) {
                    td { (i + 1) }
                    td { code { (s.code) } }
                    td { (s.name_zh) }
                    td { (s.name_en) }
                    td { (range_text("R", s.r)) }
                    td { (range_text("F", s.f)) }
                }
            } }
        }
    }
}

/// The page's content. `rows` is what the form holds (the map, or what was typed); `shown`
/// the preview; `problems` what is wrong with a posted map.
pub(crate) fn segments_content(
    v: &Viewer,
    map: &SegmentMap,
    rows: &[Row],
    shown: &[Shown],
    problems: Option<&Problems>,
    notice: Option<Msg>,
) -> Markup {
    let l = v.lang;
    let may_change = v.may(Action::RunAnalysis);
    let none = Problems::default();
    let p = problems.unwrap_or(&none);
    html! {
        div.titlebar {
            h1 { (Msg::SegmentMap.t(l)) }
            div.actions {
                a.button.secondary #back-to-analysis href="/analysis" { (Msg::BackToAnalytics.t(l)) }
                @if may_change && map.custom {
                    form.inline #segments-reset-form method="post" action="/analysis/segments/reset"
                        hx-post="/analysis/segments/reset" hx-confirm=(Msg::RestoreDefaultConfirm.t(l)) {
                        (layout::csrf_input(v.csrf.as_deref()))
                        button.secondary #segments-reset type="submit" { (Msg::RestoreDefault.t(l)) }
                    }
                }
            }
        }
        @if let Some(m) = notice { p.alert role="status" #segments-notice { (m.t(l)) } }
        @if problems.is_some() {
            div.alert.bad role="alert" #segments-error {
                p { (Msg::FixErrors.t(l)) }
                @if !p.top.is_empty() { ul #segments-problems { @for t in &p.top { li { (t) } } } }
            }
        }
        p.muted #segment-map-state {
            @match (map.custom, map.updated_at) {
                (true, Some(at)) => { (Msg::SegmentMapCustom.t(l).replace("{when}", &v.when(at))) }
                _ => { (Msg::SegmentMapDefault.t(l)) }
            }
            @if !may_change { " " (Msg::SegmentMapReadOnly.t(l)) }
        }
        section.card #segment-map-card {
            p.muted { (Msg::SegmentMapIntro.t(l)) }
            @if may_change { (editable_rows(v, rows, p)) }
            @else { (readonly_rows(l, &map.segments)) }
        }
        (preview(l, shown, problems.is_some()))
    }
}

#[derive(Debug, Default, Deserialize)]
pub struct SegmentParams {
    saved: Option<String>,
    reset: Option<String>,
}

/// `GET /analysis/segments`: the map, the preview, and for those who may the form.
pub async fn page(
    State(s): State<ApiState>,
    v: Viewer,
    Query(q): Query<SegmentParams>,
) -> Response {
    let l = v.lang;
    let map = match guanxi_api::analysis::segment_map(s.store.as_ref(), v.ctx).await {
        Ok(m) => m,
        Err(e) => return crate::page_error(l, e.into()),
    };
    let notice = if q.saved.is_some() {
        Some(Msg::SegmentsSaved)
    } else if q.reset.is_some() {
        Some(Msg::SegmentsReset)
    } else {
        None
    };
    let rows = rows_of(&map.segments);
    let shown = shown_of(l, &map.segments);
    let content = segments_content(&v, &map, &rows, &shown, None, notice);
    layout::page(&v.shell(), Msg::SegmentMap.t(l), content)
}

/// `POST /analysis/segments`: check the map as the API does and keep it, or show the form
/// again as typed with each reason on its field.
pub async fn save(
    State(s): State<ApiState>,
    v: Viewer,
    headers: HeaderMap,
    Form(pairs): Form<Vec<(String, String)>>,
) -> Response {
    let l = v.lang;
    let rows = parse_form(&pairs);
    let problems = match check(l, &rows) {
        Ok(segments) => {
            return match s.store.save_segment_map(v.ctx, Some(segments)).await {
                Ok(_) => go(&headers, "/analysis/segments?saved=1"),
                Err(e) => crate::page_error(l, ApiError::from(e)),
            };
        }
        Err(p) => p,
    };
    let map = match guanxi_api::analysis::segment_map(s.store.as_ref(), v.ctx).await {
        Ok(m) => m,
        Err(e) => return crate::page_error(l, e.into()),
    };
    let shown = shown_of_rows(l, &rows);
    let content = segments_content(&v, &map, &rows, &shown, Some(&problems), None);
    (
        StatusCode::UNPROCESSABLE_ENTITY,
        layout::page(&v.shell(), Msg::SegmentMap.t(l), content),
    )
        .into_response()
}

/// `POST /analysis/segments/reset`: back to the default map.
pub async fn reset(State(s): State<ApiState>, v: Viewer, headers: HeaderMap) -> Response {
    match s.store.save_segment_map(v.ctx, None).await {
        Ok(_) => go(&headers, "/analysis/segments?reset=1"),
        Err(e) => crate::page_error(v.lang, ApiError::from(e)),
    }
}

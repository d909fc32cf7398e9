//! Analysts' SQL over the data warehouse (数据仓库查询), `/analysis/sql`: what is loaded, a
//! text area with one read-only query, a few examples one click away, the result as a table
//! and as a CSV download. The engine is the API's [`Warehouse`] port, so the checks and limits
//! (one read-only query, one organisation, rows, time, memory) are exactly the API's; this page
//! adds only the length bound and the words.

use super::Viewer;
use crate::i18n::Msg;
use crate::layout;
use axum::extract::{Query, State};
use axum::http::{header, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::Form;
use guanxi_api::warehouse::{Answer, Refusal, Warehouse};
use guanxi_api::ApiState;
use guanxi_core::{Lang, OrgId};
use maud::{html, Markup};
use serde::Deserialize;
use serde_json::Value;
use std::time::{Duration, Instant};

/// Longest SQL text run, in characters (as the API's `POST /api/v1/warehouse/query`).
pub(crate) const SQL_MAX: usize = 20_000;

/// An example query: its key in `?example=`, its name, its text.
pub(crate) struct Example {
    pub key: &'static str,
    pub name: Msg,
    pub sql: &'static str,
}

/// The examples offered above the text area; the first fills it by default.
pub(crate) const EXAMPLES: [Example; 4] = [
    Example {
        key: "revenue",
        name: Msg::ExampleRevenue,
        sql: "SELECT month,\n       sum(orders) AS orders,\n       CAST(sum(revenue_fen) / 100.0 AS DECIMAL(18, 2)) AS revenue_yuan\nFROM summary_segment_month\nGROUP BY month\nORDER BY month",
    },
    Example {
        key: "class",
        name: Msg::ExampleClass,
        sql: "-- The class each customer had when the order was placed (type 2 dimension).\nSELECT c.class AS customer_class,\n       count(*) AS orders,\n       CAST(sum(o.total_fen) / 100.0 AS DECIMAL(18, 2)) AS total_yuan\nFROM fact_orders o\nJOIN dim_customer c ON o.customer_key = c.customer_key\nGROUP BY c.class\nORDER BY orders DESC",
    },
    Example {
        key: "channels",
        name: Msg::ExampleChannels,
        sql: "SELECT i.month,\n       ch.name AS channel,\n       count(*) AS interactions\nFROM fact_interactions i\nLEFT JOIN dim_channel ch ON i.channel_key = ch.channel_key\nGROUP BY i.month, ch.name\nORDER BY i.month, interactions DESC",
    },
    Example {
        key: "weekdays",
        name: Msg::ExampleWeekdays,
        sql: "-- weekday: 1 = Monday … 7 = Sunday\nSELECT d.weekday,\n       count(*) AS orders,\n       CAST(sum(o.total_fen) / 100.0 AS DECIMAL(18, 2)) AS total_yuan\nFROM fact_orders o\nJOIN dim_date d ON o.date_key = d.date_key\nGROUP BY d.weekday\nORDER BY d.weekday",
    },
];

/// The tables and views a query can name (docs/WAREHOUSE.md describes them).
const TABLES: [&str; 11] = [
    "fact_orders",
    "fact_order_lines",
    "fact_interactions",
    "dim_customer",
    "dim_date",
    "dim_product",
    "dim_owner",
    "dim_channel",
    "dim_region",
    "summary_customer_day",
    "summary_segment_month",
];

/// What running the form's SQL gave.
#[derive(Debug)]
pub(crate) enum Ran {
    /// The result, and how long it took.
    Rows(Answer, Duration),
    /// The SQL is at fault: why, in the viewer's language.
    Refused(String),
    /// No warehouse, or it failed (logged): nothing the user can fix.
    Unavailable,
}

/// Run `sql` (bounded in length, trimmed) on the warehouse, if there is one.
pub(crate) async fn run_sql(wh: Option<&dyn Warehouse>, org: OrgId, l: Lang, sql: &str) -> Ran {
    let sql = sql.trim();
    if sql.is_empty() {
        return Ran::Refused(Msg::SqlEmpty.t(l).to_owned());
    }
    let n = sql.chars().count();
    if n > SQL_MAX {
        return Ran::Refused(
            Msg::SqlTooLong
                .t(l)
                .replace(
                    "{n}",
                    &super::group_digits(i64::try_from(n).unwrap_or(i64::MAX)),
                )
                .replace("{max}", &super::group_digits(SQL_MAX as i64)),
        );
    }
    let Some(wh) = wh else {
        return Ran::Unavailable;
    };
    let started = Instant::now();
    match wh.query(org, sql).await {
        Ok(a) => Ran::Rows(a, started.elapsed()),
        Err(Refusal::Sql(reason)) => Ran::Refused(reason.message(l)),
        Err(Refusal::Broken(detail)) => {
            tracing::warn!(%detail, "warehouse query failed");
            Ran::Unavailable
        }
    }
}

/// What the warehouse holds for `org` (`None`: no warehouse, or it cannot tell).
pub(crate) async fn status_of(wh: Option<&dyn Warehouse>, org: OrgId) -> Option<Value> {
    match wh?.status(org).await {
        Ok(v) => Some(v),
        Err(Refusal::Sql(r)) => {
            tracing::warn!(reason = ?r, "warehouse status refused");
            None
        }
        Err(Refusal::Broken(detail)) => {
            tracing::warn!(%detail, "warehouse status failed");
            None
        }
    }
}

#[derive(Debug, Default, Deserialize)]
pub struct SqlParams {
    example: Option<String>,
}

#[derive(Debug, Default, Deserialize)]
pub struct SqlForm {
    sql: Option<String>,
    /// `csv` downloads the result; anything else shows it.
    format: Option<String>,
}

/// `GET /analysis/sql`: the form, filled with an example (`?example=`, else the first).
pub async fn page(State(s): State<ApiState>, v: Viewer, Query(p): Query<SqlParams>) -> Response {
    let chosen = p
        .example
        .as_deref()
        .and_then(|k| EXAMPLES.iter().find(|e| e.key == k))
        .unwrap_or(&EXAMPLES[0]);
    let status = status_of(s.warehouse.as_deref(), v.ctx.org).await;
    let content = sql_content(
        &v,
        s.warehouse.is_some(),
        status.as_ref(),
        chosen.sql,
        Some(chosen.key),
        None,
    );
    layout::page(&v.shell(), Msg::WarehouseSql.t(v.lang), content)
}

/// `POST /analysis/sql`: run the query; show the result (or why not) under the same text, or
/// send it as CSV (`format=csv`).
pub async fn run(State(s): State<ApiState>, v: Viewer, Form(f): Form<SqlForm>) -> Response {
    let sql = f.sql.unwrap_or_default();
    let ran = run_sql(s.warehouse.as_deref(), v.ctx.org, v.lang, &sql).await;
    if let (Some("csv"), Ran::Rows(a, _)) = (f.format.as_deref(), &ran) {
        return csv_download(&a.csv);
    }
    let code = match &ran {
        Ran::Rows(..) => StatusCode::OK,
        Ran::Refused(_) => StatusCode::UNPROCESSABLE_ENTITY,
        Ran::Unavailable => StatusCode::SERVICE_UNAVAILABLE,
    };
    let status = status_of(s.warehouse.as_deref(), v.ctx.org).await;
    let content = sql_content(
        &v,
        s.warehouse.is_some(),
        status.as_ref(),
        &sql,
        None,
        Some(&ran),
    );
    let mut res = layout::page(&v.shell(), Msg::WarehouseSql.t(v.lang), content);
    *res.status_mut() = code;
    res
}

/// The result as a download: UTF-8 with a byte order mark, so that Excel reads Chinese.
pub(crate) fn csv_download(csv: &str) -> Response {
    (
        [
            (header::CONTENT_TYPE, "text/csv; charset=utf-8"),
            (
                header::CONTENT_DISPOSITION,
                "attachment; filename=\"query.csv\"",
            ),
        ],
        format!("\u{feff}{csv}"),
    )
        .into_response()
}

// ---------------------------------------------------------------- the page

/// The page's content: status, examples, the form, and what the last run gave.
pub(crate) fn sql_content(
    v: &Viewer,
    configured: bool,
    status: Option<&Value>,
    sql: &str,
    example: Option<&str>,
    ran: Option<&Ran>,
) -> Markup {
    let l = v.lang;
    let error = match ran {
        Some(Ran::Refused(why)) => Some(why.as_str()),
        Some(Ran::Unavailable) => Some(Msg::WarehouseUnavailable.t(l)),
        _ => None,
    };
    let described = if error.is_some() {
        "sql-error sql-hint"
    } else {
        "sql-hint"
    };
    html! {
        div.titlebar {
            h1 { (Msg::WarehouseSql.t(l)) }
            a #back-to-analysis href="/analysis" { "← " (Msg::Analytics.t(l)) }
        }
        p.muted { (Msg::WarehouseIntro.t(l)) }
        (status_card(v, configured, status))
        section.card #sql-card aria-labelledby="sql-h" {
            h2 #sql-h { (Msg::SqlQuery.t(l)) }
            p #examples {
                (Msg::Examples.t(l)) " "
                @for (i, e) in EXAMPLES.iter().enumerate() {
                    @if i > 0 { " · " }
                    a id={"example-" (e.key)} href={"/analysis/sql?example=" (e.key)}
                        aria-current=[(example == Some(e.key)).then_some("true")] { (e.name.t(l)) }
                }
            }
            form #sql-form method="post" action="/analysis/sql" {
                (layout::csrf_input(v.csrf.as_deref()))
                div.field.invalid[error.is_some()] {
                    label for="sql" { (Msg::SqlQuery.t(l)) }
                    textarea #sql name="sql" rows="9" spellcheck="false" autocapitalize="off"
                        autocomplete="off" required
                        style="width:100%;font-family:ui-monospace,SFMono-Regular,Menlo,Consolas,monospace;font-size:13px"
                        aria-invalid=[error.map(|_| "true")]
                        aria-describedby=(described) { (sql) }
                    @if let Some(e) = error { span.error #sql-error role="alert" { (e) } }
                    span.muted #sql-hint { (Msg::SqlHint.t(l)) }
                    span.muted #sql-tables {
                        (Msg::SqlTables.t(l)) " "
                        @for (i, t) in TABLES.iter().enumerate() {
                            @if i > 0 { ", " }
                            code { (t) }
                        }
                    }
                }
                p.actions style="display:flex;gap:8px;flex-wrap:wrap;margin:8px 0 0" {
                    button #run-sql type="submit" name="format" value="html" { (Msg::RunSql.t(l)) }
                    button.secondary #sql-csv type="submit" name="format" value="csv" { (Msg::ExportCsv.t(l)) }
                }
            }
        }
        @if let Some(Ran::Rows(answer, took)) = ran { (result_card(l, answer, *took)) }
    }
}

fn status_card(v: &Viewer, configured: bool, status: Option<&Value>) -> Markup {
    let l = v.lang;
    html! {
        section.card #warehouse-status aria-labelledby="warehouse-status-h" {
            h2 #warehouse-status-h { (Msg::WarehouseLoaded.t(l)) }
            @match status {
                None => {
                    p.alert.bad #warehouse-unavailable {
                        @if configured { (Msg::WarehouseUnavailable.t(l)) } @else { (Msg::WarehouseNotSetUp.t(l)) }
                    }
                }
                Some(st) => {
                    @let until = st["loaded_until"]
                        .as_str()
                        .and_then(|s| chrono::DateTime::parse_from_rfc3339(s).ok())
                        .map(|t| v.when(t.with_timezone(&chrono::Utc)));
                    @let loads = st["loads"].as_i64().unwrap_or(0);
                    @let tables = table_rows(st);
                    @if until.is_none() && loads == 0 {
                        p #warehouse-empty { (Msg::WarehouseEmpty.t(l)) }
                    } @else {
                        dl.props {
                            dt { (Msg::LoadedUntil.t(l)) } dd #loaded-until { (until.unwrap_or_else(|| "—".into())) }
                            dt { (Msg::Loads.t(l)) } dd #loads { (super::group_digits(loads)) }
                            dt { (Msg::RowsPerTable.t(l)) }
                            dd #table-rows {
                                @for (i, (t, n)) in tables.iter().enumerate() {
                                    @if i > 0 { " · " }
                                    span data-table=(t) { code { (t) } " " (super::group_digits(*n)) }
                                }
                            }
                        }
                    }
                    @if st["loading"].as_bool() == Some(true) {
                        p.muted #warehouse-loading { (Msg::WarehouseLoading.t(l)) }
                    }
                }
            }
        }
    }
}

/// Rows per stored table, summed over the status's entries: facts first, then by name.
fn table_rows(status: &Value) -> Vec<(String, i64)> {
    let mut out: Vec<(String, i64)> = Vec::new();
    for t in status["tables"].as_array().into_iter().flatten() {
        let Some(name) = t["table"].as_str() else {
            continue;
        };
        let n = t["rows"].as_i64().unwrap_or(0);
        match out.iter_mut().find(|(x, _)| x == name) {
            Some((_, sum)) => *sum = sum.saturating_add(n),
            None => out.push((name.to_owned(), n)),
        }
    }
    out.sort_by(|a, b| (!a.0.starts_with("fact_"), &a.0).cmp(&(!b.0.starts_with("fact_"), &b.0)));
    out
}

/// Is a column of this Arrow type a number (shown right-aligned)?
fn numeric(data_type: &str) -> bool {
    ["Int", "UInt", "Float", "Decimal"]
        .iter()
        .any(|p| data_type.starts_with(p))
}

fn result_card(l: Lang, answer: &Answer, took: Duration) -> Markup {
    let j = &answer.json;
    let columns: Vec<(&str, &str)> = j["columns"]
        .as_array()
        .map(|c| {
            c.iter()
                .map(|c| {
                    (
                        c["name"].as_str().unwrap_or(""),
                        c["data_type"].as_str().unwrap_or(""),
                    )
                })
                .collect()
        })
        .unwrap_or_default();
    let empty = Vec::new();
    let rows = j["rows"].as_array().unwrap_or(&empty);
    let n = super::group_digits(i64::try_from(rows.len()).unwrap_or(i64::MAX));
    let summary = Msg::ResultSummary
        .t(l)
        .replace("{n}", &n)
        .replace("{s}", &format!("{:.2}", took.as_secs_f64()));
    html! {
        section.card #sql-result-card aria-labelledby="sql-result-h" {
            h2 #sql-result-h { (Msg::SqlResult.t(l)) }
            p.muted #sql-summary { (summary) }
            @if j["truncated"].as_bool() == Some(true) {
                p.alert #sql-truncated role="status" { (Msg::ResultTruncated.t(l).replace("{n}", &n)) }
            }
            @if rows.is_empty() {
                p.empty #sql-no-rows { (Msg::NoResultRows.t(l)) }
            } @else {
                div style="overflow-x:auto" {
                    table.list.figures #sql-result {
                        thead { tr {
                            @for (name, ty) in &columns {
                                @if numeric(ty) {
                                    th.money scope="col" title=(ty) { (name) }
                                } @else {
                                    th scope="col" title=(ty) { (name) }
                                }
                            }
                        } }
                        tbody {
                            @for row in rows { tr {
                                @for (i, cell) in row.as_array().unwrap_or(&empty).iter().enumerate() {
                                    @let num = columns.get(i).is_some_and(|c| numeric(c.1)) || cell.is_number();
                                    @if num { td.money { (cell_markup(cell)) } } @else { td { (cell_markup(cell)) } }
                                }
                            } }
                        }
                    }
                }
            }
        }
    }
}

/// One value as text; null as a muted NULL.
fn cell_markup(v: &Value) -> Markup {
    html! {
        @match v {
            Value::Null => { span.muted { "NULL" } }
            Value::String(s) => { (s) }
            Value::Bool(b) => { (if *b { "true" } else { "false" }) }
            other => { (other.to_string()) }
        }
    }
}

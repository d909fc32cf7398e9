//! Decision support (辅助决策): the dashboards of `/analysis` (revenue by month, the value
//! pyramid with the Lorenz curve, the RFM grid and segments, the lifecycle funnel, churn risk,
//! lifetime value, cohort retention, segment migration), each number a link to the customers
//! behind it and each chart's data a CSV; the button that starts a run; and the customer
//! page's value panel. The counts come from `Store::score_counts` with the viewer's reach; the
//! run's report (months, Lorenz curve, cohorts, fits) is organisation-wide and shown only to
//! roles that see every customer.

use super::login::go;
use super::{group_digits, money_text, Viewer};
use crate::charts::{self, Bar, Cell, MonthPoint};
use crate::i18n::Msg;
use crate::layout;
use axum::extract::{Path, Query, State};
use axum::http::{header, HeaderMap, HeaderName, HeaderValue};
use axum::response::{IntoResponse, Response};
use chrono::NaiveDate;
use guanxi_api::{ApiError, ApiState};
use guanxi_core::access::{grant, Scope};
use guanxi_core::{Action, Lang};
use guanxi_store::{
    Ctx, ScoreChange, ScoreCount, ScoreDim, ScoreFilter, ScoreRun, SegmentDef, StoredScore,
    CLV_BANDS,
};
use maud::{html, Markup};
use serde::Deserialize;
use serde_json::Value;

/// Seconds between reloads while a run is going.
const REFRESH_SECS: &str = "5";
/// Cohorts drawn (the CSV has all of them).
const COHORTS_SHOWN: usize = 24;
/// Months in the table under the revenue chart.
const MONTHS_IN_TABLE: usize = 12;

/// The charts whose data can be exported, by file name.
pub(crate) const CHARTS: [&str; 10] = [
    "months",
    "tiers",
    "lorenz",
    "rfm",
    "segments",
    "stages",
    "risks",
    "clv",
    "cohorts",
    "migration",
];
/// The charts drawn from the run's organisation-wide report.
const ORG_WIDE: [&str; 3] = ["months", "lorenz", "cohorts"];

pub(crate) const TIERS: [&str; 3] = ["A", "B", "C"];
pub(crate) const STAGES: [(&str, Msg); 4] = [
    ("exploration", Msg::StageExploration),
    ("formation", Msg::StageFormation),
    ("stability", Msg::StageStability),
    ("decline", Msg::StageDecline),
];
pub(crate) const RISKS: [(&str, Msg); 3] = [
    ("low", Msg::RiskLow),
    ("medium", Msg::RiskMedium),
    ("high", Msg::RiskHigh),
];

// ---------------------------------------------------------------- names and numbers

/// The organisation's RFM segment map (its own, or the default one), as the pages name
/// segments by it. Loaded once per request that shows a segment.
#[derive(Clone, Debug, PartialEq)]
pub(crate) struct SegmentNames {
    pub segments: Vec<SegmentDef>,
}

impl Default for SegmentNames {
    /// The default map.
    fn default() -> Self {
        Self {
            segments: guanxi_api::analysis::default_segments(),
        }
    }
}

impl SegmentNames {
    /// The organisation's map.
    pub(crate) async fn load(s: &ApiState, ctx: Ctx) -> Result<Self, ApiError> {
        Ok(Self {
            segments: guanxi_api::analysis::segment_map(s.store.as_ref(), ctx)
                .await?
                .segments,
        })
    }

    /// The organisation's map, or the default one when it cannot be read (for pages where the
    /// names are a detail).
    pub(crate) async fn load_or_default(s: &ApiState, ctx: Ctx) -> Self {
        match Self::load(s, ctx).await {
            Ok(m) => m,
            Err(e) => {
                tracing::warn!(error = ?e, "segment map unreadable; naming by the default map");
                Self::default()
            }
        }
    }

    /// A segment's name in `l`: by the map; a code the map does not hold (a customer's history
    /// from before the map changed) reads as itself; none as "no segment".
    pub(crate) fn name(&self, l: Lang, code: &str) -> String {
        if code.is_empty() {
            return Msg::NoSegment.t(l).to_owned();
        }
        self.segments
            .iter()
            .find(|s| s.code == code)
            .map(|s| l.pick(&s.name_zh, &s.name_en).to_owned())
            .unwrap_or_else(|| code.to_owned())
    }

    /// Does the map hold `code`?
    pub(crate) fn has(&self, code: &str) -> bool {
        self.segments.iter().any(|s| s.code == code)
    }

    /// The segment that names customers scored `r` and `f` (the first that holds both).
    pub(crate) fn at(&self, r: u8, f: u8) -> Option<&SegmentDef> {
        self.segments
            .iter()
            .find(|s| (s.r.0..=s.r.1).contains(&r) && (s.f.0..=s.f.1).contains(&f))
    }
}

pub(crate) fn stage_name(l: Lang, code: &str) -> String {
    STAGES
        .iter()
        .find(|(c, _)| *c == code)
        .map(|(_, m)| m.t(l).to_owned())
        .unwrap_or_else(|| code.to_owned())
}

pub(crate) fn risk_name(l: Lang, code: &str) -> String {
    RISKS
        .iter()
        .find(|(c, _)| *c == code)
        .map(|(_, m)| m.t(l).to_owned())
        .unwrap_or_else(|| code.to_owned())
}

pub(crate) fn tier_name(l: Lang, tier: &str) -> String {
    Msg::TierName.t(l).replace("{t}", tier)
}

fn customers_n(l: Lang, n: u64) -> String {
    Msg::CustomersN
        .t(l)
        .replace("{n}", &group_digits(i64::try_from(n).unwrap_or(i64::MAX)))
}

/// A day as people write it.
pub(crate) fn day(l: Lang, d: NaiveDate) -> String {
    match l {
        Lang::ZhCn => d.format("%Y年%-m月%-d日").to_string(),
        Lang::En => d.format("%-d %b %Y").to_string(),
    }
}

/// An amount in whole units, short: ¥3.4万 / ¥1.2亿 in Chinese, ¥34k / ¥1.2M in English.
pub(crate) fn money_short(l: Lang, minor: i64, currency: guanxi_core::Currency) -> String {
    let sign = match currency.as_str() {
        "CNY" => "¥".to_owned(),
        code => format!("{code} "),
    };
    let units = minor as f64 / 100.0;
    let a = units.abs();
    let (value, unit) = match l {
        Lang::ZhCn if a >= 1e8 => (units / 1e8, "亿"),
        Lang::ZhCn if a >= 1e4 => (units / 1e4, "万"),
        Lang::En if a >= 1e9 => (units / 1e9, "B"),
        Lang::En if a >= 1e6 => (units / 1e6, "M"),
        Lang::En if a >= 1e3 => (units / 1e3, "k"),
        _ => (units, ""),
    };
    let digits = if unit.is_empty() || value.abs() >= 100.0 {
        format!("{value:.0}")
    } else {
        format!("{value:.1}")
    };
    let digits = digits.strip_suffix(".0").unwrap_or(&digits).to_owned();
    format!("{sign}{digits}{unit}")
}

/// The list of customers behind a number.
pub(crate) fn drill(pairs: &[(&str, &str)]) -> String {
    format!(
        "/customers?{}",
        serde_urlencoded::to_string(pairs).unwrap_or_default()
    )
}

/// A risk reason in words, from the run's `{code, …}`; `None` for a code this version does not
/// know.
pub(crate) fn reason_text(v: &Viewer, r: &Value) -> Option<String> {
    let l = v.lang;
    let int = |k: &str| {
        r[k].as_i64()
            .map(group_digits)
            .unwrap_or_else(|| "—".into())
    };
    let money = |k: &str| {
        r[k].as_i64()
            .map(|n| v.money(n, v.org.currency))
            .unwrap_or_else(|| "—".into())
    };
    Some(match r["code"].as_str()? {
        "overdue" => Msg::ReasonOverdue
            .t(l)
            .replace("{days}", &int("days"))
            .replace("{usual_gap}", &int("usual_gap")),
        "fading" => {
            let alive = r["alive"]
                .as_f64()
                .filter(|a| a.is_finite())
                .map(|a| format!("{:.0}", a * 100.0))
                .unwrap_or_else(|| "—".into());
            Msg::ReasonFading.t(l).replace("{alive}", &alive)
        }
        "spending_down" => Msg::ReasonSpendingDown
            .t(l)
            .replace("{last}", &money("last"))
            .replace("{before}", &money("before")),
        "silent" => Msg::ReasonSilent.t(l).replace("{days}", &int("days")),
        _ => return None,
    })
}

// ---------------------------------------------------------------- the customer's panel

/// The customer page's "customer value" card: the latest scores and their movement, or a line
/// saying the customer is not scored.
pub(crate) fn value_panel(
    v: &Viewer,
    segs: &SegmentNames,
    score: Option<&StoredScore>,
    history: &[ScoreChange],
) -> Markup {
    let l = v.lang;
    let cur = v.org.currency;
    html! {
        section.card #customer-value aria-labelledby="value-h" {
            h2 #value-h { (Msg::CustomerValue.t(l)) }
            @match score {
                None => { p.muted #not-scored { (Msg::NotScored.t(l)) } }
                Some(st) => {
                    @let s = &st.score;
                    @let reasons: Vec<String> = s.reasons.as_array().map(|a| a.iter().filter_map(|r| reason_text(v, r)).collect()).unwrap_or_default();
                    dl.props #value-props {
                        dt { (Msg::ValueTier.t(l)) } dd #value-tier { (tier_name(l, &s.tier)) }
                        dt { (Msg::RfmScores.t(l)) }
                        dd #value-rfm {
                            "R" (s.r) " · F" (s.f) " · M" (s.m)
                            @if let Some(seg) = &s.segment { " · " (segs.name(l, seg)) }
                        }
                        dt { (Msg::LifecycleStage.t(l)) } dd #value-stage { (stage_name(l, &s.stage)) }
                        dt { (Msg::ChurnRisk.t(l)) }
                        dd #value-risk data-risk=(s.risk) {
                            (risk_name(l, &s.risk))
                            @if !reasons.is_empty() {
                                ul.reasons #risk-reasons { @for r in &reasons { li { (r) } } }
                            }
                        }
                        dt { (Msg::PurchaseHistory.t(l)) }
                        dd {
                            (Msg::PurchaseSummary.t(l)
                                .replace("{n}", &group_digits(i64::from(s.purchases)))
                                .replace("{first}", &day(l, s.first_purchase))
                                .replace("{last}", &day(l, s.last_purchase)))
                        }
                        dt { (Msg::HistoricalValue.t(l)) } dd { (v.money(s.historical_value, cur)) }
                        dt { (Msg::CurrentValue.t(l)) } dd { (v.money(s.current_value, cur)) }
                        dt { (Msg::PotentialValue.t(l)) }
                        dd #value-clv { (s.clv.map(|x| v.money(x, cur)).unwrap_or_else(|| "—".into())) }
                        dt { (Msg::ProbabilityAlive.t(l)) } dd #value-alive { (charts::percent(s.alive)) }
                        dt { (Msg::ExpectedPurchases.t(l)) }
                        dd #value-expected {
                            (charts::decimal(s.expected_90, 2)) " / "
                            (charts::decimal(s.expected_180, 2)) " / "
                            (charts::decimal(s.expected_365, 2))
                        }
                        dt { (Msg::ExpectedSpend.t(l)) }
                        dd { (s.expected_spend.map(|x| v.money(x, cur)).unwrap_or_else(|| "—".into())) }
                        dt { (Msg::ComputedAt.t(l)) } dd { (v.when(st.computed_at)) }
                    }
                    @if !history.is_empty() {
                        h3 { (Msg::ValueMovement.t(l)) }
                        ol.timeline #value-history {
                            @for h in history.iter().rev() {
                                li {
                                    div.when { (v.when(h.computed_at)) }
                                    span {
                                        (segs.name(l, h.segment.as_deref().unwrap_or("")))
                                        " → " (tier_name(l, &h.tier))
                                        " → " (stage_name(l, &h.stage))
                                        " → " (Msg::ChurnRisk.t(l)) " " (risk_name(l, &h.risk))
                                    }
                                }
                            }
                        }
                    }
                }
            }
        }
    }
}

// ---------------------------------------------------------------- the dashboards' data

/// Everything the dashboards show.
pub(crate) struct Dash {
    pub run: ScoreRun,
    /// The viewer sees every customer (and so the organisation-wide report).
    pub org_wide: bool,
    pub tiers: Vec<ScoreCount>,
    pub segments: Vec<ScoreCount>,
    pub stages: Vec<ScoreCount>,
    pub risks: Vec<ScoreCount>,
    pub rf: Vec<ScoreCount>,
    pub migration: Vec<ScoreCount>,
    pub clv: Vec<ScoreCount>,
    /// The organisation's segment map, for the segments' names.
    pub segs: SegmentNames,
}

async fn load(s: &ApiState, v: &Viewer) -> Result<Option<Dash>, ApiError> {
    let Some(run) = s.store.score_runs(v.ctx, 1).await?.into_iter().next() else {
        return Ok(None);
    };
    let count = |by: ScoreDim| s.store.score_counts(v.ctx, by, ScoreFilter::default());
    Ok(Some(Dash {
        run,
        org_wide: grant(v.user.role, Action::ViewAnalytics) == Some(Scope::Org),
        tiers: count(ScoreDim::Tier).await?,
        segments: count(ScoreDim::Segment).await?,
        stages: count(ScoreDim::Stage).await?,
        risks: count(ScoreDim::Risk).await?,
        rf: count(ScoreDim::RecencyFrequency).await?,
        migration: count(ScoreDim::Migration).await?,
        clv: count(ScoreDim::ClvBand).await?,
        segs: SegmentNames::load(s, v.ctx).await?,
    }))
}

fn find<'a>(counts: &'a [ScoreCount], key: &str) -> Option<&'a ScoreCount> {
    counts.iter().find(|c| c.key == key)
}

fn total(counts: &[ScoreCount]) -> u64 {
    counts.iter().map(|c| c.customers).sum()
}

/// The segment codes present, in the map's order, then any the map no longer holds.
fn segment_order(segs: &SegmentNames, counts: &[ScoreCount]) -> Vec<String> {
    let mut out: Vec<String> = segs
        .segments
        .iter()
        .map(|s| s.code.clone())
        .filter(|c| counts.iter().any(|x| &x.key == c))
        .collect();
    for c in counts {
        if !out.contains(&c.key) {
            out.push(c.key.clone());
        }
    }
    out
}

/// One value tier's band `(lower, upper)` of [`CLV_BANDS`] by its key.
fn clv_band(key: &str) -> Option<(i64, Option<i64>)> {
    let lower = key.parse::<i64>().ok()?;
    let i = CLV_BANDS.iter().position(|b| *b == lower)?;
    Some((lower, CLV_BANDS.get(i + 1).copied()))
}

fn clv_band_label(v: &Viewer, key: &str) -> String {
    let cur = v.org.currency;
    match clv_band(key) {
        Some((0, Some(hi))) => format!("< {}", money_short(v.lang, hi, cur)),
        Some((lo, Some(hi))) => format!(
            "{}–{}",
            money_short(v.lang, lo, cur),
            money_short(v.lang, hi, cur)
        ),
        Some((lo, None)) => format!("≥ {}", money_short(v.lang, lo, cur)),
        None => Msg::NoPrediction.t(v.lang).to_owned(),
    }
}

fn clv_drill(key: &str) -> Option<String> {
    let (lo, hi) = clv_band(key)?;
    let lo = lo.to_string();
    Some(match hi {
        Some(hi) => drill(&[("clv_min", &lo), ("clv_below", &hi.to_string())]),
        None => drill(&[("clv_min", &lo)]),
    })
}

// ---------------------------------------------------------------- tables (page and CSV)

/// A table cell: what the page shows, what the CSV holds, where a click goes.
#[derive(Clone, Debug, PartialEq)]
pub(crate) struct TCell {
    pub show: String,
    pub raw: String,
    pub href: Option<String>,
}

fn text(s: impl Into<String>) -> TCell {
    let s = s.into();
    TCell {
        show: s.clone(),
        raw: s,
        href: None,
    }
}

fn count_cell(n: u64, href: Option<String>) -> TCell {
    TCell {
        show: group_digits(i64::try_from(n).unwrap_or(i64::MAX)),
        raw: n.to_string(),
        href,
    }
}

fn money_cell(v: &Viewer, minor: i64) -> TCell {
    TCell {
        show: money_text(minor, v.org.currency),
        raw: guanxi_core::Money::new(minor, v.org.currency).decimal(),
        href: None,
    }
}

fn pct_cell(x: f64) -> TCell {
    text(charts::percent(Some(x)))
}

/// A table: its headings and rows.
#[derive(Clone, Debug, Default, PartialEq)]
pub(crate) struct Table {
    pub head: Vec<String>,
    pub rows: Vec<Vec<TCell>>,
}

fn report_f64(x: &Value) -> Option<f64> {
    x.as_f64().filter(|x| x.is_finite())
}

fn months_of(report: &Value) -> Vec<(String, i64, u64, u64)> {
    report["months"]
        .as_array()
        .map(|a| {
            a.iter()
                .map(|m| {
                    (
                        m["month"].as_str().unwrap_or("").to_owned(),
                        m["revenue"].as_i64().unwrap_or(0),
                        m["customers"].as_u64().unwrap_or(0),
                        m["new_customers"].as_u64().unwrap_or(0),
                    )
                })
                .collect()
        })
        .unwrap_or_default()
}

fn lorenz_of(report: &Value) -> Vec<(f64, f64)> {
    report["lorenz"]
        .as_array()
        .map(|a| {
            a.iter()
                .filter_map(|p| Some((report_f64(&p[0])?, report_f64(&p[1])?)))
                .collect()
        })
        .unwrap_or_default()
}

/// Cohorts: (month, size, active per month after).
fn cohorts_of(report: &Value) -> Vec<(String, u64, Vec<u64>)> {
    report["cohorts"]
        .as_array()
        .map(|a| {
            a.iter()
                .map(|c| {
                    (
                        c["month"].as_str().unwrap_or("").to_owned(),
                        c["size"].as_u64().unwrap_or(0),
                        c["active"]
                            .as_array()
                            .map(|n| n.iter().map(|x| x.as_u64().unwrap_or(0)).collect())
                            .unwrap_or_default(),
                    )
                })
                .collect()
        })
        .unwrap_or_default()
}

/// The standard table of counts: a name, customers (a drill-down), their share, revenue and
/// lifetime value.
fn counts_table(
    v: &Viewer,
    name: Msg,
    rows: Vec<(String, Option<&ScoreCount>, Option<String>)>,
) -> Table {
    let l = v.lang;
    let all: u64 = rows.iter().filter_map(|r| r.1).map(|c| c.customers).sum();
    Table {
        head: vec![
            name.t(l).to_owned(),
            Msg::CustomersCol.t(l).to_owned(),
            Msg::ShareOfCustomers.t(l).to_owned(),
            Msg::Revenue.t(l).to_owned(),
            Msg::LifetimeValue.t(l).to_owned(),
        ],
        rows: rows
            .into_iter()
            .map(|(label, c, href)| {
                let n = c.map(|c| c.customers).unwrap_or(0);
                vec![
                    text(label),
                    count_cell(n, href.filter(|_| n > 0)),
                    pct_cell(charts::share(n as f64, all as f64)),
                    money_cell(v, c.map(|c| c.revenue).unwrap_or(0)),
                    money_cell(v, c.map(|c| c.clv).unwrap_or(0)),
                ]
            })
            .collect(),
    }
}

/// The data behind one chart, as a table for the page and the CSV.
pub(crate) fn table(v: &Viewer, chart: &str, d: &Dash) -> Option<Table> {
    let l = v.lang;
    Some(match chart {
        "months" => Table {
            head: vec![
                Msg::MonthCol.t(l).into(),
                Msg::Revenue.t(l).into(),
                Msg::BuyingCustomers.t(l).into(),
                Msg::NewBuyers.t(l).into(),
            ],
            rows: months_of(&d.run.report)
                .into_iter()
                .map(|(m, r, c, n)| {
                    vec![
                        text(m),
                        money_cell(v, r),
                        count_cell(c, None),
                        count_cell(n, None),
                    ]
                })
                .collect(),
        },
        "tiers" => {
            let all_n = total(&d.tiers) as f64;
            let all_r: i64 = d.tiers.iter().map(|c| c.revenue.max(0)).sum();
            Table {
                head: vec![
                    Msg::ValueTier.t(l).into(),
                    Msg::CustomersCol.t(l).into(),
                    Msg::ShareOfCustomers.t(l).into(),
                    Msg::Revenue.t(l).into(),
                    Msg::ShareOfRevenue.t(l).into(),
                    Msg::LifetimeValue.t(l).into(),
                ],
                rows: TIERS
                    .iter()
                    .map(|t| {
                        let c = find(&d.tiers, t);
                        let n = c.map(|c| c.customers).unwrap_or(0);
                        let r = c.map(|c| c.revenue).unwrap_or(0);
                        vec![
                            text(tier_name(l, t)),
                            count_cell(n, (n > 0).then(|| drill(&[("tier", t)]))),
                            pct_cell(charts::share(n as f64, all_n)),
                            money_cell(v, r),
                            pct_cell(charts::share(r.max(0) as f64, all_r as f64)),
                            money_cell(v, c.map(|c| c.clv).unwrap_or(0)),
                        ]
                    })
                    .collect(),
            }
        }
        "lorenz" => Table {
            head: vec![
                Msg::ShareOfCustomers.t(l).into(),
                Msg::ShareOfRevenue.t(l).into(),
            ],
            rows: lorenz_of(&d.run.report)
                .into_iter()
                .map(|(x, y)| vec![pct_cell(x), pct_cell(y)])
                .collect(),
        },
        "rfm" => Table {
            head: vec![
                Msg::Recency.t(l).into(),
                Msg::Frequency.t(l).into(),
                Msg::CustomersCol.t(l).into(),
                Msg::Revenue.t(l).into(),
                Msg::LifetimeValue.t(l).into(),
            ],
            rows: (1..=5u8)
                .rev()
                .flat_map(|r| (1..=5u8).map(move |f| (r, f)))
                .map(|(r, f)| {
                    let (rs, fs) = (r.to_string(), f.to_string());
                    let c =
                        d.rf.iter()
                            .find(|c| c.key == rs && c.key2.as_deref() == Some(&fs));
                    let n = c.map(|c| c.customers).unwrap_or(0);
                    vec![
                        text(rs.clone()),
                        text(fs.clone()),
                        count_cell(n, (n > 0).then(|| drill(&[("rfm_r", &rs), ("rfm_f", &fs)]))),
                        money_cell(v, c.map(|c| c.revenue).unwrap_or(0)),
                        money_cell(v, c.map(|c| c.clv).unwrap_or(0)),
                    ]
                })
                .collect(),
        },
        "segments" => counts_table(
            v,
            Msg::SegmentCol,
            segment_order(&d.segs, &d.segments)
                .into_iter()
                .map(|code| {
                    let href = (!code.is_empty()).then(|| drill(&[("segment", &code)]));
                    (d.segs.name(l, &code), find(&d.segments, &code), href)
                })
                .collect(),
        ),
        "stages" => counts_table(
            v,
            Msg::LifecycleStage,
            STAGES
                .iter()
                .map(|(code, m)| {
                    (
                        m.t(l).to_owned(),
                        find(&d.stages, code),
                        Some(drill(&[("stage", code)])),
                    )
                })
                .collect(),
        ),
        "risks" => counts_table(
            v,
            Msg::ChurnRisk,
            RISKS
                .iter()
                .map(|(code, m)| {
                    (
                        m.t(l).to_owned(),
                        find(&d.risks, code),
                        Some(drill(&[("risk", code)])),
                    )
                })
                .collect(),
        ),
        "clv" => {
            let mut keys: Vec<String> = CLV_BANDS.iter().map(|b| b.to_string()).collect();
            keys.push("none".into());
            counts_table(
                v,
                Msg::ClvBand,
                keys.iter()
                    .map(|k| (clv_band_label(v, k), find(&d.clv, k), clv_drill(k)))
                    .collect(),
            )
        }
        "cohorts" => {
            let cohorts = cohorts_of(&d.run.report);
            let width = cohorts.iter().map(|c| c.2.len()).max().unwrap_or(0);
            let mut head = vec![
                Msg::MonthCol.t(l).to_owned(),
                Msg::CohortSize.t(l).to_owned(),
            ];
            head.extend((0..width).map(|i| i.to_string()));
            Table {
                head,
                rows: cohorts
                    .into_iter()
                    .map(|(m, size, active)| {
                        let mut row = vec![text(m), count_cell(size, None)];
                        row.extend(
                            active
                                .iter()
                                .map(|n| pct_cell(charts::share(*n as f64, size as f64))),
                        );
                        row
                    })
                    .collect(),
            }
        }
        "migration" => Table {
            head: vec![
                Msg::PreviousSegment.t(l).into(),
                Msg::CurrentSegment.t(l).into(),
                Msg::CustomersCol.t(l).into(),
                Msg::Revenue.t(l).into(),
                Msg::LifetimeValue.t(l).into(),
            ],
            rows: d
                .migration
                .iter()
                .map(|c| {
                    let to = c.key2.clone().unwrap_or_default();
                    vec![
                        text(if c.key.is_empty() {
                            Msg::FirstScored.t(l).to_owned()
                        } else {
                            d.segs.name(l, &c.key)
                        }),
                        text(d.segs.name(l, &to)),
                        count_cell(c.customers, migration_drill(&c.key, &to)),
                        money_cell(v, c.revenue),
                        money_cell(v, c.clv),
                    ]
                })
                .collect(),
        },
        _ => return None,
    })
}

fn migration_drill(from: &str, to: &str) -> Option<String> {
    (!from.is_empty() && !to.is_empty()).then(|| drill(&[("prev_segment", from), ("segment", to)]))
}

// ---------------------------------------------------------------- the page

#[derive(Debug, Default, Deserialize)]
pub struct DashParams {
    started: Option<String>,
    busy: Option<String>,
}

/// `/analysis`: the dashboards, the last run and the button to run again.
pub async fn dashboard(
    State(s): State<ApiState>,
    v: Viewer,
    Query(p): Query<DashParams>,
) -> Response {
    let l = v.lang;
    let dash = match load(&s, &v).await {
        Ok(d) => d,
        Err(e) => return crate::page_error(l, e),
    };
    let running = s.analysis_runs.is_running(v.ctx.org);
    let notice = if p.busy.is_some() {
        Some(Msg::RunBusy)
    } else if p.started.is_some() {
        Some(Msg::RunStarted)
    } else {
        None
    };
    let content = dashboard_content(&v, dash.as_ref(), running, notice);
    let mut res = layout::page(&v.shell(), Msg::Analytics.t(l), content);
    if running {
        res.headers_mut().insert(
            HeaderName::from_static("refresh"),
            HeaderValue::from_static(REFRESH_SECS),
        );
    }
    res
}

/// `POST /analysis/run`: start a run in the background and come back to the page.
pub async fn run(State(s): State<ApiState>, v: Viewer, headers: HeaderMap) -> Response {
    match guanxi_api::analysis_jobs::start_run(&s, v.ctx) {
        Ok(()) => go(&headers, "/analysis?started=1"),
        Err(ApiError::Conflict(_)) => go(&headers, "/analysis?busy=1"),
        Err(e) => crate::page_error(v.lang, e),
    }
}

/// `GET /analysis/{chart}.csv`: one chart's data, UTF-8 with a BOM, headings in the viewer's
/// language.
pub async fn export(State(s): State<ApiState>, v: Viewer, Path(file): Path<String>) -> Response {
    let l = v.lang;
    let Some(chart) = file.strip_suffix(".csv").filter(|c| CHARTS.contains(c)) else {
        return crate::page_error(l, ApiError::RouteNotFound);
    };
    let dash = match load(&s, &v).await {
        Ok(Some(d)) => d,
        Ok(None) => return crate::page_error(l, ApiError::RouteNotFound),
        Err(e) => return crate::page_error(l, e),
    };
    if ORG_WIDE.contains(&chart) && !dash.org_wide {
        return crate::page_error(l, ApiError::Forbidden);
    }
    let Some(t) = table(&v, chart, &dash) else {
        return crate::page_error(l, ApiError::RouteNotFound);
    };
    csv_response(chart, &t)
}

/// The table as CSV: a BOM, the headings, the rows padded to the headings' width (the writer
/// takes only rows of one length; a young cohort has fewer months).
pub(crate) fn csv_bytes(t: &Table) -> Vec<u8> {
    let width = t.head.len();
    let mut body = guanxi_import::export::BOM.to_vec();
    body.extend(guanxi_import::export::csv_rows(
        std::iter::once(t.head.clone()).chain(t.rows.iter().map(|r| {
            let mut cells: Vec<String> = r.iter().map(|c| c.raw.clone()).collect();
            cells.resize(width.max(cells.len()), String::new());
            cells
        })),
    ));
    body
}

fn csv_response(chart: &str, t: &Table) -> Response {
    (
        [
            (header::CONTENT_TYPE, "text/csv; charset=utf-8".to_owned()),
            (
                header::CONTENT_DISPOSITION,
                format!("attachment; filename=\"analysis-{chart}.csv\""),
            ),
        ],
        csv_bytes(t),
    )
        .into_response()
}

fn table_markup(t: &Table, id: &str) -> Markup {
    html! {
        table.list.figures id=(id) {
            thead { tr { @for (i, h) in t.head.iter().enumerate() {
                @if i == 0 { th scope="col" { (h) } } @else { th.money scope="col" { (h) } }
            } } }
            tbody { @for row in &t.rows { tr {
                @for (i, cell) in row.iter().enumerate() {
                    @if i == 0 { th scope="row" { (cell.show) } }
                    @else {
                        td.money {
                            @if let Some(h) = &cell.href { a href=(h) { (cell.show) } } @else { (cell.show) }
                        }
                    }
                }
            } } }
        }
    }
}

fn export_link(l: Lang, chart: &str) -> Markup {
    html! {
        a.export id={"export-" (chart)} href={"/analysis/" (chart) ".csv"} download { (Msg::ExportChart.t(l)) }
    }
}

/// A chart's card: heading with the export link, a hint, the chart, the table.
fn card(l: Lang, chart: &str, title: Msg, hint: Option<Msg>, body: Markup) -> Markup {
    let h = format!("{chart}-h");
    html! {
        section.card.chart-card id={"chart-" (chart)} aria-labelledby=(h) {
            div.titlebar {
                h2 id=(h) { (title.t(l)) }
                (export_link(l, chart))
            }
            @if let Some(m) = hint { p.muted { (m.t(l)) } }
            (body)
        }
    }
}

/// Bars of a table's count column (the second), labelled by the first.
fn bars_of(t: &Table) -> Vec<Bar> {
    t.rows
        .iter()
        .map(|r| Bar {
            label: r.first().map(|c| c.show.clone()).unwrap_or_default(),
            value: r
                .get(1)
                .and_then(|c| c.raw.parse::<f64>().ok())
                .unwrap_or(0.0),
            title: r.get(1).map(|c| c.show.clone()).unwrap_or_default(),
            href: r.get(1).and_then(|c| c.href.clone()),
        })
        .collect()
}

/// The page's content.
pub(crate) fn dashboard_content(
    v: &Viewer,
    dash: Option<&Dash>,
    running: bool,
    notice: Option<Msg>,
) -> Markup {
    let l = v.lang;
    let may_run = v.may(Action::RunAnalysis);
    let run_form = html! {
        @if may_run {
            form #run-form method="post" action="/analysis/run" {
                (layout::csrf_input(v.csrf.as_deref()))
                button #run-now type="submit" disabled[running] {
                    @if running { (Msg::RunningNow.t(l)) } @else { (Msg::RunNow.t(l)) }
                }
            }
        }
    };
    html! {
        div.titlebar {
            h1 { (Msg::Analytics.t(l)) }
            div.actions {
                a.button.secondary #segment-map href="/analysis/segments" { (Msg::SegmentMap.t(l)) }
                @if v.may(Action::QueryWarehouse) {
                    a.button.secondary #warehouse-sql href="/analysis/sql" { (Msg::WarehouseSql.t(l)) }
                }
                (run_form)
            }
        }
        @if let Some(m) = notice { p.alert role="status" #analysis-notice { (m.t(l)) } }
        @if running {
            p.alert role="status" #running { (Msg::RunningNow.t(l)) " " (Msg::RunningHint.t(l)) }
        }
        @match dash {
            None => {
                section.card #no-run {
                    h2 { (Msg::NoRunYet.t(l)) }
                    p { (Msg::NoRunExplain.t(l)) }
                    @if !may_run { p.muted { (Msg::AskAnalyst.t(l)) } }
                }
            }
            Some(d) => {
                p.muted { (Msg::AnalyticsIntro.t(l)) }
                (run_summary(v, d))
                @if !d.org_wide { p.alert #reach-note { (Msg::ReachNote.t(l)) " " (Msg::OrgWideOnly.t(l)) } }
                @if d.org_wide { (months_card(v, d)) }
                (tiers_card(v, d))
                (rfm_card(v, d))
                div.halves {
                    (count_card(v, d, "stages", Msg::LifecycleFunnel, true))
                    (count_card(v, d, "risks", Msg::ChurnRisk, false))
                }
                (count_card(v, d, "clv", Msg::ClvDistribution, false))
                @if d.org_wide { (cohorts_card(v, d)) }
                (migration_card(v, d))
            }
        }
    }
}

fn fit_line(l: Lang, fit: &Value, params: &[(&str, &str)]) -> Markup {
    html! {
        @if fit["ok"].as_bool() == Some(true) {
            @for (i, (key, name)) in params.iter().enumerate() {
                @if i > 0 { ", " }
                (name) " = " (charts::significant(report_f64(&fit[*key])))
            }
            span.muted {
                " · " (Msg::LogLikelihood.t(l)) " " (charts::decimal(report_f64(&fit["log_likelihood"]), 1))
                " · " (Msg::Iterations.t(l)) " " (fit["iterations"].as_u64().unwrap_or(0))
            }
        } @else {
            span.fit-error { (Msg::FitFailed.t(l)) ": " (guanxi_api::analysis::fit_error_message(fit["error"].as_str().unwrap_or(""), l)) }
        }
    }
}

fn run_summary(v: &Viewer, d: &Dash) -> Markup {
    let l = v.lang;
    let r = &d.run.report;
    let n = |k: &str| group_digits(r["left_out"][k].as_i64().unwrap_or(0));
    let settings = Msg::ModelSettingsDetail
        .t(l)
        .replace(
            "{margin}",
            &charts::decimal(report_f64(&r["settings"]["margin"]).map(|x| x * 100.0), 0),
        )
        .replace(
            "{months}",
            &r["settings"]["clv_months"]
                .as_u64()
                .unwrap_or(0)
                .to_string(),
        )
        .replace(
            "{discount}",
            &charts::decimal(
                report_f64(&r["settings"]["monthly_discount"]).map(|x| x * 100.0),
                1,
            ),
        );
    html! {
        section.card #last-run aria-labelledby="last-run-h" {
            h2 #last-run-h { (Msg::LastRun.t(l)) }
            dl.props {
                dt { (Msg::AsOf.t(l)) } dd #run-as-of { (day(l, d.run.as_of)) }
                dt { (Msg::ComputedAt.t(l)) } dd { (v.when(d.run.finished_at)) }
                @if d.org_wide {
                    dt { (Msg::ScoredCustomers.t(l)) } dd #run-customers { (group_digits(i64::try_from(d.run.customers).unwrap_or(i64::MAX))) }
                    dt { (Msg::PurchasesRead.t(l)) } dd #run-purchases { (group_digits(i64::try_from(d.run.purchases).unwrap_or(i64::MAX))) }
                    dt { (Msg::LeftOut.t(l)) }
                    dd {
                        (Msg::LeftOutDetail.t(l).replace("{future}", &n("future")).replace("{not_positive}", &n("not_positive")).replace("{other}", &n("other_currency")))
                    }
                    dt { (Msg::ModelSettings.t(l)) } dd { (settings) }
                    dt { (Msg::PurchaseModel.t(l)) }
                    dd #fit-bgnbd { (fit_line(l, &r["bgnbd"], &[("r", "r"), ("alpha", "α"), ("a", "a"), ("b", "b")])) }
                    dt { (Msg::SpendModel.t(l)) }
                    dd #fit-gamma-gamma { (fit_line(l, &r["gamma_gamma"], &[("p", "p"), ("q", "q"), ("gamma", "γ")])) }
                }
            }
        }
    }
}

fn months_card(v: &Viewer, d: &Dash) -> Markup {
    let l = v.lang;
    let cur = v.org.currency;
    let points: Vec<MonthPoint> = months_of(&d.run.report)
        .into_iter()
        .map(|(m, r, c, _)| MonthPoint {
            title: format!(
                "{m} · {} {} · {} {}",
                Msg::Revenue.t(l),
                money_short(l, r, cur),
                Msg::BuyingCustomers.t(l),
                group_digits(i64::try_from(c).unwrap_or(i64::MAX))
            ),
            label: m,
            revenue: r as f64,
            customers: c as f64,
        })
        .collect();
    let mut t = table(v, "months", d).unwrap_or_default();
    let skip = t.rows.len().saturating_sub(MONTHS_IN_TABLE);
    t.rows.drain(..skip);
    card(
        l,
        "months",
        Msg::RevenueByMonth,
        Some(Msg::MonthsHint),
        html! {
            @if points.is_empty() { p.empty { (Msg::NoScoresYet.t(l)) } }
            @else {
                (charts::months(Msg::RevenueByMonth.t(l), &points))
                (table_markup(&t, "months-table"))
                @if skip > 0 { p.muted { (Msg::LastTwelveMonths.t(l)) } }
            }
        },
    )
}

fn tiers_card(v: &Viewer, d: &Dash) -> Markup {
    let l = v.lang;
    let t = table(v, "tiers", d).unwrap_or_default();
    // The pyramid: A (fewest customers) on top.
    let pyramid: Vec<Bar> = t
        .rows
        .iter()
        .map(|r| Bar {
            label: r[0].show.clone(),
            value: r[1].raw.parse().unwrap_or(0.0),
            title: format!("{} · {} {}", r[1].show, Msg::ShareOfRevenue.t(l), r[4].show),
            href: r[1].href.clone(),
        })
        .collect();
    let lorenz = lorenz_of(&d.run.report);
    let gini = report_f64(&d.run.report["gini"]);
    card(
        l,
        "tiers",
        Msg::ValuePyramid,
        Some(Msg::ValuePyramidHint),
        html! {
            div.halves {
                div {
                    (charts::hbars(Msg::ValuePyramid.t(l), &pyramid, true))
                    (table_markup(&t, "tiers-table"))
                }
                @if d.org_wide {
                    div #lorenz {
                        h3 { (Msg::LorenzCurve.t(l)) " " (export_link(l, "lorenz")) }
                        (charts::lorenz(Msg::LorenzCurve.t(l), &lorenz))
                        p { (Msg::Gini.t(l)) ": " strong #gini { (charts::decimal(gini, 3)) } }
                        p.muted { (Msg::LorenzHint.t(l)) }
                    }
                }
            }
        },
    )
}

fn rfm_card(v: &Viewer, d: &Dash) -> Markup {
    let l = v.lang;
    let max = d.rf.iter().map(|c| c.customers).max().unwrap_or(0) as f64;
    let rows: Vec<String> = (1..=5).rev().map(|r| format!("R{r}")).collect();
    let columns: Vec<String> = (1..=5).map(|f| format!("F{f}")).collect();
    let cells: Vec<Vec<Option<Cell>>> = (1..=5u8)
        .rev()
        .map(|r| {
            (1..=5u8)
                .map(|f| {
                    let (rs, fs) = (r.to_string(), f.to_string());
                    let n =
                        d.rf.iter()
                            .find(|c| c.key == rs && c.key2.as_deref() == Some(&fs))
                            .map(|c| c.customers)
                            .unwrap_or(0);
                    let seg = d
                        .segs
                        .at(r, f)
                        .map(|s| format!(" · {}", l.pick(&s.name_zh, &s.name_en)))
                        .unwrap_or_default();
                    Some(Cell {
                        heat: charts::share(n as f64, max),
                        text: group_digits(i64::try_from(n).unwrap_or(i64::MAX)),
                        title: format!("R{r} · F{f}{seg} · {}", customers_n(l, n)),
                        href: (n > 0).then(|| drill(&[("rfm_r", &rs), ("rfm_f", &fs)])),
                    })
                })
                .collect()
        })
        .collect();
    let segs = table(v, "segments", d).unwrap_or_default();
    html! {
        (card(l, "rfm", Msg::RfmGrid, Some(Msg::RfmHint), html! {
            div.halves {
                div #rfm-grid {
                    p.muted { (Msg::Recency.t(l)) " ↓ · " (Msg::Frequency.t(l)) " →" }
                    (charts::grid(Msg::RfmGrid.t(l), &rows, &columns, &cells))
                    (segment_legend(l, &d.segs))
                }
                div {
                    h3 { (Msg::Segments.t(l)) " " (export_link(l, "segments")) }
                    (charts::hbars(Msg::Segments.t(l), &bars_of(&segs), false))
                    (table_markup(&segs, "segments-table"))
                }
            }
        }))
    }
}

/// Which cells each segment takes, in the map's order (the first that holds a cell names it).
fn segment_legend(l: Lang, segs: &SegmentNames) -> Markup {
    html! {
        ul.counts.compact #rfm-legend aria-label=(Msg::SegmentMap.t(l)) {
            @for s in &segs.segments {
                li data-segment=(s.code) {
                    (l.pick(&s.name_zh, &s.name_en)) ": " (range_text("R", s.r)) " · " (range_text("F", s.f))
                }
            }
        }
    }
}

/// A score range as people read it: `R 4–5`, or `R 5` for one score.
pub(crate) fn range_text(letter: &str, (lo, hi): (u8, u8)) -> String {
    if lo == hi {
        format!("{letter} {lo}")
    } else {
        format!("{letter} {lo}–{hi}")
    }
}

fn count_card(v: &Viewer, d: &Dash, chart: &str, title: Msg, funnel: bool) -> Markup {
    let l = v.lang;
    let t = table(v, chart, d).unwrap_or_default();
    let bars = bars_of(&t);
    card(
        l,
        chart,
        title,
        None,
        html! {
            @if funnel { (charts::hbars(title.t(l), &bars, true)) }
            @else { (charts::bars(title.t(l), &bars)) }
            (table_markup(&t, &format!("{chart}-table")))
        },
    )
}

fn cohorts_card(v: &Viewer, d: &Dash) -> Markup {
    let l = v.lang;
    let cohorts = cohorts_of(&d.run.report);
    let shown = &cohorts[cohorts.len().saturating_sub(COHORTS_SHOWN)..];
    let width = shown
        .iter()
        .map(|c| c.2.len())
        .max()
        .unwrap_or(0)
        .min(COHORTS_SHOWN);
    let rows: Vec<String> = shown.iter().map(|c| c.0.clone()).collect();
    let columns: Vec<String> = (0..width).map(|i| i.to_string()).collect();
    // Colour by the best month after the first (the first is always 100 %).
    let best = shown
        .iter()
        .flat_map(|(_, size, active)| {
            active
                .iter()
                .skip(1)
                .map(move |n| charts::share(*n as f64, *size as f64))
        })
        .fold(0.0, f64::max);
    let cells: Vec<Vec<Option<Cell>>> = shown
        .iter()
        .map(|(m, size, active)| {
            (0..width)
                .map(|i| {
                    active.get(i).map(|n| {
                        let s = charts::share(*n as f64, *size as f64);
                        Cell {
                            heat: if i == 0 { 1.0 } else { charts::share(s, best) },
                            text: format!("{:.0}", s * 100.0),
                            title: format!(
                                "{m} · +{i} · {} ({n}/{size})",
                                charts::percent(Some(s))
                            ),
                            // The cohort itself opens its customers.
                            href: (i == 0).then(|| format!("/customers?cohort={m}")),
                        }
                    })
                })
                .collect()
        })
        .collect();
    card(
        l,
        "cohorts",
        Msg::CohortRetention,
        Some(Msg::CohortHint),
        html! {
            @if cohorts.is_empty() { p.empty { (Msg::NoScoresYet.t(l)) } }
            @else {
                p.muted { (Msg::MonthsAfter.t(l)) " → (%)" }
                (charts::grid(Msg::CohortRetention.t(l), &rows, &columns, &cells))
                @if cohorts.len() > shown.len() { p.muted { (Msg::RecentCohorts.t(l)) } }
            }
        },
    )
}

fn migration_card(v: &Viewer, d: &Dash) -> Markup {
    let l = v.lang;
    let mut from: Vec<String> = Vec::new();
    if d.migration.iter().any(|c| c.key.is_empty()) {
        from.push(String::new());
    }
    let prev: Vec<ScoreCount> = d
        .migration
        .iter()
        .filter(|c| !c.key.is_empty())
        .cloned()
        .collect();
    from.extend(segment_order(&d.segs, &prev));
    let now: Vec<ScoreCount> = d
        .migration
        .iter()
        .map(|c| ScoreCount {
            key: c.key2.clone().unwrap_or_default(),
            ..c.clone()
        })
        .collect();
    let to = segment_order(&d.segs, &now);
    let cell = |a: &str, b: &str| {
        d.migration
            .iter()
            .find(|c| c.key == a && c.key2.as_deref().unwrap_or("") == b)
            .map(|c| c.customers)
            .unwrap_or(0)
    };
    let max = d.migration.iter().map(|c| c.customers).max().unwrap_or(0) as f64;
    card(
        l,
        "migration",
        Msg::SegmentMigration,
        Some(Msg::MigrationHint),
        html! {
            @if d.migration.is_empty() { p.empty { (Msg::NoScoresYet.t(l)) } }
            @else {
                table.list.figures.heat #migration-table {
                    thead { tr {
                        th scope="col" { (Msg::PreviousSegment.t(l)) " ↓ / " (Msg::CurrentSegment.t(l)) " →" }
                        @for b in &to { th.money scope="col" { (d.segs.name(l, b)) } }
                    } }
                    tbody { @for a in &from { tr {
                        th scope="row" { @if a.is_empty() { (Msg::FirstScored.t(l)) } @else { (d.segs.name(l, a)) } }
                        @for b in &to {
                            @let n = cell(a, b);
                            @let h = charts::share(n as f64, max);
                            td.money style={"background:" (charts::heat(h)) ";color:" (charts::ink(h))} {
                                @if n == 0 { "" }
                                @else if let Some(href) = migration_drill(a, b) { a href=(href) { (group_digits(i64::try_from(n).unwrap_or(i64::MAX))) } }
                                @else { (group_digits(i64::try_from(n).unwrap_or(i64::MAX))) }
                            }
                        }
                    } } }
                }
            }
        },
    )
}

//! Scoring an organisation's customers with the decision-support models (辅助决策): read its
//! purchases, run `guanxi-analytics`' pipeline off the async threads, and write every
//! customer's scores back with the run's report. The command line (`guanxi analyze`), the API
//! (`POST /api/v1/analysis/runs`) and the server's schedule all come through [`run`].

use chrono::{DateTime, NaiveDate, Utc};
use guanxi_analytics::pipeline::{self, Options, Purchase, Reason, Step};
use guanxi_analytics::value::Tier;
use guanxi_analytics::FitError;
use guanxi_core::{Lang, OrgId};
use guanxi_store::{Ctx, CustomerScore, NewScoreRun, ScoreRun, ScoreWrite, Store, StoreError};
use serde_json::{json, Value};
use std::collections::HashSet;
use std::sync::{Arc, Mutex};

/// How the models value customers (`[analysis]` in the settings).
#[derive(Clone, Debug, PartialEq)]
pub struct Settings {
    /// Gross margin as a share of revenue.
    pub margin: f64,
    /// Lifetime value horizon, months.
    pub clv_months: u32,
    /// Discount rate per month.
    pub monthly_discount: f64,
}

impl Default for Settings {
    fn default() -> Self {
        Self {
            margin: 0.3,
            clv_months: 12,
            monthly_discount: 0.01,
        }
    }
}

/// Where a run stands, for progress bars.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Phase {
    Reading,
    Model(Step),
    Writing,
}

impl Phase {
    pub fn name(self) -> &'static str {
        match self {
            Self::Reading => "reading purchases",
            Self::Model(s) => s.name(),
            Self::Writing => "writing scores",
        }
    }
}

/// A finished run.
#[derive(Clone, Debug)]
pub struct Outcome {
    pub run: ScoreRun,
    pub write: ScoreWrite,
}

#[derive(Debug, thiserror::Error)]
pub enum RunError {
    #[error("{0}")]
    Store(#[from] StoreError),
    /// A run of this organisation is already going.
    #[error("a scoring run of this organisation is already running")]
    Busy,
}

/// The organisations with a run going in this process, one at a time each. The server shares
/// one between its API and its schedule.
#[derive(Debug, Default)]
pub struct Runs(Mutex<HashSet<OrgId>>);

impl Runs {
    /// Is a run of `org` going?
    pub fn is_running(&self, org: OrgId) -> bool {
        self.0.lock().map(|s| s.contains(&org)).unwrap_or(false)
    }

    fn claim(self: &Arc<Self>, org: OrgId) -> Result<Claim, RunError> {
        let mut set = self
            .0
            .lock()
            .map_err(|_| StoreError::Internal("run registry poisoned".into()))?;
        if !set.insert(org) {
            return Err(RunError::Busy);
        }
        Ok(Claim(self.clone(), org))
    }
}

struct Claim(Arc<Runs>, OrgId);

impl Drop for Claim {
    fn drop(&mut self) {
        if let Ok(mut set) = self.0 .0.lock() {
            set.remove(&self.1);
        }
    }
}

const EPOCH: NaiveDate = match NaiveDate::from_ymd_opt(1970, 1, 1) {
    Some(d) => d,
    None => NaiveDate::MIN,
};

fn day_of(date: NaiveDate) -> i32 {
    (date - EPOCH).num_days() as i32
}

fn date_of(day: i32) -> NaiveDate {
    EPOCH + chrono::Duration::days(i64::from(day))
}

/// Score every customer of the organisation with purchases, as of `as_of` (default: today in
/// the organisation's time zone), and write the scores back.
pub async fn run(
    store: Arc<dyn Store>,
    runs: &Arc<Runs>,
    ctx: Ctx,
    settings: &Settings,
    as_of: Option<NaiveDate>,
    progress: Arc<dyn Fn(Phase) + Send + Sync>,
) -> Result<Outcome, RunError> {
    let _claim = runs.claim(ctx.org)?;
    let started = Utc::now();
    let org = store.get_org(ctx.org).await?;
    let tz: chrono_tz::Tz = org.time_zone.parse().unwrap_or(chrono_tz::Asia::Shanghai);
    let today = as_of.unwrap_or_else(|| started.with_timezone(&tz).date_naive());
    progress(Phase::Reading);
    let segments = segment_map(store.as_ref(), ctx).await?.segments;
    let read = store.analysis_purchases(ctx).await?;
    let other_currency = read.other_currency;
    let options = Options {
        margin: settings.margin,
        clv_months: settings.clv_months,
        monthly_discount: settings.monthly_discount,
        segments: segments
            .into_iter()
            .map(|s| guanxi_analytics::rfm::Segment {
                code: s.code,
                name_zh: s.name_zh,
                name_en: s.name_en,
                r: s.r,
                f: s.f,
            })
            .collect(),
        ..Options::new(day_of(today))
    };
    let steps = progress.clone();
    let (report, scored) = tokio::task::spawn_blocking(move || {
        let purchases: Vec<Purchase> = read
            .facts
            .iter()
            .map(|f| Purchase {
                customer: f.customer.get(),
                day: DateTime::from_timestamp_micros(f.placed_at)
                    .map_or(i32::MIN, |t| day_of(t.with_timezone(&tz).date_naive())),
                amount: f.total,
            })
            .collect();
        drop(read);
        pipeline::run(purchases, &options, |s| steps(Phase::Model(s)))
    })
    .await
    .map_err(|e| StoreError::Internal(format!("scoring: {e}")))?;
    progress(Phase::Writing);
    let rows: Vec<CustomerScore> = scored.iter().map(to_row).collect();
    drop(scored);
    let report_json = report_json(&report, settings, other_currency);
    let (run, write) = store
        .save_scores(
            ctx,
            NewScoreRun {
                as_of: today,
                started_at: started,
                purchases: report.purchases as u64,
                report: report_json,
            },
            rows,
        )
        .await?;
    Ok(Outcome { run, write })
}

/// The segment map a run uses: the organisation's own, or the default one.
#[derive(Clone, Debug, PartialEq)]
pub struct SegmentMap {
    pub segments: Vec<guanxi_store::SegmentDef>,
    pub custom: bool,
    pub updated_at: Option<DateTime<Utc>>,
}

/// The default segment map (champions, loyal, new, promising, need attention, can't lose, at
/// risk, hibernating, lost), in the store's terms.
pub fn default_segments() -> Vec<guanxi_store::SegmentDef> {
    guanxi_analytics::rfm::default_segments()
        .into_iter()
        .map(|s| guanxi_store::SegmentDef {
            code: s.code,
            name_zh: s.name_zh,
            name_en: s.name_en,
            r: s.r,
            f: s.f,
        })
        .collect()
}

/// The organisation's segment map, or the default one.
pub async fn segment_map(store: &dyn Store, ctx: Ctx) -> Result<SegmentMap, StoreError> {
    Ok(match store.segment_map(ctx).await? {
        Some(m) => SegmentMap {
            segments: m.segments,
            custom: true,
            updated_at: Some(m.updated_at),
        },
        None => SegmentMap {
            segments: default_segments(),
            custom: false,
            updated_at: None,
        },
    })
}

/// A run as a caller who does not reach the whole organisation may see it: the models' fitted
/// parameters and settings, but none of the organisation-wide figures (customers, purchases,
/// tiers, the Lorenz curve, revenue by month, cohorts), which their counts could not match.
pub fn within_reach(
    mut run: guanxi_store::ScoreRun,
    reach: guanxi_core::Reach,
) -> guanxi_store::ScoreRun {
    if matches!(reach, guanxi_core::Reach::Org) {
        return run;
    }
    let keep = ["as_of", "bgnbd", "pareto_nbd", "gamma_gamma", "settings"];
    let mut report = serde_json::Map::new();
    for key in keep {
        if let Some(v) = run.report.get(key) {
            report.insert(key.to_owned(), v.clone());
        }
    }
    report.insert("org_wide".to_owned(), serde_json::Value::Bool(false));
    run.report = serde_json::Value::Object(report);
    run.customers = 0;
    run.purchases = 0;
    run
}

fn tier_code(t: Tier) -> &'static str {
    match t {
        Tier::A => "A",
        Tier::B => "B",
        Tier::C => "C",
    }
}

fn reason_json(r: &Reason) -> Value {
    match *r {
        Reason::Overdue { days, usual_gap } => {
            json!({"code": r.code(), "days": days, "usual_gap": usual_gap})
        }
        Reason::Fading { alive } => json!({"code": r.code(), "alive": alive}),
        Reason::SpendingDown { last, before } => {
            json!({"code": r.code(), "last": last, "before": before})
        }
        Reason::Silent { days } => json!({"code": r.code(), "days": days}),
    }
}

fn to_row(s: &pipeline::CustomerScore) -> CustomerScore {
    CustomerScore {
        customer: guanxi_core::CustomerId(s.customer),
        purchases: s.purchases,
        first_purchase: date_of(s.first_day),
        last_purchase: date_of(s.last_day),
        revenue: s.revenue,
        revenue_12m: s.revenue_12m,
        historical_value: s.historical_value,
        current_value: s.current_value,
        r: s.rfm.r,
        f: s.rfm.f,
        m: s.rfm.m,
        segment: s.segment.as_deref().map(str::to_owned),
        tier: tier_code(s.tier).to_owned(),
        alive: s.alive,
        expected_90: s.expected_90,
        expected_180: s.expected_180,
        expected_365: s.expected_365,
        expected_spend: s.expected_spend,
        clv: s.clv,
        stage: s.stage.code().to_owned(),
        risk: s.risk.code().to_owned(),
        reasons: Value::Array(s.reasons.iter().map(reason_json).collect()),
    }
}

/// The code of a fit error, as the report keeps it.
pub fn fit_error_code(e: &FitError) -> &'static str {
    match e {
        FitError::NoData => "no_data",
        FitError::BadSummary { .. } => "bad_summary",
        FitError::NotConverged { .. } => "not_converged",
        FitError::NoRepeat => "no_repeat",
        FitError::Degenerate => "degenerate",
    }
}

/// Why a model has no fit, in the reader's language (from the code the report keeps).
pub fn fit_error_message(code: &str, lang: Lang) -> &'static str {
    match code {
        "no_data" => lang.pick(
            "还没有可用于建模的购买记录",
            "there are no purchases to learn from yet",
        ),
        "no_repeat" => lang.pick(
            "还没有客户重复购买过，购买次数与消费金额模型需要回头客的数据",
            "no customer has bought twice yet; the purchase and spend models learn from repeat purchases",
        ),
        "not_converged" => lang.pick(
            "模型拟合没有收敛，本次只给出 RFM 与价值分层，不给出预测",
            "the model fit did not converge; this run gives RFM and value tiers without predictions",
        ),
        "degenerate" => lang.pick(
            "数据无法支撑模型（参数趋于零或无穷），本次只给出 RFM 与价值分层",
            "the data cannot support the model (its parameters ran off); this run gives RFM and value tiers only",
        ),
        _ => lang.pick("购买记录有误，无法建模", "the purchase histories cannot be modelled"),
    }
}

fn month_label(month: i32) -> String {
    format!(
        "{:04}-{:02}",
        month.div_euclid(12),
        month.rem_euclid(12) + 1
    )
}

fn ms(d: std::time::Duration) -> u64 {
    u64::try_from(d.as_millis()).unwrap_or(u64::MAX)
}

/// The run's report as the dashboards read it (documented in docs/ANALYTICS.md).
fn report_json(r: &pipeline::Report, settings: &Settings, other_currency: u64) -> Value {
    let bgnbd = match &r.bgnbd {
        Ok(f) => json!({
            "ok": true, "r": f.params.r, "alpha": f.params.alpha, "a": f.params.a,
            "b": f.params.b, "log_likelihood": f.log_likelihood, "iterations": f.iterations,
        }),
        Err(e) => json!({"ok": false, "error": fit_error_code(e)}),
    };
    let spend = match &r.spend {
        Ok(f) => json!({
            "ok": true, "p": f.params.p, "q": f.params.q, "gamma": f.params.gamma,
            "log_likelihood": f.log_likelihood, "iterations": f.iterations,
        }),
        Err(e) => json!({"ok": false, "error": fit_error_code(e)}),
    };
    let pareto = match &r.pareto {
        Ok(c) => json!({
            "ok": true, "r": c.fit.params.r, "alpha": c.fit.params.alpha, "s": c.fit.params.s,
            "beta": c.fit.params.beta, "log_likelihood": c.fit.log_likelihood,
            "sample": c.sample, "bgnbd_log_likelihood": c.bgnbd_log_likelihood,
        }),
        Err(e) => json!({"ok": false, "error": fit_error_code(e)}),
    };
    json!({
        "as_of": date_of(r.today),
        "customers": r.customers,
        "purchases": r.purchases,
        "left_out": {"future": r.future, "not_positive": r.not_positive, "other_currency": other_currency},
        "settings": {"margin": settings.margin, "clv_months": settings.clv_months, "monthly_discount": settings.monthly_discount},
        "bgnbd": bgnbd,
        "pareto_nbd": pareto,
        "gamma_gamma": spend,
        "tiers": r.tiers.iter().map(|t| json!({"tier": tier_code(t.tier), "customers": t.customers, "revenue": t.revenue})).collect::<Vec<_>>(),
        "lorenz": r.lorenz.iter().map(|(x, y)| json!([x, y])).collect::<Vec<_>>(),
        "gini": r.gini,
        "months": r.months.iter().map(|m| json!({
            "month": month_label(m.month), "revenue": m.revenue, "customers": m.customers,
            "new_customers": m.new_customers,
        })).collect::<Vec<_>>(),
        "cohorts": r.cohorts.iter().map(|c| json!({
            "month": month_label(c.month), "size": c.active.first().copied().unwrap_or(0),
            "active": c.active,
        })).collect::<Vec<_>>(),
        "timings_ms": r.timings.iter().map(|(s, d)| (s.name().to_owned(), json!(ms(*d)))).collect::<serde_json::Map<_, _>>(),
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn days_and_months_round_trip() {
        let d = NaiveDate::from_ymd_opt(2026, 12, 1).expect("date");
        assert_eq!(date_of(day_of(d)), d);
        assert_eq!(month_label(2026 * 12 + 11), "2026-12");
        assert_eq!(month_label(2027 * 12), "2027-01");
    }

    #[test]
    fn every_fit_error_has_a_message_in_both_languages() {
        for e in [
            FitError::NoData,
            FitError::BadSummary { index: 3 },
            FitError::NotConverged { iterations: 9 },
            FitError::NoRepeat,
            FitError::Degenerate,
        ] {
            let code = fit_error_code(&e);
            let zh = fit_error_message(code, Lang::ZhCn);
            let en = fit_error_message(code, Lang::En);
            assert!(!zh.is_empty() && !en.is_empty() && zh != en, "{code}");
        }
    }
}

//! The whole scoring run over one organisation's purchases: each customer's purchase summary,
//! the BG/NBD and Gamma-Gamma fits, and for every customer the value (historical, current,
//! potential), RFM cell and segment, ABC tier, probability alive, expected purchases, lifetime
//! value, lifecycle stage and churn risk with its reasons; and for the organisation the tier
//! shares, the Lorenz curve, revenue by month and cohort retention.
//!
//! **Time** is counted in whole days (`day` = days since 1970-01-01). Purchases on one day are
//! one transaction (as in the papers and `lifetimes`); the models run in days, a month is 30
//! days as `lifetimes` counts it.
//!
//! **What counts as a purchase** is the caller's choice (Guanxi passes paid, shipped and
//! completed orders); here purchases dated after `today` are left out and counted, and so are
//! amounts of zero or less (a refund is not a purchase).
//!
//! **Lifecycle stages** (客户生命周期, the course's four stages), first rule that holds:
//! 1. 退化期 *decline*: a repeat buyer whose probability of being alive is under 30 %, or who
//!    is overdue by more than three usual gaps (and at least 90 days); a one-off buyer silent
//!    for more than a year.
//! 2. 考察期 *exploration*: one purchase day so far, or a first purchase less than 90 days ago.
//! 3. 稳定期 *stability*: four purchase days or more.
//! 4. 形成期 *formation*: the rest (two or three purchase days, still active).
//!
//! **Churn risk**, with each reason kept: *overdue* (more than two usual gaps since the last
//! purchase), *fading* (probability alive under 50 %), *spending down* (the last 12 months
//! under half the 12 before, for repeat buyers), *silent* (one purchase, more than 180 days ago). High when alive
//! is under 30 % or overdue by three gaps; medium with any reason; low without.

use crate::rfm::{self, Scores, Segment};
use crate::simulate::civil_from_days;
use crate::value::{self, Tier};
use crate::{bgnbd, gamma_gamma, par, pareto, FitError, Summary};
use std::sync::Arc;
use std::time::{Duration, Instant};

/// One paid purchase: `amount` in fen on day `day`.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Purchase {
    pub customer: i64,
    pub day: i32,
    pub amount: i64,
}

/// How a run scores.
#[derive(Clone, Debug)]
pub struct Options {
    /// The end of observation (the day the scores are for).
    pub today: i32,
    /// Gross margin as a share of revenue (value is margin, not turnover).
    pub margin: f64,
    /// Lifetime value horizon in months of 30 days.
    pub clv_months: u32,
    /// Discount rate per month (0.01 is 1 %).
    pub monthly_discount: f64,
    /// ABC: A until this share of revenue, B until `a_share + b_share`.
    pub a_share: f64,
    pub b_share: f64,
    /// The RFM segment map, first match wins.
    pub segments: Vec<Segment>,
    /// Also fit Pareto/NBD on a sample, for comparison (a few seconds).
    pub pareto: bool,
}

impl Options {
    /// The defaults: 30 % margin, 12 months at 1 % a month, 80/15/5 tiers, the usual segments.
    pub fn new(today: i32) -> Self {
        Self {
            today,
            margin: 0.3,
            clv_months: 12,
            monthly_discount: 0.01,
            a_share: 0.8,
            b_share: 0.15,
            pareto: true,
            segments: rfm::default_segments(),
        }
    }
}

/// Lifecycle stage (客户生命周期阶段).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Stage {
    Exploration,
    Formation,
    Stability,
    Decline,
}

impl Stage {
    pub const ALL: [Stage; 4] = [
        Stage::Exploration,
        Stage::Formation,
        Stage::Stability,
        Stage::Decline,
    ];
    pub fn code(self) -> &'static str {
        match self {
            Self::Exploration => "exploration",
            Self::Formation => "formation",
            Self::Stability => "stability",
            Self::Decline => "decline",
        }
    }
    pub fn parse(s: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|v| v.code() == s)
    }
}

/// Churn risk level.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Risk {
    Low,
    Medium,
    High,
}

impl Risk {
    pub const ALL: [Risk; 3] = [Risk::Low, Risk::Medium, Risk::High];
    pub fn code(self) -> &'static str {
        match self {
            Self::Low => "low",
            Self::Medium => "medium",
            Self::High => "high",
        }
    }
    pub fn parse(s: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|v| v.code() == s)
    }
}

/// Why a customer is at risk.
#[derive(Clone, Copy, Debug, PartialEq)]
pub enum Reason {
    /// Days since the last purchase against the usual days between purchases.
    Overdue { days: i32, usual_gap: i32 },
    /// Probability of still being a customer.
    Fading { alive: f64 },
    /// Revenue (fen) of the last 12 months against the 12 before.
    SpendingDown { last: i64, before: i64 },
    /// One purchase, this many days ago.
    Silent { days: i32 },
}

impl Reason {
    pub fn code(&self) -> &'static str {
        match self {
            Self::Overdue { .. } => "overdue",
            Self::Fading { .. } => "fading",
            Self::SpendingDown { .. } => "spending_down",
            Self::Silent { .. } => "silent",
        }
    }
}

/// Everything a run says about one customer. Money in fen.
#[derive(Clone, Debug, PartialEq)]
pub struct CustomerScore {
    pub customer: i64,
    /// Purchase days (same-day orders are one).
    pub purchases: u32,
    pub first_day: i32,
    pub last_day: i32,
    /// Revenue to date and in the last 365 days.
    pub revenue: i64,
    pub revenue_12m: i64,
    /// 历史价值: margin to date; 当前价值: margin of the last 12 months.
    pub historical_value: i64,
    pub current_value: i64,
    pub rfm: Scores,
    /// The code of the first segment of the map that holds the scores (shared, not copied,
    /// between the customers of a segment).
    pub segment: Option<Arc<str>>,
    pub tier: Tier,
    /// Model predictions; `None` when the models could not be fitted.
    pub alive: Option<f64>,
    pub expected_90: Option<f64>,
    pub expected_180: Option<f64>,
    pub expected_365: Option<f64>,
    /// Expected spend per purchase (Gamma-Gamma).
    pub expected_spend: Option<i64>,
    /// 潜在价值: lifetime value over the horizon (margin, discounted).
    pub clv: Option<i64>,
    pub stage: Stage,
    pub risk: Risk,
    pub reasons: Vec<Reason>,
}

/// One value tier's share.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct TierShare {
    pub tier: Tier,
    pub customers: usize,
    pub revenue: i64,
}

/// Customers whose first purchase fell in `month` (`year * 12 + month0`), and how many of them
/// bought in each month after (index 0 is the first month itself: all of them).
#[derive(Clone, Debug, PartialEq)]
pub struct Cohort {
    pub month: i32,
    pub active: Vec<u32>,
}

/// Revenue and buying customers in one month (`year * 12 + month0`).
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct Month {
    pub month: i32,
    pub revenue: i64,
    pub customers: u32,
    pub new_customers: u32,
}

/// Customers in the sample Pareto/NBD is fitted on.
pub const PARETO_SAMPLE: usize = 5_000;
/// Repeat buyers needed before the comparison is worth fitting (below, it reports no data).
pub const PARETO_MIN_REPEAT: usize = 1_000;
/// Longest the Pareto/NBD comparison may take; past it, the report says it did not converge.
pub const PARETO_BUDGET: std::time::Duration = std::time::Duration::from_secs(10);

/// Pareto/NBD fitted on an evenly spread sample of the customers, and BG/NBD's log-likelihood
/// on the same sample, so that the two purchase models can be compared (the higher fits
/// better).
#[derive(Clone, Copy, Debug)]
pub struct ParetoComparison {
    pub fit: pareto::Fit,
    pub sample: usize,
    pub bgnbd_log_likelihood: f64,
}

/// What a run says about the organisation.
#[derive(Clone, Debug)]
pub struct Report {
    pub today: i32,
    pub customers: usize,
    pub purchases: usize,
    /// Left out: dated after `today`; zero or negative amounts.
    pub future: usize,
    pub not_positive: usize,
    pub bgnbd: Result<bgnbd::Fit, FitError>,
    /// Pareto/NBD on a sample, beside BG/NBD on the same sample (see [`ParetoComparison`]).
    pub pareto: Result<ParetoComparison, FitError>,
    pub spend: Result<gamma_gamma::Fit, FitError>,
    pub tiers: Vec<TierShare>,
    /// Share of customers → share of revenue, 20 steps; and the Gini coefficient.
    pub lorenz: Vec<(f64, f64)>,
    pub gini: Option<f64>,
    pub months: Vec<Month>,
    pub cohorts: Vec<Cohort>,
    /// Wall time of each step.
    pub timings: Vec<(Step, Duration)>,
}

/// The steps of a run, for progress and timings.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Step {
    Summary,
    PurchaseModel,
    SpendModel,
    Scores,
}

impl Step {
    pub fn name(self) -> &'static str {
        match self {
            Self::Summary => "summary",
            Self::PurchaseModel => "bg/nbd fit",
            Self::SpendModel => "gamma-gamma fit",
            Self::Scores => "scores",
        }
    }
}

/// Longest cohort follow-up, in months.
const COHORT_MONTHS: usize = 36;
/// A month, as `lifetimes` counts it.
const MONTH_DAYS: f64 = 30.0;

/// One customer's history, summarised.
#[derive(Clone, Copy, Debug)]
struct History {
    customer: i64,
    days: u32,
    first: i32,
    last: i32,
    revenue: i64,
    revenue_12m: i64,
    revenue_prev_12m: i64,
    /// Sum over the purchase days after the first.
    repeat: i64,
}

impl History {
    fn summary(&self, today: i32) -> Summary {
        Summary {
            x: f64::from(self.days - 1),
            t_x: f64::from(self.last - self.first),
            t: f64::from(today - self.first),
        }
    }
    /// Average spend per repeat purchase day, in yuan.
    fn average_repeat(&self) -> f64 {
        if self.days > 1 {
            self.repeat as f64 / 100.0 / f64::from(self.days - 1)
        } else {
            0.0
        }
    }
}

/// The month (`year * 12 + month0`) of a day since 1970-01-01.
pub fn month_of(day: i32) -> i32 {
    let (y, m, _) = civil_from_days(day);
    y * 12 + (m as i32 - 1)
}

/// Score every customer with purchases. `purchases` may come in any order; `progress` hears of
/// each step as it starts.
pub fn run(
    mut purchases: Vec<Purchase>,
    options: &Options,
    mut progress: impl FnMut(Step),
) -> (Report, Vec<CustomerScore>) {
    let today = options.today;
    let mut timings = Vec::new();
    progress(Step::Summary);
    let started = Instant::now();
    let before = purchases.len();
    let future = purchases.iter().filter(|p| p.day > today).count();
    purchases.retain(|p| p.day <= today && p.amount > 0);
    let not_positive = before - future - purchases.len();
    purchases.sort_unstable_by_key(|p| (p.customer, p.day));
    let (histories, months, cohorts) = summarise(&purchases, today);
    let counted = purchases.len();
    drop(purchases);
    timings.push((Step::Summary, started.elapsed()));

    // The purchase model learns from customers observed for at least a day.
    progress(Step::PurchaseModel);
    let started = Instant::now();
    let summaries: Vec<Summary> = histories
        .iter()
        .filter(|h| h.first < today)
        .map(|h| h.summary(today))
        .collect();
    let bgnbd = if summaries.iter().any(|s| s.x > 0.0) {
        bgnbd::fit(&summaries).and_then(|f| {
            let p = f.params;
            sane(&[p.r, p.alpha, p.a, p.b]).map(|()| f)
        })
    } else {
        Err(FitError::NoRepeat)
    };
    // Pareto/NBD, the other purchase model, as a comparison: fitted by the simplex (no
    // gradient), so on an evenly spread sample of at most PARETO_SAMPLE customers, together
    // with BG/NBD's log-likelihood on the same sample. The scores use BG/NBD.
    let repeat = summaries.iter().filter(|s| s.x > 0.0).count();
    let pareto = if bgnbd.is_ok() && options.pareto && repeat >= PARETO_MIN_REPEAT {
        let step = summaries.len().div_ceil(PARETO_SAMPLE).max(1);
        let sample: Vec<Summary> = summaries.iter().step_by(step).copied().collect();
        pareto::fit_within(&sample, PARETO_BUDGET)
            .and_then(|f| {
                let p = f.params;
                sane(&[p.r, p.alpha, p.s, p.beta]).map(|()| f)
            })
            .map(|fit| ParetoComparison {
                bgnbd_log_likelihood: bgnbd
                    .as_ref()
                    .map_or(f64::NAN, |b| bgnbd::log_likelihood(b.params, &sample)),
                sample: sample.len(),
                fit,
            })
    } else {
        Err(FitError::NoData)
    };
    drop(summaries);
    timings.push((Step::PurchaseModel, started.elapsed()));

    progress(Step::SpendModel);
    let started = Instant::now();
    let spends: Vec<(f64, f64)> = histories
        .iter()
        .filter(|h| h.days > 1 && h.repeat > 0)
        .map(|h| (f64::from(h.days - 1), h.average_repeat()))
        .collect();
    let spend = if spends.is_empty() {
        Err(FitError::NoRepeat)
    } else {
        gamma_gamma::fit(&spends).and_then(|f| {
            let k = f.params;
            // The population mean spend p·γ/(q − 1) exists only for q > 1.
            if k.q <= 1.0 {
                return Err(FitError::Degenerate);
            }
            sane(&[k.p, k.q, k.gamma]).map(|()| f)
        })
    };
    drop(spends);
    timings.push((Step::SpendModel, started.elapsed()));

    progress(Step::Scores);
    let started = Instant::now();
    let rfm_scores = rfm_of(&histories, today);
    let revenue: Vec<(i64, f64)> = histories
        .iter()
        .map(|h| (h.customer, h.revenue as f64))
        .collect();
    let tiers = value::abc_tiers(&revenue, options.a_share, options.b_share);
    let (lorenz, gini) =
        match value::lorenz(&revenue.iter().map(|(_, r)| *r).collect::<Vec<_>>(), 20) {
            Some((curve, gini)) => (curve, Some(gini)),
            None => (Vec::new(), None),
        };
    drop(revenue);
    let model = bgnbd.as_ref().ok().map(|f| f.params);
    let spend_model = spend.as_ref().ok().map(|f| f.params);
    // The three predictions, then the end of each month of the lifetime-value horizon.
    let clv_months = options.clv_months.min(bgnbd::MANY as u32 - 3) as usize;
    let mut horizons = vec![90.0, 180.0, 365.0];
    horizons.extend((1..=clv_months).map(|m| m as f64 * MONTH_DAYS));
    let table = model.map(|p| Numerators::new(p, &histories, today, &horizons));
    let segment_codes = SegmentCodes::new(&options.segments);
    let indices: Vec<usize> = (0..histories.len()).collect();
    let scores = par::map(&indices, |&i| {
        let h = &histories[i];
        let numerators = table.as_ref().and_then(|t| t.get(h, today));
        score(
            h,
            &segment_codes,
            rfm_scores[i],
            tiers[i],
            model.zip(numerators),
            spend_model,
            options,
        )
    });
    let tier_shares = [Tier::A, Tier::B, Tier::C]
        .into_iter()
        .map(|tier| TierShare {
            tier,
            customers: scores.iter().filter(|s| s.tier == tier).count(),
            revenue: scores
                .iter()
                .filter(|s| s.tier == tier)
                .map(|s| s.revenue)
                .sum(),
        })
        .collect();
    timings.push((Step::Scores, started.elapsed()));
    let report = Report {
        today,
        customers: histories.len(),
        purchases: counted,
        future,
        not_positive,
        bgnbd,
        pareto,
        spend,
        tiers: tier_shares,
        lorenz,
        gini,
        months,
        cohorts,
        timings,
    };
    (report, scores)
}

/// The segment of each of the 25 (R, F) cells, looked up once per run.
struct SegmentCodes(Vec<Option<Arc<str>>>);

impl SegmentCodes {
    fn new(segments: &[Segment]) -> Self {
        let mut cells = Vec::with_capacity(25);
        for r in 1..=5u8 {
            for f in 1..=5u8 {
                let s = Scores { r, f, m: 1 };
                cells.push(rfm::segment_of(segments, s).map(|g| Arc::from(g.code.as_str())));
            }
        }
        Self(cells)
    }

    fn of(&self, s: Scores) -> Option<Arc<str>> {
        let i = usize::from(s.r.clamp(1, 5) - 1) * 5 + usize::from(s.f.clamp(1, 5) - 1);
        self.0.get(i).cloned().flatten()
    }
}

/// The numerators of the expected-purchases formula for every (x, T) pair the customers have,
/// computed once per pair (a million customers share a few tens of thousands of pairs), in
/// rows of `width` horizons.
struct Numerators {
    keys: Vec<(u32, i32)>,
    values: Vec<f64>,
    ok: Vec<bool>,
    width: usize,
    /// Row of each (x, T) in a dense grid, when the grid is small (it usually is: x up to a
    /// few hundred, T up to a few thousand days).
    dense: Vec<u32>,
    days: usize,
}

/// Largest dense (x, T) grid, in cells.
const DENSE_MAX: usize = 8_000_000;

impl Numerators {
    fn new(p: bgnbd::Params, histories: &[History], today: i32, horizons: &[f64]) -> Self {
        let mut keys: Vec<(u32, i32)> = histories
            .iter()
            .map(|h| (h.days - 1, today - h.first))
            .collect();
        keys.sort_unstable();
        keys.dedup();
        let width = horizons.len();
        let rows = par::map(&keys, |&(x, t)| {
            let mut out = vec![f64::NAN; width];
            let ok = bgnbd::expected_numerators(p, f64::from(x), f64::from(t), horizons, &mut out);
            (ok, out)
        });
        let mut values = Vec::with_capacity(keys.len() * width);
        let mut ok = Vec::with_capacity(keys.len());
        for (good, row) in rows {
            ok.push(good);
            values.extend(row);
        }
        let top_x = keys.iter().map(|k| k.0 as usize).max().unwrap_or(0);
        let days = keys.iter().map(|k| k.1.max(0) as usize).max().unwrap_or(0) + 1;
        let mut dense = Vec::new();
        if (top_x + 1).saturating_mul(days) <= DENSE_MAX && keys.iter().all(|k| k.1 >= 0) {
            dense = vec![u32::MAX; (top_x + 1) * days];
            for (i, k) in keys.iter().enumerate() {
                dense[k.0 as usize * days + k.1 as usize] = i as u32;
            }
        }
        Self {
            keys,
            values,
            ok,
            width,
            dense,
            days,
        }
    }

    fn get(&self, h: &History, today: i32) -> Option<&[f64]> {
        let key = (h.days - 1, today - h.first);
        let i = if self.dense.is_empty() || key.1 < 0 {
            self.keys.binary_search(&key).ok()?
        } else {
            let at = key.0 as usize * self.days + key.1 as usize;
            match self.dense.get(at) {
                Some(&i) if i != u32::MAX => i as usize,
                _ => return None,
            }
        };
        self.ok[i].then(|| &self.values[i * self.width..(i + 1) * self.width])
    }
}

/// RFM scores of summarised histories: recency in days, purchase days, revenue.
fn rfm_of(histories: &[History], today: i32) -> Vec<Scores> {
    rfm::score(
        &histories
            .iter()
            .map(|h| rfm::Behaviour {
                id: h.customer,
                recency_days: f64::from(today - h.last),
                frequency: f64::from(h.days),
                monetary: h.revenue as f64,
            })
            .collect::<Vec<_>>(),
    )
}

/// RFM alone, as the scoring run computes it (the summary, then the quintile scores): the
/// customers' ids with their scores. For comparing with RFM in other tools.
pub fn rfm_only(mut purchases: Vec<Purchase>, today: i32) -> Vec<(i64, Scores)> {
    purchases.retain(|p| p.day <= today && p.amount > 0);
    purchases.sort_unstable_by_key(|p| (p.customer, p.day));
    let (histories, _, _) = summarise(&purchases, today);
    drop(purchases);
    let scores = rfm_of(&histories, today);
    histories.iter().map(|h| h.customer).zip(scores).collect()
}

/// Parameters a fit may give and still be a model of buying: finite and neither vanishing nor
/// exploding (a fit of customers who all bought once runs off towards r → 0).
fn sane(params: &[f64]) -> Result<(), FitError> {
    if params
        .iter()
        .all(|p| p.is_finite() && *p > 1e-8 && *p < 1e8)
    {
        Ok(())
    } else {
        Err(FitError::Degenerate)
    }
}

/// Per-customer histories, revenue by month and cohorts, from purchases sorted by customer and
/// day.
fn summarise(purchases: &[Purchase], today: i32) -> (Vec<History>, Vec<Month>, Vec<Cohort>) {
    let mut histories = Vec::new();
    let first_day = purchases.iter().map(|p| p.day).min();
    let first_month = first_day.map(month_of).unwrap_or(0);
    let last_month = month_of(today);
    // The month of every day in the span, looked up rather than computed per purchase.
    let table_from = first_day.unwrap_or(today);
    let table: Vec<i32> = if today - table_from <= 400_000 {
        (table_from..=today).map(month_of).collect()
    } else {
        Vec::new()
    };
    let month_at = |day: i32| -> i32 {
        usize::try_from(day - table_from)
            .ok()
            .and_then(|k| table.get(k).copied())
            .unwrap_or_else(|| month_of(day))
    };
    let span = usize::try_from(last_month - first_month + 1).unwrap_or(0);
    let mut months: Vec<Month> = (0..span)
        .map(|k| Month {
            month: first_month + k as i32,
            revenue: 0,
            customers: 0,
            new_customers: 0,
        })
        .collect();
    let mut cohorts: Vec<Vec<u32>> = vec![Vec::new(); span];
    let mut i = 0;
    while i < purchases.len() {
        let customer = purchases[i].customer;
        let mut h = History {
            customer,
            days: 0,
            first: purchases[i].day,
            last: purchases[i].day,
            revenue: 0,
            revenue_12m: 0,
            revenue_prev_12m: 0,
            repeat: 0,
        };
        let mut last_month_seen = i32::MIN;
        let cohort = (month_at(h.first) - first_month) as usize;
        while i < purchases.len() && purchases[i].customer == customer {
            let day = purchases[i].day;
            let mut amount = 0i64;
            while i < purchases.len()
                && purchases[i].customer == customer
                && purchases[i].day == day
            {
                amount = amount.saturating_add(purchases[i].amount);
                i += 1;
            }
            h.days += 1;
            h.last = day;
            h.revenue = h.revenue.saturating_add(amount);
            if h.days > 1 {
                h.repeat = h.repeat.saturating_add(amount);
            }
            let age = today - day;
            if age < 365 {
                h.revenue_12m = h.revenue_12m.saturating_add(amount);
            } else if age < 730 {
                h.revenue_prev_12m = h.revenue_prev_12m.saturating_add(amount);
            }
            let m = month_at(day);
            let k = (m - first_month) as usize;
            if let Some(month) = months.get_mut(k) {
                month.revenue = month.revenue.saturating_add(amount);
                if m != last_month_seen {
                    month.customers += 1;
                    if h.days == 1 {
                        month.new_customers += 1;
                    }
                }
            }
            if m != last_month_seen {
                let offset = k - cohort;
                if offset < COHORT_MONTHS {
                    let row = &mut cohorts[cohort];
                    if row.len() <= offset {
                        row.resize(offset + 1, 0);
                    }
                    row[offset] += 1;
                }
                last_month_seen = m;
            }
        }
        histories.push(h);
    }
    let cohorts = cohorts
        .into_iter()
        .enumerate()
        .filter(|(_, row)| !row.is_empty())
        .map(|(k, mut row)| {
            // Every month up to today has a cell, zero when nobody came back.
            let observed = (span - k).min(COHORT_MONTHS);
            row.resize(observed.max(row.len()), 0);
            Cohort {
                month: first_month + k as i32,
                active: row,
            }
        })
        .collect();
    (histories, months, cohorts)
}

fn fen(yuan: f64) -> Option<i64> {
    let f = (yuan * 100.0).round();
    (f.is_finite() && f.abs() < 9e15).then_some(f as i64)
}

fn score(
    h: &History,
    segments: &SegmentCodes,
    rfm_scores: Scores,
    tier: Tier,
    model: Option<(bgnbd::Params, &[f64])>,
    spend: Option<gamma_gamma::Params>,
    options: &Options,
) -> CustomerScore {
    let today = options.today;
    let summary = h.summary(today);
    let alive = model.map(|(p, _)| bgnbd::probability_alive(p, summary));
    // Expected purchases by horizon: 90, 180 and 365 days, then the end of each month.
    let mut expected = [f64::NAN; bgnbd::MANY];
    let mut width = 0;
    if let Some((p, numerators)) = model {
        let d = bgnbd::expected_denominator(p, summary);
        width = numerators.len().min(bgnbd::MANY);
        for (e, n) in expected.iter_mut().zip(numerators) {
            *e = n / d;
        }
    }
    let predicted = width >= 3 && expected[..width].iter().all(|v| v.is_finite());
    let expect = |j: usize| Some(expected[j]).filter(|v| predicted && *v >= 0.0);
    let average = h.average_repeat();
    let spend_value = spend.map(|k| {
        if summary.x > 0.0 && average > 0.0 {
            gamma_gamma::expected_spend(k, summary.x, average)
        } else {
            k.p * k.gamma / (k.q - 1.0)
        }
    });
    let expected_spend = spend_value.and_then(fen).filter(|v| *v >= 0);
    let clv = match spend_value {
        Some(value) if predicted && value.is_finite() && value >= 0.0 => fen(value::discounted(
            &expected[3..width],
            value,
            options.margin,
            options.monthly_discount,
        ))
        .filter(|v| *v >= 0),
        _ => None,
    };
    let since = today - h.last;
    let usual_gap = (h.days > 1).then(|| ((h.last - h.first) / (h.days as i32 - 1)).max(1));
    let overdue = |k: i32| usual_gap.is_some_and(|g| since > k * g);
    let mut reasons = Vec::new();
    if let Some(g) = usual_gap.filter(|_| overdue(2)) {
        reasons.push(Reason::Overdue {
            days: since,
            usual_gap: g,
        });
    }
    if let Some(a) = alive.filter(|a| *a < 0.5 && h.days > 1) {
        reasons.push(Reason::Fading { alive: a });
    }
    if h.days > 1 && h.revenue_prev_12m > 0 && h.revenue_12m * 2 < h.revenue_prev_12m {
        reasons.push(Reason::SpendingDown {
            last: h.revenue_12m,
            before: h.revenue_prev_12m,
        });
    }
    if h.days == 1 && since > 180 {
        reasons.push(Reason::Silent { days: since });
    }
    let fading_fast = h.days > 1 && alive.is_some_and(|a| a < 0.3);
    let risk = if fading_fast || overdue(3) {
        Risk::High
    } else if reasons.is_empty() {
        Risk::Low
    } else {
        Risk::Medium
    };
    let stage = if (h.days > 1 && (fading_fast || (overdue(3) && since >= 90)))
        || (h.days == 1 && since > 365)
    {
        Stage::Decline
    } else if h.days == 1 || today - h.first < 90 {
        Stage::Exploration
    } else if h.days >= 4 {
        Stage::Stability
    } else {
        Stage::Formation
    };
    CustomerScore {
        customer: h.customer,
        purchases: h.days,
        first_day: h.first,
        last_day: h.last,
        revenue: h.revenue,
        revenue_12m: h.revenue_12m,
        historical_value: (h.revenue as f64 * options.margin).round() as i64,
        current_value: (h.revenue_12m as f64 * options.margin).round() as i64,
        rfm: rfm_scores,
        segment: segments.of(rfm_scores),
        tier,
        alive,
        expected_90: expect(0),
        expected_180: expect(1),
        expected_365: expect(2),
        expected_spend,
        clv,
        stage,
        risk,
        reasons,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn day(y: i32, m: u32, d: u32) -> i32 {
        let epoch = chrono::NaiveDate::from_ymd_opt(1970, 1, 1).expect("date");
        let date = chrono::NaiveDate::from_ymd_opt(y, m, d).expect("date");
        (date - epoch).num_days() as i32
    }

    #[test]
    fn months_count_from_year_zero() {
        assert_eq!(month_of(day(2026, 12, 1)), 2026 * 12 + 11);
        assert_eq!(month_of(day(1969, 12, 31)), 1969 * 12 + 11);
    }

    fn p(customer: i64, day: i32, yuan: i64) -> Purchase {
        Purchase {
            customer,
            day,
            amount: yuan * 100,
        }
    }

    #[test]
    fn an_empty_organisation_gives_an_empty_report() {
        let (report, scores) = run(Vec::new(), &Options::new(day(2026, 12, 1)), |_| {});
        assert!(scores.is_empty());
        assert_eq!(report.customers, 0);
        assert_eq!(report.bgnbd.as_ref().err(), Some(&FitError::NoRepeat));
        assert!(report.gini.is_none() && report.lorenz.is_empty() && report.cohorts.is_empty());
    }

    #[test]
    fn everyone_buying_once_on_one_day_gets_scores_without_models() {
        let today = day(2026, 12, 1);
        let bought = day(2026, 6, 1);
        let purchases = (1..=50).map(|c| p(c, bought, 10 + c)).collect();
        let (report, scores) = run(purchases, &Options::new(today), |_| {});
        assert_eq!(scores.len(), 50);
        assert_eq!(report.bgnbd.as_ref().err(), Some(&FitError::NoRepeat));
        assert_eq!(report.spend.as_ref().err(), Some(&FitError::NoRepeat));
        for s in &scores {
            assert_eq!((s.alive, s.clv, s.expected_90), (None, None, None));
            assert_eq!(s.stage, Stage::Exploration);
            assert_eq!(s.rfm.r, 1, "all equally recent: the lowest shared score");
            assert!(s.segment.is_some());
        }
        // Bought today: nothing to fit, still scored.
        let (report, scores) = run(vec![p(1, today, 5)], &Options::new(today), |_| {});
        assert!(report.bgnbd.is_err() && scores.len() == 1);
    }

    #[test]
    fn future_refunded_and_zero_orders_are_left_out_and_counted() {
        let today = day(2026, 12, 1);
        let purchases = vec![
            p(1, today - 10, 100),
            p(1, today + 3, 100),
            p(2, today - 5, 0),
            Purchase {
                customer: 3,
                day: today - 5,
                amount: -500,
            },
        ];
        let (report, scores) = run(purchases, &Options::new(today), |_| {});
        assert_eq!((report.future, report.not_positive), (1, 2));
        assert_eq!(scores.len(), 1);
        assert_eq!(scores[0].revenue, 10_000);
    }

    #[test]
    fn same_day_orders_are_one_purchase_and_values_add_up() {
        let today = day(2026, 12, 1);
        let purchases = vec![
            p(7, day(2024, 1, 5), 100),
            p(7, day(2024, 1, 5), 50),
            p(7, day(2026, 3, 1), 200),
            p(7, day(2026, 11, 20), 300),
        ];
        let (report, scores) = run(purchases, &Options::new(today), |_| {});
        let s = &scores[0];
        assert_eq!(s.purchases, 3);
        assert_eq!(s.revenue, 65_000);
        assert_eq!(s.revenue_12m, 50_000);
        assert_eq!(s.historical_value, 19_500);
        assert_eq!(report.purchases, 4);
        // Cohort of 2024-01: bought in month 0, 26 and 34 after.
        let c = &report.cohorts[0];
        assert_eq!(c.month, 2024 * 12);
        assert_eq!(c.active.len(), 36, "2024-01 to 2026-12");
        assert_eq!(
            (c.active[0], c.active[26], c.active[34], c.active[1]),
            (1, 1, 1, 0)
        );
        let total: i64 = report.months.iter().map(|m| m.revenue).sum();
        assert_eq!(total, 65_000);
    }

    #[test]
    fn pareto_nbd_is_fitted_on_a_sample_beside_bgnbd() {
        let plan = crate::simulate::Plan {
            customers: 30_000,
            ..crate::simulate::Plan::default()
        };
        let purchases: Vec<Purchase> = crate::simulate::transactions(&plan)
            .expect("plan")
            .map(|t| Purchase {
                customer: t.customer,
                day: t.day,
                amount: t.amount_fen,
            })
            .collect();
        let today = plan.start_day + plan.days - 1;
        let (report, _) = run(purchases, &Options::new(today), |_| {});
        let c = report.pareto.expect("pareto");
        assert!(
            c.sample <= PARETO_SAMPLE && c.sample >= PARETO_SAMPLE * 9 / 10,
            "{}",
            c.sample
        );
        let p = c.fit.params;
        for v in [
            p.r,
            p.alpha,
            p.s,
            p.beta,
            c.fit.log_likelihood,
            c.bgnbd_log_likelihood,
        ] {
            assert!(v.is_finite(), "{c:?}");
        }
        // Data made by the BG/NBD process: Pareto/NBD explains it about as well, not better
        // by much, and its purchase rate (r/α) agrees with BG/NBD's.
        assert!(
            (c.fit.log_likelihood - c.bgnbd_log_likelihood).abs()
                < 0.02 * c.bgnbd_log_likelihood.abs(),
            "{c:?}"
        );
        let bg = report.bgnbd.expect("bgnbd").params;
        let rate = |r: f64, a: f64| r / a;
        assert!(
            (rate(p.r, p.alpha) / rate(bg.r, bg.alpha) - 1.0).abs() < 0.25,
            "{c:?} {bg:?}"
        );
        // Switched off, it is not fitted.
        let off = Options {
            pareto: false,
            ..Options::new(today)
        };
        let (report, _) = run(
            vec![
                Purchase {
                    customer: 1,
                    day: today - 9,
                    amount: 5,
                },
                Purchase {
                    customer: 1,
                    day: today - 2,
                    amount: 5,
                },
            ],
            &off,
            |_| {},
        );
        assert!(report.pareto.is_err());
    }

    #[test]
    fn stages_and_risks_follow_their_rules() {
        let today = day(2026, 12, 1);
        let mut purchases = Vec::new();
        // 1: monthly buyer, still buying (stability, low risk).
        for k in 0..24 {
            purchases.push(p(1, today - 5 - 30 * k, 100));
        }
        // 2: monthly buyer who stopped a year ago (decline, high).
        for k in 0..12 {
            purchases.push(p(2, today - 400 - 30 * k, 100));
        }
        // 3: two purchases, the last recent (formation).
        purchases.push(p(3, today - 200, 80));
        purchases.push(p(3, today - 20, 80));
        // 4: one purchase two years ago (decline, silent).
        purchases.push(p(4, today - 700, 50));
        // 5: one purchase last week (exploration).
        purchases.push(p(5, today - 7, 50));
        // Background buyers so that the models have a population to learn from.
        for c in 100..400 {
            let n = c % 5;
            for k in 0..=n {
                purchases.push(p(
                    c,
                    today - 600 + (c as i32 % 50) + 90 * k as i32,
                    20 + c % 30,
                ));
            }
        }
        let (report, scores) = run(purchases, &Options::new(today), |_| {});
        assert!(report.bgnbd.is_ok(), "{:?}", report.bgnbd);
        let of = |c: i64| scores.iter().find(|s| s.customer == c).expect("scored");
        assert_eq!((of(1).stage, of(1).risk), (Stage::Stability, Risk::Low));
        assert_eq!((of(2).stage, of(2).risk), (Stage::Decline, Risk::High));
        assert!(of(2).reasons.iter().any(|r| r.code() == "overdue"));
        assert!(of(2).alive.expect("alive") < of(1).alive.expect("alive"));
        assert_eq!(of(3).stage, Stage::Formation);
        assert_eq!(of(4).stage, Stage::Decline);
        assert_eq!(of(4).reasons, vec![Reason::Silent { days: 700 }]);
        assert_eq!((of(5).stage, of(5).risk), (Stage::Exploration, Risk::Low));
        // The loyal buyer is worth more than the lapsed one.
        assert!(of(1).clv.expect("clv") > of(2).clv.expect("clv"));
        assert!(of(1).expected_365.expect("e") > of(1).expected_90.expect("e"));
        for s in &scores {
            for v in [s.alive, s.expected_90, s.expected_180, s.expected_365] {
                assert!(v.is_none_or(|v| v.is_finite() && v >= 0.0));
            }
        }
    }
}

//! Customer scores written back by the decision-support models (辅助决策): the runs, each
//! customer's latest scores and their history. The numbers are `guanxi-analytics`'s; the store
//! keeps them as codes and plain values.

use chrono::{DateTime, NaiveDate, Utc};
use guanxi_core::{CustomerId, OrgId, ScoreRunId, UserId};
use serde::{Deserialize, Serialize};
use serde_json::Value;

/// One paid purchase as the models read it: placed at `placed_at` (microseconds since the
/// epoch), `total` in fen of the organisation's currency.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct PurchaseFact {
    pub customer: CustomerId,
    pub placed_at: i64,
    pub total: i64,
}

/// What [`crate::Store::analysis_purchases`] read.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Purchases {
    pub facts: Vec<PurchaseFact>,
    /// Orders left out because they are in another currency than the organisation's.
    pub other_currency: u64,
}

/// The scores of one customer from one run. Money in fen; days as dates.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct CustomerScore {
    pub customer: CustomerId,
    pub purchases: u32,
    pub first_purchase: NaiveDate,
    pub last_purchase: NaiveDate,
    pub revenue: i64,
    pub revenue_12m: i64,
    /// 历史价值 (margin to date) and 当前价值 (margin of the last 12 months).
    pub historical_value: i64,
    pub current_value: i64,
    pub r: u8,
    pub f: u8,
    pub m: u8,
    pub segment: Option<String>,
    /// `A`, `B` or `C`.
    pub tier: String,
    pub alive: Option<f64>,
    pub expected_90: Option<f64>,
    pub expected_180: Option<f64>,
    pub expected_365: Option<f64>,
    pub expected_spend: Option<i64>,
    /// 潜在价值: lifetime value over the run's horizon.
    pub clv: Option<i64>,
    /// Lifecycle stage code (exploration, formation, stability, decline).
    pub stage: String,
    /// Churn risk (low, medium, high) and its reasons (a JSON array of `{code, …}`).
    pub risk: String,
    pub reasons: Value,
}

/// A customer's stored scores: the latest run's, with where they stood the run before.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct StoredScore {
    #[serde(flatten)]
    pub score: CustomerScore,
    pub run: ScoreRunId,
    pub computed_at: DateTime<Utc>,
    pub prev_segment: Option<String>,
    pub prev_tier: Option<String>,
    pub prev_stage: Option<String>,
}

/// One step of a customer's movement: written when the segment, tier, stage or risk changed
/// (and on the first run that scored them).
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct ScoreChange {
    pub run: ScoreRunId,
    pub computed_at: DateTime<Utc>,
    pub segment: Option<String>,
    pub tier: String,
    pub stage: String,
    pub risk: String,
    pub clv: Option<i64>,
}

/// A finished run: when, for which day, how much it read, and its report (fits, tier shares,
/// Lorenz curve, revenue by month, cohorts, timings) as JSON for the dashboards.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct ScoreRun {
    pub id: ScoreRunId,
    pub org: OrgId,
    pub created_by: Option<UserId>,
    pub as_of: NaiveDate,
    pub started_at: DateTime<Utc>,
    pub finished_at: DateTime<Utc>,
    pub customers: u64,
    pub purchases: u64,
    pub report: Value,
}

/// A run to record with its scores.
#[derive(Clone, Debug)]
pub struct NewScoreRun {
    pub as_of: NaiveDate,
    pub started_at: DateTime<Utc>,
    pub purchases: u64,
    pub report: Value,
}

/// What [`crate::Store::save_scores`] wrote.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct ScoreWrite {
    pub scored: u64,
    /// Customers whose segment, tier, stage or risk moved (or who were scored the first time).
    pub changed: u64,
    /// Customers scored before and not now (their purchases were refunded, or they were
    /// merged or deleted): their scores are removed.
    pub removed: u64,
}

/// The dimensions the dashboards count customers by.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum ScoreDim {
    Segment,
    Tier,
    Stage,
    Risk,
    /// The RFM grid: recency score × frequency score.
    RecencyFrequency,
    /// Segment migration: the segment the run before → now.
    Migration,
    /// Lifetime value in bands (see [`CLV_BANDS`]).
    ClvBand,
}

impl ScoreDim {
    pub fn parse(s: &str) -> Option<Self> {
        Some(match s {
            "segment" => Self::Segment,
            "tier" => Self::Tier,
            "stage" => Self::Stage,
            "risk" => Self::Risk,
            "rf" => Self::RecencyFrequency,
            "migration" => Self::Migration,
            "clv" => Self::ClvBand,
            _ => return None,
        })
    }
}

/// Lower bounds (fen) of the lifetime-value bands: under ¥10, ¥10–100, ¥100–1,000, …
pub const CLV_BANDS: [i64; 6] = [0, 1_000, 10_000, 100_000, 1_000_000, 10_000_000];

/// One cell of a count: its key(s), customers, their revenue and lifetime value (fen).
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct ScoreCount {
    pub key: String,
    /// The second key of two-dimensional counts (the F score of the RFM grid, the current
    /// segment of a migration).
    pub key2: Option<String>,
    pub customers: u64,
    pub revenue: i64,
    pub clv: i64,
}

/// Filters over the written-back scores, for the customer list and drill-downs.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct ScoreFilter {
    pub segment: Option<String>,
    pub tier: Option<String>,
    pub stage: Option<String>,
    pub risk: Option<String>,
    pub r: Option<u8>,
    pub f: Option<u8>,
    /// The segment the run before (segment migration drill-down).
    pub prev_segment: Option<String>,
    /// Lifetime value at least / below, in fen.
    pub clv_min: Option<i64>,
    pub clv_below: Option<i64>,
    /// The cohort: customers whose first purchase falls in the month starting on this day.
    pub cohort: Option<NaiveDate>,
}

impl ScoreFilter {
    pub fn is_empty(&self) -> bool {
        *self == Self::default()
    }
}

/// One named RFM segment of an organisation's map: the customers whose recency and frequency
/// scores (1–5) fall in both ranges, inclusive. The first segment of the map that holds a
/// customer's scores names them.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct SegmentDef {
    pub code: String,
    pub name_zh: String,
    pub name_en: String,
    pub r: (u8, u8),
    pub f: (u8, u8),
}

/// An organisation's own segment map, when it keeps one.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct SavedSegmentMap {
    pub segments: Vec<SegmentDef>,
    pub updated_at: DateTime<Utc>,
    pub updated_by: Option<UserId>,
}

//! Decision support: reading purchases for the customer-value models and writing their scores
//! back — the run, every customer's latest scores and the history of their movement — in one
//! transaction, and the counts the dashboards draw.

use crate::bulk::{insert_rows, opt_s};
use crate::codec::{i64_of, micros_to_time, now_micros, opt_i64, opt_str, str_of, time_to_micros};
use crate::customers::{Arg, Filter};
use crate::events::emit;
use crate::{db_err, Row, SqlStore};
use chrono::NaiveDate;
use guanxi_core::{CustomerId, OrgId, Reason, ScoreRunId, UserId};
use guanxi_store::{
    Ctx, CustomerScore, NewScoreRun, PurchaseFact, Purchases, SavedSegmentMap, ScoreChange,
    ScoreCount, ScoreDim, ScoreFilter, ScoreRun, ScoreWrite, SegmentDef, StoreError, StoredScore,
    CLV_BANDS,
};
use serde_json::{json, Value};
use sqlx::Row as _;
use std::collections::HashMap;

/// Orders read per page.
const PAGE: i64 = 50_000;
/// Customers whose score rows are built and written at a time.
const WRITE_CHUNK: usize = 5_000;

const SCORE_COLS: &str = "customer_id, org_id, run_id, computed_at, purchases, first_purchase, \
    last_purchase, revenue, revenue_12m, historical_value, current_value, r, f, m, segment, tier, \
    alive, expected_90, expected_180, expected_365, expected_spend, clv, stage, risk, reasons, \
    prev_segment, prev_tier, prev_stage";

const RUN_COLS: &str =
    "id, org_id, created_by, as_of, started_at, finished_at, customers, purchases, report";

fn date_of(r: &Row, col: &str) -> Result<NaiveDate, StoreError> {
    let s = str_of(r, col)?;
    NaiveDate::parse_from_str(&s, "%Y-%m-%d")
        .map_err(|e| StoreError::Internal(format!("{col} {s:?}: {e}")))
}

fn opt_f64(r: &Row, col: &str) -> Result<Option<f64>, StoreError> {
    r.try_get::<Option<f64>, _>(col)
        .map_err(|e| StoreError::Internal(format!("{col}: {e}")))
}

fn u8_of(r: &Row, col: &str) -> Result<u8, StoreError> {
    u8::try_from(i64_of(r, col)?).map_err(|e| StoreError::Internal(format!("{col}: {e}")))
}

fn json_col(r: &Row, col: &str) -> Result<Value, StoreError> {
    serde_json::from_str(&str_of(r, col)?).map_err(|e| StoreError::Internal(format!("{col}: {e}")))
}

fn run_of(r: &Row) -> Result<ScoreRun, StoreError> {
    Ok(ScoreRun {
        id: ScoreRunId(i64_of(r, "id")?),
        org: OrgId(i64_of(r, "org_id")?),
        created_by: opt_i64(r, "created_by")?.map(UserId),
        as_of: date_of(r, "as_of")?,
        started_at: micros_to_time(i64_of(r, "started_at")?),
        finished_at: micros_to_time(i64_of(r, "finished_at")?),
        customers: u64::try_from(i64_of(r, "customers")?).unwrap_or(0),
        purchases: u64::try_from(i64_of(r, "purchases")?).unwrap_or(0),
        report: json_col(r, "report")?,
    })
}

fn stored_of(r: &Row) -> Result<StoredScore, StoreError> {
    Ok(StoredScore {
        score: CustomerScore {
            customer: CustomerId(i64_of(r, "customer_id")?),
            purchases: u32::try_from(i64_of(r, "purchases")?).unwrap_or(0),
            first_purchase: date_of(r, "first_purchase")?,
            last_purchase: date_of(r, "last_purchase")?,
            revenue: i64_of(r, "revenue")?,
            revenue_12m: i64_of(r, "revenue_12m")?,
            historical_value: i64_of(r, "historical_value")?,
            current_value: i64_of(r, "current_value")?,
            r: u8_of(r, "r")?,
            f: u8_of(r, "f")?,
            m: u8_of(r, "m")?,
            segment: opt_str(r, "segment")?,
            tier: str_of(r, "tier")?,
            alive: opt_f64(r, "alive")?,
            expected_90: opt_f64(r, "expected_90")?,
            expected_180: opt_f64(r, "expected_180")?,
            expected_365: opt_f64(r, "expected_365")?,
            expected_spend: opt_i64(r, "expected_spend")?,
            clv: opt_i64(r, "clv")?,
            stage: str_of(r, "stage")?,
            risk: str_of(r, "risk")?,
            reasons: json_col(r, "reasons")?,
        },
        run: ScoreRunId(i64_of(r, "run_id")?),
        computed_at: micros_to_time(i64_of(r, "computed_at")?),
        prev_segment: opt_str(r, "prev_segment")?,
        prev_tier: opt_str(r, "prev_tier")?,
        prev_stage: opt_str(r, "prev_stage")?,
    })
}

fn opt_f(v: Option<f64>) -> Arg {
    match v.filter(|v| v.is_finite()) {
        Some(v) => Arg::F(v),
        None => Arg::NF,
    }
}

fn opt_i(v: Option<i64>) -> Arg {
    v.map_or(Arg::N, Arg::I)
}

/// The conditions of a score filter on the scores aliased `s`.
pub(crate) fn score_conds(f: &mut Filter, sf: &ScoreFilter) -> Vec<String> {
    let mut out = Vec::new();
    let texts = [
        ("s.segment", &sf.segment),
        ("s.tier", &sf.tier),
        ("s.stage", &sf.stage),
        ("s.risk", &sf.risk),
        ("s.prev_segment", &sf.prev_segment),
    ];
    for (col, v) in texts {
        if let Some(v) = v {
            let p = f.arg(Arg::S(v.clone()));
            out.push(format!("{col} = {p}"));
        }
    }
    for (col, v) in [("s.r", sf.r), ("s.f", sf.f)] {
        if let Some(v) = v {
            let p = f.arg(Arg::I(i64::from(v)));
            out.push(format!("{col} = {p}"));
        }
    }
    if let Some(v) = sf.clv_min {
        let p = f.arg(Arg::I(v));
        out.push(format!("s.clv >= {p}"));
    }
    if let Some(v) = sf.clv_below {
        let p = f.arg(Arg::I(v));
        out.push(format!("s.clv < {p}"));
    }
    if let Some(month) = sf.cohort {
        let next = month
            .checked_add_months(chrono::Months::new(1))
            .unwrap_or(NaiveDate::MAX);
        let from = f.arg(Arg::S(month.format("%Y-%m-%d").to_string()));
        let to = f.arg(Arg::S(next.format("%Y-%m-%d").to_string()));
        out.push(format!(
            "s.first_purchase >= {from} AND s.first_purchase < {to}"
        ));
    }
    out
}

/// Keep the customers (aliased `c`) whose scores pass the filter.
pub(crate) fn filter_customers(f: &mut Filter, org: OrgId, sf: &ScoreFilter) {
    if sf.is_empty() {
        return;
    }
    let po = f.arg(Arg::I(org.get()));
    let mut conds = vec![format!("s.org_id = {po}")];
    conds.extend(score_conds(f, sf));
    f.cond(format!(
        "c.id IN (SELECT s.customer_id FROM customer_scores s WHERE {})",
        conds.join(" AND ")
    ));
}

/// Small integer codes for the few distinct segment, tier, stage and risk strings, so that a
/// million customers' previous scores fit in a few bytes each.
#[derive(Default)]
struct Codes(Vec<Option<String>>);

impl Codes {
    fn of(&mut self, v: Option<&str>) -> u16 {
        if let Some(i) = self.0.iter().position(|s| s.as_deref() == v) {
            return i as u16;
        }
        self.0.push(v.map(str::to_owned));
        (self.0.len() - 1) as u16
    }
    fn get(&self, code: u16) -> Option<String> {
        self.0.get(usize::from(code)).cloned().flatten()
    }
}

impl SqlStore {
    pub(crate) async fn analysis_purchases_impl(&self, ctx: Ctx) -> Result<Purchases, StoreError> {
        let mut conn = self.pool.acquire().await.map_err(db_err)?;
        let org = ctx.org.get();
        let currency: String =
            sqlx::query_scalar("SELECT currency FROM organisations WHERE id = $1")
                .bind(org)
                .fetch_optional(&mut *conn)
                .await
                .map_err(db_err)?
                .ok_or(StoreError::NotFound {
                    entity: "organisation",
                })?;
        let mut live: Vec<i64> =
            sqlx::query_scalar("SELECT id FROM customers WHERE org_id = $1 AND deleted_at IS NULL")
                .bind(org)
                .fetch_all(&mut *conn)
                .await
                .map_err(db_err)?;
        live.sort_unstable();
        let mut out = Purchases::default();
        let mut after = 0i64;
        loop {
            let rows = sqlx::query(
                "SELECT id, customer_id, placed_at, total, currency FROM orders \
                 WHERE org_id = $1 AND id > $2 AND status IN ('paid', 'shipped', 'completed') \
                 ORDER BY id LIMIT $3",
            )
            .bind(org)
            .bind(after)
            .bind(PAGE)
            .fetch_all(&mut *conn)
            .await
            .map_err(db_err)?;
            let Some(last) = rows.last() else { break };
            after = i64_of(last, "id")?;
            for r in &rows {
                let customer = i64_of(r, "customer_id")?;
                if live.binary_search(&customer).is_err() {
                    continue;
                }
                if str_of(r, "currency")? != currency {
                    out.other_currency += 1;
                    continue;
                }
                out.facts.push(PurchaseFact {
                    customer: CustomerId(customer),
                    placed_at: i64_of(r, "placed_at")?,
                    total: i64_of(r, "total")?,
                });
            }
            if (rows.len() as i64) < PAGE {
                break;
            }
        }
        Ok(out)
    }

    pub(crate) async fn save_scores_impl(
        &self,
        ctx: Ctx,
        run: NewScoreRun,
        scores: Vec<CustomerScore>,
    ) -> Result<(ScoreRun, ScoreWrite), StoreError> {
        for (i, s) in scores.iter().enumerate() {
            if ![s.r, s.f, s.m].iter().all(|v| (1..=5).contains(v)) {
                return Err(StoreError::invalid(
                    format!("scores[{i}].rfm"),
                    Reason::OutOfRange { min: 1, max: 5 },
                ));
            }
        }
        let org = ctx.org.get();
        let now = now_micros();
        let mut tx = self.begin_write().await?;
        let mut live: Vec<i64> =
            sqlx::query_scalar("SELECT id FROM customers WHERE org_id = $1 AND deleted_at IS NULL")
                .bind(org)
                .fetch_all(&mut *tx)
                .await
                .map_err(db_err)?;
        live.sort_unstable();
        // Scores only for live customers of this organisation (one deleted or merged since
        // its purchases were read is left out).
        let scores: Vec<CustomerScore> = scores
            .into_iter()
            .filter(|s| live.binary_search(&s.customer.get()).is_ok())
            .collect();
        drop(live);

        let mut codes = Codes::default();
        let mut before: HashMap<i64, [u16; 4]> = HashMap::new();
        {
            let rows = sqlx::query(
                "SELECT customer_id, segment, tier, stage, risk FROM customer_scores WHERE org_id = $1",
            )
            .bind(org)
            .fetch_all(&mut *tx)
            .await
            .map_err(db_err)?;
            for r in &rows {
                let seg = opt_str(r, "segment")?;
                let key = [
                    codes.of(seg.as_deref()),
                    codes.of(Some(&str_of(r, "tier")?)),
                    codes.of(Some(&str_of(r, "stage")?)),
                    codes.of(Some(&str_of(r, "risk")?)),
                ];
                before.insert(i64_of(r, "customer_id")?, key);
            }
        }

        let report = serde_json::to_string(&run.report)
            .map_err(|e| StoreError::Internal(format!("report: {e}")))?;
        let run_id: i64 = sqlx::query_scalar(
            "INSERT INTO score_runs (org_id, created_by, as_of, started_at, finished_at, customers, purchases, report) \
             VALUES ($1, $2, $3, $4, $5, $6, $7, $8) RETURNING id",
        )
        .bind(org)
        .bind(ctx.actor.map(UserId::get))
        .bind(run.as_of.format("%Y-%m-%d").to_string())
        .bind(time_to_micros(run.started_at))
        .bind(now)
        .bind(i64::try_from(scores.len()).unwrap_or(i64::MAX))
        .bind(i64::try_from(run.purchases).unwrap_or(i64::MAX))
        .bind(report)
        .fetch_one(&mut *tx)
        .await
        .map_err(db_err)?;

        let mut write = ScoreWrite {
            scored: scores.len() as u64,
            ..ScoreWrite::default()
        };
        sqlx::query("DELETE FROM customer_scores WHERE org_id = $1")
            .bind(org)
            .execute(&mut *tx)
            .await
            .map_err(db_err)?;
        // Rows are built and written a slice at a time (still in the one transaction), so a
        // million customers never sit in memory as bound arguments at once.
        for part in scores.chunks(WRITE_CHUNK) {
            let mut rows = Vec::with_capacity(part.len());
            let mut history = Vec::new();
            for s in part {
                let cid = s.customer.get();
                let prev = before.remove(&cid);
                let now_key = [
                    codes.of(s.segment.as_deref()),
                    codes.of(Some(&s.tier)),
                    codes.of(Some(&s.stage)),
                    codes.of(Some(&s.risk)),
                ];
                if prev != Some(now_key) {
                    write.changed += 1;
                    history.push(vec![
                        Arg::I(org),
                        Arg::I(cid),
                        Arg::I(run_id),
                        Arg::I(now),
                        opt_s(&s.segment),
                        Arg::S(s.tier.clone()),
                        Arg::S(s.stage.clone()),
                        Arg::S(s.risk.clone()),
                        opt_i(s.clv),
                    ]);
                }
                let old = |k: usize| prev.and_then(|p| codes.get(p[k]));
                rows.push(vec![
                    Arg::I(cid),
                    Arg::I(org),
                    Arg::I(run_id),
                    Arg::I(now),
                    Arg::I(i64::from(s.purchases)),
                    Arg::S(s.first_purchase.format("%Y-%m-%d").to_string()),
                    Arg::S(s.last_purchase.format("%Y-%m-%d").to_string()),
                    Arg::I(s.revenue),
                    Arg::I(s.revenue_12m),
                    Arg::I(s.historical_value),
                    Arg::I(s.current_value),
                    Arg::I(i64::from(s.r)),
                    Arg::I(i64::from(s.f)),
                    Arg::I(i64::from(s.m)),
                    opt_s(&s.segment),
                    Arg::S(s.tier.clone()),
                    opt_f(s.alive),
                    opt_f(s.expected_90),
                    opt_f(s.expected_180),
                    opt_f(s.expected_365),
                    opt_i(s.expected_spend),
                    opt_i(s.clv),
                    Arg::S(s.stage.clone()),
                    Arg::S(s.risk.clone()),
                    Arg::S(s.reasons.to_string()),
                    opt_s(&old(0)),
                    opt_s(&old(1)),
                    opt_s(&old(2)),
                ]);
            }
            insert_rows(
                &mut tx,
                self.backend,
                &format!("INSERT INTO customer_scores ({SCORE_COLS})"),
                &rows,
                false,
            )
            .await?;
            insert_rows(
                &mut tx,
                self.backend,
                "INSERT INTO score_history (org_id, customer_id, run_id, computed_at, segment, tier, stage, risk, clv)",
                &history,
                false,
            )
            .await?;
        }
        write.removed = before.len() as u64;
        drop(before);
        emit(
            &mut tx,
            self.backend,
            ctx,
            "customers.scored",
            "score_run",
            run_id,
            &json!({
                "as_of": run.as_of,
                "scored": write.scored,
                "changed": write.changed,
                "removed": write.removed,
            }),
        )
        .await?;
        let stored = sqlx::query(&format!("SELECT {RUN_COLS} FROM score_runs WHERE id = $1"))
            .bind(run_id)
            .fetch_one(&mut *tx)
            .await
            .map_err(db_err)?;
        let stored = run_of(&stored)?;
        tx.commit().await.map_err(db_err)?;
        Ok((stored, write))
    }

    pub(crate) async fn score_runs_impl(
        &self,
        ctx: Ctx,
        limit: u32,
    ) -> Result<Vec<ScoreRun>, StoreError> {
        let rows = sqlx::query(&format!(
            "SELECT {RUN_COLS} FROM score_runs WHERE org_id = $1 ORDER BY id DESC LIMIT $2"
        ))
        .bind(ctx.org.get())
        .bind(i64::from(limit.clamp(1, 1000)))
        .fetch_all(&self.pool)
        .await
        .map_err(db_err)?;
        rows.iter().map(run_of).collect()
    }

    pub(crate) async fn customer_score_impl(
        &self,
        ctx: Ctx,
        id: CustomerId,
    ) -> Result<Option<StoredScore>, StoreError> {
        let mut conn = self.pool.acquire().await.map_err(db_err)?;
        crate::customers::load(&mut conn, ctx.org, ctx.reach, id, false).await?;
        let row = sqlx::query(&format!(
            "SELECT {SCORE_COLS} FROM customer_scores WHERE org_id = $1 AND customer_id = $2"
        ))
        .bind(ctx.org.get())
        .bind(id.get())
        .fetch_optional(&mut *conn)
        .await
        .map_err(db_err)?;
        row.as_ref().map(stored_of).transpose()
    }

    pub(crate) async fn score_history_impl(
        &self,
        ctx: Ctx,
        id: CustomerId,
    ) -> Result<Vec<ScoreChange>, StoreError> {
        let mut conn = self.pool.acquire().await.map_err(db_err)?;
        crate::customers::load(&mut conn, ctx.org, ctx.reach, id, false).await?;
        let rows = sqlx::query(
            "SELECT run_id, computed_at, segment, tier, stage, risk, clv FROM score_history \
             WHERE org_id = $1 AND customer_id = $2 ORDER BY id LIMIT 1000",
        )
        .bind(ctx.org.get())
        .bind(id.get())
        .fetch_all(&mut *conn)
        .await
        .map_err(db_err)?;
        rows.iter()
            .map(|r| {
                Ok(ScoreChange {
                    run: ScoreRunId(i64_of(r, "run_id")?),
                    computed_at: micros_to_time(i64_of(r, "computed_at")?),
                    segment: opt_str(r, "segment")?,
                    tier: str_of(r, "tier")?,
                    stage: str_of(r, "stage")?,
                    risk: str_of(r, "risk")?,
                    clv: opt_i64(r, "clv")?,
                })
            })
            .collect()
    }

    pub(crate) async fn score_counts_impl(
        &self,
        ctx: Ctx,
        by: ScoreDim,
        filter: ScoreFilter,
    ) -> Result<Vec<ScoreCount>, StoreError> {
        let mut f = Filter::new(ctx.org);
        f.cond("c.deleted_at IS NULL".into());
        f.reach(ctx.org, ctx.reach);
        let po = f.arg(Arg::I(ctx.org.get()));
        f.cond(format!("s.org_id = {po}"));
        for c in score_conds(&mut f, &filter) {
            f.cond(c);
        }
        let band = {
            let mut case = String::from("CASE WHEN s.clv IS NULL THEN 'none'");
            for w in CLV_BANDS.windows(2).rev() {
                case.push_str(&format!(" WHEN s.clv >= {} THEN '{}'", w[1], w[1]));
            }
            case.push_str(&format!(" ELSE '{}' END", CLV_BANDS[0]));
            case
        };
        let (k1, k2) = match by {
            ScoreDim::Segment => ("COALESCE(s.segment, '')".to_owned(), "''".to_owned()),
            ScoreDim::Tier => ("s.tier".to_owned(), "''".to_owned()),
            ScoreDim::Stage => ("s.stage".to_owned(), "''".to_owned()),
            ScoreDim::Risk => ("s.risk".to_owned(), "''".to_owned()),
            ScoreDim::RecencyFrequency => (
                "CAST(s.r AS TEXT)".to_owned(),
                "CAST(s.f AS TEXT)".to_owned(),
            ),
            ScoreDim::Migration => (
                "COALESCE(s.prev_segment, '')".to_owned(),
                "COALESCE(s.segment, '')".to_owned(),
            ),
            ScoreDim::ClvBand => (band, "''".to_owned()),
        };
        let sql = format!(
            "SELECT {k1} AS k1, {k2} AS k2, COUNT(*) AS n, CAST(SUM(s.revenue) AS BIGINT) AS revenue, \
             CAST(SUM(COALESCE(s.clv, 0)) AS BIGINT) AS clv \
             FROM customer_scores s JOIN customers c ON c.id = s.customer_id \
             WHERE {} GROUP BY 1, 2 ORDER BY 1, 2",
            f.where_sql()
        );
        let rows = f
            .bind_all(sqlx::query(&sql))
            .fetch_all(&self.pool)
            .await
            .map_err(db_err)?;
        rows.iter()
            .map(|r| {
                let k2 = str_of(r, "k2")?;
                Ok(ScoreCount {
                    key: str_of(r, "k1")?,
                    key2: (by == ScoreDim::RecencyFrequency || by == ScoreDim::Migration)
                        .then_some(k2),
                    customers: u64::try_from(i64_of(r, "n")?).unwrap_or(0),
                    revenue: opt_i64(r, "revenue")?.unwrap_or(0),
                    clv: opt_i64(r, "clv")?.unwrap_or(0),
                })
            })
            .collect()
    }
}

impl SqlStore {
    pub(crate) async fn segment_map_impl(
        &self,
        ctx: Ctx,
    ) -> Result<Option<SavedSegmentMap>, StoreError> {
        let row = sqlx::query(
            "SELECT segments, updated_at, updated_by FROM segment_maps WHERE org_id = $1",
        )
        .bind(ctx.org.get())
        .fetch_optional(&self.pool)
        .await
        .map_err(db_err)?;
        row.map(|r| {
            Ok(SavedSegmentMap {
                segments: serde_json::from_str(&str_of(&r, "segments")?)
                    .map_err(|e| StoreError::Internal(format!("segment map: {e}")))?,
                updated_at: micros_to_time(i64_of(&r, "updated_at")?),
                updated_by: opt_i64(&r, "updated_by")?.map(UserId),
            })
        })
        .transpose()
    }

    pub(crate) async fn save_segment_map_impl(
        &self,
        ctx: Ctx,
        segments: Option<Vec<SegmentDef>>,
    ) -> Result<Option<SavedSegmentMap>, StoreError> {
        let org = ctx.org.get();
        let now = now_micros();
        let mut tx = self.begin_write().await?;
        sqlx::query("DELETE FROM segment_maps WHERE org_id = $1")
            .bind(org)
            .execute(&mut *tx)
            .await
            .map_err(db_err)?;
        let saved = match segments {
            Some(segments) => {
                let text = serde_json::to_string(&segments)
                    .map_err(|e| StoreError::Internal(format!("segment map: {e}")))?;
                sqlx::query(
                    "INSERT INTO segment_maps (org_id, segments, updated_at, updated_by) \
                     VALUES ($1, $2, $3, $4)",
                )
                .bind(org)
                .bind(&text)
                .bind(now)
                .bind(ctx.actor.map(UserId::get))
                .execute(&mut *tx)
                .await
                .map_err(db_err)?;
                Some(SavedSegmentMap {
                    segments,
                    updated_at: micros_to_time(now),
                    updated_by: ctx.actor,
                })
            }
            None => None,
        };
        let codes: Vec<&str> = saved
            .iter()
            .flat_map(|m| m.segments.iter().map(|s| s.code.as_str()))
            .collect();
        emit(
            &mut tx,
            self.backend,
            ctx,
            if saved.is_some() {
                "segments.saved"
            } else {
                "segments.reset"
            },
            "organisation",
            org,
            &json!({ "codes": codes }),
        )
        .await?;
        tx.commit().await.map_err(db_err)?;
        Ok(saved)
    }
}

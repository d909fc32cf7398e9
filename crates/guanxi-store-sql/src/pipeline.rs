//! Pipelines and opportunities: the kanban board, moves through stages with their history.

use crate::codec::{
    date_to_str, enum_of, i64_of, now_micros, opt_date, opt_i64, opt_str, opt_time, str_of, time_of,
};
use crate::customers::{within_reach, Arg, Filter};
use crate::events::emit;
use crate::{conflict_on, db_err, SqlStore};
use guanxi_core::pipeline::{OpportunityStatus, StageKind};
use guanxi_core::{
    Currency, CustomerId, OpportunityId, OrgId, PipelineId, Reason, StageId, UserId,
};
use guanxi_store::{
    BoardColumn, Ctx, Forecast, ForecastRow, NewOpportunity, NewPipeline, Opportunity, Pipeline,
    Stage, StoreError,
};
use serde_json::json;
use sqlx::AnyConnection;

const OPP_COLS: &str = "o.id, o.customer_id, c.name AS customer_name, o.pipeline_id, o.stage_id, \
    o.name, o.amount, o.currency, o.expected_close, o.owner_id, o.status, o.close_reason, \
    o.closed_at, o.stage_since, o.version, o.created_at, o.updated_at";
const OPP_FROM: &str = "opportunities o JOIN customers c ON c.id = o.customer_id";

fn opp_from(r: &crate::Row) -> Result<Opportunity, StoreError> {
    Ok(Opportunity {
        id: OpportunityId(i64_of(r, "id")?),
        customer_id: CustomerId(i64_of(r, "customer_id")?),
        customer_name: str_of(r, "customer_name")?,
        pipeline_id: PipelineId(i64_of(r, "pipeline_id")?),
        stage_id: StageId(i64_of(r, "stage_id")?),
        name: str_of(r, "name")?,
        amount: i64_of(r, "amount")?,
        currency: Currency::parse(&str_of(r, "currency")?)
            .map_err(|_| StoreError::Internal("bad currency in opportunities".into()))?,
        expected_close: opt_date(r, "expected_close")?,
        owner_id: opt_i64(r, "owner_id")?.map(UserId),
        status: enum_of(r, "status", OpportunityStatus::parse)?,
        close_reason: opt_str(r, "close_reason")?,
        closed_at: opt_time(r, "closed_at")?,
        stage_since: time_of(r, "stage_since")?,
        version: i64_of(r, "version")?,
        created_at: time_of(r, "created_at")?,
        updated_at: time_of(r, "updated_at")?,
    })
}

fn stage_from(r: &crate::Row) -> Result<Stage, StoreError> {
    Ok(Stage {
        id: StageId(i64_of(r, "id")?),
        position: i64_of(r, "position")?,
        name: str_of(r, "name")?,
        probability: i64_of(r, "probability")?,
        kind: enum_of(r, "kind", StageKind::parse)?,
    })
}

async fn stages_of(
    conn: &mut AnyConnection,
    org: OrgId,
    pipeline: PipelineId,
) -> Result<Vec<Stage>, StoreError> {
    let rows = sqlx::query(
        "SELECT id, position, name, probability, kind FROM pipeline_stages \
         WHERE org_id = $1 AND pipeline_id = $2 ORDER BY position",
    )
    .bind(org.get())
    .bind(pipeline.get())
    .fetch_all(&mut *conn)
    .await
    .map_err(db_err)?;
    rows.iter().map(stage_from).collect()
}

/// Insert a pipeline with its stages inside the caller's transaction.
pub(crate) async fn insert_pipeline(
    conn: &mut AnyConnection,
    org: OrgId,
    new: &NewPipeline,
    now: i64,
) -> Result<PipelineId, StoreError> {
    let id: i64 = sqlx::query_scalar(
        "INSERT INTO pipelines (org_id, name, created_at) VALUES ($1, $2, $3) RETURNING id",
    )
    .bind(org.get())
    .bind(&new.name)
    .bind(now)
    .fetch_one(&mut *conn)
    .await
    .map_err(conflict_on("name", Reason::Conflict))?;
    for (pos, s) in new.stages.iter().enumerate() {
        sqlx::query(
            "INSERT INTO pipeline_stages (org_id, pipeline_id, position, name, probability, kind) \
             VALUES ($1, $2, $3, $4, $5, $6)",
        )
        .bind(org.get())
        .bind(id)
        .bind(pos as i64)
        .bind(&s.name)
        .bind(s.probability)
        .bind(s.kind.as_str())
        .execute(&mut *conn)
        .await
        .map_err(db_err)?;
    }
    Ok(PipelineId(id))
}

/// One opportunity within the request's reach (its customer's), or not found.
async fn load_opp(
    conn: &mut AnyConnection,
    ctx: Ctx,
    id: OpportunityId,
) -> Result<Opportunity, StoreError> {
    let mut f = Filter::new(ctx.org);
    let p = f.arg(Arg::I(id.get()));
    f.cond(format!("o.id = {p} AND o.org_id = c.org_id"));
    f.reach(ctx.org, ctx.reach);
    let sql = format!("SELECT {OPP_COLS} FROM {OPP_FROM} WHERE {}", f.where_sql());
    let row = f
        .bind_all(sqlx::query(&sql))
        .fetch_optional(&mut *conn)
        .await
        .map_err(db_err)?
        .ok_or(StoreError::NotFound {
            entity: "opportunity",
        })?;
    opp_from(&row)
}

/// Keep one move of an opportunity (its first stage has no `from`).
async fn record_move(
    conn: &mut AnyConnection,
    ctx: Ctx,
    id: OpportunityId,
    from: Option<StageId>,
    to: StageId,
    at: i64,
) -> Result<(), StoreError> {
    sqlx::query(
        "INSERT INTO opportunity_moves (org_id, opportunity_id, from_stage_id, to_stage_id, actor_id, at) \
         VALUES ($1, $2, $3, $4, $5, $6)",
    )
    .bind(ctx.org.get())
    .bind(id.get())
    .bind(from.map(StageId::get))
    .bind(to.get())
    .bind(ctx.actor.map(UserId::get))
    .bind(at)
    .execute(&mut *conn)
    .await
    .map_err(db_err)?;
    Ok(())
}

impl SqlStore {
    pub(crate) async fn create_pipeline_impl(
        &self,
        ctx: Ctx,
        new: NewPipeline,
    ) -> Result<Pipeline, StoreError> {
        guanxi_core::pipeline::check_stages(&new.stages).map_err(StoreError::Invalid)?;
        let mut tx = self.begin_write().await?;
        let now = now_micros();
        let id = insert_pipeline(&mut tx, ctx.org, &new, now).await?;
        let stages = stages_of(&mut tx, ctx.org, id).await?;
        emit(
            &mut tx,
            self.backend,
            ctx,
            "pipeline.created",
            "pipeline",
            id.get(),
            &json!({"name": new.name, "stages": stages.iter().map(|s| &s.name).collect::<Vec<_>>()}),
        )
        .await?;
        tx.commit().await.map_err(db_err)?;
        Ok(Pipeline {
            id,
            name: new.name,
            stages,
            created_at: crate::codec::micros_to_time(now),
        })
    }

    pub(crate) async fn list_pipelines_impl(&self, ctx: Ctx) -> Result<Vec<Pipeline>, StoreError> {
        let mut conn = self.pool.acquire().await.map_err(db_err)?;
        let rows = sqlx::query(
            "SELECT id, name, created_at FROM pipelines WHERE org_id = $1 ORDER BY id LIMIT 100",
        )
        .bind(ctx.org.get())
        .fetch_all(&mut *conn)
        .await
        .map_err(db_err)?;
        let mut out = Vec::with_capacity(rows.len());
        for r in &rows {
            let id = PipelineId(i64_of(r, "id")?);
            out.push(Pipeline {
                id,
                name: str_of(r, "name")?,
                stages: stages_of(&mut conn, ctx.org, id).await?,
                created_at: time_of(r, "created_at")?,
            });
        }
        Ok(out)
    }

    pub(crate) async fn create_opportunity_impl(
        &self,
        ctx: Ctx,
        new: NewOpportunity,
    ) -> Result<Opportunity, StoreError> {
        let mut tx = self.begin_write().await?;
        let opp = insert_opportunity(&mut tx, self.backend, ctx, new).await?;
        tx.commit().await.map_err(db_err)?;
        Ok(opp)
    }

    pub(crate) async fn get_opportunity_impl(
        &self,
        ctx: Ctx,
        id: OpportunityId,
    ) -> Result<Opportunity, StoreError> {
        let mut conn = self.pool.acquire().await.map_err(db_err)?;
        load_opp(&mut conn, ctx, id).await
    }

    pub(crate) async fn move_opportunity_impl(
        &self,
        ctx: Ctx,
        id: OpportunityId,
        expected: Option<i64>,
        to: StageId,
        reason: Option<String>,
    ) -> Result<Opportunity, StoreError> {
        let mut tx = self.begin_write().await?;
        let old = load_opp(&mut tx, ctx, id).await?;
        if let Some(expected) = expected.filter(|e| *e != old.version) {
            return Err(StoreError::VersionMismatch {
                expected,
                current: old.version,
            });
        }
        if old.status != OpportunityStatus::Open {
            return Err(StoreError::invalid(
                "stage_id",
                Reason::BadTransition {
                    from: old.status.as_str().into(),
                    to: "open".into(),
                },
            ));
        }
        let stages = stages_of(&mut tx, ctx.org, old.pipeline_id).await?;
        let Some(stage) = stages.iter().find(|s| s.id == to) else {
            return Err(StoreError::invalid("stage_id", Reason::NotFound));
        };
        if stage.id == old.stage_id {
            tx.commit().await.map_err(db_err)?;
            return Ok(old);
        }
        if stage.kind == StageKind::Lost && reason.as_deref().is_none_or(str::is_empty) {
            return Err(StoreError::invalid("reason", Reason::Required));
        }
        let status = stage.kind.status();
        let now = now_micros();
        let closed = (status != OpportunityStatus::Open).then_some(now);
        sqlx::query(
            "UPDATE opportunities SET stage_id = $1, status = $2, close_reason = $3, closed_at = $4, \
             stage_since = $5, version = version + 1, updated_at = $5 WHERE org_id = $6 AND id = $7",
        )
        .bind(stage.id.get())
        .bind(status.as_str())
        .bind(reason.as_deref().filter(|_| closed.is_some()))
        .bind(closed)
        .bind(now)
        .bind(ctx.org.get())
        .bind(id.get())
        .execute(&mut *tx)
        .await
        .map_err(db_err)?;
        record_move(&mut tx, ctx, id, Some(old.stage_id), stage.id, now).await?;
        summarize(
            &mut tx,
            ctx.org,
            old.pipeline_id,
            old.stage_id,
            old.status,
            old.expected_close,
            old.owner_id,
            (-1, -old.amount, 0),
        )
        .await?;
        let cycle = closed
            .map(|c| c - crate::codec::time_to_micros(old.created_at))
            .unwrap_or(0);
        summarize(
            &mut tx,
            ctx.org,
            old.pipeline_id,
            stage.id,
            status,
            old.expected_close,
            old.owner_id,
            (1, old.amount, cycle),
        )
        .await?;
        let opp = load_opp(
            &mut tx,
            guanxi_store::Ctx {
                reach: guanxi_core::Reach::Org,
                ..ctx
            },
            id,
        )
        .await?;
        let from = stages
            .iter()
            .find(|s| s.id == old.stage_id)
            .map(|s| s.name.clone());
        emit(
            &mut tx,
            self.backend,
            ctx,
            match status {
                OpportunityStatus::Open => "opportunity.moved",
                OpportunityStatus::Won => "opportunity.won",
                OpportunityStatus::Lost => "opportunity.lost",
            },
            "opportunity",
            id.get(),
            &json!({"customer_id": opp.customer_id, "changes": {"stage": [from, stage.name]},
                    "days_in_stage": (now - crate::codec::time_to_micros(old.stage_since)) / 86_400_000_000,
                    "reason": opp.close_reason}),
        )
        .await?;
        tx.commit().await.map_err(db_err)?;
        Ok(opp)
    }

    pub(crate) async fn board_impl(
        &self,
        ctx: Ctx,
        pipeline: PipelineId,
        per_stage: u32,
    ) -> Result<Vec<BoardColumn>, StoreError> {
        let mut conn = self.pool.acquire().await.map_err(db_err)?;
        let stages = stages_of(&mut conn, ctx.org, pipeline).await?;
        if stages.is_empty() {
            return Err(StoreError::NotFound { entity: "pipeline" });
        }
        // Counts and amounts of every stage in one pass over the covering index; the
        // customers are joined only when the reach needs them.
        let mut f = scoped(ctx);
        let pp = f.arg(Arg::I(pipeline.get()));
        let sums = if ctx.reach == guanxi_core::Reach::Org {
            // The whole pipeline: its running summary.
            format!(
                "SELECT stage_id AS st, CAST(SUM(n) AS BIGINT) AS n, CAST(SUM(amount) AS BIGINT) AS total \
                 FROM pipeline_summary WHERE org_id = $1 AND pipeline_id = {pp} AND status = 'open' \
                 GROUP BY stage_id"
            )
        } else {
            f.cond(format!("o.pipeline_id = {pp} AND o.status = 'open'"));
            format!(
                "SELECT o.stage_id AS st, COUNT(*) AS n, CAST(COALESCE(SUM(o.amount), 0) AS BIGINT) AS total \
                 FROM {} WHERE {} GROUP BY o.stage_id",
                from_for(ctx),
                f.where_sql()
            )
        };
        let mut totals = std::collections::HashMap::new();
        for r in f
            .bind_all(sqlx::query(&sums))
            .fetch_all(&mut *conn)
            .await
            .map_err(db_err)?
        {
            totals.insert(i64_of(&r, "st")?, (i64_of(&r, "n")?, i64_of(&r, "total")?));
        }
        let mut out = Vec::with_capacity(stages.len());
        for stage in stages {
            let (count, amount) = totals.get(&stage.id.get()).copied().unwrap_or((0, 0));
            let items = if count == 0 || stage.kind != StageKind::Open {
                Vec::new()
            } else {
                let mut f = Filter::new(ctx.org);
                let pp = f.arg(Arg::I(pipeline.get()));
                let ps = f.arg(Arg::I(stage.id.get()));
                f.cond(format!("o.org_id = c.org_id AND o.pipeline_id = {pp} AND o.stage_id = {ps} AND o.status = 'open'"));
                f.reach(ctx.org, ctx.reach);
                let sql = format!(
                    "SELECT {OPP_COLS} FROM {OPP_FROM} WHERE {} ORDER BY o.id DESC LIMIT {}",
                    f.where_sql(),
                    per_stage.clamp(1, 500)
                );
                f.bind_all(sqlx::query(&sql))
                    .fetch_all(&mut *conn)
                    .await
                    .map_err(db_err)?
                    .iter()
                    .map(opp_from)
                    .collect::<Result<_, _>>()?
            };
            out.push(BoardColumn {
                weighted: amount.saturating_mul(stage.probability) / 100,
                stage,
                count,
                amount,
                items,
            });
        }
        Ok(out)
    }

    pub(crate) async fn customer_opportunities_impl(
        &self,
        ctx: Ctx,
        customer: CustomerId,
    ) -> Result<Vec<Opportunity>, StoreError> {
        let mut conn = self.pool.acquire().await.map_err(db_err)?;
        within_reach(&mut conn, ctx, customer, true).await?;
        let rows = sqlx::query(&format!(
            "SELECT {OPP_COLS} FROM {OPP_FROM} WHERE o.org_id = $1 AND o.customer_id = $2 \
             ORDER BY o.id DESC LIMIT 200"
        ))
        .bind(ctx.org.get())
        .bind(customer.get())
        .fetch_all(&mut *conn)
        .await
        .map_err(db_err)?;
        rows.iter().map(opp_from).collect()
    }
}

impl SqlStore {
    pub(crate) async fn forecast_impl(
        &self,
        ctx: Ctx,
        pipeline: PipelineId,
    ) -> Result<Forecast, StoreError> {
        use std::collections::BTreeMap;
        let mut conn = self.pool.acquire().await.map_err(db_err)?;
        let stages = stages_of(&mut conn, ctx.org, pipeline).await?;
        if stages.is_empty() {
            return Err(StoreError::NotFound { entity: "pipeline" });
        }
        let probability: std::collections::HashMap<i64, i64> =
            stages.iter().map(|s| (s.id.get(), s.probability)).collect();
        // One pass over the pipeline's opportunities within reach (the covering index when the
        // reach is the organisation), grouped finely; the rest is summed here.
        let mut f = scoped(ctx);
        let pp = f.arg(Arg::I(pipeline.get()));
        let sql = if ctx.reach == guanxi_core::Reach::Org {
            format!(
                "SELECT status AS st, stage_id AS stage, month, \
                 CASE WHEN owner_key = 0 THEN NULL ELSE owner_key END AS owner, n, amount, \
                 cycle_micros AS micros FROM pipeline_summary \
                 WHERE org_id = $1 AND pipeline_id = {pp} AND n > 0"
            )
        } else {
            f.cond(format!("o.pipeline_id = {pp}"));
            format!(
            "SELECT o.status AS st, o.stage_id AS stage, COALESCE(substr(o.expected_close, 1, 7), '') AS month, \
             o.owner_id AS owner, COUNT(*) AS n, CAST(SUM(o.amount) AS BIGINT) AS amount, \
             CAST(COALESCE(SUM(o.closed_at - o.created_at), 0) AS BIGINT) AS micros \
             FROM {} WHERE {} GROUP BY o.status, o.stage_id, COALESCE(substr(o.expected_close, 1, 7), ''), o.owner_id",
            from_for(ctx),
            f.where_sql()
        )
        };
        let rows = f
            .bind_all(sqlx::query(&sql))
            .fetch_all(&mut *conn)
            .await
            .map_err(db_err)?;
        let teams: std::collections::HashMap<i64, Option<i64>> =
            sqlx::query("SELECT id, team_id FROM users WHERE org_id = $1")
                .bind(ctx.org.get())
                .fetch_all(&mut *conn)
                .await
                .map_err(db_err)?
                .iter()
                .map(|r| Ok((i64_of(r, "id")?, opt_i64(r, "team_id")?)))
                .collect::<Result<_, StoreError>>()?;
        let (mut by_month, mut by_owner, mut by_team) =
            (BTreeMap::new(), BTreeMap::new(), BTreeMap::new());
        let (mut won, mut lost, mut won_amount, mut won_micros) = (0, 0, 0i64, 0i64);
        for r in &rows {
            let n = i64_of(r, "n")?;
            let amount = i64_of(r, "amount")?;
            match str_of(r, "st")?.as_str() {
                "open" => {
                    let p = probability.get(&i64_of(r, "stage")?).copied().unwrap_or(0);
                    let weighted = amount.saturating_mul(p) / 100;
                    let owner = opt_i64(r, "owner")?;
                    let team = owner.and_then(|o| teams.get(&o).copied().flatten());
                    for (map, key) in [
                        (&mut by_month, str_of(r, "month")?),
                        (
                            &mut by_owner,
                            owner.map(|o| o.to_string()).unwrap_or_default(),
                        ),
                        (
                            &mut by_team,
                            team.map(|t| t.to_string()).unwrap_or_default(),
                        ),
                    ] {
                        let e: &mut (i64, i64, i64) = map.entry(key).or_insert((0, 0, 0));
                        e.0 += n;
                        e.1 = e.1.saturating_add(amount);
                        e.2 = e.2.saturating_add(weighted);
                    }
                }
                "won" => {
                    won += n;
                    won_amount = won_amount.saturating_add(amount);
                    won_micros = won_micros.saturating_add(i64_of(r, "micros")?);
                }
                _ => lost += n,
            }
        }
        let rows_of = |m: BTreeMap<String, (i64, i64, i64)>| -> Vec<ForecastRow> {
            m.into_iter()
                .map(|(key, (count, amount, weighted))| ForecastRow {
                    key,
                    count,
                    amount,
                    weighted,
                })
                .collect()
        };
        Ok(Forecast {
            by_month: rows_of(by_month),
            by_owner: rows_of(by_owner),
            by_team: rows_of(by_team),
            won,
            lost,
            won_amount,
            average_cycle_days: (won > 0)
                .then(|| won_micros as f64 / won as f64 / 86_400_000_000.0),
        })
    }
}

/// A filter over `opportunities o` for the request's reach: the organisation's rows alone when
/// it reaches everything (so that an index on `opportunities` answers by itself), else joined
/// with their customers (`c`) and narrowed as every customer query is.
fn scoped(ctx: Ctx) -> Filter {
    let mut f = Filter::new_on("o", ctx.org);
    if ctx.reach != guanxi_core::Reach::Org {
        f.cond("c.org_id = o.org_id".into());
        f.reach(ctx.org, ctx.reach);
    }
    f
}

fn from_for(ctx: Ctx) -> &'static str {
    if ctx.reach == guanxi_core::Reach::Org {
        "opportunities o"
    } else {
        OPP_FROM
    }
}

/// Insert an opportunity in its first (or given) open stage with its first move and
/// `opportunity.created` event, inside the caller's transaction.
pub(crate) async fn insert_opportunity(
    tx: &mut AnyConnection,
    backend: crate::Backend,
    ctx: Ctx,
    new: NewOpportunity,
) -> Result<Opportunity, StoreError> {
    match within_reach(&mut *tx, ctx, new.customer_id, false).await {
        Ok(()) => {}
        Err(StoreError::NotFound { .. }) => {
            return Err(StoreError::invalid("customer_id", Reason::NotFound))
        }
        Err(e) => return Err(e),
    }
    let stages = stages_of(&mut *tx, ctx.org, new.pipeline_id).await?;
    if stages.is_empty() {
        return Err(StoreError::invalid("pipeline_id", Reason::NotFound));
    }
    let stage = match new.stage_id {
        None => stages.iter().find(|s| s.kind == StageKind::Open),
        Some(id) => stages.iter().find(|s| s.id == id),
    };
    let Some(stage) = stage.filter(|s| s.kind == StageKind::Open) else {
        // A stage of another pipeline, or a closing stage: an opportunity starts open.
        return Err(StoreError::invalid("stage_id", Reason::NotFound));
    };
    let owner = new.owner_id.or(ctx.reach.default_owner());
    crate::customers::check_reach_refs(&mut *tx, ctx, owner, None).await?;
    let now = now_micros();
    let id: i64 = sqlx::query_scalar(
        "INSERT INTO opportunities (org_id, customer_id, pipeline_id, stage_id, name, amount, currency, \
         expected_close, owner_id, status, stage_since, version, created_at, updated_at) \
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, 'open', $10, 1, $10, $10) RETURNING id",
    )
    .bind(ctx.org.get())
    .bind(new.customer_id.get())
    .bind(new.pipeline_id.get())
    .bind(stage.id.get())
    .bind(&new.name)
    .bind(new.amount)
    .bind(new.currency.as_str())
    .bind(date_to_str(new.expected_close))
    .bind(owner.map(UserId::get))
    .bind(now)
    .fetch_one(&mut *tx)
    .await
    .map_err(db_err)?;
    record_move(&mut *tx, ctx, OpportunityId(id), None, stage.id, now).await?;
    summarize(
        &mut *tx,
        ctx.org,
        new.pipeline_id,
        stage.id,
        OpportunityStatus::Open,
        new.expected_close,
        owner,
        (1, new.amount, 0),
    )
    .await?;
    let opp = load_opp(
        &mut *tx,
        guanxi_store::Ctx {
            reach: guanxi_core::Reach::Org,
            ..ctx
        },
        OpportunityId(id),
    )
    .await?;
    emit(
        &mut *tx,
        backend,
        ctx,
        "opportunity.created",
        "opportunity",
        id,
        &json!({"customer_id": opp.customer_id, "name": opp.name, "amount": opp.amount,
                "currency": opp.currency.as_str(), "stage": stage.name}),
    )
    .await?;
    Ok(opp)
}

/// Add `n` opportunities worth `amount` (and `cycle` micros from opening to closing) to the
/// running summary of a pipeline; `n` and the sums are negative to take them away.
#[allow(clippy::too_many_arguments)]
pub(crate) async fn summarize(
    conn: &mut AnyConnection,
    org: OrgId,
    pipeline: PipelineId,
    stage: StageId,
    status: OpportunityStatus,
    expected_close: Option<chrono::NaiveDate>,
    owner: Option<UserId>,
    (n, amount, cycle): (i64, i64, i64),
) -> Result<(), StoreError> {
    let month = expected_close
        .map(|d| d.format("%Y-%m").to_string())
        .unwrap_or_default();
    sqlx::query(
        "INSERT INTO pipeline_summary (org_id, pipeline_id, stage_id, status, month, owner_key, n, \
         amount, cycle_micros) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9) \
         ON CONFLICT (org_id, pipeline_id, stage_id, status, month, owner_key) DO UPDATE SET \
         n = pipeline_summary.n + excluded.n, amount = pipeline_summary.amount + excluded.amount, \
         cycle_micros = pipeline_summary.cycle_micros + excluded.cycle_micros",
    )
    .bind(org.get())
    .bind(pipeline.get())
    .bind(stage.get())
    .bind(status.as_str())
    .bind(month)
    .bind(owner.map(UserId::get).unwrap_or(0))
    .bind(n)
    .bind(amount)
    .bind(cycle)
    .execute(&mut *conn)
    .await
    .map_err(db_err)?;
    Ok(())
}

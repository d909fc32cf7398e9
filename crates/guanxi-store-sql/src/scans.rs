//! Scans of a whole organisation for look-alike customers, as records: started, beating while
//! they run, finished with what they found or failed with why. The scan itself is
//! [`SqlStore::scan_duplicates_impl`]; this is what a person who started one sees of it.

use crate::codec::{i64_of, micros_to_time, now_micros, opt_i64, opt_str, str_of};
use crate::events::emit;
use crate::jobs::{conflict, i, u};
use crate::{db_err, Row, SqlStore};
use guanxi_core::{DuplicateScanId, UserId};
use guanxi_store::{Ctx, DuplicateScan, ScanStats, ScanStatus, StoreError, SCAN_STALE_SECS};
use serde_json::json;
use sqlx::AnyConnection;

const SCAN_COLS: &str = "id, started_by, status, customers, groups_compared, pairs_compared, \
    found, error, started_at, heartbeat_at, finished_at";

/// The longest error kept with a failed scan.
const ERROR_MAX: usize = 2000;

fn stale_before() -> i64 {
    now_micros() - SCAN_STALE_SECS * 1_000_000
}

fn scan_of(r: &Row) -> Result<DuplicateScan, StoreError> {
    let status = str_of(r, "status")?;
    let status = ScanStatus::parse(&status)
        .ok_or_else(|| StoreError::Internal(format!("unknown scan status {status:?}")))?;
    let heartbeat = i64_of(r, "heartbeat_at")?;
    Ok(DuplicateScan {
        id: DuplicateScanId(i64_of(r, "id")?),
        status,
        interrupted: status == ScanStatus::Running && heartbeat < stale_before(),
        started_by: opt_i64(r, "started_by")?.map(UserId),
        stats: ScanStats {
            customers: u(i64_of(r, "customers")?),
            groups: u(i64_of(r, "groups_compared")?),
            pairs_compared: u(i64_of(r, "pairs_compared")?),
            found: u(i64_of(r, "found")?),
        },
        error: opt_str(r, "error")?,
        started_at: micros_to_time(i64_of(r, "started_at")?),
        finished_at: opt_i64(r, "finished_at")?.map(micros_to_time),
    })
}

async fn load_scan(
    conn: &mut AnyConnection,
    ctx: Ctx,
    id: DuplicateScanId,
) -> Result<DuplicateScan, StoreError> {
    let row = sqlx::query(&format!(
        "SELECT {SCAN_COLS} FROM duplicate_scans WHERE org_id = $1 AND id = $2"
    ))
    .bind(ctx.org.get())
    .bind(id.get())
    .fetch_optional(&mut *conn)
    .await
    .map_err(db_err)?
    .ok_or(StoreError::NotFound {
        entity: "duplicate_scan",
    })?;
    scan_of(&row)
}

impl SqlStore {
    pub(crate) async fn start_duplicate_scan_impl(
        &self,
        ctx: Ctx,
    ) -> Result<DuplicateScan, StoreError> {
        let now = now_micros();
        let mut tx = self.begin_write().await?;
        // A scan whose process stopped will never finish: close it, so that this one may run.
        let stale: Vec<i64> = sqlx::query(
            "SELECT id FROM duplicate_scans WHERE org_id = $1 AND status = 'running' \
             AND heartbeat_at < $2",
        )
        .bind(ctx.org.get())
        .bind(stale_before())
        .fetch_all(&mut *tx)
        .await
        .map_err(db_err)?
        .iter()
        .map(|r| i64_of(r, "id"))
        .collect::<Result<_, _>>()?;
        for id in stale {
            // Only if it is still running and silent: a scan that finished meanwhile stays.
            let closed = sqlx::query(
                "UPDATE duplicate_scans SET status = 'failed', error = 'interrupted', \
                 finished_at = $1 WHERE org_id = $2 AND id = $3 AND status = 'running' \
                 AND heartbeat_at < $4",
            )
            .bind(now)
            .bind(ctx.org.get())
            .bind(id)
            .bind(stale_before())
            .execute(&mut *tx)
            .await
            .map_err(db_err)?
            .rows_affected();
            if closed == 0 {
                continue;
            }
            emit(
                &mut tx,
                self.backend,
                ctx,
                "duplicates.scan_finished",
                "duplicate_scan",
                id,
                &json!({"status": "failed", "error": "interrupted"}),
            )
            .await?;
        }
        // One running scan per organisation (the partial unique index says so too, for two
        // starts at once).
        let id: i64 = sqlx::query(
            "INSERT INTO duplicate_scans (org_id, started_by, status, started_at, heartbeat_at) \
             VALUES ($1, $2, 'running', $3, $3) RETURNING id",
        )
        .bind(ctx.org.get())
        .bind(ctx.actor.map(UserId::get))
        .bind(now)
        .fetch_one(&mut *tx)
        .await
        .map_err(|e| match db_err(e) {
            StoreError::Conflict { .. } => conflict("status"),
            other => other,
        })
        .and_then(|r| i64_of(&r, "id"))?;
        emit(
            &mut tx,
            self.backend,
            ctx,
            "duplicates.scan_started",
            "duplicate_scan",
            id,
            &json!({}),
        )
        .await?;
        let scan = load_scan(&mut tx, ctx, DuplicateScanId(id)).await?;
        tx.commit().await.map_err(db_err)?;
        Ok(scan)
    }

    pub(crate) async fn beat_duplicate_scan_impl(
        &self,
        ctx: Ctx,
        id: DuplicateScanId,
    ) -> Result<(), StoreError> {
        sqlx::query(
            "UPDATE duplicate_scans SET heartbeat_at = $1 WHERE org_id = $2 AND id = $3 \
             AND status = 'running'",
        )
        .bind(now_micros())
        .bind(ctx.org.get())
        .bind(id.get())
        .execute(&self.pool)
        .await
        .map_err(db_err)?;
        Ok(())
    }

    pub(crate) async fn finish_duplicate_scan_impl(
        &self,
        ctx: Ctx,
        id: DuplicateScanId,
        outcome: Result<ScanStats, String>,
    ) -> Result<DuplicateScan, StoreError> {
        let mut tx = self.begin_write().await?;
        let scan = load_scan(&mut tx, ctx, id).await?;
        if scan.status != ScanStatus::Running {
            // Closed as interrupted by a later scan meanwhile: that stays.
            return Err(conflict("status"));
        }
        let (status, stats, error) = match outcome {
            Ok(stats) => (ScanStatus::Done, stats, None),
            Err(e) => (
                ScanStatus::Failed,
                ScanStats::default(),
                Some(e.chars().take(ERROR_MAX).collect::<String>()),
            ),
        };
        // Only a running scan is closed: one a later start closed as interrupted meanwhile
        // (PostgreSQL reads committed rows, so the check above can be stale) stays as it is.
        let closed = sqlx::query(
            "UPDATE duplicate_scans SET status = $1, customers = $2, groups_compared = $3, \
             pairs_compared = $4, found = $5, error = $6, finished_at = $7, heartbeat_at = $7 \
             WHERE org_id = $8 AND id = $9 AND status = 'running'",
        )
        .bind(status.as_str())
        .bind(i(stats.customers))
        .bind(i(stats.groups))
        .bind(i(stats.pairs_compared))
        .bind(i(stats.found))
        .bind(error.as_deref())
        .bind(now_micros())
        .bind(ctx.org.get())
        .bind(id.get())
        .execute(&mut *tx)
        .await
        .map_err(db_err)?
        .rows_affected();
        if closed == 0 {
            return Err(conflict("status"));
        }
        emit(
            &mut tx,
            self.backend,
            ctx,
            "duplicates.scan_finished",
            "duplicate_scan",
            id.get(),
            &json!({"status": status, "stats": stats, "error": error}),
        )
        .await?;
        let scan = load_scan(&mut tx, ctx, id).await?;
        tx.commit().await.map_err(db_err)?;
        Ok(scan)
    }

    pub(crate) async fn duplicate_scan_impl(
        &self,
        ctx: Ctx,
        id: DuplicateScanId,
    ) -> Result<DuplicateScan, StoreError> {
        let mut conn = self.pool.acquire().await.map_err(db_err)?;
        load_scan(&mut conn, ctx, id).await
    }

    pub(crate) async fn duplicate_scans_impl(
        &self,
        ctx: Ctx,
        limit: u32,
    ) -> Result<Vec<DuplicateScan>, StoreError> {
        sqlx::query(&format!(
            "SELECT {SCAN_COLS} FROM duplicate_scans WHERE org_id = $1 ORDER BY id DESC LIMIT $2"
        ))
        .bind(ctx.org.get())
        .bind(i64::from(limit.clamp(1, 100)))
        .fetch_all(&self.pool)
        .await
        .map_err(db_err)?
        .iter()
        .map(scan_of)
        .collect()
    }
}

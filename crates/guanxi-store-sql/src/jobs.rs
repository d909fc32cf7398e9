//! Imports as jobs. A file is written in chunks; each chunk is decided set-wise (one query for
//! the contact points it holds, one for the companies it names, multi-row inserts for the new
//! customers) and commits together with the job's progress, so that a stopped import resumes
//! from its last chunk with nothing written or counted twice.

use crate::bulk::{insert_rows, opt_s};
use crate::codec::{
    date_to_str, i64_of, micros_to_time, now_micros, opt_i64, opt_str, str_of, to_json,
};
use crate::contacts::rkey_of;
use crate::customers::Arg;
use crate::events::emit;
use crate::tokens::name_tokens;
use crate::{db_err, Row, SqlStore};
use guanxi_core::contact::{ContactKind, ContactValue};
use guanxi_core::{CustomerId, ImportJobId, ImportKind, Reason, UserId};
use guanxi_store::{
    ChunkRow, Ctx, ImportChunk, ImportCounts, ImportCustomer, ImportJob, ImportMapping, ImportMode,
    ImportPolicy, ImportRowNote, ImportStatus, NewImportJob, StaleImportFile, StoreError,
    IMPORT_CHUNK_MAX, IMPORT_HEARTBEAT_SECS, IMPORT_REPORT_ROWS_MAX,
};
use serde_json::{json, Value};
use sqlx::AnyConnection;
use std::collections::HashMap;

const JOB_COLS: &str = "id, org_id, created_by, kind, customers, file_name, file_path, file_size, file_sha256, \
    format, encoding, mapping, policy, mode, status, rows_done, bytes_done, created, companies, matched, \
    updated, same_as, rejected, skipped, duplicates, error, created_at, heartbeat_at, finished_at, \
    file_removed_at";

/// Values per `IN (…)` list.
const IN_MAX: usize = 500;

pub(crate) fn u(v: i64) -> u64 {
    u64::try_from(v).unwrap_or(0)
}

pub(crate) fn i(v: u64) -> i64 {
    i64::try_from(v).unwrap_or(i64::MAX)
}

fn job_of(r: &Row) -> Result<ImportJob, StoreError> {
    let status = str_of(r, "status")?;
    let status = ImportStatus::parse(&status)
        .ok_or_else(|| StoreError::Internal(format!("import_jobs.status {status:?}")))?;
    let policy = str_of(r, "policy")?;
    let policy = ImportPolicy::parse(&policy)
        .ok_or_else(|| StoreError::Internal(format!("import_jobs.policy {policy:?}")))?;
    let mode = str_of(r, "mode")?;
    let mode = ImportMode::parse(&mode)
        .ok_or_else(|| StoreError::Internal(format!("import_jobs.mode {mode:?}")))?;
    let heartbeat = i64_of(r, "heartbeat_at")?;
    let mapping = serde_json::from_str(&str_of(r, "mapping")?)
        .map_err(|e| StoreError::Internal(format!("import_jobs.mapping: {e}")))?;
    let kind = str_of(r, "kind")?;
    let kind = ImportKind::parse(&kind)
        .map_err(|_| StoreError::Internal(format!("import_jobs.kind {kind:?}")))?;
    Ok(ImportJob {
        id: ImportJobId(i64_of(r, "id")?),
        org: guanxi_core::OrgId(i64_of(r, "org_id")?),
        kind,
        created_by: opt_i64(r, "created_by")?.map(UserId),
        file_name: str_of(r, "file_name")?,
        file_path: opt_str(r, "file_path")?,
        file_size: u(i64_of(r, "file_size")?),
        file_sha256: str_of(r, "file_sha256")?,
        format: str_of(r, "format")?,
        encoding: str_of(r, "encoding")?,
        mapping,
        policy,
        mode,
        status,
        rows_done: u(i64_of(r, "rows_done")?),
        bytes_done: u(i64_of(r, "bytes_done")?),
        counts: ImportCounts {
            created: u(i64_of(r, "created")?),
            companies: u(i64_of(r, "companies")?),
            matched: u(i64_of(r, "matched")?),
            updated: u(i64_of(r, "updated")?),
            same_as: u(i64_of(r, "same_as")?),
            rejected: u(i64_of(r, "rejected")?),
            skipped: u(i64_of(r, "skipped")?),
            duplicates: u(i64_of(r, "duplicates")?),
            customers: u(i64_of(r, "customers")?),
        },
        error: opt_str(r, "error")?,
        created_at: micros_to_time(i64_of(r, "created_at")?),
        heartbeat_at: micros_to_time(heartbeat),
        finished_at: opt_i64(r, "finished_at")?.map(micros_to_time),
        file_removed_at: opt_i64(r, "file_removed_at")?.map(micros_to_time),
        interrupted: status == ImportStatus::Running
            && heartbeat > 0
            && now_micros() - heartbeat > IMPORT_HEARTBEAT_SECS * 1_000_000,
    })
}

pub(crate) async fn load_job(
    conn: &mut AnyConnection,
    ctx: Ctx,
    id: ImportJobId,
) -> Result<ImportJob, StoreError> {
    let row = sqlx::query(&format!(
        "SELECT {JOB_COLS} FROM import_jobs WHERE org_id = $1 AND id = $2"
    ))
    .bind(ctx.org.get())
    .bind(id.get())
    .fetch_optional(&mut *conn)
    .await
    .map_err(db_err)?
    .ok_or(StoreError::NotFound {
        entity: "import_job",
    })?;
    job_of(&row)
}

/// The job's upload was deleted by the retention rule: it cannot run again.
fn file_removed() -> StoreError {
    StoreError::Conflict {
        field: "file".to_owned(),
        reason: Reason::FileRemoved,
    }
}

/// SQL: the job still needs its file (not imported, not cancelled).
const NEEDS_FILE: &str = "NOT (status = 'cancelled' OR (mode = 'import' AND status = 'done'))";

pub(crate) fn conflict(field: &str) -> StoreError {
    StoreError::Conflict {
        field: field.to_owned(),
        reason: Reason::Conflict,
    }
}

/// Which contact points may belong to one customer only, as (family, key).
pub(crate) fn family(kind: ContactKind) -> Option<u8> {
    match kind {
        ContactKind::Mobile | ContactKind::Landline => Some(0),
        ContactKind::Email => Some(1),
        ContactKind::Wechat => Some(2),
        ContactKind::Address => None,
    }
}

/// The live customers of the organisation holding any of `keys`, as (family, key) → the
/// lowest customer id. Two index lookups rather than a join: on PostgreSQL a join planned while
/// the tables were small (a generic plan of a prepared statement) turned into a scan of every
/// customer per chunk once an import had filled them.
pub(crate) async fn holders(
    conn: &mut AnyConnection,
    backend: crate::Backend,
    org: i64,
    keys: &[String],
) -> Result<HashMap<(u8, String), i64>, StoreError> {
    let mut found: Vec<(u8, String, i64)> = Vec::new();
    // PostgreSQL gets every key of the chunk as one text parameter split on the unit
    // separator (keys are parsed values and never hold control characters): one statement,
    // planned once, instead of forty lists of 500 parameters, each planned anew.
    let per = match backend {
        crate::Backend::Sqlite => IN_MAX,
        crate::Backend::Postgres => keys.len().max(1),
    };
    for part in keys.chunks(per) {
        let sql = match backend {
            crate::Backend::Postgres => "SELECT key, kind, customer_id FROM contact_points \
                 WHERE org_id = $1 AND key = ANY(string_to_array($2, chr(31)))"
                .to_owned(),
            crate::Backend::Sqlite => {
                let list: Vec<String> = (0..part.len()).map(|i| format!("${}", i + 2)).collect();
                format!(
                    "SELECT key, kind, customer_id FROM contact_points WHERE org_id = $1 AND key IN ({})",
                    list.join(",")
                )
            }
        };
        let mut q = sqlx::query(&sql).bind(org);
        match backend {
            crate::Backend::Postgres => q = q.bind(part.join("\u{1f}")),
            crate::Backend::Sqlite => {
                for k in part {
                    q = q.bind(k.as_str());
                }
            }
        }
        for r in q.fetch_all(&mut *conn).await.map_err(db_err)? {
            let kind = str_of(&r, "kind")?;
            let Some(f) = ContactKind::parse(&kind).ok().and_then(family) else {
                continue;
            };
            found.push((f, str_of(&r, "key")?, i64_of(&r, "customer_id")?));
        }
    }
    // Only live customers hold their contact points.
    let mut ids: Vec<i64> = found.iter().map(|f| f.2).collect();
    ids.sort_unstable();
    ids.dedup();
    let mut live = std::collections::HashSet::new();
    if backend == crate::Backend::Postgres && !ids.is_empty() {
        let list: Vec<String> = ids.iter().map(i64::to_string).collect();
        live.extend(
            sqlx::query_scalar::<_, i64>(
                "SELECT id FROM customers WHERE org_id = $1 AND deleted_at IS NULL \
                 AND id = ANY(string_to_array($2, ',')::bigint[])",
            )
            .bind(org)
            .bind(list.join(","))
            .fetch_all(&mut *conn)
            .await
            .map_err(db_err)?,
        );
        ids.clear();
    }
    for part in ids.chunks(IN_MAX) {
        let list: Vec<String> = (0..part.len()).map(|i| format!("${}", i + 2)).collect();
        let sql = format!(
            "SELECT id FROM customers WHERE org_id = $1 AND deleted_at IS NULL AND id IN ({})",
            list.join(",")
        );
        let mut q = sqlx::query_scalar::<_, i64>(&sql).bind(org);
        for id in part {
            q = q.bind(*id);
        }
        live.extend(q.fetch_all(&mut *conn).await.map_err(db_err)?);
    }
    let mut out: HashMap<(u8, String), i64> = HashMap::new();
    for (f, key, id) in found {
        if live.contains(&id) {
            let e = out.entry((f, key)).or_insert(id);
            *e = (*e).min(id);
        }
    }
    Ok(out)
}

/// Live company customers by exact name → the lowest id.
///
/// PostgreSQL gets the names as one parameter split by the unit separator (as the duplicate
/// lookup gets its keys), which the chunk's custom plan folds into an array it looks up in the
/// name index. Lists of 500 parameters, each statement planned anew, took about a sixth of a
/// large import's time there; a JSON array read by a subquery (`ANY(ARRAY(SELECT
/// json_array_elements_text(…)))`, tried on 2026-12-02) was worse still, because the planner
/// cannot see its values (docs/PERFORMANCE.md). A name holding the separator itself goes
/// in a list, as on SQLite.
async fn companies_named(
    conn: &mut AnyConnection,
    backend: crate::Backend,
    org: i64,
    names: &[String],
) -> Result<HashMap<String, i64>, StoreError> {
    let mut out: HashMap<String, i64> = HashMap::new();
    let mut listed: Vec<&str> = Vec::new();
    let mut joined = String::new();
    for n in names {
        if backend == crate::Backend::Postgres && !n.contains('\u{1f}') {
            if !joined.is_empty() {
                joined.push('\u{1f}');
            }
            joined.push_str(n);
        } else {
            listed.push(n.as_str());
        }
    }
    let mut rows = Vec::new();
    if !joined.is_empty() {
        rows.extend(
            sqlx::query(
                "SELECT id, name FROM customers WHERE org_id = $1 AND kind = 'company' \
                 AND deleted_at IS NULL AND name = ANY(string_to_array($2, chr(31)))",
            )
            .bind(org)
            .bind(joined)
            .fetch_all(&mut *conn)
            .await
            .map_err(db_err)?,
        );
    }
    for part in listed.chunks(IN_MAX) {
        let list: Vec<String> = (0..part.len()).map(|i| format!("${}", i + 2)).collect();
        let sql = format!(
            "SELECT id, name FROM customers WHERE org_id = $1 AND kind = 'company' \
             AND deleted_at IS NULL AND name IN ({})",
            list.join(",")
        );
        let mut q = sqlx::query(&sql).bind(org);
        for n in part {
            q = q.bind(*n);
        }
        rows.extend(q.fetch_all(&mut *conn).await.map_err(db_err)?);
    }
    for r in rows {
        let id = i64_of(&r, "id")?;
        let e = out.entry(str_of(&r, "name")?).or_insert(id);
        *e = (*e).min(id);
    }
    Ok(out)
}

/// Where a row goes.
#[derive(Clone, Copy)]
enum Target {
    Existing(i64),
    New(usize),
}

/// A customer to create from the chunk.
struct Fresh {
    line: u64,
    row: ImportCustomer,
    company: bool,
    /// Filled after the insert.
    id: i64,
}

/// Merge a later row of the file into a customer still to be created, under the policy.
fn merge_into(into: &mut ImportCustomer, row: &ImportCustomer, policy: ImportPolicy) {
    if policy == ImportPolicy::Skip {
        return;
    }
    let pick = |cur: &mut Option<String>, new: &Option<String>| match (policy, &cur, new) {
        (_, _, None) => {}
        (ImportPolicy::Overwrite, _, Some(n)) | (_, None, Some(n)) => *cur = Some(n.clone()),
        _ => {}
    };
    pick(&mut into.title, &row.title);
    pick(&mut into.city, &row.city);
    pick(&mut into.note, &row.note);
    if into.company.is_none() {
        into.company.clone_from(&row.company);
    }
    match (policy, into.birthday, row.birthday) {
        (_, _, None) => {}
        (ImportPolicy::Overwrite, _, Some(b)) | (_, None, Some(b)) => into.birthday = Some(b),
        _ => {}
    }
    for t in &row.tags {
        if !into.tags.contains(t) && into.tags.len() < 50 {
            into.tags.push(t.clone());
        }
    }
    crate::imports::fill_custom(&mut into.custom, &row.custom, policy);
    for c in &row.contacts {
        if !into
            .contacts
            .iter()
            .any(|x| x.key == c.key && x.kind == c.kind)
        {
            into.contacts.push(c.clone());
        }
    }
}

impl SqlStore {
    pub(crate) async fn create_import_job_impl(
        &self,
        ctx: Ctx,
        new: NewImportJob,
    ) -> Result<ImportJob, StoreError> {
        let file_name = guanxi_core::text::line(&new.file_name, 255)
            .map_err(|e| StoreError::Invalid(e.nest("file_name")))?;
        let mapping = new.mapping.to_string();
        if mapping.len() > 64 * 1024 {
            return Err(StoreError::invalid(
                "mapping",
                Reason::TooLong { max: 64 * 1024 },
            ));
        }
        let mut tx = self.begin_write().await?;
        let now = now_micros();
        let id: i64 = sqlx::query_scalar(
            "INSERT INTO import_jobs (org_id, created_by, kind, mode, file_name, file_path, file_size, \
             file_sha256, format, encoding, mapping, policy, status, rows_done, bytes_done, created, \
             companies, matched, updated, same_as, rejected, skipped, duplicates, created_at, \
             heartbeat_at) VALUES ($1, $2, $13, $12, $3, $4, $5, $6, $7, $8, $9, $10, 'running', \
             0, 0, 0, 0, 0, 0, 0, 0, 0, 0, $11, 0) RETURNING id",
        )
        .bind(ctx.org.get())
        .bind(ctx.actor.map(UserId::get))
        .bind(&file_name)
        .bind(new.file_path.as_deref())
        .bind(i(new.file_size))
        .bind(&new.file_sha256)
        .bind(&new.format)
        .bind(&new.encoding)
        .bind(&mapping)
        .bind(new.policy.as_str())
        .bind(now)
        .bind(new.mode.as_str())
        .bind(new.kind.as_str())
        .fetch_one(&mut *tx)
        .await
        .map_err(db_err)?;
        emit(
            &mut tx,
            self.backend,
            ctx,
            "import.created",
            "import_job",
            id,
            &json!({"kind": new.kind, "file_name": file_name, "file_size": new.file_size, "mode": new.mode,
                    "format": new.format, "encoding": new.encoding, "policy": new.policy}),
        )
        .await?;
        let job = load_job(&mut tx, ctx, ImportJobId(id)).await?;
        tx.commit().await.map_err(db_err)?;
        Ok(job)
    }

    pub(crate) async fn import_job_impl(
        &self,
        ctx: Ctx,
        id: ImportJobId,
    ) -> Result<ImportJob, StoreError> {
        let mut conn = self.pool.acquire().await.map_err(db_err)?;
        load_job(&mut conn, ctx, id).await
    }

    pub(crate) async fn import_jobs_impl(
        &self,
        ctx: Ctx,
        limit: u32,
    ) -> Result<Vec<ImportJob>, StoreError> {
        let rows = sqlx::query(&format!(
            "SELECT {JOB_COLS} FROM import_jobs WHERE org_id = $1 ORDER BY id DESC LIMIT $2"
        ))
        .bind(ctx.org.get())
        .bind(i64::from(limit.clamp(1, 200)))
        .fetch_all(&self.pool)
        .await
        .map_err(db_err)?;
        rows.iter().map(job_of).collect()
    }

    pub(crate) async fn claim_import_job_impl(
        &self,
        ctx: Ctx,
        id: ImportJobId,
    ) -> Result<ImportJob, StoreError> {
        let mut tx = self.begin_write().await?;
        let job = load_job(&mut tx, ctx, id).await?;
        // A failed job resumes like an interrupted one; finished and cancelled ones do not.
        if !matches!(job.status, ImportStatus::Running | ImportStatus::Failed) {
            return Err(conflict("status"));
        }
        let now = now_micros();
        let stale = now - IMPORT_HEARTBEAT_SECS * 1_000_000;
        let n = sqlx::query(
            "UPDATE import_jobs SET heartbeat_at = $1, status = 'running', error = NULL, \
             finished_at = NULL WHERE org_id = $2 AND id = $3 AND file_path IS NOT NULL \
             AND (status = 'failed' OR (status = 'running' AND heartbeat_at < $4))",
        )
        .bind(now)
        .bind(ctx.org.get())
        .bind(id.get())
        .bind(stale)
        .execute(&mut *tx)
        .await
        .map_err(db_err)?
        .rows_affected();
        if n == 0 {
            if load_job(&mut tx, ctx, id).await?.file_path.is_none() {
                // The retention rule deleted the file after the job was started (between the
                // start and this claim): the job fails with that reason rather than waiting
                // as "running" for ever.
                let error = format!(
                    "上传的文件{} / the uploaded file {}",
                    Reason::FileRemoved.message(guanxi_core::Lang::ZhCn),
                    Reason::FileRemoved.message(guanxi_core::Lang::En)
                );
                sqlx::query(
                    "UPDATE import_jobs SET status = 'failed', error = $1, finished_at = $2 \
                     WHERE org_id = $3 AND id = $4 AND status = 'running'",
                )
                .bind(&error)
                .bind(now)
                .bind(ctx.org.get())
                .bind(id.get())
                .execute(&mut *tx)
                .await
                .map_err(db_err)?;
                tx.commit().await.map_err(db_err)?;
                return Err(file_removed());
            }
            // Another process has written a chunk within the last minute.
            return Err(conflict("running"));
        }
        if job.rows_done > 0 {
            emit(
                &mut tx,
                self.backend,
                ctx,
                "import.resumed",
                "import_job",
                id.get(),
                &json!({"rows_done": job.rows_done}),
            )
            .await?;
        }
        let job = load_job(&mut tx, ctx, id).await?;
        tx.commit().await.map_err(db_err)?;
        Ok(job)
    }

    pub(crate) async fn finish_import_job_impl(
        &self,
        ctx: Ctx,
        id: ImportJobId,
        duplicates: u64,
        error: Option<String>,
    ) -> Result<ImportJob, StoreError> {
        let mut tx = self.begin_write().await?;
        let job = load_job(&mut tx, ctx, id).await?;
        if job.status != ImportStatus::Running {
            return Err(conflict("status"));
        }
        let status = if error.is_some() {
            ImportStatus::Failed
        } else {
            ImportStatus::Done
        };
        let error: Option<String> = error.map(|e| e.chars().take(2000).collect());
        sqlx::query(
            "UPDATE import_jobs SET status = $1, error = $2, duplicates = $3, finished_at = $4, \
             heartbeat_at = $4 WHERE org_id = $5 AND id = $6",
        )
        .bind(status.as_str())
        .bind(error.as_deref())
        .bind(i(duplicates))
        .bind(now_micros())
        .bind(ctx.org.get())
        .bind(id.get())
        .execute(&mut *tx)
        .await
        .map_err(db_err)?;
        let mut counts = job.counts;
        counts.duplicates = duplicates;
        emit(
            &mut tx,
            self.backend,
            ctx,
            "import.finished",
            "import_job",
            id.get(),
            &json!({"status": status, "rows": job.rows_done, "counts": counts, "error": error}),
        )
        .await?;
        let job = load_job(&mut tx, ctx, id).await?;
        tx.commit().await.map_err(db_err)?;
        // A large import changes the tables' shape; give the planner fresh statistics (sampled,
        // so seconds even at millions of rows) rather than waiting for autovacuum.
        if job.mode == ImportMode::Import && job.counts.created >= 10_000 {
            let sql = match self.backend {
                crate::Backend::Sqlite => "PRAGMA analysis_limit = 1000; PRAGMA optimize;",
                crate::Backend::Postgres => {
                    "ANALYZE customers, contact_points, search_tokens, customer_tags"
                }
            };
            if let Err(e) = sqlx::raw_sql(sql).execute(&self.pool).await {
                tracing::warn!(error = %e, "statistics after an import could not be refreshed");
            }
        }
        Ok(job)
    }

    pub(crate) async fn restart_import_job_impl(
        &self,
        ctx: Ctx,
        id: ImportJobId,
        mode: ImportMode,
        mapping: Value,
        policy: ImportPolicy,
    ) -> Result<ImportJob, StoreError> {
        let text = mapping.to_string();
        if text.len() > 64 * 1024 {
            return Err(StoreError::invalid(
                "mapping",
                Reason::TooLong { max: 64 * 1024 },
            ));
        }
        let mut tx = self.begin_write().await?;
        let job = load_job(&mut tx, ctx, id).await?;
        // A job that imported rows cannot start over (they would be counted twice); one that
        // only checked can, as often as the user changes the mapping.
        let restartable = match job.status {
            ImportStatus::Running => job.interrupted && job.mode == ImportMode::Check,
            ImportStatus::Done | ImportStatus::Failed | ImportStatus::Cancelled => {
                job.mode == ImportMode::Check
            }
        };
        if !restartable {
            return Err(conflict("status"));
        }
        if job.file_path.is_none() {
            return Err(file_removed());
        }
        sqlx::query("DELETE FROM import_rows WHERE job_id = $1")
            .bind(id.get())
            .execute(&mut *tx)
            .await
            .map_err(db_err)?;
        let n = sqlx::query(
            "UPDATE import_jobs SET mode = $1, mapping = $2, policy = $3, status = 'running', \
             rows_done = 0, bytes_done = 0, created = 0, companies = 0, matched = 0, updated = 0, \
             same_as = 0, rejected = 0, skipped = 0, duplicates = 0, customers = 0, error = NULL, \
             finished_at = NULL, heartbeat_at = 0, first_customer_id = NULL \
             WHERE org_id = $4 AND id = $5 AND file_path IS NOT NULL",
        )
        .bind(mode.as_str())
        .bind(&text)
        .bind(policy.as_str())
        .bind(ctx.org.get())
        .bind(id.get())
        .execute(&mut *tx)
        .await
        .map_err(db_err)?
        .rows_affected();
        if n == 0 {
            // Deleted by the retention rule since the job was read above.
            return Err(file_removed());
        }
        emit(
            &mut tx,
            self.backend,
            ctx,
            "import.restarted",
            "import_job",
            id.get(),
            &json!({"mode": mode, "policy": policy}),
        )
        .await?;
        let job = load_job(&mut tx, ctx, id).await?;
        tx.commit().await.map_err(db_err)?;
        Ok(job)
    }

    pub(crate) async fn stale_import_files_impl(
        &self,
        under: &str,
        before: chrono::DateTime<chrono::Utc>,
        limit: u32,
    ) -> Result<Vec<StaleImportFile>, StoreError> {
        let before = crate::codec::time_to_micros(before);
        // `substr` rather than LIKE: a folder's name may hold `%` or `_`.
        let rows = sqlx::query(
            "SELECT org_id, id, file_path FROM import_jobs WHERE file_path IS NOT NULL \
             AND substr(file_path, 1, length($1)) = $1 AND created_at < $2 AND heartbeat_at < $2 \
             ORDER BY id LIMIT $3",
        )
        .bind(under)
        .bind(before)
        .bind(i64::from(limit))
        .fetch_all(&self.pool)
        .await
        .map_err(db_err)?;
        rows.iter()
            .map(|r| {
                Ok(StaleImportFile {
                    org: guanxi_core::OrgId(i64_of(r, "org_id")?),
                    id: ImportJobId(i64_of(r, "id")?),
                    path: str_of(r, "file_path")?,
                })
            })
            .collect()
    }

    pub(crate) async fn remove_import_file_impl(
        &self,
        ctx: Ctx,
        id: ImportJobId,
        before: chrono::DateTime<chrono::Utc>,
    ) -> Result<Option<ImportJob>, StoreError> {
        let mut tx = self.begin_write().await?;
        let now = now_micros();
        // Guarded like the query that found it: a job claimed meanwhile (running, or resumed)
        // keeps its file. A finished job's file (left behind by a crash before its removal)
        // only loses its path: the job did not need it any more, so nothing is marked.
        let n = sqlx::query(&format!(
            "UPDATE import_jobs SET file_path = NULL, \
             file_removed_at = CASE WHEN {NEEDS_FILE} THEN $1 ELSE NULL END \
             WHERE org_id = $2 AND id = $3 AND file_path IS NOT NULL \
             AND created_at < $4 AND heartbeat_at < $4"
        ))
        .bind(now)
        .bind(ctx.org.get())
        .bind(id.get())
        .bind(crate::codec::time_to_micros(before))
        .execute(&mut *tx)
        .await
        .map_err(db_err)?
        .rows_affected();
        if n == 0 {
            return Ok(None);
        }
        let job = load_job(&mut tx, ctx, id).await?;
        if job.file_removed_at.is_none() {
            tx.commit().await.map_err(db_err)?;
            return Ok(Some(job));
        }
        emit(
            &mut tx,
            self.backend,
            ctx,
            "import.file_removed",
            "import_job",
            id.get(),
            &json!({"file_name": job.file_name, "status": job.status, "mode": job.mode,
                    "reason": "retention"}),
        )
        .await?;
        tx.commit().await.map_err(db_err)?;
        Ok(Some(job))
    }

    pub(crate) async fn cancel_import_job_impl(
        &self,
        ctx: Ctx,
        id: ImportJobId,
    ) -> Result<ImportJob, StoreError> {
        let mut tx = self.begin_write().await?;
        let job = load_job(&mut tx, ctx, id).await?;
        if job.status != ImportStatus::Running {
            return Err(conflict("status"));
        }
        sqlx::query(
            "UPDATE import_jobs SET status = 'cancelled', finished_at = $1 WHERE org_id = $2 AND id = $3",
        )
        .bind(now_micros())
        .bind(ctx.org.get())
        .bind(id.get())
        .execute(&mut *tx)
        .await
        .map_err(db_err)?;
        emit(
            &mut tx,
            self.backend,
            ctx,
            "import.cancelled",
            "import_job",
            id.get(),
            &json!({"rows_done": job.rows_done}),
        )
        .await?;
        let job = load_job(&mut tx, ctx, id).await?;
        tx.commit().await.map_err(db_err)?;
        Ok(job)
    }

    pub(crate) async fn import_rows_impl(
        &self,
        ctx: Ctx,
        id: ImportJobId,
        outcome: Option<String>,
        after_line: u64,
        limit: u32,
    ) -> Result<Vec<ImportRowNote>, StoreError> {
        let mut conn = self.pool.acquire().await.map_err(db_err)?;
        load_job(&mut conn, ctx, id).await?;
        let rows = sqlx::query(
            "SELECT line, outcome, customer_id, detail FROM import_rows \
             WHERE job_id = $1 AND org_id = $2 AND line > $3 AND ($4 = '' OR outcome = $4) \
             ORDER BY line, outcome LIMIT $5",
        )
        .bind(id.get())
        .bind(ctx.org.get())
        .bind(i(after_line))
        .bind(outcome.unwrap_or_default())
        .bind(i64::from(limit.clamp(1, 1000)))
        .fetch_all(&mut *conn)
        .await
        .map_err(db_err)?;
        rows.iter()
            .map(|r| {
                Ok(ImportRowNote {
                    line: u(i64_of(r, "line")?),
                    outcome: str_of(r, "outcome")?,
                    customer_id: opt_i64(r, "customer_id")?.map(CustomerId),
                    detail: serde_json::from_str(&str_of(r, "detail")?)
                        .map_err(|e| StoreError::Internal(format!("import_rows.detail: {e}")))?,
                })
            })
            .collect()
    }

    pub(crate) async fn save_import_mapping_impl(
        &self,
        ctx: Ctx,
        name: String,
        mapping: Value,
    ) -> Result<ImportMapping, StoreError> {
        let name =
            guanxi_core::text::line(&name, 80).map_err(|e| StoreError::Invalid(e.nest("name")))?;
        let text = mapping.to_string();
        if text.len() > 64 * 1024 {
            return Err(StoreError::invalid(
                "mapping",
                Reason::TooLong { max: 64 * 1024 },
            ));
        }
        let mut tx = self.begin_write().await?;
        sqlx::query("DELETE FROM import_mappings WHERE org_id = $1 AND name = $2")
            .bind(ctx.org.get())
            .bind(&name)
            .execute(&mut *tx)
            .await
            .map_err(db_err)?;
        let id: i64 = sqlx::query_scalar(
            "INSERT INTO import_mappings (org_id, name, mapping, created_at) VALUES ($1, $2, $3, $4) RETURNING id",
        )
        .bind(ctx.org.get())
        .bind(&name)
        .bind(&text)
        .bind(now_micros())
        .fetch_one(&mut *tx)
        .await
        .map_err(db_err)?;
        emit(
            &mut tx,
            self.backend,
            ctx,
            "import_mapping.saved",
            "import_mapping",
            id,
            &json!({"name": name}),
        )
        .await?;
        tx.commit().await.map_err(db_err)?;
        Ok(ImportMapping { id, name, mapping })
    }

    pub(crate) async fn import_mappings_impl(
        &self,
        ctx: Ctx,
    ) -> Result<Vec<ImportMapping>, StoreError> {
        let rows = sqlx::query(
            "SELECT id, name, mapping FROM import_mappings WHERE org_id = $1 ORDER BY name LIMIT 200",
        )
        .bind(ctx.org.get())
        .fetch_all(&self.pool)
        .await
        .map_err(db_err)?;
        rows.iter()
            .map(|r| {
                Ok(ImportMapping {
                    id: i64_of(r, "id")?,
                    name: str_of(r, "name")?,
                    mapping: serde_json::from_str(&str_of(r, "mapping")?).map_err(|e| {
                        StoreError::Internal(format!("import_mappings.mapping: {e}"))
                    })?,
                })
            })
            .collect()
    }

    pub(crate) async fn import_chunk_impl(
        &self,
        ctx: Ctx,
        id: ImportJobId,
        chunk: ImportChunk,
    ) -> Result<ImportCounts, StoreError> {
        if chunk.rows.len() > IMPORT_CHUNK_MAX {
            return Err(StoreError::invalid(
                "rows",
                Reason::TooMany {
                    max: IMPORT_CHUNK_MAX,
                },
            ));
        }
        // Rows are checked again here: the caller parsed the file, but the store trusts no
        // caller with a name it cannot show.
        for (n, r) in chunk.rows.iter().enumerate() {
            if let ChunkRow::Import { row, .. } | ChunkRow::SameAs { row, .. } = r {
                guanxi_core::text::line(&row.name, 120)
                    .map_err(|e| StoreError::Invalid(e.nest(&format!("rows[{n}].name"))))?;
            }
        }
        let org = ctx.org.get();
        let mut tx = self.begin_bulk().await?;
        // Index pages of a large organisation do not fit SQLite's usual page cache; a chunk's
        // inserts land all over them. A larger cache (256 MB) for this transaction, given back
        // below, cut the time of a 300,000-row import by a third.
        if self.backend == crate::Backend::Sqlite {
            sqlx::query("PRAGMA cache_size = -262144")
                .execute(&mut *tx)
                .await
                .map_err(db_err)?;
        } else {
            // An import grows the tables it reads by the chunk; a generic plan cached while they
            // were empty (sequential scans) made each duplicate lookup take a second at 100,000
            // rows. Plan every statement of the chunk for its parameters and today's size.
            sqlx::query("SET LOCAL plan_cache_mode = force_custom_plan")
                .execute(&mut *tx)
                .await
                .map_err(db_err)?;
        }
        let job = load_job(&mut tx, ctx, id).await?;
        if job.status != ImportStatus::Running {
            return Err(conflict("status"));
        }
        if job.kind != ImportKind::Customers {
            return Err(conflict("kind"));
        }
        if job.rows_done != chunk.from_row {
            return Err(conflict("rows_done"));
        }
        let policy = job.policy;
        let now = now_micros();

        // 1. Who already holds the chunk's phones, e-mails and WeChat ids.
        let mut keys: Vec<String> = Vec::new();
        for r in &chunk.rows {
            if let ChunkRow::Import { row, .. } | ChunkRow::SameAs { row, .. } = r {
                for c in &row.contacts {
                    if family(c.kind).is_some() {
                        keys.push(c.key.clone());
                    }
                }
            }
        }
        keys.sort_unstable();
        keys.dedup();
        let held = holders(&mut tx, self.backend, org, &keys).await?;

        // 2. Decide row by row, in file order.
        let mut counts = ImportCounts::default();
        let mut fresh: Vec<Fresh> = Vec::new();
        // Rows that match a customer: line, customer, row, the earlier line it repeats, and
        // other customers holding another of its contact points (it joins the first).
        #[allow(clippy::type_complexity)]
        let mut matched: Vec<(u64, i64, &ImportCustomer, Option<u64>, Vec<i64>)> = Vec::new();
        let mut notes: Vec<(u64, &'static str, Option<i64>, Value)> = Vec::new();
        let mut target: HashMap<(u8, &str), Target> = HashMap::new();
        for r in &chunk.rows {
            match r {
                ChunkRow::Skipped { .. } => counts.skipped += 1,
                ChunkRow::Rejected { line, reasons } => {
                    counts.rejected += 1;
                    notes.push((*line, "rejected", None, json!({ "reasons": reasons })));
                }
                ChunkRow::Import { line, row } | ChunkRow::SameAs { line, row, .. } => {
                    let first_line = match r {
                        ChunkRow::SameAs { first_line, .. } => Some(*first_line),
                        _ => None,
                    };
                    let found = row.contacts.iter().find_map(|c| {
                        let f = family(c.kind)?;
                        target.get(&(f, c.key.as_str())).copied().or_else(|| {
                            held.get(&(f, c.key.clone()))
                                .map(|id| Target::Existing(*id))
                        })
                    });
                    match found {
                        Some(Target::Existing(cid)) => {
                            if first_line.is_some() {
                                counts.same_as += 1;
                            } else {
                                counts.matched += 1;
                            }
                            let mut others: Vec<i64> = row
                                .contacts
                                .iter()
                                .filter_map(|c| held.get(&(family(c.kind)?, c.key.clone())))
                                .copied()
                                .filter(|o| *o != cid)
                                .collect();
                            others.sort_unstable();
                            others.dedup();
                            matched.push((*line, cid, row, first_line, others));
                        }
                        Some(Target::New(n)) => {
                            counts.same_as += 1;
                            let into_line = fresh[n].line;
                            merge_into(&mut fresh[n].row, row, policy);
                            for c in &row.contacts {
                                if let Some(f) = family(c.kind) {
                                    target.entry((f, c.key.as_str())).or_insert(Target::New(n));
                                }
                            }
                            notes.push((
                                *line,
                                "same_as",
                                None,
                                json!({ "first_line": first_line.unwrap_or(into_line) }),
                            ));
                        }
                        None => {
                            counts.created += 1;
                            let n = fresh.len();
                            for c in &row.contacts {
                                if let Some(f) = family(c.kind) {
                                    target.entry((f, c.key.as_str())).or_insert(Target::New(n));
                                }
                            }
                            fresh.push(Fresh {
                                line: *line,
                                company: row.company.as_deref() == Some(row.name.as_str()),
                                row: row.clone(),
                                id: 0,
                            });
                        }
                    }
                }
            }
        }

        let dry = job.mode == ImportMode::Check;
        let mut updated_ids = Vec::new();
        let mut implicit_ids: Vec<(String, i64)> = Vec::new();

        // 3. Rows that match existing customers: the policy decides, for the whole chunk at
        // once from its customers read in a few statements (read one at a time, a million-row
        // file under `fill` took 437 s). A contact point a row adds must be held by nobody:
        // not by a customer (the chunk's lookup), not by a row of this chunk. A check plans
        // the same and writes nothing.
        let mut olds = if policy == ImportPolicy::Skip || matched.is_empty() {
            HashMap::new()
        } else {
            let mut ids: Vec<i64> = matched.iter().map(|m| m.1).collect();
            ids.sort_unstable();
            ids.dedup();
            crate::customers::load_many(&mut tx, ctx.org, guanxi_core::Reach::Org, &ids).await?
        };
        let mut taken: std::collections::HashSet<(u8, String)> = std::collections::HashSet::new();
        for (line, cid, row, first_line, others) in &matched {
            let changes = match olds.get_mut(cid) {
                Some(old) if policy != ImportPolicy::Skip => {
                    let plan = crate::imports::plan(old, row, policy);
                    let mut added: Vec<ContactValue> = Vec::new();
                    for c in &row.contacts {
                        let has = old.contact_points.iter().any(|cp| cp.key == c.key)
                            || added.iter().any(|a| a.key == c.key);
                        let free = match family(c.kind) {
                            Some(f) => {
                                let k = (f, c.key.clone());
                                !held.contains_key(&k)
                                    && !taken.contains(&k)
                                    && !target.contains_key(&(f, c.key.as_str()))
                            }
                            None => true,
                        };
                        if !has && free {
                            added.push(c.clone());
                        }
                    }
                    for c in &added {
                        if let Some(f) = family(c.kind) {
                            taken.insert((f, c.key.clone()));
                        }
                    }
                    crate::imports::carry_out(&mut tx, self.backend, ctx, old, plan, &added, dry)
                        .await?
                }
                _ => None,
            };
            let changed = changes.is_some();
            if changed {
                counts.updated += 1;
                updated_ids.push(*cid);
            }
            let outcome = match (first_line, changed) {
                (Some(_), _) => "same_as",
                (None, true) => "updated",
                (None, false) => "matched",
            };
            notes.push((
                *line,
                outcome,
                Some(*cid),
                json!({ "first_line": first_line, "policy": policy, "updated": changed,
                        "changes": changes, "also_held_by": others }),
            ));
        }

        if dry {
            // A check writes nothing but its report: which customers the rows would join and
            // what the policy would change in them, the first rows it would create, and how
            // many companies would be added.
            let listed: i64 = sqlx::query_scalar(
                "SELECT COUNT(*) FROM import_rows WHERE job_id = $1 AND outcome = 'created'",
            )
            .bind(id.get())
            .fetch_one(&mut *tx)
            .await
            .map_err(db_err)?;
            let room = usize::try_from(i(CHECK_CREATED_ROWS) - listed).unwrap_or(0);
            for f in fresh.iter().take(room) {
                notes.push((
                    f.line,
                    "created",
                    None,
                    json!({ "name": f.row.name, "company": f.row.company }),
                ));
            }
            let mut wanted: Vec<String> = fresh
                .iter()
                .filter(|f| !f.company)
                .filter_map(|f| f.row.company.clone())
                .collect();
            wanted.sort_unstable();
            wanted.dedup();
            let found = companies_named(&mut tx, self.backend, org, &wanted).await?;
            counts.companies = wanted
                .iter()
                .filter(|w| {
                    !found.contains_key(*w) && !fresh.iter().any(|f| f.company && &f.row.name == *w)
                })
                .count() as u64;
        } else {
            // 4. Companies the new persons name: found by name, or created.
            let mut company_ids: HashMap<String, i64> = HashMap::new();
            let mut wanted: Vec<String> =
                fresh.iter().filter_map(|f| f.row.company.clone()).collect();
            wanted.sort_unstable();
            wanted.dedup();
            company_ids.extend(companies_named(&mut tx, self.backend, org, &wanted).await?);
            // Company rows of the file first (a person may name one of them), then the companies
            // named only by persons.
            let companies: Vec<usize> = (0..fresh.len()).filter(|n| fresh[*n].company).collect();
            let rows: Vec<Vec<Arg>> = companies
                .iter()
                .map(|n| customer_row(org, &fresh[*n].row, true, None, now))
                .collect::<Result<_, _>>()?;
            let ids = insert_rows(&mut tx, self.backend, CUSTOMER_HEAD, &rows, true).await?;
            for (n, id) in companies.iter().zip(ids) {
                fresh[*n].id = id;
                company_ids.entry(fresh[*n].row.name.clone()).or_insert(id);
            }
            let mut implicit: Vec<String> = wanted
                .into_iter()
                .filter(|w| !company_ids.contains_key(w))
                .collect();
            implicit.sort_unstable();
            let rows: Vec<Vec<Arg>> = implicit
                .iter()
                .map(|name| {
                    customer_row(
                        org,
                        &ImportCustomer {
                            name: name.clone(),
                            ..ImportCustomer::default()
                        },
                        true,
                        None,
                        now,
                    )
                })
                .collect::<Result<_, _>>()?;
            let ids = insert_rows(&mut tx, self.backend, CUSTOMER_HEAD, &rows, true).await?;
            counts.companies = ids.len() as u64;
            for (name, id) in implicit.iter().zip(ids) {
                company_ids.insert(name.clone(), id);
                implicit_ids.push((name.clone(), id));
            }

            // 5. The new persons.
            let persons: Vec<usize> = (0..fresh.len()).filter(|n| !fresh[*n].company).collect();
            let rows: Vec<Vec<Arg>> = persons
                .iter()
                .map(|n| {
                    let r = &fresh[*n].row;
                    let company = r.company.as_ref().and_then(|c| company_ids.get(c)).copied();
                    customer_row(org, r, false, company, now)
                })
                .collect::<Result<_, _>>()?;
            let ids = insert_rows(&mut tx, self.backend, CUSTOMER_HEAD, &rows, true).await?;
            for (n, id) in persons.iter().zip(ids) {
                fresh[*n].id = id;
            }

            // 6. Their contact points, name tokens and tags.
            let mut cps = Vec::new();
            let mut tokens = Vec::new();
            let mut tags = Vec::new();
            for f in &fresh {
                let mut seen = std::collections::HashSet::new();
                let mut first = true;
                for c in &f.row.contacts {
                    if !seen.insert((c.kind, c.key.as_str())) {
                        continue;
                    }
                    cps.push(contact_row(org, f.id, c, first, now));
                    first = false;
                }
                for t in name_tokens(&f.row.name) {
                    tokens.push((t, f.id));
                }
                for t in &f.row.tags {
                    tags.push(vec![Arg::I(org), Arg::S(t.clone()), Arg::I(f.id)]);
                }
            }
            for (name, id) in &implicit_ids {
                for t in name_tokens(name) {
                    tokens.push((t, *id));
                }
            }
            // In index order, so that consecutive inserts land on the same pages.
            tokens.sort_unstable();
            let tokens: Vec<Vec<Arg>> = tokens
                .into_iter()
                .map(|(t, id)| vec![Arg::I(org), Arg::S(t), Arg::I(id)])
                .collect();
            insert_rows(
            &mut tx,
            self.backend,
            "INSERT INTO contact_points (org_id, customer_id, kind, value, key, rkey, label, is_primary, created_at)",
            &cps,
            false,
        )
        .await?;
            insert_rows(
                &mut tx,
                self.backend,
                "INSERT INTO search_tokens (org_id, token, customer_id)",
                &tokens,
                false,
            )
            .await?;
            insert_rows(
                &mut tx,
                self.backend,
                "INSERT INTO customer_tags (org_id, tag, customer_id)",
                &tags,
                false,
            )
            .await?;
        }

        // 7. The report rows, up to the cap per job.
        let kept: i64 = sqlx::query_scalar("SELECT COUNT(*) FROM import_rows WHERE job_id = $1")
            .bind(id.get())
            .fetch_one(&mut *tx)
            .await
            .map_err(db_err)?;
        let room = usize::try_from(i(IMPORT_REPORT_ROWS_MAX) - kept).unwrap_or(0);
        notes.sort_by_key(|n| n.0);
        let note_rows: Vec<Vec<Arg>> = notes
            .into_iter()
            .take(room)
            .map(|(line, outcome, cid, detail)| {
                vec![
                    Arg::I(org),
                    Arg::I(id.get()),
                    Arg::I(i(line)),
                    Arg::S(outcome.to_owned()),
                    cid.map_or(Arg::N, Arg::I),
                    Arg::S(detail.to_string()),
                ]
            })
            .collect();
        insert_rows(
            &mut tx,
            self.backend,
            "INSERT INTO import_rows (org_id, job_id, line, outcome, customer_id, detail)",
            &note_rows,
            false,
        )
        .await?;

        // 8. The job's progress, in the same transaction as the rows.
        let created_ids: Vec<i64> = fresh.iter().map(|f| f.id).collect();
        let first_created = created_ids
            .iter()
            .chain(implicit_ids.iter().map(|(_, id)| id))
            .filter(|id| **id > 0)
            .min()
            .copied();
        let rows_done = chunk.from_row + chunk.rows.len() as u64;
        let n = sqlx::query(
            "UPDATE import_jobs SET rows_done = $1, bytes_done = $2, created = created + $3, \
             companies = companies + $4, matched = matched + $5, updated = updated + $6, \
             same_as = same_as + $7, rejected = rejected + $8, skipped = skipped + $9, \
             heartbeat_at = $10, first_customer_id = COALESCE(first_customer_id, $11) \
             WHERE org_id = $12 AND id = $13 AND rows_done = $14 AND status = 'running'",
        )
        .bind(i(rows_done))
        .bind(i(chunk.bytes_done))
        .bind(i(counts.created))
        .bind(i(counts.companies))
        .bind(i(counts.matched))
        .bind(i(counts.updated))
        .bind(i(counts.same_as))
        .bind(i(counts.rejected))
        .bind(i(counts.skipped))
        .bind(now)
        .bind(first_created)
        .bind(org)
        .bind(id.get())
        .bind(i(chunk.from_row))
        .execute(&mut *tx)
        .await
        .map_err(db_err)?
        .rows_affected();
        if n != 1 {
            return Err(conflict("rows_done"));
        }
        // One event for the chunk, naming every customer it created or changed.
        let implicit: Vec<i64> = implicit_ids.iter().map(|(_, id)| *id).collect();
        if !dry {
            emit(
                &mut tx,
                self.backend,
                ctx,
                "customers.imported",
                "import_job",
                id.get(),
                &json!({"from_row": chunk.from_row, "rows": chunk.rows.len(), "counts": counts,
                    "created_ids": created_ids, "company_ids": implicit,
                    "updated_ids": updated_ids, "policy": policy}),
            )
            .await?;
        }
        if self.backend == crate::Backend::Sqlite {
            sqlx::query("PRAGMA cache_size = -8192")
                .execute(&mut *tx)
                .await
                .map_err(db_err)?;
        }
        tx.commit().await.map_err(db_err)?;
        Ok(counts)
    }

    /// The first customer an import created (its scan for look-alikes starts there).
    pub(crate) async fn import_first_customer_impl(
        &self,
        ctx: Ctx,
        id: ImportJobId,
    ) -> Result<Option<CustomerId>, StoreError> {
        let first: Option<Option<i64>> = sqlx::query_scalar(
            "SELECT first_customer_id FROM import_jobs WHERE org_id = $1 AND id = $2",
        )
        .bind(ctx.org.get())
        .bind(id.get())
        .fetch_optional(&self.pool)
        .await
        .map_err(db_err)?;
        Ok(first.flatten().map(CustomerId))
    }
}

/// Rows a check lists as to be created, per job (the report's other rows, which need a look,
/// keep the rest of its room).
const CHECK_CREATED_ROWS: u64 = 1_000;

pub(crate) const CUSTOMER_HEAD: &str =
    "INSERT INTO customers (org_id, kind, name, company_id, title, owner_id, team_id, \
    status, class, vip, tags, city, birthday, note, custom, version, created_at, updated_at)";

pub(crate) fn customer_row(
    org: i64,
    r: &ImportCustomer,
    company: bool,
    company_id: Option<i64>,
    now: i64,
) -> Result<Vec<Arg>, StoreError> {
    Ok(vec![
        Arg::I(org),
        Arg::S(if company { "company" } else { "person" }.into()),
        Arg::S(r.name.clone()),
        company_id.map_or(Arg::N, Arg::I),
        opt_s(&r.title),
        Arg::N,
        Arg::N,
        Arg::S(if company { "potential" } else { "new" }.into()),
        Arg::S("ordinary".into()),
        Arg::B(false),
        Arg::S(to_json(&r.tags)?),
        opt_s(&r.city),
        opt_s(&date_to_str(r.birthday)),
        opt_s(&r.note),
        Arg::S(to_json(&r.custom)?),
        Arg::I(1),
        Arg::I(now),
        Arg::I(now),
    ])
}

pub(crate) fn contact_row(
    org: i64,
    customer: i64,
    c: &ContactValue,
    primary: bool,
    now: i64,
) -> Vec<Arg> {
    vec![
        Arg::I(org),
        Arg::I(customer),
        Arg::S(c.kind.as_str().into()),
        Arg::S(c.display.clone()),
        Arg::S(c.key.clone()),
        opt_s(&rkey_of(c)),
        Arg::NS,
        Arg::B(primary),
        Arg::I(now),
    ]
}

//! The outbox: domain events written in the same transaction as the change they describe.

use crate::codec::{i64_of, json_of, now_micros, opt_i64, str_of, time_of};
use crate::{db_err, Backend, SqlStore};
use guanxi_core::{ApiTokenId, EventId, OrgId, UserId};
use guanxi_store::{AuditEntry, Ctx, Event, Outcome, StoreError};
use serde_json::Value;
use sqlx::AnyConnection;

/// Most events one read returns.
pub const EVENTS_PAGE_MAX: u32 = 1000;

/// Arbitrary, fixed key of the PostgreSQL advisory lock that orders outbox writes.
const OUTBOX_LOCK: i64 = 0x6775_616e_7869; // "guanxi"

/// Write one domain event. Call it last in a transaction: on PostgreSQL it takes a
/// transaction-level advisory lock so that event ids are handed out in commit order (a reader
/// that has seen event N can never later find a committed event below N). SQLite has a single
/// writer, so its ids are in commit order already.
pub(crate) async fn emit(
    conn: &mut AnyConnection,
    backend: Backend,
    ctx: Ctx,
    event_type: &str,
    entity: &str,
    entity_id: i64,
    payload: &Value,
) -> Result<(), StoreError> {
    if backend == Backend::Postgres {
        sqlx::query("SELECT pg_advisory_xact_lock($1)")
            .bind(OUTBOX_LOCK)
            .execute(&mut *conn)
            .await
            .map_err(db_err)?;
    }
    sqlx::query(
        "INSERT INTO events (org_id, event_type, entity, entity_id, actor_id, occurred_at, payload) \
         VALUES ($1, $2, $3, $4, $5, $6, $7)",
    )
    .bind(ctx.org.get())
    .bind(event_type)
    .bind(entity)
    .bind(entity_id)
    .bind(ctx.actor.map(UserId::get))
    .bind(now_micros())
    .bind(payload.to_string())
    .execute(&mut *conn)
    .await
    .map_err(db_err)?;
    // The audit record of the same change: who, when, from where, what.
    append_audit(
        conn,
        &AuditEntry {
            org: Some(ctx.org),
            actor: ctx.actor,
            token: ctx.token,
            ip: ctx.ip,
            action: event_type.to_owned(),
            entity: Some(entity.to_owned()),
            entity_id: Some(entity_id),
            outcome: Outcome::Ok,
            detail: payload.clone(),
        },
    )
    .await
}

/// Append one record to the audit log, inside the caller's transaction when it has one.
pub(crate) async fn append_audit(
    conn: &mut AnyConnection,
    e: &AuditEntry,
) -> Result<(), StoreError> {
    sqlx::query(
        "INSERT INTO audit_log (org_id, at, actor_id, token_id, ip, action, entity, entity_id, outcome, detail) \
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10)",
    )
    .bind(e.org.map(OrgId::get))
    .bind(now_micros())
    .bind(e.actor.map(UserId::get))
    .bind(e.token.map(ApiTokenId::get))
    .bind(e.ip.map(|ip| ip.to_string()))
    .bind(&e.action)
    .bind(e.entity.as_deref())
    .bind(e.entity_id)
    .bind(e.outcome.as_str())
    .bind(e.detail.to_string())
    .execute(&mut *conn)
    .await
    .map_err(db_err)?;
    Ok(())
}

impl SqlStore {
    pub(crate) async fn events_after_impl(
        &self,
        ctx: Ctx,
        after: EventId,
        limit: u32,
    ) -> Result<Vec<Event>, StoreError> {
        let rows = sqlx::query(
            "SELECT id, event_type, entity, entity_id, actor_id, occurred_at, payload \
             FROM events WHERE org_id = $1 AND id > $2 ORDER BY id LIMIT $3",
        )
        .bind(ctx.org.get())
        .bind(after.get())
        .bind(i64::from(limit.clamp(1, EVENTS_PAGE_MAX)))
        .fetch_all(&self.pool)
        .await
        .map_err(db_err)?;
        rows.iter()
            .map(|r| {
                Ok(Event {
                    id: EventId(i64_of(r, "id")?),
                    event_type: str_of(r, "event_type")?,
                    entity: str_of(r, "entity")?,
                    entity_id: i64_of(r, "entity_id")?,
                    actor: opt_i64(r, "actor_id")?.map(UserId),
                    occurred_at: time_of(r, "occurred_at")?,
                    payload: json_of(r, "payload")?,
                })
            })
            .collect()
    }
}

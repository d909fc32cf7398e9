//! Activities (tasks, calls, meetings, visits) and the calendar feed.

use crate::codec::{
    enum_of, i64_of, now_micros, opt_i64, opt_str, opt_time, str_of, time_of, time_to_micros,
};
use crate::customers::within_reach;
use crate::events::emit;
use crate::users::{load_user, user_from, USER_COLS};
use crate::{db_err, SqlStore};
use guanxi_core::pipeline::ActivityKind;
use guanxi_core::{ActivityId, CustomerId, OpportunityId, OrgId, Reason, UserId};
use guanxi_store::{Activity, ActivityQuery, Ctx, NewActivity, StoreError, User};
use serde_json::json;
use sqlx::AnyConnection;

const COLS: &str = "a.id, a.kind, a.subject, a.note, a.customer_id, c.name AS customer_name, \
    a.opportunity_id, a.lead_id, a.assignee_id, a.due_at, a.duration_min, a.remind_at, a.done_at, a.version, \
    a.created_at, a.updated_at";
const FROM: &str = "activities a LEFT JOIN customers c ON c.id = a.customer_id";

fn from_row(r: &crate::Row) -> Result<Activity, StoreError> {
    Ok(Activity {
        id: ActivityId(i64_of(r, "id")?),
        kind: enum_of(r, "kind", ActivityKind::parse)?,
        subject: str_of(r, "subject")?,
        note: opt_str(r, "note")?,
        customer_id: opt_i64(r, "customer_id")?.map(CustomerId),
        customer_name: opt_str(r, "customer_name")?,
        opportunity_id: opt_i64(r, "opportunity_id")?.map(OpportunityId),
        lead_id: opt_i64(r, "lead_id")?.map(guanxi_core::LeadId),
        assignee_id: UserId(i64_of(r, "assignee_id")?),
        due_at: time_of(r, "due_at")?,
        duration_min: i64_of(r, "duration_min")?,
        remind_at: opt_time(r, "remind_at")?,
        done_at: opt_time(r, "done_at")?,
        version: i64_of(r, "version")?,
        created_at: time_of(r, "created_at")?,
        updated_at: time_of(r, "updated_at")?,
    })
}

async fn load(
    conn: &mut AnyConnection,
    org: OrgId,
    id: ActivityId,
) -> Result<Activity, StoreError> {
    let row = sqlx::query(&format!(
        "SELECT {COLS} FROM {FROM} WHERE a.org_id = $1 AND a.id = $2"
    ))
    .bind(org.get())
    .bind(id.get())
    .fetch_optional(&mut *conn)
    .await
    .map_err(db_err)?
    .ok_or(StoreError::NotFound { entity: "activity" })?;
    from_row(&row)
}

/// May the actor act for `assignee` (themselves, or within their reach)?
async fn reaches_user(
    conn: &mut AnyConnection,
    ctx: Ctx,
    assignee: UserId,
) -> Result<bool, StoreError> {
    if ctx.actor == Some(assignee) {
        return Ok(true);
    }
    let user = match load_user(conn, ctx.org, assignee).await {
        Ok(u) => u,
        Err(StoreError::NotFound { .. }) => return Ok(false),
        Err(e) => return Err(e),
    };
    Ok(ctx.reach.may_assign_to(user.id, user.team_id))
}

impl SqlStore {
    pub(crate) async fn create_activity_impl(
        &self,
        ctx: Ctx,
        new: NewActivity,
    ) -> Result<Activity, StoreError> {
        let mut tx = self.begin_write().await?;
        let assignee = new
            .assignee_id
            .or(ctx.actor)
            .ok_or_else(|| StoreError::invalid("assignee_id", Reason::Required))?;
        if !reaches_user(&mut tx, ctx, assignee).await? {
            return Err(StoreError::invalid("assignee_id", Reason::NotAllowed));
        }
        if let Some(c) = new.customer_id {
            if within_reach(&mut tx, ctx, c, false).await.is_err() {
                return Err(StoreError::invalid("customer_id", Reason::NotFound));
            }
        }
        if let Some(o) = new.opportunity_id {
            let found: Option<i64> = sqlx::query_scalar(
                "SELECT customer_id FROM opportunities WHERE org_id = $1 AND id = $2",
            )
            .bind(ctx.org.get())
            .bind(o.get())
            .fetch_optional(&mut *tx)
            .await
            .map_err(db_err)?;
            match found {
                Some(cid)
                    if within_reach(&mut tx, ctx, CustomerId(cid), false)
                        .await
                        .is_ok() => {}
                _ => return Err(StoreError::invalid("opportunity_id", Reason::NotFound)),
            }
        }
        if let Some(l) = new.lead_id {
            if crate::leads::load_lead(&mut tx, ctx, l).await.is_err() {
                return Err(StoreError::invalid("lead_id", Reason::NotFound));
            }
        }
        let now = now_micros();
        let id: i64 = sqlx::query_scalar(
            "INSERT INTO activities (org_id, kind, subject, note, customer_id, opportunity_id, assignee_id, \
             due_at, duration_min, remind_at, created_by, version, created_at, updated_at, lead_id) \
             VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, 1, $12, $12, $13) RETURNING id",
        )
        .bind(ctx.org.get())
        .bind(new.kind.as_str())
        .bind(&new.subject)
        .bind(new.note.as_deref())
        .bind(new.customer_id.map(CustomerId::get))
        .bind(new.opportunity_id.map(OpportunityId::get))
        .bind(assignee.get())
        .bind(time_to_micros(new.due_at))
        .bind(new.duration_min)
        .bind(new.remind_at.map(time_to_micros))
        .bind(ctx.actor.map(UserId::get))
        .bind(now)
        .bind(new.lead_id.map(guanxi_core::LeadId::get))
        .fetch_one(&mut *tx)
        .await
        .map_err(db_err)?;
        let a = load(&mut tx, ctx.org, ActivityId(id)).await?;
        emit(
            &mut tx,
            self.backend,
            ctx,
            "activity.planned",
            "activity",
            id,
            &json!({"kind": a.kind, "subject": a.subject, "customer_id": a.customer_id,
                    "assignee_id": a.assignee_id, "due_at": a.due_at}),
        )
        .await?;
        tx.commit().await.map_err(db_err)?;
        Ok(a)
    }

    pub(crate) async fn list_activities_impl(
        &self,
        ctx: Ctx,
        q: ActivityQuery,
    ) -> Result<Vec<Activity>, StoreError> {
        let mut conn = self.pool.acquire().await.map_err(db_err)?;
        if !reaches_user(&mut conn, ctx, q.assignee).await? {
            return Err(StoreError::NotFound { entity: "user" });
        }
        let rows = sqlx::query(&format!(
            "SELECT {COLS} FROM {FROM} WHERE a.org_id = $1 AND a.assignee_id = $2 \
             AND (a.done_at IS NULL OR $3) AND ($4 IS NULL OR a.due_at < $4) \
             ORDER BY a.due_at, a.id LIMIT {}",
            q.limit.clamp(1, 500)
        ))
        .bind(ctx.org.get())
        .bind(q.assignee.get())
        .bind(q.include_done)
        .bind(q.due_before.map(time_to_micros))
        .fetch_all(&mut *conn)
        .await
        .map_err(db_err)?;
        rows.iter().map(from_row).collect()
    }

    pub(crate) async fn complete_activity_impl(
        &self,
        ctx: Ctx,
        id: ActivityId,
        expected: Option<i64>,
    ) -> Result<Activity, StoreError> {
        let mut tx = self.begin_write().await?;
        let old = load(&mut tx, ctx.org, id).await?;
        if !reaches_user(&mut tx, ctx, old.assignee_id).await? {
            return Err(StoreError::NotFound { entity: "activity" });
        }
        if let Some(expected) = expected.filter(|e| *e != old.version) {
            return Err(StoreError::VersionMismatch {
                expected,
                current: old.version,
            });
        }
        if old.done_at.is_some() {
            return Ok(old);
        }
        let now = now_micros();
        sqlx::query("UPDATE activities SET done_at = $1, version = version + 1, updated_at = $1 WHERE org_id = $2 AND id = $3")
            .bind(now)
            .bind(ctx.org.get())
            .bind(id.get())
            .execute(&mut *tx)
            .await
            .map_err(db_err)?;
        let a = load(&mut tx, ctx.org, id).await?;
        emit(
            &mut tx,
            self.backend,
            ctx,
            "activity.done",
            "activity",
            id.get(),
            &json!({"subject": a.subject, "customer_id": a.customer_id}),
        )
        .await?;
        tx.commit().await.map_err(db_err)?;
        Ok(a)
    }

    pub(crate) async fn set_calendar_feed_impl(
        &self,
        ctx: Ctx,
        secret_hash: String,
    ) -> Result<(), StoreError> {
        let user = ctx.actor.ok_or(StoreError::NotFound { entity: "user" })?;
        let mut tx = self.begin_write().await?;
        sqlx::query("DELETE FROM calendar_feeds WHERE user_id = $1")
            .bind(user.get())
            .execute(&mut *tx)
            .await
            .map_err(db_err)?;
        sqlx::query("INSERT INTO calendar_feeds (user_id, org_id, secret_hash, created_at) VALUES ($1, $2, $3, $4)")
            .bind(user.get())
            .bind(ctx.org.get())
            .bind(&secret_hash)
            .bind(now_micros())
            .execute(&mut *tx)
            .await
            .map_err(db_err)?;
        emit(
            &mut tx,
            self.backend,
            ctx,
            "calendar_feed.created",
            "user",
            user.get(),
            &json!({}),
        )
        .await?;
        tx.commit().await.map_err(db_err)?;
        Ok(())
    }

    pub(crate) async fn calendar_feed_user_impl(
        &self,
        secret_hash: &str,
    ) -> Result<Option<(OrgId, User)>, StoreError> {
        let row = sqlx::query(&format!(
            "SELECT {USER_COLS} FROM calendar_feeds f JOIN users u ON u.id = f.user_id \
             WHERE f.secret_hash = $1 AND u.active = $2"
        ))
        .bind(secret_hash)
        .bind(true)
        .fetch_optional(&self.pool)
        .await
        .map_err(db_err)?;
        row.map(|r| Ok((OrgId(i64_of(&r, "org_id")?), user_from(&r)?)))
            .transpose()
    }
}

impl SqlStore {
    /// Activities about a customer or a lead within reach, by due time (done ones too).
    pub(crate) async fn activities_about_impl(
        &self,
        ctx: Ctx,
        about: guanxi_store::About,
    ) -> Result<Vec<Activity>, StoreError> {
        let mut conn = self.pool.acquire().await.map_err(db_err)?;
        let (col, id) = match about {
            guanxi_store::About::Customer(c) => {
                within_reach(&mut conn, ctx, c, true).await?;
                ("customer_id", c.get())
            }
            guanxi_store::About::Lead(l) => {
                crate::leads::load_lead(&mut conn, ctx, l).await?;
                ("lead_id", l.get())
            }
        };
        let rows = sqlx::query(&format!(
            "SELECT {COLS} FROM {FROM} WHERE a.org_id = $1 AND a.{col} = $2 \
             ORDER BY a.due_at DESC, a.id DESC LIMIT 200"
        ))
        .bind(ctx.org.get())
        .bind(id)
        .fetch_all(&mut *conn)
        .await
        .map_err(db_err)?;
        rows.iter().map(from_row).collect()
    }
}

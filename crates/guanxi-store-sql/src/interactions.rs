//! Interactions and the customer timeline, with customer recognition (客户识别) on logging.

use crate::codec::{
    decode_cursor, encode_cursor, enum_of, i64_of, json_of, now_micros, opt_i64, opt_str, str_of,
    time_of, time_to_micros, to_json,
};
use crate::contacts::{self, family};
use crate::events::emit;
use crate::{db_err, SqlStore};
use guanxi_core::customer::{CustomerClass, CustomerKind, CustomerStatus};
use guanxi_core::interaction::{Channel, Direction};
use guanxi_core::{CustomerId, InteractionId, OrgId, Reason, UserId};
use guanxi_store::{
    Ctx, Interaction, InteractionPatch, NewContactPoint, NewInteraction, Page, Recognition,
    StoreError, TimelineQuery,
};
use serde_json::json;
use sqlx::AnyConnection;

const COLS: &str = "id, customer_id, channel, direction, occurred_at, staff_id, subject, body, \
    duration_seconds, outcome, contact, links, version, created_at, updated_at";

/// Most interactions one timeline page returns.
pub const TIMELINE_MAX: u32 = 200;

fn from_row(r: &crate::Row) -> Result<Interaction, StoreError> {
    Ok(Interaction {
        id: InteractionId(i64_of(r, "id")?),
        customer_id: CustomerId(i64_of(r, "customer_id")?),
        channel: enum_of(r, "channel", Channel::parse)?,
        direction: enum_of(r, "direction", Direction::parse)?,
        occurred_at: time_of(r, "occurred_at")?,
        staff_id: opt_i64(r, "staff_id")?.map(UserId),
        subject: opt_str(r, "subject")?,
        body: str_of(r, "body")?,
        duration_seconds: opt_i64(r, "duration_seconds")?,
        outcome: opt_str(r, "outcome")?,
        contact: opt_str(r, "contact")?,
        links: json_of::<Vec<LinkRow>>(r, "links")?
            .into_iter()
            .map(|l| {
                guanxi_core::interaction::LinkKind::parse(&l.kind)
                    .map(|kind| guanxi_store::Link { kind, id: l.id })
                    .map_err(|_| StoreError::Internal("bad link kind".into()))
            })
            .collect::<Result<_, _>>()?,
        version: i64_of(r, "version")?,
        created_at: time_of(r, "created_at")?,
        updated_at: time_of(r, "updated_at")?,
    })
}

#[derive(serde::Deserialize, serde::Serialize)]
struct LinkRow {
    kind: String,
    id: i64,
}

fn links_json(links: &[guanxi_store::Link]) -> Result<String, StoreError> {
    to_json(
        &links
            .iter()
            .map(|l| LinkRow {
                kind: l.kind.as_str().to_owned(),
                id: l.id,
            })
            .collect::<Vec<_>>(),
    )
}

/// A customer's interactions, newest first, optionally of one channel, after a cursor.
pub(crate) async fn recent(
    conn: &mut AnyConnection,
    org: OrgId,
    customer: CustomerId,
    channel: Option<Channel>,
    cursor: Option<&str>,
    limit: u32,
) -> Result<(Vec<Interaction>, Option<String>), StoreError> {
    let limit = limit.clamp(1, TIMELINE_MAX) as usize;
    let (at, id) = match cursor {
        None => (i64::MAX, i64::MAX),
        Some(c) => {
            let parts = decode_cursor(c)?;
            match (
                parts.first().and_then(|v| v.as_i64()),
                parts.get(1).and_then(|v| v.as_i64()),
            ) {
                (Some(a), Some(i)) => (a, i),
                _ => return Err(StoreError::invalid("cursor", Reason::InvalidCursor)),
            }
        }
    };
    let channel_cond = if channel.is_some() {
        "AND channel = $5"
    } else {
        ""
    };
    let sql = format!(
        "SELECT {COLS} FROM interactions WHERE customer_id = $1 AND org_id = $2 \
         AND (occurred_at < $3 OR (occurred_at = $3 AND id < $4)) {channel_cond} \
         ORDER BY occurred_at DESC, id DESC LIMIT {}",
        limit + 1
    );
    let mut q = sqlx::query(&sql)
        .bind(customer.get())
        .bind(org.get())
        .bind(at)
        .bind(id);
    if let Some(ch) = channel {
        q = q.bind(ch.as_str());
    }
    let rows = q.fetch_all(conn).await.map_err(db_err)?;
    let mut items = rows.iter().map(from_row).collect::<Result<Vec<_>, _>>()?;
    let next = if items.len() > limit {
        items.truncate(limit);
        items
            .last()
            .map(|l| encode_cursor(&json!([time_to_micros(l.occurred_at), l.id.get()])))
    } else {
        None
    };
    Ok((items, next))
}

async fn check_staff(
    conn: &mut AnyConnection,
    org: OrgId,
    staff: Option<UserId>,
) -> Result<(), StoreError> {
    if let Some(s) = staff {
        let found: Option<i64> =
            sqlx::query_scalar("SELECT id FROM users WHERE org_id = $1 AND id = $2")
                .bind(org.get())
                .bind(s.get())
                .fetch_optional(conn)
                .await
                .map_err(db_err)?;
        if found.is_none() {
            return Err(StoreError::invalid("staff_id", Reason::NotFound));
        }
    }
    Ok(())
}

async fn load(
    conn: &mut AnyConnection,
    org: OrgId,
    id: InteractionId,
) -> Result<Interaction, StoreError> {
    let row = sqlx::query(&format!(
        "SELECT {COLS} FROM interactions WHERE org_id = $1 AND id = $2"
    ))
    .bind(org.get())
    .bind(id.get())
    .fetch_optional(conn)
    .await
    .map_err(db_err)?
    .ok_or(StoreError::NotFound {
        entity: "interaction",
    })?;
    from_row(&row)
}

/// An interaction is within reach when its customer is; otherwise it is not found.
async fn reach_of(conn: &mut AnyConnection, ctx: Ctx, i: &Interaction) -> Result<(), StoreError> {
    crate::customers::within_reach(conn, ctx, i.customer_id, true)
        .await
        .map_err(|_| StoreError::NotFound {
            entity: "interaction",
        })
}

/// Log one interaction inside the caller's transaction, recognising its customer.
pub(crate) async fn log_one(
    tx: &mut AnyConnection,
    backend: crate::Backend,
    ctx: Ctx,
    new: NewInteraction,
) -> Result<(Interaction, Recognition), StoreError> {
    // Who handled it: the acting user unless the request names another staff member.
    let staff = new.staff_id.or(ctx.actor);
    check_staff(&mut *tx, ctx.org, new.staff_id).await?;
    let now = now_micros();
    let (customer, recognition) = match (new.customer_id, &new.contact) {
        (Some(id), _) => {
            match crate::customers::within_reach(&mut *tx, ctx, id, false).await {
                Ok(()) => {}
                Err(StoreError::NotFound { .. }) => {
                    return Err(StoreError::invalid("customer_id", Reason::NotFound))
                }
                Err(e) => return Err(e),
            }
            (id.get(), Recognition::Given)
        }
        (None, Some(contact)) => {
            let found: Option<i64> = sqlx::query_scalar(&format!(
                "SELECT c.id FROM contact_points cp JOIN customers c ON c.id = cp.customer_id \
                 WHERE cp.org_id = $1 AND cp.key = $2 AND cp.kind IN {} AND c.deleted_at IS NULL \
                 ORDER BY c.updated_at DESC, c.id DESC LIMIT 1",
                family(contact.kind)
            ))
            .bind(ctx.org.get())
            .bind(&contact.key)
            .fetch_optional(&mut *tx)
            .await
            .map_err(db_err)?;
            match found {
                Some(id) => {
                    // The caller is known, but to someone this user may not reach.
                    match crate::customers::within_reach(&mut *tx, ctx, CustomerId(id), false).await
                    {
                        Ok(()) => {}
                        Err(StoreError::NotFound { .. }) => {
                            return Err(StoreError::invalid("contact", Reason::NotAllowed))
                        }
                        Err(e) => return Err(e),
                    }
                    (id, Recognition::Matched)
                }
                None => {
                    let name = new
                        .contact_name
                        .clone()
                        .unwrap_or_else(|| contact.display.clone());
                    let id: i64 = sqlx::query_scalar(
                        "INSERT INTO customers (org_id, kind, name, status, class, vip, tags, custom, version, created_at, updated_at, owner_id) \
                         VALUES ($1, $2, $3, $4, $5, $6, '[]', '{}', 1, $7, $7, $8) RETURNING id",
                    )
                    .bind(ctx.org.get())
                    .bind(CustomerKind::Person.as_str())
                    .bind(&name)
                    .bind(CustomerStatus::Potential.as_str())
                    .bind(CustomerClass::Ordinary.as_str())
                    .bind(false)
                    .bind(now)
                    .bind(ctx.reach.default_owner().map(UserId::get))
                    .fetch_one(&mut *tx)
                    .await
                    .map_err(db_err)?;
                    crate::customers::retoken(&mut *tx, ctx.org, id, None, &name).await?;
                    let cp = NewContactPoint {
                        value: contact.clone(),
                        label: None,
                        primary: true,
                    };
                    contacts::insert(&mut *tx, ctx.org, id, &cp, now).await?;
                    emit(
                        &mut *tx,
                        backend,
                        ctx,
                        "customer.created",
                        "customer",
                        id,
                        &json!({"kind": "person", "name": name, "status": "potential",
                                "source": "recognition", "channel": new.channel,
                                "contact_points": [{"kind": contact.kind, "value": contact.display}]}),
                    )
                    .await?;
                    (id, Recognition::Created)
                }
            }
        }
        (None, None) => return Err(StoreError::invalid("customer_id", Reason::Required)),
    };
    let row = sqlx::query(&format!(
        "INSERT INTO interactions (org_id, customer_id, channel, direction, occurred_at, staff_id, \
         subject, body, duration_seconds, outcome, contact, links, version, created_at, updated_at) \
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, 1, $13, $13) RETURNING {COLS}"
    ))
    .bind(ctx.org.get())
    .bind(customer)
    .bind(new.channel.as_str())
    .bind(new.direction.as_str())
    .bind(time_to_micros(new.occurred_at))
    .bind(staff.map(UserId::get))
    .bind(new.subject.as_deref())
    .bind(&new.body)
    .bind(new.duration_seconds)
    .bind(new.outcome.as_deref())
    .bind(new.contact.as_ref().map(|c| c.display.clone()))
    .bind(links_json(&new.links)?)
    .bind(now)
    .fetch_one(&mut *tx)
    .await
    .map_err(db_err)?;
    let interaction = from_row(&row)?;
    emit(
        &mut *tx,
        backend,
        ctx,
        "interaction.logged",
        "interaction",
        interaction.id.get(),
        &json!({"customer_id": customer, "channel": interaction.channel, "direction": interaction.direction,
                "occurred_at": interaction.occurred_at, "staff_id": interaction.staff_id,
                "subject": interaction.subject, "recognition": recognition}),
    )
    .await?;
    Ok((interaction, recognition))
}

impl SqlStore {
    pub(crate) async fn log_interaction_impl(
        &self,
        ctx: Ctx,
        new: NewInteraction,
    ) -> Result<(Interaction, Recognition), StoreError> {
        match &self.writer {
            // SQLite: hand it to the group-commit writer (see `crate::writer`).
            Some(w) => w.log_interaction(ctx, new).await,
            None => {
                let mut tx = self.begin_write().await?;
                let out = log_one(&mut tx, self.backend, ctx, new).await?;
                tx.commit().await.map_err(db_err)?;
                Ok(out)
            }
        }
    }

    pub(crate) async fn get_interaction_impl(
        &self,
        ctx: Ctx,
        id: InteractionId,
    ) -> Result<Interaction, StoreError> {
        let mut conn = self.pool.acquire().await.map_err(db_err)?;
        let i = load(&mut conn, ctx.org, id).await?;
        reach_of(&mut conn, ctx, &i).await?;
        Ok(i)
    }

    pub(crate) async fn update_interaction_impl(
        &self,
        ctx: Ctx,
        id: InteractionId,
        expected: Option<i64>,
        patch: InteractionPatch,
    ) -> Result<Interaction, StoreError> {
        let mut tx = self.begin_write().await?;
        let old = load(&mut tx, ctx.org, id).await?;
        reach_of(&mut tx, ctx, &old).await?;
        if let Some(expected) = expected.filter(|e| *e != old.version) {
            return Err(StoreError::VersionMismatch {
                expected,
                current: old.version,
            });
        }
        if let Some(staff) = patch.staff_id {
            check_staff(&mut tx, ctx.org, staff).await?;
        }
        let mut n = old.clone();
        if let Some(v) = patch.channel {
            n.channel = v;
        }
        if let Some(v) = patch.direction {
            n.direction = v;
        }
        if let Some(v) = patch.occurred_at {
            n.occurred_at = v;
        }
        if let Some(v) = patch.staff_id {
            n.staff_id = v;
        }
        if let Some(v) = patch.subject {
            n.subject = v;
        }
        if let Some(v) = patch.body {
            n.body = v;
        }
        if let Some(v) = patch.duration_seconds {
            n.duration_seconds = v;
        }
        if let Some(v) = patch.outcome {
            n.outcome = v;
        }
        if let Some(v) = patch.links {
            n.links = v;
        }
        let before = serde_json::to_value(&old).map_err(|e| StoreError::Internal(e.to_string()))?;
        let after = serde_json::to_value(&n).map_err(|e| StoreError::Internal(e.to_string()))?;
        let mut changes = serde_json::Map::new();
        for k in [
            "channel",
            "direction",
            "occurred_at",
            "staff_id",
            "subject",
            "body",
            "duration_seconds",
            "outcome",
            "links",
        ] {
            if before.get(k) != after.get(k) {
                changes.insert(k.into(), json!([before.get(k), after.get(k)]));
            }
        }
        if changes.is_empty() {
            tx.commit().await.map_err(db_err)?;
            return Ok(old);
        }
        let row = sqlx::query(&format!(
            "UPDATE interactions SET channel = $1, direction = $2, occurred_at = $3, staff_id = $4, \
             subject = $5, body = $6, duration_seconds = $7, outcome = $8, links = $9, \
             version = version + 1, updated_at = $10 WHERE org_id = $11 AND id = $12 AND version = $13 \
             RETURNING {COLS}"
        ))
        .bind(n.channel.as_str())
        .bind(n.direction.as_str())
        .bind(time_to_micros(n.occurred_at))
        .bind(n.staff_id.map(UserId::get))
        .bind(n.subject.as_deref())
        .bind(&n.body)
        .bind(n.duration_seconds)
        .bind(n.outcome.as_deref())
        .bind(links_json(&n.links)?)
        .bind(now_micros())
        .bind(ctx.org.get())
        .bind(id.get())
        .bind(old.version)
        .fetch_optional(&mut *tx)
        .await
        .map_err(db_err)?
        .ok_or(StoreError::VersionMismatch {
            expected: old.version,
            current: old.version + 1,
        })?;
        let updated = from_row(&row)?;
        emit(
            &mut tx,
            self.backend,
            ctx,
            "interaction.updated",
            "interaction",
            id.get(),
            &json!({"customer_id": updated.customer_id, "changes": changes}),
        )
        .await?;
        tx.commit().await.map_err(db_err)?;
        Ok(updated)
    }

    pub(crate) async fn delete_interaction_impl(
        &self,
        ctx: Ctx,
        id: InteractionId,
        expected: Option<i64>,
    ) -> Result<(), StoreError> {
        let mut tx = self.begin_write().await?;
        let old = load(&mut tx, ctx.org, id).await?;
        reach_of(&mut tx, ctx, &old).await?;
        if let Some(expected) = expected.filter(|e| *e != old.version) {
            return Err(StoreError::VersionMismatch {
                expected,
                current: old.version,
            });
        }
        sqlx::query("DELETE FROM interactions WHERE org_id = $1 AND id = $2")
            .bind(ctx.org.get())
            .bind(id.get())
            .execute(&mut *tx)
            .await
            .map_err(db_err)?;
        emit(
            &mut tx,
            self.backend,
            ctx,
            "interaction.deleted",
            "interaction",
            id.get(),
            &json!({"customer_id": old.customer_id, "channel": old.channel, "occurred_at": old.occurred_at}),
        )
        .await?;
        tx.commit().await.map_err(db_err)?;
        Ok(())
    }

    pub(crate) async fn timeline_impl(
        &self,
        ctx: Ctx,
        customer: CustomerId,
        q: TimelineQuery,
    ) -> Result<Page<Interaction>, StoreError> {
        let mut conn = self.pool.acquire().await.map_err(db_err)?;
        crate::customers::within_reach(&mut conn, ctx, customer, false).await?;
        let (items, next_cursor) = recent(
            &mut conn,
            ctx.org,
            customer,
            q.channel,
            q.cursor.as_deref(),
            if q.limit == 0 { 50 } else { q.limit },
        )
        .await?;
        Ok(Page { items, next_cursor })
    }
}

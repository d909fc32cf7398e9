//! Contact points: insert, change, remove, and the duplicate check used on create.

use crate::codec::{bool_of, enum_of, i64_of, now_micros, opt_str, str_of, time_of};
use crate::events::emit;
use crate::tokens::reversed;
use crate::{db_err, SqlStore};
use guanxi_core::contact::ContactValue;
use guanxi_core::{ContactKind, ContactPointId, CustomerId, OrgId, Reason};
use guanxi_store::{ContactPoint, ContactPointPatch, Ctx, NewContactPoint, StoreError};
use serde_json::json;
use sqlx::AnyConnection;

pub(crate) const CP_COLS: &str = "id, kind, value, key, label, is_primary, created_at";

pub(crate) fn cp_from(r: &crate::Row) -> Result<ContactPoint, StoreError> {
    Ok(ContactPoint {
        id: ContactPointId(i64_of(r, "id")?),
        kind: enum_of(r, "kind", ContactKind::parse)?,
        value: str_of(r, "value")?,
        key: str_of(r, "key")?,
        label: opt_str(r, "label")?,
        primary: bool_of(r, "is_primary")?,
        created_at: time_of(r, "created_at")?,
    })
}

/// The reversed key that serves suffix searches: national digits of a phone number, the whole
/// address of an e-mail; nothing for other kinds.
pub(crate) fn rkey_of(v: &ContactValue) -> Option<String> {
    match v.kind {
        ContactKind::Mobile | ContactKind::Landline => v.digits.as_deref().map(reversed),
        ContactKind::Email => Some(reversed(&v.key)),
        _ => None,
    }
}

/// The kinds a lookup by this kind should match: a number saved as landline is still the
/// same number when it calls in.
pub(crate) fn family(kind: ContactKind) -> &'static str {
    match kind {
        ContactKind::Mobile | ContactKind::Landline => "('mobile','landline')",
        ContactKind::Email => "('email')",
        ContactKind::Wechat => "('wechat')",
        ContactKind::Address => "('address')",
    }
}

pub(crate) async fn load_for(
    conn: &mut AnyConnection,
    customer: i64,
) -> Result<Vec<ContactPoint>, StoreError> {
    let rows = sqlx::query(&format!(
        "SELECT {CP_COLS} FROM contact_points WHERE customer_id = $1 ORDER BY is_primary DESC, id"
    ))
    .bind(customer)
    .fetch_all(conn)
    .await
    .map_err(db_err)?;
    rows.iter().map(cp_from).collect()
}

/// Another live customer that already holds this contact point, if any.
pub(crate) async fn holder(
    conn: &mut AnyConnection,
    org: OrgId,
    v: &ContactValue,
    except: Option<i64>,
) -> Result<Option<i64>, StoreError> {
    if v.kind == ContactKind::Address {
        return Ok(None);
    }
    let id: Option<i64> = sqlx::query_scalar(&format!(
        "SELECT cp.customer_id FROM contact_points cp JOIN customers c ON c.id = cp.customer_id \
         WHERE cp.org_id = $1 AND cp.key = $2 AND cp.kind IN {} AND c.deleted_at IS NULL \
         AND cp.customer_id <> $3 ORDER BY cp.customer_id LIMIT 1",
        family(v.kind)
    ))
    .bind(org.get())
    .bind(&v.key)
    .bind(except.unwrap_or(0))
    .fetch_optional(conn)
    .await
    .map_err(db_err)?;
    Ok(id)
}

pub(crate) async fn insert(
    conn: &mut AnyConnection,
    org: OrgId,
    customer: i64,
    cp: &NewContactPoint,
    at: i64,
) -> Result<ContactPoint, StoreError> {
    if cp.primary {
        sqlx::query(&format!(
            "UPDATE contact_points SET is_primary = $1 WHERE customer_id = $2 AND kind IN {}",
            family(cp.value.kind)
        ))
        .bind(false)
        .bind(customer)
        .execute(&mut *conn)
        .await
        .map_err(db_err)?;
    }
    let row = sqlx::query(&format!(
        "INSERT INTO contact_points (org_id, customer_id, kind, value, key, rkey, label, is_primary, created_at) \
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9) RETURNING {CP_COLS}"
    ))
    .bind(org.get())
    .bind(customer)
    .bind(cp.value.kind.as_str())
    .bind(&cp.value.display)
    .bind(&cp.value.key)
    .bind(rkey_of(&cp.value))
    .bind(cp.label.as_deref())
    .bind(cp.primary)
    .bind(at)
    .fetch_one(conn)
    .await
    .map_err(crate::conflict_on("value", Reason::Duplicate {
                customer_id: customer,
            }))?;
    cp_from(&row)
}

/// Lock the customer row for a change (bump its version), failing when it is not live in `org`.
pub(crate) async fn touch_customer(
    conn: &mut AnyConnection,
    org: OrgId,
    customer: CustomerId,
) -> Result<i64, StoreError> {
    let version: Option<i64> = sqlx::query_scalar(
        "UPDATE customers SET version = version + 1, updated_at = $1 \
         WHERE org_id = $2 AND id = $3 AND deleted_at IS NULL RETURNING version",
    )
    .bind(now_micros())
    .bind(org.get())
    .bind(customer.get())
    .fetch_optional(conn)
    .await
    .map_err(db_err)?;
    version.ok_or(StoreError::NotFound { entity: "customer" })
}

impl SqlStore {
    pub(crate) async fn add_contact_point_impl(
        &self,
        ctx: Ctx,
        customer: CustomerId,
        new: NewContactPoint,
    ) -> Result<ContactPoint, StoreError> {
        let mut tx = self.begin_write().await?;
        crate::customers::within_reach(&mut tx, ctx, customer, false).await?;
        touch_customer(&mut tx, ctx.org, customer).await?;
        let count: i64 =
            sqlx::query_scalar("SELECT COUNT(*) FROM contact_points WHERE customer_id = $1")
                .bind(customer.get())
                .fetch_one(&mut *tx)
                .await
                .map_err(db_err)?;
        if count >= guanxi_core::customer::CONTACT_POINTS_MAX as i64 {
            return Err(StoreError::invalid(
                "contact_points",
                Reason::TooMany {
                    max: guanxi_core::customer::CONTACT_POINTS_MAX,
                },
            ));
        }
        let cp = insert(&mut tx, ctx.org, customer.get(), &new, now_micros()).await?;
        emit(
            &mut tx,
            self.backend,
            ctx,
            "contact_point.added",
            "customer",
            customer.get(),
            &json!({"contact_point_id": cp.id, "kind": cp.kind, "value": cp.value}),
        )
        .await?;
        tx.commit().await.map_err(db_err)?;
        Ok(cp)
    }

    pub(crate) async fn update_contact_point_impl(
        &self,
        ctx: Ctx,
        customer: CustomerId,
        id: ContactPointId,
        patch: ContactPointPatch,
    ) -> Result<ContactPoint, StoreError> {
        let mut tx = self.begin_write().await?;
        crate::customers::within_reach(&mut tx, ctx, customer, false).await?;
        touch_customer(&mut tx, ctx.org, customer).await?;
        let row = sqlx::query(&format!(
            "SELECT {CP_COLS} FROM contact_points WHERE id = $1 AND customer_id = $2 AND org_id = $3"
        ))
        .bind(id.get())
        .bind(customer.get())
        .bind(ctx.org.get())
        .fetch_optional(&mut *tx)
        .await
        .map_err(db_err)?
        .ok_or(StoreError::NotFound {
            entity: "contact_point",
        })?;
        let old = cp_from(&row)?;
        let kind = patch.value.as_ref().map_or(old.kind, |v| v.kind);
        if patch.primary == Some(true) {
            sqlx::query(&format!(
                "UPDATE contact_points SET is_primary = $1 WHERE customer_id = $2 AND kind IN {} AND id <> $3",
                family(kind)
            ))
            .bind(false)
            .bind(customer.get())
            .bind(id.get())
            .execute(&mut *tx)
            .await
            .map_err(db_err)?;
        }
        let (value, key, rkey) = match &patch.value {
            Some(v) => (v.display.clone(), v.key.clone(), rkey_of(v)),
            None => {
                let rkey: Option<String> =
                    sqlx::query_scalar("SELECT rkey FROM contact_points WHERE id = $1")
                        .bind(id.get())
                        .fetch_one(&mut *tx)
                        .await
                        .map_err(db_err)?;
                (old.value.clone(), old.key.clone(), rkey)
            }
        };
        let label = match &patch.label {
            Some(l) => l.clone(),
            None => old.label.clone(),
        };
        let row = sqlx::query(&format!(
            "UPDATE contact_points SET kind = $1, value = $2, key = $3, rkey = $4, label = $5, is_primary = $6 \
             WHERE id = $7 RETURNING {CP_COLS}"
        ))
        .bind(kind.as_str())
        .bind(&value)
        .bind(&key)
        .bind(rkey)
        .bind(label)
        .bind(patch.primary.unwrap_or(old.primary))
        .bind(id.get())
        .fetch_one(&mut *tx)
        .await
        .map_err(crate::conflict_on("value", Reason::Duplicate {
                    customer_id: customer.get(),
                }))?;
        let cp = cp_from(&row)?;
        emit(
            &mut tx,
            self.backend,
            ctx,
            "contact_point.changed",
            "customer",
            customer.get(),
            &json!({"contact_point_id": cp.id, "before": {"kind": old.kind, "value": old.value, "label": old.label, "primary": old.primary},
                    "after": {"kind": cp.kind, "value": cp.value, "label": cp.label, "primary": cp.primary}}),
        )
        .await?;
        tx.commit().await.map_err(db_err)?;
        Ok(cp)
    }

    pub(crate) async fn remove_contact_point_impl(
        &self,
        ctx: Ctx,
        customer: CustomerId,
        id: ContactPointId,
    ) -> Result<(), StoreError> {
        let mut tx = self.begin_write().await?;
        crate::customers::within_reach(&mut tx, ctx, customer, false).await?;
        touch_customer(&mut tx, ctx.org, customer).await?;
        let row = sqlx::query(&format!(
            "DELETE FROM contact_points WHERE id = $1 AND customer_id = $2 AND org_id = $3 RETURNING {CP_COLS}"
        ))
        .bind(id.get())
        .bind(customer.get())
        .bind(ctx.org.get())
        .fetch_optional(&mut *tx)
        .await
        .map_err(db_err)?
        .ok_or(StoreError::NotFound {
            entity: "contact_point",
        })?;
        let old = cp_from(&row)?;
        emit(
            &mut tx,
            self.backend,
            ctx,
            "contact_point.removed",
            "customer",
            customer.get(),
            &json!({"contact_point_id": old.id, "kind": old.kind, "value": old.value}),
        )
        .await?;
        tx.commit().await.map_err(db_err)?;
        Ok(())
    }
}

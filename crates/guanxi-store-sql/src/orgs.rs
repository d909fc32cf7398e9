//! Organisations, users and custom field definitions.

use crate::codec::{bool_of, enum_of, i64_of, json_of, now_micros, str_of, time_of, to_json};
use crate::events::emit;
use crate::{db_err, SqlStore};
use guanxi_core::custom_field::{FieldRule, FieldType, FIELDS_MAX};
use guanxi_core::{Currency, FieldDefId, Lang, OrgId, Reason};
use guanxi_store::{Ctx, FieldDef, NewFieldDef, NewOrg, Organisation, StoreError};
use serde_json::json;

fn org_from(r: &crate::Row) -> Result<Organisation, StoreError> {
    let locale = str_of(r, "locale")?;
    Ok(Organisation {
        id: OrgId(i64_of(r, "id")?),
        name: str_of(r, "name")?,
        locale: Lang::from_tag(&locale).unwrap_or_default(),
        currency: Currency::parse(&str_of(r, "currency")?)
            .map_err(|_| StoreError::Internal("bad currency in organisations".into()))?,
        time_zone: str_of(r, "time_zone")?,
        created_at: time_of(r, "created_at")?,
    })
}

fn field_def_from(r: &crate::Row) -> Result<FieldDef, StoreError> {
    Ok(FieldDef {
        id: FieldDefId(i64_of(r, "id")?),
        key: str_of(r, "key")?,
        label_zh: str_of(r, "label_zh")?,
        label_en: str_of(r, "label_en")?,
        field_type: enum_of(r, "field_type", FieldType::parse)?,
        choices: json_of(r, "choices")?,
        required: bool_of(r, "required")?,
        created_at: time_of(r, "created_at")?,
    })
}

const ORG_COLS: &str = "id, name, locale, currency, time_zone, created_at";
const FIELD_COLS: &str = "id, key, label_zh, label_en, field_type, choices, required, created_at";

impl SqlStore {
    pub(crate) async fn create_org_impl(&self, new: NewOrg) -> Result<Organisation, StoreError> {
        let mut tx = self.begin_write().await?;
        let row = sqlx::query(&format!(
            "INSERT INTO organisations (name, locale, currency, time_zone, created_at) \
             VALUES ($1, $2, $3, $4, $5) RETURNING {ORG_COLS}"
        ))
        .bind(&new.name)
        .bind(new.locale.tag())
        .bind(new.currency.as_str())
        .bind(&new.time_zone)
        .bind(now_micros())
        .fetch_one(&mut *tx)
        .await
        .map_err(db_err)?;
        let org = org_from(&row)?;
        let (name, stages) = guanxi_core::pipeline::default_pipeline(org.locale);
        crate::pipeline::insert_pipeline(
            &mut tx,
            org.id,
            &guanxi_store::NewPipeline { name, stages },
            now_micros(),
        )
        .await?;
        for (position, (code, name)) in guanxi_core::lead::default_sources(org.locale)
            .into_iter()
            .enumerate()
        {
            sqlx::query(
                "INSERT INTO lead_sources (org_id, code, name, active, position) \
                 VALUES ($1, $2, $3, $4, $5)",
            )
            .bind(org.id.get())
            .bind(code)
            .bind(name)
            .bind(true)
            .bind(position as i64)
            .execute(&mut *tx)
            .await
            .map_err(db_err)?;
        }
        emit(
            &mut tx,
            self.backend,
            Ctx::new(org.id),
            "organisation.created",
            "organisation",
            org.id.get(),
            &json!({"name": org.name, "locale": org.locale.tag(), "currency": org.currency.as_str()}),
        )
        .await?;
        tx.commit().await.map_err(db_err)?;
        Ok(org)
    }

    pub(crate) async fn get_org_impl(&self, id: OrgId) -> Result<Organisation, StoreError> {
        let row = sqlx::query(&format!(
            "SELECT {ORG_COLS} FROM organisations WHERE id = $1"
        ))
        .bind(id.get())
        .fetch_optional(&self.pool)
        .await
        .map_err(db_err)?
        .ok_or(StoreError::NotFound {
            entity: "organisation",
        })?;
        org_from(&row)
    }

    pub(crate) async fn list_orgs_impl(&self) -> Result<Vec<Organisation>, StoreError> {
        let rows = sqlx::query(&format!(
            "SELECT {ORG_COLS} FROM organisations ORDER BY id LIMIT 1000"
        ))
        .fetch_all(&self.pool)
        .await
        .map_err(db_err)?;
        rows.iter().map(org_from).collect()
    }

    pub(crate) async fn create_field_def_impl(
        &self,
        ctx: Ctx,
        new: NewFieldDef,
    ) -> Result<FieldDef, StoreError> {
        let mut tx = self.begin_write().await?;
        let count: i64 = sqlx::query_scalar(
            "SELECT COUNT(*) FROM field_defs WHERE org_id = $1 AND entity = 'customer'",
        )
        .bind(ctx.org.get())
        .fetch_one(&mut *tx)
        .await
        .map_err(db_err)?;
        if count >= FIELDS_MAX as i64 {
            return Err(StoreError::invalid(
                "key",
                Reason::TooMany { max: FIELDS_MAX },
            ));
        }
        let row = sqlx::query(&format!(
            "INSERT INTO field_defs (org_id, entity, key, label_zh, label_en, field_type, choices, required, created_at) \
             VALUES ($1, 'customer', $2, $3, $4, $5, $6, $7, $8) RETURNING {FIELD_COLS}"
        ))
        .bind(ctx.org.get())
        .bind(&new.key)
        .bind(&new.label_zh)
        .bind(&new.label_en)
        .bind(new.field_type.as_str())
        .bind(to_json(&new.choices)?)
        .bind(new.required)
        .bind(now_micros())
        .fetch_one(&mut *tx)
        .await
        .map_err(crate::conflict_on("key", Reason::Conflict))?;
        let def = field_def_from(&row)?;
        emit(
            &mut tx,
            self.backend,
            ctx,
            "field_def.created",
            "field_def",
            def.id.get(),
            &json!({"key": def.key, "field_type": def.field_type.as_str(), "required": def.required}),
        )
        .await?;
        tx.commit().await.map_err(db_err)?;
        Ok(def)
    }

    pub(crate) async fn list_field_defs_impl(&self, ctx: Ctx) -> Result<Vec<FieldDef>, StoreError> {
        let rows = sqlx::query(&format!(
            "SELECT {FIELD_COLS} FROM field_defs WHERE org_id = $1 AND entity = 'customer' ORDER BY id"
        ))
        .bind(ctx.org.get())
        .fetch_all(&self.pool)
        .await
        .map_err(db_err)?;
        rows.iter().map(field_def_from).collect()
    }

    pub(crate) async fn delete_field_def_impl(
        &self,
        ctx: Ctx,
        id: FieldDefId,
    ) -> Result<(), StoreError> {
        let mut tx = self.begin_write().await?;
        let done = sqlx::query("DELETE FROM field_defs WHERE org_id = $1 AND id = $2")
            .bind(ctx.org.get())
            .bind(id.get())
            .execute(&mut *tx)
            .await
            .map_err(db_err)?;
        if done.rows_affected() == 0 {
            return Err(StoreError::NotFound {
                entity: "field_def",
            });
        }
        emit(
            &mut tx,
            self.backend,
            ctx,
            "field_def.deleted",
            "field_def",
            id.get(),
            &json!({}),
        )
        .await?;
        tx.commit().await.map_err(db_err)?;
        Ok(())
    }
}

/// The organisation's custom field rules, read inside the caller's transaction.
pub(crate) async fn field_rules(
    conn: &mut sqlx::AnyConnection,
    org: OrgId,
) -> Result<Vec<FieldRule>, StoreError> {
    let rows = sqlx::query(
        "SELECT key, field_type, choices, required FROM field_defs WHERE org_id = $1 AND entity = 'customer'",
    )
    .bind(org.get())
    .fetch_all(conn)
    .await
    .map_err(db_err)?;
    rows.iter()
        .map(|r| {
            Ok(FieldRule {
                key: str_of(r, "key")?,
                field_type: enum_of(r, "field_type", FieldType::parse)?,
                choices: json_of(r, "choices")?,
                required: bool_of(r, "required")?,
            })
        })
        .collect()
}

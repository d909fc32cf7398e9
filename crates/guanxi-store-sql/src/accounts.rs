//! Key accounts (大客户): a customer's account plan and its account team. Members reach the
//! customer like its owner (`Filter::reach`).

use crate::codec::{date_to_str, i64_of, now_micros, opt_date, opt_str, str_of, time_of};
use crate::customers::within_reach;
use crate::events::emit;
use crate::{db_err, SqlStore};
use guanxi_core::{CustomerId, Reason, UserId};
use guanxi_store::{AccountMember, AccountPlan, AccountPlanPatch, Ctx, StoreError};
use serde_json::{json, Map, Value};
use sqlx::AnyConnection;

async fn load_plan(
    conn: &mut AnyConnection,
    ctx: Ctx,
    customer: CustomerId,
) -> Result<AccountPlan, StoreError> {
    let row = sqlx::query(
        "SELECT goals, key_contacts, service_plan, last_review, next_review, version, updated_at \
         FROM account_plans WHERE org_id = $1 AND customer_id = $2",
    )
    .bind(ctx.org.get())
    .bind(customer.get())
    .fetch_optional(&mut *conn)
    .await
    .map_err(db_err)?;
    let team = sqlx::query(
        "SELECT t.user_id, u.name, t.role FROM account_team t JOIN users u ON u.id = t.user_id \
         WHERE t.org_id = $1 AND t.customer_id = $2 ORDER BY t.added_at, t.user_id LIMIT 100",
    )
    .bind(ctx.org.get())
    .bind(customer.get())
    .fetch_all(&mut *conn)
    .await
    .map_err(db_err)?
    .iter()
    .map(|r| {
        Ok(AccountMember {
            user_id: UserId(i64_of(r, "user_id")?),
            name: str_of(r, "name")?,
            role: str_of(r, "role")?,
        })
    })
    .collect::<Result<Vec<_>, StoreError>>()?;
    Ok(match row {
        None => AccountPlan {
            customer_id: customer,
            goals: None,
            key_contacts: None,
            service_plan: None,
            last_review: None,
            next_review: None,
            team,
            version: 0,
            updated_at: None,
        },
        Some(r) => AccountPlan {
            customer_id: customer,
            goals: opt_str(&r, "goals")?,
            key_contacts: opt_str(&r, "key_contacts")?,
            service_plan: opt_str(&r, "service_plan")?,
            last_review: opt_date(&r, "last_review")?,
            next_review: opt_date(&r, "next_review")?,
            team,
            version: i64_of(&r, "version")?,
            updated_at: Some(time_of(&r, "updated_at")?),
        },
    })
}

impl SqlStore {
    pub(crate) async fn account_plan_impl(
        &self,
        ctx: Ctx,
        customer: CustomerId,
    ) -> Result<AccountPlan, StoreError> {
        let mut conn = self.pool.acquire().await.map_err(db_err)?;
        within_reach(&mut conn, ctx, customer, false).await?;
        load_plan(&mut conn, ctx, customer).await
    }

    pub(crate) async fn save_account_plan_impl(
        &self,
        ctx: Ctx,
        customer: CustomerId,
        expected: Option<i64>,
        patch: AccountPlanPatch,
    ) -> Result<AccountPlan, StoreError> {
        let mut tx = self.begin_write().await?;
        within_reach(&mut tx, ctx, customer, false).await?;
        let old = load_plan(&mut tx, ctx, customer).await?;
        if let Some(expected) = expected.filter(|e| *e != old.version) {
            return Err(StoreError::VersionMismatch {
                expected,
                current: old.version,
            });
        }
        let mut p = old.clone();
        if let Some(v) = patch.goals {
            p.goals = v;
        }
        if let Some(v) = patch.key_contacts {
            p.key_contacts = v;
        }
        if let Some(v) = patch.service_plan {
            p.service_plan = v;
        }
        if let Some(v) = patch.last_review {
            p.last_review = v;
        }
        if let Some(v) = patch.next_review {
            p.next_review = v;
        }
        let mut changes = Map::new();
        for (k, a, b) in [
            ("goals", json!(old.goals), json!(p.goals)),
            (
                "key_contacts",
                json!(old.key_contacts),
                json!(p.key_contacts),
            ),
            (
                "service_plan",
                json!(old.service_plan),
                json!(p.service_plan),
            ),
            ("last_review", json!(old.last_review), json!(p.last_review)),
            ("next_review", json!(old.next_review), json!(p.next_review)),
        ] {
            if a != b {
                changes.insert(k.into(), Value::Array(vec![a, b]));
            }
        }
        if changes.is_empty() {
            tx.commit().await.map_err(db_err)?;
            return Ok(old);
        }
        let now = now_micros();
        let args = (
            p.goals.as_deref(),
            p.key_contacts.as_deref(),
            p.service_plan.as_deref(),
            date_to_str(p.last_review),
            date_to_str(p.next_review),
        );
        if old.version == 0 {
            sqlx::query(
                "INSERT INTO account_plans (customer_id, org_id, goals, key_contacts, service_plan, \
                 last_review, next_review, version, updated_at) \
                 VALUES ($1, $2, $3, $4, $5, $6, $7, 1, $8)",
            )
            .bind(customer.get())
            .bind(ctx.org.get())
            .bind(args.0)
            .bind(args.1)
            .bind(args.2)
            .bind(args.3)
            .bind(args.4)
            .bind(now)
            .execute(&mut *tx)
            .await
            .map_err(db_err)?;
        } else {
            sqlx::query(
                "UPDATE account_plans SET goals = $1, key_contacts = $2, service_plan = $3, \
                 last_review = $4, next_review = $5, version = version + 1, updated_at = $6 \
                 WHERE org_id = $7 AND customer_id = $8",
            )
            .bind(args.0)
            .bind(args.1)
            .bind(args.2)
            .bind(args.3)
            .bind(args.4)
            .bind(now)
            .bind(ctx.org.get())
            .bind(customer.get())
            .execute(&mut *tx)
            .await
            .map_err(db_err)?;
        }
        emit(
            &mut tx,
            self.backend,
            ctx,
            "account_plan.saved",
            "customer",
            customer.get(),
            &json!({"changes": changes}),
        )
        .await?;
        let plan = load_plan(&mut tx, ctx, customer).await?;
        tx.commit().await.map_err(db_err)?;
        Ok(plan)
    }

    pub(crate) async fn add_account_member_impl(
        &self,
        ctx: Ctx,
        customer: CustomerId,
        user: UserId,
        role: String,
    ) -> Result<AccountPlan, StoreError> {
        let mut tx = self.begin_write().await?;
        within_reach(&mut tx, ctx, customer, false).await?;
        let found: Option<i64> =
            sqlx::query_scalar("SELECT 1 FROM users WHERE org_id = $1 AND id = $2 AND active = $3")
                .bind(ctx.org.get())
                .bind(user.get())
                .bind(true)
                .fetch_optional(&mut *tx)
                .await
                .map_err(db_err)?;
        if found.is_none() {
            return Err(StoreError::invalid("user_id", Reason::NotFound));
        }
        let count: i64 = sqlx::query_scalar(
            "SELECT COUNT(*) FROM account_team WHERE org_id = $1 AND customer_id = $2",
        )
        .bind(ctx.org.get())
        .bind(customer.get())
        .fetch_one(&mut *tx)
        .await
        .map_err(db_err)?;
        let updated = sqlx::query(
            "UPDATE account_team SET role = $1 WHERE org_id = $2 AND customer_id = $3 AND user_id = $4",
        )
        .bind(&role)
        .bind(ctx.org.get())
        .bind(customer.get())
        .bind(user.get())
        .execute(&mut *tx)
        .await
        .map_err(db_err)?
        .rows_affected();
        if updated == 0 {
            if count >= 50 {
                return Err(StoreError::invalid("user_id", Reason::TooMany { max: 50 }));
            }
            sqlx::query(
                "INSERT INTO account_team (org_id, customer_id, user_id, role, added_at) \
                 VALUES ($1, $2, $3, $4, $5)",
            )
            .bind(ctx.org.get())
            .bind(customer.get())
            .bind(user.get())
            .bind(&role)
            .bind(now_micros())
            .execute(&mut *tx)
            .await
            .map_err(db_err)?;
        }
        emit(
            &mut tx,
            self.backend,
            ctx,
            "account_team.member_added",
            "customer",
            customer.get(),
            &json!({"user_id": user, "role": role}),
        )
        .await?;
        let plan = load_plan(&mut tx, ctx, customer).await?;
        tx.commit().await.map_err(db_err)?;
        Ok(plan)
    }

    pub(crate) async fn remove_account_member_impl(
        &self,
        ctx: Ctx,
        customer: CustomerId,
        user: UserId,
    ) -> Result<AccountPlan, StoreError> {
        let mut tx = self.begin_write().await?;
        within_reach(&mut tx, ctx, customer, false).await?;
        let n = sqlx::query(
            "DELETE FROM account_team WHERE org_id = $1 AND customer_id = $2 AND user_id = $3",
        )
        .bind(ctx.org.get())
        .bind(customer.get())
        .bind(user.get())
        .execute(&mut *tx)
        .await
        .map_err(db_err)?
        .rows_affected();
        if n == 0 {
            return Err(StoreError::NotFound {
                entity: "account_member",
            });
        }
        emit(
            &mut tx,
            self.backend,
            ctx,
            "account_team.member_removed",
            "customer",
            customer.get(),
            &json!({"user_id": user}),
        )
        .await?;
        let plan = load_plan(&mut tx, ctx, customer).await?;
        tx.commit().await.map_err(db_err)?;
        Ok(plan)
    }
}

//! Customers: create, read, partial update, soft delete and restore, list, lookup, 360° view.

use crate::codec::{
    bool_of, date_to_str, decode_cursor, encode_cursor, enum_of, i64_of, json_of, now_micros,
    opt_date, opt_i64, opt_str, opt_time, str_of, time_of, time_to_micros, to_json,
};
use crate::contacts::{self, family};
use crate::events::emit;
use crate::tokens::name_tokens;
use crate::{db_err, SqlStore};
use guanxi_core::custom_field::check_values;
use guanxi_core::customer::{CustomerClass, CustomerKind, CustomerStatus};
use guanxi_core::error::Errors;
use guanxi_core::interaction::Channel;
use guanxi_core::{CustomerId, DomainError, OrgId, Reach, Reason, TeamId, UserId};
use guanxi_store::{
    ChannelCount, ContactLookup, Ctx, Customer, Customer360, CustomerPatch, CustomerQuery,
    CustomerSort, CustomerSummary, MergeStats, NewCustomer, Page, StoreError,
};
use serde_json::{json, Map, Value};
use sqlx::AnyConnection;
use std::collections::BTreeSet;

pub(crate) const CUSTOMER_COLS: &str =
    "c.id, c.kind, c.name, c.company_id, co.name AS company_name, \
    c.title, c.owner_id, c.team_id, c.status, c.class, c.vip, c.tags, c.city, c.birthday, c.note, \
    c.custom, c.version, c.created_at, c.updated_at, c.deleted_at";
const CUSTOMER_FROM: &str = "customers c LEFT JOIN customers co ON co.id = c.company_id";

/// The customer list's lifetime-value sort key: the latest score's CLV, −1 when not scored.
const CLV_SORT: &str =
    "COALESCE((SELECT sc.clv FROM customer_scores sc WHERE sc.customer_id = c.id), -1)";

pub(crate) const SUMMARY_COLS: &str = "c.id, c.kind, c.name, c.company_id, c.owner_id, c.team_id, c.status, \
    c.class, c.vip, c.tags, c.city, c.version, c.created_at, c.updated_at, c.deleted_at, \
    (SELECT cp.value FROM contact_points cp WHERE cp.customer_id = c.id AND cp.kind IN ('mobile','landline') \
       ORDER BY cp.is_primary DESC, cp.id LIMIT 1) AS primary_phone, \
    (SELECT cp.value FROM contact_points cp WHERE cp.customer_id = c.id AND cp.kind = 'email' \
       ORDER BY cp.is_primary DESC, cp.id LIMIT 1) AS primary_email";

/// Most rows one list page returns.
pub const PAGE_MAX: u32 = 200;

fn customer_from(r: &crate::Row) -> Result<Customer, StoreError> {
    Ok(Customer {
        id: CustomerId(i64_of(r, "id")?),
        kind: enum_of(r, "kind", CustomerKind::parse)?,
        name: str_of(r, "name")?,
        company_id: opt_i64(r, "company_id")?.map(CustomerId),
        company_name: opt_str(r, "company_name")?,
        title: opt_str(r, "title")?,
        owner_id: opt_i64(r, "owner_id")?.map(UserId),
        team_id: opt_i64(r, "team_id")?.map(TeamId),
        status: enum_of(r, "status", CustomerStatus::parse)?,
        class: enum_of(r, "class", CustomerClass::parse)?,
        vip: bool_of(r, "vip")?,
        tags: json_of(r, "tags")?,
        city: opt_str(r, "city")?,
        birthday: opt_date(r, "birthday")?,
        note: opt_str(r, "note")?,
        custom: json_of(r, "custom")?,
        contact_points: Vec::new(),
        version: i64_of(r, "version")?,
        created_at: time_of(r, "created_at")?,
        updated_at: time_of(r, "updated_at")?,
        deleted_at: opt_time(r, "deleted_at")?,
    })
}

pub(crate) fn summary_from(r: &crate::Row) -> Result<CustomerSummary, StoreError> {
    Ok(CustomerSummary {
        id: CustomerId(i64_of(r, "id")?),
        kind: enum_of(r, "kind", CustomerKind::parse)?,
        name: str_of(r, "name")?,
        company_id: opt_i64(r, "company_id")?.map(CustomerId),
        owner_id: opt_i64(r, "owner_id")?.map(UserId),
        team_id: opt_i64(r, "team_id")?.map(TeamId),
        status: enum_of(r, "status", CustomerStatus::parse)?,
        class: enum_of(r, "class", CustomerClass::parse)?,
        vip: bool_of(r, "vip")?,
        tags: json_of(r, "tags")?,
        city: opt_str(r, "city")?,
        primary_phone: opt_str(r, "primary_phone")?,
        primary_email: opt_str(r, "primary_email")?,
        version: i64_of(r, "version")?,
        created_at: time_of(r, "created_at")?,
        updated_at: time_of(r, "updated_at")?,
        deleted_at: opt_time(r, "deleted_at")?,
    })
}

/// Load one customer of `org` within `reach`, with its contact points. A customer out of reach
/// is not found, exactly like one of another organisation.
pub(crate) async fn load(
    conn: &mut AnyConnection,
    org: OrgId,
    reach: Reach,
    id: CustomerId,
    include_deleted: bool,
) -> Result<Customer, StoreError> {
    let mut f = Filter::new(org);
    let p = f.arg(Arg::I(id.get()));
    f.cond(format!("c.id = {p}"));
    f.reach(org, reach);
    let sql = format!(
        "SELECT {CUSTOMER_COLS} FROM {CUSTOMER_FROM} WHERE {}",
        f.where_sql()
    );
    let row = f
        .bind_all(sqlx::query(&sql))
        .fetch_optional(&mut *conn)
        .await
        .map_err(db_err)?
        .ok_or(StoreError::NotFound { entity: "customer" })?;
    let mut c = customer_from(&row)?;
    if c.deleted_at.is_some() && !include_deleted {
        return Err(StoreError::NotFound { entity: "customer" });
    }
    c.contact_points = contacts::load_for(conn, id.get()).await?;
    Ok(c)
}

/// The live customers among `ids` within reach, with their contact points, by id: two
/// statements per thousand ids.
pub(crate) async fn load_many(
    conn: &mut AnyConnection,
    org: OrgId,
    reach: Reach,
    ids: &[i64],
) -> Result<std::collections::HashMap<i64, Customer>, StoreError> {
    let mut found: std::collections::HashMap<i64, Customer> = std::collections::HashMap::new();
    for part in ids.chunks(1000) {
        // Ids are integers: listed inline, like the search's pages.
        let list = part
            .iter()
            .map(i64::to_string)
            .collect::<Vec<_>>()
            .join(",");
        let mut f = Filter::new(org);
        f.cond(format!("c.id IN ({list})"));
        f.cond("c.deleted_at IS NULL".into());
        f.reach(org, reach);
        let sql = format!(
            "SELECT {CUSTOMER_COLS} FROM {CUSTOMER_FROM} WHERE {}",
            f.where_sql()
        );
        let rows = f
            .bind_all(sqlx::query(&sql))
            .fetch_all(&mut *conn)
            .await
            .map_err(db_err)?;
        let mut mine = Vec::with_capacity(rows.len());
        for r in &rows {
            let c = customer_from(r)?;
            mine.push(c.id.get().to_string());
            found.insert(c.id.get(), c);
        }
        if mine.is_empty() {
            continue;
        }
        // By the customers found (so of the organisation, within reach) and nothing else: with
        // `org_id = …` beside a long id list SQLite walked the organisation's whole key index
        // (two million contact points for every thousand customers).
        let cps = sqlx::query(&format!(
            "SELECT customer_id, {} FROM contact_points WHERE customer_id IN ({}) \
             ORDER BY customer_id, is_primary DESC, id",
            contacts::CP_COLS,
            mine.join(",")
        ))
        .fetch_all(&mut *conn)
        .await
        .map_err(db_err)?;
        for r in &cps {
            if let Some(c) = found.get_mut(&crate::codec::i64_of(r, "customer_id")?) {
                c.contact_points.push(contacts::cp_from(r)?);
            }
        }
    }
    Ok(found)
}

/// Is customer `id` of the request's organisation live (or any, with `include_deleted`) and
/// within its reach? The check before every read or change of one customer's records.
pub(crate) async fn within_reach(
    conn: &mut AnyConnection,
    ctx: Ctx,
    id: CustomerId,
    include_deleted: bool,
) -> Result<(), StoreError> {
    let mut f = Filter::new(ctx.org);
    let p = f.arg(Arg::I(id.get()));
    f.cond(format!("c.id = {p}"));
    if !include_deleted {
        f.cond("c.deleted_at IS NULL".into());
    }
    f.reach(ctx.org, ctx.reach);
    let sql = format!("SELECT c.id FROM customers c WHERE {}", f.where_sql());
    let found: Option<crate::Row> = f
        .bind_all(sqlx::query(&sql))
        .fetch_optional(&mut *conn)
        .await
        .map_err(db_err)?;
    match found {
        Some(_) => Ok(()),
        None => Err(StoreError::NotFound { entity: "customer" }),
    }
}

/// Whom the actor may give a customer to and share it with: a new owner of the organisation
/// within [`Reach::may_assign_to`], a team of the organisation within
/// [`Reach::may_share_with`]. Only what changes is checked.
pub(crate) async fn check_reach_refs(
    conn: &mut AnyConnection,
    ctx: Ctx,
    owner: Option<UserId>,
    team: Option<TeamId>,
) -> Result<(), StoreError> {
    let mut errors = Errors::new();
    if let Some(owner) = owner {
        let found: Option<Option<i64>> =
            sqlx::query_scalar("SELECT team_id FROM users WHERE org_id = $1 AND id = $2")
                .bind(ctx.org.get())
                .bind(owner.get())
                .fetch_optional(&mut *conn)
                .await
                .map_err(db_err)?;
        match found {
            None => errors.push("owner_id", Reason::NotFound),
            Some(t) if !ctx.reach.may_assign_to(owner, t.map(TeamId)) => {
                errors.push("owner_id", Reason::NotAllowed)
            }
            Some(_) => {}
        }
    }
    if let Some(team) = team {
        let found: Option<i64> =
            sqlx::query_scalar("SELECT id FROM teams WHERE org_id = $1 AND id = $2")
                .bind(ctx.org.get())
                .bind(team.get())
                .fetch_optional(&mut *conn)
                .await
                .map_err(db_err)?;
        if found.is_none() {
            errors.push("team_id", Reason::NotFound);
        } else if !ctx.reach.may_share_with(team) {
            errors.push("team_id", Reason::NotAllowed);
        }
    }
    errors.finish().map_err(StoreError::Invalid)
}

/// Check the company a customer belongs to: a live company customer of the organisation (and only
/// persons belong to companies).
async fn check_refs(
    conn: &mut AnyConnection,
    org: OrgId,
    kind: CustomerKind,
    company: Option<CustomerId>,
    this: Option<CustomerId>,
) -> Result<(), StoreError> {
    let mut errors = Errors::new();
    if let Some(company) = company {
        if kind == CustomerKind::Company {
            errors.push("company_id", Reason::PersonOnly);
        } else if Some(company) == this {
            errors.push("company_id", Reason::SelfReference);
        } else {
            let found: Option<String> = sqlx::query_scalar(
                "SELECT kind FROM customers WHERE org_id = $1 AND id = $2 AND deleted_at IS NULL",
            )
            .bind(org.get())
            .bind(company.get())
            .fetch_optional(&mut *conn)
            .await
            .map_err(db_err)?;
            match found.as_deref() {
                None => errors.push("company_id", Reason::NotFound),
                Some("company") => {}
                Some(_) => errors.push("company_id", Reason::CompanyOnly),
            }
        }
    }
    errors.finish().map_err(StoreError::Invalid)
}

/// Make the search tokens of a customer match `new_name` (given the tokens of `old_name`).
pub(crate) async fn retoken(
    conn: &mut AnyConnection,
    org: OrgId,
    id: i64,
    old_name: Option<&str>,
    new_name: &str,
) -> Result<(), StoreError> {
    let old: BTreeSet<String> = old_name.map(name_tokens).unwrap_or_default();
    let new = name_tokens(new_name);
    for t in old.difference(&new) {
        sqlx::query(
            "DELETE FROM search_tokens WHERE org_id = $1 AND token = $2 AND customer_id = $3",
        )
        .bind(org.get())
        .bind(t)
        .bind(id)
        .execute(&mut *conn)
        .await
        .map_err(db_err)?;
    }
    for t in new.difference(&old) {
        sqlx::query("INSERT INTO search_tokens (org_id, token, customer_id) VALUES ($1, $2, $3)")
            .bind(org.get())
            .bind(t)
            .bind(id)
            .execute(&mut *conn)
            .await
            .map_err(db_err)?;
    }
    Ok(())
}

pub(crate) async fn set_tags(
    conn: &mut AnyConnection,
    org: OrgId,
    id: i64,
    old: &[String],
    new: &[String],
) -> Result<(), StoreError> {
    for t in old.iter().filter(|t| !new.contains(t)) {
        sqlx::query(
            "DELETE FROM customer_tags WHERE org_id = $1 AND tag = $2 AND customer_id = $3",
        )
        .bind(org.get())
        .bind(t)
        .bind(id)
        .execute(&mut *conn)
        .await
        .map_err(db_err)?;
    }
    for t in new.iter().filter(|t| !old.contains(t)) {
        sqlx::query("INSERT INTO customer_tags (org_id, tag, customer_id) VALUES ($1, $2, $3)")
            .bind(org.get())
            .bind(t)
            .bind(id)
            .execute(&mut *conn)
            .await
            .map_err(db_err)?;
    }
    Ok(())
}

/// A snapshot of the fields an event payload records.
fn snapshot(c: &Customer) -> Value {
    json!({
        "kind": c.kind, "name": c.name, "company_id": c.company_id, "title": c.title,
        "owner_id": c.owner_id, "team_id": c.team_id, "status": c.status, "class": c.class, "vip": c.vip,
        "tags": c.tags, "city": c.city, "birthday": c.birthday, "note": c.note,
        "custom": c.custom,
        "contact_points": c.contact_points.iter().map(|p| json!({"kind": p.kind, "value": p.value})).collect::<Vec<_>>(),
    })
}

impl SqlStore {
    pub(crate) async fn create_customer_impl(
        &self,
        ctx: Ctx,
        new: NewCustomer,
    ) -> Result<Customer, StoreError> {
        let mut tx = self.begin_write().await?;
        let customer = insert_customer(&mut tx, self.backend, ctx, new).await?;
        tx.commit().await.map_err(db_err)?;
        Ok(customer)
    }

    pub(crate) async fn get_customer_impl(
        &self,
        ctx: Ctx,
        id: CustomerId,
        include_deleted: bool,
    ) -> Result<Customer, StoreError> {
        let mut conn = self.pool.acquire().await.map_err(db_err)?;
        load(&mut conn, ctx.org, ctx.reach, id, include_deleted).await
    }

    /// Full records of the live customers among `ids` within reach, in the order of `ids`:
    /// two statements however many (the customers, then their contact points).
    pub(crate) async fn customers_by_ids_impl(
        &self,
        ctx: Ctx,
        ids: &[CustomerId],
    ) -> Result<Vec<Customer>, StoreError> {
        let ids: Vec<i64> = ids
            .iter()
            .take(guanxi_store::CUSTOMERS_BY_IDS_MAX)
            .map(|i| i.get())
            .collect();
        let mut conn = self.pool.acquire().await.map_err(db_err)?;
        let mut found = load_many(&mut conn, ctx.org, ctx.reach, &ids).await?;
        Ok(ids.iter().filter_map(|i| found.remove(i)).collect())
    }

    pub(crate) async fn update_customer_impl(
        &self,
        ctx: Ctx,
        id: CustomerId,
        expected: Option<i64>,
        patch: CustomerPatch,
    ) -> Result<Customer, StoreError> {
        let mut tx = self.begin_write().await?;
        let old = load(&mut tx, ctx.org, ctx.reach, id, false).await?;
        if let Some(expected) = expected {
            if expected != old.version {
                return Err(StoreError::VersionMismatch {
                    expected,
                    current: old.version,
                });
            }
        }
        let mut c = old.clone();
        if let Some(v) = patch.name {
            c.name = v;
        }
        if let Some(v) = patch.company_id {
            c.company_id = v;
        }
        if let Some(v) = patch.title {
            c.title = v;
        }
        if let Some(v) = patch.owner_id {
            c.owner_id = v;
        }
        if let Some(v) = patch.team_id {
            c.team_id = v;
        }
        if let Some(v) = patch.status {
            c.status = v;
        }
        if let Some(v) = patch.class {
            c.class = v;
        }
        if let Some(v) = patch.vip {
            c.vip = v;
        }
        if let Some(v) = patch.tags {
            c.tags = v;
        }
        if let Some(v) = patch.city {
            c.city = v;
        }
        if let Some(v) = patch.birthday {
            c.birthday = v;
        }
        if let Some(v) = patch.note {
            c.note = v;
        }
        if let Some(values) = &patch.custom {
            let rules = crate::orgs::field_rules(&mut tx, ctx.org).await?;
            let checked = check_values(&rules, values, false)
                .map_err(|e| StoreError::Invalid(e.nest("custom")))?;
            for (k, v) in checked {
                if v.is_null() {
                    c.custom.remove(&k);
                } else {
                    c.custom.insert(k, v);
                }
            }
        }
        check_reach_refs(
            &mut tx,
            ctx,
            c.owner_id.filter(|o| Some(*o) != old.owner_id),
            c.team_id.filter(|t| Some(*t) != old.team_id),
        )
        .await?;
        check_refs(
            &mut tx,
            ctx.org,
            c.kind,
            c.company_id.filter(|o| Some(*o) != old.company_id),
            Some(id),
        )
        .await?;
        let changes = diff(&snapshot(&old), &snapshot(&c));
        if changes.is_empty() {
            tx.commit().await.map_err(db_err)?;
            return Ok(old);
        }
        let done = sqlx::query(
            "UPDATE customers SET name = $1, company_id = $2, title = $3, owner_id = $4, status = $5, \
             class = $6, vip = $7, tags = $8, city = $9, birthday = $10, note = $11, custom = $12, \
             team_id = $13, version = version + 1, updated_at = $14 WHERE org_id = $15 AND id = $16 AND version = $17",
        )
        .bind(&c.name)
        .bind(c.company_id.map(CustomerId::get))
        .bind(c.title.as_deref())
        .bind(c.owner_id.map(UserId::get))
        .bind(c.status.as_str())
        .bind(c.class.as_str())
        .bind(c.vip)
        .bind(to_json(&c.tags)?)
        .bind(c.city.as_deref())
        .bind(date_to_str(c.birthday))
        .bind(c.note.as_deref())
        .bind(to_json(&c.custom)?)
        .bind(c.team_id.map(TeamId::get))
        .bind(now_micros())
        .bind(ctx.org.get())
        .bind(id.get())
        .bind(old.version)
        .execute(&mut *tx)
        .await
        .map_err(db_err)?;
        if done.rows_affected() != 1 {
            return Err(StoreError::VersionMismatch {
                expected: old.version,
                current: old.version + 1,
            });
        }
        set_tags(&mut tx, ctx.org, id.get(), &old.tags, &c.tags).await?;
        if c.name != old.name {
            retoken(&mut tx, ctx.org, id.get(), Some(&old.name), &c.name).await?;
        }
        let customer = load(&mut tx, ctx.org, Reach::Org, id, false).await?;
        let event = if c.owner_id != old.owner_id {
            "customer.owner_changed"
        } else {
            "customer.updated"
        };
        emit(
            &mut tx,
            self.backend,
            ctx,
            event,
            "customer",
            id.get(),
            &json!({"changes": changes}),
        )
        .await?;
        tx.commit().await.map_err(db_err)?;
        Ok(customer)
    }

    pub(crate) async fn delete_customer_impl(
        &self,
        ctx: Ctx,
        id: CustomerId,
        expected: Option<i64>,
    ) -> Result<Customer, StoreError> {
        self.set_deleted(ctx, id, expected, true).await
    }

    pub(crate) async fn restore_customer_impl(
        &self,
        ctx: Ctx,
        id: CustomerId,
    ) -> Result<Customer, StoreError> {
        self.set_deleted(ctx, id, None, false).await
    }

    async fn set_deleted(
        &self,
        ctx: Ctx,
        id: CustomerId,
        expected: Option<i64>,
        delete: bool,
    ) -> Result<Customer, StoreError> {
        let mut tx = self.begin_write().await?;
        let old = load(&mut tx, ctx.org, ctx.reach, id, true).await?;
        if old.deleted_at.is_some() != delete {
            if let Some(expected) = expected.filter(|e| *e != old.version) {
                return Err(StoreError::VersionMismatch {
                    expected,
                    current: old.version,
                });
            }
            if !delete {
                let merged: Option<i64> = sqlx::query_scalar(
                    "SELECT merged_into FROM customers WHERE org_id = $1 AND id = $2",
                )
                .bind(ctx.org.get())
                .bind(id.get())
                .fetch_one(&mut *tx)
                .await
                .map_err(db_err)?;
                if let Some(into) = merged {
                    // Its history lives on in the customer it was merged into.
                    return Err(StoreError::Conflict {
                        field: "id".into(),
                        reason: Reason::Duplicate { customer_id: into },
                    });
                }
                // Restoring must not bring back a contact point another customer took since.
                for cp in &old.contact_points {
                    let value = guanxi_core::contact::ContactValue {
                        kind: cp.kind,
                        display: cp.value.clone(),
                        key: cp.key.clone(),
                        digits: None,
                    };
                    if let Some(other) =
                        contacts::holder(&mut tx, ctx.org, &value, Some(id.get())).await?
                    {
                        return Err(StoreError::Conflict {
                            field: "contact_points".into(),
                            reason: Reason::Duplicate { customer_id: other },
                        });
                    }
                }
            }
            let now = now_micros();
            sqlx::query(
                "UPDATE customers SET deleted_at = $1, version = version + 1, updated_at = $2 \
                 WHERE org_id = $3 AND id = $4",
            )
            .bind(delete.then_some(now))
            .bind(now)
            .bind(ctx.org.get())
            .bind(id.get())
            .execute(&mut *tx)
            .await
            .map_err(db_err)?;
            let event = if delete {
                "customer.deleted"
            } else {
                "customer.restored"
            };
            emit(
                &mut tx,
                self.backend,
                ctx,
                event,
                "customer",
                id.get(),
                &json!({"name": old.name}),
            )
            .await?;
        } else if delete {
            return Err(StoreError::NotFound { entity: "customer" });
        }
        let customer = load(&mut tx, ctx.org, Reach::Org, id, true).await?;
        tx.commit().await.map_err(db_err)?;
        Ok(customer)
    }

    pub(crate) async fn merge_customers_impl(
        &self,
        ctx: Ctx,
        keep: CustomerId,
        merge: CustomerId,
    ) -> Result<(Customer, MergeStats), StoreError> {
        if keep == merge {
            return Err(StoreError::invalid("merge_id", Reason::SelfReference));
        }
        let mut tx = self.begin_write().await?;
        let kept = load(&mut tx, ctx.org, ctx.reach, keep, false).await?;
        let gone = match load(&mut tx, ctx.org, ctx.reach, merge, false).await {
            Ok(c) => c,
            Err(StoreError::NotFound { .. }) => {
                return Err(StoreError::invalid("merge_id", Reason::NotFound))
            }
            Err(e) => return Err(e),
        };
        if kept.kind != gone.kind {
            let reason = match kept.kind {
                CustomerKind::Company => Reason::CompanyOnly,
                CustomerKind::Person => Reason::PersonOnly,
            };
            return Err(StoreError::invalid("merge_id", reason));
        }
        let (org, k, m) = (ctx.org.get(), keep.get(), merge.get());
        let now = now_micros();
        let interactions = sqlx::query(
            "UPDATE interactions SET customer_id = $1, updated_at = $2 WHERE org_id = $3 AND customer_id = $4",
        )
        .bind(k)
        .bind(now)
        .bind(org)
        .bind(m)
        .execute(&mut *tx)
        .await
        .map_err(db_err)?
        .rows_affected();
        let mut stats = MergeStats {
            interactions,
            ..MergeStats::default()
        };
        let held: BTreeSet<&str> = kept.contact_points.iter().map(|c| c.key.as_str()).collect();
        for cp in &gone.contact_points {
            if held.contains(cp.key.as_str()) {
                sqlx::query("DELETE FROM contact_points WHERE org_id = $1 AND id = $2")
                    .bind(org)
                    .bind(cp.id.get())
                    .execute(&mut *tx)
                    .await
                    .map_err(db_err)?;
            } else {
                sqlx::query(
                    "UPDATE contact_points SET customer_id = $1, is_primary = $2 WHERE org_id = $3 AND id = $4",
                )
                .bind(k)
                .bind(false)
                .bind(org)
                .bind(cp.id.get())
                .execute(&mut *tx)
                .await
                .map_err(db_err)?;
                stats.contact_points += 1;
            }
        }
        stats.contact_persons = sqlx::query(
            "UPDATE customers SET company_id = $1 WHERE org_id = $2 AND company_id = $3",
        )
        .bind(k)
        .bind(org)
        .bind(m)
        .execute(&mut *tx)
        .await
        .map_err(db_err)?
        .rows_affected();
        // Fill what the kept customer lacks; what it has wins.
        let mut c = kept.clone();
        c.title = c.title.or(gone.title.clone());
        c.owner_id = c.owner_id.or(gone.owner_id);
        c.team_id = c.team_id.or(gone.team_id);
        c.company_id = c
            .company_id
            .or(gone.company_id)
            .filter(|co| *co != keep && *co != merge);
        c.city = c.city.or(gone.city.clone());
        c.birthday = c.birthday.or(gone.birthday);
        c.note = match (&kept.note, &gone.note) {
            (Some(a), Some(b)) if a != b => Some(format!("{a}\n{b}")),
            (a, b) => a.clone().or(b.clone()),
        };
        c.vip = kept.vip || gone.vip;
        for t in &gone.tags {
            if !c.tags.contains(t) && c.tags.len() < guanxi_core::customer::TAGS_MAX {
                c.tags.push(t.clone());
            }
        }
        for (key, val) in &gone.custom {
            c.custom.entry(key.clone()).or_insert_with(|| val.clone());
        }
        sqlx::query(
            "UPDATE customers SET company_id = $1, title = $2, owner_id = $3, team_id = $4, city = $5, \
             birthday = $6, note = $7, vip = $8, tags = $9, custom = $10, version = version + 1, updated_at = $11 \
             WHERE org_id = $12 AND id = $13",
        )
        .bind(c.company_id.map(CustomerId::get))
        .bind(c.title.as_deref())
        .bind(c.owner_id.map(UserId::get))
        .bind(c.team_id.map(TeamId::get))
        .bind(c.city.as_deref())
        .bind(date_to_str(c.birthday))
        .bind(c.note.as_deref())
        .bind(c.vip)
        .bind(to_json(&c.tags)?)
        .bind(to_json(&c.custom)?)
        .bind(now)
        .bind(org)
        .bind(k)
        .execute(&mut *tx)
        .await
        .map_err(db_err)?;
        set_tags(&mut tx, ctx.org, k, &kept.tags, &c.tags).await?;
        sqlx::query(
            "UPDATE customers SET deleted_at = $1, merged_into = $2, version = version + 1, updated_at = $1 \
             WHERE org_id = $3 AND id = $4",
        )
        .bind(now)
        .bind(k)
        .bind(org)
        .bind(m)
        .execute(&mut *tx)
        .await
        .map_err(db_err)?;
        let customer = load(&mut tx, ctx.org, Reach::Org, keep, false).await?;
        let changes = diff(&snapshot(&kept), &snapshot(&customer));
        emit(
            &mut tx,
            self.backend,
            ctx,
            "customer.merged_away",
            "customer",
            m,
            &json!({"into": k, "name": gone.name}),
        )
        .await?;
        emit(
            &mut tx,
            self.backend,
            ctx,
            "customer.merged",
            "customer",
            k,
            &json!({"merged": m, "name": gone.name, "moved": stats, "changes": changes}),
        )
        .await?;
        tx.commit().await.map_err(db_err)?;
        Ok((customer, stats))
    }

    pub(crate) async fn lookup_impl(
        &self,
        ctx: Ctx,
        key: &ContactLookup,
    ) -> Result<Vec<Customer>, StoreError> {
        let (k, fam) = match key {
            ContactLookup::Phone(k) => (k, family(guanxi_core::ContactKind::Mobile)),
            ContactLookup::Email(k) => (k, family(guanxi_core::ContactKind::Email)),
            ContactLookup::Wechat(k) => (k, family(guanxi_core::ContactKind::Wechat)),
        };
        let mut conn = self.pool.acquire().await.map_err(db_err)?;
        let mut f = Filter::new(ctx.org);
        let po = f.arg(Arg::I(ctx.org.get()));
        let pk = f.arg(Arg::S(k.clone()));
        f.cond(format!(
            "c.id IN (SELECT cp.customer_id FROM contact_points cp WHERE cp.org_id = {po} \
             AND cp.key = {pk} AND cp.kind IN {fam})"
        ));
        f.cond("c.deleted_at IS NULL".into());
        f.reach(ctx.org, ctx.reach);
        let sql = format!(
            "SELECT c.id FROM customers c WHERE {} ORDER BY c.id DESC LIMIT 20",
            f.where_sql()
        );
        let ids: Vec<i64> = f
            .bind_all_scalar(sqlx::query_scalar(&sql))
            .fetch_all(&mut *conn)
            .await
            .map_err(db_err)?;
        let mut out = Vec::with_capacity(ids.len());
        for id in ids {
            out.push(load(&mut conn, ctx.org, Reach::Org, CustomerId(id), false).await?);
        }
        out.sort_by(|a, b| b.updated_at.cmp(&a.updated_at).then(b.id.cmp(&a.id)));
        Ok(out)
    }

    pub(crate) async fn customer_360_impl(
        &self,
        ctx: Ctx,
        id: CustomerId,
    ) -> Result<Customer360, StoreError> {
        let mut conn = self.pool.acquire().await.map_err(db_err)?;
        let customer = load(&mut conn, ctx.org, ctx.reach, id, false).await?;
        let company = match customer.company_id {
            Some(co) => sqlx::query(&format!(
                "SELECT {SUMMARY_COLS} FROM customers c WHERE c.org_id = $1 AND c.id = $2 AND c.deleted_at IS NULL"
            ))
            .bind(ctx.org.get())
            .bind(co.get())
            .fetch_optional(&mut *conn)
            .await
            .map_err(db_err)?
            .map(|r| summary_from(&r))
            .transpose()?,
            None => None,
        };
        let contact_persons = if customer.kind == CustomerKind::Company {
            let mut f = Filter::new(ctx.org);
            let p = f.arg(Arg::I(id.get()));
            f.cond(format!("c.company_id = {p}"));
            f.cond("c.deleted_at IS NULL".into());
            f.reach(ctx.org, ctx.reach);
            let sql = format!(
                "SELECT {SUMMARY_COLS} FROM customers c WHERE {} ORDER BY c.id LIMIT 100",
                f.where_sql()
            );
            f.bind_all(sqlx::query(&sql))
                .fetch_all(&mut *conn)
                .await
                .map_err(db_err)?
                .iter()
                .map(summary_from)
                .collect::<Result<Vec<_>, _>>()?
        } else {
            Vec::new()
        };
        let recent = crate::interactions::recent(&mut conn, ctx.org, id, None, None, 50).await?;
        let rows = sqlx::query(
            "SELECT channel, COUNT(*) AS n, MAX(occurred_at) AS last FROM interactions \
             WHERE customer_id = $1 AND org_id = $2 GROUP BY channel",
        )
        .bind(id.get())
        .bind(ctx.org.get())
        .fetch_all(&mut *conn)
        .await
        .map_err(db_err)?;
        let mut counts = Vec::with_capacity(rows.len());
        let mut total = 0;
        let mut last: Option<i64> = None;
        for r in &rows {
            let n = i64_of(r, "n")?;
            total += n;
            last = last.max(opt_i64(r, "last")?);
            counts.push(ChannelCount {
                channel: enum_of(r, "channel", Channel::parse)?,
                count: n,
            });
        }
        counts.sort_by(|a, b| b.count.cmp(&a.count).then(a.channel.cmp(&b.channel)));
        Ok(Customer360 {
            customer,
            company,
            contact_persons,
            recent_interactions: recent.0,
            interaction_counts: counts,
            interactions_total: total,
            last_interaction_at: last.map(crate::codec::micros_to_time),
        })
    }

    pub(crate) async fn list_customers_impl(
        &self,
        ctx: Ctx,
        q: CustomerQuery,
    ) -> Result<Page<CustomerSummary>, StoreError> {
        let limit = q.limit.clamp(1, PAGE_MAX) as usize;
        let mut f = Filter::new(ctx.org);
        f.apply(&q);
        f.reach(ctx.org, ctx.reach);
        if let Some(text) = q.q.as_deref().map(str::trim).filter(|t| !t.is_empty()) {
            let before = match &q.cursor {
                None => None,
                Some(c) => Some(cursor_id(&decode_cursor(c)?, 0)?),
            };
            return crate::search::search(self, ctx.org, &f, text, before, limit).await;
        }
        let (col, numeric) = match q.sort {
            CustomerSort::Id => ("c.id", true),
            CustomerSort::Name => ("c.name", false),
            CustomerSort::CreatedAt => ("c.created_at", true),
            CustomerSort::UpdatedAt => ("c.updated_at", true),
            CustomerSort::Clv => (CLV_SORT, true),
        };
        let (cmp, dir) = if q.descending {
            ("<", "DESC")
        } else {
            (">", "ASC")
        };
        if let Some(cursor) = &q.cursor {
            let parts = decode_cursor(cursor)?;
            let id = cursor_id(&parts, 1)?;
            if q.sort == CustomerSort::Id {
                let p = f.arg(Arg::I(id));
                f.cond(format!("c.id {cmp} {p}"));
            } else {
                let v = match (numeric, parts.first()) {
                    (true, Some(Value::Number(n))) => Arg::I(n.as_i64().ok_or_else(bad_cursor)?),
                    (false, Some(Value::String(s))) => Arg::S(s.clone()),
                    _ => return Err(bad_cursor()),
                };
                let pv = f.arg(v.clone());
                let pv2 = f.arg(v);
                let pid = f.arg(Arg::I(id));
                f.cond(format!(
                    "({col} {cmp} {pv} OR ({col} = {pv2} AND c.id {cmp} {pid}))"
                ));
            }
        }
        let order = if q.sort == CustomerSort::Id {
            format!("c.id {dir}")
        } else {
            format!("{col} {dir}, c.id {dir}")
        };
        let sort_value = if q.sort == CustomerSort::Clv {
            format!(", {CLV_SORT} AS sort_value")
        } else {
            String::new()
        };
        let sql = format!(
            "SELECT {SUMMARY_COLS}{sort_value} FROM customers c WHERE {} ORDER BY {order} LIMIT {}",
            f.where_sql(),
            limit + 1
        );
        let rows = f
            .bind_all(sqlx::query(&sql))
            .fetch_all(&self.pool)
            .await
            .map_err(db_err)?;
        let mut items = rows
            .iter()
            .map(summary_from)
            .collect::<Result<Vec<_>, _>>()?;
        let clv_of_last = match (q.sort, rows.get(limit.saturating_sub(1))) {
            (CustomerSort::Clv, Some(r)) => Some(i64_of(r, "sort_value")?),
            _ => None,
        };
        let next_cursor = if items.len() > limit {
            items.truncate(limit);
            items.last().map(|last| {
                let v = match q.sort {
                    CustomerSort::Clv => json!(clv_of_last),
                    CustomerSort::Id => json!(null),
                    CustomerSort::Name => json!(last.name),
                    CustomerSort::CreatedAt => json!(time_to_micros(last.created_at)),
                    CustomerSort::UpdatedAt => json!(time_to_micros(last.updated_at)),
                };
                encode_cursor(&json!([v, last.id.get()]))
            })
        } else {
            None
        };
        Ok(Page { items, next_cursor })
    }
}

fn bad_cursor() -> StoreError {
    StoreError::invalid("cursor", Reason::InvalidCursor)
}

fn cursor_id(parts: &[Value], at: usize) -> Result<i64, StoreError> {
    parts
        .get(at)
        .and_then(Value::as_i64)
        .filter(|v| *v > 0)
        .ok_or_else(bad_cursor)
}

fn nest_conflict(e: StoreError, prefix: &str) -> StoreError {
    match e {
        StoreError::Conflict { field, reason } => StoreError::Conflict {
            field: format!("{prefix}.{field}"),
            reason,
        },
        StoreError::Invalid(d) => StoreError::Invalid(DomainError::nest(d, prefix)),
        other => other,
    }
}

/// Field-level changes between two snapshots: `{field: [before, after]}`.
fn diff(before: &Value, after: &Value) -> Map<String, Value> {
    let mut out = Map::new();
    if let (Value::Object(b), Value::Object(a)) = (before, after) {
        for (k, av) in a {
            let bv = b.get(k).unwrap_or(&Value::Null);
            if bv != av {
                out.insert(k.clone(), json!([bv, av]));
            }
        }
    }
    out
}

/// A bound argument of a dynamically built query.
#[derive(Clone, Debug)]
pub(crate) enum Arg {
    I(i64),
    S(String),
    B(bool),
    /// SQL NULL of an integer column.
    N,
    /// SQL NULL of a text column (PostgreSQL checks the parameter type).
    NS,
    /// A floating-point value, and SQL NULL of a floating-point column.
    F(f64),
    NF,
}

/// WHERE conditions plus their arguments, numbered `$1…` in order.
#[derive(Clone)]
pub(crate) struct Filter {
    conds: Vec<String>,
    args: Vec<Arg>,
}

impl Filter {
    pub(crate) fn new(org: OrgId) -> Self {
        let mut f = Self {
            conds: Vec::new(),
            args: Vec::new(),
        };
        let p = f.arg(Arg::I(org.get()));
        f.cond(format!("c.org_id = {p}"));
        f
    }

    /// A filter on the organisation column of `alias` (`o.org_id = $1`).
    pub(crate) fn new_on(alias: &str, org: OrgId) -> Self {
        let mut f = Self {
            conds: Vec::new(),
            args: Vec::new(),
        };
        let p = f.arg(Arg::I(org.get()));
        f.cond(format!("{alias}.org_id = {p}"));
        f
    }

    pub(crate) fn arg(&mut self, a: Arg) -> String {
        self.args.push(a);
        format!("${}", self.args.len())
    }

    pub(crate) fn cond(&mut self, c: String) {
        self.conds.push(c);
    }

    pub(crate) fn where_sql(&self) -> String {
        self.conds.join(" AND ")
    }

    fn apply(&mut self, q: &CustomerQuery) {
        if q.deleted {
            self.cond("c.deleted_at IS NOT NULL".into());
        } else {
            self.cond("c.deleted_at IS NULL".into());
        }
        if let Some(v) = q.kind {
            let p = self.arg(Arg::S(v.as_str().into()));
            self.cond(format!("c.kind = {p}"));
        }
        if let Some(v) = q.status {
            let p = self.arg(Arg::S(v.as_str().into()));
            self.cond(format!("c.status = {p}"));
        }
        if let Some(v) = q.class {
            let p = self.arg(Arg::S(v.as_str().into()));
            self.cond(format!("c.class = {p}"));
        }
        if let Some(v) = q.vip {
            let p = self.arg(Arg::B(v));
            self.cond(format!("c.vip = {p}"));
        }
        if let Some(v) = q.owner_id {
            let p = self.arg(Arg::I(v.get()));
            self.cond(format!("c.owner_id = {p}"));
        }
        if let Some(v) = q.company_id {
            let p = self.arg(Arg::I(v.get()));
            self.cond(format!("c.company_id = {p}"));
        }
        if let Some(t) = &q.tag {
            let po = self.arg(Arg::I(match self.args.first() {
                Some(Arg::I(o)) => *o,
                _ => 0,
            }));
            let pt = self.arg(Arg::S(t.clone()));
            self.cond(format!(
                "EXISTS (SELECT 1 FROM customer_tags t WHERE t.org_id = {po} AND t.tag = {pt} AND t.customer_id = c.id)"
            ));
        }
        if let Some(v) = q.created_from {
            let p = self.arg(Arg::I(time_to_micros(v)));
            self.cond(format!("c.created_at >= {p}"));
        }
        if let Some(v) = q.created_to {
            let p = self.arg(Arg::I(time_to_micros(v)));
            self.cond(format!("c.created_at < {p}"));
        }
        if let Some(Arg::I(org)) = self.args.first().cloned() {
            crate::scores::filter_customers(self, OrgId(org), &q.scores);
        }
    }

    /// Keep only the customers within `reach` (the permission table's record-level rule; see
    /// `guanxi_core::access`). The one place where a reach becomes SQL.
    pub(crate) fn reach(&mut self, org: OrgId, reach: Reach) {
        self.reach_inner(org, reach, true)
    }

    /// The reach over records that have an owner and a team like customers but no account
    /// team (leads, aliased `c`).
    pub(crate) fn reach_owned(&mut self, org: OrgId, reach: Reach) {
        self.reach_inner(org, reach, false)
    }

    fn reach_inner(&mut self, org: OrgId, reach: Reach, accounts: bool) {
        // Members of a customer's account team (key accounts) reach it like its owner.
        let account = |f: &mut Self, user: UserId| {
            if !accounts {
                return "FALSE".to_owned();
            }
            let po = f.arg(Arg::I(org.get()));
            let pu = f.arg(Arg::I(user.get()));
            format!(
                "c.id IN (SELECT akt.customer_id FROM account_team akt WHERE akt.org_id = {po} AND akt.user_id = {pu})"
            )
        };
        match reach {
            Reach::Org => {}
            Reach::Own { user, team } => {
                let pu = self.arg(Arg::I(user.get()));
                let acc = account(self, user);
                match team {
                    Some(t) => {
                        let pt = self.arg(Arg::I(t.get()));
                        self.cond(format!("(c.owner_id = {pu} OR c.team_id = {pt} OR {acc})"));
                    }
                    None => self.cond(format!("(c.owner_id = {pu} OR {acc})")),
                }
            }
            Reach::Team { user, team } => {
                let pu = self.arg(Arg::I(user.get()));
                let acc = account(self, user);
                match team {
                    Some(t) => {
                        let pt = self.arg(Arg::I(t.get()));
                        let po = self.arg(Arg::I(org.get()));
                        let pt2 = self.arg(Arg::I(t.get()));
                        self.cond(format!(
                            "(c.owner_id = {pu} OR c.team_id = {pt} OR c.owner_id IN \
                             (SELECT u.id FROM users u WHERE u.org_id = {po} AND u.team_id = {pt2}) OR {acc})"
                        ));
                    }
                    None => self.cond(format!("(c.owner_id = {pu} OR {acc})")),
                }
            }
            Reach::Handled { user } => {
                let pu = self.arg(Arg::I(user.get()));
                let po = self.arg(Arg::I(org.get()));
                let pu2 = self.arg(Arg::I(user.get()));
                let acc = account(self, user);
                self.cond(format!(
                    "(c.owner_id = {pu} OR c.id IN (SELECT i.customer_id FROM interactions i \
                     WHERE i.org_id = {po} AND i.staff_id = {pu2}) OR {acc})"
                ));
            }
        }
    }

    pub(crate) fn bind_all_scalar<'q, O>(
        &self,
        mut query: sqlx::query::QueryScalar<'q, sqlx::Any, O, sqlx::any::AnyArguments<'q>>,
    ) -> sqlx::query::QueryScalar<'q, sqlx::Any, O, sqlx::any::AnyArguments<'q>> {
        for a in &self.args {
            query = match a {
                Arg::I(v) => query.bind(*v),
                Arg::S(v) => query.bind(v.clone()),
                Arg::B(v) => query.bind(*v),
                Arg::N => query.bind(None::<i64>),
                Arg::NS => query.bind(None::<String>),
                Arg::F(v) => query.bind(*v),
                Arg::NF => query.bind(None::<f64>),
            };
        }
        query
    }

    pub(crate) fn bind_all<'q>(
        &self,
        mut query: sqlx::query::Query<'q, sqlx::Any, sqlx::any::AnyArguments<'q>>,
    ) -> sqlx::query::Query<'q, sqlx::Any, sqlx::any::AnyArguments<'q>> {
        for a in &self.args {
            query = match a {
                Arg::I(v) => query.bind(*v),
                Arg::S(v) => query.bind(v.clone()),
                Arg::B(v) => query.bind(*v),
                Arg::N => query.bind(None::<i64>),
                Arg::NS => query.bind(None::<String>),
                Arg::F(v) => query.bind(*v),
                Arg::NF => query.bind(None::<f64>),
            };
        }
        query
    }
}

/// Insert a customer with its contact points and `customer.created` event inside the caller's
/// transaction (creating one, converting a lead).
pub(crate) async fn insert_customer(
    tx: &mut AnyConnection,
    backend: crate::Backend,
    ctx: Ctx,
    new: NewCustomer,
) -> Result<Customer, StoreError> {
    let owner = new.owner_id.or(ctx.reach.default_owner());
    check_reach_refs(&mut *tx, ctx, owner, new.team_id).await?;
    check_refs(&mut *tx, ctx.org, new.kind, new.company_id, None).await?;
    let rules = crate::orgs::field_rules(&mut *tx, ctx.org).await?;
    let custom = check_values(&rules, &new.custom, true)
        .map_err(|e| StoreError::Invalid(e.nest("custom")))?;
    let custom: Map<String, Value> = custom.into_iter().filter(|(_, v)| !v.is_null()).collect();
    if !new.allow_duplicate {
        for (i, cp) in new.contact_points.iter().enumerate() {
            if let Some(other) = contacts::holder(&mut *tx, ctx.org, &cp.value, None).await? {
                return Err(StoreError::Conflict {
                    field: format!("contact_points[{i}].value"),
                    reason: Reason::Duplicate { customer_id: other },
                });
            }
        }
    }
    let now = now_micros();
    let id: i64 = sqlx::query_scalar(
        "INSERT INTO customers (org_id, kind, name, company_id, title, owner_id, team_id, status, class, \
         vip, tags, city, birthday, note, custom, version, created_at, updated_at) \
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15, 1, $16, $16) RETURNING id",
    )
    .bind(ctx.org.get())
    .bind(new.kind.as_str())
    .bind(&new.name)
    .bind(new.company_id.map(CustomerId::get))
    .bind(new.title.as_deref())
    .bind(owner.map(UserId::get))
    .bind(new.team_id.map(TeamId::get))
    .bind(new.status.as_str())
    .bind(new.class.as_str())
    .bind(new.vip)
    .bind(to_json(&new.tags)?)
    .bind(new.city.as_deref())
    .bind(date_to_str(new.birthday))
    .bind(new.note.as_deref())
    .bind(to_json(&custom)?)
    .bind(now)
    .fetch_one(&mut *tx)
    .await
    .map_err(db_err)?;
    set_tags(&mut *tx, ctx.org, id, &[], &new.tags).await?;
    retoken(&mut *tx, ctx.org, id, None, &new.name).await?;
    let mut seen = BTreeSet::new();
    for (i, cp) in new.contact_points.iter().enumerate() {
        if !seen.insert(cp.value.key.clone()) {
            return Err(StoreError::invalid(
                format!("contact_points[{i}].value"),
                Reason::Duplicate { customer_id: 0 },
            ));
        }
        contacts::insert(&mut *tx, ctx.org, id, cp, now)
            .await
            .map_err(|e| nest_conflict(e, &format!("contact_points[{i}]")))?;
    }
    let customer = load(&mut *tx, ctx.org, Reach::Org, CustomerId(id), false).await?;
    emit(
        &mut *tx,
        backend,
        ctx,
        "customer.created",
        "customer",
        id,
        &snapshot(&customer),
    )
    .await?;
    Ok(customer)
}

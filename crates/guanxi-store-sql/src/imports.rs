//! Importing checked rows of a file: match by contact point or create, in one transaction.

use crate::codec::{date_to_str, now_micros, to_json};
use crate::customers::{insert_customer, load};
use crate::events::emit;
use crate::{db_err, SqlStore};
use guanxi_core::customer::{CustomerClass, CustomerKind, CustomerStatus};
use guanxi_core::Reach;
use guanxi_store::{
    Ctx, Customer, ImportCustomer, ImportPolicy, ImportResult, NewContactPoint, NewCustomer,
    StoreError,
};
use serde_json::{json, Map};

/// Most rows in one import call (the caller splits larger files).
pub const IMPORT_ROWS_MAX: usize = 1_000_000;

impl SqlStore {
    pub(crate) async fn import_customers_impl(
        &self,
        ctx: Ctx,
        rows: Vec<ImportCustomer>,
        policy: ImportPolicy,
    ) -> Result<Vec<ImportResult>, StoreError> {
        if rows.len() > IMPORT_ROWS_MAX {
            return Err(StoreError::invalid(
                "rows",
                guanxi_core::Reason::TooMany {
                    max: IMPORT_ROWS_MAX,
                },
            ));
        }
        let mut tx = self.begin_write().await?;
        let mut out = Vec::with_capacity(rows.len());
        let (mut created, mut matched, mut updated) = (0u64, 0u64, 0u64);
        for (i, row) in rows.into_iter().enumerate() {
            // Checked again here (the caller parsed the file): a bad row fails the whole
            // import, and everything before it is rolled back with it.
            if let Err(e) = guanxi_core::text::line(&row.name, 120) {
                let reason = e
                    .fields()
                    .first()
                    .map(|f| f.reason.clone())
                    .unwrap_or(guanxi_core::Reason::Required);
                return Err(StoreError::invalid(format!("rows[{i}].name"), reason));
            }
            let mut holder = None;
            for c in &row.contacts {
                if let Some(id) = crate::contacts::holder(&mut tx, ctx.org, c, None).await? {
                    holder = Some(guanxi_core::CustomerId(id));
                    break;
                }
            }
            match holder {
                Some(id) => {
                    matched += 1;
                    let changed = match policy {
                        ImportPolicy::Skip => false,
                        ImportPolicy::FillEmpty | ImportPolicy::Overwrite => {
                            apply(&mut tx, self.backend, ctx, id, &row, policy)
                                .await?
                                .is_some()
                        }
                    };
                    updated += u64::from(changed);
                    out.push(ImportResult::Matched {
                        customer_id: id,
                        updated: changed,
                    });
                }
                None => {
                    let company_id = match row.company.as_deref() {
                        Some(c) if c != row.name => Some(
                            crate::leads::company_for(&mut tx, self.backend, ctx, c, None).await?,
                        ),
                        _ => None,
                    };
                    let mut seen = std::collections::HashSet::new();
                    let contact_points = row
                        .contacts
                        .iter()
                        .filter(|c| seen.insert(c.key.clone()))
                        .enumerate()
                        .map(|(i, c)| NewContactPoint {
                            value: c.clone(),
                            label: None,
                            primary: i == 0,
                        })
                        .collect();
                    let kind = if row.company.as_deref() == Some(row.name.as_str()) {
                        CustomerKind::Company
                    } else {
                        CustomerKind::Person
                    };
                    let c = insert_customer(
                        &mut tx,
                        self.backend,
                        ctx,
                        NewCustomer {
                            kind,
                            name: row.name.clone(),
                            company_id,
                            title: row.title.clone(),
                            owner_id: None,
                            team_id: None,
                            status: CustomerStatus::New,
                            class: CustomerClass::Ordinary,
                            vip: false,
                            tags: row.tags.clone(),
                            city: row.city.clone(),
                            birthday: row.birthday,
                            note: row.note.clone(),
                            custom: row.custom.clone(),
                            contact_points,
                            allow_duplicate: false,
                        },
                    )
                    .await?;
                    created += 1;
                    out.push(ImportResult::Created { customer_id: c.id });
                }
            }
        }
        emit(
            &mut tx,
            self.backend,
            ctx,
            "customers.imported",
            "customer",
            0,
            &json!({"created": created, "matched": matched, "updated": updated,
                    "policy": policy, "at": now_micros()}),
        )
        .await?;
        tx.commit().await.map_err(db_err)?;
        Ok(out)
    }
}

/// What a row under `policy` would make of a customer's fields (contact points apart).
pub(crate) struct Plan {
    title: Option<String>,
    city: Option<String>,
    note: Option<String>,
    birthday: Option<chrono::NaiveDate>,
    tags: Vec<String>,
    custom: Map<String, serde_json::Value>,
    /// `field: [before, after]` for each field that changes (`custom.<key>` for a custom
    /// field).
    changes: Map<String, serde_json::Value>,
}

/// Custom values of a row into a customer's (or an earlier row's) under `policy`: `overwrite`
/// replaces, otherwise only a value that is missing or null is filled (`skip` is the caller's).
pub(crate) fn fill_custom(
    into: &mut Map<String, serde_json::Value>,
    from: &Map<String, serde_json::Value>,
    policy: ImportPolicy,
) {
    for (k, v) in from {
        let empty = into.get(k).is_none_or(serde_json::Value::is_null);
        if policy == ImportPolicy::Overwrite || empty {
            into.insert(k.clone(), v.clone());
        }
    }
}

/// Fill (or overwrite) a customer's fields from a row: the plan, computed without the database.
pub(crate) fn plan(old: &Customer, row: &ImportCustomer, policy: ImportPolicy) -> Plan {
    let pick = |current: &Option<String>, new: &Option<String>| -> Option<String> {
        match (policy, current, new) {
            (_, _, None) => current.clone(),
            (ImportPolicy::Overwrite, _, Some(n)) => Some(n.clone()),
            (_, None, Some(n)) => Some(n.clone()),
            (_, Some(c), Some(_)) => Some(c.clone()),
        }
    };
    let title = pick(&old.title, &row.title);
    let city = pick(&old.city, &row.city);
    let note = pick(&old.note, &row.note);
    let birthday = match (policy, old.birthday, row.birthday) {
        (_, b, None) => b,
        (ImportPolicy::Overwrite, _, Some(n)) => Some(n),
        (_, None, Some(n)) => Some(n),
        (_, Some(b), Some(_)) => Some(b),
    };
    let mut tags = old.tags.clone();
    for t in &row.tags {
        if !tags.contains(t) && tags.len() < 50 {
            tags.push(t.clone());
        }
    }
    let mut custom = old.custom.clone();
    fill_custom(&mut custom, &row.custom, policy);
    let mut changes = Map::new();
    for (k, a, b) in [
        ("title", json!(old.title), json!(title)),
        ("city", json!(old.city), json!(city)),
        ("note", json!(old.note), json!(note)),
        ("birthday", json!(old.birthday), json!(birthday)),
        ("tags", json!(old.tags), json!(tags)),
    ] {
        if a != b {
            changes.insert(k.into(), json!([a, b]));
        }
    }
    for (k, b) in &custom {
        let a = old.custom.get(k).cloned().unwrap_or_default();
        if &a != b {
            changes.insert(format!("custom.{k}"), json!([a, b]));
        }
    }
    Plan {
        title,
        city,
        note,
        birthday,
        tags,
        custom,
        changes,
    }
}

/// Carry out a plan and add the contact points `added` to the customer `old` (the caller
/// checked that nobody else holds them): the changes (`field: [before, after]`, and
/// `contact_points_added`) when something changed, else `None`. With `dry`, nothing is
/// written. The customer in memory takes the new fields and contact points, so that a later
/// row of the same chunk sees them.
pub(crate) async fn carry_out(
    conn: &mut sqlx::AnyConnection,
    backend: crate::Backend,
    ctx: Ctx,
    old: &mut Customer,
    plan: Plan,
    added: &[guanxi_core::contact::ContactValue],
    dry: bool,
) -> Result<Option<Map<String, serde_json::Value>>, StoreError> {
    let Plan {
        title,
        city,
        note,
        birthday,
        tags,
        custom,
        mut changes,
    } = plan;
    if changes.is_empty() && added.is_empty() {
        return Ok(None);
    }
    let id = old.id.get();
    let now = now_micros();
    if !added.is_empty() {
        let shown: Vec<&str> = added.iter().map(|c| c.display.as_str()).collect();
        changes.insert("contact_points_added".into(), json!(shown));
    }
    if dry {
        return Ok(Some(changes));
    }
    for c in added {
        let cp = crate::contacts::insert(
            conn,
            ctx.org,
            id,
            &NewContactPoint {
                value: c.clone(),
                label: None,
                primary: false,
            },
            now,
        )
        .await?;
        old.contact_points.push(cp);
    }
    if changes.keys().any(|k| k != "contact_points_added") {
        sqlx::query(
            "UPDATE customers SET title = $1, city = $2, note = $3, birthday = $4, tags = $5, \
             custom = $6, version = version + 1, updated_at = $7 WHERE org_id = $8 AND id = $9",
        )
        .bind(title.as_deref())
        .bind(city.as_deref())
        .bind(note.as_deref())
        .bind(date_to_str(birthday))
        .bind(to_json(&tags)?)
        .bind(to_json(&custom)?)
        .bind(now)
        .bind(ctx.org.get())
        .bind(id)
        .execute(&mut *conn)
        .await
        .map_err(db_err)?;
        crate::customers::set_tags(conn, ctx.org, id, &old.tags, &tags).await?;
        (
            old.title,
            old.city,
            old.note,
            old.birthday,
            old.tags,
            old.custom,
        ) = (title, city, note, birthday, tags, custom);
    }
    emit(
        conn,
        backend,
        ctx,
        "customer.updated",
        "customer",
        id,
        &json!({"changes": changes, "via": "import"}),
    )
    .await?;
    Ok(Some(changes))
}

/// Fill (or overwrite) a matched customer's fields from a row and add the contact points it
/// lacks that nobody else holds, one customer at a time (small imports; the chunks of an
/// import job plan a whole chunk at once). The changes when something changed.
pub(crate) async fn apply(
    conn: &mut sqlx::AnyConnection,
    backend: crate::Backend,
    ctx: Ctx,
    id: guanxi_core::CustomerId,
    row: &ImportCustomer,
    policy: ImportPolicy,
) -> Result<Option<Map<String, serde_json::Value>>, StoreError> {
    let mut old = load(conn, ctx.org, Reach::Org, id, false).await?;
    let p = plan(&old, row, policy);
    let mut added = Vec::new();
    for c in &row.contacts {
        let has = old.contact_points.iter().any(|cp| cp.key == c.key)
            || added
                .iter()
                .any(|a: &guanxi_core::contact::ContactValue| a.key == c.key);
        if !has
            && crate::contacts::holder(conn, ctx.org, c, None)
                .await?
                .is_none()
        {
            added.push(c.clone());
        }
    }
    carry_out(conn, backend, ctx, &mut old, p, &added, false).await
}

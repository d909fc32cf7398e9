//! Bulk loading: many customers, contact points and interactions per transaction, with
//! multi-row inserts. Used by `guanxi demo`, the benchmark and (later) imports.

use crate::codec::{date_to_str, now_micros, time_to_micros, to_json};
use crate::contacts::rkey_of;
use crate::customers::Arg;
use crate::events::emit;
use crate::tokens::name_tokens;
use crate::{db_err, Backend, SqlStore};
use guanxi_core::customer::CustomerKind;
use guanxi_core::{CustomerId, UserId};
use guanxi_store::{BulkBatch, BulkStats, Ctx, StoreError};
use serde_json::json;
use sqlx::AnyConnection;

/// Most customers one batch may carry.
pub const BATCH_MAX: usize = 20_000;
/// Parameters per statement. SQLite allows 32,766, but large statements cost more to parse
/// than they save; a few thousand is the sweet spot on both backends.
const PARAMS_PER_STATEMENT: usize = 4_000;

/// Rows per statement on PostgreSQL, where the rows travel as one JSON document (a chunk of
/// customers is about 3 MB).
const ROWS_PER_DOCUMENT: usize = 10_000;

/// Insert `rows` (each with the same number of values) into `head` (`INSERT INTO t (a, b)`),
/// several rows per statement; returns the generated ids in row order when `returning`.
pub(crate) async fn insert_rows(
    conn: &mut AnyConnection,
    backend: Backend,
    head: &str,
    rows: &[Vec<Arg>],
    returning: bool,
) -> Result<Vec<i64>, StoreError> {
    let Some(width) = rows.first().map(Vec::len) else {
        return Ok(Vec::new());
    };
    if backend == Backend::Postgres && rows.iter().flatten().all(fits_json) {
        return insert_json(conn, head, rows, width, returning).await;
    }
    let per = (PARAMS_PER_STATEMENT / width.max(1)).max(1);
    let mut ids = Vec::with_capacity(if returning { rows.len() } else { 0 });
    for chunk in rows.chunks(per) {
        let mut sql = String::with_capacity(head.len() + chunk.len() * width * 5);
        sql.push_str(head);
        sql.push_str(" VALUES ");
        let mut n = 0;
        for (i, row) in chunk.iter().enumerate() {
            if i > 0 {
                sql.push(',');
            }
            sql.push('(');
            for j in 0..row.len() {
                if j > 0 {
                    sql.push(',');
                }
                // SQLite resolves `$n` names by a linear search per parameter (quadratic in
                // a multi-row insert), so it gets anonymous `?`, which bind in order.
                n += 1;
                if backend == Backend::Sqlite {
                    sql.push('?');
                } else {
                    sql.push('$');
                    sql.push_str(&n.to_string());
                }
            }
            sql.push(')');
        }
        if returning {
            sql.push_str(" RETURNING id");
        }
        let mut q = sqlx::query(&sql);
        for row in chunk {
            for a in row {
                q = match a {
                    Arg::I(v) => q.bind(*v),
                    Arg::S(v) => q.bind(v.clone()),
                    Arg::B(v) => q.bind(*v),
                    Arg::N => q.bind(None::<i64>),
                    Arg::NS => q.bind(None::<String>),
                    Arg::F(v) => q.bind(*v),
                    Arg::NF => q.bind(None::<f64>),
                };
            }
        }
        if returning {
            let rows = q.fetch_all(&mut *conn).await.map_err(db_err)?;
            for r in rows {
                ids.push(crate::codec::i64_of(&r, "id")?);
            }
        } else {
            q.execute(&mut *conn).await.map_err(db_err)?;
        }
    }
    Ok(ids)
}

/// Whether a value survives the trip through JSON (a NaN or an infinity does not).
fn fits_json(a: &Arg) -> bool {
    match a {
        Arg::F(v) => v.is_finite(),
        _ => true,
    }
}

/// The PostgreSQL type of column `j`: its first value that is not NULL says, else its NULLs.
fn pg_type(rows: &[Vec<Arg>], j: usize) -> &'static str {
    let mut null = "bigint";
    for row in rows {
        match row.get(j) {
            Some(Arg::I(_)) => return "bigint",
            Some(Arg::S(_)) => return "text",
            Some(Arg::B(_)) => return "boolean",
            Some(Arg::F(_)) => return "double precision",
            Some(Arg::N) | None => null = "bigint",
            Some(Arg::NS) => null = "text",
            Some(Arg::NF) => null = "double precision",
        }
    }
    null
}

/// PostgreSQL: the rows as one JSON document per statement (`json_to_recordset`), one
/// parameter however many rows. Thousands of parameters per statement cost PostgreSQL more
/// to parse, bind and plan (every statement of an import chunk is planned for its
/// parameters) than the inserts themselves: a chunk of 10,000 customers took half the time
/// (PERFORMANCE.md, issue 6). Rows keep their order, so `RETURNING id` lists the ids in row
/// order, as a multi-row `VALUES` does.
async fn insert_json(
    conn: &mut AnyConnection,
    head: &str,
    rows: &[Vec<Arg>],
    width: usize,
    returning: bool,
) -> Result<Vec<i64>, StoreError> {
    let keys: Vec<String> = (0..width).map(|j| format!("c{j}")).collect();
    let mut sql = String::with_capacity(head.len() + width * 24 + 64);
    sql.push_str(head);
    sql.push_str(" SELECT ");
    sql.push_str(&keys.join(", "));
    sql.push_str(" FROM json_to_recordset($1::json) AS x(");
    for (j, k) in keys.iter().enumerate() {
        if j > 0 {
            sql.push_str(", ");
        }
        sql.push_str(k);
        sql.push(' ');
        sql.push_str(pg_type(rows, j));
    }
    sql.push(')');
    if returning {
        sql.push_str(" RETURNING id");
    }
    let mut ids = Vec::with_capacity(if returning { rows.len() } else { 0 });
    for chunk in rows.chunks(ROWS_PER_DOCUMENT) {
        let doc = serde_json::to_string(&Document {
            keys: &keys,
            rows: chunk,
        })
        .map_err(|e| StoreError::Internal(format!("rows as JSON: {e}")))?;
        let q = sqlx::query(&sql).bind(doc);
        if returning {
            for r in q.fetch_all(&mut *conn).await.map_err(db_err)? {
                ids.push(crate::codec::i64_of(&r, "id")?);
            }
        } else {
            q.execute(&mut *conn).await.map_err(db_err)?;
        }
    }
    Ok(ids)
}

/// Rows as a JSON array of objects keyed `c0`, `c1`, … (serialized without copying them).
struct Document<'a> {
    keys: &'a [String],
    rows: &'a [Vec<Arg>],
}

impl serde::Serialize for Document<'_> {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        use serde::ser::SerializeSeq;
        let mut seq = s.serialize_seq(Some(self.rows.len()))?;
        for row in self.rows {
            seq.serialize_element(&RowObject {
                keys: self.keys,
                row,
            })?;
        }
        seq.end()
    }
}

struct RowObject<'a> {
    keys: &'a [String],
    row: &'a [Arg],
}

impl serde::Serialize for RowObject<'_> {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        use serde::ser::SerializeMap;
        let mut map = s.serialize_map(Some(self.row.len()))?;
        for (k, a) in self.keys.iter().zip(self.row) {
            match a {
                Arg::I(v) => map.serialize_entry(k, v)?,
                Arg::S(v) => map.serialize_entry(k, v)?,
                Arg::B(v) => map.serialize_entry(k, v)?,
                Arg::F(v) => map.serialize_entry(k, v)?,
                Arg::N | Arg::NS | Arg::NF => map.serialize_entry(k, &())?,
            }
        }
        map.end()
    }
}

pub(crate) fn opt_s(v: &Option<String>) -> Arg {
    match v {
        Some(s) => Arg::S(s.clone()),
        None => Arg::NS,
    }
}

impl SqlStore {
    pub(crate) async fn bulk_load_impl(
        &self,
        ctx: Ctx,
        batch: BulkBatch,
    ) -> Result<BulkStats, StoreError> {
        if batch.customers.len() > BATCH_MAX {
            return Err(StoreError::invalid(
                "customers",
                guanxi_core::Reason::TooMany { max: BATCH_MAX },
            ));
        }
        let org = ctx.org.get();
        let mut tx = self.begin_write().await?;
        let now = now_micros();
        let head = "INSERT INTO customers (org_id, kind, name, company_id, title, owner_id, team_id, status, class, \
                    vip, tags, city, birthday, note, custom, version, created_at, updated_at)";
        let row_of = |c: &guanxi_store::BulkCustomer,
                      company: Option<i64>|
         -> Result<Vec<Arg>, StoreError> {
            let created = time_to_micros(c.created_at);
            Ok(vec![
                Arg::I(org),
                Arg::S(c.kind.as_str().into()),
                Arg::S(c.name.clone()),
                company.map_or(Arg::N, Arg::I),
                opt_s(&c.title),
                c.owner_id.map(UserId::get).map_or(Arg::N, Arg::I),
                c.team_id
                    .map(guanxi_core::TeamId::get)
                    .map_or(Arg::N, Arg::I),
                Arg::S(c.status.as_str().into()),
                Arg::S(c.class.as_str().into()),
                Arg::B(c.vip),
                Arg::S(to_json(&c.tags)?),
                opt_s(&c.city),
                opt_s(&date_to_str(c.birthday)),
                Arg::NS,
                Arg::S("{}".into()),
                Arg::I(1),
                Arg::I(created),
                Arg::I(created),
            ])
        };
        // Companies first, so that their persons can refer to them.
        let mut ids: Vec<i64> = vec![0; batch.customers.len()];
        let (companies, persons): (Vec<usize>, Vec<usize>) = (0..batch.customers.len())
            .partition(|i| batch.customers[*i].kind == CustomerKind::Company);
        for group in [&companies, &persons] {
            let mut rows = Vec::with_capacity(group.len());
            for &i in group {
                let c = &batch.customers[i];
                let company = match c.company_index {
                    Some(ci) if ci < ids.len() && ids[ci] != 0 => Some(ids[ci]),
                    Some(_) => {
                        return Err(StoreError::invalid(
                            format!("customers[{i}].company_index"),
                            guanxi_core::Reason::NotFound,
                        ))
                    }
                    None => None,
                };
                rows.push(row_of(c, company)?);
            }
            let new_ids = insert_rows(&mut tx, self.backend, head, &rows, true).await?;
            for (&i, id) in group.iter().zip(new_ids) {
                ids[i] = id;
            }
        }
        let mut tags = Vec::new();
        let mut tokens = Vec::new();
        let mut cps = Vec::new();
        for (i, c) in batch.customers.iter().enumerate() {
            let id = ids[i];
            for t in &c.tags {
                tags.push(vec![Arg::I(org), Arg::S(t.clone()), Arg::I(id)]);
            }
            for t in name_tokens(&c.name) {
                tokens.push(vec![Arg::I(org), Arg::S(t), Arg::I(id)]);
            }
            for cp in &c.contact_points {
                cps.push(vec![
                    Arg::I(org),
                    Arg::I(id),
                    Arg::S(cp.value.kind.as_str().into()),
                    Arg::S(cp.value.display.clone()),
                    Arg::S(cp.value.key.clone()),
                    opt_s(&rkey_of(&cp.value)),
                    opt_s(&cp.label),
                    Arg::B(cp.primary),
                    Arg::I(time_to_micros(c.created_at)),
                ]);
            }
        }
        insert_rows(
            &mut tx,
            self.backend,
            "INSERT INTO customer_tags (org_id, tag, customer_id)",
            &tags,
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
            "INSERT INTO contact_points (org_id, customer_id, kind, value, key, rkey, label, is_primary, created_at)",
            &cps,
            false,
        )
        .await?;
        let mut its = Vec::with_capacity(batch.interactions.len());
        for it in &batch.interactions {
            let Some(&cid) = ids.get(it.customer_index) else {
                return Err(StoreError::invalid(
                    "interactions.customer_index",
                    guanxi_core::Reason::NotFound,
                ));
            };
            let at = time_to_micros(it.occurred_at);
            its.push(vec![
                Arg::I(org),
                Arg::I(cid),
                Arg::S(it.channel.as_str().into()),
                Arg::S(it.direction.as_str().into()),
                Arg::I(at),
                it.staff_id.map(UserId::get).map_or(Arg::N, Arg::I),
                opt_s(&it.subject),
                Arg::S(it.body.clone()),
                it.duration_seconds.map_or(Arg::N, Arg::I),
                opt_s(&it.outcome),
                Arg::S("[]".into()),
                Arg::I(1),
                Arg::I(at),
                Arg::I(at),
            ]);
        }
        insert_rows(
            &mut tx,
            self.backend,
            "INSERT INTO interactions (org_id, customer_id, channel, direction, occurred_at, staff_id, \
             subject, body, duration_seconds, outcome, links, version, created_at, updated_at)",
            &its,
            false,
        )
        .await?;
        // Orders, then their lines (the order ids come back in the order of the rows).
        let mut order_rows = Vec::with_capacity(batch.orders.len());
        for (i, o) in batch.orders.iter().enumerate() {
            let Some(&cid) = ids.get(o.customer_index) else {
                return Err(StoreError::invalid(
                    format!("orders[{i}].customer_index"),
                    guanxi_core::Reason::NotFound,
                ));
            };
            let mut total: i64 = 0;
            for (j, l) in o.lines.iter().enumerate() {
                let t = guanxi_core::order::line_total(l.quantity, l.unit_price, l.discount)
                    .map_err(|(f, r)| {
                        StoreError::invalid(format!("orders[{i}].lines[{j}].{f}"), r)
                    })?;
                total = total.checked_add(t).ok_or_else(|| {
                    StoreError::invalid(format!("orders[{i}]"), guanxi_core::Reason::MoneyOverflow)
                })?;
            }
            let at = time_to_micros(o.placed_at);
            order_rows.push(vec![
                Arg::I(org),
                Arg::I(cid),
                Arg::S(o.status.as_str().into()),
                Arg::S(o.currency.as_str().into()),
                Arg::I(total),
                Arg::I(at),
                o.paid_at.map(time_to_micros).map_or(Arg::N, Arg::I),
                o.owner_id.map(UserId::get).map_or(Arg::N, Arg::I),
                Arg::I(1),
                Arg::I(at),
                Arg::I(at),
            ]);
        }
        let order_ids = insert_rows(
            &mut tx,
            self.backend,
            "INSERT INTO orders (org_id, customer_id, status, currency, total, placed_at, paid_at, \
             owner_id, version, created_at, updated_at)",
            &order_rows,
            true,
        )
        .await?;
        let mut line_rows = Vec::new();
        for (o, oid) in batch.orders.iter().zip(&order_ids) {
            for (pos, l) in o.lines.iter().enumerate() {
                let t = l.quantity * l.unit_price - l.discount;
                line_rows.push(vec![
                    Arg::I(org),
                    Arg::I(*oid),
                    Arg::I(pos as i64),
                    l.product_id
                        .map(guanxi_core::ProductId::get)
                        .map_or(Arg::N, Arg::I),
                    Arg::S(l.description.clone()),
                    Arg::I(l.quantity),
                    Arg::I(l.unit_price),
                    Arg::I(l.discount),
                    Arg::I(t),
                ]);
            }
        }
        insert_rows(
            &mut tx,
            self.backend,
            "INSERT INTO order_lines (org_id, order_id, position, product_id, description, quantity, \
             unit_price, discount, line_total)",
            &line_rows,
            false,
        )
        .await?;
        let stats = BulkStats {
            customers: ids.len() as u64,
            contact_points: cps.len() as u64,
            interactions: its.len() as u64,
            orders: order_ids.len() as u64,
            first_customer_id: ids.iter().min().copied().map(CustomerId),
        };
        emit(
            &mut tx,
            self.backend,
            ctx,
            "customers.bulk_loaded",
            "customer",
            stats.first_customer_id.map_or(0, CustomerId::get),
            &json!({"customers": stats.customers, "contact_points": stats.contact_points,
                    "interactions": stats.interactions, "orders": stats.orders, "first_id": ids.iter().min(),
                    "last_id": ids.iter().max(), "at": now}),
        )
        .await?;
        tx.commit().await.map_err(db_err)?;
        Ok(stats)
    }
}

impl SqlStore {
    pub(crate) async fn bulk_opportunities_impl(
        &self,
        ctx: Ctx,
        pipeline: guanxi_core::PipelineId,
        rows: Vec<guanxi_store::BulkOpportunity>,
    ) -> Result<u64, StoreError> {
        let org = ctx.org.get();
        let mut tx = self.begin_write().await?;
        let stages: Vec<i64> = sqlx::query_scalar(
            "SELECT id FROM pipeline_stages WHERE org_id = $1 AND pipeline_id = $2",
        )
        .bind(org)
        .bind(pipeline.get())
        .fetch_all(&mut *tx)
        .await
        .map_err(db_err)?;
        let mut customers = std::collections::HashSet::new();
        let mut out = Vec::with_capacity(rows.len());
        for (i, o) in rows.iter().enumerate() {
            if !stages.contains(&o.stage_id.get()) {
                return Err(StoreError::invalid(
                    format!("opportunities[{i}].stage_id"),
                    guanxi_core::Reason::NotFound,
                ));
            }
            if o.amount < 0 {
                return Err(StoreError::invalid(
                    format!("opportunities[{i}].amount"),
                    guanxi_core::Reason::OutOfRange {
                        min: 0,
                        max: i64::MAX,
                    },
                ));
            }
            customers.insert(o.customer_id.get());
            let created = time_to_micros(o.created_at);
            out.push(vec![
                Arg::I(org),
                Arg::I(o.customer_id.get()),
                Arg::I(pipeline.get()),
                Arg::I(o.stage_id.get()),
                Arg::S(o.name.clone()),
                Arg::I(o.amount),
                Arg::S(o.currency.as_str().into()),
                date_to_str(o.expected_close).map_or(Arg::NS, Arg::S),
                o.owner_id.map(UserId::get).map_or(Arg::N, Arg::I),
                Arg::S(o.status.as_str().into()),
                o.close_reason.clone().map_or(Arg::NS, Arg::S),
                o.closed_at.map(time_to_micros).map_or(Arg::N, Arg::I),
                Arg::I(o.closed_at.map(time_to_micros).unwrap_or(created)),
                Arg::I(1),
                Arg::I(created),
                Arg::I(created),
            ]);
        }
        // Every customer must be a live one of the organisation.
        let ids: Vec<i64> = customers.into_iter().collect();
        for chunk in ids.chunks(500) {
            let list = chunk
                .iter()
                .map(i64::to_string)
                .collect::<Vec<_>>()
                .join(",");
            let found: i64 = sqlx::query_scalar(&format!(
                "SELECT COUNT(*) FROM customers WHERE org_id = $1 AND deleted_at IS NULL AND id IN ({list})"
            ))
            .bind(org)
            .fetch_one(&mut *tx)
            .await
            .map_err(db_err)?;
            if found != chunk.len() as i64 {
                return Err(StoreError::invalid(
                    "opportunities.customer_id",
                    guanxi_core::Reason::NotFound,
                ));
            }
        }
        let opp_ids = insert_rows(
            &mut tx,
            self.backend,
            "INSERT INTO opportunities (org_id, customer_id, pipeline_id, stage_id, name, amount, \
             currency, expected_close, owner_id, status, close_reason, closed_at, stage_since, version, \
             created_at, updated_at)",
            &out,
            true,
        )
        .await?;
        // The pipeline's running summary, one update per group.
        let mut groups: std::collections::HashMap<_, (i64, i64, i64)> =
            std::collections::HashMap::new();
        for o in &rows {
            let cycle = o
                .closed_at
                .map(|c| time_to_micros(c) - time_to_micros(o.created_at))
                .unwrap_or(0);
            let e = groups
                .entry((
                    o.stage_id,
                    o.status,
                    o.expected_close.map(|d| d.format("%Y-%m").to_string()),
                    o.owner_id,
                ))
                .or_insert((0, 0, 0));
            e.0 += 1;
            e.1 = e.1.saturating_add(o.amount);
            e.2 = e.2.saturating_add(cycle);
        }
        for ((stage, status, month, owner), sums) in groups {
            let close = month.and_then(|m| {
                chrono::NaiveDate::parse_from_str(&format!("{m}-01"), "%Y-%m-%d").ok()
            });
            crate::pipeline::summarize(
                &mut tx, ctx.org, pipeline, stage, status, close, owner, sums,
            )
            .await?;
        }
        // The first (and only) move of each: into its stage.
        let moves: Vec<Vec<Arg>> = rows
            .iter()
            .zip(&opp_ids)
            .map(|(o, id)| {
                vec![
                    Arg::I(org),
                    Arg::I(*id),
                    Arg::N,
                    Arg::I(o.stage_id.get()),
                    Arg::N,
                    Arg::I(time_to_micros(o.created_at)),
                ]
            })
            .collect();
        insert_rows(
            &mut tx,
            self.backend,
            "INSERT INTO opportunity_moves (org_id, opportunity_id, from_stage_id, to_stage_id, actor_id, at)",
            &moves,
            false,
        )
        .await?;
        emit(
            &mut tx,
            self.backend,
            ctx,
            "opportunities.bulk_loaded",
            "pipeline",
            pipeline.get(),
            &json!({"opportunities": opp_ids.len(), "first_id": opp_ids.iter().min(),
                    "last_id": opp_ids.iter().max()}),
        )
        .await?;
        tx.commit().await.map_err(db_err)?;
        Ok(opp_ids.len() as u64)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_column_takes_the_type_of_its_first_value_that_is_not_null() {
        let rows = vec![
            vec![Arg::N, Arg::NS, Arg::NF, Arg::I(1)],
            vec![Arg::N, Arg::S("甲".into()), Arg::F(0.5), Arg::N],
        ];
        assert_eq!(pg_type(&rows, 0), "bigint");
        assert_eq!(pg_type(&rows, 1), "text");
        assert_eq!(pg_type(&rows, 2), "double precision");
        assert_eq!(pg_type(&rows, 3), "bigint");
        assert_eq!(pg_type(&[vec![Arg::B(true)]], 0), "boolean");
    }

    #[test]
    fn rows_become_objects_keyed_by_position_with_text_escaped() {
        let keys: Vec<String> = (0..5).map(|j| format!("c{j}")).collect();
        let rows = vec![vec![
            Arg::I(-7),
            Arg::S("王\"小\\明\n\u{1f}".into()),
            Arg::B(false),
            Arg::NS,
            Arg::F(1.25),
        ]];
        let doc = serde_json::to_string(&Document {
            keys: &keys,
            rows: &rows,
        })
        .expect("serializes");
        let back: serde_json::Value = serde_json::from_str(&doc).expect("valid JSON");
        assert_eq!(
            back,
            json!([{"c0": -7, "c1": "王\"小\\明\n\u{1f}", "c2": false, "c3": null, "c4": 1.25}])
        );
    }

    #[test]
    fn values_json_cannot_carry_go_the_other_way() {
        assert!(fits_json(&Arg::F(1.0)));
        assert!(!fits_json(&Arg::F(f64::NAN)));
        assert!(!fits_json(&Arg::F(f64::INFINITY)));
        assert!(fits_json(&Arg::NF));
    }
}

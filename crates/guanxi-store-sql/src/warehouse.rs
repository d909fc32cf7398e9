//! The warehouse's extract: pages of rows changed within a window of `updated_at`, read table by
//! table in id order across all organisations, for `guanxi warehouse load`. Times of orders and
//! interactions are given in their organisation's zone, so that the warehouse dates a fact by
//! the local day. No personal data leaves: customers go by id (see `guanxi_store::warehouse`).

use crate::codec::{i64_of, micros_to_time, opt_i64, opt_str, str_of};
use crate::{db_err, Row, SqlStore};
use chrono::{DateTime, FixedOffset, Offset, TimeZone};
use guanxi_store::warehouse::{
    CustomerRow, ExtractCursor, ExtractPage, ExtractTable, ExtractWindow, InteractionRow,
    LoadBatch, OrderLineRow, OrderRow, OwnerRow, ProductRow,
};
use guanxi_store::StoreError;
use std::collections::HashMap;

/// Most rows in one page, whatever the caller asks.
const LIMIT_MAX: u32 = 100_000;

/// The rows of table `t` changed within the window ($1, $2], after id $3, a page of $4.
fn changed_in(t: &str) -> String {
    format!("{t}.updated_at > $1 AND {t}.updated_at <= $2 AND {t}.id > $3 ORDER BY {t}.id LIMIT $4")
}

impl SqlStore {
    pub(crate) async fn warehouse_extract_impl(
        &self,
        window: ExtractWindow,
        cursor: ExtractCursor,
        limit: u32,
    ) -> Result<ExtractPage, StoreError> {
        let limit = i64::from(limit.clamp(1, LIMIT_MAX));
        let mut conn = self.pool.acquire().await.map_err(db_err)?;
        let zones: HashMap<i64, chrono_tz::Tz> =
            sqlx::query("SELECT id, time_zone FROM organisations")
                .fetch_all(&mut *conn)
                .await
                .map_err(db_err)?
                .iter()
                .map(|r| {
                    let tz = str_of(r, "time_zone")?
                        .parse()
                        .unwrap_or(chrono_tz::Asia::Shanghai);
                    Ok((i64_of(r, "id")?, tz))
                })
                .collect::<Result<_, StoreError>>()?;
        let local = |org: i64, us: i64| -> DateTime<FixedOffset> {
            let utc = micros_to_time(us);
            let tz = zones
                .get(&org)
                .copied()
                .unwrap_or(chrono_tz::Asia::Shanghai);
            let offset = tz.offset_from_utc_datetime(&utc.naive_utc()).fix();
            utc.with_timezone(&offset)
        };
        // The first window takes a customer's state from its creation; later ones from the
        // change that brought it into the window.
        let first = window.after == i64::MIN;
        let sql = match cursor.table {
            ExtractTable::Owners => format!(
                "SELECT u.id, u.org_id, u.name, t.name AS team FROM users u \
                 LEFT JOIN teams t ON t.id = u.team_id WHERE {}",
                changed_in("u")
            ),
            ExtractTable::Products => format!(
                "SELECT id, org_id, sku, name, unit_price, currency FROM products p WHERE {}",
                changed_in("p")
            ),
            ExtractTable::Customers => format!(
                "SELECT id, org_id, kind, status, class, owner_id, city, created_at, updated_at, \
                 deleted_at FROM customers c WHERE {}",
                changed_in("c")
            ),
            ExtractTable::Orders => format!(
                "SELECT o.id, o.org_id, o.version, o.customer_id, o.placed_at, o.updated_at, \
                 o.status, o.owner_id, o.total, o.currency, c.city FROM orders o \
                 LEFT JOIN customers c ON c.id = o.customer_id WHERE {}",
                changed_in("o")
            ),
            ExtractTable::Interactions => format!(
                "SELECT id, org_id, customer_id, channel, direction, occurred_at, staff_id \
                 FROM interactions i WHERE {}",
                changed_in("i")
            ),
        };
        let rows: Vec<Row> = sqlx::query(&sql)
            .bind(window.after)
            .bind(window.until)
            .bind(cursor.after_id)
            .bind(limit)
            .fetch_all(&mut *conn)
            .await
            .map_err(db_err)?;
        let mut batch = LoadBatch::default();
        match cursor.table {
            ExtractTable::Owners => {
                for r in &rows {
                    batch.owners.push(OwnerRow {
                        org_id: i64_of(r, "org_id")?,
                        owner_id: i64_of(r, "id")?,
                        name: str_of(r, "name")?,
                        team: opt_str(r, "team")?,
                    });
                }
            }
            ExtractTable::Products => {
                for r in &rows {
                    batch.products.push(ProductRow {
                        org_id: i64_of(r, "org_id")?,
                        product_id: i64_of(r, "id")?,
                        sku: str_of(r, "sku")?,
                        name: str_of(r, "name")?,
                        category: None,
                        unit_price_fen: i64_of(r, "unit_price")?,
                        currency: str_of(r, "currency")?,
                    });
                }
            }
            ExtractTable::Customers => {
                for r in &rows {
                    let deleted = opt_i64(r, "deleted_at")?.is_some();
                    let changed = i64_of(r, if first { "created_at" } else { "updated_at" })?;
                    batch.customers.push(CustomerRow {
                        org_id: i64_of(r, "org_id")?,
                        customer_id: i64_of(r, "id")?,
                        name: String::new(),
                        kind: str_of(r, "kind")?,
                        class: Some(str_of(r, "class")?),
                        status: Some(if deleted {
                            "deleted".to_owned()
                        } else {
                            str_of(r, "status")?
                        }),
                        owner_id: opt_i64(r, "owner_id")?,
                        region: opt_str(r, "city")?,
                        changed_at: micros_to_time(changed),
                    });
                }
            }
            ExtractTable::Orders => {
                let mut lines = self.extract_lines(&mut conn, window, &rows).await?;
                for r in &rows {
                    let org = i64_of(r, "org_id")?;
                    let id = i64_of(r, "id")?;
                    batch.orders.push(OrderRow {
                        org_id: org,
                        order_id: id,
                        version: i64_of(r, "version")?,
                        customer_id: i64_of(r, "customer_id")?,
                        ordered_at: local(org, i64_of(r, "placed_at")?),
                        updated_at: micros_to_time(i64_of(r, "updated_at")?),
                        status: str_of(r, "status")?,
                        channel: None,
                        owner_id: opt_i64(r, "owner_id")?,
                        region: opt_str(r, "city")?,
                        total_fen: i64_of(r, "total")?,
                        currency: str_of(r, "currency")?,
                        lines: lines.remove(&id).unwrap_or_default(),
                    });
                }
            }
            ExtractTable::Interactions => {
                for r in &rows {
                    let org = i64_of(r, "org_id")?;
                    let channel = str_of(r, "channel")?;
                    batch.interactions.push(InteractionRow {
                        org_id: org,
                        interaction_id: i64_of(r, "id")?,
                        customer_id: i64_of(r, "customer_id")?,
                        occurred_at: local(org, i64_of(r, "occurred_at")?),
                        kind: channel.clone(),
                        channel: Some(channel),
                        direction: Some(str_of(r, "direction")?),
                        owner_id: opt_i64(r, "staff_id")?,
                    });
                }
            }
        }
        let next = match rows.last() {
            Some(last) if rows.len() as i64 == limit => Some(ExtractCursor {
                table: cursor.table,
                after_id: i64_of(last, "id")?,
            }),
            _ => cursor
                .table
                .next()
                .map(|table| ExtractCursor { table, after_id: 0 }),
        };
        Ok(ExtractPage { rows: batch, next })
    }

    /// The lines of a page of orders, by order id.
    async fn extract_lines(
        &self,
        conn: &mut sqlx::pool::PoolConnection<sqlx::Any>,
        window: ExtractWindow,
        orders: &[Row],
    ) -> Result<HashMap<i64, Vec<OrderLineRow>>, StoreError> {
        let (Some(first), Some(last)) = (orders.first(), orders.last()) else {
            return Ok(HashMap::new());
        };
        let (lo, hi) = (i64_of(first, "id")?, i64_of(last, "id")?);
        let rows = sqlx::query(
            "SELECT l.order_id, l.position, l.product_id, l.description, l.quantity, \
             l.unit_price, l.discount, l.line_total FROM order_lines l \
             WHERE l.order_id IN (SELECT o.id FROM orders o WHERE o.id >= $1 AND o.id <= $2 \
             AND o.updated_at > $3 AND o.updated_at <= $4) ORDER BY l.order_id, l.position",
        )
        .bind(lo)
        .bind(hi)
        .bind(window.after)
        .bind(window.until)
        .fetch_all(&mut **conn)
        .await
        .map_err(db_err)?;
        let mut out: HashMap<i64, Vec<OrderLineRow>> = HashMap::new();
        for r in &rows {
            let order = i64_of(r, "order_id")?;
            out.entry(order).or_default().push(OrderLineRow {
                position: i32::try_from(i64_of(r, "position")?).unwrap_or(i32::MAX),
                product_id: opt_i64(r, "product_id")?,
                description: str_of(r, "description")?,
                quantity: i64_of(r, "quantity")?,
                unit_price_fen: i64_of(r, "unit_price")?,
                discount_fen: i64_of(r, "discount")?,
                line_total_fen: i64_of(r, "line_total")?,
            });
        }
        Ok(out)
    }
}

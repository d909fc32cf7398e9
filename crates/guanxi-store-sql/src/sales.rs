//! Sales: the product catalogue and orders with their lines.

use crate::codec::{
    bool_of, enum_of, i64_of, now_micros, opt_i64, opt_str, opt_time, str_of, time_of,
    time_to_micros,
};
use crate::customers::within_reach;
use crate::events::emit;
use crate::{conflict_on, db_err, SqlStore};
use guanxi_core::error::Errors;
use guanxi_core::order::{line_total, OrderStatus, LINES_MAX};
use guanxi_core::{Currency, CustomerId, OrderId, ProductId, Reason, UserId};
use guanxi_store::{
    Ctx, NewOrder, NewProduct, Order, OrderLine, Product, ProductPatch, StoreError,
};
use serde_json::json;
use sqlx::AnyConnection;

const PRODUCT_COLS: &str = "id, sku, name, unit_price, currency, active, created_at, updated_at";
const ORDER_COLS: &str =
    "id, customer_id, opportunity_id, external_id, status, currency, total, placed_at, \
    paid_at, owner_id, note, version, created_at, updated_at";

fn currency_of(r: &crate::Row) -> Result<Currency, StoreError> {
    Currency::parse(&str_of(r, "currency")?)
        .map_err(|_| StoreError::Internal("bad currency in a row".into()))
}

fn product_from(r: &crate::Row) -> Result<Product, StoreError> {
    Ok(Product {
        id: ProductId(i64_of(r, "id")?),
        sku: str_of(r, "sku")?,
        name: str_of(r, "name")?,
        unit_price: i64_of(r, "unit_price")?,
        currency: currency_of(r)?,
        active: bool_of(r, "active")?,
        created_at: time_of(r, "created_at")?,
        updated_at: time_of(r, "updated_at")?,
    })
}

fn order_from(r: &crate::Row) -> Result<Order, StoreError> {
    Ok(Order {
        id: OrderId(i64_of(r, "id")?),
        customer_id: CustomerId(i64_of(r, "customer_id")?),
        opportunity_id: opt_i64(r, "opportunity_id")?.map(guanxi_core::OpportunityId),
        external_id: opt_str(r, "external_id")?,
        status: enum_of(r, "status", OrderStatus::parse)?,
        currency: currency_of(r)?,
        total: i64_of(r, "total")?,
        placed_at: time_of(r, "placed_at")?,
        paid_at: opt_time(r, "paid_at")?,
        owner_id: opt_i64(r, "owner_id")?.map(UserId),
        note: opt_str(r, "note")?,
        lines: Vec::new(),
        version: i64_of(r, "version")?,
        created_at: time_of(r, "created_at")?,
        updated_at: time_of(r, "updated_at")?,
    })
}

/// One order of the organisation with its lines; `None` when it does not exist.
pub(crate) async fn load_order(
    conn: &mut AnyConnection,
    ctx: Ctx,
    id: OrderId,
) -> Result<Option<Order>, StoreError> {
    let row = sqlx::query(&format!(
        "SELECT {ORDER_COLS} FROM orders WHERE org_id = $1 AND id = $2"
    ))
    .bind(ctx.org.get())
    .bind(id.get())
    .fetch_optional(&mut *conn)
    .await
    .map_err(db_err)?;
    let Some(row) = row else { return Ok(None) };
    let mut order = order_from(&row)?;
    let lines = sqlx::query(
        "SELECT position, product_id, description, quantity, unit_price, discount, line_total \
         FROM order_lines WHERE order_id = $1 ORDER BY position",
    )
    .bind(id.get())
    .fetch_all(&mut *conn)
    .await
    .map_err(db_err)?;
    order.lines = lines
        .iter()
        .map(|r| {
            Ok(OrderLine {
                position: i64_of(r, "position")?,
                product_id: opt_i64(r, "product_id")?.map(ProductId),
                description: str_of(r, "description")?,
                quantity: i64_of(r, "quantity")?,
                unit_price: i64_of(r, "unit_price")?,
                discount: i64_of(r, "discount")?,
                line_total: i64_of(r, "line_total")?,
            })
        })
        .collect::<Result<_, StoreError>>()?;
    Ok(Some(order))
}

/// An order within the request's reach (its customer's), or not found.
async fn reached_order(
    conn: &mut AnyConnection,
    ctx: Ctx,
    id: OrderId,
) -> Result<Order, StoreError> {
    let not_found = || StoreError::NotFound { entity: "order" };
    let order = load_order(conn, ctx, id).await?.ok_or_else(not_found)?;
    within_reach(conn, ctx, order.customer_id, true)
        .await
        .map_err(|_| not_found())?;
    Ok(order)
}

pub(crate) async fn by_external_id(
    conn: &mut AnyConnection,
    ctx: Ctx,
    external: &str,
) -> Result<Option<OrderId>, StoreError> {
    let id: Option<i64> =
        sqlx::query_scalar("SELECT id FROM orders WHERE org_id = $1 AND external_id = $2")
            .bind(ctx.org.get())
            .bind(external)
            .fetch_optional(&mut *conn)
            .await
            .map_err(db_err)?;
    Ok(id.map(OrderId))
}

impl SqlStore {
    pub(crate) async fn create_product_impl(
        &self,
        ctx: Ctx,
        new: NewProduct,
    ) -> Result<Product, StoreError> {
        let mut tx = self.begin_write().await?;
        let now = now_micros();
        let row = sqlx::query(&format!(
            "INSERT INTO products (org_id, sku, name, unit_price, currency, active, created_at, updated_at) \
             VALUES ($1, $2, $3, $4, $5, $6, $7, $7) RETURNING {PRODUCT_COLS}"
        ))
        .bind(ctx.org.get())
        .bind(&new.sku)
        .bind(&new.name)
        .bind(new.unit_price)
        .bind(new.currency.as_str())
        .bind(true)
        .bind(now)
        .fetch_one(&mut *tx)
        .await
        .map_err(conflict_on("sku", Reason::Conflict))?;
        let p = product_from(&row)?;
        emit(
            &mut tx,
            self.backend,
            ctx,
            "product.created",
            "product",
            p.id.get(),
            &json!({"sku": p.sku, "name": p.name, "unit_price": p.unit_price, "currency": p.currency.as_str()}),
        )
        .await?;
        tx.commit().await.map_err(db_err)?;
        Ok(p)
    }

    pub(crate) async fn list_products_impl(
        &self,
        ctx: Ctx,
        include_inactive: bool,
    ) -> Result<Vec<Product>, StoreError> {
        let rows = sqlx::query(&format!(
            "SELECT {PRODUCT_COLS} FROM products WHERE org_id = $1 AND (active = $2 OR $3) \
             ORDER BY sku LIMIT 10000"
        ))
        .bind(ctx.org.get())
        .bind(true)
        .bind(include_inactive)
        .fetch_all(&self.pool)
        .await
        .map_err(db_err)?;
        rows.iter().map(product_from).collect()
    }

    pub(crate) async fn update_product_impl(
        &self,
        ctx: Ctx,
        id: ProductId,
        patch: ProductPatch,
    ) -> Result<Product, StoreError> {
        let mut tx = self.begin_write().await?;
        let old = sqlx::query(&format!(
            "SELECT {PRODUCT_COLS} FROM products WHERE org_id = $1 AND id = $2"
        ))
        .bind(ctx.org.get())
        .bind(id.get())
        .fetch_optional(&mut *tx)
        .await
        .map_err(db_err)?
        .ok_or(StoreError::NotFound { entity: "product" })?;
        let old = product_from(&old)?;
        let name = patch.name.unwrap_or_else(|| old.name.clone());
        let price = patch.unit_price.unwrap_or(old.unit_price);
        let active = patch.active.unwrap_or(old.active);
        let row = sqlx::query(&format!(
            "UPDATE products SET name = $1, unit_price = $2, active = $3, updated_at = $4 \
             WHERE org_id = $5 AND id = $6 RETURNING {PRODUCT_COLS}"
        ))
        .bind(&name)
        .bind(price)
        .bind(active)
        .bind(now_micros())
        .bind(ctx.org.get())
        .bind(id.get())
        .fetch_one(&mut *tx)
        .await
        .map_err(db_err)?;
        let p = product_from(&row)?;
        emit(
            &mut tx,
            self.backend,
            ctx,
            "product.updated",
            "product",
            id.get(),
            &json!({"changes": {
                "name": [old.name, p.name], "unit_price": [old.unit_price, p.unit_price],
                "active": [old.active, p.active]}}),
        )
        .await?;
        tx.commit().await.map_err(db_err)?;
        Ok(p)
    }

    pub(crate) async fn create_order_impl(
        &self,
        ctx: Ctx,
        new: NewOrder,
    ) -> Result<(Order, bool), StoreError> {
        if let Some(w) = &self.writer {
            // SQLite: the group-commit writer (see `crate::writer`); it runs one order at a
            // time, so a repeated external id is always seen by the check below.
            return w.create_order(ctx, new).await;
        }
        let external = new.external_id.clone();
        let mut tx = self.begin_write().await?;
        match create_order_in(&mut tx, self.backend, ctx, new).await {
            Ok(out) => {
                tx.commit().await.map_err(db_err)?;
                Ok(out)
            }
            Err(err @ StoreError::Conflict { .. }) => {
                // Posted twice at the same moment: the other request won; answer with its
                // order.
                drop(tx);
                if let Some(ext) = external {
                    let mut conn = self.pool.acquire().await.map_err(db_err)?;
                    if let Some(id) = by_external_id(&mut conn, ctx, &ext).await? {
                        return Ok((reached_order(&mut conn, ctx, id).await?, false));
                    }
                }
                Err(err)
            }
            Err(e) => Err(e),
        }
    }

    pub(crate) async fn get_order_impl(&self, ctx: Ctx, id: OrderId) -> Result<Order, StoreError> {
        let mut conn = self.pool.acquire().await.map_err(db_err)?;
        reached_order(&mut conn, ctx, id).await
    }

    pub(crate) async fn customer_orders_impl(
        &self,
        ctx: Ctx,
        customer: CustomerId,
        limit: u32,
    ) -> Result<Vec<Order>, StoreError> {
        let mut conn = self.pool.acquire().await.map_err(db_err)?;
        within_reach(&mut conn, ctx, customer, true).await?;
        let ids: Vec<i64> = sqlx::query_scalar(
            "SELECT id FROM orders WHERE customer_id = $1 AND org_id = $2 \
             ORDER BY placed_at DESC, id DESC LIMIT $3",
        )
        .bind(customer.get())
        .bind(ctx.org.get())
        .bind(i64::from(limit.clamp(1, 200)))
        .fetch_all(&mut *conn)
        .await
        .map_err(db_err)?;
        let mut out = Vec::with_capacity(ids.len());
        for id in ids {
            if let Some(o) = load_order(&mut conn, ctx, OrderId(id)).await? {
                out.push(o);
            }
        }
        Ok(out)
    }

    pub(crate) async fn set_order_status_impl(
        &self,
        ctx: Ctx,
        id: OrderId,
        expected: Option<i64>,
        to: OrderStatus,
    ) -> Result<Order, StoreError> {
        let mut tx = self.begin_write().await?;
        let old = reached_order(&mut tx, ctx, id).await?;
        if let Some(expected) = expected.filter(|e| *e != old.version) {
            return Err(StoreError::VersionMismatch {
                expected,
                current: old.version,
            });
        }
        if !old.status.may_become(to) {
            return Err(StoreError::invalid(
                "status",
                Reason::BadTransition {
                    from: old.status.as_str().into(),
                    to: to.as_str().into(),
                },
            ));
        }
        let now = now_micros();
        let paid_at = match (to, old.paid_at) {
            (OrderStatus::Paid, None) => Some(now),
            (_, p) => p.map(time_to_micros),
        };
        sqlx::query(
            "UPDATE orders SET status = $1, paid_at = $2, version = version + 1, updated_at = $3 \
             WHERE org_id = $4 AND id = $5",
        )
        .bind(to.as_str())
        .bind(paid_at)
        .bind(now)
        .bind(ctx.org.get())
        .bind(id.get())
        .execute(&mut *tx)
        .await
        .map_err(db_err)?;
        let order = load_order(&mut tx, ctx, id)
            .await?
            .ok_or_else(|| StoreError::Internal("the order vanished".into()))?;
        emit(
            &mut tx,
            self.backend,
            ctx,
            "order.status_changed",
            "order",
            id.get(),
            &json!({"customer_id": order.customer_id, "changes": {"status": [old.status, order.status]}}),
        )
        .await?;
        tx.commit().await.map_err(db_err)?;
        Ok(order)
    }
}

/// A line of an order or quote with its price settled.
pub(crate) struct PricedLine<'a> {
    pub line: &'a guanxi_store::NewOrderLine,
    pub description: String,
    pub price: i64,
    pub line_sum: i64,
}

/// Price every line: the product's name and price unless given (a product of the organisation,
/// in the same currency); checked arithmetic. Returns the lines and their total, or every bad
/// line named.
pub(crate) async fn price_lines<'a>(
    conn: &mut AnyConnection,
    org: guanxi_core::OrgId,
    currency: Currency,
    lines: &'a [guanxi_store::NewOrderLine],
) -> Result<(Vec<PricedLine<'a>>, i64), StoreError> {
    if lines.is_empty() || lines.len() > LINES_MAX {
        return Err(StoreError::invalid(
            "lines",
            if lines.is_empty() {
                Reason::Required
            } else {
                Reason::TooMany { max: LINES_MAX }
            },
        ));
    }
    // Price every line: the product's name and price unless given; checked arithmetic.
    let mut errors = Errors::new();
    let mut priced = Vec::with_capacity(lines.len());
    let mut total: i64 = 0;
    for (i, line) in lines.iter().enumerate() {
        let at = |f: &str| format!("lines[{i}].{f}");
        let product = match line.product_id {
            Some(pid) => {
                let row = sqlx::query(&format!(
                    "SELECT {PRODUCT_COLS} FROM products WHERE org_id = $1 AND id = $2"
                ))
                .bind(org.get())
                .bind(pid.get())
                .fetch_optional(&mut *conn)
                .await
                .map_err(db_err)?;
                match row {
                    None => {
                        errors.push(at("product_id"), Reason::NotFound);
                        continue;
                    }
                    Some(r) => Some(product_from(&r)?),
                }
            }
            None => None,
        };
        if let Some(p) = &product {
            if p.currency != currency {
                errors.push(
                    at("product_id"),
                    Reason::CurrencyMismatch {
                        expected: currency.as_str().to_owned(),
                    },
                );
                continue;
            }
        }
        let description = match (&line.description, &product) {
            (Some(d), _) => d.clone(),
            (None, Some(p)) => p.name.clone(),
            (None, None) => {
                errors.push(at("description"), Reason::Required);
                continue;
            }
        };
        let price = match (line.unit_price, &product) {
            (Some(p), _) => p,
            (None, Some(p)) => p.unit_price,
            (None, None) => {
                errors.push(at("unit_price"), Reason::Required);
                continue;
            }
        };
        match line_total(line.quantity, price, line.discount) {
            Ok(t) => match total.checked_add(t) {
                Some(sum) => {
                    total = sum;
                    priced.push(PricedLine {
                        line,
                        description,
                        price,
                        line_sum: t,
                    });
                }
                None => errors.push("total", Reason::MoneyOverflow),
            },
            Err((field, reason)) => errors.push(at(field), reason),
        }
    }
    errors.finish().map_err(StoreError::Invalid)?;
    Ok((priced, total))
}

/// Create an order inside the caller's transaction: `false` with the existing order when its
/// external id was seen before. A unique conflict (the same external id committed meanwhile by
/// another transaction) is returned as `Conflict`.
pub(crate) async fn create_order_in(
    tx: &mut AnyConnection,
    backend: crate::Backend,
    ctx: Ctx,
    new: NewOrder,
) -> Result<(Order, bool), StoreError> {
    if let Some(ext) = &new.external_id {
        if let Some(id) = by_external_id(&mut *tx, ctx, ext).await? {
            // The same order posted again: answer with it, change nothing.
            let existing =
                reached_order(&mut *tx, ctx, id)
                    .await
                    .map_err(|_| StoreError::Conflict {
                        field: "external_id".into(),
                        reason: Reason::Conflict,
                    })?;
            return Ok((existing, false));
        }
    }
    match within_reach(&mut *tx, ctx, new.customer_id, false).await {
        Ok(()) => {}
        Err(StoreError::NotFound { .. }) => {
            return Err(StoreError::invalid("customer_id", Reason::NotFound))
        }
        Err(e) => return Err(e),
    }
    if let Some(opp) = new.opportunity_id {
        check_deal(&mut *tx, ctx.org, opp, new.customer_id).await?;
    }
    let (priced, total) = price_lines(&mut *tx, ctx.org, new.currency, &new.lines).await?;
    if new.expected_total.is_some_and(|t| t != total) {
        return Err(StoreError::invalid(
            "total",
            Reason::TotalMismatch { computed: total },
        ));
    }
    let now = now_micros();
    let inserted = sqlx::query_scalar::<_, i64>(
        "INSERT INTO orders (org_id, customer_id, external_id, status, currency, total, placed_at, \
         paid_at, owner_id, note, version, created_at, updated_at, opportunity_id) \
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, 1, $11, $11, $12) RETURNING id",
    )
    .bind(ctx.org.get())
    .bind(new.customer_id.get())
    .bind(new.external_id.as_deref())
    .bind(new.status.as_str())
    .bind(new.currency.as_str())
    .bind(total)
    .bind(time_to_micros(new.placed_at))
    .bind(new.paid_at.map(time_to_micros))
    .bind(new.owner_id.or(ctx.actor).map(UserId::get))
    .bind(new.note.as_deref())
    .bind(now)
    .bind(new.opportunity_id.map(guanxi_core::OpportunityId::get))
    .fetch_one(&mut *tx)
    .await;
    let id = OrderId(inserted.map_err(db_err)?);
    insert_lines(
        &mut *tx,
        LineTable::Order,
        ctx.org,
        id.get(),
        &stored_lines(&priced),
    )
    .await?;
    let order = load_order(&mut *tx, ctx, id)
        .await?
        .ok_or_else(|| StoreError::Internal("the new order vanished".into()))?;
    emit(
        &mut *tx,
        backend,
        ctx,
        "order.created",
        "order",
        id.get(),
        &json!({"customer_id": order.customer_id, "opportunity_id": order.opportunity_id,
                "external_id": order.external_id,
                "status": order.status, "currency": order.currency.as_str(), "total": order.total,
                "lines": order.lines.len(), "placed_at": order.placed_at}),
    )
    .await?;
    Ok((order, true))
}

/// Which lines a row of lines belongs to.
#[derive(Clone, Copy)]
pub(crate) enum LineTable {
    Order,
    Quote,
}

/// Priced lines as they are stored, numbered from 0.
pub(crate) fn stored_lines(priced: &[PricedLine<'_>]) -> Vec<OrderLine> {
    priced
        .iter()
        .enumerate()
        .map(|(pos, p)| OrderLine {
            position: pos as i64,
            product_id: p.line.product_id,
            description: p.description.clone(),
            quantity: p.line.quantity,
            unit_price: p.price,
            discount: p.line.discount,
            line_total: p.line_sum,
        })
        .collect()
}

/// Store the lines of an order or a quote.
pub(crate) async fn insert_lines(
    conn: &mut AnyConnection,
    table: LineTable,
    org: guanxi_core::OrgId,
    parent: i64,
    lines: &[OrderLine],
) -> Result<(), StoreError> {
    let sql = match table {
        LineTable::Order => {
            "INSERT INTO order_lines (org_id, order_id, position, product_id, description, quantity, \
             unit_price, discount, line_total) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9)"
        }
        LineTable::Quote => {
            "INSERT INTO quote_lines (org_id, quote_id, position, product_id, description, quantity, \
             unit_price, discount, line_total) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9)"
        }
    };
    for l in lines {
        sqlx::query(sql)
            .bind(org.get())
            .bind(parent)
            .bind(l.position)
            .bind(l.product_id.map(ProductId::get))
            .bind(&l.description)
            .bind(l.quantity)
            .bind(l.unit_price)
            .bind(l.discount)
            .bind(l.line_total)
            .execute(&mut *conn)
            .await
            .map_err(db_err)?;
    }
    Ok(())
}

/// An order or quote may name a deal only of its own customer (and organisation).
pub(crate) async fn check_deal(
    conn: &mut AnyConnection,
    org: guanxi_core::OrgId,
    opp: guanxi_core::OpportunityId,
    customer: CustomerId,
) -> Result<(), StoreError> {
    let of: Option<i64> =
        sqlx::query_scalar("SELECT customer_id FROM opportunities WHERE org_id = $1 AND id = $2")
            .bind(org.get())
            .bind(opp.get())
            .fetch_optional(&mut *conn)
            .await
            .map_err(db_err)?;
    if of == Some(customer.get()) {
        Ok(())
    } else {
        Err(StoreError::invalid("opportunity_id", Reason::NotFound))
    }
}

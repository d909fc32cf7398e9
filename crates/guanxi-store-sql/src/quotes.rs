//! Quotes: lines priced like an order's (the catalogue's products of this organisation only),
//! a tax rate, statuses, and turning a quote into an order once.

use crate::codec::{
    date_to_str, enum_of, i64_of, now_micros, opt_date, opt_i64, opt_str, str_of, time_of,
};
use crate::customers::within_reach;
use crate::events::emit;
use crate::sales::{check_deal, insert_lines, load_order, price_lines, stored_lines, LineTable};
use crate::{db_err, SqlStore};
use guanxi_core::order::OrderStatus;
use guanxi_core::quote::{totals, QuoteStatus};
use guanxi_core::{
    Currency, CustomerId, OpportunityId, OrderId, ProductId, QuoteId, Reason, UserId,
};
use guanxi_store::{Ctx, NewQuote, Order, OrderLine, Quote, StoreError};
use serde_json::json;
use sqlx::AnyConnection;

const QUOTE_COLS: &str =
    "id, customer_id, opportunity_id, status, currency, subtotal, tax_rate_bp, \
    tax, total, valid_until, note, order_id, owner_id, version, created_at, updated_at";

fn quote_from(r: &crate::Row) -> Result<Quote, StoreError> {
    Ok(Quote {
        id: QuoteId(i64_of(r, "id")?),
        customer_id: CustomerId(i64_of(r, "customer_id")?),
        opportunity_id: opt_i64(r, "opportunity_id")?.map(OpportunityId),
        status: enum_of(r, "status", QuoteStatus::parse)?,
        currency: Currency::parse(&str_of(r, "currency")?)
            .map_err(|_| StoreError::Internal("bad currency in quotes".into()))?,
        subtotal: i64_of(r, "subtotal")?,
        tax_rate_bp: i64_of(r, "tax_rate_bp")?,
        tax: i64_of(r, "tax")?,
        total: i64_of(r, "total")?,
        valid_until: opt_date(r, "valid_until")?,
        note: opt_str(r, "note")?,
        order_id: opt_i64(r, "order_id")?.map(OrderId),
        owner_id: opt_i64(r, "owner_id")?.map(UserId),
        lines: Vec::new(),
        version: i64_of(r, "version")?,
        created_at: time_of(r, "created_at")?,
        updated_at: time_of(r, "updated_at")?,
    })
}

/// A quote of a customer within reach, with its lines; not found otherwise.
async fn load_quote(conn: &mut AnyConnection, ctx: Ctx, id: QuoteId) -> Result<Quote, StoreError> {
    let not_found = || StoreError::NotFound { entity: "quote" };
    let row = sqlx::query(&format!(
        "SELECT {QUOTE_COLS} FROM quotes WHERE org_id = $1 AND id = $2"
    ))
    .bind(ctx.org.get())
    .bind(id.get())
    .fetch_optional(&mut *conn)
    .await
    .map_err(db_err)?
    .ok_or_else(not_found)?;
    let mut q = quote_from(&row)?;
    within_reach(conn, ctx, q.customer_id, true)
        .await
        .map_err(|_| not_found())?;
    q.lines = sqlx::query(
        "SELECT position, product_id, description, quantity, unit_price, discount, line_total \
         FROM quote_lines WHERE quote_id = $1 ORDER BY position",
    )
    .bind(id.get())
    .fetch_all(&mut *conn)
    .await
    .map_err(db_err)?
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
    Ok(q)
}

impl SqlStore {
    pub(crate) async fn create_quote_impl(
        &self,
        ctx: Ctx,
        new: NewQuote,
    ) -> Result<Quote, StoreError> {
        let mut tx = self.begin_write().await?;
        match within_reach(&mut tx, ctx, new.customer_id, false).await {
            Ok(()) => {}
            Err(StoreError::NotFound { .. }) => {
                return Err(StoreError::invalid("customer_id", Reason::NotFound))
            }
            Err(e) => return Err(e),
        }
        if let Some(o) = new.opportunity_id {
            check_deal(&mut tx, ctx.org, o, new.customer_id).await?;
        }
        let (priced, subtotal) = price_lines(&mut tx, ctx.org, new.currency, &new.lines).await?;
        let Some((tax, total)) = totals(subtotal, new.tax_rate_bp) else {
            return Err(StoreError::invalid("tax_rate_bp", Reason::MoneyOverflow));
        };
        let now = now_micros();
        let id: i64 = sqlx::query_scalar(
            "INSERT INTO quotes (org_id, customer_id, opportunity_id, status, currency, subtotal, \
             tax_rate_bp, tax, total, valid_until, note, owner_id, version, created_at, updated_at) \
             VALUES ($1, $2, $3, 'draft', $4, $5, $6, $7, $8, $9, $10, $11, 1, $12, $12) RETURNING id",
        )
        .bind(ctx.org.get())
        .bind(new.customer_id.get())
        .bind(new.opportunity_id.map(OpportunityId::get))
        .bind(new.currency.as_str())
        .bind(subtotal)
        .bind(new.tax_rate_bp)
        .bind(tax)
        .bind(total)
        .bind(date_to_str(new.valid_until))
        .bind(new.note.as_deref())
        .bind(ctx.actor.map(UserId::get))
        .bind(now)
        .fetch_one(&mut *tx)
        .await
        .map_err(db_err)?;
        insert_lines(
            &mut tx,
            LineTable::Quote,
            ctx.org,
            id,
            &stored_lines(&priced),
        )
        .await?;
        let q = load_quote(
            &mut tx,
            Ctx {
                reach: guanxi_core::Reach::Org,
                ..ctx
            },
            QuoteId(id),
        )
        .await?;
        emit(
            &mut tx,
            self.backend,
            ctx,
            "quote.created",
            "quote",
            id,
            &json!({"customer_id": q.customer_id, "opportunity_id": q.opportunity_id,
                    "subtotal": q.subtotal, "tax": q.tax, "total": q.total,
                    "currency": q.currency.as_str(), "lines": q.lines.len()}),
        )
        .await?;
        tx.commit().await.map_err(db_err)?;
        Ok(q)
    }

    pub(crate) async fn get_quote_impl(&self, ctx: Ctx, id: QuoteId) -> Result<Quote, StoreError> {
        let mut conn = self.pool.acquire().await.map_err(db_err)?;
        load_quote(&mut conn, ctx, id).await
    }

    pub(crate) async fn customer_quotes_impl(
        &self,
        ctx: Ctx,
        customer: CustomerId,
    ) -> Result<Vec<Quote>, StoreError> {
        let mut conn = self.pool.acquire().await.map_err(db_err)?;
        within_reach(&mut conn, ctx, customer, true).await?;
        let ids: Vec<i64> = sqlx::query_scalar(
            "SELECT id FROM quotes WHERE org_id = $1 AND customer_id = $2 ORDER BY id DESC LIMIT 50",
        )
        .bind(ctx.org.get())
        .bind(customer.get())
        .fetch_all(&mut *conn)
        .await
        .map_err(db_err)?;
        let mut out = Vec::with_capacity(ids.len());
        for id in ids {
            out.push(load_quote(&mut conn, ctx, QuoteId(id)).await?);
        }
        Ok(out)
    }

    pub(crate) async fn set_quote_status_impl(
        &self,
        ctx: Ctx,
        id: QuoteId,
        expected: Option<i64>,
        to: QuoteStatus,
    ) -> Result<Quote, StoreError> {
        let mut tx = self.begin_write().await?;
        let q = load_quote(&mut tx, ctx, id).await?;
        if let Some(expected) = expected.filter(|e| *e != q.version) {
            return Err(StoreError::VersionMismatch {
                expected,
                current: q.version,
            });
        }
        if q.status == to {
            tx.commit().await.map_err(db_err)?;
            return Ok(q);
        }
        if !q.status.may_become(to) {
            return Err(StoreError::invalid(
                "status",
                Reason::BadTransition {
                    from: q.status.as_str().into(),
                    to: to.as_str().into(),
                },
            ));
        }
        let now = now_micros();
        sqlx::query(
            "UPDATE quotes SET status = $1, version = version + 1, updated_at = $2 \
             WHERE org_id = $3 AND id = $4",
        )
        .bind(to.as_str())
        .bind(now)
        .bind(ctx.org.get())
        .bind(id.get())
        .execute(&mut *tx)
        .await
        .map_err(db_err)?;
        emit(
            &mut tx,
            self.backend,
            ctx,
            &format!("quote.{}", to.as_str()),
            "quote",
            id.get(),
            &json!({"customer_id": q.customer_id, "changes": {"status": [q.status, to]}}),
        )
        .await?;
        let q = load_quote(&mut tx, ctx, id).await?;
        tx.commit().await.map_err(db_err)?;
        Ok(q)
    }

    pub(crate) async fn order_quote_impl(
        &self,
        ctx: Ctx,
        id: QuoteId,
        expected: Option<i64>,
    ) -> Result<(Quote, Order), StoreError> {
        let mut tx = self.begin_write().await?;
        let q = load_quote(&mut tx, ctx, id).await?;
        if let Some(expected) = expected.filter(|e| *e != q.version) {
            return Err(StoreError::VersionMismatch {
                expected,
                current: q.version,
            });
        }
        if let Some(order) = q.order_id {
            return Err(StoreError::Conflict {
                field: "status".into(),
                reason: Reason::BadTransition {
                    from: format!("ordered ({order})"),
                    to: "ordered".into(),
                },
            });
        }
        if !q.status.may_order() {
            return Err(StoreError::invalid(
                "status",
                Reason::BadTransition {
                    from: q.status.as_str().into(),
                    to: "ordered".into(),
                },
            ));
        }
        let now = now_micros();
        let order_id: i64 = sqlx::query_scalar(
            "INSERT INTO orders (org_id, customer_id, opportunity_id, status, currency, total, placed_at, \
             owner_id, note, version, created_at, updated_at) \
             VALUES ($1, $2, $3, 'placed', $4, $5, $6, $7, $8, 1, $6, $6) RETURNING id",
        )
        .bind(ctx.org.get())
        .bind(q.customer_id.get())
        .bind(q.opportunity_id.map(OpportunityId::get))
        .bind(q.currency.as_str())
        .bind(q.total)
        .bind(now)
        .bind(q.owner_id.or(ctx.actor).map(UserId::get))
        .bind(format!("报价单 #{} / Quote #{}", q.id, q.id))
        .fetch_one(&mut *tx)
        .await
        .map_err(db_err)?;
        let mut lines = q.lines.clone();
        if q.tax > 0 {
            let pct = q.tax_rate_bp as f64 / 100.0;
            lines.push(OrderLine {
                position: lines.len() as i64,
                product_id: None,
                description: format!("增值税 VAT {pct}%"),
                quantity: 1,
                unit_price: q.tax,
                discount: 0,
                line_total: q.tax,
            });
        }
        insert_lines(&mut tx, LineTable::Order, ctx.org, order_id, &lines).await?;
        sqlx::query(
            "UPDATE quotes SET status = 'ordered', order_id = $1, version = version + 1, updated_at = $2 \
             WHERE org_id = $3 AND id = $4",
        )
        .bind(order_id)
        .bind(now)
        .bind(ctx.org.get())
        .bind(id.get())
        .execute(&mut *tx)
        .await
        .map_err(db_err)?;
        let order = load_order(&mut tx, ctx, OrderId(order_id))
            .await?
            .ok_or_else(|| StoreError::Internal("the new order vanished".into()))?;
        emit(
            &mut tx,
            self.backend,
            ctx,
            "order.created",
            "order",
            order_id,
            &json!({"customer_id": order.customer_id, "opportunity_id": order.opportunity_id,
                    "quote_id": id, "status": OrderStatus::Placed, "currency": order.currency.as_str(),
                    "total": order.total, "lines": order.lines.len()}),
        )
        .await?;
        emit(
            &mut tx,
            self.backend,
            ctx,
            "quote.ordered",
            "quote",
            id.get(),
            &json!({"customer_id": q.customer_id, "order_id": order_id,
                    "changes": {"status": [q.status, "ordered"]}}),
        )
        .await?;
        let q = load_quote(&mut tx, ctx, id).await?;
        tx.commit().await.map_err(db_err)?;
        Ok((q, order))
    }
}

//! Products and orders on the wire. Amounts are sent as decimal strings in the currency's
//! units (`"128.00"`), never as floating point; answers give the same string and the integer
//! minor units (`*_minor`, 分 for CNY).

use super::{at, parse_time, required};
use chrono::{DateTime, Utc};
use guanxi_core::error::Errors;
use guanxi_core::order::OrderStatus;
use guanxi_core::text::{self, LINE_MAX};
use guanxi_core::{Currency, CustomerId, DomainError, Money, ProductId, Reason, UserId};
use guanxi_store::{NewOrder, NewOrderLine, NewProduct, Order, OrderLine, Product, ProductPatch};
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

/// Longest SKU and external order id.
pub const SKU_MAX: usize = 64;
pub const EXTERNAL_ID_MAX: usize = 128;

fn money(e: &mut Errors, path: &str, raw: Option<&str>, currency: Currency) -> Option<i64> {
    let m = e.take(at(Money::parse(raw?, currency), path))?;
    if m.minor < 0 {
        e.push(
            path,
            Reason::OutOfRange {
                min: 0,
                max: i64::MAX,
            },
        );
        return None;
    }
    Some(m.minor)
}

fn currency(e: &mut Errors, raw: Option<&str>) -> Currency {
    e.take(at(Currency::parse(raw.unwrap_or("CNY")), "currency"))
        .unwrap_or(Currency::CNY)
}

#[derive(Debug, Default, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct CreateProduct {
    #[schema(value_type = String, example = "TEA-01")]
    pub sku: Option<String>,
    #[schema(value_type = String, example = "龙井茶 250g")]
    pub name: Option<String>,
    /// Decimal, in the currency's units.
    #[schema(value_type = String, example = "128.00")]
    pub unit_price: Option<String>,
    /// ISO 4217; default CNY.
    pub currency: Option<String>,
}

impl CreateProduct {
    pub fn parse(self) -> Result<NewProduct, DomainError> {
        let mut e = Errors::new();
        let sku = required(&mut e, "sku", self.sku.as_deref())
            .and_then(|v| e.take(at(text::line(v, SKU_MAX), "sku")))
            .unwrap_or_default();
        let name = required(&mut e, "name", self.name.as_deref())
            .and_then(|v| e.take(at(text::line(v, LINE_MAX), "name")))
            .unwrap_or_default();
        let cur = currency(&mut e, self.currency.as_deref());
        let price = required(&mut e, "unit_price", self.unit_price.as_deref())
            .and_then(|p| money(&mut e, "unit_price", Some(p), cur));
        e.finish()?;
        Ok(NewProduct {
            sku,
            name,
            unit_price: price.unwrap_or(0),
            currency: cur,
        })
    }
}

#[derive(Debug, Default, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct UpdateProduct {
    pub name: Option<String>,
    #[schema(value_type = Option<String>, example = "118.00")]
    pub unit_price: Option<String>,
    /// `false` takes the product off sale (old orders keep it).
    pub active: Option<bool>,
}

impl UpdateProduct {
    pub fn parse(self, cur: Currency) -> Result<ProductPatch, DomainError> {
        let mut e = Errors::new();
        let name = self
            .name
            .as_deref()
            .and_then(|v| e.take(at(text::line(v, LINE_MAX), "name")));
        let unit_price = money(&mut e, "unit_price", self.unit_price.as_deref(), cur);
        e.finish()?;
        Ok(ProductPatch {
            name,
            unit_price,
            active: self.active,
        })
    }
}

#[derive(Debug, Serialize, ToSchema)]
pub struct ProductView {
    pub id: i64,
    pub sku: String,
    pub name: String,
    #[schema(example = "128.00")]
    pub unit_price: String,
    pub unit_price_minor: i64,
    pub currency: String,
    pub active: bool,
    pub created_at: DateTime<Utc>,
    pub updated_at: DateTime<Utc>,
}

impl From<Product> for ProductView {
    fn from(p: Product) -> Self {
        Self {
            id: p.id.get(),
            unit_price: Money::new(p.unit_price, p.currency).decimal(),
            unit_price_minor: p.unit_price,
            currency: p.currency.as_str().to_owned(),
            sku: p.sku,
            name: p.name,
            active: p.active,
            created_at: p.created_at,
            updated_at: p.updated_at,
        }
    }
}

#[derive(Debug, Serialize, ToSchema)]
pub struct ProductList {
    pub items: Vec<ProductView>,
}

#[derive(Debug, Default, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct CreateOrderLine {
    /// A product of the catalogue: its name and price are the defaults.
    pub product_id: Option<i64>,
    /// Required without a product.
    pub description: Option<String>,
    /// Default 1.
    pub quantity: Option<i64>,
    /// Decimal; the product's price when left out.
    #[schema(value_type = Option<String>, example = "128.00")]
    pub unit_price: Option<String>,
    /// Decimal amount off the line; default 0.
    #[schema(value_type = Option<String>, example = "10.00")]
    pub discount: Option<String>,
}

/// A new order. Posting the same `external_id` again returns the existing order (200) and
/// creates nothing.
#[derive(Debug, Default, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct CreateOrder {
    pub customer_id: Option<i64>,
    /// The shop system's own id of the order.
    #[schema(example = "shop-1001")]
    pub external_id: Option<String>,
    pub currency: Option<String>,
    /// `placed` (default) or `paid`.
    pub status: Option<String>,
    /// RFC 3339; default now.
    pub placed_at: Option<String>,
    pub paid_at: Option<String>,
    pub owner_id: Option<i64>,
    pub note: Option<String>,
    pub lines: Option<Vec<CreateOrderLine>>,
    /// The total the sender computed (decimal); refused when the lines add up to another.
    #[schema(value_type = Option<String>, example = "251.00")]
    pub total: Option<String>,
}

impl CreateOrder {
    pub fn parse(self, now: DateTime<Utc>) -> Result<NewOrder, DomainError> {
        let mut e = Errors::new();
        let customer = required(&mut e, "customer_id", self.customer_id).map(CustomerId);
        let external_id = self
            .external_id
            .as_deref()
            .and_then(|v| e.take(at(text::line(v, EXTERNAL_ID_MAX), "external_id")));
        let cur = currency(&mut e, self.currency.as_deref());
        let status = match self.status.as_deref() {
            None => Some(OrderStatus::Placed),
            Some(s) => e.take(at(OrderStatus::parse(s), "status")).and_then(|st| {
                if matches!(st, OrderStatus::Placed | OrderStatus::Paid) {
                    Some(st)
                } else {
                    e.push(
                        "status",
                        Reason::NotOneOf {
                            allowed: vec!["placed".into(), "paid".into()],
                        },
                    );
                    None
                }
            }),
        };
        let placed_at = match self.placed_at.as_deref() {
            None => Some(now),
            Some(t) => e.take(at(parse_time(t), "placed_at")),
        };
        if placed_at.is_some_and(|t| t > now + chrono::Duration::days(1)) {
            e.push(
                "placed_at",
                Reason::TooFarInFuture {
                    latest: (now + chrono::Duration::days(1)).to_rfc3339(),
                },
            );
        }
        let paid_at = self
            .paid_at
            .as_deref()
            .and_then(|t| e.take(at(parse_time(t), "paid_at")));
        let note = self
            .note
            .as_deref()
            .and_then(|v| e.take(at(text::body(v, 2000), "note")));
        let mut lines = Vec::new();
        match self.lines {
            None => e.push("lines", Reason::Required),
            Some(ls) => {
                for (i, l) in ls.into_iter().enumerate() {
                    let p = |f: &str| format!("lines[{i}].{f}");
                    let description = l
                        .description
                        .as_deref()
                        .and_then(|v| e.take(at(text::line(v, LINE_MAX), &p("description"))));
                    let unit_price = money(&mut e, &p("unit_price"), l.unit_price.as_deref(), cur);
                    let discount =
                        money(&mut e, &p("discount"), l.discount.as_deref(), cur).unwrap_or(0);
                    lines.push(NewOrderLine {
                        product_id: l.product_id.map(ProductId),
                        description,
                        quantity: l.quantity.unwrap_or(1),
                        unit_price,
                        discount,
                    });
                }
            }
        }
        let expected_total = money(&mut e, "total", self.total.as_deref(), cur);
        e.finish()?;
        Ok(NewOrder {
            customer_id: customer.unwrap_or(CustomerId(0)),
            external_id,
            currency: cur,
            status: status.unwrap_or(OrderStatus::Placed),
            placed_at: placed_at.unwrap_or(now),
            paid_at: paid_at.or((status == Some(OrderStatus::Paid)).then_some(now)),
            owner_id: self.owner_id.map(UserId),
            note,
            lines,
            expected_total,
        })
    }
}

#[derive(Debug, Default, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct ChangeOrderStatus {
    /// `paid`, `shipped`, `completed`, `cancelled` or `refunded`.
    pub status: Option<String>,
}

impl ChangeOrderStatus {
    pub fn parse(self) -> Result<OrderStatus, DomainError> {
        let mut e = Errors::new();
        let s = required(&mut e, "status", self.status.as_deref())
            .and_then(|s| e.take(at(OrderStatus::parse(s), "status")));
        e.finish()?;
        s.ok_or_else(|| DomainError::field("status", Reason::Required))
    }
}

#[derive(Debug, Serialize, ToSchema)]
pub struct OrderLineView {
    pub position: i64,
    pub product_id: Option<i64>,
    pub description: String,
    pub quantity: i64,
    pub unit_price: String,
    pub discount: String,
    pub line_total: String,
    pub line_total_minor: i64,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct OrderView {
    pub id: i64,
    pub customer_id: i64,
    pub external_id: Option<String>,
    #[schema(example = "paid")]
    pub status: String,
    pub currency: String,
    #[schema(example = "251.00")]
    pub total: String,
    pub total_minor: i64,
    pub placed_at: DateTime<Utc>,
    pub paid_at: Option<DateTime<Utc>>,
    pub owner_id: Option<i64>,
    pub note: Option<String>,
    pub lines: Vec<OrderLineView>,
    pub version: i64,
    pub created_at: DateTime<Utc>,
    pub updated_at: DateTime<Utc>,
}

impl From<Order> for OrderView {
    fn from(o: Order) -> Self {
        let m = |minor: i64| Money::new(minor, o.currency).decimal();
        let line = |l: &OrderLine| OrderLineView {
            position: l.position,
            product_id: l.product_id.map(ProductId::get),
            description: l.description.clone(),
            quantity: l.quantity,
            unit_price: m(l.unit_price),
            discount: m(l.discount),
            line_total: m(l.line_total),
            line_total_minor: l.line_total,
        };
        Self {
            id: o.id.get(),
            customer_id: o.customer_id.get(),
            external_id: o.external_id.clone(),
            status: o.status.as_str().to_owned(),
            currency: o.currency.as_str().to_owned(),
            total: m(o.total),
            total_minor: o.total,
            placed_at: o.placed_at,
            paid_at: o.paid_at,
            owner_id: o.owner_id.map(UserId::get),
            note: o.note.clone(),
            lines: o.lines.iter().map(line).collect(),
            version: o.version,
            created_at: o.created_at,
            updated_at: o.updated_at,
        }
    }
}

#[derive(Debug, Serialize, ToSchema)]
pub struct OrderList {
    pub items: Vec<OrderView>,
}

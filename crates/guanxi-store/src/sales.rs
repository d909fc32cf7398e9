//! Sales: the product catalogue and orders with their lines.

use chrono::{DateTime, Utc};
use guanxi_core::order::OrderStatus;
use guanxi_core::{Currency, CustomerId, OrderId, ProductId, UserId};
use serde::Serialize;

#[derive(Clone, Debug)]
pub struct NewProduct {
    pub sku: String,
    pub name: String,
    /// Minor units (fen) of `currency`.
    pub unit_price: i64,
    pub currency: Currency,
}

#[derive(Clone, Debug, Default)]
pub struct ProductPatch {
    pub name: Option<String>,
    pub unit_price: Option<i64>,
    pub active: Option<bool>,
}

#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct Product {
    pub id: ProductId,
    pub sku: String,
    pub name: String,
    pub unit_price: i64,
    pub currency: Currency,
    pub active: bool,
    pub created_at: DateTime<Utc>,
    pub updated_at: DateTime<Utc>,
}

/// A line to order: a product of the catalogue (its name and price are the defaults) or a
/// free description with a price.
#[derive(Clone, Debug)]
pub struct NewOrderLine {
    pub product_id: Option<ProductId>,
    pub description: Option<String>,
    pub quantity: i64,
    /// Minor units; the product's price when `None`.
    pub unit_price: Option<i64>,
    /// Minor units off the line.
    pub discount: i64,
}

#[derive(Clone, Debug)]
pub struct NewOrder {
    pub customer_id: CustomerId,
    /// The shop system's own order id: posting it again returns the same order.
    pub external_id: Option<String>,
    pub currency: Currency,
    pub status: OrderStatus,
    pub placed_at: DateTime<Utc>,
    pub paid_at: Option<DateTime<Utc>>,
    pub owner_id: Option<UserId>,
    pub note: Option<String>,
    pub lines: Vec<NewOrderLine>,
    /// The total the sender computed; refused when the lines add up to something else.
    pub expected_total: Option<i64>,
}

#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct OrderLine {
    pub position: i64,
    pub product_id: Option<ProductId>,
    pub description: String,
    pub quantity: i64,
    pub unit_price: i64,
    pub discount: i64,
    pub line_total: i64,
}

#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct Order {
    pub id: OrderId,
    pub customer_id: CustomerId,
    pub external_id: Option<String>,
    pub status: OrderStatus,
    pub currency: Currency,
    /// Minor units: the sum of the lines.
    pub total: i64,
    pub placed_at: DateTime<Utc>,
    pub paid_at: Option<DateTime<Utc>>,
    pub owner_id: Option<UserId>,
    pub note: Option<String>,
    pub lines: Vec<OrderLine>,
    pub version: i64,
    pub created_at: DateTime<Utc>,
    pub updated_at: DateTime<Utc>,
}

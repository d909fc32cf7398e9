//! The plain rows a caller hands in. The caller extracts them from the operational store (for
//! example everything that the outbox says changed since the stored watermark); the warehouse
//! knows nothing of that store. Every row names its organisation.

use chrono::{DateTime, FixedOffset, Utc};
use serde::{Deserialize, Serialize};

/// One load: the rows new or changed since the last watermark, and the watermark they reach
/// (for example the id of the last outbox event read).
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
pub struct LoadBatch {
    /// Position reached in the source (outbox event id). Stored in the manifest on commit.
    pub watermark: i64,
    pub customers: Vec<CustomerRow>,
    pub products: Vec<ProductRow>,
    pub owners: Vec<OwnerRow>,
    pub channels: Vec<ChannelRow>,
    pub regions: Vec<RegionRow>,
    pub orders: Vec<OrderRow>,
    pub interactions: Vec<InteractionRow>,
}

impl LoadBatch {
    /// A batch with no rows (it may still move the watermark).
    pub fn is_empty(&self) -> bool {
        self.customers.is_empty()
            && self.products.is_empty()
            && self.owners.is_empty()
            && self.channels.is_empty()
            && self.regions.is_empty()
            && self.orders.is_empty()
            && self.interactions.is_empty()
    }
}

/// The state of a customer from `changed_at` on (a type 2 dimension: a new version is kept
/// only when one of the attributes differs from the version valid at `changed_at`).
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct CustomerRow {
    pub org_id: i64,
    pub customer_id: i64,
    pub name: String,
    /// `person` or `company`.
    pub kind: String,
    /// `key`, `ordinary`, `small` or none.
    pub class: Option<String>,
    /// Lifecycle status in the CRM (`potential`, `new`, `current`, `loyal`, `lost`).
    pub status: Option<String>,
    pub owner_id: Option<i64>,
    pub region: Option<String>,
    /// When this state began (the operational row's `updated_at`, or `created_at` for the
    /// first load of a customer).
    pub changed_at: DateTime<Utc>,
}

/// A product (type 1: the latest attributes replace the earlier ones).
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct ProductRow {
    pub org_id: i64,
    pub product_id: i64,
    pub sku: String,
    pub name: String,
    pub category: Option<String>,
    pub unit_price_fen: i64,
    pub currency: String,
}

/// A staff member who owns customers and orders (type 1).
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct OwnerRow {
    pub org_id: i64,
    pub owner_id: i64,
    pub name: String,
    pub team: Option<String>,
}

/// A sales or contact channel by code (`web`, `wechat`, `store`, …), type 1. Codes seen in
/// facts without a row here get a dimension row named by the code.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct ChannelRow {
    pub org_id: i64,
    pub code: String,
    pub name: String,
}

/// A region by code (for example a GB/T 2260 division code), type 1. Codes seen in facts
/// without a row here get a dimension row named by the code.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct RegionRow {
    pub org_id: i64,
    pub code: String,
    pub name: String,
}

/// One version of an order. A later version (higher `version`) of the same order, such as a
/// status change, is appended; the current views show the latest one.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct OrderRow {
    pub org_id: i64,
    pub order_id: i64,
    /// The operational row's version; the highest is the current one.
    pub version: i64,
    pub customer_id: i64,
    /// When the order was placed, in the organisation's local offset: the date key and the
    /// month partition are taken from this local date.
    pub ordered_at: DateTime<FixedOffset>,
    pub updated_at: DateTime<Utc>,
    /// `placed`, `paid`, `shipped`, `completed`, `cancelled`, `refunded`.
    pub status: String,
    pub channel: Option<String>,
    pub owner_id: Option<i64>,
    pub region: Option<String>,
    pub total_fen: i64,
    pub currency: String,
    pub lines: Vec<OrderLineRow>,
}

/// A line of an order version.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct OrderLineRow {
    pub position: i32,
    pub product_id: Option<i64>,
    pub description: String,
    pub quantity: i64,
    pub unit_price_fen: i64,
    pub discount_fen: i64,
    pub line_total_fen: i64,
}

/// One contact with a customer. Loading the same id again replaces it in the current view.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct InteractionRow {
    pub org_id: i64,
    pub interaction_id: i64,
    pub customer_id: i64,
    /// When it happened, in the organisation's local offset (date key and month from it).
    pub occurred_at: DateTime<FixedOffset>,
    pub channel: Option<String>,
    /// `inbound` / `outbound`, when known.
    pub direction: Option<String>,
    /// `call`, `visit`, `wechat`, `email`, … as the CRM names them.
    pub kind: String,
    pub owner_id: Option<i64>,
}

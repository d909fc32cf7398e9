//! The warehouse's extract (数据抽取): the plain rows that `guanxi warehouse load` reads from
//! the operational store and hands to the warehouse (`guanxi-warehouse`, which re-exports
//! them), and the window and cursor of an incremental extraction. Every row names its
//! organisation. The warehouse holds no personal data: customers appear by id with their
//! kind, class, status, owner and city, never by name, phone or address, so erasing a person
//! in the operational store leaves nothing to erase in the warehouse.

use chrono::{DateTime, FixedOffset, Utc};
use serde::{Deserialize, Serialize};

/// One load: the rows new or changed since the last watermark, and the watermark they reach
/// (for example the id of the last outbox event read).
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
pub struct LoadBatch {
    /// Position reached in the source (outbox event id). Stored in the manifest on commit.
    pub watermark: i64,
    /// For a window loaded in several batches: every batch but the last keeps the window's
    /// starting watermark and says here where it stopped (opaque to the warehouse, kept in the
    /// manifest and returned by `Warehouse::cursor` in `guanxi-warehouse`); the last batch moves the
    /// watermark and leaves this empty. A load that dies between batches resumes from the
    /// stored cursor, so no row is loaded twice.
    #[serde(default)]
    pub cursor: Option<String>,
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

/// The operational tables an extraction reads, in the order it reads them: dimensions first so
/// that the facts of a window find their members in the same or an earlier batch.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum ExtractTable {
    Owners,
    Products,
    Customers,
    Orders,
    Interactions,
}

impl ExtractTable {
    pub const ALL: [ExtractTable; 5] = [
        ExtractTable::Owners,
        ExtractTable::Products,
        ExtractTable::Customers,
        ExtractTable::Orders,
        ExtractTable::Interactions,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            ExtractTable::Owners => "owners",
            ExtractTable::Products => "products",
            ExtractTable::Customers => "customers",
            ExtractTable::Orders => "orders",
            ExtractTable::Interactions => "interactions",
        }
    }

    /// The table read after this one; none after the last.
    pub fn next(self) -> Option<ExtractTable> {
        let i = ExtractTable::ALL.iter().position(|t| *t == self)?;
        ExtractTable::ALL.get(i + 1).copied()
    }
}

/// A window of changes: rows whose `updated_at` (microseconds since the epoch) lies in
/// `(after, until]`, across all organisations.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct ExtractWindow {
    pub after: i64,
    pub until: i64,
}

/// Where an extraction stands inside its window: the table, and the last id read from it.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct ExtractCursor {
    pub table: ExtractTable,
    pub after_id: i64,
}

impl ExtractCursor {
    pub const START: ExtractCursor = ExtractCursor {
        table: ExtractTable::Owners,
        after_id: 0,
    };
}

/// One page of an extraction: its rows (in a batch whose watermark and cursor the caller
/// sets) and where the next page starts; none when the window is read to its end.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct ExtractPage {
    pub rows: LoadBatch,
    pub next: Option<ExtractCursor>,
}

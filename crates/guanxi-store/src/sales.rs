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
    /// The deal this order closes (an opportunity of the same customer).
    pub opportunity_id: Option<guanxi_core::OpportunityId>,
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
    pub opportunity_id: Option<guanxi_core::OpportunityId>,
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

// ---------------------------------------------------------------- pipelines and opportunities

use guanxi_core::pipeline::{OpportunityStatus, StageKind, StageSpec};
use guanxi_core::{OpportunityId, PipelineId, StageId};

#[derive(Clone, Debug)]
pub struct NewPipeline {
    pub name: String,
    /// Already checked with `guanxi_core::pipeline::check_stages`.
    pub stages: Vec<StageSpec>,
}

#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct Stage {
    pub id: StageId,
    pub position: i64,
    pub name: String,
    pub probability: i64,
    pub kind: StageKind,
}

#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct Pipeline {
    pub id: PipelineId,
    pub name: String,
    pub stages: Vec<Stage>,
    pub created_at: DateTime<Utc>,
}

#[derive(Clone, Debug)]
pub struct NewOpportunity {
    pub customer_id: CustomerId,
    pub pipeline_id: PipelineId,
    /// The first open stage when `None`.
    pub stage_id: Option<StageId>,
    pub name: String,
    /// Minor units.
    pub amount: i64,
    pub currency: Currency,
    pub expected_close: Option<chrono::NaiveDate>,
    pub owner_id: Option<UserId>,
}

#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct Opportunity {
    pub id: OpportunityId,
    pub customer_id: CustomerId,
    pub customer_name: String,
    pub pipeline_id: PipelineId,
    pub stage_id: StageId,
    pub name: String,
    pub amount: i64,
    pub currency: Currency,
    pub expected_close: Option<chrono::NaiveDate>,
    pub owner_id: Option<UserId>,
    pub status: OpportunityStatus,
    /// Why it was won or lost.
    pub close_reason: Option<String>,
    pub closed_at: Option<DateTime<Utc>>,
    /// When it entered its current stage.
    pub stage_since: DateTime<Utc>,
    pub version: i64,
    pub created_at: DateTime<Utc>,
    pub updated_at: DateTime<Utc>,
}

/// One column of the kanban board: a stage, how many open opportunities it holds and what
/// they are worth, and the first of them (newest first).
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct BoardColumn {
    pub stage: Stage,
    pub count: i64,
    /// Minor units, summed over the column (one currency per organisation is assumed).
    pub amount: i64,
    /// The weighted amount: `amount × probability`.
    pub weighted: i64,
    pub items: Vec<Opportunity>,
}

// ---------------------------------------------------------------- activities

use guanxi_core::pipeline::ActivityKind;
use guanxi_core::ActivityId;

#[derive(Clone, Debug)]
pub struct NewActivity {
    pub kind: ActivityKind,
    pub subject: String,
    pub note: Option<String>,
    pub customer_id: Option<CustomerId>,
    pub opportunity_id: Option<OpportunityId>,
    /// The lead it is about (it moves to the customer the lead becomes).
    pub lead_id: Option<guanxi_core::LeadId>,
    /// The acting user when `None`.
    pub assignee_id: Option<UserId>,
    pub due_at: DateTime<Utc>,
    pub duration_min: i64,
    pub remind_at: Option<DateTime<Utc>>,
}

#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct Activity {
    pub id: ActivityId,
    pub kind: ActivityKind,
    pub subject: String,
    pub note: Option<String>,
    pub customer_id: Option<CustomerId>,
    pub customer_name: Option<String>,
    pub opportunity_id: Option<OpportunityId>,
    pub lead_id: Option<guanxi_core::LeadId>,
    pub assignee_id: UserId,
    pub due_at: DateTime<Utc>,
    pub duration_min: i64,
    pub remind_at: Option<DateTime<Utc>>,
    pub done_at: Option<DateTime<Utc>>,
    pub version: i64,
    pub created_at: DateTime<Utc>,
    pub updated_at: DateTime<Utc>,
}

/// What a list of activities is about.
#[derive(Clone, Copy, Debug)]
pub enum About {
    Customer(CustomerId),
    Lead(guanxi_core::LeadId),
}

/// Whose activities, and which.
#[derive(Clone, Debug)]
pub struct ActivityQuery {
    pub assignee: UserId,
    /// Due before this (exclusive), when given.
    pub due_before: Option<DateTime<Utc>>,
    pub include_done: bool,
    pub limit: u32,
}

// ---------------------------------------------------------------- forecast

/// One group of the forecast: open opportunities, their amount and weighted amount.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct ForecastRow {
    /// A month `YYYY-MM` (or empty: no expected close date), a user id, or a team id.
    pub key: String,
    pub count: i64,
    pub amount: i64,
    pub weighted: i64,
}

/// The weighted pipeline by month, owner and team, and how closed opportunities went.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct Forecast {
    pub by_month: Vec<ForecastRow>,
    pub by_owner: Vec<ForecastRow>,
    pub by_team: Vec<ForecastRow>,
    pub won: i64,
    pub lost: i64,
    pub won_amount: i64,
    /// Mean days from opening to winning, over won opportunities.
    pub average_cycle_days: Option<f64>,
}

/// An opportunity for bulk loading (benchmarks, imports): already in its stage.
#[derive(Clone, Debug)]
pub struct BulkOpportunity {
    pub customer_id: CustomerId,
    pub stage_id: StageId,
    pub status: OpportunityStatus,
    pub name: String,
    pub amount: i64,
    pub currency: Currency,
    pub expected_close: Option<chrono::NaiveDate>,
    pub owner_id: Option<UserId>,
    pub created_at: DateTime<Utc>,
    pub closed_at: Option<DateTime<Utc>>,
    pub close_reason: Option<String>,
}

// ---------------------------------------------------------------- quotes

use guanxi_core::quote::QuoteStatus;
use guanxi_core::QuoteId;

#[derive(Clone, Debug)]
pub struct NewQuote {
    pub customer_id: CustomerId,
    /// The deal it prices (an opportunity of the same customer).
    pub opportunity_id: Option<OpportunityId>,
    pub currency: Currency,
    /// Lines priced like an order's: a product of the catalogue or a description with a price,
    /// less a discount.
    pub lines: Vec<NewOrderLine>,
    /// Basis points (13 % VAT = 1300).
    pub tax_rate_bp: i64,
    pub valid_until: Option<chrono::NaiveDate>,
    pub note: Option<String>,
}

#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct Quote {
    pub id: QuoteId,
    pub customer_id: CustomerId,
    pub opportunity_id: Option<OpportunityId>,
    pub status: QuoteStatus,
    pub currency: Currency,
    /// The lines after their discounts, minor units.
    pub subtotal: i64,
    pub tax_rate_bp: i64,
    pub tax: i64,
    pub total: i64,
    pub valid_until: Option<chrono::NaiveDate>,
    pub note: Option<String>,
    /// The order it became.
    pub order_id: Option<OrderId>,
    pub owner_id: Option<UserId>,
    pub lines: Vec<OrderLine>,
    pub version: i64,
    pub created_at: DateTime<Utc>,
    pub updated_at: DateTime<Utc>,
}

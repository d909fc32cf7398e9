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

pub(crate) fn money(
    e: &mut Errors,
    path: &str,
    raw: Option<&str>,
    currency: Currency,
) -> Option<i64> {
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

pub(crate) fn currency(e: &mut Errors, raw: Option<&str>) -> Currency {
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
    /// The opportunity (of the same customer) this order closes.
    pub opportunity_id: Option<i64>,
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
        let lines = parse_lines(&mut e, self.lines, cur);
        let expected_total = money(&mut e, "total", self.total.as_deref(), cur);
        e.finish()?;
        Ok(NewOrder {
            customer_id: customer.unwrap_or(CustomerId(0)),
            opportunity_id: self.opportunity_id.map(guanxi_core::OpportunityId),
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
    pub opportunity_id: Option<i64>,
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
            opportunity_id: o.opportunity_id.map(|x| x.get()),
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

// ---------------------------------------------------------------- pipelines and opportunities

use guanxi_core::pipeline::{StageKind, StageSpec};
use guanxi_store::{BoardColumn, NewOpportunity, NewPipeline, Opportunity, Pipeline, Stage};

#[derive(Debug, Default, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct CreateStage {
    #[schema(value_type = String, example = "方案报价")]
    pub name: Option<String>,
    /// Percent: open stages 0–100, the won stage 100, the lost stage 0.
    #[schema(value_type = i64, example = 50)]
    pub probability: Option<i64>,
    /// `open` (default), `won` or `lost`.
    pub kind: Option<String>,
}

/// A pipeline: open stages in order, exactly one won and one lost stage.
#[derive(Debug, Default, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct CreatePipeline {
    #[schema(value_type = String, example = "渠道销售")]
    pub name: Option<String>,
    pub stages: Option<Vec<CreateStage>>,
}

impl CreatePipeline {
    pub fn parse(self) -> Result<NewPipeline, DomainError> {
        let mut e = Errors::new();
        let name = required(&mut e, "name", self.name.as_deref())
            .and_then(|v| e.take(at(text::line(v, LINE_MAX), "name")))
            .unwrap_or_default();
        let mut stages = Vec::new();
        for (i, s) in required(&mut e, "stages", self.stages)
            .unwrap_or_default()
            .into_iter()
            .enumerate()
        {
            let p = |f: &str| format!("stages[{i}].{f}");
            let name = required(&mut e, &p("name"), s.name.as_deref())
                .and_then(|v| e.take(at(text::line(v, 60), &p("name"))));
            let kind = match s.kind.as_deref() {
                None => Some(StageKind::Open),
                Some(k) => e.take(at(StageKind::parse(k), &p("kind"))),
            };
            let probability = required(&mut e, &p("probability"), s.probability);
            if let (Some(name), Some(kind), Some(probability)) = (name, kind, probability) {
                stages.push(StageSpec {
                    name,
                    probability,
                    kind,
                });
            }
        }
        e.finish()?;
        guanxi_core::pipeline::check_stages(&stages)?;
        Ok(NewPipeline { name, stages })
    }
}

#[derive(Debug, Serialize, ToSchema)]
pub struct StageView {
    pub id: i64,
    pub position: i64,
    pub name: String,
    pub probability: i64,
    #[schema(example = "open")]
    pub kind: String,
}

impl From<Stage> for StageView {
    fn from(s: Stage) -> Self {
        Self {
            id: s.id.get(),
            position: s.position,
            name: s.name,
            probability: s.probability,
            kind: s.kind.as_str().to_owned(),
        }
    }
}

#[derive(Debug, Serialize, ToSchema)]
pub struct PipelineView {
    pub id: i64,
    pub name: String,
    pub stages: Vec<StageView>,
    pub created_at: DateTime<Utc>,
}

impl From<Pipeline> for PipelineView {
    fn from(p: Pipeline) -> Self {
        Self {
            id: p.id.get(),
            name: p.name,
            stages: p.stages.into_iter().map(Into::into).collect(),
            created_at: p.created_at,
        }
    }
}

#[derive(Debug, Serialize, ToSchema)]
pub struct PipelineList {
    pub items: Vec<PipelineView>,
}

#[derive(Debug, Default, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct CreateOpportunity {
    pub customer_id: Option<i64>,
    pub pipeline_id: Option<i64>,
    /// An open stage of the pipeline; the first when left out.
    pub stage_id: Option<i64>,
    #[schema(value_type = String, example = "500M 宽带续约")]
    pub name: Option<String>,
    /// Decimal, in the currency's units.
    #[schema(value_type = String, example = "15800.00")]
    pub amount: Option<String>,
    pub currency: Option<String>,
    /// `YYYY-MM-DD`.
    pub expected_close: Option<String>,
    pub owner_id: Option<i64>,
}

impl CreateOpportunity {
    pub fn parse(self) -> Result<NewOpportunity, DomainError> {
        let mut e = Errors::new();
        let customer = required(&mut e, "customer_id", self.customer_id).map(CustomerId);
        let pipeline = required(&mut e, "pipeline_id", self.pipeline_id);
        let name = required(&mut e, "name", self.name.as_deref())
            .and_then(|v| e.take(at(text::line(v, LINE_MAX), "name")))
            .unwrap_or_default();
        let cur = currency(&mut e, self.currency.as_deref());
        let amount = required(&mut e, "amount", self.amount.as_deref())
            .and_then(|a| money(&mut e, "amount", Some(a), cur));
        let expected_close = self
            .expected_close
            .as_deref()
            .and_then(|d| e.take(at(super::parse_date(d), "expected_close")));
        e.finish()?;
        Ok(NewOpportunity {
            customer_id: customer.unwrap_or(CustomerId(0)),
            pipeline_id: guanxi_core::PipelineId(pipeline.unwrap_or(0)),
            stage_id: self.stage_id.map(guanxi_core::StageId),
            name,
            amount: amount.unwrap_or(0),
            currency: cur,
            expected_close,
            owner_id: self.owner_id.map(UserId),
        })
    }
}

#[derive(Debug, Default, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct MoveOpportunity {
    /// A stage of the same pipeline; its won or lost stage closes the opportunity.
    pub stage_id: Option<i64>,
    /// Why it was won or lost; required to lose.
    #[schema(example = "价格高于竞争对手")]
    pub reason: Option<String>,
}

impl MoveOpportunity {
    pub fn parse(self) -> Result<(guanxi_core::StageId, Option<String>), DomainError> {
        let mut e = Errors::new();
        let stage = required(&mut e, "stage_id", self.stage_id).map(guanxi_core::StageId);
        let reason = self
            .reason
            .as_deref()
            .and_then(|r| e.take(at(text::line(r, LINE_MAX), "reason")));
        e.finish()?;
        Ok((stage.unwrap_or(guanxi_core::StageId(0)), reason))
    }
}

#[derive(Debug, Serialize, ToSchema)]
pub struct OpportunityView {
    pub id: i64,
    pub customer_id: i64,
    pub customer_name: String,
    pub pipeline_id: i64,
    pub stage_id: i64,
    pub name: String,
    #[schema(example = "15800.00")]
    pub amount: String,
    pub amount_minor: i64,
    pub currency: String,
    pub expected_close: Option<chrono::NaiveDate>,
    pub owner_id: Option<i64>,
    /// `open`, `won` or `lost`.
    pub status: String,
    pub close_reason: Option<String>,
    pub closed_at: Option<DateTime<Utc>>,
    pub stage_since: DateTime<Utc>,
    pub version: i64,
    pub created_at: DateTime<Utc>,
    pub updated_at: DateTime<Utc>,
}

impl From<Opportunity> for OpportunityView {
    fn from(o: Opportunity) -> Self {
        Self {
            id: o.id.get(),
            customer_id: o.customer_id.get(),
            customer_name: o.customer_name,
            pipeline_id: o.pipeline_id.get(),
            stage_id: o.stage_id.get(),
            name: o.name,
            amount: Money::new(o.amount, o.currency).decimal(),
            amount_minor: o.amount,
            currency: o.currency.as_str().to_owned(),
            expected_close: o.expected_close,
            owner_id: o.owner_id.map(UserId::get),
            status: o.status.as_str().to_owned(),
            close_reason: o.close_reason,
            closed_at: o.closed_at,
            stage_since: o.stage_since,
            version: o.version,
            created_at: o.created_at,
            updated_at: o.updated_at,
        }
    }
}

#[derive(Debug, Serialize, ToSchema)]
pub struct OpportunityList {
    pub items: Vec<OpportunityView>,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct BoardColumnView {
    pub stage: StageView,
    pub count: i64,
    /// Minor units of the open opportunities in the stage.
    pub amount_minor: i64,
    /// `amount × probability`, minor units.
    pub weighted_minor: i64,
    pub items: Vec<OpportunityView>,
}

impl From<BoardColumn> for BoardColumnView {
    fn from(c: BoardColumn) -> Self {
        Self {
            stage: c.stage.into(),
            count: c.count,
            amount_minor: c.amount,
            weighted_minor: c.weighted,
            items: c.items.into_iter().map(Into::into).collect(),
        }
    }
}

#[derive(Debug, Serialize, ToSchema)]
pub struct BoardView {
    pub columns: Vec<BoardColumnView>,
}

// ---------------------------------------------------------------- activities

use guanxi_core::pipeline::ActivityKind;
use guanxi_store::{Activity, NewActivity};

/// Longest planned duration of an activity: a day.
pub const DURATION_MAX_MIN: i64 = 24 * 60;

#[derive(Debug, Default, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct CreateActivity {
    /// `task` (default), `call`, `meeting` or `visit`.
    pub kind: Option<String>,
    #[schema(value_type = String, example = "回访：宽带续约意向")]
    pub subject: Option<String>,
    pub note: Option<String>,
    pub customer_id: Option<i64>,
    pub opportunity_id: Option<i64>,
    /// A lead the activity is about; it moves to the customer the lead becomes.
    pub lead_id: Option<i64>,
    /// The signed-in user when left out.
    pub assignee_id: Option<i64>,
    /// RFC 3339.
    #[schema(value_type = String, example = "2026-12-02T10:00:00+08:00")]
    pub due_at: Option<String>,
    /// Minutes, 1–1440; default 30.
    pub duration_min: Option<i64>,
    /// RFC 3339; when to remind (must not be after `due_at`).
    pub remind_at: Option<String>,
}

impl CreateActivity {
    pub fn parse(self) -> Result<NewActivity, DomainError> {
        let mut e = Errors::new();
        let kind = match self.kind.as_deref() {
            None => Some(ActivityKind::Task),
            Some(k) => e.take(at(ActivityKind::parse(k), "kind")),
        };
        let subject = required(&mut e, "subject", self.subject.as_deref())
            .and_then(|v| e.take(at(text::line(v, LINE_MAX), "subject")))
            .unwrap_or_default();
        let note = self
            .note
            .as_deref()
            .and_then(|v| e.take(at(text::body(v, 4000), "note")));
        let due_at = required(&mut e, "due_at", self.due_at.as_deref())
            .and_then(|t| e.take(at(parse_time(t), "due_at")));
        let remind_at = self
            .remind_at
            .as_deref()
            .and_then(|t| e.take(at(parse_time(t), "remind_at")));
        if let (Some(r), Some(d)) = (remind_at, due_at) {
            if r > d {
                e.push(
                    "remind_at",
                    Reason::TooFarInFuture {
                        latest: d.to_rfc3339(),
                    },
                );
            }
        }
        let duration = self.duration_min.unwrap_or(30);
        if !(1..=DURATION_MAX_MIN).contains(&duration) {
            e.push(
                "duration_min",
                Reason::OutOfRange {
                    min: 1,
                    max: DURATION_MAX_MIN,
                },
            );
        }
        e.finish()?;
        Ok(NewActivity {
            kind: kind.unwrap_or(ActivityKind::Task),
            subject,
            note,
            customer_id: self.customer_id.map(CustomerId),
            opportunity_id: self.opportunity_id.map(guanxi_core::OpportunityId),
            lead_id: self.lead_id.map(guanxi_core::LeadId),
            assignee_id: self.assignee_id.map(UserId),
            due_at: due_at.unwrap_or_else(Utc::now),
            duration_min: duration,
            remind_at,
        })
    }
}

#[derive(Debug, Serialize, ToSchema)]
pub struct ActivityView {
    pub id: i64,
    #[schema(example = "call")]
    pub kind: String,
    pub subject: String,
    pub note: Option<String>,
    pub customer_id: Option<i64>,
    pub customer_name: Option<String>,
    pub opportunity_id: Option<i64>,
    pub lead_id: Option<i64>,
    pub assignee_id: i64,
    pub due_at: DateTime<Utc>,
    pub duration_min: i64,
    pub remind_at: Option<DateTime<Utc>>,
    pub done_at: Option<DateTime<Utc>>,
    pub version: i64,
    pub created_at: DateTime<Utc>,
}

impl From<Activity> for ActivityView {
    fn from(a: Activity) -> Self {
        Self {
            id: a.id.get(),
            kind: a.kind.as_str().to_owned(),
            subject: a.subject,
            note: a.note,
            customer_id: a.customer_id.map(CustomerId::get),
            customer_name: a.customer_name,
            opportunity_id: a.opportunity_id.map(|o| o.get()),
            lead_id: a.lead_id.map(|l| l.get()),
            assignee_id: a.assignee_id.get(),
            due_at: a.due_at,
            duration_min: a.duration_min,
            remind_at: a.remind_at,
            done_at: a.done_at,
            version: a.version,
            created_at: a.created_at,
        }
    }
}

#[derive(Debug, Serialize, ToSchema)]
pub struct ActivityList {
    pub items: Vec<ActivityView>,
}

/// The secret URL of a calendar feed, shown once.
#[derive(Debug, Serialize, ToSchema)]
pub struct CalendarFeedView {
    /// Subscribe to it in a calendar client. Anyone with it reads your activities: keep it
    /// secret; asking again makes a new URL and ends the old one.
    #[schema(example = "/calendar/gxc_….ics")]
    pub url: String,
}

// ---------------------------------------------------------------- forecast

use guanxi_store::{Forecast, ForecastRow};

#[derive(Debug, Serialize, ToSchema)]
pub struct ForecastRowView {
    /// `YYYY-MM` (empty: no expected close date), a user id or a team id (empty: none).
    pub key: String,
    pub count: i64,
    pub amount_minor: i64,
    pub weighted_minor: i64,
}

impl From<ForecastRow> for ForecastRowView {
    fn from(r: ForecastRow) -> Self {
        Self {
            key: r.key,
            count: r.count,
            amount_minor: r.amount,
            weighted_minor: r.weighted,
        }
    }
}

#[derive(Debug, Serialize, ToSchema)]
pub struct ForecastView {
    pub by_month: Vec<ForecastRowView>,
    pub by_owner: Vec<ForecastRowView>,
    pub by_team: Vec<ForecastRowView>,
    pub won: i64,
    pub lost: i64,
    /// `won / (won + lost)`; `null` before anything closed.
    pub win_rate: Option<f64>,
    pub won_amount_minor: i64,
    pub average_cycle_days: Option<f64>,
}

impl From<Forecast> for ForecastView {
    fn from(f: Forecast) -> Self {
        let closed = f.won + f.lost;
        Self {
            by_month: f.by_month.into_iter().map(Into::into).collect(),
            by_owner: f.by_owner.into_iter().map(Into::into).collect(),
            by_team: f.by_team.into_iter().map(Into::into).collect(),
            win_rate: (closed > 0).then(|| f.won as f64 / closed as f64),
            won: f.won,
            lost: f.lost,
            won_amount_minor: f.won_amount,
            average_cycle_days: f.average_cycle_days,
        }
    }
}

/// Order or quote lines: each a product or a description with a price, a quantity and a
/// discount; every bad field named with its line.
pub(crate) fn parse_lines(
    e: &mut Errors,
    given: Option<Vec<CreateOrderLine>>,
    cur: Currency,
) -> Vec<NewOrderLine> {
    let mut lines = Vec::new();
    match given {
        None => e.push("lines", Reason::Required),
        Some(ls) => {
            for (i, l) in ls.into_iter().enumerate() {
                let p = |f: &str| format!("lines[{i}].{f}");
                let description = l
                    .description
                    .as_deref()
                    .and_then(|v| e.take(at(text::line(v, LINE_MAX), &p("description"))));
                let unit_price = money(e, &p("unit_price"), l.unit_price.as_deref(), cur);
                let discount = money(e, &p("discount"), l.discount.as_deref(), cur).unwrap_or(0);
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
    lines
}

// ---------------------------------------------------------------- quotes

use guanxi_core::quote::{QuoteStatus, TAX_RATE_MAX_BP};
use guanxi_store::{NewQuote, Quote};

/// A tax rate in percent as people write it (`13`, `6.5`, `0`) → basis points.
pub fn parse_tax_percent(s: &str) -> Result<i64, DomainError> {
    let bad = || {
        DomainError::field(
            "",
            Reason::OutOfRange {
                min: 0,
                max: TAX_RATE_MAX_BP / 100,
            },
        )
    };
    let t = s.trim().trim_end_matches('%').trim();
    let (whole, frac) = t.split_once('.').unwrap_or((t, ""));
    if whole.is_empty() || whole.len() > 3 || frac.len() > 2 {
        return Err(bad());
    }
    if !whole
        .bytes()
        .chain(frac.bytes())
        .all(|b| b.is_ascii_digit())
    {
        return Err(bad());
    }
    let w: i64 = whole.parse().map_err(|_| bad())?;
    let f: i64 = if frac.is_empty() {
        0
    } else {
        format!("{frac:0<2}").parse().map_err(|_| bad())?
    };
    let bp = w * 100 + f;
    if bp > TAX_RATE_MAX_BP {
        return Err(bad());
    }
    Ok(bp)
}

#[derive(Debug, Default, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct CreateQuote {
    pub customer_id: Option<i64>,
    /// The opportunity (of the same customer) the quote prices.
    pub opportunity_id: Option<i64>,
    pub currency: Option<String>,
    pub lines: Option<Vec<CreateOrderLine>>,
    /// Percent, up to two decimals (`"13"` for 13 % VAT); default 0.
    #[schema(value_type = Option<String>, example = "13")]
    pub tax_rate: Option<String>,
    /// `YYYY-MM-DD`.
    pub valid_until: Option<String>,
    pub note: Option<String>,
}

impl CreateQuote {
    pub fn parse(self) -> Result<NewQuote, DomainError> {
        let mut e = Errors::new();
        let customer = required(&mut e, "customer_id", self.customer_id).map(CustomerId);
        let cur = currency(&mut e, self.currency.as_deref());
        let lines = parse_lines(&mut e, self.lines, cur);
        let tax_rate_bp = match self.tax_rate.as_deref() {
            None => 0,
            Some(t) => e.take(at(parse_tax_percent(t), "tax_rate")).unwrap_or(0),
        };
        let valid_until = self
            .valid_until
            .as_deref()
            .filter(|v| !v.trim().is_empty())
            .and_then(|v| e.take(at(super::parse_date(v), "valid_until")));
        let note = self
            .note
            .as_deref()
            .and_then(|v| e.take(at(text::body(v, 2000), "note")));
        e.finish()?;
        Ok(NewQuote {
            customer_id: customer.unwrap_or(CustomerId(0)),
            opportunity_id: self.opportunity_id.map(guanxi_core::OpportunityId),
            currency: cur,
            lines,
            tax_rate_bp,
            valid_until,
            note,
        })
    }
}

#[derive(Debug, Default, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct ChangeQuoteStatus {
    /// `sent`, `accepted`, `rejected`, or `draft` (to reopen a rejected one).
    #[schema(value_type = String, example = "accepted")]
    pub status: Option<String>,
}

impl ChangeQuoteStatus {
    pub fn parse(self) -> Result<QuoteStatus, DomainError> {
        let mut e = Errors::new();
        let st = required(&mut e, "status", self.status.as_deref())
            .and_then(|v| e.take(at(QuoteStatus::parse(v), "status")));
        e.finish()?;
        Ok(st.unwrap_or(QuoteStatus::Draft))
    }
}

#[derive(Debug, Serialize, ToSchema)]
pub struct QuoteView {
    pub id: i64,
    pub customer_id: i64,
    pub opportunity_id: Option<i64>,
    /// `draft`, `sent`, `accepted`, `rejected` or `ordered`.
    pub status: String,
    pub currency: String,
    #[schema(example = "251.00")]
    pub subtotal: String,
    /// Percent, as sent.
    #[schema(example = "13.00")]
    pub tax_rate: String,
    #[schema(example = "32.63")]
    pub tax: String,
    #[schema(example = "283.63")]
    pub total: String,
    pub total_minor: i64,
    pub valid_until: Option<chrono::NaiveDate>,
    pub note: Option<String>,
    pub order_id: Option<i64>,
    pub lines: Vec<OrderLineView>,
    pub version: i64,
    pub created_at: DateTime<Utc>,
}

impl From<Quote> for QuoteView {
    fn from(q: Quote) -> Self {
        let m = |minor: i64| Money::new(minor, q.currency).decimal();
        Self {
            id: q.id.get(),
            customer_id: q.customer_id.get(),
            opportunity_id: q.opportunity_id.map(|o| o.get()),
            status: q.status.as_str().to_owned(),
            currency: q.currency.as_str().to_owned(),
            subtotal: m(q.subtotal),
            tax_rate: format!("{}.{:02}", q.tax_rate_bp / 100, q.tax_rate_bp % 100),
            tax: m(q.tax),
            total: m(q.total),
            total_minor: q.total,
            valid_until: q.valid_until,
            note: q.note.clone(),
            order_id: q.order_id.map(|o| o.get()),
            lines: q
                .lines
                .iter()
                .map(|l| OrderLineView {
                    position: l.position,
                    product_id: l.product_id.map(ProductId::get),
                    description: l.description.clone(),
                    quantity: l.quantity,
                    unit_price: m(l.unit_price),
                    discount: m(l.discount),
                    line_total: m(l.line_total),
                    line_total_minor: l.line_total,
                })
                .collect(),
            version: q.version,
            created_at: q.created_at,
        }
    }
}

#[derive(Debug, Serialize, ToSchema)]
pub struct QuoteList {
    pub items: Vec<QuoteView>,
}

/// A quote turned into an order.
#[derive(Debug, Serialize, ToSchema)]
pub struct QuoteOrdered {
    pub quote: QuoteView,
    pub order: OrderView,
}

#[cfg(test)]
mod quote_tests {
    use super::*;

    #[test]
    fn tax_percent() {
        assert_eq!(parse_tax_percent("13"), Ok(1300));
        assert_eq!(parse_tax_percent("6.5"), Ok(650));
        assert_eq!(parse_tax_percent(" 9% "), Ok(900));
        assert_eq!(parse_tax_percent("0"), Ok(0));
        assert_eq!(parse_tax_percent("100"), Ok(10_000));
        for bad in ["", "-1", "100.01", "13.333", "abc", "1e2", "1000"] {
            assert!(parse_tax_percent(bad).is_err(), "{bad}");
        }
    }
}

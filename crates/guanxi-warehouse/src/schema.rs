//! The stored tables (their Arrow schemas and directories) and the views built over them.

use std::sync::Arc;

use datafusion::arrow::datatypes::{DataType, Field, Schema, SchemaRef, TimeUnit};

/// The hive partition column of every fact table: the local month of the fact, `YYYY-MM`.
pub const MONTH_COLUMN: &str = "month";

/// Order statuses that count as a purchase in the summaries (as `OrderStatus::is_purchase`).
pub const PURCHASE_STATUSES: [&str; 3] = ["paid", "shipped", "completed"];

pub(crate) fn ts() -> DataType {
    DataType::Timestamp(TimeUnit::Microsecond, Some("UTC".into()))
}

/// A table as stored in Parquet, append-only.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub(crate) enum Stored {
    FactOrders,
    FactOrderLines,
    FactInteractions,
    DimCustomer,
    DimProduct,
    DimOwner,
    DimChannel,
    DimRegion,
    /// Shared by all organisations (a calendar holds nothing of anyone).
    DimDate,
}

impl Stored {
    /// The tables kept under each organisation's directory.
    pub(crate) const PER_ORG: [Stored; 8] = [
        Stored::FactOrders,
        Stored::FactOrderLines,
        Stored::FactInteractions,
        Stored::DimCustomer,
        Stored::DimProduct,
        Stored::DimOwner,
        Stored::DimChannel,
        Stored::DimRegion,
    ];

    /// Directory name (under `org=<id>/`, or `shared/` for the calendar), also the table's key
    /// in the manifest.
    pub(crate) fn dir(self) -> &'static str {
        match self {
            Stored::FactOrders => "fact_orders",
            Stored::FactOrderLines => "fact_order_lines",
            Stored::FactInteractions => "fact_interactions",
            Stored::DimCustomer => "dim_customer",
            Stored::DimProduct => "dim_product",
            Stored::DimOwner => "dim_owner",
            Stored::DimChannel => "dim_channel",
            Stored::DimRegion => "dim_region",
            Stored::DimDate => "dim_date",
        }
    }

    /// Name the stored rows are registered under in a query session (the detail level).
    pub(crate) fn registered_name(self) -> &'static str {
        match self {
            Stored::FactOrders => "fact_orders_history",
            Stored::FactOrderLines => "fact_order_lines_history",
            Stored::FactInteractions => "fact_interactions_history",
            Stored::DimCustomer => "dim_customer_versions",
            Stored::DimProduct => "dim_product_versions",
            Stored::DimOwner => "dim_owner_versions",
            Stored::DimChannel => "dim_channel_versions",
            Stored::DimRegion => "dim_region_versions",
            Stored::DimDate => "dim_date",
        }
    }

    pub(crate) fn is_fact(self) -> bool {
        matches!(
            self,
            Stored::FactOrders | Stored::FactOrderLines | Stored::FactInteractions
        )
    }

    /// The columns inside the Parquet files (the month partition is not among them).
    pub(crate) fn file_schema(self) -> SchemaRef {
        let i64n = |n: &str| Field::new(n, DataType::Int64, false);
        let i64o = |n: &str| Field::new(n, DataType::Int64, true);
        let i32n = |n: &str| Field::new(n, DataType::Int32, false);
        let strn = |n: &str| Field::new(n, DataType::Utf8, false);
        let stro = |n: &str| Field::new(n, DataType::Utf8, true);
        let tsn = |n: &str| Field::new(n, ts(), false);
        let fields = match self {
            Stored::FactOrders => vec![
                i64n("org_id"),
                i64n("order_id"),
                i64n("version"),
                i64n("load_seq"),
                i64n("customer_id"),
                i64n("customer_key"),
                i32n("date_key"),
                tsn("ordered_at"),
                tsn("updated_at"),
                strn("status"),
                i64o("channel_key"),
                i64o("owner_key"),
                i64o("region_key"),
                i64n("total_fen"),
                strn("currency"),
            ],
            Stored::FactOrderLines => vec![
                i64n("org_id"),
                i64n("order_id"),
                i64n("version"),
                i64n("load_seq"),
                i32n("position"),
                i32n("date_key"),
                i64o("product_key"),
                strn("description"),
                i64n("quantity"),
                i64n("unit_price_fen"),
                i64n("discount_fen"),
                i64n("line_total_fen"),
            ],
            Stored::FactInteractions => vec![
                i64n("org_id"),
                i64n("interaction_id"),
                i64n("load_seq"),
                i64n("customer_id"),
                i64n("customer_key"),
                i32n("date_key"),
                tsn("occurred_at"),
                i64o("channel_key"),
                i64o("owner_key"),
                stro("direction"),
                strn("kind"),
            ],
            Stored::DimCustomer => vec![
                i64n("org_id"),
                i64n("customer_key"),
                i64n("customer_id"),
                i64n("load_seq"),
                tsn("valid_from"),
                strn("name"),
                strn("kind"),
                stro("class"),
                stro("status"),
                i64o("owner_id"),
                stro("region"),
                Field::new("inferred", DataType::Boolean, false),
            ],
            Stored::DimProduct => vec![
                i64n("org_id"),
                i64n("product_key"),
                i64n("product_id"),
                i64n("load_seq"),
                strn("sku"),
                strn("name"),
                stro("category"),
                i64n("unit_price_fen"),
                strn("currency"),
            ],
            Stored::DimOwner => vec![
                i64n("org_id"),
                i64n("owner_key"),
                i64n("owner_id"),
                i64n("load_seq"),
                strn("name"),
                stro("team"),
            ],
            Stored::DimChannel => vec![
                i64n("org_id"),
                i64n("channel_key"),
                i64n("load_seq"),
                strn("code"),
                strn("name"),
            ],
            Stored::DimRegion => vec![
                i64n("org_id"),
                i64n("region_key"),
                i64n("load_seq"),
                strn("code"),
                strn("name"),
            ],
            Stored::DimDate => vec![
                i32n("date_key"),
                Field::new("date", DataType::Date32, false),
                i32n("year"),
                i32n("quarter"),
                i32n("month"),
                strn("month_label"),
                i32n("iso_year"),
                i32n("week"),
                i32n("weekday"),
                Field::new("is_weekend", DataType::Boolean, false),
            ],
        };
        Arc::new(Schema::new(fields))
    }

    /// The columns a query sees: the file columns, then `month` for facts.
    pub(crate) fn table_schema(self) -> SchemaRef {
        let file = self.file_schema();
        if !self.is_fact() {
            return file;
        }
        let mut fields: Vec<Field> = file.fields().iter().map(|f| f.as_ref().clone()).collect();
        fields.push(Field::new(MONTH_COLUMN, DataType::Utf8, false));
        Arc::new(Schema::new(fields))
    }

    /// The table's column names, each prefixed by `prefix` (e.g. `"l."`), comma separated.
    fn columns(self, prefix: &str) -> String {
        self.table_schema()
            .fields()
            .iter()
            .map(|f| format!("{prefix}{}", f.name()))
            .collect::<Vec<_>>()
            .join(", ")
    }
}

/// The views registered in every query session, in dependency order: `(name, SELECT …)`.
pub(crate) fn views() -> Vec<(&'static str, String)> {
    let latest = |stored: Stored, partition: &str, order: &str| {
        format!(
            "SELECT {cols} FROM (SELECT *, row_number() OVER (PARTITION BY {partition} ORDER BY {order}) AS gx_rn FROM {from}) AS t WHERE gx_rn = 1",
            cols = stored.columns(""),
            from = stored.registered_name(),
        )
    };
    let purchase = PURCHASE_STATUSES
        .iter()
        .map(|s| format!("'{s}'"))
        .collect::<Vec<_>>()
        .join(", ");
    vec![
        // Current detail: the latest version of each fact.
        (
            "fact_orders",
            latest(Stored::FactOrders, "order_id", "version DESC, load_seq DESC"),
        ),
        (
            "fact_order_lines",
            format!(
                "SELECT {cols} FROM fact_order_lines_history AS l JOIN fact_orders AS o \
                 ON l.order_id = o.order_id AND l.version = o.version AND l.load_seq = o.load_seq",
                cols = Stored::FactOrderLines.columns("l."),
            ),
        ),
        (
            "fact_interactions",
            latest(Stored::FactInteractions, "interaction_id", "load_seq DESC"),
        ),
        // Type 2 customer dimension: every version with the time it was valid.
        (
            "dim_customer",
            "SELECT org_id, customer_key, customer_id, name, kind, class, status, owner_id, region, inferred, \
             valid_from, \
             lead(valid_from) OVER (PARTITION BY customer_id ORDER BY valid_from, customer_key) AS valid_to, \
             lead(valid_from) OVER (PARTITION BY customer_id ORDER BY valid_from, customer_key) IS NULL AS is_current, \
             load_seq \
             FROM dim_customer_versions"
                .to_owned(),
        ),
        // Type 1 dimensions: the latest row per key.
        (
            "dim_product",
            latest(Stored::DimProduct, "product_key", "load_seq DESC"),
        ),
        (
            "dim_owner",
            latest(Stored::DimOwner, "owner_key", "load_seq DESC"),
        ),
        (
            "dim_channel",
            latest(Stored::DimChannel, "channel_key", "load_seq DESC"),
        ),
        (
            "dim_region",
            latest(Stored::DimRegion, "region_key", "load_seq DESC"),
        ),
        // Light summary: per customer per day, purchases only.
        (
            "summary_customer_day",
            format!(
                "SELECT org_id, customer_id, date_key, month, currency, \
                 count(*) AS orders, sum(total_fen) AS revenue_fen \
                 FROM fact_orders WHERE status IN ({purchase}) \
                 GROUP BY org_id, customer_id, date_key, month, currency"
            ),
        ),
        // High summary: per segment (customer kind and class at the time of the order) per month.
        (
            "summary_segment_month",
            format!(
                "SELECT o.org_id, o.month, c.kind AS customer_kind, c.class AS customer_class, o.currency, \
                 count(DISTINCT o.customer_id) AS customers, count(*) AS orders, sum(o.total_fen) AS revenue_fen \
                 FROM fact_orders AS o JOIN dim_customer_versions AS c ON o.customer_key = c.customer_key \
                 WHERE o.status IN ({purchase}) \
                 GROUP BY o.org_id, o.month, c.kind, c.class, o.currency"
            ),
        ),
    ]
}

//! Read-only SQL over one organisation's tables, with limits on rows, time and memory.

use std::collections::BTreeSet;
use std::path::Path;
use std::sync::Arc;
use std::time::Duration;

use datafusion::arrow::array::{Array, ArrayRef, AsArray, RecordBatch};
use datafusion::arrow::datatypes::{
    DataType, Float32Type, Float64Type, Int16Type, Int32Type, Int64Type, Int8Type, UInt16Type,
    UInt32Type, UInt64Type, UInt8Type,
};
use datafusion::arrow::util::display::{ArrayFormatter, FormatOptions};
use datafusion::catalog::TableProvider;
use datafusion::datasource::empty::EmptyTable;
use datafusion::datasource::file_format::parquet::ParquetFormat;
use datafusion::datasource::listing::{
    ListingOptions, ListingTable, ListingTableConfig, ListingTableUrl,
};
use datafusion::execution::context::SQLOptions;
use datafusion::execution::runtime_env::RuntimeEnvBuilder;
use datafusion::prelude::{SessionConfig, SessionContext};
use datafusion::sql::parser::{DFParser, Statement as DfStatement};
use datafusion::sql::sqlparser::ast::{Query, SetExpr, Statement};
use datafusion::sql::sqlparser::dialect::GenericDialect;
use futures::StreamExt;
use serde::{Deserialize, Serialize};
use serde_json::Value;

use crate::error::{Result, WarehouseError};
use crate::manifest::{load_dir, Manifest};
use crate::schema::{views, Stored, MONTH_COLUMN};

/// Limits on one query.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Limits {
    /// Rows returned at most; more are cut off and `truncated` is set.
    pub max_rows: usize,
    /// Wall time for planning and running; the query is cancelled after it.
    pub timeout: Duration,
    /// Memory the query's operators may hold (sorts, joins, aggregations).
    pub max_memory_bytes: usize,
}

impl Default for Limits {
    /// 10,000 rows, 30 seconds, 1 GiB.
    fn default() -> Self {
        Limits {
            max_rows: 10_000,
            timeout: Duration::from_secs(30),
            max_memory_bytes: 1 << 30,
        }
    }
}

/// A result column: its name and Arrow type (as Arrow prints it, e.g. `Int64`, `Utf8`).
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Column {
    pub name: String,
    pub data_type: String,
}

/// The answer to a query. Integers and booleans are JSON numbers and booleans, floats are
/// numbers (NaN and infinities become null), null is null, everything else (text, dates,
/// timestamps, decimals) is the string Arrow prints for it.
#[derive(Clone, Debug, Serialize)]
pub struct QueryResult {
    pub columns: Vec<Column>,
    pub rows: Vec<Vec<Value>>,
    /// More rows existed than `Limits::max_rows`; only the first ones are here.
    pub truncated: bool,
    /// The same rows as Arrow batches, for callers that compute on them.
    #[serde(skip)]
    pub batches: Vec<RecordBatch>,
}

impl QueryResult {
    /// RFC 4180 CSV with a header line; null is an empty field.
    pub fn to_csv(&self) -> String {
        let mut out = String::new();
        let header: Vec<String> = self.columns.iter().map(|c| csv_field(&c.name)).collect();
        out.push_str(&header.join(","));
        out.push_str("\r\n");
        for row in &self.rows {
            let fields: Vec<String> = row
                .iter()
                .map(|v| match v {
                    Value::Null => String::new(),
                    Value::String(s) => csv_field(s),
                    other => csv_field(&other.to_string()),
                })
                .collect();
            out.push_str(&fields.join(","));
            out.push_str("\r\n");
        }
        out
    }

    /// `{"columns": [...], "rows": [[...]], "truncated": bool}`.
    pub fn to_json(&self) -> Value {
        serde_json::json!({
            "columns": self.columns,
            "rows": self.rows,
            "truncated": self.truncated,
        })
    }
}

fn csv_field(s: &str) -> String {
    if s.contains([',', '"', '\n', '\r']) {
        format!("\"{}\"", s.replace('"', "\"\""))
    } else {
        s.to_owned()
    }
}

/// Parses `sql` and accepts exactly one query statement that writes nothing.
pub fn parse_read_only(sql: &str) -> Result<DfStatement> {
    let mut statements =
        DFParser::parse_sql_with_dialect(sql, &GenericDialect {}).map_err(|e| {
            WarehouseError::Syntax {
                message: e.find_root().to_string(),
            }
        })?;
    if statements.len() != 1 {
        return Err(WarehouseError::NotReadOnly {
            reason: format!("{} statements given, one is allowed", statements.len()),
        });
    }
    let Some(statement) = statements.pop_front() else {
        return Err(WarehouseError::NotReadOnly {
            reason: "no statement given".to_owned(),
        });
    };
    match &statement {
        DfStatement::Statement(s) => match &**s {
            Statement::Query(q) if query_writes(q) => Err(WarehouseError::NotReadOnly {
                reason: "the query writes (SELECT … INTO, or DML inside it)".to_owned(),
            }),
            Statement::Query(_) => Ok(statement),
            other => Err(not_a_query(&other.to_string())),
        },
        other => Err(not_a_query(&other.to_string())),
    }
}

fn not_a_query(text: &str) -> WarehouseError {
    let keyword = text.split_whitespace().next().unwrap_or_default();
    WarehouseError::NotReadOnly {
        reason: format!("{} is not a query", keyword.to_uppercase()),
    }
}

fn query_writes(q: &Query) -> bool {
    let ctes = q
        .with
        .as_ref()
        .is_some_and(|w| w.cte_tables.iter().any(|c| query_writes(&c.query)));
    ctes || set_expr_writes(&q.body)
}

fn set_expr_writes(e: &SetExpr) -> bool {
    match e {
        SetExpr::Select(s) => s.into.is_some(),
        SetExpr::Query(q) => query_writes(q),
        SetExpr::SetOperation { left, right, .. } => {
            set_expr_writes(left) || set_expr_writes(right)
        }
        SetExpr::Values(_) | SetExpr::Table(_) => false,
        SetExpr::Insert(_) | SetExpr::Update(_) | SetExpr::Delete(_) | SetExpr::Merge(_) => true,
    }
}

/// A local (single process) DataFusion session with the memory limit applied and no table.
/// This is the one place that picks the engine: a distributed (Ballista) session can be made
/// here instead, and [`register_org_tables`] fills either.
pub fn local_context(limits: &Limits) -> Result<SessionContext> {
    let runtime = RuntimeEnvBuilder::new()
        .with_memory_limit(limits.max_memory_bytes, 1.0)
        .build_arc()
        .map_err(WarehouseError::engine)?;
    let config = SessionConfig::new().with_information_schema(true);
    Ok(SessionContext::new_with_config_rt(config, runtime))
}

/// Registers one organisation's tables and views in `ctx`: only the parts the manifest lists
/// under `org=<org_id>/` (and the shared calendar), so nothing of another organisation is
/// reachable from the session.
pub async fn register_org_tables(ctx: &SessionContext, dir: &Path, org_id: i64) -> Result<()> {
    let manifest = Manifest::read(dir)?;
    register(ctx, dir, &manifest, org_id).await
}

pub(crate) async fn register(
    ctx: &SessionContext,
    dir: &Path,
    manifest: &Manifest,
    org_id: i64,
) -> Result<()> {
    for table in Stored::PER_ORG.into_iter().chain([Stored::DimDate]) {
        let provider = provider(dir, manifest, org_id, table)?;
        ctx.register_table(table.registered_name(), provider)
            .map_err(WarehouseError::engine)?;
    }
    for (name, select) in views() {
        let _created = ctx
            .sql(&format!("CREATE VIEW {name} AS {select}"))
            .await
            .map_err(WarehouseError::engine)?;
    }
    Ok(())
}

/// A listing table over the committed load directories of one table, or an empty table.
fn provider(
    dir: &Path,
    manifest: &Manifest,
    org_id: i64,
    table: Stored,
) -> Result<Arc<dyn TableProvider>> {
    let loads: BTreeSet<u64> = manifest
        .parts(org_id, table)
        .iter()
        .map(|p| p.load)
        .collect();
    if loads.is_empty() {
        return Ok(Arc::new(EmptyTable::new(table.table_schema())));
    }
    let org = (table != Stored::DimDate).then_some(org_id);
    let mut urls = Vec::with_capacity(loads.len());
    for load in loads {
        let path = dir.join(load_dir(org, table, load));
        // Built from a URL, not parsed from text, so no character of the path acts as a glob.
        let url = url::Url::from_directory_path(&path).map_err(|()| WarehouseError::Engine {
            message: format!("{} is not an absolute path", path.display()),
        })?;
        urls.push(ListingTableUrl::try_new(url, None).map_err(WarehouseError::engine)?);
    }
    let mut options =
        ListingOptions::new(Arc::new(ParquetFormat::default())).with_file_extension(".parquet");
    if table.is_fact() {
        options =
            options.with_table_partition_cols(vec![(MONTH_COLUMN.to_owned(), DataType::Utf8)]);
    }
    let config = ListingTableConfig::new_with_multi_paths(urls)
        .with_listing_options(options)
        .with_schema(table.file_schema());
    Ok(Arc::new(
        ListingTable::try_new(config).map_err(WarehouseError::engine)?,
    ))
}

/// Runs an already checked statement in `ctx` (tables registered) within the limits.
pub(crate) async fn run(
    ctx: SessionContext,
    statement: DfStatement,
    limits: &Limits,
) -> Result<QueryResult> {
    let work = async {
        let plan = ctx
            .state()
            .statement_to_plan(statement)
            .await
            .map_err(WarehouseError::from_query)?;
        SQLOptions::new()
            .with_allow_ddl(false)
            .with_allow_dml(false)
            .with_allow_statements(false)
            .verify_plan(&plan)
            .map_err(|e| WarehouseError::NotReadOnly {
                reason: e.find_root().to_string(),
            })?;
        let df = ctx
            .execute_logical_plan(plan)
            .await
            .map_err(WarehouseError::from_query)?;
        let columns: Vec<Column> = df
            .schema()
            .fields()
            .iter()
            .map(|f| Column {
                name: f.name().clone(),
                data_type: f.data_type().to_string(),
            })
            .collect();
        let mut stream = df
            .execute_stream()
            .await
            .map_err(WarehouseError::from_query)?;
        let mut batches = Vec::new();
        let mut rows = Vec::new();
        let mut truncated = false;
        while let Some(batch) = stream.next().await {
            let batch = batch.map_err(WarehouseError::from_query)?;
            if batch.num_rows() == 0 {
                continue;
            }
            let room = limits.max_rows - rows.len();
            if room == 0 {
                truncated = true;
                break;
            }
            let batch = if batch.num_rows() > room {
                truncated = true;
                batch.slice(0, room)
            } else {
                batch
            };
            push_rows(&batch, &mut rows)?;
            batches.push(batch);
            if truncated {
                break;
            }
        }
        // Dropping the stream here stops the rest of the plan.
        Ok(QueryResult {
            columns,
            rows,
            truncated,
            batches,
        })
    };
    match tokio::time::timeout(limits.timeout, work).await {
        Ok(result) => result,
        Err(_) => Err(WarehouseError::Timeout(limits.timeout)),
    }
}

fn push_rows(batch: &RecordBatch, rows: &mut Vec<Vec<Value>>) -> Result<()> {
    let options = FormatOptions::default();
    let formatters = batch
        .columns()
        .iter()
        .map(|c| ArrayFormatter::try_new(c.as_ref(), &options))
        .collect::<std::result::Result<Vec<_>, _>>()
        .map_err(WarehouseError::engine)?;
    for i in 0..batch.num_rows() {
        rows.push(
            batch
                .columns()
                .iter()
                .zip(&formatters)
                .map(|(c, f)| cell(c, i, f))
                .collect(),
        );
    }
    Ok(())
}

fn cell(a: &ArrayRef, i: usize, f: &ArrayFormatter<'_>) -> Value {
    if a.is_null(i) {
        return Value::Null;
    }
    let float = |x: f64| serde_json::Number::from_f64(x).map_or(Value::Null, Value::Number);
    match a.data_type() {
        DataType::Boolean => Value::Bool(a.as_boolean().value(i)),
        DataType::Int8 => a.as_primitive::<Int8Type>().value(i).into(),
        DataType::Int16 => a.as_primitive::<Int16Type>().value(i).into(),
        DataType::Int32 => a.as_primitive::<Int32Type>().value(i).into(),
        DataType::Int64 => a.as_primitive::<Int64Type>().value(i).into(),
        DataType::UInt8 => a.as_primitive::<UInt8Type>().value(i).into(),
        DataType::UInt16 => a.as_primitive::<UInt16Type>().value(i).into(),
        DataType::UInt32 => a.as_primitive::<UInt32Type>().value(i).into(),
        DataType::UInt64 => a.as_primitive::<UInt64Type>().value(i).into(),
        DataType::Float32 => float(f64::from(a.as_primitive::<Float32Type>().value(i))),
        DataType::Float64 => float(a.as_primitive::<Float64Type>().value(i)),
        _ => Value::String(f.value(i).to_string()),
    }
}

//! The data warehouse from the operational side: the incremental load (数据抽取与加载) from
//! the store into `guanxi-warehouse`, `guanxi warehouse load | sql | status`, the server's
//! scheduled load, and the engine behind the API's analyst SQL.
//!
//! A load reads a window of changes: every row whose `updated_at` lies after the stored
//! watermark and up to the store's clock less a lag (so that a transaction that took its time
//! stamp before the window closed but commits after it is still seen). It reads table by
//! table in pages and commits a batch every [`BATCH_ROWS`] rows; every batch but the last keeps
//! the watermark and stores a cursor (`until|table|id`), the last moves the watermark to the
//! window's end. A load that dies part-way resumes from the cursor with the same window, so no
//! row is loaded twice and none is skipped.

use anyhow::Context;
use async_trait::async_trait;
use guanxi_api::warehouse::{Answer, Refusal};
use guanxi_core::{OrgId, Reason};
use guanxi_store::warehouse::{ExtractCursor, ExtractTable, ExtractWindow, LoadBatch};
use guanxi_store::Store;
use guanxi_warehouse::{Limits, Warehouse, WarehouseError};
use serde::Serialize;
use std::path::PathBuf;
use std::sync::Arc;
use std::time::{Duration, Instant};

/// Rows read per page from the store.
const PAGE_ROWS: u32 = 20_000;
/// Rows gathered before a batch is committed (bounds memory: about 1 KB a row at most).
pub const BATCH_ROWS: usize = 100_000;

/// What a load did.
#[derive(Clone, Debug, Default, Serialize)]
pub struct LoadSummary {
    /// Batches committed (0 when nothing changed and the watermark did not move).
    pub batches: u64,
    pub orders: u64,
    pub order_lines: u64,
    pub interactions: u64,
    pub customer_versions: u64,
    pub dimension_rows: u64,
    pub parts: u64,
    /// The window loaded, in microseconds since the epoch.
    pub after: Option<i64>,
    pub until: i64,
    /// Whether the load resumed a window that an earlier load left part-done.
    pub resumed: bool,
    pub seconds: f64,
}

/// Progress of a load: rows read so far and the table being read.
#[derive(Clone, Copy, Debug)]
pub struct LoadProgress {
    pub rows: u64,
    pub table: ExtractTable,
}

fn rows_in(b: &LoadBatch) -> usize {
    b.customers.len()
        + b.products.len()
        + b.owners.len()
        + b.channels.len()
        + b.regions.len()
        + b.orders.len()
        + b.interactions.len()
}

fn append(into: &mut LoadBatch, from: LoadBatch) {
    into.customers.extend(from.customers);
    into.products.extend(from.products);
    into.owners.extend(from.owners);
    into.channels.extend(from.channels);
    into.regions.extend(from.regions);
    into.orders.extend(from.orders);
    into.interactions.extend(from.interactions);
}

fn cursor_text(until: i64, c: ExtractCursor) -> String {
    format!("{until}|{}|{}", c.table.as_str(), c.after_id)
}

fn parse_cursor(text: &str) -> anyhow::Result<(i64, ExtractCursor)> {
    let mut parts = text.split('|');
    let (Some(until), Some(table), Some(id), None) =
        (parts.next(), parts.next(), parts.next(), parts.next())
    else {
        anyhow::bail!("the warehouse's stored cursor {text:?} is not until|table|id");
    };
    let table = ExtractTable::ALL
        .into_iter()
        .find(|t| t.as_str() == table)
        .with_context(|| format!("the warehouse's stored cursor names table {table:?}"))?;
    Ok((
        until.parse().context("the stored cursor's window end")?,
        ExtractCursor {
            table,
            after_id: id.parse().context("the stored cursor's id")?,
        },
    ))
}

/// Loads everything that changed since the last load (or resumes a load left part-done).
pub async fn load(
    store: &dyn Store,
    wh: &Warehouse,
    lag: Duration,
    mut progress: impl FnMut(LoadProgress),
) -> anyhow::Result<LoadSummary> {
    let started = Instant::now();
    let stored = wh.watermark()?;
    let (until, mut cursor, resumed) = match wh.cursor()? {
        Some(text) => {
            let (until, cursor) = parse_cursor(&text)?;
            (until, cursor, true)
        }
        None => {
            let lag = i64::try_from(lag.as_micros()).unwrap_or(i64::MAX);
            (
                store.store_now().await?.saturating_sub(lag),
                ExtractCursor::START,
                false,
            )
        }
    };
    let after = stored.unwrap_or(i64::MIN);
    let mut summary = LoadSummary {
        after: stored.filter(|w| *w != i64::MIN),
        until,
        resumed,
        ..LoadSummary::default()
    };
    if until <= after && !resumed {
        summary.seconds = started.elapsed().as_secs_f64();
        return Ok(summary);
    }
    let window = ExtractWindow { after, until };
    let mut pending = LoadBatch::default();
    let mut read = 0u64;
    loop {
        let page = store
            .warehouse_extract(window, cursor, PAGE_ROWS)
            .await
            .with_context(|| format!("reading {} from the store", cursor.table.as_str()))?;
        read += rows_in(&page.rows) as u64;
        progress(LoadProgress {
            rows: read,
            table: cursor.table,
        });
        append(&mut pending, page.rows);
        let last = page.next.is_none();
        if last || rows_in(&pending) >= BATCH_ROWS {
            let mut batch = std::mem::take(&mut pending);
            match page.next {
                Some(next) => {
                    batch.watermark = after;
                    batch.cursor = Some(cursor_text(until, next));
                }
                None => batch.watermark = until,
            }
            let r = wh.load(batch).await?;
            summary.batches += 1;
            summary.orders += r.orders;
            summary.order_lines += r.order_lines;
            summary.interactions += r.interactions;
            summary.customer_versions += r.customer_versions;
            summary.dimension_rows += r.dimension_rows;
            summary.parts += r.parts;
        }
        match page.next {
            Some(next) => cursor = next,
            None => break,
        }
    }
    summary.seconds = started.elapsed().as_secs_f64();
    Ok(summary)
}

/// The warehouse behind the API's analyst SQL.
pub struct Engine {
    pub warehouse: Warehouse,
    pub limits: Limits,
}

impl Engine {
    pub fn open(settings: &guanxi_config::Settings) -> anyhow::Result<Engine> {
        Ok(Engine {
            warehouse: Warehouse::open(&settings.warehouse_dir)
                .with_context(|| format!("opening the warehouse in {}", settings.warehouse_dir))?,
            limits: limits_of(settings),
        })
    }
}

pub fn limits_of(settings: &guanxi_config::Settings) -> Limits {
    Limits {
        max_rows: settings.warehouse_max_rows as usize,
        timeout: Duration::from_secs(u64::from(settings.warehouse_timeout_seconds)),
        ..Limits::default()
    }
}

/// Sorts a warehouse error into what the caller of a query can fix and what they cannot.
pub fn refusal(e: WarehouseError) -> Refusal {
    match e {
        WarehouseError::NotReadOnly { .. } => Refusal::Sql(Reason::ReadOnlyQuery),
        WarehouseError::Syntax { message } | WarehouseError::Query { message } => {
            Refusal::Sql(Reason::QueryFailed { detail: message })
        }
        WarehouseError::Timeout(t) => Refusal::Sql(Reason::QueryTimeout {
            seconds: t.as_secs().max(1),
        }),
        WarehouseError::ResourcesExhausted { .. } => Refusal::Sql(Reason::QueryTooLarge),
        other => Refusal::Broken(other.to_string()),
    }
}

#[async_trait]
impl guanxi_api::warehouse::Warehouse for Engine {
    async fn query(&self, org: OrgId, sql: &str) -> Result<Answer, Refusal> {
        let result = self
            .warehouse
            .sql(org.get(), sql, &self.limits)
            .await
            .map_err(refusal)?;
        Ok(Answer {
            json: result.to_json(),
            csv: result.to_csv(),
        })
    }

    async fn status(&self, org: OrgId) -> Result<serde_json::Value, Refusal> {
        let status = self.warehouse.status().map_err(refusal)?;
        let tables: Vec<_> = status
            .tables
            .iter()
            .filter(|t| t.org_id.is_none_or(|o| o == org.get()))
            .map(|t| serde_json::json!({"table": t.table, "parts": t.parts, "rows": t.rows}))
            .collect();
        let loaded_until = status
            .watermark
            .filter(|w| *w != i64::MIN)
            .and_then(chrono::DateTime::from_timestamp_micros);
        Ok(serde_json::json!({
            "loaded_until": loaded_until,
            "loads": status.load_seq,
            "loading": status.cursor.is_some(),
            "tables": tables,
        }))
    }
}

/// Load what changed every `every`, the first time shortly after start-up. A load that fails
/// (another one holds the lock, the disk is full) is logged and tried again at the next tick.
pub async fn load_on_schedule(store: Arc<dyn Store>, wh: Warehouse, every: Duration) {
    let mut tick = tokio::time::interval_at(tokio::time::Instant::now() + every / 10, every);
    tick.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
    loop {
        tick.tick().await;
        match load(store.as_ref(), &wh, LAG, |_| {}).await {
            Ok(s) => tracing::info!(
                batches = s.batches,
                orders = s.orders,
                interactions = s.interactions,
                seconds = s.seconds,
                "warehouse load done"
            ),
            Err(e) => tracing::warn!(error = %e, "warehouse load failed"),
        }
    }
}

/// How far behind the store's clock a window ends by default.
pub const LAG: Duration = Duration::from_secs(10);

#[derive(clap::Subcommand, Debug)]
pub enum WarehouseCommand {
    /// Load what changed in the operational database since the last load (all organisations).
    Load {
        /// Warehouse directory (default: the `warehouse_dir` setting).
        #[arg(long)]
        dir: Option<PathBuf>,
        /// Leave out changes younger than this many seconds (commits still in flight).
        #[arg(long, default_value_t = 10)]
        lag_seconds: u64,
        /// No progress bar.
        #[arg(long)]
        quiet: bool,
    },
    /// Run one read-only SQL query over an organisation's warehouse tables.
    Sql {
        /// The organisation's id.
        #[arg(long)]
        org: i64,
        #[arg(long)]
        dir: Option<PathBuf>,
        /// `table`, `csv` or `json`.
        #[arg(long, default_value = "table")]
        format: String,
        /// Most rows (default: the `warehouse_max_rows` setting).
        #[arg(long)]
        max_rows: Option<usize>,
        /// Seconds before the query is cancelled (default: `warehouse_timeout_seconds`).
        #[arg(long)]
        timeout_seconds: Option<u64>,
        /// Run it on a Ballista cluster through its scheduler (`df://host:port`) instead of in
        /// this process; the scheduler and executors must see the same warehouse directory.
        #[arg(long)]
        cluster: Option<String>,
        /// The query, e.g. "SELECT month, sum(revenue_fen) FROM summary_segment_month GROUP BY month".
        sql: String,
    },
    /// What the warehouse holds: the watermark, loads, and rows per table.
    Status {
        #[arg(long)]
        dir: Option<PathBuf>,
    },
}

fn open_dir(settings: &guanxi_config::Settings, dir: Option<PathBuf>) -> anyhow::Result<Warehouse> {
    let dir = dir.unwrap_or_else(|| PathBuf::from(&settings.warehouse_dir));
    Warehouse::open(&dir).with_context(|| format!("opening the warehouse in {}", dir.display()))
}

pub async fn run(settings: &guanxi_config::Settings, cmd: WarehouseCommand) -> anyhow::Result<()> {
    match cmd {
        WarehouseCommand::Load {
            dir,
            lag_seconds,
            quiet,
        } => {
            let wh = open_dir(settings, dir)?;
            let store = crate::server::open_store(settings).await?;
            let bar = if quiet {
                indicatif::ProgressBar::hidden()
            } else {
                indicatif::ProgressBar::new_spinner()
            };
            let b = bar.clone();
            let s = load(&store, &wh, Duration::from_secs(lag_seconds), move |p| {
                b.set_message(format!("{} rows read ({})", p.rows, p.table.as_str()));
                b.tick();
            })
            .await?;
            bar.finish_and_clear();
            println!(
                "{} batches: {} orders ({} lines), {} interactions, {} customer versions, {} other dimension rows, {} files in {:.1} s{}",
                s.batches,
                s.orders,
                s.order_lines,
                s.interactions,
                s.customer_versions,
                s.dimension_rows,
                s.parts,
                s.seconds,
                if s.resumed { " (resumed an interrupted load)" } else { "" }
            );
            Ok(())
        }
        WarehouseCommand::Sql {
            org,
            dir,
            format,
            max_rows,
            timeout_seconds,
            cluster,
            sql,
        } => {
            let wh = open_dir(settings, dir)?;
            let mut limits = limits_of(settings);
            if let Some(n) = max_rows {
                limits.max_rows = n.clamp(1, 10_000_000);
            }
            if let Some(t) = timeout_seconds {
                limits.timeout = Duration::from_secs(t.clamp(1, 86_400));
            }
            let result = match cluster {
                Some(url) => guanxi_cluster::run_sql(&wh, &url, org, &sql, &limits).await?,
                None => wh.sql(org, &sql, &limits).await?,
            };
            match format.as_str() {
                "csv" => print!("{}", result.to_csv()),
                "json" => println!("{}", serde_json::to_string_pretty(&result.to_json())?),
                "table" => {
                    let pretty =
                        guanxi_warehouse::datafusion::arrow::util::pretty::pretty_format_batches(
                            &result.batches,
                        )?;
                    println!("{pretty}");
                }
                other => anyhow::bail!("--format {other:?}: use table, csv or json"),
            }
            if result.truncated {
                eprintln!(
                    "(only the first {} rows; raise --max-rows for more)",
                    limits.max_rows
                );
            }
            Ok(())
        }
        WarehouseCommand::Status { dir } => {
            let wh = open_dir(settings, dir)?;
            println!("{}", serde_json::to_string_pretty(&wh.status()?)?);
            Ok(())
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_cursor_reads_back_as_written() {
        let c = ExtractCursor {
            table: ExtractTable::Orders,
            after_id: 42,
        };
        let text = cursor_text(1_700_000_000_000_000, c);
        assert_eq!(
            parse_cursor(&text).expect("parse"),
            (1_700_000_000_000_000, c)
        );
        assert!(parse_cursor("1|tickets|3").is_err());
        assert!(parse_cursor("1|orders").is_err());
        assert!(parse_cursor("x|orders|3").is_err());
    }
}

//! Analysts' SQL over the data warehouse, as the API sees it: a port. The engine (Apache
//! DataFusion over the Parquet star schema, `guanxi-warehouse`) is plugged in by the server,
//! so this crate never links it; without a warehouse the endpoints answer 503.

use async_trait::async_trait;
use guanxi_core::{OrgId, Reason};
use serde_json::Value;

/// What a query gave: the result as JSON (`columns`, `rows`, `truncated`) and as CSV.
#[derive(Clone, Debug, PartialEq)]
pub struct Answer {
    pub json: Value,
    pub csv: String,
}

/// Why a query gave nothing.
#[derive(Clone, Debug, PartialEq)]
pub enum Refusal {
    /// The SQL itself is at fault (not read-only, does not parse or plan, too slow, too big):
    /// the caller can fix it.
    Sql(Reason),
    /// The warehouse cannot answer (unreadable files, an engine failure); logged, not sent.
    Broken(String),
}

/// The warehouse as the API needs it.
#[async_trait]
pub trait Warehouse: Send + Sync + 'static {
    /// One read-only query over organisation `org`'s tables, within the configured limits on
    /// rows, time and memory.
    async fn query(&self, org: OrgId, sql: &str) -> Result<Answer, Refusal>;
    /// What the warehouse holds for `org`: the last load, and rows per table.
    async fn status(&self, org: OrgId) -> Result<Value, Refusal>;
}

//! The one error type of the warehouse, with a variant per reason a caller may act on.

use std::path::PathBuf;
use std::time::Duration;

use datafusion::error::DataFusionError;

/// Why a load or a query failed.
#[derive(Debug, thiserror::Error)]
pub enum WarehouseError {
    /// The text is not exactly one read-only query: DDL, DML, `COPY`, `SET`, `EXPLAIN`,
    /// `SELECT … INTO`, or more than one statement.
    #[error("only one read-only query (SELECT/WITH/VALUES) is allowed: {reason}")]
    NotReadOnly { reason: String },
    /// The SQL text does not parse.
    #[error("SQL syntax error: {message}")]
    Syntax { message: String },
    /// The query parses but cannot be planned or run (unknown table or column, type error, …).
    #[error("query error: {message}")]
    Query { message: String },
    /// The query ran longer than its limit and was cancelled.
    #[error("the query ran longer than {0:?} and was cancelled")]
    Timeout(Duration),
    /// The query needed more memory than its limit.
    #[error("the query needed more memory than allowed: {message}")]
    ResourcesExhausted { message: String },
    /// A load batch that cannot be stored as given.
    #[error("invalid load batch: {message}")]
    InvalidBatch { message: String },
    /// The batch's watermark is behind what is already loaded (a replayed batch).
    #[error("watermark {given} is behind the stored watermark {current}")]
    WatermarkNotAdvanced { current: i64, given: i64 },
    /// Another load holds the warehouse's lock.
    #[error("another load is running on this warehouse")]
    Busy,
    /// `manifest.json` exists but cannot be read as a manifest.
    #[error("unreadable manifest {path}: {message}")]
    Manifest { path: PathBuf, message: String },
    /// A file system error, with the path it happened on.
    #[error("I/O error on {path}: {source}")]
    Io {
        path: PathBuf,
        #[source]
        source: std::io::Error,
    },
    /// An error inside Arrow, Parquet or DataFusion that is none of the above.
    #[error("warehouse engine error: {message}")]
    Engine { message: String },
}

pub type Result<T, E = WarehouseError> = std::result::Result<T, E>;

impl WarehouseError {
    pub(crate) fn io(path: impl Into<PathBuf>) -> impl FnOnce(std::io::Error) -> Self {
        let path = path.into();
        move |source| WarehouseError::Io { path, source }
    }

    pub(crate) fn engine(e: impl std::fmt::Display) -> Self {
        WarehouseError::Engine {
            message: e.to_string(),
        }
    }

    /// Sorts an error raised while planning or running a user's query.
    pub(crate) fn from_query(e: DataFusionError) -> Self {
        match e.find_root() {
            DataFusionError::SQL(err, _) => WarehouseError::Syntax {
                message: err.to_string(),
            },
            DataFusionError::ResourcesExhausted(m) => {
                WarehouseError::ResourcesExhausted { message: m.clone() }
            }
            DataFusionError::IoError(err) => WarehouseError::Engine {
                message: err.to_string(),
            },
            DataFusionError::Plan(m)
            | DataFusionError::NotImplemented(m)
            | DataFusionError::Execution(m) => WarehouseError::Query { message: m.clone() },
            _ => WarehouseError::Query {
                message: e.to_string(),
            },
        }
    }
}

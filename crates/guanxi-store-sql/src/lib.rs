//! The SQL implementation of [`guanxi_store::Store`] for SQLite (the embedded default) and
//! PostgreSQL (production), chosen by the URL scheme.
//!
//! One code path serves both backends through sqlx's `Any` driver: the SQL is written once in
//! the common dialect (`$1` placeholders, `RETURNING`, partial indexes work on both), times are
//! UTC microseconds in BIGINT columns, JSON is text. Each backend keeps its own migrations in
//! `migrations/<backend>/`. Where the backends must differ (write locking, outbox ordering) the
//! code branches on [`Backend`] in one place.

mod accounts;
mod activities;
mod bulk;
mod codec;
mod contacts;
mod customers;
mod duplicates;
mod events;
mod imports;
mod interactions;
mod jobs;
mod leads;
mod orgs;
mod pipeline;
mod quotes;
mod records;
mod sales;
mod scans;
mod scores;
mod search;
mod store;
pub mod testdb;
pub mod tokens;
mod users;
mod warehouse;
mod writer;

use guanxi_store::StoreError;
use sqlx::any::{AnyConnectOptions, AnyPoolOptions, AnyRow};
use sqlx::migrate::{Migration, MigrationSource, MigrationType, Migrator};
use sqlx::ConnectOptions;
use sqlx::{Any, AnyPool, Transaction};
use std::borrow::Cow;
use std::future::Future;
use std::pin::Pin;
use std::str::FromStr;
use std::time::Duration;

pub use codec::{micros_to_time, time_to_micros};

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Backend {
    Sqlite,
    Postgres,
}

impl Backend {
    pub fn from_url(url: &str) -> Result<Self, StoreError> {
        if url.starts_with("sqlite:") {
            Ok(Backend::Sqlite)
        } else if url.starts_with("postgres:") || url.starts_with("postgresql:") {
            Ok(Backend::Postgres)
        } else {
            Err(StoreError::Unavailable(
                "database URL must start with sqlite: or postgres:".into(),
            ))
        }
    }
}

/// Pool settings. The defaults suit the embedded database on a small machine.
#[derive(Clone, Debug)]
pub struct PoolSettings {
    pub max_connections: u32,
    pub acquire_timeout: Duration,
    /// SQLite only: `FULL` makes every commit durable (fsync); `NORMAL` is faster but a power
    /// cut may lose the last commits (never corrupts).
    pub sqlite_synchronous_full: bool,
    /// Rows per chunk of a customer import (one transaction each); `None` takes
    /// [`SqlStore::IMPORT_CHUNK_ROWS`].
    pub import_chunk_rows: Option<usize>,
}

impl Default for PoolSettings {
    fn default() -> Self {
        Self {
            max_connections: 8,
            acquire_timeout: Duration::from_secs(10),
            sqlite_synchronous_full: true,
            import_chunk_rows: None,
        }
    }
}

/// The store. Cheap to clone (the pool is shared).
#[derive(Clone)]
pub struct SqlStore {
    pool: AnyPool,
    backend: Backend,
    /// SQLite's group-commit writer for interactions; `None` on PostgreSQL, whose writers
    /// do not block each other.
    writer: Option<writer::Writer>,
    /// SQLite only: the one connection that writes the chunks of imports (see
    /// [`SqlStore::begin_bulk`]).
    bulk: Option<AnyPool>,
    /// Rows per chunk of a customer import.
    import_chunk_rows: usize,
}

impl std::fmt::Debug for SqlStore {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("SqlStore")
            .field("backend", &self.backend)
            .finish_non_exhaustive()
    }
}

impl SqlStore {
    /// Connect to `url` (`sqlite://path.db` or `postgres://…`). An SQLite file is created when
    /// missing. Does not migrate; call [`SqlStore::migrate`].
    pub async fn connect(url: &str, settings: &PoolSettings) -> Result<Self, StoreError> {
        sqlx::any::install_default_drivers();
        let backend = Backend::from_url(url)?;
        let url = match backend {
            Backend::Sqlite if !url.contains("mode=") => {
                let sep = if url.contains('?') { '&' } else { '?' };
                format!("{url}{sep}mode=rwc")
            }
            _ => url.to_owned(),
        };
        let sync: &'static str = if settings.sqlite_synchronous_full {
            "PRAGMA synchronous = FULL"
        } else {
            "PRAGMA synchronous = NORMAL"
        };
        let options = |max: u32, acquire_timeout: Duration| {
            let opts = AnyPoolOptions::new()
                .max_connections(max)
                .acquire_timeout(acquire_timeout);
            if backend != Backend::Sqlite {
                return opts;
            }
            opts.after_connect(move |conn, _meta| {
                Box::pin(async move {
                    for pragma in [
                        "PRAGMA journal_mode = WAL",
                        sync,
                        "PRAGMA foreign_keys = ON",
                        "PRAGMA busy_timeout = 10000",
                        "PRAGMA cache_size = -8192",
                        "PRAGMA temp_store = MEMORY",
                    ] {
                        sqlx::query(pragma).execute(&mut *conn).await?;
                    }
                    Ok(())
                })
            })
        };
        let opts = options(settings.max_connections, settings.acquire_timeout);
        // Statements are logged below `info`: their text is safe (values are bound, never
        // inlined) but long multi-row inserts would flood the log.
        let connect = AnyConnectOptions::from_str(&url)
            .map_err(|e| StoreError::Unavailable(format!("bad database URL: {e}")))?
            .log_statements(log::LevelFilter::Trace)
            .log_slow_statements(log::LevelFilter::Debug, Duration::from_millis(500));
        let pool = opts.connect_with(connect.clone()).await.map_err(db_err)?;
        let writer =
            (backend == Backend::Sqlite).then(|| writer::Writer::spawn(pool.clone(), backend));
        // Each SQLite connection runs on its own thread, and an import chunk fills its
        // connection's page cache (256 MB, given back when the chunk commits). Spread over the
        // pool's connections, each thread's allocator kept its own 256 MB: a million-row import
        // peaked at 560 MB. Chunks written through one connection reuse one cache's memory
        // (about 410 MB). Imports wait for each other's chunks, as SQLite's one writer would.
        let bulk = if backend == Backend::Sqlite {
            let opts = options(1, Duration::from_secs(600)).min_connections(0);
            Some(opts.connect_lazy_with(connect))
        } else {
            None
        };
        let import_chunk_rows = settings
            .import_chunk_rows
            .unwrap_or(Self::IMPORT_CHUNK_ROWS);
        Ok(Self {
            pool,
            backend,
            writer,
            bulk,
            import_chunk_rows: import_chunk_rows.max(1),
        })
    }

    /// Rows per chunk (one transaction) of a customer import, on both backends. On SQLite
    /// every commit writes each page the chunk changed to the WAL, and a chunk's inserts land
    /// on most leaves of the indexes whose keys arrive in no order (contact keys, reversed
    /// keys, names, search tokens): at a million customers chunks of 10,000 rows wrote 17 GB
    /// to build a 0.7 GB database. Chunks of 25,000 import as fast as chunks of 50,000 with
    /// less memory (docs/PERFORMANCE.md); the price on SQLite is a longer hold of its one
    /// write lock, which other writers wait for. PostgreSQL is no slower with them.
    pub const IMPORT_CHUNK_ROWS: usize = 25_000;

    pub fn backend_kind(&self) -> Backend {
        self.backend
    }

    /// Apply the migrations of this backend that are not applied yet.
    pub async fn migrate(&self) -> Result<(), StoreError> {
        let source = Embedded(match self.backend {
            Backend::Sqlite => SQLITE_MIGRATIONS,
            Backend::Postgres => POSTGRES_MIGRATIONS,
        });
        let migrator = Migrator::new(source)
            .await
            .map_err(|e| StoreError::Internal(format!("loading migrations: {e}")))?;
        migrator
            .run(&self.pool)
            .await
            .map_err(|e| StoreError::Internal(format!("migrating: {e}")))
    }

    /// Maintenance after a bulk load: statistics for the planner (`ANALYZE`) and, on
    /// PostgreSQL, `VACUUM` so that the visibility map lets searches use index-only scans
    /// (without it each of thousands of index entries costs a heap visit).
    pub async fn analyze(&self) -> Result<(), StoreError> {
        let sql = match self.backend {
            Backend::Sqlite => "PRAGMA optimize; ANALYZE;",
            Backend::Postgres => "VACUUM ANALYZE",
        };
        sqlx::raw_sql(sql)
            .execute(&self.pool)
            .await
            .map_err(db_err)?;
        Ok(())
    }

    /// The lowest and highest customer id of an organisation (bulk-loaded customers are
    /// numbered in a run; benchmarks spread generated records over them).
    pub async fn customer_id_range(
        &self,
        ctx: guanxi_store::Ctx,
    ) -> Result<(Option<i64>, Option<i64>), StoreError> {
        let row: (Option<i64>, Option<i64>) =
            sqlx::query_as("SELECT MIN(id), MAX(id) FROM customers WHERE org_id = $1")
                .bind(ctx.org.get())
                .fetch_one(&self.pool)
                .await
                .map_err(db_err)?;
        Ok(row)
    }

    pub fn pool(&self) -> &AnyPool {
        &self.pool
    }

    /// A write transaction. SQLite takes the write lock at once (`BEGIN IMMEDIATE`), so a
    /// transaction that reads before it writes cannot fail half-way on a lock upgrade.
    pub(crate) async fn begin_write(&self) -> Result<Transaction<'static, Any>, StoreError> {
        match self.backend {
            Backend::Sqlite => self.pool.begin_with("BEGIN IMMEDIATE").await,
            Backend::Postgres => self.pool.begin().await,
        }
        .map_err(db_err)
    }

    /// A write transaction for a chunk of an import: on SQLite through the one bulk
    /// connection, elsewhere as [`SqlStore::begin_write`].
    pub(crate) async fn begin_bulk(&self) -> Result<Transaction<'static, Any>, StoreError> {
        match &self.bulk {
            Some(bulk) => bulk.begin_with("BEGIN IMMEDIATE").await.map_err(db_err),
            None => self.begin_write().await,
        }
    }
}

/// Map a driver error to the storage error. Unique violations become conflicts; connection
/// trouble becomes `Unavailable`; the rest is internal (logged, not shown).
pub(crate) fn db_err(e: sqlx::Error) -> StoreError {
    match &e {
        sqlx::Error::Database(d) if d.is_unique_violation() => StoreError::Conflict {
            field: d.constraint().unwrap_or("").to_owned(),
            reason: guanxi_core::Reason::Conflict,
        },
        sqlx::Error::PoolTimedOut | sqlx::Error::PoolClosed | sqlx::Error::Io(_) => {
            StoreError::Unavailable(e.to_string())
        }
        sqlx::Error::Database(d) if is_busy(d.code().as_deref()) => {
            StoreError::Unavailable(e.to_string())
        }
        _ => StoreError::Internal(e.to_string()),
    }
}

/// Like [`db_err`], but a unique violation is reported on `field` with `reason` — for the one
/// constraint a statement can break.
pub(crate) fn conflict_on(
    field: &str,
    reason: guanxi_core::Reason,
) -> impl FnOnce(sqlx::Error) -> StoreError + '_ {
    move |e| match db_err(e) {
        StoreError::Conflict { .. } => StoreError::Conflict {
            field: field.to_owned(),
            reason,
        },
        other => other,
    }
}

fn is_busy(code: Option<&str>) -> bool {
    // SQLite: 5 SQLITE_BUSY, 6 SQLITE_LOCKED (and extended codes ending in them).
    // PostgreSQL: 40001 serialization failure, 40P01 deadlock, 57014 query cancelled.
    matches!(code, Some("5" | "6" | "517" | "40001" | "40P01" | "57014"))
}

pub(crate) type Row = AnyRow;

// ---------------------------------------------------------------- embedded migrations

type Files = &'static [(i64, &'static str, &'static str)];

const SQLITE_MIGRATIONS: Files = &[
    (
        1,
        "customer spine",
        include_str!("../migrations/sqlite/0001_customer_spine.sql"),
    ),
    (
        2,
        "access",
        include_str!("../migrations/sqlite/0002_access.sql"),
    ),
    (
        3,
        "merge",
        include_str!("../migrations/sqlite/0003_merge.sql"),
    ),
    (
        4,
        "saved views",
        include_str!("../migrations/sqlite/0004_saved_views.sql"),
    ),
    (
        5,
        "orders",
        include_str!("../migrations/sqlite/0005_orders.sql"),
    ),
    (
        6,
        "pipeline",
        include_str!("../migrations/sqlite/0006_pipeline.sql"),
    ),
    (
        7,
        "activities",
        include_str!("../migrations/sqlite/0007_activities.sql"),
    ),
    (
        8,
        "leads",
        include_str!("../migrations/sqlite/0008_leads.sql"),
    ),
    (
        9,
        "pipeline summary",
        include_str!("../migrations/sqlite/0009_pipeline_summary.sql"),
    ),
    (
        10,
        "imports",
        include_str!("../migrations/sqlite/0010_imports.sql"),
    ),
    (
        11,
        "scores",
        include_str!("../migrations/sqlite/0011_scores.sql"),
    ),
    (
        12,
        "segment maps",
        include_str!("../migrations/sqlite/0012_segment_maps.sql"),
    ),
    (
        13,
        "record imports",
        include_str!("../migrations/sqlite/0013_record_imports.sql"),
    ),
    (
        14,
        "duplicate scans",
        include_str!("../migrations/sqlite/0014_duplicate_scans.sql"),
    ),
    (
        15,
        "upload retention",
        include_str!("../migrations/sqlite/0015_upload_retention.sql"),
    ),
];

const POSTGRES_MIGRATIONS: Files = &[
    (
        1,
        "customer spine",
        include_str!("../migrations/postgres/0001_customer_spine.sql"),
    ),
    (
        2,
        "access",
        include_str!("../migrations/postgres/0002_access.sql"),
    ),
    (
        3,
        "merge",
        include_str!("../migrations/postgres/0003_merge.sql"),
    ),
    (
        4,
        "saved views",
        include_str!("../migrations/postgres/0004_saved_views.sql"),
    ),
    (
        5,
        "orders",
        include_str!("../migrations/postgres/0005_orders.sql"),
    ),
    (
        6,
        "pipeline",
        include_str!("../migrations/postgres/0006_pipeline.sql"),
    ),
    (
        7,
        "activities",
        include_str!("../migrations/postgres/0007_activities.sql"),
    ),
    (
        8,
        "leads",
        include_str!("../migrations/postgres/0008_leads.sql"),
    ),
    (
        9,
        "pipeline summary",
        include_str!("../migrations/postgres/0009_pipeline_summary.sql"),
    ),
    (
        10,
        "imports",
        include_str!("../migrations/postgres/0010_imports.sql"),
    ),
    (
        11,
        "scores",
        include_str!("../migrations/postgres/0011_scores.sql"),
    ),
    (
        12,
        "segment maps",
        include_str!("../migrations/postgres/0012_segment_maps.sql"),
    ),
    (
        13,
        "record imports",
        include_str!("../migrations/postgres/0013_record_imports.sql"),
    ),
    (
        14,
        "duplicate scans",
        include_str!("../migrations/postgres/0014_duplicate_scans.sql"),
    ),
    (
        15,
        "upload retention",
        include_str!("../migrations/postgres/0015_upload_retention.sql"),
    ),
];

/// Migrations compiled into the binary, so that `guanxi` needs no files beside it.
#[derive(Debug)]
struct Embedded(Files);

impl<'s> MigrationSource<'s> for Embedded {
    fn resolve(
        self,
    ) -> Pin<Box<dyn Future<Output = Result<Vec<Migration>, sqlx::error::BoxDynError>> + Send + 's>>
    {
        Box::pin(async move {
            Ok(self
                .0
                .iter()
                .map(|(version, desc, sql)| {
                    Migration::new(
                        *version,
                        Cow::Borrowed(*desc),
                        MigrationType::Simple,
                        Cow::Borrowed(*sql),
                        false,
                    )
                })
                .collect())
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn both_backends_have_the_same_migration_versions() {
        let a: Vec<i64> = SQLITE_MIGRATIONS.iter().map(|m| m.0).collect();
        let b: Vec<i64> = POSTGRES_MIGRATIONS.iter().map(|m| m.0).collect();
        assert_eq!(a, b);
    }

    #[test]
    fn backend_from_url() {
        assert_eq!(
            Backend::from_url("sqlite://x.db").ok(),
            Some(Backend::Sqlite)
        );
        assert_eq!(
            Backend::from_url("postgres://u@h/db").ok(),
            Some(Backend::Postgres)
        );
        assert!(Backend::from_url("mysql://h/db").is_err());
    }
}

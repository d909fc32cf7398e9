//! Fresh databases for tests: a new SQLite file, or a new PostgreSQL database on the server
//! named by `GUANXI_TEST_PG_URL` (default `postgres://postgres@127.0.0.1:5432/postgres`).

use crate::{PoolSettings, SqlStore};
use std::sync::atomic::{AtomicU64, Ordering};

static COUNTER: AtomicU64 = AtomicU64::new(0);

fn unique(prefix: &str) -> String {
    let n = COUNTER.fetch_add(1, Ordering::Relaxed);
    let t = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map(|d| d.subsec_nanos())
        .unwrap_or(0);
    format!("{prefix}_{}_{n}_{t}", std::process::id())
}

/// A migrated store on a new SQLite file in the temp directory, and that file's URL.
pub async fn fresh_sqlite() -> Result<(SqlStore, String), guanxi_store::StoreError> {
    let path = std::env::temp_dir().join(format!("{}.db", unique("guanxi_test")));
    let url = format!("sqlite://{}", path.display());
    let store = SqlStore::connect(&url, &PoolSettings::default()).await?;
    store.migrate().await?;
    Ok((store, url))
}

/// The admin URL of the test PostgreSQL server.
pub fn pg_admin_url() -> String {
    std::env::var("GUANXI_TEST_PG_URL")
        .unwrap_or_else(|_| "postgres://postgres@127.0.0.1:5432/postgres".into())
}

/// A migrated store on a new PostgreSQL database, or `None` when no server answers (and
/// `GUANXI_TEST_REQUIRE_PG` is not set; with it set, a missing server is an error).
pub async fn fresh_postgres() -> Result<Option<(SqlStore, String)>, guanxi_store::StoreError> {
    let admin_url = pg_admin_url();
    let settings = PoolSettings {
        max_connections: 2,
        acquire_timeout: std::time::Duration::from_secs(5),
        ..PoolSettings::default()
    };
    let admin = match SqlStore::connect(&admin_url, &settings).await {
        Ok(a) => a,
        Err(e) => {
            if std::env::var_os("GUANXI_TEST_REQUIRE_PG").is_some() {
                return Err(e);
            }
            eprintln!("PostgreSQL not reachable at {admin_url}; skipping: {e}");
            return Ok(None);
        }
    };
    let name = unique("guanxi_t");
    sqlx::query(&format!("CREATE DATABASE {name}"))
        .execute(admin.pool())
        .await
        .map_err(crate::db_err)?;
    admin.pool().close().await;
    let base = admin_url
        .rsplit_once('/')
        .map_or(admin_url.as_str(), |(b, _)| b);
    let url = format!("{base}/{name}");
    let store = SqlStore::connect(&url, &PoolSettings::default()).await?;
    store.migrate().await?;
    Ok(Some((store, url)))
}

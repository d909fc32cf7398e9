//! Opening the store and serving the HTTP API.

use anyhow::Context;
use guanxi_config::{redact_url, Settings};
use guanxi_store_sql::{PoolSettings, SqlStore};
use std::sync::Arc;

pub fn init_tracing(settings: &Settings) {
    let filter = tracing_subscriber::EnvFilter::try_from_env("RUST_LOG")
        .unwrap_or_else(|_| tracing_subscriber::EnvFilter::new(&settings.log));
    let builder = tracing_subscriber::fmt()
        .with_env_filter(filter)
        .with_writer(std::io::stderr);
    if settings.log_format == "json" {
        builder.json().init();
    } else {
        builder.init();
    }
}

/// Connect to the configured database and apply pending migrations.
pub async fn open_store(settings: &Settings) -> anyhow::Result<SqlStore> {
    let url = settings.database_url.expose();
    let pool = PoolSettings {
        max_connections: settings.max_connections,
        sqlite_synchronous_full: settings.sqlite_durable,
        ..PoolSettings::default()
    };
    let store = SqlStore::connect(url, &pool)
        .await
        .with_context(|| format!("connecting to {}", redact_url(url)))?;
    store.migrate().await.context("applying migrations")?;
    tracing::info!(database = %redact_url(url), "database ready");
    Ok(store)
}

pub fn app(settings: &Settings, store: SqlStore) -> axum::Router {
    let mut state = guanxi_api::ApiState::new(Arc::new(store));
    state.max_body_bytes = settings.max_body_bytes;
    state.secure_cookies = settings.secure_cookies;
    state.session_ttl = std::time::Duration::from_secs(u64::from(settings.session_hours) * 3600);
    state.upload_dir = std::path::PathBuf::from(&settings.upload_dir);
    state.max_upload_bytes = settings.max_upload_bytes;
    let pages = guanxi_web::router(state.clone());
    let page_uploads = guanxi_web::upload_router(state.clone());
    guanxi_api::router_full(state, pages, page_uploads)
}

pub async fn serve(settings: &Settings, store: SqlStore) -> anyhow::Result<()> {
    let listener = tokio::net::TcpListener::bind(&settings.listen)
        .await
        .with_context(|| format!("listening on {}", settings.listen))?;
    let addr = listener.local_addr()?;
    tracing::info!(%addr, "serving");
    eprintln!("Guanxi is listening on http://{addr}  (API docs: http://{addr}/api/docs)");
    // The peer address reaches the audit log and the sign-in throttle.
    let app = app(settings, store).into_make_service_with_connect_info::<std::net::SocketAddr>();
    axum::serve(listener, app)
        .with_graceful_shutdown(shutdown())
        .await
        .context("serving")
}

async fn shutdown() {
    let ctrl_c = async {
        let _ = tokio::signal::ctrl_c().await;
    };
    #[cfg(unix)]
    let term = async {
        match tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate()) {
            Ok(mut s) => {
                s.recv().await;
            }
            Err(_) => std::future::pending::<()>().await,
        }
    };
    #[cfg(not(unix))]
    let term = std::future::pending::<()>();
    tokio::select! {
        _ = ctrl_c => {},
        _ = term => {},
    }
    tracing::info!("shutting down");
}

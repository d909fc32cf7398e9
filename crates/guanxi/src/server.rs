//! Opening the store and serving the HTTP API.

use anyhow::Context;
use guanxi_config::{redact_url, Settings};
use guanxi_store_sql::{PoolSettings, SqlStore};
use std::sync::Arc;
use std::time::Duration;

pub fn init_tracing(settings: &Settings) {
    // The warehouse's engines log every job at info; they speak up only when something is
    // wrong, unless RUST_LOG or the setting names them.
    let quiet = [
        "ballista",
        "ballista_core",
        "ballista_scheduler",
        "ballista_executor",
    ]
    .iter()
    .filter(|t| !settings.log.contains(*t))
    .map(|t| format!(",{t}=warn"))
    .collect::<String>();
    let filter = tracing_subscriber::EnvFilter::try_from_env("RUST_LOG")
        .unwrap_or_else(|_| tracing_subscriber::EnvFilter::new(format!("{}{quiet}", settings.log)));
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
        import_chunk_rows: usize::try_from(settings.import_chunk_rows)
            .ok()
            .filter(|&n| n > 0),
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
    app_with(state(settings, store))
}

/// The handlers' shared state from the settings.
pub fn state(settings: &Settings, store: SqlStore) -> guanxi_api::ApiState {
    let mut state = guanxi_api::ApiState::new(Arc::new(store));
    state.max_body_bytes = settings.max_body_bytes;
    state.secure_cookies = settings.secure_cookies;
    state.session_ttl = std::time::Duration::from_secs(u64::from(settings.session_hours) * 3600);
    state.upload_dir = std::path::PathBuf::from(&settings.upload_dir);
    state.max_upload_bytes = settings.max_upload_bytes;
    state.analysis = crate::analyze::settings_of(settings);
    match crate::warehouse::Engine::open(settings) {
        Ok(engine) => state.warehouse = Some(Arc::new(engine)),
        // The CRM works without it; the analysts' SQL answers 503 until it can be opened.
        Err(e) => tracing::warn!(error = %format!("{e:#}"), "no data warehouse"),
    }
    state
}

/// The whole service (API, web pages, uploads) over a state.
pub fn app_with(state: guanxi_api::ApiState) -> axum::Router {
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
    let state = state(settings, store.clone());
    if settings.analysis_every_hours > 0 {
        tokio::spawn(score_on_schedule(
            store.clone(),
            state.analysis_runs.clone(),
            crate::analyze::settings_of(settings),
            Duration::from_secs(u64::from(settings.analysis_every_hours) * 3600),
        ));
    }
    if settings.warehouse_every_minutes > 0 {
        match guanxi_warehouse::Warehouse::open(&settings.warehouse_dir) {
            Ok(wh) => {
                tokio::spawn(crate::warehouse::load_on_schedule(
                    Arc::new(store.clone()),
                    wh,
                    Duration::from_secs(u64::from(settings.warehouse_every_minutes) * 60),
                ));
            }
            Err(e) => tracing::warn!(error = %e, "no scheduled warehouse load"),
        }
    }
    tokio::spawn(remove_old_uploads(
        store.clone(),
        state.upload_dir.clone(),
        Duration::from_secs(u64::from(settings.upload_keep_days) * 86_400),
    ));
    // The peer address reaches the audit log and the sign-in throttle.
    let app = app_with(state).into_make_service_with_connect_info::<std::net::SocketAddr>();
    axum::serve(listener, app)
        .with_graceful_shutdown(shutdown())
        .await
        .context("serving")
}

/// Score every organisation's customers every `every`, the first time one `every` after the
/// start (a run at start-up would slow every restart of a large deployment). A run that fails
/// is logged and tried again at the next tick; one already going (started from the API or the
/// web UI) is left alone.
async fn score_on_schedule(
    store: SqlStore,
    runs: Arc<guanxi_api::analysis::Runs>,
    settings: guanxi_api::analysis::Settings,
    every: Duration,
) {
    let store: std::sync::Arc<dyn guanxi_store::Store> = std::sync::Arc::new(store);
    let mut tick = tokio::time::interval_at(tokio::time::Instant::now() + every, every);
    tick.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
    loop {
        tick.tick().await;
        let orgs = match store.list_orgs().await {
            Ok(orgs) => orgs,
            Err(e) => {
                tracing::warn!(error = %e, "scheduled scoring: listing organisations");
                continue;
            }
        };
        for org in orgs {
            let ctx = guanxi_store::Ctx::new(org.id);
            match guanxi_api::analysis::run(
                store.clone(),
                &runs,
                ctx,
                &settings,
                None,
                std::sync::Arc::new(|_| {}),
            )
            .await
            {
                Ok(o) => tracing::info!(
                    org = %org.id,
                    run = o.run.id.get(),
                    scored = o.write.scored,
                    "scheduled scoring done"
                ),
                Err(e) => tracing::warn!(org = %org.id, error = %e, "scheduled scoring failed"),
            }
        }
    }
}

/// Delete uploads that waited longer than `keep` for their job (see
/// [`guanxi_api::import_jobs::remove_stale_uploads`]): a minute after the start, then every hour.
async fn remove_old_uploads(store: SqlStore, dir: std::path::PathBuf, keep: Duration) {
    let every = Duration::from_secs(3600);
    let mut tick =
        tokio::time::interval_at(tokio::time::Instant::now() + Duration::from_secs(60), every);
    tick.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
    loop {
        tick.tick().await;
        match guanxi_api::import_jobs::remove_stale_uploads(&store, &dir, keep).await {
            Ok(0) => {}
            Ok(n) => tracing::info!(files = n, "old uploads removed"),
            Err(e) => tracing::warn!(error = ?e, "removing old uploads"),
        }
    }
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

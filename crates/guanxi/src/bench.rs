//! `guanxi bench`: measured, repeatable benchmarks at realistic size.
//!
//! * `bench load` generates the demo dataset into a fresh organisation of the configured
//!   database and reports rows per second (customers + contact points + interactions).
//! * `bench http` drives a running server on loopback with concurrent clients: the 360° view
//!   and lookup by phone, search, and logging interactions; it reports throughput and
//!   latency percentiles, and the server's memory when given its pid.

use anyhow::{bail, Context};
use guanxi_config::Settings;
use rand::{Rng, SeedableRng};
use serde_json::{json, Value};
use std::sync::Arc;
use std::time::{Duration, Instant};

#[derive(clap::Subcommand, Debug)]
pub enum BenchCommand {
    /// Load generated customers, contact points and interactions; report rows per second.
    Load {
        #[arg(long, default_value_t = 1_000_000)]
        customers: usize,
        #[arg(long, default_value_t = 10.0)]
        interactions_per_customer: f64,
        #[arg(long, default_value_t = 2000)]
        batch: usize,
        #[arg(long, default_value_t = 7)]
        seed: u64,
        /// Also create the demo catalogue and years of orders (repeat buying); they are not
        /// counted in rows/s.
        #[arg(long)]
        orders: bool,
        /// Multiply the purchase rate (1.0 gives about two orders per customer; 2.6 about five).
        #[arg(long, default_value_t = 1.0)]
        order_rate: f64,
        /// Also bulk-load this many opportunities over the customers (default pipeline).
        #[arg(long, default_value_t = 0)]
        opportunities: usize,
    },
    /// Bulk-load opportunities into an existing organisation (its first pipeline), spread over
    /// its customers and owned by its sales reps and managers.
    Opportunities {
        #[arg(long)]
        org: i64,
        #[arg(long, default_value_t = 500_000)]
        count: usize,
        #[arg(long, default_value_t = 7)]
        seed: u64,
    },
    /// Import a generated customer file (1,000,000 rows by default) and compare with the
    /// databases' own bulk loaders reading the same file into a bare table.
    Import(crate::bench_import::ImportBench),
    /// The customer-value pipeline (summary, BG/NBD and Gamma-Gamma fits, every customer's
    /// scores) on a file of transactions, and with --python the same work in `lifetimes`,
    /// pandas and DuckDB.
    Analyze(crate::bench_analyze::AnalyzeBench),
    /// Drive a running server with concurrent clients and report latency percentiles.
    Http {
        /// Base URL of the server.
        #[arg(long, default_value = "http://127.0.0.1:8080")]
        url: String,
        /// An API token of an administrator of the organisation to drive (create one with
        /// `POST /api/v1/tokens`).
        #[arg(long, env = "GUANXI_TOKEN", hide_env_values = true)]
        token: String,
        #[arg(long, default_value_t = 32)]
        concurrency: usize,
        /// Seconds per phase.
        #[arg(long, default_value_t = 10)]
        seconds: u64,
        /// Process id of the server, to report its resident memory.
        #[arg(long)]
        pid: Option<u32>,
        /// Time the web UI's pages (list, filtered list, search, customer page) instead of the
        /// JSON API.
        #[arg(long)]
        pages: bool,
        /// Time the sales views instead (the kanban board and the forecast of the first
        /// pipeline, over the API and as the board page), then order creation.
        #[arg(long)]
        sales: bool,
    },
}

pub async fn run(settings: &Settings, cmd: BenchCommand) -> anyhow::Result<()> {
    match cmd {
        BenchCommand::Import(b) => crate::bench_import::run(b).await,
        BenchCommand::Analyze(b) => crate::bench_analyze::run(b),
        BenchCommand::Load {
            customers,
            interactions_per_customer,
            batch,
            seed,
            orders,
            order_rate,
            opportunities,
        } => {
            let ipc = interactions_per_customer;
            let extra = (order_rate, opportunities);
            load(settings, customers, ipc, batch, seed, orders, extra).await
        }
        BenchCommand::Opportunities { org, count, seed } => {
            let store = crate::server::open_store(settings).await?;
            let ctx = guanxi_store::Ctx::new(guanxi_core::OrgId(org));
            let sellers: Vec<guanxi_core::UserId> = guanxi_store::Store::list_users(&store, ctx)
                .await?
                .into_iter()
                .filter(|u| {
                    matches!(
                        u.role,
                        guanxi_core::Role::SalesRep | guanxi_core::Role::Manager
                    )
                })
                .map(|u| u.id)
                .collect();
            let started = Instant::now();
            crate::demo::load_opportunities(&store, ctx, &sellers, seed, count).await?;
            store.analyze().await?;
            println!(
                "{count} opportunities in {:.1} s",
                started.elapsed().as_secs_f64()
            );
            Ok(())
        }
        BenchCommand::Http {
            url,
            token,
            concurrency,
            seconds,
            pid,
            pages,
            sales,
        } => {
            let d = Duration::from_secs(seconds);
            http(&url, token, concurrency, d, pid, (pages, sales)).await
        }
    }
}

async fn load(
    settings: &Settings,
    customers: usize,
    ipc: f64,
    batch: usize,
    seed: u64,
    orders: bool,
    (order_rate, opportunities): (f64, usize),
) -> anyhow::Result<()> {
    let store = crate::server::open_store(settings).await?;
    let started = Instant::now();
    let mut last = Instant::now();
    let name = format!(
        "基准测试 bench {}",
        chrono::Utc::now().format("%Y%m%d%H%M%S")
    );
    let (ctx, _) = crate::demo::populate(
        &store,
        &name,
        crate::demo::Populate {
            customers,
            seed,
            interactions_per_customer: ipc,
            batch,
            password: None,
            orders,
            order_rate,
            bulk_opportunities: opportunities,
        },
        |c, i| {
            if last.elapsed() > Duration::from_secs(15) {
                last = Instant::now();
                let secs = started.elapsed().as_secs_f64();
                eprintln!(
                    "  {c} customers, {i} interactions, {:.0} s, {:.0} customers+interactions/s",
                    secs,
                    (c + i) as f64 / secs
                );
            }
        },
    )
    .await?;
    let secs = started.elapsed().as_secs_f64();
    let row = sqlx_counts(&store, ctx).await?;
    println!("| backend | customers | contact points | interactions | rows | seconds | rows/s |");
    println!("|---|---|---|---|---|---|---|");
    println!(
        "| {} | {} | {} | {} | {} | {:.1} | {:.0} |",
        guanxi_store::Store::backend(&store),
        row.0,
        row.1,
        row.2,
        row.0 + row.1 + row.2,
        secs,
        (row.0 + row.1 + row.2) as f64 / secs
    );
    println!(
        "orders: {}, bulk-loaded opportunities: {}, organisation id: {}",
        row.3, row.4, ctx.org
    );
    Ok(())
}

async fn sqlx_counts(
    store: &guanxi_store_sql::SqlStore,
    ctx: guanxi_store::Ctx,
) -> anyhow::Result<(u64, u64, u64, u64, u64)> {
    let ev = guanxi_store::Store::events_after(store, ctx, guanxi_core::EventId(0), 1000).await?;
    let mut totals = (0, 0, 0, 0, 0);
    let mut after = 0;
    let mut page = ev;
    loop {
        for e in &page {
            after = e.id.get();
            if e.event_type == "customers.bulk_loaded" {
                totals.0 += e.payload["customers"].as_u64().unwrap_or(0);
                totals.1 += e.payload["contact_points"].as_u64().unwrap_or(0);
                totals.2 += e.payload["interactions"].as_u64().unwrap_or(0);
                totals.3 += e.payload["orders"].as_u64().unwrap_or(0);
            }
            if e.event_type == "opportunities.bulk_loaded" {
                totals.4 += e.payload["opportunities"].as_u64().unwrap_or(0);
            }
        }
        if page.len() < 1000 {
            break;
        }
        page = guanxi_store::Store::events_after(store, ctx, guanxi_core::EventId(after), 1000)
            .await?;
    }
    Ok(totals)
}

/// The web UI's pages, timed like the API phases: the customer list (first page, newest
/// first), a filtered and sorted list, a search, and the customer page.
async fn page_phases(
    client: Arc<Client>,
    min_id: i64,
    span: u64,
    concurrency: usize,
    duration: Duration,
    pid: Option<u32>,
) -> anyhow::Result<()> {
    let ok = |r: Result<reqwest::Response, reqwest::Error>| async move {
        match r {
            Ok(r) if r.status().is_success() || r.status() == reqwest::StatusCode::NOT_FOUND => {
                // Read the whole page: rendering is part of the time.
                r.bytes().await.is_ok()
            }
            _ => false,
        }
    };
    for (name, path) in [
        ("GET /customers (list page)", "/customers"),
        (
            "GET /customers?status=loyal&sort=name",
            "/customers?status=loyal&sort=name",
        ),
        (
            "GET /customers?q=王 (search page)",
            "/customers?q=%E7%8E%8B",
        ),
    ] {
        let c = client.clone();
        let mut r = phase(name, concurrency, duration, move |_| {
            let c = c.clone();
            async move { ok(c.req(reqwest::Method::GET, path).send().await).await }
        })
        .await;
        r.print();
    }
    let c = client.clone();
    let mut r = phase(
        "GET /customers/{id} (customer page)",
        concurrency,
        duration,
        move |i| {
            let c = c.clone();
            let id = min_id + (i.wrapping_mul(2_654_435_761) % span) as i64;
            async move {
                ok(c.req(reqwest::Method::GET, &format!("/customers/{id}"))
                    .send()
                    .await)
                .await
            }
        },
    )
    .await;
    r.print();
    if let Some(pid) = pid {
        let status = std::fs::read_to_string(format!("/proc/{pid}/status"))
            .with_context(|| format!("reading /proc/{pid}/status"))?;
        for line in status.lines().filter(|l| l.starts_with("VmHWM")) {
            println!("server {line}");
        }
    }
    Ok(())
}

struct Client {
    http: reqwest::Client,
    base: String,
    token: String,
}

impl Client {
    fn req(&self, method: reqwest::Method, path: &str) -> reqwest::RequestBuilder {
        self.http
            .request(method, format!("{}{path}", self.base))
            .bearer_auth(&self.token)
    }
}

fn percentile(sorted: &[Duration], p: f64) -> f64 {
    if sorted.is_empty() {
        return 0.0;
    }
    let i = ((sorted.len() as f64 - 1.0) * p).round() as usize;
    sorted[i.min(sorted.len() - 1)].as_secs_f64() * 1000.0
}

struct PhaseResult {
    name: String,
    latencies: Vec<Duration>,
    errors: u64,
    elapsed: Duration,
}

impl PhaseResult {
    fn print(&mut self) {
        self.latencies.sort_unstable();
        let n = self.latencies.len();
        println!(
            "| {} | {} | {} | {:.0} | {:.2} | {:.2} | {:.2} | {:.2} |",
            self.name,
            n,
            self.errors,
            n as f64 / self.elapsed.as_secs_f64(),
            percentile(&self.latencies, 0.50),
            percentile(&self.latencies, 0.95),
            percentile(&self.latencies, 0.99),
            self.latencies
                .last()
                .map_or(0.0, |d| d.as_secs_f64() * 1000.0),
        );
    }
}

/// Run `concurrency` workers for `duration`; each call of `op` is one timed request.
async fn phase<F, Fut>(
    name: impl Into<String>,
    concurrency: usize,
    duration: Duration,
    op: F,
) -> PhaseResult
where
    F: Fn(u64) -> Fut + Send + Sync + 'static,
    Fut: std::future::Future<Output = bool> + Send,
{
    let op = Arc::new(op);
    let started = Instant::now();
    let mut tasks = Vec::new();
    for w in 0..concurrency {
        let op = op.clone();
        tasks.push(tokio::spawn(async move {
            let mut lat = Vec::new();
            let mut errors = 0u64;
            let mut i = w as u64 * 1_000_003;
            // Bounded by time and by count.
            while started.elapsed() < duration && lat.len() < 5_000_000 {
                i += 1;
                let t = Instant::now();
                let ok = op(i).await;
                lat.push(t.elapsed());
                if !ok {
                    errors += 1;
                }
            }
            (lat, errors)
        }));
    }
    let mut latencies = Vec::new();
    let mut errors = 0;
    for t in tasks {
        if let Ok((l, e)) = t.await {
            latencies.extend(l);
            errors += e;
        }
    }
    PhaseResult {
        name: name.into(),
        latencies,
        errors,
        elapsed: started.elapsed(),
    }
}

async fn http(
    url: &str,
    token: String,
    concurrency: usize,
    duration: Duration,
    pid: Option<u32>,
    (pages, sales): (bool, bool),
) -> anyhow::Result<()> {
    let client = Arc::new(Client {
        http: reqwest::Client::builder()
            .pool_max_idle_per_host(concurrency)
            .timeout(Duration::from_secs(30))
            .build()?,
        base: url.trim_end_matches('/').to_owned(),
        token,
    });
    // Sample: the newest id bounds the id range; phones come from random customers.
    let first: Value = client
        .req(reqwest::Method::GET, "/api/v1/customers?limit=1")
        .send()
        .await
        .context("is the server running?")?
        .json()
        .await?;
    let max_id = first["items"][0]["id"].as_i64().context("no customers")?;
    let min_id: i64 = {
        let v: Value = client
            .req(reqwest::Method::GET, "/api/v1/customers?limit=1&sort=id")
            .send()
            .await?
            .json()
            .await?;
        v["items"][0]["id"].as_i64().unwrap_or(1)
    };
    let mut rng = rand_chacha::ChaCha8Rng::seed_from_u64(42);
    let mut phones = Vec::new();
    for _ in 0..2000 {
        if phones.len() >= 500 {
            break;
        }
        let id = rng.gen_range(min_id..=max_id);
        let r = client
            .req(reqwest::Method::GET, &format!("/api/v1/customers/{id}"))
            .send()
            .await?;
        if r.status().is_success() {
            let v: Value = r.json().await?;
            if let Some(p) = v["contact_points"]
                .as_array()
                .and_then(|cps| cps.iter().find(|c| c["kind"] == "mobile"))
            {
                phones.push(p["value"].as_str().unwrap_or_default().to_owned());
            }
        }
    }
    if phones.is_empty() {
        bail!("found no phone numbers to look up");
    }
    let phones = Arc::new(phones);
    println!(
        "customers {min_id}..={max_id}, {concurrency} clients, {} s per phase",
        duration.as_secs()
    );
    println!("| phase | requests | errors | req/s | p50 ms | p95 ms | p99 ms | max ms |");
    println!("|---|---|---|---|---|---|---|---|");

    let span = (max_id - min_id + 1) as u64;
    if pages {
        return page_phases(client, min_id, span, concurrency, duration, pid).await;
    }
    if sales {
        sales_phases(client.clone(), concurrency, duration).await?;
    } else {
        api_phases(client.clone(), min_id, span, phones, concurrency, duration).await;
    }
    orders_phase(client, min_id, span, concurrency, duration, pid).await
}

/// The kanban board and the forecast of the first pipeline: the API's JSON and the board page,
/// with one client (the server's time per request) and with `concurrency`.
async fn sales_phases(
    client: Arc<Client>,
    concurrency: usize,
    duration: Duration,
) -> anyhow::Result<()> {
    let pipes: Value = client
        .req(reqwest::Method::GET, "/api/v1/pipelines")
        .send()
        .await?
        .json()
        .await?;
    let pid = pipes["items"][0]["id"].as_i64().context("no pipeline")?;
    for (name, path) in [
        (
            "GET /pipelines/{id}/board (API)",
            format!("/api/v1/pipelines/{pid}/board"),
        ),
        (
            "GET /pipelines/{id}/forecast (API)",
            format!("/api/v1/pipelines/{pid}/forecast"),
        ),
        (
            "GET /pipelines/{id} (board page)",
            format!("/pipelines/{pid}"),
        ),
    ] {
        for clients in [1, concurrency] {
            let c = client.clone();
            let path = Arc::new(path.clone());
            let mut r = phase(
                format!("{name}, {clients} client(s)"),
                clients,
                duration,
                move |_| {
                    let c = c.clone();
                    let path = path.clone();
                    async move {
                        match c.req(reqwest::Method::GET, &path).send().await {
                            Ok(r) if r.status().is_success() => r.bytes().await.is_ok(),
                            _ => false,
                        }
                    }
                },
            )
            .await;
            r.print();
        }
    }
    Ok(())
}

/// The JSON API's read and write phases over customers.
async fn api_phases(
    client: Arc<Client>,
    min_id: i64,
    span: u64,
    phones: Arc<Vec<String>>,
    concurrency: usize,
    duration: Duration,
) {
    let c = client.clone();
    let mut r = phase("GET /customers/{id}/360", concurrency, duration, move |i| {
        let c = c.clone();
        let id = min_id + (i.wrapping_mul(2_654_435_761) % span) as i64;
        async move {
            matches!(c.req(reqwest::Method::GET, &format!("/api/v1/customers/{id}/360")).send().await,
                Ok(r) if r.status().is_success() || r.status() == 404)
        }
    })
    .await;
    r.print();

    let c = client.clone();
    let p = phones.clone();
    let mut r = phase(
        "GET /customers/lookup?phone=",
        concurrency,
        duration,
        move |i| {
            let c = c.clone();
            let phone = p[(i as usize) % p.len()].clone();
            async move {
                matches!(c.req(reqwest::Method::GET, "/api/v1/customers/lookup")
                .query(&[("phone", phone)]).send().await, Ok(r) if r.status().is_success())
            }
        },
    )
    .await;
    r.print();

    let queries: Arc<Vec<String>> = Arc::new(
        [
            "张",
            "王",
            "李",
            "刘",
            "陈伟",
            "王芳",
            "张伟",
            "李娜",
            "科技",
            "有限公司",
            "138",
            "13912",
            "8888",
            "qq.com",
            "zhang",
            "emily",
            "杭州",
            "深圳华",
        ]
        .iter()
        .map(|s| s.to_string())
        .collect(),
    );
    let c = client.clone();
    let q = queries.clone();
    let mut r = phase("GET /customers?q= (search)", concurrency, duration, move |i| {
        let c = c.clone();
        let query = q[(i as usize) % q.len()].clone();
        async move {
            matches!(c.req(reqwest::Method::GET, "/api/v1/customers")
                .query(&[("q", query.as_str()), ("limit", "20")]).send().await, Ok(r) if r.status().is_success())
        }
    })
    .await;
    r.print();

    let c = client.clone();
    let mut r = phase("POST /interactions (durable)", concurrency, duration, move |i| {
        let c = c.clone();
        let id = min_id + (i.wrapping_mul(2_654_435_761) % span) as i64;
        async move {
            let body = json!({"customer_id": id, "channel": "phone", "direction": "inbound",
                              "subject": "基准测试来电", "body": "客户来电咨询账单", "duration_seconds": 95});
            matches!(c.req(reqwest::Method::POST, "/api/v1/interactions").json(&body).send().await,
                Ok(r) if r.status().is_success() || r.status() == 422)
        }
    })
    .await;
    r.print();
}

/// Orders from an external shop: one product, two lines, a unique external id each; then the
/// server's memory when its pid is given.
async fn orders_phase(
    client: Arc<Client>,
    min_id: i64,
    span: u64,
    concurrency: usize,
    duration: Duration,
    pid: Option<u32>,
) -> anyhow::Result<()> {
    let run = chrono::Utc::now().timestamp_millis();
    let product: Value = client
        .req(reqwest::Method::POST, "/api/v1/products")
        .json(
            &json!({"sku": format!("BENCH-{run}"), "name": "基准测试商品", "unit_price": "99.00"}),
        )
        .send()
        .await?
        .json()
        .await?;
    let product_id = product["id"]
        .as_i64()
        .context("creating the benchmark product")?;
    let c = client.clone();
    let mut r = phase("POST /orders (durable)", concurrency, duration, move |i| {
        let c = c.clone();
        let id = min_id + (i.wrapping_mul(2_654_435_761) % span) as i64;
        async move {
            let body = json!({"customer_id": id, "external_id": format!("bench-{run}-{i}"),
                              "status": "paid", "lines": [
                                  {"product_id": product_id, "quantity": 2},
                                  {"description": "运费", "unit_price": "8.00"}]});
            matches!(c.req(reqwest::Method::POST, "/api/v1/orders").json(&body).send().await,
                Ok(r) if r.status().is_success() || r.status() == 422)
        }
    })
    .await;
    r.print();

    if let Some(pid) = pid {
        let status = std::fs::read_to_string(format!("/proc/{pid}/status"))
            .with_context(|| format!("reading /proc/{pid}/status"))?;
        for line in status.lines() {
            if line.starts_with("VmRSS") || line.starts_with("VmHWM") {
                println!("server {line}");
            }
        }
    }
    Ok(())
}

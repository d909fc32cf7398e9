//! The same queries locally and on a Ballista cluster on loopback (one scheduler and two
//! executors, each a `guanxi-cluster` process), with the same rows.
//!
//! Runs by default; `GUANXI_TEST_SKIP_CLUSTER=1` skips it.

use std::fmt::Write as _;
use std::io::{Read, Write};
use std::net::{SocketAddr, TcpListener, TcpStream};
use std::path::{Path, PathBuf};
use std::process::{Child, ChildStdin, Command, Stdio};
use std::time::{Duration, Instant};

use chrono::{DateTime, FixedOffset, TimeZone, Utc};
use guanxi_cluster::{remote_context, run_sql};
use guanxi_warehouse::datafusion::physical_plan::displayable;
use guanxi_warehouse::{
    register_org_tables, ChannelRow, CustomerRow, InteractionRow, Limits, LoadBatch, OrderLineRow,
    OrderRow, OwnerRow, ProductRow, QueryResult, RegionRow, Warehouse, WarehouseError,
};

/// How long each start-up step (scheduler listening, both executors registered) may take.
const START_TIMEOUT: Duration = Duration::from_secs(60);
/// Attempts at starting the cluster (a free port taken by someone else in between fails one).
const START_ATTEMPTS: usize = 3;
const EXECUTORS: usize = 2;

#[test]
fn the_same_queries_give_the_same_rows_on_a_loopback_cluster() {
    if std::env::var("GUANXI_TEST_SKIP_CLUSTER").is_ok_and(|v| v == "1") {
        eprintln!("skipped: GUANXI_TEST_SKIP_CLUSTER=1 (the loopback Ballista cluster test)");
        return;
    }
    // DataFusion plans recurse deeply; run on a thread with a stack like the binaries'.
    let worker = std::thread::Builder::new()
        .name("loopback".to_owned())
        .stack_size(32 * 1024 * 1024)
        .spawn(loopback)
        .expect("spawn the test thread");
    if let Err(panic) = worker.join() {
        std::panic::resume_unwind(panic);
    }
}

fn loopback() {
    let tmp = tempfile::tempdir().expect("tempdir");
    let wh = Warehouse::open(tmp.path().join("warehouse")).expect("open the warehouse");
    for batch in batches() {
        wh.load_blocking(&batch).expect("load");
    }
    let started = Instant::now();
    // Declared after `tmp`, so dropped (processes killed) before the directory goes.
    let mut cluster = Cluster::start(tmp.path());
    eprintln!(
        "loopback cluster (1 scheduler, {EXECUTORS} executors) ready in {:.1?}",
        started.elapsed()
    );
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .thread_stack_size(32 * 1024 * 1024)
        .enable_all()
        .build()
        .expect("runtime");
    runtime.block_on(queries(&wh, &mut cluster, tmp.path()));
}

fn limits() -> Limits {
    Limits {
        max_rows: 100_000,
        // Generous: a slow two-core machine runs the test, the build and three processes.
        timeout: Duration::from_secs(180),
        ..Limits::default()
    }
}

/// `(name, query, order defined by the query)`.
const QUERIES: &[(&str, &str, bool)] = &[
    (
        "revenue per month",
        "SELECT month, count(*) AS orders, sum(total_fen) AS revenue_fen FROM fact_orders \
         WHERE status IN ('paid', 'shipped', 'completed') GROUP BY month ORDER BY month",
        true,
    ),
    (
        "orders by class at the time (facts join dim_customer on customer_key)",
        "SELECT c.kind, c.class, count(*) AS orders, sum(o.total_fen) AS revenue_fen \
         FROM fact_orders o JOIN dim_customer c ON o.customer_key = c.customer_key \
         GROUP BY c.kind, c.class",
        false,
    ),
    (
        "class then and now",
        "SELECT o.order_id, c.class AS then_class, now.class AS now_class \
         FROM fact_orders o JOIN dim_customer c ON o.customer_key = c.customer_key \
         JOIN dim_customer now ON now.customer_id = o.customer_id AND now.is_current \
         WHERE c.class IS DISTINCT FROM now.class",
        false,
    ),
    (
        "summary_segment_month",
        "SELECT * FROM summary_segment_month",
        false,
    ),
    (
        "count on the month partition",
        "SELECT count(*) AS orders, sum(total_fen) AS total FROM fact_orders \
         WHERE month = '2026-02'",
        true,
    ),
    (
        "lines per category since January",
        "SELECT p.category, sum(l.quantity) AS quantity, sum(l.line_total_fen) AS total \
         FROM fact_order_lines l JOIN dim_product p ON l.product_key = p.product_key \
         WHERE l.month >= '2026-01' GROUP BY p.category",
        false,
    ),
    (
        "top orders (ORDER BY … LIMIT)",
        "SELECT order_id, customer_id, status, total_fen FROM fact_orders \
         ORDER BY total_fen DESC, order_id LIMIT 25",
        true,
    ),
    (
        "summary_customer_day",
        "SELECT count(*) AS days, sum(orders) AS orders, sum(revenue_fen) AS revenue \
         FROM summary_customer_day",
        true,
    ),
    (
        "interactions per weekday (dim_date)",
        "SELECT d.weekday, count(*) AS interactions FROM fact_interactions i \
         JOIN dim_date d ON i.date_key = d.date_key GROUP BY d.weekday ORDER BY d.weekday",
        true,
    ),
    (
        "orders per channel and owner",
        "SELECT ch.name AS channel, ow.name AS owner, count(*) AS orders \
         FROM fact_orders o JOIN dim_channel ch ON o.channel_key = ch.channel_key \
         JOIN dim_owner ow ON o.owner_key = ow.owner_key GROUP BY ch.name, ow.name",
        false,
    ),
];

async fn queries(wh: &Warehouse, cluster: &mut Cluster, tmp: &Path) {
    let url = cluster.url();
    let limits = limits();

    // The session really is distributed: its plans are a DistributedQueryExec.
    let ctx = remote_context(&url, &limits).await.expect("remote context");
    register_org_tables(&ctx, wh.dir(), 1)
        .await
        .expect("register");
    let plan = ctx
        .sql("SELECT count(*) FROM fact_orders")
        .await
        .expect("plan")
        .create_physical_plan()
        .await
        .expect("physical plan");
    let shown = displayable(plan.as_ref()).indent(false).to_string();
    assert!(shown.contains("DistributedQueryExec"), "{shown}");

    for org in [1, 2] {
        for pass in 1..=2 {
            let (mut local_total, mut remote_total) = (Duration::ZERO, Duration::ZERO);
            let mut lines = String::new();
            for (name, sql, ordered) in QUERIES {
                let t = Instant::now();
                let local = wh
                    .sql(org, sql, &limits)
                    .await
                    .unwrap_or_else(|e| panic!("org {org}, {name}, local: {e}"));
                let local_time = t.elapsed();
                let t = Instant::now();
                let ctx = remote_context(&url, &limits).await.expect("remote context");
                let remote = match wh.sql_in(ctx, org, sql, &limits).await {
                    Ok(r) => r,
                    Err(e) => panic!("org {org}, {name}, distributed: {e}\n{}", cluster.report()),
                };
                let remote_time = t.elapsed();
                local_total += local_time;
                remote_total += remote_time;
                let _ = writeln!(
                    lines,
                    "  {name}: {} rows, local {local_time:.1?}, distributed {remote_time:.1?}",
                    local.rows.len()
                );
                assert!(!local.rows.is_empty(), "org {org}, {name}: no rows");
                assert_same(org, name, *ordered, &local, &remote);
            }
            eprintln!(
                "org {org}, pass {pass}: {} queries, local {local_total:.2?}, \
                 distributed {remote_total:.2?}\n{lines}",
                QUERIES.len()
            );
        }
    }

    // Each organisation sees only its own rows, on the cluster too.
    for org in [1, 2] {
        let r = distributed(wh, cluster, org, "SELECT DISTINCT org_id FROM fact_orders").await;
        assert_eq!(r.to_csv(), format!("org_id\r\n{org}\r\n"));
        for table in [
            "fact_orders_history",
            "fact_interactions",
            "dim_customer",
            "dim_product",
        ] {
            let sql = format!("SELECT count(*) AS n FROM {table} WHERE org_id <> {org}");
            let r = distributed(wh, cluster, org, &sql).await;
            assert_eq!(r.to_csv(), "n\r\n0\r\n", "org {org} sees others' {table}");
        }
    }
    let r = distributed(
        wh,
        cluster,
        1,
        "SELECT count(*) AS n FROM fact_orders WHERE customer_id >= 5000",
    )
    .await;
    assert_eq!(r.to_csv(), "n\r\n0\r\n", "org 2's customers seen by org 1");
    let r = distributed(
        wh,
        cluster,
        2,
        "SELECT min(customer_id) >= 5000 AS own FROM fact_orders",
    )
    .await;
    assert_eq!(r.to_csv(), "own\r\ntrue\r\n");

    // An organisation with nothing loaded gets empty tables (no Parquet behind them) there too.
    for sql in [
        "SELECT * FROM fact_orders",
        "SELECT * FROM summary_segment_month",
    ] {
        let local = wh.sql(99, sql, &limits).await.expect("local, empty org");
        let remote = distributed(wh, cluster, 99, sql).await;
        assert!(remote.rows.is_empty(), "{sql}");
        assert_same(99, sql, true, &local, &remote);
    }

    // Writes are refused in distributed mode too, before anything reaches the cluster.
    let copy_target = tmp.join("copy.parquet");
    let copy = format!("COPY (SELECT 1) TO '{}'", copy_target.display());
    let other = format!(
        "SELECT * FROM '{}'",
        wh.dir().join("org=2/fact_orders").display()
    );
    for sql in [
        "INSERT INTO fact_orders_history SELECT * FROM fact_orders_history",
        "DELETE FROM fact_orders_history",
        "CREATE TABLE t AS SELECT 1",
        "CREATE VIEW v AS SELECT 1",
        "DROP VIEW fact_orders",
        copy.as_str(),
        "SELECT * INTO t FROM fact_orders",
        "SELECT 1; SELECT 2",
        "SET datafusion.execution.batch_size = 1",
    ] {
        match run_sql(wh, &url, 1, sql, &limits).await {
            Err(WarehouseError::NotReadOnly { .. }) => {}
            other => panic!("{sql:?} on the cluster gave {other:?}"),
        }
    }
    assert!(!copy_target.exists(), "COPY wrote a file");
    // Files cannot be named as tables (another organisation's, say).
    match run_sql(wh, &url, 1, &other, &limits).await {
        Err(WarehouseError::Query { .. }) => {}
        other => panic!("a path as a table on the cluster gave {other:?}"),
    }

    // The executors ran the jobs (each stage writes its output under the work directory).
    let jobs: Vec<usize> = (0..EXECUTORS)
        .map(|i| count_entries(&cluster.work_dir(i)))
        .collect();
    eprintln!("job directories per executor work dir: {jobs:?}");
    assert!(jobs.iter().sum::<usize>() > 0, "no executor ran a task");
}

async fn distributed(wh: &Warehouse, cluster: &mut Cluster, org: i64, sql: &str) -> QueryResult {
    match run_sql(wh, &cluster.url(), org, sql, &limits()).await {
        Ok(r) => r,
        Err(e) => panic!("org {org}, {sql}: {e}\n{}", cluster.report()),
    }
}

fn assert_same(org: i64, name: &str, ordered: bool, local: &QueryResult, remote: &QueryResult) {
    assert_eq!(
        local.columns, remote.columns,
        "org {org}, {name}: columns differ"
    );
    assert_eq!(
        local.truncated, remote.truncated,
        "org {org}, {name}: truncation"
    );
    let (mut l, mut r) = (local.rows.clone(), remote.rows.clone());
    if !ordered {
        l.sort_by_key(|row| format!("{row:?}"));
        r.sort_by_key(|row| format!("{row:?}"));
    }
    assert_eq!(l, r, "org {org}, {name}: rows differ");
}

fn count_entries(dir: &Path) -> usize {
    std::fs::read_dir(dir).map_or(0, |d| d.flatten().count())
}

// ---- the processes ----

struct Process {
    name: String,
    child: Child,
    /// Held open: the process exits when it closes (`--exit-on-stdin-close`), so even a test
    /// killed without unwinding leaves no process behind.
    _stdin: Option<ChildStdin>,
    stdout: PathBuf,
    stderr: PathBuf,
}

/// One scheduler and the executors, killed when dropped (also when the test panics).
struct Cluster {
    processes: Vec<Process>,
    scheduler_port: u16,
    dir: PathBuf,
}

impl Drop for Cluster {
    fn drop(&mut self) {
        for p in &mut self.processes {
            let _ = p.child.kill();
            let _ = p.child.wait();
        }
    }
}

impl Cluster {
    fn start(tmp: &Path) -> Cluster {
        let mut failures = String::new();
        for attempt in 1..=START_ATTEMPTS {
            match Cluster::try_start(&tmp.join(format!("cluster-{attempt}"))) {
                Ok(cluster) => return cluster,
                Err(report) => {
                    eprintln!("starting the loopback cluster, attempt {attempt} failed:\n{report}");
                    let _ = writeln!(failures, "--- attempt {attempt} ---\n{report}");
                }
            }
        }
        panic!("the loopback cluster did not start:\n{failures}");
    }

    fn try_start(dir: &Path) -> Result<Cluster, String> {
        std::fs::create_dir_all(dir).map_err(|e| format!("{}: {e}", dir.display()))?;
        let ports = free_ports(1 + 2 * EXECUTORS);
        let mut cluster = Cluster {
            processes: Vec::new(),
            scheduler_port: ports[0],
            dir: dir.to_owned(),
        };
        let port = ports[0].to_string();
        let executors = EXECUTORS.to_string();
        cluster.spawn(
            "scheduler",
            &[
                "scheduler",
                "--bind",
                "127.0.0.1",
                "--port",
                &port,
                "--min-ready-executors",
                &executors,
                "--task-distribution",
                "round-robin",
            ],
        )?;
        cluster.wait_for("the scheduler to listen", |c| {
            std::fs::read_to_string(&c.processes[0].stdout)
                .is_ok_and(|s| s.contains("scheduler listening on"))
        })?;
        for i in 0..EXECUTORS {
            let flight = ports[1 + 2 * i].to_string();
            let grpc = ports[2 + 2 * i].to_string();
            let work_dir = cluster.work_dir(i);
            let work_dir = work_dir.to_str().ok_or("work dir path")?.to_owned();
            cluster.spawn(
                &format!("executor-{}", i + 1),
                &[
                    "executor",
                    "--scheduler-host",
                    "127.0.0.1",
                    "--scheduler-port",
                    &port,
                    "--bind",
                    "127.0.0.1",
                    "--port",
                    &flight,
                    "--grpc-port",
                    &grpc,
                    "--concurrency",
                    "2",
                    "--work-dir",
                    &work_dir,
                    // Two executors and the test share the machine: keep their pools modest.
                    "--memory-pool-bytes",
                    "536870912",
                ],
            )?;
        }
        cluster.wait_for("both executors to register", |c| {
            alive_executors(c.scheduler_port).is_some_and(|n| n >= EXECUTORS)
        })?;
        Ok(cluster)
    }

    fn url(&self) -> String {
        format!("df://127.0.0.1:{}", self.scheduler_port)
    }

    fn work_dir(&self, executor: usize) -> PathBuf {
        self.dir.join(format!("executor-{}-work", executor + 1))
    }

    fn spawn(&mut self, name: &str, args: &[&str]) -> Result<(), String> {
        let stdout = self.dir.join(format!("{name}.stdout"));
        let stderr = self.dir.join(format!("{name}.stderr"));
        let file = |p: &Path| std::fs::File::create(p).map_err(|e| format!("{}: {e}", p.display()));
        let mut child = Command::new(env!("CARGO_BIN_EXE_guanxi-cluster"))
            .args(args)
            .arg("--exit-on-stdin-close")
            .env("RUST_LOG", "info")
            .stdin(Stdio::piped())
            .stdout(file(&stdout)?)
            .stderr(file(&stderr)?)
            .spawn()
            .map_err(|e| format!("cannot start {name}: {e}"))?;
        self.processes.push(Process {
            name: name.to_owned(),
            _stdin: child.stdin.take(),
            child,
            stdout,
            stderr,
        });
        Ok(())
    }

    /// Polls `ready` until it holds; fails on the timeout or when a process exits.
    fn wait_for(&mut self, what: &str, ready: impl Fn(&Cluster) -> bool) -> Result<(), String> {
        let deadline = Instant::now() + START_TIMEOUT;
        loop {
            if ready(self) {
                return Ok(());
            }
            let exited = self
                .processes
                .iter_mut()
                .any(|p| matches!(p.child.try_wait(), Ok(Some(_))));
            if exited {
                return Err(format!(
                    "a process exited while waiting for {what}\n{}",
                    self.report()
                ));
            }
            if Instant::now() > deadline {
                return Err(format!(
                    "timed out after {START_TIMEOUT:?} waiting for {what}\n{}",
                    self.report()
                ));
            }
            std::thread::sleep(Duration::from_millis(200));
        }
    }

    /// Each process's state and the end of its stderr.
    fn report(&mut self) -> String {
        let mut out = String::new();
        for p in &mut self.processes {
            let state = match p.child.try_wait() {
                Ok(Some(status)) => format!("exited: {status}"),
                Ok(None) => "running".to_owned(),
                Err(e) => format!("unknown: {e}"),
            };
            let stderr = std::fs::read_to_string(&p.stderr).unwrap_or_default();
            let tail: String = {
                let lines: Vec<&str> = stderr.lines().collect();
                lines[lines.len().saturating_sub(40)..].join("\n")
            };
            let _ = writeln!(
                out,
                "=== {} ({state}), stderr tail ({}) ===\n{tail}",
                p.name,
                p.stderr.display()
            );
        }
        out
    }
}

/// Ports free right now on loopback (all bound at once, so distinct, then released).
fn free_ports(n: usize) -> Vec<u16> {
    let listeners: Vec<TcpListener> = (0..n)
        .map(|_| TcpListener::bind("127.0.0.1:0").expect("bind a free port"))
        .collect();
    listeners
        .iter()
        .map(|l| l.local_addr().expect("local address").port())
        .collect()
}

/// The alive executors the scheduler's `GET /readyz` reports (`ready: 2 executors
/// registered`, `not ready: 1/2 executors registered`), if it answers.
fn alive_executors(port: u16) -> Option<usize> {
    let addr = SocketAddr::from(([127, 0, 0, 1], port));
    let mut stream = TcpStream::connect_timeout(&addr, Duration::from_secs(2)).ok()?;
    stream.set_read_timeout(Some(Duration::from_secs(5))).ok()?;
    stream
        .set_write_timeout(Some(Duration::from_secs(5)))
        .ok()?;
    stream
        .write_all(b"GET /readyz HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: close\r\n\r\n")
        .ok()?;
    let mut response = Vec::new();
    // A read timeout after the body arrived is fine: parse whatever came.
    let _ = stream.read_to_end(&mut response);
    let response = String::from_utf8_lossy(&response);
    let after = response.split("ready: ").nth(1)?;
    let digits: String = after.chars().take_while(char::is_ascii_digit).collect();
    digits.parse().ok()
}

// ---- the data ----

/// A small deterministic generator (no dependency needed).
struct Rng(u64);

impl Rng {
    fn below(&mut self, n: u64) -> u64 {
        self.0 = self
            .0
            .wrapping_mul(6_364_136_223_846_793_005)
            .wrapping_add(1_442_695_040_888_963_407);
        (self.0 >> 33) % n
    }

    fn pick<'a>(&mut self, items: &[&'a str]) -> &'a str {
        items[self.below(items.len() as u64) as usize]
    }
}

fn cst() -> FixedOffset {
    FixedOffset::east_opt(8 * 3600).expect("offset")
}

fn utc(y: i32, m: u32, d: u32) -> DateTime<Utc> {
    Utc.with_ymd_and_hms(y, m, d, 0, 0, 0)
        .single()
        .expect("date")
}

struct Org {
    id: i64,
    customers: i64,
    customer_base: i64,
    order_base: i64,
    product_base: i64,
    products: i64,
    owner_base: i64,
    owners: i64,
}

const ORGS: [Org; 2] = [
    Org {
        id: 1,
        customers: 300,
        customer_base: 1000,
        order_base: 1,
        product_base: 1,
        products: 12,
        owner_base: 1,
        owners: 5,
    },
    Org {
        id: 2,
        customers: 60,
        customer_base: 5000,
        order_base: 100_000,
        product_base: 101,
        products: 6,
        owner_base: 11,
        owners: 3,
    },
];

/// Six months, October 2025 to March 2026; the load each month's facts go in.
const MONTHS: [(i32, u32, usize); 6] = [
    (2025, 10, 0),
    (2025, 11, 0),
    (2025, 12, 0),
    (2026, 1, 1),
    (2026, 2, 1),
    (2026, 3, 2),
];
const CLASSES: [&str; 3] = ["key", "ordinary", "small"];
const CHANNELS: [(&str, &str); 3] = [("web", "网店"), ("wechat", "微信"), ("store", "门店")];
const REGIONS: [(&str, &str); 3] = [("440300", "深圳"), ("110000", "北京"), ("310000", "上海")];

/// Three loads over two organisations: dimensions and the autumn in the first, class changes
/// (from 1 January) and January–February in the second, March and later versions of some
/// orders (status changes) in the third.
fn batches() -> Vec<LoadBatch> {
    let mut rng = Rng(20_260_101);
    let mut batches: Vec<LoadBatch> = (1..=3)
        .map(|n| LoadBatch {
            watermark: n * 100,
            ..LoadBatch::default()
        })
        .collect();
    for org in &ORGS {
        let owner = |rng: &mut Rng| org.owner_base + rng.below(org.owners as u64) as i64;
        for c in 0..org.customers {
            let id = org.customer_base + c;
            let class = rng.pick(&CLASSES);
            batches[0].customers.push(CustomerRow {
                org_id: org.id,
                customer_id: id,
                name: format!("客户{id}"),
                kind: rng.pick(&["person", "company"]).to_owned(),
                class: (c % 10 != 0).then(|| class.to_owned()),
                status: Some(rng.pick(&["new", "current", "loyal"]).to_owned()),
                owner_id: Some(owner(&mut rng)),
                region: Some(REGIONS[(c % 3) as usize].0.to_owned()),
                changed_at: utc(2025, 9, 1),
            });
        }
        // A fifth of the customers change class on 1 January.
        let changed: Vec<CustomerRow> = batches[0]
            .customers
            .iter()
            .filter(|c| c.org_id == org.id && (c.customer_id - org.customer_base) % 5 == 1)
            .map(|c| {
                let mut c = c.clone();
                c.class = Some(
                    match c.class.as_deref() {
                        Some("key") => "small",
                        _ => "key",
                    }
                    .to_owned(),
                );
                c.changed_at = utc(2026, 1, 1);
                c
            })
            .collect();
        batches[1].customers.extend(changed);
        for p in 0..org.products {
            batches[0].products.push(ProductRow {
                org_id: org.id,
                product_id: org.product_base + p,
                sku: format!("SKU-{}-{p}", org.id),
                name: format!("商品{p}"),
                category: Some(["tea", "porcelain", "silk"][(p % 3) as usize].to_owned()),
                unit_price_fen: 500 + 250 * p,
                currency: "CNY".to_owned(),
            });
        }
        for o in 0..org.owners {
            batches[0].owners.push(OwnerRow {
                org_id: org.id,
                owner_id: org.owner_base + o,
                name: format!("销售{}", org.owner_base + o),
                team: Some(["华南", "华北"][(o % 2) as usize].to_owned()),
            });
        }
        for (code, name) in CHANNELS {
            batches[0].channels.push(ChannelRow {
                org_id: org.id,
                code: code.to_owned(),
                name: name.to_owned(),
            });
        }
        for (code, name) in REGIONS {
            batches[0].regions.push(RegionRow {
                org_id: org.id,
                code: code.to_owned(),
                name: name.to_owned(),
            });
        }

        let mut order_id = org.order_base;
        let mut interaction_id = org.order_base;
        for &(year, month, load) in &MONTHS {
            for c in 0..org.customers {
                let customer_id = org.customer_base + c;
                for _ in 0..rng.below(3) {
                    let at = local(
                        year,
                        month,
                        1 + rng.below(28) as u32,
                        9 + rng.below(10) as u32,
                    );
                    let lines: Vec<OrderLineRow> = (1..=1 + rng.below(3) as i32)
                        .map(|position| {
                            let p = rng.below(org.products as u64) as i64;
                            let quantity = 1 + rng.below(5) as i64;
                            let unit = 500 + 250 * p;
                            let discount = if rng.below(4) == 0 { 100 } else { 0 };
                            OrderLineRow {
                                position,
                                product_id: Some(org.product_base + p),
                                description: format!("商品{p}"),
                                quantity,
                                unit_price_fen: unit,
                                discount_fen: discount,
                                line_total_fen: quantity * unit - discount,
                            }
                        })
                        .collect();
                    let order = OrderRow {
                        org_id: org.id,
                        order_id,
                        version: 1,
                        customer_id,
                        ordered_at: at,
                        updated_at: at.with_timezone(&Utc) + chrono::Duration::hours(1),
                        status: rng
                            .pick(&[
                                "placed",
                                "paid",
                                "paid",
                                "shipped",
                                "completed",
                                "cancelled",
                            ])
                            .to_owned(),
                        channel: Some(CHANNELS[rng.below(3) as usize].0.to_owned()),
                        owner_id: Some(owner(&mut rng)),
                        region: Some(REGIONS[(c % 3) as usize].0.to_owned()),
                        total_fen: lines.iter().map(|l| l.line_total_fen).sum(),
                        currency: "CNY".to_owned(),
                        lines,
                    };
                    // Every seventh early order changes status later (a second version).
                    if load < 2 && order_id % 7 == 0 {
                        let mut later = order.clone();
                        later.version = 2;
                        later.status = rng.pick(&["completed", "refunded"]).to_owned();
                        later.updated_at = utc(2026, 3, 15);
                        batches[2].orders.push(later);
                    }
                    batches[load].orders.push(order);
                    order_id += 1;
                }
                if rng.below(2) == 0 {
                    batches[load].interactions.push(InteractionRow {
                        org_id: org.id,
                        interaction_id,
                        customer_id,
                        occurred_at: local(year, month, 1 + rng.below(28) as u32, 14),
                        channel: Some(CHANNELS[rng.below(3) as usize].0.to_owned()),
                        direction: Some(rng.pick(&["inbound", "outbound"]).to_owned()),
                        kind: rng.pick(&["call", "visit", "wechat", "email"]).to_owned(),
                        owner_id: Some(owner(&mut rng)),
                    });
                    interaction_id += 1;
                }
            }
        }
    }
    batches
}

fn local(y: i32, m: u32, d: u32, h: u32) -> DateTime<FixedOffset> {
    cst()
        .with_ymd_and_hms(y, m, d, h, 0, 0)
        .single()
        .expect("date")
}

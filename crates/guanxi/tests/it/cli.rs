//! The binary itself: help texts, migrate, config redaction.

use std::process::Command;

fn guanxi() -> Command {
    let mut c = Command::new(env!("CARGO_BIN_EXE_guanxi"));
    c.env_remove("GUANXI_DATABASE_URL")
        .env_remove("GUANXI_LISTEN");
    c
}

#[test]
fn every_subcommand_has_help() {
    for args in [
        vec!["--help"],
        vec!["serve", "--help"],
        vec!["migrate", "--help"],
        vec!["demo", "--help"],
        vec!["bench", "--help"],
        vec!["config", "--help"],
        vec!["admin", "--help"],
        vec!["admin", "create-user", "--help"],
        vec!["import", "check", "--help"],
        vec!["import", "customers", "--help"],
        vec!["import", "orders", "--help"],
        vec!["analyze", "--help"],
        vec!["bench", "analyze", "--help"],
        vec!["warehouse", "--help"],
        vec!["warehouse", "load", "--help"],
        vec!["warehouse", "sql", "--help"],
    ] {
        let out = guanxi().args(&args).output().expect("run");
        assert!(out.status.success(), "{args:?}");
        assert!(!out.stdout.is_empty(), "{args:?}");
    }
    let demo = guanxi().args(["demo", "--help"]).output().expect("run");
    let text = String::from_utf8_lossy(&demo.stdout);
    assert!(
        text.contains("--customers") && text.contains("--seed"),
        "{text}"
    );
}

#[test]
fn migrate_creates_the_database_and_config_hides_passwords() {
    let dir = std::env::temp_dir().join(format!("guanxi_cli_{}", std::process::id()));
    std::fs::create_dir_all(&dir).expect("dir");
    let out = guanxi()
        .current_dir(&dir)
        .arg("migrate")
        .output()
        .expect("run");
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert!(dir.join("guanxi.db").exists(), "default database file");
    let out = guanxi()
        .current_dir(&dir)
        .env(
            "GUANXI_DATABASE_URL",
            "postgres://app:s3cret-pw@db.example:5432/crm",
        )
        .arg("config")
        .output()
        .expect("run");
    let text = String::from_utf8_lossy(&out.stdout);
    assert!(
        text.contains("db.example") && !text.contains("s3cret-pw"),
        "{text}"
    );
    let bad = guanxi()
        .current_dir(&dir)
        .env("GUANXI_DATABASE_URL", "mysql://x/y")
        .arg("migrate")
        .output()
        .expect("run");
    assert!(!bad.status.success());
    let _ = std::fs::remove_dir_all(&dir);
}

/// `guanxi import check` reads a GBK file with Chinese headers and names every damaged row, in
/// both languages, without a database.
#[test]
fn import_check_reports_a_gbk_file() {
    let path = std::env::temp_dir().join(format!("客户-{}.csv", std::process::id()));
    let csv = "姓名,手机,邮箱\r\n张伟,13800138000,zhang.wei@example.cn\r\n王芳,1.38001E+10,\r\n张伟（重复）,138 0013 8000,\r\n";
    let (gbk, _, _) = encoding_rs::GBK.encode(csv);
    std::fs::write(&path, &gbk).expect("write");
    let bin = env!("CARGO_BIN_EXE_guanxi");
    let zh = std::process::Command::new(bin)
        .args(["import", "check"])
        .arg(&path)
        .output()
        .expect("run");
    assert!(
        zh.status.success(),
        "{}",
        String::from_utf8_lossy(&zh.stderr)
    );
    let out = String::from_utf8(zh.stdout).expect("utf-8");
    assert!(out.contains("编码: gb18030"), "{out}");
    assert!(out.contains("姓名 → 姓名"), "{out}");
    assert!(
        out.contains("第 3 行：手机：号码被 Excel 存成了科学计数法"),
        "{out}"
    );
    assert!(out.contains("第 4 行：与第 2 行是同一位客户"), "{out}");
    let en = std::process::Command::new(bin)
        .args(["import", "check", "--lang", "en"])
        .arg(&path)
        .output()
        .expect("run");
    let out = String::from_utf8(en.stdout).expect("utf-8");
    assert!(
        out.contains("3 rows: 1 to create or match, 1 the same as an earlier row, 1 refused"),
        "{out}"
    );
    // Read as GB18030 on purpose, the names come out as other characters; an encoding that is
    // not offered is refused with the choices.
    let forced = std::process::Command::new(bin)
        .args(["import", "check", "--encoding", "big5", "--delimiter", ";"])
        .arg(&path)
        .output()
        .expect("run");
    let out = String::from_utf8(forced.stdout).expect("utf-8");
    assert!(out.contains("编码: Big5"), "{out}");
    assert!(
        !out.contains("姓名 → 姓名"),
        "one column, not read as GBK: {out}"
    );
    let refused = std::process::Command::new(bin)
        .args(["import", "check", "--encoding", "latin1"])
        .arg(&path)
        .output()
        .expect("run");
    assert!(!refused.status.success());
    let err = String::from_utf8_lossy(&refused.stderr);
    assert!(err.contains("--encoding latin1: use utf-8, gbk"), "{err}");
    let _ = std::fs::remove_file(&path);
}

/// Run `guanxi` in `dir` with quiet logs; it must succeed. Its standard output.
fn run_in(dir: &std::path::Path, args: &[&str]) -> String {
    let out = guanxi()
        .current_dir(dir)
        .env("RUST_LOG", "warn")
        .args(args)
        .output()
        .expect("run");
    assert!(
        out.status.success(),
        "{args:?}: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8(out.stdout).expect("utf-8")
}

/// `guanxi import customers` brings the good rows of a file into an organisation, matching
/// existing customers by phone; importing the same file again creates nobody twice.
#[test]
fn import_customers_into_an_organisation() {
    let dir = std::env::temp_dir().join(format!("guanxi_import_{}", std::process::id()));
    std::fs::create_dir_all(&dir).expect("dir");
    let path = dir.join("客户.csv");
    let csv = "姓名,手机,邮箱,城市\r\n张伟,13800138000,zhang.wei@example.cn,杭州\r\n王芳,1.38001E+10,,\r\n李娜,13912345678,,上海\r\n";
    let (gbk, _, _) = encoding_rs::GBK.encode(csv);
    std::fs::write(&path, &gbk).expect("write");
    let run = |args: &[&str]| run_in(&dir, args);
    run(&["admin", "create-org", "--name", "导入公司"]);
    let file = path.to_str().expect("path");
    let first = run(&["import", "customers", file, "--org", "1"]);
    assert!(first.contains("第 3 行：手机"), "{first}");
    assert!(
        first.contains("新建 2（另建公司 0），匹配已有客户 0"),
        "{first}"
    );
    let checked = run(&["import", "check", file, "--org", "1"]);
    assert!(checked.contains("匹配已有客户 #"), "{checked}");
    assert!(checked.contains("其中 2 行会匹配已有客户"), "{checked}");
    let again = run(&["import", "customers", file, "--org", "1", "--lang", "en"]);
    assert!(
        again.contains("0 created (0 companies added), 2 matched existing customers (0 updated)"),
        "{again}"
    );
    // A scan from the command line is recorded like one started on the page.
    let scanned = run(&["import", "duplicates", "--org", "1"]);
    assert!(scanned.contains("比对了 2 位客户"), "{scanned}");
    let (status, customers): (String, i64) = query_in(
        &dir,
        "SELECT status, customers FROM duplicate_scans WHERE org_id = 1 ORDER BY id DESC LIMIT 1",
    );
    assert_eq!((status.as_str(), customers), ("done", 2));
    let _ = std::fs::remove_dir_all(&dir);
}

/// `guanxi import orders` reads a GBK export of a shop: rows sharing an order number are one
/// order, a damaged row is named with its reason, and a second run finds every order there.
#[test]
fn import_orders_from_a_shop_export() {
    let dir = fresh_dir("orders");
    let path = dir.join("订单.csv");
    let csv = "订单编号,收货人姓名,联系手机,订单创建时间,宝贝标题,宝贝数量,实付金额,订单状态\r\n\
               T1,张伟,13800138000,2024/1/5 14:30,龙井茶,2,\"￥1,288.00\",交易成功\r\n\
               T1,张伟,13800138000,2024/1/5 14:30,茶具,1,88元,交易成功\r\n\
               T2,李娜,13912345678,2024-02-01,红茶,1,66.5,已发货\r\n\
               T3,王芳,13700137000,2024-02-03,白茶,1,十块,已付款\r\n";
    let (gbk, _, _) = encoding_rs::GBK.encode(csv);
    std::fs::write(&path, &gbk).expect("write");
    let run = |args: &[&str]| run_in(&dir, args);
    run(&["admin", "create-org", "--name", "网店"]);
    let file = path.to_str().expect("path");
    let first = run(&["import", "orders", file, "--org", "1"]);
    assert!(first.contains("第 5 行：金额：不是有效的金额"), "{first}");
    assert!(
        first.contains("4 行：新建订单 2，已存在 0，拒绝 1，空行 0，为其新建客户 2"),
        "{first}"
    );
    // Two orders: 2 × 1,288.00 is the row's paid amount, not a unit price; 88 and 66.50 more.
    assert_eq!(orders_in(&dir), (2, 128_800 + 8_800 + 6_650));
    let again = run(&["import", "orders", file, "--org", "1", "--lang", "en"]);
    assert!(
        again.contains("4 rows: 0 orders created, 2 already there, 1 refused"),
        "{again}"
    );
    assert_eq!(orders_in(&dir).0, 2);
    let _ = std::fs::remove_dir_all(&dir);
}

/// Rows of one order that are not next to each other: in the same chunk they join their order;
/// once the order has been written (an earlier chunk) the row is refused with the line of the
/// order's first row, never reported as an order already there with its lines lost.
#[test]
fn scattered_rows_of_an_order_join_it_or_are_refused() {
    let dir = fresh_dir("scattered");
    let path = dir.join("orders.csv");
    let mut csv = String::from(
        "订单编号,收货人姓名,联系手机,订单创建时间,宝贝标题,宝贝数量,实付金额,订单状态\r\n\
         S1,张伟,13800138000,2024-03-01,龙井茶,1,10,交易成功\r\n\
         S2,李娜,13912345678,2024-03-02,红茶,1,20,交易成功\r\n\
         S1,张伟,13800138000,2024-03-01,茶具,1,5,交易成功\r\n",
    );
    // Empty rows up to the end of the first chunk of 10,000 rows (lines 2 to 10,001).
    for _ in 5..=10_001 {
        csv.push_str(",,,,,,,\r\n");
    }
    csv.push_str("S1,张伟,13800138000,2024-03-01,茶叶罐,1,7,交易成功\r\n");
    std::fs::write(&path, csv).expect("write");
    let run = |args: &[&str]| run_in(&dir, args);
    run(&["admin", "create-org", "--name", "网店"]);
    let out = run(&[
        "import",
        "orders",
        path.to_str().expect("path"),
        "--org",
        "1",
    ]);
    assert!(out.contains("新建订单 2，已存在 0，拒绝 1"), "{out}");
    // S1 has its two lines of the first chunk (10 + 5), S2 its one; the late row is not in.
    assert_eq!(orders_in(&dir), (2, 1_000 + 500 + 2_000));
    let (reason,): (String,) = query_in(
        &dir,
        "SELECT detail FROM import_rows WHERE line = 10002 AND outcome = 'rejected'",
    );
    assert!(reason.contains("订单 S1 已从第 2 行起导入"), "{reason}");
    assert!(reason.contains("sort the file by order number"), "{reason}");
    let _ = std::fs::remove_dir_all(&dir);
}

/// An import killed half-way is seen as running, then as interrupted once its heartbeat is
/// old, and resumes from its last chunk: every row is written exactly once. The first run
/// writes chunks of the configured size (`GUANXI_IMPORT_CHUNK_ROWS`), not SQLite's default.
#[tokio::test]
async fn a_killed_import_resumes_from_its_last_chunk() {
    let dir = std::env::temp_dir().join(format!("guanxi_resume_{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).expect("dir");
    let url = format!("sqlite://{}", dir.join("guanxi.db").display());
    killed_import_resumes(&dir, &url).await;
}

/// The same on PostgreSQL: a killed process's transaction is rolled back by the server.
#[tokio::test]
async fn a_killed_import_resumes_from_its_last_chunk_on_postgres() {
    let Some((store, url)) = guanxi_store_sql::testdb::fresh_postgres()
        .await
        .expect("postgres")
    else {
        return;
    };
    store.pool().close().await;
    let dir = std::env::temp_dir().join(format!("guanxi_resume_pg_{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).expect("dir");
    killed_import_resumes(&dir, &url).await;
}

async fn killed_import_resumes(dir: &std::path::Path, url: &str) {
    let path = dir.join("big.csv");
    let rows = 100_000u64;
    let mut csv = String::from("name,mobile,email\n");
    for i in 0..rows {
        csv.push_str(&format!(
            "客户{i},139{:08},c{i}@example.cn\n",
            i * 7 % 100_000_000
        ));
    }
    std::fs::write(&path, csv).expect("write");
    let run = |args: &[&str]| {
        guanxi()
            .env("GUANXI_DATABASE_URL", url)
            .args(args)
            .output()
            .expect("run")
    };
    assert!(run(&["admin", "create-org", "--name", "续传"])
        .status
        .success());
    let mut child = guanxi()
        .env("GUANXI_DATABASE_URL", url)
        .env("GUANXI_IMPORT_CHUNK_ROWS", "5000")
        .args(["import", "customers", "--quiet", "--org", "1"])
        .arg(&path)
        .stdout(std::process::Stdio::null())
        .stderr(std::process::Stdio::null())
        .spawn()
        .expect("spawn");
    let store =
        guanxi_store_sql::SqlStore::connect(url, &guanxi_store_sql::PoolSettings::default())
            .await
            .expect("store");
    // Kill it once a chunk or two are in.
    let mut done = 0i64;
    for _ in 0..1200 {
        done = sqlx::query_scalar("SELECT COALESCE(MAX(rows_done), 0) FROM import_jobs")
            .fetch_one(store.pool())
            .await
            .unwrap_or(0);
        if done >= 10_000 {
            break;
        }
        tokio::time::sleep(std::time::Duration::from_millis(50)).await;
    }
    child.kill().expect("kill");
    let _ = child.wait();
    assert!(done >= 10_000, "no chunk was written");
    let done: i64 = sqlx::query_scalar("SELECT rows_done FROM import_jobs WHERE id = 1")
        .fetch_one(store.pool())
        .await
        .expect("rows_done");
    assert!(
        (done as u64) < rows,
        "the import finished before it could be killed"
    );
    assert!(
        done % 5_000 == 0 && (done as usize) < guanxi_store_sql::SqlStore::IMPORT_CHUNK_ROWS,
        "chunks of the configured 5,000 rows, not of the default: {done}"
    );
    let customers: i64 = sqlx::query_scalar("SELECT COUNT(*) FROM customers")
        .fetch_one(store.pool())
        .await
        .expect("count");
    assert_eq!(customers, done, "what is written is what the job counts");
    // Still "running" while its heartbeat is fresh: nobody else may take it.
    let jobs = String::from_utf8(run(&["import", "jobs", "--org", "1", "--lang", "en"]).stdout)
        .expect("utf-8");
    assert!(jobs.contains("running"), "{jobs}");
    let early = run(&["import", "resume", "1", "--org", "1", "--quiet"]);
    assert!(!early.status.success());
    // A minute later it is interrupted, and resumes.
    sqlx::query("UPDATE import_jobs SET heartbeat_at = heartbeat_at - 120000000")
        .execute(store.pool())
        .await
        .expect("age");
    let jobs = String::from_utf8(run(&["import", "jobs", "--org", "1", "--lang", "en"]).stdout)
        .expect("utf-8");
    assert!(jobs.contains("interrupted (can resume)"), "{jobs}");
    let resumed = run(&[
        "import", "resume", "1", "--org", "1", "--quiet", "--lang", "en",
    ]);
    let out = String::from_utf8_lossy(&resumed.stdout);
    assert!(
        resumed.status.success(),
        "{out} {}",
        String::from_utf8_lossy(&resumed.stderr)
    );
    assert!(
        out.contains(&format!("{rows} rows: {rows} created")),
        "{out}"
    );
    let customers: i64 = sqlx::query_scalar("SELECT COUNT(*) FROM customers")
        .fetch_one(store.pool())
        .await
        .expect("count");
    assert_eq!(customers as u64, rows, "every row exactly once");
    store.pool().close().await;
    let _ = std::fs::remove_dir_all(dir);
}

/// `guanxi demo` scores its customers at once; `guanxi analyze` runs the whole pipeline again
/// and prints the fits, tiers, stages, risks and segments; an organisation without purchases
/// gets scores for nobody and a clear word on the models, not a failure.
#[test]
fn demo_customers_are_scored_and_analyze_summarises() {
    let dir = std::env::temp_dir().join(format!("guanxi_analyze_{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).expect("dir");
    let demo = guanxi()
        .current_dir(&dir)
        .args([
            "demo",
            "--no-serve",
            "--customers",
            "400",
            "--password",
            "Demo-pass-2026!",
        ])
        .output()
        .expect("demo");
    let err = String::from_utf8_lossy(&demo.stderr);
    assert!(demo.status.success(), "{err}");
    assert!(err.contains("Scored "), "{err}");
    // The demo fills the warehouse too: its orders there are the database's.
    assert!(err.contains("into the warehouse"), "{err}");
    let in_db = orders_in(&dir);
    let wh = guanxi()
        .current_dir(&dir)
        .args([
            "warehouse",
            "sql",
            "--org",
            "1",
            "--format",
            "csv",
            "SELECT count(*) AS n, sum(total_fen) AS fen FROM fact_orders",
        ])
        .output()
        .expect("warehouse sql");
    assert!(
        wh.status.success(),
        "{}",
        String::from_utf8_lossy(&wh.stderr)
    );
    assert_eq!(
        String::from_utf8_lossy(&wh.stdout),
        format!("n,fen\r\n{},{}\r\n", in_db.0, in_db.1)
    );
    // Nothing changed since: the next load reads no order.
    let again = guanxi()
        .current_dir(&dir)
        .args(["warehouse", "load", "--quiet", "--lag-seconds", "0"])
        .output()
        .expect("warehouse load");
    let out = String::from_utf8_lossy(&again.stdout);
    assert!(
        again.status.success(),
        "{}",
        String::from_utf8_lossy(&again.stderr)
    );
    assert!(out.contains(": 0 orders"), "{out}");
    // Writing SQL is refused, with the reason.
    let write = guanxi()
        .current_dir(&dir)
        .args(["warehouse", "sql", "--org", "1", "DELETE FROM fact_orders"])
        .output()
        .expect("warehouse sql");
    assert!(!write.status.success());
    assert!(
        String::from_utf8_lossy(&write.stderr).contains("read-only"),
        "{}",
        String::from_utf8_lossy(&write.stderr)
    );
    let run = guanxi()
        .current_dir(&dir)
        .args(["analyze", "--org", "1", "--quiet", "--lang", "en"])
        .output()
        .expect("analyze");
    let out = String::from_utf8_lossy(&run.stdout);
    assert!(
        run.status.success(),
        "{}",
        String::from_utf8_lossy(&run.stderr)
    );
    assert!(out.contains("Run 2 (as of"), "{out}");
    assert!(out.contains("BG/NBD: r = "), "{out}");
    assert!(out.contains("tier A: "), "{out}");
    assert!(out.contains("lifecycle: "), "{out}");
    let zh = guanxi()
        .current_dir(&dir)
        .args(["analyze", "--org", "1", "--quiet"])
        .output()
        .expect("analyze");
    let out = String::from_utf8_lossy(&zh.stdout);
    assert!(out.contains("第 3 次评分"), "{out}");
    // An organisation without a purchase: nobody scored, the models say why.
    let org = guanxi()
        .current_dir(&dir)
        .args(["admin", "create-org", "--name", "空店"])
        .output()
        .expect("create-org");
    let id: String = String::from_utf8_lossy(&org.stdout)
        .chars()
        .filter(char::is_ascii_digit)
        .collect();
    let empty = guanxi()
        .current_dir(&dir)
        .args(["analyze", "--org", &id, "--quiet", "--lang", "en"])
        .output()
        .expect("analyze");
    let out = String::from_utf8_lossy(&empty.stdout);
    assert!(
        empty.status.success(),
        "{}",
        String::from_utf8_lossy(&empty.stderr)
    );
    assert!(out.contains(": 0 customers, 0 purchases"), "{out}");
    assert!(out.contains("no customer has bought twice yet"), "{out}");
    assert!(!out.contains("NaN"), "{out}");
    let missing = guanxi()
        .current_dir(&dir)
        .args(["analyze", "--org", "999", "--quiet"])
        .output()
        .expect("analyze");
    assert!(!missing.status.success());
    assert!(String::from_utf8_lossy(&missing.stderr).contains("999"));
    // A demo started again on a new database file does not mix the old warehouse's facts
    // with its own: the old one is set aside and the warehouse rebuilt.
    for f in ["guanxi.db", "guanxi.db-wal", "guanxi.db-shm"] {
        let _ = std::fs::remove_file(dir.join(f));
    }
    let again = guanxi()
        .current_dir(&dir)
        .args(["demo", "--no-serve", "--customers", "150", "--seed", "9"])
        .output()
        .expect("demo");
    let err = String::from_utf8_lossy(&again.stderr);
    assert!(again.status.success(), "{err}");
    assert!(err.contains("kept as"), "{err}");
    let count = |args: &[&str]| -> String {
        let out = guanxi().current_dir(&dir).args(args).output().expect("run");
        String::from_utf8_lossy(&out.stdout).into_owned()
    };
    let in_db = orders_in(&dir).0;
    assert_eq!(
        count(&[
            "warehouse",
            "sql",
            "--org",
            "1",
            "--format",
            "csv",
            "SELECT count(*) AS n FROM fact_orders"
        ]),
        format!("n\r\n{in_db}\r\n")
    );
    let _ = std::fs::remove_dir_all(&dir);
}

/// An empty working folder for one story.
fn fresh_dir(tag: &str) -> std::path::PathBuf {
    let dir = std::env::temp_dir().join(format!("guanxi_{tag}_{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).expect("dir");
    dir
}

/// One query's row from the SQLite file of `dir`.
fn query_in<T>(dir: &std::path::Path, sql: &str) -> T
where
    T: for<'r> sqlx::FromRow<'r, sqlx::any::AnyRow> + Send + Unpin,
{
    tokio::runtime::Runtime::new()
        .expect("runtime")
        .block_on(async {
            let url = format!("sqlite://{}", dir.join("guanxi.db").display());
            let store = guanxi_store_sql::SqlStore::connect(&url, &Default::default())
                .await
                .expect("store");
            sqlx::query_as(sql)
                .fetch_one(store.pool())
                .await
                .expect(sql)
        })
}

/// The number and total (fen) of organisation 1's orders in the SQLite file of `dir`.
fn orders_in(dir: &std::path::Path) -> (i64, i64) {
    query_in(
        dir,
        "SELECT COUNT(*), COALESCE(SUM(total), 0) FROM orders WHERE org_id = 1",
    )
}

//! The web UI in a real browser: Debian's headless Chromium driven by playwright-core
//! (`crates/guanxi-web/tests/browser/ui.mjs`), once in each language, against the real server
//! with demo data, its data warehouse loaded before each pass.
//!
//! Needs `/usr/bin/chromium` (or `CHROMIUM`), `node`, and `npm ci` run in the script's folder.
//! Without them the test says so and passes, unless `GUANXI_TEST_REQUIRE_BROWSER=1` (CI sets
//! it). `GUANXI_SCREENSHOTS=docs/screenshots` saves the main screens.

use crate::support::TestApp;
use guanxi_core::password::Password;
use std::path::PathBuf;
use std::process::Command;

const DEMO_PASSWORD: &str = "浏览器测试的演示密码";

fn script_dir() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../guanxi-web/tests/browser")
}

/// Why the browser test cannot run here, if it cannot.
fn missing() -> Option<String> {
    let chromium = std::env::var("CHROMIUM").unwrap_or_else(|_| "/usr/bin/chromium".into());
    if !PathBuf::from(&chromium).exists() {
        return Some(format!("no Chromium at {chromium}"));
    }
    if !script_dir().join("node_modules/playwright-core").exists() {
        return Some(
            "playwright-core is not installed (npm ci in crates/guanxi-web/tests/browser)".into(),
        );
    }
    if Command::new("node").arg("--version").output().is_err() {
        return Some("no node".into());
    }
    None
}

/// Load what changed into the test server's warehouse; the organisation's orders, counted
/// in the operational database.
async fn load_warehouse(
    app: &TestApp,
    db: &guanxi_store_sql::SqlStore,
    org: guanxi_core::OrgId,
) -> i64 {
    let wh = guanxi_warehouse::Warehouse::open(&app.warehouse_dir).expect("warehouse");
    guanxi::warehouse::load(app.store.as_ref(), &wh, std::time::Duration::ZERO, |_| {})
        .await
        .expect("warehouse load");
    let orders: i64 = sqlx::query_scalar("SELECT COUNT(*) FROM orders WHERE org_id = ?")
        .bind(org.get())
        .fetch_one(db.pool())
        .await
        .expect("count orders");
    assert!(orders > 0, "the demo data has orders");
    orders
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_web_ui_in_both_languages() {
    if let Some(why) = missing() {
        assert!(
            std::env::var("GUANXI_TEST_REQUIRE_BROWSER").is_err(),
            "browser test required but {why}"
        );
        eprintln!("skipping the browser test: {why}");
        return;
    }
    let (store, _dir) = guanxi_store_sql::testdb::fresh_sqlite()
        .await
        .expect("sqlite");
    let password = Password::parse(DEMO_PASSWORD, "").expect("policy");
    let opts = guanxi::demo::Populate {
        customers: 300,
        seed: 1,
        interactions_per_customer: 3.0,
        batch: 300,
        password: Some(&password),
        orders: true,
        order_rate: 1.0,
        bulk_opportunities: 0,
    };
    let (ctx, _) = guanxi::demo::populate(&store, guanxi::demo::DEMO_ORG, opts, |_, _| {})
        .await
        .expect("demo data");
    let db = store.clone();
    let app = TestApp::start(store).await;
    let shots = std::env::var("GUANXI_SCREENSHOTS").ok().map(|d| {
        let p = PathBuf::from(env!("CARGO_MANIFEST_DIR"))
            .join("../..")
            .join(d);
        std::fs::create_dir_all(&p).expect("screenshot dir");
        p
    });
    for lang in ["zh-CN", "en"] {
        // The warehouse holds every order so far (the pass before this one made some more);
        // the SQL page must count as many.
        let orders = load_warehouse(&app, &db, ctx.org).await;
        let mut cmd = Command::new("node");
        cmd.arg(script_dir().join("ui.mjs"))
            .env("BASE", &app.base)
            .env("EMAIL", "zhang.wei@demo.guanxi.example")
            .env("PASSWORD", DEMO_PASSWORD)
            .env("UI_LANG", lang)
            .env("ORDERS", orders.to_string());
        if let Some(s) = &shots {
            cmd.env("SHOTS", s);
        }
        let out = tokio::task::spawn_blocking(move || cmd.output())
            .await
            .expect("join")
            .expect("node runs");
        let stdout = String::from_utf8_lossy(&out.stdout);
        let stderr = String::from_utf8_lossy(&out.stderr);
        assert!(
            out.status.success(),
            "browser test in {lang} failed:\n{stdout}\n{stderr}"
        );
        assert!(stdout.contains("all steps passed"), "{stdout}");
    }
}

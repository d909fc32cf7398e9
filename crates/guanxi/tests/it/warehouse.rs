//! The data warehouse on both databases: orders and interactions made over the API are loaded
//! into the warehouse, revenue by month from the warehouse's SQL matches what was bought, a
//! status change reaches it as a new version in the next (incremental) load, an organisation
//! sees only its own facts, only administrators and analysts may query, and bad SQL is refused
//! with the field and the reason.

use crate::support::{error_fields, TestApp};
use chrono::{Datelike, Duration, FixedOffset, Utc};
use guanxi_core::Role;
use serde_json::{json, Value};
use std::collections::BTreeMap;

crate::on_both!(orders_reach_the_warehouse_and_analysts_query_them);

async fn load(app: &TestApp) -> guanxi::warehouse::LoadSummary {
    let wh = guanxi_warehouse::Warehouse::open(&app.warehouse_dir).expect("warehouse");
    guanxi::warehouse::load(app.store.as_ref(), &wh, std::time::Duration::ZERO, |_| {})
        .await
        .expect("load")
}

async fn sql(app: &TestApp, sql: &str) -> Value {
    let r = app
        .post("/api/v1/warehouse/query", &json!({ "sql": sql }))
        .await;
    assert_eq!(r.status, 200, "{sql}: {:?}", r.body);
    r.body
}

/// Revenue (fen) of paid orders by local month, as the warehouse's summary gives it.
async fn revenue_by_month(app: &TestApp) -> BTreeMap<String, i64> {
    let body = sql(
        app,
        "SELECT month, sum(revenue_fen) AS revenue FROM summary_segment_month \
         GROUP BY month ORDER BY month",
    )
    .await;
    body["rows"]
        .as_array()
        .expect("rows")
        .iter()
        .map(|r| {
            (
                r[0].as_str().expect("month").to_owned(),
                r[1].as_i64().expect("revenue"),
            )
        })
        .collect()
}

async fn orders_reach_the_warehouse_and_analysts_query_them(mut app: TestApp) {
    let org = app.use_new_org("数仓").await;
    // Before any load: the tables exist and are empty.
    let empty = sql(&app, "SELECT count(*) AS n FROM fact_orders").await;
    assert_eq!(empty["rows"], json!([[0]]), "{empty:?}");

    // Twelve customers with paid orders over the last eight months (Beijing time decides the
    // month), and a call each.
    let cst = FixedOffset::east_opt(8 * 3600).expect("offset");
    let mut expected: BTreeMap<String, i64> = BTreeMap::new();
    let mut first_order = None;
    for i in 0..12i64 {
        let c = app
            .post(
                "/api/v1/customers",
                &json!({"name": format!("数仓客户{i}")}),
            )
            .await;
        assert_eq!(c.status, 201, "{:?}", c.body);
        let id = c.body["id"].as_i64().expect("id");
        for k in 0..(1 + i % 3) {
            let at = Utc::now() - Duration::days(20 + 17 * i + 40 * k);
            let fen = 1_000 * (i + 1) + 100 * k;
            let o = app
                .post(
                    "/api/v1/orders",
                    &json!({
                        "customer_id": id, "status": "paid",
                        "placed_at": at.to_rfc3339(), "paid_at": at.to_rfc3339(),
                        "lines": [{"description": "龙井", "unit_price": format!("{}.{:02}", fen / 100, fen % 100)}]
                    }),
                )
                .await;
            assert_eq!(o.status, 201, "{:?}", o.body);
            first_order.get_or_insert((o.body["id"].as_i64().expect("oid"), fen, at));
            let local = at.with_timezone(&cst);
            *expected
                .entry(format!("{}-{:02}", local.year(), local.month()))
                .or_default() += fen;
        }
        let call = app
            .post(
                "/api/v1/interactions",
                &json!({"customer_id": id, "channel": "phone", "body": "回访"}),
            )
            .await;
        assert_eq!(call.status, 201, "{:?}", call.body);
    }
    // Another organisation's order must never show up in this one's answers.
    let other = app.use_new_org("别家").await;
    let c = app
        .post("/api/v1/customers", &json!({"name": "别家客户"}))
        .await;
    let oid = c.body["id"].as_i64().expect("id");
    let o = app
        .post(
            "/api/v1/orders",
            &json!({"customer_id": oid, "status": "paid",
                    "lines": [{"description": "别家货", "unit_price": "99999.00"}]}),
        )
        .await;
    assert_eq!(o.status, 201, "{:?}", o.body);
    app.switch_org(org);

    let first = load(&app).await;
    // This organisation's 24 and the other's one: a load reads every organisation.
    assert_eq!(first.orders, 25, "{first:?}");
    assert_eq!(first.interactions, 12, "{first:?}");
    assert!(first.batches >= 1 && !first.resumed, "{first:?}");
    assert_eq!(revenue_by_month(&app).await, expected);
    let calls = sql(
        &app,
        "SELECT channel_key IS NOT NULL, count(*) FROM fact_interactions GROUP BY 1",
    )
    .await;
    assert_eq!(calls["rows"], json!([[true, 12]]), "{calls:?}");
    // Nothing changed: the next load moves nothing.
    let again = load(&app).await;
    assert_eq!((again.orders, again.interactions), (0, 0), "{again:?}");

    // A refund reaches the warehouse as a new version of the order: the current view says
    // refunded and the revenue drops, the history keeps both.
    let (oid, fen, at) = first_order.expect("an order");
    let refund = app
        .post(
            &format!("/api/v1/orders/{oid}/status"),
            &json!({"status": "refunded"}),
        )
        .await;
    assert_eq!(refund.status, 200, "{:?}", refund.body);
    let third = load(&app).await;
    assert_eq!(third.orders, 1, "{third:?}");
    let local = at.with_timezone(&cst);
    let month = format!("{}-{:02}", local.year(), local.month());
    *expected.get_mut(&month).expect("month") -= fen;
    expected.retain(|_, v| *v != 0);
    assert_eq!(revenue_by_month(&app).await, expected);
    let versions = sql(
        &app,
        &format!("SELECT status FROM fact_orders_history WHERE order_id = {oid} ORDER BY version"),
    )
    .await;
    assert_eq!(versions["rows"], json!([["paid"], ["refunded"]]));

    // CSV for Excel: a byte order mark, then the header.
    let csv = app
        .post(
            "/api/v1/warehouse/query",
            &json!({"sql": "SELECT count(*) AS orders FROM fact_orders", "format": "csv"}),
        )
        .await;
    assert_eq!(csv.status, 200);
    assert_eq!(csv.body, json!("\u{feff}orders\r\n24\r\n"));

    // The status says what is loaded.
    let status = app.get("/api/v1/warehouse").await;
    assert_eq!(status.status, 200, "{:?}", status.body);
    assert_eq!(status.body["loading"], false);
    assert!(status.body["loaded_until"].is_string(), "{:?}", status.body);

    // The other organisation sees its one order and nothing of this one's.
    app.switch_org(other);
    let theirs = sql(&app, "SELECT count(*), sum(total_fen) FROM fact_orders").await;
    assert_eq!(theirs["rows"], json!([[1, 9_999_900]]));
    app.switch_org(org);

    // Bad SQL: each refusal names the field and says why, in the caller's language.
    for (body, field) in [
        (json!({"sql": "DELETE FROM fact_orders"}), "sql"),
        (json!({"sql": "SELECT 1; SELECT 2"}), "sql"),
        (json!({"sql": "SELEC month FROM x"}), "sql"),
        (json!({"sql": "SELECT nope FROM fact_orders"}), "sql"),
        (json!({"sql": "SELECT * FROM customers"}), "sql"),
        (json!({"sql": "   "}), "sql"),
        (json!({}), "sql"),
        (json!({"sql": "SELECT 1", "format": "xml"}), "format"),
    ] {
        let r = app.post("/api/v1/warehouse/query", &body).await;
        assert_eq!(r.status, 422, "{body}: {:?}", r.body);
        assert_eq!(error_fields(&r.body), vec![field.to_owned()], "{body}");
    }
    app.lang = "zh-CN";
    let zh = app
        .post(
            "/api/v1/warehouse/query",
            &json!({"sql": "DROP TABLE fact_orders"}),
        )
        .await;
    assert!(zh.body.to_string().contains("只读查询"), "{:?}", zh.body);
    app.lang = "en";
    let long = "SELECT 1 -- ".to_owned() + &"x".repeat(20_001);
    let r = app
        .post("/api/v1/warehouse/query", &json!({ "sql": long }))
        .await;
    assert_eq!(r.status, 422, "{:?}", r.body);

    // Only administrators and analysts query the warehouse.
    for (role, allowed) in [
        (Role::Analyst, true),
        (Role::Marketer, false),
        (Role::Manager, false),
        (Role::SalesRep, false),
        (Role::Agent, false),
    ] {
        let (_, token) = app.user_with_token(org, role, None).await;
        app.token = Some(token);
        let r = app
            .post(
                "/api/v1/warehouse/query",
                &json!({"sql": "SELECT count(*) FROM fact_orders"}),
            )
            .await;
        assert_eq!(r.status, if allowed { 200 } else { 403 }, "{role:?}");
        let s = app.get("/api/v1/warehouse").await;
        assert_eq!(s.status, if allowed { 200 } else { 403 }, "{role:?}");
    }
    app.switch_org(org);
}

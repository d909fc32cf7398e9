use std::time::Duration;

use chrono::{DateTime, FixedOffset, TimeZone, Utc};
use serde_json::{json, Value};

use crate::load::{lock, stage_locked};
use crate::*;

fn cst() -> FixedOffset {
    FixedOffset::east_opt(8 * 3600).expect("offset")
}

fn local(y: i32, m: u32, d: u32) -> DateTime<FixedOffset> {
    cst()
        .with_ymd_and_hms(y, m, d, 10, 0, 0)
        .single()
        .expect("date")
}

fn utc(y: i32, m: u32, d: u32) -> DateTime<Utc> {
    Utc.with_ymd_and_hms(y, m, d, 0, 0, 0)
        .single()
        .expect("date")
}

fn customer(org: i64, id: i64, name: &str, class: &str, changed: DateTime<Utc>) -> CustomerRow {
    CustomerRow {
        org_id: org,
        customer_id: id,
        name: name.to_owned(),
        kind: "company".to_owned(),
        class: Some(class.to_owned()),
        status: Some("current".to_owned()),
        owner_id: Some(7),
        region: Some("440300".to_owned()),
        changed_at: changed,
    }
}

fn order(
    org: i64,
    id: i64,
    version: i64,
    customer_id: i64,
    at: DateTime<FixedOffset>,
    status: &str,
    total: i64,
) -> OrderRow {
    OrderRow {
        org_id: org,
        order_id: id,
        version,
        customer_id,
        ordered_at: at,
        updated_at: at.with_timezone(&Utc) + chrono::Duration::days(version),
        status: status.to_owned(),
        channel: Some("web".to_owned()),
        owner_id: Some(7),
        region: Some("440300".to_owned()),
        total_fen: total,
        currency: "CNY".to_owned(),
        lines: vec![
            OrderLineRow {
                position: 1,
                product_id: Some(1),
                description: "茶叶".to_owned(),
                quantity: 1,
                unit_price_fen: total / 2,
                discount_fen: 0,
                line_total_fen: total / 2,
            },
            OrderLineRow {
                position: 2,
                product_id: None,
                description: "运费".to_owned(),
                quantity: 1,
                unit_price_fen: total - total / 2,
                discount_fen: 0,
                line_total_fen: total - total / 2,
            },
        ],
    }
}

/// Org 1: customer 100 (small, later key) and 101 (key); org 2: customer 200.
fn batch_one() -> LoadBatch {
    LoadBatch {
        watermark: 10,
        customers: vec![
            customer(1, 100, "深圳科技", "small", utc(2026, 1, 1)),
            customer(1, 101, "北京贸易", "key", utc(2026, 1, 1)),
            customer(2, 200, "上海食品", "ordinary", utc(2026, 1, 1)),
        ],
        products: vec![ProductRow {
            org_id: 1,
            product_id: 1,
            sku: "TEA-1".to_owned(),
            name: "茶叶".to_owned(),
            category: Some("tea".to_owned()),
            unit_price_fen: 500,
            currency: "CNY".to_owned(),
        }],
        owners: vec![OwnerRow {
            org_id: 1,
            owner_id: 7,
            name: "张三".to_owned(),
            team: None,
        }],
        channels: vec![ChannelRow {
            org_id: 1,
            code: "web".to_owned(),
            name: "网店".to_owned(),
        }],
        regions: vec![],
        orders: vec![
            order(1, 1, 1, 100, local(2026, 1, 15), "paid", 1000),
            order(1, 2, 1, 101, local(2026, 2, 3), "completed", 5000),
            order(2, 3, 1, 200, local(2026, 1, 20), "paid", 777),
        ],
        interactions: vec![InteractionRow {
            org_id: 1,
            interaction_id: 1,
            customer_id: 100,
            occurred_at: local(2026, 1, 10),
            channel: Some("wechat".to_owned()),
            direction: Some("outbound".to_owned()),
            kind: "wechat".to_owned(),
            owner_id: Some(7),
        }],
        cursor: None,
    }
}

/// Customer 100 becomes key on 1 February; order 1 moves to completed; order 4 (February,
/// customer 100, now key) and a cancelled order 5.
fn batch_two() -> LoadBatch {
    LoadBatch {
        watermark: 20,
        customers: vec![customer(1, 100, "深圳科技", "key", utc(2026, 2, 1))],
        orders: vec![
            order(1, 1, 2, 100, local(2026, 1, 15), "completed", 1000),
            order(1, 4, 1, 100, local(2026, 2, 10), "paid", 2000),
            order(1, 5, 1, 101, local(2026, 2, 20), "cancelled", 9999),
        ],
        ..LoadBatch::default()
    }
}

fn limits() -> Limits {
    Limits::default()
}

async fn rows(wh: &Warehouse, org: i64, sql: &str) -> Vec<Vec<Value>> {
    wh.sql(org, sql, &limits())
        .await
        .unwrap_or_else(|e| panic!("{sql}: {e}"))
        .rows
}

async fn count(wh: &Warehouse, org: i64, table: &str) -> i64 {
    let r = rows(wh, org, &format!("SELECT count(*) FROM {table}")).await;
    r[0][0].as_i64().expect("count")
}

fn open() -> (tempfile::TempDir, Warehouse) {
    let tmp = tempfile::tempdir().expect("tempdir");
    let wh = Warehouse::open(tmp.path().join("wh")).expect("open");
    (tmp, wh)
}

#[tokio::test]
async fn revenue_by_month_and_by_class_at_the_time() {
    let (_tmp, wh) = open();
    let r1 = wh.load(batch_one()).await.expect("load 1");
    assert_eq!((r1.load_seq, r1.orders, r1.order_lines), (1, 3, 6));
    wh.load(batch_two()).await.expect("load 2");
    assert_eq!(wh.watermark().expect("watermark"), Some(20));

    assert_eq!(
        rows(
            &wh,
            1,
            "SELECT month, sum(revenue_fen) AS revenue FROM summary_segment_month \
             GROUP BY month ORDER BY month"
        )
        .await,
        vec![
            vec![json!("2026-01"), json!(1000)],
            vec![json!("2026-02"), json!(7000)]
        ]
    );
    // Order 1 (January) stays under "small", the class customer 100 had then.
    assert_eq!(
        rows(
            &wh,
            1,
            "SELECT customer_class, sum(revenue_fen), sum(orders) FROM summary_segment_month \
             GROUP BY customer_class ORDER BY customer_class"
        )
        .await,
        vec![
            vec![json!("key"), json!(7000), json!(2)],
            vec![json!("small"), json!(1000), json!(1)]
        ]
    );
    // The same through the star join, and the class now.
    assert_eq!(
        rows(
            &wh,
            1,
            "SELECT o.order_id, c.class AS then, now.class AS now \
             FROM fact_orders o JOIN dim_customer c ON o.customer_key = c.customer_key \
             JOIN dim_customer now ON now.customer_id = o.customer_id AND now.is_current \
             WHERE o.customer_id = 100 ORDER BY o.order_id"
        )
        .await,
        vec![
            vec![json!(1), json!("small"), json!("key")],
            vec![json!(4), json!("key"), json!("key")]
        ]
    );
    assert_eq!(
        rows(
            &wh,
            1,
            "SELECT class, valid_to IS NULL, is_current FROM dim_customer \
             WHERE customer_id = 100 ORDER BY valid_from"
        )
        .await,
        vec![
            vec![json!("small"), json!(false), json!(false)],
            vec![json!("key"), json!(true), json!(true)]
        ]
    );

    // Detail keeps both versions of order 1; current detail the latest one.
    assert_eq!(count(&wh, 1, "fact_orders_history").await, 5);
    assert_eq!(count(&wh, 1, "fact_orders").await, 4);
    assert_eq!(
        rows(&wh, 1, "SELECT status FROM fact_orders WHERE order_id = 1").await,
        vec![vec![json!("completed")]]
    );
    assert_eq!(count(&wh, 1, "fact_order_lines_history").await, 10);
    assert_eq!(count(&wh, 1, "fact_order_lines").await, 8);
    assert_eq!(count(&wh, 1, "fact_interactions").await, 1);

    // Light summary: one row per customer and day with purchases.
    assert_eq!(
        rows(
            &wh,
            1,
            "SELECT customer_id, date_key, orders, revenue_fen FROM summary_customer_day \
             ORDER BY customer_id, date_key"
        )
        .await,
        vec![
            vec![json!(100), json!(20260115), json!(1), json!(1000)],
            vec![json!(100), json!(20260210), json!(1), json!(2000)],
            vec![json!(101), json!(20260203), json!(1), json!(5000)]
        ]
    );
    // Month partition filter, dimensions, calendar.
    assert_eq!(
        rows(
            &wh,
            1,
            "SELECT count(*) FROM fact_orders WHERE month = '2026-01'"
        )
        .await,
        vec![vec![json!(1)]]
    );
    assert_eq!(
        rows(
            &wh,
            1,
            "SELECT ch.name, count(*) FROM fact_orders o JOIN dim_channel ch \
             ON o.channel_key = ch.channel_key GROUP BY ch.name"
        )
        .await,
        vec![vec![json!("网店"), json!(4)]]
    );
    assert_eq!(
        rows(
            &wh,
            1,
            "SELECT d.weekday, d.quarter, d.week FROM fact_orders o \
             JOIN dim_date d ON o.date_key = d.date_key WHERE o.order_id = 4"
        )
        .await,
        vec![vec![json!(2), json!(1), json!(7)]]
    );
    assert_eq!(count(&wh, 1, "dim_date").await, 365);
    assert_eq!(count(&wh, 1, "dim_product").await, 1);
    let status = wh.status().expect("status");
    assert_eq!((status.watermark, status.load_seq), (Some(20), 2));
}

#[tokio::test]
async fn an_organisation_sees_only_its_own_rows() {
    let (_tmp, wh) = open();
    wh.load(batch_one()).await.expect("load 1");
    wh.load(batch_two()).await.expect("load 2");
    assert_eq!(count(&wh, 2, "fact_orders_history").await, 1);
    assert_eq!(
        rows(
            &wh,
            2,
            "SELECT DISTINCT org_id, customer_id FROM fact_orders"
        )
        .await,
        vec![vec![json!(2), json!(200)]]
    );
    assert_eq!(count(&wh, 2, "dim_customer").await, 1);
    assert_eq!(
        rows(&wh, 2, "SELECT sum(revenue_fen) FROM summary_segment_month").await,
        vec![vec![json!(777)]]
    );
    assert_eq!(
        rows(
            &wh,
            1,
            "SELECT count(*) FROM fact_orders WHERE customer_id = 200"
        )
        .await,
        vec![vec![json!(0)]]
    );
    // No way round the registered tables: files cannot be named as tables.
    let path = wh.dir().join("org=1/fact_orders");
    let err = wh
        .sql(2, &format!("SELECT * FROM '{}'", path.display()), &limits())
        .await
        .expect_err("a path is not a table");
    assert!(matches!(err, WarehouseError::Query { .. }), "{err:?}");
    // An organisation with no rows sees empty tables.
    assert_eq!(count(&wh, 99, "fact_orders").await, 0);
}

#[tokio::test]
async fn only_one_read_only_query_is_accepted() {
    let (_tmp, wh) = open();
    wh.load(batch_one()).await.expect("load");
    for sql in [
        "INSERT INTO fact_orders_history VALUES (1)",
        "CREATE TABLE x AS SELECT 1",
        "CREATE VIEW v AS SELECT 1",
        "CREATE EXTERNAL TABLE t STORED AS PARQUET LOCATION '/tmp/x'",
        "DROP TABLE fact_orders",
        "DELETE FROM fact_orders_history",
        "UPDATE fact_orders_history SET total_fen = 0",
        "COPY (SELECT 1) TO '/tmp/guanxi-warehouse-copy.parquet'",
        "COPY fact_orders_history TO '/tmp/guanxi-warehouse-copy.parquet'",
        "SELECT 1; SELECT 2",
        "SELECT 1 INTO t",
        "SET datafusion.execution.batch_size = 1",
        "EXPLAIN ANALYZE SELECT 1",
        "WITH t AS (SELECT 1 AS a) SELECT a INTO u FROM t",
        "",
    ] {
        match wh.sql(1, sql, &limits()).await {
            Err(WarehouseError::NotReadOnly { .. }) => {}
            other => panic!("{sql:?} gave {other:?}"),
        }
    }
    assert!(!std::path::Path::new("/tmp/guanxi-warehouse-copy.parquet").exists());
    assert!(matches!(
        wh.sql(1, "SELEC 1", &limits()).await,
        Err(WarehouseError::Syntax { .. })
    ));
    assert!(matches!(
        wh.sql(1, "SELECT * FROM no_such_table", &limits()).await,
        Err(WarehouseError::Query { .. })
    ));
    // Read-only forms are fine.
    for sql in [
        "WITH t AS (SELECT 1 AS a) SELECT a FROM t",
        "VALUES (1), (2)",
        "SELECT 1 UNION ALL SELECT 2",
        "SELECT table_name FROM information_schema.tables",
    ] {
        wh.sql(1, sql, &limits())
            .await
            .unwrap_or_else(|e| panic!("{sql}: {e}"));
    }
}

#[tokio::test]
async fn the_row_limit_truncates_and_says_so() {
    let (_tmp, wh) = open();
    wh.load(batch_one()).await.expect("load");
    let small = Limits {
        max_rows: 10,
        ..Limits::default()
    };
    let r = wh
        .sql(1, "SELECT * FROM dim_date ORDER BY date_key", &small)
        .await
        .expect("query");
    assert_eq!(r.rows.len(), 10);
    assert!(r.truncated);
    assert_eq!(r.rows[0][0], json!(20260101));
    assert_eq!(r.batches.iter().map(|b| b.num_rows()).sum::<usize>(), 10);
    let exact = Limits {
        max_rows: 365,
        ..Limits::default()
    };
    let r = wh
        .sql(1, "SELECT * FROM dim_date", &exact)
        .await
        .expect("query");
    assert_eq!((r.rows.len(), r.truncated), (365, false));
    let none = Limits {
        max_rows: 0,
        ..Limits::default()
    };
    let r = wh.sql(1, "SELECT 1", &none).await.expect("query");
    assert_eq!((r.rows.len(), r.truncated), (0, true));
}

#[tokio::test]
async fn a_slow_query_is_cancelled() {
    let (_tmp, wh) = open();
    let quick = Limits {
        timeout: Duration::from_millis(200),
        ..Limits::default()
    };
    let err = wh
        .sql(
            1,
            "SELECT count(*) FROM generate_series(1, 100000000000) WHERE value % 7 = 3",
            &quick,
        )
        .await
        .expect_err("too slow");
    assert!(matches!(err, WarehouseError::Timeout(_)), "{err:?}");
}

#[tokio::test]
async fn a_crash_before_the_manifest_leaves_the_previous_state() {
    let (_tmp, wh) = open();
    wh.load(batch_one()).await.expect("load 1");
    // A load dies after writing its parts, before the manifest.
    {
        let _lock = lock(wh.dir()).expect("lock");
        let (_never_committed, report) = stage_locked(wh.dir(), &batch_two()).expect("stage");
        assert!(report.parts > 0);
    }
    assert!(wh
        .dir()
        .join("org=1/fact_orders/load=0000000002/month=2026-02")
        .exists());
    assert_eq!(wh.watermark().expect("watermark"), Some(10));
    assert_eq!(count(&wh, 1, "fact_orders_history").await, 2);
    assert_eq!(count(&wh, 1, "dim_customer").await, 2);
    assert_eq!(
        rows(&wh, 1, "SELECT status FROM fact_orders WHERE order_id = 1").await,
        vec![vec![json!("paid")]]
    );

    // The next load (other rows this time) reuses the number and sees nothing of the crash.
    let next = LoadBatch {
        watermark: 15,
        orders: vec![order(1, 6, 1, 101, local(2026, 3, 1), "paid", 300)],
        ..LoadBatch::default()
    };
    let r = wh.load(next).await.expect("load 2");
    assert_eq!(r.load_seq, 2);
    assert!(!wh
        .dir()
        .join("org=1/fact_orders/load=0000000002/month=2026-02")
        .exists());
    assert_eq!(count(&wh, 1, "fact_orders_history").await, 3);
    assert_eq!(count(&wh, 1, "dim_customer").await, 2);
    assert_eq!(
        rows(
            &wh,
            1,
            "SELECT month, sum(revenue_fen) FROM summary_segment_month GROUP BY month ORDER BY month"
        )
        .await,
        vec![
            vec![json!("2026-01"), json!(1000)],
            vec![json!("2026-02"), json!(5000)],
            vec![json!("2026-03"), json!(300)]
        ]
    );
    // And the crashed batch, sent again, now loads as number 3.
    let mut again = batch_two();
    again.watermark = 20;
    assert_eq!(wh.load(again).await.expect("load 3").load_seq, 3);
    assert_eq!(count(&wh, 1, "fact_orders").await, 5);
}

#[tokio::test]
async fn an_empty_warehouse_gives_empty_results() {
    let (_tmp, wh) = open();
    assert_eq!(wh.watermark().expect("watermark"), None);
    for table in [
        "fact_orders",
        "fact_orders_history",
        "fact_order_lines",
        "fact_interactions",
        "dim_customer",
        "dim_product",
        "dim_owner",
        "dim_channel",
        "dim_region",
        "dim_date",
        "summary_customer_day",
        "summary_segment_month",
    ] {
        let r = wh
            .sql(1, &format!("SELECT * FROM {table}"), &limits())
            .await
            .unwrap_or_else(|e| panic!("{table}: {e}"));
        assert!(r.rows.is_empty() && !r.columns.is_empty(), "{table}");
    }
    assert_eq!(
        rows(&wh, 1, "SELECT sum(revenue_fen) FROM summary_segment_month").await,
        vec![vec![Value::Null]]
    );
}

#[tokio::test]
async fn replays_and_unknown_members() {
    let (_tmp, wh) = open();
    wh.load(batch_one()).await.expect("load 1");
    let replay = wh.load(batch_one()).await.expect_err("replay");
    assert!(
        matches!(
            replay,
            WarehouseError::WatermarkNotAdvanced {
                current: 10,
                given: 10
            }
        ),
        "{replay:?}"
    );
    // An order of a customer not loaded yet gets an inferred customer version; the real row,
    // when it comes, is a new version.
    let b = LoadBatch {
        watermark: 11,
        orders: vec![order(1, 9, 1, 300, local(2026, 4, 1), "paid", 100)],
        ..LoadBatch::default()
    };
    wh.load(b).await.expect("load 2");
    let b = LoadBatch {
        watermark: 12,
        customers: vec![customer(1, 300, "广州", "small", utc(2026, 4, 2))],
        ..LoadBatch::default()
    };
    wh.load(b).await.expect("load 3");
    assert_eq!(
        rows(
            &wh,
            1,
            "SELECT kind, inferred, is_current FROM dim_customer WHERE customer_id = 300 \
             ORDER BY valid_from"
        )
        .await,
        vec![
            vec![json!("unknown"), json!(true), json!(false)],
            vec![json!("company"), json!(false), json!(true)]
        ]
    );
    // Sending an unchanged customer again adds no version.
    let b = LoadBatch {
        watermark: 13,
        customers: vec![customer(1, 300, "广州", "small", utc(2026, 4, 3))],
        ..LoadBatch::default()
    };
    assert_eq!(wh.load(b).await.expect("load 4").customer_versions, 0);
}

#[tokio::test]
async fn results_render_as_json_and_csv() {
    let (_tmp, wh) = open();
    let r = wh
        .sql(
            1,
            "SELECT 'a,b' AS name, 1 AS n, CAST(NULL AS BIGINT) AS nothing, 1.5 AS x",
            &limits(),
        )
        .await
        .expect("query");
    assert_eq!(r.to_csv(), "name,n,nothing,x\r\n\"a,b\",1,,1.5\r\n");
    assert_eq!(
        r.to_json(),
        json!({
            "columns": [
                {"name": "name", "data_type": "Utf8"},
                {"name": "n", "data_type": "Int64"},
                {"name": "nothing", "data_type": "Int64"},
                {"name": "x", "data_type": "Float64"}
            ],
            "rows": [["a,b", 1, null, 1.5]],
            "truncated": false
        })
    );
}

#[tokio::test]
async fn a_window_loads_in_batches_and_resumes_from_its_cursor() {
    let (_tmp, wh) = open();
    wh.load(batch_one()).await.expect("load 1");
    // The next window (10, 30] comes in three batches: the first two keep the watermark and
    // leave a cursor, the last moves the watermark and clears it.
    let page = |watermark: i64, cursor: Option<&str>, id: i64| LoadBatch {
        watermark,
        cursor: cursor.map(str::to_owned),
        orders: vec![order(1, id, 1, 101, local(2026, 5, 1), "paid", 100)],
        ..LoadBatch::default()
    };
    wh.load(page(10, Some("orders:50"), 50))
        .await
        .expect("page 1");
    assert_eq!(wh.watermark().expect("watermark"), Some(10));
    assert_eq!(wh.cursor().expect("cursor").as_deref(), Some("orders:50"));
    wh.load(page(10, Some("orders:51"), 51))
        .await
        .expect("page 2");
    assert_eq!(wh.cursor().expect("cursor").as_deref(), Some("orders:51"));
    wh.load(page(30, None, 52)).await.expect("last page");
    assert_eq!(wh.watermark().expect("watermark"), Some(30));
    assert_eq!(wh.cursor().expect("cursor"), None);
    assert_eq!(
        rows(
            &wh,
            1,
            "SELECT count(*) FROM fact_orders WHERE month = '2026-05'"
        )
        .await,
        vec![vec![json!(3)]]
    );
    // Between windows, rows at the stored watermark are still a replay.
    let replay = wh.load(page(30, None, 53)).await.expect_err("replay");
    assert!(matches!(
        replay,
        WarehouseError::WatermarkNotAdvanced { current: 30, .. }
    ));
    // And no batch may go behind the watermark, cursor or not.
    assert!(wh.load(page(29, Some("x"), 54)).await.is_err());
}

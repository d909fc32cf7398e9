//! Decision support over HTTP on both databases: customers with repeat purchases are scored
//! by a run started over the API, the scores come back on the customer, filter the list and
//! are counted within reach; bad parameters are named; roles and organisations are kept apart.

use crate::support::{error_fields, TestApp};
use chrono::{Duration, Utc};
use guanxi_core::Role;
use serde_json::{json, Value};

crate::on_both!(
    customers_are_scored_counted_and_filtered,
    segments_are_configured_per_organisation
);

/// Wait until the organisation has `n` runs and none is going.
async fn runs(app: &TestApp, n: usize) -> Value {
    for _ in 0..400 {
        let r = app.get("/api/v1/analysis/runs").await;
        assert_eq!(r.status, 200, "{:?}", r.body);
        if r.body["running"] == false && r.body["runs"].as_array().map_or(0, Vec::len) >= n {
            return r.body;
        }
        tokio::time::sleep(std::time::Duration::from_millis(50)).await;
    }
    panic!("no run finished");
}

async fn customers_are_scored_counted_and_filtered(mut app: TestApp) {
    let org = app.use_new_org("分析").await;
    let admin = app.token.clone();
    // Forty customers with 1–8 paid orders spread over two years, the last ones recent for
    // some and long ago for others; one customer with only a refunded... placed order.
    let mut ids = Vec::new();
    for i in 0..40i64 {
        let c = app
            .post("/api/v1/customers", &json!({"name": format!("客户{i}")}))
            .await;
        assert_eq!(c.status, 201, "{:?}", c.body);
        let id = c.body["id"].as_i64().expect("id");
        ids.push(id);
        let orders = 1 + i % 8;
        for k in 0..orders {
            let days = 700 - (i * 7) % 300 - k * (600 / orders.max(1));
            let at = Utc::now() - Duration::days(days.max(1));
            let o = app
                .post(
                    "/api/v1/orders",
                    &json!({
                        "customer_id": id, "status": "paid",
                        "placed_at": at.to_rfc3339(), "paid_at": at.to_rfc3339(),
                        "lines": [{"description": "茶叶", "unit_price": format!("{}.00", 50 + i * 3 + k)}]
                    }),
                )
                .await;
            assert_eq!(o.status, 201, "{:?}", o.body);
        }
    }
    let never = app
        .post("/api/v1/customers", &json!({"name": "只下单未付款"}))
        .await
        .body["id"]
        .as_i64()
        .expect("id");
    let placed = app
        .post(
            "/api/v1/orders",
            &json!({"customer_id": never, "lines": [{"description": "茶叶", "unit_price": "9.00"}]}),
        )
        .await;
    assert_eq!(placed.status, 201, "{:?}", placed.body);

    // Nothing scored yet.
    let empty = app.get("/api/v1/analysis/runs").await;
    assert_eq!(empty.body["runs"], json!([]));
    let before = app
        .get(&format!("/api/v1/customers/{}/scores", ids[0]))
        .await;
    assert_eq!(before.status, 200);
    assert_eq!(before.body["score"], Value::Null);

    // A run over the API.
    assert_eq!(
        app.post("/api/v1/analysis/runs", &json!({})).await.status,
        202
    );
    let body = runs(&app, 1).await;
    let run = &body["runs"][0];
    assert_eq!(run["customers"], 40, "{run:?}");
    let report = &run["report"];
    assert_eq!(report["bgnbd"]["ok"], true, "{report:?}");
    assert!(report["gamma_gamma"]["ok"].is_boolean());
    assert_eq!(report["tiers"].as_array().map(Vec::len), Some(3));
    assert_eq!(report["lorenz"].as_array().map(Vec::len), Some(21));
    assert!(!report["cohorts"].as_array().expect("cohorts").is_empty());

    let s = app
        .get(&format!("/api/v1/customers/{}/scores", ids[7]))
        .await;
    assert_eq!(s.status, 200, "{:?}", s.body);
    let score = &s.body["score"];
    assert_eq!(score["purchases"], 8);
    for k in ["r", "f", "m"] {
        let v = score[k].as_i64().expect("score");
        assert!((1..=5).contains(&v), "{k} {v}");
    }
    assert!(["A", "B", "C"].contains(&score["tier"].as_str().expect("tier")));
    let alive = score["alive"].as_f64().expect("alive");
    assert!((0.0..=1.0).contains(&alive));
    assert_eq!(s.body["history"].as_array().map(Vec::len), Some(1));
    let unscored = app.get(&format!("/api/v1/customers/{never}/scores")).await;
    assert_eq!(
        unscored.body["score"],
        Value::Null,
        "a placed order is not a purchase"
    );

    // Counts add up to the scored customers, and each cell's drill-down lists exactly them.
    let counts = app.get("/api/v1/analysis/counts?by=segment").await;
    assert_eq!(counts.status, 200, "{:?}", counts.body);
    let cells = counts.body["cells"].as_array().expect("cells");
    let total: u64 = cells
        .iter()
        .map(|c| c["customers"].as_u64().expect("n"))
        .sum();
    assert_eq!(total, 40);
    for c in cells {
        let seg = c["key"].as_str().expect("key");
        let list = app
            .get(&format!("/api/v1/customers?segment={seg}&limit=200"))
            .await;
        assert_eq!(list.status, 200, "{:?}", list.body);
        assert_eq!(
            list.body["items"].as_array().map(Vec::len),
            c["customers"].as_u64().map(|n| n as usize),
            "{seg}"
        );
    }
    let grid = app.get("/api/v1/analysis/counts?by=rf").await;
    let in_grid: u64 = grid.body["cells"]
        .as_array()
        .expect("grid")
        .iter()
        .map(|c| c["customers"].as_u64().expect("n"))
        .sum();
    assert_eq!(in_grid, 40);

    // A second run moves nobody (same data), keeps the history and records where they were.
    assert_eq!(
        app.post("/api/v1/analysis/runs", &json!({})).await.status,
        202
    );
    runs(&app, 2).await;
    let again = app
        .get(&format!("/api/v1/customers/{}/scores", ids[7]))
        .await;
    assert_eq!(again.body["history"].as_array().map(Vec::len), Some(1));
    assert_eq!(again.body["score"]["prev_segment"], score["segment"]);
    let migration = app.get("/api/v1/analysis/counts?by=migration").await;
    for c in migration.body["cells"].as_array().expect("cells") {
        assert_eq!(c["key"], c["key2"], "nobody moved: {c:?}");
    }

    // Bad parameters are named.
    let bad = app
        .get("/api/v1/analysis/counts?by=colour&tier=D&rfm_r=9&stage=growth")
        .await;
    assert_eq!(bad.status, 400, "{:?}", bad.body);
    let mut fields = error_fields(&bad.body);
    fields.sort();
    assert_eq!(fields, vec!["by", "rfm_r", "stage", "tier"]);
    let bad = app.get("/api/v1/customers?segment=Robert%27);--").await;
    assert_eq!(bad.status, 400);
    assert_eq!(error_fields(&bad.body), vec!["segment"]);
    let bad = app.get("/api/v1/customers?cohort=2026-13").await;
    assert_eq!(bad.status, 400, "{:?}", bad.body);
    assert_eq!(error_fields(&bad.body), vec!["cohort"]);

    // Every cohort of the report drills down to exactly its customers, and they add up.
    let report = &app.get("/api/v1/analysis/runs").await.body["runs"][0]["report"];
    let cohorts = report["cohorts"].as_array().expect("cohorts");
    assert!(cohorts.len() > 1, "{cohorts:?}");
    let mut in_cohorts = 0;
    for c in cohorts {
        let month = c["month"].as_str().expect("month");
        let listed = app
            .get(&format!("/api/v1/customers?cohort={month}&limit=200"))
            .await;
        assert_eq!(listed.status, 200, "{:?}", listed.body);
        let n = listed.body["items"].as_array().expect("items").len() as u64;
        assert_eq!(n, c["size"].as_u64().expect("size"), "cohort {month}");
        in_cohorts += n;
    }
    assert_eq!(in_cohorts, 40);

    // Roles: a sales rep owns nobody here and counts nobody; may not start a run. An agent
    // sees no dashboards.
    let (_, rep) = app.user_with_token(org, Role::SalesRep, None).await;
    let (_, agent) = app.user_with_token(org, Role::Agent, None).await;
    let (_, analyst) = app.user_with_token(org, Role::Analyst, None).await;
    for role in [Role::Manager, Role::Marketer, Role::Agent] {
        let (_, t) = app.user_with_token(org, role, None).await;
        app.token = Some(t);
        assert_eq!(
            app.post("/api/v1/analysis/runs", &json!({})).await.status,
            403,
            "{role:?} may not run the models"
        );
    }
    app.token = Some(rep);
    assert_eq!(
        app.post("/api/v1/analysis/runs", &json!({})).await.status,
        403
    );
    let mine = app.get("/api/v1/analysis/counts?by=tier").await;
    assert_eq!(mine.status, 200);
    assert_eq!(mine.body["cells"], json!([]));
    // The run's organisation-wide figures are not theirs to see: only the fits remain.
    let their_runs = app.get("/api/v1/analysis/runs").await;
    assert_eq!(their_runs.status, 200);
    let run = &their_runs.body["runs"][0];
    assert_eq!(run["report"]["org_wide"], false, "{run:?}");
    assert!(run["report"]["bgnbd"].is_object(), "{run:?}");
    for hidden in ["tiers", "lorenz", "months", "cohorts"] {
        assert!(
            run["report"].get(hidden).is_none(),
            "{hidden} shown to a rep"
        );
    }
    assert_eq!(run["customers"], 0);
    assert_eq!(
        app.get(&format!("/api/v1/customers/{}/scores", ids[0]))
            .await
            .status,
        404
    );
    app.token = Some(agent);
    assert_eq!(app.get("/api/v1/analysis/counts?by=tier").await.status, 403);
    app.token = Some(analyst);
    let full = app.get("/api/v1/analysis/runs").await;
    assert!(
        full.body["runs"][0]["report"]["tiers"].is_array(),
        "{:?}",
        full.body
    );
    let all = app.get("/api/v1/analysis/counts?by=tier").await;
    let n: u64 = all.body["cells"]
        .as_array()
        .expect("cells")
        .iter()
        .map(|c| c["customers"].as_u64().expect("n"))
        .sum();
    assert_eq!(n, 40);
    app.token = admin;

    // Another organisation sees none of it.
    app.use_new_org("别家").await;
    assert_eq!(
        app.get("/api/v1/analysis/runs").await.body["runs"],
        json!([])
    );
    assert_eq!(
        app.get(&format!("/api/v1/customers/{}/scores", ids[0]))
            .await
            .status,
        404
    );
    assert_eq!(
        app.get("/api/v1/analysis/counts?by=segment").await.body["cells"],
        json!([])
    );
}

/// An organisation keeps its own RFM segment map: runs name customers by it, another
/// organisation keeps the default, a map that leaves a cell out or is malformed is refused with
/// the field and the reason, only administrators and analysts change it, and it can go back
/// to the default.
async fn segments_are_configured_per_organisation(mut app: TestApp) {
    let org = app.use_new_org("自定义分群").await;
    let other = app.use_new_org("默认分群").await;
    app.switch_org(org);
    for i in 0..12i64 {
        let c = app
            .post(
                "/api/v1/customers",
                &json!({"name": format!("分群客户{i}")}),
            )
            .await;
        let id = c.body["id"].as_i64().expect("id");
        for k in 0..(1 + i % 4) {
            let at = Utc::now() - Duration::days(10 + 45 * k + 13 * i);
            let o = app
                .post(
                    "/api/v1/orders",
                    &json!({"customer_id": id, "status": "paid",
                            "placed_at": at.to_rfc3339(), "paid_at": at.to_rfc3339(),
                            "lines": [{"description": "茶", "unit_price": "88.00"}]}),
                )
                .await;
            assert_eq!(o.status, 201, "{:?}", o.body);
        }
    }
    let default = app.get("/api/v1/analysis/segments").await;
    assert_eq!(default.status, 200);
    assert_eq!(default.body["custom"], false);
    assert_eq!(default.body["segments"][0]["code"], "champions");

    let mine = json!({"segments": [
        {"code": "vip", "name_zh": "贵宾", "name_en": "VIP", "r": [4, 5], "f": [4, 5]},
        {"code": "active", "name_zh": "活跃", "name_en": "Active", "r": [3, 5], "f": [1, 5]},
        {"code": "dormant", "name_zh": "沉睡", "name_en": "Dormant", "r": [1, 2], "f": [1, 5]}
    ]});
    let put = app
        .send(
            reqwest::Method::PUT,
            "/api/v1/analysis/segments",
            Some(&mine),
            &[],
        )
        .await;
    assert_eq!(put.status, 200, "{:?}", put.body);
    assert_eq!(put.body["custom"], true);
    assert_eq!(put.body["segments"][2]["name_zh"], "沉睡");

    assert_eq!(
        app.post("/api/v1/analysis/runs", &json!({})).await.status,
        202
    );
    runs(&app, 1).await;
    let counts = app.get("/api/v1/analysis/counts?by=segment").await;
    assert_eq!(counts.status, 200, "{:?}", counts.body);
    let cells = counts.body["cells"].as_array().expect("cells");
    let total: i64 = cells
        .iter()
        .map(|c| c["customers"].as_i64().unwrap_or(0))
        .sum();
    assert_eq!(total, 12, "{cells:?}");
    for c in cells {
        assert!(
            ["vip", "active", "dormant"].contains(&c["key"].as_str().unwrap_or("")),
            "{c:?}"
        );
    }
    let listed = app.get("/api/v1/customers?segment=dormant&limit=100").await;
    assert_eq!(listed.status, 200, "{:?}", listed.body);

    // The other organisation still has the default map.
    app.switch_org(other);
    assert_eq!(
        app.get("/api/v1/analysis/segments").await.body["custom"],
        false
    );
    app.switch_org(org);

    // Bad maps, each refused whole with its field and reason; the kept map stays.
    let bad = [
        (
            json!({"segments": [{"code": "all", "name_zh": "全部", "name_en": "All", "r": [2, 5], "f": [1, 5]}]}),
            "segments",
        ),
        (
            json!({"segments": [{"code": "x", "name_zh": "甲", "name_en": "X", "r": [5, 1], "f": [1, 5]}]}),
            "segments[0].r",
        ),
        (
            json!({"segments": [{"code": "x", "name_zh": "甲", "name_en": "X", "r": [1, 6], "f": [1, 5]}]}),
            "segments[0].r[1]",
        ),
        (
            json!({"segments": [{"code": "Big Spenders", "name_zh": "甲", "name_en": "X", "r": [1, 5], "f": [1, 5]}]}),
            "segments[0].code",
        ),
        (
            json!({"segments": [
                {"code": "x", "name_zh": "甲", "name_en": "X", "r": [1, 5], "f": [1, 5]},
                {"code": "x", "name_zh": "乙", "name_en": "Y", "r": [1, 5], "f": [1, 5]}]}),
            "segments[1].code",
        ),
        (
            json!({"segments": [{"code": "x", "name_en": "X", "r": [1, 5], "f": [1, 5]}]}),
            "segments[0].name_zh",
        ),
        (json!({"segments": []}), "segments"),
    ];
    for (body, field) in bad {
        let r = app
            .send(
                reqwest::Method::PUT,
                "/api/v1/analysis/segments",
                Some(&body),
                &[],
            )
            .await;
        assert_eq!(r.status, 422, "{body}: {:?}", r.body);
        assert_eq!(
            error_fields(&r.body),
            vec![field.to_owned()],
            "{body}: {:?}",
            r.body
        );
    }
    app.lang = "zh-CN";
    let gap = app
        .send(
            reqwest::Method::PUT,
            "/api/v1/analysis/segments",
            Some(&json!({"segments": [{"code": "all", "name_zh": "全部", "name_en": "All", "r": [1, 5], "f": [2, 5]}]})),
            &[],
        )
        .await;
    assert!(gap.body.to_string().contains("F=1"), "{:?}", gap.body);
    app.lang = "en";
    assert_eq!(
        app.get("/api/v1/analysis/segments").await.body["segments"][0]["code"],
        "vip"
    );

    // Marketers read the map but do not change it; analysts do.
    for (role, may) in [(Role::Marketer, false), (Role::Analyst, true)] {
        let (_, t) = app.user_with_token(org, role, None).await;
        app.token = Some(t);
        assert_eq!(app.get("/api/v1/analysis/segments").await.status, 200);
        let r = app
            .send(
                reqwest::Method::PUT,
                "/api/v1/analysis/segments",
                Some(&mine),
                &[],
            )
            .await;
        assert_eq!(r.status, if may { 200 } else { 403 }, "{role:?}");
    }
    app.switch_org(org);
    let reset = app
        .send(
            reqwest::Method::DELETE,
            "/api/v1/analysis/segments",
            None,
            &[],
        )
        .await;
    assert_eq!(reset.status, 200, "{:?}", reset.body);
    assert_eq!(reset.body["custom"], false);
    assert_eq!(reset.body["segments"][0]["code"], "champions");
}

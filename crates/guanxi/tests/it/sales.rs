//! Products and orders over HTTP on both databases: idempotent external orders, totals checked,
//! bad amounts refused with the field named, statuses forward only, roles respected.

use crate::support::{error_fields, TestApp};
use guanxi_core::Role;
use reqwest::Method;
use serde_json::json;

crate::on_both!(
    orders_over_http,
    opportunities_over_http,
    activities_and_the_calendar_feed,
    quotes_over_http,
    key_accounts_over_http,
    customers_export_as_csv
);

async fn orders_over_http(mut app: TestApp) {
    let org = app.use_new_org("商店").await;
    let admin = app.token.clone();
    let p = app
        .post(
            "/api/v1/products",
            &json!({"sku": "TEA-01", "name": "龙井茶 250g", "unit_price": "128.00"}),
        )
        .await;
    assert_eq!(p.status, 201, "{:?}", p.body);
    assert_eq!(p.body["unit_price_minor"], 12_800);
    let pid = p.body["id"].as_i64().expect("pid");
    let c = app
        .post("/api/v1/customers", &json!({"name": "网店买家"}))
        .await;
    let cid = c.body["id"].as_i64().expect("cid");
    let order = json!({
        "customer_id": cid, "external_id": "shop-1001", "total": "251.00",
        "lines": [
            {"product_id": pid, "quantity": 2, "discount": "10.00"},
            {"description": "礼盒包装", "unit_price": "5.00"}
        ]
    });
    let first = app.post("/api/v1/orders", &order).await;
    assert_eq!(first.status, 201, "{:?}", first.body);
    assert_eq!(first.body["total"], "251.00");
    assert_eq!(first.body["lines"][0]["description"], "龙井茶 250g");
    let again = app.post("/api/v1/orders", &order).await;
    assert_eq!(again.status, 200, "posted twice, one order");
    assert_eq!(again.body["id"], first.body["id"]);
    let listed = app.get(&format!("/api/v1/customers/{cid}/orders")).await;
    assert_eq!(listed.body["items"].as_array().map(Vec::len), Some(1));
    // Bad amounts name their field; nothing is written.
    for (body, field) in [
        (
            json!({"customer_id": cid, "total": "1.00", "lines": [{"product_id": pid}]}),
            "total",
        ),
        (
            json!({"customer_id": cid, "lines": [{"description": "x", "unit_price": "-1.00"}]}),
            "lines[0].unit_price",
        ),
        (
            json!({"customer_id": cid, "lines": [{"description": "x", "unit_price": "1.005"}]}),
            "lines[0].unit_price",
        ),
        (
            json!({"customer_id": cid, "lines": [{"description": "x", "unit_price": "99999999999999999999"}]}),
            "lines[0].unit_price",
        ),
        (
            json!({"customer_id": cid, "lines": [{"description": "x", "unit_price": "90000000000000000", "quantity": 1000}]}),
            "lines[0].unit_price",
        ),
        (json!({"customer_id": cid, "lines": []}), "lines"),
        (
            json!({"customer_id": cid, "lines": [{"product_id": pid, "discount": "200.00"}]}),
            "lines[0].discount",
        ),
    ] {
        let r = app.post("/api/v1/orders", &body).await;
        assert_eq!(r.status, 422, "{body} → {:?}", r.body);
        assert_eq!(error_fields(&r.body), [field], "{body}");
    }
    assert_eq!(
        app.get(&format!("/api/v1/customers/{cid}/orders"))
            .await
            .body["items"]
            .as_array()
            .map(Vec::len),
        Some(1)
    );
    // A product of another organisation cannot be ordered here.
    let other = app.use_new_org("别的商店").await;
    let foreign = app
        .post(
            "/api/v1/products",
            &json!({"sku": "X", "name": "别家的货", "unit_price": "1.00"}),
        )
        .await;
    let fid = foreign.body["id"].as_i64().expect("fid");
    app.switch_org(org);
    let r = app
        .post(
            "/api/v1/orders",
            &json!({"customer_id": cid, "lines": [{"product_id": fid}]}),
        )
        .await;
    assert_eq!(
        (r.status, error_fields(&r.body)),
        (422, vec!["lines[0].product_id".to_owned()])
    );
    let _ = other;
    // Statuses move forward only, with If-Match.
    let oid = first.body["id"].as_i64().expect("oid");
    let etag = first.etag.clone().expect("etag");
    let paid = app
        .send(
            Method::POST,
            &format!("/api/v1/orders/{oid}/status"),
            Some(&json!({"status": "paid"})),
            &[("If-Match", &etag)],
        )
        .await;
    assert_eq!(paid.status, 200, "{:?}", paid.body);
    let stale = app
        .send(
            Method::POST,
            &format!("/api/v1/orders/{oid}/status"),
            Some(&json!({"status": "shipped"})),
            &[("If-Match", &etag)],
        )
        .await;
    assert_eq!(stale.status, 412);
    app.post(
        &format!("/api/v1/orders/{oid}/status"),
        &json!({"status": "shipped"}),
    )
    .await;
    let r = app
        .post(
            &format!("/api/v1/orders/{oid}/status"),
            &json!({"status": "cancelled"}),
        )
        .await;
    assert_eq!(
        (r.status, error_fields(&r.body)),
        (422, vec!["status".to_owned()])
    );
    // Roles: a rep neither edits the catalogue nor orders for a customer out of reach; an
    // analyst reads orders but creates none.
    let (_, rep) = app.user_with_token(org, Role::SalesRep, None).await;
    app.token = Some(rep);
    assert_eq!(
        app.post(
            "/api/v1/products",
            &json!({"sku": "Y", "name": "y", "unit_price": "1.00"})
        )
        .await
        .status,
        403
    );
    let r = app
        .post(
            "/api/v1/orders",
            &json!({"customer_id": cid, "lines": [{"product_id": pid}]}),
        )
        .await;
    assert_eq!(
        (r.status, error_fields(&r.body)),
        (422, vec!["customer_id".to_owned()])
    );
    assert_eq!(app.get(&format!("/api/v1/orders/{oid}")).await.status, 404);
    let (_, analyst) = app.user_with_token(org, Role::Analyst, None).await;
    app.token = Some(analyst);
    assert_eq!(app.get(&format!("/api/v1/orders/{oid}")).await.status, 200);
    assert_eq!(
        app.post(
            "/api/v1/orders",
            &json!({"customer_id": cid, "lines": [{"product_id": pid}]})
        )
        .await
        .status,
        403
    );
    app.token = admin;
    let events = app.get("/api/v1/events?after=0&limit=1000").await;
    let types: Vec<&str> = events.body["items"]
        .as_array()
        .expect("items")
        .iter()
        .filter_map(|e| e["event_type"].as_str())
        .filter(|t| t.starts_with("order."))
        .collect();
    assert_eq!(
        types,
        [
            "order.created",
            "order.status_changed",
            "order.status_changed"
        ]
    );
}

async fn opportunities_over_http(mut app: TestApp) {
    let org = app.use_new_org("商机组织").await;
    let pipes = app.get("/api/v1/pipelines").await;
    let p = &pipes.body["items"][0];
    let pid = p["id"].as_i64().expect("pipeline");
    let stage = |i: usize| p["stages"][i]["id"].as_i64().expect("stage");
    assert_eq!(p["stages"].as_array().map(Vec::len), Some(6));
    let c = app
        .post("/api/v1/customers", &json!({"name": "集团客户"}))
        .await;
    let cid = c.body["id"].as_i64().expect("cid");
    let o = app
        .post(
            "/api/v1/opportunities",
            &json!({"customer_id": cid, "pipeline_id": pid, "name": "专线续约", "amount": "158000.00",
                    "expected_close": "2027-03-31"}),
        )
        .await;
    assert_eq!(o.status, 201, "{:?}", o.body);
    assert_eq!(o.body["amount_minor"], 15_800_000);
    let oid = o.body["id"].as_i64().expect("oid");
    let etag = o.etag.clone().expect("etag");
    let moved = app
        .send(
            Method::POST,
            &format!("/api/v1/opportunities/{oid}/move"),
            Some(&json!({"stage_id": stage(2)})),
            &[("If-Match", &etag)],
        )
        .await;
    assert_eq!(moved.status, 200, "{:?}", moved.body);
    let stale = app
        .send(
            Method::POST,
            &format!("/api/v1/opportunities/{oid}/move"),
            Some(&json!({"stage_id": stage(3)})),
            &[("If-Match", &etag)],
        )
        .await;
    assert_eq!(stale.status, 412);
    let r = app
        .post(
            &format!("/api/v1/opportunities/{oid}/move"),
            &json!({"stage_id": stage(5)}),
        )
        .await;
    assert_eq!(
        (r.status, error_fields(&r.body)),
        (422, vec!["reason".to_owned()])
    );
    let other = app
        .post(
            "/api/v1/pipelines",
            &json!({"name": "渠道", "stages": [
                {"name": "开发", "probability": 30},
                {"name": "成交", "probability": 100, "kind": "won"},
                {"name": "失败", "probability": 0, "kind": "lost"}]}),
        )
        .await;
    assert_eq!(other.status, 201, "{:?}", other.body);
    let foreign_stage = other.body["stages"][0]["id"].as_i64().expect("stage");
    let r = app
        .post(
            &format!("/api/v1/opportunities/{oid}/move"),
            &json!({"stage_id": foreign_stage}),
        )
        .await;
    assert_eq!(
        (r.status, error_fields(&r.body)),
        (422, vec!["stage_id".to_owned()])
    );
    let bad = app
        .post(
            "/api/v1/pipelines",
            &json!({"name": "坏", "stages": [{"name": "只有", "probability": 120}]}),
        )
        .await;
    assert_eq!(bad.status, 422, "{:?}", bad.body);
    let board = app.get(&format!("/api/v1/pipelines/{pid}/board")).await;
    assert_eq!(board.body["columns"][2]["count"], 1);
    assert_eq!(board.body["columns"][2]["weighted_minor"], 7_900_000);
    let won = app
        .post(
            &format!("/api/v1/opportunities/{oid}/move"),
            &json!({"stage_id": stage(4), "reason": "方案领先"}),
        )
        .await;
    assert_eq!(won.body["status"], "won");
    let r = app
        .post(
            &format!("/api/v1/opportunities/{oid}/move"),
            &json!({"stage_id": stage(0)}),
        )
        .await;
    assert_eq!(r.status, 422, "a closed opportunity does not move");
    let f = app.get(&format!("/api/v1/pipelines/{pid}/forecast")).await;
    assert_eq!(f.status, 200, "{:?}", f.body);
    assert_eq!(
        (f.body["won"].as_i64(), f.body["win_rate"].as_f64()),
        (Some(1), Some(1.0))
    );
    assert_eq!(
        f.body["by_month"].as_array().map(Vec::len),
        Some(0),
        "nothing open is left"
    );
    assert_eq!(
        app.get(&format!("/api/v1/customers/{cid}/opportunities"))
            .await
            .body["items"]
            .as_array()
            .map(Vec::len),
        Some(1)
    );
    // Roles: an analyst reads the board but opens nothing; a rep cannot add pipelines.
    let (_, analyst) = app.user_with_token(org, Role::Analyst, None).await;
    app.token = Some(analyst);
    assert_eq!(
        app.get(&format!("/api/v1/pipelines/{pid}/board"))
            .await
            .status,
        200
    );
    assert_eq!(
        app.post(
            "/api/v1/opportunities",
            &json!({"customer_id": cid, "pipeline_id": pid, "name": "x", "amount": "1"})
        )
        .await
        .status,
        403
    );
    let (_, rep) = app.user_with_token(org, Role::SalesRep, None).await;
    app.token = Some(rep);
    assert_eq!(
        app.post("/api/v1/pipelines", &json!({"name": "我的"}))
            .await
            .status,
        403
    );
    assert_eq!(
        app.get(&format!("/api/v1/opportunities/{oid}"))
            .await
            .status,
        404
    );
}

async fn activities_and_the_calendar_feed(mut app: TestApp) {
    let org = app.use_new_org("日程").await;
    let (rep, rep_token) = app.user_with_token(org, Role::SalesRep, None).await;
    let (other, _) = app.user_with_token(org, Role::SalesRep, None).await;
    app.token = Some(rep_token);
    let c = app
        .post("/api/v1/customers", &json!({"name": "回访客户"}))
        .await;
    let cid = c.body["id"].as_i64().expect("cid");
    let tomorrow = (chrono::Utc::now() + chrono::Duration::days(1)).to_rfc3339();
    let yesterday = (chrono::Utc::now() - chrono::Duration::days(1)).to_rfc3339();
    let a = app
        .post(
            "/api/v1/activities",
            &json!({"kind": "call", "subject": "回访宽带", "customer_id": cid, "due_at": tomorrow,
                    "remind_at": yesterday}),
        )
        .await;
    assert_eq!(a.status, 201, "{:?}", a.body);
    app.post(
        "/api/v1/activities",
        &json!({"subject": "写周报", "due_at": yesterday}),
    )
    .await;
    let r = app
        .post(
            "/api/v1/activities",
            &json!({"subject": "x", "due_at": tomorrow, "assignee_id": other.get()}),
        )
        .await;
    assert_eq!(
        (r.status, error_fields(&r.body)),
        (422, vec!["assignee_id".to_owned()])
    );
    let r = app
        .post(
            "/api/v1/activities",
            &json!({"subject": "x", "due_at": yesterday, "remind_at": tomorrow, "duration_min": 0}),
        )
        .await;
    assert_eq!(error_fields(&r.body), ["remind_at", "duration_min"]);
    let list = app.get("/api/v1/activities").await;
    let subjects: Vec<&str> = list.body["items"]
        .as_array()
        .expect("items")
        .iter()
        .filter_map(|x| x["subject"].as_str())
        .collect();
    assert_eq!(subjects, ["写周报", "回访宽带"]);
    let first = list.body["items"][0]["id"].as_i64().expect("id");
    let done = app
        .post(&format!("/api/v1/activities/{first}/done"), &json!({}))
        .await;
    assert!(done.body["done_at"].is_string(), "{:?}", done.body);
    // The feed: iCalendar at a secret URL; a new URL ends the old one.
    let feed = app.post("/api/v1/calendar/feed", &json!({})).await;
    let url = feed.body["url"].as_str().expect("url").to_owned();
    let ics = app
        .http
        .get(format!("{}{url}", app.base))
        .send()
        .await
        .expect("ics");
    assert_eq!(ics.status().as_u16(), 200);
    assert!(ics
        .headers()
        .get("content-type")
        .and_then(|v| v.to_str().ok())
        .is_some_and(|v| v.starts_with("text/calendar")));
    let text = ics.text().await.expect("text");
    assert!(text.starts_with("BEGIN:VCALENDAR"), "{text}");
    assert_eq!(text.matches("BEGIN:VEVENT").count(), 2);
    assert!(
        text.contains("回访宽带 · 回访客户") && text.contains("BEGIN:VALARM"),
        "{text}"
    );
    assert!(text.contains("✓ [任务] 写周报"));
    let again = app.post("/api/v1/calendar/feed", &json!({})).await;
    assert_ne!(again.body["url"], feed.body["url"]);
    let old = app
        .http
        .get(format!("{}{url}", app.base))
        .send()
        .await
        .expect("old");
    assert_eq!(old.status().as_u16(), 401);
    let forged = app
        .http
        .get(format!("{}/calendar/gxc_nope.ics", app.base))
        .send()
        .await
        .expect("forged");
    assert_eq!(forged.status().as_u16(), 401);
    let _ = rep;
}

async fn quotes_over_http(mut app: TestApp) {
    let other = app.use_new_org("别家").await;
    let foreign = app
        .post(
            "/api/v1/products",
            &json!({"sku": "X-1", "name": "别家商品", "unit_price": "1.00"}),
        )
        .await;
    let foreign_id = foreign.body["id"].as_i64().expect("foreign product");
    let org = app.use_new_org("报价公司").await;
    assert_ne!(org, other);
    let p = app
        .post(
            "/api/v1/products",
            &json!({"sku": "TEA-01", "name": "龙井茶 250g", "unit_price": "128.00"}),
        )
        .await;
    let pid = p.body["id"].as_i64().expect("pid");
    let c = app
        .post("/api/v1/customers", &json!({"name": "茶馆"}))
        .await;
    let cid = c.body["id"].as_i64().expect("cid");
    for (body, field) in [
        (
            json!({"customer_id": cid, "lines": [{"product_id": foreign_id}]}),
            "lines[0].product_id",
        ),
        (
            json!({"customer_id": cid, "tax_rate": "13.333", "lines": [{"product_id": pid}]}),
            "tax_rate",
        ),
        (
            json!({"customer_id": cid, "lines": [{"product_id": pid, "quantity": 0}]}),
            "lines[0].quantity",
        ),
        (
            json!({"customer_id": cid, "lines": [{"product_id": pid, "discount": "-1.00"}]}),
            "lines[0].discount",
        ),
    ] {
        let r = app.post("/api/v1/quotes", &body).await;
        assert_eq!(r.status, 422, "{body} → {:?}", r.body);
        assert_eq!(error_fields(&r.body), [field], "{body}");
    }
    assert_eq!(
        app.get(&format!("/api/v1/customers/{cid}/quotes"))
            .await
            .body["items"]
            .as_array()
            .map(Vec::len),
        Some(0),
        "nothing written"
    );
    let q = app
        .post(
            "/api/v1/quotes",
            &json!({"customer_id": cid, "tax_rate": "13", "valid_until": "2027-01-31", "lines": [
                {"product_id": pid, "quantity": 2, "discount": "10.00"},
                {"description": "礼盒", "unit_price": "5.00"}]}),
        )
        .await;
    assert_eq!(q.status, 201, "{:?}", q.body);
    assert_eq!(
        (
            q.body["subtotal"].as_str(),
            q.body["tax"].as_str(),
            q.body["total"].as_str()
        ),
        (Some("251.00"), Some("32.63"), Some("283.63"))
    );
    let qid = q.body["id"].as_i64().expect("qid");
    let etag = q.etag.clone().expect("etag");
    let sent = app
        .send(
            Method::POST,
            &format!("/api/v1/quotes/{qid}/status"),
            Some(&json!({"status": "sent"})),
            &[("If-Match", &etag)],
        )
        .await;
    assert_eq!(sent.status, 200, "{:?}", sent.body);
    let stale = app
        .send(
            Method::POST,
            &format!("/api/v1/quotes/{qid}/status"),
            Some(&json!({"status": "accepted"})),
            &[("If-Match", &etag)],
        )
        .await;
    assert_eq!(stale.status, 412);
    let (_, analyst) = app.user_with_token(org, Role::Analyst, None).await;
    let admin = app.token.replace(analyst);
    assert_eq!(
        app.post(&format!("/api/v1/quotes/{qid}/order"), &json!({}))
            .await
            .status,
        403
    );
    app.token = admin;
    let ordered = app
        .post(&format!("/api/v1/quotes/{qid}/order"), &json!({}))
        .await;
    assert_eq!(ordered.status, 201, "{:?}", ordered.body);
    assert_eq!(ordered.body["order"]["total"], "283.63");
    assert_eq!(ordered.body["quote"]["status"], "ordered");
    assert_eq!(
        ordered.body["order"]["lines"].as_array().map(Vec::len),
        Some(3)
    );
    let again = app
        .post(&format!("/api/v1/quotes/{qid}/order"), &json!({}))
        .await;
    assert_eq!(again.status, 409);
    let back = app
        .post(
            &format!("/api/v1/quotes/{qid}/status"),
            &json!({"status": "draft"}),
        )
        .await;
    assert_eq!(back.status, 422, "an ordered quote stays ordered");
}

async fn key_accounts_over_http(mut app: TestApp) {
    let org = app.use_new_org("大客户公司").await;
    let (rep, rep_token) = app.user_with_token(org, Role::SalesRep, None).await;
    let (agent, agent_token) = app.user_with_token(org, Role::Agent, None).await;
    let (_, analyst) = app.user_with_token(org, Role::Analyst, None).await;
    let c = app
        .post(
            "/api/v1/customers",
            &json!({"kind": "company", "name": "华信集团", "owner_id": rep.get()}),
        )
        .await;
    let cid = c.body["id"].as_i64().expect("cid");
    app.token = Some(rep_token.clone());
    let plan = app
        .get(&format!("/api/v1/customers/{cid}/account-plan"))
        .await;
    assert_eq!((plan.status, plan.body["version"].as_i64()), (200, Some(0)));
    let etag = plan.etag.clone().expect("etag");
    let bad = app
        .send(
            Method::PUT,
            &format!("/api/v1/customers/{cid}/account-plan"),
            Some(&json!({"next_review": "2027-02-30"})),
            &[("If-Match", &etag)],
        )
        .await;
    assert_eq!(
        (bad.status, error_fields(&bad.body)),
        (422, vec!["next_review".to_owned()])
    );
    let saved = app
        .send(Method::PUT, &format!("/api/v1/customers/{cid}/account-plan"),
              Some(&json!({"goals": "年度采购额增长 20%", "service_plan": "每月上门拜访", "next_review": "2027-03-01"})),
              &[("If-Match", &etag)])
        .await;
    assert_eq!(saved.status, 200, "{:?}", saved.body);
    assert_eq!(saved.body["version"], 1);
    let stale = app
        .send(
            Method::PUT,
            &format!("/api/v1/customers/{cid}/account-plan"),
            Some(&json!({"goals": null})),
            &[("If-Match", &etag)],
        )
        .await;
    assert_eq!(stale.status, 412);
    app.token = Some(agent_token.clone());
    assert_eq!(
        app.get(&format!("/api/v1/customers/{cid}")).await.status,
        404
    );
    app.token = Some(rep_token.clone());
    let added = app
        .post(
            &format!("/api/v1/customers/{cid}/account-team"),
            &json!({"user_id": agent.get(), "role": "专属客服"}),
        )
        .await;
    assert_eq!(added.status, 200, "{:?}", added.body);
    assert_eq!(added.body["team"][0]["role"], "专属客服");
    app.token = Some(agent_token.clone());
    assert_eq!(
        app.get(&format!("/api/v1/customers/{cid}")).await.status,
        200,
        "the team reaches it"
    );
    app.token = Some(analyst);
    assert_eq!(
        app.send(
            Method::PUT,
            &format!("/api/v1/customers/{cid}/account-plan"),
            Some(&json!({"goals": "x"})),
            &[]
        )
        .await
        .status,
        403
    );
    app.token = Some(rep_token);
    let removed = app
        .send(
            Method::DELETE,
            &format!("/api/v1/customers/{cid}/account-team/{}", agent.get()),
            None,
            &[],
        )
        .await;
    assert_eq!(removed.status, 200);
    app.token = Some(agent_token);
    assert_eq!(
        app.get(&format!("/api/v1/customers/{cid}")).await.status,
        404
    );
}

async fn customers_export_as_csv(mut app: TestApp) {
    let org = app.use_new_org("导出公司").await;
    let (rep, rep_token) = app.user_with_token(org, Role::SalesRep, None).await;
    // A custom field is a column of its own, after the built-in ones.
    let field = app
        .post(
            "/api/v1/field-definitions",
            &json!({"key": "industry", "label_zh": "行业", "label_en": "Industry", "field_type": "text"}),
        )
        .await;
    assert_eq!(field.status, 201, "{:?}", field.body);
    for (name, owner) in [("张伟", None), ("=1+1", None), ("王芳", Some(rep.get()))] {
        let r = app
            .post("/api/v1/customers", &json!({"name": name, "owner_id": owner, "city": "杭州",
                "custom": {"industry": "制造业"},
                "contact_points": [{"kind": "mobile", "value": format!("1380013{:04}", name.chars().count() * 37 + usize::from(owner.is_some()))}]}))
            .await;
        assert_eq!(r.status, 201, "{:?}", r.body);
    }
    let fetch = |token: Option<String>, query: &'static str, lang: &'static str| {
        let http = app.http.clone();
        let url = format!("{}/api/v1/customers/export.csv{query}", app.base);
        async move {
            let mut req = http.get(url).header("Accept-Language", lang);
            if let Some(t) = token {
                req = req.bearer_auth(t);
            }
            let res = req.send().await.expect("export");
            let status = res.status().as_u16();
            let ctype = res
                .headers()
                .get("content-type")
                .and_then(|v| v.to_str().ok())
                .unwrap_or("")
                .to_owned();
            (status, ctype, res.bytes().await.expect("body").to_vec())
        }
    };
    let (status, ctype, body) = fetch(app.token.clone(), "", "zh-CN").await;
    assert_eq!(status, 200);
    assert!(ctype.starts_with("text/csv"), "{ctype}");
    assert!(body.starts_with(b"\xEF\xBB\xBF"), "Excel needs the BOM");
    let text = String::from_utf8(body[3..].to_vec()).expect("utf-8");
    let lines: Vec<&str> = text.lines().collect();
    assert!(
        lines[0].starts_with("编号,类型,姓名,公司,职位,手机"),
        "{text}"
    );
    assert!(lines[0].ends_with(",创建时间,行业"), "{text}");
    assert!(lines[1].ends_with(",制造业"), "{text}");
    assert_eq!(lines.len(), 4, "{text}");
    assert!(
        text.contains(",'=1+1,"),
        "a formula is never exported as one: {text}"
    );
    assert!(text.contains("王芳") && text.contains("张伟"));
    // The list's filters apply; so does the caller's reach.
    let (_, _, body) = fetch(app.token.clone(), "?q=%E7%8E%8B", "en").await;
    let text = String::from_utf8(body[3..].to_vec()).expect("utf-8");
    assert!(text.starts_with("id,kind,name"), "{text}");
    assert_eq!(text.lines().count(), 2, "{text}");
    let (_, _, body) = fetch(Some(rep_token), "", "zh-CN").await;
    let text = String::from_utf8(body[3..].to_vec()).expect("utf-8");
    assert_eq!(
        text.lines().count(),
        2,
        "a sales rep exports their own: {text}"
    );
    assert!(text.contains("王芳"));
    let (status, _, _) = fetch(app.token.clone(), "?status=nonsense", "en").await;
    assert_eq!(status, 400);
    let (status, _, _) = fetch(None, "", "en").await;
    assert_eq!(status, 401);
    // One customer as a vCard for an address book.
    let list = app.get("/api/v1/customers?q=%E5%BC%A0").await;
    let id = list.body["items"][0]["id"].as_i64().expect("id");
    let res = app
        .http
        .get(format!("{}/api/v1/customers/{id}/vcard", app.base))
        .bearer_auth(app.token.clone().expect("token"))
        .send()
        .await
        .expect("vcard");
    assert_eq!(res.status().as_u16(), 200);
    let card = res.text().await.expect("text");
    assert!(card.starts_with("BEGIN:VCARD\r\nVERSION:4.0\r\n"), "{card}");
    assert!(
        card.contains("FN:张伟\r\n") && card.contains("TYPE=cell:tel:+86"),
        "{card}"
    );
}

//! The web UI's pages over HTTP, on both databases: the same reach as the API, the timeline's
//! older pages, the headers of HTML answers. (The browser story is in `browser.rs`.)

use crate::support::TestApp;
use chrono::{Duration, Utc};
use guanxi_core::Role;
use serde_json::json;

crate::on_both!(
    pages_follow_the_permission_table,
    the_timeline_pages_back,
    the_dashboards_drill_down_to_their_customers
);

fn html(r: &crate::support::Resp) -> &str {
    r.body.as_str().unwrap_or("")
}

async fn pages_follow_the_permission_table(mut app: TestApp) {
    let org = app.use_new_org("网页").await;
    let c = app
        .post(
            "/api/v1/customers",
            &json!({"name": "网页客户", "owner_id": null}),
        )
        .await;
    let id = c.body["id"].as_i64().expect("id");
    let page = app.get(&format!("/customers/{id}")).await;
    assert_eq!(page.status, 200);
    assert!(html(&page).contains("网页客户"));
    // A rep does not reach a customer owned by nobody on their team: the page is 404, and the
    // customer is not in their list either.
    let (_, rep) = app.user_with_token(org, Role::SalesRep, None).await;
    app.token = Some(rep);
    assert_eq!(app.get(&format!("/customers/{id}")).await.status, 404);
    let list = app.get("/customers").await;
    assert_eq!(list.status, 200);
    assert!(!html(&list).contains("网页客户"));
    // A marketer reads but may not open the new-customer form or the administration.
    let (_, marketer) = app.user_with_token(org, Role::Marketer, None).await;
    app.token = Some(marketer);
    assert_eq!(app.get(&format!("/customers/{id}")).await.status, 200);
    assert_eq!(app.get("/customers/new").await.status, 403);
    assert_eq!(app.get("/admin/users").await.status, 403);
    // Without credentials: to the sign-in form.
    app.token = None;
    let r = app
        .http
        .get(format!("{}/customers/{id}", app.base))
        .send()
        .await
        .expect("send");
    assert_eq!(r.url().path(), "/login");
    let headers = r.headers().clone();
    assert!(headers
        .get("content-security-policy")
        .and_then(|v| v.to_str().ok())
        .is_some_and(|v| v.contains("frame-ancestors 'none'")));
    assert_eq!(
        headers.get("x-frame-options").and_then(|v| v.to_str().ok()),
        Some("DENY")
    );
}

async fn the_timeline_pages_back(mut app: TestApp) {
    app.use_new_org("时间线").await;
    let c = app
        .post("/api/v1/customers", &json!({"name": "老客户"}))
        .await;
    let id = c.body["id"].as_i64().expect("id");
    for n in 0..55 {
        let at = format!("2026-01-01T08:{:02}:00+08:00", n);
        let r = app
            .post(
                "/api/v1/interactions",
                &json!({"customer_id": id, "channel": "phone", "occurred_at": at, "body": format!("第{n}次来电")}),
            )
            .await;
        assert_eq!(r.status, 201, "{:?}", r.body);
    }
    let first = app.get(&format!("/customers/{id}")).await;
    let text = html(&first);
    assert!(text.contains("第54次来电") && !text.contains("第4次来电"));
    let href = text
        .split("id=\"older\" href=\"")
        .nth(1)
        .and_then(|rest| rest.split('"').next())
        .expect("a link to older interactions")
        .replace("&amp;", "&");
    let older = app.get(&href).await;
    let text = html(&older);
    assert!(text.contains("第4次来电") && text.contains("第0次来电"));
    assert!(!text.contains("第54次来电"));
    assert!(
        !text.contains("id=\"older\""),
        "the last page has no further link"
    );
}

/// The first link in `html` that starts with `prefix`, as an address.
fn link(html: &str, prefix: &str) -> Option<String> {
    let rest = html.split(&format!("href=\"{prefix}")).nth(1)?;
    Some(format!(
        "{prefix}{}",
        rest.split('"').next()?.replace("&amp;", "&")
    ))
}

async fn the_dashboards_drill_down_to_their_customers(mut app: TestApp) {
    let org = app.use_new_org("客户分析").await;
    // Nothing computed yet: the page explains and offers the button.
    let empty = app.get("/analysis").await;
    assert_eq!(empty.status, 200);
    assert!(html(&empty).contains("id=\"no-run\""));
    assert!(html(&empty).contains("action=\"/analysis/run\""));
    let mut ids = Vec::new();
    for i in 0..16i64 {
        let c = app
            .post(
                "/api/v1/customers",
                &json!({"name": format!("分析客户{i}")}),
            )
            .await;
        let id = c.body["id"].as_i64().expect("id");
        ids.push(id);
        let orders = 1 + i % 5;
        for k in 0..orders {
            let at = Utc::now() - Duration::days((500 - i * 20 - k * (400 / orders)).max(1));
            let o = app
                .post(
                    "/api/v1/orders",
                    &json!({
                        "customer_id": id, "status": "paid",
                        "placed_at": at.to_rfc3339(), "paid_at": at.to_rfc3339(),
                        "lines": [{"description": "茶叶", "unit_price": format!("{}.00", 80 + i * 5 + k)}]
                    }),
                )
                .await;
            assert_eq!(o.status, 201, "{:?}", o.body);
        }
    }
    // The button: back to the page with a notice; then wait for the run.
    let started = app.post("/analysis/run", &json!({})).await;
    assert_eq!(started.status, 200);
    assert!(html(&started).contains("analysis-notice"));
    let mut done = false;
    for _ in 0..400 {
        let r = app.get("/api/v1/analysis/runs").await;
        if r.body["running"] == false && r.body["runs"].as_array().is_some_and(|a| !a.is_empty()) {
            done = true;
            break;
        }
        tokio::time::sleep(std::time::Duration::from_millis(50)).await;
    }
    assert!(done, "no run finished");

    let page = app.get("/analysis").await;
    assert_eq!(page.status, 200);
    let text = html(&page);
    for part in [
        "chart-months",
        "chart-rfm",
        "chart-cohorts",
        "id=\"gini\"",
        "fit-bgnbd",
        "<svg",
    ] {
        assert!(text.contains(part), "{part} missing");
    }
    assert!(!text.contains("NaN"));
    // A segment's number opens the list of exactly its customers.
    let href = link(text, "/customers?segment=").expect("a segment drill-down");
    let list = app.get(&href).await;
    assert_eq!(list.status, 200);
    let names = html(&list).matches("分析客户").count();
    assert!(names > 0 && names < 16, "{names} customers under {href}");
    assert!(
        html(&list).contains("selected"),
        "the segment is chosen in its select"
    );
    let cell = link(text, "/customers?rfm_r=").expect("an RFM drill-down");
    let list = app.get(&cell).await;
    assert!(
        html(&list).contains("id=\"drill-filters\""),
        "the filter shows as a chip"
    );
    // The customer page shows the customer's value.
    let one = app.get(&format!("/customers/{}", ids[4])).await;
    assert!(html(&one).contains("id=\"customer-value\""));
    assert!(html(&one).contains("id=\"value-tier\""));
    // Each chart's data as CSV with a BOM.
    let csv = app.get("/analysis/segments.csv").await;
    assert_eq!(csv.status, 200);
    let csv = csv.body.as_str().unwrap_or("");
    assert!(
        csv.starts_with('\u{feff}') && csv.contains("Segment,Customers"),
        "{csv}"
    );
    assert_eq!(app.get("/analysis/nothing.csv").await.status, 404);

    // A rep sees the counts within reach, no organisation-wide figures, and cannot run; a
    // service agent does not see the dashboards.
    let (_, rep) = app.user_with_token(org, Role::SalesRep, None).await;
    app.token = Some(rep);
    let mine = app.get("/analysis").await;
    assert_eq!(mine.status, 200);
    assert!(!html(&mine).contains("chart-months"));
    assert_eq!(app.get("/analysis/months.csv").await.status, 403);
    assert_eq!(app.post("/analysis/run", &json!({})).await.status, 403);
    let (_, agent) = app.user_with_token(org, Role::Agent, None).await;
    app.token = Some(agent);
    assert_eq!(app.get("/analysis").await.status, 403);
}

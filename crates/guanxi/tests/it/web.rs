//! The web UI's pages over HTTP, on both databases: the same reach as the API, the timeline's
//! older pages, the headers of HTML answers. (The browser story is in `browser.rs`.)

use crate::support::TestApp;
use guanxi_core::Role;
use serde_json::json;

crate::on_both!(pages_follow_the_permission_table, the_timeline_pages_back);

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

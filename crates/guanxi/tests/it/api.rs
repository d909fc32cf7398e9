//! API stories over HTTP, on both backends.

use crate::support::{error_fields, TestApp};
use reqwest::Method;
use serde_json::{json, Value};

crate::on_both!(
    probes_and_openapi,
    customer_crud_etag_and_soft_delete,
    recognition_lookup_and_360,
    bad_input_names_the_field_and_writes_nothing,
    errors_speak_the_callers_language,
    other_organisations_ids_answer_404,
    search_and_pagination,
    events_in_commit_order,
);

async fn probes_and_openapi(app: TestApp) {
    assert_eq!(app.get("/healthz").await.status, 200);
    assert_eq!(app.get("/readyz").await.status, 200);
    let doc = app.get("/api/v1/openapi.json").await;
    assert_eq!(doc.status, 200);
    assert!(doc.body["openapi"].as_str().unwrap_or("").starts_with("3."));
    for path in [
        "/api/v1/customers",
        "/api/v1/customers/{id}",
        "/api/v1/customers/{id}/360",
        "/api/v1/customers/lookup",
        "/api/v1/interactions",
        "/api/v1/events",
    ] {
        assert!(
            doc.body["paths"].get(path).is_some(),
            "{path} missing from OpenAPI"
        );
    }
    let page = app.get("/api/docs/").await;
    assert_eq!(page.status, 200);
    assert!(page.body.as_str().unwrap_or("").contains("swagger"));
}

async fn customer_crud_etag_and_soft_delete(mut app: TestApp) {
    app.use_new_org("甲").await;
    let c = app
        .post(
            "/api/v1/customers",
            &json!({"name": "张伟", "status": "current", "tags": ["老客户"],
                    "contact_points": [{"kind": "mobile", "value": "138 0013 8000"}]}),
        )
        .await;
    assert_eq!(c.status, 201, "{:?}", c.body);
    let id = c.body["id"].as_i64().expect("id");
    assert_eq!(c.etag.as_deref(), Some("\"1\""));
    let path = format!("/api/v1/customers/{id}");
    let got = app.get(&path).await;
    assert_eq!(got.body["contact_points"][0]["key"], "+8613800138000");
    // Partial update with the right version.
    let u = app
        .patch(&path, &json!({"class": "key", "vip": true}), Some("\"1\""))
        .await;
    assert_eq!(u.status, 200, "{:?}", u.body);
    assert_eq!(u.etag.as_deref(), Some("\"2\""));
    assert_eq!(u.body["name"], "张伟");
    assert_eq!(u.body["vip"], true);
    // A stale version gets 412 and changes nothing.
    let stale = app
        .patch(&path, &json!({"name": "李娜"}), Some("\"1\""))
        .await;
    assert_eq!(stale.status, 412, "{:?}", stale.body);
    assert_eq!(app.get(&path).await.body["name"], "张伟");
    // Null clears a nullable field; absent leaves it.
    let u = app.patch(&path, &json!({"city": "北京"}), None).await;
    assert_eq!(u.body["city"], "北京");
    let u = app.patch(&path, &json!({"city": null}), None).await;
    assert_eq!(u.body["city"], Value::Null);
    assert_eq!(u.body["vip"], true);
    // Soft delete and restore.
    let d = app.send(Method::DELETE, &path, None, &[]).await;
    assert!(d.status == 200 || d.status == 204, "{}", d.status);
    assert_eq!(app.get(&path).await.status, 404);
    let r = app.post(&format!("{path}/restore"), &json!({})).await;
    assert_eq!(r.status, 200, "{:?}", r.body);
    assert_eq!(app.get(&path).await.status, 200);
    // Contact points: add, and the duplicate on another customer is refused.
    let cp = app
        .post(
            &format!("{path}/contact-points"),
            &json!({"kind": "email", "value": "Zhang.Wei@Example.com"}),
        )
        .await;
    assert_eq!(cp.status, 201, "{:?}", cp.body);
    let other = app
        .post("/api/v1/customers", &json!({"name": "王五", "contact_points": [{"kind": "mobile", "value": "+86 13800138000"}]}))
        .await;
    assert_eq!(other.status, 409, "{:?}", other.body);
    assert_eq!(error_fields(&other.body), ["contact_points[0].value"]);
}

async fn recognition_lookup_and_360(mut app: TestApp) {
    app.use_new_org("乙").await;
    let c = app
        .post(
            "/api/v1/customers",
            &json!({"name": "王芳", "contact_points": [
            {"kind": "mobile", "value": "13912345678"},
            {"kind": "email", "value": "wang.fang@example.com"},
            {"kind": "wechat", "value": "WangFang88"}]}),
        )
        .await;
    let id = c.body["id"].as_i64().expect("id");
    for q in [
        "phone=139%201234%205678",
        "phone=%2B86-139-1234-5678",
        "email=WANG.FANG@EXAMPLE.COM",
        "wechat=wangfang88",
    ] {
        let r = app.get(&format!("/api/v1/customers/lookup?{q}")).await;
        assert_eq!(r.status, 200, "{q}: {:?}", r.body);
        assert_eq!(r.body["matches"][0]["id"], id, "{q}");
    }
    let none = app.get("/api/v1/customers/lookup?phone=13700000000").await;
    assert_eq!(none.status, 200);
    assert_eq!(none.body["matches"], json!([]));
    let bad = app.get("/api/v1/customers/lookup?phone=12345").await;
    assert!(bad.status == 400 || bad.status == 422, "{}", bad.status);
    assert_eq!(error_fields(&bad.body), ["phone"]);
    // An inbound call from the known number attaches to her; from an unknown one creates a potential customer.
    let i = app
        .post("/api/v1/interactions", &json!({"contact": {"kind": "mobile", "value": "+86 139 1234 5678"},
              "channel": "phone", "subject": "来电咨询", "body": "询问宽带资费", "duration_seconds": 180}))
        .await;
    assert_eq!(i.status, 201, "{:?}", i.body);
    assert_eq!(i.body["recognition"], "matched");
    assert_eq!(i.body["interaction"]["customer_id"], id);
    let n = app
        .post(
            "/api/v1/interactions",
            &json!({"contact": {"kind": "mobile", "value": "13600001111"},
              "channel": "phone", "body": "陌生来电"}),
        )
        .await;
    assert_eq!(n.body["recognition"], "created");
    let new_id = n.body["interaction"]["customer_id"]
        .as_i64()
        .expect("new id");
    assert_eq!(
        app.get(&format!("/api/v1/customers/{new_id}")).await.body["status"],
        "potential"
    );
    for ch in ["email", "visit", "wechat"] {
        let r = app
            .post(
                "/api/v1/interactions",
                &json!({"customer_id": id, "channel": ch, "direction": "outbound", "body": "回访"}),
            )
            .await;
        assert_eq!(r.status, 201, "{:?}", r.body);
    }
    let v = app.get(&format!("/api/v1/customers/{id}/360")).await;
    assert_eq!(v.status, 200, "{:?}", v.body);
    let text = v.body.to_string();
    assert!(text.contains("询问宽带资费"));
    let tl = app
        .get(&format!("/api/v1/customers/{id}/timeline?limit=2"))
        .await;
    assert_eq!(tl.body["items"].as_array().map(Vec::len), Some(2));
    let cursor = tl.body["next_cursor"].as_str().expect("cursor").to_owned();
    let tl2 = app
        .get(&format!(
            "/api/v1/customers/{id}/timeline?limit=10&cursor={cursor}"
        ))
        .await;
    assert_eq!(tl2.body["items"].as_array().map(Vec::len), Some(2));
    let phone_only = app
        .get(&format!("/api/v1/customers/{id}/timeline?channel=phone"))
        .await;
    assert_eq!(phone_only.body["items"].as_array().map(Vec::len), Some(1));
}

async fn bad_input_names_the_field_and_writes_nothing(mut app: TestApp) {
    app.use_new_org("丙").await;
    let before = event_count(&app).await;
    let malformed = app
        .raw(
            Method::POST,
            "/api/v1/customers",
            "{\"name\": \"张",
            "application/json",
        )
        .await;
    assert_eq!(malformed.status, 400, "{:?}", malformed.body);
    let no_type = app
        .raw(
            Method::POST,
            "/api/v1/customers",
            "{\"name\": \"张三\"}",
            "text/plain",
        )
        .await;
    assert_eq!(no_type.status, 415);
    let cases = [
        (json!({"name": "张三", "colour": "red"}), "colour"),
        (json!({"name": 42}), "name"),
        (json!({"name": "张".repeat(500)}), "name"),
        (json!({"name": "张三", "status": "vip"}), "status"),
        (
            json!({"name": "张三", "birthday": "1990-02-30"}),
            "birthday",
        ),
        (
            json!({"name": "张三", "contact_points": [{"kind": "mobile", "value": "12345"}]}),
            "contact_points[0].value",
        ),
        (
            json!({"name": "张三", "contact_points": [{"kind": "email", "value": "zhang@"}]}),
            "contact_points[0].value",
        ),
        (json!({"name": "张三", "owner_id": 999999}), "owner_id"),
        (json!({"name": "张三", "company_id": 999999}), "company_id"),
        (
            json!({"name": "张三", "custom": {"nope": 1}}),
            "custom.nope",
        ),
    ];
    for (body, field) in cases {
        let r = app.post("/api/v1/customers", &body).await;
        assert!((400..500).contains(&r.status), "{body}: {}", r.status);
        assert!(
            error_fields(&r.body).iter().any(|f| f == field),
            "{body}: {:?}",
            r.body
        );
        assert!(r.body["error"]["message"]
            .as_str()
            .is_some_and(|m| !m.is_empty()));
    }
    let huge = "x".repeat(2 * 1024 * 1024);
    let big = app
        .raw(
            Method::POST,
            "/api/v1/customers",
            &format!("{{\"name\": \"{huge}\"}}"),
            "application/json",
        )
        .await;
    assert_eq!(big.status, 413);
    let unknown = app.get("/api/v1/customers/424242").await;
    assert_eq!(unknown.status, 404);
    assert_eq!(unknown.body["error"]["code"], "not_found");
    let not_a_number = app.get("/api/v1/customers/abc").await;
    assert_eq!(not_a_number.status, 400);
    let bad_limit = app.get("/api/v1/customers?limit=banana").await;
    assert_eq!(bad_limit.status, 400);
    assert_eq!(error_fields(&bad_limit.body), ["limit"]);
    let bad_cursor = app.get("/api/v1/customers?cursor=garbage").await;
    assert!(bad_cursor.status == 400 || bad_cursor.status == 422);
    assert_eq!(
        event_count(&app).await,
        before,
        "a refused request wrote an event"
    );
    let list = app.get("/api/v1/customers").await;
    assert_eq!(list.body["items"], json!([]));
}

async fn errors_speak_the_callers_language(mut app: TestApp) {
    app.use_new_org("丁").await;
    let body = json!({"name": "李雷", "contact_points": [{"kind": "mobile", "value": "123"}]});
    app.lang = "zh-CN";
    let zh = app.post("/api/v1/customers", &body).await;
    app.lang = "en-GB,en;q=0.9";
    let en = app.post("/api/v1/customers", &body).await;
    let reason = |b: &Value| {
        b["error"]["fields"][0]["reason"]
            .as_str()
            .unwrap_or("")
            .to_owned()
    };
    assert!(reason(&zh.body).contains("电话号码"), "{:?}", zh.body);
    assert!(reason(&en.body).contains("phone number"), "{:?}", en.body);
    let zh_msg = zh.body["error"]["message"].as_str().unwrap_or("");
    assert!(
        zh_msg
            .chars()
            .any(|c| ('\u{4e00}'..='\u{9fff}').contains(&c)),
        "{zh_msg}"
    );
}

async fn other_organisations_ids_answer_404(mut app: TestApp) {
    let a = app.use_new_org("A").await;
    let c = app
        .post("/api/v1/customers", &json!({"name": "周杰", "contact_points": [{"kind": "mobile", "value": "13511112222"}]}))
        .await;
    let id = c.body["id"].as_i64().expect("id");
    let i = app
        .post(
            "/api/v1/interactions",
            &json!({"customer_id": id, "channel": "visit", "body": "拜访"}),
        )
        .await;
    let iid = i.body["interaction"]["id"].as_i64().expect("iid");
    app.use_new_org("B").await;
    for path in [
        format!("/api/v1/customers/{id}"),
        format!("/api/v1/customers/{id}/360"),
        format!("/api/v1/customers/{id}/timeline"),
        format!("/api/v1/interactions/{iid}"),
    ] {
        assert_eq!(app.get(&path).await.status, 404, "{path}");
    }
    assert_eq!(
        app.patch(
            &format!("/api/v1/customers/{id}"),
            &json!({"vip": true}),
            None
        )
        .await
        .status,
        404
    );
    assert_eq!(
        app.send(
            Method::DELETE,
            &format!("/api/v1/customers/{id}"),
            None,
            &[]
        )
        .await
        .status,
        404
    );
    assert_eq!(
        app.get("/api/v1/customers/lookup?phone=13511112222")
            .await
            .body["matches"],
        json!([])
    );
    let r = app
        .post(
            "/api/v1/interactions",
            &json!({"customer_id": id, "channel": "visit", "body": "x"}),
        )
        .await;
    assert!(r.status == 404 || r.status == 422, "{}", r.status);
    // Back in A, the customer is untouched.
    app.switch_org(a);
    assert_eq!(
        app.get(&format!("/api/v1/customers/{id}")).await.body["vip"],
        false
    );
    // Without credentials nobody sees anything.
    app.token = None;
    let r = app.get("/api/v1/customers").await;
    assert_eq!(r.status, 401, "{:?}", r.body);
}

async fn search_and_pagination(mut app: TestApp) {
    app.use_new_org("戊").await;
    let names = [
        "张伟",
        "张伟明",
        "张丽",
        "李娜",
        "Emily Chen",
        "深圳华为技术有限公司",
    ];
    let mut ids = Vec::new();
    for (i, n) in names.iter().enumerate() {
        let kind = if n.ends_with("公司") {
            "company"
        } else {
            "person"
        };
        let r = app
            .post(
                "/api/v1/customers",
                &json!({"name": n, "kind": kind, "contact_points": [
                {"kind": "mobile", "value": format!("1380013{:04}", 8000 + i)},
                {"kind": "email", "value": format!("user{i}@example{i}.com")}]}),
            )
            .await;
        assert_eq!(r.status, 201, "{:?}", r.body);
        ids.push(r.body["id"].as_i64().expect("id"));
    }
    assert_eq!(search(&app, "张").await, ["张丽", "张伟明", "张伟"]);
    assert_eq!(search(&app, "张伟").await, ["张伟明", "张伟"]);
    assert_eq!(search(&app, "华为").await, ["深圳华为技术有限公司"]);
    assert_eq!(search(&app, "13800138002").await, ["张丽"]);
    assert_eq!(search(&app, "8003").await, ["李娜"]);
    assert_eq!(search(&app, "user4@").await, ["Emily Chen"]);
    assert_eq!(search(&app, "example1.com").await, ["张伟明"]);
    assert_eq!(search(&app, "emily").await, ["Emily Chen"]);
    // Every customer exactly once across pages of 4, newest first.
    let mut seen = Vec::new();
    let mut url = "/api/v1/customers?limit=4".to_owned();
    for _ in 0..5 {
        let r = app.get(&url).await;
        seen.extend(
            r.body["items"]
                .as_array()
                .expect("items")
                .iter()
                .map(|c| c["id"].as_i64().expect("id")),
        );
        match r.body["next_cursor"].as_str() {
            Some(c) => url = format!("/api/v1/customers?limit=4&cursor={c}"),
            None => break,
        }
    }
    let mut expected = ids.clone();
    expected.reverse();
    assert_eq!(seen, expected);
    let by_name = app.get("/api/v1/customers?sort=name&limit=50").await;
    let names_sorted: Vec<String> = by_name.body["items"]
        .as_array()
        .expect("items")
        .iter()
        .map(|c| c["name"].as_str().unwrap_or("").to_owned())
        .collect();
    let mut check = names_sorted.clone();
    check.sort();
    assert_eq!(names_sorted, check);
    let companies = app.get("/api/v1/customers?kind=company").await;
    assert_eq!(companies.body["items"].as_array().map(Vec::len), Some(1));
}

async fn event_count(app: &TestApp) -> usize {
    app.get("/api/v1/events?after=0&limit=1000").await.body["items"]
        .as_array()
        .map_or(0, Vec::len)
}

async fn search(app: &TestApp, q: &str) -> Vec<String> {
    let r = app
        .get(&format!("/api/v1/customers?q={}", urlencode(q)))
        .await;
    assert_eq!(r.status, 200, "{:?}", r.body);
    r.body["items"]
        .as_array()
        .map(|a| {
            a.iter()
                .filter_map(|c| c["name"].as_str().map(str::to_owned))
                .collect()
        })
        .unwrap_or_default()
}

fn urlencode(s: &str) -> String {
    s.bytes()
        .map(|b| match b {
            b'a'..=b'z' | b'A'..=b'Z' | b'0'..=b'9' | b'-' | b'_' | b'.' => (b as char).to_string(),
            _ => format!("%{b:02X}"),
        })
        .collect()
}

async fn events_in_commit_order(mut app: TestApp) {
    app.use_new_org("己").await;
    let c = app
        .post("/api/v1/customers", &json!({"name": "钱七"}))
        .await;
    let id = c.body["id"].as_i64().expect("id");
    app.patch(
        &format!("/api/v1/customers/{id}"),
        &json!({"status": "loyal"}),
        None,
    )
    .await;
    app.post(
        "/api/v1/interactions",
        &json!({"customer_id": id, "channel": "sms", "body": "生日祝福"}),
    )
    .await;
    let all = app.get("/api/v1/events?after=0").await;
    assert_eq!(all.status, 200, "{:?}", all.body);
    let items = all.body["items"].as_array().expect("items").clone();
    let types: Vec<&str> = items
        .iter()
        .filter_map(|e| e["event_type"].as_str())
        .collect();
    assert_eq!(
        types,
        [
            "organisation.created",
            "user.created",
            "token.created",
            "customer.created",
            "customer.updated",
            "interaction.logged"
        ]
    );
    let ids: Vec<i64> = items.iter().filter_map(|e| e["id"].as_i64()).collect();
    assert!(ids.windows(2).all(|w| w[0] < w[1]));
    let after = ids[3];
    let rest = app.get(&format!("/api/v1/events?after={after}")).await;
    assert_eq!(rest.body["items"].as_array().map(Vec::len), Some(2));
    let changes = &items[4]["payload"]["changes"]["status"];
    assert_eq!(changes, &json!(["new", "loyal"]));
}

//! Leads over HTTP on both databases: a web form feeds leads to a team in turn, spam is dropped
//! without telling, the throttle holds, a sales rep qualifies and converts a lead into a
//! customer and an opportunity, wins it and places the order; mistakes are refused whole.

use crate::support::{error_fields, TestApp};
use guanxi_core::Role;
use reqwest::Method;
use serde_json::{json, Value};

crate::on_both!(leads_from_web_form_to_order);

async fn leads_from_web_form_to_order(mut app: TestApp) {
    let org = app.use_new_org("线索公司").await;
    let team = app
        .post("/api/v1/teams", &json!({"name": "电销一组"}))
        .await;
    let tid = team.body["id"].as_i64().expect("team");
    let (rep, rep_token) = app.user_with_token(org, Role::SalesRep, Some(tid)).await;
    let (_, analyst) = app.user_with_token(org, Role::Analyst, None).await;
    let (_, agent) = app.user_with_token(org, Role::Agent, Some(tid)).await;
    let admin = app.token.clone();

    let sources = app.get("/api/v1/lead-sources").await;
    let codes: Vec<&str> = sources.body["items"]
        .as_array()
        .expect("sources")
        .iter()
        .filter_map(|s| s["code"].as_str())
        .collect();
    assert!(
        codes.contains(&"referral") && codes.contains(&"door_to_door"),
        "{codes:?}"
    );
    let rule = app
        .post(
            "/api/v1/lead-rules",
            &json!({"source": "website", "team_id": tid}),
        )
        .await;
    assert_eq!(rule.status, 201, "{:?}", rule.body);
    let bad_rule = app
        .post(
            "/api/v1/lead-rules",
            &json!({"source": "website", "team_id": tid, "user_id": rep.get()}),
        )
        .await;
    assert_eq!(bad_rule.status, 422);
    let form = app
        .post("/api/v1/web-forms", &json!({"name": "官网咨询"}))
        .await;
    assert_eq!(form.status, 201, "{:?}", form.body);
    let submit = form.body["submit_url"].as_str().expect("url").to_owned();
    let key = form.body["key"].as_str().expect("key").to_owned();

    // A visitor, not signed in.
    app.token = None;
    let leads_now = |app: &TestApp| {
        let app_token = admin.clone();
        let base = app.base.clone();
        let http = app.http.clone();
        async move {
            let r: Value = http
                .get(format!("{base}/api/v1/leads?limit=200"))
                .bearer_auth(app_token.expect("admin"))
                .send()
                .await
                .expect("list")
                .json()
                .await
                .expect("json");
            r["items"].as_array().map(Vec::len).unwrap_or(0)
        }
    };
    let sent = app
        .post(
            &submit,
            &json!({"name": "李女士", "phone": "139 1234 5678", "company": "深圳宏达贸易",
                                "message": "想了解企业宽带"}),
        )
        .await;
    assert_eq!(sent.status, 202, "{:?}", sent.body);
    assert_eq!(leads_now(&app).await, 1);
    // Spam gets the same answer and leaves nothing.
    for spam in [
        json!({"name": "bot", "phone": "13900000001", "homepage": "http://spam.example"}),
        json!({"name": "bot", "phone": "13900000002", "_ts": chrono::Utc::now().timestamp().to_string()}),
        json!({"name": "bot", "phone": "13900000003", "message": "http://a http://b http://c"}),
    ] {
        let r = app.post(&submit, &spam).await;
        assert_eq!(r.status, 202, "{spam}");
    }
    assert_eq!(leads_now(&app).await, 1, "spam is dropped");
    // Mistakes are named.
    let r = app.post(&submit, &json!({"name": "王先生"})).await;
    assert_eq!(
        (r.status, error_fields(&r.body)),
        (422, vec!["phone".to_owned()])
    );
    let r = app
        .post(&submit, &json!({"name": "王先生", "email": "not-mail"}))
        .await;
    assert_eq!(
        (r.status, error_fields(&r.body)),
        (422, vec!["email".to_owned()])
    );
    let r = app
        .post(
            "/api/v1/forms/gxf_AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA/submissions",
            &json!({"name": "x", "phone": "13900000009"}),
        )
        .await;
    assert_eq!(r.status, 404);
    // An HTML form from the organisation's own site: on to the thank-you page.
    let html = app
        .http
        .post(format!("{}{submit}", app.base))
        .header("Content-Type", "application/x-www-form-urlencoded")
        .body("name=%E5%BC%A0%E4%BC%9F&email=zhangwei%40example.cn&region=%E5%B9%BF%E4%B8%9C")
        .send()
        .await
        .expect("post");
    assert_eq!(
        html.status().as_u16(),
        200,
        "followed to the thank-you page"
    );
    assert!(html.url().path().ends_with(&format!("/f/{key}/thanks")));
    assert_eq!(leads_now(&app).await, 2);
    // Ten submissions from one address in ten minutes; the eleventh waits.
    let mut n = 7;
    loop {
        let r = app
            .post(
                &submit,
                &json!({"name": format!("访客{n}"), "phone": format!("1370000{n:04}")}),
            )
            .await;
        n += 1;
        if n <= 10 {
            assert_eq!(r.status, 202, "submission {n}");
        } else {
            assert_eq!(r.status, 429, "submission {n}: {:?}", r.body);
            assert_eq!(r.body["error"]["code"], "too_many_submissions");
            break;
        }
    }

    // The sales rep got the form's leads (round robin in a team of one) and works them.
    app.token = Some(rep_token.clone());
    let mine = app.get("/api/v1/leads?source=website").await;
    let items = mine.body["items"].as_array().expect("items").clone();
    assert!(items.len() >= 3, "{:?}", mine.body);
    assert!(items
        .iter()
        .all(|l| l["owner_id"] == rep.get() && l["rule_id"].is_i64()));
    let lead = items
        .iter()
        .find(|l| l["name"] == "李女士")
        .expect("the first visitor")
        .clone();
    let lid = lead["id"].as_i64().expect("id");
    assert_eq!(lead["phone"], "+86 139 1234 5678");
    let got = app.get(&format!("/api/v1/leads/{lid}")).await;
    let etag = got.etag.clone().expect("etag");
    let r = app
        .patch(
            &format!("/api/v1/leads/{lid}"),
            &json!({"status": "disqualified"}),
            Some(&etag),
        )
        .await;
    assert_eq!(
        (r.status, error_fields(&r.body)),
        (422, vec!["reason".to_owned()])
    );
    let q = app
        .patch(
            &format!("/api/v1/leads/{lid}"),
            &json!({"status": "qualified"}),
            Some(&etag),
        )
        .await;
    assert_eq!(q.status, 200, "{:?}", q.body);
    let stale = app
        .patch(
            &format!("/api/v1/leads/{lid}"),
            &json!({"note": "x"}),
            Some(&etag),
        )
        .await;
    assert_eq!(stale.status, 412);
    let plan = app
        .post(
            "/api/v1/activities",
            &json!({"kind": "call", "subject": "回电李女士", "lead_id": lid,
                    "due_at": (chrono::Utc::now() + chrono::Duration::hours(2)).to_rfc3339()}),
        )
        .await;
    assert_eq!(plan.status, 201, "{:?}", plan.body);

    // Converting: bad amounts are named and nothing is written; then it converts once.
    for (amount, field) in [
        ("-5.00", "opportunity.amount"),
        ("99999999999999999999", "opportunity.amount"),
    ] {
        let r = app
            .post(
                &format!("/api/v1/leads/{lid}/convert"),
                &json!({"opportunity": {"name": "企业宽带", "amount": amount}}),
            )
            .await;
        assert_eq!(
            (r.status, error_fields(&r.body)),
            (422, vec![field.to_owned()]),
            "{amount}"
        );
    }
    app.token = Some(agent.clone());
    let r = app
        .post(&format!("/api/v1/leads/{lid}/convert"), &json!({}))
        .await;
    assert_eq!(r.status, 403, "agents do not convert");
    app.token = Some(rep_token.clone());
    let conv = app
        .post(
            &format!("/api/v1/leads/{lid}/convert"),
            &json!({"opportunity": {"name": "企业宽带", "amount": "36000.00", "expected_close": "2027-01-31"}}),
        )
        .await;
    assert_eq!(conv.status, 200, "{:?}", conv.body);
    assert_eq!(conv.body["lead"]["status"], "converted");
    assert_eq!(conv.body["customer"]["name"], "李女士");
    assert_eq!(conv.body["matched"], false);
    assert_eq!(conv.body["opportunity"]["amount_minor"], 3_600_000);
    let cid = conv.body["customer"]["id"].as_i64().expect("customer");
    let again = app
        .post(&format!("/api/v1/leads/{lid}/convert"), &json!({}))
        .await;
    assert_eq!(again.status, 409);
    assert_eq!(error_fields(&again.body), ["status"]);
    let acts = app
        .get(&format!("/api/v1/customers/{cid}/activities"))
        .await;
    assert_eq!(
        acts.body["items"][0]["subject"], "回电李女士",
        "the lead's call moved over"
    );
    let origin = app.get(&format!("/api/v1/leads?customer_id={cid}")).await;
    assert_eq!(origin.body["items"][0]["id"], lid);

    // Win it and place the order that closes it.
    let oid = conv.body["opportunity"]["id"].as_i64().expect("opp");
    let pipes = app.get("/api/v1/pipelines").await;
    let won = pipes.body["items"][0]["stages"]
        .as_array()
        .expect("stages")
        .iter()
        .find(|s| s["kind"] == "won")
        .and_then(|s| s["id"].as_i64())
        .expect("won stage");
    let w = app
        .post(
            &format!("/api/v1/opportunities/{oid}/move"),
            &json!({"stage_id": won, "reason": "价格合适"}),
        )
        .await;
    assert_eq!(
        (w.status, w.body["status"].as_str()),
        (200, Some("won")),
        "{:?}",
        w.body
    );
    let moved_again = app
        .post(
            &format!("/api/v1/opportunities/{oid}/move"),
            &json!({"stage_id": won}),
        )
        .await;
    assert_eq!(moved_again.status, 422, "a closed opportunity stays closed");
    let order = app
        .post(
            "/api/v1/orders",
            &json!({"customer_id": cid, "opportunity_id": oid, "status": "paid",
                    "lines": [{"description": "企业宽带 500M 一年", "unit_price": "36000.00"}]}),
        )
        .await;
    assert_eq!(order.status, 201, "{:?}", order.body);
    assert_eq!(order.body["opportunity_id"], oid);

    // Who sees what: another rep's view is empty, the analyst reads but cannot write.
    let (_, other_rep) = app.user_with_token(org, Role::SalesRep, None).await;
    app.token = Some(other_rep);
    assert_eq!(app.get(&format!("/api/v1/leads/{lid}")).await.status, 404);
    app.token = Some(analyst);
    assert_eq!(app.get("/api/v1/leads").await.status, 200);
    assert_eq!(
        app.post(
            "/api/v1/leads",
            &json!({"name": "x", "source": "referral", "phone": "13800000000"})
        )
        .await
        .status,
        403
    );
    // Who got what is in the audit log, with the rule that decided.
    app.token = admin;
    let audit = app
        .get(&format!("/api/v1/audit?entity=lead&entity_id={lid}"))
        .await;
    let actions: Vec<&str> = audit.body["items"]
        .as_array()
        .expect("audit")
        .iter()
        .filter_map(|a| a["action"].as_str())
        .collect();
    for want in [
        "lead.created",
        "lead.assigned",
        "lead.updated",
        "lead.converted",
    ] {
        assert!(actions.contains(&want), "{want} in {actions:?}");
    }
    let _ = Method::GET;
}

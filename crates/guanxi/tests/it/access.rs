//! Access over HTTP: the permission matrix (every role against every endpoint on records it
//! owns, its team's, a teammate's private ones, another team's and another organisation's),
//! sessions with CSRF, the sign-in throttle, token expiry and revocation, and secrets that
//! never show in responses or logs.
//!
//! The expected outcomes below are written out by hand from docs/PERMISSIONS.md; they are not
//! derived from the permission table in code, so that a change of either shows here.

use crate::support::{unique_email, TestApp};
use guanxi_core::password::Password;
use guanxi_core::{OrgId, Role, TeamId, UserId};
use guanxi_store::{Ctx, NewTeam, NewUser};
use reqwest::Method;
use serde_json::{json, Value};

crate::on_both!(
    permission_matrix,
    sessions_need_csrf_and_end_on_sign_out,
    failed_sign_ins_are_throttled,
    expired_and_revoked_tokens_are_refused,
    secrets_never_show_in_responses_or_logs,
);

const ROLES: [Role; 6] = [
    Role::Admin,
    Role::Manager,
    Role::SalesRep,
    Role::Agent,
    Role::Marketer,
    Role::Analyst,
];

/// The ownership cases, in this order: the caller's own customer, one shared with the caller's
/// team, a teammate's private one, another team's, another organisation's.
const CASES: [&str; 5] = ["own", "team", "private", "other team", "other org"];

/// Expected statuses per role (rows in [`ROLES`] order) and case (columns in [`CASES`]
/// order). For list and lookup, 200 means the customer is in the answer and 404 that it is
/// not (both answer 200 on the wire).
struct Row {
    endpoint: &'static str,
    expect: [[u16; 5]; 6],
}

const MATRIX: &[Row] = &[
    Row {
        endpoint: "GET /customers/{id}",
        expect: [
            [200, 200, 200, 200, 404], // admin
            [200, 200, 200, 404, 404], // manager
            [200, 200, 404, 404, 404], // sales rep
            [200, 404, 404, 404, 404], // agent: owns one, handled none yet
            [200, 200, 200, 200, 404], // marketer
            [200, 200, 200, 200, 404], // analyst
        ],
    },
    Row {
        endpoint: "GET /customers/{id}/360",
        expect: [
            [200, 200, 200, 200, 404],
            [200, 200, 200, 404, 404],
            [200, 200, 404, 404, 404],
            [200, 404, 404, 404, 404],
            [200, 200, 200, 200, 404],
            [200, 200, 200, 200, 404],
        ],
    },
    Row {
        endpoint: "GET /customers/{id}/timeline",
        expect: [
            [200, 200, 200, 200, 404],
            [200, 200, 200, 404, 404],
            [200, 200, 404, 404, 404],
            [200, 404, 404, 404, 404],
            [200, 200, 200, 200, 404],
            [200, 200, 200, 200, 404],
        ],
    },
    Row {
        endpoint: "GET /customers?q=",
        expect: [
            [200, 200, 200, 200, 404],
            [200, 200, 200, 404, 404],
            [200, 200, 404, 404, 404],
            [200, 404, 404, 404, 404],
            [200, 200, 200, 200, 404],
            [200, 200, 200, 200, 404],
        ],
    },
    Row {
        endpoint: "GET /customers/lookup",
        expect: [
            [200, 200, 200, 200, 404],
            [200, 200, 200, 404, 404],
            [200, 200, 404, 404, 404],
            [200, 200, 200, 200, 404], // an agent recognises any caller
            [200, 200, 200, 200, 404],
            [200, 200, 200, 200, 404],
        ],
    },
    Row {
        endpoint: "PATCH /customers/{id}",
        expect: [
            [200, 200, 200, 200, 404],
            [200, 200, 200, 404, 404],
            [200, 200, 404, 404, 404],
            [200, 404, 404, 404, 404],
            [403, 403, 403, 403, 403],
            [403, 403, 403, 403, 403],
        ],
    },
    Row {
        endpoint: "POST /customers/{id}/contact-points",
        expect: [
            [201, 201, 201, 201, 404],
            [201, 201, 201, 404, 404],
            [201, 201, 404, 404, 404],
            [201, 404, 404, 404, 404],
            [403, 403, 403, 403, 403],
            [403, 403, 403, 403, 403],
        ],
    },
    Row {
        endpoint: "DELETE /customers/{id}",
        expect: [
            [200, 200, 200, 200, 404],
            [200, 200, 200, 404, 404],
            [403, 403, 403, 403, 403],
            [403, 403, 403, 403, 403],
            [403, 403, 403, 403, 403],
            [403, 403, 403, 403, 403],
        ],
    },
    Row {
        endpoint: "GET /interactions/{id}",
        expect: [
            [200, 200, 200, 200, 404],
            [200, 200, 200, 404, 404],
            [200, 200, 404, 404, 404],
            [200, 404, 404, 404, 404],
            [200, 200, 200, 200, 404],
            [200, 200, 200, 200, 404],
        ],
    },
    Row {
        endpoint: "PATCH /interactions/{id}",
        expect: [
            [200, 200, 200, 200, 404],
            [200, 200, 200, 404, 404],
            [200, 200, 404, 404, 404],
            [200, 404, 404, 404, 404],
            [403, 403, 403, 403, 403],
            [403, 403, 403, 403, 403],
        ],
    },
    // Last: an agent's logged call makes the customer one they handled.
    Row {
        endpoint: "POST /interactions",
        expect: [
            [201, 201, 201, 201, 422],
            [201, 201, 201, 422, 422],
            [201, 201, 422, 422, 422],
            [201, 201, 201, 201, 422],
            [403, 403, 403, 403, 403],
            [403, 403, 403, 403, 403],
        ],
    },
];

struct Target {
    id: i64,
    /// An interaction of the customer, logged by the system (no staff member).
    interaction: i64,
    name: String,
    phone: String,
    org: i64,
}

async fn customer(
    app: &TestApp,
    org: i64,
    name: &str,
    phone: &str,
    owner: UserId,
    team: Option<i64>,
) -> Target {
    let mut c = guanxi_store::NewCustomer {
        kind: guanxi_core::customer::CustomerKind::Person,
        name: name.into(),
        company_id: None,
        title: None,
        owner_id: Some(owner),
        team_id: team.map(TeamId),
        status: guanxi_core::customer::CustomerStatus::New,
        class: guanxi_core::customer::CustomerClass::Ordinary,
        vip: false,
        tags: vec![],
        city: None,
        birthday: None,
        note: None,
        custom: Default::default(),
        contact_points: vec![],
        allow_duplicate: false,
    };
    c.contact_points.push(guanxi_store::NewContactPoint {
        value: guanxi_core::contact::ContactValue::parse(guanxi_core::ContactKind::Mobile, phone)
            .expect("phone"),
        label: None,
        primary: true,
    });
    let made = app
        .store
        .create_customer(Ctx::new(OrgId(org)), c)
        .await
        .expect("customer");
    let (logged, _) = app
        .store
        .log_interaction(
            Ctx::new(OrgId(org)),
            guanxi_store::NewInteraction {
                customer_id: Some(made.id),
                contact: None,
                contact_name: None,
                channel: guanxi_core::interaction::Channel::Visit,
                direction: guanxi_core::interaction::Direction::Outbound,
                occurred_at: chrono::Utc::now(),
                staff_id: None,
                subject: None,
                body: "上门拜访".into(),
                duration_seconds: None,
                outcome: None,
                links: vec![],
            },
        )
        .await
        .expect("interaction");
    Target {
        id: made.id.get(),
        interaction: logged.id.get(),
        name: name.into(),
        phone: phone.into(),
        org,
    }
}

async fn version(app: &TestApp, t: &Target) -> i64 {
    app.store
        .get_customer(Ctx::new(OrgId(t.org)), guanxi_core::CustomerId(t.id), true)
        .await
        .map(|c| c.version)
        .unwrap_or(-1)
}

async fn permission_matrix(mut app: TestApp) {
    let a = app.use_new_org("矩阵甲").await;
    let b = app.use_new_org("矩阵乙").await;
    let ctx = Ctx::new(OrgId(a));
    let t1 = app
        .store
        .create_team(
            ctx,
            NewTeam {
                name: "一组".into(),
            },
        )
        .await
        .expect("t1")
        .id
        .get();
    let t2 = app
        .store
        .create_team(
            ctx,
            NewTeam {
                name: "二组".into(),
            },
        )
        .await
        .expect("t2")
        .id
        .get();
    let (rep2, _) = app.user_with_token(a, Role::SalesRep, Some(t1)).await;
    let (rep3, _) = app.user_with_token(a, Role::SalesRep, Some(t2)).await;
    let (foreign_admin, _) = app.user_with_token(b, Role::Admin, None).await;
    let team_of = |r: Role| match r {
        Role::Manager | Role::SalesRep => Some(t1),
        _ => None,
    };
    let mut callers = Vec::new();
    for (i, role) in ROLES.iter().enumerate() {
        let (uid, token) = app.user_with_token(a, *role, team_of(*role)).await;
        let own = customer(
            &app,
            a,
            &format!("自有客户{i}号"),
            &format!("1390000{:04}", i),
            uid,
            None,
        )
        .await;
        callers.push((*role, uid, token, own));
    }
    let shared = customer(&app, a, "组内共享客户", "13911110001", rep2, Some(t1)).await;
    let private = customer(&app, a, "组员私有客户", "13911110002", rep2, None).await;
    let other = customer(&app, a, "别组客户", "13911110003", rep3, Some(t2)).await;
    let foreign = customer(&app, b, "别家客户", "13911110004", foreign_admin, None).await;

    let mut checked = 0;
    let mut failures = Vec::new();
    let mut serial = 0;
    for (r, (role, _uid, token, own)) in callers.iter().enumerate() {
        app.token = Some(token.clone());
        let targets = [own, &shared, &private, &other, &foreign];
        for row in MATRIX {
            for (c, t) in targets.iter().enumerate() {
                serial += 1;
                let before = version(&app, t).await;
                let status = call(&app, row.endpoint, t, serial).await;
                let want = row.expect[r][c];
                checked += 1;
                if status != want {
                    failures.push(format!(
                        "{role} {} on {} customer: got {status}, want {want}",
                        row.endpoint, CASES[c]
                    ));
                }
                if status >= 400 {
                    assert_eq!(
                        version(&app, t).await,
                        before,
                        "a refusal changed {}",
                        t.name
                    );
                }
                if row.endpoint.starts_with("DELETE") && status == 200 {
                    app.store
                        .restore_customer(Ctx::new(OrgId(t.org)), guanxi_core::CustomerId(t.id))
                        .await
                        .expect("restore");
                }
            }
        }
    }

    // Endpoints that are not about one customer.
    let plain: &[(&str, [u16; 6])] = &[
        ("GET /auth/me", [200, 200, 200, 200, 200, 200]),
        ("GET /users", [200, 200, 200, 200, 200, 200]),
        ("GET /teams", [200, 200, 200, 200, 200, 200]),
        ("GET /organisation", [200, 200, 200, 200, 200, 200]),
        ("GET /field-definitions", [200, 200, 200, 200, 200, 200]),
        ("GET /tokens", [200, 200, 200, 200, 200, 200]),
        ("POST /users", [201, 403, 403, 403, 403, 403]),
        (
            "PATCH /users/self role=admin",
            [200, 403, 403, 403, 403, 403],
        ),
        ("POST /users/rep2/password", [204, 403, 403, 403, 403, 403]),
        ("POST /teams", [201, 403, 403, 403, 403, 403]),
        ("POST /field-definitions", [201, 403, 403, 403, 403, 403]),
        ("GET /audit", [200, 403, 403, 403, 403, 403]),
        ("GET /events", [200, 403, 403, 403, 403, 200]),
        ("GET /leads", [200, 200, 200, 200, 200, 200]),
        ("GET /lead-sources", [200, 200, 200, 200, 200, 200]),
        ("POST /leads", [201, 201, 201, 201, 201, 403]),
        ("GET /lead-rules", [200, 200, 403, 403, 403, 403]),
        ("POST /web-forms", [201, 201, 403, 403, 403, 403]),
        ("POST /customers", [201, 201, 201, 201, 403, 403]),
        ("GET /imports", [200, 200, 403, 403, 403, 403]),
        ("GET /import-mappings", [200, 200, 403, 403, 403, 403]),
        ("GET /duplicates", [200, 200, 403, 403, 403, 403]),
        ("POST /duplicates/scan", [202, 202, 403, 403, 403, 403]),
        ("GET /duplicates/scans", [200, 200, 403, 403, 403, 403]),
        (
            "POST /customers/{new}/erase",
            [204, 403, 403, 403, 403, 403],
        ),
        ("GET /customers/export.xlsx", [200, 200, 200, 200, 200, 200]),
        ("GET /analysis/runs", [200, 200, 200, 403, 200, 200]),
        ("GET /warehouse", [200, 403, 403, 403, 403, 200]),
        ("POST /warehouse/query", [200, 403, 403, 403, 403, 200]),
        (
            "GET /analysis/counts?by=tier",
            [200, 200, 200, 403, 200, 200],
        ),
        (
            "POST /customers owner=other team",
            [201, 422, 422, 422, 403, 403],
        ),
        (
            "POST /customers owner=other org",
            [422, 422, 422, 422, 403, 403],
        ),
        (
            "POST /customers team=other team",
            [201, 422, 422, 422, 403, 403],
        ),
    ];
    for (r, (role, uid, token, _)) in callers.iter().enumerate() {
        app.token = Some(token.clone());
        for (endpoint, want) in plain {
            serial += 1;
            let body_serial = serial;
            let (m, path, body): (Method, String, Option<Value>) = match *endpoint {
                "POST /users" => (
                    Method::POST,
                    "/api/v1/users".into(),
                    Some(
                        json!({"name": "新人", "email": unique_email("new"), "role": "sales_rep"}),
                    ),
                ),
                "PATCH /users/self role=admin" => (
                    Method::PATCH,
                    format!("/api/v1/users/{uid}"),
                    Some(if *role == Role::Admin {
                        json!({"name": "管理员本人"})
                    } else {
                        json!({"role": "admin"})
                    }),
                ),
                "POST /users/rep2/password" => (
                    Method::POST,
                    format!("/api/v1/users/{rep2}/password"),
                    Some(json!({"new_password": "换一个新的更长的密码吧"})),
                ),
                "POST /teams" => (
                    Method::POST,
                    "/api/v1/teams".into(),
                    Some(json!({"name": format!("新组{body_serial}")})),
                ),
                "POST /field-definitions" => (
                    Method::POST,
                    "/api/v1/field-definitions".into(),
                    Some(
                        json!({"key": format!("f{body_serial}"), "label_zh": "字段", "label_en": "Field", "field_type": "text"}),
                    ),
                ),
                "POST /leads" => (
                    Method::POST,
                    "/api/v1/leads".into(),
                    Some(
                        json!({"name": format!("线索{body_serial}"), "source": "referral",
                                "phone": format!("1390000{body_serial:04}")}),
                    ),
                ),
                "POST /web-forms" => (
                    Method::POST,
                    "/api/v1/web-forms".into(),
                    Some(json!({"name": format!("表单{body_serial}")})),
                ),
                "POST /customers" => (
                    Method::POST,
                    "/api/v1/customers".into(),
                    Some(json!({"name": format!("新客户{body_serial}")})),
                ),
                "POST /customers owner=other team" => (
                    Method::POST,
                    "/api/v1/customers".into(),
                    Some(json!({"name": "给别组", "owner_id": rep3.get()})),
                ),
                "POST /customers owner=other org" => (
                    Method::POST,
                    "/api/v1/customers".into(),
                    Some(json!({"name": "给别家", "owner_id": foreign_admin.get()})),
                ),
                "POST /customers team=other team" => (
                    Method::POST,
                    "/api/v1/customers".into(),
                    Some(json!({"name": "共享给别组", "team_id": t2})),
                ),
                "POST /warehouse/query" => (
                    Method::POST,
                    "/api/v1/warehouse/query".into(),
                    Some(json!({"sql": "SELECT count(*) FROM fact_orders"})),
                ),
                "POST /duplicates/scan" => (
                    Method::POST,
                    "/api/v1/duplicates/scan".into(),
                    Some(json!({})),
                ),
                "POST /customers/{new}/erase" => {
                    let c = app
                        .store
                        .create_customer(
                            Ctx::new(OrgId(a)),
                            guanxi_store::NewCustomer {
                                kind: guanxi_core::customer::CustomerKind::Person,
                                name: format!("待删除{body_serial}"),
                                company_id: None,
                                title: None,
                                owner_id: None,
                                team_id: None,
                                status: guanxi_core::customer::CustomerStatus::New,
                                class: guanxi_core::customer::CustomerClass::Ordinary,
                                vip: false,
                                tags: vec![],
                                city: None,
                                birthday: None,
                                note: None,
                                custom: Default::default(),
                                contact_points: vec![],
                                allow_duplicate: false,
                            },
                        )
                        .await
                        .expect("customer to erase");
                    (
                        Method::POST,
                        format!("/api/v1/customers/{}/erase", c.id),
                        Some(json!({})),
                    )
                }
                get => (
                    Method::GET,
                    format!("/api/v1{}", get.trim_start_matches("GET ")),
                    None,
                ),
            };
            let res = app.send(m, &path, body.as_ref(), &[]).await;
            checked += 1;
            if res.status != want[r] {
                failures.push(format!(
                    "{role} {endpoint}: got {} ({}), want {}",
                    res.status, res.body, want[r]
                ));
            }
        }
    }
    assert!(
        failures.is_empty(),
        "{} of {checked} checks failed:\n{}",
        failures.len(),
        failures.join("\n")
    );
    assert_eq!(
        checked,
        ROLES.len() * (MATRIX.len() * CASES.len() + plain.len())
    );

    // Every refusal is in the audit log: of a role (403), and of a record out of reach (404,
    // or 422 for a reference the caller may not make). The rep is still a sales rep.
    app.switch_org(a);
    let audit = all_audit(&app).await;
    let count = |action: &str| audit.iter().filter(|e| e["action"] == action).count();
    let cells = |pred: &dyn Fn(&str, u16) -> bool| -> usize {
        MATRIX
            .iter()
            .map(|row| {
                row.expect
                    .iter()
                    .flatten()
                    .filter(|s| pred(row.endpoint, **s))
                    .count()
            })
            .sum::<usize>()
            + plain
                .iter()
                .map(|(e, w)| w.iter().filter(|s| pred(e, **s)).count())
                .sum::<usize>()
    };
    assert_eq!(count("access.denied"), cells(&|_, s| s == 403));
    let on_the_wire_200 = |e: &str| e == "GET /customers?q=" || e == "GET /customers/lookup";
    assert_eq!(
        count("request.refused"),
        cells(&|e, s| (s == 404 && !on_the_wire_200(e)) || s == 422)
    );
    let rep = &callers[2];
    let me = app.get(&format!("/api/v1/users/{}", rep.1)).await;
    assert_eq!(me.body["role"], "sales_rep");
    // After the agent's calls, the customers they handled are theirs to read.
    app.token = Some(callers[3].2.clone());
    assert_eq!(
        app.get(&format!("/api/v1/customers/{}", other.id))
            .await
            .status,
        200
    );
    assert_eq!(
        app.get(&format!("/api/v1/customers/{}", foreign.id))
            .await
            .status,
        404
    );
}

/// The organisation's whole audit log, page by page.
async fn all_audit(app: &TestApp) -> Vec<Value> {
    let mut out = Vec::new();
    let mut before: Option<i64> = None;
    loop {
        let q = match before {
            Some(b) => format!("/api/v1/audit?limit=500&before={b}"),
            None => "/api/v1/audit?limit=500".into(),
        };
        let page = app.get(&q).await;
        assert_eq!(page.status, 200, "{:?}", page.body);
        out.extend(
            page.body["items"]
                .as_array()
                .expect("items")
                .iter()
                .cloned(),
        );
        match page.body["next_before"].as_i64() {
            Some(b) => before = Some(b),
            None => return out,
        }
    }
}

/// One request of the matrix against target `t`; list and lookup report 200 when the customer
/// is in the answer and 404 when it is not.
async fn call(app: &TestApp, endpoint: &str, t: &Target, serial: usize) -> u16 {
    let id = t.id;
    match endpoint {
        "GET /customers/{id}" => app.get(&format!("/api/v1/customers/{id}")).await.status,
        "GET /customers/{id}/360" => app.get(&format!("/api/v1/customers/{id}/360")).await.status,
        "GET /customers/{id}/timeline" => {
            app.get(&format!("/api/v1/customers/{id}/timeline"))
                .await
                .status
        }
        "GET /customers?q=" => {
            let r = app
                .send(
                    Method::GET,
                    &format!("/api/v1/customers?q={}", urlencode(&t.name)),
                    None,
                    &[],
                )
                .await;
            found(&r.body["items"], id, r.status)
        }
        "GET /customers/lookup" => {
            let r = app
                .get(&format!("/api/v1/customers/lookup?phone={}", t.phone))
                .await;
            found(&r.body["matches"], id, r.status)
        }
        "PATCH /customers/{id}" => {
            app.patch(
                &format!("/api/v1/customers/{id}"),
                &json!({"note": format!("备注{serial}")}),
                None,
            )
            .await
            .status
        }
        "POST /customers/{id}/contact-points" => {
            app.post(
                &format!("/api/v1/customers/{id}/contact-points"),
                &json!({"kind": "email", "value": format!("m{serial}@matrix.example")}),
            )
            .await
            .status
        }
        "GET /interactions/{id}" => {
            app.get(&format!("/api/v1/interactions/{}", t.interaction))
                .await
                .status
        }
        "PATCH /interactions/{id}" => {
            app.patch(
                &format!("/api/v1/interactions/{}", t.interaction),
                &json!({"subject": format!("主题{serial}")}),
                None,
            )
            .await
            .status
        }
        "DELETE /customers/{id}" => {
            app.send(
                Method::DELETE,
                &format!("/api/v1/customers/{id}"),
                None,
                &[],
            )
            .await
            .status
        }
        "POST /interactions" => {
            app.post(
                "/api/v1/interactions",
                &json!({"customer_id": id, "channel": "phone", "body": "来电"}),
            )
            .await
            .status
        }
        other => panic!("no such endpoint in the matrix: {other}"),
    }
}

fn found(items: &Value, id: i64, status: u16) -> u16 {
    if status != 200 {
        return status;
    }
    let listed = items
        .as_array()
        .is_some_and(|a| a.iter().any(|c| c["id"].as_i64() == Some(id)));
    if listed {
        200
    } else {
        404
    }
}

fn urlencode(s: &str) -> String {
    s.bytes().map(|b| format!("%{b:02X}")).collect()
}

/// A user of a new organisation who can sign in with `password`.
async fn user_with_password(app: &mut TestApp, role: Role, password: &str) -> (i64, String) {
    let org = app.use_new_org("登录测试").await;
    let email = unique_email("signin");
    let hash = Password::parse(password, &email)
        .expect("policy")
        .hash()
        .expect("hash");
    let mut new = NewUser::staff("登录者", email.clone(), role);
    new.password_hash = Some(hash);
    app.store
        .create_user(Ctx::new(OrgId(org)), new)
        .await
        .expect("user");
    (org, email)
}

struct Browser {
    http: reqwest::Client,
    base: String,
}

impl Browser {
    fn new(app: &TestApp) -> Self {
        Self {
            http: reqwest::Client::builder()
                .cookie_store(true)
                .build()
                .expect("client"),
            base: app.base.clone(),
        }
    }

    async fn send(
        &self,
        m: Method,
        path: &str,
        body: Option<Value>,
        csrf: Option<&str>,
    ) -> (u16, Value, reqwest::header::HeaderMap) {
        let mut r = self
            .http
            .request(m, format!("{}{path}", self.base))
            .header("Accept-Language", "en");
        if let Some(b) = body {
            r = r.json(&b);
        }
        if let Some(c) = csrf {
            r = r.header("X-CSRF-Token", c);
        }
        let res = r.send().await.expect("send");
        let status = res.status().as_u16();
        let headers = res.headers().clone();
        let text = res.text().await.expect("text");
        (
            status,
            serde_json::from_str(&text).unwrap_or(Value::String(text)),
            headers,
        )
    }
}

async fn sessions_need_csrf_and_end_on_sign_out(mut app: TestApp) {
    let (_, email) = user_with_password(&mut app, Role::SalesRep, "一二三四五六七八九十").await;
    let web = Browser::new(&app);
    let (s, body, headers) = web
        .send(
            Method::POST,
            "/api/v1/auth/sign-in",
            Some(json!({"email": email.to_uppercase(), "password": "一二三四五六七八九十"})),
            None,
        )
        .await;
    assert_eq!(s, 200, "{body}");
    let cookie = headers
        .get("set-cookie")
        .and_then(|v| v.to_str().ok())
        .unwrap_or("")
        .to_owned();
    assert!(
        cookie.contains("HttpOnly") && cookie.contains("SameSite=Lax"),
        "{cookie}"
    );
    let csrf = body["csrf_token"].as_str().expect("csrf").to_owned();
    assert_eq!(body["user"]["role"], "sales_rep");
    assert_eq!(
        web.send(Method::GET, "/api/v1/auth/me", None, None).await.0,
        200
    );
    // A change without the CSRF token, or with a wrong one, is refused and writes nothing.
    let new = json!({"name": "跨站请求"});
    let (s, b, _) = web
        .send(Method::POST, "/api/v1/customers", Some(new.clone()), None)
        .await;
    assert_eq!((s, b["error"]["code"].as_str()), (403, Some("csrf_failed")));
    let (s, _, _) = web
        .send(
            Method::POST,
            "/api/v1/customers",
            Some(new.clone()),
            Some("forged"),
        )
        .await;
    assert_eq!(s, 403);
    let (s, b, _) = web
        .send(
            Method::GET,
            "/api/v1/customers?q=%E8%B7%A8%E7%AB%99",
            None,
            None,
        )
        .await;
    assert_eq!((s, b["items"].as_array().map(Vec::len)), (200, Some(0)));
    let (s, _, _) = web
        .send(Method::POST, "/api/v1/customers", Some(new), Some(&csrf))
        .await;
    assert_eq!(s, 201);
    // A plain HTML form may carry the token as `_csrf` instead; a forged one is refused.
    let form = |token: &str| {
        web.http
            .post(format!("{}/customers/new", web.base))
            .form(&[("name", "表单客户"), ("_csrf", token)])
            .send()
    };
    let forged = form("forged").await.expect("send");
    assert_eq!(forged.status().as_u16(), 403);
    let good = form(&csrf).await.expect("send");
    assert!(
        good.url().path().starts_with("/customers/"),
        "{}",
        good.url()
    );
    assert_eq!(good.status().as_u16(), 200);
    // A tampered cookie is nobody.
    let tampered = reqwest::Client::new()
        .get(format!("{}/api/v1/auth/me", app.base))
        .header(
            "Cookie",
            "guanxi_session=gxs_AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA",
        )
        .send()
        .await
        .expect("send");
    assert_eq!(tampered.status().as_u16(), 401);
    // Signing out ends the session.
    assert_eq!(
        web.send(Method::POST, "/api/v1/auth/sign-out", None, Some(&csrf))
            .await
            .0,
        204
    );
    let (s, b, _) = web.send(Method::GET, "/api/v1/auth/me", None, None).await;
    assert_eq!(s, 401, "{b}");
}

async fn failed_sign_ins_are_throttled(mut app: TestApp) {
    let (org, email) = user_with_password(&mut app, Role::Agent, "正确的密码一二三四五").await;
    let web = Browser::new(&app);
    for _ in 0..5 {
        let (s, b, _) = web
            .send(
                Method::POST,
                "/api/v1/auth/sign-in",
                Some(json!({"email": email, "password": "错误的密码一二三四"})),
                None,
            )
            .await;
        assert_eq!(
            (s, b["error"]["code"].as_str()),
            (401, Some("invalid_credentials"))
        );
    }
    // Locked: even the right password is refused until the window ends.
    let (s, b, h) = web
        .send(
            Method::POST,
            "/api/v1/auth/sign-in",
            Some(json!({"email": email, "password": "正确的密码一二三四五"})),
            None,
        )
        .await;
    assert_eq!(
        (s, b["error"]["code"].as_str()),
        (429, Some("too_many_attempts")),
        "{b}"
    );
    let wait: u64 = h
        .get("retry-after")
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.parse().ok())
        .expect("Retry-After");
    assert!(wait > 0 && wait <= 15 * 60);
    // Another account from the same address is not locked by these five.
    let (_, other) = user_with_password(&mut app, Role::Agent, "另一个人的密码呀呀呀").await;
    let (s, _, _) = web
        .send(
            Method::POST,
            "/api/v1/auth/sign-in",
            Some(json!({"email": other, "password": "另一个人的密码呀呀呀"})),
            None,
        )
        .await;
    assert_eq!(s, 200);
    // The failures are audited in the user's organisation.
    app.switch_org(org);
    let audit = app.get("/api/v1/audit?entity=user&limit=100").await;
    let actions: Vec<&str> = audit.body["items"]
        .as_array()
        .expect("items")
        .iter()
        .filter_map(|e| e["action"].as_str())
        .collect();
    assert_eq!(
        actions
            .iter()
            .filter(|a| **a == "auth.sign_in_failed")
            .count(),
        5,
        "{actions:?}"
    );
    assert!(actions.contains(&"auth.sign_in_throttled"));
}

async fn expired_and_revoked_tokens_are_refused(mut app: TestApp) {
    let org = app.use_new_org("令牌").await;
    let (uid, _) = app.user_with_token(org, Role::SalesRep, None).await;
    let expired = app.token_for(org, uid, -1).await;
    app.token = Some(expired);
    let r = app.get("/api/v1/auth/me").await;
    assert_eq!(
        (r.status, r.body["error"]["code"].as_str()),
        (401, Some("token_expired"))
    );
    // A token made through the API is shown once, then works until revoked.
    let (_, t) = app.user_with_token(org, Role::SalesRep, None).await;
    app.token = Some(t);
    let made = app
        .post(
            "/api/v1/tokens",
            &json!({"name": "集成", "expires_in_days": 7}),
        )
        .await;
    assert_eq!(made.status, 201, "{:?}", made.body);
    let secret = made.body["token"].as_str().expect("token").to_owned();
    let id = made.body["id"].as_i64().expect("id");
    app.token = Some(secret.clone());
    assert_eq!(app.get("/api/v1/auth/me").await.body["via"], "token");
    let listed = app.get("/api/v1/tokens").await;
    assert!(
        !listed.body.to_string().contains(&secret),
        "a list never shows secrets"
    );
    assert_eq!(
        app.send(Method::DELETE, &format!("/api/v1/tokens/{id}"), None, &[])
            .await
            .status,
        200
    );
    let r = app.get("/api/v1/auth/me").await;
    assert_eq!(
        (r.status, r.body["error"]["code"].as_str()),
        (401, Some("token_revoked"))
    );
    // A deactivated user's tokens stop working too.
    let (uid2, t2) = app.user_with_token(org, Role::Analyst, None).await;
    app.switch_org(org);
    let off = app
        .patch(
            &format!("/api/v1/users/{uid2}"),
            &json!({"active": false}),
            None,
        )
        .await;
    assert_eq!(off.status, 200, "{:?}", off.body);
    app.token = Some(t2);
    assert_eq!(app.get("/api/v1/auth/me").await.status, 401);
    // The refusals are audited.
    app.switch_org(org);
    let audit = app.get("/api/v1/audit?entity=api_token&limit=100").await;
    let refused = audit.body["items"]
        .as_array()
        .expect("items")
        .iter()
        .filter(|e| e["action"] == "auth.token_refused")
        .count();
    assert_eq!(refused, 3);
    // The last administrator cannot step down.
    let me = app.get("/api/v1/auth/me").await;
    let admin = me.body["user"]["id"].as_i64().expect("admin id");
    let r = app
        .patch(
            &format!("/api/v1/users/{admin}"),
            &json!({"role": "analyst"}),
            None,
        )
        .await;
    assert_eq!(r.status, 422, "{:?}", r.body);
}

async fn secrets_never_show_in_responses_or_logs(mut app: TestApp) {
    use std::sync::{Arc, Mutex};
    #[derive(Clone, Default)]
    struct Buf(Arc<Mutex<Vec<u8>>>);
    impl std::io::Write for Buf {
        fn write(&mut self, b: &[u8]) -> std::io::Result<usize> {
            self.0.lock().expect("lock").extend_from_slice(b);
            Ok(b.len())
        }
        fn flush(&mut self) -> std::io::Result<()> {
            Ok(())
        }
    }
    let buf = Buf::default();
    let writer = buf.clone();
    let subscriber = tracing_subscriber::fmt()
        .with_max_level(tracing::Level::TRACE)
        .with_writer(move || writer.clone())
        .finish();
    let _guard = tracing::subscriber::set_default(subscriber);
    let password = "绝不能出现在日志里的密码";
    let (_, email) = user_with_password(&mut app, Role::Admin, password).await;
    let web = Browser::new(&app);
    let (s, body, headers) = web
        .send(
            Method::POST,
            "/api/v1/auth/sign-in",
            Some(json!({"email": email, "password": password})),
            None,
        )
        .await;
    assert_eq!(s, 200);
    let cookie = headers
        .get("set-cookie")
        .and_then(|v| v.to_str().ok())
        .unwrap_or("")
        .to_owned();
    let session = cookie
        .split(';')
        .next()
        .unwrap_or("")
        .trim_start_matches("guanxi_session=")
        .to_owned();
    assert!(session.starts_with("gxs_"));
    let csrf = body["csrf_token"].as_str().expect("csrf").to_owned();
    let (_, made, _) = web
        .send(
            Method::POST,
            "/api/v1/tokens",
            Some(json!({"name": "日志"})),
            Some(&csrf),
        )
        .await;
    let token = made["token"].as_str().expect("token").to_owned();
    web.send(
        Method::POST,
        "/api/v1/auth/sign-in",
        Some(json!({"email": email, "password": "错的也不能记"})),
        None,
    )
    .await;
    let (_, users, _) = web.send(Method::GET, "/api/v1/users", None, None).await;
    let (_, audit, _) = web
        .send(Method::GET, "/api/v1/audit?limit=500", None, None)
        .await;
    for text in [users.to_string(), audit.to_string(), body.to_string()] {
        for secret in [
            password,
            "错的也不能记",
            session.as_str(),
            token.as_str(),
            "argon2",
        ] {
            assert!(!text.contains(secret), "a response shows {secret}");
        }
    }
    let logs = String::from_utf8_lossy(&buf.0.lock().expect("lock")).into_owned();
    assert!(!logs.is_empty(), "the test must capture the server's logs");
    for secret in [
        password,
        "错的也不能记",
        session.as_str(),
        token.as_str(),
        csrf.as_str(),
        "$argon2",
    ] {
        assert!(!logs.contains(secret), "the logs show {secret}");
    }
}

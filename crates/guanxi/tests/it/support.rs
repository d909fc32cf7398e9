use chrono::Utc;
use guanxi_core::{secret, OrgId, Role, TeamId, UserId};
use guanxi_store::{Ctx, NewApiToken, NewOrg, NewUser, Store};
use guanxi_store_sql::testdb::{fresh_postgres, fresh_sqlite};
use guanxi_store_sql::SqlStore;
use serde_json::Value;
use std::collections::HashMap;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Arc;

pub struct TestApp {
    pub base: String,
    pub http: reqwest::Client,
    /// The organisation the client currently speaks for.
    pub org: Option<i64>,
    /// Sent as `Authorization: Bearer …` on every request when set.
    pub token: Option<String>,
    pub lang: &'static str,
    pub store: Arc<dyn Store>,
    /// The data warehouse the server queries (empty until a test loads it).
    pub warehouse_dir: std::path::PathBuf,
    /// Where the server keeps uploaded import files.
    pub upload_dir: std::path::PathBuf,
    admin_tokens: HashMap<i64, String>,
}

static EMAILS: AtomicU64 = AtomicU64::new(0);

/// An e-mail address no other test uses (sign-in names are unique across the deployment).
pub fn unique_email(local: &str) -> String {
    format!(
        "{local}.{}.{}@test.guanxi.example",
        std::process::id(),
        EMAILS.fetch_add(1, Ordering::Relaxed)
    )
}

pub struct Resp {
    pub status: u16,
    pub etag: Option<String>,
    pub body: Value,
}

impl TestApp {
    pub async fn start(store: SqlStore) -> TestApp {
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0")
            .await
            .expect("bind");
        let addr = listener.local_addr().expect("addr");
        let shared: Arc<dyn Store> = Arc::new(store.clone());
        // Uploads go to a folder of this test run, not the working directory.
        let uploads = std::env::temp_dir().join(format!(
            "guanxi-test-uploads-{}-{}",
            std::process::id(),
            EMAILS.fetch_add(1, Ordering::Relaxed)
        ));
        let settings = guanxi_config::Settings {
            upload_dir: uploads.to_string_lossy().into_owned(),
            warehouse_dir: uploads.join("warehouse").to_string_lossy().into_owned(),
            ..guanxi_config::Settings::default()
        };
        let app = guanxi::server::app(&settings, store)
            .into_make_service_with_connect_info::<std::net::SocketAddr>();
        tokio::spawn(async move {
            axum::serve(listener, app).await.expect("serve");
        });
        TestApp {
            base: format!("http://{addr}"),
            http: reqwest::Client::new(),
            org: None,
            token: None,
            lang: "en",
            store: shared,
            warehouse_dir: uploads.join("warehouse"),
            upload_dir: uploads,
            admin_tokens: HashMap::new(),
        }
    }

    /// A user of `org` with `role` (and `team`), and an API token of theirs.
    pub async fn user_with_token(
        &self,
        org: i64,
        role: Role,
        team: Option<i64>,
    ) -> (UserId, String) {
        let ctx = Ctx::new(OrgId(org));
        let mut new = NewUser::staff(
            format!("{} 测试", role.label(guanxi_core::Lang::ZhCn)),
            unique_email(role.as_str()),
            role,
        );
        new.team_id = team.map(TeamId);
        let user = self.store.create_user(ctx, new).await.expect("user");
        let token = self.token_for(org, user.id, 30).await;
        (user.id, token)
    }

    /// A token of `user` that expires in `days` (negative: already expired).
    pub async fn token_for(&self, org: i64, user: UserId, days: i64) -> String {
        let token = secret::new_secret("gxp_");
        let ctx = Ctx {
            actor: Some(user),
            ..Ctx::new(OrgId(org))
        };
        self.store
            .create_token(
                ctx,
                NewApiToken {
                    name: "test".into(),
                    hint: token.chars().take(8).collect(),
                    secret_hash: secret::digest(&token),
                    expires_at: Utc::now() + chrono::Duration::days(days),
                },
            )
            .await
            .expect("token");
        token
    }

    /// Speak for organisation `org` again, as its administrator.
    pub fn switch_org(&mut self, org: i64) {
        self.org = Some(org);
        self.token = self.admin_tokens.get(&org).cloned();
    }

    pub async fn sqlite() -> TestApp {
        let (store, _) = fresh_sqlite().await.expect("sqlite");
        Self::start(store).await
    }

    pub async fn postgres() -> Option<TestApp> {
        let (store, _) = fresh_postgres().await.expect("postgres")?;
        Some(Self::start(store).await)
    }

    pub async fn send(
        &self,
        method: reqwest::Method,
        path: &str,
        body: Option<&Value>,
        headers: &[(&str, &str)],
    ) -> Resp {
        let mut r = self
            .http
            .request(method, format!("{}{path}", self.base))
            .header("Accept-Language", self.lang);
        if let Some(t) = &self.token {
            r = r.bearer_auth(t);
        }
        for (k, v) in headers {
            r = r.header(*k, *v);
        }
        if let Some(b) = body {
            r = r.json(b);
        }
        let resp = r.send().await.expect("request");
        let status = resp.status().as_u16();
        let etag = resp
            .headers()
            .get("etag")
            .and_then(|v| v.to_str().ok())
            .map(str::to_owned);
        let text = resp.text().await.expect("body");
        let body = if text.is_empty() {
            Value::Null
        } else {
            serde_json::from_str(&text).unwrap_or(Value::String(text))
        };
        Resp { status, etag, body }
    }

    pub async fn get(&self, path: &str) -> Resp {
        self.send(reqwest::Method::GET, path, None, &[]).await
    }

    pub async fn post(&self, path: &str, body: &Value) -> Resp {
        self.send(reqwest::Method::POST, path, Some(body), &[])
            .await
    }

    pub async fn patch(&self, path: &str, body: &Value, if_match: Option<&str>) -> Resp {
        match if_match {
            Some(m) => {
                self.send(reqwest::Method::PATCH, path, Some(body), &[("If-Match", m)])
                    .await
            }
            None => {
                self.send(reqwest::Method::PATCH, path, Some(body), &[])
                    .await
            }
        }
    }

    /// A raw request with a body that is not JSON-encoded by the client.
    pub async fn raw(
        &self,
        method: reqwest::Method,
        path: &str,
        body: &str,
        content_type: &str,
    ) -> Resp {
        let mut r = self
            .http
            .request(method, format!("{}{path}", self.base))
            .header("Accept-Language", self.lang)
            .header("Content-Type", content_type)
            .body(body.to_owned());
        if let Some(t) = &self.token {
            r = r.bearer_auth(t);
        }
        let resp = r.send().await.expect("request");
        let status = resp.status().as_u16();
        let text = resp.text().await.expect("body");
        Resp {
            status,
            etag: None,
            body: serde_json::from_str(&text).unwrap_or(Value::String(text)),
        }
    }

    /// Create an organisation with an administrator, and speak for it as that administrator.
    pub async fn use_new_org(&mut self, name: &str) -> i64 {
        let org = self
            .store
            .create_org(NewOrg {
                name: name.into(),
                locale: guanxi_core::Lang::ZhCn,
                currency: guanxi_core::Currency::CNY,
                time_zone: "Asia/Shanghai".into(),
            })
            .await
            .expect("org");
        let (_, token) = self.user_with_token(org.id.get(), Role::Admin, None).await;
        self.admin_tokens.insert(org.id.get(), token);
        self.switch_org(org.id.get());
        org.id.get()
    }
}

/// The field paths named by an error response.
pub fn error_fields(body: &Value) -> Vec<String> {
    body["error"]["fields"]
        .as_array()
        .map(|a| {
            a.iter()
                .filter_map(|f| f["field"].as_str().map(str::to_owned))
                .collect()
        })
        .unwrap_or_default()
}

/// Run one async story against SQLite and, when reachable, PostgreSQL.
#[macro_export]
macro_rules! on_both {
    ($($name:ident),* $(,)?) => {
        mod sqlite {
            $(
                #[tokio::test]
                async fn $name() {
                    super::$name($crate::support::TestApp::sqlite().await).await;
                }
            )*
        }
        mod postgres {
            $(
                #[tokio::test]
                async fn $name() {
                    if let Some(app) = $crate::support::TestApp::postgres().await {
                        super::$name(app).await;
                    }
                }
            )*
        }
    };
}

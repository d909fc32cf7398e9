use guanxi_store_sql::testdb::{fresh_postgres, fresh_sqlite};
use guanxi_store_sql::SqlStore;
use serde_json::Value;

pub struct TestApp {
    pub base: String,
    pub http: reqwest::Client,
    pub org: Option<i64>,
    pub lang: &'static str,
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
        let app = guanxi::server::app(&guanxi_config::Settings::default(), store);
        tokio::spawn(async move {
            axum::serve(listener, app).await.expect("serve");
        });
        TestApp {
            base: format!("http://{addr}"),
            http: reqwest::Client::new(),
            org: None,
            lang: "en",
        }
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
        if let Some(o) = self.org {
            r = r.header("X-Guanxi-Org", o.to_string());
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
        if let Some(o) = self.org {
            r = r.header("X-Guanxi-Org", o.to_string());
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

    /// Create an organisation and make it the one this client speaks for.
    pub async fn use_new_org(&mut self, name: &str) -> i64 {
        let r = self
            .post("/api/v1/organisations", &serde_json::json!({"name": name}))
            .await;
        assert_eq!(r.status, 201, "{:?}", r.body);
        let id = r.body["id"].as_i64().expect("org id");
        self.org = Some(id);
        id
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

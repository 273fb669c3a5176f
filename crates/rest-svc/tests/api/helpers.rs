//! Starts rest-svc the way `main` does, on `127.0.0.1:0`, against a fresh database.

use std::future::Future;
use std::net::SocketAddr;
use std::time::Duration;

use model::{DatabaseUrl, PoolOptions, Store};
use runtime::http::ServerSettings;
use serde_json::{Value, json};
use test_support::{Backend, TestDb};
use tokio_util::sync::CancellationToken;

/// The body limit the tests run with (the default).
pub const BODY_LIMIT: usize = 64 * 1024;

/// A running rest-svc and what a test needs to talk to it.
pub struct TestApp {
    pub addr: SocketAddr,
    pub client: reqwest::Client,
    pub store: Store,
    shutdown: CancellationToken,
    _db: Option<TestDb>,
}

impl TestApp {
    /// Starts the service on a fresh database of this backend (the test is skipped
    /// when the backend is not available on this machine, outside CI).
    pub async fn spawn(backend: Backend) -> TestApp {
        let db = TestDb::new(backend);
        let store = Store::open(&db.url, &PoolOptions::default());
        store
            .migrate()
            .await
            .expect("migrations apply to a fresh database");
        TestApp::start(store, Some(db))
    }

    /// Starts the service on a database URL the test chose (e.g. one that is down).
    pub fn spawn_with_url(url: &DatabaseUrl, options: PoolOptions) -> TestApp {
        TestApp::start(Store::open(url, &options), None)
    }

    fn start(store: Store, db: Option<TestDb>) -> TestApp {
        let settings = ServerSettings {
            addr: "127.0.0.1:0".parse().unwrap(),
            workers: 1,
            shutdown_grace: Duration::from_secs(1),
        };
        let app = rest_svc::startup::build(&settings, BODY_LIMIT, store.clone())
            .expect("bind 127.0.0.1:0");
        let addr = app.local_addr();
        let shutdown = CancellationToken::new();
        tokio::spawn(app.run_until_stopped(shutdown.clone()));
        TestApp {
            addr,
            client: reqwest::Client::builder()
                .timeout(Duration::from_secs(30))
                .build()
                .unwrap(),
            store,
            shutdown,
            _db: db,
        }
    }

    /// `http://127.0.0.1:PORT{path}`
    pub fn url(&self, path: &str) -> String {
        format!("http://{}{path}", self.addr)
    }

    /// POSTs JSON to `/api/rest/dummie` and returns the created record (asserting 201).
    pub async fn create(&self, body: Value) -> Value {
        let response = self
            .client
            .post(self.url("/api/rest/dummie"))
            .json(&body)
            .send()
            .await
            .unwrap();
        assert_eq!(response.status(), 201, "create failed for {body}");
        response.json().await.unwrap()
    }

    /// A valid record's fields.
    pub fn sample() -> Value {
        json!({"day": 2, "weekday": "Tuesday", "month": "February", "year": 1985})
    }

    /// How many rows the database holds, read through the store, not the API.
    pub async fn count(&self) -> i64 {
        self.store.count().await.unwrap()
    }
}

impl Drop for TestApp {
    fn drop(&mut self) {
        self.shutdown.cancel();
    }
}

/// Runs one test body against a fresh app on `backend` (the harness's `backends`).
pub async fn run<F, Fut>(backend: Backend, test: F)
where
    F: FnOnce(TestApp) -> Fut,
    Fut: Future<Output = ()>,
{
    test(TestApp::spawn(backend).await).await;
}

/// Asserts the status, and returns the JSON body.
pub async fn expect_json(response: reqwest::Response, status: u16) -> Value {
    let actual = response.status().as_u16();
    let text = response.text().await.unwrap();
    assert_eq!(actual, status, "unexpected status, body: {text}");
    serde_json::from_str(&text).unwrap_or_else(|e| panic!("body is not JSON ({e}): {text}"))
}

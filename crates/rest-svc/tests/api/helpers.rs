//! Starts rest-svc the way `main` does, on `127.0.0.1:0`, against a fresh database.

use std::ops::{Deref, DerefMut};

use model::{DatabaseUrl, PoolOptions, Store};
use serde_json::{Value, json};
use test_support::server::Server;
use test_support::{Backend, TestDb};
use tokio_util::sync::CancellationToken;

/// The body limit the tests run with (the default).
pub const BODY_LIMIT: usize = 64 * 1024;

/// A running rest-svc and what a test needs to talk to it.
pub struct TestApp {
    server: Server,
    pub client: reqwest::Client,
}

impl Deref for TestApp {
    type Target = Server;
    fn deref(&self) -> &Server {
        &self.server
    }
}

impl DerefMut for TestApp {
    fn deref_mut(&mut self) -> &mut Server {
        &mut self.server
    }
}

impl TestApp {
    /// Starts the service on a fresh database of this backend (the test is skipped
    /// when the backend is not available on this machine, outside CI).
    pub async fn spawn(backend: Backend) -> TestApp {
        let db = TestDb::new(backend);
        TestApp::start(db.migrated_store().await, Some(db))
    }

    /// Starts the service on a database URL the test chose (e.g. one that is down).
    pub fn spawn_with_url(url: &DatabaseUrl, options: PoolOptions) -> TestApp {
        TestApp::start(Store::open(url, &options), None)
    }

    /// Starts the service with these webhook settings on a database the test keeps,
    /// so that a second start finds it as a restarted service would.
    pub async fn spawn_on(db: &TestDb, webhooks: rest_svc::webhooks::Settings) -> TestApp {
        TestApp::start_with(db.migrated_store().await, None, Some(webhooks))
    }

    /// As [`TestApp::spawn`], without the webhook deliverer: no work in the background,
    /// for the tests that count what one request costs the store.
    pub async fn spawn_quiet(backend: Backend) -> TestApp {
        let db = TestDb::new(backend);
        TestApp::start_with(db.migrated_store().await, Some(db), None)
    }

    fn start(store: Store, db: Option<TestDb>) -> TestApp {
        TestApp::start_with(store, db, Some(rest_svc::webhooks::Settings::default()))
    }

    /// Starts the service with a TLS port too; its address is put in `bound`.
    pub fn start_with_tls(
        store: Store,
        db: Option<TestDb>,
        tls: runtime::http::TlsListen,
        bound: std::sync::Arc<std::sync::Mutex<Option<std::net::SocketAddr>>>,
    ) -> TestApp {
        let shutdown = CancellationToken::new();
        let webhooks = rest_svc::webhooks::Webhooks::new(rest_svc::webhooks::Settings::default());
        let build = |settings: &runtime::http::ServerSettings| {
            let settings = runtime::http::ServerSettings {
                tls: Some(tls),
                ..settings.clone()
            };
            let app = rest_svc::startup::build(
                &settings,
                BODY_LIMIT,
                webhooks,
                store.clone(),
                shutdown.clone(),
            )?;
            *bound.lock().unwrap() = app.tls_addr();
            Ok(app)
        };
        TestApp {
            server: Server::http(store.clone(), db, shutdown.clone(), build),
            client: test_support::server::http_client(),
        }
    }

    fn start_with(
        store: Store,
        db: Option<TestDb>,
        deliverer: Option<rest_svc::webhooks::Settings>,
    ) -> TestApp {
        let shutdown = CancellationToken::new();
        let webhooks = match deliverer {
            Some(settings) => rest_svc::webhooks::start(settings, store.clone(), shutdown.clone()),
            None => rest_svc::webhooks::Webhooks::new(rest_svc::webhooks::Settings::default()),
        };
        let build = |settings: &_| {
            rest_svc::startup::build(
                settings,
                BODY_LIMIT,
                webhooks.clone(),
                store.clone(),
                shutdown.clone(),
            )
        };
        TestApp {
            server: Server::http(store.clone(), db, shutdown.clone(), build),
            client: test_support::server::http_client(),
        }
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

/// Asserts the status, and returns the JSON body.
pub async fn expect_json(response: reqwest::Response, status: u16) -> Value {
    let actual = response.status().as_u16();
    let text = response.text().await.unwrap();
    assert_eq!(actual, status, "unexpected status, body: {text}");
    serde_json::from_str(&text).unwrap_or_else(|e| panic!("body is not JSON ({e}): {text}"))
}

/// Runs curl with these arguments (on tokio's process API: the server shares the test's
/// thread), asserting it succeeds, and returns what it printed.
pub async fn curl(args: &[&str]) -> String {
    let output = tokio::process::Command::new("curl")
        .args(["-sS", "--max-time", "20"])
        .args(args)
        .output()
        .await
        .expect("run curl");
    assert!(
        output.status.success(),
        "curl {args:?}: {}",
        String::from_utf8_lossy(&output.stderr)
    );
    String::from_utf8(output.stdout).unwrap()
}

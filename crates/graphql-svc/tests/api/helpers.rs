//! Starts graphql-svc the way `main` does, on `127.0.0.1:0`, against a fresh database.

use std::ops::{Deref, DerefMut};

use graphql_svc::limits::Limits;
use model::Store;
use serde_json::{Value, json};
use test_support::server::Server;
use test_support::{Backend, TestDb};
use tokio_util::sync::CancellationToken;

/// The media type of the GraphQL-over-HTTP spec.
pub const GRAPHQL_RESPONSE: &str = "application/graphql-response+json";

/// A running graphql-svc and what a test needs to talk to it.
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
    /// Starts the service with the default limits on a fresh database of this backend.
    pub async fn spawn(backend: Backend) -> TestApp {
        TestApp::spawn_with(backend, Limits::default()).await
    }

    /// Starts the service with these limits.
    pub async fn spawn_with(backend: Backend, limits: Limits) -> TestApp {
        let db = TestDb::new(backend);
        let store = db.migrated_store().await;
        TestApp::start(store, Some(db), limits)
    }

    /// Starts the service on this store, which keeps `db` alive.
    pub fn start(store: Store, db: Option<TestDb>, limits: Limits) -> TestApp {
        let shutdown = CancellationToken::new();
        let build = |settings: &_| {
            graphql_svc::startup::build(settings, limits, store.clone(), shutdown.clone())
        };
        TestApp {
            server: Server::http(store.clone(), db, shutdown.clone(), build),
            client: test_support::server::http_client(),
        }
    }

    /// POSTs `{query, variables}` asking for the spec's media type: status and body.
    pub async fn post(&self, query: &str, variables: Value) -> (u16, Value) {
        let response = self
            .client
            .post(self.url("/api/graphql"))
            .header("accept", GRAPHQL_RESPONSE)
            .json(&json!({"query": query, "variables": variables}))
            .send()
            .await
            .unwrap();
        status_and_json(response).await
    }

    /// Runs an operation that must succeed, and returns its `data`.
    pub async fn data(&self, query: &str, variables: Value) -> Value {
        let (status, body) = self.post(query, variables).await;
        assert_eq!(status, 200, "{body}");
        assert!(body.get("errors").is_none(), "unexpected errors: {body}");
        body["data"].clone()
    }

    /// Creates a Dummy through GraphQL and returns it.
    pub async fn create(&self, day: i32) -> Value {
        self.data(
            "mutation($d: Int!) { createDummy(input: {day: $d, weekday: TUESDAY, month: FEBRUARY, year: 1985}) { id day weekday month year preSeeded createdAt updatedAt } }",
            json!({"d": day}),
        )
        .await["createDummy"]
            .clone()
    }

    /// How many rows the database holds, read through the store, not the API.
    pub async fn count(&self) -> i64 {
        self.store.count().await.unwrap()
    }
}

/// The status and the JSON body of an answer.
pub async fn status_and_json(response: reqwest::Response) -> (u16, Value) {
    let status = response.status().as_u16();
    let text = response.text().await.unwrap();
    let body = serde_json::from_str(&text)
        .unwrap_or_else(|e| panic!("body is not JSON ({e}), status {status}: {text}"));
    (status, body)
}

/// The `extensions.code` of each error of an answer.
pub fn codes(body: &Value) -> Vec<String> {
    body["errors"]
        .as_array()
        .unwrap_or_else(|| panic!("no errors in {body}"))
        .iter()
        .map(|e| e["extensions"]["code"].as_str().unwrap_or("").to_owned())
        .collect()
}

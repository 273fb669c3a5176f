//! Starts rpc-svc the way `main` does, on `127.0.0.1:0`, against a fresh database.

use std::ops::Deref;

use model::{DatabaseUrl, PoolOptions, Store};
use serde_json::{Value, json};
use test_support::server::Server;
use test_support::{Backend, TestDb};
use tokio_util::sync::CancellationToken;

/// The body limit the tests run with (the default).
pub const BODY_LIMIT: usize = 256 * 1024;

/// A running rpc-svc.
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

impl TestApp {
    pub async fn spawn(backend: Backend) -> TestApp {
        let db = TestDb::new(backend);
        TestApp::start(db.migrated_store().await, Some(db))
    }

    /// On SQLite, which every machine has.
    pub async fn sqlite() -> TestApp {
        TestApp::spawn(Backend::Sqlite).await
    }

    pub fn spawn_with_url(url: &DatabaseUrl, options: PoolOptions) -> TestApp {
        TestApp::start(Store::open(url, &options), None)
    }

    fn start(store: Store, db: Option<TestDb>) -> TestApp {
        let build = |settings: &_| rpc_svc::startup::build(settings, BODY_LIMIT, store.clone());
        TestApp {
            server: Server::http(store.clone(), db, CancellationToken::new(), build),
            client: test_support::server::http_client(),
        }
    }

    /// POSTs a raw JSON-RPC body; returns status and body text.
    pub async fn post_json_raw(&self, body: &str) -> (u16, String) {
        let response = self
            .client
            .post(self.url("/api/rpc/json"))
            .header("content-type", "application/json")
            .body(body.to_owned())
            .send()
            .await
            .unwrap();
        (response.status().as_u16(), response.text().await.unwrap())
    }

    /// One JSON-RPC call with id 1; returns the whole response object.
    pub async fn json_call(&self, method: &str, params: Value) -> Value {
        let body = json!({"jsonrpc": "2.0", "method": method, "params": params, "id": 1});
        let (status, text) = self.post_json_raw(&body.to_string()).await;
        assert_eq!(status, 200, "{text}");
        let response: Value = serde_json::from_str(&text).unwrap();
        assert_eq!(response["jsonrpc"], "2.0");
        assert_eq!(response["id"], 1);
        response
    }

    /// The `result` of a JSON-RPC call, asserting it succeeded.
    pub async fn json_ok(&self, method: &str, params: Value) -> Value {
        let response = self.json_call(method, params).await;
        assert!(
            response.get("error").is_none(),
            "{method} failed: {response}"
        );
        response["result"].clone()
    }

    /// The `error` of a JSON-RPC call, asserting it failed.
    pub async fn json_err(&self, method: &str, params: Value) -> Value {
        let response = self.json_call(method, params).await;
        assert!(
            response.get("result").is_none(),
            "{method} should fail: {response}"
        );
        response["error"].clone()
    }

    /// POSTs a raw XML-RPC body; returns status and body text.
    pub async fn post_xml_raw(&self, body: &str) -> (u16, String) {
        let response = self
            .client
            .post(self.url("/api/rpc/xml"))
            .header("content-type", "text/xml")
            .body(body.to_owned())
            .send()
            .await
            .unwrap();
        (response.status().as_u16(), response.text().await.unwrap())
    }

    /// One XML-RPC call with the given `<param>` values (already XML).
    pub async fn xml_call(&self, method: &str, params: &[&str]) -> String {
        let params: String = params
            .iter()
            .map(|p| format!("<param><value>{p}</value></param>"))
            .collect();
        let body = format!(
            "<?xml version=\"1.0\"?><methodCall><methodName>{method}</methodName><params>{params}</params></methodCall>"
        );
        let (status, text) = self.post_xml_raw(&body).await;
        assert_eq!(status, 200, "{text}");
        text
    }

    pub async fn count(&self) -> i64 {
        self.store.count().await.unwrap()
    }
}

/// The fault code in an XML-RPC fault response, if it is one.
pub fn fault_code(xml: &str) -> Option<i64> {
    let fault = xml.split("<fault>").nth(1)?;
    let after_name = fault.split("<name>faultCode</name>").nth(1)?;
    let number = after_name
        .split_once("<i4>")
        .or_else(|| after_name.split_once("<int>"))?
        .1;
    number.split('<').next()?.trim().parse().ok()
}

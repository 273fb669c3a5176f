//! The OpenAPI document matches the routes the server really has.

use reqwest::Method;
use serde_json::{Value, json};

use crate::helpers::{TestApp, expect_json};

const METHODS: [&str; 5] = ["get", "post", "put", "patch", "delete"];

async fn spec(app: &TestApp) -> Value {
    expect_json(
        app.client
            .get(app.url("/api/rest/openapi.json"))
            .send()
            .await
            .unwrap(),
        200,
    )
    .await
}

/// Calls each documented operation with a valid request; the status must be one it documents.
async fn every_documented_operation_is_routed(app: TestApp) {
    let spec = spec(&app).await;
    assert_eq!(spec["openapi"], "3.0.3");
    for (path, item) in spec["paths"].as_object().unwrap() {
        for method in METHODS {
            let Some(operation) = item.get(method) else {
                continue;
            };
            // A fresh record for each call, so DELETE and PUT have something to act on.
            let id = app.create(TestApp::sample()).await["id"].clone();
            let url = app.url(&path.replace("{id}", &id.to_string()));
            let mut request = app.client.request(
                Method::from_bytes(method.to_uppercase().as_bytes()).unwrap(),
                url,
            );
            if operation.get("requestBody").is_some() {
                request = request.json(&TestApp::sample());
            }
            let status = request.send().await.unwrap().status();
            let documented = operation["responses"].as_object().unwrap();
            assert!(
                documented.contains_key(status.as_str()),
                "{method} {path} answered {status}, documented: {:?}",
                documented.keys().collect::<Vec<_>>()
            );
        }
    }
}

/// On every documented path, each method the document leaves out is refused with 405,
/// and each one it lists is not.
async fn every_route_is_documented(app: TestApp) {
    let spec = spec(&app).await;
    let id = app.create(TestApp::sample()).await["id"].clone();
    // A server may close a connection after refusing a request whose body it did not
    // read (405); a fresh connection per probe keeps that from failing the next one.
    let probe = reqwest::Client::builder()
        .pool_max_idle_per_host(0)
        .build()
        .unwrap();
    for (path, item) in spec["paths"].as_object().unwrap() {
        let url = app.url(&path.replace("{id}", &id.to_string()));
        for method in METHODS {
            let status = probe
                .request(
                    Method::from_bytes(method.to_uppercase().as_bytes()).unwrap(),
                    &url,
                )
                .json(&json!({}))
                .send()
                .await
                .unwrap()
                .status();
            let documented = item.get(method).is_some();
            assert_eq!(
                status == 405,
                !documented,
                "{method} {path} answered {status}; documented: {documented}"
            );
        }
    }
}

test_support::tests! {
    backends(crate::helpers::TestApp::spawn):
        every_documented_operation_is_routed,
        every_route_is_documented;
}

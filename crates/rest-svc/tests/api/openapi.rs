//! The OpenAPI document matches the routes the server really has, and is the one in
//! `openapi.golden.json`.

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

/// The served document is the golden one: whatever builds it (today a `json!` literal,
/// tomorrow types and handlers), a change to what clients read is made on purpose, by
/// updating `openapi.golden.json` in the same commit. A mismatch lists each JSON
/// pointer that differs.
async fn the_served_document_is_the_golden_one() {
    let app = TestApp::spawn(test_support::Backend::Sqlite).await;
    let golden: Value = serde_json::from_str(include_str!("openapi.golden.json")).unwrap();
    let served = spec(&app).await;
    let mut differences = Vec::new();
    diff("", &golden, &served, &mut differences);
    assert!(
        differences.is_empty(),
        "the served OpenAPI document differs from openapi.golden.json at:\n{}",
        differences.join("\n")
    );
}

fn a_difference_is_reported_by_its_pointer() {
    let want = json!({"paths": {"/a/{id}": {"get": {"responses": ["200", "404"]}}}, "x": 1});
    let got = json!({"paths": {"/a/{id}": {"get": {"responses": ["200", "410"]}}}, "y": 1});
    let mut out = Vec::new();
    diff("", &want, &got, &mut out);
    assert_eq!(
        out,
        vec![
            "/paths/~1a~1{id}/get/responses/1: \"404\" != \"410\"",
            "/x: missing",
            "/y: not in the golden file"
        ]
    );
}

/// The JSON pointers under `at` where `want` and `got` differ (objects by key, arrays
/// by position).
fn diff(at: &str, want: &Value, got: &Value, out: &mut Vec<String>) {
    match (want, got) {
        (Value::Object(w), Value::Object(g)) => {
            for key in w.keys().chain(g.keys().filter(|k| !w.contains_key(*k))) {
                let pointer = format!("{at}/{}", key.replace('~', "~0").replace('/', "~1"));
                match (w.get(key), g.get(key)) {
                    (Some(w), Some(g)) => diff(&pointer, w, g, out),
                    (Some(_), None) => out.push(format!("{pointer}: missing")),
                    (None, _) => out.push(format!("{pointer}: not in the golden file")),
                }
            }
        }
        (Value::Array(w), Value::Array(g)) if w.len() == g.len() => {
            for (i, (w, g)) in w.iter().zip(g).enumerate() {
                diff(&format!("{at}/{i}"), w, g, out);
            }
        }
        _ if want == got => {}
        _ => out.push(format!("{at}: {want} != {got}")),
    }
}

test_support::tests! {
    sync: a_difference_is_reported_by_its_pointer;
    tokio: the_served_document_is_the_golden_one;
    backends(crate::helpers::TestApp::spawn):
        every_documented_operation_is_routed,
        every_route_is_documented;
}

//! Each limit of `graphql_svc::limits`, tested at its edge: refused with a clear
//! error, nothing run, the server still up.

use std::time::Duration;

use graphql_svc::limits::Limits;
use serde_json::{Value, json};
use test_support::{Backend, TestDb};

use crate::helpers::{GRAPHQL_RESPONSE, TestApp, codes, status_and_json};

async fn post_raw(app: &TestApp, body: Vec<u8>) -> (u16, Value) {
    let response = app
        .client
        .post(app.url("/api/graphql"))
        .header("content-type", "application/json")
        .header("accept", GRAPHQL_RESPONSE)
        .body(body)
        .send()
        .await
        .unwrap();
    status_and_json(response).await
}

/// `{ __schema { types { fields { type { ofType { … } } } } } }`, `depth` levels of `ofType`.
fn deep_query(depth: usize) -> String {
    format!(
        "{{ __schema {{ types {{ fields {{ type {{ {}name{} }} }} }} }} }}",
        "ofType { ".repeat(depth),
        " }".repeat(depth)
    )
}

async fn a_depth_bomb_is_refused() {
    let app = TestApp::spawn(Backend::Sqlite).await;
    let (status, body) = app.post(&deep_query(20), json!({})).await;
    assert_eq!(status, 400, "{body}");
    assert!(
        body["errors"][0]["message"]
            .as_str()
            .unwrap()
            .contains("nested too deep"),
        "{body}"
    );
    // Far deeper, the parser itself stops (its recursion limit), before validation.
    let (status, body) = app.post(&deep_query(5_000), json!({})).await;
    assert_eq!(status, 400, "{body}");
    assert!(body["errors"][0]["message"].is_string(), "{body}");
    // Within the limit, the same shape runs.
    let (status, body) = app.post(&deep_query(3), json!({})).await;
    assert_eq!(status, 200, "{body}");
}

async fn an_alias_bomb_is_refused(app: TestApp) {
    app.create(1).await;
    let bomb: String = (0..1000).map(|i| format!("a{i}: dummiesCount ")).collect();
    let (status, body) = app.post(&format!("{{ {bomb} }}"), json!({})).await;
    assert_eq!(status, 400, "{body}");
    assert_eq!(
        body["errors"][0]["message"],
        "Query has 1000 aliases; at most 50 are allowed."
    );
    let few: String = (0..3).map(|i| format!("a{i}: dummiesCount ")).collect();
    let data = app.data(&format!("{{ {few} }}"), json!({})).await;
    assert_eq!(data, json!({"a0": 1, "a1": 1, "a2": 1}));
}

async fn too_many_fields_are_refused_as_too_complex() {
    let app = TestApp::spawn_with(
        Backend::Sqlite,
        Limits {
            max_complexity: 5,
            ..Limits::default()
        },
    )
    .await;
    let (status, body) = app
        .post(
            "{ dummies { edges { node { id day month year weekday } } } }",
            json!({}),
        )
        .await;
    assert_eq!(status, 400, "{body}");
    assert!(
        body["errors"][0]["message"]
            .as_str()
            .unwrap()
            .contains("too complex"),
        "{body}"
    );
}

/// A 1 MB query is refused by its size, before any of it is parsed: `413`, and the
/// connection is closed (its body was not read).
async fn a_one_megabyte_query_is_refused() {
    let app = TestApp::spawn(Backend::Sqlite).await;
    let huge = json!({"query": format!("{{ dummiesCount }}{}", " ".repeat(1 << 20))});
    let (status, body) = post_raw(&app, serde_json::to_vec(&huge).unwrap()).await;
    assert_eq!(status, 413);
    assert_eq!(codes(&body), ["TOO_LARGE"]);
    assert_eq!(
        app.data("{ dummiesCount }", json!({})).await["dummiesCount"],
        0
    );
    // Over GET, the query string counts (with a smaller limit: an HTTP client refuses
    // URLs of 64 KiB).
    let app = TestApp::spawn_with(
        Backend::Sqlite,
        Limits {
            max_bytes: 1_000,
            ..Limits::default()
        },
    )
    .await;
    let response = app
        .client
        .get(app.url("/api/graphql"))
        .query(&[("query", format!("{{ dummiesCount }}{}", " ".repeat(2_000)))])
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), 414);
    assert_eq!(
        app.data("{ dummiesCount }", json!({})).await["dummiesCount"],
        0
    );
}

/// A batch is answered by an array, one answer per operation, up to the limit; a
/// batch of 10,000 is refused whole, and none of it runs.
async fn batches_are_capped(app: TestApp) {
    let two = json!([
        {"query": "mutation { createDummy(input: {day: 1, weekday: MONDAY, month: MAY, year: 1}) { day } }"},
        {"query": "{ dummiesCount }"},
    ]);
    let (status, body) = post_raw(&app, serde_json::to_vec(&two).unwrap()).await;
    assert_eq!(status, 200, "{body}");
    assert_eq!(
        body,
        json!([{"data": {"createDummy": {"day": 1}}}, {"data": {"dummiesCount": 1}}])
    );
    let create = json!({"query": "mutation { createDummy(input: {day: 1, weekday: MONDAY, month: MAY, year: 1}) { id } }"});
    let many = Value::Array(vec![create; 10_000]);
    let bytes = serde_json::to_vec(&many).unwrap();
    // Under the size limit by design, so that the batch limit is what refuses it.
    let app = if bytes.len() > Limits::default().max_bytes {
        TestApp::spawn_with(
            Backend::Sqlite,
            Limits {
                max_bytes: 4 << 20,
                ..Limits::default()
            },
        )
        .await
    } else {
        app
    };
    let before = app.count().await;
    let (status, body) = post_raw(&app, bytes).await;
    assert_eq!(status, 400, "{body}");
    assert_eq!(codes(&body), ["BATCH_TOO_LONG"]);
    assert_eq!(
        body["errors"][0]["message"],
        "a batch of 10000 operations; at most 10 are allowed"
    );
    assert_eq!(app.count().await, before);
}

/// A request that runs past the time limit is cut off: `504` and `TIMEOUT`. Another
/// connection holds SQLite's write lock, so a create waits for it (up to the 5 s busy
/// timeout), well past a limit of 200 ms.
async fn a_slow_request_is_cut_off() {
    let db = TestDb::new(Backend::Sqlite);
    let store = db.migrated_store().await;
    let _lock = db.hold_sqlite_write_lock();
    let app = TestApp::start(
        store,
        Some(db),
        Limits {
            timeout: Duration::from_millis(200),
            ..Limits::default()
        },
    );
    let (status, body) = app
        .post(
            "mutation { createDummy(input: {day: 1, weekday: MONDAY, month: MAY, year: 1}) { id } }",
            json!({}),
        )
        .await;
    assert_eq!(status, 504, "{body}");
    assert_eq!(codes(&body), ["TIMEOUT"]);
}

async fn introspection_can_be_switched_off() {
    let query = "{ __schema { queryType { name } } }";
    let on = TestApp::spawn(Backend::Sqlite).await;
    assert_eq!(
        on.data(query, json!({})).await,
        json!({"__schema": {"queryType": {"name": "Query"}}})
    );
    let off = TestApp::spawn_with(
        Backend::Sqlite,
        Limits {
            introspection: false,
            ..Limits::default()
        },
    )
    .await;
    // async-graphql answers introspection fields with null when it is off.
    assert_eq!(off.data(query, json!({})).await, json!({"__schema": null}));
}

test_support::tests! {
    tokio:
        a_depth_bomb_is_refused,
        too_many_fields_are_refused_as_too_complex,
        a_one_megabyte_query_is_refused,
        a_slow_request_is_cut_off,
        introspection_can_be_switched_off;
    backends(TestApp::spawn):
        an_alias_bomb_is_refused,
        batches_are_capped;
}

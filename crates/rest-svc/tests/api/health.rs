//! `/healthz`, and what every route answers while the database is unreachable.

use std::time::Duration;

use model::{DatabaseUrl, PoolOptions};
use serde_json::json;

use crate::helpers::{TestApp, expect_json};

async fn healthz_is_ok_when_the_database_answers(app: TestApp) {
    let body = expect_json(
        app.client.get(app.url("/healthz")).send().await.unwrap(),
        200,
    )
    .await;
    assert_eq!(body["status"], "ok");
}

fn unreachable_databases() -> Vec<DatabaseUrl> {
    vec![
        // Nothing listens on port 1.
        DatabaseUrl::parse("postgres://postgres@127.0.0.1:1/protocols").unwrap(),
        // A directory that cannot be created.
        DatabaseUrl::parse("/proc/no-such-dir/db.sqlite3").unwrap(),
    ]
}

async fn every_route_answers_503_with_json_while_the_database_is_down() {
    test_support::init_tracing();
    for url in unreachable_databases() {
        let app = TestApp::spawn_with_url(
            &url,
            PoolOptions {
                max_size: 2,
                connection_timeout: Duration::from_millis(300),
                ..PoolOptions::default()
            },
        );
        let body = expect_json(
            app.client.get(app.url("/healthz")).send().await.unwrap(),
            503,
        )
        .await;
        assert_eq!(body["status"], "unavailable", "{url}");
        let unavailable = json!({"detail": "The database is unavailable; try again shortly."});
        for request in [
            app.client.get(app.url("/api/rest/dummies")),
            app.client.get(app.url("/api/rest/dummie/1")),
            app.client
                .post(app.url("/api/rest/dummie"))
                .json(&TestApp::sample()),
            app.client
                .patch(app.url("/api/rest/dummie/1"))
                .json(&json!({"day": 1})),
            app.client.delete(app.url("/api/rest/dummie/1")),
        ] {
            let response = request.send().await.unwrap();
            assert_eq!(response.headers()["retry-after"], "5");
            assert_eq!(expect_json(response, 503).await, unavailable, "{url}");
        }
    }
}

test_support::tests! {
    tokio: every_route_answers_503_with_json_while_the_database_is_down;
    backends(crate::helpers::TestApp::spawn): healthz_is_ok_when_the_database_answers;
}

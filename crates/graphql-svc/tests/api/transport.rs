//! GraphQL over HTTP: methods, media types and status codes, as the
//! GraphQL-over-HTTP spec gives them.

use serde_json::json;
use test_support::Backend;

use crate::helpers::{GRAPHQL_RESPONSE, TestApp, codes, status_and_json};

async fn a_query_may_be_sent_as_get_and_a_mutation_may_not(app: TestApp) {
    app.create(1).await;
    let response = app
        .client
        .get(app.url("/api/graphql"))
        .query(&[
            ("query", "query Count { dummiesCount }"),
            ("operationName", "Count"),
        ])
        .send()
        .await
        .unwrap();
    assert_eq!(
        response.headers()["content-type"],
        "application/json; charset=utf-8",
        "no Accept: application/json"
    );
    let (status, body) = status_and_json(response).await;
    assert_eq!((status, body), (200, json!({"data": {"dummiesCount": 1}})));

    let response = app
        .client
        .get(app.url("/api/graphql"))
        .query(&[(
            "query",
            "mutation { createDummy(input: {day: 1, weekday: MONDAY, month: MAY, year: 1}) { id } }",
        )])
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), 405);
    assert_eq!(response.headers()["allow"], "POST");
    let (_, body) = status_and_json(response).await;
    assert_eq!(codes(&body), ["METHOD_NOT_ALLOWED"]);
    assert_eq!(app.count().await, 1, "a mutation over GET ran");

    let response = app
        .client
        .get(app.url("/api/graphql"))
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), 400);
}

/// With `application/graphql-response+json` a request error is `400`; with plain
/// `application/json` the same answer is `200`, as the spec says for the older type.
async fn the_status_follows_the_media_type() {
    let app = TestApp::spawn(Backend::Sqlite).await;
    for (accept, status, media) in [
        (
            GRAPHQL_RESPONSE,
            400,
            "application/graphql-response+json; charset=utf-8",
        ),
        ("application/json", 200, "application/json; charset=utf-8"),
        (
            "application/json, application/graphql-response+json;q=0.9",
            400,
            "application/graphql-response+json; charset=utf-8",
        ),
    ] {
        let response = app
            .client
            .post(app.url("/api/graphql"))
            .header("accept", accept)
            .json(&json!({"query": "{ nope }"}))
            .send()
            .await
            .unwrap();
        assert_eq!(response.status(), status, "Accept: {accept}");
        assert_eq!(
            response.headers()["content-type"],
            media,
            "Accept: {accept}"
        );
        let (_, body) = status_and_json(response).await;
        assert!(body.get("data").is_none(), "{body}");
        assert!(
            body["errors"][0]["message"]
                .as_str()
                .unwrap()
                .contains("nope")
        );
    }
    let response = app
        .client
        .post(app.url("/api/graphql"))
        .header("accept", "text/html")
        .json(&json!({"query": "{ dummiesCount }"}))
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), 406);
}

async fn a_body_that_is_not_a_graphql_request_is_refused() {
    let app = TestApp::spawn(Backend::Sqlite).await;
    let cases: [(&str, &str, u16, &str); 4] = [
        (
            "text/plain",
            "{ dummiesCount }",
            415,
            "UNSUPPORTED_MEDIA_TYPE",
        ),
        ("application/json", "{\"query\": ", 400, "BAD_REQUEST"),
        (
            "application/json",
            "{\"variables\": {}}",
            400,
            "BAD_REQUEST",
        ),
        ("application/json", "[1, 2]", 400, "BAD_REQUEST"),
    ];
    for (content_type, body, status, code) in cases {
        let response = app
            .client
            .post(app.url("/api/graphql"))
            .header("content-type", content_type)
            .header("accept", GRAPHQL_RESPONSE)
            .body(body)
            .send()
            .await
            .unwrap();
        let (got, answer) = status_and_json(response).await;
        assert_eq!(got, status, "{content_type} {body}: {answer}");
        assert_eq!(codes(&answer), [code], "{content_type} {body}");
    }
    assert_eq!(
        app.data("{ dummiesCount }", json!({})).await["dummiesCount"],
        0
    );
}

test_support::tests! {
    tokio:
        the_status_follows_the_media_type,
        a_body_that_is_not_a_graphql_request_is_refused;
    backends(TestApp::spawn):
        a_query_may_be_sent_as_get_and_a_mutation_may_not;
}

//! The whole GraphQL request path: the body of `POST /api/graphql`, through
//! `graphql_svc::http::respond` with the service's own schema and limits (serde_json,
//! batching, async-graphql's parser and validation, the alias limit, the resolvers and
//! the SQLite store). Queries, mutations, batches and variables all come from the same
//! bytes.
//!
//! Input layout:
//!
//! ```text
//! byte 0, bit 0   set: the client accepts application/graphql-response+json;
//!                 clear: application/json
//! bytes 1..       the body
//! ```
//!
//! The answer must be a GraphQL response (an object with `data` and/or a non-empty
//! `errors` list whose items have a `message`), or a non-empty array of them for a
//! batch. Its status is one the client caused (200 or 400), or 504 when a request ran
//! past the time limit. No input may produce an `INTERNAL` error: that code means the
//! server failed.

#![no_main]

use std::sync::OnceLock;

use actix_web::http::StatusCode;
use graphql_svc::http::{GraphqlState, Media};
use graphql_svc::limits::Limits;
use libfuzzer_sys::fuzz_target;
use serde_json::Value;

fn state() -> &'static GraphqlState {
    static STATE: OnceLock<GraphqlState> = OnceLock::new();
    STATE.get_or_init(|| {
        let limits = Limits::default();
        GraphqlState {
            schema: graphql_svc::schema::build(protocols_fuzz::backend().store.clone(), &limits),
            limits,
            shutdown: tokio_util::sync::CancellationToken::new(),
        }
    })
}

/// One GraphQL response: `data` and/or errors, each error with a message and never
/// `INTERNAL`.
fn check_response(response: &Value, body: &str) {
    let object = response
        .as_object()
        .unwrap_or_else(|| panic!("a response that is not an object: {body}"));
    for key in object.keys() {
        assert!(
            matches!(key.as_str(), "data" | "errors" | "extensions"),
            "an unexpected key {key:?}: {body}"
        );
    }
    let errors = object.get("errors");
    assert!(
        object.contains_key("data") || errors.is_some(),
        "neither data nor errors: {body}"
    );
    let Some(errors) = errors else {
        return;
    };
    let errors = errors
        .as_array()
        .unwrap_or_else(|| panic!("errors that are not a list: {body}"));
    assert!(!errors.is_empty(), "an empty errors list: {body}");
    for error in errors {
        assert!(
            error.get("message").is_some_and(Value::is_string),
            "an error without a message: {body}"
        );
        let code = error.pointer("/extensions/code").and_then(Value::as_str);
        assert_ne!(code, Some("INTERNAL"), "an internal error on bad input: {body}");
    }
}

fuzz_target!(|data: &[u8]| {
    let Some((&selector, body)) = data.split_first() else {
        return;
    };
    let media = if selector & 1 == 1 {
        Media::GraphqlResponse
    } else {
        Media::Json
    };
    let backend = protocols_fuzz::backend();
    let answer = backend
        .runtime
        .block_on(graphql_svc::http::respond(state(), media, body));
    let text = answer.body.to_string();
    assert!(
        matches!(
            answer.status,
            StatusCode::OK | StatusCode::BAD_REQUEST | StatusCode::GATEWAY_TIMEOUT
        ),
        "status {}: {text}",
        answer.status
    );
    match &answer.body {
        Value::Array(responses) => {
            assert_eq!(answer.status, StatusCode::OK, "a batch answered {text}");
            assert!(!responses.is_empty(), "an empty batch answer: {text}");
            for response in responses {
                check_response(response, &text);
            }
        }
        single => check_response(single, &text),
    }
});

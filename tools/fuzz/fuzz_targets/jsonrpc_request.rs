//! The whole JSON-RPC request path: an HTTP body, as `POST /api/rpc/json` receives it,
//! through `rpc_svc::jsonrpc::respond` with the service's own `io_handler()` (serde_json,
//! the envelope checks, jsonrpc-core's routing, the procedures and the SQLite store).
//! Single calls, batches and notifications all come from the same bytes.
//!
//! The answer must be no body at all (only notifications), or JSON that is one
//! JSON-RPC 2.0 response object or a non-empty array of them.

#![no_main]

use std::sync::OnceLock;

use jsonrpc_core::MetaIoHandler;
use libfuzzer_sys::fuzz_target;
use rpc_svc::error::INTERNAL_ERROR;
use rpc_svc::jsonrpc::{Ctx, io_handler};
use serde_json::Value;

fn handler() -> &'static MetaIoHandler<Ctx> {
    static HANDLER: OnceLock<MetaIoHandler<Ctx>> = OnceLock::new();
    HANDLER.get_or_init(io_handler)
}

/// One response object: `jsonrpc`, an `id`, and exactly one of `result` or `error`.
fn check_response(response: &Value, body: &str) {
    let object = response
        .as_object()
        .unwrap_or_else(|| panic!("a response that is not an object: {body}"));
    assert_eq!(
        object.get("jsonrpc"),
        Some(&Value::from("2.0")),
        "no \"jsonrpc\":\"2.0\": {body}"
    );
    let id = object
        .get("id")
        .unwrap_or_else(|| panic!("a response without an id: {body}"));
    assert!(
        id.is_null() || id.is_string() || id.is_u64(),
        "an id of the wrong type: {body}"
    );
    match (object.get("result"), object.get("error")) {
        (Some(_), None) => {}
        (None, Some(error)) => {
            let code = error
                .get("code")
                .and_then(Value::as_i64)
                .unwrap_or_else(|| panic!("an error without an integer code: {body}"));
            assert!(
                error.get("message").is_some_and(Value::is_string),
                "an error without a message: {body}"
            );
            // -32603 means the server failed, and no input should make it fail.
            assert_ne!(
                code,
                i64::from(INTERNAL_ERROR),
                "an internal error on bad input: {body}"
            );
        }
        _ => panic!("not exactly one of result and error: {body}"),
    }
}

fuzz_target!(|body: &[u8]| {
    let backend = protocols_fuzz::backend();
    let ctx = Ctx {
        store: backend.store.clone(),
    };
    let Some(answer) = backend
        .runtime
        .block_on(rpc_svc::jsonrpc::respond(handler(), body, ctx))
    else {
        return;
    };
    let parsed: Value = serde_json::from_str(&answer)
        .unwrap_or_else(|e| panic!("the answer is not JSON ({e}): {answer}"));
    match &parsed {
        Value::Array(responses) => {
            assert!(!responses.is_empty(), "an empty batch answer: {answer}");
            for response in responses {
                check_response(response, &answer);
            }
        }
        single => check_response(single, &answer),
    }
});

//! The request queue of messaging-svc: a message body from `dummies.rpc`, through
//! `messaging_svc::rpc::answer` with a small size limit (so inputs reach it), over the
//! SQLite store: the size check, the JSON check, then `rpc_svc::jsonrpc::respond` with
//! the procedures.
//!
//! The answer must be: refused exactly when the body is over the limit or not JSON,
//! and then a JSON-RPC error with a null id (`-32600` or `-32700`); otherwise no answer
//! (only notifications) or JSON-RPC 2.0 responses, never `-32603` (internal).

#![no_main]

use libfuzzer_sys::fuzz_target;
use messaging_svc::rpc::{Outcome, Settings, answer};
use serde_json::Value;

/// Small enough for the fuzzer's inputs to cross it.
const MAX_BYTES: usize = 512;

fuzz_target!(|body: &[u8]| {
    let backend = protocols_fuzz::backend();
    let settings = Settings {
        url: String::new(),
        max_bytes: MAX_BYTES,
        prefetch: 1,
    };
    let (outcome, reply) = backend
        .runtime
        .block_on(answer(&settings, &backend.store, body));
    let is_json = serde_json::from_slice::<Value>(body).is_ok();
    let refused = body.len() > MAX_BYTES || !is_json;
    assert_eq!(matches!(outcome, Outcome::Refused(_)), refused, "refused or not: {outcome:?}");
    let Some(reply) = reply else {
        assert!(!refused, "a refused request is answered");
        return;
    };
    let parsed: Value =
        serde_json::from_str(&reply).unwrap_or_else(|e| panic!("the reply is not JSON ({e}): {reply}"));
    let responses = match &parsed {
        Value::Array(items) => {
            assert!(!items.is_empty(), "an empty batch answer: {reply}");
            items.iter().collect()
        }
        single => vec![single],
    };
    for response in responses {
        assert_eq!(response["jsonrpc"], "2.0", "{reply}");
        if let Some(code) = response["error"]["code"].as_i64() {
            assert_ne!(code, -32603, "an internal error on bad input: {reply}");
            if refused {
                assert!(matches!(code, -32600 | -32700), "{reply}");
                assert!(response["id"].is_null(), "{reply}");
            }
        } else {
            assert!(!refused && response.get("result").is_some(), "{reply}");
        }
    }
});

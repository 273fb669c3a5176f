//! The JSON-RPC 2.0 specification's examples (section 7), request for request and
//! response for response, against our envelope handling with the spec's own
//! procedures (`subtract`, `sum`, `get_data`, …) registered in a test-only server.

use std::sync::Arc;
use std::time::Duration;

use actix_web::{HttpResponse, web};
use jsonrpc_core::{MetaIoHandler, Params, Value};
use runtime::http::{HttpApp, ServerSettings};
use serde_json::json;
use tokio_util::sync::CancellationToken;

/// The procedures the spec's examples call.
fn spec_io() -> MetaIoHandler<()> {
    let mut io = MetaIoHandler::default();
    io.add_method("subtract", |params: Params| async move {
        let (a, b) = match params {
            Params::Array(v) if v.len() == 2 => (v[0].as_i64(), v[1].as_i64()),
            Params::Map(m) => (
                m.get("minuend").and_then(Value::as_i64),
                m.get("subtrahend").and_then(Value::as_i64),
            ),
            _ => (None, None),
        };
        match (a, b) {
            (Some(a), Some(b)) => Ok(json!(a - b)),
            _ => Err(jsonrpc_core::Error::invalid_params("two integers")),
        }
    });
    io.add_method("sum", |params: Params| async move {
        let numbers: Vec<i64> = params.parse()?;
        Ok(json!(numbers.iter().sum::<i64>()))
    });
    io.add_method(
        "notify_hello",
        |_params: Params| async move { Ok(json!(null)) },
    );
    io.add_method("get_data", |_params: Params| async move {
        Ok(json!(["hello", 5]))
    });
    io
}

async fn spec_server() -> (String, CancellationToken) {
    let io = Arc::new(spec_io());
    let settings = ServerSettings {
        addr: "127.0.0.1:0".parse().unwrap(),
        workers: 1,
        shutdown_grace: Duration::from_secs(1),
        tls: None,
    };
    let app = HttpApp::build(&settings, move |cfg: &mut web::ServiceConfig| {
        let io = io.clone();
        cfg.route(
            "/",
            web::post().to(move |body: web::Bytes| {
                let io = io.clone();
                async move {
                    match rpc_svc::jsonrpc::respond(&io, &body, ()).await {
                        Some(text) => HttpResponse::Ok()
                            .content_type("application/json")
                            .body(text),
                        None => HttpResponse::NoContent().finish(),
                    }
                }
            }),
        );
    })
    .unwrap();
    let url = format!("http://{}/", app.local_addr());
    let token = CancellationToken::new();
    tokio::spawn(app.run_until_stopped(token.clone()));
    (url, token)
}

async fn every_example_of_the_specification_gets_the_specified_response() {
    let (url, _stop) = spec_server().await;
    let client = reqwest::Client::new();
    // (request body exactly as in the spec, expected response or None for "no response")
    let examples: &[(&str, Option<&str>)] = &[
        (
            r#"{"jsonrpc": "2.0", "method": "subtract", "params": [42, 23], "id": 1}"#,
            Some(r#"{"jsonrpc": "2.0", "result": 19, "id": 1}"#),
        ),
        (
            r#"{"jsonrpc": "2.0", "method": "subtract", "params": [23, 42], "id": 2}"#,
            Some(r#"{"jsonrpc": "2.0", "result": -19, "id": 2}"#),
        ),
        (
            r#"{"jsonrpc": "2.0", "method": "subtract", "params": {"subtrahend": 23, "minuend": 42}, "id": 3}"#,
            Some(r#"{"jsonrpc": "2.0", "result": 19, "id": 3}"#),
        ),
        (
            r#"{"jsonrpc": "2.0", "method": "subtract", "params": {"minuend": 42, "subtrahend": 23}, "id": 4}"#,
            Some(r#"{"jsonrpc": "2.0", "result": 19, "id": 4}"#),
        ),
        (
            r#"{"jsonrpc": "2.0", "method": "update", "params": [1,2,3,4,5]}"#,
            None,
        ),
        (r#"{"jsonrpc": "2.0", "method": "foobar"}"#, None),
        (
            r#"{"jsonrpc": "2.0", "method": "foobar", "id": "1"}"#,
            Some(
                r#"{"jsonrpc": "2.0", "error": {"code": -32601, "message": "Method not found"}, "id": "1"}"#,
            ),
        ),
        (
            r#"{"jsonrpc": "2.0", "method": "foobar, "params": "bar", "baz]"#,
            Some(
                r#"{"jsonrpc": "2.0", "error": {"code": -32700, "message": "Parse error"}, "id": null}"#,
            ),
        ),
        (
            r#"{"jsonrpc": "2.0", "method": 1, "params": "bar"}"#,
            Some(
                r#"{"jsonrpc": "2.0", "error": {"code": -32600, "message": "Invalid Request"}, "id": null}"#,
            ),
        ),
        (
            r#"[
  {"jsonrpc": "2.0", "method": "sum", "params": [1,2,4], "id": "1"},
  {"jsonrpc": "2.0", "method"
]"#,
            Some(
                r#"{"jsonrpc": "2.0", "error": {"code": -32700, "message": "Parse error"}, "id": null}"#,
            ),
        ),
        (
            r#"[]"#,
            Some(
                r#"{"jsonrpc": "2.0", "error": {"code": -32600, "message": "Invalid Request"}, "id": null}"#,
            ),
        ),
        (
            r#"[1]"#,
            Some(
                r#"[{"jsonrpc": "2.0", "error": {"code": -32600, "message": "Invalid Request"}, "id": null}]"#,
            ),
        ),
        (
            r#"[1,2,3]"#,
            Some(
                r#"[
  {"jsonrpc": "2.0", "error": {"code": -32600, "message": "Invalid Request"}, "id": null},
  {"jsonrpc": "2.0", "error": {"code": -32600, "message": "Invalid Request"}, "id": null},
  {"jsonrpc": "2.0", "error": {"code": -32600, "message": "Invalid Request"}, "id": null}
]"#,
            ),
        ),
        (
            r#"[
        {"jsonrpc": "2.0", "method": "sum", "params": [1,2,4], "id": "1"},
        {"jsonrpc": "2.0", "method": "notify_hello", "params": [7]},
        {"jsonrpc": "2.0", "method": "subtract", "params": [42,23], "id": "2"},
        {"foo": "boo"},
        {"jsonrpc": "2.0", "method": "foo.get", "params": {"name": "myself"}, "id": "5"},
        {"jsonrpc": "2.0", "method": "get_data", "id": "9"}
    ]"#,
            Some(
                r#"[
        {"jsonrpc": "2.0", "result": 7, "id": "1"},
        {"jsonrpc": "2.0", "result": 19, "id": "2"},
        {"jsonrpc": "2.0", "error": {"code": -32600, "message": "Invalid Request"}, "id": null},
        {"jsonrpc": "2.0", "error": {"code": -32601, "message": "Method not found"}, "id": "5"},
        {"jsonrpc": "2.0", "result": ["hello", 5], "id": "9"}
    ]"#,
            ),
        ),
        (
            r#"[
        {"jsonrpc": "2.0", "method": "notify_sum", "params": [1,2,4]},
        {"jsonrpc": "2.0", "method": "notify_hello", "params": [7]}
    ]"#,
            None,
        ),
    ];
    for (request, expected) in examples {
        let response = client.post(&url).body(*request).send().await.unwrap();
        let status = response.status().as_u16();
        let text = response.text().await.unwrap();
        match expected {
            None => {
                assert_eq!(status, 204, "{request}");
                assert!(
                    text.is_empty(),
                    "no response expected for {request}, got {text}"
                );
            }
            Some(expected) => {
                assert_eq!(status, 200, "{request}");
                let actual: Value = serde_json::from_str(&text).unwrap();
                let expected: Value = serde_json::from_str(expected).unwrap();
                assert_eq!(actual, expected, "for {request}");
            }
        }
    }
}

test_support::tests! {
    tokio: every_example_of_the_specification_gets_the_specified_response;
}

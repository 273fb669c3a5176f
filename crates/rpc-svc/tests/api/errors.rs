//! Each error code, on each envelope; bad input never changes the database.

use std::time::Duration;

use model::{DatabaseUrl, PoolOptions};
use serde_json::{Value, json};

use crate::helpers::{BODY_LIMIT, TestApp, fault_code};

fn error_code(text: &str) -> i64 {
    let body: Value = serde_json::from_str(text).unwrap_or_else(|e| panic!("{e}: {text}"));
    body["error"]["code"]
        .as_i64()
        .unwrap_or_else(|| panic!("no error in {text}"))
}

async fn protocol_errors_have_the_spec_codes_on_both_envelopes() {
    let app = TestApp::sqlite().await;
    // -32700: not JSON / not XML.
    assert_eq!(
        error_code(
            &app.post_json_raw(r#"{"jsonrpc": "2.0", "method": "add", "#)
                .await
                .1
        ),
        -32700
    );
    assert_eq!(
        fault_code(&app.post_xml_raw("<methodCall><methodName>add").await.1),
        Some(-32700)
    );
    assert_eq!(
        fault_code(&app.post_xml_raw("\u{0}\u{1}binary").await.1),
        Some(-32700)
    );
    // -32600: well-formed, but not a request.
    assert_eq!(
        error_code(
            &app.post_json_raw(r#"{"jsonrpc": "1.0", "method": "add", "id": 1}"#)
                .await
                .1
        ),
        -32600
    );
    assert_eq!(
        error_code(
            &app.post_json_raw(r#"{"jsonrpc": "2.0", "method": "add", "params": 5, "id": 1}"#)
                .await
                .1
        ),
        -32600
    );
    assert_eq!(
        fault_code(
            &app.post_xml_raw("<methodCall><params/></methodCall>")
                .await
                .1
        ),
        Some(-32600)
    );
    assert_eq!(fault_code(&app.post_xml_raw("<methodCall><methodName>add</methodName><params><param><value><foo>1</foo></value></param></params></methodCall>").await.1), Some(-32600));
    // -32601: no such procedure.
    assert_eq!(app.json_err("nope", json!([])).await["code"], -32601);
    assert_eq!(fault_code(&app.xml_call("nope", &[]).await), Some(-32601));
    assert_eq!(
        app.json_err("system.multicall", json!([[]])).await["code"],
        -32601
    );
    // -32602: params that do not fit.
    assert_eq!(app.json_err("add", json!([1])).await["code"], -32602);
    assert_eq!(app.json_err("add", json!([1, "two"])).await["code"], -32602);
    assert_eq!(
        app.json_err("add", json!({"a": 1, "c": 2})).await["code"],
        -32602
    );
    assert_eq!(app.json_err("upper", json!([5])).await["code"], -32602);
    assert_eq!(
        app.json_err("add", json!([i64::MAX, 1])).await["code"],
        -32602
    );
    assert_eq!(
        app.json_err("swap", json!([{"k": [1]}])).await["code"],
        -32602
    );
    assert_eq!(
        app.json_err("dummies.get", json!(["seven"])).await["code"],
        -32602
    );
    assert_eq!(
        fault_code(&app.xml_call("upper", &["<int>1</int>"]).await),
        Some(-32602)
    );
    assert_eq!(
        fault_code(&app.xml_call("add", &["<int>1</int>"]).await),
        Some(-32602)
    );
}

async fn domain_errors_have_positive_codes_and_field_messages() {
    let app = TestApp::sqlite().await;
    let missing = app.json_err("dummies.get", json!([42])).await;
    assert_eq!(missing, json!({"code": 1, "message": "Dummy 42 not found"}));
    assert_eq!(
        fault_code(&app.xml_call("dummies.delete", &["<int>42</int>"]).await),
        Some(1)
    );

    let invalid = app
        .json_err(
            "dummies.create",
            json!([{"day": 32, "weekday": "Mon", "month": "May", "year": "x"}]),
        )
        .await;
    assert_eq!(invalid["code"], 2);
    assert_eq!(
        invalid["data"],
        json!({
            "day": ["Ensure this value is less than or equal to 31."],
            "weekday": ["\"Mon\" is not a valid choice."],
            "year": ["A valid integer is required."],
        })
    );
    let xml = app
        .xml_call(
            "dummies.create",
            &["<struct><member><name>day</name><value><int>0</int></value></member></struct>"],
        )
        .await;
    assert_eq!(fault_code(&xml), Some(2));
    assert!(
        xml.contains("day: Ensure this value is greater than or equal to 1."),
        "{xml}"
    );
    assert_eq!(app.count().await, 0);
}

async fn an_unreachable_database_gives_code_4_on_both_envelopes() {
    let app = TestApp::spawn_with_url(
        &DatabaseUrl::parse("postgres://postgres@127.0.0.1:1/protocols").unwrap(),
        PoolOptions {
            max_size: 1,
            connection_timeout: Duration::from_millis(300),
            ..PoolOptions::default()
        },
    );
    let error = app.json_err("dummies.count", json!([])).await;
    assert_eq!(
        error,
        json!({"code": 4, "message": "The database is unavailable; try again shortly."})
    );
    assert_eq!(
        fault_code(&app.xml_call("dummies.get", &["<int>1</int>"]).await),
        Some(4)
    );
    // Procedures that need no database still work.
    assert_eq!(app.json_ok("add", json!([1, 1])).await, json!(2));
    let health = app.client.get(app.url("/healthz")).send().await.unwrap();
    assert_eq!(health.status(), 503);
}

/// A client that writes the whole body before it reads (Python's urllib, requests)
/// still reads the 413 and its envelope: the server discards the unread body first.
async fn a_client_that_writes_all_16_mb_first_reads_the_413_envelope() {
    let app = TestApp::sqlite().await;
    let size = 16 * 1024 * 1024;
    let (status, text) = test_support::post_whole_body_then_read(
        app.addr,
        "/api/rpc/json",
        "application/json",
        size,
    )
    .await;
    assert_eq!(status, 413, "{text}");
    assert_eq!(error_code(&text), -32600);
    let (status, text) =
        test_support::post_whole_body_then_read(app.addr, "/api/rpc/xml", "text/xml", size).await;
    assert_eq!(status, 413, "{text}");
    assert_eq!(fault_code(&text), Some(-32600));
}

async fn oversized_deep_and_hostile_bodies_are_refused_cleanly() {
    let app = TestApp::sqlite().await;
    let huge = format!(
        r#"{{"jsonrpc":"2.0","method":"upper","params":["{}"],"id":1}}"#,
        "x".repeat(BODY_LIMIT)
    );
    let (status, text) = app.post_json_raw(&huge).await;
    assert_eq!(status, 413);
    assert_eq!(error_code(&text), -32600);
    let (status, text) = app
        .post_xml_raw(&format!(
            "<methodCall>{}</methodCall>",
            "x".repeat(BODY_LIMIT)
        ))
        .await;
    assert_eq!(status, 413);
    assert_eq!(fault_code(&text), Some(-32600));

    // Nesting deeper than the parsers allow: an error, not a stack overflow.
    let nested = format!("{}{}", "[".repeat(5_000), "]".repeat(5_000));
    let deep_json = format!(r#"{{"jsonrpc":"2.0","method":"swap","params":[{nested}],"id":1}}"#);
    assert_eq!(error_code(&app.post_json_raw(&deep_json).await.1), -32700);
    let deep_xml = format!(
        "<methodCall><methodName>swap</methodName><params><param>{}<value><int>1</int></value>{}</param></params></methodCall>",
        "<value><array><data>".repeat(5_000),
        "</data></array></value>".repeat(5_000)
    );
    let code = fault_code(&app.post_xml_raw(&deep_xml).await.1);
    assert!(matches!(code, Some(-32700 | -32600)), "{code:?}");

    // External entities are never expanded.
    let xxe = r#"<?xml version="1.0"?><!DOCTYPE m [<!ENTITY x SYSTEM "file:///etc/passwd">]><methodCall><methodName>upper</methodName><params><param><value><string>&x;</string></value></param></params></methodCall>"#;
    let (status, text) = app.post_xml_raw(xxe).await;
    assert_eq!(status, 200);
    assert!(fault_code(&text).is_some(), "{text}");
    assert!(
        !text.contains("root:"),
        "an external entity was expanded: {text}"
    );

    // Still serving, nothing written.
    assert_eq!(app.json_ok("add", json!([1, 2])).await, json!(3));
    assert_eq!(app.count().await, 0);
}

test_support::tests! {
    tokio:
        protocol_errors_have_the_spec_codes_on_both_envelopes,
        domain_errors_have_positive_codes_and_field_messages,
        an_unreachable_database_gives_code_4_on_both_envelopes,
        oversized_deep_and_hostile_bodies_are_refused_cleanly,
        a_client_that_writes_all_16_mb_first_reads_the_413_envelope;
}

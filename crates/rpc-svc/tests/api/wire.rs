//! Exact bytes on the wire: a raw XML-RPC fault, a raw JSON-RPC batch and notification.

use crate::helpers::TestApp;

async fn an_xml_rpc_fault_is_this_exact_document() {
    let app = TestApp::sqlite().await;
    let (status, body) = app
        .post_xml_raw(
            "<?xml version=\"1.0\"?><methodCall><methodName>no.such</methodName></methodCall>",
        )
        .await;
    assert_eq!(status, 200);
    assert_eq!(
        body,
        "<?xml version=\"1.0\"?>\n<methodResponse><fault><value><struct>\
         <member><name>faultCode</name><value><i4>-32601</i4></value></member>\
         <member><name>faultString</name><value><string>Method not found: no.such</string></value></member>\
         </struct></value></fault></methodResponse>"
    );
}

async fn a_json_rpc_batch_answers_in_order_and_skips_notifications() {
    let app = TestApp::sqlite().await;
    let (status, body) = app
        .post_json_raw(
            r#"[{"jsonrpc":"2.0","method":"add","params":[1,2],"id":1},
                {"jsonrpc":"2.0","method":"upper","params":["quiet"]},
                {"jsonrpc":"2.0","method":"reverse","params":{"msg":"abc"},"id":"b"}]"#,
        )
        .await;
    assert_eq!(status, 200);
    assert_eq!(
        body,
        r#"[{"jsonrpc":"2.0","result":3,"id":1},{"jsonrpc":"2.0","result":"cba","id":"b"}]"#
    );
}

async fn a_notification_runs_and_gets_204_with_no_body() {
    let app = TestApp::sqlite().await;
    let create = r#"{"jsonrpc":"2.0","method":"dummies.create","params":[{"day":1,"weekday":"Monday","month":"May","year":1990}]}"#;
    let response = app
        .client
        .post(app.url("/api/rpc/json"))
        .body(create)
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), 204);
    assert!(response.bytes().await.unwrap().is_empty());
    assert_eq!(app.count().await, 1, "the notification's procedure ran");
}

test_support::tests! {
    tokio:
        an_xml_rpc_fault_is_this_exact_document,
        a_json_rpc_batch_answers_in_order_and_skips_notifications,
        a_notification_runs_and_gets_204_with_no_body;
}

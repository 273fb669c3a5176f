//! Request/reply over the queue `dummies.rpc`: rpc-svc's procedures, their errors, and
//! what the service refuses (answered, then dead-lettered).

use std::time::Duration;

use clients::amqp::RpcClient;
use lapin::options::BasicGetOptions;
use serde_json::json;

use crate::helpers::{TestApp, WAIT};

test_support::tests! {
    backends(TestApp::spawn): procedures_answer_with_the_correlation_id, bad_requests_are_answered_and_dead_lettered, a_client_times_out_when_nobody_serves;
}

async fn procedures_answer_with_the_correlation_id(app: TestApp) {
    let mut rpc = RpcClient::connect(&app.amqp_url).await.unwrap();
    let sum = rpc.call("add", json!([2, 3]), WAIT).await.unwrap();
    assert_eq!(sum["result"], 5, "{sum}");

    let fields = json!({"day": 2, "weekday": "Monday", "month": "June", "year": 2002});
    let made = rpc
        .call("dummies.create", json!({"fields": fields}), WAIT)
        .await
        .unwrap();
    let id = made["result"]["id"]
        .as_i64()
        .unwrap_or_else(|| panic!("{made}"));
    let got = rpc.call("dummies.get", json!([id]), WAIT).await.unwrap();
    assert_eq!(got["result"]["month"], "June");
    assert_eq!(
        app.store.count().await.unwrap(),
        1,
        "the write is in the database"
    );

    let missing = rpc
        .call("dummies.get", json!([id + 100]), WAIT)
        .await
        .unwrap();
    assert_eq!(
        missing["error"]["message"],
        format!("Dummy {} not found", id + 100)
    );
    let unknown = rpc.call("nope", json!([]), WAIT).await.unwrap();
    assert_eq!(unknown["error"]["code"], -32601);
    let invalid = rpc
        .call("dummies.create", json!({"fields": {"day": 40}}), WAIT)
        .await
        .unwrap();
    assert!(invalid["error"]["code"].is_i64(), "{invalid}");
    assert_eq!(
        app.store.count().await.unwrap(),
        1,
        "a refused write changes nothing"
    );
}

async fn bad_requests_are_answered_and_dead_lettered(app: TestApp) {
    let mut rpc = RpcClient::connect(&app.amqp_url).await.unwrap();
    let garbage = rpc.send(b"{not json", WAIT).await.unwrap();
    assert_eq!(garbage["error"]["code"], -32700);
    // Found by the fuzz target amqp_request: JSON in shape, but a key that is not UTF-8.
    let not_utf8 = b"{\"jsonrpc\":\"2.0\",\"m\x8f\":\"add\",\"id\":1}";
    let refused_bytes = rpc.send(not_utf8, WAIT).await.unwrap();
    assert_eq!(refused_bytes["error"]["code"], -32700);
    // And a number no f64 holds.
    let too_big = b"2111111111112650e011110210";
    assert_eq!(
        rpc.send(too_big, WAIT).await.unwrap()["error"]["code"],
        -32700
    );

    let huge = format!(
        r#"{{"jsonrpc":"2.0","method":"echo","params":["{}"],"id":1}}"#,
        "x".repeat(70_000)
    );
    let refused = rpc.send(huge.as_bytes(), WAIT).await.unwrap();
    assert_eq!(refused["error"]["code"], -32600);
    assert!(
        refused["error"]["message"]
            .as_str()
            .unwrap()
            .contains("too large"),
        "{refused}"
    );

    // Both are in the dead-letter queue, as sent, with RabbitMQ's reason.
    let (connection, channel) = channel(&app.amqp_url).await;
    let mut dead = Vec::new();
    for _ in 0..50 {
        match channel
            .basic_get("dummies.dead".into(), BasicGetOptions { no_ack: true })
            .await
            .unwrap()
        {
            Some(message) => dead.push(message.delivery.data.clone()),
            None if dead.len() >= 4 => break,
            None => tokio::time::sleep(Duration::from_millis(100)).await,
        }
    }
    assert_eq!(dead.len(), 4, "four dead letters");
    assert_eq!(dead[0], b"{not json");
    assert_eq!(dead[1], not_utf8);
    assert_eq!(dead[2], too_big);
    assert_eq!(dead[3].len(), huge.len());
    drop(connection);

    // The service still serves.
    let sum = rpc.call("add", json!([1, 1]), WAIT).await.unwrap();
    assert_eq!(sum["result"], 2);
}

async fn a_client_times_out_when_nobody_serves(mut app: TestApp) {
    let mut rpc = RpcClient::connect(&app.amqp_url).await.unwrap();
    assert_eq!(
        rpc.call("add", json!([1, 2]), WAIT).await.unwrap()["result"],
        3
    );
    app.stopped().await.unwrap();
    let error = rpc
        .call("add", json!([1, 2]), Duration::from_millis(500))
        .await
        .unwrap_err();
    assert!(error.contains("no answer within"), "{error}");
}

async fn channel(url: &str) -> (lapin::Connection, lapin::Channel) {
    let connection = lapin::Connection::connect(url, lapin::ConnectionProperties::default())
        .await
        .unwrap();
    let channel = connection.create_channel().await.unwrap();
    (connection, channel)
}

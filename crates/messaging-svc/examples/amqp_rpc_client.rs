//! Request/reply: a JSON-RPC call to messaging-svc over the queue `dummies.rpc`, its
//! answer back on RabbitMQ's direct reply-to, matched by `correlation-id`, with a
//! client-side timeout (the broker has none).
//!
//! ```text
//! cargo run -p messaging-svc --example amqp_rpc_client    (messaging-svc running)
//! ```

use std::time::Duration;

use futures_util::StreamExt;
use lapin::options::{BasicConsumeOptions, BasicPublishOptions};
use lapin::types::FieldTable;
use lapin::{BasicProperties, Connection, ConnectionProperties};
use serde_json::{Value, json};

const TIMEOUT: Duration = Duration::from_secs(5);

#[tokio::main]
async fn main() {
    let url = std::env::var("AMQP_URL")
        .unwrap_or_else(|_| "amqp://guest:guest@127.0.0.1:5672/%2f".into());
    let connection = Connection::connect(&url, ConnectionProperties::default())
        .await
        .unwrap();
    let channel = connection.create_channel().await.unwrap();
    // Direct reply-to: consume the pseudo-queue before publishing with it as reply-to.
    let mut replies = channel
        .basic_consume(
            "amq.rabbitmq.reply-to".into(),
            "".into(),
            BasicConsumeOptions {
                no_ack: true,
                ..Default::default()
            },
            FieldTable::default(),
        )
        .await
        .unwrap();
    for (n, (method, params)) in [
        ("add", json!([2, 3])),
        ("dummies.count", json!([])),
        ("nope", json!([])),
    ]
    .into_iter()
    .enumerate()
    {
        let correlation_id = format!("call-{n}");
        let request = json!({"jsonrpc": "2.0", "method": method, "params": params, "id": n});
        channel
            .basic_publish(
                "".into(),
                "dummies.rpc".into(),
                BasicPublishOptions::default(),
                request.to_string().as_bytes(),
                BasicProperties::default()
                    .with_content_type("application/json".into())
                    .with_reply_to("amq.rabbitmq.reply-to".into())
                    .with_correlation_id(correlation_id.as_str().into()),
            )
            .await
            .unwrap();
        let reply = tokio::time::timeout(TIMEOUT, replies.next())
            .await
            .unwrap_or_else(|_| panic!("no answer within {TIMEOUT:?}: is messaging-svc running?"))
            .unwrap()
            .unwrap();
        assert_eq!(
            reply
                .properties
                .correlation_id()
                .as_ref()
                .map(|id| id.as_str()),
            Some(correlation_id.as_str())
        );
        let answer: Value = serde_json::from_slice(&reply.data).unwrap();
        println!("{request}\n  -> {answer}");
    }
    println!("request/reply: every call answered");
}

//! What every example needs: the broker's address, a connection, and changes to the
//! record made through messaging-svc's request queue (so a running messaging-svc, on
//! the same broker, is all an example needs besides RabbitMQ).

#![allow(dead_code)]

use std::time::Duration;

use futures_util::StreamExt;
use lapin::options::{BasicConsumeOptions, BasicPublishOptions};
use lapin::types::FieldTable;
use lapin::{BasicProperties, Channel, Connection, ConnectionProperties, Consumer};
use serde_json::{Value, json};

/// `AMQP_URL`, or RabbitMQ on this machine.
pub fn amqp_url() -> String {
    std::env::var("AMQP_URL").unwrap_or_else(|_| "amqp://guest:guest@127.0.0.1:5672/%2f".into())
}

/// A connection and a channel on it.
pub async fn connect() -> (Connection, Channel) {
    let connection = Connection::connect(&amqp_url(), ConnectionProperties::default())
        .await
        .expect("connect to RabbitMQ (AMQP_URL)");
    let channel = connection.create_channel().await.expect("open a channel");
    (connection, channel)
}

/// Calls a procedure of messaging-svc over its request queue (see `amqp_rpc_client.rs`).
pub async fn call(method: &str, params: Value) -> Value {
    let (_connection, channel) = connect().await;
    let mut replies: Consumer = channel
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
        .expect("consume direct replies");
    let body = json!({"jsonrpc": "2.0", "method": method, "params": params, "id": 1});
    channel
        .basic_publish(
            "".into(),
            "dummies.rpc".into(),
            BasicPublishOptions::default(),
            body.to_string().as_bytes(),
            BasicProperties::default()
                .with_reply_to("amq.rabbitmq.reply-to".into())
                .with_correlation_id("1".into()),
        )
        .await
        .expect("publish the call");
    let reply = tokio::time::timeout(Duration::from_secs(10), replies.next())
        .await
        .expect("an answer within 10 s: is messaging-svc running on this broker?")
        .expect("a reply")
        .expect("a delivery");
    let answer: Value = serde_json::from_slice(&reply.data).expect("JSON");
    assert!(answer.get("error").is_none(), "{method} failed: {answer}");
    answer["result"].clone()
}

/// Creates a Dummy on `day`; its id.
pub async fn create(day: u8) -> i64 {
    let fields = json!({"day": day, "weekday": "Monday", "month": "June", "year": 2026});
    call("dummies.create", json!({"fields": fields})).await["id"]
        .as_i64()
        .expect("a created Dummy")
}

/// Deletes a Dummy.
pub async fn delete(id: i64) {
    call("dummies.delete", json!([id])).await;
}

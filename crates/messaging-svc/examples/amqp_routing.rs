//! Routing with a direct exchange: a queue gets the messages whose routing key equals
//! its binding key, here one kind of change each.
//!
//! ```text
//! cargo run -p messaging-svc --example amqp_routing    (messaging-svc running)
//! ```

#[path = "common/mod.rs"]
mod common;

use std::time::Duration;

use futures_util::StreamExt;
use lapin::options::{
    BasicConsumeOptions, ExchangeBindOptions, ExchangeDeclareOptions, QueueBindOptions,
    QueueDeclareOptions,
};
use lapin::types::FieldTable;
use lapin::{Consumer, ExchangeKind};

const EXCHANGE: &str = "tutorial.by-kind";

#[tokio::main]
async fn main() {
    let (_connection, channel) = common::connect().await;
    channel
        .exchange_declare(
            EXCHANGE.into(),
            ExchangeKind::Direct,
            ExchangeDeclareOptions::default(),
            FieldTable::default(),
        )
        .await
        .unwrap();
    channel
        .exchange_bind(
            EXCHANGE.into(),
            "dummies".into(),
            "#".into(),
            ExchangeBindOptions::default(),
            FieldTable::default(),
        )
        .await
        .unwrap();
    let mut queues: Vec<(&str, Consumer)> = Vec::new();
    for key in ["dummy.created", "dummy.deleted"] {
        let exclusive = QueueDeclareOptions {
            exclusive: true,
            ..Default::default()
        };
        let queue = channel
            .queue_declare("".into(), exclusive, FieldTable::default())
            .await
            .unwrap();
        channel
            .queue_bind(
                queue.name().clone(),
                EXCHANGE.into(),
                key.into(),
                QueueBindOptions::default(),
                FieldTable::default(),
            )
            .await
            .unwrap();
        let no_ack = BasicConsumeOptions {
            no_ack: true,
            ..Default::default()
        };
        queues.push((
            key,
            channel
                .basic_consume(
                    queue.name().clone(),
                    "".into(),
                    no_ack,
                    FieldTable::default(),
                )
                .await
                .unwrap(),
        ));
    }

    let id = common::create(3).await;
    common::call(
        "dummies.patch",
        serde_json::json!({"id": id, "fields": {"day": 4}}),
    )
    .await;
    common::delete(id).await;
    for (key, consumer) in &mut queues {
        let delivery = tokio::time::timeout(Duration::from_secs(10), consumer.next())
            .await
            .expect("the change of this kind")
            .unwrap()
            .unwrap();
        assert_eq!(delivery.routing_key.as_str(), *key);
        println!("the queue bound to {key} got {key} of dummy {id}");
        let nothing_else = tokio::time::timeout(Duration::from_millis(300), consumer.next()).await;
        assert!(nothing_else.is_err(), "only its kind: not dummy.updated");
    }
    println!("routing: dummy.updated went to no queue");
}

//! Publish/subscribe with a fanout exchange: every queue bound to it gets a copy of
//! every message, whatever its routing key.
//!
//! The service publishes to the topic exchange `dummies`; an exchange-to-exchange
//! binding (a RabbitMQ extension) copies everything into the fanout exchange
//! `tutorial.broadcast`, and two subscribers each get every change.
//!
//! ```text
//! cargo run -p messaging-svc --example amqp_fanout    (messaging-svc running)
//! ```

#[path = "common/mod.rs"]
mod common;

use std::time::Duration;

use futures_util::StreamExt;
use lapin::ExchangeKind;
use lapin::options::{
    BasicConsumeOptions, ExchangeBindOptions, ExchangeDeclareOptions, QueueBindOptions,
    QueueDeclareOptions,
};
use lapin::types::FieldTable;

const EXCHANGE: &str = "tutorial.broadcast";

#[tokio::main]
async fn main() {
    let (_connection, channel) = common::connect().await;
    channel
        .exchange_declare(
            EXCHANGE.into(),
            ExchangeKind::Fanout,
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
    let mut subscribers = Vec::new();
    for name in ["subscriber-1", "subscriber-2"] {
        // A queue of its own: exclusive, named by the broker, gone with the connection.
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
                "".into(),
                QueueBindOptions::default(),
                FieldTable::default(),
            )
            .await
            .unwrap();
        let no_ack = BasicConsumeOptions {
            no_ack: true,
            ..Default::default()
        };
        let consumer = channel
            .basic_consume(
                queue.name().clone(),
                name.into(),
                no_ack,
                FieldTable::default(),
            )
            .await
            .unwrap();
        subscribers.push((name, consumer));
    }

    let id = common::create(2).await;
    common::delete(id).await;
    for (name, consumer) in &mut subscribers {
        for expected in ["dummy.created", "dummy.deleted"] {
            let delivery = tokio::time::timeout(Duration::from_secs(10), consumer.next())
                .await
                .expect("every subscriber gets every change")
                .unwrap()
                .unwrap();
            assert_eq!(delivery.routing_key.as_str(), expected);
            println!("{name} got {expected} of dummy {id}");
        }
    }
    println!("fanout: each subscriber got every change");
}

//! Topics: binding keys with wildcards on the topic exchange `dummies` itself. `*`
//! matches one word, `#` zero or more: `dummy.*` gets every change, `dummy.deleted`
//! only deletions, `#.created` only creations.
//!
//! ```text
//! cargo run -p messaging-svc --example amqp_topics    (messaging-svc running)
//! ```

#[path = "common/mod.rs"]
mod common;

use std::time::Duration;

use futures_util::StreamExt;
use lapin::options::{BasicConsumeOptions, QueueBindOptions, QueueDeclareOptions};
use lapin::types::FieldTable;

#[tokio::main]
async fn main() {
    let (_connection, channel) = common::connect().await;
    let mut queues = Vec::new();
    for (binding, expected) in [
        ("dummy.*", vec!["dummy.created", "dummy.deleted"]),
        ("dummy.deleted", vec!["dummy.deleted"]),
        ("#.created", vec!["dummy.created"]),
    ] {
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
                "dummies".into(),
                binding.into(),
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
                "".into(),
                no_ack,
                FieldTable::default(),
            )
            .await
            .unwrap();
        queues.push((binding, expected, consumer));
    }

    let id = common::create(5).await;
    common::delete(id).await;
    for (binding, expected, consumer) in &mut queues {
        let mut got = Vec::new();
        while let Ok(Some(Ok(delivery))) =
            tokio::time::timeout(Duration::from_secs(2), consumer.next()).await
        {
            got.push(delivery.routing_key.to_string());
        }
        assert_eq!(&got, expected, "binding {binding}");
        println!("binding {binding:<14} got {}", got.join(", "));
    }
    println!("topics: each binding got what its pattern matches");
}

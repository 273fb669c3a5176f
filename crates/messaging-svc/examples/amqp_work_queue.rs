//! A work queue: competing consumers share one durable queue, each taking one message
//! at a time (`basic.qos` prefetch 1) and acknowledging it when done. A worker that
//! dies before its ack has its message handed to another worker: nothing is lost.
//!
//! The work here: every created Dummy (routing key `dummy.created` on the exchange
//! `dummies`), which worker A takes first and dies on, and worker B then does.
//!
//! ```text
//! cargo run -p messaging-svc --example amqp_work_queue    (messaging-svc running)
//! ```

#[path = "common/mod.rs"]
mod common;

use std::time::Duration;

use futures_util::StreamExt;
use lapin::options::{
    BasicAckOptions, BasicConsumeOptions, BasicQosOptions, QueueBindOptions, QueueDeclareOptions,
    QueuePurgeOptions,
};
use lapin::types::FieldTable;

const QUEUE: &str = "tutorial.work";

#[tokio::main]
async fn main() {
    // The queue outlives its consumers (durable), and gets every created Dummy.
    let (_setup, channel) = common::connect().await;
    let durable = QueueDeclareOptions {
        durable: true,
        ..Default::default()
    };
    channel
        .queue_declare(QUEUE.into(), durable, FieldTable::default())
        .await
        .unwrap();
    channel
        .queue_bind(
            QUEUE.into(),
            "dummies".into(),
            "dummy.created".into(),
            QueueBindOptions::default(),
            FieldTable::default(),
        )
        .await
        .unwrap();
    channel
        .queue_purge(QUEUE.into(), QueuePurgeOptions::default())
        .await
        .unwrap();

    // Worker A: takes one task and dies before acknowledging it.
    let (worker_a, channel_a) = common::connect().await;
    channel_a
        .basic_qos(1, BasicQosOptions::default())
        .await
        .unwrap();
    let mut tasks_a = channel_a
        .basic_consume(
            QUEUE.into(),
            "worker-a".into(),
            BasicConsumeOptions::default(),
            FieldTable::default(),
        )
        .await
        .unwrap();
    let id = common::create(1).await;
    let task = tasks_a.next().await.unwrap().unwrap();
    println!(
        "worker A took dummy {id} (redelivered: {}), and dies before its ack",
        task.redelivered
    );
    drop(tasks_a);
    worker_a.close(200, "killed mid-task".into()).await.unwrap();

    // Worker B: gets the same task again, marked redelivered, and finishes it.
    let (_worker_b, channel_b) = common::connect().await;
    channel_b
        .basic_qos(1, BasicQosOptions::default())
        .await
        .unwrap();
    let mut tasks_b = channel_b
        .basic_consume(
            QUEUE.into(),
            "worker-b".into(),
            BasicConsumeOptions::default(),
            FieldTable::default(),
        )
        .await
        .unwrap();
    let again = tokio::time::timeout(Duration::from_secs(10), tasks_b.next())
        .await
        .expect("the task comes back")
        .unwrap()
        .unwrap();
    let body: serde_json::Value = serde_json::from_slice(&again.data).unwrap();
    assert_eq!(body["dummy"]["id"], id);
    assert!(again.redelivered, "the broker marks it redelivered");
    again.ack(BasicAckOptions::default()).await.unwrap();
    println!("worker B took dummy {id} (redelivered: true), did it and acknowledged it");
    println!("work queue: nothing lost");
}

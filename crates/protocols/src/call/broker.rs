//! The brokers of messaging-svc: a procedure called over RabbitMQ's request queue
//! (AMQP), the change events read from a queue bound to the exchange `dummies`, and
//! MQTT topics subscribed on Mosquitto.
//!
//! ```text
//! $ protocols call amqp add 2 3
//! → publish to "" routing key dummies.rpc, reply-to amq.rabbitmq.reply-to, correlation-id call-1
//!   {"jsonrpc":"2.0","method":"add","params":[2,3],"id":1}
//! ← reply correlation-id call-1, app-id messaging-svc, 35 bytes
//!   {"jsonrpc":"2.0","result":5,"id":1}
//! $ protocols call amqp --events 2 'dummy.*'
//! $ protocols call mqtt --events 5 'dummies/#'
//! ```
//!
//! `--host` is an AMQP URL (`amqp://guest:guest@localhost:5672/%2f`, the default) or
//! an MQTT `host:port` (`localhost:1883`, the default); the Compose stack publishes
//! its brokers on 55672 and 51883.

use std::time::Duration;

use anyhow::Context as _;
use futures_util::StreamExt;
use lapin::options::{
    BasicConsumeOptions, BasicPublishOptions, ExchangeDeclareOptions, QueueBindOptions,
    QueueDeclareOptions,
};
use lapin::types::FieldTable;
use lapin::{BasicProperties, Connection, ConnectionProperties, ExchangeKind};
use rumqttc::{AsyncClient, Event, Incoming, MqttOptions, QoS};
use serde_json::{Value, json};

use super::CallArgs;

/// How long a call waits for its reply.
const REPLY_TIMEOUT: Duration = Duration::from_secs(10);

/// `--wire`, `--count` and `-H` are for the request/response protocols: a broker's
/// bytes are for `just capture amqp` and `just capture mqtt`.
fn plain(args: &CallArgs) -> anyhow::Result<()> {
    anyhow::ensure!(
        !args.wire && args.count == 1 && args.headers.is_empty(),
        "--wire, --count and -H are not offered for {:?}: `just capture amqp` or `just capture mqtt` shows its bytes",
        args.protocol
    );
    Ok(())
}

fn amqp_url(args: &CallArgs) -> String {
    match &args.host {
        Some(url) if url.starts_with("amqp://") || url.starts_with("amqps://") => url.clone(),
        Some(host) => format!("amqp://guest:guest@{host}/%2f"),
        None => "amqp://guest:guest@localhost:5672/%2f".to_owned(),
    }
}

async fn channel(args: &CallArgs) -> anyhow::Result<(Connection, lapin::Channel)> {
    let url = amqp_url(args);
    let connection = tokio::time::timeout(
        REPLY_TIMEOUT,
        Connection::connect(&url, ConnectionProperties::default()),
    )
    .await
    .map_err(|_| anyhow::anyhow!("no answer from {url} within {REPLY_TIMEOUT:?}"))?
    .with_context(|| format!("cannot connect to {url}"))?;
    let channel = connection.create_channel().await?;
    Ok((connection, channel))
}

/// A JSON-RPC call over `dummies.rpc`; with `--events`, the changes instead.
///
/// # Errors
/// When the broker can't be reached, nothing answers within 10 s, or the answer is a
/// JSON-RPC error.
pub async fn amqp(args: &CallArgs) -> anyhow::Result<()> {
    plain(args)?;
    if args.events.is_some() {
        return amqp_events(args).await;
    }
    let (method, params) = args
        .target
        .split_first()
        .context("amqp: give a METHOD and its parameters (protocols call amqp add 2 3)")?;
    let params: Vec<Value> = params
        .iter()
        .map(|p| serde_json::from_str(p).unwrap_or_else(|_| Value::String(p.clone())))
        .collect();
    let (_connection, channel) = channel(args).await?;
    let mut replies = channel
        .basic_consume(
            "amq.rabbitmq.reply-to".into(),
            "".into(),
            BasicConsumeOptions {
                no_ack: true,
                ..BasicConsumeOptions::default()
            },
            FieldTable::default(),
        )
        .await?;
    let body = json!({"jsonrpc": "2.0", "method": method, "params": params, "id": 1}).to_string();
    println!(
        "→ publish to \"\" routing key dummies.rpc, reply-to amq.rabbitmq.reply-to, correlation-id call-1\n  {body}"
    );
    channel
        .basic_publish(
            "".into(),
            "dummies.rpc".into(),
            BasicPublishOptions::default(),
            body.as_bytes(),
            BasicProperties::default()
                .with_content_type("application/json".into())
                .with_reply_to("amq.rabbitmq.reply-to".into())
                .with_correlation_id("call-1".into()),
        )
        .await?;
    let reply = tokio::time::timeout(REPLY_TIMEOUT, replies.next())
        .await
        .map_err(|_| {
            anyhow::anyhow!("no reply within {REPLY_TIMEOUT:?}: is messaging-svc running?")
        })?
        .context("the reply consumer ended")??;
    let text = String::from_utf8_lossy(&reply.data);
    println!(
        "← reply correlation-id {}, app-id {}, {} bytes\n  {text}",
        reply
            .properties
            .correlation_id()
            .as_ref()
            .map_or("-", |s| s.as_str()),
        reply
            .properties
            .app_id()
            .as_ref()
            .map_or("-", |s| s.as_str()),
        reply.data.len()
    );
    let answer: Value = serde_json::from_slice(&reply.data).unwrap_or(Value::Null);
    anyhow::ensure!(answer.get("error").is_none(), "the call failed");
    Ok(())
}

/// `--events N [BINDING]`: an exclusive queue bound to `dummies`, printed as it fills.
async fn amqp_events(args: &CallArgs) -> anyhow::Result<()> {
    let binding = args.target.first().map_or("dummy.#", String::as_str);
    let (_connection, channel) = channel(args).await?;
    let durable = ExchangeDeclareOptions {
        durable: true,
        ..ExchangeDeclareOptions::default()
    };
    channel
        .exchange_declare(
            "dummies".into(),
            ExchangeKind::Topic,
            durable,
            FieldTable::default(),
        )
        .await?;
    let exclusive = QueueDeclareOptions {
        exclusive: true,
        ..QueueDeclareOptions::default()
    };
    let queue = channel
        .queue_declare("".into(), exclusive, FieldTable::default())
        .await?;
    channel
        .queue_bind(
            queue.name().clone(),
            "dummies".into(),
            binding.into(),
            QueueBindOptions::default(),
            FieldTable::default(),
        )
        .await?;
    let no_ack = BasicConsumeOptions {
        no_ack: true,
        ..BasicConsumeOptions::default()
    };
    let mut deliveries = channel
        .basic_consume(
            queue.name().clone(),
            "".into(),
            no_ack,
            FieldTable::default(),
        )
        .await?;
    println!("bound {} to exchange dummies with {binding}", queue.name());
    let mut left = args.events.unwrap_or(u32::MAX);
    while left > 0 {
        let Some(delivery) = deliveries.next().await else {
            break;
        };
        let delivery = delivery?;
        println!(
            "← {} ({}, {} bytes)\n  {}",
            delivery.routing_key,
            delivery
                .properties
                .message_id()
                .as_ref()
                .map_or("-", |s| s.as_str()),
            delivery.data.len(),
            String::from_utf8_lossy(&delivery.data)
        );
        left -= 1;
    }
    Ok(())
}

/// `FILTER…`: subscribed at QoS 1, each message printed with its flags.
///
/// # Errors
/// When the broker can't be reached or refuses the subscription.
pub async fn mqtt(args: &CallArgs) -> anyhow::Result<()> {
    plain(args)?;
    let host = args
        .host
        .clone()
        .unwrap_or_else(|| "localhost:1883".to_owned());
    let (name, port) = host
        .rsplit_once(':')
        .with_context(|| format!("mqtt: --host is HOST:PORT, not {host}"))?;
    let filters: Vec<&str> = if args.target.is_empty() {
        vec!["dummies/#"]
    } else {
        args.target.iter().map(String::as_str).collect()
    };
    let mut options = MqttOptions::new(
        format!("protocols-call-{}", std::process::id()),
        name,
        port.parse()?,
    );
    options.set_keep_alive(Duration::from_secs(30));
    let (client, mut events) = AsyncClient::new(options, 16);
    for filter in &filters {
        client.subscribe(*filter, QoS::AtLeastOnce).await?;
    }
    let mut left = args.events.unwrap_or(u32::MAX);
    while left > 0 {
        match events
            .poll()
            .await
            .with_context(|| format!("MQTT connection to {host}"))?
        {
            Event::Incoming(Incoming::SubAck(ack)) => {
                println!("subscribed: {filters:?} ({:?})", ack.return_codes)
            }
            Event::Incoming(Incoming::Publish(publish)) => {
                let payload = if publish.payload.is_empty() {
                    "(empty: a retained state cleared)".to_owned()
                } else {
                    String::from_utf8_lossy(&publish.payload).into_owned()
                };
                println!(
                    "← {} (QoS {}{}, {} bytes)\n  {payload}",
                    publish.topic,
                    publish.qos as u8,
                    if publish.retain { ", retained" } else { "" },
                    publish.payload.len()
                );
                left -= 1;
            }
            _ => {}
        }
    }
    // DISCONNECT is queued; the event loop sends it.
    client.disconnect().await?;
    while let Ok(Ok(event)) = tokio::time::timeout(REPLY_TIMEOUT, events.poll()).await {
        if matches!(event, Event::Outgoing(rumqttc::Outgoing::Disconnect)) {
            break;
        }
    }
    Ok(())
}

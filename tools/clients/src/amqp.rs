//! AMQP 0-9-1 (RabbitMQ) clients for the messaging service: a [`Subscriber`] to its
//! change events and an [`RpcClient`] for its request queue.

use std::time::Duration;

use futures_util::StreamExt;
use lapin::options::{
    BasicAckOptions, BasicConsumeOptions, BasicPublishOptions, QueueBindOptions,
    QueueDeclareOptions,
};
use lapin::types::{AMQPValue, FieldTable};
use lapin::{BasicProperties, Channel, Connection, ConnectionProperties, Consumer};
use serde_json::{Value, json};

pub use messaging_svc::amqp::{EXCHANGE, RPC_QUEUE};
/// RabbitMQ's direct reply-to: a reply queue without declaring one.
pub const DIRECT_REPLY_TO: &str = "amq.rabbitmq.reply-to";

/// One change event, as a consumer reads it.
#[derive(Debug, Clone)]
pub struct Change {
    /// The routing key (`dummy.created`, …).
    pub routing_key: String,
    /// The `seq` of the body: the change's journal number.
    pub seq: i64,
    /// The whole JSON body.
    pub body: Value,
    /// The broker's redelivered flag: this consumer, or another, had it before.
    pub redelivered: bool,
    /// The message's `seq` header.
    pub seq_header: Option<i64>,
    /// The message's properties.
    pub properties: BasicProperties,
}

async fn connect(url: &str) -> Result<(Connection, Channel), String> {
    let connection = tokio::time::timeout(
        Duration::from_secs(5),
        Connection::connect(url, ConnectionProperties::default()),
    )
    .await
    .map_err(|_| "no answer from the broker".to_owned())?
    .map_err(|e| e.to_string())?;
    let channel = connection
        .create_channel()
        .await
        .map_err(|e| e.to_string())?;
    Ok((connection, channel))
}

/// A queue bound to the change exchange, consumed with manual acks.
pub struct Subscriber {
    _connection: Connection,
    /// The channel, for anything else a test wants to do.
    pub channel: Channel,
    consumer: Consumer,
    /// The queue's name (the broker's, for a server-named one).
    pub queue: String,
}

impl Subscriber {
    /// Binds a queue to [`EXCHANGE`] with `binding` (`dummy.#`, `dummy.deleted`, …) and
    /// consumes it. `queue`: a durable queue of that name, which keeps what arrives
    /// while nobody reads it; `None`: an exclusive one the broker names, gone with the
    /// connection.
    ///
    /// # Errors
    /// When the broker can't be reached or refuses a declaration.
    pub async fn bind(url: &str, queue: Option<&str>, binding: &str) -> Result<Subscriber, String> {
        let (connection, channel) = connect(url).await?;
        // Declared as the service declares it: whoever comes first makes it.
        messaging_svc::amqp::declare_exchange(&channel)
            .await
            .map_err(|e| e.to_string())?;
        let options = match queue {
            Some(_) => QueueDeclareOptions {
                durable: true,
                ..QueueDeclareOptions::default()
            },
            None => QueueDeclareOptions {
                exclusive: true,
                auto_delete: true,
                ..QueueDeclareOptions::default()
            },
        };
        let declared = channel
            .queue_declare(queue.unwrap_or("").into(), options, FieldTable::default())
            .await
            .map_err(|e| e.to_string())?;
        let name = declared.name().to_string();
        channel
            .queue_bind(
                name.as_str().into(),
                EXCHANGE.into(),
                binding.into(),
                QueueBindOptions::default(),
                FieldTable::default(),
            )
            .await
            .map_err(|e| e.to_string())?;
        let consumer = channel
            .basic_consume(
                name.as_str().into(),
                "".into(),
                BasicConsumeOptions::default(),
                FieldTable::default(),
            )
            .await
            .map_err(|e| e.to_string())?;
        Ok(Subscriber {
            _connection: connection,
            channel,
            consumer,
            queue: name,
        })
    }

    /// The next change, acknowledged; `None` after `wait` without one.
    ///
    /// # Panics
    /// On a body that is not the service's JSON.
    pub async fn next(&mut self, wait: Duration) -> Option<Change> {
        let delivery = tokio::time::timeout(wait, self.consumer.next())
            .await
            .ok()??
            .ok()?;
        let body: Value = serde_json::from_slice(&delivery.data).expect("a JSON change body");
        let seq_header = delivery
            .properties
            .headers()
            .as_ref()
            .and_then(|h| h.inner().get("seq").cloned())
            .and_then(|v| match v {
                AMQPValue::LongLongInt(n) => Some(n),
                AMQPValue::LongInt(n) => Some(i64::from(n)),
                _ => None,
            });
        let change = Change {
            routing_key: delivery.routing_key.to_string(),
            seq: body["seq"].as_i64().expect("a seq"),
            body,
            redelivered: delivery.redelivered,
            seq_header,
            properties: delivery.properties.clone(),
        };
        delivery.ack(BasicAckOptions::default()).await.ok()?;
        Some(change)
    }
}

/// JSON-RPC 2.0 over the service's request queue, with direct reply-to: one call at a
/// time, each matched to its answer by `correlation-id`.
pub struct RpcClient {
    _connection: Connection,
    channel: Channel,
    replies: Consumer,
    next_id: u64,
}

impl RpcClient {
    /// Connects and starts consuming replies.
    ///
    /// # Errors
    /// When the broker can't be reached.
    pub async fn connect(url: &str) -> Result<RpcClient, String> {
        let (connection, channel) = connect(url).await?;
        let replies = channel
            .basic_consume(
                DIRECT_REPLY_TO.into(),
                "".into(),
                BasicConsumeOptions {
                    no_ack: true,
                    ..BasicConsumeOptions::default()
                },
                FieldTable::default(),
            )
            .await
            .map_err(|e| e.to_string())?;
        Ok(RpcClient {
            _connection: connection,
            channel,
            replies,
            next_id: 0,
        })
    }

    /// Calls `method` with `params` and returns the JSON-RPC response, whole.
    ///
    /// # Errors
    /// When nothing answers within `timeout` (the service is down, or the call is
    /// slow: the broker keeps no deadline), or the transport fails.
    pub async fn call(
        &mut self,
        method: &str,
        params: Value,
        timeout: Duration,
    ) -> Result<Value, String> {
        self.next_id += 1;
        let body =
            json!({"jsonrpc": "2.0", "method": method, "params": params, "id": self.next_id});
        self.send(body.to_string().as_bytes(), timeout).await
    }

    /// Sends any body as a request and waits for the answer (for bad input).
    ///
    /// # Errors
    /// As [`RpcClient::call`].
    pub async fn send(&mut self, body: &[u8], timeout: Duration) -> Result<Value, String> {
        let correlation_id = format!("call-{}-{}", std::process::id(), fastrand::u64(..));
        let properties = BasicProperties::default()
            .with_content_type("application/json".into())
            .with_reply_to(DIRECT_REPLY_TO.into())
            .with_correlation_id(correlation_id.as_str().into());
        self.channel
            .basic_publish(
                "".into(),
                RPC_QUEUE.into(),
                BasicPublishOptions::default(),
                body,
                properties,
            )
            .await
            .map_err(|e| e.to_string())?;
        let answer = async {
            while let Some(delivery) = self.replies.next().await {
                let delivery = delivery.map_err(|e| e.to_string())?;
                let matches = delivery
                    .properties
                    .correlation_id()
                    .as_ref()
                    .is_some_and(|id| id.as_str() == correlation_id);
                // An answer to an earlier call that timed out: not this one.
                if matches {
                    return serde_json::from_slice(&delivery.data).map_err(|e| e.to_string());
                }
            }
            Err("the reply consumer ended".to_owned())
        };
        tokio::time::timeout(timeout, answer)
            .await
            .map_err(|_| format!("no answer within {timeout:?}"))?
    }
}

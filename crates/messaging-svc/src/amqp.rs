//! AMQP 0-9-1 to RabbitMQ: the change events on a topic exchange, and the names both
//! the relay and the request queue declare.
//!
//! ```text
//!                         routing key dummy.created
//! messaging-svc ──publish──► exchange "dummies" (topic, durable) ──bind "dummy.*"──► your queue
//!                                                               └─bind "dummy.deleted"─► another
//! ```
//!
//! On the wire, one publish is three frames on a channel: `basic.publish` (exchange,
//! routing key), a content header (body size and properties: `content-type
//! application/json`, `delivery-mode 2` = persistent, `message-id dummy-event-41`,
//! `type dummy.created`, a `seq` header) and the body. With publisher confirms
//! (`confirm.select`) the broker answers `basic.ack` with the publish's number once
//! the message is routed, and written to disk for a durable queue; only then does the
//! relay move its position.
//!
//! The exchange exists without a queue bound to it: a change published while nobody
//! listens is confirmed and dropped. Bind a durable queue before the changes you want
//! to keep (the tutorial examples in `examples/` show each pattern).

use std::time::Duration;

use lapin::Confirmation;
use lapin::options::{
    BasicPublishOptions, ConfirmSelectOptions, ExchangeDeclareOptions, QueueBindOptions,
    QueueDeclareOptions,
};
use lapin::types::{AMQPValue, FieldTable};
use lapin::{BasicProperties, Channel, Connection, ConnectionProperties, ExchangeKind};
use model::ChangeEvent;

use crate::message;
use crate::relay::{Outlet, Session};

/// The topic exchange the changes go to.
pub const EXCHANGE: &str = "dummies";
/// The queue of procedure calls ([`crate::rpc`]).
pub const RPC_QUEUE: &str = "dummies.rpc";
/// Where rejected requests go: a fanout exchange and its one queue.
pub const DEAD_LETTERS: &str = "dummies.dead";
/// How long a connection attempt may take.
pub const CONNECT_TIMEOUT: Duration = Duration::from_secs(5);
/// How long saying goodbye may take.
pub const CLOSE_TIMEOUT: Duration = Duration::from_secs(2);
/// The heartbeat asked for when the URL names none: a silent broker is noticed within
/// two of them.
const HEARTBEAT_SECS: u16 = 10;
/// How often an idle relay looks at whether its connection is still up.
const LIVENESS_CHECK: Duration = Duration::from_millis(250);
/// `app-id` on everything this service publishes.
pub const APP_ID: &str = "messaging-svc";

/// Opens a connection named `name` (RabbitMQ's management and `rabbitmqctl
/// list_connections` show it).
///
/// # Errors
/// When the broker can't be reached in [`CONNECT_TIMEOUT`] or refuses the login.
pub async fn connect(url: &str, name: &str) -> Result<Connection, String> {
    let properties = ConnectionProperties::default().with_connection_name(name.into());
    let url = if url.contains("heartbeat=") {
        url.to_owned()
    } else {
        let join = if url.contains('?') { '&' } else { '?' };
        format!("{url}{join}heartbeat={HEARTBEAT_SECS}")
    };
    match tokio::time::timeout(CONNECT_TIMEOUT, Connection::connect(&url, properties)).await {
        Ok(Ok(connection)) => Ok(connection),
        Ok(Err(error)) => Err(error.to_string()),
        Err(_) => Err(format!("no answer from the broker in {CONNECT_TIMEOUT:?}")),
    }
}

/// Declares the topic exchange of changes (idempotent: the same name and options
/// every time; consumers declare it the same way).
///
/// # Errors
/// When the broker refuses (the name already declared with other options).
pub async fn declare_exchange(channel: &Channel) -> lapin::Result<()> {
    let durable = ExchangeDeclareOptions {
        durable: true,
        ..ExchangeDeclareOptions::default()
    };
    channel
        .exchange_declare(
            EXCHANGE.into(),
            ExchangeKind::Topic,
            durable,
            FieldTable::default(),
        )
        .await
}

/// Declares the request queue and its dead letters (idempotent).
///
/// # Errors
/// When the broker refuses one (a name already declared with other options).
pub async fn declare_requests(channel: &Channel) -> lapin::Result<()> {
    let durable = ExchangeDeclareOptions {
        durable: true,
        ..ExchangeDeclareOptions::default()
    };
    channel
        .exchange_declare(
            DEAD_LETTERS.into(),
            ExchangeKind::Fanout,
            durable,
            FieldTable::default(),
        )
        .await?;
    let durable_queue = QueueDeclareOptions {
        durable: true,
        ..QueueDeclareOptions::default()
    };
    channel
        .queue_declare(DEAD_LETTERS.into(), durable_queue, FieldTable::default())
        .await?;
    channel
        .queue_bind(
            DEAD_LETTERS.into(),
            DEAD_LETTERS.into(),
            "".into(),
            QueueBindOptions::default(),
            FieldTable::default(),
        )
        .await?;
    let mut arguments = FieldTable::default();
    arguments.insert(
        "x-dead-letter-exchange".into(),
        AMQPValue::LongString(DEAD_LETTERS.into()),
    );
    channel
        .queue_declare(RPC_QUEUE.into(), durable_queue, arguments)
        .await?;
    Ok(())
}

/// The properties of a change message.
pub fn properties(event: &ChangeEvent) -> BasicProperties {
    let mut headers = FieldTable::default();
    headers.insert("seq".into(), AMQPValue::LongLongInt(event.seq));
    BasicProperties::default()
        .with_content_type("application/json".into())
        .with_delivery_mode(2)
        .with_message_id(format!("dummy-event-{}", event.seq).into())
        .with_type(message::event_type(event).into())
        .with_app_id(APP_ID.into())
        .with_timestamp(chrono::Utc::now().timestamp().unsigned_abs())
        .with_headers(headers)
}

/// The relay's broker: a connection with one confirming channel per session.
pub struct AmqpOutlet {
    /// The broker's URL.
    pub url: String,
}

/// One connection of the AMQP relay.
pub struct AmqpSession {
    connection: Connection,
    channel: Channel,
}

impl Outlet for AmqpOutlet {
    type Session = AmqpSession;

    async fn connect(&mut self) -> Result<AmqpSession, String> {
        let connection = connect(&self.url, "messaging-svc relay").await?;
        let channel = connection
            .create_channel()
            .await
            .map_err(|e| e.to_string())?;
        declare_exchange(&channel)
            .await
            .map_err(|e| e.to_string())?;
        channel
            .confirm_select(ConfirmSelectOptions::default())
            .await
            .map_err(|e| e.to_string())?;
        Ok(AmqpSession {
            connection,
            channel,
        })
    }
}

impl Session for AmqpSession {
    async fn publish(&mut self, events: &[ChangeEvent]) -> Result<(), String> {
        let mut confirms = Vec::with_capacity(events.len());
        for event in events {
            let confirm = self
                .channel
                .basic_publish(
                    EXCHANGE.into(),
                    message::event_type(event).into(),
                    BasicPublishOptions::default(),
                    &message::body(event),
                    properties(event),
                )
                .await
                .map_err(|e| e.to_string())?;
            confirms.push((event.seq, confirm));
        }
        for (seq, confirm) in confirms {
            match confirm.await.map_err(|e| e.to_string())? {
                Confirmation::Ack(_) => {}
                Confirmation::Nack(_) => return Err(format!("the broker refused change {seq}")),
                Confirmation::NotRequested => {
                    return Err("publisher confirms are off on this channel".to_owned());
                }
            }
        }
        Ok(())
    }

    async fn closed(&mut self) -> String {
        // lapin's own I/O loop notices a lost connection; its status says so.
        while self.connection.status().connected() && self.channel.status().connected() {
            tokio::time::sleep(LIVENESS_CHECK).await;
        }
        "the connection to the broker was lost".to_owned()
    }

    async fn close(self) {
        let closing = self.connection.close(200, "shutting down".into());
        let _ = tokio::time::timeout(CLOSE_TIMEOUT, closing).await;
    }
}

//! Request/reply over AMQP: the procedures of rpc-svc (`add`, `dummies.get`, …), called
//! through the queue `dummies.rpc`.
//!
//! ```text
//! client ──publish to "" (the default exchange), routing key dummies.rpc──► queue dummies.rpc ──► messaging-svc
//!          reply-to: amq.rabbitmq.reply-to (or a queue of the client's)
//!          correlation-id: 7f3a…
//!          body: {"jsonrpc":"2.0","method":"add","params":[2,3],"id":1}
//!
//! messaging-svc ──publish to "", routing key = the request's reply-to──► client
//!          correlation-id: 7f3a…   (the client matches the answer to its call by it)
//!          body: {"jsonrpc":"2.0","result":5,"id":1}
//! ```
//!
//! The body is a JSON-RPC 2.0 request, a notification or a batch, answered exactly as
//! `POST /api/rpc/json` answers it (`rpc_svc::jsonrpc::respond`): the envelope is the
//! same, only the transport differs. A notification, or a request without `reply-to`,
//! gets no answer. The client sets its own timeout: the broker keeps no deadline.
//!
//! **Refused requests.** A body larger than `MESSAGING_MAX_BYTES`, or one that is not
//! JSON, is answered with a JSON-RPC error (when there is a `reply-to`), then rejected
//! without requeueing: RabbitMQ moves it to the dead-letter exchange `dummies.dead`, into
//! the queue of the same name, where an operator can read what was sent. It is
//! logged, and never stops the service.
//!
//! **Acknowledged after the answer.** The service takes up to `AMQP_PREFETCH` requests
//! at once (`basic.qos`) and acknowledges each only after publishing its reply. A
//! service that dies mid-call leaves the request unacknowledged, and the broker hands
//! it to the next consumer: a call may run twice, so writes over this queue are at
//! least once.

use std::sync::LazyLock;

use futures_util::StreamExt;
use jsonrpc_core::MetaIoHandler;
use lapin::message::Delivery;
use lapin::options::{
    BasicAckOptions, BasicConsumeOptions, BasicPublishOptions, BasicQosOptions, BasicRejectOptions,
};
use lapin::types::FieldTable;
use lapin::{BasicProperties, Channel};
use model::Store;
use rpc_svc::jsonrpc::{self, Ctx};
use tokio_util::sync::CancellationToken;

use crate::amqp;
use crate::relay::{BACKOFF_MAX, BACKOFF_MIN, Link};

/// The method table, built once.
static IO: LazyLock<MetaIoHandler<Ctx>> = LazyLock::new(jsonrpc::io_handler);

/// The request server's settings.
#[derive(Debug, Clone)]
pub struct Settings {
    /// The broker's URL.
    pub url: String,
    /// The largest request body, in bytes.
    pub max_bytes: usize,
    /// Requests taken at once.
    pub prefetch: u16,
}

/// What became of one request.
#[derive(Debug, PartialEq, Eq)]
pub enum Outcome {
    /// Answered (or a notification), and acknowledged.
    Done,
    /// Refused: answered with an error, and dead-lettered.
    Refused(&'static str),
}

/// Serves the request queue until `shutdown`, reconnecting with backoff.
pub async fn serve(settings: Settings, store: Store, link: Link, shutdown: CancellationToken) {
    let mut backoff = BACKOFF_MIN;
    let mut outage_logged = false;
    loop {
        match session(&settings, &store, &link, &shutdown).await {
            Ok(()) => return,
            Err(error) => {
                if link.is_up() {
                    backoff = BACKOFF_MIN;
                    outage_logged = false;
                }
                if outage_logged {
                    tracing::debug!(%error, "request queue: broker still unreachable");
                } else {
                    tracing::warn!(%error, "request queue: cannot serve; reconnecting with backoff");
                    outage_logged = true;
                }
            }
        }
        link_down(&link);
        tokio::select! {
            () = tokio::time::sleep(backoff) => {}
            () = shutdown.cancelled() => return,
        }
        backoff = (backoff * 2).min(BACKOFF_MAX);
    }
}

fn link_down(link: &Link) {
    link.set_up(false);
}

/// One connection's worth of serving; `Ok` on shutdown.
async fn session(
    settings: &Settings,
    store: &Store,
    link: &Link,
    shutdown: &CancellationToken,
) -> Result<(), String> {
    let connection = amqp::connect(&settings.url, "messaging-svc requests").await?;
    let channel = connection
        .create_channel()
        .await
        .map_err(|e| e.to_string())?;
    amqp::declare_requests(&channel)
        .await
        .map_err(|e| e.to_string())?;
    channel
        .basic_qos(settings.prefetch.max(1), BasicQosOptions::default())
        .await
        .map_err(|e| e.to_string())?;
    let consumer = channel
        .basic_consume(
            amqp::RPC_QUEUE.into(),
            "messaging-svc".into(),
            BasicConsumeOptions::default(),
            FieldTable::default(),
        )
        .await
        .map_err(|e| e.to_string())?;
    link.set_up(true);
    tracing::info!(queue = amqp::RPC_QUEUE, "serving procedure calls");
    let served = consumer.for_each_concurrent(usize::from(settings.prefetch.max(1)), |delivery| {
        let channel = channel.clone();
        async move {
            match delivery {
                Ok(delivery) => handle(settings, store, &channel, delivery).await,
                Err(error) => tracing::debug!(%error, "request queue: consumer error"),
            }
        }
    });
    tokio::select! {
        () = served => Err("the broker ended the consumer".to_owned()),
        () = shutdown.cancelled() => {
            let closing = connection.close(200, "shutting down".into());
            let _ = tokio::time::timeout(amqp::CLOSE_TIMEOUT, closing).await;
            Ok(())
        }
    }
}

async fn handle(settings: &Settings, store: &Store, channel: &Channel, delivery: Delivery) {
    let reply_to = delivery.properties.reply_to().clone();
    let correlation_id = delivery.properties.correlation_id().clone();
    let (outcome, answer) = answer(settings, store, &delivery.data).await;
    if let (Some(reply_to), Some(body)) = (reply_to, answer) {
        let mut properties = BasicProperties::default()
            .with_content_type("application/json".into())
            .with_app_id(amqp::APP_ID.into());
        if let Some(id) = correlation_id {
            properties = properties.with_correlation_id(id);
        }
        let published = channel
            .basic_publish(
                "".into(),
                reply_to,
                BasicPublishOptions::default(),
                body.as_bytes(),
                properties,
            )
            .await;
        if let Err(error) = published {
            // Not acknowledged: the broker hands the request out again.
            tracing::warn!(%error, "request queue: cannot publish a reply");
            return;
        }
    }
    let settled = match outcome {
        Outcome::Done => delivery.ack(BasicAckOptions::default()).await,
        Outcome::Refused(why) => {
            tracing::warn!(
                why,
                bytes = delivery.data.len(),
                "request queue: refused a request; dead-lettered to {}",
                amqp::DEAD_LETTERS
            );
            delivery.reject(BasicRejectOptions { requeue: false }).await
        }
    };
    if let Err(error) = settled {
        tracing::debug!(%error, "request queue: cannot settle a delivery");
    }
}

/// The answer to one request body (`None`: nothing is owed, only notifications), and
/// whether the request is refused. The fuzz target `amqp_request` calls it.
pub async fn answer(settings: &Settings, store: &Store, body: &[u8]) -> (Outcome, Option<String>) {
    if body.len() > settings.max_bytes {
        let message = format!(
            "Request too large: {} bytes; the limit is {}",
            body.len(),
            settings.max_bytes
        );
        return (
            Outcome::Refused("too large"),
            Some(error_response(-32600, &message)),
        );
    }
    // Read as the JSON-RPC layer will read it: skipping the value instead
    // (`IgnoredAny`) would pass strings that are not UTF-8 and numbers out of range.
    if serde_json::from_slice::<serde_json::Value>(body).is_err() {
        return (
            Outcome::Refused("not JSON"),
            Some(error_response(-32700, "Parse error")),
        );
    }
    let ctx = Ctx {
        store: store.clone(),
    };
    (Outcome::Done, jsonrpc::respond(&IO, body, ctx).await)
}

/// A JSON-RPC error response with a null id (the request's id could not be read).
fn error_response(code: i64, message: &str) -> String {
    serde_json::json!({"jsonrpc": "2.0", "error": {"code": code, "message": message}, "id": null})
        .to_string()
}

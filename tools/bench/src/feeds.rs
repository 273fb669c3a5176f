//! Push latency: how long after a write's acknowledgement its event reaches a
//! subscriber, on each of the live feeds of the same change feed: the WebSocket feed
//! (`/api/ws/dummies/`), gRPC's `WatchDummies`, GraphQL's `dummyChanged` subscription
//! (over `graphql-transport-ws`), Server-Sent Events (`/api/sse/dummies`), a
//! webhook: rest-svc POSTs each change to a receiver the bench runs on 127.0.0.1, and
//! the brokers messaging-svc publishes to: a queue bound to RabbitMQ's exchange
//! `dummies` (`dummy.created`), and an MQTT subscription to `dummies/+/created` on
//! Mosquitto. The brokers' figures include the relay's wait for the broker's
//! confirmation before its next batch, and the hop through the broker.
//!
//! One subscriber per feed, all open at once; one writer creates rows over REST, one
//! at a time, waiting for each row's event on every feed before the next write. For
//! each write and feed the figure is *event time − acknowledgement time*, both read
//! on the bench's clock. It can be negative: the feed may deliver the event before
//! the writer has read the response that acknowledges the write. The three feeds see
//! the same writes, so their figures sit side by side; the write's own round trip
//! (REST create) is the yardstick printed beside them.

use std::net::{SocketAddr, ToSocketAddrs};
use std::time::{Duration, Instant};

use futures_util::StreamExt;
use grpc_pb::dummy::WatchDummiesRequest;
use grpc_pb::dummy::dummy_service_client::DummyServiceClient;
use serde_json::{Value, json};
use tokio::sync::mpsc;

use crate::clients::Targets;

/// One feed's figures.
#[derive(Debug, Clone, serde::Serialize)]
pub struct FeedLatency {
    /// "WebSocket feed", "gRPC WatchDummies", "GraphQL subscription".
    pub feed: String,
    /// Events received for the measured writes.
    pub events: usize,
    /// Median of event time − acknowledgement time, in microseconds.
    pub p50_us: i64,
    /// 99th percentile of the same.
    pub p99_us: i64,
    /// Median round trip of the write itself (REST create), in microseconds.
    pub write_p50_us: i64,
}

/// The subscription GraphQL's subscriber sends.
const SUBSCRIPTION: &str =
    "subscription { dummyChanged(kinds: [CREATED]) { ... on DummyChanged { dummy { id } } } }";

/// How long one event may take before the run counts as failed.
const EVENT_LIMIT: Duration = Duration::from_secs(10);

/// Ids of created rows, with when each feed delivered them.
type Arrivals = mpsc::UnboundedReceiver<(i64, Instant)>;

/// Subscribes to every feed `targets` has, then makes `writes` measured writes.
///
/// # Errors
/// When a subscription cannot be opened, a write fails, or an event does not come.
pub async fn measure(targets: &Targets, writes: usize) -> anyhow::Result<Vec<FeedLatency>> {
    let mut feeds: Vec<(&str, Arrivals)> = vec![
        ("WebSocket feed", websocket(&targets.ws).await?),
        ("gRPC WatchDummies", grpc(&targets.grpc).await?),
        ("Server-Sent Events", sse(&targets.rest).await?),
        ("Webhook", webhook(&targets.rest).await?),
    ];
    if let Some(graphql) = &targets.graphql {
        feeds.push(("GraphQL subscription", graphql_subscription(graphql).await?));
    }
    if let Some(url) = &targets.amqp {
        feeds.push(("AMQP queue (RabbitMQ)", amqp(url).await?));
    }
    if let Some(addr) = &targets.mqtt {
        feeds.push(("MQTT subscription (Mosquitto)", mqtt(addr).await?));
    }
    let writer = clients::Client::new(clients::Proto::Rest, socket_addr(&targets.rest)?);
    // A subscription goes live some time after it is accepted (on PostgreSQL, once its
    // LISTEN is in place): write until every feed has delivered one event.
    let ready = Instant::now();
    loop {
        let id = create(&writer).await?.0;
        let mut all = true;
        for (_, arrivals) in &mut feeds {
            all &= wait_for(arrivals, id, Duration::from_millis(500))
                .await
                .is_ok();
        }
        if all {
            break;
        }
        anyhow::ensure!(
            ready.elapsed() < EVENT_LIMIT,
            "the feeds did not all deliver an event within {EVENT_LIMIT:?}"
        );
    }
    let mut write_us = Vec::with_capacity(writes);
    let mut latencies: Vec<Vec<i64>> = vec![Vec::with_capacity(writes); feeds.len()];
    for _ in 0..writes {
        let (id, sent, acked) = create(&writer).await?;
        write_us.push(micros(acked - sent));
        for ((name, arrivals), latency) in feeds.iter_mut().zip(&mut latencies) {
            let at = wait_for(arrivals, id, EVENT_LIMIT)
                .await
                .map_err(|e| anyhow::anyhow!("{name}: {e}"))?;
            latency.push(signed_micros(at, acked));
        }
    }
    let write_p50_us = percentile(&mut write_us, 0.5);
    Ok(feeds
        .iter()
        .zip(latencies)
        .map(|((name, _), mut latency)| FeedLatency {
            feed: (*name).to_owned(),
            events: latency.len(),
            p50_us: percentile(&mut latency, 0.5),
            p99_us: percentile(&mut latency, 0.99),
            write_p50_us,
        })
        .collect())
}

/// One REST create: the new id, when it was sent and when it was acknowledged.
async fn create(writer: &clients::Client) -> anyhow::Result<(i64, Instant, Instant)> {
    let sent = Instant::now();
    let (id, _) = writer.create(clients::Fields::random(2026)).await?;
    Ok((id, sent, Instant::now()))
}

/// Waits for `id` on a feed, skipping older events; when it came.
async fn wait_for(arrivals: &mut Arrivals, id: i64, limit: Duration) -> anyhow::Result<Instant> {
    let deadline = tokio::time::Instant::now() + limit;
    loop {
        match tokio::time::timeout_at(deadline, arrivals.recv()).await {
            Ok(Some((got, at))) if got == id => return Ok(at),
            Ok(Some(_)) => {}
            Ok(None) => anyhow::bail!("the subscription ended"),
            Err(_) => anyhow::bail!("no event for row {id} within {limit:?}"),
        }
    }
}

/// The WebSocket feed: `{"event":"created","dummy":{"id":…}}` frames.
async fn websocket(addr: &str) -> anyhow::Result<Arrivals> {
    let mut socket = clients::ws::connect(&format!("ws://{addr}/api/ws/dummies/")).await?;
    let (tx, rx) = mpsc::unbounded_channel();
    tokio::spawn(async move {
        while let Ok(event) = clients::ws::next_json(&mut socket).await {
            let at = Instant::now();
            if let Some(id) = event.pointer("/dummy/id").and_then(Value::as_i64)
                && tx.send((id, at)).is_err()
            {
                return;
            }
        }
    });
    Ok(rx)
}

/// Server-Sent Events: `event: created` blocks whose `data` is the row.
async fn sse(addr: &str) -> anyhow::Result<Arrivals> {
    let http = reqwest::Client::new();
    let url = format!("http://{addr}/api/sse/dummies?kinds=created");
    let mut stream = clients::sse::connect(&http, &url, None)
        .await
        .map_err(anyhow::Error::msg)?;
    let (tx, rx) = mpsc::unbounded_channel();
    tokio::spawn(async move {
        loop {
            // `next` gives up after a quiet while; the stream itself goes on.
            let event = match stream.next().await {
                Ok(Some(event)) => event,
                Err(quiet) if quiet.starts_with("nothing within") => continue,
                Ok(None) | Err(_) => return,
            };
            let at = Instant::now();
            let id = serde_json::from_str::<Value>(&event.data)
                .ok()
                .and_then(|row| row["id"].as_i64());
            if let Some(id) = id
                && tx.send((id, at)).is_err()
            {
                return;
            }
        }
    });
    Ok(rx)
}

/// A webhook subscription for creates, to a receiver of the bench's own (actix-web on
/// 127.0.0.1), which answers 204 to each delivery.
async fn webhook(addr: &str) -> anyhow::Result<Arrivals> {
    use actix_web::{App, HttpResponse, HttpServer, web};
    let (tx, rx) = mpsc::unbounded_channel();
    let server = HttpServer::new(move || {
        let tx = tx.clone();
        App::new().default_service(web::to(move |body: web::Bytes| {
            let at = Instant::now();
            let id = serde_json::from_slice::<Value>(&body)
                .ok()
                .and_then(|b| b.pointer("/data/dummy/id").and_then(Value::as_i64));
            if let Some(id) = id {
                let _ = tx.send((id, at));
            }
            async { HttpResponse::NoContent().finish() }
        }))
    })
    .workers(1)
    .disable_signals()
    .bind("127.0.0.1:0")?;
    let receiver = server.addrs()[0];
    tokio::spawn(server.run());
    clients::webhooks::subscribe(
        &reqwest::Client::new(),
        &format!("http://{addr}"),
        &format!("http://{receiver}/hook"),
        &["created"],
    )
    .await
    .map_err(anyhow::Error::msg)?;
    Ok(rx)
}

/// gRPC `WatchDummies`: a server stream of `DummyEvent`s.
async fn grpc(addr: &str) -> anyhow::Result<Arrivals> {
    let mut stream = DummyServiceClient::connect(format!("http://{addr}"))
        .await?
        .watch_dummies(WatchDummiesRequest::default())
        .await?
        .into_inner();
    let (tx, rx) = mpsc::unbounded_channel();
    tokio::spawn(async move {
        while let Some(Ok(event)) = stream.next().await {
            let at = Instant::now();
            if let Some(dummy) = event.dummy
                && tx.send((dummy.id, at)).is_err()
            {
                return;
            }
        }
    });
    Ok(rx)
}

/// GraphQL `dummyChanged`, creates only.
async fn graphql_subscription(addr: &str) -> anyhow::Result<Arrivals> {
    let url = format!("ws://{addr}/api/graphql");
    let mut socket = clients::graphql::subscribe(&url, SUBSCRIPTION, &json!({}))
        .await
        .map_err(anyhow::Error::msg)?;
    let (tx, rx) = mpsc::unbounded_channel();
    tokio::spawn(async move {
        while let Ok(data) = clients::graphql::next_event(&mut socket).await {
            let at = Instant::now();
            let id = data
                .pointer("/dummyChanged/dummy/id")
                .and_then(Value::as_str)
                .and_then(|id| id.parse().ok());
            if let Some(id) = id
                && tx.send((id, at)).is_err()
            {
                return;
            }
        }
    });
    Ok(rx)
}

/// An exclusive queue bound to `dummy.created` on the exchange `dummies`.
async fn amqp(url: &str) -> anyhow::Result<Arrivals> {
    let mut queue = clients::amqp::Subscriber::bind(url, None, "dummy.created")
        .await
        .map_err(anyhow::Error::msg)?;
    let (tx, rx) = mpsc::unbounded_channel();
    tokio::spawn(async move {
        while let Some(change) = queue.next(Duration::from_secs(24 * 3600)).await {
            let at = Instant::now();
            if let Some(id) = change.body.pointer("/dummy/id").and_then(Value::as_i64)
                && tx.send((id, at)).is_err()
            {
                return;
            }
        }
    });
    Ok(rx)
}

/// An MQTT subscription to `dummies/+/created`, QoS 1.
async fn mqtt(addr: &str) -> anyhow::Result<Arrivals> {
    let mut topic = clients::mqtt::Subscriber::subscribe(addr, &["dummies/+/created"], 1)
        .await
        .map_err(anyhow::Error::msg)?;
    let (tx, rx) = mpsc::unbounded_channel();
    tokio::spawn(async move {
        while let Some(message) = topic.next(Duration::from_secs(24 * 3600)).await {
            let at = Instant::now();
            let id = serde_json::from_slice::<Value>(&message.payload)
                .ok()
                .and_then(|body| body.pointer("/dummy/id").and_then(Value::as_i64));
            if let Some(id) = id
                && tx.send((id, at)).is_err()
            {
                return;
            }
        }
    });
    Ok(rx)
}

fn socket_addr(addr: &str) -> anyhow::Result<SocketAddr> {
    addr.to_socket_addrs()?
        .next()
        .ok_or_else(|| anyhow::anyhow!("{addr} resolves to nothing"))
}

fn micros(d: Duration) -> i64 {
    i64::try_from(d.as_micros()).unwrap_or(i64::MAX)
}

/// `a − b` in microseconds, negative when `a` came first.
fn signed_micros(a: Instant, b: Instant) -> i64 {
    if a >= b {
        micros(a - b)
    } else {
        -micros(b - a)
    }
}

/// The `q` quantile (nearest rank) of `values`; 0 for none.
fn percentile(values: &mut [i64], q: f64) -> i64 {
    if values.is_empty() {
        return 0;
    }
    values.sort_unstable();
    let rank = ((values.len() as f64 * q).ceil() as usize).clamp(1, values.len());
    values[rank - 1]
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn percentiles_are_nearest_rank_and_keep_the_sign() {
        let mut values = vec![-5, 30, 10, 20, 40];
        assert_eq!(percentile(&mut values, 0.5), 20);
        assert_eq!(percentile(&mut values, 0.99), 40);
        assert_eq!(percentile(&mut values, 0.0), -5);
        assert_eq!(percentile(&mut [], 0.5), 0);
        let now = Instant::now();
        let later = now + Duration::from_micros(250);
        assert_eq!(signed_micros(later, now), 250);
        assert_eq!(signed_micros(now, later), -250);
    }
}

//! The change feed under a burst of writes: 16 REST clients create rows as fast as
//! they can while a WebSocket feed client, a gRPC watcher, a GraphQL subscriber and a
//! Server-Sent Events reader listen (PostgreSQL, so every event travels trigger → `NOTIFY` → the services'
//! `LISTEN` thread → clients).
//!
//! Every acknowledged create must arrive exactly once on each feed: a reader that falls
//! more than `model::feed::CAPACITY` events behind reads the rest from the event
//! journal (`model::journal`), so no `missed` count is expected any more (one would
//! still be counted against the feed). The row reports the rate the feeds delivered at
//! and the slowest delivery after the write was acknowledged.
//!
//! Then a reader that stops reading while one `INSERT` adds tens of thousands of
//! rows: it must get every event, in journal order, and stay connected.

use std::collections::HashMap;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use futures_util::StreamExt;
use futures_util::future::join_all;
use grpc_pb::dummy::WatchDummiesRequest;
use grpc_pb::dummy::dummy_service_client::DummyServiceClient;
use serde_json::Value;
use tokio_tungstenite::tungstenite::Message;

use crate::Suite;
use crate::procs::{Kind, Launch, Service};
use crate::report::{Row, mib};
use clients::{Client, Fields, Proto};

/// Concurrent writers.
const WRITERS: usize = 16;

/// When each id was acknowledged, and when each feed delivered it.
type Times = Arc<Mutex<HashMap<i64, Instant>>>;

/// What one feed client counted.
#[derive(Default)]
struct Seen {
    /// id → when it arrived (created events only).
    arrived: HashMap<i64, Instant>,
    duplicates: u64,
    missed: u64,
}

/// Tells a reader when to stop: the writers are done and nothing came for 2 s.
struct Quiet {
    writers_done: Arc<AtomicBool>,
    last: Instant,
}

impl Quiet {
    fn new(writers_done: Arc<AtomicBool>) -> Quiet {
        Quiet {
            writers_done,
            last: Instant::now(),
        }
    }

    fn heard(&mut self) {
        self.last = Instant::now();
    }

    fn over(&self) -> bool {
        self.writers_done.load(Ordering::Relaxed) && self.last.elapsed() > Duration::from_secs(2)
    }
}

/// Runs the burst.
pub async fn run(suite: &Suite) -> Vec<Row> {
    let mut ws_row = Row::new("feed", "WebSocket");
    let mut grpc_row = Row::new("feed", "gRPC watch");
    let mut graphql_row = Row::new("feed", "GraphQL subscription");
    let mut sse_row = Row::new("feed", "Server-Sent Events");
    let db = suite.database();
    let _store = db.migrated_store().await;
    let url = db.url.expose().to_owned();
    let mut services = Vec::new();
    for kind in [Kind::Rest, Kind::Ws, Kind::Grpc, Kind::Graphql] {
        match Service::start(&Launch {
            kind,
            database: &url,
            log_dir: &suite.log_dir,
            name: &format!("feed-{}", kind.binary()),
            env: &[],
        }) {
            Ok(service) => services.push(service),
            Err(error) => {
                ws_row.fail(format!("start {}: {error}", kind.binary()));
                return vec![ws_row];
            }
        }
    }
    for service in &mut services {
        if let Err(error) = service.wait_healthy(Duration::from_secs(30)).await {
            ws_row.fail(error);
            return vec![ws_row];
        }
    }
    let (rest, ws, grpc, graphql) = (
        services[0].addr,
        services[1].addr,
        services[2].addr,
        services[3].addr,
    );

    let (socket, _) =
        match tokio_tungstenite::connect_async(format!("ws://{ws}/api/ws/dummies/")).await {
            Ok(pair) => pair,
            Err(error) => {
                ws_row.fail(format!("feed connect: {error}"));
                return vec![ws_row];
            }
        };
    let watch = match DummyServiceClient::connect(format!("http://{grpc}")).await {
        Ok(mut client) => client.watch_dummies(WatchDummiesRequest::default()).await,
        Err(error) => {
            grpc_row.fail(format!("grpc connect: {error}"));
            return vec![grpc_row];
        }
    };
    let Ok(watch) = watch.map(tonic::Response::into_inner) else {
        grpc_row.fail("WatchDummies refused");
        return vec![grpc_row];
    };
    let subscription = match subscribe_live(graphql, rest).await {
        Ok(socket) => socket,
        Err(error) => {
            graphql_row.fail(error);
            return vec![graphql_row];
        }
    };
    // Opened by rest-svc before its 200 goes out: live from the first write on.
    let http = reqwest::Client::new();
    let stream_url = format!("http://{rest}/api/sse/dummies");
    let mut stream = match clients::sse::connect(&http, &stream_url, None).await {
        Ok(stream) => stream,
        Err(error) => {
            sse_row.fail(error);
            return vec![sse_row];
        }
    };
    let done = Arc::new(AtomicBool::new(false));
    let finished = done.clone();
    let sse_seen = tokio::spawn(async move {
        let mut seen = Seen::default();
        let mut quiet = Quiet::new(finished);
        while !quiet.over() {
            let Ok(next) = tokio::time::timeout(Duration::from_millis(200), stream.next()).await
            else {
                continue;
            };
            let Ok(Some(event)) = next else { break };
            quiet.heard();
            if event.event.as_deref() == Some("created") {
                let id = serde_json::from_str::<Value>(&event.data)
                    .ok()
                    .and_then(|row| row["id"].as_i64())
                    .unwrap_or_default();
                if seen.arrived.insert(id, Instant::now()).is_some() {
                    seen.duplicates += 1;
                }
            }
        }
        seen
    });
    let finished = done.clone();
    let ws_seen = tokio::spawn(async move {
        let mut seen = Seen::default();
        let mut socket = socket;
        let mut quiet = Quiet::new(finished);
        while !quiet.over() {
            let Ok(next) = tokio::time::timeout(Duration::from_millis(200), socket.next()).await
            else {
                continue;
            };
            let Some(Ok(message)) = next else { break };
            let Message::Text(text) = message else {
                continue;
            };
            quiet.heard();
            let Ok(event) = serde_json::from_str::<Value>(&text) else {
                continue;
            };
            match event["event"].as_str() {
                Some("created") => {
                    let id = event["dummy"]["id"].as_i64().unwrap_or_default();
                    if seen.arrived.insert(id, Instant::now()).is_some() {
                        seen.duplicates += 1;
                    }
                }
                Some("missed") => seen.missed += event["count"].as_u64().unwrap_or_default(),
                _ => {}
            }
        }
        seen
    });
    let finished = done.clone();
    let grpc_seen = tokio::spawn(async move {
        let mut seen = Seen::default();
        let mut watch = watch;
        let mut quiet = Quiet::new(finished);
        while !quiet.over() {
            let Ok(next) = tokio::time::timeout(Duration::from_millis(200), watch.message()).await
            else {
                continue;
            };
            let Ok(Some(event)) = next else { break };
            quiet.heard();
            seen.missed += event.missed;
            if event.kind == grpc_pb::dummy::dummy_event::Kind::Created as i32
                && let Some(dummy) = event.dummy
                && seen.arrived.insert(dummy.id, Instant::now()).is_some()
            {
                seen.duplicates += 1;
            }
        }
        seen
    });
    let finished = done.clone();
    let graphql_seen = tokio::spawn(async move {
        let mut seen = Seen::default();
        let mut socket = subscription;
        let mut quiet = Quiet::new(finished);
        while !quiet.over() {
            let Ok(next) = tokio::time::timeout(
                Duration::from_millis(200),
                clients::graphql::next_event(&mut socket),
            )
            .await
            else {
                continue;
            };
            let Ok(data) = next else { break };
            quiet.heard();
            let event = &data["dummyChanged"];
            match event["__typename"].as_str() {
                Some("DummyChanged") if event["kind"] == "CREATED" => {
                    let id = event["dummy"]["id"]
                        .as_str()
                        .and_then(|id| id.parse().ok())
                        .unwrap_or_default();
                    if seen.arrived.insert(id, Instant::now()).is_some() {
                        seen.duplicates += 1;
                    }
                }
                Some("FeedMissed") => seen.missed += event["count"].as_u64().unwrap_or_default(),
                _ => {}
            }
        }
        seen
    });

    // The burst.
    let total = suite.mode.pick(800, 10_000);
    let acked: Times = Arc::default();
    let started = Instant::now();
    let failures = join_all((0..WRITERS).map(|w| {
        let acked = acked.clone();
        async move {
            let client = Client::new(Proto::Rest, rest);
            let mut failures = Vec::new();
            for n in (w..total).step_by(WRITERS) {
                match client
                    .create(Fields::random(i32::try_from(n).unwrap_or(0)))
                    .await
                {
                    Ok((id, _)) => {
                        acked
                            .lock()
                            .expect("not poisoned")
                            .insert(id, Instant::now());
                    }
                    Err(failure) => failures.push(failure.to_string()),
                }
            }
            failures
        }
    }))
    .await;
    let writing = started.elapsed();
    done.store(true, Ordering::Relaxed);
    for failure in failures.into_iter().flatten() {
        ws_row.fail(format!("create: {failure}"));
    }
    let acked = acked.lock().expect("not poisoned").clone();

    for (row, seen) in [
        (&mut ws_row, ws_seen.await),
        (&mut grpc_row, grpc_seen.await),
        (&mut graphql_row, graphql_seen.await),
        (&mut sse_row, sse_seen.await),
    ] {
        let Ok(seen) = seen else {
            row.fail("the feed reader panicked");
            continue;
        };
        let received = acked
            .keys()
            .filter(|id| seen.arrived.contains_key(id))
            .count() as u64;
        let lost = acked.len() as u64 - received;
        row.cases = acked.len() as u64;
        row.check(lost == 0 && seen.missed == 0, || {
            format!(
                "{lost} acknowledged creates never arrived, {} were reported missed",
                seen.missed
            )
        });
        row.check(seen.duplicates == 0, || {
            format!("{} events arrived twice", seen.duplicates)
        });
        let lags: Vec<Duration> = acked
            .iter()
            .filter_map(|(id, at)| {
                seen.arrived
                    .get(id)
                    .map(|got| got.saturating_duration_since(*at))
            })
            .collect();
        let last = seen.arrived.values().max().copied().unwrap_or(started);
        let rate = received as f64 / last.duration_since(started).as_secs_f64().max(1e-3);
        row.note = format!(
            "{received} of {} events, {} reported missed, {rate:.0} events/s, slowest {:.0} ms after the ack",
            acked.len(),
            seen.missed,
            lags.iter().max().map_or(0.0, |d| d.as_secs_f64() * 1000.0)
        );
    }
    let mut peak = 0;
    for service in &services {
        ws_row.panics += service.panics() as u64;
        peak = peak.max(service.peak_rss_kib().unwrap_or(0));
    }
    ws_row.peak_rss_mib = Some(mib(peak));
    ws_row.note.push_str(&format!(
        "; {} writes in {:.1} s",
        acked.len(),
        writing.as_secs_f64()
    ));
    let mut lagging = lagging_reader(suite, &url, ws).await;
    lagging.panics = services.iter().map(|s| s.panics() as u64).sum::<u64>() - ws_row.panics;
    vec![ws_row, grpc_row, graphql_row, sse_row, lagging]
}

/// What the GraphQL subscribers ask for: every change, the gap reports and how many
/// events were missed.
const SUBSCRIPTION: &str = "subscription { dummyChanged { __typename \
    ... on DummyChanged { kind dummy { id } } ... on FeedMissed { count } } }";

/// A `dummyChanged` subscription that is live: the protocol does not say when a
/// subscription starts to receive (on PostgreSQL, once its `LISTEN` is in place), so
/// rows are created over REST until one's event arrives.
pub(crate) async fn subscribe_live(
    graphql: std::net::SocketAddr,
    rest: std::net::SocketAddr,
) -> Result<clients::ws::Socket, String> {
    let url = format!("ws://{graphql}/api/graphql");
    let mut socket =
        clients::graphql::subscribe(&url, SUBSCRIPTION, &serde_json::json!({})).await?;
    let client = Client::new(Proto::Rest, rest);
    let started = Instant::now();
    while started.elapsed() < Duration::from_secs(15) {
        let (id, _) = client
            .create(Fields::random(1))
            .await
            .map_err(|e| format!("a probe create: {e}"))?;
        let want = id.to_string();
        let until = Instant::now() + Duration::from_millis(500);
        while let Some(left) = until.checked_duration_since(Instant::now()) {
            match tokio::time::timeout(left, clients::graphql::next_event(&mut socket)).await {
                Ok(Ok(data)) if data["dummyChanged"]["dummy"]["id"] == want.as_str() => {
                    return Ok(socket);
                }
                Ok(Ok(_)) | Err(_) => {}
                Ok(Err(error)) => return Err(format!("the subscription: {error}")),
            }
        }
    }
    Err("the GraphQL subscription delivered nothing within 15 s".to_owned())
}

/// A feed client that stops reading while one statement inserts far more rows than
/// the socket buffers and the feed's buffer (`model::feed::CAPACITY`) can hold:
/// when it reads again, every event arrives, in journal order (`seq` growing), none
/// counted as `missed`, and the connection is still open.
async fn lagging_reader(suite: &Suite, url: &str, ws: std::net::SocketAddr) -> Row {
    use diesel::{Connection, PgConnection, RunQueryDsl};
    let mut row = Row::new("feed", "WebSocket, lagging reader");
    let rows: u64 = suite.mode.pick(50_000, 200_000);
    let (mut socket, _) =
        match tokio_tungstenite::connect_async(format!("ws://{ws}/api/ws/dummies/")).await {
            Ok(pair) => pair,
            Err(error) => {
                row.fail(format!("feed connect: {error}"));
                return row;
            }
        };
    let url = url.to_owned();
    let inserted = tokio::task::spawn_blocking(move || {
        let mut conn = PgConnection::establish(&url)?;
        diesel::sql_query(format!(
            "INSERT INTO dummies (day, weekday, month, year) \
             SELECT 1 + n % 28, 'Monday', 'May', n FROM generate_series(1, {rows}) AS n"
        ))
        .execute(&mut conn)
        .map_err(anyhow::Error::from)
    })
    .await;
    row.check(matches!(inserted, Ok(Ok(n)) if n as u64 == rows), || {
        format!("the bulk insert: {inserted:?}")
    });
    // Not reading for 3 s (less than the server's client timeout, so it keeps us).
    tokio::time::sleep(Duration::from_secs(3)).await;
    let (mut created, mut missed, mut closed) = (0u64, 0u64, None);
    let (mut last_seq, mut out_of_order) = (0i64, 0u64);
    while created + missed < rows {
        match tokio::time::timeout(Duration::from_secs(10), socket.next()).await {
            Ok(Some(Ok(Message::Text(text)))) => {
                let Ok(event) = serde_json::from_str::<Value>(&text) else {
                    continue;
                };
                match event["event"].as_str() {
                    Some("created") => {
                        created += 1;
                        let seq = event["seq"].as_i64().unwrap_or_default();
                        if seq <= last_seq {
                            out_of_order += 1;
                        }
                        last_seq = seq;
                    }
                    Some("missed") => missed += event["count"].as_u64().unwrap_or_default(),
                    _ => {}
                }
            }
            Ok(Some(Ok(Message::Close(frame)))) => {
                closed = Some(format!("{frame:?}"));
                break;
            }
            Ok(Some(Ok(_))) => {}
            other => {
                closed = Some(format!("{other:?}"));
                break;
            }
        }
    }
    row.cases = rows;
    row.check(closed.is_none(), || {
        format!("the lagging reader's feed ended: {closed:?}")
    });
    row.check(created == rows && missed == 0, || {
        format!("{created} events + {missed} reported missed, for {rows} rows inserted")
    });
    row.check(out_of_order == 0, || {
        format!("{out_of_order} events came with a seq not above the one before")
    });
    row.note = format!(
        "{rows} rows in one INSERT while the reader paused 3 s: {created} events arrived in journal order, none missed"
    );
    row
}

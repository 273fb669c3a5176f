//! Connection floods and slow peers: many WebSocket clients in a few rooms, a room
//! member that stops reading, piles of idle HTTP/1.1 and HTTP/2 connections, and
//! bodies, frames and headers over the services' limits.
//!
//! | row | what runs | what must hold |
//! |---|---|---|
//! | flood / WebSocket | ws-svc on PostgreSQL (room messages travel through `NOTIFY`, the production path); 100 clients (1,000 with `--long`) in 10 rooms, each sending a message a second for 5 s (60 s) | no connection is refused or closed; every message reaches every member of its room, the sender included, exactly once, and nobody else |
//! | slow reader / WebSocket | one room: 20 members reading, one member sending ~6 KB messages 200 times a second; then one more member that never reads | the hub drops the slow member, and the server closes its connection within twice the idle timeout without the client having to read (when it finally reads: 1008 or the end, not every message); the others still get every message, and their p99 latency stays under max(5 × the p99 without the slow member, 100 ms) |
//! | idle / REST, gRPC | 200 (1,000) idle keep-alive HTTP/1.1 connections to rest-svc, as many HTTP/2 connections to grpc-svc | a new client is answered within 2 s while they are open |
//! | limits / REST, JSON-RPC, WebSocket, gRPC | 100 MB bodies sent slowly (with `Content-Length` and chunked), a message over `WS_MAX_FRAME_BYTES`, one over `GRPC_MAX_MESSAGE_BYTES`, a 192 KiB header and 100 headers, a 64 KiB invalid gRPC value | refused early: 413 after less than 1 MiB of body, close 1009, RESOURCE_EXHAUSTED, 431 or a closed connection; memory does not grow with the body; messages just under the limits pass; the invalid value's error reaches the client |
//!
//! Memory per connection is (RSS with the connections open − RSS before) / count,
//! taken from `/proc/<pid>/status`. Whether the server still holds a connection is
//! read from the server's side of the socket in `/proc/net/tcp`, so a check does not
//! have to read from a client that is playing dead.

use std::net::SocketAddr;
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::{Duration, Instant};

use futures_util::future::join_all;
use futures_util::{SinkExt, StreamExt};
use grpc_svc::pb::dummy::dummy_service_client::DummyServiceClient;
use grpc_svc::pb::dummy::{
    self as pb, CountDummiesRequest, ListDummiesRequest, UpdateDummyRequest,
};
use tokio::io::{AsyncRead, AsyncReadExt, AsyncWriteExt};
use tokio::net::tcp::OwnedWriteHalf;
use tokio::net::{TcpSocket, TcpStream};
use tokio_tungstenite::tungstenite::Message;
use tokio_tungstenite::tungstenite::protocol::CloseFrame;
use tokio_tungstenite::tungstenite::protocol::frame::coding::CloseCode;
use tokio_tungstenite::{MaybeTlsStream, WebSocketStream};
use tokio_util::sync::CancellationToken;
use tonic::transport::{Channel, Endpoint};
use tonic_health::pb::HealthCheckRequest;
use tonic_health::pb::health_client::HealthClient;

use crate::Suite;
use crate::procs::{Kind, Launch, Service};
use crate::report::{Row, mib};

/// Runs the four parts in turn; rows "flood", "slow reader", "idle" and "limits".
pub async fn run(suite: &Suite) -> Vec<Row> {
    let mut rows = Vec::new();
    {
        let db = suite.database();
        let url = db.url.expose().to_owned();
        rows.push(rooms(suite, &url).await);
        rows.push(slow_reader(suite, &url).await);
    }
    rows.extend(idle(suite).await);
    rows.extend(limits(suite).await);
    rows
}

// ---------------------------------------------------------------------------
// Shared pieces
// ---------------------------------------------------------------------------

/// How long a service may take to become healthy.
const START_TIMEOUT: Duration = Duration::from_secs(30);
/// Connections opened at once: well under actix's accept backlog (1,024).
const CONNECT_BATCH: usize = 50;
/// How long one connection attempt (TCP plus handshake) may take.
const CONNECT_TIMEOUT: Duration = Duration::from_secs(10);

/// A WebSocket client as `connect_async` returns it.
type Ws = WebSocketStream<MaybeTlsStream<TcpStream>>;

/// Starts `kind` and waits until it is healthy.
async fn start(
    suite: &Suite,
    kind: Kind,
    database: &str,
    name: &str,
    env: &[(&str, String)],
) -> Result<Service, String> {
    let mut service = Service::start(&Launch {
        kind,
        database,
        log_dir: &suite.log_dir,
        name,
        env,
    })
    .map_err(|e| format!("cannot start {}: {e}", kind.binary()))?;
    service.wait_healthy(START_TIMEOUT).await?;
    Ok(service)
}

/// Puts the service's peak memory and panics into the row, and a failure if the
/// process died on the way.
fn finish(row: &mut Row, service: &mut Service) {
    row.peak_rss_mib = service.peak_rss_kib().map(mib);
    row.panics = service.panics() as u64;
    if let Some(status) = service.try_exit() {
        row.fail(format!(
            "{} exited during the scenario with {status}: {}",
            service.kind.binary(),
            service.log_tail()
        ));
    }
}

/// KiB per connection between two RSS readings, for the notes.
fn per_connection(before: Option<u64>, after: Option<u64>, connections: usize) -> String {
    match (before, after) {
        (Some(before), Some(after)) if connections > 0 => format!(
            "{:.1} KiB",
            (after as f64 - before as f64) / connections as f64
        ),
        _ => "?".to_owned(),
    }
}

/// One failure line for a list of similar problems: how many, and the first few.
fn summary(what: &str, problems: &[String]) -> String {
    let shown: Vec<&str> = problems.iter().take(3).map(String::as_str).collect();
    let more = if problems.len() > shown.len() {
        format!("; … {} more", problems.len() - shown.len())
    } else {
        String::new()
    };
    format!("{} {what}: {}{more}", problems.len(), shown.join("; "))
}

/// The 50th and 99th percentiles of `values` (µs), in milliseconds.
fn percentiles(values: &mut [u64]) -> Option<(f64, f64)> {
    if values.is_empty() {
        return None;
    }
    let at = |values: &mut [u64], q: f64| {
        let i = ((values.len() - 1) as f64 * q).round() as usize;
        *values.select_nth_unstable(i).1 as f64 / 1000.0
    };
    Some((at(values, 0.50), at(values, 0.99)))
}

/// A clock the clients share, so a message can carry the time it was sent.
#[derive(Clone, Copy)]
struct Clock(Instant);

impl Clock {
    fn micros(self) -> u64 {
        u64::try_from(self.0.elapsed().as_micros()).unwrap_or(u64::MAX)
    }
}

/// Opens a WebSocket to `path`.
async fn connect_ws(addr: SocketAddr, path: &str) -> Result<Ws, String> {
    let url = format!("ws://{addr}{path}");
    match tokio::time::timeout(CONNECT_TIMEOUT, tokio_tungstenite::connect_async(url)).await {
        Ok(Ok((socket, _))) => Ok(socket),
        Ok(Err(error)) => Err(error.to_string()),
        Err(_) => Err(format!("no handshake within {CONNECT_TIMEOUT:?}")),
    }
}

/// "1008 too slow …", "no close frame", for the notes and failures.
fn describe_close(frame: Option<&CloseFrame>) -> String {
    frame.map_or_else(
        || "no close code".to_owned(),
        |f| format!("{} {}", u16::from(f.code), f.reason),
    )
}

/// Waits until `at`, or forever when there is nothing to wait for.
async fn sleep_until(at: Option<tokio::time::Instant>) {
    match at {
        Some(at) => tokio::time::sleep_until(at).await,
        None => std::future::pending().await,
    }
}

/// The value of a string field in a JSON object we know has no escapes in it.
fn json_str<'a>(text: &'a str, key: &str) -> Option<&'a str> {
    let start = text.find(key)? + key.len();
    let rest = &text[start..];
    Some(&rest[..rest.find('"')?])
}

/// A server-side TCP socket, as `/proc/net/tcp` lists it.
#[derive(Debug, Clone, Copy)]
struct ServerSocket {
    /// The client's port.
    peer_port: u16,
    /// The kernel's TCP state (1 = ESTABLISHED, 4 = FIN_WAIT1, …).
    state: u8,
    /// Bytes written by the server and not yet acknowledged by the client.
    unacked: u64,
}

const TCP_ESTABLISHED: u8 = 1;

fn tcp_state_name(state: u8) -> &'static str {
    match state {
        1 => "ESTABLISHED",
        2 => "SYN_SENT",
        3 => "SYN_RECV",
        4 => "FIN_WAIT1",
        5 => "FIN_WAIT2",
        6 => "TIME_WAIT",
        7 => "CLOSE",
        8 => "CLOSE_WAIT",
        9 => "LAST_ACK",
        10 => "LISTEN",
        11 => "CLOSING",
        _ => "?",
    }
}

/// The sockets the server listening on `port` holds towards its clients (IPv4).
fn server_sockets(port: u16) -> Vec<ServerSocket> {
    let table = std::fs::read_to_string("/proc/net/tcp").unwrap_or_default();
    let port_of = |address: &str| u16::from_str_radix(address.split(':').nth(1)?, 16).ok();
    table
        .lines()
        .skip(1)
        .filter_map(|line| {
            let columns: Vec<&str> = line.split_whitespace().collect();
            if port_of(columns.get(1)?)? != port {
                return None;
            }
            Some(ServerSocket {
                peer_port: port_of(columns.get(2)?)?,
                state: u8::from_str_radix(columns.get(3)?, 16).ok()?,
                unacked: u64::from_str_radix(columns.get(4)?.split(':').next()?, 16).ok()?,
            })
        })
        .filter(|s| s.peer_port != 0)
        .collect()
}

/// The client ports of the connections the server on `port` holds open.
fn established(port: u16) -> Vec<u16> {
    server_sockets(port)
        .iter()
        .filter(|s| s.state == TCP_ESTABLISHED)
        .map(|s| s.peer_port)
        .collect()
}

/// How many connections the server on `port` holds open, besides those in `before`.
fn established_besides(port: u16, before: &[u16]) -> usize {
    established(port)
        .iter()
        .filter(|p| !before.contains(p))
        .count()
}

/// CPU time used so far by process `pid` ("self" for this one), in seconds.
fn cpu_secs(pid: &str) -> Option<f64> {
    let stat = std::fs::read_to_string(format!("/proc/{pid}/stat")).ok()?;
    // After the command name (which may hold spaces): state is field 3, utime 14, stime 15.
    let fields: Vec<&str> = stat.rsplit_once(')')?.1.split_whitespace().collect();
    let ticks: u64 = fields.get(11)?.parse::<u64>().ok()? + fields.get(12)?.parse::<u64>().ok()?;
    // Linux reports in USER_HZ, which is 100 on every platform Rust supports.
    Some(ticks as f64 / 100.0)
}

// ---------------------------------------------------------------------------
// 1. Rooms
// ---------------------------------------------------------------------------

/// Rooms the flood spreads its clients over.
const ROOMS: usize = 10;
/// Each flood client sends a message this often.
const SEND_EVERY: Duration = Duration::from_secs(1);

fn room_name(room: usize) -> String {
    format!("flood_{room}")
}

/// What one flood client saw.
#[derive(Default)]
struct Member {
    /// Messages it sent: sequence numbers `0..sent`.
    sent: u32,
    /// `(sender, sequence)` of every chat message it received.
    received: Vec<(u32, u32)>,
    /// Each one's delivery latency, in µs.
    latencies: Vec<u64>,
    /// Frames that were not a chat message of its own room.
    strays: Vec<String>,
    /// The connection failed or was closed by the server.
    problems: Vec<String>,
}

/// The signals every flood client follows.
#[derive(Clone)]
struct Signals {
    /// Start sending.
    go: CancellationToken,
    /// Stop sending (keep reading).
    stop_sending: CancellationToken,
    /// Stop reading, close.
    stop: CancellationToken,
}

/// One flood client: reads all the time (which also answers the server's pings),
/// sends a tagged message every second between `go` and `stop_sending`.
///
/// A message is `c<client>:<sequence>:<µs on the shared clock>`.
async fn member(
    id: u32,
    room: usize,
    socket: Ws,
    clock: Clock,
    signals: Signals,
    delivered: Arc<AtomicU64>,
) -> Member {
    let room_key = room_name(room);
    let (mut sink, mut stream) = socket.split();
    let mut out = Member::default();
    let mut next_send: Option<tokio::time::Instant> = None;
    loop {
        let sending = next_send.filter(|_| !signals.stop_sending.is_cancelled());
        tokio::select! {
            // The run is over.
            () = signals.stop.cancelled() => break,
            // Start: the first message goes at a random point of the first second, so
            // the clients' messages are spread evenly.
            () = signals.go.cancelled(), if next_send.is_none() => {
                let offset = Duration::from_millis(fastrand::u64(0..1000));
                next_send = Some(tokio::time::Instant::now() + offset);
            }
            // This client's next message.
            () = sleep_until(sending) => {
                if signals.stop_sending.is_cancelled() {
                    continue;
                }
                let text = format!("{{\"message\":\"c{id}:{}:{}\"}}", out.sent, clock.micros());
                if let Err(error) = sink.send(Message::text(text)).await {
                    out.problems.push(format!("client {id}: send failed: {error}"));
                    break;
                }
                out.sent += 1;
                next_send = next_send.map(|at| at + SEND_EVERY);
            }
            message = stream.next() => match message {
                Some(Ok(Message::Text(text))) => {
                    delivered.fetch_add(1, Ordering::Relaxed);
                    let now = clock.micros();
                    let parsed = (json_str(&text, "\"room\":\"") == Some(room_key.as_str()))
                        .then(|| parse_tag(json_str(&text, "\"message\":\"c")?))
                        .flatten();
                    match parsed {
                        Some((sender, seq, at)) => {
                            out.received.push((sender, seq));
                            out.latencies.push(now.saturating_sub(at));
                        }
                        None => out.strays.push(format!("client {id} got {:.120}", text.as_str())),
                    }
                }
                Some(Ok(Message::Close(frame))) => {
                    out.problems.push(format!("client {id}: closed by the server: {}", describe_close(frame.as_ref())));
                    break;
                }
                // Pings are answered by tungstenite itself while we read.
                Some(Ok(_)) => {}
                Some(Err(error)) => {
                    out.problems.push(format!("client {id}: {error}"));
                    break;
                }
                None => {
                    out.problems.push(format!("client {id}: the connection ended"));
                    break;
                }
            },
        }
    }
    let _ = tokio::time::timeout(Duration::from_secs(1), sink.send(Message::Close(None))).await;
    out
}

/// `<sender>:<sequence>:<µs>` (the leading `c` already taken off).
fn parse_tag(tag: &str) -> Option<(u32, u32, u64)> {
    let mut parts = tag.split(':');
    Some((
        parts.next()?.parse().ok()?,
        parts.next()?.parse().ok()?,
        parts.next()?.parse().ok()?,
    ))
}

/// N clients in 10 rooms on one ws-svc, all chatting at once (see the module docs).
async fn rooms(suite: &Suite, database: &str) -> Row {
    let mut row = Row::new("flood", "WebSocket");
    let clients = suite.mode.pick(100, 1000);
    let hold = suite
        .mode
        .pick(Duration::from_secs(5), Duration::from_secs(60));
    let mut service = match start(suite, Kind::Ws, database, "flood-ws-svc", &[]).await {
        Ok(service) => service,
        Err(error) => {
            row.fail(error);
            return row;
        }
    };
    let addr = service.addr;
    let rss_before = service.rss_kib();
    let clock = Clock(Instant::now());
    let signals = Signals {
        go: CancellationToken::new(),
        stop_sending: CancellationToken::new(),
        stop: CancellationToken::new(),
    };
    let delivered = Arc::new(AtomicU64::new(0));

    // Connect in batches; each client starts reading as soon as it is connected.
    let connecting = Instant::now();
    let mut members = Vec::with_capacity(clients);
    let mut refused = Vec::new();
    for first in (0..clients).step_by(CONNECT_BATCH) {
        let batch = (first..clients.min(first + CONNECT_BATCH)).map(|id| async move {
            let room = id % ROOMS;
            let path = format!("/api/ws/chat/{}/", room_name(room));
            (id, room, connect_ws(addr, &path).await)
        });
        for (id, room, result) in join_all(batch).await {
            match result {
                Ok(socket) => {
                    let task = member(
                        id as u32,
                        room,
                        socket,
                        clock,
                        signals.clone(),
                        delivered.clone(),
                    );
                    members.push((id, room, tokio::spawn(task)));
                }
                Err(error) => refused.push(format!("client {id}: {error}")),
            }
        }
    }
    let connect_time = connecting.elapsed();
    if !refused.is_empty() {
        row.fail(summary("clients could not connect", &refused));
    }
    // A session joins its room just after the handshake's answer: give the last
    // joins a moment, so that no early message misses a member.
    tokio::time::sleep(Duration::from_millis(500)).await;
    let rss_connected = service.rss_kib();
    let mut room_size = [0u64; ROOMS];
    for (_, room, _) in &members {
        room_size[*room] += 1;
    }

    let cpu_before = (cpu_secs("self"), cpu_secs(&service.pid().to_string()));
    let chatting = Instant::now();
    signals.go.cancel();
    tokio::time::sleep(hold).await;
    signals.stop_sending.cancel();
    // Wait until the deliveries stop growing: every message sent has reached its room
    // (or will not); a sender that is mid-send finishes first.
    let drain_limit = Instant::now()
        + suite
            .mode
            .pick(Duration::from_secs(5), Duration::from_secs(20));
    let mut last = u64::MAX;
    let mut quiet_since = Instant::now();
    while Instant::now() < drain_limit {
        tokio::time::sleep(Duration::from_millis(100)).await;
        let now = delivered.load(Ordering::Relaxed);
        if now != last {
            last = now;
            quiet_since = Instant::now();
        } else if quiet_since.elapsed() > Duration::from_millis(700) {
            break;
        }
    }
    let rss_end = service.rss_kib();
    let cpu_after = (cpu_secs("self"), cpu_secs(&service.pid().to_string()));
    let chatted = chatting.elapsed().as_secs_f64();
    let cpu = |before: Option<f64>, after: Option<f64>| {
        before.zip(after).map_or_else(
            || "?".to_owned(),
            |(b, a)| format!("{:.0} %", 100.0 * (a - b) / chatted),
        )
    };
    let deliveries = delivered.load(Ordering::Relaxed);
    let cpu = format!(
        "{:.0} deliveries/s; CPU while chatting: ws-svc {}, the clients {}",
        deliveries as f64 / chatted,
        cpu(cpu_before.1, cpu_after.1),
        cpu(cpu_before.0, cpu_after.0)
    );
    signals.stop.cancel();

    let mut seen = Vec::with_capacity(members.len());
    for (id, room, task) in members {
        match task.await {
            Ok(member) => seen.push((id, room, member)),
            Err(error) => row.fail(format!("client {id}: its task failed: {error}")),
        }
    }
    check_rooms(&mut row, clients, &seen, &room_size);

    let mut latencies: Vec<u64> = seen
        .iter()
        .flat_map(|(_, _, m)| m.latencies.iter().copied())
        .collect();
    let latency = percentiles(&mut latencies).map_or_else(
        || "no deliveries".to_owned(),
        |(p50, p99)| format!("delivery p50 {p50:.1} ms, p99 {p99:.1} ms"),
    );
    finish(&mut row, &mut service);
    row.note = format!(
        "{} of {clients} clients in {ROOMS} rooms (connected in {:.1} s), {} s at 1 msg/s each: \
         {deliveries} deliveries, {latency}; RSS {} per connection ({:.1} → {:.1} MiB, {:.1} MiB \
         at the end); {cpu}",
        seen.len(),
        connect_time.as_secs_f64(),
        hold.as_secs(),
        per_connection(rss_before, rss_connected, seen.len()),
        mib(rss_before.unwrap_or_default()),
        mib(rss_connected.unwrap_or_default()),
        mib(rss_end.unwrap_or_default()),
    );
    row
}

/// Every message reached every member of its room exactly once, and no one else.
fn check_rooms(row: &mut Row, clients: usize, seen: &[(usize, usize, Member)], room_size: &[u64]) {
    let mut sent_by = vec![0u32; clients];
    let mut in_room: Vec<Vec<u32>> = vec![Vec::new(); room_size.len()];
    for (id, room, member) in seen {
        sent_by[*id] = member.sent;
        in_room[*room].push(*id as u32);
    }
    row.cases = sent_by.iter().map(|&n| u64::from(n)).sum();

    let mut problems = Vec::new();
    let mut strays = Vec::new();
    let mut short = Vec::new();
    let (mut missing, mut duplicated, mut foreign) = (0u64, 0u64, 0u64);
    for (id, room, member) in seen {
        problems.extend(member.problems.iter().cloned());
        strays.extend(member.strays.iter().cloned());
        let mut got = member.received.clone();
        got.sort_unstable();
        let (mut distinct, mut dups, mut others) = (0u64, 0u64, 0u64);
        let mut previous = None;
        for &(sender, seq) in &got {
            if previous == Some((sender, seq)) {
                dups += 1;
                continue;
            }
            previous = Some((sender, seq));
            let known = (sender as usize) < clients
                && sender as usize % ROOMS == *room
                && seq < sent_by[sender as usize];
            if known {
                distinct += 1;
            } else {
                others += 1;
            }
        }
        let expected: u64 = in_room[*room]
            .iter()
            .map(|&s| u64::from(sent_by[s as usize]))
            .sum();
        let lacking = expected.saturating_sub(distinct);
        if lacking > 0 && short.len() < 5 {
            let example = in_room[*room]
                .iter()
                .flat_map(|&s| (0..sent_by[s as usize]).map(move |q| (s, q)))
                .find(|m| got.binary_search(m).is_err())
                .map(|(s, q)| format!(", e.g. c{s}:{q}"))
                .unwrap_or_default();
            short.push(format!(
                "client {id} ({}) got {distinct} of {expected}{example}",
                room_name(*room)
            ));
        }
        missing += lacking;
        duplicated += dups;
        foreign += others;
    }
    if !problems.is_empty() {
        row.fail(summary("connections failed or were closed", &problems));
    }
    if missing > 0 {
        row.fail(format!(
            "{missing} deliveries missing; {}",
            summary("clients short", &short)
        ));
    }
    if duplicated > 0 {
        row.fail(format!("{duplicated} messages delivered twice"));
    }
    if foreign > 0 {
        row.fail(format!(
            "{foreign} messages from another room or never sent"
        ));
    }
    if !strays.is_empty() {
        row.fail(summary(
            "frames that are not a chat message of the member's room",
            &strays,
        ));
    }
}

// ---------------------------------------------------------------------------
// 2. A slow reader
// ---------------------------------------------------------------------------

/// Members that read everything.
const FAST_MEMBERS: usize = 20;
/// The sender's message size: near the largest a room message may be (7,000 bytes
/// with its envelope), so the buffers in front of a slow reader fill fast.
const SLOW_MESSAGE_BYTES: usize = 6000;
/// The sender's pace: 200 messages (1.2 MB) a second to each member.
const SLOW_SEND_EVERY: Duration = Duration::from_millis(5);
/// The slow member's socket receive buffer: small and fixed (no autotuning, which on
/// loopback grows to tens of megabytes).
const SLOW_RCVBUF: u32 = 4096;
/// A room's members' p99 latency may grow this much while a slow member is in the room…
const SLOW_P99_FACTOR: f64 = 5.0;
/// …or up to this, whichever is larger (a quiet baseline has a p99 of tens of ms).
const SLOW_P99_FLOOR_MS: f64 = 100.0;
/// ws-svc's heartbeat and idle timeout here. Whatever the client's receive buffer,
/// the server's send buffer towards it grows to ~3 MB on loopback: at 1.2 MB/s that
/// takes ~3 s before the member's queue fills. The idle timeout must be longer, or it,
/// not the full queue, is what takes the slow member out.
const SLOW_HEARTBEAT_SECS: u64 = 1;
const SLOW_TIMEOUT_SECS: u64 = 8;
/// What ws-svc logs (at `warn`) when the hub drops a member whose queue is full.
const TOO_SLOW_LOG: &str = "member too slow";

/// What a fast member saw: `(sequence, latency µs)` per message, and problems.
#[derive(Default)]
struct Reader {
    got: Vec<(u64, u64)>,
    problems: Vec<String>,
}

/// Reads the sender's messages (`s<sequence>:<µs>:<padding>`) until `stop`.
async fn fast_member(
    n: usize,
    socket: Ws,
    clock: Clock,
    stop: CancellationToken,
    delivered: Arc<AtomicU64>,
) -> Reader {
    let (mut sink, mut stream) = socket.split();
    let mut out = Reader::default();
    loop {
        tokio::select! {
            () = stop.cancelled() => break,
            message = stream.next() => match message {
                Some(Ok(Message::Text(text))) => {
                    let now = clock.micros();
                    delivered.fetch_add(1, Ordering::Relaxed);
                    let tag = json_str(&text, "\"message\":\"s").and_then(|t| {
                        let mut parts = t.split(':');
                        Some((parts.next()?.parse().ok()?, parts.next()?.parse::<u64>().ok()?))
                    });
                    match tag {
                        Some((seq, at)) => out.got.push((seq, now.saturating_sub(at))),
                        None => out.problems.push(format!("member {n} got {:.120}", text.as_str())),
                    }
                }
                Some(Ok(Message::Close(frame))) => {
                    out.problems.push(format!("member {n} was closed: {}", describe_close(frame.as_ref())));
                    break;
                }
                Some(Ok(_)) => {}
                Some(Err(error)) => {
                    out.problems.push(format!("member {n}: {error}"));
                    break;
                }
                None => {
                    out.problems.push(format!("member {n}: the connection ended"));
                    break;
                }
            },
        }
    }
    let _ = tokio::time::timeout(Duration::from_secs(1), sink.send(Message::Close(None))).await;
    out
}

/// Sends `s<sequence>:<µs>:<padding>` every [`SLOW_SEND_EVERY`] until `stop`, and
/// reads its own copies back (it must not become a slow reader itself). Returns how
/// many it sent, or why it stopped early.
async fn fast_sender(
    socket: Ws,
    clock: Clock,
    seq: Arc<AtomicU64>,
    stop: CancellationToken,
) -> Result<u64, String> {
    let (mut sink, mut stream) = socket.split();
    let closing = CancellationToken::new();
    let reading = tokio::spawn({
        let closing = closing.clone();
        async move {
            while let Some(Ok(message)) = stream.next().await {
                // A close after our own is the server's answer to it.
                if message.is_close() && !closing.is_cancelled() {
                    return Some(format!("the sender was closed: {message}"));
                }
            }
            None
        }
    });
    let mut tick = tokio::time::interval(SLOW_SEND_EVERY);
    let padding = "x".repeat(SLOW_MESSAGE_BYTES);
    let mut result = Ok(());
    while !stop.is_cancelled() {
        tick.tick().await;
        let n = seq.load(Ordering::Relaxed);
        let text = format!("{{\"message\":\"s{n}:{}:{padding}\"}}", clock.micros());
        if let Err(error) = sink.send(Message::text(text)).await {
            result = Err(format!("the sender could not send: {error}"));
            break;
        }
        seq.store(n + 1, Ordering::Relaxed);
    }
    closing.cancel();
    let _ = sink.send(Message::Close(None)).await;
    let closed = tokio::time::timeout(Duration::from_secs(2), reading).await;
    if let Ok(Ok(Some(problem))) = closed
        && result.is_ok()
    {
        result = Err(problem);
    }
    result.map(|()| seq.load(Ordering::Relaxed))
}

/// Opens a WebSocket whose receive buffer is small, and says which local port it has.
async fn connect_slow(
    addr: SocketAddr,
    path: &str,
) -> Result<(WebSocketStream<TcpStream>, u16), String> {
    let socket = TcpSocket::new_v4().map_err(|e| e.to_string())?;
    socket
        .set_recv_buffer_size(SLOW_RCVBUF)
        .map_err(|e| e.to_string())?;
    let stream = tokio::time::timeout(CONNECT_TIMEOUT, socket.connect(addr))
        .await
        .map_err(|_| "connect timed out".to_owned())?
        .map_err(|e| e.to_string())?;
    let port = stream.local_addr().map_err(|e| e.to_string())?.port();
    let url = format!("ws://{addr}{path}");
    let (ws, _) = tokio::time::timeout(
        CONNECT_TIMEOUT,
        tokio_tungstenite::client_async(url, stream),
    )
    .await
    .map_err(|_| "handshake timed out".to_owned())?
    .map_err(|e| e.to_string())?;
    Ok((ws, port))
}

/// One busy room with and without a member that never reads (see the module docs).
async fn slow_reader(suite: &Suite, database: &str) -> Row {
    let mut row = Row::new("slow reader", "WebSocket");
    let env = [
        ("WS_HEARTBEAT_SECS", SLOW_HEARTBEAT_SECS.to_string()),
        ("WS_CLIENT_TIMEOUT_SECS", SLOW_TIMEOUT_SECS.to_string()),
    ];
    let mut service = match start(suite, Kind::Ws, database, "slow-reader-ws-svc", &env).await {
        Ok(service) => service,
        Err(error) => {
            row.fail(error);
            return row;
        }
    };
    let addr = service.addr;
    let path = "/api/ws/chat/slow_reader/";
    let clock = Clock(Instant::now());
    let stop = CancellationToken::new();
    let delivered = Arc::new(AtomicU64::new(0));
    let mut readers = Vec::new();
    for n in 0..FAST_MEMBERS {
        match connect_ws(addr, path).await {
            Ok(socket) => readers.push(tokio::spawn(fast_member(
                n,
                socket,
                clock,
                stop.clone(),
                delivered.clone(),
            ))),
            Err(error) => row.fail(format!("member {n} could not connect: {error}")),
        }
    }
    let sender_socket = match connect_ws(addr, path).await {
        Ok(socket) => socket,
        Err(error) => {
            row.fail(format!("the sender could not connect: {error}"));
            stop.cancel();
            finish(&mut row, &mut service);
            return row;
        }
    };
    // Let the hub register the last joins.
    tokio::time::sleep(Duration::from_millis(300)).await;

    // Phase 1: everyone reads.
    let seq = Arc::new(AtomicU64::new(0));
    let stop_sending = CancellationToken::new();
    let sender = tokio::spawn(fast_sender(
        sender_socket,
        clock,
        seq.clone(),
        stop_sending.clone(),
    ));
    let phase = suite
        .mode
        .pick(Duration::from_secs(2), Duration::from_secs(10));
    tokio::time::sleep(phase).await;
    let boundary = seq.load(Ordering::Relaxed);

    // Phase 2: one more member, which never reads.
    let slow = connect_slow(addr, path).await;
    let slow_joined = Instant::now();
    let joined_at_seq = seq.load(Ordering::Relaxed);
    if let Err(error) = &slow {
        row.fail(format!("the slow member could not connect: {error}"));
    }
    let phase = suite
        .mode
        .pick(Duration::from_secs(5), Duration::from_secs(20));
    tokio::time::sleep(phase).await;
    stop_sending.cancel();
    let total = match sender.await {
        Ok(Ok(total)) => total,
        Ok(Err(problem)) => {
            row.fail(problem);
            seq.load(Ordering::Relaxed)
        }
        Err(error) => {
            row.fail(format!("the sender's task failed: {error}"));
            seq.load(Ordering::Relaxed)
        }
    };
    let expected = total * FAST_MEMBERS as u64;
    let drain_limit = Instant::now() + Duration::from_secs(5);
    while delivered.load(Ordering::Relaxed) < expected && Instant::now() < drain_limit {
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    // The slow member has been silent (no pong) since it joined, so by the server's own
    // rule it is closed after the idle timeout. Allow twice that: the buffers take a few
    // seconds to fill, and once the session has given up, only the kernel can drop the
    // socket (actix never times out a write), after its `TCP_USER_TIMEOUT`.
    let notice = Duration::from_secs(2 * SLOW_TIMEOUT_SECS);
    if let Some(left) = notice.checked_sub(slow_joined.elapsed()) {
        tokio::time::sleep(left).await;
    }
    let server_side = slow.as_ref().ok().map(|(_, port)| {
        server_sockets(addr.port())
            .into_iter()
            .find(|s| s.peer_port == *port)
    });
    let dropped_by_hub = service.log_text().matches(TOO_SLOW_LOG).count();
    stop.cancel();

    // The members that read: everything, in order, and in good time.
    let mut before = Vec::new();
    let mut during = Vec::new();
    let mut fast_problems = Vec::new();
    for task in readers {
        let Ok(reader) = task.await else {
            fast_problems.push("a member's task failed".to_owned());
            continue;
        };
        fast_problems.extend(reader.problems);
        let in_order =
            reader.got.len() as u64 == total && (0..).zip(&reader.got).all(|(i, (s, _))| *s == i);
        if !in_order {
            fast_problems.push(format!(
                "a member got {} of {total} messages (ascending: {})",
                reader.got.len(),
                reader.got.windows(2).all(|w| w[0].0 < w[1].0)
            ));
        }
        for (s, latency) in reader.got {
            if s < boundary {
                before.push(latency);
            } else {
                during.push(latency);
            }
        }
    }
    row.check(fast_problems.is_empty(), || {
        summary("problems among the members that read", &fast_problems)
    });
    let (p50_before, p99_before) = percentiles(&mut before).unwrap_or((f64::NAN, f64::NAN));
    let (p50_during, p99_during) = percentiles(&mut during).unwrap_or((f64::NAN, f64::NAN));
    // The bound: a slow member must cost the others at most a constant factor, and a
    // quiet baseline's p99 is small enough that 5 × it would be noise.
    let bound = (SLOW_P99_FACTOR * p99_before).max(SLOW_P99_FLOOR_MS);
    row.check(p99_during <= bound, || {
        format!(
            "with a slow member in the room the others' p99 latency is {p99_during:.1} ms, over \
             max({SLOW_P99_FACTOR} × {p99_before:.1}, {SLOW_P99_FLOOR_MS}) ms"
        )
    });

    let mut slow_note = String::new();
    if let Ok((mut socket, _)) = slow {
        let server_state = match server_side.flatten() {
            None => "gone".to_owned(),
            Some(s) => format!(
                "{} with {} KiB unacknowledged",
                tcp_state_name(s.state),
                s.unacked / 1024
            ),
        };
        let held = server_side
            .flatten()
            .is_some_and(|s| s.state == TCP_ESTABLISHED);
        // The hub took it out of the room (its queue was full), or the connection was closed.
        row.check(dropped_by_hub > 0 || !held, || {
            "the slow member was neither dropped from the room nor disconnected".to_owned()
        });
        // The server let go of the connection without the client's help.
        row.check(!held, || {
            format!(
                "the slow member's connection is still ESTABLISHED on the server {:.1} s after it \
                 stopped reading ({server_state}; heartbeat {SLOW_HEARTBEAT_SECS} s, idle timeout \
                 {SLOW_TIMEOUT_SECS} s; the hub dropped it from the room: {}; is the listener's \
                 TCP_USER_TIMEOUT longer than the idle timeout?)",
                notice.as_secs_f64(),
                dropped_by_hub > 0
            )
        });
        // Once it reads, it finds a 1008 (or the end) after fewer messages than were sent.
        let (texts, end) = read_to_end(&mut socket, Duration::from_secs(10)).await;
        let sent_to_it = total.saturating_sub(joined_at_seq);
        let closed = match &end {
            SlowEnd::Close(code, _) => *code == 1008 || *code == 1001,
            SlowEnd::Ended(_) => true,
            SlowEnd::Open => false,
        };
        row.check(closed && texts < sent_to_it, || {
            format!(
                "the slow member, reading at last, got {texts} of {sent_to_it} messages, then {end}"
            )
        });
        slow_note = format!(
            "; the slow member: {} after {:.0} s ({server_state}), dropped from the room by the hub: {}; \
             reading at last it got {texts} of {sent_to_it} messages, then {end}",
            if held {
                "still connected"
            } else {
                "disconnected"
            },
            notice.as_secs_f64(),
            if dropped_by_hub > 0 { "yes" } else { "no" },
        );
    }
    finish(&mut row, &mut service);
    row.note = format!(
        "{FAST_MEMBERS} readers, {total} messages of ~{} KB at {} msg/s; readers' latency p50/p99 \
         {p50_before:.1}/{p99_before:.1} ms without, {p50_during:.1}/{p99_during:.1} ms with the \
         slow member (bound {bound:.0} ms){slow_note}",
        SLOW_MESSAGE_BYTES / 1000,
        1000 / SLOW_SEND_EVERY.as_millis()
    );
    row
}

/// How the slow member's connection ended when it finally read.
enum SlowEnd {
    /// A close frame: code and reason.
    Close(u16, String),
    /// No close frame: EOF or an error.
    Ended(String),
    /// Still open.
    Open,
}

impl std::fmt::Display for SlowEnd {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            SlowEnd::Close(code, reason) => write!(f, "close {code} \"{reason}\""),
            SlowEnd::Ended(how) => write!(f, "no close frame ({how})"),
            SlowEnd::Open => write!(f, "nothing: still open"),
        }
    }
}

/// Reads a socket until it closes, for at most `limit`: how many text messages came,
/// and how it ended.
async fn read_to_end(socket: &mut WebSocketStream<TcpStream>, limit: Duration) -> (u64, SlowEnd) {
    let deadline = tokio::time::Instant::now() + limit;
    let mut texts = 0;
    loop {
        match tokio::time::timeout_at(deadline, socket.next()).await {
            Err(_) => return (texts, SlowEnd::Open),
            Ok(Some(Ok(Message::Text(_)))) => texts += 1,
            Ok(Some(Ok(Message::Close(frame)))) => {
                let end = frame.map_or_else(
                    || SlowEnd::Ended("an empty close frame".to_owned()),
                    |f| SlowEnd::Close(u16::from(f.code), f.reason.to_string()),
                );
                return (texts, end);
            }
            Ok(Some(Ok(_))) => {}
            Ok(Some(Err(error))) => return (texts, SlowEnd::Ended(error.to_string())),
            Ok(None) => return (texts, SlowEnd::Ended("end of stream".to_owned())),
        }
    }
}

// ---------------------------------------------------------------------------
// 3. Idle connections
// ---------------------------------------------------------------------------

/// A new client must be answered this fast while the idle connections are open.
const NEW_CLIENT_WITHIN: Duration = Duration::from_secs(2);

/// Idle HTTP/1.1 connections to rest-svc and HTTP/2 connections to grpc-svc, at once.
async fn idle(suite: &Suite) -> Vec<Row> {
    let count = suite.mode.pick(200, 1000);
    // Longer than actix's keep-alive (5 s), to see what it does with idle connections.
    let hold = suite
        .mode
        .pick(Duration::from_secs(6), Duration::from_secs(10));
    let db = test_support::TestDb::sqlite();
    drop(db.migrated_store().await);
    let url = db.url.expose().to_owned();
    let mut rest_row = Row::new("idle", "REST (HTTP/1.1)");
    let mut grpc_row = Row::new("idle", "gRPC (HTTP/2)");
    let (rest, grpc) = tokio::join!(
        start(suite, Kind::Rest, &url, "idle-rest-svc", &[]),
        start(suite, Kind::Grpc, &url, "idle-grpc-svc", &[]),
    );
    let (mut rest, mut grpc) = match (rest, grpc) {
        (Ok(rest), Ok(grpc)) => (rest, grpc),
        (rest, grpc) => {
            if let Err(error) = rest {
                rest_row.fail(error);
            }
            if let Err(error) = grpc {
                grpc_row.fail(error);
            }
            return vec![rest_row, grpc_row];
        }
    };
    tokio::join!(
        idle_http1(&mut rest_row, &rest, count, hold),
        idle_http2(&mut grpc_row, &grpc, count, hold),
    );
    finish(&mut rest_row, &mut rest);
    finish(&mut grpc_row, &mut grpc);
    vec![rest_row, grpc_row]
}

/// Opens `count` connections with `open` in batches; failures go into the row.
async fn open_many<T, F, Fut>(row: &mut Row, count: usize, open: F) -> Vec<T>
where
    F: Fn() -> Fut,
    Fut: std::future::Future<Output = Result<T, String>>,
{
    let mut open_ones = Vec::with_capacity(count);
    let mut errors = Vec::new();
    for first in (0..count).step_by(CONNECT_BATCH) {
        let batch = (first..count.min(first + CONNECT_BATCH)).map(|_| open());
        for result in join_all(batch).await {
            match result {
                Ok(connection) => open_ones.push(connection),
                Err(error) => errors.push(error),
            }
        }
    }
    row.cases += count as u64;
    if !errors.is_empty() {
        row.fail(summary("idle connections could not be opened", &errors));
    }
    open_ones
}

/// A keep-alive connection that has answered one `GET /healthz`.
async fn keep_alive_connection(addr: SocketAddr) -> Result<TcpStream, String> {
    let opened = async {
        let mut stream = TcpStream::connect(addr).await.map_err(|e| e.to_string())?;
        stream
            .write_all(b"GET /healthz HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n")
            .await
            .map_err(|e| e.to_string())?;
        let head = read_head(&mut stream).await?;
        let body = head.content_length.unwrap_or(0);
        let mut rest = vec![0; body.saturating_sub(head.rest.len())];
        stream
            .read_exact(&mut rest)
            .await
            .map_err(|e| e.to_string())?;
        if head.status == 200 {
            Ok(stream)
        } else {
            Err(format!("GET /healthz answered {}", head.status))
        }
    };
    tokio::time::timeout(CONNECT_TIMEOUT, opened)
        .await
        .unwrap_or_else(|_| Err("no answer in time".to_owned()))
}

/// A fresh REST client's `GET /healthz`: how long it took.
async fn new_rest_client(addr: SocketAddr) -> Result<Duration, String> {
    let started = Instant::now();
    let http = reqwest::Client::builder()
        .timeout(Duration::from_secs(10))
        .build()
        .map_err(|e| e.to_string())?;
    let response = http
        .get(format!("http://{addr}/healthz"))
        .send()
        .await
        .map_err(|e| e.without_url().to_string())?;
    if response.status() == reqwest::StatusCode::OK {
        Ok(started.elapsed())
    } else {
        Err(format!("answered {}", response.status()))
    }
}

/// Checks a new client is served within [`NEW_CLIENT_WITHIN`]; the time, for the note.
fn served(row: &mut Row, when: &str, answer: Result<Duration, String>) -> String {
    let ok = answer.as_ref().is_ok_and(|took| *took <= NEW_CLIENT_WITHIN);
    row.check(ok, || {
        format!("a new client {when}: {answer:?}, wanted an answer within {NEW_CLIENT_WITHIN:?}")
    });
    answer.map_or_else(
        |e| e,
        |took| format!("{:.0} ms", took.as_secs_f64() * 1000.0),
    )
}

async fn idle_http1(row: &mut Row, service: &Service, count: usize, hold: Duration) {
    let addr = service.addr;
    let base = established(addr.port());
    let rss_before = service.rss_kib();
    let opening = Instant::now();
    let connections = open_many(row, count, || keep_alive_connection(addr)).await;
    let open_time = opening.elapsed();
    let rss_open = service.rss_kib();
    let held = established_besides(addr.port(), &base);
    let first = served(row, "while they were open", new_rest_client(addr).await);
    tokio::time::sleep(hold).await;
    let still = established_besides(addr.port(), &base);
    let second = served(
        row,
        &format!("after {} s", hold.as_secs()),
        new_rest_client(addr).await,
    );
    let rss_after = service.rss_kib();
    row.check(still == 0, || {
        format!("{still} idle keep-alive connections were still held after {hold:?} (actix's keep-alive is 5 s)")
    });
    row.note = format!(
        "{} idle keep-alive connections (opened in {:.1} s, {held} held by the server): RSS {} per connection; \
         a new client was answered in {first}, and in {second} after {} s, when the server still held \
         {still} of them (actix closes idle ones after its 5 s keep-alive); RSS {:.1} MiB then",
        connections.len(),
        open_time.as_secs_f64(),
        per_connection(rss_before, rss_open, connections.len()),
        hold.as_secs(),
        mib(rss_after.unwrap_or_default()),
    );
    drop(connections);
}

/// An HTTP/2 connection that has answered one health check.
async fn h2_connection(addr: SocketAddr) -> Result<Channel, String> {
    let endpoint = Endpoint::from_shared(format!("http://{addr}"))
        .map_err(|e| e.to_string())?
        .connect_timeout(CONNECT_TIMEOUT)
        .timeout(CONNECT_TIMEOUT);
    let channel = endpoint.connect().await.map_err(|e| e.to_string())?;
    HealthClient::new(channel.clone())
        .check(HealthCheckRequest {
            service: String::new(),
        })
        .await
        .map_err(|s| format!("health check: {:?} {}", s.code(), s.message()))?;
    Ok(channel)
}

/// A fresh gRPC client's connection and `CountDummies` call: how long it took.
async fn new_grpc_client(addr: SocketAddr) -> Result<Duration, String> {
    let started = Instant::now();
    let channel = Endpoint::from_shared(format!("http://{addr}"))
        .map_err(|e| e.to_string())?
        .connect_timeout(Duration::from_secs(10))
        .timeout(Duration::from_secs(10))
        .connect()
        .await
        .map_err(|e| e.to_string())?;
    DummyServiceClient::new(channel)
        .count_dummies(CountDummiesRequest {})
        .await
        .map_err(|s| format!("CountDummies: {:?} {}", s.code(), s.message()))?;
    Ok(started.elapsed())
}

async fn idle_http2(row: &mut Row, service: &Service, count: usize, hold: Duration) {
    let addr = service.addr;
    let base = established(addr.port());
    let rss_before = service.rss_kib();
    let opening = Instant::now();
    let channels = open_many(row, count, || h2_connection(addr)).await;
    let open_time = opening.elapsed();
    let rss_open = service.rss_kib();
    let held = established_besides(addr.port(), &base);
    let first = served(row, "while they were open", new_grpc_client(addr).await);
    tokio::time::sleep(hold).await;
    let still = established_besides(addr.port(), &base);
    let second = served(
        row,
        &format!("after {} s", hold.as_secs()),
        new_grpc_client(addr).await,
    );
    row.note = format!(
        "{} idle HTTP/2 connections (opened in {:.1} s, {held} held by the server): RSS {} per connection; \
         a new client was answered in {first}, and in {second} after {} s, when the server still held {still} of them",
        channels.len(),
        open_time.as_secs_f64(),
        per_connection(rss_before, rss_open, channels.len()),
        hold.as_secs(),
    );
    drop(channels);
}

// ---------------------------------------------------------------------------
// 4. Limits
// ---------------------------------------------------------------------------

/// The body the uploads announce (or send, chunked): 100 MB.
const UPLOAD_BYTES: u64 = 100 * 1024 * 1024;
/// Sent in pieces this big…
const UPLOAD_PIECE: usize = 16 * 1024;
/// …one every 5 ms (3.2 MB/s): slow enough to see when the answer comes.
const UPLOAD_PAUSE: Duration = Duration::from_millis(5);
/// The refusal must come before this much of the body went out.
const REFUSE_WITHIN: u64 = 1024 * 1024;
/// The server's peak memory may grow this much during one refused upload.
const UPLOAD_GROWTH_KIB: u64 = 16 * 1024;
/// ws-svc's `WS_MAX_FRAME_BYTES` and grpc-svc's `GRPC_MAX_MESSAGE_BYTES` (the defaults).
const WS_MAX_MESSAGE: usize = 64 * 1024;
const GRPC_MAX_MESSAGE: usize = 4 * 1024 * 1024;
/// An invalid value this long, which grpc-svc's error repeats back.
const ECHOED_PATH: usize = 64 * 1024;
/// A header line this long: over actix's limit for a request head (128 KiB).
const BIG_HEADER: usize = 192 * 1024;
/// This many header lines: over actix's limit (96).
const MANY_HEADERS: usize = 100;

/// Each service's limits, one row per protocol.
async fn limits(suite: &Suite) -> Vec<Row> {
    let db = test_support::TestDb::sqlite();
    drop(db.migrated_store().await);
    let url = db.url.expose().to_owned();
    let protocols = [
        (Kind::Rest, "REST"),
        (Kind::Rpc, "JSON-RPC"),
        (Kind::Ws, "WebSocket"),
        (Kind::Grpc, "gRPC"),
    ];
    let started = join_all(protocols.iter().map(|(kind, _)| {
        let url = &url;
        async move {
            let name = format!("limits-{}", kind.binary());
            start(suite, *kind, url, &name, &[]).await
        }
    }))
    .await;
    let mut rows = Vec::new();
    for ((kind, name), service) in protocols.into_iter().zip(started) {
        let mut row = Row::new("limits", name);
        match service {
            Ok(mut service) => {
                match kind {
                    Kind::Rest => {
                        for chunked in [false, true] {
                            upload_refused(&mut row, &service, "/api/rest/dummies", chunked).await;
                        }
                        let filler = "a".repeat(BIG_HEADER);
                        let big = format!("X-Filler: {filler}\r\n");
                        let what = format!("a {} KiB header", BIG_HEADER / 1024);
                        header_block_refused(&mut row, &service, &what, &big).await;
                        let many: String = (0..MANY_HEADERS)
                            .map(|i| format!("X-Header-{i}: {i}\r\n"))
                            .collect();
                        let what = format!("{MANY_HEADERS} headers");
                        header_block_refused(&mut row, &service, &what, &many).await;
                        head_too_slow(&mut row, &service).await;
                    }
                    Kind::Rpc => {
                        for chunked in [false, true] {
                            upload_refused(&mut row, &service, "/api/rpc/json", chunked).await;
                        }
                    }
                    Kind::Ws => {
                        ws_message_refused(&mut row, service.addr).await;
                        chat_message_refused(&mut row, service.addr).await;
                    }
                    Kind::Grpc => grpc_message_refused(&mut row, &service).await,
                }
                finish(&mut row, &mut service);
            }
            Err(error) => row.fail(error),
        }
        rows.push(row);
    }
    rows
}

/// An HTTP/1.1 response head read from a raw socket.
struct Head {
    status: u16,
    content_length: Option<usize>,
    /// Bytes that came after the head.
    rest: Vec<u8>,
}

/// Reads up to the end of a response head.
async fn read_head<R: AsyncRead + Unpin>(reader: &mut R) -> Result<Head, String> {
    let mut buf = Vec::new();
    let mut chunk = [0u8; 4096];
    loop {
        if let Some(end) = buf.windows(4).position(|w| w == b"\r\n\r\n") {
            let head = String::from_utf8_lossy(&buf[..end]).into_owned();
            let status = head
                .split_whitespace()
                .nth(1)
                .and_then(|s| s.parse().ok())
                .ok_or_else(|| format!("not an HTTP answer: {head:.100}"))?;
            let content_length = head.lines().find_map(|line| {
                let (name, value) = line.split_once(':')?;
                name.eq_ignore_ascii_case("content-length")
                    .then(|| value.trim().parse().ok())
                    .flatten()
            });
            return Ok(Head {
                status,
                content_length,
                rest: buf[end + 4..].to_vec(),
            });
        }
        let n = reader
            .read(&mut chunk)
            .await
            .map_err(|e| format!("connection failed: {e}"))?;
        if n == 0 {
            return Err("the connection was closed without an answer".to_owned());
        }
        buf.extend_from_slice(&chunk[..n]);
    }
}

/// Whether the server ends the connection within a second (reading off the answer's body).
async fn closes_soon<R: AsyncRead + Unpin>(reader: &mut R) -> bool {
    let mut chunk = [0u8; 4096];
    let drained = tokio::time::timeout(Duration::from_secs(1), async {
        loop {
            match reader.read(&mut chunk).await {
                Ok(0) | Err(_) => return,
                Ok(_) => {}
            }
        }
    });
    drained.await.is_ok()
}

/// Sends a 100 MB body slowly and expects 413 after less than [`REFUSE_WITHIN`]
/// bytes of it, with no growth in memory.
async fn upload_refused(row: &mut Row, service: &Service, path: &str, chunked: bool) {
    let what = format!(
        "POST {path} with {}",
        if chunked {
            "a chunked 100 MB body"
        } else {
            "Content-Length: 100 MB"
        }
    );
    let peak_before = service.peak_rss_kib().unwrap_or_default();
    let outcome = slow_upload(service.addr, path, chunked).await;
    let growth = service
        .peak_rss_kib()
        .unwrap_or_default()
        .saturating_sub(peak_before);
    match outcome {
        Ok((status, sent, closed)) => {
            row.check(status == 413 && sent < REFUSE_WITHIN, || {
                format!(
                    "{what}: answered {status} after {} KiB of the body, wanted 413 within {} KiB",
                    sent / 1024,
                    REFUSE_WITHIN / 1024
                )
            });
            row.check(growth < UPLOAD_GROWTH_KIB, || {
                format!(
                    "{what}: the server's peak RSS grew by {} MiB",
                    growth / 1024
                )
            });
            let closed = if closed { "then closed" } else { "kept open" };
            push_note(
                row,
                format!(
                    "{what}: {status} after {} KiB sent, {closed}, peak RSS +{} KiB",
                    sent / 1024,
                    growth
                ),
            );
        }
        Err(error) => {
            row.check(false, || format!("{what}: {error}"));
        }
    }
}

fn push_note(row: &mut Row, note: String) {
    if !row.note.is_empty() {
        row.note.push_str("; ");
    }
    row.note.push_str(&note);
}

/// The upload itself: the answer's status, the body bytes sent before it came, and
/// whether the server closed the connection afterwards.
async fn slow_upload(
    addr: SocketAddr,
    path: &str,
    chunked: bool,
) -> Result<(u16, u64, bool), String> {
    let stream = TcpStream::connect(addr).await.map_err(|e| e.to_string())?;
    let (mut reader, mut writer) = stream.into_split();
    let length = if chunked {
        "Transfer-Encoding: chunked".to_owned()
    } else {
        format!("Content-Length: {UPLOAD_BYTES}")
    };
    let head = format!(
        "POST {path} HTTP/1.1\r\nHost: {addr}\r\nContent-Type: application/json\r\n{length}\r\n\r\n"
    );
    writer
        .write_all(head.as_bytes())
        .await
        .map_err(|e| e.to_string())?;
    let sent = Arc::new(AtomicU64::new(0));
    let stop = CancellationToken::new();
    // The writer hands its half back: dropping it would send FIN, and we want to see
    // whether the server closes the connection on its own.
    let writing = tokio::spawn({
        let sent = sent.clone();
        let stop = stop.clone();
        async move {
            let piece = vec![b' '; UPLOAD_PIECE];
            let frame = format!("{:x}\r\n", piece.len());
            while !stop.is_cancelled() && sent.load(Ordering::Relaxed) < UPLOAD_BYTES {
                if chunked && writer.write_all(frame.as_bytes()).await.is_err() {
                    break;
                }
                if writer.write_all(&piece).await.is_err() {
                    break;
                }
                if chunked && writer.write_all(b"\r\n").await.is_err() {
                    break;
                }
                sent.fetch_add(piece.len() as u64, Ordering::Relaxed);
                tokio::select! {
                    () = stop.cancelled() => break,
                    () = tokio::time::sleep(UPLOAD_PAUSE) => {}
                }
            }
            writer
        }
    });
    let answer = tokio::time::timeout(Duration::from_secs(40), read_head(&mut reader)).await;
    let sent_before = sent.load(Ordering::Relaxed);
    stop.cancel();
    let writer: Option<OwnedWriteHalf> = writing.await.ok();
    let head = match answer {
        Ok(Ok(head)) => head,
        Ok(Err(error)) => return Err(format!("{error} after {} KiB", sent_before / 1024)),
        Err(_) => return Err(format!("no answer after {} KiB", sent_before / 1024)),
    };
    let closed = closes_soon(&mut reader).await;
    drop(writer);
    Ok((head.status, sent_before, closed))
}

/// A request head over actix's limits (`headers`, CRLF-terminated lines): 431, or
/// the connection closed.
async fn header_block_refused(row: &mut Row, service: &Service, what: &str, headers: &str) {
    let outcome = async {
        let mut stream = TcpStream::connect(service.addr)
            .await
            .map_err(|e| e.to_string())?;
        let request = format!(
            "GET /healthz HTTP/1.1\r\nHost: {}\r\n{headers}\r\n",
            service.addr
        );
        // The server may stop reading (and reset) before it has all of it.
        let _ = stream.write_all(request.as_bytes()).await;
        Ok::<_, String>(read_head(&mut stream).await)
    };
    match tokio::time::timeout(Duration::from_secs(10), outcome).await {
        Ok(Ok(Ok(head))) => {
            row.check(head.status == 431, || {
                format!(
                    "{what}: answered {}, wanted 431 or a closed connection",
                    head.status
                )
            });
            push_note(row, format!("{what}: {}", head.status));
        }
        Ok(Ok(Err(closed))) => {
            row.check(true, String::new);
            push_note(row, format!("{what}: no answer, {closed}"));
        }
        Ok(Err(error)) => {
            row.check(false, || format!("{what}: {error}"));
        }
        Err(_) => {
            row.check(false, || {
                format!("{what}: neither an answer nor a close within 10 s")
            });
        }
    }
}

/// A request head that never ends: actix answers 408 after its 5 s client request
/// timeout and closes the connection (a slowloris client holds nothing for long).
async fn head_too_slow(row: &mut Row, service: &Service) {
    let outcome = async {
        let mut stream = TcpStream::connect(service.addr)
            .await
            .map_err(|e| e.to_string())?;
        let partial = format!("GET /healthz HTTP/1.1\r\nHost: {}\r\n", service.addr);
        stream
            .write_all(partial.as_bytes())
            .await
            .map_err(|e| e.to_string())?;
        Ok::<_, String>(read_head(&mut stream).await)
    };
    let started = Instant::now();
    match tokio::time::timeout(Duration::from_secs(10), outcome).await {
        Ok(Ok(Ok(head))) => {
            row.check(head.status == 408, || {
                format!(
                    "an unfinished request head: answered {}, wanted 408",
                    head.status
                )
            });
            push_note(
                row,
                format!(
                    "an unfinished request head: {} after {:.1} s",
                    head.status,
                    started.elapsed().as_secs_f64()
                ),
            );
        }
        Ok(Ok(Err(closed))) => row.fail(format!("an unfinished request head: no 408, {closed}")),
        Ok(Err(error)) => row.fail(format!("an unfinished request head: {error}")),
        Err(_) => row.fail("an unfinished request head: nothing within 10 s".to_owned()),
    }
}

/// A chat message whose envelope would not fit in a PostgreSQL NOTIFY (7,000 bytes)
/// gets an error frame; the member stays in the room and can go on talking.
async fn chat_message_refused(row: &mut Row, addr: SocketAddr) {
    let mut socket = match connect_ws(addr, "/api/ws/chat/limits/").await {
        Ok(socket) => socket,
        Err(error) => {
            row.fail(format!("cannot connect to the chat: {error}"));
            return;
        }
    };
    let next_text = async |socket: &mut Ws| loop {
        match tokio::time::timeout(Duration::from_secs(5), socket.next()).await {
            Ok(Some(Ok(Message::Text(text)))) => return Ok(text.to_string()),
            Ok(Some(Ok(Message::Close(frame)))) => {
                return Err(format!("closed: {}", describe_close(frame.as_ref())));
            }
            Ok(Some(Ok(_))) => {}
            other => return Err(format!("{other:?}")),
        }
    };
    let big = format!("{{\"message\":\"{}\"}}", "a".repeat(7_000));
    let _ = socket.send(Message::text(big)).await;
    let refused = next_text(&mut socket).await;
    row.check(
        refused
            .as_ref()
            .is_ok_and(|t| t.contains("\"error\"") && t.contains("7000")),
        || format!("a 7,000-byte chat message: {refused:?}"),
    );
    let _ = socket
        .send(Message::text("{\"message\":\"still here\"}"))
        .await;
    let heard = next_text(&mut socket).await;
    row.check(
        heard.as_ref().is_ok_and(|t| t.contains("still here")),
        || format!("after the refused message, the room did not carry on: {heard:?}"),
    );
    push_note(
        row,
        "a 7,000-byte chat message: an error frame, the member stays".to_owned(),
    );
}

/// A message just under `WS_MAX_FRAME_BYTES` is echoed; one over it gets close 1009.
async fn ws_message_refused(row: &mut Row, addr: SocketAddr) {
    let mut socket = match connect_ws(addr, "/api/ws/echo/").await {
        Ok(socket) => socket,
        Err(error) => {
            row.fail(format!("cannot connect to /api/ws/echo/: {error}"));
            return;
        }
    };
    let under = format!("{{\"message\":\"{}\"}}", "a".repeat(WS_MAX_MESSAGE - 1024));
    let echoed = async {
        socket
            .send(Message::text(under))
            .await
            .map_err(|e| e.to_string())?;
        loop {
            match socket.next().await {
                Some(Ok(Message::Text(text))) => return Ok(text.len()),
                Some(Ok(Message::Close(frame))) => {
                    return Err(format!("closed: {}", describe_close(frame.as_ref())));
                }
                Some(Ok(_)) => {}
                Some(Err(error)) => return Err(error.to_string()),
                None => return Err("the connection ended".to_owned()),
            }
        }
    };
    let echoed = tokio::time::timeout(Duration::from_secs(5), echoed)
        .await
        .unwrap_or_else(|_| Err("no echo within 5 s".to_owned()));
    row.check(echoed.is_ok(), || {
        format!(
            "a {} KiB message (under the limit) was not echoed: {echoed:?}",
            WS_MAX_MESSAGE / 1024 - 1
        )
    });

    let over = format!("{{\"message\":\"{}\"}}", "a".repeat(WS_MAX_MESSAGE + 4096));
    let closed = async {
        socket
            .send(Message::text(over))
            .await
            .map_err(|e| e.to_string())?;
        loop {
            match socket.next().await {
                Some(Ok(Message::Close(frame))) => return Ok(frame),
                Some(Ok(_)) => {}
                Some(Err(error)) => return Err(error.to_string()),
                None => return Err("the connection ended without a close frame".to_owned()),
            }
        }
    };
    let closed = tokio::time::timeout(Duration::from_secs(5), closed)
        .await
        .unwrap_or_else(|_| Err("no close within 5 s".to_owned()));
    let code = closed
        .as_ref()
        .ok()
        .and_then(|f| f.as_ref().map(|f| f.code));
    row.check(code == Some(CloseCode::Size), || {
        format!(
            "a {} KiB message: wanted close 1009, got {closed:?}",
            WS_MAX_MESSAGE / 1024 + 4
        )
    });
    push_note(
        row,
        format!(
            "a {} KiB message: {}",
            WS_MAX_MESSAGE / 1024 + 4,
            closed.map_or_else(|e| e, |f| format!("close {}", describe_close(f.as_ref())))
        ),
    );
}

/// A message over `GRPC_MAX_MESSAGE_BYTES` gets RESOURCE_EXHAUSTED, one just under it
/// is decoded, and a long invalid value gets an INVALID_ARGUMENT the client can read.
async fn grpc_message_refused(row: &mut Row, service: &Service) {
    let channel = match Endpoint::from_shared(format!("http://{}", service.addr)) {
        Ok(endpoint) => endpoint.timeout(Duration::from_secs(20)).connect_lazy(),
        Err(error) => {
            row.fail(error.to_string());
            return;
        }
    };
    let client = DummyServiceClient::new(channel);
    // `bytes` ids of one byte each: the simplest big message. At most 1,000 ids are
    // allowed, so a message that was decoded is answered INVALID_ARGUMENT.
    let list = |bytes: usize| {
        let mut client = client.clone();
        async move {
            let request = ListDummiesRequest {
                ids: vec![1; bytes],
                ..Default::default()
            };
            let mut stream = client.list_dummies(request).await?.into_inner();
            while stream.message().await?.is_some() {}
            Ok::<(), tonic::Status>(())
        }
    };
    let code = |result: &Result<(), tonic::Status>| {
        result
            .as_ref()
            .map_or_else(|s| format!("{:?}", s.code()), |()| "OK".to_owned())
    };

    let under_bytes = GRPC_MAX_MESSAGE - 64 * 1024;
    let under = list(under_bytes).await;
    row.check(
        matches!(&under, Err(s) if s.code() == tonic::Code::InvalidArgument),
        || {
            format!(
                "a {} KiB message (under the limit) should be decoded and answered \
                 INVALID_ARGUMENT (too many ids), got {under:?}",
                under_bytes / 1024
            )
        },
    );
    let over_bytes = GRPC_MAX_MESSAGE + 1024 * 1024;
    let peak_before = service.peak_rss_kib().unwrap_or_default();
    let over = list(over_bytes).await;
    let growth = service
        .peak_rss_kib()
        .unwrap_or_default()
        .saturating_sub(peak_before);
    row.check(
        matches!(&over, Err(s) if s.code() == tonic::Code::ResourceExhausted),
        || {
            format!(
                "a {} MiB message: wanted RESOURCE_EXHAUSTED, got {over:?}",
                over_bytes / (1024 * 1024)
            )
        },
    );

    // An error that repeats a long value back must still fit the client's limit for
    // response headers (hyper: 16 KiB); trailers far over it make the client's HTTP/2
    // layer tear the whole connection down (GOAWAY ENHANCE_YOUR_CALM).
    let mut updates = client.clone();
    let echo = updates
        .update_dummy(UpdateDummyRequest {
            dummy: Some(pb::Dummy {
                id: 1,
                ..Default::default()
            }),
            update_mask: Some(prost_types::FieldMask {
                paths: vec!["x".repeat(ECHOED_PATH)],
            }),
        })
        .await;
    let echo_code = echo
        .as_ref()
        .map_or_else(|s| format!("{:?}", s.code()), |_| "OK".to_owned());
    row.check(
        matches!(&echo, Err(s) if s.code() == tonic::Code::InvalidArgument),
        || {
            let detail = echo.as_ref().err().map(|s| format!("{:.100}", s.message()));
            format!(
                "UpdateDummy with a {} KiB unknown update_mask path: wanted INVALID_ARGUMENT, got \
                 {echo_code} {detail:?} (the server repeats the path in grpc-message and the \
                 BadRequest details)",
                ECHOED_PATH / 1024
            )
        },
    );
    push_note(
        row,
        format!(
            "{} MiB message: {}, peak RSS +{growth} KiB; {} KiB: {}; a {} KiB unknown update_mask path: {echo_code}",
            over_bytes / (1024 * 1024),
            code(&over),
            under_bytes / 1024,
            code(&under),
            ECHOED_PATH / 1024,
        ),
    );
}

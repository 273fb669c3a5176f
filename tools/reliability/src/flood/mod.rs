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

mod idle;
mod limits;
mod rooms;
mod slow_reader;

use idle::idle;
use limits::limits;
use rooms::rooms;
use slow_reader::slow_reader;

use std::net::SocketAddr;
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::{Duration, Instant};

use futures_util::future::join_all;
use futures_util::{SinkExt, StreamExt};
use grpc_pb::dummy::dummy_service_client::DummyServiceClient;
use grpc_pb::dummy::{self as pb, CountDummiesRequest, ListDummiesRequest, UpdateDummyRequest};
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

// Shared pieces: starting services, reading sockets, figures.

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
) -> anyhow::Result<Service> {
    let mut service = Service::start(&Launch {
        kind,
        database,
        log_dir: &suite.log_dir,
        name,
        env,
    })
    .map_err(|e| anyhow::anyhow!("cannot start {}: {e}", kind.binary()))?;
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
fn summary(what: &str, problems: &[impl std::fmt::Display]) -> String {
    let shown: Vec<String> = problems.iter().take(3).map(|p| format!("{p:#}")).collect();
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
async fn connect_ws(addr: SocketAddr, path: &str) -> anyhow::Result<Ws> {
    let url = format!("ws://{addr}{path}");
    match tokio::time::timeout(CONNECT_TIMEOUT, tokio_tungstenite::connect_async(url)).await {
        Ok(Ok((socket, _))) => Ok(socket),
        Ok(Err(error)) => Err(error.into()),
        Err(_) => Err(anyhow::anyhow!("no handshake within {CONNECT_TIMEOUT:?}")),
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

/// An HTTP/1.1 response head read from a raw socket.
struct Head {
    status: u16,
    content_length: Option<usize>,
    /// Bytes that came after the head.
    rest: Vec<u8>,
}

/// Reads up to the end of a response head.
async fn read_head<R: AsyncRead + Unpin>(reader: &mut R) -> anyhow::Result<Head> {
    let mut buf = Vec::new();
    let mut chunk = [0u8; 4096];
    loop {
        if let Some(end) = buf.windows(4).position(|w| w == b"\r\n\r\n") {
            let head = String::from_utf8_lossy(&buf[..end]).into_owned();
            let status = head
                .split_whitespace()
                .nth(1)
                .and_then(|s| s.parse().ok())
                .ok_or_else(|| anyhow::anyhow!("not an HTTP answer: {head:.100}"))?;
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
            .map_err(|e| anyhow::anyhow!("connection failed: {e}"))?;
        if n == 0 {
            return Err(anyhow::anyhow!(
                "the connection was closed without an answer"
            ));
        }
        buf.extend_from_slice(&chunk[..n]);
    }
}

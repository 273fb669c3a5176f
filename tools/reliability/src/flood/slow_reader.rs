//! A room member that stops reading: dropped, without slowing the others down.

use super::*;

/// Members that read everything.
pub(super) const FAST_MEMBERS: usize = 20;
/// The sender's message size: near the largest a room message may be (7,000 bytes
/// with its envelope), so the buffers in front of a slow reader fill fast.
pub(super) const SLOW_MESSAGE_BYTES: usize = 6000;
/// The sender's pace: 200 messages (1.2 MB) a second to each member.
pub(super) const SLOW_SEND_EVERY: Duration = Duration::from_millis(5);
/// The slow member's socket receive buffer: small and fixed (no autotuning, which on
/// loopback grows to tens of megabytes).
pub(super) const SLOW_RCVBUF: u32 = 4096;
/// A room's members' p99 latency may grow this much while a slow member is in the room…
pub(super) const SLOW_P99_FACTOR: f64 = 5.0;
/// …or up to this, whichever is larger (a quiet baseline has a p99 of tens of ms).
pub(super) const SLOW_P99_FLOOR_MS: f64 = 100.0;
/// ws-svc's heartbeat and idle timeout here. Whatever the client's receive buffer,
/// the server's send buffer towards it grows to ~3 MB on loopback: at 1.2 MB/s that
/// takes ~3 s before the member's queue fills. The idle timeout must be longer, or it,
/// not the full queue, is what takes the slow member out.
pub(super) const SLOW_HEARTBEAT_SECS: u64 = 1;
pub(super) const SLOW_TIMEOUT_SECS: u64 = 8;
/// What ws-svc logs (at `warn`) when the hub drops a member whose queue is full.
pub(super) const TOO_SLOW_LOG: &str = "member too slow";

/// What a fast member saw: `(sequence, latency µs)` per message, and problems.
#[derive(Default)]
pub(super) struct Reader {
    got: Vec<(u64, u64)>,
    problems: Vec<String>,
}

/// Reads the sender's messages (`s<sequence>:<µs>:<padding>`) until `stop`.
pub(super) async fn fast_member(
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
pub(super) async fn fast_sender(
    socket: Ws,
    clock: Clock,
    seq: Arc<AtomicU64>,
    stop: CancellationToken,
) -> anyhow::Result<u64> {
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
            result = Err(anyhow::anyhow!("the sender could not send: {error}"));
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
        result = Err(anyhow::anyhow!(problem));
    }
    result.map(|()| seq.load(Ordering::Relaxed))
}

/// Opens a WebSocket whose receive buffer is small, and says which local port it has.
pub(super) async fn connect_slow(
    addr: SocketAddr,
    path: &str,
) -> anyhow::Result<(WebSocketStream<TcpStream>, u16)> {
    let socket = TcpSocket::new_v4()?;
    socket.set_recv_buffer_size(SLOW_RCVBUF)?;
    let stream = tokio::time::timeout(CONNECT_TIMEOUT, socket.connect(addr))
        .await
        .map_err(|_| anyhow::anyhow!("connect timed out"))??;
    let port = stream.local_addr()?.port();
    let url = format!("ws://{addr}{path}");
    let (ws, _) = tokio::time::timeout(
        CONNECT_TIMEOUT,
        tokio_tungstenite::client_async(url, stream),
    )
    .await
    .map_err(|_| anyhow::anyhow!("handshake timed out"))??;
    Ok((ws, port))
}

/// One busy room with and without a member that never reads (see the module docs).
pub(super) async fn slow_reader(suite: &Suite, database: &str) -> Row {
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
pub(super) enum SlowEnd {
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
pub(super) async fn read_to_end(
    socket: &mut WebSocketStream<TcpStream>,
    limit: Duration,
) -> (u64, SlowEnd) {
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

//! Many WebSocket clients in a few rooms: every message reaches every member of its room, and no one else.

use super::*;

/// Rooms the flood spreads its clients over.
pub(super) const ROOMS: usize = 10;
/// Each flood client sends a message this often.
pub(super) const SEND_EVERY: Duration = Duration::from_secs(1);

pub(super) fn room_name(room: usize) -> String {
    format!("flood_{room}")
}

/// What one flood client saw.
#[derive(Default)]
pub(super) struct Member {
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
pub(super) struct Signals {
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
pub(super) async fn member(
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
pub(super) fn parse_tag(tag: &str) -> Option<(u32, u32, u64)> {
    let mut parts = tag.split(':');
    Some((
        parts.next()?.parse().ok()?,
        parts.next()?.parse().ok()?,
        parts.next()?.parse().ok()?,
    ))
}

/// N clients in 10 rooms on one ws-svc, all chatting at once (see the module docs).
pub(super) async fn rooms(suite: &Suite, database: &str) -> Row {
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
pub(super) fn check_rooms(
    row: &mut Row,
    clients: usize,
    seen: &[(usize, usize, Member)],
    room_size: &[u64],
) {
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

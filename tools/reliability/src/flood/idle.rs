//! Piles of idle HTTP/1.1 and HTTP/2 connections: a new client is still served.

use super::*;

/// A new client must be answered this fast while the idle connections are open.
pub(super) const NEW_CLIENT_WITHIN: Duration = Duration::from_secs(2);

/// Idle HTTP/1.1 connections to rest-svc and HTTP/2 connections to grpc-svc, at once.
pub(super) async fn idle(suite: &Suite) -> Vec<Row> {
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
pub(super) async fn open_many<T, F, Fut>(row: &mut Row, count: usize, open: F) -> Vec<T>
where
    F: Fn() -> Fut,
    Fut: std::future::Future<Output = anyhow::Result<T>>,
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
pub(super) async fn keep_alive_connection(addr: SocketAddr) -> anyhow::Result<TcpStream> {
    let opened = async {
        let mut stream = TcpStream::connect(addr).await?;
        stream
            .write_all(b"GET /healthz HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n")
            .await?;
        let head = read_head(&mut stream).await?;
        let body = head.content_length.unwrap_or(0);
        let mut rest = vec![0; body.saturating_sub(head.rest.len())];
        stream.read_exact(&mut rest).await?;
        if head.status == 200 {
            Ok(stream)
        } else {
            Err(anyhow::anyhow!("GET /healthz answered {}", head.status))
        }
    };
    tokio::time::timeout(CONNECT_TIMEOUT, opened)
        .await
        .unwrap_or_else(|_| Err(anyhow::anyhow!("no answer in time")))
}

/// A fresh REST client's `GET /healthz`: how long it took.
pub(super) async fn new_rest_client(addr: SocketAddr) -> anyhow::Result<Duration> {
    let started = Instant::now();
    let http = reqwest::Client::builder()
        .timeout(Duration::from_secs(10))
        .build()?;
    let response = http
        .get(format!("http://{addr}/healthz"))
        .send()
        .await
        .map_err(|e| anyhow::Error::from(e.without_url()))?;
    if response.status() == reqwest::StatusCode::OK {
        Ok(started.elapsed())
    } else {
        Err(anyhow::anyhow!("answered {}", response.status()))
    }
}

/// Checks a new client is served within [`NEW_CLIENT_WITHIN`]; the time, for the note.
pub(super) fn served(row: &mut Row, when: &str, answer: anyhow::Result<Duration>) -> String {
    let ok = answer.as_ref().is_ok_and(|took| *took <= NEW_CLIENT_WITHIN);
    row.check(ok, || {
        format!("a new client {when}: {answer:?}, wanted an answer within {NEW_CLIENT_WITHIN:?}")
    });
    answer.map_or_else(
        |e| format!("{e:#}"),
        |took| format!("{:.0} ms", took.as_secs_f64() * 1000.0),
    )
}

pub(super) async fn idle_http1(row: &mut Row, service: &Service, count: usize, hold: Duration) {
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
pub(super) async fn h2_connection(addr: SocketAddr) -> anyhow::Result<Channel> {
    let endpoint = Endpoint::from_shared(format!("http://{addr}"))?
        .connect_timeout(CONNECT_TIMEOUT)
        .timeout(CONNECT_TIMEOUT);
    let channel = endpoint.connect().await?;
    HealthClient::new(channel.clone())
        .check(HealthCheckRequest {
            service: String::new(),
        })
        .await
        .map_err(|s| anyhow::anyhow!("health check: {:?} {}", s.code(), s.message()))?;
    Ok(channel)
}

/// A fresh gRPC client's connection and `CountDummies` call: how long it took.
pub(super) async fn new_grpc_client(addr: SocketAddr) -> anyhow::Result<Duration> {
    let started = Instant::now();
    let channel = Endpoint::from_shared(format!("http://{addr}"))?
        .connect_timeout(Duration::from_secs(10))
        .timeout(Duration::from_secs(10))
        .connect()
        .await?;
    DummyServiceClient::new(channel)
        .count_dummies(CountDummiesRequest {})
        .await
        .map_err(|s| anyhow::anyhow!("CountDummies: {:?} {}", s.code(), s.message()))?;
    Ok(started.elapsed())
}

pub(super) async fn idle_http2(row: &mut Row, service: &Service, count: usize, hold: Duration) {
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

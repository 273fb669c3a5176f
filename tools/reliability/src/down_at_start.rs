//! The database is down when the process starts: each service binary and `protocols serve`.
//!
//! PostgreSQL sits behind a cut [`Proxy`] (its port refuses connections, as a server
//! that has not started yet) on a fresh database. Each binary is started twice:
//!
//! 1. **Down, then SIGTERM.** It listens at once. Over a quiet window (no requests) its
//!    log holds no more WARN lines than [`warn_budget`] allows: one per step of the
//!    migrations' back-off, not one per connection attempt of the pool. Then every
//!    protocol it serves answers "unavailable" in its own form, its health says so, the
//!    WebSocket echo (which needs no database) works, and SIGTERM ends it with exit 0
//!    within its grace period.
//! 2. **Down, then back.** The proxy is restored while it retries; the suite times how
//!    long until it is healthy (the migrations have run) and every protocol it serves
//!    creates and reads a Dummy, without a restart. SIGTERM then ends it with exit 0.

use std::time::{Duration, Instant};

use futures_util::future::join_all;
use futures_util::{SinkExt, StreamExt};
use tokio_tungstenite::tungstenite::Message;

use crate::Suite;
use crate::outage::{DB_TIMEOUT, MARGIN, is_unavailable, server_addr, through, until_ok};
use crate::procs::{Kind, Service, grpc_serving};
use crate::proxy::Proxy;
use crate::report::{Row, mib};
use clients::{Client, Fields};

/// `SHUTDOWN_GRACE_SECS` given to the processes.
const GRACE: Duration = Duration::from_secs(2);
/// How soon a process must accept connections, its database down or not.
const LISTEN_LIMIT: Duration = Duration::from_secs(10);

/// One row per binary: the four services and `protocols serve`, side by side.
pub async fn run(suite: &Suite) -> Vec<Row> {
    join_all(Kind::EVERY.map(|kind| one(suite, kind))).await
}

async fn one(suite: &Suite, kind: Kind) -> Row {
    let mut row = Row::new("down at start", kind.name());
    let db = suite.database();
    let Some(upstream) = server_addr(db.url.expose()) else {
        row.fail("cannot find the PostgreSQL server in the suite's URL".to_owned());
        return row;
    };
    let proxy = match Proxy::start(upstream).await {
        Ok(proxy) => proxy,
        Err(error) => {
            row.fail(format!("cannot start the proxy: {error}"));
            return row;
        }
    };
    proxy.cut().await;
    let url = through(db.url.expose(), proxy.addr);
    let env = [
        ("DB_TIMEOUT_SECS", DB_TIMEOUT.as_secs().to_string()),
        ("GRPC_HEALTH_INTERVAL_SECS", "1".to_owned()),
        ("SHUTDOWN_GRACE_SECS", GRACE.as_secs().to_string()),
    ];
    let quiet = suite
        .mode
        .pick(Duration::from_secs(8), Duration::from_secs(45));
    let mut notes = Vec::new();
    let mut peak = 0;
    let start = |stage: &'static str| {
        start_listening(Start {
            kind,
            database: &url,
            log_dir: &suite.log_dir,
            name: format!("down-at-start-{}-{stage}", kind.binary()),
            env: &env,
        })
    };

    let started = Instant::now();
    match start("sigterm").await {
        Ok(mut service) => {
            notes.push(down_then_sigterm(&mut row, &mut service, started, quiet).await);
            peak = peak.max(service.peak_rss_kib().unwrap_or(0));
            finish(&mut row, &mut service).await;
        }
        Err(error) => row.fail(format!("database down: {error}")),
    }

    match start("recovery").await {
        Ok(mut service) => {
            down_then_back(&mut row, &mut service, &proxy).await;
            peak = peak.max(service.peak_rss_kib().unwrap_or(0));
            finish(&mut row, &mut service).await;
        }
        Err(error) => row.fail(format!("database down: {error}")),
    }
    row.peak_rss_mib = Some(mib(peak));
    notes.push(format!("stopped by SIGTERM while down (grace {GRACE:?})"));
    row.note = notes.join("; ");
    drop(proxy);
    drop(db);
    row
}

/// A [`Launch`](crate::procs::Launch) that owns its log's name.
struct Start<'a> {
    kind: Kind,
    database: &'a str,
    log_dir: &'a std::path::Path,
    name: String,
    env: &'a [(&'a str, String)],
}

/// Starts the process and waits until it accepts connections. A port that someone
/// else took between the suite choosing it and the process binding it is chosen
/// anew (twice at most): that is the suite's race, not the service's fault.
async fn start_listening(launch: Start<'_>) -> anyhow::Result<Service> {
    let mut tries = 0;
    loop {
        let mut service = Service::start(&crate::procs::Launch {
            kind: launch.kind,
            database: launch.database,
            log_dir: launch.log_dir,
            name: &launch.name,
            env: launch.env,
        })
        .map_err(|e| anyhow::anyhow!("start {}: {e}", launch.kind.name()))?;
        match service.wait_listening(LISTEN_LIMIT).await {
            Ok(_) => return Ok(service),
            Err(error) if format!("{error:#}").contains("Address already in use") && tries < 2 => {
                tries += 1
            }
            Err(error) => return Err(error),
        }
    }
}

/// Listens, stays quiet in the log, answers "unavailable" while the database is down.
/// Returns a note on the WARN lines seen since `started`.
async fn down_then_sigterm(
    row: &mut Row,
    service: &mut Service,
    started: Instant,
    quiet: Duration,
) -> String {
    let kind = service.kind;
    row.cases += 1;
    // Nothing is asked during the window: a health check while down logs a line of its own.
    tokio::time::sleep(quiet.saturating_sub(started.elapsed())).await;
    let window = started.elapsed();
    let warns = service.warn_lines();
    let budget = warn_budget(kind, DB_TIMEOUT, window);
    row.check(warns <= budget, || {
        format!(
            "{warns} WARN lines in {:.1} s with the database down, more than the {budget} \
             the migrations' back-off allows: {}",
            window.as_secs_f64(),
            service.log_tail()
        )
    });

    for &proto in kind.protos() {
        let client = Client::new(proto, service.addr_for(proto));
        let at = Instant::now();
        let got = client.get(1).await;
        let took = at.elapsed();
        row.check(
            got.as_ref().err().is_some_and(|f| is_unavailable(proto, f)),
            || format!("{} get while the database is down: {got:?}", proto.name()),
        );
        row.check(took <= DB_TIMEOUT + MARGIN, || {
            format!("{} get while down took {took:?}", proto.name())
        });
    }
    if kind != Kind::Grpc {
        let health = reqwest::get(format!("{}/healthz", service.base())).await;
        let status = health.as_ref().map(|r| r.status().as_u16()).ok();
        row.check(status == Some(503), || {
            format!("/healthz while down: {status:?} (want 503)")
        });
    }
    if matches!(kind, Kind::Grpc | Kind::Serve) {
        let serving = grpc_serving(service.grpc_addr).await;
        row.check(serving == Some(false), || {
            format!("gRPC health while down: {serving:?} (want NOT_SERVING)")
        });
    }
    if kind.serves_websockets() {
        let echoed = echo(service).await;
        row.check(echoed.is_ok(), || {
            format!("WebSocket echo (no database needed) while down: {echoed:?}")
        });
    }
    format!(
        "{warns} WARN lines in {:.0} s down (budget {budget})",
        window.as_secs_f64()
    )
}

/// Comes back by itself when the database does: healthy, and every protocol writes.
async fn down_then_back(row: &mut Row, service: &mut Service, proxy: &Proxy) {
    row.cases += 1;
    // Let it fail a migration attempt or two first.
    tokio::time::sleep(DB_TIMEOUT + Duration::from_millis(500)).await;
    if let Err(error) = proxy.restore().await {
        row.fail(format!("cannot restore the proxy: {error}"));
        return;
    }
    let back = Instant::now();
    let healthy = service.wait_healthy(Duration::from_secs(30)).await;
    row.check(healthy.is_ok(), || {
        format!("not healthy after the database came back: {healthy:?}")
    });
    for &proto in service.kind.protos() {
        let client = Client::new(proto, service.addr_for(proto));
        let wrote = until_ok(|| async {
            match client.create(Fields::random(2000)).await {
                Ok((id, _)) => client.get(id).await.is_ok(),
                Err(_) => false,
            }
        })
        .await;
        row.check(wrote.is_some(), || {
            format!(
                "{} did not create and read after the database came back",
                proto.name()
            )
        });
    }
    row.recovery = Some(back.elapsed());
}

/// SIGTERM; the process must end with exit 0 within its grace period (and a margin).
async fn finish(row: &mut Row, service: &mut Service) {
    if let Some(status) = service.try_exit() {
        row.fail(format!(
            "exited on its own with {status}: {}",
            service.log_tail()
        ));
    } else {
        service.terminate();
        let at = Instant::now();
        let status = service.wait_exit(GRACE + MARGIN).await;
        row.check(status.is_some_and(|s| s.success()), || {
            format!(
                "after SIGTERM: {status:?} after {:?}: {}",
                at.elapsed(),
                service.log_tail()
            )
        });
    }
    row.panics += service.panics() as u64;
}

/// The most WARN lines a process may log in its first `window` with the database down.
///
/// - one for the first failure of each connection: the pool, and the change listener
///   that the WebSocket chat hub starts (later failures are logged at DEBUG);
/// - `protocols serve`: one saying it serves without the database;
/// - one per step of the migrations' back-off: each attempt waits [`DB_TIMEOUT`] for a
///   connection, then 0.5 s, 1 s, 2 s, … (up to 30 s) pass before the next;
/// - the WebSocket chat hub: one for the outage (its retries are logged at DEBUG);
/// - one for a step that falls on the window's edge.
///
/// Before the pool's attempts were counted once per outage, a few seconds down gave
/// dozens: one per attempt, every few hundred milliseconds.
pub fn warn_budget(kind: Kind, db_timeout: Duration, window: Duration) -> usize {
    2 + usize::from(kind == Kind::Serve)
        + back_off_steps(db_timeout, window)
        + usize::from(kind.serves_websockets())
        + 1
}

/// How many migration attempts fail within `window` of the start while the database is
/// down: each waits `db_timeout` for a connection, then 0.5 s, 1 s, 2 s, … (up to 30 s)
/// pass before the next. Each logs one WARN line, numbered.
pub fn back_off_steps(db_timeout: Duration, window: Duration) -> usize {
    let mut steps = 0;
    let mut at = Duration::ZERO;
    let mut delay = Duration::from_millis(500);
    loop {
        at += db_timeout;
        if at > window {
            return steps;
        }
        steps += 1;
        at += delay;
        delay = (delay * 2).min(Duration::from_secs(30));
    }
}

/// One message over `/api/ws/echo/`, back within 5 s.
async fn echo(service: &Service) -> anyhow::Result<()> {
    let url = format!("ws://{}/api/ws/echo/", service.addr);
    let exchange = async {
        let (mut socket, _) = tokio_tungstenite::connect_async(&url).await?;
        socket
            .send(Message::text(r#"{"message":"still here"}"#))
            .await?;
        while let Some(message) = socket.next().await {
            match message? {
                Message::Text(text) if text.contains("still here") => return Ok(()),
                Message::Close(frame) => return Err(anyhow::anyhow!("closed: {frame:?}")),
                _ => {}
            }
        }
        Err(anyhow::anyhow!("the connection ended"))
    };
    tokio::time::timeout(Duration::from_secs(5), exchange)
        .await
        .unwrap_or_else(|_| Err(anyhow::anyhow!("no echo within 5 s")))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_warn_budget_follows_the_back_off() {
        // 8 s with a 2 s pool timeout: attempts fail at 2, 4.5 and 7.5 s.
        let two = Duration::from_secs(2);
        assert_eq!(back_off_steps(two, Duration::from_secs(8)), 3);
        assert_eq!(
            warn_budget(Kind::Rest, two, Duration::from_secs(8)),
            2 + 3 + 1
        );
        assert_eq!(
            warn_budget(Kind::Serve, two, Duration::from_secs(8)),
            3 + 3 + 1 + 1
        );
        // 60 s: attempts fail at 2, 4.5, 7.5, 11.5, 17.5, 27.5 and 45.5 s.
        assert_eq!(
            warn_budget(Kind::Grpc, two, Duration::from_secs(60)),
            2 + 7 + 1
        );
    }
}

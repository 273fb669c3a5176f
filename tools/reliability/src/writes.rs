//! No lost writes: 32 clients create, patch and delete over REST, JSON-RPC, XML-RPC,
//! gRPC and GraphQL at once, against two instances of each service on one PostgreSQL. Each
//! client remembers what was acknowledged; afterwards the database must hold exactly
//! that.
//!
//! With `sigterm`, the first instance of every service (ws-svc too) gets SIGTERM
//! half-way through. Its in-flight requests must either complete (and then be in the
//! database) or fail visibly to their client; the client carries on against the
//! second instance. WebSocket clients of the stopped ws-svc must get close 1001, and
//! every stopped process must exit within the grace period, even grpc-svc with a
//! client-streaming call held open on it.
//!
//! How the check tells rows apart: every create carries a unique `year`
//! (client × 1,000,000 + sequence), which patches never change. A patch writes day,
//! weekday and month together, so a half-applied one shows. A call that failed is
//! *ambiguous*: the row may be in its state before or after it, nothing else, and the
//! client leaves that row alone from then on.

use std::collections::HashMap;
use std::net::SocketAddr;
use std::process::ExitStatus;
use std::time::{Duration, Instant};

use futures_util::StreamExt;
use tokio::task::JoinHandle;
use tokio_tungstenite::tungstenite::Message;
use tokio_tungstenite::tungstenite::protocol::frame::coding::CloseCode;

use crate::Suite;
use grpc_pb::echo::EchoRequest;
use grpc_pb::echo::echo_service_client::EchoServiceClient;

use crate::procs::{Kind, Launch, Service};
use crate::report::{Row, mib};
use clients::{Client, Failure, Fields, Patch, Proto, month_number, weekday_number};

/// Concurrent writers (spread evenly over the protocols).
pub const CLIENTS: usize = 32;
/// `SHUTDOWN_GRACE_SECS` given to the services here; a stopped process must exit
/// within it (plus [`EXIT_MARGIN`] to wind down once it is over).
pub const GRACE: Duration = Duration::from_secs(5);
/// What a process may take after the grace period to close its last sockets and exit.
pub const EXIT_MARGIN: Duration = Duration::from_secs(2);
/// WebSocket feed clients per ws-svc instance.
const WS_CLIENTS: usize = 8;

/// What the database must hold for one row a client created (or tried to).
#[derive(Debug, Clone)]
enum Expect {
    /// Acknowledged: exactly this (`None`: deleted).
    Exact(Option<Fields>),
    /// A call failed: either state (`None`: absent).
    Either(Option<Fields>, Option<Fields>),
}

/// One writer's record of its rows, by year tag.
#[derive(Default)]
struct Ledger {
    rows: HashMap<i32, Expect>,
    /// Ids of rows it may still touch (acknowledged and unambiguous).
    live: Vec<(i32, i64)>,
    calls: u64,
    acknowledged: u64,
    failures: Vec<Failure>,
}

/// Two instances of each service: `[first, second]`.
type Pairs = Vec<[Service; 2]>;
/// Each writer's protocol and task.
type Writers = Vec<(Proto, JoinHandle<Ledger>)>;
/// Each feed client's ws-svc instance (0 is the one stopped) and task.
type Feeds = Vec<(usize, JoinHandle<FeedSeen>)>;
/// Each stopped process: its kind, how it exited, and how long after SIGTERM.
type Exits = Vec<(Kind, Option<ExitStatus>, Duration)>;

/// Runs the load, with or without SIGTERM in the middle.
pub async fn run(suite: &Suite, sigterm: bool) -> Vec<Row> {
    let scenario = if sigterm { "shutdown" } else { "writes" };
    let db = suite.database();
    let store = db.migrated_store().await;
    let mut setup = Row::new(scenario, "all");
    let Some(mut services) =
        start_pairs(suite, scenario, db.url.expose(), sigterm, &mut setup).await
    else {
        return vec![setup];
    };
    let feeds = if sigterm {
        open_feeds(&services, &mut setup).await
    } else {
        Feeds::new()
    };

    let duration = suite
        .mode
        .pick(Duration::from_secs(5), Duration::from_secs(60));
    let deadline = Instant::now() + duration;
    let started = Instant::now();
    let writers = start_writers(&services, deadline);
    let _held = if sigterm {
        Some(hold_a_client_stream(address(&services, Kind::Grpc, 0)).await)
    } else {
        None
    };
    let exits = if sigterm {
        tokio::time::sleep(duration / 2).await;
        terminate_first_instances(&mut services).await
    } else {
        Exits::new()
    };
    let ledgers = collect_ledgers(writers, &mut setup).await;
    let elapsed = started.elapsed();

    // The database as it is now, by year tag.
    let actual = match all_rows(&store).await {
        Ok(rows) => rows,
        Err(error) => {
            setup.fail(format!("cannot read the table back: {error}"));
            return vec![setup];
        }
    };
    let (mut rows, claimed) = check_ledgers(scenario, sigterm, &ledgers, &actual, elapsed);
    check_table(&mut setup, &store, &actual, claimed).await;
    if sigterm {
        check_shutdown(&mut setup, &exits, feeds).await;
    }
    account_resources(&mut setup, &services);
    rows.push(setup);
    drop(services);
    drop(db);
    rows
}

/// Starts two instances of each service and waits until all are healthy; `None` (and
/// the reason in `setup`) when one cannot start.
async fn start_pairs(
    suite: &Suite,
    scenario: &'static str,
    url: &str,
    sigterm: bool,
    setup: &mut Row,
) -> Option<Pairs> {
    let mut kinds = vec![Kind::Rest, Kind::Rpc, Kind::Grpc, Kind::Graphql];
    if sigterm {
        kinds.push(Kind::Ws);
    }
    let env = [("SHUTDOWN_GRACE_SECS", GRACE.as_secs().to_string())];
    let mut services = Pairs::new();
    for kind in &kinds {
        let start = |i: usize| {
            Service::start(&Launch {
                kind: *kind,
                database: url,
                log_dir: &suite.log_dir,
                name: &format!("{scenario}-{}-{i}", kind.binary()),
                env: &env,
            })
        };
        match (start(0), start(1)) {
            (Ok(a), Ok(b)) => services.push([a, b]),
            (a, b) => {
                setup.fail(format!(
                    "cannot start {}: {:?} {:?}",
                    kind.binary(),
                    a.err(),
                    b.err()
                ));
                return None;
            }
        }
    }
    for pair in &mut services {
        for service in pair.iter_mut() {
            if let Err(error) = service.wait_healthy(Duration::from_secs(30)).await {
                setup.fail(error);
                return None;
            }
        }
    }
    Some(services)
}

/// The address of instance `i` (0 or 1) of `kind`.
fn address(services: &Pairs, kind: Kind, i: usize) -> SocketAddr {
    services
        .iter()
        .find(|pair| pair[0].kind == kind)
        .map(|pair| pair[i].addr)
        .expect("started")
}

/// WebSocket feed clients on both ws-svc instances: the first instance's must see
/// close 1001, the second's must keep receiving events.
async fn open_feeds(services: &Pairs, setup: &mut Row) -> Feeds {
    let mut feeds = Feeds::new();
    for instance in 0..2 {
        for _ in 0..WS_CLIENTS {
            let url = format!(
                "ws://{}/api/ws/dummies/",
                address(services, Kind::Ws, instance)
            );
            match tokio_tungstenite::connect_async(url).await {
                Ok((socket, _)) => feeds.push((instance, tokio::spawn(watch_feed(socket)))),
                Err(error) => setup.fail(format!("feed connect: {error}")),
            }
        }
    }
    feeds
}

/// [`CLIENTS`] writers, spread evenly over the protocols, each with a client for both instances.
fn start_writers(services: &Pairs, deadline: Instant) -> Writers {
    let mut writers = Writers::new();
    for n in 0..CLIENTS {
        let proto = Proto::ALL[n % Proto::ALL.len()];
        let kind = match proto {
            Proto::Rest => Kind::Rest,
            Proto::JsonRpc | Proto::XmlRpc => Kind::Rpc,
            Proto::Grpc => Kind::Grpc,
            Proto::Graphql => Kind::Graphql,
        };
        let clients = [
            Client::new(proto, address(services, kind, 0)),
            Client::new(proto, address(services, kind, 1)),
        ];
        writers.push((proto, tokio::spawn(write_loop(n, clients, deadline))));
    }
    writers
}

/// A gRPC client-streaming call that never ends, on the instance to be stopped: it
/// must not keep that process alive past the grace period.
async fn hold_a_client_stream(addr: SocketAddr) -> JoinHandle<Result<(), tonic::Status>> {
    let mut echo = EchoServiceClient::connect(format!("http://{addr}"))
        .await
        .ok();
    tokio::spawn(async move {
        let first = EchoRequest {
            message: "held open".into(),
            delay_ms: 0,
        };
        let endless = futures_util::stream::iter([first]).chain(futures_util::stream::pending());
        match echo.as_mut() {
            Some(echo) => echo.client_streaming_echo(endless).await.map(drop),
            None => Ok(()),
        }
    })
}

/// SIGTERM to every first instance; times each exit.
async fn terminate_first_instances(services: &mut Pairs) -> Exits {
    let mut exits = Exits::new();
    let signalled = Instant::now();
    for pair in services.iter() {
        pair[0].terminate();
    }
    for pair in services.iter_mut() {
        let status = pair[0]
            .wait_exit(GRACE + EXIT_MARGIN + Duration::from_secs(5))
            .await;
        exits.push((pair[0].kind, status, signalled.elapsed()));
    }
    exits
}

async fn collect_ledgers(writers: Writers, setup: &mut Row) -> Vec<(Proto, Ledger)> {
    let mut ledgers = Vec::new();
    for (proto, writer) in writers {
        match writer.await {
            Ok(ledger) => ledgers.push((proto, ledger)),
            Err(error) => setup.fail(format!("a {} writer panicked: {error}", proto.name())),
        }
    }
    ledgers
}

/// One row per protocol: every failure was expected, and every row a client created
/// is in the state its ledger allows. Also returns how many rows of the table some
/// client claimed.
fn check_ledgers(
    scenario: &'static str,
    sigterm: bool,
    ledgers: &[(Proto, Ledger)],
    actual: &HashMap<i32, Fields>,
    elapsed: Duration,
) -> (Vec<Row>, usize) {
    let mut rows = Vec::new();
    let mut claimed = 0usize;
    for proto in Proto::ALL {
        let mut row = Row::new(scenario, proto.name());
        let (mut calls, mut acked, mut visible) = (0, 0, 0);
        for (_, ledger) in ledgers.iter().filter(|(p, _)| *p == proto) {
            calls += ledger.calls;
            acked += ledger.acknowledged;
            visible += ledger.failures.len();
            for failure in &ledger.failures {
                // Without SIGTERM nothing may fail; with it, only as a stopped server does.
                let expected = sigterm
                    && match failure {
                        Failure::Transport(_) => true,
                        Failure::Answered(what) => {
                            what.contains("503")
                                || what.contains("Unavailable")
                                || what.contains("UNAVAILABLE")
                        }
                    };
                if !expected {
                    row.fail(format!("a call failed: {failure}"));
                }
            }
            for (year, expect) in &ledger.rows {
                let found = actual.get(year).copied();
                claimed += usize::from(found.is_some());
                let (lost, what) = match expect {
                    Expect::Exact(want) if *want == found => (false, ""),
                    Expect::Exact(_) => (true, "acknowledged"),
                    Expect::Either(a, b) if found == *a || found == *b => (false, ""),
                    Expect::Either(..) => (true, "ambiguous (half-applied?)"),
                };
                if lost {
                    row.lost_writes += 1;
                    row.fail(format!(
                        "row tagged {year}: {what} state {expect:?}, database has {found:?}"
                    ));
                }
            }
        }
        row.cases = calls;
        row.note = format!(
            "{acked} acknowledged, {visible} failed visibly, {:.0} calls/s",
            acked as f64 / elapsed.as_secs_f64()
        );
        rows.push(row);
    }
    (rows, claimed)
}

/// Every row of the table was created by some client, and `count()` agrees.
async fn check_table(
    setup: &mut Row,
    store: &model::Store,
    actual: &HashMap<i32, Fields>,
    claimed: usize,
) {
    setup.check(claimed == actual.len(), || {
        format!(
            "{} rows in the table that no client created",
            actual.len() - claimed
        )
    });
    match store.count().await {
        Ok(count) => {
            setup.check(usize::try_from(count).ok() == Some(actual.len()), || {
                format!("count() says {count}, the table has {}", actual.len())
            });
        }
        Err(error) => setup.fail(format!("count: {error}")),
    }
}

/// Each stopped process exited cleanly within the grace period; the stopped ws-svc's
/// feed clients got 1001, the running one's kept receiving.
async fn check_shutdown(setup: &mut Row, exits: &Exits, feeds: Feeds) {
    let mut notes = Vec::new();
    for (kind, status, took) in exits {
        setup.check(
            status.is_some_and(|s| s.success()) && *took <= GRACE + EXIT_MARGIN,
            || format!("{} after SIGTERM: {status:?} after {took:?}", kind.binary()),
        );
        notes.push(format!(
            "{} exit {:.2} s",
            kind.binary(),
            took.as_secs_f64()
        ));
    }
    for (instance, feed) in feeds {
        match feed.await {
            Ok(seen) if instance == 0 => {
                setup.check(seen.close == Some(CloseCode::Away), || {
                    format!(
                        "a feed client of the stopped ws-svc got {:?}, not 1001",
                        seen.close
                    )
                });
            }
            Ok(seen) => {
                setup.check(seen.close.is_none() && seen.events > 0, || {
                    format!(
                        "a feed client of the running ws-svc: {} events, closed {:?}",
                        seen.events, seen.close
                    )
                });
            }
            Err(error) => setup.fail(format!("a feed client panicked: {error}")),
        }
    }
    setup.note = notes.join(", ");
}

/// Panics and the peak memory of every process, for the setup row.
fn account_resources(setup: &mut Row, services: &Pairs) {
    let mut peak = 0;
    for pair in services {
        for service in pair {
            setup.panics += service.panics() as u64;
            peak = peak.max(service.peak_rss_kib().unwrap_or(0));
        }
    }
    setup.peak_rss_mib = (peak > 0).then(|| mib(peak));
    setup.cases += 1;
}

/// One writer: creates, patches and deletes its own rows until `deadline`,
/// alternating between the two instances, and keeping to one when the other stops answering.
async fn write_loop(n: usize, clients: [Client; 2], deadline: Instant) -> Ledger {
    let mut ledger = Ledger::default();
    let tag_base = i32::try_from(n + 1).expect("few clients") * 1_000_000;
    let mut seq = 0;
    let mut preferred = n % 2;
    let mut down = [false; 2];
    while Instant::now() < deadline {
        if down[preferred] && !down[1 - preferred] {
            preferred = 1 - preferred;
        }
        ledger.calls += 1;
        let client = &clients[preferred];
        let roll = fastrand::u8(..100);
        let failure = if ledger.live.len() < 3 || roll < 40 {
            seq += 1;
            let year = tag_base + seq;
            let fields = Fields::random(year);
            match client.create(fields).await {
                Ok((id, got)) if got == fields => {
                    ledger.rows.insert(year, Expect::Exact(Some(fields)));
                    ledger.live.push((year, id));
                    None
                }
                Ok((_, got)) => {
                    ledger.rows.insert(year, Expect::Either(None, Some(fields)));
                    Some(Failure::Answered(format!(
                        "create answered {got:?}, sent {fields:?}"
                    )))
                }
                Err(failure) => {
                    ledger.rows.insert(year, Expect::Either(None, Some(fields)));
                    Some(failure)
                }
            }
        } else {
            let index = fastrand::usize(..ledger.live.len());
            let (year, id) = ledger.live[index];
            let Some(Expect::Exact(Some(before))) = ledger.rows.get(&year).cloned() else {
                unreachable!("live rows are acknowledged and present");
            };
            if roll < 80 {
                let patch = Patch::random();
                let after = patch.apply(before);
                match client.patch(id, patch).await {
                    Ok(got) if got == after => {
                        ledger.rows.insert(year, Expect::Exact(Some(after)));
                        None
                    }
                    other => {
                        ledger.live.swap_remove(index);
                        ledger
                            .rows
                            .insert(year, Expect::Either(Some(before), Some(after)));
                        Some(other.err().unwrap_or_else(|| {
                            Failure::Answered("patch answered other values".into())
                        }))
                    }
                }
            } else {
                ledger.live.swap_remove(index);
                match client.delete(id).await {
                    Ok(()) => {
                        ledger.rows.insert(year, Expect::Exact(None));
                        None
                    }
                    Err(failure) => {
                        ledger.rows.insert(year, Expect::Either(Some(before), None));
                        Some(failure)
                    }
                }
            }
        };
        match failure {
            None => {
                ledger.acknowledged += 1;
                preferred = 1 - preferred;
            }
            Some(failure) => {
                // An instance that does not answer at all is gone: use the other one.
                if matches!(failure, Failure::Transport(_)) {
                    down[preferred] = true;
                }
                ledger.failures.push(failure);
                preferred = 1 - preferred;
                tokio::time::sleep(Duration::from_millis(20)).await;
            }
        }
    }
    ledger
}

/// What a feed client saw.
struct FeedSeen {
    events: u64,
    close: Option<CloseCode>,
}

/// Reads a feed until it closes, or for at most a minute and a half.
async fn watch_feed<S>(mut socket: tokio_tungstenite::WebSocketStream<S>) -> FeedSeen
where
    S: tokio::io::AsyncRead + tokio::io::AsyncWrite + Unpin,
{
    let mut seen = FeedSeen {
        events: 0,
        close: None,
    };
    let limit = Instant::now() + Duration::from_secs(90);
    loop {
        let remaining = limit.saturating_duration_since(Instant::now());
        match tokio::time::timeout(remaining.min(Duration::from_secs(3)), socket.next()).await {
            Ok(Some(Ok(Message::Text(_)))) => seen.events += 1,
            Ok(Some(Ok(Message::Close(frame)))) => {
                seen.close = frame.map(|f| f.code);
                return seen;
            }
            Ok(Some(Ok(_))) => {}
            Ok(Some(Err(_)) | None) => return seen,
            // Quiet for 3 s: the writers are done.
            Err(_) => return seen,
        }
    }
}

/// Every row in the table, by year tag.
async fn all_rows(store: &model::Store) -> Result<HashMap<i32, Fields>, model::Error> {
    let mut rows = HashMap::new();
    let mut after = None;
    loop {
        let page = store
            .list(model::ListQuery {
                after,
                limit: Some(1000),
                ..Default::default()
            })
            .await?;
        let Some(last) = page.last() else { break };
        after = Some(last.id);
        for dummy in &page {
            let fields = Fields {
                day: dummy.day.get(),
                weekday: weekday_number(dummy.weekday.as_str()).unwrap_or(0),
                month: month_number(dummy.month.as_str()).unwrap_or(0),
                year: dummy.year,
            };
            rows.insert(dummy.year, fields);
        }
    }
    Ok(rows)
}

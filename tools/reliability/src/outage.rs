//! Database outage and recovery.
//!
//! **PostgreSQL.** The five services reach the machine's PostgreSQL through a TCP
//! [`Proxy`] the suite controls. Cutting it closes every connection and refuses new
//! ones, which is what the services see when the database stops. While it is down:
//!
//! | who | what the client gets |
//! |---|---|
//! | REST | `503` with a JSON body and `Retry-After` |
//! | JSON-RPC | error object, code `4` |
//! | XML-RPC | `<fault>`, faultCode `4` |
//! | gRPC | status `UNAVAILABLE`; health `NOT_SERVING` |
//! | GraphQL | `200` with an error whose `extensions.code` is `UNAVAILABLE` |
//! | `/healthz` | `503` |
//! | WebSocket feed | stays open: `{"event":"interrupted"}`, later `{"event":"resumed"}`; a feed opened while down closes with 1013 |
//! | WebSocket chat | stays open; each message gets `{"error":"the room is unavailable…"}` |
//! | gRPC WatchDummies | ends with `UNAVAILABLE`; so does a new one; a watch started after the return works |
//! | GraphQL `dummyChanged` | stays open: a `FeedInterrupted` event, later `FeedResumed`; a subscription opened while down gets a `next` message whose error has code `UNAVAILABLE`, then `complete` |
//! | Server-Sent Events | stays open: an `interrupted` event, later `resumed`, then the changes |
//!
//! and no call takes longer than `DB_TIMEOUT_SECS` (set to 2 s here) plus a margin.
//! Then the proxy is restored and the suite times how long each protocol takes to
//! answer again, without restarting anything.
//!
//! **SQLite.** Another process holds an exclusive lock on the database file. Writes
//! wait SQLite's busy timeout (5 s) and then get the same "unavailable" answers; reads
//! keep working (WAL mode); once the lock is released writes work again.

use std::net::{SocketAddr, ToSocketAddrs};
use std::time::{Duration, Instant};

use diesel::{Connection, PgConnection, RunQueryDsl, SqliteConnection};
use futures_util::future::join_all;
use futures_util::stream::SplitSink;
use futures_util::{SinkExt, StreamExt};
use grpc_pb::dummy::dummy_service_client::DummyServiceClient;
use grpc_pb::dummy::{DummyEvent, WatchDummiesRequest};
use serde_json::Value;
use tokio::sync::mpsc;
use tokio_tungstenite::tungstenite::Message;
use tokio_util::sync::CancellationToken;
use tonic::Streaming;
use tonic::transport::Channel;

use crate::Suite;
use crate::procs::{Kind, Launch, Service, grpc_serving};
use crate::proxy::Proxy;
use crate::report::{Row, mib};
use clients::{Client, Failure, Fields, Proto};

/// `DB_TIMEOUT_SECS` given to the services: how long a request waits for a connection.
pub(crate) const DB_TIMEOUT: Duration = Duration::from_secs(2);
/// What a call may take on top of that before it counts as hanging.
pub(crate) const MARGIN: Duration = Duration::from_secs(3);
/// How long recovery may take before it counts as failed.
const RECOVERY_LIMIT: Duration = Duration::from_secs(30);

/// Runs the PostgreSQL outage, a table locked under a one-connection pool, then the
/// locked SQLite file.
pub async fn run(suite: &Suite) -> Vec<Row> {
    let mut rows = postgres_outage(suite).await;
    rows.extend(pool_exhausted(suite).await);
    rows.extend(sqlite_locked(suite).await);
    rows
}

/// The database is up but a query is stuck: another session holds an exclusive lock
/// on the table. With a pool of one connection, the first call waits on the lock
/// until `DB_STATEMENT_TIMEOUT_SECS` (2 s here) cancels it; a second call waits
/// `DB_TIMEOUT_SECS` (1 s) for the busy connection. Both answer "unavailable" in
/// time, and once the lock is gone every call works again.
async fn pool_exhausted(suite: &Suite) -> Vec<Row> {
    let mut rows: Vec<Row> = Proto::ALL
        .into_iter()
        .map(|p| Row::new("stuck query", p.name()))
        .collect();
    let mut stack_row = Row::new("stuck query", "all");
    let db = suite.database();
    let store = db.migrated_store().await;
    let seeded = store
        .create(model::NewDummy::parse(&fields_of(Fields::random(7))).expect("valid"))
        .await
        .expect("create a row");
    let id = seeded.id.0;
    let env = [
        ("DB_POOL_SIZE", "1".to_owned()),
        ("DB_TIMEOUT_SECS", "1".to_owned()),
        ("DB_STATEMENT_TIMEOUT_SECS", "2".to_owned()),
    ];
    let stack = match start_stack(suite, db.url.expose(), "stuck-query", &env).await {
        Ok(stack) => stack,
        Err(error) => {
            stack_row.fail(error);
            return vec![stack_row];
        }
    };
    let clients = stack.clients();
    for ((_, client), row) in clients.iter().zip(rows.iter_mut()) {
        let got = client.get(id).await;
        row.check(got.is_ok(), || format!("get before the lock: {got:?}"));
    }

    let mut locker = PgConnection::establish(db.url.expose()).expect("connect");
    diesel::sql_query("BEGIN")
        .execute(&mut locker)
        .expect("begin");
    diesel::sql_query("LOCK TABLE dummies IN ACCESS EXCLUSIVE MODE")
        .execute(&mut locker)
        .expect("lock the table");
    let probes = join_all(clients.iter().map(|(_, client)| async move {
        let at = Instant::now();
        let stuck = async { (client.get(id).await, at.elapsed()) };
        let waiting = async {
            tokio::time::sleep(Duration::from_millis(300)).await;
            (client.get(id).await, at.elapsed())
        };
        tokio::join!(stuck, waiting)
    }))
    .await;
    for (((proto, _), row), ((stuck, stuck_took), (waiting, waiting_took))) in
        clients.iter().zip(rows.iter_mut()).zip(probes)
    {
        // JSON-RPC and XML-RPC share one rpc-svc, so one pool: either may be the one stuck.
        for (what, answer, took) in [
            ("stuck", stuck, stuck_took),
            ("waiting", waiting, waiting_took),
        ] {
            row.check(
                answer
                    .as_ref()
                    .err()
                    .is_some_and(|f| is_unavailable(*proto, f)),
                || format!("{what} call while the table is locked: {answer:?}"),
            );
            row.check(took <= Duration::from_secs(2) + MARGIN, || {
                format!("{what} call took {took:?}")
            });
        }
    }
    diesel::sql_query("COMMIT")
        .execute(&mut locker)
        .expect("release the lock");
    let released = Instant::now();
    for ((_, client), row) in clients.iter().zip(rows.iter_mut()) {
        let recovered = until_ok(|| async { client.get(id).await.is_ok() }).await;
        row.check(recovered.is_some(), || {
            "no recovery after the lock".to_owned()
        });
        row.recovery = Some(released.elapsed());
    }
    for service in stack.all() {
        stack_row.panics += service.panics() as u64;
    }
    stack_row.cases += 1;
    stack_row.note = "pool of 1, DB_TIMEOUT_SECS=1, DB_STATEMENT_TIMEOUT_SECS=2".to_owned();
    rows.push(stack_row);
    rows
}

/// The host and port of a `postgres://` URL.
pub(crate) fn server_addr(url: &str) -> Option<SocketAddr> {
    let rest = url.split_once("://")?.1;
    let authority = rest.split(['/', '?']).next()?;
    let host_port = authority.rsplit('@').next()?;
    let with_port = if host_port.contains(':') {
        host_port.to_owned()
    } else {
        format!("{host_port}:5432")
    };
    with_port.to_socket_addrs().ok()?.next()
}

/// The same URL with its host and port replaced.
pub(crate) fn through(url: &str, addr: SocketAddr) -> String {
    let (scheme, rest) = url.split_once("://").expect("a URL");
    let (authority, tail) = match rest.find(['/', '?']) {
        Some(i) => rest.split_at(i),
        None => (rest, ""),
    };
    let userinfo = authority
        .rsplit_once('@')
        .map_or(String::new(), |(u, _)| format!("{u}@"));
    format!("{scheme}://{userinfo}{addr}{tail}")
}

struct Stack {
    rest: Service,
    rpc: Service,
    grpc: Service,
    ws: Service,
    graphql: Service,
}

impl Stack {
    fn all(&self) -> [&Service; 5] {
        [&self.rest, &self.rpc, &self.grpc, &self.ws, &self.graphql]
    }

    /// One client per protocol, in [`Proto::ALL`]'s order.
    fn clients(&self) -> Vec<(Proto, Client)> {
        Proto::ALL
            .into_iter()
            .map(|p| (p, Client::new(p, self.addr(p))))
            .collect()
    }

    fn addr(&self, proto: Proto) -> SocketAddr {
        match proto {
            Proto::Rest => self.rest.addr,
            Proto::JsonRpc | Proto::XmlRpc => self.rpc.addr,
            Proto::Grpc => self.grpc.addr,
            Proto::Graphql => self.graphql.addr,
        }
    }
}

async fn start_stack(
    suite: &Suite,
    database: &str,
    prefix: &str,
    env: &[(&str, String)],
) -> anyhow::Result<Stack> {
    let start = |kind: Kind| {
        Service::start(&Launch {
            kind,
            database,
            log_dir: &suite.log_dir,
            name: &format!("{prefix}-{}", kind.binary()),
            env,
        })
        .map_err(|e| anyhow::anyhow!("start {}: {e}", kind.binary()))
    };
    let mut stack = Stack {
        rest: start(Kind::Rest)?,
        rpc: start(Kind::Rpc)?,
        grpc: start(Kind::Grpc)?,
        ws: start(Kind::Ws)?,
        graphql: start(Kind::Graphql)?,
    };
    for service in [
        &mut stack.rest,
        &mut stack.rpc,
        &mut stack.grpc,
        &mut stack.ws,
        &mut stack.graphql,
    ] {
        service.wait_healthy(Duration::from_secs(30)).await?;
    }
    Ok(stack)
}

/// The "unavailable" answer each protocol documents.
pub(crate) fn is_unavailable(proto: Proto, failure: &Failure) -> bool {
    let want = match proto {
        Proto::Rest => "HTTP 503",
        Proto::JsonRpc => "JSON-RPC error 4",
        Proto::XmlRpc => "XML-RPC fault 4",
        Proto::Grpc => "gRPC Unavailable",
        Proto::Graphql => "GraphQL error UNAVAILABLE",
    };
    matches!(failure, Failure::Answered(what) if what == want)
}

/// The PostgreSQL outage: the stack behind the proxy, then `cycles` times cut, probe
/// while down, restore, and check that everything recovers.
async fn postgres_outage(suite: &Suite) -> Vec<Row> {
    let mut outage = match PgOutage::start(suite).await {
        Ok(outage) => outage,
        Err(row) => return vec![*row],
    };
    outage.read_before().await;
    outage.open_feeds().await;
    let cycles = suite.mode.pick(1, 3);
    let down_for = suite
        .mode
        .pick(Duration::from_secs(7), Duration::from_secs(20));
    for cycle in 0..cycles {
        outage.cycle(cycle, down_for).await;
    }
    outage.finish(cycles, down_for)
}

/// The chat member's sending half, and its frames as they come.
type Chat = (
    SplitSink<clients::ws::Socket, Message>,
    mpsc::UnboundedReceiver<String>,
);

/// What the outage scenario holds from one step to the next.
struct PgOutage {
    /// One row per protocol, in [`Proto::ALL`]'s order.
    rows: Vec<Row>,
    /// Health, feeds, chat and recovery of the stack as a whole.
    stack_row: Row,
    clients: Vec<(Proto, Client)>,
    http: reqwest::Client,
    /// A row seeded straight in the database, read by every probe.
    id: i64,
    feed_url: String,
    feed: Option<mpsc::UnboundedReceiver<String>>,
    /// `ws://…/api/graphql`
    graphql_url: String,
    /// The GraphQL subscription's messages.
    subscription: Option<mpsc::UnboundedReceiver<String>>,
    /// The Server-Sent Events stream's events, as `name data`.
    sse: Option<mpsc::UnboundedReceiver<String>>,
    chat: Option<Chat>,
    grpc: DummyServiceClient<Channel>,
    watch: Result<Streaming<DummyEvent>, tonic::Status>,
    stack: Stack,
    proxy: Proxy,
    _store: model::Store,
    _db: test_support::TestDb,
}

impl PgOutage {
    /// A database, the proxy in front of it, the four services behind the proxy and a
    /// row to read. The row of the failure when any of it cannot be had.
    async fn start(suite: &Suite) -> Result<PgOutage, Box<Row>> {
        let mut stack_row = Row::new("outage", "health and feeds");
        let db = suite.database();
        let store = db.migrated_store().await;
        let Some(upstream) = server_addr(db.url.expose()) else {
            stack_row.fail(format!(
                "cannot find the server in {}",
                suite.postgres.split('@').next_back().unwrap_or_default()
            ));
            return Err(Box::new(stack_row));
        };
        let proxy = match Proxy::start(upstream).await {
            Ok(proxy) => proxy,
            Err(error) => {
                stack_row.fail(format!("cannot start the proxy: {error}"));
                return Err(Box::new(stack_row));
            }
        };
        let url = through(db.url.expose(), proxy.addr);
        let env = [
            ("DB_TIMEOUT_SECS", DB_TIMEOUT.as_secs().to_string()),
            ("GRPC_HEALTH_INTERVAL_SECS", "1".to_owned()),
        ];
        let stack = match start_stack(suite, &url, "outage-pg", &env).await {
            Ok(stack) => stack,
            Err(error) => {
                stack_row.fail(error);
                return Err(Box::new(stack_row));
            }
        };
        let seeded = store
            .create(model::NewDummy::parse(&fields_of(Fields::random(1))).expect("valid"))
            .await
            .expect("create a row");
        let grpc = DummyServiceClient::connect(format!("http://{}", stack.grpc.addr))
            .await
            .expect("connect to grpc-svc");
        Ok(PgOutage {
            rows: Proto::ALL
                .into_iter()
                .map(|p| Row::new("outage", p.name()))
                .collect(),
            stack_row,
            clients: stack.clients(),
            http: reqwest::Client::builder()
                .timeout(DB_TIMEOUT + MARGIN)
                .build()
                .expect("an HTTP client"),
            id: seeded.id.0,
            feed_url: format!("ws://{}/api/ws/dummies/", stack.ws.addr),
            feed: None,
            graphql_url: format!("ws://{}/api/graphql", stack.graphql.addr),
            subscription: None,
            sse: None,
            chat: None,
            grpc,
            watch: Err(tonic::Status::unavailable("not yet opened")),
            stack,
            proxy,
            _store: store,
            _db: db,
        })
    }

    /// Every protocol reads the row while the database is up.
    async fn read_before(&mut self) {
        for ((proto, client), row) in self.clients.iter().zip(self.rows.iter_mut()) {
            let got = client.get(self.id).await;
            row.check(got.is_ok(), || {
                format!("{} get before the outage: {got:?}", proto.name())
            });
        }
    }

    /// The WebSocket feed, the GraphQL subscription, a chat member and the gRPC watch,
    /// open before the outage.
    async fn open_feeds(&mut self) {
        match clients::ws::connect(&self.feed_url).await {
            Ok(socket) => self.feed = Some(read_feed(socket)),
            Err(error) => self.stack_row.fail(format!("feed connect: {error}")),
        }
        match crate::feed::subscribe_live(self.stack.graphql.addr, self.stack.rest.addr).await {
            Ok(socket) => self.subscription = Some(read_feed(socket)),
            Err(error) => self
                .stack_row
                .fail(format!("GraphQL subscription: {error}")),
        }
        let sse_url = format!("http://{}/api/sse/dummies", self.stack.rest.addr);
        match clients::sse::connect(&reqwest::Client::new(), &sse_url, None).await {
            Ok(stream) => self.sse = Some(read_sse(stream)),
            Err(error) => self.stack_row.fail(format!("SSE connect: {error}")),
        }
        let chat_url = format!("ws://{}/api/ws/chat/outage/", self.stack.ws.addr);
        match clients::ws::connect(&chat_url).await {
            Ok(socket) => {
                let (sink, stream) = socket.split();
                self.chat = Some((sink, read_feed(stream)));
            }
            Err(error) => self.stack_row.fail(format!("chat connect: {error}")),
        }
        self.watch = self.open_watch().await;
        let watch = &self.watch;
        self.stack_row.check(watch.is_ok(), || {
            format!("watch before the outage: {watch:?}")
        });
    }

    async fn open_watch(&self) -> Result<Streaming<DummyEvent>, tonic::Status> {
        self.grpc
            .clone()
            .watch_dummies(WatchDummiesRequest::default())
            .await
            .map(tonic::Response::into_inner)
    }

    /// One outage: cut, the feeds notice, late subscribers are refused, a chat member
    /// keeps talking, every protocol answers "unavailable" for `down_for`; then
    /// restore, and everything recovers.
    async fn cycle(&mut self, cycle: usize, down_for: Duration) {
        self.proxy.cut().await;
        let cut_at = Instant::now();
        self.feeds_notice(cycle).await;
        // Subscribing while it is down: refused in each protocol's own form once the
        // listener's start timeout (5 s) has passed.
        let late_feed = {
            let url = self.feed_url.clone();
            tokio::spawn(async move {
                let socket = clients::ws::connect(&url).await?;
                let mut texts = read_feed(socket);
                wait_for_text(&mut texts, "closed", Duration::from_secs(15)).await
            })
        };
        let late_subscription = {
            let url = self.graphql_url.clone();
            tokio::spawn(async move {
                let socket =
                    clients::graphql::subscribe(&url, SUBSCRIPTION, &serde_json::json!({}))
                        .await
                        .map_err(anyhow::Error::msg)?;
                let mut texts = read_feed(socket);
                wait_for_text(&mut texts, "UNAVAILABLE", Duration::from_secs(15)).await
            })
        };
        let late_watch = {
            let mut grpc = self.grpc.clone();
            tokio::spawn(async move {
                grpc.watch_dummies(WatchDummiesRequest::default())
                    .await
                    .map(drop)
            })
        };
        let chatting = CancellationToken::new();
        let chat_task = self
            .chat
            .take()
            .map(|chat| keep_chatting(chat, chatting.clone()));
        while cut_at.elapsed() < down_for {
            self.probe_while_down(cut_at).await;
        }
        chatting.cancel();
        if let Some(task) = chat_task {
            match task.await {
                Ok((chat, sent, errors, closed)) => {
                    self.stack_row.check(errors > 0 && closed.is_none(), || {
                        format!(
                            "cycle {cycle}: chat while down: {errors} error frames for {sent} messages, ended: {closed:?}"
                        )
                    });
                    self.chat = Some(chat);
                }
                Err(error) => self
                    .stack_row
                    .fail(format!("the chat client panicked: {error}")),
            }
        }
        let late = late_feed.await.map_err(anyhow::Error::from).and_then(|r| r);
        self.stack_row
            .check(late.as_ref().is_ok_and(|c| c.contains("Again")), || {
                format!("cycle {cycle}: a feed opened while down: {late:?} (want close 1013)")
            });
        let late = late_subscription
            .await
            .map_err(anyhow::Error::from)
            .and_then(|r| r);
        self.stack_row
            .check(late.as_ref().is_ok_and(|e| e.contains("UNAVAILABLE")), || {
                format!("cycle {cycle}: a GraphQL subscription opened while down: {late:?} (want an error with code UNAVAILABLE)")
            });
        let late = late_watch.await;
        self.stack_row.check(
            matches!(&late, Ok(Err(s)) if s.code() == tonic::Code::Unavailable),
            || format!("cycle {cycle}: a watch started while down: {late:?}"),
        );

        self.proxy.restore().await.expect("restore the proxy");
        let back_at = Instant::now();
        self.time_recovery(cycle, back_at).await;
        self.feeds_resume(cycle).await;
        self.stack_row.recovery = self.stack_row.recovery.max(Some(back_at.elapsed()));
    }

    /// The WebSocket feed says "interrupted", the GraphQL subscription sends
    /// `FeedInterrupted`; the gRPC watch ends with UNAVAILABLE.
    async fn feeds_notice(&mut self, cycle: usize) {
        if let Some(socket) = self.feed.as_mut() {
            let saw = wait_for_text(socket, "interrupted", Duration::from_secs(10)).await;
            self.stack_row.check(saw.is_ok(), || {
                format!("cycle {cycle}: the WebSocket feed did not say interrupted: {saw:?}")
            });
        }
        if let Some(texts) = self.subscription.as_mut() {
            let saw = wait_for_text(texts, "FeedInterrupted", Duration::from_secs(10)).await;
            self.stack_row.check(saw.is_ok(), || {
                format!(
                    "cycle {cycle}: the GraphQL subscription did not send FeedInterrupted: {saw:?}"
                )
            });
        }
        if let Some(events) = self.sse.as_mut() {
            let saw = wait_for_text(events, "interrupted ", Duration::from_secs(10)).await;
            self.stack_row.check(saw.is_ok(), || {
                format!("cycle {cycle}: the SSE stream sent no interrupted event: {saw:?}")
            });
        }
        if let Ok(stream) = self.watch.as_mut() {
            let ended = tokio::time::timeout(Duration::from_secs(10), stream.message()).await;
            let unavailable = matches!(&ended, Ok(Err(s)) if s.code() == tonic::Code::Unavailable);
            self.stack_row.check(unavailable, || {
                format!("cycle {cycle}: the gRPC watch did not end with UNAVAILABLE: {ended:?}")
            });
        }
    }

    /// One round of probes while the database is down: every protocol answers
    /// "unavailable" in time, REST's 503 says when to retry, health says so too.
    async fn probe_while_down(&mut self, cut_at: Instant) {
        let id = self.id;
        let probes = join_all(self.clients.iter().map(|(_, client)| async move {
            let at = Instant::now();
            let (read, write) = tokio::join!(client.get(id), client.create(Fields::random(2)));
            (read, write, at.elapsed())
        }))
        .await;
        for (((proto, _), row), (read, write, took)) in
            self.clients.iter().zip(self.rows.iter_mut()).zip(probes)
        {
            for (what, failure) in [("get", read.err()), ("create", write.map(drop).err())] {
                row.check(
                    failure.as_ref().is_some_and(|f| is_unavailable(*proto, f)),
                    || format!("{what} while down: {failure:?}"),
                );
            }
            row.check(took <= DB_TIMEOUT + MARGIN, || {
                format!("get and create while down took {took:?}")
            });
        }
        let rest = self
            .http
            .get(format!("{}/api/rest/dummies/{id}", self.stack.rest.base()))
            .send()
            .await;
        match rest {
            Ok(response) => {
                let retry_after = response.headers().contains_key("retry-after");
                let body = response.json::<Value>().await;
                self.rows[0].check(retry_after && body.is_ok(), || {
                    format!("503 without Retry-After or JSON body: {body:?}")
                });
            }
            Err(error) => self.rows[0].fail(format!("REST while down: {error}")),
        }
        for service in [
            &self.stack.rest,
            &self.stack.rpc,
            &self.stack.ws,
            &self.stack.graphql,
        ] {
            let health = self
                .http
                .get(format!("{}/healthz", service.base()))
                .send()
                .await;
            let status = health.as_ref().map(|r| r.status().as_u16()).ok();
            self.stack_row.check(status == Some(503), || {
                format!("{} /healthz while down: {status:?}", service.kind.binary())
            });
        }
        // The health monitor checks every second (GRPC_HEALTH_INTERVAL_SECS=1).
        if cut_at.elapsed() > DB_TIMEOUT + Duration::from_secs(2) {
            let serving = grpc_serving(self.stack.grpc.addr).await;
            self.stack_row.check(serving == Some(false), || {
                format!("gRPC health while down: {serving:?} (want NOT_SERVING)")
            });
        }
    }

    /// The time each protocol takes to answer again after the restore, and health.
    async fn time_recovery(&mut self, cycle: usize, back_at: Instant) {
        let id = self.id;
        for ((proto, client), row) in self.clients.iter().zip(self.rows.iter_mut()) {
            let recovered = until_ok(|| async { client.get(id).await.is_ok() }).await;
            row.check(recovered.is_some(), || {
                format!("cycle {cycle}: {} did not recover", proto.name())
            });
            let since = recovered.map(|_| back_at.elapsed());
            row.recovery = row.recovery.max(since);
        }
        let (stack, http) = (&self.stack, &self.http);
        let healthy = until_ok(|| async {
            let mut all = grpc_serving(stack.grpc.addr).await == Some(true);
            for service in [&stack.rest, &stack.rpc, &stack.ws, &stack.graphql] {
                let health = http.get(format!("{}/healthz", service.base())).send().await;
                all &= health.is_ok_and(|r| r.status().is_success());
            }
            all
        })
        .await;
        self.stack_row.check(healthy.is_some(), || {
            format!("cycle {cycle}: health did not recover")
        });
    }

    /// The WebSocket feed and the GraphQL subscription resume on the same connection,
    /// the gRPC watch is made anew, and a new write reaches all three; the chat member
    /// is heard again.
    async fn feeds_resume(&mut self, cycle: usize) {
        if let Some(socket) = self.feed.as_mut() {
            let resumed = wait_for_text(socket, "resumed", RECOVERY_LIMIT).await;
            self.stack_row.check(resumed.is_ok(), || {
                format!("cycle {cycle}: the feed did not resume: {resumed:?}")
            });
        }
        if let Some(texts) = self.subscription.as_mut() {
            let resumed = wait_for_text(texts, "FeedResumed", RECOVERY_LIMIT).await;
            self.stack_row.check(resumed.is_ok(), || {
                format!(
                    "cycle {cycle}: the GraphQL subscription did not send FeedResumed: {resumed:?}"
                )
            });
        }
        if let Some(events) = self.sse.as_mut() {
            let resumed = wait_for_text(events, "resumed ", RECOVERY_LIMIT).await;
            self.stack_row.check(resumed.is_ok(), || {
                format!("cycle {cycle}: the SSE stream sent no resumed event: {resumed:?}")
            });
        }
        self.watch = Err(tonic::Status::unavailable("not yet"));
        for _ in 0..100 {
            self.watch = self.open_watch().await;
            if self.watch.is_ok() {
                break;
            }
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
        let created = self.clients[0].1.create(Fields::random(3)).await;
        self.stack_row.check(created.is_ok(), || {
            format!("create after recovery: {created:?}")
        });
        if let (Some(socket), Ok((new_id, _))) = (self.feed.as_mut(), &created) {
            let event =
                wait_for_text(socket, &format!("\"id\":{new_id}"), Duration::from_secs(10)).await;
            self.stack_row.check(event.is_ok(), || {
                format!("cycle {cycle}: no feed event after recovery: {event:?}")
            });
        }
        if let (Some(events), Ok((new_id, _))) = (self.sse.as_mut(), &created) {
            let event = wait_for_text(
                events,
                &format!("\"id\":{new_id},"),
                Duration::from_secs(10),
            )
            .await;
            self.stack_row.check(event.is_ok(), || {
                format!("cycle {cycle}: no SSE event after recovery: {event:?}")
            });
        }
        if let (Some(texts), Ok((new_id, _))) = (self.subscription.as_mut(), &created) {
            let event = wait_for_text(
                texts,
                &format!("\"id\":\"{new_id}\""),
                Duration::from_secs(10),
            )
            .await;
            self.stack_row.check(event.is_ok(), || {
                format!("cycle {cycle}: no GraphQL event after recovery: {event:?}")
            });
        }
        match (self.watch.as_mut(), &created) {
            (Ok(stream), Ok((new_id, _))) => {
                let event = tokio::time::timeout(Duration::from_secs(10), stream.message()).await;
                let seen = matches!(&event, Ok(Ok(Some(e))) if e.dummy.as_ref().is_some_and(|d| d.id == *new_id));
                self.stack_row.check(seen, || {
                    format!("cycle {cycle}: no gRPC watch event after recovery: {event:?}")
                });
            }
            (Err(status), _) => self
                .stack_row
                .fail(format!("cycle {cycle}: watch after recovery: {status}")),
            _ => {}
        }
        if let Some((sink, texts)) = self.chat.as_mut() {
            let said = format!("after outage {cycle}");
            let _ = sink
                .send(Message::text(format!("{{\"message\":\"{said}\"}}")))
                .await;
            let heard = wait_for_text(texts, &said, Duration::from_secs(10)).await;
            self.stack_row.check(heard.is_ok(), || {
                format!("cycle {cycle}: chat after recovery: {heard:?}")
            });
        }
    }

    /// The rows, with the stack's panics, peak memory and a note.
    fn finish(mut self, cycles: usize, down_for: Duration) -> Vec<Row> {
        let mut peak = 0;
        for service in self.stack.all() {
            self.stack_row.panics += service.panics() as u64;
            peak = peak.max(service.peak_rss_kib().unwrap_or(0));
        }
        self.stack_row.peak_rss_mib = Some(mib(peak));
        self.stack_row.note = format!(
            "{cycles} outage(s) of {} s; the proxy carried {} connections",
            down_for.as_secs(),
            self.proxy.connections()
        );
        self.rows.push(self.stack_row);
        self.rows
    }
}

/// A chat member keeps talking while the database is down: each message gets an error
/// frame and the connection stays open (an outage is not the client's fault). Ends
/// when `stop` is cancelled: the chat, messages sent, error frames, and how it ended
/// if it did.
fn keep_chatting(
    chat: Chat,
    stop: CancellationToken,
) -> tokio::task::JoinHandle<(Chat, u32, u32, Option<anyhow::Error>)> {
    let (mut sink, mut texts) = chat;
    tokio::spawn(async move {
        let (mut sent, mut errors, mut closed) = (0, 0, None);
        while !stop.is_cancelled() && closed.is_none() {
            sent += 1;
            let text = format!("{{\"message\":\"during outage {sent}\"}}");
            let _ = sink.send(Message::text(text)).await;
            match wait_for_text(&mut texts, "{", Duration::from_secs(10)).await {
                Ok(reply) if reply.contains("unavailable") => errors += 1,
                Ok(_) => {}
                Err(why) => closed = Some(why),
            }
            tokio::time::sleep(Duration::from_millis(200)).await;
        }
        ((sink, texts), sent, errors, closed)
    })
}

fn fields_of(f: Fields) -> model::DummyFields {
    let mut fields = model::DummyFields::default();
    fields.set("day", model::Value::Int(i64::from(f.day)));
    fields.set(
        "weekday",
        model::Value::Text(clients::weekday_name(f.weekday).to_owned()),
    );
    fields.set(
        "month",
        model::Value::Text(clients::month_name(f.month).to_owned()),
    );
    fields.set("year", model::Value::Int(i64::from(f.year)));
    fields
}

/// Polls `probe` every 100 ms until it holds; the time it took, or `None` after the limit.
pub(crate) async fn until_ok<F, Fut>(mut probe: F) -> Option<Duration>
where
    F: FnMut() -> Fut,
    Fut: std::future::Future<Output = bool>,
{
    let started = Instant::now();
    while started.elapsed() < RECOVERY_LIMIT {
        if probe().await {
            return Some(started.elapsed());
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    None
}

/// What a GraphQL subscription opened while the database is down asks for.
const SUBSCRIPTION: &str = "subscription { dummyChanged { __typename } }";

/// Reads a WebSocket in the background (so pings are answered while the suite does
/// other things) and passes on each text frame, then a last line saying how it ended.
/// The named events of a Server-Sent Events stream, each as `name data`, in a channel;
/// a last `closed: …` when the stream ends.
fn read_sse(mut stream: clients::sse::EventStream) -> mpsc::UnboundedReceiver<String> {
    let (tx, rx) = mpsc::unbounded_channel();
    tokio::spawn(async move {
        loop {
            let text = match stream.next().await {
                Ok(Some(event)) => match event.event {
                    Some(name) => format!("{name} {}", event.data),
                    None => continue,
                },
                // `next` gives up after a quiet while; the stream itself goes on.
                Err(quiet) if quiet.starts_with("nothing within") => continue,
                Ok(None) => "closed: the stream ended".to_owned(),
                Err(error) => format!("closed: {error}"),
            };
            let closed = text.starts_with("closed: ");
            if tx.send(text).is_err() || closed {
                return;
            }
        }
    });
    rx
}

pub(crate) fn read_feed<S>(mut socket: S) -> mpsc::UnboundedReceiver<String>
where
    S: futures_util::Stream<Item = Result<Message, tokio_tungstenite::tungstenite::Error>>
        + Unpin
        + Send
        + 'static,
{
    let (tx, rx) = mpsc::unbounded_channel();
    tokio::spawn(async move {
        while let Some(message) = socket.next().await {
            match message {
                Ok(Message::Text(text)) => {
                    if tx.send(text.to_string()).is_err() {
                        return;
                    }
                }
                Ok(Message::Close(frame)) => {
                    let _ = tx.send(format!("closed: {frame:?}"));
                    return;
                }
                Ok(_) => {}
                Err(error) => {
                    let _ = tx.send(format!("closed: {error}"));
                    return;
                }
            }
        }
        let _ = tx.send("closed: the connection ended".to_owned());
    });
    rx
}

/// Waits for a text frame that contains `needle`.
pub(crate) async fn wait_for_text(
    feed: &mut mpsc::UnboundedReceiver<String>,
    needle: &str,
    limit: Duration,
) -> anyhow::Result<String> {
    let deadline = Instant::now() + limit;
    loop {
        let left = deadline.saturating_duration_since(Instant::now());
        match tokio::time::timeout(left, feed.recv()).await {
            Ok(Some(text)) if text.contains(needle) => return Ok(text),
            Ok(Some(text)) if text.starts_with("closed: ") => return Err(anyhow::anyhow!(text)),
            Ok(Some(_)) => {}
            Ok(None) => return Err(anyhow::anyhow!("the connection ended")),
            Err(_) => return Err(anyhow::anyhow!("nothing with {needle:?} within {limit:?}")),
        }
    }
}

/// SQLite: an exclusive lock held by another process makes writes unavailable.
async fn sqlite_locked(suite: &Suite) -> Vec<Row> {
    let mut rows: Vec<Row> = Proto::ALL
        .into_iter()
        .map(|p| Row::new("sqlite locked", p.name()))
        .collect();
    let mut stack_row = Row::new("sqlite locked", "all");
    let dir = tempfile::tempdir().expect("a temporary directory");
    let path = dir.path().join("locked.sqlite3");
    let path_text = path.to_str().expect("UTF-8 path").to_owned();
    let stack = match start_stack(suite, &path_text, "outage-sqlite", &[]).await {
        Ok(stack) => stack,
        Err(error) => {
            stack_row.fail(error);
            return vec![stack_row];
        }
    };
    let clients = stack.clients();
    let created = clients[0].1.create(Fields::random(4)).await;
    let Ok((id, _)) = created else {
        stack_row.fail(format!("create before the lock: {created:?}"));
        return vec![stack_row];
    };

    // Another process (this one) takes the write lock and holds it.
    let mut locker = SqliteConnection::establish(&path_text).expect("open the SQLite file");
    diesel::sql_query("PRAGMA busy_timeout = 5000")
        .execute(&mut locker)
        .expect("pragma");
    diesel::sql_query("BEGIN EXCLUSIVE")
        .execute(&mut locker)
        .expect("take the lock");
    let probes = join_all(clients.iter().map(|(_, client)| async move {
        let at = Instant::now();
        let write = client.create(Fields::random(5)).await;
        let took = at.elapsed();
        (write, took, client.get(id).await)
    }))
    .await;
    for (((proto, _), row), (write, took, read)) in clients.iter().zip(rows.iter_mut()).zip(probes)
    {
        row.check(
            write
                .as_ref()
                .err()
                .is_some_and(|f| is_unavailable(*proto, f)),
            || format!("create while locked: {write:?}"),
        );
        // SQLite's busy timeout (5 s) plus a margin.
        row.check(took <= Duration::from_secs(5) + MARGIN, || {
            format!("create while locked took {took:?}")
        });
        row.check(read.is_ok(), || {
            format!("get while locked (WAL readers go on): {read:?}")
        });
    }
    diesel::sql_query("ROLLBACK")
        .execute(&mut locker)
        .expect("release the lock");
    drop(locker);
    let released = Instant::now();
    for ((proto, client), row) in clients.iter().zip(rows.iter_mut()) {
        let write = client.create(Fields::random(6)).await;
        row.check(write.is_ok(), || {
            format!("{} create after the lock: {write:?}", proto.name())
        });
        row.recovery = Some(released.elapsed());
    }
    for service in stack.all() {
        stack_row.panics += service.panics() as u64;
    }
    stack_row.cases += 1;
    rows.push(stack_row);
    rows
}

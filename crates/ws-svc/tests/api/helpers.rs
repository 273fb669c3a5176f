//! Starts ws-svc the way `main` does, on `127.0.0.1:0`, against a fresh database.

use std::future::Future;
use std::net::SocketAddr;
use std::time::Duration;

use futures_util::{SinkExt, StreamExt};
use model::Store;
use runtime::http::ServerSettings;
use serde_json::Value;
use test_support::{Backend, TestDb};
use tokio::net::TcpStream;
use tokio_tungstenite::tungstenite::Message;
use tokio_tungstenite::tungstenite::protocol::frame::coding::CloseCode;
use tokio_tungstenite::{MaybeTlsStream, WebSocketStream};
use tokio_util::sync::CancellationToken;
use ws_svc::close::Limits;
use ws_svc::origin::AllowedOrigins;

pub type Ws = WebSocketStream<MaybeTlsStream<TcpStream>>;

pub struct TestApp {
    pub addr: SocketAddr,
    pub store: Store,
    pub shutdown: CancellationToken,
    pub server: Option<tokio::task::JoinHandle<std::io::Result<()>>>,
    _db: Option<TestDb>,
}

impl TestApp {
    pub async fn spawn(backend: Backend) -> TestApp {
        let db = TestDb::new(backend);
        let store = db.migrated_store().await;
        TestApp::start(
            store,
            Some(db),
            Limits::default(),
            AllowedOrigins::default(),
        )
    }

    pub async fn sqlite() -> TestApp {
        TestApp::spawn(Backend::Sqlite).await
    }

    /// Another replica on the same store's database (for cross-replica tests).
    pub fn replica(store: Store) -> TestApp {
        TestApp::start(store, None, Limits::default(), AllowedOrigins::default())
    }

    pub fn start(
        store: Store,
        db: Option<TestDb>,
        limits: Limits,
        origins: AllowedOrigins,
    ) -> TestApp {
        let settings = ServerSettings {
            addr: "127.0.0.1:0".parse().unwrap(),
            workers: 1,
            shutdown_grace: Duration::from_secs(2),
        };
        let shutdown = CancellationToken::new();
        let state = ws_svc::startup::state(store.clone(), limits, origins, shutdown.clone());
        let app = ws_svc::startup::build(&settings, state).expect("bind 127.0.0.1:0");
        let addr = app.local_addr();
        let server = tokio::spawn(app.run_until_stopped(shutdown.clone()));
        TestApp {
            addr,
            store,
            shutdown,
            server: Some(server),
            _db: db,
        }
    }

    pub async fn connect(&self, path: &str) -> Ws {
        let (ws, response) = tokio_tungstenite::connect_async(format!("ws://{}{path}", self.addr))
            .await
            .unwrap_or_else(|e| panic!("connect to {path}: {e}"));
        assert_eq!(response.status(), 101);
        ws
    }
}

impl Drop for TestApp {
    fn drop(&mut self) {
        self.shutdown.cancel();
    }
}

/// Runs one test body against a fresh app on `backend` (the harness's `backends`).
pub async fn run<F, Fut>(backend: Backend, test: F)
where
    F: FnOnce(TestApp) -> Fut,
    Fut: Future<Output = ()>,
{
    test(TestApp::spawn(backend).await).await;
}

pub async fn send(ws: &mut Ws, json: Value) {
    ws.send(Message::text(json.to_string())).await.unwrap();
}

/// The next text frame as JSON, skipping pings; fails after 10 s. (One deadline for
/// all frames: the server's heartbeat pings must not keep a missing message waited for.)
pub async fn recv(ws: &mut Ws) -> Value {
    let deadline = tokio::time::Instant::now() + Duration::from_secs(10);
    loop {
        let message = tokio::time::timeout_at(deadline, ws.next())
            .await
            .expect("a message within 10 s")
            .expect("the connection is open")
            .expect("a valid frame");
        match message {
            Message::Text(text) => return serde_json::from_str(&text).unwrap(),
            Message::Ping(_) | Message::Pong(_) => {}
            other => panic!("expected a text frame, got {other:?}"),
        }
    }
}

/// Asserts that nothing arrives for a while (for "this room must not hear that").
pub async fn silent(ws: &mut Ws, for_ms: u64) {
    loop {
        match tokio::time::timeout(Duration::from_millis(for_ms), ws.next()).await {
            Err(_) => return,
            Ok(Some(Ok(Message::Ping(_) | Message::Pong(_)))) => {}
            Ok(other) => panic!("expected silence, got {other:?}"),
        }
    }
}

/// Reads until the server's close frame and returns its code.
pub async fn close_code(ws: &mut Ws) -> CloseCode {
    loop {
        let message = tokio::time::timeout(Duration::from_secs(10), ws.next())
            .await
            .expect("a close within 10 s");
        match message {
            Some(Ok(Message::Close(Some(frame)))) => return frame.code,
            Some(Ok(Message::Close(None))) => panic!("a close frame without a code"),
            Some(Ok(_)) => {}
            Some(Err(e)) => panic!("the connection failed before a close frame: {e}"),
            None => panic!("the connection ended without a close frame"),
        }
    }
}

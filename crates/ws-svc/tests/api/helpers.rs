//! Starts ws-svc the way `main` does, on `127.0.0.1:0`, against a fresh database.

use std::ops::Deref;
use std::time::Duration;

use clients::ws;
use futures_util::StreamExt;
use model::Store;
use serde_json::Value;
use test_support::server::Server;
use test_support::{Backend, TestDb};
use tokio_tungstenite::tungstenite::Message;
use tokio_tungstenite::tungstenite::protocol::frame::coding::CloseCode;
use tokio_util::sync::CancellationToken;
use ws_svc::close::Limits;
use ws_svc::origin::AllowedOrigins;

pub use clients::ws::Socket as Ws;

/// A running ws-svc.
pub struct TestApp {
    pub server: Server,
}

impl Deref for TestApp {
    type Target = Server;
    fn deref(&self) -> &Server {
        &self.server
    }
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
        let shutdown = CancellationToken::new();
        let state = ws_svc::startup::state(store.clone(), limits, origins, shutdown.clone());
        let build = |settings: &_| ws_svc::startup::build(settings, state);
        TestApp {
            server: Server::http(store, db, shutdown, build),
        }
    }

    pub async fn connect(&self, path: &str) -> Ws {
        ws::connect(&format!("ws://{}{path}", self.addr))
            .await
            .unwrap_or_else(|e| panic!("connect to {path}: {e}"))
    }
}

pub async fn send(socket: &mut Ws, json: Value) {
    ws::send_json(socket, &json).await.unwrap();
}

/// The next text frame as JSON, skipping pings; fails after 10 s.
pub async fn recv(socket: &mut Ws) -> Value {
    ws::next_json(socket)
        .await
        .unwrap_or_else(|e| panic!("{e}"))
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
pub async fn close_code(socket: &mut Ws) -> CloseCode {
    ws::close_code(socket)
        .await
        .unwrap_or_else(|e| panic!("{e}"))
}

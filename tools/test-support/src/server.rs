//! One way to run a service inside a test: the server its binary would build (the
//! crate's own `startup::build`), on `127.0.0.1:0`, serving in the background of the
//! test's runtime until the [`Server`] is dropped or its `shutdown` is cancelled.
//!
//! Each service's `tests/api/helpers.rs` wraps a [`Server`] in a `TestApp` that adds
//! that protocol's client, and hands `TestApp::spawn` to the `backends(…)` section of
//! [`tests!`](crate::tests).

use std::fmt::Display;
use std::future::Future;
use std::net::SocketAddr;
use std::time::Duration;

use model::Store;
use runtime::http::{HttpApp, ServerSettings};
use tokio::task::JoinHandle;
use tokio_util::sync::CancellationToken;

use crate::TestDb;

/// How long a server under test gives in-flight requests after `shutdown`.
pub const SHUTDOWN_GRACE: Duration = Duration::from_secs(2);

/// A server running in this test process.
pub struct Server {
    /// Where it listens.
    pub addr: SocketAddr,
    /// The store it serves, for checks that go around the API.
    pub store: Store,
    /// Cancelling it stops the server the way SIGTERM stops the binary.
    pub shutdown: CancellationToken,
    task: Option<JoinHandle<Result<(), String>>>,
    _db: Option<TestDb>,
}

impl Server {
    /// Runs `serving`, the run of a server bound to `addr` that ends once `shutdown` is
    /// cancelled, in the background. `db`, if any, is dropped with the server.
    pub fn start<E: Display>(
        addr: SocketAddr,
        store: Store,
        db: Option<TestDb>,
        shutdown: CancellationToken,
        serving: impl Future<Output = Result<(), E>> + Send + 'static,
    ) -> Server {
        let task = tokio::spawn(async move { serving.await.map_err(|e| e.to_string()) });
        Server {
            addr,
            store,
            shutdown,
            task: Some(task),
            _db: db,
        }
    }

    /// Starts an HTTP service: `build` is the crate's `startup::build`, given the
    /// settings of a test server (one worker, a short grace).
    pub fn http(
        store: Store,
        db: Option<TestDb>,
        shutdown: CancellationToken,
        build: impl FnOnce(&ServerSettings) -> std::io::Result<HttpApp>,
    ) -> Server {
        let settings = ServerSettings {
            addr: "127.0.0.1:0".parse().expect("an address"),
            workers: 1,
            shutdown_grace: SHUTDOWN_GRACE,
            tls: None,
        };
        let app = build(&settings).expect("bind 127.0.0.1:0");
        let addr = app.local_addr();
        Server::start(
            addr,
            store,
            db,
            shutdown.clone(),
            app.run_until_stopped(shutdown),
        )
    }

    /// `http://127.0.0.1:PORT{path}`
    pub fn url(&self, path: &str) -> String {
        format!("http://{}{path}", self.addr)
    }

    /// Cancels `shutdown` if no one has, and waits at most 10 s for the server to stop:
    /// its error, if it failed. Panics if it is still running then.
    pub async fn stopped(&mut self) -> Result<(), String> {
        self.shutdown.cancel();
        let task = self.task.take().expect("the server was running");
        tokio::time::timeout(Duration::from_secs(10), task)
            .await
            .expect("the server stops within 10 s")
            .expect("the server's task did not panic")
    }
}

/// An HTTP client for a test: a request that gets no answer fails after 30 s instead
/// of hanging the run.
pub fn http_client() -> reqwest::Client {
    reqwest::Client::builder()
        .timeout(Duration::from_secs(30))
        .build()
        .expect("an HTTP client")
}

impl Drop for Server {
    fn drop(&mut self) {
        self.shutdown.cancel();
    }
}

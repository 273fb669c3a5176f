//! Builds the HTTP server. `main` and the integration tests call the same
//! [`Application::build`], so the tests exercise the production wiring.

use std::net::{SocketAddr, TcpListener};
use std::time::Duration;

use actix_web::dev::Server;
use actix_web::{App, HttpServer};
use model::Store;
use tokio_util::sync::CancellationToken;
use tracing_actix_web::TracingLogger;

use crate::routes::{self, AppState};

/// Server settings that do not come from the database.
#[derive(Debug, Clone)]
pub struct ServerSettings {
    /// Where to listen; port 0 picks a free one.
    pub addr: SocketAddr,
    /// Largest request body, in bytes.
    pub body_limit: usize,
    /// Worker threads; 0 means one per core.
    pub workers: usize,
    /// How long in-flight requests get to finish on shutdown.
    pub shutdown_grace: Duration,
}

/// A bound, not yet running, REST server.
pub struct Application {
    server: Server,
    local_addr: SocketAddr,
}

impl Application {
    /// Binds the listener (so the port is known and clients can connect at once) and
    /// builds the server around an already opened store.
    ///
    /// # Errors
    /// When the address can't be bound.
    pub fn build(settings: &ServerSettings, store: Store) -> std::io::Result<Application> {
        let listener = TcpListener::bind(settings.addr)?;
        let local_addr = listener.local_addr()?;
        let state = AppState {
            store: store.clone(),
            body_limit: settings.body_limit,
        };
        let mut server = HttpServer::new(move || {
            App::new()
                .wrap(TracingLogger::default())
                .configure(routes::api(state.clone()))
                .configure(routes::health(store.clone()))
                .default_service(actix_web::web::to(routes::not_found))
        })
        .disable_signals()
        .shutdown_timeout(settings.shutdown_grace.as_secs());
        if settings.workers > 0 {
            server = server.workers(settings.workers);
        }
        let server = server.listen(listener)?.run();
        Ok(Application { server, local_addr })
    }

    /// The address actually bound (the real port when 0 was asked for).
    pub fn local_addr(&self) -> SocketAddr {
        self.local_addr
    }

    /// Serves until `shutdown` is cancelled, then stops accepting, lets in-flight
    /// requests finish (up to the grace period) and returns.
    ///
    /// # Errors
    /// When the server fails.
    pub async fn run_until_stopped(self, shutdown: CancellationToken) -> std::io::Result<()> {
        run_until_stopped(self.server, shutdown).await
    }
}

/// Runs any actix server until the token is cancelled, then stops it gracefully.
/// `protocols serve` uses it for its composed server too.
pub async fn run_until_stopped(server: Server, shutdown: CancellationToken) -> std::io::Result<()> {
    let handle = server.handle();
    let stopper = tokio::spawn(async move {
        shutdown.cancelled().await;
        handle.stop(true).await;
    });
    let result = server.await;
    stopper.abort();
    result
}

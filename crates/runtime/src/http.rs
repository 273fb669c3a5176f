//! Building and stopping an actix-web server the same way in every HTTP service.
//!
//! Each service passes the function that mounts its routes; this module binds the
//! listener first (so port 0 works and the real port is known before anything runs),
//! wraps every request in a tracing span, turns actix's own signal handling off (the
//! process has one shutdown token instead), and drains in-flight requests on stop.
//!
//! Draining: once the shutdown signal arrives the listener closes, and every answer
//! still going out on a kept-alive connection carries `Connection: close`, so clients
//! move to another replica instead of holding this process until the grace period ends.

use std::net::SocketAddr;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::Duration;

use actix_web::body::MessageBody;
use actix_web::dev::{Server, ServiceRequest, ServiceResponse};
use actix_web::http::{ConnectionType, StatusCode};
use actix_web::middleware::{Next, from_fn};
use actix_web::{App, HttpServer, web};
use tokio_util::sync::CancellationToken;
use tracing_actix_web::TracingLogger;

/// Server settings that do not come from the database.
#[derive(Debug, Clone)]
pub struct ServerSettings {
    /// Where to listen; port 0 picks a free one.
    pub addr: SocketAddr,
    /// Worker threads; 0 means one per core.
    pub workers: usize,
    /// How long in-flight requests get to finish on shutdown.
    pub shutdown_grace: Duration,
}

/// A bound, not yet running, HTTP server.
pub struct HttpApp {
    server: Server,
    local_addr: SocketAddr,
    draining: Arc<AtomicBool>,
}

impl HttpApp {
    /// Binds `settings.addr` and builds a server whose every worker mounts `configure`.
    ///
    /// # Errors
    /// When the address can't be bound.
    pub fn build<F>(settings: &ServerSettings, configure: F) -> std::io::Result<HttpApp>
    where
        F: Fn(&mut web::ServiceConfig) + Clone + Send + 'static,
    {
        let listener = crate::listen(settings.addr)?;
        let local_addr = listener.local_addr()?;
        let draining = Arc::new(AtomicBool::new(false));
        let flag = draining.clone();
        let mut server = HttpServer::new(move || {
            let flag = flag.clone();
            App::new()
                .wrap(from_fn(move |req, next| {
                    close_when_draining(flag.clone(), req, next)
                }))
                .wrap(TracingLogger::default())
                .configure(configure.clone())
        })
        .disable_signals()
        .shutdown_timeout(settings.shutdown_grace.as_secs());
        if settings.workers > 0 {
            server = server.workers(settings.workers);
        }
        Ok(HttpApp {
            server: server.listen(listener)?.run(),
            local_addr,
            draining,
        })
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
        let handle = self.server.handle();
        let draining = self.draining;
        let stopper = tokio::spawn(async move {
            shutdown.cancelled().await;
            draining.store(true, Ordering::Relaxed);
            handle.stop(true).await;
        });
        let result = self.server.await;
        stopper.abort();
        result
    }
}

/// The body length a request announces in `Content-Length`, if any: checked against a
/// limit before reading, so an oversized upload is refused without taking it in.
pub fn declared_length(req: &actix_web::HttpRequest) -> Option<usize> {
    req.headers()
        .get(actix_web::http::header::CONTENT_LENGTH)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.parse::<usize>().ok())
}

/// Marks answers `Connection: close` once the server is draining.
async fn close_when_draining(
    draining: Arc<AtomicBool>,
    req: ServiceRequest,
    next: Next<impl MessageBody + 'static>,
) -> Result<ServiceResponse<impl MessageBody>, actix_web::Error> {
    let mut res = next.call(req).await?;
    // A WebSocket upgrade keeps its connection: the session closes itself with 1001.
    if draining.load(Ordering::Relaxed) && res.status() != StatusCode::SWITCHING_PROTOCOLS {
        res.response_mut()
            .head_mut()
            .set_connection_type(ConnectionType::Close);
    }
    Ok(res)
}

/// The end of every HTTP service's `main`: logs where it listens, serves until the
/// shutdown signal, and turns the outcome into the process's exit code.
pub async fn serve(
    name: &str,
    app: std::io::Result<HttpApp>,
    addr: SocketAddr,
    shutdown: CancellationToken,
) -> std::process::ExitCode {
    let app = match app {
        Ok(app) => app,
        Err(error) => {
            tracing::error!(%error, %addr, "{name} cannot listen");
            return std::process::ExitCode::FAILURE;
        }
    };
    tracing::info!(addr = %app.local_addr(), "{name} listening");
    match app.run_until_stopped(shutdown).await {
        Ok(()) => {
            tracing::info!("{name} stopped");
            std::process::ExitCode::SUCCESS
        }
        Err(error) => {
            tracing::error!(%error, "{name} failed");
            std::process::ExitCode::FAILURE
        }
    }
}

/// `<service> healthcheck`: what the container's `HEALTHCHECK` runs, so the runtime
/// image needs no curl. Sends `GET /healthz` to the port of the address in `addr_var`
/// (the service's own `*_ADDR` setting) on 127.0.0.1 and exits 0 on `200`, 1 otherwise.
///
/// # Wire format
/// ```text
/// GET /healthz HTTP/1.1
/// Host: 127.0.0.1
/// Connection: close
///
/// HTTP/1.1 200 OK            (503 while the database is unreachable)
/// ```
pub fn healthcheck(addr_var: &str, default_port: u16) -> std::process::ExitCode {
    use std::io::{Read, Write};
    let port = std::env::var(addr_var)
        .ok()
        .and_then(|addr| addr.rsplit(':').next()?.parse::<u16>().ok())
        .unwrap_or(default_port);
    let status_line = (|| -> std::io::Result<String> {
        let addr = SocketAddr::from(([127, 0, 0, 1], port));
        let mut stream = std::net::TcpStream::connect_timeout(&addr, Duration::from_secs(2))?;
        stream.set_read_timeout(Some(Duration::from_secs(2)))?;
        stream
            .write_all(b"GET /healthz HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: close\r\n\r\n")?;
        let mut head = [0u8; 64];
        let n = stream.read(&mut head)?;
        let head = String::from_utf8_lossy(&head[..n]).into_owned();
        Ok(head.lines().next().unwrap_or_default().to_owned())
    })();
    match status_line {
        Ok(line) if line.split_whitespace().nth(1) == Some("200") => {
            std::process::ExitCode::SUCCESS
        }
        Ok(line) => {
            eprintln!("unhealthy: {line}");
            std::process::ExitCode::FAILURE
        }
        Err(error) => {
            eprintln!("unhealthy: 127.0.0.1:{port}: {error}");
            std::process::ExitCode::FAILURE
        }
    }
}

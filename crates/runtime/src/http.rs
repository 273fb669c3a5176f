//! Building and stopping an actix-web server the same way in every HTTP service.
//!
//! Each service passes the function that mounts its routes; this module binds the
//! listener first (so port 0 works and the real port is known before anything runs),
//! wraps every request in a tracing span, turns actix's own signal handling off (the
//! process has one shutdown token instead), and drains in-flight requests on stop.
//!
//! Draining: once the shutdown signal arrives the server stops accepting connections,
//! and every answer still going out on a kept-alive connection carries
//! `Connection: close`, so clients move to another replica instead of holding this
//! process until the grace period ends. The server then waits, up to the grace period,
//! until every answer has been written to its last byte (a streamed list of a large
//! table included), stops, and before returning waits until the clients have
//! acknowledged those bytes (see `run_until_stopped`).
//!
//! Refusing a body without breaking the client: when a handler answers before reading
//! the whole request body (a 413 decided from `Content-Length`, a 415, a 404 on a
//! POST), closing at once would leave the rest of the body unread, and a socket closed
//! with unread data sends a TCP reset. A client that writes the whole body before it
//! reads (Python's urllib, requests) then sees `BrokenPipeError` or "connection reset",
//! never the answer. So, as nginx's lingering close does, the server sends the answer
//! with `Connection: close`, then keeps reading and discarding what the client still
//! sends, until the client closes or [`LINGER_TIME`] has passed, and only then closes.
//! actix-http does this itself ("linger") for as long as `client_disconnect_timeout`,
//! which is set to [`LINGER_TIME`] here (actix's default, 1 s, is too short for a slow
//! uploader).
//!
//! Why count answers here rather than rely on actix-server's graceful stop alone: its
//! stop tells the accept thread to stop before it tells the workers, and a worker that
//! sees its connection channel close first exits at once, dropping the connections it
//! was still writing to (seen here: a download cut off 1 ms after SIGTERM, one run in
//! two). Each answer's body carries a guard that counts it until the body is finished or
//! dropped, so by the time actix stops nothing is in flight.

use std::marker::PhantomData;
use std::net::SocketAddr;
use std::pin::Pin;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::task::{Context, Poll};
use std::time::Duration;

use actix_web::body::{BodySize, BoxBody, MessageBody};
use actix_web::dev::{Server, ServiceRequest, ServiceResponse};
use actix_web::http::{ConnectionType, StatusCode};
use actix_web::middleware::{Next, from_fn};
use actix_web::web::Bytes;
use actix_web::{App, HttpServer, web};
use tokio_util::sync::CancellationToken;
use tracing::Span;
use tracing::level_filters::LevelFilter;
use tracing_actix_web::{DefaultRootSpanBuilder, RootSpanBuilder, TracingLogger};

/// Server settings that do not come from the database.
#[derive(Debug, Clone)]
pub struct ServerSettings {
    /// Where to listen; port 0 picks a free one.
    pub addr: SocketAddr,
    /// Worker threads; 0 means one per core.
    pub workers: usize,
    /// How long in-flight requests get to finish on shutdown.
    pub shutdown_grace: Duration,
    /// A second port for the same routes over TLS, if certificates were given.
    pub tls: Option<TlsListen>,
}

/// A TLS port beside the plain one: the same routes, with HTTP/2 or HTTP/1.1 chosen by
/// ALPN in the TLS handshake (a client offering `h2` gets HTTP/2).
///
/// ```text
/// ClientHello  ALPN: h2, http/1.1      ->
///                                      <-  ServerHello  ALPN: h2
/// then HTTP/2 frames, encrypted: the connection preface, SETTINGS, HEADERS, DATA …
/// ```
#[derive(Clone)]
pub struct TlsListen {
    /// Where the TLS port listens.
    pub addr: SocketAddr,
    /// The certificate chain, PEM.
    pub cert_pem: Vec<u8>,
    /// Its private key, PEM.
    pub key_pem: Vec<u8>,
}

impl std::fmt::Debug for TlsListen {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        // The key stays out of logs.
        f.debug_struct("TlsListen")
            .field("addr", &self.addr)
            .finish_non_exhaustive()
    }
}

impl TlsListen {
    /// rustls's settings for this certificate and key (ring, TLS 1.2 and 1.3).
    ///
    /// # Errors
    /// When the PEM holds no certificate or no usable key.
    fn server_config(&self) -> std::io::Result<rustls::ServerConfig> {
        use rustls::pki_types::pem::PemObject;
        use rustls::pki_types::{CertificateDer, PrivateKeyDer};
        let invalid = |what: String| std::io::Error::new(std::io::ErrorKind::InvalidData, what);
        let certs = CertificateDer::pem_slice_iter(&self.cert_pem)
            .collect::<Result<Vec<_>, _>>()
            .map_err(|e| invalid(format!("the TLS certificate does not read as PEM: {e}")))?;
        if certs.is_empty() {
            return Err(invalid(
                "the TLS certificate file holds no certificate".into(),
            ));
        }
        let key = PrivateKeyDer::from_pem_slice(&self.key_pem).map_err(|e| {
            invalid(format!(
                "the TLS key does not read as a PEM private key: {e}"
            ))
        })?;
        rustls::ServerConfig::builder_with_provider(std::sync::Arc::new(
            rustls::crypto::ring::default_provider(),
        ))
        .with_safe_default_protocol_versions()
        .map_err(|e| invalid(e.to_string()))?
        .with_no_client_auth()
        .with_single_cert(certs, key)
        .map_err(|e| {
            invalid(format!(
                "the TLS certificate and key do not go together: {e}"
            ))
        })
    }
}

/// A bound, not yet running, HTTP server.
pub struct HttpApp {
    server: Server,
    local_addr: SocketAddr,
    tls_addr: Option<SocketAddr>,
    drain: Drain,
    shutdown_grace: Duration,
}

/// What the server knows about its own shutdown: whether it is draining, and how many
/// answers are not yet fully written.
#[derive(Clone, Default)]
struct Drain {
    draining: Arc<AtomicBool>,
    in_flight: Arc<AtomicUsize>,
}

impl Drain {
    /// Counts one answer until the returned guard is dropped.
    fn track(&self) -> InFlight {
        self.in_flight.fetch_add(1, Ordering::SeqCst);
        InFlight(self.in_flight.clone())
    }

    /// Waits until no answer is in flight.
    async fn idle(&self) {
        while self.in_flight.load(Ordering::SeqCst) > 0 {
            tokio::time::sleep(Duration::from_millis(20)).await;
        }
    }
}

/// One answer in flight; dropped with its body, when the last byte was written or the
/// client went away.
struct InFlight(Arc<AtomicUsize>);

impl Drop for InFlight {
    fn drop(&mut self) {
        self.0.fetch_sub(1, Ordering::SeqCst);
    }
}

/// An answer's body with its [`InFlight`] guard and its line in the request log.
struct Tracked {
    body: BoxBody,
    _in_flight: InFlight,
    log: RequestLog,
}

impl MessageBody for Tracked {
    type Error = Box<dyn std::error::Error>;

    fn size(&self) -> BodySize {
        self.body.size()
    }

    fn poll_next(
        self: Pin<&mut Self>,
        cx: &mut Context<'_>,
    ) -> Poll<Option<Result<Bytes, Self::Error>>> {
        let this = self.get_mut();
        let next = Pin::new(&mut this.body).poll_next(cx);
        if let Poll::Ready(Some(Ok(chunk))) = &next {
            this.log.bytes += chunk.len();
        }
        next
    }
}

/// One request, as the request log prints it once its answer is written (or the client
/// went away): `GET /api/rest/dummies HTTP/1.1 200 1234 B 2.1 ms`, like Django's
/// development server. Info level, so `RUST_LOG=warn` silences it (the bench does).
struct RequestLog {
    method: String,
    path: String,
    version: actix_web::http::Version,
    status: u16,
    bytes: usize,
    started: std::time::Instant,
}

impl Drop for RequestLog {
    fn drop(&mut self) {
        let ms = self.started.elapsed().as_secs_f64() * 1e3;
        tracing::info!(
            target: "request",
            method = %self.method,
            path = %self.path,
            version = ?self.version,
            status = self.status,
            bytes = self.bytes,
            ms = format!("{ms:.1}"),
            "{} {} {:?} {} {} B {ms:.1} ms",
            self.method,
            self.path,
            self.version,
            self.status,
            self.bytes,
        );
    }
}

/// Each request's span: tracing-actix-web's, with the method, the route matched and
/// the status. Building it matches the path against the routes a second time (for the
/// `http.route` field), even when no subscriber would record the span. So it is built
/// only when INFO lines can be shown at all: with `RUST_LOG=warn` (the bench) the
/// request runs without a span and its routing is done once.
struct RequestSpan;

impl RootSpanBuilder for RequestSpan {
    fn on_request_start(request: &ServiceRequest) -> Span {
        if LevelFilter::current() < LevelFilter::INFO {
            return Span::none();
        }
        DefaultRootSpanBuilder::on_request_start(request)
    }

    fn on_request_end<B: MessageBody>(
        span: Span,
        outcome: &Result<ServiceResponse<B>, actix_web::Error>,
    ) {
        DefaultRootSpanBuilder::on_request_end(span, outcome);
    }
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
        let drain = Drain::default();
        let state = drain.clone();
        let mut server = HttpServer::new(move || {
            let state = state.clone();
            App::new()
                .wrap(from_fn(move |req, next| track(state.clone(), req, next)))
                .wrap(TracingLogger::<RequestSpan>::new())
                .configure(configure.clone())
        })
        .disable_signals()
        .client_disconnect_timeout(LINGER_TIME)
        .shutdown_timeout(settings.shutdown_grace.as_secs());
        if settings.workers > 0 {
            server = server.workers(settings.workers);
        }
        server = server.listen(listener)?;
        let mut tls_addr = None;
        if let Some(tls) = &settings.tls {
            let config = tls.server_config()?;
            let listener = crate::listen(tls.addr)?;
            tls_addr = Some(listener.local_addr()?);
            server = server.listen_rustls_0_23(listener, config)?;
        }
        Ok(HttpApp {
            server: server.run(),
            local_addr,
            tls_addr,
            drain,
            shutdown_grace: settings.shutdown_grace,
        })
    }

    /// The address actually bound (the real port when 0 was asked for).
    pub fn local_addr(&self) -> SocketAddr {
        self.local_addr
    }

    /// The TLS port's address, when there is one.
    pub fn tls_addr(&self) -> Option<SocketAddr> {
        self.tls_addr
    }

    /// Serves until `shutdown` is cancelled, then stops accepting, lets in-flight
    /// requests finish (up to the grace period) and returns.
    ///
    /// # Errors
    /// When the server fails.
    pub async fn run_until_stopped(self, shutdown: CancellationToken) -> std::io::Result<()> {
        let handle = self.server.handle();
        let drain = self.drain;
        let grace = self.shutdown_grace;
        let port = self.local_addr.port();
        let (deadline_tx, deadline_rx) = tokio::sync::oneshot::channel();
        let stopper = tokio::spawn(async move {
            shutdown.cancelled().await;
            let deadline = tokio::time::Instant::now() + grace;
            let _ = deadline_tx.send(deadline);
            drain.draining.store(true, Ordering::SeqCst);
            // No new connections; answers already started are written to the end.
            handle.pause().await;
            if tokio::time::timeout_at(deadline, drain.idle())
                .await
                .is_err()
            {
                tracing::warn!(
                    in_flight = drain.in_flight.load(Ordering::SeqCst),
                    "grace period over; cutting the answers still in flight"
                );
            }
            handle.stop(true).await;
        });
        let result = self.server.await;
        stopper.abort();
        // The last bytes of an answer may still sit in the kernel's send buffer. A process
        // on a host can exit and the kernel still delivers them, but the network namespace
        // of a container goes away with its last process, and its sockets' unsent data
        // with it. So wait (within the grace period) until the clients have acknowledged
        // every byte.
        if let Ok(deadline) = deadline_rx.await {
            while unacknowledged_bytes(port) > 0 && tokio::time::Instant::now() < deadline {
                tokio::time::sleep(Duration::from_millis(20)).await;
            }
        }
        result
    }
}

/// Bytes sent from `port` that the peers have not acknowledged yet, summed over the TCP
/// sockets of this network namespace (Linux's `/proc/net/tcp` and `tcp6`: the fifth
/// column is `tx_queue:rx_queue` in hex). 0 where those files do not exist.
fn unacknowledged_bytes(port: u16) -> u64 {
    ["/proc/net/tcp", "/proc/net/tcp6"]
        .iter()
        .filter_map(|table| std::fs::read_to_string(table).ok())
        .map(|table| unacknowledged_in(&table, port))
        .sum()
}

/// The sum of `tx_queue` over the rows of one such table whose local port is `port`.
fn unacknowledged_in(table: &str, port: u16) -> u64 {
    table
        .lines()
        .skip(1)
        .filter_map(|line| {
            let fields: Vec<&str> = line.split_whitespace().collect();
            let local_port = fields.get(1)?.rsplit(':').next()?;
            let tx_queue = fields.get(4)?.split(':').next()?;
            (u16::from_str_radix(local_port, 16).ok()? == port)
                .then(|| u64::from_str_radix(tx_queue, 16).ok())
                .flatten()
        })
        .sum()
}

/// The body length a request announces in `Content-Length`, if any: checked against a
/// limit before reading, so an oversized upload is refused without taking it in.
pub fn declared_length(req: &actix_web::HttpRequest) -> Option<usize> {
    req.headers()
        .get(actix_web::http::header::CONTENT_LENGTH)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.parse::<usize>().ok())
}

/// How long the server keeps reading (and discarding) a request body it answered
/// without reading, before it closes the connection (see the module docs).
pub const LINGER_TIME: Duration = Duration::from_secs(5);

/// Counts every answer until its body is finished, and marks answers
/// `Connection: close` once the server is draining.
async fn track(
    drain: Drain,
    req: ServiceRequest,
    next: Next<impl MessageBody + 'static>,
) -> Result<ServiceResponse<Tracked>, actix_web::Error> {
    let in_flight = drain.track();
    let started = std::time::Instant::now();
    let (method, path, version) = (
        req.method().to_string(),
        req.uri().to_string(),
        req.version(),
    );
    let mut res = next.call(req).await?;
    let upgraded = res.status() == StatusCode::SWITCHING_PROTOCOLS;
    // A WebSocket upgrade keeps its connection: the session closes itself with 1001.
    if drain.draining.load(Ordering::SeqCst) && !upgraded {
        res.response_mut()
            .head_mut()
            .set_connection_type(ConnectionType::Close);
    }
    let log = RequestLog {
        method,
        path,
        version,
        status: res.status().as_u16(),
        bytes: 0,
        started,
    };
    Ok(res.map_body(|_, body| Tracked {
        body: BoxBody::new(body),
        _in_flight: in_flight,
        log,
    }))
}

/// An HTTP service (REST, RPC, WebSocket) as a binary of its own: where it listens,
/// and how its server is built. Its [`Service`](crate::service::Service) follows: it
/// answers `healthcheck` with `GET /healthz`, and runs by building its server, logging
/// where it listens and serving until the shutdown signal.
pub trait HttpService: clap::Args + Sized {
    /// The binary's name, in `--help` and in the log (`rest-svc`). Without `-svc`, it
    /// names the service's settings: `--rest-addr`, `REST_ADDR`.
    const NAME: &'static str;
    /// One line for `--help`.
    const ABOUT: &'static str;
    /// The crate's version, for `--version`.
    const VERSION: &'static str;
    /// Where it listens unless told otherwise (`127.0.0.1:8001`).
    const DEFAULT_ADDR: &'static str;

    /// Its [`Listen`] settings, flattened into its `Args`.
    fn listen(&self) -> &Listen<Self>;

    /// Binds the server on `settings` around an opened store; long-lived connections
    /// end when `shutdown` is cancelled.
    ///
    /// # Errors
    /// When the address can't be bound.
    fn build(
        self,
        settings: &ServerSettings,
        store: model::Store,
        shutdown: CancellationToken,
    ) -> std::io::Result<HttpApp>;
}

impl<S: HttpService> crate::service::Service for S {
    const NAME: &'static str = S::NAME;
    const ABOUT: &'static str = S::ABOUT;
    const VERSION: &'static str = S::VERSION;

    async fn healthcheck(&self) -> std::process::ExitCode {
        healthcheck(self.listen().addr.port())
    }

    async fn run(
        self,
        store: model::Store,
        shutdown: CancellationToken,
        grace: Duration,
    ) -> std::process::ExitCode {
        let Listen { addr, workers, .. } = *self.listen();
        let settings = ServerSettings {
            addr,
            workers: workers.unwrap_or(0),
            shutdown_grace: grace,
            tls: None,
        };
        let app = match self.build(&settings, store, shutdown.clone()) {
            Ok(app) => app,
            Err(error) => {
                tracing::error!(%error, %addr, "{} cannot listen", S::NAME);
                return std::process::ExitCode::FAILURE;
            }
        };
        tracing::info!(addr = %app.local_addr(), "{} listening", S::NAME);
        if let Some(tls_addr) = app.tls_addr() {
            tracing::info!(addr = %tls_addr, "{} listening with TLS (HTTP/2 or HTTP/1.1 by ALPN)", S::NAME);
        }
        match app.run_until_stopped(shutdown).await {
            Ok(()) => {
                tracing::info!("{} stopped", S::NAME);
                std::process::ExitCode::SUCCESS
            }
            Err(error) => {
                tracing::error!(%error, "{} failed", S::NAME);
                std::process::ExitCode::FAILURE
            }
        }
    }
}

/// The two settings every HTTP service has, named after it ([`HttpService::NAME`]
/// without `-svc`): for rest-svc, `--rest-addr` (`REST_ADDR`) and `--rest-workers`
/// (`REST_WORKERS`). Each service's `Args` flattens one (`#[command(flatten)]`), so
/// the four services can share one command line in `protocols serve`.
pub struct Listen<S> {
    /// Where it listens; port 0 picks a free port.
    pub addr: SocketAddr,
    /// Its HTTP worker threads, if set (0: one per CPU core).
    pub workers: Option<usize>,
    service: PhantomData<fn() -> S>,
}

impl<S> Clone for Listen<S> {
    fn clone(&self) -> Self {
        *self
    }
}

impl<S> Copy for Listen<S> {}

impl<S> std::fmt::Debug for Listen<S> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Listen")
            .field("addr", &self.addr)
            .field("workers", &self.workers)
            .finish()
    }
}

impl<S: HttpService> Listen<S> {
    /// `rest` for rest-svc: the settings' prefix.
    fn prefix() -> &'static str {
        S::NAME.strip_suffix("-svc").unwrap_or(S::NAME)
    }

    /// The clap id, flag and variable of one setting: `rest_addr`, `--rest-addr`, `REST_ADDR`.
    fn names(setting: &str) -> (String, String, String) {
        let prefix = Self::prefix();
        (
            format!("{prefix}_{setting}"),
            format!("{prefix}-{setting}"),
            format!("{prefix}_{setting}").to_uppercase(),
        )
    }
}

impl<S: HttpService> clap::FromArgMatches for Listen<S> {
    fn from_arg_matches(matches: &clap::ArgMatches) -> Result<Self, clap::Error> {
        let (addr, _, _) = Self::names("addr");
        let (workers, _, _) = Self::names("workers");
        Ok(Listen {
            addr: *matches
                .get_one::<SocketAddr>(&addr)
                .expect("the address has a default"),
            workers: matches.get_one::<usize>(&workers).copied(),
            service: PhantomData,
        })
    }

    fn update_from_arg_matches(&mut self, matches: &clap::ArgMatches) -> Result<(), clap::Error> {
        *self = Self::from_arg_matches(matches)?;
        Ok(())
    }
}

impl<S: HttpService> clap::Args for Listen<S> {
    fn augment_args(command: clap::Command) -> clap::Command {
        let (addr_id, addr_flag, addr_env) = Self::names("addr");
        let (workers_id, workers_flag, workers_env) = Self::names("workers");
        command
            .arg(
                clap::Arg::new(addr_id)
                    .long(addr_flag)
                    .env(addr_env)
                    .default_value(S::DEFAULT_ADDR)
                    .value_parser(crate::settings::listen_addr)
                    .help(format!(
                        "Where {} listens (port 0 picks a free port)",
                        S::NAME
                    )),
            )
            .arg(
                clap::Arg::new(workers_id)
                    .long(workers_flag)
                    .env(workers_env)
                    .value_parser(clap::value_parser!(usize))
                    .help(format!(
                        "HTTP worker threads of {} (0: one per CPU core; unset under `protocols serve`: its HTTP_WORKERS)",
                        S::NAME
                    )),
            )
    }

    fn augment_args_for_update(command: clap::Command) -> clap::Command {
        Self::augment_args(command)
    }
}

/// `<service> healthcheck`: what the container's `HEALTHCHECK` runs, so the runtime
/// image needs no curl. Sends `GET /healthz` to `port` (that of the service's own
/// `*_ADDR` setting) on 127.0.0.1 and exits 0 on `200`, 1 otherwise.
///
/// # Wire format
/// ```text
/// GET /healthz HTTP/1.1
/// Host: 127.0.0.1
/// Connection: close
///
/// HTTP/1.1 200 OK            (503 while the database is unreachable)
/// ```
pub fn healthcheck(port: u16) -> std::process::ExitCode {
    use std::io::{Read, Write};
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

#[cfg(test)]
mod tests {
    use super::unacknowledged_in;

    #[test]
    fn unacknowledged_bytes_are_summed_for_the_local_port_only() {
        // A listener on 8001 (0x1F41), two of its connections (one with 0x8000 bytes
        // unacknowledged, one in FIN_WAIT1 with 0x10), and a client socket whose remote
        // port is 8001 (it is not ours).
        let table = "  sl  local_address rem_address   st tx_queue rx_queue tr tm->when retrnsmt   uid  timeout inode
   0: 00000000:1F41 00000000:0000 0A 00000000:00000000 00:00000000 00000000 10001        0 1 1 0 100 0 0 10 0
   1: 030012AC:1F41 070012AC:C350 01 00008000:00000000 01:00000014 00000000 10001        0 2 1 0 20 4 30 10 -1
   2: 030012AC:1F41 070012AC:C351 04 00000010:00000000 01:00000014 00000000 10001        0 0 1 0 20 4 30 10 -1
   3: 070012AC:C352 030012AC:1F41 01 00000400:00000000 00:00000000 00000000     0        0 3 1 0 20 4 30 10 -1
";
        assert_eq!(unacknowledged_in(table, 8001), 0x8000 + 0x10);
        assert_eq!(unacknowledged_in(table, 8002), 0);
    }
}

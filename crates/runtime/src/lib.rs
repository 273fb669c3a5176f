//! Process plumbing that every service binary shares: logging set-up, the shutdown
//! signal, the shape of a service binary ([`service`]) and, with the `http` feature,
//! the HTTP server, its `/healthz` endpoint and the HTTP services' shape.
//! Nothing here knows about a protocol or about the Dummy's rules.

#![warn(missing_docs)]

#[cfg(feature = "http")]
pub mod health;
#[cfg(feature = "http")]
pub mod http;
#[cfg(feature = "db")]
pub mod service;
pub mod settings;

use std::io::IsTerminal;
use std::net::{SocketAddr, TcpListener};
use std::time::Duration;

use tokio_util::sync::CancellationToken;
use tracing_subscriber::EnvFilter;

/// How log lines are written.
#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum LogFormat {
    /// Human-readable, coloured when stdout is a terminal.
    Pretty,
    /// One JSON object per line, for containers and log collectors.
    Json,
}

/// Logging and shutdown settings, flattened into every binary's `--help`.
#[derive(Debug, Clone, clap::Args)]
pub struct RuntimeArgs {
    /// Log format: pretty for a terminal, json for containers.
    #[arg(long, env = "LOG_FORMAT", value_enum, default_value = "pretty")]
    pub log_format: LogFormat,

    /// Which log lines to show, as an EnvFilter directive (e.g. info,rest_svc=debug).
    #[arg(long, env = "RUST_LOG", default_value = "info")]
    pub log: String,

    /// Seconds that in-flight requests get to finish after Ctrl-C or SIGTERM.
    #[arg(long, env = "SHUTDOWN_GRACE_SECS", default_value_t = 20)]
    pub shutdown_grace_secs: u64,
}

impl RuntimeArgs {
    /// The grace period as a duration.
    pub fn shutdown_grace(&self) -> Duration {
        Duration::from_secs(self.shutdown_grace_secs)
    }
}

/// Installs the process's one tracing subscriber and raises the open-file limit.
/// Call once, first thing in `main`.
pub fn init_tracing(args: &RuntimeArgs) {
    let filter = EnvFilter::try_new(&args.log).unwrap_or_else(|err| {
        eprintln!(
            "RUST_LOG={:?} is not a valid filter ({err}); using \"info\"",
            args.log
        );
        EnvFilter::new("info")
    });
    // Logs go to stderr, so a command's own output (seed's summary) stays clean on stdout.
    let builder = tracing_subscriber::fmt()
        .with_env_filter(filter)
        .with_writer(std::io::stderr)
        .with_ansi(std::io::stderr().is_terminal());
    match args.log_format {
        LogFormat::Pretty => builder.init(),
        LogFormat::Json => builder.json().flatten_event(true).init(),
    }
    raise_open_file_limit();
}

/// Every connection is an open file: take the hard limit as the soft one, so a
/// shell's default of 1024 does not cap WebSocket clients (see the README's limits).
fn raise_open_file_limit() {
    match rlimit::increase_nofile_limit(u64::MAX) {
        Ok(limit) => tracing::debug!(limit, "open-file limit"),
        Err(error) => tracing::warn!(%error, "cannot raise the open-file limit"),
    }
}

/// A token that is cancelled on Ctrl-C (SIGINT) or SIGTERM (what `docker stop` sends).
///
/// Every server and background task of the process watches this one token, so a
/// signal and a test's `token.cancel()` take the same shutdown path.
pub fn shutdown_on_signal() -> CancellationToken {
    let token = CancellationToken::new();
    let cancel = token.clone();
    tokio::spawn(async move {
        let signal = wait_for_signal().await;
        tracing::info!(signal, "shutdown requested");
        cancel.cancel();
    });
    token
}

#[cfg(unix)]
async fn wait_for_signal() -> &'static str {
    use tokio::signal::unix::{SignalKind, signal};
    let mut term = match signal(SignalKind::terminate()) {
        Ok(term) => term,
        Err(err) => {
            tracing::warn!(%err, "cannot listen for SIGTERM; only Ctrl-C will stop the process");
            let _ = tokio::signal::ctrl_c().await;
            return "SIGINT";
        }
    };
    tokio::select! {
        _ = tokio::signal::ctrl_c() => "SIGINT",
        _ = term.recv() => "SIGTERM",
    }
}

#[cfg(not(unix))]
async fn wait_for_signal() -> &'static str {
    let _ = tokio::signal::ctrl_c().await;
    "Ctrl-C"
}

/// How long a process that has stopped serving waits for blocking work still running
/// (typically a wait for a database connection, up to `DB_TIMEOUT_SECS`) before it
/// exits anyway. Every answer has been written or cut off by then; what is abandoned is
/// work nobody is waiting for, and a database transaction cut off with the process is
/// rolled back by the database.
pub const EXIT_WAIT: Duration = Duration::from_millis(500);

/// Runs a binary's `main` on a multi-thread tokio runtime, then shuts the runtime down
/// waiting at most [`EXIT_WAIT`] for blocking tasks. (Dropping a runtime waits for
/// every blocking task, however long: a service stopped while its database is down
/// would linger until its migration attempt's wait for a connection ran out.)
///
/// # Errors
/// When the runtime cannot be built.
pub fn block_on<F: std::future::Future>(main: F) -> std::io::Result<F::Output> {
    let tokio = tokio::runtime::Runtime::new()?;
    let output = tokio.block_on(main);
    tokio.shutdown_timeout(EXIT_WAIT);
    Ok(output)
}

/// How many connections may wait in the kernel for `accept` (std's default is 128,
/// too few for a burst of a thousand WebSocket clients; Linux caps it at `somaxconn`).
pub const BACKLOG: i32 = 1024;
/// How long sent data may stay unacknowledged, or a peer's receive window stay shut,
/// before the kernel drops the connection (`TCP_USER_TIMEOUT`, Linux). A client
/// that stops reading would otherwise hold its socket, and the buffered bytes, forever.
/// It matches the WebSocket client timeout's default: actix cannot drop a connection
/// whose peer stopped reading (its writer waits to flush), so the kernel must.
pub const UNACKED_TIMEOUT: Duration = Duration::from_secs(10);

/// Binds a listening socket with [`BACKLOG`] and [`UNACKED_TIMEOUT`] (which the
/// accepted connections inherit).
///
/// # Errors
/// When the address can't be bound.
pub fn listen(addr: SocketAddr) -> std::io::Result<TcpListener> {
    use socket2::{Domain, Protocol, Socket, Type};
    let socket = Socket::new(Domain::for_address(addr), Type::STREAM, Some(Protocol::TCP))?;
    socket.set_reuse_address(true)?;
    #[cfg(target_os = "linux")]
    socket.set_tcp_user_timeout(Some(UNACKED_TIMEOUT))?;
    socket.bind(&addr.into())?;
    socket.listen(BACKLOG)?;
    Ok(socket.into())
}

/// Opens the store a service's settings name, and applies migrations in the background
/// once the database answers (so the service can listen, and answer 503, meanwhile).
///
/// # Errors
/// A setting that can never work, such as an SQLite file in a directory that cannot be
/// written ([`model::DatabaseUrl::prepare`]): the binary reports it and exits before
/// it listens.
#[cfg(feature = "db")]
pub fn open_store(
    database: &crate::settings::DatabaseArgs,
    shutdown: &CancellationToken,
) -> Result<model::Store, model::ConfigError> {
    tracing::info!(database = %database.database_url, "opening database");
    database.database_url.prepare()?;
    let store = model::Store::open(&database.database_url, &database.pool_options());
    // The handle is not needed: the service answers "unavailable" until the schema is there.
    drop(spawn_migrations(store.clone(), shutdown.clone()));
    drop(spawn_journal_pruning(
        store.clone(),
        database.retention(),
        shutdown.clone(),
    ));
    Ok(store)
}

#[cfg(feature = "db")]
/// Every minute until `shutdown`, deletes the events beyond `retention` from the event
/// journal ([`model::Store::prune_journal`]). Every process runs it; they agree on
/// what to delete, so two at once only repeat each other's work.
pub fn spawn_journal_pruning(
    store: model::Store,
    retention: model::Retention,
    shutdown: CancellationToken,
) -> tokio::task::JoinHandle<()> {
    const EVERY: std::time::Duration = std::time::Duration::from_secs(60);
    tokio::spawn(async move {
        loop {
            match store.prune_journal(retention).await {
                Ok(0) => {}
                Ok(deleted) => tracing::info!(deleted, "pruned the event journal"),
                // Before the migrations, or while the database is away: next time.
                Err(error) => tracing::debug!(%error, "cannot prune the event journal yet"),
            }
            tokio::select! {
                () = shutdown.cancelled() => break,
                () = tokio::time::sleep(EVERY) => {}
            }
        }
    })
}

#[cfg(feature = "db")]
/// Applies migrations once the database answers, in the background, so the service
/// listens (and answers 503) while its database is still starting. A migration that
/// fails for any other reason stops the process through `shutdown`. The handle ends
/// when the schema is up to date (or the migrations failed).
///
/// While the database is down the log gets one WARN line per step of the back-off
/// (0.5 s doubling up to 30 s, after each attempt's wait for a connection), with the
/// attempt's number, the next delay and the reason; see
/// [`model::Store::migrate_until_ready`].
pub fn spawn_migrations(
    store: model::Store,
    shutdown: CancellationToken,
) -> tokio::task::JoinHandle<()> {
    tokio::spawn(async move {
        match store.migrate_until_ready().await {
            Ok(applied) => tracing::info!(?applied, "database schema is up to date"),
            Err(error) => {
                tracing::error!(error = ?error, "migrations failed; shutting down");
                shutdown.cancel();
            }
        }
    })
}

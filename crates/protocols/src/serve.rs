//! `protocols serve`: every service in one process.
//!
//! ```text
//!             ┌───────────────────── protocols serve ─────────────────────┐
//! :8001  ───▶ │ rest-svc routes                                            │
//! :8080  ───▶ │ /api/rest/… (rest-svc)   /healthz   / (web/index.html)     │ ──▶ one Store
//!             └────────────────────────────────────────────────────────────┘     (SQLite file
//!                                                                                  or PostgreSQL)
//! ```
//!
//! Port 8080 offers the same paths as the nginx gateway of the Compose stack, so every
//! example in the README works against either. Each service keeps its own port too,
//! as in the stack. All servers share one database pool and one shutdown signal.

use actix_web::{App, HttpResponse, HttpServer, web};
use model::Store;
use rest_svc::routes::{self, AppState};
use rest_svc::{Application, ServerSettings};
use tracing_actix_web::TracingLogger;

use crate::cli::ServeArgs;
use crate::error_chain;

/// The landing page of port 8080 (and of the gateway).
const INDEX_HTML: &str = include_str!("../../../web/index.html");

pub async fn run(args: ServeArgs) -> Result<(), Box<dyn std::error::Error>> {
    let shutdown = runtime::shutdown_on_signal();
    let store = Store::open(&args.database.database_url, &args.database.pool_options());
    tracing::info!(database = %args.database.database_url, backend = %store.backend(), "opening database");
    let applied = store.migrate_until_ready().await.map_err(error_chain)?;
    tracing::info!(?applied, "database schema is up to date");

    let rest_settings = ServerSettings {
        addr: args.rest_addr,
        body_limit: args.body_limit,
        workers: args.workers,
        shutdown_grace: args.runtime.shutdown_grace(),
    };
    let rest = Application::build(&rest_settings, store.clone())
        .map_err(|e| format!("cannot listen on {} (REST_ADDR): {e}", args.rest_addr))?;
    let gateway = composed_server(&args, store.clone())
        .map_err(|e| format!("cannot listen on {} (HTTP_ADDR): {e}", args.http_addr))?;

    let http = gateway.1;
    println!("protocols is running (Ctrl-C to stop):");
    println!("  all HTTP routes  http://{http}/   e.g. curl -s http://{http}/api/rest/dummies");
    println!(
        "  REST             http://{}/api/rest/dummies",
        rest.local_addr()
    );
    println!("  health           http://{http}/healthz");

    let rest_task = tokio::spawn(rest.run_until_stopped(shutdown.clone()));
    let http_task = tokio::spawn(rest_svc::startup::run_until_stopped(
        gateway.0,
        shutdown.clone(),
    ));
    let outcome = tokio::select! {
        r = rest_task => ("rest", r),
        r = http_task => ("http", r),
    };
    // Whichever ended first, stop the others the same way a signal would.
    shutdown.cancel();
    report(outcome)
}

/// Logs which server ended and why; an unexpected end is an error.
fn report(
    (name, outcome): (&str, Result<std::io::Result<()>, tokio::task::JoinError>),
) -> Result<(), Box<dyn std::error::Error>> {
    match outcome {
        Ok(Ok(())) => {
            tracing::info!(server = name, "stopped");
            Ok(())
        }
        Ok(Err(e)) => Err(format!("{name} server failed: {e}").into()),
        Err(e) => Err(format!("{name} server task failed: {e}").into()),
    }
}

/// Port 8080: every service's routes under the gateway's paths.
fn composed_server(
    args: &ServeArgs,
    store: Store,
) -> std::io::Result<(actix_web::dev::Server, std::net::SocketAddr)> {
    let listener = std::net::TcpListener::bind(args.http_addr)?;
    let addr = listener.local_addr()?;
    let rest_state = AppState {
        store: store.clone(),
        body_limit: args.body_limit,
    };
    let mut server = HttpServer::new(move || {
        App::new()
            .wrap(TracingLogger::default())
            .configure(routes::api(rest_state.clone()))
            .configure(routes::health(store.clone()))
            .route("/", web::get().to(index))
            .default_service(web::to(routes::not_found))
    })
    .disable_signals()
    .shutdown_timeout(args.runtime.shutdown_grace().as_secs());
    if args.workers > 0 {
        server = server.workers(args.workers);
    }
    Ok((server.listen(listener)?.run(), addr))
}

async fn index() -> HttpResponse {
    HttpResponse::Ok()
        .content_type("text/html; charset=utf-8")
        .body(INDEX_HTML)
}

//! `protocols serve`: every service in one process.
//!
//! ```text
//!             ┌──────────────────────── protocols serve ─────────────────────────┐
//! :8001  ───▶ │ rest-svc                                                           │
//! :8002  ───▶ │ rpc-svc                                                            │ ──▶ one Store
//! :8003  ───▶ │ ws-svc                                                             │
//! :8004  ───▶ │ graphql-svc                                                        │
//! :8005  ───▶ │ messaging-svc (its relays to RabbitMQ and Mosquitto, its AMQP queue) │
//! :50051 ───▶ │ grpc-svc (gRPC over HTTP/2, gRPC-Web over HTTP/1.1)                │
//! :8080  ───▶ │ /api/rest/…  /api/rpc/…  /api/ws/…  /api/graphql  /rpc  /grpc  /  │     (SQLite file
//!             │ /{package.Service}/{Method} (gRPC-Web) ──▶ forwarded to :50051     │      or PostgreSQL)
//!             └────────────────────────────────────────────────────────────────────┘
//! ```
//!
//! Port 8080 offers the same paths as the nginx gateway of the Compose stack, gRPC-Web
//! included, so every example in the README works against either. Native gRPC (HTTP/2)
//! stays on the gRPC port: the gateway's 8081 is nginx's own. Each service keeps its own port too,
//! as in the stack. All servers share one database pool and one shutdown signal.

use actix_web::{HttpResponse, web};
use anyhow::Context;
use model::Store;
use runtime::http::{HttpApp, ServerSettings};
use tokio::task::JoinSet;

use crate::cli::ServeArgs;

/// The landing page of port 8080 (and of the gateway).
const INDEX_HTML: &str = include_str!("../../../web/index.html");
/// The gRPC-Web page and its script (a bundle built from `web/grpc/src` by `just web-grpc`).
const GRPC_HTML: &str = include_str!("../../../web/grpc.html");
const GRPC_JS: &str = include_str!("../../../web/grpc/app.js");

/// How long the servers wait for the migrations of a database that answers before they
/// start serving anyway.
const MIGRATION_HEAD_START: std::time::Duration = std::time::Duration::from_secs(3);

pub async fn run(args: ServeArgs) -> anyhow::Result<()> {
    let shutdown = runtime::shutdown_on_signal();
    args.database.database_url.prepare()?;
    let store = Store::open(&args.database.database_url, &args.database.pool_options());
    tracing::info!(database = %args.database.database_url, backend = %store.backend(), "opening database");
    // Migrations run in the background, as in every service binary: a database that is
    // down or still starting does not keep the ports closed or Ctrl-C unheard.
    let mut migrated = runtime::spawn_migrations(store.clone(), shutdown.clone());
    drop(runtime::spawn_journal_pruning(
        store.clone(),
        args.database.retention(),
        shutdown.clone(),
    ));

    let settings = |addr, workers: Option<usize>| ServerSettings {
        addr,
        workers: workers.unwrap_or(args.workers),
        shutdown_grace: args.runtime.shutdown_grace(),
        tls: None,
    };
    let listening = |var: &'static str, addr| move || format!("cannot listen on {addr} ({var})");
    let (rest_listen, rpc_listen, ws_listen, graphql_listen) = (
        args.rest.listen,
        args.rpc.listen,
        args.ws.listen,
        args.graphql.listen,
    );
    // One webhook deliverer for the process, behind both 8001 and 8080.
    let webhooks =
        rest_svc::webhooks::start(args.rest.webhooks.clone(), store.clone(), shutdown.clone());
    let rest_settings = ServerSettings {
        tls: args
            .rest
            .tls()
            .context("cannot read the REST TLS certificate or key")?,
        ..settings(rest_listen.addr, rest_listen.workers)
    };
    let rest = rest_svc::startup::build(
        &rest_settings,
        args.rest.body_limit,
        webhooks.clone(),
        store.clone(),
        shutdown.clone(),
    )
    .with_context(listening("REST_ADDR", rest_listen.addr))?;
    let rpc = rpc_svc::startup::build(
        &settings(rpc_listen.addr, rpc_listen.workers),
        args.rpc.body_limit,
        store.clone(),
    )
    .with_context(listening("RPC_ADDR", rpc_listen.addr))?;
    // One chat hub for the process: rooms joined on 8003 and on 8080 are the same rooms.
    let ws_state = ws_svc::startup::state(
        store.clone(),
        args.ws.limits(),
        args.ws.origins(),
        shutdown.clone(),
    );
    let ws = ws_svc::startup::build(
        &settings(ws_listen.addr, ws_listen.workers),
        ws_state.clone(),
    )
    .with_context(listening("WS_ADDR", ws_listen.addr))?;
    let graphql = graphql_svc::startup::build(
        &settings(graphql_listen.addr, graphql_listen.workers),
        args.graphql.limits(),
        store.clone(),
        shutdown.clone(),
    )
    .with_context(listening("GRAPHQL_ADDR", graphql_listen.addr))?;
    // The relays and the request queue run once; 8005 and 8080 show their state.
    let messaging_links = messaging_svc::startup::spawn(&args.messaging, &store, &shutdown);
    let messaging = messaging_svc::startup::build_with(
        &settings(args.messaging.listen.addr, args.messaging.listen.workers),
        store.clone(),
        messaging_links.clone(),
    )
    .with_context(listening("MESSAGING_ADDR", args.messaging.listen.addr))?;
    let grpc_settings = args
        .grpc
        .settings(args.runtime.shutdown_grace())
        .map_err(anyhow::Error::msg)?;
    // gRPC-Web on 8080 is forwarded over plain HTTP; with TLS on, it is on the gRPC port only.
    let grpc_web = grpc_settings.tls.is_none();
    let grpc = grpc_svc::startup::build(&grpc_settings, store.clone())
        .await
        .with_context(listening("GRPC_ADDR", args.grpc.addr))?;
    let grpc_upstream = grpc_web.then(|| loopback(grpc.local_addr()));
    let http = composed(
        &settings(args.http_addr, None),
        &args,
        store,
        Started {
            ws: ws_state,
            webhooks,
            messaging: messaging_links,
        },
        shutdown.clone(),
        grpc_upstream,
    )
    .with_context(listening("HTTP_ADDR", args.http_addr))?;

    // Every listener is bound: connections wait in its backlog. A database that is up gets
    // a moment to be migrated, so that the first answers are not "unavailable"; one that is
    // down does not hold the servers back.
    tokio::select! {
        _ = &mut migrated => {}
        () = tokio::time::sleep(MIGRATION_HEAD_START) => tracing::warn!(
            "the database is not ready: serving anyway, and answering \"unavailable\" until it is"
        ),
        () = shutdown.cancelled() => {}
    }

    let all = http.local_addr();
    let lines = [
        "protocols is running (Ctrl-C to stop):".to_owned(),
        format!("  all HTTP routes  http://{all}/   e.g. curl -s http://{all}/api/rest/dummies"),
        format!(
            "  REST             http://{}/api/rest/dummies",
            rest.local_addr()
        ),
        format!(
            "  JSON-RPC         http://{}/api/rpc/json",
            rpc.local_addr()
        ),
        format!(
            "  XML-RPC          http://{}/api/rpc/xml   (browser client: http://{all}/rpc)",
            rpc.local_addr()
        ),
        format!(
            "  WebSocket        ws://{}/api/ws/echo/   (pages: http://{all}/api/ws/chat/)",
            ws.local_addr()
        ),
        format!(
            "  GraphQL          http://{}/api/graphql   (SDL: /api/graphql/schema.graphql)",
            graphql.local_addr()
        ),
        format!(
            "  messaging        http://{}/api/messaging/   (AMQP {}, MQTT {}; page: http://{all}/messaging)",
            messaging.local_addr(),
            args.messaging.amqp().unwrap_or("off"),
            args.messaging
                .mqtt()
                .map_or("off".to_owned(), |(host, port)| format!("{host}:{port}")),
        ),
        format!(
            "  gRPC             {}   e.g. grpcurl -plaintext {} list   (gRPC-Web page: http://{all}/grpc)",
            grpc.local_addr(),
            grpc.local_addr()
        ),
        format!("  health           http://{all}/healthz"),
    ];
    // A closed stdout (a pipe whose reader left) must not stop the servers: no println!.
    let mut stdout = std::io::stdout();
    let _ = std::io::Write::write_all(&mut stdout, (lines.join("\n") + "\n").as_bytes());
    let _ = std::io::Write::flush(&mut stdout);

    let mut servers = JoinSet::new();
    for (name, app) in [
        ("rest", rest),
        ("rpc", rpc),
        ("ws", ws),
        ("graphql", graphql),
        ("messaging", messaging),
        ("http", http),
    ] {
        let token = shutdown.clone();
        servers.spawn(async move {
            (
                name,
                app.run_until_stopped(token)
                    .await
                    .map_err(|e| e.to_string()),
            )
        });
    }
    let token = shutdown.clone();
    servers.spawn(async move {
        (
            "grpc",
            grpc.run_until_stopped(token)
                .await
                .map_err(|e| e.to_string()),
        )
    });
    // The first server to end, for whatever reason, stops the others the way a signal would.
    let mut failure = None;
    while let Some(joined) = servers.join_next().await {
        shutdown.cancel();
        match joined {
            Ok((name, Ok(()))) => tracing::info!(server = name, "stopped"),
            Ok((name, Err(e))) => failure = Some(format!("{name} server failed: {e}")),
            Err(e) => failure = Some(format!("a server task failed: {e}")),
        }
    }
    match failure {
        Some(message) => Err(anyhow::Error::msg(message)),
        None => Ok(()),
    }
}

/// The address to reach a server bound to `addr` from this process: a wildcard address
/// (`0.0.0.0`, `::`) is reached on loopback.
fn loopback(addr: std::net::SocketAddr) -> std::net::SocketAddr {
    match addr {
        std::net::SocketAddr::V4(v4) if v4.ip().is_unspecified() => {
            std::net::SocketAddr::from(([127, 0, 0, 1], v4.port()))
        }
        std::net::SocketAddr::V6(v6) if v6.ip().is_unspecified() => {
            std::net::SocketAddr::from((std::net::Ipv6Addr::LOCALHOST, v6.port()))
        }
        other => other,
    }
}

/// What the services' own ports already started, which 8080 shares: the chat hub, the
/// webhook deliverer, the brokers' relays.
struct Started {
    ws: ws_svc::state::WsState,
    webhooks: rest_svc::webhooks::Webhooks,
    messaging: messaging_svc::routes::Links,
}

/// Port 8080: every service's routes under the gateway's paths, gRPC-Web included
/// (forwarded to `grpc`, this process's gRPC server, when given).
fn composed(
    settings: &ServerSettings,
    args: &ServeArgs,
    store: Store,
    started: Started,
    shutdown: tokio_util::sync::CancellationToken,
    grpc: Option<std::net::SocketAddr>,
) -> std::io::Result<HttpApp> {
    let Started {
        ws,
        webhooks,
        messaging,
    } = started;
    let rest = rest_svc::routes::AppState {
        store: store.clone(),
        body_limit: args.rest.body_limit,
        shutdown: shutdown.clone(),
        webhooks,
    };
    let rpc = rpc_svc::state::RpcState::new(store.clone(), args.rpc.body_limit);
    let limits = args.graphql.limits();
    let graphql = graphql_svc::http::GraphqlState {
        schema: graphql_svc::schema::build(store.clone(), &limits),
        limits,
        shutdown,
    };
    HttpApp::build(settings, move |cfg: &mut web::ServiceConfig| {
        cfg.configure(rest_svc::routes::api(rest.clone()))
            .configure(rpc_svc::routes::api(rpc.clone()))
            .configure(ws_svc::routes::api(ws.clone()))
            .configure(graphql_svc::routes::api(graphql.clone()))
            .configure(messaging_svc::routes::api(messaging.clone()))
            .service(runtime::health::resource(store.clone()))
            .route("/", web::get().to(index))
            .route("/grpc", web::get().to(grpc_page))
            .route("/grpc/app.js", web::get().to(grpc_script));
        if let Some(grpc) = grpc {
            cfg.configure(crate::grpc_web::configure(grpc));
        }
        cfg.default_service(web::to(rest_svc::routes::not_found));
    })
}

async fn grpc_page() -> HttpResponse {
    HttpResponse::Ok()
        .content_type("text/html; charset=utf-8")
        .body(GRPC_HTML)
}

async fn grpc_script() -> HttpResponse {
    HttpResponse::Ok()
        .content_type("text/javascript; charset=utf-8")
        .body(GRPC_JS)
}

async fn index() -> HttpResponse {
    HttpResponse::Ok()
        .content_type("text/html; charset=utf-8")
        .body(INDEX_HTML)
}

//! `ws-svc`: the WebSocket service on its own (one container of the Compose stack).

use clap::Parser;
use runtime::http::ServerSettings;
use ws_svc::{Config, startup};

#[tokio::main]
async fn main() -> std::process::ExitCode {
    // `ws-svc healthcheck`: what the container's HEALTHCHECK runs.
    if std::env::args().nth(1).as_deref() == Some("healthcheck") {
        return runtime::http::healthcheck("WS_ADDR", 8003);
    }
    runtime::settings::load_env_file();
    let config = Config::parse();
    runtime::init_tracing(&config.runtime);
    let shutdown = runtime::shutdown_on_signal();
    let store = match runtime::open_store(&config.database, &shutdown) {
        Ok(store) => store,
        Err(error) => {
            tracing::error!(%error, "cannot use the database");
            return std::process::ExitCode::FAILURE;
        }
    };
    let settings = ServerSettings {
        addr: config.addr,
        workers: config.workers,
        shutdown_grace: config.runtime.shutdown_grace(),
    };
    let state = startup::state(
        store,
        config.ws.limits(),
        config.ws.origins(),
        shutdown.clone(),
    );
    let app = startup::build(&settings, state);
    runtime::http::serve("ws-svc", app, settings.addr, shutdown).await
}

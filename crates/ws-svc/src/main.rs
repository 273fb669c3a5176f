//! `ws-svc`: the WebSocket service on its own (one container of the Compose stack).

use clap::Parser;
use runtime::http::ServerSettings;
use runtime::settings::ServiceCommand;
use ws_svc::{Config, startup};

#[tokio::main]
async fn main() -> std::process::ExitCode {
    runtime::settings::load_env_file();
    let config = Config::parse();
    // `ws-svc healthcheck`: what the container's HEALTHCHECK runs.
    if config.command == Some(ServiceCommand::Healthcheck) {
        return runtime::http::healthcheck(config.addr.port());
    }
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

//! `ws-svc`: the WebSocket service on its own (one container of the Compose stack).

use std::process::ExitCode;

use clap::Parser;
use model::Store;
use runtime::http::ServerSettings;
use ws_svc::{Config, startup};

#[tokio::main]
async fn main() -> ExitCode {
    let config = Config::parse();
    runtime::init_tracing(&config.runtime);
    let shutdown = runtime::shutdown_on_signal();

    tracing::info!(database = %config.database.database_url, "opening database");
    let store = Store::open(
        &config.database.database_url,
        &config.database.pool_options(),
    );
    runtime::spawn_migrations(store.clone(), shutdown.clone());

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
    let app = match startup::build(&settings, state) {
        Ok(app) => app,
        Err(error) => {
            tracing::error!(%error, addr = %settings.addr, "cannot listen");
            return ExitCode::FAILURE;
        }
    };
    tracing::info!(addr = %app.local_addr(), "ws-svc listening");
    match app.run_until_stopped(shutdown).await {
        Ok(()) => {
            tracing::info!("ws-svc stopped");
            ExitCode::SUCCESS
        }
        Err(error) => {
            tracing::error!(%error, "ws-svc failed");
            ExitCode::FAILURE
        }
    }
}

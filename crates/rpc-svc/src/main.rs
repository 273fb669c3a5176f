//! `rpc-svc`: the JSON-RPC and XML-RPC service on its own (one container of the Compose stack).

use std::process::ExitCode;

use clap::Parser;
use model::Store;
use rpc_svc::{Config, startup};
use runtime::http::ServerSettings;

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
    let app = match startup::build(&settings, config.body_limit, store) {
        Ok(app) => app,
        Err(error) => {
            tracing::error!(%error, addr = %settings.addr, "cannot listen");
            return ExitCode::FAILURE;
        }
    };
    tracing::info!(addr = %app.local_addr(), "rpc-svc listening");
    match app.run_until_stopped(shutdown).await {
        Ok(()) => {
            tracing::info!("rpc-svc stopped");
            ExitCode::SUCCESS
        }
        Err(error) => {
            tracing::error!(%error, "rpc-svc failed");
            ExitCode::FAILURE
        }
    }
}

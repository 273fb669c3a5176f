//! `grpc-svc`: the gRPC service on its own (one container of the Compose stack).

use std::process::ExitCode;

use clap::Parser;
use grpc_svc::{Config, startup};
use model::Store;

#[tokio::main]
async fn main() -> ExitCode {
    let config = Config::parse();
    runtime::init_tracing(&config.runtime);
    let shutdown = runtime::shutdown_on_signal();

    let settings = match config.grpc.settings() {
        Ok(settings) => settings,
        Err(error) => {
            tracing::error!(%error, "bad gRPC settings");
            return ExitCode::FAILURE;
        }
    };
    tracing::info!(database = %config.database.database_url, "opening database");
    let store = Store::open(
        &config.database.database_url,
        &config.database.pool_options(),
    );
    runtime::spawn_migrations(store.clone(), shutdown.clone());

    let app = match startup::build(&settings, store).await {
        Ok(app) => app,
        Err(error) => {
            tracing::error!(%error, addr = %settings.addr, "cannot listen");
            return ExitCode::FAILURE;
        }
    };
    tracing::info!(addr = %app.local_addr(), tls = settings.tls.is_some(), "grpc-svc listening");
    match app.run_until_stopped(shutdown).await {
        Ok(()) => {
            tracing::info!("grpc-svc stopped");
            ExitCode::SUCCESS
        }
        Err(error) => {
            tracing::error!(%error, "grpc-svc failed");
            ExitCode::FAILURE
        }
    }
}

//! `grpc-svc`: the gRPC service on its own (one container of the Compose stack).

use std::process::ExitCode;

use clap::Parser;
use grpc_svc::{Config, startup};

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
    let store = runtime::open_store(&config.database, &shutdown);

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

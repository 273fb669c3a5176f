//! `rest-svc`: the REST service on its own (one container of the Compose stack).

use clap::Parser;
use model::Store;
use rest_svc::{Application, Config, ServerSettings};

#[tokio::main]
async fn main() -> std::process::ExitCode {
    let config = Config::parse();
    runtime::init_tracing(&config.runtime);
    let shutdown = runtime::shutdown_on_signal();

    let store = Store::open(
        &config.database.database_url,
        &config.database.pool_options(),
    );
    tracing::info!(database = %config.database.database_url, "opening database");
    spawn_migrations(store.clone(), shutdown.clone());

    let settings = ServerSettings {
        addr: config.addr,
        body_limit: config.body_limit,
        workers: config.workers,
        shutdown_grace: config.runtime.shutdown_grace(),
    };
    let app = match Application::build(&settings, store) {
        Ok(app) => app,
        Err(error) => {
            tracing::error!(%error, addr = %settings.addr, "cannot listen");
            return std::process::ExitCode::FAILURE;
        }
    };
    tracing::info!(addr = %app.local_addr(), "rest-svc listening");
    match app.run_until_stopped(shutdown).await {
        Ok(()) => {
            tracing::info!("rest-svc stopped");
            std::process::ExitCode::SUCCESS
        }
        Err(error) => {
            tracing::error!(%error, "rest-svc failed");
            std::process::ExitCode::FAILURE
        }
    }
}

/// Applies migrations once the database answers; a migration that fails stops the process.
fn spawn_migrations(store: Store, shutdown: tokio_util::sync::CancellationToken) {
    tokio::spawn(async move {
        match store.migrate_until_ready().await {
            Ok(applied) => tracing::info!(?applied, "database schema is up to date"),
            Err(error) => {
                tracing::error!(error = ?error, "migrations failed; shutting down");
                shutdown.cancel();
            }
        }
    });
}

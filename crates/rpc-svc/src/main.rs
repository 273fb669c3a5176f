//! `rpc-svc`: the JSON-RPC and XML-RPC service on its own (one container of the Compose stack).

use clap::Parser;
use rpc_svc::{Config, startup};
use runtime::http::ServerSettings;
use runtime::settings::ServiceCommand;

#[tokio::main]
async fn main() -> std::process::ExitCode {
    runtime::settings::load_env_file();
    let config = Config::parse();
    // `rpc-svc healthcheck`: what the container's HEALTHCHECK runs.
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
    let app = startup::build(&settings, config.body_limit, store);
    runtime::http::serve("rpc-svc", app, settings.addr, shutdown).await
}

//! `rest-svc`: the REST service on its own (one container of the Compose stack).

use clap::Parser;
use rest_svc::{Config, startup};
use runtime::http::ServerSettings;

#[tokio::main]
async fn main() -> std::process::ExitCode {
    let config = Config::parse();
    runtime::init_tracing(&config.runtime);
    let shutdown = runtime::shutdown_on_signal();
    let store = runtime::open_store(&config.database, &shutdown);
    let settings = ServerSettings {
        addr: config.addr,
        workers: config.workers,
        shutdown_grace: config.runtime.shutdown_grace(),
    };
    let app = startup::build(&settings, config.body_limit, store);
    runtime::http::serve("rest-svc", app, settings.addr, shutdown).await
}

//! `grpc-svc`: the gRPC service on its own (one container of the Compose stack).

use std::process::ExitCode;

use clap::Parser;
use grpc_svc::{Config, startup};
use runtime::settings::ServiceCommand;

#[tokio::main]
async fn main() -> ExitCode {
    runtime::settings::load_env_file();
    let config = Config::parse();
    // `grpc-svc healthcheck`: what the container's HEALTHCHECK runs.
    if config.command == Some(ServiceCommand::Healthcheck) {
        return healthcheck(config.grpc.addr.port()).await;
    }
    runtime::init_tracing(&config.runtime);
    let shutdown = runtime::shutdown_on_signal();

    let settings = match config.grpc.settings(config.runtime.shutdown_grace()) {
        Ok(settings) => settings,
        Err(error) => {
            tracing::error!(%error, "bad gRPC settings");
            return ExitCode::FAILURE;
        }
    };
    let store = match runtime::open_store(&config.database, &shutdown) {
        Ok(store) => store,
        Err(error) => {
            tracing::error!(%error, "cannot use the database");
            return ExitCode::FAILURE;
        }
    };

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

/// Asks the server on `port` (on localhost) for its overall health over
/// `grpc.health.v1.Health/Check`: exit 0 when SERVING, 1 otherwise.
async fn healthcheck(port: u16) -> ExitCode {
    use tonic_health::pb::health_check_response::ServingStatus;
    use tonic_health::pb::{HealthCheckRequest, health_client::HealthClient};
    let status = async {
        let channel = tonic::transport::Channel::from_shared(format!("http://127.0.0.1:{port}"))
            .ok()?
            .connect()
            .await
            .ok()?;
        let mut client = HealthClient::new(channel);
        let response = client
            .check(HealthCheckRequest {
                service: String::new(),
            })
            .await
            .ok()?;
        Some(response.into_inner().status)
    }
    .await;
    if status == Some(ServingStatus::Serving as i32) {
        ExitCode::SUCCESS
    } else {
        eprintln!("not serving: {status:?}");
        ExitCode::FAILURE
    }
}

//! `grpc-svc`'s settings, read once from flags or the environment (`grpc-svc --help`),
//! and how the binary runs with them. `protocols serve` flattens the same [`Args`].

use std::net::SocketAddr;
use std::path::PathBuf;
use std::time::Duration;

use std::process::ExitCode;

use model::Store;
use tokio_util::sync::CancellationToken;

use crate::startup::{self, GrpcSettings, TlsSettings};

/// The gRPC server's settings.
#[derive(Debug, Clone, clap::Args)]
#[group(id = "grpc-svc")]
pub struct Args {
    /// Address the gRPC server listens on (HTTP/2, and HTTP/1.1 for gRPC-Web).
    #[arg(
        id = "grpc_addr",
        long = "grpc-addr",
        env = "GRPC_ADDR",
        default_value = "127.0.0.1:50051",
        value_parser = runtime::settings::listen_addr
    )]
    pub addr: SocketAddr,

    /// Largest request message, in bytes; larger ones get RESOURCE_EXHAUSTED.
    #[arg(long, env = "GRPC_MAX_MESSAGE_BYTES", default_value_t = 4 * 1024 * 1024)]
    pub grpc_max_message_bytes: usize,

    /// Seconds between database checks behind the gRPC health service.
    #[arg(long, env = "GRPC_HEALTH_INTERVAL_SECS", default_value_t = 2)]
    pub grpc_health_interval_secs: u64,

    /// TLS certificate chain (PEM). With GRPC_TLS_KEY, the server speaks TLS instead of plaintext.
    #[arg(long, env = "GRPC_TLS_CERT", requires = "grpc_tls_key")]
    pub grpc_tls_cert: Option<PathBuf>,

    /// TLS private key (PEM).
    #[arg(long, env = "GRPC_TLS_KEY", requires = "grpc_tls_cert")]
    pub grpc_tls_key: Option<PathBuf>,

    /// CA certificate (PEM) that client certificates must chain to: turns on mutual TLS.
    #[arg(long, env = "GRPC_TLS_CLIENT_CA", requires = "grpc_tls_cert")]
    pub grpc_tls_client_ca: Option<PathBuf>,
}

impl Args {
    /// Reads the TLS files, if any, into server settings; `shutdown_grace` comes from
    /// the runtime settings (`SHUTDOWN_GRACE_SECS`).
    ///
    /// # Errors
    /// When a TLS file can't be read; the message names the file.
    pub fn settings(&self, shutdown_grace: Duration) -> Result<GrpcSettings, String> {
        let read = |path: &PathBuf| {
            std::fs::read(path).map_err(|e| format!("cannot read {}: {e}", path.display()))
        };
        let tls = match (&self.grpc_tls_cert, &self.grpc_tls_key) {
            (Some(cert), Some(key)) => Some(TlsSettings {
                cert_pem: read(cert)?,
                key_pem: read(key)?,
                client_ca_pem: self.grpc_tls_client_ca.as_ref().map(read).transpose()?,
            }),
            _ => None,
        };
        Ok(GrpcSettings {
            addr: self.addr,
            max_message_bytes: self.grpc_max_message_bytes,
            health_interval: Duration::from_secs(self.grpc_health_interval_secs.max(1)),
            tls,
            shutdown_grace,
        })
    }
}

impl runtime::service::Service for Args {
    const NAME: &'static str = "grpc-svc";
    const ABOUT: &'static str = "gRPC and gRPC-Web over the shared Dummy model (tonic)";
    const VERSION: &'static str = env!("CARGO_PKG_VERSION");

    /// Asks the server on this port (on localhost) for its overall health over
    /// `grpc.health.v1.Health/Check`: exit 0 when SERVING, 1 otherwise.
    async fn healthcheck(&self) -> ExitCode {
        use tonic_health::pb::health_check_response::ServingStatus;
        use tonic_health::pb::{HealthCheckRequest, health_client::HealthClient};
        let port = self.addr.port();
        let status = async {
            let channel =
                tonic::transport::Channel::from_shared(format!("http://127.0.0.1:{port}"))
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

    async fn run(self, store: Store, shutdown: CancellationToken, grace: Duration) -> ExitCode {
        let settings = match self.settings(grace) {
            Ok(settings) => settings,
            Err(error) => {
                tracing::error!(%error, "bad gRPC settings");
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
}

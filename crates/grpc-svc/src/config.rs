//! `grpc-svc`'s settings, read once from flags or the environment (`grpc-svc --help`).

use std::net::SocketAddr;
use std::path::PathBuf;
use std::time::Duration;

use runtime::RuntimeArgs;
use runtime::settings::{DatabaseArgs, ServiceCommand};

use crate::startup::{GrpcSettings, TlsSettings};

/// Everything `grpc-svc` reads at start-up.
#[derive(Debug, Clone, clap::Parser)]
#[command(
    name = "grpc-svc",
    version,
    about = "gRPC and gRPC-Web over the shared Dummy model (tonic)"
)]
pub struct Config {
    #[command(flatten)]
    #[allow(missing_docs)]
    pub grpc: GrpcArgs,

    #[command(flatten)]
    #[allow(missing_docs)]
    pub database: DatabaseArgs,

    #[command(flatten)]
    #[allow(missing_docs)]
    pub runtime: RuntimeArgs,
    /// `healthcheck` instead of serving.
    #[command(subcommand)]
    pub command: Option<ServiceCommand>,
}

/// The gRPC server's own settings, shared with `protocols serve`.
#[derive(Debug, Clone, clap::Args)]
pub struct GrpcArgs {
    /// Address the gRPC server listens on (HTTP/2, and HTTP/1.1 for gRPC-Web).
    #[arg(
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

impl GrpcArgs {
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

//! `rpc-svc`'s settings, read once from flags or the environment (`rpc-svc --help`).

use std::net::SocketAddr;

use runtime::RuntimeArgs;
use runtime::settings::{DatabaseArgs, ServiceCommand};

/// Everything `rpc-svc` reads at start-up.
#[derive(Debug, Clone, clap::Parser)]
#[command(
    name = "rpc-svc",
    version,
    about = "JSON-RPC 2.0 and XML-RPC over HTTP, on the shared Dummy model"
)]
pub struct Config {
    /// Address to listen on (port 0 picks a free port).
    #[arg(
        long,
        env = "RPC_ADDR",
        default_value = "127.0.0.1:8002",
        value_parser = runtime::settings::listen_addr
    )]
    pub addr: SocketAddr,

    /// Largest request body accepted, in bytes; larger ones get 413 with an error in the envelope's form.
    #[arg(long, env = "RPC_BODY_LIMIT_BYTES", default_value_t = 256 * 1024)]
    pub body_limit: usize,

    /// HTTP worker threads (0: one per CPU core).
    #[arg(long, env = "RPC_WORKERS", default_value_t = 0)]
    pub workers: usize,

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

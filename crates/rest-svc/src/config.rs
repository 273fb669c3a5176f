//! `rest-svc`'s settings, read once from flags or the environment (`rest-svc --help`).

use std::net::SocketAddr;

use runtime::RuntimeArgs;
use runtime::settings::{DatabaseArgs, ServiceCommand};

/// Everything `rest-svc` reads at start-up.
#[derive(Debug, Clone, clap::Parser)]
#[command(
    name = "rest-svc",
    version,
    about = "REST/JSON CRUD over the shared Dummy model (actix-web)"
)]
pub struct Config {
    /// Address to listen on (port 0 picks a free port).
    #[arg(
        long,
        env = "REST_ADDR",
        default_value = "127.0.0.1:8001",
        value_parser = runtime::settings::listen_addr
    )]
    pub addr: SocketAddr,

    /// Largest request body accepted, in bytes; larger ones get 413.
    #[arg(long, env = "REST_BODY_LIMIT_BYTES", default_value_t = 64 * 1024)]
    pub body_limit: usize,

    /// HTTP worker threads (0: one per CPU core).
    #[arg(long, env = "REST_WORKERS", default_value_t = 0)]
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

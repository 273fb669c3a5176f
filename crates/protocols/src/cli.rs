//! The command line: subcommands and their settings.

use std::net::SocketAddr;

use clap::{Args, Parser, Subcommand};
use runtime::RuntimeArgs;
use runtime::settings::DatabaseArgs;

/// Learn, compare and watch network protocols: REST, JSON-RPC/XML-RPC, gRPC and WebSocket
/// over one shared data model.
#[derive(Debug, Parser)]
#[command(name = "protocols", version)]
pub struct Cli {
    #[command(subcommand)]
    pub command: Command,
}

impl Cli {
    /// The logging settings of whichever subcommand was chosen.
    pub fn runtime(&self) -> &RuntimeArgs {
        match &self.command {
            Command::Serve(a) => &a.runtime,
            Command::Seed(a) => &a.runtime,
            Command::Migrate(a) => &a.runtime,
        }
    }
}

#[derive(Debug, Subcommand)]
pub enum Command {
    /// Run every service in this one process (REST 8001, RPC 8002, WebSocket 8003, gRPC 50051, all HTTP routes on 8080).
    Serve(Box<ServeArgs>),
    /// Insert N random Dummies (pre_seeded = true).
    Seed(SeedArgs),
    /// Apply pending database migrations and exit.
    Migrate(MigrateArgs),
}

#[derive(Debug, Args)]
pub struct ServeArgs {
    /// Where the REST service listens on its own.
    #[arg(
        long,
        env = "REST_ADDR",
        default_value = "127.0.0.1:8001",
        value_parser = runtime::settings::listen_addr
    )]
    pub rest_addr: SocketAddr,

    /// Where the JSON-RPC/XML-RPC service listens on its own.
    #[arg(
        long,
        env = "RPC_ADDR",
        default_value = "127.0.0.1:8002",
        value_parser = runtime::settings::listen_addr
    )]
    pub rpc_addr: SocketAddr,

    /// Where every HTTP route is served together, under the gateway's paths.
    #[arg(
        long,
        env = "HTTP_ADDR",
        default_value = "127.0.0.1:8080",
        value_parser = runtime::settings::listen_addr
    )]
    pub http_addr: SocketAddr,

    /// Largest REST request body, in bytes; larger ones get 413.
    #[arg(long, env = "REST_BODY_LIMIT_BYTES", default_value_t = 64 * 1024)]
    pub body_limit: usize,

    /// Largest RPC request body, in bytes; larger ones get 413.
    #[arg(long, env = "RPC_BODY_LIMIT_BYTES", default_value_t = 256 * 1024)]
    pub rpc_body_limit: usize,

    /// HTTP worker threads per server (0: one per CPU core).
    #[arg(long, env = "HTTP_WORKERS", default_value_t = 0)]
    pub workers: usize,

    /// Where the WebSocket service listens on its own.
    #[arg(
        long,
        env = "WS_ADDR",
        default_value = "127.0.0.1:8003",
        value_parser = runtime::settings::listen_addr
    )]
    pub ws_addr: SocketAddr,

    #[command(flatten)]
    pub ws: ws_svc::config::WsArgs,

    #[command(flatten)]
    pub grpc: grpc_svc::config::GrpcArgs,

    #[command(flatten)]
    pub database: DatabaseArgs,

    #[command(flatten)]
    pub runtime: RuntimeArgs,
}

#[derive(Debug, Args)]
pub struct SeedArgs {
    /// How many Dummies to insert.
    #[arg(default_value_t = 100_000)]
    pub count: usize,

    /// Rows per transaction (each transaction is several multi-row INSERTs).
    #[arg(long, default_value_t = 20_000)]
    pub batch: usize,

    #[command(flatten)]
    pub database: DatabaseArgs,

    #[command(flatten)]
    pub runtime: RuntimeArgs,
}

#[derive(Debug, Args)]
pub struct MigrateArgs {
    #[command(flatten)]
    pub database: DatabaseArgs,

    #[command(flatten)]
    pub runtime: RuntimeArgs,
}

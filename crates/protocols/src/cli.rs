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
            Command::Call(a) => &a.runtime,
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
    /// Call any protocol and print the answer (--wire: the bytes both ways), e.g. `call jsonrpc add 2 3`.
    Call(Box<crate::call::CallArgs>),
}

/// `serve`'s settings: each service's own, as its binary reads them (`rest-svc --help`),
/// and those of port 8080, where every HTTP route is served together.
#[derive(Debug, Args)]
pub struct ServeArgs {
    /// Where every HTTP route is served together, under the gateway's paths.
    #[arg(
        long,
        env = "HTTP_ADDR",
        default_value = "127.0.0.1:8080",
        value_parser = runtime::settings::listen_addr
    )]
    pub http_addr: SocketAddr,

    /// HTTP worker threads of port 8080, and of each service whose own setting is unset (0: one per CPU core).
    #[arg(long, env = "HTTP_WORKERS", default_value_t = 0)]
    pub workers: usize,

    #[command(flatten)]
    pub rest: rest_svc::Args,

    #[command(flatten)]
    pub rpc: rpc_svc::Args,

    #[command(flatten)]
    pub ws: ws_svc::Args,

    #[command(flatten)]
    pub grpc: grpc_svc::Args,

    #[command(flatten)]
    pub graphql: graphql_svc::Args,

    #[command(flatten)]
    pub messaging: messaging_svc::Args,

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

#[cfg(test)]
mod tests {
    use clap::CommandFactory;

    /// clap's own consistency checks: `serve` flattens the four services' settings, so
    /// a flag, variable or argument id two of them share is caught here.
    #[test]
    fn the_command_line_is_consistent() {
        super::Cli::command().debug_assert();
    }
}

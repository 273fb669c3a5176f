//! `rpc-svc`'s settings, read once from flags or the environment (`rpc-svc --help`),
//! and how the binary runs with them. `protocols serve` flattens the same [`Args`].

use std::net::SocketAddr;

use model::Store;
use runtime::http::{HttpApp, HttpService, ServerSettings};
use tokio_util::sync::CancellationToken;

use crate::startup;

/// The RPC server's settings.
#[derive(Debug, Clone, clap::Args)]
#[group(id = "rpc-svc")]
pub struct Args {
    /// Where the JSON-RPC/XML-RPC service listens (port 0 picks a free port).
    #[arg(
        id = "rpc_addr",
        long = "rpc-addr",
        env = "RPC_ADDR",
        default_value = "127.0.0.1:8002",
        value_parser = runtime::settings::listen_addr
    )]
    pub addr: SocketAddr,

    /// Largest RPC request body, in bytes; larger ones get 413 with an error in the envelope's form.
    #[arg(id = "rpc_body_limit", long = "rpc-body-limit", env = "RPC_BODY_LIMIT_BYTES", default_value_t = 256 * 1024)]
    pub body_limit: usize,

    /// HTTP worker threads of the RPC server (0: one per CPU core; unset under `protocols serve`: its HTTP_WORKERS).
    #[arg(id = "rpc_workers", long = "rpc-workers", env = "RPC_WORKERS")]
    pub workers: Option<usize>,
}

impl HttpService for Args {
    const NAME: &'static str = "rpc-svc";
    const ABOUT: &'static str = "JSON-RPC 2.0 and XML-RPC over HTTP, on the shared Dummy model";
    const VERSION: &'static str = env!("CARGO_PKG_VERSION");

    fn listen(&self) -> (SocketAddr, Option<usize>) {
        (self.addr, self.workers)
    }

    fn build(
        self,
        settings: &ServerSettings,
        store: Store,
        _shutdown: CancellationToken,
    ) -> std::io::Result<HttpApp> {
        startup::build(settings, self.body_limit, store)
    }
}

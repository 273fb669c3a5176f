//! `rest-svc`'s settings, read once from flags or the environment (`rest-svc --help`),
//! and how the binary runs with them. `protocols serve` flattens the same [`Args`].

use std::net::SocketAddr;

use model::Store;
use runtime::http::{HttpApp, HttpService, ServerSettings};
use tokio_util::sync::CancellationToken;

use crate::startup;

/// The REST server's settings.
#[derive(Debug, Clone, clap::Args)]
#[group(id = "rest-svc")]
pub struct Args {
    /// Where the REST service listens (port 0 picks a free port).
    #[arg(
        id = "rest_addr",
        long = "rest-addr",
        env = "REST_ADDR",
        default_value = "127.0.0.1:8001",
        value_parser = runtime::settings::listen_addr
    )]
    pub addr: SocketAddr,

    /// Largest REST request body, in bytes; larger ones get 413.
    #[arg(id = "rest_body_limit", long = "rest-body-limit", env = "REST_BODY_LIMIT_BYTES", default_value_t = 64 * 1024)]
    pub body_limit: usize,

    /// HTTP worker threads of the REST server (0: one per CPU core; unset under `protocols serve`: its HTTP_WORKERS).
    #[arg(id = "rest_workers", long = "rest-workers", env = "REST_WORKERS")]
    pub workers: Option<usize>,
}

impl HttpService for Args {
    const NAME: &'static str = "rest-svc";
    const ABOUT: &'static str = "REST/JSON CRUD over the shared Dummy model (actix-web)";
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

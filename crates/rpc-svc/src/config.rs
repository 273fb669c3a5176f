//! `rpc-svc`'s settings, read once from flags or the environment (`rpc-svc --help`),
//! and how the binary runs with them. `protocols serve` flattens the same [`Args`].

use model::Store;
use runtime::http::{HttpApp, HttpService, Listen, ServerSettings};
use tokio_util::sync::CancellationToken;

use crate::startup;

/// The RPC server's settings.
#[derive(Debug, Clone, clap::Args)]
#[group(id = "rpc-svc")]
pub struct Args {
    /// `--rpc-addr`, `--rpc-workers`.
    #[command(flatten)]
    pub listen: Listen<Args>,

    /// Largest RPC request body, in bytes; larger ones get 413 with an error in the envelope's form.
    #[arg(id = "rpc_body_limit", long = "rpc-body-limit", env = "RPC_BODY_LIMIT_BYTES", default_value_t = 256 * 1024)]
    pub body_limit: usize,
}

impl HttpService for Args {
    const NAME: &'static str = "rpc-svc";
    const ABOUT: &'static str = "JSON-RPC 2.0 and XML-RPC over HTTP, on the shared Dummy model";
    const VERSION: &'static str = env!("CARGO_PKG_VERSION");
    const DEFAULT_ADDR: &'static str = "127.0.0.1:8002";

    fn listen(&self) -> &Listen<Self> {
        &self.listen
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

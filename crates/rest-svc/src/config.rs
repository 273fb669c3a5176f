//! `rest-svc`'s settings, read once from flags or the environment (`rest-svc --help`),
//! and how the binary runs with them. `protocols serve` flattens the same [`Args`].

use model::Store;
use runtime::http::{HttpApp, HttpService, Listen, ServerSettings};
use tokio_util::sync::CancellationToken;

use crate::startup;

/// The REST server's settings.
#[derive(Debug, Clone, clap::Args)]
#[group(id = "rest-svc")]
pub struct Args {
    /// `--rest-addr`, `--rest-workers`.
    #[command(flatten)]
    pub listen: Listen<Args>,

    /// Largest REST request body, in bytes; larger ones get 413.
    #[arg(id = "rest_body_limit", long = "rest-body-limit", env = "REST_BODY_LIMIT_BYTES", default_value_t = 64 * 1024)]
    pub body_limit: usize,

    /// Where webhook deliveries may go, and how they are tried.
    #[command(flatten)]
    pub webhooks: crate::webhooks::Settings,
}

impl HttpService for Args {
    const NAME: &'static str = "rest-svc";
    const ABOUT: &'static str = "REST/JSON CRUD over the shared Dummy model (actix-web)";
    const VERSION: &'static str = env!("CARGO_PKG_VERSION");
    const DEFAULT_ADDR: &'static str = "127.0.0.1:8001";

    fn listen(&self) -> &Listen<Self> {
        &self.listen
    }

    fn build(
        self,
        settings: &ServerSettings,
        store: Store,
        shutdown: CancellationToken,
    ) -> std::io::Result<HttpApp> {
        let webhooks = crate::webhooks::start(self.webhooks, store.clone(), shutdown.clone());
        startup::build(settings, self.body_limit, webhooks, store, shutdown)
    }
}

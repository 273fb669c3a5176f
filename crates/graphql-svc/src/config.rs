//! `graphql-svc`'s settings, read once from flags or the environment
//! (`graphql-svc --help`), and how the binary runs with them.

use std::time::Duration;

use model::Store;
use runtime::http::{HttpApp, HttpService, Listen, ServerSettings};
use tokio_util::sync::CancellationToken;

use crate::limits::Limits;
use crate::startup;

/// The GraphQL server's settings; each limit is described in [`crate::limits`].
#[derive(Debug, Clone, clap::Args)]
#[group(id = "graphql-svc")]
pub struct Args {
    /// `--graphql-addr`, `--graphql-workers`.
    #[command(flatten)]
    pub listen: Listen<Args>,

    /// Largest request body (or GET query string), in bytes; larger ones get 413.
    #[arg(long = "graphql-max-bytes", env = "GRAPHQL_MAX_BYTES", default_value_t = Limits::default().max_bytes)]
    pub max_bytes: usize,

    /// Most operations in one batch (a JSON array of requests); 0 turns batching off.
    #[arg(long = "graphql-max-batch", env = "GRAPHQL_MAX_BATCH", default_value_t = Limits::default().max_batch)]
    pub max_batch: usize,

    /// Deepest nesting of selections.
    #[arg(long = "graphql-max-depth", env = "GRAPHQL_MAX_DEPTH", default_value_t = Limits::default().max_depth)]
    pub max_depth: usize,

    /// Most fields in one request (async-graphql's complexity, each field 1).
    #[arg(long = "graphql-max-complexity", env = "GRAPHQL_MAX_COMPLEXITY", default_value_t = Limits::default().max_complexity)]
    pub max_complexity: usize,

    /// Most aliased fields in one document.
    #[arg(long = "graphql-max-aliases", env = "GRAPHQL_MAX_ALIASES", default_value_t = Limits::default().max_aliases)]
    pub max_aliases: usize,

    /// Longest time one request may run, in milliseconds.
    #[arg(
        long = "graphql-timeout-ms",
        env = "GRAPHQL_TIMEOUT_MS",
        default_value_t = 10_000
    )]
    pub timeout_ms: u64,

    /// Milliseconds a WebSocket may wait for its `connection_init` to be acknowledged;
    /// then it is closed with 4408.
    #[arg(
        long = "graphql-init-timeout-ms",
        env = "GRAPHQL_INIT_TIMEOUT_MS",
        default_value_t = 3_000
    )]
    pub init_timeout_ms: u64,

    /// Seconds between the server's pings on a WebSocket; a client silent for twice as
    /// long is closed with 1001.
    #[arg(
        long = "graphql-heartbeat-secs",
        env = "GRAPHQL_HEARTBEAT_SECS",
        default_value_t = 5
    )]
    pub heartbeat_secs: u64,

    /// Answer introspection (`__schema`, `__type`): on, as befits a learning tool.
    #[arg(long = "graphql-introspection", env = "GRAPHQL_INTROSPECTION", default_value_t = true, action = clap::ArgAction::Set)]
    pub introspection: bool,
}

impl Args {
    /// The limits these settings describe.
    pub fn limits(&self) -> Limits {
        Limits {
            max_bytes: self.max_bytes,
            max_batch: self.max_batch,
            max_depth: self.max_depth,
            max_complexity: self.max_complexity,
            max_aliases: self.max_aliases,
            timeout: Duration::from_millis(self.timeout_ms),
            introspection: self.introspection,
            init_timeout: Duration::from_millis(self.init_timeout_ms),
            heartbeat: Duration::from_secs(self.heartbeat_secs.max(1)),
        }
    }
}

impl HttpService for Args {
    const NAME: &'static str = "graphql-svc";
    const ABOUT: &'static str =
        "GraphQL queries and mutations over the shared Dummy model (async-graphql on actix-web)";
    const VERSION: &'static str = env!("CARGO_PKG_VERSION");
    const DEFAULT_ADDR: &'static str = "127.0.0.1:8004";

    fn listen(&self) -> &Listen<Self> {
        &self.listen
    }

    fn build(
        self,
        settings: &ServerSettings,
        store: Store,
        shutdown: CancellationToken,
    ) -> std::io::Result<HttpApp> {
        startup::build(settings, self.limits(), store, shutdown)
    }
}

//! `ws-svc`'s settings, read once from flags or the environment (`ws-svc --help`),
//! and how the binary runs with them. `protocols serve` flattens the same [`Args`].

use std::time::Duration;

use model::Store;
use runtime::http::{HttpApp, HttpService, Listen, ServerSettings};
use tokio_util::sync::CancellationToken;

use crate::close::Limits;
use crate::origin::AllowedOrigins;
use crate::startup;

/// The WebSocket server's settings.
#[derive(Debug, Clone, clap::Args)]
#[group(id = "ws-svc")]
pub struct Args {
    /// `--ws-addr`, `--ws-workers`.
    #[command(flatten)]
    pub listen: Listen<Args>,

    /// Seconds between the server's pings.
    #[arg(long, env = "WS_HEARTBEAT_SECS", default_value_t = 5)]
    pub ws_heartbeat_secs: u64,

    /// Seconds of silence (no pong, no message) before a client is closed with 1001; at least twice the heartbeat.
    #[arg(long, env = "WS_CLIENT_TIMEOUT_SECS", default_value_t = 10)]
    pub ws_client_timeout_secs: u64,

    /// Largest message, in bytes; larger ones close the connection with 1009.
    #[arg(long, env = "WS_MAX_FRAME_BYTES", default_value_t = 64 * 1024)]
    pub ws_max_frame_bytes: usize,

    /// Chat messages a connection may have waiting before it counts as too slow (closed with 1008).
    #[arg(long, env = "WS_SEND_QUEUE", default_value_t = 64)]
    pub ws_send_queue: usize,

    /// Web page origins allowed to connect besides the server's own, comma-separated (`*` for any).
    #[arg(long, env = "WS_ALLOWED_ORIGINS", default_value = "")]
    pub ws_allowed_origins: String,
}

impl Args {
    /// The limits these settings describe (the timeout is raised to twice the heartbeat if lower).
    pub fn limits(&self) -> Limits {
        let heartbeat = Duration::from_secs(self.ws_heartbeat_secs.max(1));
        Limits {
            heartbeat,
            client_timeout: Duration::from_secs(self.ws_client_timeout_secs).max(heartbeat * 2),
            max_message_bytes: self.ws_max_frame_bytes.max(1024),
            send_queue: self.ws_send_queue.max(1),
        }
    }

    /// The allowed origins.
    pub fn origins(&self) -> AllowedOrigins {
        AllowedOrigins::parse(&self.ws_allowed_origins)
    }
}

impl HttpService for Args {
    const NAME: &'static str = "ws-svc";
    const ABOUT: &'static str = "WebSocket echo, chat rooms and a live Dummy feed (actix-ws)";
    const VERSION: &'static str = env!("CARGO_PKG_VERSION");
    const DEFAULT_ADDR: &'static str = "127.0.0.1:8003";

    fn listen(&self) -> &Listen<Self> {
        &self.listen
    }

    /// Starts this process's chat hub, then the server around it.
    fn build(
        self,
        settings: &ServerSettings,
        store: Store,
        shutdown: CancellationToken,
    ) -> std::io::Result<HttpApp> {
        let state = startup::state(store, self.limits(), self.origins(), shutdown);
        startup::build(settings, state)
    }
}

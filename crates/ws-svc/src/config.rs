//! `ws-svc`'s settings, read once from flags or the environment (`ws-svc --help`).

use std::net::SocketAddr;
use std::time::Duration;

use runtime::RuntimeArgs;
use runtime::settings::{DatabaseArgs, ServiceCommand};

use crate::close::Limits;
use crate::origin::AllowedOrigins;

/// Everything `ws-svc` reads at start-up.
#[derive(Debug, Clone, clap::Parser)]
#[command(
    name = "ws-svc",
    version,
    about = "WebSocket echo, chat rooms and a live Dummy feed (actix-ws)"
)]
pub struct Config {
    /// Address to listen on (port 0 picks a free port).
    #[arg(
        long,
        env = "WS_ADDR",
        default_value = "127.0.0.1:8003",
        value_parser = runtime::settings::listen_addr
    )]
    pub addr: SocketAddr,

    /// HTTP worker threads (0: one per CPU core).
    #[arg(long, env = "WS_WORKERS", default_value_t = 0)]
    pub workers: usize,

    #[command(flatten)]
    #[allow(missing_docs)]
    pub ws: WsArgs,

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

/// WebSocket limits and origins, shared with `protocols serve`.
#[derive(Debug, Clone, clap::Args)]
pub struct WsArgs {
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

impl WsArgs {
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

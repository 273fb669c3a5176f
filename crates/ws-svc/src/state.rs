//! What every WebSocket handler and session can reach, built once per process by
//! [`crate::startup::state`].

use model::Store;
use tokio_util::sync::CancellationToken;

use crate::chat::hub::HubHandle;
use crate::close::Limits;
use crate::origin::AllowedOrigins;

/// What every WebSocket handler can reach.
#[derive(Clone)]
pub struct WsState {
    /// The shared database handle (the feed, and room messages between replicas).
    pub store: Store,
    /// This process's chat hub.
    pub hub: HubHandle,
    /// Heartbeat, timeout and size limits.
    pub limits: Limits,
    /// Origins allowed besides the server's own.
    pub origins: AllowedOrigins,
    /// Cancelled on shutdown: every session closes with 1001.
    pub shutdown: CancellationToken,
}

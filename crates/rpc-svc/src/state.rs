//! What the RPC handlers can reach, and how they read a request body within its limit.

use actix_web::{HttpRequest, web};
use model::Store;

/// What the RPC handlers can reach.
#[derive(Clone)]
pub struct RpcState {
    /// The shared database handle.
    pub store: Store,
    /// Largest request body, in bytes.
    pub body_limit: usize,
}

/// Why a request body was not read.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum BodyError {
    /// Over the limit: by its `Content-Length` (nothing read), or as it arrived.
    TooLarge,
    /// The connection broke, or the chunked framing was bad.
    Broken,
}

impl RpcState {
    /// State for a store.
    pub fn new(store: Store, body_limit: usize) -> RpcState {
        RpcState { store, body_limit }
    }

    /// Reads the whole body, refusing one whose `Content-Length` is over the limit
    /// before reading any of it, and one without that grows over the limit as it comes.
    ///
    /// # Errors
    /// See [`BodyError`].
    pub async fn read_body(
        &self,
        req: &HttpRequest,
        payload: web::Payload,
    ) -> Result<web::Bytes, BodyError> {
        if runtime::http::declared_length(req).is_some_and(|length| length > self.body_limit) {
            return Err(BodyError::TooLarge);
        }
        match payload.to_bytes_limited(self.body_limit).await {
            Ok(Ok(body)) => Ok(body),
            Ok(Err(_)) => Err(BodyError::Broken),
            Err(_) => Err(BodyError::TooLarge),
        }
    }
}

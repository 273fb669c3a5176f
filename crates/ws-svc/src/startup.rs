//! Builds the WebSocket server. `main`, `protocols serve` and the tests call the same
//! [`build`].

use actix_web::web;
use model::Store;
use runtime::http::{HttpApp, ServerSettings};
use tokio_util::sync::CancellationToken;

use crate::chat::hub::Hub;
use crate::close::Limits;
use crate::origin::AllowedOrigins;
use crate::routes;
use crate::state::WsState;

/// The state the routes need: starts this process's chat hub.
pub fn state(
    store: Store,
    limits: Limits,
    origins: AllowedOrigins,
    shutdown: CancellationToken,
) -> WsState {
    WsState {
        hub: Hub::spawn(store.clone(), limits.send_queue, shutdown.clone()),
        store,
        limits,
        origins,
        shutdown,
    }
}

/// Binds the listener and builds the server. Sessions close with 1001 when
/// `state.shutdown` is cancelled; pass the same token to `run_until_stopped`.
///
/// # Errors
/// When the address can't be bound.
pub fn build(settings: &ServerSettings, state: WsState) -> std::io::Result<HttpApp> {
    let store = state.store.clone();
    HttpApp::build(settings, move |cfg: &mut web::ServiceConfig| {
        cfg.configure(routes::api(state.clone()))
            .service(runtime::health::resource(store.clone()));
    })
}

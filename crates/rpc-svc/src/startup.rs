//! Builds the JSON-RPC/XML-RPC server. `main` and the integration tests call the same
//! [`build`], so the tests exercise the production wiring.

use actix_web::web;
use model::Store;
use runtime::http::{HttpApp, ServerSettings};

use crate::routes;
use crate::state::RpcState;

/// Binds the listener (so the port is known and clients can connect at once) and
/// builds the server around an already opened store. Run it with
/// [`HttpApp::run_until_stopped`].
///
/// # Errors
/// When the address can't be bound.
pub fn build(
    settings: &ServerSettings,
    body_limit: usize,
    store: Store,
) -> std::io::Result<HttpApp> {
    let state = RpcState::new(store.clone(), body_limit);
    HttpApp::build(settings, move |cfg: &mut web::ServiceConfig| {
        cfg.configure(routes::api(state.clone()))
            .service(runtime::health::resource(store.clone()));
    })
}

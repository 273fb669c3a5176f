//! Builds the REST server. `main` and the integration tests call the same
//! [`build`], so the tests exercise the production wiring.

use actix_web::web;
use model::Store;
use runtime::http::{HttpApp, ServerSettings};
use tokio_util::sync::CancellationToken;

use crate::routes::{self, AppState};

/// Binds the listener (so the port is known and clients can connect at once) and
/// builds the server around an already opened store and the webhook deliverer's
/// handle ([`crate::webhooks::start`]). Run it with
/// [`HttpApp::run_until_stopped`].
///
/// # Errors
/// When the address can't be bound.
pub fn build(
    settings: &ServerSettings,
    body_limit: usize,
    webhooks: crate::webhooks::Webhooks,
    store: Store,
    shutdown: CancellationToken,
) -> std::io::Result<HttpApp> {
    let state = AppState {
        store: store.clone(),
        body_limit,
        shutdown,
        webhooks,
    };
    HttpApp::build(settings, move |cfg: &mut web::ServiceConfig| {
        cfg.configure(routes::api(state.clone()))
            .service(runtime::health::resource(store.clone()))
            .default_service(web::to(routes::not_found));
    })
}

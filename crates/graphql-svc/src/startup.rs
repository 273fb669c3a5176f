//! Builds the GraphQL server. `main` and the integration tests call the same
//! [`build`], so the tests exercise the production wiring.

use actix_web::web;
use model::Store;
use runtime::http::{HttpApp, ServerSettings};
use tokio_util::sync::CancellationToken;

use crate::http::GraphqlState;
use crate::limits::Limits;
use crate::{routes, schema};

/// Binds the listener and builds the server around an already opened store. Run it
/// with [`HttpApp::run_until_stopped`]; cancelling `shutdown` closes open WebSockets.
///
/// # Errors
/// When the address can't be bound.
pub fn build(
    settings: &ServerSettings,
    limits: Limits,
    store: Store,
    shutdown: CancellationToken,
) -> std::io::Result<HttpApp> {
    let state = GraphqlState {
        schema: schema::build(store.clone(), &limits),
        limits,
        shutdown,
    };
    HttpApp::build(settings, move |cfg: &mut web::ServiceConfig| {
        cfg.configure(routes::api(state.clone()))
            .service(runtime::health::resource(store.clone()));
    })
}

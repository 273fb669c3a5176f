//! The URL map of the GraphQL service.
//!
//! | Method | Path | Answer |
//! |---|---|---|
//! | POST | `/api/graphql` | a query or a mutation, or a batch of them ([`crate::http::post`]) |
//! | GET | `/api/graphql?query=…` | a query ([`crate::http::get`]); a mutation is `405` |
//! | GET | `/api/graphql/schema.graphql` | the schema, in GraphQL's SDL |
//! | GET | `/graphql` | the browser client page (`web/graphql.html`) |
//! | GET | `/healthz` | 200, or 503 while the database is down |

use actix_web::{HttpResponse, web};

use crate::http::{self, GraphqlState};

/// The browser page: a query editor, the bytes on the wire, and a live subscription.
pub const GRAPHQL_PAGE: &str = include_str!("../../../web/graphql.html");

/// Mounts `/api/graphql` and `/graphql`. Used by `graphql-svc` alone and by `protocols serve`.
pub fn api(state: GraphqlState) -> impl FnOnce(&mut web::ServiceConfig) {
    move |cfg| {
        cfg.service(
            web::scope("/api/graphql")
                .app_data(web::Data::new(state))
                .service(web::resource(["", "/"]).get(http::get).post(http::post))
                .route("/schema.graphql", web::get().to(sdl)),
        )
        .route("/graphql", web::get().to(page));
    }
}

async fn page() -> HttpResponse {
    HttpResponse::Ok()
        .content_type("text/html; charset=utf-8")
        .body(GRAPHQL_PAGE)
}

async fn sdl(state: web::Data<GraphqlState>) -> HttpResponse {
    HttpResponse::Ok()
        .content_type("text/plain; charset=utf-8")
        .body(state.schema.sdl())
}

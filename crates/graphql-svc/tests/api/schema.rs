//! The schema the code builds is the one committed in `graphql/schema.graphql`, and
//! the one the server hands out.

use test_support::Backend;

use crate::helpers::TestApp;

const COMMITTED: &str = include_str!("../../../../graphql/schema.graphql");
const PATH: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/../../graphql/schema.graphql");

/// A change to the schema's Rust types changes the SDL; commit the new file with it
/// (`GRAPHQL_SDL_WRITE=1 cargo test -p graphql-svc --test api schema` rewrites it).
fn the_committed_sdl_is_the_codes() {
    let built = graphql_svc::schema::sdl();
    if std::env::var_os("GRAPHQL_SDL_WRITE").is_some() {
        std::fs::write(PATH, &built).unwrap();
        return;
    }
    if built != COMMITTED {
        let first = built
            .lines()
            .zip(COMMITTED.lines())
            .position(|(a, b)| a != b)
            .unwrap_or(built.lines().count().min(COMMITTED.lines().count()));
        panic!(
            "graphql/schema.graphql differs from the code's schema from line {}:\n  code:      {:?}\n  committed: {:?}",
            first + 1,
            built.lines().nth(first),
            COMMITTED.lines().nth(first)
        );
    }
}

async fn the_server_serves_the_committed_sdl() {
    let app = TestApp::spawn(Backend::Sqlite).await;
    let response = app
        .client
        .get(app.url("/api/graphql/schema.graphql"))
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), 200);
    assert_eq!(response.text().await.unwrap(), COMMITTED);
}

test_support::tests! {
    sync: the_committed_sdl_is_the_codes;
    tokio: the_server_serves_the_committed_sdl;
}

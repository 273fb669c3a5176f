//! Creates, reads, patches and deletes a Dummy over GraphQL with the project's typed
//! client, then asks for a page of the connection with a document of its own.
//!
//! ```text
//! cargo run -p protocols -- serve                          # in one terminal
//! cargo run -p graphql-svc --example graphql_client        # in another
//! cargo run -p graphql-svc --example graphql_client -- 127.0.0.1:8004
//! ```

use clients::graphql::GraphqlClient;
use clients::{Fields, Patch};
use serde_json::json;

#[tokio::main(flavor = "current_thread")]
async fn main() -> Result<(), Box<dyn std::error::Error>> {
    let addr = std::env::args()
        .nth(1)
        .unwrap_or_else(|| "127.0.0.1:8080".to_owned())
        .parse()?;
    let client = GraphqlClient::new(addr);
    let fields = Fields {
        day: 2,
        weekday: 2,
        month: 2,
        year: 1985,
    };
    let (id, created) = client.create(fields).await?;
    println!("createDummy -> id {id}: {created:?}");
    println!("dummy       -> {:?}", client.get(id).await?);
    let patch = Patch {
        day: 3,
        weekday: 3,
        month: 3,
    };
    println!("patchDummy  -> {:?}", client.patch(id, patch).await?);
    client.delete(id).await?;
    println!(
        "deleteDummy -> done; dummy now: {:?}",
        client.get(id).await.unwrap_err()
    );
    let page = client
        .execute(
            "query($first: Int) { dummiesCount dummies(first: $first) { edges { cursor node { id day weekday } } pageInfo { hasNextPage endCursor } } }",
            &json!({"first": 3}),
        )
        .await?;
    println!("a page      -> {page:#}");
    Ok(())
}

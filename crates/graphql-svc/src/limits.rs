//! What one GraphQL request may cost, and where each limit is enforced.
//!
//! GraphQL lets the client shape the answer, so a single small request can ask for
//! a great deal of work: a deeply nested query, a thousand aliases of one field, a
//! batch of many operations. Each limit below has a setting (`graphql-svc --help`)
//! and is listed in the README's limits section.
//!
//! | Limit | Default | Enforced by | Answer |
//! |---|---|---|---|
//! | query size | 64 KiB | the HTTP layer, before parsing | `413` |
//! | batch length | 10 | the HTTP layer | `400` |
//! | depth | 16 | async-graphql's validation | `400`, "Query is nested too deep." |
//! | complexity (fields) | 1,000 | async-graphql's validation | `400`, "Query is too complex." |
//! | aliases | 50 | [`AliasLimit`], after parsing | `400` |
//! | time | 10 s | the HTTP layer, around execution | `504` |
//! | `connection_init` wait | 3 s | [`crate::ws`] | close `4408` |
//! | WebSocket silence | 2 × the 5 s heartbeat | [`crate::ws`] | close `1001` |
//!
//! The time limit is above the database's own waits (`DB_TIMEOUT_SECS` for a
//! connection, SQLite's 5 s busy timeout): a request stuck on the database gets its
//! clearer `UNAVAILABLE` first, and the time limit catches the rest.
//!
//! Depth 16 and complexity 1,000 leave room for the standard introspection query
//! that tools such as GraphiQL and `gql` send.

use std::sync::Arc;
use std::time::Duration;

use async_graphql::extensions::{Extension, ExtensionContext, ExtensionFactory, NextParseQuery};
use async_graphql::parser::types::{ExecutableDocument, Selection, SelectionSet};
use async_graphql::{ServerError, ServerResult, Variables};

/// The limits of one service.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Limits {
    /// Largest request body, or `query` parameter of a GET, in bytes.
    pub max_bytes: usize,
    /// Most operations in one batch (a JSON array of requests); 0 turns batching off.
    pub max_batch: usize,
    /// Deepest nesting of selections.
    pub max_depth: usize,
    /// Most fields, counted as async-graphql's complexity (each field 1).
    pub max_complexity: usize,
    /// Most aliased fields in one document.
    pub max_aliases: usize,
    /// Longest time one request may run.
    pub timeout: Duration,
    /// Whether `__schema` and `__type` are answered.
    pub introspection: bool,
    /// How long a WebSocket may stay open without `connection_init` being acknowledged.
    pub init_timeout: Duration,
    /// How often the server pings an open WebSocket; a client silent for twice this
    /// long (no pong, no message) is closed.
    pub heartbeat: Duration,
}

impl Default for Limits {
    fn default() -> Limits {
        Limits {
            max_bytes: 64 * 1024,
            max_batch: 10,
            max_depth: 16,
            max_complexity: 1_000,
            max_aliases: 50,
            timeout: Duration::from_secs(10),
            introspection: true,
            init_timeout: Duration::from_secs(3),
            heartbeat: Duration::from_secs(5),
        }
    }
}

/// Refuses a document with more than `max` aliased fields.
pub struct AliasLimit {
    /// The cap.
    pub max: usize,
}

impl ExtensionFactory for AliasLimit {
    fn create(&self) -> Arc<dyn Extension> {
        Arc::new(AliasLimit { max: self.max })
    }
}

#[async_trait::async_trait]
impl Extension for AliasLimit {
    async fn parse_query(
        &self,
        ctx: &ExtensionContext<'_>,
        query: &str,
        variables: &Variables,
        next: NextParseQuery<'_>,
    ) -> ServerResult<ExecutableDocument> {
        let document = next.run(ctx, query, variables).await?;
        let aliases = count_aliases(&document);
        if aliases > self.max {
            return Err(ServerError::new(
                format!(
                    "Query has {aliases} aliases; at most {} are allowed.",
                    self.max
                ),
                None,
            ));
        }
        Ok(document)
    }
}

/// Aliased fields in every operation and fragment, each fragment counted once.
fn count_aliases(document: &ExecutableDocument) -> usize {
    fn in_set(set: &SelectionSet) -> usize {
        set.items
            .iter()
            .map(|selection| match &selection.node {
                Selection::Field(field) => {
                    usize::from(field.node.alias.is_some()) + in_set(&field.node.selection_set.node)
                }
                Selection::InlineFragment(fragment) => in_set(&fragment.node.selection_set.node),
                Selection::FragmentSpread(_) => 0,
            })
            .sum()
    }
    document
        .operations
        .iter()
        .map(|(_, operation)| in_set(&operation.node.selection_set.node))
        .chain(
            document
                .fragments
                .values()
                .map(|fragment| in_set(&fragment.node.selection_set.node)),
        )
        .sum()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn aliases_are_counted_in_operations_and_fragments() {
        let document = async_graphql::parser::parse_query(
            "query { a: dummiesCount b: dummiesCount dummy(id: 1) { x: day ...F } } \
             fragment F on Dummy { y: month z: year }",
        )
        .unwrap();
        assert_eq!(count_aliases(&document), 5);
    }
}

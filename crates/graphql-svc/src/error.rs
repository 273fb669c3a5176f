//! The one place where a model error becomes a GraphQL error.
//!
//! A GraphQL answer carries its errors in an `errors` list beside `data`. Each error
//! has a `message`, the `path` of the field that failed, and `extensions`, whose
//! `code` says what kind of failure it is, so a client can branch on it:
//!
//! | model error | `extensions.code` | also in `extensions` |
//! |---|---|---|
//! | not found | `NOT_FOUND` | `id` |
//! | a broken field | `INVALID` | `field`, `messages` (REST's words) |
//! | a conflict | `CONFLICT` | |
//! | a resume position (`after`) the event journal no longer keeps | `TOO_OLD` | `after`, `prunedThrough` |
//! | database unavailable | `UNAVAILABLE` | |
//! | anything else | `INTERNAL` (details only in the server's log) | |
//!
//! Errors the GraphQL engine finds before running anything (a syntax error, an unknown
//! field, a variable of the wrong type, a limit) carry no path; `graphql-svc`'s HTTP
//! layer answers those with `400` under `application/graphql-response+json`.

use async_graphql::{Error, ErrorExtensions};

/// One GraphQL error per broken field, each `{code: "INVALID", field, messages}`; the
/// others are one error each.
pub fn to_graphql(error: model::Error) -> Vec<Error> {
    match error {
        model::Error::NotFound { id } => {
            vec![
                Error::new(format!("Dummy {id} not found")).extend_with(|_, e| {
                    e.set("code", "NOT_FOUND");
                    e.set("id", id.0.to_string());
                }),
            ]
        }
        model::Error::Invalid(fields) => fields
            .by_field()
            .into_iter()
            .map(|(field, messages)| invalid(graphql_name(field), &messages))
            .collect(),
        model::Error::Conflict(message) => {
            vec![Error::new(message).extend_with(|_, e| e.set("code", "CONFLICT"))]
        }
        error @ model::Error::TooOld {
            after,
            pruned_through,
        } => vec![Error::new(error.to_string()).extend_with(|_, e| {
            e.set("code", "TOO_OLD");
            e.set("after", after.to_string());
            e.set("prunedThrough", pruned_through.to_string());
        })],
        model::Error::Unavailable(source) => {
            tracing::warn!(error = %source, "database unavailable");
            vec![
                Error::new("the database is unavailable; try again later")
                    .extend_with(|_, e| e.set("code", "UNAVAILABLE")),
            ]
        }
        model::Error::Internal(source) => {
            tracing::error!(error = %source, "internal error");
            vec![Error::new("internal error").extend_with(|_, e| e.set("code", "INTERNAL"))]
        }
    }
}

/// `{code: "INVALID", field, messages}`, the message being the first of `messages`
/// prefixed with the field.
pub fn invalid(field: &str, messages: &[&str]) -> Error {
    let first = messages.first().copied().unwrap_or("Invalid value.");
    let list: Vec<async_graphql::Value> = messages
        .iter()
        .map(|m| async_graphql::Value::from(*m))
        .collect();
    Error::new(format!("{field}: {first}")).extend_with(|_, e| {
        e.set("code", "INVALID");
        e.set("field", field);
        e.set("messages", list);
    })
}

/// The model's wire names are snake_case; GraphQL's are camelCase.
fn graphql_name(field: &str) -> &str {
    match field {
        "pre_seeded" => "preSeeded",
        "id" => "ids",
        "limit" => "first",
        other => other,
    }
}

//! The `dummies` table and the event journal (`dummy_events`, see [`crate::journal`])
//! as diesel sees them, once per backend.
//!
//! The two declarations differ only in the timestamp type: PostgreSQL has a native
//! `TIMESTAMPTZ`, SQLite stores RFC 3339 text. Both map to `chrono::DateTime<Utc>`.
//! Keep them in step with `migrations/postgres` and `migrations/sqlite`.

#![allow(missing_docs)]

/// Schema of the PostgreSQL database.
pub mod postgres {
    diesel::table! {
        dummies (id) {
            id -> BigInt,
            day -> Integer,
            weekday -> Text,
            month -> Text,
            year -> Integer,
            pre_seeded -> Bool,
            created_at -> Timestamptz,
            updated_at -> Timestamptz,
        }
    }

    diesel::table! {
        dummy_events (seq) {
            seq -> BigInt,
            kind -> Text,
            dummy_id -> BigInt,
            dummy -> Text,
            at -> Timestamptz,
        }
    }

    diesel::table! {
        dummy_events_horizon (id) {
            id -> Integer,
            pruned_through -> BigInt,
        }
    }
}

/// Schema of the SQLite database.
pub mod sqlite {
    diesel::table! {
        dummies (id) {
            id -> BigInt,
            day -> Integer,
            weekday -> Text,
            month -> Text,
            year -> Integer,
            pre_seeded -> Bool,
            created_at -> TimestamptzSqlite,
            updated_at -> TimestamptzSqlite,
        }
    }

    diesel::table! {
        dummy_events (seq) {
            seq -> BigInt,
            kind -> Text,
            dummy_id -> BigInt,
            dummy -> Text,
            at -> TimestamptzSqlite,
        }
    }

    diesel::table! {
        dummy_events_horizon (id) {
            id -> Integer,
            pruned_through -> BigInt,
        }
    }
}

/// Webhook subscriptions and their deliveries (`model::webhooks`): one declaration for
/// both backends, since their times are microseconds since 1970, not timestamps.
pub mod webhooks {
    diesel::table! {
        webhooks (id) {
            id -> BigInt,
            url -> Text,
            kinds -> Text,
            description -> Text,
            secret -> Text,
            state -> Text,
            position -> BigInt,
            failures -> Integer,
            retry_at -> BigInt,
            lease_until -> BigInt,
            lease_token -> Text,
            disabled_reason -> Nullable<Text>,
            created_at -> BigInt,
            updated_at -> BigInt,
        }
    }

    diesel::table! {
        webhook_deliveries (id) {
            id -> BigInt,
            webhook_id -> BigInt,
            message_id -> Text,
            seq -> BigInt,
            event_type -> Text,
            body -> Text,
            state -> Text,
            attempts -> Integer,
            response_status -> Nullable<Integer>,
            error -> Nullable<Text>,
            latency_us -> Nullable<BigInt>,
            created_at -> BigInt,
            attempted_at -> Nullable<BigInt>,
            delivered_at -> Nullable<BigInt>,
        }
    }

    diesel::joinable!(webhook_deliveries -> webhooks (webhook_id));
    diesel::allow_tables_to_appear_in_same_query!(webhooks, webhook_deliveries);
}

/// The relays' places in the journal (`model::relays`); one declaration for both backends.
pub mod relays {
    diesel::table! {
        relays (name) {
            name -> Text,
            position -> BigInt,
            updated_at -> BigInt,
        }
    }
}

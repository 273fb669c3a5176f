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

//! The shared Dummy model: one record type, its validation, and the store that keeps it
//! in PostgreSQL or SQLite.
//!
//! Every protocol crate depends on this one and on nothing of each other's. A request
//! takes the same path whatever protocol carried it:
//!
//! ```text
//! bytes -> protocol decode -> DummyFields -> NewDummy / DummyData / DummyPatch  (validation here)
//!       -> Store (async, pooled, spawn_blocking) -> Dummy -> protocol encode -> bytes
//! ```
//!
//! - [`dummy`]: the record, its enums, and the rules (with the exact messages clients see).
//! - [`error`]: [`Error`], which each protocol maps to its own wire form in one `match`.
//! - [`json`]: [`DummyJson`], the one JSON form of a Dummy (REST, the WebSocket feed).
//! - [`db`]: `DATABASE_URL` parsing, the start-up check of an SQLite path
//!   ([`DatabaseUrl::prepare`], [`ConfigError`]), the two-backend connection enum and the pool.
//! - [`store`]: [`Store`], the only async entry point to the database.
//! - [`writer`]: SQLite's one writer thread, which commits waiting writes together.
//! - `pg_reader`: PostgreSQL's GET by id on shared, pipelined async connections.
//! - [`journal`]: the event journal, every change numbered and kept for a while, and
//!   [`Watch`], which resumes from a number without losing a change.
//! - [`relays`]: where each publisher of the journal to a broker stands.
//! - [`feed`]: the change feed of committed writes and named channels between replicas
//!   (PostgreSQL LISTEN/NOTIFY through an async listener, or in-process).
//! - [`schema`] and `migrations/`: the table, once per backend.
//!
//! # Backends
//!
//! `postgres://…` selects PostgreSQL (the Compose stack); anything else is an SQLite
//! file, `./data/protocols.sqlite3` by default. Migrations are embedded and applied at
//! start-up ([`Store::migrate`]), serialised by an advisory lock on PostgreSQL so that
//! services starting together do not race.

#![warn(missing_docs)]

pub mod db;
pub mod dummy;
pub mod error;
pub mod feed;
pub mod journal;
pub mod json;
mod migrate;
mod pg_reader;
pub mod relays;
pub mod schema;
pub mod store;
pub mod webhooks;
pub mod writer;

pub use db::{Backend, ConfigError, DatabaseUrl, PoolOptions};
pub use dummy::{
    Day, Dummy, DummyData, DummyFields, DummyId, DummyPatch, Month, NewDummy, Value, Weekday,
};
pub use error::{Error, FieldErrors};
pub use feed::{ChangeEvent, ChangeKind, Feed};
pub use journal::{Entry, Retention, Update, Watch};
pub use json::DummyJson;
pub use store::{Counts, ListQuery, MAX_IDS, MAX_PAGE, Store};

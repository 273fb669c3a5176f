//! # The reliability suite
//!
//! Runs the real service binaries (the ones a container runs) as separate processes
//! against a real PostgreSQL or SQLite file, and pushes them where a teaching stack
//! gets pushed: the database disappears and comes back, 32 clients write at once
//! while the services are stopped under them, a thousand WebSocket clients chat, idle
//! connections pile up, the configuration is wrong.
//!
//! Every scenario returns [`report::Row`]s: cases tried, checks that failed, panics
//! found in the services' logs, writes that were acknowledged but lost (or applied
//! by half), time to recover and peak memory. `reliability` prints them as one table
//! and exits non-zero when any row is not clean.
//!
//! | scenario | what it does |
//! |---|---|
//! | [`startup`] | five services started at once on a fresh database (migrations once, all healthy, open-file limits raised); each service and `protocols serve` started with the database down ([`down_at_start`]: listening at once, "unavailable", one WARN line per back-off step, SIGTERM, recovery); bad settings, incl. SQLite paths that can never work |
//! | [`outage`] | cuts PostgreSQL off through a TCP [`proxy`], checks each protocol's "unavailable" answer and the feeds, restores it and times the recovery; a query stuck behind a lock with a pool of one; a locked SQLite file |
//! | [`writes`] | 32 clients over REST, JSON-RPC, XML-RPC and gRPC against two instances of each service, then the same with SIGTERM in the middle; the database must hold exactly what was acknowledged |
//! | [`feed`] | a burst of writes while a WebSocket feed and a gRPC watch listen; a reader that falls far behind |
//! | [`brokers`] | messaging-svc relaying while RabbitMQ, then Mosquitto, is stopped and started under writes; every create must reach a durable queue and a retained state |
//! | [`flood`] | WebSocket rooms with many members, a slow reader, idle HTTP/1.1 and HTTP/2 connections, oversized bodies, frames and headers |
//!
//! The short mode (CI, `cargo test`) runs each for seconds; `--long` (`just reliability`)
//! for the durations the README's table reports.

#![warn(missing_docs)]

pub mod brokers;
pub mod down_at_start;
pub mod feed;
pub mod flood;
pub mod outage;
pub mod procs;
pub mod proxy;
pub mod report;
pub mod startup;
pub mod webhooks;
pub mod writes;

use std::path::PathBuf;

/// How long and how hard.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Mode {
    /// Seconds per scenario: what CI and `cargo test` run.
    Short,
    /// The full figures: `just reliability`.
    Long,
}

impl Mode {
    /// `short` in short mode, `long` in long mode.
    pub fn pick<T>(self, short: T, long: T) -> T {
        match self {
            Mode::Short => short,
            Mode::Long => long,
        }
    }
}

/// What every scenario gets.
pub struct Suite {
    /// Short or long.
    pub mode: Mode,
    /// Where the services' log files go (kept when a scenario fails).
    pub log_dir: PathBuf,
    /// The PostgreSQL server (an admin URL) that scenario databases are made on.
    pub postgres: String,
}

impl Suite {
    /// A fresh PostgreSQL database for one scenario on [`Suite::postgres`]'s server,
    /// dropped (with its connections) when the value is.
    pub fn database(&self) -> test_support::TestDb {
        test_support::TestDb::postgres_on(&self.postgres)
    }
}

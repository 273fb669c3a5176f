//! PostgreSQL: a GET by id on shared async connections, pipelined.
//!
//! diesel's PostgreSQL connection is synchronous. A query on it holds a thread of
//! tokio's blocking pool for the whole round trip to the server, and a pooled
//! connection carries one query at a time: two thread hand-offs per read, and at most
//! as many reads in flight as the pool has connections.
//!
//! A `tokio_postgres::Client` can be shared by any number of tasks instead. Each query
//! is written to the socket as it comes, before the answers to the earlier ones are
//! back, and the answers are matched to their queries in order: pipelining. So a few
//! connections (one per core, each served by one PostgreSQL backend process) carry
//! every concurrent GET by id, each with its statement prepared once, and no thread
//! waits for the network. The bench's ceiling for a PostgreSQL read is this driver
//! used this way.
//!
//! On the wire a read is then one `Bind`/`Execute`/`Sync` on the prepared statement
//! and one `DataRow` back; Wireshark's `pgsql` dissector shows them.
//!
//! Only this one read takes that road; every other query stays on diesel. The SQL
//! below is the same `SELECT` diesel writes for `dummies.find(id)`, and the row
//! becomes a [`Dummy`] through the one conversion that diesel's rows take. A read that
//! cannot run here (no connection, a connection that broke, the table not migrated
//! yet) is run again on diesel's pool, whose answer, and error, is the one returned.
//! A read that waited for a lock until the statement timeout cancelled it, or that got
//! no answer at all in that time, is unavailable at once: running it again would only
//! make the caller wait twice.

use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, RwLock};
use std::time::{Duration, Instant};

use crate::db::{DatabaseUrl, PoolOptions};
use crate::dummy::{Dummy, DummyId};
use crate::error::{Error, is_cancelled};
use crate::store::DummyRow;

/// The read, in the column order of [`DummyRow`].
const BY_ID: &str = "SELECT id, day, weekday, month, year, pre_seeded, created_at, updated_at \
                     FROM dummies WHERE id = $1";

/// After a failed connection attempt, reads go straight to diesel's pool for this long
/// before a reader tries to connect again: during an outage no read waits twice.
const RETRY_AFTER: Duration = Duration::from_secs(1);

/// What a read here came to.
pub(crate) enum Read {
    /// The answer: the row, or not found.
    Done(Result<Dummy, Error>),
    /// It could not run here: run it on diesel's pool.
    Elsewhere,
}

/// The shared connections, opened on first use and again after one breaks.
pub(crate) struct PgReaders {
    url: DatabaseUrl,
    connect_timeout: Duration,
    statement_timeout: Duration,
    slots: Box<[Slot]>,
    next: AtomicUsize,
}

#[derive(Default)]
struct Slot {
    reader: RwLock<Option<Arc<Reader>>>,
    /// One task connects at a time; the others read elsewhere meanwhile.
    connecting: tokio::sync::Mutex<Option<Instant>>,
}

struct Reader {
    client: tokio_postgres::Client,
    by_id: tokio_postgres::Statement,
}

impl PgReaders {
    /// One connection per core, opened when first needed.
    pub(crate) fn new(url: &DatabaseUrl, options: &PoolOptions) -> PgReaders {
        let cores = std::thread::available_parallelism().map_or(1, usize::from);
        PgReaders {
            url: url.clone(),
            connect_timeout: options.connection_timeout,
            statement_timeout: options.statement_timeout,
            slots: (0..cores).map(|_| Slot::default()).collect(),
            next: AtomicUsize::new(0),
        }
    }

    /// Reads the Dummy `id`.
    pub(crate) async fn get(&self, id: DummyId) -> Read {
        let slot = &self.slots[self.next.fetch_add(1, Ordering::Relaxed) % self.slots.len()];
        let Some(reader) = self.reader(slot).await else {
            return Read::Elsewhere;
        };
        let params: [&(dyn tokio_postgres::types::ToSql + Sync); 1] = [&id.0];
        let query = reader.client.query_opt(&reader.by_id, &params);
        // The server cancels the statement at `statement_timeout`; the margin lets its
        // answer arrive before this side gives up on a connection that may be cut.
        let patience = self.statement_timeout + Duration::from_secs(1);
        match tokio::time::timeout(patience, query).await {
            Ok(Ok(Some(row))) => Read::Done(to_dummy(&row)),
            Ok(Ok(None)) => Read::Done(Err(Error::NotFound { id })),
            // Stuck behind a lock until the statement timeout cancelled it: running it
            // again elsewhere would only wait as long once more.
            Ok(Err(error)) if is_cancelled(&error) => {
                Read::Done(Err(Error::Unavailable(error.into())))
            }
            Ok(Err(error)) => {
                tracing::debug!(%error, "pipelined read failed; on the blocking pool");
                if reader.client.is_closed() {
                    slot.reader
                        .write()
                        .unwrap_or_else(|e| e.into_inner())
                        .take();
                }
                Read::Elsewhere
            }
            Err(_) => {
                // The connection may be cut without a word: open a new one next time.
                slot.reader
                    .write()
                    .unwrap_or_else(|e| e.into_inner())
                    .take();
                Read::Done(Err(Error::Unavailable(
                    format!("no answer from the database within {patience:?}").into(),
                )))
            }
        }
    }

    /// The slot's connection, opened now if it has none (unless an attempt failed
    /// within [`RETRY_AFTER`] or another task is opening it).
    async fn reader(&self, slot: &Slot) -> Option<Arc<Reader>> {
        if let Some(reader) = slot
            .reader
            .read()
            .unwrap_or_else(|e| e.into_inner())
            .as_ref()
            && !reader.client.is_closed()
        {
            return Some(reader.clone());
        }
        let mut failed_at = slot.connecting.try_lock().ok()?;
        if failed_at.is_some_and(|at| at.elapsed() < RETRY_AFTER) {
            return None;
        }
        match tokio::time::timeout(self.connect_timeout, self.connect()).await {
            Ok(Ok(reader)) => {
                let reader = Arc::new(reader);
                *slot.reader.write().unwrap_or_else(|e| e.into_inner()) = Some(reader.clone());
                *failed_at = None;
                Some(reader)
            }
            Ok(Err(error)) => {
                tracing::debug!(%error, "no pipelined reader");
                *failed_at = Some(Instant::now());
                None
            }
            Err(_) => {
                *failed_at = Some(Instant::now());
                None
            }
        }
    }

    async fn connect(&self) -> Result<Reader, tokio_postgres::Error> {
        let (client, connection) =
            tokio_postgres::connect(self.url.expose(), tokio_postgres::NoTls).await?;
        tokio::spawn(async move {
            if let Err(error) = connection.await {
                tracing::debug!(%error, "pipelined reader closed");
            }
        });
        let millis = self.statement_timeout.as_millis();
        client
            .batch_execute(&format!("SET statement_timeout = {millis}"))
            .await?;
        let by_id = client.prepare(BY_ID).await?;
        Ok(Reader { client, by_id })
    }
}

fn to_dummy(row: &tokio_postgres::Row) -> Result<Dummy, Error> {
    let row = DummyRow {
        id: row.try_get(0).map_err(Error::internal)?,
        day: row.try_get(1).map_err(Error::internal)?,
        weekday: row.try_get(2).map_err(Error::internal)?,
        month: row.try_get(3).map_err(Error::internal)?,
        year: row.try_get(4).map_err(Error::internal)?,
        pre_seeded: row.try_get(5).map_err(Error::internal)?,
        created_at: row.try_get(6).map_err(Error::internal)?,
        updated_at: row.try_get(7).map_err(Error::internal)?,
    };
    Dummy::try_from(row)
}

//! [`Store`]: the only async entry point to the database.
//!
//! diesel is synchronous, so a method borrows a pooled connection and runs its query
//! on tokio's blocking thread pool (`spawn_blocking`), taking the caller's tracing span
//! along: an async worker thread never waits on the database. Lists, seeding and the
//! PostgreSQL writes go that way.
//!
//! One exception, where the hop costs more than the work: on SQLite a GET by id runs
//! right on the caller's thread, on an idle connection of a small pool of readers that
//! cannot write and never wait for a lock (`Store::read`). A WAL database lets them
//! read while a write goes on, and a primary-key read takes microseconds, less than
//! the two thread hand-offs it saves. When no reader is idle, or a read fails there,
//! it takes the blocking pool as everything else does. [`Store::counts`] counts both
//! paths, and a test pins what a GET costs.
//!
//! On PostgreSQL a GET by id takes no thread either: it is sent on one of a few
//! shared async connections, pipelined with the other reads in flight
//! ([`crate::pg_reader`]); when it cannot run there, it takes the blocking pool.
//!
//! Another, for writes of one row on SQLite (create, update, delete): they go to one
//! writer thread, which commits the writes waiting at the same moment in one
//! transaction (group commit, [`crate::writer`]) instead of letting them queue, one
//! commit each, on SQLite's single write lock.
//!
//! A GET by id is one primary-key lookup on a pooled connection; lists use keyset
//! pagination (`WHERE id > $after ORDER BY id LIMIT $n`) so that a page costs the same
//! wherever it starts.

use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};

use chrono::{DateTime, SubsecRound, Utc};
use diesel::prelude::*;
use futures_util::stream::{self, BoxStream, StreamExt};
use tracing::{Instrument, Span};

use crate::db::{self, AnyConnection, Backend, DatabaseUrl, Pool, PoolOptions};
use crate::dummy::{Day, Dummy, DummyData, DummyId, DummyPatch, NewDummy, not_a_choice};
use crate::error::{Error, from_diesel, from_pool};
use crate::feed::{self, ChangeEvent, ChangeKind, Feed};
use crate::journal;
use crate::pg_reader::{PgReaders, Read};
use crate::with_backend;
use crate::writer::{AfterCommit, Writer};

/// How many ids one `?id=` filter may name.
pub const MAX_IDS: usize = 1000;
/// The largest page a list may ask for.
pub const MAX_PAGE: i64 = 10_000;
/// Rows per INSERT statement when seeding SQLite: 7 bound values a row stays far below
/// its 32,766 parameters per statement. (PostgreSQL seeds with COPY.)
const INSERT_BATCH: usize = 4_000;

/// Which rows a list returns, always in ascending id order.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct ListQuery {
    /// Only these ids (missing ones are skipped). At most [`MAX_IDS`].
    pub ids: Option<Vec<DummyId>>,
    /// Keyset pagination: only ids greater than this one.
    pub after: Option<DummyId>,
    /// Skip this many rows (after `after`).
    pub offset: Option<i64>,
    /// Return at most this many rows, at most [`MAX_PAGE`].
    pub limit: Option<i64>,
}

impl ListQuery {
    /// Checks the bounds; the messages name the query parameter at fault.
    ///
    /// # Errors
    /// [`Error::Invalid`] for too many ids, a negative offset or a limit out of range.
    pub fn validate(&self) -> Result<(), Error> {
        if self.ids.as_ref().is_some_and(|ids| ids.len() > MAX_IDS) {
            return Err(Error::invalid(
                "id",
                format!("Ensure there are no more than {MAX_IDS} ids."),
            ));
        }
        if self.offset.is_some_and(|o| o < 0) {
            return Err(Error::invalid(
                "offset",
                "Ensure this value is greater than or equal to 0.",
            ));
        }
        match self.limit {
            Some(l) if l < 1 => Err(Error::invalid(
                "limit",
                "Ensure this value is greater than or equal to 1.",
            )),
            Some(l) if l > MAX_PAGE => Err(Error::invalid(
                "limit",
                format!("Ensure this value is less than or equal to {MAX_PAGE}."),
            )),
            _ => Ok(()),
        }
    }
}

/// What the data path did ([`Store::counts`]).
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Counts {
    /// Connections taken from a pool.
    pub checkouts: u64,
    /// Trips to tokio's blocking thread pool and back (two thread hand-offs each).
    pub hand_offs: u64,
    /// Statements sent only to check a connection before lending it
    /// ([`crate::db::ALIVE_WINDOW`]).
    pub pings: u64,
    /// Transactions the SQLite writer committed, each holding one or more writes
    /// ([`crate::writer`]).
    pub commits: u64,
}

impl std::ops::Sub for Counts {
    type Output = Counts;

    fn sub(self, earlier: Counts) -> Counts {
        Counts {
            checkouts: self.checkouts - earlier.checkouts,
            hand_offs: self.hand_offs - earlier.hand_offs,
            pings: self.pings - earlier.pings,
            commits: self.commits - earlier.commits,
        }
    }
}

#[derive(Debug, Default)]
pub(crate) struct Counters {
    pub(crate) checkouts: AtomicU64,
    pub(crate) hand_offs: AtomicU64,
    /// Shared with the pool's manager, which sends them.
    pings: Arc<AtomicU64>,
    pub(crate) commits: AtomicU64,
}

/// A handle on the database and its change feed; cheap to clone and share between services.
#[derive(Clone)]
pub struct Store {
    inner: Arc<Inner>,
}

struct Inner {
    pool: Pool,
    /// SQLite only: connections for short reads on the caller's thread ([`Store::read`]).
    readers: Option<Pool>,
    /// SQLite only: the one thread that writes, committing waiting writes together.
    writer: Option<Writer>,
    /// PostgreSQL only: shared async connections for a GET by id ([`crate::pg_reader`]).
    pg_readers: Option<PgReaders>,
    /// What the data path did, counted as it did it ([`Store::counts`]).
    counts: Arc<Counters>,
    /// The pool's failed connection attempts, for the reason an "unavailable" gives.
    failures: Arc<db::ConnectFailures>,
    backend: Backend,
    /// Every committed write, and the named channels, for live views. See [`crate::feed`].
    feed: Feed,
}

impl std::fmt::Debug for Store {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Store")
            .field("backend", &self.inner.backend)
            .finish_non_exhaustive()
    }
}

/// The waits between the migration attempts of [`Store::migrate_until_ready`]:
/// 0.5 s, doubling up to 30 s.
#[derive(Debug)]
struct MigrationBackoff {
    attempt: u32,
    delay: std::time::Duration,
}

impl MigrationBackoff {
    const FIRST: std::time::Duration = std::time::Duration::from_millis(500);
    const MAX: std::time::Duration = std::time::Duration::from_secs(30);

    /// After a failed attempt: its number (from 1) and how long to wait before the next.
    fn next_step(&mut self) -> (u32, std::time::Duration) {
        self.attempt += 1;
        let delay = self.delay;
        self.delay = (self.delay * 2).min(Self::MAX);
        (self.attempt, delay)
    }
}

impl Default for MigrationBackoff {
    fn default() -> Self {
        MigrationBackoff {
            attempt: 0,
            delay: Self::FIRST,
        }
    }
}

/// Bulk inserts tell the journal trigger to stay quiet (PostgreSQL); on SQLite the
/// store journals single writes itself and a bulk insert simply does not.
trait QuietBulk {
    fn quiet_bulk(&mut self) -> QueryResult<()>;
}

impl QuietBulk for PgConnection {
    fn quiet_bulk(&mut self) -> QueryResult<()> {
        diesel::sql_query("SET LOCAL protocols.quiet = 'on'")
            .execute(self)
            .map(drop)
    }
}

impl QuietBulk for SqliteConnection {
    fn quiet_bulk(&mut self) -> QueryResult<()> {
        Ok(())
    }
}

/// Where [`Store::pages`] stands: how big a page is and how many rows are still wanted.
#[derive(Clone, Copy)]
struct Paging {
    page_size: i64,
    remaining: i64,
}

/// The next step of [`Store::pages`]: rows already read, or a page still to read.
enum Page {
    Read(Vec<Dummy>, Paging),
    After(DummyId, Paging),
}

impl Paging {
    fn query(self, after: Option<DummyId>) -> ListQuery {
        ListQuery {
            after,
            limit: Some(self.page_size.min(self.remaining)),
            ..ListQuery::default()
        }
    }

    /// Hands `rows` on, and says what comes next: the page after the last row when this
    /// one was full and more are wanted, else the end.
    #[allow(clippy::type_complexity)]
    fn hand_on(self, rows: Vec<Dummy>) -> Option<(Result<Vec<Dummy>, Error>, Option<Page>)> {
        let last = rows.last()?.id;
        let remaining = self.remaining - rows.len() as i64;
        let full = rows.len() as i64 == self.page_size;
        let next =
            (full && remaining > 0).then_some(Page::After(last, Paging { remaining, ..self }));
        Some((Ok(rows), next))
    }
}

/// One row as diesel reads it, as the pipelined PostgreSQL read gets it
/// ([`crate::pg_reader`]), or as the PostgreSQL trigger writes it into a change
/// notification ([`crate::feed`]), before the enums are parsed. All turn into a
/// [`Dummy`] through the one `TryFrom` below, so a bad row is reported the same way.
#[derive(Queryable, serde::Deserialize, serde::Serialize)]
pub(crate) struct DummyRow {
    pub(crate) id: i64,
    pub(crate) day: i32,
    pub(crate) weekday: String,
    pub(crate) month: String,
    pub(crate) year: i32,
    pub(crate) pre_seeded: bool,
    pub(crate) created_at: DateTime<Utc>,
    pub(crate) updated_at: DateTime<Utc>,
}

impl TryFrom<DummyRow> for Dummy {
    type Error = Error;

    /// A stored value the model does not know (edited by hand, say) is an internal error.
    fn try_from(row: DummyRow) -> Result<Dummy, Error> {
        let corrupt = |what: String| Error::internal(format!("row {}: {what}", row.id));
        Ok(Dummy {
            id: DummyId(row.id),
            day: Day::new(i64::from(row.day)).map_err(corrupt)?,
            weekday: row
                .weekday
                .parse()
                .map_err(|_| corrupt(not_a_choice(&row.weekday)))?,
            month: row
                .month
                .parse()
                .map_err(|_| corrupt(not_a_choice(&row.month)))?,
            year: row.year,
            pre_seeded: row.pre_seeded,
            created_at: row.created_at,
            updated_at: row.updated_at,
        })
    }
}

/// The row a write left, and on SQLite the journal number of its change, appended
/// here in the write's own savepoint (PostgreSQL's trigger journals it there).
fn journaled(
    conn: &mut AnyConnection,
    kind: ChangeKind,
    row: DummyRow,
) -> Result<(Dummy, Option<i64>), Error> {
    let seq = match conn {
        AnyConnection::Sqlite(c) => {
            Some(journal::append_sqlite(c, kind, &row).map_err(|e| from_diesel(e, None))?)
        }
        AnyConnection::Postgres(_) => None,
    };
    Ok((Dummy::try_from(row)?, seq))
}

fn rows_to_dummies(rows: Vec<DummyRow>) -> Result<Vec<Dummy>, Error> {
    rows.into_iter().map(Dummy::try_from).collect()
}

/// Now, at the precision both databases keep (microseconds), so what we return is what we stored.
fn now() -> DateTime<Utc> {
    Utc::now().trunc_subsecs(6)
}

impl Store {
    /// Opens a store on this URL. No connection is made yet: see [`db::pool`].
    pub fn open(url: &DatabaseUrl, options: &PoolOptions) -> Store {
        let (pool, (failures, pings)) = db::pool_and_failures(url, options);
        let sqlite = url.backend() == Backend::Sqlite;
        let readers = sqlite.then(|| db::sqlite_readers(url, options));
        let counts = Arc::new(Counters {
            pings,
            ..Counters::default()
        });
        let writer = sqlite.then(|| Writer::start(pool.clone(), failures.clone(), counts.clone()));
        Store {
            inner: Arc::new(Inner {
                pool,
                readers,
                writer,
                pg_readers: (!sqlite).then(|| PgReaders::new(url, options)),
                counts,
                failures,
                backend: url.backend(),
                feed: Feed::new(url),
            }),
        }
    }

    /// Which database this store talks to.
    pub fn backend(&self) -> Backend {
        self.inner.backend
    }

    /// What the data path has done so far, counted by the code that does it: a test
    /// reads the counts before and after one request to see what the request cost.
    pub fn counts(&self) -> Counts {
        let counts = &self.inner.counts;
        Counts {
            checkouts: counts.checkouts.load(Ordering::Relaxed),
            hand_offs: counts.hand_offs.load(Ordering::Relaxed),
            pings: counts.pings.load(Ordering::Relaxed),
            commits: counts.commits.load(Ordering::Relaxed),
        }
    }

    /// The change feed of this store's database (see [`crate::feed`]).
    pub fn feed(&self) -> &Feed {
        &self.inner.feed
    }

    /// Sends `payload` on the named channel `name` to every process that subscribed with
    /// [`Feed::channel`]: with `NOTIFY` on PostgreSQL, in-process on SQLite.
    ///
    /// # Errors
    /// [`Error::Invalid`] for a payload over [`feed::MAX_PAYLOAD`] bytes;
    /// [`Error::Unavailable`] when the database can't be reached.
    pub async fn notify(&self, name: &str, payload: String) -> Result<(), Error> {
        if payload.len() > feed::MAX_PAYLOAD {
            return Err(Error::invalid(
                "payload",
                format!(
                    "Ensure this payload has at most {} bytes.",
                    feed::MAX_PAYLOAD
                ),
            ));
        }
        match self.inner.backend {
            Backend::Sqlite => {
                self.inner.feed.deliver(name, payload);
                Ok(())
            }
            Backend::Postgres => {
                let name = name.to_owned();
                self.run(move |conn| match conn {
                    AnyConnection::Postgres(c) => diesel::sql_query("SELECT pg_notify($1, $2)")
                        .bind::<diesel::sql_types::Text, _>(name)
                        .bind::<diesel::sql_types::Text, _>(payload)
                        .execute(c)
                        .map(drop)
                        .map_err(|e| from_diesel(e, None)),
                    AnyConnection::Sqlite(_) => unreachable!("the backend is PostgreSQL"),
                })
                .await
            }
        }
    }

    /// A write of one Dummy that changes it (`kind`): as [`Store::write`], and on
    /// SQLite the writer thread announces the change with the journal number
    /// [`journaled`] gave it, right after the commit and in commit order, whether or not
    /// the caller still waits (PostgreSQL's trigger announces it there).
    async fn write_change<F>(&self, kind: ChangeKind, f: F) -> Result<Dummy, Error>
    where
        F: FnOnce(&mut AnyConnection) -> Result<(Dummy, Option<i64>), Error> + Send + 'static,
    {
        let feed = self.inner.feed.clone();
        let announce: AfterCommit<(Dummy, Option<i64>)> = Box::new(move |(dummy, seq)| {
            if let Some(seq) = *seq {
                feed.announce(ChangeEvent {
                    seq,
                    kind,
                    dummy: dummy.clone(),
                });
            }
        });
        let (dummy, _) = self.write_then(f, Some(announce)).await?;
        Ok(dummy)
    }

    /// Runs a short read. On SQLite, on an idle reader right here, on the caller's
    /// thread: no hand-off to the blocking pool and back. Otherwise (PostgreSQL, no idle
    /// reader, or a read that failed for another reason than a missing row, such as a
    /// lock it could not take at once) as [`Store::run`] does, whose connections wait
    /// for locks and report an unreachable database as unavailable.
    pub(crate) async fn read<T, F>(&self, f: F) -> Result<T, Error>
    where
        T: Send + 'static,
        F: Fn(&mut AnyConnection) -> Result<T, Error> + Send + 'static,
    {
        if let Some(mut conn) = self.inner.readers.as_ref().and_then(|r| r.try_get()) {
            self.inner.counts.checkouts.fetch_add(1, Ordering::Relaxed);
            match f(&mut conn.conn) {
                done @ (Ok(_) | Err(Error::NotFound { .. })) => return done,
                Err(error) => tracing::debug!(%error, "inline read failed; on the blocking pool"),
            }
        }
        self.run(f).await
    }

    /// Runs a write of one row: on SQLite through the writer thread, which commits it
    /// together with the writes waiting beside it ([`crate::writer`]); on PostgreSQL as
    /// [`Store::run`] does. Either way the answer comes once the write is committed.
    pub(crate) async fn write<T, F>(&self, f: F) -> Result<T, Error>
    where
        T: Send + 'static,
        F: FnOnce(&mut AnyConnection) -> Result<T, Error> + Send + 'static,
    {
        self.write_then(f, None).await
    }

    /// [`Store::write`], with what the SQLite writer runs after the commit.
    async fn write_then<T, F>(&self, f: F, after_commit: Option<AfterCommit<T>>) -> Result<T, Error>
    where
        T: Send + 'static,
        F: FnOnce(&mut AnyConnection) -> Result<T, Error> + Send + 'static,
    {
        match &self.inner.writer {
            Some(writer) => {
                self.inner.counts.hand_offs.fetch_add(1, Ordering::Relaxed);
                writer.write(f, after_commit).await
            }
            None => self.run(f).await,
        }
    }

    /// Runs `f` with a pooled connection on the blocking thread pool.
    pub(crate) async fn run<T, F>(&self, f: F) -> Result<T, Error>
    where
        T: Send + 'static,
        F: FnOnce(&mut AnyConnection) -> Result<T, Error> + Send + 'static,
    {
        let pool = self.inner.pool.clone();
        let failures = self.inner.failures.clone();
        let span = Span::current();
        let store = self.clone();
        store.inner.counts.hand_offs.fetch_add(1, Ordering::Relaxed);
        tokio::task::spawn_blocking(move || {
            let _entered = span.enter();
            let mut conn = pool
                .get()
                .map_err(|e| from_pool(e, failures.last_reason()))?;
            store.inner.counts.checkouts.fetch_add(1, Ordering::Relaxed);
            let result = f(&mut conn.conn);
            if !matches!(result, Err(Error::Unavailable(_) | Error::Internal(_))) {
                conn.answered();
            }
            result
        })
        .in_current_span()
        .await
        .map_err(Error::internal)?
    }

    /// Applies pending migrations; returns the versions applied.
    ///
    /// # Errors
    /// [`Error::Unavailable`] when the database can't be reached.
    pub async fn migrate(&self) -> Result<Vec<String>, Error> {
        self.run(crate::migrate::run).await
    }

    /// Applies pending migrations, waiting for the database if it is not up yet
    /// (retrying with back-off up to 30 s between attempts). For start-up, so a service
    /// can listen, and answer 503, while its database is still starting.
    ///
    /// Each failed attempt logs one WARN line with the attempt's number, the delay
    /// before the next one and the reason; the pool's own attempts in between are
    /// logged at DEBUG. An attempt waits for a connection up to the pool's timeout.
    ///
    /// # Errors
    /// Any error other than [`Error::Unavailable`], such as a migration that fails.
    pub async fn migrate_until_ready(&self) -> Result<Vec<String>, Error> {
        let mut backoff = MigrationBackoff::default();
        loop {
            match self.migrate().await {
                Err(Error::Unavailable(source)) => {
                    let (attempt, delay) = backoff.next_step();
                    tracing::warn!(
                        attempt,
                        retry_in = ?delay,
                        reason = %db::one_line(&source),
                        "database not ready for migrations"
                    );
                    tokio::time::sleep(delay).await;
                }
                other => return other,
            }
        }
    }

    /// Checks that the database answers and has the Dummy table, for health checks: a
    /// fresh database is not healthy until the migrations have created it.
    ///
    /// # Errors
    /// [`Error::Unavailable`] when it does not.
    pub async fn ping(&self) -> Result<(), Error> {
        self.run(|conn| {
            with_backend!(conn, |c, _t| diesel::sql_query(
                "SELECT 1 FROM dummies LIMIT 0"
            )
            .execute(c))
            .map(drop)
            .map_err(|e| match from_diesel(e, None) {
                Error::Internal(source) => Error::Unavailable(source),
                other => other,
            })
        })
        .await
    }

    /// One Dummy by id.
    ///
    /// # Errors
    /// [`Error::NotFound`] when no row has this id.
    #[tracing::instrument(skip_all, fields(dummy.id = %id))]
    pub async fn get(&self, id: DummyId) -> Result<Dummy, Error> {
        if let Some(readers) = &self.inner.pg_readers {
            self.inner.counts.checkouts.fetch_add(1, Ordering::Relaxed);
            if let Read::Done(answer) = readers.get(id).await {
                return answer;
            }
        }
        self.read(move |conn| {
            // `get_result`, not `first`: `first` adds `LIMIT ?`, and SQLite plans a bound
            // LIMIT by its value, so it prepares the statement again whenever the value is
            // bound anew, on every call: a third of a GET's time, while the statement cache
            // keeps this one prepared. The id is the primary key; one row at most comes back.
            with_backend!(conn, |c, dummies| dummies::table
                .find(id.0)
                .get_result::<DummyRow>(c))
            .map_err(|e| from_diesel(e, Some(id)))?
            .try_into()
        })
        .await
    }

    /// The rows after `after` in id order, at most `limit` (at least 1; all when `None`),
    /// read `page_size` rows per keyset query and handed on page by page: for answers
    /// that stream a table too big to hold (REST's full list, gRPC's `ListDummies`).
    ///
    /// The first page is read before this returns, so a database that is down is an
    /// error the caller can still answer in its protocol's form. A failure on a later
    /// page ends the stream with that error.
    ///
    /// # Errors
    /// What [`Store::list`] returns for the first page.
    pub async fn pages(
        &self,
        after: Option<DummyId>,
        limit: Option<i64>,
        page_size: i64,
    ) -> Result<BoxStream<'static, Result<Vec<Dummy>, Error>>, Error> {
        let paging = Paging {
            page_size: page_size.clamp(1, MAX_PAGE),
            remaining: limit.unwrap_or(i64::MAX).max(1),
        };
        let first = self.list(paging.query(after)).await?;
        let store = self.clone();
        let pages = stream::unfold(Some(Page::Read(first, paging)), move |next| {
            let store = store.clone();
            async move {
                match next? {
                    Page::Read(rows, paging) => paging.hand_on(rows),
                    Page::After(last, paging) => match store.list(paging.query(Some(last))).await {
                        Ok(rows) => paging.hand_on(rows),
                        Err(error) => Some((Err(error), None)),
                    },
                }
            }
        });
        Ok(pages.boxed())
    }

    /// The rows `query` selects, in ascending id order.
    ///
    /// # Errors
    /// [`Error::Invalid`] when the query is out of bounds (see [`ListQuery::validate`]).
    #[tracing::instrument(skip_all)]
    pub async fn list(&self, query: ListQuery) -> Result<Vec<Dummy>, Error> {
        query.validate()?;
        self.run(move |conn| {
            let rows = with_backend!(conn, |c, dummies| {
                let mut q = dummies::table.order(dummies::id.asc()).into_boxed();
                if let Some(ids) = &query.ids {
                    q = q.filter(dummies::id.eq_any(ids.iter().map(|id| id.0)));
                }
                if let Some(after) = query.after {
                    q = q.filter(dummies::id.gt(after.0));
                }
                if let Some(limit) = query.limit {
                    q = q.limit(limit);
                }
                if let Some(offset) = query.offset {
                    // SQLite needs a LIMIT before an OFFSET; -1 means "no limit" there.
                    if query.limit.is_none() {
                        q = q.limit(i64::MAX);
                    }
                    q = q.offset(offset);
                }
                q.load::<DummyRow>(c)
            })
            .map_err(|e| from_diesel(e, None))?;
            rows_to_dummies(rows)
        })
        .await
    }

    /// Inserts one Dummy; the store sets `created_at` and `updated_at`.
    ///
    /// # Errors
    /// [`Error::Unavailable`] when the database can't be reached.
    #[tracing::instrument(skip_all)]
    pub async fn create(&self, new: NewDummy) -> Result<Dummy, Error> {
        self.write_change(ChangeKind::Created, move |conn| {
            let at = now();
            let d = new.data;
            with_backend!(conn, |c, dummies| diesel::insert_into(dummies::table)
                .values((
                    dummies::day.eq(i32::from(d.day.get())),
                    dummies::weekday.eq(d.weekday.as_str()),
                    dummies::month.eq(d.month.as_str()),
                    dummies::year.eq(d.year),
                    dummies::pre_seeded.eq(new.pre_seeded),
                    dummies::created_at.eq(at),
                    dummies::updated_at.eq(at),
                ))
                .get_result::<DummyRow>(c))
            .map_err(|e| from_diesel(e, None))
            .and_then(|row| journaled(conn, ChangeKind::Created, row))
        })
        .await
    }

    /// Full update: writes all four date fields (`pre_seeded` is kept, as in the original).
    ///
    /// # Errors
    /// [`Error::NotFound`] when no row has this id.
    pub async fn replace(&self, id: DummyId, data: DummyData) -> Result<Dummy, Error> {
        self.patch(id, DummyPatch::from(data)).await
    }

    /// Partial update: writes the fields that are `Some`, and always moves `updated_at`.
    ///
    /// # Errors
    /// [`Error::NotFound`] when no row has this id.
    #[tracing::instrument(skip_all, fields(dummy.id = %id))]
    pub async fn patch(&self, id: DummyId, patch: DummyPatch) -> Result<Dummy, Error> {
        self.write_change(ChangeKind::Updated, move |conn| {
            with_backend!(conn, |c, dummies| diesel::update(dummies::table.find(id.0))
                .set((
                    patch.day.map(|d| dummies::day.eq(i32::from(d.get()))),
                    patch.weekday.map(|w| dummies::weekday.eq(w.as_str())),
                    patch.month.map(|m| dummies::month.eq(m.as_str())),
                    patch.year.map(|y| dummies::year.eq(y)),
                    dummies::updated_at.eq(now()),
                ))
                .get_result::<DummyRow>(c))
            .map_err(|e| from_diesel(e, Some(id)))
            .and_then(|row| journaled(conn, ChangeKind::Updated, row))
        })
        .await
    }

    /// Deletes one Dummy.
    ///
    /// # Errors
    /// [`Error::NotFound`] when no row has this id.
    #[tracing::instrument(skip_all, fields(dummy.id = %id))]
    pub async fn delete(&self, id: DummyId) -> Result<(), Error> {
        // RETURNING the row, so the change feed can say what was deleted.
        self.write_change(ChangeKind::Deleted, move |conn| {
            with_backend!(conn, |c, dummies| diesel::delete(dummies::table.find(id.0))
                .get_result::<DummyRow>(c))
            .map_err(|e| from_diesel(e, Some(id)))
            .and_then(|row| journaled(conn, ChangeKind::Deleted, row))
        })
        .await?;
        Ok(())
    }

    /// How many Dummies there are.
    ///
    /// # Errors
    /// [`Error::Unavailable`] when the database can't be reached.
    pub async fn count(&self) -> Result<i64, Error> {
        self.run(|conn| {
            with_backend!(conn, |c, dummies| dummies::table
                .count()
                .get_result::<i64>(c))
            .map_err(|e| from_diesel(e, None))
        })
        .await
    }

    /// Inserts many Dummies in one transaction, in multi-row INSERTs of a few thousand
    /// rows each: what `protocols seed` uses. Returns how many rows were written.
    /// A bulk load is not announced on the change feed.
    ///
    /// # Errors
    /// [`Error::Unavailable`] when the database can't be reached. Nothing is written then.
    #[tracing::instrument(skip_all, fields(rows = rows.len()))]
    pub async fn insert_many(&self, rows: Vec<NewDummy>) -> Result<usize, Error> {
        self.run(move |conn| {
            let at = now();
            match conn {
                // PostgreSQL: one COPY … FROM STDIN in CSV, its fastest way in.
                AnyConnection::Postgres(c) => c.transaction(|c| {
                    c.quiet_bulk()?;
                    copy_rows(c, &rows, at)
                }),
                // SQLite: multi-row INSERTs of a few thousand rows, in one transaction.
                AnyConnection::Sqlite(c) => c.transaction(|c| {
                    use crate::schema::sqlite::dummies;
                    let mut written = 0;
                    for chunk in rows.chunks(INSERT_BATCH) {
                        let values: Vec<_> = chunk
                            .iter()
                            .map(|n| {
                                (
                                    dummies::day.eq(i32::from(n.data.day.get())),
                                    dummies::weekday.eq(n.data.weekday.as_str()),
                                    dummies::month.eq(n.data.month.as_str()),
                                    dummies::year.eq(n.data.year),
                                    dummies::pre_seeded.eq(n.pre_seeded),
                                    dummies::created_at.eq(at),
                                    dummies::updated_at.eq(at),
                                )
                            })
                            .collect();
                        written += diesel::insert_into(dummies::table)
                            .values(values)
                            .execute(c)?;
                    }
                    diesel::QueryResult::Ok(written)
                }),
            }
            .map_err(|e| from_diesel(e, None))
        })
        .await
    }
}

/// Streams the rows to PostgreSQL as CSV through `COPY dummies (…) FROM STDIN`.
fn copy_rows(c: &mut PgConnection, rows: &[NewDummy], at: DateTime<Utc>) -> QueryResult<usize> {
    use diesel::pg::CopyFormat;
    use diesel::prelude::ExecuteCopyFromDsl;

    use crate::schema::postgres::dummies;
    let at = at.to_rfc3339();
    diesel::copy_from(dummies::table)
        .from_raw_data(
            (
                dummies::day,
                dummies::weekday,
                dummies::month,
                dummies::year,
                dummies::pre_seeded,
                dummies::created_at,
                dummies::updated_at,
            ),
            |out: &mut dyn std::io::Write| -> QueryResult<()> {
                let io = |e: std::io::Error| diesel::result::Error::SerializationError(Box::new(e));
                for n in rows {
                    writeln!(
                        out,
                        "{},{},{},{},{},{at},{at}",
                        n.data.day.get(),
                        n.data.weekday.as_str(),
                        n.data.month.as_str(),
                        n.data.year,
                        if n.pre_seeded { 't' } else { 'f' },
                    )
                    .map_err(io)?;
                }
                Ok(())
            },
        )
        .with_format(CopyFormat::Csv)
        .execute(c)
}

#[cfg(test)]
mod tests {
    use std::time::Duration;

    use super::MigrationBackoff;

    #[test]
    fn migration_backoff_doubles_from_half_a_second_up_to_thirty() {
        let mut backoff = MigrationBackoff::default();
        let steps: Vec<(u32, Duration)> = (0..9).map(|_| backoff.next_step()).collect();
        let secs = |s: f64| Duration::from_secs_f64(s);
        assert_eq!(
            steps,
            vec![
                (1, secs(0.5)),
                (2, secs(1.0)),
                (3, secs(2.0)),
                (4, secs(4.0)),
                (5, secs(8.0)),
                (6, secs(16.0)),
                (7, secs(30.0)),
                (8, secs(30.0)),
                (9, secs(30.0)),
            ]
        );
    }
}

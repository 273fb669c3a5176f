//! SQLite's one writer: group commit.
//!
//! SQLite lets one connection write at a time. When writes come from several pooled
//! connections at once, all but one find the database locked, sleep (`busy_timeout`
//! sleeps a millisecond and more) and try again, and each commits a transaction of its
//! own. So on SQLite every create, update and delete of a [`Store`](crate::Store) goes
//! to one thread instead, which writes on one connection:
//!
//! 1. It waits for a write, then takes every other write already waiting (at most
//!    [`MAX_BATCH`]): as many as arrived while the last batch was being written.
//! 2. It opens one transaction (`BEGIN IMMEDIATE`) and runs each write in a savepoint
//!    of its own. A write that fails (a missing row, say) is rolled back to its
//!    savepoint and leaves the others of its batch alone.
//! 3. It commits the batch, then answers each caller with its own row or its own
//!    error. Nobody is answered before the commit that holds their write has returned;
//!    if that commit fails, every write of the batch fails with it, and none is kept.
//!    So do the writes that queued while a failed batch waited (for another process's
//!    lock, up to `busy_timeout`): they would only wait as long again.
//!
//! A commit in WAL mode with `synchronous = FULL` is an append to the `-wal` file and
//! a sync of it to disk: what makes an acknowledged write survive a power cut, and what
//! costs most in a commit. Batching shares that sync, and the lock, among every write
//! that was waiting, instead of queueing them on the lock one by one, each with a sync
//! of its own.

use std::any::Any;
use std::panic::{self, AssertUnwindSafe};
use std::sync::atomic::Ordering;
use std::sync::{Arc, mpsc};

use diesel::connection::{AnsiTransactionManager, TransactionManager};
use tokio::sync::oneshot;
use tracing::Span;

use crate::db::{self, AnyConnection, Pool};
use crate::error::{Error, from_diesel, from_pool};
use crate::store::Counters;

/// The most writes one transaction takes.
pub const MAX_BATCH: usize = 256;

/// The sending side of the writer thread; the thread ends when this is dropped.
pub(crate) struct Writer {
    jobs: mpsc::Sender<Box<dyn Job>>,
}

/// One write waiting for the writer, type-erased so writes of any result share a queue.
trait Job: Send {
    /// Runs the write inside the batch's transaction; whether it succeeded.
    fn apply(&mut self, conn: &mut AnyConnection) -> bool;
    /// Answers the caller, once the batch's commit has returned (`Err` if it failed).
    fn answer(self: Box<Self>, committed: Result<(), &Error>);
}

/// What runs on the writer thread once a write is committed, before its caller is
/// answered, whether or not the caller still waits (the store announces the change).
pub(crate) type AfterCommit<T> = Box<dyn FnOnce(&T) + Send>;

struct Write<T, F> {
    write: Option<F>,
    result: Option<Result<T, Error>>,
    after_commit: Option<AfterCommit<T>>,
    reply: oneshot::Sender<Result<T, Error>>,
    /// The caller's tracing span, entered while the write runs.
    span: Span,
}

impl<T, F> Job for Write<T, F>
where
    T: Send,
    F: FnOnce(&mut AnyConnection) -> Result<T, Error> + Send,
{
    fn apply(&mut self, conn: &mut AnyConnection) -> bool {
        let _entered = self.span.enter();
        let write = self.write.take().expect("a write is applied once");
        let result = panic::catch_unwind(AssertUnwindSafe(|| write(conn)))
            .unwrap_or_else(|panic| Err(Error::internal(panic_message(&*panic))));
        let ok = result.is_ok();
        self.result = Some(result);
        ok
    }

    fn answer(self: Box<Self>, committed: Result<(), &Error>) {
        let result = match (self.result, committed) {
            (Some(Ok(_)) | None, Err(error)) => Err(shared(error)),
            (Some(result), _) => result,
            (None, Ok(())) => Err(Error::internal("the write was not run")),
        };
        if let (Ok(value), Some(after_commit)) = (&result, self.after_commit) {
            after_commit(value);
        }
        // The caller may have gone (a cancelled request): its write stands all the same.
        let _ = self.reply.send(result);
    }
}

fn panic_message(panic: &(dyn Any + Send)) -> String {
    let text = panic
        .downcast_ref::<&str>()
        .copied()
        .or_else(|| panic.downcast_ref::<String>().map(String::as_str))
        .unwrap_or("a panic");
    format!("the write panicked: {text}")
}

impl Writer {
    /// Starts the writer thread, writing on connections of `pool`.
    pub(crate) fn start(
        pool: Pool,
        failures: Arc<db::ConnectFailures>,
        counts: Arc<Counters>,
    ) -> Writer {
        let (jobs, queue) = mpsc::channel();
        std::thread::Builder::new()
            .name("sqlite-writer".into())
            .spawn(move || write_batches(&queue, &pool, &failures, &counts))
            .expect("the writer thread starts");
        Writer { jobs }
    }

    /// Queues `write` and waits until it is committed (or has failed). Once it is
    /// committed, `after_commit` runs on the writer thread, in commit order, even if the
    /// caller has stopped waiting.
    pub(crate) async fn write<T, F>(
        &self,
        write: F,
        after_commit: Option<AfterCommit<T>>,
    ) -> Result<T, Error>
    where
        T: Send + 'static,
        F: FnOnce(&mut AnyConnection) -> Result<T, Error> + Send + 'static,
    {
        let (reply, answer) = oneshot::channel();
        let job = Box::new(Write {
            write: Some(write),
            result: None,
            after_commit,
            reply,
            span: Span::current(),
        });
        self.jobs
            .send(job)
            .map_err(|_| Error::internal("the SQLite writer has stopped"))?;
        answer
            .await
            .map_err(|_| Error::internal("the SQLite writer dropped a write"))?
    }
}

/// The writer thread: one batch after the other, until every [`Writer`] is dropped.
fn write_batches(
    queue: &mpsc::Receiver<Box<dyn Job>>,
    pool: &Pool,
    failures: &db::ConnectFailures,
    counts: &Counters,
) {
    while let Ok(first) = queue.recv() {
        let mut batch = vec![first];
        batch.extend(queue.try_iter().take(MAX_BATCH - 1));
        let committed = match pool.get() {
            Ok(mut conn) => {
                counts.checkouts.fetch_add(1, Ordering::Relaxed);
                let committed = write_batch(&mut conn.conn, &mut batch);
                if committed.is_ok() {
                    conn.answered();
                    counts.commits.fetch_add(1, Ordering::Relaxed);
                }
                committed
            }
            Err(error) => Err(from_pool(error, failures.last_reason())),
        };
        if let Err(error) = &committed {
            // The writes that queued while this batch waited (for a lock, say) would
            // wait as long again one batch later: they get the same answer now.
            batch.extend(queue.try_iter());
            tracing::debug!(%error, writes = batch.len(), "a batch of writes failed");
        }
        for job in batch {
            job.answer(committed.as_ref().map(|_| ()));
        }
    }
}

/// The answer for a write that a failed batch took down with it: the batch's error,
/// with its reason.
fn shared(error: &Error) -> Error {
    let reason = |source: &crate::error::BoxError| source.to_string();
    match error {
        Error::Internal(source) => Error::internal(reason(source)),
        Error::Unavailable(source) => Error::Unavailable(reason(source).into()),
        other => Error::Unavailable(other.to_string().into()),
    }
}

/// Runs the batch in one transaction, each write in a savepoint, and commits it.
fn write_batch(conn: &mut AnyConnection, batch: &mut [Box<dyn Job>]) -> Result<(), Error> {
    let AnyConnection::Sqlite(c) = conn else {
        unreachable!("the writer is SQLite's")
    };
    AnsiTransactionManager::begin_transaction_sql(c, "BEGIN IMMEDIATE")
        .map_err(|e| from_diesel(e, None))?;
    for job in batch.iter_mut() {
        // At depth 1 diesel's transaction manager opens, releases and rolls back savepoints.
        let savepoint = match conn {
            AnyConnection::Sqlite(c) => AnsiTransactionManager::begin_transaction(c),
            AnyConnection::Postgres(_) => unreachable!("the writer is SQLite's"),
        };
        if let Err(error) = savepoint {
            return abandon(conn, from_diesel(error, None));
        }
        let ok = job.apply(conn);
        let AnyConnection::Sqlite(c) = &mut *conn else {
            unreachable!("the writer is SQLite's")
        };
        let ended = if ok {
            AnsiTransactionManager::commit_transaction(c)
        } else {
            AnsiTransactionManager::rollback_transaction(c)
        };
        if let Err(error) = ended {
            return abandon(conn, from_diesel(error, None));
        }
    }
    let AnyConnection::Sqlite(c) = &mut *conn else {
        unreachable!("the writer is SQLite's")
    };
    match AnsiTransactionManager::commit_transaction(c) {
        Ok(()) => Ok(()),
        Err(error) => abandon(conn, from_diesel(error, None)),
    }
}

/// Rolls the whole batch back after a failure of the transaction itself.
fn abandon(conn: &mut AnyConnection, error: Error) -> Result<(), Error> {
    if let AnyConnection::Sqlite(c) = conn {
        while AnsiTransactionManager::transaction_manager_status_mut(c)
            .transaction_depth()
            .ok()
            .flatten()
            .is_some()
        {
            if AnsiTransactionManager::rollback_transaction(c).is_err() {
                break;
            }
        }
    }
    Err(error)
}

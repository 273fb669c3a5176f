//! The event journal: every committed change to a Dummy, numbered and kept for a
//! while, so that a reader that was away resumes from the last number it saw instead
//! of losing what happened meanwhile.
//!
//! ```text
//! dummy_events:  seq │ kind    │ dummy_id │ dummy (the row, JSON)            │ at
//!                 41 │ created │       17 │ {"id":17,"day":3,"weekday":…}    │ 2026-12-04T10:00:00Z
//!                 42 │ deleted │       17 │ {"id":17,"day":3,"weekday":…}    │ 2026-12-04T10:00:05Z
//! ```
//!
//! **Written with the change, in its transaction.** On PostgreSQL the trigger on
//! `dummies` appends the event, then NOTIFYs `{"seq", "op", "row"}` (see the
//! migration `event_journal`); on SQLite the store appends it in the savepoint of the
//! write ([`append_sqlite`]). A write that rolls back leaves no event; an event is
//! never there without its write.
//!
//! **In commit order.** Numbers grow strictly, and a number is visible only once every
//! smaller one is either visible or will never be (a rolled-back write leaves a hole):
//! on PostgreSQL the trigger holds a transaction-level advisory lock from numbering to
//! commit, on SQLite one writer thread commits. So "everything after 41" is a
//! question the journal answers the same way every time.
//!
//! **Read by watchers.** [`Store::watch`] gives a [`Watch`]: the changes after a
//! position (`after`, the last number a client saw) or from now on. A watcher in
//! step takes each event as the feed delivers it (the NOTIFY payload on PostgreSQL,
//! the store's own announcement on SQLite), with no query. When it is behind, when a
//! number jumps, when the feed's buffer overflowed, or when the listener comes back
//! after an outage, it reads the journal from its last number, [`PAGE`] events at a
//! time, and then takes the feed again. Nothing is skipped and nothing comes twice.
//!
//! **Kept for a while.** [`Store::prune_journal`] deletes the events beyond the
//! [`Retention`] (by default 1,000,000 events and 7 days) and moves the horizon,
//! `dummy_events_horizon.pruned_through`. A resume from before the horizon is
//! [`Error::TooOld`]: the client must read the data again, not the changes.
//!
//! **Seeding** (`protocols seed`, [`Store::insert_many`]) writes no events: 100,000
//! seeded rows are a bulk load, not 100,000 changes.

use std::collections::VecDeque;
use std::time::Duration;

use chrono::{DateTime, Utc};
use diesel::prelude::*;
use tokio::sync::broadcast::{self, error::RecvError};
use tokio::sync::watch;

use crate::db::AnyConnection;
use crate::dummy::Dummy;
use crate::error::{Error, from_diesel};
use crate::feed::{ChangeEvent, ChangeKind};
use crate::store::{DummyRow, Store};

/// The most events one read of the journal returns.
pub const PAGE: i64 = 1_000;
/// How long a watcher waits before it tries the journal again after a failed read.
const RETRY: Duration = Duration::from_secs(1);

/// How much of the journal is kept: whichever limit is reached first deletes.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Retention {
    /// The most events kept.
    pub max_rows: i64,
    /// The oldest event kept.
    pub max_age: Duration,
}

impl Default for Retention {
    fn default() -> Self {
        Retention {
            max_rows: 1_000_000,
            max_age: Duration::from_secs(7 * 24 * 3600),
        }
    }
}

/// The numbers the journal holds now.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Bounds {
    /// Every event up to this number was deleted by retention (0: none yet).
    pub pruned_through: i64,
    /// The newest number given out so far (`pruned_through` when none is kept).
    pub head: i64,
}

/// Runs `$body` with `$e` the journal table and `$h` its horizon, on either backend.
macro_rules! with_journal {
    ($conn:expr, |$c:ident, $e:ident, $h:ident| $body:expr) => {
        match &mut *$conn {
            AnyConnection::Postgres($c) => {
                #[allow(unused_imports)]
                use crate::schema::postgres::{dummy_events as $e, dummy_events_horizon as $h};
                $body
            }
            AnyConnection::Sqlite($c) => {
                #[allow(unused_imports)]
                use crate::schema::sqlite::{dummy_events as $e, dummy_events_horizon as $h};
                $body
            }
        }
    };
}

/// SQLite: appends the change `row` went through, in the caller's transaction; its number.
pub(crate) fn append_sqlite(
    c: &mut SqliteConnection,
    kind: ChangeKind,
    row: &DummyRow,
) -> QueryResult<i64> {
    use crate::schema::sqlite::dummy_events as e;
    let dummy = serde_json::to_string(row)
        .map_err(|error| diesel::result::Error::SerializationError(Box::new(error)))?;
    diesel::insert_into(e::table)
        .values((
            e::kind.eq(kind.as_str()),
            e::dummy_id.eq(row.id),
            e::dummy.eq(dummy),
            e::at.eq(Utc::now()),
        ))
        .returning(e::seq)
        .get_result(c)
}

/// Where the journal stands.
pub(crate) fn bounds(conn: &mut AnyConnection) -> QueryResult<Bounds> {
    with_journal!(conn, |c, e, h| {
        let newest: Option<i64> = e::table.select(diesel::dsl::max(e::seq)).first(c)?;
        let pruned_through: i64 = h::table.select(h::pruned_through).first(c)?;
        Ok(Bounds {
            pruned_through,
            head: newest.unwrap_or(0).max(pruned_through),
        })
    })
}

/// One journal row as a [`ChangeEvent`]; a row the model does not accept is an
/// internal error, as it is for `dummies`.
fn event(seq: i64, kind: &str, dummy: &str) -> Result<ChangeEvent, Error> {
    let kind = ChangeKind::parse(kind)
        .ok_or_else(|| Error::internal(format!("event {seq}: unknown kind {kind:?}")))?;
    let row: DummyRow = serde_json::from_str(dummy)
        .map_err(|error| Error::internal(format!("event {seq}: {error}")))?;
    Ok(ChangeEvent {
        seq,
        kind,
        dummy: Dummy::try_from(row)?,
    })
}

/// A journal position as a client writes it (`?after=42`, `Last-Event-ID: 42`,
/// `?before=42`): a whole number, spaces around it allowed. Whether the journal has
/// given it out is [`Store::watch`]'s question.
///
/// # Errors
/// [`Error::Invalid`] on `field`, with the message every protocol uses for a number.
pub fn parse_position(field: &'static str, text: &str) -> Result<i64, Error> {
    text.trim()
        .parse()
        .map_err(|_| Error::invalid(field, crate::dummy::NOT_INTEGER))
}

impl Store {
    /// Where the journal stands: its horizon and newest number.
    ///
    /// # Errors
    /// [`Error::Unavailable`] when the database can't be reached.
    pub async fn journal_bounds(&self) -> Result<Bounds, Error> {
        self.run(|conn| bounds(conn).map_err(|e| from_diesel(e, None)))
            .await
    }

    /// The events after number `after`, oldest first, at most `limit` of them.
    ///
    /// # Errors
    /// [`Error::TooOld`] when retention has deleted events after `after`;
    /// [`Error::Unavailable`] when the database can't be reached.
    pub async fn journal_after(&self, after: i64, limit: i64) -> Result<Vec<ChangeEvent>, Error> {
        self.run(move |conn| {
            let rows: Vec<(i64, String, String)> = with_journal!(conn, |c, e, _h| e::table
                .filter(e::seq.gt(after))
                .order(e::seq.asc())
                .limit(limit)
                .select((e::seq, e::kind, e::dummy))
                .load(c))
            .map_err(|e| from_diesel(e, None))?;
            // Read after the rows: retention deletes, then moves the horizon, in one
            // transaction, so a deletion these rows miss shows here.
            let pruned_through = bounds(conn)
                .map_err(|e| from_diesel(e, None))?
                .pruned_through;
            if after < pruned_through {
                return Err(Error::TooOld {
                    after,
                    pruned_through,
                });
            }
            rows.iter()
                .map(|(seq, kind, dummy)| event(*seq, kind, dummy))
                .collect()
        })
        .await
    }

    /// The newest events before number `before` (or the newest of all), newest first,
    /// at most `limit` of them, each with the time it was journaled: a page of a feed
    /// that reads backwards (the Atom feed).
    ///
    /// # Errors
    /// [`Error::Unavailable`] when the database can't be reached.
    pub async fn journal_before(
        &self,
        before: Option<i64>,
        limit: i64,
    ) -> Result<Vec<Entry>, Error> {
        self.run(move |conn| {
            let rows: Vec<(i64, String, String, DateTime<Utc>)> =
                with_journal!(conn, |c, e, _h| e::table
                    .filter(e::seq.lt(before.unwrap_or(i64::MAX)))
                    .order(e::seq.desc())
                    .limit(limit)
                    .select((e::seq, e::kind, e::dummy, e::at))
                    .load(c))
                .map_err(|e| from_diesel(e, None))?;
            rows.iter()
                .map(|(seq, kind, dummy, at)| {
                    Ok(Entry {
                        event: event(*seq, kind, dummy)?,
                        at: *at,
                    })
                })
                .collect()
        })
        .await
    }

    /// Deletes the events beyond `retention` and moves the horizon past them; how
    /// many were deleted. Every service runs it now and then (see `runtime`).
    ///
    /// # Errors
    /// [`Error::Unavailable`] when the database can't be reached.
    pub async fn prune_journal(&self, retention: Retention) -> Result<usize, Error> {
        let oldest_kept = chrono::Duration::from_std(retention.max_age)
            .ok()
            .and_then(|age| Utc::now().checked_sub_signed(age))
            .unwrap_or(chrono::DateTime::<Utc>::MIN_UTC);
        self.write(move |conn| {
            let now = bounds(conn).map_err(|e| from_diesel(e, None))?;
            let by_age: Option<i64> = with_journal!(conn, |c, e, _h| e::table
                .filter(e::at.lt(oldest_kept))
                .select(diesel::dsl::max(e::seq))
                .first(c))
            .map_err(|e| from_diesel(e, None))?;
            let through = (now.head - retention.max_rows).max(by_age.unwrap_or(0));
            if through <= now.pruned_through {
                return Ok(0);
            }
            with_journal!(conn, |c, e, h| c.transaction(|c| {
                let deleted = diesel::delete(e::table.filter(e::seq.le(through))).execute(c)?;
                diesel::update(h::table)
                    .filter(h::pruned_through.lt(through))
                    .set(h::pruned_through.eq(through))
                    .execute(c)?;
                QueryResult::Ok(deleted)
            }))
            .map_err(|e| from_diesel(e, None))
        })
        .await
    }

    /// Watches the changes after number `after` (the last one a client saw), or from
    /// now on when `after` is `None`. See [`Watch`].
    ///
    /// # Errors
    /// [`Error::Invalid`] for a number the journal has not given out yet;
    /// [`Error::TooOld`] when retention has deleted events after `after`;
    /// [`Error::Unavailable`] when the database or the change listener can't be reached.
    pub async fn watch(&self, after: Option<i64>) -> Result<Watch, Error> {
        let events = self.feed().subscribe().await?;
        let mut live = self.feed().status();
        live.borrow_and_update();
        let bounds = self.journal_bounds().await?;
        let last = match after {
            None => bounds.head,
            Some(after) if after < 0 => {
                return Err(Error::invalid(
                    "after",
                    "Ensure this value is greater than or equal to 0.",
                ));
            }
            Some(after) if after > bounds.head => {
                return Err(Error::invalid(
                    "after",
                    format!("No event {after} yet: the newest is {}.", bounds.head),
                ));
            }
            Some(after) if after < bounds.pruned_through => {
                return Err(Error::TooOld {
                    after,
                    pruned_through: bounds.pruned_through,
                });
            }
            Some(after) => after,
        };
        Ok(Watch {
            store: self.clone(),
            events,
            live,
            watching_live: true,
            last,
            backlog: VecDeque::new(),
            behind: last < bounds.head,
            retry_at: None,
        })
    }
}

/// One event of the journal with the time it was written.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Entry {
    /// The change.
    pub event: ChangeEvent,
    /// When it was journaled, to the microsecond: on PostgreSQL the trigger's clock
    /// after it took the journal's lock, on SQLite the writer's; growing with `seq`
    /// within the precision of the clock.
    pub at: DateTime<Utc>,
}

/// What a [`Watch`] has to say next.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Update {
    /// The next change, in journal order.
    Changed(ChangeEvent),
    /// The change listener lost the database (PostgreSQL): nothing arrives until
    /// [`Update::Resumed`].
    Interrupted,
    /// The listener is back; the changes committed meanwhile follow.
    Resumed,
}

/// One watcher's position in the journal and its subscription to the feed: every
/// change after its position, once each, in order (see the module docs).
pub struct Watch {
    store: Store,
    events: broadcast::Receiver<ChangeEvent>,
    live: watch::Receiver<bool>,
    watching_live: bool,
    /// The number of the last change handed out.
    last: i64,
    /// Changes read from the journal, not handed out yet.
    backlog: VecDeque<ChangeEvent>,
    /// The journal may hold changes after `last` that the feed will not bring.
    behind: bool,
    /// After a failed read of the journal: when to try again.
    retry_at: Option<tokio::time::Instant>,
}

impl std::fmt::Debug for Watch {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Watch")
            .field("last", &self.last)
            .field("behind", &self.behind)
            .finish_non_exhaustive()
    }
}

impl Watch {
    /// The number of the last change handed out (where a client would resume).
    pub fn position(&self) -> i64 {
        self.last
    }

    /// The next update; `None` once the feed is gone (the store was dropped).
    ///
    /// # Errors
    /// [`Error::TooOld`] when this watcher fell so far behind that retention deleted
    /// changes it had not read; [`Error::Internal`] for a journal row the model does
    /// not accept. The watch is over then.
    pub async fn next(&mut self) -> Option<Result<Update, Error>> {
        loop {
            if let Some(event) = self.backlog.pop_front() {
                self.last = event.seq;
                return Some(Ok(Update::Changed(event)));
            }
            if self.behind && self.retry_at.is_none() {
                match self.store.journal_after(self.last, PAGE).await {
                    Ok(events) => {
                        self.behind = events.len() as i64 == PAGE;
                        self.backlog.extend(events);
                        continue;
                    }
                    // The database is away: try again shortly (the feed's status says so).
                    Err(error @ Error::Unavailable(_)) => {
                        tracing::debug!(%error, "cannot read the journal; trying again");
                        self.retry_at = Some(tokio::time::Instant::now() + RETRY);
                    }
                    // Too old, or a row the model does not accept: it would fail again.
                    Err(error) => return Some(Err(error)),
                }
            }
            let retry_at = self.retry_at;
            let retry = async move {
                match retry_at {
                    Some(at) => tokio::time::sleep_until(at).await,
                    None => std::future::pending().await,
                }
            };
            tokio::select! {
                changed = self.live.changed(), if self.watching_live => {
                    if changed.is_err() {
                        self.watching_live = false;
                        continue;
                    }
                    if *self.live.borrow_and_update() {
                        // What was committed while the listener was away is in the journal.
                        self.behind = true;
                        return Some(Ok(Update::Resumed));
                    }
                    return Some(Ok(Update::Interrupted));
                }
                () = retry => self.retry_at = None,
                received = self.events.recv() => match received {
                    // Already handed out (read from the journal before the feed brought it).
                    Ok(event) if event.seq <= self.last => {}
                    Ok(event) if event.seq == self.last + 1 && !self.behind => {
                        self.last = event.seq;
                        return Some(Ok(Update::Changed(event)));
                    }
                    // A number jumped (a rolled-back write, or announcements that
                    // crossed), or the buffer overflowed: the journal has the rest.
                    Ok(_) | Err(RecvError::Lagged(_)) => self.behind = true,
                    Err(RecvError::Closed) => return None,
                },
            }
        }
    }
}

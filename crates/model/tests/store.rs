//! The store against real databases: SQLite files and PostgreSQL databases, one per test.

use model::{
    Day, DummyData, DummyId, DummyPatch, Error, ListQuery, Month, NewDummy, PoolOptions, Store,
    Weekday,
};

use test_support::{Backend, TestDb};

async fn fresh(backend: Backend) -> (Store, TestDb) {
    let db = TestDb::new(backend);
    let store = Store::open(&db.url, &PoolOptions::default());
    store.migrate().await.expect("migrations apply");
    (store, db)
}

fn data(day: i64, year: i32) -> DummyData {
    DummyData {
        day: Day::new(day).unwrap(),
        weekday: Weekday::Friday,
        month: Month::March,
        year,
    }
}

fn new(day: i64, year: i32) -> NewDummy {
    NewDummy {
        data: data(day, year),
        pre_seeded: false,
    }
}

async fn migrations_are_idempotent_and_safe_to_run_concurrently(backend: Backend) {
    let db = TestDb::new(backend);
    // Four services starting at once against one empty database.
    let stores: Vec<Store> = (0..4)
        .map(|_| Store::open(&db.url, &PoolOptions::default()))
        .collect();
    let results = futures_util::future::join_all(stores.iter().map(|s| s.migrate())).await;
    let applied: Vec<Vec<String>> = results
        .into_iter()
        .map(|r| r.expect("a concurrent migration failed"))
        .collect();
    assert_eq!(
        applied
            .iter()
            .filter(|versions| !versions.is_empty())
            .count(),
        1,
        "exactly one of the racing services applies the migrations: {applied:?}"
    );
    assert!(stores[0].migrate().await.unwrap().is_empty());
    assert_eq!(stores[0].count().await.unwrap(), 0);
}

async fn crud_round_trip_keeps_values_and_moves_updated_at(backend: Backend) {
    let (store, _db) = fresh(backend).await;
    let created = store.create(new(5, 1999)).await.unwrap();
    assert_eq!(created.day.get(), 5);
    assert_eq!(created.created_at, created.updated_at);
    assert_eq!(store.get(created.id).await.unwrap(), created);

    let replaced = store.replace(created.id, data(6, 2000)).await.unwrap();
    assert_eq!((replaced.day.get(), replaced.year), (6, 2000));
    assert_eq!(replaced.created_at, created.created_at);
    assert!(replaced.updated_at > created.updated_at);

    let patched = store
        .patch(
            created.id,
            DummyPatch {
                month: Some(Month::December),
                ..Default::default()
            },
        )
        .await
        .unwrap();
    assert_eq!((patched.month, patched.year), (Month::December, 2000));
    assert!(patched.updated_at > replaced.updated_at);

    store.delete(created.id).await.unwrap();
    assert!(matches!(store.get(created.id).await, Err(Error::NotFound { id }) if id == created.id));
}

async fn missing_ids_are_not_found_for_every_operation(backend: Backend) {
    let (store, _db) = fresh(backend).await;
    let id = DummyId(424_242);
    assert!(matches!(store.get(id).await, Err(Error::NotFound { .. })));
    assert!(matches!(
        store.replace(id, data(1, 1)).await,
        Err(Error::NotFound { .. })
    ));
    assert!(matches!(
        store.patch(id, DummyPatch::default()).await,
        Err(Error::NotFound { .. })
    ));
    assert!(matches!(
        store.delete(id).await,
        Err(Error::NotFound { .. })
    ));
    assert_eq!(store.count().await.unwrap(), 0);
}

async fn bulk_insert_and_list_queries(backend: Backend) {
    let (store, _db) = fresh(backend).await;
    let rows: Vec<NewDummy> = (0..9_001)
        .map(|i| new(i % 31 + 1, 1800 + (i % 221) as i32))
        .collect();
    assert_eq!(store.insert_many(rows).await.unwrap(), 9_001);
    assert_eq!(store.count().await.unwrap(), 9_001);

    let page = store
        .list(ListQuery {
            after: Some(DummyId(100)),
            limit: Some(3),
            ..Default::default()
        })
        .await
        .unwrap();
    assert_eq!(
        page.iter().map(|d| d.id.0).collect::<Vec<_>>(),
        vec![101, 102, 103]
    );

    let some = store
        .list(ListQuery {
            ids: Some(vec![DummyId(9_001), DummyId(1), DummyId(99_999)]),
            ..Default::default()
        })
        .await
        .unwrap();
    assert_eq!(
        some.iter().map(|d| d.id.0).collect::<Vec<_>>(),
        vec![1, 9_001]
    );

    let tail = store
        .list(ListQuery {
            offset: Some(9_000),
            ..Default::default()
        })
        .await
        .unwrap();
    assert_eq!(tail.len(), 1);

    let refused = store
        .list(ListQuery {
            limit: Some(0),
            ..Default::default()
        })
        .await;
    assert!(matches!(refused, Err(Error::Invalid(_))));
}

async fn an_unreachable_database_is_unavailable(backend: Backend) {
    let url = match backend {
        Backend::Postgres => "postgres://postgres@127.0.0.1:1/nothing",
        Backend::Sqlite => "/proc/no-such-dir/x.sqlite3",
    };
    let store = Store::open(
        &model::DatabaseUrl::parse(url).unwrap(),
        &PoolOptions {
            max_size: 1,
            connection_timeout: std::time::Duration::from_millis(200),
            ..PoolOptions::default()
        },
    );
    assert!(matches!(store.ping().await, Err(Error::Unavailable(_))));
    assert!(matches!(
        store.get(DummyId(1)).await,
        Err(Error::Unavailable(_))
    ));
    assert!(matches!(store.migrate().await, Err(Error::Unavailable(_))));
}

/// On SQLite a short read runs on an idle reader, on the caller's thread; a read that
/// fails there for another reason than a missing row (here the table is gone, which
/// the model reports as unavailable, as before the migrations have run) is run
/// again on the blocking pool, whose answer is the one returned. (Readers fail at once
/// on a lock, `busy_timeout = 0`; WAL lets them read through a writer's lock, which
/// the reliability suite's "sqlite locked" scenario checks on the running services.)
async fn a_read_that_fails_on_a_reader_is_run_again_on_the_blocking_pool() {
    use diesel::{Connection, RunQueryDsl};
    use std::time::{Duration, Instant};

    let (store, db) = fresh(Backend::Sqlite).await;
    let created = store.create(new(4, 1999)).await.unwrap();
    // The readers open in the background: wait for a read that runs on one.
    let deadline = Instant::now() + Duration::from_secs(10);
    loop {
        let before = store.counts();
        store.get(created.id).await.unwrap();
        let cost = store.counts() - before;
        if (cost.checkouts, cost.hand_offs) == (1, 0) {
            break;
        }
        assert!(Instant::now() < deadline, "no reader within 10 s");
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    let mut other = diesel::SqliteConnection::establish(db.url.expose()).unwrap();
    let rename = |other: &mut diesel::SqliteConnection, from: &str, to: &str| {
        diesel::sql_query(format!("ALTER TABLE {from} RENAME TO {to}"))
            .execute(other)
            .unwrap();
    };
    rename(&mut other, "dummies", "elsewhere");
    let before = store.counts();
    let gone = store.get(created.id).await;
    assert!(matches!(gone, Err(Error::Unavailable(_))), "{gone:?}");
    let cost = store.counts() - before;
    assert_eq!(
        (cost.checkouts, cost.hand_offs),
        (2, 1),
        "tried on a reader, then on the blocking pool: {cost:?}"
    );
    // A missing row is an answer: no second try.
    rename(&mut other, "elsewhere", "dummies");
    let before = store.counts();
    assert!(matches!(
        store.get(DummyId(999_999)).await,
        Err(Error::NotFound { .. })
    ));
    let cost = store.counts() - before;
    assert_eq!((cost.checkouts, cost.hand_offs), (1, 0), "{cost:?}");
}

/// On SQLite, single-row writes go to one writer thread that commits the writes
/// waiting together (`model::writer`). Here a second connection holds the write lock
/// while 40 creates and two writes bound to fail are queued: none is answered while
/// the lock is held (nothing is acknowledged before it is committed), then they commit
/// in at most two transactions, each caller gets its own row, and the failed writes
/// leave the others of their batch alone.
async fn waiting_writes_are_committed_together_each_answered_with_its_own_row() {
    use diesel::Connection;
    use diesel::connection::SimpleConnection;
    use std::time::{Duration, Instant};

    let (store, db) = fresh(Backend::Sqlite).await;
    let mut holder = diesel::SqliteConnection::establish(db.url.expose()).unwrap();
    holder.batch_execute("BEGIN IMMEDIATE").unwrap();
    let before = store.counts();
    let mut creates = Vec::new();
    for year in 2000..2040 {
        let store = store.clone();
        creates.push(tokio::spawn(
            async move { store.create(new(7, year)).await },
        ));
    }
    let missing = DummyId(999_999);
    let patch = tokio::spawn({
        let store = store.clone();
        async move { store.patch(missing, DummyPatch::from(data(1, 1))).await }
    });
    let delete = tokio::spawn({
        let store = store.clone();
        async move { store.delete(missing).await }
    });
    let deadline = Instant::now() + Duration::from_secs(5);
    while (store.counts() - before).hand_offs < 42 {
        assert!(
            Instant::now() < deadline,
            "the writes were not queued within 5 s"
        );
        tokio::time::sleep(Duration::from_millis(10)).await;
    }
    tokio::time::sleep(Duration::from_millis(200)).await;
    assert!(
        creates.iter().all(|c| !c.is_finished()),
        "a write was answered while the database was locked"
    );
    assert_eq!((store.counts() - before).commits, 0);
    holder.batch_execute("COMMIT").unwrap();

    let mut ids = std::collections::BTreeSet::new();
    for (create, year) in creates.into_iter().zip(2000..) {
        let created = create.await.unwrap().expect("the create is committed");
        assert_eq!(created.year, year, "each caller gets its own row");
        assert_eq!(store.get(created.id).await.unwrap(), created);
        ids.insert(created.id);
    }
    assert_eq!(ids.len(), 40);
    assert!(matches!(patch.await.unwrap(), Err(Error::NotFound { .. })));
    assert!(matches!(delete.await.unwrap(), Err(Error::NotFound { .. })));
    assert_eq!(store.count().await.unwrap(), 40);
    let cost = store.counts() - before;
    assert!(
        (1..=2).contains(&cost.commits),
        "42 waiting writes took {} commits",
        cost.commits
    );
}

/// Another process holds SQLite's write lock: the writer waits `busy_timeout` (5 s)
/// for it and fails. The writes that queued behind it meanwhile fail with it, at the
/// same moment, instead of waiting 5 s more each, one batch after the other.
async fn writes_queued_behind_a_lock_fail_together_within_the_busy_timeout() {
    use diesel::Connection;
    use diesel::connection::SimpleConnection;
    use std::time::{Duration, Instant};

    let (store, db) = fresh(Backend::Sqlite).await;
    let mut holder = diesel::SqliteConnection::establish(db.url.expose()).unwrap();
    holder.batch_execute("BEGIN EXCLUSIVE").unwrap();
    let at = Instant::now();
    let writes: Vec<_> = (0..3)
        .map(|i| {
            let store = store.clone();
            tokio::spawn(async move {
                tokio::time::sleep(Duration::from_millis(100 * i)).await;
                store.create(new(3, 2000)).await
            })
        })
        .collect();
    for write in writes {
        let answer = write.await.unwrap();
        assert!(matches!(answer, Err(Error::Unavailable(_))), "{answer:?}");
    }
    let took = at.elapsed();
    assert!(
        took < Duration::from_secs(8),
        "three writes behind one lock took {took:?}"
    );
    holder.batch_execute("ROLLBACK").unwrap();
    store.create(new(3, 2000)).await.expect("writes work again");
}

mod feed {
    use std::time::Duration;

    use model::{ChangeKind, DummyPatch, Month, Store};
    use test_support::{Backend, TestDb};

    async fn next(
        rx: &mut tokio::sync::broadcast::Receiver<model::ChangeEvent>,
    ) -> model::ChangeEvent {
        tokio::time::timeout(Duration::from_secs(10), rx.recv())
            .await
            .expect("a change event within 10 s")
            .expect("the feed is open")
    }

    async fn every_write_is_announced_once_in_order(backend: Backend) {
        let db = TestDb::new(backend);
        let store = db.migrated_store().await;
        let mut rx = store.feed().subscribe().await.unwrap();
        let created = store.create(super::new(1, 2000)).await.unwrap();
        store
            .patch(
                created.id,
                DummyPatch {
                    month: Some(Month::July),
                    ..Default::default()
                },
            )
            .await
            .unwrap();
        store.delete(created.id).await.unwrap();

        let events = [
            next(&mut rx).await,
            next(&mut rx).await,
            next(&mut rx).await,
        ];
        assert_eq!(
            events.iter().map(|e| e.kind).collect::<Vec<_>>(),
            [
                ChangeKind::Created,
                ChangeKind::Updated,
                ChangeKind::Deleted
            ]
        );
        assert_eq!(events[0].dummy, created);
        assert_eq!(events[1].dummy.month, Month::July);
        assert_eq!(events[2].dummy.id, created.id);
        // Bulk loads are not announced.
        store
            .insert_many(vec![super::new(2, 2001); 50])
            .await
            .unwrap();
        assert!(
            tokio::time::timeout(Duration::from_millis(300), rx.recv())
                .await
                .is_err()
        );
    }

    /// Two stores stand for two processes: with PostgreSQL, a write through one is seen by the other.
    async fn postgres_writes_from_another_process_reach_subscribers() {
        let db = TestDb::new(Backend::Postgres);
        let watcher = db.migrated_store().await;
        let writer = Store::open(&db.url, &model::PoolOptions::default());
        let mut rx = watcher.feed().subscribe().await.unwrap();
        let created = writer.create(super::new(3, 1990)).await.unwrap();
        let event = next(&mut rx).await;
        assert_eq!(
            (event.kind, event.dummy.id),
            (ChangeKind::Created, created.id)
        );
    }

    /// A named channel carries text from one store to another (two processes, on
    /// PostgreSQL; the same process on SQLite), whatever its name holds: a quote and a
    /// space stay part of one channel name. A payload over the limit is refused.
    async fn a_named_channel_carries_payloads_between_stores(backend: Backend) {
        let db = TestDb::new(backend);
        let listener = db.migrated_store().await;
        let sender = match backend {
            Backend::Postgres => Store::open(&db.url, &model::PoolOptions::default()),
            Backend::Sqlite => listener.clone(),
        };
        let name = r#"odd "name" here"#;
        let mut rx = listener.feed().channel(name).await.unwrap();
        let mut other = listener.feed().channel("another").await.unwrap();
        sender.notify(name, "hello".to_owned()).await.unwrap();
        let got = tokio::time::timeout(Duration::from_secs(10), rx.recv())
            .await
            .expect("a payload within 10 s")
            .unwrap();
        assert_eq!(got, "hello");
        assert!(other.try_recv().is_err(), "another channel heard it");
        let too_big = "x".repeat(model::feed::MAX_PAYLOAD + 1);
        assert!(matches!(
            sender.notify(name, too_big).await,
            Err(model::Error::Invalid(_))
        ));
    }

    test_support::tests! {
        tokio: postgres_writes_from_another_process_reach_subscribers;
        backends(std::future::ready):
            every_write_is_announced_once_in_order,
            a_named_channel_carries_payloads_between_stores;
    }
}

/// The event journal (`model::journal`) and the watches that read it.
mod journal {
    use std::time::Duration;

    use model::{
        ChangeEvent, ChangeKind, DummyPatch, Error, Month, Retention, Store, Update, Watch,
    };
    use test_support::{Backend, TestDb};

    /// The next change a watch hands out, within 10 s.
    async fn changed(watch: &mut Watch) -> ChangeEvent {
        match tokio::time::timeout(Duration::from_secs(10), watch.next()).await {
            Ok(Some(Ok(Update::Changed(event)))) => event,
            other => panic!("expected a change within 10 s, got {other:?}"),
        }
    }

    /// `n` creates at once, from as many tasks (their announcements may cross).
    async fn create_many(store: &Store, n: i32) -> Vec<model::Dummy> {
        let tasks: Vec<_> = (0..n)
            .map(|year| {
                let store = store.clone();
                tokio::spawn(async move { store.create(super::new(1, year)).await })
            })
            .collect();
        let mut created = Vec::new();
        for task in tasks {
            created.push(task.await.unwrap().expect("the create is committed"));
        }
        created
    }

    /// Each write leaves one event, numbered in order, with the row as the write left
    /// it; the feed announces the same numbers; seeding leaves none.
    async fn every_write_is_journaled_in_order_with_its_row(backend: Backend) {
        let db = TestDb::new(backend);
        let store = db.migrated_store().await;
        let start = store.journal_bounds().await.unwrap();
        assert_eq!(start.pruned_through, 0);
        let mut announced = store.feed().subscribe().await.unwrap();
        let created = store.create(super::new(1, 2000)).await.unwrap();
        let patch = DummyPatch {
            month: Some(Month::July),
            ..Default::default()
        };
        let updated = store.patch(created.id, patch).await.unwrap();
        store.delete(created.id).await.unwrap();
        store
            .insert_many(vec![super::new(2, 2001); 50])
            .await
            .unwrap();

        let events = store.journal_after(start.head, 100).await.unwrap();
        let kinds: Vec<ChangeKind> = events.iter().map(|e| e.kind).collect();
        assert_eq!(
            kinds,
            [
                ChangeKind::Created,
                ChangeKind::Updated,
                ChangeKind::Deleted
            ],
            "one event per single write, none for the 50 seeded rows"
        );
        assert_eq!(events[0].dummy, created);
        assert_eq!(events[1].dummy, updated);
        assert_eq!(
            events[2].dummy, updated,
            "a delete carries the row as it was"
        );
        assert!(events.windows(2).all(|w| w[0].seq < w[1].seq));
        assert_eq!(store.journal_bounds().await.unwrap().head, events[2].seq);
        for event in &events {
            let heard = tokio::time::timeout(Duration::from_secs(10), announced.recv())
                .await
                .expect("an announcement within 10 s")
                .unwrap();
            assert_eq!(&heard, event, "the feed announces what the journal keeps");
        }
        // Reading from the middle gives the rest.
        let rest = store.journal_after(events[0].seq, 100).await.unwrap();
        assert_eq!(rest, events[1..]);
    }

    /// A watch that stops reading while far more changes are made than the feed buffers
    /// (`model::feed::CAPACITY`), made at once by many writers, gets every one of them
    /// when it reads again: in order, once each. A watch opened afterwards on another
    /// store of the same database (a restarted server) resumes from any of them.
    async fn a_slow_or_restarted_watch_gets_every_change_once_in_order(backend: Backend) {
        let db = TestDb::new(backend);
        let store = db.migrated_store().await;
        let mut watch = store.watch(None).await.unwrap();
        let from = watch.position();
        let n = model::feed::CAPACITY as i32 + 200;
        let created = create_many(&store, n).await;
        let mut seen = Vec::new();
        for _ in 0..n {
            seen.push(changed(&mut watch).await);
        }
        assert!(
            seen.windows(2).all(|w| w[0].seq < w[1].seq),
            "handed out in journal order"
        );
        let mut ids: Vec<_> = seen.iter().map(|e| e.dummy.id).collect();
        ids.sort_unstable();
        let mut want: Vec<_> = created.iter().map(|d| d.id).collect();
        want.sort_unstable();
        assert_eq!(ids, want, "every create once");

        // A restart: another store on the same database, resuming in the middle.
        let restarted = Store::open(&db.url, &model::PoolOptions::default());
        let middle = seen[n as usize / 2].seq;
        let mut resumed = restarted.watch(Some(middle)).await.unwrap();
        for event in &seen[n as usize / 2 + 1..] {
            assert_eq!(&changed(&mut resumed).await, event);
        }
        // …and then goes on live (with a write of its own: on SQLite each process
        // hears only its own writes live; the journal has everyone's).
        let next = restarted.create(super::new(9, 1999)).await.unwrap();
        assert_eq!(changed(&mut resumed).await.dummy, next);
        assert_eq!(watch.position(), seen[seen.len() - 1].seq);
        assert!(watch.position() > from);
    }

    /// Retention deletes the oldest events and moves the horizon; a resume from before
    /// it is `TooOld`, a position not given out yet is `Invalid`, and a resume from the
    /// horizon itself gets what is kept.
    async fn retention_prunes_and_an_old_position_is_too_old(backend: Backend) {
        let db = TestDb::new(backend);
        let store = db.migrated_store().await;
        for year in 0..10 {
            store.create(super::new(1, year)).await.unwrap();
        }
        let before = store.journal_bounds().await.unwrap();
        let keep = Retention {
            max_rows: 3,
            ..Retention::default()
        };
        assert_eq!(store.prune_journal(keep).await.unwrap(), 7);
        assert_eq!(store.prune_journal(keep).await.unwrap(), 0, "nothing more");
        let after = store.journal_bounds().await.unwrap();
        assert_eq!(after.head, before.head);
        assert_eq!(after.pruned_through, before.head - 3);

        let too_old = store.watch(Some(after.pruned_through - 1)).await;
        assert!(
            matches!(too_old, Err(Error::TooOld { after: a, pruned_through: p })
                if a == after.pruned_through - 1 && p == after.pruned_through),
            "{too_old:?}"
        );
        assert!(matches!(
            store.journal_after(0, 10).await,
            Err(Error::TooOld { .. })
        ));
        let ahead = store.watch(Some(after.head + 1)).await;
        assert!(matches!(ahead, Err(Error::Invalid(_))), "{ahead:?}");
        assert!(matches!(
            store.watch(Some(-1)).await,
            Err(Error::Invalid(_))
        ));

        let mut watch = store.watch(Some(after.pruned_through)).await.unwrap();
        for seq in after.pruned_through + 1..=after.head {
            assert_eq!(changed(&mut watch).await.seq, seq);
        }
        // By age: everything is younger than a day.
        let by_age = Retention {
            max_rows: 1_000_000,
            max_age: Duration::from_secs(24 * 3600),
        };
        assert_eq!(store.prune_journal(by_age).await.unwrap(), 0);
    }

    /// A caller that stops waiting (a client that hung up) does not take the
    /// announcement of its committed write with it: a watcher in step still gets it,
    /// with no later write to show the gap.
    async fn a_write_whose_caller_left_is_still_announced(backend: Backend) {
        let db = TestDb::new(backend);
        let store = db.migrated_store().await;
        let mut watch = store.watch(None).await.unwrap();
        // Polled once (the write is handed over), then dropped before its answer.
        let mut create = std::pin::pin!(store.create(super::new(5, 1955)));
        let mut cx = std::task::Context::from_waker(std::task::Waker::noop());
        let first = create.as_mut().poll(&mut cx);
        assert!(first.is_pending(), "the caller left before the answer");
        let event = changed(&mut watch).await;
        assert_eq!((event.kind, event.dummy.year), (ChangeKind::Created, 1955));
    }

    test_support::tests! {
        backends(std::future::ready):
            a_write_whose_caller_left_is_still_announced,
            every_write_is_journaled_in_order_with_its_row,
            a_slow_or_restarted_watch_gets_every_change_once_in_order,
            retention_prunes_and_an_old_position_is_too_old;
    }
}

mod webhooks {
    use std::time::Duration;

    use chrono::Utc;
    use model::Error;
    use model::webhooks::{AfterAttempt, Attempt, MAX_WEBHOOKS, NewWebhook};
    use secrecy::SecretString;
    use test_support::{Backend, TestDb};

    fn subscription() -> NewWebhook {
        NewWebhook::parse(Some("http://127.0.0.1:9/hook"), None, None).unwrap()
    }

    /// A lease is taken only once the previous one ran out, and renewed, released or
    /// used to record a failure only under its own token: a turn whose lease ran out
    /// cannot undo the work of the one that took over.
    async fn leases_belong_to_their_token(backend: Backend) {
        let db = TestDb::new(backend);
        let store = db.migrated_store().await;
        let hook = store
            .create_webhook(subscription(), SecretString::from("whsec_AAAA"))
            .await
            .unwrap();
        let soon = || Utc::now() + Duration::from_secs(30);
        assert!(
            store
                .lease_webhook(hook.id, "a", soon(), false)
                .await
                .unwrap()
                .is_some()
        );
        assert!(
            store
                .lease_webhook(hook.id, "b", soon(), false)
                .await
                .unwrap()
                .is_none()
        );
        assert!(
            store
                .lease_webhook(hook.id, "b", soon(), true)
                .await
                .unwrap()
                .is_none()
        );
        store.release_webhook(hook.id, "b").await.unwrap();
        assert!(
            store
                .lease_webhook(hook.id, "b", soon(), false)
                .await
                .unwrap()
                .is_none()
        );
        assert!(
            store
                .lease_webhook(hook.id, "a", soon(), true)
                .await
                .unwrap()
                .is_some()
        );

        // A delivery to record attempts on: one change after the subscription.
        store.create(super::new(3, 1999)).await.unwrap();
        let hook = store.webhook(hook.id).await.unwrap().unwrap();
        let message = |_: &model::ChangeEvent| {
            Ok(model::webhooks::Message {
                id: "msg_1".into(),
                event_type: "dummy.created".into(),
                body: "{}".into(),
            })
        };
        assert!(
            store
                .enqueue_deliveries(&hook, message)
                .await
                .unwrap()
                .is_some()
        );
        let delivery = store.next_delivery(hook.id).await.unwrap().unwrap();
        let failed = Attempt {
            at: Utc::now(),
            latency: Duration::from_millis(1),
            status: Some(500),
            error: Some("the receiver answered 500".into()),
        };
        let retry = AfterAttempt::RetryAt(soon());
        store
            .record_attempt(delivery.id, failed.clone(), retry.clone(), "b")
            .await
            .unwrap();
        let after = store.webhook(hook.id).await.unwrap().unwrap();
        assert_eq!(
            (after.failures, after.retry_at),
            (0, None),
            "b holds no lease"
        );
        let recorded = store
            .record_attempt(delivery.id, failed, retry, "a")
            .await
            .unwrap();
        assert_eq!(
            recorded.unwrap().attempts,
            2,
            "both attempts were made, and are recorded"
        );
        assert_eq!(store.webhook(hook.id).await.unwrap().unwrap().failures, 1);

        store.release_webhook(hook.id, "a").await.unwrap();
        assert!(
            store
                .lease_webhook(hook.id, "b", soon(), false)
                .await
                .unwrap()
                .is_some()
        );
    }

    async fn subscriptions_are_capped(backend: Backend) {
        let db = TestDb::new(backend);
        let store = db.migrated_store().await;
        for _ in 0..MAX_WEBHOOKS {
            store
                .create_webhook(subscription(), SecretString::from("whsec_AAAA"))
                .await
                .unwrap();
        }
        let refused = store
            .create_webhook(subscription(), SecretString::from("whsec_AAAA"))
            .await;
        assert!(matches!(refused, Err(Error::Conflict(_))), "{refused:?}");
        assert_eq!(store.webhooks().await.unwrap().len() as i64, MAX_WEBHOOKS);
    }

    test_support::tests! {
        backends(std::future::ready):
            leases_belong_to_their_token,
            subscriptions_are_capped;
    }
}

test_support::tests! {
    tokio: a_read_that_fails_on_a_reader_is_run_again_on_the_blocking_pool,
        waiting_writes_are_committed_together_each_answered_with_its_own_row,
        writes_queued_behind_a_lock_fail_together_within_the_busy_timeout;
    backends(std::future::ready):
        migrations_are_idempotent_and_safe_to_run_concurrently,
        crud_round_trip_keeps_values_and_moves_updated_at,
        missing_ids_are_not_found_for_every_operation,
        bulk_insert_and_list_queries,
        an_unreachable_database_is_unavailable;
}

fn main() {
    test_support::harness::main([
        trials(),
        feed::trials(),
        journal::trials(),
        webhooks::trials(),
    ])
}

//! What a GET by id costs on the data path, counted by the store itself
//! ([`model::Store::counts`]): a change that adds a connection checkout or a hop to
//! the blocking pool fails here, without timing anything.
//!
//! On SQLite a read runs on an idle reader connection on the server's own thread: one
//! checkout, no hand-off. On PostgreSQL it is sent on a shared async connection,
//! pipelined with the other reads (`model::pg_reader`): one checkout, no hand-off
//! either. A create takes one hand-off: to SQLite's writer thread, which commits it
//! (group commit, `model::writer`), or to the blocking pool on PostgreSQL. Neither
//! pings the database before a write when the connection answered less than
//! `model::db::ALIVE_WINDOW` ago; after that, one ping.

use std::time::{Duration, Instant};

use model::{Backend, Counts};

use crate::helpers::{TestApp, expect_json};

/// GETs one record and returns what that cost.
async fn one_get(app: &TestApp, id: &serde_json::Value) -> Counts {
    let before = app.store.counts();
    let url = app.url(&format!("/api/rest/dummie/{id}"));
    let body = expect_json(app.client.get(url).send().await.unwrap(), 200).await;
    assert_eq!(&body["id"], id);
    app.store.counts() - before
}

async fn a_get_by_id_costs_one_checkout_and_no_needless_hop(app: TestApp) {
    let id = app.create(TestApp::sample()).await["id"].clone();
    let expected = Counts {
        checkouts: 1,
        hand_offs: 0,
        pings: 0,
        commits: 0,
    };
    // The readers are opened when first needed (SQLite's in the background): until one
    // is ready, a read takes the blocking pool. Wait (a bounded time) for one that does not.
    let deadline = Instant::now() + Duration::from_secs(10);
    while one_get(&app, &id).await != expected {
        assert!(
            Instant::now() < deadline,
            "no GET cost {expected:?} within 10 s"
        );
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    for _ in 0..20 {
        assert_eq!(one_get(&app, &id).await, expected);
    }
}

async fn a_missing_record_is_answered_on_the_same_path(app: TestApp) {
    let id = app.create(TestApp::sample()).await["id"].clone();
    let deadline = Instant::now() + Duration::from_secs(10);
    while one_get(&app, &id).await.hand_offs != 0 {
        assert!(Instant::now() < deadline, "no reader within 10 s");
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    let before = app.store.counts();
    let response = app
        .client
        .get(app.url("/api/rest/dummie/999999"))
        .send()
        .await
        .unwrap();
    assert_eq!(expect_json(response, 404).await["detail"], "Not found.");
    let cost = app.store.counts() - before;
    assert_eq!(cost.checkouts, 1, "{cost:?}");
    assert_eq!(
        cost.hand_offs, 0,
        "a missing row is an answer, not a failure: {cost:?}"
    );
}

/// A create on its own: one hand-off (to SQLite's writer thread, or to the blocking
/// pool on PostgreSQL) and one checkout; on SQLite, one commit of the writer's. The
/// connection answered the create just before, so no ping; after an idle spell longer
/// than the alive window, one.
async fn a_create_costs_one_hand_off_and_one_commit(app: TestApp) {
    app.create(TestApp::sample()).await;
    let one_create = async || {
        let before = app.store.counts();
        app.create(TestApp::sample()).await;
        app.store.counts() - before
    };
    let expected = Counts {
        checkouts: 1,
        hand_offs: 1,
        pings: 0,
        commits: match app.store.backend() {
            Backend::Sqlite => 1,
            Backend::Postgres => 0,
        },
    };
    assert_eq!(one_create().await, expected);
    tokio::time::sleep(model::db::ALIVE_WINDOW + Duration::from_millis(100)).await;
    assert_eq!(
        one_create().await,
        Counts {
            pings: 1,
            ..expected
        }
    );
}

test_support::tests! {
    backends(crate::helpers::TestApp::spawn_quiet):
        a_get_by_id_costs_one_checkout_and_no_needless_hop,
        a_missing_record_is_answered_on_the_same_path,
        a_create_costs_one_hand_off_and_one_commit;
}

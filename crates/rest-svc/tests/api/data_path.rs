//! What a GET by id costs on the data path, counted by the store itself
//! ([`model::Store::counts`]): a change that adds a connection checkout or a hop to
//! the blocking pool fails here, without timing anything.
//!
//! On SQLite a read runs on an idle reader connection on the server's own thread: one
//! checkout, no hand-off. On PostgreSQL (diesel's synchronous driver) it still takes
//! the blocking pool: one checkout, one hand-off. Neither pings the database before
//! the read when the connection answered less than `model::db::ALIVE_WINDOW` ago;
//! after that, one ping.

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
    let expected = match app.store.backend() {
        Backend::Sqlite => Counts {
            checkouts: 1,
            hand_offs: 0,
            pings: 0,
        },
        Backend::Postgres => Counts {
            checkouts: 1,
            hand_offs: 1,
            pings: 0,
        },
    };
    // The SQLite readers are opened in the background: until one is idle, a read takes
    // the blocking pool. Wait (a bounded time) for the first read that does not.
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
    if app.store.backend() == Backend::Postgres {
        // Idle for longer than the window: the connection is checked first.
        tokio::time::sleep(model::db::ALIVE_WINDOW + Duration::from_millis(100)).await;
        assert_eq!(
            one_get(&app, &id).await,
            Counts {
                pings: 1,
                ..expected
            }
        );
    }
}

async fn a_missing_record_is_answered_on_the_same_path(app: TestApp) {
    let id = app.create(TestApp::sample()).await["id"].clone();
    let deadline = Instant::now() + Duration::from_secs(10);
    while one_get(&app, &id).await.hand_offs != 0 && app.store.backend() == Backend::Sqlite {
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
    if app.store.backend() == Backend::Sqlite {
        assert_eq!(
            cost.hand_offs, 0,
            "a missing row is an answer, not a failure: {cost:?}"
        );
    }
}

test_support::tests! {
    backends(crate::helpers::TestApp::spawn):
        a_get_by_id_costs_one_checkout_and_no_needless_hop,
        a_missing_record_is_answered_on_the_same_path;
}

//! `/api/ws/dummies/`: writes to the store show up on the feed, in the order made.
//! (A write through REST reaching this feed is tested where the services are composed:
//! `crates/protocols/tests/cli/across.rs`.)

use std::time::Duration;

use serde_json::json;

use crate::helpers::{TestApp, recv, send};

async fn the_feed_shows_writes_to_the_store(app: TestApp) {
    let mut feed = app.connect("/api/ws/dummies/").await;
    // Give the feed's subscription a moment on PostgreSQL (LISTEN is set up per process, once).
    tokio::time::sleep(Duration::from_millis(200)).await;

    let created = app
        .store
        .create(model::NewDummy {
            data: model::DummyData {
                day: model::Day::new(5).unwrap(),
                weekday: model::Weekday::Friday,
                month: model::Month::May,
                year: 1995,
            },
            pre_seeded: false,
        })
        .await
        .unwrap();
    app.store.delete(created.id).await.unwrap();

    let first = recv(&mut feed).await;
    assert_eq!(first["event"], "created");
    assert_eq!(
        first["dummy"],
        json!({
            "id": created.id.0,
            "day": 5,
            "weekday": "Friday",
            "month": "May",
            "year": 1995,
            "pre_seeded": false,
            "created_at": first["dummy"]["created_at"],
            "updated_at": first["dummy"]["updated_at"],
        }),
        "the feed shows the whole record"
    );
    let second = recv(&mut feed).await;
    assert_eq!(
        (&second["event"], &second["dummy"]["id"]),
        (&json!("deleted"), &json!(created.id.0))
    );

    // The feed is read-only: text gets an error frame, and the connection stays.
    send(&mut feed, json!({"message": "hello?"})).await;
    assert!(
        recv(&mut feed).await["error"]
            .as_str()
            .unwrap()
            .contains("read-only")
    );
}

test_support::tests! {
    backends(crate::helpers::TestApp::spawn): the_feed_shows_writes_to_the_store;
}

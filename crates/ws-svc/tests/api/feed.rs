//! `/api/ws/dummies/`: writes to the store show up on the feed, in the order made.
//! (A write through REST reaching this feed is tested where the services are composed:
//! `crates/protocols/tests/cli/across.rs`.)

use std::time::Duration;

use serde_json::json;

use tokio_tungstenite::tungstenite::protocol::frame::coding::CloseCode;

use test_support::{Backend, TestDb};
use ws_svc::close::Limits;
use ws_svc::origin::AllowedOrigins;

use crate::helpers::{TestApp, close_code, recv, send};

async fn the_feed_shows_writes_to_the_store(backend: Backend) {
    let app = TestApp::spawn(backend).await;
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

fn new(day: i64, year: i32) -> model::NewDummy {
    model::NewDummy {
        data: model::DummyData {
            day: model::Day::new(day).unwrap(),
            weekday: model::Weekday::Monday,
            month: model::Month::June,
            year,
        },
        pre_seeded: false,
    }
}

/// A client that reconnects with `?after=` the last `seq` it got receives what was
/// committed while it was away, in order, then the live changes: nothing lost.
async fn a_reconnect_with_after_gets_what_happened_meanwhile(backend: Backend) {
    let app = TestApp::spawn(backend).await;
    // From the head, so that the create below counts whenever the watch starts.
    let head = app.store.journal_bounds().await.unwrap().head;
    let mut feed = app.connect(&format!("/api/ws/dummies/?after={head}")).await;
    let first = app.store.create(new(1, 2001)).await.unwrap();
    let frame = recv(&mut feed).await;
    assert_eq!(frame["dummy"]["id"], json!(first.id.0));
    let seen = frame["seq"].as_i64().expect("every event carries its seq");
    drop(feed);

    let second = app.store.create(new(2, 2002)).await.unwrap();
    app.store.delete(first.id).await.unwrap();
    let mut feed = app.connect(&format!("/api/ws/dummies/?after={seen}")).await;
    let a = recv(&mut feed).await;
    let b = recv(&mut feed).await;
    assert_eq!(
        (&a["event"], &a["dummy"]["id"]),
        (&json!("created"), &json!(second.id.0))
    );
    assert_eq!(
        (&b["event"], &b["dummy"]["id"]),
        (&json!("deleted"), &json!(first.id.0))
    );
    assert!(seen < a["seq"].as_i64().unwrap() && a["seq"].as_i64() < b["seq"].as_i64());
    let third = app.store.create(new(3, 2003)).await.unwrap();
    assert_eq!(recv(&mut feed).await["dummy"]["id"], json!(third.id.0));
}

/// A position retention deleted gets `too_old` and the close 4410; one not given out
/// yet an `error` frame and 1008; one that is not a number is refused with 400.
async fn positions_too_old_ahead_or_not_numbers_are_refused(backend: Backend) {
    let app = TestApp::spawn(backend).await;
    for year in 0..3 {
        app.store.create(new(1, year)).await.unwrap();
    }
    let keep_one = model::Retention {
        max_rows: 1,
        ..model::Retention::default()
    };
    app.store.prune_journal(keep_one).await.unwrap();
    let bounds = app.store.journal_bounds().await.unwrap();

    let mut feed = app.connect("/api/ws/dummies/?after=0").await;
    let frame = recv(&mut feed).await;
    assert_eq!(frame["event"], "too_old");
    assert_eq!(frame["pruned_through"], json!(bounds.pruned_through));
    assert_eq!(
        u16::from(close_code(&mut feed).await),
        ws_svc::feed::TOO_OLD
    );

    let ahead = bounds.head + 10;
    let mut feed = app
        .connect(&format!("/api/ws/dummies/?after={ahead}"))
        .await;
    let frame = recv(&mut feed).await;
    assert!(
        frame["error"].as_str().unwrap().contains("No event"),
        "{frame}"
    );
    assert_eq!(close_code(&mut feed).await, CloseCode::Policy);

    let refused =
        clients::ws::connect(&format!("ws://{}/api/ws/dummies/?after=soon", app.addr)).await;
    let error = refused
        .expect_err("a handshake with ?after=soon is refused")
        .to_string();
    assert!(error.contains("400"), "{error}");
}

/// Across a server restart: a client that connects to the next server on the same
/// database with `?after=` gets what was committed while none ran, then the live
/// changes. The second server has a store of its own, as a new process would.
async fn a_reconnect_to_a_restarted_server_resumes(backend: Backend) {
    let db = TestDb::new(backend);
    let start = |store| TestApp::start(store, None, Limits::default(), AllowedOrigins::default());
    let mut first = start(db.migrated_store().await);
    let head = first.store.journal_bounds().await.unwrap().head;
    let mut feed = first
        .connect(&format!("/api/ws/dummies/?after={head}"))
        .await;
    let made = first.store.create(new(1, 2001)).await.unwrap();
    let frame = recv(&mut feed).await;
    assert_eq!(frame["dummy"]["id"], json!(made.id.0));
    let seen = frame["seq"].as_i64().unwrap();
    first.server.stopped().await.unwrap();
    drop((feed, first));

    let store = db.migrated_store().await;
    let meanwhile = store.create(new(2, 2002)).await.unwrap();
    let second = start(store);
    let mut feed = second
        .connect(&format!("/api/ws/dummies/?after={seen}"))
        .await;
    let frame = recv(&mut feed).await;
    assert_eq!(frame["dummy"]["id"], json!(meanwhile.id.0));
    assert!(frame["seq"].as_i64().unwrap() > seen);
    let live = second.store.create(new(3, 2003)).await.unwrap();
    assert_eq!(recv(&mut feed).await["dummy"]["id"], json!(live.id.0));
}

test_support::tests! {
    backends(std::future::ready):
        the_feed_shows_writes_to_the_store,
        a_reconnect_with_after_gets_what_happened_meanwhile,
        positions_too_old_ahead_or_not_numbers_are_refused,
        a_reconnect_to_a_restarted_server_resumes;
}

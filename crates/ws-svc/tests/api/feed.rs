//! `/api/ws/dummies/`: writes made through REST show up on the feed.

use std::time::Duration;

use runtime::http::ServerSettings;
use serde_json::json;
use tokio_util::sync::CancellationToken;

use crate::helpers::{TestApp, recv, send};

async fn the_feed_shows_writes_made_through_rest(app: TestApp) {
    let mut feed = app.connect("/api/ws/dummies/").await;
    let rest = rest_svc::startup::build(
        &ServerSettings {
            addr: "127.0.0.1:0".parse().unwrap(),
            workers: 1,
            shutdown_grace: Duration::from_secs(1),
        },
        64 * 1024,
        app.store.clone(),
    )
    .unwrap();
    let rest_addr = rest.local_addr();
    let stop = CancellationToken::new();
    tokio::spawn(rest.run_until_stopped(stop.clone()));
    // Give the feed's subscription a moment on PostgreSQL (LISTEN is set up per process, once).
    tokio::time::sleep(Duration::from_millis(200)).await;

    let http = reqwest::Client::new();
    let created: serde_json::Value = http
        .post(format!("http://{rest_addr}/api/rest/dummie"))
        .json(&json!({"day": 5, "weekday": "Friday", "month": "May", "year": 1995}))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    let id = created["id"].clone();
    http.delete(format!("http://{rest_addr}/api/rest/dummie/{id}"))
        .send()
        .await
        .unwrap();

    let first = recv(&mut feed).await;
    assert_eq!(first["event"], "created");
    assert_eq!(
        first["dummy"], created,
        "the feed shows the record as REST does"
    );
    let second = recv(&mut feed).await;
    assert_eq!(
        (&second["event"], &second["dummy"]["id"]),
        (&json!("deleted"), &id)
    );

    // The feed is read-only: text gets an error frame, and the connection stays.
    send(&mut feed, json!({"message": "hello?"})).await;
    assert!(
        recv(&mut feed).await["error"]
            .as_str()
            .unwrap()
            .contains("read-only")
    );
    stop.cancel();
}

test_support::tests! {
    backends(crate::helpers::run): the_feed_shows_writes_made_through_rest;
}

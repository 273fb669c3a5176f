//! Across services: a write through REST reaches the WebSocket feed and the gRPC watch,
//! as one process of the stack sees another's writes. These used to live in grpc-svc's
//! and ws-svc's own tests; here, where the services are composed, no protocol crate has
//! to know another.

use std::time::Duration;

use futures_util::SinkExt;
use grpc_pb::dummy::WatchDummiesRequest;
use grpc_pb::dummy::dummy_event::Kind;
use grpc_pb::dummy::dummy_service_client::DummyServiceClient;
use serde_json::json;
use test_support::{Backend, TestDb};
use tokio_tungstenite::tungstenite::Message;

use crate::checks::{next_text, rest_create};
use crate::helpers::Served;

fn a_rest_write_reaches_the_websocket_feed_and_the_grpc_watch(backend: Backend) {
    let db = TestDb::new(backend);
    let served = Served::start(&db.url);
    let runtime = tokio::runtime::Runtime::new().unwrap();
    runtime.block_on(async {
        let (mut feed, _) =
            tokio_tungstenite::connect_async(format!("ws://{}/api/ws/dummies/", served.ws))
                .await
                .unwrap();
        let mut watch = DummyServiceClient::connect(format!("http://{}", served.grpc))
            .await
            .unwrap()
            .watch_dummies(WatchDummiesRequest::default())
            .await
            .unwrap()
            .into_inner();
        // Both subscribe once their stream is open (LISTEN on PostgreSQL): a moment for it.
        tokio::time::sleep(Duration::from_millis(300)).await;

        let http = reqwest::Client::new();
        let rest = format!("http://{}/api/rest", served.rest);
        let created = rest_create(
            &served.rest,
            json!({"day": 9, "weekday": "Friday", "month": "June", "year": 1991}),
        )
        .await;
        let id = created["id"].clone();
        let patched = http
            .patch(format!("{rest}/dummie/{id}"))
            .json(&json!({"year": 1992}))
            .send()
            .await
            .unwrap();
        assert_eq!(patched.status(), 200);
        let deleted = http
            .delete(format!("{rest}/dummie/{id}"))
            .send()
            .await
            .unwrap();
        assert!(deleted.status().is_success(), "{}", deleted.status());

        // The watch: created, updated, deleted, each with the record as it was.
        let seen = clients::grpc::watch_events(&mut watch, 3).await.unwrap();
        assert_eq!(
            seen,
            vec![
                (Kind::Created, Some(1991)),
                (Kind::Updated, Some(1992)),
                (Kind::Deleted, Some(1992))
            ]
        );

        // The feed: the same three, and the record in the form REST gives it.
        let first = next_text(&mut feed).await;
        assert_eq!(first["event"], "created");
        assert_eq!(
            first["dummy"], created,
            "the feed shows the record as REST does"
        );
        let second = next_text(&mut feed).await;
        assert_eq!(
            (&second["event"], &second["dummy"]["year"]),
            (&json!("updated"), &json!(1992))
        );
        let third = next_text(&mut feed).await;
        assert_eq!(
            (&third["event"], &third["dummy"]["id"]),
            (&json!("deleted"), &id)
        );

        // The feed is read-only: text gets an error frame, and the connection stays.
        feed.send(Message::text(r#"{"message": "hello?"}"#))
            .await
            .unwrap();
        let answer = next_text(&mut feed).await;
        assert!(
            answer["error"].as_str().unwrap().contains("read-only"),
            "{answer}"
        );
    });
}

test_support::tests! {
    sync_backends: a_rest_write_reaches_the_websocket_feed_and_the_grpc_watch;
}

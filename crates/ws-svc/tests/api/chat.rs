//! Rooms: everyone in a room hears everyone, other rooms hear nothing, the
//! `async_chat` path is the same room, and replicas share rooms through PostgreSQL.

use model::Store;
use serde_json::json;
use test_support::{Backend, TestDb};

use crate::helpers::{TestApp, recv, send, silent};

async fn a_room_with_three_members_hears_every_message_and_another_room_hears_none(app: TestApp) {
    let mut a = app.connect("/api/ws/chat/lobby/").await;
    let mut b = app.connect("/api/ws/chat/lobby/").await;
    let mut c = app.connect("/api/ws/async_chat/lobby/").await;
    let mut other = app.connect("/api/ws/chat/kitchen/").await;
    send(&mut a, json!({"message": "hi all"})).await;
    let mut senders = Vec::new();
    for ws in [&mut a, &mut b, &mut c] {
        let got = recv(ws).await;
        assert_eq!(
            (&got["message"], &got["room"]),
            (&json!("hi all"), &json!("lobby"))
        );
        assert!(got["timestamp"].as_str().unwrap().ends_with('Z'));
        senders.push(got["sender"].clone());
    }
    assert!(
        senders.windows(2).all(|w| w[0] == w[1]),
        "one sender id for one message"
    );
    silent(&mut other, 300).await;
    send(&mut other, json!({"message": "kitchen only"})).await;
    assert_eq!(recv(&mut other).await["message"], "kitchen only");
    silent(&mut a, 300).await;
}

/// A member whose handshake is answered is in the room: a message sent the moment after
/// reaches it. (Members used to join from the session task, after the handshake, so a
/// message sent at once could pass a member that was still joining; Python's
/// `websockets` client hit that in CI.) Many rooms, to give a race many chances.
async fn a_member_hears_a_message_sent_right_after_its_handshake() {
    let app = TestApp::sqlite().await;
    for round in 0..50 {
        let path = format!("/api/ws/chat/race{round}/");
        let mut first = app.connect(&path).await;
        let mut second = app.connect(&path).await;
        send(&mut first, json!({"message": format!("m{round}")})).await;
        assert_eq!(
            recv(&mut second).await["message"],
            json!(format!("m{round}"))
        );
        assert_eq!(
            recv(&mut first).await["message"],
            json!(format!("m{round}"))
        );
    }
}

async fn room_names_must_be_word_characters() {
    let app = TestApp::sqlite().await;
    let response = reqwest::get(format!("http://{}/api/ws/chat/no-dashes/", app.addr))
        .await
        .unwrap();
    assert_eq!(response.status(), 404);
    let picker = reqwest::get(format!("http://{}/api/ws/chat/", app.addr))
        .await
        .unwrap();
    assert_eq!(picker.status(), 200);
}

/// Two ws-svc replicas on one PostgreSQL share rooms and the Dummy feed.
async fn two_replicas_on_one_postgres_share_a_room_and_the_feed() {
    let db = TestDb::new(Backend::Postgres);
    let store = db.migrated_store().await;
    let first = TestApp::replica(store);
    let second = TestApp::replica(Store::open(&db.url, &model::PoolOptions::default()));
    let mut on_first = first.connect("/api/ws/chat/shared/").await;
    let mut on_second = second.connect("/api/ws/chat/shared/").await;
    let mut feed = second.connect("/api/ws/dummies/").await;
    // Give both hubs a moment to LISTEN (the first subscribe waits for it; the hub retries each second).
    tokio::time::sleep(std::time::Duration::from_millis(1200)).await;
    send(&mut on_first, json!({"message": "across replicas"})).await;
    assert_eq!(recv(&mut on_second).await["message"], "across replicas");
    assert_eq!(recv(&mut on_first).await["message"], "across replicas");

    let created = first
        .store
        .create(model::NewDummy {
            data: model::DummyData {
                day: model::Day::new(4).unwrap(),
                weekday: model::Weekday::Thursday,
                month: model::Month::April,
                year: 2004,
            },
            pre_seeded: false,
        })
        .await
        .unwrap();
    let event = recv(&mut feed).await;
    assert_eq!(
        (&event["event"], &event["dummy"]["id"]),
        (&json!("created"), &json!(created.id.0))
    );
}

test_support::tests! {
    tokio:
        a_member_hears_a_message_sent_right_after_its_handshake,
        room_names_must_be_word_characters,
        two_replicas_on_one_postgres_share_a_room_and_the_feed;
    backends(crate::helpers::TestApp::spawn): a_room_with_three_members_hears_every_message_and_another_room_hears_none;
}

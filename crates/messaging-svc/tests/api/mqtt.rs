//! The topics on Mosquitto: each change at QoS 1, the retained state, the presence.

use std::time::Duration;

use clients::mqtt::Subscriber;

use crate::helpers::{TestApp, WAIT};

test_support::tests! {
    backends(TestApp::spawn): changes_and_the_retained_state, presence_says_online_then_offline;
}

async fn changes_and_the_retained_state(app: TestApp) {
    let addr = app.mosquitto.addr();
    let mut live = Subscriber::subscribe(&addr, &["dummies/#"], 1)
        .await
        .unwrap();
    let made = app.create(3).await;
    let id = made.id.0;

    let change = live.next(WAIT).await.expect("the change");
    assert_eq!(change.topic, format!("dummies/{id}/created"));
    assert_eq!(change.qos, 1);
    assert!(!change.retained);
    assert_eq!(change.json()["type"], "dummy.created");
    assert_eq!(change.json()["dummy"]["id"], id);
    let state = live.next(WAIT).await.expect("the state");
    assert_eq!(state.topic, format!("dummies/{id}"));
    assert_eq!(state.json()["day"], 3);

    app.update(made.id, 9).await;
    // A subscriber that comes later gets the state now, retained.
    let mut until_update = live.next(WAIT).await.unwrap();
    while until_update.topic != format!("dummies/{id}") {
        until_update = live.next(WAIT).await.unwrap();
    }
    let mut late = Subscriber::subscribe(&addr, &[&format!("dummies/{id}")], 1)
        .await
        .unwrap();
    let retained = late.next(WAIT).await.expect("the retained state");
    assert!(retained.retained);
    assert_eq!(retained.json()["day"], 9);

    app.delete(made.id).await;
    let deleted = loop {
        let message = live.next(WAIT).await.expect("the deletion");
        if message.topic.ends_with("/deleted") {
            break message;
        }
    };
    assert_eq!(deleted.json()["type"], "dummy.deleted");
    let cleared = live.next(WAIT).await.expect("the cleared state");
    assert_eq!(
        (cleared.topic.as_str(), cleared.payload.len()),
        (format!("dummies/{id}").as_str(), 0)
    );
    let mut later = Subscriber::subscribe(&addr, &[&format!("dummies/{id}")], 1)
        .await
        .unwrap();
    assert_eq!(
        later.next(Duration::from_millis(500)).await,
        None,
        "no state after a delete"
    );
}

async fn presence_says_online_then_offline(mut app: TestApp) {
    let addr = app.mosquitto.addr();
    let mut presence = Subscriber::subscribe(&addr, &["presence/messaging-svc"], 1)
        .await
        .unwrap();
    let online = presence.next(WAIT).await.expect("the retained presence");
    assert_eq!(
        (online.payload.as_slice(), online.retained),
        (b"online".as_slice(), true)
    );
    app.stopped().await.unwrap();
    let offline = presence.next(WAIT).await.expect("offline on shutdown");
    assert_eq!(offline.payload, b"offline");
}

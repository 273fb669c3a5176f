//! The change events on the exchange `dummies`: routing keys, properties, order.

use crate::helpers::{TestApp, WAIT};
use clients::amqp::Subscriber;

test_support::tests! {
    backends(TestApp::spawn): each_change_is_published_in_order_with_its_routing_key, a_binding_picks_the_kinds;
}

async fn each_change_is_published_in_order_with_its_routing_key(app: TestApp) {
    let mut all = Subscriber::bind(&app.amqp_url, None, "dummy.#")
        .await
        .unwrap();
    let made = app.create(3).await;
    app.update(made.id, 4).await;
    app.delete(made.id).await;

    let mut seen = Vec::new();
    for _ in 0..3 {
        seen.push(all.next(WAIT).await.expect("a change event"));
    }
    let keys: Vec<_> = seen.iter().map(|c| c.routing_key.as_str()).collect();
    assert_eq!(keys, ["dummy.created", "dummy.updated", "dummy.deleted"]);
    assert!(
        seen.windows(2).all(|w| w[1].seq == w[0].seq + 1),
        "seq grows by one: {seen:?}"
    );
    for change in &seen {
        assert_eq!(change.body["type"], change.routing_key);
        assert_eq!(change.body["dummy"]["id"], made.id.0);
        assert_eq!(change.seq_header, Some(change.seq));
        let p = &change.properties;
        assert_eq!(
            p.content_type().as_ref().map(|s| s.as_str()),
            Some("application/json")
        );
        assert_eq!(*p.delivery_mode(), Some(2), "persistent");
        assert_eq!(
            p.message_id().as_ref().map(|s| s.to_string()),
            Some(format!("dummy-event-{}", change.seq))
        );
        assert_eq!(
            p.kind().as_ref().map(|s| s.as_str()),
            Some(change.routing_key.as_str())
        );
        assert_eq!(
            p.app_id().as_ref().map(|s| s.as_str()),
            Some("messaging-svc")
        );
    }
    assert_eq!(seen[1].body["dummy"]["day"], 4);
    assert!(
        all.next(std::time::Duration::from_millis(300))
            .await
            .is_none(),
        "nothing more"
    );
}

async fn a_binding_picks_the_kinds(app: TestApp) {
    let mut deletions = Subscriber::bind(&app.amqp_url, None, "dummy.deleted")
        .await
        .unwrap();
    let mut writes = Subscriber::bind(&app.amqp_url, None, "dummy.*")
        .await
        .unwrap();
    let made = app.create(5).await;
    app.delete(made.id).await;
    let gone = deletions.next(WAIT).await.expect("the deletion");
    assert_eq!(gone.routing_key, "dummy.deleted");
    assert_eq!(gone.body["dummy"]["id"], made.id.0);
    assert!(
        deletions
            .next(std::time::Duration::from_millis(300))
            .await
            .is_none()
    );
    let first = writes.next(WAIT).await.unwrap();
    let second = writes.next(WAIT).await.unwrap();
    assert_eq!(
        (first.routing_key.as_str(), second.routing_key.as_str()),
        ("dummy.created", "dummy.deleted")
    );
}

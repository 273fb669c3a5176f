//! Brokers that are down at start, or go away mid-run: the service says so on
//! `/healthz`, keeps its place in the journal, reconnects, and delivers everything.

use clients::amqp::Subscriber;
use clients::mqtt;
use std::collections::BTreeSet;
use test_support::Backend;
use test_support::brokers::{Mosquitto, RabbitNode};

use crate::helpers::{TestApp, WAIT};

test_support::tests! {
    tokio: amqp_down_at_start_and_restarted_mid_run_loses_nothing, mqtt_restart_keeps_every_state;
}

/// A durable queue bound to every change: it keeps what comes while nobody reads.
const KEPT: &str = "kept";

async fn amqp_down_at_start_and_restarted_mid_run_loses_nothing() {
    let mut node = RabbitNode::start().await;
    drop(
        Subscriber::bind(&node.url(), Some(KEPT), "dummy.#")
            .await
            .unwrap(),
    );
    node.stop().await;

    // Down at start: unhealthy, and the changes wait in the journal.
    let app =
        TestApp::start_with(Backend::Sqlite, node.url(), None, Mosquitto::start().await).await;
    let down = app.wait_health(503).await;
    assert_eq!(down["amqp"], "down", "{down}");
    let mut made = Vec::new();
    for day in 1..=10 {
        made.push(app.create(day).await);
    }
    node.start_again().await;
    app.wait_health(200).await;
    for day in 11..=20 {
        made.push(app.create(day).await);
    }

    // Gone mid-run.
    node.stop().await;
    app.wait_health(503).await;
    for dummy in &made {
        app.update(dummy.id, 28).await;
    }
    node.start_again().await;
    app.wait_health(200).await;

    let mut kept = Subscriber::bind(&node.url(), Some(KEPT), "dummy.#")
        .await
        .unwrap();
    let mut seqs = BTreeSet::new();
    let mut last = 0;
    while seqs.len() < 40 {
        let change = kept.next(WAIT).await.unwrap_or_else(|| {
            panic!("after {} of 40 changes, no more came: {seqs:?}", seqs.len())
        });
        // At least once, in order: a repeat is of an earlier number, never a jump.
        assert!(
            change.seq <= last + 1,
            "seq {} after {last}: a gap",
            change.seq
        );
        last = last.max(change.seq);
        seqs.insert(change.seq);
    }
    assert_eq!(seqs.len(), 40);
    assert_eq!(
        *seqs.last().unwrap() - *seqs.first().unwrap(),
        39,
        "contiguous: {seqs:?}"
    );
}

async fn mqtt_restart_keeps_every_state() {
    let vhost = test_support::brokers::Vhost::new().await;
    let mut app = TestApp::start_with(
        Backend::Sqlite,
        vhost.url(),
        Some(vhost),
        Mosquitto::start().await,
    )
    .await;
    app.wait_health(200).await;
    let mut made = Vec::new();
    for day in 1..=5 {
        made.push(app.create(day).await);
    }
    // Not changed during the outage: their states come from Mosquitto's own store.
    let mut untouched = Vec::new();
    for day in 11..=13 {
        untouched.push(app.create(day).await);
    }
    stop_and_change(&mut app, &made, untouched.len()).await;

    let mut states = mqtt::Subscriber::subscribe(&app.mosquitto.addr(), &["dummies/+"], 1)
        .await
        .unwrap();
    let mut days = std::collections::BTreeMap::new();
    while days.len() < made.len() + untouched.len() + 5 {
        let message = states
            .next(WAIT)
            .await
            .unwrap_or_else(|| panic!("states so far: {days:?}"));
        days.insert(
            message.topic.clone(),
            message.json()["day"].as_i64().unwrap(),
        );
    }
    for dummy in &made {
        assert_eq!(
            days[&format!("dummies/{}", dummy.id.0)],
            27,
            "the state after the outage"
        );
    }
}

/// Stops Mosquitto, changes every Dummy and makes five more, then starts it again.
async fn stop_and_change(app: &mut TestApp, made: &[model::Dummy], others: usize) {
    // Wait until every state is published, so the outage is mid-run.
    let mut seen = mqtt::Subscriber::subscribe(&app.mosquitto.addr(), &["dummies/+"], 1)
        .await
        .unwrap();
    for _ in 0..made.len() + others {
        seen.next(WAIT).await.expect("a state before the outage");
    }
    drop(seen);
    app.mosquitto.stop().await;
    app.wait_health(503).await;
    for dummy in made {
        app.update(dummy.id, 27).await;
    }
    for day in 1..=5 {
        app.create(day).await;
    }
    app.mosquitto.start_again().await;
    app.wait_health(200).await;
}

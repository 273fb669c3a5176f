//! The relay against a broker that fails on purpose (a fake [`Outlet`]): a batch cut
//! off half-way, a refused publish, a connection that will not open. Whatever
//! happens, every change is published, in order, and the stored position only ever
//! names changes the broker confirmed.

use std::sync::{Arc, Mutex};
use std::time::Duration;

use messaging_svc::relay::{self, Link, Outlet, Session};
use model::ChangeEvent;
use test_support::{Backend, TestDb};
use tokio_util::sync::CancellationToken;

/// What the fake broker has been through.
#[derive(Default)]
struct Broker {
    /// Every change published, in order, confirmed or not.
    published: Vec<i64>,
    /// The highest change the broker confirmed.
    confirmed: i64,
    /// Connections asked for, and publishes tried.
    connects: usize,
    publishes: usize,
}

/// Fails the 1st connect, cuts the 2nd publish off after one change, refuses the 4th.
#[derive(Clone, Default)]
struct Flaky(Arc<Mutex<Broker>>);

struct FlakySession(Arc<Mutex<Broker>>);

impl Outlet for Flaky {
    type Session = FlakySession;

    async fn connect(&mut self) -> Result<FlakySession, String> {
        let mut broker = self.0.lock().unwrap();
        broker.connects += 1;
        if broker.connects == 1 {
            return Err("connection refused".to_owned());
        }
        Ok(FlakySession(self.0.clone()))
    }
}

impl Session for FlakySession {
    async fn publish(&mut self, events: &[ChangeEvent]) -> Result<(), String> {
        let mut broker = self.0.lock().unwrap();
        broker.publishes += 1;
        match broker.publishes {
            2 => {
                broker.published.push(events[0].seq);
                Err("connection reset mid-batch".to_owned())
            }
            4 => {
                broker.published.extend(events.iter().map(|e| e.seq));
                Err("the broker refused the batch (nack)".to_owned())
            }
            _ => {
                broker.published.extend(events.iter().map(|e| e.seq));
                broker.confirmed = events.last().map_or(broker.confirmed, |e| e.seq);
                Ok(())
            }
        }
    }

    async fn closed(&mut self) -> String {
        std::future::pending().await
    }

    async fn close(self) {}
}

async fn a_flaky_broker_gets_every_change_in_order() {
    let db = TestDb::new(Backend::Sqlite);
    let store = db.migrated_store().await;
    assert_eq!(store.relay_position("flaky").await.unwrap(), 0);
    let flaky = Flaky::default();
    let shutdown = CancellationToken::new();
    let link = Link::default();
    let task = tokio::spawn(relay::run(
        "flaky",
        store.clone(),
        flaky.clone(),
        link,
        shutdown.clone(),
    ));

    let mut ids = Vec::new();
    for round in 0..6 {
        for day in 1..=5 {
            let made = store
                .create(model::NewDummy {
                    data: model::DummyData {
                        day: model::Day::new(day).unwrap(),
                        weekday: model::Weekday::Friday,
                        month: model::Month::July,
                        year: 2000 + round,
                    },
                    pre_seeded: false,
                })
                .await
                .unwrap();
            ids.push(made.id);
        }
        tokio::time::sleep(Duration::from_millis(150)).await;
    }
    let total = store.journal_bounds().await.unwrap().head;
    assert_eq!(total, 30);
    let started = std::time::Instant::now();
    while flaky.0.lock().unwrap().confirmed < total {
        assert!(started.elapsed() < Duration::from_secs(20), "not caught up");
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    // The stored position follows the confirmations, never ahead of them.
    let mut position = store.relay_position("flaky").await.unwrap();
    for _ in 0..50 {
        if position == total {
            break;
        }
        tokio::time::sleep(Duration::from_millis(20)).await;
        position = store.relay_position("flaky").await.unwrap();
    }
    assert_eq!(position, total);
    shutdown.cancel();
    task.await.unwrap();

    let broker = flaky.0.lock().unwrap();
    assert!(
        broker.connects >= 3,
        "a refused connect, then one per failure: {}",
        broker.connects
    );
    // In order: a number below the highest seen so far is a repeat, never a jump ahead.
    let mut highest = 0;
    for &seq in &broker.published {
        assert!(
            seq <= highest + 1,
            "seq {seq} after {highest}: a gap in {:?}",
            broker.published
        );
        highest = highest.max(seq);
    }
    let distinct: std::collections::BTreeSet<_> = broker.published.iter().collect();
    assert_eq!(
        distinct.len(),
        30,
        "every change published: {:?}",
        broker.published
    );
    assert!(
        broker.published.len() > 30,
        "the failed batches were published again"
    );
}

test_support::tests! {
    tokio: a_flaky_broker_gets_every_change_in_order;
}

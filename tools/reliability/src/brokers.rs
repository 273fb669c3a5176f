//! Brokers restarted under load: messaging-svc relays the journal of a PostgreSQL
//! database to a RabbitMQ node and a Mosquitto of the scenario's own while writers
//! create rows over REST; each broker is stopped mid-run and started again. Every
//! acknowledged create must reach a durable queue bound to the exchange (AMQP), and
//! every created Dummy must have its retained state on Mosquitto (MQTT): at least
//! once, never a gap.

use std::collections::HashSet;
use std::time::{Duration, Instant};

use futures_util::future::join_all;
use test_support::brokers::{Mosquitto, RabbitNode};

use crate::Suite;
use crate::procs::{Kind, Launch, Service};
use crate::report::Row;
use clients::{Client, Fields, Proto};

/// Concurrent writers.
const WRITERS: usize = 4;
/// How long the relays may take to catch up after a broker is back.
const CATCH_UP: Duration = Duration::from_secs(60);
/// The durable queue the scenario binds to every change.
const KEPT: &str = "reliability.kept";

/// Runs the scenario.
pub async fn run(suite: &Suite) -> Vec<Row> {
    let mut amqp = Row::new("brokers", "RabbitMQ restart");
    let mut mqtt = Row::new("brokers", "Mosquitto restart");
    let have = std::path::Path::new("/usr/lib/rabbitmq/bin/rabbitmq-server").exists()
        && std::process::Command::new("mosquitto")
            .arg("-h")
            .output()
            .is_ok();
    if !have {
        for row in [&mut amqp, &mut mqtt] {
            row.fail("RabbitMQ or Mosquitto is not installed (.ci/run shows how)".to_owned());
        }
        return vec![amqp, mqtt];
    }
    if let Err(error) = restarts(suite, &mut amqp, &mut mqtt).await {
        amqp.fail(format!("{error:#}"));
        mqtt.fail(format!("{error:#}"));
    }
    vec![amqp, mqtt]
}

async fn restarts(suite: &Suite, amqp: &mut Row, mqtt: &mut Row) -> anyhow::Result<()> {
    let db = suite.database();
    let _store = db.migrated_store().await;
    let url = db.url.expose().to_owned();
    let mut node = RabbitNode::start().await;
    let mut mosquitto = Mosquitto::start().await;
    // Bound before any change, so the queue keeps every one of them.
    drop(
        clients::amqp::Subscriber::bind(&node.url(), Some(KEPT), "dummy.#")
            .await
            .map_err(anyhow::Error::msg)?,
    );

    let rest_launch = Launch {
        kind: Kind::Rest,
        database: &url,
        log_dir: &suite.log_dir,
        name: "brokers-rest-svc",
        env: &[],
    };
    let mut rest = Service::start(&rest_launch)?;
    let broker_env = [("AMQP_URL", node.url()), ("MQTT_ADDR", mosquitto.addr())];
    let messaging_launch = Launch {
        kind: Kind::Messaging,
        database: &url,
        log_dir: &suite.log_dir,
        name: "brokers-messaging-svc",
        env: &broker_env,
    };
    let mut messaging = Service::start(&messaging_launch)?;
    rest.wait_healthy(Duration::from_secs(30)).await?;
    messaging.wait_healthy(Duration::from_secs(30)).await?;

    let per_phase = suite.mode.pick(100, 1_000);
    let client = Client::new(Proto::Rest, rest.addr);
    let mut acked = write(&client, per_phase).await?;

    // RabbitMQ away mid-run, then Mosquitto: the writes go on, the changes wait.
    node.stop().await;
    acked.extend(write(&client, per_phase).await?);
    node.start_again().await;
    mosquitto.stop().await;
    acked.extend(write(&client, per_phase).await?);
    mosquitto.start_again().await;
    acked.extend(write(&client, per_phase).await?);
    messaging.wait_healthy(CATCH_UP).await?;
    let back = Instant::now();

    // AMQP: every create in the durable queue (a repeat is allowed, a gap is not).
    let mut kept = clients::amqp::Subscriber::bind(&node.url(), Some(KEPT), "dummy.#")
        .await
        .map_err(anyhow::Error::msg)?;
    let mut created = HashSet::new();
    let (mut deliveries, mut last, mut gaps) = (0_u64, 0_i64, 0_u64);
    while created.len() < acked.len() && back.elapsed() < CATCH_UP {
        let Some(change) = kept.next(Duration::from_secs(5)).await else {
            break;
        };
        deliveries += 1;
        if last > 0 && change.seq > last + 1 {
            gaps += 1;
        }
        last = last.max(change.seq);
        if let Some(id) = change.body.pointer("/dummy/id").and_then(|v| v.as_i64()) {
            created.insert(id);
        }
    }
    let lost = acked.iter().filter(|id| !created.contains(id)).count() as u64;
    amqp.cases = acked.len() as u64;
    amqp.lost_writes = lost;
    amqp.check(lost == 0, || {
        format!("{lost} acknowledged creates never reached the queue")
    });
    amqp.check(gaps == 0, || format!("{gaps} gaps in the journal numbers"));
    amqp.recovery = Some(back.elapsed());
    let drained = Instant::now();
    amqp.note = format!(
        "{deliveries} deliveries for {} changes ({} repeated)",
        acked.len(),
        deliveries.saturating_sub(acked.len() as u64)
    );

    // MQTT: every created Dummy's state retained.
    let mut states = clients::mqtt::Subscriber::subscribe(&mosquitto.addr(), &["dummies/+"], 1)
        .await
        .map_err(anyhow::Error::msg)?;
    let mut retained: HashSet<i64> = HashSet::new();
    while retained.len() < acked.len() && drained.elapsed() < CATCH_UP {
        let Some(message) = states.next(Duration::from_secs(5)).await else {
            break;
        };
        if let Some(id) = message
            .topic
            .strip_prefix("dummies/")
            .and_then(|id| id.parse().ok())
        {
            retained.insert(id);
        }
    }
    let lost = acked.iter().filter(|id| !retained.contains(*id)).count() as u64;
    mqtt.cases = acked.len() as u64;
    mqtt.lost_writes = lost;
    mqtt.check(lost == 0, || {
        format!("{lost} created Dummies have no retained state")
    });
    mqtt.note = format!("{} retained states after the restart", retained.len());

    let panics = (messaging.panics() + rest.panics()) as u64;
    amqp.panics = panics;
    mqtt.panics = panics;
    Ok(())
}

/// `count` creates over REST from [`WRITERS`] writers; the ids acknowledged.
async fn write(client: &Client, count: usize) -> anyhow::Result<Vec<i64>> {
    let per_writer = count.div_ceil(WRITERS);
    let writers = (0..WRITERS).map(|_| async move {
        let mut ids = Vec::with_capacity(per_writer);
        for _ in 0..per_writer {
            let (id, _) = client.create(Fields::random(2026)).await?;
            ids.push(id);
        }
        anyhow::Ok(ids)
    });
    let mut all = Vec::with_capacity(count);
    for ids in join_all(writers).await {
        all.extend(ids?);
    }
    Ok(all)
}

//! Webhooks across a SIGKILL: rest-svc is killed while deliveries are in flight, a
//! new rest-svc starts on the same PostgreSQL database, and every acknowledged create
//! must still reach the receiver, in journal order (a delivery the kill cut off may
//! come twice: at least once, never a gap, never out of order).
//!
//! The receiver (actix-web on 127.0.0.1) takes a few milliseconds per delivery, so that
//! the kill lands while many are still queued and one is on the wire. The killed
//! process leaves its lease on the subscription; the new one takes over when the lease
//! runs out (the attempt timeout, 1 s here, plus 5 s).

use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use actix_web::{App, HttpResponse, HttpServer, web};
use futures_util::future::join_all;
use serde_json::Value;

use crate::Suite;
use crate::procs::{Kind, Launch, Service};
use crate::report::Row;
use clients::{Client, Fields, Proto};

/// Concurrent writers.
const WRITERS: usize = 4;
/// How long the receiver takes per delivery.
const RECEIVER_DELAY: Duration = Duration::from_millis(5);
/// How long the deliveries may take to catch up after the restart.
const CATCH_UP: Duration = Duration::from_secs(60);

/// `(journal number, Dummy id)` per delivery, in arrival order.
type Arrivals = Arc<Mutex<Vec<(i64, i64)>>>;

/// Runs the scenario.
pub async fn run(suite: &Suite) -> Vec<Row> {
    let mut row = Row::new("webhooks", "SIGKILL mid-delivery");
    if let Err(error) = kill_mid_delivery(suite, &mut row).await {
        row.fail(error);
    }
    vec![row]
}

fn launch<'a>(
    suite: &'a Suite,
    url: &'a str,
    name: &'a str,
    env: &'a [(&'a str, String)],
) -> Launch<'a> {
    Launch {
        kind: Kind::Rest,
        database: url,
        log_dir: &suite.log_dir,
        name,
        env,
    }
}

async fn kill_mid_delivery(suite: &Suite, row: &mut Row) -> anyhow::Result<()> {
    let db = suite.database();
    let _store = db.migrated_store().await;
    let url = db.url.expose().to_owned();
    let env = [
        ("WEBHOOK_TIMEOUT_MS", "1000".to_owned()),
        ("WEBHOOK_RETRY_BASE_MS", "100".to_owned()),
    ];
    let arrivals: Arrivals = Arc::default();
    let receiver = receive(arrivals.clone())?;

    let mut first = Service::start(&launch(suite, &url, "webhooks-rest-1", &env))?;
    first.wait_healthy(Duration::from_secs(30)).await?;
    let http = reqwest::Client::new();
    clients::webhooks::subscribe(
        &http,
        &first.base(),
        &format!("http://{receiver}/hook"),
        &["created"],
    )
    .await
    .map_err(anyhow::Error::msg)?;

    let per_phase = suite.mode.pick(200, 2_000);
    let mut acked = write(&first, per_phase).await?;
    // Mid-delivery: some have arrived, most are still queued.
    let wait_from = Instant::now();
    while arrivals.lock().expect("not poisoned").len() < per_phase / 4 {
        anyhow::ensure!(
            wait_from.elapsed() < Duration::from_secs(30),
            "the deliveries did not start"
        );
        tokio::time::sleep(Duration::from_millis(5)).await;
    }
    first.child_mut().kill()?;
    let _ = first.child_mut().wait();
    let before_kill = arrivals.lock().expect("not poisoned").len();

    let mut second = Service::start(&launch(suite, &url, "webhooks-rest-2", &env))?;
    second.wait_healthy(Duration::from_secs(30)).await?;
    let restarted = Instant::now();
    acked.extend(write(&second, per_phase).await?);

    let caught_up = loop {
        let ids: std::collections::HashSet<i64> = arrivals
            .lock()
            .expect("not poisoned")
            .iter()
            .map(|(_, id)| *id)
            .collect();
        if acked.iter().all(|id| ids.contains(id)) {
            break Some(restarted.elapsed());
        }
        if restarted.elapsed() > CATCH_UP {
            break None;
        }
        tokio::time::sleep(Duration::from_millis(20)).await;
    };
    let arrivals = arrivals.lock().expect("not poisoned").clone();
    let ids: std::collections::HashSet<i64> = arrivals.iter().map(|(_, id)| *id).collect();
    let lost = acked.iter().filter(|id| !ids.contains(id)).count() as u64;
    row.lost_writes = lost;
    row.check(lost == 0, || {
        format!("{lost} acknowledged creates never arrived within {CATCH_UP:?}")
    });
    // In order: a number below the highest seen so far may only be a repeat.
    let mut highest = 0;
    let mut seen = std::collections::HashSet::new();
    let mut duplicates = 0;
    let mut out_of_order = 0;
    for (seq, _) in &arrivals {
        if !seen.insert(*seq) {
            duplicates += 1;
        } else if *seq < highest {
            out_of_order += 1;
        }
        highest = highest.max(*seq);
    }
    row.check(out_of_order == 0, || {
        format!("{out_of_order} deliveries arrived out of journal order")
    });
    row.cases = acked.len() as u64;
    row.note = format!(
        "{} deliveries ({before_kill} before the kill), {duplicates} repeated after it; all in {} after the restart",
        arrivals.len(),
        caught_up.map_or("never".to_owned(), |d| format!("{:.1} s", d.as_secs_f64()))
    );
    row.panics += (first.panics() + second.panics()) as u64;
    second.terminate();
    Ok(())
}

/// `count` creates over REST from [`WRITERS`] clients; the acknowledged ids.
async fn write(service: &Service, count: usize) -> anyhow::Result<Vec<i64>> {
    let addr = service.addr;
    let results = join_all((0..WRITERS).map(|w| async move {
        let client = Client::new(Proto::Rest, addr);
        let mut ids = Vec::new();
        for n in (w..count).step_by(WRITERS) {
            let (id, _) = client
                .create(Fields::random(i32::try_from(n).unwrap_or(0)))
                .await
                .map_err(|e| anyhow::anyhow!("create: {e}"))?;
            ids.push(id);
        }
        anyhow::Ok(ids)
    }))
    .await;
    let mut ids = Vec::new();
    for result in results {
        ids.extend(result?);
    }
    Ok(ids)
}

/// A receiver on 127.0.0.1 that records each delivery and answers 204; it ends with
/// the suite's runtime.
fn receive(arrivals: Arrivals) -> anyhow::Result<std::net::SocketAddr> {
    let server = HttpServer::new(move || {
        let arrivals = arrivals.clone();
        App::new().default_service(web::to(move |body: web::Bytes| {
            let arrivals = arrivals.clone();
            async move {
                tokio::time::sleep(RECEIVER_DELAY).await;
                let body: Value = serde_json::from_slice(&body).unwrap_or_default();
                if let (Some(seq), Some(id)) = (
                    body.pointer("/data/seq").and_then(Value::as_i64),
                    body.pointer("/data/dummy/id").and_then(Value::as_i64),
                ) {
                    arrivals.lock().expect("not poisoned").push((seq, id));
                }
                HttpResponse::NoContent().finish()
            }
        }))
    })
    .workers(1)
    .disable_signals()
    .bind("127.0.0.1:0")?;
    let addr = server.addrs()[0];
    tokio::spawn(server.run());
    Ok(addr)
}

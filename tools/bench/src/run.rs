//! Running one cell: N workers, each on its own connection, call as fast as answers
//! come back; first a warm-up, then the measured window. Bounded in time, and in
//! count by the time: nothing runs past the window.

use std::sync::Arc;
use std::time::{Duration, Instant};

use crate::clients::{self, Op, Protocol, Targets};
use crate::counting::Counters;

/// What one cell measured.
#[derive(Debug, Clone, serde::Serialize)]
pub struct CellResult {
    /// The operation.
    pub op: Op,
    /// The protocol (or ceiling).
    pub protocol: Protocol,
    /// Workers (connections) calling at once.
    pub concurrency: usize,
    /// Calls completed in the measured window.
    pub calls: u64,
    /// Calls per second: the median of the rounds.
    pub rps: f64,
    /// Calls per second in each round, in the order they ran.
    pub rounds: Vec<f64>,
    /// Latency percentiles, microseconds.
    pub p50_us: u64,
    /// 90th percentile.
    pub p90_us: u64,
    /// 99th percentile.
    pub p99_us: u64,
    /// Bytes the client sent per call (headers, framing and payload).
    pub sent_per_call: f64,
    /// Bytes the client received per call.
    pub received_per_call: f64,
    /// Bytes exchanged to set a connection up (handshakes, HTTP/2 preface and settings).
    pub setup_bytes_per_connection: f64,
}

/// How long to warm up and to measure.
#[derive(Debug, Clone, Copy)]
pub struct Window {
    /// Calls made but not counted first.
    pub warmup: Duration,
    /// The measured time.
    pub measure: Duration,
}

/// Runs one (op, protocol) with `concurrency` workers. `max_id` bounds the random ids.
pub async fn cell(
    op: Op,
    protocol: Protocol,
    concurrency: usize,
    window: Window,
    targets: &Targets,
    max_id: i64,
) -> anyhow::Result<CellResult> {
    let counters = Arc::new(Counters::default());
    let mut conns = Vec::with_capacity(concurrency);
    for _ in 0..concurrency {
        conns.push(clients::connect(protocol, targets, counters.clone()).await?);
    }
    // Set-up: the WebSocket handshake, HTTP/2's preface and settings (HTTP/1.1 has none).
    let (setup_sent, setup_received) = counters.snapshot();
    // One call per connection, uncounted, so every connection is proven to work.
    for conn in &mut conns {
        clients::call(conn, protocol, op, 1 + fastrand::i64(0..max_id)).await?;
    }

    let started = Instant::now();
    let warm_until = started + window.warmup;
    let end = warm_until + window.measure;
    let mut workers = Vec::with_capacity(concurrency);
    for mut conn in conns {
        workers.push(tokio::spawn(async move {
            let mut latencies: Vec<u32> = Vec::with_capacity(4096);
            loop {
                let now = Instant::now();
                if now >= end {
                    break;
                }
                let id = 1 + fastrand::i64(0..max_id);
                let t0 = Instant::now();
                clients::call(&mut conn, protocol, op, id).await?;
                if now >= warm_until {
                    latencies.push(t0.elapsed().as_micros().min(u128::from(u32::MAX)) as u32);
                }
            }
            Ok::<_, anyhow::Error>(latencies)
        }));
    }
    // The window's byte counters: snapshot when measuring starts (all workers share them).
    tokio::time::sleep_until(tokio::time::Instant::from_std(warm_until)).await;
    let (sent0, received0) = counters.snapshot();
    let mut latencies = Vec::new();
    for worker in workers {
        latencies.extend(worker.await??);
    }
    let (sent1, received1) = counters.snapshot();
    let measured = window.measure.as_secs_f64();
    latencies.sort_unstable();
    let calls = latencies.len() as u64;
    if calls == 0 {
        return Err(anyhow::anyhow!(
            "{} {}: no call completed in the window",
            protocol.name(),
            op.name()
        ));
    }
    let pct = |p: f64| u64::from(latencies[((latencies.len() - 1) as f64 * p).round() as usize]);
    Ok(CellResult {
        op,
        protocol,
        concurrency,
        calls,
        rps: calls as f64 / measured,
        rounds: vec![calls as f64 / measured],
        p50_us: pct(0.50),
        p90_us: pct(0.90),
        p99_us: pct(0.99),
        sent_per_call: (sent1 - sent0) as f64 / calls as f64,
        received_per_call: (received1 - received0) as f64 / calls as f64,
        setup_bytes_per_connection: (setup_sent + setup_received) as f64 / concurrency as f64,
    })
}

impl CellResult {
    /// Half the distance between the fastest and the slowest round, as a share of the
    /// median: how far one round's figure can be trusted on this machine.
    pub fn spread(&self) -> f64 {
        let (min, max) = self
            .rounds
            .iter()
            .fold((f64::MAX, 0f64), |(lo, hi), &r| (lo.min(r), hi.max(r)));
        if self.rounds.len() < 2 || self.rps == 0.0 {
            0.0
        } else {
            (max - min) / 2.0 / self.rps
        }
    }
}

/// One cell's rounds as one result: the round with the median throughput (its
/// latencies and bytes too), carrying every round's throughput.
///
/// # Panics
/// When `rounds` is empty.
pub fn median(mut rounds: Vec<CellResult>) -> CellResult {
    let every: Vec<f64> = rounds.iter().map(|r| r.rps).collect();
    rounds.sort_by(|a, b| a.rps.total_cmp(&b.rps));
    let mut middle = rounds.swap_remove(rounds.len() / 2);
    middle.rounds = every;
    middle
}

#[cfg(test)]
mod tests {
    use super::*;

    fn result(rps: f64, p50_us: u64) -> CellResult {
        CellResult {
            op: Op::Get,
            protocol: Protocol::Rest,
            concurrency: 1,
            calls: 1,
            rps,
            rounds: vec![rps],
            p50_us,
            p90_us: 0,
            p99_us: 0,
            sent_per_call: 0.0,
            received_per_call: 0.0,
            setup_bytes_per_connection: 0.0,
        }
    }

    #[test]
    fn the_median_round_speaks_for_the_cell() {
        let cell = median(vec![result(90.0, 1), result(110.0, 2), result(100.0, 3)]);
        assert_eq!(cell.rps, 100.0);
        assert_eq!(cell.p50_us, 3, "the median round's latencies");
        assert_eq!(
            cell.rounds,
            vec![90.0, 110.0, 100.0],
            "in the order they ran"
        );
        assert!((cell.spread() - 0.10).abs() < 1e-9, "{}", cell.spread());
        assert_eq!(median(vec![result(5.0, 1)]).spread(), 0.0);
    }
}

//! `--count N --concurrency C`: the same call N times over C connections, one worker
//! per connection taking the next call as soon as its last one is answered (a closed
//! loop, as the shootout's workers run), then the latencies.
//!
//! ```text
//! 1000 calls over 4 connections in 0.42 s: 2,381 calls/s, 0 failed
//! latency  p50 1.52 ms   p90 2.31 ms   p99 4.02 ms   max 6.80 ms
//! ```
//!
//! For a measurement worth quoting use the shootout (`bench`): it warms up, runs
//! rounds and puts each protocol beside a ceiling in the same run.

use std::future::Future;
use std::sync::Arc;
use std::sync::atomic::{AtomicU32, Ordering};
use std::time::{Duration, Instant};

/// One connection's worth of calls.
pub trait Caller {
    /// Makes one call; an error counts as a failed call.
    fn call(&mut self) -> impl Future<Output = anyhow::Result<()>> + Send;
}

/// Opens `concurrency` callers with `open` (at most `count`), runs `count` calls
/// across them and prints the figures.
///
/// # Errors
/// When a connection can't be opened, or every call failed.
pub async fn run<C, F, Fut>(count: u32, concurrency: u32, open: F) -> anyhow::Result<()>
where
    C: Caller + Send + 'static,
    F: Fn() -> Fut,
    Fut: Future<Output = anyhow::Result<C>>,
{
    let workers = concurrency.min(count);
    let mut callers = Vec::new();
    for _ in 0..workers {
        callers.push(open().await?);
    }
    let next = Arc::new(AtomicU32::new(0));
    let started = Instant::now();
    let mut tasks = tokio::task::JoinSet::new();
    for mut caller in callers {
        let next = next.clone();
        tasks.spawn(async move {
            let mut latencies = Vec::new();
            let mut failures = Vec::new();
            while next.fetch_add(1, Ordering::Relaxed) < count {
                let sent = Instant::now();
                match caller.call().await {
                    Ok(()) => latencies.push(sent.elapsed()),
                    Err(error) => failures.push(format!("{error:#}")),
                }
            }
            (latencies, failures)
        });
    }
    let mut latencies = Vec::new();
    let mut failures = Vec::new();
    while let Some(done) = tasks.join_next().await {
        let (mut l, mut f) = done?;
        latencies.append(&mut l);
        failures.append(&mut f);
    }
    let elapsed = started.elapsed();
    println!(
        "{}",
        summary(count, workers, elapsed, &mut latencies, failures.len())
    );
    if let Some(first) = failures.first() {
        println!("first failure: {first}");
    }
    if latencies.is_empty() {
        anyhow::bail!("every call failed");
    }
    Ok(())
}

/// The figures of a run, as printed.
fn summary(
    count: u32,
    workers: u32,
    elapsed: Duration,
    latencies: &mut [Duration],
    failed: usize,
) -> String {
    latencies.sort_unstable();
    let at = |share: f64| -> String {
        if latencies.is_empty() {
            return "-".to_owned();
        }
        // The nearest-rank percentile.
        let rank = ((share * latencies.len() as f64).ceil() as usize).clamp(1, latencies.len());
        format!("{:.2} ms", latencies[rank - 1].as_secs_f64() * 1e3)
    };
    let rate = f64::from(count) / elapsed.as_secs_f64().max(1e-9);
    format!(
        "{count} calls over {workers} connection{} in {:.2} s: {rate:.0} calls/s, {failed} failed\n\
         latency  p50 {}   p90 {}   p99 {}   max {}",
        if workers == 1 { "" } else { "s" },
        elapsed.as_secs_f64(),
        at(0.5),
        at(0.9),
        at(0.99),
        at(1.0),
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn percentiles_are_nearest_rank() {
        let mut latencies: Vec<Duration> = (1..=100).map(Duration::from_millis).collect();
        let text = summary(100, 4, Duration::from_secs(1), &mut latencies, 0);
        assert!(text.contains("100 calls/s"), "{text}");
        assert!(text.contains("p50 50.00 ms"), "{text}");
        assert!(text.contains("p99 99.00 ms"), "{text}");
        assert!(text.contains("max 100.00 ms"), "{text}");
    }
}

//! PostgreSQL's own ceiling: `pgbench`, PostgreSQL's load generator, run in the same
//! rounds as the protocols when the bench database is PostgreSQL.
//!
//! - get: `pgbench -S` (its built-in select-only script: one primary-key read of
//!   `pgbench_accounts` per transaction), against REST GET by id;
//! - create: a one-row `INSERT` into `dummies` per transaction (the same table, trigger
//!   and index a REST create writes), against REST create.
//!
//! Both at the cell's concurrency (`-c`) on two threads (`-j2`), for the measured
//! window (`-T`). `pgbench -i -s 1` first creates its `pgbench_*` tables (100,000
//! accounts) in the bench database. When pgbench is not installed the bench says so
//! and runs without it.

use std::process::Command;

use crate::clients::{Op, Protocol};
use crate::run::{CellResult, Window};

/// The one-row insert the create cell runs, as a pgbench script.
const INSERT: &str = "INSERT INTO dummies (day, weekday, month, year, pre_seeded) \
                      VALUES (2, 'Tuesday', 'February', 1985, false);\n";

/// Prepares the database for pgbench: its tables, and the insert script in `dir`.
///
/// # Errors
/// When pgbench is missing or its initialisation fails.
pub fn prepare(url: &str, dir: &std::path::Path) -> anyhow::Result<()> {
    let output = Command::new("pgbench")
        .args(["-i", "-s", "1", "-q", url])
        .output()
        .map_err(|e| {
            anyhow::anyhow!("pgbench is not installed ({e}): apt-get install postgresql-client")
        })?;
    if !output.status.success() {
        anyhow::bail!(
            "pgbench -i failed: {}",
            String::from_utf8_lossy(&output.stderr).trim()
        );
    }
    std::fs::write(dir.join("insert.sql"), INSERT)?;
    Ok(())
}

/// Runs pgbench for one cell (`Op::Get` or `Op::Create`).
///
/// # Errors
/// When pgbench fails or prints no rate.
pub fn cell(
    op: Op,
    concurrency: usize,
    window: Window,
    url: &str,
    dir: &std::path::Path,
) -> anyhow::Result<CellResult> {
    let seconds = window.measure.as_secs().max(1).to_string();
    let clients = concurrency.to_string();
    let threads = concurrency.min(2).to_string();
    let script = dir.join("insert.sql");
    let mut command = Command::new("pgbench");
    command.args(["-n", "-c", &clients, "-j", &threads, "-T", &seconds]);
    match op {
        Op::Get => command.arg("-S"),
        _ => command.arg("-f").arg(&script),
    };
    let output = command.arg(url).output()?;
    let text = String::from_utf8_lossy(&output.stdout);
    if !output.status.success() {
        anyhow::bail!(
            "pgbench failed: {}",
            String::from_utf8_lossy(&output.stderr).trim()
        );
    }
    let tps = field(&text, "tps = ")
        .ok_or_else(|| anyhow::anyhow!("no rate in pgbench's output: {text}"))?;
    let latency_ms = field(&text, "latency average = ").unwrap_or(0.0);
    let calls = field(&text, "number of transactions actually processed: ").unwrap_or(0.0);
    Ok(CellResult {
        op,
        protocol: Protocol::Pgbench,
        concurrency,
        calls: calls as u64,
        rps: tps,
        rounds: vec![tps],
        // pgbench reports the mean latency only; it stands in every column.
        p50_us: (latency_ms * 1000.0) as u64,
        p90_us: (latency_ms * 1000.0) as u64,
        p99_us: (latency_ms * 1000.0) as u64,
        sent_per_call: 0.0,
        received_per_call: 0.0,
        setup_bytes_per_connection: 0.0,
    })
}

/// The number after `label` on its line of pgbench's output.
fn field(text: &str, label: &str) -> Option<f64> {
    let rest = &text[text.find(label)? + label.len()..];
    rest.split_whitespace().next()?.parse().ok()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_rate_and_latency_are_read_from_pgbenchs_report() {
        let report = "number of transactions actually processed: 289450\n\
                      number of failed transactions: 0 (0.000%)\n\
                      latency average = 1.105 ms\n\
                      initial connection time = 12.340 ms\n\
                      tps = 28945.123456 (without initial connection time)\n";
        assert_eq!(field(report, "tps = "), Some(28945.123456));
        assert_eq!(field(report, "latency average = "), Some(1.105));
        assert_eq!(
            field(report, "number of transactions actually processed: "),
            Some(289450.0)
        );
        assert_eq!(field(report, "tps = nothing"), None);
    }
}

//! The figures beside the table: seeding against PostgreSQL's COPY, memory while the
//! whole table streams, idle memory and size of each binary, `wrk` as a check on
//! the load generator, and the live feeds' push latency ([`crate::feeds`]).

use anyhow::Context;
use std::fmt::Write as _;
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

use bytes::Bytes;
use futures_util::StreamExt;
use http_body_util::{BodyExt, Empty};
use hyper_util::rt::TokioIo;

use crate::Cli;
use crate::clients::Targets;
use test_support::process::{self, Process};

/// Everything measured besides the cells.
#[derive(Debug, Default, serde::Serialize)]
pub struct Extras {
    /// Seeding 100,000 rows: (what, seconds, rows per second).
    pub seed: Vec<(String, f64, f64)>,
    /// Server RSS in KiB: idle, and the peak while one client reads all 100,000 rows.
    pub memory: Vec<(String, u64, u64)>,
    /// Idle RSS in KiB and file size in bytes of each binary.
    pub binaries: Vec<(String, u64, u64)>,
    /// `wrk` against REST get with 32 connections, requests per second.
    pub wrk_rest_get_rps: Option<f64>,
    /// Push latency of each live feed, from a write's acknowledgement to its event.
    pub feeds: Vec<crate::feeds::FeedLatency>,
    /// Problems that kept a measurement from being made.
    pub notes: Vec<String>,
}

impl Extras {
    /// The extras as text for the terminal.
    pub fn summary(&self) -> String {
        let mut out = String::new();
        for (what, secs, rate) in &self.seed {
            let _ = writeln!(
                out,
                "seed 100,000 rows, {what}: {secs:.2} s ({rate:.0} rows/s)"
            );
        }
        for (what, idle, peak) in &self.memory {
            let _ = writeln!(
                out,
                "memory, {what}: idle {:.1} MiB, peak {:.1} MiB (+{:.1} MiB)",
                *idle as f64 / 1024.0,
                *peak as f64 / 1024.0,
                peak.saturating_sub(*idle) as f64 / 1024.0
            );
        }
        for (binary, rss, size) in &self.binaries {
            let _ = writeln!(
                out,
                "{binary}: idle RSS {:.1} MiB, binary {:.1} MiB",
                *rss as f64 / 1024.0,
                *size as f64 / 1_048_576.0
            );
        }
        for f in &self.feeds {
            let _ = writeln!(
                out,
                "push latency, {}: event − acknowledgement p50 {} µs, p99 {} µs over {} writes (the write's round trip p50 {} µs)",
                f.feed, f.p50_us, f.p99_us, f.events, f.write_p50_us
            );
        }
        if let Some(rps) = self.wrk_rest_get_rps {
            let _ = writeln!(out, "wrk, REST get, 32 connections: {rps:.0} req/s");
        }
        for note in &self.notes {
            let _ = writeln!(out, "note: {note}");
        }
        out
    }
}

/// Runs every extra; a failure becomes a note, not an abort.
pub async fn measure(cli: &Cli, targets: &Targets) -> Extras {
    let mut extras = Extras::default();
    if let Err(e) = seeds(cli, &mut extras) {
        extras.notes.push(format!("seed comparison: {e:#}"));
    }
    if let Err(e) = memory(&mut extras).await {
        extras.notes.push(format!("memory: {e:#}"));
    }
    if let Err(e) = binaries(&mut extras).await {
        extras.notes.push(format!("binaries: {e:#}"));
    }
    match wrk(&targets.rest) {
        Ok(rps) => extras.wrk_rest_get_rps = Some(rps),
        Err(e) => extras.notes.push(format!("wrk: {e:#}")),
    }
    extras
}

/// Runs `protocols seed 100000` and reads the rate it prints.
fn seed_run(url: &str) -> anyhow::Result<(f64, f64)> {
    let output = Command::new(process::binary("protocols"))
        .args(["seed", "100000", "--database-url", url])
        .env("RUST_LOG", "warn")
        .output()?;
    let text = String::from_utf8_lossy(&output.stdout);
    let line = text
        .lines()
        .find(|l| l.starts_with("Seeded "))
        .ok_or_else(|| anyhow::anyhow!("no result: {text}"))?;
    // "Seeded 100000 rows in 0.83 s (119993 rows/s) on postgres"
    let secs: f64 = line
        .split(" in ")
        .nth(1)
        .and_then(|r| r.split(' ').next())
        .and_then(|s| s.parse().ok())
        .context("no time")?;
    Ok((secs, 100_000.0 / secs))
}

fn psql(url: &str, sql: &str) -> anyhow::Result<()> {
    let output = Command::new("psql")
        .args([url, "-q", "-v", "ON_ERROR_STOP=1", "-c", sql])
        .output()?;
    if output.status.success() {
        Ok(())
    } else {
        Err(anyhow::anyhow!(
            "{}",
            String::from_utf8_lossy(&output.stderr)
        ))
    }
}

fn seeds(cli: &Cli, extras: &mut Extras) -> anyhow::Result<()> {
    let dir = tempfile::tempdir()?;
    let (secs, rate) = seed_run(&dir.path().join("seed.sqlite3").display().to_string())?;
    extras
        .seed
        .push(("SQLite, protocols seed".into(), secs, rate));
    let Some(admin) = &cli.postgres_admin_url else {
        extras.notes.push(
            "no PostgreSQL (set PROTOCOLS_TEST_POSTGRES_URL): seed compared on SQLite only".into(),
        );
        return Ok(());
    };
    let server = admin.rsplit_once('/').map_or(admin.as_str(), |(s, _)| s);
    for (db, how) in [
        ("bench_seed", "protocols seed"),
        ("bench_copy", "psql \\copy"),
    ] {
        let name = format!("{db}_{}", std::process::id());
        psql(admin, &format!("CREATE DATABASE {name}"))?;
        let url = format!("{server}/{name}");
        let result = (|| {
            if how == "protocols seed" {
                let (secs, rate) = seed_run(&url)?;
                extras
                    .seed
                    .push(("PostgreSQL, protocols seed".into(), secs, rate));
            } else {
                let status = Command::new(process::binary("protocols"))
                    .args(["migrate", "--database-url", &url])
                    .stderr(Stdio::null())
                    .status()?;
                if !status.success() {
                    return Err(anyhow::anyhow!("migrate failed"));
                }
                let csv = dir.path().join("rows.csv");
                let mut rows = String::with_capacity(100_000 * 60);
                let weekdays = [
                    "Monday",
                    "Tuesday",
                    "Wednesday",
                    "Thursday",
                    "Friday",
                    "Saturday",
                    "Sunday",
                ];
                let months = [
                    "January",
                    "February",
                    "March",
                    "April",
                    "May",
                    "June",
                    "July",
                    "August",
                    "September",
                    "October",
                    "November",
                    "December",
                ];
                for _ in 0..100_000 {
                    let _ = writeln!(
                        rows,
                        "{},{},{},{},t,2026-11-29 10:00:00+00,2026-11-29 10:00:00+00",
                        fastrand::i32(1..=31),
                        weekdays[fastrand::usize(..7)],
                        months[fastrand::usize(..12)],
                        fastrand::i32(1800..=2020)
                    );
                }
                std::fs::write(&csv, rows)?;
                // \copy is a psql meta-command: it needs a line of its own, so a script.
                let script = dir.path().join("copy.sql");
                std::fs::write(
                    &script,
                    format!(
                        "BEGIN;\nSET LOCAL protocols.quiet = 'on';\n\\copy dummies(day,weekday,month,year,pre_seeded,created_at,updated_at) FROM '{}' CSV\nCOMMIT;\n",
                        csv.display()
                    ),
                )?;
                let started = Instant::now();
                let output = Command::new("psql")
                    .args([url.as_str(), "-q", "-v", "ON_ERROR_STOP=1", "-f"])
                    .arg(&script)
                    .output()?;
                if !output.status.success() {
                    return Err(anyhow::anyhow!(
                        "{}",
                        String::from_utf8_lossy(&output.stderr)
                    ));
                }
                let secs = started.elapsed().as_secs_f64();
                extras.seed.push((
                    "PostgreSQL, COPY (psql \\copy)".into(),
                    secs,
                    100_000.0 / secs,
                ));
            }
            Ok(())
        })();
        let _ = psql(
            admin,
            &format!("DROP DATABASE IF EXISTS {name} WITH (FORCE)"),
        );
        result?;
    }
    Ok(())
}

fn rss_kib(pid: u32) -> Option<u64> {
    let status = std::fs::read_to_string(format!("/proc/{pid}/status")).ok()?;
    status
        .lines()
        .find(|l| l.starts_with("VmRSS:"))
        .and_then(|l| l.split_whitespace().nth(1))
        .and_then(|v| v.parse().ok())
}

/// A `protocols serve` on 100,000 rows; one client reads them all over REST, then gRPC.
async fn memory(extras: &mut Extras) -> anyhow::Result<()> {
    let dir = tempfile::tempdir()?;
    let url = dir.path().join("memory.sqlite3").display().to_string();
    seed_run(&url)?;
    let served = crate::serve(&url).await?;
    let (rest, grpc) = (&served.rest, &served.grpc);
    let pid = served.process.pid();
    let result = async {
        tokio::time::sleep(Duration::from_millis(500)).await;
        let idle = rss_kib(pid).context("no RSS")?;
        let peak = sample_peak(pid, read_rest_list(rest)).await?;
        extras
            .memory
            .push(("REST, full 100,000-row list (streamed)".into(), idle, peak));
        let idle = rss_kib(pid).context("no RSS")?;
        let peak = sample_peak(pid, read_grpc_list(grpc)).await?;
        extras
            .memory
            .push(("gRPC, ListDummies of 100,000 rows".into(), idle, peak));
        Ok::<_, anyhow::Error>(())
    }
    .await;
    drop(served);
    result
}

/// Runs `work` while sampling the process's RSS every 5 ms; returns the peak.
async fn sample_peak<F: std::future::Future<Output = anyhow::Result<usize>>>(
    pid: u32,
    work: F,
) -> anyhow::Result<u64> {
    let sampling = std::sync::Arc::new(std::sync::atomic::AtomicBool::new(true));
    let flag = sampling.clone();
    let sampler = std::thread::spawn(move || {
        let mut peak = 0;
        while flag.load(std::sync::atomic::Ordering::Relaxed) {
            peak = peak.max(rss_kib(pid).unwrap_or(0));
            std::thread::sleep(Duration::from_millis(5));
        }
        peak
    });
    let rows = work.await;
    sampling.store(false, std::sync::atomic::Ordering::Relaxed);
    let peak = sampler
        .join()
        .map_err(|_| anyhow::anyhow!("sampler failed"))?;
    let rows = rows?;
    if rows != 100_000 {
        return Err(anyhow::anyhow!("read {rows} rows, not 100,000"));
    }
    Ok(peak)
}

async fn read_rest_list(addr: &str) -> anyhow::Result<usize> {
    let stream = tokio::net::TcpStream::connect(addr).await?;
    let (mut sender, connection) =
        hyper::client::conn::http1::handshake(TokioIo::new(stream)).await?;
    tokio::spawn(connection);
    let request = hyper::Request::get("/api/rest/dummies")
        .header("host", addr)
        .body(Empty::<Bytes>::new())?;
    let response = sender.send_request(request).await?;
    let mut body = response.into_body();
    let mut ids = 0;
    let mut tail = Vec::new();
    // Count rows as the chunks arrive, holding only a few bytes across chunk edges.
    while let Some(frame) = body.frame().await {
        if let Ok(data) = frame?.into_data() {
            tail.extend_from_slice(&data);
            let text = String::from_utf8_lossy(&tail);
            ids += text.matches("\"id\":").count();
            let keep = tail.len().saturating_sub(4);
            tail.drain(..keep);
            let kept = String::from_utf8_lossy(&tail);
            ids -= kept.matches("\"id\":").count();
        }
    }
    Ok(ids)
}

async fn read_grpc_list(addr: &str) -> anyhow::Result<usize> {
    use grpc_pb::dummy::ListDummiesRequest;
    use grpc_pb::dummy::dummy_service_client::DummyServiceClient;
    let mut client = DummyServiceClient::connect(format!("http://{addr}")).await?;
    let mut stream = client
        .list_dummies(ListDummiesRequest::default())
        .await?
        .into_inner();
    let mut rows = 0;
    while let Some(row) = stream.next().await {
        row?;
        rows += 1;
    }
    Ok(rows)
}

/// Each service binary alone on an empty SQLite database: idle RSS, and file size.
async fn binaries(extras: &mut Extras) -> anyhow::Result<()> {
    let dir = tempfile::tempdir()?;
    let url = dir.path().join("idle.sqlite3").display().to_string();
    for (binary, flag) in [
        ("rest-svc", "--rest-addr"),
        ("rpc-svc", "--rpc-addr"),
        ("grpc-svc", "--grpc-addr"),
        ("ws-svc", "--ws-addr"),
    ] {
        let path = process::binary(binary);
        let addr = process::free_addr();
        let mut command = Command::new(&path);
        command
            .arg(flag)
            .arg(addr.to_string())
            .args(["--database-url", &url])
            .env("RUST_LOG", "warn")
            .stdout(Stdio::null());
        let mut service = Process::start(binary, &mut command)?;
        service
            .wait_listening(addr, crate::LISTEN_TIMEOUT)
            .await
            .map_err(anyhow::Error::msg)?;
        let rss = idle_rss(&service).await;
        extras
            .binaries
            .push((binary.to_owned(), rss, std::fs::metadata(&path)?.len()));
    }
    let served = crate::serve(&url).await?;
    let rss = idle_rss(&served.process).await;
    let size = std::fs::metadata(process::binary("protocols"))?.len();
    extras.binaries.push(("protocols".to_owned(), rss, size));
    Ok(())
}

/// A process's resident memory half a second after it started listening, in KiB.
async fn idle_rss(process: &Process) -> u64 {
    tokio::time::sleep(Duration::from_millis(500)).await;
    process.rss_kib().unwrap_or(0)
}

/// `wrk -t2 -c32 -d5s` on REST get of one id.
fn wrk(rest: &str) -> anyhow::Result<f64> {
    let output = Command::new("wrk")
        .args([
            "-t2",
            "-c32",
            "-d5s",
            &format!("http://{rest}/api/rest/dummie/1"),
        ])
        .output()
        .map_err(|e| anyhow::anyhow!("cannot run wrk ({e}); apt-get install wrk"))?;
    let text = String::from_utf8_lossy(&output.stdout);
    text.lines()
        .find(|l| l.starts_with("Requests/sec:"))
        .and_then(|l| l.split_whitespace().nth(1))
        .and_then(|v| v.parse().ok())
        .ok_or_else(|| anyhow::anyhow!("no result from wrk: {text}"))
}

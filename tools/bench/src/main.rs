//! `bench`: the protocol shootout.
//!
//! ```text
//! just bench                                    # or:
//! cargo build --release -p protocols -p bench && target/release/bench
//! target/release/bench --smoke                  # a fraction of a second per cell (CI)
//! target/release/bench --target-rest host:8001 --target-rpc host:8002 --target-grpc host:50051 --target-ws host:8003
//! ```
//!
//! By default it seeds a fresh SQLite database with 10,000 rows, starts `protocols
//! serve` on it and the bare ceilings (`bench ceilings`) each in a process of their
//! own, then runs every (operation, protocol) cell at each concurrency with the same
//! generator: throughput, latency percentiles and bytes on the wire per call, counted
//! at the client's socket. Then the extras: seeding speed against PostgreSQL's COPY,
//! peak memory while the whole table streams, binary sizes, and a cross-check of the
//! generator against `wrk`. It prints a table and writes `shootout.json` and
//! `shootout.svg` to `--out`.
//!
//! Every answer is checked; a wrong or failed response stops the run with an error.

mod ceiling;
mod clients;
mod counting;
mod extras;
mod report;
mod run;

use anyhow::Context;
use std::net::SocketAddr;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, ExitCode, Stdio};
use std::time::Duration;

use clap::{Parser, Subcommand};

use crate::clients::{CELLS, Targets};
use crate::run::Window;

/// The protocol shootout: the same operations over every protocol.
#[derive(Debug, Parser)]
#[command(name = "bench", version)]
struct Cli {
    #[command(subcommand)]
    command: Option<Sub>,

    /// Concurrency levels (connections calling at once), comma-separated.
    #[arg(long, value_delimiter = ',', default_value = "1,32")]
    concurrency: Vec<usize>,

    /// Seconds of warm-up per cell.
    #[arg(long, default_value_t = 3.0)]
    warmup: f64,

    /// Seconds measured per cell.
    #[arg(long, default_value_t = 10.0)]
    duration: f64,

    /// A fraction of a second per cell and no extras: proves every cell works (CI).
    #[arg(long)]
    smoke: bool,

    /// Only these protocols (names as in the table, e.g. REST,gRPC), comma-separated.
    #[arg(long, value_delimiter = ',')]
    protocols: Vec<String>,

    /// Only these operations (get, echo, create, list), comma-separated.
    #[arg(long, value_delimiter = ',')]
    ops: Vec<String>,

    /// Where to write shootout.json and shootout.svg.
    #[arg(long, default_value = "bench-results")]
    out: PathBuf,

    /// Bench a PostgreSQL database instead of a fresh SQLite file (it is seeded if empty).
    #[arg(long)]
    database_url: Option<String>,

    /// A PostgreSQL server the seed comparison may create a database on.
    #[arg(long, env = "PROTOCOLS_TEST_POSTGRES_URL")]
    postgres_admin_url: Option<String>,

    /// Bench an already running stack instead: REST host:port (with the others below).
    #[arg(long, requires_all = ["target_rpc", "target_grpc", "target_ws"])]
    target_rest: Option<String>,
    /// JSON-RPC/XML-RPC host:port.
    #[arg(long)]
    target_rpc: Option<String>,
    /// gRPC host:port.
    #[arg(long)]
    target_grpc: Option<String>,
    /// WebSocket host:port.
    #[arg(long)]
    target_ws: Option<String>,
}

#[derive(Debug, Subcommand)]
enum Sub {
    /// Serve the bare ceilings (started by the bench itself).
    Ceilings {
        /// actix-web and actix-ws address.
        #[arg(long)]
        http: SocketAddr,
        /// tonic address.
        #[arg(long)]
        grpc: SocketAddr,
        /// The database the read ceiling reads.
        #[arg(long)]
        database_url: String,
    },
}

/// Rows the bench database holds.
const ROWS: i64 = 10_000;

fn main() -> ExitCode {
    let cli = Cli::parse();
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .expect("a tokio runtime");
    if let Some(Sub::Ceilings {
        http,
        grpc,
        database_url,
    }) = &cli.command
    {
        let url = model::DatabaseUrl::parse(database_url).expect("a database URL");
        let store = model::Store::open(&url, &model::PoolOptions::default());
        return match runtime.block_on(ceiling::serve(*http, *grpc, store, 0)) {
            Ok(()) => ExitCode::SUCCESS,
            Err(e) => {
                eprintln!("ceilings failed: {e:#}");
                ExitCode::FAILURE
            }
        };
    }
    match runtime.block_on(shootout(&cli)) {
        Ok(()) => ExitCode::SUCCESS,
        Err(error) => {
            eprintln!("bench failed: {error:#}");
            ExitCode::FAILURE
        }
    }
}

/// Child processes, stopped when the bench ends.
struct Children(Vec<Child>);

impl Drop for Children {
    fn drop(&mut self) {
        for child in &mut self.0 {
            let _ = Command::new("kill")
                .args(["-TERM", &child.id().to_string()])
                .status();
            let _ = child.wait();
        }
    }
}

fn free_addr() -> String {
    let port = std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port();
    format!("127.0.0.1:{port}")
}

/// The `protocols` binary built next to this one.
pub fn sibling(name: &str) -> anyhow::Result<PathBuf> {
    let dir = std::env::current_exe()?;
    let path = dir.parent().map(|d| d.join(name)).context("no directory")?;
    if path.exists() {
        Ok(path)
    } else {
        Err(anyhow::anyhow!(
            "{} is missing: build it with `cargo build --release -p protocols -p rest-svc -p rpc-svc -p grpc-svc -p ws-svc -p bench`",
            path.display()
        ))
    }
}

async fn wait_for(addr: &str) -> anyhow::Result<()> {
    for _ in 0..400 {
        if tokio::net::TcpStream::connect(addr).await.is_ok() {
            return Ok(());
        }
        tokio::time::sleep(Duration::from_millis(25)).await;
    }
    Err(anyhow::anyhow!("nothing listens on {addr}"))
}

async fn shootout(cli: &Cli) -> anyhow::Result<()> {
    let temp = tempfile::tempdir()?;
    let mut children = Children(Vec::new());
    let mut server_pid = None;
    let targets = match &cli.target_rest {
        Some(rest) => Targets {
            rest: rest.clone(),
            rpc: cli.target_rpc.clone().unwrap_or_default(),
            grpc: cli.target_grpc.clone().unwrap_or_default(),
            ws: cli.target_ws.clone().unwrap_or_default(),
            bare_http: None,
            bare_grpc: None,
        },
        None => {
            let url = cli
                .database_url
                .clone()
                .unwrap_or_else(|| temp.path().join("bench.sqlite3").display().to_string());
            seed_if_empty(&url).await?;
            let (rest, rpc, grpc, ws, http) = (
                free_addr(),
                free_addr(),
                free_addr(),
                free_addr(),
                free_addr(),
            );
            let server = Command::new(sibling("protocols")?)
                .args([
                    "serve",
                    "--rest-addr",
                    &rest,
                    "--rpc-addr",
                    &rpc,
                    "--grpc-addr",
                    &grpc,
                    "--ws-addr",
                    &ws,
                ])
                .args(["--http-addr", &http, "--database-url", &url])
                .env("RUST_LOG", "warn")
                .stdout(Stdio::null())
                .spawn()?;
            server_pid = Some(server.id());
            children.0.push(server);
            let (bare_http, bare_grpc) = (free_addr(), free_addr());
            let ceilings = Command::new(std::env::current_exe()?)
                .args([
                    "ceilings",
                    "--http",
                    &bare_http,
                    "--grpc",
                    &bare_grpc,
                    "--database-url",
                    &url,
                ])
                .env("RUST_LOG", "warn")
                .stdout(Stdio::null())
                .spawn()?;
            children.0.push(ceilings);
            for addr in [&rest, &rpc, &grpc, &ws, &bare_http, &bare_grpc] {
                wait_for(addr).await?;
            }
            Targets {
                rest,
                rpc,
                grpc,
                ws,
                bare_http: Some(bare_http),
                bare_grpc: Some(bare_grpc),
            }
        }
    };
    let window = if cli.smoke {
        Window {
            warmup: Duration::from_millis(50),
            measure: Duration::from_millis(200),
        }
    } else {
        Window {
            warmup: Duration::from_secs_f64(cli.warmup),
            measure: Duration::from_secs_f64(cli.duration),
        }
    };
    let wanted = |name: &str, filter: &[String]| {
        filter.is_empty() || filter.iter().any(|f| f.eq_ignore_ascii_case(name))
    };
    let mut results = Vec::new();
    println!("{}", report::header());
    for &concurrency in &cli.concurrency {
        for &(op, protocol) in CELLS {
            if !wanted(op.name(), &cli.ops) || !wanted(protocol.name(), &cli.protocols) {
                continue;
            }
            if protocol.is_ceiling() && targets.bare_http.is_none() {
                continue;
            }
            let result = run::cell(op, protocol, concurrency, window, &targets, ROWS).await?;
            println!("{}", report::row(&result));
            results.push(result);
        }
    }
    let extras = if cli.smoke {
        extras::Extras::default()
    } else {
        extras::measure(cli, &targets, server_pid).await
    };
    report::write(&cli.out, &results, &extras, window)?;
    println!("{}", report::ratios(&results));
    println!("{}", extras.summary());
    println!(
        "wrote {}/shootout.json and {}/shootout.svg",
        cli.out.display(),
        cli.out.display()
    );
    drop(children);
    Ok(())
}

/// Seeds 10,000 rows when the database has none (runs `protocols seed`).
async fn seed_if_empty(url: &str) -> anyhow::Result<()> {
    let parsed = model::DatabaseUrl::parse(url).map_err(anyhow::Error::msg)?;
    let store = model::Store::open(&parsed, &model::PoolOptions::default());
    store.migrate().await?;
    if store.count().await? >= ROWS {
        return Ok(());
    }
    let status = Command::new(sibling("protocols")?)
        .args(["seed", &ROWS.to_string(), "--database-url", url])
        .env("RUST_LOG", "warn")
        .stdout(Stdio::null())
        .status()?;
    if status.success() {
        Ok(())
    } else {
        Err(anyhow::anyhow!("seeding failed"))
    }
}

/// The directory holding this binary (target/release or target/debug).
pub fn bin_dir() -> PathBuf {
    std::env::current_exe()
        .ok()
        .and_then(|p| p.parent().map(Path::to_path_buf))
        .unwrap_or_default()
}

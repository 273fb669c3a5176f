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
//! generator against `wrk`, and how soon each live feed (WebSocket, gRPC watch,
//! Server-Sent Events, webhook, GraphQL subscription) delivers a write's event (in
//! `--smoke` too, over five writes). It prints a table and writes `shootout.json` and `shootout.svg` to `--out`.
//!
//! Every answer is checked; a wrong or failed response stops the run with an error.

mod ceiling;
mod clients;
mod counting;
mod driver;
mod extras;
mod feeds;
mod pgbench;
mod report;
mod run;

use std::net::SocketAddr;
use std::path::{Path, PathBuf};
use std::process::{Command, ExitCode, Stdio};
use std::time::Duration;

use clap::{Parser, Subcommand};
use test_support::process::{self, Process};

use crate::clients::{CELLS, Protocol, Targets};
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

    /// Seconds of warm-up per cell and round.
    #[arg(long, default_value_t = 2.0)]
    warmup: f64,

    /// Seconds measured per cell and round.
    #[arg(long, default_value_t = 5.0)]
    duration: f64,

    /// Rounds: each runs every cell once, ours and the ceilings in turn, so load from
    /// elsewhere falls on both; a cell's figure is the median round, with the spread.
    #[arg(long, default_value_t = 3, value_parser = clap::value_parser!(u32).range(1..))]
    rounds: u32,

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
    /// GraphQL host:port (without it, a running stack's GraphQL cells are left out).
    #[arg(long)]
    target_graphql: Option<String>,

    /// The RabbitMQ broker a running stack's messaging-svc publishes to, as `AMQP_URL`
    /// (without it, its feed is left out).
    #[arg(long)]
    target_amqp: Option<String>,

    /// The Mosquitto broker a running stack's messaging-svc publishes to, `host:port`.
    #[arg(long)]
    target_mqtt: Option<String>,
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

/// Writes measured for the push latency of the live feeds.
const FEED_WRITES: usize = 300;

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
        return match runtime.block_on(ceiling::serve(*http, *grpc, url, 0)) {
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

/// `protocols serve` on free ports, as a process of its own.
pub struct Served {
    /// The process: stopped with SIGTERM when this is dropped.
    pub process: Process,
    /// REST's own port.
    pub rest: String,
    /// JSON-RPC and XML-RPC's own port.
    pub rpc: String,
    /// The gRPC port.
    pub grpc: String,
    /// WebSocket's own port.
    pub ws: String,
    /// GraphQL's own port.
    pub graphql: String,
    /// The RabbitMQ its messaging-svc publishes to, when one runs here.
    pub amqp: Option<String>,
    /// The Mosquitto likewise.
    pub mqtt: Option<String>,
}

/// Starts `protocols serve` on the database `url` and waits until every port listens.
pub async fn serve(url: &str) -> anyhow::Result<Served> {
    let [rest, rpc, grpc, ws, graphql, messaging, http] = [(); 7].map(|()| process::free_addr());
    // messaging-svc publishes to the machine's brokers when they run (their feeds are
    // then measured beside the others), and is off otherwise.
    let amqp = broker_up(AMQP_ADDR).await.then(|| AMQP_URL.to_owned());
    let mqtt = broker_up(MQTT_ADDR).await.then(|| MQTT_ADDR.to_owned());
    let mut command = Command::new(process::binary("protocols"));
    command.arg("serve");
    for (flag, addr) in [
        ("--rest-addr", rest),
        ("--rpc-addr", rpc),
        ("--grpc-addr", grpc),
        ("--ws-addr", ws),
        ("--graphql-addr", graphql),
        ("--messaging-addr", messaging),
        ("--http-addr", http),
    ] {
        command.arg(flag).arg(addr.to_string());
    }
    command
        .args(["--amqp-url", amqp.as_deref().unwrap_or("")])
        .args(["--mqtt-addr", mqtt.as_deref().unwrap_or("")]);
    command
        .args(["--database-url", url])
        .env("RUST_LOG", "warn")
        .stdout(Stdio::null());
    let process = Process::start("protocols serve", &mut command)?;
    let mut served = Served {
        process,
        rest: rest.to_string(),
        rpc: rpc.to_string(),
        grpc: grpc.to_string(),
        ws: ws.to_string(),
        graphql: graphql.to_string(),
        amqp,
        mqtt,
    };
    for addr in [rest, rpc, grpc, ws, graphql, http] {
        served
            .process
            .wait_listening(addr, LISTEN_TIMEOUT)
            .await
            .map_err(anyhow::Error::msg)?;
    }
    Ok(served)
}

/// The machine's RabbitMQ, as `.ci/run` starts it.
const AMQP_ADDR: &str = "127.0.0.1:5672";
const AMQP_URL: &str = "amqp://guest:guest@127.0.0.1:5672/%2f";
/// The machine's Mosquitto.
const MQTT_ADDR: &str = "127.0.0.1:1883";

async fn broker_up(addr: &str) -> bool {
    tokio::time::timeout(Duration::from_secs(1), tokio::net::TcpStream::connect(addr))
        .await
        .is_ok_and(|connected| connected.is_ok())
}

/// How long a server the bench starts gets to listen.
const LISTEN_TIMEOUT: Duration = Duration::from_secs(10);

async fn shootout(cli: &Cli) -> anyhow::Result<()> {
    let temp = tempfile::tempdir()?;
    let mut processes = Vec::new();
    let targets = match &cli.target_rest {
        Some(rest) => Targets {
            rest: rest.clone(),
            rpc: cli.target_rpc.clone().unwrap_or_default(),
            grpc: cli.target_grpc.clone().unwrap_or_default(),
            ws: cli.target_ws.clone().unwrap_or_default(),
            graphql: cli.target_graphql.clone(),
            amqp: cli.target_amqp.clone(),
            mqtt: cli.target_mqtt.clone(),
            bare_http: None,
            bare_grpc: None,
        },
        None => {
            let url = cli
                .database_url
                .clone()
                .unwrap_or_else(|| temp.path().join("bench.sqlite3").display().to_string());
            seed_if_empty(&url).await?;
            let served = serve(&url).await?;
            let (bare_http, bare_grpc) = (process::free_addr(), process::free_addr());
            let mut ceilings = Command::new(std::env::current_exe()?);
            ceilings
                .arg("ceilings")
                .arg("--http")
                .arg(bare_http.to_string())
                .arg("--grpc")
                .arg(bare_grpc.to_string())
                .args(["--database-url", &url])
                .env("RUST_LOG", "warn")
                .stdout(Stdio::null());
            let mut ceilings = Process::start("bench ceilings", &mut ceilings)?;
            for addr in [bare_http, bare_grpc] {
                ceilings
                    .wait_listening(addr, LISTEN_TIMEOUT)
                    .await
                    .map_err(anyhow::Error::msg)?;
            }
            let targets = Targets {
                rest: served.rest.clone(),
                rpc: served.rpc.clone(),
                grpc: served.grpc.clone(),
                ws: served.ws.clone(),
                graphql: Some(served.graphql.clone()),
                amqp: served.amqp.clone(),
                mqtt: served.mqtt.clone(),
                bare_http: Some(bare_http.to_string()),
                bare_grpc: Some(bare_grpc.to_string()),
            };
            processes.push(served.process);
            processes.push(ceilings);
            targets
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
    // pgbench, when the bench database is PostgreSQL and pgbench is installed.
    let pgbench = match &cli.database_url {
        Some(url) if url.starts_with("postgres") && !cli.smoke && cli.target_rest.is_none() => {
            match pgbench::prepare(url, temp.path()) {
                Ok(()) => Some(url.clone()),
                Err(error) => {
                    println!("without pgbench: {error:#}");
                    None
                }
            }
        }
        _ => None,
    };
    let mut cells = Vec::new();
    for &concurrency in &cli.concurrency {
        for &(op, protocol) in CELLS {
            let available = match protocol {
                Protocol::Pgbench => pgbench.is_some(),
                Protocol::Graphql => targets.graphql.is_some(),
                _ => !(protocol.is_ceiling() && targets.bare_http.is_none()),
            };
            if wanted(op.name(), &cli.ops) && wanted(protocol.name(), &cli.protocols) && available {
                cells.push((op, protocol, concurrency));
            }
        }
    }
    let rounds = if cli.smoke { 1 } else { cli.rounds };
    let mut runs: Vec<Vec<run::CellResult>> = vec![Vec::new(); cells.len()];
    for round in 1..=rounds {
        println!("round {round} of {rounds}\n{}", report::header());
        for (&(op, protocol, concurrency), runs) in cells.iter().zip(&mut runs) {
            let result = match (&pgbench, protocol) {
                (Some(url), Protocol::Pgbench) => {
                    pgbench::cell(op, concurrency, window, url, temp.path())?
                }
                _ => run::cell(op, protocol, concurrency, window, &targets, ROWS).await?,
            };
            println!("{}", report::row(&result));
            runs.push(result);
        }
    }
    let results: Vec<_> = runs.into_iter().map(run::median).collect();
    if rounds > 1 {
        println!("\nmedian of {rounds} rounds\n{}", report::header());
        for result in &results {
            println!("{}", report::row(result));
        }
    }
    let mut extras = if cli.smoke {
        extras::Extras::default()
    } else {
        extras::measure(cli, &targets).await
    };
    let writes = if cli.smoke { 5 } else { FEED_WRITES };
    extras.feeds = feeds::measure(&targets, writes).await?;
    report::write(&cli.out, &results, &extras, window)?;
    println!("{}", report::ratios(&results));
    println!("{}", extras.summary());
    println!(
        "wrote {}/shootout.json and {}/shootout.svg",
        cli.out.display(),
        cli.out.display()
    );
    drop(processes);
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
    let status = Command::new(process::binary("protocols"))
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

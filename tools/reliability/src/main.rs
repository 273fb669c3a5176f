//! `reliability`: runs the suite against the service binaries and prints one table.
//!
//! ```text
//! reliability                 the short mode (seconds per scenario), as CI runs it
//! reliability --long          the long mode: `just reliability`
//! reliability --only writes   one scenario (startup, outage, writes, shutdown, feed, webhooks, flood)
//! ```
//!
//! PostgreSQL comes from `PROTOCOLS_TEST_POSTGRES_URL` (default: the local server);
//! each scenario makes its own database there and drops it afterwards.

use std::process::ExitCode;
use std::time::Instant;

use clap::Parser;
use reliability::{Mode, Suite, brokers, feed, flood, outage, report, startup, webhooks, writes};

/// The scenarios, in the order they run.
const SCENARIOS: [&str; 8] = [
    "startup", "outage", "writes", "shutdown", "feed", "webhooks", "brokers", "flood",
];

#[derive(Parser)]
#[command(
    name = "reliability",
    about = "The reliability suite: outages, lost writes, floods, start-up"
)]
struct Args {
    /// Run the long mode (minutes) instead of the short one (seconds).
    #[arg(long)]
    long: bool,

    /// Run only these scenarios (comma-separated): startup, outage, writes, shutdown, feed, flood.
    #[arg(long, value_delimiter = ',', value_parser = clap::builder::PossibleValuesParser::new(SCENARIOS))]
    only: Vec<String>,

    /// The PostgreSQL server to make scenario databases on.
    #[arg(
        long,
        env = "PROTOCOLS_TEST_POSTGRES_URL",
        default_value = "postgres://postgres@127.0.0.1:5432/postgres"
    )]
    postgres: String,

    /// Keep the services' logs here (default: a temporary directory, kept on failure).
    #[arg(long)]
    log_dir: Option<std::path::PathBuf>,
}

#[tokio::main]
async fn main() -> ExitCode {
    let args = Args::parse();
    // Floods open thousands of sockets: take the hard limit as the soft one.
    if let Err(error) = rlimit::increase_nofile_limit(u64::MAX) {
        eprintln!("cannot raise the open-file limit: {error}");
    }
    let log_dir = match &args.log_dir {
        Some(dir) => {
            std::fs::create_dir_all(dir).expect("create the log directory");
            dir.clone()
        }
        None => tempfile::Builder::new()
            .prefix("reliability-")
            .tempdir()
            .expect("a temporary directory")
            .keep(),
    };
    let suite = Suite {
        mode: if args.long { Mode::Long } else { Mode::Short },
        log_dir: log_dir.clone(),
        postgres: args.postgres.clone(),
    };
    let wanted = |name: &str| args.only.is_empty() || args.only.iter().any(|o| o == name);
    println!(
        "reliability suite, {} mode; service logs in {}",
        if args.long { "long" } else { "short" },
        log_dir.display()
    );
    let started = Instant::now();
    let mut rows = Vec::new();
    for name in SCENARIOS.into_iter().filter(|n| wanted(n)) {
        let at = Instant::now();
        println!("\n== {name} ==");
        let found = match name {
            "startup" => startup::run(&suite).await,
            "outage" => outage::run(&suite).await,
            "writes" => writes::run(&suite, false).await,
            "shutdown" => writes::run(&suite, true).await,
            "feed" => feed::run(&suite).await,
            "webhooks" => webhooks::run(&suite).await,
            "brokers" => brokers::run(&suite).await,
            _ => flood::run(&suite).await,
        };
        for row in &found {
            println!("{row}");
        }
        println!("({name} took {:.1} s)", at.elapsed().as_secs_f64());
        rows.extend(found);
    }
    println!("\n{}", report::table(&rows));
    let failures = report::failures(&rows);
    let clean = rows.iter().all(report::Row::passed) && !rows.is_empty();
    if !failures.is_empty() {
        println!("Failures:\n{failures}");
    }
    println!(
        "{} in {:.0} s",
        if clean { "CLEAN" } else { "NOT CLEAN" },
        started.elapsed().as_secs_f64()
    );
    if clean {
        if args.log_dir.is_none() {
            let _ = std::fs::remove_dir_all(&log_dir);
        }
        ExitCode::SUCCESS
    } else {
        ExitCode::FAILURE
    }
}

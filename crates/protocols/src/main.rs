//! `protocols`: the one command of this project.
//!
//! - `protocols serve`: every implemented service in one process, each on its own
//!   port, plus all HTTP routes composed on one port (8080) under the paths the nginx
//!   gateway exposes. No Docker, no database server: SQLite by default.
//! - `protocols seed [N]`: N random Dummies (default 100,000), as the original's seeder.
//! - `protocols migrate`: apply the embedded migrations and exit.
//! - `protocols call PROTOCOL …`: one client for every protocol, with `--wire` to see
//!   the bytes (see [`call`]).
//!
//! Every setting comes from a flag or the environment; `protocols <command> --help`
//! lists them with their variables.

mod call;
mod cli;
mod grpc_web;
mod seed;
mod serve;

use std::process::ExitCode;

use clap::Parser;

fn main() -> ExitCode {
    runtime::settings::load_env_file();
    let cli = cli::Cli::parse();
    runtime::init_tracing(cli.runtime());
    let result = runtime::block_on(async move {
        match cli.command {
            cli::Command::Serve(args) => serve::run(*args).await,
            cli::Command::Seed(args) => seed::run(args).await,
            cli::Command::Migrate(args) => migrate(args).await,
            cli::Command::Call(args) => call::run(*args).await,
        }
    })
    .unwrap_or_else(|error| Err(anyhow::anyhow!("cannot start the async runtime: {error}")));
    match result {
        Ok(()) => ExitCode::SUCCESS,
        Err(error) => {
            // `:#` writes the error with its causes: "cannot listen on …: Address in use".
            tracing::error!("{error:#}");
            ExitCode::FAILURE
        }
    }
}

async fn migrate(args: cli::MigrateArgs) -> anyhow::Result<()> {
    args.database.database_url.prepare()?;
    let store = model::Store::open(&args.database.database_url, &args.database.pool_options());
    let applied = store.migrate().await?;
    if applied.is_empty() {
        tracing::info!(database = %args.database.database_url, "schema already up to date");
    } else {
        tracing::info!(database = %args.database.database_url, ?applied, "migrations applied");
    }
    Ok(())
}

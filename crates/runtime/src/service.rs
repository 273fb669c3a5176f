//! One shape for every service binary.
//!
//! A service crate exports its settings as a [`clap::Args`] struct and implements
//! [`Service`] for it: how it answers `healthcheck` and how it [`Service::run`]s on an
//! opened store until the shutdown signal. Its `main.rs` is one line,
//! `runtime::service::main::<rest_svc::Args>()`, and `protocols serve` flattens the
//! same four structs into its own command line. So each setting, its flag, its
//! variable and its default, is declared once, in the crate of the service it belongs
//! to, and reads the same in `rest-svc --help` and in `protocols serve --help`.
//!
//! A service's flags start with its name (`--rest-addr` for `REST_ADDR`), which keeps
//! them apart when the four are flattened into `serve`.
//!
//! What [`main`] does, in order: reads `./.env`, parses the command line (the service's
//! settings, [`DatabaseArgs`], [`RuntimeArgs`] and the `healthcheck` subcommand), and
//! either asks the running server whether it is healthy, or installs logging, watches
//! for Ctrl-C and SIGTERM, opens the store (migrating in the background) and runs the
//! service until the signal.

use std::future::Future;
use std::process::ExitCode;
use std::time::Duration;

use clap::{CommandFactory, FromArgMatches};
use tokio_util::sync::CancellationToken;

use crate::RuntimeArgs;
use crate::settings::{DatabaseArgs, ServiceCommand};

/// A service that runs as a binary of its own. Implemented by each service's settings.
pub trait Service: clap::Args + Sized {
    /// The binary's name, in `--help` and in the log (`rest-svc`).
    const NAME: &'static str;
    /// One line for `--help`.
    const ABOUT: &'static str;
    /// The crate's version, for `--version`.
    const VERSION: &'static str;

    /// `<service> healthcheck`: asks the server listening on this service's port, on
    /// 127.0.0.1, whether it is healthy (what the container's `HEALTHCHECK` runs).
    fn healthcheck(&self) -> impl Future<Output = ExitCode>;

    /// Listens and serves on `store` until `shutdown` is cancelled; in-flight requests
    /// then get `grace` to finish. The exit code says whether it ended cleanly.
    fn run(
        self,
        store: model::Store,
        shutdown: CancellationToken,
        grace: Duration,
    ) -> impl Future<Output = ExitCode>;
}

/// A service binary's command line: the service's own settings, then those every
/// binary shares.
#[derive(clap::Parser)]
struct Standalone<S: clap::Args> {
    #[command(flatten)]
    service: S,

    #[command(flatten)]
    database: DatabaseArgs,

    #[command(flatten)]
    runtime: RuntimeArgs,

    /// `healthcheck` instead of serving.
    #[command(subcommand)]
    command: Option<ServiceCommand>,
}

/// The whole `main` of a service binary (see the module docs).
pub fn main<S: Service>() -> ExitCode {
    crate::settings::load_env_file();
    let command = Standalone::<S>::command()
        .name(S::NAME)
        .bin_name(S::NAME)
        .about(S::ABOUT)
        .version(S::VERSION);
    let config = Standalone::<S>::from_arg_matches(&command.get_matches())
        .unwrap_or_else(|error| error.exit());
    let served = crate::block_on(async move {
        if config.command == Some(ServiceCommand::Healthcheck) {
            return config.service.healthcheck().await;
        }
        crate::init_tracing(&config.runtime);
        let shutdown = crate::shutdown_on_signal();
        let store = match crate::open_store(&config.database, &shutdown) {
            Ok(store) => store,
            Err(error) => {
                tracing::error!(%error, "cannot use the database");
                return ExitCode::FAILURE;
            }
        };
        let grace = config.runtime.shutdown_grace();
        config.service.run(store, shutdown, grace).await
    });
    served.unwrap_or_else(|error| {
        eprintln!("{}: cannot start the async runtime: {error}", S::NAME);
        ExitCode::FAILURE
    })
}

/// A service's settings as its binary would read them from `flags` (without the
/// binary's name), then the environment, then the defaults. For code that needs a
/// service's settings without running it, such as the fuzz targets.
///
/// # Errors
/// When a flag, or a variable in the environment, holds a value the setting does not
/// accept.
pub fn parse<S: clap::Args>(flags: &[&str]) -> Result<S, clap::Error> {
    let command = S::augment_args(clap::Command::new("service"));
    let matches =
        command.try_get_matches_from(std::iter::once("service").chain(flags.iter().copied()))?;
    S::from_arg_matches(&matches)
}

//! Where settings come from, the same way in every binary.
//!
//! - **Command line, then environment, then default**, through clap: every `--help`
//!   names the variable beside each option (`[env: REST_ADDR=]`).
//! - **A `.env` file in the current directory**, read by [`load_env_file`] before the
//!   command line is parsed, so `cargo run -p rest-svc` from the repository's root
//!   sees what `just` sees (`set dotenv-load`). A variable already set in the
//!   environment wins over the file. Only the current directory is read, never its
//!   parents, so a test started elsewhere is not changed by a developer's `.env`.
//! - **Database settings** are one [`DatabaseArgs`] (with the `db` feature), flattened
//!   into every binary's arguments, so `DATABASE_URL` and the pool settings read the same
//!   everywhere. The model takes the parsed values and knows nothing of the command line.
//! - **Listen addresses** are `HOST:PORT`; the host may be a name (`localhost:8080`),
//!   resolved once at start-up by [`listen_addr`].

use std::net::{SocketAddr, ToSocketAddrs};

/// Reads `./.env` into the environment, if there is one; variables already set are
/// kept. Call first thing in `main`, before the command line is parsed.
///
/// # Panics
/// Never; a `.env` that cannot be parsed is reported on stderr and ignored.
pub fn load_env_file() {
    match dotenvy::from_path(".env") {
        Ok(()) => {}
        Err(dotenvy::Error::Io(e)) if e.kind() == std::io::ErrorKind::NotFound => {}
        Err(error) => eprintln!("ignoring .env: {error}"),
    }
}

/// Parses a listen address: `127.0.0.1:8080`, `[::]:8080`, or a host name with a port
/// (`localhost:8080`), which is resolved now (an IPv4 address first, if it has one).
///
/// # Errors
/// A message for clap naming the expected form, when it is not `HOST:PORT` or the
/// name does not resolve.
pub fn listen_addr(value: &str) -> Result<SocketAddr, String> {
    if let Ok(addr) = value.parse() {
        return Ok(addr);
    }
    let hint = "expected HOST:PORT, e.g. 127.0.0.1:8080, 0.0.0.0:8080 or localhost:8080";
    let addrs: Vec<SocketAddr> = value
        .to_socket_addrs()
        .map_err(|e| format!("{hint} ({e})"))?
        .collect();
    addrs
        .iter()
        .find(|a| a.is_ipv4())
        .or_else(|| addrs.first())
        .copied()
        .ok_or_else(|| format!("{hint} ({value} resolves to no address)"))
}

/// What a service binary does instead of serving, when asked (`rest-svc healthcheck`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::Subcommand)]
pub enum ServiceCommand {
    /// Ask the server listening on this binary's port, on 127.0.0.1, whether it is
    /// healthy (what the container's HEALTHCHECK runs): exit 0 if it is, 1 if not.
    Healthcheck,
}

/// Database settings, shared by every binary's `--help` (flattened into its config).
#[cfg(feature = "db")]
#[derive(Debug, Clone, clap::Args)]
pub struct DatabaseArgs {
    /// postgres://user@host/db selects PostgreSQL; a file path selects SQLite.
    #[arg(long, env = "DATABASE_URL", default_value = model::db::DEFAULT_SQLITE_PATH, value_parser = model::DatabaseUrl::parse)]
    pub database_url: model::DatabaseUrl,

    /// Most database connections this process holds open.
    #[arg(long, env = "DB_POOL_SIZE", default_value_t = 10)]
    pub db_pool_size: u32,

    /// Seconds a request waits for a free connection before answering "unavailable".
    #[arg(long, env = "DB_TIMEOUT_SECS", default_value_t = 5)]
    pub db_timeout_secs: u64,

    /// PostgreSQL: seconds one statement may run before it is cancelled ("unavailable").
    #[arg(long, env = "DB_STATEMENT_TIMEOUT_SECS", default_value_t = 30)]
    pub db_statement_timeout_secs: u64,

    /// The most events the event journal keeps (older ones are deleted every minute).
    #[arg(long, env = "JOURNAL_MAX_EVENTS", default_value_t = 1_000_000, value_parser = clap::value_parser!(i64).range(1..))]
    pub journal_max_events: i64,

    /// Hours the event journal keeps an event (168: a week; at most 876000, a century).
    #[arg(long, env = "JOURNAL_MAX_AGE_HOURS", default_value_t = 168, value_parser = clap::value_parser!(u64).range(1..=876_000))]
    pub journal_max_age_hours: u64,
}

#[cfg(feature = "db")]
impl DatabaseArgs {
    /// The pool settings these arguments describe.
    pub fn pool_options(&self) -> model::PoolOptions {
        model::PoolOptions {
            max_size: self.db_pool_size,
            connection_timeout: std::time::Duration::from_secs(self.db_timeout_secs),
            statement_timeout: std::time::Duration::from_secs(
                self.db_statement_timeout_secs.max(1),
            ),
        }
    }

    /// How much of the event journal to keep.
    pub fn retention(&self) -> model::Retention {
        model::Retention {
            max_rows: self.journal_max_events,
            max_age: std::time::Duration::from_secs(self.journal_max_age_hours * 3600),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::listen_addr;

    #[test]
    fn listen_addresses_take_ips_and_host_names() {
        assert_eq!(
            listen_addr("127.0.0.1:8080").unwrap(),
            "127.0.0.1:8080".parse().unwrap()
        );
        assert_eq!(listen_addr("[::1]:0").unwrap(), "[::1]:0".parse().unwrap());
        assert_eq!(
            listen_addr("localhost:8080").unwrap(),
            "127.0.0.1:8080".parse().unwrap()
        );
        let error = listen_addr("localhost").unwrap_err();
        assert!(error.contains("expected HOST:PORT"), "{error}");
        assert!(listen_addr("8080").is_err());
    }
}

//! Connections: which backend a `DATABASE_URL` means, and the pool that hands them out.
//!
//! # Why an enum of two connections, and not `diesel::MultiConnection`
//!
//! The store's queries are written once, in [`crate::store`], and the
//! [`with_backend!`](crate::with_backend) macro compiles each one twice: once against
//! [`PgConnection`] and the PostgreSQL schema, once against [`SqliteConnection`] and the
//! SQLite schema. Each backend therefore gets its native types (`TIMESTAMPTZ` on
//! PostgreSQL, RFC 3339 text on SQLite) and native features (`RETURNING`, batch
//! inserts), which `MultiConnection` would reduce to their common subset.
//!
//! The backend is picked from the URL's scheme by [`DatabaseUrl::parse`], never by
//! trying one driver after the other: SQLite accepts almost any string as a file name,
//! so a mistyped PostgreSQL URL would silently become a new, empty SQLite file.
//!
//! Both drivers are compiled from source (`pq-sys/bundled_without_openssl`,
//! `libsqlite3-sys/bundled`), so no system libpq or libsqlite3 is needed. The bundled
//! libpq has no TLS: connect to PostgreSQL over a trusted network or a local socket.

use std::fmt;
use std::path::PathBuf;
use std::time::Duration;

use diesel::connection::SimpleConnection;
use diesel::prelude::*;
use diesel::r2d2::{self, ManageConnection, R2D2Connection};
use secrecy::{ExposeSecret, SecretString};

/// The two databases this project speaks to.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Backend {
    /// A PostgreSQL server (`postgres://` or `postgresql://`), as in the Compose stack.
    Postgres,
    /// An SQLite file, the embedded default.
    Sqlite,
}

impl fmt::Display for Backend {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            Backend::Postgres => "postgres",
            Backend::Sqlite => "sqlite",
        })
    }
}

/// A parsed `DATABASE_URL`. The URL itself may hold a password, so it is kept secret:
/// `Debug` and `Display` show it with the password removed.
#[derive(Clone)]
pub struct DatabaseUrl {
    backend: Backend,
    url: SecretString,
}

/// Where the embedded SQLite database lives when `DATABASE_URL` is not set.
pub const DEFAULT_SQLITE_PATH: &str = "./data/protocols.sqlite3";

impl DatabaseUrl {
    /// Reads a URL: `postgres://…` or `postgresql://…` is PostgreSQL; `sqlite://path`,
    /// a `file:` URI or a plain path is an SQLite file.
    pub fn parse(url: &str) -> Result<DatabaseUrl, String> {
        let url = url.trim();
        if url.is_empty() {
            return Err(
                "DATABASE_URL is empty: give a postgres:// URL or an SQLite file path".to_owned(),
            );
        }
        let (backend, url) = if url.starts_with("postgres://") || url.starts_with("postgresql://") {
            (Backend::Postgres, url)
        } else if let Some(path) = url.strip_prefix("sqlite://") {
            (Backend::Sqlite, path)
        } else if url.contains("://") {
            return Err(format!(
                "DATABASE_URL has an unknown scheme: {}; expected postgres:// or an SQLite file path",
                url.split("://").next().unwrap_or_default()
            ));
        } else {
            (Backend::Sqlite, url)
        };
        Ok(DatabaseUrl {
            backend,
            url: SecretString::from(url.to_owned()),
        })
    }

    /// The embedded default, [`DEFAULT_SQLITE_PATH`].
    pub fn default_sqlite() -> DatabaseUrl {
        DatabaseUrl::parse(DEFAULT_SQLITE_PATH).expect("the default path is valid")
    }

    /// Which backend this URL selects.
    pub fn backend(&self) -> Backend {
        self.backend
    }

    /// The URL as given to the driver. Only for code that must connect.
    pub fn expose(&self) -> &str {
        self.url.expose_secret()
    }

    /// For an SQLite file, its path (without a `file:` prefix or query).
    pub fn sqlite_path(&self) -> Option<PathBuf> {
        if self.backend != Backend::Sqlite {
            return None;
        }
        let raw = self.expose();
        let raw = raw.strip_prefix("file:").unwrap_or(raw);
        let raw = raw.split('?').next().unwrap_or(raw);
        Some(PathBuf::from(raw))
    }
}

impl std::str::FromStr for DatabaseUrl {
    type Err = String;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        DatabaseUrl::parse(s)
    }
}

impl fmt::Display for DatabaseUrl {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let url = self.expose();
        match (self.backend, url.split_once("://")) {
            (Backend::Postgres, Some((scheme, rest))) => match rest.rsplit_once('@') {
                // Drop whatever stands between ':' and '@' in the user info.
                Some((user_info, host)) => {
                    let user = user_info.split(':').next().unwrap_or_default();
                    write!(f, "{scheme}://{user}@{host}")
                }
                None => write!(f, "{url}"),
            },
            _ => write!(f, "{url}"),
        }
    }
}

impl fmt::Debug for DatabaseUrl {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "DatabaseUrl({self})")
    }
}

/// One open connection, to whichever backend the URL chose.
pub enum AnyConnection {
    /// A PostgreSQL session.
    Postgres(PgConnection),
    /// An SQLite file handle.
    Sqlite(SqliteConnection),
}

/// Compiles one block of diesel code for both backends.
///
/// `$table` names the schema module inside the block: the PostgreSQL one in the first
/// arm, the SQLite one in the second. The block is written once; the types differ.
///
/// ```text
/// with_backend!(conn, |c, dummies| dummies::table.count().get_result::<i64>(c))
/// ```
#[macro_export]
#[doc(hidden)]
macro_rules! with_backend {
    ($conn:expr, |$c:ident, $table:ident| $body:expr) => {
        match $conn {
            $crate::db::AnyConnection::Postgres($c) => {
                #[allow(unused_imports)]
                use $crate::schema::postgres::dummies as $table;
                $body
            }
            $crate::db::AnyConnection::Sqlite($c) => {
                #[allow(unused_imports)]
                use $crate::schema::sqlite::dummies as $table;
                $body
            }
        }
    };
}

/// Settings for [`Pool`]; the defaults suit a small service.
#[derive(Debug, Clone)]
pub struct PoolOptions {
    /// Most connections open at once.
    pub max_size: u32,
    /// How long a request waits for a free connection before the database counts as unavailable.
    pub connection_timeout: Duration,
    /// PostgreSQL only: the longest one statement may run (`statement_timeout`), so a
    /// query stuck behind a lock answers "unavailable" instead of hanging.
    pub statement_timeout: Duration,
}

impl Default for PoolOptions {
    fn default() -> Self {
        PoolOptions {
            max_size: 10,
            connection_timeout: Duration::from_secs(5),
            statement_timeout: Duration::from_secs(30),
        }
    }
}

/// Database settings, shared by every binary's `--help` (flattened into its config).
#[derive(Debug, Clone, clap::Args)]
pub struct DatabaseArgs {
    /// postgres://user@host/db selects PostgreSQL; a file path selects SQLite.
    #[arg(long, env = "DATABASE_URL", default_value = DEFAULT_SQLITE_PATH, value_parser = DatabaseUrl::parse)]
    pub database_url: DatabaseUrl,

    /// Most database connections this process holds open.
    #[arg(long, env = "DB_POOL_SIZE", default_value_t = 10)]
    pub db_pool_size: u32,

    /// Seconds a request waits for a free connection before answering "unavailable".
    #[arg(long, env = "DB_TIMEOUT_SECS", default_value_t = 5)]
    pub db_timeout_secs: u64,

    /// PostgreSQL: seconds one statement may run before it is cancelled ("unavailable").
    #[arg(long, env = "DB_STATEMENT_TIMEOUT_SECS", default_value_t = 30)]
    pub db_statement_timeout_secs: u64,
}

impl DatabaseArgs {
    /// Settings for a local database with the default pool.
    pub fn new(database_url: DatabaseUrl) -> DatabaseArgs {
        let defaults = PoolOptions::default();
        DatabaseArgs {
            database_url,
            db_pool_size: defaults.max_size,
            db_timeout_secs: defaults.connection_timeout.as_secs(),
            db_statement_timeout_secs: defaults.statement_timeout.as_secs(),
        }
    }

    /// The pool settings these arguments describe.
    pub fn pool_options(&self) -> PoolOptions {
        PoolOptions {
            max_size: self.db_pool_size,
            connection_timeout: Duration::from_secs(self.db_timeout_secs),
            statement_timeout: Duration::from_secs(self.db_statement_timeout_secs.max(1)),
        }
    }
}

/// The r2d2 pool of [`AnyConnection`]s.
pub type Pool = r2d2::Pool<Manager>;
/// A connection borrowed from the [`Pool`].
pub type PooledConnection = r2d2::PooledConnection<Manager>;

/// Opens connections for the pool, choosing the driver from the URL's backend.
#[derive(Debug)]
pub struct Manager {
    url: DatabaseUrl,
    statement_timeout: Duration,
}

impl Manager {
    /// A manager for this URL, whose PostgreSQL connections cancel any statement that
    /// runs longer than `statement_timeout`.
    pub fn new(url: DatabaseUrl, statement_timeout: Duration) -> Manager {
        Manager {
            url,
            statement_timeout,
        }
    }
}

/// SQLite settings applied to every new connection:
/// - WAL lets readers run while one writer writes;
/// - `busy_timeout` makes a second writer wait instead of failing at once;
/// - `synchronous = NORMAL` is safe with WAL and much faster than FULL.
const SQLITE_PRAGMAS: &str = "PRAGMA journal_mode = WAL; PRAGMA busy_timeout = 5000; \
     PRAGMA synchronous = NORMAL; PRAGMA foreign_keys = ON;";

/// Opens one connection, without a pool (used by the pool and by migrations).
pub fn establish(url: &DatabaseUrl) -> ConnectionResult<AnyConnection> {
    match url.backend() {
        Backend::Postgres => PgConnection::establish(url.expose()).map(AnyConnection::Postgres),
        Backend::Sqlite => {
            if let Some(parent) = url.sqlite_path().as_deref().and_then(|p| p.parent())
                && !parent.as_os_str().is_empty()
            {
                // A new checkout has no ./data yet; create it instead of failing.
                let _ = std::fs::create_dir_all(parent);
            }
            let mut conn = SqliteConnection::establish(url.expose())?;
            conn.batch_execute(SQLITE_PRAGMAS)
                .map_err(|e| ConnectionError::BadConnection(e.to_string()))?;
            Ok(AnyConnection::Sqlite(conn))
        }
    }
}

impl ManageConnection for Manager {
    type Connection = AnyConnection;
    type Error = r2d2::Error;

    fn connect(&self) -> Result<AnyConnection, r2d2::Error> {
        let mut conn = establish(&self.url).map_err(r2d2::Error::ConnectionError)?;
        if let AnyConnection::Postgres(c) = &mut conn {
            let millis = self.statement_timeout.as_millis();
            c.batch_execute(&format!("SET statement_timeout = {millis}"))
                .map_err(r2d2::Error::QueryError)?;
        }
        Ok(conn)
    }

    fn is_valid(&self, conn: &mut AnyConnection) -> Result<(), r2d2::Error> {
        let ping = match conn {
            AnyConnection::Postgres(c) => c.ping(),
            AnyConnection::Sqlite(c) => c.ping(),
        };
        ping.map_err(r2d2::Error::QueryError)
    }

    fn has_broken(&self, conn: &mut AnyConnection) -> bool {
        match conn {
            AnyConnection::Postgres(c) => c.is_broken(),
            AnyConnection::Sqlite(c) => c.is_broken(),
        }
    }
}

/// Logs the pool's background connection errors through `tracing` instead of stderr.
#[derive(Debug)]
struct TracingErrorHandler;

impl r2d2::HandleError<r2d2::Error> for TracingErrorHandler {
    fn handle_error(&self, error: r2d2::Error) {
        tracing::warn!(%error, "database connection failed");
    }
}

/// Builds the pool without connecting: a service starts even while its database is
/// down, answers "unavailable", and recovers by itself when the database returns.
pub fn pool(url: &DatabaseUrl, options: &PoolOptions) -> Pool {
    r2d2::Pool::builder()
        .max_size(options.max_size.max(1))
        .min_idle(Some(0))
        .connection_timeout(options.connection_timeout)
        .test_on_check_out(true)
        .error_handler(Box::new(TracingErrorHandler))
        .build_unchecked(Manager::new(url.clone(), options.statement_timeout))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn scheme_picks_the_backend() {
        assert_eq!(
            DatabaseUrl::parse("postgres://u@h/db").unwrap().backend(),
            Backend::Postgres
        );
        assert_eq!(
            DatabaseUrl::parse("postgresql://u@h/db").unwrap().backend(),
            Backend::Postgres
        );
        assert_eq!(
            DatabaseUrl::parse("./data/x.sqlite3").unwrap().backend(),
            Backend::Sqlite
        );
        assert_eq!(
            DatabaseUrl::parse("file:x.db?mode=ro").unwrap().backend(),
            Backend::Sqlite
        );
        let sqlite = DatabaseUrl::parse("sqlite:///tmp/x.db").unwrap();
        assert_eq!(sqlite.sqlite_path(), Some(PathBuf::from("/tmp/x.db")));
        assert!(DatabaseUrl::parse("mysql://h/db").is_err());
        assert!(DatabaseUrl::parse("").is_err());
    }

    #[test]
    fn password_never_shows_in_debug_or_display() {
        let url = DatabaseUrl::parse("postgres://app:s3cret@db:5432/protocols").unwrap();
        assert_eq!(url.to_string(), "postgres://app@db:5432/protocols");
        assert!(!format!("{url:?}").contains("s3cret"));
        assert_eq!(url.expose(), "postgres://app:s3cret@db:5432/protocols");
    }
}

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
use std::io::{self, Read};
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex, PoisonError};
use std::time::{Duration, Instant};

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

    /// Checks, once at start-up, that this URL can ever work, creating what a first run
    /// lacks: for an SQLite file, its directory is created and must be writable (SQLite
    /// writes its `-wal` and `-shm` files beside the database), and the file must be an
    /// SQLite database or empty (SQLite makes a new one of a missing or empty file).
    /// A PostgreSQL URL passes: a server that is down may come up, so the service
    /// listens, answers "unavailable" and waits for it.
    ///
    /// Every binary calls this before it listens and exits non-zero on an error, whose
    /// message names the path and the operating system's reason.
    ///
    /// # Errors
    /// A [`ConfigError`] for the first check that fails.
    pub fn prepare(&self) -> Result<(), ConfigError> {
        match self.sqlite_file() {
            Some(file) => file.prepare(),
            None => Ok(()),
        }
    }

    /// The SQLite file this URL opens, if it is one on disk (not `:memory:`).
    fn sqlite_file(&self) -> Option<SqliteFile> {
        let path = self.sqlite_path()?;
        let query = self.expose().split_once('?').map_or("", |(_, q)| q);
        let mode = query
            .split('&')
            .find_map(|pair| pair.strip_prefix("mode="))
            .unwrap_or("rwc");
        if path.as_os_str().is_empty() || path == Path::new(":memory:") || mode == "memory" {
            return None;
        }
        Some(SqliteFile {
            path,
            read_only: mode == "ro",
        })
    }
}

/// A database setting that can never work, found at start-up by [`DatabaseUrl::prepare`].
/// Unlike [`crate::Error::Unavailable`], waiting does not help: the process should stop
/// and say what to fix.
#[derive(Debug, thiserror::Error)]
pub enum ConfigError {
    /// The SQLite file's directory does not exist and cannot be created.
    #[error(
        "cannot create the directory {} for the SQLite database {}: {reason}",
        .path.display(),
        .database.display()
    )]
    CreateDirectory {
        /// The directory.
        path: PathBuf,
        /// The database file.
        database: PathBuf,
        /// What the operating system said.
        reason: io::Error,
    },
    /// Nothing can be written in the SQLite file's directory.
    #[error(
        "cannot write in the directory {} of the SQLite database {}: {reason}",
        .path.display(),
        .database.display()
    )]
    DirectoryNotWritable {
        /// The directory.
        path: PathBuf,
        /// The database file.
        database: PathBuf,
        /// What the operating system said.
        reason: io::Error,
    },
    /// The SQLite file cannot be opened (or created) for reading and writing.
    #[error("cannot open the SQLite database {}: {reason}", .path.display())]
    Open {
        /// The file.
        path: PathBuf,
        /// What the operating system said.
        reason: io::Error,
    },
    /// The file exists but is not an SQLite database.
    #[error(
        "{} is not an SQLite database: it is not empty and does not start with the SQLite header",
        .path.display()
    )]
    NotADatabase {
        /// The file.
        path: PathBuf,
    },
}

/// The first 16 bytes of every SQLite database file.
const SQLITE_HEADER: &[u8; 16] = b"SQLite format 3\0";

/// An SQLite database file on disk, as [`DatabaseUrl::prepare`] checks it.
struct SqliteFile {
    path: PathBuf,
    /// `?mode=ro`: nothing is created, and nothing needs to be writable.
    read_only: bool,
}

impl SqliteFile {
    fn prepare(&self) -> Result<(), ConfigError> {
        let dir = match self.path.parent() {
            Some(dir) if !dir.as_os_str().is_empty() => dir,
            _ => Path::new("."),
        };
        if !self.read_only {
            self.prepare_directory(dir)?;
        }
        self.check_file()
    }

    /// Creates the directory (a new checkout has no `./data`) and writes a probe file in it.
    fn prepare_directory(&self, dir: &Path) -> Result<(), ConfigError> {
        if let Err(reason) = std::fs::create_dir_all(dir) {
            // Something that is not a directory stands there: the probe below says what.
            if reason.kind() != io::ErrorKind::AlreadyExists {
                return Err(ConfigError::CreateDirectory {
                    path: dir.to_owned(),
                    database: self.path.clone(),
                    reason,
                });
            }
        }
        let file_name = self.path.file_name().unwrap_or_default().to_string_lossy();
        let probe = dir.join(format!(".{file_name}.{}.probe", std::process::id()));
        let written = std::fs::OpenOptions::new()
            .write(true)
            .create(true)
            .truncate(true)
            .open(&probe);
        match written {
            Ok(file) => {
                drop(file);
                let _ = std::fs::remove_file(&probe);
                Ok(())
            }
            Err(reason) => Err(ConfigError::DirectoryNotWritable {
                path: dir.to_owned(),
                database: self.path.clone(),
                reason,
            }),
        }
    }

    /// Opens the file as SQLite will (creating it unless read-only) and reads its header.
    fn check_file(&self) -> Result<(), ConfigError> {
        let open_error = |reason| ConfigError::Open {
            path: self.path.clone(),
            reason,
        };
        let mut file = std::fs::OpenOptions::new()
            .read(true)
            .write(!self.read_only)
            .create(!self.read_only)
            .truncate(false)
            .open(&self.path)
            .map_err(open_error)?;
        let mut header = Vec::with_capacity(SQLITE_HEADER.len());
        file.by_ref()
            .take(SQLITE_HEADER.len() as u64)
            .read_to_end(&mut header)
            .map_err(open_error)?;
        if header.is_empty() || header == SQLITE_HEADER {
            Ok(())
        } else {
            Err(ConfigError::NotADatabase {
                path: self.path.clone(),
            })
        }
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

/// The r2d2 pool of [`AnyConnection`]s.
pub type Pool = r2d2::Pool<Manager>;

/// A pooled connection, and when the database last answered on it.
pub struct Pooled {
    /// The connection.
    pub conn: AnyConnection,
    /// When a statement last came back from the database (see [`Pooled::answered`]).
    answered: Instant,
}

impl Pooled {
    /// Records that the database just answered on this connection: the pool hands it
    /// out again without a ping for [`ALIVE_WINDOW`].
    pub fn answered(&mut self) {
        self.answered = Instant::now();
    }
}

/// How long after an answer a connection counts as alive without a ping. The pool
/// checks each connection before lending it (`SELECT 1`), so that one dropped while
/// it sat idle (the database restarted, a proxy cut it) is replaced instead of
/// failing the next request. On PostgreSQL that check is a network round trip per
/// request, doubling a primary-key read; a connection that answered a moment ago is
/// very likely still alive. HikariCP skips its check the same way (its
/// `aliveBypassWindowMs`, also 500 ms). One that died within the window fails its
/// request as unavailable, and the pool then drops it as broken.
pub const ALIVE_WINDOW: Duration = Duration::from_millis(500);

/// Opens connections for the pool, choosing the driver from the URL's backend.
#[derive(Debug)]
pub struct Manager {
    url: DatabaseUrl,
    statement_timeout: Duration,
    failures: Arc<ConnectFailures>,
    /// SQLite readers: `query_only`, and busy at once rather than after a wait.
    reader: bool,
    /// Pings sent to check a connection before lending it (see [`ALIVE_WINDOW`]).
    pub(crate) pings: Arc<AtomicU64>,
}

impl Manager {
    /// A manager for this URL, whose PostgreSQL connections cancel any statement that
    /// runs longer than `statement_timeout`.
    pub fn new(url: DatabaseUrl, statement_timeout: Duration) -> Manager {
        Manager {
            url,
            statement_timeout,
            failures: Arc::new(ConnectFailures::new("pool")),
            reader: false,
            pings: Arc::default(),
        }
    }

    fn open(&self) -> Result<AnyConnection, r2d2::Error> {
        let mut conn = establish(&self.url).map_err(r2d2::Error::ConnectionError)?;
        match &mut conn {
            AnyConnection::Postgres(c) => {
                let millis = self.statement_timeout.as_millis();
                c.batch_execute(&format!("SET statement_timeout = {millis}"))
                    .map_err(r2d2::Error::QueryError)?;
            }
            AnyConnection::Sqlite(c) if self.reader => {
                c.batch_execute(SQLITE_READER_PRAGMAS)
                    .map_err(r2d2::Error::QueryError)?;
            }
            AnyConnection::Sqlite(_) => {}
        }
        Ok(conn)
    }
}

/// Logs the failed attempts of one connection (the pool's, the change listener's) once
/// per outage: the first at WARN, the others at DEBUG, and the first success after them
/// at INFO. The pool retries every few hundred milliseconds while the database is down;
/// a line for each attempt would bury everything else in the log. The migrations at
/// start-up log one line per step of their own back-off (see
/// [`Store::migrate_until_ready`](crate::Store::migrate_until_ready)).
#[derive(Debug)]
pub(crate) struct ConnectFailures {
    /// Which connection, in the log lines.
    connection: &'static str,
    outage: Mutex<Option<Outage>>,
}

#[derive(Debug)]
struct Outage {
    since: Instant,
    attempts: u64,
    reason: String,
}

impl ConnectFailures {
    pub(crate) const fn new(connection: &'static str) -> ConnectFailures {
        ConnectFailures {
            connection,
            outage: Mutex::new(None),
        }
    }

    /// One attempt failed.
    pub(crate) fn failed(&self, error: &dyn fmt::Display) {
        let reason = one_line(error);
        let mut outage = self.outage.lock().unwrap_or_else(PoisonError::into_inner);
        match outage.as_mut() {
            Some(outage) => {
                outage.attempts += 1;
                outage.reason.clone_from(&reason);
                let attempt = outage.attempts;
                tracing::debug!(connection = self.connection, attempt, %reason, "database connection failed again");
            }
            None => {
                *outage = Some(Outage {
                    since: Instant::now(),
                    attempts: 1,
                    reason: reason.clone(),
                });
                tracing::warn!(
                    connection = self.connection,
                    %reason,
                    "database connection failed; retrying, and logging further failures at debug level until it connects"
                );
            }
        }
    }

    /// An attempt succeeded: ends the outage, if there was one.
    pub(crate) fn succeeded(&self) {
        let ended = self
            .outage
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .take();
        if let Some(outage) = ended {
            tracing::info!(
                connection = self.connection,
                failed_attempts = outage.attempts,
                down_for = ?outage.since.elapsed(),
                "database connection is back"
            );
        }
    }

    /// The reason of the last failure, while the outage lasts.
    pub(crate) fn last_reason(&self) -> Option<String> {
        self.outage
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .as_ref()
            .map(|o| o.reason.clone())
    }
}

/// An error message on one line: libpq's add a hint on a second, indented one.
pub(crate) fn one_line(error: &dyn fmt::Display) -> String {
    error
        .to_string()
        .split_whitespace()
        .collect::<Vec<_>>()
        .join(" ")
}

/// SQLite settings applied to every new connection:
/// - WAL lets readers run while one writer writes;
/// - `busy_timeout` makes a second writer wait instead of failing at once;
/// - `synchronous = FULL`: a commit returns once the `-wal` file is synced to disk, so
///   an acknowledged write survives a power cut, not only the process being killed
///   (with `NORMAL` the last commits before a power cut may be lost). One sync per
///   commit is what group commit ([`crate::writer`]) shares among the writes waiting.
///
/// The busy timeout comes first: switching to WAL needs a lock, and a connection
/// opened while another one writes (the migrations at start-up) then waits for it
/// instead of failing with "database is locked".
const SQLITE_PRAGMAS: &str = "PRAGMA busy_timeout = 5000; PRAGMA journal_mode = WAL; \
     PRAGMA synchronous = FULL; PRAGMA foreign_keys = ON;";

/// What makes a connection of the SQLite readers' pool ([`sqlite_readers`]) different:
/// it cannot write, and a lock it cannot take fails at once (`SQLITE_BUSY`), since it
/// runs on an async worker thread that must not wait.
const SQLITE_READER_PRAGMAS: &str = "PRAGMA busy_timeout = 0; PRAGMA query_only = 1;";

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
            let mut conn = SqliteConnection::establish(url.expose()).map_err(|error| {
                // SQLite says only "unable to open": find the path and the reason.
                match url.sqlite_file().map(|file| file.prepare()) {
                    Some(Err(config)) => ConnectionError::BadConnection(config.to_string()),
                    _ => ConnectionError::BadConnection(format!("{error} ({url})")),
                }
            })?;
            conn.batch_execute(SQLITE_PRAGMAS)
                .map_err(|e| ConnectionError::BadConnection(e.to_string()))?;
            Ok(AnyConnection::Sqlite(conn))
        }
    }
}

impl ManageConnection for Manager {
    type Connection = Pooled;
    type Error = r2d2::Error;

    fn connect(&self) -> Result<Pooled, r2d2::Error> {
        let opened = self.open();
        match &opened {
            // A reader that cannot open yet costs nothing (reads take the blocking
            // pool), and the main pool reports the database's state: no WARN lines.
            Err(error) if self.reader => {
                tracing::debug!(reason = %one_line(error), "SQLite reader cannot open yet");
            }
            Ok(_) => self.failures.succeeded(),
            Err(error) => self.failures.failed(error),
        }
        opened.map(|conn| Pooled {
            conn,
            answered: Instant::now(),
        })
    }

    fn is_valid(&self, pooled: &mut Pooled) -> Result<(), r2d2::Error> {
        if pooled.answered.elapsed() < ALIVE_WINDOW {
            return Ok(());
        }
        self.pings.fetch_add(1, Ordering::Relaxed);
        let ping = match &mut pooled.conn {
            AnyConnection::Postgres(c) => c.ping(),
            AnyConnection::Sqlite(c) => c.ping(),
        };
        ping.map_err(r2d2::Error::QueryError)?;
        pooled.answered();
        Ok(())
    }

    fn has_broken(&self, pooled: &mut Pooled) -> bool {
        match &mut pooled.conn {
            AnyConnection::Postgres(c) => c.is_broken(),
            AnyConnection::Sqlite(c) => c.is_broken(),
        }
    }
}

/// Sends the pool's errors to `tracing` at DEBUG instead of r2d2's own `log` at ERROR:
/// connection attempts report through [`ConnectFailures`] already, once per outage, and a
/// pooled connection that fails its check is replaced by a new one.
#[derive(Debug)]
struct TracingErrorHandler;

impl r2d2::HandleError<r2d2::Error> for TracingErrorHandler {
    fn handle_error(&self, error: r2d2::Error) {
        tracing::debug!(reason = %one_line(&error), "database pool error");
    }
}

/// Builds the pool without connecting: a service starts even while its database is
/// down, answers "unavailable", and recovers by itself when the database returns.
pub fn pool(url: &DatabaseUrl, options: &PoolOptions) -> Pool {
    pool_and_failures(url, options).0
}

/// The pool's failed connection attempts, and its pings ([`ALIVE_WINDOW`]).
pub(crate) type PoolRecords = (Arc<ConnectFailures>, Arc<AtomicU64>);

/// [`pool`], and the record of its failed connection attempts (for the reason a
/// timed-out caller reports: see [`crate::error::from_pool`]).
pub(crate) fn pool_and_failures(url: &DatabaseUrl, options: &PoolOptions) -> (Pool, PoolRecords) {
    let manager = Manager::new(url.clone(), options.statement_timeout);
    let records = (manager.failures.clone(), manager.pings.clone());
    let pool = r2d2::Pool::builder()
        .max_size(options.max_size.max(1))
        .min_idle(Some(0))
        .connection_timeout(options.connection_timeout)
        .test_on_check_out(true)
        .error_handler(Box::new(TracingErrorHandler))
        .build_unchecked(manager);
    (pool, records)
}

/// The SQLite readers: connections a short read runs on inline, on the caller's own
/// thread, without the hop to the blocking pool (see `Store::read`). A WAL database
/// lets them read while a write is in progress, and a primary-key read takes
/// microseconds, less than the two thread hand-offs it saves. r2d2 keeps one idle
/// reader ready and opens more as reads take them, up to `max_size`, in its own
/// threads (never the caller's), retrying in the background while it cannot; until
/// one is idle, reads take the blocking path.
pub(crate) fn sqlite_readers(url: &DatabaseUrl, options: &PoolOptions) -> Pool {
    let mut manager = Manager::new(url.clone(), options.statement_timeout);
    manager.reader = true;
    r2d2::Pool::builder()
        .max_size(options.max_size.max(1))
        .min_idle(Some(1))
        .test_on_check_out(false)
        .error_handler(Box::new(TracingErrorHandler))
        .build_unchecked(manager)
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

    /// A fresh directory under the system's temporary one, removed when dropped.
    struct Scratch(PathBuf);

    impl Scratch {
        fn new(name: &str) -> Scratch {
            let dir = std::env::temp_dir().join(format!(
                "model-db-{name}-{}-{:?}",
                std::process::id(),
                std::thread::current().id()
            ));
            let _ = std::fs::remove_dir_all(&dir);
            std::fs::create_dir_all(&dir).unwrap();
            Scratch(dir)
        }

        fn url(&self, relative: &str) -> DatabaseUrl {
            DatabaseUrl::parse(self.0.join(relative).to_str().unwrap()).unwrap()
        }
    }

    impl Drop for Scratch {
        fn drop(&mut self) {
            let _ = std::fs::remove_dir_all(&self.0);
        }
    }

    #[test]
    fn prepare_creates_the_missing_directory_and_leaves_no_probe_behind() {
        let scratch = Scratch::new("create");
        scratch.url("data/deeper/db.sqlite3").prepare().unwrap();
        let dir = scratch.0.join("data/deeper");
        let entries: Vec<_> = std::fs::read_dir(&dir)
            .unwrap()
            .map(|e| e.unwrap().file_name())
            .collect();
        // Only the (empty) database file, which SQLite takes as a new database.
        assert_eq!(entries, vec![std::ffi::OsString::from("db.sqlite3")]);
        // It opens, and a second start finds a real SQLite file there.
        drop(establish(&scratch.url("data/deeper/db.sqlite3")).unwrap());
        scratch.url("data/deeper/db.sqlite3").prepare().unwrap();
    }

    #[test]
    fn a_directory_that_is_a_regular_file_names_the_path_and_the_reason() {
        // Tests run as root here, where no permission is ever denied: a regular file
        // where the directory should be fails for everyone.
        let scratch = Scratch::new("file-as-dir");
        std::fs::write(scratch.0.join("plain"), "not a directory").unwrap();
        let error = scratch.url("plain/db.sqlite3").prepare().unwrap_err();
        assert!(
            matches!(error, ConfigError::DirectoryNotWritable { .. }),
            "{error:?}"
        );
        let message = error.to_string();
        assert!(
            message.contains(&*scratch.0.join("plain").to_string_lossy()),
            "{message}"
        );
        assert!(message.contains("Not a directory"), "{message}");

        let error = scratch.url("plain/sub/db.sqlite3").prepare().unwrap_err();
        assert!(
            matches!(error, ConfigError::CreateDirectory { .. }),
            "{error:?}"
        );
        let message = error.to_string();
        assert!(
            message.contains(&*scratch.0.join("plain/sub").to_string_lossy()),
            "{message}"
        );
        assert!(message.contains("Not a directory"), "{message}");
    }

    #[cfg(target_os = "linux")]
    #[test]
    fn a_directory_that_cannot_be_created_names_the_path_and_the_reason() {
        let url = DatabaseUrl::parse("/proc/no-such-dir/db.sqlite3").unwrap();
        let message = url.prepare().unwrap_err().to_string();
        assert!(message.contains("/proc/no-such-dir"), "{message}");
        assert!(message.contains("No such file or directory"), "{message}");
    }

    #[test]
    fn a_file_that_is_not_a_database_is_refused() {
        let scratch = Scratch::new("not-a-db");
        std::fs::write(scratch.0.join("notes.txt"), "dear diary").unwrap();
        let error = scratch.url("notes.txt").prepare().unwrap_err();
        assert!(
            matches!(error, ConfigError::NotADatabase { .. }),
            "{error:?}"
        );
        assert!(
            error
                .to_string()
                .contains(&*scratch.0.join("notes.txt").to_string_lossy())
        );
        // Shorter than the header is no database either.
        std::fs::write(scratch.0.join("short"), "SQLite").unwrap();
        assert!(matches!(
            scratch.url("short").prepare(),
            Err(ConfigError::NotADatabase { .. })
        ));
        // A directory is not a file SQLite can open.
        std::fs::create_dir(scratch.0.join("dir.sqlite3")).unwrap();
        let error = scratch.url("dir.sqlite3").prepare().unwrap_err();
        assert!(matches!(error, ConfigError::Open { .. }), "{error:?}");
        assert!(error.to_string().contains("Is a directory"), "{error}");
    }

    #[test]
    fn an_empty_file_and_postgres_and_memory_pass() {
        let scratch = Scratch::new("pass");
        std::fs::write(scratch.0.join("empty.sqlite3"), "").unwrap();
        scratch.url("empty.sqlite3").prepare().unwrap();
        for url in [
            "postgres://nobody@127.0.0.1:1/nothing",
            ":memory:",
            "file::memory:?cache=shared",
            "file:whatever.db?mode=memory",
        ] {
            DatabaseUrl::parse(url).unwrap().prepare().unwrap();
        }
    }

    #[test]
    fn a_read_only_url_creates_nothing() {
        let scratch = Scratch::new("read-only");
        let path = scratch.0.join("missing/db.sqlite3");
        let url = DatabaseUrl::parse(&format!("file:{}?mode=ro", path.display())).unwrap();
        let error = url.prepare().unwrap_err();
        assert!(matches!(error, ConfigError::Open { .. }), "{error:?}");
        assert!(!scratch.0.join("missing").exists());
    }

    #[test]
    fn sqlite_open_failures_name_the_path_and_the_reason() {
        let scratch = Scratch::new("open-failure");
        std::fs::write(scratch.0.join("plain"), "").unwrap();
        let Err(error) = establish(&scratch.url("plain/db.sqlite3")) else {
            panic!("a database under a regular file opened");
        };
        let message = error.to_string();
        assert!(message.contains("plain"), "{message}");
        assert!(message.contains("Not a directory"), "{message}");
    }

    #[test]
    fn a_timed_out_pool_says_why_the_database_is_unreachable() {
        let url = DatabaseUrl::parse("postgres://nobody@127.0.0.1:1/nothing").unwrap();
        let options = PoolOptions {
            connection_timeout: Duration::from_millis(600),
            ..PoolOptions::default()
        };
        let (pool, (failures, _)) = pool_and_failures(&url, &options);
        for _ in 0..2 {
            let Err(error) = pool.get() else {
                panic!("port 1 answered");
            };
            let error = crate::error::from_pool(error, failures.last_reason());
            let crate::Error::Unavailable(source) = error else {
                panic!("not unavailable: {error:?}");
            };
            let reason = source.to_string();
            assert!(reason.contains("port 1"), "{reason}");
            assert!(!reason.contains('\n'), "{reason}");
        }
    }

    #[test]
    fn connect_failures_keep_the_last_reason_until_a_success() {
        let failures = ConnectFailures::new("test");
        assert_eq!(failures.last_reason(), None);
        failures.failed(&"refused\n\tIs the server running?");
        failures.failed(&"refused again");
        assert_eq!(failures.last_reason().as_deref(), Some("refused again"));
        failures.succeeded();
        assert_eq!(failures.last_reason(), None);
        assert_eq!(
            one_line(&"connection failed: refused\n\tIs the server running?"),
            "connection failed: refused Is the server running?"
        );
    }

    #[test]
    fn password_never_shows_in_debug_or_display() {
        let url = DatabaseUrl::parse("postgres://app:s3cret@db:5432/protocols").unwrap();
        assert_eq!(url.to_string(), "postgres://app@db:5432/protocols");
        assert!(!format!("{url:?}").contains("s3cret"));
        assert_eq!(url.expose(), "postgres://app:s3cret@db:5432/protocols");
    }
}

//! Test helpers: a fresh, migrated database for every test, (feature `server`) a
//! service's server run inside a test, and (feature `browser`) a headless Chromium with
//! the checks of the pages the services serve.
//!
//! - SQLite: a file in a temporary directory, removed when the test ends.
//! - PostgreSQL: a new database `test_<random>` created through the maintenance URL in
//!   `PROTOCOLS_TEST_POSTGRES_URL` (e.g. `postgres://postgres@127.0.0.1:5432/postgres`)
//!   and dropped when the test ends, so tests run in parallel without seeing each
//!   other's rows.
//!
//! Without that variable the PostgreSQL tests are reported as ignored, with the
//! reason, except under CI (`CI=true`), where a missing database fails the run
//! instead. Every integration-test binary runs under [`harness`], which makes that
//! possible.

#![warn(missing_docs)]

use std::sync::LazyLock;

use diesel::{Connection, PgConnection, RunQueryDsl};
use model::DatabaseUrl;

pub mod brokers;
#[cfg(feature = "browser")]
pub mod browser;
pub mod harness;
#[cfg(feature = "browser")]
pub mod pages;
pub mod process;
#[cfg(feature = "server")]
pub mod server;

/// The variable that points the tests at a PostgreSQL server.
pub const POSTGRES_ENV: &str = "PROTOCOLS_TEST_POSTGRES_URL";

/// Which backend a test runs against.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Backend {
    /// A temporary SQLite file.
    Sqlite,
    /// A temporary database on the PostgreSQL server named by [`POSTGRES_ENV`].
    Postgres,
}

/// A database that exists for one test and disappears with this value.
pub struct TestDb {
    /// Where the services under test should connect.
    pub url: DatabaseUrl,
    _dir: Option<tempfile::TempDir>,
    postgres: Option<(String, String)>,
}

static TRACING: LazyLock<()> = LazyLock::new(|| {
    if std::env::var_os("TEST_LOG").is_some() {
        let _ = tracing_subscriber::fmt()
            .with_env_filter("info")
            .with_test_writer()
            .try_init();
    }
});

/// Sets up tracing once per test binary; logs are printed only when `TEST_LOG` is set.
pub fn init_tracing() {
    LazyLock::force(&TRACING);
}

impl TestDb {
    /// A fresh database on `backend`. Without a PostgreSQL server named in
    /// [`POSTGRES_ENV`], a PostgreSQL test is skipped ([`harness::skip`]).
    ///
    /// # Panics
    /// Under CI when [`POSTGRES_ENV`] is missing, or when the server refuses to create
    /// the database: a test environment that is broken must fail loudly.
    pub fn new(backend: Backend) -> TestDb {
        init_tracing();
        match backend {
            Backend::Sqlite => TestDb::sqlite(),
            Backend::Postgres => TestDb::postgres(),
        }
    }

    /// A fresh SQLite file.
    pub fn sqlite() -> TestDb {
        let dir = tempfile::tempdir().expect("create a temporary directory");
        let path = dir.path().join("test.sqlite3");
        TestDb {
            url: DatabaseUrl::parse(path.to_str().expect("temporary paths are UTF-8"))
                .expect("valid path"),
            _dir: Some(dir),
            postgres: None,
        }
    }

    /// A fresh PostgreSQL database on the server named in [`POSTGRES_ENV`]; the test is
    /// skipped when there is none.
    pub fn postgres() -> TestDb {
        match std::env::var(POSTGRES_ENV) {
            Ok(admin_url) if !admin_url.is_empty() => TestDb::postgres_on(&admin_url),
            _ => harness::skip(format!(
                "{POSTGRES_ENV} is not set (e.g. postgres://postgres@127.0.0.1:5432/postgres)"
            )),
        }
    }

    /// A fresh database on the PostgreSQL server at `admin_url`.
    ///
    /// # Panics
    /// When the server can't be reached or refuses to create the database.
    pub fn postgres_on(admin_url: &str) -> TestDb {
        let name = format!("test_{:016x}", fastrand::u64(..));
        let mut admin = PgConnection::establish(admin_url)
            .unwrap_or_else(|e| panic!("cannot connect to {POSTGRES_ENV}: {e}"));
        diesel::sql_query(format!("CREATE DATABASE {name}"))
            .execute(&mut admin)
            .unwrap_or_else(|e| panic!("cannot create database {name}: {e}"));
        let url = with_database(admin_url, &name);
        TestDb {
            url: DatabaseUrl::parse(&url).expect("a postgres URL"),
            _dir: None,
            postgres: Some((admin_url.to_owned(), name)),
        }
    }
}

/// The same server URL with another database name.
fn with_database(url: &str, database: &str) -> String {
    let (base, query) = match url.split_once('?') {
        Some((base, query)) => (base, Some(query)),
        None => (url, None),
    };
    let scheme_end = base.find("://").map_or(0, |i| i + 3);
    let server = match base[scheme_end..].find('/') {
        Some(slash) => &base[..scheme_end + slash],
        None => base,
    };
    match query {
        Some(query) => format!("{server}/{database}?{query}"),
        None => format!("{server}/{database}"),
    }
}

impl Drop for TestDb {
    fn drop(&mut self) {
        if let Some((admin_url, name)) = &self.postgres
            && let Ok(mut admin) = PgConnection::establish(admin_url)
        {
            // FORCE ends the connections the service's pool may still hold.
            let _ = diesel::sql_query(format!("DROP DATABASE IF EXISTS {name} WITH (FORCE)"))
                .execute(&mut admin);
        }
    }
}

impl TestDb {
    /// A store on this database with the migrations applied.
    ///
    /// # Panics
    /// When the migrations fail: the test cannot run.
    pub async fn migrated_store(&self) -> model::Store {
        let store = model::Store::open(&self.url, &model::PoolOptions::default());
        store
            .migrate()
            .await
            .expect("migrations apply to a fresh database");
        store
    }

    /// Takes SQLite's write lock from a connection of its own (`BEGIN EXCLUSIVE`), as
    /// another process would: until the returned connection is dropped or rolls back,
    /// every write waits, up to the store's 5 s busy timeout. For tests of what a
    /// service does while its database is slow.
    ///
    /// # Panics
    /// On a PostgreSQL database, or when the lock can't be taken.
    pub fn hold_sqlite_write_lock(&self) -> diesel::SqliteConnection {
        use diesel::connection::SimpleConnection;
        assert!(
            self.postgres.is_none(),
            "a SQLite lock on a PostgreSQL database"
        );
        let mut holder = diesel::SqliteConnection::establish(self.url.expose())
            .expect("open a second connection to the SQLite file");
        holder
            .batch_execute("BEGIN EXCLUSIVE")
            .expect("take SQLite's write lock");
        holder
    }
}

/// Requires an external program that runs here (`program arg` exits 0); the test is
/// skipped without it ([`harness::skip`]), and fails under CI.
pub fn require_tool(program: &str, arg: &str, why: &str) {
    if !runs(program, &[arg]) {
        harness::skip(format!(
            "{program} is not available ({why}); .ci/run shows how to install it"
        ));
    }
}

/// Requires `python3` with these modules (`import {modules}` succeeds); the test is
/// skipped without them ([`harness::skip`]), and fails under CI.
pub fn require_python(modules: &str, why: &str) {
    require_tool("python3", "--version", why);
    if !runs("python3", &["-c", &format!("import {modules}")]) {
        harness::skip(format!(
            "python3 cannot import {modules} ({why}): pip install -r tests/python/requirements.txt"
        ));
    }
}

/// Whether `program args` runs and exits 0.
fn runs(program: &str, args: &[&str]) -> bool {
    std::process::Command::new(program)
        .args(args)
        .output()
        .is_ok_and(|o| o.status.success())
}

/// Sends a POST with a `size`-byte body the way Python's urllib and requests do: the
/// whole body is written before anything is read. Returns the status code and the body
/// of the answer.
///
/// A server that answers early (a 413 from `Content-Length`) and closes without reading
/// the rest resets the connection, and this fails like those clients do ("broken pipe",
/// "connection reset"), instead of returning the answer.
///
/// # Panics
/// When the write or the read fails, or takes over 30 s.
pub async fn post_whole_body_then_read(
    addr: std::net::SocketAddr,
    path: &str,
    content_type: &str,
    size: usize,
) -> (u16, String) {
    use tokio::io::{AsyncReadExt, AsyncWriteExt};
    let exchange = async {
        let mut stream = tokio::net::TcpStream::connect(addr).await?;
        let head = format!(
            "POST {path} HTTP/1.1\r\nHost: {addr}\r\nContent-Type: {content_type}\r\nContent-Length: {size}\r\n\r\n"
        );
        stream.write_all(head.as_bytes()).await?;
        let chunk = vec![b' '; 64 * 1024];
        let mut written = 0;
        while written < size {
            let n = chunk.len().min(size - written);
            stream.write_all(&chunk[..n]).await?;
            written += n;
        }
        // Read the head, then as many bytes as its Content-Length says, as clients do
        // (the server may keep the connection open a while to discard the rest).
        let mut answer = Vec::new();
        let mut buf = [0u8; 8192];
        loop {
            let n = stream.read(&mut buf).await?;
            if n == 0 {
                break;
            }
            answer.extend_from_slice(&buf[..n]);
            let text = String::from_utf8_lossy(&answer);
            if let Some((head, body)) = text.split_once("\r\n\r\n") {
                let length = head
                    .lines()
                    .find_map(|l| {
                        let (name, value) = l.split_once(':')?;
                        name.eq_ignore_ascii_case("content-length")
                            .then(|| value.trim().parse::<usize>().ok())?
                    })
                    .unwrap_or(usize::MAX);
                if body.len() >= length {
                    break;
                }
            }
        }
        std::io::Result::Ok(String::from_utf8_lossy(&answer).into_owned())
    };
    let answer = tokio::time::timeout(std::time::Duration::from_secs(30), exchange)
        .await
        .expect("the exchange ends within 30 s")
        .unwrap_or_else(|e| panic!("writing the whole {size}-byte body, then reading: {e}"));
    let (head, body) = answer.split_once("\r\n\r\n").expect("an HTTP answer");
    let status = head
        .split_whitespace()
        .nth(1)
        .and_then(|s| s.parse().ok())
        .unwrap_or_else(|| panic!("a status line: {head}"));
    (status, body.to_owned())
}

/// Runs an interoperability script with `python3` and asserts that it succeeded and
/// printed `marker` (its last line when every check passed).
///
/// # Panics
/// When the script fails; its output is in the message.
pub async fn run_python(script: &str, args: &[String], marker: &str) {
    let output = tokio::process::Command::new("python3")
        .arg(script)
        .args(args)
        .output()
        .await
        .expect("run python3");
    let stdout = String::from_utf8_lossy(&output.stdout);
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(
        output.status.success(),
        "{script} failed\n{stdout}\n{stderr}"
    );
    assert!(stdout.contains(marker), "{stdout}");
}

#[cfg(test)]
mod tests {
    use super::with_database;

    #[test]
    fn database_name_is_replaced_and_query_kept() {
        assert_eq!(
            with_database("postgres://u@h:5432/postgres", "t1"),
            "postgres://u@h:5432/t1"
        );
        assert_eq!(
            with_database("postgres://u@h/postgres?sslmode=disable", "t1"),
            "postgres://u@h/t1?sslmode=disable"
        );
        assert_eq!(with_database("postgres://u@h", "t1"), "postgres://u@h/t1");
    }
}

//! The database driver alone: the read a GET by id makes, with none of the project's
//! code around it. Each server thread opens its own connection on first use and keeps
//! it (no pool), the statement is prepared once per connection, and the read runs on
//! the thread that serves the request (no hop to a blocking pool, no `Store`).
//!
//! - SQLite: diesel on the thread's own connection (diesel keeps the prepared
//!   statement of `dummies.find(id)` in the connection's cache), called inline: a
//!   primary-key read from a WAL database takes microseconds. With no `LIMIT ?`, which
//!   would make SQLite prepare the statement again on every call (see `Store::get`).
//! - PostgreSQL: tokio-postgres, one client per thread with its statement prepared.
//!
//! The answer is the same JSON the REST service writes, so the bytes are the same.

use std::cell::RefCell;
use std::sync::{Arc, OnceLock};

use chrono::{DateTime, SecondsFormat, Utc};
use diesel::prelude::*;
use model::db::AnyConnection;
use model::{Backend, DatabaseUrl};

/// The database the driver reads, set once before the servers start.
static URL: OnceLock<DatabaseUrl> = OnceLock::new();

/// Sets the database the driver reads.
pub fn init(url: DatabaseUrl) {
    let _ = URL.set(url);
}

fn url() -> &'static DatabaseUrl {
    URL.get().expect("driver::init ran first")
}

/// One row, as the driver reads it.
pub type Row = (
    i64,
    i32,
    String,
    String,
    i32,
    bool,
    DateTime<Utc>,
    DateTime<Utc>,
);

thread_local! {
    static SQLITE: RefCell<Option<SqliteConnection>> = const { RefCell::new(None) };
    static POSTGRES: RefCell<Option<Arc<Postgres>>> = const { RefCell::new(None) };
}

/// A thread's PostgreSQL client and its prepared statement.
struct Postgres {
    client: tokio_postgres::Client,
    statement: tokio_postgres::Statement,
}

const SELECT: &str = "SELECT id, day, weekday, month, year, pre_seeded, created_at, updated_at \
                      FROM dummies WHERE id = $1";

/// Reads the row `id`, `None` when there is none.
///
/// # Errors
/// The driver's, as text.
pub async fn read(id: i64) -> Result<Option<Row>, String> {
    match url().backend() {
        Backend::Sqlite => read_sqlite(id),
        Backend::Postgres => read_postgres(id).await,
    }
}

fn read_sqlite(id: i64) -> Result<Option<Row>, String> {
    use model::schema::sqlite::dummies;
    SQLITE.with_borrow_mut(|slot| {
        if slot.is_none() {
            match model::db::establish(url()).map_err(|e| e.to_string())? {
                AnyConnection::Sqlite(conn) => *slot = Some(conn),
                AnyConnection::Postgres(_) => return Err("not SQLite".to_owned()),
            }
        }
        let conn = slot.as_mut().expect("opened above");
        dummies::table
            .find(id)
            .get_result::<Row>(conn)
            .optional()
            .map_err(|e| e.to_string())
    })
}

async fn read_postgres(id: i64) -> Result<Option<Row>, String> {
    let pg = match POSTGRES.with_borrow(Clone::clone) {
        Some(pg) => pg,
        None => {
            let (client, connection) =
                tokio_postgres::connect(url().expose(), tokio_postgres::NoTls)
                    .await
                    .map_err(|e| e.to_string())?;
            tokio::spawn(connection);
            let statement = client.prepare(SELECT).await.map_err(|e| e.to_string())?;
            let pg = Arc::new(Postgres { client, statement });
            POSTGRES.set(Some(pg.clone()));
            pg
        }
    };
    let row = pg
        .client
        .query_opt(&pg.statement, &[&id])
        .await
        .map_err(|e| e.to_string())?;
    Ok(row.map(|r| {
        (
            r.get(0),
            r.get(1),
            r.get(2),
            r.get(3),
            r.get(4),
            r.get(5),
            r.get(6),
            r.get(7),
        )
    }))
}

/// The JSON the REST service writes for this row (keys in the same order).
pub fn to_json(row: &Row) -> String {
    let (id, day, weekday, month, year, pre_seeded, created_at, updated_at) = row;
    let at = |t: &DateTime<Utc>| t.to_rfc3339_opts(SecondsFormat::Micros, true);
    serde_json::json!({
        "id": id, "day": day, "weekday": weekday, "month": month, "year": year,
        "pre_seeded": pre_seeded, "created_at": at(created_at), "updated_at": at(updated_at),
    })
    .to_string()
}

//! Embedded migrations, applied at start-up by every service and by `protocols migrate`.
//!
//! Several services may start at once against one PostgreSQL (the Compose stack starts
//! four). They take turns through a session-level advisory lock, so exactly one of them
//! applies a pending migration and the others then find nothing to do. On SQLite the
//! same effect comes from an `IMMEDIATE` transaction, which takes the write lock up front.

use diesel::connection::SimpleConnection;
use diesel::migration::MigrationVersion;
use diesel_migrations::{EmbeddedMigrations, MigrationHarness, embed_migrations};

use crate::db::AnyConnection;
use crate::error::{BoxError, Error};

const POSTGRES: EmbeddedMigrations = embed_migrations!("migrations/postgres");
const SQLITE: EmbeddedMigrations = embed_migrations!("migrations/sqlite");

/// Key of the advisory lock that serialises migrations ("protocol" in ASCII).
const LOCK_KEY: i64 = 0x70_72_6f_74_6f_63_6f_6c;

/// Applies every pending migration and returns the versions it applied (empty when
/// the schema was already up to date).
pub(crate) fn run(conn: &mut AnyConnection) -> Result<Vec<String>, Error> {
    let applied = match conn {
        AnyConnection::Postgres(c) => {
            c.batch_execute(&format!("SELECT pg_advisory_lock({LOCK_KEY})"))
                .map_err(|e| crate::error::from_diesel(e, None))?;
            let result = c.run_pending_migrations(POSTGRES).map(versions);
            // Always release, even when a migration failed.
            let unlock = c.batch_execute(&format!("SELECT pg_advisory_unlock({LOCK_KEY})"));
            let applied = result.map_err(migration_error)?;
            unlock.map_err(|e| crate::error::from_diesel(e, None))?;
            applied
        }
        AnyConnection::Sqlite(c) => c
            .immediate_transaction(|c| {
                c.run_pending_migrations(SQLITE)
                    .map(versions)
                    .map_err(|e| MigrationFailed(e).into_diesel())
            })
            .map_err(|e| crate::error::from_diesel(e, None))?,
    };
    Ok(applied)
}

fn versions(applied: Vec<MigrationVersion<'_>>) -> Vec<String> {
    applied.into_iter().map(|v| v.to_string()).collect()
}

/// A migration that failed because the database went away is worth retrying (the
/// service keeps answering "unavailable" meanwhile); any other failure is fatal.
fn migration_error(err: BoxError) -> Error {
    let message = format!("migration failed: {err}");
    if crate::error::is_transient(&message) {
        Error::Unavailable(message.into())
    } else {
        Error::Internal(message.into())
    }
}

/// Carries a migration error through diesel's transaction API, which wants a diesel error.
struct MigrationFailed(BoxError);

impl MigrationFailed {
    fn into_diesel(self) -> diesel::result::Error {
        diesel::result::Error::QueryBuilderError(format!("migration failed: {}", self.0).into())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_connection_lost_mid_migration_is_retried_not_fatal() {
        // Seen in the reliability suite: the database went away while a service was
        // migrating at start-up, and the service shut itself down.
        let lost = "server closed the connection unexpectedly\n\tThis probably means the server terminated abnormally";
        assert!(matches!(
            migration_error(lost.into()),
            Error::Unavailable(_)
        ));
        let broken = "syntax error at or near \"CREAT\"";
        assert!(matches!(migration_error(broken.into()), Error::Internal(_)));
    }
}

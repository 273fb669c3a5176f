//! Relays: publishers that carry the event journal ([`crate::journal`]) to a broker,
//! and the place each has reached.
//!
//! ```text
//! relays:  name │ position │ updated_at
//!          amqp │       41 │ 1796395253000000
//!          mqtt │       39 │ 1796395252000000
//! ```
//!
//! A relay reads the changes after its `position`, publishes them, and moves
//! `position` only past those the broker confirmed. Killed or cut off between the
//! two, it publishes the unconfirmed ones again when it comes back: each change
//! reaches the broker at least once, and in journal order. A relay seen for the first
//! time starts at the journal's head: it carries the changes made from then on.
//!
//! Two processes running the same relay each publish every change (still at least
//! once, but twice as often); run one.

use chrono::Utc;
use diesel::prelude::*;

use crate::db::AnyConnection;
use crate::error::{Error, from_diesel};
use crate::journal;
use crate::schema::relays::relays as r;
use crate::store::Store;

impl Store {
    /// Where the relay `name` stands: the last journal number it published and had
    /// confirmed. A relay not seen before is recorded at the journal's head.
    ///
    /// # Errors
    /// [`Error::Unavailable`] when the database can't be reached.
    pub async fn relay_position(&self, name: &str) -> Result<i64, Error> {
        let name = name.to_owned();
        self.write(move |conn| {
            let head = journal::bounds(conn)
                .map_err(|e| from_diesel(e, None))?
                .head;
            let now = Utc::now().timestamp_micros();
            let found: QueryResult<i64> = match &mut *conn {
                AnyConnection::Postgres(c) => c.transaction(|c| {
                    diesel::insert_into(r::table)
                        .values((
                            r::name.eq(&name),
                            r::position.eq(head),
                            r::updated_at.eq(now),
                        ))
                        .on_conflict_do_nothing()
                        .execute(c)?;
                    r::table.find(&name).select(r::position).first(c)
                }),
                AnyConnection::Sqlite(c) => c.transaction(|c| {
                    diesel::insert_or_ignore_into(r::table)
                        .values((
                            r::name.eq(&name),
                            r::position.eq(head),
                            r::updated_at.eq(now),
                        ))
                        .execute(c)?;
                    r::table.find(&name).select(r::position).first(c)
                }),
            };
            found.map_err(|e| from_diesel(e, None))
        })
        .await
    }

    /// Moves the relay `name` forward to `position` (never back).
    ///
    /// # Errors
    /// [`Error::Unavailable`] when the database can't be reached.
    pub async fn set_relay_position(&self, name: &str, position: i64) -> Result<(), Error> {
        let name = name.to_owned();
        self.write(move |conn| {
            let now = Utc::now().timestamp_micros();
            let update = diesel::update(r::table)
                .filter(r::name.eq(&name).and(r::position.lt(position)))
                .set((r::position.eq(position), r::updated_at.eq(now)));
            match &mut *conn {
                AnyConnection::Postgres(c) => update.execute(c),
                AnyConnection::Sqlite(c) => update.execute(c),
            }
            .map(drop)
            .map_err(|e| from_diesel(e, None))
        })
        .await
    }
}

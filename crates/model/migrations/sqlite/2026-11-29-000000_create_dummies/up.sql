-- The one table every protocol reads and writes (SQLite flavour of the same schema).
-- AUTOINCREMENT keeps ids from being reused after a delete, as PostgreSQL's identity does.
-- Timestamps are RFC 3339 text in UTC, written by the store.
CREATE TABLE dummies (
    id          INTEGER PRIMARY KEY AUTOINCREMENT NOT NULL,
    day         INTEGER NOT NULL CHECK (day BETWEEN 1 AND 31),
    weekday     TEXT    NOT NULL CHECK (weekday IN ('Monday', 'Tuesday', 'Wednesday', 'Thursday', 'Friday', 'Saturday', 'Sunday')),
    month       TEXT    NOT NULL CHECK (month IN ('January', 'February', 'March', 'April', 'May', 'June', 'July', 'August', 'September', 'October', 'November', 'December')),
    year        INTEGER NOT NULL,
    pre_seeded  BOOLEAN NOT NULL DEFAULT 0,
    created_at  TEXT    NOT NULL,
    updated_at  TEXT    NOT NULL
);

-- The event journal (SQLite flavour; see the PostgreSQL migration and `model::journal`).
-- The store writes each change here itself, in the savepoint of the write that made
-- it; SQLite's one writer thread commits them in the order of their numbers.
-- AUTOINCREMENT: a number is never reused, even after the newest rows are deleted.
CREATE TABLE dummy_events (
    seq       INTEGER PRIMARY KEY AUTOINCREMENT NOT NULL,
    kind      TEXT    NOT NULL CHECK (kind IN ('created', 'updated', 'deleted')),
    dummy_id  BIGINT  NOT NULL,
    dummy     TEXT    NOT NULL,
    at        TEXT    NOT NULL
);
CREATE INDEX dummy_events_at ON dummy_events (at);

CREATE TABLE dummy_events_horizon (
    id              INTEGER PRIMARY KEY CHECK (id = 1),
    pruned_through  BIGINT  NOT NULL
);
INSERT INTO dummy_events_horizon (id, pruned_through) VALUES (1, 0);

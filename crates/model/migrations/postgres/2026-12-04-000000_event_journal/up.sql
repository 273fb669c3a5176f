-- The event journal: every committed change to a Dummy, numbered, kept for a while
-- (see `model::journal`), so that a feed reader that was away can resume from the last
-- number it saw instead of losing what happened meanwhile.
--
-- seq:   strictly increasing, in commit order (see the lock below); never reused.
-- kind:  created, updated or deleted.
-- dummy: the row after the change (for a delete: as it was), as row_to_json writes it.
CREATE TABLE dummy_events (
    seq       BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    kind      TEXT        NOT NULL CHECK (kind IN ('created', 'updated', 'deleted')),
    dummy_id  BIGINT      NOT NULL,
    dummy     TEXT        NOT NULL,
    at        TIMESTAMPTZ NOT NULL DEFAULT now()
);
CREATE INDEX dummy_events_at ON dummy_events (at);

-- How far retention has deleted: every event up to and including `pruned_through` is
-- gone, so a resume from before it gets a "too old" answer. One row.
CREATE TABLE dummy_events_horizon (
    id              INTEGER PRIMARY KEY CHECK (id = 1),
    pruned_through  BIGINT  NOT NULL
);
INSERT INTO dummy_events_horizon (id, pruned_through) VALUES (1, 0);

-- The trigger now writes the change to the journal, in the writing transaction, then
-- NOTIFYs its number with the event:
--   {"seq": 42, "op": "INSERT" | "UPDATE" | "DELETE", "row": {...the row...}}
-- A listener in step uses the payload as it is; one that is behind (or sees a number
-- jump) reads the journal from its last number.
--
-- Commit order: two transactions may take numbers in one order and commit in the
-- other, and a reader that had seen 8 would then never read 7. So a writing
-- transaction takes a transaction-level advisory lock before it numbers its change,
-- and holds it until it commits: numbers are handed out, and become visible, in
-- commit order. The cost is that writes of dummies commit one at a time.
--
-- A bulk load still opts out inside its own transaction with
--   SET LOCAL protocols.quiet = 'on';
-- which `protocols seed` does: seeded rows are neither journaled nor announced.
CREATE OR REPLACE FUNCTION notify_dummy_change() RETURNS trigger AS $$
DECLARE
    body    TEXT;
    number  BIGINT;
BEGIN
    IF current_setting('protocols.quiet', true) = 'on' THEN
        RETURN NULL;
    END IF;
    -- "journal" in ASCII: one lock key for every writer of dummies.
    PERFORM pg_advisory_xact_lock(29958897753022828);
    body := row_to_json(CASE WHEN TG_OP = 'DELETE' THEN OLD ELSE NEW END)::text;
    -- clock_timestamp(), not now(): now() is when the transaction began, and one
    -- that waited for the lock would get a later number but an earlier time.
    INSERT INTO dummy_events (kind, dummy_id, dummy, at)
    VALUES (
        CASE TG_OP WHEN 'INSERT' THEN 'created' WHEN 'UPDATE' THEN 'updated' ELSE 'deleted' END,
        CASE WHEN TG_OP = 'DELETE' THEN OLD.id ELSE NEW.id END,
        body,
        clock_timestamp()
    )
    RETURNING seq INTO number;
    PERFORM pg_notify(
        'dummy_changes',
        json_build_object('seq', number, 'op', TG_OP, 'row', body::json)::text
    );
    RETURN NULL;
END;
$$ LANGUAGE plpgsql;

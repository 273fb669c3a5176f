-- Webhook subscriptions and their deliveries (see `model::webhooks`).
--
-- (SQLite flavour of the PostgreSQL migration.) Times are microseconds since 1970 (BIGINT) on both backends, so one schema serves
-- PostgreSQL and SQLite alike.
--
-- A subscription reads the event journal from `position` on: the deliverer copies each
-- change after it that the subscription wants into `webhook_deliveries`, moving
-- `position` in the same transaction, then sends the oldest pending delivery, one at a
-- time: in journal order, at least once.
CREATE TABLE webhooks (
    id               INTEGER PRIMARY KEY AUTOINCREMENT NOT NULL,
    url              TEXT    NOT NULL,
    -- the kinds it wants, comma-separated (created,updated,deleted); '' = every kind
    kinds            TEXT    NOT NULL,
    description      TEXT    NOT NULL,
    -- whsec_ + base64 of 24 random bytes; never logged, shown only at creation and rotation
    secret           TEXT    NOT NULL,
    state            TEXT    NOT NULL CHECK (state IN ('active', 'paused', 'disabled')),
    -- the last journal number taken into its deliveries
    position         BIGINT  NOT NULL,
    -- failed attempts in a row; at the limit the subscription is disabled
    failures         INTEGER NOT NULL,
    -- no attempt before this time (the backoff after a failure)
    retry_at         BIGINT  NOT NULL,
    -- a deliverer works on it until this time; others leave it alone. The token is
    -- that deliverer's turn: it renews, releases and records failures only with it.
    lease_until      BIGINT  NOT NULL,
    lease_token      TEXT    NOT NULL,
    disabled_reason  TEXT,
    created_at       BIGINT  NOT NULL,
    updated_at       BIGINT  NOT NULL
);

CREATE TABLE webhook_deliveries (
    id               INTEGER PRIMARY KEY AUTOINCREMENT NOT NULL,
    webhook_id       BIGINT  NOT NULL REFERENCES webhooks (id) ON DELETE CASCADE,
    -- the webhook-id header: the same on every attempt of this delivery
    message_id       TEXT    NOT NULL,
    -- the journal number of the change (0 for a note about skipped changes)
    seq              BIGINT  NOT NULL,
    event_type       TEXT    NOT NULL,
    -- the JSON body, fixed when the delivery is made, signed anew on each attempt
    body             TEXT    NOT NULL,
    state            TEXT    NOT NULL CHECK (state IN ('pending', 'delivered', 'skipped')),
    attempts         INTEGER NOT NULL,
    response_status  INTEGER,
    error            TEXT,
    latency_us       BIGINT,
    created_at       BIGINT  NOT NULL,
    attempted_at     BIGINT,
    delivered_at     BIGINT
);
CREATE INDEX webhook_deliveries_by_webhook ON webhook_deliveries (webhook_id, state, id);
-- the echo receiver finds a delivery by its webhook-id
CREATE INDEX webhook_deliveries_by_message ON webhook_deliveries (message_id);

-- Where each relay (a publisher of the event journal to a broker, see `model::relays`)
-- stands: the last journal number the broker confirmed. A relay that restarts resumes
-- after it, so a change reaches the broker at least once.
CREATE TABLE relays (
    name        TEXT    PRIMARY KEY,
    position    BIGINT  NOT NULL,
    -- microseconds since 1970, as in the webhook tables
    updated_at  BIGINT  NOT NULL
);

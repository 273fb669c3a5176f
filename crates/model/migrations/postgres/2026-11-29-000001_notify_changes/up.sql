-- Every committed write to dummies, from any process, becomes a NOTIFY on the channel
-- `dummy_changes`, so that live feeds (gRPC WatchDummies, the WebSocket feed) in every
-- service see writes made through every other service.
--
-- Payload: {"op": "INSERT" | "UPDATE" | "DELETE", "row": {...the row...}}
-- (NOTIFY payloads are limited to 8000 bytes; a row is about 200.)
--
-- A bulk load can opt out inside its own transaction with
--   SET LOCAL protocols.quiet = 'on';
-- which `protocols seed` does: 100,000 seeded rows are not 100,000 live events.
CREATE FUNCTION notify_dummy_change() RETURNS trigger AS $$
BEGIN
    IF current_setting('protocols.quiet', true) = 'on' THEN
        RETURN NULL;
    END IF;
    PERFORM pg_notify(
        'dummy_changes',
        json_build_object(
            'op', TG_OP,
            'row', row_to_json(CASE WHEN TG_OP = 'DELETE' THEN OLD ELSE NEW END)
        )::text
    );
    RETURN NULL;
END;
$$ LANGUAGE plpgsql;

CREATE TRIGGER dummies_notify
    AFTER INSERT OR UPDATE OR DELETE ON dummies
    FOR EACH ROW EXECUTE FUNCTION notify_dummy_change();

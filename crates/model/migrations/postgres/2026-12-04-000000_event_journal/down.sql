CREATE OR REPLACE FUNCTION notify_dummy_change() RETURNS trigger AS $$
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
DROP TABLE dummy_events_horizon;
DROP TABLE dummy_events;

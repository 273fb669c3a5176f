DROP TABLE dummy_events_horizon;
DROP TABLE dummy_events;

DROP TRIGGER dummies_notify ON dummies;
DROP FUNCTION notify_dummy_change();

-- DropTrigger
DROP TRIGGER "outbox_events_notify" ON "outbox_events";

-- DropFunction
DROP FUNCTION "outbox_events_notify"();

-- Wakes the outbox relays when events commit: NOTIFY is delivered at commit (never for a rolled-back
-- change), and once per statement, so a burst inserted by one statement wakes a relay once.
-- The body is an escape string with each semicolon written as \073: the migration runner splits
-- scripts at every semicolon, a dollar-quoted body's included.
CREATE FUNCTION "outbox_events_notify"() RETURNS trigger LANGUAGE plpgsql
  AS E'BEGIN PERFORM pg_notify(\'outbox_events\', \'\')\073 RETURN NULL\073 END';

-- CreateTrigger
CREATE TRIGGER "outbox_events_notify" AFTER INSERT ON "outbox_events"
  FOR EACH STATEMENT EXECUTE FUNCTION "outbox_events_notify"();

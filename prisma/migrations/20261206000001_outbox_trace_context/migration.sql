-- The trace context (W3C traceparent/tracestate) of the change that wrote the event, so its
-- relay and its deliveries continue the same trace. NULL when tracing is off.
-- AlterTable
ALTER TABLE "outbox_events" ADD COLUMN     "trace_context" JSONB;

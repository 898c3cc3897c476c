// What each job carries and returns: the contract between the producers that enqueue a job (the
// outbox relay, services.tasks) and the processors that run it (packages/jobs).

/** A delivery job; its job id is `deliveryId`, so enqueuing it twice is a no-op. */
export type DeliveryJobData = {
  /** The webhook_deliveries row (and `webhook-id` header): derived from the outbox row and the webhook. */
  deliveryId: string;
  webhookId: string;
  eventType: string;
  /** The exact body to POST, fixed when the event was relayed so every attempt sends the same bytes. */
  body: string;
  /** When the event was written to the outbox (ISO-8601), for the metrics' event-to-delivered latency; absent on jobs queued before it was added. */
  eventAt?: string;
  /** The trace context of the change that wrote the event (W3C `traceparent`/`tracestate`), so the delivery continues its trace. */
  trace?: Record<string, string> | undefined;
};

/** The example tasks by name, payload and result: the template for a new task (docs/webhooks.md, "Example tasks"). */
export type TaskJobs = {
  example_task: { data: { message: string }; result: { status: 'completed'; message: string } };
  long_running_task: { data: { duration: number }; result: { status: 'completed'; duration: number } };
  send_email: { data: { to: string; subject: string; body: string }; result: { status: 'sent'; to: string; subject: string } };
};
export type TaskName = keyof TaskJobs;
export type TaskData<N extends TaskName = TaskName> = TaskJobs[N]['data'];
export type TaskResult<N extends TaskName = TaskName> = TaskJobs[N]['result'];

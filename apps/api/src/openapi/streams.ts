// trpc-to-openapi documents no subscriptions. A subscription's REST form (`stream` meta) is
// documented from a stand-in mutation with the same input, path and summary whose output is the
// stream's event; its success answer then becomes `text/event-stream`, one event per frame.
import type { AnyRouter } from '@trpc/server';
import { publicProcedure, router } from '@personal-automations/router';
import type { RestOperation } from '../rest/operations.ts';

type StandInInput = Parameters<typeof publicProcedure.input>[0];
type StandInOutput = Parameters<typeof publicProcedure.output>[0];

/** Stand-ins for the streamed operations (none: undefined), keyed so as not to clash with a real procedure. */
export function streamStandIns(operations: RestOperation[]): AnyRouter | undefined {
  const streamed = operations.filter((op) => op.streamed && op.meta.stream);
  if (!streamed.length) return undefined;
  const record = Object.fromEntries(
    streamed.map((op) => {
      const { events, ...openapi } = op.meta.stream!;
      const standIn = publicProcedure
        .meta({ openapi: { ...openapi, operationId: op.procedurePath.replaceAll('.', '-') } })
        .input(op.input as StandInInput)
        .output(events as StandInOutput)
        .mutation(() => {
          throw new Error('documentation only');
        });
      return [`stream_${op.procedurePath.replaceAll('.', '_')}`, standIn];
    }),
  );
  return router(record);
}

type Media = { schema?: { $ref?: string } };

/** A streamed operation's success answer: its events as SSE, the event's schema named in `x-event-data`. */
export function streamedSuccess(generated: { content?: Record<string, Media> } | undefined) {
  const event = generated?.content?.['application/json']?.schema;
  return {
    description:
      'Server-sent events, one per event frame of the turn: `id: <conversation id>:<event id>` (send it back as ' +
      '`Last-Event-ID` to get the rest of that turn instead of a new one) and `data: <the event as JSON>`. ' +
      'A comment line (`: ping`) is sent after each AGENT_PING_INTERVAL_SECONDS of silence.',
    content: {
      'text/event-stream': {
        schema: { type: 'string' },
        example: 'id: 6f1c…:1\ndata: {"type":"conversation_created","data":{"conversation_id":"6f1c…"}}\n\n',
        ...(event ? { 'x-event-data': event } : {}),
      },
    },
  };
}

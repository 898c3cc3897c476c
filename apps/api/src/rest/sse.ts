// A subscription's REST form (an operation with `streamed`): the procedure is called as for any
// REST operation, so a refusal before the first event (credentials, input, turn budget, quota)
// is answered by the app's error handler with its status and envelope; what it then yields goes
// out as server-sent events, each `tracked` value with its id, so a client that reconnects can
// send Last-Event-ID.
import { Readable } from 'node:stream';
import { isTrackedEnvelope } from '@trpc/server';

export const SSE_HEADERS = {
  'content-type': 'text/event-stream; charset=utf-8',
  'cache-control': 'no-cache, no-transform',
  // Proxies that buffer responses (nginx) would hold the events back.
  'x-accel-buffering': 'no',
};

/** One value as an SSE event: `id:` from a tracked value, `data:` its JSON (one line: JSON.stringify escapes newlines). */
export function sseEvent(value: unknown): string {
  if (isTrackedEnvelope(value)) return `id: ${value[0]}\ndata: ${JSON.stringify(value[1])}\n\n`;
  return `data: ${JSON.stringify(value)}\n\n`;
}

const PING = Symbol('ping');

type Tick = { due: Promise<typeof PING>; timer: NodeJS.Timeout | undefined };

const tick = (ms: number): Tick => {
  const armed: Tick = { due: Promise.resolve(PING), timer: undefined };
  armed.due = new Promise((resolve) => (armed.timer = setTimeout(resolve, ms, PING)));
  return armed;
};

/**
 * The values as SSE text, with a comment line at each `pingMs` tick that saw no event (a model
 * thinking, a tool running) so that proxies do not close an idle stream: one timer per tick, not
 * one per event. Stopping the stream early (the client went away) returns the values' iterator.
 */
async function* sseText(values: AsyncIterable<unknown>, pingMs: number): AsyncGenerator<string> {
  const iterator = values[Symbol.asyncIterator]();
  let finished = false;
  let ping = tick(pingMs);
  let sentSinceTick = false;
  try {
    let next = iterator.next();
    for (;;) {
      const result = await Promise.race([next, ping.due]);
      if (result === PING) {
        ping = tick(pingMs);
        if (!sentSinceTick) yield ': ping\n\n';
        sentSinceTick = false;
        continue;
      }
      if (result.done) {
        finished = true;
        return;
      }
      yield sseEvent(result.value);
      sentSinceTick = true;
      next = iterator.next();
    }
  } finally {
    clearTimeout(ping.timer);
    // not awaited: a generator waiting for its next value returns only once it has one
    if (!finished) void iterator.return?.();
  }
}

/** The body of a streamed answer. */
export const sseBody = (values: AsyncIterable<unknown>, pingMs: number): Readable =>
  Readable.from(sseText(values, pingMs), { objectMode: false });

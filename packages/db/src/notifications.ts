// A connection of its own that LISTENs on one channel for as long as it is open: how the outbox
// relay hears that events committed (the outbox_events trigger NOTIFYs at commit). A pooled
// connection cannot do it (the pool hands it to other queries), so this is a plain pg client.
// Notifications sent while it is disconnected are lost: it reconnects, and calls `onNotify` once
// connected again so that its owner looks for what it may have missed.
import pg from 'pg';

export type NotificationListenerOptions = {
  url: string;
  channel: string;
  /** A notification arrived, or the connection was (re)established. */
  onNotify: () => void;
  /** The connection failed or was lost (called once per new error message; it keeps retrying). */
  onError?: (error: Error) => void;
  /** Delay before a reconnection (default 1 s). */
  retryMs?: number;
};

export type NotificationListener = { close(): Promise<void> };

const quoteIdent = (name: string) => `"${name.replaceAll('"', '""')}"`;

/** Starts listening at once (connecting in the background); close() ends the connection and the retries. */
export function listenForNotifications(options: NotificationListenerOptions): NotificationListener {
  const retryMs = options.retryMs ?? 1000;
  let client: pg.Client | undefined;
  let timer: NodeJS.Timeout | undefined;
  let closed = false;
  let lastError = '';

  const failed = (error: Error, failing: pg.Client) => {
    if (failing !== client) return; // an earlier connection's late error
    client = undefined;
    failing.end().catch(() => {});
    if (error.message !== lastError) options.onError?.(error);
    lastError = error.message;
    if (!closed) timer = setTimeout(connect, retryMs);
  };

  function connect(): void {
    const next = new pg.Client({ connectionString: options.url });
    client = next;
    next.on('notification', (message) => {
      if (message.channel === options.channel) options.onNotify();
    });
    next.on('error', (error) => failed(error, next));
    next.on('end', () => failed(new Error('connection ended'), next));
    next
      .connect()
      .then(() => next.query(`LISTEN ${quoteIdent(options.channel)}`))
      .then(() => {
        if (closed || next !== client) return;
        lastError = '';
        options.onNotify();
      })
      .catch((error: unknown) => failed(error instanceof Error ? error : new Error(String(error)), next));
  }

  connect();
  return {
    async close() {
      closed = true;
      clearTimeout(timer);
      const open = client;
      client = undefined;
      await open?.end().catch(() => {});
    },
  };
}

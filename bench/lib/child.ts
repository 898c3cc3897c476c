// Shared by the server processes: listen on 127.0.0.1 (a free port), tell the parent which port
// over IPC, and shut down cleanly on SIGTERM/SIGINT or when the parent goes away.
import type { AddressInfo } from 'node:net';
import type { FastifyInstance } from 'fastify';
import { loadSettings, type Settings } from '@personal-automations/config';

export type ChildMessage =
  | { type: 'listening'; port: number }
  | { type: 'failed'; message: string }
  /** The process's CPU time so far (user + system), in microseconds, and its resident set size now. */
  | { type: 'usage'; cpuMicros: number; rssBytes: number };

/** Grace period for app.close() before the process exits anyway. */
const CLOSE_GRACE_MS = 5_000;

/** The settings the parent passed through the environment (DATABASE_URL, pool sizes), logging off. */
export function childSettings(): Settings {
  return loadSettings({ ...process.env, LOG_LEVEL: 'silent' });
}

export async function serve(app: FastifyInstance): Promise<void> {
  await app.listen({ host: '127.0.0.1', port: 0 });
  const { port } = app.server.address() as AddressInfo;

  let stopping = false;
  const stop = () => {
    if (stopping) return;
    stopping = true;
    setTimeout(() => process.exit(1), CLOSE_GRACE_MS).unref();
    app.close().then(
      () => process.exit(0),
      () => process.exit(1),
    );
  };
  process.on('SIGTERM', stop);
  process.on('SIGINT', stop);
  process.on('disconnect', stop); // the parent exited or closed the channel
  process.on('message', (message: { type?: string }) => {
    if (message?.type !== 'usage') return;
    const { user, system } = process.cpuUsage();
    send({ type: 'usage', cpuMicros: user + system, rssBytes: process.memoryUsage().rss });
  });

  send({ type: 'listening', port });
}

export function send(message: ChildMessage): void {
  if (process.send) process.send(message);
}

/** Runs a server's startup; a failure is reported to the parent and ends the process. */
export function runServer(start: () => Promise<void>): void {
  start().catch((error: unknown) => {
    send({ type: 'failed', message: error instanceof Error ? (error.stack ?? error.message) : String(error) });
    process.exit(1);
  });
}

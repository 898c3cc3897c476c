// The tRPC batch target of items-list.ts: one `items.list` call against a batch of ten (pages 1
// to 10, so no two calls read the same rows), each sent by one connection, one request at a time:
// the batch's calls run side by side, so it should take little longer than one call.
import { load, type Round } from './load.ts';
import type { Server } from './servers.ts';

const BATCH_SIZE = 10;

const input = (page: number) => ({ page, size: 20 });

/** `GET /trpc/items.list` with one call, and with a batch of ten. */
export function batchPaths(): { single: string; batch: string } {
  const single = `/trpc/items.list?input=${encodeURIComponent(JSON.stringify(input(1)))}`;
  const calls = Array.from({ length: BATCH_SIZE }, (_, i) => [i, input(i + 1)]);
  const batch = `/trpc/${Array(BATCH_SIZE).fill('items.list').join(',')}?batch=1&input=${encodeURIComponent(JSON.stringify(Object.fromEntries(calls)))}`;
  return { single, batch };
}

export type BatchFigures = { single: Round; batch: Round };

/** Both, one after the other, for `seconds` each, from one connection. */
export async function measureBatch(server: Server, seconds: number, authorization: string): Promise<BatchFigures> {
  const { single, batch } = batchPaths();
  return {
    single: await load(server, seconds, { path: single, connections: 1, authorization }),
    batch: await load(server, seconds, { path: batch, connections: 1, authorization }),
  };
}

// The tRPC batch target of items-list.ts: one `items.list` call against a batch of ten (pages 1
// to 10, so no two calls read the same rows), each sent by one connection, one request at a time:
// the batch's calls run side by side, so it should take little longer than one call.
import { load, type Round } from './load.ts';
import { median } from './report.ts';
import type { Server } from './servers.ts';

const BATCH_SIZE = 10;
/** The page size the goal is judged at (the REST target's `size=20`). */
export const GOAL_PAGE_SIZE = 20;

/** `GET /trpc/items.list` with one call, and with a batch of ten, each call reading a page of `pageSize` items. */
export function batchPaths(pageSize = GOAL_PAGE_SIZE): { single: string; batch: string } {
  const input = (page: number) => ({ page, size: pageSize });
  const single = `/trpc/items.list?input=${encodeURIComponent(JSON.stringify(input(1)))}`;
  const calls = Array.from({ length: BATCH_SIZE }, (_, i) => [i, input(i + 1)]);
  const batch = `/trpc/${Array(BATCH_SIZE).fill('items.list').join(',')}?batch=1&input=${encodeURIComponent(JSON.stringify(Object.fromEntries(calls)))}`;
  return { single, batch };
}

/**
 * One request at a time: the time per request is the round's length over its requests (autocannon
 * keeps each latency in whole milliseconds, so its mean of sub-millisecond calls reads low).
 */
export const msPerRequest = (round: Round): number => (round.rps > 0 ? 1000 / round.rps : 0);

/** Each pair's rounds, and the median of the pairs' ratios (batch ÷ single, time per request). */
export type BatchFigures = { pairs: { single: Round; batch: Round; ratio: number }[]; ratio: number };

/**
 * After `warmup` seconds of each, `rounds` pairs of `seconds` each, one call then the batch, from one connection: the pairs
 * alternate, so that a slower spell of the machine weighs on both sides of a pair alike.
 */
export async function measureBatch(
  server: Server,
  { seconds, rounds, warmup, pageSize }: { seconds: number; rounds: number; warmup: number; pageSize: number },
  authorization: string,
): Promise<BatchFigures> {
  const { single, batch } = batchPaths(pageSize);
  // the batch's path has not run before: warm both up, as the targets are before their rounds
  for (const path of [single, batch]) await load(server, warmup, { path, connections: 1, authorization });
  const pairs: BatchFigures['pairs'] = [];
  for (let i = 0; i < rounds; i++) {
    const one = await load(server, seconds, { path: single, connections: 1, authorization });
    const ten = await load(server, seconds, { path: batch, connections: 1, authorization });
    pairs.push({ single: one, batch: ten, ratio: msPerRequest(one) > 0 ? msPerRequest(ten) / msPerRequest(one) : 0 });
  }
  return { pairs, ratio: median(pairs.map((pair) => pair.ratio)) };
}

// The soak's memory checks beside the per-interval lines: heap snapshots of the API process on
// request (BENCH_HEAP_SNAPSHOTS), and whether RSS stayed flat over the last half of the load.
import type { ChildProcess } from 'node:child_process';
import { mkdir } from 'node:fs/promises';
import path from 'node:path';
import { ask } from '../lib/ipc.ts';
import { fmt, mb } from '../lib/report.ts';
import type { HeapSnapshotMessage } from './protocol.ts';

/** The band the last half's RSS must stay in around its mean to count as flat (the issue's ±5 %). */
const FLAT_BAND = 0.05;

export type HeapSnapshots = {
  /** Writes the API's heap to `<dir>/api-<n>-<label>.heapsnapshot` and prints where and how long it took. */
  take(api: ChildProcess, label: string): Promise<void>;
};

/** Snapshots into `dir` (created if missing), or none when `dir` is empty. */
export async function heapSnapshots(dir: string): Promise<HeapSnapshots | undefined> {
  if (!dir) return undefined;
  const absolute = path.resolve(dir);
  await mkdir(absolute, { recursive: true });
  let n = 0;
  return {
    async take(api, label) {
      const file = path.join(absolute, `api-${++n}-${label}.heapsnapshot`);
      const answer = await ask<HeapSnapshotMessage>(api, { type: 'heap-snapshot', file }, 'heap-snapshot');
      console.log(`heap snapshot (${label}): ${answer.file}, written in ${fmt(answer.ms / 1000, 1)} s`);
    },
  };
}

/** One process's RSS in bytes at one sample, `t` seconds after the load began. */
export type RssPoint = { t: number; rss: number };

/** Min, max and mean of the samples from `fromT` on, and whether every one lies within ±5 % of the mean. */
export function flatness(
  points: RssPoint[],
  fromT: number,
): { min: number; max: number; mean: number; flat: boolean; n: number } | undefined {
  const values = points.filter((p) => p.t >= fromT && Number.isFinite(p.rss)).map((p) => p.rss);
  if (!values.length) return undefined;
  const min = Math.min(...values);
  const max = Math.max(...values);
  const mean = values.reduce((a, b) => a + b, 0) / values.length;
  return { min, max, mean, n: values.length, flat: max <= mean * (1 + FLAT_BAND) && min >= mean * (1 - FLAT_BAND) };
}

/** The printed check of one process: its RSS over the samples of the last half of the load. */
export function flatnessLine(name: string, points: RssPoint[], fromT: number): string {
  const f = flatness(points, fromT);
  if (!f) return `${name} RSS over the last half: no sample`;
  const spread = (v: number) => `${v >= f.mean ? '+' : ''}${fmt(((v - f.mean) / f.mean) * 100, 1)} %`;
  return (
    `${name} RSS from ${fmt(fromT)} s of load on (${f.n} samples): min ${mb(f.min)}, max ${mb(f.max)}, mean ${mb(f.mean)} MiB ` +
    `(${spread(f.min)} / ${spread(f.max)}): ${f.flat ? 'within' : 'NOT within'} ±${FLAT_BAND * 100} % of the mean`
  );
}

// The soak benchmark's API process: the real app (apps/api buildApp) with the settings the parent
// passed in the environment, logging as deployed to stdout (which the parent discards). Over IPC
// it answers its memory and its event-loop lag p99 since the previous answer (no forced GC: the
// figures are what a container would see), and writes a heap snapshot when asked (BENCH_HEAP_SNAPSHOTS).
import { monitorEventLoopDelay } from 'node:perf_hooks';
import { writeHeapSnapshot } from 'node:v8';
import { buildApp } from '@personal-automations/api';
import { loadSettings } from '@personal-automations/config';
import { runServer, serve } from '../lib/child.ts';
import type { HeapSnapshotCommand, HeapSnapshotMessage, StatsMessage } from './protocol.ts';

const NS_PER_MS = 1e6;

/**
 * Writes the heap to `file`. Synchronous: the process does nothing else meanwhile (seconds, with
 * a full GC first, and about as much native memory again as the heap), which the next sample's
 * lag shows; the parent asks only when BENCH_HEAP_SNAPSHOTS is set.
 */
function snapshot({ file }: HeapSnapshotCommand): void {
  const started = performance.now();
  writeHeapSnapshot(file);
  process.send?.({ type: 'heap-snapshot', file, ms: performance.now() - started } satisfies HeapSnapshotMessage);
}

runServer(async () => {
  const app = await buildApp({ settings: loadSettings(process.env) });
  const lag = monitorEventLoopDelay({ resolution: 10 });
  lag.enable();
  process.on('message', (message: { type?: string }) => {
    if (message?.type === 'heap-snapshot') return snapshot(message as HeapSnapshotCommand);
    if (message?.type !== 'stats') return;
    const { rss, heapUsed, heapTotal, external, arrayBuffers } = process.memoryUsage();
    const lagP99Ms = lag.count ? lag.percentile(99) / NS_PER_MS : 0;
    lag.reset();
    process.send?.({ type: 'stats', rss, heapUsed, heapTotal, external, arrayBuffers, lagP99Ms } satisfies StatsMessage);
  });
  await serve(app);
});

// The agent-ws benchmark's API process: the real app (apps/api buildApp) with the settings the
// parent passed in the environment. Over IPC it answers its CPU time (lib/child.ts) and its memory
// after a forced GC (run with --expose-gc), and starts and stops a CPU profile of itself
// (BENCH_API_PROFILE: the measured rounds only, not the startup and the warm-up). With
// BENCH_HEAP_SNAPSHOTS (a directory) each memory sample also writes a heap snapshot there, named
// after the sample, for heap/retainers.ts.

import { writeFileSync } from 'node:fs';
import { writeFile } from 'node:fs/promises';
import { Session } from 'node:inspector/promises';
import path from 'node:path';
import { getHeapSpaceStatistics, writeHeapSnapshot } from 'node:v8';
import { buildApp } from '@personal-automations/api';
import { childSettings, runServer, serve } from '../lib/child.ts';

export type MemoryMessage = { type: 'memory'; rss: number; heapUsed: number };
/** `sample` names the heap snapshot written with BENCH_HEAP_SNAPSHOTS. */
export type MemoryCommand = { type: 'memory'; sample: string };
/** `stop` writes the profile to `file` (a .cpuprofile, as DevTools reads it). */
export type ProfileCommand = { type: 'profile'; action: 'start' } | { type: 'profile'; action: 'stop'; file: string };
export type ProfileMessage = { type: 'profiled' };

const profiler = new Session();

async function profile(command: ProfileCommand): Promise<void> {
  if (command.action === 'start') {
    profiler.connect();
    await profiler.post('Profiler.enable');
    await profiler.post('Profiler.start');
  } else {
    const { profile } = await profiler.post('Profiler.stop');
    profiler.disconnect();
    await writeFile(command.file, JSON.stringify(profile));
  }
  process.send?.({ type: 'profiled' } satisfies ProfileMessage);
}

/** A heap snapshot, and beside it what the process's memory is made of (V8's spaces, external memory). */
function snapshot(dir: string, sample: string): void {
  const { rss, heapTotal, heapUsed, external, arrayBuffers } = process.memoryUsage();
  const spaces = getHeapSpaceStatistics().map((s) => ({ space: s.space_name, committed: s.physical_space_size, used: s.space_used_size }));
  const memory = { rss, heapTotal, heapUsed, external, arrayBuffers, spaces };
  writeFileSync(path.join(dir, `agent-api-${sample}.memory.json`), JSON.stringify(memory, null, 2));
  writeHeapSnapshot(path.join(dir, `agent-api-${sample}.heapsnapshot`));
}

runServer(async () => {
  const app = await buildApp({ settings: childSettings(), logger: false });
  process.on('message', (message: { type?: string }) => {
    if (message?.type === 'profile') void profile(message as ProfileCommand);
    if (message?.type !== 'memory') return;
    globalThis.gc?.();
    const { rss, heapUsed } = process.memoryUsage();
    process.send?.({ type: 'memory', rss, heapUsed } satisfies MemoryMessage);
    const snapshots = process.env.BENCH_HEAP_SNAPSHOTS;
    if (snapshots) snapshot(snapshots, (message as MemoryCommand).sample);
  });
  await serve(app);
});

// The agent-ws benchmark's API process: the real app (apps/api buildApp) with the settings the
// parent passed in the environment. Over IPC it answers its CPU time (lib/child.ts) and its memory
// after a forced GC (run with --expose-gc), and starts and stops a CPU profile of itself
// (BENCH_API_PROFILE: the measured rounds only, not the startup and the warm-up).
import { writeFile } from 'node:fs/promises';
import { Session } from 'node:inspector/promises';
import { buildApp } from '@personal-automations/api';
import { childSettings, runServer, serve } from '../lib/child.ts';

export type MemoryMessage = { type: 'memory'; rss: number; heapUsed: number };
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

runServer(async () => {
  const app = await buildApp({ settings: childSettings(), logger: false });
  process.on('message', (message: { type?: string }) => {
    if (message?.type === 'profile') void profile(message as ProfileCommand);
    if (message?.type !== 'memory') return;
    globalThis.gc?.();
    const { rss, heapUsed } = process.memoryUsage();
    process.send?.({ type: 'memory', rss, heapUsed } satisfies MemoryMessage);
  });
  await serve(app);
});

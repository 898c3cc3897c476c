// The agent-ws benchmark's API process: the real app (apps/api buildApp) with the settings the
// parent passed in the environment. Over IPC it answers its CPU time (lib/child.ts) and its memory
// after a forced GC (run with --expose-gc).
import { buildApp } from '@personal-automations/api';
import { childSettings, runServer, serve } from '../lib/child.ts';

export type MemoryMessage = { type: 'memory'; rss: number; heapUsed: number };

runServer(async () => {
  const app = await buildApp({ settings: childSettings(), logger: false });
  process.on('message', (message: { type?: string }) => {
    if (message?.type !== 'memory') return;
    globalThis.gc?.();
    const { rss, heapUsed } = process.memoryUsage();
    process.send?.({ type: 'memory', rss, heapUsed } satisfies MemoryMessage);
  });
  await serve(app);
});
